/* serve.c — `bylaw serve` (placeholder until the service lands). */
#include <stdio.h>
#include "host.h"
int bl_serve_main(int argc, char **argv, const bl_host_config *cfg);
int bl_serve_main(int argc, char **argv, const bl_host_config *cfg)
{
    fprintf(stderr, "bylaw serve: not built yet\n");
    return 2;
}
