/* ledger.c — the `ledger` module: policies read a subject's points per month or over a rolling
 * window of days, through the host's reader. Points proposed in the running evaluation are not
 * counted until committed. */
#include <lauxlib.h>
#include <stdlib.h>
#include <string.h>

#include "host.h"

static int valid_period(const char *p)
{
    return strlen(p) == 7 && p[4] == '-' && p[0] >= '0' && p[0] <= '9' && p[5] >= '0' && p[5] <= '1';
}

static int total_of(lua_State *L, cJSON *req)
{
    cJSON *answer = NULL;
    char *err = NULL;
    int rc = bl_host_read(bl_host_of(L), req, &answer, &err);
    cJSON_Delete(req);
    if (rc != BL_OK && rc != BL_NOTFOUND) {
        lua_pushfstring(L, "ledger: %s", err ? err : "the read failed");
        free(err);
        return lua_error(L);
    }
    lua_pushinteger(L, (lua_Integer)bl_json_num(answer, "total", 0));
    cJSON_Delete(answer);
    return 1;
}

static int l_total(lua_State *L)
{
    const char *subject = luaL_checkstring(L, 1);
    char month[8];
    const char *period = luaL_optstring(L, 2, bl_time_month(bl_clock_now_ms(), month));
    luaL_argcheck(L, valid_period(period), 2, "period must be \"YYYY-MM\"");
    cJSON *req = cJSON_CreateObject();
    bl_json_add_str(req, "op", "points");
    bl_json_add_str(req, "subject", subject);
    bl_json_add_str(req, "period", period);
    return total_of(L, req);
}

static int l_window(lua_State *L)
{
    const char *subject = luaL_checkstring(L, 1);
    lua_Number days = luaL_checknumber(L, 2);
    luaL_argcheck(L, days > 0 && days <= 36600, 2, "days must be between 1 and 36600");
    int64_t now = bl_clock_now_ms();
    cJSON *req = cJSON_CreateObject();
    bl_json_add_str(req, "op", "points");
    bl_json_add_str(req, "subject", subject);
    bl_json_add_num(req, "from", (double)(now - (int64_t)(days * 86400000.0)));
    bl_json_add_num(req, "to", (double)now);
    return total_of(L, req);
}

int luaopen_bylaw_ledger(lua_State *L)
{
    static const luaL_Reg fns[] = {{"total", l_total}, {"window", l_window}, {NULL, NULL}};
    luaL_newlib(L, fns);
    return 1;
}
