/* testreport.h — the edge of `bylaw test`: results shown as text or as one JSON document (testreport.c). */
#ifndef BL_TESTREPORT_H
#define BL_TESTREPORT_H

#include <stdio.h>

#include "json.h"

/* One test's result. message: why it failed (NULL when ok); output: what it printed ("" for nothing). */
typedef struct bl_test_case {
    const char *name;
    int line, ok;
    double ms;
    const char *message, *output;
} bl_test_case;

/* The counts of a run. threshold: the coverage asked for (--threshold), negative when none. */
typedef struct bl_test_summary {
    int passed, failed;
    double ms;
    double threshold;
    int below_threshold;
} bl_test_summary;

typedef struct bl_reporter bl_reporter;

/* verbose: every test with its time and output (else only the failures, with theirs); json: one document,
 * written by bl_report_end. */
bl_reporter *bl_reporter_new(FILE *out, int verbose, int json);
void bl_reporter_free(bl_reporter *r);
void bl_report_file(bl_reporter *r, const char *file);          /* a test file begins */
void bl_report_case(bl_reporter *r, const bl_test_case *t);
void bl_report_file_error(bl_reporter *r, const char *message, const char *output); /* the file could not run */
void bl_report_file_output(bl_reporter *r, const char *output); /* what its top level printed */
/* The coverage (bl_cov_report's, or NULL) and the closing line 'N passed, N failed' (text), or the document. */
void bl_report_end(bl_reporter *r, const bl_test_summary *s, const cJSON *coverage);

#endif
