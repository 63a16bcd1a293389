/* duration.c — durations as text: reading "3 working days", "24 hours", "P3D" (docs/calendar.md §6), writing them back. */
#include <stdio.h>
#include <string.h>

#include "calendar.h"
#include "calunits.h"

static const char DUR_EXPECTED[] = "expected e.g. '3 working days', '24 hours', '30 days' or ISO 8601 'P3D'";

/* Unit words after the number. plural: the word also takes an "s". Chinese words may follow "个". */
static const struct {
    const char *word;
    bl_cal_unit unit;
    int64_t mult;
    int plural;
} UNIT_WORDS[] = {
    {"working day", BL_CAL_WORKDAYS, 1, 1},           {"work day", BL_CAL_WORKDAYS, 1, 1},
    {"workday", BL_CAL_WORKDAYS, 1, 1},               {"business day", BL_CAL_WORKDAYS, 1, 1},
    {"working hour", BL_CAL_WORKTIME, HOUR_MS, 1},    {"work hour", BL_CAL_WORKTIME, HOUR_MS, 1},
    {"business hour", BL_CAL_WORKTIME, HOUR_MS, 1},   {"working minute", BL_CAL_WORKTIME, MIN_MS, 1},
    {"business minute", BL_CAL_WORKTIME, MIN_MS, 1},  {"working second", BL_CAL_WORKTIME, SEC_MS, 1},
    {"calendar day", BL_CAL_DAYS, 1, 1},              {"day", BL_CAL_DAYS, 1, 1},
    {"week", BL_CAL_DAYS, 7, 1},                      {"month", BL_CAL_MONTHS, 1, 1},
    {"year", BL_CAL_MONTHS, 12, 1},                   {"hour", BL_CAL_TIME, HOUR_MS, 1},
    {"hr", BL_CAL_TIME, HOUR_MS, 1},                  {"h", BL_CAL_TIME, HOUR_MS, 0},
    {"minute", BL_CAL_TIME, MIN_MS, 1},               {"min", BL_CAL_TIME, MIN_MS, 1},
    {"second", BL_CAL_TIME, SEC_MS, 1},               {"sec", BL_CAL_TIME, SEC_MS, 1},
    {"s", BL_CAL_TIME, SEC_MS, 0},                    {"millisecond", BL_CAL_TIME, 1, 1},
    {"ms", BL_CAL_TIME, 1, 0},                        {"工作日", BL_CAL_WORKDAYS, 1, 0},
    {"工作小时", BL_CAL_WORKTIME, HOUR_MS, 0},        {"小时", BL_CAL_TIME, HOUR_MS, 0},
    {"分钟", BL_CAL_TIME, MIN_MS, 0},                 {"秒", BL_CAL_TIME, SEC_MS, 0},
    {"天", BL_CAL_DAYS, 1, 0},                        {"日", BL_CAL_DAYS, 1, 0},
    {"周", BL_CAL_DAYS, 7, 0},                        {"星期", BL_CAL_DAYS, 7, 0},
    {"月", BL_CAL_MONTHS, 1, 0},                      {"年", BL_CAL_MONTHS, 12, 0},
};

/* The largest amount of each unit: about 10,000 years, so every sum stays far inside int64. */
static int64_t unit_limit(bl_cal_unit u)
{
    if (u == BL_CAL_MONTHS)
        return 12 * 10000;
    return u == BL_CAL_WORKDAYS || u == BL_CAL_DAYS ? SPAN_DAYS : SPAN_DAYS * DAY_MS;
}

/* A decimal number "123" or "1.5" at *p (advancing it): whole part, fraction digits and their count. */
static int read_number(const char **p, int64_t *whole, int64_t *frac, int *nfrac)
{
    const char *s = *p;
    *whole = *frac = 0, *nfrac = 0;
    for (; **p >= '0' && **p <= '9'; (*p)++)
        if ((*whole = *whole * 10 + (**p - '0')) > INT64_C(1000000000000000))
            return 0;
    if (*p == s)
        return 0;
    if ((**p == '.' || **p == ',') && (*p)[1] >= '0' && (*p)[1] <= '9') {
        for ((*p)++; **p >= '0' && **p <= '9'; (*p)++) {
            if (++*nfrac > 9)
                return 0;
            *frac = *frac * 10 + (**p - '0');
        }
    }
    return 1;
}

/* whole.frac times mult, exactly, into *out; BL_INVALID (with *err) when it is too large or not a
 * whole number of the unit's smallest step. */
static int scale(const char *text, int64_t whole, int64_t frac, int nfrac, int64_t mult, bl_cal_unit unit,
                 int64_t *out, char **err)
{
    int64_t pow10 = 1;
    for (int i = 0; i < nfrac; i++)
        pow10 *= 10;
    if (nfrac > 0 && unit != BL_CAL_TIME && unit != BL_CAL_WORKTIME)
        return bl_cal_fail(err, "cannot read duration '%.60s': days, working days, weeks, months and years must be "
                           "whole numbers", text);
    if (nfrac > 0 && (frac * mult) % pow10 != 0)
        return bl_cal_fail(err, "cannot read duration '%.60s': the smallest step is one millisecond", text);
    if (whole > unit_limit(unit) / mult)
        return bl_cal_fail(err, "duration '%.60s' is too long: at most 10000 years", text);
    *out = whole * mult + frac * mult / pow10;
    if (*out > unit_limit(unit))
        return bl_cal_fail(err, "duration '%.60s' is too long: at most 10000 years", text);
    return BL_OK;
}

/* "P1Y2M3W4DT5H6M7.5S" after the sign; years and months cannot be mixed with days or time. */
static int parse_iso(const char *text, const char *p, bl_cal_dur *out, char **err)
{
    static const char ORDER[] = "YMWDHMS";
    int64_t months = 0, days = 0, ms = 0;
    int next = 0, any = 0, in_time = 0, time_parts = 0, frac_seen = 0;
    for (p++; *p; any = 1) {
        if ((*p == 'T' || *p == 't') && !in_time) {
            in_time = 1, next = 4, p++;
            continue;
        }
        int64_t whole, frac;
        int nfrac;
        if (frac_seen || !read_number(&p, &whole, &frac, &nfrac))
            return bl_cal_fail(err, "cannot read duration '%.60s': %s", text, DUR_EXPECTED);
        char des = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
        const char *at_des = des ? strchr(ORDER + next, des) : NULL;
        if (at_des == NULL || in_time != (at_des - ORDER >= 4))
            return bl_cal_fail(err, "cannot read duration '%.60s': %s", text, DUR_EXPECTED);
        int idx = (int)(at_des - ORDER);
        static const int64_t MULT[] = {12, 1, 7, 1, HOUR_MS, MIN_MS, SEC_MS};
        bl_cal_unit u = idx < 2 ? BL_CAL_MONTHS : idx < 4 ? BL_CAL_DAYS : BL_CAL_TIME;
        int64_t v;
        if (scale(text, whole, frac, nfrac, MULT[idx], u, &v, err) != BL_OK)
            return BL_INVALID;
        if (idx < 2)
            months += v;
        else if (idx < 4)
            days += v;
        else
            ms += v, time_parts++;
        frac_seen = nfrac > 0, next = idx + 1, p++;
    }
    if (!any || (in_time && time_parts == 0))
        return bl_cal_fail(err, "cannot read duration '%.60s': %s", text, DUR_EXPECTED);
    if (months != 0 && (days != 0 || ms != 0))
        return bl_cal_fail(err, "cannot read duration '%.60s': years and months cannot be mixed with weeks, days or "
                           "hours in one duration", text);
    if (months > unit_limit(BL_CAL_MONTHS) || days > SPAN_DAYS || ms + days * DAY_MS > unit_limit(BL_CAL_TIME))
        return bl_cal_fail(err, "duration '%.60s' is too long: at most 10000 years", text);
    if (months != 0)
        *out = (bl_cal_dur){BL_CAL_MONTHS, months};
    else if (time_parts == 0)
        *out = (bl_cal_dur){BL_CAL_DAYS, days};
    else /* a fixed-offset zone makes every day 24 hours, so days can join the time part */
        *out = (bl_cal_dur){BL_CAL_TIME, days * DAY_MS + ms};
    return BL_OK;
}

int bl_cal_dur_parse(const char *text, bl_cal_dur *out, char **err)
{
    if (text == NULL)
        return bl_cal_fail(err, "no duration given: %s", DUR_EXPECTED);
    const char *p = text;
    while (*p == ' ' || *p == '\t')
        p++;
    int neg = *p == '-';
    if (*p == '-' || *p == '+')
        p++;
    while (*p == ' ' || *p == '\t')
        p++;
    bl_cal_dur d;
    if (*p == 'P' || *p == 'p') {
        char trimmed[128];
        size_t n = strlen(p);
        while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
            n--;
        if (n >= sizeof trimmed)
            return bl_cal_fail(err, "cannot read duration '%.60s': %s", text, DUR_EXPECTED);
        memcpy(trimmed, p, n);
        trimmed[n] = '\0';
        if (parse_iso(text, trimmed, &d, err) != BL_OK)
            return BL_INVALID;
    } else {
        int64_t whole, frac;
        int nfrac;
        if (!read_number(&p, &whole, &frac, &nfrac))
            return bl_cal_fail(err, "cannot read duration '%.60s': %s", text, DUR_EXPECTED);
        /* The unit, lowercased, with runs of blanks made one space; an optional "个" goes. */
        char word[64];
        size_t n = 0;
        while (*p == ' ' || *p == '\t')
            p++;
        if (strncmp(p, "个", strlen("个")) == 0)
            p += strlen("个");
        for (; *p && n + 1 < sizeof word; p++) {
            if (*p == ' ' || *p == '\t') {
                if (n > 0 && word[n - 1] != ' ')
                    word[n++] = ' ';
            } else
                word[n++] = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
        }
        while (n > 0 && word[n - 1] == ' ')
            n--;
        word[n] = '\0';
        size_t i = 0, count = sizeof UNIT_WORDS / sizeof *UNIT_WORDS;
        for (; i < count; i++) {
            size_t len = strlen(UNIT_WORDS[i].word);
            if (strncmp(word, UNIT_WORDS[i].word, len) == 0 &&
                (word[len] == '\0' || (UNIT_WORDS[i].plural && word[len] == 's' && word[len + 1] == '\0')))
                break;
        }
        if (*p != '\0' || i == count)
            return bl_cal_fail(err, "cannot read duration '%.60s': %s", text, DUR_EXPECTED);
        d.unit = UNIT_WORDS[i].unit;
        if (scale(text, whole, frac, nfrac, UNIT_WORDS[i].mult, d.unit, &d.amount, err) != BL_OK)
            return BL_INVALID;
    }
    if (neg)
        d.amount = -d.amount;
    *out = d;
    return BL_OK;
}

char *bl_cal_dur_format(bl_cal_dur d, char *buf)
{
    const char *word = "?";
    long long a = d.amount < 0 ? -(long long)d.amount : (long long)d.amount, step = 1;
    int work = d.unit == BL_CAL_WORKTIME;
    if (d.unit == BL_CAL_WORKDAYS)
        word = "working day";
    else if (d.unit == BL_CAL_DAYS)
        word = "day";
    else if (d.unit == BL_CAL_MONTHS)
        word = "month";
    else if (work || d.unit == BL_CAL_TIME) {
        step = a % HOUR_MS == 0 ? HOUR_MS : a % MIN_MS == 0 ? MIN_MS : SEC_MS;
        word = step == HOUR_MS ? (work ? "working hour" : "hour")
               : step == MIN_MS ? (work ? "working minute" : "minute") : (work ? "working second" : "second");
    }
    char tmp[96], frac[8] = "";
    if (a % step != 0) { /* milliseconds: a decimal fraction of seconds, without trailing zeros */
        snprintf(frac, sizeof frac, ".%03d", (int)(a % step));
        for (int i = 3; frac[i] == '0'; i--)
            frac[i] = '\0';
    }
    snprintf(tmp, sizeof tmp, "%s%lld%s %s%s", d.amount < 0 ? "-" : "", a / step, frac, word,
             a == step && !frac[0] ? "" : "s");
    snprintf(buf, BL_CAL_DUR_BUF, "%.47s", tmp);
    return buf;
}
