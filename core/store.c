/* store.c — the SQLite record store: schema and its migrations, records with their history,
 * decisions, the points ledger, events and policy versions; nested transactions for group commit. */
#include "store.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Each step moves the schema from user_version i to i + 1. Append; never edit a shipped step. */
static const char *const migrations[] = {
    /* 1: records, history, decisions, ledger, events, policy versions */
    "CREATE TABLE records(type TEXT NOT NULL, id TEXT NOT NULL, version INTEGER NOT NULL,"
    " created_ms INTEGER NOT NULL, updated_ms INTEGER NOT NULL, body TEXT NOT NULL, PRIMARY KEY(type, id))"
    " WITHOUT ROWID;"
    "CREATE TABLE record_history(type TEXT NOT NULL, id TEXT NOT NULL, version INTEGER NOT NULL,"
    " at_ms INTEGER NOT NULL, body TEXT NOT NULL, PRIMARY KEY(type, id, version)) WITHOUT ROWID;"
    "CREATE TABLE decisions(id INTEGER PRIMARY KEY, type TEXT NOT NULL, record_id TEXT NOT NULL,"
    " record_version INTEGER NOT NULL, policy TEXT NOT NULL, policy_version TEXT NOT NULL, verdict TEXT,"
    " explanation TEXT NOT NULL, reasons TEXT NOT NULL, changes TEXT NOT NULL, trigger TEXT NOT NULL,"
    " at_ms INTEGER NOT NULL);"
    "CREATE INDEX decisions_record ON decisions(type, record_id, id);"
    "CREATE TABLE ledger(id INTEGER PRIMARY KEY, subject TEXT NOT NULL, period TEXT NOT NULL,"
    " points INTEGER NOT NULL, reason TEXT, policy TEXT NOT NULL, decision_id INTEGER, at_ms INTEGER NOT NULL);"
    "CREATE INDEX ledger_period ON ledger(subject, period);"
    "CREATE INDEX ledger_time ON ledger(subject, at_ms);"
    "CREATE TABLE events(seq INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, type TEXT NOT NULL,"
    " record_id TEXT NOT NULL, payload TEXT NOT NULL, policy TEXT NOT NULL, decision_id INTEGER,"
    " at_ms INTEGER NOT NULL);"
    "CREATE TABLE policy_versions(name TEXT NOT NULL, version TEXT NOT NULL, file TEXT NOT NULL,"
    " source TEXT NOT NULL, first_active_ms INTEGER NOT NULL, PRIMARY KEY(name, version)) WITHOUT ROWID;",
    /* 2: durable timers (deadlines) */
    "CREATE TABLE timers(id INTEGER PRIMARY KEY, type TEXT NOT NULL, record_id TEXT NOT NULL, name TEXT NOT NULL,"
    " policy TEXT NOT NULL, due_ms INTEGER NOT NULL, payload TEXT NOT NULL, state TEXT NOT NULL DEFAULT 'pending',"
    " created_ms INTEGER NOT NULL, done_ms INTEGER, note TEXT);"
    "CREATE UNIQUE INDEX timers_pending_name ON timers(type, record_id, name) WHERE state = 'pending';"
    "CREATE INDEX timers_due ON timers(due_ms, id) WHERE state = 'pending';",
};
#define SCHEMA_VERSION ((int)(sizeof migrations / sizeof migrations[0]))

enum {
    Q_GET, Q_PUT_NEW, Q_PUT_UPDATE, Q_HISTORY_ADD, Q_HISTORY, Q_DECISION_ADD, Q_DECISIONS, Q_POINTS_ADD,
    Q_POINTS_TOTAL, Q_POINTS_WINDOW, Q_LEDGER, Q_EVENT_ADD, Q_EVENTS, Q_POLICY_ADD, Q_POLICY_VERSIONS,
    Q_POLICY_SOURCE, Q_TIMER_CANCEL, Q_TIMER_ADD, Q_TIMER_NEXT, Q_TIMER_DUE, Q_TIMER_DONE, Q_COUNT
};

static const char *const sql[Q_COUNT] = {
    [Q_GET] = "SELECT body, version, created_ms, updated_ms FROM records WHERE type = ?1 AND id = ?2",
    [Q_PUT_NEW] = "INSERT INTO records(type, id, version, created_ms, updated_ms, body) VALUES(?1, ?2, 1, ?3, ?3, ?4)",
    [Q_PUT_UPDATE] = "UPDATE records SET version = ?3, updated_ms = ?4, body = ?5 WHERE type = ?1 AND id = ?2",
    [Q_HISTORY_ADD] = "INSERT INTO record_history(type, id, version, at_ms, body) VALUES(?1, ?2, ?3, ?4, ?5)",
    [Q_HISTORY] = "SELECT version, at_ms, body FROM record_history WHERE type = ?1 AND id = ?2 ORDER BY version",
    [Q_DECISION_ADD] = "INSERT INTO decisions(type, record_id, record_version, policy, policy_version, verdict,"
                       " explanation, reasons, changes, trigger, at_ms) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11)",
    [Q_DECISIONS] = "SELECT id, policy, policy_version, verdict, explanation, reasons, changes, record_version,"
                    " trigger, at_ms FROM decisions WHERE type = ?1 AND record_id = ?2 ORDER BY id",
    [Q_POINTS_ADD] = "INSERT INTO ledger(subject, period, points, reason, policy, decision_id, at_ms)"
                     " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [Q_POINTS_TOTAL] = "SELECT coalesce(sum(points), 0) FROM ledger WHERE subject = ?1 AND period = ?2",
    [Q_POINTS_WINDOW] = "SELECT coalesce(sum(points), 0) FROM ledger WHERE subject = ?1 AND at_ms BETWEEN ?2 AND ?3",
    [Q_LEDGER] = "SELECT points, reason, policy, decision_id, at_ms FROM ledger WHERE subject = ?1 AND period = ?2"
                 " ORDER BY id",
    [Q_EVENT_ADD] = "INSERT INTO events(kind, type, record_id, payload, policy, decision_id, at_ms)"
                    " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [Q_EVENTS] = "SELECT seq, kind, type, record_id, payload, policy, decision_id, at_ms FROM events"
                 " WHERE seq > ?1 ORDER BY seq LIMIT ?2",
    [Q_POLICY_ADD] = "INSERT OR IGNORE INTO policy_versions(name, version, file, source, first_active_ms)"
                     " VALUES(?1, ?2, ?3, ?4, ?5)",
    [Q_POLICY_VERSIONS] = "SELECT version, file, first_active_ms FROM policy_versions WHERE name = ?1"
                          " ORDER BY first_active_ms DESC, version",
    [Q_POLICY_SOURCE] = "SELECT source FROM policy_versions WHERE name = ?1 AND version = ?2",
    [Q_TIMER_CANCEL] = "UPDATE timers SET state = ?5, done_ms = ?4 WHERE type = ?1 AND record_id = ?2 AND name = ?3"
                       " AND state = 'pending'",
    [Q_TIMER_ADD] = "INSERT INTO timers(type, record_id, name, policy, due_ms, payload, created_ms)"
                    " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [Q_TIMER_NEXT] = "SELECT min(due_ms) FROM timers WHERE state = 'pending'",
    [Q_TIMER_DUE] = "SELECT id, type, record_id, name, policy, due_ms, payload, due_ms FROM timers"
                    " WHERE state = 'pending' AND due_ms <= ?1 ORDER BY due_ms, id LIMIT ?2",
    [Q_TIMER_DONE] = "UPDATE timers SET state = ?2, done_ms = ?3, note = ?4 WHERE id = ?1 AND state = 'pending'",
};

struct bl_store {
    sqlite3 *db;
    sqlite3_stmt *st[Q_COUNT];
    char *path;
    char err[512];
    int depth;    /* open transactions (the first is BEGIN, the others savepoints) */
    int fail_nth; /* fault injection: the nth write from now fails */
};

static int seterr(bl_store_t *s, const char *fmt, const char *detail)
{
    snprintf(s->err, sizeof s->err, fmt, detail);
    return BL_ERR;
}

const char *bl_store_errmsg(bl_store_t *s) { return s->err; }

static int exec(bl_store_t *s, const char *q)
{
    char *msg = NULL;
    if (sqlite3_exec(s->db, q, NULL, NULL, &msg) != SQLITE_OK) {
        snprintf(s->err, sizeof s->err, "%s (database %s)", msg ? msg : sqlite3_errmsg(s->db), s->path);
        sqlite3_free(msg);
        return BL_ERR;
    }
    return BL_OK;
}

static sqlite3_stmt *stmt(bl_store_t *s, int q)
{
    if (s->st[q] == NULL &&
        sqlite3_prepare_v3(s->db, sql[q], -1, SQLITE_PREPARE_PERSISTENT, &s->st[q], NULL) != SQLITE_OK) {
        snprintf(s->err, sizeof s->err, "cannot prepare a query: %s", sqlite3_errmsg(s->db));
        return NULL;
    }
    return s->st[q];
}

/* Runs a write statement to completion; applies fault injection. */
static int step_write(bl_store_t *s, sqlite3_stmt *q)
{
    if (s->fail_nth > 0 && --s->fail_nth == 0) {
        sqlite3_reset(q);
        return seterr(s, "%s", "injected fault");
    }
    int rc = sqlite3_step(q);
    sqlite3_reset(q);
    if (rc != SQLITE_DONE) {
        snprintf(s->err, sizeof s->err, "write failed: %s", sqlite3_errmsg(s->db));
        return BL_ERR;
    }
    return BL_OK;
}

static void bind_text(sqlite3_stmt *q, int i, const char *v)
{
    if (v)
        sqlite3_bind_text(q, i, v, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(q, i);
}

/* A decision id, or NULL when there is none (0). */
static void bind_decision(sqlite3_stmt *q, int i, int64_t decision_id)
{
    if (decision_id > 0)
        sqlite3_bind_int64(q, i, decision_id);
    else
        sqlite3_bind_null(q, i);
}

/* Compact JSON of v (NULL: "null"), malloc'd. */
static char *dump(const cJSON *v) { return v ? bl_json_dump(v) : bl_strdupf("null"); }

static cJSON *parse_col(sqlite3_stmt *q, int col)
{
    const char *t = (const char *)sqlite3_column_text(q, col);
    char err[100];
    cJSON *j = t ? bl_json_parse(t, strlen(t), err, sizeof err) : NULL;
    return j ? j : cJSON_CreateNull();
}

static void add_time(cJSON *o, const char *key, int64_t ms)
{
    char t[32];
    bl_json_add_str(o, key, bl_time_format(ms, t));
}

/* A result column as it appears in JSON: the key and how to read the SQLite value. */
typedef enum { COL_INT, COL_TEXT, COL_JSON, COL_TIME, COL_INT_OR_NULL } col_kind;
typedef struct col {
    const char *key;
    col_kind kind;
} col;

static cJSON *row_object(sqlite3_stmt *q, const col *cols)
{
    cJSON *o = cJSON_CreateObject();
    for (int i = 0; cols[i].key; i++) {
        switch (cols[i].kind) {
        case COL_INT: bl_json_add_num(o, cols[i].key, (double)sqlite3_column_int64(q, i)); break;
        case COL_TEXT: bl_json_add_str(o, cols[i].key, (const char *)sqlite3_column_text(q, i)); break;
        case COL_JSON: bl_json_add(o, cols[i].key, parse_col(q, i)); break;
        case COL_TIME: add_time(o, cols[i].key, sqlite3_column_int64(q, i)); break;
        case COL_INT_OR_NULL:
            bl_json_add(o, cols[i].key, sqlite3_column_type(q, i) == SQLITE_NULL
                                            ? cJSON_CreateNull()
                                            : cJSON_CreateNumber((double)sqlite3_column_int64(q, i)));
            break;
        }
    }
    return o;
}

/* Steps q to the end, one object per row into a new array *out; resets q (a cached statement). */
static int rows(bl_store_t *s, sqlite3_stmt *q, const col *cols, cJSON **out, const char *what)
{
    cJSON *a = cJSON_CreateArray();
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW)
        cJSON_AddItemToArray(a, row_object(q, cols));
    sqlite3_reset(q);
    *out = a;
    return rc == SQLITE_DONE ? BL_OK : seterr(s, what, sqlite3_errmsg(s->db));
}

/* Opening ---------------------------------------------------------------------------------------- */

static int migrate(bl_store_t *s)
{
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &q, NULL) != SQLITE_OK)
        return seterr(s, "cannot read the schema version: %s", sqlite3_errmsg(s->db));
    int have = sqlite3_step(q) == SQLITE_ROW ? sqlite3_column_int(q, 0) : 0;
    sqlite3_finalize(q);
    if (have > SCHEMA_VERSION) {
        snprintf(s->err, sizeof s->err,
                 "database %s has schema version %d, newer than this bylaw knows (%d): use a newer bylaw", s->path,
                 have, SCHEMA_VERSION);
        return BL_ERR;
    }
    for (int v = have; v < SCHEMA_VERSION; v++) {
        char pragma[64];
        snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d", v + 1);
        if (exec(s, "BEGIN IMMEDIATE") != BL_OK)
            return BL_ERR;
        if (exec(s, migrations[v]) != BL_OK || exec(s, pragma) != BL_OK) {
            char keep[sizeof s->err];
            memcpy(keep, s->err, sizeof keep);
            exec(s, "ROLLBACK");
            snprintf(s->err, sizeof s->err, "cannot migrate the schema to version %d: %.400s", v + 1, keep);
            return BL_ERR;
        }
        if (exec(s, "COMMIT") != BL_OK)
            return BL_ERR;
    }
    return BL_OK;
}

int bl_store_open(const char *path, bl_store_t **out, char **err)
{
    *out = NULL;
    bl_store_t *s = calloc(1, sizeof *s);
    s->path = bl_strdupf("%s", path);
    int rc = sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        *err = bl_strdupf("cannot open database '%s': %s", path, s->db ? sqlite3_errmsg(s->db) : "out of memory");
        bl_store_close(s);
        return BL_ERR;
    }
    sqlite3_busy_timeout(s->db, 5000);
    int memory = strcmp(path, ":memory:") == 0;
    if ((!memory && exec(s, "PRAGMA journal_mode = WAL") != BL_OK) ||
        exec(s, "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON") != BL_OK || migrate(s) != BL_OK) {
        *err = bl_strdupf("cannot open database '%s': %s", path, s->err);
        bl_store_close(s);
        return BL_ERR;
    }
    *out = s;
    return BL_OK;
}

void bl_store_close(bl_store_t *s)
{
    if (s == NULL)
        return;
    for (int i = 0; i < Q_COUNT; i++)
        sqlite3_finalize(s->st[i]);
    if (s->db) {
        while (s->depth > 0)
            bl_store_rollback(s);
        if (strcmp(s->path, ":memory:") != 0)
            sqlite3_exec(s->db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
        sqlite3_close(s->db);
    }
    free(s->path);
    free(s);
}

int bl_store_set_durable(bl_store_t *s, int full)
{
    return exec(s, full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL");
}

int bl_store_autocheckpoint(bl_store_t *s, int pages)
{
    return sqlite3_wal_autocheckpoint(s->db, pages) == SQLITE_OK ? BL_OK : seterr(s, "%s", sqlite3_errmsg(s->db));
}

int bl_store_checkpoint(const char *path, char **err)
{
    sqlite3 *db = NULL;
    int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_busy_timeout(db, 1000);
        rc = sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
    }
    if (rc != SQLITE_OK)
        *err = bl_strdupf("checkpoint of %s: %s", path, db ? sqlite3_errmsg(db) : "out of memory");
    sqlite3_close(db);
    return rc == SQLITE_OK ? BL_OK : BL_ERR;
}

/* Transactions ----------------------------------------------------------------------------------- */

int bl_store_depth(bl_store_t *s) { return s->depth; }

int bl_store_begin(bl_store_t *s)
{
    char q[48];
    if (s->depth == 0)
        snprintf(q, sizeof q, "BEGIN IMMEDIATE");
    else
        snprintf(q, sizeof q, "SAVEPOINT sp%d", s->depth);
    if (exec(s, q) != BL_OK)
        return BL_ERR;
    s->depth++;
    return BL_OK;
}

int bl_store_commit(bl_store_t *s)
{
    if (s->depth == 0)
        return seterr(s, "%s", "commit without a transaction");
    char q[48];
    if (s->depth == 1)
        snprintf(q, sizeof q, "COMMIT");
    else
        snprintf(q, sizeof q, "RELEASE sp%d", s->depth - 1);
    if (exec(s, q) != BL_OK)
        return BL_ERR; /* still open: the caller rolls back */
    s->depth--;
    return BL_OK;
}

void bl_store_rollback(bl_store_t *s)
{
    if (s->depth == 0)
        return;
    char q[64];
    if (s->depth == 1)
        snprintf(q, sizeof q, "ROLLBACK");
    else
        snprintf(q, sizeof q, "ROLLBACK TO sp%d; RELEASE sp%d", s->depth - 1, s->depth - 1);
    char keep[sizeof s->err];
    memcpy(keep, s->err, sizeof keep); /* keep the error that caused the rollback */
    sqlite3_exec(s->db, q, NULL, NULL, NULL);
    memcpy(s->err, keep, sizeof keep);
    s->depth--;
}

void bl_store_fail_after(bl_store_t *s, int nth) { s->fail_nth = nth; }

/* Records ---------------------------------------------------------------------------------------- */

void bl_record_clear(bl_record *r)
{
    cJSON_Delete(r->fields);
    r->fields = NULL;
}

int bl_store_get(bl_store_t *s, const char *type, const char *id, bl_record *out)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *q = stmt(s, Q_GET);
    if (q == NULL)
        return BL_ERR;
    bind_text(q, 1, type);
    bind_text(q, 2, id);
    int rc = sqlite3_step(q);
    if (rc == SQLITE_ROW) {
        out->fields = parse_col(q, 0);
        out->version = sqlite3_column_int64(q, 1);
        out->created_ms = sqlite3_column_int64(q, 2);
        out->updated_ms = sqlite3_column_int64(q, 3);
    }
    sqlite3_reset(q);
    if (rc == SQLITE_ROW)
        return BL_OK;
    if (rc == SQLITE_DONE)
        return BL_NOTFOUND;
    return seterr(s, "cannot read a record: %s", sqlite3_errmsg(s->db));
}

int bl_store_put(bl_store_t *s, const char *type, const char *id, cJSON *fields, int64_t expect_version,
                 int64_t now_ms, int64_t *new_version)
{
    int64_t current = 0;
    sqlite3_stmt *q = stmt(s, Q_GET);
    if (q == NULL)
        return BL_ERR;
    bind_text(q, 1, type);
    bind_text(q, 2, id);
    int rc = sqlite3_step(q);
    if (rc == SQLITE_ROW)
        current = sqlite3_column_int64(q, 1);
    sqlite3_reset(q);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return seterr(s, "cannot read a record: %s", sqlite3_errmsg(s->db));
    if (expect_version >= 0 && expect_version != current) {
        if (current == 0)
            snprintf(s->err, sizeof s->err, "record %s/%s does not exist, so it is not at version %lld", type, id,
                     (long long)expect_version);
        else if (expect_version == 0)
            snprintf(s->err, sizeof s->err, "record %s/%s exists already (version %lld)", type, id, (long long)current);
        else
            snprintf(s->err, sizeof s->err, "record %s/%s is at version %lld, not %lld", type, id,
                     (long long)current, (long long)expect_version);
        return BL_CONFLICT;
    }
    char *body = dump(fields);
    if (current == 0) {
        q = stmt(s, Q_PUT_NEW);
        if (q == NULL) {
            free(body);
            return BL_ERR;
        }
        bind_text(q, 1, type);
        bind_text(q, 2, id);
        sqlite3_bind_int64(q, 3, now_ms);
        sqlite3_bind_text(q, 4, body, -1, SQLITE_TRANSIENT);
    } else {
        q = stmt(s, Q_PUT_UPDATE);
        if (q == NULL) {
            free(body);
            return BL_ERR;
        }
        bind_text(q, 1, type);
        bind_text(q, 2, id);
        sqlite3_bind_int64(q, 3, current + 1);
        sqlite3_bind_int64(q, 4, now_ms);
        sqlite3_bind_text(q, 5, body, -1, SQLITE_TRANSIENT);
    }
    rc = step_write(s, q);
    if (rc == BL_OK && (q = stmt(s, Q_HISTORY_ADD)) != NULL) {
        bind_text(q, 1, type);
        bind_text(q, 2, id);
        sqlite3_bind_int64(q, 3, current + 1);
        sqlite3_bind_int64(q, 4, now_ms);
        sqlite3_bind_text(q, 5, body, -1, SQLITE_TRANSIENT);
        rc = step_write(s, q);
    } else if (rc == BL_OK) {
        rc = BL_ERR;
    }
    free(body);
    if (rc == BL_OK)
        *new_version = current + 1;
    return rc;
}

/* Appends " AND json_extract(body, '$."k"') = ?n" for each filter entry; binds later. */
static int filter_sql(bl_store_t *s, cJSON *filter, bl_buf *q)
{
    cJSON *f;
    cJSON_ArrayForEach(f, filter)
    {
        if (strchr(f->string, '"') || strchr(f->string, '\\'))
            return seterr(s, "field name '%s' may not contain quotes or backslashes", f->string), BL_INVALID;
        if (cJSON_IsObject(f) || cJSON_IsArray(f))
            return seterr(s, "filter on field '%s' must be a single value, not an object or array", f->string),
                   BL_INVALID;
        if (cJSON_IsNull(f))
            bl_buf_printf(q, " AND json_extract(body, '$.\"%s\"') IS NULL", f->string);
        else
            bl_buf_printf(q, " AND json_extract(body, '$.\"%s\"') = ?", f->string);
    }
    return BL_OK;
}

static int filter_bind(sqlite3_stmt *q, cJSON *filter, int i)
{
    cJSON *f;
    cJSON_ArrayForEach(f, filter)
    {
        if (cJSON_IsNull(f))
            continue;
        if (cJSON_IsString(f))
            sqlite3_bind_text(q, i++, f->valuestring, -1, SQLITE_TRANSIENT);
        else if (cJSON_IsBool(f))
            sqlite3_bind_int(q, i++, cJSON_IsTrue(f)); /* json_extract gives 1/0 for true/false */
        else if (f->valuedouble == (double)(int64_t)f->valuedouble)
            sqlite3_bind_int64(q, i++, (int64_t)f->valuedouble);
        else
            sqlite3_bind_double(q, i++, f->valuedouble);
    }
    return i;
}

/* Prepares "SELECT <what> FROM records WHERE type = ?1 <filter> <tail>" with type and filter bound. */
static sqlite3_stmt *filtered(bl_store_t *s, const char *what, const char *type, cJSON *filter, const char *tail,
                              int *next, int *rc)
{
    bl_buf q = {0};
    bl_buf_printf(&q, "SELECT %s FROM records WHERE type = ?", what);
    *rc = filter_sql(s, filter, &q);
    if (*rc != BL_OK) {
        bl_buf_free(&q);
        return NULL;
    }
    bl_buf_adds(&q, tail);
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db, q.data, -1, &st, NULL) != SQLITE_OK) {
        seterr(s, "cannot query the records: %s", sqlite3_errmsg(s->db));
        *rc = BL_ERR;
        bl_buf_free(&q);
        return NULL;
    }
    bl_buf_free(&q);
    sqlite3_bind_text(st, 1, type, -1, SQLITE_TRANSIENT);
    *next = filter_bind(st, filter, 2);
    return st;
}

int bl_store_find(bl_store_t *s, const char *type, cJSON *filter, const char *after, int limit, cJSON **out)
{
    *out = NULL;
    int next, rc;
    sqlite3_stmt *q = filtered(s, "body", type, filter, after ? " AND id > ? ORDER BY id LIMIT ?" : " ORDER BY id LIMIT ?",
                               &next, &rc);
    if (q == NULL)
        return rc;
    if (after)
        sqlite3_bind_text(q, next++, after, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(q, next, limit);
    cJSON *a = cJSON_CreateArray();
    while ((rc = sqlite3_step(q)) == SQLITE_ROW)
        cJSON_AddItemToArray(a, parse_col(q, 0));
    sqlite3_finalize(q);
    if (rc != SQLITE_DONE) {
        cJSON_Delete(a);
        return seterr(s, "cannot list the records: %s", sqlite3_errmsg(s->db));
    }
    *out = a;
    return BL_OK;
}

int bl_store_count(bl_store_t *s, const char *type, cJSON *filter, int64_t *out)
{
    int next, rc;
    sqlite3_stmt *q = filtered(s, "count(*)", type, filter, "", &next, &rc);
    if (q == NULL)
        return rc;
    rc = sqlite3_step(q);
    *out = rc == SQLITE_ROW ? sqlite3_column_int64(q, 0) : 0;
    sqlite3_finalize(q);
    return rc == SQLITE_ROW ? BL_OK : seterr(s, "cannot count the records: %s", sqlite3_errmsg(s->db));
}

int bl_store_sum(bl_store_t *s, const char *type, const char *field, cJSON *filter, double *out)
{
    if (strchr(field, '"') || strchr(field, '\\'))
        return seterr(s, "field name '%s' may not contain quotes or backslashes", field), BL_INVALID;
    char what[300];
    snprintf(what, sizeof what,
             "coalesce(sum(CASE WHEN json_type(body, '$.\"%s\"') IN ('integer', 'real')"
             " THEN json_extract(body, '$.\"%s\"') END), 0)",
             field, field);
    int next, rc;
    sqlite3_stmt *q = filtered(s, what, type, filter, "", &next, &rc);
    if (q == NULL)
        return rc;
    rc = sqlite3_step(q);
    *out = rc == SQLITE_ROW ? sqlite3_column_double(q, 0) : 0;
    sqlite3_finalize(q);
    return rc == SQLITE_ROW ? BL_OK : seterr(s, "cannot sum the records: %s", sqlite3_errmsg(s->db));
}

int bl_store_history(bl_store_t *s, const char *type, const char *id, cJSON **out)
{
    static const col cols[] = {{"version", COL_INT}, {"at", COL_TIME}, {"fields", COL_JSON}, {NULL, 0}};
    sqlite3_stmt *q = stmt(s, Q_HISTORY);
    if (q == NULL)
        return BL_ERR;
    bind_text(q, 1, type);
    bind_text(q, 2, id);
    return rows(s, q, cols, out, "cannot read the history: %s");
}

/* Decisions, ledger, events ---------------------------------------------------------------------- */

int bl_store_add_decision(bl_store_t *s, const bl_decision_row *d, int64_t *decision_id)
{
    sqlite3_stmt *q = stmt(s, Q_DECISION_ADD);
    if (q == NULL)
        return BL_ERR;
    char *reasons = dump(d->reasons), *changes = dump(d->changes);
    bind_text(q, 1, d->type);
    bind_text(q, 2, d->id);
    sqlite3_bind_int64(q, 3, d->record_version);
    bind_text(q, 4, d->policy);
    bind_text(q, 5, d->policy_version ? d->policy_version : "");
    bind_text(q, 6, d->verdict);
    bind_text(q, 7, d->explanation ? d->explanation : "");
    bind_text(q, 8, reasons);
    bind_text(q, 9, changes);
    bind_text(q, 10, d->trigger ? d->trigger : "write");
    sqlite3_bind_int64(q, 11, d->at_ms);
    int rc = step_write(s, q);
    free(reasons);
    free(changes);
    if (rc == BL_OK)
        *decision_id = sqlite3_last_insert_rowid(s->db);
    return rc;
}

int bl_store_decisions(bl_store_t *s, const char *type, const char *id, cJSON **out)
{
    static const col cols[] = {
        {"id", COL_INT},         {"policy", COL_TEXT},         {"version", COL_TEXT},   {"verdict", COL_TEXT},
        {"explanation", COL_TEXT}, {"reasons", COL_JSON},      {"changes", COL_JSON},   {"record_version", COL_INT},
        {"trigger", COL_TEXT},   {"at", COL_TIME},             {NULL, 0},
    };
    sqlite3_stmt *q = stmt(s, Q_DECISIONS);
    if (q == NULL)
        return BL_ERR;
    bind_text(q, 1, type);
    bind_text(q, 2, id);
    return rows(s, q, cols, out, "cannot read the decisions: %s");
}

int bl_store_add_points(bl_store_t *s, const char *subject, const char *period, int64_t points, const char *reason,
                        const char *policy, int64_t decision_id, int64_t at_ms)
{
    sqlite3_stmt *q = stmt(s, Q_POINTS_ADD);
    if (q == NULL)
        return BL_ERR;
    bind_text(q, 1, subject);
    bind_text(q, 2, period);
    sqlite3_bind_int64(q, 3, points);
    bind_text(q, 4, reason);
    bind_text(q, 5, policy);
    bind_decision(q, 6, decision_id);
    sqlite3_bind_int64(q, 7, at_ms);
    return step_write(s, q);
}

static int scalar(bl_store_t *s, sqlite3_stmt *q, int64_t *out, const char *what)
{
    int rc = sqlite3_step(q);
    *out = rc == SQLITE_ROW ? sqlite3_column_int64(q, 0) : 0;
    sqlite3_reset(q);
    return rc == SQLITE_ROW ? BL_OK : seterr(s, what, sqlite3_errmsg(s->db));
}

int bl_store_points_total(bl_store_t *s, const char *subject, const char *period, int64_t *out)
{
    sqlite3_stmt *q = stmt(s, Q_POINTS_TOTAL);
    if (q == NULL)
        return BL_ERR;
    bind_text(q, 1, subject);
    bind_text(q, 2, period);
    return scalar(s, q, out, "cannot total the points: %s");
}

int bl_store_points_window(bl_store_t *s, const char *subject, int64_t from_ms, int64_t to_ms, int64_t *out)
{
    sqlite3_stmt *q = stmt(s, Q_POINTS_WINDOW);
    if (q == NULL)
        return BL_ERR;
    bind_text(q, 1, subject);
    sqlite3_bind_int64(q, 2, from_ms);
    sqlite3_bind_int64(q, 3, to_ms);
    return scalar(s, q, out, "cannot total the points: %s");
}

int bl_store_ledger(bl_store_t *s, const char *subject, const char *period, cJSON **out)
{
    static const col cols[] = {
        {"points", COL_INT}, {"reason", COL_TEXT}, {"policy", COL_TEXT}, {"decision", COL_INT_OR_NULL},
        {"at", COL_TIME},    {NULL, 0},
    };
    sqlite3_stmt *q = stmt(s, Q_LEDGER);
    if (q == NULL)
        return BL_ERR;
    bind_text(q, 1, subject);
    bind_text(q, 2, period);
    cJSON *entries = NULL;
    int rc = rows(s, q, cols, &entries, "cannot read the ledger: %s");
    int64_t total = 0;
    cJSON *e;
    cJSON_ArrayForEach(e, entries) total += (int64_t)bl_json_num(e, "points", 0);
    cJSON *o = cJSON_CreateObject();
    bl_json_add_str(o, "subject", subject);
    bl_json_add_str(o, "period", period);
    bl_json_add_num(o, "total", (double)total);
    bl_json_add(o, "entries", entries);
    *out = o;
    return rc;
}

int bl_store_add_event(bl_store_t *s, const char *kind, const char *type, const char *id, cJSON *payload,
                       const char *policy, int64_t decision_id, int64_t at_ms, int64_t *seq)
{
    sqlite3_stmt *q = stmt(s, Q_EVENT_ADD);
    if (q == NULL)
        return BL_ERR;
    char *p = payload ? dump(payload) : bl_strdupf("{}");
    bind_text(q, 1, kind);
    bind_text(q, 2, type);
    bind_text(q, 3, id);
    bind_text(q, 4, p);
    bind_text(q, 5, policy);
    bind_decision(q, 6, decision_id);
    sqlite3_bind_int64(q, 7, at_ms);
    int rc = step_write(s, q);
    free(p);
    if (rc == BL_OK)
        *seq = sqlite3_last_insert_rowid(s->db);
    return rc;
}

int bl_store_events(bl_store_t *s, int64_t after, int limit, cJSON **out)
{
    static const col cols[] = {
        {"seq", COL_INT},        {"kind", COL_TEXT},   {"type", COL_TEXT}, {"id", COL_TEXT}, {"payload", COL_JSON},
        {"policy", COL_TEXT},    {"decision", COL_INT_OR_NULL}, {"at", COL_TIME}, {NULL, 0},
    };
    sqlite3_stmt *q = stmt(s, Q_EVENTS);
    if (q == NULL)
        return BL_ERR;
    sqlite3_bind_int64(q, 1, after);
    sqlite3_bind_int(q, 2, limit);
    return rows(s, q, cols, out, "cannot read the events: %s");
}

/* Policy versions -------------------------------------------------------------------------------- */

int bl_store_add_policy_version(bl_store_t *s, const char *name, const char *version, const char *file,
                                const char *source, int64_t at_ms)
{
    sqlite3_stmt *q = stmt(s, Q_POLICY_ADD);
    if (q == NULL)
        return BL_ERR;
    bind_text(q, 1, name);
    bind_text(q, 2, version);
    bind_text(q, 3, file);
    bind_text(q, 4, source);
    sqlite3_bind_int64(q, 5, at_ms);
    return step_write(s, q);
}

int bl_store_policy_versions(bl_store_t *s, const char *name, cJSON **out)
{
    static const col cols[] = {{"version", COL_TEXT}, {"file", COL_TEXT}, {"first_active", COL_TIME}, {NULL, 0}};
    sqlite3_stmt *q = stmt(s, Q_POLICY_VERSIONS);
    if (q == NULL)
        return BL_ERR;
    bind_text(q, 1, name);
    return rows(s, q, cols, out, "cannot read the policy versions: %s");
}

int bl_store_policy_source(bl_store_t *s, const char *name, const char *version, char **source_out)
{
    *source_out = NULL;
    sqlite3_stmt *q = stmt(s, Q_POLICY_SOURCE);
    if (q == NULL)
        return BL_ERR;
    bind_text(q, 1, name);
    bind_text(q, 2, version);
    int rc = sqlite3_step(q);
    if (rc == SQLITE_ROW)
        *source_out = bl_strdupf("%s", (const char *)sqlite3_column_text(q, 0));
    sqlite3_reset(q);
    if (rc == SQLITE_ROW)
        return BL_OK;
    return rc == SQLITE_DONE ? BL_NOTFOUND : seterr(s, "cannot read a policy version: %s", sqlite3_errmsg(s->db));
}

/* Timers -------------------------------------------------------------------------------------------- */

int bl_store_timer_set(bl_store_t *s, const char *type, const char *id, const char *name, const char *policy,
                       int64_t due_ms, cJSON *payload, int64_t now_ms)
{
    if (bl_store_timer_cancel(s, type, id, name, now_ms, "replaced") != BL_OK)
        return BL_ERR;
    sqlite3_stmt *q = stmt(s, Q_TIMER_ADD);
    if (q == NULL)
        return BL_ERR;
    char *p = payload ? dump(payload) : bl_strdupf("{}");
    bind_text(q, 1, type);
    bind_text(q, 2, id);
    bind_text(q, 3, name);
    bind_text(q, 4, policy);
    sqlite3_bind_int64(q, 5, due_ms);
    bind_text(q, 6, p);
    sqlite3_bind_int64(q, 7, now_ms);
    int rc = step_write(s, q);
    free(p);
    return rc;
}

int bl_store_timer_cancel(bl_store_t *s, const char *type, const char *id, const char *name, int64_t now_ms,
                          const char *state)
{
    sqlite3_stmt *q = stmt(s, Q_TIMER_CANCEL);
    if (q == NULL)
        return BL_ERR;
    bind_text(q, 1, type);
    bind_text(q, 2, id);
    bind_text(q, 3, name);
    sqlite3_bind_int64(q, 4, now_ms);
    bind_text(q, 5, state);
    return step_write(s, q);
}

int bl_store_timer_next(bl_store_t *s, int64_t *due_ms)
{
    sqlite3_stmt *q = stmt(s, Q_TIMER_NEXT);
    if (q == NULL)
        return BL_ERR;
    int rc = sqlite3_step(q);
    *due_ms = rc == SQLITE_ROW && sqlite3_column_type(q, 0) != SQLITE_NULL ? sqlite3_column_int64(q, 0) : -1;
    sqlite3_reset(q);
    return rc == SQLITE_ROW ? BL_OK : seterr(s, "cannot read the timers: %s", sqlite3_errmsg(s->db));
}

/* A pending timer; "due_ms" for the engine, "due" for people. */
static const col timer_cols[] = {
    {"timer", COL_INT}, {"type", COL_TEXT},   {"id", COL_TEXT},      {"name", COL_TEXT}, {"policy", COL_TEXT},
    {"due_ms", COL_INT}, {"payload", COL_JSON}, {"due", COL_TIME},    {NULL, 0},
};

int bl_store_timer_due(bl_store_t *s, int64_t now_ms, int limit, cJSON **out)
{
    sqlite3_stmt *q = stmt(s, Q_TIMER_DUE);
    if (q == NULL)
        return BL_ERR;
    sqlite3_bind_int64(q, 1, now_ms);
    sqlite3_bind_int(q, 2, limit);
    return rows(s, q, timer_cols, out, "cannot read the due timers: %s");
}

int bl_store_timer_done(bl_store_t *s, int64_t timer_id, const char *state, int64_t now_ms, const char *note)
{
    sqlite3_stmt *q = stmt(s, Q_TIMER_DONE);
    if (q == NULL)
        return BL_ERR;
    sqlite3_bind_int64(q, 1, timer_id);
    bind_text(q, 2, state);
    sqlite3_bind_int64(q, 3, now_ms);
    bind_text(q, 4, note);
    int rc = step_write(s, q);
    if (rc == BL_OK && sqlite3_changes(s->db) != 1)
        return seterr(s, "%s", "the timer was already done (claimed twice?)");
    return rc;
}

int bl_store_timers(bl_store_t *s, const char *type, const char *id, int64_t due_before, int limit, cJSON **out)
{
    bl_buf sql_text = {0};
    bl_buf_adds(&sql_text, "SELECT id, type, record_id, name, policy, due_ms, payload, due_ms FROM timers"
                           " WHERE state = 'pending'");
    if (type)
        bl_buf_adds(&sql_text, " AND type = ?1");
    if (id)
        bl_buf_adds(&sql_text, " AND record_id = ?2");
    if (due_before >= 0)
        bl_buf_adds(&sql_text, " AND due_ms < ?3");
    bl_buf_adds(&sql_text, " ORDER BY due_ms, id LIMIT ?4");
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(s->db, sql_text.data, -1, &q, NULL) != SQLITE_OK) {
        bl_buf_free(&sql_text);
        return seterr(s, "cannot list the timers: %s", sqlite3_errmsg(s->db));
    }
    bl_buf_free(&sql_text);
    if (type)
        bind_text(q, 1, type);
    if (id)
        bind_text(q, 2, id);
    if (due_before >= 0)
        sqlite3_bind_int64(q, 3, due_before);
    sqlite3_bind_int(q, 4, limit);
    int rc = rows(s, q, timer_cols, out, "cannot list the timers: %s");
    sqlite3_finalize(q);
    return rc;
}
