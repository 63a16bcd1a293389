/* progress.c — the progress bar of the long commands (progress.h). */
#include "progress.h"

#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

#define WIDTH 24
#define EVERY_MS 100

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void bl_progress_start(bl_progress *p, const char *what, int64_t total)
{
    p->on = isatty(STDERR_FILENO);
    p->what = what;
    p->total = total;
    p->start_ms = mono_ms();
    p->drawn_ms = 0;
}

void bl_progress_update(bl_progress *p, int64_t done)
{
    if (!p->on)
        return;
    int64_t now = mono_ms();
    if (now - p->drawn_ms < EVERY_MS)
        return;
    p->drawn_ms = now;
    char a[32], b[32];
    double s = (double)(now - p->start_ms) / 1000.0;
    if (p->total > 0) {
        int64_t shown = done > p->total ? p->total : done;
        int fill = (int)(shown * WIDTH / p->total);
        char bar[WIDTH + 1];
        for (int i = 0; i < WIDTH; i++)
            bar[i] = i < fill ? '#' : '.';
        bar[WIDTH] = '\0';
        fprintf(stderr, "\r[%s] %3d%%  %s of %s %s  %.1f s ", bar, (int)(shown * 100 / p->total), bl_fmt_int(done, a),
                bl_fmt_int(p->total, b), p->what, s);
    } else {
        fprintf(stderr, "\r%s %s  %.1f s ", bl_fmt_int(done, a), p->what, s);
    }
    fflush(stderr);
}

void bl_progress_end(bl_progress *p)
{
    if (p->on && p->drawn_ms)
        fputs("\r\033[K", stderr);
    p->on = 0;
}
