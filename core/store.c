/* store.c — the SQLite record store: schema and its migrations, records with their history,
 * decisions, the points ledger, events, policy versions and timers; nested transactions for group commit. */
#include "store.h"

#include <sqlite3.h>
#include <stdarg.h>
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
    /* 3: one firing per (record, name, due); provisional deadlines (a calendar past its holiday
     * schedule) keep how they were computed, to be computed again when the schedule is added */
    "CREATE INDEX timers_key ON timers(type, record_id, name, due_ms);"
    "ALTER TABLE timers ADD COLUMN provisional INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE timers ADD COLUMN spec TEXT;",
};
#define SCHEMA_VERSION ((int)(sizeof migrations / sizeof migrations[0]))

enum {
    Q_BEGIN, Q_BEGIN_DEFERRED, Q_COMMIT, Q_ROLLBACK, Q_SAVEPOINT, Q_RELEASE, Q_ROLLBACK_TO,
    Q_GET, Q_PUT_NEW, Q_PUT_UPDATE, Q_HISTORY_ADD, Q_HISTORY, Q_DECISION_ADD, Q_DECISIONS, Q_POINTS_ADD,
    Q_POINTS_TOTAL, Q_POINTS_WINDOW, Q_LEDGER, Q_EVENT_ADD, Q_EVENTS, Q_POLICY_ADD, Q_POLICY_VERSIONS,
    Q_POLICY_SOURCE, Q_TIMER_CANCEL, Q_TIMER_FIND, Q_TIMER_ADD, Q_TIMER_NEXT, Q_TIMER_DUE, Q_TIMER_DONE, Q_TIMER_COUNT, Q_COUNT
};

static const char *const sql[Q_COUNT] = {
    /* Savepoints share one name: RELEASE and ROLLBACK TO act on the innermost of that name. */
    [Q_BEGIN] = "BEGIN IMMEDIATE",
    [Q_BEGIN_DEFERRED] = "BEGIN DEFERRED",
    [Q_COMMIT] = "COMMIT",
    [Q_ROLLBACK] = "ROLLBACK",
    [Q_SAVEPOINT] = "SAVEPOINT sp",
    [Q_RELEASE] = "RELEASE sp",
    [Q_ROLLBACK_TO] = "ROLLBACK TO sp",
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
    [Q_TIMER_FIND] = "SELECT state, coalesce(done_ms, created_ms) FROM timers WHERE type = ?1 AND record_id = ?2"
                     " AND name = ?3 AND due_ms = ?4 AND state <> 'replaced' ORDER BY id DESC LIMIT 1",
    [Q_TIMER_ADD] = "INSERT INTO timers(type, record_id, name, policy, due_ms, payload, created_ms, provisional, spec)"
                    " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    [Q_TIMER_NEXT] = "SELECT min(due_ms) FROM timers WHERE state = 'pending'",
    [Q_TIMER_DUE] = "SELECT id, type, record_id, name, policy, due_ms, payload, due_ms FROM timers"
                    " WHERE state = 'pending' AND due_ms <= ?1 AND (due_ms > ?3 OR (due_ms = ?3 AND id > ?4))"
                    " ORDER BY due_ms, id LIMIT ?2",
    [Q_TIMER_DONE] = "UPDATE timers SET state = ?2, done_ms = ?3, note = ?4 WHERE id = ?1 AND state = 'pending'",
    [Q_TIMER_COUNT] = "SELECT count(*) FROM timers WHERE state = 'pending' AND due_ms < ?1",
};

/* Queries built at run time (record filters, timer listings) are cached by their text too: their text
 * depends only on the shape of the filter, so a policy calling records.find in a loop prepares once. */
#define DYN_SLOTS 16
typedef struct dyn_slot {
    char *text;
    sqlite3_stmt *st;
    uint64_t used; /* 0: empty */
} dyn_slot;

struct bl_store {
    sqlite3 *db;
    sqlite3_stmt *st[Q_COUNT];
    dyn_slot dyn[DYN_SLOTS];
    uint64_t tick;
    bl_buf json;  /* scratch for the JSON text of a write */
    char *path;
    int memory;   /* ":memory:": no WAL, nothing to checkpoint */
    char err[512];
    int depth;    /* open transactions (the first is BEGIN, the others savepoints) */
    int fail_nth; /* fault injection: the nth write from now fails */
};

/* Errors ----------------------------------------------------------------------------------------- */

static int fail(bl_store_t *s, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(bl_store_t *s, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->err, sizeof s->err, fmt, ap);
    va_end(ap);
    return code;
}

/* "<what>: <SQLite's message>" */
static int db_fail(bl_store_t *s, const char *what) { return fail(s, BL_ERR, "%s: %s", what, sqlite3_errmsg(s->db)); }

const char *bl_store_errmsg(bl_store_t *s) { return s->err; }

/* Statements ------------------------------------------------------------------------------------- */

static sqlite3_stmt *stmt(bl_store_t *s, int q)
{
    if (s->st[q] == NULL &&
        sqlite3_prepare_v3(s->db, sql[q], -1, SQLITE_PREPARE_PERSISTENT, &s->st[q], NULL) != SQLITE_OK) {
        fail(s, BL_ERR, "cannot prepare a query of %s: %s", s->path, sqlite3_errmsg(s->db));
        return NULL;
    }
    return s->st[q];
}

/* The cached statement of a query built at run time; the least recently used one makes room. */
static sqlite3_stmt *dyn_stmt(bl_store_t *s, const char *text)
{
    dyn_slot *victim = &s->dyn[0];
    for (int i = 0; i < DYN_SLOTS; i++) {
        dyn_slot *d = &s->dyn[i];
        if (d->text && strcmp(d->text, text) == 0) {
            d->used = ++s->tick;
            return d->st;
        }
        if (d->used < victim->used)
            victim = d;
    }
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v3(s->db, text, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
        fail(s, BL_ERR, "cannot prepare a query of %s: %s", s->path, sqlite3_errmsg(s->db));
        return NULL;
    }
    sqlite3_finalize(victim->st);
    free(victim->text);
    victim->text = bl_strdupf("%s", text);
    victim->st = st;
    victim->used = ++s->tick;
    return st;
}

/* Ready for the next use. Parameters are bound SQLITE_STATIC (they outlive the step, not the call),
 * so they are cleared here rather than left pointing at freed memory. */
static void done(sqlite3_stmt *q)
{
    sqlite3_reset(q);
    sqlite3_clear_bindings(q);
}

static void bind_text(sqlite3_stmt *q, int i, const char *v)
{
    if (v)
        sqlite3_bind_text(q, i, v, -1, SQLITE_STATIC);
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

/* Binds the compact JSON text of v (dflt when v is NULL) through the store's scratch buffer, at the
 * offset *at of it; the caller binds every JSON parameter first, then fix_json() points them home. */
static size_t json_text(bl_store_t *s, const cJSON *v, const char *dflt)
{
    size_t at = s->json.len;
    if (v)
        bl_json_print(v, &s->json);
    else
        bl_buf_adds(&s->json, dflt);
    bl_buf_add(&s->json, "", 1); /* keep the NUL inside: the next text starts after it */
    return at;
}

/* Runs a write statement to completion; applies fault injection. On failure the message is
 * "<what>: <cause>", what formatted from fmt only then. */
static int step_write(bl_store_t *s, sqlite3_stmt *q, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int step_write(bl_store_t *s, sqlite3_stmt *q, const char *fmt, ...)
{
    const char *cause = "injected fault";
    int rc = SQLITE_DONE;
    if (s->fail_nth > 0 && --s->fail_nth == 0)
        rc = SQLITE_ERROR;
    else if ((rc = sqlite3_step(q)) != SQLITE_DONE)
        cause = sqlite3_errmsg(s->db);
    if (rc != SQLITE_DONE) {
        char what[256];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(what, sizeof what, fmt, ap);
        va_end(ap);
        fail(s, BL_ERR, "%s: %s", what, cause);
    }
    done(q);
    return rc == SQLITE_DONE ? BL_OK : BL_ERR;
}

/* Runs a statement without parameters or rows (transaction control). */
static int step_plain(bl_store_t *s, int which, const char *what)
{
    sqlite3_stmt *q = stmt(s, which);
    if (q == NULL)
        return BL_ERR;
    int rc = sqlite3_step(q) == SQLITE_DONE ? BL_OK : fail(s, BL_ERR, "cannot %s on %s: %s", what, s->path,
                                                             sqlite3_errmsg(s->db));
    sqlite3_reset(q);
    return rc;
}

/* Rows as JSON ----------------------------------------------------------------------------------- */

static cJSON *parse_col(sqlite3_stmt *q, int col)
{
    const char *t = (const char *)sqlite3_column_text(q, col);
    char err[100];
    cJSON *j = t ? bl_json_parse(t, (size_t)sqlite3_column_bytes(q, col), err, sizeof err) : NULL;
    return j ? j : cJSON_CreateNull();
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
        char t[32];
        switch (cols[i].kind) {
        case COL_INT: bl_json_add_num(o, cols[i].key, (double)sqlite3_column_int64(q, i)); break;
        case COL_TEXT: bl_json_add_str(o, cols[i].key, (const char *)sqlite3_column_text(q, i)); break;
        case COL_JSON: bl_json_add(o, cols[i].key, parse_col(q, i)); break;
        case COL_TIME: bl_json_add_str(o, cols[i].key, bl_time_format(sqlite3_column_int64(q, i), t)); break;
        case COL_INT_OR_NULL:
            bl_json_add(o, cols[i].key, sqlite3_column_type(q, i) == SQLITE_NULL
                                            ? cJSON_CreateNull()
                                            : cJSON_CreateNumber((double)sqlite3_column_int64(q, i)));
            break;
        }
    }
    return o;
}

/* Steps q to the end, one object per row (cols) or the parsed first column (cols NULL) into a new array
 * *out (NULL on failure); readies q for its next use. */
static int rows(bl_store_t *s, sqlite3_stmt *q, const col *cols, cJSON **out, const char *what)
{
    cJSON *a = cJSON_CreateArray();
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW)
        cJSON_AddItemToArray(a, cols ? row_object(q, cols) : parse_col(q, 0));
    if (rc != SQLITE_DONE) {
        db_fail(s, what);
        cJSON_Delete(a);
        a = NULL;
    }
    done(q);
    *out = a;
    return a ? BL_OK : BL_ERR;
}

/* The first column of the one row of q as an integer (0 when NULL). */
static int scalar(bl_store_t *s, sqlite3_stmt *q, int64_t *out, const char *what)
{
    int rc = sqlite3_step(q);
    *out = rc == SQLITE_ROW ? sqlite3_column_int64(q, 0) : 0;
    if (rc != SQLITE_ROW)
        db_fail(s, what);
    done(q);
    return rc == SQLITE_ROW ? BL_OK : BL_ERR;
}

/* Opening ---------------------------------------------------------------------------------------- */

static int exec(bl_store_t *s, const char *q)
{
    return sqlite3_exec(s->db, q, NULL, NULL, NULL) == SQLITE_OK ? BL_OK : fail(s, BL_ERR, "%s", sqlite3_errmsg(s->db));
}

static int user_version(bl_store_t *s, int *v)
{
    sqlite3_stmt *q = NULL;
    int rc = sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &q, NULL);
    if (rc == SQLITE_OK && (rc = sqlite3_step(q)) == SQLITE_ROW)
        *v = sqlite3_column_int(q, 0);
    if (rc != SQLITE_ROW)
        fail(s, BL_ERR, "cannot read the schema version: %s", sqlite3_errmsg(s->db));
    sqlite3_finalize(q);
    return rc == SQLITE_ROW ? BL_OK : BL_ERR;
}

static int too_new(bl_store_t *s, int have)
{
    return fail(s, BL_ERR, "its schema is version %d, newer than this bylaw knows (%d): use a newer bylaw", have,
                SCHEMA_VERSION);
}

/* Brings the schema to SCHEMA_VERSION in one transaction: all steps or none. The version is read again
 * inside it, in case another process migrated in between. */
static int migrate(bl_store_t *s)
{
    int have = 0;
    if (user_version(s, &have) != BL_OK)
        return BL_ERR;
    if (have == SCHEMA_VERSION)
        return BL_OK;
    if (have > SCHEMA_VERSION)
        return too_new(s, have);
    if (exec(s, "BEGIN IMMEDIATE") != BL_OK)
        return fail(s, BL_ERR, "cannot start the schema migration: %.400s", s->err);
    int rc = user_version(s, &have);
    if (rc == BL_OK && have > SCHEMA_VERSION)
        rc = too_new(s, have);
    for (int v = have; rc == BL_OK && v < SCHEMA_VERSION; v++)
        if (exec(s, migrations[v]) != BL_OK)
            rc = fail(s, BL_ERR, "cannot migrate the schema to version %d: %.400s", v + 1, s->err);
    if (rc == BL_OK) {
        char pragma[48];
        snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d", SCHEMA_VERSION);
        if (exec(s, pragma) != BL_OK || exec(s, "COMMIT") != BL_OK)
            rc = fail(s, BL_ERR, "cannot finish the schema migration: %.400s", s->err);
    }
    if (rc != BL_OK)
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

int bl_store_open(const char *path, bl_store_t **out, char **err)
{
    *out = NULL;
    bl_store_t *s = bl_xmalloc(sizeof *s);
    memset(s, 0, sizeof *s);
    s->path = bl_strdupf("%s", path ? path : "");
    s->memory = strcmp(s->path, ":memory:") == 0 || s->path[0] == '\0';
    int rc = BL_ERR;
    if (sqlite3_open_v2(s->path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) !=
        SQLITE_OK) {
        fail(s, BL_ERR, "%s", s->db ? sqlite3_errmsg(s->db) : "out of memory");
    } else {
        sqlite3_busy_timeout(s->db, 5000);
        if ((s->memory || exec(s, "PRAGMA journal_mode = WAL") == BL_OK) && /* no WAL in memory */
            exec(s, "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA cache_size = -32768") == BL_OK)
            rc = migrate(s);
    }
    if (rc != BL_OK) {
        if (err)
            *err = bl_strdupf("cannot open database '%s': %s", s->path, s->err);
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
    if (s->db) {
        while (s->depth > 0)
            bl_store_rollback(s);
        for (int i = 0; i < Q_COUNT; i++)
            sqlite3_finalize(s->st[i]);
        for (int i = 0; i < DYN_SLOTS; i++) {
            sqlite3_finalize(s->dyn[i].st);
            free(s->dyn[i].text);
        }
        if (!s->memory)
            sqlite3_exec(s->db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
    }
    sqlite3_close(s->db);
    bl_buf_free(&s->json);
    free(s->path);
    free(s);
}

int bl_store_set_durable(bl_store_t *s, int full)
{
    if (exec(s, full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL") != BL_OK)
        return fail(s, BL_ERR, "cannot set synchronous on %s: %.400s", s->path, s->err);
    return BL_OK;
}

int bl_store_autocheckpoint(bl_store_t *s, int pages)
{
    return sqlite3_wal_autocheckpoint(s->db, pages) == SQLITE_OK ? BL_OK
                                                                   : db_fail(s, "cannot set the WAL autocheckpoint");
}

int bl_store_checkpoint(const char *path, char **err)
{
    sqlite3 *db = NULL;
    int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_busy_timeout(db, 1000);
        rc = sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
    }
    if (rc != SQLITE_OK && err)
        *err = bl_strdupf("cannot checkpoint the WAL of '%s': %s", path, db ? sqlite3_errmsg(db) : "out of memory");
    sqlite3_close(db);
    return rc == SQLITE_OK ? BL_OK : BL_ERR;
}

/* Transactions ----------------------------------------------------------------------------------- */

int bl_store_depth(bl_store_t *s) { return s->depth; }

static int begin(bl_store_t *s, int outer)
{
    if (step_plain(s, s->depth == 0 ? outer : Q_SAVEPOINT, "begin a transaction") != BL_OK)
        return BL_ERR;
    s->depth++;
    return BL_OK;
}

int bl_store_begin(bl_store_t *s) { return begin(s, Q_BEGIN); }
int bl_store_begin_deferred(bl_store_t *s) { return begin(s, Q_BEGIN_DEFERRED); }

int bl_store_commit(bl_store_t *s)
{
    if (s->depth == 0)
        return fail(s, BL_ERR, "cannot commit on %s: no transaction is open", s->path);
    if (step_plain(s, s->depth == 1 ? Q_COMMIT : Q_RELEASE, "commit") != BL_OK)
        return BL_ERR; /* still open: the caller rolls back */
    s->depth--;
    return BL_OK;
}

void bl_store_rollback(bl_store_t *s)
{
    if (s->depth == 0)
        return;
    char keep[sizeof s->err];
    memcpy(keep, s->err, sizeof keep); /* the error that caused the rollback is the one to report */
    if (s->depth == 1)
        step_plain(s, Q_ROLLBACK, "roll back");
    else if (step_plain(s, Q_ROLLBACK_TO, "roll back") == BL_OK)
        step_plain(s, Q_RELEASE, "roll back");
    memcpy(s->err, keep, sizeof keep);
    s->depth--;
    if (s->depth > 0 && sqlite3_get_autocommit(s->db))
        s->depth = 0; /* SQLite rolled the whole transaction back itself (e.g. disk full): nothing is open */
}

void bl_store_fail_after(bl_store_t *s, int nth) { s->fail_nth = nth > 0 ? nth : 0; }

/* Opens a transaction for a function of several writes called outside one; *own says to close it. */
static int own_begin(bl_store_t *s, int *own)
{
    *own = s->depth == 0;
    return *own ? bl_store_begin(s) : BL_OK;
}

static int own_end(bl_store_t *s, int own, int rc)
{
    if (!own)
        return rc;
    if (rc == BL_OK && (rc = bl_store_commit(s)) == BL_OK)
        return BL_OK;
    bl_store_rollback(s);
    return rc;
}

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
    } else if (rc != SQLITE_DONE) {
        fail(s, BL_ERR, "cannot read record %s/%s: %s", type, id, sqlite3_errmsg(s->db));
    }
    done(q);
    return rc == SQLITE_ROW ? BL_OK : rc == SQLITE_DONE ? BL_NOTFOUND : BL_ERR;
}

static int put_in_txn(bl_store_t *s, const char *type, const char *id, cJSON *fields, int64_t expect_version,
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
    else if (rc != SQLITE_DONE)
        fail(s, BL_ERR, "cannot read record %s/%s: %s", type, id, sqlite3_errmsg(s->db));
    done(q);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return BL_ERR;
    if (expect_version >= 0 && expect_version != current) {
        if (current == 0)
            return fail(s, BL_CONFLICT, "record %s/%s does not exist, so it is not at version %lld", type, id,
                        (long long)expect_version);
        if (expect_version == 0)
            return fail(s, BL_CONFLICT, "record %s/%s exists already (version %lld)", type, id, (long long)current);
        return fail(s, BL_CONFLICT, "record %s/%s is at version %lld, not %lld", type, id, (long long)current,
                    (long long)expect_version);
    }
    s->json.len = 0;
    json_text(s, fields, "{}");
    const char *body = s->json.data;
    int n = (int)s->json.len - 1;
    if ((q = stmt(s, current == 0 ? Q_PUT_NEW : Q_PUT_UPDATE)) == NULL)
        return BL_ERR;
    bind_text(q, 1, type);
    bind_text(q, 2, id);
    if (current == 0) {
        sqlite3_bind_int64(q, 3, now_ms);
        sqlite3_bind_text(q, 4, body, n, SQLITE_STATIC);
    } else {
        sqlite3_bind_int64(q, 3, current + 1);
        sqlite3_bind_int64(q, 4, now_ms);
        sqlite3_bind_text(q, 5, body, n, SQLITE_STATIC);
    }
    if (step_write(s, q, "cannot store record %s/%s", type, id) != BL_OK)
        return BL_ERR;
    if ((q = stmt(s, Q_HISTORY_ADD)) == NULL)
        return BL_ERR;
    bind_text(q, 1, type);
    bind_text(q, 2, id);
    sqlite3_bind_int64(q, 3, current + 1);
    sqlite3_bind_int64(q, 4, now_ms);
    sqlite3_bind_text(q, 5, body, n, SQLITE_STATIC);
    if (step_write(s, q, "cannot keep version %lld of record %s/%s", (long long)(current + 1), type, id) != BL_OK)
        return BL_ERR;
    *new_version = current + 1;
    return BL_OK;
}

int bl_store_put(bl_store_t *s, const char *type, const char *id, cJSON *fields, int64_t expect_version,
                 int64_t now_ms, int64_t *new_version)
{
    if (type == NULL || id == NULL || !cJSON_IsObject(fields))
        return fail(s, BL_INVALID, "cannot store record %s/%s: %s", type ? type : "?", id ? id : "?",
                    type && id ? "its fields must be a JSON object" : "it needs a type and an id");
    int own, rc = own_begin(s, &own);
    if (rc == BL_OK)
        rc = put_in_txn(s, type, id, fields, expect_version, now_ms, new_version);
    return own_end(s, own, rc);
}

/* Filters: field names go into a JSON path '$."name"', bound as a parameter (never spliced into the SQL);
 * the SQL text depends only on the kinds of the values, so statements are reused. A filter value matches
 * the same JSON value only: "1" does not match 1, true does not match 1; null matches null or absent. */
static int check_field(bl_store_t *s, const char *name)
{
    if (name == NULL || name[0] == '\0' || strpbrk(name, "\"\\"))
        return fail(s, BL_INVALID, "'%s' is not a usable field name (it may not be empty or contain '\"' or '\\')",
                    name ? name : "");
    return BL_OK;
}

/* Appends the conditions of filter, whose parameters start at ?first; returns BL_OK or BL_INVALID. */
static int filter_sql(bl_store_t *s, const cJSON *filter, int first, bl_buf *q)
{
    if (filter == NULL || cJSON_IsNull(filter))
        return BL_OK;
    if (!cJSON_IsObject(filter))
        return fail(s, BL_INVALID, "a filter must be a JSON object of field: value");
    int p = first;
    const cJSON *f;
    cJSON_ArrayForEach(f, filter)
    {
        if (check_field(s, f->string) != BL_OK)
            return BL_INVALID;
        if (cJSON_IsObject(f) || cJSON_IsArray(f))
            return fail(s, BL_INVALID, "the filter on field '%s' must be a single value, not an object or array",
                        f->string);
        if (cJSON_IsNull(f))
            bl_buf_printf(q, " AND json_extract(body, ?%d) IS NULL", p);
        else if (cJSON_IsTrue(f))
            bl_buf_printf(q, " AND json_type(body, ?%d) = 'true'", p);
        else if (cJSON_IsFalse(f))
            bl_buf_printf(q, " AND json_type(body, ?%d) = 'false'", p);
        else if (cJSON_IsNumber(f))
            bl_buf_printf(q, " AND json_type(body, ?%d) IN ('integer', 'real') AND json_extract(body, ?%d) = ?%d", p, p,
                          p + 1);
        else
            bl_buf_printf(q, " AND json_extract(body, ?%d) = ?%d", p, p + 1);
        p += 2;
    }
    return BL_OK;
}

static void bind_path(sqlite3_stmt *q, int i, const char *field)
{
    char *path = bl_strdupf("$.\"%s\"", field);
    sqlite3_bind_text(q, i, path, -1, free);
}

static void filter_bind(sqlite3_stmt *q, const cJSON *filter, int p)
{
    if (!cJSON_IsObject(filter))
        return;
    const cJSON *f;
    cJSON_ArrayForEach(f, filter)
    {
        bind_path(q, p, f->string);
        if (cJSON_IsString(f)) {
            sqlite3_bind_text(q, p + 1, f->valuestring, -1, SQLITE_STATIC);
        } else if (cJSON_IsNumber(f)) {
            double d = f->valuedouble; /* integral values as integers: JSON 5 is an SQL integer */
            if (d >= -9223372036854775808.0 && d < 9223372036854775808.0 && d == (double)(int64_t)d)
                sqlite3_bind_int64(q, p + 1, (int64_t)d);
            else
                sqlite3_bind_double(q, p + 1, d);
        }
        p += 2;
    }
}

/* "SELECT <what> FROM records WHERE type = ?1 <filter>" into text; the filter's parameters from ?first on.
 * *next is the first parameter after them. */
static int filter_query(bl_store_t *s, const char *what, const char *type, const cJSON *filter, int first,
                        bl_buf *text, int *next)
{
    if (type == NULL)
        return fail(s, BL_INVALID, "a record query needs a type");
    bl_buf_printf(text, "SELECT %s FROM records WHERE type = ?1", what);
    *next = first + 2 * (cJSON_IsObject(filter) ? cJSON_GetArraySize(filter) : 0);
    return filter_sql(s, filter, first, text);
}

/* The cached statement of text (freed here), with type and the filter bound; NULL and *rc on failure. */
static sqlite3_stmt *filter_prepare(bl_store_t *s, bl_buf *text, int rc_query, const char *type,
                                    const cJSON *filter, int first, int *rc)
{
    sqlite3_stmt *q = rc_query == BL_OK ? dyn_stmt(s, text->data) : NULL;
    bl_buf_free(text);
    *rc = q ? BL_OK : rc_query != BL_OK ? rc_query : BL_ERR;
    if (q) {
        bind_text(q, 1, type);
        filter_bind(q, filter, first);
    }
    return q;
}

int bl_store_find(bl_store_t *s, const char *type, cJSON *filter, const char *after, int limit, cJSON **out)
{
    *out = NULL;
    bl_buf text = {0};
    int next, rc = filter_query(s, "body", type, filter, 2, &text, &next);
    if (after)
        bl_buf_printf(&text, " AND id > ?%d", next);
    bl_buf_printf(&text, " ORDER BY id LIMIT ?%d", next + (after != NULL));
    sqlite3_stmt *q = filter_prepare(s, &text, rc, type, filter, 2, &rc);
    if (q == NULL)
        return rc;
    if (after)
        bind_text(q, next++, after);
    sqlite3_bind_int(q, next, limit);
    return rows(s, q, NULL, out, "cannot list the records");
}

int bl_store_count(bl_store_t *s, const char *type, cJSON *filter, int64_t *out)
{
    *out = 0;
    bl_buf text = {0};
    int next, rc = filter_query(s, "count(*)", type, filter, 2, &text, &next);
    sqlite3_stmt *q = filter_prepare(s, &text, rc, type, filter, 2, &rc);
    return q ? scalar(s, q, out, "cannot count the records") : rc;
}

int bl_store_sum(bl_store_t *s, const char *type, const char *field, cJSON *filter, double *out)
{
    *out = 0;
    if (check_field(s, field) != BL_OK)
        return BL_INVALID;
    /* total(): a float, 0.0 over no rows, never an integer overflow; strings and booleans do not count */
    bl_buf text = {0};
    int next, rc = filter_query(s, "total(CASE WHEN json_type(body, ?2) IN ('integer', 'real')"
                                   " THEN json_extract(body, ?2) END)",
                                type, filter, 3, &text, &next);
    sqlite3_stmt *q = filter_prepare(s, &text, rc, type, filter, 3, &rc);
    if (q == NULL)
        return rc;
    bind_path(q, 2, field);
    rc = sqlite3_step(q);
    if (rc == SQLITE_ROW)
        *out = sqlite3_column_double(q, 0);
    else
        db_fail(s, "cannot sum the records");
    done(q);
    return rc == SQLITE_ROW ? BL_OK : BL_ERR;
}

int bl_store_history(bl_store_t *s, const char *type, const char *id, cJSON **out)
{
    static const col cols[] = {{"version", COL_INT}, {"at", COL_TIME}, {"fields", COL_JSON}, {NULL, 0}};
    *out = NULL;
    sqlite3_stmt *q = stmt(s, Q_HISTORY);
    if (q == NULL)
        return BL_ERR;
    bind_text(q, 1, type);
    bind_text(q, 2, id);
    return rows(s, q, cols, out, "cannot read the history");
}

/* Decisions, ledger, events ---------------------------------------------------------------------- */

int bl_store_add_decision(bl_store_t *s, const bl_decision_row *d, int64_t *decision_id)
{
    sqlite3_stmt *q = stmt(s, Q_DECISION_ADD);
    if (q == NULL)
        return BL_ERR;
    s->json.len = 0;
    size_t reasons = json_text(s, d->reasons, "[]"), changes = json_text(s, d->changes, "{}");
    bind_text(q, 1, d->type);
    bind_text(q, 2, d->id);
    sqlite3_bind_int64(q, 3, d->record_version);
    bind_text(q, 4, d->policy);
    bind_text(q, 5, d->policy_version ? d->policy_version : "");
    bind_text(q, 6, d->verdict);
    bind_text(q, 7, d->explanation ? d->explanation : "");
    bind_text(q, 8, s->json.data + reasons);
    bind_text(q, 9, s->json.data + changes);
    bind_text(q, 10, d->trigger ? d->trigger : "write");
    sqlite3_bind_int64(q, 11, d->at_ms);
    if (step_write(s, q, "cannot record the decision of %s on %s/%s", d->policy ? d->policy : "?",
                   d->type ? d->type : "?", d->id ? d->id : "?") != BL_OK)
        return BL_ERR;
    if (decision_id)
        *decision_id = sqlite3_last_insert_rowid(s->db);
    return BL_OK;
}

int bl_store_decisions(bl_store_t *s, const char *type, const char *id, cJSON **out)
{
    static const col cols[] = {
        {"id", COL_INT},           {"policy", COL_TEXT},  {"version", COL_TEXT},  {"verdict", COL_TEXT},
        {"explanation", COL_TEXT}, {"reasons", COL_JSON}, {"changes", COL_JSON},  {"record_version", COL_INT},
        {"trigger", COL_TEXT},     {"at", COL_TIME},      {NULL, 0},
    };
    *out = NULL;
    sqlite3_stmt *q = stmt(s, Q_DECISIONS);
    if (q == NULL)
        return BL_ERR;
    bind_text(q, 1, type);
    bind_text(q, 2, id);
    return rows(s, q, cols, out, "cannot read the decisions");
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
    return step_write(s, q, "cannot add %lld points for %s in %s", (long long)points, subject ? subject : "?",
                      period ? period : "?");
}

int bl_store_points_total(bl_store_t *s, const char *subject, const char *period, int64_t *out)
{
    *out = 0;
    sqlite3_stmt *q = stmt(s, Q_POINTS_TOTAL);
    if (q == NULL)
        return BL_ERR;
    bind_text(q, 1, subject);
    bind_text(q, 2, period);
    return scalar(s, q, out, "cannot total the points");
}

int bl_store_points_window(bl_store_t *s, const char *subject, int64_t from_ms, int64_t to_ms, int64_t *out)
{
    *out = 0;
    sqlite3_stmt *q = stmt(s, Q_POINTS_WINDOW);
    if (q == NULL)
        return BL_ERR;
    bind_text(q, 1, subject);
    sqlite3_bind_int64(q, 2, from_ms);
    sqlite3_bind_int64(q, 3, to_ms);
    return scalar(s, q, out, "cannot total the points");
}

int bl_store_ledger(bl_store_t *s, const char *subject, const char *period, cJSON **out)
{
    static const col cols[] = {
        {"points", COL_INT}, {"reason", COL_TEXT}, {"policy", COL_TEXT}, {"decision", COL_INT_OR_NULL},
        {"at", COL_TIME},    {NULL, 0},
    };
    *out = NULL;
    sqlite3_stmt *q = stmt(s, Q_LEDGER);
    if (q == NULL)
        return BL_ERR;
    bind_text(q, 1, subject);
    bind_text(q, 2, period);
    cJSON *entries = NULL;
    if (rows(s, q, cols, &entries, "cannot read the ledger") != BL_OK)
        return BL_ERR;
    double total = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, entries) total += bl_json_num(e, "points", 0);
    cJSON *o = cJSON_CreateObject();
    bl_json_add_str(o, "subject", subject);
    bl_json_add_str(o, "period", period);
    bl_json_add_num(o, "total", total);
    bl_json_add(o, "entries", entries);
    *out = o;
    return BL_OK;
}

int bl_store_add_event(bl_store_t *s, const char *kind, const char *type, const char *id, cJSON *payload,
                       const char *policy, int64_t decision_id, int64_t at_ms, int64_t *seq)
{
    sqlite3_stmt *q = stmt(s, Q_EVENT_ADD);
    if (q == NULL)
        return BL_ERR;
    s->json.len = 0;
    size_t p = json_text(s, payload, "{}");
    bind_text(q, 1, kind);
    bind_text(q, 2, type);
    bind_text(q, 3, id);
    bind_text(q, 4, s->json.data + p);
    bind_text(q, 5, policy);
    bind_decision(q, 6, decision_id);
    sqlite3_bind_int64(q, 7, at_ms);
    if (step_write(s, q, "cannot record event '%s' of %s/%s", kind ? kind : "?", type ? type : "?",
                   id ? id : "?") != BL_OK)
        return BL_ERR;
    if (seq)
        *seq = sqlite3_last_insert_rowid(s->db);
    return BL_OK;
}

int bl_store_events(bl_store_t *s, int64_t after, int limit, cJSON **out)
{
    static const col cols[] = {
        {"seq", COL_INT},     {"kind", COL_TEXT},            {"type", COL_TEXT}, {"id", COL_TEXT}, {"payload", COL_JSON},
        {"policy", COL_TEXT}, {"decision", COL_INT_OR_NULL}, {"at", COL_TIME},   {NULL, 0},
    };
    *out = NULL;
    sqlite3_stmt *q = stmt(s, Q_EVENTS);
    if (q == NULL)
        return BL_ERR;
    sqlite3_bind_int64(q, 1, after);
    sqlite3_bind_int(q, 2, limit);
    return rows(s, q, cols, out, "cannot read the events");
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
    return step_write(s, q, "cannot record version %s of policy %s", version ? version : "?", name ? name : "?");
}

int bl_store_policy_versions(bl_store_t *s, const char *name, cJSON **out)
{
    static const col cols[] = {{"version", COL_TEXT}, {"file", COL_TEXT}, {"first_active", COL_TIME}, {NULL, 0}};
    *out = NULL;
    sqlite3_stmt *q = stmt(s, Q_POLICY_VERSIONS);
    if (q == NULL)
        return BL_ERR;
    bind_text(q, 1, name);
    return rows(s, q, cols, out, "cannot read the policy versions");
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
    if (rc == SQLITE_ROW) {
        const char *src = (const char *)sqlite3_column_text(q, 0);
        *source_out = bl_strdupf("%s", src ? src : "");
    } else if (rc == SQLITE_DONE) {
        fail(s, BL_NOTFOUND, "no version %s of policy %s is stored", version ? version : "?", name ? name : "?");
    } else {
        db_fail(s, "cannot read a policy version");
    }
    done(q);
    return rc == SQLITE_ROW ? BL_OK : rc == SQLITE_DONE ? BL_NOTFOUND : BL_ERR;
}

/* Timers ----------------------------------------------------------------------------------------- */

/* The latest row of (type, id, name) with this due that was not replaced: its state and when it got it. */
static int timer_find(bl_store_t *s, const bl_timer_spec *t, char *state, size_t n, int64_t *at_ms)
{
    sqlite3_stmt *q = stmt(s, Q_TIMER_FIND);
    if (q == NULL)
        return BL_ERR;
    bind_text(q, 1, t->type);
    bind_text(q, 2, t->id);
    bind_text(q, 3, t->name);
    sqlite3_bind_int64(q, 4, t->due_ms);
    int rc = sqlite3_step(q);
    state[0] = '\0';
    if (rc == SQLITE_ROW) {
        snprintf(state, n, "%s", (const char *)sqlite3_column_text(q, 0));
        *at_ms = sqlite3_column_int64(q, 1);
    } else if (rc != SQLITE_DONE) {
        db_fail(s, "cannot read the timers");
    }
    done(q);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? BL_OK : BL_ERR;
}

int bl_store_timer_set(bl_store_t *s, const bl_timer_spec *t, int64_t now_ms, bl_timer_outcome *outcome,
                       int64_t *at_ms)
{
    char state[16];
    int64_t at = now_ms;
    int own, rc = own_begin(s, &own);
    if (rc == BL_OK)
        rc = timer_find(s, t, state, sizeof state, &at);
    bl_timer_outcome o = BL_TIMER_ARMED;
    if (strcmp(state, "pending") == 0)
        o = BL_TIMER_KEPT;
    else if (strcmp(state, "done") == 0 || strcmp(state, "failed") == 0)
        o = BL_TIMER_FIRED;
    else if (strcmp(state, "cancelled") == 0)
        o = BL_TIMER_CANCELLED;
    /* a pending row with another due is out of date, whatever became of this one */
    if (rc == BL_OK && o != BL_TIMER_KEPT)
        rc = bl_store_timer_cancel(s, t->type, t->id, t->name, now_ms, "replaced");
    sqlite3_stmt *q = rc == BL_OK && o == BL_TIMER_ARMED ? stmt(s, Q_TIMER_ADD) : NULL;
    if (q) {
        s->json.len = 0;
        size_t p = json_text(s, t->payload, "{}");
        size_t sp = t->spec ? json_text(s, t->spec, "null") : 0;
        bind_text(q, 1, t->type);
        bind_text(q, 2, t->id);
        bind_text(q, 3, t->name);
        bind_text(q, 4, t->policy);
        sqlite3_bind_int64(q, 5, t->due_ms);
        bind_text(q, 6, s->json.data + p);
        sqlite3_bind_int64(q, 7, now_ms);
        sqlite3_bind_int(q, 8, t->provisional != 0);
        bind_text(q, 9, t->spec ? s->json.data + sp : NULL);
        rc = step_write(s, q, "cannot set timer '%s' of %s/%s", t->name ? t->name : "?", t->type ? t->type : "?",
                        t->id ? t->id : "?");
    } else if (rc == BL_OK && o == BL_TIMER_ARMED) {
        rc = BL_ERR;
    }
    if (outcome)
        *outcome = o;
    if (at_ms)
        *at_ms = o == BL_TIMER_ARMED ? now_ms : at;
    return own_end(s, own, rc);
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
    return step_write(s, q, "cannot cancel timer '%s' of %s/%s", name ? name : "?", type ? type : "?",
                      id ? id : "?");
}

int bl_store_timer_next(bl_store_t *s, int64_t *due_ms)
{
    *due_ms = -1;
    sqlite3_stmt *q = stmt(s, Q_TIMER_NEXT);
    if (q == NULL)
        return BL_ERR;
    int rc = sqlite3_step(q);
    if (rc == SQLITE_ROW && sqlite3_column_type(q, 0) != SQLITE_NULL)
        *due_ms = sqlite3_column_int64(q, 0);
    if (rc != SQLITE_ROW)
        db_fail(s, "cannot read the timers");
    done(q);
    return rc == SQLITE_ROW ? BL_OK : BL_ERR;
}

/* A pending timer; "due_ms" for the engine, "due" for people. */
static const col timer_cols[] = {
    {"timer", COL_INT},  {"type", COL_TEXT},    {"id", COL_TEXT}, {"name", COL_TEXT}, {"policy", COL_TEXT},
    {"due_ms", COL_INT}, {"payload", COL_JSON}, {"due", COL_TIME}, {NULL, 0},
};

int bl_store_timer_due(bl_store_t *s, int64_t now_ms, int limit, cJSON **out)
{
    return bl_store_timer_due_after(s, now_ms, INT64_MIN, 0, limit, out);
}

int bl_store_timer_due_after(bl_store_t *s, int64_t now_ms, int64_t after_due, int64_t after_id, int limit,
                             cJSON **out)
{
    *out = NULL;
    sqlite3_stmt *q = stmt(s, Q_TIMER_DUE);
    if (q == NULL)
        return BL_ERR;
    sqlite3_bind_int64(q, 1, now_ms);
    sqlite3_bind_int(q, 2, limit);
    sqlite3_bind_int64(q, 3, after_due);
    sqlite3_bind_int64(q, 4, after_id);
    return rows(s, q, timer_cols, out, "cannot read the due timers");
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
    int rc = step_write(s, q, "cannot mark timer %lld %s", (long long)timer_id, state ? state : "?");
    if (rc == BL_OK && sqlite3_changes(s->db) != 1)
        return fail(s, BL_ERR, "timer %lld was not pending (claimed twice?)", (long long)timer_id);
    return rc;
}

int bl_store_timers(bl_store_t *s, const char *type, const char *id, int64_t due_before, int limit, cJSON **out)
{
    *out = NULL;
    bl_buf text = {0};
    bl_buf_adds(&text, "SELECT id, type, record_id, name, policy, due_ms, payload, due_ms FROM timers"
                       " WHERE state = 'pending'");
    if (type)
        bl_buf_adds(&text, " AND type = ?1");
    if (id)
        bl_buf_adds(&text, " AND record_id = ?2");
    if (due_before >= 0)
        bl_buf_adds(&text, " AND due_ms < ?3");
    bl_buf_adds(&text, " ORDER BY due_ms, id LIMIT ?4");
    sqlite3_stmt *q = dyn_stmt(s, text.data);
    bl_buf_free(&text);
    if (q == NULL)
        return BL_ERR;
    if (type)
        bind_text(q, 1, type);
    if (id)
        bind_text(q, 2, id);
    if (due_before >= 0)
        sqlite3_bind_int64(q, 3, due_before);
    sqlite3_bind_int(q, 4, limit);
    return rows(s, q, timer_cols, out, "cannot list the timers");
}

int bl_store_timers_count(bl_store_t *s, int64_t due_before, int64_t *out)
{
    *out = 0;
    sqlite3_stmt *q = stmt(s, Q_TIMER_COUNT);
    if (q == NULL)
        return BL_ERR;
    sqlite3_bind_int64(q, 1, due_before < 0 ? INT64_MAX : due_before);
    return scalar(s, q, out, "cannot count the timers");
}
