/* worker.h — the worker process of the service (`bylaw __worker`): one policy set, evaluations on
 * request over fd 3 (core/wire.h). Started by core/pool.c; never by hand. */
#ifndef BL_WORKER_H
#define BL_WORKER_H

#include "host.h"

/* Runs the worker; returns its exit status. */
int bl_worker_main(int argc, char **argv, const bl_host_config *base);

#endif
