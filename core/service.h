/* service.h — the state `bylaw serve` shares between its modules: serve.c (loop, HTTP, lifecycle,
 * group commit, long polls, config), dispatch.c (writes, deadlines and the clock, evaluated by the
 * worker processes of pool.c), reload.c (policy sets: validate, test, activate), api.c (routes) and
 * metrics.c (counters). One loop thread touches it; policy code never runs in this process. */
#ifndef BL_SERVICE_H
#define BL_SERVICE_H

#include <stdint.h>
#include <uv.h>

#include "api.h"
#include "calendar.h"
#include "config.h"
#include "host.h"
#include "pool.h"
#include "store.h"


/* A write whose answer waits for the group commit. */
typedef struct bl_waiting {
    void *req; /* the HTTP layer's request; NULL once the client has left */
    bl_service *svc;
    bl_resp resp;
    struct bl_waiting *next;
} bl_waiting;

/* A long poll on GET /events. */
typedef struct bl_poller {
    void *req;
    int64_t after;
    int limit;
    uv_timer_t timer;
    int done;
    struct bl_poller *next;
    bl_service *svc;
    char holder[64]; /* whom it counts against: "token N", "client ADDRESS" */
} bl_poller;

/* A histogram with fixed upper bounds (metrics.c). */
#define BL_HIST_MAX 16
typedef struct bl_hist {
    uint64_t counts[BL_HIST_MAX]; /* per bucket, not cumulated; the last is +Inf */
    uint64_t count;
    double sum;
} bl_hist;

/* Requests of one method and route. */
typedef struct bl_route_stats {
    const char *method, *route; /* static strings: the method's, the route table's pattern */
    uint64_t status[6];         /* by status class: 1xx..5xx (index 1..5) */
    bl_hist seconds;
} bl_route_stats;

/* Decisions of one policy, by verdict: pass, hold, reject, none. */
typedef struct bl_policy_stats {
    char *policy;
    uint64_t verdicts[4];
} bl_policy_stats;

typedef struct bl_metrics {
    bl_route_stats routes[64];
    int nroutes;
    bl_policy_stats *policies;
    int npolicies, cappolicies;
    uint64_t policy_errors;  /* evaluations a policy failed */
    uint64_t budget_kills;   /* of which stopped by a limit */
    uint64_t invalid;        /* records refused (bad field, bad JSON) */
    uint64_t commits, commit_failures, checkpoints, wal_restarts, reloads, reload_failures, pruned;
    uint64_t batch_writes;   /* writes in the batch open now */
    bl_hist batch_sizes;     /* writes per group commit */
    bl_hist fsync_seconds;   /* one fsync of the WAL for a group of writers */
    uint64_t timers_fired, timer_failures;
    bl_hist timer_lateness;  /* seconds a deadline fired after its due time */
    double loop_lag_ms, loop_lag_max_ms;
} bl_metrics;

/* The policy set that runs: what its validation reported ({"policies":[{"name","type","order","file",
 * "line","version","source"}],"zone_minutes"}), and where its copy lies. */
typedef struct bl_active {
    cJSON *info;
    char *set_dir;
    bl_cal_t *zone; /* a calendar with the set's zone only: reads times people send (holidays: a worker) */
} bl_active;

/* The deadline counts, as of at_ms (-1: not counted yet); gauges.c counts them every 5 s off the loop. */
typedef struct bl_gauges {
    int64_t pending, overdue, provisional, at_ms;
    int running;
    uv_timer_t timer;
} bl_gauges;

struct bl_service {
    uv_loop_t *loop;
    bl_host_config cfg;      /* policy_dir, scripts_dir, limits */
    char *db_path;
    bl_store_t *store;
    bl_pool *pool;           /* the worker processes that run the policies */
    struct bl_readers *readers; /* threads answering lists and queries off the loop (NULL: on it) */
    bl_active active;
    char *sets_dir;          /* copies of policy sets, validated and run from there (a private temp dir) */
    int set_seq;
    bl_config conf;          /* the settings (config.c); conf.ntokens 0: open mode, loopback only */
    int insecure_open;       /* open mode on any address, through proxies (--insecure-open) */
    char *pending_error;     /* the policy directory holds an edit that was refused: why (file:line) */
    char *last_commit_error; /* the last group commit failed: why (NULL: it went through) */
    bl_metrics metrics;
    bl_gauges gauges;
    bl_waiting *waiting, **waiting_tail; /* answers held until the batch commits */
    int batch_open;
    bl_poller *pollers;
    int log_json;
    int virtual_clock;       /* POST /clock exists */
    int stopping;
    int active_requests;     /* requests handled but not answered yet */
    int backup_running;      /* POST /admin/backup: one at a time */
    struct bl_dispatch *dispatch; /* dispatch.c's state */
    struct bl_reload *reload;     /* reload.c's state */
    struct bl_jobs *jobs;         /* jobs.c's state */
};

/* serve.c ------------------------------------------------------------------------------------------ */

/* The HTTP server's counters (connections, refusals), or NULL before it listens. */
const struct bl_http_stats *bl_service_http_stats(bl_service *svc);

/* The role of a request's bearer token, or BL_ROLE_NONE; the token's name goes into the access log. */
bl_role bl_service_role(bl_service *svc, const bl_req *req, const char *token, const char **name);

/* Logs one line on stderr: `time level msg` or a JSON object with --log-format json. */
void bl_log(bl_service *svc, const char *level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Opens the batch transaction if none is open (writes join it; it commits at the end of this loop
 * iteration, then the held answers go out). */
int bl_service_batch(bl_service *svc, char **err);
/* Commits the open batch now (reads must not see uncommitted writes) and releases held answers. */
void bl_service_flush(bl_service *svc);
/* A request the API left pending (resp->pending), answered later by the work it started; that work
 * embeds one. If its client leaves first, hr becomes NULL: the work goes on, nobody is answered. */
typedef struct bl_pending {
    bl_service *svc;
    void *hr; /* the HTTP layer's request (bl_req.impl) */
} bl_pending;
void bl_pending_init(bl_pending *p, bl_service *svc, const bl_req *req);
/* Answers now; or, hold, once the batch it wrote in is durable. Takes resp's body. */
void bl_pending_answer(bl_pending *p, bl_resp *resp);
void bl_pending_hold(bl_pending *p, bl_resp *resp);
/* Parks a GET /events until events arrive or the wait ends; it counts against holder (bl_service_polls). */
void bl_service_poll(bl_service *svc, const bl_req *req, int64_t after, int limit, int wait_s, const char *holder);
/* The long polls parked now: all of them (holder NULL), or those of holder. */
int bl_service_polls(bl_service *svc, const char *holder);
/* Answers the long polls that have events now (after a commit). */
void bl_service_wake_pollers(bl_service *svc);

/* dispatch.c --------------------------------------------------------------------------------------- */

void bl_dispatch_init(bl_service *svc);
void bl_dispatch_stop(bl_service *svc);  /* no deadline fires from now on */
void bl_dispatch_close(bl_service *svc);
/* PUT/POST of a record: its policies run in a worker, what they propose commits in the batch, and the
 * answer goes out once durable. fields is taken. expect_version as bl_engine_commit. */
void bl_service_write(bl_service *svc, const bl_req *req, const char *type, const char *id, cJSON *fields,
                      int64_t expect_version, int created);
/* The deadlines: fires what is due (in workers, a bounded number at once) and arms one libuv timer for
 * the next. Call after anything that may have added an earlier deadline. */
void bl_service_timers(bl_service *svc);
/* POST /clock (only with --virtual-clock): set the clock to `set` (ISO 8601) or advance it by `advance`
 * (a duration, or "next": to the next due timer), firing due timers in order; answered when done. */
void bl_service_clock(bl_service *svc, const bl_req *req, const char *set, const char *advance);
/* Computes pending provisional deadlines again with the active set's calendars (after a reload that
 * may have added a year's holiday schedule), re-arming those that move. */
void bl_service_recompute(bl_service *svc);
/* gauges.c: start counting (every 5 s, and now), count now (after a burst of changes), stop. */
void bl_gauges_start(bl_service *svc);
void bl_gauges_count(bl_service *svc);
void bl_gauges_stop(bl_service *svc);

/* reload.c ----------------------------------------------------------------------------------------- */

void bl_reload_init(bl_service *svc);
void bl_reload_close(bl_service *svc);
/* Who changes the policies, and why, for the activation log (bl_store_policy_log_add). */
typedef struct bl_policy_change {
    const char *by;      /* a token's name, "file edit", "start-up" */
    const char *why;     /* "put", "file edit", "rollback", "start-up" */
    const char *message; /* may be NULL */
    int64_t prev;        /* a rollback: the entry the named file's new entry points to (0: none); -1 otherwise */
} bl_policy_change;
/* Validates the policy directory as it is on disk (in a worker: load, tests) and, when it is valid and
 * differs from the running set, activates it; start-up calls it with cb, which gets whether a set is
 * active. A failure is logged and the running set stays. */
void bl_service_reload(bl_service *svc, void (*cb)(bl_service *svc, int ok, const char *err));
/* PUT /policies, PUT /policies/NAME and rollback: validates the policy directory with edit ({"NAME.lua":
 * text | null}, taken; null removes the file) applied, then writes the files and activates the set;
 * answers the request with the file NAME (or, name NULL, every file edit names) and the set's warnings,
 * or 422 with file:line. */
void bl_service_install(bl_service *svc, const bl_req *req, const char *name, cJSON *edit, const bl_policy_change *c);
/* The refused edit of the file NAME in the policy directory: {"file","line","message","version"}
 * (borrowed), or NULL. */
const cJSON *bl_service_pending(bl_service *svc, const char *name);
/* The active policies grouped by file: {NAME: {"file","version","source","policies":[...]}}; with_source,
 * the set's other files too (tests, modules: no policies). */
cJSON *bl_service_policy_files(bl_service *svc, int with_source);

/* jobs.c -------------------------------------------------------------------------------------------- */

void bl_jobs_init(bl_service *svc);
void bl_jobs_close(bl_service *svc); /* stops the dry runs still going */
/* POST /policies/dry-run: the running set and the running set with edit (taken) compared over the
 * stored records (of type, or of the types the edit touches) in a process of its own; answered with the
 * job and its report when it finishes within wait_s seconds (200; 422 when the candidate does not
 * load), else 202 with the job (Location: /jobs/ID). One runs at a time (409 otherwise). */
void bl_service_dryrun(bl_service *svc, const bl_req *req, cJSON *edit, const char *type, int wait_s);
/* GET /jobs/{id}: the job as JSON (*out, caller deletes), BL_NOTFOUND when unknown; cancel: stop it. */
int bl_service_job(bl_service *svc, int64_t id, int cancel, cJSON **out);

/* health.c ------------------------------------------------------------------------------------------ */

/* {"status": "ok"|"degraded"|"failing"|"stopping", "ready", "checks": {...}, "degraded": [...], ...};
 * *ready: the service can take writes and decide them now. Caller deletes. */
cJSON *bl_service_health(bl_service *svc, int *ready);

/* metrics.c ---------------------------------------------------------------------------------------- */

/* Prometheus text of the metrics (malloc'd). */
char *bl_metrics_text(bl_service *svc);
/* A request answered: method and route (NULL: no route matched) are static strings. */
void bl_metrics_request(bl_metrics *m, const char *method, const char *route, int status, double seconds);
void bl_metrics_decision(bl_metrics *m, const char *policy, const char *verdict);
void bl_metrics_observe(bl_hist *h, const double *le, int nle, double v);
extern const double bl_batch_le[], bl_fsync_le[], bl_lateness_le[];
extern const int bl_batch_nle, bl_fsync_nle, bl_lateness_nle;
void bl_metrics_free(bl_metrics *m);

#endif
