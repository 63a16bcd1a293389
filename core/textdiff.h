/* textdiff.h — a unified diff of two texts, line by line, as `diff -u` writes it: "--- label_a",
 * "+++ label_b", then hunks "@@ -l,n +l,n @@" with three lines of context. Lines are matched through
 * their longest common subsequence; past some four million pairs of lines to compare (two texts of
 * 2,000 different lines each), the differing middle is shown removed and added whole. */
#ifndef BL_TEXTDIFF_H
#define BL_TEXTDIFF_H

#include "common.h"

/* Appends the diff of a into b to out (nothing when they are the same); returns whether they differ. */
int bl_textdiff(const char *a, const char *b, const char *label_a, const char *label_b, bl_buf *out);

#endif
