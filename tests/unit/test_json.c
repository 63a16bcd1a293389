/* test_json.c — the JSON writer of core/json.c: strings escaped exactly as cJSON escapes them (every
 * byte value, at every place around the 8-byte steps of the fast scan), numbers that read back the
 * same, and whole values written as cJSON prints them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_strings),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
