/* api_records.c — the record routes: lists with conditions and orders, get, put, post, merge patch, soft
 * delete, history and decisions; GET /decisions, the decisions across records (the work queue); lists
 * exported as CSV or JSON lines. Lists and the queue run on reader threads (readers.h), each bounded by a
 * limit, a cursor, an index and a time limit; single records are read on the loop (by key). */
#include "api_records.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export.h"
#include "i18n.h"
#include "query.h"
#include "readers.h"

static const char *const reserved[] = {"limit", "after", "sort", "format", NULL}; /* never record fields */

static int is_reserved(const char *name)
{
    for (int i = 0; reserved[i]; i++)
        if (strcmp(reserved[i], name) == 0)
            return 1;
    return 0;
}

/* Lists as JSON, CSV or JSON lines ---------------------------------------------------------------------- */

enum { FMT_JSON, FMT_CSV, FMT_JSONL };

/* Whether the comma-separated media types of an Accept header name type (case aside). */
static int accepts(const char *accept, const char *type)
{
    size_t n = strlen(type);
    for (const char *p = accept; p && *p;) {
        p += strspn(p, " \t,");
        if (strncasecmp(p, type, n) == 0 && strchr(" \t;,", p[n] ? p[n] : ' '))
            return 1;
        p += strcspn(p, ",");
    }
    return 0;
}

/* ?format=json|csv|jsonl, else what Accept asks for, else JSON. 0 after a 400. */
static int format_of(const bl_req *req, const bl_match *m, int *f, bl_resp *resp)
{
    static const char *const formats[] = {"json", "csv", "jsonl", NULL};
    const char *given = bl_router_arg(m, "format"), *accept = req->header(req, "Accept");
    char *err = NULL;
    *f = FMT_JSON;
    if (given)
        return !bl_api_refused(resp, bl_query_choice("format", given, formats, f, &err), &err);
    if (accept && accepts(accept, "text/csv"))
        *f = FMT_CSV;
    else if (accept && (accepts(accept, "application/x-ndjson") || accepts(accept, "application/jsonl")))
        *f = FMT_JSONL;
    return 1;
}

/* The cursor for a header: percent-encoded as a query value, as ?after= takes it back. */
static void header_cursor(bl_resp *resp, const char *next)
{
    size_t k = 0, cap = sizeof resp->extra_buf;
    for (const unsigned char *p = (const unsigned char *)next; *p && k + 4 < cap; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || strchr("-._~:", *p))
            resp->extra_buf[k++] = (char)*p;
        else
            k += (size_t)snprintf(resp->extra_buf + k, cap - k, "%%%02X", *p);
    }
    resp->extra_buf[k] = '\0';
    resp->extra_header = "Bylaw-Next";
    resp->extra_value = resp->extra_buf;
}

/* Answers a page of rows: {key: rows, "next": cursor or null} in JSON; in CSV (columns cols, NULL: the
 * rows' keys) or JSON lines, the rows alone and the cursor in the Bylaw-Next header. Takes rows, next. */
static void answer_rows(bl_resp *resp, int f, const char *key, cJSON *rows, char *next, const char *const *cols)
{
    if (f == FMT_JSON) {
        cJSON *o = cJSON_CreateObject();
        bl_json_add(o, key, rows);
        bl_json_add_str(o, "next", next); /* pass as ?after= for the next page; null: no more */
        bl_api_json(resp, 200, o);
    } else {
        resp->status = 200;
        resp->body = f == FMT_CSV ? bl_export_csv(rows, cols) : bl_export_jsonl(rows);
        resp->ctype = f == FMT_CSV ? "text/csv; charset=utf-8; header=present" : "application/x-ndjson";
        if (next)
            header_cursor(resp, next);
        cJSON_Delete(rows);
    }
    free(next);
}

/* Lists and the queue off the loop ---------------------------------------------------------------------- */

/* A list or queue query, copied out of the request, run on a reader thread (readers.h) and answered on
 * the loop. Without readers (an in-memory database) it runs at once, on the loop. */
typedef struct query_job {
    bl_pending req;
    int decisions; /* 0: records (rq), 1: decisions (dq) */
    const char *lang; /* of the decisions' explanations (bl_api_lang) */
    bl_record_query rq;
    bl_decision_query dq;
    bl_cond conds[BL_ROUTER_MAX_ARGS];
    char *text[6]; /* the copied strings the query points to */
    int f;
    int rc, interrupted, unavailable;
    char *err;
    cJSON *rows;
    char *next;
} query_job;

static const char *const decision_cols[] = {"decision", "type", "id", "record_version", "policy", "version",
                                            "verdict", "explanation", "reasons", "trigger", "at", "at_ms", NULL};

static const char *keep(query_job *j, int i, const char *text)
{
    return text ? (j->text[i] = bl_strdupf("%s", text)) : NULL;
}

static void query_run(bl_store_t *s, void *ud)
{
    query_job *j = ud;
    j->rc = j->decisions ? bl_store_query_decisions(s, &j->dq, &j->rows, &j->next)
                         : bl_store_query(s, &j->rq, &j->rows, &j->next);
    if (j->rc != BL_OK) {
        j->err = bl_strdupf("%s", bl_store_errmsg(s));
        j->interrupted = bl_store_interrupted(s);
        j->unavailable = bl_store_unavailable(s);
    }
}

static void query_free(query_job *j)
{
    for (int i = 0; i < j->rq.nconds; i++)
        bl_query_cond_free(&j->conds[i]);
    for (size_t i = 0; i < sizeof j->text / sizeof j->text[0]; i++)
        free(j->text[i]);
    cJSON_Delete(j->rows);
    free(j->next);
    free(j->err);
    free(j);
}

/* The answer of a query that ran (or, ran 0, could not: the service stopped first). */
static void query_answer(query_job *j, int ran, bl_resp *resp)
{
    const char *what = j->decisions ? "decisions" : "records";
    if (!ran) {
        bl_api_error(resp, 503, "the service is stopping: the query did not run");
    } else if (j->rc == BL_OK) {
        if (j->decisions)
            bl_i18n_decisions(j->rows, j->lang);
        answer_rows(resp, j->f, what, j->rows, j->next, j->decisions ? decision_cols : NULL);
        j->rows = NULL, j->next = NULL;
    } else if (j->interrupted) {
        bl_buf fields = {0};
        for (int i = 0; i < j->rq.nconds; i++)
            bl_buf_printf(&fields, "%s%s.%s", i ? "," : "", j->rq.type, j->conds[i].field);
        long long ms = j->req.svc->conf.query_timeout_ms;
        if (j->decisions)
            bl_api_error(resp, 422, "the query over the decisions took longer than query_timeout_ms (%lld ms): "
                                    "narrow it with type, policy, since or until, or raise the limit", ms);
        else
            bl_api_error(resp, 422, "the query over %s records took longer than query_timeout_ms (%lld ms): no "
                                    "index serves %s; add %s to the setting indexes (--indexes, config \"indexes\") "
                                    "and restart, or filter on an indexed field",
                         j->rq.type, ms, fields.len ? "its conditions" : "it (a list without conditions pages by id)",
                         fields.len ? fields.data : "TYPE.FIELD");
        bl_buf_free(&fields);
    } else {
        bl_api_error(resp, j->rc == BL_INVALID ? 400 : j->unavailable ? 503 : 500, "cannot list the %s: %s", what,
                     j->err ? j->err : "?");
    }
}

static void query_done(void *ud, int ran)
{
    query_job *j = ud;
    bl_resp resp = {0};
    query_answer(j, ran, &resp);
    bl_pending_answer(&j->req, &resp);
    query_free(j);
}

/* Runs j on a reader thread (the answer comes later) or, without readers, now into resp. Takes j. */
static void query_start(bl_service *svc, const bl_req *req, query_job *j, bl_resp *resp)
{
    if (svc->readers == NULL) {
        bl_store_deadline(svc->store, svc->conf.query_timeout_ms);
        query_run(svc->store, j);
        bl_store_deadline(svc->store, 0);
        query_answer(j, 1, resp);
        query_free(j);
        return;
    }
    bl_pending_init(&j->req, svc, req);
    if (bl_readers_run(svc->readers, query_run, query_done, j) != BL_OK) {
        query_free(j);
        bl_api_error(resp, 503, "too many queries are waiting: try again in a moment");
        resp->extra_header = "Retry-After", resp->extra_value = "1";
        return;
    }
    resp->pending = 1;
}

/* Records ------------------------------------------------------------------------------------------------ */

void bl_api_records_list(void *ud, const bl_req *req, const bl_match *m, bl_resp *resp)
{
    bl_service *svc = ud;
    query_job *j = calloc(1, sizeof *j);
    bl_record_query *q = &j->rq;
    *q = (bl_record_query){.type = keep(j, 0, m->seg[0]), .conds = j->conds, .sort = BL_SORT_ID,
                           .after = keep(j, 1, bl_router_arg(m, "after"))};
    int64_t limit = 100;
    char *err = NULL;
    const char *sort = bl_router_arg(m, "sort");
    int rc = bl_query_int("limit", bl_router_arg(m, "limit"), 1, 1000, &limit, &err);
    if (rc == BL_OK && sort)
        rc = bl_query_sort(sort, &q->sort, &q->desc, &err);
    for (int i = 0; rc == BL_OK && i < m->narg; i++) {
        if (is_reserved(m->arg_name[i]))
            continue;
        if ((rc = bl_query_cond(m->arg_name[i], m->arg_value[i], &j->conds[q->nconds], &err)) != BL_OK)
            break;
        if (is_reserved(j->conds[q->nconds].field)) {
            err = bl_strdupf("'%s' is a reserved name (limit, after, sort, format), not a field: a condition "
                             "on a field of that name cannot be asked here", j->conds[q->nconds].field);
            bl_query_cond_free(&j->conds[q->nconds]);
            rc = BL_INVALID;
            break;
        }
        q->nconds++;
    }
    q->limit = (int)limit;
    if (!bl_api_refused(resp, rc, &err) && format_of(req, m, &j->f, resp))
        query_start(svc, req, j, resp);
    else
        query_free(j);
}

/* The version If-Match names into *out (-1 without the header); 0 after a 400 when it names none. */
static int if_match(const bl_req *req, bl_resp *resp, int64_t *out)
{
    const char *im = req->header(req, "If-Match");
    *out = -1;
    if (im == NULL)
        return 1;
    char digits[32];
    size_t k = 0;
    for (const char *p = im; *p && k < sizeof digits - 1; p++)
        if (*p != '"' && *p != ' ' && *p != 'W' && *p != '/')
            digits[k++] = *p;
    digits[k] = '\0';
    char *err = NULL;
    if (k == 0 || bl_query_int("If-Match", digits, 0, INT64_MAX, out, &err) != BL_OK) {
        free(err);
        bl_api_error(resp, 400, "If-Match must be the record's version number, got '%s'", im);
        return 0;
    }
    return 1;
}

/* An "id" or "type" in the body must be the path's; 0 after a 400. */
static int same_names(const cJSON *fields, const char *type, const char *id, bl_resp *resp)
{
    static const char *const keys[] = {"id", "type"};
    const char *path[] = {id, type};
    for (int i = 0; i < 2; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(fields, keys[i]);
        if (cJSON_IsNull(v)) {
            bl_api_error(resp, 400, "the record's %s cannot be removed (it is the path's '%s')", keys[i], path[i]);
            return 0;
        }
        if (cJSON_IsString(v) && strcmp(v->valuestring, path[i]) != 0) {
            bl_api_error(resp, 400, "the body says %s '%s' but the path says '%s'", keys[i], v->valuestring, path[i]);
            return 0;
        }
    }
    return 1;
}

/* PUT and POST: the body is the record's fields; the policies run in a worker and the answer goes out once
 * the write is durable. */
static void put_record(bl_service *svc, const bl_req *req, bl_resp *resp, const char *type, const char *id,
                       int created)
{
    int64_t expect = created ? 0 : -1;
    if (!created && !if_match(req, resp, &expect))
        return;
    cJSON *fields = bl_api_body(req, resp, "the record's fields");
    if (fields == NULL)
        return;
    if (!same_names(fields, type, id, resp)) {
        cJSON_Delete(fields);
        return;
    }
    resp->pending = 1;
    bl_service_write(svc, req, type, id, fields, expect, created);
}

static void new_id(char *buf, size_t n)
{
    static uint32_t counter;
    snprintf(buf, n, "r%llx%04x", (unsigned long long)bl_clock_now_ms(), (unsigned)(counter++ & 0xffff));
}

void bl_api_records_post(void *ud, const bl_req *req, const bl_match *m, bl_resp *resp)
{
    char id[64];
    new_id(id, sizeof id);
    put_record(ud, req, resp, m->seg[0], id, 1);
}

void bl_api_records_put(void *ud, const bl_req *req, const bl_match *m, bl_resp *resp)
{
    put_record(ud, req, resp, m->seg[0], m->seg[1], 0);
}

/* The stored record type/id into r; 0 after a 404 or 500. */
static int stored(bl_service *svc, const char *type, const char *id, bl_record *r, bl_resp *resp)
{
    int rc = bl_store_get(svc->store, type, id, r);
    if (rc == BL_NOTFOUND)
        bl_api_error(resp, 404, "no record %s/%s", type, id);
    else if (rc != BL_OK)
        bl_api_store_error(svc, resp, rc, "cannot read the record");
    return rc == BL_OK;
}

/* {"record": fields, "version", "created", "updated"} of r (taking its fields). */
static cJSON *record_answer(bl_record *r)
{
    char t[32];
    cJSON *o = cJSON_CreateObject();
    bl_json_add(o, "record", r->fields);
    r->fields = NULL;
    bl_json_add_num(o, "version", (double)r->version);
    bl_json_add_str(o, "created", bl_time_format(r->created_ms, t));
    bl_json_add_str(o, "updated", bl_time_format(r->updated_ms, t));
    return o;
}

void bl_api_records_get(void *ud, const bl_req *req, const bl_match *m, bl_resp *resp)
{
    bl_record r = {0};
    if (!stored(ud, m->seg[0], m->seg[1], &r, resp))
        return;
    snprintf(resp->etag, sizeof resp->etag, "\"%lld\"", (long long)r.version);
    bl_api_json(resp, 200, record_answer(&r));
}

/* RFC 7396: applies patch (an object) to target (an object) in place. */
static void merge_patch(cJSON *target, const cJSON *patch)
{
    for (const cJSON *p = patch->child; p; p = p->next) {
        cJSON *t = cJSON_GetObjectItemCaseSensitive(target, p->string), *v;
        if (cJSON_IsNull(p)) {
            cJSON_DeleteItemFromObjectCaseSensitive(target, p->string);
            continue;
        }
        if (cJSON_IsObject(p)) {
            v = cJSON_IsObject(t) ? cJSON_Duplicate(t, 1) : cJSON_CreateObject();
            merge_patch(v, p);
        } else {
            v = cJSON_Duplicate(p, 1);
        }
        if (t)
            cJSON_ReplaceItemViaPointer(target, t, v);
        else
            cJSON_AddItemToObject(target, p->string, v);
    }
}

/* PATCH: a JSON merge patch of the stored fields, then evaluated and committed as a PUT at the stored
 * version (a write in between: 409). */
void bl_api_records_patch(void *ud, const bl_req *req, const bl_match *m, bl_resp *resp)
{
    bl_service *svc = ud;
    const char *type = m->seg[0], *id = m->seg[1];
    int64_t expect;
    bl_record r = {0};
    if (!if_match(req, resp, &expect))
        return;
    cJSON *patch = bl_api_body(req, resp, "a merge patch of the record's fields (RFC 7396)");
    if (patch == NULL)
        return;
    if (!same_names(patch, type, id, resp) || !stored(svc, type, id, &r, resp)) {
        cJSON_Delete(patch);
        return;
    }
    if (expect >= 0 && expect != r.version) {
        bl_api_error(resp, 409, "record %s/%s is at version %lld, not %lld", type, id, (long long)r.version,
                     (long long)expect);
    } else {
        merge_patch(r.fields, patch);
        resp->pending = 1;
        bl_service_write(svc, req, type, id, r.fields, r.version, 0);
        r.fields = NULL;
    }
    cJSON_Delete(patch);
    bl_record_clear(&r);
}

/* DELETE (admin): soft, in the group commit's batch; answered with what was deleted once durable. */
void bl_api_records_delete(void *ud, const bl_req *req, const bl_match *m, bl_resp *resp)
{
    bl_service *svc = ud;
    const char *type = m->seg[0], *id = m->seg[1];
    int64_t expect, now = bl_clock_now_ms();
    char *err = NULL;
    if (!if_match(req, resp, &expect))
        return;
    if (bl_service_batch(svc, &err) != BL_OK) {
        bl_api_error(resp, 503, "cannot start the write: %s", err);
        free(err);
        return;
    }
    bl_record r = {0};
    int began = bl_store_begin(svc->store) == BL_OK; /* a savepoint of the batch: all of it or nothing */
    int rc = began ? bl_store_delete(svc->store, type, id, expect, now, &r) : BL_ERR;
    if (rc == BL_OK)
        rc = bl_store_commit(svc->store);
    if (rc != BL_OK) {
        if (began)
            bl_store_rollback(svc->store);
        bl_record_clear(&r);
        if (rc == BL_NOTFOUND || rc == BL_CONFLICT)
            bl_api_error(resp, rc == BL_NOTFOUND ? 404 : 409, "%s", bl_store_errmsg(svc->store));
        else
            bl_api_store_error(svc, resp, rc, "cannot delete the record");
        return;
    }
    char t[32];
    cJSON *o = record_answer(&r);
    bl_json_add_str(o, "deleted", bl_time_format(now, t));
    bl_resp answer = {0};
    bl_api_json(&answer, 200, o);
    bl_pending p;
    bl_pending_init(&p, svc, req);
    bl_pending_hold(&p, &answer);
    resp->pending = 1;
}

/* GET .../history and .../decisions: what the store keeps of a record, also after it was deleted. */
static void record_log(bl_service *svc, const bl_match *m, bl_resp *resp, int history, const char *lang)
{
    const char *type = m->seg[0], *id = m->seg[1];
    cJSON *out = NULL;
    int rc = history ? bl_store_history(svc->store, type, id, &out) : bl_store_decisions(svc->store, type, id, &out);
    if (rc != BL_OK) {
        bl_api_store_error(svc, resp, rc, "cannot read");
        return;
    }
    bl_record probe = {0};
    if (cJSON_GetArraySize(out) == 0 && bl_store_get(svc->store, type, id, &probe) == BL_NOTFOUND) {
        cJSON_Delete(out);
        bl_api_error(resp, 404, "no record %s/%s", type, id);
        return;
    }
    bl_record_clear(&probe);
    if (!history)
        bl_i18n_decisions(out, lang);
    cJSON *o = cJSON_CreateObject();
    bl_json_add(o, history ? "versions" : "decisions", out);
    bl_api_json(resp, 200, o);
}

void bl_api_records_history(void *ud, const bl_req *req, const bl_match *m, bl_resp *resp)
{
    record_log(ud, m, resp, 1, NULL);
}

void bl_api_records_decisions(void *ud, const bl_req *req, const bl_match *m, bl_resp *resp)
{
    record_log(ud, m, resp, 0, bl_api_lang(ud, req));
}

/* GET /decisions ---------------------------------------------------------------------------------------- */

/* since/until: ISO 8601, or a date (until a date: the end of that day). 0 after a 400. */
static int time_arg(bl_service *svc, const bl_match *m, const char *name, int end_of_day, int64_t *out,
                    bl_resp *resp)
{
    const char *text = bl_router_arg(m, name);
    char *err = NULL;
    if (text == NULL)
        return 1;
    if (bl_cal_time_parse(svc->active.zone, text, out, &err) != BL_OK) {
        bl_api_error(resp, 400, "%s must be a time (ISO 8601, as 2026-10-08T09:00:00+08:00) or a date "
                                "(2026-10-08): %s", name, err ? err : text);
        free(err);
        return 0;
    }
    if (end_of_day && strlen(text) == 10)
        *out += 24 * 3600 * 1000LL;
    return 1;
}

/* trigger: write, timer (every deadline) or timer:NAME. */
static int valid_trigger(const char *t)
{
    return strcmp(t, "write") == 0 || strcmp(t, "timer") == 0 ||
           (strncmp(t, "timer:", 6) == 0 && bl_query_field_name(t + 6));
}

void bl_api_records_queue(void *ud, const bl_req *req, const bl_match *m, bl_resp *resp)
{
    static const char *const verdicts[] = {"pass", "hold", "reject", "none", NULL};
    static const char *const orders[] = {"desc", "asc", NULL}, *const truth[] = {"true", "false", NULL};
    bl_service *svc = ud;
    bl_decision_query q = {.policy = bl_router_arg(m, "policy"), .type = bl_router_arg(m, "type"),
                           .trigger = bl_router_arg(m, "trigger"), .after = bl_router_arg(m, "after"),
                           .since_ms = INT64_MIN, .until_ms = INT64_MAX};
    int verdict = -1, order = 0, current = 0, f;
    int64_t limit = 100;
    char *err = NULL;
    if (q.policy && !bl_query_field_name(q.policy)) {
        bl_api_error(resp, 400, "policy: '%s' is not a policy name (letters, digits, '_' and '-')", q.policy);
        return;
    }
    if (q.type && !bl_query_field_name(q.type)) {
        bl_api_error(resp, 400, "type: '%s' is not a record type (letters, digits, '_' and '-', at most 64)", q.type);
        return;
    }
    if (q.trigger && !valid_trigger(q.trigger)) {
        bl_api_error(resp, 400, "trigger must be write, timer (any deadline) or timer:NAME, got '%s'", q.trigger);
        return;
    }
    int rc = bl_query_choice("verdict", bl_router_arg(m, "verdict"), verdicts, &verdict, &err);
    if (rc == BL_OK)
        rc = bl_query_choice("order", bl_router_arg(m, "order"), orders, &order, &err);
    if (rc == BL_OK)
        rc = bl_query_choice("current", bl_router_arg(m, "current"), truth, &current, &err);
    if (rc == BL_OK)
        rc = bl_query_int("limit", bl_router_arg(m, "limit"), 1, 1000, &limit, &err);
    if (bl_api_refused(resp, rc, &err) || !time_arg(svc, m, "since", 0, &q.since_ms, resp) ||
        !time_arg(svc, m, "until", 1, &q.until_ms, resp) || !format_of(req, m, &f, resp))
        return;
    query_job *j = calloc(1, sizeof *j);
    j->decisions = 1;
    j->lang = bl_api_lang(ud, req);
    j->f = f;
    j->dq = q;
    j->dq.policy = keep(j, 0, q.policy);
    j->dq.type = keep(j, 1, q.type);
    j->dq.trigger = keep(j, 2, q.trigger);
    j->dq.after = keep(j, 3, q.after);
    j->dq.verdict = verdict >= 0 ? verdicts[verdict] : NULL;
    j->dq.desc = order == 0;
    j->dq.current = current == 0;
    j->dq.limit = (int)limit;
    query_start(svc, req, j, resp);
}
