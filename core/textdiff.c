/* textdiff.c — a unified diff of two texts (textdiff.h): their lines compared through the longest
 * common subsequence (a table of the middle, once the common first and last lines are set aside),
 * then written as diff -u writes it. */
#include "textdiff.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define CONTEXT 3
#define MAX_CELLS (4u << 20) /* past this many (16-bit) table cells, the middle is shown replaced whole */

typedef struct line {
    const char *s;
    size_t n; /* without its '\n' */
} line;

/* The lines of text; *last_nl: the text ends with a line end (or is empty). */
static line *split(const char *text, size_t *count, int *last_nl)
{
    size_t cap = 64, n = 0, len = strlen(text);
    line *v = bl_xmalloc(cap * sizeof *v);
    for (const char *p = text, *end = text + len; p < end;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (n == cap) {
            cap *= 2;
            line *nv = realloc(v, cap * sizeof *v);
            if (nv == NULL)
                abort();
            v = nv;
        }
        v[n++] = (line){p, (size_t)((nl ? nl : end) - p)};
        p = nl ? nl + 1 : end;
    }
    *count = n;
    *last_nl = len == 0 || text[len - 1] == '\n';
    return v;
}

static int same(const line *a, const line *b) { return a->n == b->n && memcmp(a->s, b->s, a->n) == 0; }

/* The edit script of a[0..n) into b[0..m): '=' both, '-' a only, '+' b only, in order, into ops
 * (n + m long at most); returns its length. */
static size_t script(const line *a, size_t n, const line *b, size_t m, char *ops)
{
    size_t k = 0, pre = 0, post = 0;
    while (pre < n && pre < m && same(&a[pre], &b[pre]))
        ops[k++] = '=', pre++;
    while (post < n - pre && post < m - pre && same(&a[n - 1 - post], &b[m - 1 - post]))
        post++;
    size_t rn = n - pre - post, rm = m - pre - post;
    const line *ra = a + pre, *rb = b + pre;
    if (rn && rm && (uint64_t)(rn + 1) * (rm + 1) <= MAX_CELLS && rn < 65535 && rm < 65535) {
        /* L[i][j]: the longest common subsequence of ra[i..] and rb[j..] */
        uint16_t *L = calloc((rn + 1) * (rm + 1), sizeof *L);
        if (L == NULL)
            abort();
#define AT(i, j) L[(i) * (rm + 1) + (j)]
        for (size_t i = rn; i-- > 0;)
            for (size_t j = rm; j-- > 0;)
                AT(i, j) = same(&ra[i], &rb[j]) ? (uint16_t)(AT(i + 1, j + 1) + 1)
                                                : AT(i + 1, j) >= AT(i, j + 1) ? AT(i + 1, j) : AT(i, j + 1);
        size_t i = 0, j = 0;
        while (i < rn && j < rm) {
            if (same(&ra[i], &rb[j]))
                ops[k++] = '=', i++, j++;
            else if (AT(i + 1, j) >= AT(i, j + 1))
                ops[k++] = '-', i++;
            else
                ops[k++] = '+', j++;
        }
#undef AT
        free(L);
        while (i++ < rn)
            ops[k++] = '-';
        while (j++ < rm)
            ops[k++] = '+';
    } else { /* too large to compare line by line: the middle replaced */
        for (size_t i = 0; i < rn; i++)
            ops[k++] = '-';
        for (size_t j = 0; j < rm; j++)
            ops[k++] = '+';
    }
    while (post--)
        ops[k++] = '=';
    return k;
}

static void put_line(bl_buf *out, char mark, const line *l, int missing_nl)
{
    bl_buf_add(out, &mark, 1);
    bl_buf_add(out, l->s, l->n);
    bl_buf_add(out, "\n", 1);
    if (missing_nl)
        bl_buf_adds(out, "\\ No newline at end of file\n");
}

/* "l,n" of a hunk: diff -u writes "l" alone for one line, and l - 1 for none. */
static void range(bl_buf *out, size_t start, size_t count)
{
    if (count == 1)
        bl_buf_printf(out, "%zu", start + 1);
    else
        bl_buf_printf(out, "%zu,%zu", count ? start + 1 : start, count);
}

int bl_textdiff(const char *a, const char *b, const char *label_a, const char *label_b, bl_buf *out)
{
    size_t n, m;
    int nl_a, nl_b;
    line *la = split(a, &n, &nl_a), *lb = split(b, &m, &nl_b);
    char *ops = bl_xmalloc(n + m + 2);
    size_t k = script(la, n, lb, m, ops);
    if (nl_a != nl_b && k > 0 && ops[k - 1] == '=') { /* "x" and "x\n": the last lines differ by their end */
        ops[k - 1] = '-';
        ops[k++] = '+';
    }
    /* pa[x], pb[x]: the lines of a and b before ops[x] */
    size_t *pa = bl_xmalloc((k + 1) * sizeof *pa), *pb = bl_xmalloc((k + 1) * sizeof *pb);
    pa[0] = pb[0] = 0;
    for (size_t x = 0; x < k; x++) {
        pa[x + 1] = pa[x] + (ops[x] != '+');
        pb[x + 1] = pb[x] + (ops[x] != '-');
    }
    int changed = 0;
    for (size_t i = 0; i < k;) {
        size_t c = i;
        while (c < k && ops[c] == '=')
            c++;
        if (c == k)
            break;
        if (!changed)
            bl_buf_printf(out, "--- %s\n+++ %s\n", label_a, label_b);
        changed = 1;
        size_t start = c > i + CONTEXT ? c - CONTEXT : i, last = c;
        for (size_t y = c; y < k && y - last <= 2 * CONTEXT; y++) /* changes closer than that share a hunk */
            if (ops[y] != '=')
                last = y;
        size_t end = last + 1 + CONTEXT < k ? last + 1 + CONTEXT : k;
        bl_buf_adds(out, "@@ -");
        range(out, pa[start], pa[end] - pa[start]);
        bl_buf_adds(out, " +");
        range(out, pb[start], pb[end] - pb[start]);
        bl_buf_adds(out, " @@\n");
        for (size_t x = start; x < end; x++) {
            if (ops[x] == '+')
                put_line(out, '+', &lb[pb[x]], pb[x] == m - 1 && !nl_b);
            else
                put_line(out, ops[x] == '=' ? ' ' : '-', &la[pa[x]], pa[x] == n - 1 && !nl_a);
        }
        i = end;
    }
    free(pa);
    free(pb);
    free(ops);
    free(la);
    free(lb);
    return changed;
}
