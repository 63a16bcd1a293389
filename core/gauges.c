/* gauges.c — the deadline counts /health and /metrics report (pending, due and not fired, provisional),
 * counted every few seconds on a reader thread (readers.h) and kept on the service: over a million
 * pending deadlines a count takes tens of milliseconds, which no request may wait for on the loop. */
#include <stdlib.h>

#include "readers.h"
#include "service.h"

#define GAUGES_EVERY_MS 5000

typedef struct count_job {
    bl_service *svc;
    int64_t now_ms;
    int64_t pending, overdue, provisional;
    int ok;
} count_job;

static void count_run(bl_store_t *s, void *ud)
{
    count_job *j = ud;
    j->ok = bl_store_timers_count(s, -1, &j->pending) == BL_OK &&
            bl_store_timers_count(s, j->now_ms + 1, &j->overdue) == BL_OK &&
            bl_store_timers_provisional_count(s, &j->provisional) == BL_OK;
}

static void count_done(void *ud, int ran)
{
    count_job *j = ud;
    bl_gauges *g = &j->svc->gauges;
    g->running = 0;
    if (ran && j->ok) {
        g->pending = j->pending, g->overdue = j->overdue, g->provisional = j->provisional;
        g->at_ms = j->now_ms;
    }
    free(j);
}

void bl_gauges_count(bl_service *svc)
{
    bl_gauges *g = &svc->gauges;
    if (g->running || svc->store == NULL)
        return;
    count_job *j = calloc(1, sizeof *j);
    j->svc = svc;
    j->now_ms = bl_clock_now_ms();
    if (svc->readers == NULL) { /* an in-memory database: small, counted here */
        count_run(svc->store, j);
        count_done(j, 1);
        return;
    }
    g->running = 1;
    if (bl_readers_run(svc->readers, count_run, count_done, j) != BL_OK) {
        g->running = 0;
        free(j);
    }
}

static void on_tick(uv_timer_t *t) { bl_gauges_count(t->data); }

void bl_gauges_start(bl_service *svc)
{
    uv_timer_init(svc->loop, &svc->gauges.timer);
    svc->gauges.timer.data = svc;
    svc->gauges.at_ms = -1;
    uv_timer_start(&svc->gauges.timer, on_tick, 0, GAUGES_EVERY_MS);
}

void bl_gauges_stop(bl_service *svc)
{
    uv_timer_stop(&svc->gauges.timer);
    uv_close((uv_handle_t *)&svc->gauges.timer, NULL);
}
