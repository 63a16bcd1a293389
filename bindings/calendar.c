/* calendar.c (binding) — the `calendar` module: policy files declare calendars while they load
 * (`calendar { ... }`), policies count in working days. Instants are seconds since the epoch or ISO
 * 8601 text; results are seconds. The arithmetic and its rules are core/calendar.c and docs/calendar.md. */
#include <lauxlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host.h"
#include "lcalendar.h"
#include "sandbox.h"

static const char CALS_KEY = 'c';    /* registry: name -> box of a declared calendar */
static const char BUILTIN_KEY = 'b'; /* registry: box of the built-in default, made when first asked for */
#define BOX "bylaw.calendar"

/* The keys of `calendar { ... }`, and the weekday names of `weekend`, Monday first (bit = 1 << tm_wday). */
static const char *const SPEC_KEYS[] = {"name",    "zone",     "hours",    "lunch",        "weekend",
                                        "holidays", "workdays", "covers_until", NULL};
static const char *const DAY_NAMES[] = {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"};
static const char *const DAY_ABBR[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
static const char *const LANGS[] = {"en", "zh-CN", NULL}; /* the languages of format and span_note */

/* Calendars live in boxes: full userdata holding a bl_cal_t *, freed by __gc, with the place they were
 * declared ("policies/calendar.lua:7") as user value 1. */
static int box_gc(lua_State *L)
{
    bl_cal_t **box = luaL_checkudata(L, 1, BOX);
    bl_cal_free(*box);
    *box = NULL;
    return 0;
}

/* Pushes a box holding a new calendar. The box comes first, so that an error raised later leaves the
 * calendar to the collector. */
static bl_cal_t *push_box(lua_State *L)
{
    bl_cal_t **box = lua_newuserdatauv(L, sizeof *box, 1);
    *box = NULL;
    if (luaL_newmetatable(L, BOX)) {
        lua_pushcfunction(L, box_gc);
        lua_setfield(L, -2, "__gc");
    }
    lua_setmetatable(L, -2);
    return *box = bl_cal_new(); /* aborts on out-of-memory, raises nothing */
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
    if (lua_rawgetp(L, LUA_REGISTRYINDEX, &BUILTIN_KEY) == LUA_TNIL) {
        lua_pop(L, 1);
        push_box(L); /* none declared: Saturday and Sunday off, 09:00-18:00, Asia/Shanghai */
        lua_pushvalue(L, -1);
        lua_rawsetp(L, LUA_REGISTRYINDEX, &BUILTIN_KEY);
    }
    box = lua_touserdata(L, -1);
    lua_pop(L, 1);
    return *box;
}

int bl_calendar_list(lua_State *L, bl_calendar_decl *out, int max)
{
    int n = 0;
    push_cals(L);
    for (lua_pushnil(L); lua_next(L, -2); lua_pop(L, 1), n++) {
        const char *name = lua_tostring(L, -2);
        int at = n < max ? n : max; /* insertion into the sorted first max: where this name goes */
        while (at > 0 && strcmp(name, out[at - 1].name) < 0)
            at--;
        if (at == max)
            continue;
        memmove(out + at + 1, out + at, (size_t)((n < max ? n : max - 1) - at) * sizeof *out);
        bl_cal_t **box = lua_touserdata(L, -1);
        lua_getiuservalue(L, -1, 1);
        out[at] = (bl_calendar_decl){name, lua_tostring(L, -1), *box};
        lua_pop(L, 1); /* the key and the box's user value keep both strings */
    }
    lua_pop(L, 1);
    return n;
}

static bl_cal_t *check_cal(lua_State *L, int idx)
{
    const char *name = luaL_optstring(L, idx, "default");
    bl_cal_t *c = bl_calendar_get(L, name);
    if (c == NULL)
        luaL_argerror(L, idx, lua_pushfstring(L, "no calendar named '%s' (declare it with calendar { name = ... })", name));
    return c;
}

/* Raises err (malloc'd, freed before anything can raise) as the error of argument idx. */
static int arg_fail(lua_State *L, int idx, char *err)
{
    char msg[600];
    snprintf(msg, sizeof msg, "%s", err ? err : "invalid");
    free(err);
    return luaL_argerror(L, idx, msg);
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

/* The result of a count and whether it is provisional (two values), or an error. */
static int result(lua_State *L, int rc, int64_t ms, int provisional, const char *what)
{
    if (rc != BL_OK)
        return luaL_error(L, "calendar.%s: the result is out of range (a calendar without working days?)", what);
    push_seconds(L, ms);
    lua_pushboolean(L, provisional);
    return 2;
}

/* Pushes "file:line" of the nearest Lua code up the stack (what called `calendar { ... }`), or "?". */
static const char *push_where(lua_State *L)
{
    lua_Debug ar;
    for (int level = 1; lua_getstack(L, level, &ar); level++) {
        lua_getinfo(L, "Sl", &ar);
        if (ar.currentline > 0) /* the whole file name, which short_src may cut */
            return lua_pushfstring(L, "%s:%d", ar.source[0] == '@' ? ar.source + 1 : ar.short_src, ar.currentline);
    }
    return lua_pushliteral(L, "?");
}

/* Defining a calendar --------------------------------------------------------------------------------- */

/* Raises "file:line: calendar 'name': key[i]: msg" (no "[i]" when i is 0; no key when it is NULL). */
static int spec_fail(lua_State *L, const char *name, const char *key, lua_Integer i, const char *msg)
{
    char at[64] = "";
    if (key && i > 0)
        snprintf(at, sizeof at, "%.30s[%lld]: ", key, (long long)i);
    else if (key)
        snprintf(at, sizeof at, "%.30s: ", key);
    const char *where = push_where(L);
    lua_pushfstring(L, "%s: calendar '%s': %s%s", where, name, at, msg);
    return lua_error(L);
}

/* As spec_fail, with a message from the core (malloc'd; freed before anything can raise). */
static int spec_fail_core(lua_State *L, const char *name, const char *key, lua_Integer i, char *err)
{
    char msg[600];
    snprintf(msg, sizeof msg, "%s", err ? err : "invalid");
    free(err);
    return spec_fail(L, name, key, i, msg);
}

/* Pushes the raw value of spec[key] and returns its type: no metamethod of the policy's table runs. */
static int raw_field(lua_State *L, int spec, const char *key)
{
    lua_pushstring(L, key);
    return lua_rawget(L, spec);
}

/* The text at idx (a string, or a number as Lua writes it), or NULL. */
static const char *text_at(lua_State *L, int idx)
{
    int t = lua_type(L, idx);
    return t == LUA_TSTRING || t == LUA_TNUMBER ? lua_tostring(L, idx) : NULL;
}

static int wrong_type(lua_State *L, const char *name, const char *key, lua_Integer i, const char *want)
{
    char msg[160];
    snprintf(msg, sizeof msg, "expected %s, got %s", want, luaL_typename(L, -1));
    return spec_fail(L, name, key, i, msg);
}

static void check_keys(lua_State *L, int spec, const char *name)
{
    for (lua_pushnil(L); lua_next(L, spec); lua_pop(L, 1)) {
        const char *k = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : NULL;
        int known = 0;
        for (int i = 0; k && SPEC_KEYS[i]; i++)
            known |= strcmp(k, SPEC_KEYS[i]) == 0;
        if (known)
            continue;
        char msg[200];
        if (k)
            snprintf(msg, sizeof msg, "unknown key '%.60s'", k);
        else
            snprintf(msg, sizeof msg, "unknown key (a %s)", luaL_typename(L, -2));
        snprintf(msg + strlen(msg), sizeof msg - strlen(msg), " (expected name, zone, hours, lunch, weekend, "
                 "holidays, workdays or covers_until)");
        spec_fail(L, name, NULL, 0, msg);
    }
}

/* zone = "Asia/Shanghai" or covers_until = "2027-12-31": text given to set. */
static void read_text(lua_State *L, bl_cal_t *c, int spec, const char *name, const char *key,
                      int (*set)(bl_cal_t *, const char *, char **), const char *want)
{
    if (raw_field(L, spec, key) != LUA_TNIL) {
        char *err = NULL;
        if (lua_type(L, -1) != LUA_TSTRING)
            wrong_type(L, name, key, 0, want);
        if (set(c, lua_tostring(L, -1), &err) != BL_OK)
            spec_fail_core(L, name, key, 0, err);
    }
    lua_pop(L, 1);
}

/* hours = {"09:00", "18:00"} or lunch = {"12:00", "13:00"}. */
static void read_pair(lua_State *L, bl_cal_t *c, int spec, const char *name, const char *key,
                      int (*set)(bl_cal_t *, const char *, const char *, char **))
{
    int t = raw_field(L, spec, key);
    if (t == LUA_TTABLE) {
        lua_rawgeti(L, -1, 1);
        lua_rawgeti(L, -2, 2);
        const char *a = text_at(L, -2), *b = text_at(L, -1);
        char *err = NULL;
        if (set(c, a ? a : "?", b ? b : "?", &err) != BL_OK)
            spec_fail_core(L, name, key, 0, err);
        lua_pop(L, 2);
    } else if (t != LUA_TNIL)
        wrong_type(L, name, key, 0, "a table such as {\"09:00\", \"18:00\"}");
    lua_pop(L, 1);
}

static void read_weekend(lua_State *L, bl_cal_t *c, int spec, const char *name)
{
    int t = raw_field(L, spec, "weekend");
    if (t == LUA_TTABLE) {
        unsigned bits = 0;
        lua_Integer n = (lua_Integer)lua_rawlen(L, -1);
        for (lua_Integer i = 1; i <= n; i++) {
            lua_rawgeti(L, -1, i);
            const char *d = text_at(L, -1);
            int found = 0;
            for (int k = 0; k < 7 && d; k++)
                if (strcmp(d, DAY_NAMES[k]) == 0)
                    bits |= 1u << ((k + 1) % 7), found = 1;
            if (!found) {
                char msg[160];
                snprintf(msg, sizeof msg, "'%.40s' is not a weekday name (monday .. sunday)", d ? d : "?");
                spec_fail(L, name, "weekend", i, msg);
            }
            lua_pop(L, 1);
        }
        char *err = NULL;
        if (bl_cal_set_weekend(c, bits, &err) != BL_OK)
            spec_fail_core(L, name, "weekend", 0, err);
    } else if (t != LUA_TNIL)
        wrong_type(L, name, "weekend", 0, "a list such as {\"saturday\", \"sunday\"}");
    lua_pop(L, 1);
}

/* holidays = {...} or workdays = {...}: dates and ranges. */
static void read_dates(lua_State *L, bl_cal_t *c, int spec, const char *name, const char *key,
                       int (*add)(bl_cal_t *, const char *, char **))
{
    int t = raw_field(L, spec, key);
    if (t == LUA_TTABLE) {
        lua_Integer n = (lua_Integer)lua_rawlen(L, -1);
        for (lua_Integer i = 1; i <= n; i++) {
            lua_rawgeti(L, -1, i);
            const char *d = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
            if (d == NULL)
                wrong_type(L, name, key, i, "a date such as '2026-10-01' or '2026-10-01..2026-10-07'");
            char *err = NULL;
            if (add(c, d, &err) != BL_OK)
                spec_fail_core(L, name, key, i, err);
            lua_pop(L, 1);
        }
    } else if (t != LUA_TNIL)
        wrong_type(L, name, key, 0, "a list of dates such as {\"2026-10-01..2026-10-07\"}");
    lua_pop(L, 1);
}

/* calendar { name=, zone=, hours = {open, close}, lunch = {from, to}, weekend = {"saturday", ...},
 *            holidays = {...}, workdays = {...}, covers_until = "2027-12-31" }, while the policy files
 * load. The table is read with raw access only: no metamethod of it runs in here. */
static int c_define(lua_State *L)
{
    if (!bl_host_loading(bl_host_of(L))) {
        const char *where = push_where(L);
        lua_pushfstring(L, "calendar: calendars are defined when the policy files load, not while a policy runs (%s)",
                        where);
        return lua_error(L);
    }
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 1);
    int t = raw_field(L, 1, "name"); /* 2: stays on the stack, so name stays alive */
    if (t != LUA_TNIL && t != LUA_TSTRING)
        return luaL_argerror(L, 1, lua_pushfstring(L, "name must be a string, got %s", luaL_typename(L, 2)));
    const char *name = t == LUA_TSTRING ? lua_tostring(L, 2) : "default";
    check_keys(L, 1, name);
    push_cals(L); /* 3 */
    if (lua_getfield(L, 3, name) != LUA_TNIL) { /* 4 */
        lua_getiuservalue(L, 4, 1);
        const char *first = lua_tostring(L, -1), *where = push_where(L);
        lua_pushfstring(L, "%s: calendar '%s' is defined twice: here and at %s (give one of them another name)",
                        where, name, first ? first : "?");
        return lua_error(L);
    }
    lua_pop(L, 1);
    bl_cal_t *c = push_box(L); /* 4 */
    read_text(L, c, 1, name, "zone", bl_cal_set_zone, "text such as 'Asia/Shanghai' or '+08:00'");
    read_pair(L, c, 1, name, "hours", bl_cal_set_hours);
    read_pair(L, c, 1, name, "lunch", bl_cal_set_break);
    read_weekend(L, c, 1, name);
    read_dates(L, c, 1, name, "holidays", bl_cal_add_holiday);
    read_dates(L, c, 1, name, "workdays", bl_cal_add_workday);
    read_text(L, c, 1, name, "covers_until", bl_cal_set_covers_until, "a date such as '2027-12-31'");
    push_where(L);
    lua_setiuservalue(L, 4, 1);
    lua_setfield(L, 3, name);
    return 0;
}

static int c_call(lua_State *L) /* calendar { ... } */
{
    lua_remove(L, 1);
    return c_define(L);
}

/* Counting ----------------------------------------------------------------------------------------- */

static int c_add(lua_State *L) /* calendar.add(t, duration [, name]) -> t2, provisional */
{
    bl_cal_t *c = check_cal(L, 3);
    int64_t t = check_instant(L, 1, c), out = 0;
    char *err = NULL;
    bl_cal_dur d;
    if (bl_cal_dur_parse(luaL_checkstring(L, 2), &d, &err) != BL_OK)
        return arg_fail(L, 2, err);
    int prov = 0, rc = bl_cal_add_cov(c, t, d, &out, &prov);
    return result(L, rc, out, prov, "add");
}

static int c_parse(lua_State *L)
{
    bl_cal_t *c = check_cal(L, 2);
    return push_seconds(L, check_instant(L, 1, c));
}

/* calendar.format(t [, name [, lang]]): "en" (default) "2026-10-08T18:00:00+08:00", local time with its
 * offset; "zh-CN" "10月8日(周四)18:00", as Chinese notices write a time. */
static int c_format(lua_State *L)
{
    static const char *const ZH_DAY[] = {"日", "一", "二", "三", "四", "五", "六"};
    bl_cal_t *c = check_cal(L, 2);
    int lang = luaL_checkoption(L, 3, "en", LANGS);
    int64_t t = check_instant(L, 1, c);
    char buf[BL_CAL_TIME_BUF];
    const char *iso = bl_cal_time_format(c, t, buf);
    int y, mo, d, h, mi, w = bl_cal_weekday(c, t);
    if (lang == 0 || w < 0 || sscanf(iso, "%d-%d-%dT%d:%d", &y, &mo, &d, &h, &mi) != 5) {
        lua_pushstring(L, iso);
        return 1;
    }
    lua_pushfstring(L, "%d月%d日(周%s)%s%d:%s%d", mo, d, ZH_DAY[w], h < 10 ? "0" : "", h, mi < 10 ? "0" : "", mi);
    return 1;
}

static int c_is_workday(lua_State *L) /* -> worked, provisional */
{
    bl_cal_t *c = check_cal(L, 2);
    int64_t t = check_instant(L, 1, c);
    lua_pushboolean(L, bl_cal_is_workday(c, t));
    lua_pushboolean(L, !bl_cal_covers(c, t));
    return 2;
}

static int c_next_workday(lua_State *L) /* -> t2, provisional */
{
    bl_cal_t *c = check_cal(L, 2);
    int64_t out = 0;
    int prov = 0, rc = bl_cal_next_workday_cov(c, check_instant(L, 1, c), &out, &prov);
    return result(L, rc, out, prov, "next_workday");
}

static int c_between(lua_State *L) /* -> n, provisional */
{
    bl_cal_t *c = check_cal(L, 3);
    int64_t out;
    int prov = 0;
    if (bl_cal_workdays_between_cov(c, check_instant(L, 1, c), check_instant(L, 2, c), &out, &prov) != BL_OK)
        return luaL_error(L, "calendar.workdays_between: out of range");
    lua_pushinteger(L, (lua_Integer)out);
    lua_pushboolean(L, prov);
    return 2;
}

/* calendar.nth_workday(year, month, n [, name]) -> the close of that day or nil, provisional */
static int c_nth(lua_State *L)
{
    bl_cal_t *c = check_cal(L, 4);
    int64_t out = 0;
    int prov = 0;
    int rc = bl_cal_nth_workday_cov(c, (int)luaL_checkinteger(L, 1), (int)luaL_checkinteger(L, 2),
                                    (int)luaL_checkinteger(L, 3), BL_CAL_CLOSE, &out, &prov);
    if (rc == BL_NOTFOUND) {
        lua_pushnil(L);
        lua_pushboolean(L, prov);
        return 2;
    }
    if (rc != BL_OK)
        return luaL_error(L, "calendar.nth_workday: year, month or n out of range");
    return result(L, rc, out, prov, "nth_workday");
}

/* Days and their ends ------------------------------------------------------------------------------ */

static int c_end_of_day(lua_State *L) /* -> 00:00 of the next day */
{
    bl_cal_t *c = check_cal(L, 2);
    int64_t out = 0;
    if (bl_cal_end_of_day(c, check_instant(L, 1, c), &out) != BL_OK)
        return luaL_error(L, "calendar.end_of_day: the result is out of range");
    return push_seconds(L, out);
}

static int c_close_of(lua_State *L) /* -> the close of that working day or the next, provisional */
{
    bl_cal_t *c = check_cal(L, 2);
    int64_t out = 0;
    int prov = 0, rc = bl_cal_close_of(c, check_instant(L, 1, c), &out, &prov);
    return result(L, rc, out, prov, "close_of");
}

static int c_date(lua_State *L) /* -> "2026-10-15" */
{
    bl_cal_t *c = check_cal(L, 2);
    char buf[BL_CAL_DATE_BUF];
    lua_pushstring(L, bl_cal_date_format(c, check_instant(L, 1, c), buf));
    return 1;
}

static int c_weekday(lua_State *L) /* -> "Mon" */
{
    bl_cal_t *c = check_cal(L, 2);
    int w = bl_cal_weekday(c, check_instant(L, 1, c));
    if (w < 0)
        return luaL_argerror(L, 1, "the instant is out of range");
    lua_pushstring(L, DAY_ABBR[w]);
    return 1;
}

/* calendar.span_note(from, to [, name [, lang]]) -> "1–7 Oct are holidays" (zh-CN: "10月1日–7日为节假日") or nil */
static int c_span_note(lua_State *L)
{
    bl_cal_t *c = check_cal(L, 3);
    int zh = luaL_checkoption(L, 4, "en", LANGS);
    int64_t from = check_instant(L, 1, c), to = check_instant(L, 2, c);
    char buf[512];
    int n = bl_cal_span_note_in(c, from, to, zh, buf, sizeof buf);
    if (n < 0)
        return luaL_error(L, "calendar.span_note: out of range");
    if (n == 0)
        lua_pushnil(L);
    else if ((size_t)n < sizeof buf)
        lua_pushlstring(L, buf, (size_t)n);
    else {
        luaL_Buffer b;
        char *p = luaL_buffinitsize(L, &b, (size_t)n + 1);
        bl_cal_span_note_in(c, from, to, zh, p, (size_t)n + 1);
        luaL_pushresultsize(&b, (size_t)n);
    }
    return 1;
}

/* What a calendar is --------------------------------------------------------------------------------- */

static int c_covers_until(lua_State *L) /* -> the end of coverage (seconds), or nil: no end */
{
    int64_t end = bl_cal_covers_until(check_cal(L, 1));
    if (end == BL_CAL_UNLIMITED)
        lua_pushnil(L);
    else
        push_seconds(L, end);
    return 1;
}

/* calendar.info([name]) -> a read-only table: name, zone, open, close, lunch, weekend, holidays,
 * workdays (how many dates), covers_until (seconds) and covered_through ("2026-12-31") when there is
 * an end, defined_at ("policies/calendar.lua:7") unless it is the built-in default. */
static int c_info(lua_State *L)
{
    const char *name = luaL_optstring(L, 1, "default");
    bl_cal_t *c = check_cal(L, 1);
    bl_cal_info in;
    bl_cal_get_info(c, &in);
    lua_createtable(L, 0, 12);
    lua_pushstring(L, name);
    lua_setfield(L, -2, "name");
    lua_pushstring(L, in.zone);
    lua_setfield(L, -2, "zone");
    lua_pushstring(L, in.open);
    lua_setfield(L, -2, "open");
    lua_pushstring(L, in.close);
    lua_setfield(L, -2, "close");
    if (in.break_from[0]) {
        lua_pushfstring(L, "%s-%s", in.break_from, in.break_to);
        lua_setfield(L, -2, "lunch");
    }
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    for (int k = 0; k < 7; k++)
        if (in.weekend & (1u << ((k + 1) % 7))) {
            if (luaL_bufflen(&b) > 0)
                luaL_addstring(&b, ", ");
            luaL_addstring(&b, DAY_NAMES[k]);
        }
    luaL_pushresult(&b);
    lua_setfield(L, -2, "weekend");
    lua_pushinteger(L, (lua_Integer)in.holidays);
    lua_setfield(L, -2, "holidays");
    lua_pushinteger(L, (lua_Integer)in.workdays);
    lua_setfield(L, -2, "workdays");
    if (in.covers_until != BL_CAL_UNLIMITED) {
        char buf[BL_CAL_DATE_BUF];
        push_seconds(L, in.covers_until);
        lua_setfield(L, -2, "covers_until");
        lua_pushstring(L, bl_cal_date_format(c, in.covers_until - 1, buf));
        lua_setfield(L, -2, "covered_through");
    }
    push_cals(L);
    if (lua_getfield(L, -1, name) == LUA_TUSERDATA) {
        lua_getiuservalue(L, -1, 1);
        lua_setfield(L, -4, "defined_at");
    }
    lua_pop(L, 2);
    bl_sandbox_readonly(L);
    return 1;
}

int luaopen_bylaw_calendar(lua_State *L)
{
    static const luaL_Reg fns[] = {
        {"define", c_define},         {"add", c_add},
        {"parse", c_parse},           {"format", c_format},
        {"is_workday", c_is_workday}, {"next_workday", c_next_workday},
        {"workdays_between", c_between}, {"nth_workday", c_nth},
        {"end_of_day", c_end_of_day}, {"close_of", c_close_of},
        {"date", c_date},             {"weekday", c_weekday},
        {"span_note", c_span_note},   {"covers_until", c_covers_until},
        {"info", c_info},             {NULL, NULL},
    };
    luaL_newlib(L, fns);
    lua_createtable(L, 0, 1);
    lua_pushcfunction(L, c_call);
    lua_setfield(L, -2, "__call");
    lua_setmetatable(L, -2);
    return 1;
}
