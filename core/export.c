/* export.c — writes rows as CSV (RFC 4180: a header line, CRLF, quoted fields where needed) or as JSON
 * lines, for GET /decisions and GET /records/{type} exports. */
#include "export.h"

#include <stdlib.h>
#include <string.h>

/* One CSV field: quoted when it holds a comma, a quote, CR or LF. */
static void csv_field(bl_buf *b, const char *s, size_t n)
{
    if (strcspn(s, ",\"\r\n") >= n) {
        bl_buf_add(b, s, n);
        return;
    }
    bl_buf_adds(b, "\"");
    for (size_t i = 0; i < n; i++)
        bl_buf_add(b, s[i] == '"' ? "\"\"" : s + i, s[i] == '"' ? 2 : 1);
    bl_buf_adds(b, "\"");
}

static void csv_value(bl_buf *b, const cJSON *v)
{
    if (v == NULL || cJSON_IsNull(v))
        return;
    if (cJSON_IsString(v)) {
        csv_field(b, v->valuestring, strlen(v->valuestring));
        return;
    }
    bl_buf text = {0};
    bl_json_print(v, &text);
    csv_field(b, text.data, text.len);
    bl_buf_free(&text);
}

/* The keys of every row, first met first (a JSON array of strings). */
static cJSON *all_keys(const cJSON *rows)
{
    cJSON *keys = cJSON_CreateObject(), *list = cJSON_CreateArray();
    const cJSON *row, *f;
    cJSON_ArrayForEach(row, rows)
    {
        for (f = row->child; f; f = f->next) {
            if (f->string == NULL || cJSON_GetObjectItemCaseSensitive(keys, f->string))
                continue;
            cJSON_AddItemToObject(keys, f->string, cJSON_CreateTrue());
            cJSON_AddItemToArray(list, cJSON_CreateString(f->string));
        }
    }
    cJSON_Delete(keys);
    return list;
}

char *bl_export_csv(const cJSON *rows, const char *const *cols)
{
    cJSON *keys = cols ? NULL : all_keys(rows);
    int n = 0;
    if (cols)
        while (cols[n])
            n++;
    else
        n = cJSON_GetArraySize(keys);
    bl_buf b = {0};
    for (int i = 0; i < n; i++) {
        const char *k = cols ? cols[i] : cJSON_GetArrayItem(keys, i)->valuestring;
        if (i)
            bl_buf_adds(&b, ",");
        csv_field(&b, k, strlen(k));
    }
    bl_buf_adds(&b, "\r\n");
    const cJSON *row;
    cJSON_ArrayForEach(row, rows)
    {
        for (int i = 0; i < n; i++) {
            const char *k = cols ? cols[i] : cJSON_GetArrayItem(keys, i)->valuestring;
            if (i)
                bl_buf_adds(&b, ",");
            csv_value(&b, cJSON_GetObjectItemCaseSensitive(row, k));
        }
        bl_buf_adds(&b, "\r\n");
    }
    cJSON_Delete(keys);
    return b.data;
}

char *bl_export_jsonl(const cJSON *rows)
{
    bl_buf b = {0};
    bl_buf_add(&b, "", 0); /* "" when there is no row */
    const cJSON *row;
    cJSON_ArrayForEach(row, rows)
    {
        bl_json_print(row, &b);
        bl_buf_adds(&b, "\n");
    }
    return b.data;
}
