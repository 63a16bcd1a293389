/* stream.h — a pass over lines on every core (bl_lines_run): chunks of whole lines from a source, each
 * chunk handled by one thread with its own state, the answers handed on in input order. `bylaw eval`
 * (bl_stream_eval), `bylaw import`, `bylaw diff` and `bylaw replay` run on it. */
#ifndef BL_STREAM_H
#define BL_STREAM_H

#include <stdio.h>

#include "host.h"
#include "store.h"

typedef struct bl_lines {
    int threads;     /* threads, the caller's included; 0: one per core (at most 64) */
    long first_line; /* the number of the first line; 0: 1 */
    void *ud;
    /* The source, called by one thread at a time: up to room bytes of lines into buf; returns how many,
     * 0 at the end, -1 when it failed (it said why). A line may be cut between two calls. */
    long (*read)(void *ud, char *buf, size_t room);
    /* Each thread's state, made on that thread (a Lua host is best made where it runs); NULL when it
     * cannot, with *err (malloc'd) saying why: the pass stops. */
    void *(*open)(void *ud, char **err);
    /* Called on the caller's thread, one state after the other, once every thread is done. */
    void (*close)(void *ud, void *state);
    /* One line (len bytes, without its line end) of number lineno: its answer appended to out. */
    void (*line)(void *state, const char *text, size_t len, long lineno, bl_buf *out);
    /* The answers of the lines first..last, chunk after chunk in input order, one call at a time (may
     * be NULL); non-zero stops the pass. */
    int (*sink)(void *ud, const char *out, size_t len, long first, long last);
} bl_lines;

/* Runs the pass. 0 when it went to the end; 1 when the source failed, the sink stopped it or a state
 * could not be made (*err: the first such message, malloc'd, or NULL). *lines: the lines read. */
int bl_lines_run(const bl_lines *l, long *lines, char **err);

/* A source reading file descriptor fd (a bl_lines read function: ud is a bl_fd_source). */
typedef struct bl_fd_source {
    int fd;
    const char *what; /* for the error message: "the input" */
} bl_fd_source;
long bl_fd_read(void *ud, char *buf, size_t room);

typedef struct bl_stream_config {
    const bl_host_config *host;
    const char *type;  /* TYPE of every record */
    int threads;       /* evaluating threads, the caller's included; 0: one per core */
    const char *db;    /* store each record with its decisions here (one thread), or NULL */
    int fd;            /* read from this file descriptor... */
    const char *text;  /* ...or, when fd < 0, this text */
    FILE *out;
    const char *lang;  /* the explanations' language (i18n.h); NULL: en */
} bl_stream_config;

/* Evaluates every line. Each answer line is {"record":...,"decisions":...} or, for a line that fails,
 * {"line":N,"error":"...","kind":"invalid"|"conflict"|"policy"}, and the stream goes on. Returns 0
 * when every line succeeded, 1 otherwise (after a summary on stderr), 1 also when the policies do
 * not load or the input cannot be read. */
int bl_stream_eval(const bl_stream_config *cfg);

/* Loads a host; NULL with *errors ("bylaw: the policies in DIR do not load:\n...", malloc'd). */
bl_host_t *bl_stream_open_host(const bl_host_config *cfg, char **errors);

#endif
