/* testrun.h — `bylaw test`: runs *_test.lua files, each against the policies of the directory it sits in. */
#ifndef BL_TESTRUN_H
#define BL_TESTRUN_H

#include "host.h"
#include "testreport.h"

#include <stdio.h>

typedef struct bl_test_opts {
    const char *const *paths; /* test files and directories (searched for *_test.lua); none: cfg->policy_dir */
    int npaths;
    const char *only;         /* run only the tests whose name contains this (NULL: all) */
    int verbose;              /* every test with its time and output (else the failures) */
    int json;                 /* one JSON document (else text) */
    int coverage;             /* count the lines of the policy files the tests run */
    double threshold;         /* with coverage: fail when the total is below this percentage (negative: none) */
} bl_test_opts;

/* Runs the tests and reports them to out, closing with 'N passed, N failed' (or the JSON document). Returns
 * BL_OK when the paths were read (*s: the counts), BL_INVALID when a path is no test file or directory (said
 * on stderr), BL_ERR when coverage could not be counted. */
int bl_test_main(const bl_test_opts *o, const bl_host_config *cfg, FILE *out, bl_test_summary *s);

/* Runs the tests under dir (only those whose name contains `only`, unless NULL), every test reported to out
 * with its time, without the closing line; returns the counts. For `bylaw repl` and the service's check of a
 * policy set. Returns BL_OK if the directory was read. */
int bl_test_run(const char *dir, const char *only, const bl_host_config *cfg, FILE *out, int *passed, int *failed);

#endif
