/* metrics.c — the service's counters and their Prometheus text: requests by status class, decisions
 * by verdict, policy errors and budget kills, a latency histogram, event-loop lag. */
#include <stdio.h>
#include <stdlib.h>

#include "service.h"

static const double bucket_le[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5};
#define NBUCKETS (sizeof bucket_le / sizeof bucket_le[0])

void bl_metrics_request(bl_metrics *m, int status, double seconds)
{
    int cls = status / 100;
    if (cls >= 1 && cls <= 5)
        m->requests[cls]++;
    for (size_t i = 0; i < NBUCKETS; i++)
        if (seconds <= bucket_le[i]) {
            m->latency[i]++;
            break;
        }
    m->latency_sum += seconds;
}

char *bl_metrics_text(bl_service *svc)
{
    bl_metrics *m = &svc->metrics;
    bl_buf b = {0};
    bl_buf_adds(&b, "# HELP bylaw_requests_total HTTP requests answered, by status class.\n"
                    "# TYPE bylaw_requests_total counter\n");
    for (int c = 1; c <= 5; c++)
        bl_buf_printf(&b, "bylaw_requests_total{code=\"%dxx\"} %llu\n", c, (unsigned long long)m->requests[c]);
    static const char *verdicts[] = {"pass", "hold", "reject", "none"};
    bl_buf_adds(&b, "# HELP bylaw_decisions_total Decisions committed, by verdict (none: no verdict proposed).\n"
                    "# TYPE bylaw_decisions_total counter\n");
    for (int i = 0; i < 4; i++)
        bl_buf_printf(&b, "bylaw_decisions_total{verdict=\"%s\"} %llu\n", verdicts[i], (unsigned long long)m->decisions[i]);
    bl_buf_printf(&b,
                  "# HELP bylaw_policy_errors_total Evaluations stopped by a failing policy.\n"
                  "# TYPE bylaw_policy_errors_total counter\nbylaw_policy_errors_total %llu\n"
                  "# HELP bylaw_budget_kills_total Policy calls stopped by the instruction, time or memory limit.\n"
                  "# TYPE bylaw_budget_kills_total counter\nbylaw_budget_kills_total %llu\n"
                  "# HELP bylaw_invalid_records_total Records refused for a missing or mistyped field.\n"
                  "# TYPE bylaw_invalid_records_total counter\nbylaw_invalid_records_total %llu\n"
                  "# HELP bylaw_commits_total Group commits of the store.\n"
                  "# TYPE bylaw_commits_total counter\nbylaw_commits_total %llu\n"
                  "# HELP bylaw_policy_reloads_total Policy sets activated after start-up; failures kept the old set.\n"
                  "# TYPE bylaw_policy_reloads_total counter\nbylaw_policy_reloads_total{result=\"ok\"} %llu\n"
                  "bylaw_policy_reloads_total{result=\"failed\"} %llu\n",
                  (unsigned long long)m->policy_errors, (unsigned long long)m->budget_kills,
                  (unsigned long long)m->invalid, (unsigned long long)m->commits, (unsigned long long)m->reloads,
                  (unsigned long long)m->reload_failures);
    bl_buf_printf(&b,
                  "# HELP bylaw_timers_fired_total Deadlines whose handler ran and committed.\n"
                  "# TYPE bylaw_timers_fired_total counter\nbylaw_timers_fired_total %llu\n"
                  "# HELP bylaw_timer_failures_total Deadlines whose handler failed (the timer is marked failed).\n"
                  "# TYPE bylaw_timer_failures_total counter\nbylaw_timer_failures_total %llu\n"
                  "# HELP bylaw_timer_lateness_max_seconds Latest a deadline fired after its due time.\n"
                  "# TYPE bylaw_timer_lateness_max_seconds gauge\nbylaw_timer_lateness_max_seconds %.3f\n",
                  (unsigned long long)m->timers_fired, (unsigned long long)m->timer_failures,
                  m->timer_late_max_ms / 1000);
    bl_buf_adds(&b, "# HELP bylaw_request_seconds Request latency.\n# TYPE bylaw_request_seconds histogram\n");
    unsigned long long cum = 0;
    for (size_t i = 0; i < NBUCKETS; i++) {
        cum += m->latency[i];
        bl_buf_printf(&b, "bylaw_request_seconds_bucket{le=\"%g\"} %llu\n", bucket_le[i], cum);
    }
    unsigned long long all = 0;
    for (int c = 1; c <= 5; c++)
        all += m->requests[c];
    bl_buf_printf(&b, "bylaw_request_seconds_bucket{le=\"+Inf\"} %llu\n", all);
    bl_buf_printf(&b, "bylaw_request_seconds_sum %.6f\nbylaw_request_seconds_count %llu\n", m->latency_sum, all);
    bl_buf_printf(&b,
                  "# HELP bylaw_loop_lag_seconds How late the event loop ran its 100 ms tick, last and max.\n"
                  "# TYPE bylaw_loop_lag_seconds gauge\nbylaw_loop_lag_seconds %.6f\n"
                  "bylaw_loop_lag_max_seconds %.6f\n",
                  m->loop_lag_ms / 1000, m->loop_lag_max_ms / 1000);
    return b.data;
}
