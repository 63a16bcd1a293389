/* test_textdiff.c — the unified diff of policy versions (core/textdiff.c), checked against what
 * diff -u writes for the same texts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "textdiff.h"

static char *diff(const char *a, const char *b)
{
    bl_buf out = {0};
    bl_textdiff(a, b, "a", "b", &out);
    return out.data ? out.data : bl_strdupf("%s", "");
}

static void check(const char *a, const char *b, const char *want)
{
    char *got = diff(a, b);
    assert_string_equal(got, want);
    free(got);
}

static void test_same_is_empty(void **state)
{
    check("", "", "");
    check("a\nb\n", "a\nb\n", "");
}

static void test_one_line_changed(void **state)
{
    check("1\n2\n3\n4\n5\n6\n7\n8\n9\n", "1\n2\n3\n4\nfive\n6\n7\n8\n9\n",
          "--- a\n+++ b\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n");
}

static void test_hunks_apart_and_merged(void **state)
{
    /* changes 8 lines apart: two hunks; 6 apart: one */
    check("a\nb\nc\nd\ne\nf\ng\nh\ni\nj\nk\n", "A\nb\nc\nd\ne\nf\ng\nh\ni\nJ\nk\n",
          "--- a\n+++ b\n@@ -1,4 +1,4 @@\n-a\n+A\n b\n c\n d\n@@ -7,5 +7,5 @@\n g\n h\n i\n-j\n+J\n k\n");
    check("a\nb\nc\nd\ne\nf\ng\nh\n", "A\nb\nc\nd\ne\nf\nG\nh\n",
          "--- a\n+++ b\n@@ -1,8 +1,8 @@\n-a\n+A\n b\n c\n d\n e\n f\n-g\n+G\n h\n");
}

static void test_added_and_removed(void **state)
{
    check("", "x\n", "--- a\n+++ b\n@@ -0,0 +1 @@\n+x\n");
    check("x\n", "", "--- a\n+++ b\n@@ -1 +0,0 @@\n-x\n");
    check("a\nc\n", "a\nb\nc\n", "--- a\n+++ b\n@@ -1,2 +1,3 @@\n a\n+b\n c\n");
}

static void test_no_newline_at_end(void **state)
{
    check("a\nb", "a\nb\n", "--- a\n+++ b\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+b\n");
}

static void test_common_subsequence(void **state)
{
    /* a moved block: the longest common part stays, the rest is removed and added */
    check("x\ny\nz\nw\n", "y\nz\nx\nw\n", "--- a\n+++ b\n@@ -1,4 +1,4 @@\n-x\n y\n z\n+x\n w\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_is_empty),      cmocka_unit_test(test_one_line_changed),
        cmocka_unit_test(test_hunks_apart_and_merged), cmocka_unit_test(test_added_and_removed),
        cmocka_unit_test(test_no_newline_at_end),  cmocka_unit_test(test_common_subsequence),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
