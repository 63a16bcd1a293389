/* test_router.c — the route table's dispatcher without a server: matching and segments, 404, 405 with
 * Allow, optional routes, roles with tokens and in open mode, query names and bytes, path limits, and the
 * flush before a route that reads, called exactly when the route is flagged. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "router.h"

/* A request of the test's own: headers and query as pairs. */
typedef struct fake {
    bl_req req;
    const char *headers[8][2];
    const char *query[40][2];
    int nquery;
} fake;
_Static_assert(offsetof(fake, req) == 0, "the request is the first member");

static const char *f_header(const bl_req *r, const char *name)
{
    const fake *f = (const fake *)r;
    for (int i = 0; i < 8 && f->headers[i][0]; i++)
        if (strcasecmp(f->headers[i][0], name) == 0)
            return f->headers[i][1];
    return NULL;
}

static const char *f_query(const bl_req *r, const char *name)
{
    const fake *f = (const fake *)r;
    for (int i = 0; i < f->nquery; i++)
        if (strcmp(f->query[i][0], name) == 0)
            return f->query[i][1];
    return NULL;
}

static void f_each(const bl_req *r, void (*cb)(void *, const char *, const char *), void *ud)
{
    const fake *f = (const fake *)r;
    for (int i = 0; i < f->nquery; i++)
        cb(ud, f->query[i][0], f->query[i][1]);
}

static fake request(const char *method, const char *path)
{
    fake f = {.req = {.method = method, .path = path, .query = f_query, .header = f_header, .each_query = f_each,
                      .loopback = 1, .peer = "127.0.0.1", .raw_query = ""}};
    return f;
}

static void header(fake *f, const char *name, const char *value)
{
    int i = 0;
    while (f->headers[i][0])
        i++;
    f->headers[i][0] = name;
    f->headers[i][1] = value;
}

static void arg(fake *f, const char *name, const char *value)
{
    f->query[f->nquery][0] = name;
    f->query[f->nquery++][1] = value;
}

/* What the handlers saw. */
typedef struct seen {
    const char *handler;
    char seg[BL_ROUTER_MAX_SEGS][64];
    int nseg;
    int flushes_before; /* flushes counted when the handler ran */
    bl_role role;
    const char *who;
    char after[32];
} seen;

static seen last;
static int flushes;

static void record(const char *name, const bl_match *m, bl_resp *resp)
{
    last.handler = name;
    last.nseg = m->nseg;
    for (int i = 0; i < m->nseg; i++)
        snprintf(last.seg[i], sizeof last.seg[i], "%s", m->seg[i]);
    last.flushes_before = flushes;
    last.role = m->role;
    last.who = m->who;
    const char *a = bl_router_arg(m, "after");
    snprintf(last.after, sizeof last.after, "%s", a ? a : "-");
    resp->status = 200;
}

#define HANDLER(name)                                                                                               \
    static void name(void *ud, const bl_req *req, const bl_match *m, bl_resp *resp) { record(#name, m, resp); }
HANDLER(h_health)
HANDLER(h_list)
HANDLER(h_post)
HANDLER(h_history)
HANDLER(h_put)
HANDLER(h_delete)
HANDLER(h_get)
HANDLER(h_events)
HANDLER(h_clock)
HANDLER(h_import)

static const bl_route routes[] = {
    {"GET", "/health", BL_ROLE_NONE, 0, NULL, h_health},
    {"GET", "/records/{type}", BL_ROLE_READER, BL_ROUTE_READS | BL_ROUTE_FIELDS, "limit after", h_list},
    {"POST", "/records/{type}:import", BL_ROLE_WRITER, 0, NULL, h_import},
    {"POST", "/records/{type}", BL_ROLE_WRITER, 0, NULL, h_post},
    {"GET", "/records/{type}/{id}/history", BL_ROLE_READER, BL_ROUTE_READS, NULL, h_history},
    {"PUT", "/records/{type}/{id}", BL_ROLE_WRITER, 0, NULL, h_put},
    {"DELETE", "/records/{type}/{id}", BL_ROLE_ADMIN, 0, NULL, h_delete},
    {"GET", "/records/{type}/{id}", BL_ROLE_READER, BL_ROUTE_READS, NULL, h_get},
    {"GET", "/events", BL_ROLE_READER, BL_ROUTE_READS, "after wait", h_events},
    {"POST", "/clock", BL_ROLE_ADMIN, BL_ROUTE_OPTIONAL, NULL, h_clock},
};

static int short_name(const char *s) { return strlen(s) <= 8; }

static const bl_seg_kind kinds[] = {
    {"type", "record type", short_name, "at most 8 bytes"},
};

static const struct {
    const char *token;
    bl_role role;
} tokens[] = {{"admin-token-1", BL_ROLE_ADMIN}, {"writer-token-1", BL_ROLE_WRITER}, {"reader-token-1", BL_ROLE_READER}};

/* The service's bl_config_role, in small: the role of a known token and its name. */
static bl_role role_of(void *ud, const bl_req *req, const char *token, const char **name)
{
    for (size_t i = 0; i < sizeof tokens / sizeof *tokens; i++)
        if (bl_router_token_equal(token, tokens[i].token)) {
            *name = tokens[i].token;
            return tokens[i].role;
        }
    return BL_ROLE_NONE;
}

static void on_flush(void *ud) { flushes++; }

static bl_router router(int ntokens, int present)
{
    bl_router r = {.routes = routes, .nroutes = (int)(sizeof routes / sizeof *routes), .kinds = kinds, .nkinds = 1,
                   .ntokens = ntokens, .role_of = role_of, .present = present, .flush = on_flush};
    return r;
}

/* Dispatches f; returns the status; the body's error (or "") into err. */
static int run(const bl_router *r, fake *f, bl_resp *resp, char *err, size_t n)
{
    memset(&last, 0, sizeof last);
    flushes = 0;
    bl_router_dispatch(r, &f->req, resp);
    cJSON *j = resp->body ? cJSON_Parse(resp->body) : NULL;
    const char *e = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "error"));
    snprintf(err, n, "%s", e ? e : "");
    if (resp->body)
        assert_non_null(e); /* every answer the router writes is {"error": ...} */
    cJSON_Delete(j);
    free(resp->body);
    resp->body = NULL;
    return resp->status;
}

static int status_of(const bl_router *r, fake f)
{
    bl_resp resp;
    char err[400];
    return run(r, &f, &resp, err, sizeof err);
}

static void test_match_and_segments(void **state)
{
    bl_router r = router(0, 0);
    fake f = request("GET", "/records/client/c 1/history");
    bl_resp resp;
    char err[400];
    assert_int_equal(run(&r, &f, &resp, err, sizeof err), 200);
    assert_string_equal(last.handler, "h_history");
    assert_int_equal(last.nseg, 2);
    assert_string_equal(last.seg[0], "client");
    assert_string_equal(last.seg[1], "c 1");
    f = request("GET", "//records//client/c1/");
    assert_int_equal(run(&r, &f, &resp, err, sizeof err), 200); /* empty segments do not count */
    assert_string_equal(last.handler, "h_get");
    assert_string_equal(last.seg[1], "c1");
    f = request("POST", "/records/client");
    assert_int_equal(run(&r, &f, &resp, err, sizeof err), 200);
    assert_string_equal(last.handler, "h_post");
}

/* A {kind} with a literal after it in its segment: the segment must end so, the handler gets the rest. */
static void test_segment_suffix(void **state)
{
    bl_router r = router(0, 0);
    fake f = request("POST", "/records/client:import");
    bl_resp resp;
    char err[400];
    assert_int_equal(run(&r, &f, &resp, err, sizeof err), 200);
    assert_string_equal(last.handler, "h_import");
    assert_string_equal(last.seg[0], "client");
    f = request("POST", "/records/client");
    assert_int_equal(run(&r, &f, &resp, err, sizeof err), 200);
    assert_string_equal(last.handler, "h_post");
    f = request("POST", "/records/:import"); /* nothing before the literal: the plain route, and its check */
    assert_int_equal(run(&r, &f, &resp, err, sizeof err), 200);
    assert_string_equal(last.handler, "h_post");
    assert_string_equal(last.seg[0], ":import");
    f = request("POST", "/records/toolongname:import"); /* the part before the literal is checked */
    assert_int_equal(run(&r, &f, &resp, err, sizeof err), 400);
    assert_non_null(strstr(err, "'toolongname' is not a record type"));
    f = request("GET", "/records/client:import"); /* GET takes it as a type, as it was: not one */
    assert_int_equal(run(&r, &f, &resp, err, sizeof err), 400);
    assert_non_null(strstr(err, "'client:import' is not a record type"));
}

static void test_not_found(void **state)
{
    bl_router r = router(0, 0);
    assert_int_equal(status_of(&r, request("GET", "/nope")), 404);
    assert_int_equal(status_of(&r, request("GET", "/records")), 404);
    assert_int_equal(status_of(&r, request("GET", "/records/client/c1/history/more")), 404);
    assert_int_equal(status_of(&r, request("GET", "/a/b/c/d/e/f/g/h/i")), 404); /* more segments than any route */
    assert_int_equal(status_of(&r, request("GET", "/")), 404);
    assert_null(last.handler);
}

static void test_method_not_allowed_says_allow(void **state)
{
    bl_router r = router(0, 0);
    bl_resp resp;
    char err[400];
    fake f = request("PATCH", "/records/client/c1");
    assert_int_equal(run(&r, &f, &resp, err, sizeof err), 405);
    assert_string_equal(resp.extra_header, "Allow");
    assert_string_equal(resp.extra_value, "PUT, DELETE, GET"); /* from the table, in its order */
    assert_non_null(strstr(err, "PATCH"));
    f = request("DELETE", "/events");
    assert_int_equal(run(&r, &f, &resp, err, sizeof err), 405);
    assert_string_equal(resp.extra_value, "GET");
    f = request("DELETE", "/records/client");
    assert_int_equal(run(&r, &f, &resp, err, sizeof err), 405);
    assert_string_equal(resp.extra_value, "GET, POST");
    assert_null(last.handler);
    assert_int_equal(flushes, 0);
}

static void test_optional_routes(void **state)
{
    bl_router absent = router(0, 0), present = router(0, 1);
    assert_int_equal(status_of(&absent, request("POST", "/clock")), 404);
    assert_int_equal(status_of(&present, request("POST", "/clock")), 200);
    assert_string_equal(last.handler, "h_clock");
    assert_int_equal(status_of(&present, request("GET", "/clock")), 405);
}

static void test_roles_with_tokens(void **state)
{
    bl_router r = router(3, 0);
    bl_resp resp;
    char err[400];
    fake f = request("GET", "/records/client/c1");
    assert_int_equal(run(&r, &f, &resp, err, sizeof err), 401);
    assert_string_equal(resp.extra_header, "WWW-Authenticate");
    assert_non_null(strstr(err, "Bearer"));
    const struct {
        const char *method, *auth;
        int status;
    } cases[] = {
        {"GET", "Bearer reader-token-1", 200},     {"GET", "bearer reader-token-1", 200},
        {"GET", "BEARER \treader-token-1", 200},   {"GET", "Basic cmVhZGVy", 401},
        {"GET", "Bearer reader-token-", 401},      {"GET", "Bearer reader-token-12", 401},
        {"GET", "Bearerreader-token-1", 401},      {"GET", "Bearer ", 401},
        {"PUT", "Bearer reader-token-1", 403},     {"PUT", "Bearer writer-token-1", 200},
        {"DELETE", "Bearer writer-token-1", 403},  {"DELETE", "Bearer admin-token-1", 200},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        f = request(cases[i].method, "/records/client/c1");
        header(&f, "Authorization", cases[i].auth);
        int status = run(&r, &f, &resp, err, sizeof err);
        if (status != cases[i].status)
            fail_msg("%s with '%s': %d, expected %d (%s)", cases[i].method, cases[i].auth, status, cases[i].status,
                     err);
    }
    f = request("GET", "/records/client/c1");
    header(&f, "Authorization", "Bearer writer-token-1");
    assert_int_equal(run(&r, &f, &resp, err, sizeof err), 200);
    assert_int_equal(last.role, BL_ROLE_WRITER);
    assert_string_equal(last.who, "writer-token-1");
    f = request("PUT", "/records/client/c1");
    header(&f, "Authorization", "Bearer reader-token-1");
    assert_int_equal(run(&r, &f, &resp, err, sizeof err), 403);
    assert_non_null(strstr(err, "writer role"));
    /* an open route needs no token, from anywhere; a proxy header changes nothing with tokens */
    f = request("GET", "/health");
    f.req.loopback = 0;
    assert_int_equal(run(&r, &f, &resp, err, sizeof err), 200);
    assert_int_equal(last.role, BL_ROLE_NONE);
    f = request("GET", "/events");
    header(&f, "Authorization", "Bearer reader-token-1");
    header(&f, "X-Forwarded-For", "10.1.2.3");
    f.req.loopback = 0;
    assert_int_equal(run(&r, &f, &resp, err, sizeof err), 200);
}

static void test_open_mode(void **state)
{
    bl_router r = router(0, 0);
    bl_resp resp;
    char err[400];
    fake f = request("DELETE", "/records/client/c1");
    assert_int_equal(run(&r, &f, &resp, err, sizeof err), 200); /* loopback: every role */
    assert_int_equal(last.role, BL_ROLE_ADMIN);
    assert_null(last.who);
    f.req.loopback = 0;
    assert_int_equal(run(&r, &f, &resp, err, sizeof err), 403);
    assert_non_null(strstr(err, "loopback"));
    static const char *const proxies[] = {"Forwarded", "X-Forwarded-For", "X-Real-IP"};
    for (int i = 0; i < 3; i++) {
        f = request("GET", "/records/client/c1");
        header(&f, proxies[i], "for=10.1.2.3");
        assert_int_equal(run(&r, &f, &resp, err, sizeof err), 403);
        assert_non_null(strstr(err, proxies[i]));
    }
    f = request("GET", "/health");
    f.req.loopback = 0;
    assert_int_equal(run(&r, &f, &resp, err, sizeof err), 200);
}

static void test_flush_exactly_when_flagged(void **state)
{
    bl_router r = router(3, 1);
    const struct {
        const char *method, *path, *auth;
        int flushed;
    } cases[] = {
        {"GET", "/records/client/c1", "Bearer reader-token-1", 1},
        {"GET", "/records/client", "Bearer reader-token-1", 1},
        {"GET", "/records/client/c1/history", "Bearer reader-token-1", 1},
        {"GET", "/events", "Bearer reader-token-1", 1},
        {"PUT", "/records/client/c1", "Bearer admin-token-1", 0},
        {"POST", "/records/client", "Bearer admin-token-1", 0},
        {"POST", "/clock", "Bearer admin-token-1", 0},
        {"GET", "/health", NULL, 0},
        /* refused before the handler: never flushed */
        {"GET", "/records/client/c1", NULL, 0},
        {"PATCH", "/records/client/c1", "Bearer admin-token-1", 0},
        {"GET", "/nope", "Bearer admin-token-1", 0},
        {"GET", "/records/longer-than-8/c1", "Bearer admin-token-1", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        fake f = request(cases[i].method, cases[i].path);
        if (cases[i].auth)
            header(&f, "Authorization", cases[i].auth);
        int status = status_of(&r, f);
        if (flushes != cases[i].flushed)
            fail_msg("%s %s: %d flushes, expected %d", cases[i].method, cases[i].path, flushes, cases[i].flushed);
        if (status == 200 && last.flushes_before != cases[i].flushed)
            fail_msg("%s %s: the flush came after the handler", cases[i].method, cases[i].path);
    }
    r.flush = NULL; /* no flush callback: reads go on */
    fake f = request("GET", "/events");
    header(&f, "Authorization", "Bearer reader-token-1");
    assert_int_equal(status_of(&r, f), 200);
}

static void test_query_names_and_bytes(void **state)
{
    bl_router r = router(0, 0);
    bl_resp resp;
    char err[400];
    fake f = request("GET", "/events");
    arg(&f, "after", "5");
    arg(&f, "wait", "1");
    assert_int_equal(run(&r, &f, &resp, err, sizeof err), 200);
    assert_string_equal(last.after, "5");
    arg(&f, "sort", "x");
    assert_int_equal(run(&r, &f, &resp, err, sizeof err), 400);
    assert_non_null(strstr(err, "'sort'"));
    assert_non_null(strstr(err, "after, wait"));
    f = request("GET", "/events");
    arg(&f, "After", "5"); /* names are exact */
    assert_int_equal(run(&r, &f, &resp, err, sizeof err), 400);
    f = request("GET", "/health");
    arg(&f, "x", "");
    assert_int_equal(run(&r, &f, &resp, err, sizeof err), 400);
    assert_non_null(strstr(err, "takes none"));

    f = request("GET", "/records/client"); /* a FIELDS route: other names are the handler's */
    arg(&f, "grade", "gold");
    arg(&f, "revenue>", "5");
    assert_int_equal(run(&r, &f, &resp, err, sizeof err), 200);
    arg(&f, "grade", "vip");
    assert_int_equal(run(&r, &f, &resp, err, sizeof err), 400);
    assert_non_null(strstr(err, "'grade' is given twice"));

    f = request("GET", "/records/client");
    arg(&f, "grade", "go\nld");
    assert_int_equal(run(&r, &f, &resp, err, sizeof err), 400);
    assert_non_null(strstr(err, "'grade' holds a control character (byte 0x0a)"));
    f = request("GET", "/records/client");
    arg(&f, "gr\x7f" "ade", "gold");
    assert_int_equal(run(&r, &f, &resp, err, sizeof err), 400);
    assert_non_null(strstr(err, "name"));
    f = request("GET", "/records/client");
    f.req.raw_query = "limit=5&grade=go%00ld";
    arg(&f, "limit", "5");
    arg(&f, "grade", "go");
    assert_int_equal(run(&r, &f, &resp, err, sizeof err), 400);
    assert_non_null(strstr(err, "'grade' holds a control character (NUL, sent as %00)"));

    f = request("GET", "/records/client");
    static char names[BL_ROUTER_MAX_ARGS + 1][8];
    for (int i = 0; i <= BL_ROUTER_MAX_ARGS; i++) {
        snprintf(names[i], sizeof names[i], "f%d", i);
        arg(&f, names[i], "1");
    }
    assert_int_equal(run(&r, &f, &resp, err, sizeof err), 400);
    assert_non_null(strstr(err, "more than 32"));
}

static void test_path_limits_and_segments(void **state)
{
    bl_router r = router(0, 0);
    bl_resp resp;
    char err[400];
    static char path[BL_ROUTER_MAX_PATH + 2];
    memset(path, 'a', sizeof path - 1);
    memcpy(path, "/records/client/", 16);
    path[BL_ROUTER_MAX_PATH] = '\0';
    fake f = request("GET", path);
    assert_int_equal(run(&r, &f, &resp, err, sizeof err), 200); /* at the limit: whole */
    assert_int_equal(strlen(last.seg[1]), sizeof last.seg[1] - 1);
    path[BL_ROUTER_MAX_PATH] = 'a';
    path[BL_ROUTER_MAX_PATH + 1] = '\0';
    f = request("GET", path);
    assert_int_equal(run(&r, &f, &resp, err, sizeof err), 414); /* past it: refused, never cut */
    assert_non_null(strstr(err, "2049 bytes"));

    f = request("GET", "/records/client/c\x01" "1");
    assert_int_equal(run(&r, &f, &resp, err, sizeof err), 400);
    assert_non_null(strstr(err, "the id holds a control character (byte 0x01)"));
    f = request("GET", "/records/cl\x1b/c1");
    assert_int_equal(run(&r, &f, &resp, err, sizeof err), 400);
    assert_non_null(strstr(err, "the record type holds a control character"));
    f = request("GET", "/records/waytoolong/c1");
    assert_int_equal(run(&r, &f, &resp, err, sizeof err), 400);
    assert_string_equal(err, "'waytoolong' is not a record type: at most 8 bytes");
}

static void test_token_equal(void **state)
{
    assert_true(bl_router_token_equal("secret-token", "secret-token"));
    assert_false(bl_router_token_equal("secret-tokem", "secret-token"));
    assert_false(bl_router_token_equal("secret-toke", "secret-token"));
    assert_false(bl_router_token_equal("secret-token!", "secret-token"));
    assert_false(bl_router_token_equal("", "secret-token"));
    assert_false(bl_router_token_equal("secret-token", ""));
    assert_true(bl_router_token_equal("", ""));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_match_and_segments),
        cmocka_unit_test(test_segment_suffix),
        cmocka_unit_test(test_not_found),
        cmocka_unit_test(test_method_not_allowed_says_allow),
        cmocka_unit_test(test_optional_routes),
        cmocka_unit_test(test_roles_with_tokens),
        cmocka_unit_test(test_open_mode),
        cmocka_unit_test(test_flush_exactly_when_flagged),
        cmocka_unit_test(test_query_names_and_bytes),
        cmocka_unit_test(test_path_limits_and_segments),
        cmocka_unit_test(test_token_equal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
