/* test_calendar.c — the rules of docs/calendar.md on China's 2026 holidays: deadlines, hours, months, durations, zones. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"

/* China's 2026 schedule as published: 国务院办公厅关于2026年部分节假日安排的通知 (Xinhua, 4 Nov 2025). */
static const char *CN2026_HOLIDAYS[] = {
    "2026-01-01..2026-01-03", "2026-02-15..2026-02-23", "2026-04-04..2026-04-06", "2026-05-01..2026-05-05",
    "2026-06-19..2026-06-21", "2026-09-25..2026-09-27", "2026-10-01..2026-10-07",
};
static const char *CN2026_WORKDAYS[] = {"2026-01-04", "2026-02-14", "2026-02-28",
                                        "2026-05-09", "2026-09-20", "2026-10-10"};

static bl_cal_t *cn2026(void)
{
    bl_cal_t *c = bl_cal_new();
    for (size_t i = 0; i < sizeof CN2026_HOLIDAYS / sizeof *CN2026_HOLIDAYS; i++)
        assert_int_equal(bl_cal_add_holiday(c, CN2026_HOLIDAYS[i], NULL), BL_OK);
    for (size_t i = 0; i < sizeof CN2026_WORKDAYS / sizeof *CN2026_WORKDAYS; i++)
        assert_int_equal(bl_cal_add_workday(c, CN2026_WORKDAYS[i], NULL), BL_OK);
    return c;
}

static int setup(void **state)
{
    *state = cn2026();
    return 0;
}

static int teardown(void **state)
{
    bl_cal_free(*state);
    return 0;
}

static int64_t T(const bl_cal_t *c, const char *text)
{
    int64_t ms = 0;
    char *err = NULL;
    if (bl_cal_time_parse(c, text, &ms, &err) != BL_OK)
        fail_msg("time '%s': %s", text, err);
    return ms;
}

/* A few rotating buffers, so that one message can show several times. */
static const char *S(const bl_cal_t *c, int64_t ms)
{
    static char bufs[4][BL_CAL_TIME_BUF];
    static int next;
    next = (next + 1) % 4;
    return bl_cal_time_format(c, ms, bufs[next]);
}

static void expect_time(const bl_cal_t *c, int64_t got, const char *want, const char *what)
{
    if (got != T(c, want))
        fail_msg("%s: got %s, want %s", what, S(c, got), want);
}

/* from + dur (text) lands at want (local time). */
static void expect_add(const bl_cal_t *c, const char *from, const char *dur, const char *want)
{
    bl_cal_dur d;
    char *err = NULL, what[160];
    if (bl_cal_dur_parse(dur, &d, &err) != BL_OK)
        fail_msg("duration '%s': %s", dur, err);
    int64_t out = 0;
    snprintf(what, sizeof what, "%s + %s", from, dur);
    if (bl_cal_add(c, T(c, from), d, &out) != BL_OK)
        fail_msg("%s: not BL_OK", what);
    expect_time(c, out, want, what);
}

static void expect_parse_error(const char *text, const char *fragment)
{
    bl_cal_dur d = {0, 0};
    char *err = NULL;
    if (bl_cal_dur_parse(text, &d, &err) != BL_INVALID)
        fail_msg("'%s' was read as unit %d amount %lld", text ? text : "(null)", (int)d.unit, (long long)d.amount);
    if (err == NULL || strstr(err, fragment) == NULL)
        fail_msg("'%s': message '%s' lacks '%s'", text ? text : "(null)", err ? err : "(none)", fragment);
    free(err);
}

static void expect_dur(const char *text, bl_cal_unit unit, int64_t amount)
{
    bl_cal_dur d;
    char *err = NULL;
    if (bl_cal_dur_parse(text, &d, &err) != BL_OK)
        fail_msg("'%s': %s", text, err);
    if (d.unit != unit || d.amount != amount)
        fail_msg("'%s': got unit %d amount %lld, want unit %d amount %lld", text, (int)d.unit, (long long)d.amount,
                 (int)unit, (long long)amount);
}

/* The calendar itself ---------------------------------------------------------------------------- */

static void test_defaults(void **state)
{
    bl_cal_t *c = bl_cal_new();
    assert_int_equal(bl_cal_day_kind(c, T(c, "2026-10-19 10:00")), BL_CAL_WORKDAY); /* Monday */
    assert_int_equal(bl_cal_day_kind(c, T(c, "2026-10-17 10:00")), BL_CAL_WEEKEND); /* Saturday */
    assert_int_equal(bl_cal_day_kind(c, T(c, "2026-10-18 10:00")), BL_CAL_WEEKEND);
    assert_true(bl_cal_is_workday(c, T(c, "2026-10-01")));                          /* no holidays by default */
    assert_false(bl_cal_is_worktime(c, T(c, "2026-10-19 08:59:59.999")));
    assert_true(bl_cal_is_worktime(c, T(c, "2026-10-19 09:00")));
    assert_true(bl_cal_is_worktime(c, T(c, "2026-10-19 17:59:59.999")));
    assert_false(bl_cal_is_worktime(c, T(c, "2026-10-19 18:00")));
    assert_false(bl_cal_is_worktime(c, T(c, "2026-10-17 10:00")));
    /* The default zone is Asia/Shanghai: 01:00 UTC is 09:00 there. */
    assert_true(bl_cal_is_worktime(c, T(c, "2026-10-19T01:00:00Z")));
    char buf[BL_CAL_TIME_BUF];
    assert_string_equal(bl_cal_time_format(c, T(c, "2026-10-19T01:00:00Z"), buf), "2026-10-19T09:00:00+08:00");
    bl_cal_free(c);
}

static void test_cn2026_day_kinds(void **state)
{
    bl_cal_t *c = *state;
    assert_int_equal(bl_cal_day_kind(c, T(c, "2026-10-01")), BL_CAL_HOLIDAY);
    assert_int_equal(bl_cal_day_kind(c, T(c, "2026-10-07 23:59")), BL_CAL_HOLIDAY);
    assert_int_equal(bl_cal_day_kind(c, T(c, "2026-10-08")), BL_CAL_WORKDAY);
    assert_int_equal(bl_cal_day_kind(c, T(c, "2026-10-10")), BL_CAL_MAKEUP);  /* Saturday */
    assert_int_equal(bl_cal_day_kind(c, T(c, "2026-10-11")), BL_CAL_WEEKEND); /* the Sunday after */
    assert_int_equal(bl_cal_day_kind(c, T(c, "2026-09-20")), BL_CAL_MAKEUP);  /* Sunday */
    assert_int_equal(bl_cal_day_kind(c, T(c, "2026-01-04")), BL_CAL_MAKEUP);
    assert_int_equal(bl_cal_day_kind(c, T(c, "2026-02-14")), BL_CAL_MAKEUP);
    assert_int_equal(bl_cal_day_kind(c, T(c, "2026-02-28")), BL_CAL_MAKEUP);
    assert_int_equal(bl_cal_day_kind(c, T(c, "2026-05-09")), BL_CAL_MAKEUP);
    assert_int_equal(bl_cal_day_kind(c, T(c, "2026-02-23")), BL_CAL_HOLIDAY); /* a Monday */
    assert_true(bl_cal_is_workday(c, T(c, "2026-10-10 12:00")));
    assert_true(bl_cal_is_worktime(c, T(c, "2026-10-10 12:00")));
    assert_false(bl_cal_is_worktime(c, T(c, "2026-10-02 12:00")));
}

static void test_later_call_wins(void **state)
{
    bl_cal_t *c = cn2026();
    assert_int_equal(bl_cal_add_holiday(c, "2026-10-10", NULL), BL_OK); /* the company gives the day off */
    assert_int_equal(bl_cal_day_kind(c, T(c, "2026-10-10")), BL_CAL_HOLIDAY);
    expect_add(c, "2026-10-09 17:55", "1 working day", "2026-10-12 18:00");
    assert_int_equal(bl_cal_add_workday(c, "2026-10-07", NULL), BL_OK); /* a weekday made working again */
    assert_int_equal(bl_cal_day_kind(c, T(c, "2026-10-07")), BL_CAL_WORKDAY);
    expect_add(c, "2026-09-30 17:55", "1 working day", "2026-10-07 18:00");
    bl_cal_free(c);
}

/* Complaints: 「一个工作日内展开调查」, 「二个工作日内给予客户满意回复」 (rules.md 5.1, 5.2) ------ */

static void test_complaint_before_national_day(void **state)
{
    bl_cal_t *c = *state;
    /* Wednesday 30 September is the last working day before the holiday of 1-7 October. */
    expect_add(c, "2026-09-30 17:55", "1 working day", "2026-10-08 18:00");
    expect_add(c, "2026-09-30 17:55", "2 working days", "2026-10-09 18:00");
    /* Three working days reach the make-up Saturday. */
    expect_add(c, "2026-09-30 17:55", "3 working days", "2026-10-10 18:00");
    /* The plain 24 hours of the fund company (5.3) ignore the holiday. */
    expect_add(c, "2026-09-30 17:55", "24 hours", "2026-10-01 17:55");
}

static void test_complaint_before_makeup_days(void **state)
{
    bl_cal_t *c = *state;
    /* Friday 18 September 17:55: the make-up Sunday 20 September is the first working day. */
    expect_add(c, "2026-09-18 17:55", "1 working day", "2026-09-20 18:00");
    expect_add(c, "2026-09-18 17:55", "2 working days", "2026-09-21 18:00");
    /* Friday 9 October 17:55: the make-up Saturday 10 October, then Monday. */
    expect_add(c, "2026-10-09 17:55", "1 working day", "2026-10-10 18:00");
    expect_add(c, "2026-10-09 17:55", "2 working days", "2026-10-12 18:00");
    /* Thursday 24 September 17:55, before the Mid-Autumn holiday (Fri 25 - Sun 27). */
    expect_add(c, "2026-09-24 17:55", "1 working day", "2026-09-28 18:00");
    expect_add(c, "2026-09-24 17:55", "2 working days", "2026-09-29 18:00");
}

static void test_complaint_received_on_holiday_or_weekend(void **state)
{
    bl_cal_t *c = *state;
    expect_add(c, "2026-10-03 10:00", "1 working day", "2026-10-08 18:00"); /* a holiday */
    expect_add(c, "2026-10-03 10:00", "2 working days", "2026-10-09 18:00");
    expect_add(c, "2026-10-17 11:00", "1 working day", "2026-10-19 18:00"); /* an ordinary Saturday */
    expect_add(c, "2026-10-17 11:00", "2 working days", "2026-10-20 18:00");
    expect_add(c, "2026-10-18 23:59", "1 working day", "2026-10-19 18:00"); /* late Sunday */
}

static void test_complaint_received_on_a_working_day(void **state)
{
    bl_cal_t *c = *state;
    /* Before opening: the whole day is still ahead, so that day is day 1. */
    expect_add(c, "2026-10-19 08:00", "1 working day", "2026-10-19 18:00");
    expect_add(c, "2026-10-19 08:00", "2 working days", "2026-10-20 18:00");
    expect_add(c, "2026-10-19 00:01", "1 working day", "2026-10-19 18:00");
    expect_add(c, "2026-10-19 09:00", "1 working day", "2026-10-19 18:00"); /* at opening: still day 1 */
    /* Once the day has begun it does not count. */
    expect_add(c, "2026-10-19 09:00:00.001", "1 working day", "2026-10-20 18:00");
    expect_add(c, "2026-10-19 12:00", "1 working day", "2026-10-20 18:00");
    expect_add(c, "2026-10-19 12:00", "2 working days", "2026-10-21 18:00");
    expect_add(c, "2026-10-19 18:00", "1 working day", "2026-10-20 18:00"); /* at closing */
    expect_add(c, "2026-10-19 20:00", "1 working day", "2026-10-20 18:00");
    /* The make-up Saturday behaves like any working day. */
    expect_add(c, "2026-10-10 08:00", "1 working day", "2026-10-10 18:00");
    expect_add(c, "2026-10-10 10:00", "1 working day", "2026-10-12 18:00");
    expect_add(c, "2026-10-19 12:00", "0 working days", "2026-10-19 12:00");
}

static void test_workdays_backwards(void **state)
{
    bl_cal_t *c = *state;
    /* 5.25: 7 working days before a payment on Monday 19 October: start of business on Friday 9
     * October, so that seven whole working days (9, 10, 12-16 October) remain. */
    expect_add(c, "2026-10-19", "-7 working days", "2026-10-09 09:00");
    expect_add(c, "2026-10-19 12:00", "-1 working day", "2026-10-16 09:00"); /* the day under way is not whole */
    expect_add(c, "2026-10-19 18:00", "-1 working day", "2026-10-19 09:00"); /* after closing it is */
    expect_add(c, "2026-10-08 10:00", "-1 working day", "2026-09-30 09:00"); /* across the holiday */
    expect_add(c, "2026-09-21 08:00", "-1 working day", "2026-09-20 09:00"); /* the make-up Sunday */
}

/* Working hours (5.45: urban repairs dispatched within 6 working hours) ------------------------------ */

static void test_working_hours(void **state)
{
    bl_cal_t *c = *state;
    expect_add(c, "2026-10-19 16:00", "6 working hours", "2026-10-20 13:00");
    expect_add(c, "2026-10-19 09:00", "9 working hours", "2026-10-19 18:00"); /* a close, not the next opening */
    expect_add(c, "2026-10-19 17:00", "1 working hour", "2026-10-19 18:00");
    expect_add(c, "2026-10-19 17:00", "61 working minutes", "2026-10-20 09:01");
    expect_add(c, "2026-10-19 07:00", "1 working hour", "2026-10-19 10:00"); /* starts at opening */
    expect_add(c, "2026-10-17 07:00", "2 working hours", "2026-10-19 11:00"); /* from a Saturday */
    expect_add(c, "2026-09-30 16:30", "6 working hours", "2026-10-08 13:30"); /* across the holiday */
    expect_add(c, "2026-10-09 17:00", "2 working hours", "2026-10-10 10:00"); /* into the make-up Saturday */
    expect_add(c, "2026-10-20 09:00", "-1 working hour", "2026-10-19 17:00");
    expect_add(c, "2026-10-20 10:00", "-1 working hour", "2026-10-20 09:00");
    expect_add(c, "2026-10-08 10:00", "-2 working hours", "2026-09-30 17:00");
    expect_add(c, "2026-10-19 16:00", "1.5 working hours", "2026-10-19 17:30");
}

static void test_working_hours_with_lunch_break(void **state)
{
    bl_cal_t *c = cn2026();
    assert_int_equal(bl_cal_set_break(c, "12:00", "13:00", NULL), BL_OK);
    assert_true(bl_cal_is_worktime(c, T(c, "2026-10-19 11:59")));
    assert_false(bl_cal_is_worktime(c, T(c, "2026-10-19 12:00")));
    assert_false(bl_cal_is_worktime(c, T(c, "2026-10-19 12:59")));
    assert_true(bl_cal_is_worktime(c, T(c, "2026-10-19 13:00")));
    expect_add(c, "2026-10-19 11:00", "2 working hours", "2026-10-19 14:00");
    expect_add(c, "2026-10-19 12:30", "1 working hour", "2026-10-19 14:00"); /* received over lunch */
    expect_add(c, "2026-10-19 10:00", "2 working hours", "2026-10-19 12:00"); /* ends at the break */
    expect_add(c, "2026-10-19 16:00", "6 working hours", "2026-10-20 14:00");
    expect_add(c, "2026-09-30 16:30", "6 working hours", "2026-10-08 14:30");
    expect_add(c, "2026-10-19 14:00", "-2 working hours", "2026-10-19 11:00");
    expect_add(c, "2026-10-19 13:00", "-1 working hour", "2026-10-19 11:00");
    /* The break does not change working days: the close is still 18:00. */
    expect_add(c, "2026-10-19 12:30", "1 working day", "2026-10-20 18:00");
    int64_t out;
    assert_int_equal(bl_cal_next_worktime(c, T(c, "2026-10-19 12:15"), &out), BL_OK);
    expect_time(c, out, "2026-10-19 13:00", "next working time over lunch");
    assert_int_equal(bl_cal_set_break(c, NULL, NULL, NULL), BL_OK);
    assert_true(bl_cal_is_worktime(c, T(c, "2026-10-19 12:30")));
    bl_cal_free(c);
}

static void test_custom_hours_and_weekend(void **state)
{
    bl_cal_t *c = bl_cal_new();
    assert_int_equal(bl_cal_set_hours(c, "8:30", "17:30", NULL), BL_OK);
    expect_add(c, "2026-10-19 08:30", "1 working day", "2026-10-19 17:30");
    expect_add(c, "2026-10-19 08:45", "1 working day", "2026-10-20 17:30");
    /* A Friday-Saturday weekend: Sunday is a working day. */
    assert_int_equal(bl_cal_set_weekend(c, BL_CAL_FRI | BL_CAL_SAT, NULL), BL_OK);
    assert_true(bl_cal_is_workday(c, T(c, "2026-10-18")));
    assert_false(bl_cal_is_workday(c, T(c, "2026-10-16")));
    expect_add(c, "2026-10-15 12:00", "1 working day", "2026-10-18 17:30");
    /* No weekend at all. */
    assert_int_equal(bl_cal_set_weekend(c, 0, NULL), BL_OK);
    expect_add(c, "2026-10-16 12:00", "1 working day", "2026-10-17 17:30");
    /* Open until midnight. */
    assert_int_equal(bl_cal_set_hours(c, "00:00", "24:00", NULL), BL_OK);
    expect_add(c, "2026-10-16 12:00", "1 working day", "2026-10-18 00:00");
    expect_add(c, "2026-10-16 23:00", "2 working hours", "2026-10-17 01:00");
    bl_cal_free(c);
}

/* Calendar time (5.3, 5.7, 5.21) --------------------------------------------------------------------- */

static void test_calendar_time(void **state)
{
    bl_cal_t *c = *state;
    expect_add(c, "2026-11-15 10:00", "-30 days", "2026-10-16 10:00"); /* return visit before the payout */
    expect_add(c, "2026-09-30 10:00", "3 days", "2026-10-03 10:00");   /* holidays do not matter */
    expect_add(c, "2026-09-30 10:00", "1 week", "2026-10-07 10:00");
    expect_add(c, "2026-09-30 10:00", "90 minutes", "2026-09-30 11:30");
    expect_add(c, "2026-09-30 23:30", "1 hour", "2026-10-01 00:30");
    expect_add(c, "2026-09-30 10:00", "P1DT2H", "2026-10-01 12:00");
    expect_add(c, "2026-09-30 10:00", "-PT24H", "2026-09-29 10:00");
    /* Months keep the day of the month, or take the month's last day. */
    expect_add(c, "2026-01-31 10:00", "1 month", "2026-02-28 10:00");
    expect_add(c, "2028-01-31 10:00", "1 month", "2028-02-29 10:00");
    expect_add(c, "2026-03-31 10:00", "-1 month", "2026-02-28 10:00");
    expect_add(c, "2026-11-30 10:00", "3 months", "2027-02-28 10:00");
    expect_add(c, "2026-10-01", "P1Y", "2027-10-01");
    expect_add(c, "2026-10-01", "-14 months", "2025-08-01");
}

/* The n-th working day of a month (5.11-5.13: forms on the 3rd, review by the 8th, payment on the 9th) */

static void expect_nth(const bl_cal_t *c, int y, int m, int n, bl_cal_edge edge, const char *want)
{
    int64_t out = 0;
    char what[64];
    snprintf(what, sizeof what, "working day %d of %04d-%02d", n, y, m);
    if (bl_cal_nth_workday(c, y, m, n, edge, &out) != BL_OK)
        fail_msg("%s: not found", what);
    expect_time(c, out, want, what);
}

static void test_nth_workday(void **state)
{
    bl_cal_t *c = *state;
    /* October 2026 starts with seven days of holiday; the 3rd working day is the make-up Saturday. */
    expect_nth(c, 2026, 10, 1, BL_CAL_OPEN, "2026-10-08 09:00");
    expect_nth(c, 2026, 10, 3, BL_CAL_CLOSE, "2026-10-10 18:00");
    expect_nth(c, 2026, 10, 8, BL_CAL_CLOSE, "2026-10-16 18:00");
    expect_nth(c, 2026, 10, 9, BL_CAL_OPEN, "2026-10-19 09:00");
    expect_nth(c, 2026, 10, -1, BL_CAL_CLOSE, "2026-10-30 18:00");
    /* January: the 1st-3rd are off, the make-up Sunday the 4th is the 1st working day. */
    expect_nth(c, 2026, 1, 1, BL_CAL_OPEN, "2026-01-04 09:00");
    expect_nth(c, 2026, 1, 3, BL_CAL_CLOSE, "2026-01-06 18:00");
    /* August starts on a Saturday. */
    expect_nth(c, 2026, 8, 1, BL_CAL_OPEN, "2026-08-03 09:00");
    expect_nth(c, 2026, 8, 3, BL_CAL_CLOSE, "2026-08-05 18:00");
    /* February's last working day is the make-up Saturday the 28th; the 9th working day is the 12th. */
    expect_nth(c, 2026, 2, -1, BL_CAL_CLOSE, "2026-02-28 18:00");
    expect_nth(c, 2026, 2, -2, BL_CAL_CLOSE, "2026-02-27 18:00");
    expect_nth(c, 2026, 2, 9, BL_CAL_OPEN, "2026-02-12 09:00");
    int64_t out = 42;
    assert_int_equal(bl_cal_nth_workday(c, 2026, 10, 30, BL_CAL_OPEN, &out), BL_NOTFOUND);
    assert_int_equal(bl_cal_nth_workday(c, 2026, 10, 0, BL_CAL_OPEN, &out), BL_INVALID);
    assert_int_equal(bl_cal_nth_workday(c, 2026, 13, 1, BL_CAL_OPEN, &out), BL_INVALID);
    assert_int_equal(bl_cal_nth_workday(c, 0, 1, 1, BL_CAL_OPEN, &out), BL_INVALID);
    assert_int_equal(out, 42);
}

/* Working days between ---------------------------------------------------------------------------------- */

static int64_t between(const bl_cal_t *c, const char *from, const char *to)
{
    int64_t n = 0;
    assert_int_equal(bl_cal_workdays_between(c, T(c, from), T(c, to), &n), BL_OK);
    return n;
}

static void test_workdays_between(void **state)
{
    bl_cal_t *c = *state;
    assert_int_equal(between(c, "2026-09-30 17:55", "2026-09-30 17:55"), 0);
    assert_int_equal(between(c, "2026-09-30 17:55", "2026-09-30 17:59"), 1);
    assert_int_equal(between(c, "2026-09-30 17:55", "2026-10-08 17:00"), 1);
    assert_int_equal(between(c, "2026-09-30 17:55", "2026-10-08 18:00"), 1);
    assert_int_equal(between(c, "2026-09-30 17:55", "2026-10-08 18:01"), 2);
    assert_int_equal(between(c, "2026-09-30 17:55", "2026-10-12 10:00"), 4); /* 8, 9, 10 and 12 October */
    assert_int_equal(between(c, "2026-10-19 08:00", "2026-10-20 10:00"), 2);
    assert_int_equal(between(c, "2026-10-19 12:00", "2026-10-20 10:00"), 1);
    assert_int_equal(between(c, "2026-10-19", "2026-10-09 09:00"), -7);
    assert_int_equal(between(c, "2026-10-19", "2026-10-09 08:59"), -8);
}

/* "Done within N working days" must mean exactly between <= N, i.e. done no later than from + N. */
static void test_between_agrees_with_add(void **state)
{
    bl_cal_t *c = cn2026();
    assert_int_equal(bl_cal_set_break(c, "12:00", "13:00", NULL), BL_OK);
    int64_t start = T(c, "2026-09-15"), end = T(c, "2026-10-20");
    for (int64_t a = start; a < end; a += 211 * 60000) {
        for (int n = 0; n <= 4; n++) {
            int64_t fwd, back;
            assert_int_equal(bl_cal_add(c, a, (bl_cal_dur){BL_CAL_WORKDAYS, n}, &fwd), BL_OK);
            assert_int_equal(bl_cal_add(c, a, (bl_cal_dur){BL_CAL_WORKDAYS, -n}, &back), BL_OK);
            for (int k = 0; k <= 40; k++) {
                int64_t b = a + k * 3 * 3600000LL, r;
                assert_int_equal(bl_cal_workdays_between(c, a, b, &r), BL_OK);
                if ((r <= n) != (b <= fwd))
                    fail_msg("from %s to %s: between %lld, +%d = %s", S(c, a), S(c, b), (long long)r, n, S(c, fwd));
                b = a - k * 3 * 3600000LL;
                assert_int_equal(bl_cal_workdays_between(c, a, b, &r), BL_OK);
                if ((r >= -n) != (b >= back))
                    fail_msg("from %s to %s: between %lld, -%d = %s", S(c, a), S(c, b), (long long)r, n, S(c, back));
            }
        }
    }
    bl_cal_free(c);
}

static void test_next_workday_and_worktime(void **state)
{
    bl_cal_t *c = *state;
    int64_t out;
    assert_int_equal(bl_cal_next_workday(c, T(c, "2026-09-30 17:55"), &out), BL_OK);
    expect_time(c, out, "2026-10-08 09:00", "next working day after 30 Sep");
    assert_int_equal(bl_cal_next_workday(c, T(c, "2026-10-19 08:00"), &out), BL_OK);
    expect_time(c, out, "2026-10-20 09:00", "next working day is never today");
    assert_int_equal(bl_cal_next_workday(c, T(c, "2026-10-09 10:00"), &out), BL_OK);
    expect_time(c, out, "2026-10-10 09:00", "next working day: the make-up Saturday");
    assert_int_equal(bl_cal_next_worktime(c, T(c, "2026-10-19 08:00"), &out), BL_OK);
    expect_time(c, out, "2026-10-19 09:00", "next working time before opening");
    assert_int_equal(bl_cal_next_worktime(c, T(c, "2026-10-19 10:00"), &out), BL_OK);
    expect_time(c, out, "2026-10-19 10:00", "next working time within hours");
    assert_int_equal(bl_cal_next_worktime(c, T(c, "2026-10-16 18:00"), &out), BL_OK);
    expect_time(c, out, "2026-10-19 09:00", "next working time at Friday's close");
}

/* Durations ------------------------------------------------------------------------------------------ */

static void test_duration_words(void **state)
{
    const int64_t H = 3600000, M = 60000;
    expect_dur("1 working day", BL_CAL_WORKDAYS, 1);
    expect_dur("3 working days", BL_CAL_WORKDAYS, 3);
    expect_dur("3 Working Days", BL_CAL_WORKDAYS, 3);
    expect_dur("  2   workdays ", BL_CAL_WORKDAYS, 2);
    expect_dur("2 business days", BL_CAL_WORKDAYS, 2);
    expect_dur("1 work day", BL_CAL_WORKDAYS, 1);
    expect_dur("2 working hours", BL_CAL_WORKTIME, 2 * H);
    expect_dur("6 business hours", BL_CAL_WORKTIME, 6 * H);
    expect_dur("1.5 working hours", BL_CAL_WORKTIME, 90 * M);
    expect_dur("30 working minutes", BL_CAL_WORKTIME, 30 * M);
    expect_dur("24 hours", BL_CAL_TIME, 24 * H);
    expect_dur("1 HOUR", BL_CAL_TIME, H);
    expect_dur("24h", BL_CAL_TIME, 24 * H);
    expect_dur("1,5 hours", BL_CAL_TIME, 90 * M);
    expect_dur("90 minutes", BL_CAL_TIME, 90 * M);
    expect_dur("90 min", BL_CAL_TIME, 90 * M);
    expect_dur("8 seconds", BL_CAL_TIME, 8000);
    expect_dur("30 days", BL_CAL_DAYS, 30);
    expect_dur("30 calendar days", BL_CAL_DAYS, 30);
    expect_dur("-30 days", BL_CAL_DAYS, -30);
    expect_dur("- 30 days", BL_CAL_DAYS, -30);
    expect_dur("+3 days", BL_CAL_DAYS, 3);
    expect_dur("1 week", BL_CAL_DAYS, 7);
    expect_dur("2 weeks", BL_CAL_DAYS, 14);
    expect_dur("3 months", BL_CAL_MONTHS, 3);
    expect_dur("1 year", BL_CAL_MONTHS, 12);
    expect_dur("0 days", BL_CAL_DAYS, 0);
    expect_dur("1个工作日", BL_CAL_WORKDAYS, 1);
    expect_dur("2 个工作日", BL_CAL_WORKDAYS, 2);
    expect_dur("24小时", BL_CAL_TIME, 24 * H);
    expect_dur("6工作小时", BL_CAL_WORKTIME, 6 * H);
    expect_dur("30天", BL_CAL_DAYS, 30);
    expect_dur("30日", BL_CAL_DAYS, 30);
    expect_dur("1周", BL_CAL_DAYS, 7);
    expect_dur("3个月", BL_CAL_MONTHS, 3);
    expect_dur("90分钟", BL_CAL_TIME, 90 * M);
}

static void test_duration_iso(void **state)
{
    const int64_t H = 3600000, M = 60000;
    expect_dur("P3D", BL_CAL_DAYS, 3);
    expect_dur("p3d", BL_CAL_DAYS, 3);
    expect_dur("PT24H", BL_CAL_TIME, 24 * H);
    expect_dur("P1W", BL_CAL_DAYS, 7);
    expect_dur("P1W2D", BL_CAL_DAYS, 9);
    expect_dur("PT90M", BL_CAL_TIME, 90 * M);
    expect_dur("P1DT2H", BL_CAL_TIME, 26 * H);
    expect_dur("PT1H30M15S", BL_CAL_TIME, H + 30 * M + 15000);
    expect_dur("PT1.5H", BL_CAL_TIME, 90 * M);
    expect_dur("PT0.5S", BL_CAL_TIME, 500);
    expect_dur("-P30D", BL_CAL_DAYS, -30);
    expect_dur("P1M", BL_CAL_MONTHS, 1);
    expect_dur("P1Y2M", BL_CAL_MONTHS, 14);
    expect_dur("P0D", BL_CAL_DAYS, 0);
    expect_dur(" P3D ", BL_CAL_DAYS, 3);
}

static void test_duration_errors(void **state)
{
    bl_cal_dur d;
    char *err = NULL;
    assert_int_equal(bl_cal_dur_parse("3 wrking days", &d, &err), BL_INVALID);
    assert_string_equal(err, "cannot read duration '3 wrking days': expected e.g. '3 working days', '24 hours', "
                             "'30 days' or ISO 8601 'P3D'");
    free(err);
    assert_int_equal(bl_cal_dur_parse("soon", &d, NULL), BL_INVALID); /* err may be NULL */
    const char *expected = "expected e.g. '3 working days'";
    expect_parse_error(NULL, "no duration given");
    expect_parse_error("", expected);
    expect_parse_error("   ", expected);
    expect_parse_error("days", expected);
    expect_parse_error("3", expected);
    expect_parse_error("3 days ago", expected);
    expect_parse_error("3 days 2 hours", expected);
    expect_parse_error("--3 days", expected);
    expect_parse_error("1e3 days", expected);
    expect_parse_error("二个工作日", expected); /* numbers in digits only */
    expect_parse_error("P", expected);
    expect_parse_error("PT", expected);
    expect_parse_error("P1DT", expected);
    expect_parse_error("P1H", expected);
    expect_parse_error("PT1D", expected);
    expect_parse_error("P1D1W", expected);
    expect_parse_error("P-3D", expected);
    expect_parse_error("PT1.5H30M", expected);
    expect_parse_error("P3D junk", expected);
    expect_parse_error("P1M1D", "cannot be mixed");
    expect_parse_error("1.5 working days", "whole numbers");
    expect_parse_error("1.5 days", "whole numbers");
    expect_parse_error("P1.5D", "whole numbers");
    expect_parse_error("PT0.0001S", "one millisecond");
    expect_parse_error("10000000 days", "too long");
    expect_parse_error("999999999999999 hours", "too long");
    expect_parse_error("99999999999999999999 days", expected);
}

static void test_duration_format(void **state)
{
    static const struct {
        bl_cal_dur d;
        const char *text;
    } CASES[] = {
        {{BL_CAL_WORKDAYS, 1}, "1 working day"},
        {{BL_CAL_WORKDAYS, 3}, "3 working days"},
        {{BL_CAL_WORKDAYS, -7}, "-7 working days"},
        {{BL_CAL_WORKTIME, 2 * 3600000}, "2 working hours"},
        {{BL_CAL_WORKTIME, 90 * 60000}, "90 working minutes"},
        {{BL_CAL_WORKTIME, 1500}, "1.5 working seconds"},
        {{BL_CAL_TIME, 3600000}, "1 hour"},
        {{BL_CAL_TIME, 24 * 3600000}, "24 hours"},
        {{BL_CAL_TIME, 90 * 60000}, "90 minutes"},
        {{BL_CAL_TIME, -1500}, "-1.5 seconds"},
        {{BL_CAL_TIME, 1}, "0.001 seconds"},
        {{BL_CAL_TIME, 0}, "0 hours"},
        {{BL_CAL_DAYS, -30}, "-30 days"},
        {{BL_CAL_DAYS, 1}, "1 day"},
        {{BL_CAL_MONTHS, 14}, "14 months"},
    };
    for (size_t i = 0; i < sizeof CASES / sizeof *CASES; i++) {
        char buf[BL_CAL_DUR_BUF];
        assert_string_equal(bl_cal_dur_format(CASES[i].d, buf), CASES[i].text);
        expect_dur(buf, CASES[i].d.unit, CASES[i].d.amount); /* reads back */
    }
}

/* Zones, configuration errors, range -------------------------------------------------------------------- */

static void expect_zone(const char *zone, const char *utc, const char *local)
{
    bl_cal_t *c = bl_cal_new();
    char *err = NULL, buf[BL_CAL_TIME_BUF];
    if (bl_cal_set_zone(c, zone, &err) != BL_OK)
        fail_msg("zone '%s': %s", zone, err);
    assert_string_equal(bl_cal_time_format(c, T(c, utc), buf), local);
    bl_cal_free(c);
}

static void test_zones(void **state)
{
    expect_zone("Asia/Shanghai", "2026-10-19T01:00Z", "2026-10-19T09:00:00+08:00");
    expect_zone("UTC", "2026-10-19T01:00Z", "2026-10-19T01:00:00Z");
    expect_zone("utc", "2026-10-19T01:00Z", "2026-10-19T01:00:00Z");
    expect_zone("+08:00", "2026-10-19T01:00Z", "2026-10-19T09:00:00+08:00");
    expect_zone("+0800", "2026-10-19T01:00Z", "2026-10-19T09:00:00+08:00");
    expect_zone("UTC+8", "2026-10-19T01:00Z", "2026-10-19T09:00:00+08:00");
    expect_zone("-05:00", "2026-10-19T01:00Z", "2026-10-18T20:00:00-05:00");
    expect_zone("Asia/Kolkata", "2026-10-19T01:00Z", "2026-10-19T06:30:00+05:30");
    expect_zone("GMT+5:30", "2026-10-19T01:00Z", "2026-10-19T06:30:00+05:30");
    expect_zone("Asia/Tokyo", "2026-10-19T01:00:00.250Z", "2026-10-19T10:00:00.250+09:00");
    static const char *BAD[] = {"Europe/London", "America/New_York", "+15:00", "8", "+08:", "+08:7",
                                "Etc/GMT+8", "", "UTC+"};
    for (size_t i = 0; i < sizeof BAD / sizeof *BAD; i++) {
        bl_cal_t *c = bl_cal_new();
        char *err = NULL;
        if (bl_cal_set_zone(c, BAD[i], &err) != BL_INVALID)
            fail_msg("zone '%s' accepted", BAD[i]);
        assert_non_null(strstr(err, "unknown time zone"));
        free(err);
        assert_true(bl_cal_is_worktime(c, T(c, "2026-10-19T01:00Z"))); /* still UTC+8 */
        bl_cal_free(c);
    }
}

/* Two calendars at once: nothing is shared. */
static void test_independent_calendars(void **state)
{
    bl_cal_t *cn = *state, *utc = bl_cal_new();
    assert_int_equal(bl_cal_set_zone(utc, "UTC", NULL), BL_OK);
    int64_t t = T(utc, "2026-10-05 10:00");
    assert_true(bl_cal_is_worktime(utc, t));  /* Monday 10:00 in London-without-summer-time */
    assert_false(bl_cal_is_worktime(cn, t)); /* 18:00 on a holiday in Beijing */
    int64_t out;
    assert_int_equal(bl_cal_nth_workday(utc, 2026, 10, 3, BL_CAL_CLOSE, &out), BL_OK);
    expect_time(utc, out, "2026-10-05 18:00", "3rd working day, no holidays, UTC");
    expect_nth(cn, 2026, 10, 3, BL_CAL_CLOSE, "2026-10-10 18:00");
    bl_cal_free(utc);
}

static void expect_config_error(int rc, char *err, const char *fragment)
{
    assert_int_equal(rc, BL_INVALID);
    if (err == NULL || strstr(err, fragment) == NULL)
        fail_msg("message '%s' lacks '%s'", err ? err : "(none)", fragment);
    free(err);
}
/* call is made before err is read (function arguments have no order). */
#define CONFIG_ERROR(call, fragment)                                                                    \
    do {                                                                                                \
        int rc_ = (call);                                                                               \
        expect_config_error(rc_, err, fragment);                                                        \
        err = NULL;                                                                                     \
    } while (0)

static void test_config_errors(void **state)
{
    bl_cal_t *c = bl_cal_new();
    char *err = NULL;
    CONFIG_ERROR(bl_cal_set_hours(c, "18:00", "09:00", &err), "the opening first");
    CONFIG_ERROR(bl_cal_set_hours(c, "09:00", "25:00", &err), "expected opening and closing");
    CONFIG_ERROR(bl_cal_set_hours(c, "9", "18:00", &err), "expected opening and closing");
    CONFIG_ERROR(bl_cal_set_hours(c, NULL, "18:00", &err), "expected opening and closing");
    CONFIG_ERROR(bl_cal_set_break(c, "08:00", "09:30", &err), "strictly within the working hours 09:00-18:00");
    CONFIG_ERROR(bl_cal_set_break(c, "13:00", "12:00", &err), "break '13:00'-'12:00'");
    CONFIG_ERROR(bl_cal_set_break(c, "12:00", NULL, &err), "break");
    assert_int_equal(bl_cal_set_break(c, "12:00", "13:00", NULL), BL_OK);
    CONFIG_ERROR(bl_cal_set_hours(c, "13:00", "22:00", &err), "would not contain the break 12:00-13:00");
    CONFIG_ERROR(bl_cal_set_weekend(c, 0x7f, &err), "at least one weekday");
    CONFIG_ERROR(bl_cal_set_weekend(c, 0x80, &err), "BL_CAL_SUN");
    CONFIG_ERROR(bl_cal_add_holiday(c, "2026-02-30", &err), "cannot read date '2026-02-30'");
    CONFIG_ERROR(bl_cal_add_holiday(c, "2026-1-5", &err), "YYYY-MM-DD");
    CONFIG_ERROR(bl_cal_add_holiday(c, "2026-10-07..2026-10-01", &err), "must not be after");
    CONFIG_ERROR(bl_cal_add_holiday(c, "2026-01-01..2027-12-31", &err), "at most 366 days");
    CONFIG_ERROR(bl_cal_add_workday(c, "2026-10-10 ", &err), "cannot read date");
    CONFIG_ERROR(bl_cal_add_workday(c, NULL, &err), "cannot read date");
    /* Failed calls changed nothing: 09:00-18:00, lunch 12:00-13:00, Saturday and Sunday off, no holidays. */
    assert_false(bl_cal_is_worktime(c, T(c, "2026-10-19 08:30")));
    assert_true(bl_cal_is_worktime(c, T(c, "2026-10-19 09:00")));
    assert_false(bl_cal_is_worktime(c, T(c, "2026-10-19 12:30")));
    assert_false(bl_cal_is_workday(c, T(c, "2026-10-17")));
    assert_true(bl_cal_is_workday(c, T(c, "2026-10-01")));
    assert_true(bl_cal_is_workday(c, T(c, "2026-02-27")));
    bl_cal_free(c);
}

/* Coverage and provisional results (docs/calendar.md §10) ------------------------------------------------ */

static void test_coverage_end(void **state)
{
    bl_cal_t *c = *state, *plain = bl_cal_new();
    assert_int_equal(bl_cal_covers_until(c), T(c, "2027-01-01")); /* the end of 31 December 2026 */
    assert_true(bl_cal_covers(c, T(c, "2026-12-31 23:59:59.999")));
    assert_false(bl_cal_covers(c, T(c, "2027-01-01")));
    assert_false(bl_cal_covers(c, INT64_MAX));
    /* No holidays: a plain Monday-Friday calendar by design, never provisional. */
    assert_int_equal(bl_cal_covers_until(plain), BL_CAL_UNLIMITED);
    assert_true(bl_cal_covers(plain, T(plain, "9999-12-31")));
    int64_t out;
    int prov = -1;
    assert_int_equal(bl_cal_add_cov(plain, T(plain, "2026-12-31 17:55"), (bl_cal_dur){BL_CAL_WORKDAYS, 1}, &out, &prov),
                     BL_OK);
    assert_int_equal(prov, 0);
    /* The latest year named counts, make-up working days too. */
    assert_int_equal(bl_cal_add_workday(plain, "2028-01-02", NULL), BL_OK);
    assert_int_equal(bl_cal_covers_until(plain), T(plain, "2029-01-01"));
    bl_cal_free(plain);
}

/* from + dur in c lands at want, provisional or not. */
static void expect_add_cov(const bl_cal_t *c, const char *from, const char *dur, const char *want, int provisional)
{
    bl_cal_dur d;
    char *err = NULL, what[160];
    if (bl_cal_dur_parse(dur, &d, &err) != BL_OK)
        fail_msg("duration '%s': %s", dur, err);
    int64_t out = 0, plain = 0;
    int prov = -1;
    snprintf(what, sizeof what, "%s + %s", from, dur);
    if (bl_cal_add_cov(c, T(c, from), d, &out, &prov) != BL_OK || bl_cal_add(c, T(c, from), d, &plain) != BL_OK)
        fail_msg("%s: not BL_OK", what);
    expect_time(c, out, want, what);
    assert_int_equal(out, plain);
    if (prov != provisional)
        fail_msg("%s = %s: provisional %d, want %d", what, want, prov, provisional);
}

static void test_provisional_add(void **state)
{
    bl_cal_t *c = *state;
    static const struct {
        const char *from, *dur, *want;
        int provisional;
    } CASES[] = {
        /* The issue: received 31 Dec 17:55, due on New Year's Day of a year without a schedule. */
        {"2026-12-31 17:55", "1 working day", "2027-01-01 18:00", 1},
        {"2026-12-31 18:00", "1 working day", "2027-01-01 18:00", 1},
        {"2026-12-31 08:00", "1 working day", "2026-12-31 18:00", 0},
        {"2026-12-30 10:00", "1 working day", "2026-12-31 18:00", 0},
        {"2026-12-30 17:55", "2 working days", "2027-01-01 18:00", 1}, /* 31 Dec, then into 2027 */
        {"2026-12-30 08:00", "2 working days", "2026-12-31 18:00", 0},
        {"2027-03-01 10:00", "0 working days", "2027-03-01 10:00", 0}, /* nothing is counted */
        {"2026-12-31 16:00", "1 working hour", "2026-12-31 17:00", 0},
        {"2026-12-31 17:00", "1 working hour", "2026-12-31 18:00", 0}, /* lands on the close */
        {"2026-12-31 17:00", "61 working minutes", "2027-01-01 09:01", 1},
        /* Backwards: a count from 2027 reads 2027's days, unless the day has not yet closed (or opened). */
        {"2027-01-04 12:00", "-1 working day", "2027-01-01 09:00", 1},
        {"2027-01-01 00:00", "-1 working day", "2026-12-31 09:00", 0},
        {"2027-01-01 18:00", "-1 working day", "2027-01-01 09:00", 1},
        {"2027-01-01 09:00", "-1 working hour", "2026-12-31 17:00", 0},
        {"2027-01-01 09:30", "-1 working hour", "2026-12-31 17:30", 1},
        /* Calendar days, months and clock time never are provisional. */
        {"2026-12-31 17:55", "3 days", "2027-01-03 17:55", 0},
        {"2026-12-31 17:55", "1 month", "2027-01-31 17:55", 0},
        {"2026-12-31 17:55", "24 hours", "2027-01-01 17:55", 0},
    };
    for (size_t i = 0; i < sizeof CASES / sizeof *CASES; i++)
        expect_add_cov(c, CASES[i].from, CASES[i].dur, CASES[i].want, CASES[i].provisional);
    /* Closing at 24:00: the close of 31 December is 1 January 00:00, and 31 December is covered. */
    bl_cal_t *late = cn2026();
    assert_int_equal(bl_cal_set_hours(late, "09:00", "24:00", NULL), BL_OK);
    expect_add_cov(late, "2026-12-31 08:00", "1 working day", "2027-01-01 00:00", 0);
    expect_add_cov(late, "2026-12-31 23:00", "1 working hour", "2027-01-01 00:00", 0);
    expect_add_cov(late, "2026-12-31 23:00", "2 working hours", "2027-01-01 10:00", 1);
    bl_cal_free(late);
}

static void test_provisional_queries(void **state)
{
    bl_cal_t *c = *state;
    int64_t out, n;
    int prov = -1;
    assert_int_equal(bl_cal_next_workday_cov(c, T(c, "2026-12-30 10:00"), &out, &prov), BL_OK);
    expect_time(c, out, "2026-12-31 09:00", "next working day after 30 Dec");
    assert_int_equal(prov, 0);
    assert_int_equal(bl_cal_next_workday_cov(c, T(c, "2026-12-31 10:00"), &out, &prov), BL_OK);
    expect_time(c, out, "2027-01-01 09:00", "next working day after 31 Dec");
    assert_int_equal(prov, 1);
    /* The n-th working day of January of a year without a schedule: New Year's Day, provisionally. */
    assert_int_equal(bl_cal_nth_workday_cov(c, 2027, 1, 1, BL_CAL_CLOSE, &out, &prov), BL_OK);
    expect_time(c, out, "2027-01-01 18:00", "1st working day of January 2027");
    assert_int_equal(prov, 1);
    assert_int_equal(bl_cal_nth_workday_cov(c, 2026, 12, -1, BL_CAL_CLOSE, &out, &prov), BL_OK);
    expect_time(c, out, "2026-12-31 18:00", "last working day of December 2026");
    assert_int_equal(prov, 0);
    assert_int_equal(bl_cal_nth_workday_cov(c, 2026, 12, 1, BL_CAL_OPEN, &out, &prov), BL_OK);
    assert_int_equal(prov, 0);
    assert_int_equal(bl_cal_nth_workday_cov(c, 2027, 2, 25, BL_CAL_OPEN, &out, &prov), BL_NOTFOUND);
    assert_int_equal(prov, 1);
    assert_int_equal(bl_cal_nth_workday_cov(c, 2026, 2, 25, BL_CAL_OPEN, &out, &prov), BL_NOTFOUND);
    assert_int_equal(prov, 0);
    /* Working days used. */
    assert_int_equal(bl_cal_workdays_between_cov(c, T(c, "2026-12-31 17:55"), T(c, "2027-01-01 10:00"), &n, &prov),
                     BL_OK);
    assert_int_equal(n, 1);
    assert_int_equal(prov, 1);
    assert_int_equal(bl_cal_workdays_between_cov(c, T(c, "2026-12-30 10:00"), T(c, "2026-12-31 17:00"), &n, &prov),
                     BL_OK);
    assert_int_equal(n, 1);
    assert_int_equal(prov, 0);
    assert_int_equal(bl_cal_workdays_between_cov(c, T(c, "2027-01-01"), T(c, "2026-12-30 12:00"), &n, &prov), BL_OK);
    assert_int_equal(n, -2);
    assert_int_equal(prov, 0);
    assert_int_equal(bl_cal_workdays_between_cov(c, T(c, "2027-01-04 10:00"), T(c, "2026-12-31 10:00"), &n, &prov),
                     BL_OK);
    assert_int_equal(n, -2); /* 1 January 2027 counts as a working day, provisionally */
    assert_int_equal(prov, 1);
    assert_int_equal(bl_cal_workdays_between_cov(c, T(c, "2027-01-04 10:00"), T(c, "2027-01-04 10:00"), &n, &prov),
                     BL_OK);
    assert_int_equal(prov, 0);
    /* A day's kind past the end: bl_cal_covers says so. */
    assert_true(bl_cal_is_workday(c, T(c, "2027-01-01")));
    assert_false(bl_cal_covers(c, T(c, "2027-01-01")));
    /* Failures leave *out alone; NULL is fine for provisional. */
    out = 42;
    assert_int_equal(bl_cal_add_cov(c, INT64_MAX, (bl_cal_dur){BL_CAL_WORKDAYS, 1}, &out, NULL), BL_INVALID);
    assert_int_equal(bl_cal_next_workday_cov(c, INT64_MIN, &out, &prov), BL_INVALID);
    assert_int_equal(prov, 0);
    assert_int_equal(out, 42);
}

/* A result that is not provisional cannot change when the next year's schedule is added. */
static void test_provisional_is_sound(void **state)
{
    bl_cal_t *a = cn2026(), *b = cn2026();
    static const char *NEXT[] = {"2027-01-01..2027-01-03", "2027-01-05", "2027-01-07..2027-01-08"};
    for (size_t i = 0; i < sizeof NEXT / sizeof *NEXT; i++)
        assert_int_equal(bl_cal_add_holiday(b, NEXT[i], NULL), BL_OK);
    assert_int_equal(bl_cal_add_workday(b, "2027-01-09", NULL), BL_OK);
    int changed = 0;
    for (int64_t t = T(a, "2026-12-24"); t < T(a, "2027-01-12"); t += 97 * 60000) {
        for (int n = -4; n <= 4; n++) {
            bl_cal_dur ds[2] = {{BL_CAL_WORKDAYS, n}, {BL_CAL_WORKTIME, n * 3 * 3600000LL}};
            for (int k = 0; k < 2; k++) {
                int64_t ra, rb;
                int prov;
                assert_int_equal(bl_cal_add_cov(a, t, ds[k], &ra, &prov), BL_OK);
                assert_int_equal(bl_cal_add(b, t, ds[k], &rb), BL_OK);
                if (!prov && ra != rb)
                    fail_msg("%s + %d (unit %d) = %s, not provisional, but %s with 2027's dates", S(a, t), n,
                             (int)ds[k].unit, S(a, ra), S(b, rb));
                changed += ra != rb;
            }
            int64_t to = t + n * 20 * 3600000LL, wa, wb;
            int prov;
            assert_int_equal(bl_cal_workdays_between_cov(a, t, to, &wa, &prov), BL_OK);
            assert_int_equal(bl_cal_workdays_between(b, t, to, &wb), BL_OK);
            if (!prov && wa != wb)
                fail_msg("from %s to %s: %lld working days, not provisional, but %lld with 2027's dates", S(a, t),
                         S(a, to), (long long)wa, (long long)wb);
        }
    }
    assert_true(changed > 0); /* the test can fail */
    bl_cal_free(a);
    bl_cal_free(b);
}

static void test_covers_until_explicit(void **state)
{
    bl_cal_t *c = cn2026();
    char *err = NULL;
    /* Later than the schedule: the company says 2027 has no holidays (for it). */
    assert_int_equal(bl_cal_set_covers_until(c, "2027-12-31", NULL), BL_OK);
    assert_int_equal(bl_cal_covers_until(c), T(c, "2028-01-01"));
    expect_add_cov(c, "2026-12-31 17:55", "1 working day", "2027-01-01 18:00", 0);
    expect_add_cov(c, "2027-12-31 17:55", "1 working day", "2028-01-03 18:00", 1);
    /* Earlier than a listed date: the dates past it still count, provisionally. */
    assert_int_equal(bl_cal_set_covers_until(c, "2026-06-30", NULL), BL_OK);
    expect_add_cov(c, "2026-09-30 17:55", "1 working day", "2026-10-08 18:00", 1);
    expect_add_cov(c, "2026-06-29 10:00", "1 working day", "2026-06-30 18:00", 0);
    bl_cal_info info;
    bl_cal_get_info(c, &info);
    assert_int_equal(info.covers_set, 1);
    assert_int_equal(info.covers_until, T(c, "2026-07-01"));
    CONFIG_ERROR(bl_cal_set_covers_until(c, "2027-13-01", &err), "cannot read the coverage end '2027-13-01'");
    CONFIG_ERROR(bl_cal_set_covers_until(c, "2027-12-31..2028-01-01", &err), "'YYYY-MM-DD'");
    CONFIG_ERROR(bl_cal_set_covers_until(c, NULL, &err), "coverage end");
    assert_int_equal(bl_cal_covers_until(c), T(c, "2026-07-01")); /* unchanged */
    /* A calendar without holidays with an end: past it, provisional too. */
    bl_cal_t *plain = bl_cal_new();
    assert_int_equal(bl_cal_set_covers_until(plain, "2026-12-31", NULL), BL_OK);
    expect_add_cov(plain, "2026-12-31 17:55", "1 working day", "2027-01-01 18:00", 1);
    bl_cal_free(plain);
    bl_cal_free(c);
}

/* Days that end at their close ------------------------------------------------------------------------- */

static void test_end_of_day_and_close(void **state)
{
    bl_cal_t *c = *state;
    int64_t out;
    int prov = -1;
    char buf[BL_CAL_DATE_BUF];
    assert_int_equal(bl_cal_end_of_day(c, T(c, "2026-10-15 10:00"), &out), BL_OK);
    expect_time(c, out, "2026-10-16 00:00", "end of 15 Oct");
    assert_string_equal(S(c, out), "2026-10-16T00:00:00+08:00"); /* 24:00 on the 15th prints as the 16th */
    assert_int_equal(bl_cal_end_of_day(c, T(c, "2026-10-15"), &out), BL_OK);
    expect_time(c, out, "2026-10-16 00:00", "end of 15 Oct from its first instant");
    assert_int_equal(bl_cal_end_of_day(c, T(c, "2026-10-15 23:59:59.999"), &out), BL_OK);
    expect_time(c, out, "2026-10-16 00:00", "end of 15 Oct from its last instant");
    assert_int_equal(bl_cal_end_of_day(c, T(c, "9999-12-31 10:00"), &out), BL_INVALID);
    static const struct {
        const char *at, *want;
        int provisional;
    } CLOSE[] = {
        {"2026-10-15 10:00", "2026-10-15 18:00", 0}, /* a working day */
        {"2026-10-15 20:00", "2026-10-15 18:00", 0}, /* the same day's close, although past */
        {"2026-10-03 10:00", "2026-10-08 18:00", 0}, /* a holiday: the next working day's */
        {"2026-10-10 07:00", "2026-10-10 18:00", 0}, /* a make-up Saturday */
        {"2026-10-17 11:00", "2026-10-19 18:00", 0}, /* an ordinary Saturday */
        {"2026-12-31 19:00", "2026-12-31 18:00", 0},
        {"2027-01-02 10:00", "2027-01-04 18:00", 1},
    };
    for (size_t i = 0; i < sizeof CLOSE / sizeof *CLOSE; i++) {
        assert_int_equal(bl_cal_close_of(c, T(c, CLOSE[i].at), &out, &prov), BL_OK);
        expect_time(c, out, CLOSE[i].want, CLOSE[i].at);
        if (prov != CLOSE[i].provisional)
            fail_msg("close of %s: provisional %d", CLOSE[i].at, prov);
    }
    assert_int_equal(bl_cal_close_of(c, INT64_MAX, &out, NULL), BL_INVALID);
    assert_string_equal(bl_cal_date_format(c, T(c, "2026-10-15T17:00:00Z"), buf), "2026-10-16"); /* 01:00 local */
    assert_string_equal(bl_cal_date_format(c, INT64_MAX, buf), "(out of range)");
    assert_int_equal(bl_cal_weekday(c, T(c, "2026-10-15")), 4); /* Thursday */
    assert_int_equal(bl_cal_weekday(c, T(c, "2026-10-18 23:59")), 0);
    assert_int_equal(bl_cal_weekday(c, INT64_MIN), -1);
}

/* The note on the days between two instants ------------------------------------------------------------ */

static void expect_note(const bl_cal_t *c, const char *from, const char *to, const char *want)
{
    char buf[256];
    int n = bl_cal_span_note(c, T(c, from), T(c, to), buf, sizeof buf);
    if (strcmp(buf, want) != 0 || n != (int)strlen(want))
        fail_msg("note from %s to %s: got '%s' (%d), want '%s'", from, to, buf, n, want);
}

static void test_span_note(void **state)
{
    bl_cal_t *c = *state;
    static const char *CASES[][3] = {
        /* The complaint examples of section 2. */
        {"2026-09-30 17:55", "2026-10-09 18:00", "1–7 Oct are holidays"},
        {"2026-09-30 17:55", "2026-10-12 10:00", "1–7 Oct are holidays; 10 Oct is a make-up working day"},
        {"2026-09-18 17:55", "2026-09-21 18:00", "20 Sep is a make-up working day"},
        {"2026-09-24 17:55", "2026-09-29 18:00", "25–27 Sep are holidays"},
        {"2026-10-09 17:55", "2026-10-10 18:00", "10 Oct is a make-up working day"},
        {"2026-10-03 10:00", "2026-10-09 18:00", "3–7 Oct are holidays"}, /* only the days in the span */
        {"2026-10-17 11:00", "2026-10-20 18:00", ""},                      /* an ordinary weekend */
        {"2026-10-19 08:00", "2026-10-19 18:00", ""},
        {"2026-10-09 18:00", "2026-09-30 17:55", "1–7 Oct are holidays"}, /* either order */
        {"2026-09-30 17:55", "2026-10-01 00:00", ""},                      /* 1 Oct is not begun */
        {"2026-09-30 17:55", "2026-10-01 00:00:00.001", "1 Oct is a holiday"},
        {"2026-09-19 10:00", "2026-10-12 10:00",
         "25–27 Sep and 1–7 Oct are holidays; 20 Sep and 10 Oct are make-up working days"},
        {"2026-04-01", "2026-06-30", "4–6 Apr, 1–5 May and 19–21 Jun are holidays; 9 May is a make-up working day"},
        /* Across a year: years named; past the coverage end, said so. */
        {"2025-12-30 10:00", "2026-01-05 18:00", "1–3 Jan 2026 are holidays; 4 Jan 2026 is a make-up working day"},
        {"2026-12-30 17:55", "2027-01-01 18:00", "the holiday schedule ends 31 Dec 2026"},
    };
    for (size_t i = 0; i < sizeof CASES / sizeof *CASES; i++)
        expect_note(c, CASES[i][0], CASES[i][1], CASES[i][2]);
    /* A range across a month or a year; a make-up entry on a weekday is an ordinary working day. */
    bl_cal_t *d = bl_cal_new();
    assert_int_equal(bl_cal_add_holiday(d, "2026-09-30..2026-10-07", NULL), BL_OK);
    assert_int_equal(bl_cal_add_holiday(d, "2026-12-31..2027-01-02", NULL), BL_OK);
    assert_int_equal(bl_cal_add_workday(d, "2026-10-07", NULL), BL_OK);
    expect_note(d, "2026-09-29 17:55", "2026-10-09 18:00", "30 Sep–6 Oct are holidays");
    expect_note(d, "2026-12-30 17:55", "2027-01-05 18:00", "31 Dec 2026–2 Jan 2027 are holidays");
    /* Too small a buffer: cut and terminated, the whole length returned, as snprintf. */
    char small[8];
    assert_int_equal(bl_cal_span_note(c, T(c, "2026-09-30"), T(c, "2026-10-09"), small, sizeof small), 22); /* bytes: "–" is 3 */
    assert_string_equal(small, "1–7 O");
    assert_int_equal(bl_cal_span_note(c, T(c, "2026-09-30"), T(c, "2026-10-09"), NULL, 0), 22);
    assert_int_equal(bl_cal_span_note(c, INT64_MIN, T(c, "2026-10-09"), small, sizeof small), -1);
    /* In Chinese: runs joined with 、, kinds with ；, the year first when the run crosses one */
    char zh[200];
    bl_cal_span_note_in(d, T(d, "2026-09-29 17:55"), T(d, "2026-10-09 18:00"), 1, zh, sizeof zh);
    assert_string_equal(zh, "9月30日–10月6日为节假日");
    bl_cal_span_note_in(d, T(d, "2026-12-30 17:55"), T(d, "2027-01-05 18:00"), 1, zh, sizeof zh);
    assert_string_equal(zh, "2026年12月31日–2027年1月2日为节假日");
    bl_cal_span_note_in(c, T(c, "2026-09-30"), T(c, "2026-10-11"), 1, zh, sizeof zh);
    assert_string_equal(zh, "10月1日–7日为节假日；10月10日为调休上班日");
    bl_cal_free(d);
}

static void test_info(void **state)
{
    bl_cal_t *c = *state, *d = bl_cal_new();
    bl_cal_info info;
    bl_cal_get_info(c, &info);
    assert_string_equal(info.zone, "Asia/Shanghai");
    assert_int_equal(info.offset_minutes, 480);
    assert_string_equal(info.open, "09:00");
    assert_string_equal(info.close, "18:00");
    assert_string_equal(info.break_from, "");
    assert_int_equal(info.weekend, BL_CAL_SAT | BL_CAL_SUN);
    assert_int_equal(info.holidays, 33); /* 3 + 9 + 3 + 5 + 3 + 3 + 7 */
    assert_int_equal(info.workdays, 6);
    assert_int_equal(info.covers_until, T(c, "2027-01-01"));
    assert_int_equal(info.covers_set, 0);
    static const char *ZONES[][2] = {{"asia/tokyo", "Asia/Tokyo"}, {"UTC+8", "+08:00"}, {"-5:30", "-05:30"},
                                     {"utc", "UTC"}};
    for (size_t i = 0; i < sizeof ZONES / sizeof *ZONES; i++) {
        assert_int_equal(bl_cal_set_zone(d, ZONES[i][0], NULL), BL_OK);
        bl_cal_get_info(d, &info);
        assert_string_equal(info.zone, ZONES[i][1]);
    }
    assert_int_equal(bl_cal_set_hours(d, "08:30", "24:00", NULL), BL_OK);
    assert_int_equal(bl_cal_set_break(d, "12:00", "13:30", NULL), BL_OK);
    bl_cal_get_info(d, &info);
    assert_string_equal(info.close, "24:00");
    assert_string_equal(info.break_to, "13:30");
    assert_int_equal(info.covers_until, BL_CAL_UNLIMITED);
    bl_cal_free(d);
}

static void test_time_text(void **state)
{
    bl_cal_t *c = bl_cal_new();
    char buf[BL_CAL_TIME_BUF];
    int64_t ms;
    assert_int_equal(T(c, "1970-01-01T08:00"), 0);
    assert_int_equal(T(c, "1970-01-01T00:00:00Z"), 0);
    assert_int_equal(T(c, "1970-01-01 00:00:00.5+00:00"), 500);
    assert_int_equal(T(c, "2026-10-08T18:00:00+08:00"), T(c, "2026-10-08 18:00"));
    assert_int_equal(T(c, "2026-10-08T10:00:00+0000"), T(c, "2026-10-08 18:00"));
    assert_string_equal(bl_cal_time_format(c, T(c, "2026-10-08 18:00:05.120"), buf), "2026-10-08T18:00:05.120+08:00");
    assert_string_equal(bl_cal_time_format(c, T(c, "0001-01-01"), buf), "0001-01-01T00:00:00+08:00");
    assert_string_equal(bl_cal_time_format(c, T(c, "9999-12-31 23:59:59.999"), buf), "9999-12-31T23:59:59.999+08:00");
    assert_string_equal(bl_cal_time_format(c, INT64_MAX, buf), "(out of range)");
    static const char *BAD[] = {"2026-10-08 24:00", "2026-10-08 18", "2026-10-08 18:60", "2026-13-01",
                                "2026-10-08 18:00:00.", "2026-10-08x", "10/08/2026", "", "0000-12-31",
                                "2026-10-08 18:00 +08:00", "2026-10-08 18:00.5"};
    for (size_t i = 0; i < sizeof BAD / sizeof *BAD; i++) {
        char *err = NULL;
        if (bl_cal_time_parse(c, BAD[i], &ms, &err) != BL_INVALID)
            fail_msg("time '%s' accepted", BAD[i]);
        assert_non_null(strstr(err, "cannot read time"));
        free(err);
    }
    bl_cal_free(c);
}

static void test_out_of_range(void **state)
{
    bl_cal_t *c = *state;
    int64_t out = 42, now = T(c, "2026-10-19 12:00");
    assert_int_equal(bl_cal_add(c, INT64_MAX, (bl_cal_dur){BL_CAL_DAYS, 1}, &out), BL_INVALID);
    assert_int_equal(bl_cal_add(c, INT64_MIN, (bl_cal_dur){BL_CAL_TIME, 1}, &out), BL_INVALID);
    assert_int_equal(bl_cal_add(c, now, (bl_cal_dur){BL_CAL_DAYS, INT64_MAX}, &out), BL_INVALID);
    assert_int_equal(bl_cal_add(c, now, (bl_cal_dur){BL_CAL_WORKDAYS, INT64_MIN}, &out), BL_INVALID);
    assert_int_equal(bl_cal_add(c, now, (bl_cal_dur){BL_CAL_WORKDAYS, 4000000}, &out), BL_INVALID);
    assert_int_equal(bl_cal_add(c, now, (bl_cal_dur){BL_CAL_MONTHS, 8000 * 12}, &out), BL_INVALID);
    assert_int_equal(bl_cal_add(c, now, (bl_cal_dur){BL_CAL_TIME, 9000LL * 366 * 86400000}, &out), BL_INVALID);
    assert_int_equal(bl_cal_add(c, now, (bl_cal_dur){(bl_cal_unit)99, 1}, &out), BL_INVALID);
    assert_int_equal(bl_cal_add(c, T(c, "9999-12-31 12:00"), (bl_cal_dur){BL_CAL_WORKDAYS, 1}, &out), BL_INVALID);
    assert_int_equal(bl_cal_add(c, T(c, "0001-01-01 12:00"), (bl_cal_dur){BL_CAL_WORKTIME, -4 * 3600000}, &out),
                     BL_INVALID);
    assert_int_equal(out, 42);
    assert_int_equal(bl_cal_workdays_between(c, now, INT64_MAX, &out), BL_INVALID);
    assert_int_equal(bl_cal_next_workday(c, INT64_MIN, &out), BL_INVALID);
    assert_int_equal(bl_cal_day_kind(c, INT64_MAX), 0);
    assert_false(bl_cal_is_workday(c, INT64_MAX));
    assert_false(bl_cal_is_worktime(c, INT64_MIN));
    /* A long count stays in range: 100,000 working days is about four centuries. */
    assert_int_equal(bl_cal_add(c, T(c, "2026-01-05 08:00"), (bl_cal_dur){BL_CAL_WORKDAYS, 100000}, &out), BL_OK);
}

/* Random texts from the pieces the parsers look for: every answer is BL_OK with a value that formats
 * and reads back the same, or BL_INVALID with a message (and, under ASan, no read past the text). */
static void test_parse_fuzz(void **state)
{
    static const char *PIECES[] = {"P", "T", "D", "H", "M", "S", "W", "Y", "1", "2", "9", "0", ".", ",", "-",
                                   "+", " ", "day", "s", "working ", "hour", "个", "工作日", "小时", ":", "Z",
                                   "2026-10-08", "18:00", "\xff", "\xe5", "t", "00"};
    bl_cal_t *c = bl_cal_new();
    uint32_t seed = 12345;
    for (int iter = 0; iter < 30000; iter++) {
        static const char *STARTS[] = {"", "", "P", "-P", "PT", "3", "-1", "2026-10-08"};
        char text[256];
        seed = seed * 1103515245u + 12345u;
        size_t len = strlen(strcpy(text, STARTS[(seed >> 16) % 8]));
        seed = seed * 1103515245u + 12345u;
        for (int k = (int)(seed >> 16) % 12; k > 0; k--) {
            seed = seed * 1103515245u + 12345u;
            const char *piece = PIECES[(seed >> 16) % (sizeof PIECES / sizeof *PIECES)];
            memcpy(text + len, piece, strlen(piece) + 1);
            len += strlen(piece);
        }
        bl_cal_dur d, back;
        char *err = NULL, buf[BL_CAL_DUR_BUF], tbuf[BL_CAL_TIME_BUF];
        int rc = bl_cal_dur_parse(text, &d, &err);
        if (rc == BL_OK) {
            assert_null(err);
            assert_int_equal(bl_cal_dur_parse(bl_cal_dur_format(d, buf), &back, NULL), BL_OK);
            if (back.unit != d.unit || back.amount != d.amount)
                fail_msg("'%s' -> '%s' reads back differently", text, buf);
        } else {
            assert_int_equal(rc, BL_INVALID);
            assert_non_null(err);
            free(err);
            err = NULL;
        }
        int64_t ms, ms2;
        rc = bl_cal_time_parse(c, text, &ms, &err);
        if (rc == BL_OK) {
            assert_int_equal(bl_cal_time_parse(c, bl_cal_time_format(c, ms, tbuf), &ms2, NULL), BL_OK);
            assert_int_equal(ms, ms2);
        } else {
            assert_non_null(err);
            free(err);
            err = NULL;
        }
        if (bl_cal_set_zone(c, text, &err) != BL_OK) {
            assert_non_null(err);
            free(err);
        }
        rc = bl_cal_add_holiday(c, text, NULL);
        assert_true(rc == BL_OK || rc == BL_INVALID);
    }
    bl_cal_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test_setup_teardown(test_cn2026_day_kinds, setup, teardown),
        cmocka_unit_test(test_later_call_wins),
        cmocka_unit_test_setup_teardown(test_complaint_before_national_day, setup, teardown),
        cmocka_unit_test_setup_teardown(test_complaint_before_makeup_days, setup, teardown),
        cmocka_unit_test_setup_teardown(test_complaint_received_on_holiday_or_weekend, setup, teardown),
        cmocka_unit_test_setup_teardown(test_complaint_received_on_a_working_day, setup, teardown),
        cmocka_unit_test_setup_teardown(test_workdays_backwards, setup, teardown),
        cmocka_unit_test_setup_teardown(test_working_hours, setup, teardown),
        cmocka_unit_test(test_working_hours_with_lunch_break),
        cmocka_unit_test(test_custom_hours_and_weekend),
        cmocka_unit_test_setup_teardown(test_calendar_time, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nth_workday, setup, teardown),
        cmocka_unit_test_setup_teardown(test_workdays_between, setup, teardown),
        cmocka_unit_test(test_between_agrees_with_add),
        cmocka_unit_test_setup_teardown(test_next_workday_and_worktime, setup, teardown),
        cmocka_unit_test(test_duration_words),
        cmocka_unit_test(test_duration_iso),
        cmocka_unit_test(test_duration_errors),
        cmocka_unit_test(test_duration_format),
        cmocka_unit_test(test_zones),
        cmocka_unit_test_setup_teardown(test_independent_calendars, setup, teardown),
        cmocka_unit_test(test_config_errors),
        cmocka_unit_test(test_time_text),
        cmocka_unit_test_setup_teardown(test_out_of_range, setup, teardown),
        cmocka_unit_test(test_parse_fuzz),
        cmocka_unit_test_setup_teardown(test_coverage_end, setup, teardown),
        cmocka_unit_test_setup_teardown(test_provisional_add, setup, teardown),
        cmocka_unit_test_setup_teardown(test_provisional_queries, setup, teardown),
        cmocka_unit_test(test_provisional_is_sound),
        cmocka_unit_test(test_covers_until_explicit),
        cmocka_unit_test_setup_teardown(test_end_of_day_and_close, setup, teardown),
        cmocka_unit_test_setup_teardown(test_span_note, setup, teardown),
        cmocka_unit_test_setup_teardown(test_info, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
