/* api.c — routes the service's HTTP/JSON API: checks the token's role and the input, calls the engine
 * and the store, and words every error in plain language with the field or file:line it concerns. */
#include "api.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "service.h"

#define MAX_SEGMENTS 8

void bl_api_json(bl_resp *resp, int status, cJSON *body)
{
    resp->status = status;
    resp->body = bl_json_dump(body);
    cJSON_Delete(body);
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

static void store_error(bl_service *svc, bl_resp *resp, const char *what)
{
    bl_api_error(resp, 500, "%s: %s", what, bl_store_errmsg(svc->store));
}

/* Names ------------------------------------------------------------------------------------------ */

static int valid_type(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 64)
        return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '_' ||
              *s == '-'))
            return 0;
    return 1;
}

static int valid_id(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 200)
        return 0;
    for (; *s; s++)
        if ((unsigned char)*s < 32)
            return 0;
    return 1;
}

/* Splits "/a/b/c" into segments (in buf); returns their number, or -1 when there are too many. */
static int split_path(const char *path, char *buf, size_t bufsz, char **seg)
{
    snprintf(buf, bufsz, "%s", path);
    int n = 0;
    char *save = NULL;
    for (char *t = strtok_r(buf, "/", &save); t; t = strtok_r(NULL, "/", &save)) {
        if (n == MAX_SEGMENTS)
            return -1;
        seg[n++] = t;
    }
    return n;
}

/* Roles ------------------------------------------------------------------------------------------ */

static const char *role_name(bl_role r)
{
    static const char *names[] = {"none", "reader", "writer", "admin"};
    return names[r];
}

/* Returns 1 when the request may go on; otherwise fills resp (401/403). */
static int authorize(bl_service *svc, const bl_req *req, bl_role need, bl_resp *resp)
{
    if (need == BL_ROLE_NONE)
        return 1;
    if (svc->ntokens == 0) {
        if (req->loopback)
            return 1;
        bl_api_error(resp, 403, "this service runs without tokens (open mode) and answers only loopback clients; "
                                "add tokens to the config file to serve other hosts");
        return 0;
    }
    const char *auth = req->header(req, "Authorization");
    const char *tok = NULL;
    if (auth && strncmp(auth, "Bearer ", 7) == 0)
        tok = auth + 7;
    bl_role have = BL_ROLE_NONE;
    for (int i = 0; tok && i < svc->ntokens; i++)
        if (strcmp(svc->tokens[i].token, tok) == 0)
            have = svc->tokens[i].role;
    if (have == BL_ROLE_NONE) {
        resp->extra_header = "WWW-Authenticate";
        resp->extra_value = "Bearer";
        bl_api_error(resp, 401, tok ? "the token is not known" : "missing token: send 'Authorization: Bearer TOKEN'");
        return 0;
    }
    if (have < need) {
        bl_api_error(resp, 403, "this needs the %s role; the token has the %s role", role_name(need), role_name(have));
        return 0;
    }
    return 1;
}

/* Body ------------------------------------------------------------------------------------------- */

/* Parses the body as a JSON object; fills resp with a 400 and returns NULL when it is not one. */
static cJSON *body_object(const bl_req *req, bl_resp *resp)
{
    char err[200];
    if (req->body_len == 0) {
        bl_api_error(resp, 400, "the body is empty: send the record's fields as a JSON object");
        return NULL;
    }
    cJSON *j = bl_json_parse(req->body, req->body_len, err, sizeof err);
    if (j == NULL) {
        bl_api_error(resp, 400, "%s", err);
        return NULL;
    }
    if (!cJSON_IsObject(j)) {
        cJSON_Delete(j);
        bl_api_error(resp, 400, "the body must be a JSON object of fields, not %s",
                     cJSON_IsArray(j) ? "an array" : "a single value");
        return NULL;
    }
    return j;
}

static int64_t parse_int(const char *s, int64_t dflt, int64_t min, int64_t max, int *ok)
{
    *ok = 1;
    if (s == NULL || *s == '\0')
        return dflt;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || *end || v < min || v > max) {
        *ok = 0;
        return dflt;
    }
    return v;
}

/* Records ---------------------------------------------------------------------------------------- */

static void put_record(bl_service *svc, const bl_req *req, bl_resp *resp, const char *type, const char *id,
                       int created)
{
    cJSON *fields = body_object(req, resp);
    if (fields == NULL)
        return;
    const char *bid = bl_json_str(fields, "id"), *btype = bl_json_str(fields, "type");
    if ((bid && strcmp(bid, id) != 0) || (btype && strcmp(btype, type) != 0)) {
        bl_api_error(resp, 400, "the body says %s '%s' but the path says '%s'", bid && strcmp(bid, id) ? "id" : "type",
                     bid && strcmp(bid, id) ? bid : btype, bid && strcmp(bid, id) ? id : type);
        cJSON_Delete(fields);
        return;
    }
    int64_t expect = -1;
    const char *im = req->header(req, "If-Match");
    if (created) {
        expect = 0;
    } else if (im) {
        char digits[32];
        size_t k = 0;
        for (const char *p = im; *p && k < sizeof digits - 1; p++)
            if (*p != '"' && *p != ' ' && *p != 'W' && *p != '/')
                digits[k++] = *p;
        digits[k] = '\0';
        int ok;
        expect = parse_int(digits, -1, 0, INT64_MAX, &ok);
        if (!ok || k == 0) {
            bl_api_error(resp, 400, "If-Match must be the record's version number, got '%s'", im);
            cJSON_Delete(fields);
            return;
        }
    }
    resp->pending = 1; /* the policies run in a worker; the answer goes out once the write is durable */
    bl_service_write(svc, req, type, id, fields, expect, created);
}

static void new_id(char *buf, size_t n)
{
    static uint32_t counter;
    snprintf(buf, n, "r%llx%04x", (unsigned long long)bl_clock_now_ms(), (unsigned)(counter++ & 0xffff));
}

static void get_record(bl_service *svc, bl_resp *resp, const char *type, const char *id)
{
    bl_record r = {0};
    int rc = bl_store_get(svc->store, type, id, &r);
    if (rc == BL_NOTFOUND) {
        bl_api_error(resp, 404, "no record %s/%s", type, id);
        return;
    }
    if (rc != BL_OK) {
        store_error(svc, resp, "cannot read the record");
        return;
    }
    cJSON *o = cJSON_CreateObject();
    bl_json_add(o, "record", r.fields);
    r.fields = NULL;
    bl_json_add_num(o, "version", (double)r.version);
    char t[32];
    bl_json_add_str(o, "created", bl_time_format(r.created_ms, t));
    bl_json_add_str(o, "updated", bl_time_format(r.updated_ms, t));
    snprintf(resp->etag, sizeof resp->etag, "\"%lld\"", (long long)r.version);
    bl_record_clear(&r);
    bl_api_json(resp, 200, o);
}

typedef struct filter_ctx {
    cJSON *filter;
    const char *bad;
} filter_ctx;

/* A query value as a JSON scalar: 3 → number, true/false/null → those, anything else → string. */
static void add_filter(void *ud, const char *k, const char *v)
{
    filter_ctx *f = ud;
    if (strcmp(k, "limit") == 0 || strcmp(k, "after") == 0)
        return;
    if (!valid_type(k) && f->bad == NULL) {
        f->bad = k;
        return;
    }
    char err[100];
    cJSON *j = bl_json_parse(v, strlen(v), err, sizeof err);
    if (j == NULL || !(cJSON_IsNumber(j) || cJSON_IsBool(j) || cJSON_IsNull(j))) {
        cJSON_Delete(j);
        j = cJSON_CreateString(v);
    }
    cJSON_AddItemToObject(f->filter, k, j);
}

static void list_records(bl_service *svc, const bl_req *req, bl_resp *resp, const char *type)
{
    int ok;
    int64_t limit = parse_int(req->query(req, "limit"), 100, 1, 1000, &ok);
    if (!ok) {
        bl_api_error(resp, 400, "limit must be a whole number from 1 to 1000");
        return;
    }
    filter_ctx f = {cJSON_CreateObject(), NULL};
    req->each_query(req, add_filter, &f);
    if (f.bad) {
        bl_api_error(resp, 400, "'%s' is not a field name (letters, digits, '_' and '-')", f.bad);
        cJSON_Delete(f.filter);
        return;
    }
    cJSON *items = NULL;
    if (bl_store_find(svc->store, type, f.filter, req->query(req, "after"), (int)limit + 1, &items) != BL_OK) {
        cJSON_Delete(f.filter);
        store_error(svc, resp, "cannot list the records");
        return;
    }
    cJSON_Delete(f.filter);
    cJSON *o = cJSON_CreateObject();
    int n = cJSON_GetArraySize(items);
    const char *next = NULL;
    if (n > limit) {
        cJSON_DeleteItemFromArray(items, n - 1);
        next = bl_json_str(cJSON_GetArrayItem(items, (int)limit - 1), "id");
    }
    bl_json_add(o, "records", items);
    bl_json_add_str(o, "next", next); /* pass as ?after= for the next page; null: no more */
    bl_api_json(resp, 200, o);
}

/* Policies --------------------------------------------------------------------------------------- */

static int valid_policy_name(const char *s)
{
    return valid_type(s) && s[0] != '_' && strstr(s, "_test") == NULL;
}


static void get_policy(bl_service *svc, bl_resp *resp, const char *name)
{
    cJSON *files = bl_service_policy_files(svc, 1); /* the source that runs, whatever the file says now */
    cJSON *f = cJSON_DetachItemFromObjectCaseSensitive(files, name);
    cJSON_Delete(files);
    if (f == NULL) {
        bl_api_error(resp, 404, "no policy file '%s' in %s", name, svc->cfg.policy_dir);
        return;
    }
    bl_json_add_str(f, "name", name);
    bl_api_json(resp, 200, f);
}

static void put_policy(bl_service *svc, const bl_req *req, bl_resp *resp, const char *name, const char *source,
                       size_t len)
{
    resp->pending = 1; /* validated and tested in a worker first */
    bl_service_install(svc, req, name, source, len);
}

static void rollback_policy(bl_service *svc, const bl_req *req, bl_resp *resp, const char *name)
{
    const char *version = NULL;
    cJSON *body = NULL;
    if (req->body_len) {
        char perr[200];
        body = bl_json_parse(req->body, req->body_len, perr, sizeof perr);
        if (body == NULL) {
            bl_api_error(resp, 400, "%s", perr);
            return;
        }
        version = bl_json_str(body, "version");
    }
    cJSON *versions = NULL;
    if (version == NULL) { /* the one before the active version */
        if (bl_store_policy_versions(svc->store, name, &versions) != BL_OK) {
            cJSON_Delete(body);
            store_error(svc, resp, "cannot read the versions");
            return;
        }
        cJSON *files = bl_service_policy_files(svc, 0);
        const char *active = bl_json_str(cJSON_GetObjectItemCaseSensitive(files, name), "version");
        cJSON *v;
        int seen_active = 0;
        cJSON_ArrayForEach(v, versions)
        {
            const char *ver = bl_json_str(v, "version");
            if (seen_active && ver) {
                version = ver;
                break;
            }
            if (active && ver && strcmp(ver, active) == 0)
                seen_active = 1;
        }
        cJSON_Delete(files);
    }
    char *src = NULL;
    if (version == NULL || bl_store_policy_source(svc->store, name, version, &src) != BL_OK || src == NULL) {
        bl_api_error(resp, 404, version ? "policy '%s' has no version '%s'" : "policy '%s' has no earlier version%s",
                     name, version ? version : "");
    } else {
        put_policy(svc, req, resp, name, src, strlen(src));
    }
    free(src);
    cJSON_Delete(versions);
    cJSON_Delete(body);
}

/* Routing ---------------------------------------------------------------------------------------- */

static int is(const bl_req *req, const char *m) { return strcmp(req->method, m) == 0; }

static void method_not_allowed(bl_resp *resp, const char *allowed)
{
    resp->extra_header = "Allow";
    resp->extra_value = allowed;
    bl_api_error(resp, 405, "method not allowed here; allowed: %s", allowed);
}

void bl_api_handle(bl_service *svc, const bl_req *req, bl_resp *resp)
{
    char buf[2048];
    char *seg[MAX_SEGMENTS];
    int n = split_path(req->path, buf, sizeof buf, seg);
    memset(resp, 0, sizeof *resp);
    if (n < 0) {
        bl_api_error(resp, 404, "no such path: %s", req->path);
        return;
    }
    if (n == 1 && strcmp(seg[0], "health") == 0) {
        cJSON *o = cJSON_CreateObject();
        bl_json_add_str(o, "status", svc->stopping ? "stopping" : "ok");
        bl_json_add_str(o, "version", BL_VERSION);
        bl_json_add_num(o, "policies",
                        cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(svc->active.info, "policies")));
        bl_json_add(o, "workers_ready", cJSON_CreateBool(bl_pool_ready(svc->pool)));
        int64_t backlog = bl_service_backlog(svc);
        if (backlog >= 0)
            bl_json_add_num(o, "deadlines_due", (double)backlog); /* due and not yet fired */
        bl_json_add(o, "virtual_clock", cJSON_CreateBool(svc->virtual_clock));
        bl_api_json(resp, 200, o);
        return;
    }
    if (n == 1 && strcmp(seg[0], "metrics") == 0) {
        if (!authorize(svc, req, BL_ROLE_READER, resp))
            return;
        resp->status = 200;
        resp->body = bl_metrics_text(svc);
        resp->extra_header = "Content-Type";
        resp->extra_value = "text/plain; version=0.0.4";
        return;
    }

    if (n >= 2 && strcmp(seg[0], "records") == 0) {
        const char *type = seg[1];
        if (!valid_type(type)) {
            bl_api_error(resp, 400, "'%s' is not a record type (letters, digits, '_' and '-', at most 64)", type);
            return;
        }
        if (n == 2) {
            if (is(req, "GET")) {
                if (authorize(svc, req, BL_ROLE_READER, resp)) {
                    bl_service_flush(svc);
                    list_records(svc, req, resp, type);
                }
            } else if (is(req, "POST")) {
                if (authorize(svc, req, BL_ROLE_WRITER, resp)) {
                    char id[64];
                    new_id(id, sizeof id);
                    put_record(svc, req, resp, type, id, 1);
                }
            } else {
                method_not_allowed(resp, "GET, POST");
            }
            return;
        }
        const char *id = seg[2];
        if (!valid_id(id)) {
            bl_api_error(resp, 400, "the record id must be 1 to 200 printable characters");
            return;
        }
        if (n == 3) {
            if (is(req, "GET")) {
                if (authorize(svc, req, BL_ROLE_READER, resp)) {
                    bl_service_flush(svc);
                    get_record(svc, resp, type, id);
                }
            } else if (is(req, "PUT")) {
                if (authorize(svc, req, BL_ROLE_WRITER, resp))
                    put_record(svc, req, resp, type, id, 0);
            } else {
                method_not_allowed(resp, "GET, PUT");
            }
            return;
        }
        if (n == 4 && (strcmp(seg[3], "history") == 0 || strcmp(seg[3], "decisions") == 0)) {
            if (!is(req, "GET")) {
                method_not_allowed(resp, "GET");
                return;
            }
            if (!authorize(svc, req, BL_ROLE_READER, resp))
                return;
            bl_service_flush(svc);
            cJSON *out = NULL;
            int history = seg[3][0] == 'h';
            int rc = history ? bl_store_history(svc->store, type, id, &out)
                             : bl_store_decisions(svc->store, type, id, &out);
            if (rc != BL_OK) {
                store_error(svc, resp, "cannot read");
                return;
            }
            bl_record probe = {0};
            if (cJSON_GetArraySize(out) == 0 && bl_store_get(svc->store, type, id, &probe) == BL_NOTFOUND) {
                cJSON_Delete(out);
                bl_api_error(resp, 404, "no record %s/%s", type, id);
                return;
            }
            bl_record_clear(&probe);
            cJSON *o = cJSON_CreateObject();
            bl_json_add(o, history ? "versions" : "decisions", out);
            bl_api_json(resp, 200, o);
            return;
        }
    }

    if (n == 2 && strcmp(seg[0], "ledger") == 0) {
        if (!is(req, "GET")) {
            method_not_allowed(resp, "GET");
            return;
        }
        if (!authorize(svc, req, BL_ROLE_READER, resp))
            return;
        char month[8];
        const char *m = req->query(req, "month");
        if (m == NULL)
            m = bl_time_month(bl_clock_now_ms(), month);
        if (strlen(m) != 7 || m[4] != '-') {
            bl_api_error(resp, 400, "month must be YYYY-MM, got '%s'", m);
            return;
        }
        bl_service_flush(svc);
        cJSON *out = NULL;
        if (bl_store_ledger(svc->store, seg[1], m, &out) != BL_OK) {
            store_error(svc, resp, "cannot read the ledger");
            return;
        }
        bl_api_json(resp, 200, out);
        return;
    }

    if (n == 1 && strcmp(seg[0], "events") == 0) {
        if (!is(req, "GET")) {
            method_not_allowed(resp, "GET");
            return;
        }
        if (!authorize(svc, req, BL_ROLE_READER, resp))
            return;
        int ok1, ok2, ok3;
        int64_t after = parse_int(req->query(req, "after"), 0, 0, INT64_MAX, &ok1);
        int64_t wait = parse_int(req->query(req, "wait"), 0, 0, 300, &ok2);
        int64_t limit = parse_int(req->query(req, "limit"), 100, 1, 1000, &ok3);
        if (!ok1 || !ok2 || !ok3) {
            bl_api_error(resp, 400, "%s", !ok1 ? "after must be an event number (the last 'seq' you read)"
                                          : !ok2 ? "wait must be seconds from 0 to 300"
                                                 : "limit must be from 1 to 1000");
            return;
        }
        bl_service_flush(svc);
        cJSON *ev = NULL;
        if (bl_store_events(svc->store, after, (int)limit, &ev) != BL_OK) {
            store_error(svc, resp, "cannot read the events");
            return;
        }
        if (cJSON_GetArraySize(ev) == 0 && wait > 0) {
            cJSON_Delete(ev);
            resp->pending = 1;
            bl_service_poll(svc, req, after, (int)limit, (int)wait, NULL);
            return;
        }
        cJSON *o = cJSON_CreateObject();
        int cnt = cJSON_GetArraySize(ev);
        int64_t last = cnt ? (int64_t)bl_json_num(cJSON_GetArrayItem(ev, cnt - 1), "seq", (double)after) : after;
        bl_json_add(o, "events", ev);
        bl_json_add_num(o, "next", (double)last); /* pass as ?after= */
        bl_api_json(resp, 200, o);
        return;
    }

    if (n == 1 && strcmp(seg[0], "timers") == 0) {
        if (!is(req, "GET")) {
            method_not_allowed(resp, "GET");
            return;
        }
        if (!authorize(svc, req, BL_ROLE_READER, resp))
            return;
        int64_t before = -1;
        const char *db = req->query(req, "due_before");
        if (db) {
            char *err = NULL;
            if (bl_cal_time_parse(svc->active.zone, db, &before, &err) != BL_OK) {
                bl_api_error(resp, 400, "due_before: %s", err);
                free(err);
                return;
            }
        }
        bl_service_flush(svc);
        cJSON *out = NULL;
        if (bl_store_timers(svc->store, req->query(req, "type"), req->query(req, "id"), before, 1000, &out) != BL_OK) {
            store_error(svc, resp, "cannot list the timers");
            return;
        }
        cJSON *o = cJSON_CreateObject();
        bl_json_add(o, "timers", out);
        bl_api_json(resp, 200, o);
        return;
    }

    if (n == 1 && strcmp(seg[0], "clock") == 0 && svc->virtual_clock) {
        if (!is(req, "POST") && !is(req, "GET")) {
            method_not_allowed(resp, "GET, POST");
            return;
        }
        if (!authorize(svc, req, is(req, "GET") ? BL_ROLE_READER : BL_ROLE_ADMIN, resp))
            return;
        cJSON *body = NULL;
        if (is(req, "POST") && (body = body_object(req, resp)) == NULL)
            return;
        resp->pending = 1; /* answered once the deadlines on the way have fired */
        bl_service_clock(svc, req, body ? bl_json_str(body, "set") : NULL,
                         body ? bl_json_str(body, "advance") : "0 minutes");
        cJSON_Delete(body);
        return;
    }

    if (n >= 1 && strcmp(seg[0], "policies") == 0) {
        if (n == 1) {
            if (!is(req, "GET")) {
                method_not_allowed(resp, "GET");
                return;
            }
            if (authorize(svc, req, BL_ROLE_READER, resp)) {
                cJSON *o = cJSON_CreateObject();
                bl_json_add(o, "policies", bl_service_policy_files(svc, 0));
                bl_api_json(resp, 200, o);
            }
            return;
        }
        const char *name = seg[1];
        if (!valid_policy_name(name)) {
            bl_api_error(resp, 400, "'%s' is not a policy file name (the file name without .lua)", name);
            return;
        }
        if (n == 2) {
            if (is(req, "GET")) {
                if (authorize(svc, req, BL_ROLE_READER, resp))
                    get_policy(svc, resp, name);
            } else if (is(req, "PUT")) {
                if (authorize(svc, req, BL_ROLE_ADMIN, resp))
                    put_policy(svc, req, resp, name, req->body, req->body_len);
            } else {
                method_not_allowed(resp, "GET, PUT");
            }
            return;
        }
        if (n == 3 && strcmp(seg[2], "versions") == 0) {
            if (!is(req, "GET")) {
                method_not_allowed(resp, "GET");
                return;
            }
            if (!authorize(svc, req, BL_ROLE_READER, resp))
                return;
            cJSON *v = NULL;
            if (bl_store_policy_versions(svc->store, name, &v) != BL_OK) {
                store_error(svc, resp, "cannot read the versions");
                return;
            }
            cJSON *o = cJSON_CreateObject();
            bl_json_add(o, "versions", v);
            bl_api_json(resp, 200, o);
            return;
        }
        if (n == 3 && strcmp(seg[2], "rollback") == 0) {
            if (!is(req, "POST")) {
                method_not_allowed(resp, "POST");
                return;
            }
            if (authorize(svc, req, BL_ROLE_ADMIN, resp))
                rollback_policy(svc, req, resp, name);
            return;
        }
    }
    bl_api_error(resp, 404, "no such path: %s %s (see the API in README.md)", req->method, req->path);
}
