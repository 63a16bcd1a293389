/* common.c — the engine clock (real or virtual), time formatting, byte buffers. */
#include "common.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <dirent.h>
#include <sys/stat.h>
#include <limits.h>
#include <unistd.h>

static int64_t virtual_now_ms = -1; /* < 0: real time */

int64_t bl_clock_now_ms(void)
{
    if (virtual_now_ms >= 0)
        return virtual_now_ms;
    return bl_clock_real_ms();
}

int64_t bl_clock_real_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void bl_clock_set_virtual(int64_t now_ms) { virtual_now_ms = now_ms < 0 ? 0 : now_ms; }
void bl_clock_set_real(void) { virtual_now_ms = -1; }
int bl_clock_is_virtual(void) { return virtual_now_ms >= 0; }

static int display_offset_min = 480; /* Asia/Shanghai until a policy set's default calendar says otherwise */

void bl_time_set_offset(int minutes) { display_offset_min = minutes; }
int bl_time_offset(void) { return display_offset_min; }

/* The local date and time of ms at the display offset. */
static void local_tm(int64_t ms, struct tm *tm, int *frac)
{
    int64_t local = ms + (int64_t)display_offset_min * 60000;
    time_t t = (time_t)(local >= 0 ? local / 1000 : (local - 999) / 1000);
    *frac = (int)(local - (int64_t)t * 1000);
    gmtime_r(&t, tm);
}

char *bl_time_format(int64_t ms, char *buf)
{
    struct tm tm;
    int frac, off = display_offset_min < 0 ? -display_offset_min : display_offset_min;
    local_tm(ms, &tm, &frac);
    char tmp[128], ms3[8] = ""; /* the fields are in range, but the compiler cannot know */
    if (frac)
        snprintf(ms3, sizeof ms3, ".%03d", frac);
    snprintf(tmp, sizeof tmp, "%04d-%02d-%02dT%02d:%02d:%02d%s%c%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms3, display_offset_min < 0 ? '-' : '+', off / 60,
             off % 60);
    snprintf(buf, 32, "%.31s", tmp);
    return buf;
}

char *bl_fmt_int(int64_t n, char *buf)
{
    char digits[24];
    int len = snprintf(digits, sizeof digits, "%llu", n < 0 ? 0ULL - (unsigned long long)n : (unsigned long long)n);
    int o = 0;
    if (n < 0)
        buf[o++] = '-';
    for (int i = 0; i < len; i++) {
        if (i > 0 && (len - i) % 3 == 0)
            buf[o++] = ',';
        buf[o++] = digits[i];
    }
    buf[o] = '\0';
    return buf;
}

char *bl_time_month(int64_t ms, char *buf)
{
    struct tm tm;
    int frac;
    local_tm(ms, &tm, &frac);
    char tmp[32];
    snprintf(tmp, sizeof tmp, "%04d-%02d", (tm.tm_year + 1900) % 10000, tm.tm_mon + 1);
    snprintf(buf, 8, "%.7s", tmp);
    return buf;
}

void *bl_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (p == NULL) {
        fputs("bylaw: out of memory\n", stderr);
        abort();
    }
    return p;
}

void bl_buf_reserve(bl_buf *b, size_t extra)
{
    if (b->len + extra + 1 <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra + 1)
        cap *= 2;
    char *p = realloc(b->data, cap);
    if (p == NULL) {
        fputs("bylaw: out of memory\n", stderr);
        abort();
    }
    b->data = p;
    b->cap = cap;
}

void bl_buf_add(bl_buf *b, const char *s, size_t n)
{
    bl_buf_reserve(b, n);
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void bl_buf_adds(bl_buf *b, const char *s) { bl_buf_add(b, s, strlen(s)); }

void bl_buf_printf(bl_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n > 0) {
        bl_buf_reserve(b, (size_t)n);
        vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap2);
        b->len += (size_t)n;
    }
    va_end(ap2);
}

void bl_buf_free(bl_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

char *bl_vstrdupf(const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    char *s = bl_xmalloc((size_t)(n < 0 ? 0 : n) + 1);
    vsnprintf(s, (size_t)(n < 0 ? 0 : n) + 1, fmt, ap2);
    va_end(ap2);
    return s;
}

char *bl_strdupf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = bl_vstrdupf(fmt, ap);
    va_end(ap);
    return s;
}

void bl_file_stem(const char *file, char *out, size_t n)
{
    const char *base = strrchr(file, '/');
    snprintf(out, n, "%s", base ? base + 1 : file);
    char *dot = strrchr(out, '.');
    if (dot)
        *dot = '\0';
}

char *bl_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    bl_buf b = {0};
    char chunk[8192];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        bl_buf_add(&b, chunk, n);
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        bl_buf_free(&b);
        return NULL;
    }
    bl_buf_add(&b, "", 0);
    if (len)
        *len = b.len;
    return b.data;
}

void bl_remove_tree(const char *dir)
{
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            char *a = bl_strdupf("%s/%s", dir, e->d_name);
            struct stat st;
            if (lstat(a, &st) == 0 && S_ISDIR(st.st_mode))
                bl_remove_tree(a);
            else
                unlink(a);
            free(a);
        }
        closedir(d);
    }
    rmdir(dir);
}

static char *argv0;

void bl_set_argv0(const char *a) { argv0 = (char *)a; }

char *bl_self_exe(void)
{
    char buf[4096];
    ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
    if (n > 0) {
        buf[n] = '\0';
        return bl_strdupf("%s", buf);
    }
    if (argv0 == NULL) /* no /proc (a chroot): argv[0], as a path or through PATH */
        return NULL;
    if (strchr(argv0, '/'))
        return realpath(argv0, NULL);
    const char *path = getenv("PATH");
    for (const char *p = path ? path : "/usr/bin:/bin"; *p;) {
        const char *end = strchr(p, ':');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        char *cand = bl_strdupf("%.*s/%s", (int)len, p, argv0);
        if (access(cand, X_OK) == 0)
            return cand;
        free(cand);
        p += len + (end != NULL);
    }
    return NULL;
}

const char *bl_closest(const char *k, const char *const *names, int n)
{
    const char *best = NULL;
    int bestd = 3;
    for (int i = 0; i < n; i++) {
        const char *a = k, *b = names[i];
        size_t la = strlen(a), lb = strlen(b);
        if (la > 40 || lb > 40)
            continue;
        int d[41][41];
        for (size_t x = 0; x <= la; x++)
            d[x][0] = (int)x;
        for (size_t y = 0; y <= lb; y++)
            d[0][y] = (int)y;
        for (size_t x = 1; x <= la; x++)
            for (size_t y = 1; y <= lb; y++) {
                int m = d[x - 1][y - 1] + (a[x - 1] != b[y - 1]);
                if (d[x - 1][y] + 1 < m)
                    m = d[x - 1][y] + 1;
                if (d[x][y - 1] + 1 < m)
                    m = d[x][y - 1] + 1;
                d[x][y] = m;
            }
        if (d[la][lb] < bestd)
            bestd = d[la][lb], best = names[i];
    }
    return best;
}
