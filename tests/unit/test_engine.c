/* test_engine.c — the store and the engine together: a record, its decisions, points and events are
 * committed together or not at all (failing policy, injected write fault, version conflict), nested
 * savepoints roll back alone, history keeps every version, policies read the same snapshot. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine.h"

typedef struct fx {
    bl_host_t *h;
    bl_store_t *s;
    char path[64];
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    bl_host_config cfg = {.policy_dir = "tests/fixtures/engine", .scripts_dir = "scripts", .limits = BL_LIMITS_DEFAULT};
    bl_buf errors = {0};
    f->h = bl_host_open(&cfg, &errors);
    if (f->h == NULL)
        fail_msg("load: %s", errors.data);
    snprintf(f->path, sizeof f->path, "/tmp/bylaw-test-%d.db", (int)getpid());
    unlink(f->path);
    char *err = NULL;
    if (bl_store_open(f->path, &f->s, &err) != BL_OK)
        fail_msg("open: %s", err);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    bl_store_close(f->s);
    bl_host_close(f->h);
    char p[80];
    unlink(f->path);
    snprintf(p, sizeof p, "%s-wal", f->path);
    unlink(p);
    snprintf(p, sizeof p, "%s-shm", f->path);
    unlink(p);
    free(f);
    return 0;
}

static int put(fx *f, const char *id, const char *json, int64_t expect, cJSON **out, char **err)
{
    cJSON *rec = cJSON_Parse(json);
    assert_non_null(rec);
    int rc = bl_engine_put(f->h, f->s, "sale", id, rec, expect, "write", out, err);
    cJSON_Delete(rec);
    return rc;
}

static int64_t count(fx *f, const char *table)
{
    cJSON *out = NULL;
    int64_t n = 0;
    if (strcmp(table, "events") == 0) {
        assert_int_equal(bl_store_events(f->s, 0, 1000, &out), BL_OK);
        n = cJSON_GetArraySize(out);
    } else if (strcmp(table, "decisions") == 0) {
        assert_int_equal(bl_store_decisions(f->s, "sale", "s1", &out), BL_OK);
        n = cJSON_GetArraySize(out);
    } else {
        assert_int_equal(bl_store_points_total(f->s, "ann", "2026-11", &n), BL_OK);
    }
    cJSON_Delete(out);
    return n;
}

static void assert_untouched(fx *f)
{
    bl_record r;
    assert_int_equal(bl_store_get(f->s, "sale", "s1", &r), BL_NOTFOUND);
    assert_int_equal(count(f, "events"), 0);
    assert_int_equal(count(f, "decisions"), 0);
    assert_int_equal(count(f, "points"), 0);
    assert_int_equal(bl_store_depth(f->s), 0);
}

static void test_commit_all(void **state)
{
    fx *f = *state;
    cJSON *out = NULL;
    char *err = NULL;
    assert_int_equal(put(f, "s1", "{\"seller\":\"ann\",\"amount\":100}", -1, &out, &err), BL_OK);
    assert_int_equal((int)bl_json_num(out, "version", 0), 1);
    cJSON_Delete(out);
    bl_record r;
    assert_int_equal(bl_store_get(f->s, "sale", "s1", &r), BL_OK);
    assert_string_equal(bl_json_str(r.fields, "type"), "sale");
    assert_non_null(cJSON_GetObjectItem(r.fields, "seen"));
    bl_record_clear(&r);
    assert_int_equal(count(f, "events"), 1);
    assert_int_equal(count(f, "decisions"), 2);
    assert_int_equal(count(f, "points"), 2);
}

static void test_failing_policy_changes_nothing(void **state)
{
    fx *f = *state;
    cJSON *out = NULL;
    char *err = NULL;
    assert_int_equal(put(f, "s1", "{\"seller\":\"ann\",\"amount\":100,\"boom\":true}", -1, &out, &err), BL_ERR);
    assert_non_null(strstr(err, "tests/fixtures/engine/award.lua:20: boom requested"));
    free(err);
    assert_null(out);
    assert_untouched(f);
    /* and the engine goes on */
    assert_int_equal(put(f, "s1", "{\"seller\":\"ann\",\"amount\":100}", -1, &out, &err), BL_OK);
    cJSON_Delete(out);
}

static void test_invalid_field_changes_nothing(void **state)
{
    fx *f = *state;
    cJSON *out = NULL;
    char *err = NULL;
    assert_int_equal(put(f, "s1", "{\"seller\":\"ann\",\"amount\":\"lots\"}", -1, &out, &err), BL_INVALID);
    assert_non_null(strstr(err, "field 'amount' must be a number, got string \"lots\""));
    free(err);
    assert_untouched(f);
}

static void test_write_fault_changes_nothing(void **state)
{
    fx *f = *state;
    for (int nth = 1; nth <= 6; nth++) { /* record, history, 2 decisions, points, event */
        cJSON *out = NULL;
        char *err = NULL;
        bl_store_fail_after(f->s, nth);
        int rc = put(f, "s1", "{\"seller\":\"ann\",\"amount\":100}", -1, &out, &err);
        if (rc != BL_ERR)
            fail_msg("write %d: expected a failure, got %d", nth, rc);
        assert_non_null(strstr(err, "injected fault"));
        free(err);
        assert_untouched(f);
    }
    bl_store_fail_after(f->s, 0);
}

static void test_conflict(void **state)
{
    fx *f = *state;
    cJSON *out = NULL;
    char *err = NULL;
    assert_int_equal(put(f, "s1", "{\"seller\":\"ann\",\"amount\":1}", 3, &out, &err), BL_CONFLICT);
    assert_non_null(strstr(err, "does not exist"));
    free(err);
    assert_untouched(f);
    assert_int_equal(put(f, "s1", "{\"seller\":\"ann\",\"amount\":1}", 0, &out, &err), BL_OK);
    cJSON_Delete(out);
    assert_int_equal(put(f, "s1", "{\"seller\":\"ann\",\"amount\":2}", 0, &out, &err), BL_CONFLICT);
    free(err);
    assert_int_equal(put(f, "s1", "{\"seller\":\"ann\",\"amount\":2}", 2, &out, &err), BL_CONFLICT);
    assert_non_null(strstr(err, "is at version 1, not 2"));
    free(err);
    assert_int_equal(put(f, "s1", "{\"seller\":\"ann\",\"amount\":2}", 1, &out, &err), BL_OK);
    cJSON_Delete(out);
}

static void test_history_and_reads(void **state)
{
    fx *f = *state;
    cJSON *out = NULL;
    char *err = NULL;
    assert_int_equal(put(f, "s1", "{\"seller\":\"ann\",\"amount\":100}", -1, &out, &err), BL_OK);
    cJSON_Delete(out);
    assert_int_equal(put(f, "s1", "{\"seller\":\"ann\",\"amount\":50}", -1, &out, &err), BL_OK);
    /* the second evaluation read the first, committed: 2 points, 1 record, amount 100 */
    cJSON *seen = cJSON_GetObjectItem(cJSON_GetObjectItem(out, "record"), "seen");
    assert_int_equal((int)bl_json_num(seen, "before", -1), 2);
    assert_int_equal((int)bl_json_num(seen, "others", -1), 1);
    assert_int_equal((int)bl_json_num(seen, "sum", -1), 100);
    cJSON_Delete(out);
    cJSON *h = NULL;
    assert_int_equal(bl_store_history(f->s, "sale", "s1", &h), BL_OK);
    assert_int_equal(cJSON_GetArraySize(h), 2);
    assert_int_equal((int)bl_json_num(cJSON_GetObjectItem(cJSON_GetArrayItem(h, 0), "fields"), "amount", 0), 100);
    assert_int_equal((int)bl_json_num(cJSON_GetObjectItem(cJSON_GetArrayItem(h, 1), "fields"), "amount", 0), 50);
    cJSON_Delete(h);
    cJSON *found = NULL;
    cJSON *filter = cJSON_Parse("{\"seller\":\"ann\",\"amount\":50}");
    assert_int_equal(bl_store_find(f->s, "sale", filter, NULL, 10, &found), BL_OK);
    assert_int_equal(cJSON_GetArraySize(found), 1);
    cJSON_Delete(found);
    cJSON_Delete(filter);
    cJSON *ledger = NULL;
    assert_int_equal(bl_store_ledger(f->s, "ann", "2026-11", &ledger), BL_OK);
    assert_int_equal((int)bl_json_num(ledger, "total", 0), 4);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(ledger, "entries")), 2);
    cJSON_Delete(ledger);
}

static void test_savepoints(void **state)
{
    fx *f = *state;
    cJSON *out = NULL;
    char *err = NULL;
    assert_int_equal(bl_store_begin(f->s), BL_OK); /* the service's batch */
    assert_int_equal(put(f, "s1", "{\"seller\":\"ann\",\"amount\":100}", -1, &out, &err), BL_OK);
    cJSON_Delete(out);
    assert_int_equal(put(f, "s2", "{\"seller\":\"ann\",\"amount\":1,\"boom\":true}", -1, &out, &err), BL_ERR);
    free(err);
    assert_int_equal(bl_store_depth(f->s), 1);
    assert_int_equal(bl_store_commit(f->s), BL_OK);
    bl_record r;
    assert_int_equal(bl_store_get(f->s, "sale", "s1", &r), BL_OK);
    bl_record_clear(&r);
    assert_int_equal(bl_store_get(f->s, "sale", "s2", &r), BL_NOTFOUND);
    assert_int_equal(count(f, "points"), 2);
}

static void test_reopen_and_version(void **state)
{
    fx *f = *state;
    cJSON *out = NULL;
    char *err = NULL;
    assert_int_equal(put(f, "s1", "{\"seller\":\"ann\",\"amount\":7}", -1, &out, &err), BL_OK);
    cJSON_Delete(out);
    bl_store_close(f->s);
    assert_int_equal(bl_store_open(f->path, &f->s, &err), BL_OK);
    bl_record r;
    assert_int_equal(bl_store_get(f->s, "sale", "s1", &r), BL_OK);
    assert_int_equal((int)bl_json_num(r.fields, "amount", 0), 7);
    bl_record_clear(&r);
    /* a database from a newer bylaw is refused, not damaged */
    assert_int_equal(bl_store_begin(f->s), BL_OK);
    bl_store_close(f->s); /* rolls back */
    char cmd[200], current[16] = "";
    snprintf(cmd, sizeof cmd, "sqlite3 %s 'PRAGMA user_version'", f->path);
    FILE *p = popen(cmd, "r");
    if (p == NULL || fgets(current, sizeof current, p) == NULL) {
        if (p)
            pclose(p);
        skip(); /* no sqlite3 shell */
    }
    pclose(p);
    current[strcspn(current, "\n")] = '\0';
    snprintf(cmd, sizeof cmd, "sqlite3 %s 'PRAGMA user_version = 99'", f->path);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(bl_store_open(f->path, &f->s, &err), BL_ERR);
    assert_non_null(strstr(err, "newer than this bylaw knows"));
    free(err);
    snprintf(cmd, sizeof cmd, "sqlite3 %s 'PRAGMA user_version = %s'", f->path, current);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(bl_store_open(f->path, &f->s, &err), BL_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_commit_all, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failing_policy_changes_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_invalid_field_changes_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_fault_changes_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_conflict, setup, teardown),
        cmocka_unit_test_setup_teardown(test_history_and_reads, setup, teardown),
        cmocka_unit_test_setup_teardown(test_savepoints, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reopen_and_version, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
