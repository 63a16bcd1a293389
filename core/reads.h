/* reads.h — what a running policy may read: other records (get, find, count, sum) and the points
 * ledger. A read is a small JSON request answered from the store: in the same process, inside the
 * evaluation's transaction, or, for a worker process, by the service over the wire (core/worker.c). */
#ifndef BL_READS_H
#define BL_READS_H

#include "json.h"
#include "store.h"

/* Requests and their answers:
 *   {"op":"get","type":T,"id":I}                        -> {"record": {...} | null}
 *   {"op":"find","type":T,"filter":{..}|null,"limit":N} -> {"records": [...]}
 *   {"op":"count","type":T,"filter":..}                 -> {"n": N}
 *   {"op":"sum","type":T,"field":F,"filter":..}         -> {"sum": x}
 *   {"op":"points","subject":S,"period":"YYYY-MM"}      -> {"total": N}
 *   {"op":"points","subject":S,"from":ms,"to":ms}       -> {"total": N}
 * Sizes are checked here, whoever asks: limit 1..10000. */
typedef struct bl_reader bl_reader;
struct bl_reader {
    /* Answers req (borrowed) into *answer (caller deletes); on failure returns BL_ERR or BL_INVALID
     * with *err (malloc'd), which a policy sees as the error of its call. */
    int (*read)(bl_reader *r, const cJSON *req, cJSON **answer, char **err);
};

/* The answer of store s (reads see the open transaction, if any). */
int bl_reads_answer(bl_store_t *s, const cJSON *req, cJSON **answer, char **err);

/* A reader answering from store s; lives as long as the struct. */
typedef struct bl_store_reader {
    bl_reader r;
    bl_store_t *s;
} bl_store_reader;
bl_reader *bl_store_reader_init(bl_store_reader *sr, bl_store_t *s);

#endif
