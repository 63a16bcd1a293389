/* stream.c — `bylaw eval` over a stream of JSON lines: every core evaluates, answers come out in
 * input order.
 *
 * The input is read in chunks of whole lines. Each thread, the caller's included, takes the next
 * chunk, evaluates its lines with its own Lua host into the chunk's own buffer, and hands the chunk
 * in; whichever thread finds the oldest unwritten chunk ready writes it, and any ready ones after it.
 * Reading has its own lock, held across read(2): a thread waiting for input never keeps another
 * from writing the answers it has.
 * No thread waits for its turn to write, and none idles while there is input: on two cores the two
 * threads stay busy. A chunk is what one read(2) returns (up to CHUNK bytes), cut at its last line
 * end, so a pipe or a terminal gets its answers as its lines arrive. With a store (--db) a single
 * thread evaluates and writes through the engine. */
#include "stream.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine.h"

#define CHUNK (64 * 1024) /* bytes read at once: some 800 records, a few ms of work */
#define AHEAD 4            /* chunks in flight per thread, at most: bounds memory when one is slow */

typedef struct chunk {
    long id, first_line;
    char *data; /* whole lines */
    size_t len, cap;
    bl_buf out;
    struct chunk *next; /* in the free list */
} chunk;

/* One evaluating thread. */
typedef struct worker {
    struct stream *s;
    pthread_t tid;
    bl_host_t *h;
    bl_store_t *store;
    long failures, first_line; /* first_line: of the first failure */
    char *first_error;
    char *load_error; /* the host did not load */
} worker;

typedef struct stream {
    const bl_stream_config *cfg;
    atomic_int eof, failed; /* failed: reading failed or a host did not load */
    atomic_long next_id;    /* chunks read so far */
    /* reading, under rmu (held across read(2), so nothing else is) */
    pthread_mutex_t rmu;
    size_t text_at;
    char *carry; /* the start of a line the last read cut */
    size_t carry_len;
    long lines;
    /* chunks and writing, under mu */
    pthread_mutex_t mu;
    pthread_cond_t room;
    chunk *free;  /* written chunks, their buffers kept for reuse (no page faults twice) */
    chunk **ring; /* ready chunks, at id % nring */
    long nring, write_turn;
    int writing, flush;
} stream;

static bl_host_t *open_host(const bl_host_config *cfg, char **errors);

/* Lines ---------------------------------------------------------------------------------------- */

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

/* Evaluates one JSON text; appends the answer line to out. */
static void eval_line(worker *w, const char *text, size_t len, long line, bl_buf *out)
{
    const char *type = w->s->cfg->type;
    char perr[200];
    /* without --db nothing keeps the record past this line: it may live in the thread's scratch */
    cJSON *rec = w->store ? bl_json_parse(text, len, perr, sizeof perr)
                          : bl_json_parse_scratch(text, len, perr, sizeof perr);
    char *err = NULL;
    int rc = BL_INVALID;
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
                bl_json_print(res, out);
                BL_JSON_LIT(out, "\n");
                cJSON_Delete(res);
            }
        } else if ((rc = bl_host_eval_json(w->h, type, rec, NULL, out, &err)) == BL_OK) {
            BL_JSON_LIT(out, "\n");
        }
    }
    cJSON_Delete(rec);
    bl_json_scratch_reset();
    if (bl_host_tripped(w->h) != BL_TRIP_NONE) { /* the next line must not see what the stopped call left */
        char *lerr = NULL;
        bl_host_t *fresh = open_host(w->s->cfg->host, &lerr);
        if (fresh) {
            bl_host_close(w->h);
            w->h = fresh;
        }
        free(lerr);
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

static void eval_chunk(worker *w, chunk *c)
{
    long line = c->first_line;
    char *p = c->data, *end = c->data + c->len;
    while (p < end) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        char *e = nl ? nl : end;
        size_t n = (size_t)(e - p);
        while (n > 0 && (p[n - 1] == '\r'))
            n--;
        eval_line(w, p, n, line++, &c->out);
        p = e + 1;
    }
}

/* Reading -------------------------------------------------------------------------------------- */

static long count_lines(const char *p, size_t n)
{
    long k = 0;
    for (const char *e = p + n; (p = memchr(p, '\n', (size_t)(e - p))) != NULL; p++)
        k++;
    return k;
}

static void give_back(stream *s, chunk *c)
{
    pthread_mutex_lock(&s->mu);
    c->next = s->free;
    s->free = c;
    pthread_mutex_unlock(&s->mu);
}

/* The next chunk of whole lines, or NULL at the end. */
static chunk *take(stream *s)
{
    const bl_stream_config *cfg = s->cfg;
    pthread_mutex_lock(&s->mu);
    while (!s->eof && !s->failed && s->next_id - s->write_turn >= s->nring)
        pthread_cond_wait(&s->room, &s->mu); /* far ahead of the writer: wait for room */
    chunk *c = s->free;
    if (c)
        s->free = c->next;
    pthread_mutex_unlock(&s->mu);
    if (c == NULL && (c = calloc(1, sizeof *c)) == NULL) {
        fputs("bylaw: out of memory\n", stderr);
        abort();
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
        c->data = malloc(cap + 1);
        c->cap = cap;
    }
    char *buf = c->data;
    if (buf == NULL) {
        fputs("bylaw: out of memory\n", stderr);
        abort();
    }
    if (s->carry_len)
        memcpy(buf, s->carry, s->carry_len);
    free(s->carry);
    s->carry = NULL;
    s->carry_len = 0;
    char *cut = NULL; /* the last line end */
    while (!s->eof && cut == NULL) {
        if (len == cap) { /* one line longer than a chunk: grow */
            cap *= 2;
            char *nb = realloc(buf, cap + 1);
            if (nb == NULL) {
                fputs("bylaw: out of memory\n", stderr);
                abort();
            }
            buf = c->data = nb;
            c->cap = cap;
        }
        ssize_t got;
        if (cfg->fd < 0) {
            size_t rest = strlen(cfg->text) - s->text_at;
            got = (ssize_t)(rest < cap - len ? rest : cap - len);
            memcpy(buf + len, cfg->text + s->text_at, (size_t)got);
            s->text_at += (size_t)got;
        } else {
            got = read(cfg->fd, buf + len, cap - len);
            if (got < 0 && errno == EINTR)
                continue;
            if (got < 0) {
                fprintf(stderr, "bylaw eval: cannot read the input: %s\n", strerror(errno));
                s->failed = 1;
                pthread_mutex_unlock(&s->rmu);
                give_back(s, c);
                return NULL;
            }
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
        s->carry = malloc(s->carry_len);
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
    c->first_line = s->lines + 1;
    s->lines += count_lines(buf, whole) + (buf[whole - 1] != '\n');
    pthread_mutex_unlock(&s->rmu);
    return c;
}

/* Writing -------------------------------------------------------------------------------------- */

/* Hands in an evaluated chunk; writes every ready chunk in order unless another thread is at it.
 * Takes mu. */
static void hand_in(stream *s, chunk *c)
{
    pthread_mutex_lock(&s->mu);
    s->ring[c->id % s->nring] = c;
    if (!s->writing) {
        s->writing = 1;
        chunk *w;
        while ((w = s->ring[s->write_turn % s->nring]) != NULL && w->id == s->write_turn) {
            s->ring[s->write_turn % s->nring] = NULL;
            pthread_mutex_unlock(&s->mu);
            fwrite(w->out.data, 1, w->out.len, s->cfg->out);
            if (s->flush)
                fflush(s->cfg->out);
            pthread_mutex_lock(&s->mu);
            w->next = s->free;
            s->free = w;
            s->write_turn++;
            pthread_cond_broadcast(&s->room);
        }
        s->writing = 0;
    }
    pthread_mutex_unlock(&s->mu);
}

static void work(worker *w)
{
    stream *s = w->s;
    for (;;) {
        chunk *c = take(s);
        if (c == NULL)
            return;
        eval_chunk(w, c);
        hand_in(s, c);
    }
}

/* work, then the thread's scratch given back */
static void work_all(worker *w)
{
    work(w);
    bl_json_scratch_free();
}

/* Loads a host; on failure returns NULL with the errors in *errors (caller frees). */
static bl_host_t *open_host(const bl_host_config *cfg, char **errors)
{
    bl_buf e = {0};
    bl_host_t *h = bl_host_open(cfg, &e);
    *errors = h ? NULL : bl_strdupf("bylaw: the policies in %s do not load:\n%s", cfg->policy_dir, e.data ? e.data : "");
    bl_buf_free(&e);
    return h;
}

/* A helper thread: its own host (its Lua memory stays in its thread's malloc arena), then chunks. */
static void *worker_main(void *arg)
{
    worker *w = arg;
    w->h = open_host(w->s->cfg->host, &w->load_error);
    if (w->h == NULL) {
        pthread_mutex_lock(&w->s->mu);
        w->s->failed = 1;
        pthread_cond_broadcast(&w->s->room);
        pthread_mutex_unlock(&w->s->mu);
        return NULL;
    }
    work_all(w);
    return NULL;
}

/* The caller's thread: starts the others (each loads its own host meanwhile), loads its host,
 * checks TYPE, works along, and sums up. Load errors print once. */
int bl_stream_eval(const bl_stream_config *cfg)
{
    int nt = cfg->threads > 0 ? cfg->threads : (int)sysconf(_SC_NPROCESSORS_ONLN);
    if (nt < 1 || cfg->db)
        nt = 1;
    if (nt > 64)
        nt = 64;
    stream s = {.cfg = cfg, .nring = (long)nt * AHEAD};
    pthread_mutex_init(&s.mu, NULL);
    pthread_mutex_init(&s.rmu, NULL);
    pthread_cond_init(&s.room, NULL);
    s.ring = calloc((size_t)s.nring, sizeof *s.ring);
    struct stat st;
    s.flush = cfg->fd >= 0 && (fstat(cfg->fd, &st) != 0 || !S_ISREG(st.st_mode)); /* a pipe: answer as lines come */
    worker *ws = calloc((size_t)nt, sizeof *ws);
    for (int t = 0; t < nt; t++)
        ws[t].s = &s;
    int rc = 0, started = 0;
    if (cfg->db) {
        char *err = NULL;
        if (bl_store_open(cfg->db, &ws[0].store, &err) != BL_OK) {
            fprintf(stderr, "bylaw: %s\n", err);
            free(err);
            rc = 1;
        }
    }
    for (int t = 1; rc == 0 && t < nt; t++, started++)
        if (pthread_create(&ws[t].tid, NULL, worker_main, &ws[t]) != 0)
            break; /* fewer threads: the work still gets done */
    if (rc == 0 && (ws[0].h = open_host(cfg->host, &ws[0].load_error)) == NULL) {
        pthread_mutex_lock(&s.mu);
        s.failed = 1;
        pthread_cond_broadcast(&s.room);
        pthread_mutex_unlock(&s.mu);
        rc = 1;
    }
    if (rc == 0 && ws[0].store) {
        char *err = NULL;
        cJSON *plist = bl_host_policies(ws[0].h);
        int reg = bl_engine_register_policies(ws[0].store, plist, &err);
        cJSON_Delete(plist);
        if (reg != BL_OK) {
            fprintf(stderr, "bylaw: %s\n", err);
            free(err);
            rc = 1;
        }
    }
    if (rc == 0) {
        if (!bl_host_knows_type(ws[0].h, cfg->type))
            fprintf(stderr, "bylaw: warning: no policy is bound to type '%s'; records pass through unchanged\n",
                    cfg->type);
        work_all(&ws[0]);
    }
    for (int t = 1; t <= started; t++)
        pthread_join(ws[t].tid, NULL);
    fflush(cfg->out);
    if (s.failed)
        rc = 1;
    for (int t = 0; t < nt; t++) /* the caller's errors, else the first helper's: once */
        if (ws[t].load_error) {
            fputs(ws[t].load_error, stderr);
            break;
        }

    long failures = 0, first_line = 0;
    const char *first = NULL;
    for (int t = 0; t < nt; t++) {
        failures += ws[t].failures;
        if (ws[t].first_error && (first == NULL || ws[t].first_line < first_line))
            first = ws[t].first_error, first_line = ws[t].first_line;
    }
    if (failures) {
        fprintf(stderr, "bylaw eval: %ld of %ld records failed (first: line %ld: %s)\n", failures, s.lines,
                first_line, first);
        rc = 1;
    }
    for (int t = 0; t < nt; t++) {
        free(ws[t].first_error);
        free(ws[t].load_error);
        bl_host_close(ws[t].h);
        bl_store_close(ws[t].store);
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
    free(s.ring);
    free(s.carry);
    free(ws);
    pthread_mutex_destroy(&s.mu);
    pthread_mutex_destroy(&s.rmu);
    pthread_cond_destroy(&s.room);
    return rc;
}
