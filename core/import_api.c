/* import_api.c — POST /records/{type}:import: records as JSON lines in the body, each evaluated by the
 * worker processes and committed in the group commit as a PUT is (bl_engine_commit, the record's key
 * keeping it in order with other writes of it), a bounded number in flight so that other requests go on
 * meanwhile. A line that fails (bad JSON, no id, a field a policy refuses, a policy error) is reported
 * with its number and left out; the others are stored. The answer goes out once what was stored is
 * durable. With ?dry_run=true, records are evaluated and nothing is stored. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_records.h"
#include "import_api.h"
#include "engine.h"
#include "service.h"
#include "wire.h"

#define IN_FLIGHT 32        /* records handed to the workers at once */
#define FAILURES_LISTED 100 /* failing lines in the answer; the others are counted */

typedef struct import_req {
    bl_service *svc;
    bl_pending req;
    char *type;
    int dry_run;
    cJSON *records; /* [{"line","id","record"}], in order */
    cJSON *next;    /* the next to hand out */
    int in_flight, lines, stored, failed;
    cJSON *failures;
} import_req;

typedef struct import_job {
    bl_pool_job job;
    import_req *ir;
    const cJSON *item; /* borrowed from ir->records */
    char *key;
    int64_t now;
} import_job;

static void failure(import_req *ir, double line, const char *error)
{
    ir->failed++;
    if (cJSON_GetArraySize(ir->failures) >= FAILURES_LISTED)
        return;
    cJSON *f = cJSON_CreateObject();
    bl_json_add_num(f, "line", line);
    bl_json_add_str(f, "error", error);
    cJSON_AddItemToArray(ir->failures, f);
}

static void submit_more(import_req *ir);

static int by_line(const void *a, const void *b)
{
    double x = bl_json_num(*(cJSON *const *)a, "line", 0), y = bl_json_num(*(cJSON *const *)b, "line", 0);
    return (x > y) - (x < y);
}

/* The failures in line order (they are found as the workers answer). */
static void sort_failures(cJSON *list)
{
    int n = cJSON_GetArraySize(list), i = 0;
    if (n < 2)
        return;
    cJSON **v = bl_xmalloc((size_t)n * sizeof *v);
    while (list->child)
        v[i++] = cJSON_DetachItemViaPointer(list, list->child);
    qsort(v, (size_t)n, sizeof *v, by_line);
    for (i = 0; i < n; i++)
        cJSON_AddItemToArray(list, v[i]);
    free(v);
}

/* Every record has answered: the answer (once the batch holding the last ones is durable). */
static void done(import_req *ir)
{
    sort_failures(ir->failures);
    cJSON *o = cJSON_CreateObject();
    bl_json_add_str(o, "type", ir->type);
    bl_json_add_num(o, "lines", ir->lines);
    bl_json_add_num(o, ir->dry_run ? "would_store" : "stored", ir->stored);
    bl_json_add_num(o, "failed", ir->failed);
    bl_json_add(o, "failures", ir->failures);
    if (ir->failed > FAILURES_LISTED)
        bl_json_add_num(o, "failures_more", ir->failed - FAILURES_LISTED);
    bl_json_add(o, "dry_run", cJSON_CreateBool(ir->dry_run));
    bl_resp resp = {0};
    bl_api_json(&resp, ir->stored == 0 && ir->failed > 0 ? 422 : 200, o);
    if (ir->stored && !ir->dry_run)
        bl_pending_hold(&ir->req, &resp);
    else
        bl_pending_answer(&ir->req, &resp);
    cJSON_Delete(ir->records);
    free(ir->type);
    free(ir);
}

static int job_prepare(bl_pool_job *j, bl_buf *frame)
{
    import_job *ij = (import_job *)j;
    ij->now = bl_clock_now_ms();
    bl_wire_eval_frame(frame, ij->ir->type, bl_json_str(ij->item, "id"), ij->now,
                       cJSON_GetObjectItemCaseSensitive(ij->item, "record"));
    return BL_WIRE_EVAL;
}

static void job_finish(bl_pool_job *j, int type, const char *body, size_t len)
{
    import_job *ij = (import_job *)j;
    import_req *ir = ij->ir;
    bl_service *svc = ir->svc;
    double line = bl_json_num(ij->item, "line", 0);
    char *err = NULL;
    if (type == BL_WIRE_RESULT) {
        char perr[200];
        cJSON *res = bl_json_parse(body, len, perr, sizeof perr);
        int rc = res == NULL ? BL_ERR : ir->dry_run ? BL_OK : bl_service_batch(svc, &err);
        if (rc == BL_OK && !ir->dry_run)
            rc = bl_engine_commit(svc->store, ir->type, bl_json_str(ij->item, "id"), res, -1, "write", ij->now, &err);
        if (rc == BL_OK)
            ir->stored++;
        else
            failure(ir, line, err ? err : perr);
        cJSON_Delete(res);
    } else {
        bl_wire_fail_of(body, len, &err, NULL);
        failure(ir, line, err);
    }
    free(err);
    free(ij->key);
    free(ij);
    ir->in_flight--;
    submit_more(ir);
}

static void submit_more(import_req *ir)
{
    while (ir->in_flight < IN_FLIGHT && ir->next) {
        import_job *ij = calloc(1, sizeof *ij);
        ij->ir = ir;
        ij->item = ir->next;
        ir->next = ir->next->next;
        ij->key = bl_strdupf("%s\x1f%s", ir->type, bl_json_str(ij->item, "id")); /* as a PUT's: one at a time */
        ij->job.key = ij->key;
        ij->job.prepare = job_prepare;
        ij->job.finish = job_finish;
        ir->in_flight++;
        bl_pool_submit(ir->svc->pool, &ij->job);
    }
    if (ir->in_flight == 0 && ir->next == NULL)
        done(ir);
}

/* The id of a record line, or NULL with why. */
static const char *line_id(const cJSON *rec, const char *type, const char **why)
{
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(rec, "id"), *t = cJSON_GetObjectItemCaseSensitive(rec, "type");
    *why = NULL;
    if (!cJSON_IsObject(rec))
        *why = "a record must be a JSON object";
    else if (!cJSON_IsString(id) || id->valuestring[0] == '\0' || strlen(id->valuestring) > 200)
        *why = "field 'id' must be text of 1 to 200 characters: every imported record needs one";
    else if (t && (!cJSON_IsString(t) || strcmp(t->valuestring, type) != 0))
        *why = "the record's \"type\" is not the type of the path";
    for (const char *p = *why ? "" : id->valuestring; *p; p++)
        if ((unsigned char)*p < 32 || *p == 0x7f)
            *why = "field 'id' holds a control character";
    return *why ? NULL : id->valuestring;
}

void bl_api_records_import(void *ud, const bl_req *req, const bl_match *m, bl_resp *resp)
{
    bl_service *svc = ud;
    const char *dry = bl_router_arg(m, "dry_run");
    if (dry && strcmp(dry, "true") != 0 && strcmp(dry, "false") != 0) {
        bl_api_error(resp, 400, "dry_run must be true or false, got '%.40s'", dry);
        return;
    }
    if (req->body_len == 0) {
        bl_api_error(resp, 400, "the body is empty: send the records as JSON lines, one object with an \"id\" a line");
        return;
    }
    import_req *ir = calloc(1, sizeof *ir);
    ir->svc = svc;
    ir->type = bl_strdupf("%s", m->seg[0]);
    ir->dry_run = dry && strcmp(dry, "true") == 0;
    ir->records = cJSON_CreateArray();
    ir->failures = cJSON_CreateArray();
    const char *p = req->body, *end = req->body + req->body_len;
    for (int line = 1; p < end; line++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p)), *e = nl ? nl : end;
        size_t n = (size_t)(e - p);
        while (n > 0 && (p[n - 1] == '\r' || p[n - 1] == ' ' || p[n - 1] == '\t'))
            n--;
        if (n > 0) {
            ir->lines++;
            char perr[200];
            const char *why = NULL, *id = NULL;
            cJSON *rec = bl_json_parse(p, n, perr, sizeof perr);
            if (rec && (id = line_id(rec, ir->type, &why)) != NULL) {
                cJSON *item = cJSON_CreateObject();
                bl_json_add_num(item, "line", line);
                bl_json_add_str(item, "id", id);
                bl_json_add(item, "record", bl_engine_record(ir->type, id, rec));
                cJSON_AddItemToArray(ir->records, item);
            } else {
                failure(ir, line, rec ? why : perr);
            }
            cJSON_Delete(rec);
        }
        p = e + 1;
    }
    bl_pending_init(&ir->req, svc, req);
    resp->pending = 1;
    ir->next = ir->records->child;
    submit_more(ir);
}
