/* testrun.h — `bylaw test`: runs every *_test.lua under a directory against the policies beside it. */
#ifndef BL_TESTRUN_H
#define BL_TESTRUN_H

#include "host.h"

#include <stdio.h>

/* Runs the tests (only those whose name contains `only`, unless NULL); prints each result to out, under
 * the name of its file, and returns the counts. cfg->policy_dir is ignored: each test file is run against
 * the policy directory it sits in. Returns BL_OK if the directory was read. */
int bl_test_run(const char *dir, const char *only, const bl_host_config *cfg, FILE *out, int *passed, int *failed);

#endif
