/* dryrun.c — bylaw diff and bylaw replay (dryrun.h): the records read from a read-only connection as
 * lines of JSON, evaluated on every core by the pass of core/stream.c (each thread with a host of each
 * policy set and a read-only connection of its own for the policies' reads), the two outcomes compared
 * and tallied per thread, the tallies summed up into one report (core/dryrun_report.c). */
#include "dryrun.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "dryrun_tally.h"
#include "reads.h"
#include "store.h"
#include "stream.h"
#include "wire.h"

/* The run: what every thread shares. */
typedef struct run {
    const bl_dryrun *d;
    bl_store_t *store; /* the source's connection, used by one thread at a time (the pass's read lock) */
    cJSON *types;      /* the types to read, in order */
    int next_type;
    bl_store_scan *scan;
    bl_buf row;        /* the row being handed out, from row_at on */
    size_t row_at;
    int64_t total;     /* rows to read, or -1 */
    char *read_error;
    tally sum;         /* the threads' tallies, added up as they end */
} run;

/* One evaluating thread. */
typedef struct thread {
    run *r;
    bl_host_t *cur, *cand;
    bl_store_t *reads; /* its own read-only connection, for the policies' reads */
    bl_store_reader reader;
    bl_buf a, b;
    tally t;
} thread;

/* Which types an edit touches ------------------------------------------------------------------------ */

static int has_str(const cJSON *a, const char *s)
{
    const cJSON *x;
    cJSON_ArrayForEach(x, a) if (cJSON_IsString(x) && strcmp(x->valuestring, s) == 0) return 1;
    return 0;
}

static void add_str(cJSON *a, const char *s)
{
    if (s && !has_str(a, s))
        cJSON_AddItemToArray(a, cJSON_CreateString(s));
}

/* "dir/x.lua" -> "x.lua" */
static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* The policy files' texts differ between the two directories (or one lacks it). */
static int file_differs(const char *dir1, const char *dir2, const char *name)
{
    char *p1 = bl_strdupf("%s/%s", dir1, name), *p2 = bl_strdupf("%s/%s", dir2, name);
    size_t n1 = 0, n2 = 0;
    char *t1 = bl_read_file(p1, &n1), *t2 = bl_read_file(p2, &n2);
    int differs = (t1 == NULL) != (t2 == NULL) || (t1 && (n1 != n2 || memcmp(t1, t2, n1) != 0));
    free(t1);
    free(t2);
    free(p1);
    free(p2);
    return differs;
}

/* Adds to names the .lua files of dir that are neither tests nor hidden. */
static void lua_files(const char *dir, cJSON *names)
{
    DIR *dd = opendir(dir);
    struct dirent *e;
    while (dd && (e = readdir(dd)) != NULL) {
        size_t n = strlen(e->d_name);
        if (e->d_name[0] != '.' && n > 4 && strcmp(e->d_name + n - 4, ".lua") == 0 &&
            !(n > 9 && strcmp(e->d_name + n - 9, "_test.lua") == 0))
            add_str(names, e->d_name);
    }
    if (dd)
        closedir(dd);
}

/* The types whose outcome the candidate set may change, into types; the policies whose version changes,
 * into changed ([{"name","type","from","to"}]). A changed file without policies (a module, a calendar)
 * may change any policy: then every type bound in either set. */
static void touched_types(const bl_dryrun *d, const cJSON *cur, const cJSON *cand, cJSON *types, cJSON *changed)
{
    cJSON *files = cJSON_CreateArray(), *f, *p;
    lua_files(d->current.policy_dir, files);
    lua_files(d->candidate.policy_dir, files);
    int all = 0;
    cJSON_ArrayForEach(f, files)
    {
        if (!file_differs(d->current.policy_dir, d->candidate.policy_dir, f->valuestring))
            continue;
        int holds = 0;
        for (int side = 0; side < 2; side++)
            cJSON_ArrayForEach(p, (side ? cand : cur))
            {
                const char *file = bl_json_str(p, "file");
                if (file && strcmp(base_name(file), f->valuestring) == 0) {
                    holds = 1;
                    add_str(types, bl_json_str(p, "type"));
                }
            }
        all |= !holds;
    }
    cJSON_Delete(files);
    for (int side = 0; side < 2; side++)
        cJSON_ArrayForEach(p, (side ? cand : cur))
        {
            if (all)
                add_str(types, bl_json_str(p, "type"));
            const char *name = bl_json_str(p, "name"), *v = bl_json_str(p, "version"), *other = NULL;
            const cJSON *q;
            cJSON_ArrayForEach(q, (side ? cur : cand)) if (strcmp(bl_json_str(q, "name"), name) == 0) other =
                bl_json_str(q, "version");
            if ((other && strcmp(other, v) == 0) || (other && side == 1))
                continue; /* the same, or listed already from the current side */
            cJSON *c = cJSON_CreateObject();
            bl_json_add_str(c, "name", name);
            bl_json_add_str(c, "type", bl_json_str(p, "type"));
            bl_json_add_str(c, "from", side ? NULL : v);
            bl_json_add_str(c, "to", side ? v : other);
            cJSON_AddItemToArray(changed, c);
        }
}

/* The source: rows as lines ---------------------------------------------------------------------------- */

/* The next row into r->row: 1, 0 at the end, -1 when the database failed. */
static int next_row(run *r)
{
    for (;;) {
        if (r->scan == NULL) {
            if (r->next_type >= cJSON_GetArraySize(r->types))
                return 0;
            const char *type = cJSON_GetArrayItem(r->types, r->next_type++)->valuestring; /* replay: NULL, all */
            int rc = r->d->replay ? bl_store_scan_replay(r->store, type, r->d->since_ms, &r->scan)
                                  : bl_store_scan_records(r->store, type, &r->scan);
            if (rc != BL_OK)
                return -1;
        }
        int got = bl_store_scan_next(r->scan, &r->row);
        if (got != 0)
            return got < 0 ? -1 : 1;
        bl_store_scan_close(r->scan);
        r->scan = NULL;
    }
}

/* The pass's source: the rows, one line each, cut wherever the room ends. */
static long source_read(void *ud, char *buf, size_t room)
{
    run *r = ud;
    size_t n = 0;
    while (n < room) {
        if (r->row_at == r->row.len) {
            r->row.len = r->row_at = 0;
            int got = next_row(r);
            if (got < 0) {
                r->read_error = bl_strdupf("%s", bl_store_errmsg(r->store));
                return -1;
            }
            if (got == 0)
                break;
            bl_buf_add(&r->row, "\n", 1);
        }
        size_t take = r->row.len - r->row_at < room - n ? r->row.len - r->row_at : room - n;
        memcpy(buf + n, r->row.data + r->row_at, take);
        n += take;
        r->row_at += take;
    }
    return (long)n;
}

/* Threads ---------------------------------------------------------------------------------------------- */

/* A dry run stores nothing and reports in English: its hosts write message reasons in English only
 * (rendering each in Chinese too, and keeping its parameters, tripled the time of a diff). */
static bl_host_t *open_host(const bl_host_config *cfg, const char *which, char **err)
{
    bl_buf e = {0};
    bl_host_config english = *cfg;
    english.english_only = 1;
    bl_host_t *h = bl_host_open(&english, &e);
    if (h == NULL)
        *err = bl_strdupf("the %s policies in %s do not load:\n%s", which, cfg->display_dir ? cfg->display_dir
                                                                                              : cfg->policy_dir,
                          e.data ? e.data : "");
    bl_buf_free(&e);
    return h;
}

static void thread_free(thread *t)
{
    bl_host_close(t->cur);
    bl_host_close(t->cand);
    bl_store_close(t->reads);
    bl_buf_free(&t->a);
    bl_buf_free(&t->b);
    bl_tally_free(&t->t);
    free(t);
}

static void *thread_open(void *ud, char **err)
{
    run *r = ud;
    thread *t = calloc(1, sizeof *t);
    t->r = r;
    if (bl_store_open_reader(r->d->db, &t->reads, err) != BL_OK ||
        (!r->d->replay && (t->cur = open_host(&r->d->current, "running", err)) == NULL) ||
        (t->cand = open_host(&r->d->candidate, "candidate", err)) == NULL) {
        thread_free(t);
        return NULL;
    }
    bl_store_reader_init(&t->reader, t->reads);
    return t;
}

static void thread_close(void *ud, void *state)
{
    run *r = ud;
    thread *t = state;
    bl_tally_add(&r->sum, &t->t);
    thread_free(t);
}

/* Evaluates rec under h into out; a host that passed a limit is replaced (what the stopped call left
 * must not reach the next record). */
static int evaluate(thread *t, bl_host_t **h, const bl_host_config *cfg, const char *type, const cJSON *rec,
                    bl_buf *out, char **err)
{
    out->len = 0;
    int rc = bl_host_eval_json(*h, type, rec, &t->reader.r, out, err);
    if (bl_host_tripped(*h) != BL_TRIP_NONE) {
        char *lerr = NULL;
        bl_host_t *fresh = open_host(cfg, "", &lerr);
        if (fresh) {
            bl_host_close(*h);
            *h = fresh;
        }
        free(lerr);
    }
    return rc;
}

static void diff_line(void *state, const char *text, size_t len, long line, bl_buf *out)
{
    thread *t = state;
    const bl_dryrun *d = t->r->d;
    char perr[200];
    cJSON *rec = bl_json_parse_scratch(text, len, perr, sizeof perr);
    const char *type = bl_json_str(rec, "type"), *id = bl_json_str(rec, "id");
    t->t.records++;
    if (type == NULL || id == NULL) {
        bl_tally_failure(&t->t, line, type, id, rec ? "the stored record has no type or id" : perr, 0);
        bl_json_scratch_reset();
        return;
    }
    char *ea = NULL, *eb = NULL;
    int ra = evaluate(t, &t->cur, &d->current, type, rec, &t->a, &ea);
    int rb = evaluate(t, &t->cand, &d->candidate, type, rec, &t->b, &eb);
    if (rb != BL_OK)
        bl_tally_failure(&t->t, line, type, id, eb, ra != BL_OK);
    else if (ra != BL_OK)
        t->t.fixed++, t->t.changed++;
    else
        bl_tally_compare(&t->t, line, type, id, t->a.data, t->a.len, t->b.data, t->b.len);
    free(ea);
    free(eb);
    bl_json_scratch_reset();
}

/* A replay line: {"type","id","record_version","at_ms","record","decisions"} (bl_store_scan_replay). */
static void replay_line(void *state, const char *text, size_t len, long line, bl_buf *out)
{
    thread *t = state;
    const bl_dryrun *d = t->r->d;
    char perr[200];
    cJSON *row = bl_json_parse_scratch(text, len, perr, sizeof perr);
    const char *type = bl_json_str(row, "type"), *id = bl_json_str(row, "id");
    const cJSON *rec = cJSON_GetObjectItemCaseSensitive(row, "record");
    t->t.records++;
    t->t.decisions += cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(row, "decisions"));
    /* the clock the decision had: points fall in its month, deadlines count from it (one thread) */
    bl_clock_set_virtual((int64_t)bl_json_num(row, "at_ms", 0));
    char *eb = NULL;
    if (type == NULL || id == NULL || !cJSON_IsObject(rec)) {
        bl_tally_failure(&t->t, line, type, id, row ? "the stored decision has no record" : perr, 0);
    } else if (evaluate(t, &t->cand, &d->candidate, type, rec, &t->b, &eb) != BL_OK) {
        bl_tally_failure(&t->t, line, type, id, eb, 0);
    } else {
        /* what was decided, in the shape of an evaluation: the record as stored, the decisions, their points */
        cJSON *was = cJSON_CreateObject(), *points = cJSON_CreateArray(), *dd;
        cJSON_AddItemReferenceToObject(was, "record", (cJSON *)rec);
        cJSON_AddItemReferenceToObject(was, "decisions", cJSON_GetObjectItemCaseSensitive(row, "decisions"));
        cJSON_ArrayForEach(dd, cJSON_GetObjectItemCaseSensitive(row, "decisions"))
        {
            cJSON *p;
            cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(dd, "points"))
                cJSON_AddItemReferenceToArray(points, p);
        }
        cJSON_AddItemToObject(was, "points", points);
        char perr2[200];
        cJSON *now = bl_json_parse_scratch(t->b.data, t->b.len, perr2, sizeof perr2);
        bl_tally_outcomes(&t->t, line, type, id, was, now, 1);
        cJSON_Delete(now);
        cJSON_Delete(was);
    }
    free(eb);
    cJSON_Delete(row);
    bl_json_scratch_reset();
}

static int sink(void *ud, const char *out, size_t len, long first, long last)
{
    run *r = ud;
    if (r->d->progress)
        r->d->progress(r->d->ud, last, r->total);
    return 0;
}

/* Set-up ------------------------------------------------------------------------------------------------ */

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The policies of a set: [{"name","type","file","version"...}], or NULL with *err. */
static cJSON *policies_of(const bl_host_config *cfg, const char *which, char **err)
{
    bl_host_t *h = open_host(cfg, which, err);
    if (h == NULL)
        return NULL;
    cJSON *list = bl_host_policies(h);
    bl_host_close(h);
    return list;
}

int bl_dryrun_run(const bl_dryrun *d, cJSON **report, char **err)
{
    *report = NULL;
    *err = NULL;
    double t0 = mono_s();
    run r = {.d = d, .total = -1};
    cJSON *cur = NULL, *cand = NULL, *changed = cJSON_CreateArray();
    r.types = cJSON_CreateArray();
    int rc = BL_OK;
    if (bl_store_open_reader(d->db, &r.store, err) != BL_OK)
        rc = BL_ERR;
    else if ((!d->replay && (cur = policies_of(&d->current, "running", err)) == NULL) ||
             (cand = policies_of(&d->candidate, "candidate", err)) == NULL)
        rc = BL_INVALID;
    if (rc == BL_OK && d->replay)
        cJSON_AddItemToArray(r.types, d->type ? cJSON_CreateString(d->type) : cJSON_CreateNull());
    if (rc == BL_OK && !d->replay) {
        touched_types(d, cur, cand, r.types, changed);
        if (d->type) {
            int bound = has_str(r.types, d->type);
            const cJSON *p;
            for (int side = 0; side < 2 && !bound; side++)
                cJSON_ArrayForEach(p, (side ? cand : cur)) bound |= strcmp(bl_json_str(p, "type"), d->type) == 0;
            if (!bound) {
                *err = bl_strdupf("no policy of either set is bound to type '%s'", d->type);
                rc = BL_INVALID;
            }
            cJSON_Delete(r.types);
            r.types = cJSON_CreateArray();
            add_str(r.types, d->type);
        }
    }
    if (rc == BL_OK && d->progress && !d->replay) { /* how many, for the progress shown */
        r.total = 0;
        const cJSON *ty;
        cJSON_ArrayForEach(ty, r.types)
        {
            int64_t n = 0;
            bl_store_count(r.store, ty->valuestring, NULL, &n);
            r.total += n;
        }
        d->progress(d->ud, 0, r.total);
    }
    long lines = 0;
    if (rc == BL_OK) {
        bl_clock_set_virtual(d->now_ms > 0 ? d->now_ms : bl_clock_real_ms());
        bl_lines l = {
            .threads = d->replay ? 1 : d->threads, .ud = &r, .read = source_read, .open = thread_open,
            .close = thread_close, .line = d->replay ? replay_line : diff_line, .sink = sink,
        };
        char *perr = NULL;
        if (bl_lines_run(&l, &lines, &perr) != 0) {
            *err = perr ? perr : r.read_error ? bl_strdupf("cannot read %s: %s", d->db, r.read_error)
                                              : bl_strdupf("the dry run stopped");
            rc = perr ? BL_INVALID : BL_ERR;
        } else {
            free(perr);
        }
    }
    if (rc == BL_OK) {
        cJSON *o = bl_tally_report(&r.sum);
        bl_json_add_str(o, "kind", d->replay ? "replay" : "diff");
        cJSON_AddItemToObject(o, "types", r.types);
        r.types = NULL;
        if (d->replay) {
            char at[32];
            int64_t timers = 0, pruned = 0;
            bl_json_add_str(o, "since", bl_time_format(d->since_ms, at));
            bl_store_replay_skipped(r.store, d->type, d->since_ms, &timers, &pruned);
            cJSON *sk = cJSON_AddObjectToObject(o, "skipped");
            bl_json_add_num(sk, "deadline_decisions", (double)timers);
            bl_json_add_num(sk, "pruned_versions", (double)pruned);
        } else {
            cJSON_AddItemToObject(o, "policies", changed);
            changed = NULL;
        }
        bl_json_add_num(o, "seconds", (double)(long long)((mono_s() - t0) * 1000) / 1000.0);
        *report = o;
    }
    bl_store_scan_close(r.scan);
    bl_buf_free(&r.row);
    free(r.read_error);
    bl_tally_free(&r.sum);
    bl_store_close(r.store);
    cJSON_Delete(r.types);
    cJSON_Delete(cur);
    cJSON_Delete(cand);
    cJSON_Delete(changed);
    return rc;
}

/* bylaw __dryrun ---------------------------------------------------------------------------------------- */

#define PROGRESS_EVERY_MS 200

typedef struct child {
    int fd;
    int64_t sent_ms;
} child;

static int64_t mono_ms(void) { return (int64_t)(mono_s() * 1000); }

static void child_progress(void *ud, int64_t done, int64_t total)
{
    child *c = ud;
    int64_t now = mono_ms();
    if (now - c->sent_ms < PROGRESS_EVERY_MS && done > 0)
        return;
    c->sent_ms = now;
    char body[96];
    int n = snprintf(body, sizeof body, "{\"done\":%lld,\"total\":%lld}", (long long)done, (long long)total);
    bl_wire_send(c->fd, BL_WIRE_PROGRESS, body, (size_t)n);
}

static const char *usage_dryrun =
    "Usage: bylaw __dryrun --db FILE --current DIR --candidate DIR [--display DIR] [--type TYPE] [--now MS]\n"
    "A dry run of `bylaw serve` (POST /policies/dry-run), which starts it; it reports over file descriptor 3.\n";

int bl_dryrun_child_main(int argc, char **argv, const bl_host_config *base)
{
    enum { O_DB = 1, O_CURRENT, O_CANDIDATE, O_DISPLAY, O_TYPE, O_NOW, O_SCRIPTS, O_BUDGET, O_TIMEOUT, O_MEMORY };
    static const struct option opts[] = {
        {"db", required_argument, 0, O_DB},           {"current", required_argument, 0, O_CURRENT},
        {"candidate", required_argument, 0, O_CANDIDATE}, {"display", required_argument, 0, O_DISPLAY},
        {"type", required_argument, 0, O_TYPE},       {"now", required_argument, 0, O_NOW},
        {"scripts", required_argument, 0, O_SCRIPTS}, {"budget", required_argument, 0, O_BUDGET},
        {"timeout-ms", required_argument, 0, O_TIMEOUT}, {"memory-mb", required_argument, 0, O_MEMORY},
        {0, 0, 0, 0},
    };
    bl_dryrun d = {.current = *base, .candidate = *base};
    child c = {.fd = 3};
    optind = 1;
    opterr = 0;
    int ch;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (ch) {
        case O_DB: d.db = optarg; break;
        case O_CURRENT: d.current.policy_dir = optarg; break;
        case O_CANDIDATE: d.candidate.policy_dir = optarg; break;
        case O_DISPLAY: d.current.display_dir = d.candidate.display_dir = optarg; break;
        case O_TYPE: d.type = optarg; break;
        case O_NOW: d.now_ms = atoll(optarg); break;
        case O_SCRIPTS: d.current.scripts_dir = d.candidate.scripts_dir = optarg; break;
        case O_BUDGET: d.current.limits.budget = d.candidate.limits.budget = atoll(optarg); break;
        case O_TIMEOUT: d.current.limits.timeout_ms = d.candidate.limits.timeout_ms = atoi(optarg); break;
        case O_MEMORY: d.current.limits.memory = d.candidate.limits.memory = (size_t)atoll(optarg) << 20; break;
        default: fputs(usage_dryrun, stderr); return 2;
        }
    }
    if (d.db == NULL || d.current.policy_dir == NULL || d.candidate.policy_dir == NULL || fcntl(c.fd, F_GETFD) < 0) {
        fputs(usage_dryrun, stderr);
        return 2;
    }
    /* a policy that crashes or hangs this process fails the dry run, not the service; no core files, and
     * the service's own work comes first */
    struct rlimit none = {0, 0};
    setrlimit(RLIMIT_CORE, &none);
    setpriority(PRIO_PROCESS, 0, 10); /* (its threads, made later, inherit it) */
    d.progress = child_progress;
    d.ud = &c;
    cJSON *report = NULL;
    char *err = NULL;
    int rc = bl_dryrun_run(&d, &report, &err);
    cJSON *o = report;
    if (rc != BL_OK) {
        o = cJSON_CreateObject();
        bl_json_add_num(o, "rc", rc);
        bl_json_add_str(o, "error", err);
    }
    char *text = bl_json_dump(o);
    bl_wire_send(c.fd, rc == BL_OK ? BL_WIRE_RESULT : BL_WIRE_FAIL, text, strlen(text));
    free(text);
    free(err);
    cJSON_Delete(o);
    return rc == BL_OK ? 0 : 1;
}
