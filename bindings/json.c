/* json.c — converts between cJSON values and Lua values, and the `json` module (encode, decode,
 * null) policies see. */
#include "luajson.h"

#include <lauxlib.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EXACT_LIMIT 9007199254740992.0 /* 2^53: larger integers do not survive a double */

static char null_marker; /* its address is the null sentinel */

void bl_lua_pushnull(lua_State *L) { lua_pushlightuserdata(L, &null_marker); }
int bl_lua_isnull(lua_State *L, int idx) { return lua_touserdata(L, idx) == &null_marker; }

static void push_number(lua_State *L, double d)
{
    if (d == floor(d) && fabs(d) < EXACT_LIMIT)
        lua_pushinteger(L, (lua_Integer)d);
    else
        lua_pushnumber(L, d);
}

void bl_lua_pushjson(lua_State *L, const cJSON *v, int null_as_nil)
{
    switch (v->type & 0xff) { /* cJSON's type bits, read once (the cJSON_Is* calls cost a call each) */
    case cJSON_Object:
        luaL_checkstack(L, 4, "JSON nested too deeply");
        /* one slot spare: a record's table usually gets one field more (d:set), without a rehash */
        lua_createtable(L, 0, cJSON_GetArraySize(v) + 1);
        for (const cJSON *c = v->child; c; c = c->next) {
            if ((c->type & 0xff) == cJSON_NULL && null_as_nil)
                continue;
            lua_pushlstring(L, c->string, strlen(c->string)); /* not setfield: its string cache costs a strcmp */
            bl_lua_pushjson(L, c, null_as_nil);
            lua_rawset(L, -3);
        }
        break;
    case cJSON_Array: {
        luaL_checkstack(L, 4, "JSON nested too deeply");
        lua_createtable(L, cJSON_GetArraySize(v), 0);
        lua_Integer i = 0;
        for (const cJSON *c = v->child; c; c = c->next) {
            if ((c->type & 0xff) == cJSON_NULL)
                bl_lua_pushnull(L);
            else
                bl_lua_pushjson(L, c, null_as_nil);
            lua_rawseti(L, -2, ++i);
        }
        break;
    }
    case cJSON_String:
        lua_pushlstring(L, v->valuestring, strlen(v->valuestring)); /* not pushstring: its cache costs a strcmp */
        break;
    case cJSON_Number: push_number(L, v->valuedouble); break;
    case cJSON_True: lua_pushboolean(L, 1); break;
    case cJSON_False: lua_pushboolean(L, 0); break;
    default:
        if (null_as_nil)
            lua_pushnil(L);
        else
            bl_lua_pushnull(L);
    }
}

/* Length n if the table is a sequence 1..n with no other keys, else -1. */
static lua_Integer array_length(lua_State *L, int t)
{
    lua_Integer n = 0, max = 0;
    for (lua_pushnil(L); lua_next(L, t); lua_pop(L, 1)) {
        if (!lua_isinteger(L, -2) || lua_tointeger(L, -2) < 1) {
            lua_pop(L, 2);
            return -1;
        }
        if (lua_tointeger(L, -2) > max)
            max = lua_tointeger(L, -2);
        n++;
    }
    return n == max ? n : -1;
}

static cJSON *from_lua(lua_State *L, int idx, char *err, size_t errlen, int depth, long *budget)
{
    idx = lua_absindex(L, idx);
    if (--*budget < 0) { /* a table shared many times over (t = {t, t} ...) would make a tree of billions */
        snprintf(err, errlen, "cannot encode more than %d values as JSON", BL_JSON_MAX_NODES);
        return NULL;
    }
    switch (lua_type(L, idx)) {
    case LUA_TNIL:
        return cJSON_CreateNull();
    case LUA_TBOOLEAN:
        return cJSON_CreateBool(lua_toboolean(L, idx));
    case LUA_TNUMBER: {
        double d;
        if (lua_isinteger(L, idx)) {
            lua_Integer i = lua_tointeger(L, idx);
            d = (double)i;
            if (fabs(d) >= EXACT_LIMIT) {
                snprintf(err, errlen, "the integer %lld is too large to write exactly in JSON (beyond 2^53)",
                         (long long)i);
                return NULL;
            }
        } else {
            d = lua_tonumber(L, idx);
            if (!isfinite(d)) {
                snprintf(err, errlen, "cannot encode %s as JSON", d != d ? "nan" : "an infinite number");
                return NULL;
            }
        }
        return cJSON_CreateNumber(d);
    }
    case LUA_TSTRING:
        return cJSON_CreateString(lua_tostring(L, idx));
    case LUA_TLIGHTUSERDATA:
        if (bl_lua_isnull(L, idx))
            return cJSON_CreateNull();
        break;
    case LUA_TTABLE: {
        if (depth >= BL_JSON_MAX_DEPTH) {
            snprintf(err, errlen, "cannot encode a table nested more than %d deep (a cycle?)", BL_JSON_MAX_DEPTH);
            return NULL;
        }
        if (!lua_checkstack(L, 4)) {
            snprintf(err, errlen, "cannot encode: out of stack");
            return NULL;
        }
        lua_Integer n = array_length(L, idx);
        if (n > 0) {
            cJSON *a = cJSON_CreateArray();
            for (lua_Integer i = 1; i <= n; i++) {
                lua_rawgeti(L, idx, i);
                cJSON *x = from_lua(L, -1, err, errlen, depth + 1, budget);
                lua_pop(L, 1);
                if (x == NULL) {
                    cJSON_Delete(a);
                    return NULL;
                }
                cJSON_AddItemToArray(a, x);
            }
            return a;
        }
        cJSON *o = cJSON_CreateObject();
        for (lua_pushnil(L); lua_next(L, idx); lua_pop(L, 1)) {
            char key[32];
            const char *k;
            if (lua_type(L, -2) == LUA_TSTRING) {
                k = lua_tostring(L, -2);
            } else if (lua_isinteger(L, -2)) {
                snprintf(key, sizeof key, "%lld", (long long)lua_tointeger(L, -2));
                k = key;
            } else {
                snprintf(err, errlen, "cannot encode a table key of type %s as JSON", luaL_typename(L, -2));
                lua_pop(L, 2);
                cJSON_Delete(o);
                return NULL;
            }
            cJSON *x = from_lua(L, -1, err, errlen, depth + 1, budget);
            if (x == NULL) {
                lua_pop(L, 2);
                cJSON_Delete(o);
                return NULL;
            }
            cJSON_AddItemToObject(o, k, x);
        }
        return o;
    }
    default:
        break;
    }
    snprintf(err, errlen, "cannot encode a %s as JSON", luaL_typename(L, idx));
    return NULL;
}

cJSON *bl_lua_tojson(lua_State *L, int idx, char *err, size_t errlen)
{
    long budget = BL_JSON_MAX_NODES;
    return from_lua(L, idx, err, errlen, 0, &budget);
}

/* The same values as from_lua, written straight to b as JSON text. */
static int put_lua(lua_State *L, int idx, bl_buf *b, char *err, size_t errlen, int depth, size_t limit)
{
    idx = lua_absindex(L, idx);
    if (b->len > limit) { /* a table shared many times over would write gigabytes */
        snprintf(err, errlen, "the JSON text of this value is larger than %d MiB", BL_JSON_MAX_TEXT >> 20);
        return -1;
    }
    switch (lua_type(L, idx)) {
    case LUA_TNIL: BL_JSON_LIT(b, "null"); return 0;
    case LUA_TBOOLEAN:
        if (lua_toboolean(L, idx))
            BL_JSON_LIT(b, "true");
        else
            BL_JSON_LIT(b, "false");
        return 0;
    case LUA_TNUMBER:
        if (lua_isinteger(L, idx)) {
            lua_Integer i = lua_tointeger(L, idx);
            if (fabs((double)i) >= EXACT_LIMIT) {
                snprintf(err, errlen, "the integer %lld is too large to write exactly in JSON (beyond 2^53)",
                         (long long)i);
                return -1;
            }
            bl_json_put_int(b, (long long)i);
        } else {
            double d = lua_tonumber(L, idx);
            if (!isfinite(d)) {
                snprintf(err, errlen, "cannot encode %s as JSON", d != d ? "nan" : "an infinite number");
                return -1;
            }
            bl_json_put_num(b, d);
        }
        return 0;
    case LUA_TSTRING: {
        size_t n;
        const char *s = lua_tolstring(L, idx, &n);
        bl_json_put_str(b, s, n);
        return 0;
    }
    case LUA_TLIGHTUSERDATA:
        if (bl_lua_isnull(L, idx)) {
            BL_JSON_LIT(b, "null");
            return 0;
        }
        break;
    case LUA_TTABLE: {
        if (depth >= BL_JSON_MAX_DEPTH) {
            snprintf(err, errlen, "cannot encode a table nested more than %d deep (a cycle?)", BL_JSON_MAX_DEPTH);
            return -1;
        }
        if (!lua_checkstack(L, 4)) {
            snprintf(err, errlen, "cannot encode: out of stack");
            return -1;
        }
        lua_Integer n = array_length(L, idx);
        if (n > 0) {
            BL_JSON_LIT(b, "[");
            for (lua_Integer i = 1; i <= n; i++) {
                if (i > 1)
                    BL_JSON_LIT(b, ",");
                lua_rawgeti(L, idx, i);
                int bad = put_lua(L, -1, b, err, errlen, depth + 1, limit);
                lua_pop(L, 1);
                if (bad)
                    return -1;
            }
            BL_JSON_LIT(b, "]");
            return 0;
        }
        BL_JSON_LIT(b, "{");
        int first = 1;
        for (lua_pushnil(L); lua_next(L, idx); lua_pop(L, 1)) {
            if (!first)
                BL_JSON_LIT(b, ",");
            first = 0;
            if (lua_type(L, -2) == LUA_TSTRING) {
                size_t kn;
                const char *k = lua_tolstring(L, -2, &kn);
                bl_json_put_str(b, k, kn);
            } else if (lua_isinteger(L, -2)) {
                char key[32];
                int kn = snprintf(key, sizeof key, "%lld", (long long)lua_tointeger(L, -2));
                bl_json_put_str(b, key, (size_t)kn);
            } else {
                snprintf(err, errlen, "cannot encode a table key of type %s as JSON", luaL_typename(L, -2));
                lua_pop(L, 2);
                return -1;
            }
            BL_JSON_LIT(b, ":");
            if (put_lua(L, -1, b, err, errlen, depth + 1, limit)) {
                lua_pop(L, 2);
                return -1;
            }
        }
        BL_JSON_LIT(b, "}");
        return 0;
    }
    default:
        break;
    }
    snprintf(err, errlen, "cannot encode a %s as JSON", luaL_typename(L, idx));
    return -1;
}

int bl_lua_put(lua_State *L, int idx, bl_buf *b, char *err, size_t errlen)
{
    return put_lua(L, idx, b, err, errlen, 0, b->len + BL_JSON_MAX_TEXT);
}

static int j_encode(lua_State *L)
{
    char err[200];
    luaL_checkany(L, 1);
    cJSON *j = bl_lua_tojson(L, 1, err, sizeof err);
    if (j == NULL)
        return luaL_argerror(L, 1, err);
    bl_buf b = {0};
    bl_json_print(j, &b);
    cJSON_Delete(j);
    lua_pushlstring(L, b.data, b.len);
    bl_buf_free(&b);
    return 1;
}

static int j_decode(lua_State *L)
{
    size_t n;
    const char *s = luaL_checklstring(L, 1, &n);
    char err[200];
    cJSON *j = bl_json_parse(s, n, err, sizeof err);
    if (j == NULL)
        return luaL_error(L, "json.decode: %s", err);
    bl_lua_pushjson(L, j, 0);
    cJSON_Delete(j);
    return 1;
}

int luaopen_bylaw_json(lua_State *L)
{
    static const luaL_Reg fns[] = {{"encode", j_encode}, {"decode", j_decode}, {NULL, NULL}};
    luaL_newlib(L, fns);
    bl_lua_pushnull(L);
    lua_setfield(L, -2, "null");
    return 1;
}
