/* log.c — the `log` module and the `bylaw` table: a policy's log lines on stderr, tagged with the
 * policy and its line, and the engine clock. */
#include <lauxlib.h>
#include <stdio.h>

#include "host.h"

static int log_line(lua_State *L, const char *level)
{
    lua_Debug ar;
    char where[300] = "?";
    if (lua_getstack(L, 1, &ar) && lua_getinfo(L, "Sl", &ar) && ar.currentline > 0)
        snprintf(where, sizeof where, "%s:%d", ar.short_src, ar.currentline);
    const char *policy = bl_host_policy_now(bl_host_of(L));
    int n = lua_gettop(L); /* before luaL_buffinit, which may push a slot of its own */
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    for (int i = 1; i <= n; i++) {
        if (i > 1)
            luaL_addchar(&b, ' ');
        luaL_tolstring(L, i, NULL);
        luaL_addvalue(&b);
    }
    luaL_pushresult(&b);
    fprintf(stderr, "%s policy=%s at=%s: %s\n", level, policy ? policy : "-", where, lua_tostring(L, -1));
    return 0;
}

static int log_info(lua_State *L) { return log_line(L, "info"); }
int bl_lua_print(lua_State *L) { return log_line(L, "print"); } /* the sandbox's print */
static int log_warn(lua_State *L) { return log_line(L, "warn"); }

int luaopen_bylaw_log(lua_State *L)
{
    static const luaL_Reg fns[] = {{"info", log_info}, {"warn", log_warn}, {NULL, NULL}};
    luaL_newlib(L, fns);
    return 1;
}

static int core_now(lua_State *L)
{
    lua_pushinteger(L, (lua_Integer)(bl_clock_now_ms() / 1000));
    return 1;
}

int luaopen_bylaw_core(lua_State *L)
{
    static const luaL_Reg fns[] = {{"now", core_now}, {NULL, NULL}};
    luaL_newlib(L, fns);
    lua_pushliteral(L, BL_VERSION);
    lua_setfield(L, -2, "version");
    return 1;
}
