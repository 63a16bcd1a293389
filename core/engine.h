/* engine.h — evaluate-and-commit: a record write, the policies' proposals and the decision rows in
 * one SQLite transaction, or nothing at all. */
#ifndef BL_ENGINE_H
#define BL_ENGINE_H

#include "json.h"

#include "host.h"
#include "store.h"

/* Stores `fields` (a JSON object, borrowed) as record type/id, runs the policies bound to type on it
 * (they read the store inside the same transaction), and commits the record with the proposed
 * changes applied, one decision row per policy, the points and the events. expect_version < 0 writes
 * unconditionally; otherwise the stored version must equal it (0: must not exist) or BL_CONFLICT.
 * trigger says what caused the evaluation ("write", "timer:NAME"). On success *out is the evaluation
 * JSON with "version" and decision ids added. On failure nothing is written, *err says why. */
int bl_engine_put(bl_host_t *h, bl_store_t *s, const char *type, const char *id, const cJSON *fields,
                  int64_t expect_version, const char *trigger, cJSON **out, char **err);

/* Fires the pending timers due at `now` (at most limit), oldest first, each in its own savepoint of one
 * transaction: the handler's proposals and the timer's completion are stored together, so a timer's
 * effects happen once, also across a crash. Returns how many were due (BL_ERR on a store failure);
 * *fired counts those whose handler succeeded; *err may name a handler failure (malloc'd). */
int bl_engine_fire_due(bl_host_t *h, bl_store_t *s, int64_t now, int limit, int *fired, char **err);

/* Moves the (virtual) clock to target, firing every timer due on the way at its due time, in order.
 * *err may name a handler that failed (its timer is marked failed). */
int bl_engine_advance(bl_host_t *h, bl_store_t *s, int64_t target, int *fired, char **err);

/* Records the source of every loaded policy file under its file name (without .lua) and version, so
 * any decision can name the exact source it ran (idempotent). */
int bl_engine_register_policies(bl_host_t *h, bl_store_t *s, char **err);

#endif
