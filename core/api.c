/* api.c — the service's HTTP/JSON API as a route table (dispatched by core/router.c) and the handlers of
 * everything but records (core/api_records.c): health, metrics, ledger, events, timers, the clock and
 * policies. Every error is {"error": "..."} in plain words naming the parameter or field concerned. */
#include "api.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_policies.h"
#include "api_records.h"
#include "console.h"
#include "i18n.h"
#include "import_api.h"
#include "query.h"
#include "router.h"
#include "service.h"

/* Long polls parked at once on GET /events: in all, and per token (open mode: per client address). A
 * poll holds a connection of max_connections (256 by default) for up to 300 s. */
#define MAX_POLLS 128
#define MAX_POLLS_EACH 16
#define POLL_RETRY_S "5"

void bl_api_json(bl_resp *resp, int status, cJSON *body)
{
    resp->status = status;
    resp->body = bl_json_dump(body);
    cJSON_Delete(body);
}

const char *bl_api_lang(const bl_service *svc, const bl_req *req)
{
    const char *dflt = bl_lang_of(svc->conf.lang);
    return bl_lang_accept(req->header ? req->header(req, "Accept-Language") : NULL, dflt ? dflt : "en");
}

void bl_api_error(bl_resp *resp, int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = bl_vstrdupf(fmt, ap);
    va_end(ap);
    cJSON *e = cJSON_CreateObject();
    bl_json_add_str(e, "error", msg);
    free(msg);
    bl_api_json(resp, status, e);
}

/* Helpers the handlers share (api_records.h) --------------------------------------------------------- */

void bl_api_store_error(bl_service *svc, bl_resp *resp, int rc, const char *what)
{
    int unavailable = rc == BL_ERR && bl_store_unavailable(svc->store);
    bl_api_error(resp, rc == BL_INVALID ? 400 : unavailable ? 503 : 500, "%s: %s%s", what, bl_store_errmsg(svc->store),
                 unavailable ? " (the database cannot take writes now: see GET /health/ready)" : "");
}

int bl_api_refused(bl_resp *resp, int rc, char **err)
{
    if (rc != BL_OK)
        bl_api_error(resp, 400, "%s", *err ? *err : "bad query");
    free(*err);
    *err = NULL;
    return rc != BL_OK;
}

cJSON *bl_api_body(const bl_req *req, bl_resp *resp, const char *what)
{
    char err[200];
    if (req->body_len == 0) {
        bl_api_error(resp, 400, "the body is empty: send %s as a JSON object", what);
        return NULL;
    }
    cJSON *j = bl_json_parse(req->body, req->body_len, err, sizeof err);
    if (j == NULL) {
        bl_api_error(resp, 400, "%s", err);
        return NULL;
    }
    if (!cJSON_IsObject(j)) {
        cJSON_Delete(j);
        bl_api_error(resp, 400, "the body must be %s as a JSON object, not %s", what,
                     cJSON_IsArray(j) ? "an array" : "a single value");
        return NULL;
    }
    return j;
}

/* {key: items} (taken) when rc is BL_OK, else the store's failure: "<what>: ...". */
static void answer_items(bl_service *svc, bl_resp *resp, int rc, const char *key, cJSON *items, const char *what)
{
    if (rc != BL_OK) {
        bl_api_store_error(svc, resp, rc, what);
        return;
    }
    cJSON *o = cJSON_CreateObject();
    bl_json_add(o, key, items);
    bl_api_json(resp, 200, o);
}

/* Every key of body is one of keys (NULL-terminated) and holds text; else a 400 naming it. */
int bl_api_text_keys(const cJSON *body, const char *const *keys, bl_resp *resp)
{
    for (const cJSON *k = body->child; k; k = k->next) {
        int known = 0;
        bl_buf list = {0};
        for (int i = 0; keys[i]; i++) {
            known |= strcmp(keys[i], k->string) == 0;
            bl_buf_printf(&list, "%s\"%s\"", i ? (keys[i + 1] ? ", " : " or ") : "", keys[i]);
        }
        if (!known)
            bl_api_error(resp, 400, "unknown key \"%s\" in the body; it takes %s", k->string, list.data);
        else if (!cJSON_IsString(k))
            bl_api_error(resp, 400, "\"%s\" must be text (a JSON string), not %s", k->string,
                         cJSON_IsNumber(k) ? "a number" : "another kind of value");
        bl_buf_free(&list);
        if (!known || !cJSON_IsString(k))
            return 0;
    }
    return 1;
}

/* Names ------------------------------------------------------------------------------------------ */

static int valid_type(const char *s) { return bl_query_field_name(s); }

static int valid_id(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 200)
        return 0;
    for (; *s; s++)
        if ((unsigned char)*s < 32 || *s == 0x7f)
            return 0;
    return 1;
}

static int valid_policy_name(const char *s) { return valid_type(s) && s[0] != '_'; }

static int valid_version(const char *s) { return strlen(s) == 16 && strspn(s, "0123456789abcdef") == 16; }

#define NAME_KIND                                                                                                  \
    {"name", "policy file name", valid_policy_name,                                                                \
     "the file name without .lua (letters, digits, '_' and '-', not starting with '_'; a test file too, NAME_test)"}
#define VERSION_KIND {"version", "policy version", valid_version, "16 hexadecimal digits, as GET .../versions lists them"}
const bl_seg_kind bl_api_name_kind = NAME_KIND, bl_api_version_kind = VERSION_KIND;

/* How the router checks each {kind} of the patterns below. */
static const bl_seg_kind kinds[] = {
    {"type", "record type", valid_type, "letters, digits, '_' and '-', at most 64"},
    {"id", "record id", valid_id, "1 to 200 printable characters"},
    {"subject", "ledger subject", valid_id, "1 to 200 printable characters"},
    NAME_KIND,
    VERSION_KIND,
};

/* Health, metrics -------------------------------------------------------------------------------------- */

static void h_health(void *ud, const bl_req *req, const bl_match *m, bl_resp *resp)
{
    int ready;
    bl_api_json(resp, 200, bl_service_health(ud, &ready));
}

/* The process answers: a supervisor may restart it when this fails. */
static void h_live(void *ud, const bl_req *req, const bl_match *m, bl_resp *resp)
{
    cJSON *o = cJSON_CreateObject();
    bl_json_add_str(o, "status", "alive");
    bl_api_json(resp, 200, o);
}

/* It can take writes and decide them now: a load balancer may send it traffic (503 otherwise). */
static void h_ready(void *ud, const bl_req *req, const bl_match *m, bl_resp *resp)
{
    int ready;
    cJSON *o = bl_service_health(ud, &ready);
    bl_api_json(resp, ready ? 200 : 503, o);
}

static void h_metrics(void *ud, const bl_req *req, const bl_match *m, bl_resp *resp)
{
    resp->status = 200;
    resp->body = bl_metrics_text(ud);
    resp->ctype = "text/plain; version=0.0.4";
}

/* Ledger, events, timers ------------------------------------------------------------------------------- */

static void h_ledger(void *ud, const bl_req *req, const bl_match *m, bl_resp *resp)
{
    bl_service *svc = ud;
    char now[8];
    const char *month = bl_router_arg(m, "month");
    char *err = NULL;
    if (month == NULL)
        month = bl_time_month(bl_clock_now_ms(), now);
    else if (bl_api_refused(resp, bl_query_month("month", month, &err), &err))
        return;
    cJSON *out = NULL;
    int rc = bl_store_ledger(svc->store, m->seg[0], month, &out);
    if (rc != BL_OK) {
        bl_api_store_error(svc, resp, rc, "cannot read the ledger");
        return;
    }
    bl_api_json(resp, 200, out);
}

static void h_events(void *ud, const bl_req *req, const bl_match *m, bl_resp *resp)
{
    bl_service *svc = ud;
    int64_t after = 0, wait = 0, limit = 100;
    char *err = NULL;
    int rc = bl_query_int("after", bl_router_arg(m, "after"), 0, INT64_MAX, &after, &err);
    if (rc == BL_OK)
        rc = bl_query_int("wait", bl_router_arg(m, "wait"), 0, 300, &wait, &err);
    if (rc == BL_OK)
        rc = bl_query_int("limit", bl_router_arg(m, "limit"), 1, 1000, &limit, &err);
    if (bl_api_refused(resp, rc, &err))
        return;
    cJSON *ev = NULL;
    if ((rc = bl_store_events(svc->store, after, (int)limit, &ev)) != BL_OK) {
        bl_api_store_error(svc, resp, rc, "cannot read the events");
        return;
    }
    int n = cJSON_GetArraySize(ev);
    if (n == 0 && wait > 0) {
        cJSON_Delete(ev);
        char holder[64];
        if (m->who)
            snprintf(holder, sizeof holder, "token %s", m->who);
        else
            snprintf(holder, sizeof holder, "client %s", req->peer ? req->peer : "?");
        int all = bl_service_polls(svc, NULL), mine = bl_service_polls(svc, holder);
        if (all >= MAX_POLLS || mine >= MAX_POLLS_EACH) {
            resp->extra_header = "Retry-After";
            resp->extra_value = POLL_RETRY_S;
            bl_api_error(resp, 429,
                         "too many long polls wait at once (%d %s; at most %d each and %d in all): retry after %s "
                         "seconds, or poll with wait=0",
                         mine >= MAX_POLLS_EACH ? mine : all, mine >= MAX_POLLS_EACH ? m->who != NULL
                                                                                          ? "with this token"
                                                                                          : "from this address"
                                                                                    : "in all",
                         MAX_POLLS_EACH, MAX_POLLS, POLL_RETRY_S);
            return;
        }
        resp->pending = 1;
        bl_service_poll(svc, req, after, (int)limit, (int)wait, holder);
        return;
    }
    cJSON *o = cJSON_CreateObject();
    int64_t last = n ? (int64_t)bl_json_num(cJSON_GetArrayItem(ev, n - 1), "seq", (double)after) : after;
    bl_json_add(o, "events", ev);
    bl_json_add_num(o, "next", (double)last); /* pass as ?after= */
    bl_api_json(resp, 200, o);
}

static void h_timers(void *ud, const bl_req *req, const bl_match *m, bl_resp *resp)
{
    bl_service *svc = ud;
    const char *type = bl_router_arg(m, "type"), *id = bl_router_arg(m, "id"), *db = bl_router_arg(m, "due_before");
    int64_t before = -1, limit = 1000;
    char *err = NULL;
    if (type && !valid_type(type)) {
        bl_api_error(resp, 400, "type: '%s' is not a record type (letters, digits, '_' and '-', at most 64)", type);
        return;
    }
    if (id && !valid_id(id)) {
        bl_api_error(resp, 400, "id: a record id is 1 to 200 printable characters");
        return;
    }
    if (db && bl_cal_time_parse(svc->active.zone, db, &before, &err) != BL_OK) {
        bl_api_error(resp, 400, "due_before: %s", err);
        free(err);
        return;
    }
    if (bl_api_refused(resp, bl_query_int("limit", bl_router_arg(m, "limit"), 1, 1000, &limit, &err), &err))
        return;
    cJSON *out = NULL;
    int rc = bl_store_timers(svc->store, type, id, before, (int)limit, &out);
    answer_items(svc, resp, rc, "timers", out, "cannot list the timers");
}

/* GET /clock reads it, POST /clock moves it (only with --virtual-clock: the routes are optional). */
static void h_clock(void *ud, const bl_req *req, const bl_match *m, bl_resp *resp)
{
    static const char *const keys[] = {"set", "advance", NULL};
    bl_service *svc = ud;
    cJSON *body = NULL;
    if (strcmp(req->method, "POST") == 0) {
        body = bl_api_body(req, resp, "{\"advance\": \"...\"} or {\"set\": \"...\"}");
        if (body == NULL)
            return;
        if (!bl_api_text_keys(body, keys, resp)) {
            cJSON_Delete(body);
            return;
        }
    }
    resp->pending = 1; /* answered once the deadlines on the way have fired */
    bl_service_clock(svc, req, body ? bl_json_str(body, "set") : NULL, body ? bl_json_str(body, "advance") : "0 minutes");
    cJSON_Delete(body);
}

/* Policies --------------------------------------------------------------------------------------- */

static void h_policies(void *ud, const bl_req *req, const bl_match *m, bl_resp *resp)
{
    answer_items(ud, resp, BL_OK, "policies", bl_service_policy_files(ud, 0), NULL);
}

/* The routes ------------------------------------------------------------------------------------------- */

#define READS BL_ROUTE_READS
#define FIELDS BL_ROUTE_FIELDS
#define VCLOCK BL_ROUTE_OPTIONAL

static const bl_route routes[] = {
    {"GET", "/health", BL_ROLE_NONE, 0, NULL, h_health},
    {"GET", "/health/live", BL_ROLE_NONE, 0, NULL, h_live},
    {"GET", "/health/ready", BL_ROLE_NONE, 0, NULL, h_ready},
    {"GET", "/metrics", BL_ROLE_READER, 0, NULL, h_metrics},
    {"GET", "/records/{type}", BL_ROLE_READER, READS | FIELDS, "limit after sort format", bl_api_records_list},
    {"POST", "/records/{type}:import", BL_ROLE_WRITER, 0, "dry_run", bl_api_records_import},
    {"POST", "/records/{type}", BL_ROLE_WRITER, 0, NULL, bl_api_records_post},
    {"GET", "/records/{type}/{id}", BL_ROLE_READER, READS, NULL, bl_api_records_get},
    {"PUT", "/records/{type}/{id}", BL_ROLE_WRITER, 0, NULL, bl_api_records_put},
    {"PATCH", "/records/{type}/{id}", BL_ROLE_WRITER, READS, NULL, bl_api_records_patch},
    {"DELETE", "/records/{type}/{id}", BL_ROLE_ADMIN, 0, NULL, bl_api_records_delete},
    {"POST", "/records/{type}/{id}/erase", BL_ROLE_ADMIN, 0, NULL, bl_api_admin_erase},
    {"GET", "/records/{type}/{id}/history", BL_ROLE_READER, READS, NULL, bl_api_records_history},
    {"GET", "/records/{type}/{id}/decisions", BL_ROLE_READER, READS, NULL, bl_api_records_decisions},
    {"GET", "/decisions", BL_ROLE_READER, READS,
     "policy type verdict trigger since until current order limit after format", bl_api_records_queue},
    {"GET", "/ledger/{subject}", BL_ROLE_READER, READS, "month", h_ledger},
    {"GET", "/events", BL_ROLE_READER, READS, "after wait limit", h_events},
    {"GET", "/timers", BL_ROLE_READER, READS, "type id due_before limit", h_timers},
    {"GET", "/clock", BL_ROLE_READER, VCLOCK, NULL, h_clock},
    {"POST", "/clock", BL_ROLE_ADMIN, VCLOCK, NULL, h_clock},
    {"GET", "/policies", BL_ROLE_READER, 0, NULL, h_policies},
    {"PUT", "/policies", BL_ROLE_ADMIN, 0, NULL, bl_api_policy_bundle},
    {"GET", "/policies/{name}", BL_ROLE_READER, 0, NULL, bl_api_policy_get},
    {"PUT", "/policies/{name}", BL_ROLE_ADMIN, 0, "message", bl_api_policy_put},
    {"GET", "/policies/{name}/versions", BL_ROLE_READER, READS, NULL, bl_api_policy_versions},
    {"GET", "/policies/{name}/versions/{version}", BL_ROLE_READER, READS, NULL, bl_api_policy_version},
    {"GET", "/policies/{name}/versions/{version}/diff", BL_ROLE_READER, READS, "against", bl_api_policy_diff},
    {"POST", "/policies/{name}/rollback", BL_ROLE_ADMIN, READS, NULL, bl_api_policy_rollback},
    {"POST", "/policies/dry-run", BL_ROLE_ADMIN, READS, "type wait", bl_api_policy_dryrun},
    {"GET", "/jobs/{job}", BL_ROLE_READER, 0, NULL, bl_api_job},
    {"DELETE", "/jobs/{job}", BL_ROLE_ADMIN, 0, NULL, bl_api_job},
    {"POST", "/admin/backup", BL_ROLE_ADMIN, 0, NULL, bl_api_admin_backup},
    {"GET", "/", BL_ROLE_NONE, 0, NULL, bl_console_get}, /* the console (core/console.c): it signs in by itself */
    {"GET", "/console/{asset}", BL_ROLE_NONE, 0, NULL, bl_console_get},
    {"GET", "/console/lib/{asset}", BL_ROLE_NONE, 0, NULL, bl_console_get},
    {"POST", "/console/try/{type}", BL_ROLE_READER, READS, NULL, bl_console_try},
};

static void flush(void *ud) { bl_service_flush(ud); }

static bl_role role_of(void *ud, const bl_req *req, const char *token, const char **name)
{
    return bl_service_role(ud, req, token, name);
}

const bl_seg_kind *bl_api_kinds(int *n)
{
    *n = (int)(sizeof kinds / sizeof *kinds);
    return kinds;
}

void bl_api_handle(bl_service *svc, const bl_req *req, bl_resp *resp)
{
    bl_router r = {
        .routes = routes, .nroutes = (int)(sizeof routes / sizeof *routes), .kinds = kinds,
        .nkinds = (int)(sizeof kinds / sizeof *kinds), .ntokens = svc->conf.ntokens,
        .insecure_open = svc->insecure_open, .role_of = role_of,
        .present = svc->virtual_clock, .flush = flush, .ud = svc,
    };
    bl_router_dispatch(&r, req, resp);
}
