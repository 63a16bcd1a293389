/* pool.h — the service's worker processes (core/worker.c), started, fed and replaced from the event
 * loop: policy code never runs in the service's process. A job is one request to one worker (evaluate a
 * record, fire a timer, a calendar computation); jobs with the same key (a record) run one at a time,
 * in the order they were submitted, and the answer of each is handled before the next starts. A worker
 * that dies or passes a job's wall-clock limit is killed and replaced; its job fails with a plain
 * message, nothing else is affected. */
#ifndef BL_POOL_H
#define BL_POOL_H

#include <stdint.h>
#include <uv.h>

#include "guard.h"
#include "json.h"

typedef struct bl_pool bl_pool;
typedef struct bl_pool_job bl_pool_job;

struct bl_pool_job {
    /* set by the caller, who owns the job until finish has returned */
    const char *key;  /* jobs of one key run one at a time, in order; NULL: no key */
    int64_t limit_ms; /* from sending to the answer; past it the worker is killed (0: 1 s past the timeout) */
    /* The job can run now: write its request into frame (a JSON body) and return its type
     * (BL_WIRE_EVAL, _FIRE, _TASK); or return 0: nothing to send, the job is over (finish is not called). */
    int (*prepare)(bl_pool_job *j, bl_buf *frame);
    /* The answer: BL_WIRE_RESULT with the worker's answer, or BL_WIRE_FAIL with {"rc","error"} (also made
     * by the pool when the worker died, was killed at the limit, or the pool closed). */
    void (*finish)(bl_pool_job *j, int type, const char *body, size_t len);
    /* the pool's */
    bl_pool_job *next;
    int queued;
};

typedef struct bl_pool_config {
    uv_loop_t *loop;
    const char *exe;         /* the bylaw program the workers run */
    const char *scripts_dir; /* --scripts for the workers */
    bl_limits limits;
    int workers;             /* how many evaluate at once */
    void *ud;
    /* A read of a running policy (core/reads.h): answer it. */
    int (*read)(void *ud, const cJSON *req, cJSON **answer, char **err);
    /* A policy's log line {"level","policy","where","msg"} (borrowed). */
    void (*policy_log)(void *ud, const cJSON *line);
    /* The pool's own news, for the service's log: "warn", "a worker died ...". */
    void (*log)(void *ud, const char *level, const char *msg);
    /* The first worker of a set loaded: {"policies":[...],"zone_minutes":N} (borrowed); or errors
     * {"errors":"..."} when it could not load the set. */
    void (*ready)(void *ud, const cJSON *info);
} bl_pool_config;

bl_pool *bl_pool_new(const bl_pool_config *cfg);
/* Starts workers on the policy set in set_dir (messages name display_dir). Workers of an earlier set
 * take no new jobs: they finish theirs and quit. */
void bl_pool_load(bl_pool *p, const char *set_dir, const char *display_dir);
/* Runs j as soon as its key is free and a worker of the current set is idle. */
void bl_pool_submit(bl_pool *p, bl_pool_job *j);
int bl_pool_ready(const bl_pool *p);   /* a worker of the current set has loaded it */
/* The limits of the workers started from now on (bl_pool_load starts them). */
void bl_pool_set_limits(bl_pool *p, bl_limits limits);
int bl_pool_busy(const bl_pool *p);    /* jobs submitted and not finished */

/* A one-shot worker that loads set_dir, runs its tests (*_test.lua) and reports: cb(ud, result, NULL)
 * with {"policies":[...(with "source")],"zone_minutes","passed","failed","report"} or {"errors"}, or
 * cb(ud, NULL, why) when it died or passed limit_ms. */
void bl_pool_validate(bl_pool *p, const char *set_dir, const char *display_dir, int64_t limit_ms,
                      void (*cb)(void *ud, const cJSON *result, const char *error), void *ud);

typedef struct bl_pool_stats {
    uint64_t jobs, failed, killed, died, started;
    int workers, idle, queued;
} bl_pool_stats;
void bl_pool_get_stats(const bl_pool *p, bl_pool_stats *out);

/* Fails the jobs still queued ("the service is stopping"), ends every worker and frees the pool once
 * the loop has closed its handles; done(ud) is called then (may be NULL). */
void bl_pool_close(bl_pool *p, void (*done)(void *ud), void *ud);

#endif
