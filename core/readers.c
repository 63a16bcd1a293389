/* readers.c — queries off the event loop (readers.h): n threads, each with its own read-only connection,
 * a FIFO of jobs under one mutex, and a uv_async_t that hands finished jobs back to the loop. */
#include "readers.h"

#include <stdlib.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MAX_QUEUED 256
/* A reader thread's nice value: a long scan takes the CPU the loop and the policy workers leave, so the
 * writes' latency does not pay for it (Linux: a thread's own priority). */
#define READER_NICE 10

typedef struct job {
    bl_read_fn fn;
    bl_read_done done;
    void *ud;
    struct job *next;
} job;

typedef struct reader {
    struct bl_readers *pool;
    bl_store_t *conn;
    uv_thread_t thread;
    int started;
} reader;

struct bl_readers {
    uv_loop_t *loop;
    uv_async_t async;
    uv_mutex_t mu;
    uv_cond_t cv;
    job *queue, **queue_tail; /* waiting to run */
    job *done, **done_tail;   /* ran, for the loop */
    int queued, running, stop;
    int64_t timeout_ms;
    int n;
    reader *readers;
};

static void reader_main(void *arg)
{
    reader *rd = arg;
    bl_readers *r = rd->pool;
    setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), READER_NICE); /* (best effort) */
    uv_mutex_lock(&r->mu);
    for (;;) {
        while (!r->stop && r->queue == NULL)
            uv_cond_wait(&r->cv, &r->mu);
        if (r->stop)
            break;
        job *j = r->queue;
        r->queue = j->next;
        if (r->queue == NULL)
            r->queue_tail = &r->queue;
        r->queued--;
        r->running++;
        int64_t timeout = r->timeout_ms;
        uv_mutex_unlock(&r->mu);

        bl_store_deadline(rd->conn, timeout);
        j->fn(rd->conn, j->ud);
        bl_store_deadline(rd->conn, 0);

        uv_mutex_lock(&r->mu);
        j->next = NULL;
        *r->done_tail = j;
        r->done_tail = &j->next;
        r->running--;
        uv_async_send(&r->async);
    }
    uv_mutex_unlock(&r->mu);
}

/* On the loop: the jobs that ran. */
static void on_done(uv_async_t *a)
{
    bl_readers *r = a->data;
    uv_mutex_lock(&r->mu);
    job *list = r->done;
    r->done = NULL;
    r->done_tail = &r->done;
    uv_mutex_unlock(&r->mu);
    while (list) {
        job *next = list->next;
        list->done(list->ud, 1);
        free(list);
        list = next;
    }
}

bl_readers *bl_readers_open(uv_loop_t *loop, const char *path, int n, int64_t timeout_ms, char **err)
{
    bl_readers *r = calloc(1, sizeof *r);
    r->loop = loop;
    r->queue_tail = &r->queue;
    r->done_tail = &r->done;
    r->timeout_ms = timeout_ms;
    r->n = n < 1 ? 1 : n;
    r->readers = calloc((size_t)r->n, sizeof *r->readers);
    for (int i = 0; i < r->n; i++) {
        r->readers[i].pool = r;
        if (bl_store_open_reader(path, &r->readers[i].conn, err) != BL_OK) {
            for (int k = 0; k < i; k++)
                bl_store_close(r->readers[k].conn);
            free(r->readers);
            free(r);
            return NULL;
        }
    }
    uv_mutex_init(&r->mu);
    uv_cond_init(&r->cv);
    uv_async_init(loop, &r->async, on_done);
    r->async.data = r;
    for (int i = 0; i < r->n; i++)
        r->readers[i].started = uv_thread_create(&r->readers[i].thread, reader_main, &r->readers[i]) == 0;
    return r;
}

int bl_readers_run(bl_readers *r, bl_read_fn fn, bl_read_done done, void *ud)
{
    uv_mutex_lock(&r->mu);
    int full = r->stop || r->queued >= MAX_QUEUED;
    if (!full) {
        job *j = malloc(sizeof *j);
        *j = (job){fn, done, ud, NULL};
        *r->queue_tail = j;
        r->queue_tail = &j->next;
        r->queued++;
        uv_cond_signal(&r->cv);
    }
    uv_mutex_unlock(&r->mu);
    return full ? BL_ERR : BL_OK;
}

int bl_readers_busy(const bl_readers *r)
{
    uv_mutex_lock((uv_mutex_t *)&r->mu);
    int n = r->queued + r->running;
    uv_mutex_unlock((uv_mutex_t *)&r->mu);
    return n;
}

void bl_readers_set_timeout(bl_readers *r, int64_t timeout_ms)
{
    uv_mutex_lock(&r->mu);
    r->timeout_ms = timeout_ms;
    uv_mutex_unlock(&r->mu);
}

static void on_closed(uv_handle_t *h) { free(h->data); }

void bl_readers_close(bl_readers *r)
{
    if (r == NULL)
        return;
    uv_mutex_lock(&r->mu);
    r->stop = 1;
    uv_cond_broadcast(&r->cv);
    uv_mutex_unlock(&r->mu);
    for (int i = 0; i < r->n; i++)
        if (r->readers[i].started)
            uv_thread_join(&r->readers[i].thread);
    on_done(&r->async); /* what ran answers */
    for (job *j = r->queue, *next; j; j = next) {
        next = j->next;
        j->done(j->ud, 0);
        free(j);
    }
    r->queue = NULL;
    for (int i = 0; i < r->n; i++)
        bl_store_close(r->readers[i].conn);
    free(r->readers);
    uv_mutex_destroy(&r->mu);
    uv_cond_destroy(&r->cv);
    uv_close((uv_handle_t *)&r->async, on_closed);
}
