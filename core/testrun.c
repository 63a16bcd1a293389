/* testrun.c — runs policy tests: loads each *_test.lua with the test API (test, eval, put, fixture, get and
 * the assertions of scripts/_testrun.lua), gives every test a fresh in-memory store and a clock of its own,
 * keeps what each test prints, times it, and hands the results to the reporter (testreport.c); with
 * coverage, counts the policy lines the tests run (coverage.c). */
#include "testrun.h"

#include <dirent.h>
#include <errno.h>
#include <lauxlib.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "coverage.h"
#include "engine.h"
#include "lcalendar.h"
#include "luajson.h"
#include "sandbox.h"

/* The whole run. */
typedef struct run {
    const bl_host_config *cfg;
    bl_reporter *rep;
    bl_cov *cov;        /* NULL: no coverage */
    const char *only;   /* run only the tests whose name contains this (NULL: all) */
    bl_buf captured;    /* what the running test (or file) printed, and the policies' log lines */
    int passed, failed;
} run;

/* One test file. */
typedef struct runner {
    run *run;
    bl_host_t *h;
    bl_store_t *store;
    const char *file; /* the test file, as shown */
} runner;

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
    if (ar->event == LUA_HOOKLINE) { /* coverage: a test running a policy module's function itself */
        bl_cov_hook(L, ar);
        return;
    }
    bl_guard *g = test_guard;
    if (g == NULL || !atomic_load(&g->armed))
        return;
    if (!atomic_load(&g->expired) && now_ns() < g->deadline_ns)
        return;
    atomic_store(&g->expired, 1); /* and raise again at every check after, whatever catches it */
    luaL_error(L, "%s ran past its time limit of %d ms (--test-timeout-ms)", g->label, g->lim.timeout_ms);
}

static int test_lines; /* coverage: the test threads take line events too */

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
    lua_sethook(L, test_hook, LUA_MASKCOUNT | (test_lines ? LUA_MASKLINE : 0), 10000);
}

static void test_end(lua_State *L)
{
    lua_sethook(L, NULL, 0, 0);
    bl_guard_end(test_guard);
}

/* Pushes what was printed since the last take, and forgets it. */
static void take_captured(lua_State *L, run *u)
{
    lua_pushlstring(L, u->captured.data ? u->captured.data : "", u->captured.len);
    u->captured.len = 0;
    if (u->captured.data)
        u->captured.data[0] = '\0';
}

/* C.run_test(name, fn) -> ok, error, ms, output: runs fn on a thread of its own under the test limit (the
 * runner's own code, which reports, runs without it); ms: how long it took; output: what it printed. */
static int t_run_test(lua_State *L)
{
    runner *r = runner_of(L);
    const char *name = luaL_checkstring(L, 1);
    luaL_checktype(L, 2, LUA_TFUNCTION);
    lua_State *co = lua_newthread(L);
    lua_pushvalue(L, 2);
    lua_xmove(L, co, 1);
    uint64_t t0 = now_ns();
    test_begin(co, "test", name, r->file);
    int nres = 0, st = lua_resume(co, L, 0, &nres);
    test_end(co);
    double ms = (double)(now_ns() - t0) / 1e6;
    if (st == LUA_OK) {
        lua_pushboolean(L, 1);
        lua_pushnil(L);
    } else {
        lua_pushboolean(L, 0);
        if (st == LUA_YIELD)
            lua_pushliteral(L, "the test yielded (coroutine.yield outside a coroutine of its own)");
        else
            lua_xmove(co, L, 1);
    }
    lua_pushnumber(L, ms);
    take_captured(L, r->run);
    return 4;
}

/* C.report(name, line, ok, message, output, ms): a test's result, for the reporter. */
static int t_report(lua_State *L)
{
    runner *r = runner_of(L);
    bl_test_case t = {.name = luaL_checkstring(L, 1), .line = (int)luaL_checkinteger(L, 2), .ok = lua_toboolean(L, 3),
                      .message = lua_tostring(L, 4), .output = lua_tostring(L, 5), .ms = luaL_optnumber(L, 6, 0)};
    if (t.ok)
        r->run->passed++;
    else
        r->run->failed++;
    bl_report_case(r->run->rep, &t);
    return 0;
}

/* C.capture(text): what a test prints. */
static int t_capture(lua_State *L)
{
    size_t n;
    const char *s = luaL_checklstring(L, 1, &n);
    bl_buf_add(&runner_of(L)->run->captured, s, n);
    return 0;
}

/* The policies' log lines (print, log.info, log.warn) while tests run: kept with the test, as the log
 * would have them. */
static void capture_sink(void *ud, const char *level, const char *policy, const char *where, const char *msg,
                         size_t len)
{
    bl_buf *b = &((run *)ud)->captured;
    bl_buf_printf(b, "%s policy=%s at=%s: ", level, policy ? policy : "-", where);
    bl_log_escape(b, msg, len);
    bl_buf_add(b, "\n", 1);
}

static cJSON *check_fields(lua_State *L, int idx)
{
    luaL_checktype(L, idx, LUA_TTABLE);
    char err[200];
    cJSON *j = bl_lua_tojson(L, idx, err, sizeof err);
    if (j == NULL)
        luaL_error(L, "the fields: %s", err);
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
        luaL_error(L, "the record needs a string 'id'");
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

/* A list of strings (each malloc'd). */
typedef struct bl_strings {
    char **v;
    int n, cap;
} bl_strings;

static void strings_add(bl_strings *l, const char *s)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 16;
        l->v = realloc(l->v, (size_t)l->cap * sizeof *l->v);
    }
    l->v[l->n++] = bl_strdupf("%s", s);
}

static void strings_free(bl_strings *l)
{
    for (int i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    *l = (bl_strings){0};
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* The test file could not run: one failure, with what it printed. */
static void file_failed(runner *r, const char *msg)
{
    r->run->failed++;
    bl_buf *b = &r->run->captured;
    bl_report_file_error(r->run->rep, msg ? msg : "(error object is not a string)", b->data ? b->data : "");
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

/* Loads _testrun.lua and the test file into L, gives the file the test API and runs its top level (which
 * declares the tests). Leaves T (_testrun.lua's table) on top and returns BL_OK, or reports the file failed. */
static int load_file(runner *r, lua_State *L, const char *path, const char *shown)
{
    static const luaL_Reg prims[] = {
        {"reset", t_reset},   {"encode", t_encode}, {"run_test", t_run_test}, {"report", t_report},
        {"capture", t_capture}, {"eval", t_eval},   {"put", t_put},           {NULL, NULL},
    };
    luaL_newlibtable(L, prims);
    lua_pushlightuserdata(L, r);
    luaL_setfuncs(L, prims, 1);
    bl_host_push_runtime(r->h);
    lua_setfield(L, -2, "runtime");
    bl_lua_pushnull(L);
    if (bl_script_run(L, r->run->cfg->scripts_dir, "_show.lua", 1) != LUA_OK) {
        file_failed(r, lua_tostring(L, -1));
        return BL_ERR;
    }
    lua_setfield(L, -2, "values");
    if (bl_script_run(L, r->run->cfg->scripts_dir, "_testrun.lua", 1) != LUA_OK) {
        file_failed(r, lua_tostring(L, -1));
        return BL_ERR;
    }
    int T = lua_gettop(L);
    if (bl_sandbox_loadfile_as(L, path, shown) != LUA_OK) {
        file_failed(r, lua_tostring(L, -1));
        return BL_ERR;
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
        {"fixture", t_fixture}, {"get", t_get}, {"ledger", t_ledger}, {"timers", t_timers}, {NULL, NULL},
    };
    for (const luaL_Reg *f = api; f->name; f++) {
        lua_pushstring(L, f->name);
        lua_pushlightuserdata(L, r);
        lua_pushcclosure(L, f->func, 1);
        lua_rawset(L, env);
    }
    static const luaL_Reg clock[] = {
        {"set", t_clock_set}, {"advance", t_clock_advance}, {"now", t_clock_now}, {NULL, NULL},
    };
    lua_pushliteral(L, "clock");
    luaL_newlibtable(L, clock);
    lua_pushlightuserdata(L, r);
    luaL_setfuncs(L, clock, 1);
    lua_rawset(L, env);
    lua_pop(L, 1);
    test_begin(L, "the top level", "", shown);
    int st = lua_pcall(L, 0, 0, 0);
    test_end(L);
    if (st != LUA_OK) {
        file_failed(r, lua_tostring(L, -1));
        return BL_ERR;
    }
    lua_settop(L, T);
    return BL_OK;
}

/* Runs one test file (path; named `shown` in messages) against the policies of its directory. */
static void run_file(run *u, const char *path, const char *shown)
{
    char dir[1024], display[1024];
    dir_of(path, dir, sizeof dir);
    dir_of(shown, display, sizeof display);
    runner r = {u, NULL, NULL, shown};
    bl_report_file(u->rep, shown);
    bl_host_config c = *u->cfg;
    c.policy_dir = dir;
    c.display_dir = display;
    if (u->cov) {
        bl_cov_dir(u->cov, dir, display);
        c.line_hook = bl_cov_hook;
    }
    bl_buf errors = {0};
    bl_host_t *h = bl_host_open(&c, &errors);
    if (h == NULL) {
        char *msg = bl_strdupf("the policies in %s do not load:\n%s", display, errors.data ? errors.data : "?");
        file_failed(&r, msg);
        free(msg);
        bl_buf_free(&errors);
        return;
    }
    bl_buf_free(&errors);
    lua_State *L = bl_host_state(h);
    r.h = h;
    char *err = NULL;
    if (bl_store_open(":memory:", &r.store, &err) != BL_OK) {
        file_failed(&r, err);
        free(err);
        bl_host_close(h);
        return;
    }
    if (load_file(&r, L, path, shown) == BL_OK) {
        int T = lua_gettop(L);
        take_captured(L, u);
        bl_report_file_output(u->rep, lua_tostring(L, -1));
        lua_pop(L, 1);
        lua_getfield(L, T, "run");
        lua_pushstring(L, u->only);
        if (lua_pcall(L, 1, 0, 0) != LUA_OK)
            file_failed(&r, lua_tostring(L, -1));
    }
    bl_clock_set_real();
    lua_settop(L, 0);
    bl_store_close(r.store);
    bl_host_close(h);
}

/* The path of each *_test.lua under dir, sorted, added to files. */
static void collect(const char *dir, bl_strings *files)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return;
    bl_strings found = {0};
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char *p = bl_strdupf("%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(p, &st) == 0 && S_ISDIR(st.st_mode))
            strings_add(&found, p); /* searched below, in order */
        else if (ends_with(e->d_name, "_test.lua"))
            strings_add(&found, p);
        free(p);
    }
    closedir(d);
    if (found.n)
        qsort(found.v, (size_t)found.n, sizeof *found.v, cmp_str);
    for (int i = 0; i < found.n; i++) {
        struct stat st;
        if (stat(found.v[i], &st) == 0 && S_ISDIR(st.st_mode))
            collect(found.v[i], files);
        else
            strings_add(files, found.v[i]);
    }
    strings_free(&found);
}

/* The test files of the paths (files, and directories searched), each once, in the order given: their
 * paths and the names messages give them (display_dir for the one directory when given). BL_INVALID, said
 * on stderr, when a path is neither. */
static int test_files(const char *const *paths, int npaths, const char *display_dir, bl_strings *files,
                      bl_strings *shown)
{
    bl_strings seen = {0};
    int rc = BL_OK;
    for (int i = 0; i < npaths && rc == BL_OK; i++) {
        char root[PATH_MAX];
        snprintf(root, sizeof root, "%s", paths[i]);
        size_t rl = strlen(root);
        while (rl > 1 && root[rl - 1] == '/')
            root[--rl] = '\0';
        struct stat st;
        bl_strings found = {0};
        if (stat(root, &st) != 0) {
            fprintf(stderr, "bylaw test: %s: %s\n", root, strerror(errno));
            rc = BL_INVALID;
        } else if (S_ISDIR(st.st_mode)) {
            collect(root, &found);
        } else if (!ends_with(root, "_test.lua")) {
            fprintf(stderr, "bylaw test: %s is not a test file (a *_test.lua file, or a directory of them)\n", root);
            rc = BL_INVALID;
        } else {
            strings_add(&found, root);
        }
        for (int k = 0; k < found.n; k++) {
            char real[PATH_MAX];
            if (realpath(found.v[k], real) == NULL)
                snprintf(real, sizeof real, "%s", found.v[k]);
            int dup = 0;
            for (int j = 0; j < seen.n && !dup; j++)
                dup = strcmp(seen.v[j], real) == 0;
            if (dup)
                continue;
            strings_add(&seen, real);
            strings_add(files, found.v[k]);
            if (display_dir && S_ISDIR(st.st_mode)) { /* found.v[k] starts with root */
                char *s = bl_strdupf("%s%s", display_dir, found.v[k] + rl);
                strings_add(shown, s);
                free(s);
            } else {
                strings_add(shown, found.v[k]);
            }
        }
        strings_free(&found);
    }
    strings_free(&seen);
    return rc;
}

/* Runs the files, reporting to u->rep; the counts in u. */
static void run_files(run *u, const bl_strings *files, const bl_strings *shown)
{
    bl_guard g = {.lim = {.budget = 1LL << 62, .timeout_ms = u->cfg->limits.test_timeout_ms > 0
                                                                 ? u->cfg->limits.test_timeout_ms
                                                                 : 10000},
                  .hook = test_hook, .option = "--test-timeout-ms"};
    test_guard = &g;
    test_lines = u->cov != NULL;
    bl_guard_watch(&g);
    bl_log_sink before;
    void *before_ud;
    bl_log_get_sink(&before, &before_ud);
    bl_log_set_sink(capture_sink, u);
    for (int i = 0; i < files->n; i++)
        run_file(u, files->v[i], shown->v[i]);
    bl_log_set_sink(before, before_ud);
    bl_cov_stop();
    bl_guard_close(&g);
    test_guard = NULL;
    test_lines = 0;
    bl_buf_free(&u->captured);
}

int bl_test_main(const bl_test_opts *o, const bl_host_config *cfg, FILE *out, bl_test_summary *s)
{
    *s = (bl_test_summary){.threshold = o->coverage ? o->threshold : -1};
    const char *dflt[] = {cfg->policy_dir};
    bl_strings files = {0}, shown = {0};
    int rc = test_files(o->npaths ? o->paths : dflt, o->npaths ? o->npaths : 1, NULL, &files, &shown);
    if (rc != BL_OK) {
        strings_free(&files);
        strings_free(&shown);
        return rc;
    }
    run u = {.cfg = cfg, .rep = bl_reporter_new(out, o->verbose, o->json), .only = o->only,
             .cov = o->coverage ? bl_cov_new() : NULL};
    uint64_t t0 = now_ns();
    run_files(&u, &files, &shown);
    s->ms = (double)(now_ns() - t0) / 1e6;
    s->passed = u.passed;
    s->failed = u.failed;
    cJSON *cov = NULL;
    if (u.cov) {
        char *err = NULL;
        cov = bl_cov_report(u.cov, cfg->scripts_dir, &err);
        if (cov == NULL) {
            fprintf(stderr, "bylaw test: cannot count the coverage: %s\n", err);
            free(err);
            rc = BL_ERR;
        } else if (s->threshold >= 0 && bl_json_num(cov, "percent", 0) < s->threshold) {
            s->below_threshold = 1;
        }
    }
    bl_report_end(u.rep, s, cov);
    cJSON_Delete(cov);
    bl_cov_free(u.cov);
    bl_reporter_free(u.rep);
    strings_free(&files);
    strings_free(&shown);
    return rc;
}

int bl_test_run(const char *dir, const char *only, const bl_host_config *cfg, FILE *out, int *passed, int *failed)
{
    *passed = *failed = 0;
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "bylaw test: '%s' is not a directory\n", dir);
        return BL_ERR;
    }
    bl_strings files = {0}, shown = {0};
    test_files(&dir, 1, cfg->display_dir, &files, &shown);
    run u = {.cfg = cfg, .rep = bl_reporter_new(out, 1, 0), .only = only};
    run_files(&u, &files, &shown);
    *passed = u.passed;
    *failed = u.failed;
    bl_reporter_free(u.rep);
    strings_free(&files);
    strings_free(&shown);
    return BL_OK;
}
