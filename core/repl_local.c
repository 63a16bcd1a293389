/* repl_local.c — the dot-commands of a local `bylaw repl` session, on the engine in this process. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "lcalendar.h"
#include "repl.h"
#include "testrun.h"

#define FIND_LIMIT 100
#define TIMERS_LIMIT 1000

static int usage(bl_repl *r, const char *u)
{
    bl_repl_fail(r, "usage: %s", u);
    return BL_ERR;
}

/* Reports err (malloc'd; freed) as the line's failure. */
static int failed(bl_repl *r, char *err, const char *dflt)
{
    bl_repl_fail(r, "%s", err ? err : dflt);
    free(err);
    return BL_ERR;
}

static int store_failed(bl_repl *r) { return failed(r, NULL, bl_store_errmsg(r->s)); }

/* args without the blanks around it. */
static char *trim(char *args)
{
    while (*args == ' ' || *args == '\t')
        args++;
    size_t n = strlen(args);
    while (n > 0 && (args[n - 1] == ' ' || args[n - 1] == '\t' || args[n - 1] == '\n'))
        args[--n] = '\0';
    return args;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static int known_type(bl_repl *r, const char *type)
{
    if (bl_host_knows_type(r->h, type))
        return 1;
    cJSON *list = bl_host_policies(r->h), *p;
    int n = 0, k = cJSON_GetArraySize(list);
    const char **types = bl_xmalloc((size_t)(k > 0 ? k : 1) * sizeof *types);
    cJSON_ArrayForEach(p, list)
    {
        const char *t = bl_json_str(p, "type");
        int seen = 0;
        for (int i = 0; i < n && !seen; i++)
            seen = strcmp(types[i], t) == 0;
        if (!seen)
            types[n++] = t;
    }
    qsort(types, (size_t)n, sizeof *types, cmp_str);
    bl_buf b = {0};
    for (int i = 0; i < n; i++)
        bl_buf_printf(&b, "%s%s", i ? ", " : "", types[i]);
    bl_repl_fail(r, "no policy is bound to type '%s' (the types: %s)", type, n ? b.data : "none");
    bl_buf_free(&b);
    free(types);
    cJSON_Delete(list);
    return 0;
}

static const char *clock_text(char *buf) { return bl_time_format(bl_clock_now_ms(), buf); }

int bl_local_eval(bl_repl *r, char *args)
{
    char *type = bl_repl_word(&args);
    if (type == NULL || *args == '\0')
        return usage(r, ".eval TYPE {field = value, ...}");
    if (!known_type(r, type))
        return BL_ERR;
    cJSON *fields = bl_repl_fields(r, args), *out = NULL;
    if (fields == NULL)
        return BL_ERR;
    char *err = NULL;
    int rc = bl_host_eval(r->h, type, fields, &r->reader.r, &out, &err);
    cJSON_Delete(fields);
    if (rc != BL_OK)
        return failed(r, err, "the evaluation failed");
    char title[300];
    snprintf(title, sizeof title, "%s: evaluated, not stored", type);
    bl_repl_print(r, "answer", out, title);
    cJSON_Delete(out);
    return BL_OK;
}

int bl_local_put(bl_repl *r, char *args)
{
    const char *type, *id;
    cJSON *fields = bl_repl_put_args(r, args, &type, &id), *out = NULL;
    if (fields == NULL)
        return BL_ERR;
    char *err = NULL;
    int rc = bl_repl_register(r);
    if (rc == BL_OK)
        rc = bl_engine_put(r->h, r->s, type, id, fields, -1, "write", &out, &err);
    if (rc != BL_OK) {
        cJSON_Delete(fields);
        return err ? failed(r, err, NULL) : BL_ERR; /* bl_repl_register reports its own */
    }
    char title[600];
    snprintf(title, sizeof title, "%s/%s: stored as version %lld%s", type, id, (long long)bl_json_num(out, "version", 0),
             r->mode == BL_REPL_READ_ONLY ? " (in this session: .commit keeps it)"
             : r->mode == BL_REPL_MEMORY  ? " (in memory)"
                                          : "");
    cJSON_Delete(fields);
    r->dirty = 1;
    bl_repl_print(r, "answer", out, title);
    cJSON_Delete(out);
    return BL_OK;
}

/* TYPE ID of args; NULL (reported) when one is missing or more is given. */
static char *type_and_id(bl_repl *r, char **args, char **id, const char *u)
{
    char *type = bl_repl_word(args);
    *id = bl_repl_word(args);
    if (type == NULL || *id == NULL || **args) {
        usage(r, u);
        return NULL;
    }
    return type;
}

int bl_local_get(bl_repl *r, char *args)
{
    char *id, *type = type_and_id(r, &args, &id, ".get TYPE ID");
    if (type == NULL)
        return BL_ERR;
    bl_record rec = {0};
    int rc = bl_store_get(r->s, type, id, &rec);
    if (rc == BL_NOTFOUND) {
        bl_repl_fail(r, "no record %s/%s", type, id);
        return BL_ERR;
    }
    if (rc != BL_OK)
        return store_failed(r);
    cJSON *o = cJSON_CreateObject();
    char t[32], title[500];
    bl_json_add(o, "record", rec.fields);
    rec.fields = NULL;
    bl_json_add_num(o, "version", (double)rec.version);
    bl_json_add_str(o, "created", bl_time_format(rec.created_ms, t));
    bl_json_add_str(o, "updated", bl_time_format(rec.updated_ms, t));
    snprintf(title, sizeof title, "%s/%s", type, id);
    bl_repl_print(r, "record", o, title);
    cJSON_Delete(o);
    return BL_OK;
}

int bl_local_find(bl_repl *r, char *args)
{
    const char *type;
    cJSON *filter, *items = NULL;
    if (bl_repl_find_args(r, args, &type, &filter) != BL_OK)
        return BL_ERR;
    int rc = bl_store_find(r->s, type, filter, NULL, FIND_LIMIT + 1, &items);
    cJSON_Delete(filter);
    if (rc != BL_OK)
        return store_failed(r);
    cJSON *o = cJSON_CreateObject();
    const char *next = NULL;
    if (cJSON_GetArraySize(items) > FIND_LIMIT) {
        cJSON_DeleteItemFromArray(items, FIND_LIMIT);
        next = bl_json_str(cJSON_GetArrayItem(items, FIND_LIMIT - 1), "id");
    }
    bl_json_add(o, "records", items);
    bl_json_add_str(o, "next", next);
    bl_repl_print(r, "records", o, type);
    cJSON_Delete(o);
    return BL_OK;
}

int bl_local_explain(bl_repl *r, char *args)
{
    char *id, *type = type_and_id(r, &args, &id, ".explain TYPE ID");
    if (type == NULL)
        return BL_ERR;
    cJSON *list = NULL;
    if (bl_store_decisions(r->s, type, id, &list) != BL_OK)
        return store_failed(r);
    bl_record probe = {0};
    if (cJSON_GetArraySize(list) == 0 && bl_store_get(r->s, type, id, &probe) == BL_NOTFOUND) {
        cJSON_Delete(list);
        bl_repl_fail(r, "no record %s/%s", type, id);
        return BL_ERR;
    }
    bl_record_clear(&probe);
    cJSON *o = cJSON_CreateObject();
    bl_json_add(o, "decisions", list);
    char title[500];
    snprintf(title, sizeof title, "%s/%s", type, id);
    bl_repl_print(r, "decisions", o, title);
    cJSON_Delete(o);
    return BL_OK;
}

int bl_local_timers(bl_repl *r, char *args)
{
    char *type = bl_repl_word(&args), *id = bl_repl_word(&args), t[32];
    if (*args)
        return usage(r, ".timers [TYPE [ID]]");
    cJSON *list = NULL;
    if (bl_store_timers(r->s, type, id, -1, TIMERS_LIMIT, &list) != BL_OK)
        return store_failed(r);
    cJSON *o = cJSON_CreateObject();
    bl_json_add(o, "timers", list);
    bl_repl_print(r, "timers", o, clock_text(t));
    cJSON_Delete(o);
    return BL_OK;
}

/* .advance: each deadline that fires, with what its handler decided or why it failed. */
typedef struct fired_list {
    cJSON *items;
    int failed;
} fired_list;

static void on_fired(void *ud, const cJSON *timer, const cJSON *res, const char *err)
{
    fired_list *f = ud;
    cJSON *o = cJSON_CreateObject();
    char at[32];
    bl_json_add_str(o, "at", clock_text(at)); /* the engine fires each deadline at its due time */
    bl_json_add(o, "timer", cJSON_Duplicate(timer, 1));
    if (res) {
        bl_json_add(o, "result", cJSON_Duplicate(res, 1));
    } else {
        bl_json_add_str(o, "error", err);
        f->failed++;
    }
    cJSON_AddItemToArray(f->items, o);
}

int bl_local_advance(bl_repl *r, char *args)
{
    args = trim(args);
    if (*args == '\0')
        return usage(r, ".advance DURATION|next (\"2 working days\", \"3 hours\", next)");
    char t[32];
    if (!bl_clock_is_virtual()) {
        bl_clock_set_virtual(bl_clock_real_ms());
        printf("the clock is virtual from now on, starting at the current time, %s\n", clock_text(t));
    }
    int64_t target;
    char *err = NULL;
    int rc = bl_engine_advance_target(r->s, bl_calendar_get(r->L, NULL), args, bl_clock_now_ms(), &target, &err);
    if (rc == BL_NOTFOUND) {
        printf("no deadline is pending: the clock stays at %s\n", clock_text(t));
        return BL_OK;
    }
    if (rc != BL_OK)
        return failed(r, err, bl_store_errmsg(r->s));
    if (bl_repl_register(r) != BL_OK)
        return BL_ERR;
    fired_list f = {cJSON_CreateArray(), 0};
    bl_fire_watch watch = {on_fired, &f};
    int fired = 0;
    rc = bl_engine_advance(r->h, r->s, target, &watch, &fired, &err);
    int n = cJSON_GetArraySize(f.items);
    cJSON *o = cJSON_CreateObject();
    bl_json_add_str(o, "now", clock_text(t));
    bl_json_add(o, "fired", f.items);
    if (n > 0 || r->json)
        bl_repl_print(r, "fired", o, NULL);
    cJSON_Delete(o);
    if (!r->json)
        printf("the clock: %s (virtual); %d deadline%s fired\n", clock_text(t), n, n == 1 ? "" : "s");
    if (n > 0)
        r->dirty = 1;
    if (rc != BL_OK)
        return failed(r, err, "the clock could not move");
    free(err); /* a handler's failure: shown with its deadline */
    if (f.failed) {
        bl_repl_fail(r, "%d deadline handler%s failed (%s marked failed)", f.failed, f.failed == 1 ? "" : "s",
                     f.failed == 1 ? "that deadline is" : "those deadlines are");
        return BL_ERR;
    }
    return BL_OK;
}

int bl_local_clock(bl_repl *r, char *args)
{
    args = trim(args);
    char t[32];
    if (*args) {
        int64_t at;
        char *err = NULL;
        if (bl_cal_time_parse(bl_calendar_get(r->L, NULL), args, &at, &err) != BL_OK)
            return failed(r, err, "not a time");
        bl_clock_set_virtual(at);
        printf("the clock is virtual, set to %s (nothing fired: .advance fires the deadlines it passes)\n",
               clock_text(t));
        return BL_OK;
    }
    printf("%s (%s)\n", clock_text(t),
           bl_clock_is_virtual() ? "virtual: .advance moves it" : "the real time: .advance starts a virtual clock here");
    return BL_OK;
}

int bl_local_types(bl_repl *r, char *args)
{
    (void)args;
    cJSON *list = r->json ? bl_host_policies(r->h) : NULL;
    bl_repl_print(r, "types", list, NULL);
    cJSON_Delete(list);
    return BL_OK;
}

int bl_local_reload(bl_repl *r, char *args)
{
    (void)args;
    return bl_repl_load(r);
}

int bl_local_test(bl_repl *r, char *args)
{
    args = trim(args);
    const char *only = *args ? args : NULL;
    int was_virtual = bl_clock_is_virtual(), passed = 0, failed_n = 0;
    int64_t at = bl_clock_now_ms();
    fflush(stdout);
    int rc = bl_test_run(r->o->cfg.policy_dir, only, &r->o->cfg, stdout, &passed, &failed_n);
    if (was_virtual) /* each test ran on a clock of its own */
        bl_clock_set_virtual(at);
    else
        bl_clock_set_real();
    if (rc != BL_OK) {
        bl_repl_fail(r, "cannot run the tests of %s", r->o->cfg.policy_dir);
        return BL_ERR;
    }
    printf("%d passed, %d failed\n", passed, failed_n);
    if (passed + failed_n == 0) {
        if (only)
            bl_repl_fail(r, "no test name contains '%s'", only);
        else
            bl_repl_fail(r, "no tests: no *_test.lua files under %s", r->o->cfg.policy_dir);
        return BL_ERR;
    }
    if (failed_n) {
        bl_repl_fail(r, "%d test%s failed", failed_n, failed_n == 1 ? "" : "s");
        return BL_ERR;
    }
    return BL_OK;
}
