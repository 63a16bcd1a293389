/* datacmd.c — bylaw diff, bylaw replay and bylaw import on the command line (datacmd.h): options
 * checked, the running policy set fetched from the database when none is given, a progress bar on a
 * terminal, the report printed for people or as JSON. */
#include "datacmd.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "calendar.h"
#include "dryrun.h"
#include "policyset.h"
#include "progress.h"
#include "store.h"

static void on_progress(void *ud, int64_t done, int64_t total)
{
    bl_progress *p = ud;
    if (p->total < 0 && total >= 0)
        p->total = total;
    bl_progress_update(p, done);
}

/* The policy set the database last recorded (the service's), written into a new temporary directory;
 * NULL with a message on stderr. */
static char *running_set(const char *db)
{
    bl_store_t *s = NULL;
    char *err = NULL;
    cJSON *last = NULL;
    if (bl_store_open_reader(db, &s, &err) != BL_OK) {
        fprintf(stderr, "bylaw diff: %s\n", err);
        free(err);
        return NULL;
    }
    int rc = bl_store_last_policy_set(s, &last);
    if (rc != BL_OK) {
        fprintf(stderr, "bylaw diff: %s\n", rc == BL_NOTFOUND ? "the database records no policy set (no service has "
                                                               "run on it): give the running policies with --current DIR"
                                                             : bl_store_errmsg(s));
        bl_store_close(s);
        return NULL;
    }
    bl_store_close(s);
    const char *tmp = getenv("TMPDIR");
    char *dir = bl_strdupf("%s/bylaw-diff-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (mkdtemp(dir) == NULL || bl_set_write(dir, cJSON_GetObjectItemCaseSensitive(last, "files")) != 0) {
        fprintf(stderr, "bylaw diff: cannot write the running policy set to %s: %s\n", dir, strerror(errno));
        bl_remove_tree(dir);
        free(dir);
        dir = NULL;
    }
    cJSON_Delete(last);
    return dir;
}

static int report(const char *cmd, const bl_data_opts *o, int rc, cJSON *r, char *err)
{
    if (rc != BL_OK) {
        fprintf(stderr, "bylaw %s: %s\n", cmd, err ? err : "failed");
        free(err);
        return 1;
    }
    if (o->format && strcmp(o->format, "json") == 0) {
        char *s = bl_json_dump(r);
        puts(s);
        free(s);
    } else {
        bl_dryrun_print(r, stdout);
    }
    cJSON_Delete(r);
    return 0;
}

static int check_format(const char *cmd, const bl_data_opts *o)
{
    if (o->format && strcmp(o->format, "json") != 0 && strcmp(o->format, "text") != 0) {
        fprintf(stderr, "bylaw %s: --format takes text or json, not '%s'\n", cmd, o->format);
        return 2;
    }
    return 0;
}

int bl_cmd_diff(const bl_data_opts *o)
{
    if (check_format("diff", o))
        return 2;
    char *tmp = o->current ? NULL : running_set(o->db);
    if (!o->current && tmp == NULL)
        return 1;
    char *shown = tmp ? bl_strdupf("%s (the policy set it ran last)", o->db) : NULL;
    bl_progress bar;
    bl_progress_start(&bar, "records", -1);
    bl_dryrun d = {
        .db = o->db, .current = o->cfg, .candidate = o->cfg, .type = o->type, .threads = o->threads,
        .progress = on_progress, .ud = &bar,
    };
    d.current.policy_dir = tmp ? tmp : o->current;
    d.current.display_dir = shown;
    cJSON *r = NULL;
    char *err = NULL;
    int rc = bl_dryrun_run(&d, &r, &err);
    bl_progress_end(&bar);
    if (tmp)
        bl_remove_tree(tmp);
    free(tmp);
    free(shown);
    return report("diff", o, rc, r, err);
}

int bl_cmd_replay(const bl_data_opts *o)
{
    if (check_format("replay", o))
        return 2;
    if (o->since == NULL) {
        fprintf(stderr, "bylaw replay: --since DATE is missing (the decisions made since then are replayed)\n");
        return 2;
    }
    bl_cal_t *zone = bl_cal_new();
    char offset[16];
    int m = bl_time_offset();
    snprintf(offset, sizeof offset, "%c%02d:%02d", m < 0 ? '-' : '+', abs(m) / 60, abs(m) % 60);
    bl_cal_set_zone(zone, offset, NULL);
    int64_t since = 0;
    char *err = NULL;
    int prc = bl_cal_time_parse(zone, o->since, &since, &err);
    bl_cal_free(zone);
    if (prc != BL_OK) {
        fprintf(stderr, "bylaw replay: --since must be a time (ISO 8601, as 2026-10-08T09:00:00+08:00) or a date "
                        "(2026-10-08): %s\n", err ? err : o->since);
        free(err);
        return 2;
    }
    bl_progress bar;
    bl_progress_start(&bar, "record versions", -1);
    bl_dryrun d = {.db = o->db, .candidate = o->cfg, .type = o->type, .replay = 1, .since_ms = since,
                   .progress = on_progress, .ud = &bar};
    cJSON *r = NULL;
    int rc = bl_dryrun_run(&d, &r, &err);
    bl_progress_end(&bar);
    return report("replay", o, rc, r, err);
}
