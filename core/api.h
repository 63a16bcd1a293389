/* api.h — the service's HTTP/JSON API, independent of the HTTP library: a request in, a status and a
 * JSON body out. serve.c owns the loop, the HTTP server and the lifecycle; this module owns the routes
 * (a table dispatched by core/router.c), input checks and the answers. */
#ifndef BL_API_H
#define BL_API_H

#include <stdint.h>

#include "common.h"
#include "json.h"

typedef struct bl_service bl_service; /* serve.c */

typedef enum { BL_ROLE_NONE = 0, BL_ROLE_READER = 1, BL_ROLE_WRITER = 2, BL_ROLE_ADMIN = 3 } bl_role;


typedef struct bl_req {
    const char *method; /* "GET", "PUT", ... */
    const char *path;   /* decoded, without the query */
    const char *(*query)(const struct bl_req *r, const char *name);  /* NULL if absent */
    const char *(*header)(const struct bl_req *r, const char *name); /* NULL if absent */
    /* Calls cb(ud, name, value) for every query parameter. */
    void (*each_query)(const struct bl_req *r, void (*cb)(void *ud, const char *k, const char *v), void *ud);
    const char *body;
    size_t body_len;
    int loopback; /* the peer is on 127.0.0.0/8 or ::1 */
    const char *peer;      /* the client's address ("127.0.0.1"); may be NULL */
    const char *raw_query; /* the query as sent, not decoded ("" if none); may be NULL */
    void *impl;   /* the HTTP layer's request */
} bl_req;

/* An answer. When `pending` is set, the handler keeps the request and answers later (bl_pending_answer,
 * bl_pending_hold: group commit; long polls). */
typedef struct bl_resp {
    int status;
    char *body; /* malloc'd JSON text (or the text of ctype) */
    const char *ctype; /* Content-Type; NULL: application/json */
    const char *extra_header, *extra_value; /* extra_value may point to extra_buf (answers given at once) */
    char extra_buf[640];
    char etag[32];
    int pending;
    const char *route; /* the route's pattern ("/records/{type}/{id}"), for the metrics; NULL: none matched */
} bl_resp;

/* Routes one request. Fills resp (status + body) or sets resp->pending. */
void bl_api_handle(bl_service *svc, const bl_req *req, bl_resp *resp);

/* Fills resp with {"error": msg, ...extra fields...}: status and a plain-language message. */
void bl_api_error(bl_resp *resp, int status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void bl_api_json(bl_resp *resp, int status, cJSON *body); /* takes body */
/* The language of the request's answer: its Accept-Language, else the lang setting (i18n.h; static). */
const char *bl_api_lang(const bl_service *svc, const bl_req *req);

#endif
