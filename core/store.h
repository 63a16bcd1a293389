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
void bl_store_close(bl_store_t *s); /* checkpoints the WAL */
const char *bl_store_errmsg(bl_store_t *s); /* the last error, plain words */

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
/* synchronous = FULL (1: every commit reaches the disk) or NORMAL (0: the default in WAL mode). */
int bl_store_set_durable(bl_store_t *s, int full);

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
} bl_decision_row;
int bl_store_add_decision(bl_store_t *s, const bl_decision_row *d, int64_t *decision_id);
/* [{"id":..,"policy":..,"version":..,"verdict":..,"explanation":..,"reasons":[..],"changes":{..},
 *   "record_version":..,"trigger":..,"at":".."}], oldest first. */
int bl_store_decisions(bl_store_t *s, const char *type, const char *id, cJSON **out);

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

/* Policy versions ever active: name, version (hash), source. Idempotent on (name, version). */
int bl_store_add_policy_version(bl_store_t *s, const char *name, const char *version, const char *file,
                                const char *source, int64_t at_ms);
int bl_store_policy_versions(bl_store_t *s, const char *name, cJSON **out); /* newest first, no source */
int bl_store_policy_source(bl_store_t *s, const char *name, const char *version, char **source_out);

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
/* How many timers are pending with a due before due_before (-1: all). */
int bl_store_timers_count(bl_store_t *s, int64_t due_before, int64_t *out);
/* Pending timers, filtered (NULL / -1: no filter), oldest first. */
int bl_store_timers(bl_store_t *s, const char *type, const char *id, int64_t due_before, int limit, cJSON **out);

/* The service checkpoints the WAL off the loop thread: it turns the automatic checkpoint (which would
 * run inside a commit) off, and calls bl_store_checkpoint(path) from a worker thread; that opens its own
 * connection and runs a PASSIVE checkpoint (it never blocks writers). */
int bl_store_autocheckpoint(bl_store_t *s, int pages); /* 0: off; SQLite's default is 1000 */
int bl_store_checkpoint(const char *path, char **err);

/* Fault injection for tests: make the nth write statement from now fail (0 turns it off). */
void bl_store_fail_after(bl_store_t *s, int nth);

#endif
