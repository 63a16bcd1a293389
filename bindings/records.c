/* records.c — the `records` module: policies read other records (get, find, count, sum) from the
 * store, inside the evaluation's transaction. Without a store, nothing is found. */
#include <lauxlib.h>

#include "host.h"
#include "luajson.h"

static bl_store_t *store_of(lua_State *L) { return bl_host_store(bl_host_of(L)); }

static cJSON *check_filter(lua_State *L, int idx)
{
    if (lua_isnoneornil(L, idx))
        return NULL;
    luaL_checktype(L, idx, LUA_TTABLE);
    char err[200];
    cJSON *f = bl_lua_tojson(L, idx, err, sizeof err);
    if (f == NULL || !cJSON_IsObject(f)) {
        cJSON_Delete(f);
        luaL_argerror(L, idx, "filter must be a table of field = value");
    }
    return f;
}

static int store_fail(lua_State *L, bl_store_t *s, cJSON *filter)
{
    cJSON_Delete(filter);
    return luaL_error(L, "records: %s", bl_store_errmsg(s));
}

static int r_get(lua_State *L)
{
    const char *type = luaL_checkstring(L, 1);
    const char *id = luaL_checkstring(L, 2);
    bl_store_t *s = store_of(L);
    if (s == NULL)
        return lua_pushnil(L), 1;
    bl_record r = {0};
    int rc = bl_store_get(s, type, id, &r);
    if (rc == BL_NOTFOUND)
        return lua_pushnil(L), 1;
    if (rc != BL_OK)
        return store_fail(L, s, NULL);
    bl_lua_pushjson(L, r.fields, 1);
    bl_record_clear(&r);
    return 1;
}

static int r_find(lua_State *L)
{
    const char *type = luaL_checkstring(L, 1);
    lua_Integer limit = luaL_optinteger(L, 3, 100);
    luaL_argcheck(L, limit > 0 && limit <= 10000, 3, "limit must be between 1 and 10000");
    cJSON *filter = check_filter(L, 2);
    bl_store_t *s = store_of(L);
    if (s == NULL) {
        cJSON_Delete(filter);
        lua_newtable(L);
        return 1;
    }
    cJSON *out = NULL;
    if (bl_store_find(s, type, filter, NULL, (int)limit, &out) != BL_OK)
        return store_fail(L, s, filter);
    cJSON_Delete(filter);
    bl_lua_pushjson(L, out, 1);
    cJSON_Delete(out);
    return 1;
}

static int r_count(lua_State *L)
{
    const char *type = luaL_checkstring(L, 1);
    cJSON *filter = check_filter(L, 2);
    bl_store_t *s = store_of(L);
    int64_t n = 0;
    if (s != NULL && bl_store_count(s, type, filter, &n) != BL_OK)
        return store_fail(L, s, filter);
    cJSON_Delete(filter);
    lua_pushinteger(L, (lua_Integer)n);
    return 1;
}

static int r_sum(lua_State *L)
{
    const char *type = luaL_checkstring(L, 1);
    const char *field = luaL_checkstring(L, 2);
    cJSON *filter = check_filter(L, 3);
    bl_store_t *s = store_of(L);
    double sum = 0;
    if (s != NULL && bl_store_sum(s, type, field, filter, &sum) != BL_OK)
        return store_fail(L, s, filter);
    cJSON_Delete(filter);
    if (sum == (double)(lua_Integer)sum)
        lua_pushinteger(L, (lua_Integer)sum);
    else
        lua_pushnumber(L, sum);
    return 1;
}

int luaopen_bylaw_records(lua_State *L)
{
    static const luaL_Reg fns[] = {
        {"get", r_get}, {"find", r_find}, {"count", r_count}, {"sum", r_sum}, {NULL, NULL},
    };
    luaL_newlib(L, fns);
    return 1;
}
