/* store.h — the record store: records with every earlier version, decisions, the points ledger and
 * events, in one SQLite database (WAL). All writes of one evaluation go in one transaction. */
#ifndef BL_STORE_H
#define BL_STORE_H

#include "json.h"
#include <stdint.h>
#include "common.h"

typedef struct bl_store bl_store_t;

/* Opens (creating if needed) the database at path (":memory:" for tests), sets WAL and the pragmas,
 * and migrates the schema to the current PRAGMA user_version. On failure returns BL_ERR and sets *err
 * (malloc'd, caller frees) to a message naming the file and the problem. */
int bl_store_open(const char *path, bl_store_t **out, char **err);
/* Opens an existing database for reading only, one connection for one thread (readers.c, bylaw diff,
 * replay, import): nothing is migrated (the schema must be this bylaw's) or written, no checkpoint at
 * close, the service may write meanwhile. BL_ERR with *err naming the file and the problem. */
int bl_store_open_reader(const char *path, bl_store_t **out, char **err);
/* Statements stop ms from now (SQLITE_INTERRUPT, the call fails) until the next call; 0: no limit. After
 * a failure, bl_store_interrupted says whether the deadline was why. */
void bl_store_deadline(bl_store_t *s, int64_t ms);
int bl_store_interrupted(bl_store_t *s);
/* Expression indexes on record fields: set makes one per "type.field" of the list (created if missing)
 * and drops those an earlier list made and this one no longer names; *said (malloc'd) tells what it did
 * ("client.grade created over 12,345 records in 0.21 s; ..."), or NULL when nothing changed. */
int bl_store_indexes(bl_store_t *s, const char *const *types, const char *const *fields, int n, char **said);
void bl_store_close(bl_store_t *s); /* checkpoints the WAL */
const char *bl_store_errmsg(bl_store_t *s); /* the last error, plain words */
/* Whether the last failure was the database's state, not the request (read-only, disk full, I/O error,
 * busy, out of memory): a 503, "try again later", rather than a 500. */
int bl_store_unavailable(bl_store_t *s);

/* Transactions: BEGIN IMMEDIATE / COMMIT / ROLLBACK. Every write below happens inside one. They nest:
 * inside an open transaction, begin is a SAVEPOINT, commit releases it and rollback undoes only it
 * (the service's group commit runs each request in a savepoint of one batch transaction). */
int bl_store_begin(bl_store_t *s);
/* BEGIN DEFERRED: no lock until the first read, the write lock at the first write (a long session that
 * may never write: `bylaw repl`). Inside a transaction, a savepoint as bl_store_begin. */
int bl_store_begin_deferred(bl_store_t *s);
int bl_store_commit(bl_store_t *s);
void bl_store_rollback(bl_store_t *s);
int bl_store_depth(bl_store_t *s); /* open transactions: 0 none */
/* Off: a transaction inside another is no savepoint, and rolling it back undoes nothing by itself: the
 * caller must roll back the outermost (a bulk load, where a failure ends the whole batch). On by default. */
void bl_store_set_savepoints(bl_store_t *s, int on);
/* synchronous = FULL (1: every commit reaches the disk) or NORMAL (0: the default in WAL mode). */
int bl_store_set_durable(bl_store_t *s, int full);
/* A bulk load (bylaw import, the service stopped): on, the database leaves WAL mode for a rollback
 * journal, so that pages are written once, not to the WAL and then again by a checkpoint; off, back to
 * WAL. Fails (BL_ERR) when another connection holds the database; the caller goes on in WAL mode. */
int bl_store_bulk(bl_store_t *s, int on);
/* SQLite's page cache for this connection, in MiB (32 by default). */
int bl_store_set_cache_mb(bl_store_t *s, int mb);

/* A stored record. fields is the JSON object of its fields (including "id" and "type"). */
typedef struct bl_record {
    cJSON *fields;
    int64_t version;    /* 1 for the first write */
    int64_t created_ms, updated_ms;
} bl_record;
void bl_record_clear(bl_record *r);

int bl_store_get(bl_store_t *s, const char *type, const char *id, bl_record *out); /* BL_OK / BL_NOTFOUND / BL_ERR */

/* Writes fields as the record's new version (version 1 when new). When expect_version >= 0 and the
 * stored version differs (or the record is absent and expect_version > 0), returns BL_CONFLICT and
 * writes nothing. The previous version stays readable in the history. */
int bl_store_put(bl_store_t *s, const char *type, const char *id, cJSON *fields, int64_t expect_version,
                 int64_t now_ms, int64_t *new_version);

/* Deletes record type/id softly: get, find, count, sum and the queries no longer see it; its history and
 * decisions stay; its pending deadlines end (state "deleted"). A later put recreates it (created anew,
 * its versions going on after the last). expect_version >= 0: it must be at that version, else
 * BL_CONFLICT. BL_NOTFOUND when there is no such record. *out (may be NULL) gets what was deleted. */
int bl_store_delete(bl_store_t *s, const char *type, const char *id, int64_t expect_version, int64_t now_ms,
                    bl_record *out);

/* Conditions on a record's top-level fields. A value matches the same JSON value only ("1" does not match
 * 1; null matches null or absent); NE and NOT_IN match what EQ and IN do not (an absent field too);
 * LT..GE compare numbers with numbers and text with text (byte order), never other kinds. */
typedef enum { BL_OP_EQ, BL_OP_NE, BL_OP_LT, BL_OP_LE, BL_OP_GT, BL_OP_GE, BL_OP_IN, BL_OP_NOT_IN } bl_op;
typedef struct bl_cond {
    const char *field;
    bl_op op;
    const cJSON *value; /* borrowed: a string, number, true, false or null; IN, NOT_IN: an array of them */
} bl_cond;

/* The orders a record query can take without sorting: by id, or by the store's creation or update time
 * (indexed; then by id). A record field has no index, so no order. */
typedef enum { BL_SORT_ID, BL_SORT_CREATED, BL_SORT_UPDATED } bl_sort;
typedef struct bl_record_query {
    const char *type;
    const bl_cond *conds; /* every one must hold */
    int nconds;
    bl_sort sort;
    int desc;          /* descending */
    const char *after; /* the cursor of the page before (its *next), or NULL */
    int limit;         /* 1 or more */
} bl_record_query;
/* The page of records q asks for: *out a new JSON array of field objects; *next (malloc'd; may be NULL)
 * the cursor of the next page, NULL when this one is the last. BL_INVALID (with the message) for a
 * condition that cannot be asked or a cursor that is not one. */
int bl_store_query(bl_store_t *s, const bl_record_query *q, cJSON **out, char **next);

/* Records of a type whose top-level fields equal every entry of filter (a JSON object, may be NULL),
 * ordered by id, ids > after (may be NULL), at most limit. *out is a new JSON array of field objects. */
int bl_store_find(bl_store_t *s, const char *type, cJSON *filter, const char *after, int limit, cJSON **out);
int bl_store_count(bl_store_t *s, const char *type, cJSON *filter, int64_t *out);
int bl_store_sum(bl_store_t *s, const char *type, const char *field, cJSON *filter, double *out);

/* Every version of a record, oldest first: [{"version":1,"at":"...","fields":{...}}, ...]. */
int bl_store_history(bl_store_t *s, const char *type, const char *id, cJSON **out);

/* Decisions. trigger is "write" or e.g. "timer:investigate". reasons: JSON array of strings; changes:
 * JSON object of proposed field changes. */
typedef struct bl_decision_row {
    const char *type, *id;
    int64_t record_version;
    const char *policy, *policy_version;
    const char *verdict;      /* may be NULL */
    const char *explanation;
    cJSON *reasons, *changes;
    const char *trigger;
    int64_t at_ms;
    cJSON *i18n;              /* the reasons as messages and in Chinese, or NULL (plain texts) */
} bl_decision_row;
int bl_store_add_decision(bl_store_t *s, const bl_decision_row *d, int64_t *decision_id);
/* [{"id":..,"policy":..,"version":..,"verdict":..,"explanation":..,"reasons":[..],"changes":{..},
 *   "record_version":..,"trigger":..,"at":".."}], oldest first. */
int bl_store_decisions(bl_store_t *s, const char *type, const char *id, cJSON **out);

/* Decisions across records, by time (then by decision id). */
typedef struct bl_decision_query {
    const char *policy, *type; /* NULL: any */
    const char *verdict;       /* NULL: any; "none": those that gave none */
    const char *trigger;       /* NULL: any; "timer": every deadline's; else exactly ("write", "timer:NAME") */
    int64_t since_ms, until_ms; /* since <= at < until; INT64_MIN, INT64_MAX: no bound */
    int current; /* only the latest decision of each record and policy, on records not deleted */
    int desc;    /* newest first */
    const char *after; /* the cursor of the page before (its *next), or NULL */
    int limit;         /* 1 or more */
} bl_decision_query;
/* [{"decision","type","id","record_version","policy","version","verdict","explanation","reasons",
 *   "trigger","at","at_ms"}]; *next (malloc'd; may be NULL) the cursor of the next page or NULL. */
int bl_store_query_decisions(bl_store_t *s, const bl_decision_query *q, cJSON **out, char **next);

/* The points ledger. period is "YYYY-MM". */
int bl_store_add_points(bl_store_t *s, const char *subject, const char *period, int64_t points,
                        const char *reason, const char *policy, int64_t decision_id, int64_t at_ms);
int bl_store_points_total(bl_store_t *s, const char *subject, const char *period, int64_t *out);
int bl_store_points_window(bl_store_t *s, const char *subject, int64_t from_ms, int64_t to_ms, int64_t *out);
/* {"subject":..,"period":..,"total":N,"entries":[{"points":..,"reason":..,"policy":..,"decision":..,"at":..}]} */
int bl_store_ledger(bl_store_t *s, const char *subject, const char *period, cJSON **out);

/* Events, in order of a growing sequence number (the consumer's cursor). */
int bl_store_add_event(bl_store_t *s, const char *kind, const char *type, const char *id, cJSON *payload,
                       const char *policy, int64_t decision_id, int64_t at_ms, int64_t *seq);
/* [{"seq":..,"kind":..,"type":..,"id":..,"payload":{..},"policy":..,"decision":..,"at":".."}], seq > after. */
int bl_store_events(bl_store_t *s, int64_t after, int limit, cJSON **out);

/* Policy sets ever activated, whole: files is {"relative/path.lua": "its text", ...}. last: the newest
 * ({"set_version","files","activated"}), BL_NOTFOUND when there is none. */
int bl_store_add_policy_set(bl_store_t *s, const char *set_version, cJSON *files, int64_t at_ms);
int bl_store_last_policy_set(bl_store_t *s, cJSON **out);

/* Where the store says what it does on its own (schema migrations): fn(message), process-wide; NULL:
 * stderr. */
void bl_store_set_log(void (*fn)(const char *msg));

/* Policy sources by version (hash), active or refused; first_active is when one was first recorded.
 * Idempotent on (name, version). */
int bl_store_add_policy_version(bl_store_t *s, const char *name, const char *version, const char *file,
                                const char *source, int64_t at_ms);
int bl_store_policy_versions(bl_store_t *s, const char *name, cJSON **out); /* newest first, no source */
int bl_store_policy_source(bl_store_t *s, const char *name, const char *version, char **source_out);

/* The activation log of policy files: one entry per activation, rollback or refused edit of file NAME
 * (its name without .lua), with the version (the source's hash; "" when the file was removed), when, by
 * whom, why ("put", "file edit", "rollback", "start-up") and a message. prev: the entry that ran
 * before it (< 0: the current one, 0: none); a rollback's entry points where the one it undid pointed,
 * so that rollbacks walk back one activation at a time. Entries: {"entry","version","at","by","why",
 * "message","refused","prev"}; the log newest first; current: the latest entry not refused
 * (BL_NOTFOUND when none). version: {"version","file","first_seen","source"} of a stored version (active
 * or refused), BL_NOTFOUND when it is not stored. */
typedef struct bl_policy_entry {
    const char *name, *version, *by, *why, *message;
    int refused;
    int64_t prev;
    int64_t at_ms;
} bl_policy_entry;
int bl_store_policy_log_add(bl_store_t *s, const bl_policy_entry *e, int64_t *entry);
int bl_store_policy_log(bl_store_t *s, const char *name, int limit, cJSON **out);
int bl_store_policy_current(bl_store_t *s, const char *name, cJSON **out);
int bl_store_policy_entry(bl_store_t *s, int64_t entry, cJSON **out);
int bl_store_policy_version(bl_store_t *s, const char *name, const char *version, cJSON **out);

/* Durable timers (deadlines) of records. At most one pending timer per (type, id, name), and one firing
 * per (type, id, name, due): proposing a deadline again with the due it has changes nothing, whatever
 * its state. state: "pending", "done", "failed", "cancelled", "replaced". */
typedef struct bl_timer_spec {
    const char *type, *id, *name, *policy;
    int64_t due_ms;
    cJSON *payload;  /* may be NULL: {} */
    int provisional; /* counted past the calendar's holiday schedule */
    cJSON *spec;     /* how due was computed ({"after":..,"from":..,"calendar":..}), kept when provisional */
} bl_timer_spec;
typedef enum bl_timer_outcome {
    BL_TIMER_ARMED,     /* new, or its due changed: pending from now (a pending one of another due is replaced) */
    BL_TIMER_KEPT,      /* pending already with this due: unchanged */
    BL_TIMER_FIRED,     /* fired already with this due (done or failed): it does not fire again */
    BL_TIMER_CANCELLED, /* cancelled with this due: stays cancelled until proposed with another due */
} bl_timer_outcome;
/* *outcome says which; *at_ms when it got that state (armed: now). Either may be NULL. */
int bl_store_timer_set(bl_store_t *s, const bl_timer_spec *t, int64_t now_ms, bl_timer_outcome *outcome,
                       int64_t *at_ms);
int bl_store_timer_cancel(bl_store_t *s, const char *type, const char *id, const char *name, int64_t now_ms,
                          const char *state);
int bl_store_timer_next(bl_store_t *s, int64_t *due_ms); /* -1 when none is pending */
/* Pending timers due at now_ms, oldest first: [{"timer","type","id","name","policy","due_ms","due","payload"}]. */
int bl_store_timer_due(bl_store_t *s, int64_t now_ms, int limit, cJSON **out);
/* The same, only those after (after_due, after_id) in that order: the next ones to hand out. */
int bl_store_timer_due_after(bl_store_t *s, int64_t now_ms, int64_t after_due, int64_t after_id, int limit,
                             cJSON **out);
/* Marks a pending timer done (or failed, with a note); fails if it was not pending. */
int bl_store_timer_done(bl_store_t *s, int64_t timer_id, const char *state, int64_t now_ms, const char *note);
/* Provisional deadlines (computed past the end of a calendar's holiday schedule): pending ones with id
 * > after_id, by id, each with its "spec"; how many there are; and the store's part of computing one
 * again (row: one of those): the same due updates its flag, another due arms it anew. */
int bl_store_timers_provisional(bl_store_t *s, int64_t after_id, int limit, cJSON **out);
int bl_store_timers_provisional_count(bl_store_t *s, int64_t *out);
int bl_store_timer_recomputed(bl_store_t *s, const cJSON *row, int64_t due_ms, int provisional, int64_t now_ms);
/* How many timers are pending with a due before due_before (-1: all). */
int bl_store_timers_count(bl_store_t *s, int64_t due_before, int64_t *out);
/* Pending timers, filtered (NULL / -1: no filter), oldest first. */
int bl_store_timers(bl_store_t *s, const char *type, const char *id, int64_t due_before, int limit, cJSON **out);

/* The service checkpoints the WAL off the loop thread: it turns the automatic checkpoint (which would
 * run inside a commit) off, and runs a checkpointer, a connection of its own, from a worker thread:
 * PASSIVE while writes go on (it never blocks a writer), TRUNCATE when they have stopped (the WAL file
 * goes back to nothing; if readers or a writer hold it off, it gives up after 200 ms and the next one
 * tries). The WAL file is cut back to 64 MiB whenever it restarts (journal_size_limit). *wal_frames:
 * the frames in the WAL; *copied: those now in the database file (either may be NULL). */
int bl_store_autocheckpoint(bl_store_t *s, int pages); /* 0: off; SQLite's default is 1000 */
typedef struct bl_checkpointer bl_checkpointer;
int bl_checkpointer_open(const char *path, bl_checkpointer **out, char **err);
int bl_checkpointer_run(bl_checkpointer *c, int truncate, int *wal_frames, int *copied, char **err);
void bl_checkpointer_close(bl_checkpointer *c);
/* Under writes that never pause, the WAL can restart from its beginning (and be cut back) only when a
 * writer begins while every frame is in the database file: catch_up copies the last frames on the
 * store's own connection, between two transactions, so that the next one restarts it. */
int bl_store_catch_up(bl_store_t *s, int *wal_frames);
int bl_store_wal_frames(bl_store_t *s); /* frames in the WAL after the last commit */
int bl_store_readonly(bl_store_t *s);   /* SQLite opened it read-only (a read-only file or disk) */
int bl_store_touch(bl_store_t *s);      /* a write that changes nothing (page 1), in the open transaction: can it write? */
/* One PASSIVE checkpoint on a connection opened for it. */
int bl_store_checkpoint(const char *path, char **err);

/* Operations. backup: a consistent copy of the database at path (one read transaction, writers go on:
 * every write committed before it began is in it) into dest, compacted. check: PRAGMA integrity_check
 * of the database at path and a bylaw schema this bylaw knows (older ones migrate when opened), *verdict
 * "ok" or what is wrong (malloc'd). prune: one step of retention, its
 * cost bounded by limit whatever the tables' sizes: record versions beyond keep_versions (0: none) of
 * the next limit records, decisions before decisions_before among the next limit ids (never the newest
 * of a record and policy), at most limit events and finished deadlines before the given instants (0:
 * none); *deleted counts them, *more says to call again soon (a pass goes on, or more may be left). erase: a record, its
 * history, decisions, events and deadlines deleted, the erasure recorded (type, id, by, reason, when,
 * the counts: never the data); *counts {"record","versions","decisions","events","deadlines"}; a
 * reason is required; BL_NOTFOUND when nothing was there. export: each(ud, fields as JSON) per record
 * of type (NULL: all), by type and id; a non-zero answer of each stops. */
int bl_store_backup(const char *path, const char *dest, char **err);
int bl_store_check(const char *path, char **verdict);
int bl_store_prune(bl_store_t *s, int64_t keep_versions, int64_t decisions_before, int64_t events_before,
                   int64_t timers_before, int limit, int64_t *deleted, int *more);
int bl_store_erase(bl_store_t *s, const char *type, const char *id, const char *by, const char *reason,
                   int64_t now_ms, cJSON **counts);
int bl_store_vacuum(bl_store_t *s); /* compacts the file: nothing else may use the database */
int bl_store_export(bl_store_t *s, const char *type, int (*each)(void *ud, const char *json, size_t len), void *ud);

/* One user of a database at a time for what must be alone (the service, restore, vacuum): an exclusive
 * lock on PATH.lock, which says who holds it (who) to the next one. BL_CONFLICT with *err naming the
 * holder when it is taken. unlock removes the file (fd < 0: nothing). */
int bl_store_lock(const char *path, const char *who, int *fd, char **err);
void bl_store_unlock(const char *path, int fd);

/* Scans, a row at a time, each row one line of JSON text appended to b by next (1: a row, 0: the end,
 * BL_ERR); a scan reads in one transaction, so it sees the database as it was when it began. records:
 * the fields of each record of type not deleted, by id. replay: for each record version that decisions
 * made by writes since since_ms saw (type NULL: every type), {"type","id","record_version","at_ms",
 * "record":{its fields},"decisions":[{"decision","policy","version","verdict","explanation","changes",
 * "points":[{"subject","period","points"}]}]}. skipped: the decisions since then replay cannot run again:
 * made by deadlines (timers), or whose record version was pruned. */
typedef struct bl_store_scan bl_store_scan;
int bl_store_scan_records(bl_store_t *s, const char *type, bl_store_scan **out);
int bl_store_scan_replay(bl_store_t *s, const char *type, int64_t since_ms, bl_store_scan **out);
int bl_store_scan_next(bl_store_scan *c, bl_buf *b);
void bl_store_scan_close(bl_store_scan *c);
int bl_store_replay_skipped(bl_store_t *s, const char *type, int64_t since_ms, int64_t *timers, int64_t *pruned);

/* Fault injection for tests: make the nth write statement from now fail (0 turns it off). */
void bl_store_fail_after(bl_store_t *s, int nth);

#endif
