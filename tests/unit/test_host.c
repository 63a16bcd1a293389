/* test_host.c — the Lua host: sandbox escapes, the three limits, load errors, and that every failure
 * names file:line, changes nothing and leaves the host usable. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "host.h"
#include "lcalendar.h"

static bl_host_t *open_dir(const char *dir, bl_limits lim, bl_buf *errors)
{
    bl_host_config cfg = {.policy_dir = dir, .scripts_dir = "scripts", .limits = lim};
    return bl_host_open(&cfg, errors);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Evaluates {"id":"a","n":21} as type; returns rc and the message (caller frees). */
static int eval_type(bl_host_t *h, const char *type, char **err, cJSON **out)
{
    cJSON *rec = cJSON_Parse("{\"id\":\"a\",\"n\":21}");
    *out = NULL;
    int rc = bl_host_eval(h, type, rec, NULL, out, err);
    cJSON_Delete(rec);
    return rc;
}

static void expect_failure(bl_host_t *h, const char *type, const char *line, const char *words)
{
    char *err = NULL;
    cJSON *out = NULL;
    double t0 = now_s();
    int rc = eval_type(h, type, &err, &out);
    double dt = now_s() - t0;
    assert_int_equal(rc, BL_ERR);
    assert_null(out);
    assert_non_null(err);
    if (strstr(err, line) == NULL || strstr(err, words) == NULL)
        fail_msg("policy '%s': expected '%s' and '%s' in: %s", type, line, words, err);
    if (getenv("BYLAW_UNDER_VALGRIND") == NULL)
        assert_true(dt < 0.9); /* "well under a second" (valgrind runs 20-50 times slower) */
    free(err);
    /* the next record still evaluates */
    rc = eval_type(h, "ok", &err, &out);
    assert_int_equal(rc, BL_OK);
    cJSON *rec = cJSON_GetObjectItem(out, "record");
    assert_int_equal((int)cJSON_GetObjectItem(rec, "double")->valuedouble, 42);
    cJSON_Delete(out);
}

/* Evaluates type; fails the test with the error unless that succeeds. */
static void expect_ok(bl_host_t *h, const char *type)
{
    char *err = NULL;
    cJSON *out = NULL;
    if (eval_type(h, type, &err, &out) != BL_OK)
        fail_msg("policy '%s': %s", type, err);
    cJSON_Delete(out);
}

static bl_host_t *sandbox_host(void)
{
    bl_buf errors = {0};
    bl_limits lim = BL_LIMITS_DEFAULT;
    if (getenv("BYLAW_UNDER_VALGRIND"))
        lim.timeout_ms = 60000; /* so the instruction budget, not the slow clock, stops the spin */
    bl_host_t *h = open_dir("tests/fixtures/sandbox", lim, &errors);
    if (h == NULL)
        fail_msg("load: %s", errors.data);
    bl_buf_free(&errors);
    return h;
}

static void test_limits(void **state)
{
    bl_host_t *h = sandbox_host();
    expect_failure(h, "spin", "escape.lua:3:", "ran past its budget");
    expect_failure(h, "hog", "escape.lua:4:", "ran out of memory");
    expect_failure(h, "spin", "escape.lua:3:", "budget"); /* again, after a memory error */
    bl_host_close(h);
}

/* A limit, once tripped, cannot be caught: not by pcall, xpcall's handler, resume, nor in a coroutine. */
static void test_limits_uncatchable(void **state)
{
    bl_host_t *h = sandbox_host();
    expect_failure(h, "pcall_spin", "escape.lua:25:", "ran past its budget");
    expect_failure(h, "xpcall_spin", "escape.lua:27:", "ran past its budget");
    expect_failure(h, "resume_spin", "escape.lua:29:", "ran past its budget");
    expect_failure(h, "wrap_spin", "escape.lua:30:", "ran past its budget");
    expect_failure(h, "hog_pcall", "escape.lua:32:", "ran out of memory");
    expect_failure(h, "gc", "escape.lua:40:", "__gc metamethods are not available in policies");
    char *err = NULL;
    cJSON *out = NULL;
    assert_int_equal(eval_type(h, "coyield", &err, &out), BL_OK); /* yields across the guarded pcall */
    assert_int_equal((int)cJSON_GetObjectItem(cJSON_GetObjectItem(out, "record"), "y")->valuedouble, 3);
    cJSON_Delete(out);
    bl_host_close(h);
}

/* Budgets under BL_GUARD_EAGER count from the first instruction: a call of a few microseconds trips. */
static void test_small_budget_exact(void **state)
{
    bl_buf errors = {0};
    bl_limits lim = BL_LIMITS_DEFAULT;
    lim.budget = 50000;
    bl_host_t *h = open_dir("tests/fixtures/sandbox", lim, &errors);
    assert_non_null(h);
    expect_failure(h, "short", "escape.lua:34:", "budget of 50000 instructions");
    bl_host_close(h);
    lim.budget = 500000; /* and under a budget it fits, it runs */
    h = open_dir("tests/fixtures/sandbox", lim, &errors);
    expect_ok(h, "short");
    bl_host_close(h);
}

/* Garbage beyond the cap is collected, not an error: only memory the policies hold counts. */
static void test_memory_garbage(void **state)
{
    bl_buf errors = {0};
    bl_limits lim = BL_LIMITS_DEFAULT;
    lim.memory = (size_t)3 << 20;
    lim.timeout_ms = 10000; /* 64 MiB of strings: slow under the sanitizers, and the clock is not the point */
    bl_host_t *h = open_dir("tests/fixtures/sandbox", lim, &errors);
    assert_non_null(h);
    expect_ok(h, "churn");
    expect_failure(h, "hog", "escape.lua:4:", "ran out of memory: the policy set may use 3 MiB");
    bl_host_close(h);
}

static void test_timeout(void **state)
{
    bl_buf errors = {0};
    bl_limits lim = BL_LIMITS_DEFAULT;
    lim.budget = 1000000000000LL; /* only the clock can stop it */
    lim.timeout_ms = 100;
    bl_host_t *h = open_dir("tests/fixtures/sandbox", lim, &errors);
    assert_non_null(h);
    expect_failure(h, "spin", "escape.lua:3:", "time limit of 100 ms");
    bl_host_close(h);
}

static void test_escapes(void **state)
{
    bl_host_t *h = sandbox_host();
    expect_failure(h, "exec", "escape.lua:5:", "os.execute is not available in policies");
    expect_failure(h, "io", "escape.lua:6:", "io.open is not available in policies");
    expect_failure(h, "ffi", "escape.lua:7:", "module 'ffi' not found");
    expect_failure(h, "binary", "escape.lua:8:", "only text chunks");
    expect_failure(h, "binary_text_mode", "escape.lua:9:", "binary chunk");
    expect_failure(h, "global", "escape.lua:10:", "cannot set global 'leaked'");
    expect_failure(h, "libwrite", "escape.lua:11:", "read-only");
    expect_failure(h, "readonly", "escape.lua:20:", "d:set(\"grade\"");
    expect_failure(h, "yield", "escape.lua:21:", "yielded");
    expect_failure(h, "tables", "escape.lua:46:", "read-only");
    bl_host_close(h);
}

static void test_hidden(void **state)
{
    bl_host_t *h = sandbox_host();
    char *err = NULL;
    cJSON *out = NULL;
    assert_int_equal(eval_type(h, "strmeta", &err, &out), BL_OK);
    cJSON *rec = cJSON_GetObjectItem(out, "record");
    assert_string_equal(cJSON_GetObjectItem(rec, "meta")->valuestring, "false");
    static const char *const names[] = {"dump", "debug", "package", "dofile", "getenv"};
    for (int i = 0; i < 5; i++) {
        const char *v = cJSON_GetObjectItem(rec, names[i])->valuestring;
        if (v == NULL || strstr(v, "is not available in policies") == NULL)
            fail_msg("%s: expected 'not available', got %s", names[i], v ? v : "(not a string)");
    }
    cJSON_Delete(out);
    bl_host_close(h);
}

static void test_field_types(void **state)
{
    bl_host_t *h = sandbox_host();
    cJSON *rec = cJSON_Parse("{\"id\":\"a\",\"n\":\"21\"}");
    char *err = NULL;
    cJSON *out = NULL;
    assert_int_equal(bl_host_eval(h, "ok", rec, NULL, &out, &err), BL_INVALID);
    assert_non_null(strstr(err, "field 'n' must be an integer, got string \"21\""));
    assert_non_null(strstr(err, "policy ok"));
    free(err);
    cJSON_Delete(rec);
    rec = cJSON_Parse("{\"id\":\"a\"}");
    assert_int_equal(bl_host_eval(h, "ok", rec, NULL, &out, &err), BL_INVALID);
    assert_non_null(strstr(err, "field 'n' must be an integer, got nothing"));
    free(err);
    cJSON_Delete(rec);
    bl_host_close(h);
}

static void test_load_errors(void **state)
{
    bl_buf errors = {0};
    bl_host_t *h = open_dir("tests/fixtures/broken", BL_LIMITS_DEFAULT, &errors);
    assert_null(h);
    assert_non_null(strstr(errors.data, "tests/fixtures/broken/keys.lua:1: policy: unknown key 'colour'"));
    assert_non_null(strstr(errors.data, "tests/fixtures/broken/syntax.lua:4:"));
    bl_buf_free(&errors);
    h = open_dir("tests/fixtures/no-such-dir", BL_LIMITS_DEFAULT, &errors);
    assert_null(h);
    assert_non_null(strstr(errors.data, "cannot open the policy directory"));
    bl_buf_free(&errors);
}

/* Evaluates the JSON text rec as type; returns the answer's "record" printed, or "error: <message>". */
static char *eval_text(bl_host_t *h, const char *type, const char *rec)
{
    cJSON *in = cJSON_Parse(rec), *out = NULL;
    char *err = NULL, *s;
    assert_non_null(in);
    if (bl_host_eval(h, type, in, NULL, &out, &err) == BL_OK) {
        s = cJSON_PrintUnformatted(cJSON_GetObjectItem(out, "record"));
    } else {
        size_t n = strlen(err) + 8;
        s = malloc(n);
        snprintf(s, n, "error: %s", err);
    }
    free(err);
    cJSON_Delete(out);
    cJSON_Delete(in);
    return s;
}

static void expect_record(bl_host_t *h, const char *type, const char *rec, const char *want)
{
    char *got = eval_text(h, type, rec);
    if (strstr(got, want) == NULL)
        fail_msg("%s %s: expected '%s' in %s", type, rec, want, got);
    free(got);
}

/* Every field type: what passes, and the message for each way to fail; every bad field at once. */
static void test_field_kinds(void **state)
{
    bl_buf errors = {0};
    bl_host_t *h = open_dir("tests/fixtures/types", BL_LIMITS_DEFAULT, &errors);
    if (h == NULL)
        fail_msg("load: %s", errors.data);
    const char *good = "{\"id\":\"a\",\"n\":10,\"i\":12,\"s\":\"\u65e5\u672c\u8a9e\u3067\u3059\",\"day\":\"2024-02-29\","
                       "\"at\":\"2026-10-08T18:00:00+08:00\",\"status\":\"\u65e5\u672c\",\"month\":\"2026-12\"}";
    expect_record(h, "typed", good, "\"ok\":true");
    expect_record(h, "typed", "{\"id\":\"a\",\"n\":0,\"i\":1,\"s\":\"\",\"day\":\"2026-01-01\",\"at\":\"2026-10-08T10:00Z\","
                              "\"status\":\"open\",\"maybe\":null,\"s2\":\"ab\",\"later\":\"2027-01-31\"}",
                  "\"ok\":true");
    static const struct {
        const char *field, *value, *want;
    } bad[] = {
        {"n", "-1", "field 'n' must be a number from 0 to 10, got -1 (needed by policy every_type, "
                    "tests/fixtures/types/types.lua:2)"},
        {"n", "10.5", "field 'n' must be a number from 0 to 10, got 10.5"},
        {"n", "\"3\"", "field 'n' must be a number from 0 to 10, got string \"3\""},
        {"i", "13", "field 'i' must be an integer from 1 to 12, got 13"},
        {"i", "1.5", "field 'i' must be an integer from 1 to 12, got number 1.5"},
        {"s", "\"abcdef\"", "field 's' must be a string of at most 5 characters, got a string of 6 characters, \"abcdef\""},
        {"s2", "\"a\"", "field 's2' must be a string of at least 2 characters, got a string of 1 characters"},
        {"day", "\"2026-02-29\"", "field 'day' must be a date (YYYY-MM-DD), got \"2026-02-29\" (no such day)"},
        {"day", "\"2026-2-1\"", "field 'day' must be a date (YYYY-MM-DD), got \"2026-2-1\""},
        {"day", "20260201", "field 'day' must be a date (YYYY-MM-DD), got integer 20260201"},
        {"at", "\"2026-10-08T18:00:00\"", "field 'at' must be a date and time with its offset"},
        {"at", "\"2026-10-08 18:00+08:00\"", "got \"2026-10-08 18:00+08:00\""},
        {"at", "\"2026-10-08T24:00Z\"", "got \"2026-10-08T24:00Z\""},
        {"at", "\"2026-10-08\"", "got \"2026-10-08\""},
        {"month", "\"2026-13\"", "field 'month' must be a month (YYYY-MM), got \"2026-13\" (no such month)"},
        {"status", "\"lost\"", "field 'status' must be one of \"open\", \"closed\" or \"\u65e5\u672c\", got \"lost\""},
        {"status", "\"Open\"", "got \"Open\""},
        {"status", "null", "field 'status' must be one of"},
        {"maybe", "\"y\"", "field 'maybe' must be \"x\", got \"y\""},
        {"t", "3", "field 't' must be a table, got integer 3"},
        {"b", "[1]", "field 'b' must be a boolean, got a table"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        cJSON *rec = cJSON_Parse(good);
        if (cJSON_GetObjectItemCaseSensitive(rec, bad[k].field))
            cJSON_ReplaceItemInObjectCaseSensitive(rec, bad[k].field, cJSON_Parse(bad[k].value));
        else
            cJSON_AddItemToObject(rec, bad[k].field, cJSON_Parse(bad[k].value));
        char *text = cJSON_PrintUnformatted(rec);
        expect_record(h, "typed", text, bad[k].want);
        free(text);
        cJSON_Delete(rec);
    }
    /* every bad field at once, in the order they are declared (by name) */
    char *got = eval_text(h, "typed", "{\"id\":\"a\",\"n\":-1,\"i\":0,\"s\":\"x\",\"day\":\"x\",\"at\":\"x\"}");
    const char *order[] = {"field 'at' ", "; field 'day' ", "; field 'i' ", "; field 'n' ", "; field 'status' must be one of",
                           NULL};
    const char *at = got;
    for (int k = 0; order[k]; k++) {
        const char *next = strstr(at, order[k]);
        if (next == NULL)
            fail_msg("expected '%s' after '%.40s' in %s", order[k], at, got);
        at = next;
    }
    free(got);
    bl_host_close(h);
}

static void test_field_declarations(void **state)
{
    bl_buf errors = {0};
    bl_host_t *h = open_dir("tests/fixtures/badtypes", BL_LIMITS_DEFAULT, &errors);
    assert_null(h);
    if (strstr(errors.data, "bad.lua:23: policy 'a': field 'x' has type 'dat' (expected number, integer, string, "
                            "boolean, table, date, datetime or month") == NULL ||
        strstr(errors.data, "did you mean 'date'?") == NULL)
        fail_msg("%s", errors.data);
    bl_buf_free(&errors);
}

/* The host refills the record's table in place when records keep their keys, and reuses builders:
 * fields added, removed or half-proposed by a failed call never reach the next record. */
static void test_reuse(void **state)
{
    bl_buf errors = {0};
    bl_host_t *h = open_dir("tests/fixtures/reuse", BL_LIMITS_DEFAULT, &errors);
    if (h == NULL)
        fail_msg("load: %s", errors.data);
    const char *shape = "shape";
    expect_record(h, shape, "{\"id\":\"a\",\"n\":1,\"add\":\"x\"}",
                  "{\"id\":\"a\",\"n\":1,\"add\":\"x\",\"seen\":\"add,id,n\",\"extra\":\"x\"}");
    expect_record(h, shape, "{\"id\":\"b\",\"n\":2,\"add\":null}", "{\"id\":\"b\",\"n\":2,\"add\":null,\"seen\":\"id,n\"}");
    expect_record(h, shape, "{\"id\":\"c\",\"n\":3,\"add\":\"y\",\"fail\":true}", "reuse.lua:13: failing on purpose");
    expect_record(h, shape, "{\"id\":\"d\",\"n\":4,\"add\":null,\"fail\":false}",
                  "{\"id\":\"d\",\"n\":4,\"add\":null,\"fail\":false,\"seen\":\"fail,id,n\"}");
    expect_record(h, shape, "{\"id\":\"e\",\"n\":5,\"add\":null,\"fail\":false,\"drop\":true}",
                  "{\"id\":\"e\",\"add\":null,\"fail\":false,\"drop\":true,\"seen\":\"drop,fail,id,n\"}");
    expect_record(h, shape, "{\"id\":\"f\",\"n\":6,\"add\":null,\"fail\":false,\"drop\":false}",
                  "{\"id\":\"f\",\"n\":6,\"add\":null,\"fail\":false,\"drop\":false,\"seen\":\"drop,fail,id,n\"}");
    expect_record(h, shape, "{\"n\":7,\"id\":\"g\"}", "{\"n\":7,\"id\":\"g\",\"seen\":\"id,n\"}");
    /* a field with a NUL in its name, and one whose change the policy took out of its d, do not stay */
    /* x\0y: 7 is written as "x\u0000y", which bl_json_parse refuses rather than cut the name to "x" */
    expect_record(h, shape, "{\"id\":\"h\",\"nul\":true,\"hide\":null}", "a string holds \\u0000 at byte");
    expect_record(h, shape, "{\"id\":\"h\",\"nul\":null,\"hide\":null}", "\"seen\":\"id\"}");
    /* a policy cannot write its builder's slots (C reads them): an error at its line, nothing proposed */
    expect_record(h, shape, "{\"id\":\"h\",\"nul\":true,\"hide\":true}",
                  "reuse.lua:15: the decision builder is read-only: propose with its methods");
    expect_record(h, shape, "{\"id\":\"i\",\"nul\":null,\"hide\":null}", "\"seen\":\"id\"}");
    /* of a key given twice (a tree built in C: bl_json_parse refuses such text), a value wins over a null,
     * as when the record's table was new each time; the answer echoes both keys, which its parse refuses */
    expect_record(h, "checked", "{\"id\":\"a\",\"n\":2,\"n\":null}", "duplicate key \"n\" at byte 26");
    expect_record(h, "checked", "{\"id\":\"a\",\"n\":null,\"n\":2}", "duplicate key \"n\" at byte 29");
    expect_record(h, "stale", "{\"id\":\"s\"}", "reuse.lua:21: d:set: this decision builder belongs to a policy "
                                                 "call that has returned");
    const char *checked = "checked";
    expect_record(h, checked, "{\"id\":\"a\",\"n\":1}", "\"ok\":true");
    expect_record(h, checked, "{\"n\":\"x\",\"id\":\"a\"}", "field 'n' must be an integer, got string \"x\"");
    expect_record(h, checked, "{\"id\":\"a\",\"s\":null,\"n\":2}", "\"ok\":true");
    expect_record(h, checked, "{\"id\":\"a\",\"s\":null,\"n\":2.5}", "field 'n' must be an integer, got number 2.5");
    expect_record(h, checked, "{\"id\":\"a\",\"s\":1,\"n\":2}", "field 's' must be a string, got integer 1");
    expect_record(h, checked, "{\"id\":\"a\",\"t\":[1],\"n\":2}", "\"ok\":true");
    expect_record(h, checked, "{\"id\":\"a\",\"t\":\"x\",\"n\":2}", "field 't' must be a table");
    expect_record(h, checked, "{\"id\":\"a\",\"n\":3,\"n\":\"dup\"}", "field 'n' must be an integer, got string \"dup\"");
    expect_record(h, checked, "{\"id\":\"a\"}", "field 'n' must be an integer, got nothing");
    cJSON *in = cJSON_Parse("{\"id\":\"i\"}"), *out = NULL;
    char *err = NULL;
    for (int round = 0; round < 2; round++) { /* a policy cannot pose as another: d's slots are not its own */
        assert_int_equal(bl_host_eval(h, "impostor", in, NULL, &out, &err), BL_ERR);
        assert_non_null(strstr(err, "the decision builder is read-only"));
        free(err);
        err = NULL;
    }
    cJSON_Delete(in);
    expect_record(h, "tail", "{\"id\":\"t\"}", "error: tests/fixtures/reuse/reuse.lua: bad argument #1 to 'verdict'");
    expect_record(h, "badargs", "{\"id\":\"b\",\"n\":1}",
                  "error: tests/fixtures/reuse/reuse.lua:54: bad argument #3 to 'set' (reason must be a string");
    expect_record(h, "badargs", "{\"id\":\"b\",\"n\":2}",
                  "error: tests/fixtures/reuse/reuse.lua:55: bad argument #2 to 'emit'");
    /* type and math.type, replaced by faster ones, answer as Lua's */
    expect_record(h, "types", "{\"id\":\"t\"}", "\"t\":\"nil number string table function\"");
    expect_record(h, "types", "{\"id\":\"t\"}", "\"m\":\"integer float nil\"");
    expect_record(h, "types", "{\"id\":\"t\"}", "\"e\":\"bad argument #1 to 'type' (value expected)\"");
    bl_host_close(h);
}

/* The calendars the policy files declared, for `bylaw check`: sorted, with where each was declared;
 * the built-in default is not one of them, and the host is loading only inside bl_host_open. */
static void test_calendar_list(void **state)
{
    bl_buf errors = {0};
    bl_host_t *h = open_dir("tests/calendar", BL_LIMITS_DEFAULT, &errors);
    if (h == NULL)
        fail_msg("load: %s", errors.data);
    assert_false(bl_host_loading(h));
    lua_State *L = bl_host_state(h);
    bl_calendar_decl d[4];
    assert_int_equal(bl_calendar_list(L, d, 4), 4); /* default, plain, raw, through2027 */
    assert_string_equal(d[0].name, "default");
    assert_string_equal(d[0].where, "tests/calendar/calendars.lua:12");
    assert_ptr_equal(d[0].cal, bl_calendar_get(L, NULL));
    assert_string_equal(d[3].name, "through2027");
    assert_string_equal(d[1].name, "plain");
    assert_string_equal(d[2].name, "raw");
    assert_int_equal(bl_calendar_list(L, d, 1), 4); /* room for fewer: the first by name */
    assert_string_equal(d[0].name, "default");
    assert_int_equal(bl_calendar_list(L, d, 2), 4);
    assert_string_equal(d[0].name, "default");
    assert_string_equal(d[1].name, "plain");
    assert_int_equal(bl_calendar_list(L, NULL, 0), 4);
    bl_host_close(h);
    h = open_dir("tests/fixtures/engine", BL_LIMITS_DEFAULT, &errors);
    assert_non_null(h);
    assert_int_equal(bl_calendar_list(bl_host_state(h), d, 4), 0);
    assert_non_null(bl_calendar_get(bl_host_state(h), NULL)); /* the built-in one, made when asked for */
    assert_int_equal(bl_calendar_list(bl_host_state(h), d, 4), 0);
    bl_host_close(h);
    bl_buf_free(&errors);
}

/* Each policy file runs a module instance of its own (its state reaches no other file), though the
 * module is compiled once per state and loaded again from its compiled form: errors still name the
 * module's file and line. */
static void test_modules(void **state)
{
    (void)state;
    bl_buf errors = {0};
    bl_limits lim = BL_LIMITS_DEFAULT;
    bl_host_t *h = open_dir("tests/fixtures/modules", lim, &errors);
    assert_non_null(h);
    for (int round = 1; round <= 2; round++) {
        char *err = NULL;
        cJSON *out = NULL;
        assert_int_equal(eval_type(h, "t", &err, &out), BL_OK);
        cJSON *rec = cJSON_GetObjectItem(out, "record");
        assert_int_equal((int)cJSON_GetObjectItem(rec, "a")->valuedouble, round); /* a's instance */
        assert_int_equal((int)cJSON_GetObjectItem(rec, "c")->valuedouble, round); /* c's, not a's */
        cJSON_Delete(out);
    }
    char *err = NULL;
    cJSON *out = NULL;
    assert_int_equal(eval_type(h, "b", &err, &out), BL_ERR); /* b's counter was loaded from the cache */
    if (strstr(err, "counter.lua:4: module failure") == NULL)
        fail_msg("expected counter.lua:4 in: %s", err);
    free(err);
    bl_host_close(h);
    bl_buf_free(&errors);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_modules),
        cmocka_unit_test(test_limits),      cmocka_unit_test(test_timeout),     cmocka_unit_test(test_escapes),
        cmocka_unit_test(test_hidden),      cmocka_unit_test(test_field_types), cmocka_unit_test(test_field_kinds),
        cmocka_unit_test(test_field_declarations), cmocka_unit_test(test_load_errors),
        cmocka_unit_test(test_limits_uncatchable), cmocka_unit_test(test_small_budget_exact),
        cmocka_unit_test(test_memory_garbage), cmocka_unit_test(test_reuse),
        cmocka_unit_test(test_calendar_list),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
