/* calendar.h — business calendars and deadline arithmetic in working days and hours (rules: docs/calendar.md). */
#ifndef BL_CALENDAR_H
#define BL_CALENDAR_H

#include <stddef.h>
#include <stdint.h>

#include "common.h"

/* One calendar per company or team; as many as wanted, nothing is global. Configure it, then share it
 * read-only: every query takes a const calendar, keeps no state and may run in several threads at once.
 * Instants are milliseconds since the Unix epoch (UTC); an instant is accepted when its local date lies
 * in the years 1 to 9999, and a query whose input or result falls outside returns BL_INVALID. */
typedef struct bl_cal bl_cal_t;

/* Weekday bits for bl_cal_set_weekend, numbered as in struct tm (0 = Sunday). */
enum {
    BL_CAL_SUN = 1 << 0,
    BL_CAL_MON = 1 << 1,
    BL_CAL_TUE = 1 << 2,
    BL_CAL_WED = 1 << 3,
    BL_CAL_THU = 1 << 4,
    BL_CAL_FRI = 1 << 5,
    BL_CAL_SAT = 1 << 6,
};

/* Weekend Saturday and Sunday, hours 09:00-18:00 without a break, zone Asia/Shanghai (UTC+8), no
 * holidays. Never NULL (aborts on out-of-memory). */
bl_cal_t *bl_cal_new(void);
void bl_cal_free(bl_cal_t *cal);

/* Configuration. Each returns BL_OK, or BL_INVALID and sets *err (malloc'd, caller frees; err may be
 * NULL) to a message naming the text and what is accepted. A failed call changes nothing. */

/* "Asia/Shanghai" (the default), "UTC", a fixed offset "+08:00" / "+0800" / "+8" / "UTC+8", or one of
 * the few named zones without daylight-saving time listed in docs/calendar.md. */
int bl_cal_set_zone(bl_cal_t *cal, const char *zone, char **err);
/* The weekend, e.g. BL_CAL_SAT | BL_CAL_SUN; 0 = no weekend. At least one weekday must stay working. */
int bl_cal_set_weekend(bl_cal_t *cal, unsigned days, char **err);
/* Opening and closing time "HH:MM" (close may be "24:00"); open before close, same day. */
int bl_cal_set_hours(bl_cal_t *cal, const char *open, const char *close, char **err);
/* A daily break such as lunch, "12:00"-"13:00", strictly inside the hours; NULL, NULL removes it. */
int bl_cal_set_break(bl_cal_t *cal, const char *from, const char *to, char **err);
/* date is "YYYY-MM-DD" or an inclusive range "YYYY-MM-DD..YYYY-MM-DD" of at most 366 days. A date is
 * either a holiday (not worked even on a weekday) or a make-up working day (worked even on a weekend
 * day); when both are given for one date, the later call wins. */
int bl_cal_add_holiday(bl_cal_t *cal, const char *date, char **err);
int bl_cal_add_workday(bl_cal_t *cal, const char *date, char **err);

/* Coverage. A holiday schedule is known only for the years it was given: past its end, working days
 * are plain weekdays, and a count that looked at such a day is provisional (docs/calendar.md, section 10).
 * The end is the date set here, else 31 December of the latest year with a holiday or make-up working
 * day, else none: a calendar without holidays is a plain weekday calendar and never provisional. The
 * date may be earlier than a listed date (dates listed past it still count, as provisional ones). */
int bl_cal_set_covers_until(bl_cal_t *cal, const char *date, char **err);
/* The end of coverage: the first instant after it (00:00 of the day after the last covered day), or
 * BL_CAL_UNLIMITED. */
#define BL_CAL_UNLIMITED INT64_MAX
int64_t bl_cal_covers_until(const bl_cal_t *cal);
/* 1: the local date of ms is covered, so its day kind (bl_cal_day_kind, bl_cal_is_workday) is not
 * provisional. Also answers for bl_cal_next_worktime: its result is provisional when not covered. */
int bl_cal_covers(const bl_cal_t *cal, int64_t ms);

/* What the local date of an instant is. 0 when the instant is out of range. */
typedef enum bl_cal_day {
    BL_CAL_WORKDAY = 1, /* an ordinary working day */
    BL_CAL_WEEKEND,     /* a weekend day */
    BL_CAL_HOLIDAY,     /* a holiday (bl_cal_add_holiday) */
    BL_CAL_MAKEUP,      /* a weekend day that is worked (bl_cal_add_workday) */
} bl_cal_day;
bl_cal_day bl_cal_day_kind(const bl_cal_t *cal, int64_t ms);
int bl_cal_is_workday(const bl_cal_t *cal, int64_t ms);  /* 1: its local date is worked (WORKDAY or MAKEUP) */
int bl_cal_is_worktime(const bl_cal_t *cal, int64_t ms); /* 1: a working day, inside the hours, not in the break */
/* The opening of the first working day after the local date of ms (tomorrow at the earliest). */
int bl_cal_next_workday(const bl_cal_t *cal, int64_t ms, int64_t *out);
/* ms itself when it is working time, else the next moment that is (an opening, or the end of the break). */
int bl_cal_next_worktime(const bl_cal_t *cal, int64_t ms, int64_t *out);

/* A duration: a unit and an amount; a negative amount counts backwards. */
typedef enum bl_cal_unit {
    BL_CAL_WORKDAYS = 1, /* working days, counted by the receipt rule of docs/calendar.md */
    BL_CAL_WORKTIME,     /* milliseconds of working time (working hours, working minutes) */
    BL_CAL_DAYS,         /* calendar days: the same local time of day, amount dates later */
    BL_CAL_MONTHS,       /* months: the same day of the month (or the month's last day) and time of day */
    BL_CAL_TIME,         /* milliseconds of clock time (hours, minutes, seconds) */
} bl_cal_unit;
typedef struct bl_cal_dur {
    bl_cal_unit unit;
    int64_t amount;
} bl_cal_dur;

/* "3 working days", "2 working hours", "24 hours", "30 days", "-30 days", "1 week", "90 minutes",
 * "1个工作日", ISO 8601 "P3D", "PT24H", "P1W", "P1DT2H", "-P30D", ... (the full list is in
 * docs/calendar.md). Returns BL_OK, or BL_INVALID with *err as for the configuration calls. */
int bl_cal_dur_parse(const char *text, bl_cal_dur *out, char **err);
/* d as text that bl_cal_dur_parse reads back, e.g. "3 working days", "90 minutes"; returns buf. */
#define BL_CAL_DUR_BUF 48
char *bl_cal_dur_format(bl_cal_dur d, char *buf);

/* *out = ms + d in this calendar. BL_OK, or BL_INVALID (out of range, unknown unit). */
int bl_cal_add(const bl_cal_t *cal, int64_t ms, bl_cal_dur d, int64_t *out);

/* The n-th working day of a month (n = 1 the first; n = -1 the last, -2 the one before, ...): its
 * opening (BL_CAL_OPEN) or its close, the end of business (BL_CAL_CLOSE). BL_NOTFOUND when the month
 * has fewer than |n| working days; BL_INVALID for a bad year, month or n = 0. */
typedef enum bl_cal_edge { BL_CAL_OPEN = 0, BL_CAL_CLOSE = 1 } bl_cal_edge;
int bl_cal_nth_workday(const bl_cal_t *cal, int year, int month, int n, bl_cal_edge edge, int64_t *out);

/* Working days used from `from` to `to`, counted like BL_CAL_WORKDAYS: the smallest n >= 0 with
 * to <= from + n working days (when to < from: minus the smallest n with to >= from - n working days).
 * So "done within N working days" is exactly *out <= N. */
int bl_cal_workdays_between(const bl_cal_t *cal, int64_t from, int64_t to, int64_t *out);

/* The same four, also saying whether the count is provisional: *provisional = 1 when it looked at the
 * kind of a day past the coverage end (bl_cal_covers_until), else 0. Days, months and clock time never
 * are. provisional may be NULL. */
int bl_cal_add_cov(const bl_cal_t *cal, int64_t ms, bl_cal_dur d, int64_t *out, int *provisional);
int bl_cal_next_workday_cov(const bl_cal_t *cal, int64_t ms, int64_t *out, int *provisional);
int bl_cal_nth_workday_cov(const bl_cal_t *cal, int year, int month, int n, bl_cal_edge edge, int64_t *out,
                           int *provisional);
int bl_cal_workdays_between_cov(const bl_cal_t *cal, int64_t from, int64_t to, int64_t *out, int *provisional);

/* Days that end at their close. The end of the local day of ms: 00:00 of the next day (24:00 of that
 * day, which prints as the next day's T00:00:00). */
int bl_cal_end_of_day(const bl_cal_t *cal, int64_t ms, int64_t *out);
/* The close of business of the local day of ms if it is a working day (even when ms is past it),
 * otherwise of the next working day. provisional as for the _cov functions (may be NULL). */
int bl_cal_close_of(const bl_cal_t *cal, int64_t ms, int64_t *out, int *provisional);
/* The local weekday of ms, 0 = Sunday .. 6 = Saturday (as struct tm); -1 when out of range. */
int bl_cal_weekday(const bl_cal_t *cal, int64_t ms);
/* The local date of ms, "2026-10-08" (or "(out of range)"); returns buf. */
#define BL_CAL_DATE_BUF 16
char *bl_cal_date_format(const bl_cal_t *cal, int64_t ms, char *buf);

/* A note for explanations on the days between two instants (in either order) that are neither ordinary
 * working days nor ordinary weekend days: "1–7 Oct are holidays; 10 Oct is a make-up working day",
 * "30 Sep–7 Oct are holidays", and "the holiday schedule ends 31 Dec 2026" when the span passes the
 * coverage end. A day is between when part of it is: [from, to) in local days. Writes at most n bytes
 * with a NUL as snprintf does, and returns the length of the whole note: 0 when nothing is special;
 * -1 when an instant is out of range. */
int bl_cal_span_note(const bl_cal_t *cal, int64_t from, int64_t to, char *buf, size_t n);
/* The same, in Chinese when zh: "10月1日–7日为节假日；10月10日为调休上班日", "节假日安排止于2026年12月31日". */
int bl_cal_span_note_in(const bl_cal_t *cal, int64_t from, int64_t to, int zh, char *buf, size_t n);

/* What a calendar was configured with, for reports (`/health`, `bylaw check`). */
typedef struct bl_cal_info {
    char zone[40];                              /* "Asia/Shanghai", "UTC" or "+05:30" */
    int offset_minutes;                         /* east of UTC */
    char open[8], close[8];                     /* "09:00", "18:00" */
    char break_from[8], break_to[8];            /* "" when there is no break */
    unsigned weekend;                           /* BL_CAL_SUN.. bits */
    size_t holidays, workdays;                  /* dates listed as holidays, as make-up working days */
    int64_t covers_until;                       /* as bl_cal_covers_until */
    int covers_set;                             /* 1: set by bl_cal_set_covers_until */
} bl_cal_info;
void bl_cal_get_info(const bl_cal_t *cal, bl_cal_info *out);

/* Local time as text. Parse reads "YYYY-MM-DD" (midnight), "YYYY-MM-DD HH:MM[:SS[.mmm]]" (or with a
 * 'T'), optionally ending in "Z" or "+08:00", which then overrides the calendar's zone. Format writes
 * "2026-10-08T18:00:00+08:00" (".mmm" only when not zero; "Z" for UTC). */
int bl_cal_time_parse(const bl_cal_t *cal, const char *text, int64_t *out, char **err);
/* The field types date, datetime and month (core/fields.c): 1 when text is exactly a real date
 * "YYYY-MM-DD" (years 1 to 9999); a real date and time with its offset, as bl_cal_time_parse reads it with
 * a 'T' between them and a "Z" or "+08:00" at the end ("2026-10-08T18:00:00+08:00"); a month "YYYY-MM". */
int bl_date_valid(const char *text);
int bl_instant_valid(const char *text);
int bl_month_valid(const char *text);
#define BL_CAL_TIME_BUF 32
char *bl_cal_time_format(const bl_cal_t *cal, int64_t ms, char *buf);
/* The calendar's offset from UTC in minutes (+480 for Asia/Shanghai). */
int bl_cal_offset_minutes(const bl_cal_t *cal);

#endif
