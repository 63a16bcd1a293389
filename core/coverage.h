/* coverage.h — `bylaw test --coverage`: which lines of the policy files the tests ran. A line hook counts
 * the lines run (test runs only: the service and eval never set one); the executable lines of each file
 * are those of its compiled functions (scripts/_bytecode.lua), as Lua's debug.getinfo(f, "L") gives them. */
#ifndef BL_COVERAGE_H
#define BL_COVERAGE_H

#include <lua.h>

#include "json.h"

typedef struct bl_cov bl_cov;

bl_cov *bl_cov_new(void);
void bl_cov_free(bl_cov *c);

/* The policy directory whose tests run next: its policy files are counted (as display_dir/NAME.lua, read
 * from policy_dir), with any other file under it the tests run (modules it requires). Makes c the one
 * bl_cov_hook counts into, on this thread. */
void bl_cov_dir(bl_cov *c, const char *policy_dir, const char *display_dir);
/* Stops counting on this thread. */
void bl_cov_stop(void);

/* The line hook (bl_host_config.line_hook; the test runner's hook passes its line events on). */
void bl_cov_hook(lua_State *L, lua_Debug *ar);

/* The report: {"files": [{"file", "lines", "covered", "percent", "missed": [line, ...]}], "lines", "covered",
 * "percent"} (caller decrefs), or NULL and *err (malloc'd). A file that cannot be read or compiled has no
 * lines, and "error" saying why. scripts_dir: where _bytecode.lua is. */
cJSON *bl_cov_report(bl_cov *c, const char *scripts_dir, char **err);

#endif
