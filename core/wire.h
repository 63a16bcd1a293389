/* wire.h — the frames the service and its worker processes exchange over a socket pair: a 4-byte
 * length (little-endian) of what follows, a 1-byte type, then the body (JSON text). */
#ifndef BL_WIRE_H
#define BL_WIRE_H

#include <stddef.h>

#include "common.h"
#include "json.h"

enum {
    /* service → worker */
    BL_WIRE_EVAL = 'E',   /* {"type","id","now","record"}: evaluate a record (bl_host_eval_json) */
    BL_WIRE_FIRE = 'F',   /* {"type","id","now","policy","timer","info","record"}: run a timer's handler */
    BL_WIRE_TASK = 'T',   /* {"op":"add","from","after","calendar"}: calendar arithmetic, no policy code */
    BL_WIRE_ANSWER = 'A', /* the answer to a read (core/reads.h) */
    BL_WIRE_REFUSE = 'N', /* {"rc","error"}: a read that failed */
    /* worker → service */
    BL_WIRE_READY = 'Y',  /* {"policies":[...],"zone_minutes":N} once loaded, or {"errors":"file:line: ..."} */
    BL_WIRE_RESULT = 'R', /* the answer of an EVAL, FIRE or TASK (for EVAL and FIRE, the evaluation's JSON) */
    BL_WIRE_FAIL = 'X',   /* {"rc","error"}: the EVAL, FIRE or TASK failed; nothing was proposed */
    BL_WIRE_READ = 'Q',   /* a read of the running policy (core/reads.h); the service answers A or N */
    BL_WIRE_LOG = 'L',    /* {"level","policy","where","msg"}: a policy's log line */
    BL_WIRE_STUCK = 'S',  /* {"error"}: the running call passed its limit inside a C function; the worker exits */
    BL_WIRE_BYE = 'B',    /* {}: after its last answer, the worker exits (a call passed a limit: its state may
                           * hold what the call left half done); requests sent after that one never ran */
    BL_WIRE_PROGRESS = 'P', /* {"done","total"}: how far a dry run is (bylaw __dryrun, core/jobs.c) */
};

#define BL_WIRE_HEADER 5
#define BL_WIRE_MAX ((size_t)256 << 20) /* a frame larger than this is a broken peer */

/* Blocking, for the worker's side. send: BL_OK, or BL_ERR when the peer is gone. recv: BL_OK with the
 * body in body (replacing what it held, NUL-terminated), BL_NOTFOUND at end of stream, BL_ERR on a
 * broken frame or read error. */
int bl_wire_send(int fd, int type, const char *body, size_t len);
int bl_wire_recv(int fd, int *type, bl_buf *body);

/* The 5-byte header of a frame of type with a body of len bytes. */
void bl_wire_header(char out[BL_WIRE_HEADER], int type, size_t len);

/* The body of an EVAL frame, {"type","id","now","record"}, appended to frame. */
void bl_wire_eval_frame(bl_buf *frame, const char *type, const char *id, int64_t now, const cJSON *record);
/* A FAIL frame's {"rc","error"[,"limit"]}: *err (malloc'd), *limit (may be NULL) whether a limit stopped
 * the call; returns BL_INVALID (the record is wrong) or BL_ERR (a policy failed). */
int bl_wire_fail_of(const char *body, size_t len, char **err, int *limit);
/* The same, the error in lang when the worker gave it ("error_zh": a record's field errors in Chinese). */
int bl_wire_fail_in(const char *body, size_t len, const char *lang, char **err, int *limit);

/* Frames out of a byte stream, for the service's non-blocking side: feed what arrives, then take whole
 * frames with next (1: one is there; its body points into the decoder, valid until the next feed). */
typedef struct bl_wire_dec {
    bl_buf buf;
    size_t off; /* start of the first frame not taken */
    int broken; /* a frame was larger than BL_WIRE_MAX */
} bl_wire_dec;
void bl_wire_feed(bl_wire_dec *d, const char *data, size_t n);
int bl_wire_next(bl_wire_dec *d, int *type, const char **body, size_t *len);
void bl_wire_dec_free(bl_wire_dec *d);

#endif
