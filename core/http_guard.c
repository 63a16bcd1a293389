/* http_guard.c — what the HTTP server refuses before a handler runs: bad request targets, ambiguous
 * framing, and the per-address connection count (see http_guard.h). */
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <uv.h>

#include "common.h"
#include "http_guard.h"

/* Request targets --------------------------------------------------------------------------------- */

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

int bl_http_target_check(const char *target, size_t len, char *msg, size_t cap)
{
    if (len > BL_HTTP_MAX_TARGET) {
        snprintf(msg, cap, "the request path is longer than the limit of %d bytes", BL_HTTP_MAX_TARGET);
        return 414;
    }
    const char *q = memchr(target, '?', len);
    size_t query = q ? (size_t)(q - target) + 1 : len + 1; /* where the query starts */
    for (size_t i = 0; i < len; i++) {
        unsigned c = (unsigned char)target[i];
        int encoded = c == '%' && i + 2 < len && hex_digit(target[i + 1]) >= 0 && hex_digit(target[i + 2]) >= 0;
        if (encoded)
            c = (unsigned)(hex_digit(target[i + 1]) * 16 + hex_digit(target[i + 2]));
        if (c >= 0x20 && c != 0x7f && (c != ' ' || encoded))
            continue;
        int in_query = i >= query;
        const char *part = in_query ? "query string" : "path", *the = in_query ? "the" : "the request";
        size_t at = in_query ? i - query : i;
        if (c == ' ')
            snprintf(msg, cap, "%s %s holds a space at byte %zu of the %s (write it as %%20)", the, part, at, part);
        else if (encoded)
            snprintf(msg, cap, "%s %s holds a control character (0x%02X, sent as %%%c%c) at byte %zu of the %s", the,
                     part, c, target[i + 1], target[i + 2], at, part);
        else
            snprintf(msg, cap, "%s %s holds a control character (0x%02X) at byte %zu of the %s", the, part, c, at,
                     part);
        return 400;
    }
    return 0;
}

/* Framing ------------------------------------------------------------------------------------------ */

/* RFC 9110 §5.6.2: the characters of a token, which a header name is. */
static int is_token(const char *s)
{
    static const char other[] = "!#$%&'*+-.^_`|~";
    if (*s == '\0')
        return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              strchr(other, *s) != NULL))
            return 0;
    return 1;
}

void bl_http_framing_add(bl_http_framing *f, const char *name, const char *value)
{
    if (!is_token(name)) {
        if (f->bad_name == NULL)
            f->bad_name = name;
    } else if (strcasecmp(name, "Host") == 0) {
        f->hosts++;
    } else if (strcasecmp(name, "Content-Length") == 0) {
        if (f->lengths++ == 0)
            f->length = value;
        else if (strcmp(value, f->length) != 0 && f->other_length == NULL)
            f->other_length = value;
    } else if (strcasecmp(name, "Transfer-Encoding") == 0) {
        if (f->encodings++ == 0)
            f->encoding = value;
    }
}

int bl_http_framing_check(const bl_http_framing *f, int http11, char *msg, size_t cap)
{
    if (f->bad_name)
        snprintf(msg, cap, "the header name '%.40s' holds a character a header name may not have (a blank, a colon, "
                 "a control character ...)", f->bad_name);
    else if (f->lengths && f->encodings)
        snprintf(msg, cap, "the request has both a Content-Length and a Transfer-Encoding header: where it ends is "
                 "unclear");
    else if (f->other_length)
        snprintf(msg, cap, "the request has two Content-Length headers that differ ('%.20s' and '%.20s')", f->length,
                 f->other_length);
    else if (f->encodings > 1)
        snprintf(msg, cap, "the request has %u Transfer-Encoding headers: one is allowed", f->encodings);
    else if (f->encodings && !http11)
        snprintf(msg, cap, "an HTTP/1.0 request may not have a Transfer-Encoding header");
    else if (f->encodings && strcasecmp(f->encoding, "chunked") != 0)
        snprintf(msg, cap, "the Transfer-Encoding header says '%.40s': only 'chunked' is accepted", f->encoding);
    else if (http11 && f->hosts == 0)
        snprintf(msg, cap, "the request has no Host header (HTTP/1.1 requires one)");
    else if (f->hosts > 1)
        snprintf(msg, cap, "the request has %u Host headers: one is allowed", f->hosts);
    else
        return 0;
    return 400;
}

/* Connections per address -------------------------------------------------------------------------
 * Open addressing with linear probing; a removed entry is filled by shifting back the ones after it,
 * so that there are no tombstones. The table holds twice the slots it may fill. */

typedef struct peer_slot {
    unsigned char key[16]; /* the IPv6 address, or the IPv4-mapped form of an IPv4 one */
    unsigned count;        /* 0: empty */
} peer_slot;

struct bl_http_peers {
    peer_slot *slots;
    size_t mask;           /* slots - 1 (a power of two, less one) */
    unsigned used, max;
    uint64_t seed;         /* so that a client cannot choose addresses that share a slot */
};

static int peer_key(const struct sockaddr *sa, unsigned char key[16])
{
    if (sa->sa_family == AF_INET) {
        memset(key, 0, 10);
        key[10] = key[11] = 0xff;
        memcpy(key + 12, &((const struct sockaddr_in *)sa)->sin_addr, 4);
        return 0;
    }
    if (sa->sa_family == AF_INET6) {
        memcpy(key, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
        return 0;
    }
    return -1;
}

static size_t peer_home(const bl_http_peers *p, const unsigned char key[16])
{
    uint64_t a, b;
    memcpy(&a, key, 8);
    memcpy(&b, key + 8, 8);
    uint64_t h = (a ^ p->seed) * 0x9E3779B97F4A7C15u;
    h = (h ^ b ^ (h >> 31)) * 0xC2B2AE3D27D4EB4Fu;
    return (size_t)(h ^ (h >> 29)) & p->mask;
}

/* The slot holding key, or the empty slot where it would go. */
static size_t peer_find(const bl_http_peers *p, const unsigned char key[16])
{
    size_t i = peer_home(p, key);
    while (p->slots[i].count && memcmp(p->slots[i].key, key, 16) != 0)
        i = (i + 1) & p->mask;
    return i;
}

bl_http_peers *bl_http_peers_new(unsigned max_addresses)
{
    bl_http_peers *p = bl_xmalloc(sizeof *p);
    size_t n = 16;
    while (n < 2 * (size_t)max_addresses)
        n *= 2;
    p->slots = calloc(n, sizeof *p->slots);
    if (p->slots == NULL) {
        fputs("bylaw: out of memory\n", stderr);
        abort();
    }
    p->mask = n - 1;
    p->used = 0;
    p->max = max_addresses;
    p->seed = uv_hrtime() ^ (uint64_t)(uintptr_t)p;
    return p;
}

void bl_http_peers_free(bl_http_peers *p)
{
    if (p == NULL)
        return;
    free(p->slots);
    free(p);
}

unsigned bl_http_peers_count(const bl_http_peers *p, const struct sockaddr *sa)
{
    unsigned char key[16];
    return peer_key(sa, key) == 0 ? p->slots[peer_find(p, key)].count : 0;
}

int bl_http_peers_add(bl_http_peers *p, const struct sockaddr *sa)
{
    unsigned char key[16];
    if (peer_key(sa, key) != 0)
        return -1;
    size_t i = peer_find(p, key);
    if (p->slots[i].count == 0) {
        if (p->used == p->max)
            return -1;
        memcpy(p->slots[i].key, key, 16);
        p->used++;
    }
    p->slots[i].count++;
    return 0;
}

void bl_http_peers_remove(bl_http_peers *p, const struct sockaddr *sa)
{
    unsigned char key[16];
    if (peer_key(sa, key) != 0)
        return;
    size_t i = peer_find(p, key);
    if (p->slots[i].count == 0 || --p->slots[i].count > 0)
        return;
    p->used--;
    /* shift back each following entry that may sit in slot i: its home is not in (i, j] */
    for (size_t j = (i + 1) & p->mask; p->slots[j].count; j = (j + 1) & p->mask) {
        size_t home = peer_home(p, p->slots[j].key);
        int stays = i < j ? (home > i && home <= j) : (home > i || home <= j);
        if (!stays) {
            p->slots[i] = p->slots[j];
            p->slots[j].count = 0;
            i = j;
        }
    }
}
