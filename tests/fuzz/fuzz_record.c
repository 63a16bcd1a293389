/* fuzz_record.c — libFuzzer target: arbitrary bytes as a record, through the JSON parser and the
 * example policies of every type, then printed back. Any crash, leak or UB report is a bug.
 * Built and run by `make fuzz` (clang, -fsanitize=fuzzer,address,undefined). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "host.h"

static bl_host_t *host;
static const char *const types[] = {"client",   "investor", "candidate", "contract_submission", "sales_month",
                                    "complaint", "inquiry",  "dividend",  "monthly_forms",       "nothing"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (host == NULL) {
        bl_host_config cfg = {.policy_dir = "policies", .scripts_dir = "scripts", .limits = BL_LIMITS_DEFAULT};
        bl_buf errors = {0};
        host = bl_host_open(&cfg, &errors);
        if (host == NULL)
            abort(); /* run from the repository root */
        bl_buf_free(&errors);
    }
    if (size == 0)
        return 0;
    char err[200];
    cJSON *rec = bl_json_parse((const char *)data + 1, size - 1, err, sizeof err);
    if (rec == NULL)
        return 0;
    bl_buf b = {0};
    char *msg = NULL;
    if (bl_host_eval_json(host, types[data[0] % (sizeof types / sizeof types[0])], rec, NULL, &b, &msg) == BL_OK) {
        cJSON *back = bl_json_parse(b.data, b.len, err, sizeof err); /* the writer must write valid JSON */
        if (back == NULL)
            abort();
        cJSON_Delete(back);
    }
    bl_buf_free(&b);
    free(msg);
    cJSON_Delete(rec);
    return 0;
}
