/* health.c — whether the service is alive, ready and whole: the checks behind GET /health,
 * /health/live and /health/ready. Ready means it can take writes and decide them now (the database
 * writable, the last commit good, free disk above the threshold, the policies loaded in the workers);
 * degraded means it does, but something needs a person (a refused policy edit, a calendar whose
 * holiday schedule ends soon). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "service.h"

#define CALENDAR_WARN_DAYS 60

/* The directory of the database (where the WAL and the journal go) into dir. */
static void db_dir(const char *db, char *dir, size_t n)
{
    snprintf(dir, n, "%s", db);
    char *slash = strrchr(dir, '/');
    if (slash)
        slash[slash == dir] = '\0'; /* "/x.db": "/" */
    else
        snprintf(dir, n, ".");
}

/* Free space (MiB) where the database lives, or -1. */
static long long free_mb(const char *db)
{
    char dir[4096];
    db_dir(db, dir, sizeof dir);
    struct statvfs st;
    if (statvfs(dir, &st) != 0)
        return -1;
    return (long long)((unsigned long long)st.f_bavail * st.f_frsize >> 20);
}

/* Why the database file or its directory may not be written now, or NULL (caller frees): a disk
 * remounted read-only or permissions changed after start-up show here before a write fails. */
static char *not_writable(const char *db)
{
    if (strcmp(db, ":memory:") == 0)
        return NULL;
    char dir[4096];
    db_dir(db, dir, sizeof dir);
    const char *what = access(db, W_OK) != 0 ? db : access(dir, W_OK) != 0 ? dir : NULL;
    return what ? bl_strdupf("%s cannot be written (%s): writes cannot be stored", what, strerror(errno)) : NULL;
}

cJSON *bl_service_health(bl_service *svc, int *ready)
{
    cJSON *o = cJSON_CreateObject(), *checks = cJSON_CreateObject(), *degraded = cJSON_CreateArray();
    int ok = 1;
    /* the database: writable, and its last commit went through */
    const char *db = NULL;
    char *why = NULL;
    if (bl_store_readonly(svc->store))
        db = "the database is read-only: writes cannot be stored (check the file's permissions and the disk)";
    else if ((why = not_writable(svc->db_path)) != NULL)
        db = why;
    else if (svc->last_commit_error)
        db = svc->last_commit_error;
    bl_json_add_str(checks, "database", db ? db : "ok");
    free(why);
    ok = ok && db == NULL;
    /* free disk */
    long long mb = strcmp(svc->db_path, ":memory:") ? free_mb(svc->db_path) : -1;
    cJSON *disk = cJSON_AddObjectToObject(checks, "disk");
    if (mb >= 0)
        bl_json_add_num(disk, "free_mb", (double)mb);
    bl_json_add_num(disk, "min_free_mb", (double)svc->conf.min_free_mb);
    int disk_ok = mb < 0 || mb >= svc->conf.min_free_mb;
    bl_json_add_str(disk, "status", disk_ok ? "ok" : "below the minimum: writes may fail (--min-free-mb)");
    ok = ok && disk_ok;
    /* the policies, loaded in the workers */
    int loaded = bl_pool_ready(svc->pool);
    bl_json_add_str(checks, "policies", loaded ? "ok" : "the workers are loading the policies");
    ok = ok && loaded;
    /* degraded: not failing readiness, since the running policies still serve */
    if (svc->pending_error) {
        cJSON *d = cJSON_CreateObject();
        bl_json_add_str(d, "check", "policies");
        bl_json_add_str(d, "reason", "an edit in the policy directory was refused; the last good set runs");
        bl_json_add_str(d, "error", svc->pending_error);
        cJSON_AddItemToArray(degraded, d);
    }
    const cJSON *cal = cJSON_GetObjectItemCaseSensitive(svc->active.info, "calendar");
    const char *covers = bl_json_str(cal, "covers_until");
    int64_t end = 0;
    if (covers && bl_cal_time_parse(svc->active.zone, covers, &end, NULL) == BL_OK &&
        end - bl_clock_now_ms() < (int64_t)CALENDAR_WARN_DAYS * 86400000) {
        cJSON *d = cJSON_CreateObject();
        bl_json_add_str(d, "check", "calendar");
        char *msg = bl_strdupf("the calendar's holiday schedule ends %s: add the next year's (docs/calendar.md); "
                               "deadlines past it are provisional", covers);
        bl_json_add_str(d, "reason", msg);
        free(msg);
        cJSON_AddItemToArray(degraded, d);
    }
    const char *status = svc->stopping ? "stopping" : !ok ? "failing" : cJSON_GetArraySize(degraded) ? "degraded" : "ok";
    bl_json_add_str(o, "status", status);
    bl_json_add(o, "ready", cJSON_CreateBool(ok && !svc->stopping));
    bl_json_add_str(o, "version", BL_VERSION);
    bl_json_add(o, "checks", checks);
    if (cJSON_GetArraySize(degraded))
        bl_json_add(o, "degraded", degraded);
    else
        cJSON_Delete(degraded);
    if (svc->pending_error) /* (kept at the top too, where scripts have read it) */
        bl_json_add_str(o, "pending_error", svc->pending_error);
    bl_json_add_num(o, "policies", cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(svc->active.info, "policies")));
    bl_json_add(o, "workers_ready", cJSON_CreateBool(loaded));
    const bl_gauges *g = &svc->gauges; /* (counted every 5 s off the loop: a count may take a while) */
    cJSON *calo = cJSON_Duplicate(cal, 1);
    if (calo && g->at_ms >= 0)
        bl_json_add_num(calo, "provisional", (double)g->provisional);
    if (calo)
        bl_json_add(o, "calendar", calo);
    if (g->at_ms >= 0) {
        char t[32];
        bl_json_add_num(o, "deadlines_due", (double)g->overdue); /* due and not yet fired */
        bl_json_add_num(o, "deadlines_pending", (double)g->pending);
        bl_json_add_str(o, "deadlines_counted", bl_time_format(g->at_ms, t));
    }
    bl_json_add(o, "virtual_clock", cJSON_CreateBool(svc->virtual_clock));
    *ready = ok && !svc->stopping;
    return o;
}
