/* dryrun_tally.h — for core/dryrun.c: what one evaluating thread found, outcome by outcome — counts, the
 * transitions of fields and verdicts with a few examples (the records first in order), points by subject
 * and month, deadlines that move, evaluations that fail — then the threads' tallies added up and made
 * into the report (core/dryrun_tally.c). */
#ifndef BL_DRYRUN_TALLY_H
#define BL_DRYRUN_TALLY_H

#include <stdint.h>

#include "json.h"

#define BL_TALLY_EXAMPLES 3 /* per transition */
#define BL_TALLY_MORE 10    /* failures and deadlines shown */

typedef struct bl_example {
    long line; /* the record's place in the pass: the examples kept are the first ones */
    char *type, *id, *before, *after;
} bl_example;

/* A hash map from byte strings to values of one size (zeroed when made). */
typedef struct bl_map {
    struct bl_map_slot *slot;
    size_t cap, n;
} bl_map;

typedef struct tally {
    bl_map trans;  /* "f\x1fFIELD\x1fFROM\x1fTO" or "v\x1fPOLICY\x1fFROM\x1fTO" -> struct transition */
    bl_map points; /* "SUBJECT\x1fPERIOD" -> struct points */
    int64_t records, decisions, changed, events_changed;
    int64_t moved, added, removed; /* deadlines */
    int64_t failures, already, fixed; /* fail with the candidate; of which failed already; fail no more */
    int nmoves, nfails;
    bl_example moves[BL_TALLY_MORE], fails[BL_TALLY_MORE];
    bl_buf key; /* scratch */
} tally;

/* The two evaluations of a record (JSON text, as bl_host_eval_json writes it): when they differ
 * beyond versions and explanations, what changed is tallied. */
void bl_tally_compare(tally *t, long line, const char *type, const char *id, const char *a, size_t alen,
                      const char *b, size_t blen);
/* The same on trees: was (before) and now (after), {"record","decisions","points"[,"events","deadlines"]};
 * replay: was is what stored decisions said (no events or deadlines to compare). */
void bl_tally_outcomes(tally *t, long line, const char *type, const char *id, const cJSON *was, const cJSON *now,
                       int replay);
/* The candidate's evaluation failed (already: the running one's too). */
void bl_tally_failure(tally *t, long line, const char *type, const char *id, const char *error, int already);
/* Adds t into sum and empties t. */
void bl_tally_add(tally *sum, tally *t);
/* {"records","changed","transitions","verdicts","points","deadlines","failures",...} */
cJSON *bl_tally_report(const tally *t);
void bl_tally_free(tally *t);

#endif
