/* query.h — reads the API's query parameters: whole numbers in a range, choices, months, record
 * conditions (`revenue>=1000000`, `grade=in(gold,platinum)`, `grade!=vip`) and record orders. Every
 * refusal is BL_INVALID with *err (malloc'd) naming the parameter and what it accepts. No I/O. */
#ifndef BL_QUERY_H
#define BL_QUERY_H

#include <stdint.h>

#include "store.h"

#define BL_QUERY_MAX_FIELD 64 /* bytes of a field name in a condition */
#define BL_QUERY_MAX_LIST 100 /* values of an in(...) list */

/* A whole number from min to max; text NULL leaves *out (the default) as it is. */
int bl_query_int(const char *name, const char *text, int64_t min, int64_t max, int64_t *out, char **err);

/* One of choices (a NULL-terminated list): *out its index; text NULL leaves *out as it is. */
int bl_query_choice(const char *name, const char *text, const char *const *choices, int *out, char **err);

/* A month "YYYY-MM" (01 to 12). */
int bl_query_month(const char *name, const char *text, char **err);

/* A field name of a condition: letters, digits, '_' and '-', 1 to BL_QUERY_MAX_FIELD bytes. */
int bl_query_field_name(const char *s);

/* The condition of one query parameter as the HTTP layer splits it at its first '=': `a>=1` arrives as
 * ("a>", "1"), `a<5` as ("a<5", ""), `grade=in(gold,vip)` as ("grade", "in(gold,vip)"). A value is a
 * number, true, false or null when it reads as one in JSON, a JSON string when quoted ("\"01\""), else
 * the text as it is. c->field and c->value are new: free them with bl_query_cond_free. */
int bl_query_cond(const char *name, const char *value, bl_cond *c, char **err);
void bl_query_cond_free(bl_cond *c);

/* An order of records: id, created or updated, with a leading '-' for descending. */
int bl_query_sort(const char *text, bl_sort *sort, int *desc, char **err);

#endif
