/* i18n.c — the language people read: the choice among en and zh-CN (Accept-Language with q-values), and
 * decisions shown in it from the texts the runtime wrote in every language when they were made
 * (scripts/_runtime.lua, I18N; stored in the decisions' i18n column). */
#include "i18n.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "json.h"

const char *bl_lang_of(const char *name)
{
    if (name == NULL)
        return NULL;
    if (strcmp(name, "en") == 0)
        return "en";
    if (strcmp(name, "zh-CN") == 0)
        return "zh-CN";
    return NULL;
}

/* The language of one tag (n bytes), or NULL when neither; "*" is dflt. */
static const char *tag_lang(const char *tag, size_t n, const char *dflt)
{
    static const char *const zh[] = {"zh", "zh-cn", "zh-hans", "zh-sg", NULL};
    if (n == 1 && tag[0] == '*')
        return dflt;
    if ((n == 2 || (n > 2 && tag[2] == '-')) && strncasecmp(tag, "en", 2) == 0)
        return "en";
    for (int i = 0; zh[i]; i++)
        if (n == strlen(zh[i]) && strncasecmp(tag, zh[i], n) == 0)
            return "zh-CN";
    if (n > 8 && strncasecmp(tag, "zh-hans-", 8) == 0)
        return "zh-CN";
    return NULL;
}

/* q of a parameter list such as ";q=0.8" (1 when none; 0 for what cannot be read). */
static double q_of(const char *p, const char *end)
{
    while (p < end) {
        p += strspn(p, " \t;");
        if (p + 2 <= end && (p[0] == 'q' || p[0] == 'Q') && p[1] == '=') {
            char *e;
            double q = strtod(p + 2, &e);
            return e > p + 2 && e <= end && q >= 0 && q <= 1 ? q : 0;
        }
        const char *semi = memchr(p, ';', (size_t)(end - p));
        p = semi ? semi : end;
    }
    return 1;
}

const char *bl_lang_accept(const char *header, const char *dflt)
{
    const char *best = NULL;
    double best_q = 0;
    for (const char *p = header; p && *p;) {
        const char *end = strchr(p, ',');
        if (end == NULL)
            end = p + strlen(p);
        p += strspn(p, " \t");
        size_t n = strcspn(p, " \t;,");
        const char *lang = n && p + n <= end ? tag_lang(p, n, dflt) : NULL;
        double q = lang ? q_of(p + n, end) : 0;
        if (lang && q > best_q)
            best = lang, best_q = q;
        p = *end ? end + 1 : end;
    }
    return best ? best : dflt;
}

void bl_i18n_decision(cJSON *d, const char *lang)
{
    if (lang == NULL || strcmp(lang, "en") == 0 || !cJSON_IsObject(d))
        return;
    const cJSON *i18n = cJSON_GetObjectItemCaseSensitive(d, "i18n");
    const cJSON *texts = cJSON_GetObjectItemCaseSensitive(i18n, lang);
    if (!cJSON_IsArray(texts))
        return;
    bl_buf joined = {0};
    const cJSON *t;
    cJSON_ArrayForEach(t, texts)
    {
        if (!cJSON_IsString(t))
            continue;
        if (joined.len)
            bl_buf_adds(&joined, strcmp(lang, "zh-CN") == 0 ? "；" : "; ");
        bl_buf_adds(&joined, t->valuestring);
    }
    bl_buf_add(&joined, "", 1);
    cJSON_ReplaceItemInObjectCaseSensitive(d, "explanation", cJSON_CreateString(joined.data));
    cJSON_ReplaceItemInObjectCaseSensitive(d, "reasons", cJSON_Duplicate(texts, 1));
    bl_buf_free(&joined);
}

void bl_i18n_decisions(cJSON *list_or_answer, const char *lang)
{
    if (lang == NULL || strcmp(lang, "en") == 0)
        return;
    cJSON *list = cJSON_IsArray(list_or_answer) ? list_or_answer
                                                : cJSON_GetObjectItemCaseSensitive(list_or_answer, "decisions");
    cJSON *d;
    cJSON_ArrayForEach(d, list) bl_i18n_decision(d, lang);
}

static int by_name(const void *a, const void *b)
{
    return strcmp((*(cJSON *const *)a)->string, (*(cJSON *const *)b)->string);
}

void bl_i18n_sort(cJSON *v)
{
    int n = cJSON_GetArraySize(v);
    if (n == 0 || !(cJSON_IsObject(v) || cJSON_IsArray(v)))
        return;
    cJSON **kids = bl_xmalloc((size_t)n * sizeof *kids), *k;
    int i = 0;
    for (k = v->child; k && i < n; k = k->next)
        bl_i18n_sort(kids[i++] = k);
    if (cJSON_IsObject(v)) {
        qsort(kids, (size_t)i, sizeof *kids, by_name);
        for (int j = 0; j < i; j++) { /* relinked in order: prev of the first is the last, as cJSON keeps it */
            kids[j]->next = j + 1 < i ? kids[j + 1] : NULL;
            kids[j]->prev = j > 0 ? kids[j - 1] : kids[i - 1];
        }
        v->child = kids[0];
    }
    free(kids);
}
