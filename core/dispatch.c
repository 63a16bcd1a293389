/* dispatch.c — the service's work for the worker processes (core/pool.c): record writes, deadlines
 * that fall due, and the virtual clock. A worker evaluates; this module commits what it proposed in the
 * group commit's batch and answers. Deadlines fire a bounded number at a time, each answer handled as it
 * arrives, so the loop answers requests while a backlog drains. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "i18n.h"
#include "service.h"
#include "wire.h"

#define FIRE_INFLIGHT 64  /* deadlines handed to workers at once */
#define FIRE_REFILL 32    /* ...and topped up when fewer than this are left */
#define ADVANCE_STEP 1000 /* deadlines due at one instant of a clock advance, handed out at once */

typedef struct clock_move {
    bl_pending req;   /* the POST /clock request */
    int64_t target;
    int fired, pending;
    char *failure;    /* the first handler failure, for the log */
} clock_move;

typedef struct bl_dispatch {
    uv_timer_t fire_timer;  /* the one libuv timer for every deadline: armed for the earliest */
    int64_t inflight[FIRE_INFLIGHT];
    int ninflight;
    int64_t cursor_due, cursor_id; /* the last deadline handed out: the next query starts after it */
    int pumping;
    clock_move *move;       /* a clock advance in progress */
} bl_dispatch;

/* The key of a record: jobs on one record run one at a time, in order. */
static char *record_key(const char *type, const char *id) { return bl_strdupf("%s\x1f%s", type, id); }

/* Writes ---------------------------------------------------------------------------------------------- */

typedef struct write_job {
    bl_pool_job job;
    bl_service *svc;
    bl_pending req;
    char *type, *id, *key;
    cJSON *record;
    int64_t expect, now;
    int created;
    const char *lang; /* of the answer (bl_api_lang) */
} write_job;

static int write_prepare(bl_pool_job *j, bl_buf *frame)
{
    write_job *w = (write_job *)j;
    w->now = bl_clock_now_ms();
    bl_wire_eval_frame(frame, w->type, w->id, w->now, w->record);
    return BL_WIRE_EVAL;
}

static void count_outcome(bl_service *svc, cJSON *res)
{
    cJSON *d;
    cJSON_ArrayForEach(d, cJSON_GetObjectItemCaseSensitive(res, "decisions"))
    {
        bl_metrics_decision(&svc->metrics, bl_json_str(d, "policy"), bl_json_str(d, "verdict"));
    }
}

/* A deadline counted past the end of the calendar's holiday schedule: the log says so too. */
static void warn_provisional(bl_service *svc, const char *type, const char *id, cJSON *res)
{
    cJSON *t;
    cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(res, "deadlines"))
        if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(t, "provisional")))
            bl_log(svc, "warn", "%s/%s: deadline %s due %s is provisional: the calendar has no holiday schedule for "
                   "its year yet (counted on weekdays; computed again when the schedule is added)", type, id,
                   bl_json_str(t, "name"), bl_json_str(t, "due"));
}

static void write_free(write_job *w)
{
    cJSON_Delete(w->record);
    free(w->type);
    free(w->id);
    free(w->key);
    free(w);
}

static void write_finish(bl_pool_job *j, int type, const char *body, size_t len)
{
    write_job *w = (write_job *)j;
    bl_service *svc = w->svc;
    bl_resp resp = {0};
    char *err = NULL;
    int rc, limit = 0;
    cJSON *res = NULL;
    if (type == BL_WIRE_RESULT) {
        char perr[200];
        int unavailable = 0; /* the database cannot take writes now: 503 */
        res = bl_json_parse(body, len, perr, sizeof perr);
        if (res == NULL)
            rc = BL_ERR, err = bl_strdupf("a worker answered with broken JSON: %s", perr);
        else if ((rc = bl_service_batch(svc, &err)) != BL_OK)
            unavailable = 1;
        else if ((rc = bl_engine_commit(svc->store, w->type, w->id, res, w->expect, "write", w->now, &err)) != BL_OK)
            unavailable = bl_store_unavailable(svc->store);
        if (rc == BL_OK) {
            count_outcome(svc, res);
            svc->metrics.batch_writes++;
            warn_provisional(svc, w->type, w->id, res);
            snprintf(resp.etag, sizeof resp.etag, "\"%lld\"", (long long)bl_json_num(res, "version", 0));
            bl_i18n_decisions(res, w->lang);
            bl_api_json(&resp, w->created ? 201 : 200, res);
            res = NULL;
            bl_pending_hold(&w->req, &resp); /* answered once the batch is durable */
            write_free(w);
            return;
        }
        if (rc == BL_CONFLICT)
            bl_api_error(&resp, 409, "%s", err);
        else
            bl_api_error(&resp, unavailable ? 503 : 500, "%s%s", err,
                         unavailable ? " (the database cannot take writes now: see GET /health/ready)" : "");
    } else {
        rc = bl_wire_fail_in(body, len, w->lang, &err, &limit);
        if (rc == BL_INVALID) {
            svc->metrics.invalid++;
            bl_api_error(&resp, 422, "%s", err);
        } else {
            svc->metrics.policy_errors++;
            svc->metrics.budget_kills += limit;
            bl_log(svc, "error", "%s/%s: %s", w->type, w->id, err);
            bl_api_error(&resp, 500, "%s", err);
        }
    }
    cJSON_Delete(res);
    free(err);
    bl_pending_answer(&w->req, &resp);
    write_free(w);
}

void bl_service_write(bl_service *svc, const bl_req *req, const char *type, const char *id, cJSON *fields,
                      int64_t expect_version, int created)
{
    write_job *w = calloc(1, sizeof *w);
    w->svc = svc;
    w->type = bl_strdupf("%s", type);
    w->id = bl_strdupf("%s", id);
    w->key = record_key(type, id);
    w->record = bl_engine_record(type, id, fields);
    cJSON_Delete(fields);
    w->expect = expect_version;
    w->created = created;
    w->lang = bl_api_lang(svc, req);
    w->job.key = w->key;
    w->job.prepare = write_prepare;
    w->job.finish = write_finish;
    bl_pending_init(&w->req, svc, req);
    bl_pool_submit(svc->pool, &w->job);
}

/* Deadlines -------------------------------------------------------------------------------------------- */

typedef struct fire_job {
    bl_pool_job job;
    bl_service *svc;
    cJSON *timer; /* its row (bl_store_timer_due) */
    int64_t id, version, now;
    int advance;  /* part of a clock advance */
    char *key;
} fire_job;

static void fire_pump(bl_service *svc);
static void advance_step(bl_service *svc);

static void inflight_drop(bl_dispatch *d, int64_t id)
{
    for (int i = 0; i < d->ninflight; i++)
        if (d->inflight[i] == id) {
            d->inflight[i] = d->inflight[--d->ninflight];
            return;
        }
}

static int inflight_has(const bl_dispatch *d, int64_t id)
{
    for (int i = 0; i < d->ninflight; i++)
        if (d->inflight[i] == id)
            return 1;
    return 0;
}

/* The fire job is over: forget it, and hand out more. */
static void fire_done(fire_job *f)
{
    bl_service *svc = f->svc;
    int advance = f->advance;
    inflight_drop(svc->dispatch, f->id);
    cJSON_Delete(f->timer);
    free(f->key);
    free(f);
    if (advance)
        advance_step(svc);
    else
        fire_pump(svc);
}

static void fire_failed(bl_service *svc, fire_job *f, const char *why)
{
    char *err = NULL;
    if (bl_service_batch(svc, &err) != BL_OK || bl_engine_fire_fail(svc->store, f->timer, f->now, why) != BL_OK)
        bl_log(svc, "error", "cannot mark timer %lld failed: %s", (long long)f->id,
               err ? err : bl_store_errmsg(svc->store));
    free(err);
    svc->metrics.timer_failures++;
    bl_log(svc, "warn", "timer %s of %s/%s failed: %s", bl_json_str(f->timer, "name"), bl_json_str(f->timer, "type"),
           bl_json_str(f->timer, "id"), why);
    clock_move *m = svc->dispatch->move;
    if (f->advance && m && m->failure == NULL)
        m->failure = bl_strdupf("timer %s of %s/%s: %s", bl_json_str(f->timer, "name"), bl_json_str(f->timer, "type"),
                                bl_json_str(f->timer, "id"), why);
}

static int fire_prepare(bl_pool_job *j, bl_buf *frame)
{
    fire_job *f = (fire_job *)j;
    bl_service *svc = f->svc;
    f->now = bl_clock_now_ms();
    bl_record rec = {0};
    cJSON *info = NULL;
    char *err = NULL;
    int rc = bl_service_batch(svc, &err) == BL_OK ? bl_engine_fire_prepare(svc->store, f->timer, f->now, &rec, &info)
                                                 : BL_ERR;
    if (rc != BL_OK) {
        if (rc == BL_NOTFOUND)
            fire_failed(svc, f, "the record no longer exists");
        else
            bl_log(svc, "error", "cannot read the record of timer %lld: %s", (long long)f->id,
                   err ? err : bl_store_errmsg(svc->store));
        free(err);
        fire_done(f);
        return 0;
    }
    f->version = rec.version;
    const char *type = bl_json_str(f->timer, "type"), *id = bl_json_str(f->timer, "id");
    const char *policy = bl_json_str(f->timer, "policy"), *name = bl_json_str(f->timer, "name");
    BL_JSON_LIT(frame, "{\"type\":");
    bl_json_put_str(frame, type, strlen(type));
    BL_JSON_LIT(frame, ",\"id\":");
    bl_json_put_str(frame, id, strlen(id));
    BL_JSON_LIT(frame, ",\"policy\":");
    bl_json_put_str(frame, policy, strlen(policy));
    BL_JSON_LIT(frame, ",\"timer\":");
    bl_json_put_str(frame, name, strlen(name));
    BL_JSON_LIT(frame, ",\"now\":");
    bl_json_put_int(frame, f->now);
    BL_JSON_LIT(frame, ",\"info\":");
    bl_json_put_value(frame, info);
    BL_JSON_LIT(frame, ",\"record\":");
    bl_json_put_value(frame, rec.fields);
    BL_JSON_LIT(frame, "}");
    cJSON_Delete(info);
    bl_record_clear(&rec);
    return BL_WIRE_FIRE;
}

static void fire_finish(bl_pool_job *j, int type, const char *body, size_t len)
{
    fire_job *f = (fire_job *)j;
    bl_service *svc = f->svc;
    char *err = NULL;
    if (type == BL_WIRE_RESULT) {
        char perr[200];
        cJSON *res = bl_json_parse(body, len, perr, sizeof perr);
        int rc = res == NULL ? BL_ERR : bl_service_batch(svc, &err);
        if (rc == BL_OK)
            rc = bl_engine_fire_commit(svc->store, f->timer, f->version, res, f->now, &err);
        if (rc == BL_OK) {
            svc->metrics.timers_fired++;
            svc->metrics.batch_writes++;
            count_outcome(svc, res);
            double late = (double)(f->now - (int64_t)bl_json_num(f->timer, "due_ms", (double)f->now));
            bl_metrics_observe(&svc->metrics.timer_lateness, bl_lateness_le, bl_lateness_nle, late > 0 ? late / 1000 : 0);
            if (f->advance && svc->dispatch->move)
                svc->dispatch->move->fired++;
        } else if (rc != BL_CONFLICT) { /* a timer no longer pending was cancelled meanwhile: not an error */
            bl_log(svc, "error", "cannot store what timer %lld proposed: %s", (long long)f->id,
                   res ? (err ? err : "?") : perr);
        }
        cJSON_Delete(res);
    } else {
        bl_wire_fail_of(body, len, &err, NULL);
        fire_failed(svc, f, err);
    }
    free(err);
    fire_done(f);
}

static void fire_submit(bl_service *svc, cJSON *timer, int advance)
{
    bl_dispatch *d = svc->dispatch;
    fire_job *f = calloc(1, sizeof *f);
    f->svc = svc;
    f->timer = timer;
    f->id = (int64_t)bl_json_num(timer, "timer", 0);
    f->advance = advance;
    f->key = record_key(bl_json_str(timer, "type"), bl_json_str(timer, "id"));
    f->job.key = f->key;
    f->job.prepare = fire_prepare;
    f->job.finish = fire_finish;
    if (d->ninflight < FIRE_INFLIGHT)
        d->inflight[d->ninflight++] = f->id;
    bl_pool_submit(svc->pool, &f->job);
}

static void on_fire_timer(uv_timer_t *t) { fire_pump(t->data); }

/* Hands due deadlines to the workers, up to FIRE_INFLIGHT at once; when none is due, arms the one libuv
 * timer for the next. */
static void fire_pump(bl_service *svc)
{
    bl_dispatch *d = svc->dispatch;
    if (svc->virtual_clock || svc->stopping || d->pumping || !bl_pool_ready(svc->pool))
        return;
    if (d->ninflight >= FIRE_REFILL)
        return; /* topped up when enough have finished: one query per FIRE_INFLIGHT - FIRE_REFILL fired */
    d->pumping = 1;
    int64_t now = bl_clock_now_ms();
    if (d->ninflight == 0) /* all handed out have answered: look from the start again (a write may have */
        d->cursor_due = INT64_MIN, d->cursor_id = 0; /* proposed a deadline due before the last one) */
    cJSON *due = NULL;
    if (bl_store_timer_due_after(svc->store, now, d->cursor_due, d->cursor_id, FIRE_INFLIGHT - d->ninflight,
                                 &due) != BL_OK) {
        bl_log(svc, "error", "cannot read the due timers: %s", bl_store_errmsg(svc->store));
        due = cJSON_CreateArray();
    }
    cJSON *t;
    while ((t = due->child) != NULL) {
        cJSON_DetachItemViaPointer(due, t);
        d->cursor_due = (int64_t)bl_json_num(t, "due_ms", 0);
        d->cursor_id = (int64_t)bl_json_num(t, "timer", 0);
        if (inflight_has(d, d->cursor_id))
            cJSON_Delete(t);
        else
            fire_submit(svc, t, 0);
    }
    cJSON_Delete(due);
    d->pumping = 0;
    if (d->ninflight > 0)
        return; /* each answer tops up or re-arms */
    int64_t next = -1;
    if (bl_store_timer_next(svc->store, &next) != BL_OK || next < 0) {
        uv_timer_stop(&d->fire_timer);
        return;
    }
    int64_t delay = next - bl_clock_now_ms();
    if (delay < 0)
        delay = 0;
    if (delay > 3600000)
        delay = 3600000; /* look again within the hour: the wall clock may have jumped */
    uv_timer_start(&d->fire_timer, on_fire_timer, (uint64_t)delay, 0);
}

void bl_service_timers(bl_service *svc) { fire_pump(svc); }

/* Provisional deadlines, computed again --------------------------------------------------------------- */

#define RECOMPUTE_PAGE 500

typedef struct recompute_job {
    bl_pool_job job;
    bl_service *svc;
    cJSON *rows; /* the provisional timers of this page */
    int64_t last_id;
} recompute_job;

static void recompute_page(bl_service *svc, int64_t after_id);

static int recompute_prepare(bl_pool_job *j, bl_buf *frame)
{
    recompute_job *r = (recompute_job *)j;
    cJSON *req = cJSON_CreateObject(), *items = cJSON_AddArrayToObject(req, "items"), *row;
    bl_json_add_str(req, "op", "recompute");
    cJSON_ArrayForEach(row, r->rows)
    {
        cJSON *it = cJSON_CreateObject();
        bl_json_add_num(it, "timer", bl_json_num(row, "timer", 0));
        bl_json_add(it, "spec", cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(row, "spec"), 1));
        cJSON_AddItemToArray(items, it);
    }
    bl_json_print(req, frame);
    cJSON_Delete(req);
    return BL_WIRE_TASK;
}

static void recompute_finish(bl_pool_job *j, int type, const char *body, size_t len)
{
    recompute_job *r = (recompute_job *)j;
    bl_service *svc = r->svc;
    char perr[200], *err = NULL;
    cJSON *res = type == BL_WIRE_RESULT ? bl_json_parse(body, len, perr, sizeof perr) : NULL, *it;
    int changed = 0, still = 0;
    if (res && bl_service_batch(svc, &err) == BL_OK) {
        cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(res, "items"))
        {
            double id = bl_json_num(it, "timer", 0);
            cJSON *row = NULL;
            cJSON_ArrayForEach(row, r->rows) if (bl_json_num(row, "timer", -1) == id) break;
            if (row == NULL)
                continue;
            int64_t due = (int64_t)bl_json_num(it, "due_ms", 0);
            int prov = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(it, "provisional"));
            changed += due != (int64_t)bl_json_num(row, "due_ms", 0);
            still += prov;
            if (bl_store_timer_recomputed(svc->store, row, due, prov, bl_clock_now_ms()) != BL_OK)
                bl_log(svc, "error", "cannot re-arm timer %.0f: %s", id, bl_store_errmsg(svc->store));
        }
        bl_log(svc, "info", "provisional deadlines computed again with the new calendar: %d of %d moved, %d still "
               "provisional", changed, cJSON_GetArraySize(r->rows), still);
    } else if (type != BL_WIRE_RESULT) {
        bl_log(svc, "error", "cannot compute the provisional deadlines again: %.*s", (int)len, body);
    }
    free(err);
    cJSON_Delete(res);
    int64_t next = cJSON_GetArraySize(r->rows) == RECOMPUTE_PAGE ? r->last_id : -1;
    cJSON_Delete(r->rows);
    free(r);
    if (next >= 0 && type == BL_WIRE_RESULT)
        recompute_page(svc, next);
    bl_service_timers(svc); /* a deadline may have moved earlier */
}

static void recompute_page(bl_service *svc, int64_t after_id)
{
    cJSON *rows = NULL;
    if (bl_store_timers_provisional(svc->store, after_id, RECOMPUTE_PAGE, &rows) != BL_OK) {
        bl_log(svc, "error", "cannot read the provisional deadlines: %s", bl_store_errmsg(svc->store));
        return;
    }
    int n = cJSON_GetArraySize(rows);
    if (n == 0) {
        cJSON_Delete(rows);
        return;
    }
    recompute_job *r = calloc(1, sizeof *r);
    r->svc = svc;
    r->rows = rows;
    r->last_id = (int64_t)bl_json_num(cJSON_GetArrayItem(rows, n - 1), "timer", 0);
    r->job.prepare = recompute_prepare;
    r->job.finish = recompute_finish;
    bl_pool_submit(svc->pool, &r->job);
}

void bl_service_recompute(bl_service *svc) { recompute_page(svc, 0); }

/* The virtual clock ------------------------------------------------------------------------------------ */

static void move_answer(bl_service *svc, int status, cJSON *body)
{
    bl_dispatch *d = svc->dispatch;
    clock_move *m = d->move;
    d->move = NULL;
    bl_resp resp = {0};
    bl_api_json(&resp, status, body);
    bl_pending_hold(&m->req, &resp); /* after the commit of what fired */
    free(m->failure);
    free(m);
    bl_service_wake_pollers(svc);
}

/* Fires every deadline due on the way to the target at its due time, instant after instant: what is due
 * at one instant fires (in workers) before the clock moves on. */
static void advance_step(bl_service *svc)
{
    clock_move *m = svc->dispatch->move;
    if (m == NULL || --m->pending > 0)
        return;
    m->pending = 0;
    for (;;) {
        int64_t next;
        if (bl_store_timer_next(svc->store, &next) != BL_OK) {
            bl_log(svc, "error", "cannot read the timers: %s", bl_store_errmsg(svc->store));
            next = -1;
        }
        int64_t now = bl_clock_now_ms();
        if (next < 0 || next > m->target) {
            bl_clock_set_virtual(m->target > now ? m->target : now);
            if (m->failure)
                bl_log(svc, "warn", "%s", m->failure);
            char buf[32];
            cJSON *o = cJSON_CreateObject();
            bl_json_add_str(o, "now", bl_time_format(bl_clock_now_ms(), buf));
            bl_json_add_num(o, "fired", m->fired);
            move_answer(svc, 200, o);
            return;
        }
        if (next > now)
            bl_clock_set_virtual(next); /* each deadline fires at its due time: deterministic, never late */
        cJSON *due = NULL;
        if (bl_store_timer_due(svc->store, bl_clock_now_ms(), ADVANCE_STEP, &due) != BL_OK) {
            cJSON *o = cJSON_CreateObject();
            bl_json_add_str(o, "error", bl_store_errmsg(svc->store));
            move_answer(svc, 500, o);
            return;
        }
        int n = cJSON_GetArraySize(due);
        m->pending = n + 1; /* +1: none finishes before all are handed out */
        cJSON *t;
        while ((t = due->child) != NULL) {
            cJSON_DetachItemViaPointer(due, t);
            fire_submit(svc, t, 1);
        }
        cJSON_Delete(due);
        if (--m->pending > 0)
            return; /* the last answer comes back here */
    }
}

typedef struct clock_task {
    bl_pool_job job;
    bl_service *svc;
    int64_t from;
    char *after;
} clock_task;

static int task_prepare(bl_pool_job *j, bl_buf *frame)
{
    clock_task *t = (clock_task *)j;
    BL_JSON_LIT(frame, "{\"op\":\"add\",\"from\":");
    bl_json_put_int(frame, t->from);
    BL_JSON_LIT(frame, ",\"after\":");
    bl_json_put_str(frame, t->after, strlen(t->after));
    BL_JSON_LIT(frame, "}");
    return BL_WIRE_TASK;
}

static void task_finish(bl_pool_job *j, int type, const char *body, size_t len)
{
    clock_task *t = (clock_task *)j;
    bl_service *svc = t->svc;
    char perr[200];
    cJSON *o = bl_json_parse(body, len, perr, sizeof perr);
    clock_move *m = svc->dispatch->move;
    if (type == BL_WIRE_RESULT && o && bl_json_num(o, "ms", -1) >= t->from) {
        m->target = (int64_t)bl_json_num(o, "ms", 0);
        m->pending = 1;
        advance_step(svc);
    } else {
        cJSON *e = cJSON_CreateObject();
        char *msg = bl_strdupf("advance must move the clock forward, got '%s'%s%s", t->after, o ? ": " : "",
                               o && bl_json_str(o, "error") ? bl_json_str(o, "error") : "");
        bl_json_add_str(e, "error", msg);
        free(msg);
        move_answer(svc, 400, e);
    }
    cJSON_Delete(o);
    free(t->after);
    free(t);
}

void bl_service_clock(bl_service *svc, const bl_req *req, const char *set, const char *advance)
{
    bl_dispatch *d = svc->dispatch;
    bl_resp resp = {0};
    bl_pending now_req;
    bl_pending_init(&now_req, svc, req);
    if (d->move) {
        bl_api_error(&resp, 409, "the clock is moving already (another POST /clock runs): try again when it answers");
        bl_pending_answer(&now_req, &resp);
        return;
    }
    bl_service_flush(svc);
    int64_t now = bl_clock_now_ms(), target = now;
    char *err = NULL;
    bl_cal_dur dur = {0};
    int task = 0;
    if (set) {
        if (bl_cal_time_parse(svc->active.zone, set, &target, &err) != BL_OK) {
        } else if (target < now) {
            err = bl_strdupf("the clock only moves forward: %s is before now", set);
        }
    } else if (advance && strcmp(advance, "next") == 0) {
        if (bl_store_timer_next(svc->store, &target) != BL_OK)
            err = bl_strdupf("%s", bl_store_errmsg(svc->store));
        else if (target < now)
            target = now;
    } else if (advance) {
        if (bl_cal_dur_parse(advance, &dur, &err) == BL_OK) {
            task = dur.unit == BL_CAL_WORKDAYS || dur.unit == BL_CAL_WORKTIME; /* holidays: the policies' calendar */
            if (!task && (bl_cal_add(svc->active.zone, now, dur, &target) != BL_OK || target < now))
                err = bl_strdupf("advance must move the clock forward, got '%s'", advance);
        }
    } else {
        err = bl_strdupf("send {\"advance\": \"2 working days\"}, {\"advance\": \"next\"} or {\"set\": "
                         "\"2026-10-08T09:00:00+08:00\"}");
    }
    if (err) {
        bl_api_error(&resp, 400, "%s", err);
        free(err);
        bl_pending_answer(&now_req, &resp);
        return;
    }
    clock_move *m = calloc(1, sizeof *m);
    bl_pending_init(&m->req, svc, req);
    m->target = target;
    d->move = m;
    if (task) {
        clock_task *t = calloc(1, sizeof *t);
        t->svc = svc;
        t->from = now;
        t->after = bl_strdupf("%s", advance);
        t->job.prepare = task_prepare;
        t->job.finish = task_finish;
        bl_pool_submit(svc->pool, &t->job);
        return;
    }
    m->pending = 1;
    advance_step(svc);
}

/* Set-up --------------------------------------------------------------------------------------------- */

void bl_dispatch_init(bl_service *svc)
{
    bl_dispatch *d = calloc(1, sizeof *d);
    svc->dispatch = d;
    uv_timer_init(svc->loop, &d->fire_timer);
    d->fire_timer.data = svc;
}

void bl_dispatch_stop(bl_service *svc) { uv_timer_stop(&svc->dispatch->fire_timer); }

static void on_dispatch_closed(uv_handle_t *h) { free(h->data); }

void bl_dispatch_close(bl_service *svc)
{
    bl_dispatch *d = svc->dispatch;
    d->fire_timer.data = d;
    uv_close((uv_handle_t *)&d->fire_timer, on_dispatch_closed);
    svc->dispatch = NULL;
}
