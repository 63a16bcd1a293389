/* stream.c — a pass over lines on every core (bl_lines_run), and `bylaw eval` over a stream of JSON
 * lines on it.
 *
 * The source is read in chunks of whole lines. Each thread, the caller's included, takes the next
 * chunk, handles its lines with its own state into the chunk's own buffer, and hands the chunk in;
 * whichever thread finds the oldest unwritten chunk ready passes it to the sink, and any ready ones
 * after it. Reading has its own lock, held across the source's read: a thread waiting for input never
 * keeps another from handing on the answers it has.
 * No thread waits for its turn to write, and none idles while there is input: on two cores the two
 * threads stay busy. A chunk is what one read returns (up to CHUNK bytes), cut at its last line end,
 * so a pipe or a terminal gets its answers as its lines arrive. */
#include "stream.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine.h"
#include "i18n.h"

#define CHUNK (64 * 1024) /* bytes read at once: some 800 records, a few ms of work */
#define AHEAD 4            /* chunks in flight per thread, at most: bounds memory when one is slow */

typedef struct chunk {
    long id, first_line, last_line;
    char *data; /* whole lines */
    size_t len, cap;
    bl_buf out;
    struct chunk *next; /* in the free list */
} chunk;

typedef struct pass pass;

/* One thread. */
typedef struct runner {
    pass *s;
    pthread_t tid;
    void *state;
    char *open_error;
} runner;

struct pass {
    const bl_lines *l;
    atomic_int eof, failed; /* failed: reading failed, a state could not be made, or the sink stopped */
    atomic_long next_id;    /* chunks read so far */
    /* reading, under rmu (held across the source's read, so nothing else is) */
    pthread_mutex_t rmu;
    char *carry; /* the start of a line the last read cut */
    size_t carry_len;
    long lines;
    /* chunks and handing on, under mu */
    pthread_mutex_t mu;
    pthread_cond_t room;
    chunk *free;  /* handed-on chunks, their buffers kept for reuse (no page faults twice) */
    chunk **ring; /* ready chunks, at id % nring */
    long nring, write_turn;
    int writing;
};

static void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n);
    if (q == NULL) {
        fputs("bylaw: out of memory\n", stderr);
        abort();
    }
    return q;
}

static void stop(pass *s)
{
    pthread_mutex_lock(&s->mu);
    s->failed = 1;
    pthread_cond_broadcast(&s->room);
    pthread_mutex_unlock(&s->mu);
}

/* Reading -------------------------------------------------------------------------------------- */

static long count_lines(const char *p, size_t n)
{
    long k = 0;
    for (const char *e = p + n; (p = memchr(p, '\n', (size_t)(e - p))) != NULL; p++)
        k++;
    return k;
}

static void give_back(pass *s, chunk *c)
{
    pthread_mutex_lock(&s->mu);
    c->next = s->free;
    s->free = c;
    pthread_mutex_unlock(&s->mu);
}

/* The next chunk of whole lines, or NULL at the end. */
static chunk *take(pass *s)
{
    const bl_lines *l = s->l;
    pthread_mutex_lock(&s->mu);
    while (!s->eof && !s->failed && s->next_id - s->write_turn >= s->nring)
        pthread_cond_wait(&s->room, &s->mu); /* far ahead of the sink: wait for room */
    chunk *c = s->free;
    if (c)
        s->free = c->next;
    pthread_mutex_unlock(&s->mu);
    if (c == NULL) {
        c = xrealloc(NULL, sizeof *c);
        memset(c, 0, sizeof *c);
    }

    pthread_mutex_lock(&s->rmu);
    if (s->eof || s->failed) {
        pthread_mutex_unlock(&s->rmu);
        give_back(s, c);
        return NULL;
    }
    size_t len = s->carry_len, cap = s->carry_len + CHUNK;
    if (c->cap < cap) {
        free(c->data);
        c->data = xrealloc(NULL, cap + 1);
        c->cap = cap;
    }
    char *buf = c->data;
    if (s->carry_len)
        memcpy(buf, s->carry, s->carry_len);
    free(s->carry);
    s->carry = NULL;
    s->carry_len = 0;
    char *cut = NULL; /* the last line end */
    while (!s->eof && cut == NULL) {
        if (len == cap) { /* one line longer than a chunk: grow */
            cap *= 2;
            buf = c->data = xrealloc(buf, cap + 1);
            c->cap = cap;
        }
        long got = l->read(l->ud, buf + len, cap - len);
        if (got < 0) {
            pthread_mutex_unlock(&s->rmu);
            give_back(s, c);
            stop(s);
            return NULL;
        }
        size_t before = len;
        len += (size_t)got;
        if (got == 0)
            s->eof = 1;
        for (size_t i = len; i > before; i--)
            if (buf[i - 1] == '\n') {
                cut = buf + i - 1;
                break;
            }
    }
    size_t whole = cut ? (size_t)(cut - buf) + 1 : len; /* at the end, the last line needs no '\n' */
    if (whole < len) {
        s->carry_len = len - whole;
        s->carry = xrealloc(NULL, s->carry_len);
        memcpy(s->carry, buf + whole, s->carry_len);
    }
    if (whole == 0) {
        pthread_mutex_unlock(&s->rmu);
        give_back(s, c);
        return NULL;
    }
    c->id = s->next_id++;
    c->len = whole;
    c->out.len = 0;
    c->first_line = s->lines + (l->first_line ? l->first_line : 1);
    s->lines += count_lines(buf, whole) + (buf[whole - 1] != '\n');
    c->last_line = s->lines + (l->first_line ? l->first_line : 1) - 1;
    pthread_mutex_unlock(&s->rmu);
    return c;
}

long bl_fd_read(void *ud, char *buf, size_t room)
{
    bl_fd_source *src = ud;
    for (;;) {
        ssize_t got = read(src->fd, buf, room);
        if (got >= 0)
            return (long)got;
        if (errno != EINTR) {
            fprintf(stderr, "bylaw: cannot read %s: %s\n", src->what ? src->what : "the input", strerror(errno));
            return -1;
        }
    }
}

/* Handing on ----------------------------------------------------------------------------------- */

/* Hands in a chunk; passes every ready chunk to the sink in order unless another thread is at it.
 * Takes mu. */
static void hand_in(pass *s, chunk *c)
{
    const bl_lines *l = s->l;
    pthread_mutex_lock(&s->mu);
    s->ring[c->id % s->nring] = c;
    if (!s->writing) {
        s->writing = 1;
        chunk *w;
        while ((w = s->ring[s->write_turn % s->nring]) != NULL && w->id == s->write_turn) {
            s->ring[s->write_turn % s->nring] = NULL;
            pthread_mutex_unlock(&s->mu);
            int stopped = l->sink && !s->failed &&
                          l->sink(l->ud, w->out.data ? w->out.data : "", w->out.len, w->first_line, w->last_line);
            pthread_mutex_lock(&s->mu);
            if (stopped)
                s->failed = 1;
            w->next = s->free;
            s->free = w;
            s->write_turn++;
            pthread_cond_broadcast(&s->room);
        }
        s->writing = 0;
    }
    pthread_mutex_unlock(&s->mu);
}

static void handle(runner *r, chunk *c)
{
    const bl_lines *l = r->s->l;
    long line = c->first_line;
    char *p = c->data, *end = c->data + c->len;
    while (p < end) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        char *e = nl ? nl : end;
        size_t n = (size_t)(e - p);
        while (n > 0 && (p[n - 1] == '\r'))
            n--;
        l->line(r->state, p, n, line++, &c->out);
        p = e + 1;
    }
}

/* Takes and handles chunks to the end; then the thread's JSON scratch block goes back. */
static void work(runner *r)
{
    for (;;) {
        chunk *c = take(r->s);
        if (c == NULL)
            break;
        handle(r, c);
        hand_in(r->s, c);
    }
    bl_json_scratch_free();
}

static int open_state(runner *r)
{
    const bl_lines *l = r->s->l;
    r->state = l->open(l->ud, &r->open_error);
    if (r->state == NULL) {
        stop(r->s);
        return -1;
    }
    return 0;
}

/* A helper thread: its own state (a Lua host's memory stays in its thread's malloc arena), then chunks. */
static void *runner_main(void *arg)
{
    runner *r = arg;
    if (open_state(r) == 0)
        work(r);
    return NULL;
}

int bl_lines_run(const bl_lines *l, long *lines, char **err)
{
    int nt = l->threads > 0 ? l->threads : (int)sysconf(_SC_NPROCESSORS_ONLN);
    if (nt < 1)
        nt = 1;
    if (nt > 64)
        nt = 64;
    pass s = {.l = l, .nring = (long)nt * AHEAD};
    pthread_mutex_init(&s.mu, NULL);
    pthread_mutex_init(&s.rmu, NULL);
    pthread_cond_init(&s.room, NULL);
    s.ring = calloc((size_t)s.nring, sizeof *s.ring);
    runner *rs = calloc((size_t)nt, sizeof *rs);
    for (int t = 0; t < nt; t++)
        rs[t].s = &s;
    int started = 0;
    for (int t = 1; t < nt; t++, started++)
        if (pthread_create(&rs[t].tid, NULL, runner_main, &rs[t]) != 0)
            break; /* fewer threads: the work still gets done */
    if (open_state(&rs[0]) == 0) /* the caller's thread loads its own meanwhile, then works along */
        work(&rs[0]);
    for (int t = 1; t <= started; t++)
        pthread_join(rs[t].tid, NULL);
    if (err)
        *err = NULL;
    for (int t = 0; t < nt; t++) {
        if (rs[t].state)
            l->close(l->ud, rs[t].state);
        if (rs[t].open_error && err && *err == NULL)
            *err = rs[t].open_error;
        else
            free(rs[t].open_error);
    }
    for (long i = 0; i < s.nring; i++)
        if (s.ring[i]) { /* left by a failure */
            s.ring[i]->next = s.free;
            s.free = s.ring[i];
        }
    while (s.free) {
        chunk *c = s.free;
        s.free = c->next;
        bl_buf_free(&c->out);
        free(c->data);
        free(c);
    }
    if (lines)
        *lines = s.lines;
    free(s.ring);
    free(s.carry);
    free(rs);
    pthread_mutex_destroy(&s.mu);
    pthread_mutex_destroy(&s.rmu);
    pthread_cond_destroy(&s.room);
    return s.failed ? 1 : 0;
}

/* bylaw eval ----------------------------------------------------------------------------------- */

typedef struct eval_run {
    const bl_stream_config *cfg;
    bl_fd_source fd;
    size_t text_at;
    atomic_int warned;
    long failures, first_line; /* first_line: of the first failure */
    char *first_error;
} eval_run;

/* One evaluating thread. */
typedef struct evaluator {
    eval_run *run;
    bl_host_t *h;
    bl_store_t *store;
    long failures, first_line;
    char *first_error;
} evaluator;

bl_host_t *bl_stream_open_host(const bl_host_config *cfg, char **errors)
{
    bl_buf e = {0};
    bl_host_t *h = bl_host_open(cfg, &e);
    *errors = h ? NULL : bl_strdupf("bylaw: the policies in %s do not load:\n%s", cfg->policy_dir, e.data ? e.data : "");
    bl_buf_free(&e);
    return h;
}

static void error_line(bl_buf *out, long line, const char *kind, const char *msg)
{
    BL_JSON_LIT(out, "{\"line\":");
    bl_json_put_int(out, line);
    BL_JSON_LIT(out, ",\"error\":");
    bl_json_put_str(out, msg, strlen(msg));
    BL_JSON_LIT(out, ",\"kind\":");
    bl_json_put_str(out, kind, strlen(kind));
    BL_JSON_LIT(out, "}\n");
}

static const char *kind_of(int rc) { return rc == BL_INVALID ? "invalid" : rc == BL_CONFLICT ? "conflict" : "policy"; }

/* The answer written to out from at, shown in lang (--lang): parsed, its decisions' texts replaced. */
static void localize(bl_buf *out, size_t at, const char *lang)
{
    if (lang == NULL || strcmp(lang, "en") == 0)
        return;
    char perr[200];
    cJSON *res = bl_json_parse(out->data + at, out->len - at, perr, sizeof perr);
    if (res == NULL)
        return;
    bl_i18n_decisions(res, lang);
    out->len = at;
    bl_json_print(res, out);
    cJSON_Delete(res);
}

/* Evaluates one JSON text; appends the answer line to out. */
static void eval_line(void *state, const char *text, size_t len, long line, bl_buf *out)
{
    evaluator *w = state;
    const char *type = w->run->cfg->type;
    char perr[200];
    /* without --db nothing keeps the record past this line: it may live in the thread's scratch */
    cJSON *rec = w->store ? bl_json_parse(text, len, perr, sizeof perr)
                          : bl_json_parse_scratch(text, len, perr, sizeof perr);
    char *err = NULL;
    int rc = BL_INVALID;
    size_t at = out->len;
    if (rec == NULL) {
        err = bl_strdupf("%s", perr);
    } else if (!cJSON_IsObject(rec)) {
        err = bl_strdupf("a record must be a JSON object, got %s", cJSON_IsArray(rec) ? "an array" : "a scalar");
    } else {
        cJSON *t = cJSON_GetObjectItemCaseSensitive(rec, "type");
        if (t && (!cJSON_IsString(t) || strcmp(t->valuestring, type) != 0)) {
            err = bl_strdupf("the record says \"type\": %s but TYPE is '%s'",
                             cJSON_IsString(t) ? t->valuestring : "(not a string)", type);
        } else if (w->store) {
            cJSON *res = NULL;
            const char *id = bl_json_str(rec, "id");
            if (id == NULL || *id == '\0')
                err = bl_strdupf("field 'id' must be a non-empty string to store the record with --db");
            else
                rc = bl_engine_put(w->h, w->store, type, id, rec, -1, "write", &res, &err);
            if (rc == BL_OK) {
                bl_i18n_decisions(res, w->run->cfg->lang);
                bl_json_print(res, out);
                BL_JSON_LIT(out, "\n");
                cJSON_Delete(res);
            }
        } else if ((rc = bl_host_eval_json(w->h, type, rec, NULL, out, &err)) == BL_OK) {
            localize(out, at, w->run->cfg->lang);
            BL_JSON_LIT(out, "\n");
        }
    }
    cJSON_Delete(rec);
    bl_json_scratch_reset();
    if (bl_host_tripped(w->h) != BL_TRIP_NONE) { /* the next line must not see what the stopped call left */
        char *lerr = NULL;
        bl_host_t *fresh = bl_stream_open_host(w->run->cfg->host, &lerr);
        if (fresh) {
            bl_host_close(w->h);
            w->h = fresh;
        }
        free(lerr);
    }
    const char *zh = rc == BL_INVALID && err ? bl_host_invalid_in(w->h, w->run->cfg->lang) : NULL;
    if (zh) { /* --lang zh-CN: the field errors in Chinese */
        free(err);
        err = bl_strdupf("%s", zh);
    }
    if (err) {
        error_line(out, line, kind_of(rc), err);
        if (w->failures++ == 0) {
            w->first_error = err;
            w->first_line = line;
        } else {
            free(err);
        }
    }
}

static void *eval_open(void *ud, char **err)
{
    eval_run *run = ud;
    const bl_stream_config *cfg = run->cfg;
    evaluator *w = calloc(1, sizeof *w);
    w->run = run;
    if (cfg->db && bl_store_open(cfg->db, &w->store, err) != BL_OK) {
        char *e = *err;
        *err = bl_strdupf("bylaw: %s\n", e);
        free(e);
        free(w);
        return NULL;
    }
    if ((w->h = bl_stream_open_host(cfg->host, err)) == NULL) {
        bl_store_close(w->store);
        free(w);
        return NULL;
    }
    if (w->store) {
        char *rerr = NULL;
        cJSON *plist = bl_host_policies(w->h);
        int reg = bl_engine_register_policies(w->store, plist, &rerr);
        cJSON_Delete(plist);
        if (reg != BL_OK) {
            *err = bl_strdupf("bylaw: %s\n", rerr);
            free(rerr);
            bl_host_close(w->h);
            bl_store_close(w->store);
            free(w);
            return NULL;
        }
    }
    if (atomic_exchange(&run->warned, 1) == 0 && !bl_host_knows_type(w->h, cfg->type))
        fprintf(stderr, "bylaw: warning: no policy is bound to type '%s'; records pass through unchanged\n",
                cfg->type);
    return w;
}

static void eval_close(void *ud, void *state)
{
    eval_run *run = ud;
    evaluator *w = state;
    run->failures += w->failures;
    if (w->first_error && (run->first_error == NULL || w->first_line < run->first_line)) {
        free(run->first_error);
        run->first_error = w->first_error, run->first_line = w->first_line;
    } else {
        free(w->first_error);
    }
    bl_host_close(w->h);
    bl_store_close(w->store);
    free(w);
}

static int eval_sink(void *ud, const char *out, size_t len, long first, long last)
{
    eval_run *run = ud;
    fwrite(out, 1, len, run->cfg->out);
    return 0;
}

static int eval_sink_flush(void *ud, const char *out, size_t len, long first, long last)
{
    eval_sink(ud, out, len, first, last);
    fflush(((eval_run *)ud)->cfg->out);
    return 0;
}

/* The one record of the command line. */
static long text_read(void *ud, char *buf, size_t room)
{
    eval_run *run = ud;
    size_t rest = strlen(run->cfg->text) - run->text_at;
    size_t n = rest < room ? rest : room;
    memcpy(buf, run->cfg->text + run->text_at, n);
    run->text_at += n;
    return (long)n;
}

static long eval_read(void *ud, char *buf, size_t room)
{
    return bl_fd_read(&((eval_run *)ud)->fd, buf, room);
}

int bl_stream_eval(const bl_stream_config *cfg)
{
    eval_run run = {.cfg = cfg, .fd = {.fd = cfg->fd, .what = "the input"}};
    struct stat st; /* a pipe: answer as lines come */
    int flush = cfg->fd >= 0 && (fstat(cfg->fd, &st) != 0 || !S_ISREG(st.st_mode));
    bl_lines l = {
        .threads = cfg->db ? 1 : cfg->threads, /* with a store a single thread evaluates and writes */
        .ud = &run, .read = cfg->fd < 0 ? text_read : eval_read, .open = eval_open, .close = eval_close,
        .line = eval_line, .sink = flush ? eval_sink_flush : eval_sink,
    };
    long lines = 0;
    char *err = NULL;
    int rc = bl_lines_run(&l, &lines, &err);
    fflush(cfg->out);
    if (err) { /* the policies do not load (once, whichever thread said so first) */
        fputs(err, stderr);
        free(err);
    }
    if (run.failures) {
        fprintf(stderr, "bylaw eval: %ld of %ld records failed (first: line %ld: %s)\n", run.failures, lines,
                run.first_line, run.first_error);
        rc = 1;
    }
    free(run.first_error);
    return rc;
}
