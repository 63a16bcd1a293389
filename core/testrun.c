/* testrun.c — runs policy tests: loads each *_test.lua with the test API (test, eval, put, fixture,
 * get and the assertions of scripts/_testrun.lua), gives every test a fresh in-memory store, and
 * counts what passed and failed. */
#include "testrun.h"

#include <dirent.h>
#include <stdarg.h>
#include <lauxlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "engine.h"
#include "lcalendar.h"
#include "luajson.h"
#include "sandbox.h"

typedef struct runner {
    bl_host_t *h;
    bl_store_t *store;
    FILE *out;
    const char *file; /* the test file, as shown */
    const char *only; /* run only the tests whose name contains this (NULL: all) */
    int named;        /* the file's name is printed */
} runner;

/* Prints the test file's name once, before the first line about it (every file's, without a filter). */
static void name_file(runner *r)
{
    if (!r->named)
        fprintf(r->out, "%s\n", r->file);
    r->named = 1;
}

static void say(runner *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(runner *r, const char *fmt, ...)
{
    name_file(r);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(r->out, fmt, ap);
    va_end(ap);
}

static runner *runner_of(lua_State *L) { return lua_touserdata(L, lua_upvalueindex(1)); }

/* Each test (and each test file's top level) runs under a wall-clock limit, --test-timeout-ms: a count
 * hook on the test's thread, and the guard's watchdog for a test stuck inside a C function. */
static _Thread_local bl_guard *test_guard;

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void test_hook(lua_State *L, lua_Debug *ar)
{
    (void)ar;
    bl_guard *g = test_guard;
    if (g == NULL || !atomic_load(&g->armed))
        return;
    if (!atomic_load(&g->expired) && now_ns() < g->deadline_ns)
        return;
    atomic_store(&g->expired, 1); /* and raise again at every check after, whatever catches it */
    luaL_error(L, "%s ran past its time limit of %d ms (--test-timeout-ms)", g->label, g->lim.timeout_ms);
}

static void test_begin(lua_State *L, const char *what, const char *name, const char *file)
{
    bl_guard *g = test_guard;
    if (name[0])
        snprintf(g->label, sizeof g->label, "%s '%.60s' of %.60s", what, name, file);
    else
        snprintf(g->label, sizeof g->label, "%s of %.100s", what, file);
    atomic_store(&g->policy, NULL);
    bl_guard_begin(g, L);
    g->deadline_ns = now_ns() + (uint64_t)g->lim.timeout_ms * 1000000u;
    lua_sethook(L, test_hook, LUA_MASKCOUNT, 10000);
}

static void test_end(lua_State *L)
{
    lua_sethook(L, NULL, 0, 0);
    bl_guard_end(test_guard);
}

/* C.run_test(name, fn) -> true | false, error: runs fn on a thread of its own under the test limit (the
 * runner's own code, which reports, runs without it). */
static int t_run_test(lua_State *L)
{
    const char *name = luaL_checkstring(L, 1);
    luaL_checktype(L, 2, LUA_TFUNCTION);
    lua_State *co = lua_newthread(L);
    lua_pushvalue(L, 2);
    lua_xmove(L, co, 1);
    test_begin(co, "test", name, runner_of(L)->file);
    int nres = 0, st = lua_resume(co, L, 0, &nres);
    test_end(co);
    if (st == LUA_OK) {
        lua_pushboolean(L, 1);
        return 1;
    }
    lua_pushboolean(L, 0);
    if (st == LUA_YIELD)
        lua_pushliteral(L, "the test yielded (coroutine.yield outside a coroutine of its own)");
    else
        lua_xmove(co, L, 1);
    return 2;
}

static cJSON *check_fields(lua_State *L, int idx)
{
    luaL_checktype(L, idx, LUA_TTABLE);
    char err[200];
    cJSON *j = bl_lua_tojson(L, idx, err, sizeof err);
    if (j == NULL)
        luaL_argerror(L, idx, err);
    if (!cJSON_IsObject(j)) {
        cJSON_Delete(j);
        return cJSON_CreateObject(); /* an array of fields is no record */
    }
    return j;
}

/* The fields at idx as a record that has a string "id" (raises otherwise). */
static cJSON *check_record(lua_State *L, int idx, const char **id)
{
    cJSON *rec = check_fields(L, idx);
    *id = bl_json_str(rec, "id");
    if (*id == NULL) {
        cJSON_Delete(rec);
        luaL_argerror(L, idx, "the record needs a string 'id'");
    }
    return rec;
}

static int push_result_or_raise(lua_State *L, int rc, cJSON *out, char *err)
{
    if (rc != BL_OK) {
        lua_pushstring(L, err ? err : "failed");
        free(err);
        return lua_error(L);
    }
    bl_lua_pushjson(L, out, 1);
    cJSON_Delete(out);
    return 1;
}

static int t_eval(lua_State *L)
{
    runner *r = runner_of(L);
    const char *type = luaL_checkstring(L, 1);
    cJSON *rec = check_fields(L, 2);
    cJSON *out = NULL;
    char *err = NULL;
    bl_store_reader sr;
    int rc = bl_host_eval(r->h, type, rec, bl_store_reader_init(&sr, r->store), &out, &err);
    cJSON_Delete(rec);
    return push_result_or_raise(L, rc, out, err);
}

static int t_put(lua_State *L)
{
    runner *r = runner_of(L);
    const char *type = luaL_checkstring(L, 1);
    const char *id;
    cJSON *rec = check_record(L, 2, &id);
    cJSON *out = NULL;
    char *err = NULL;
    int rc = bl_engine_put(r->h, r->store, type, id, rec, -1, "write", &out, &err);
    cJSON_Delete(rec);
    return push_result_or_raise(L, rc, out, err);
}

static int t_fixture(lua_State *L)
{
    runner *r = runner_of(L);
    const char *type = luaL_checkstring(L, 1);
    const char *id;
    cJSON *rec = check_record(L, 2, &id);
    cJSON_DeleteItemFromObjectCaseSensitive(rec, "type");
    cJSON_AddStringToObject(rec, "type", type);
    int64_t v;
    int rc = bl_store_begin(r->store);
    if (rc == BL_OK)
        rc = bl_store_put(r->store, type, id, rec, -1, bl_clock_now_ms(), &v);
    if (rc == BL_OK)
        rc = bl_store_commit(r->store);
    else
        bl_store_rollback(r->store);
    cJSON_Delete(rec);
    if (rc != BL_OK)
        return luaL_error(L, "fixture: %s", bl_store_errmsg(r->store));
    return 0;
}

static int t_get(lua_State *L)
{
    runner *r = runner_of(L);
    bl_record rec = {0};
    int rc = bl_store_get(r->store, luaL_checkstring(L, 1), luaL_checkstring(L, 2), &rec);
    if (rc == BL_NOTFOUND)
        return lua_pushnil(L), 1;
    if (rc != BL_OK)
        return luaL_error(L, "get: %s", bl_store_errmsg(r->store));
    bl_lua_pushjson(L, rec.fields, 1);
    bl_record_clear(&rec);
    return 1;
}

static int t_ledger(lua_State *L)
{
    runner *r = runner_of(L);
    cJSON *out = NULL;
    if (bl_store_ledger(r->store, luaL_checkstring(L, 1), luaL_checkstring(L, 2), &out) != BL_OK)
        return luaL_error(L, "ledger: %s", bl_store_errmsg(r->store));
    bl_lua_pushjson(L, out, 1);
    cJSON_Delete(out);
    return 1;
}

/* clock.set(t): t is seconds or ISO 8601 text (in the default calendar's zone). Fires nothing. */
static int t_clock_set(lua_State *L)
{
    bl_cal_t *cal = bl_calendar_get(L, NULL);
    int64_t ms;
    if (lua_type(L, 1) == LUA_TSTRING) {
        char *err = NULL;
        if (bl_cal_time_parse(cal, lua_tostring(L, 1), &ms, &err) != BL_OK) {
            lua_pushstring(L, err);
            free(err);
            return luaL_argerror(L, 1, lua_tostring(L, -1));
        }
    } else {
        ms = (int64_t)(luaL_checknumber(L, 1) * 1000.0);
    }
    bl_clock_set_virtual(ms);
    return 0;
}

/* clock.advance(duration | "next"): moves the clock, firing due timers in order; returns how many. */
static int t_clock_advance(lua_State *L)
{
    runner *r = runner_of(L);
    int64_t target;
    char *err = NULL;
    int rc = bl_engine_advance_target(r->store, bl_calendar_get(L, NULL), luaL_checkstring(L, 1), bl_clock_now_ms(),
                                      &target, &err);
    if (rc == BL_NOTFOUND)
        return lua_pushinteger(L, 0), 1; /* nothing pending */
    if (rc != BL_OK) {
        lua_pushstring(L, err ? err : bl_store_errmsg(r->store));
        free(err);
        return rc == BL_INVALID ? luaL_argerror(L, 1, lua_tostring(L, -1)) : luaL_error(L, "clock.advance: %s", lua_tostring(L, -1));
    }
    int fired = 0;
    rc = bl_engine_advance(r->h, r->store, target, NULL, &fired, &err);
    if (rc != BL_OK || err) {
        lua_pushfstring(L, "clock.advance: %s", err ? err : "failed");
        free(err);
        return lua_error(L);
    }
    lua_pushinteger(L, fired);
    return 1;
}

static int t_clock_now(lua_State *L)
{
    lua_pushinteger(L, (lua_Integer)(bl_clock_now_ms() / 1000));
    return 1;
}

/* timers([type [, id]]): the pending timers, oldest first. */
static int t_timers(lua_State *L)
{
    runner *r = runner_of(L);
    cJSON *out = NULL;
    if (bl_store_timers(r->store, luaL_optstring(L, 1, NULL), luaL_optstring(L, 2, NULL), -1, 1000, &out) != BL_OK)
        return luaL_error(L, "timers: %s", bl_store_errmsg(r->store));
    bl_lua_pushjson(L, out, 1);
    cJSON_Delete(out);
    return 1;
}

static int t_reset(lua_State *L)
{
    runner *r = runner_of(L);
    bl_store_close(r->store);
    r->store = NULL;
    char *err = NULL;
    if (bl_store_open(":memory:", &r->store, &err) != BL_OK) {
        lua_pushstring(L, err);
        free(err);
        return lua_error(L);
    }
    bl_clock_set_virtual(bl_clock_real_ms()); /* each test starts at now, on a clock only it moves */
    return 0;
}

static int t_out(lua_State *L)
{
    name_file(runner_of(L));
    fputs(luaL_checkstring(L, 1), runner_of(L)->out);
    return 0;
}

static int t_encode(lua_State *L)
{
    char err[200];
    cJSON *j = bl_lua_tojson(L, 1, err, sizeof err);
    if (j == NULL)
        return luaL_error(L, "%s", err);
    char *s = bl_json_dump(j);
    cJSON_Delete(j);
    lua_pushstring(L, s);
    free(s);
    return 1;
}

/* The directory of path into dir. */
static void dir_of(const char *path, char *dir, size_t n)
{
    snprintf(dir, n, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = '\0';
    else
        snprintf(dir, n, ".");
}

/* Runs one test file (named `shown` in messages); adds to the counts. */
static void run_file(const char *path, const char *shown, const char *only, const bl_host_config *cfg, FILE *out,
                     int *passed, int *failed)
{
    char dir[1024], display[1024];
    dir_of(path, dir, sizeof dir);
    dir_of(shown, display, sizeof display);
    runner r = {NULL, NULL, out, shown, only, 0};
    if (only == NULL)
        name_file(&r);
    bl_host_config c = *cfg;
    c.policy_dir = dir;
    c.display_dir = display;
    bl_buf errors = {0};
    bl_host_t *h = bl_host_open(&c, &errors);
    if (h == NULL) {
        say(&r, "  FAIL  the policies in %s do not load:\n        %s", display, errors.data ? errors.data : "?\n");
        bl_buf_free(&errors);
        (*failed)++;
        return;
    }
    bl_buf_free(&errors);
    lua_State *L = bl_host_state(h);
    r.h = h;
    char *err = NULL;
    if (bl_store_open(":memory:", &r.store, &err) != BL_OK) {
        say(&r, "  FAIL  %s\n", err);
        free(err);
        (*failed)++;
        bl_host_close(h);
        return;
    }

    char tr[1100];
    snprintf(tr, sizeof tr, "%s/_testrun.lua", cfg->scripts_dir);
    if (luaL_loadfilex(L, tr, "t") != LUA_OK) {
        say(&r, "  FAIL  %s\n", lua_tostring(L, -1));
        goto done_fail;
    }
    static const luaL_Reg prims[] = {{"reset", t_reset},         {"out", t_out},         {"encode", t_encode},
                                     {"run_test", t_run_test}, {NULL, NULL}};
    luaL_newlibtable(L, prims);
    lua_pushlightuserdata(L, &r);
    luaL_setfuncs(L, prims, 1);
    if (lua_pcall(L, 1, 1, 0) != LUA_OK) {
        say(&r, "  FAIL  %s\n", lua_tostring(L, -1));
        goto done_fail;
    }
    int T = lua_gettop(L);

    if (bl_sandbox_loadfile_as(L, path, shown) != LUA_OK) {
        say(&r, "  FAIL  %s\n", lua_tostring(L, -1));
        lua_settop(L, 0);
        goto done_fail;
    }
    lua_getupvalue(L, -1, 1); /* the test file's environment */
    int env = lua_gettop(L);
    lua_getfield(L, T, "env");
    for (lua_pushnil(L); lua_next(L, -2); lua_pop(L, 1)) {
        lua_pushvalue(L, -2);
        lua_pushvalue(L, -2);
        lua_rawset(L, env);
    }
    lua_pop(L, 1);
    static const luaL_Reg api[] = {
        {"eval", t_eval}, {"put", t_put}, {"fixture", t_fixture}, {"get", t_get}, {"ledger", t_ledger},
        {"timers", t_timers}, {NULL, NULL},
    };
    for (const luaL_Reg *f = api; f->name; f++) {
        lua_pushstring(L, f->name);
        lua_pushlightuserdata(L, &r);
        lua_pushcclosure(L, f->func, 1);
        lua_rawset(L, env);
    }
    static const luaL_Reg clock[] = {
        {"set", t_clock_set}, {"advance", t_clock_advance}, {"now", t_clock_now}, {NULL, NULL},
    };
    lua_pushliteral(L, "clock");
    luaL_newlibtable(L, clock);
    lua_pushlightuserdata(L, &r);
    luaL_setfuncs(L, clock, 1);
    lua_rawset(L, env);
    lua_pop(L, 1);
    test_begin(L, "the top level", "", shown);
    int st = lua_pcall(L, 0, 0, 0);
    test_end(L);
    if (st != LUA_OK) {
        say(&r, "  FAIL  %s\n", lua_tostring(L, -1) ? lua_tostring(L, -1) : "(error object is not a string)");
        lua_settop(L, 0);
        goto done_fail;
    }
    lua_getfield(L, T, "run");
    lua_pushstring(L, shown);
    lua_pushstring(L, only);
    if (lua_pcall(L, 2, 2, 0) != LUA_OK) {
        say(&r, "  FAIL  %s\n", lua_tostring(L, -1));
        lua_settop(L, 0);
        goto done_fail;
    }
    bl_clock_set_real();
    *passed += (int)lua_tointeger(L, -2);
    *failed += (int)lua_tointeger(L, -1);
    lua_settop(L, 0);
    bl_store_close(r.store);
    bl_host_close(h);
    return;
done_fail:
    (*failed)++;
    lua_settop(L, 0);
    bl_store_close(r.store);
    bl_host_close(h);
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void collect(const char *dir, char ***v, int *n, int *cap)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char *p = bl_strdupf("%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(p, &st) == 0 && S_ISDIR(st.st_mode)) {
            collect(p, v, n, cap);
            free(p);
            continue;
        }
        size_t len = strlen(e->d_name);
        if (len < 9 || strcmp(e->d_name + len - 9, "_test.lua") != 0) {
            free(p);
            continue;
        }
        if (*n == *cap) {
            *cap = *cap ? *cap * 2 : 16;
            *v = realloc(*v, (size_t)*cap * sizeof **v);
        }
        (*v)[(*n)++] = p;
    }
    closedir(d);
}

int bl_test_run(const char *dir, const char *only, const bl_host_config *cfg, FILE *out, int *passed, int *failed)
{
    *passed = *failed = 0;
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "bylaw test: '%s' is not a directory\n", dir);
        return BL_ERR;
    }
    char **files = NULL;
    int n = 0, cap = 0;
    char root[1024];
    snprintf(root, sizeof root, "%s", dir);
    size_t rl = strlen(root);
    while (rl > 1 && root[rl - 1] == '/')
        root[--rl] = '\0';
    collect(root, &files, &n, &cap);
    bl_guard g = {.lim = {.budget = 1LL << 62, .timeout_ms = cfg->limits.test_timeout_ms > 0 ? cfg->limits.test_timeout_ms
                                                                                              : 10000},
                  .hook = test_hook, .option = "--test-timeout-ms"};
    test_guard = &g;
    bl_guard_watch(&g);
    if (n)
        qsort(files, (size_t)n, sizeof *files, cmp_str);
    const char *display = cfg->display_dir ? cfg->display_dir : root;
    for (int i = 0; i < n; i++) {
        char *shown = bl_strdupf("%s%s", display, files[i] + rl); /* files[i] starts with root */
        run_file(files[i], shown, only, cfg, out, passed, failed);
        free(shown);
        free(files[i]);
    }
    free(files);
    bl_guard_close(&g);
    test_guard = NULL;
    return BL_OK;
}
