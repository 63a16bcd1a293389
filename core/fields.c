/* fields.c — the field types of policy{ fields = ... }: the kinds as the runtime sees them, the rules read
 * from the runtime's flat list, and the constraints past the kind (enum members, number ranges, string
 * lengths, real dates and times). core/host.c runs them on every record. */
#include "fields.h"

#include <lauxlib.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "common.h"

static const char *const kind_names[BL_KIND_END] = {
    [BL_KIND_NUMBER] = "number", [BL_KIND_INTEGER] = "integer", [BL_KIND_STRING] = "string",
    [BL_KIND_BOOLEAN] = "boolean", [BL_KIND_TABLE] = "table", [BL_KIND_DATE] = "date",
    [BL_KIND_DATETIME] = "datetime", [BL_KIND_MONTH] = "month",
};

static const char *const why_words[] = {
    [BL_WHY_OK] = "ok",         [BL_WHY_MISSING] = "missing", [BL_WHY_KIND] = "kind", [BL_WHY_MEMBER] = "member",
    [BL_WHY_MIN] = "min",       [BL_WHY_MAX] = "max",         [BL_WHY_LENGTH] = "length", [BL_WHY_FORM] = "form",
};

void bl_fields_push_kinds(lua_State *L)
{
    lua_createtable(L, 0, BL_KIND_END);
    for (int k = 1; k < BL_KIND_END; k++) {
        lua_pushinteger(L, k);
        lua_setfield(L, -2, kind_names[k]);
    }
}

const char *bl_why_word(int why)
{
    return why >= 0 && why < (int)(sizeof why_words / sizeof why_words[0]) ? why_words[why] : "kind";
}

/* t[k] as a number, or dflt when it is not one. */
static double num_field(lua_State *L, int t, const char *k, double dflt)
{
    lua_pushstring(L, k);
    lua_rawget(L, t);
    double v = lua_type(L, -1) == LUA_TNUMBER ? lua_tonumber(L, -1) : dflt;
    lua_pop(L, 1);
    return v;
}

void bl_rule_read(lua_State *L, int t, int j, bl_rule *r)
{
    t = lua_absindex(L, t);
    memset(r, 0, sizeof *r);
    r->min = -HUGE_VAL;
    r->max = HUGE_VAL;
    r->maxlen = -1;
    lua_rawgeti(L, t, BL_RULE_STRIDE * j + 2);
    r->kind = (int)lua_tointeger(L, -1);
    lua_rawgeti(L, t, BL_RULE_STRIDE * j + 3);
    r->optional = lua_toboolean(L, -1);
    lua_pop(L, 2);
    r->extra = r->kind == BL_KIND_DATE || r->kind == BL_KIND_DATETIME || r->kind == BL_KIND_MONTH;
    if (lua_rawgeti(L, t, BL_RULE_STRIDE * j + 4) != LUA_TTABLE) {
        lua_pop(L, 1);
        return;
    }
    int spec = lua_gettop(L);
    r->min = num_field(L, spec, "min", -HUGE_VAL);
    r->max = num_field(L, spec, "max", HUGE_VAL);
    r->minlen = (long)num_field(L, spec, "minlen", 0);
    r->maxlen = (long)num_field(L, spec, "maxlen", -1);
    lua_pushliteral(L, "members");
    if (lua_rawget(L, spec) == LUA_TTABLE) {
        int n = (int)lua_rawlen(L, -1);
        r->members = bl_xmalloc((size_t)(n ? n : 1) * sizeof *r->members);
        r->lens = bl_xmalloc((size_t)(n ? n : 1) * sizeof *r->lens);
        for (int i = 0; i < n; i++) {
            lua_rawgeti(L, -1, i + 1);
            const char *s = lua_tolstring(L, -1, &r->lens[r->nmembers]); /* held by the members table */
            if (s)
                r->members[r->nmembers++] = s;
            lua_pop(L, 1);
        }
    }
    lua_pop(L, 2);
    r->extra = r->extra || r->members || r->min != -HUGE_VAL || r->max != HUGE_VAL || r->minlen > 0 || r->maxlen >= 0;
}

void bl_rule_free(bl_rule *r)
{
    free(r->members);
    free(r->lens);
    r->members = NULL;
    r->lens = NULL;
    r->nmembers = 0;
}

/* Characters of UTF-8 text: the bytes that do not continue a character. */
static long utf8_chars(const char *s)
{
    long n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

int bl_rule_extra(const bl_rule *r, const cJSON *v)
{
    if (cJSON_IsNumber(v)) {
        if (v->valuedouble < r->min)
            return BL_WHY_MIN;
        if (v->valuedouble > r->max)
            return BL_WHY_MAX;
        return BL_WHY_OK;
    }
    if (!cJSON_IsString(v))
        return BL_WHY_OK;
    const char *s = v->valuestring;
    if (r->kind == BL_KIND_DATE && !bl_date_valid(s))
        return BL_WHY_FORM;
    if (r->kind == BL_KIND_DATETIME && !bl_instant_valid(s))
        return BL_WHY_FORM;
    if (r->kind == BL_KIND_MONTH && !bl_month_valid(s))
        return BL_WHY_FORM;
    if (r->members) {
        size_t len = strlen(s);
        for (int i = 0; i < r->nmembers; i++)
            if (r->lens[i] == len && memcmp(r->members[i], s, len) == 0)
                return BL_WHY_OK;
        return BL_WHY_MEMBER;
    }
    if (r->minlen > 0 || r->maxlen >= 0) {
        long n = utf8_chars(s);
        if (n < r->minlen || (r->maxlen >= 0 && n > r->maxlen))
            return BL_WHY_LENGTH;
    }
    return BL_WHY_OK;
}
