/* engine.h — evaluate-and-commit: a record write, the policies' proposals and the decision rows in
 * one SQLite transaction, or nothing at all. */
#ifndef BL_ENGINE_H
#define BL_ENGINE_H

#include "json.h"

#include "calendar.h"
#include "host.h"
#include "store.h"

/* The record a write evaluates: id and type first, then fields (an object, borrowed) as given, less
 * any "id" and "type" of theirs. Caller deletes. */
cJSON *bl_engine_record(const char *type, const char *id, const cJSON *fields);

/* Stores an evaluation res ({"record", "decisions", "points", "events", "deadlines", "cancels"}, what
 * the policies of type proposed for record type/id) in one savepoint: the record as its new version,
 * one decision row per policy, the points, the events, the cancelled and new deadlines. expect_version
 * < 0 writes unconditionally; otherwise the stored version must equal it (0: must not exist) or
 * BL_CONFLICT. trigger says what caused the evaluation ("write", "timer:NAME"). Adds "version", the
 * decision ids, event numbers and what became of each deadline to res. On failure nothing is
 * written and *err (malloc'd) says why. */
int bl_engine_commit(bl_store_t *s, const char *type, const char *id, cJSON *res, int64_t expect_version,
                     const char *trigger, int64_t now, char **err);

/* Evaluates and commits in this process: the policies bound to type run on the record (reading the
 * store inside the same transaction), then bl_engine_commit. On success *out is the evaluation. */
int bl_engine_put(bl_host_t *h, bl_store_t *s, const char *type, const char *id, const cJSON *fields,
                  int64_t expect_version, const char *trigger, cJSON **out, char **err);

/* A due timer (a row of bl_store_timer_due) fires in three steps, so that its handler can run
 * elsewhere (a worker process) between the first and the last:
 * prepare reads its record (*rec; BL_NOTFOUND when it is gone) and makes what the handler gets as t
 * ({"name","due","due_ms","late","late_ms","payload"}, *info, caller deletes); commit stores, in one
 * savepoint, the timer done, the record if a decision changed it (it must still be at `version`) and
 * the proposals (BL_CONFLICT when the timer is no longer pending: nothing is stored); fail marks the
 * timer failed with the reason, when its handler failed or its record is gone. */
int bl_engine_fire_prepare(bl_store_t *s, const cJSON *timer, int64_t now, bl_record *rec, cJSON **info);
int bl_engine_fire_commit(bl_store_t *s, const cJSON *timer, int64_t version, cJSON *res, int64_t now, char **err);
int bl_engine_fire_fail(bl_store_t *s, const cJSON *timer, int64_t now, const char *reason);

/* Told of every timer bl_engine_fire_due fires (may be NULL): the timer (a row of bl_store_timer_due) and
 * what its handler proposed (res, with "version", as stored), or err when it failed. All borrowed. */
typedef struct bl_fire_watch {
    void (*fired)(void *ud, const cJSON *timer, const cJSON *res, const char *err);
    void *ud;
} bl_fire_watch;

/* Fires the pending timers due at `now` (at most limit), oldest first, each in its own savepoint of one
 * transaction: the handler's proposals and the timer's completion are stored together, so a timer's
 * effects happen once, also across a crash. Returns how many were due (BL_ERR on a store failure);
 * *fired counts those whose handler succeeded; *err may name a handler failure (malloc'd). */
int bl_engine_fire_due(bl_host_t *h, bl_store_t *s, int64_t now, int limit, const bl_fire_watch *watch,
                       int *fired, char **err);

/* Moves the (virtual) clock to target, firing every timer due on the way at its due time, in order.
 * *err may name a handler that failed (its timer is marked failed). */
int bl_engine_advance(bl_host_t *h, bl_store_t *s, int64_t target, const bl_fire_watch *watch, int *fired,
                      char **err);

/* Where a clock move of `what` from now lands: a duration counted in cal ("2 working days") or "next",
 * the due time of the earliest pending deadline (now if that is past; BL_NOTFOUND when none is pending).
 * BL_INVALID with *err (malloc'd) when what is neither, BL_ERR when the store fails. */
int bl_engine_advance_target(bl_store_t *s, const bl_cal_t *cal, const char *what, int64_t now, int64_t *target,
                             char **err);

/* Records the source of every policy file of list ([{"file","version"[,"source"]}], as
 * bl_host_policies makes it; without "source" the file is read) under its file name (without .lua) and
 * version, so any decision can name the exact source it ran (idempotent). */
int bl_engine_register_policies(bl_store_t *s, const cJSON *list, char **err);

#endif
