/* test_store.c — the record store: schema migration, records and history, filters, queries with
 * comparisons and pages, soft delete, decisions and their queue, ledger, events, policy versions and the
 * activation log, read-only scans, timers, nested transactions and rollback after an injected write
 * fault. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store.h"

#define T0 1700000000000LL /* 2023-11-14T22:13:20.000Z */

typedef struct fx {
    bl_store_t *s;
    char path[64]; /* "" for an in-memory store */
} fx;

static cJSON *js(const char *text)
{
    cJSON *j = cJSON_Parse(text);
    assert_non_null(j);
    return j;
}

static void unlink_db(const char *path)
{
    char p[96];
    unlink(path);
    snprintf(p, sizeof p, "%s-wal", path);
    unlink(p);
    snprintf(p, sizeof p, "%s-shm", path);
    unlink(p);
}

static int mem_setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    char *err = NULL;
    if (bl_store_open(":memory:", &f->s, &err) != BL_OK) {
        fprintf(stderr, "%s\n", err);
        free(err);
        free(f);
        return -1;
    }
    *state = f;
    return 0;
}

static int file_setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    snprintf(f->path, sizeof f->path, "/tmp/bylaw_test_store_XXXXXX");
    int fd = mkstemp(f->path); /* an empty file: SQLite takes it as a new database */
    if (fd < 0) {
        free(f);
        return -1;
    }
    close(fd);
    char *err = NULL;
    if (bl_store_open(f->path, &f->s, &err) != BL_OK) {
        fprintf(stderr, "%s\n", err);
        free(err);
        unlink_db(f->path);
        free(f);
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    bl_store_close(f->s);
    if (f->path[0])
        unlink_db(f->path);
    free(f);
    return 0;
}

/* Writes fields (JSON text) as type/id inside a transaction of its own. */
static int64_t put(bl_store_t *s, const char *type, const char *id, const char *fields, int64_t expect, int64_t at)
{
    cJSON *j = js(fields);
    int64_t v = -1;
    assert_int_equal(bl_store_begin(s), BL_OK);
    int rc = bl_store_put(s, type, id, j, expect, at, &v);
    cJSON_Delete(j);
    if (rc != BL_OK) {
        bl_store_rollback(s);
        return rc;
    }
    assert_int_equal(bl_store_commit(s), BL_OK);
    return v;
}

static void seed_clients(bl_store_t *s)
{
    put(s, "client", "c1", "{\"id\":\"c1\",\"type\":\"client\",\"grade\":\"gold\",\"revenue\":300000,\"vip\":true}", -1, T0);
    put(s, "client", "c2", "{\"id\":\"c2\",\"type\":\"client\",\"grade\":\"vip\",\"revenue\":20000.5,\"vip\":false}", -1, T0);
    put(s, "client", "c3", "{\"id\":\"c3\",\"type\":\"client\",\"grade\":\"gold\",\"revenue\":\"unknown\",\"vip\":true}", -1,
        T0);
    put(s, "client", "c4", "{\"id\":\"c4\",\"type\":\"client\",\"grade\":\"gold\",\"revenue\":200000,\"vip\":1}", -1, T0);
    put(s, "client", "c5", "{\"id\":\"c5\",\"type\":\"client\",\"grade\":null,\"revenue\":5}", -1, T0);
    put(s, "lead", "c1", "{\"id\":\"c1\",\"type\":\"lead\",\"grade\":\"gold\",\"revenue\":1}", -1, T0);
}

/* The ids of a JSON array of records, joined with ',' into buf. */
static const char *ids(const cJSON *a, char *buf, size_t n)
{
    buf[0] = '\0';
    const cJSON *r;
    cJSON_ArrayForEach(r, a)
    {
        const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(r, "id"));
        snprintf(buf + strlen(buf), n - strlen(buf), "%s%s", buf[0] ? "," : "", id ? id : "?");
    }
    return buf;
}

static const char *find_ids(bl_store_t *s, const char *type, const char *filter, const char *after, int limit,
                            char *buf, size_t n)
{
    cJSON *f = filter ? js(filter) : NULL, *out = NULL;
    assert_int_equal(bl_store_find(s, type, f, after, limit, &out), BL_OK);
    ids(out, buf, n);
    cJSON_Delete(out);
    cJSON_Delete(f);
    return buf;
}

static int64_t count(bl_store_t *s, const char *type, const char *filter)
{
    cJSON *f = filter ? js(filter) : NULL;
    int64_t n = -1;
    assert_int_equal(bl_store_count(s, type, f, &n), BL_OK);
    cJSON_Delete(f);
    return n;
}

static const char *str(const cJSON *o, const char *key) { return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, key)); }
static double num(const cJSON *o, const char *key) { return cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(o, key)); }

/* Sets PRAGMA user_version of the database at path with a connection of the test's own. */
static void set_user_version(const char *path, int v)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    char q[64];
    snprintf(q, sizeof q, "PRAGMA user_version = %d", v);
    assert_int_equal(sqlite3_exec(db, q, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
}

static int64_t query_int(const char *path, const char *q)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, q, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int64_t v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

/* Opening ---------------------------------------------------------------------------------------- */

static void test_reopen_keeps_data(void **state)
{
    fx *f = *state;
    assert_int_equal(put(f->s, "client", "c1", "{\"id\":\"c1\",\"type\":\"client\",\"n\":1}", -1, T0), 1);
    bl_store_close(f->s);
    f->s = NULL;
    char *err = NULL;
    assert_int_equal(bl_store_open(f->path, &f->s, &err), BL_OK);
    bl_record r;
    assert_int_equal(bl_store_get(f->s, "client", "c1", &r), BL_OK);
    assert_int_equal(r.version, 1);
    assert_int_equal((int)num(r.fields, "n"), 1);
    bl_record_clear(&r);
    bl_store_close(f->s);
    f->s = NULL;
    /* migrated to the newest schema, in WAL mode, and the WAL emptied on close */
    assert_true(query_int(f->path, "PRAGMA user_version") >= 2);
    assert_int_equal(query_int(f->path, "SELECT count(*) FROM sqlite_master WHERE name = 'policy_versions'"), 1);
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(st, 0), "wal");
    sqlite3_finalize(st);
    sqlite3_close(db);
    char wal[96];
    snprintf(wal, sizeof wal, "%s-wal", f->path);
    struct stat sb;
    assert_true(stat(wal, &sb) != 0 || sb.st_size == 0);
    assert_int_equal(bl_store_open(f->path, &f->s, &err), BL_OK);
}

static void test_newer_schema_refused(void **state)
{
    fx *f = *state;
    put(f->s, "client", "c1", "{\"id\":\"c1\"}", -1, T0);
    bl_store_close(f->s);
    f->s = NULL;
    int64_t current = query_int(f->path, "PRAGMA user_version");
    set_user_version(f->path, 99);
    char *err = NULL;
    assert_int_equal(bl_store_open(f->path, &f->s, &err), BL_ERR);
    assert_null(f->s);
    assert_non_null(strstr(err, f->path));
    assert_non_null(strstr(err, "version 99, newer than this bylaw knows"));
    free(err);
    /* refused, not damaged: back at its own version it opens with its data */
    set_user_version(f->path, (int)current);
    assert_int_equal(bl_store_open(f->path, &f->s, &err), BL_OK);
    assert_int_equal(count(f->s, "client", NULL), 1);
}

static void test_open_errors_name_the_file(void **state)
{
    (void)state;
    bl_store_t *s = NULL;
    char *err = NULL;
    assert_int_equal(bl_store_open("/nonexistent-dir/x.db", &s, &err), BL_ERR);
    assert_null(s);
    assert_string_equal(err, "cannot open database '/nonexistent-dir/x.db': unable to open database file");
    free(err);

    char path[] = "/tmp/bylaw_test_notdb_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char junk[] = "this is not an SQLite database, just some text long enough to have a header....";
    assert_int_equal(write(fd, junk, sizeof junk), (ssize_t)sizeof junk);
    close(fd);
    err = NULL;
    assert_int_equal(bl_store_open(path, &s, &err), BL_ERR);
    assert_non_null(strstr(err, path));
    assert_non_null(strstr(err, "not a database"));
    free(err);
    unlink_db(path);
}

/* A new database (and its WAL and shared memory) is this user's only, whatever the umask: it holds
 * people's records (bylaw import and eval --db made them 0644). */
static void test_new_database_is_private(void **state)
{
    (void)state;
    char dir[] = "/tmp/bylaw_test_mode_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[64];
    snprintf(path, sizeof path, "%s/new.db", dir);
    mode_t old = umask(0022);
    bl_store_t *s = NULL;
    char *err = NULL;
    assert_int_equal(bl_store_open(path, &s, &err), BL_OK);
    umask(old);
    const char *const suffixes[] = {"", "-wal", "-shm"};
    for (int i = 0; i < 3; i++) {
        char f[80];
        struct stat st;
        snprintf(f, sizeof f, "%s%s", path, suffixes[i]);
        assert_int_equal(stat(f, &st), 0);
        assert_int_equal(st.st_mode & 0777, 0600);
    }
    bl_store_close(s);
    unlink_db(path);
    rmdir(dir);
}

/* Records ---------------------------------------------------------------------------------------- */

static void test_put_versions_and_history(void **state)
{
    fx *f = *state;
    assert_int_equal(put(f->s, "client", "c1", "{\"id\":\"c1\",\"type\":\"client\",\"grade\":\"vip\"}", -1, T0), 1);
    assert_int_equal(put(f->s, "client", "c1", "{\"id\":\"c1\",\"type\":\"client\",\"grade\":\"gold\"}", -1, T0 + 1500), 2);
    bl_record r;
    assert_int_equal(bl_store_get(f->s, "client", "c1", &r), BL_OK);
    assert_int_equal(r.version, 2);
    assert_int_equal(r.created_ms, T0);
    assert_int_equal(r.updated_ms, T0 + 1500);
    assert_string_equal(str(r.fields, "grade"), "gold");
    assert_string_equal(str(r.fields, "type"), "client"); /* stored as given */
    bl_record_clear(&r);
    assert_null(r.fields);

    cJSON *h = NULL;
    assert_int_equal(bl_store_history(f->s, "client", "c1", &h), BL_OK);
    assert_int_equal(cJSON_GetArraySize(h), 2);
    cJSON *v1 = cJSON_GetArrayItem(h, 0), *v2 = cJSON_GetArrayItem(h, 1);
    assert_int_equal((int)num(v1, "version"), 1);
    assert_string_equal(str(v1, "at"), "2023-11-15T06:13:20+08:00");
    assert_string_equal(str(cJSON_GetObjectItemCaseSensitive(v1, "fields"), "grade"), "vip");
    assert_int_equal((int)num(v2, "version"), 2);
    assert_string_equal(str(v2, "at"), "2023-11-15T06:13:21.500+08:00");
    assert_string_equal(str(cJSON_GetObjectItemCaseSensitive(v2, "fields"), "grade"), "gold");
    cJSON_Delete(h);

    assert_int_equal(bl_store_history(f->s, "client", "nobody", &h), BL_OK);
    assert_int_equal(cJSON_GetArraySize(h), 0);
    cJSON_Delete(h);
}

static void test_body_is_compact_json(void **state)
{
    fx *f = *state;
    put(f->s, "client", "c1", "{ \"id\" : \"c1\",\n  \"n\" : [1, 2] }", -1, T0);
    bl_store_close(f->s);
    f->s = NULL;
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT body FROM records", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(st, 0), "{\"id\":\"c1\",\"n\":[1,2]}");
    sqlite3_finalize(st);
    sqlite3_close(db);
    char *err = NULL;
    assert_int_equal(bl_store_open(f->path, &f->s, &err), BL_OK);
}

static void test_version_conflict_writes_nothing(void **state)
{
    fx *f = *state;
    assert_int_equal(put(f->s, "client", "c1", "{\"id\":\"c1\",\"n\":1}", 2, T0), BL_CONFLICT);
    assert_string_equal(bl_store_errmsg(f->s), "record client/c1 does not exist, so it is not at version 2");
    assert_int_equal(count(f->s, "client", NULL), 0);

    assert_int_equal(put(f->s, "client", "c1", "{\"id\":\"c1\",\"n\":1}", 0, T0), 1); /* 0: must be new */
    assert_int_equal(put(f->s, "client", "c1", "{\"id\":\"c1\",\"n\":2}", 0, T0), BL_CONFLICT);
    assert_non_null(strstr(bl_store_errmsg(f->s), "exists already"));
    bl_record r;
    assert_int_equal(bl_store_get(f->s, "client", "c1", &r), BL_OK);
    assert_int_equal(r.version, 1);
    assert_int_equal((int)num(r.fields, "n"), 1);
    bl_record_clear(&r);
    assert_int_equal(put(f->s, "client", "c1", "{\"id\":\"c1\",\"n\":2}", 1, T0), 2);
}

static void test_stale_version_conflict(void **state)
{
    fx *f = *state;
    assert_int_equal(put(f->s, "client", "c1", "{\"id\":\"c1\",\"n\":1}", -1, T0), 1);
    assert_int_equal(put(f->s, "client", "c1", "{\"id\":\"c1\",\"n\":2}", -1, T0), 2);
    assert_int_equal(put(f->s, "client", "c1", "{\"id\":\"c1\",\"n\":3}", -1, T0), 3);
    assert_int_equal(put(f->s, "client", "c1", "{\"id\":\"c1\",\"n\":99}", 2, T0), BL_CONFLICT);
    assert_string_equal(bl_store_errmsg(f->s), "record client/c1 is at version 3, not 2");
    bl_record r;
    assert_int_equal(bl_store_get(f->s, "client", "c1", &r), BL_OK);
    assert_int_equal(r.version, 3);
    assert_int_equal((int)num(r.fields, "n"), 3);
    bl_record_clear(&r);
    cJSON *h = NULL;
    assert_int_equal(bl_store_history(f->s, "client", "c1", &h), BL_OK);
    assert_int_equal(cJSON_GetArraySize(h), 3);
    cJSON_Delete(h);
    assert_int_equal(put(f->s, "client", "c1", "{\"id\":\"c1\",\"n\":4}", 3, T0), 4);
}

static void test_get_missing(void **state)
{
    fx *f = *state;
    put(f->s, "client", "c1", "{\"id\":\"c1\"}", -1, T0);
    bl_record r;
    assert_int_equal(bl_store_get(f->s, "client", "c2", &r), BL_NOTFOUND);
    assert_null(r.fields);
    assert_int_equal(bl_store_get(f->s, "lead", "c1", &r), BL_NOTFOUND);
}

static void test_put_rejects_non_object(void **state)
{
    fx *f = *state;
    int64_t v = 0;
    cJSON *a = js("[1,2]");
    assert_int_equal(bl_store_put(f->s, "client", "c1", a, -1, T0, &v), BL_INVALID);
    assert_non_null(strstr(bl_store_errmsg(f->s), "client/c1"));
    assert_int_equal(bl_store_put(f->s, "client", "c1", NULL, -1, T0, &v), BL_INVALID);
    cJSON_Delete(a);
    assert_int_equal(count(f->s, "client", NULL), 0);
}

static void test_put_outside_transaction_is_atomic(void **state)
{
    fx *f = *state;
    cJSON *j = js("{\"id\":\"c1\"}");
    int64_t v = 0;
    bl_store_fail_after(f->s, 2); /* the history row of the new record */
    assert_int_equal(bl_store_put(f->s, "client", "c1", j, -1, T0, &v), BL_ERR);
    assert_non_null(strstr(bl_store_errmsg(f->s), "injected fault"));
    assert_int_equal(bl_store_depth(f->s), 0);
    bl_record r;
    assert_int_equal(bl_store_get(f->s, "client", "c1", &r), BL_NOTFOUND);
    assert_int_equal(bl_store_put(f->s, "client", "c1", j, -1, T0, &v), BL_OK);
    assert_int_equal(v, 1);
    cJSON_Delete(j);
}

/* Filters ---------------------------------------------------------------------------------------- */

static void test_find_filters(void **state)
{
    fx *f = *state;
    seed_clients(f->s);
    char b[128];
    assert_string_equal(find_ids(f->s, "client", NULL, NULL, 100, b, sizeof b), "c1,c2,c3,c4,c5");
    assert_string_equal(find_ids(f->s, "client", "{\"grade\":\"gold\"}", NULL, 100, b, sizeof b), "c1,c3,c4");
    assert_string_equal(find_ids(f->s, "client", "{\"revenue\":300000}", NULL, 100, b, sizeof b), "c1");
    assert_string_equal(find_ids(f->s, "client", "{\"revenue\":20000.5}", NULL, 100, b, sizeof b), "c2");
    assert_string_equal(find_ids(f->s, "client", "{\"revenue\":\"unknown\"}", NULL, 100, b, sizeof b), "c3");
    /* booleans match booleans only: c4's vip is the number 1 */
    assert_string_equal(find_ids(f->s, "client", "{\"vip\":true}", NULL, 100, b, sizeof b), "c1,c3");
    assert_string_equal(find_ids(f->s, "client", "{\"vip\":false}", NULL, 100, b, sizeof b), "c2");
    assert_string_equal(find_ids(f->s, "client", "{\"vip\":1}", NULL, 100, b, sizeof b), "c4");
    /* null matches null and absent */
    assert_string_equal(find_ids(f->s, "client", "{\"grade\":null}", NULL, 100, b, sizeof b), "c5");
    assert_string_equal(find_ids(f->s, "client", "{\"vip\":null}", NULL, 100, b, sizeof b), "c5");
    /* every entry must match */
    assert_string_equal(find_ids(f->s, "client", "{\"grade\":\"gold\",\"vip\":true}", NULL, 100, b, sizeof b), "c1,c3");
    assert_string_equal(find_ids(f->s, "client", "{\"grade\":\"gold\",\"revenue\":5}", NULL, 100, b, sizeof b), "");
    /* the fields come back whole */
    cJSON *flt = js("{\"revenue\":20000.5}"), *out = NULL;
    assert_int_equal(bl_store_find(f->s, "client", flt, NULL, 10, &out), BL_OK);
    assert_string_equal(str(cJSON_GetArrayItem(out, 0), "grade"), "vip");
    cJSON_Delete(out);
    cJSON_Delete(flt);
}

static void test_find_paging(void **state)
{
    fx *f = *state;
    seed_clients(f->s);
    char b[128];
    assert_string_equal(find_ids(f->s, "client", NULL, NULL, 2, b, sizeof b), "c1,c2");
    assert_string_equal(find_ids(f->s, "client", NULL, "c2", 2, b, sizeof b), "c3,c4");
    assert_string_equal(find_ids(f->s, "client", NULL, "c4", 2, b, sizeof b), "c5");
    assert_string_equal(find_ids(f->s, "client", NULL, "c5", 2, b, sizeof b), "");
    assert_string_equal(find_ids(f->s, "client", "{\"grade\":\"gold\"}", "c1", 1, b, sizeof b), "c3");
    assert_string_equal(find_ids(f->s, "client", "{\"grade\":\"gold\"}", "c3", 10, b, sizeof b), "c4");
}

static void test_filter_field_names(void **state)
{
    fx *f = *state;
    seed_clients(f->s);
    put(f->s, "client", "c9", "{\"id\":\"c9\",\"it's\":\"x\",\"a.b\":2}", -1, T0);
    char b[128];
    /* a quote of SQL and a dot of a JSON path are plain characters of a name */
    assert_string_equal(find_ids(f->s, "client", "{\"it's\":\"x\"}", NULL, 10, b, sizeof b), "c9");
    assert_string_equal(find_ids(f->s, "client", "{\"x') OR 1=1 --\":1}", NULL, 10, b, sizeof b), "");
    assert_string_equal(find_ids(f->s, "client", "{\"a.b\":2}", NULL, 10, b, sizeof b), "c9");

    cJSON *flt = js("{\"bad\\\"name\":1}"), *out = NULL;
    assert_int_equal(bl_store_find(f->s, "client", flt, NULL, 10, &out), BL_INVALID);
    assert_null(out);
    assert_non_null(strstr(bl_store_errmsg(f->s), "bad\"name"));
    int64_t n = -1;
    assert_int_equal(bl_store_count(f->s, "client", flt, &n), BL_INVALID);
    double sum = -1;
    assert_int_equal(bl_store_sum(f->s, "client", "re\"venue", NULL, &sum), BL_INVALID);
    cJSON_Delete(flt);

    flt = js("{\"grade\":[\"gold\"]}");
    assert_int_equal(bl_store_find(f->s, "client", flt, NULL, 10, &out), BL_INVALID);
    assert_non_null(strstr(bl_store_errmsg(f->s), "'grade'"));
    cJSON_Delete(flt);
}

static void test_many_filter_shapes(void **state)
{
    fx *f = *state;
    seed_clients(f->s);
    /* more query shapes than the statement cache holds, twice over: evicted ones are prepared again */
    for (int round = 0; round < 2; round++) {
        for (int k = 1; k <= 24; k++) {
            bl_buf q = {0};
            bl_buf_adds(&q, "{\"grade\":\"gold\"");
            for (int i = 1; i < k; i++)
                bl_buf_printf(&q, ",\"f%d\":null", i);
            bl_buf_adds(&q, "}");
            assert_int_equal(count(f->s, "client", q.data), 3);
            bl_buf_free(&q);
        }
    }
}

static void test_count(void **state)
{
    fx *f = *state;
    assert_int_equal(count(f->s, "client", NULL), 0);
    seed_clients(f->s);
    assert_int_equal(count(f->s, "client", NULL), 5);
    assert_int_equal(count(f->s, "client", "{}"), 5);
    assert_int_equal(count(f->s, "client", "{\"grade\":\"gold\"}"), 3);
    assert_int_equal(count(f->s, "client", "{\"vip\":true,\"grade\":\"gold\"}"), 2);
    assert_int_equal(count(f->s, "lead", NULL), 1);
    assert_int_equal(count(f->s, "nothing", NULL), 0);
}

static void test_sum(void **state)
{
    fx *f = *state;
    double sum = -1;
    assert_int_equal(bl_store_sum(f->s, "client", "revenue", NULL, &sum), BL_OK);
    assert_true(sum == 0);
    seed_clients(f->s);
    /* "unknown" does not count; the lead's revenue is another type */
    assert_int_equal(bl_store_sum(f->s, "client", "revenue", NULL, &sum), BL_OK);
    assert_true(sum == 300000 + 20000.5 + 200000 + 5);
    cJSON *flt = js("{\"grade\":\"gold\"}");
    assert_int_equal(bl_store_sum(f->s, "client", "revenue", flt, &sum), BL_OK);
    assert_true(sum == 500000);
    cJSON_Delete(flt);
    /* booleans are not numbers */
    assert_int_equal(bl_store_sum(f->s, "client", "vip", NULL, &sum), BL_OK);
    assert_true(sum == 1);
    assert_int_equal(bl_store_sum(f->s, "client", "nonexistent", NULL, &sum), BL_OK);
    assert_true(sum == 0);
}

/* Decisions, ledger, events ---------------------------------------------------------------------- */

/* A decision's i18n (messages, Chinese texts) is kept beside the English explanation; a decision without
 * one reads as before, with no i18n member. */
static void test_decision_i18n(void **state)
{
    fx *f = *state;
    cJSON *reasons = js("[\"grade diamond: annual_revenue 5,000,000 >= 5,000,000\"]"), *changes = js("{}");
    cJSON *i18n = js("{\"zh-CN\":[\"钻石客户:年业务收入 5,000,000 ≥ 5,000,000\"],"
                     "\"messages\":[{\"key\":\"threshold.reach\",\"params\":{\"tier\":\"diamond\"}}]}");
    bl_decision_row d = {"client", "c1", 1, "client_grade", "0123456789abcdef", NULL,
                         "grade diamond: annual_revenue 5,000,000 >= 5,000,000", reasons, changes, "write", T0, i18n};
    assert_int_equal(bl_store_add_decision(f->s, &d, NULL), BL_OK);
    d.i18n = NULL;
    assert_int_equal(bl_store_add_decision(f->s, &d, NULL), BL_OK);
    cJSON *out = NULL;
    assert_int_equal(bl_store_decisions(f->s, "client", "c1", &out), BL_OK);
    cJSON *a = cJSON_GetArrayItem(out, 0), *b = cJSON_GetArrayItem(out, 1);
    assert_string_equal(bl_json_str(a, "explanation"), "grade diamond: annual_revenue 5,000,000 >= 5,000,000");
    cJSON *got = cJSON_GetObjectItem(a, "i18n");
    assert_true(cJSON_Compare(got, i18n, 1));
    assert_null(cJSON_GetObjectItem(b, "i18n"));
    cJSON_Delete(out);
    cJSON_Delete(reasons);
    cJSON_Delete(changes);
    cJSON_Delete(i18n);
}

static void test_decisions(void **state)
{
    fx *f = *state;
    cJSON *reasons = js("[\"grade gold: revenue 300,000 >= 200,000\"]"), *changes = js("{\"grade\":\"gold\"}");
    bl_decision_row d = {"client", "c1", 1, "client_grade", "0123456789abcdef", NULL, "grade gold", reasons, changes,
                         "write", T0, NULL};
    int64_t id1 = 0, id2 = 0;
    assert_int_equal(bl_store_add_decision(f->s, &d, &id1), BL_OK);
    d.record_version = 2;
    d.verdict = "hold";
    d.trigger = "timer:investigate";
    d.at_ms = T0 + 1;
    assert_int_equal(bl_store_add_decision(f->s, &d, &id2), BL_OK);
    assert_true(id2 > id1 && id1 > 0);
    d.id = "c2";
    assert_int_equal(bl_store_add_decision(f->s, &d, NULL), BL_OK);
    cJSON_Delete(reasons);
    cJSON_Delete(changes);

    cJSON *out = NULL;
    assert_int_equal(bl_store_decisions(f->s, "client", "c1", &out), BL_OK);
    assert_int_equal(cJSON_GetArraySize(out), 2);
    cJSON *a = cJSON_GetArrayItem(out, 0), *b = cJSON_GetArrayItem(out, 1);
    assert_int_equal((int64_t)num(a, "id"), id1);
    assert_string_equal(str(a, "policy"), "client_grade");
    assert_string_equal(str(a, "version"), "0123456789abcdef");
    assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(a, "verdict")));
    assert_string_equal(str(a, "explanation"), "grade gold");
    assert_string_equal(cJSON_GetStringValue(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(a, "reasons"), 0)),
                        "grade gold: revenue 300,000 >= 200,000");
    assert_string_equal(str(cJSON_GetObjectItemCaseSensitive(a, "changes"), "grade"), "gold");
    assert_int_equal((int)num(a, "record_version"), 1);
    assert_string_equal(str(a, "trigger"), "write");
    assert_string_equal(str(a, "at"), "2023-11-15T06:13:20+08:00");
    assert_int_equal((int64_t)num(b, "id"), id2);
    assert_string_equal(str(b, "verdict"), "hold");
    assert_string_equal(str(b, "trigger"), "timer:investigate");
    assert_string_equal(str(b, "at"), "2023-11-15T06:13:20.001+08:00");
    cJSON_Delete(out);

    assert_int_equal(bl_store_decisions(f->s, "client", "c9", &out), BL_OK);
    assert_int_equal(cJSON_GetArraySize(out), 0);
    cJSON_Delete(out);
}

static void test_ledger(void **state)
{
    fx *f = *state;
    const int64_t day = 86400000;
    assert_int_equal(bl_store_add_points(f->s, "ann", "2023-11", 5, "late twice", "lateness", 7, T0), BL_OK);
    assert_int_equal(bl_store_add_points(f->s, "ann", "2023-11", -2, "bonus", "bonus", 0, T0 + day), BL_OK);
    assert_int_equal(bl_store_add_points(f->s, "ann", "2023-12", 10, "absent", "absence", 0, T0 + 30 * day), BL_OK);
    assert_int_equal(bl_store_add_points(f->s, "bob", "2023-11", 4, "late", "lateness", 0, T0), BL_OK);

    int64_t n = -1;
    assert_int_equal(bl_store_points_total(f->s, "ann", "2023-11", &n), BL_OK);
    assert_int_equal(n, 3);
    assert_int_equal(bl_store_points_total(f->s, "ann", "2023-12", &n), BL_OK);
    assert_int_equal(n, 10);
    assert_int_equal(bl_store_points_total(f->s, "ann", "2024-01", &n), BL_OK);
    assert_int_equal(n, 0);
    /* the window includes both ends */
    assert_int_equal(bl_store_points_window(f->s, "ann", T0, T0 + day, &n), BL_OK);
    assert_int_equal(n, 3);
    assert_int_equal(bl_store_points_window(f->s, "ann", T0 + 1, T0 + 30 * day, &n), BL_OK);
    assert_int_equal(n, 8);
    assert_int_equal(bl_store_points_window(f->s, "ann", T0 - 10, T0 - 1, &n), BL_OK);
    assert_int_equal(n, 0);

    cJSON *l = NULL;
    assert_int_equal(bl_store_ledger(f->s, "ann", "2023-11", &l), BL_OK);
    assert_string_equal(str(l, "subject"), "ann");
    assert_string_equal(str(l, "period"), "2023-11");
    assert_int_equal((int)num(l, "total"), 3);
    cJSON *e = cJSON_GetObjectItemCaseSensitive(l, "entries");
    assert_int_equal(cJSON_GetArraySize(e), 2);
    cJSON *e0 = cJSON_GetArrayItem(e, 0), *e1 = cJSON_GetArrayItem(e, 1);
    assert_int_equal((int)num(e0, "points"), 5);
    assert_string_equal(str(e0, "reason"), "late twice");
    assert_string_equal(str(e0, "policy"), "lateness");
    assert_int_equal((int)num(e0, "decision"), 7);
    assert_string_equal(str(e0, "at"), "2023-11-15T06:13:20+08:00");
    assert_int_equal((int)num(e1, "points"), -2);
    assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(e1, "decision")));
    cJSON_Delete(l);
}

static void test_events(void **state)
{
    fx *f = *state;
    int64_t seq[3] = {0};
    cJSON *p = js("{\"to\":\"ann\"}");
    assert_int_equal(bl_store_add_event(f->s, "graded", "client", "c1", p, "client_grade", 3, T0, &seq[0]), BL_OK);
    assert_int_equal(bl_store_add_event(f->s, "notify", "client", "c2", NULL, "client_grade", 0, T0 + 5, &seq[1]), BL_OK);
    assert_int_equal(bl_store_add_event(f->s, "graded", "client", "c3", p, "client_grade", 4, T0 + 9, &seq[2]), BL_OK);
    cJSON_Delete(p);
    assert_true(seq[0] < seq[1] && seq[1] < seq[2]);

    cJSON *out = NULL;
    assert_int_equal(bl_store_events(f->s, 0, 100, &out), BL_OK);
    assert_int_equal(cJSON_GetArraySize(out), 3);
    cJSON *e = cJSON_GetArrayItem(out, 0);
    assert_int_equal((int64_t)num(e, "seq"), seq[0]);
    assert_string_equal(str(e, "kind"), "graded");
    assert_string_equal(str(e, "type"), "client");
    assert_string_equal(str(e, "id"), "c1");
    assert_string_equal(str(cJSON_GetObjectItemCaseSensitive(e, "payload"), "to"), "ann");
    assert_string_equal(str(e, "policy"), "client_grade");
    assert_int_equal((int)num(e, "decision"), 3);
    assert_string_equal(str(e, "at"), "2023-11-15T06:13:20+08:00");
    e = cJSON_GetArrayItem(out, 1);
    assert_true(cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(e, "payload")));
    assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(e, "decision")));
    cJSON_Delete(out);

    /* the cursor: after is exclusive, limit caps */
    assert_int_equal(bl_store_events(f->s, seq[0], 1, &out), BL_OK);
    assert_int_equal(cJSON_GetArraySize(out), 1);
    assert_int_equal((int64_t)num(cJSON_GetArrayItem(out, 0), "seq"), seq[1]);
    cJSON_Delete(out);
    assert_int_equal(bl_store_events(f->s, seq[1], 10, &out), BL_OK);
    assert_int_equal(cJSON_GetArraySize(out), 1);
    assert_int_equal((int64_t)num(cJSON_GetArrayItem(out, 0), "seq"), seq[2]);
    cJSON_Delete(out);
    assert_int_equal(bl_store_events(f->s, seq[2], 10, &out), BL_OK);
    assert_int_equal(cJSON_GetArraySize(out), 0);
    cJSON_Delete(out);
}

/* Policy versions -------------------------------------------------------------------------------- */

static void test_policy_versions(void **state)
{
    fx *f = *state;
    const char *src1 = "policy { name = \"g\", type = \"client\", decide = function(r, d) end }\n-- 年业务收入\n";
    assert_int_equal(bl_store_add_policy_version(f->s, "g", "aaaa", "policies/g.lua", src1, T0), BL_OK);
    assert_int_equal(bl_store_add_policy_version(f->s, "g", "aaaa", "policies/g.lua", "other", T0 + 9), BL_OK);
    assert_int_equal(bl_store_add_policy_version(f->s, "g", "bbbb", "policies/g.lua", "v2", T0 + 1000), BL_OK);
    assert_int_equal(bl_store_add_policy_version(f->s, "h", "cccc", "policies/h.lua", "h", T0), BL_OK);

    cJSON *out = NULL;
    assert_int_equal(bl_store_policy_versions(f->s, "g", &out), BL_OK);
    assert_int_equal(cJSON_GetArraySize(out), 2); /* the repeat changed nothing */
    cJSON *newest = cJSON_GetArrayItem(out, 0), *oldest = cJSON_GetArrayItem(out, 1);
    assert_string_equal(str(newest, "version"), "bbbb");
    assert_string_equal(str(newest, "file"), "policies/g.lua");
    assert_string_equal(str(newest, "first_active"), "2023-11-15T06:13:21+08:00");
    assert_null(cJSON_GetObjectItemCaseSensitive(newest, "source"));
    assert_string_equal(str(oldest, "version"), "aaaa");
    assert_string_equal(str(oldest, "first_active"), "2023-11-15T06:13:20+08:00");
    cJSON_Delete(out);

    char *src = NULL;
    assert_int_equal(bl_store_policy_source(f->s, "g", "aaaa", &src), BL_OK);
    assert_string_equal(src, src1);
    free(src);
    assert_int_equal(bl_store_policy_source(f->s, "g", "zzzz", &src), BL_NOTFOUND);
    assert_null(src);
}

/* The activation log: entries point at the one that ran before; a rollback's where the undone one did,
 * so that rollbacks walk back one activation at a time; refused entries are not current. */
static void test_policy_log(void **state)
{
    fx *f = *state;
    bl_policy_entry e = {.name = "g", .version = "v0", .by = "start-up", .why = "start-up", .prev = -1, .at_ms = T0};
    int64_t orig, a, b, r1;
    assert_int_equal(bl_store_policy_log_add(f->s, &e, &orig), BL_OK);
    e.version = "vA", e.by = "alice", e.why = "put", e.message = "first";
    assert_int_equal(bl_store_policy_log_add(f->s, &e, &a), BL_OK);
    e.version = "vX", e.refused = 1, e.message = "the tests fail";
    assert_int_equal(bl_store_policy_log_add(f->s, &e, NULL), BL_OK);
    e.version = "vB", e.refused = 0, e.message = NULL;
    assert_int_equal(bl_store_policy_log_add(f->s, &e, &b), BL_OK);
    cJSON *cur = NULL, *target = NULL;
    assert_int_equal(bl_store_policy_current(f->s, "g", &cur), BL_OK);
    assert_string_equal(str(cur, "version"), "vB");
    assert_int_equal((int64_t)cJSON_GetNumberValue(cJSON_GetObjectItem(cur, "prev")), a); /* not the refused one */
    /* rollback: to what ran before B (A), pointing where A pointed (the original) */
    assert_int_equal(bl_store_policy_entry(f->s, a, &target), BL_OK);
    assert_string_equal(str(target, "version"), "vA");
    e.version = "vA", e.why = "rollback", e.prev = (int64_t)cJSON_GetNumberValue(cJSON_GetObjectItem(target, "prev"));
    assert_int_equal(bl_store_policy_log_add(f->s, &e, &r1), BL_OK);
    cJSON_Delete(cur);
    cJSON_Delete(target);
    assert_int_equal(bl_store_policy_current(f->s, "g", &cur), BL_OK);
    assert_int_equal((int64_t)cJSON_GetNumberValue(cJSON_GetObjectItem(cur, "prev")), orig);
    cJSON_Delete(cur);
    /* and again: to the original, pointing at nothing */
    e.version = "v0", e.prev = 0;
    assert_int_equal(bl_store_policy_log_add(f->s, &e, NULL), BL_OK);
    assert_int_equal(bl_store_policy_current(f->s, "g", &cur), BL_OK);
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(cur, "prev")));
    cJSON_Delete(cur);
    cJSON *log = NULL;
    assert_int_equal(bl_store_policy_log(f->s, "g", 100, &log), BL_OK);
    assert_int_equal(cJSON_GetArraySize(log), 6);
    assert_string_equal(str(cJSON_GetArrayItem(log, 0), "why"), "rollback"); /* newest first */
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetArrayItem(log, 3), "refused")));
    assert_string_equal(str(cJSON_GetArrayItem(log, 3), "message"), "the tests fail");
    cJSON_Delete(log);
    assert_int_equal(bl_store_policy_current(f->s, "none", &cur), BL_NOTFOUND);
    /* sources by version */
    assert_int_equal(bl_store_add_policy_version(f->s, "g", "vA", "policies/g.lua", "-- A", T0), BL_OK);
    assert_int_equal(bl_store_policy_version(f->s, "g", "vA", &cur), BL_OK);
    assert_string_equal(str(cur, "source"), "-- A");
    cJSON_Delete(cur);
    assert_int_equal(bl_store_policy_version(f->s, "g", "vZ", &cur), BL_NOTFOUND);
}

/* A read-only connection beside a writer: the scan reads every record of a type by id, one line each;
 * a replay scan, the record versions decisions of writes saw, with the points each gave. */
static void test_readonly_scans(void **state)
{
    fx *f = *state;
    put(f->s, "client", "c2", "{\"id\":\"c2\",\"type\":\"client\",\"r\":2}", -1, T0);
    put(f->s, "client", "c1", "{\"id\":\"c1\",\"type\":\"client\",\"r\":1}", -1, T0);
    put(f->s, "other", "o1", "{\"id\":\"o1\",\"type\":\"other\"}", -1, T0);
    bl_decision_row d = {.type = "client", .id = "c1", .record_version = 1, .policy = "g", .policy_version = "v",
                         .explanation = "x", .trigger = "write", .at_ms = T0};
    int64_t did = 0;
    assert_int_equal(bl_store_add_decision(f->s, &d, &did), BL_OK);
    assert_int_equal(bl_store_add_points(f->s, "wang", "2023-11", 3, "r", "g", did, T0), BL_OK);
    d.trigger = "timer:t", d.at_ms = T0 + 1;
    assert_int_equal(bl_store_add_decision(f->s, &d, NULL), BL_OK);
    bl_store_t *ro = NULL;
    char *err = NULL;
    assert_int_equal(bl_store_open_reader(f->path, &ro, &err), BL_OK);
    bl_store_scan *sc = NULL;
    bl_buf b = {0};
    assert_int_equal(bl_store_scan_records(ro, "client", &sc), BL_OK);
    assert_int_equal(bl_store_scan_next(sc, &b), 1);
    assert_non_null(strstr(b.data, "\"id\":\"c1\"")); /* by id */
    b.len = 0;
    assert_int_equal(bl_store_scan_next(sc, &b), 1);
    assert_non_null(strstr(b.data, "\"id\":\"c2\""));
    assert_int_equal(bl_store_scan_next(sc, &b), 0);
    bl_store_scan_close(sc);
    b.len = 0;
    assert_int_equal(bl_store_scan_replay(ro, NULL, T0, &sc), BL_OK);
    assert_int_equal(bl_store_scan_next(sc, &b), 1);
    cJSON *row = js(b.data);
    assert_string_equal(str(row, "id"), "c1");
    cJSON *dd = cJSON_GetArrayItem(cJSON_GetObjectItem(row, "decisions"), 0);
    assert_int_equal((int)cJSON_GetNumberValue(cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(dd, "points"), 0),
                                                                     "points")), 3);
    cJSON_Delete(row);
    assert_int_equal(bl_store_scan_next(sc, &b), 0); /* the deadline's decision is not replayed... */
    bl_store_scan_close(sc);
    int64_t timers = 0, pruned = 0;
    assert_int_equal(bl_store_replay_skipped(ro, NULL, T0, &timers, &pruned), BL_OK);
    assert_int_equal(timers, 1); /* ...but counted */
    assert_int_equal(pruned, 0);
    bl_buf_free(&b);
    cJSON *empty = js("{}");
    assert_int_not_equal(bl_store_put(ro, "client", "c9", empty, -1, T0, &did), BL_OK); /* read-only */
    cJSON_Delete(empty);
    bl_store_close(ro);
    assert_int_equal(bl_store_open_reader("/nonexistent/x.db", &ro, &err), BL_ERR);
    assert_non_null(strstr(err, "/nonexistent/x.db"));
    free(err);
}

/* Transactions ----------------------------------------------------------------------------------- */

static void test_fault_rolls_back_everything(void **state)
{
    fx *f = *state;
    bl_store_t *s = f->s;
    assert_int_equal(bl_store_begin(s), BL_OK);
    cJSON *fields = js("{\"id\":\"c1\",\"type\":\"client\"}");
    int64_t v = 0, did = 0;
    assert_int_equal(bl_store_put(s, "client", "c1", fields, -1, T0, &v), BL_OK);
    cJSON_Delete(fields);
    bl_decision_row d = {"client", "c1", v, "g", "aaaa", "pass", "ok", NULL, NULL, "write", T0, NULL};
    assert_int_equal(bl_store_add_decision(s, &d, &did), BL_OK);
    bl_store_fail_after(s, 1);
    assert_int_equal(bl_store_add_points(s, "ann", "2023-11", 5, "x", "g", did, T0), BL_ERR);
    assert_string_equal(bl_store_errmsg(s), "cannot add 5 points for ann in 2023-11: injected fault");
    bl_store_rollback(s);
    assert_int_equal(bl_store_depth(s), 0);
    assert_non_null(strstr(bl_store_errmsg(s), "injected fault")); /* the rollback keeps the cause */

    bl_record r;
    assert_int_equal(bl_store_get(s, "client", "c1", &r), BL_NOTFOUND);
    cJSON *out = NULL;
    assert_int_equal(bl_store_decisions(s, "client", "c1", &out), BL_OK);
    assert_int_equal(cJSON_GetArraySize(out), 0);
    cJSON_Delete(out);
    assert_int_equal(bl_store_history(s, "client", "c1", &out), BL_OK);
    assert_int_equal(cJSON_GetArraySize(out), 0);
    cJSON_Delete(out);
    int64_t n = -1;
    assert_int_equal(bl_store_points_total(s, "ann", "2023-11", &n), BL_OK);
    assert_int_equal(n, 0);
    /* the fault fired once: the next writes go through */
    assert_int_equal(bl_store_add_points(s, "ann", "2023-11", 5, "x", "g", 0, T0), BL_OK);
}

static void test_fault_counts_writes(void **state)
{
    fx *f = *state;
    bl_store_fail_after(f->s, 3); /* put = 2 writes (record, history); the 3rd is the points */
    assert_int_equal(put(f->s, "client", "c1", "{\"id\":\"c1\"}", -1, T0), 1);
    assert_int_equal(bl_store_add_points(f->s, "ann", "2023-11", 1, NULL, "g", 0, T0), BL_ERR);
    assert_int_equal(bl_store_add_points(f->s, "ann", "2023-11", 1, NULL, "g", 0, T0), BL_OK);
    bl_store_fail_after(f->s, 1);
    bl_store_fail_after(f->s, 0); /* off */
    assert_int_equal(bl_store_add_points(f->s, "ann", "2023-11", 1, NULL, "g", 0, T0), BL_OK);
}

static void test_nested_rollback_undoes_only_inner(void **state)
{
    fx *f = *state;
    bl_store_t *s = f->s;
    assert_int_equal(bl_store_begin(s), BL_OK); /* the batch */
    assert_int_equal(put(s, "client", "a", "{\"id\":\"a\"}", -1, T0), 1); /* request 1: a savepoint, released */
    assert_int_equal(bl_store_depth(s), 1);
    assert_int_equal(bl_store_begin(s), BL_OK); /* request 2 */
    assert_int_equal(bl_store_depth(s), 2);
    int64_t v = 0;
    cJSON *j = js("{\"id\":\"b\"}");
    assert_int_equal(bl_store_put(s, "client", "b", j, -1, T0, &v), BL_OK);
    cJSON_Delete(j);
    bl_store_rollback(s);
    assert_int_equal(bl_store_depth(s), 1);
    assert_int_equal(put(s, "client", "c", "{\"id\":\"c\"}", -1, T0), 1); /* request 3 */
    assert_int_equal(bl_store_commit(s), BL_OK);
    assert_int_equal(bl_store_depth(s), 0);
    char buf[64];
    assert_string_equal(find_ids(s, "client", NULL, NULL, 10, buf, sizeof buf), "a,c");
    assert_int_equal(bl_store_commit(s), BL_ERR); /* nothing open */
    assert_non_null(strstr(bl_store_errmsg(s), "no transaction is open"));
}

static void test_durable_switch(void **state)
{
    fx *f = *state;
    assert_int_equal(bl_store_set_durable(f->s, 1), BL_OK);
    assert_int_equal(put(f->s, "client", "c1", "{\"id\":\"c1\"}", -1, T0), 1);
    assert_int_equal(bl_store_set_durable(f->s, 0), BL_OK);
    assert_int_equal(bl_store_autocheckpoint(f->s, 0), BL_OK);
    assert_int_equal(put(f->s, "client", "c1", "{\"id\":\"c1\"}", -1, T0), 2);
    char *err = NULL;
    assert_int_equal(bl_store_checkpoint(f->path, &err), BL_OK);
    assert_null(err);
}

/* Timers ----------------------------------------------------------------------------------------- */

static int set_timer_o(bl_store_t *s, const char *type, const char *id, const char *name, const char *policy,
                       int64_t due, cJSON *payload, int64_t now, bl_timer_outcome *o, int64_t *at)
{
    bl_timer_spec t = {.type = type, .id = id, .name = name, .policy = policy, .due_ms = due, .payload = payload};
    return bl_store_timer_set(s, &t, now, o, at);
}

static int set_timer(bl_store_t *s, const char *type, const char *id, const char *name, const char *policy,
                     int64_t due, cJSON *payload, int64_t now)
{
    return set_timer_o(s, type, id, name, policy, due, payload, now, NULL, NULL);
}

static int64_t pending_count(bl_store_t *s)
{
    cJSON *list = NULL;
    assert_int_equal(bl_store_timers(s, NULL, NULL, -1, 1000, &list), BL_OK);
    int64_t n = cJSON_GetArraySize(list);
    cJSON_Delete(list);
    return n;
}

/* One firing per (record, name, due): proposing it again changes nothing, whatever its state; another
 * due arms a new one (issue 9: a re-saved overdue complaint was penalised again). */
static void test_timer_fires_once_per_due(void **state)
{
    fx *f = *state;
    bl_store_t *s = f->s;
    bl_timer_outcome o;
    int64_t at = 0;
    assert_int_equal(set_timer_o(s, "complaint", "k3", "investigate", "complaint", T0 + 100, NULL, T0, &o, &at), BL_OK);
    assert_int_equal(o, BL_TIMER_ARMED);
    assert_int_equal(at, T0);
    assert_int_equal(set_timer_o(s, "complaint", "k3", "investigate", "complaint", T0 + 100, NULL, T0 + 1, &o, &at), BL_OK);
    assert_int_equal(o, BL_TIMER_KEPT); /* the same due again: unchanged */
    assert_int_equal(pending_count(s), 1);

    cJSON *due = NULL;
    assert_int_equal(bl_store_timer_due(s, T0 + 100, 10, &due), BL_OK);
    assert_int_equal(cJSON_GetArraySize(due), 1);
    int64_t tid = (int64_t)num(cJSON_GetArrayItem(due, 0), "timer");
    cJSON_Delete(due);
    assert_int_equal(bl_store_timer_done(s, tid, "done", T0 + 150, NULL), BL_OK);

    /* saved again with the same due after it fired: not armed again */
    assert_int_equal(set_timer_o(s, "complaint", "k3", "investigate", "complaint", T0 + 100, NULL, T0 + 200, &o, &at), BL_OK);
    assert_int_equal(o, BL_TIMER_FIRED);
    assert_int_equal(at, T0 + 150);
    assert_int_equal(pending_count(s), 0);

    /* the record's date was corrected: another due is armed, the fired one stays in the history */
    assert_int_equal(set_timer_o(s, "complaint", "k3", "investigate", "complaint", T0 + 900, NULL, T0 + 300, &o, &at), BL_OK);
    assert_int_equal(o, BL_TIMER_ARMED);
    assert_int_equal(pending_count(s), 1);
    /* back to the first due, which fired: the pending one is out of date and goes, nothing fires again */
    assert_int_equal(set_timer_o(s, "complaint", "k3", "investigate", "complaint", T0 + 100, NULL, T0 + 400, &o, &at), BL_OK);
    assert_int_equal(o, BL_TIMER_FIRED);
    assert_int_equal(pending_count(s), 0);

    /* cancelled stays cancelled until proposed with a new due */
    assert_int_equal(set_timer(s, "complaint", "k4", "reply", "complaint", T0 + 500, NULL, T0), BL_OK);
    assert_int_equal(bl_store_timer_cancel(s, "complaint", "k4", "reply", T0 + 10, "cancelled"), BL_OK);
    assert_int_equal(set_timer_o(s, "complaint", "k4", "reply", "complaint", T0 + 500, NULL, T0 + 20, &o, &at), BL_OK);
    assert_int_equal(o, BL_TIMER_CANCELLED);
    assert_int_equal(at, T0 + 10);
    assert_int_equal(pending_count(s), 0);
    assert_int_equal(set_timer_o(s, "complaint", "k4", "reply", "complaint", T0 + 600, NULL, T0 + 30, &o, &at), BL_OK);
    assert_int_equal(o, BL_TIMER_ARMED);
    assert_int_equal(pending_count(s), 1);
}

static void test_timers(void **state)
{
    fx *f = *state;
    bl_store_t *s = f->s;
    int64_t next = 0;
    assert_int_equal(bl_store_timer_next(s, &next), BL_OK);
    assert_int_equal(next, -1);
    cJSON *p = js("{\"step\":1}");
    assert_int_equal(set_timer(s, "complaint", "k1", "investigate", "triage", T0 + 500, p, T0), BL_OK);
    assert_int_equal(set_timer(s, "complaint", "k1", "investigate", "triage", T0 + 300, p, T0), BL_OK);
    assert_int_equal(set_timer(s, "complaint", "k2", "investigate", "triage", T0 + 400, NULL, T0), BL_OK);
    assert_int_equal(set_timer(s, "complaint", "k2", "close", "triage", T0 + 900, NULL, T0), BL_OK);
    cJSON_Delete(p);
    assert_int_equal(bl_store_timer_next(s, &next), BL_OK);
    assert_int_equal(next, T0 + 300); /* the replaced one (T0 + 500) is gone */

    cJSON *due = NULL;
    assert_int_equal(bl_store_timer_due(s, T0 + 400, 10, &due), BL_OK);
    assert_int_equal(cJSON_GetArraySize(due), 2);
    cJSON *t = cJSON_GetArrayItem(due, 0);
    assert_string_equal(str(t, "id"), "k1");
    assert_string_equal(str(t, "name"), "investigate");
    assert_int_equal((int64_t)num(t, "due_ms"), T0 + 300);
    assert_string_equal(str(t, "due"), "2023-11-15T06:13:20.300+08:00");
    assert_int_equal((int)num(cJSON_GetObjectItemCaseSensitive(t, "payload"), "step"), 1);
    int64_t tid = (int64_t)num(t, "timer");
    cJSON_Delete(due);

    assert_int_equal(bl_store_timer_done(s, tid, "done", T0 + 400, NULL), BL_OK);
    assert_int_equal(bl_store_timer_done(s, tid, "done", T0 + 400, NULL), BL_ERR); /* claimed once only */
    assert_int_equal(bl_store_timer_cancel(s, "complaint", "k2", "close", T0 + 400, "cancelled"), BL_OK);

    cJSON *list = NULL;
    assert_int_equal(bl_store_timers(s, NULL, NULL, -1, 100, &list), BL_OK);
    assert_int_equal(cJSON_GetArraySize(list), 1);
    assert_string_equal(str(cJSON_GetArrayItem(list, 0), "id"), "k2");
    cJSON_Delete(list);
    assert_int_equal(bl_store_timers(s, "complaint", "k1", -1, 100, &list), BL_OK);
    assert_int_equal(cJSON_GetArraySize(list), 0);
    cJSON_Delete(list);
    assert_int_equal(bl_store_timers(s, "complaint", NULL, T0 + 400, 100, &list), BL_OK);
    assert_int_equal(cJSON_GetArraySize(list), 0); /* due before, not at */
    cJSON_Delete(list);
    assert_int_equal(bl_store_timer_next(s, &next), BL_OK);
    assert_int_equal(next, T0 + 400);
}

/* Queries, soft delete ------------------------------------------------------------------------------ */

/* The ids of the records of type meeting conds ("field op json-value" each, '|' between), sorted and
 * paged as asked; *next (may be NULL) gets the cursor. BL_OK or the error code. */
static int query_ids(bl_store_t *s, const char *type, const char *conds, bl_sort sort, int desc, const char *after,
                     int limit, char *buf, size_t n, char **next)
{
    bl_cond c[8];
    cJSON *vals[8];
    int nc = 0;
    char text[256];
    snprintf(text, sizeof text, "%s", conds ? conds : "");
    char *save = NULL;
    for (char *t = strtok_r(text, "|", &save); t; t = strtok_r(NULL, "|", &save)) {
        char field[32], op[8], value[128];
        assert_int_equal(sscanf(t, "%31s %7s %127[^\n]", field, op, value), 3);
        static const char *const ops[] = {"=", "!=", "<", "<=", ">", ">=", "in", "notin"};
        int o = 0;
        while (strcmp(ops[o], op) != 0)
            o++;
        vals[nc] = js(value);
        c[nc] = (bl_cond){.field = strdup(field), .op = (bl_op)o, .value = vals[nc]};
        nc++;
    }
    bl_record_query q = {.type = type, .conds = c, .nconds = nc, .sort = sort, .desc = desc, .after = after,
                         .limit = limit};
    cJSON *out = NULL;
    int rc = bl_store_query(s, &q, &out, next);
    buf[0] = '\0';
    if (rc == BL_OK)
        ids(out, buf, n);
    else
        assert_null(out);
    cJSON_Delete(out);
    for (int i = 0; i < nc; i++) {
        free((char *)c[i].field);
        cJSON_Delete(vals[i]);
    }
    return rc;
}

static void test_query_conditions(void **state)
{
    fx *f = *state;
    seed_clients(f->s);
    char b[128];
    const struct {
        const char *conds, *ids;
    } cases[] = {
        {"revenue >= 200000", "c1,c4"},
        {"revenue > 200000", "c1"},
        {"revenue < 30000", "c2,c5"}, /* "unknown" is text: never below a number */
        {"revenue <= 5", "c5"},
        {"revenue > \"a\"", "c3"}, /* text with text */
        {"grade in [\"gold\",\"vip\"]", "c1,c2,c3,c4"},
        {"grade notin [\"gold\"]", "c2,c5"},
        {"grade != \"gold\"", "c2,c5"},
        {"grade = null", "c5"},
        {"grade != null", "c1,c2,c3,c4"},
        {"vip != true", "c2,c4,c5"}, /* 1 is not true; absent is not true */
        {"revenue >= 20000|revenue < 250000", "c2,c4"},
        {"nothing >= 0", ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        assert_int_equal(query_ids(f->s, "client", cases[i].conds, BL_SORT_ID, 0, NULL, 10, b, sizeof b, NULL), BL_OK);
        if (strcmp(b, cases[i].ids) != 0)
            fail_msg("%s: expected [%s], got [%s]", cases[i].conds, cases[i].ids, b);
    }
    assert_int_equal(query_ids(f->s, "client", "revenue >= true", BL_SORT_ID, 0, NULL, 10, b, sizeof b, NULL),
                     BL_INVALID);
    assert_non_null(strstr(bl_store_errmsg(f->s), "'revenue'"));
    assert_int_equal(query_ids(f->s, "client", "grade in []", BL_SORT_ID, 0, NULL, 10, b, sizeof b, NULL), BL_INVALID);
    assert_int_equal(query_ids(f->s, "client", "grade in [[1]]", BL_SORT_ID, 0, NULL, 10, b, sizeof b, NULL),
                     BL_INVALID);
}

static void test_query_order_and_pages(void **state)
{
    fx *f = *state;
    put(f->s, "client", "a", "{\"id\":\"a\",\"n\":1}", -1, T0 + 30);
    put(f->s, "client", "b", "{\"id\":\"b\",\"n\":2}", -1, T0 + 10);
    put(f->s, "client", "c", "{\"id\":\"c\",\"n\":3}", -1, T0 + 20);
    put(f->s, "client", "d", "{\"id\":\"d\",\"n\":4}", -1, T0 + 20);
    put(f->s, "client", "b", "{\"id\":\"b\",\"n\":5}", -1, T0 + 40); /* updated last, created first */
    char b[128], *next = NULL;
    assert_int_equal(query_ids(f->s, "client", NULL, BL_SORT_ID, 1, NULL, 10, b, sizeof b, &next), BL_OK);
    assert_string_equal(b, "d,c,b,a");
    assert_null(next);
    assert_int_equal(query_ids(f->s, "client", NULL, BL_SORT_CREATED, 0, NULL, 10, b, sizeof b, NULL), BL_OK);
    assert_string_equal(b, "b,c,d,a");
    assert_int_equal(query_ids(f->s, "client", NULL, BL_SORT_UPDATED, 1, NULL, 2, b, sizeof b, &next), BL_OK);
    assert_string_equal(b, "b,a");
    char *cursor = next;
    assert_non_null(cursor);
    assert_int_equal(query_ids(f->s, "client", NULL, BL_SORT_UPDATED, 1, cursor, 2, b, sizeof b, &next), BL_OK);
    assert_string_equal(b, "d,c"); /* equal times: by id, in the same direction */
    assert_null(next);
    free(cursor);
    assert_int_equal(query_ids(f->s, "client", "n >= 2", BL_SORT_ID, 0, "b", 1, b, sizeof b, &next), BL_OK);
    assert_string_equal(b, "c");
    assert_string_equal(next, "c");
    free(next);
    assert_int_equal(query_ids(f->s, "client", NULL, BL_SORT_UPDATED, 0, "c", 2, b, sizeof b, NULL), BL_INVALID);
    assert_non_null(strstr(bl_store_errmsg(f->s), "not a cursor"));
}

static void test_delete_is_soft(void **state)
{
    fx *f = *state;
    bl_store_t *s = f->s;
    put(s, "client", "c1", "{\"id\":\"c1\",\"n\":1}", -1, T0);
    put(s, "client", "c1", "{\"id\":\"c1\",\"n\":2}", -1, T0 + 1);
    put(s, "client", "c2", "{\"id\":\"c2\",\"n\":3}", -1, T0 + 1);
    assert_int_equal(set_timer(s, "client", "c1", "remind", "p", T0 + 100, NULL, T0), BL_OK);
    bl_record r = {0};
    assert_int_equal(bl_store_delete(s, "client", "c1", 1, T0 + 2, &r), BL_CONFLICT);
    assert_null(r.fields);
    assert_int_equal(bl_store_delete(s, "client", "c1", -1, T0 + 2, &r), BL_OK);
    assert_int_equal(r.version, 2);
    assert_int_equal((int)num(r.fields, "n"), 2);
    bl_record_clear(&r);
    assert_int_equal(bl_store_get(s, "client", "c1", &r), BL_NOTFOUND);
    assert_int_equal(bl_store_delete(s, "client", "c1", -1, T0 + 3, NULL), BL_NOTFOUND);
    assert_int_equal(count(s, "client", NULL), 1);
    char b[64];
    assert_string_equal(find_ids(s, "client", NULL, NULL, 10, b, sizeof b), "c2");
    cJSON *h = NULL;
    assert_int_equal(bl_store_history(s, "client", "c1", &h), BL_OK);
    assert_int_equal(cJSON_GetArraySize(h), 2); /* the history stays */
    cJSON_Delete(h);
    int64_t next = 0;
    assert_int_equal(bl_store_timer_next(s, &next), BL_OK);
    assert_int_equal(next, -1); /* its deadline ended with it */

    assert_int_equal(put(s, "client", "c1", "{\"id\":\"c1\",\"n\":9}", 2, T0 + 5), BL_CONFLICT);
    assert_non_null(strstr(bl_store_errmsg(s), "deleted"));
    assert_int_equal(put(s, "client", "c1", "{\"id\":\"c1\",\"n\":9}", 0, T0 + 5), 3); /* recreated: version 3 */
    assert_int_equal(bl_store_get(s, "client", "c1", &r), BL_OK);
    assert_int_equal(r.created_ms, T0 + 5);
    bl_record_clear(&r);
    /* the deadline proposed again with the same due is armed again */
    assert_int_equal(set_timer(s, "client", "c1", "remind", "p", T0 + 100, NULL, T0 + 5), BL_OK);
    assert_int_equal(bl_store_timer_next(s, &next), BL_OK);
    assert_int_equal(next, T0 + 100);
}

/* The record/policy of each decision of q, joined with ','. */
static const char *decision_keys(bl_store_t *s, bl_decision_query q, char *buf, size_t n, char **next)
{
    cJSON *out = NULL;
    if (q.limit == 0)
        q.limit = 10;
    assert_int_equal(bl_store_query_decisions(s, &q, &out, next), BL_OK);
    buf[0] = '\0';
    const cJSON *d;
    cJSON_ArrayForEach(d, out)
        snprintf(buf + strlen(buf), n - strlen(buf), "%s%s/%s", buf[0] ? "," : "", str(d, "id"), str(d, "policy"));
    cJSON_Delete(out);
    return buf;
}

static void test_query_decisions(void **state)
{
    fx *f = *state;
    bl_store_t *s = f->s;
    const struct {
        const char *id, *policy, *verdict, *trigger;
        int64_t at;
    } rows[] = {
        {"c1", "grade", "hold", "write", T0},      {"c1", "grade", "pass", "write", T0 + 1},
        {"c2", "grade", "hold", "write", T0 + 2},  {"c3", "screen", "hold", "timer:remind", T0 + 3},
        {"c4", "grade", NULL, "write", T0 + 4},    {"c1", "screen", "hold", "write", T0 + 5},
    };
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        put(s, "client", rows[i].id, "{}", -1, rows[i].at);
        bl_decision_row d = {"client", rows[i].id, 1, rows[i].policy, "v1", rows[i].verdict, "why", NULL, NULL,
                             rows[i].trigger, rows[i].at, NULL};
        assert_int_equal(bl_store_add_decision(s, &d, NULL), BL_OK);
    }
    char b[256], *next = NULL;
    bl_decision_query all = {.since_ms = INT64_MIN, .until_ms = INT64_MAX};
    bl_decision_query q = all;
    q.verdict = "hold", q.current = 1, q.desc = 1;
    assert_string_equal(decision_keys(s, q, b, sizeof b, NULL), "c1/screen,c3/screen,c2/grade");
    q.current = 0;
    assert_string_equal(decision_keys(s, q, b, sizeof b, NULL), "c1/screen,c3/screen,c2/grade,c1/grade");
    q = all, q.verdict = "none";
    assert_string_equal(decision_keys(s, q, b, sizeof b, NULL), "c4/grade");
    q = all, q.trigger = "timer";
    assert_string_equal(decision_keys(s, q, b, sizeof b, NULL), "c3/screen");
    q = all, q.trigger = "write", q.policy = "grade", q.since_ms = T0 + 1, q.until_ms = T0 + 4;
    assert_string_equal(decision_keys(s, q, b, sizeof b, NULL), "c1/grade,c2/grade");
    q = all, q.limit = 2;
    assert_string_equal(decision_keys(s, q, b, sizeof b, &next), "c1/grade,c1/grade");
    assert_non_null(next);
    q.after = next;
    char *first = next;
    assert_string_equal(decision_keys(s, q, b, sizeof b, &next), "c2/grade,c3/screen");
    free(first);
    free(next);
    q = all, q.after = "12:x", q.limit = 10;
    cJSON *out = NULL;
    assert_int_equal(bl_store_query_decisions(s, &q, &out, NULL), BL_INVALID);
    assert_null(out);

    /* the full row; a deleted record leaves the current queue */
    q = all, q.type = "client", q.policy = "grade", q.verdict = "hold", q.current = 1, q.limit = 10;
    assert_int_equal(bl_store_query_decisions(s, &q, &out, NULL), BL_OK);
    cJSON *d = cJSON_GetArrayItem(out, 0);
    assert_string_equal(str(d, "type"), "client");
    assert_string_equal(str(d, "id"), "c2");
    assert_string_equal(str(d, "version"), "v1");
    assert_string_equal(str(d, "explanation"), "why");
    assert_true(cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(d, "reasons")));
    assert_int_equal((int64_t)num(d, "at_ms"), T0 + 2);
    assert_string_equal(str(d, "at"), "2023-11-15T06:13:20.002+08:00");
    assert_int_equal((int)num(d, "record_version"), 1);
    cJSON_Delete(out);
    assert_int_equal(bl_store_delete(s, "client", "c2", -1, T0 + 9, NULL), BL_OK);
    assert_string_equal(decision_keys(s, q, b, sizeof b, NULL), "");
}


/* Retention: each step's cost is bounded by its window; a pass over everything keeps the newest
 * versions and each record's newest decision per policy, however old. */
static void test_prune_in_windows(void **state)
{
    fx *f = *state;
    cJSON *reasons = js("[]"), *changes = js("{}");
    for (int r = 0; r < 25; r++) {
        char id[16];
        snprintf(id, sizeof id, "c%02d", r);
        for (int v = 1; v <= 4; v++) {
            char body[64];
            snprintf(body, sizeof body, "{\"n\":%d}", v);
            put(f->s, "client", id, body, v - 1, T0 + v);
            bl_decision_row d = {"client", id, v, v % 2 ? "client_grade" : "other", "v1", NULL, "x", reasons,
                                 changes, "write", T0 + v, NULL};
            assert_int_equal(bl_store_add_decision(f->s, &d, NULL), BL_OK);
        }
    }
    cJSON_Delete(reasons);
    cJSON_Delete(changes);
    int64_t n = 0, total = 0, steps = 0;
    int more = 1;
    while (more && steps < 100) {
        assert_int_equal(bl_store_prune(f->s, 2, T0 + 100, 0, 0, 10, &n, &more), BL_OK);
        assert_true(n <= 10 + 10 * 4); /* a window of 10 records and one of 10 decision ids */
        total += n, steps++;
    }
    assert_false(more);
    assert_true(steps >= 3); /* 25 records in windows of 10 */
    cJSON *out = NULL;
    assert_int_equal(bl_store_history(f->s, "client", "c07", &out), BL_OK);
    assert_int_equal(cJSON_GetArraySize(out), 2); /* versions 3 and 4 */
    cJSON_Delete(out);
    assert_int_equal(bl_store_decisions(f->s, "client", "c07", &out), BL_OK);
    assert_int_equal(cJSON_GetArraySize(out), 2); /* the newest of each policy: versions 3 and 4 */
    assert_int_equal((int)num(cJSON_GetArrayItem(out, 0), "record_version"), 3);
    assert_int_equal((int)num(cJSON_GetArrayItem(out, 1), "record_version"), 4);
    cJSON_Delete(out);
    assert_int_equal(total, 25 * 2 + 25 * 2);
    /* a second pass finds nothing more */
    assert_int_equal(bl_store_prune(f->s, 2, T0 + 100, 0, 0, 1000, &n, &more), BL_OK);
    assert_int_equal(n, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_reopen_keeps_data, file_setup, teardown),
        cmocka_unit_test_setup_teardown(test_newer_schema_refused, file_setup, teardown),
        cmocka_unit_test(test_open_errors_name_the_file),
        cmocka_unit_test(test_new_database_is_private),
        cmocka_unit_test_setup_teardown(test_put_versions_and_history, mem_setup, teardown),
        cmocka_unit_test_setup_teardown(test_body_is_compact_json, file_setup, teardown),
        cmocka_unit_test_setup_teardown(test_version_conflict_writes_nothing, mem_setup, teardown),
        cmocka_unit_test_setup_teardown(test_stale_version_conflict, mem_setup, teardown),
        cmocka_unit_test_setup_teardown(test_get_missing, mem_setup, teardown),
        cmocka_unit_test_setup_teardown(test_put_rejects_non_object, mem_setup, teardown),
        cmocka_unit_test_setup_teardown(test_put_outside_transaction_is_atomic, mem_setup, teardown),
        cmocka_unit_test_setup_teardown(test_find_filters, mem_setup, teardown),
        cmocka_unit_test_setup_teardown(test_find_paging, mem_setup, teardown),
        cmocka_unit_test_setup_teardown(test_filter_field_names, mem_setup, teardown),
        cmocka_unit_test_setup_teardown(test_many_filter_shapes, mem_setup, teardown),
        cmocka_unit_test_setup_teardown(test_count, mem_setup, teardown),
        cmocka_unit_test_setup_teardown(test_sum, mem_setup, teardown),
        cmocka_unit_test_setup_teardown(test_decisions, mem_setup, teardown),
        cmocka_unit_test_setup_teardown(test_decision_i18n, mem_setup, teardown),
        cmocka_unit_test_setup_teardown(test_prune_in_windows, mem_setup, teardown),
        cmocka_unit_test_setup_teardown(test_ledger, mem_setup, teardown),
        cmocka_unit_test_setup_teardown(test_events, mem_setup, teardown),
        cmocka_unit_test_setup_teardown(test_policy_versions, mem_setup, teardown),
        cmocka_unit_test_setup_teardown(test_policy_log, mem_setup, teardown),
        cmocka_unit_test_setup_teardown(test_readonly_scans, file_setup, teardown),
        cmocka_unit_test_setup_teardown(test_fault_rolls_back_everything, mem_setup, teardown),
        cmocka_unit_test_setup_teardown(test_fault_counts_writes, mem_setup, teardown),
        cmocka_unit_test_setup_teardown(test_nested_rollback_undoes_only_inner, mem_setup, teardown),
        cmocka_unit_test_setup_teardown(test_durable_switch, file_setup, teardown),
        cmocka_unit_test_setup_teardown(test_timers, mem_setup, teardown),
        cmocka_unit_test_setup_teardown(test_timer_fires_once_per_due, mem_setup, teardown),
        cmocka_unit_test_setup_teardown(test_query_conditions, mem_setup, teardown),
        cmocka_unit_test_setup_teardown(test_query_order_and_pages, mem_setup, teardown),
        cmocka_unit_test_setup_teardown(test_delete_is_soft, mem_setup, teardown),
        cmocka_unit_test_setup_teardown(test_query_decisions, mem_setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
