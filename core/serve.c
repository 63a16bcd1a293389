/* serve.c — `bylaw serve`: one libuv loop owns the HTTP server (core/http.c: libmicrohttpd on the
 * loop), the store, the worker processes that run the policies (core/pool.c) and the policy watcher.
 * Writes of one loop iteration share one commit (group commit) and are answered once it is durable.
 * Also the config file, tokens, long polls, logging and a graceful stop. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "http.h"
#include "reads.h"
#include "readers.h"
#include "service.h"

#define MAX_BODY (1024 * 1024)

typedef struct server {
    bl_service svc;
    bl_http_server *http;
    uv_timer_t reload_timer, lag_timer, stop_timer, ckpt_timer, prune_timer;
    int64_t last_probe_ns; /* probe_writes */
    uv_work_t ckpt;
    int ckpt_running, ckpt_truncate, ckpt_frames, ckpt_copied;
    char *ckpt_err;
    bl_checkpointer *ckpt_conn; /* used on the worker thread only */
    uint64_t last_commit_ns, ckpt_commit_ns;
    int memory_db;
    uv_check_t check;
    uv_idle_t idle; /* runs while a batch is open, so the loop's poll does not block before its commit */
    uv_signal_t sigint, sigterm, sighup;
    uv_fs_event_t watch;
    int durable;  /* answer writes only once they are on disk */
    int wal_fd;   /* the WAL file, fsynced on a worker thread after each group commit; -1: not yet open */
    int fsyncing; /* an fsync is in flight: writers committed meanwhile wait for the next one */
    bl_waiting *next_sync, **next_sync_tail;
    int64_t lag_expect_ns;
    int pool_closed;
    uint64_t batch_ns;       /* when the open batch began */
    uv_timer_t batch_timer;  /* commits a batch nobody waits on, in time */
    int workers;  /* worker processes */
    int insecure_open; /* --insecure-open: open mode on any address */
    int lock_fd;       /* the lock on DB.lock (one service per database) */
    int argc;          /* the command line, read again with the config file on SIGHUP */
    char **argv;
    bl_host_config base;
    char *lock_path;
    int started;  /* the first policy set: 0 validating, 1 active, -1 refused */
    char *exe;    /* this program, which the workers run */
} server;

static server *server_of(bl_service *svc) { return (server *)svc; }

static int log_json_mode; /* every line JSON: set as soon as the options are read */

void bl_log(bl_service *svc, const char *level, const char *fmt, ...)
{
    char msg[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    char t[32];
    bl_time_format(bl_clock_now_ms(), t);
    bl_buf line = {0};
    if ((svc && svc->log_json) || log_json_mode) {
        BL_JSON_LIT(&line, "{\"at\":");
        bl_json_put_str(&line, t, strlen(t));
        BL_JSON_LIT(&line, ",\"level\":");
        bl_json_put_str(&line, level, strlen(level));
        BL_JSON_LIT(&line, ",\"msg\":");
        bl_json_put_str(&line, msg, strlen(msg));
        BL_JSON_LIT(&line, "}\n");
    } else { /* one event, one line: a message cannot forge another (control characters escaped) */
        bl_buf_printf(&line, "%s %s ", t, level);
        bl_log_escape(&line, msg, strlen(msg));
        bl_buf_add(&line, "\n", 1);
    }
    fwrite(line.data, 1, line.len, stderr);
    bl_buf_free(&line);
}

/* HTTP (core/http.c) to the API (core/api.c) ------------------------------------------------------ */

static const char *req_header(const bl_req *r, const char *name) { return bl_http_header(r->impl, name); }
static const char *req_query(const bl_req *r, const char *name) { return bl_http_query(r->impl, name); }
static void req_each_query(const bl_req *r, void (*cb)(void *, const char *, const char *), void *ud)
{
    bl_http_each_query(r->impl, cb, ud);
}

/* Sends resp (and frees its body). */
static void send_resp(bl_http_req *hr, bl_resp *r)
{
    const char *ctype = r->ctype ? r->ctype : "application/json";
    if (r->extra_header && strcasecmp(r->extra_header, "Content-Type") == 0)
        ctype = r->extra_value;
    else if (r->extra_header)
        bl_http_add_header(hr, r->extra_header, r->extra_value);
    if (r->etag[0])
        bl_http_add_header(hr, "ETag", r->etag);
    const char *body = r->body ? r->body : "";
    bl_http_respond(hr, r->status, ctype, body, strlen(body));
    free(r->body);
    r->body = NULL;
}

static void on_http(void *ud, bl_http_req *hr)
{
    server *s = ud;
    bl_req req = {
        .method = hr->method, .path = hr->path, .query = req_query, .header = req_header,
        .each_query = req_each_query, .body = hr->body, .body_len = hr->body_len, .loopback = hr->loopback,
        .peer = hr->peer_ip, .raw_query = hr->query, .impl = hr,
    };
    bl_resp resp;
    bl_api_handle(&s->svc, &req, &resp);
    hr->route = resp.route; /* for the metrics, when it is answered */
    if (resp.pending)
        s->svc.active_requests++; /* answered later, or the client left (a cancel callback) */
    else
        send_resp(hr, &resp);
}

const bl_http_stats *bl_service_http_stats(bl_service *svc)
{
    server *s = server_of(svc);
    return s->http ? bl_http_get_stats(s->http) : NULL;
}

bl_role bl_service_role(bl_service *svc, const bl_req *req, const char *token, const char **name)
{
    bl_role r = bl_config_role(&svc->conf, token, name);
    if (r != BL_ROLE_NONE && req->impl)
        ((bl_http_req *)req->impl)->data = (void *)*name; /* for the access log */
    return r;
}

static void on_http_response(void *ud, const bl_http_req *hr, int status, uint64_t elapsed_ns)
{
    server *s = ud;
    bl_metrics_request(&s->svc.metrics, hr->method, hr->route, status, (double)elapsed_ns / 1e9);
    if (s->svc.conf.access_log && hr->method)
        bl_log(&s->svc, "access", "%s %s %d %.1f ms %s %s", hr->method, hr->path ? hr->path : "-", status,
               (double)elapsed_ns / 1e6, hr->peer_ip, hr->data ? (const char *)hr->data : "-");
}

static void on_http_log(void *ud, const char *line) { bl_log(ud, "http", "%s", line); }

/* Answers a request whose handler kept it. */
static void respond_later(server *s, bl_http_req *hr, bl_resp *resp)
{
    bl_http_on_cancel(hr, NULL, NULL);
    send_resp(hr, resp);
    s->svc.active_requests--;
}

static void on_pending_gone(bl_http_req *hr, void *ud)
{
    bl_pending *p = ud;
    p->hr = NULL;
    p->svc->active_requests--;
}

void bl_pending_init(bl_pending *p, bl_service *svc, const bl_req *req)
{
    p->svc = svc;
    p->hr = req->impl;
    bl_http_on_cancel(p->hr, on_pending_gone, p);
}

void bl_pending_answer(bl_pending *p, bl_resp *resp)
{
    if (p->hr)
        respond_later(server_of(p->svc), p->hr, resp);
    else
        free(resp->body);
    p->hr = NULL;
}

#define WAL_FRAMES_MAX 8192 /* 32 MiB of 4 KiB pages: past this, the WAL restarts between two batches */

/* Group commit ----------------------------------------------------------------------------------- */

static void on_idle(uv_idle_t *h) {} /* its being active is the point: poll does not block */

int bl_service_batch(bl_service *svc, char **err)
{
    if (svc->batch_open)
        return BL_OK;
    if (bl_store_begin(svc->store) != BL_OK) {
        *err = bl_strdupf("%s", bl_store_errmsg(svc->store));
        return BL_ERR;
    }
    svc->batch_open = 1;
    server_of(svc)->batch_ns = uv_hrtime();
    uv_idle_start(&server_of(svc)->idle, on_idle);
    return BL_OK;
}

/* The writer left before its commit was durable: the write stands, nobody is answered. */
static void on_writer_gone(bl_http_req *hr, void *ud)
{
    bl_waiting *w = ud;
    w->req = NULL;
    w->svc->active_requests--;
}

void bl_pending_hold(bl_pending *p, bl_resp *resp)
{
    if (p->hr == NULL) {
        free(resp->body);
        return;
    }
    bl_service *svc = p->svc;
    if (!svc->batch_open) { /* nothing it wrote waits for a commit */
        bl_pending_answer(p, resp);
        return;
    }
    bl_waiting *w = calloc(1, sizeof *w);
    w->req = p->hr;
    w->svc = svc;
    p->hr = NULL;
    bl_http_on_cancel(w->req, on_writer_gone, w);
    w->resp = *resp;
    *svc->waiting_tail = w;
    svc->waiting_tail = &w->next;
    memset(resp, 0, sizeof *resp);
    resp->pending = 1;
}

static void wake_pollers(bl_service *svc, int closing);
#define WAKE_WINDOW 1000 /* events read once per commit for every long poll */

/* A committed batch whose answers wait for the WAL to reach the disk. */
typedef struct fsync_batch {
    uv_fs_t req;
    server *s;
    bl_waiting *waiting;
    uint64_t start_ns;
} fsync_batch;

static void answer_all(server *s, bl_waiting *w, int ok, const char *why)
{
    while (w) {
        bl_waiting *next = w->next;
        if (w->req == NULL) { /* the client left */
            free(w->resp.body);
            free(w);
            w = next;
            continue;
        }
        if (!ok) {
            free(w->resp.body);
            memset(&w->resp, 0, sizeof w->resp);
            bl_api_error(&w->resp, 503, "the write could not be made durable: %s", why);
        }
        respond_later(s, w->req, &w->resp);
        free(w);
        w = next;
    }
}

static void on_fsynced(uv_fs_t *req);

/* Starts one fsync for every writer committed so far and not yet synced. */
static void start_fsync(server *s)
{
    if (s->fsyncing || s->next_sync == NULL)
        return;
    fsync_batch *b = calloc(1, sizeof *b);
    b->s = s;
    b->waiting = s->next_sync;
    s->next_sync = NULL;
    s->next_sync_tail = &s->next_sync;
    b->req.data = b;
    b->start_ns = uv_hrtime();
    if (uv_fs_fsync(s->svc.loop, &b->req, s->wal_fd, on_fsynced) != 0) {
        b->req.result = UV_EIO;
        on_fsynced(&b->req);
        return;
    }
    s->fsyncing = 1;
}

static void on_fsynced(uv_fs_t *req)
{
    fsync_batch *b = req->data;
    server *s = b->s;
    int ok = req->result >= 0;
    bl_metrics_observe(&s->svc.metrics.fsync_seconds, bl_fsync_le, bl_fsync_nle,
                       (double)(uv_hrtime() - b->start_ns) / 1e9);
    if (!ok) {
        bl_log(&s->svc, "error", "fsync of the WAL failed (%s): the batch's writers are told", uv_strerror((int)req->result));
        free(s->svc.last_commit_error);
        s->svc.last_commit_error = bl_strdupf("the last commit could not be synced to the disk: %s",
                                              uv_strerror((int)req->result));
    }
    uv_fs_req_cleanup(req);
    s->fsyncing = 0;
    answer_all(s, b->waiting, ok, ok ? NULL : uv_strerror((int)req->result));
    free(b);
    start_fsync(s); /* the writers that committed while this one ran */
    wake_pollers(&s->svc, 0);
}

void bl_service_wake_pollers(bl_service *svc) { wake_pollers(svc, 0); }

void bl_service_flush(bl_service *svc)
{
    server *s = server_of(svc);
    if (!svc->batch_open)
        return;
    uv_idle_stop(&s->idle);
    int ok = bl_store_commit(svc->store) == BL_OK;
    if (!ok) {
        bl_log(svc, "error", "group commit failed, %s; the batch is rolled back", bl_store_errmsg(svc->store));
        bl_store_rollback(svc->store);
    }
    svc->batch_open = 0;
    bl_metrics_observe(&svc->metrics.batch_sizes, bl_batch_le, bl_batch_nle, (double)svc->metrics.batch_writes);
    svc->metrics.batch_writes = 0;
    if (ok) {
        svc->metrics.commits++;
        s->last_commit_ns = uv_hrtime();
        free(svc->last_commit_error);
        svc->last_commit_error = NULL;
        if (bl_store_wal_frames(svc->store) > WAL_FRAMES_MAX && !s->ckpt_running && !s->memory_db) {
            /* the checkpointer copies most of the WAL off this thread; the last frames are copied here, so
             * that the next batch restarts the WAL from its beginning (and cuts it back) */
            bl_store_catch_up(svc->store, NULL);
            svc->metrics.wal_restarts++;
        }
    } else {
        svc->metrics.commit_failures++;
        free(svc->last_commit_error);
        svc->last_commit_error = bl_strdupf("the last commit failed: %s", bl_store_errmsg(svc->store));
    }
    bl_waiting *w = svc->waiting;
    svc->waiting = NULL;
    svc->waiting_tail = &svc->waiting;
    if (ok && s->durable && s->wal_fd < 0) {
        char *wal = bl_strdupf("%s-wal", svc->db_path);
        s->wal_fd = open(wal, O_RDWR | O_CLOEXEC);
        free(wal);
    }
    if (ok && s->durable && s->wal_fd >= 0 && w) {
        /* Group commit: the commit wrote the WAL (synchronous = NORMAL); one fsync at a time runs on a
         * worker thread while this loop goes on, and each writer is answered once an fsync that began
         * after its commit is done: as durable as synchronous = FULL, without stalling the loop. */
        *s->next_sync_tail = w;
        while (w->next)
            w = w->next;
        s->next_sync_tail = &w->next;
        start_fsync(s);
        bl_service_timers(svc); /* a write may have proposed an earlier deadline */
        return;
    }
    if (ok && s->durable && s->wal_fd < 0)
        bl_store_set_durable(svc->store, 1); /* no WAL file to sync (e.g. in memory): FULL commits */
    answer_all(s, w, ok, ok ? NULL : bl_store_errmsg(svc->store));
    if (ok) {
        wake_pollers(svc, 0);
        bl_service_timers(svc); /* a write may have proposed an earlier deadline */
    }
}

/* A batch nobody waits on (deadlines firing, with no writer to answer) may gather the work of several
 * loop iterations: one commit writes each page it touches once, where a commit per answer would write
 * it again and again. It commits once a writer waits, after BATCH_MAX_MS, or when no worker has more
 * to say. */
#define BATCH_MAX_MS 20

static void on_batch_timer(uv_timer_t *t) { bl_service_flush(t->data); }

/* After each loop iteration's I/O: commit what the iteration wrote, then answer. */
static void on_check(uv_check_t *h)
{
    bl_service *svc = h->data;
    server *s = server_of(svc);
    if (!svc->batch_open)
        return;
    uint64_t age_ms = (uv_hrtime() - s->batch_ns) / 1000000u;
    if (svc->waiting || age_ms >= BATCH_MAX_MS || bl_pool_busy(svc->pool) == 0 || svc->stopping) {
        uv_timer_stop(&s->batch_timer);
        bl_service_flush(svc);
        return;
    }
    uv_idle_stop(&s->idle); /* poll may wait for the workers: the timer commits in time */
    if (!uv_is_active((uv_handle_t *)&s->batch_timer))
        uv_timer_start(&s->batch_timer, on_batch_timer, BATCH_MAX_MS - age_ms, 0);
}

/* Long polls -------------------------------------------------------------------------------------- */

static void poller_answer(bl_poller *p, cJSON *events)
{
    bl_http_on_cancel(p->req, NULL, NULL);
    bl_resp r = {0};
    cJSON *o = cJSON_CreateObject();
    int n = cJSON_GetArraySize(events);
    int64_t last = n ? (int64_t)bl_json_num(cJSON_GetArrayItem(events, n - 1), "seq", (double)p->after) : p->after;
    bl_json_add(o, "events", events);
    bl_json_add_num(o, "next", (double)last);
    bl_api_json(&r, 200, o);
    respond_later(server_of(p->svc), p->req, &r);
    p->done = 1;
    uv_timer_stop(&p->timer);
}

static void poller_free(uv_handle_t *h) { free(h->data); }

static void poller_remove(bl_service *svc, bl_poller *p)
{
    for (bl_poller **pp = &svc->pollers; *pp; pp = &(*pp)->next)
        if (*pp == p) {
            *pp = p->next;
            break;
        }
    uv_close((uv_handle_t *)&p->timer, poller_free);
}

static void on_poll_timeout(uv_timer_t *t)
{
    bl_poller *p = t->data;
    bl_service *svc = p->svc;
    poller_answer(p, cJSON_CreateArray());
    poller_remove(svc, p);
}

/* Answers the long polls that have events now: one query per commit, however many wait. */
static void wake_pollers(bl_service *svc, int closing)
{
    if (svc->pollers == NULL)
        return;
    int64_t from = INT64_MAX;
    for (bl_poller *p = svc->pollers; p; p = p->next)
        if (p->after < from)
            from = p->after;
    cJSON *all = NULL;
    if (bl_store_events(svc->store, from, WAKE_WINDOW, &all) != BL_OK)
        return;
    int full = cJSON_GetArraySize(all) == WAKE_WINDOW;
    bl_poller *p = svc->pollers;
    while (p) {
        bl_poller *next = p->next;
        cJSON *ev = cJSON_CreateArray();
        const cJSON *e;
        cJSON_ArrayForEach(e, all)
        {
            if (cJSON_GetArraySize(ev) >= p->limit)
                break;
            if (bl_json_num(e, "seq", 0) > (double)p->after)
                cJSON_AddItemToArray(ev, cJSON_Duplicate(e, 1));
        }
        if (cJSON_GetArraySize(ev) == 0 && full) { /* far behind the others (rare): a query of its own */
            cJSON_Delete(ev);
            ev = NULL;
            if (bl_store_events(svc->store, p->after, p->limit, &ev) != BL_OK)
                ev = cJSON_CreateArray();
        }
        if (cJSON_GetArraySize(ev) > 0 || closing) {
            poller_answer(p, ev);
            poller_remove(svc, p);
        } else {
            cJSON_Delete(ev);
        }
        p = next;
    }
    cJSON_Delete(all);
}

/* The client of a long poll left: forget the poll. */
static void on_poller_gone(bl_http_req *hr, void *ud)
{
    bl_poller *p = ud;
    p->svc->active_requests--;
    poller_remove(p->svc, p);
}

void bl_service_poll(bl_service *svc, const bl_req *req, int64_t after, int limit, int wait_s, const char *holder)
{
    bl_poller *p = calloc(1, sizeof *p);
    snprintf(p->holder, sizeof p->holder, "%s", holder ? holder : "");
    p->req = req->impl;
    p->after = after;
    p->limit = limit;
    p->svc = svc;
    uv_timer_init(svc->loop, &p->timer);
    p->timer.data = p;
    uv_timer_start(&p->timer, on_poll_timeout, (uint64_t)wait_s * 1000, 0);
    p->next = svc->pollers;
    svc->pollers = p;
    bl_http_on_cancel(req->impl, on_poller_gone, p);
}

int bl_service_polls(bl_service *svc, const char *holder)
{
    int n = 0;
    for (const bl_poller *p = svc->pollers; p; p = p->next)
        n += holder == NULL || strcmp(p->holder, holder) == 0;
    return n;
}

/* Policies: the directory changed ------------------------------------------------------------------- */

/* Reload after things settle (editors write in several steps). */
static void on_reload(uv_timer_t *t) { bl_service_reload(t->data, NULL); }

static void on_watch(uv_fs_event_t *w, const char *filename, int events, int status)
{
    server *s = w->data;
    if (filename && (filename[0] == '.' || strstr(filename, ".lua") == NULL))
        return; /* editor swap files, our own staging writes */
    uv_timer_start(&s->reload_timer, on_reload, 200, 0);
}

/* WAL checkpoints, off the loop thread (in a commit they would stall every request for ms) ------------ */

#define CKPT_IDLE_MS 2000 /* no commit for this long: the WAL is cut back to nothing */

static void ckpt_work(uv_work_t *w)
{
    server *s = w->data;
    if (s->ckpt_conn == NULL && bl_checkpointer_open(s->svc.db_path, &s->ckpt_conn, &s->ckpt_err) != BL_OK)
        return;
    bl_checkpointer_run(s->ckpt_conn, s->ckpt_truncate, &s->ckpt_frames, &s->ckpt_copied, &s->ckpt_err);
}

static void ckpt_done(uv_work_t *w, int status)
{
    server *s = w->data;
    s->ckpt_running = 0;
    s->svc.metrics.checkpoints++;
    if (s->ckpt_err) {
        bl_log(&s->svc, "warn", "%s", s->ckpt_err);
        free(s->ckpt_err);
        s->ckpt_err = NULL;
    }
}

static void on_ckpt_timer(uv_timer_t *t)
{
    server *s = t->data;
    if (s->ckpt_running || s->svc.store == NULL || s->memory_db)
        return;
    uint64_t idle_ms = (uv_hrtime() - s->last_commit_ns) / 1000000u;
    if (s->last_commit_ns == s->ckpt_commit_ns && s->ckpt_truncate)
        return; /* nothing written since the WAL was cut back */
    s->ckpt_truncate = idle_ms >= CKPT_IDLE_MS;
    s->ckpt_commit_ns = s->last_commit_ns;
    s->ckpt_running = 1;
    s->ckpt.data = s;
    uv_queue_work(s->svc.loop, &s->ckpt, ckpt_work, ckpt_done);
}

/* Retention: what the config's retention block no longer keeps is deleted, a few thousand rows at a
 * time inside the group commit's batch (never a long transaction), every minute while there is some. */
#define PRUNE_EVERY_MS 60000
#define PRUNE_STEP 2000

static void on_prune(uv_timer_t *t)
{
    server *s = t->data;
    bl_service *svc = &s->svc;
    const bl_retention *r = &svc->conf.retention;
    if (svc->stopping || (!r->history_versions && !r->decisions_days && !r->events_days && !r->timers_days))
        return;
    int64_t now = bl_clock_now_ms(), day = 86400000LL, deleted = 0;
    int more = 0;
    char *err = NULL;
    if (bl_service_batch(svc, &err) != BL_OK ||
        bl_store_prune(svc->store, r->history_versions, r->decisions_days ? now - r->decisions_days * day : 0,
                       r->events_days ? now - r->events_days * day : 0, r->timers_days ? now - r->timers_days * day : 0,
                       PRUNE_STEP, &deleted, &more) != BL_OK) {
        bl_log(svc, "error", "retention: %s", err ? err : bl_store_errmsg(svc->store));
        free(err);
        return;
    }
    svc->metrics.pruned += (uint64_t)deleted;
    if (more) /* a pass goes on, or more may be left: again soon, between other work */
        uv_timer_start(t, on_prune, 50, PRUNE_EVERY_MS);
}

/* Lifecycle ------------------------------------------------------------------------------------ */

/* After a failed commit the service is not ready until a commit succeeds: with no writes coming (a
 * balancer sends none to a service that is not ready), a small write every 2 s tries again. */
#define PROBE_EVERY_NS (2000 * 1000000LL)

static void probe_writes(server *s)
{
    bl_service *svc = &s->svc;
    int64_t now = (int64_t)uv_hrtime();
    if (svc->last_commit_error == NULL || svc->batch_open || svc->stopping || now - s->last_probe_ns < PROBE_EVERY_NS)
        return;
    s->last_probe_ns = now;
    char *err = NULL;
    if (bl_service_batch(svc, &err) != BL_OK || bl_store_touch(svc->store) != BL_OK) {
        free(err);
        return; /* the batch, if open, commits (or fails) at the end of this turn */
    }
    bl_service_flush(svc);
    if (svc->last_commit_error == NULL)
        bl_log(svc, "info", "the database takes writes again");
}

static void on_lag(uv_timer_t *t)
{
    server *s = t->data;
    probe_writes(s);
    int64_t now = (int64_t)uv_hrtime();
    double lag = s->lag_expect_ns ? (double)(now - s->lag_expect_ns) / 1e6 : 0;
    if (lag < 0)
        lag = 0;
    s->svc.metrics.loop_lag_ms = lag;
    if (lag > s->svc.metrics.loop_lag_max_ms)
        s->svc.metrics.loop_lag_max_ms = lag;
    s->lag_expect_ns = now + 100 * 1000000LL;
}

static void on_stop_tick(uv_timer_t *t)
{
    server *s = t->data;
    bl_service_flush(&s->svc);
    if (s->svc.active_requests > 0 || bl_pool_busy(s->svc.pool) > 0) /* in-flight requests finish first */
        return;
    uv_timer_stop(t);
    uv_stop(s->svc.loop);
}

static void on_signal(uv_signal_t *sig, int signum)
{
    server *s = sig->data;
    if (s->svc.stopping)
        return;
    s->svc.stopping = 1;
    bl_log(&s->svc, "info", "%s: no new connections; finishing %d request(s) in flight",
           signum == SIGINT ? "SIGINT" : "SIGTERM", s->svc.active_requests);
    bl_http_stop(s->http, NULL, NULL);
    wake_pollers(&s->svc, 1); /* long polls answer now with what there is */
    uv_timer_start(&s->stop_timer, on_stop_tick, 0, 10);
}

/* SIGHUP: the config file (and the token file) read again, what can change now applied, the policies
 * reloaded; what needs a restart is said. */
static void on_hup(uv_signal_t *sig, int signum)
{
    server *s = sig->data;
    bl_service *svc = &s->svc;
    bl_config fresh;
    char *err = NULL;
    if (bl_config_reload(&svc->conf, s->argc, s->argv, &s->base, &fresh, &err) != 0) {
        bl_log(svc, "error", "SIGHUP: the configuration is refused, the running one stays: %s", err);
        free(err);
        return;
    }
    bl_buf diff = {0};
    bl_config_diff(&svc->conf, &fresh, &diff);
    bl_config *c = &svc->conf;
    static const char *const restart_only[] = {"listen", "db", "policies", "scripts", "durability", "workers",
                                               "virtual_clock", "insecure_open", "max_connections",
                                               "max_per_client", "idle_timeout_s", "request_timeout_s",
                                               "indexes", "readers"};
    for (size_t i = 0; i < sizeof restart_only / sizeof restart_only[0]; i++)
        if (diff.data && strstr(diff.data, restart_only[i]))
            bl_log(svc, "warn", "SIGHUP: %s changes only at a restart", restart_only[i]);
    /* what changes now: tokens, logging, language, retention, limits, the backup directory */
    bl_token *old_tokens = c->tokens;
    int old_n = c->ntokens;
    c->tokens = fresh.tokens, c->ntokens = fresh.ntokens;
    fresh.tokens = old_tokens, fresh.ntokens = old_n;
    c->access_log = fresh.access_log;
    c->min_free_mb = fresh.min_free_mb;
    c->query_timeout_ms = fresh.query_timeout_ms;
    if (svc->readers)
        bl_readers_set_timeout(svc->readers, c->query_timeout_ms);
    c->retention = fresh.retention;
    char *t = c->log_format;
    c->log_format = fresh.log_format, fresh.log_format = t;
    t = c->lang;
    c->lang = fresh.lang, fresh.lang = t;
    t = c->backup_dir;
    c->backup_dir = fresh.backup_dir, fresh.backup_dir = t;
    svc->log_json = log_json_mode = strcmp(c->log_format, "json") == 0;
    int limits_changed = memcmp(&c->limits, &fresh.limits, sizeof c->limits) != 0;
    c->budget = fresh.budget, c->timeout_ms = fresh.timeout_ms, c->memory_mb = fresh.memory_mb;
    c->test_timeout_ms = fresh.test_timeout_ms, c->limits = fresh.limits;
    svc->cfg.limits = c->limits;
    bl_config_free(&fresh);
    bl_log(svc, "info", "SIGHUP: configuration read again: %s", diff.len ? diff.data : "nothing changed");
    bl_buf_free(&diff);
    if (limits_changed && svc->active.set_dir) { /* workers with the new limits, on the same policies */
        bl_pool_set_limits(svc->pool, c->limits);
        bl_pool_load(svc->pool, svc->active.set_dir, svc->cfg.policy_dir);
    }
    bl_service_reload(svc, NULL);
}

/* Options and config --------------------------------------------------------------------------- */

/* Worker processes -------------------------------------------------------------------------------- */

static int pool_read(void *ud, const cJSON *req, cJSON **answer, char **err)
{
    return bl_reads_answer(((bl_service *)ud)->store, req, answer, err);
}

static void pool_policy_log(void *ud, const cJSON *line)
{
    const char *level = bl_json_str(line, "level");
    bl_log(ud, level && strcmp(level, "warn") == 0 ? "warn" : "info", "policy=%s at=%s: %s",
           bl_json_str(line, "policy") ? bl_json_str(line, "policy") : "-",
           bl_json_str(line, "where") ? bl_json_str(line, "where") : "?",
           bl_json_str(line, "msg") ? bl_json_str(line, "msg") : "");
}

static void pool_log(void *ud, const char *level, const char *msg) { bl_log(ud, level, "%s", msg); }

static bl_service *store_log_svc;
static void store_log(const char *msg) { bl_log(store_log_svc, "info", "%s", msg); }

static void pool_ready(void *ud, const cJSON *info)
{
    bl_service *svc = ud;
    const char *errors = bl_json_str(info, "errors");
    if (errors) {
        bl_log(svc, "error", "a worker process cannot load the active policies: %s", errors);
        return;
    }
    bl_service_timers(svc); /* deadlines wait for the workers */
}

static void on_started(bl_service *svc, int ok, const char *err)
{
    server *s = server_of(svc);
    s->started = ok ? 1 : -1;
    if (!ok)
        fprintf(stderr, "bylaw serve: %s\n", err ? err : "the policies do not load");
}

/* A private directory for the policy sets' copies, the worker processes, and the first set, validated
 * (loaded and tested in a worker) before the service listens. Returns 0, or -1 after saying why. */
static int start_workers(server *s)
{
    bl_service *svc = &s->svc;
    const char *tmp = getenv("TMPDIR");
    char *dir = bl_strdupf("%s/bylaw-sets-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (mkdtemp(dir) == NULL) { /* no temporary directory (a chroot): beside the database then */
        char *db = bl_strdupf("%s", svc->db_path), *slash = strrchr(db, '/');
        free(dir);
        dir = bl_strdupf("%s/.bylaw-sets-XXXXXX", slash ? (*slash = '\0', db[0] ? db : "/") : ".");
        free(db);
        if (mkdtemp(dir) == NULL) {
            fprintf(stderr, "bylaw serve: cannot make a directory for copies of the policy sets (%s): %s\n", dir,
                    strerror(errno));
            free(dir);
            return -1;
        }
    }
    svc->sets_dir = dir;
    if ((s->exe = bl_self_exe()) == NULL) {
        fprintf(stderr, "bylaw serve: cannot find its own program (/proc/self/exe, argv[0]) to start its workers\n");
        return -1;
    }
    bl_pool_config pc = {
        .loop = svc->loop, .exe = s->exe, .scripts_dir = svc->cfg.scripts_dir, .limits = svc->cfg.limits,
        .workers = s->workers, .ud = svc, .read = pool_read, .policy_log = pool_policy_log, .log = pool_log,
        .ready = pool_ready,
    };
    svc->pool = bl_pool_new(&pc);
    bl_dispatch_init(svc);
    bl_reload_init(svc);
    bl_jobs_init(svc);
    bl_service_reload(svc, on_started);
    while (s->started == 0)
        uv_run(svc->loop, UV_RUN_ONCE);
    return s->started > 0 ? 0 : -1;
}

static void on_pool_closed(void *ud) { ((server *)ud)->pool_closed = 1; }

/* Ends the workers and removes the sets' directory. */
/* The configured field indexes (made or dropped now, before the service listens: over many records this
 * takes a while, and says so), then the reader threads that answer lists and queries off the loop. */
static int open_readers(server *s)
{
    bl_service *svc = &s->svc;
    bl_index_list l;
    char *err = NULL, *said = NULL;
    if (bl_config_indexes(svc->conf.indexes, &l, &err) != 0) { /* (checked when the settings were read) */
        fprintf(stderr, "bylaw serve: %s\n", err);
        free(err);
        return -1;
    }
    int rc = bl_store_readonly(svc->store)
                 ? BL_OK
                 : bl_store_indexes(svc->store, (const char *const *)l.types, l.fields, l.n, &said);
    bl_config_indexes_free(&l);
    if (rc != BL_OK) {
        fprintf(stderr, "bylaw serve: %s\n", bl_store_errmsg(svc->store));
        return -1;
    }
    if (said)
        bl_log(svc, "info", "indexes: %s", said);
    free(said);
    if (s->memory_db)
        return 0; /* (an in-memory database has no other connections: lists run on the loop) */
    svc->readers = bl_readers_open(svc->loop, svc->db_path, (int)svc->conf.readers, svc->conf.query_timeout_ms, &err);
    if (svc->readers == NULL) {
        fprintf(stderr, "bylaw serve: %s\n", err);
        free(err);
        return -1;
    }
    return 0;
}

static void stop_workers(server *s)
{
    bl_service *svc = &s->svc;
    svc->stopping = 1; /* nothing new is handed to the workers */
    bl_jobs_close(svc);
    if (svc->dispatch)
        bl_dispatch_stop(svc);
    if (svc->pool) { /* what they still do answers now (a validation too), then they are gone */
        bl_pool_close(svc->pool, on_pool_closed, s);
        while (!s->pool_closed)
            uv_run(svc->loop, UV_RUN_ONCE);
        svc->pool = NULL;
    }
    if (svc->dispatch)
        bl_dispatch_close(svc);
    if (svc->reload)
        bl_reload_close(svc);
    bl_readers_close(svc->readers);
    svc->readers = NULL;
    uv_run(svc->loop, UV_RUN_DEFAULT); /* the handles' close callbacks */
    if (svc->sets_dir)
        bl_remove_tree(svc->sets_dir);
    free(svc->sets_dir);
    svc->sets_dir = NULL;
    free(s->exe);
    s->exe = NULL;
}

/* Safety rails --------------------------------------------------------------------------------------- */

static int loopback_host(const char *host)
{
    return strcmp(host, "localhost") == 0 || strncmp(host, "127.", 4) == 0 || strcmp(host, "::1") == 0;
}

/* One service per database: DB.lock (core/store.c). */
static int lock_db(server *s, const char *db, const char *listen)
{
    char who[300], *err = NULL;
    snprintf(who, sizeof who, "bylaw serve, pid %ld, listening on %s", (long)getpid(), listen);
    if (bl_store_lock(db, who, &s->lock_fd, &err) != BL_OK) {
        fprintf(stderr, "bylaw serve: %s\n", err);
        free(err);
        return -1;
    }
    return 0;
}

static void unlock_db(server *s)
{
    bl_store_unlock(s->svc.db_path, s->lock_fd);
    s->lock_fd = -1;
}

/* A warning when a file that holds people's data or tokens can be read by other users. */
static void warn_readable(bl_service *svc, const char *path, const char *why)
{
    struct stat st;
    if (stat(path, &st) == 0 && (st.st_mode & 077))
        bl_log(svc, "warn", "%s can be read by other users of this machine (mode %04o) and %s: chmod 600 %s", path,
               (unsigned)(st.st_mode & 0777), why, path);
}

int bl_serve_main(int argc, char **argv, const bl_host_config *base)
{
    static server srv;
    server *s = &srv;
    bl_service *svc = &s->svc;
    svc->waiting_tail = &svc->waiting;
    s->lock_fd = -1;
    s->argc = argc, s->argv = argv, s->base = *base;
    bl_config *conf = &svc->conf;
    int check_only = 0;
    char *cerr = NULL;
    int crc = bl_config_load(conf, argc, argv, base, &check_only, &cerr);
    if (crc != 0) {
        if (cerr)
            fprintf(stderr, "bylaw serve: %s\n", cerr);
        free(cerr);
        bl_config_free(conf);
        return crc == 1 ? 0 : 2;
    }
    svc->log_json = log_json_mode = strcmp(conf->log_format, "json") == 0;
    svc->cfg = *base;
    svc->cfg.policy_dir = conf->policies;
    svc->cfg.scripts_dir = conf->scripts;
    svc->cfg.limits = conf->limits;
    s->workers = (int)conf->workers;
    s->insecure_open = svc->insecure_open = conf->insecure_open != 0;
    char host[256];
    int port;
    char *lerr = NULL;
    if (bl_http_split_listen(conf->listen, host, sizeof host, &port, &lerr) != BL_OK) {
        fprintf(stderr, "bylaw serve: listen: %s\n", lerr);
        free(lerr);
        bl_config_free(conf);
        return 2;
    }
    if (check_only) {
        char *d = bl_config_describe(conf);
        printf("%s\n", d);
        free(d);
        fprintf(stderr, "bylaw serve: the configuration is valid\n");
        bl_config_free(conf);
        return 0;
    }
    struct {
        const char *listen, *db, *durability;
    } st = {conf->listen, conf->db, conf->durability};
    const char *o_vclock = conf->virtual_clock, *config = conf->config;

    if (conf->ntokens == 0 && !s->insecure_open && !loopback_host(host)) {
        fprintf(stderr, "bylaw serve: without tokens (open mode) every client may do anything, so the service "
                        "listens on loopback only; --listen %s needs tokens in the config file (or "
                        "--insecure-open, if something else guards the port)\n", st.listen);
        return 2;
    }
    umask(0077); /* the database holds people's records: created for this user only */
    svc->db_path = bl_strdupf("%s", st.db);
    char *err = NULL;
    if (strcmp(st.db, ":memory:") != 0 && lock_db(s, st.db, st.listen) != 0)
        return 1;
    store_log_svc = svc;
    bl_store_set_log(store_log);
    if (bl_store_open(st.db, &svc->store, &err) != BL_OK) {
        fprintf(stderr, "bylaw serve: %s\n", err);
        free(err);
        return 1;
    }
    warn_readable(svc, st.db, "it holds every record");
    if (bl_store_readonly(svc->store))
        bl_log(svc, "error", "%s is read-only for this user: the service answers reads, and every write fails (503) "
                             "until the file and its directory are writable and the service restarts", st.db);
    if (config)
        warn_readable(svc, config, "it may hold tokens");
    s->durable = strcmp(st.durability, "full") == 0;
    s->memory_db = strcmp(st.db, ":memory:") == 0;
    s->wal_fd = -1;
    s->next_sync_tail = &s->next_sync;
    bl_store_set_durable(svc->store, 0); /* durability comes from the fsync after each group commit */
    bl_store_autocheckpoint(svc->store, 0);
    svc->loop = uv_default_loop();
    signal(SIGPIPE, SIG_IGN);
    if (open_readers(s) != 0) {
        bl_store_close(svc->store);
        return 1;
    }
    if (start_workers(s) != 0) {
        stop_workers(s);
        bl_store_close(svc->store);
        return 1;
    }
    if (o_vclock) {
        int64_t start;
        char *verr = NULL;
        if (bl_cal_time_parse(svc->active.zone, o_vclock, &start, &verr) != BL_OK) {
            fprintf(stderr, "bylaw serve: --virtual-clock: %s\n", verr);
            free(verr);
            stop_workers(s);
            bl_store_close(svc->store);
            return 2;
        }
        bl_clock_set_virtual(start);
        svc->virtual_clock = 1;
    }
    bl_http_config hc = {.max_connections = (unsigned)conf->max_connections,
                         .max_per_client = (unsigned)conf->max_per_client,
                         .idle_timeout_s = (unsigned)conf->idle_timeout_s,
                         .request_timeout_s = (unsigned)conf->request_timeout_s, .log = on_http_log,
                         .on_response = on_http_response};
    if (bl_http_start(svc->loop, host, port, &hc, on_http, s, &s->http, &err) != BL_OK) {
        fprintf(stderr, "bylaw serve: cannot listen on %s: %s\n", st.listen, err);
        free(err);
        stop_workers(s);
        bl_store_close(svc->store);
        return 1;
    }
    uv_timer_init(svc->loop, &s->reload_timer);
    s->reload_timer.data = svc;
    uv_timer_init(svc->loop, &s->lag_timer);
    s->lag_timer.data = s;
    bl_gauges_start(svc);
    uv_timer_init(svc->loop, &s->stop_timer);
    s->stop_timer.data = s;
    uv_timer_init(svc->loop, &s->ckpt_timer);
    s->ckpt_timer.data = s;
    uv_timer_start(&s->ckpt_timer, on_ckpt_timer, 500, 500);
    uv_timer_init(svc->loop, &s->prune_timer);
    s->prune_timer.data = s;
    uv_timer_start(&s->prune_timer, on_prune, 5000, PRUNE_EVERY_MS);
    uv_timer_start(&s->lag_timer, on_lag, 100, 100);
    uv_idle_init(svc->loop, &s->idle);
    uv_timer_init(svc->loop, &s->batch_timer);
    s->batch_timer.data = svc;
    uv_check_init(svc->loop, &s->check);
    s->check.data = svc;
    uv_check_start(&s->check, on_check);
    uv_signal_init(svc->loop, &s->sigint);
    uv_signal_init(svc->loop, &s->sigterm);
    uv_signal_init(svc->loop, &s->sighup);
    s->sigint.data = s->sigterm.data = s->sighup.data = s;
    uv_signal_start(&s->sighup, on_hup, SIGHUP);
    uv_signal_start(&s->sigint, on_signal, SIGINT);
    uv_signal_start(&s->sigterm, on_signal, SIGTERM);
    uv_fs_event_init(svc->loop, &s->watch);
    s->watch.data = s;
    if (uv_fs_event_start(&s->watch, on_watch, svc->cfg.policy_dir, 0) != 0)
        bl_log(svc, "warn", "cannot watch %s: edits need a restart or PUT /policies", svc->cfg.policy_dir);
    bl_log(svc, "info", "bylaw %s serving http://%s:%d (db %s, durability %s, policies %s)", BL_VERSION, host,
           bl_http_port(s->http), st.db, st.durability, svc->cfg.policy_dir);
    if (conf->ntokens == 0)
        bl_log(svc, "warn", "NO TOKENS CONFIGURED: open mode. Every client has every role; only loopback clients "
                            "are served. Add tokens with --config to serve other hosts.");
    int64_t missed = -1;
    if (bl_store_timer_next(svc->store, &missed) == BL_OK && missed >= 0 && missed <= bl_clock_now_ms())
        bl_log(svc, "info", "deadlines fell due while the service was down: firing them now, oldest first");
    bl_service_timers(svc);
    uv_run(svc->loop, UV_RUN_DEFAULT);

    /* stopped: answer what is left, commit, close */
    bl_service_flush(svc);
    bl_http_free(s->http); /* cancels what is still held (pollers remove themselves); ends in close callbacks */
    uv_close((uv_handle_t *)&s->reload_timer, NULL);
    uv_close((uv_handle_t *)&s->lag_timer, NULL);
    bl_gauges_stop(svc);
    uv_close((uv_handle_t *)&s->stop_timer, NULL);
    uv_close((uv_handle_t *)&s->ckpt_timer, NULL);
    uv_close((uv_handle_t *)&s->prune_timer, NULL);
    uv_close((uv_handle_t *)&s->check, NULL);
    uv_close((uv_handle_t *)&s->idle, NULL);
    uv_close((uv_handle_t *)&s->batch_timer, NULL);
    uv_close((uv_handle_t *)&s->sigint, NULL);
    uv_close((uv_handle_t *)&s->sigterm, NULL);
    uv_close((uv_handle_t *)&s->sighup, NULL);
    uv_close((uv_handle_t *)&s->watch, NULL);
    stop_workers(s);
    uv_loop_close(svc->loop);
    if (s->wal_fd >= 0)
        close(s->wal_fd);
    bl_checkpointer_close(s->ckpt_conn);
    bl_store_close(svc->store); /* checkpoints the WAL */
    unlock_db(s);
    free(svc->db_path);
    free(svc->pending_error);
    free(svc->last_commit_error);
    bl_metrics_free(&svc->metrics);
    bl_config_free(conf);
    bl_log(NULL, "info", "stopped");
    return 0;
}
