/* progress.h — a progress bar on standard error for the long commands (bylaw diff, replay, import):
 * "[#########...........]  45%  450,000 of 1,000,000 records  2.1 s", redrawn at most ten times a
 * second, on one line; nothing at all when standard error is not a terminal. */
#ifndef BL_PROGRESS_H
#define BL_PROGRESS_H

#include <stdint.h>

typedef struct bl_progress {
    int on;
    const char *what; /* "records" */
    int64_t total;    /* < 0: not known (no bar, a count) */
    int64_t start_ms, drawn_ms;
} bl_progress;

void bl_progress_start(bl_progress *p, const char *what, int64_t total);
void bl_progress_update(bl_progress *p, int64_t done); /* one caller at a time */
void bl_progress_end(bl_progress *p);                   /* clears the line */

#endif
