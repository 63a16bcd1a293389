/* engine.c — applies what policies proposed: the record, its decisions, points and events are
 * committed in one transaction after the policies return; any failure rolls all of it back. */
#include "engine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(bl_store_t *s, char **err, int rc, const char *what)
{
    if (*err == NULL)
        *err = bl_strdupf("%s: %s", what, bl_store_errmsg(s));
    bl_store_rollback(s);
    return rc;
}

static int64_t decision_of(cJSON *ids, const char *policy)
{
    return (int64_t)bl_json_num(ids, policy, 0);
}

/* Tells, on a proposed deadline of the answer, what became of it: "status" armed, pending (already,
 * with this due), fired or cancelled (already, with this due: not again), and "at" when for the last two. */
static void note_outcome(cJSON *t, bl_timer_outcome o, int64_t at)
{
    static const char *const status[] = {
        [BL_TIMER_ARMED] = "armed", [BL_TIMER_KEPT] = "pending", [BL_TIMER_FIRED] = "fired",
        [BL_TIMER_CANCELLED] = "cancelled",
    };
    bl_json_add_str(t, "status", status[o]);
    if (o == BL_TIMER_FIRED || o == BL_TIMER_CANCELLED) {
        char buf[32];
        bl_json_add_str(t, "at", bl_time_format(at, buf));
    }
}

/* Stores what an evaluation proposed besides the record: one decision row per policy, the points,
 * the events, cancelled and new deadlines. Adds decision ids and event numbers to res. */
/* The text of member m, or NULL when it is not text (a null verdict). */
static const char *text_of(const cJSON *m) { return cJSON_IsString(m) ? m->valuestring : NULL; }

/* A decision of an evaluation as its row: its members read in one pass (bulk loads store millions). */
static void decision_row(const cJSON *d, bl_decision_row *row)
{
    for (const cJSON *m = d->child; m; m = m->next) {
        const char *k = m->string;
        if (strcmp(k, "policy") == 0)
            row->policy = text_of(m);
        else if (strcmp(k, "version") == 0)
            row->policy_version = text_of(m);
        else if (strcmp(k, "verdict") == 0)
            row->verdict = text_of(m);
        else if (strcmp(k, "explanation") == 0)
            row->explanation = text_of(m);
        else if (strcmp(k, "reasons") == 0)
            row->reasons = (cJSON *)m;
        else if (strcmp(k, "changes") == 0)
            row->changes = (cJSON *)m;
        else if (strcmp(k, "i18n") == 0)
            row->i18n = (cJSON *)m;
    }
}

static int apply(bl_store_t *s, const char *type, const char *id, cJSON *res, int64_t version, const char *trigger,
                 int64_t now)
{
    cJSON *decisions = NULL, *points = NULL, *events = NULL, *cancels = NULL, *deadlines = NULL;
    for (cJSON *m = res->child; m; m = m->next) { /* one pass over the evaluation's members */
        const char *k = m->string;
        cJSON **slot = strcmp(k, "decisions") == 0 ? &decisions : strcmp(k, "points") == 0 ? &points
                       : strcmp(k, "events") == 0 ? &events : strcmp(k, "cancels") == 0 ? &cancels
                       : strcmp(k, "deadlines") == 0 ? &deadlines : NULL;
        if (slot)
            *slot = m;
    }
    /* policy -> its decision's id, for the points and events that name it */
    cJSON *ids = cJSON_GetArraySize(points) || cJSON_GetArraySize(events) ? cJSON_CreateObject() : NULL;
    cJSON *d;
    cJSON_ArrayForEach(d, decisions)
    {
        bl_decision_row row = {.type = type, .id = id, .record_version = version, .trigger = trigger, .at_ms = now};
        decision_row(d, &row);
        int64_t did = 0;
        if (bl_store_add_decision(s, &row, &did) != BL_OK) {
            cJSON_Delete(ids);
            return BL_ERR;
        }
        bl_json_add_num(d, "id", (double)did);
        if (ids && row.policy)
            bl_json_add_num(ids, row.policy, (double)did);
    }
    cJSON *p;
    cJSON_ArrayForEach(p, points)
    {
        const char *policy = bl_json_str(p, "policy");
        if (bl_store_add_points(s, bl_json_str(p, "subject"), bl_json_str(p, "period"),
                                (int64_t)bl_json_num(p, "points", 0), bl_json_str(p, "reason"), policy,
                                decision_of(ids, policy), now) != BL_OK) {
            cJSON_Delete(ids);
            return BL_ERR;
        }
    }
    cJSON *e;
    cJSON_ArrayForEach(e, events)
    {
        const char *policy = bl_json_str(e, "policy");
        int64_t seq = 0;
        if (bl_store_add_event(s, bl_json_str(e, "kind"), type, id, cJSON_GetObjectItemCaseSensitive(e, "payload"),
                               policy, decision_of(ids, policy), now, &seq) != BL_OK) {
            cJSON_Delete(ids);
            return BL_ERR;
        }
        bl_json_add_num(e, "seq", (double)seq);
    }
    cJSON_Delete(ids);
    cJSON *t;
    cJSON_ArrayForEach(t, cancels)
    {
        if (bl_store_timer_cancel(s, type, id, bl_json_str(t, "name"), now, "cancelled") != BL_OK)
            return BL_ERR;
    }
    cJSON_ArrayForEach(t, deadlines)
    {
        bl_timer_spec ts = {
            .type = type, .id = id, .name = bl_json_str(t, "name"), .policy = bl_json_str(t, "policy"),
            .due_ms = (int64_t)bl_json_num(t, "due_ms", 0), .payload = cJSON_GetObjectItemCaseSensitive(t, "payload"),
            .provisional = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(t, "provisional")),
            .spec = cJSON_GetObjectItemCaseSensitive(t, "spec"),
        };
        bl_timer_outcome o;
        int64_t at;
        if (bl_store_timer_set(s, &ts, now, &o, &at) != BL_OK)
            return BL_ERR;
        note_outcome(t, o, at);
    }
    return BL_OK;
}

cJSON *bl_engine_record(const char *type, const char *id, const cJSON *fields)
{
    cJSON *rec = cJSON_CreateObject(); /* id and type first, then the fields as given */
    cJSON_AddStringToObject(rec, "id", id);
    cJSON_AddStringToObject(rec, "type", type);
    for (const cJSON *f = fields->child; f; f = f->next)
        if (strcmp(f->string, "id") != 0 && strcmp(f->string, "type") != 0)
            cJSON_AddItemToObject(rec, f->string, cJSON_Duplicate(f, 1));
    return rec;
}

int bl_engine_commit(bl_store_t *s, const char *type, const char *id, cJSON *res, int64_t expect_version,
                     const char *trigger, int64_t now, char **err)
{
    *err = NULL;
    if (bl_store_begin(s) != BL_OK) {
        *err = bl_strdupf("cannot start a transaction: %s", bl_store_errmsg(s));
        return BL_ERR;
    }
    int64_t version = 0;
    cJSON *record = cJSON_GetObjectItemCaseSensitive(res, "record");
    int rc = bl_store_put(s, type, id, record, expect_version, now, &version);
    if (rc != BL_OK) {
        if (rc == BL_CONFLICT)
            *err = bl_strdupf("%s", bl_store_errmsg(s));
        return fail(s, err, rc, "cannot store the record");
    }
    bl_json_add_num(res, "version", (double)version);
    if (apply(s, type, id, res, version, trigger, now) != BL_OK)
        return fail(s, err, BL_ERR, "cannot store the decision");
    if (bl_store_commit(s) != BL_OK)
        return fail(s, err, BL_ERR, "cannot commit");
    return BL_OK;
}

int bl_engine_put(bl_host_t *h, bl_store_t *s, const char *type, const char *id, const cJSON *fields,
                  int64_t expect_version, const char *trigger, cJSON **out, char **err)
{
    *out = NULL;
    *err = NULL;
    if (!cJSON_IsObject(fields)) {
        *err = bl_strdupf("a record must be a JSON object");
        return BL_INVALID;
    }
    cJSON *rec = bl_engine_record(type, id, fields);
    if (bl_store_begin(s) != BL_OK) { /* the policies read inside the transaction the record goes in */
        cJSON_Delete(rec);
        *err = bl_strdupf("cannot start a transaction: %s", bl_store_errmsg(s));
        return BL_ERR;
    }
    bl_store_reader sr;
    cJSON *res = NULL;
    int rc = bl_host_eval(h, type, rec, bl_store_reader_init(&sr, s), &res, err);
    cJSON_Delete(rec);
    if (rc == BL_OK)
        rc = bl_engine_commit(s, type, id, res, expect_version, trigger, bl_clock_now_ms(), err);
    if (rc == BL_OK)
        rc = bl_store_commit(s) == BL_OK ? BL_OK : fail(s, err, BL_ERR, "cannot commit");
    else
        bl_store_rollback(s);
    if (rc != BL_OK) {
        cJSON_Delete(res);
        return rc;
    }
    *out = res;
    return BL_OK;
}

int bl_engine_register_policies(bl_store_t *s, const cJSON *list, char **err)
{
    *err = NULL;
    if (bl_store_begin(s) != BL_OK) {
        *err = bl_strdupf("cannot start a transaction: %s", bl_store_errmsg(s));
        return BL_ERR;
    }
    const cJSON *p;
    int64_t now = bl_clock_now_ms();
    cJSON_ArrayForEach(p, list)
    {
        const char *file = bl_json_str(p, "file"), *source = bl_json_str(p, "source");
        char stem[256];
        bl_file_stem(file ? file : "", stem, sizeof stem);
        char *src = source ? NULL : bl_read_file(file, NULL);
        int rc = bl_store_add_policy_version(s, stem, bl_json_str(p, "version"), file,
                                             source ? source : src ? src : "", now);
        free(src);
        if (rc != BL_OK)
            return fail(s, err, BL_ERR, "cannot record the policy versions");
    }
    if (bl_store_commit(s) != BL_OK)
        return fail(s, err, BL_ERR, "cannot commit");
    return BL_OK;
}

int bl_engine_fire_prepare(bl_store_t *s, const cJSON *timer, int64_t now, bl_record *rec, cJSON **info)
{
    *info = NULL;
    int rc = bl_store_get(s, bl_json_str(timer, "type"), bl_json_str(timer, "id"), rec);
    if (rc != BL_OK)
        return rc;
    int64_t due = (int64_t)bl_json_num(timer, "due_ms", 0), late = now > due ? now - due : 0;
    cJSON *i = cJSON_CreateObject();
    bl_json_add_str(i, "name", bl_json_str(timer, "name"));
    bl_json_add_str(i, "due", bl_json_str(timer, "due"));
    bl_json_add_num(i, "due_ms", (double)due);
    bl_json_add_num(i, "late_ms", (double)late);
    bl_json_add_num(i, "late", (double)late / 1000.0);
    bl_json_add(i, "payload", cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(timer, "payload"), 1));
    *info = i;
    return BL_OK;
}

int bl_engine_fire_commit(bl_store_t *s, const cJSON *timer, int64_t version, cJSON *res, int64_t now, char **err)
{
    *err = NULL;
    const char *type = bl_json_str(timer, "type"), *id = bl_json_str(timer, "id");
    char trigger[300];
    snprintf(trigger, sizeof trigger, "timer:%s", bl_json_str(timer, "name"));
    if (bl_store_begin(s) != BL_OK) {
        *err = bl_strdupf("cannot start a transaction: %s", bl_store_errmsg(s));
        return BL_ERR;
    }
    /* first, so that a handler re-proposing its own name wins; a timer no longer pending (cancelled by a
     * write meanwhile) does not fire */
    int rc = bl_store_timer_done(s, (int64_t)bl_json_num(timer, "timer", 0), "done", now, NULL);
    if (rc != BL_OK)
        return fail(s, err, BL_CONFLICT, "the timer is no longer pending");
    int changed = 0;
    cJSON *d;
    cJSON_ArrayForEach(d, cJSON_GetObjectItemCaseSensitive(res, "decisions"))
    {
        cJSON *ch = cJSON_GetObjectItemCaseSensitive(d, "changes");
        changed = changed || (ch && ch->child);
    }
    if (changed) {
        rc = bl_store_put(s, type, id, cJSON_GetObjectItemCaseSensitive(res, "record"), version, now, &version);
        if (rc != BL_OK)
            return fail(s, err, rc, "cannot store the record");
    }
    bl_json_add_num(res, "version", (double)version);
    if (apply(s, type, id, res, version, trigger, now) != BL_OK)
        return fail(s, err, BL_ERR, "cannot store what the timer's handler proposed");
    if (bl_store_commit(s) != BL_OK)
        return fail(s, err, BL_ERR, "cannot commit");
    return BL_OK;
}

int bl_engine_fire_fail(bl_store_t *s, const cJSON *timer, int64_t now, const char *reason)
{
    return bl_store_timer_done(s, (int64_t)bl_json_num(timer, "timer", 0), "failed", now, reason);
}

/* Fires one due timer in this process: its handler runs on the current record, and what it proposes is
 * stored with the timer marked done, in one savepoint. A failing handler marks the timer failed (with
 * the message) so it does not fire again and again; nothing else changes. */
static int fire_one(bl_host_t *h, bl_store_t *s, cJSON *timer, int64_t now, const bl_fire_watch *watch, int *fired,
                    char **log)
{
    bl_record rec = {0};
    cJSON *info = NULL, *res = NULL;
    char *err = NULL;
    int rc = bl_engine_fire_prepare(s, timer, now, &rec, &info);
    if (rc == BL_NOTFOUND)
        return bl_engine_fire_fail(s, timer, now, "the record no longer exists");
    if (rc != BL_OK)
        return BL_ERR;
    bl_store_reader sr;
    rc = bl_host_fire(h, bl_json_str(timer, "type"), rec.fields, bl_json_str(timer, "policy"),
                      bl_json_str(timer, "name"), info, bl_store_reader_init(&sr, s), &res, &err);
    cJSON_Delete(info);
    if (rc != BL_OK) { /* the handler changed nothing; the timer is done for good, with the reason */
        if (*log == NULL)
            *log = bl_strdupf("timer %s of %s/%s: %s", bl_json_str(timer, "name"), bl_json_str(timer, "type"),
                              bl_json_str(timer, "id"), err);
        rc = bl_engine_fire_fail(s, timer, now, err);
        if (rc == BL_OK && watch)
            watch->fired(watch->ud, timer, NULL, err);
    } else {
        char *cerr = NULL;
        rc = bl_engine_fire_commit(s, timer, rec.version, res, now, &cerr);
        free(cerr);
        if (rc == BL_OK)
            (*fired)++;
        if (rc == BL_OK && watch)
            watch->fired(watch->ud, timer, res, NULL);
    }
    free(err);
    cJSON_Delete(res);
    bl_record_clear(&rec);
    return rc;
}

int bl_engine_fire_due(bl_host_t *h, bl_store_t *s, int64_t now, int limit, const bl_fire_watch *watch, int *fired,
                       char **err)
{
    *fired = 0;
    *err = NULL;
    if (bl_store_begin(s) != BL_OK) {
        *err = bl_strdupf("cannot start a transaction: %s", bl_store_errmsg(s));
        return BL_ERR;
    }
    cJSON *due = NULL;
    if (bl_store_timer_due(s, now, limit, &due) != BL_OK) {
        *err = bl_strdupf("%s", bl_store_errmsg(s));
        bl_store_rollback(s);
        return BL_ERR;
    }
    cJSON *t;
    char *log = NULL;
    cJSON_ArrayForEach(t, due)
    {
        if (fire_one(h, s, t, now, watch, fired, &log) != BL_OK) {
            *err = bl_strdupf("cannot store a fired timer: %s", bl_store_errmsg(s));
            break;
        }
    }
    int n = cJSON_GetArraySize(due);
    cJSON_Delete(due);
    if (*err) {
        free(log);
        bl_store_rollback(s);
        return BL_ERR;
    }
    if (bl_store_commit(s) != BL_OK) {
        free(log);
        *err = bl_strdupf("cannot commit fired timers: %s", bl_store_errmsg(s));
        bl_store_rollback(s);
        return BL_ERR;
    }
    *err = log; /* a handler failure, for the log (the timer is marked failed) */
    return n;
}

int bl_engine_advance(bl_host_t *h, bl_store_t *s, int64_t target, const bl_fire_watch *watch, int *fired,
                      char **err)
{
    *fired = 0;
    *err = NULL;
    int64_t now = bl_clock_now_ms();
    for (;;) {
        int64_t next;
        if (bl_store_timer_next(s, &next) != BL_OK) {
            *err = bl_strdupf("%s", bl_store_errmsg(s));
            return BL_ERR;
        }
        if (next < 0 || next > target)
            break;
        if (next > now)
            now = next; /* each timer fires at its due time: deterministic, never late */
        bl_clock_set_virtual(now);
        int n = 0;
        char *e = NULL;
        int due = bl_engine_fire_due(h, s, now, 1000, watch, &n, &e);
        *fired += n;
        if (due < 0) {
            *err = e;
            return BL_ERR;
        }
        if (e && *err == NULL)
            *err = e; /* a handler failed: reported, the timer is marked failed */
        else
            free(e);
    }
    bl_clock_set_virtual(target > now ? target : now);
    return BL_OK;
}

int bl_engine_advance_target(bl_store_t *s, const bl_cal_t *cal, const char *what, int64_t now, int64_t *target,
                             char **err)
{
    *err = NULL;
    if (strcmp(what, "next") == 0) {
        if (bl_store_timer_next(s, target) != BL_OK) {
            *err = bl_strdupf("%s", bl_store_errmsg(s));
            return BL_ERR;
        }
        if (*target < 0)
            return BL_NOTFOUND;
        if (*target < now)
            *target = now;
        return BL_OK;
    }
    bl_cal_dur d;
    if (bl_cal_dur_parse(what, &d, err) != BL_OK)
        return BL_INVALID;
    if (bl_cal_add(cal, now, d, target) != BL_OK) {
        *err = bl_strdupf("the clock would leave the calendar's range");
        return BL_INVALID;
    }
    return BL_OK;
}
