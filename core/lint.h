/* lint.h — the lint of `bylaw check`: what the compiled code of a loaded policy set shows (fields read but
 * not declared and declared but not read, verdicts that are none, globals the sandbox does not have or
 * refuses to set, tests missing or broken). The rules and their limits: scripts/_lint.lua, docs/policies.md. */
#ifndef BL_LINT_H
#define BL_LINT_H

#include "host.h"

/* Lints the policy set h loaded from cfg->policy_dir (named cfg->display_dir, else policy_dir) with its
 * *_test.lua files. Returns [{"file", "line", "message"}] sorted by file and line (caller decrefs), or NULL
 * and *err (malloc'd). */
cJSON *bl_lint(bl_host_t *h, const bl_host_config *cfg, char **err);

#endif
