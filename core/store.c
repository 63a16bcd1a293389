/* store.c — the SQLite record store: schema and its migrations, records with their history (deleted
 * softly), filters and queries, decisions, the points ledger, events, policy versions and timers; nested
 * transactions for group commit. */
#include "store.h"

#include <errno.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

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
    /* 4: every policy set activated, whole (files and their text): the service starts with the last one
     * when the policy directory holds an edit it refuses */
    "CREATE TABLE policy_sets(id INTEGER PRIMARY KEY, set_version TEXT NOT NULL, files TEXT NOT NULL,"
    " activated_ms INTEGER NOT NULL);",
    /* 5: erasures of people's records (个人信息保护法): who, when, why, how much — never what */
    "CREATE TABLE erasures(id INTEGER PRIMARY KEY, type TEXT NOT NULL, record_id TEXT NOT NULL, by TEXT,"
    " reason TEXT NOT NULL, at_ms INTEGER NOT NULL, counts TEXT NOT NULL);"
    "CREATE INDEX events_time ON events(at_ms);"
    "CREATE INDEX timers_done ON timers(done_ms) WHERE state <> 'pending';",
    /* 6: the API's queries: a record deleted softly keeps its row, history and decisions (deleted_ms);
     * records listed by creation or update time; decisions by time, by verdict (the work queue), and
     * the latest of each record and policy */
    "ALTER TABLE records ADD COLUMN deleted_ms INTEGER;"
    "CREATE INDEX records_created ON records(type, created_ms, id) WHERE deleted_ms IS NULL;"
    "CREATE INDEX records_updated ON records(type, updated_ms, id) WHERE deleted_ms IS NULL;"
    "CREATE INDEX decisions_at ON decisions(at_ms, id);"
    "CREATE INDEX decisions_verdict ON decisions(verdict, at_ms, id);"
    "CREATE INDEX decisions_latest ON decisions(type, record_id, policy, id);",
    /* 7: the policies' activation log: every activation, rollback and refused edit of a policy file, by
     * whom, why and when, each pointing at the entry that ran before it (rollbacks walk that chain);
     * sources of refused versions are kept too. Seeded from the versions recorded so far. Points by the
     * decision that gave them (bylaw replay). */
    "CREATE TABLE policy_log(id INTEGER PRIMARY KEY, name TEXT NOT NULL, version TEXT NOT NULL,"
    " at_ms INTEGER NOT NULL, by TEXT, why TEXT NOT NULL, message TEXT, refused INTEGER NOT NULL DEFAULT 0,"
    " prev INTEGER);"
    "CREATE INDEX policy_log_name ON policy_log(name, refused, id);"
    "INSERT INTO policy_log(name, version, at_ms, by, why, message)"
    " SELECT name, version, first_active_ms, NULL, 'start-up', 'active before the activation log was kept'"
    " FROM policy_versions ORDER BY first_active_ms, version;"
    "UPDATE policy_log SET prev = (SELECT max(p.id) FROM policy_log p WHERE p.name = policy_log.name"
    " AND p.id < policy_log.id);"
    "CREATE INDEX ledger_decision ON ledger(decision_id) WHERE decision_id IS NOT NULL;"
    /* decisions_latest (type, record_id, policy, id) answers what decisions_record did: one index less
     * to keep up at every write */
    "DROP INDEX decisions_record;",
    /* 8: a decision's reasons as messages (key and parameters) and in Chinese, when a policy gave messages
     * (scripts/_runtime.lua: I18N); explanation stays the English text */
    "ALTER TABLE decisions ADD COLUMN i18n TEXT;",
};
#define SCHEMA_VERSION ((int)(sizeof migrations / sizeof migrations[0]))

enum {
    Q_BEGIN, Q_BEGIN_DEFERRED, Q_COMMIT, Q_ROLLBACK, Q_SAVEPOINT, Q_RELEASE, Q_ROLLBACK_TO,
    Q_GET, Q_VERSION, Q_PUT_NEW, Q_PUT_UPDATE, Q_DELETE, Q_TIMERS_END, Q_HISTORY_ADD, Q_HISTORY, Q_DECISION_ADD, Q_DECISIONS, Q_POINTS_ADD,
    Q_POINTS_TOTAL, Q_POINTS_WINDOW, Q_LEDGER, Q_EVENT_ADD, Q_EVENTS, Q_POLICY_ADD, Q_POLICY_VERSIONS,
    Q_POLICY_SOURCE, Q_TIMER_CANCEL, Q_TIMER_FIND, Q_TIMER_ADD, Q_TIMER_NEXT, Q_TIMER_DUE, Q_TIMER_DONE, Q_TIMER_COUNT, Q_TIMER_PROVISIONAL, Q_TIMER_PROV_COUNT, Q_TIMER_RESPEC, Q_SET_ADD, Q_SET_LAST,
    Q_LOG_ADD, Q_LOG_LIST, Q_LOG_CURRENT, Q_LOG_ENTRY, Q_POLICY_FIRST, Q_COUNT
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
    [Q_GET] = "SELECT body, version, created_ms, updated_ms FROM records WHERE type = ?1 AND id = ?2"
              " AND deleted_ms IS NULL",
    [Q_VERSION] = "SELECT version, deleted_ms IS NOT NULL FROM records WHERE type = ?1 AND id = ?2",
    [Q_PUT_NEW] = "INSERT INTO records(type, id, version, created_ms, updated_ms, body) VALUES(?1, ?2, 1, ?3, ?3, ?4)",
    /* a record deleted softly comes back as new: created now */
    [Q_PUT_UPDATE] = "UPDATE records SET version = ?3, updated_ms = ?4, body = ?5,"
                     " created_ms = CASE WHEN deleted_ms IS NULL THEN created_ms ELSE ?4 END, deleted_ms = NULL"
                     " WHERE type = ?1 AND id = ?2",
    [Q_DELETE] = "UPDATE records SET deleted_ms = ?3 WHERE type = ?1 AND id = ?2 AND deleted_ms IS NULL",
    [Q_TIMERS_END] = "UPDATE timers SET state = ?4, done_ms = ?3 WHERE type = ?1 AND record_id = ?2"
                     " AND state = 'pending'",
    [Q_HISTORY_ADD] = "INSERT INTO record_history(type, id, version, at_ms, body) VALUES(?1, ?2, ?3, ?4, ?5)",
    [Q_HISTORY] = "SELECT version, at_ms, body FROM record_history WHERE type = ?1 AND id = ?2 ORDER BY version",
    [Q_DECISION_ADD] = "INSERT INTO decisions(type, record_id, record_version, policy, policy_version, verdict,"
                       " explanation, reasons, changes, trigger, at_ms, i18n)"
                       " VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12)",
    [Q_DECISIONS] = "SELECT id, policy, policy_version, verdict, explanation, reasons, changes, record_version,"
                    " trigger, at_ms, i18n FROM decisions WHERE type = ?1 AND record_id = ?2 ORDER BY id",
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
    [Q_TIMER_PROVISIONAL] = "SELECT id, type, record_id, name, policy, due_ms, payload, due_ms, spec FROM timers"
                            " WHERE state = 'pending' AND provisional = 1 AND id > ?1 ORDER BY id LIMIT ?2",
    [Q_TIMER_PROV_COUNT] = "SELECT count(*) FROM timers WHERE state = 'pending' AND provisional = 1",
    [Q_TIMER_RESPEC] = "UPDATE timers SET provisional = ?2, spec = ?3 WHERE id = ?1 AND state = 'pending'",
    [Q_SET_ADD] = "INSERT INTO policy_sets(set_version, files, activated_ms) VALUES(?1, ?2, ?3)",
    [Q_SET_LAST] = "SELECT set_version, files, activated_ms FROM policy_sets ORDER BY id DESC LIMIT 1",
    /* ?8 < 0: the entry before is the current one; 0: none; else that entry */
    [Q_LOG_ADD] = "INSERT INTO policy_log(name, version, at_ms, by, why, message, refused, prev)"
                  " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, CASE WHEN ?8 < 0 THEN (SELECT max(id) FROM policy_log"
                  " WHERE name = ?1 AND refused = 0) WHEN ?8 = 0 THEN NULL ELSE ?8 END)",
    [Q_LOG_LIST] = "SELECT id, version, at_ms, by, why, message, refused, prev FROM policy_log WHERE name = ?1"
                   " ORDER BY id DESC LIMIT ?2",
    [Q_LOG_CURRENT] = "SELECT id, version, at_ms, by, why, message, refused, prev FROM policy_log WHERE name = ?1"
                      " AND refused = 0 ORDER BY id DESC LIMIT 1",
    [Q_LOG_ENTRY] = "SELECT id, version, at_ms, by, why, message, refused, prev FROM policy_log WHERE id = ?1",
    [Q_POLICY_FIRST] = "SELECT version, file, first_active_ms, source FROM policy_versions WHERE name = ?1"
                       " AND version = ?2",
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
    int code; /* SQLite's extended result code when the last failure was SQLite's, else 0 */
    int depth;    /* open transactions (the first is BEGIN, the others savepoints) */
    int flat;     /* bl_store_set_savepoints(s, 0): nested ones are not savepoints */
    int bulk;     /* bl_store_bulk: records are mostly new */
    int wal_frames; /* frames in the WAL after the last commit (sqlite3_wal_hook) */
    int auto_ckpt;  /* checkpoint after a commit that leaves this many frames (0: never) */
    int fail_nth; /* fault injection: the nth write from now fails */
    int reader;   /* opened by bl_store_open_reader: read-only, no checkpoint at close */
    uint64_t deadline_ns; /* bl_store_deadline: statements stop past this (CLOCK_MONOTONIC); 0: none */
    int interrupted;      /* the last failure was the deadline */
    char **indexed;       /* "type:field" of each field index (bl_store_indexes), for INDEXED BY */
    int nindexed;
    /* bl_store_prune's place in its pass over the records (by key) and the decisions (by id) */
    char *prune_type, *prune_id;
    int64_t prune_decision;
};

static void load_indexed(bl_store_t *s); /* (Indexes on fields, below) */

/* Errors ----------------------------------------------------------------------------------------- */

static int fail(bl_store_t *s, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(bl_store_t *s, int code, const char *fmt, ...)
{
    char msg[sizeof s->err]; /* (the arguments may be s->err itself) */
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    memcpy(s->err, msg, sizeof msg);
    s->code = code == BL_ERR && s->db ? sqlite3_extended_errcode(s->db) : 0;
    s->interrupted = s->deadline_ns && (s->code & 0xff) == SQLITE_INTERRUPT;
    return code;
}

/* "<what>: <SQLite's message>" */
static int db_fail(bl_store_t *s, const char *what) { return fail(s, BL_ERR, "%s: %s", what, sqlite3_errmsg(s->db)); }

const char *bl_store_errmsg(bl_store_t *s) { return s->err; }

int bl_store_unavailable(bl_store_t *s)
{
    switch (s->code & 0xff) {
    case SQLITE_READONLY: case SQLITE_FULL: case SQLITE_IOERR: case SQLITE_BUSY: case SQLITE_LOCKED:
    case SQLITE_CANTOPEN: case SQLITE_NOMEM:
        return 1;
    default:
        return 0;
    }
}

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
        bl_json_put_value(&s->json, v); /* the fast writer: no tree printer, no number read back */
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
/* COL_JSON_OPT: left out of the object when NULL */
typedef enum { COL_INT, COL_TEXT, COL_JSON, COL_JSON_OPT, COL_TIME, COL_INT_OR_NULL, COL_BOOL } col_kind;
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
        case COL_JSON_OPT:
            if (sqlite3_column_type(q, i) != SQLITE_NULL)
                bl_json_add(o, cols[i].key, parse_col(q, i));
            break;
        case COL_TIME: bl_json_add_str(o, cols[i].key, bl_time_format(sqlite3_column_int64(q, i), t)); break;
        case COL_BOOL: bl_json_add(o, cols[i].key, cJSON_CreateBool(sqlite3_column_int(q, i) != 0)); break;
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
static void (*log_fn)(const char *msg);

void bl_store_set_log(void (*fn)(const char *msg)) { log_fn = fn; }

static void store_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void store_log(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = bl_vstrdupf(fmt, ap);
    va_end(ap);
    if (log_fn)
        log_fn(msg);
    else
        fprintf(stderr, "bylaw: %s\n", msg);
    free(msg);
}

static int migrate(bl_store_t *s)
{
    int have = 0;
    if (user_version(s, &have) != BL_OK)
        return BL_ERR;
    if (have == SCHEMA_VERSION)
        return BL_OK;
    if (have > SCHEMA_VERSION)
        return too_new(s, have);
    if (have > 0 && !s->memory) { /* a database in use: a copy first, then the steps, each said */
        char *copy = bl_strdupf("%s.before-schema-%d", s->path, SCHEMA_VERSION);
        char *q = sqlite3_mprintf("VACUUM INTO %Q", copy);
        unlink(copy);
        int brc = sqlite3_exec(s->db, q, NULL, NULL, NULL);
        sqlite3_free(q);
        if (brc != SQLITE_OK) {
            fail(s, BL_ERR, "cannot copy the database to %s before migrating its schema: %s", copy,
                 sqlite3_errmsg(s->db));
            free(copy);
            return BL_ERR;
        }
        store_log("the schema of %s is at version %d; this bylaw migrates it to version %d (a copy of the database "
                  "as it was is %s)", s->path, have, SCHEMA_VERSION, copy);
        free(copy);
    }
    if (exec(s, "BEGIN IMMEDIATE") != BL_OK)
        return fail(s, BL_ERR, "cannot start the schema migration: %.400s", s->err);
    int rc = user_version(s, &have);
    if (rc == BL_OK && have > SCHEMA_VERSION)
        rc = too_new(s, have);
    for (int v = have; rc == BL_OK && v < SCHEMA_VERSION; v++)
        if (exec(s, migrations[v]) != BL_OK)
            rc = fail(s, BL_ERR, "cannot migrate the schema to version %d: %.400s", v + 1, s->err);
    for (int v = have; rc == BL_OK && v < SCHEMA_VERSION && have > 0; v++)
        store_log("schema step %d of %s done", v + 1, s->path);
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

/* After each commit: the WAL's size, and SQLite's own automatic checkpoint (which this hook replaces)
 * unless the store's owner checkpoints itself (bl_store_autocheckpoint(s, 0): the service). */
static int on_wal(void *ud, sqlite3 *db, const char *name, int frames)
{
    bl_store_t *s = ud;
    s->wal_frames = frames;
    if (s->auto_ckpt > 0 && frames >= s->auto_ckpt)
        sqlite3_wal_checkpoint(db, name);
    return SQLITE_OK;
}

/* Before SQLite's first use: no memory statistics (a global mutex taken at every allocation). */
static void configure(void) { sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); }
static pthread_once_t configured = PTHREAD_ONCE_INIT;

int bl_store_open(const char *path, bl_store_t **out, char **err)
{
    pthread_once(&configured, configure);
    *out = NULL;
    bl_store_t *s = bl_xmalloc(sizeof *s);
    memset(s, 0, sizeof *s);
    s->path = bl_strdupf("%s", path ? path : "");
    s->memory = strcmp(s->path, ":memory:") == 0 || s->path[0] == '\0';
    s->auto_ckpt = 1000; /* SQLite's default */
    int rc = BL_ERR;
    if (!s->memory) { /* a new database holds people's records: this user's only, whatever the umask (SQLite
                       * gives its -wal and -shm the database file's mode) */
        int fd = open(s->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd >= 0)
            close(fd);
    }
    if (sqlite3_open_v2(s->path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) !=
        SQLITE_OK) {
        fail(s, BL_ERR, "%s", s->db ? sqlite3_errmsg(s->db) : "out of memory");
    } else {
        sqlite3_busy_timeout(s->db, 5000);
        if ((s->memory || exec(s, "PRAGMA journal_mode = WAL") == BL_OK) && /* no WAL in memory */
            exec(s, "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA cache_size = -32768;"
                    " PRAGMA journal_size_limit = 67108864; PRAGMA temp_store = MEMORY") == BL_OK)
            rc = migrate(s);
    }
    if (rc == BL_OK)
        load_indexed(s);
    if (rc == BL_OK && !s->memory)
        sqlite3_wal_hook(s->db, on_wal, s); /* (turns SQLite's own automatic checkpoint off: the service
                                             * checkpoints off its loop; others call bl_store_checkpoint) */
    if (rc != BL_OK) {
        if (err)
            *err = bl_strdupf("cannot open database '%s': %s", s->path, s->err);
        bl_store_close(s);
        return BL_ERR;
    }
    *out = s;
    return BL_OK;
}

int bl_store_open_reader(const char *path, bl_store_t **out, char **err)
{
    pthread_once(&configured, configure);
    *out = NULL;
    if (access(path, R_OK) != 0) {
        if (err)
            *err = bl_strdupf("cannot open database '%s' for reading: %s", path, strerror(errno));
        return BL_ERR;
    }
    bl_store_t *s = bl_xmalloc(sizeof *s);
    memset(s, 0, sizeof *s);
    s->path = bl_strdupf("%s", path);
    s->reader = 1;
    int rc = BL_ERR, have = 0;
    if (sqlite3_open_v2(s->path, &s->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK)
        fail(s, BL_ERR, "%s", s->db ? sqlite3_errmsg(s->db) : "out of memory");
    else if (sqlite3_busy_timeout(s->db, 5000), exec(s, "PRAGMA query_only = ON; PRAGMA cache_size = -16384") != BL_OK)
        ;
    else if (user_version(s, &have) != BL_OK)
        ;
    else if (have > SCHEMA_VERSION)
        too_new(s, have);
    else if (have == 0)
        fail(s, BL_ERR, "it is not a bylaw database (it has no schema version)");
    else if (have != SCHEMA_VERSION)
        fail(s, BL_ERR, "its schema is version %d, this bylaw's is %d: open it for writing first (it migrates)", have,
             SCHEMA_VERSION);
    else
        rc = BL_OK, load_indexed(s);
    if (rc != BL_OK) {
        if (err)
            *err = bl_strdupf("cannot open database '%s' for reading: %s", s->path, s->err);
        bl_store_close(s);
        return BL_ERR;
    }
    *out = s;
    return BL_OK;
}

static uint64_t mono_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static int past_deadline(void *ud)
{
    bl_store_t *s = ud;
    return mono_ns() > s->deadline_ns;
}

void bl_store_deadline(bl_store_t *s, int64_t ms)
{
    s->deadline_ns = ms > 0 ? mono_ns() + (uint64_t)ms * 1000000u : 0;
    s->interrupted = 0;
    sqlite3_progress_handler(s->db, ms > 0 ? 1000 : 0, ms > 0 ? past_deadline : NULL, s); /* every 1000 VM steps */
}

int bl_store_interrupted(bl_store_t *s) { return s->interrupted; }

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
        free(s->prune_type);
        free(s->prune_id);
        for (int i = 0; i < s->nindexed; i++)
            free(s->indexed[i]);
        free(s->indexed);
        if (!s->memory && !s->reader)
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

int bl_store_bulk(bl_store_t *s, int on)
{
    s->bulk = on;
    if (on)
        sqlite3_db_config(s->db, SQLITE_DBCONFIG_LOOKASIDE, NULL, 1024, 4096);
    if (s->memory)
        return BL_OK;
    if (exec(s, on ? "PRAGMA journal_mode = TRUNCATE" : "PRAGMA journal_mode = WAL") != BL_OK)
        return fail(s, BL_ERR, "cannot %s on %s: %.400s", on ? "leave WAL mode for the bulk load" : "go back to WAL mode",
                    s->path, s->err);
    return BL_OK;
}

int bl_store_set_cache_mb(bl_store_t *s, int mb)
{
    char pragma[64];
    snprintf(pragma, sizeof pragma, "PRAGMA cache_size = %d", -1024 * mb);
    return exec(s, pragma);
}

int bl_store_autocheckpoint(bl_store_t *s, int pages)
{
    s->auto_ckpt = pages > 0 ? pages : 0;
    return BL_OK;
}

struct bl_checkpointer {
    sqlite3 *db;
    char *path;
};

int bl_checkpointer_open(const char *path, bl_checkpointer **out, char **err)
{
    *out = NULL;
    bl_checkpointer *c = calloc(1, sizeof *c);
    c->path = bl_strdupf("%s", path);
    int rc = sqlite3_open_v2(path, &c->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
    /* A connection that has read nothing does not know the WAL, and a checkpoint there does nothing
     * (and says it succeeded): read the schema first. */
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(c->db, "PRAGMA journal_size_limit = 67108864; SELECT count(*) FROM sqlite_master", NULL,
                          NULL, NULL);
    if (rc != SQLITE_OK) {
        if (err)
            *err = bl_strdupf("cannot open a connection to checkpoint '%s': %s", path,
                              c->db ? sqlite3_errmsg(c->db) : "out of memory");
        bl_checkpointer_close(c);
        return BL_ERR;
    }
    sqlite3_busy_timeout(c->db, 200);
    *out = c;
    return BL_OK;
}

int bl_checkpointer_run(bl_checkpointer *c, int truncate, int *wal_frames, int *copied, char **err)
{
    int log = 0, ckpt = 0;
    int rc = sqlite3_wal_checkpoint_v2(c->db, NULL, truncate ? SQLITE_CHECKPOINT_TRUNCATE : SQLITE_CHECKPOINT_PASSIVE,
                                       &log, &ckpt);
    if (wal_frames)
        *wal_frames = log;
    if (copied)
        *copied = ckpt;
    if (rc == SQLITE_BUSY) /* a TRUNCATE that readers or a writer held off: the next one will do */
        return BL_OK;
    if (rc != SQLITE_OK && err)
        *err = bl_strdupf("cannot checkpoint the WAL of '%s': %s", c->path, sqlite3_errmsg(c->db));
    return rc == SQLITE_OK ? BL_OK : BL_ERR;
}

void bl_checkpointer_close(bl_checkpointer *c)
{
    if (c == NULL)
        return;
    sqlite3_close(c->db);
    free(c->path);
    free(c);
}

int bl_store_wal_frames(bl_store_t *s) { return s->wal_frames; }

int bl_store_catch_up(bl_store_t *s, int *wal_frames)
{
    int log = 0, ckpt = 0;
    if (s->depth > 0 || s->memory)
        return BL_OK;
    int rc = sqlite3_wal_checkpoint_v2(s->db, NULL, SQLITE_CHECKPOINT_PASSIVE, &log, &ckpt);
    if (wal_frames)
        *wal_frames = log;
    return rc == SQLITE_OK || rc == SQLITE_BUSY ? BL_OK : db_fail(s, "cannot checkpoint the WAL");
}

int bl_store_checkpoint(const char *path, char **err)
{
    bl_checkpointer *c;
    if (bl_checkpointer_open(path, &c, err) != BL_OK)
        return BL_ERR;
    int rc = bl_checkpointer_run(c, 0, NULL, NULL, err);
    bl_checkpointer_close(c);
    return rc;
}

/* Transactions ----------------------------------------------------------------------------------- */

int bl_store_depth(bl_store_t *s) { return s->depth; }

void bl_store_set_savepoints(bl_store_t *s, int on) { s->flat = !on; }

static int begin(bl_store_t *s, int outer)
{
    if (s->depth > 0 && s->flat) {
        s->depth++;
        return BL_OK;
    }
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
    if (s->depth > 1 && s->flat) {
        s->depth--;
        return BL_OK;
    }
    if (step_plain(s, s->depth == 1 ? Q_COMMIT : Q_RELEASE, "commit") != BL_OK)
        return BL_ERR; /* still open: the caller rolls back */
    s->depth--;
    return BL_OK;
}

void bl_store_rollback(bl_store_t *s)
{
    if (s->depth == 0)
        return;
    if (s->depth > 1 && s->flat) { /* nothing to undo on its own: the caller rolls the outermost back */
        s->depth--;
        return;
    }
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

/* The stored version of type/id (0: no row) and whether it is deleted. */
static int version_of(bl_store_t *s, const char *type, const char *id, int64_t *version, int *deleted)
{
    sqlite3_stmt *q = stmt(s, Q_VERSION);
    if (q == NULL)
        return BL_ERR;
    bind_text(q, 1, type);
    bind_text(q, 2, id);
    int rc = sqlite3_step(q);
    *version = rc == SQLITE_ROW ? sqlite3_column_int64(q, 0) : 0;
    *deleted = rc == SQLITE_ROW && sqlite3_column_int(q, 1);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        fail(s, BL_ERR, "cannot read record %s/%s: %s", type, id, sqlite3_errmsg(s->db));
    done(q);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? BL_OK : BL_ERR;
}

/* The record's history row of version v, with the body bound from json (its length n). */
static int history_add(bl_store_t *s, const char *type, const char *id, int64_t v, int64_t now_ms,
                       const char *body, int n)
{
    sqlite3_stmt *q = stmt(s, Q_HISTORY_ADD);
    if (q == NULL)
        return BL_ERR;
    bind_text(q, 1, type);
    bind_text(q, 2, id);
    sqlite3_bind_int64(q, 3, v);
    sqlite3_bind_int64(q, 4, now_ms);
    sqlite3_bind_text(q, 5, body, n, SQLITE_STATIC);
    return step_write(s, q, "cannot keep version %lld of record %s/%s", (long long)v, type, id);
}

/* A bulk load's write whatever the stored version: the record as new (one statement, no look-up first);
 * BL_CONFLICT when it exists (nothing written). */
static int put_new(bl_store_t *s, const char *type, const char *id, int64_t now_ms, const char *body, int n)
{
    sqlite3_stmt *q = stmt(s, Q_PUT_NEW);
    if (q == NULL)
        return BL_ERR;
    bind_text(q, 1, type);
    bind_text(q, 2, id);
    sqlite3_bind_int64(q, 3, now_ms);
    sqlite3_bind_text(q, 4, body, n, SQLITE_STATIC);
    int rc = sqlite3_step(q);
    done(q);
    if (rc == SQLITE_CONSTRAINT)
        return BL_CONFLICT;
    return rc == SQLITE_DONE ? BL_OK : fail(s, BL_ERR, "cannot store record %s/%s: %s", type, id, sqlite3_errmsg(s->db));
}

static int put_in_txn(bl_store_t *s, const char *type, const char *id, cJSON *fields, int64_t expect_version,
                      int64_t now_ms, int64_t *new_version)
{
    if (s->bulk && expect_version < 0 && s->fail_nth == 0) {
        s->json.len = 0;
        json_text(s, fields, "{}");
        int rc = put_new(s, type, id, now_ms, s->json.data, (int)s->json.len - 1);
        if (rc == BL_OK && (rc = history_add(s, type, id, 1, now_ms, s->json.data, (int)s->json.len - 1)) == BL_OK)
            *new_version = 1;
        if (rc != BL_CONFLICT)
            return rc;
    }
    int64_t current = 0;
    int deleted = 0;
    if (version_of(s, type, id, &current, &deleted) != BL_OK)
        return BL_ERR;
    int64_t seen = deleted ? 0 : current; /* a deleted record is absent to the caller, its versions go on */
    if (expect_version >= 0 && expect_version != seen) {
        if (seen == 0)
            return fail(s, BL_CONFLICT, "record %s/%s does not exist%s, so it is not at version %lld", type, id,
                        deleted ? " (it was deleted)" : "", (long long)expect_version);
        if (expect_version == 0)
            return fail(s, BL_CONFLICT, "record %s/%s exists already (version %lld)", type, id, (long long)current);
        return fail(s, BL_CONFLICT, "record %s/%s is at version %lld, not %lld", type, id, (long long)current,
                    (long long)expect_version);
    }
    s->json.len = 0;
    json_text(s, fields, "{}");
    const char *body = s->json.data;
    int n = (int)s->json.len - 1;
    sqlite3_stmt *q = stmt(s, current == 0 ? Q_PUT_NEW : Q_PUT_UPDATE);
    if (q == NULL)
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
    if (step_write(s, q, "cannot store record %s/%s", type, id) != BL_OK ||
        history_add(s, type, id, current + 1, now_ms, body, n) != BL_OK)
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

static int delete_in_txn(bl_store_t *s, const char *type, const char *id, int64_t expect_version, int64_t now_ms,
                         bl_record *out)
{
    bl_record r = {0};
    int rc = bl_store_get(s, type, id, &r);
    if (rc == BL_NOTFOUND)
        return fail(s, BL_NOTFOUND, "no record %s/%s", type, id);
    if (rc == BL_OK && expect_version >= 0 && expect_version != r.version)
        rc = fail(s, BL_CONFLICT, "record %s/%s is at version %lld, not %lld", type, id, (long long)r.version,
                  (long long)expect_version);
    sqlite3_stmt *q = rc == BL_OK ? stmt(s, Q_DELETE) : NULL;
    if (q) {
        bind_text(q, 1, type);
        bind_text(q, 2, id);
        sqlite3_bind_int64(q, 3, now_ms);
        rc = step_write(s, q, "cannot delete record %s/%s", type, id);
    } else if (rc == BL_OK) {
        rc = BL_ERR;
    }
    if (rc == BL_OK && (q = stmt(s, Q_TIMERS_END)) != NULL) { /* its deadlines end with it */
        bind_text(q, 1, type);
        bind_text(q, 2, id);
        sqlite3_bind_int64(q, 3, now_ms);
        bind_text(q, 4, "deleted");
        rc = step_write(s, q, "cannot end the deadlines of record %s/%s", type, id);
    } else if (rc == BL_OK) {
        rc = BL_ERR;
    }
    if (rc == BL_OK && out)
        *out = r;
    else
        bl_record_clear(&r);
    return rc;
}

int bl_store_delete(bl_store_t *s, const char *type, const char *id, int64_t expect_version, int64_t now_ms,
                    bl_record *out)
{
    if (out)
        memset(out, 0, sizeof *out);
    if (type == NULL || id == NULL)
        return fail(s, BL_INVALID, "a record to delete needs a type and an id");
    int own, rc = own_begin(s, &own);
    if (rc == BL_OK)
        rc = delete_in_txn(s, type, id, expect_version, now_ms, out);
    if (rc != BL_OK && out)
        bl_record_clear(out);
    return own_end(s, own, rc);
}

/* Conditions: field names go into a JSON path '$."name"', bound as a parameter (never spliced into the
 * SQL); the SQL text depends only on the operators and the kinds of the values, so statements are
 * reused. A value matches the same JSON value only: "1" does not match 1, true does not match 1; null
 * matches null or absent. <, <=, >, >= compare numbers with numbers and text with text (byte order). */
static int check_field(bl_store_t *s, const char *name)
{
    if (name == NULL || name[0] == '\0' || strpbrk(name, "\"\\"))
        return fail(s, BL_INVALID, "'%s' is not a usable field name (it may not be empty or contain '\"' or '\\')",
                    name ? name : "");
    return BL_OK;
}

static int is_scalar(const cJSON *v) { return v && !cJSON_IsObject(v) && !cJSON_IsArray(v) && !cJSON_IsRaw(v); }

/* The JSON path of a field as an SQL literal, '$."field"': written into the statement (not bound), so
 * that an expression index on the same text serves it (bl_store_index). */
static void path_sql(bl_buf *q, const char *field)
{
    bl_buf_adds(q, "'$.\"");
    for (const char *c = field; *c; c++) /* (check_field refused '"' and '\\') */
        bl_buf_adds(q, *c == '\'' ? "''" : (char[]){*c, '\0'});
    bl_buf_adds(q, "\"'");
}

/* "field equals v" (v's value, if it has one, at ?val). */
static void equal_sql(bl_buf *q, const cJSON *v, const char *field, int val)
{
    if (cJSON_IsNull(v)) {
        bl_buf_adds(q, "json_extract(body, ");
        path_sql(q, field);
        bl_buf_adds(q, ") IS NULL");
    } else if (cJSON_IsBool(v)) {
        bl_buf_adds(q, "json_type(body, ");
        path_sql(q, field);
        bl_buf_printf(q, ") = '%s'", cJSON_IsTrue(v) ? "true" : "false");
    } else {
        bl_buf_adds(q, "(json_type(body, ");
        path_sql(q, field);
        bl_buf_printf(q, ") %s AND json_extract(body, ", cJSON_IsNumber(v) ? "IN ('integer', 'real')" : "= 'text'");
        path_sql(q, field);
        bl_buf_printf(q, ") = ?%d)", val);
    }
}

static const char *const op_text[] = {
    [BL_OP_EQ] = "=", [BL_OP_NE] = "!=", [BL_OP_LT] = "<", [BL_OP_LE] = "<=",
    [BL_OP_GT] = ">", [BL_OP_GE] = ">=", [BL_OP_IN] = "in", [BL_OP_NOT_IN] = "not in",
};

/* Appends " AND <condition>" for each of c[0..n); their parameters from ?first on, *next the first after
 * them. BL_INVALID (with the message) for a condition that cannot be asked. */
static int conds_sql(bl_store_t *s, const bl_cond *c, int n, int first, bl_buf *q, int *next)
{
    int p = first;
    for (int i = 0; i < n; i++) {
        const cJSON *v = c[i].value, *item;
        bl_op op = c[i].op;
        int negate = op == BL_OP_NE || op == BL_OP_NOT_IN;
        if (check_field(s, c[i].field) != BL_OK)
            return BL_INVALID;
        bl_buf_adds(q, negate ? " AND NOT coalesce((" : " AND (");
        if (op == BL_OP_EQ || op == BL_OP_NE) {
            if (!is_scalar(v))
                return fail(s, BL_INVALID, "the value of field '%s' must be a single value, not an object or array",
                            c[i].field);
            equal_sql(q, v, c[i].field, p++);
        } else if (op == BL_OP_IN || op == BL_OP_NOT_IN) {
            if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) == 0)
                return fail(s, BL_INVALID, "the list of values of field '%s' is empty", c[i].field);
            int plain = 1; /* numbers and text only: one IN (...) that an index on the field serves */
            cJSON_ArrayForEach(item, v)
            {
                if (!is_scalar(item))
                    return fail(s, BL_INVALID, "the list of field '%s' holds an object or array", c[i].field);
                plain &= cJSON_IsNumber(item) || cJSON_IsString(item);
            }
            if (plain) { /* (json_type keeps true and false, which json_extract gives as 1 and 0, out) */
                bl_buf_adds(q, "json_type(body, ");
                path_sql(q, c[i].field);
                bl_buf_adds(q, ") IN ('integer', 'real', 'text') AND json_extract(body, ");
                path_sql(q, c[i].field);
                bl_buf_adds(q, ") IN (");
                cJSON_ArrayForEach(item, v) bl_buf_printf(q, "%s?%d", item == v->child ? "" : ", ", p++);
                bl_buf_adds(q, ")");
            } else {
                cJSON_ArrayForEach(item, v)
                {
                    bl_buf_adds(q, item == v->child ? "" : " OR ");
                    equal_sql(q, item, c[i].field, p++);
                }
            }
        } else if (cJSON_IsNumber(v) || cJSON_IsString(v)) {
            bl_buf_adds(q, "json_type(body, ");
            path_sql(q, c[i].field);
            bl_buf_printf(q, ") %s AND json_extract(body, ", cJSON_IsNumber(v) ? "IN ('integer', 'real')" : "= 'text'");
            path_sql(q, c[i].field);
            bl_buf_printf(q, ") %s ?%d", op_text[op], p++);
        } else {
            return fail(s, BL_INVALID, "field '%s': %s compares numbers or text, not %s", c[i].field, op_text[op],
                        cJSON_IsNull(v) ? "null" : cJSON_IsBool(v) ? "true or false" : "a list");
        }
        bl_buf_adds(q, negate ? "), 0)" : ")");
    }
    *next = p;
    return BL_OK;
}

static void bind_path(sqlite3_stmt *q, int i, const char *field)
{
    char *path = bl_strdupf("$.\"%s\"", field);
    sqlite3_bind_text(q, i, path, -1, free);
}

/* Binds a string or a number (integral values as integers: JSON 5 is an SQL integer); others have none. */
static void bind_scalar(sqlite3_stmt *q, int i, const cJSON *v)
{
    if (cJSON_IsString(v)) {
        sqlite3_bind_text(q, i, v->valuestring, -1, SQLITE_STATIC);
    } else if (cJSON_IsNumber(v)) {
        double d = v->valuedouble;
        if (d >= -9223372036854775808.0 && d < 9223372036854775808.0 && d == (double)(int64_t)d)
            sqlite3_bind_int64(q, i, (int64_t)d);
        else
            sqlite3_bind_double(q, i, d);
    }
}

/* Binds the parameters conds_sql numbered, in the same order. */
static void conds_bind(sqlite3_stmt *q, const bl_cond *c, int n, int first)
{
    int p = first;
    for (int i = 0; i < n; i++) {
        if (c[i].op == BL_OP_IN || c[i].op == BL_OP_NOT_IN) {
            const cJSON *item;
            cJSON_ArrayForEach(item, c[i].value) bind_scalar(q, p++, item);
        } else {
            bind_scalar(q, p++, c[i].value);
        }
    }
}

/* Indexes on fields ------------------------------------------------------------------------------------ */

#define INDEX_PREFIX "bylaw_field:"

/* The field indexes there are, into s->indexed. */
static void load_indexed(bl_store_t *s)
{
    for (int i = 0; i < s->nindexed; i++)
        free(s->indexed[i]);
    free(s->indexed);
    s->indexed = NULL;
    s->nindexed = 0;
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(s->db, "SELECT substr(name, 13) FROM sqlite_schema WHERE type = 'index' AND "
                                  "substr(name, 1, 12) = '" INDEX_PREFIX "'", -1, &q, NULL) != SQLITE_OK)
        return;
    while (sqlite3_step(q) == SQLITE_ROW) {
        s->indexed = realloc(s->indexed, (size_t)(s->nindexed + 1) * sizeof *s->indexed);
        s->indexed[s->nindexed++] = bl_strdupf("%s", (const char *)sqlite3_column_text(q, 0));
    }
    sqlite3_finalize(q);
}

/* The index to search a record query by: the first condition that one can serve (an equality, a list or
 * a comparison on an indexed field), or NULL. SQLite alone would rather walk the type by id (the order
 * of the page) than use an expression index it has no statistics for. */
static const char *index_for(bl_store_t *s, const char *type, const bl_cond *c, int n)
{
    for (int i = 0; i < n; i++) {
        if (c[i].op == BL_OP_NE || c[i].op == BL_OP_NOT_IN || cJSON_IsNull(c[i].value) || cJSON_IsBool(c[i].value))
            continue;
        for (int k = 0; k < s->nindexed; k++) {
            size_t tl = strlen(type);
            if (strncmp(s->indexed[k], type, tl) == 0 && s->indexed[k][tl] == ':' &&
                strcmp(s->indexed[k] + tl + 1, c[i].field) == 0)
                return s->indexed[k];
        }
    }
    return NULL;
}

int bl_store_indexes(bl_store_t *s, const char *const *types, const char *const *fields, int n, char **said)
{
    *said = NULL;
    bl_buf msg = {0}, text = {0};
    int rc = BL_OK;
    for (int i = 0; i < n && rc == BL_OK; i++) {
        if (check_field(s, fields[i]) != BL_OK || check_field(s, types[i]) != BL_OK)
            return BL_INVALID;
        int64_t have = 0;
        char *name = bl_strdupf(INDEX_PREFIX "%s:%s", types[i], fields[i]);
        sqlite3_stmt *q = NULL;
        if (sqlite3_prepare_v2(s->db, "SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND name = ?1", -1, &q,
                               NULL) == SQLITE_OK) {
            sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
            if (sqlite3_step(q) == SQLITE_ROW)
                have = sqlite3_column_int64(q, 0);
        }
        sqlite3_finalize(q);
        if (!have) {
            int64_t rows = 0;
            if (sqlite3_prepare_v2(s->db, "SELECT count(*) FROM records WHERE type = ?1", -1, &q, NULL) == SQLITE_OK) {
                sqlite3_bind_text(q, 1, types[i], -1, SQLITE_STATIC);
                if (sqlite3_step(q) == SQLITE_ROW)
                    rows = sqlite3_column_int64(q, 0);
            }
            sqlite3_finalize(q);
            uint64_t t0 = mono_ns();
            text.len = 0;
            bl_buf_printf(&text, "CREATE INDEX \"%s\" ON records(type, json_extract(body, ", name);
            path_sql(&text, fields[i]);
            bl_buf_adds(&text, ")) WHERE deleted_ms IS NULL");
            if (exec(s, text.data) != BL_OK)
                rc = fail(s, BL_ERR, "cannot index %s.%s: %s", types[i], fields[i], sqlite3_errmsg(s->db));
            else
                bl_buf_printf(&msg, "%s%s.%s indexed (%lld records, %.2f s)", msg.len ? "; " : "", types[i], fields[i],
                              (long long)rows, (double)(mono_ns() - t0) / 1e9);
        }
        free(name);
    }
    /* the indexes an earlier list made that this one no longer names */
    sqlite3_stmt *q = NULL;
    char **drop = NULL;
    int ndrop = 0;
    if (rc == BL_OK && sqlite3_prepare_v2(s->db, "SELECT name FROM sqlite_schema WHERE type = 'index' AND "
                                                 "substr(name, 1, 12) = '" INDEX_PREFIX "'", -1, &q, NULL) == SQLITE_OK)
        while (sqlite3_step(q) == SQLITE_ROW) {
            const char *name = (const char *)sqlite3_column_text(q, 0);
            int wanted = 0;
            for (int i = 0; i < n && !wanted; i++) {
                char *w = bl_strdupf(INDEX_PREFIX "%s:%s", types[i], fields[i]);
                wanted = strcmp(w, name) == 0;
                free(w);
            }
            if (!wanted) {
                drop = realloc(drop, (size_t)(ndrop + 1) * sizeof *drop);
                drop[ndrop++] = bl_strdupf("%s", name);
            }
        }
    sqlite3_finalize(q);
    for (int i = 0; i < ndrop; i++) {
        text.len = 0;
        bl_buf_printf(&text, "DROP INDEX \"%s\"", drop[i]);
        if (rc == BL_OK && exec(s, text.data) != BL_OK)
            rc = fail(s, BL_ERR, "cannot drop the index %s: %s", drop[i], sqlite3_errmsg(s->db));
        else if (rc == BL_OK)
            bl_buf_printf(&msg, "%sindex on %s dropped (no longer in the settings)", msg.len ? "; " : "",
                          drop[i] + strlen(INDEX_PREFIX));
        free(drop[i]);
    }
    free(drop);
    bl_buf_free(&text);
    load_indexed(s);
    if (rc == BL_OK && msg.len)
        *said = msg.data;
    else
        bl_buf_free(&msg);
    return rc;
}

/* The equalities of a filter object {field: value} as conditions (*c malloc'd: the caller frees). */
static int filter_conds(bl_store_t *s, const cJSON *filter, bl_cond **c, int *n)
{
    *c = NULL;
    *n = 0;
    if (filter == NULL || cJSON_IsNull(filter))
        return BL_OK;
    if (!cJSON_IsObject(filter))
        return fail(s, BL_INVALID, "a filter must be a JSON object of field: value");
    *c = bl_xmalloc(sizeof **c * (size_t)(cJSON_GetArraySize(filter) + 1));
    const cJSON *f;
    cJSON_ArrayForEach(f, filter)
    {
        if (!is_scalar(f))
            return fail(s, BL_INVALID, "the filter on field '%s' must be a single value, not an object or array",
                        f->string);
        (*c)[(*n)++] = (bl_cond){.field = f->string, .op = BL_OP_EQ, .value = f};
    }
    return BL_OK;
}

/* "SELECT <what> FROM records WHERE type = ?1 <live> <conditions>" into text; the conditions' parameters
 * from ?first on, *next the first after them. */
static int select_sql(bl_store_t *s, const char *what, const char *type, const bl_cond *c, int n, int first,
                      bl_buf *text, int *next)
{
    *next = first;
    if (type == NULL)
        return fail(s, BL_INVALID, "a record query needs a type");
    const char *idx = index_for(s, type, c, n);
    bl_buf_printf(text, "SELECT %s FROM records%s%s%s WHERE type = ?1 AND deleted_ms IS NULL", what,
                  idx ? " INDEXED BY \"" INDEX_PREFIX : "", idx ? idx : "", idx ? "\"" : "");
    return conds_sql(s, c, n, first, text, next);
}

/* The cached statement of text (freed here), with type and the conditions bound; NULL and *rc on failure. */
static sqlite3_stmt *select_prepare(bl_store_t *s, bl_buf *text, int rc_query, const char *type, const bl_cond *c,
                                    int n, int first, int *rc)
{
    sqlite3_stmt *q = rc_query == BL_OK ? dyn_stmt(s, text->data) : NULL;
    bl_buf_free(text);
    *rc = q ? BL_OK : rc_query != BL_OK ? rc_query : BL_ERR;
    if (q) {
        bind_text(q, 1, type);
        conds_bind(q, c, n, first);
    }
    return q;
}

/* Pages ----------------------------------------------------------------------------------------------- */

/* A cursor "<key>:<id>" (the 'next' of a page ordered by a time, then an id). */
static int parse_cursor(bl_store_t *s, const char *text, int64_t *key, const char **id)
{
    char *end;
    errno = 0;
    long long k = strtoll(text, &end, 10);
    if (errno || end == text || *end != ':' || end[1] == '\0')
        return fail(s, BL_INVALID, "after: '%.200s' is not a cursor of this order; pass the 'next' of the page before",
                    text);
    *key = k;
    *id = end + 1;
    return BL_OK;
}

/* Steps q for at most limit rows (it was given limit + 1), each an object of cols (NULL: the JSON of
 * column 0) into a new array *out. When a row is left over, *next (malloc'd) is the cursor of the last
 * one kept: its column id_col, after "<key_col>:" when key_col >= 0. */
static int page(bl_store_t *s, sqlite3_stmt *q, const col *cols, int limit, int key_col, int id_col, cJSON **out,
                char **next, const char *what)
{
    cJSON *a = cJSON_CreateArray();
    char *cursor = NULL;
    int rc, n = 0;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        if (n++ == limit) { /* one more than asked: there is a next page */
            if (next)
                *next = cursor, cursor = NULL;
            rc = SQLITE_DONE;
            break;
        }
        cJSON_AddItemToArray(a, cols ? row_object(q, cols) : parse_col(q, 0));
        free(cursor);
        const char *id = (const char *)sqlite3_column_text(q, id_col);
        cursor = key_col >= 0 ? bl_strdupf("%lld:%s", (long long)sqlite3_column_int64(q, key_col), id ? id : "")
                              : bl_strdupf("%s", id ? id : "");
    }
    free(cursor);
    if (rc != SQLITE_DONE) {
        db_fail(s, what);
        cJSON_Delete(a);
        a = NULL;
        if (next) {
            free(*next);
            *next = NULL;
        }
    }
    done(q);
    *out = a;
    return a ? BL_OK : BL_ERR;
}

/* Records ---------------------------------------------------------------------------------------------- */

int bl_store_query(bl_store_t *s, const bl_record_query *rq, cJSON **out, char **next)
{
    static const char *const time_col[] = {[BL_SORT_ID] = NULL, [BL_SORT_CREATED] = "created_ms",
                                           [BL_SORT_UPDATED] = "updated_ms"};
    *out = NULL;
    if (next)
        *next = NULL;
    const char *tcol = time_col[rq->sort], *after_id = rq->after, *cmp = rq->desc ? "<" : ">";
    const char *dir = rq->desc ? " DESC" : "";
    int64_t after_key = 0;
    if (rq->limit < 1)
        return fail(s, BL_INVALID, "a record query needs a limit of 1 or more");
    if (after_id && tcol && parse_cursor(s, rq->after, &after_key, &after_id) != BL_OK)
        return BL_INVALID;
    char what[32];
    snprintf(what, sizeof what, "body, id%s%s", tcol ? ", " : "", tcol ? tcol : "");
    bl_buf text = {0};
    int p, rc = select_sql(s, what, rq->type, rq->conds, rq->nconds, 2, &text, &p);
    if (after_id && tcol)
        bl_buf_printf(&text, " AND (%s, id) %s (?%d, ?%d)", tcol, cmp, p, p + 1);
    else if (after_id)
        bl_buf_printf(&text, " AND id %s ?%d", cmp, p + 1);
    if (tcol)
        bl_buf_printf(&text, " ORDER BY %s%s, id%s", tcol, dir, dir);
    else
        bl_buf_printf(&text, " ORDER BY id%s", dir);
    bl_buf_printf(&text, " LIMIT ?%d", p + 2);
    sqlite3_stmt *q = select_prepare(s, &text, rc, rq->type, rq->conds, rq->nconds, 2, &rc);
    if (q == NULL)
        return rc;
    sqlite3_bind_int64(q, p, after_key);
    bind_text(q, p + 1, after_id);
    sqlite3_bind_int(q, p + 2, rq->limit + 1);
    return page(s, q, NULL, rq->limit, tcol ? 2 : -1, 1, out, next, "cannot list the records");
}

int bl_store_find(bl_store_t *s, const char *type, cJSON *filter, const char *after, int limit, cJSON **out)
{
    bl_cond *c;
    int n, rc = filter_conds(s, filter, &c, &n);
    bl_record_query q = {.type = type, .conds = c, .nconds = n, .after = after, .limit = limit};
    if (rc == BL_OK)
        rc = bl_store_query(s, &q, out, NULL);
    else
        *out = NULL;
    free(c);
    return rc;
}

int bl_store_count(bl_store_t *s, const char *type, cJSON *filter, int64_t *out)
{
    *out = 0;
    bl_cond *c;
    bl_buf text = {0};
    int n, next, rc = filter_conds(s, filter, &c, &n);
    if (rc == BL_OK)
        rc = select_sql(s, "count(*)", type, c, n, 2, &text, &next);
    sqlite3_stmt *q = select_prepare(s, &text, rc, type, c, n, 2, &rc);
    free(c);
    return q ? scalar(s, q, out, "cannot count the records") : rc;
}

int bl_store_sum(bl_store_t *s, const char *type, const char *field, cJSON *filter, double *out)
{
    *out = 0;
    if (check_field(s, field) != BL_OK)
        return BL_INVALID;
    /* total(): a float, 0.0 over no rows, never an integer overflow; strings and booleans do not count */
    bl_cond *c;
    bl_buf text = {0};
    int n, next, rc = filter_conds(s, filter, &c, &n);
    if (rc == BL_OK)
        rc = select_sql(s, "total(CASE WHEN json_type(body, ?2) IN ('integer', 'real') THEN json_extract(body, ?2) END)",
                        type, c, n, 3, &text, &next);
    sqlite3_stmt *q = select_prepare(s, &text, rc, type, c, n, 3, &rc);
    free(c);
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
    size_t reasons = json_text(s, d->reasons, "[]"), changes = json_text(s, d->changes, "{}"),
           i18n = d->i18n ? json_text(s, d->i18n, "") : 0;
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
    bind_text(q, 12, d->i18n ? s->json.data + i18n : NULL);
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
        {"trigger", COL_TEXT},     {"at", COL_TIME},      {"i18n", COL_JSON_OPT}, {NULL, 0},
    };
    *out = NULL;
    sqlite3_stmt *q = stmt(s, Q_DECISIONS);
    if (q == NULL)
        return BL_ERR;
    bind_text(q, 1, type);
    bind_text(q, 2, id);
    return rows(s, q, cols, out, "cannot read the decisions");
}

/* The decisions of every record, filtered; parameters by number: ?1 policy, ?2 type, ?3 trigger, ?4
 * verdict, ?5 since, ?6 until, ?7 and ?8 the cursor, ?9 the limit. "current": no later decision of the
 * same record and policy exists (decisions_latest) and the record is not deleted. */
int bl_store_query_decisions(bl_store_t *s, const bl_decision_query *dq, cJSON **out, char **next)
{
    static const col cols[] = {
        {"decision", COL_INT},   {"type", COL_TEXT},        {"id", COL_TEXT},      {"record_version", COL_INT},
        {"policy", COL_TEXT},    {"version", COL_TEXT},     {"verdict", COL_TEXT}, {"explanation", COL_TEXT},
        {"reasons", COL_JSON},   {"trigger", COL_TEXT},     {"at", COL_TIME},      {"at_ms", COL_INT},
        {"i18n", COL_JSON_OPT},  {NULL, 0},
    };
    *out = NULL;
    if (next)
        *next = NULL;
    int64_t after_key = 0;
    const char *after_id = NULL;
    if (dq->limit < 1)
        return fail(s, BL_INVALID, "a decision query needs a limit of 1 or more");
    if (dq->after && parse_cursor(s, dq->after, &after_key, &after_id) != BL_OK)
        return BL_INVALID;
    if (after_id && after_id[strspn(after_id, "0123456789")] != '\0')
        return fail(s, BL_INVALID, "after: '%.200s' is not a cursor of decisions; pass the 'next' of the page before",
                    dq->after);
    int timers = dq->trigger && strcmp(dq->trigger, "timer") == 0, no_verdict = dq->verdict && !strcmp(dq->verdict, "none");
    bl_buf text = {0};
    bl_buf_adds(&text, "SELECT d.id, d.type, d.record_id, d.record_version, d.policy, d.policy_version, d.verdict,"
                       " d.explanation, d.reasons, d.trigger, d.at_ms, d.at_ms, d.i18n FROM decisions d WHERE 1");
    if (dq->policy)
        bl_buf_adds(&text, " AND d.policy = ?1");
    if (dq->type)
        bl_buf_adds(&text, " AND d.type = ?2");
    if (dq->trigger)
        bl_buf_adds(&text, timers ? " AND d.trigger LIKE 'timer:%'" : " AND d.trigger = ?3");
    if (dq->verdict)
        bl_buf_adds(&text, no_verdict ? " AND d.verdict IS NULL" : " AND d.verdict = ?4");
    if (dq->since_ms > INT64_MIN)
        bl_buf_adds(&text, " AND d.at_ms >= ?5");
    if (dq->until_ms < INT64_MAX)
        bl_buf_adds(&text, " AND d.at_ms < ?6");
    if (after_id)
        bl_buf_printf(&text, " AND (d.at_ms, d.id) %s (?7, ?8)", dq->desc ? "<" : ">");
    if (dq->current)
        bl_buf_adds(&text, " AND NOT EXISTS (SELECT 1 FROM decisions n WHERE n.type = d.type"
                           " AND n.record_id = d.record_id AND n.policy = d.policy AND n.id > d.id)"
                           " AND EXISTS (SELECT 1 FROM records r WHERE r.type = d.type AND r.id = d.record_id"
                           " AND r.deleted_ms IS NULL)");
    bl_buf_printf(&text, " ORDER BY d.at_ms%s, d.id%s LIMIT ?9", dq->desc ? " DESC" : "", dq->desc ? " DESC" : "");
    sqlite3_stmt *q = dyn_stmt(s, text.data);
    bl_buf_free(&text);
    if (q == NULL)
        return BL_ERR;
    bind_text(q, 1, dq->policy);
    bind_text(q, 2, dq->type);
    bind_text(q, 3, timers ? NULL : dq->trigger);
    bind_text(q, 4, no_verdict ? NULL : dq->verdict);
    sqlite3_bind_int64(q, 5, dq->since_ms);
    sqlite3_bind_int64(q, 6, dq->until_ms);
    sqlite3_bind_int64(q, 7, after_key);
    sqlite3_bind_int64(q, 8, after_id ? strtoll(after_id, NULL, 10) : 0);
    sqlite3_bind_int(q, 9, dq->limit + 1);
    return page(s, q, cols, dq->limit, 10, 0, out, next, "cannot list the decisions");
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

/* The activation log ------------------------------------------------------------------------------ */

static const col log_cols[] = {
    {"entry", COL_INT}, {"version", COL_TEXT},  {"at", COL_TIME},         {"by", COL_TEXT},
    {"why", COL_TEXT},  {"message", COL_TEXT}, {"refused", COL_BOOL}, {"prev", COL_INT_OR_NULL}, {NULL, 0},
};

int bl_store_policy_log_add(bl_store_t *s, const bl_policy_entry *e, int64_t *id)
{
    sqlite3_stmt *q = stmt(s, Q_LOG_ADD);
    if (q == NULL)
        return BL_ERR;
    bind_text(q, 1, e->name);
    bind_text(q, 2, e->version ? e->version : "");
    sqlite3_bind_int64(q, 3, e->at_ms);
    bind_text(q, 4, e->by);
    bind_text(q, 5, e->why ? e->why : "");
    bind_text(q, 6, e->message);
    sqlite3_bind_int(q, 7, e->refused != 0);
    sqlite3_bind_int64(q, 8, e->prev);
    int rc = step_write(s, q, "cannot log version %s of policy %s", e->version ? e->version : "?",
                        e->name ? e->name : "?");
    if (rc == BL_OK && id)
        *id = sqlite3_last_insert_rowid(s->db);
    return rc;
}

int bl_store_policy_log(bl_store_t *s, const char *name, int limit, cJSON **out)
{
    *out = NULL;
    sqlite3_stmt *q = stmt(s, Q_LOG_LIST);
    if (q == NULL)
        return BL_ERR;
    bind_text(q, 1, name);
    sqlite3_bind_int(q, 2, limit);
    return rows(s, q, log_cols, out, "cannot read the policy log");
}

/* The one row of q (bound) as an object of cols, or BL_NOTFOUND with the message what. */
static int one_row(bl_store_t *s, sqlite3_stmt *q, const col *cols, cJSON **out, const char *what)
{
    cJSON *a = NULL;
    if (rows(s, q, cols, &a, what) != BL_OK)
        return BL_ERR;
    *out = cJSON_DetachItemFromArray(a, 0);
    cJSON_Delete(a);
    return *out ? BL_OK : fail(s, BL_NOTFOUND, "%s: none", what);
}

int bl_store_policy_current(bl_store_t *s, const char *name, cJSON **out)
{
    *out = NULL;
    sqlite3_stmt *q = stmt(s, Q_LOG_CURRENT);
    if (q == NULL)
        return BL_ERR;
    bind_text(q, 1, name);
    return one_row(s, q, log_cols, out, "the version of the policy that runs");
}

int bl_store_policy_entry(bl_store_t *s, int64_t entry, cJSON **out)
{
    *out = NULL;
    sqlite3_stmt *q = stmt(s, Q_LOG_ENTRY);
    if (q == NULL)
        return BL_ERR;
    sqlite3_bind_int64(q, 1, entry);
    return one_row(s, q, log_cols, out, "an entry of the policy log");
}

int bl_store_policy_version(bl_store_t *s, const char *name, const char *version, cJSON **out)
{
    static const col cols[] = {
        {"version", COL_TEXT}, {"file", COL_TEXT}, {"first_seen", COL_TIME}, {"source", COL_TEXT}, {NULL, 0},
    };
    *out = NULL;
    sqlite3_stmt *q = stmt(s, Q_POLICY_FIRST);
    if (q == NULL)
        return BL_ERR;
    bind_text(q, 1, name);
    bind_text(q, 2, version);
    return one_row(s, q, cols, out, "the policy version");
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

int bl_store_timers_provisional(bl_store_t *s, int64_t after_id, int limit, cJSON **out)
{
    static const col cols[] = {
        {"timer", COL_INT},  {"type", COL_TEXT},    {"id", COL_TEXT},  {"name", COL_TEXT}, {"policy", COL_TEXT},
        {"due_ms", COL_INT}, {"payload", COL_JSON}, {"due", COL_TIME}, {"spec", COL_JSON}, {NULL, 0},
    };
    *out = NULL;
    sqlite3_stmt *q = stmt(s, Q_TIMER_PROVISIONAL);
    if (q == NULL)
        return BL_ERR;
    sqlite3_bind_int64(q, 1, after_id);
    sqlite3_bind_int(q, 2, limit);
    return rows(s, q, cols, out, "cannot read the provisional timers");
}

int bl_store_timers_provisional_count(bl_store_t *s, int64_t *out)
{
    *out = 0;
    sqlite3_stmt *q = stmt(s, Q_TIMER_PROV_COUNT);
    return q ? scalar(s, q, out, "cannot count the provisional timers") : BL_ERR;
}

int bl_store_timer_recomputed(bl_store_t *s, const cJSON *row, int64_t due_ms, int provisional, int64_t now_ms)
{
    int own, rc = own_begin(s, &own);
    cJSON *spec = cJSON_GetObjectItemCaseSensitive(row, "spec");
    if (rc == BL_OK && due_ms == (int64_t)bl_json_num(row, "due_ms", 0)) { /* the same day: only the flag */
        sqlite3_stmt *q = stmt(s, Q_TIMER_RESPEC);
        if (q == NULL) {
            rc = BL_ERR;
        } else {
            s->json.len = 0;
            size_t sp = json_text(s, spec, "null");
            sqlite3_bind_int64(q, 1, (int64_t)bl_json_num(row, "timer", 0));
            sqlite3_bind_int(q, 2, provisional != 0);
            bind_text(q, 3, provisional ? s->json.data + sp : NULL);
            rc = step_write(s, q, "cannot update timer %lld", (long long)bl_json_num(row, "timer", 0));
        }
    } else if (rc == BL_OK) { /* another day: armed anew, the old one replaced (and kept in the history) */
        bl_timer_spec t = {
            .type = bl_json_str(row, "type"), .id = bl_json_str(row, "id"), .name = bl_json_str(row, "name"),
            .policy = bl_json_str(row, "policy"), .due_ms = due_ms,
            .payload = cJSON_GetObjectItemCaseSensitive(row, "payload"), .provisional = provisional,
            .spec = provisional ? spec : NULL,
        };
        rc = bl_store_timer_set(s, &t, now_ms, NULL, NULL);
    }
    return own_end(s, own, rc);
}

int bl_store_add_policy_set(bl_store_t *s, const char *set_version, cJSON *files, int64_t at_ms)
{
    sqlite3_stmt *q = stmt(s, Q_SET_ADD);
    if (q == NULL)
        return BL_ERR;
    s->json.len = 0;
    json_text(s, files, "{}");
    bind_text(q, 1, set_version);
    bind_text(q, 2, s->json.data);
    sqlite3_bind_int64(q, 3, at_ms);
    return step_write(s, q, "cannot record the policy set %s", set_version ? set_version : "?");
}

int bl_store_last_policy_set(bl_store_t *s, cJSON **out)
{
    static const col cols[] = {
        {"set_version", COL_TEXT}, {"files", COL_JSON}, {"activated", COL_TIME}, {NULL, 0},
    };
    *out = NULL;
    sqlite3_stmt *q = stmt(s, Q_SET_LAST);
    if (q == NULL)
        return BL_ERR;
    cJSON *a = NULL;
    if (rows(s, q, cols, &a, "cannot read the policy sets") != BL_OK)
        return BL_ERR;
    *out = cJSON_DetachItemFromArray(a, 0);
    cJSON_Delete(a);
    return *out ? BL_OK : BL_NOTFOUND;
}

/* Scans ----------------------------------------------------------------------------------------------- */

struct bl_store_scan {
    bl_store_t *s;
    sqlite3_stmt *q;
    int done;
};

static int scan_open(bl_store_t *s, const char *text, bl_store_scan **out)
{
    *out = NULL;
    bl_store_scan *c = calloc(1, sizeof *c);
    c->s = s;
    if (sqlite3_prepare_v2(s->db, text, -1, &c->q, NULL) != SQLITE_OK) {
        db_fail(s, "cannot read the records");
        free(c);
        return BL_ERR;
    }
    *out = c;
    return BL_OK;
}

int bl_store_scan_records(bl_store_t *s, const char *type, bl_store_scan **out)
{
    if (scan_open(s, "SELECT body FROM records WHERE type = ?1 AND deleted_ms IS NULL ORDER BY id", out) != BL_OK)
        return BL_ERR;
    sqlite3_bind_text((*out)->q, 1, type, -1, SQLITE_TRANSIENT);
    return BL_OK;
}

/* One row per record version that decisions of writes since since_ms saw, with those decisions and the
 * points each gave. */
int bl_store_scan_replay(bl_store_t *s, const char *type, int64_t since_ms, bl_store_scan **out)
{
    static const char text[] =
        "SELECT json_object('type', d.type, 'id', d.record_id, 'record_version', d.record_version, 'at_ms',"
        " min(d.at_ms), 'record', json(h.body), 'decisions', json_group_array(json_object('decision', d.id,"
        " 'policy', d.policy, 'version', d.policy_version, 'verdict', d.verdict, 'explanation', d.explanation,"
        " 'changes', json(d.changes), 'points', json((SELECT json_group_array(json_object('subject', l.subject,"
        " 'period', l.period, 'points', l.points)) FROM ledger l WHERE l.decision_id = d.id)))))"
        " FROM decisions d JOIN record_history h ON h.type = d.type AND h.id = d.record_id"
        " AND h.version = d.record_version WHERE d.trigger = 'write' AND d.at_ms >= ?1"
        " AND (?2 IS NULL OR d.type = ?2) GROUP BY d.type, d.record_id, d.record_version"
        " ORDER BY d.type, d.record_id, d.record_version";
    if (scan_open(s, text, out) != BL_OK)
        return BL_ERR;
    sqlite3_bind_int64((*out)->q, 1, since_ms);
    if (type)
        sqlite3_bind_text((*out)->q, 2, type, -1, SQLITE_TRANSIENT);
    return BL_OK;
}

int bl_store_replay_skipped(bl_store_t *s, const char *type, int64_t since_ms, int64_t *timers, int64_t *pruned)
{
    sqlite3_stmt *q = dyn_stmt(s, "SELECT coalesce(sum(trigger <> 'write'), 0), coalesce(sum(trigger = 'write' AND"
                                  " NOT EXISTS (SELECT 1 FROM record_history h WHERE h.type = d.type AND"
                                  " h.id = d.record_id AND h.version = d.record_version)), 0) FROM decisions d"
                                  " WHERE at_ms >= ?1 AND (?2 IS NULL OR type = ?2)");
    *timers = *pruned = 0;
    if (q == NULL)
        return BL_ERR;
    sqlite3_bind_int64(q, 1, since_ms);
    bind_text(q, 2, type);
    int rc = sqlite3_step(q);
    if (rc == SQLITE_ROW) {
        *timers = sqlite3_column_int64(q, 0);
        *pruned = sqlite3_column_int64(q, 1);
    } else {
        db_fail(s, "cannot count the decisions");
    }
    done(q);
    return rc == SQLITE_ROW ? BL_OK : BL_ERR;
}

int bl_store_scan_next(bl_store_scan *c, bl_buf *b)
{
    if (c->done)
        return 0;
    int rc = sqlite3_step(c->q);
    if (rc == SQLITE_ROW) {
        bl_buf_add(b, (const char *)sqlite3_column_text(c->q, 0), (size_t)sqlite3_column_bytes(c->q, 0));
        return 1;
    }
    c->done = 1;
    return rc == SQLITE_DONE ? 0 : db_fail(c->s, "cannot read the records");
}

void bl_store_scan_close(bl_store_scan *c)
{
    if (c == NULL)
        return;
    sqlite3_finalize(c->q);
    free(c);
}

/* Backups, pruning, erasure ---------------------------------------------------------------------------- */

int bl_store_backup(const char *path, const char *dest, char **err)
{
    sqlite3 *db = NULL;
    int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_busy_timeout(db, 5000);
        char *q = sqlite3_mprintf("VACUUM INTO %Q", dest); /* one read transaction: a consistent copy */
        rc = sqlite3_exec(db, q, NULL, NULL, NULL);
        sqlite3_free(q);
    }
    if (rc != SQLITE_OK && err)
        *err = bl_strdupf("cannot back up '%s' to '%s': %s", path, dest, db ? sqlite3_errmsg(db) : "out of memory");
    sqlite3_close(db);
    return rc == SQLITE_OK ? BL_OK : BL_ERR;
}

int bl_store_check(const char *path, char **verdict)
{
    sqlite3 *db = NULL;
    *verdict = NULL;
    int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);
    sqlite3_stmt *q = NULL;
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &q, NULL);
    bl_buf b = {0};
    while (rc == SQLITE_OK && sqlite3_step(q) == SQLITE_ROW)
        bl_buf_printf(&b, "%s%s", b.len ? "; " : "", (const char *)sqlite3_column_text(q, 0));
    if (rc != SQLITE_OK)
        bl_buf_printf(&b, "%s", db ? sqlite3_errmsg(db) : "out of memory");
    sqlite3_finalize(q);
    q = NULL;
    if (rc == SQLITE_OK && b.data && strcmp(b.data, "ok") == 0) { /* sound: and a bylaw database this bylaw knows? */
        int have = -1, tables = 0;
        if (sqlite3_prepare_v2(db, "SELECT (SELECT user_version FROM pragma_user_version), (SELECT count(*) FROM"
                                   " sqlite_schema WHERE type = 'table' AND name IN ('records', 'decisions'))",
                               -1, &q, NULL) == SQLITE_OK && sqlite3_step(q) == SQLITE_ROW)
            have = sqlite3_column_int(q, 0), tables = sqlite3_column_int(q, 1);
        sqlite3_finalize(q);
        b.len = 0;
        if (tables != 2 || have < 1)
            bl_buf_printf(&b, "it is not a bylaw database (no records and decisions tables)");
        else if (have > SCHEMA_VERSION)
            bl_buf_printf(&b, "its schema is version %d, newer than this bylaw knows (%d): use a newer bylaw", have,
                          SCHEMA_VERSION);
        else
            bl_buf_printf(&b, "ok");
    }
    sqlite3_close(db);
    *verdict = b.data ? b.data : bl_strdupf("no answer");
    return rc == SQLITE_OK && strcmp(*verdict, "ok") == 0 ? BL_OK : BL_ERR;
}

/* Deletes, in one statement, at most limit rows that q (with ?1 = limit, ?2 = a bound) selects. */
static int prune_step(bl_store_t *s, const char *what, const char *q_text, int64_t bound, int limit, int64_t *n)
{
    sqlite3_stmt *q = dyn_stmt(s, q_text);
    if (q == NULL)
        return BL_ERR;
    sqlite3_bind_int(q, 1, limit);
    sqlite3_bind_int64(q, 2, bound);
    int rc = step_write(s, q, "cannot prune %s", what);
    if (rc == BL_OK)
        *n += sqlite3_changes(s->db);
    return rc;
}

/* Old versions of the next `limit` records after the cursor (by key); the cursor moves on, and back to
 * the start at the end of a pass. Each step costs its window, whatever the table's size. */
static int prune_versions(bl_store_t *s, int64_t keep, int limit, int64_t *n, int *more)
{
    sqlite3_stmt *q = dyn_stmt(s, "DELETE FROM record_history WHERE (type, id, version) IN (SELECT h.type, h.id,"
                                  " h.version FROM (SELECT type, id, version FROM records WHERE (type, id) > (?3, ?4)"
                                  " ORDER BY type, id LIMIT ?1) r JOIN record_history h ON h.type = r.type"
                                  " AND h.id = r.id AND h.version <= r.version - ?2)");
    if (q == NULL)
        return BL_ERR;
    sqlite3_bind_int(q, 1, limit);
    sqlite3_bind_int64(q, 2, keep);
    bind_text(q, 3, s->prune_type ? s->prune_type : "");
    bind_text(q, 4, s->prune_id ? s->prune_id : "");
    if (step_write(s, q, "cannot prune record versions") != BL_OK)
        return BL_ERR;
    *n += sqlite3_changes(s->db);
    q = dyn_stmt(s, "SELECT type, id FROM records WHERE (type, id) > (?2, ?3) ORDER BY type, id LIMIT 1 OFFSET ?1 - 1");
    if (q == NULL)
        return BL_ERR;
    sqlite3_bind_int(q, 1, limit);
    bind_text(q, 2, s->prune_type ? s->prune_type : "");
    bind_text(q, 3, s->prune_id ? s->prune_id : "");
    char *type = NULL, *id = NULL;
    int rc = sqlite3_step(q);
    if (rc == SQLITE_ROW) {
        type = bl_strdupf("%s", (const char *)sqlite3_column_text(q, 0));
        id = bl_strdupf("%s", (const char *)sqlite3_column_text(q, 1));
    }
    sqlite3_reset(q);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return db_fail(s, "cannot prune record versions");
    free(s->prune_type);
    free(s->prune_id);
    s->prune_type = type, s->prune_id = id; /* NULL: the pass is over, the next starts at the beginning */
    *more |= type != NULL;
    return BL_OK;
}

/* Decisions made before `before` among the next `limit` ids after the cursor, except the newest of each
 * record and policy (it explains the record as it stands, however old). */
static int prune_decisions(bl_store_t *s, int64_t before, int limit, int64_t *n, int *more)
{
    sqlite3_stmt *q = dyn_stmt(s, "DELETE FROM decisions WHERE id IN (SELECT d.id FROM decisions d WHERE d.id > ?3"
                                  " AND d.id <= ?3 + ?1 AND d.at_ms < ?2 AND EXISTS (SELECT 1 FROM decisions n"
                                  " WHERE n.type = d.type AND n.record_id = d.record_id AND n.id > d.id"
                                  " AND n.policy = d.policy))");
    if (q == NULL)
        return BL_ERR;
    sqlite3_bind_int(q, 1, limit);
    sqlite3_bind_int64(q, 2, before);
    sqlite3_bind_int64(q, 3, s->prune_decision);
    if (step_write(s, q, "cannot prune decisions") != BL_OK)
        return BL_ERR;
    *n += sqlite3_changes(s->db);
    int64_t last = 0;
    q = dyn_stmt(s, "SELECT coalesce(max(id), 0) FROM decisions");
    if (q == NULL || scalar(s, q, &last, "cannot prune decisions") != BL_OK)
        return BL_ERR;
    s->prune_decision += limit;
    if (s->prune_decision >= last)
        s->prune_decision = 0; /* the pass is over */
    else
        *more = 1;
    return BL_OK;
}

int bl_store_prune(bl_store_t *s, int64_t keep_versions, int64_t decisions_before, int64_t events_before,
                   int64_t timers_before, int limit, int64_t *deleted, int *more)
{
    *deleted = 0;
    *more = 0;
    int rc = BL_OK;
    if (keep_versions > 0)
        rc = prune_versions(s, keep_versions, limit, deleted, more);
    if (rc == BL_OK && decisions_before > 0)
        rc = prune_decisions(s, decisions_before, limit, deleted, more);
    int64_t before = *deleted;
    if (rc == BL_OK && events_before > 0) /* events_time and timers_done reach only what may go */
        rc = prune_step(s, "events",
                        "DELETE FROM events WHERE seq IN (SELECT seq FROM events WHERE at_ms < ?2 LIMIT ?1)",
                        events_before, limit, deleted);
    if (rc == BL_OK && timers_before > 0)
        rc = prune_step(s, "deadlines",
                        "DELETE FROM timers WHERE id IN (SELECT id FROM timers WHERE state <> 'pending'"
                        " AND done_ms < ?2 LIMIT ?1)",
                        timers_before, limit, deleted);
    *more |= *deleted > before;
    return rc;
}

int bl_store_erase(bl_store_t *s, const char *type, const char *id, const char *by, const char *reason,
                   int64_t now_ms, cJSON **counts)
{
    static const struct {
        const char *key, *sql;
    } parts[] = {
        {"versions", "DELETE FROM record_history WHERE type = ?1 AND id = ?2"},
        {"decisions", "DELETE FROM decisions WHERE type = ?1 AND record_id = ?2"},
        {"events", "DELETE FROM events WHERE type = ?1 AND record_id = ?2"},
        {"deadlines", "DELETE FROM timers WHERE type = ?1 AND record_id = ?2"},
        {"record", "DELETE FROM records WHERE type = ?1 AND id = ?2"},
    };
    *counts = NULL;
    if (reason == NULL || reason[0] == '\0')
        return fail(s, BL_INVALID, "an erasure needs a reason (it is recorded, without the erased data)");
    int own, rc = own_begin(s, &own);
    cJSON *c = cJSON_CreateObject();
    int64_t total = 0;
    /* the erased rows are overwritten with zeros in the database file, not just unlinked */
    sqlite3_exec(s->db, "PRAGMA secure_delete = ON", NULL, NULL, NULL);
    for (size_t i = 0; rc == BL_OK && i < sizeof parts / sizeof parts[0]; i++) {
        sqlite3_stmt *q = dyn_stmt(s, parts[i].sql);
        if (q == NULL) {
            rc = BL_ERR;
            break;
        }
        bind_text(q, 1, type);
        bind_text(q, 2, id);
        rc = step_write(s, q, "cannot erase the %s of %s/%s", parts[i].key, type, id);
        int n = rc == BL_OK ? sqlite3_changes(s->db) : 0;
        total += n;
        bl_json_add_num(c, parts[i].key, n);
    }
    if (rc == BL_OK && total == 0)
        rc = fail(s, BL_NOTFOUND, "no record %s/%s to erase", type, id);
    if (rc == BL_OK) {
        sqlite3_stmt *q = dyn_stmt(s, "INSERT INTO erasures(type, record_id, by, reason, at_ms, counts)"
                                      " VALUES(?1, ?2, ?3, ?4, ?5, ?6)");
        char *text = bl_json_dump(c);
        if (q == NULL) {
            rc = BL_ERR;
        } else {
            bind_text(q, 1, type);
            bind_text(q, 2, id);
            bind_text(q, 3, by);
            bind_text(q, 4, reason);
            sqlite3_bind_int64(q, 5, now_ms);
            bind_text(q, 6, text);
            rc = step_write(s, q, "cannot record the erasure of %s/%s", type, id);
        }
        free(text);
    }
    sqlite3_exec(s->db, "PRAGMA secure_delete = OFF", NULL, NULL, NULL);
    rc = own_end(s, own, rc);
    if (rc == BL_OK)
        *counts = c;
    else
        cJSON_Delete(c);
    return rc;
}

int bl_store_export(bl_store_t *s, const char *type, int (*each)(void *ud, const char *json, size_t len), void *ud)
{
    sqlite3_stmt *q = dyn_stmt(s, type ? "SELECT body FROM records WHERE type = ?1 ORDER BY type, id"
                                       : "SELECT body FROM records ORDER BY type, id");
    if (q == NULL)
        return BL_ERR;
    if (type)
        bind_text(q, 1, type);
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW)
        if (each(ud, (const char *)sqlite3_column_text(q, 0), (size_t)sqlite3_column_bytes(q, 0)) != 0)
            break;
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        db_fail(s, "cannot read the records");
    done(q);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? BL_OK : BL_ERR;
}

int bl_store_lock(const char *path, const char *who, int *fd_out, char **err)
{
    *fd_out = -1;
    char *lock = bl_strdupf("%s.lock", path);
    int fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        *err = bl_strdupf("cannot open %s: %s", lock, strerror(errno));
        free(lock);
        return BL_ERR;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        char holder[300] = "";
        ssize_t n = pread(fd, holder, sizeof holder - 1, 0);
        holder[n > 0 ? n : 0] = '\0';
        holder[strcspn(holder, "\n")] = '\0';
        *err = bl_strdupf("the database %s is in use (%s): stop that first", path,
                          holder[0] ? holder : "its lock file says nothing more");
        close(fd);
        free(lock);
        return BL_CONFLICT;
    }
    size_t len = strlen(who);
    if (ftruncate(fd, 0) != 0 || pwrite(fd, who, len, 0) != (ssize_t)len || pwrite(fd, "\n", 1, (off_t)len) != 1) {
        /* the lock holds all the same; only the next one's message is poorer */
    }
    free(lock);
    *fd_out = fd;
    return BL_OK;
}

void bl_store_unlock(const char *path, int fd)
{
    if (fd < 0)
        return;
    char *lock = bl_strdupf("%s.lock", path);
    unlink(lock);
    free(lock);
    close(fd);
}

int bl_store_vacuum(bl_store_t *s) { return exec(s, "VACUUM") == BL_OK ? BL_OK : db_fail(s, "cannot compact the database"); }

int bl_store_readonly(bl_store_t *s) { return sqlite3_db_readonly(s->db, "main") == 1; }

int bl_store_touch(bl_store_t *s)
{
    int v;
    if (user_version(s, &v) != BL_OK)
        return BL_ERR;
    char set[64];
    snprintf(set, sizeof set, "PRAGMA user_version = %d", v); /* the same value: a write of page 1 */
    if (sqlite3_exec(s->db, set, NULL, NULL, NULL) != SQLITE_OK)
        return fail(s, BL_ERR, "cannot write to %s: %s", s->path, sqlite3_errmsg(s->db));
    return BL_OK;
}
