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

/* Records the source of every loaded policy file under its file name (without .lua) and version, so
 * any decision can name the exact source it ran (idempotent). */
int bl_engine_register_policies(bl_host_t *h, bl_store_t *s, char **err);

#endif
