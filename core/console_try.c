/* console_try.c — POST /console/try/{type}: one record evaluated by the worker processes as a write would
 * be, and nothing stored: the console's Try page shows the verdicts, changes, points, events, deadlines and
 * explanations. The record's id is "try" unless the body gives one (a policy may read the stored record). */
#include <stdlib.h>
#include <string.h>

#include "api_records.h"
#include "console.h"
#include "engine.h"
#include "wire.h"

typedef struct try_job {
    bl_pool_job job;
    bl_pending req;
    char *type, *id;
    cJSON *record;
} try_job;

static int try_prepare(bl_pool_job *j, bl_buf *frame)
{
    try_job *t = (try_job *)j;
    bl_wire_eval_frame(frame, t->type, t->id, bl_clock_now_ms(), t->record);
    return BL_WIRE_EVAL;
}

static void try_finish(bl_pool_job *j, int type, const char *body, size_t len)
{
    try_job *t = (try_job *)j;
    bl_resp resp = {0};
    char perr[200];
    cJSON *res = type == BL_WIRE_RESULT ? bl_json_parse(body, len, perr, sizeof perr) : NULL;
    if (res) {
        bl_json_add(res, "stored", cJSON_CreateFalse());
        bl_api_json(&resp, 200, res);
    } else if (type == BL_WIRE_RESULT) {
        bl_api_error(&resp, 500, "the worker's answer is not JSON: %s", perr);
    } else {
        char *err = NULL;
        int rc = bl_wire_fail_of(body, len, &err, NULL);
        bl_api_error(&resp, rc == BL_INVALID ? 422 : 500, "%s", err ? err : "the evaluation failed");
        free(err);
    }
    bl_pending_answer(&t->req, &resp);
    cJSON_Delete(t->record);
    free(t->type);
    free(t->id);
    free(t);
}

void bl_console_try(void *ud, const bl_req *req, const bl_match *m, bl_resp *resp)
{
    bl_service *svc = ud;
    cJSON *body = bl_api_body(req, resp, "the record's fields");
    if (body == NULL)
        return;
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(body, "id");
    if (id && (!cJSON_IsString(id) || id->valuestring[0] == '\0' || strlen(id->valuestring) > 200)) {
        bl_api_error(resp, 400, "field 'id' must be text of 1 to 200 characters (or left out: \"try\")");
        cJSON_Delete(body);
        return;
    }
    try_job *t = calloc(1, sizeof *t);
    t->type = bl_strdupf("%s", m->seg[0]);
    t->id = bl_strdupf("%s", id ? id->valuestring : "try");
    t->record = bl_engine_record(t->type, t->id, body);
    cJSON_Delete(body);
    t->job.prepare = try_prepare;
    t->job.finish = try_finish;
    bl_pending_init(&t->req, svc, req);
    resp->pending = 1;
    bl_pool_submit(svc->pool, &t->job);
}
