/* test_export.c — rows as CSV (RFC 4180 quoting, header, columns given or gathered) and as JSON lines. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "export.h"

static void test_csv_columns_and_quoting(void **state)
{
    cJSON *rows = cJSON_Parse("[{\"id\":\"a\",\"n\":1.5,\"t\":\"x, \\\"y\\\"\\r\\nz\",\"r\":[\"p\",1],\"ok\":true},"
                              "{\"id\":\"b\",\"n\":null,\"extra\":2}]");
    static const char *const cols[] = {"id", "t", "n", "r", "ok", "missing", NULL};
    char *csv = bl_export_csv(rows, cols);
    assert_string_equal(csv, "id,t,n,r,ok,missing\r\n"
                             "a,\"x, \"\"y\"\"\r\nz\",1.5,\"[\"\"p\"\",1]\",true,\r\n"
                             "b,,,,,\r\n");
    free(csv);
    csv = bl_export_csv(rows, NULL); /* every key, first met first */
    assert_string_equal(csv, "id,n,t,r,ok,extra\r\n"
                             "a,1.5,\"x, \"\"y\"\"\r\nz\",\"[\"\"p\"\",1]\",true,\r\n"
                             "b,,,,,2\r\n");
    free(csv);
    cJSON_Delete(rows);
    rows = cJSON_CreateArray();
    csv = bl_export_csv(rows, NULL);
    assert_string_equal(csv, "\r\n"); /* no rows, no keys: an empty header line */
    free(csv);
    char *jl = bl_export_jsonl(rows);
    assert_string_equal(jl, "");
    free(jl);
    cJSON_Delete(rows);
}

static void test_jsonl(void **state)
{
    cJSON *rows = cJSON_Parse("[{\"a\":1},{\"b\":\"x\\ny\"}]");
    char *jl = bl_export_jsonl(rows);
    assert_string_equal(jl, "{\"a\":1}\n{\"b\":\"x\\ny\"}\n");
    free(jl);
    cJSON_Delete(rows);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_csv_columns_and_quoting),
        cmocka_unit_test(test_jsonl),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
