/* reload.c — policy sets in the service: a set is copied from the policy directory (with an edit, for
 * PUT /policies: files replaced, added or removed), loaded and tested by a one-shot worker process, and
 * only then activated: the workers start on the copy, the edit is written to the directory, and the
 * activation log (core/reload_log.c) records each file whose version changed, by whom and why. A set that
 * fails keeps the old one running, and is logged as refused. One validation runs at a time; the others
 * wait their turn. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine.h"
#include "policyset.h"
#include "reload_log.h"
#include "service.h"

#define VALIDATE_GRACE_MS 5000 /* a validation may take the tests' own limits and this much more */

typedef struct op {
    bl_service *svc;
    int install;       /* PUT /policies(/NAME) or a rollback: req waits for the answer */
    bl_pending req;
    cJSON *edit;       /* install: {"NAME.lua": text | null} applied to a copy of the directory */
    char *name;        /* the file the answer is about (and a rollback's prev is for); NULL: every one edited */
    char *by, *why, *message;
    int64_t prev;
    char *set_dir;
    void (*cb)(bl_service *svc, int ok, const char *err); /* reload at start-up */
    cJSON *files;      /* a set from the database, not the directory: {path: text} */
    char *refused;     /* with files: why the directory was refused */
    struct op *next;
} op;

typedef struct bl_reload {
    op *head, **tail;
    int running;
    cJSON *pending;    /* {name: {"file","line","message","version"}}: the directory's refused edit */
} bl_reload;

/* Files ---------------------------------------------------------------------------------------------- */

/* Writes len bytes to path atomically (a temporary file renamed over it, synced). */
static int write_atomic(const char *path, const char *tmp, const char *data, size_t len)
{
    FILE *f = fopen(tmp, "wb");
    if (f == NULL || fwrite(data, 1, len, f) != len || fflush(f) != 0 || fsync(fileno(f)) != 0 || fclose(f) != 0 ||
        rename(tmp, path) != 0) {
        int e = errno;
        if (f)
            fclose(f);
        unlink(tmp);
        errno = e;
        return -1;
    }
    return 0;
}

/* Writes (or removes) the files of edit in the policy directory; NULL, or why not (malloc'd). */
static char *write_edit(bl_service *svc, const cJSON *edit)
{
    const cJSON *f;
    cJSON_ArrayForEach(f, edit)
    {
        char *real = bl_strdupf("%s/%s", svc->cfg.policy_dir, f->string);
        char *tmp = bl_strdupf("%s/.%s.new", svc->cfg.policy_dir, f->string);
        int rc = cJSON_IsNull(f) ? (unlink(real) == 0 || errno == ENOENT ? 0 : -1)
                                 : write_atomic(real, tmp, f->valuestring, strlen(f->valuestring));
        char *why = rc ? bl_strdupf("cannot %s %s: %s", cJSON_IsNull(f) ? "remove" : "write", real, strerror(errno))
                       : NULL;
        free(real);
        free(tmp);
        if (why)
            return why;
    }
    return NULL;
}

/* The active set -------------------------------------------------------------------------------------- */

cJSON *bl_service_policy_files(bl_service *svc, int with_source)
{
    cJSON *files = cJSON_CreateObject(), *p;
    cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(svc->active.info, "policies"))
    {
        const char *file = bl_json_str(p, "file");
        char name[256];
        bl_file_stem(file ? file : "", name, sizeof name);
        cJSON *f = cJSON_GetObjectItemCaseSensitive(files, name);
        if (f == NULL) {
            f = cJSON_AddObjectToObject(files, name);
            bl_json_add_str(f, "file", file);
            bl_json_add_str(f, "version", bl_json_str(p, "version"));
            if (with_source)
                bl_json_add_str(f, "source", bl_json_str(p, "source"));
            cJSON_AddArrayToObject(f, "policies");
        }
        cJSON *entry = cJSON_CreateObject();
        bl_json_add_str(entry, "name", bl_json_str(p, "name"));
        bl_json_add_str(entry, "type", bl_json_str(p, "type"));
        bl_json_add_num(entry, "order", bl_json_num(p, "order", 100));
        bl_json_add_num(entry, "line", bl_json_num(p, "line", 0));
        cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(f, "policies"), entry);
    }
    cJSON_ArrayForEach(p, (with_source ? cJSON_GetObjectItemCaseSensitive(svc->active.info, "files") : NULL))
    {
        char name[256], version[17];
        bl_file_stem(p->string, name, sizeof name);
        if (strchr(p->string, '/') || cJSON_GetObjectItemCaseSensitive(files, name) || !cJSON_IsString(p))
            continue; /* a policy file (above), or in a subdirectory (no name of its own) */
        cJSON *f = cJSON_AddObjectToObject(files, name);
        char *shown = bl_strdupf("%s/%s", svc->cfg.policy_dir, p->string);
        bl_json_add_str(f, "file", shown);
        free(shown);
        bl_json_add_str(f, "version", bl_source_version(p->valuestring, strlen(p->valuestring), version));
        bl_json_add_str(f, "source", p->valuestring);
        cJSON_AddArrayToObject(f, "policies");
    }
    return files;
}

const cJSON *bl_service_pending(bl_service *svc, const char *name)
{
    return svc->reload ? cJSON_GetObjectItemCaseSensitive(svc->reload->pending, name) : NULL;
}

/* Whether the set validation reported is the running one: the same files with the same text. */
static int same_as_active(bl_service *svc, const cJSON *result)
{
    const char *s1 = bl_json_str(svc->active.info, "set_version"), *s2 = bl_json_str(result, "set_version");
    if (s1 && s2)
        return strcmp(s1, s2) == 0;
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(svc->active.info, "policies");
    const cJSON *b = cJSON_GetObjectItemCaseSensitive(result, "policies");
    if (a == NULL || cJSON_GetArraySize(a) != cJSON_GetArraySize(b))
        return 0;
    for (const cJSON *x = a->child, *y = b->child; x && y; x = x->next, y = y->next) {
        const char *n1 = bl_json_str(x, "name"), *n2 = bl_json_str(y, "name");
        const char *v1 = bl_json_str(x, "version"), *v2 = bl_json_str(y, "version");
        if (!n1 || !n2 || !v1 || !v2 || strcmp(n1, n2) || strcmp(v1, v2))
            return 0;
    }
    return 1;
}

/* Makes the validated set in set_dir (taken) the one that runs. */
static void activate(bl_service *svc, char *set_dir, const cJSON *result)
{
    bl_service_flush(svc);
    char *err = NULL;
    if (bl_engine_register_policies(svc->store, cJSON_GetObjectItemCaseSensitive(result, "policies"), &err) != BL_OK) {
        bl_log(svc, "error", "cannot record the policy versions: %s", err);
        free(err);
    }
    int minutes = (int)bl_json_num(result, "zone_minutes", 480);
    char zone[16];
    snprintf(zone, sizeof zone, "%c%02d:%02d", minutes < 0 ? '-' : '+', abs(minutes) / 60, abs(minutes) % 60);
    bl_cal_t *cal = bl_cal_new();
    bl_cal_set_zone(cal, zone, NULL);
    bl_cal_free(svc->active.zone);
    svc->active.zone = cal;
    bl_time_set_offset(minutes);
    if (bl_store_add_policy_set(svc->store, bl_json_str(result, "set_version"),
                                cJSON_GetObjectItemCaseSensitive(result, "files"), bl_clock_now_ms()) != BL_OK)
        bl_log(svc, "error", "cannot record the policy set: %s", bl_store_errmsg(svc->store));
    cJSON_Delete(svc->active.info);
    svc->active.info = cJSON_Duplicate(result, 1);
    cJSON_DeleteItemFromObjectCaseSensitive(svc->active.info, "report");
    char *old = svc->active.set_dir;
    svc->active.set_dir = set_dir;
    bl_pool_load(svc->pool, set_dir, svc->cfg.policy_dir);
    bl_service_recompute(svc); /* the set may add a year's holidays to what provisional deadlines counted */
    if (old) {
        bl_remove_tree(old); /* the workers of the old set have loaded it: the copy is no longer needed */
        free(old);
    }
    bl_buf names = {0};
    const cJSON *p;
    cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(result, "policies"))
        bl_buf_printf(&names, "%s%s@%s", names.len ? ", " : "", bl_json_str(p, "name"), bl_json_str(p, "version"));
    bl_log(svc, "info", "policies active: %s", names.data ? names.data : "(none)");
    bl_buf_free(&names);
}

/* Validation ------------------------------------------------------------------------------------------ */

static void run_next(bl_service *svc);
static int start_from_store(bl_service *svc, void (*cb)(bl_service *, int, const char *), const char *why);

/* The plain-language reason a validation result refuses the set, or NULL when it is valid. */
static char *refusal(const cJSON *result, const char *error)
{
    if (result == NULL)
        return bl_strdupf("the policies could not be tested: %s", error ? error : "the worker process failed");
    const char *errors = bl_json_str(result, "errors");
    if (errors) {
        size_t n = strlen(errors);
        while (n > 0 && errors[n - 1] == '\n')
            n--;
        return bl_strdupf("the policies do not load: %.*s", (int)n, errors);
    }
    int passed = (int)bl_json_num(result, "passed", 0), failed = (int)bl_json_num(result, "failed", 0);
    if (failed == 0)
        return NULL;
    /* the failures (and the file each sits in), not the lines of the tests that pass */
    bl_buf fails = {0};
    char *report = bl_strdupf("%s", bl_json_str(result, "report") ? bl_json_str(result, "report") : "");
    for (char *save = NULL, *line = strtok_r(report, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
        if (strncmp(line, "  ok ", 5) != 0)
            bl_buf_printf(&fails, "%s\n", line);
    free(report);
    char *msg = bl_strdupf("the policy tests fail (%d passed, %d failed):\n%s", passed, failed,
                           fails.data ? fails.data : "");
    bl_buf_free(&fails);
    return msg;
}

static void op_free(op *o)
{
    cJSON_Delete(o->files);
    cJSON_Delete(o->edit);
    free(o->refused);
    free(o->name);
    free(o->by);
    free(o->why);
    free(o->message);
    free(o->set_dir);
    free(o);
}

/* The answer of an install: the file it names (or, for a bundle, every file edit names) as it runs now,
 * with the set's warnings; or the error. */
static void answer_install(bl_service *svc, op *o, int status, const char *err, cJSON *warnings)
{
    bl_resp resp = {0};
    if (err) {
        bl_api_error(&resp, status, "%s", err);
        bl_pending_answer(&o->req, &resp);
        cJSON_Delete(warnings);
        return;
    }
    cJSON *files = bl_service_policy_files(svc, 1), *out;
    if (o->name) {
        out = cJSON_DetachItemFromObjectCaseSensitive(files, o->name);
        if (out == NULL) { /* removed */
            out = cJSON_CreateObject();
            bl_json_add(out, "removed", cJSON_CreateTrue());
        }
        bl_json_add_str(out, "name", o->name);
    } else {
        out = cJSON_CreateObject();
        cJSON *each = cJSON_AddObjectToObject(out, "files"), *f;
        cJSON_ArrayForEach(f, o->edit)
        {
            char name[256];
            bl_file_stem(f->string, name, sizeof name);
            cJSON *x = cJSON_DetachItemFromObjectCaseSensitive(files, name);
            if (x == NULL) {
                x = cJSON_CreateObject();
                bl_json_add(x, "removed", cJSON_CreateTrue());
            }
            cJSON_DeleteItemFromObjectCaseSensitive(x, "source");
            bl_json_add(each, name, x);
        }
        bl_json_add_str(out, "set_version", bl_json_str(svc->active.info, "set_version"));
    }
    cJSON_Delete(files);
    bl_json_add(out, "warnings", warnings ? warnings : cJSON_CreateArray());
    bl_api_json(&resp, status, out);
    bl_pending_answer(&o->req, &resp);
}

/* The files of the set that was validated: what the worker read, or the copy itself. */
static cJSON *candidate_files(const op *o, const cJSON *result)
{
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(result, "files");
    char version[17];
    return f ? cJSON_Duplicate(f, 1) : bl_set_read(o->set_dir, version);
}

static void on_validated(void *ud, const cJSON *result, const char *error)
{
    op *o = ud;
    bl_service *svc = o->svc;
    bl_reload *r = svc->reload;
    r->running = 0;
    char *why = refusal(result, error);
    int answered = 0;
    if (why == NULL && o->install && (why = write_edit(svc, o->edit)) != NULL) { /* valid: the directory next */
        answer_install(svc, o, 500, why, NULL);
        answered = 1;
    }
    int same = why == NULL && svc->active.info && same_as_active(svc, result);
    cJSON *cand = candidate_files(o, result), *warnings = NULL;
    cJSON *old = cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(svc->active.info, "files"), 1);
    bl_policy_change c = {.by = o->by, .why = o->why, .message = o->message, .prev = o->prev};
    if (why == NULL && !same) {
        activate(svc, o->set_dir, result);
        o->set_dir = NULL;
        if (o->cb == NULL)
            svc->metrics.reloads++;
    }
    if (why && !o->install && o->cb == NULL) {
        svc->metrics.reload_failures++;
        bl_log(svc, "error", "policy edit rejected, the old policies keep running: %s", why);
    }
    cJSON *changed = same ? cJSON_CreateArray() : bl_reload_log(svc, why ? NULL : old, cand, o->name, &c, why);
    if (why == NULL) {
        warnings = bl_reload_warnings(result, cand, changed);
        const cJSON *w;
        cJSON_ArrayForEach(w, warnings) bl_log(svc, "warn", "%s", w->valuestring);
    }
    if (o->install && !answered)
        answer_install(svc, o, why ? 422 : 200, why, warnings);
    else
        cJSON_Delete(warnings);
    if (!o->install && !o->files) { /* the directory as it is: its refused edit is pending, or none is */
        free(svc->pending_error);
        svc->pending_error = why ? bl_strdupf("%s", why) : NULL;
        cJSON_Delete(r->pending);
        r->pending = why ? bl_reload_pending(cand, changed, why) : NULL;
    }
    if (o->files && why == NULL) {
        bl_log(svc, "warn", "the policy directory %s is refused, so the service runs the last policy set it ran "
               "(from the database) until the directory is fixed: %s", svc->cfg.policy_dir, o->refused);
        free(svc->pending_error);
        svc->pending_error = bl_strdupf("%s", o->refused);
    }
    cJSON_Delete(changed);
    cJSON_Delete(cand);
    cJSON_Delete(old);
    if (o->cb && why && !o->files && start_from_store(svc, o->cb, why) == 0)
        o->cb = NULL; /* it answers for the start */
    if (o->cb)
        o->cb(svc, why == NULL, why);
    if (o->set_dir)
        bl_remove_tree(o->set_dir);
    free(why);
    op_free(o);
    run_next(svc);
}

/* A fresh copy of the policy directory (or of files, a set from the database) with the op's edit, for a
 * set to validate; NULL with *err. */
static char *new_set(bl_service *svc, const op *o, char **err)
{
    char *dir = bl_strdupf("%s/%d", svc->sets_dir, ++svc->set_seq);
    if (mkdir(dir, 0700) != 0 || (o->files ? bl_set_write(dir, o->files) : bl_set_copy(svc->cfg.policy_dir, dir)) != 0 ||
        bl_set_write(dir, o->edit) != 0) {
        *err = bl_strdupf("cannot copy %s to test it: %s", svc->cfg.policy_dir, strerror(errno));
        bl_remove_tree(dir);
        free(dir);
        return NULL;
    }
    return dir;
}

static void run_next(bl_service *svc)
{
    bl_reload *r = svc->reload;
    if (r->running || r->head == NULL || svc->stopping)
        return;
    op *o = r->head;
    r->head = o->next;
    if (r->head == NULL)
        r->tail = &r->head;
    char *err = NULL;
    if ((o->set_dir = new_set(svc, o, &err)) == NULL) {
        if (o->install)
            answer_install(svc, o, 500, err, NULL);
        else
            bl_log(svc, "error", "%s", err);
        if (o->cb)
            o->cb(svc, 0, err);
        free(err);
        op_free(o);
        run_next(svc);
        return;
    }
    r->running = 1;
    /* every policy file and test may take its limits; a set that does not finish is refused */
    int64_t limit = (int64_t)svc->cfg.limits.test_timeout_ms * 4 + VALIDATE_GRACE_MS;
    bl_pool_validate(svc->pool, o->set_dir, svc->cfg.policy_dir, limit, on_validated, o);
}

static void enqueue(bl_service *svc, op *o)
{
    bl_reload *r = svc->reload;
    *r->tail = o;
    r->tail = &o->next;
    run_next(svc);
}

static op *op_new(bl_service *svc, const char *by, const char *why, const char *message)
{
    op *o = calloc(1, sizeof *o);
    o->svc = svc;
    o->by = bl_strdupf("%s", by);
    o->why = bl_strdupf("%s", why);
    o->message = message ? bl_strdupf("%s", message) : NULL;
    o->prev = -1;
    return o;
}

/* At start-up, when the directory is refused: the last set the service ran, from the database, if any
 * (validated again: it must still load and pass its tests). 0: it is queued and answers for cb. */
static int start_from_store(bl_service *svc, void (*cb)(bl_service *, int, const char *), const char *why)
{
    cJSON *last = NULL;
    if (bl_store_last_policy_set(svc->store, &last) != BL_OK)
        return -1;
    op *o = op_new(svc, "start-up", "start-up", "the last policy set the service ran (the policy directory is refused)");
    o->cb = cb;
    o->files = cJSON_DetachItemFromObjectCaseSensitive(last, "files");
    o->refused = bl_strdupf("%s", why);
    cJSON_Delete(last);
    enqueue(svc, o);
    return 0;
}

void bl_service_reload(bl_service *svc, void (*cb)(bl_service *svc, int ok, const char *err))
{
    bl_reload *r = svc->reload;
    if (cb == NULL) /* edits come in bursts: one queued reload reads them all */
        for (op *o = r->head; o; o = o->next)
            if (!o->install && o->cb == NULL)
                return;
    char *msg = bl_strdupf(cb ? "the policy directory %s at start-up" : "the policy directory %s as it is now",
                           svc->cfg.policy_dir);
    op *o = op_new(svc, cb ? "start-up" : "file edit", cb ? "start-up" : "file edit", msg);
    free(msg);
    o->cb = cb;
    enqueue(svc, o);
}

void bl_service_install(bl_service *svc, const bl_req *req, const char *name, cJSON *edit, const bl_policy_change *c)
{
    op *o = op_new(svc, c->by, c->why, c->message);
    o->install = 1;
    o->prev = c->prev;
    o->edit = edit;
    o->name = name ? bl_strdupf("%s", name) : NULL;
    bl_pending_init(&o->req, svc, req);
    enqueue(svc, o);
}

void bl_reload_init(bl_service *svc)
{
    bl_reload *r = calloc(1, sizeof *r);
    r->tail = &r->head;
    svc->reload = r;
}

void bl_reload_close(bl_service *svc)
{
    bl_reload *r = svc->reload;
    while (r->head) {
        op *o = r->head;
        r->head = o->next;
        if (o->install)
            answer_install(svc, o, 503, "the service is stopping", NULL);
        op_free(o);
    }
    cJSON_Delete(r->pending);
    free(r);
    svc->reload = NULL;
    if (svc->active.set_dir)
        bl_remove_tree(svc->active.set_dir);
    free(svc->active.set_dir);
    cJSON_Delete(svc->active.info);
    bl_cal_free(svc->active.zone);
    memset(&svc->active, 0, sizeof svc->active);
}
