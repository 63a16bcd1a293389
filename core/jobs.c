/* jobs.c — the service's long runs as resources (GET /jobs/{id}): a dry run of a policy edit (POST
 * /policies/dry-run) runs in a process of its own, `bylaw __dryrun` (core/dryrun.c), on copies of the
 * running set and of the candidate, reading the database through read-only connections; its progress
 * and its report come back over a socket (core/wire.h frames) to the loop, which never waits for it.
 * One runs at a time; the last JOBS_KEPT finished ones are kept for GET. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "policyset.h"
#include "service.h"
#include "wire.h"

#define JOBS_KEPT 16
#define JOB_LIMIT_MS (30 * 60 * 1000) /* a dry run still going after this is stopped */

typedef struct job {
    struct bl_jobs *jobs;
    int64_t id;
    char *dir;             /* its copies: dir/current, dir/candidate */
    char *type;
    uv_process_t proc;
    uv_pipe_t pipe;
    uv_timer_t timer;      /* the answer's wait, then the job's limit */
    bl_wire_dec dec;
    int handles, exited, eof, cancelled, timed_out;
    int64_t started_ms, finished_ms, done, total;
    char *status;          /* "running", "done", "failed", "cancelled" */
    cJSON *report;         /* done */
    char *error;           /* failed */
    int waiting;           /* the POST waits for it */
    bl_pending req;
    struct job *next;
} job;

typedef struct bl_jobs {
    bl_service *svc;
    job *list; /* newest first */
    int64_t seq;
    int closing;
} bl_jobs;

/* A job as JSON: {"id","kind","status","started","finished","progress":{"done","total"},"report"|"error"}. */
static cJSON *job_json(const job *j, int with_report)
{
    char t[32];
    cJSON *o = cJSON_CreateObject();
    bl_json_add_num(o, "id", (double)j->id);
    bl_json_add_str(o, "kind", "dry-run");
    bl_json_add_str(o, "status", j->status);
    if (j->type)
        bl_json_add_str(o, "type", j->type);
    bl_json_add_str(o, "started", bl_time_format(j->started_ms, t));
    bl_json_add_str(o, "finished", j->finished_ms ? bl_time_format(j->finished_ms, t) : NULL);
    cJSON *p = cJSON_AddObjectToObject(o, "progress");
    bl_json_add_num(p, "done", (double)j->done);
    bl_json_add(p, "total", j->total >= 0 ? cJSON_CreateNumber((double)j->total) : cJSON_CreateNull());
    if (j->error)
        bl_json_add_str(o, "error", j->error);
    if (j->report && with_report)
        bl_json_add(o, "report", cJSON_Duplicate(j->report, 1));
    char href[48];
    snprintf(href, sizeof href, "/jobs/%lld", (long long)j->id);
    bl_json_add_str(o, "href", href);
    return o;
}

static void answer_waiting(job *j)
{
    if (!j->waiting)
        return;
    j->waiting = 0;
    bl_resp resp = {0};
    int done = strcmp(j->status, "running") != 0;
    if (!done) {
        snprintf(resp.extra_buf, sizeof resp.extra_buf, "/jobs/%lld", (long long)j->id);
        resp.extra_header = "Location";
        resp.extra_value = resp.extra_buf;
    }
    int failed = strcmp(j->status, "failed") == 0;
    bl_api_json(&resp, !done ? 202 : failed ? 422 : 200, job_json(j, 1));
    bl_pending_answer(&j->req, &resp);
}

static void job_free(job *j)
{
    bl_wire_dec_free(&j->dec);
    cJSON_Delete(j->report);
    free(j->error);
    free(j->status);
    free(j->type);
    if (j->dir) {
        bl_remove_tree(j->dir);
        free(j->dir);
    }
    free(j);
}

static void on_job_closed(uv_handle_t *h)
{
    job *j = h->data;
    if (--j->handles == 0 && j->jobs == NULL)
        job_free(j); /* forgotten while its handles closed */
}

/* The job is over: its status, its copies removed, the POST answered if it waits. */
static void finish(job *j, const char *status, cJSON *report, const char *error)
{
    if (strcmp(j->status, "running") != 0 || j->jobs == NULL) { /* over already, or forgotten (stopping) */
        cJSON_Delete(report);
        return;
    }
    free(j->status);
    j->status = bl_strdupf("%s", status);
    j->report = report;
    j->error = error ? bl_strdupf("%s", error) : NULL;
    j->finished_ms = bl_clock_now_ms();
    uv_timer_stop(&j->timer);
    bl_remove_tree(j->dir);
    free(j->dir);
    j->dir = NULL;
    bl_log(j->jobs->svc, strcmp(status, "done") == 0 ? "info" : "warn", "dry run %lld %s%s%s", (long long)j->id,
           status, error ? ": " : "", error ? error : "");
    answer_waiting(j);
}

static void on_frame(job *j, int type, const char *body, size_t len)
{
    char perr[200];
    cJSON *o = bl_json_parse(body, len, perr, sizeof perr);
    if (type == BL_WIRE_PROGRESS) {
        j->done = (int64_t)bl_json_num(o, "done", (double)j->done);
        j->total = (int64_t)bl_json_num(o, "total", (double)j->total);
        cJSON_Delete(o);
    } else if (type == BL_WIRE_RESULT && o) {
        j->done = (int64_t)bl_json_num(o, "records", (double)j->done);
        finish(j, "done", o, NULL);
    } else {
        const char *e = bl_json_str(o, "error");
        finish(j, "failed", NULL, e ? e : "the dry run sent a broken answer");
        cJSON_Delete(o);
    }
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    buf->base = bl_xmalloc(suggested);
    buf->len = suggested;
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    job *j = s->data;
    if (n > 0) {
        bl_wire_feed(&j->dec, buf->base, (size_t)n);
        int type;
        const char *body;
        size_t len;
        while (bl_wire_next(&j->dec, &type, &body, &len))
            on_frame(j, type, body, len);
    }
    free(buf->base);
    if (n < 0) {
        uv_read_stop(s);
        uv_close((uv_handle_t *)&j->pipe, on_job_closed);
    }
}

static void on_exit_(uv_process_t *p, int64_t status, int sig)
{
    job *j = p->data;
    char why[200];
    if (j->cancelled)
        snprintf(why, sizeof why, "cancelled");
    else if (j->timed_out)
        snprintf(why, sizeof why, "it ran past %d minutes and was stopped", JOB_LIMIT_MS / 60000);
    else if (sig)
        snprintf(why, sizeof why, "its process ended on signal %d (%s)", sig, strsignal(sig));
    else
        snprintf(why, sizeof why, "its process ended (exit status %lld) without a report", (long long)status);
    finish(j, j->cancelled ? "cancelled" : "failed", NULL, j->cancelled ? NULL : why);
    uv_close((uv_handle_t *)&j->proc, on_job_closed);
    uv_close((uv_handle_t *)&j->timer, on_job_closed);
}

static void on_timer(uv_timer_t *t)
{
    job *j = t->data;
    if (j->waiting) { /* the POST has waited long enough: 202, then GET /jobs/{id} */
        answer_waiting(j);
        uv_timer_start(&j->timer, on_timer, JOB_LIMIT_MS, 0);
        return;
    }
    j->timed_out = 1;
    uv_process_kill(&j->proc, SIGKILL);
}

/* Drops the oldest finished jobs past JOBS_KEPT. */
static void prune(bl_jobs *js)
{
    int n = 0;
    for (job **pp = &js->list; *pp;) {
        job *j = *pp;
        if (++n > JOBS_KEPT && strcmp(j->status, "running") != 0) {
            *pp = j->next;
            j->jobs = NULL;
            if (j->handles == 0)
                job_free(j);
        } else {
            pp = &j->next;
        }
    }
}

static job *find(bl_jobs *js, int64_t id)
{
    for (job *j = js->list; j; j = j->next)
        if (j->id == id)
            return j;
    return NULL;
}

/* Starts `bylaw __dryrun` for j; 0, or -1 with *err. */
static int spawn(bl_service *svc, job *j, char **err)
{
    char *exe = bl_self_exe();
    if (exe == NULL) {
        *err = bl_strdupf("cannot find this program to start the dry run");
        return -1;
    }
    char *cur = bl_strdupf("%s/current", j->dir), *cand = bl_strdupf("%s/candidate", j->dir);
    char now[32], budget[32], timeout[32], memory[32];
    snprintf(now, sizeof now, "%lld", (long long)bl_clock_now_ms());
    snprintf(budget, sizeof budget, "%lld", svc->cfg.limits.budget);
    snprintf(timeout, sizeof timeout, "%d", svc->cfg.limits.timeout_ms);
    snprintf(memory, sizeof memory, "%zu", svc->cfg.limits.memory >> 20);
    char *args[] = {exe, "__dryrun", "--db", svc->db_path, "--current", cur, "--candidate", cand, "--display",
                    (char *)svc->cfg.policy_dir, "--now", now, "--scripts", (char *)svc->cfg.scripts_dir,
                    "--budget", budget, "--timeout-ms", timeout, "--memory-mb", memory,
                    j->type ? "--type" : NULL, j->type, NULL};
    uv_stdio_container_t stdio[4];
    for (int i = 0; i < 3; i++) {
        stdio[i].flags = UV_INHERIT_FD;
        stdio[i].data.fd = i;
    }
    uv_pipe_init(svc->loop, &j->pipe, 0);
    j->pipe.data = j;
    stdio[3].flags = UV_CREATE_PIPE | UV_READABLE_PIPE | UV_WRITABLE_PIPE;
    stdio[3].data.stream = (uv_stream_t *)&j->pipe;
    uv_process_options_t o = {.exit_cb = on_exit_, .file = exe, .args = args, .stdio_count = 4, .stdio = stdio};
    j->proc.data = j;
    int rc = uv_spawn(svc->loop, &j->proc, &o);
    free(cur);
    free(cand);
    free(exe);
    j->handles = 1; /* the pipe */
    if (rc != 0) {
        *err = bl_strdupf("cannot start the dry run: %s", uv_strerror(rc));
        uv_close((uv_handle_t *)&j->pipe, on_job_closed);
        return -1;
    }
    j->handles += 2; /* the process and the timer */
    uv_timer_init(svc->loop, &j->timer);
    j->timer.data = j;
    uv_read_start((uv_stream_t *)&j->pipe, on_alloc, on_read);
    return 0;
}

void bl_service_dryrun(bl_service *svc, const bl_req *req, cJSON *edit, const char *type, int wait_s)
{
    bl_jobs *js = svc->jobs;
    bl_resp resp = {0};
    bl_pending p;
    bl_pending_init(&p, svc, req);
    for (job *r = js->list; r; r = r->next)
        if (strcmp(r->status, "running") == 0) {
            snprintf(resp.extra_buf, sizeof resp.extra_buf, "/jobs/%lld", (long long)r->id);
            resp.extra_header = "Location";
            resp.extra_value = resp.extra_buf;
            bl_api_error(&resp, 409, "a dry run runs already (GET /jobs/%lld): one at a time, each takes every core",
                         (long long)r->id);
            bl_pending_answer(&p, &resp);
            cJSON_Delete(edit);
            return;
        }
    job *j = calloc(1, sizeof *j);
    j->jobs = js;
    j->id = ++js->seq;
    j->status = bl_strdupf("running");
    j->type = type ? bl_strdupf("%s", type) : NULL;
    j->started_ms = bl_clock_now_ms();
    j->total = -1;
    j->dir = bl_strdupf("%s/job-%lld", svc->sets_dir, (long long)j->id);
    char *cur = bl_strdupf("%s/current", j->dir), *cand = bl_strdupf("%s/candidate", j->dir), *err = NULL;
    /* the running set, and the running set with the edit: what a PUT of it would run */
    if (svc->active.set_dir == NULL) {
        err = bl_strdupf("no policy set runs yet");
    } else if (mkdir(j->dir, 0700) != 0 || mkdir(cur, 0700) != 0 || mkdir(cand, 0700) != 0 ||
               bl_set_copy(svc->active.set_dir, cur) != 0 || bl_set_copy(svc->active.set_dir, cand) != 0 ||
               bl_set_write(cand, edit) != 0) {
        err = bl_strdupf("cannot copy the policies for the dry run into %s: %s", j->dir, strerror(errno));
    }
    free(cur);
    free(cand);
    cJSON_Delete(edit);
    if (err == NULL)
        spawn(svc, j, &err);
    if (err) {
        bl_api_error(&resp, 500, "%s", err);
        bl_pending_answer(&p, &resp);
        free(err);
        if (j->handles == 0)
            job_free(j);
        else
            j->jobs = NULL; /* freed when its pipe has closed */
        return;
    }
    j->next = js->list;
    js->list = j;
    prune(js);
    j->req = p;
    j->waiting = 1;
    bl_log(svc, "info", "dry run %lld started%s%s", (long long)j->id, type ? " for type " : "", type ? type : "");
    uv_timer_start(&j->timer, on_timer, (uint64_t)wait_s * 1000, 0);
}

int bl_service_job(bl_service *svc, int64_t id, int cancel, cJSON **out)
{
    job *j = find(svc->jobs, id);
    if (j == NULL)
        return BL_NOTFOUND;
    if (cancel && strcmp(j->status, "running") == 0) {
        j->cancelled = 1;
        uv_process_kill(&j->proc, SIGKILL);
    }
    *out = job_json(j, 1);
    if (cancel && strcmp(j->status, "running") == 0)
        bl_json_add_str(*out, "status", "cancelling");
    return BL_OK;
}

void bl_jobs_init(bl_service *svc)
{
    bl_jobs *js = calloc(1, sizeof *js);
    js->svc = svc;
    svc->jobs = js;
}

void bl_jobs_close(bl_service *svc)
{
    bl_jobs *js = svc->jobs;
    if (js == NULL)
        return;
    for (job *j = js->list; j; j = j->next)
        if (strcmp(j->status, "running") == 0) {
            j->cancelled = 1;
            uv_process_kill(&j->proc, SIGKILL);
        }
    while (js->list) { /* (the loop runs once more after this: the handles close then) */
        job *j = js->list;
        js->list = j->next;
        j->jobs = NULL;
        if (j->waiting) {
            bl_resp resp = {0};
            bl_api_error(&resp, 503, "the service is stopping");
            j->waiting = 0;
            bl_pending_answer(&j->req, &resp);
        }
        if (j->handles == 0)
            job_free(j);
    }
    free(js);
    svc->jobs = NULL;
}
