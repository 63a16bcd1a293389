/* reload_log.h — for core/reload.c: the activation log of the service's policy sets, the pending error
 * of a refused edit in the policy directory, and the warnings of a set (core/reload_log.c). Sets are
 * their files, {"path.lua": "text"}; a file's log name is its path without .lua. */
#ifndef BL_RELOAD_LOG_H
#define BL_RELOAD_LOG_H

#include "service.h"

/* Logs an entry for each file of cand whose version is not the one the log says runs, and for each file
 * of old (the set that ran; may be NULL) that cand no longer has; refused: why cand was refused (the
 * entries say so), or NULL when it is activated. The named file's entry points at c->prev (>= 0), the
 * others at the entry that ran before. Returns the names logged (caller deletes). */
cJSON *bl_reload_log(bl_service *svc, const cJSON *old, const cJSON *cand, const char *name, const bl_policy_change *c,
                     const char *refused);

/* {name: {"file","line","message","version"}} for each changed file of a refused set (why: the refusal;
 * the line is the first file:line it names, in that file if it can). */
cJSON *bl_reload_pending(const cJSON *cand, const cJSON *changed, const char *why);

/* ["x.lua has no tests ..."] for each changed file of the validated set (result) that holds policies
 * and has no NAME_test.lua beside it in cand. */
cJSON *bl_reload_warnings(const cJSON *result, const cJSON *cand, const cJSON *changed);

#endif
