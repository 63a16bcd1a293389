/* reads.c — answers the read requests of running policies from the store (the request format is in
 * reads.h). The same code serves a policy in this process and one in a worker process. */
#include "reads.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

static int bad(char **err, const char *fmt, const char *what)
{
    *err = bl_strdupf(fmt, what);
    return BL_INVALID;
}

static int store_err(bl_store_t *s, int rc, char **err)
{
    *err = bl_strdupf("%s", bl_store_errmsg(s));
    return rc == BL_INVALID ? BL_INVALID : BL_ERR;
}

/* The filter of req: NULL, or an object (anything else is refused). */
static int filter_of(const cJSON *req, cJSON **filter, char **err)
{
    cJSON *f = cJSON_GetObjectItemCaseSensitive(req, "filter");
    *filter = NULL;
    if (f == NULL || cJSON_IsNull(f))
        return BL_OK;
    if (!cJSON_IsObject(f))
        return bad(err, "%s", "filter must be a table of field = value");
    *filter = f;
    return BL_OK;
}

int bl_reads_answer(bl_store_t *s, const cJSON *req, cJSON **answer, char **err)
{
    *answer = NULL;
    *err = NULL;
    const char *op = bl_json_str(req, "op"), *type = bl_json_str(req, "type");
    if (op == NULL)
        return bad(err, "%s", "a read needs an \"op\"");
    cJSON *a = cJSON_CreateObject(), *filter = NULL;
    int rc = BL_OK;
    if (strcmp(op, "points") == 0) {
        const char *subject = bl_json_str(req, "subject"), *period = bl_json_str(req, "period");
        int64_t total = 0;
        if (subject == NULL)
            rc = bad(err, "%s", "points: the subject must be a string");
        else if (period)
            rc = bl_store_points_total(s, subject, period, &total);
        else
            rc = bl_store_points_window(s, subject, (int64_t)bl_json_num(req, "from", 0),
                                        (int64_t)bl_json_num(req, "to", 0), &total);
        if (rc == BL_OK)
            bl_json_add_num(a, "total", (double)total);
        else if (*err == NULL)
            rc = store_err(s, rc, err);
    } else if (type == NULL) {
        rc = bad(err, "%s: the record type must be a string", op);
    } else if (strcmp(op, "get") == 0) {
        const char *id = bl_json_str(req, "id");
        bl_record r = {0};
        rc = id ? bl_store_get(s, type, id, &r) : bad(err, "%s", "get: the id must be a string");
        if (rc == BL_OK || rc == BL_NOTFOUND) {
            bl_json_add(a, "record", r.fields);
            r.fields = NULL;
            rc = BL_OK;
        } else if (*err == NULL) {
            rc = store_err(s, rc, err);
        }
    } else if ((rc = filter_of(req, &filter, err)) != BL_OK) {
        /* the message says it */
    } else if (strcmp(op, "find") == 0) {
        double limit = bl_json_num(req, "limit", 100);
        cJSON *out = NULL;
        if (!(limit >= 1 && limit <= 10000))
            rc = bad(err, "%s", "find: limit must be between 1 and 10000");
        else if ((rc = bl_store_find(s, type, filter, NULL, (int)limit, &out)) != BL_OK)
            rc = store_err(s, rc, err);
        else
            bl_json_add(a, "records", out);
    } else if (strcmp(op, "count") == 0) {
        int64_t n = 0;
        if ((rc = bl_store_count(s, type, filter, &n)) != BL_OK)
            rc = store_err(s, rc, err);
        else
            bl_json_add_num(a, "n", (double)n);
    } else if (strcmp(op, "sum") == 0) {
        const char *field = bl_json_str(req, "field");
        double sum = 0;
        if (field == NULL)
            rc = bad(err, "%s", "sum: the field must be a string");
        else if ((rc = bl_store_sum(s, type, field, filter, &sum)) != BL_OK)
            rc = store_err(s, rc, err);
        else
            bl_json_add_num(a, "sum", sum);
    } else {
        rc = bad(err, "unknown read \"%s\"", op);
    }
    if (rc != BL_OK) {
        cJSON_Delete(a);
        return rc;
    }
    *answer = a;
    return BL_OK;
}

static int store_read(bl_reader *r, const cJSON *req, cJSON **answer, char **err)
{
    return bl_reads_answer(((bl_store_reader *)r)->s, req, answer, err);
}

bl_reader *bl_store_reader_init(bl_store_reader *sr, bl_store_t *s)
{
    _Static_assert(offsetof(bl_store_reader, r) == 0, "the reader is the first member");
    sr->r.read = store_read;
    sr->s = s;
    return &sr->r;
}
