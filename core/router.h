/* router.h — the API's routes as a table ({method, pattern, role, flags, handler}) and the one place that
 * dispatches a request through it: path limits, 404, 405 with Allow, the token's role, the query's names
 * and bytes, the path's segments, and the group commit flushed before a route that reads the store. */
#ifndef BL_ROUTER_H
#define BL_ROUTER_H

#include "api.h"

#define BL_ROUTER_MAX_PATH 2048 /* bytes of a decoded path; longer: 414 */
#define BL_ROUTER_MAX_SEGS 8    /* segments of a path; more: 404 */
#define BL_ROUTER_MAX_ARGS 32   /* query parameters; more: 400 */

enum {
    BL_ROUTE_READS = 1,    /* reads the store: the open group commit is flushed first */
    BL_ROUTE_FIELDS = 2,   /* query names not in `params` go to the handler (record fields), not refused */
    BL_ROUTE_OPTIONAL = 4, /* exists only when the router's `present` says so (POST /clock) */
};

typedef struct bl_route bl_route;

/* What the dispatcher found: the route, the {...} segments in pattern order, the query parameters in
 * the order sent (each name once), and who asks. Valid during the handler's call. */
typedef struct bl_match {
    const bl_route *route;
    const char *seg[BL_ROUTER_MAX_SEGS];
    int nseg;
    const char *arg_name[BL_ROUTER_MAX_ARGS], *arg_value[BL_ROUTER_MAX_ARGS];
    int narg;
    bl_role role;    /* the caller's: BL_ROLE_NONE on an open route, BL_ROLE_ADMIN in open mode */
    const char *who; /* the name of the caller's token; NULL without one (open mode, open route) */
    char buf[BL_ROUTER_MAX_PATH + 1];
} bl_match;

typedef void (*bl_route_fn)(void *ud, const bl_req *req, const bl_match *m, bl_resp *resp);

struct bl_route {
    const char *method;  /* "GET", "PUT", ... */
    const char *pattern; /* "/records/{type}/{id}/history": literal segments and {kind} segments; a {kind}
                          * may end its segment with a literal: "/records/{type}:import" */
    bl_role role;        /* the least role that may call it; BL_ROLE_NONE: anyone */
    unsigned flags;      /* BL_ROUTE_* */
    const char *params;  /* the query names it takes, separated by blanks; NULL: none */
    bl_route_fn handler;
};

/* How a {kind} segment is checked: valid(text) or 400 "the <what> ... : <accepted>". */
typedef struct bl_seg_kind {
    const char *name; /* "type" for {type} */
    const char *what; /* "record type" */
    int (*valid)(const char *s);
    const char *accepted; /* "letters, digits, '_' and '-', at most 64" */
} bl_seg_kind;

typedef struct bl_router {
    const bl_route *routes;
    int nroutes;
    const bl_seg_kind *kinds; /* a {kind} with no entry here takes any text without control bytes */
    int nkinds;
    int ntokens;              /* tokens configured; 0: open mode (loopback clients only, each has every role) */
    int insecure_open;        /* open mode for every client, through proxies too (--insecure-open) */
    /* The role of a presented token and its name (BL_ROLE_NONE: unknown); compares in constant time. */
    bl_role (*role_of)(void *ud, const bl_req *req, const char *token, const char **name);
    int present;              /* BL_ROUTE_OPTIONAL routes exist */
    void (*flush)(void *ud);  /* before a BL_ROUTE_READS handler; may be NULL */
    void *ud;                 /* handed to flush and to the handlers */
} bl_router;

/* Routes req: fills resp with an error (400, 401, 403, 404, 405, 414) or calls the route's handler. */
void bl_router_dispatch(const bl_router *r, const bl_req *req, bl_resp *resp);

/* The value of query parameter name (exact case), or NULL when absent. */
const char *bl_router_arg(const bl_match *m, const char *name);

/* a and b are equal; the time taken depends on b's length only, never on where they differ. */
int bl_router_token_equal(const char *a, const char *b);

#endif
