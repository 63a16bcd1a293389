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

int bl_engine_put(bl_host_t *h, bl_store_t *s, const char *type, const char *id, const cJSON *fields,
                  int64_t expect_version, const char *trigger, cJSON **out, char **err)
{
    *out = NULL;
    *err = NULL;
    if (!cJSON_IsObject(fields)) {
        *err = bl_strdupf("a record must be a JSON object");
        return BL_INVALID;
    }
    cJSON *rec = cJSON_CreateObject(); /* id and type first, then the fields as given */
    cJSON_AddStringToObject(rec, "id", id);
    cJSON_AddStringToObject(rec, "type", type);
    for (const cJSON *f = fields->child; f; f = f->next)
        if (strcmp(f->string, "id") != 0 && strcmp(f->string, "type") != 0)
            cJSON_AddItemToObject(rec, f->string, cJSON_Duplicate(f, 1));
    if (bl_store_begin(s) != BL_OK) {
        cJSON_Delete(rec);
        *err = bl_strdupf("cannot start a transaction: %s", bl_store_errmsg(s));
        return BL_ERR;
    }
    cJSON *res = NULL;
    int rc = bl_host_eval(h, type, rec, s, &res, err);
    cJSON_Delete(rec);
    if (rc != BL_OK) {
        bl_store_rollback(s);
        return rc;
    }
    int64_t now = bl_clock_now_ms(), version = 0;
    cJSON *record = cJSON_GetObjectItemCaseSensitive(res, "record");
    rc = bl_store_put(s, type, id, record, expect_version, now, &version);
    if (rc != BL_OK) {
        if (rc == BL_CONFLICT)
            *err = bl_strdupf("%s", bl_store_errmsg(s));
        cJSON_Delete(res);
        return fail(s, err, rc, "cannot store the record");
    }
    bl_json_add_num(res, "version", (double)version);

    cJSON *ids = cJSON_CreateObject();
    cJSON *d;
    cJSON_ArrayForEach(d, cJSON_GetObjectItemCaseSensitive(res, "decisions"))
    {
        bl_decision_row row = {
            .type = type, .id = id, .record_version = version,
            .policy = bl_json_str(d, "policy"), .policy_version = bl_json_str(d, "version"),
            .verdict = bl_json_str(d, "verdict"), .explanation = bl_json_str(d, "explanation"),
            .reasons = cJSON_GetObjectItemCaseSensitive(d, "reasons"),
            .changes = cJSON_GetObjectItemCaseSensitive(d, "changes"),
            .trigger = trigger, .at_ms = now,
        };
        int64_t did = 0;
        if (bl_store_add_decision(s, &row, &did) != BL_OK) {
            cJSON_Delete(ids);
            cJSON_Delete(res);
            return fail(s, err, BL_ERR, "cannot store the decision");
        }
        bl_json_add_num(d, "id", (double)did);
        bl_json_add_num(ids, row.policy, (double)did);
    }
    cJSON *p;
    cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(res, "points"))
    {
        const char *policy = bl_json_str(p, "policy");
        if (bl_store_add_points(s, bl_json_str(p, "subject"), bl_json_str(p, "period"),
                                (int64_t)bl_json_num(p, "points", 0), bl_json_str(p, "reason"), policy,
                                decision_of(ids, policy), now) != BL_OK) {
            cJSON_Delete(ids);
            cJSON_Delete(res);
            return fail(s, err, BL_ERR, "cannot store the points");
        }
    }
    cJSON *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(res, "events"))
    {
        const char *policy = bl_json_str(e, "policy");
        int64_t seq = 0;
        if (bl_store_add_event(s, bl_json_str(e, "kind"), type, id, cJSON_GetObjectItemCaseSensitive(e, "payload"),
                               policy, decision_of(ids, policy), now, &seq) != BL_OK) {
            cJSON_Delete(ids);
            cJSON_Delete(res);
            return fail(s, err, BL_ERR, "cannot store the event");
        }
        bl_json_add_num(e, "seq", (double)seq);
    }
    cJSON_Delete(ids);
    if (bl_store_commit(s) != BL_OK) {
        cJSON_Delete(res);
        return fail(s, err, BL_ERR, "cannot commit");
    }
    *out = res;
    return BL_OK;
}

/* "policies/client_grade.lua" -> "client_grade" (the name the API and the version history use). */
static void file_stem(const char *file, char *out, size_t n)
{
    const char *base = strrchr(file, '/');
    snprintf(out, n, "%s", base ? base + 1 : file);
    char *dot = strrchr(out, '.');
    if (dot)
        *dot = '\0';
}

int bl_engine_register_policies(bl_host_t *h, bl_store_t *s, char **err)
{
    *err = NULL;
    cJSON *list = bl_host_policies(h);
    if (bl_store_begin(s) != BL_OK) {
        cJSON_Delete(list);
        *err = bl_strdupf("cannot start a transaction: %s", bl_store_errmsg(s));
        return BL_ERR;
    }
    cJSON *p;
    int64_t now = bl_clock_now_ms();
    cJSON_ArrayForEach(p, list)
    {
        const char *file = bl_json_str(p, "file");
        char stem[256];
        file_stem(file, stem, sizeof stem);
        FILE *f = fopen(file, "rb");
        bl_buf src = {0};
        if (f) {
            char chunk[8192];
            size_t n;
            while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
                bl_buf_add(&src, chunk, n);
            fclose(f);
        }
        int rc = bl_store_add_policy_version(s, stem, bl_json_str(p, "version"), file, src.data ? src.data : "", now);
        bl_buf_free(&src);
        if (rc != BL_OK) {
            cJSON_Delete(list);
            return fail(s, err, BL_ERR, "cannot record the policy versions");
        }
    }
    cJSON_Delete(list);
    if (bl_store_commit(s) != BL_OK)
        return fail(s, err, BL_ERR, "cannot commit");
    return BL_OK;
}
