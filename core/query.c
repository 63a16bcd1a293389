/* query.c — reads the API's query parameters into numbers, choices, months, record conditions and
 * orders, and words each refusal with the parameter's name and what it accepts. */
#include "query.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int refuse(char **err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int refuse(char **err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    *err = bl_vstrdupf(fmt, ap);
    va_end(ap);
    return BL_INVALID;
}

int bl_query_int(const char *name, const char *text, int64_t min, int64_t max, int64_t *out, char **err)
{
    if (text == NULL)
        return BL_OK;
    char *end;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (errno || end == text || *end || text[0] == ' ' || text[0] == '+' || v < min || v > max)
        return refuse(err, "%s must be a whole number from %lld to %lld, got '%.100s'", name, (long long)min,
                      (long long)max, text);
    *out = v;
    return BL_OK;
}

int bl_query_choice(const char *name, const char *text, const char *const *choices, int *out, char **err)
{
    if (text == NULL)
        return BL_OK;
    bl_buf all = {0};
    for (int i = 0; choices[i]; i++) {
        if (strcmp(choices[i], text) == 0) {
            *out = i;
            bl_buf_free(&all);
            return BL_OK;
        }
        bl_buf_printf(&all, "%s%s", i ? (choices[i + 1] ? ", " : " or ") : "", choices[i]);
    }
    int rc = refuse(err, "%s must be %s, got '%.100s'", name, all.data, text);
    bl_buf_free(&all);
    return rc;
}

static int digits(const char *s, int n)
{
    for (int i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

int bl_query_month(const char *name, const char *text, char **err)
{
    int ok = strlen(text) == 7 && digits(text, 4) && text[4] == '-' && digits(text + 5, 2);
    int month = ok ? (text[5] - '0') * 10 + (text[6] - '0') : 0;
    if (!ok || month < 1 || month > 12)
        return refuse(err, "%s must be a month YYYY-MM (01 to 12), got '%.100s'", name, text);
    return BL_OK;
}

/* Conditions ------------------------------------------------------------------------------------------- */

static int field_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

int bl_query_field_name(const char *s)
{
    size_t n = 0;
    while (field_char(s[n]))
        n++;
    return n > 0 && n <= BL_QUERY_MAX_FIELD && s[n] == '\0';
}

/* Whether [s, s + n) is a JSON number as RFC 8259 writes one (no leading zero, no '+', no blank). */
static int json_number(const char *s, size_t n)
{
    const char *p = s, *end = s + n;
    p += p < end && *p == '-';
    if (p < end && *p == '0')
        p++;
    else if (p < end && *p >= '1' && *p <= '9')
        while (p < end && *p >= '0' && *p <= '9')
            p++;
    else
        return 0;
    if (p < end && *p == '.') {
        const char *d = ++p;
        while (p < end && *p >= '0' && *p <= '9')
            p++;
        if (p == d)
            return 0;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        p += p < end && (*p == '+' || *p == '-');
        const char *d = p;
        while (p < end && *p >= '0' && *p <= '9')
            p++;
        if (p == d)
            return 0;
    }
    return p == end;
}

/* A value as JSON: a number, true, false or null when the text is one exactly; a quoted JSON string; else
 * the text itself. NULL (with *err) for a quote that does not close. */
static cJSON *value_of(const char *field, const char *text, size_t n, char **err)
{
    char perr[100];
    int literal = json_number(text, n) || (n && text[0] == '"') || (n == 4 && !memcmp(text, "true", 4)) ||
                  (n == 5 && !memcmp(text, "false", 5)) || (n == 4 && !memcmp(text, "null", 4));
    cJSON *j = literal ? bl_json_parse(text, n, perr, sizeof perr) : NULL;
    if (j && (cJSON_IsNumber(j) || cJSON_IsBool(j) || cJSON_IsNull(j) || cJSON_IsString(j)))
        return j;
    cJSON_Delete(j);
    if (n && text[0] == '"') {
        refuse(err, "%s: the value %.*s starts with '\"' but is not a JSON string", field, (int)(n > 100 ? 100 : n),
               text);
        return NULL;
    }
    char *s = bl_strdupf("%.*s", (int)n, text);
    j = cJSON_CreateString(s);
    free(s);
    return j;
}

/* The end of a list item starting at p: past a quoted string (with its escapes), else at ',' or ')'. */
static const char *item_end(const char *p, const char *end)
{
    if (*p == '"') {
        for (p++; p < end && *p != '"'; p++)
            if (*p == '\\' && p + 1 < end)
                p++;
        return p < end ? p + 1 : end;
    }
    while (p < end && *p != ',')
        p++;
    return p;
}

/* "in(a,b,...)" (its text between the parentheses: [p, end)) as a JSON array. */
static cJSON *list_of(const char *field, const char *p, const char *end, char **err)
{
    cJSON *a = cJSON_CreateArray();
    if (p == end) {
        refuse(err, "%s=in(): name at least one value, as in(gold,platinum)", field);
        cJSON_Delete(a);
        return NULL;
    }
    for (int n = 0;; n++) {
        const char *e = item_end(p, end);
        cJSON *v = n < BL_QUERY_MAX_LIST && e > p ? value_of(field, p, (size_t)(e - p), err) : NULL;
        if (v == NULL) {
            if (*err == NULL)
                refuse(err, e == p ? "%s=in(...) has an empty value (two commas, or one at an end)"
                                   : "%s=in(...) takes at most %d values",
                       field, BL_QUERY_MAX_LIST);
            cJSON_Delete(a);
            return NULL;
        }
        cJSON_AddItemToArray(a, v);
        if (e == end)
            return a;
        if (*e != ',') {
            refuse(err, "%s=in(...): a quoted value must be followed by ',' or ')'", field);
            cJSON_Delete(a);
            return NULL;
        }
        p = e + 1;
        if (p == end) {
            refuse(err, "%s=in(...) has an empty value (two commas, or one at an end)", field);
            cJSON_Delete(a);
            return NULL;
        }
    }
}

/* Splits the parameter into field, operator and operand text. */
static int split_cond(const char *name, const char *value, char *field, bl_op *op, const char **operand, char **err)
{
    size_t n = 0;
    while (field_char(name[n]))
        n++;
    const char *rest = name + n;
    const char *how = "name a field (letters, digits, '_' and '-') then =, !=, <, <=, > or >= and a value";
    if (n == 0 || (*rest && !strchr("<>!", *rest)))
        return refuse(err, "'%.100s' is not a field condition: %s", name, how);
    if (n > BL_QUERY_MAX_FIELD)
        return refuse(err, "the field name '%.100s...' is longer than %d bytes", name, BL_QUERY_MAX_FIELD);
    memcpy(field, name, n);
    field[n] = '\0';
    *operand = value;
    if (*rest == '\0') {
        *op = BL_OP_EQ;
        return BL_OK;
    }
    char c = rest[0];
    if (rest[1] == '\0') { /* "a>" "1": the '=' split them */
        *op = c == '<' ? BL_OP_LE : c == '>' ? BL_OP_GE : BL_OP_NE;
        return BL_OK;
    }
    int eq = rest[1] == '=';
    if ((c == '!' && !eq) || value[0] != '\0')
        return refuse(err, "'%.100s%s%.100s' is not a field condition: %s", name, value[0] ? "=" : "", value, how);
    *op = c == '<' ? (eq ? BL_OP_LE : BL_OP_LT) : c == '>' ? (eq ? BL_OP_GE : BL_OP_GT) : BL_OP_NE;
    *operand = rest + 1 + eq;
    return BL_OK;
}

int bl_query_cond(const char *name, const char *value, bl_cond *c, char **err)
{
    char field[BL_QUERY_MAX_FIELD + 1];
    const char *operand = "";
    bl_op op = BL_OP_EQ;
    memset(c, 0, sizeof *c);
    *err = NULL;
    if (split_cond(name, value ? value : "", field, &op, &operand, err) != BL_OK)
        return BL_INVALID;
    static const char *const sym[] = {[BL_OP_LT] = "<", [BL_OP_LE] = "<=", [BL_OP_GT] = ">", [BL_OP_GE] = ">="};
    size_t n = strlen(operand);
    int list = n >= 4 && strncmp(operand, "in(", 3) == 0 && operand[n - 1] == ')';
    cJSON *v;
    if (list && op != BL_OP_EQ && op != BL_OP_NE)
        return refuse(err, "%s%s%s: a list in(...) goes with = or !=", field, sym[op], operand);
    if (list) {
        v = list_of(field, operand + 3, operand + n - 1, err);
        op = op == BL_OP_EQ ? BL_OP_IN : BL_OP_NOT_IN;
    } else {
        v = value_of(field, operand, n, err);
    }
    if (v == NULL)
        return BL_INVALID;
    if (op >= BL_OP_LT && op <= BL_OP_GE && !cJSON_IsNumber(v) && !cJSON_IsString(v)) {
        cJSON_Delete(v);
        return refuse(err, "%s%s%s: <, <=, > and >= compare numbers or text, not true, false or null", field, sym[op],
                      operand);
    }
    c->field = bl_strdupf("%s", field);
    c->op = op;
    c->value = v;
    return BL_OK;
}

void bl_query_cond_free(bl_cond *c)
{
    free((char *)c->field);
    cJSON_Delete((cJSON *)c->value);
    memset(c, 0, sizeof *c);
}

/* Orders --------------------------------------------------------------------------------------------- */

int bl_query_sort(const char *text, bl_sort *sort, int *desc, char **err)
{
    static const char *const names[] = {[BL_SORT_ID] = "id", [BL_SORT_CREATED] = "created",
                                        [BL_SORT_UPDATED] = "updated"};
    const char *key = text[0] == '-' ? text + 1 : text;
    for (int i = 0; i < 3; i++)
        if (strcmp(key, names[i]) == 0) {
            *sort = (bl_sort)i;
            *desc = text[0] == '-';
            return BL_OK;
        }
    return refuse(err, "sort=%.100s: records are ordered by id, created or updated (the store's times), with a "
                       "leading '-' for descending; '%.100s' is not one of them, and a record field has no index "
                       "to order by",
                  text, key);
}
