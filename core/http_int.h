/* http_int.h — what the files of the HTTP server share (http.c: requests and answers; http_conn.c:
 * connections); not for use outside them. */
#ifndef BL_HTTP_INT_H
#define BL_HTTP_INT_H

#include <microhttpd.h>
#include <stdint.h>
#include <sys/socket.h>
#include <uv.h>

#include "http.h"
#include "http_guard.h"

/* Where a request is. Only one path leads to each state, so a state says what has been done. */
enum {
    R_HEADERS,   /* request line and headers arrived; the access handler has not run yet */
    R_BODY,      /* receiving the body (or discarding an oversized one) */
    R_HANDLER,   /* inside the caller's handler */
    R_HELD,      /* handler returned without answering: connection suspended, waiting */
    R_ANSWERED,  /* an answer is ready and waits to be queued */
    R_QUEUED,    /* handed to libmicrohttpd */
    R_CANCELLED, /* held, and its client went away: the cancel callback has run */
};

#define BL_HTTP_OVERFLOW 16 /* connections over a limit kept open to be answered 503; more: closed at accept */

/* Why a connection is kept only to be answered 503. */
enum { WITHIN, OVER_CLIENT, OVER_TOTAL };

/* A connection, from libmicrohttpd's NOTIFY_CONNECTION STARTED to CLOSED (its socket context). */
typedef struct conn {
    struct conn *prev, *next;
    struct req *req;         /* the request under way, if any */
    struct sockaddr_storage peer;
    char peer_ip[46];
    int fd;
    int over;                /* WITHIN, or why its requests are answered 503 */
    int busy;                /* a request of its reached the handler or is answered: not timed */
    int cut;                 /* shut down by the sweep: too slow */
    uint64_t since_ns;       /* when the request now arriving began (the first: the connection); 0: none */
    uint64_t ended_ns;       /* when the last request ended */
} conn;

typedef struct req {
    bl_http_req pub;
    bl_http_server *s;
    struct MHD_Connection *c;
    conn *k;                /* NULL once the connection is gone */
    uintptr_t raw_uri;      /* where the target was in libmicrohttpd's buffer: finds a NUL byte in it */
    int state;
    int too_large;          /* the body passed max_body: discarding, 413 at the end */
    size_t received;        /* body bytes seen, kept or not */
    bl_buf body;
    bl_buf headers;         /* extra response headers: name\0value\0 ... */
    bl_buf refusal;         /* the body of a refusal that closes the connection, kept in case MHD cannot
                             * send it (see bl_http_answer_directly) */
    struct MHD_Response *resp;
    int status;
    void (*cancel)(bl_http_req *, void *);
    void *cancel_ud;
    uv_poll_t *watch;       /* while held: tells when the client goes away */
    struct req *prev, *next; /* the held list */
    struct sockaddr_storage peer;
    char uri[];             /* the raw request target; the query points into it */
} req;

struct bl_http_server {
    uv_loop_t *loop;
    struct MHD_Daemon *d;
    uv_poll_t poll;          /* MHD's epoll fd */
    uv_timer_t timer;        /* MHD_get_timeout, and "run MHD again soon" */
    uv_timer_t later;        /* tells the caller it is drained */
    uv_timer_t sweep;        /* cuts connections whose request takes too long to arrive */
    int closing_handles;
    int port;
    int listen_fd;
    size_t max_body, max_discard, conn_memory;
    unsigned max_connections, max_per_client;
    uint64_t request_timeout_ns, sweep_ns;
    conn *conns;
    bl_http_peers *peers;    /* connections within the limits, per client address */
    unsigned within, overflow; /* open connections within the limits, and over them (answered 503) */
    unsigned cuts_open;      /* connections the sweep shut down, not yet closed by MHD */
    uint64_t client_cap_logged_ns;
    bl_http_handler handler;
    void *ud;
    void (*log)(void *, const char *);
    void (*on_response)(void *, const bl_http_req *, int, uint64_t);
    int driving, kick;       /* inside MHD_run; something asked for another run */
    int quiet;               /* we just returned MHD_NO on purpose: drop MHD's line about it */
    int at_cap;              /* over max_connections (logged once per episode) */
    int stopping, drain_told, freeing, free_pending;
    void (*on_drained)(bl_http_server *, void *);
    void *drained_ud;
    req *held;
    bl_http_stats stats;
};

void bl_http_log(bl_http_server *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Writes the answer status, r's extra headers and json straight to the socket of r's connection (r->k
 * must be set), which is closing: for when libmicrohttpd cannot. */
void bl_http_answer_directly(req *r, int status, const char *json, size_t len);

/* http_conn.c: libmicrohttpd's APPLY_POLICY and NOTIFY_CONNECTION callbacks (cls: the server), the
 * sweep's timer callback (data: the server), and the 503 message for a connection over a limit
 * (returns 0 for one within them). */
enum MHD_Result bl_http_conn_accept(void *cls, const struct sockaddr *addr, socklen_t len);
void bl_http_conn_notify(void *cls, struct MHD_Connection *c, void **socket_ctx,
                         enum MHD_ConnectionNotificationCode code);
void bl_http_conn_sweep(uv_timer_t *t);
int bl_http_conn_refusal(const bl_http_server *s, const conn *k, char *msg, size_t cap);

#endif
