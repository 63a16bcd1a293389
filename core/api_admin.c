/* api_admin.c — the administrator's routes that act on the whole database or erase data:
 * POST /admin/backup (a consistent copy made on a libuv worker thread while writes go on) and
 * POST /records/{type}/{id}/erase (a record and its history deleted, the erasure recorded). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <uv.h>

#include "api_records.h"
#include "store.h"

/* POST /admin/backup ----------------------------------------------------------------------------------- */

typedef struct backup_job {
    uv_work_t work;
    bl_pending req;
    char *src, *dest, *err;
    int rc;
    int64_t began_ms;
    double seconds;
} backup_job;

/* A file name the body may give: no directory, no hidden file, printable, at most 200 bytes. */
static int plain_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 200 || s[0] == '.')
        return 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p == '/' || *p == '\\' || *p < 0x20 || *p == 0x7f)
            return 0;
    return 1;
}

static void backup_work(uv_work_t *w)
{
    backup_job *j = w->data;
    uint64_t t0 = uv_hrtime();
    j->rc = bl_store_backup(j->src, j->dest, &j->err);
    j->seconds = (double)(uv_hrtime() - t0) / 1e9;
    if (j->rc != BL_OK)
        remove(j->dest); /* no half copy is left behind */
}

static void backup_done(uv_work_t *w, int status)
{
    backup_job *j = w->data;
    bl_service *svc = j->req.svc;
    svc->backup_running = 0;
    bl_resp resp = {0};
    struct stat st;
    if (status != 0 || j->rc != BL_OK) {
        bl_log(svc, "error", "backup to %s failed: %s", j->dest, j->err ? j->err : uv_strerror(status));
        bl_api_error(&resp, 500, "%s", j->err ? j->err : "the backup was cancelled");
    } else {
        char t[32];
        cJSON *o = cJSON_CreateObject();
        bl_json_add_str(o, "backup", j->dest);
        bl_json_add_num(o, "bytes", stat(j->dest, &st) == 0 ? (double)st.st_size : 0);
        bl_json_add_num(o, "seconds", j->seconds);
        bl_json_add_str(o, "holds", "every write committed before it began");
        bl_json_add_str(o, "began", bl_time_format(j->began_ms, t));
        bl_log(svc, "info", "backup written to %s in %.2f s", j->dest, j->seconds);
        bl_api_json(&resp, 201, o);
    }
    bl_pending_answer(&j->req, &resp);
    free(j->src);
    free(j->dest);
    free(j->err);
    free(j);
}

/* The directory backups go to: backup_dir, else the database's. */
static char *backup_dir(const bl_service *svc)
{
    if (svc->conf.backup_dir && svc->conf.backup_dir[0])
        return bl_strdupf("%s", svc->conf.backup_dir);
    char *dir = bl_strdupf("%s", svc->db_path), *slash = strrchr(dir, '/');
    if (slash == NULL) {
        free(dir);
        return bl_strdupf(".");
    }
    if (slash == dir)
        slash[1] = '\0';
    else
        *slash = '\0';
    return dir;
}

void bl_api_admin_backup(void *ud, const bl_req *req, const bl_match *m, bl_resp *resp)
{
    static const char *const keys[] = {"name", NULL};
    bl_service *svc = ud;
    (void)m;
    cJSON *body = NULL;
    const char *name = NULL;
    if (req->body_len) {
        if ((body = bl_api_body(req, resp, "{\"name\": \"FILE\"} (or nothing)")) == NULL)
            return;
        if (!bl_api_text_keys(body, keys, resp)) {
            cJSON_Delete(body);
            return;
        }
        name = bl_json_str(body, "name");
        if (name && !plain_name(name)) {
            bl_api_error(resp, 400, "\"name\" must be a file name (no '/', not starting with '.', at most 200 "
                                    "bytes): the backup goes to the backup directory");
            cJSON_Delete(body);
            return;
        }
    }
    if (svc->backup_running) {
        cJSON_Delete(body);
        bl_api_error(resp, 409, "a backup is being written already: ask again when it is done");
        return;
    }
    char *dir = backup_dir(svc), stamp[32];
    int64_t now = bl_clock_now_ms();
    if (name == NULL) { /* bylaw.db-backup-20261129-231500.db, in local time */
        time_t secs = (time_t)(now / 1000 + (int64_t)bl_time_offset() * 60);
        struct tm tm;
        gmtime_r(&secs, &tm);
        strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
    }
    const char *base = strrchr(svc->db_path, '/') ? strrchr(svc->db_path, '/') + 1 : svc->db_path;
    char *dest = name ? bl_strdupf("%s/%s", dir, name) : bl_strdupf("%s/%s-backup-%s.db", dir, base, stamp);
    cJSON_Delete(body);
    struct stat st;
    int isdir = stat(dir, &st) == 0 ? S_ISDIR(st.st_mode) : -errno;
    if (isdir != 1) {
        bl_api_error(resp, 500, "the backup directory %s %s: set backup_dir to one the service may write", dir,
                     isdir == 0 ? "is not a directory" : strerror(-isdir));
    } else if (stat(dest, &st) == 0) {
        bl_api_error(resp, 409, "%s exists already: a backup never overwrites a file; give another \"name\"", dest);
    } else {
        backup_job *j = calloc(1, sizeof *j);
        j->src = bl_strdupf("%s", svc->db_path);
        j->dest = dest, dest = NULL;
        j->began_ms = now;
        j->work.data = j;
        bl_service_flush(svc); /* what was acknowledged is committed before the copy begins */
        bl_pending_init(&j->req, svc, req);
        svc->backup_running = 1;
        uv_queue_work(svc->loop, &j->work, backup_work, backup_done);
        resp->pending = 1;
    }
    free(dest);
    free(dir);
}

/* POST /records/{type}/{id}/erase ------------------------------------------------------------------------ */

void bl_api_admin_erase(void *ud, const bl_req *req, const bl_match *m, bl_resp *resp)
{
    static const char *const keys[] = {"reason", NULL};
    bl_service *svc = ud;
    const char *type = m->seg[0], *id = m->seg[1];
    cJSON *body = bl_api_body(req, resp, "{\"reason\": \"why the record is erased\"}");
    if (body == NULL)
        return;
    if (!bl_api_text_keys(body, keys, resp)) {
        cJSON_Delete(body);
        return;
    }
    const char *reason = bl_json_str(body, "reason");
    if (reason == NULL || reason[strspn(reason, " \t")] == '\0') {
        cJSON_Delete(body);
        bl_api_error(resp, 400, "\"reason\" is required: the erasure is recorded with who asked, when and why");
        return;
    }
    char *err = NULL; /* who: the token's name; in open mode, the client's address */
    char *by = m->who ? bl_strdupf("%s", m->who) : bl_strdupf("open mode, %s", req->peer ? req->peer : "loopback");
    if (bl_service_batch(svc, &err) != BL_OK) {
        bl_api_error(resp, 503, "cannot start the write: %s", err);
        free(err);
        free(by);
        cJSON_Delete(body);
        return;
    }
    int64_t now = bl_clock_now_ms();
    cJSON *counts = NULL;
    int began = bl_store_begin(svc->store) == BL_OK; /* a savepoint of the batch: all of it or nothing */
    int rc = began ? bl_store_erase(svc->store, type, id, by, reason, now, &counts) : BL_ERR;
    if (rc == BL_OK)
        rc = bl_store_commit(svc->store);
    if (rc != BL_OK) {
        if (began)
            bl_store_rollback(svc->store);
        if (rc == BL_NOTFOUND)
            bl_api_error(resp, 404, "%s", bl_store_errmsg(svc->store));
        else
            bl_api_store_error(svc, resp, rc, "cannot erase the record");
    } else {
        char t[32];
        cJSON *o = cJSON_CreateObject();
        char *what = bl_strdupf("%s/%s", type, id);
        bl_json_add_str(o, "erased", what);
        free(what);
        bl_json_add(o, "deleted", counts), counts = NULL;
        bl_json_add_str(o, "by", by);
        bl_json_add_str(o, "reason", reason);
        bl_json_add_str(o, "at", bl_time_format(now, t));
        bl_log(svc, "info", "erased %s/%s (by %s): %s", type, id, by, reason);
        bl_resp answer = {0};
        bl_api_json(&answer, 200, o);
        bl_pending p;
        bl_pending_init(&p, svc, req);
        bl_pending_hold(&p, &answer); /* answered once the erasure is durable */
        resp->pending = 1;
    }
    cJSON_Delete(counts);
    free(by);
    cJSON_Delete(body);
}
