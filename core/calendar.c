/* calendar.c — business calendars: which days and hours are worked, deadline arithmetic, local times. */
#include "calendar.h"
#include "calunits.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Far enough past the year range that the sums below cannot overflow, near enough to reject nonsense. */
#define MS_BOUND (INT64_C(1) << 50)
#define NO_DAY INT64_MIN /* covers: not set */

typedef struct override {
    int64_t day;     /* days since 1970-01-01, local */
    bl_cal_day kind; /* BL_CAL_HOLIDAY or BL_CAL_MAKEUP */
} override;

struct bl_cal {
    int64_t offset;           /* local = UTC + offset, ms */
    unsigned weekend;         /* BL_CAL_SUN.. bits */
    int64_t open, close;      /* ms after local midnight */
    int64_t brk_from, brk_to; /* equal: no break */
    override *days;           /* sorted by day, one entry per date */
    size_t ndays, capdays;
    int64_t covers;           /* the last covered day set by bl_cal_set_covers_until, or NO_DAY */
    char zone[40];            /* the zone's name, or its offset "+05:30" */
};

/* Zones accepted by name: no daylight-saving time today, so one offset serves every date. */
static const struct {
    const char *name;
    int minutes;
} NAMED_ZONES[] = {
    {"Asia/Shanghai", 480},   {"Asia/Chongqing", 480}, {"Asia/Harbin", 480},       {"PRC", 480},
    {"Asia/Hong_Kong", 480},  {"Asia/Macau", 480},     {"Asia/Taipei", 480},       {"Asia/Singapore", 480},
    {"Asia/Kuala_Lumpur", 480}, {"Asia/Manila", 480},  {"Asia/Tokyo", 540},        {"Asia/Seoul", 540},
    {"Asia/Bangkok", 420},    {"Asia/Jakarta", 420},   {"Asia/Ho_Chi_Minh", 420},  {"Asia/Kolkata", 330},
    {"Asia/Dubai", 240},      {"UTC", 0},              {"Etc/UTC", 0},             {"GMT", 0},
    {"Z", 0},
};

int bl_cal_fail(char **err, const char *fmt, ...)
{
    if (err != NULL) {
        char msg[512];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        *err = bl_strdupf("%s", msg);
    }
    return BL_INVALID;
}

/* Dates ------------------------------------------------------------------------------------------ */

static int64_t floordiv(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant, "chrono-compatible algorithms"). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = floordiv(y, 400);
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int *y, int *m, int *d)
{
    z += 719468;
    int64_t era = floordiv(z, 146097);
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

static int days_in_month(int64_t y, int m)
{
    static const int DIM[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : DIM[m - 1];
}

static int weekday(int64_t day) { return (int)(((day + 4) % 7 + 7) % 7); } /* 1970-01-01 was a Thursday */

/* Reads exactly n digits at *p (advancing it); -1 if they are not all digits. */
static int digits(const char **p, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++, (*p)++) {
        if (**p < '0' || **p > '9')
            return -1;
        v = v * 10 + (**p - '0');
    }
    return v;
}

/* "YYYY-MM-DD" at *p (advancing it) as a day number; 0 if it is not a real date in years 1..9999. */
static int read_date(const char **p, int64_t *day)
{
    int y = digits(p, 4);
    if (y < 1 || *(*p)++ != '-')
        return 0;
    int m = digits(p, 2);
    if (m < 1 || m > 12 || *(*p)++ != '-')
        return 0;
    int d = digits(p, 2);
    if (d < 1 || d > days_in_month(y, m))
        return 0;
    *day = days_from_civil(y, m, d);
    return 1;
}

/* An hour of one or two digits at *p (advancing it); -1 if none. */
static int read_hour(const char **p)
{
    const char *q = *p;
    int h = digits(&q, 2);
    if (h < 0) {
        q = *p;
        h = digits(&q, 1);
    }
    if (h >= 0)
        *p = q;
    return h;
}

/* "HH:MM" (hour 0-24, 24 only as 24:00) as ms after midnight; -1 if not. */
static int64_t read_hhmm(const char *s)
{
    const char *p = s;
    int h = s ? read_hour(&p) : -1;
    if (h < 0 || *p++ != ':')
        return -1;
    int m = digits(&p, 2);
    if (m < 0 || m > 59 || *p != '\0' || h > 24 || (h == 24 && m != 0))
        return -1;
    return h * HOUR_MS + m * MIN_MS;
}

/* "+08:00", "+0800", "+8", "-5:30" at *p (advancing it) as minutes east of UTC; 0 if not one. */
static int read_offset(const char **p, int *minutes)
{
    int sign = **p == '-' ? -1 : 1;
    if (**p != '+' && **p != '-')
        return 0;
    const char *q = *p + 1;
    int h = read_hour(&q);
    if (h < 0)
        return 0;
    int m = 0, colon = *q == ':';
    q += colon;
    if ((colon || (*q >= '0' && *q <= '9')) && ((m = digits(&q, 2)) < 0 || m > 59))
        return 0;
    if (h * 60 + m > 14 * 60)
        return 0;
    *p = q;
    *minutes = sign * (h * 60 + m);
    return 1;
}

/* The calendar's days --------------------------------------------------------------------------- */

/* Binary search: 1 and *pos = its index if day has an entry, else 0 and *pos = where it would go. */
static int override_find(const bl_cal_t *c, int64_t day, size_t *pos)
{
    size_t lo = 0, hi = c->ndays;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (c->days[mid].day < day)
            lo = mid + 1;
        else
            hi = mid;
    }
    *pos = lo;
    return lo < c->ndays && c->days[lo].day == day;
}

static void override_put(bl_cal_t *c, int64_t day, bl_cal_day kind)
{
    size_t i;
    if (override_find(c, day, &i)) {
        c->days[i].kind = kind;
        return;
    }
    if (c->ndays == c->capdays) {
        c->capdays = c->capdays ? c->capdays * 2 : 32;
        override *grown = realloc(c->days, c->capdays * sizeof *grown);
        if (grown == NULL) {
            fputs("bylaw: out of memory\n", stderr);
            abort();
        }
        c->days = grown;
    }
    memmove(c->days + i + 1, c->days + i, (c->ndays - i) * sizeof *c->days);
    c->days[i] = (override){day, kind};
    c->ndays++;
}

static bl_cal_day kind_of(const bl_cal_t *c, int64_t day)
{
    int off = (c->weekend >> weekday(day)) & 1;
    size_t i;
    if (override_find(c, day, &i))
        return c->days[i].kind == BL_CAL_HOLIDAY ? BL_CAL_HOLIDAY : off ? BL_CAL_MAKEUP : BL_CAL_WORKDAY;
    return off ? BL_CAL_WEEKEND : BL_CAL_WORKDAY;
}

static int works(const bl_cal_t *c, int64_t day)
{
    bl_cal_day k = kind_of(c, day);
    return k == BL_CAL_WORKDAY || k == BL_CAL_MAKEUP;
}

/* Moves *day to the next working day after it (step 1) or before it (step -1); 0 past the years. */
static int step_workday(const bl_cal_t *c, int64_t *day, int step)
{
    for (int64_t d = *day + step; d >= DAY_FIRST && d <= DAY_LAST; d += step)
        if (works(c, d)) {
            *day = d;
            return 1;
        }
    return 0;
}

/* The local date and time of day of ms; 0 when out of range. */
static int split(const bl_cal_t *c, int64_t ms, int64_t *day, int64_t *tod)
{
    if (ms < -MS_BOUND || ms > MS_BOUND)
        return 0;
    int64_t local = ms + c->offset;
    *day = floordiv(local, DAY_MS);
    *tod = local - *day * DAY_MS;
    return *day >= DAY_FIRST && *day <= DAY_LAST;
}

static int64_t at(const bl_cal_t *c, int64_t day, int64_t tod) { return day * DAY_MS + tod - c->offset; }

/* The working intervals of a working day in ms after midnight: one, or two around the break. */
static int intervals(const bl_cal_t *c, int64_t iv[2][2])
{
    if (c->brk_from == c->brk_to) {
        iv[0][0] = c->open, iv[0][1] = c->close;
        return 1;
    }
    iv[0][0] = c->open, iv[0][1] = c->brk_from;
    iv[1][0] = c->brk_to, iv[1][1] = c->close;
    return 2;
}

/* Configuration ---------------------------------------------------------------------------------- */

bl_cal_t *bl_cal_new(void)
{
    bl_cal_t *c = bl_xmalloc(sizeof *c);
    *c = (bl_cal_t){.offset = 8 * HOUR_MS, .weekend = BL_CAL_SAT | BL_CAL_SUN, .open = 9 * HOUR_MS,
                    .close = 18 * HOUR_MS, .covers = NO_DAY, .zone = "Asia/Shanghai"};
    return c;
}

void bl_cal_free(bl_cal_t *c)
{
    if (c == NULL)
        return;
    free(c->days);
    free(c);
}

int bl_cal_set_zone(bl_cal_t *c, const char *zone, char **err)
{
    int minutes = 0;
    const char *p = zone ? zone : "";
    if ((strncasecmp(p, "UTC", 3) == 0 || strncasecmp(p, "GMT", 3) == 0) && (p[3] == '+' || p[3] == '-'))
        p += 3;
    int found = read_offset(&p, &minutes) && *p == '\0';
    const char *name = NULL;
    for (size_t i = 0; !found && i < sizeof NAMED_ZONES / sizeof *NAMED_ZONES; i++)
        if (strcasecmp(zone ? zone : "", NAMED_ZONES[i].name) == 0) {
            minutes = NAMED_ZONES[i].minutes;
            name = NAMED_ZONES[i].name;
            found = 1;
        }
    if (!found)
        return bl_cal_fail(err,
                           "unknown time zone '%.60s': expected 'Asia/Shanghai', 'UTC' or a fixed offset such as "
                           "'+08:00' (zones that change their clocks for summer time are not supported)",
                           zone ? zone : "");
    c->offset = minutes * MIN_MS;
    if (name)
        snprintf(c->zone, sizeof c->zone, "%s", name);
    else
        snprintf(c->zone, sizeof c->zone, "%c%02d:%02d", minutes < 0 ? '-' : '+', abs(minutes) / 60,
                 abs(minutes) % 60);
    return BL_OK;
}

int bl_cal_set_weekend(bl_cal_t *c, unsigned days, char **err)
{
    if (days & ~0x7fu)
        return bl_cal_fail(err, "weekend 0x%x: use BL_CAL_SUN .. BL_CAL_SAT", days);
    if (days == 0x7fu)
        return bl_cal_fail(err, "every day of the week is a weekend day: at least one weekday must be worked");
    c->weekend = days;
    return BL_OK;
}

static void fmt_hhmm(int64_t ms, char out[8])
{
    snprintf(out, 8, "%02d:%02d", (int)(ms / HOUR_MS) % 100, (int)(ms % HOUR_MS / MIN_MS));
}

int bl_cal_set_hours(bl_cal_t *c, const char *open, const char *close, char **err)
{
    int64_t o = read_hhmm(open), e = read_hhmm(close);
    if (o < 0 || e < 0 || o >= e)
        return bl_cal_fail(err, "working hours '%.20s'-'%.20s': expected opening and closing times such as '09:00' "
                           "and '18:00', the opening first", open ? open : "", close ? close : "");
    if (c->brk_from != c->brk_to && !(o < c->brk_from && c->brk_to < e)) {
        char f[8], t[8];
        fmt_hhmm(c->brk_from, f), fmt_hhmm(c->brk_to, t);
        return bl_cal_fail(err, "working hours %.20s-%.20s would not contain the break %s-%s: change the break first",
                           open, close, f, t);
    }
    c->open = o, c->close = e;
    return BL_OK;
}

int bl_cal_set_break(bl_cal_t *c, const char *from, const char *to, char **err)
{
    if (from == NULL && to == NULL) {
        c->brk_from = c->brk_to = 0;
        return BL_OK;
    }
    int64_t f = read_hhmm(from), t = read_hhmm(to);
    if (f < 0 || t < 0 || f >= t || f <= c->open || t >= c->close) {
        char o[8], e[8];
        fmt_hhmm(c->open, o), fmt_hhmm(c->close, e);
        return bl_cal_fail(err, "break '%.20s'-'%.20s': expected times such as '12:00' and '13:00' strictly within "
                           "the working hours %s-%s", from ? from : "", to ? to : "", o, e);
    }
    c->brk_from = f, c->brk_to = t;
    return BL_OK;
}

static int add_dates(bl_cal_t *c, const char *text, bl_cal_day kind, char **err)
{
    const char *p = text ? text : "";
    int64_t a = 0, b;
    int ok = read_date(&p, &a);
    b = a;
    if (ok && strncmp(p, "..", 2) == 0) {
        p += 2;
        ok = read_date(&p, &b);
    }
    if (!ok || *p != '\0')
        return bl_cal_fail(err, "cannot read date '%.60s': expected 'YYYY-MM-DD' (a real date) or a range "
                           "'YYYY-MM-DD..YYYY-MM-DD'", text ? text : "");
    if (b < a || b - a >= 366)
        return bl_cal_fail(err, "date range '%.60s': the first date must not be after the last, and a range spans "
                           "at most 366 days", text);
    for (int64_t d = a; d <= b; d++)
        override_put(c, d, kind);
    return BL_OK;
}

int bl_cal_add_holiday(bl_cal_t *c, const char *date, char **err) { return add_dates(c, date, BL_CAL_HOLIDAY, err); }
int bl_cal_add_workday(bl_cal_t *c, const char *date, char **err) { return add_dates(c, date, BL_CAL_MAKEUP, err); }

int bl_cal_set_covers_until(bl_cal_t *c, const char *date, char **err)
{
    const char *p = date ? date : "";
    int64_t day;
    if (!read_date(&p, &day) || *p != '\0')
        return bl_cal_fail(err, "cannot read the coverage end '%.60s': expected a date 'YYYY-MM-DD' such as "
                           "'2027-12-31'", date ? date : "");
    c->covers = day;
    return BL_OK;
}

void bl_cal_get_info(const bl_cal_t *c, bl_cal_info *out)
{
    *out = (bl_cal_info){.offset_minutes = (int)(c->offset / MIN_MS), .weekend = c->weekend,
                         .covers_until = bl_cal_covers_until(c), .covers_set = c->covers != NO_DAY};
    snprintf(out->zone, sizeof out->zone, "%s", c->zone);
    fmt_hhmm(c->open, out->open);
    fmt_hhmm(c->close, out->close);
    if (c->brk_from != c->brk_to) {
        fmt_hhmm(c->brk_from, out->break_from);
        fmt_hhmm(c->brk_to, out->break_to);
    }
    for (size_t i = 0; i < c->ndays; i++)
        if (c->days[i].kind == BL_CAL_HOLIDAY)
            out->holidays++;
        else
            out->workdays++;
}

/* Coverage ---------------------------------------------------------------------------------------- */

/* The last local day the holiday schedule covers, or INT64_MAX: no end (see bl_cal_set_covers_until). */
static int64_t last_covered(const bl_cal_t *c)
{
    if (c->covers != NO_DAY)
        return c->covers;
    if (c->ndays == 0)
        return INT64_MAX;
    int y, m, d;
    civil_from_days(c->days[c->ndays - 1].day, &y, &m, &d);
    return days_from_civil(y, 12, 31);
}

int64_t bl_cal_covers_until(const bl_cal_t *c)
{
    int64_t last = last_covered(c);
    return last == INT64_MAX ? BL_CAL_UNLIMITED : at(c, last + 1, 0);
}

int bl_cal_covers(const bl_cal_t *c, int64_t ms)
{
    int64_t day, tod;
    return split(c, ms, &day, &tod) && day <= last_covered(c);
}

/* Queries ------------------------------------------------------------------------------------------ */

bl_cal_day bl_cal_day_kind(const bl_cal_t *c, int64_t ms)
{
    int64_t day, tod;
    return split(c, ms, &day, &tod) ? kind_of(c, day) : 0;
}

int bl_cal_is_workday(const bl_cal_t *c, int64_t ms)
{
    int64_t day, tod;
    return split(c, ms, &day, &tod) && works(c, day);
}

int bl_cal_is_worktime(const bl_cal_t *c, int64_t ms)
{
    int64_t day, tod, iv[2][2];
    if (!split(c, ms, &day, &tod) || !works(c, day))
        return 0;
    for (int i = 0, n = intervals(c, iv); i < n; i++)
        if (tod >= iv[i][0] && tod < iv[i][1])
            return 1;
    return 0;
}

int bl_cal_next_workday(const bl_cal_t *c, int64_t ms, int64_t *out)
{
    int64_t day, tod;
    if (!split(c, ms, &day, &tod) || !step_workday(c, &day, 1))
        return BL_INVALID;
    *out = at(c, day, c->open);
    return BL_OK;
}

/* The earliest instant with w ms of working time between ms and it; w = 0 gives the next working
 * moment. Landing exactly on a close gives that close, not the next opening. */
static int worktime_forward(const bl_cal_t *c, int64_t day, int64_t tod, int64_t w, int64_t *out)
{
    int64_t iv[2][2];
    int n = intervals(c, iv);
    if (!works(c, day))
        tod = DAY_MS;
    for (;;) {
        for (int i = 0; i < n; i++) {
            if (tod >= iv[i][1])
                continue;
            int64_t from = tod > iv[i][0] ? tod : iv[i][0];
            if (w <= iv[i][1] - from) {
                *out = at(c, day, from + w);
                return BL_OK;
            }
            w -= iv[i][1] - from;
            tod = iv[i][1];
        }
        if (!step_workday(c, &day, 1))
            return BL_INVALID;
        tod = 0;
    }
}

/* The mirror image: the latest instant with w ms of working time between it and ms. */
static int worktime_backward(const bl_cal_t *c, int64_t day, int64_t tod, int64_t w, int64_t *out)
{
    int64_t iv[2][2];
    int n = intervals(c, iv);
    if (!works(c, day))
        tod = 0;
    for (;;) {
        for (int i = n - 1; i >= 0; i--) {
            if (tod <= iv[i][0])
                continue;
            int64_t to = tod < iv[i][1] ? tod : iv[i][1];
            if (w <= to - iv[i][0]) {
                *out = at(c, day, to - w);
                return BL_OK;
            }
            w -= to - iv[i][0];
            tod = iv[i][0];
        }
        if (!step_workday(c, &day, -1))
            return BL_INVALID;
        tod = DAY_MS;
    }
}

int bl_cal_next_worktime(const bl_cal_t *c, int64_t ms, int64_t *out)
{
    int64_t day, tod;
    if (!split(c, ms, &day, &tod))
        return BL_INVALID;
    return worktime_forward(c, day, tod, 0, out);
}

/* Working day 1 of a count from ms (docs/calendar.md, "working days"): forwards, the first working
 * day that opens at or after ms, so a day already begun does not count; backwards, the last one that
 * closes at or before ms. */
static int first_counted(const bl_cal_t *c, int64_t ms, int step, int64_t *day)
{
    int64_t tod;
    if (!split(c, ms, day, &tod))
        return 0;
    if (works(c, *day) && (step > 0 ? tod <= c->open : tod >= c->close))
        return 1;
    return step_workday(c, day, step);
}

static int add_workdays(const bl_cal_t *c, int64_t ms, int64_t n, int64_t *out)
{
    int64_t day;
    int step = n > 0 ? 1 : -1;
    if (!first_counted(c, ms, step, &day))
        return BL_INVALID;
    for (int64_t k = n > 0 ? n : -n; k > 1; k--)
        if (!step_workday(c, &day, step))
            return BL_INVALID;
    *out = at(c, day, n > 0 ? c->close : c->open);
    return BL_OK;
}

static int add_months(const bl_cal_t *c, int64_t day, int64_t tod, int64_t n, int64_t *out)
{
    int y, m, d;
    civil_from_days(day, &y, &m, &d);
    int64_t total = (int64_t)y * 12 + (m - 1) + n;
    int64_t y2 = floordiv(total, 12);
    int m2 = (int)(total - y2 * 12) + 1;
    if (y2 < 1 || y2 > 9999)
        return BL_INVALID;
    int dim = days_in_month(y2, m2); /* Jan 31 + 1 month = Feb 28: the Civil Code's "no such day: month end" */
    *out = at(c, days_from_civil(y2, m2, d < dim ? d : dim), tod);
    return BL_OK;
}

int bl_cal_add(const bl_cal_t *c, int64_t ms, bl_cal_dur d, int64_t *out)
{
    int64_t day, tod, r = 0;
    if (!split(c, ms, &day, &tod) || d.amount < -MS_BOUND || d.amount > MS_BOUND)
        return BL_INVALID;
    int rc = BL_OK;
    if (d.amount == 0 && d.unit >= BL_CAL_WORKDAYS && d.unit <= BL_CAL_TIME)
        r = ms;
    else if ((d.unit == BL_CAL_WORKDAYS || d.unit == BL_CAL_DAYS) && (d.amount < -SPAN_DAYS || d.amount > SPAN_DAYS))
        rc = BL_INVALID;
    else if (d.unit == BL_CAL_WORKDAYS)
        rc = add_workdays(c, ms, d.amount, &r);
    else if (d.unit == BL_CAL_WORKTIME)
        rc = d.amount > 0 ? worktime_forward(c, day, tod, d.amount, &r)
                          : worktime_backward(c, day, tod, -d.amount, &r);
    else if (d.unit == BL_CAL_DAYS)
        r = at(c, day + d.amount, tod); /* a fixed offset has no 23- or 25-hour days */
    else if (d.unit == BL_CAL_MONTHS)
        rc = d.amount < -SPAN_DAYS || d.amount > SPAN_DAYS ? BL_INVALID : add_months(c, day, tod, d.amount, &r);
    else if (d.unit == BL_CAL_TIME)
        r = ms + d.amount;
    else
        rc = BL_INVALID;
    if (rc == BL_OK && !split(c, r, &day, &tod))
        rc = BL_INVALID;
    if (rc == BL_OK)
        *out = r;
    return rc;
}

int bl_cal_nth_workday(const bl_cal_t *c, int year, int month, int n, bl_cal_edge edge, int64_t *out)
{
    if (year < 1 || year > 9999 || month < 1 || month > 12 || n == 0 || n < -31 || n > 31)
        return BL_INVALID;
    int64_t first = days_from_civil(year, month, 1), last = first + days_in_month(year, month) - 1;
    int step = n > 0 ? 1 : -1, seen = 0;
    for (int64_t d = n > 0 ? first : last; d >= first && d <= last; d += step)
        if (works(c, d) && ++seen == (n > 0 ? n : -n)) {
            *out = at(c, d, edge == BL_CAL_CLOSE ? c->close : c->open);
            return BL_OK;
        }
    return BL_NOTFOUND;
}

int bl_cal_workdays_between(const bl_cal_t *c, int64_t from, int64_t to, int64_t *out)
{
    int64_t day, tod;
    if (!split(c, to, &day, &tod) || !split(c, from, &day, &tod))
        return BL_INVALID;
    if (to == from) {
        *out = 0;
        return BL_OK;
    }
    int step = to > from ? 1 : -1;
    if (!first_counted(c, from, step, &day))
        return BL_INVALID;
    for (int64_t k = 1;; k++) {
        if (step > 0 ? at(c, day, c->close) >= to : at(c, day, c->open) <= to) {
            *out = k * step;
            return BL_OK;
        }
        if (!step_workday(c, &day, step))
            return BL_INVALID;
    }
}

/* Provisional counts ------------------------------------------------------------------------------ */

/* Each _cov function finds the latest day whose kind its count read, and compares it with the end. */

/* The local day of an instant already known to be in range. */
static int64_t day_of(const bl_cal_t *c, int64_t ms) { return floordiv(ms + c->offset, DAY_MS); }

/* Sets *provisional (when not NULL) to whether seen, the latest day a count read, is past the coverage
 * end; passes rc on. */
static int seen_until(const bl_cal_t *c, int rc, int64_t seen, int *provisional)
{
    if (provisional)
        *provisional = (rc == BL_OK || rc == BL_NOTFOUND) && seen > last_covered(c);
    return rc;
}

/* The latest day a count backwards from ms reads: the day of ms only when its time of day is past
 * `after` (else the day's kind cannot matter), otherwise the day before. */
static int64_t seen_back(const bl_cal_t *c, int64_t ms, int64_t after)
{
    int64_t day, tod;
    if (!split(c, ms, &day, &tod))
        return INT64_MIN;
    return tod > after ? day : day - 1;
}

int bl_cal_add_cov(const bl_cal_t *c, int64_t ms, bl_cal_dur d, int64_t *out, int *provisional)
{
    int64_t r = 0, seen = INT64_MIN;
    int rc = bl_cal_add(c, ms, d, &r);
    if (rc == BL_OK && d.amount != 0 && (d.unit == BL_CAL_WORKDAYS || d.unit == BL_CAL_WORKTIME))
        seen = d.amount > 0 ? day_of(c, r - 1) /* forwards, the result ends the last day read */
                            : seen_back(c, ms, d.unit == BL_CAL_WORKDAYS ? c->close - 1 : c->open);
    if (rc == BL_OK)
        *out = r;
    return seen_until(c, rc, seen, provisional);
}

int bl_cal_next_workday_cov(const bl_cal_t *c, int64_t ms, int64_t *out, int *provisional)
{
    int rc = bl_cal_next_workday(c, ms, out);
    return seen_until(c, rc, rc == BL_OK ? day_of(c, *out) : INT64_MIN, provisional);
}

int bl_cal_nth_workday_cov(const bl_cal_t *c, int year, int month, int n, bl_cal_edge edge, int64_t *out,
                           int *provisional)
{
    int rc = bl_cal_nth_workday(c, year, month, n, edge, out);
    int64_t seen = INT64_MIN;
    if (rc == BL_OK && n > 0)
        seen = day_of(c, edge == BL_CAL_CLOSE ? *out - 1 : *out);
    else if (rc == BL_OK || rc == BL_NOTFOUND) /* backwards, or not found: the whole month's end was read */
        seen = days_from_civil(year, month, days_in_month(year, month));
    return seen_until(c, rc, seen, provisional);
}

int bl_cal_workdays_between_cov(const bl_cal_t *c, int64_t from, int64_t to, int64_t *out, int *provisional)
{
    int64_t seen = INT64_MIN, end;
    int rc = bl_cal_workdays_between(c, from, to, out);
    if (rc == BL_OK && *out > 0 && add_workdays(c, from, *out, &end) == BL_OK)
        seen = day_of(c, end - 1); /* the last working day counted */
    else if (rc == BL_OK && *out < 0)
        seen = seen_back(c, from, c->close - 1);
    return seen_until(c, rc, seen, provisional);
}

/* Days that end at their close ---------------------------------------------------------------------- */

int bl_cal_end_of_day(const bl_cal_t *c, int64_t ms, int64_t *out)
{
    int64_t day, tod, next;
    if (!split(c, ms, &day, &tod) || !split(c, next = at(c, day + 1, 0), &day, &tod))
        return BL_INVALID;
    *out = next;
    return BL_OK;
}

int bl_cal_close_of(const bl_cal_t *c, int64_t ms, int64_t *out, int *provisional)
{
    int64_t day = 0, tod, r = 0, d2;
    int rc = BL_INVALID;
    if (split(c, ms, &day, &tod) && (works(c, day) || step_workday(c, &day, 1)) &&
        split(c, r = at(c, day, c->close), &d2, &tod))
        rc = BL_OK;
    if (rc == BL_OK)
        *out = r;
    return seen_until(c, rc, day, provisional);
}

int bl_cal_weekday(const bl_cal_t *c, int64_t ms)
{
    int64_t day, tod;
    return split(c, ms, &day, &tod) ? weekday(day) : -1;
}

/* The note on a span of days ---------------------------------------------------------------------- */

static const char *const MONTHS[12] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

/* Text being written into buf[n]: like snprintf, len counts what did not fit too. */
typedef struct note {
    char *buf;
    size_t n, len;
    int zh; /* in Chinese: "10月1日–7日为节假日" */
} note;

__attribute__((format(printf, 2, 3))) static void note_add(note *w, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(w->len < w->n ? w->buf + w->len : NULL, w->len < w->n ? w->n - w->len : 0, fmt, ap);
    va_end(ap);
    if (k > 0)
        w->len += (size_t)k;
}

/* Days a to b as "10 Oct", "1–7 Oct", "30 Sep–7 Oct" or "31 Dec 2026–3 Jan 2027"; years: always
 * name the year. */
static void note_run(note *w, int64_t a, int64_t b, int years)
{
    int ya, ma, da, yb, mb, db;
    civil_from_days(a, &ya, &ma, &da);
    civil_from_days(b, &yb, &mb, &db);
    if (w->zh) { /* 10月1日–7日, 9月30日–10月7日, 2026年12月31日–2027年1月3日 */
        if (years || ya != yb)
            note_add(w, "%d年", ya);
        note_add(w, "%d月%d日", ma, da);
        if (a != b && ya != yb)
            note_add(w, "–%d年%d月%d日", yb, mb, db);
        else if (a != b && ma != mb)
            note_add(w, "–%d月%d日", mb, db);
        else if (a != b)
            note_add(w, "–%d日", db);
        return;
    }
    if (ya != yb)
        note_add(w, "%d %s %d–%d %s %d", da, MONTHS[ma - 1], ya, db, MONTHS[mb - 1], yb);
    else if (a == b)
        note_add(w, "%d %s", da, MONTHS[ma - 1]);
    else if (ma == mb)
        note_add(w, "%d–%d %s", da, db, MONTHS[mb - 1]);
    else
        note_add(w, "%d %s–%d %s", da, MONTHS[ma - 1], db, MONTHS[mb - 1]);
    if (years && ya == yb)
        note_add(w, " %d", yb);
}

/* The next run of consecutive listed days of kind k from entry *i on, up to day hi, into a..b. */
static int next_run(const bl_cal_t *c, size_t *i, int64_t hi, bl_cal_day k, int64_t *a, int64_t *b)
{
    while (*i < c->ndays && c->days[*i].day <= hi && kind_of(c, c->days[*i].day) != k)
        (*i)++;
    if (*i == c->ndays || c->days[*i].day > hi)
        return 0;
    *a = *b = c->days[(*i)++].day;
    while (*i < c->ndays && c->days[*i].day == *b + 1 && *b + 1 <= hi && kind_of(c, *b + 1) == k)
        *b = c->days[(*i)++].day;
    return 1;
}

/* "1–7 Oct and 10 Oct are holidays": the days of kind k among the listed ones from entry first to day hi. */
static void note_kind(const bl_cal_t *c, note *w, size_t first, int64_t hi, bl_cal_day k, int years,
                      const char *one, const char *many)
{
    size_t i = first;
    int64_t a, b, days = 0;
    int runs = 0;
    while (next_run(c, &i, hi, k, &a, &b))
        runs++, days += b - a + 1;
    if (runs == 0)
        return;
    note_add(w, "%s", w->len ? (w->zh ? "；" : "; ") : "");
    i = first;
    for (int r = 0; next_run(c, &i, hi, k, &a, &b); r++) {
        note_add(w, "%s", r == 0 ? "" : w->zh ? "、" : r == runs - 1 ? " and " : ", ");
        note_run(w, a, b, years);
    }
    if (w->zh)
        note_add(w, "%s", k == BL_CAL_HOLIDAY ? "为节假日" : "为调休上班日");
    else
        note_add(w, " %s", days == 1 ? one : many);
}

int bl_cal_span_note(const bl_cal_t *c, int64_t from, int64_t to, char *buf, size_t n)
{
    return bl_cal_span_note_in(c, from, to, 0, buf, n);
}

int bl_cal_span_note_in(const bl_cal_t *c, int64_t from, int64_t to, int zh, char *buf, size_t n)
{
    int64_t lo_ms = from < to ? from : to, hi_ms = from < to ? to : from, lo, hi, tod;
    note w = {buf, n, 0, zh};
    if (n > 0)
        buf[0] = '\0';
    if (!split(c, lo_ms, &lo, &tod) || !split(c, hi_ms, &hi, &tod))
        return -1;
    if (lo_ms == hi_ms)
        return 0;
    hi = day_of(c, hi_ms - 1); /* a day is in the span when part of it is */
    int ylo, yhi, m, d;
    civil_from_days(lo, &ylo, &m, &d);
    civil_from_days(hi, &yhi, &m, &d);
    size_t first;
    override_find(c, lo, &first);
    note_kind(c, &w, first, hi, BL_CAL_HOLIDAY, ylo != yhi, "is a holiday", "are holidays");
    note_kind(c, &w, first, hi, BL_CAL_MAKEUP, ylo != yhi, "is a make-up working day", "are make-up working days");
    int64_t last = last_covered(c);
    if (hi > last) {
        civil_from_days(last, &ylo, &m, &d);
        if (zh)
            note_add(&w, "%s节假日安排止于%d年%d月%d日", w.len ? "；" : "", ylo, m, d);
        else
            note_add(&w, "%sthe holiday schedule ends %d %s %d", w.len ? "; " : "", d, MONTHS[m - 1], ylo);
    }
    return w.len > INT32_MAX ? INT32_MAX : (int)w.len;
}

/* Local times ------------------------------------------------------------------------------------- */

char *bl_cal_date_format(const bl_cal_t *c, int64_t ms, char *buf)
{
    int64_t day, tod;
    int y, m, d;
    if (!split(c, ms, &day, &tod))
        return strcpy(buf, "(out of range)");
    civil_from_days(day, &y, &m, &d);
    snprintf(buf, BL_CAL_DATE_BUF, "%04d-%02d-%02d", y % 10000, m % 100, d % 100);
    return buf;
}

/* Reads a local time "YYYY-MM-DD[(T|t| )HH:MM[:SS[.fff]]][Z|±HH[:MM]]" at text; without an offset it is
 * at `offset` ms east of UTC. Returns 0 when it is no such text; else the ms, and in *shape what it had:
 * TIME_SEP_T (the time follows a 'T'), TIME_HAS (a time of day), TIME_ZONED (an offset or Z). */
enum { TIME_HAS = 1, TIME_SEP_T = 2, TIME_ZONED = 4 };
static int read_time(const char *text, int64_t offset, int64_t *out, int *shape)
{
    const char *p = text;
    int64_t day = 0, tod = 0;
    int ok = read_date(&p, &day);
    *shape = 0;
    if (ok && (*p == ' ' || *p == 'T' || *p == 't')) {
        *shape |= TIME_HAS | (*p != ' ' ? TIME_SEP_T : 0);
        p++;
        int h = digits(&p, 2), m = *p == ':' ? (p++, digits(&p, 2)) : -1, s = 0, f = 0, has_s = *p == ':';
        if (has_s) {
            p++;
            s = digits(&p, 2);
        }
        if (has_s && s >= 0 && *p == '.') {
            int nf = 0;
            for (p++; *p >= '0' && *p <= '9' && nf < 3; p++, nf++)
                f = f * 10 + (*p - '0');
            for (ok = nf > 0; nf < 3; nf++)
                f *= 10;
        }
        ok = ok && h >= 0 && h < 24 && m >= 0 && m < 60 && s >= 0 && s < 60;
        tod = h * HOUR_MS + m * MIN_MS + s * SEC_MS + f;
    }
    int minutes;
    if (ok && (*p == 'Z' || *p == 'z')) {
        offset = 0, p++;
        *shape |= TIME_ZONED;
    } else if (ok && (*p == '+' || *p == '-')) {
        ok = read_offset(&p, &minutes);
        offset = minutes * MIN_MS;
        *shape |= TIME_ZONED;
    }
    *out = ok ? day * DAY_MS + tod - offset : 0;
    return ok && *p == '\0' && *out >= -MS_BOUND && *out <= MS_BOUND;
}

int bl_cal_time_parse(const bl_cal_t *c, const char *text, int64_t *out, char **err)
{
    int64_t ms, d2, t2;
    int shape;
    if (!read_time(text ? text : "", c->offset, &ms, &shape) || !split(c, ms, &d2, &t2))
        return bl_cal_fail(err, "cannot read time '%.60s': expected e.g. '2026-10-08', '2026-10-08 18:00' or "
                           "'2026-10-08T18:00:00+08:00'", text ? text : "");
    *out = ms;
    return BL_OK;
}

int bl_date_valid(const char *text)
{
    const char *p = text;
    int64_t day;
    return read_date(&p, &day) && *p == '\0';
}

int bl_month_valid(const char *text)
{
    const char *p = text;
    int y = digits(&p, 4);
    if (y < 1 || *p++ != '-')
        return 0;
    int m = digits(&p, 2);
    return m >= 1 && m <= 12 && *p == '\0';
}

int bl_instant_valid(const char *text)
{
    int64_t ms;
    int shape;
    return read_time(text, 0, &ms, &shape) && shape == (TIME_HAS | TIME_SEP_T | TIME_ZONED);
}

char *bl_cal_time_format(const bl_cal_t *c, int64_t ms, char *buf)
{
    int64_t day, tod;
    char tmp[96];
    if (!split(c, ms, &day, &tod))
        snprintf(tmp, sizeof tmp, "(out of range)");
    else {
        int y, m, d, n;
        civil_from_days(day, &y, &m, &d);
        n = snprintf(tmp, sizeof tmp, "%04d-%02d-%02dT%02d:%02d:%02d", y, m, d, (int)(tod / HOUR_MS),
                     (int)(tod % HOUR_MS / MIN_MS), (int)(tod % MIN_MS / SEC_MS));
        if (tod % SEC_MS != 0)
            n += snprintf(tmp + n, sizeof tmp - (size_t)n, ".%03d", (int)(tod % SEC_MS));
        int off = (int)(c->offset / MIN_MS), a = off < 0 ? -off : off;
        if (off == 0)
            snprintf(tmp + n, sizeof tmp - (size_t)n, "Z");
        else
            snprintf(tmp + n, sizeof tmp - (size_t)n, "%c%02d:%02d", off < 0 ? '-' : '+', a / 60, a % 60);
    }
    snprintf(buf, BL_CAL_TIME_BUF, "%.31s", tmp);
    return buf;
}

int bl_cal_offset_minutes(const bl_cal_t *c) { return (int)(c->offset / MIN_MS); }
