/* import_api.h — for core/api.c only: POST /records/{type}:import (core/import_api.c). */
#ifndef BL_IMPORT_API_H
#define BL_IMPORT_API_H

#include "router.h"

void bl_api_records_import(void *ud, const bl_req *req, const bl_match *m, bl_resp *resp);

#endif
