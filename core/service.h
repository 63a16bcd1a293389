/* service.h — the state `bylaw serve` shares between its modules: serve.c (loop, HTTP, lifecycle,
 * group commit, reload), api.c (routes) and metrics.c (counters). One loop thread touches it. */
#ifndef BL_SERVICE_H
#define BL_SERVICE_H

#include <stdint.h>
#include <uv.h>

#include "api.h"
#include "host.h"
#include "store.h"

#define BL_MAX_TOKENS 64

typedef struct bl_token {
    char *token;
    bl_role role;
} bl_token;

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
} bl_poller;

typedef struct bl_metrics {
    uint64_t requests[6];    /* by status class: 1xx..5xx (index 1..5) */
    uint64_t decisions[4];   /* pass, hold, reject, none */
    uint64_t policy_errors;  /* evaluations a policy failed */
    uint64_t budget_kills;   /* of which stopped by a limit */
    uint64_t invalid;        /* records refused (bad field, bad JSON) */
    uint64_t latency[12];    /* request latency histogram, buckets below */
    double latency_sum;
    uint64_t commits, reloads, reload_failures;
    uint64_t timers_fired, timer_failures;
    double timer_late_max_ms;
    double loop_lag_ms, loop_lag_max_ms;
} bl_metrics;

struct bl_service {
    uv_loop_t *loop;
    bl_host_config cfg;      /* policy_dir, scripts_dir, limits */
    char *db_path;
    bl_store_t *store;
    bl_host_t *host;         /* the active policy set */
    bl_token tokens[BL_MAX_TOKENS];
    int ntokens;             /* 0: open mode, loopback only */
    bl_metrics metrics;
    bl_waiting *waiting, **waiting_tail; /* answers held until the batch commits */
    int batch_open;
    bl_poller *pollers;
    int log_json;
    int virtual_clock;       /* POST /clock exists */
    int stopping;
};

/* Logs one line on stderr: `level msg` or a JSON object with --log-format json. */
void bl_log(bl_service *svc, const char *level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Opens the batch transaction if none is open (writes join it; it commits at the end of this loop
 * iteration, then the held answers go out). */
int bl_service_batch(bl_service *svc, char **err);
/* Holds an answer until the batch commits. */
void bl_service_hold(bl_service *svc, const bl_req *req, bl_resp *resp);
/* Commits the open batch now (reads must not see uncommitted writes) and releases held answers. */
void bl_service_flush(bl_service *svc);
/* Parks a GET /events until events arrive or the wait ends. */
void bl_service_poll(bl_service *svc, const bl_req *req, int64_t after, int limit, int wait_s);
/* Makes h the active policy set (closing the old one) and records its versions (reload.c). */
void bl_service_activate(bl_service *svc, bl_host_t *h);
/* Reloads the policy directory: validate, test, swap; a failure is logged and the old set stays. */
void bl_service_reload(bl_service *svc);
/* Validates, tests and activates new source for policy file `name`; on failure returns BL_INVALID
 * with *err (file:line) and changes nothing. source NULL: reload the directory as it is on disk. */
int bl_service_install(bl_service *svc, const char *name, const char *source, size_t len, char **err);

/* POST /clock (only with --virtual-clock): set the clock to `set` (ISO 8601) or advance it by
 * `advance` (a duration, or "next": to the next due timer), firing due timers in order. */
int bl_service_clock(bl_service *svc, const char *set, const char *advance, cJSON **out, char **err);

/* Prometheus text of the metrics (malloc'd). */
char *bl_metrics_text(bl_service *svc);
void bl_metrics_request(bl_metrics *m, int status, double seconds);

#endif
