/* test_i18n.c — the language of a request (Accept-Language with q-values, the default), and decisions
 * shown in it from their i18n texts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "json.h"

static void test_lang_of(void **state)
{
    assert_string_equal(bl_lang_of("en"), "en");
    assert_string_equal(bl_lang_of("zh-CN"), "zh-CN");
    assert_null(bl_lang_of("zh"));
    assert_null(bl_lang_of("EN"));
    assert_null(bl_lang_of(NULL));
}

static void test_accept_language(void **state)
{
    static const struct {
        const char *header, *dflt, *want;
    } cases[] = {
        {NULL, "en", "en"},
        {"", "zh-CN", "zh-CN"},
        {"zh-CN", "en", "zh-CN"},
        {"zh", "en", "zh-CN"},
        {"ZH-hans", "en", "zh-CN"},
        {"zh-Hans-CN", "en", "zh-CN"},
        {"zh-TW", "en", "en"},                         /* traditional: not ours, the default */
        {"en-GB", "zh-CN", "en"},
        {"fr, de;q=0.9", "zh-CN", "zh-CN"},            /* nothing we have: the default */
        {"zh;q=0.3, en", "zh-CN", "en"},               /* q 1 beats 0.3 */
        {"fr;q=1, zh-Hans;q=0.8, en;q=0.5", "en", "zh-CN"},
        {"en;q=0.8, zh;q=0.8", "en", "en"},            /* a tie: the first named */
        {"zh-CN;q=0, *;q=0.1", "en", "en"},            /* q=0 refuses */
        {"*", "zh-CN", "zh-CN"},
        {" zh-CN ; q=0.9 ,en;q=0.2", "en", "zh-CN"},   /* blanks around */
        {"zh;q=abc, en;q=0.1", "zh-CN", "en"},         /* an unreadable q: refused */
        {",,;q=1,", "en", "en"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *got = bl_lang_accept(cases[i].header, cases[i].dflt);
        if (strcmp(got, cases[i].want) != 0)
            fail_msg("Accept-Language '%s': expected %s, got %s", cases[i].header ? cases[i].header : "(none)",
                     cases[i].want, got);
    }
}

static void test_decisions_in_a_language(void **state)
{
    cJSON *ans = cJSON_Parse("{\"decisions\":[{\"explanation\":\"a; b\",\"reasons\":[\"a\",\"b\"],"
                             "\"i18n\":{\"zh-CN\":[\"甲\",\"b\"],\"messages\":[{\"key\":\"k\",\"params\":{}},\"b\"]}},"
                             "{\"explanation\":\"plain\",\"reasons\":[\"plain\"]}]}");
    bl_i18n_decisions(ans, "en");
    cJSON *d0 = cJSON_GetArrayItem(cJSON_GetObjectItem(ans, "decisions"), 0);
    assert_string_equal(bl_json_str(d0, "explanation"), "a; b");
    bl_i18n_decisions(ans, "zh-CN");
    assert_string_equal(bl_json_str(d0, "explanation"), "甲；b");
    assert_string_equal(cJSON_GetArrayItem(cJSON_GetObjectItem(d0, "reasons"), 0)->valuestring, "甲");
    cJSON *d1 = cJSON_GetArrayItem(cJSON_GetObjectItem(ans, "decisions"), 1);
    assert_string_equal(bl_json_str(d1, "explanation"), "plain"); /* plain texts: the same in every language */
    cJSON_Delete(ans);
}

static void test_sort(void **state)
{
    cJSON *v = cJSON_Parse("{\"m\":[{\"key\":\"k\",\"params\":{\"z\":1,\"a\":{\"y\":2,\"b\":3},\"m\":[3,1]}}],\"c\":0}");
    bl_i18n_sort(v);
    char *text = cJSON_PrintUnformatted(v);
    assert_string_equal(text, "{\"c\":0,\"m\":[{\"key\":\"k\",\"params\":{\"a\":{\"b\":3,\"y\":2},\"m\":[3,1],\"z\":1}}]}");
    assert_ptr_equal(cJSON_GetObjectItem(v, "m")->prev, v->child); /* cJSON's ring: the last is the first's prev */
    assert_ptr_equal(v->child->prev, cJSON_GetObjectItem(v, "m"));
    free(text);
    cJSON_Delete(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lang_of),
        cmocka_unit_test(test_accept_language),
        cmocka_unit_test(test_decisions_in_a_language),
        cmocka_unit_test(test_sort),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
