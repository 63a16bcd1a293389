/* testreport.c — how `bylaw test` shows its results: text (the failures, or with -v every test and its
 * time, each with what it printed; the coverage table; the closing 'N passed, N failed'), or one JSON
 * document for CI. The runner (testrun.c) hands it results as they come. */
#include "testreport.h"

#include <stdlib.h>
#include <string.h>

struct bl_reporter {
    FILE *out;
    int verbose, json;
    char *file;  /* the test file running now */
    int named;   /* its name is printed */
    cJSON *doc, *files, *tests; /* JSON: the document, its files, the tests of the file running now */
};

bl_reporter *bl_reporter_new(FILE *out, int verbose, int json)
{
    bl_reporter *r = calloc(1, sizeof *r);
    r->out = out;
    r->verbose = verbose;
    r->json = json;
    if (json) {
        r->doc = cJSON_CreateObject();
        r->files = cJSON_AddArrayToObject(r->doc, "files");
    }
    return r;
}

void bl_reporter_free(bl_reporter *r)
{
    if (r == NULL)
        return;
    free(r->file);
    cJSON_Delete(r->doc);
    free(r);
}

void bl_report_file(bl_reporter *r, const char *file)
{
    free(r->file);
    r->file = bl_strdupf("%s", file);
    r->named = 0;
    if (r->json) {
        cJSON *f = cJSON_CreateObject();
        bl_json_add_str(f, "file", file);
        r->tests = cJSON_AddArrayToObject(f, "tests");
        cJSON_AddItemToArray(r->files, f);
    }
}

/* The file's name, once, before the first line about it. */
static void name_file(bl_reporter *r)
{
    if (!r->named)
        fprintf(r->out, "%s\n", r->file);
    r->named = 1;
}

/* Writes text with each line indented by `indent` spaces. */
static void put_indented(FILE *out, const char *text, int indent)
{
    for (const char *p = text; *p;) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        fprintf(out, "%*s%.*s\n", indent, "", (int)n, p);
        p += n + (nl != NULL);
    }
}

static void put_output(FILE *out, const char *output)
{
    if (output == NULL || *output == '\0')
        return;
    fprintf(out, "        output:\n");
    put_indented(out, output, 10);
}

static void put_time(FILE *out, double ms)
{
    if (ms < 1)
        fprintf(out, " (%.2f ms)", ms);
    else if (ms < 10)
        fprintf(out, " (%.1f ms)", ms);
    else if (ms < 10000)
        fprintf(out, " (%.0f ms)", ms);
    else
        fprintf(out, " (%.1f s)", ms / 1000);
}

void bl_report_case(bl_reporter *r, const bl_test_case *t)
{
    if (r->json) {
        cJSON *o = cJSON_CreateObject();
        bl_json_add_str(o, "name", t->name);
        bl_json_add_num(o, "line", t->line);
        bl_json_add_str(o, "status", t->ok ? "pass" : "fail");
        bl_json_add_num(o, "time_ms", t->ms);
        bl_json_add_str(o, "message", t->ok ? NULL : t->message);
        bl_json_add_str(o, "output", t->output ? t->output : "");
        cJSON_AddItemToArray(r->tests, o);
        return;
    }
    if (t->ok && !r->verbose)
        return;
    name_file(r);
    if (t->ok) {
        fprintf(r->out, "  ok    %s", t->name);
        put_time(r->out, t->ms);
        fputc('\n', r->out);
    } else {
        fprintf(r->out, "  FAIL  %s (%s:%d)", t->name, r->file, t->line);
        if (r->verbose)
            put_time(r->out, t->ms);
        fputc('\n', r->out);
        put_indented(r->out, t->message ? t->message : "failed", 8);
    }
    put_output(r->out, t->output);
}

void bl_report_file_error(bl_reporter *r, const char *message, const char *output)
{
    if (r->json) {
        cJSON *f = cJSON_GetArrayItem(r->files, cJSON_GetArraySize(r->files) - 1);
        bl_json_add_str(f, "error", message);
        bl_json_add_str(f, "output", output ? output : "");
        return;
    }
    name_file(r);
    fprintf(r->out, "  FAIL  ");
    size_t n = strlen(message);
    while (n > 0 && message[n - 1] == '\n')
        n--;
    const char *nl = memchr(message, '\n', n);
    size_t first = nl ? (size_t)(nl - message) : n;
    fprintf(r->out, "%.*s\n", (int)first, message);
    if (nl) {
        char *rest = bl_strdupf("%.*s", (int)(n - first - 1), nl + 1);
        put_indented(r->out, rest, 8);
        free(rest);
    }
    put_output(r->out, output);
}

void bl_report_file_output(bl_reporter *r, const char *output)
{
    if (output == NULL || *output == '\0')
        return;
    if (r->json) {
        cJSON *f = cJSON_GetArrayItem(r->files, cJSON_GetArraySize(r->files) - 1);
        bl_json_add_str(f, "output", output);
        return;
    }
    if (!r->verbose)
        return;
    name_file(r);
    fprintf(r->out, "  the file's top level printed:\n");
    put_indented(r->out, output, 10);
}

/* "12, 40-41, 57" from a sorted array of line numbers. */
static void put_ranges(FILE *out, const cJSON *lines)
{
    int n = cJSON_GetArraySize(lines), shown = 0;
    for (int i = 0; i < n;) {
        int a = (int)cJSON_GetArrayItem(lines, i)->valuedouble, b = a, j = i + 1;
        while (j < n && (int)cJSON_GetArrayItem(lines, j)->valuedouble == b + 1)
            b++, j++;
        if (shown++ == 12) {
            fprintf(out, ", ...");
            return;
        }
        fprintf(out, "%s%d", i ? ", " : "", a);
        if (b > a)
            fprintf(out, "-%d", b);
        i = j;
    }
}

static void put_coverage(FILE *out, const cJSON *cov)
{
    const cJSON *files = cJSON_GetObjectItemCaseSensitive(cov, "files"), *f;
    int w = 5;
    cJSON_ArrayForEach(f, files)
    {
        int n = (int)strlen(bl_json_str(f, "file"));
        w = n > w ? n : w;
    }
    fprintf(out, "coverage: the lines of the policy files the tests ran (of the lines that hold code)\n");
    char frac[32];
    cJSON_ArrayForEach(f, files)
    {
        snprintf(frac, sizeof frac, "%d/%d", (int)bl_json_num(f, "covered", 0), (int)bl_json_num(f, "lines", 0));
        fprintf(out, "  %-*s %6.1f%%  %9s", w, bl_json_str(f, "file"), bl_json_num(f, "percent", 0), frac);
        const cJSON *missed = cJSON_GetObjectItemCaseSensitive(f, "missed");
        if (bl_json_str(f, "error"))
            fprintf(out, "  not counted: %s", bl_json_str(f, "error"));
        else if (cJSON_GetArraySize(missed) > 0) {
            fprintf(out, "  not run: ");
            put_ranges(out, missed);
        }
        fputc('\n', out);
    }
    snprintf(frac, sizeof frac, "%d/%d", (int)bl_json_num(cov, "covered", 0), (int)bl_json_num(cov, "lines", 0));
    fprintf(out, "  %-*s %6.1f%%  %9s\n", w, "total", bl_json_num(cov, "percent", 0), frac);
}

void bl_report_end(bl_reporter *r, const bl_test_summary *s, const cJSON *coverage)
{
    if (r->json) {
        cJSON *sum = cJSON_AddObjectToObject(r->doc, "summary");
        bl_json_add_num(sum, "passed", s->passed);
        bl_json_add_num(sum, "failed", s->failed);
        bl_json_add_num(sum, "files", cJSON_GetArraySize(r->files));
        bl_json_add_num(sum, "time_ms", s->ms);
        if (coverage) {
            cJSON *c = cJSON_Duplicate(coverage, 1);
            if (s->threshold >= 0) {
                bl_json_add_num(c, "threshold", s->threshold);
                cJSON_AddBoolToObject(c, "below_threshold", s->below_threshold);
            }
            cJSON_AddItemToObject(r->doc, "coverage", c);
        }
        char *text = cJSON_PrintUnformatted(r->doc);
        fprintf(r->out, "%s\n", text);
        free(text);
        return;
    }
    if (coverage)
        put_coverage(r->out, coverage);
    if (s->below_threshold)
        fprintf(r->out, "coverage %.1f%% is below the threshold of %g%% (--threshold)\n",
                bl_json_num(coverage, "percent", 0), s->threshold);
    fprintf(r->out, "%d passed, %d failed\n", s->passed, s->failed);
}
