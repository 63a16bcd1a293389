/* api_policies.c — the policy routes of the API (core/api.c's table): the running files and their
 * pending errors, PUT of one file or of a bundle of files and tests, the activation log of a file, one
 * version's source, the unified diff of two versions, rollback along the log. */
#include "api_policies.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_records.h"
#include "query.h"
#include "textdiff.h"

#define BUNDLE_MAX 100   /* files in one PUT /policies */
#define LOG_SHOWN 1000   /* entries GET .../versions lists */

/* Who changes the policies, for the activation log: the token's name, or the client in open mode. */
static const char *who(const bl_req *req, const bl_match *m, char *buf, size_t n)
{
    if (m->who)
        return m->who;
    snprintf(buf, n, "open mode, client %s", req->peer ? req->peer : "?");
    return buf;
}

/* NAME.lua, a file a bundle may hold: a policy file name and ".lua", at the top of the directory. */
static int bundle_file(const char *path, const bl_seg_kind *name_kind)
{
    size_t n = strlen(path);
    if (n <= 4 || n > 68 || strcmp(path + n - 4, ".lua") != 0)
        return 0;
    char stem[68];
    snprintf(stem, sizeof stem, "%.*s", (int)(n - 4), path);
    return name_kind->valid(stem);
}

/* The policy source in a body: Lua text (no NUL byte). */
static int lua_text(const char *s, size_t n) { return s != NULL && memchr(s, '\0', n) == NULL; }

/* GET /policies/{name} ---------------------------------------------------------------------------------- */

void bl_api_policy_get(void *ud, const bl_req *req, const bl_match *m, bl_resp *resp)
{
    bl_service *svc = ud;
    const char *name = m->seg[0];
    cJSON *files = bl_service_policy_files(svc, 1); /* the source that runs, whatever the file says now */
    cJSON *f = cJSON_DetachItemFromObjectCaseSensitive(files, name);
    cJSON_Delete(files);
    const cJSON *pending = bl_service_pending(svc, name);
    if (f == NULL && pending == NULL) {
        bl_api_error(resp, 404, "no policy file '%s' runs from %s", name, svc->cfg.policy_dir);
        return;
    }
    if (f == NULL) { /* a new file, refused: nothing of it runs */
        f = cJSON_CreateObject();
        bl_json_add(f, "source", cJSON_CreateNull());
    }
    bl_json_add_str(f, "name", name);
    if (pending)
        bl_json_add(f, "pending_error", cJSON_Duplicate(pending, 1));
    bl_api_json(resp, 200, f);
}

/* PUT /policies/{name}, PUT /policies ------------------------------------------------------------------ */

void bl_api_policy_put(void *ud, const bl_req *req, const bl_match *m, bl_resp *resp)
{
    bl_service *svc = ud;
    if (!lua_text(req->body, req->body_len)) {
        bl_api_error(resp, 422, "the policy source must be Lua text (the body holds a NUL byte, or is missing)");
        return;
    }
    char *path = bl_strdupf("%s.lua", m->seg[0]), by[128];
    cJSON *edit = cJSON_CreateObject();
    char *src = bl_xmalloc(req->body_len + 1);
    memcpy(src, req->body, req->body_len);
    src[req->body_len] = '\0';
    cJSON_AddItemToObject(edit, path, cJSON_CreateString(src));
    free(src);
    free(path);
    bl_policy_change c = {.by = who(req, m, by, sizeof by), .why = "put", .message = bl_router_arg(m, "message"),
                          .prev = -1};
    resp->pending = 1; /* validated and tested in a worker first */
    bl_service_install(svc, req, m->seg[0], edit, &c);
}

void bl_api_policy_bundle(void *ud, const bl_req *req, const bl_match *m, bl_resp *resp)
{
    bl_service *svc = ud;
    cJSON *body = bl_api_body(req, resp, "{\"files\": {\"NAME.lua\": \"source\", ...}}");
    if (body == NULL)
        return;
    cJSON *edit = NULL;
    if (bl_api_bundle(body, resp, &edit) != 0) {
        cJSON_Delete(body);
        return;
    }
    char by[128], *msg = bl_strdupf("%s", bl_json_str(body, "message") ? bl_json_str(body, "message") : "");
    bl_policy_change c = {.by = who(req, m, by, sizeof by), .why = "put", .message = msg[0] ? msg : NULL, .prev = -1};
    cJSON_Delete(body);
    resp->pending = 1;
    bl_service_install(svc, req, NULL, edit, &c);
    free(msg);
}

int bl_api_bundle(const cJSON *body, bl_resp *resp, cJSON **edit)
{
    *edit = NULL;
    const cJSON *k, *files = cJSON_GetObjectItemCaseSensitive(body, "files");
    cJSON_ArrayForEach(k, body) if (strcmp(k->string, "files") != 0 && strcmp(k->string, "message") != 0)
    {
        bl_api_error(resp, 400, "unknown key \"%s\" in the body; it takes \"files\" and \"message\"", k->string);
        return -1;
    }
    const cJSON *msg = cJSON_GetObjectItemCaseSensitive(body, "message");
    if (msg && !cJSON_IsString(msg)) {
        bl_api_error(resp, 400, "\"message\" must be text (a JSON string)");
        return -1;
    }
    if (!cJSON_IsObject(files) || files->child == NULL) {
        bl_api_error(resp, 400, "\"files\" must be an object of one or more files: {\"NAME.lua\": \"its source\", "
                                "\"NAME_test.lua\": \"...\"} (null removes a file)");
        return -1;
    }
    if (cJSON_GetArraySize(files) > BUNDLE_MAX) {
        bl_api_error(resp, 400, "a bundle holds at most %d files, this one %d", BUNDLE_MAX, cJSON_GetArraySize(files));
        return -1;
    }
    cJSON_ArrayForEach(k, files)
    {
        if (!bundle_file(k->string, &bl_api_name_kind)) {
            bl_api_error(resp, 400, "files: '%.100s' is not a policy file name: %s, then .lua", k->string,
                         bl_api_name_kind.accepted);
            return -1;
        }
        if (!cJSON_IsNull(k) && !(cJSON_IsString(k) && lua_text(k->valuestring, strlen(k->valuestring)))) {
            bl_api_error(resp, 400, "files: the value of '%s' must be its Lua source as text, or null to remove it",
                         k->string);
            return -1;
        }
    }
    *edit = cJSON_Duplicate(files, 1);
    return 0;
}

/* The activation log --------------------------------------------------------------------------------- */

void bl_api_policy_versions(void *ud, const bl_req *req, const bl_match *m, bl_resp *resp)
{
    bl_service *svc = ud;
    const char *name = m->seg[0];
    cJSON *log = NULL, *cur = NULL;
    int rc = bl_store_policy_log(svc->store, name, LOG_SHOWN, &log);
    if (rc != BL_OK) {
        bl_api_store_error(svc, resp, rc, "cannot read the policy log");
        return;
    }
    if (cJSON_GetArraySize(log) == 0) {
        cJSON_Delete(log);
        bl_api_error(resp, 404, "no version of policy file '%s' was ever active or refused", name);
        return;
    }
    bl_store_policy_current(svc->store, name, &cur);
    double active = bl_json_num(cur, "entry", -1);
    cJSON *e;
    cJSON_ArrayForEach(e, log) bl_json_add(e, "active", cJSON_CreateBool(bl_json_num(e, "entry", 0) == active));
    cJSON *o = cJSON_CreateObject();
    bl_json_add_str(o, "name", name);
    const char *v = bl_json_str(cur, "version");
    bl_json_add_str(o, "active", v && v[0] ? v : NULL);
    bl_json_add(o, "versions", log);
    cJSON_Delete(cur);
    bl_api_json(resp, 200, o);
}

void bl_api_policy_version(void *ud, const bl_req *req, const bl_match *m, bl_resp *resp)
{
    bl_service *svc = ud;
    cJSON *v = NULL, *cur = NULL;
    int rc = bl_store_policy_version(svc->store, m->seg[0], m->seg[1], &v);
    if (rc == BL_NOTFOUND) {
        bl_api_error(resp, 404, "policy file '%s' has no version '%s'", m->seg[0], m->seg[1]);
        return;
    }
    if (rc != BL_OK) {
        bl_api_store_error(svc, resp, rc, "cannot read the policy version");
        return;
    }
    bl_store_policy_current(svc->store, m->seg[0], &cur);
    bl_json_add_str(v, "name", m->seg[0]);
    const char *active = bl_json_str(cur, "version");
    bl_json_add(v, "active", cJSON_CreateBool(active && strcmp(active, m->seg[1]) == 0));
    cJSON_Delete(cur);
    bl_api_json(resp, 200, v);
}

/* The source of version v of name (malloc'd), or NULL after a 404 or 500. */
static char *source_of(bl_service *svc, const char *name, const char *v, bl_resp *resp)
{
    cJSON *row = NULL;
    int rc = bl_store_policy_version(svc->store, name, v, &row);
    if (rc == BL_NOTFOUND)
        bl_api_error(resp, 404, "policy file '%s' has no version '%s'", name, v);
    else if (rc != BL_OK)
        bl_api_store_error(svc, resp, rc, "cannot read the policy version");
    char *src = rc == BL_OK ? bl_strdupf("%s", bl_json_str(row, "source") ? bl_json_str(row, "source") : "") : NULL;
    cJSON_Delete(row);
    return src;
}

void bl_api_policy_diff(void *ud, const bl_req *req, const bl_match *m, bl_resp *resp)
{
    bl_service *svc = ud;
    const char *name = m->seg[0], *v = m->seg[1], *against = bl_router_arg(m, "against");
    cJSON *cur = NULL;
    if (against == NULL) { /* the version that runs */
        bl_store_policy_current(svc->store, name, &cur);
        against = bl_json_str(cur, "version");
        if (against == NULL || against[0] == '\0') {
            cJSON_Delete(cur);
            bl_api_error(resp, 404, "no version of policy file '%s' runs: give one with ?against=VERSION", name);
            return;
        }
    } else if (!bl_api_version_kind.valid(against)) {
        bl_api_error(resp, 400, "against: '%.40s' is not a version: %s", against, bl_api_version_kind.accepted);
        return;
    }
    char *a = source_of(svc, name, against, resp), *b = a ? source_of(svc, name, v, resp) : NULL;
    if (a && b) {
        char *la = bl_strdupf("%s.lua %s", name, against), *lb = bl_strdupf("%s.lua %s", name, v);
        bl_buf out = {0};
        bl_textdiff(a, b, la, lb, &out);
        resp->status = 200;
        resp->body = out.data ? out.data : bl_strdupf("%s", "");
        resp->ctype = "text/x-diff; charset=utf-8";
        free(la);
        free(lb);
    }
    free(a);
    free(b);
    cJSON_Delete(cur);
}

/* POST /policies/{name}/rollback, with no body (the version that ran before the one that runs: each
 * rollback goes one activation further back) or {"version": "..."}. */
void bl_api_policy_rollback(void *ud, const bl_req *req, const bl_match *m, bl_resp *resp)
{
    bl_service *svc = ud;
    const char *name = m->seg[0], *version = NULL;
    cJSON *body = NULL, *cur = NULL, *target = NULL;
    static const char *const keys[] = {"version", "message", NULL};
    if (req->body_len) {
        if ((body = bl_api_body(req, resp, "{\"version\": \"...\"} (or nothing)")) == NULL)
            return;
        if (!bl_api_text_keys(body, keys, resp)) {
            cJSON_Delete(body);
            return;
        }
        version = bl_json_str(body, "version");
    }
    int64_t prev = -1; /* an explicit version: undoing it goes back to what runs now */
    int rc = bl_store_policy_current(svc->store, name, &cur);
    if (rc != BL_OK && rc != BL_NOTFOUND) {
        bl_api_store_error(svc, resp, rc, "cannot read the policy log");
        cJSON_Delete(body);
        return;
    }
    if (version == NULL) {
        double before = bl_json_num(cur, "prev", 0);
        if (before <= 0 || bl_store_policy_entry(svc->store, (int64_t)before, &target) != BL_OK) {
            bl_api_error(resp, 404, "policy file '%s' has no earlier version to roll back to", name);
            cJSON_Delete(cur);
            cJSON_Delete(body);
            return;
        }
        version = bl_json_str(target, "version");
        if (version == NULL)
            version = ""; /* (an entry without a version: the file did not exist) */
        prev = (int64_t)bl_json_num(target, "prev", 0);
    }
    char *src = version[0] ? source_of(svc, name, version, resp) : NULL;
    if (src || version[0] == '\0') { /* "": the file did not exist then */
        cJSON *edit = cJSON_CreateObject();
        char *path = bl_strdupf("%s.lua", name), by[128];
        cJSON_AddItemToObject(edit, path, src ? cJSON_CreateString(src) : cJSON_CreateNull());
        free(path);
        const char *from = bl_json_str(cur, "version");
        char *msg = bl_strdupf("rollback from %s to %s%s%s", from && from[0] ? from : "(none)",
                               version[0] ? version : "(no file)", bl_json_str(body, "message") ? ": " : "",
                               bl_json_str(body, "message") ? bl_json_str(body, "message") : "");
        bl_policy_change c = {.by = who(req, m, by, sizeof by), .why = "rollback", .message = msg, .prev = prev};
        resp->pending = 1;
        bl_service_install(svc, req, name, edit, &c);
        free(msg);
    }
    free(src);
    cJSON_Delete(target);
    cJSON_Delete(cur);
    cJSON_Delete(body);
}

/* POST /policies/dry-run, GET and DELETE /jobs/{id} ------------------------------------------------------ */

void bl_api_policy_dryrun(void *ud, const bl_req *req, const bl_match *m, bl_resp *resp)
{
    bl_service *svc = ud;
    const char *type = bl_router_arg(m, "type");
    int64_t wait = 2;
    char *err = NULL;
    if (bl_api_refused(resp, bl_query_int("wait", bl_router_arg(m, "wait"), 0, 60, &wait, &err), &err))
        return;
    if (type && !bl_query_field_name(type)) {
        bl_api_error(resp, 400, "type: '%.100s' is not a record type (letters, digits, '_' and '-', at most 64)", type);
        return;
    }
    cJSON *body = bl_api_body(req, resp, "{\"files\": {\"NAME.lua\": \"source\", ...}}"), *edit = NULL;
    if (body == NULL)
        return;
    int rc = bl_api_bundle(body, resp, &edit);
    cJSON_Delete(body);
    if (rc != 0)
        return;
    resp->pending = 1;
    bl_service_dryrun(svc, req, edit, type, (int)wait);
}

void bl_api_job(void *ud, const bl_req *req, const bl_match *m, bl_resp *resp)
{
    bl_service *svc = ud;
    int64_t id = 0;
    char *err = NULL;
    if (bl_api_refused(resp, bl_query_int("job", m->seg[0], 1, INT64_MAX, &id, &err), &err))
        return;
    cJSON *job = NULL;
    if (bl_service_job(svc, id, strcmp(req->method, "DELETE") == 0, &job) != BL_OK) {
        bl_api_error(resp, 404, "no job %lld (the last few finished ones are kept while the service runs)",
                     (long long)id);
        return;
    }
    bl_api_json(resp, 200, job);
}
