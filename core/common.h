/* common.h — what every bylaw module shares: result codes, the engine clock, small string buffers. */
#ifndef BL_COMMON_H
#define BL_COMMON_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#define BL_VERSION "0.1.0"

/* Result codes of the C API. Functions that can fail return one of these and, where they take a
 * `char **err` or keep an error on their object, a plain-language message saying what and where. */
enum {
    BL_OK = 0,
    BL_ERR = -1,       /* failed; see the message */
    BL_NOTFOUND = -2,  /* no such record/policy */
    BL_CONFLICT = -3,  /* optimistic concurrency: version mismatch */
    BL_INVALID = -4,   /* the caller's input is wrong (bad field, bad JSON, ...) */
};

/* The engine clock, in milliseconds since the Unix epoch (UTC). Real time unless a virtual clock is
 * set (tests, REPL, `serve --virtual-clock`). */
int64_t bl_clock_now_ms(void);
void bl_clock_set_virtual(int64_t now_ms); /* switch to a virtual clock at now_ms */
int64_t bl_clock_real_ms(void);            /* the real time, whatever the engine clock is */
void bl_clock_set_real(void);
int bl_clock_is_virtual(void);

/* Times people read are local: the offset of the policy set's default calendar (UTC+8, Asia/Shanghai,
 * until a policy set says otherwise). One per process; set when a policy set is activated. */
void bl_time_set_offset(int minutes);
int bl_time_offset(void);
/* "2026-10-08T18:00:00+08:00" (".123" before the offset when the milliseconds are not 0) into buf (at
 * least 32 bytes), at the display offset; returns buf. */
char *bl_time_format(int64_t ms, char *buf);
/* "YYYY-MM" of ms at the display offset into buf (at least 8 bytes). */
char *bl_time_month(int64_t ms, char *buf);

/* n with thousands separators, "1,234,567", into buf (at least 32 bytes); returns buf. */
char *bl_fmt_int(int64_t n, char *buf);

/* A growable byte buffer (always NUL-terminated). */
typedef struct bl_buf {
    char *data;
    size_t len, cap;
} bl_buf;
void bl_buf_reserve(bl_buf *b, size_t extra); /* room for extra more bytes and a NUL */
void bl_buf_add(bl_buf *b, const char *s, size_t n);
void bl_buf_adds(bl_buf *b, const char *s);
void bl_buf_printf(bl_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void bl_buf_free(bl_buf *b);

/* malloc'd copy of a printf-formatted string (never NULL: aborts on out-of-memory). */
char *bl_strdupf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *bl_vstrdupf(const char *fmt, va_list ap);

/* A policy file's name as the API and the version history use it: "policies/client_grade.lua" ->
 * "client_grade", into out (n bytes). */
void bl_file_stem(const char *file, char *out, size_t n);
/* The whole file at path, NUL-terminated, malloc'd; *len its length (may be NULL). NULL if unreadable. */
char *bl_read_file(const char *path, size_t *len);
void *bl_xmalloc(size_t n);
/* This program's path (malloc'd), for starting its own worker processes: /proc/self/exe, else argv[0]
 * (main sets it with bl_set_argv0) as a path or found through PATH; NULL when none of them works. */
char *bl_self_exe(void);
void bl_set_argv0(const char *argv0);
/* The name of names closest to k (at most two edits away), for "did you mean"; NULL when none is. */
const char *bl_closest(const char *k, const char *const *names, int n);
/* Removes dir and everything under it (symbolic links are removed, not followed). */
void bl_remove_tree(const char *dir);

#endif
