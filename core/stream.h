/* stream.h — `bylaw eval`: a stream of JSON records, one per line, evaluated on every core, with one
 * answer line per input line, in input order. */
#ifndef BL_STREAM_H
#define BL_STREAM_H

#include <stdio.h>

#include "host.h"
#include "store.h"

typedef struct bl_stream_config {
    const bl_host_config *host;
    const char *type;  /* TYPE of every record */
    int threads;       /* evaluating threads, the caller's included; 0: one per core */
    const char *db;    /* store each record with its decisions here (one thread), or NULL */
    int fd;            /* read from this file descriptor... */
    const char *text;  /* ...or, when fd < 0, this text */
    FILE *out;
} bl_stream_config;

/* Evaluates every line. Each answer line is {"record":...,"decisions":...} or, for a line that fails,
 * {"line":N,"error":"...","kind":"invalid"|"conflict"|"policy"}, and the stream goes on. Returns 0
 * when every line succeeded, 1 otherwise (after a summary on stderr), 1 also when the policies do
 * not load or the input cannot be read. */
int bl_stream_eval(const bl_stream_config *cfg);

#endif
