/* http_guard.h — what the HTTP server refuses before a handler runs, as plain data in and a verdict
 * out (no libmicrohttpd here): request targets too long or holding control bytes, requests whose
 * framing two servers could read two ways (request smuggling), and the count of connections per
 * client address. Used by http.c; the messages are the ones clients read. */
#ifndef BL_HTTP_GUARD_H
#define BL_HTTP_GUARD_H

#include <stddef.h>
#include <sys/socket.h>

#include "http.h" /* BL_HTTP_MAX_TARGET */

/* target: the request target as sent (not decoded), len bytes (it may hold NUL bytes). Returns 0 if
 * it may go on, else 414 (longer than BL_HTTP_MAX_TARGET) or 400 (a control byte 0x00-0x1F or 0x7F,
 * as it is or percent-encoded, or a space, in the path or the query) with msg saying which and at
 * which byte. */
int bl_http_target_check(const char *target, size_t len, char *msg, size_t cap);

/* The headers that say where a request ends, gathered one header at a time. Zero it first. The
 * values are borrowed: they must outlive bl_http_framing_check. */
typedef struct bl_http_framing {
    unsigned hosts, lengths, encodings;
    const char *length, *other_length; /* the first Content-Length, and one that differs from it */
    const char *encoding;              /* the first Transfer-Encoding */
    const char *bad_name;              /* a header name that is not a token (a blank, a colon ...) */
} bl_http_framing;
void bl_http_framing_add(bl_http_framing *f, const char *name, const char *value);
/* 0 if where the request ends is clear, else 400 with msg: Content-Length and Transfer-Encoding both,
 * two Content-Lengths that differ, a Transfer-Encoding other than "chunked" (or given twice, or in an
 * HTTP/1.0 request), no Host (HTTP/1.1) or two, a header name that is not a token. http11: the
 * request line says HTTP/1.1. */
int bl_http_framing_check(const bl_http_framing *f, int http11, char *msg, size_t cap);

/* Open connections per client address (IPv4 and IPv6; an IPv4-mapped IPv6 address counts as its
 * IPv4 address): a hash table for at most max_addresses addresses at once. */
typedef struct bl_http_peers bl_http_peers;
bl_http_peers *bl_http_peers_new(unsigned max_addresses);
void bl_http_peers_free(bl_http_peers *p);
unsigned bl_http_peers_count(const bl_http_peers *p, const struct sockaddr *sa);
/* Counts one more connection from sa; -1 if the table already holds max_addresses addresses, or sa
 * is neither IPv4 nor IPv6. */
int bl_http_peers_add(bl_http_peers *p, const struct sockaddr *sa);
void bl_http_peers_remove(bl_http_peers *p, const struct sockaddr *sa); /* one connection fewer */

#endif
