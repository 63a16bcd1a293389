/* repl_lua.c — the Lua typed at `bylaw repl`: lines that keep their locals, Ctrl-C, the commands' tables. */
#include <lauxlib.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "luajson.h"
#include "repl.h"
#include "sandbox.h"

/* The helpers of scripts/ that lines typed see as globals (policies require them). */
static const char *const helpers[] = {"threshold", "dtable", "fmt", "schedule", NULL};

/* Ctrl-C ---------------------------------------------------------------------------------------------- */

static lua_State *volatile running; /* the thread of the line being run, or NULL */
static volatile sig_atomic_t stop_asked;

/* Raised at every instruction, call and return once Ctrl-C asked: a pcall in the line cannot keep it. */
static void stop_hook(lua_State *L, lua_Debug *ar)
{
    (void)ar;
    luaL_error(L, "interrupted");
}

/* SIGINT while a line runs: the line stops at its next instruction (lua_sethook is async-signal-safe,
 * as lua.c's own Ctrl-C shows). A second one before the first took effect (a line stuck in a library
 * call, a command still running) leaves. While a line is edited, Ctrl-C never reaches here: libedit
 * takes it as a key. */
void bl_repl_on_sigint(int sig)
{
    (void)sig;
    lua_State *co = running;
    if (stop_asked) {
        static const char msg[] = "\nbylaw repl: it does not stop (a library call cannot be interrupted, and a "
                                  "policy call ends at its own limit); leaving: writes not committed are not kept\n";
        ssize_t w = write(STDERR_FILENO, msg, sizeof msg - 1);
        (void)w;
        _exit(130);
    }
    stop_asked = 1;
    if (co)
        lua_sethook(co, stop_hook, LUA_MASKCALL | LUA_MASKRET | LUA_MASKCOUNT, 1);
}

/* Loads text typed from input line r->first on: named "stdin", its lines numbered as they were typed. */
static int load_typed(bl_repl *r, const char *prefix, const char *text, const char *suffix)
{
    bl_buf b = {0};
    for (int i = 1; i < r->first; i++)
        bl_buf_add(&b, "\n", 1);
    bl_buf_adds(&b, prefix);
    bl_buf_adds(&b, text);
    bl_buf_adds(&b, suffix);
    int st = luaL_loadbufferx(r->L, b.data, b.len, "=stdin", "t");
    bl_buf_free(&b);
    return st;
}

/* Whether the load error on top says the text only lacks its end (a line more may complete it). */
static int incomplete(lua_State *L, int st)
{
    size_t n;
    const char *msg = st == LUA_ERRSYNTAX ? lua_tolstring(L, -1, &n) : NULL;
    return msg && n >= 5 && strcmp(msg + n - 5, "<eof>") == 0;
}

/* Runs the function and nargs arguments on top of L on a thread of its own, which Ctrl-C stops, with
 * reads going to the session's store; leaves nres results on L. Returns BL_OK, or BL_ERR reported. */
static int run_stoppable(bl_repl *r, int nargs, int nres)
{
    lua_State *L = r->L;
    lua_State *co = lua_newthread(L);
    lua_insert(L, -(nargs + 2));
    lua_xmove(L, co, nargs + 1);
    if (r->h)
        bl_host_set_reader(r->h, &r->reader.r);
    stop_asked = 0;
    running = co;
    int got = 0, st = lua_resume(co, L, nargs, &got);
    running = NULL;
    int stopped = stop_asked && st != LUA_OK;
    stop_asked = 0;
    if (r->h)
        bl_host_set_reader(r->h, NULL);
    if (st == LUA_OK) {
        if (got > nres)
            lua_pop(co, got - nres);
        lua_xmove(co, L, got < nres ? got : nres);
        for (int i = got; i < nres; i++)
            lua_pushnil(L);
        lua_remove(L, -(nres + 1)); /* the thread */
        return BL_OK;
    }
    if (stopped) {
        bl_repl_fail(r, "interrupted");
    } else if (st == LUA_YIELD) {
        bl_repl_fail(r, "the line yielded (coroutine.yield outside a coroutine of its own)");
    } else if (st == LUA_ERRMEM) {
        bl_repl_fail(r, "out of memory: the policy set and this session may use %zu MiB (--memory-mb)",
                     r->o->cfg.limits.memory >> 20);
    } else if (lua_type(co, -1) == LUA_TTABLE && lua_getfield(co, -1, "msg") == LUA_TSTRING) {
        bl_repl_fail(r, "%s", lua_tostring(co, -1)); /* the runtime's {field=, msg=} */
    } else {
        const char *m = lua_tostring(co, -1);
        bl_repl_fail(r, "%s", m ? m : "the line raised an error that is not a string");
    }
    lua_pop(L, 1);
    if (st == LUA_ERRMEM)
        lua_gc(L, LUA_GCCOLLECT);
    return BL_ERR;
}

cJSON *bl_repl_fields(bl_repl *r, const char *text)
{
    lua_State *L = r->L;
    if (load_typed(r, "return ", text, "") != LUA_OK) {
        char perr[200];
        cJSON *j = bl_json_parse(text, strlen(text), perr, sizeof perr);
        if (cJSON_IsObject(j)) {
            lua_pop(L, 1);
            return j;
        }
        cJSON_Delete(j);
        bl_repl_fail(r, "%s", lua_tostring(L, -1));
        lua_pop(L, 1);
        return NULL;
    }
    if (r->env_ref)
        lua_rawgeti(L, LUA_REGISTRYINDEX, r->env_ref);
    else
        lua_newtable(L); /* a --connect session: a table of values, no globals */
    lua_setupvalue(L, -2, 1);
    if (run_stoppable(r, 0, 1) != BL_OK)
        return NULL;
    char err[200];
    cJSON *j = lua_istable(L, -1) ? bl_lua_tojson(L, -1, err, sizeof err) : NULL;
    if (!lua_istable(L, -1))
        bl_repl_fail(r, "the fields must be a table such as {annual_revenue = 200000}, not a %s", luaL_typename(L, -1));
    else if (j == NULL)
        bl_repl_fail(r, "these fields cannot be a record: %s", err);
    else if (!cJSON_IsObject(j))
        bl_repl_fail(r, "the fields must be named ({annual_revenue = 200000}), not a list");
    lua_pop(L, 1);
    if (j && !cJSON_IsObject(j)) {
        cJSON_Delete(j);
        j = NULL;
    }
    return j;
}


/* Lines ----------------------------------------------------------------------------------------------- */

/* Called at the end of a chunk of statements: keeps its top-level locals in the session's environment
 * (upvalue 1), so that `local x = 1` is there for the lines after. */
static int keep_locals(lua_State *L)
{
    lua_Debug ar;
    if (!lua_getstack(L, 1, &ar))
        return 0;
    const char *name;
    for (int i = 1; (name = lua_getlocal(L, &ar, i)) != NULL; i++) {
        if (name[0] == '(') { /* a temporary, not a local */
            lua_pop(L, 1);
            continue;
        }
        lua_pushstring(L, name);
        lua_insert(L, -2);
        lua_rawset(L, lua_upvalueindex(1));
    }
    return 0;
}

/* print(...) in lines typed: to standard output, as Lua's own (policies' print goes to the log). */
static int repl_print(lua_State *L)
{
    int n = lua_gettop(L);
    for (int i = 1; i <= n; i++) {
        size_t len;
        const char *s = luaL_tolstring(L, i, &len);
        if (i > 1)
            fputc('\t', stdout);
        fwrite(s, 1, len, stdout);
        lua_pop(L, 1);
    }
    fputc('\n', stdout);
    return 0;
}

/* A chunk of Lua: an expression prints its values; statements run, their top-level locals kept. */
int bl_repl_lua(bl_repl *r, const char *text)
{
    lua_State *L = r->L;
    if (r->mode == BL_REPL_REMOTE) {
        bl_repl_fail(r, "Lua runs only in a local session: --connect sends the dot-commands to the service "
                        "(.help lists them); try Lua with bylaw repl --policies DIR");
        return BL_REPL_RAN;
    }
    int keep = 0, st = load_typed(r, "return ", text, "");
    if (st != LUA_OK) {
        int more = incomplete(L, st); /* `{`, `1 +`: an expression begun */
        lua_pop(L, 1);
        st = load_typed(r, "", text, "\n;(...)()");
        keep = st == LUA_OK;
        if (st != LUA_OK) {
            lua_pop(L, 1);
            st = load_typed(r, "", text, ""); /* `return x` ends the chunk: no call after it */
        }
        if (st != LUA_OK) {
            if (more || incomplete(L, st)) {
                lua_pop(L, 1);
                return BL_REPL_MORE;
            }
            bl_repl_fail(r, "%s", lua_tostring(L, -1));
            lua_pop(L, 1);
            return BL_REPL_RAN;
        }
    }
    lua_rawgeti(L, LUA_REGISTRYINDEX, r->env_ref);
    lua_setupvalue(L, -2, 1);
    bl_repl_push_fn(r, "exec");
    lua_insert(L, -2);
    if (keep) {
        lua_rawgeti(L, LUA_REGISTRYINDEX, r->env_ref);
        lua_pushcclosure(L, keep_locals, 1);
    } else {
        lua_pushnil(L);
    }
    if (run_stoppable(r, 2, 1) != BL_OK)
        return BL_REPL_RAN;
    if (lua_isstring(L, -1))
        puts(lua_tostring(L, -1));
    lua_pop(L, 1);
    return BL_REPL_RAN;
}


/* new_env(r) -> the environment of the lines typed: the sandbox's globals, the helpers, print. */
static int p_new_env(lua_State *L)
{
    bl_sandbox_push_session_env(L);
    int env = lua_gettop(L);
    lua_pushcfunction(L, repl_print);
    lua_setfield(L, env, "print");
    for (const char *const *m = helpers; *m; m++) {
        lua_getfield(L, env, "require");
        lua_pushstring(L, *m);
        if (lua_pcall(L, 1, 1, 0) == LUA_OK)
            lua_setfield(L, env, *m);
        else
            lua_pop(L, 1); /* not shipped: no such global */
    }
    return 1;
}

/* carry(old state, old env) into the new environment on top: values that are data (numbers, strings,
 * booleans, tables of them); pushes the names left behind, as one string. */
static int p_carry(lua_State *L)
{
    lua_State *from = lua_touserdata(L, 1);
    int old = (int)lua_tointeger(L, 2), env = 3;
    luaL_Buffer lost;
    luaL_buffinit(L, &lost);
    int nlost = 0;
    for (lua_pushnil(from); lua_next(from, old); lua_pop(from, 1)) {
        if (lua_type(from, -2) != LUA_TSTRING)
            continue;
        const char *k = lua_tostring(from, -2);
        if (lua_getfield(L, env, k) != LUA_TNIL) { /* made afresh: print, the helpers */
            lua_pop(L, 1);
            continue;
        }
        lua_pop(L, 1);
        int ok = 1;
        switch (lua_type(from, -1)) {
        case LUA_TNUMBER:
            if (lua_isinteger(from, -1))
                lua_pushinteger(L, lua_tointeger(from, -1));
            else
                lua_pushnumber(L, lua_tonumber(from, -1));
            break;
        case LUA_TSTRING: {
            size_t n;
            const char *s = lua_tolstring(from, -1, &n);
            lua_pushlstring(L, s, n);
            break;
        }
        case LUA_TBOOLEAN: lua_pushboolean(L, lua_toboolean(from, -1)); break;
        case LUA_TTABLE: {
            char err[100];
            cJSON *j = bl_lua_tojson(from, -1, err, sizeof err);
            ok = j != NULL;
            if (ok)
                bl_lua_pushjson(L, j, 0);
            cJSON_Delete(j);
            break;
        }
        default: ok = 0;
        }
        if (ok) {
            lua_setfield(L, env, k);
        } else {
            if (nlost++)
                luaL_addstring(&lost, ", ");
            luaL_addstring(&lost, k);
        }
    }
    luaL_pushresult(&lost);
    return 1;
}

void bl_repl_stop_clear(void) { stop_asked = 0; }

int bl_repl_lua_more(bl_repl *r, const char *text)
{
    int st = load_typed(r, "return ", text, "");
    int more = incomplete(r->L, st);
    lua_pop(r->L, 1); /* the chunk or the message */
    return more;
}

int bl_repl_lua_env(bl_repl *r, lua_State *L, char **lost)
{
    *lost = NULL;
    lua_pushcfunction(L, p_new_env);
    if (lua_pcall(L, 0, 1, 0) != LUA_OK) {
        bl_repl_fail(r, "cannot make the session's environment: %s", lua_tostring(L, -1));
        lua_pop(L, 1);
        return 0;
    }
    if (r->env_ref) { /* the values of the lines typed so far, from the policy set before */
        lua_State *from = r->L;
        lua_rawgeti(from, LUA_REGISTRYINDEX, r->env_ref);
        lua_pushcfunction(L, p_carry);
        lua_pushlightuserdata(L, from);
        lua_pushinteger(L, lua_gettop(from));
        lua_pushvalue(L, -4);
        if (lua_pcall(L, 3, 1, 0) == LUA_OK && lua_tostring(L, -1)[0])
            *lost = bl_strdupf("%s", lua_tostring(L, -1));
        lua_pop(L, 1);
        lua_pop(from, 1);
    }
    return luaL_ref(L, LUA_REGISTRYINDEX);
}
