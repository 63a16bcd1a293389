/* repl_input.c — the lines `bylaw repl` reads: libedit on a terminal (history, Tab, Ctrl-C), else plain. */
#include <errno.h>
#include <histedit.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "repl.h"

#define HISTORY_SIZE 1000
#define LIST_MAX 120 /* candidates listed under the line; the rest are counted */
#define LIST_WIDTH 80

struct bl_input {
    EditLine *el; /* NULL: not a terminal */
    History *hist;
    char *history_file;
    const char *prompt;
    int cancelled;
    bl_complete_fn complete;
    void *ud;
    char *line; /* the line returned last */
    size_t cap;
};

static bl_input *input_of(EditLine *el)
{
    void *in = NULL;
    el_get(el, EL_CLIENTDATA, &in);
    return in;
}

static char *prompt_of(EditLine *el) { return (char *)input_of(el)->prompt; }

/* Ctrl-C (the terminal sends it as a key: libedit runs with -isig): drop what was typed. */
static unsigned char on_cancel(EditLine *el, int ch)
{
    (void)ch;
    input_of(el)->cancelled = 1;
    return CC_NEWLINE;
}

static void free_cands(char **c, int n)
{
    for (int i = 0; i < n; i++)
        free(c[i]);
    free(c);
}

/* Prints the candidates in columns under the line being edited. */
static void list_cands(char **c, int n)
{
    size_t w = 0;
    for (int i = 0; i < n && i < LIST_MAX; i++)
        if (strlen(c[i]) > w)
            w = strlen(c[i]);
    int cols = (int)(LIST_WIDTH / (w + 2));
    if (cols < 1)
        cols = 1;
    fputc('\n', stdout);
    for (int i = 0; i < n && i < LIST_MAX; i++)
        fprintf(stdout, "%-*s%s", (int)(w + 2), c[i], (i + 1) % cols == 0 || i + 1 == n || i + 1 == LIST_MAX ? "\n" : "");
    if (n > LIST_MAX)
        fprintf(stdout, "... and %d more\n", n - LIST_MAX);
    fflush(stdout);
}

/* Tab: completes the word before the cursor as far as every candidate agrees; lists them when that
 * adds nothing and there are several. */
static unsigned char on_tab(EditLine *el, int ch)
{
    (void)ch;
    bl_input *in = input_of(el);
    const LineInfo *li = el_line(el);
    size_t n = (size_t)(li->cursor - li->buffer);
    char *before = bl_strdupf("%.*s", (int)n, li->buffer);
    size_t start = n;
    char **c = NULL;
    int k = in->complete ? in->complete(in->ud, before, &start, &c) : 0;
    free(before);
    if (k <= 0 || start > n) {
        free_cands(c, k > 0 ? k : 0);
        return CC_ERROR;
    }
    size_t have = n - start, common = strlen(c[0]);
    for (int i = 1; i < k; i++) {
        size_t j = 0;
        while (j < common && c[i][j] == c[0][j])
            j++;
        common = j;
    }
    unsigned char rc = CC_REFRESH;
    if (common > have) {
        char *add = bl_strdupf("%.*s", (int)(common - have), c[0] + have);
        el_insertstr(el, add);
        free(add);
    } else if (k > 1) {
        list_cands(c, k);
        rc = CC_REDISPLAY;
    }
    free_cands(c, k);
    return rc;
}

bl_input *bl_input_open(int interactive, const char *history_file, bl_complete_fn complete, void *ud)
{
    bl_input *in = calloc(1, sizeof *in);
    in->complete = complete;
    in->ud = ud;
    if (!interactive)
        return in;
    setlocale(LC_CTYPE, ""); /* libedit reads UTF-8 as characters only under a UTF-8 locale */
    in->el = el_init("bylaw", stdin, stdout, stderr);
    if (in->el == NULL)
        return in; /* plain lines, then */
    in->hist = history_init();
    HistEvent ev;
    history(in->hist, &ev, H_SETSIZE, HISTORY_SIZE);
    history(in->hist, &ev, H_SETUNIQUE, 1);
    if (history_file) {
        in->history_file = bl_strdupf("%s", history_file);
        history(in->hist, &ev, H_LOAD, in->history_file); /* none yet: no matter */
    }
    el_set(in->el, EL_CLIENTDATA, in);
    el_set(in->el, EL_EDITOR, "emacs");
    el_set(in->el, EL_SIGNAL, 1);
    el_set(in->el, EL_HIST, history, in->hist);
    el_set(in->el, EL_PROMPT, prompt_of);
    el_source(in->el, NULL); /* ~/.editrc, if any */
    el_set(in->el, EL_SETTY, "-d", "-isig", NULL); /* Ctrl-C comes as a key while a line is edited */
    /* the wide-character calls: el_set's EL_ADDFN copies its strings and never frees them */
    el_wset(in->el, EL_ADDFN, L"bylaw-cancel", L"drop the line being typed", on_cancel);
    el_wset(in->el, EL_BIND, L"^C", L"bylaw-cancel", NULL);
    el_wset(in->el, EL_ADDFN, L"bylaw-complete", L"complete the word before the cursor", on_tab);
    el_wset(in->el, EL_BIND, L"^I", L"bylaw-complete", NULL);
    return in;
}

/* Copies n bytes of s (libedit's) as the line to return, without the trailing newline. */
static const char *keep_line(bl_input *in, const char *s, size_t n)
{
    while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r'))
        n--;
    if (n + 1 > in->cap) {
        in->cap = n + 1;
        free(in->line);
        in->line = bl_xmalloc(in->cap);
    }
    memcpy(in->line, s, n);
    in->line[n] = '\0';
    return in->line;
}

const char *bl_input_read(bl_input *in, const char *prompt, int *cancelled)
{
    *cancelled = 0;
    if (in->el == NULL) {
        ssize_t n = getline(&in->line, &in->cap, stdin);
        if (n < 0)
            return NULL;
        while (n > 0 && (in->line[n - 1] == '\n' || in->line[n - 1] == '\r'))
            in->line[--n] = '\0';
        return in->line;
    }
    in->prompt = prompt;
    in->cancelled = 0;
    int count = 0;
    const char *s = el_gets(in->el, &count);
    if (in->cancelled || (s == NULL && count < 0 && errno == EINTR)) {
        fputs("^C\n", stdout);
        fflush(stdout);
        *cancelled = 1;
        return keep_line(in, "", 0);
    }
    if (s == NULL || count == 0)
        return NULL;
    return keep_line(in, s, strlen(s));
}

void bl_input_remember(bl_input *in, const char *entry)
{
    if (in->hist == NULL || entry[0] == '\0')
        return;
    HistEvent ev;
    history(in->hist, &ev, H_ENTER, entry);
    if (in->history_file) /* at once: a session ended by the watchdog keeps its history */
        history(in->hist, &ev, H_SAVE, in->history_file);
}

void bl_input_close(bl_input *in)
{
    if (in == NULL)
        return;
    if (in->el)
        el_end(in->el);
    if (in->hist)
        history_end(in->hist);
    free(in->history_file);
    free(in->line);
    free(in);
}
