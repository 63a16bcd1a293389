/* api_policies.h — for core/api.c only: the handlers of the policy routes (core/api_policies.c), and the
 * checks of the path segments they share with api.c's table. */
#ifndef BL_API_POLICIES_H
#define BL_API_POLICIES_H

#include "router.h"
#include "service.h"

extern const bl_seg_kind bl_api_name_kind;    /* {name}: a policy file name without .lua */
extern const bl_seg_kind bl_api_version_kind; /* {version}: 16 hex digits */

void bl_api_policy_get(void *ud, const bl_req *req, const bl_match *m, bl_resp *resp);
void bl_api_policy_put(void *ud, const bl_req *req, const bl_match *m, bl_resp *resp);    /* PUT /policies/{name} */
void bl_api_policy_bundle(void *ud, const bl_req *req, const bl_match *m, bl_resp *resp); /* PUT /policies */
void bl_api_policy_versions(void *ud, const bl_req *req, const bl_match *m, bl_resp *resp);
void bl_api_policy_version(void *ud, const bl_req *req, const bl_match *m, bl_resp *resp);
void bl_api_policy_diff(void *ud, const bl_req *req, const bl_match *m, bl_resp *resp);
void bl_api_policy_rollback(void *ud, const bl_req *req, const bl_match *m, bl_resp *resp);
void bl_api_policy_dryrun(void *ud, const bl_req *req, const bl_match *m, bl_resp *resp); /* POST /policies/dry-run */
void bl_api_job(void *ud, const bl_req *req, const bl_match *m, bl_resp *resp);           /* GET, DELETE /jobs/{id} */

/* The files of a bundle body {"files": {"NAME.lua": "source" | null, ...}, "message": "..."} into *edit
 * (a new object); 0, or -1 after a 400 naming what is wrong. */
int bl_api_bundle(const cJSON *body, bl_resp *resp, cJSON **edit);

#endif
