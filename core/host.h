/* host.h — the Lua host: one sandboxed Lua state holding a loaded policy set, and the evaluation of
 * one record against it. */
#ifndef BL_HOST_H
#define BL_HOST_H

#include "json.h"
#include <lua.h>

#include "common.h"
#include "guard.h"
#include "reads.h"

typedef struct bl_host bl_host_t;

typedef struct bl_host_config {
    const char *policy_dir;  /* the policy files (*.lua, not *_test.lua) */
    const char *display_dir; /* the directory messages name (file:line), when policy_dir is a copy of it;
                              * NULL: policy_dir */
    const char *scripts_dir; /* the engine's Lua library (scripts/) */
    bl_limits limits;
    lua_Hook line_hook;      /* called at each new line policies run (the coverage of `bylaw test`); NULL in
                              * the service and eval, where policy calls run without a line hook */
    int english_only;        /* explanations in English only: a message reason is not also written in
                              * Chinese nor kept as key and parameters (`bylaw eval` in English without
                              * --db, where nothing is stored: the answers have no "i18n" member) */
} bl_host_config;

/* Loads every policy file of cfg->policy_dir. Each load error is appended to errors as one line
 * "file:line: message"; returns NULL when there was any. */
bl_host_t *bl_host_open(const bl_host_config *cfg, bl_buf *errors);
/* The last error that said the record is wrong (BL_INVALID: its field errors) in lang, when lang is
 * "zh-CN" and it has that text; else NULL (the English is the error itself). Owned by h. */
const char *bl_host_invalid_in(const bl_host_t *h, const char *lang);
void bl_host_close(bl_host_t *h);

/* Evaluates record (a JSON object; borrowed) of the given type against the policies bound to it.
 * Reads of other records go to `reads` (may be NULL: nothing is found). On success *out is
 * {"record":{...},"decisions":[...],"points":[...],"events":[...]} (caller decrefs). On failure
 * returns BL_INVALID (the record is wrong: *err names the field) or BL_ERR (a policy failed: *err
 * starts with file:line), *err malloc'd; nothing is changed and the host stays usable. */
int bl_host_eval(bl_host_t *h, const char *type, const cJSON *record, bl_reader *reads, cJSON **out, char **err);

/* Like bl_host_eval, but appends the answer to out as compact JSON text (no newline), without
 * building a tree: the fast path of `bylaw eval --input`. On failure out is left as it was. */
int bl_host_eval_json(bl_host_t *h, const char *type, const cJSON *record, bl_reader *reads, bl_buf *out,
                      char **err);

/* Runs the handler `timer` of `policy` on record (borrowed); info is what the handler gets as t
 * ({"name","due","late_ms","payload"}). Results and failures as bl_host_eval. */
int bl_host_fire(bl_host_t *h, const char *type, const cJSON *record, const char *policy, const char *timer,
                 const cJSON *info, bl_reader *reads, cJSON **out, char **err);

/* bl_host_fire, writing the answer as bl_host_eval_json does. */
int bl_host_fire_json(bl_host_t *h, const char *type, const cJSON *record, const char *policy, const char *timer,
                      const cJSON *info, bl_reader *reads, bl_buf *out, char **err);
/* The limit the last call passed (BL_TRIP_BUDGET, _TIME, _MEMORY), or BL_TRIP_NONE. The policy set's
 * state may then hold what the stopped call left half done: a worker process starts afresh. */
int bl_host_tripped(bl_host_t *h);

/* The loaded policies: [{"name","type","order","file","line","version"}] (caller decrefs). */
cJSON *bl_host_policies(bl_host_t *h);
/* Whether any policy is bound to type. */
int bl_host_knows_type(bl_host_t *h, const char *type);

/* For the bindings and the test runner. */
bl_host_t *bl_host_of(lua_State *L);
lua_State *bl_host_state(bl_host_t *h);
/* A read of the running policy (core/reads.h) through the reader of the running evaluation; BL_NOTFOUND
 * when it has none (nothing is stored). */
int bl_host_read(bl_host_t *h, const cJSON *req, cJSON **answer, char **err);
/* Where reads go outside an evaluation (lines typed at `bylaw repl`); NULL: nowhere. An evaluation sets
 * its own reader and leaves NULL behind. */
void bl_host_set_reader(bl_host_t *h, bl_reader *reads);
const char *bl_host_policy_now(bl_host_t *h);      /* the policy running now, or NULL */
int bl_host_loading(bl_host_t *h);                 /* 1 while bl_host_open loads the policy files */
void bl_host_push_runtime(bl_host_t *h);           /* pushes the runtime table R */

/* Where the log lines of policies go (log.info, log.warn, print; bindings/log.c): process-wide; NULL
 * sets the default, one line on stderr. msg is len bytes and may hold any byte. */
typedef void (*bl_log_sink)(void *ud, const char *level, const char *policy, const char *where, const char *msg,
                            size_t len);
void bl_log_set_sink(bl_log_sink fn, void *ud);
void bl_log_get_sink(bl_log_sink *fn, void **ud); /* the sink now, to set it back after another */
/* Appends s with control characters written as \n, \r, \t or \xNN: a log line stays one line. */
void bl_log_escape(bl_buf *b, const char *s, size_t n);

/* The policy files of dir, sorted: *.lua that are not *_test.lua nor start with '_' or '.', as "dir/NAME.lua"
 * (each and the array malloc'd); NULL and *n 0 when there are none or dir cannot be read. */
char **bl_policy_files(const char *dir, int *n);

/* Runs the engine's trusted script scripts_dir/name (text only, with the state's own globals) with the
 * nargs values on top of L as its arguments; leaves its one result on top and returns LUA_OK, or leaves
 * the error message and returns the error code. */
int bl_script_run(lua_State *L, const char *scripts_dir, const char *name, int nargs);

/* Version of a source text: the first 16 hex digits of its SHA-256. buf: at least 17 bytes. */
char *bl_source_version(const char *src, size_t len, char *buf);

#endif
