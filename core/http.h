/* http.h — the HTTP server: libmicrohttpd on a caller-owned libuv loop; whole-body requests, answers now or
 * later; hostile requests and clients refused before the handler sees them. */
#ifndef BL_HTTP_H
#define BL_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <uv.h>

#include "common.h"

typedef struct bl_http_server bl_http_server;

/* One request, handed over once its whole body has arrived. Valid until it is answered and sent, or
 * until its cancel callback has run; the strings live as long as the request. Everything here runs on
 * the loop's thread. */
typedef struct bl_http_req {
    const char *method;   /* "GET", "PUT", ... */
    const char *path;     /* percent-decoded, without the query; never holds a control byte */
    const char *query;    /* the raw query string after '?', not decoded; "" if none */
    const char *body;     /* NUL-terminated (the NUL is not counted); "" if none */
    size_t body_len;
    const struct sockaddr *peer; /* the client's address */
    char peer_ip[46];            /* "127.0.0.1", "::1", ... */
    int loopback;                /* the peer is on 127.0.0.0/8 or ::1 */
    uint64_t start_ns;           /* uv_hrtime() when the request line arrived */
    void *data;                  /* the caller's, untouched by this module */
    const char *route;           /* the caller's label of the request (the API's route), untouched */
} bl_http_req;

/* Called on the loop thread with a complete request. Answer with bl_http_respond, now or from a later
 * loop callback; in the latter case, set a cancel callback with bl_http_on_cancel. */
typedef void (*bl_http_handler)(void *ud, bl_http_req *req);

/* What is refused before the handler runs, each answer with Connection: close and {"error": "..."} in
 * plain words (the handler never sees the request, nor anything sent after it on that connection):
 *  - 414: a request target (path and query) longer than BL_HTTP_MAX_TARGET (8192) bytes; never cut;
 *  - 400: a control byte (0x00-0x1F, 0x7F) or a space in the path or query, as sent or percent-encoded,
 *    named with its byte offset;
 *  - 400: framing two servers could read two ways: Content-Length with Transfer-Encoding, two
 *    Content-Lengths that differ, a Transfer-Encoding other than "chunked" (or in HTTP/1.0), no Host
 *    (HTTP/1.1) or two, a header name with a blank or another character a token may not have;
 *  - 503 with Retry-After: 1: a request on a connection over max_connections or max_per_client (16 such
 *    connections are kept to be answered; more are closed as they are accepted, counted in refused);
 *  - the connection is shut down, without an answer: a request still arriving request_timeout_s after
 *    it began (the first: after the connection opened; the next ones: after their first bytes).
 * libmicrohttpd keeps the request line and headers in conn_memory. What does not fit it answers by
 * itself, with an HTML body, not counted here: 414 when the request line does not fit, 431 when the
 * headers after it do not (with the default 32 KiB: targets from about 32,600 bytes). Shorter targets
 * over the limit get this module's 414, also when the request left libmicrohttpd no room to write it
 * (the answer is then written to the socket directly) or when libmicrohttpd 0.9.75 stalls on a query
 * near the end of that memory (answered at the next sweep, within about a second). A handler's answer
 * must fit, status line and headers, in what the request left of conn_memory: else libmicrohttpd
 * closes the connection without it. */
#define BL_HTTP_MAX_TARGET 8192

/* Zeroes mean the default. */
typedef struct bl_http_config {
    size_t max_body;          /* bytes a request body may have; default 1 MiB; larger: 413 */
    size_t max_discard;       /* bytes of an oversized body read and dropped so that its 413 arrives
                               * cleanly; past this the connection is cut; default 4 * max_body */
    unsigned max_connections; /* open connections; default 256; more are answered 503 (see above) */
    unsigned max_per_client;  /* open connections from one client address (IPv4 or IPv6); default 32;
                               * more are answered 503 (see above) */
    unsigned idle_timeout_s;  /* a connection silent this long is closed; default 30 */
    unsigned request_timeout_s; /* a request (line, headers and body) still arriving this long after
                               * it began: its connection is closed; default 10 (held requests and
                               * answers being sent are not timed); checked every second (every
                               * quarter of the limit below 4 s), so cut up to that much later */
    size_t conn_memory;       /* per-connection memory for the request line and headers and the
                               * answer's headers; default libmicrohttpd's 32 KiB (see above) */
    /* libmicrohttpd's own messages and this module's, one line each without the newline; NULL drops them. */
    void (*log)(void *ud, const char *line);
    /* Called as each response is queued, whatever produced it (status counts, latency histograms). */
    void (*on_response)(void *ud, const bl_http_req *req, int status, uint64_t elapsed_ns);
} bl_http_config;

/* Counters, readable at any time on the loop thread. */
typedef struct bl_http_stats {
    uint64_t status[600];        /* responses queued, by status code */
    uint64_t status_class[6];    /* the same by class: [2] = 2xx ... [5] = 5xx */
    uint64_t requests;           /* requests whose request line arrived */
    uint64_t too_large;          /* of which refused with 413 by this module */
    uint64_t cut;                /* of which cut off: body past max_discard */
    uint64_t cancelled;          /* held requests whose client went away or whose server was freed */
    uint64_t unhandled;          /* requests that never reached the handler: libmicrohttpd answered them
                                  * itself (400, 414, 431, 505: not in status[]), the body was cut, or
                                  * the client left */
    uint64_t too_long;           /* of which refused with 414: the target passed BL_HTTP_MAX_TARGET */
    uint64_t control_bytes;      /* of which refused with 400: a control byte or a space in the target */
    uint64_t smuggling;          /* of which refused with 400: framing that could be read two ways */
    uint64_t timeouts;           /* connections closed: a request still arriving after request_timeout_s */
    uint64_t sent_directly;      /* refusals written to the socket by this module, as libmicrohttpd could
                                  * not (a request that filled conn_memory; see above) */
    uint64_t connections;        /* connections accepted in all */
    uint64_t refused_per_client; /* connections over max_per_client: their requests answered 503 */
    uint64_t refused_overall;    /* connections over max_connections (and within max_per_client): same */
    uint64_t refused;            /* of those two, connections closed at accept, unanswered: the 16 kept
                                  * for answering were all taken */
    unsigned connections_open;
    unsigned in_flight;          /* requests received and not yet completely answered */
} bl_http_stats;

/* Listens on host:port (host numeric IPv4/IPv6 or "localhost"; port 0 picks a free port) and serves
 * from loop, calling handler(ud, req). cfg may be NULL. The loop must be running for anything to
 * happen. Returns BL_OK, BL_INVALID (bad arguments) or BL_ERR with *err malloc'd. */
int bl_http_start(uv_loop_t *loop, const char *host, int port, const bl_http_config *cfg, bl_http_handler handler,
                  void *ud, bl_http_server **out, char **err);
/* Splits "host:port" or "[v6]:port" into host (hostcap bytes) and *port; BL_INVALID with *err if malformed. */
int bl_http_split_listen(const char *listen, char *host, size_t hostcap, int *port, char **err);
int bl_http_port(const bl_http_server *s); /* the bound port */
const bl_http_stats *bl_http_get_stats(const bl_http_server *s);

/* Stops accepting (the listening socket is closed). Requests already received are still answered, with
 * Connection: close; new requests on kept-alive connections get 503. When none is left in flight,
 * on_drained(s, ud) is called from a loop callback (once; may be NULL); then call bl_http_free. */
void bl_http_stop(bl_http_server *s, void (*on_drained)(bl_http_server *s, void *ud), void *ud);
int bl_http_drained(const bl_http_server *s); /* stopped and nothing in flight */
/* Closes every connection (held requests get their cancel callback first) and releases the server
 * once the loop has run the close callbacks. s is unusable afterwards. */
void bl_http_free(bl_http_server *s);

/* Query parameter `name` (decoded; "" if given without '='), or NULL if absent. Names compare
 * case-insensitively. */
const char *bl_http_query(const bl_http_req *req, const char *name);
/* Calls cb(cbud, name, value) for every query parameter (value "" if given without '='). */
void bl_http_each_query(const bl_http_req *req, void (*cb)(void *cbud, const char *name, const char *value),
                        void *cbud);
/* Request header `name` (case-insensitive), or NULL if absent. */
const char *bl_http_header(const bl_http_req *req, const char *name);

/* Adds a response header (copied) to the answer given next by bl_http_respond. BL_INVALID if name is
 * empty or holds a blank, colon or line break, or value is empty or holds a line break (libmicrohttpd
 * cannot send an empty value); BL_ERR if the request was already answered. */
int bl_http_add_header(bl_http_req *req, const char *name, const char *value);
/* Answers req with status, Content-Type content_type (NULL: none) and len bytes of body (copied).
 * Called from inside the handler, the answer goes out when it returns; called later, from any loop
 * callback, it goes out on the next loop iteration. Returns BL_OK; BL_INVALID for a status outside
 * 200..599 or a bad header; BL_ERR if req was already answered or cancelled. */
int bl_http_respond(bl_http_req *req, int status, const char *content_type, const char *body, size_t len);
/* For a request answered later: cb(req, cbud) runs if it will never be answered (the client closed its
 * connection, or bl_http_free). After cb returns, req is gone; cb is called at most once, and never
 * after a successful bl_http_respond. A client that half-closes (shuts down its sending side) while
 * waiting counts as gone. */
void bl_http_on_cancel(bl_http_req *req, void (*cb)(bl_http_req *req, void *cbud), void *cbud);

#endif
