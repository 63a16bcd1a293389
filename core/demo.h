/* demo.h — bylaw demo: a reproducible example data set loaded through bylaw import (core/demo.c). */
#ifndef BL_DEMO_H
#define BL_DEMO_H

#include "host.h"

extern const char bl_demo_usage[];

/* bylaw demo [--db FILE] [--count N] [--seed N] [--policies DIR] [--scripts DIR]; argv[0] is "demo". Returns the exit status. */
int bl_demo_main(int argc, char **argv, const bl_host_config *cfg);

#endif
