/* json.c — parses and prints JSON for the C side with cJSON, adding what the engine promises its
 * users: the byte offset of a syntax error, a depth limit, no silently rounded numbers, and text that
 * means one thing only: valid UTF-8, no NUL byte or \u0000 cutting a string short, no lone surrogate
 * escape, no key given twice in one object. */
#include "json.h"

#include <math.h>
#include <stdint.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* 2^53: integers beyond it cannot be held exactly by a double, which is how cJSON keeps numbers. */
#define EXACT_LIMIT 9007199254740992.0

/* What cJSON lets through ----------------------------------------------------------------------
 * cJSON keeps strings as C strings and takes any byte: a NUL byte or a \u0000 escape cuts a string
 * short, invalid UTF-8 is stored and echoed, and of a key given twice both are kept. So the text is
 * read once before cJSON (16 bytes at a time up to the next byte above 0x7F, backslash or NUL: most
 * records hold none) and the tree once after (depth, numbers, keys). */

/* The length of the UTF-8 sequence starting at p[0] (a byte above 0x7F) if it is valid (RFC 3629:
 * shortest form, no surrogates, nothing above U+10FFFF), else 0. */
static size_t utf8_len(const unsigned char *p, size_t n)
{
    unsigned c = p[0], lo = 0x80, hi = 0xBF;
    size_t len;
    if (c >= 0xC2 && c <= 0xDF)
        len = 2;
    else if (c >= 0xE0 && c <= 0xEF)
        len = 3, lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
    else if (c >= 0xF0 && c <= 0xF4)
        len = 4, lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
    else
        return 0;
    if (n < len || p[1] < lo || p[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++)
        if ((p[i] & 0xC0) != 0x80)
            return 0;
    return len;
}

int bl_utf8_valid(const char *s, size_t n, size_t *bad)
{
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        size_t len = p[i] < 0x80 ? 1 : utf8_len(p + i, n - i);
        if (len == 0) {
            if (bad)
                *bad = i;
            return 0;
        }
        i += len;
    }
    return 1;
}

/* The value of the four hex digits after "\\u" at p (n bytes from the backslash), or -1. */
static long hex4(const char *p, size_t n)
{
    if (n < 6 || p[0] != '\\' || p[1] != 'u')
        return -1;
    long v = 0;
    for (int i = 2; i < 6; i++) {
        char c = p[i];
        if (c >= '0' && c <= '9')
            v = v * 16 + (c - '0');
        else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
            v = v * 16 + ((c | 0x20) - 'a' + 10);
        else
            return -1;
    }
    return v;
}

/* Bytes the text check stops at: above 0x7F, backslash, NUL. Bit k of the result: p[k] is one of
 * them (16 bytes at p). */
static unsigned special_mask16(const unsigned char *p)
{
#ifdef __SSE2__
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
    __m128i hit = _mm_or_si128(_mm_cmpeq_epi8(v, _mm_setzero_si128()), _mm_cmpeq_epi8(v, _mm_set1_epi8('\\')));
    return (unsigned)_mm_movemask_epi8(_mm_or_si128(hit, v)); /* the top bit of each byte: hit, or above 0x7F */
#else
    unsigned m = 0;
    for (unsigned k = 0; k < 16; k++)
        m |= (unsigned)(p[k] >= 0x80 || p[k] == '\\' || p[k] == '\0') << k;
    return m;
#endif
}

/* Where the first such byte at or after i is, or n: 16 bytes at a time, the last 16 read again from
 * the end rather than one by one. */
static size_t next_special(const unsigned char *p, size_t n, size_t i)
{
    if (n < 16) {
        for (; i < n; i++)
            if (p[i] >= 0x80 || p[i] == '\\' || p[i] == '\0')
                return i;
        return n;
    }
    for (; i + 16 <= n; i += 16) {
        unsigned m = special_mask16(p + i);
        if (m)
            return i + (unsigned)__builtin_ctz(m);
    }
    unsigned m = i < n ? special_mask16(p + n - 16) >> (i - (n - 16)) : 0;
    return m ? i + (unsigned)__builtin_ctz(m) : n;
}

/* The text's bytes and escapes: 0, or -1 with err. Syntax is left to cJSON, so a backslash is taken
 * for an escape wherever it is: outside a string the text is not JSON anyway, and inside one every
 * '"' that does not end it is itself escaped. */
static int check_text(const char *s, size_t n, char *err, size_t errlen)
{
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = next_special(p, n, 0); i < n; i = next_special(p, n, i)) {
        unsigned c = p[i];
        if (c >= 0xE1 && c <= 0xEC && i + 2 < n && (p[i + 1] & 0xC0) == 0x80 && (p[i + 2] & 0xC0) == 0x80) {
            i += 3; /* most of CJK, at once */
        } else if (c >= 0x80) {
            size_t len = utf8_len(p + i, n - i);
            if (len == 0) {
                snprintf(err, errlen, "invalid UTF-8 at byte %zu", i);
                return -1;
            }
            i += len;
        } else if (c == '\\') {
            long u = hex4(s + i, n - i);
            if (u == 0) {
                snprintf(err, errlen, "a string holds \\u0000 at byte %zu", i);
                return -1;
            }
            if (u >= 0xD800 && u <= 0xDBFF) {
                long low = hex4(s + i + 6, n - i - 6);
                if (low >= 0xDC00 && low <= 0xDFFF) {
                    i += 12;
                    continue;
                }
            }
            if (u >= 0xD800 && u <= 0xDFFF) {
                snprintf(err, errlen, "a string holds \\u%.4s at byte %zu: half of a character (a UTF-16 surrogate) "
                         "without its other half", s + i + 2, i);
                return -1;
            }
            /* past the escape; a bad one is cJSON's to report (but for UTF-8 after the backslash) */
            i += u >= 0 ? 6 : i + 1 < n && p[i + 1] < 0x80 ? 2 : 1;
        } else {
            snprintf(err, errlen, "the JSON text holds a NUL byte at byte %zu", i);
            return -1;
        }
    }
    return 0;
}

/* Keys given twice. Objects are small as a rule: a key is compared with the ones before it that start
 * with the same byte; a larger object goes through a hash table, so that a 100,000-key object is not
 * quadratic. */

#define SMALL_OBJECT 16

/* FNV-1a, started from a per-process value (where this library was loaded), so that a client cannot
 * prepare keys that all fall in one slot. */
static uint64_t key_hash(const char *k)
{
    static const char anchor;
    uint64_t h = 0xcbf29ce484222325u ^ ((uint64_t)(uintptr_t)&anchor * 0x9E3779B97F4A7C15u);
    for (; *k; k++)
        h = (h ^ (unsigned char)*k) * 0x100000001b3u;
    return h;
}

static const cJSON *large_duplicate(const cJSON *obj)
{
    size_t n = 0, cap = 64;
    for (const cJSON *c = obj->child; c; c = c->next)
        n++;
    while (cap < 2 * n)
        cap *= 2;
    const cJSON **slot = calloc(cap, sizeof *slot);
    if (slot == NULL) {
        fputs("bylaw: out of memory\n", stderr);
        abort();
    }
    const cJSON *dup = NULL;
    for (const cJSON *c = obj->child; c && !dup; c = c->next) {
        size_t at = (size_t)key_hash(c->string) & (cap - 1);
        for (; slot[at]; at = (at + 1) & (cap - 1))
            if (strcmp(slot[at]->string, c->string) == 0) {
                dup = c;
                break;
            }
        slot[at] = c;
    }
    free(slot);
    return dup;
}

/* The first member of obj (in text order) whose key an earlier member has, or NULL. Keys are
 * compared only when their first bytes are the same (a 256-bit set of the first bytes seen). */
static const cJSON *find_duplicate(const cJSON *obj)
{
    uint64_t first[4] = {0};
    size_t k = 0;
    for (const cJSON *c = obj->child; c; c = c->next) {
        if (++k > SMALL_OBJECT)
            return large_duplicate(obj);
        unsigned char b = (unsigned char)c->string[0];
        uint64_t bit = (uint64_t)1 << (b & 63);
        if (first[b >> 6] & bit)
            for (const cJSON *e = obj->child; e != c; e = e->next)
                if (strcmp(e->string, c->string) == 0)
                    return c;
        first[b >> 6] |= bit;
    }
    return NULL;
}

/* Where the key-th key (from 0, in text order) starts in the text cJSON accepted: a string followed
 * by ':' (cJSON takes every byte up to ' ' as a blank). */
static size_t key_offset(const char *s, size_t n, size_t key)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '"')
            continue;
        size_t start = i++;
        for (; i < n && s[i] != '"'; i++)
            if (s[i] == '\\')
                i++;
        size_t j = i + 1;
        while (j < n && (unsigned char)s[j] <= ' ')
            j++;
        if (j < n && s[j] == ':' && key-- == 0)
            return start;
    }
    return n;
}

enum { TREE_OK, TREE_DEEP, TREE_BIG, TREE_DUPLICATE };

typedef struct tree_check {
    int problem;      /* TREE_* */
    const cJSON *dup; /* TREE_DUPLICATE: the member whose key an earlier one has */
} tree_check;

static int too_big(const cJSON *j)
{
    return (j->type & 0xff) == cJSON_Number && fabs(j->valuedouble) >= EXACT_LIMIT &&
           j->valuedouble == floor(j->valuedouble);
}

/* The members of j (an object or array at depth) and what is under them; 1 with t set at the first
 * problem in text order. Leaves are judged here, not in a call each. */
static int check_tree(const cJSON *j, int depth, tree_check *t)
{
    if (depth >= BL_JSON_MAX_DEPTH) {
        t->problem = TREE_DEEP;
        return 1;
    }
    const cJSON *dup = (j->type & 0xff) == cJSON_Object && j->child->next ? find_duplicate(j) : NULL;
    for (const cJSON *c = j->child; c; c = c->next) {
        if (c == dup) {
            t->problem = TREE_DUPLICATE;
            t->dup = c;
            return 1;
        }
        if (c->child ? check_tree(c, depth + 1, t) : too_big(c)) {
            if (t->problem == TREE_OK)
                t->problem = TREE_BIG;
            return 1;
        }
    }
    return 0;
}

/* How many keys come before member m in the text: keys are met in the order of a depth-first walk. */
static int keys_before(const cJSON *j, const cJSON *m, size_t *count)
{
    for (const cJSON *c = j->child; c; c = c->next) {
        if (c == m)
            return 1;
        if ((j->type & 0xff) == cJSON_Object)
            (*count)++;
        if (keys_before(c, m, count))
            return 1;
    }
    return 0;
}

/* err for a problem check_tree found in root, parsed from s. */
static void tree_error(const tree_check *t, const cJSON *root, const char *s, size_t n, char *err, size_t errlen)
{
    if (t->problem == TREE_DEEP) {
        snprintf(err, errlen, "JSON nested deeper than %d levels", BL_JSON_MAX_DEPTH);
    } else if (t->problem == TREE_BIG) {
        snprintf(err, errlen, "a number is too large to keep exactly (beyond 2^53): send it as a string");
    } else {
        bl_buf name = {0};
        size_t len = strlen(t->dup->string);
        if (len > 40) /* cut on a character's first byte */
            for (len = 40; len > 0 && (t->dup->string[len] & 0xC0) == 0x80; len--)
                ;
        bl_json_put_str(&name, t->dup->string, len);
        size_t keys = 0;
        keys_before(root, t->dup, &keys);
        snprintf(err, errlen, "duplicate key %s%s at byte %zu", name.data, len < strlen(t->dup->string) ? " (cut)" : "",
                 key_offset(s, n, keys));
        bl_buf_free(&name);
    }
}

/* Scratch trees --------------------------------------------------------------------------------
 * A tree parsed by bl_json_parse_scratch comes from its thread's scratch block: one bump of a
 * pointer per node and string instead of a malloc, and nothing to do when the tree is deleted (the
 * free hook leaves the block's memory alone; bl_json_scratch_reset takes it all back at once). A
 * stream of small records is parsed without malloc or free. Anything else cJSON allocates, on any
 * thread, is malloc'd and freed as usual. */

#define SCRATCH_SIZE (64 * 1024)

typedef struct scratch_state {
    char *base, *next, *end;
    int on;      /* only while bl_json_parse_scratch parses (or a block is entered) */
    int spilled; /* a node did not fit while on: it was malloc'd */
    char *base2, *end2; /* another block whose memory free leaves alone (bl_json_delete_blocks) */
} scratch_state;
static _Thread_local scratch_state scratch, saved; /* saved: the thread's own while a block is entered */

static void *hook_malloc(size_t n)
{
    if (scratch.on) {
        n = (n + 15) & ~(size_t)15;
        if ((size_t)(scratch.end - scratch.next) >= n) {
            void *p = scratch.next;
            scratch.next += n;
            return p;
        }
        scratch.spilled = 1;
    }
    return malloc(n);
}

static void hook_free(void *p)
{
    uintptr_t a = (uintptr_t)p;
    if ((a >= (uintptr_t)scratch.base && a < (uintptr_t)scratch.end) ||
        (a >= (uintptr_t)scratch.base2 && a < (uintptr_t)scratch.end2))
        return; /* a block's: taken back by bl_json_scratch_reset, or with the block */
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

/* Blocks: the scratch mechanism on a block of the caller's, in place of the thread's own for the time
 * of one parse or one delete. */
void bl_json_block_init(bl_json_block *b, size_t size)
{
    memset(b, 0, sizeof *b);
    b->base = b->next = malloc(size);
    if (b->base == NULL) {
        fputs("bylaw: out of memory\n", stderr);
        abort();
    }
    b->end = b->base + size;
}

void bl_json_block_free(bl_json_block *b)
{
    free(b->base);
    b->base = b->next = b->end = NULL;
}

void bl_json_block_enter(bl_json_block *b)
{
    saved = scratch;
    scratch = (scratch_state){.base = b->base, .next = b->next, .end = b->end, .on = 1};
}

void bl_json_block_leave(bl_json_block *b)
{
    b->next = scratch.next;
    b->spilled |= scratch.spilled;
    scratch = saved;
}

cJSON *bl_json_parse_block(bl_json_block *b, const char *s, size_t n, char *err, size_t errlen)
{
    bl_json_block_enter(b);
    cJSON *j = bl_json_parse(s, n, err, errlen);
    bl_json_block_leave(b);
    return j;
}

void bl_json_delete_blocks(bl_json_block *a, bl_json_block *b, cJSON *tree)
{
    if (!a->spilled && !b->spilled)
        return; /* every node is one of theirs */
    scratch_state keep = scratch;
    scratch.base = a->base, scratch.end = a->end, scratch.base2 = b->base, scratch.end2 = b->end;
    cJSON_Delete(tree);
    scratch = keep;
}

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
    if (check_text(s, n, err, errlen) != 0)
        return NULL;
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
    if (rest < n) {
        snprintf(err, errlen, "invalid JSON at byte %zu: text after the end of the value", rest);
        cJSON_Delete(j);
        return NULL;
    }
    tree_check t = {0};
    if (j->child ? check_tree(j, 0, &t) : too_big(j)) {
        if (t.problem == TREE_OK)
            t.problem = TREE_BIG;
        tree_error(&t, j, s, n, err, errlen);
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
    if (!isfinite(d)) { /* as cJSON prints them */
        BL_JSON_LIT(b, "null");
        return;
    }
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
