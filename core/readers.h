/* readers.h — queries off the event loop: threads of their own (not libuv's pool, which the WAL's fsync
 * and checkpoints use), each with a read-only connection to the database (WAL: readers never wait for the
 * writer), a FIFO of jobs, and each job's answer handed back on the loop. */
#ifndef BL_READERS_H
#define BL_READERS_H

#include <uv.h>

#include "store.h"

typedef struct bl_readers bl_readers;

/* Runs on a reader thread with its connection (its deadline set to the pool's timeout): fills the job. */
typedef void (*bl_read_fn)(bl_store_t *s, void *job);
/* Runs on the loop after the job ran (ran 0: the pool was closed first; the job did not run). */
typedef void (*bl_read_done)(void *job, int ran);

/* Starts n threads with a connection each to the database at path; timeout_ms bounds each job's
 * statements (0: none). NULL with *err (malloc'd) when a connection cannot be opened. */
bl_readers *bl_readers_open(uv_loop_t *loop, const char *path, int n, int64_t timeout_ms, char **err);
/* Queues a job: BL_OK, or BL_ERR when max_queued jobs wait already (the caller answers 503). */
int bl_readers_run(bl_readers *r, bl_read_fn fn, bl_read_done done, void *job);
/* Jobs queued or running. */
int bl_readers_busy(const bl_readers *r);
void bl_readers_set_timeout(bl_readers *r, int64_t timeout_ms);
/* Stops the threads after their running jobs; queued jobs get done(job, 0). Closes the connections. */
void bl_readers_close(bl_readers *r);

#endif
