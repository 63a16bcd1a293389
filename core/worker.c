/* worker.c — a worker process of the service (`bylaw __worker`, started by core/pool.c): it loads one
 * policy set, then gives up what it does not need (resource limits and a seccomp filter: no files,
 * sockets or processes), and evaluates what the service sends over its socket (fd 3, core/wire.h), one
 * request at a time. Its policies read records through the service. A call that passes a limit ends
 * the process after its answer (the state may hold what the call left half done); a call stuck past
 * its time limit inside a C function is stopped by the guard's watchdog, which tells the service and
 * ends the process. The service starts another either way. With --validate it loads a set, runs its
 * tests, reports once and exits. */
#include "worker.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "calendar.h"
#include "lcalendar.h"
#include "policyset.h"
#include "testrun.h"
#include "wire.h"

#if defined(__SANITIZE_ADDRESS__)
#define BL_UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define BL_UNDER_ASAN 1
#endif
#endif
#ifdef BL_UNDER_ASAN
enum { UNDER_ASAN = 1 }; /* the sanitizers' runtime makes system calls of its own: no seccomp filter */
#else
enum { UNDER_ASAN = 0 };
#endif

static int wfd = 3; /* the socket to the service */

static void send_json(int type, cJSON *o)
{
    char *s = bl_json_dump(o);
    if (bl_wire_send(wfd, type, s, strlen(s)) != BL_OK)
        _exit(0); /* the service is gone */
    free(s);
    cJSON_Delete(o);
}

static void send_fail(int rc, const char *err)
{
    cJSON *o = cJSON_CreateObject();
    bl_json_add_num(o, "rc", rc);
    bl_json_add_str(o, "error", err ? err : "failed");
    send_json(BL_WIRE_FAIL, o);
}

/* Reads over the wire ------------------------------------------------------------------------- */

typedef struct wire_reader {
    bl_reader r;
    bl_buf in;
} wire_reader;

static int wire_read(bl_reader *r, const cJSON *req, cJSON **answer, char **err)
{
    wire_reader *w = (wire_reader *)r;
    char *text = bl_json_dump(req);
    int ok = bl_wire_send(wfd, BL_WIRE_READ, text, strlen(text)) == BL_OK;
    free(text);
    int type = 0;
    if (!ok || bl_wire_recv(wfd, &type, &w->in) != BL_OK)
        _exit(0); /* the service is gone: nothing to answer to */
    char perr[200];
    cJSON *a = bl_json_parse(w->in.data, w->in.len, perr, sizeof perr);
    if (a == NULL) {
        *err = bl_strdupf("the service answered a read with %s", perr);
        return BL_ERR;
    }
    if (type == BL_WIRE_ANSWER) {
        *answer = a;
        return BL_OK;
    }
    *err = bl_strdupf("%s", bl_json_str(a, "error") ? bl_json_str(a, "error") : "the read failed");
    int rc = (int)bl_json_num(a, "rc", BL_ERR);
    cJSON_Delete(a);
    return rc == BL_INVALID ? BL_INVALID : BL_ERR;
}

/* Log lines go to the service, which writes them in its log format. */
static void wire_log(void *ud, const char *level, const char *policy, const char *where, const char *msg, size_t len)
{
    cJSON *o = cJSON_CreateObject();
    bl_json_add_str(o, "level", level);
    bl_json_add_str(o, "policy", policy);
    bl_json_add_str(o, "where", where);
    cJSON_AddItemToObject(o, "msg", cJSON_CreateStringReference("")); /* replaced below: msg may hold a NUL */
    bl_buf b = {0};
    bl_log_escape(&b, msg, len);
    cJSON_ReplaceItemInObjectCaseSensitive(o, "msg", cJSON_CreateString(b.data ? b.data : ""));
    bl_buf_free(&b);
    send_json(BL_WIRE_LOG, o);
}

/* A call stuck past its limit inside a C function: the watchdog tells the service, and the process ends
 * (the call cannot be stopped any other way). Runs on the watchdog's thread. */
static void on_stuck(const char *msg)
{
    cJSON *o = cJSON_CreateObject();
    bl_json_add_str(o, "error", msg);
    char *s = bl_json_dump(o);
    bl_wire_send(wfd, BL_WIRE_STUCK, s, strlen(s));
    _exit(3);
}

/* Giving up what is not needed --------------------------------------------------------------------- */

/* System calls an evaluating worker may make: memory, its socket and stderr, time, its own threads
 * and signals (the guard's watchdog), and leaving. Anything else fails with EPERM: no files, sockets,
 * processes or signals to others. */
static const int allowed_calls[] = {
    SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(writev), SCMP_SYS(readv), SCMP_SYS(close), SCMP_SYS(fstat),
    SCMP_SYS(newfstatat), SCMP_SYS(lseek), SCMP_SYS(mmap), SCMP_SYS(munmap), SCMP_SYS(mremap), SCMP_SYS(brk),
    SCMP_SYS(madvise), SCMP_SYS(mprotect), SCMP_SYS(futex), SCMP_SYS(clock_gettime), SCMP_SYS(clock_nanosleep),
    SCMP_SYS(nanosleep), SCMP_SYS(gettimeofday), SCMP_SYS(rt_sigreturn), SCMP_SYS(rt_sigprocmask),
    SCMP_SYS(getpid), SCMP_SYS(gettid), SCMP_SYS(sched_yield), SCMP_SYS(exit), SCMP_SYS(exit_group),
    SCMP_SYS(restart_syscall), SCMP_SYS(getrandom),
};

static int apply_seccomp(char **err)
{
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM));
    if (ctx == NULL) {
        *err = bl_strdupf("cannot make a seccomp filter");
        return BL_ERR;
    }
    int rc = 0;
    for (size_t i = 0; i < sizeof allowed_calls / sizeof allowed_calls[0] && rc == 0; i++)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, allowed_calls[i], 0);
    /* signals only to this process's own threads (the watchdog kicks the evaluating thread) */
    struct scmp_arg_cmp own = {.arg = 0, .op = SCMP_CMP_EQ, .datum_a = (scmp_datum_t)getpid(), .datum_b = 0};
    if (rc == 0)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 1, own);
    if (rc == 0)
        rc = seccomp_load(ctx);
    seccomp_release(ctx);
    if (rc != 0) {
        *err = bl_strdupf("cannot install the seccomp filter: %s", strerror(-rc));
        return BL_ERR;
    }
    return BL_OK;
}

/* Memory: the policy set's cap is the Lua allocator's; this bounds the whole process (C work on policy
 * values included) at a few times that. No core files. */
static void apply_rlimits(size_t memory)
{
    struct rlimit none = {0, 0};
    setrlimit(RLIMIT_CORE, &none);
    if (!UNDER_ASAN) { /* ASan reserves terabytes of shadow memory */
        rlim_t cap = (rlim_t)memory * 4 + ((rlim_t)256 << 20);
        struct rlimit data = {cap, cap};
        setrlimit(RLIMIT_DATA, &data);
    }
}

/* Requests ----------------------------------------------------------------------------------------- */

typedef struct worker {
    bl_host_t *h;
    wire_reader reader;
    bl_buf out;
    const char *policy_dir, *display_dir;
} worker;

/* The request's record, its type and id, and the clock the service gives it. */
static const cJSON *request_record(cJSON *req)
{
    bl_clock_set_virtual((int64_t)bl_json_num(req, "now", (double)bl_clock_real_ms()));
    return cJSON_GetObjectItemCaseSensitive(req, "record");
}

static void answer(worker *w, int rc, char *err)
{
    if (rc == BL_OK) {
        if (bl_wire_send(wfd, BL_WIRE_RESULT, w->out.data ? w->out.data : "", w->out.len) != BL_OK)
            _exit(0);
    } else {
        cJSON *o = cJSON_CreateObject();
        bl_json_add_num(o, "rc", rc);
        bl_json_add_str(o, "error", err ? err : "failed");
        const char *zh = rc == BL_INVALID ? bl_host_invalid_in(w->h, "zh-CN") : NULL;
        if (zh)
            bl_json_add_str(o, "error_zh", zh);
        int trip = bl_host_tripped(w->h);
        if (trip != BL_TRIP_NONE)
            bl_json_add_str(o, "limit", trip == BL_TRIP_TIME ? "time" : trip == BL_TRIP_MEMORY ? "memory" : "budget");
        send_json(BL_WIRE_FAIL, o);
    }
    free(err);
    w->out.len = 0;
    if (bl_host_tripped(w->h) != BL_TRIP_NONE) { /* what the stopped call left must not reach the next one */
        bl_wire_send(wfd, BL_WIRE_BYE, "{}", 2);
        _exit(0);
    }
}

static void do_eval(worker *w, cJSON *req)
{
    const cJSON *rec = request_record(req);
    char *err = NULL;
    int rc = bl_host_eval_json(w->h, bl_json_str(req, "type"), rec, &w->reader.r, &w->out, &err);
    answer(w, rc, err);
}

static void do_fire(worker *w, cJSON *req)
{
    const cJSON *rec = request_record(req);
    char *err = NULL;
    int rc = bl_host_fire_json(w->h, bl_json_str(req, "type"), rec, bl_json_str(req, "policy"),
                               bl_json_str(req, "timer"), cJSON_GetObjectItemCaseSensitive(req, "info"),
                               &w->reader.r, &w->out, &err);
    answer(w, rc, err);
}

/* Provisional deadlines computed again with the set's calendars: {"items":[{"timer","spec":{"after",
 * "from","calendar"}}]} -> {"items":[{"timer","due_ms","provisional"}]} (an item that cannot be computed
 * is left out). */
static void do_recompute(worker *w, cJSON *req)
{
    cJSON *out = cJSON_CreateArray(), *it;
    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(req, "items"))
    {
        const cJSON *spec = cJSON_GetObjectItemCaseSensitive(it, "spec");
        const char *after = bl_json_str(spec, "after");
        bl_cal_t *cal = bl_calendar_get(bl_host_state(w->h), bl_json_str(spec, "calendar"));
        bl_cal_dur d;
        int64_t due;
        int prov = 0;
        if (cal == NULL || after == NULL || bl_cal_dur_parse(after, &d, NULL) != BL_OK ||
            bl_cal_add_cov(cal, (int64_t)(bl_json_num(spec, "from", 0) * 1000.0), d, &due, &prov) != BL_OK)
            continue;
        cJSON *o = cJSON_CreateObject();
        bl_json_add_num(o, "timer", bl_json_num(it, "timer", 0));
        bl_json_add_num(o, "due_ms", (double)due);
        bl_json_add(o, "provisional", cJSON_CreateBool(prov));
        cJSON_AddItemToArray(out, o);
    }
    cJSON *o = cJSON_CreateObject();
    bl_json_add(o, "items", out);
    send_json(BL_WIRE_RESULT, o);
}

/* Calendar arithmetic for the service (its clock moves by working days): no policy code runs. */
static void do_task(worker *w, cJSON *req)
{
    const char *op = bl_json_str(req, "op");
    if (op && strcmp(op, "recompute") == 0) {
        do_recompute(w, req);
        return;
    }
    if (op == NULL || strcmp(op, "add") != 0) {
        send_fail(BL_INVALID, "unknown task");
        return;
    }
    const char *name = bl_json_str(req, "calendar"), *after = bl_json_str(req, "after");
    bl_cal_t *cal = bl_calendar_get(bl_host_state(w->h), name);
    char *err = NULL;
    bl_cal_dur d;
    int64_t out;
    if (cal == NULL) {
        send_fail(BL_INVALID, "no such calendar");
    } else if (after == NULL || bl_cal_dur_parse(after, &d, &err) != BL_OK) {
        send_fail(BL_INVALID, err ? err : "a duration is needed");
    } else if (bl_cal_add(cal, (int64_t)bl_json_num(req, "from", 0), d, &out) != BL_OK) {
        send_fail(BL_INVALID, "the result is out of the calendar's range");
    } else {
        cJSON *o = cJSON_CreateObject();
        bl_json_add_num(o, "ms", (double)out);
        send_json(BL_WIRE_RESULT, o);
    }
    free(err);
}

/* The policies of the set, each with the source it was loaded from (the copy, not the display file). */
static cJSON *policies_with_sources(worker *w)
{
    cJSON *list = bl_host_policies(w->h), *p;
    size_t dl = strlen(w->display_dir);
    cJSON_ArrayForEach(p, list)
    {
        const char *file = bl_json_str(p, "file");
        if (file == NULL)
            continue;
        char *path = strncmp(file, w->display_dir, dl) == 0 ? bl_strdupf("%s%s", w->policy_dir, file + dl)
                                                             : bl_strdupf("%s", file);
        char *src = bl_read_file(path, NULL);
        bl_json_add_str(p, "source", src ? src : "");
        free(src);
        free(path);
    }
    return list;
}

static int serve_requests(worker *w)
{
    bl_buf in = {0};
    int type, rc;
    while ((rc = bl_wire_recv(wfd, &type, &in)) == BL_OK) {
        char perr[200];
        cJSON *req = bl_json_parse(in.data, in.len, perr, sizeof perr);
        if (req == NULL) {
            send_fail(BL_ERR, perr);
            continue;
        }
        switch (type) {
        case BL_WIRE_EVAL: do_eval(w, req); break;
        case BL_WIRE_FIRE: do_fire(w, req); break;
        case BL_WIRE_TASK: do_task(w, req); break;
        default: send_fail(BL_ERR, "unknown request"); break;
        }
        cJSON_Delete(req);
    }
    bl_buf_free(&in);
    return rc == BL_NOTFOUND ? 0 : 1;
}

/* The default calendar, for /health: {"covers_until": "YYYY-MM-DD" (its last covered day) | null}. */
static cJSON *calendar_info(worker *w)
{
    bl_cal_t *cal = bl_calendar_get(bl_host_state(w->h), NULL);
    cJSON *o = cJSON_CreateObject();
    int64_t end = bl_cal_covers_until(cal);
    char buf[BL_CAL_DATE_BUF];
    bl_json_add_str(o, "covers_until", end == BL_CAL_UNLIMITED ? NULL : bl_cal_date_format(cal, end - 1, buf));
    return o;
}

/* --validate: load, run the tests, report {"policies":[...],"zone_minutes","passed","failed","report"}. */
static int validate(worker *w, const bl_host_config *cfg)
{
    char *report = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&report, &len);
    int passed = 0, failed = 0;
    bl_test_run(cfg->policy_dir, NULL, cfg, f, &passed, &failed);
    fclose(f);
    cJSON *o = cJSON_CreateObject();
    bl_json_add(o, "policies", policies_with_sources(w));
    bl_json_add_num(o, "zone_minutes", bl_time_offset());
    bl_json_add(o, "calendar", calendar_info(w));
    char version[17];
    bl_json_add(o, "files", bl_set_read(cfg->policy_dir, version));
    bl_json_add_str(o, "set_version", version);
    bl_json_add_num(o, "passed", passed);
    bl_json_add_num(o, "failed", failed);
    bl_json_add_str(o, "report", report ? report : "");
    free(report);
    send_json(BL_WIRE_RESULT, o);
    return 0;
}

static const char *usage_worker =
    "Usage: bylaw __worker --policies DIR [--display DIR] [--validate] [options every command takes]\n"
    "A worker process of `bylaw serve`, which starts it; it talks to the service over file descriptor 3.\n";

int bl_worker_main(int argc, char **argv, const bl_host_config *base)
{
    bl_host_config cfg = *base;
    int do_validate = 0;
    enum { O_POLICIES = 1, O_DISPLAY, O_SCRIPTS, O_BUDGET, O_TIMEOUT, O_MEMORY, O_VALIDATE, O_TESTS };
    static const struct option opts[] = {
        {"policies", required_argument, 0, O_POLICIES}, {"display", required_argument, 0, O_DISPLAY},
        {"scripts", required_argument, 0, O_SCRIPTS},   {"budget", required_argument, 0, O_BUDGET},
        {"timeout-ms", required_argument, 0, O_TIMEOUT}, {"memory-mb", required_argument, 0, O_MEMORY},
        {"validate", no_argument, 0, O_VALIDATE},       {"test-timeout-ms", required_argument, 0, O_TESTS},
        {0, 0, 0, 0},
    };
    optind = 1;
    opterr = 0;
    int ch;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (ch) {
        case O_POLICIES: cfg.policy_dir = optarg; break;
        case O_DISPLAY: cfg.display_dir = optarg; break;
        case O_SCRIPTS: cfg.scripts_dir = optarg; break;
        case O_BUDGET: cfg.limits.budget = atoll(optarg); break;
        case O_TIMEOUT: cfg.limits.timeout_ms = atoi(optarg); break;
        case O_MEMORY: cfg.limits.memory = (size_t)atoll(optarg) << 20; break;
        case O_VALIDATE: do_validate = 1; break;
        case O_TESTS: cfg.limits.test_timeout_ms = atoi(optarg); break;
        default: fputs(usage_worker, stderr); return 2;
        }
    }
    if (fcntl(wfd, F_GETFD) < 0) {
        fputs(usage_worker, stderr);
        return 2;
    }
    bl_guard_on_stuck(on_stuck);
    bl_log_set_sink(wire_log, NULL);
    worker w = {.policy_dir = cfg.policy_dir, .display_dir = cfg.display_dir ? cfg.display_dir : cfg.policy_dir};
    w.reader.r.read = wire_read;
    bl_buf errors = {0};
    w.h = bl_host_open(&cfg, &errors);
    if (w.h == NULL) {
        cJSON *o = cJSON_CreateObject();
        bl_json_add_str(o, "errors", errors.data ? errors.data : "the policies do not load");
        if (do_validate) { /* what was refused, for the policies' activation log */
            char version[17];
            bl_json_add(o, "files", bl_set_read(cfg.policy_dir, version));
            bl_json_add_str(o, "set_version", version);
        }
        send_json(do_validate ? BL_WIRE_RESULT : BL_WIRE_READY, o);
        bl_buf_free(&errors);
        return 1;
    }
    apply_rlimits(cfg.limits.memory);
    if (do_validate) {
        int rc = validate(&w, &cfg);
        bl_host_close(w.h);
        return rc;
    }
    char *err = NULL;
    if (!UNDER_ASAN && (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || apply_seccomp(&err) != BL_OK)) {
        cJSON *o = cJSON_CreateObject();
        bl_json_add_str(o, "errors", err ? err : "cannot drop privileges");
        send_json(BL_WIRE_READY, o);
        free(err);
        return 1;
    }
    cJSON *ready = cJSON_CreateObject();
    bl_json_add(ready, "policies", bl_host_policies(w.h));
    bl_json_add_num(ready, "zone_minutes", bl_time_offset());
    send_json(BL_WIRE_READY, ready);
    int rc = serve_requests(&w);
    bl_buf_free(&w.out);
    bl_buf_free(&w.reader.in);
    bl_host_close(w.h);
    return rc;
}
