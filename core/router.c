/* router.c — dispatches a request through the route table: every check a route shares (path length,
 * 404, 405 with Allow, roles, query names and bytes, path segments, the flush before a read) is made
 * here, once, in this order, before the route's handler runs. */
#include "router.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Proxies add these; in open mode they mean the loopback peer speaks for someone else. */
static const char *const forwarding_headers[] = {"Forwarded", "X-Forwarded-For", "X-Real-IP"};

static const char *const role_names[] = {"none", "reader", "writer", "admin"};

/* Bytes ------------------------------------------------------------------------------------------- */

/* The first control byte (below 0x20, or 0x7f) of s, or 0. */
static int control_byte(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return (unsigned char)*s;
    return 0;
}

int bl_router_token_equal(const char *a, const char *b)
{
    size_t na = strlen(a), nb = strlen(b);
    volatile unsigned char diff = na != nb;
    for (size_t i = 0; i < nb; i++)
        diff |= (unsigned char)b[i] ^ (unsigned char)(i < na ? a[i] : 0);
    return diff == 0;
}

/* Paths ------------------------------------------------------------------------------------------- */

/* Splits path into m->buf: segments between slashes (empty ones dropped). Returns their number, or -1
 * past BL_ROUTER_MAX_SEGS. The caller checked the length. */
static int split(const char *path, bl_match *m, char **seg)
{
    memcpy(m->buf, path, strlen(path) + 1);
    int n = 0;
    for (char *p = m->buf; *p;) {
        while (*p == '/')
            *p++ = '\0';
        if (*p == '\0')
            break;
        if (n == BL_ROUTER_MAX_SEGS)
            return -1;
        seg[n++] = p;
        while (*p && *p != '/')
            p++;
    }
    return n;
}

/* Whether pattern matches the n segments seg; the {kind} segments go to m->seg. A {kind} may have a
 * literal after it in its segment ("{type}:import"): the segment must end with it, and with cut, the
 * segment is cut before it (only for the route found: the segments are matched against others first). */
static int match_pattern(const char *pattern, char **seg, int n, bl_match *m, int cut)
{
    int i = 0;
    m->nseg = 0;
    for (const char *p = pattern; *p;) {
        while (*p == '/')
            p++;
        if (*p == '\0')
            break;
        size_t len = strcspn(p, "/");
        if (i == n)
            return 0;
        if (*p == '{') {
            const char *close = memchr(p, '}', len);
            size_t tail = close ? len - (size_t)(close + 1 - p) : 0, sl = strlen(seg[i]);
            if (tail && (sl <= tail || memcmp(seg[i] + sl - tail, close + 1, tail) != 0))
                return 0;
            if (tail && cut)
                seg[i][sl - tail] = '\0';
            m->seg[m->nseg++] = seg[i];
        } else if (strlen(seg[i]) != len || memcmp(seg[i], p, len) != 0) {
            return 0;
        }
        i++;
        p += len;
    }
    return i == n;
}

/* The kind named by the {kind} segment number k of pattern ("type" for "{type}"), into out. */
static void kind_of(const char *pattern, int k, char *out, size_t cap)
{
    const char *p = pattern;
    for (int i = 0; (p = strchr(p, '{')) != NULL; i++, p++)
        if (i == k) {
            size_t len = strcspn(p + 1, "}");
            snprintf(out, cap, "%.*s", (int)len, p + 1);
            return;
        }
    snprintf(out, cap, "?");
}

static int exists(const bl_router *r, const bl_route *rt)
{
    return !(rt->flags & BL_ROUTE_OPTIONAL) || r->present;
}

/* 405: the methods of the routes that match the path, in table order, in Allow. */
static void not_allowed(const bl_router *r, const bl_req *req, char **seg, int n, bl_match *m, bl_resp *resp)
{
    char *allow = resp->extra_buf;
    size_t len = 0;
    allow[0] = '\0';
    for (int i = 0; i < r->nroutes; i++) {
        const bl_route *rt = &r->routes[i];
        if (!exists(r, rt) || !match_pattern(rt->pattern, seg, n, m, 0))
            continue;
        int seen = 0;
        for (int j = 0; j < i && !seen; j++)
            seen = exists(r, &r->routes[j]) && strcmp(r->routes[j].method, rt->method) == 0 &&
                   match_pattern(r->routes[j].pattern, seg, n, m, 0);
        if (!seen)
            len += (size_t)snprintf(allow + len, sizeof resp->extra_buf - len, "%s%s", len ? ", " : "", rt->method);
    }
    resp->extra_header = "Allow";
    resp->extra_value = allow;
    bl_api_error(resp, 405, "%s is not allowed on %s; allowed: %s", req->method, req->path, allow);
}

/* Roles -------------------------------------------------------------------------------------------- */

/* The token of an Authorization header "Bearer TOKEN" (the scheme in any case), or NULL. */
static const char *bearer(const char *auth)
{
    if (auth == NULL)
        return NULL;
    while (*auth == ' ' || *auth == '\t')
        auth++;
    if (strncasecmp(auth, "bearer", 6) != 0 || (auth[6] != ' ' && auth[6] != '\t'))
        return NULL;
    for (auth += 6; *auth == ' ' || *auth == '\t';)
        auth++;
    return auth;
}

/* Returns 1 when the caller has the route's role (m->role, m->token set); otherwise fills resp. */
static int authorize(const bl_router *r, const bl_req *req, bl_role need, bl_match *m, bl_resp *resp)
{
    m->role = BL_ROLE_NONE;
    m->who = NULL;
    if (need == BL_ROLE_NONE)
        return 1;
    if (r->ntokens == 0 && r->insecure_open) { /* something else guards the port */
        m->role = BL_ROLE_ADMIN;
        return 1;
    }
    if (r->ntokens == 0) {
        for (size_t i = 0; i < sizeof forwarding_headers / sizeof *forwarding_headers; i++)
            if (req->header(req, forwarding_headers[i])) {
                bl_api_error(resp, 403,
                             "this service runs without tokens (open mode) and the request came through a proxy "
                             "(it has %s): through a proxy every client looks like loopback; add tokens to the "
                             "config file to serve clients through a proxy",
                             forwarding_headers[i]);
                return 0;
            }
        if (!req->loopback) {
            bl_api_error(resp, 403, "this service runs without tokens (open mode) and answers only loopback "
                                    "clients; add tokens to the config file to serve other hosts");
            return 0;
        }
        m->role = BL_ROLE_ADMIN;
        return 1;
    }
    const char *auth = req->header(req, "Authorization"), *tok = bearer(auth), *name = NULL;
    bl_role have = tok ? r->role_of(r->ud, req, tok, &name) : BL_ROLE_NONE;
    if (have == BL_ROLE_NONE) {
        resp->extra_header = "WWW-Authenticate";
        resp->extra_value = "Bearer";
        bl_api_error(resp, 401, tok ? "the token is not known"
                                : auth ? "the Authorization header must be 'Bearer TOKEN'"
                                       : "missing token: send 'Authorization: Bearer TOKEN'");
        return 0;
    }
    m->who = name;
    m->role = have;
    if (m->role < need) {
        bl_api_error(resp, 403, "this needs the %s role; the token has the %s role", role_names[need],
                     role_names[m->role]);
        return 0;
    }
    return 1;
}

/* The query ------------------------------------------------------------------------------------------ */

typedef struct args_ctx {
    bl_match *m;
    char err[400]; /* the first problem */
} args_ctx;

static void add_arg(void *ud, const char *k, const char *v)
{
    args_ctx *a = ud;
    bl_match *m = a->m;
    int c;
    if (a->err[0])
        return;
    size_t bad;
    if (!bl_utf8_valid(k, strlen(k), &bad))
        snprintf(a->err, sizeof a->err, "a query parameter name is not valid UTF-8 (its byte %zu, decoded)", bad);
    else if (!bl_utf8_valid(v, strlen(v), &bad))
        snprintf(a->err, sizeof a->err, "the query parameter '%.100s' is not valid UTF-8 (byte %zu of its value, "
                 "decoded)", k, bad);
    else if ((c = control_byte(k)) != 0)
        snprintf(a->err, sizeof a->err, "the query parameter name '%.100s' holds a control character (byte 0x%02x)",
                 k, c);
    else if ((c = control_byte(v)) != 0)
        snprintf(a->err, sizeof a->err, "the query parameter '%.100s' holds a control character (byte 0x%02x)", k, c);
    else if (m->narg == BL_ROUTER_MAX_ARGS)
        snprintf(a->err, sizeof a->err, "more than %d query parameters", BL_ROUTER_MAX_ARGS);
    if (a->err[0])
        return;
    for (int i = 0; i < m->narg; i++)
        if (strcmp(m->arg_name[i], k) == 0) {
            snprintf(a->err, sizeof a->err, "the query parameter '%.100s' is given twice; give it once", k);
            return;
        }
    m->arg_name[m->narg] = k;
    m->arg_value[m->narg++] = v;
}

/* A NUL sent as %00 ends the decoded text early: find it in the query as sent. */
static int raw_nul(const char *raw, char *err, size_t cap)
{
    for (const char *p = raw; p && *p; p++)
        if (p[0] == '%' && p[1] == '0' && p[2] == '0') {
            const char *start = p;
            while (start > raw && start[-1] != '&')
                start--;
            size_t len = strcspn(start, "=&");
            snprintf(err, cap, "the query parameter '%.*s' holds a control character (NUL, sent as %%00)",
                     (int)(len > 100 ? 100 : len), start);
            return 1;
        }
    return 0;
}

static int listed(const char *list, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = list; p && *p;) {
        p += strspn(p, " ");
        size_t len = strcspn(p, " ");
        if (len == n && memcmp(p, name, n) == 0)
            return 1;
        p += len;
    }
    return 0;
}

/* Collects the query into m; 1 when every parameter is acceptable, else fills resp (400). */
static int check_query(const bl_route *rt, const bl_req *req, bl_match *m, bl_resp *resp)
{
    args_ctx a = {.m = m};
    m->narg = 0;
    if (!raw_nul(req->raw_query, a.err, sizeof a.err) && req->each_query)
        req->each_query(req, add_arg, &a);
    for (int i = 0; !a.err[0] && i < m->narg; i++) {
        if ((rt->flags & BL_ROUTE_FIELDS) || listed(rt->params, m->arg_name[i]))
            continue;
        char names[200] = "none"; /* the route's names, "a, b, c" */
        for (size_t k = 0, len = 0; rt->params && rt->params[k] && len + 3 < sizeof names; k++) {
            if (rt->params[k] == ' ')
                memcpy(names + len, ", ", 2), len += 2;
            else
                names[len++] = rt->params[k];
            names[len] = '\0';
        }
        snprintf(a.err, sizeof a.err, "unknown query parameter '%.100s'; %s %s takes %s", m->arg_name[i], rt->method,
                 rt->pattern, names);
    }
    if (a.err[0]) {
        bl_api_error(resp, 400, "%s", a.err);
        return 0;
    }
    return 1;
}

const char *bl_router_arg(const bl_match *m, const char *name)
{
    for (int i = 0; i < m->narg; i++)
        if (strcmp(m->arg_name[i], name) == 0)
            return m->arg_value[i];
    return NULL;
}

/* Segments ----------------------------------------------------------------------------------------- */

static int check_segments(const bl_router *r, const bl_route *rt, const bl_match *m, bl_resp *resp)
{
    for (int k = 0; k < m->nseg; k++) {
        char kind[32];
        kind_of(rt->pattern, k, kind, sizeof kind);
        const bl_seg_kind *sk = NULL;
        for (int i = 0; i < r->nkinds && sk == NULL; i++)
            if (strcmp(r->kinds[i].name, kind) == 0)
                sk = &r->kinds[i];
        const char *what = sk ? sk->what : kind;
        int c = control_byte(m->seg[k]);
        if (c) {
            bl_api_error(resp, 400, "the %s holds a control character (byte 0x%02x)%s%s", what, c,
                         sk ? ": it must be " : "", sk ? sk->accepted : "");
            return 0;
        }
        if (sk && !sk->valid(m->seg[k])) {
            bl_api_error(resp, 400, "'%s' is not a %s: %s", m->seg[k], what, sk->accepted);
            return 0;
        }
    }
    return 1;
}

/* Dispatch ------------------------------------------------------------------------------------------- */

void bl_router_dispatch(const bl_router *r, const bl_req *req, bl_resp *resp)
{
    bl_match match, *m = &match;
    char *seg[BL_ROUTER_MAX_SEGS];
    memset(resp, 0, sizeof *resp);
    size_t len = strlen(req->path);
    if (len > BL_ROUTER_MAX_PATH) {
        bl_api_error(resp, 414, "the path is %zu bytes long; at most %d are accepted", len, BL_ROUTER_MAX_PATH);
        return;
    }
    size_t bad;
    if (!bl_utf8_valid(req->path, len, &bad)) { /* (before anything echoes the path) */
        bl_api_error(resp, 400, "the path is not valid UTF-8 (byte %zu, decoded): names and ids are UTF-8 text, "
                                "percent-encoded byte by byte", bad);
        return;
    }
    int n = split(req->path, m, seg);
    const bl_route *found = NULL;
    int path_known = 0;
    for (int i = 0; n >= 0 && i < r->nroutes && found == NULL; i++) {
        const bl_route *rt = &r->routes[i];
        if (exists(r, rt) && match_pattern(rt->pattern, seg, n, m, 0)) {
            path_known = 1;
            if (strcmp(rt->method, req->method) == 0)
                found = rt;
        }
    }
    if (found == NULL && path_known) {
        not_allowed(r, req, seg, n, m, resp);
        resp->route = "(method not allowed)";
        return;
    }
    if (found == NULL) {
        bl_api_error(resp, 404, "no such path: %s %s (the routes: README.md, docs/api.md)", req->method, req->path);
        return;
    }
    match_pattern(found->pattern, seg, n, m, 1); /* the segments of the route found */
    m->route = found;
    resp->route = found->pattern;
    if (!authorize(r, req, found->role, m, resp) || !check_query(found, req, m, resp) ||
        !check_segments(r, found, m, resp))
        return;
    if ((found->flags & BL_ROUTE_READS) && r->flush)
        r->flush(r->ud);
    found->handler(r->ud, req, m, resp);
}
