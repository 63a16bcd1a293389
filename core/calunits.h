/* calunits.h — what core/calendar.c and core/duration.c share: time units, the year range, the error
 * helper. Not an API: include it only there. */
#ifndef BL_CALUNITS_H
#define BL_CALUNITS_H

#include <stdint.h>

#define SEC_MS INT64_C(1000)
#define MIN_MS INT64_C(60000)
#define HOUR_MS INT64_C(3600000)
#define DAY_MS INT64_C(86400000)

/* Years 1..9999 keep dates four digits wide and bound every day-by-day walk (a calendar has at least
 * one working weekday, so only a run of holidays can make a walk long, and it stops here). */
#define DAY_FIRST INT64_C(-719162) /* 0001-01-01 */
#define DAY_LAST INT64_C(2932896)  /* 9999-12-31 */
#define SPAN_DAYS (DAY_LAST - DAY_FIRST + 1)

/* Sets *err (when err is not NULL) to the formatted message, malloc'd; returns BL_INVALID. */
int bl_cal_fail(char **err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
