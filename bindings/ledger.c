/* ledger.c — the `ledger` module: policies read a subject's points per month or over a rolling
 * window of days. Points proposed in the running evaluation are not counted until committed. */
#include <lauxlib.h>
#include <string.h>

#include "host.h"

static int valid_period(const char *p)
{
    return strlen(p) == 7 && p[4] == '-' && p[0] >= '0' && p[0] <= '9' && p[5] >= '0' && p[5] <= '1';
}

static int l_total(lua_State *L)
{
    const char *subject = luaL_checkstring(L, 1);
    char month[8];
    const char *period = luaL_optstring(L, 2, bl_time_month(bl_clock_now_ms(), month));
    luaL_argcheck(L, valid_period(period), 2, "period must be \"YYYY-MM\"");
    bl_store_t *s = bl_host_store(bl_host_of(L));
    int64_t total = 0;
    if (s != NULL && bl_store_points_total(s, subject, period, &total) != BL_OK)
        return luaL_error(L, "ledger: %s", bl_store_errmsg(s));
    lua_pushinteger(L, (lua_Integer)total);
    return 1;
}

static int l_window(lua_State *L)
{
    const char *subject = luaL_checkstring(L, 1);
    lua_Number days = luaL_checknumber(L, 2);
    luaL_argcheck(L, days > 0 && days <= 36600, 2, "days must be between 1 and 36600");
    bl_store_t *s = bl_host_store(bl_host_of(L));
    int64_t now = bl_clock_now_ms(), total = 0;
    if (s != NULL && bl_store_points_window(s, subject, now - (int64_t)(days * 86400000.0), now, &total) != BL_OK)
        return luaL_error(L, "ledger: %s", bl_store_errmsg(s));
    lua_pushinteger(L, (lua_Integer)total);
    return 1;
}

int luaopen_bylaw_ledger(lua_State *L)
{
    static const luaL_Reg fns[] = {{"total", l_total}, {"window", l_window}, {NULL, NULL}};
    luaL_newlib(L, fns);
    return 1;
}
