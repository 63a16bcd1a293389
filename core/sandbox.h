/* sandbox.h — what a policy may see: the safe globals, read-only libraries, text-only `load`, and a
 * `require` that looks only in scripts/ and the policy directory. */
#ifndef BL_SANDBOX_H
#define BL_SANDBOX_H

#include <lua.h>

/* Opens the safe libraries in L and builds the sandbox's base environment (kept in the registry).
 * scripts_dir and policy_dir are where `require` looks (in that order); a module found in policy_dir
 * is named display_dir/NAME.lua in messages (policy_dir may be a copy of display_dir). */
void bl_sandbox_open(lua_State *L, const char *scripts_dir, const char *policy_dir, const char *display_dir);

/* Adds the value on top of the stack to the base environment as global `name` (pops it). */
void bl_sandbox_set(lua_State *L, const char *name);
/* Pops a function and makes it the __call of the library `name` policies see (string(200): a field type). */
void bl_sandbox_set_call(lua_State *L, const char *name);

/* Pushes the sandbox's globals (the base environment every file's environment reads through), and a table
 * of the names it refuses with an error that says so: { io = true, ["os.execute"] = true, ... } (the lint). */
void bl_sandbox_push_base(lua_State *L);
void bl_sandbox_push_traps(lua_State *L);

/* Replaces the table on top of the stack with a read-only view of it: reads and pairs see the table,
 * writes are errors (what the engine's libraries are to policies). */
void bl_sandbox_readonly(lua_State *L);

/* Pushes a fresh environment for one file: reads fall through to the base, setting a global is an
 * error naming the variable. */
void bl_sandbox_push_env(lua_State *L);

/* Pushes an environment for the lines typed at `bylaw repl`: reads fall through to the base, and a
 * global set is kept in the environment itself (the base stays as it is). */
void bl_sandbox_push_session_env(lua_State *L);

/* Loads a text-only Lua file with a fresh environment; pushes the chunk, or an error message and
 * returns non-zero. The chunk name is "@" .. path, so errors read "path:line: ...". If env_out is
 * not NULL the environment is also pushed (below nothing: on top, after the chunk). */
int bl_sandbox_loadfile(lua_State *L, const char *path);
/* The same, naming the chunk "@" .. name. */
int bl_sandbox_loadfile_as(lua_State *L, const char *path, const char *name);


#endif
