/* main.c — the `bylaw` command line: option parsing, help texts, and the eval, check and test
 * commands (serve lives in serve.c). */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine.h"
#include "host.h"
#include "store.h"
#include "testrun.h"

int bl_serve_main(int argc, char **argv, const bl_host_config *cfg); /* serve.c */

static const char *usage_main =
    "bylaw " BL_VERSION " — company policies as Lua scripts, run over records kept in SQLite\n"
    "\n"
    "Usage: bylaw COMMAND [OPTIONS] [ARGS]\n"
    "\n"
    "Commands:\n"
    "  eval    evaluate records against the policies; print the decisions as JSON\n"
    "  check   load and compile every policy; report every error with file:line\n"
    "  test    run the policy tests (*_test.lua)\n"
    "  serve   run the HTTP/JSON service\n"
    "  help    show the help of a command: bylaw help eval\n"
    "\n"
    "Options every command takes:\n"
    "  --policies DIR     the policy directory (default: policies)\n"
    "  --scripts DIR      the engine's Lua library (default: scripts/ beside the bylaw program)\n"
    "  --budget N         Lua instructions one policy call may run (default 10000000)\n"
    "  --timeout-ms MS    wall-clock time one policy call may take (default 250)\n"
    "  --memory-mb MB     memory the whole policy set may use (default 32)\n"
    "  -h, --help         this help\n"
    "\n"
    "Exit status: 0 success, 1 a record, policy or test failed, 2 the command line is wrong.\n"
    "Policy API: docs/policies.md.\n";

static const char *usage_eval =
    "Usage: bylaw eval [OPTIONS] TYPE JSON\n"
    "       bylaw eval [OPTIONS] TYPE --input FILE.jsonl   (FILE '-' reads standard input)\n"
    "\n"
    "Evaluates a record of TYPE (a JSON object of its fields) against the policies bound to TYPE and\n"
    "prints one JSON object per record:\n"
    "  {\"record\": {...fields after proposals...}, \"decisions\": [...], \"points\": [...], \"events\": [...]}\n"
    "Nothing is stored unless --db is given. With --input, each line is one record and each output\n"
    "line answers the input line of the same number; a line that fails prints\n"
    "  {\"line\": N, \"error\": \"...\"}\n"
    "and evaluation goes on with the next line.\n"
    "\n"
    "Options:\n"
    "  --input FILE       read records from FILE, one JSON object per line ('-': standard input)\n"
    "  --db FILE          store each record with its decisions in the SQLite database FILE\n"
    "                     (records then need an \"id\")\n"
    "  --threads N        evaluation threads for --input without --db (default: one per core)\n"
    "  plus the options every command takes (bylaw --help).\n"
    "\n"
    "Example:\n"
    "  bylaw eval client '{\"id\":\"c1\",\"annual_revenue\":5000000,\"region_group\":1}'\n";

static const char *usage_check =
    "Usage: bylaw check [OPTIONS]\n"
    "\n"
    "Loads and compiles every policy file of the policy directory and prints every error as\n"
    "file:line: message. Prints the loaded policies when all is well. Exit status 1 on any error.\n"
    "  plus the options every command takes (bylaw --help).\n";

static const char *usage_test =
    "Usage: bylaw test [OPTIONS] [DIR]\n"
    "\n"
    "Runs every *_test.lua under DIR (default: policies), each against the policies of the directory\n"
    "it sits in, every test on a fresh in-memory store. Prints each failure with file:line and closes\n"
    "with 'N passed, N failed'. Exit status 1 when anything failed. Test API: docs/policies.md.\n"
    "  plus the options every command takes (bylaw --help).\n";

enum { OPT_POLICIES = 256, OPT_SCRIPTS, OPT_BUDGET, OPT_TIMEOUT, OPT_MEMORY, OPT_INPUT, OPT_DB, OPT_THREADS };

static const struct option common_opts[] = {
    {"policies", required_argument, 0, OPT_POLICIES}, {"scripts", required_argument, 0, OPT_SCRIPTS},
    {"budget", required_argument, 0, OPT_BUDGET},     {"timeout-ms", required_argument, 0, OPT_TIMEOUT},
    {"memory-mb", required_argument, 0, OPT_MEMORY},  {"input", required_argument, 0, OPT_INPUT},
    {"db", required_argument, 0, OPT_DB},             {"threads", required_argument, 0, OPT_THREADS},
    {"help", no_argument, 0, 'h'},                    {0, 0, 0, 0},
};

static char scripts_default[PATH_MAX];

/* scripts/ beside the executable (the build tree), else ./scripts. */
static const char *find_scripts(void)
{
    const char *env = getenv("BYLAW_SCRIPTS");
    if (env && *env)
        return env;
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = '\0';
            snprintf(scripts_default, sizeof scripts_default, "%.*s/scripts", PATH_MAX - 16, exe);
            struct stat st;
            if (stat(scripts_default, &st) == 0 && S_ISDIR(st.st_mode))
                return scripts_default;
            /* build/asan/bylaw-asan: two levels up */
            for (int up = 0; up < 2; up++) {
                char *s = strrchr(exe, '/');
                if (!s)
                    break;
                *s = '\0';
                snprintf(scripts_default, sizeof scripts_default, "%.*s/scripts", PATH_MAX - 16, exe);
                if (stat(scripts_default, &st) == 0 && S_ISDIR(st.st_mode))
                    return scripts_default;
            }
        }
    }
    return "scripts";
}

static int parse_long(const char *opt, const char *arg, long long min, long long max, long long *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(arg, &end, 10);
    if (errno || *end || end == arg || v < min || v > max) {
        fprintf(stderr, "bylaw: %s takes a whole number from %lld to %lld, got '%s'\n", opt, min, max, arg);
        return -1;
    }
    *out = v;
    return 0;
}

typedef struct cli {
    bl_host_config cfg;
    const char *input, *db;
    int threads;
    int help;
} cli;

/* Parses the options; leaves the positional arguments in argv[optind..]. Returns 0, or 2 on error. */
static int parse_opts(int argc, char **argv, cli *c, const char *usage)
{
    optind = 1;
    opterr = 0;
    int ch;
    long long v;
    while ((ch = getopt_long(argc, argv, "h", common_opts, NULL)) != -1) {
        switch (ch) {
        case OPT_POLICIES: c->cfg.policy_dir = optarg; break;
        case OPT_SCRIPTS: c->cfg.scripts_dir = optarg; break;
        case OPT_BUDGET:
            if (parse_long("--budget", optarg, 1000, 1000000000000LL, &v)) return 2;
            c->cfg.limits.budget = v;
            break;
        case OPT_TIMEOUT:
            if (parse_long("--timeout-ms", optarg, 1, 3600000, &v)) return 2;
            c->cfg.limits.timeout_ms = (int)v;
            break;
        case OPT_MEMORY:
            if (parse_long("--memory-mb", optarg, 1, 65536, &v)) return 2;
            c->cfg.limits.memory = (size_t)v << 20;
            break;
        case OPT_INPUT: c->input = optarg; break;
        case OPT_DB: c->db = optarg; break;
        case OPT_THREADS:
            if (parse_long("--threads", optarg, 1, 64, &v)) return 2;
            c->threads = (int)v;
            break;
        case 'h': c->help = 1; break;
        default:
            if (optopt)
                fprintf(stderr, "bylaw: option -%c is unknown or lacks its value\n%s", optopt, usage);
            else
                fprintf(stderr, "bylaw: option '%s' is unknown or lacks its value\n%s", argv[optind - 1], usage);
            return 2;
        }
    }
    return 0;
}

static bl_host_t *open_host(const bl_host_config *cfg)
{
    bl_buf errors = {0};
    bl_host_t *h = bl_host_open(cfg, &errors);
    if (h == NULL) {
        fprintf(stderr, "bylaw: the policies in %s do not load:\n%s", cfg->policy_dir, errors.data ? errors.data : "");
        bl_buf_free(&errors);
    }
    return h;
}

/* eval ------------------------------------------------------------------------------------------ */

static void json_line(bl_buf *out, cJSON *j)
{
    bl_json_print_owned(j, out);
    bl_buf_add(out, "\n", 1);
}

static void error_line(bl_buf *out, long line, const char *kind, const char *msg)
{
    cJSON *e = cJSON_CreateObject();
    if (line > 0)
        bl_json_add_num(e, "line", (double)line);
    bl_json_add_str(e, "error", msg);
    bl_json_add_str(e, "kind", kind);
    json_line(out, e);
    cJSON_Delete(e);
}

typedef struct eval_ctx {
    bl_host_t *h;
    bl_store_t *store; /* --db */
    const char *type;
    long failures;
    char *first_error;
} eval_ctx;

static const char *kind_of(int rc)
{
    return rc == BL_INVALID ? "invalid" : rc == BL_CONFLICT ? "conflict" : "policy";
}

/* Evaluates one JSON text; appends the answer line to out. */
static void eval_text(eval_ctx *e, const char *text, size_t len, long line, bl_buf *out)
{
    char perr[200];
    cJSON *rec = bl_json_parse(text, len, perr, sizeof perr);
    char *err = NULL;
    int rc = BL_INVALID;
    if (rec == NULL) {
        err = bl_strdupf("%s", perr);
    } else if (!cJSON_IsObject(rec)) {
        err = bl_strdupf("a record must be a JSON object, got %s", cJSON_IsArray(rec) ? "an array" : "a scalar");
    } else {
        cJSON *t = cJSON_GetObjectItemCaseSensitive(rec, "type");
        if (t && (!cJSON_IsString(t) || strcmp(t->valuestring, e->type) != 0)) {
            err = bl_strdupf("the record says \"type\": %s but TYPE is '%s'",
                             cJSON_IsString(t) ? t->valuestring : "(not a string)", e->type);
        } else {
            if (e->store) {
                cJSON *res = NULL;
                const char *id = bl_json_str(rec, "id");
                if (id == NULL || *id == '\0')
                    err = bl_strdupf("field 'id' must be a non-empty string to store the record with --db");
                else
                    rc = bl_engine_put(e->h, e->store, e->type, id, rec, -1, "write", &res, &err);
                if (rc == BL_OK) {
                    json_line(out, res);
                    cJSON_Delete(res);
                }
            } else if ((rc = bl_host_eval_json(e->h, e->type, rec, NULL, out, &err)) == BL_OK) {
                bl_buf_add(out, "\n", 1);
            }
        }
    }
    cJSON_Delete(rec);
    if (err) {
        error_line(out, line, kind_of(rc), err);
        if (e->failures++ == 0)
            e->first_error = line > 0 ? bl_strdupf("line %ld: %s", line, err) : bl_strdupf("%s", err);
        free(err);
    }
}

#define BATCH 8192

/* One batch of input lines; each worker answers a contiguous slice of it into its own buffer. */
typedef struct batch {
    char *lines[BATCH];
    size_t lens[BATCH], caps[BATCH];
    int n;
    long first_line;
} batch;

struct pool;

typedef struct worker {
    eval_ctx ctx;
    struct pool *pool;
    pthread_t tid;
    int index;
    bl_buf out[2]; /* answers for batch 0 / batch 1 */
    int ok;        /* its host loaded */
} worker;

/* The workers and the thread doing I/O meet here: `gen` counts batches handed out, `done` the
 * workers finished with the current one. */
typedef struct pool {
    pthread_mutex_t mu;
    pthread_cond_t go, finished;
    long gen;
    int done, nt, quit;
    batch *cur;
    int slot;
    const bl_host_config *cfg;
    const char *type;
    bl_store_t *store;
    int loaded;
    worker *w;
} pool;

static void batch_slice(const batch *b, int nt, int t, int *from, int *cnt)
{
    int per = (b->n + nt - 1) / nt;
    *from = t * per;
    *cnt = b->n - *from < per ? b->n - *from : per;
    if (*cnt < 0)
        *cnt = 0;
}

static void worker_batch(pool *p, worker *w, batch *b, int slot)
{
    int from, cnt;
    batch_slice(b, p->nt, w->index, &from, &cnt);
    w->out[slot].len = 0;
    for (int i = 0; i < cnt; i++)
        eval_text(&w->ctx, b->lines[from + i], b->lens[from + i], b->first_line + from + i, &w->out[slot]);
}

/* A worker loads its own host (so its Lua memory stays in its thread's malloc arena), then answers
 * its slice of each batch. */
static void *worker_main(void *arg)
{
    worker *w = arg;
    pool *p = w->pool;
    w->ctx.h = open_host(p->cfg);
    w->ok = w->ctx.h != NULL;
    pthread_mutex_lock(&p->mu);
    p->loaded++;
    pthread_cond_broadcast(&p->finished);
    long seen = 0;
    for (;;) {
        while (p->gen == seen && !p->quit)
            pthread_cond_wait(&p->go, &p->mu);
        if (p->quit)
            break;
        seen = p->gen;
        batch *b = p->cur;
        int slot = p->slot;
        pthread_mutex_unlock(&p->mu);
        if (w->ok)
            worker_batch(p, w, b, slot);
        pthread_mutex_lock(&p->mu);
        if (++p->done == p->nt)
            pthread_cond_signal(&p->finished);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

static int batch_read(batch *b, FILE *in, long *lineno)
{
    b->n = 0;
    b->first_line = *lineno + 1;
    ssize_t len;
    while (b->n < BATCH && (len = getline(&b->lines[b->n], &b->caps[b->n], in)) >= 0) {
        (*lineno)++;
        char *l = b->lines[b->n];
        while (len > 0 && (l[len - 1] == '\n' || l[len - 1] == '\r'))
            l[--len] = '\0';
        b->lens[b->n++] = (size_t)len;
    }
    return b->n;
}

/* Evaluates every line of `in`. Two batches alternate: while the workers answer one, this thread
 * writes the answers to the previous one and reads the next. With --db there is one writer, this
 * thread. */
static int eval_stream(cli *c, FILE *in, const char *type)
{
    int nt = c->threads > 0 ? c->threads : (int)sysconf(_SC_NPROCESSORS_ONLN);
    if (nt < 1)
        nt = 1;
    if (nt > 64)
        nt = 64;
    int rc = 0;
    long lineno = 0;
    batch *bs = calloc(2, sizeof *bs);
    pool p = {.nt = nt, .cfg = &c->cfg, .type = type};
    pthread_mutex_init(&p.mu, NULL);
    pthread_cond_init(&p.go, NULL);
    pthread_cond_init(&p.finished, NULL);
    eval_ctx solo = {.type = type};

    if (c->db || nt == 1) { /* inline: one host, on this thread */
        if (c->db) {
            char *err = NULL;
            if (bl_store_open(c->db, &solo.store, &err) != BL_OK) {
                fprintf(stderr, "bylaw: %s\n", err);
                free(err);
                rc = 1;
            }
        }
        if (rc == 0 && (solo.h = open_host(&c->cfg)) == NULL)
            rc = 1;
        if (rc == 0 && solo.store) {
            char *err = NULL;
            if (bl_engine_register_policies(solo.h, solo.store, &err) != BL_OK) {
                fprintf(stderr, "bylaw: %s\n", err);
                free(err);
                rc = 1;
            }
        }
        if (rc == 0 && !bl_host_knows_type(solo.h, type))
            fprintf(stderr, "bylaw: warning: no policy is bound to type '%s'; records pass through unchanged\n", type);
        bl_buf out = {0};
        while (rc == 0 && batch_read(&bs[0], in, &lineno) > 0) {
            out.len = 0;
            for (int i = 0; i < bs[0].n; i++)
                eval_text(&solo, bs[0].lines[i], bs[0].lens[i], bs[0].first_line + i, &out);
            fwrite(out.data, 1, out.len, stdout);
        }
        bl_buf_free(&out);
    } else {
        p.w = calloc((size_t)nt, sizeof *p.w);
        int started = 0;
        for (int t = 0; t < nt; t++) {
            p.w[t].index = t;
            p.w[t].ctx.type = type;
            p.w[t].pool = &p;
            if (pthread_create(&p.w[t].tid, NULL, worker_main, &p.w[t]) != 0) {
                fprintf(stderr, "bylaw: cannot start thread %d; use --threads 1\n", t);
                rc = 1;
                break;
            }
            started++;
        }
        pthread_mutex_lock(&p.mu);
        while (p.loaded < started)
            pthread_cond_wait(&p.finished, &p.mu);
        pthread_mutex_unlock(&p.mu);
        for (int t = 0; t < started; t++)
            if (!p.w[t].ok)
                rc = 1;
        if (rc == 0 && !bl_host_knows_type(p.w[0].ctx.h, type))
            fprintf(stderr, "bylaw: warning: no policy is bound to type '%s'; records pass through unchanged\n", type);
        int cur = 0;
        if (rc == 0)
            batch_read(&bs[cur], in, &lineno);
        while (rc == 0 && bs[cur].n > 0) {
            pthread_mutex_lock(&p.mu);
            p.cur = &bs[cur];
            p.slot = cur;
            p.done = 0;
            p.gen++;
            pthread_cond_broadcast(&p.go);
            pthread_mutex_unlock(&p.mu);
            int nxt = 1 - cur;
            batch_read(&bs[nxt], in, &lineno);
            pthread_mutex_lock(&p.mu);
            while (p.done < nt)
                pthread_cond_wait(&p.finished, &p.mu);
            pthread_mutex_unlock(&p.mu);
            for (int t = 0; t < nt; t++)
                fwrite(p.w[t].out[cur].data, 1, p.w[t].out[cur].len, stdout);
            cur = nxt;
        }
        pthread_mutex_lock(&p.mu);
        p.quit = 1;
        pthread_cond_broadcast(&p.go);
        pthread_mutex_unlock(&p.mu);
        for (int t = 0; t < started; t++)
            pthread_join(p.w[t].tid, NULL);
    }
    fflush(stdout);

    long failures = solo.failures;
    char *first = solo.first_error;
    for (int t = 0; p.w && t < nt; t++) {
        failures += p.w[t].ctx.failures;
        if (first == NULL)
            first = p.w[t].ctx.first_error, p.w[t].ctx.first_error = NULL;
        free(p.w[t].ctx.first_error);
        bl_host_close(p.w[t].ctx.h);
        bl_buf_free(&p.w[t].out[0]);
        bl_buf_free(&p.w[t].out[1]);
    }
    if (failures) {
        fprintf(stderr, "bylaw eval: %ld of %ld records failed (first: %s)\n", failures, lineno, first);
        rc = 1;
    }
    free(first);
    for (int k = 0; k < 2; k++)
        for (int i = 0; i < BATCH; i++)
            free(bs[k].lines[i]);
    free(bs);
    free(p.w);
    bl_host_close(solo.h);
    bl_store_close(solo.store);
    pthread_mutex_destroy(&p.mu);
    pthread_cond_destroy(&p.go);
    pthread_cond_destroy(&p.finished);
    return rc;
}

static int cmd_eval(int argc, char **argv, cli *c)
{
    int rc = parse_opts(argc, argv, c, usage_eval);
    if (rc)
        return rc;
    if (c->help)
        return fputs(usage_eval, stdout), 0;
    int npos = argc - optind;
    if (npos < 1 || (c->input && npos != 1) || (!c->input && npos != 2)) {
        fprintf(stderr, "bylaw eval: %s\n%s",
                npos < 1 ? "TYPE is missing" : c->input ? "give either JSON or --input, not both" : "JSON is missing",
                usage_eval);
        return 2;
    }
    const char *type = argv[optind];
    if (c->input) {
        FILE *in = strcmp(c->input, "-") == 0 ? stdin : fopen(c->input, "r");
        if (in == NULL) {
            fprintf(stderr, "bylaw eval: cannot read %s: %s\n", c->input, strerror(errno));
            return 1;
        }
        rc = eval_stream(c, in, type);
        if (in != stdin)
            fclose(in);
        return rc;
    }
    const char *text = argv[optind + 1];
    FILE *in = fmemopen((void *)text, strlen(text), "r");
    c->threads = 1;
    rc = eval_stream(c, in, type);
    fclose(in);
    return rc;
}

/* check, test ------------------------------------------------------------------------------------ */

static int cmd_check(int argc, char **argv, cli *c)
{
    int rc = parse_opts(argc, argv, c, usage_check);
    if (rc)
        return rc;
    if (c->help)
        return fputs(usage_check, stdout), 0;
    if (optind < argc) {
        fprintf(stderr, "bylaw check: unexpected argument '%s' (use --policies DIR)\n", argv[optind]);
        return 2;
    }
    bl_buf errors = {0};
    bl_host_t *h = bl_host_open(&c->cfg, &errors);
    if (h == NULL) {
        fputs(errors.data ? errors.data : "", stdout);
        int n = 0;
        for (size_t i = 0; i < errors.len; i++)
            n += errors.data[i] == '\n';
        printf("%d error%s in %s\n", n, n == 1 ? "" : "s", c->cfg.policy_dir);
        bl_buf_free(&errors);
        return 1;
    }
    cJSON *list = bl_host_policies(h);
    cJSON *p;
    cJSON_ArrayForEach(p, list)
    {
        printf("%-28s type %-20s %s:%d  version %s\n", bl_json_str(p, "name"), bl_json_str(p, "type"),
               bl_json_str(p, "file"), (int)bl_json_num(p, "line", 0), bl_json_str(p, "version"));
    }
    printf("%d policies loaded from %s, no errors\n", cJSON_GetArraySize(list), c->cfg.policy_dir);
    cJSON_Delete(list);
    bl_host_close(h);
    return 0;
}

static int cmd_test(int argc, char **argv, cli *c)
{
    int rc = parse_opts(argc, argv, c, usage_test);
    if (rc)
        return rc;
    if (c->help)
        return fputs(usage_test, stdout), 0;
    if (argc - optind > 1) {
        fprintf(stderr, "bylaw test: give one directory\n%s", usage_test);
        return 2;
    }
    const char *dir = optind < argc ? argv[optind] : c->cfg.policy_dir;
    int passed = 0, failed = 0;
    if (bl_test_run(dir, &c->cfg, stdout, &passed, &failed) != BL_OK)
        return 1;
    if (passed + failed == 0)
        fprintf(stderr, "bylaw test: no tests: no *_test.lua files under %s\n", dir);
    printf("%d passed, %d failed\n", passed, failed);
    return failed || passed == 0 ? 1 : 0;
}

int main(int argc, char **argv)
{
    cli c = {.cfg = {.policy_dir = "policies", .scripts_dir = find_scripts(), .limits = BL_LIMITS_DEFAULT}};
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(usage_main, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "--version") == 0)
        return puts("bylaw " BL_VERSION), 0;
    const char *cmd = argv[1];
    if (strcmp(cmd, "help") == 0) {
        const char *what = argc > 2 ? argv[2] : "";
        const char *u = strcmp(what, "eval") == 0    ? usage_eval
                        : strcmp(what, "check") == 0 ? usage_check
                        : strcmp(what, "test") == 0  ? usage_test
                                                     : NULL;
        if (strcmp(what, "serve") == 0) {
            char *av[] = {"serve", "--help", NULL};
            return bl_serve_main(2, av, &c.cfg);
        }
        fputs(u ? u : usage_main, stdout);
        return 0;
    }
    if (strcmp(cmd, "eval") == 0)
        return cmd_eval(argc - 1, argv + 1, &c);
    if (strcmp(cmd, "check") == 0)
        return cmd_check(argc - 1, argv + 1, &c);
    if (strcmp(cmd, "test") == 0)
        return cmd_test(argc - 1, argv + 1, &c);
    if (strcmp(cmd, "serve") == 0)
        return bl_serve_main(argc - 1, argv + 1, &c.cfg);
    fprintf(stderr, "bylaw: unknown command '%s'\n\n%s", cmd, usage_main);
    return 2;
}
