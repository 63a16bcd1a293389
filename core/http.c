/* http.c — the HTTP server: libmicrohttpd in external-epoll mode, driven by the caller's libuv loop;
 * requests and their answers. Connections (limits, slow requests): http_conn.c; what is refused, and
 * in which words: http_guard.c. */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "http_int.h"
#include "json.h"

#define DEFAULT_MAX_BODY (1024 * 1024)
#define DEFAULT_MAX_CONNECTIONS 256
#define DEFAULT_MAX_PER_CLIENT 32
#define DEFAULT_IDLE_TIMEOUT_S 30
#define DEFAULT_REQUEST_TIMEOUT_S 10
#define DEFAULT_CONN_MEMORY 32768

static void drive(bl_http_server *s);
static void do_free(bl_http_server *s);

void bl_http_log(bl_http_server *s, const char *fmt, ...)
{
    if (s->log == NULL)
        return;
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    s->log(s->ud, line);
}

/* MHD_OPTION_EXTERNAL_LOGGER: one line per message, line breaks inside flattened. */
static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    bl_http_server *s = cls;
    char line[512];
    vsnprintf(line, sizeof line, fmt, ap);
    size_t n = strlen(line);
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        line[--n] = '\0';
    for (size_t i = 0; i < n; i++)
        if (line[i] == '\n' || line[i] == '\r')
            line[i] = ' ';
    /* the echo of our own MHD_NO (client gone, body cut) or of a sweep's cut: already told, or not news */
    if (s->quiet && strncmp(line, "Application reported internal error", 35) == 0)
        n = 0;
    if (s->cuts_open && strncmp(line, "Connection was closed by remote side", 36) == 0)
        n = 0;
    s->quiet = 0;
    if (n > 0)
        s->log(s->ud, line);
}

/* Driving libmicrohttpd ---------------------------------------------------------------------------- */

static void on_timer(uv_timer_t *t) { drive(t->data); }
static void on_poll(uv_poll_t *p, int status, int events) { drive(p->data); }

/* Asks for MHD to run again on the next loop iteration (after a resume, or a request was cancelled). */
static void kick(bl_http_server *s)
{
    if (s->driving)
        s->kick = 1;
    else if (!s->freeing)
        uv_timer_start(&s->timer, on_timer, 0, 0);
}

/* Runs MHD, then re-arms the timer from MHD_get_timeout. MHD's epoll is edge-triggered and keeps a
 * ready list (a resumed connection goes on it), so a 0 ms timeout means "run again now": a few runs
 * here, then the next loop iteration, so other handles are not starved. */
static void drive(bl_http_server *s)
{
    if (s->d == NULL || s->freeing)
        return;
    if (s->driving) {
        s->kick = 1;
        return;
    }
    s->driving = 1;
    MHD_UNSIGNED_LONG_LONG ms = 0;
    int have = 0;
    for (int i = 0; i < 4; i++) {
        s->kick = 0;
        MHD_run(s->d);
        have = MHD_get_timeout(s->d, &ms) == MHD_YES;
        if (!s->kick && !(have && ms == 0))
            break;
    }
    s->driving = 0;
    if (s->free_pending) {
        do_free(s);
        return;
    }
    if (s->kick || (have && ms == 0))
        uv_timer_start(&s->timer, on_timer, 0, 0);
    else if (have)
        uv_timer_start(&s->timer, on_timer, ms, 0);
    else
        uv_timer_stop(&s->timer);
}

/* Draining --------------------------------------------------------------------------------------- */

static void on_later(uv_timer_t *t)
{
    bl_http_server *s = t->data;
    if (!bl_http_drained(s) || s->drain_told || s->freeing)
        return;
    s->drain_told = 1;
    if (s->on_drained)
        s->on_drained(s, s->drained_ud);
}

static void check_drained(bl_http_server *s)
{
    if (bl_http_drained(s) && !s->drain_told && !s->freeing)
        uv_timer_start(&s->later, on_later, 0, 0);
}

/* Answers ---------------------------------------------------------------------------------------- */

/* What MHD_add_response_header accepts: non-empty, no line break (and for a name, no blank or colon). */
static int valid_header(const char *t, const char *forbidden)
{
    return t != NULL && t[0] != '\0' && t[strcspn(t, forbidden)] == '\0';
}
#define NAME_FORBIDDEN " \t\r\n:"
#define VALUE_FORBIDDEN "\r\n"

static struct MHD_Response *make_response(const char *ctype, const char *body, size_t len, const bl_buf *extra,
                                          int close)
{
    struct MHD_Response *m = len == 0 ? MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT)
                                      : MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
    if (m == NULL)
        return NULL;
    int ok = 1;
    for (size_t off = 0; extra && off < extra->len && ok;) {
        const char *name = extra->data + off;
        const char *value = name + strlen(name) + 1;
        ok = MHD_add_response_header(m, name, value) == MHD_YES;
        off = (size_t)(value + strlen(value) + 1 - extra->data);
    }
    if (ok && ctype)
        ok = MHD_add_response_header(m, MHD_HTTP_HEADER_CONTENT_TYPE, ctype) == MHD_YES;
    if (ok && close)
        ok = MHD_add_response_header(m, MHD_HTTP_HEADER_CONNECTION, "close") == MHD_YES;
    if (!ok) {
        MHD_destroy_response(m);
        return NULL;
    }
    return m;
}

/* Hands the ready answer to MHD and counts it. */
static enum MHD_Result queue(req *r)
{
    bl_http_server *s = r->s;
    enum MHD_Result ret = MHD_queue_response(r->c, (unsigned)r->status, r->resp);
    MHD_destroy_response(r->resp); /* refcounted: MHD keeps it until sent */
    if (r->k)
        r->k->busy = 1;
    r->resp = NULL;
    r->state = R_QUEUED;
    if (ret != MHD_YES)
        return ret;
    s->stats.status[r->status]++;
    s->stats.status_class[r->status / 100]++;
    if (s->on_response)
        s->on_response(s->ud, &r->pub, r->status, uv_hrtime() - r->pub.start_ns);
    return ret;
}

/* An answer this module makes itself: {"error": msg}, with the headers added to r->headers. */
static enum MHD_Result queue_error(req *r, int status, const char *msg, int close)
{
    bl_buf json = {0};
    BL_JSON_LIT(&json, "{\"error\":");
    bl_json_put_str(&json, msg, strlen(msg));
    BL_JSON_LIT(&json, "}");
    r->resp = make_response("application/json", json.data, json.len, &r->headers, close);
    if (close)
        r->refusal = json;
    else
        bl_buf_free(&json);
    if (r->resp == NULL)
        return MHD_NO;
    r->status = status;
    return queue(r);
}

/* libmicrohttpd writes an answer's status line and headers in what is left of the connection's
 * memory (conn_memory) after the request line and headers: a request that filled it to within some
 * 200 bytes (a request target of about 32,550 bytes, with the default) gets no answer, the connection
 * just closes. A refusal that met that fate (the request ended in error while its answer was queued)
 * is written to the socket here instead, as the connection closes; so is the 414 of a request that
 * libmicrohttpd stalled on (see bl_http_conn_sweep). */
void bl_http_answer_directly(req *r, int status, const char *json, size_t len)
{
    char date[40];
    time_t now = time(NULL);
    struct tm tm;
    strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", gmtime_r(&now, &tm));
    bl_buf b = {0};
    bl_buf_printf(&b, "HTTP/1.1 %d %s\r\nDate: %s\r\nConnection: close\r\n", status,
                  MHD_get_reason_phrase_for((unsigned)status), date);
    for (size_t off = 0; off < r->headers.len;) {
        const char *name = r->headers.data + off, *value = name + strlen(name) + 1;
        bl_buf_printf(&b, "%s: %s\r\n", name, value);
        off = (size_t)(value + strlen(value) + 1 - r->headers.data);
    }
    bl_buf_printf(&b, "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n", len);
    bl_buf_add(&b, json, len);
    if (send(r->k->fd, b.data, b.len, MSG_NOSIGNAL | MSG_DONTWAIT) == (ssize_t)b.len)
        r->s->stats.sent_directly++;
    bl_buf_free(&b);
}

static enum MHD_Result queue_too_large(req *r, int close)
{
    char msg[128];
    snprintf(msg, sizeof msg, "the request body is larger than the limit of %zu bytes", r->s->max_body);
    r->s->stats.too_large++;
    return queue_error(r, 413, msg, close);
}

/* Held requests ---------------------------------------------------------------------------------- */

static void on_gone(uv_poll_t *w, int status, int events);

static void watch_free(uv_handle_t *h) { free(h); }

/* Suspends the connection of a request the handler kept, and watches its socket for the client
 * leaving: MHD does not look at suspended connections at all. */
static void hold(req *r)
{
    bl_http_server *s = r->s;
    r->state = R_HELD;
    r->next = s->held;
    r->prev = NULL;
    if (s->held)
        s->held->prev = r;
    s->held = r;
    MHD_suspend_connection(r->c);
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(r->c, MHD_CONNECTION_INFO_CONNECTION_FD);
    if (ci == NULL)
        return;
    r->watch = bl_xmalloc(sizeof *r->watch);
    int rc = uv_poll_init_socket(s->loop, r->watch, ci->connect_fd);
    if (rc == 0) {
        r->watch->data = r;
        rc = uv_poll_start(r->watch, UV_DISCONNECT, on_gone);
        if (rc != 0)
            uv_close((uv_handle_t *)r->watch, watch_free);
    } else {
        free(r->watch);
    }
    if (rc != 0) {
        r->watch = NULL;
        bl_http_log(s, "cannot watch a held connection (%s): a client leaving early is noticed only at the answer",
                    uv_strerror(rc));
    }
}

/* Takes r off the held list and stops watching its socket (before MHD may close it). */
static void unhold(req *r)
{
    bl_http_server *s = r->s;
    if (r->prev)
        r->prev->next = r->next;
    else
        s->held = r->next;
    if (r->next)
        r->next->prev = r->prev;
    r->prev = r->next = NULL;
    if (r->watch) {
        uv_close((uv_handle_t *)r->watch, watch_free);
        r->watch = NULL;
    }
}

/* Cancels a held request: MHD gets the connection back (and closes it at once), then the caller is
 * told. Nothing touches r after the callback. */
static void cancel_held(req *r)
{
    bl_http_server *s = r->s;
    unhold(r);
    r->state = R_CANCELLED;
    s->stats.cancelled++;
    MHD_resume_connection(r->c);
    kick(s);
    void (*cb)(bl_http_req *, void *) = r->cancel;
    r->cancel = NULL;
    if (cb)
        cb(&r->pub, r->cancel_ud);
}

static void on_gone(uv_poll_t *w, int status, int events)
{
    req *r = w->data;
    cancel_held(r);
}

/* Requests --------------------------------------------------------------------------------------- */

static int is_loopback(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET)
        return (ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) >> 24) == 127;
    if (sa->sa_family == AF_INET6) {
        const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
        return IN6_IS_ADDR_LOOPBACK(a) || (IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127);
    }
    return 0;
}

/* MHD_OPTION_URI_LOG_CALLBACK: the request line has arrived. What it returns becomes the request's
 * context, so this is where a request begins (and MHD will call NOTIFY_COMPLETED for it). */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
    bl_http_server *s = cls;
    size_t n = strlen(uri);
    req *r = calloc(1, sizeof *r + n + 1);
    if (r == NULL)
        return NULL; /* the access handler then refuses the request */
    memcpy(r->uri, uri, n + 1);
    r->raw_uri = (uintptr_t)uri;
    r->s = s;
    r->c = c;
    r->state = R_HEADERS;
    const char *q = strchr(r->uri, '?');
    r->pub.query = q ? q + 1 : "";
    r->pub.body = "";
    r->pub.start_ns = uv_hrtime();
    r->pub.peer = (const struct sockaddr *)&r->peer;
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    conn *k = ci ? ci->socket_context : NULL;
    if (k) {
        r->k = k;
        k->req = r;
        if (k->since_ns == 0)
            k->since_ns = r->pub.start_ns;
        memcpy(&r->peer, &k->peer, sizeof r->peer);
        memcpy(r->pub.peer_ip, k->peer_ip, sizeof r->pub.peer_ip);
        r->pub.loopback = is_loopback(r->pub.peer);
    }
    s->stats.requests++;
    s->stats.in_flight++;
    return r;
}

static enum MHD_Result add_framing(void *cls, enum MHD_ValueKind kind, const char *name, const char *value)
{
    bl_http_framing_add(cls, name, value ? value : "");
    return MHD_YES;
}

/* What http_guard.c refuses in the request line and headers: 0, or the status with msg. */
static int check_request(req *r, const char *version, char *msg, size_t cap)
{
    size_t len = strlen(r->uri);
    /* libmicrohttpd hands the target over as a C string: one cut by a NUL byte ends before the space
     * that precedes the version (it has put a NUL there; the version follows it) */
    uintptr_t v = (uintptr_t)version;
    if (version[0] && v > r->raw_uri + len + 1 && v - r->raw_uri <= r->s->conn_memory)
        len++; /* the check sees r->uri's terminating NUL where the client sent one */
    int status = bl_http_target_check(r->uri, len, msg, cap);
    if (status) {
        if (status == 414)
            r->s->stats.too_long++;
        else
            r->s->stats.control_bytes++;
        return status;
    }
    bl_http_framing f = {0};
    MHD_get_connection_values(r->c, MHD_HEADER_KIND, add_framing, &f);
    int http11 = strncmp(version, "HTTP/1.", 7) == 0 && strcmp(version, "HTTP/1.0") != 0;
    status = bl_http_framing_check(&f, http11, msg, cap);
    if (status)
        r->s->stats.smuggling++;
    return status;
}

/* First access-handler call: headers only. Answering here is an "early response" (MHD closes the
 * connection after it, keep-alive lost), so it is done only for refusals: a stopping server, a
 * connection over a limit, a request http_guard.c refuses, and a body announced too large that will
 * not be read (the client waits for 100-continue, or it is too large even to discard). */
static enum MHD_Result on_headers(req *r, const char *version)
{
    bl_http_server *s = r->s;
    if (s->stopping)
        return queue_error(r, 503, "the server is shutting down", 1);
    char msg[256];
    if (r->k && bl_http_conn_refusal(s, r->k, msg, sizeof msg)) {
        bl_buf_add(&r->headers, "Retry-After\0" "1", sizeof "Retry-After\0" "1");
        return queue_error(r, 503, msg, 1);
    }
    int status = check_request(r, version, msg, sizeof msg);
    if (status) {
        char shown[81]; /* the target's start, control bytes shown as '?' */
        size_t n = 0;
        for (; r->uri[n] && n + 1 < sizeof shown; n++)
            shown[n] = (unsigned char)r->uri[n] < 0x20 || r->uri[n] == 0x7f ? '?' : r->uri[n];
        shown[n] = '\0';
        bl_http_log(s, "%s %s%s from %s: %d, %s", r->pub.method, shown, r->uri[n] ? "..." : "", r->pub.peer_ip,
                    status, msg);
        return queue_error(r, status, msg, 1);
    }
    r->state = R_BODY;
    const char *cl = MHD_lookup_connection_value(r->c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (cl == NULL)
        return MHD_YES;
    errno = 0;
    unsigned long long len = strtoull(cl, NULL, 10); /* MHD has already refused malformed values */
    if (errno == ERANGE)
        len = ~0ULL;
    if (len <= s->max_body) {
        bl_buf_reserve(&r->body, (size_t)len);
        return MHD_YES;
    }
    const char *expect = MHD_lookup_connection_value(r->c, MHD_HEADER_KIND, MHD_HTTP_HEADER_EXPECT);
    if ((expect && strcasecmp(expect, "100-continue") == 0) || len > s->max_discard)
        return queue_too_large(r, 1);
    r->too_large = 1; /* read it, drop it, then answer 413 on a connection that stays usable */
    return MHD_YES;
}

/* A piece of the body (de-chunked by MHD). */
static enum MHD_Result on_body(req *r, const char *data, size_t n)
{
    bl_http_server *s = r->s;
    r->received += n;
    if (!r->too_large && r->received > s->max_body) {
        r->too_large = 1;
        bl_buf_free(&r->body);
    }
    if (!r->too_large) {
        bl_buf_add(&r->body, data, n);
        return MHD_YES;
    }
    if (r->received > s->max_discard) {
        s->stats.cut++;
        bl_http_log(s, "%s %s from %s: body passed %zu bytes; connection cut", r->pub.method, r->pub.path,
                    r->pub.peer_ip, s->max_discard);
        s->quiet = 1;
        return MHD_NO; /* MHD closes the connection; a 413 cannot be sent while the upload runs */
    }
    return MHD_YES;
}

/* Final call: the whole request is here. */
static enum MHD_Result on_complete_request(req *r)
{
    bl_http_server *s = r->s;
    if (r->k)
        r->k->busy = 1; /* arrived: no longer timed */
    if (r->too_large)
        return queue_too_large(r, s->stopping);
    if (r->body.data) {
        r->body.data[r->body.len] = '\0'; /* reserved by Content-Length, maybe never added to */
        r->pub.body = r->body.data;
        r->pub.body_len = r->body.len;
    }
    r->state = R_HANDLER;
    s->handler(s->ud, &r->pub);
    if (r->state == R_ANSWERED)
        return queue(r);
    hold(r);
    return MHD_YES;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *upload, size_t *upload_size, void **ctx)
{
    req *r = *ctx;
    if (r == NULL)
        return MHD_NO; /* out of memory in on_uri */
    switch (r->state) {
    case R_HEADERS:
        r->pub.method = method;
        r->pub.path = url;
        return on_headers(r, version);
    case R_BODY:
        if (*upload_size == 0)
            return on_complete_request(r);
        size_t n = *upload_size;
        *upload_size = 0;
        return on_body(r, upload, n);
    case R_ANSWERED:
        return queue(r); /* answered while held; MHD has resumed the connection */
    case R_CANCELLED:
        r->s->quiet = 1;
        return MHD_NO; /* the client is gone: MHD closes the connection */
    default:
        return MHD_YES;
    }
}

/* MHD_OPTION_NOTIFY_COMPLETED: the request is over (sent, failed, or the server is closing). */
static void on_completed(void *cls, struct MHD_Connection *c, void **ctx, enum MHD_RequestTerminationCode toe)
{
    bl_http_server *s = cls;
    req *r = *ctx;
    *ctx = NULL;
    if (r == NULL)
        return;
    if (toe == MHD_REQUEST_TERMINATED_WITH_ERROR && r->state == R_QUEUED && r->refusal.data && r->k)
        bl_http_answer_directly(r, r->status, r->refusal.data, r->refusal.len); /* MHD could not */
    if (r->k) { /* the next request is timed from when its first bytes arrive */
        r->k->req = NULL;
        r->k->busy = 0;
        r->k->since_ns = 0;
        r->k->ended_ns = uv_hrtime();
    }
    void (*cb)(bl_http_req *, void *) = NULL;
    if (r->state == R_HELD) { /* not expected: do_free cancels held requests before MHD_stop_daemon */
        unhold(r);
        s->stats.cancelled++;
        cb = r->cancel;
    }
    if (r->state == R_HEADERS || r->state == R_BODY)
        s->stats.unhandled++;
    if (r->resp)
        MHD_destroy_response(r->resp);
    s->stats.in_flight--;
    check_drained(s);
    if (cb)
        cb(&r->pub, r->cancel_ud);
    bl_buf_free(&r->body);
    bl_buf_free(&r->headers);
    bl_buf_free(&r->refusal);
    free(r);
}

/* Request accessors ------------------------------------------------------------------------------ */

const char *bl_http_query(const bl_http_req *pub, const char *name)
{
    const req *r = (const req *)pub;
    const char *v = NULL;
    size_t vlen = 0;
    if (MHD_lookup_connection_value_n(r->c, MHD_GET_ARGUMENT_KIND, name, strlen(name), &v, &vlen) != MHD_YES)
        return NULL;
    return v ? v : "";
}

typedef struct each_ctx {
    void (*cb)(void *, const char *, const char *);
    void *ud;
} each_ctx;

static enum MHD_Result each_arg(void *cls, enum MHD_ValueKind kind, const char *k, const char *v)
{
    each_ctx *e = cls;
    e->cb(e->ud, k, v ? v : "");
    return MHD_YES;
}

void bl_http_each_query(const bl_http_req *pub, void (*cb)(void *, const char *, const char *), void *cbud)
{
    const req *r = (const req *)pub;
    each_ctx e = {cb, cbud};
    MHD_get_connection_values(r->c, MHD_GET_ARGUMENT_KIND, each_arg, &e);
}

const char *bl_http_header(const bl_http_req *pub, const char *name)
{
    return MHD_lookup_connection_value(((const req *)pub)->c, MHD_HEADER_KIND, name);
}

int bl_http_add_header(bl_http_req *pub, const char *name, const char *value)
{
    req *r = (req *)pub;
    if (r->state != R_HANDLER && r->state != R_HELD)
        return BL_ERR;
    if (!valid_header(name, NAME_FORBIDDEN) || !valid_header(value, VALUE_FORBIDDEN))
        return BL_INVALID;
    bl_buf_add(&r->headers, name, strlen(name) + 1);
    bl_buf_add(&r->headers, value, strlen(value) + 1);
    return BL_OK;
}

int bl_http_respond(bl_http_req *pub, int status, const char *content_type, const char *body, size_t len)
{
    req *r = (req *)pub;
    bl_http_server *s = r->s;
    if (r->state != R_HANDLER && r->state != R_HELD)
        return BL_ERR;
    if (status < 200 || status > 599 || (content_type && !valid_header(content_type, VALUE_FORBIDDEN)))
        return BL_INVALID;
    r->resp = make_response(content_type, body, len, &r->headers, s->stopping);
    if (r->resp == NULL)
        return BL_INVALID; /* MHD refused a header */
    r->status = status;
    if (r->state == R_HELD) {
        unhold(r);
        MHD_resume_connection(r->c);
        kick(s);
    }
    r->state = R_ANSWERED;
    return BL_OK;
}

void bl_http_on_cancel(bl_http_req *pub, void (*cb)(bl_http_req *, void *), void *cbud)
{
    req *r = (req *)pub;
    r->cancel = cb;
    r->cancel_ud = cbud;
}

/* The server ------------------------------------------------------------------------------------- */

int bl_http_split_listen(const char *listen, char *host, size_t hostcap, int *port, char **err)
{
    const char *colon = NULL, *h = listen;
    size_t hlen;
    if (listen[0] == '[') {
        const char *end = strchr(listen, ']');
        if (end == NULL || end[1] != ':')
            goto bad;
        h = listen + 1;
        hlen = (size_t)(end - h);
        colon = end + 1;
    } else {
        colon = strrchr(listen, ':');
        if (colon == NULL)
            goto bad;
        hlen = (size_t)(colon - listen);
    }
    char *end;
    long p = strtol(colon + 1, &end, 10);
    if (colon[1] == '\0' || *end != '\0' || p < 0 || p > 65535 || hlen == 0 || hlen >= hostcap)
        goto bad;
    memcpy(host, h, hlen);
    host[hlen] = '\0';
    *port = (int)p;
    return BL_OK;
bad:
    if (err)
        *err = bl_strdupf("'%s' is not HOST:PORT (for example 127.0.0.1:8080 or [::1]:8080)", listen);
    return BL_INVALID;
}

/* Binds and listens on host:port, so that errors are exact and port 0 can be read back. */
static int open_listener(const char *host, int port, int *fd_out, int *port_out, int *v6, char **err)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    socklen_t sslen;
    struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
    if (strcmp(host, "localhost") == 0)
        host = "127.0.0.1";
    if (inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
        a4->sin_family = AF_INET;
        a4->sin_port = htons((uint16_t)port);
        sslen = sizeof *a4;
    } else if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons((uint16_t)port);
        sslen = sizeof *a6;
    } else {
        *err = bl_strdupf("cannot listen on '%s': the host must be a numeric IPv4 or IPv6 address, or localhost",
                          host);
        return BL_INVALID;
    }
    *v6 = ss.ss_family == AF_INET6;
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        *err = bl_strdupf("cannot listen on %s:%d: socket: %s", host, port, strerror(errno));
        return BL_ERR;
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (*v6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&ss, sslen) != 0 || listen(fd, 511) != 0) {
        *err = bl_strdupf("cannot listen on %s:%d: %s", host, port, strerror(errno));
        close(fd);
        return BL_ERR;
    }
    sslen = sizeof ss;
    getsockname(fd, (struct sockaddr *)&ss, &sslen);
    *port_out = ntohs(*v6 ? a6->sin6_port : a4->sin_port);
    *fd_out = fd;
    return BL_OK;
}

int bl_http_start(uv_loop_t *loop, const char *host, int port, const bl_http_config *cfg, bl_http_handler handler,
                  void *ud, bl_http_server **out, char **err)
{
    static const bl_http_config defaults;
    *out = NULL;
    if (cfg == NULL)
        cfg = &defaults;
    if (loop == NULL || host == NULL || handler == NULL || port < 0 || port > 65535) {
        *err = bl_strdupf("bl_http_start: loop, host and handler are required, and the port must be 0..65535");
        return BL_INVALID;
    }
    bl_http_server *s = calloc(1, sizeof *s);
    if (s == NULL) {
        *err = bl_strdupf("out of memory");
        return BL_ERR;
    }
    s->loop = loop;
    s->handler = handler;
    s->ud = ud;
    s->log = cfg->log;
    s->on_response = cfg->on_response;
    s->max_body = cfg->max_body ? cfg->max_body : DEFAULT_MAX_BODY;
    s->max_discard = cfg->max_discard ? cfg->max_discard : 4 * s->max_body;
    if (s->max_discard < s->max_body)
        s->max_discard = s->max_body;
    s->max_connections = cfg->max_connections ? cfg->max_connections : DEFAULT_MAX_CONNECTIONS;
    s->max_per_client = cfg->max_per_client ? cfg->max_per_client : DEFAULT_MAX_PER_CLIENT;
    unsigned idle = cfg->idle_timeout_s ? cfg->idle_timeout_s : DEFAULT_IDLE_TIMEOUT_S;
    unsigned request_s = cfg->request_timeout_s ? cfg->request_timeout_s : DEFAULT_REQUEST_TIMEOUT_S;
    s->conn_memory = cfg->conn_memory ? cfg->conn_memory : DEFAULT_CONN_MEMORY;
    s->request_timeout_ns = (uint64_t)request_s * 1000000000;

    int v6 = 0;
    int rc = open_listener(host, port, &s->listen_fd, &s->port, &v6, err);
    if (rc != BL_OK) {
        free(s);
        return rc;
    }
    s->peers = bl_http_peers_new(s->max_connections);
    unsigned flags = MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | (s->log ? MHD_USE_ERROR_LOG : 0) |
                     (v6 ? MHD_USE_IPv6 : 0);
    /* MHD's own cap sits above ours and the overflow: bl_http_conn_accept refuses first, so MHD never
     * parks connections in the backlog */
    s->d = MHD_start_daemon(flags, 0, bl_http_conn_accept, s, on_request, s,
                            MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, s, /* first, or MHD warns on stderr */
                            MHD_OPTION_LISTEN_SOCKET, (MHD_socket)s->listen_fd,
                            MHD_OPTION_CONNECTION_TIMEOUT, idle,
                            MHD_OPTION_CONNECTION_LIMIT, s->max_connections + BL_HTTP_OVERFLOW + 16,
                            MHD_OPTION_CONNECTION_MEMORY_LIMIT, s->conn_memory,
                            MHD_OPTION_URI_LOG_CALLBACK, on_uri, s,
                            MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
                            MHD_OPTION_NOTIFY_CONNECTION, bl_http_conn_notify, s,
                            MHD_OPTION_END);
    const union MHD_DaemonInfo *di = s->d ? MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_EPOLL_FD) : NULL;
    if (di == NULL) {
        *err = bl_strdupf("cannot start the HTTP server on %s:%d (libmicrohttpd refused its options)", host, port);
        if (s->d)
            MHD_stop_daemon(s->d); /* closes the listening socket */
        else
            close(s->listen_fd);
        bl_http_peers_free(s->peers);
        free(s);
        return BL_ERR;
    }
    uv_poll_init(loop, &s->poll, di->epoll_fd);
    uv_timer_init(loop, &s->timer);
    uv_timer_init(loop, &s->later);
    uv_timer_init(loop, &s->sweep);
    s->poll.data = s->timer.data = s->later.data = s->sweep.data = s;
    uv_poll_start(&s->poll, UV_READABLE, on_poll);
    uint64_t every_ms = request_s >= 4 ? 1000 : request_s * 250;
    s->sweep_ns = every_ms * 1000000;
    uv_timer_start(&s->sweep, bl_http_conn_sweep, every_ms, every_ms);
    uv_unref((uv_handle_t *)&s->sweep); /* the sweep alone does not keep a loop running */
    kick(s);
    *out = s;
    return BL_OK;
}

int bl_http_port(const bl_http_server *s) { return s->port; }

const bl_http_stats *bl_http_get_stats(const bl_http_server *s) { return &s->stats; }

void bl_http_stop(bl_http_server *s, void (*on_drained)(bl_http_server *, void *), void *ud)
{
    if (s->stopping)
        return;
    s->stopping = 1;
    s->on_drained = on_drained;
    s->drained_ud = ud;
    MHD_socket fd = MHD_quiesce_daemon(s->d);
    if (fd != MHD_INVALID_SOCKET)
        close(fd); /* new connections are refused by the kernel from now on */
    s->listen_fd = -1;
    check_drained(s);
}

int bl_http_drained(const bl_http_server *s) { return s->stopping && s->stats.in_flight == 0; }

static void on_handle_closed(uv_handle_t *h)
{
    bl_http_server *s = h->data;
    if (--s->closing_handles == 0) {
        bl_http_peers_free(s->peers);
        free(s);
    }
}

static void do_free(bl_http_server *s)
{
    s->freeing = 1;
    s->closing_handles = 4;
    s->free_pending = 0;
    /* MHD may not be stopped with suspended connections: give them back, cancelled. */
    while (s->held)
        cancel_held(s->held);
    uv_close((uv_handle_t *)&s->poll, on_handle_closed); /* off libuv's epoll before MHD closes the fd */
    MHD_stop_daemon(s->d);                                 /* closes every connection: on_completed for each */
    s->d = NULL;
    uv_close((uv_handle_t *)&s->timer, on_handle_closed);
    uv_close((uv_handle_t *)&s->later, on_handle_closed);
    uv_close((uv_handle_t *)&s->sweep, on_handle_closed);
}

void bl_http_free(bl_http_server *s)
{
    if (s == NULL || s->freeing || s->free_pending)
        return;
    if (s->driving)
        s->free_pending = 1; /* called from a callback inside MHD_run: finish it when MHD returns */
    else
        do_free(s);
}
