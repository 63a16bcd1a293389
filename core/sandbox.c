/* sandbox.c — the sandbox as data: which globals and library functions a policy can reach (the
 * tables below, one screen), and the few functions replaced by safe versions (load, require, os.time,
 * os.date; pcall, xpcall and coroutine.resume, which cannot catch a tripped limit; coroutine.create
 * and wrap, which put new coroutines under the guard's hook) or by faster ones (type, math.type).
 * Everything else of the Lua state stays out of reach. */
#include "sandbox.h"

#include <lauxlib.h>
#include <lualib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "guard.h"

/* Base functions a policy may call as they are. */
static const char *const base_allow[] = {
    "assert", "error", "ipairs", "next", "pairs", "pcall", "select", "tonumber", "tostring", "type",
    "xpcall", "getmetatable", "setmetatable", "rawequal", "rawget", "rawlen", NULL,
};
/* Left out on purpose: rawset (one policy could change what all others read through a shared
 * read-only table), collectgarbage, dofile, loadfile, io, debug, package, os.execute/exit/getenv/
 * remove/rename/tmpname/setlocale. load, require, os.time and os.date are replaced below; print is the
 * log module's (bindings/log.c), set by the host. */

/* Names a policy might reach for that are not there: using one is an error that says so plainly,
 * instead of Lua's "attempt to call a nil value". Libraries (io, debug, package) are tables whose
 * every field is such an error. */
static const char *const trap_globals[] = {"dofile", "loadfile", "collectgarbage", "rawset", "loadstring", NULL};
static const char *const trap_libs[] = {"io", "debug", "package", "ffi", NULL};
static const char *const trap_os[] = {"execute", "exit", "getenv", "remove", "rename", "tmpname", "setlocale", NULL};

/* Libraries with the functions a policy may call (allow NULL = every function but those denied). */
static const char *const string_deny[] = {"dump", NULL}; /* no bytecode out; load refuses it in */
static const char *const os_allow[] = {"clock", NULL};
static const struct {
    const char *name;
    const char *const *allow;
    const char *const *deny;
} libs[] = {
    {"string", NULL, string_deny}, {"table", NULL, NULL},     {"math", NULL, NULL},
    {"utf8", NULL, NULL},          {"coroutine", NULL, NULL}, {"os", os_allow, NULL},
};

static int trap(lua_State *L)
{
    return luaL_error(L, "%s is not available in policies: the sandbox keeps policies away from files, processes "
                         "and the engine (docs/policies.md lists what policies may use)",
                      lua_tostring(L, lua_upvalueindex(1)));
}

static int trap_index(lua_State *L)
{
    return luaL_error(L, "%s.%s is not available in policies: the sandbox keeps policies away from files, "
                         "processes and the engine (docs/policies.md lists what policies may use)",
                      lua_tostring(L, lua_upvalueindex(1)), lua_tostring(L, 2) ? lua_tostring(L, 2) : "?");
}

/* Pushes a function that raises "<name> is not available". */
static void push_trap(lua_State *L, const char *name)
{
    lua_pushstring(L, name);
    lua_pushcclosure(L, trap, 1);
}

static const char BASE_KEY = 'b';   /* registry: the base environment (a plain table) */
static const char DIRS_KEY = 'd';   /* registry: {scripts_dir, policy_dir, display_dir} */
static const char CHUNKS_KEY = 'k'; /* registry: module path -> its compiled chunk (lua_dump), for require */
static const char ENVMT_KEY = 'e';  /* registry: metatable of file environments */

static int listed(const char *const *list, const char *name)
{
    for (; list && *list; list++)
        if (strcmp(*list, name) == 0)
            return 1;
    return 0;
}

static int ro_newindex(lua_State *L)
{
    const char *k = lua_tostring(L, 2);
    return luaL_error(L, "cannot set '%s': the engine's libraries are read-only", k ? k : "?");
}

static int ro_pairs(lua_State *L)
{
    lua_pushvalue(L, lua_upvalueindex(1)); /* next */
    lua_pushvalue(L, lua_upvalueindex(2)); /* the real table */
    lua_pushnil(L);
    return 3;
}

/* Replaces the table on top with a read-only proxy of it. */
static void push_readonly(lua_State *L)
{
    int t = lua_gettop(L);
    lua_newtable(L);                 /* proxy */
    lua_createtable(L, 0, 4);        /* its metatable */
    lua_pushvalue(L, t);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, ro_newindex);
    lua_setfield(L, -2, "__newindex");
    lua_getglobal(L, "next");
    lua_pushvalue(L, t);
    lua_pushcclosure(L, ro_pairs, 2);
    lua_setfield(L, -2, "__pairs");
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");
    if (lua_getmetatable(L, t)) { /* a callable module stays callable: calendar { ... } */
        lua_getfield(L, -1, "__call");
        lua_setfield(L, -3, "__call");
        lua_pop(L, 1);
    }
    lua_setmetatable(L, -2);
    lua_replace(L, t);
}

void bl_sandbox_readonly(lua_State *L) { push_readonly(L); }

static void push_base(lua_State *L) { lua_rawgetp(L, LUA_REGISTRYINDEX, &BASE_KEY); }

static int env_newindex(lua_State *L)
{
    const char *k = lua_tostring(L, 2);
    return luaL_error(L, "cannot set global '%s': keep names local in policies (write 'local %s = ...')",
                      k ? k : "?", k ? k : "name");
}

static int sb_require(lua_State *L);

/* Each file's environment has a require of its own, with its own modules: what one policy does to a
 * module it required (or to an object a module made) reaches no other policy. */
void bl_sandbox_push_env(lua_State *L)
{
    lua_createtable(L, 0, 1);
    lua_rawgetp(L, LUA_REGISTRYINDEX, &ENVMT_KEY);
    lua_setmetatable(L, -2);
    lua_pushliteral(L, "require");
    lua_newtable(L); /* the modules this file required */
    lua_pushcclosure(L, sb_require, 1);
    lua_rawset(L, -3);
}

void bl_sandbox_push_session_env(lua_State *L)
{
    lua_newtable(L);
    lua_createtable(L, 0, 2);
    push_base(L);
    lua_setfield(L, -2, "__index");
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");
    lua_setmetatable(L, -2);
}

/* load(chunk [, chunkname [, mode [, env]]]): text only; without env, a fresh sandbox environment. */
static int sb_load(lua_State *L)
{
    const char *mode = luaL_optstring(L, 3, "t");
    if (strcmp(mode, "t") != 0)
        return luaL_error(L, "load: only text chunks can be loaded in policies (mode '%s' refused)", mode);
    size_t len;
    const char *s = lua_tolstring(L, 1, &len);
    if (s == NULL)
        return luaL_argerror(L, 1, "load in policies takes a string");
    const char *name = luaL_optstring(L, 2, "=(load)");
    int has_env = !lua_isnone(L, 4);
    if (luaL_loadbufferx(L, s, len, name, "t") != LUA_OK) {
        luaL_pushfail(L);
        lua_insert(L, -2);
        return 2;
    }
    if (has_env)
        lua_pushvalue(L, 4);
    else
        bl_sandbox_push_env(L);
    lua_setupvalue(L, -2, 1);
    return 1;
}

static int valid_module_name(const char *s)
{
    if (*s == '\0' || *s == '.' || *s == '_')
        return 0;
    for (const char *p = s; *p; p++) {
        int ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
                 *p == '_' || (*p == '.' && p[1] != '.' && p[1] != '\0');
        if (!ok)
            return 0;
    }
    return 1;
}

int bl_sandbox_loadfile(lua_State *L, const char *path) { return bl_sandbox_loadfile_as(L, path, path); }

int bl_sandbox_loadfile_as(lua_State *L, const char *path, const char *name)
{
    size_t len;
    char *src = bl_read_file(path, &len);
    if (src == NULL) {
        lua_pushfstring(L, "%s: cannot read the file", name);
        return LUA_ERRFILE;
    }
    lua_pushfstring(L, "@%s", name);
    int rc = luaL_loadbufferx(L, src, len, lua_tostring(L, -1), "t");
    free(src);
    lua_remove(L, -2);
    if (rc != LUA_OK)
        return rc;
    bl_sandbox_push_env(L);
    lua_setupvalue(L, -2, 1);
    return LUA_OK;
}

static int dump_writer(lua_State *L, const void *p, size_t n, void *ud)
{
    (void)L;
    bl_buf_add(ud, p, n);
    return 0;
}

/* Pushes the chunk of the module at path, shown as name, with the sandbox's environment; LUA_ERRFILE,
 * with nothing pushed, when there is no such file; a compile error is raised. Every file that requires
 * a module runs an instance of its own, so a module is compiled once per Lua state and its compiled
 * form (debug information kept, for file:line) loaded again for the next file. */
static int load_module(lua_State *L, const char *path, const char *name)
{
    if (lua_rawgetp(L, LUA_REGISTRYINDEX, &CHUNKS_KEY) == LUA_TNIL) {
        lua_pop(L, 1);
        lua_newtable(L);
        lua_pushvalue(L, -1);
        lua_rawsetp(L, LUA_REGISTRYINDEX, &CHUNKS_KEY);
    }
    size_t len = 0;
    const char *bytes = lua_getfield(L, -1, path) == LUA_TSTRING ? lua_tolstring(L, -1, &len) : NULL;
    if (bytes == NULL) {
        lua_pop(L, 1);
        FILE *f = fopen(path, "rb");
        if (f == NULL) {
            lua_pop(L, 1);
            return LUA_ERRFILE;
        }
        fclose(f);
        if (bl_sandbox_loadfile_as(L, path, name) != LUA_OK)
            return lua_error(L);
        bl_buf b = {0};
        lua_dump(L, dump_writer, &b, 0);
        lua_pushlstring(L, b.data ? b.data : "", b.len);
        bl_buf_free(&b);
        lua_setfield(L, -3, path);
        lua_remove(L, -2); /* the cache */
        return LUA_OK;
    }
    int rc = luaL_loadbufferx(L, bytes, len, name, "b"); /* (our own dump: binary is safe here) */
    lua_remove(L, -2); /* the dump */
    lua_remove(L, -2); /* the cache */
    if (rc != LUA_OK)
        return lua_error(L);
    bl_sandbox_push_env(L);
    lua_setupvalue(L, -2, 1);
    return LUA_OK;
}

/* require(name): scripts/name.lua, then <policy dir>/name.lua; dots are directories. Upvalue 1: the
 * modules the requiring file has loaded (its own instances). */
static int sb_require(lua_State *L)
{
    const char *name = luaL_checkstring(L, 1);
    lua_settop(L, 1);
    lua_pushvalue(L, lua_upvalueindex(1));
    if (lua_getfield(L, -1, name) != LUA_TNIL)
        return 1;
    lua_pop(L, 1);
    if (!valid_module_name(name))
        return luaL_error(L, "module '%s' not found: a module name is letters, digits, '_' and dots", name);
    char rel[512];
    snprintf(rel, sizeof rel, "%s", name);
    for (char *p = rel; *p; p++)
        if (*p == '.')
            *p = '/';
    lua_rawgetp(L, LUA_REGISTRYINDEX, &DIRS_KEY);
    char tried[2][1100], shown[1100];
    lua_rawgeti(L, -1, 3);
    snprintf(shown, sizeof shown, "%s/%s.lua", lua_tostring(L, -1), rel); /* the policy directory's name */
    lua_pop(L, 1);
    for (int i = 0; i < 2; i++) {
        lua_rawgeti(L, -1, i + 1);
        snprintf(tried[i], sizeof tried[i], "%s/%s.lua", lua_tostring(L, -1), rel);
        lua_pop(L, 1);
        if (load_module(L, tried[i], i == 1 ? shown : tried[i]) == LUA_ERRFILE)
            continue;
        lua_pushstring(L, name);
        lua_call(L, 1, 1);
        if (lua_isnil(L, -1)) {
            lua_pop(L, 1);
            lua_pushboolean(L, 1);
        }
        lua_pushvalue(L, -1);
        lua_setfield(L, -4, name); /* LOADED[name] */
        return 1;
    }
    return luaL_error(L,
                      "module '%s' not found: policies may require only modules in the engine's scripts "
                      "or the policy directory (looked for %s and %s)",
                      name, tried[0], shown);
}


/* os.time() is the engine clock (virtual in tests); os.time(t) converts as usual. */
static int sb_time(lua_State *L)
{
    if (lua_isnoneornil(L, 1)) {
        lua_pushinteger(L, (lua_Integer)(bl_clock_now_ms() / 1000));
        return 1;
    }
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, 1);
    return 1;
}

/* setmetatable(t, mt), refusing __gc and __close fields: Lua runs finalizers with hooks off, and
 * to-be-closed variables when a stopped call's thread is reset, where no budget or time limit could
 * stop them. Read raw: no metamethod of mt runs here. */
static int sb_setmetatable(lua_State *L)
{
    static const char *const refused[] = {"__gc", "__close"};
    for (int i = 0; i < 2 && lua_type(L, 2) == LUA_TTABLE; i++) {
        lua_pushstring(L, refused[i]);
        if (lua_rawget(L, 2) != LUA_TNIL)
            return luaL_argerror(L, 2, lua_pushfstring(L, "%s metamethods are not available in policies (they "
                                                          "would run outside the policy's limits)", refused[i]));
        lua_pop(L, 1);
    }
    lua_settop(L, 2);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, 2, 1);
    return 1;
}

/* type(v) and math.type(x) with their answers made once, as upvalues: Lua's own push the name from
 * a C string, which is hashed again on every call, and the runtime and the helpers call them several
 * times per record. Same results and errors as Lua's. */
static int sb_type(lua_State *L)
{
    int t = lua_type(L, 1);
    luaL_argcheck(L, t != LUA_TNONE, 1, "value expected");
    lua_pushvalue(L, lua_upvalueindex(t + 1));
    return 1;
}

static int sb_mathtype(lua_State *L)
{
    if (lua_type(L, 1) == LUA_TNUMBER) {
        lua_pushvalue(L, lua_upvalueindex(lua_isinteger(L, 1) ? 1 : 2));
    } else {
        luaL_checkany(L, 1);
        luaL_pushfail(L);
    }
    return 1;
}

/* Puts sb_type and sb_mathtype in place of Lua's, for the engine's scripts and the policies alike. */
static void set_types(lua_State *L)
{
    for (int t = 0; t < LUA_NUMTYPES; t++)
        lua_pushstring(L, lua_typename(L, t));
    lua_pushcclosure(L, sb_type, LUA_NUMTYPES);
    lua_setglobal(L, "type");
    lua_getglobal(L, "math");
    lua_pushliteral(L, "integer");
    lua_pushliteral(L, "float");
    lua_pushcclosure(L, sb_mathtype, 2);
    lua_setfield(L, -2, "type");
    lua_pop(L, 1);
}

/* os.date(fmt [, t]): t defaults to the engine clock. */
static int sb_date(lua_State *L)
{
    lua_settop(L, 2);
    if (lua_isnil(L, 2))
        lua_pushinteger(L, (lua_Integer)(bl_clock_now_ms() / 1000)), lua_replace(L, 2);
    if (lua_isnil(L, 1))
        lua_pushliteral(L, "%c"), lua_replace(L, 1);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, 2, 1);
    return 1;
}

void bl_sandbox_set(lua_State *L, const char *name)
{
    if (lua_istable(L, -1))
        push_readonly(L); /* one policy must not change a module all others use */
    push_base(L);
    lua_insert(L, -2);
    lua_setfield(L, -2, name);
    lua_pop(L, 1);
}

void bl_sandbox_push_base(lua_State *L) { push_base(L); }

void bl_sandbox_push_traps(lua_State *L)
{
    lua_newtable(L);
    const char *const *lists[] = {trap_globals, trap_libs};
    for (int l = 0; l < 2; l++)
        for (const char *const *t = lists[l]; *t; t++) {
            lua_pushboolean(L, 1);
            lua_setfield(L, -2, *t);
        }
    for (const char *const *t = trap_os; *t; t++) {
        lua_pushfstring(L, "os.%s", *t);
        lua_pushboolean(L, 1);
        lua_rawset(L, -3);
    }
    lua_pushboolean(L, 1);
    lua_setfield(L, -2, "string.dump");
}

void bl_sandbox_set_call(lua_State *L, const char *name)
{
    push_base(L);
    lua_getfield(L, -1, name); /* the read-only proxy of the library */
    if (lua_getmetatable(L, -1)) {
        lua_pushvalue(L, -4);
        lua_setfield(L, -2, "__call");
        lua_pop(L, 1);
    }
    lua_pop(L, 3);
}

void bl_sandbox_open(lua_State *L, const char *scripts_dir, const char *policy_dir, const char *display_dir)
{
    static const luaL_Reg open[] = {
        {"_G", luaopen_base},          {"string", luaopen_string}, {"table", luaopen_table},
        {"math", luaopen_math},        {"utf8", luaopen_utf8},     {"coroutine", luaopen_coroutine},
        {"os", luaopen_os},            {NULL, NULL},
    };
    for (const luaL_Reg *r = open; r->name; r++) {
        luaL_requiref(L, r->name, r->func, 1);
        lua_pop(L, 1);
    }
    set_types(L);

    lua_newtable(L); /* base environment */
    for (const char *const *p = base_allow; *p; p++) {
        lua_getglobal(L, *p);
        lua_setfield(L, -2, *p);
    }
    lua_getglobal(L, "pcall"); /* a tripped limit is not an error pcall or xpcall may catch */
    lua_pushcclosure(L, bl_guard_rethrow, 1);
    lua_setfield(L, -2, "pcall");
    lua_getglobal(L, "xpcall");
    lua_pushcclosure(L, bl_guard_xpcall, 1);
    lua_setfield(L, -2, "xpcall");
    lua_getglobal(L, "setmetatable"); /* no __gc: finalizers run with hooks off, out of the limits' reach */
    lua_pushcclosure(L, sb_setmetatable, 1);
    lua_setfield(L, -2, "setmetatable");
    lua_pushliteral(L, "_VERSION");
    lua_getglobal(L, "_VERSION");
    lua_rawset(L, -3);
    for (size_t i = 0; i < sizeof libs / sizeof libs[0]; i++) {
        lua_getglobal(L, libs[i].name);
        int real = lua_gettop(L);
        lua_newtable(L);
        for (lua_pushnil(L); lua_next(L, real); lua_pop(L, 1)) {
            const char *k = lua_tostring(L, -2);
            if (k == NULL || (libs[i].allow && !listed(libs[i].allow, k)) || listed(libs[i].deny, k))
                continue;
            lua_pushvalue(L, -2);
            lua_pushvalue(L, -2);
            lua_rawset(L, real + 1);
        }
        if (strcmp(libs[i].name, "os") == 0) {
            for (const char *const *t = trap_os; *t; t++) {
                lua_pushfstring(L, "os.%s", *t);
                push_trap(L, lua_tostring(L, -1));
                lua_setfield(L, -3, *t);
                lua_pop(L, 1);
            }
            lua_getfield(L, real, "time");
            lua_pushcclosure(L, sb_time, 1);
            lua_setfield(L, -2, "time");
            lua_getfield(L, real, "date");
            lua_pushcclosure(L, sb_date, 1);
            lua_setfield(L, -2, "date");
        }
        if (strcmp(libs[i].name, "coroutine") == 0) { /* a policy's coroutines run under the guard's hook */
            static const char *const makers[] = {"create", "wrap"};
            for (int m = 0; m < 2; m++) {
                lua_getfield(L, real, makers[m]);
                lua_pushcclosure(L, bl_guard_cocreate, 1);
                lua_setfield(L, -2, makers[m]);
            }
            lua_getfield(L, real, "resume"); /* a tripped limit is not an error resume may return */
            lua_pushcclosure(L, bl_guard_rethrow, 1);
            lua_setfield(L, -2, "resume");
        }
        if (strcmp(libs[i].name, "string") == 0) {
            push_trap(L, "string.dump");
            lua_setfield(L, -2, "dump");
            /* ("x"):upper() must not reach string.dump, nor getmetatable("") the real table */
            lua_pushliteral(L, "");
            lua_getmetatable(L, -1);
            lua_pushvalue(L, -3);
            lua_setfield(L, -2, "__index");
            lua_pushboolean(L, 0);
            lua_setfield(L, -2, "__metatable");
            lua_pop(L, 2);
        }
        push_readonly(L);
        lua_setfield(L, -3, libs[i].name);
        lua_pop(L, 1);
    }
    for (const char *const *t = trap_globals; *t; t++) {
        push_trap(L, *t);
        lua_setfield(L, -2, *t);
    }
    for (const char *const *t = trap_libs; *t; t++) {
        lua_newtable(L);
        lua_createtable(L, 0, 2);
        lua_pushstring(L, *t);
        lua_pushcclosure(L, trap_index, 1);
        lua_setfield(L, -2, "__index");
        lua_pushboolean(L, 0);
        lua_setfield(L, -2, "__metatable");
        lua_setmetatable(L, -2);
        lua_setfield(L, -2, *t);
    }
    lua_pushcfunction(L, sb_load);
    lua_setfield(L, -2, "load");
    lua_newtable(L);
    lua_pushcclosure(L, sb_require, 1);
    lua_setfield(L, -2, "require");
    lua_rawsetp(L, LUA_REGISTRYINDEX, &BASE_KEY);

    lua_createtable(L, 0, 3); /* metatable of every file environment */
    push_base(L);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, env_newindex);
    lua_setfield(L, -2, "__newindex");
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");
    lua_rawsetp(L, LUA_REGISTRYINDEX, &ENVMT_KEY);

    lua_createtable(L, 3, 0);
    lua_pushstring(L, scripts_dir);
    lua_rawseti(L, -2, 1);
    lua_pushstring(L, policy_dir);
    lua_rawseti(L, -2, 2);
    lua_pushstring(L, display_dir ? display_dir : policy_dir);
    lua_rawseti(L, -2, 3);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &DIRS_KEY);
}

