/* pool.c — the service's worker processes (pool.h): spawning (`bylaw __worker` with a socket pair on
 * fd 3), the queue of jobs and their keys, answering the workers' reads, killing a worker whose job
 * passed its limit, and replacing workers that end. Everything runs on the service's loop thread. */
#include "pool.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "wire.h"

#define TICK_MS 50            /* how often busy workers are checked against their job's limit */
#define BACKOFF_MS 1000       /* a worker that cannot start is tried again after this, doubling... */
#define BACKOFF_MAX_MS 30000  /* ...up to this */
#define LIMIT_GRACE_MS 1000   /* a job's default limit: the policy timeout and this much more */
#define DEPTH 8               /* jobs sent to one worker ahead of its answers: it never waits for the loop */

enum { W_STARTING, W_IDLE, W_BUSY };

typedef struct wproc wproc;
struct wproc {
    bl_pool *p;
    uv_process_t proc;
    uv_pipe_t pipe;
    bl_wire_dec dec;
    bl_buf out;        /* frames not yet written */
    unsigned gen;      /* the set it was started for */
    int state;         /* W_* */
    int validate;      /* a one-shot validation */
    int retiring;      /* takes no new job: quits after the one it has */
    int bye;           /* said it ends after its last answer: replaced, its other jobs go back to the queue */
    bl_pool_job *first, *last; /* the jobs sent to it, in order: it runs the first */
    int njobs;
    uint64_t sent_ns;  /* when the first began (was sent, or the one before it answered) */
    int64_t limit_ms;  /* the first's */
    int killed;        /* by the pool, at the job's limit */
    char *stuck;       /* what its STUCK frame said */
    int loaded;        /* sent a READY without errors */
    int exited, eof, finalized, handles;
    int64_t exit_status;
    int term_signal;
    void (*vcb)(void *ud, const cJSON *result, const char *error);
    void *vud;
    cJSON *vresult;
    wproc *next;
};

/* The keys of the jobs running now: a small open-addressing hash set of strings. */
typedef struct keyset {
    char **slot; /* NULL empty, TOMB deleted */
    size_t cap, used, live;
} keyset;
static char TOMB_[1];
#define TOMB TOMB_

struct bl_pool {
    bl_pool_config cfg;
    char *set_dir, *display_dir;
    unsigned gen;
    int ready;
    wproc *procs;
    bl_pool_job *head, **tail;
    int queued, running;
    keyset keys;
    uv_timer_t tick;
    int pumping, repump;
    bl_buf frame;
    char rbuf[65536];
    bl_pool_stats stats;
    int64_t backoff_ms, respawn_at_ms; /* a worker of the current set failed to start: try again then */
    int closing, tick_closed, allocated; /* wprocs not yet freed */
    void (*done)(void *);
    void *done_ud;
};

/* Keys ------------------------------------------------------------------------------------------- */

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static size_t key_find(const keyset *k, const char *s)
{
    if (k->cap == 0)
        return (size_t)-1;
    for (size_t i = hash_str(s) & (k->cap - 1);; i = (i + 1) & (k->cap - 1)) {
        if (k->slot[i] == NULL)
            return (size_t)-1;
        if (k->slot[i] != TOMB && strcmp(k->slot[i], s) == 0)
            return i;
    }
}

static int key_has(const keyset *k, const char *s) { return key_find(k, s) != (size_t)-1; }

static void key_add(keyset *k, const char *s)
{
    if ((k->used + 1) * 2 > k->cap) { /* rehash, dropping tombstones */
        size_t cap = k->cap ? k->cap : 64;
        while ((k->live + 1) * 2 > cap)
            cap *= 2;
        char **old = k->slot;
        size_t oldcap = k->cap;
        k->slot = calloc(cap, sizeof *k->slot);
        k->cap = cap;
        k->used = k->live;
        for (size_t i = 0; i < oldcap; i++) {
            if (old[i] == NULL || old[i] == TOMB)
                continue;
            size_t j = hash_str(old[i]) & (cap - 1);
            while (k->slot[j])
                j = (j + 1) & (cap - 1);
            k->slot[j] = old[i];
        }
        free(old);
    }
    size_t i = hash_str(s) & (k->cap - 1);
    while (k->slot[i] && k->slot[i] != TOMB)
        i = (i + 1) & (k->cap - 1);
    if (k->slot[i] == NULL)
        k->used++;
    k->slot[i] = bl_strdupf("%s", s);
    k->live++;
}

static void key_del(keyset *k, const char *s)
{
    size_t i = key_find(k, s);
    if (i == (size_t)-1)
        return;
    free(k->slot[i]);
    k->slot[i] = TOMB;
    k->live--;
}

static void key_free(keyset *k)
{
    for (size_t i = 0; i < k->cap; i++)
        if (k->slot[i] != TOMB)
            free(k->slot[i]);
    free(k->slot);
    memset(k, 0, sizeof *k);
}

/* Messages ---------------------------------------------------------------------------------------- */

static void logf_(bl_pool *p, const char *level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void logf_(bl_pool *p, const char *level, const char *fmt, ...)
{
    if (p->cfg.log == NULL)
        return;
    va_list ap;
    va_start(ap, fmt);
    char *msg = bl_vstrdupf(fmt, ap);
    va_end(ap);
    p->cfg.log(p->cfg.ud, level, msg);
    free(msg);
}

/* {"rc":rc,"error":msg} handed to finish. */
static void finish_fail(bl_pool_job *j, int rc, const char *msg)
{
    cJSON *o = cJSON_CreateObject();
    bl_json_add_num(o, "rc", rc);
    bl_json_add_str(o, "error", msg);
    char *s = bl_json_dump(o);
    cJSON_Delete(o);
    j->finish(j, BL_WIRE_FAIL, s, strlen(s));
    free(s);
}

/* Writing to a worker ------------------------------------------------------------------------------- */

typedef struct wreq {
    uv_write_t req;
    size_t len;
    char data[];
} wreq;

static void on_written(uv_write_t *req, int status)
{
    (void)status; /* a worker that is gone is noticed by its pipe and its exit */
    free(req);
}

/* Sends what w->out holds: what the socket does not take at once is copied and queued. */
static void flush_out(wproc *w)
{
    if (w->out.len == 0)
        return;
    uv_buf_t b = uv_buf_init(w->out.data, (unsigned)w->out.len);
    int n = uv_try_write((uv_stream_t *)&w->pipe, &b, 1);
    size_t done = n > 0 ? (size_t)n : 0;
    if (done < w->out.len && (n >= 0 || n == UV_EAGAIN)) {
        wreq *r = bl_xmalloc(sizeof *r + w->out.len - done);
        r->len = w->out.len - done;
        memcpy(r->data, w->out.data + done, r->len);
        uv_buf_t rest = uv_buf_init(r->data, (unsigned)r->len);
        if (uv_write(&r->req, (uv_stream_t *)&w->pipe, &rest, 1, on_written) != 0)
            free(r);
    } /* else: sent, or the worker is gone (its pipe and exit say so) */
    w->out.len = 0;
}

/* Queues one frame for w; flush_out sends the frames of a pump in one write (one wake-up of the worker). */
static void send_frame(wproc *w, int type, const char *body, size_t len)
{
    char hdr[BL_WIRE_HEADER];
    bl_wire_header(hdr, type, len);
    bl_buf_add(&w->out, hdr, sizeof hdr);
    bl_buf_add(&w->out, body, len);
}

static void send_json(wproc *w, int type, cJSON *o)
{
    char *s = bl_json_dump(o);
    send_frame(w, type, s, strlen(s));
    free(s);
    cJSON_Delete(o);
    flush_out(w); /* an answer to a read: the worker waits for it */
}

/* Tells a worker there is nothing more: it reads the end of its input and exits. */
static void on_shutdown(uv_shutdown_t *req, int status)
{
    (void)status;
    free(req);
}

static void retire(wproc *w)
{
    if (w->retiring)
        return;
    w->retiring = 1;
    uv_shutdown_t *req = bl_xmalloc(sizeof *req);
    if (uv_shutdown(req, (uv_stream_t *)&w->pipe, on_shutdown) != 0)
        free(req);
}

/* Dispatching ------------------------------------------------------------------------------------- */

static void tick_start(bl_pool *p);

static int64_t mono_ms(void) { return (int64_t)(uv_hrtime() / 1000000u); }

/* The limit of w's first job starts now. */
static void first_begins(wproc *w)
{
    w->sent_ns = uv_hrtime();
    if (w->first)
        w->limit_ms = w->first->limit_ms > 0 ? w->first->limit_ms : w->p->cfg.limits.timeout_ms + LIMIT_GRACE_MS;
}

/* Gives queued jobs whose key is free to the workers of the current set, up to DEPTH each. */
static void pump(bl_pool *p)
{
    if (p->pumping) {
        p->repump = 1;
        return;
    }
    p->pumping = 1;
    do {
        p->repump = 0;
        for (wproc *w = p->procs; w && p->head; w = w->next) {
            while (w->state != W_STARTING && w->njobs < DEPTH && !w->validate && !w->retiring && w->gen == p->gen &&
                   p->head) {
                bl_pool_job **pp = &p->head, *j;
                while ((j = *pp) != NULL && j->key && key_has(&p->keys, j->key))
                    pp = &j->next;
                if (j == NULL)
                    break;
                *pp = j->next;
                if (p->tail == &j->next)
                    p->tail = pp;
                j->next = NULL;
                j->queued = 0;
                p->queued--;
                if (j->key)
                    key_add(&p->keys, j->key);
                p->frame.len = 0;
                int type = j->prepare(j, &p->frame);
                if (type == 0) { /* nothing to send: the job is over */
                    if (j->key)
                        key_del(&p->keys, j->key);
                    p->running--;
                    continue;
                }
                send_frame(w, type, p->frame.data ? p->frame.data : "", p->frame.len);
                if (w->last)
                    w->last->next = j;
                else
                    w->first = j;
                w->last = j;
                if (w->njobs++ == 0)
                    first_begins(w);
                w->state = W_BUSY;
                p->stats.jobs++;
                tick_start(p);
            }
        }
    } while (p->repump);
    for (wproc *w = p->procs; w; w = w->next)
        flush_out(w);
    p->pumping = 0;
}

void bl_pool_submit(bl_pool *p, bl_pool_job *j)
{
    j->next = NULL;
    j->queued = 1;
    *p->tail = j;
    p->tail = &j->next;
    p->queued++;
    p->running++;
    if (p->closing) {
        bl_pool_job *only = j; /* fails at once: nothing runs any more */
        p->head = NULL, p->tail = &p->head, p->queued = 0;
        p->running--;
        finish_fail(only, BL_ERR, "the service is stopping");
        return;
    }
    pump(p);
}

/* The first job of w is over: its key is free, the next one begins (or w quits, if retiring). */
static bl_pool_job *job_done(wproc *w)
{
    bl_pool *p = w->p;
    bl_pool_job *j = w->first;
    if (j == NULL)
        return NULL;
    w->first = j->next;
    if (w->first == NULL)
        w->last = NULL;
    j->next = NULL;
    w->njobs--;
    if (w->njobs == 0)
        w->state = W_IDLE;
    else
        first_begins(w);
    if (j->key)
        key_del(&p->keys, j->key);
    p->running--;
    if (w->njobs == 0 && (w->retiring || (w->gen != p->gen && !w->validate)))
        retire(w);
    return j;
}

/* The jobs w was sent but never began go back to the front of the queue, in their order. */
static void requeue(wproc *w)
{
    bl_pool *p = w->p;
    bl_pool_job *rest = w->first;
    w->first = w->last = NULL;
    w->njobs = 0;
    if (rest == NULL)
        return;
    bl_pool_job *end = rest;
    for (bl_pool_job *j = rest; j; j = j->next) {
        if (j->key)
            key_del(&p->keys, j->key);
        j->queued = 1;
        p->queued++;
        end = j;
    }
    end->next = p->head;
    if (p->head == NULL)
        p->tail = &end->next;
    p->head = rest;
}

/* Frames from a worker ----------------------------------------------------------------------------- */

static void on_frame(wproc *w, int type, const char *body, size_t len)
{
    bl_pool *p = w->p;
    char perr[200];
    if (type == BL_WIRE_RESULT || type == BL_WIRE_FAIL) {
        if (w->validate) {
            cJSON_Delete(w->vresult);
            w->vresult = type == BL_WIRE_RESULT ? bl_json_parse(body, len, perr, sizeof perr) : NULL;
            return;
        }
        bl_pool_job *j = job_done(w);
        if (j) {
            if (type == BL_WIRE_FAIL)
                p->stats.failed++;
            j->finish(j, type, body, len);
        }
        pump(p);
        return;
    }
    cJSON *o = bl_json_parse(body, len, perr, sizeof perr);
    if (o == NULL) {
        logf_(p, "error", "a worker process sent a broken message (%s): it is replaced", perr);
        uv_process_kill(&w->proc, SIGKILL);
        return;
    }
    switch (type) {
    case BL_WIRE_READ: {
        cJSON *answer = NULL;
        char *err = NULL;
        int rc = p->cfg.read ? p->cfg.read(p->cfg.ud, o, &answer, &err) : BL_ERR;
        if (rc == BL_OK) {
            send_json(w, BL_WIRE_ANSWER, answer);
        } else {
            cJSON *f = cJSON_CreateObject();
            bl_json_add_num(f, "rc", rc);
            bl_json_add_str(f, "error", err ? err : "reads are not available");
            send_json(w, BL_WIRE_REFUSE, f);
        }
        free(err);
        break;
    }
    case BL_WIRE_LOG:
        if (p->cfg.policy_log)
            p->cfg.policy_log(p->cfg.ud, o);
        break;
    case BL_WIRE_READY:
        if (cJSON_GetObjectItemCaseSensitive(o, "errors") == NULL) {
            w->loaded = 1;
            w->state = W_IDLE;
            p->backoff_ms = 0;
            if (w->gen == p->gen && !p->ready) {
                p->ready = 1;
                if (p->cfg.ready)
                    p->cfg.ready(p->cfg.ud, o);
            }
            if (w->gen != p->gen)
                retire(w);
            pump(p);
        } else if (w->gen == p->gen && p->cfg.ready) {
            p->cfg.ready(p->cfg.ud, o); /* the service says why; the worker exits by itself */
        }
        break;
    case BL_WIRE_BYE:
        w->bye = w->retiring = 1;
        requeue(w);
        pump(p);
        break;
    case BL_WIRE_STUCK:
        free(w->stuck);
        w->stuck = bl_strdupf("%s", bl_json_str(o, "error") ? bl_json_str(o, "error") : "stuck");
        break;
    default:
        logf_(p, "error", "a worker process sent a message of unknown type %d: it is replaced", type);
        uv_process_kill(&w->proc, SIGKILL);
        break;
    }
    cJSON_Delete(o);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)suggested;
    wproc *w = h->data;
    *buf = uv_buf_init(w->p->rbuf, sizeof w->p->rbuf);
}

static void finalize(wproc *w);

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    wproc *w = s->data;
    if (n > 0) {
        bl_wire_feed(&w->dec, buf->base, (size_t)n);
        int type;
        const char *body;
        size_t len;
        while (!w->eof && bl_wire_next(&w->dec, &type, &body, &len))
            on_frame(w, type, body, len);
        if (w->dec.broken) {
            logf_(w->p, "error", "a worker process sent a message larger than the limit: it is replaced");
            uv_process_kill(&w->proc, SIGKILL);
        }
        return;
    }
    if (n < 0) {
        uv_read_stop(s);
        w->eof = 1;
        finalize(w);
    }
}

/* Workers starting and ending ---------------------------------------------------------------------- */

static void on_exit_(uv_process_t *proc, int64_t status, int term_signal)
{
    wproc *w = proc->data;
    w->exited = 1;
    w->exit_status = status;
    w->term_signal = term_signal;
    finalize(w);
}

static wproc *spawn(bl_pool *p, int validate, const char *set_dir, const char *display_dir);

/* After bl_pool_close: the pool goes when its last worker and its tick are closed. */
static void maybe_free(bl_pool *p)
{
    if (!p->closing || p->allocated > 0 || !p->tick_closed)
        return;
    void (*done)(void *) = p->done;
    void *ud = p->done_ud;
    free(p);
    if (done)
        done(ud);
}

static void on_handle_closed(uv_handle_t *h)
{
    wproc *w = h->data;
    if (--w->handles > 0)
        return;
    bl_pool *p = w->p;
    bl_wire_dec_free(&w->dec);
    bl_buf_free(&w->out);
    free(w->stuck);
    cJSON_Delete(w->vresult);
    free(w);
    p->allocated--;
    maybe_free(p);
}

static void on_tick_closed(uv_handle_t *h)
{
    bl_pool *p = h->data;
    p->tick_closed = 1;
    maybe_free(p);
}

/* Why the job of a worker that ended did not finish. */
static char *death_reason(const wproc *w)
{
    if (w->stuck)
        return bl_strdupf("%s; its worker process was stopped and replaced, nothing was stored", w->stuck);
    if (w->killed)
        return bl_strdupf("the evaluation ran past its limit of %lld ms and its worker process was stopped and "
                          "replaced (a policy stuck inside a library call?); nothing was stored",
                          (long long)w->limit_ms);
    if (w->term_signal)
        return bl_strdupf("the worker process evaluating it ended on signal %d (%s); it was replaced, nothing was "
                          "stored", w->term_signal, strsignal(w->term_signal));
    return bl_strdupf("the worker process evaluating it ended (exit status %lld); it was replaced, nothing was "
                      "stored", (long long)w->exit_status);
}

/* Once a worker has both exited and closed its socket: fail its job, report a validation, replace it. */
static void finalize(wproc *w)
{
    if (!w->exited || !w->eof || w->finalized)
        return;
    w->finalized = 1;
    bl_pool *p = w->p;
    for (wproc **pp = &p->procs; *pp; pp = &(*pp)->next)
        if (*pp == w) {
            *pp = w->next;
            break;
        }
    p->stats.workers--;
    int in_flight = w->first != NULL || (w->validate && w->vresult == NULL);
    if (in_flight) {
        if (w->killed)
            p->stats.killed++;
        else
            p->stats.died++;
    }
    if (w->first) {
        char *why = death_reason(w);
        if (!w->killed && !w->stuck)
            logf_(p, "error", "%s", why);
        w->retiring = 1; /* no job of its own comes back to it */
        bl_pool_job *j = job_done(w);
        requeue(w); /* the ones after it never began */
        p->stats.failed++;
        finish_fail(j, BL_ERR, why);
        free(why);
    }
    if (w->validate && w->vcb) {
        char *why = w->vresult ? NULL : death_reason(w);
        w->vcb(w->vud, w->vresult, why);
        free(why);
    }
    int replace = !w->validate && (!w->retiring || w->bye || in_flight) && w->gen == p->gen && !p->closing;
    if (replace && !w->loaded) { /* it could not start: try again later, less often */
        p->backoff_ms = p->backoff_ms ? p->backoff_ms * 2 : BACKOFF_MS;
        if (p->backoff_ms > BACKOFF_MAX_MS)
            p->backoff_ms = BACKOFF_MAX_MS;
        p->respawn_at_ms = mono_ms() + p->backoff_ms;
        tick_start(p);
    } else if (replace) {
        spawn(p, 0, p->set_dir, p->display_dir);
    }
    uv_close((uv_handle_t *)&w->proc, on_handle_closed);
    uv_close((uv_handle_t *)&w->pipe, on_handle_closed);
    pump(p);
}

static wproc *spawn(bl_pool *p, int validate, const char *set_dir, const char *display_dir)
{
    wproc *w = calloc(1, sizeof *w);
    p->allocated++;
    w->p = p;
    w->gen = p->gen;
    w->validate = validate;
    w->state = W_STARTING;
    uv_pipe_init(p->cfg.loop, &w->pipe, 0);
    w->pipe.data = w;
    w->proc.data = w;
    char budget[32], timeout[32], memory[32], tests[32];
    snprintf(tests, sizeof tests, "%d", p->cfg.limits.test_timeout_ms);
    snprintf(budget, sizeof budget, "%lld", p->cfg.limits.budget);
    snprintf(timeout, sizeof timeout, "%d", p->cfg.limits.timeout_ms);
    snprintf(memory, sizeof memory, "%zu", p->cfg.limits.memory >> 20);
    char *args[] = {
        (char *)p->cfg.exe, "__worker", "--policies", (char *)set_dir, "--display", (char *)display_dir,
        "--scripts", (char *)p->cfg.scripts_dir, "--budget", budget, "--timeout-ms", timeout, "--memory-mb",
        memory, "--test-timeout-ms", tests, validate ? "--validate" : NULL, NULL,
    };
    uv_stdio_container_t stdio[4];
    for (int i = 0; i < 3; i++) { /* not UV_IGNORE, which needs /dev/null (absent in a chroot); a worker */
        stdio[i].flags = UV_INHERIT_FD; /* writes only to stderr: crashes and sanitizer reports */
        stdio[i].data.fd = i;
    }
    stdio[3].flags = UV_CREATE_PIPE | UV_READABLE_PIPE | UV_WRITABLE_PIPE;
    stdio[3].data.stream = (uv_stream_t *)&w->pipe;
    uv_process_options_t o = {.exit_cb = on_exit_, .file = p->cfg.exe, .args = args, .stdio_count = 4,
                              .stdio = stdio};
    int rc = uv_spawn(p->cfg.loop, &w->proc, &o);
    if (rc != 0) {
        logf_(p, "error", "cannot start a worker process (%s %s): %s", p->cfg.exe, "__worker", uv_strerror(rc));
        w->handles = 1;
        uv_close((uv_handle_t *)&w->pipe, on_handle_closed);
        if (!validate) {
            p->backoff_ms = p->backoff_ms ? p->backoff_ms * 2 : BACKOFF_MS;
            if (p->backoff_ms > BACKOFF_MAX_MS)
                p->backoff_ms = BACKOFF_MAX_MS;
            p->respawn_at_ms = mono_ms() + p->backoff_ms;
            tick_start(p);
        }
        return NULL;
    }
    w->handles = 2;
    p->stats.started++;
    p->stats.workers++;
    w->next = p->procs;
    p->procs = w;
    uv_read_start((uv_stream_t *)&w->pipe, on_alloc, on_read);
    return w;
}

/* The tick: limits and restarts ------------------------------------------------------------------- */

static int count_current(const bl_pool *p)
{
    int n = 0;
    for (const wproc *w = p->procs; w; w = w->next)
        n += !w->validate && !w->retiring && w->gen == p->gen;
    return n;
}

static void on_tick(uv_timer_t *t)
{
    bl_pool *p = t->data;
    uint64_t now = uv_hrtime();
    int busy = 0;
    for (wproc *w = p->procs; w; w = w->next) {
        int running = w->state == W_BUSY || w->validate;
        if (!running || w->killed || w->exited)
            continue;
        busy = 1;
        if ((int64_t)((now - w->sent_ns) / 1000000u) > w->limit_ms) {
            w->killed = 1;
            uv_process_kill(&w->proc, SIGKILL);
        }
    }
    if (p->respawn_at_ms && mono_ms() >= p->respawn_at_ms && !p->closing && p->set_dir) {
        p->respawn_at_ms = 0;
        for (int n = count_current(p); n < p->cfg.workers; n++)
            spawn(p, 0, p->set_dir, p->display_dir);
    }
    if (!busy && !p->respawn_at_ms)
        uv_timer_stop(t);
}

static void tick_start(bl_pool *p)
{
    if (!uv_is_active((uv_handle_t *)&p->tick))
        uv_timer_start(&p->tick, on_tick, TICK_MS, TICK_MS);
}

/* The API ------------------------------------------------------------------------------------------- */

bl_pool *bl_pool_new(const bl_pool_config *cfg)
{
    bl_pool *p = calloc(1, sizeof *p);
    p->cfg = *cfg;
    if (p->cfg.workers < 1)
        p->cfg.workers = 1;
    p->tail = &p->head;
    uv_timer_init(cfg->loop, &p->tick);
    p->tick.data = p;
    return p;
}

void bl_pool_load(bl_pool *p, const char *set_dir, const char *display_dir)
{
    free(p->set_dir);
    free(p->display_dir);
    p->set_dir = bl_strdupf("%s", set_dir);
    p->display_dir = bl_strdupf("%s", display_dir);
    p->gen++;
    p->ready = 0;
    p->backoff_ms = 0;
    p->respawn_at_ms = 0;
    for (wproc *w = p->procs; w; w = w->next)
        if (!w->validate && w->state != W_BUSY)
            retire(w);
    for (int i = 0; i < p->cfg.workers; i++)
        spawn(p, 0, p->set_dir, p->display_dir);
}

int bl_pool_ready(const bl_pool *p) { return p->ready; }

void bl_pool_set_limits(bl_pool *p, bl_limits limits) { p->cfg.limits = limits; }
int bl_pool_busy(const bl_pool *p) { return p->running; }

void bl_pool_validate(bl_pool *p, const char *set_dir, const char *display_dir, int64_t limit_ms,
                      void (*cb)(void *ud, const cJSON *result, const char *error), void *ud)
{
    wproc *w = p->closing ? NULL : spawn(p, 1, set_dir, display_dir);
    if (w == NULL) {
        cb(ud, NULL, p->closing ? "the service is stopping" : "cannot start a worker process to test the policies");
        return;
    }
    w->vcb = cb;
    w->vud = ud;
    w->sent_ns = uv_hrtime();
    w->limit_ms = limit_ms;
    tick_start(p);
}

void bl_pool_get_stats(const bl_pool *p, bl_pool_stats *out)
{
    *out = p->stats;
    out->queued = p->queued;
    out->idle = 0;
    for (const wproc *w = p->procs; w; w = w->next)
        out->idle += w->state == W_IDLE && !w->retiring && !w->validate;
}

void bl_pool_close(bl_pool *p, void (*done)(void *ud), void *ud)
{
    p->closing = 1;
    p->done = done;
    p->done_ud = ud;
    while (p->head) {
        bl_pool_job *j = p->head;
        p->head = j->next;
        p->queued--;
        p->running--;
        finish_fail(j, BL_ERR, "the service is stopping");
    }
    p->tail = &p->head;
    /* each worker ends (its socket shut, or killed if busy); the pool goes with the last handle */
    for (wproc *w = p->procs; w; w = w->next) {
        if (w->state == W_BUSY || w->validate)
            uv_process_kill(&w->proc, SIGKILL);
        else
            retire(w);
    }
    uv_timer_stop(&p->tick);
    uv_close((uv_handle_t *)&p->tick, on_tick_closed);
    bl_buf_free(&p->frame);
    key_free(&p->keys);
    free(p->set_dir);
    free(p->display_dir);
    p->set_dir = p->display_dir = NULL;
}
