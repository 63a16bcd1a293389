/* reload_log.c — what the service remembers of its policy sets, for core/reload.c: the activation log
 * (an entry per file whose version changes when a set is activated or refused, by whom and why), the
 * pending error of a refused edit in the policy directory (file, line, message, version), and the
 * warnings of a set (a policy file without its tests). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reload_log.h"

#define MESSAGE_MAX 2000 /* bytes of a refusal kept in an entry */

/* "sub/client_grade.lua" -> "sub/client_grade" (malloc'd) */
static char *stem_of(const char *path)
{
    size_t n = strlen(path);
    return bl_strdupf("%.*s", (int)(n > 4 && strcmp(path + n - 4, ".lua") == 0 ? n - 4 : n), path);
}

/* The version the log says runs for name ("" when the file was removed), or NULL when none. */
static char *logged_version(bl_store_t *s, const char *name)
{
    cJSON *cur = NULL;
    char *v = NULL;
    if (bl_store_policy_current(s, name, &cur) == BL_OK)
        v = bl_strdupf("%s", bl_json_str(cur, "version") ? bl_json_str(cur, "version") : "");
    cJSON_Delete(cur);
    return v;
}

/* An entry (and the source of a version) for name; 0 or -1. */
static int add_entry(bl_service *svc, const char *name, const char *file, const char *text, const bl_policy_change *c,
                     int64_t prev, const char *refused, int64_t now)
{
    char version[17] = "";
    if (text)
        bl_source_version(text, strlen(text), version);
    char *msg = refused ? bl_strdupf("%.*s", MESSAGE_MAX, refused) : NULL;
    bl_policy_entry e = {
        .name = name, .version = version, .by = c->by, .why = c->why,
        .message = msg ? msg : text ? c->message : "the file was removed", .refused = refused != NULL,
        .prev = prev, .at_ms = now,
    };
    int rc = (text == NULL || bl_store_add_policy_version(svc->store, name, version, file, text, now) == BL_OK) &&
                     bl_store_policy_log_add(svc->store, &e, NULL) == BL_OK
                 ? 0
                 : -1;
    free(msg);
    return rc;
}

cJSON *bl_reload_log(bl_service *svc, const cJSON *old, const cJSON *cand, const char *name, const bl_policy_change *c,
                     const char *refused)
{
    cJSON *changed = cJSON_CreateArray();
    bl_service_flush(svc);
    if (bl_store_begin(svc->store) != BL_OK) {
        bl_log(svc, "error", "cannot log the policy versions: %s", bl_store_errmsg(svc->store));
        return changed;
    }
    int64_t now = bl_clock_now_ms();
    int ok = 1;
    const cJSON *f;
    cJSON_ArrayForEach(f, cand)
    {
        char *stem = stem_of(f->string), version[17];
        bl_source_version(f->valuestring, strlen(f->valuestring), version);
        char *running = logged_version(svc->store, stem);
        if (running == NULL || strcmp(running, version) != 0) {
            int64_t prev = name && strcmp(name, stem) == 0 && c->prev >= 0 ? c->prev : -1;
            ok &= add_entry(svc, stem, f->string, f->valuestring, c, prev, refused, now) == 0;
            cJSON_AddItemToArray(changed, cJSON_CreateString(stem));
        }
        free(running);
        free(stem);
    }
    cJSON_ArrayForEach(f, old) /* files the set no longer has */
    {
        if (cJSON_GetObjectItemCaseSensitive(cand, f->string))
            continue;
        char *stem = stem_of(f->string);
        int64_t prev = name && strcmp(name, stem) == 0 && c->prev >= 0 ? c->prev : -1;
        ok &= add_entry(svc, stem, f->string, NULL, c, prev, refused, now) == 0;
        cJSON_AddItemToArray(changed, cJSON_CreateString(stem));
        free(stem);
    }
    if (!ok || bl_store_commit(svc->store) != BL_OK) {
        bl_log(svc, "error", "cannot log the policy versions: %s", bl_store_errmsg(svc->store));
        bl_store_rollback(svc->store);
    }
    return changed;
}

/* Pending errors -------------------------------------------------------------------------------------- */

/* The first "FILE.lua:LINE" in msg, preferring one in file base (e.g. "client_grade.lua"): *line 0 when
 * none; the file named (malloc'd) or NULL. */
static char *where(const char *msg, const char *base, long *line)
{
    char *found = NULL;
    *line = 0;
    for (const char *p = msg; (p = strstr(p, ".lua:")) != NULL; p += 5) {
        char *end;
        long l = strtol(p + 5, &end, 10);
        if (end == p + 5 || l <= 0)
            continue;
        const char *start = p;
        while (start > msg && !strchr(" \t\n\"'(", start[-1]))
            start--;
        int here = (size_t)(p + 4 - start) >= strlen(base) && strncmp(p + 4 - strlen(base), base, strlen(base)) == 0;
        if (found == NULL || here) {
            free(found);
            found = bl_strdupf("%.*s", (int)(p + 4 - start), start);
            *line = l;
            if (here)
                break;
        }
    }
    return found;
}

cJSON *bl_reload_pending(const cJSON *cand, const cJSON *changed, const char *why)
{
    cJSON *pending = cJSON_CreateObject();
    const cJSON *c;
    cJSON_ArrayForEach(c, changed)
    {
        char *path = bl_strdupf("%s.lua", c->valuestring);
        const char *text = bl_json_str(cand, path), *base = strrchr(path, '/');
        char version[17] = "";
        if (text)
            bl_source_version(text, strlen(text), version);
        long line;
        char *file = where(why, base ? base + 1 : path, &line);
        cJSON *e = cJSON_AddObjectToObject(pending, c->valuestring);
        bl_json_add_str(e, "file", file ? file : path);
        bl_json_add(e, "line", line ? cJSON_CreateNumber((double)line) : cJSON_CreateNull());
        bl_json_add_str(e, "message", why);
        bl_json_add_str(e, "version", text ? version : NULL);
        free(file);
        free(path);
    }
    return pending;
}

/* Warnings ------------------------------------------------------------------------------------------- */

cJSON *bl_reload_warnings(const cJSON *result, const cJSON *cand, const cJSON *changed)
{
    cJSON *w = cJSON_CreateArray();
    const cJSON *c, *p;
    cJSON_ArrayForEach(c, changed)
    {
        int holds = 0;
        cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(result, "policies"))
        {
            const char *file = bl_json_str(p, "file"), *base = file ? strrchr(file, '/') : NULL;
            char *stem = stem_of(base ? base + 1 : file ? file : "");
            holds |= strcmp(stem, c->valuestring) == 0;
            free(stem);
        }
        char *test = bl_strdupf("%s_test.lua", c->valuestring);
        if (holds && !cJSON_GetObjectItemCaseSensitive(cand, test)) {
            char *msg = bl_strdupf("%s.lua has no tests (no %s in the set): its policies run untested", c->valuestring,
                                   test);
            cJSON_AddItemToArray(w, cJSON_CreateString(msg));
            free(msg);
        }
        free(test);
    }
    return w;
}
