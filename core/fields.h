/* fields.h — the field types of policy{ fields = ... }, checked in C on the parsed record before any policy
 * runs: the kinds (defined here only: the runtime gets them as C.KINDS) and the constraints of enum{},
 * number{min, max}, integer{...}, string(max), date and datetime (docs/policies.md, "Field types"). */
#ifndef BL_FIELDS_H
#define BL_FIELDS_H

#include <lua.h>
#include <math.h>
#include <stddef.h>

#include "json.h"

/* The kinds of value a field may hold. enum{} is a string with members; date and datetime are strings. */
enum bl_kind {
    BL_KIND_NUMBER = 1,
    BL_KIND_INTEGER,
    BL_KIND_STRING,
    BL_KIND_BOOLEAN,
    BL_KIND_TABLE, /* a JSON object or array */
    BL_KIND_DATE,
    BL_KIND_DATETIME,
    BL_KIND_MONTH,
    BL_KIND_END
};

/* Why a value fails its rule; the runtime gets the word (bl_why_word) and writes the message. */
enum bl_why { BL_WHY_OK, BL_WHY_MISSING, BL_WHY_KIND, BL_WHY_MEMBER, BL_WHY_MIN, BL_WHY_MAX, BL_WHY_LENGTH,
              BL_WHY_FORM };

/* One field's rule, read from the runtime's flat list (see bl_rule_read). */
typedef struct bl_rule {
    int kind, optional;
    int extra;              /* a constraint past the kind: bl_rule_extra looks */
    double min, max;        /* numbers: -HUGE_VAL, HUGE_VAL when not given */
    long minlen, maxlen;    /* strings, in characters (UTF-8): 0 and -1 when not given */
    int nmembers;           /* enum: the members, strings the flat list holds (it must outlive the rule) */
    const char **members;
    size_t *lens;
} bl_rule;

/* Pushes {number = 1, integer = 2, ...}: C.KINDS. */
void bl_fields_push_kinds(lua_State *L);
/* "missing", "kind", "member", "min", "max", "length", "form". */
const char *bl_why_word(int why);

/* Reads the rule at position j (from 0) of the flat list at index t: { name, kind, optional, spec, ... },
 * spec false or { min =, max =, minlen =, maxlen =, members = { "a", ... } }. */
#define BL_RULE_STRIDE 4
void bl_rule_read(lua_State *L, int t, int j, bl_rule *r);
void bl_rule_free(bl_rule *r);

/* The constraints past the kind: BL_WHY_OK or why not. */
int bl_rule_extra(const bl_rule *r, const cJSON *v);

/* BL_WHY_OK when the value v (neither NULL nor JSON null: a missing field is the caller's) satisfies r. */
static inline int bl_rule_check(const bl_rule *r, const cJSON *v)
{
    int ok;
    switch (r->kind) {
    case BL_KIND_NUMBER: ok = cJSON_IsNumber(v); break;
    case BL_KIND_INTEGER: ok = cJSON_IsNumber(v) && v->valuedouble == floor(v->valuedouble); break;
    case BL_KIND_BOOLEAN: ok = cJSON_IsBool(v); break;
    case BL_KIND_TABLE: ok = cJSON_IsObject(v) || cJSON_IsArray(v); break;
    default: ok = cJSON_IsString(v); break; /* string, date, datetime, month */
    }
    if (!ok)
        return BL_WHY_KIND;
    return r->extra ? bl_rule_extra(r, v) : BL_WHY_OK;
}

#endif
