/* main.c — the `bylaw` command line: option parsing, help texts, and the eval, check and test
 * commands (serve lives in serve.c). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "datacmd.h"
#include "demo.h"
#include "dryrun.h"
#include "host.h"
#include "i18n.h"
#include "json.h"
#include "lcalendar.h"
#include "lint.h"
#include "repl.h"
#include "store.h"
#include "stream.h"
#include "testrun.h"
#include "ops.h"
#include "worker.h"

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
    "  repl    try policies at a prompt: Lua, records evaluated and stored, the clock moved\n"
    "  backup  a consistent copy of the database, while the service runs\n"
    "  restore put a backup in the database's place (the service stopped)\n"
    "  export  every record as JSON lines\n"
    "  vacuum  compact the database (the service stopped)\n"
    "  erase   delete a person's record and its history, recorded without the data\n"
    "  diff    what an edit of the policies would change, over every stored record (nothing is written)\n"
    "  replay  stored decisions evaluated again under other policies: what would differ\n"
    "  import  records in bulk from JSON lines or CSV, the policies applied\n"
    "  demo    an example data set in a database (bylaw demo --db FILE; docs/console.md)\n"
    "  help    show the help of a command: bylaw help eval\n"
    "\n"
    "Options every command takes:\n"
    "  --policies DIR     the policy directory (default: policies)\n"
    "  --scripts DIR      the engine's Lua library; without it: $BYLAW_SCRIPTS, else scripts/ beside\n"
    "                     the bylaw program (a build tree), else " BL_SCRIPTS_DIR "\n"
    "  --budget N         Lua instructions one policy call may run (default 10000000)\n"
    "  --timeout-ms MS    wall-clock time one policy call may take (default 250)\n"
    "  --memory-mb MB     memory the whole policy set may use (default 32)\n"
    "  --test-timeout-ms MS  wall-clock time one test of a *_test.lua file may take (default 10000)\n"
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
    "  --lang LANG        en (default) or zh-CN: the language of the explanations (codes stay codes)\n"
    "  plus the options every command takes (bylaw --help).\n"
    "\n"
    "Example:\n"
    "  bylaw eval client '{\"id\":\"c1\",\"annual_revenue\":5000000,\"region_group\":1}'\n";

static const char *usage_check =
    "Usage: bylaw check [OPTIONS]\n"
    "\n"
    "Loads and compiles every policy file of the policy directory and prints every error as\n"
    "file:line: message. Prints the loaded policies when all is well. Exit status 1 on any error.\n"
    "Then the lint, each finding a warning with file:line: a field read (r.FIELD) that the policy's\n"
    "fields do not declare, a declared field never read, a verdict that is not pass, hold or reject,\n"
    "a global the sandbox does not have or an assignment to one, a *_test.lua that does not compile, a\n"
    "policy file without a test file, a record type no test evaluates. Warns too about a calendar\n"
    "whose holiday schedule ends within 60 days. Warnings leave the exit status 0.\n"
    "\n"
    "Options:\n"
    "  --strict           the lint's findings are errors: exit status 1 when there is any\n"
    "  plus the options every command takes (bylaw --help).\n";

static const char *usage_test =
    "Usage: bylaw test [OPTIONS] [FILE_test.lua | DIR]...\n"
    "\n"
    "Runs the tests of each *_test.lua given, and of every *_test.lua under each DIR (default: the policy\n"
    "directory), each file against the policies of the directory it sits in, every test on a fresh\n"
    "in-memory store and a clock of its own. Prints each failure with file:line, expected and got, the\n"
    "last answer of eval or put before it (each decision's explanation) and what the test printed; closes\n"
    "with 'N passed, N failed'. Exit status 1 when anything failed. Test API: docs/policies.md.\n"
    "\n"
    "Options:\n"
    "  --run PATTERN      run only the tests whose name contains PATTERN\n"
    "  -v, --verbose      every test with its time and what it printed, not only the failures\n"
    "  --coverage         the lines of each policy file the tests ran, per file and in total (of the\n"
    "                     lines that hold code; docs/policies.md says how they are counted)\n"
    "  --threshold PCT    with --coverage (implied): fail when the total is below PCT percent\n"
    "  --format FMT       text (default) or json: one JSON document with every file and test (name,\n"
    "                     status, time, message, output), the summary and the coverage, for CI\n"
    "  plus the options every command takes (bylaw --help).\n";

static const char *usage_repl =
    "Usage: bylaw repl [OPTIONS] [--db FILE [--write]] [--virtual-clock START]\n"
    "       bylaw repl --connect URL [--token TOKEN]\n"
    "\n"
    "A prompt on the engine, the sandbox and the policies the service runs, in this process. Lua at the\n"
    "prompt: an expression prints its value, statements run, locals stay for the lines after; calendar,\n"
    "threshold, dtable, fmt, records, ledger, json and log are there as in policies. Dot-commands (.help):\n"
    ".eval TYPE {fields} evaluates a record without storing it, .put stores one, .get, .find, .explain and\n"
    ".timers read the store, .advance DURATION|next moves a virtual clock and fires the deadlines it\n"
    "passes, .reload reads the policy directory again, .test [PATTERN] runs its tests, .commit keeps\n"
    "the session's writes. Lines typed run without the policy limits (Ctrl-C stops one); the policy calls\n"
    "they lead to run under them. On a terminal: line editing, history in ~/.bylaw_history ($BYLAW_HISTORY\n"
    "names another file, empty: none), Tab completion, Ctrl-C drops the line typed. Without a terminal\n"
    "(bylaw repl < script) it runs the lines and prints the results, without prompts.\n"
    "\n"
    "Options:\n"
    "  --db FILE          work on this database. Read-only unless --write: the session runs in one\n"
    "                     transaction that is rolled back at exit, so FILE is unchanged unless .commit\n"
    "                     (without --db: a store in memory)\n"
    "  --write            each command commits what it writes to --db\n"
    "  --virtual-clock START  start on a virtual clock at START (ISO 8601); .advance moves it (without\n"
    "                     it, the first .advance starts a virtual clock at the current time)\n"
    "  --connect URL      the same prompt against a running service (bylaw serve): .get, .find, .explain,\n"
    "                     .timers, .types, .put (writer role), .advance and .clock (a service with\n"
    "                     --virtual-clock, admin role to move it); no Lua, no .eval\n"
    "  --token TOKEN      the token to send with --connect (Authorization: Bearer)\n"
    "  plus the options every command takes (bylaw --help).\n"
    "\n"
    "Exit status: 1 when a line failed (an error, a failing test), 2 when the command line is wrong.\n"
    "More: docs/repl.md.\n";

static const char *usage_diff =
    "Usage: bylaw diff [OPTIONS] --db FILE --policies NEW_DIR [--type TYPE] [--format json]\n"
    "\n"
    "What an edit of the policies would change, before it is made: every stored record of the types the\n"
    "edit touches (or of TYPE) is evaluated under the running policies and under those of NEW_DIR, and\n"
    "the report says how many records were evaluated and how many outcomes change, with a transition\n"
    "table (grade gold -> platinum: 312) and examples with both explanations, the verdicts that change,\n"
    "the points that would differ per subject and month, the deadlines that would move and the records\n"
    "whose evaluation would fail. Nothing is written: the database is read through read-only\n"
    "connections, so the service may run on it meanwhile. Records are evaluated on every core.\n"
    "\n"
    "Options:\n"
    "  --db FILE          the database (default bylaw.db)\n"
    "  --policies DIR     the candidate policies (the edit)\n"
    "  --current DIR      the running policies (default: the policy set the database recorded last, the\n"
    "                     one the service ran)\n"
    "  --type TYPE        only records of TYPE\n"
    "  --format FORMAT    text (default) or json\n"
    "  --threads N        evaluating threads (default: one per core)\n"
    "  plus the options every command takes (bylaw --help).\n"
    "A progress bar shows on a terminal. Exit status: 0 the report is printed, 1 it could not be made.\n";

static const char *usage_replay =
    "Usage: bylaw replay [OPTIONS] --db FILE --policies DIR --since DATE [--type TYPE] [--format json]\n"
    "\n"
    "Runs the decisions stored since DATE again: each record version a decision saw (its history at the\n"
    "decision's record version) is evaluated under the policies of DIR, at the decision's time, and the\n"
    "report compares with what was decided, as bylaw diff does: transitions of fields and verdicts with\n"
    "both explanations, points per subject and month, failures. Decisions made by deadlines and those\n"
    "whose record version was pruned are counted, not replayed. Nothing is written.\n"
    "\n"
    "Options:\n"
    "  --db FILE          the database (default bylaw.db)\n"
    "  --since DATE       ISO 8601 (2026-10-08T09:00:00+08:00) or a date (2026-10-08)\n"
    "  --type TYPE        only decisions on records of TYPE\n"
    "  --format FORMAT    text (default) or json\n"
    "  plus the options every command takes (bylaw --help).\n";

static const char *usage_import =
    "Usage: bylaw import [OPTIONS] --db FILE TYPE FILE.jsonl|FILE.csv [--dry-run]\n"
    "\n"
    "Stores records of TYPE in bulk, each evaluated by the policies and committed with its decisions as a\n"
    "write through the service is, in transactions of a batch of records each; records are evaluated on\n"
    "every core. JSON lines: one record object per line. CSV: a header line of field names, then one\n"
    "record per line; a value that is a JSON number, true or false exactly becomes one, an empty value\n"
    "leaves the field out, anything else (or anything in double quotes) is text. Every record needs an\n"
    "\"id\". A line that fails (bad JSON or CSV, a field a policy refuses, a policy error) is reported with\n"
    "its number and skipped: the other records of its batch are stored. The service must be stopped (the\n"
    "database's lock says whether it runs); while it runs, use POST /records/TYPE:import.\n"
    "\n"
    "Options:\n"
    "  --db FILE          the database (default bylaw.db)\n"
    "  --dry-run          evaluate and report, store nothing (the service may run)\n"
    "  --threads N        evaluating threads (default: one per core but the one that stores)\n"
    "  plus the options every command takes (bylaw --help).\n"
    "A progress bar shows on a terminal. Exit status: 0 every record was stored, 1 some line failed or\n"
    "the import could not run, 2 the command line is wrong.\n";

enum { OPT_POLICIES = 256, OPT_SCRIPTS, OPT_BUDGET, OPT_TIMEOUT, OPT_MEMORY, OPT_INPUT, OPT_DB, OPT_THREADS, OPT_TEST_TIMEOUT,
       OPT_WRITE, OPT_VCLOCK, OPT_CONNECT, OPT_TOKEN, OPT_RUN, OPT_COVERAGE, OPT_THRESHOLD, OPT_FORMAT, OPT_STRICT,
       OPT_TYPE, OPT_CURRENT, OPT_SINCE, OPT_DRY_RUN, OPT_LANG };

static const struct option common_opts[] = {
    {"policies", required_argument, 0, OPT_POLICIES}, {"scripts", required_argument, 0, OPT_SCRIPTS},
    {"budget", required_argument, 0, OPT_BUDGET},     {"timeout-ms", required_argument, 0, OPT_TIMEOUT},
    {"memory-mb", required_argument, 0, OPT_MEMORY},  {"input", required_argument, 0, OPT_INPUT},
    {"db", required_argument, 0, OPT_DB},             {"threads", required_argument, 0, OPT_THREADS},
    {"test-timeout-ms", required_argument, 0, OPT_TEST_TIMEOUT},
    {"write", no_argument, 0, OPT_WRITE},             {"virtual-clock", required_argument, 0, OPT_VCLOCK},
    {"connect", required_argument, 0, OPT_CONNECT},   {"token", required_argument, 0, OPT_TOKEN},
    {"run", required_argument, 0, OPT_RUN},           {"verbose", no_argument, 0, 'v'},
    {"coverage", no_argument, 0, OPT_COVERAGE},       {"threshold", required_argument, 0, OPT_THRESHOLD},
    {"format", required_argument, 0, OPT_FORMAT},     {"strict", no_argument, 0, OPT_STRICT},
    {"type", required_argument, 0, OPT_TYPE},         {"current", required_argument, 0, OPT_CURRENT},
    {"since", required_argument, 0, OPT_SINCE},       {"dry-run", no_argument, 0, OPT_DRY_RUN},
    {"lang", required_argument, 0, OPT_LANG},         {"help", no_argument, 0, 'h'},
    {0, 0, 0, 0},
};

/* Where the engine's Lua library is when --scripts is not given: built in by the Makefile from PREFIX. */
#ifndef BL_SCRIPTS_DIR
#define BL_SCRIPTS_DIR "/usr/local/share/bylaw/scripts"
#endif

static char scripts_default[PATH_MAX];

/* Sets scripts_default to DIR/scripts; true when it holds the runtime. */
static int scripts_in(const char *dir)
{
    struct stat st;
    char rt[PATH_MAX + 32];
    snprintf(scripts_default, sizeof scripts_default, "%.*s/scripts", PATH_MAX - 16, dir);
    snprintf(rt, sizeof rt, "%s/_runtime.lua", scripts_default);
    return stat(rt, &st) == 0 && S_ISREG(st.st_mode);
}

/* $BYLAW_SCRIPTS, else scripts/ beside the executable or up to two levels above it (the build tree:
 * ./bylaw, build/asan/bylaw-asan), else the directory built in (an installed bylaw). */
static const char *find_scripts(void)
{
    const char *env = getenv("BYLAW_SCRIPTS");
    if (env && *env)
        return env;
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash;
        for (int up = 0; up < 3 && (slash = strrchr(exe, '/')) != NULL; up++) {
            *slash = '\0';
            if (scripts_in(exe))
                return scripts_default;
        }
    }
    return BL_SCRIPTS_DIR;
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
    int write;                                /* repl */
    const char *virtual_clock, *connect, *token; /* repl */
    const char *run, *format;                 /* test (--format: test, check, diff, replay) */
    int verbose, coverage;                    /* test */
    double threshold;                         /* test: negative when not given */
    int strict;                               /* check */
    const char *type, *current, *since;       /* diff, replay, import */
    int dry_run;                              /* import */
    const char *lang;                         /* eval: "en" or "zh-CN" (i18n.h) */
} cli;

/* Parses the options; leaves the positional arguments in argv[optind..]. Returns 0, or 2 on error. */
static int parse_opts(int argc, char **argv, cli *c, const char *usage)
{
    optind = 1;
    opterr = 0;
    int ch;
    long long v;
    c->threshold = -1;
    while ((ch = getopt_long(argc, argv, "hv", common_opts, NULL)) != -1) {
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
        case OPT_TEST_TIMEOUT:
            if (parse_long("--test-timeout-ms", optarg, 1, 3600000, &v)) return 2;
            c->cfg.limits.test_timeout_ms = (int)v;
            break;
        case OPT_INPUT: c->input = optarg; break;
        case OPT_DB: c->db = optarg; break;
        case OPT_THREADS:
            if (parse_long("--threads", optarg, 1, 64, &v)) return 2;
            c->threads = (int)v;
            break;
        case OPT_WRITE: c->write = 1; break;
        case OPT_VCLOCK: c->virtual_clock = optarg; break;
        case OPT_CONNECT: c->connect = optarg; break;
        case OPT_TOKEN: c->token = optarg; break;
        case OPT_RUN: c->run = optarg; break;
        case 'v': c->verbose = 1; break;
        case OPT_COVERAGE: c->coverage = 1; break;
        case OPT_THRESHOLD: {
            char *end;
            errno = 0;
            c->threshold = strtod(optarg, &end);
            if (errno || end == optarg || *end || !(c->threshold >= 0 && c->threshold <= 100)) {
                fprintf(stderr, "bylaw: --threshold takes a percentage from 0 to 100, got '%s'\n", optarg);
                return 2;
            }
            break;
        }
        case OPT_FORMAT:
            if (strcmp(optarg, "text") != 0 && strcmp(optarg, "json") != 0) {
                fprintf(stderr, "bylaw: --format takes text or json, got '%s'\n", optarg);
                return 2;
            }
            c->format = optarg;
            break;
        case OPT_STRICT: c->strict = 1; break;
        case OPT_TYPE: c->type = optarg; break;
        case OPT_CURRENT: c->current = optarg; break;
        case OPT_SINCE: c->since = optarg; break;
        case OPT_DRY_RUN: c->dry_run = 1; break;
        case OPT_LANG:
            if ((c->lang = bl_lang_of(optarg)) == NULL) {
                fprintf(stderr, "bylaw: --lang takes en or zh-CN, got '%s'\n", optarg);
                return 2;
            }
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

/* Refuses (said on stderr, returns 1) the options of bylaw test and check that command `cmd` does not take;
 * `takes`: the words of the ones it does ("strict", "format"...). */
/* Whether the space-separated list takes names word. */
static int takes_option(const char *takes, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = strstr(takes, word); p; p = strstr(p + 1, word))
        if ((p == takes || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
            return 1;
    return 0;
}

static int refuse_options(const cli *c, const char *cmd, const char *takes)
{
    const char *bad = c->run && !takes_option(takes, "run")                 ? "--run"
                      : c->verbose && !takes_option(takes, "verbose")       ? "-v"
                      : c->coverage && !takes_option(takes, "coverage")     ? "--coverage"
                      : c->threshold >= 0 && !takes_option(takes, "threshold") ? "--threshold"
                      : c->format && !takes_option(takes, "format")         ? "--format"
                      : c->strict && !takes_option(takes, "strict")         ? "--strict"
                      : c->type && !takes_option(takes, "type")             ? "--type"
                      : c->current && !takes_option(takes, "current")       ? "--current"
                      : c->since && !takes_option(takes, "since")           ? "--since"
                      : c->dry_run && !takes_option(takes, "dry-run")       ? "--dry-run"
                      : c->lang && !takes_option(takes, "lang")             ? "--lang"
                                                                            : NULL;
    if (bad)
        fprintf(stderr, "bylaw %s: %s is not an option of bylaw %s (bylaw help %s)\n", cmd, bad, cmd, cmd);
    return bad != NULL;
}

/* eval ------------------------------------------------------------------------------------------ */

static int cmd_eval(int argc, char **argv, cli *c)
{
    int rc = parse_opts(argc, argv, c, usage_eval);
    if (rc)
        return rc;
    if (c->help)
        return fputs(usage_eval, stdout), 0;
    if (refuse_options(c, "eval", "lang"))
        return 2;
    int npos = argc - optind;
    if (npos < 1 || (c->input && npos != 1) || (!c->input && npos != 2)) {
        fprintf(stderr, "bylaw eval: %s\n%s",
                npos < 1 ? "TYPE is missing" : c->input ? "give either JSON or --input, not both" : "JSON is missing",
                usage_eval);
        return 2;
    }
    c->cfg.english_only = c->db == NULL && (c->lang == NULL || strcmp(c->lang, "en") == 0); /* nothing stored */
    bl_stream_config sc = {.host = &c->cfg, .type = argv[optind], .threads = c->threads, .db = c->db,
                           .fd = -1, .out = stdout, .lang = c->lang};
    if (c->input == NULL) { /* one record, from the command line */
        sc.text = argv[optind + 1];
        sc.threads = 1;
        return bl_stream_eval(&sc);
    }
    int fd = strcmp(c->input, "-") == 0 ? STDIN_FILENO : open(c->input, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        fprintf(stderr, "bylaw eval: cannot read %s: %s\n", c->input, strerror(errno));
        return 1;
    }
    sc.fd = fd;
    rc = bl_stream_eval(&sc);
    if (fd != STDIN_FILENO)
        close(fd);
    return rc;
}

/* check, test ------------------------------------------------------------------------------------ */

/* Warns about each calendar whose holiday schedule ends within 60 days of now, or has ended; returns
 * how many. */
static int warn_calendar_ends(bl_host_t *h)
{
    const int64_t day_ms = 86400000, soon_ms = 60 * day_ms;
    lua_State *L = bl_host_state(h);
    int n = bl_calendar_list(L, NULL, 0), warned = 0;
    bl_calendar_decl *decls = bl_xmalloc((size_t)(n > 0 ? n : 1) * sizeof *decls);
    bl_calendar_list(L, decls, n);
    int64_t now = bl_clock_now_ms(), today_end;
    for (int i = 0; i < n; i++) {
        const bl_cal_t *cal = decls[i].cal;
        int64_t end = bl_cal_covers_until(cal);
        if (end == BL_CAL_UNLIMITED || end - now > soon_ms || bl_cal_end_of_day(cal, now, &today_end) != BL_OK)
            continue;
        char last[BL_CAL_DATE_BUF], when[48];
        bl_cal_date_format(cal, end - 1, last);
        long long days = (long long)((end - today_end) / day_ms); /* from today to the last covered day */
        if (days >= 0)
            snprintf(when, sizeof when, days == 0 ? "ends today" : "in %lld day%s", days, days == 1 ? "" : "s");
        else
            snprintf(when, sizeof when, "ended %lld day%s ago", -days, days == -1 ? "" : "s");
        const char *where = decls[i].where ? decls[i].where : "the policy files";
        const char *colon = strrchr(where, ':');
        printf("warning: calendar '%s' covers holidays only until %s (%s): add %d's schedule to %.*s "
               "(docs/calendar.md §9)\n",
               decls[i].name, last, when, atoi(last) + 1, colon ? (int)(colon - where) : (int)strlen(where), where);
        warned++;
    }
    free(decls);
    return warned;
}

static int cmd_check(int argc, char **argv, cli *c)
{
    int rc = parse_opts(argc, argv, c, usage_check);
    if (rc)
        return rc;
    if (c->help)
        return fputs(usage_check, stdout), 0;
    if (refuse_options(c, "check", "strict"))
        return 2;
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
    int warnings = warn_calendar_ends(h), nerrors = 0;
    char *err = NULL;
    cJSON *findings = bl_lint(h, &c->cfg, &err);
    if (findings == NULL) {
        printf("error: %s\n", err);
        free(err);
        nerrors++;
    }
    cJSON_ArrayForEach(p, findings)
    {
        printf("%s:%d: %s: %s\n", bl_json_str(p, "file"), (int)bl_json_num(p, "line", 0),
               c->strict ? "error" : "warning", bl_json_str(p, "message"));
        if (c->strict)
            nerrors++;
        else
            warnings++;
    }
    cJSON_Delete(findings);
    printf("%d policies loaded from %s, ", cJSON_GetArraySize(list), c->cfg.policy_dir);
    if (nerrors)
        printf("%d error%s%s", nerrors, nerrors == 1 ? "" : "s", c->strict ? " (--strict)" : "");
    else
        printf("no errors");
    if (warnings)
        printf(", %d warning%s", warnings, warnings == 1 ? "" : "s");
    printf("\n");
    cJSON_Delete(list);
    bl_host_close(h);
    return nerrors ? 1 : 0;
}

static int cmd_test(int argc, char **argv, cli *c)
{
    int rc = parse_opts(argc, argv, c, usage_test);
    if (rc)
        return rc;
    if (c->help)
        return fputs(usage_test, stdout), 0;
    if (refuse_options(c, "test", "run verbose coverage threshold format"))
        return 2;
    bl_test_opts o = {.paths = (const char *const *)argv + optind, .npaths = argc - optind, .only = c->run,
                      .verbose = c->verbose, .json = c->format && strcmp(c->format, "json") == 0,
                      .coverage = c->coverage || c->threshold >= 0, .threshold = c->threshold};
    bl_test_summary s;
    rc = bl_test_main(&o, &c->cfg, stdout, &s);
    if (rc == BL_INVALID)
        return 2;
    if (s.passed + s.failed == 0)
        fprintf(stderr, "bylaw test: no tests%s%s%s\n", c->run ? " whose name contains '" : "", c->run ? c->run : "",
                c->run ? "'" : ": no *_test.lua files where given");
    return rc != BL_OK || s.failed || s.passed == 0 || s.below_threshold ? 1 : 0;
}

/* diff, replay, import -------------------------------------------------------------------------------- */

static int cmd_data(const char *cmd, int argc, char **argv, cli *c)
{
    const char *usage = strcmp(cmd, "diff") == 0 ? usage_diff : strcmp(cmd, "replay") == 0 ? usage_replay : usage_import;
    int rc = parse_opts(argc, argv, c, usage);
    if (rc)
        return rc;
    if (c->help)
        return fputs(usage, stdout), 0;
    int import = strcmp(cmd, "import") == 0, npos = argc - optind;
    if (refuse_options(c, cmd, import ? "dry-run" : strcmp(cmd, "diff") == 0 ? "type format current" : "type format since"))
        return 2;
    const char *why = import && npos != 2                             ? "give TYPE and FILE"
                      : !import && npos > 0                           ? "takes no arguments (the policies: --policies DIR)"
                      : c->input || c->write || c->connect || c->token ? "--input, --write, --connect and --token are "
                                                                         "options of other commands"
                                                                       : NULL;
    if (why) {
        fprintf(stderr, "bylaw %s: %s\n%s", cmd, why, usage);
        return 2;
    }
    bl_data_opts o = {.cfg = c->cfg, .db = c->db ? c->db : "bylaw.db", .type = c->type, .format = c->format,
                      .current = c->current, .since = c->since, .dry_run = c->dry_run, .threads = c->threads};
    if (import) {
        o.type = argv[optind];
        o.file = argv[optind + 1];
        return bl_cmd_import(&o);
    }
    return strcmp(cmd, "diff") == 0 ? bl_cmd_diff(&o) : bl_cmd_replay(&o);
}

/* repl ------------------------------------------------------------------------------------------- */

static int cmd_repl(int argc, char **argv, cli *c)
{
    int rc = parse_opts(argc, argv, c, usage_repl);
    if (rc)
        return rc;
    if (c->help)
        return fputs(usage_repl, stdout), 0;
    if (refuse_options(c, "repl", ""))
        return 2;
    const char *why = optind < argc       ? "takes no arguments (give the policy directory with --policies DIR)"
                      : c->input || c->threads ? "--input and --threads are options of bylaw eval"
                      : c->write && !c->db ? "--write needs --db (without it the store is in memory)"
                      : c->token && !c->connect ? "--token goes with --connect"
                      : c->connect && (c->db || c->write || c->virtual_clock)
                          ? "--connect works on the service's store and clock: leave out --db, --write and --virtual-clock"
                          : NULL;
    if (why) {
        fprintf(stderr, "bylaw repl: %s\n%s", why, usage_repl);
        return 2;
    }
    bl_repl_options o = {.cfg = c->cfg, .db = c->db, .write = c->write, .virtual_clock = c->virtual_clock,
                         .connect = c->connect, .token = c->token};
    return bl_repl_main(&o);
}

int main(int argc, char **argv)
{
    cli c = {.cfg = {.policy_dir = "policies", .scripts_dir = find_scripts(), .limits = BL_LIMITS_DEFAULT}};
    bl_json_init(); /* before any thread parses */
    bl_set_argv0(argv[0]);
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(usage_main, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "--version") == 0)
        return puts("bylaw " BL_VERSION), 0;
    const char *cmd = argv[1];
    if (strcmp(cmd, "help") == 0) {
        const char *what = argc > 2 ? argv[2] : "";
        if (strcmp(what, "backup") == 0 || strcmp(what, "restore") == 0 || strcmp(what, "export") == 0 ||
            strcmp(what, "vacuum") == 0 || strcmp(what, "erase") == 0)
            return fputs(bl_ops_usage(), stdout), 0;
        const char *u = strcmp(what, "eval") == 0    ? usage_eval
                        : strcmp(what, "check") == 0 ? usage_check
                        : strcmp(what, "test") == 0  ? usage_test
                        : strcmp(what, "repl") == 0  ? usage_repl
                        : strcmp(what, "diff") == 0  ? usage_diff
                        : strcmp(what, "replay") == 0 ? usage_replay
                        : strcmp(what, "import") == 0 ? usage_import
                        : strcmp(what, "demo") == 0   ? bl_demo_usage
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
    if (strcmp(cmd, "repl") == 0)
        return cmd_repl(argc - 1, argv + 1, &c);
    if (strcmp(cmd, "serve") == 0)
        return bl_serve_main(argc - 1, argv + 1, &c.cfg);
    if (strcmp(cmd, "backup") == 0 || strcmp(cmd, "restore") == 0 || strcmp(cmd, "export") == 0 ||
        strcmp(cmd, "vacuum") == 0 || strcmp(cmd, "erase") == 0)
        return bl_ops_main(cmd, argc - 1, argv + 1);
    if (strcmp(cmd, "diff") == 0 || strcmp(cmd, "replay") == 0 || strcmp(cmd, "import") == 0)
        return cmd_data(cmd, argc - 1, argv + 1, &c);
    if (strcmp(cmd, "demo") == 0)
        return bl_demo_main(argc - 1, argv + 1, &c.cfg);
    if (strcmp(cmd, "__dryrun") == 0) /* started by `bylaw serve` (core/jobs.c) */
        return bl_dryrun_child_main(argc - 1, argv + 1, &c.cfg);
    if (strcmp(cmd, "__worker") == 0) /* started by `bylaw serve` (core/pool.c), not by people */
        return bl_worker_main(argc - 1, argv + 1, &c.cfg);
    fprintf(stderr, "bylaw: unknown command '%s'\n\n%s", cmd, usage_main);
    return 2;
}
