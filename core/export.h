/* export.h — rows (a JSON array of objects) as CSV (RFC 4180) or JSON lines, for the API's exports. */
#ifndef BL_EXPORT_H
#define BL_EXPORT_H

#include "json.h"

/* A header line of cols, then one line per row, CRLF after each: text as it is, numbers in JSON form,
 * true/false, null or absent as an empty field, arrays and objects as their JSON text; a field with a
 * comma, a quote, CR or LF in double quotes (quotes doubled). cols NULL: every key of the rows, in the
 * order first met. Returns malloc'd text. */
char *bl_export_csv(const cJSON *rows, const char *const *cols);

/* One row's compact JSON per line (LF after each). Returns malloc'd text. */
char *bl_export_jsonl(const cJSON *rows);

#endif
