/* dryrun.h — what an edit of the policies would change, before it is made. bylaw diff (and the
 * service's POST /policies/dry-run) evaluate every stored record of the types the edit touches under the
 * running policies and under the candidate ones; bylaw replay evaluates every record version that stored
 * decisions saw under other policies and compares with what was decided. Either sums the differences up
 * in one report: records evaluated, outcomes changed, a transition table of fields and verdicts with
 * examples (both explanations), points per subject and month, deadlines that would move, evaluations
 * that would fail. The database is only read (read-only connections), so a service may run on it. */
#ifndef BL_DRYRUN_H
#define BL_DRYRUN_H

#include <stdio.h>

#include "host.h"
#include "json.h"

typedef struct bl_dryrun {
    const char *db;
    bl_host_config current;   /* diff: the policies that run (policy_dir); replay: unused */
    bl_host_config candidate; /* the policies to try */
    const char *type;         /* only records of this type; NULL: the types the edit touches (diff), all (replay) */
    int replay;               /* replay decisions made since since_ms instead of a diff */
    int64_t since_ms;
    int64_t now_ms;           /* the clock of a diff's evaluations; 0: now */
    int threads;              /* diff: evaluating threads; 0: one per core (a replay runs on one) */
    /* Told how far it is, from one thread at a time (may be NULL); total -1: not known yet. */
    void (*progress)(void *ud, int64_t done, int64_t total);
    void *ud;
} bl_dryrun;

/* Runs it: BL_OK with *report (caller deletes); BL_INVALID when the candidate policies do not load or
 * a type is unknown, BL_ERR when the database cannot be read; *err (malloc'd) says why. */
int bl_dryrun_run(const bl_dryrun *d, cJSON **report, char **err);

/* The report for people: counts, the transition table with examples, points, deadlines, failures. */
void bl_dryrun_print(const cJSON *report, FILE *out);

/* `bylaw __dryrun`, the service's dry-run process (core/jobs.c starts it): the options of a diff, the
 * report and its progress over file descriptor 3 (core/wire.h). Returns the exit status. */
int bl_dryrun_child_main(int argc, char **argv, const bl_host_config *base);

#endif
