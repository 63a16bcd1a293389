/* demo.c — bylaw demo: a reproducible, realistic data set for the console, the REPL and the README: N
 * records of each example type (clients across every grade and region group, investors in every tier,
 * candidates in every state, contract submissions and monthly sales with points, complaints open,
 * overdue, answered and closed), made from a seeded generator and loaded with bylaw import, so that
 * every record is evaluated and committed with its decisions, points, events and deadlines. */
#include "demo.h"

#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "datacmd.h"

const char bl_demo_usage[] =
    "Usage: bylaw demo [--db FILE] [--count N] [--seed N] [--policies DIR] [--scripts DIR]\n"
    "Loads an example data set into FILE (default bylaw.db) through bylaw import: N (default 2000)\n"
    "records of each type the example policies decide (client, investor, candidate, contract_submission,\n"
    "sales_month, complaint), each evaluated and stored with its decisions. The same --seed (default 1)\n"
    "gives the same records; dates are counted back from today (complaints from the last 20 days, sales\n"
    "and submissions in the last 6 months). Then: bylaw serve --db FILE, and open http://127.0.0.1:8080/.\n"
    "Exit status: 0 when every record was stored, 1 otherwise, 2 the command line is wrong.\n";

/* xorshift64*: the same seed, the same records on every machine. */
static uint64_t rnd_state;
static uint64_t rnd(void)
{
    rnd_state ^= rnd_state >> 12;
    rnd_state ^= rnd_state << 25;
    rnd_state ^= rnd_state >> 27;
    return rnd_state * 2685821657736338717ULL;
}
static int below(int n) { return (int)(rnd() % (uint64_t)n); }
static int chance(int percent) { return below(100) < percent; }

static const char *const people[] = {"li.wei", "wang.fang", "zhang.min", "liu.yang", "chen.jing", "yang.lei",
                                     "zhao.qiang", "huang.li", "zhou.tao", "wu.xia", "xu.hui", "sun.hao"};
#define PERSON people[below((int)(sizeof people / sizeof *people))]

/* YYYY-MM for `back` months before today; the date and time `days` ago at HH:MM in +08:00. */
static void month_back(int back, char out[16])
{
    time_t t = time(NULL) + 8 * 3600;
    struct tm tm;
    gmtime_r(&t, &tm);
    int m = tm.tm_year * 12 + tm.tm_mon - back;
    snprintf(out, 16, "%04d-%02d", (1900 + m / 12) % 10000, m % 12 + 1);
}
static void time_back(int days, int hh, int mm, char out[64])
{
    time_t t = time(NULL) + 8 * 3600 - (time_t)days * 86400;
    struct tm tm;
    gmtime_r(&t, &tm);
    snprintf(out, 64, "%04d-%02d-%02dT%02d:%02d:00+08:00", (1900 + tm.tm_year) % 10000, tm.tm_mon + 1, tm.tm_mday, hh, mm);
}

/* Amounts spread over every tier: log-uniform between lo and hi, rounded to 100 yuan. */
static long amount(double lo, double hi)
{
    double r = (double)(rnd() >> 11) / 9007199254740992.0; /* [0, 1) */
    return (long)(lo * pow(hi / lo, r) / 100) * 100;
}

static void client(FILE *f, int i)
{
    long rev = amount(5000, 8000000);
    fprintf(f, "{\"id\":\"c%05d\",\"annual_revenue\":%ld,\"region_group\":%d%s}\n", i, rev, 1 + below(3),
            chance(2) ? ",\"provincial_upstream\":true" : "");
}

static void investor(FILE *f, int i)
{
    if (chance(10))
        fprintf(f, "{\"id\":\"i%05d\"}\n", i); /* a prospect: nothing subscribed */
    else
        fprintf(f, "{\"id\":\"i%05d\",\"subscribed_total\":%ld}\n", i, amount(50000, 9000000));
}

static void candidate(FILE *f, int i)
{
    static const char *const levels[] = {"staff", "staff", "staff", "middle", "senior"};
    static const char *const checks[] = {"none", "in_progress", "done"};
    const char *level = levels[below(5)], *check = checks[below(3)];
    fprintf(f, "{\"id\":\"k%05d\",\"level\":\"%s\",\"age\":%d,\"background_check\":\"%s\"", i, level,
            chance(3) ? 16 + below(2) : 20 + below(35), check);
    if (chance(15))
        fprintf(f, ",\"key_post\":true");
    if (chance(70))
        fprintf(f, ",\"consent\":%s", chance(90) ? "true" : "false");
    if (strcmp(check, "done") == 0)
        fprintf(f, ",\"employers_checked\":%d,\"years_checked\":%d", 1 + below(5), 2 + below(8));
    if (chance(4))
        fprintf(f, ",\"criminal_record\":true");
    if (chance(3))
        fprintf(f, ",\"other_contract_active\":true");
    if (chance(2))
        fprintf(f, ",\"dismissed_by_us\":true");
    fputs("}\n", f);
}

static void contract_submission(FILE *f, int i)
{
    char month[16];
    month_back(below(6), month);
    fprintf(f, "{\"id\":\"cs%05d\",\"adviser\":\"%s\",\"round\":%d,\"defective\":%d,\"month\":\"%s\"}\n", i, PERSON,
            1 + below(4), chance(60) ? 0 : 1 + below(3), month);
}

static void sales_month(FILE *f, int i)
{
    char month[16];
    month_back(below(6), month);
    long target = 100000 + 10000L * below(20), minimum = target / 2, sales = amount(20000, 500000);
    if (chance(10))
        fprintf(f, "{\"id\":\"s%05d\",\"employee\":\"%s\",\"month\":\"%s\",\"sales\":%ld}\n", i, PERSON, month, sales);
    else
        fprintf(f, "{\"id\":\"s%05d\",\"employee\":\"%s\",\"month\":\"%s\",\"sales\":%ld,\"target\":%ld,\"minimum\":%ld}\n",
                i, PERSON, month, sales, target, minimum);
}

static void complaint(FILE *f, int i)
{
    static const char *const states[] = {"open", "open", "investigated", "replied", "closed", "closed"};
    char at[64];
    time_back(below(20), 8 + below(10), below(60), at);
    fprintf(f, "{\"id\":\"q%05d\",\"received_at\":\"%s\",\"handler\":\"%s\",\"status\":\"%s\"}\n", i, at, PERSON,
            states[below(6)]);
}

static const struct {
    const char *type;
    void (*make)(FILE *f, int i);
} kinds[] = {
    {"client", client},           {"investor", investor},       {"candidate", candidate},
    {"contract_submission", contract_submission}, {"sales_month", sales_month}, {"complaint", complaint},
};

int bl_demo_main(int argc, char **argv, const bl_host_config *cfg)
{
    static const struct option lo[] = {{"db", required_argument, 0, 'd'},     {"count", required_argument, 0, 'n'},
                                       {"seed", required_argument, 0, 's'},   {"policies", required_argument, 0, 'p'},
                                       {"scripts", required_argument, 0, 'S'},
                                       {"help", no_argument, 0, 'h'},         {0, 0, 0, 0}};
    const char *db = "bylaw.db";
    bl_host_config c = *cfg;
    long count = 2000;
    uint64_t seed = 1;
    char *end;
    int ch;
    optind = 1;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
        if (ch == 'h')
            return fputs(bl_demo_usage, stdout), 0;
        if (ch == 'd')
            db = optarg;
        else if (ch == 'p')
            c.policy_dir = optarg;
        else if (ch == 'S')
            c.scripts_dir = optarg;
        else if (ch == 'n' && ((count = strtol(optarg, &end, 10)) < 1 || count > 1000000 || *end)) {
            fprintf(stderr, "bylaw demo: --count must be a whole number from 1 to 1000000, got '%s'\n", optarg);
            return 2;
        } else if (ch == 's' && ((seed = strtoull(optarg, &end, 10)) == 0 || *end)) {
            fprintf(stderr, "bylaw demo: --seed must be a whole number above 0, got '%s'\n", optarg);
            return 2;
        } else if (ch == '?') {
            fprintf(stderr, "bylaw demo: unknown option '%s'\n%s", argv[optind - 1], bl_demo_usage);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "bylaw demo: takes no arguments, got '%s'\n%s", argv[optind], bl_demo_usage);
        return 2;
    }
    rnd_state = seed * 0x9E3779B97F4A7C15ULL;
    int failed = 0;
    for (size_t k = 0; k < sizeof kinds / sizeof *kinds; k++) {
        char path[] = "/tmp/bylaw-demo-XXXXXX.jsonl";
        int fd = mkstemps(path, 6);
        FILE *f = fd < 0 ? NULL : fdopen(fd, "w");
        if (f == NULL) {
            fprintf(stderr, "bylaw demo: cannot make a temporary file in /tmp\n");
            return 1;
        }
        for (long i = 1; i <= count; i++)
            kinds[k].make(f, (int)i);
        fclose(f);
        bl_data_opts o = {.cfg = c, .db = db, .type = kinds[k].type, .file = path};
        failed |= bl_cmd_import(&o) != 0;
        unlink(path);
    }
    return failed;
}
