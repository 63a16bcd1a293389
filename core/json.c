/* json.c — parses and prints JSON for the C side with cJSON, adding what the engine promises its
 * users: the byte offset of a syntax error, a depth limit, and no silently rounded numbers. */
#include "json.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* 2^53: integers beyond it cannot be held exactly by a double, which is how cJSON keeps numbers. */
#define EXACT_LIMIT 9007199254740992.0

static const char *check(const cJSON *j, int depth)
{
    if (depth > BL_JSON_MAX_DEPTH)
        return "deep";
    if (cJSON_IsNumber(j) && fabs(j->valuedouble) >= EXACT_LIMIT && j->valuedouble == floor(j->valuedouble))
        return "big";
    for (const cJSON *c = j->child; c; c = c->next) {
        const char *r = check(c, depth + 1);
        if (r)
            return r;
    }
    return NULL;
}

/* Scratch trees --------------------------------------------------------------------------------
 * A tree parsed by bl_json_parse_scratch comes from its thread's scratch block: one bump of a
 * pointer per node and string instead of a malloc, and nothing to do when the tree is deleted (the
 * free hook leaves the block's memory alone; bl_json_scratch_reset takes it all back at once). A
 * stream of small records is parsed without malloc or free. Anything else cJSON allocates, on any
 * thread, is malloc'd and freed as usual. */

#define SCRATCH_SIZE (64 * 1024)

static _Thread_local struct {
    char *base, *next, *end;
    int on; /* only while bl_json_parse_scratch parses */
} scratch;

static void *hook_malloc(size_t n)
{
    if (scratch.on) {
        n = (n + 15) & ~(size_t)15;
        if ((size_t)(scratch.end - scratch.next) >= n) {
            void *p = scratch.next;
            scratch.next += n;
            return p;
        }
    }
    return malloc(n);
}

static void hook_free(void *p)
{
    uintptr_t a = (uintptr_t)p;
    if (a >= (uintptr_t)scratch.base && a < (uintptr_t)scratch.end)
        return; /* the block's: taken back by bl_json_scratch_reset */
    free(p);
}

void bl_json_init(void)
{
    cJSON_Hooks hooks = {hook_malloc, hook_free};
    cJSON_InitHooks(&hooks);
}

cJSON *bl_json_parse_scratch(const char *s, size_t n, char *err, size_t errlen)
{
    if (scratch.base == NULL) {
        scratch.base = scratch.next = malloc(SCRATCH_SIZE);
        if (scratch.base == NULL) {
            fputs("bylaw: out of memory\n", stderr);
            abort();
        }
        scratch.end = scratch.base + SCRATCH_SIZE;
    }
    scratch.on = 1;
    cJSON *j = bl_json_parse(s, n, err, errlen);
    scratch.on = 0;
    return j;
}

void bl_json_scratch_reset(void) { scratch.next = scratch.base; }

void bl_json_scratch_free(void)
{
    free(scratch.base);
    scratch.base = scratch.next = scratch.end = NULL;
}

cJSON *bl_json_parse(const char *s, size_t n, char *err, size_t errlen)
{
    const char *end = NULL;
    if (n == 0) {
        snprintf(err, errlen, "empty input: expected a JSON value");
        return NULL;
    }
    cJSON *j = cJSON_ParseWithLengthOpts(s, n, &end, 0);
    if (j == NULL) {
        size_t at = end && end >= s ? (size_t)(end - s) : 0;
        if (at > n)
            at = n;
        char near[24] = "";
        if (at < n) {
            size_t k = 0;
            for (size_t i = at; i < n && k < 12; i++)
                near[k++] = (s[i] >= 32 && s[i] < 127) ? s[i] : '?';
            near[k] = '\0';
        }
        /* cut short: cJSON then stops on the last byte, inside a number, word or string */
        if (at >= n || (at + 1 == n && strchr("}],:", s[at]) == NULL))
            snprintf(err, errlen, "invalid JSON: the text ends early (after %zu bytes): a '}', ']' or '\"' is missing", n);
        else
            snprintf(err, errlen, "invalid JSON at byte %zu (near '%s')", at, near);
        return NULL;
    }
    size_t rest = end ? (size_t)(end - s) : n;
    while (rest < n && (s[rest] == ' ' || s[rest] == '\t' || s[rest] == '\n' || s[rest] == '\r'))
        rest++;
    if (rest < n && s[rest] != '\0') {
        snprintf(err, errlen, "invalid JSON at byte %zu: text after the end of the value", rest);
        cJSON_Delete(j);
        return NULL;
    }
    const char *bad = check(j, 0);
    if (bad) {
        if (bad[0] == 'd')
            snprintf(err, errlen, "JSON nested deeper than %d levels", BL_JSON_MAX_DEPTH);
        else
            snprintf(err, errlen, "a number is too large to keep exactly (beyond 2^53): send it as a string");
        cJSON_Delete(j);
        return NULL;
    }
    return j;
}

void bl_json_print(const cJSON *j, bl_buf *out)
{
    for (size_t room = 1024;; room *= 4) {
        bl_buf_reserve(out, room);
        if (cJSON_PrintPreallocated((cJSON *)j, out->data + out->len, (int)(out->cap - out->len - 1), 0)) {
            out->len += strlen(out->data + out->len);
            return;
        }
    }
}

/* Writes v (an integer below 2^53) in decimal; returns the length. */
static int format_int(char *buf, long long v)
{
    char tmp[24];
    int n = 0, neg = v < 0;
    unsigned long long u = neg ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    do
        tmp[n++] = (char)('0' + u % 10);
    while ((u /= 10) != 0);
    int len = 0;
    if (neg)
        buf[len++] = '-';
    while (n)
        buf[len++] = tmp[--n];
    buf[len] = '\0';
    return len;
}

/* Writing JSON text --------------------------------------------------------------------------------
 * cJSON prints only whole trees, and yajl's generator calls back once per token: on the path of
 * `bylaw eval --input` either cost more than the policies themselves (cJSON: 1.4 µs to build and
 * print one answer, yajl: 1.6 µs; this: 0.25 µs). Writing is only punctuation, RFC 8259 §7 string
 * escapes and numbers; reading JSON stays with cJSON. */

static char *room(bl_buf *b, size_t n)
{
    if (b->len + n + 1 > b->cap)
        bl_buf_reserve(b, n);
    return b->data + b->len;
}

/* Bytes that need an escape in a JSON string: controls, '"' and '\'. */
static const unsigned char escaped[256] = {
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    ['"'] = 1, ['\\'] = 1,
};
static int needs_escape(unsigned char c) { return escaped[c]; }

/* Whether any of the 8 bytes of w needs an escape (below 0x20, '"' or '\\'), 8 bytes at a time: with
 * ONES = 0x0101..., (x - ONES * c) & ~x & 0x8080... is nonzero exactly when some byte of x is below c
 * (c <= 0x80), and x ^ (ONES * c) has a zero byte where x has c. */
static int word_needs_escape(uint64_t w)
{
    const uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;
    uint64_t q = w ^ (ones * '"'), bs = w ^ (ones * '\\');
    return (((w - ones * 0x20) & ~w) | ((q - ones) & ~q) | ((bs - ones) & ~bs)) & highs ? 1 : 0;
}

void bl_json_put_str(bl_buf *b, const char *s, size_t n)
{
    size_t extra = 0, at = 0;
    for (uint64_t w; at + 8 <= n; at += 8) { /* the usual string has nothing to escape */
        memcpy(&w, s + at, 8);
        if (word_needs_escape(w))
            break;
    }
    for (; at < n; at++)
        if (needs_escape((unsigned char)s[at]))
            extra += 5; /* at most \u00XX for one byte */
    char *p = room(b, n + extra + 2), *start = p;
    *p++ = '"';
    if (extra == 0) {
        memcpy(p, s, n);
        p += n;
    } else {
        static const char hex[] = "0123456789abcdef";
        for (size_t i = 0; i < n; i++) {
            unsigned char c = (unsigned char)s[i];
            if (!needs_escape(c)) {
                *p++ = (char)c;
                continue;
            }
            *p++ = '\\';
            switch (c) {
            case '"': *p++ = '"'; break;
            case '\\': *p++ = '\\'; break;
            case '\b': *p++ = 'b'; break;
            case '\f': *p++ = 'f'; break;
            case '\n': *p++ = 'n'; break;
            case '\r': *p++ = 'r'; break;
            case '\t': *p++ = 't'; break;
            default:
                *p++ = 'u';
                *p++ = '0';
                *p++ = '0';
                *p++ = hex[c >> 4];
                *p++ = hex[c & 15];
            }
        }
    }
    *p++ = '"';
    b->len += (size_t)(p - start);
    b->data[b->len] = '\0';
}

void bl_json_put_int(bl_buf *b, long long v)
{
    char *p = room(b, 24);
    b->len += (size_t)format_int(p, v);
}

void bl_json_put_num(bl_buf *b, double d)
{
    if (d == floor(d) && fabs(d) < EXACT_LIMIT) {
        bl_json_put_int(b, (long long)d);
        return;
    }
    /* the shortest of 15 or 17 significant digits that reads back as d, as cJSON prints it */
    char buf[32];
    int n = snprintf(buf, sizeof buf, "%.15g", d);
    if (strtod(buf, NULL) != d)
        n = snprintf(buf, sizeof buf, "%.17g", d);
    bl_json_put(b, buf, (size_t)n);
}

void bl_json_put_value(bl_buf *b, const cJSON *j)
{
    switch (j->type & 0xff) {
    case cJSON_Object:
        bl_json_put(b, "{", 1);
        for (const cJSON *c = j->child; c; c = c->next) {
            if (c != j->child)
                bl_json_put(b, ",", 1);
            bl_json_put_str(b, c->string, strlen(c->string));
            bl_json_put(b, ":", 1);
            bl_json_put_value(b, c);
        }
        bl_json_put(b, "}", 1);
        break;
    case cJSON_Array:
        bl_json_put(b, "[", 1);
        for (const cJSON *c = j->child; c; c = c->next) {
            if (c != j->child)
                bl_json_put(b, ",", 1);
            bl_json_put_value(b, c);
        }
        bl_json_put(b, "]", 1);
        break;
    case cJSON_String: bl_json_put_str(b, j->valuestring, strlen(j->valuestring)); break;
    case cJSON_Number: bl_json_put_num(b, j->valuedouble); break;
    case cJSON_True: BL_JSON_LIT(b, "true"); break;
    case cJSON_False: BL_JSON_LIT(b, "false"); break;
    case cJSON_Raw: bl_json_put(b, j->valuestring, strlen(j->valuestring)); break;
    default: BL_JSON_LIT(b, "null"); break;
    }
}

char *bl_json_dump(const cJSON *j)
{
    char *s = cJSON_PrintUnformatted(j);
    if (s == NULL) {
        fputs("bylaw: out of memory\n", stderr);
        abort();
    }
    return s;
}

const char *bl_json_str(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

double bl_json_num(const cJSON *obj, const char *key, double dflt)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsNumber(v) ? v->valuedouble : dflt;
}

cJSON *bl_json_add(cJSON *obj, const char *key, cJSON *value)
{
    if (value == NULL)
        value = cJSON_CreateNull();
    cJSON_AddItemToObject(obj, key, value);
    return value;
}

cJSON *bl_json_add_str(cJSON *obj, const char *key, const char *s)
{
    return bl_json_add(obj, key, s ? cJSON_CreateString(s) : cJSON_CreateNull());
}

cJSON *bl_json_add_num(cJSON *obj, const char *key, double n) { return bl_json_add(obj, key, cJSON_CreateNumber(n)); }
