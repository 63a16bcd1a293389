/* fuzz_http.c — libFuzzer target: arbitrary bytes sent on a TCP connection to the HTTP server (core/http.c,
 * libmicrohttpd on a libuv loop), through the API's router (core/router.c, the API's own {type} and {id}
 * checks), the body parser (duplicate keys, invalid UTF-8, depth) and the record builder, then the
 * example policies of the record's type, in this process. Any crash, leak, hang or UB report is a bug;
 * so is an answer that is not HTTP or an evaluation whose output is not JSON. Built and run by
 * `make fuzz` (clang, -fsanitize=fuzzer,address,undefined), from the repository root. */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "api_records.h"
#include "engine.h"
#include "host.h"
#include "http.h"
#include "router.h"

static uv_loop_t loop;
static bl_http_server *srv;
static bl_host_t *host;
static int port;

/* PUT /records/{type}/{id}: the body as a record, evaluated; the answer is the evaluation. */
static void h_put(void *ud, const bl_req *req, const bl_match *m, bl_resp *resp)
{
    (void)ud;
    cJSON *fields = bl_api_body(req, resp, "the record's fields");
    if (fields == NULL)
        return;
    cJSON *rec = bl_engine_record(m->seg[0], m->seg[1], fields);
    bl_buf out = {0};
    char *msg = NULL;
    if (bl_host_eval_json(host, m->seg[0], rec, NULL, &out, &msg) == BL_OK) {
        char err[200];
        cJSON *back = bl_json_parse(out.data, out.len, err, sizeof err); /* the writer writes valid JSON */
        if (back == NULL)
            abort();
        bl_api_json(resp, 200, back);
    } else {
        bl_api_error(resp, 422, "%s", msg ? msg : "?");
    }
    bl_buf_free(&out);
    free(msg);
    cJSON_Delete(rec);
    cJSON_Delete(fields);
}

static void h_get(void *ud, const bl_req *req, const bl_match *m, bl_resp *resp)
{
    (void)ud, (void)req;
    cJSON *o = cJSON_CreateObject();
    bl_json_add_str(o, "type", m->seg[0]);
    for (int i = 0; i < m->narg; i++) /* the conditions a list would take */
        bl_json_add_str(o, m->arg_name[i], m->arg_value[i]);
    bl_api_json(resp, 200, o);
}

static const bl_route routes[] = {
    {"GET", "/records/{type}", BL_ROLE_READER, BL_ROUTE_FIELDS, "limit after sort format", h_get},
    {"PUT", "/records/{type}/{id}", BL_ROLE_WRITER, 0, NULL, h_put},
    {"POST", "/records/{type}/{id}", BL_ROLE_WRITER, 0, NULL, h_put},
};

static const char *req_header(const bl_req *r, const char *name) { return bl_http_header(r->impl, name); }
static const char *req_query(const bl_req *r, const char *name) { return bl_http_query(r->impl, name); }
static void req_each_query(const bl_req *r, void (*cb)(void *, const char *, const char *), void *ud)
{
    bl_http_each_query(r->impl, cb, ud);
}

static void on_http(void *ud, bl_http_req *hr)
{
    (void)ud;
    int nkinds;
    const bl_seg_kind *kinds = bl_api_kinds(&nkinds);
    bl_router r = {.routes = routes, .nroutes = 3, .kinds = kinds, .nkinds = nkinds};
    bl_req req = {
        .method = hr->method, .path = hr->path, .query = req_query, .header = req_header,
        .each_query = req_each_query, .body = hr->body, .body_len = hr->body_len, .loopback = hr->loopback,
        .peer = hr->peer_ip, .raw_query = hr->query, .impl = hr,
    };
    bl_resp resp = {0};
    bl_router_dispatch(&r, &req, &resp);
    const char *body = resp.body ? resp.body : "";
    bl_http_respond(hr, resp.status ? resp.status : 500, "application/json", body, strlen(body));
    free(resp.body);
}

static void setup(void)
{
    bl_host_config cfg = {.policy_dir = "policies", .scripts_dir = "scripts", .limits = BL_LIMITS_DEFAULT};
    bl_buf errors = {0};
    host = bl_host_open(&cfg, &errors);
    if (host == NULL)
        abort(); /* run from the repository root */
    bl_buf_free(&errors);
    uv_loop_init(&loop);
    bl_http_config hc = {.request_timeout_s = 1, .idle_timeout_s = 1, .max_body = 64 * 1024};
    char *err = NULL;
    if (bl_http_start(&loop, "127.0.0.1", 0, &hc, on_http, NULL, &srv, &err) != BL_OK)
        abort();
    port = bl_http_port(srv);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (srv == NULL)
        setup();
    if (size > 64 * 1024)
        return 0;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) != 0)
        abort();
    /* the request, then the end of it; the answers are read (and dropped) until the server closes, or
     * until it has said nothing for 3 turns with nothing in flight (a kept-alive connection) or for 30
     * (a request that waits for more than was sent: the server would time it out) */
    size_t sent = 0;
    int closed = 0, quiet = 0;
    char buf[65536];
    for (int turns = 0; !closed && turns < 20000 && quiet < 30; turns++) {
        if (sent < size) {
            ssize_t n = send(fd, data + sent, size - sent, MSG_DONTWAIT | MSG_NOSIGNAL);
            if (n > 0)
                sent += (size_t)n;
            else if (n < 0 && errno != EAGAIN)
                sent = size; /* the server closed: nothing more to send */
            if (sent == size)
                shutdown(fd, SHUT_WR);
        }
        uv_run(&loop, UV_RUN_NOWAIT);
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int heard = 0;
        while (!closed && poll(&p, 1, 0) == 1) {
            ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
            if (n == 0 || (n < 0 && errno != EAGAIN))
                closed = 1;
            else if (n < 0)
                break;
            heard = 1;
        }
        quiet = sent == size && !heard ? quiet + (bl_http_get_stats(srv)->in_flight == 0 ? 10 : 1) : 0;
        if (!closed && sent == size)
            poll(&p, 1, 1);
    }
    close(fd);
    for (int i = 0; i < 50; i++) /* the server's side of the connection goes */
        uv_run(&loop, UV_RUN_NOWAIT);
    return 0;
}
