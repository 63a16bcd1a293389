/* api_records.h — for core/api.c only: the handlers of the record routes and of GET /decisions
 * (api_records.c), and the helpers api.c gives every handler. */
#ifndef BL_API_RECORDS_H
#define BL_API_RECORDS_H

#include "router.h"
#include "service.h"

/* Handlers (bl_route_fn): ud is the service. */
void bl_api_records_list(void *ud, const bl_req *req, const bl_match *m, bl_resp *resp);
void bl_api_records_post(void *ud, const bl_req *req, const bl_match *m, bl_resp *resp);
void bl_api_records_get(void *ud, const bl_req *req, const bl_match *m, bl_resp *resp);
void bl_api_records_put(void *ud, const bl_req *req, const bl_match *m, bl_resp *resp);
void bl_api_records_patch(void *ud, const bl_req *req, const bl_match *m, bl_resp *resp);
void bl_api_records_delete(void *ud, const bl_req *req, const bl_match *m, bl_resp *resp);
void bl_api_records_history(void *ud, const bl_req *req, const bl_match *m, bl_resp *resp);
void bl_api_records_decisions(void *ud, const bl_req *req, const bl_match *m, bl_resp *resp);
void bl_api_records_queue(void *ud, const bl_req *req, const bl_match *m, bl_resp *resp); /* GET /decisions */

/* api.c: a store failure as 400 (BL_INVALID) or 500, "<what>: <the store's message>". */
void bl_api_store_error(bl_service *svc, bl_resp *resp, int rc, const char *what);
/* api.c: when rc is not BL_OK, a 400 with *err; frees *err; returns whether it refused. (err is read
 * after rc is made: `bl_api_refused(resp, f(&err), &err)` is safe.) */
int bl_api_refused(bl_resp *resp, int rc, char **err);
/* api.c: 1 when every key of body is one of keys (NULL-ended) and its value text; else 0 after a 400
 * naming the key and what the body takes. */
int bl_api_text_keys(const cJSON *body, const char *const *keys, bl_resp *resp);
/* api.c: the body as a JSON object (caller deletes), or NULL after a 400 that says to send `what`. */
cJSON *bl_api_body(const bl_req *req, bl_resp *resp, const char *what);

#endif
