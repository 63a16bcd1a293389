/* repl_remote.c — `bylaw repl --connect`: the dot-commands as requests to a running service (libcurl).
 * libcurl is opened here, when --connect is given (dlopen), not linked: it brings some twenty shared
 * libraries whose loading every other command (each worker of the service, each `bylaw eval`) would pay. */
#include <curl/curl.h>
#include <dlfcn.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "repl.h"

#define LIBCURL "libcurl.so.4" /* Debian's libcurl4 */

/* The libcurl functions this file calls, looked up in LIBCURL by name (one table: the names are checked
 * against curl.h's declarations by the types below). */
static struct libcurl {
    void *lib;
    CURLcode (*global_init)(long);
    void (*global_cleanup)(void);
    CURL *(*easy_init)(void);
    void (*easy_reset)(CURL *);
    CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
    CURLcode (*easy_perform)(CURL *);
    CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
    const char *(*easy_strerror)(CURLcode);
    char *(*easy_escape)(CURL *, const char *, int);
    void (*free)(void *);
    void (*easy_cleanup)(CURL *);
    struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
    void (*slist_free_all)(struct curl_slist *);
} lc;

/* Opens LIBCURL and fills lc; on failure says why, naming the package. */
static int libcurl_open(bl_repl *r)
{
    if (lc.lib)
        return BL_OK;
    static const struct {
        const char *name;
        size_t off;
    } fns[] = {
#define FN(f) {"curl_" #f, offsetof(struct libcurl, f)}
        FN(global_init),  FN(global_cleanup), FN(easy_init),    FN(easy_reset),   FN(easy_setopt),
        FN(easy_perform), FN(easy_getinfo),   FN(easy_strerror), FN(easy_escape), FN(free),
        FN(easy_cleanup), FN(slist_append),   FN(slist_free_all),
#undef FN
    };
    void *lib = dlopen(LIBCURL, RTLD_NOW | RTLD_LOCAL);
    if (lib == NULL) {
        bl_repl_fail(r, "--connect needs libcurl (%s), which cannot be loaded: %s (Debian: apt-get install libcurl4)",
                     LIBCURL, dlerror());
        return BL_ERR;
    }
    for (size_t i = 0; i < sizeof fns / sizeof *fns; i++) {
        void *f = dlsym(lib, fns[i].name);
        if (f == NULL) {
            bl_repl_fail(r, "%s has no %s: a libcurl too old for bylaw", LIBCURL, fns[i].name);
            dlclose(lib);
            return BL_ERR;
        }
        memcpy((char *)&lc + fns[i].off, &f, sizeof f);
    }
    lc.lib = lib;
    return BL_OK;
}

#define CONNECT_TIMEOUT_S 10L
#define TIMEOUT_S 600L /* a clock move fires every deadline it passes before it answers */

static struct {
    CURL *curl;
    char *base; /* the URL, without a trailing slash */
    struct curl_slist *headers;
} svc;

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    bl_buf_add(ud, p, size * n);
    return size * n;
}

/* A path segment (or query value) escaped for a URL (malloc'd). */
static char *escaped(const char *s)
{
    char *e = lc.easy_escape(svc.curl, s, 0);
    char *copy = bl_strdupf("%s", e ? e : "");
    lc.free(e);
    return copy;
}

/* Sends method path with body (JSON text, or NULL). On a 2xx answer returns BL_OK with *answer (caller
 * deletes); otherwise reports what went wrong (the service's own words) and returns BL_ERR, or
 * BL_NOTFOUND on a 404 when quiet404 (the caller explains it). */
static int call(bl_repl *r, const char *method, const char *path, const char *body, int quiet404, cJSON **answer)
{
    CURL *c = svc.curl;
    bl_buf got = {0};
    char *url = bl_strdupf("%s%s", svc.base, path);
    *answer = NULL;
    lc.easy_reset(c);
    lc.easy_setopt(c, CURLOPT_URL, url);
    lc.easy_setopt(c, CURLOPT_HTTPHEADER, svc.headers);
    lc.easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    lc.easy_setopt(c, CURLOPT_WRITEDATA, &got);
    lc.easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    lc.easy_setopt(c, CURLOPT_CONNECTTIMEOUT, CONNECT_TIMEOUT_S);
    lc.easy_setopt(c, CURLOPT_TIMEOUT, TIMEOUT_S);
    if (strcmp(method, "GET") != 0) {
        lc.easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
        lc.easy_setopt(c, CURLOPT_POSTFIELDS, body ? body : "");
    }
    CURLcode rc = lc.easy_perform(c);
    long status = 0;
    lc.easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    free(url);
    if (rc != CURLE_OK) {
        bl_repl_fail(r, "cannot reach the service at %s: %s", svc.base, lc.easy_strerror(rc));
        bl_buf_free(&got);
        return BL_ERR;
    }
    char perr[200];
    cJSON *j = got.len ? bl_json_parse(got.data, got.len, perr, sizeof perr) : NULL;
    if (status == 404 && quiet404) {
        cJSON_Delete(j);
        bl_buf_free(&got);
        return BL_NOTFOUND;
    }
    int ok = status >= 200 && status < 300 && j != NULL;
    if (!ok) {
        const char *why = bl_json_str(j, "error");
        if (why)
            bl_repl_fail(r, "the service answered %ld: %s", status, why);
        else
            bl_repl_fail(r, "the service answered %ld with %s: %.120s", status, j ? "JSON without an error" : "no JSON",
                         got.data ? got.data : "(nothing)");
        cJSON_Delete(j);
        j = NULL;
    }
    bl_buf_free(&got);
    *answer = j;
    return ok ? BL_OK : BL_ERR;
}

static int usage(bl_repl *r, const char *u)
{
    bl_repl_fail(r, "usage: %s", u);
    return BL_ERR;
}

/* The record types of GET /policies' answer, sorted, as a JSON array of strings. */
static cJSON *types_of(const cJSON *policies)
{
    cJSON *types = cJSON_CreateArray(), *f, *p;
    cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(policies, "policies"))
    {
        cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(f, "policies"))
        {
            const char *t = bl_json_str(p, "type");
            int seen = 0;
            cJSON *q;
            cJSON_ArrayForEach(q, types) seen = seen || strcmp(q->valuestring, t ? t : "") == 0;
            if (t && !seen)
                cJSON_AddItemToArray(types, cJSON_CreateString(t));
        }
    }
    return types;
}

int bl_remote_open(bl_repl *r, const char *url, const char *token, cJSON **types)
{
    *types = NULL;
    if (libcurl_open(r) != BL_OK)
        return BL_ERR;
    lc.global_init(CURL_GLOBAL_DEFAULT);
    svc.curl = lc.easy_init();
    if (svc.curl == NULL) {
        bl_repl_fail(r, "cannot start libcurl");
        return BL_ERR;
    }
    svc.base = bl_strdupf("%s", url);
    size_t n = strlen(svc.base);
    while (n > 0 && svc.base[n - 1] == '/')
        svc.base[--n] = '\0';
    if (token) {
        char *h = bl_strdupf("Authorization: Bearer %s", token);
        svc.headers = lc.slist_append(svc.headers, h);
        free(h);
    }
    svc.headers = lc.slist_append(svc.headers, "Content-Type: application/json");
    cJSON *health = NULL, *policies = NULL;
    if (call(r, "GET", "/health", NULL, 0, &health) != BL_OK)
        return BL_ERR;
    cJSON_Delete(health);
    if (call(r, "GET", "/policies", NULL, 0, &policies) != BL_OK) /* the token: reader at least */
        return BL_ERR;
    *types = types_of(policies);
    cJSON_Delete(policies);
    return BL_OK;
}

void bl_remote_close(void)
{
    if (lc.lib == NULL)
        return;
    lc.slist_free_all(svc.headers);
    if (svc.curl)
        lc.easy_cleanup(svc.curl);
    free(svc.base);
    memset(&svc, 0, sizeof svc);
    lc.global_cleanup();
}

/* GET path, shown with the Lua half's fn under title. */
static int get_and_show(bl_repl *r, const char *path, const char *fn, const char *title)
{
    cJSON *a = NULL;
    if (call(r, "GET", path, NULL, 0, &a) != BL_OK)
        return BL_ERR;
    bl_repl_print(r, fn, a, title);
    cJSON_Delete(a);
    return BL_OK;
}

/* /records/TYPE/ID[suffix] for the words of args; NULL (reported) when they are not TYPE ID. */
static char *record_path(bl_repl *r, char *args, const char *suffix, const char *u, char *title, size_t tn)
{
    char *type = bl_repl_word(&args), *id = bl_repl_word(&args);
    if (type == NULL || id == NULL || *args) {
        usage(r, u);
        return NULL;
    }
    char *et = escaped(type), *ei = escaped(id);
    char *path = bl_strdupf("/records/%s/%s%s", et, ei, suffix);
    snprintf(title, tn, "%s/%s", type, id);
    free(et);
    free(ei);
    return path;
}

int bl_remote_get(bl_repl *r, char *args)
{
    char title[500], *path = record_path(r, args, "", ".get TYPE ID", title, sizeof title);
    int rc = path ? get_and_show(r, path, "record", title) : BL_ERR;
    free(path);
    return rc;
}

int bl_remote_explain(bl_repl *r, char *args)
{
    char title[500], *path = record_path(r, args, "/decisions", ".explain TYPE ID", title, sizeof title);
    int rc = path ? get_and_show(r, path, "decisions", title) : BL_ERR;
    free(path);
    return rc;
}

int bl_remote_find(bl_repl *r, char *args)
{
    const char *type;
    cJSON *filter, *f;
    if (bl_repl_find_args(r, args, &type, &filter) != BL_OK)
        return BL_ERR;
    char *et = escaped(type);
    bl_buf path = {0};
    bl_buf_printf(&path, "/records/%s?limit=100", et);
    free(et);
    cJSON_ArrayForEach(f, filter) /* the service reads ?field=value as a number, boolean or null if it is one */
    {
        char *v = cJSON_IsString(f) ? bl_strdupf("%s", f->valuestring)
                  : (cJSON_IsNumber(f) || cJSON_IsBool(f) || cJSON_IsNull(f)) ? bl_json_dump(f)
                                                                               : NULL;
        if (v == NULL) {
            bl_repl_fail(r, "the service filters on plain values: '%s' is a table", f->string);
            bl_buf_free(&path);
            cJSON_Delete(filter);
            return BL_ERR;
        }
        char *ek = escaped(f->string), *ev = escaped(v);
        bl_buf_printf(&path, "&%s=%s", ek, ev);
        free(ek);
        free(ev);
        free(v);
    }
    cJSON_Delete(filter);
    int rc = get_and_show(r, path.data, "records", type);
    bl_buf_free(&path);
    return rc;
}

int bl_remote_timers(bl_repl *r, char *args)
{
    char *type = bl_repl_word(&args), *id = bl_repl_word(&args);
    if (*args)
        return usage(r, ".timers [TYPE [ID]]");
    bl_buf path = {0};
    bl_buf_adds(&path, "/timers");
    const char *keys[] = {"type", "id"}, *vals[] = {type, id};
    for (int i = 0; i < 2 && vals[i]; i++) {
        char *e = escaped(vals[i]);
        bl_buf_printf(&path, "%c%s=%s", i ? '&' : '?', keys[i], e);
        free(e);
    }
    int rc = get_and_show(r, path.data, "timers", "");
    bl_buf_free(&path);
    return rc;
}

int bl_remote_types(bl_repl *r, char *args)
{
    (void)args;
    return get_and_show(r, "/policies", "types", NULL);
}

int bl_remote_put(bl_repl *r, char *args)
{
    const char *type, *id;
    cJSON *fields = bl_repl_put_args(r, args, &type, &id), *a = NULL;
    if (fields == NULL)
        return BL_ERR;
    char *et = escaped(type), *ei = escaped(id), *body = bl_json_dump(fields);
    char *path = bl_strdupf("/records/%s/%s", et, ei);
    char title[600];
    int rc = call(r, "PUT", path, body, 0, &a);
    if (rc == BL_OK) {
        snprintf(title, sizeof title, "%s/%s: stored as version %lld", type, id,
                 (long long)bl_json_num(a, "version", 0));
        bl_repl_print(r, "answer", a, title);
    }
    cJSON_Delete(a);
    cJSON_Delete(fields);
    free(et);
    free(ei);
    free(body);
    free(path);
    return rc;
}

static int real_clock(bl_repl *r)
{
    bl_repl_fail(r, "the service runs on the real clock: start it with --virtual-clock to move its clock from here");
    return BL_ERR;
}

int bl_remote_clock(bl_repl *r, char *args)
{
    while (*args == ' ')
        args++;
    cJSON *a = NULL;
    int rc;
    if (*args) {
        cJSON *b = cJSON_CreateObject();
        bl_json_add_str(b, "set", args);
        char *body = bl_json_dump(b);
        cJSON_Delete(b);
        rc = call(r, "POST", "/clock", body, 1, &a);
        free(body);
    } else {
        rc = call(r, "GET", "/clock", NULL, 1, &a);
    }
    if (rc == BL_NOTFOUND)
        return real_clock(r);
    if (rc == BL_OK) {
        if (r->json)
            bl_repl_print(r, "show", a, NULL);
        else
            printf("%s (the service's virtual clock)\n", bl_json_str(a, "now") ? bl_json_str(a, "now") : "?");
    }
    cJSON_Delete(a);
    return rc;
}

/* The decision the handler of timer t made: the newest of its record's with trigger timer:NAME. */
static cJSON *timer_decision(bl_repl *r, const cJSON *t)
{
    char *et = escaped(bl_json_str(t, "type")), *ei = escaped(bl_json_str(t, "id"));
    char *path = bl_strdupf("/records/%s/%s/decisions", et, ei), trigger[300];
    snprintf(trigger, sizeof trigger, "timer:%s", bl_json_str(t, "name"));
    cJSON *a = NULL, *d, *found = NULL;
    if (call(r, "GET", path, NULL, 0, &a) == BL_OK)
        cJSON_ArrayForEach(d, cJSON_GetObjectItemCaseSensitive(a, "decisions")) if (strcmp(
            bl_json_str(d, "trigger") ? bl_json_str(d, "trigger") : "", trigger) == 0) found = d;
    cJSON *copy = found ? cJSON_Duplicate(found, 1) : NULL;
    cJSON_Delete(a);
    free(et);
    free(ei);
    free(path);
    return copy;
}

/* .advance: POST /clock; what fired is what was pending before and is not after, each shown with the
 * decision its handler stored (the service's API has no list of what a clock move fired). */
int bl_remote_advance(bl_repl *r, char *args)
{
    while (*args == ' ')
        args++;
    if (*args == '\0')
        return usage(r, ".advance DURATION|next (\"2 working days\", \"3 hours\", next)");
    cJSON *before = NULL, *after = NULL, *moved = NULL;
    if (call(r, "GET", "/timers", NULL, 0, &before) != BL_OK)
        return BL_ERR;
    cJSON *b = cJSON_CreateObject();
    bl_json_add_str(b, "advance", args);
    char *body = bl_json_dump(b);
    cJSON_Delete(b);
    int rc = call(r, "POST", "/clock", body, 1, &moved);
    free(body);
    if (rc == BL_OK)
        rc = call(r, "GET", "/timers", NULL, 0, &after);
    if (rc == BL_OK) {
        cJSON *fired = cJSON_CreateArray(), *t, *u;
        cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(before, "timers"))
        {
            int still = 0;
            cJSON_ArrayForEach(u, cJSON_GetObjectItemCaseSensitive(after, "timers")) still =
                still || bl_json_num(u, "timer", -1) == bl_json_num(t, "timer", -2);
            if (still)
                continue;
            cJSON *item = cJSON_CreateObject(), *res = cJSON_CreateObject(), *ds = cJSON_CreateArray();
            cJSON *d = timer_decision(r, t);
            bl_json_add_str(item, "at", d ? bl_json_str(d, "at") : NULL);
            bl_json_add(item, "timer", cJSON_Duplicate(t, 1));
            if (d)
                cJSON_AddItemToArray(ds, d);
            bl_json_add(res, "decisions", ds);
            bl_json_add(item, "result", res);
            cJSON_AddItemToArray(fired, item);
        }
        cJSON *o = cJSON_CreateObject();
        bl_json_add_str(o, "now", bl_json_str(moved, "now"));
        bl_json_add(o, "fired", fired);
        if (cJSON_GetArraySize(fired) > 0 || r->json)
            bl_repl_print(r, "fired", o, NULL);
        if (!r->json)
            printf("the service's clock: %s (virtual); %d deadline%s fired\n", bl_json_str(moved, "now"),
                   (int)bl_json_num(moved, "fired", 0), bl_json_num(moved, "fired", 0) == 1 ? "" : "s");
        cJSON_Delete(o);
    } else if (rc == BL_NOTFOUND) {
        rc = real_clock(r);
    }
    cJSON_Delete(before);
    cJSON_Delete(after);
    cJSON_Delete(moved);
    return rc == BL_OK ? BL_OK : BL_ERR;
}
