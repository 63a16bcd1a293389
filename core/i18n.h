/* i18n.h — the language people read: en or zh-CN, chosen by --lang, the lang setting or Accept-Language,
 * and the decisions shown in it. */
#ifndef BL_I18N_H
#define BL_I18N_H

#include <cJSON.h>

/* "en" or "zh-CN" (static strings) for exactly those names; NULL otherwise. */
const char *bl_lang_of(const char *name);

/* The language an Accept-Language header asks for, by its q-values (ties: the first named): zh, zh-CN,
 * zh-Hans (and zh-Hans-*, zh-SG) are zh-CN; en and en-* are en; "*" and a header that names neither (or
 * none) give dflt. */
const char *bl_lang_accept(const char *header, const char *dflt);

/* Shows decision d (an object with "explanation", "reasons" and perhaps "i18n") in lang: the explanation
 * and reasons are replaced by those of i18n[lang] when the decision has them. English leaves d as it is. */
void bl_i18n_decision(cJSON *d, const char *lang);

/* The same for each decision of an array, or of an answer's "decisions". */
void bl_i18n_decisions(cJSON *list_or_answer, const char *lang);

/* Sorts the members of every object in v by name (recursively): a decision's i18n, made from Lua tables,
 * then reads the same from every Lua state. */
void bl_i18n_sort(cJSON *v);

#endif
