/* calendar.c (binding) — the `calendar` module: policies declare calendars (`calendar { ... }` in a
 * policy file) and count in working days. Instants are seconds since the epoch or ISO 8601 text;
 * results are seconds. The arithmetic and its rules are core/calendar.c and docs/calendar.md. */
#include <lauxlib.h>
#include <stdlib.h>
#include <string.h>

#include "host.h"
#include "lcalendar.h"

static const char CALS_KEY = 'c'; /* registry: name -> userdata box of a bl_cal_t */
#define BOX "bylaw.calendar"

static int box_gc(lua_State *L)
{
    bl_cal_t **box = luaL_checkudata(L, 1, BOX);
    bl_cal_free(*box);
    *box = NULL;
    return 0;
}

static void push_cals(lua_State *L)
{
    if (lua_rawgetp(L, LUA_REGISTRYINDEX, &CALS_KEY) == LUA_TNIL) {
        lua_pop(L, 1);
        lua_newtable(L);
        lua_pushvalue(L, -1);
        lua_rawsetp(L, LUA_REGISTRYINDEX, &CALS_KEY);
    }
}

static void store_cal(lua_State *L, const char *name, bl_cal_t *c)
{
    push_cals(L);
    bl_cal_t **box = lua_newuserdatauv(L, sizeof *box, 0);
    *box = c;
    if (luaL_newmetatable(L, BOX)) {
        lua_pushcfunction(L, box_gc);
        lua_setfield(L, -2, "__gc");
    }
    lua_setmetatable(L, -2);
    lua_setfield(L, -2, name);
    lua_pop(L, 1);
}

bl_cal_t *bl_calendar_get(lua_State *L, const char *name)
{
    push_cals(L);
    lua_getfield(L, -1, name ? name : "default");
    bl_cal_t **box = lua_touserdata(L, -1);
    lua_pop(L, 2);
    if (box)
        return *box;
    if (name && strcmp(name, "default") != 0)
        return NULL;
    bl_cal_t *c = bl_cal_new(); /* none declared: Saturday and Sunday off, 09:00-18:00, Asia/Shanghai */
    store_cal(L, "default", c);
    return c;
}

static bl_cal_t *check_cal(lua_State *L, int idx)
{
    const char *name = luaL_optstring(L, idx, "default");
    bl_cal_t *c = bl_calendar_get(L, name);
    if (c == NULL)
        luaL_argerror(L, idx, lua_pushfstring(L, "no calendar named '%s' (declare it with calendar { name = ... })", name));
    return c;
}

/* Raises err (malloc'd) as the error of argument idx. */
static int arg_fail(lua_State *L, int idx, char *err)
{
    lua_pushstring(L, err ? err : "invalid");
    free(err);
    return luaL_argerror(L, idx, lua_tostring(L, -1));
}

static int64_t check_instant(lua_State *L, int idx, bl_cal_t *c)
{
    if (lua_type(L, idx) == LUA_TSTRING) {
        char *err = NULL;
        int64_t ms;
        if (bl_cal_time_parse(c, lua_tostring(L, idx), &ms, &err) != BL_OK)
            arg_fail(L, idx, err);
        return ms;
    }
    if (lua_type(L, idx) == LUA_TNUMBER)
        return (int64_t)(lua_tonumber(L, idx) * 1000.0);
    luaL_argerror(L, idx, "instant expected: seconds since the epoch or ISO 8601 text");
    return 0;
}

static int push_seconds(lua_State *L, int64_t ms)
{
    if (ms % 1000 == 0)
        lua_pushinteger(L, (lua_Integer)(ms / 1000));
    else
        lua_pushnumber(L, (double)ms / 1000.0);
    return 1;
}

static int result(lua_State *L, int rc, int64_t ms, const char *what)
{
    if (rc != BL_OK)
        return luaL_error(L, "calendar.%s: the result is out of range (a calendar without working days?)", what);
    return push_seconds(L, ms);
}

static const char *string_field(lua_State *L, int t, const char *k)
{
    lua_getfield(L, t, k);
    const char *s = lua_isnil(L, -1) ? NULL : luaL_checkstring(L, -1);
    lua_pop(L, 1); /* the string stays alive in the table */
    return s;
}

/* calendar { name=, zone=, hours = {open, close}, lunch = {from, to}, weekend = {"saturday", ...},
 *            holidays = {...}, workdays = {...} } */
static int c_define(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    const char *name = string_field(L, 1, "name");
    if (name == NULL)
        name = "default";
    bl_cal_t *c = bl_cal_new();
    char *err = NULL;
    const char *zone = string_field(L, 1, "zone");
    if (zone && bl_cal_set_zone(c, zone, &err) != BL_OK)
        goto fail;
    static const char *pairs[] = {"hours", "lunch"};
    for (int k = 0; k < 2; k++) {
        lua_getfield(L, 1, pairs[k]);
        if (lua_istable(L, -1)) {
            lua_rawgeti(L, -1, 1);
            lua_rawgeti(L, -2, 2);
            const char *a = lua_tostring(L, -2), *b = lua_tostring(L, -1);
            int rc = k == 0 ? bl_cal_set_hours(c, a ? a : "?", b ? b : "?", &err)
                            : bl_cal_set_break(c, a ? a : "?", b ? b : "?", &err);
            lua_pop(L, 2);
            if (rc != BL_OK)
                goto fail;
        }
        lua_pop(L, 1);
    }
    lua_getfield(L, 1, "weekend");
    if (lua_istable(L, -1)) {
        static const char *days[] = {"sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"};
        unsigned bits = 0;
        for (lua_Integer i = 1; i <= (lua_Integer)luaL_len(L, -1); i++) {
            lua_rawgeti(L, -1, i);
            const char *d = lua_tostring(L, -1);
            int found = 0;
            for (int k = 0; k < 7 && d; k++)
                if (strcmp(d, days[k]) == 0)
                    bits |= 1u << k, found = 1;
            lua_pop(L, 1);
            if (!found) {
                err = bl_strdupf("weekend day '%s' is not a weekday name (sunday .. saturday)", d ? d : "?");
                goto fail;
            }
        }
        if (bl_cal_set_weekend(c, bits, &err) != BL_OK)
            goto fail;
    }
    lua_pop(L, 1);
    static const char *lists[] = {"holidays", "workdays"};
    for (int l = 0; l < 2; l++) {
        lua_getfield(L, 1, lists[l]);
        for (lua_Integer i = 1; lua_istable(L, -1) && i <= (lua_Integer)luaL_len(L, -1); i++) {
            lua_rawgeti(L, -1, i);
            const char *d = lua_tostring(L, -1);
            int rc = (l == 0 ? bl_cal_add_holiday : bl_cal_add_workday)(c, d ? d : "?", &err);
            lua_pop(L, 1);
            if (rc != BL_OK)
                goto fail;
        }
        lua_pop(L, 1);
    }
    store_cal(L, name, c);
    return 0;
fail:
    bl_cal_free(c);
    luaL_where(L, 1); /* the policy file and line of `calendar { ... }` */
    lua_pushfstring(L, "calendar '%s': %s", name, err ? err : "invalid");
    free(err);
    lua_concat(L, 2);
    return lua_error(L);
}

static int c_call(lua_State *L) /* calendar { ... } */
{
    lua_remove(L, 1);
    return c_define(L);
}

static int c_add(lua_State *L) /* calendar.add(t, duration [, name]) */
{
    bl_cal_t *c = check_cal(L, 3);
    int64_t t = check_instant(L, 1, c), out;
    char *err = NULL;
    bl_cal_dur d;
    if (bl_cal_dur_parse(luaL_checkstring(L, 2), &d, &err) != BL_OK)
        return arg_fail(L, 2, err);
    int rc = bl_cal_add(c, t, d, &out);
    return result(L, rc, out, "add");
}

static int c_parse(lua_State *L)
{
    bl_cal_t *c = check_cal(L, 2);
    return push_seconds(L, check_instant(L, 1, c));
}

static int c_format(lua_State *L)
{
    bl_cal_t *c = check_cal(L, 2);
    char buf[BL_CAL_TIME_BUF];
    lua_pushstring(L, bl_cal_time_format(c, check_instant(L, 1, c), buf));
    return 1;
}

static int c_is_workday(lua_State *L)
{
    bl_cal_t *c = check_cal(L, 2);
    lua_pushboolean(L, bl_cal_is_workday(c, check_instant(L, 1, c)));
    return 1;
}

static int c_next_workday(lua_State *L)
{
    bl_cal_t *c = check_cal(L, 2);
    int64_t out;
    int rc = bl_cal_next_workday(c, check_instant(L, 1, c), &out);
    return result(L, rc, out, "next_workday");
}

static int c_between(lua_State *L)
{
    bl_cal_t *c = check_cal(L, 3);
    int64_t out;
    if (bl_cal_workdays_between(c, check_instant(L, 1, c), check_instant(L, 2, c), &out) != BL_OK)
        return luaL_error(L, "calendar.workdays_between: out of range");
    lua_pushinteger(L, (lua_Integer)out);
    return 1;
}

static int c_nth(lua_State *L) /* calendar.nth_workday(year, month, n [, name]) -> close of that day, or nil */
{
    bl_cal_t *c = check_cal(L, 4);
    int64_t out;
    int rc = bl_cal_nth_workday(c, (int)luaL_checkinteger(L, 1), (int)luaL_checkinteger(L, 2),
                                (int)luaL_checkinteger(L, 3), BL_CAL_CLOSE, &out);
    if (rc == BL_NOTFOUND)
        return lua_pushnil(L), 1;
    if (rc != BL_OK)
        return luaL_error(L, "calendar.nth_workday: year, month or n out of range");
    return push_seconds(L, out);
}

int luaopen_bylaw_calendar(lua_State *L)
{
    static const luaL_Reg fns[] = {
        {"define", c_define},            {"add", c_add},         {"parse", c_parse},
        {"format", c_format},            {"is_workday", c_is_workday}, {"next_workday", c_next_workday},
        {"workdays_between", c_between}, {"nth_workday", c_nth}, {NULL, NULL},
    };
    luaL_newlib(L, fns);
    lua_createtable(L, 0, 1);
    lua_pushcfunction(L, c_call);
    lua_setfield(L, -2, "__call");
    lua_setmetatable(L, -2);
    return 1;
}
