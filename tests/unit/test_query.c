/* test_query.c — reading the API's query parameters: numbers and their ranges, choices, months, record
 * conditions as libmicrohttpd splits them (`a>=1` as "a>" and "1"), in(...) lists, orders. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "query.h"

static void test_int(void **state)
{
    int64_t v = 7;
    char *err = NULL;
    assert_int_equal(bl_query_int("limit", NULL, 1, 1000, &v, &err), BL_OK);
    assert_int_equal(v, 7); /* absent: the default stays */
    assert_int_equal(bl_query_int("limit", "1000", 1, 1000, &v, &err), BL_OK);
    assert_int_equal(v, 1000);
    static const char *const bad[] = {"0", "1001", "", "x", "5x", " 5", "+5", "1e3", "99999999999999999999", "-1"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        assert_int_equal(bl_query_int("limit", bad[i], 1, 1000, &v, &err), BL_INVALID);
        assert_non_null(strstr(err, "limit must be a whole number from 1 to 1000"));
        free(err);
        err = NULL;
    }
    assert_int_equal(v, 1000);
}

static void test_choice_and_month(void **state)
{
    static const char *const orders[] = {"desc", "asc", NULL};
    int o = -1;
    char *err = NULL;
    assert_int_equal(bl_query_choice("order", "asc", orders, &o, &err), BL_OK);
    assert_int_equal(o, 1);
    assert_int_equal(bl_query_choice("order", "ASC", orders, &o, &err), BL_INVALID);
    assert_string_equal(err, "order must be desc or asc, got 'ASC'");
    free(err);
    static const char *const good[] = {"2026-01", "2026-12", "1999-10"};
    static const char *const bad[] = {"abcd-ef", "2026-13", "2026-00", "2026-1", "2026/01", "2026-011", ""};
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(bl_query_month("month", good[i], &err), BL_OK);
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        assert_int_equal(bl_query_month("month", bad[i], &err), BL_INVALID);
        assert_non_null(strstr(err, "month must be a month YYYY-MM"));
        free(err);
    }
}

/* The condition of (name, value) as "field op value-json", or "error: message". */
static const char *cond_text(const char *name, const char *value, char *buf, size_t n)
{
    static const char *const ops[] = {"=", "!=", "<", "<=", ">", ">=", "in", "not in"};
    bl_cond c;
    char *err = NULL;
    if (bl_query_cond(name, value, &c, &err) != BL_OK) {
        snprintf(buf, n, "error: %s", err);
        free(err);
        return buf;
    }
    char *v = cJSON_PrintUnformatted(c.value);
    snprintf(buf, n, "%s %s %s", c.field, ops[c.op], v);
    free(v);
    bl_query_cond_free(&c);
    return buf;
}

static void test_conditions(void **state)
{
    const struct {
        const char *name, *value, *want;
    } cases[] = {
        {"grade", "gold", "grade = \"gold\""},
        {"annual_revenue>", "1000000", "annual_revenue >= 1000000"}, /* ?annual_revenue>=1000000 */
        {"annual_revenue<", "5e6", "annual_revenue <= 5000000"},     /* ?annual_revenue<=5e6 */
        {"annual_revenue<5e6", "", "annual_revenue < 5000000"},      /* ?annual_revenue<5e6 */
        {"annual_revenue>0", "", "annual_revenue > 0"},
        {"a>=1", "", "a >= 1"},  /* '=' sent as %3D */
        {"a<=x", "", "a <= \"x\""},
        {"a!=1", "", "a != 1"},
        {"grade!", "vip", "grade != \"vip\""}, /* ?grade!=vip */
        {"grade", "in(gold,platinum)", "grade in [\"gold\",\"platinum\"]"},
        {"grade!", "in(gold)", "grade not in [\"gold\"]"},
        {"n", "in(1,\"2\",true,null,\"a,b\",x y)", "n in [1,\"2\",true,null,\"a,b\",\"x y\"]"},
        {"zip", "\"01234\"", "zip = \"01234\""},
        {"zip", "01234", "zip = \"01234\""}, /* not a JSON number: text */
        {"flag", "true", "flag = true"},
        {"gone", "null", "gone = null"},
        {"empty", "", "empty = \"\""},
        {"a-b_c9", "1", "a-b_c9 = 1"},
        {"d>", "2026-10-01", "d >= \"2026-10-01\""},
        {"word", "in(x", "word = \"in(x\""},
        /* refused, named */
        {"a.b", "1", "error: 'a.b' is not a field condition"},
        {"a b", "1", "error: 'a b' is not a field condition"},
        {">5", "", "error: '>5' is not a field condition"},
        {"a<5", "6", "error: 'a<5=6' is not a field condition"},
        {"a!x", "", "error: 'a!x' is not a field condition"},
        {"a>", "true", "error: a>=true: <, <=, > and >= compare numbers or text"},
        {"a<", "null", "error: a<=null: <, <=, > and >= compare numbers or text"},
        {"a>", "in(1)", "error: a>=in(1): a list in(...) goes with = or !="},
        {"grade", "in()", "error: grade=in(): name at least one value"},
        {"grade", "in(a,,b)", "error: grade=in(...) has an empty value"},
        {"grade", "in(a,)", "error: grade=in(...) has an empty value"},
        {"grade", "in(\"a\"b)", "error: grade=in(...): a quoted value must be followed by ',' or ')'"},
        {"grade", "\"open", "error: grade: the value \"open starts with '\"' but is not a JSON string"},
    };
    char buf[300];
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        cond_text(cases[i].name, cases[i].value, buf, sizeof buf);
        if (strncmp(buf, cases[i].want, strlen(cases[i].want)) != 0)
            fail_msg("(%s, %s): expected [%s], got [%s]", cases[i].name, cases[i].value, cases[i].want, buf);
    }
    char longname[80];
    memset(longname, 'f', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    assert_non_null(strstr(cond_text(longname, "1", buf, sizeof buf), "longer than 64 bytes"));
    assert_true(bl_query_field_name("annual_revenue"));
    assert_false(bl_query_field_name(""));
    assert_false(bl_query_field_name(longname));
}

static void test_list_limit(void **state)
{
    bl_buf b = {0};
    bl_buf_adds(&b, "in(");
    for (int i = 0; i <= BL_QUERY_MAX_LIST; i++)
        bl_buf_printf(&b, "%s%d", i ? "," : "", i);
    bl_buf_adds(&b, ")");
    char buf[300];
    assert_non_null(strstr(cond_text("n", b.data, buf, sizeof buf), "at most 100 values"));
    bl_buf_free(&b);
}

static void test_sort(void **state)
{
    const struct {
        const char *text;
        bl_sort sort;
        int desc;
    } good[] = {{"id", BL_SORT_ID, 0}, {"-id", BL_SORT_ID, 1}, {"created", BL_SORT_CREATED, 0},
                {"-updated", BL_SORT_UPDATED, 1}};
    for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
        bl_sort s = BL_SORT_ID;
        int d = -1;
        char *err = NULL;
        assert_int_equal(bl_query_sort(good[i].text, &s, &d, &err), BL_OK);
        assert_int_equal(s, good[i].sort);
        assert_int_equal(d, good[i].desc);
    }
    static const char *const bad[] = {"x", "-annual_revenue", "", "--id", "ID"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        bl_sort s;
        int d;
        char *err = NULL;
        assert_int_equal(bl_query_sort(bad[i], &s, &d, &err), BL_INVALID);
        assert_non_null(strstr(err, "records are ordered by id, created or updated"));
        free(err);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_int),        cmocka_unit_test(test_choice_and_month), cmocka_unit_test(test_conditions),
        cmocka_unit_test(test_list_limit), cmocka_unit_test(test_sort),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
