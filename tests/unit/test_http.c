/* test_http.c — the HTTP module against libcurl, on one thread: the uv loop and curl's multi handle take turns. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "http.h"

#define MAX_HELD 8

typedef struct fx {
    uv_loop_t loop;
    bl_http_server *srv;
    CURLM *multi;
    int port;
    bl_http_req *held[MAX_HELD];
    int nheld;
    int cancelled;
    int drained;
    int hooked;     /* on_response calls */
    int checks_ok;  /* /checks ran every check and all passed */
    bl_buf log;     /* logger lines, each followed by '\n' */
} fx;

typedef struct xfer {
    CURL *e;
    struct curl_slist *hdrs;
    bl_buf body, head;
    const char *upload;
    size_t upload_len, upload_off;
    int done;
    CURLcode rc;
    long status, connects;
} xfer;

static double slow(void) { return getenv("BYLAW_UNDER_VALGRIND") ? 20.0 : 1.0; }

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* The server side: routes of the test handler -------------------------------------------------------- */

static void respond_str(bl_http_req *req, int status, const char *json)
{
    assert_int_equal(bl_http_respond(req, status, "application/json", json, strlen(json)), BL_OK);
}

typedef struct later {
    uv_timer_t t;
    bl_http_req *req;
    fx *f;
} later;

static void later_closed(uv_handle_t *h) { free(h->data); }

static void on_later(uv_timer_t *t)
{
    later *l = t->data;
    respond_str(l->req, 200, "{\"late\":true}");
    uv_close((uv_handle_t *)&l->t, later_closed);
}

static void cancel_later(bl_http_req *req, void *ud)
{
    later *l = ud;
    l->f->cancelled++;
    uv_timer_stop(&l->t);
    uv_close((uv_handle_t *)&l->t, later_closed);
}

static void cancel_held(bl_http_req *req, void *ud)
{
    fx *f = ud;
    f->cancelled++;
    for (int i = 0; i < f->nheld; i++)
        if (f->held[i] == req) {
            f->held[i] = f->held[--f->nheld];
            return;
        }
    fail_msg("cancel for a request that is not held");
}

static void add_q(void *ud, const char *k, const char *v)
{
    bl_buf *b = ud;
    bl_buf_printf(b, "%s%s=%s", b->len ? "," : "", k, v);
}

static void echo(bl_http_req *req)
{
    const char *q = bl_http_query(req, "q"), *flag = bl_http_query(req, "flag"), *h = bl_http_header(req, "x-test");
    bl_buf all = {0};
    bl_http_each_query(req, add_q, &all);
    assert_int_equal(bl_http_add_header(req, "X-Q", q ? q : "(none)"), BL_OK);
    assert_int_equal(bl_http_add_header(req, "X-Flag", flag ? (flag[0] ? flag : "(empty)") : "(none)"), BL_OK);
    assert_int_equal(bl_http_add_header(req, "X-Missing", bl_http_query(req, "nope") ? "yes" : "no"), BL_OK);
    assert_int_equal(bl_http_add_header(req, "X-All", all.data ? all.data : "(none)"), BL_OK);
    assert_int_equal(bl_http_add_header(req, "X-Raw-Query", req->query[0] ? req->query : "(none)"), BL_OK);
    assert_int_equal(bl_http_add_header(req, "X-Path", req->path), BL_OK);
    assert_int_equal(bl_http_add_header(req, "X-Header", h ? h : "(none)"), BL_OK);
    assert_int_equal(bl_http_add_header(req, "X-Peer", req->peer_ip), BL_OK);
    assert_int_equal(bl_http_add_header(req, "X-Loopback", req->loopback ? "1" : "0"), BL_OK);
    assert_int_equal(req->peer->sa_family, AF_INET);
    assert_int_equal(req->body[req->body_len], '\0');
    assert_int_equal(bl_http_respond(req, 200, "application/json", req->body, req->body_len), BL_OK);
    bl_buf_free(&all);
}

/* The API's refusals, from inside a handler. */
static void checks(fx *f, bl_http_req *req)
{
    assert_int_equal(bl_http_add_header(req, "X-Bad", "a\r\nInjected: 1"), BL_INVALID);
    assert_int_equal(bl_http_add_header(req, "Bad:Name", "v"), BL_INVALID);
    assert_int_equal(bl_http_add_header(req, "Bad Name", "v"), BL_INVALID);
    assert_int_equal(bl_http_add_header(req, "X-Empty", ""), BL_INVALID);
    assert_int_equal(bl_http_respond(req, 200, "", "", 0), BL_INVALID);
    assert_int_equal(bl_http_respond(req, 99, NULL, "", 0), BL_INVALID);
    assert_int_equal(bl_http_respond(req, 600, NULL, "", 0), BL_INVALID);
    assert_int_equal(bl_http_respond(req, 204, NULL, NULL, 0), BL_OK);
    assert_int_equal(bl_http_respond(req, 200, NULL, "", 0), BL_ERR); /* answered already */
    assert_int_equal(bl_http_add_header(req, "X-Late", "v"), BL_ERR);
    f->checks_ok = 1;
}

static void on_drained(bl_http_server *s, void *ud)
{
    fx *f = ud;
    assert_true(bl_http_drained(s));
    f->drained++;
}

static void handler(void *ud, bl_http_req *req)
{
    fx *f = ud;
    assert_true(req->start_ns > 0 && req->start_ns <= uv_hrtime());
    if (strcmp(req->path, "/ping") == 0) {
        respond_str(req, 200, "{\"ok\":true}");
    } else if (strcmp(req->path, "/echo") == 0) {
        echo(req);
    } else if (strcmp(req->path, "/later") == 0) {
        later *l = calloc(1, sizeof *l);
        l->req = req;
        l->f = f;
        l->t.data = l;
        uv_timer_init(&f->loop, &l->t);
        const char *ms = bl_http_query(req, "ms");
        uv_timer_start(&l->t, on_later, ms ? strtoull(ms, NULL, 10) : 10, 0);
        bl_http_on_cancel(req, cancel_later, l);
    } else if (strcmp(req->path, "/hold") == 0) {
        assert_true(f->nheld < MAX_HELD);
        f->held[f->nheld++] = req;
        bl_http_on_cancel(req, cancel_held, f);
    } else if (strcmp(req->path, "/checks") == 0) {
        checks(f, req);
    } else {
        assert_int_equal(bl_http_add_header(req, "Retry-After", "5"), BL_OK);
        respond_str(req, 404, "{\"error\":\"no such route\"}");
    }
}

static void on_log(void *ud, const char *line)
{
    fx *f = ud;
    assert_null(strchr(line, '\n'));
    bl_buf_printf(&f->log, "%s\n", line);
}

static void on_response(void *ud, const bl_http_req *req, int status, uint64_t elapsed_ns)
{
    fx *f = ud;
    assert_true(status >= 200 && status <= 599);
    assert_true(elapsed_ns < (uint64_t)(10e9 * slow()));
    f->hooked++;
}

/* Fixture --------------------------------------------------------------------------------------------- */

static fx *fx_new(bl_http_config *cfg)
{
    fx *f = calloc(1, sizeof *f);
    assert_int_equal(uv_loop_init(&f->loop), 0);
    bl_http_config def = {0};
    if (cfg == NULL)
        cfg = &def;
    cfg->log = on_log;
    cfg->on_response = on_response;
    char *err = NULL;
    int rc = bl_http_start(&f->loop, "127.0.0.1", 0, cfg, handler, f, &f->srv, &err);
    if (rc != BL_OK)
        fail_msg("start: %s", err);
    f->port = bl_http_port(f->srv);
    assert_true(f->port > 0);
    f->multi = curl_multi_init();
    return f;
}

static void fx_free(fx *f)
{
    if (getenv("TEST_HTTP_LOG") && f->log.data)
        fprintf(stderr, "server log:\n%s", f->log.data);
    curl_multi_cleanup(f->multi);
    bl_http_free(f->srv);
    uv_run(&f->loop, UV_RUN_DEFAULT); /* close callbacks: everything the server and the handlers own */
    assert_int_equal(uv_loop_close(&f->loop), 0);
    bl_buf_free(&f->log);
    free(f);
}

/* The client side ------------------------------------------------------------------------------------ */

static size_t on_data(char *p, size_t size, size_t n, void *ud)
{
    bl_buf_add(ud, p, size * n);
    return size * n;
}

static size_t on_read(char *p, size_t size, size_t n, void *ud)
{
    xfer *x = ud;
    size_t k = size * n;
    if (k > x->upload_len - x->upload_off)
        k = x->upload_len - x->upload_off;
    memcpy(p, x->upload + x->upload_off, k);
    x->upload_off += k;
    return k;
}

/* Starts method on path with an optional body; chunked: send it with Transfer-Encoding: chunked. */
static void xfer_start(fx *f, xfer *x, const char *method, const char *path, const char *body, size_t len, int chunked)
{
    memset(x, 0, sizeof *x);
    x->e = curl_easy_init();
    char url[256];
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", f->port, path);
    curl_easy_setopt(x->e, CURLOPT_URL, url);
    curl_easy_setopt(x->e, CURLOPT_PRIVATE, x);
    curl_easy_setopt(x->e, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(x->e, CURLOPT_WRITEDATA, &x->body);
    curl_easy_setopt(x->e, CURLOPT_HEADERFUNCTION, on_data);
    curl_easy_setopt(x->e, CURLOPT_HEADERDATA, &x->head);
    curl_easy_setopt(x->e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(x->e, CURLOPT_CUSTOMREQUEST, method);
    if (body && chunked) {
        x->upload = body;
        x->upload_len = len;
        curl_easy_setopt(x->e, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(x->e, CURLOPT_READFUNCTION, on_read);
        curl_easy_setopt(x->e, CURLOPT_READDATA, x);
        x->hdrs = curl_slist_append(x->hdrs, "Transfer-Encoding: chunked");
    } else if (body) {
        curl_easy_setopt(x->e, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(x->e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    }
}

static void xfer_header(xfer *x, const char *h) { x->hdrs = curl_slist_append(x->hdrs, h); }

static void xfer_go(fx *f, xfer *x)
{
    if (x->hdrs)
        curl_easy_setopt(x->e, CURLOPT_HTTPHEADER, x->hdrs);
    assert_int_equal(curl_multi_add_handle(f->multi, x->e), CURLM_OK);
}

static void xfer_free(fx *f, xfer *x)
{
    if (!x->done)
        curl_multi_remove_handle(f->multi, x->e);
    curl_easy_cleanup(x->e);
    curl_slist_free_all(x->hdrs);
    bl_buf_free(&x->body);
    bl_buf_free(&x->head);
}

/* The response header line (or part of one), or NULL. */
static const char *xfer_has(const xfer *x, const char *line)
{
    return x->head.data ? strstr(x->head.data, line) : NULL;
}

/* One turn each: the server's loop, then curl. */
static void pump(fx *f)
{
    uv_run(&f->loop, UV_RUN_NOWAIT);
    int running, left;
    curl_multi_perform(f->multi, &running);
    CURLMsg *m;
    while ((m = curl_multi_info_read(f->multi, &left)) != NULL) {
        if (m->msg != CURLMSG_DONE)
            continue;
        xfer *x = NULL;
        curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&x);
        x->rc = m->data.result;
        curl_easy_getinfo(x->e, CURLINFO_RESPONSE_CODE, &x->status);
        curl_easy_getinfo(x->e, CURLINFO_NUM_CONNECTS, &x->connects);
        curl_multi_remove_handle(f->multi, x->e);
        x->done = 1;
    }
    curl_multi_poll(f->multi, NULL, 0, 1, NULL);
}

#define RUN_UNTIL(f, cond, ms)                                                                               \
    do {                                                                                                       \
        uint64_t t0_ = now_ms();                                                                               \
        while (!(cond)) {                                                                                      \
            if (now_ms() - t0_ > (uint64_t)((ms) * slow()))                                                     \
                fail_msg("waited %d ms for: %s", (int)(ms), #cond);                                            \
            pump(f);                                                                                           \
        }                                                                                                      \
    } while (0)

/* Runs one request to its end. */
static void request(fx *f, xfer *x, const char *method, const char *path, const char *body, size_t len, int chunked)
{
    xfer_start(f, x, method, path, body, len, chunked);
    xfer_go(f, x);
    RUN_UNTIL(f, x->done, 5000);
}

/* A blocking TCP connection to the server; -1 with errno if refused. */
static int raw_connect(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

/* 1 if the server closed fd (EOF or reset), without blocking. */
static int raw_closed(int fd)
{
    char buf[4096];
    ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
}

static char *big_json(size_t n)
{
    char *b = malloc(n);
    memset(b, ' ', n);
    b[0] = '[';
    b[n - 1] = ']';
    return b;
}

/* Tests ---------------------------------------------------------------------------------------------- */

static void test_get_keepalive(void **state)
{
    fx *f = fx_new(NULL);
    xfer a, b;
    request(f, &a, "GET", "/ping", NULL, 0, 0);
    assert_int_equal(a.rc, CURLE_OK);
    assert_int_equal(a.status, 200);
    assert_string_equal(a.body.data, "{\"ok\":true}");
    assert_non_null(xfer_has(&a, "Content-Type: application/json"));
    assert_null(xfer_has(&a, "Connection: close"));
    assert_int_equal(a.connects, 1);
    request(f, &b, "GET", "/ping", NULL, 0, 0);
    assert_int_equal(b.status, 200);
    assert_int_equal(b.connects, 0); /* the same connection again */
    const bl_http_stats *st = bl_http_get_stats(f->srv);
    assert_int_equal(st->status[200], 2);
    assert_int_equal(st->status_class[2], 2);
    assert_int_equal(st->connections, 1);
    assert_int_equal(st->connections_open, 1);
    assert_int_equal(f->hooked, 2);
    RUN_UNTIL(f, st->in_flight == 0, 1000);
    xfer c;
    request(f, &c, "GET", "/nowhere", NULL, 0, 0);
    assert_int_equal(c.status, 404);
    assert_non_null(xfer_has(&c, "Retry-After: 5"));
    assert_int_equal(st->status_class[4], 1);
    xfer_free(f, &a);
    xfer_free(f, &b);
    xfer_free(f, &c);
    fx_free(f);
}

static void test_put_echo(void **state)
{
    fx *f = fx_new(NULL);
    const char *json = "{\"subject\":\"alice\",\"n\":[1,2,3]}";
    xfer x;
    xfer_start(f, &x, "PUT", "/ech%6F?q=a%20b+c&flag&x=1", json, strlen(json), 0);
    xfer_header(&x, "Content-Type: application/json");
    xfer_header(&x, "X-Test: hello");
    xfer_go(f, &x);
    RUN_UNTIL(f, x.done, 5000);
    assert_int_equal(x.rc, CURLE_OK);
    assert_int_equal(x.status, 200);
    assert_string_equal(x.body.data, json);
    assert_non_null(xfer_has(&x, "X-Q: a b c\r\n"));
    assert_non_null(xfer_has(&x, "X-Flag: (empty)\r\n"));
    assert_non_null(xfer_has(&x, "X-Missing: no\r\n"));
    assert_non_null(xfer_has(&x, "X-All: q=a b c,flag=,x=1\r\n"));
    assert_non_null(xfer_has(&x, "X-Raw-Query: q=a%20b+c&flag&x=1\r\n"));
    assert_non_null(xfer_has(&x, "X-Path: /echo\r\n"));
    assert_non_null(xfer_has(&x, "X-Header: hello\r\n"));
    assert_non_null(xfer_has(&x, "X-Peer: 127.0.0.1\r\n"));
    assert_non_null(xfer_has(&x, "X-Loopback: 1\r\n"));
    xfer_free(f, &x);

    /* the same through a chunked body, and an empty one */
    xfer c, e;
    request(f, &c, "PUT", "/echo", json, strlen(json), 1);
    assert_int_equal(c.status, 200);
    assert_string_equal(c.body.data, json);
    request(f, &e, "PUT", "/echo", "", 0, 0);
    assert_int_equal(e.status, 200);
    assert_int_equal(e.body.len, 0);
    assert_int_equal(e.connects, 0);
    xfer_free(f, &c);
    xfer_free(f, &e);

    xfer k;
    request(f, &k, "POST", "/checks", NULL, 0, 0);
    assert_int_equal(k.status, 204);
    assert_true(f->checks_ok);
    assert_null(xfer_has(&k, "Injected"));
    xfer_free(f, &k);
    fx_free(f);
}

static void expect_413(const xfer *x)
{
    assert_int_equal(x->rc, CURLE_OK);
    assert_int_equal(x->status, 413);
    assert_non_null(xfer_has(x, "Content-Type: application/json"));
    assert_string_equal(x->body.data, "{\"error\":\"the request body is larger than the limit of 1048576 bytes\"}");
}

static void test_413_content_length(void **state)
{
    fx *f = fx_new(NULL);
    size_t n = 2 << 20;
    char *big = big_json(n);
    /* announced with Expect: 100-continue: refused before the body is sent */
    xfer a;
    xfer_start(f, &a, "PUT", "/echo", big, n, 0);
    xfer_header(&a, "Expect: 100-continue");
    xfer_go(f, &a);
    RUN_UNTIL(f, a.done, 5000);
    expect_413(&a);
    assert_non_null(xfer_has(&a, "Connection: close"));
    /* sent without waiting: read and dropped, then 413 on a connection that stays usable */
    xfer b, p;
    xfer_start(f, &b, "PUT", "/echo", big, n, 0);
    xfer_header(&b, "Expect:");
    xfer_go(f, &b);
    RUN_UNTIL(f, b.done, 5000);
    expect_413(&b);
    request(f, &p, "GET", "/ping", NULL, 0, 0);
    assert_int_equal(p.status, 200);
    assert_int_equal(p.connects, 0);
    /* exactly the limit passes */
    xfer ok;
    request(f, &ok, "PUT", "/echo", big, 1 << 20, 0);
    assert_int_equal(ok.status, 200);
    assert_int_equal(ok.body.len, 1 << 20);
    assert_int_equal(bl_http_get_stats(f->srv)->too_large, 2);
    assert_int_equal(bl_http_get_stats(f->srv)->status[413], 2);
    xfer_free(f, &a);
    xfer_free(f, &b);
    xfer_free(f, &p);
    xfer_free(f, &ok);
    free(big);
    fx_free(f);
}

static void test_413_chunked(void **state)
{
    fx *f = fx_new(NULL);
    size_t n = 2 << 20;
    char *big = big_json(n);
    xfer a, p;
    request(f, &a, "PUT", "/echo", big, n, 1);
    expect_413(&a);
    request(f, &p, "GET", "/ping", NULL, 0, 0);
    assert_int_equal(p.status, 200);
    assert_int_equal(bl_http_get_stats(f->srv)->too_large, 1);
    xfer_free(f, &a);
    xfer_free(f, &p);
    fx_free(f);

    /* past max_discard the connection is cut; the server goes on */
    bl_http_config cfg = {.max_body = 1024, .max_discard = 8192};
    f = fx_new(&cfg);
    xfer c, q;
    request(f, &c, "PUT", "/echo", big, 64 * 1024, 1);
    assert_int_not_equal(c.rc, CURLE_OK);
    assert_int_equal(bl_http_get_stats(f->srv)->cut, 1);
    assert_non_null(strstr(f->log.data, "body passed 8192 bytes; connection cut"));
    assert_null(strstr(f->log.data, "Application reported internal error"));
    request(f, &q, "GET", "/ping", NULL, 0, 0);
    assert_int_equal(q.status, 200);
    xfer_free(f, &c);
    xfer_free(f, &q);
    free(big);
    fx_free(f);
}

static void test_async_answer(void **state)
{
    fx *f = fx_new(NULL);
    xfer a, b, c;
    uint64_t t0 = now_ms();
    request(f, &a, "GET", "/later?ms=60", NULL, 0, 0);
    assert_int_equal(a.status, 200);
    assert_string_equal(a.body.data, "{\"late\":true}");
    assert_true(now_ms() - t0 >= 55);
    /* after a resume, MHD keeps being driven: the next request on that connection is served */
    request(f, &b, "GET", "/ping", NULL, 0, 0);
    assert_int_equal(b.status, 200);
    assert_int_equal(b.connects, 0);
    request(f, &c, "GET", "/later?ms=0", NULL, 0, 0);
    assert_int_equal(c.status, 200);
    assert_int_equal(c.connects, 0);
    assert_int_equal(f->cancelled, 0);
    assert_int_equal(bl_http_get_stats(f->srv)->status[200], 3);
    xfer_free(f, &a);
    xfer_free(f, &b);
    xfer_free(f, &c);
    fx_free(f);
}

static void test_client_gone(void **state)
{
    fx *f = fx_new(NULL);
    const bl_http_stats *st = bl_http_get_stats(f->srv);
    /* a held request: its client gives up */
    xfer a;
    xfer_start(f, &a, "GET", "/hold", NULL, 0, 0);
    curl_easy_setopt(a.e, CURLOPT_TIMEOUT_MS, 100L);
    xfer_go(f, &a);
    RUN_UNTIL(f, f->nheld == 1, 2000);
    RUN_UNTIL(f, a.done, 2000);
    assert_int_equal(a.rc, CURLE_OPERATION_TIMEDOUT);
    RUN_UNTIL(f, f->cancelled == 1, 2000);
    assert_int_equal(f->nheld, 0);
    RUN_UNTIL(f, st->in_flight == 0 && st->connections_open == 0, 2000);
    assert_int_equal(st->cancelled, 1);
    /* a timer-driven answer whose client leaves first: the timer is stopped and freed by the cancel */
    xfer b;
    xfer_start(f, &b, "GET", "/later?ms=400", NULL, 0, 0);
    curl_easy_setopt(b.e, CURLOPT_TIMEOUT_MS, 50L);
    xfer_go(f, &b);
    RUN_UNTIL(f, f->cancelled == 2, 2000);
    RUN_UNTIL(f, st->in_flight == 0 && st->connections_open == 0, 2000);
    /* and the server still answers */
    xfer c;
    request(f, &c, "GET", "/ping", NULL, 0, 0);
    assert_int_equal(c.status, 200);
    assert_int_equal(st->cancelled, 2);
    assert_true(f->log.data == NULL || strstr(f->log.data, "Application reported internal error") == NULL);
    xfer_free(f, &a);
    xfer_free(f, &b);
    xfer_free(f, &c);
    fx_free(f);
}

static void test_free_cancels_held(void **state)
{
    fx *f = fx_new(NULL);
    xfer a;
    xfer_start(f, &a, "GET", "/hold", NULL, 0, 0);
    xfer_go(f, &a);
    RUN_UNTIL(f, f->nheld == 1, 2000);
    bl_http_free(f->srv);
    f->srv = NULL;
    assert_int_equal(f->cancelled, 1);
    assert_int_equal(f->nheld, 0);
    RUN_UNTIL(f, a.done, 2000);
    assert_int_not_equal(a.rc, CURLE_OK);
    xfer_free(f, &a);
    fx_free(f);
}

static void test_idle_timeout(void **state)
{
    bl_http_config cfg = {.idle_timeout_s = 1};
    fx *f = fx_new(&cfg);
    const bl_http_stats *st = bl_http_get_stats(f->srv);
    /* a slow client stuck in its headers */
    int fd = raw_connect(f->port);
    assert_true(fd >= 0);
    const char *partial = "GET /ping HTTP/1.1\r\nHost: x\r\n";
    assert_int_equal(send(fd, partial, strlen(partial), 0), (ssize_t)strlen(partial));
    RUN_UNTIL(f, st->connections_open == 1, 2000);
    uint64_t t0 = now_ms();
    RUN_UNTIL(f, raw_closed(fd), 4000);
    uint64_t dt = now_ms() - t0;
    assert_true(dt >= 900);
    close(fd);
    RUN_UNTIL(f, st->connections_open == 0, 1000);
    /* an idle kept-alive connection */
    xfer a;
    request(f, &a, "GET", "/ping", NULL, 0, 0);
    assert_int_equal(a.status, 200);
    assert_int_equal(st->connections_open, 1);
    RUN_UNTIL(f, st->connections_open == 0, 4000);
    xfer_free(f, &a);
    fx_free(f);
}

static void test_connection_cap(void **state)
{
    bl_http_config cfg = {.max_connections = 2};
    fx *f = fx_new(&cfg);
    const bl_http_stats *st = bl_http_get_stats(f->srv);
    xfer h1, h2, x, y;
    xfer_start(f, &h1, "GET", "/hold", NULL, 0, 0);
    xfer_go(f, &h1);
    xfer_start(f, &h2, "GET", "/hold", NULL, 0, 0);
    xfer_go(f, &h2);
    RUN_UNTIL(f, f->nheld == 2, 2000);
    assert_int_equal(st->connections_open, 2);
    request(f, &x, "GET", "/ping", NULL, 0, 0);
    assert_int_not_equal(x.rc, CURLE_OK); /* closed as accepted, no answer */
    assert_int_equal(st->refused, 1);
    assert_int_equal(st->connections_open, 2);
    assert_non_null(strstr(f->log.data, "connection limit of 2 reached"));
    respond_str(f->held[1], 200, "{\"n\":2}");
    respond_str(f->held[0], 200, "{\"n\":1}");
    f->nheld = 0;
    RUN_UNTIL(f, h1.done && h2.done, 2000);
    assert_int_equal(h1.status, 200);
    assert_int_equal(h2.status, 200);
    request(f, &y, "GET", "/ping", NULL, 0, 0);
    assert_int_equal(y.status, 200);
    assert_int_equal(f->cancelled, 0);
    xfer_free(f, &h1);
    xfer_free(f, &h2);
    xfer_free(f, &x);
    xfer_free(f, &y);
    fx_free(f);
}

static void test_stop_in_flight(void **state)
{
    fx *f = fx_new(NULL);
    const bl_http_stats *st = bl_http_get_stats(f->srv);
    xfer h, idle, late;
    xfer_start(f, &h, "GET", "/hold", NULL, 0, 0);
    xfer_go(f, &h);
    RUN_UNTIL(f, f->nheld == 1, 2000);
    request(f, &idle, "GET", "/ping", NULL, 0, 0); /* a second connection, left open and idle */
    assert_int_equal(idle.connects, 1);
    assert_int_equal(st->connections_open, 2);

    bl_http_stop(f->srv, on_drained, f);
    assert_false(bl_http_drained(f->srv));
    int fd = raw_connect(f->port);
    assert_int_equal(fd, -1);
    assert_int_equal(errno, ECONNREFUSED);
    /* a new request on the idle connection: 503, and the connection is closed */
    request(f, &late, "GET", "/ping", NULL, 0, 0);
    assert_int_equal(late.status, 503);
    assert_int_equal(late.connects, 0);
    assert_non_null(xfer_has(&late, "Connection: close"));
    assert_string_equal(late.body.data, "{\"error\":\"the server is shutting down\"}");
    for (int i = 0; i < 20; i++)
        pump(f);
    assert_int_equal(f->drained, 0);
    /* the request in flight is still answered */
    respond_str(f->held[0], 200, "{\"done\":true}");
    f->nheld = 0;
    RUN_UNTIL(f, h.done, 2000);
    assert_int_equal(h.rc, CURLE_OK);
    assert_int_equal(h.status, 200);
    assert_string_equal(h.body.data, "{\"done\":true}");
    assert_non_null(xfer_has(&h, "Connection: close"));
    RUN_UNTIL(f, f->drained == 1, 2000);
    assert_true(bl_http_drained(f->srv));
    assert_int_equal(f->cancelled, 0);
    xfer_free(f, &h);
    xfer_free(f, &idle);
    xfer_free(f, &late);
    fx_free(f);
}

static void test_stop_when_idle(void **state)
{
    fx *f = fx_new(NULL);
    bl_http_stop(f->srv, on_drained, f);
    assert_true(bl_http_drained(f->srv));
    assert_int_equal(f->drained, 0); /* told from a loop callback, not from inside bl_http_stop */
    RUN_UNTIL(f, f->drained == 1, 1000);
    fx_free(f);
}

static void test_start_errors_and_log(void **state)
{
    char host[64], *err = NULL;
    int port = -1;
    assert_int_equal(bl_http_split_listen("127.0.0.1:8080", host, sizeof host, &port, NULL), BL_OK);
    assert_string_equal(host, "127.0.0.1");
    assert_int_equal(port, 8080);
    assert_int_equal(bl_http_split_listen("[::1]:0", host, sizeof host, &port, NULL), BL_OK);
    assert_string_equal(host, "::1");
    assert_int_equal(port, 0);
    const char *bad[] = {"127.0.0.1", "127.0.0.1:", ":80", "h:99999", "h:8x", "[::1]80"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(bl_http_split_listen(bad[i], host, sizeof host, &port, &err), BL_INVALID);
        assert_non_null(strstr(err, "is not HOST:PORT"));
        free(err);
    }

    fx *f = fx_new(NULL);
    bl_http_server *s2 = NULL;
    assert_int_equal(bl_http_start(&f->loop, "no.such.host", 0, NULL, handler, f, &s2, &err), BL_INVALID);
    assert_non_null(strstr(err, "numeric IPv4 or IPv6"));
    free(err);
    assert_int_equal(bl_http_start(&f->loop, "127.0.0.1", f->port, NULL, handler, f, &s2, &err), BL_ERR);
    assert_non_null(strstr(err, "Address already in use"));
    assert_null(s2);
    free(err);

    /* an IPv6 listener, if this machine has ::1 */
    if (bl_http_start(&f->loop, "::1", 0, NULL, handler, f, &s2, &err) == BL_OK) {
        assert_true(bl_http_port(s2) > 0);
        bl_http_free(s2);
    } else {
        free(err);
    }

    /* what libmicrohttpd says about a bad request reaches the logger as single lines */
    int fd = raw_connect(f->port);
    const char *junk = "GET /ping HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n";
    assert_int_equal(send(fd, junk, strlen(junk), 0), (ssize_t)strlen(junk));
    RUN_UNTIL(f, raw_closed(fd), 2000);
    close(fd);
    assert_non_null(strstr(f->log.data, "Failed to parse `Content-Length' header"));
    const bl_http_stats *st = bl_http_get_stats(f->srv);
    RUN_UNTIL(f, st->in_flight == 0 && st->connections_open == 0, 2000);
    assert_int_equal(st->unhandled, 1);
    assert_int_equal(st->requests, 1);
    fx_free(f);
}

/* `test_http serve PORT`: a /ping server for wrk. */
static void bench_handler(void *ud, bl_http_req *req)
{
    static const char ok[] = "{\"ok\":true}";
    bl_http_respond(req, 200, "application/json", ok, sizeof ok - 1);
}

static void on_sigint(uv_signal_t *h, int sig)
{
    bl_http_free(h->data);
    uv_close((uv_handle_t *)h, NULL);
}

static int serve(int port)
{
    uv_loop_t *loop = uv_default_loop();
    bl_http_server *s;
    char *err;
    if (bl_http_start(loop, "127.0.0.1", port, NULL, bench_handler, NULL, &s, &err) != BL_OK) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    uv_signal_t sig;
    uv_signal_init(loop, &sig);
    sig.data = s;
    uv_signal_start(&sig, on_sigint, SIGINT);
    fprintf(stderr, "serving http://127.0.0.1:%d/ping\n", bl_http_port(s));
    uv_run(loop, UV_RUN_DEFAULT);
    uv_loop_close(loop);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "serve") == 0)
        return serve(atoi(argv[2]));
    signal(SIGPIPE, SIG_IGN);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_get_keepalive),     cmocka_unit_test(test_put_echo),
        cmocka_unit_test(test_413_content_length), cmocka_unit_test(test_413_chunked),
        cmocka_unit_test(test_async_answer),      cmocka_unit_test(test_client_gone),
        cmocka_unit_test(test_free_cancels_held), cmocka_unit_test(test_idle_timeout),
        cmocka_unit_test(test_connection_cap),    cmocka_unit_test(test_stop_in_flight),
        cmocka_unit_test(test_stop_when_idle),    cmocka_unit_test(test_start_errors_and_log),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
