/* json.h — JSON text in and out for the C side, on cJSON (Debian libcjson): parsing with errors that
 * give the byte offset, limits on depth and on numbers too large to keep exactly, compact printing. */
#ifndef BL_JSON_H
#define BL_JSON_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "common.h"

#define BL_JSON_MAX_DEPTH 64 /* objects/arrays nested deeper than this are refused */

/* Parses n bytes of JSON text. On error returns NULL and writes to err a message such as
 * "invalid JSON at byte 17 (near '}')" or "JSON nested deeper than 64 levels". */
cJSON *bl_json_parse(const char *s, size_t n, char *err, size_t errlen);

/* Appends the compact JSON text of j to out. */
void bl_json_print(const cJSON *j, bl_buf *out);
/* Like bl_json_print, faster, for a tree the caller deletes right after: it may rewrite number
 * nodes as raw text (still printed the same). */
void bl_json_print_owned(cJSON *j, bl_buf *out);
/* The compact JSON text of j (malloc'd; free with free()). */
char *bl_json_dump(const cJSON *j);

/* Small accessors: NULL / default when absent or of another type. */
const char *bl_json_str(const cJSON *obj, const char *key);
double bl_json_num(const cJSON *obj, const char *key, double dflt);
/* Adds key: value; value may be NULL (then JSON null). Returns value. */
cJSON *bl_json_add(cJSON *obj, const char *key, cJSON *value);
cJSON *bl_json_add_str(cJSON *obj, const char *key, const char *s); /* NULL s: null */
cJSON *bl_json_add_num(cJSON *obj, const char *key, double n);

#endif
