/* records.c — the `records` module: policies read other records (get, find, count, sum) through the
 * host's reader (core/reads.h): the store, inside the evaluation's transaction. Without a reader,
 * nothing is found. */
#include <lauxlib.h>
#include <stdlib.h>

#include "host.h"
#include "luajson.h"

/* The filter at idx as JSON, raw (no metamethod of the policy's table runs); NULL when nil. */
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

/* Asks the host's reader; pushes the answer's `key` (nil when there is no reader: dflt is pushed). */
static int ask(lua_State *L, cJSON *req, const char *key, void (*dflt)(lua_State *L))
{
    cJSON *answer = NULL;
    char *err = NULL;
    int rc = bl_host_read(bl_host_of(L), req, &answer, &err);
    cJSON_Delete(req);
    if (rc == BL_NOTFOUND) { /* no reader: nothing is stored */
        dflt(L);
        return 1;
    }
    if (rc != BL_OK) {
        lua_pushfstring(L, "records: %s", err ? err : "the read failed");
        free(err);
        return lua_error(L);
    }
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(answer, key);
    if (v == NULL || cJSON_IsNull(v))
        dflt(L);
    else
        bl_lua_pushjson(L, v, 1);
    cJSON_Delete(answer);
    return 1;
}

static void push_nil(lua_State *L) { lua_pushnil(L); }
static void push_table(lua_State *L) { lua_newtable(L); }
static void push_zero(lua_State *L) { lua_pushinteger(L, 0); }

static cJSON *request(lua_State *L, const char *op)
{
    cJSON *req = cJSON_CreateObject();
    bl_json_add_str(req, "op", op);
    bl_json_add_str(req, "type", luaL_checkstring(L, 1));
    return req;
}

static int r_get(lua_State *L)
{
    const char *id = luaL_checkstring(L, 2);
    cJSON *req = request(L, "get");
    bl_json_add_str(req, "id", id);
    return ask(L, req, "record", push_nil);
}

static int r_find(lua_State *L)
{
    lua_Integer limit = luaL_optinteger(L, 3, 100);
    luaL_argcheck(L, limit > 0 && limit <= 10000, 3, "limit must be between 1 and 10000");
    cJSON *filter = check_filter(L, 2), *req = request(L, "find");
    bl_json_add(req, "filter", filter);
    bl_json_add_num(req, "limit", (double)limit);
    return ask(L, req, "records", push_table);
}

static int r_count(lua_State *L)
{
    cJSON *filter = check_filter(L, 2), *req = request(L, "count");
    bl_json_add(req, "filter", filter);
    return ask(L, req, "n", push_zero);
}

static int r_sum(lua_State *L)
{
    const char *field = luaL_checkstring(L, 2);
    cJSON *filter = check_filter(L, 3), *req = request(L, "sum");
    bl_json_add_str(req, "field", field);
    bl_json_add(req, "filter", filter);
    ask(L, req, "sum", push_zero);
    if (lua_type(L, -1) == LUA_TNUMBER && !lua_isinteger(L, -1)) { /* a whole sum reads as an integer */
        lua_Number x = lua_tonumber(L, -1);
        if (x >= -9007199254740992.0 && x <= 9007199254740992.0 && x == (lua_Number)(lua_Integer)x) {
            lua_pop(L, 1);
            lua_pushinteger(L, (lua_Integer)x);
        }
    }
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
