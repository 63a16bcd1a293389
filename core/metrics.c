/* metrics.c — the service's counters and their Prometheus text: requests by method, route and status
 * with a latency histogram per route, decisions by policy and verdict, policy failures, group commits
 * (batch sizes, fsync times, failures), the WAL and the database file, deadlines (pending, overdue,
 * lateness), connections, worker processes, reloads, the loop's lag, and the build. Every metric has
 * its HELP and TYPE lines. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "http.h"
#include "service.h"

static const double request_le[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10};
const double bl_batch_le[] = {1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 5000};
const double bl_fsync_le[] = {0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1};
const double bl_lateness_le[] = {0.01, 0.1, 0.5, 1, 5, 10, 60, 300, 3600, 86400};
#define NLE(a) ((int)(sizeof a / sizeof a[0]))
const int bl_batch_nle = NLE(bl_batch_le), bl_fsync_nle = NLE(bl_fsync_le), bl_lateness_nle = NLE(bl_lateness_le);
_Static_assert(NLE(request_le) < BL_HIST_MAX, "a histogram has room for its buckets and +Inf");

void bl_metrics_observe(bl_hist *h, const double *le, int nle, double v)
{
    int i = 0;
    while (i < nle && v > le[i])
        i++;
    h->counts[i]++; /* i == nle: +Inf */
    h->count++;
    h->sum += v;
}

void bl_metrics_request(bl_metrics *m, const char *method, const char *route, int status, double seconds)
{
    /* the row keeps pointers: the method is one of these static names (the request's string is freed
     * with the request), the route is a pattern from the static route table */
    static const char *const methods[] = {"GET", "HEAD", "PUT", "POST", "PATCH", "DELETE", "OPTIONS"};
    const char *known = "other";
    for (size_t i = 0; method != NULL && i < sizeof methods / sizeof methods[0]; i++)
        if (strcmp(method, methods[i]) == 0)
            known = methods[i];
    method = known;
    if (route == NULL)
        route = "(no route)";
    enum { ROWS = (int)(sizeof m->routes / sizeof m->routes[0]) };
    bl_route_stats *r = NULL;
    for (int i = 0; i < m->nroutes && r == NULL; i++)
        if (strcmp(m->routes[i].method, method) == 0 && strcmp(m->routes[i].route, route) == 0)
            r = &m->routes[i];
    if (r == NULL && m->nroutes < ROWS - 1) { /* a row per method and route; the last row counts the rest */
        r = &m->routes[m->nroutes++];
        memset(r, 0, sizeof *r);
        r->method = method;
        r->route = route;
    } else if (r == NULL) {
        r = &m->routes[ROWS - 1];
        if (m->nroutes < ROWS) {
            m->nroutes = ROWS;
            memset(r, 0, sizeof *r);
            r->method = "?";
            r->route = "(other)";
        }
    }
    int cls = status / 100;
    if (cls >= 1 && cls <= 5)
        r->status[cls]++;
    bl_metrics_observe(&r->seconds, request_le, NLE(request_le), seconds);
}

void bl_metrics_decision(bl_metrics *m, const char *policy, const char *verdict)
{
    int v = verdict == NULL ? 3 : strcmp(verdict, "pass") == 0 ? 0 : strcmp(verdict, "hold") == 0 ? 1 : 2;
    for (int i = 0; i < m->npolicies; i++)
        if (strcmp(m->policies[i].policy, policy ? policy : "?") == 0) {
            m->policies[i].verdicts[v]++;
            return;
        }
    if (m->npolicies == m->cappolicies) {
        m->cappolicies = m->cappolicies ? 2 * m->cappolicies : 16;
        m->policies = realloc(m->policies, (size_t)m->cappolicies * sizeof *m->policies);
    }
    bl_policy_stats *p = &m->policies[m->npolicies++];
    memset(p, 0, sizeof *p);
    p->policy = bl_strdupf("%s", policy ? policy : "?");
    p->verdicts[v]++;
}

void bl_metrics_free(bl_metrics *m)
{
    for (int i = 0; i < m->npolicies; i++)
        free(m->policies[i].policy);
    free(m->policies);
    m->policies = NULL;
    m->npolicies = m->cappolicies = 0;
}

/* Text ------------------------------------------------------------------------------------------------ */

static void head(bl_buf *b, const char *name, const char *type, const char *help)
{
    bl_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void one(bl_buf *b, const char *name, const char *type, const char *help, double v)
{
    head(b, name, type, help);
    bl_buf_printf(b, "%s %.17g\n", name, v);
}

/* A label value as Prometheus writes it: backslash, quote and newline escaped. */
static void label(bl_buf *b, const char *v)
{
    for (; *v; v++) {
        if (*v == '\\' || *v == '"')
            bl_buf_printf(b, "\\%c", *v);
        else if (*v == '\n')
            bl_buf_adds(b, "\\n");
        else
            bl_buf_add(b, v, 1);
    }
}

/* The series of one histogram; labels: "" or `key="value",` pieces already escaped (may be empty). */
static void hist(bl_buf *b, const char *name, const char *labels, const bl_hist *h, const double *le, int nle)
{
    uint64_t cum = 0;
    for (int i = 0; i < nle; i++) {
        cum += h->counts[i];
        bl_buf_printf(b, "%s_bucket{%sle=\"%g\"} %llu\n", name, labels, le[i], (unsigned long long)cum);
    }
    bl_buf_printf(b, "%s_bucket{%sle=\"+Inf\"} %llu\n", name, labels, (unsigned long long)h->count);
    size_t n = strlen(labels);
    bl_buf_printf(b, "%s_sum%s%.*s%s %.9g\n", name, n ? "{" : "", n ? (int)n - 1 : 0, labels, n ? "}" : "", h->sum);
    bl_buf_printf(b, "%s_count%s%.*s%s %llu\n", name, n ? "{" : "", n ? (int)n - 1 : 0, labels, n ? "}" : "",
                  (unsigned long long)h->count);
}

static double file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (double)st.st_size : 0;
}

char *bl_metrics_text(bl_service *svc)
{
    bl_metrics *m = &svc->metrics;
    bl_buf b = {0}, lab = {0};
    head(&b, "bylaw_build_info", "gauge", "The running bylaw: 1, with its version as a label.");
    bl_buf_printf(&b, "bylaw_build_info{version=\"%s\"} 1\n", BL_VERSION);

    head(&b, "bylaw_requests_total", "counter", "HTTP requests answered, by method, route and status class.");
    for (int i = 0; i < m->nroutes; i++)
        for (int c = 1; c <= 5; c++)
            if (m->routes[i].status[c]) {
                bl_buf_printf(&b, "bylaw_requests_total{method=\"%s\",route=\"", m->routes[i].method);
                label(&b, m->routes[i].route);
                bl_buf_printf(&b, "\",code=\"%dxx\"} %llu\n", c, (unsigned long long)m->routes[i].status[c]);
            }
    head(&b, "bylaw_request_seconds", "histogram", "Request latency, by method and route.");
    for (int i = 0; i < m->nroutes; i++) {
        lab.len = 0;
        bl_buf_printf(&lab, "method=\"%s\",route=\"", m->routes[i].method);
        label(&lab, m->routes[i].route);
        bl_buf_adds(&lab, "\",");
        hist(&b, "bylaw_request_seconds", lab.data, &m->routes[i].seconds, request_le, NLE(request_le));
    }

    static const char *const verdicts[] = {"pass", "hold", "reject", "none"};
    head(&b, "bylaw_decisions_total", "counter",
         "Decisions committed, by policy and verdict (none: the policy proposed no verdict).");
    for (int i = 0; i < m->npolicies; i++)
        for (int v = 0; v < 4; v++)
            if (m->policies[i].verdicts[v]) {
                bl_buf_adds(&b, "bylaw_decisions_total{policy=\"");
                label(&b, m->policies[i].policy);
                bl_buf_printf(&b, "\",verdict=\"%s\"} %llu\n", verdicts[v], (unsigned long long)m->policies[i].verdicts[v]);
            }
    one(&b, "bylaw_policy_errors_total", "counter", "Evaluations stopped by a failing policy.", (double)m->policy_errors);
    one(&b, "bylaw_budget_kills_total", "counter", "Policy calls stopped by the instruction, time or memory limit.",
        (double)m->budget_kills);
    one(&b, "bylaw_invalid_records_total", "counter", "Records refused for a missing or mistyped field.",
        (double)m->invalid);

    one(&b, "bylaw_commits_total", "counter", "Group commits that reached the database.", (double)m->commits);
    one(&b, "bylaw_commit_failures_total", "counter", "Group commits that failed (their writes were refused).",
        (double)m->commit_failures);
    head(&b, "bylaw_commit_batch_writes", "histogram", "Writes (records and fired deadlines) per group commit.");
    hist(&b, "bylaw_commit_batch_writes", "", &m->batch_sizes, bl_batch_le, bl_batch_nle);
    head(&b, "bylaw_fsync_seconds", "histogram", "Time of one fsync of the WAL, which answers a group of writers.");
    hist(&b, "bylaw_fsync_seconds", "", &m->fsync_seconds, bl_fsync_le, bl_fsync_nle);
    one(&b, "bylaw_checkpoints_total", "counter", "WAL checkpoints run off the event loop.", (double)m->checkpoints);
    one(&b, "bylaw_wal_restarts_total", "counter", "Times the WAL was caught up so that it restarts from its beginning.",
        (double)m->wal_restarts);
    if (strcmp(svc->db_path, ":memory:") != 0) {
        char *wal = bl_strdupf("%s-wal", svc->db_path);
        one(&b, "bylaw_database_bytes", "gauge", "Size of the database file.", file_size(svc->db_path));
        one(&b, "bylaw_wal_bytes", "gauge", "Size of the WAL file.", file_size(wal));
        free(wal);
    }
    one(&b, "bylaw_pruned_rows_total", "counter", "Rows the retention job deleted.", (double)m->pruned);

    const bl_gauges *g = &svc->gauges; /* (counted every 5 s off the loop) */
    one(&b, "bylaw_deadlines_pending", "gauge", "Deadlines armed and not yet fired (counted every 5 s).",
        (double)g->pending);
    one(&b, "bylaw_deadlines_overdue", "gauge", "Deadlines due and not yet fired, the backlog (counted every 5 s).",
        (double)g->overdue);
    one(&b, "bylaw_deadlines_fired_total", "counter", "Deadlines whose handler ran and committed.",
        (double)m->timers_fired);
    one(&b, "bylaw_deadline_failures_total", "counter", "Deadlines whose handler failed (marked failed).",
        (double)m->timer_failures);
    head(&b, "bylaw_deadline_lateness_seconds", "histogram", "How long after its due time a deadline fired.");
    hist(&b, "bylaw_deadline_lateness_seconds", "", &m->timer_lateness, bl_lateness_le, bl_lateness_nle);

    const bl_http_stats *hs = bl_service_http_stats(svc);
    if (hs) {
        one(&b, "bylaw_connections_open", "gauge", "HTTP connections open now.", hs->connections_open);
        one(&b, "bylaw_connections_total", "counter", "HTTP connections accepted.", (double)hs->connections);
        head(&b, "bylaw_connections_refused_total", "counter",
             "HTTP connections refused, by reason (over a limit: answered 503 or closed).");
        bl_buf_printf(&b, "bylaw_connections_refused_total{reason=\"per_client\"} %llu\n",
                      (unsigned long long)hs->refused_per_client);
        bl_buf_printf(&b, "bylaw_connections_refused_total{reason=\"overall\"} %llu\n",
                      (unsigned long long)hs->refused_overall);
        bl_buf_printf(&b, "bylaw_connections_refused_total{reason=\"timeout\"} %llu\n",
                      (unsigned long long)hs->timeouts);
        head(&b, "bylaw_requests_refused_total", "counter", "Requests refused before routing, by reason.");
        bl_buf_printf(&b, "bylaw_requests_refused_total{reason=\"too_long\"} %llu\n", (unsigned long long)hs->too_long);
        bl_buf_printf(&b, "bylaw_requests_refused_total{reason=\"control_bytes\"} %llu\n",
                      (unsigned long long)hs->control_bytes);
        bl_buf_printf(&b, "bylaw_requests_refused_total{reason=\"smuggling\"} %llu\n",
                      (unsigned long long)hs->smuggling);
        bl_buf_printf(&b, "bylaw_requests_refused_total{reason=\"too_large\"} %llu\n",
                      (unsigned long long)hs->too_large);
    }
    bl_pool_stats ps;
    bl_pool_get_stats(svc->pool, &ps);
    one(&b, "bylaw_workers", "gauge", "Worker processes running the policies.", ps.workers);
    one(&b, "bylaw_workers_started_total", "counter", "Worker processes started (replacements included).",
        (double)ps.started);
    head(&b, "bylaw_workers_ended_total", "counter", "Worker processes that ended during a job, by why.");
    bl_buf_printf(&b, "bylaw_workers_ended_total{reason=\"killed\"} %llu\n", (unsigned long long)ps.killed);
    bl_buf_printf(&b, "bylaw_workers_ended_total{reason=\"died\"} %llu\n", (unsigned long long)ps.died);
    one(&b, "bylaw_worker_jobs_total", "counter", "Jobs handed to the workers.", (double)ps.jobs);
    one(&b, "bylaw_worker_queue", "gauge", "Jobs waiting for a worker.", ps.queued);

    head(&b, "bylaw_policy_reloads_total", "counter", "Policy sets activated after start-up; failures kept the old set.");
    bl_buf_printf(&b, "bylaw_policy_reloads_total{result=\"ok\"} %llu\n", (unsigned long long)m->reloads);
    bl_buf_printf(&b, "bylaw_policy_reloads_total{result=\"failed\"} %llu\n", (unsigned long long)m->reload_failures);
    one(&b, "bylaw_loop_lag_seconds", "gauge", "How late the event loop ran its 100 ms tick, last time.",
        m->loop_lag_ms / 1000);
    one(&b, "bylaw_loop_lag_max_seconds", "gauge", "How late the event loop ran its 100 ms tick, at most.",
        m->loop_lag_max_ms / 1000);
    bl_buf_free(&lab);
    return b.data;
}
