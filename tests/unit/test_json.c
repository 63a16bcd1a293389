/* test_json.c — core/json.c: the parser's refusals (invalid UTF-8, NUL bytes, \u0000, lone surrogate
 * escapes, duplicate keys, each with its byte offset, at every place around the 16-byte steps of the
 * fast scan; the same through the scratch parser), and the writer: strings escaped exactly as cJSON
 * escapes them (every byte value, at every place around the 8-byte steps of the fast scan), numbers
 * that read back the same, and whole values written as cJSON prints them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "json.h"

/* s (NUL-terminated) written by bl_json_put_str must equal cJSON's printing of the same string. */
static void same_as_cjson(const char *s)
{
    bl_buf b = {0};
    bl_json_put_str(&b, s, strlen(s));
    cJSON *j = cJSON_CreateString(s);
    char *want = cJSON_PrintUnformatted(j);
    if (strcmp(b.data, want) != 0)
        fail_msg("string of %zu bytes: wrote %s, cJSON prints %s", strlen(s), b.data, want);
    cJSON_free(want);
    cJSON_Delete(j);
    bl_buf_free(&b);
}

static void test_strings(void **state)
{
    char s[32];
    for (size_t len = 1; len <= 24; len++)
        for (size_t at = 0; at < len; at++)
            for (int c = 1; c < 256; c++) {
                memset(s, 'a', len);
                s[len] = '\0';
                s[at] = (char)c;
                same_as_cjson(s);
            }
    same_as_cjson("");
    same_as_cjson("grade diamond: annual_revenue 6,932,606 >= 5,000,000");
    same_as_cjson("钻石客户 \"quoted\" back\\slash\ttab\nnewline");
}

static void test_numbers(void **state)
{
    static const double values[] = {0, -0.0, 1, -1, 0.1, 1e-7, 123456789.125, 1e15, 9007199254740991.0,
                                    9007199254740992.0, 1e300, -2.5e-300, 5000000, 0.9 * 10000, 1.0 / 3};
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        bl_buf b = {0};
        bl_json_put_num(&b, values[i]);
        double back = strtod(b.data, NULL);
        if (back != values[i])
            fail_msg("%.17g written as %s reads back as %.17g", values[i], b.data, back);
        bl_buf_free(&b);
    }
    bl_buf b = {0};
    bl_json_put_int(&b, -9223372036854775807LL - 1);
    BL_JSON_LIT(&b, ",");
    bl_json_put_num(&b, 5000000);
    assert_string_equal(b.data, "-9223372036854775808,5000000");
    bl_buf_free(&b);
}

static void test_values(void **state)
{
    const char *text = "{\"a\":[1,2.5,\"x\\u0001\",true,false,null,{}],\"b\":{\"c\":[]},\"\\\"k\":-3}";
    cJSON *j = cJSON_Parse(text);
    assert_non_null(j);
    bl_buf b = {0};
    bl_json_put_value(&b, j);
    char *want = cJSON_PrintUnformatted(j);
    assert_string_equal(b.data, want);
    cJSON_free(want);
    cJSON_Delete(j);
    bl_buf_free(&b);
}


/* Parsing ------------------------------------------------------------------------------------------ */

/* n bytes of text must parse, through bl_json_parse and the scratch parser alike. */
static void parses(const char *text, size_t n)
{
    char err[200] = "";
    for (int scratch = 0; scratch < 2; scratch++) {
        cJSON *j = scratch ? bl_json_parse_scratch(text, n, err, sizeof err) : bl_json_parse(text, n, err, sizeof err);
        if (j == NULL)
            fail_msg("%.*s: refused: %s", (int)n, text, err);
        cJSON_Delete(j);
        bl_json_scratch_reset();
    }
}

/* n bytes of text must be refused with exactly want, by both parsers. */
static void refused(const char *text, size_t n, const char *want)
{
    for (int scratch = 0; scratch < 2; scratch++) {
        char err[200] = "";
        cJSON *j = scratch ? bl_json_parse_scratch(text, n, err, sizeof err) : bl_json_parse(text, n, err, sizeof err);
        if (j != NULL)
            fail_msg("%.*s: accepted; expected: %s", (int)n, text, want);
        if (strcmp(err, want) != 0)
            fail_msg("%.*s: said '%s'; expected '%s'", (int)n, text, err, want);
        bl_json_scratch_reset();
    }
}

#define PARSES(lit) parses(lit, sizeof(lit) - 1)
#define REFUSED(lit, want) refused(lit, sizeof(lit) - 1, want)

static void test_parse_utf8(void **state)
{
    PARSES("\"\\u00e9 \xc3\xa9 \xc2\x80 \xdf\xbf \xe0\xa0\x80 \xef\xbf\xbf \xf0\x90\x80\x80 \xf4\x8f\xbf\xbf\"");
    PARSES("{\"\xe5\xae\xa2\xe6\x88\xb7\":\"\xe9\x92\xbb\xe7\x9f\xb3\"}");
    REFUSED("\"\xc0\xaf\"", "invalid UTF-8 at byte 1");          /* overlong '/' */
    REFUSED("\"\xc1\xbf\"", "invalid UTF-8 at byte 1");          /* overlong */
    REFUSED("\"ab\xe0\x80\xaf\"", "invalid UTF-8 at byte 3");    /* overlong, 3 bytes */
    REFUSED("\"\xf0\x80\x80\xaf\"", "invalid UTF-8 at byte 1");  /* overlong, 4 bytes */
    REFUSED("\"\xed\xa0\x80\"", "invalid UTF-8 at byte 1");      /* U+D800, a surrogate */
    REFUSED("\"\xed\xbf\xbf\"", "invalid UTF-8 at byte 1");      /* U+DFFF */
    REFUSED("\"\xf4\x90\x80\x80\"", "invalid UTF-8 at byte 1");  /* above U+10FFFF */
    REFUSED("\"\xf5\x80\x80\x80\"", "invalid UTF-8 at byte 1");
    REFUSED("\"\xff\"", "invalid UTF-8 at byte 1");
    REFUSED("\"\x80\"", "invalid UTF-8 at byte 1");              /* a continuation byte alone */
    REFUSED("\"\xe4\xb8\"", "invalid UTF-8 at byte 1");          /* cut short by the quote */
    REFUSED("\"\xe4\xb8\xad\xe4\x41\x41\"", "invalid UTF-8 at byte 4"); /* a lead byte, no continuation */
    REFUSED("[\"\xe4\xb8\xad\xe6\x96\x87\xec\xbf\xbf\\u00e9\xe1\x80\x80\",\"\xc3\x28\"]", "invalid UTF-8 at byte 23");
    REFUSED("\"\xe4\xb8", "invalid UTF-8 at byte 1");            /* cut short by the end of the text */
    REFUSED("{\"k\":1}\xe9", "invalid UTF-8 at byte 7");         /* outside a string too */
    /* at every place around the 16-byte steps of the scan (and the last, overlapping, step) */
    char text[64], want[64];
    for (size_t len = 3; len <= 40; len++)
        for (size_t at = 1; at + 1 < len; at++) {
            memset(text, 'a', len);
            text[0] = text[len - 1] = '"';
            text[at] = (char)0xff;
            snprintf(want, sizeof want, "invalid UTF-8 at byte %zu", at);
            refused(text, len, want);
            text[at] = 0;
            snprintf(want, sizeof want, "the JSON text holds a NUL byte at byte %zu", at);
            refused(text, len, want);
            text[at] = 'a';
            parses(text, len);
        }
}

static void test_parse_nul_and_surrogates(void **state)
{
    REFUSED("\"a\\u0000b\"", "a string holds \\u0000 at byte 2");
    REFUSED("{\"a\\u0000b\":1}", "a string holds \\u0000 at byte 3");
    REFUSED("\"a\0b\"", "the JSON text holds a NUL byte at byte 2");
    REFUSED("{\"a\":1}\0", "the JSON text holds a NUL byte at byte 7");
    REFUSED("[1,\0 2]", "the JSON text holds a NUL byte at byte 3");
    PARSES("\"a\\\\u0000b\""); /* a backslash, then the letters u0000 */
    PARSES("[\"\\\"\", \"\\\\\", \"\\u0001\"]");
    REFUSED("\"\\uD800\"", "a string holds \\uD800 at byte 1: half of a character (a UTF-16 surrogate) without "
                           "its other half");
    REFUSED("[\"ok\",\"x\\ud800\\u0041\"]", "a string holds \\ud800 at byte 8: half of a character (a UTF-16 "
                                             "surrogate) without its other half");
    REFUSED("\"\\uDC00\\uD800\"", "a string holds \\uDC00 at byte 1: half of a character (a UTF-16 surrogate) "
                                  "without its other half");
    REFUSED("\"\\uD800\\uD800\"", "a string holds \\uD800 at byte 1: half of a character (a UTF-16 surrogate) "
                                  "without its other half");
    REFUSED("\"\\uD800", "a string holds \\uD800 at byte 1: half of a character (a UTF-16 surrogate) without its "
                         "other half");
    char err[200];
    cJSON *j = bl_json_parse("\"\\uD83D\\uDE00\\u00e9\"", 20, err, sizeof err);
    assert_non_null(j);
    assert_string_equal(j->valuestring, "\xf0\x9f\x98\x80\xc3\xa9");
    cJSON_Delete(j);
    /* what is not about bytes or escapes is still cJSON's to report, with its offset */
    REFUSED("\"\\u00\"", "invalid JSON at byte 1 (near '\\u00\"')");
    REFUSED("\"\\\xc3\xa9\"", "invalid JSON at byte 1 (near '\\??\"')"); /* not an escape, but UTF-8 */
    REFUSED("{\"a\":1,}", "invalid JSON at byte 7 (near '}')");
}

static void test_parse_duplicate_keys(void **state)
{
    REFUSED("{\"a\":6e6,\"a\":null}", "duplicate key \"a\" at byte 9");
    REFUSED("{\"a\":1, \"b\":2,\n \"a\" :3}", "duplicate key \"a\" at byte 16");
    REFUSED("{\"a\":1,\"\\u0061\":2}", "duplicate key \"a\" at byte 7");
    REFUSED("{\"x\":\"a\\\":b\",\"y\":{\"z\":[1,{\"q\":0,\"q\":1}]},\"x\":0}", "duplicate key \"q\" at byte 32");
    REFUSED("{\"x\":1,\"y\":{\"z\":0},\"x\":0}", "duplicate key \"x\" at byte 19");
    REFUSED("{\"\":1,\"\":2}", "duplicate key \"\" at byte 6");
    REFUSED("[{\"k\":1},{\"k\":2,\"z\":0,\"k\":3}]", "duplicate key \"k\" at byte 22");
    REFUSED("{\"k\\\"q\":1,\"k\\\"q\":2}", "duplicate key \"k\\\"q\" at byte 10");
    PARSES("[{\"k\":1},{\"k\":2},{\"a\":{\"k\":3}}]");
    PARSES("{\"ab\":1,\"ac\":2,\"a\":3,\"abc\":4,\"b\":{\"ab\":5}}");
    REFUSED("{\"k123456789012345678901234567890123456789012345\":1,"
            "\"k123456789012345678901234567890123456789012345\":2}",
            "duplicate key \"k123456789012345678901234567890123456789\" (cut) at byte 52");

    /* large objects go through a hash table: 100,000 keys, none twice, then the last one twice */
    size_t nkeys = 100000;
    bl_buf b = {0};
    bl_buf_adds(&b, "{");
    for (size_t i = 0; i < nkeys; i++)
        bl_buf_printf(&b, "%s\"key%zu\":%zu", i ? "," : "", i, i);
    bl_buf_adds(&b, "}");
    clock_t t0 = clock();
    parses(b.data, b.len);
    double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
    if (secs > (getenv("BYLAW_UNDER_VALGRIND") ? 60.0 : 3.0))
        fail_msg("100,000 keys took %.2f s", secs);
    size_t at = b.len - 1;
    b.len--;
    bl_buf_printf(&b, ",\"key%zu\":0}", nkeys - 1);
    char want[80];
    snprintf(want, sizeof want, "duplicate key \"key%zu\" at byte %zu", nkeys - 1, at + 1);
    refused(b.data, b.len, want);
    /* 17 to 40 keys: the first object past the small size, a duplicate at every place */
    for (size_t n = 17; n <= 40; n++)
        for (size_t dup = 1; dup < n; dup++) {
            bl_buf o = {0};
            size_t off = 0;
            bl_buf_adds(&o, "{");
            for (size_t i = 0; i < n; i++) {
                if (i == dup)
                    off = o.len + 1;
                bl_buf_printf(&o, "%s\"k%zu\":1", i ? "," : "", i == dup ? dup / 2 : i);
            }
            bl_buf_adds(&o, "}");
            snprintf(want, sizeof want, "duplicate key \"k%zu\" at byte %zu", dup / 2, off);
            refused(o.data, o.len, want);
            bl_buf_free(&o);
        }
    bl_buf_free(&b);
}

int main(void)
{
    bl_json_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_strings),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_values),
        cmocka_unit_test(test_parse_utf8),
        cmocka_unit_test(test_parse_nul_and_surrogates),
        cmocka_unit_test(test_parse_duplicate_keys),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    bl_json_scratch_free();
    return rc;
}
