/* http_conn.c — the HTTP server's connections: counted against the overall and per-client limits
 * (one over them is kept to be answered 503 with Retry-After, up to BL_HTTP_OVERFLOW; past that it
 * is closed as it is accepted), and timed while a request arrives. */
#include <arpa/inet.h>
#include <inttypes.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "http_int.h"
#include "json.h"

#define DATA_SLACK_NS 20000000ull /* the kernel's time of the last data received is in jiffies (1-10 ms) */

/* Limits -------------------------------------------------------------------------------------------- */

static int over_limit(const bl_http_server *s, const struct sockaddr *sa)
{
    if (bl_http_peers_count(s->peers, sa) >= s->max_per_client)
        return OVER_CLIENT;
    if (s->within >= s->max_connections)
        return OVER_TOTAL;
    return WITHIN;
}

int bl_http_conn_refusal(const bl_http_server *s, const conn *k, char *msg, size_t cap)
{
    if (k->over == OVER_CLIENT)
        snprintf(msg, cap, "too many connections from your address (the limit is %u): try again in a second",
                 s->max_per_client);
    else if (k->over == OVER_TOTAL)
        snprintf(msg, cap, "the server has too many connections (the limit is %u): try again in a second",
                 s->max_connections);
    return k->over != WITHIN;
}

/* Counts and logs (once per episode, or every 10 s for one client) a connection over a limit. */
static void note_over(bl_http_server *s, int over, const char *ip)
{
    if (over == OVER_CLIENT) {
        s->stats.refused_per_client++;
        uint64_t now = uv_hrtime();
        if (now - s->client_cap_logged_ns >= 10000000000ull || s->client_cap_logged_ns == 0) {
            s->client_cap_logged_ns = now;
            bl_http_log(s, "%s passed the limit of %u connections per client: its new connections are answered 503 "
                        "(%" PRIu64 " so far, all clients)", ip, s->max_per_client, s->stats.refused_per_client);
        }
    } else {
        s->stats.refused_overall++;
        if (!s->at_cap) {
            s->at_cap = 1;
            bl_http_log(s, "connection limit of %u reached: new connections are answered 503 until one ends",
                        s->max_connections);
        }
    }
}

static void conn_open(bl_http_server *s, struct MHD_Connection *c, void **socket_ctx)
{
    conn *k = bl_xmalloc(sizeof *k);
    memset(k, 0, sizeof *k);
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr *sa = ci ? ci->client_addr : NULL;
    if (sa && sa->sa_family == AF_INET) {
        memcpy(&k->peer, sa, sizeof(struct sockaddr_in));
        inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, k->peer_ip, sizeof k->peer_ip);
    } else if (sa && sa->sa_family == AF_INET6) {
        memcpy(&k->peer, sa, sizeof(struct sockaddr_in6));
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, k->peer_ip, sizeof k->peer_ip);
    }
    ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
    k->fd = ci ? ci->connect_fd : -1;
    const struct sockaddr *peer = (const struct sockaddr *)&k->peer;
    k->over = over_limit(s, peer);
    if (k->over == WITHIN && bl_http_peers_add(s->peers, peer) != 0)
        k->over = OVER_TOTAL; /* neither IPv4 nor IPv6, so not counted (the table cannot be full) */
    if (k->over) {
        s->overflow++;
        note_over(s, k->over, k->peer_ip);
    } else {
        s->within++;
    }
    k->since_ns = uv_hrtime();
    k->next = s->conns;
    if (s->conns)
        s->conns->prev = k;
    s->conns = k;
    *socket_ctx = k;
}

static void conn_close(bl_http_server *s, conn *k)
{
    if (k->over) {
        s->overflow--;
    } else {
        bl_http_peers_remove(s->peers, (const struct sockaddr *)&k->peer);
        s->within--;
    }
    if (k->cut)
        s->cuts_open--;
    if (k->req)
        k->req->k = NULL;
    if (k->prev)
        k->prev->next = k->next;
    else
        s->conns = k->next;
    if (k->next)
        k->next->prev = k->prev;
    free(k);
    if (s->at_cap && s->within < s->max_connections) {
        s->at_cap = 0;
        bl_http_log(s, "below the connection limit again; %" PRIu64 " connections were refused so far",
                    s->stats.refused_overall);
    }
}

/* MHD_OPTION_NOTIFY_CONNECTION */
void bl_http_conn_notify(void *cls, struct MHD_Connection *c, void **socket_ctx,
                         enum MHD_ConnectionNotificationCode code)
{
    bl_http_server *s = cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        s->stats.connections++;
        s->stats.connections_open++;
        conn_open(s, c, socket_ctx);
    } else if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
        s->stats.connections_open--;
        if (*socket_ctx)
            conn_close(s, *socket_ctx);
        *socket_ctx = NULL;
    }
}

/* MHD_OPTION_APPLY_POLICY_CALLBACK: a connection over a limit is kept to be answered 503 while there
 * is room in the overflow, and closed at once past it. MHD's own limit sits above both: it would
 * instead leave connections waiting in the listen backlog. */
enum MHD_Result bl_http_conn_accept(void *cls, const struct sockaddr *addr, socklen_t len)
{
    bl_http_server *s = cls;
    int over = over_limit(s, addr);
    if (over == WITHIN || s->overflow < BL_HTTP_OVERFLOW)
        return MHD_YES;
    char ip[46] = "";
    if (addr->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)addr)->sin_addr, ip, sizeof ip);
    else if (addr->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)addr)->sin6_addr, ip, sizeof ip);
    s->stats.refused++;
    note_over(s, over, ip);
    return MHD_NO;
}

/* Slow requests ------------------------------------------------------------------------------------
 * libmicrohttpd's idle timeout starts again at each byte, so a client sending a byte a second keeps a
 * connection forever. A sweep every second (or a quarter of the limit) shuts down the connections
 * whose request has been arriving for longer than request_timeout_s; libmicrohttpd then closes them.
 * A request is timed from its connection's start (the first) or from the first data after the last
 * one ended, until it has all arrived; held and answered requests are not timed. */

/* For a connection between requests: when the next request began to arrive, or 0 if nothing has
 * since the last ended. The kernel knows when data last came: that time, never earlier than the
 * first byte, so a request is never cut early (and late by at most a sweep). */
static uint64_t arriving_since(const conn *k, uint64_t now)
{
    struct tcp_info ti;
    socklen_t len = sizeof ti;
    if (k->fd < 0 || getsockopt(k->fd, IPPROTO_TCP, TCP_INFO, &ti, &len) != 0)
        return 0;
    uint64_t quiet_ns = (uint64_t)ti.tcpi_last_data_recv * 1000000;
    if (quiet_ns + DATA_SLACK_NS >= now - k->ended_ns)
        return 0; /* the last data came before the last request ended */
    return now - quiet_ns;
}

static void cut(bl_http_server *s, conn *k)
{
    k->cut = 1;
    s->cuts_open++;
    shutdown(k->fd, SHUT_RDWR); /* MHD reads the end and closes the connection */
}

/* libmicrohttpd 0.9.75 stalls on a request line that nearly fills conn_memory and has a query: it has
 * no room left for the query's parameters, queues its own 431 and never sends it, nor reads on. Such a
 * target is too long anyway: a sweep later, if its headers have still not come, its 414 is written
 * directly and the connection closed. */
static int stalled_too_long(bl_http_server *s, conn *k, uint64_t now)
{
    req *r = k->req;
    if (r == NULL || r->state != R_HEADERS || now - r->pub.start_ns < s->sweep_ns ||
        strlen(r->uri) <= BL_HTTP_MAX_TARGET)
        return 0;
    char msg[100];
    bl_buf json = {0};
    bl_http_target_check(r->uri, strlen(r->uri), msg, sizeof msg);
    BL_JSON_LIT(&json, "{\"error\":");
    bl_json_put_str(&json, msg, strlen(msg));
    BL_JSON_LIT(&json, "}");
    bl_http_answer_directly(r, 414, json.data, json.len);
    bl_buf_free(&json);
    s->stats.too_long++;
    s->stats.status[414]++;
    s->stats.status_class[4]++;
    cut(s, k);
    return 1;
}

void bl_http_conn_sweep(uv_timer_t *t)
{
    bl_http_server *s = t->data;
    uint64_t now = uv_hrtime();
    for (conn *k = s->conns; k; k = k->next) {
        if (k->busy || k->cut || stalled_too_long(s, k, now) ||
            (k->since_ns == 0 && (k->since_ns = arriving_since(k, now)) == 0))
            continue;
        if (now - k->since_ns <= s->request_timeout_ns)
            continue;
        s->stats.timeouts++;
        bl_http_log(s, "%s: a request took longer than %" PRIu64 " s to arrive; connection closed", k->peer_ip,
                    s->request_timeout_ns / 1000000000);
        cut(s, k);
    }
}
