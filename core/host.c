/* host.c — owns the Lua state of a policy set: loads the runtime and the policy files into the
 * sandbox, runs evaluations on a worker thread under the guard's limits, and turns what the policies
 * proposed into JSON. A failure anywhere leaves the state usable and reports file:line. */
#include "host.h"

#include <dirent.h>
#include <lauxlib.h>
#include <lualib.h>
#include <math.h>
#include <nettle/sha2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "luajson.h"
#include "sandbox.h"

int luaopen_bylaw_records(lua_State *L);
int luaopen_bylaw_ledger(lua_State *L);
int luaopen_bylaw_log(lua_State *L);
int luaopen_bylaw_core(lua_State *L);
int luaopen_bylaw_calendar(lua_State *L);
int bl_lua_print(lua_State *L);

struct bl_host {
    bl_guard guard; /* first: bl_host_of() finds the host through the guard */
    lua_State *L;
    lua_State *co; /* the worker thread every policy call runs on */
    int co_ref, rt_ref, eval_ref;
    char *policy_dir, *scripts_dir;
    bl_store_t *store;
    const char *policy_now; /* name of the running policy (a string the runtime holds) */
    char who[300];          /* what runs when no policy is named: "loading policies/x.lua" */
    const cJSON *input;     /* the record under evaluation (borrowed) */
    cJSON *owned;           /* the record, when the caller handed it over (no copy needed) */
    cJSON *result;          /* what C.start .. C.event build */
    cJSON *decisions, *points, *events; /* arrays inside result */
    cJSON *deadlines, *cancels;         /* made when first needed */
    char month[8];          /* default period of points */
};

bl_host_t *bl_host_of(lua_State *L) { return (bl_host_t *)bl_guard_of(L); }
lua_State *bl_host_state(bl_host_t *h) { return h->L; }
bl_store_t *bl_host_store(bl_host_t *h) { return h->store; }
const char *bl_host_policy_now(bl_host_t *h) { return h->policy_now; }
void bl_host_push_runtime(bl_host_t *h) { lua_rawgeti(h->L, LUA_REGISTRYINDEX, h->rt_ref); }

char *bl_source_version(const char *src, size_t len, char *buf)
{
    struct sha256_ctx ctx;
    uint8_t d[SHA256_DIGEST_SIZE];
    sha256_init(&ctx);
    sha256_update(&ctx, len, (const uint8_t *)src);
    sha256_digest(&ctx, sizeof d, d);
    for (int i = 0; i < 8; i++)
        snprintf(buf + 2 * i, 3, "%02x", d[i]);
    return buf;
}

/* Primitives the runtime calls ------------------------------------------------------------------ */

static int c_fields(lua_State *L)
{
    bl_host_t *h = bl_host_of(L);
    bl_lua_pushjson(L, h->input, 1);
    return 1;
}

/* C.begin(name): the limits start afresh for policy `name`; C.begin(nil): no policy runs now. */
static int c_begin(lua_State *L)
{
    bl_host_t *h = bl_host_of(L);
    h->policy_now = lua_tostring(L, 1);
    if (h->policy_now)
        bl_guard_begin(&h->guard, L);
    else
        bl_guard_end(&h->guard);
    return 0;
}

static cJSON *lua_to_json_or_raise(lua_State *L, int idx, const char *what)
{
    char err[200];
    cJSON *j = bl_lua_tojson(L, idx, err, sizeof err);
    if (j == NULL)
        luaL_error(L, "%s: %s", what, err);
    return j;
}

static const char *field_str(lua_State *L, int t, const char *k)
{
    lua_getfield(L, t, k);
    const char *s = lua_tostring(L, -1); /* held by the table */
    lua_pop(L, 1);
    return s;
}

/* Sets obj[key] = v, replacing an existing key (cJSON would keep both). */
static void set_field(cJSON *obj, const char *key, cJSON *v)
{
    if (cJSON_GetObjectItemCaseSensitive(obj, key))
        cJSON_ReplaceItemInObjectCaseSensitive(obj, key, v);
    else
        cJSON_AddItemToObject(obj, key, v);
}

/* Keys below are string literals: cJSON need not copy them. */
static cJSON *add_cs(cJSON *obj, const char *key, cJSON *v)
{
    cJSON_AddItemToObjectCS(obj, key, v);
    return v;
}

static cJSON *str_or_null(const char *s) { return s ? cJSON_CreateString(s) : cJSON_CreateNull(); }

/* C.start(over): the result object, with the record as proposed. */
static int c_start(lua_State *L)
{
    bl_host_t *h = bl_host_of(L);
    cJSON *out = cJSON_CreateObject();
    h->result = out; /* owned by the host from here, even if we raise below */
    cJSON *rec = h->owned ? h->owned : cJSON_Duplicate(h->input, 1);
    h->owned = NULL;
    add_cs(out, "record", rec);
    for (lua_pushnil(L); lua_next(L, 1); lua_pop(L, 1)) {
        const char *k = lua_tostring(L, -2);
        if (bl_lua_isnull(L, -1))
            cJSON_DeleteItemFromObjectCaseSensitive(rec, k);
        else
            set_field(rec, k, lua_to_json_or_raise(L, -1, k));
    }
    h->decisions = add_cs(out, "decisions", cJSON_CreateArray());
    h->points = add_cs(out, "points", cJSON_CreateArray());
    h->events = add_cs(out, "events", cJSON_CreateArray());
    h->deadlines = h->cancels = NULL;
    h->month[0] = '\0'; /* the default period, made when a point needs it */
    return 0;
}

/* C.decision(policy, version, verdict, explanation, reasons, changes) */
static int c_decision(lua_State *L)
{
    bl_host_t *h = bl_host_of(L);
    cJSON *d = cJSON_CreateObject();
    cJSON_AddItemToArray(h->decisions, d);
    /* policy name and version live as long as the host (the runtime holds them): no copies */
    add_cs(d, "policy", cJSON_CreateStringReference(lua_tostring(L, 1)));
    add_cs(d, "version", cJSON_CreateStringReference(lua_tostring(L, 2)));
    add_cs(d, "verdict", str_or_null(lua_tostring(L, 3)));
    add_cs(d, "explanation", str_or_null(lua_tostring(L, 4)));
    cJSON *reasons = add_cs(d, "reasons", cJSON_CreateArray());
    lua_Integer nr = lua_istable(L, 5) ? luaL_len(L, 5) : 0;
    for (lua_Integer r = 1; r <= nr; r++) {
        lua_rawgeti(L, 5, r);
        cJSON_AddItemToArray(reasons, cJSON_CreateString(lua_tostring(L, -1)));
        lua_pop(L, 1);
    }
    cJSON *changes = add_cs(d, "changes", cJSON_CreateObject());
    if (!lua_istable(L, 6))
        return 0;
    for (lua_pushnil(L); lua_next(L, 6); lua_pop(L, 1))
        cJSON_AddItemToObject(changes, lua_tostring(L, -2),
                              bl_lua_isnull(L, -1) ? cJSON_CreateNull() : lua_to_json_or_raise(L, -1, "change"));
    return 0;
}

/* C.point(policy, subject, points, period, reason) */
static int c_point(lua_State *L)
{
    bl_host_t *h = bl_host_of(L);
    cJSON *p = cJSON_CreateObject();
    cJSON_AddItemToArray(h->points, p);
    add_cs(p, "subject", str_or_null(lua_tostring(L, 2)));
    add_cs(p, "points", cJSON_CreateNumber((double)lua_tointeger(L, 3)));
    if (!lua_isstring(L, 4) && h->month[0] == '\0')
        bl_time_month(bl_clock_now_ms(), h->month);
    add_cs(p, "period", str_or_null(lua_isstring(L, 4) ? lua_tostring(L, 4) : h->month));
    add_cs(p, "reason", str_or_null(lua_tostring(L, 5)));
    add_cs(p, "policy", str_or_null(lua_tostring(L, 1)));
    return 0;
}

/* C.event(policy, kind, payload) */
static int c_event(lua_State *L)
{
    bl_host_t *h = bl_host_of(L);
    cJSON *e = cJSON_CreateObject();
    cJSON_AddItemToArray(h->events, e);
    add_cs(e, "kind", str_or_null(lua_tostring(L, 2)));
    add_cs(e, "payload", lua_isnoneornil(L, 3) ? cJSON_CreateObject() : lua_to_json_or_raise(L, 3, "payload"));
    add_cs(e, "policy", str_or_null(lua_tostring(L, 1)));
    return 0;
}

/* C.deadline(policy, name, due_seconds, payload) */
static int c_deadline(lua_State *L)
{
    bl_host_t *h = bl_host_of(L);
    if (h->deadlines == NULL)
        h->deadlines = add_cs(h->result, "deadlines", cJSON_CreateArray());
    cJSON *t = cJSON_CreateObject();
    cJSON_AddItemToArray(h->deadlines, t);
    double due = luaL_checknumber(L, 3) * 1000.0;
    char buf[32];
    add_cs(t, "name", str_or_null(lua_tostring(L, 2)));
    add_cs(t, "due", cJSON_CreateString(bl_time_format((int64_t)due, buf)));
    add_cs(t, "due_ms", cJSON_CreateNumber(floor(due)));
    add_cs(t, "payload", lua_isnoneornil(L, 4) ? cJSON_CreateObject() : lua_to_json_or_raise(L, 4, "payload"));
    add_cs(t, "policy", str_or_null(lua_tostring(L, 1)));
    return 0;
}

/* C.cancel(policy, name) */
static int c_cancel(lua_State *L)
{
    bl_host_t *h = bl_host_of(L);
    if (h->cancels == NULL)
        h->cancels = add_cs(h->result, "cancels", cJSON_CreateArray());
    cJSON *t = cJSON_CreateObject();
    cJSON_AddItemToArray(h->cancels, t);
    add_cs(t, "name", str_or_null(lua_tostring(L, 2)));
    add_cs(t, "policy", str_or_null(lua_tostring(L, 1)));
    return 0;
}

static int c_now(lua_State *L)
{
    lua_pushinteger(L, (lua_Integer)(bl_clock_now_ms() / 1000));
    return 1;
}

/* Running on the worker thread ------------------------------------------------------------------ */

/* "file:line" of the innermost frame of co with a line, optionally only frames of files under dir. */
static int frame_where(lua_State *co, const char *dir, char *buf, size_t n)
{
    lua_Debug ar;
    size_t dl = dir ? strlen(dir) : 0;
    for (int level = 0; lua_getstack(co, level, &ar); level++) {
        if (!lua_getinfo(co, "Sl", &ar) || ar.currentline <= 0)
            continue;
        if (dir && !(ar.source[0] == '@' && strncmp(ar.source + 1, dir, dl) == 0 && ar.source[1 + dl] == '/'))
            continue;
        snprintf(buf, n, "%s:%d", ar.source[0] == '@' ? ar.source + 1 : ar.short_src, ar.currentline);
        return 1;
    }
    return 0;
}

/* Moves the function and nargs arguments on top of `from` to the worker and runs it. On failure
 * returns BL_ERR or BL_INVALID with *err set; the worker is reset and usable again. */
static int worker_run(bl_host_t *h, lua_State *from, int nargs, char **err)
{
    lua_State *co = h->co;
    lua_xmove(from, co, nargs + 1);
    int nres = 0;
    int st = lua_resume(co, from, nargs, &nres);
    bl_guard_end(&h->guard);
    if (st == LUA_OK) {
        lua_settop(co, 0);
        h->policy_now = NULL;
        return BL_OK;
    }
    int rc = BL_ERR;
    const char *who = h->policy_now;
    char whobuf[340];
    if (who)
        snprintf(whobuf, sizeof whobuf, "policy '%s'", who);
    else
        snprintf(whobuf, sizeof whobuf, "%s", h->who);
    char where[300] = "", inpolicy[300] = "";
    if (!frame_where(co, NULL, where, sizeof where))
        snprintf(where, sizeof where, "%s", h->policy_dir);
    int has_policy_frame = frame_where(co, h->policy_dir, inpolicy, sizeof inpolicy);

    if (st == LUA_YIELD) {
        *err = bl_strdupf("%s: %s yielded outside a coroutine (coroutine.yield at the top of a policy)", where,
                          whobuf);
    } else if (h->guard.tripped != BL_TRIP_NONE) {
        char msg[400];
        bl_guard_describe(&h->guard, who ? who : h->who, msg, sizeof msg);
        if (!who) /* loading a file: describe it as such */
            snprintf(msg, sizeof msg, "%s ran past its %s", h->who,
                     h->guard.tripped == BL_TRIP_MEMORY ? "memory cap (--memory-mb)"
                     : h->guard.tripped == BL_TRIP_TIME ? "time limit (--timeout-ms)"
                                                        : "instruction budget (--budget)");
        const char *at = h->guard.where[0] ? h->guard.where : where;
        if (has_policy_frame && h->guard.tripped == BL_TRIP_MEMORY)
            at = inpolicy;
        *err = bl_strdupf("%s: %s", at, msg);
    } else if (st == LUA_ERRMEM) {
        *err = bl_strdupf("%s: %s ran out of memory", has_policy_frame ? inpolicy : where, whobuf);
    } else if (lua_type(co, -1) == LUA_TTABLE) { /* {field=, msg=}: the record is wrong */
        lua_getfield(co, -1, "msg");
        *err = bl_strdupf("%s", lua_tostring(co, -1) ? lua_tostring(co, -1) : "invalid record");
        rc = BL_INVALID;
    } else {
        const char *m = lua_tostring(co, -1);
        if (m == NULL)
            m = "(error object is not a string)";
        if (has_policy_frame && strstr(m, inpolicy) == NULL)
            *err = bl_strdupf("%s (%s, at %s)", m, whobuf, inpolicy);
        else if (who)
            *err = bl_strdupf("%s (%s)", m, whobuf);
        else
            *err = bl_strdupf("%s", m);
    }
    int memtrip = st == LUA_ERRMEM || h->guard.tripped == BL_TRIP_MEMORY;
    /* A fresh worker: an error thrown from the hook leaves the old thread with hooks disallowed
     * (Lua restores allowhook only in pcall, not in resume), so it cannot be reused. */
    lua_resetthread(co);
    luaL_unref(h->L, LUA_REGISTRYINDEX, h->co_ref);
    h->co = lua_newthread(h->L);
    h->co_ref = luaL_ref(h->L, LUA_REGISTRYINDEX);
    h->policy_now = NULL;
    h->guard.tripped = BL_TRIP_NONE;
    if (memtrip)
        lua_gc(h->L, LUA_GCCOLLECT);
    return rc;
}


static int eval(bl_host_t *h, const char *type, const cJSON *record, cJSON *owned, bl_store_t *reads, cJSON **out,
                char **err);

int bl_host_eval(bl_host_t *h, const char *type, const cJSON *record, bl_store_t *reads, cJSON **out, char **err)
{
    return eval(h, type, record, NULL, reads, out, err);
}

int bl_host_eval_take(bl_host_t *h, const char *type, cJSON *record, bl_store_t *reads, cJSON **out, char **err)
{
    return eval(h, type, record, record, reads, out, err);
}

static int eval(bl_host_t *h, const char *type, const cJSON *record, cJSON *owned, bl_store_t *reads, cJSON **out,
                char **err)
{
    *out = NULL;
    *err = NULL;
    if (!cJSON_IsObject(record)) {
        *err = bl_strdupf("a record must be a JSON object");
        cJSON_Delete(owned);
        return BL_INVALID;
    }
    lua_State *L = h->L;
    h->input = record;
    h->owned = owned;
    h->result = NULL;
    h->store = reads;
    snprintf(h->who, sizeof h->who, "the engine");
    lua_rawgeti(L, LUA_REGISTRYINDEX, h->eval_ref);
    lua_pushstring(L, type);
    int rc = worker_run(h, L, 1, err);
    h->input = NULL;
    h->store = NULL;
    cJSON_Delete(h->owned); /* not handed on: the evaluation failed before C.start */
    h->owned = NULL;
    if (rc != BL_OK) {
        cJSON_Delete(h->result);
        h->result = NULL;
        return rc;
    }
    *out = h->result;
    h->result = NULL;
    return BL_OK;
}

int bl_host_fire(bl_host_t *h, const char *type, const cJSON *record, const char *policy, const char *timer,
                 const cJSON *info, bl_store_t *reads, cJSON **out, char **err)
{
    *out = NULL;
    *err = NULL;
    lua_State *L = h->L;
    h->input = record;
    h->owned = NULL;
    h->result = NULL;
    h->store = reads;
    snprintf(h->who, sizeof h->who, "timer '%s' of policy '%s'", timer, policy);
    bl_host_push_runtime(h);
    lua_getfield(L, -1, "fire");
    lua_remove(L, -2);
    lua_pushstring(L, policy);
    lua_pushstring(L, timer);
    bl_lua_pushjson(L, info, 1);
    int rc = worker_run(h, L, 3, err);
    h->input = NULL;
    h->store = NULL;
    if (rc != BL_OK) {
        cJSON_Delete(h->result);
        h->result = NULL;
        return rc;
    }
    *out = h->result;
    h->result = NULL;
    (void)type;
    return BL_OK;
}

/* Loading ---------------------------------------------------------------------------------------- */

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Policy files of dir, sorted: *.lua that are not *_test.lua nor start with '_' or '.'. */
static char **list_policy_files(const char *dir, int *n)
{
    *n = 0;
    DIR *d = opendir(dir);
    if (d == NULL)
        return NULL;
    char **v = NULL;
    int cap = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' || e->d_name[0] == '_' || !ends_with(e->d_name, ".lua") ||
            ends_with(e->d_name, "_test.lua"))
            continue;
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            v = realloc(v, (size_t)cap * sizeof *v);
        }
        v[(*n)++] = bl_strdupf("%s/%s", dir, e->d_name);
    }
    closedir(d);
    if (*n)
        qsort(v, (size_t)*n, sizeof *v, cmp_str);
    return v;
}


/* Loads one policy file into the runtime; on failure appends "file:line: message" to errors. */
static void load_policy_file(bl_host_t *h, const char *path, bl_buf *errors)
{
    lua_State *L = h->L;
    size_t len;
    char *src = bl_read_file(path, &len);
    if (src == NULL) {
        bl_buf_printf(errors, "%s: cannot read the file\n", path);
        return;
    }
    char version[17], chunkname[1100];
    bl_source_version(src, len, version);
    snprintf(chunkname, sizeof chunkname, "@%s", path);
    int st = luaL_loadbufferx(L, src, len, chunkname, "t");
    free(src);
    if (st != LUA_OK) {
        bl_buf_printf(errors, "%s\n", lua_tostring(L, -1));
        lua_pop(L, 1);
        return;
    }
    bl_sandbox_push_env(L);
    lua_rawgeti(L, LUA_REGISTRYINDEX, h->rt_ref);
    lua_getfield(L, -1, "declarer");
    lua_pushstring(L, path);
    lua_pushstring(L, version);
    lua_call(L, 2, 1);
    lua_pushliteral(L, "policy");
    lua_insert(L, -2);
    lua_rawset(L, -4); /* env.policy = the declarer bound to this file (env refuses plain sets) */
    lua_pop(L, 1);
    lua_setupvalue(L, -2, 1);
    snprintf(h->who, sizeof h->who, "loading %s", path);
    bl_guard_begin(&h->guard, h->co);
    char *err = NULL;
    if (worker_run(h, L, 0, &err) != BL_OK) {
        bl_buf_printf(errors, "%s\n", err);
        free(err);
    }
}

static void add_module(lua_State *L, const char *name, lua_CFunction open)
{
    luaL_requiref(L, name, open, 0);
    bl_sandbox_set(L, name);
}

bl_host_t *bl_host_open(const bl_host_config *cfg, bl_buf *errors)
{
    bl_host_t *h = calloc(1, sizeof *h);
    h->guard.lim = cfg->limits;
    h->policy_dir = bl_strdupf("%s", cfg->policy_dir);
    h->scripts_dir = bl_strdupf("%s", cfg->scripts_dir);
    size_t pl = strlen(h->policy_dir);
    while (pl > 1 && h->policy_dir[pl - 1] == '/')
        h->policy_dir[--pl] = '\0';
    lua_State *L = h->L = bl_guard_newstate(&h->guard);
    if (L == NULL) {
        bl_buf_printf(errors, "cannot create a Lua state (memory cap %zu bytes)\n", cfg->limits.memory);
        free(h->policy_dir);
        free(h->scripts_dir);
        free(h);
        return NULL;
    }
    /* The runtime (trusted) sees the whole state's globals, with debug; policies see the sandbox. */
    luaL_requiref(L, "debug", luaopen_debug, 1);
    lua_pop(L, 1);
    bl_sandbox_open(L, h->scripts_dir, h->policy_dir);
    add_module(L, "json", luaopen_bylaw_json);
    add_module(L, "records", luaopen_bylaw_records);
    add_module(L, "ledger", luaopen_bylaw_ledger);
    add_module(L, "log", luaopen_bylaw_log);
    add_module(L, "bylaw", luaopen_bylaw_core);
    add_module(L, "calendar", luaopen_bylaw_calendar);
    lua_pushcfunction(L, bl_lua_print);
    bl_sandbox_set(L, "print");

    h->co = lua_newthread(L);
    h->co_ref = luaL_ref(L, LUA_REGISTRYINDEX);

    char rt[1100];
    snprintf(rt, sizeof rt, "%s/_runtime.lua", h->scripts_dir);
    if (luaL_loadfilex(L, rt, "t") != LUA_OK) {
        bl_buf_printf(errors, "%s (is --scripts pointing at the engine's scripts/ directory?)\n",
                      lua_tostring(L, -1));
        bl_host_close(h);
        return NULL;
    }
    static const luaL_Reg prims[] = {
        {"fields", c_fields},     {"begin", c_begin}, {"start", c_start}, {"decision", c_decision},
        {"point", c_point},       {"event", c_event}, {"deadline", c_deadline}, {"cancel", c_cancel},
        {"now", c_now},           {NULL, NULL},
    };
    luaL_newlib(L, prims);
    bl_lua_pushnull(L);
    lua_setfield(L, -2, "NIL");
    if (lua_pcall(L, 1, 1, 0) != LUA_OK) {
        bl_buf_printf(errors, "%s\n", lua_tostring(L, -1));
        bl_host_close(h);
        return NULL;
    }
    lua_getfield(L, -1, "evaluate");
    h->eval_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    if (luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE) && lua_getfield(L, -1, "calendar") == LUA_TTABLE)
        lua_setfield(L, -3, "calendar"); /* R.calendar: the runtime computes deadlines with it */
    else
        lua_pop(L, 1);
    lua_pop(L, 1);
    h->rt_ref = luaL_ref(L, LUA_REGISTRYINDEX);

    int n;
    char **files = list_policy_files(h->policy_dir, &n);
    size_t before = errors->len;
    if (files == NULL && n == 0) {
        DIR *d = opendir(h->policy_dir);
        if (d == NULL)
            bl_buf_printf(errors, "%s: cannot open the policy directory\n", h->policy_dir);
        else
            closedir(d);
    }
    for (int i = 0; i < n; i++) {
        load_policy_file(h, files[i], errors);
        free(files[i]);
    }
    free(files);
    bl_host_push_runtime(h);
    lua_getfield(L, -1, "seal");
    lua_call(L, 0, 0);
    lua_pop(L, 1);
    if (errors->len != before) {
        bl_host_close(h);
        return NULL;
    }
    lua_gc(L, LUA_GCCOLLECT);
    lua_gc(L, LUA_GCGEN, 0, 0); /* short-lived tables per record: generational mode suits them */
    return h;
}

void bl_host_close(bl_host_t *h)
{
    if (h == NULL)
        return;
    if (h->L)
        lua_close(h->L);
    free(h->policy_dir);
    free(h->scripts_dir);
    free(h);
}

cJSON *bl_host_policies(bl_host_t *h)
{
    lua_State *L = h->L;
    cJSON *a = cJSON_CreateArray();
    bl_host_push_runtime(h);
    lua_getfield(L, -1, "list");
    lua_Integer n = luaL_len(L, -1);
    for (lua_Integer i = 1; i <= n; i++) {
        lua_rawgeti(L, -1, i);
        int p = lua_gettop(L);
        cJSON *o = cJSON_CreateObject();
        cJSON_AddItemToArray(a, o);
        bl_json_add_str(o, "name", field_str(L, p, "name"));
        bl_json_add_str(o, "type", field_str(L, p, "type"));
        lua_getfield(L, p, "order");
        bl_json_add_num(o, "order", lua_tonumber(L, -1));
        lua_getfield(L, p, "line");
        bl_json_add_str(o, "file", field_str(L, p, "file"));
        bl_json_add_num(o, "line", (double)lua_tointeger(L, -1));
        bl_json_add_str(o, "version", field_str(L, p, "version"));
        lua_settop(L, p - 1);
    }
    lua_pop(L, 2);
    return a;
}

int bl_host_knows_type(bl_host_t *h, const char *type)
{
    lua_State *L = h->L;
    bl_host_push_runtime(h);
    lua_getfield(L, -1, "by_type");
    lua_getfield(L, -1, type);
    int known = !lua_isnil(L, -1);
    lua_pop(L, 3);
    return known;
}
