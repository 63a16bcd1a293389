/* import.c — bylaw import: records of one type from JSON lines or CSV, evaluated on every core by the
 * pass of core/stream.c (each thread with its own host and a read-only connection for the policies'
 * reads), then committed in input order with their decisions by bl_engine_commit, as a write through
 * the service is, by one committing thread (SQLite has one writer), one transaction per batch of BATCH
 * records. A line that fails is reported with its
 * number and left out; the other records of its batch are stored. A batch the database cannot commit
 * is rolled back whole, and the import stops there, saying which lines were not stored. */
#include "datacmd.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "engine.h"
#include "progress.h"
#include "reads.h"
#include "store.h"
#include "stream.h"

#define BATCH 50000       /* records per transaction */
#define BLOCK (4 << 20)   /* bytes of a block evaluations are parsed into */
#define QUEUE 8           /* chunks evaluated and not yet stored, at most */
#define BLOCK_ROOM 65536  /* a block with less room left is sealed: the next evaluation starts another */
#define FAILURES_SHOWN 20 /* failing lines listed; the others are counted */

/* Evaluations are parsed on the evaluating threads into blocks; the committing thread stores them,
 * deletes them and gives each block back once it holds no evaluation still to store and no thread
 * parses into it any more (sealed). */
typedef struct block {
    bl_json_block mem;
    int pending, sealed;
    struct block *free_next, *all_next;
} block;

typedef struct import {
    const bl_data_opts *o;
    pthread_mutex_t blocks_mu;
    block *free_blocks, *all_blocks;
    bl_json_block adds;   /* what committing adds to an evaluation (the committing thread's) */
    pthread_mutex_t q_mu; /* the committing thread's queue */
    pthread_cond_t q_more, q_room;
    struct queued *q_head, **q_tail;
    int q_n, q_end, q_stopped;
    long last_line;
    bl_fd_source src;
    cJSON *columns;       /* CSV: the header's field names; NULL: JSON lines */
    bl_store_t *store;    /* NULL with --dry-run */
    int batch_open, batch_n;
    long batch_first;     /* the first line of the open batch */
    int64_t stored, failed, lines_total;
    bl_buf failures;      /* the first FAILURES_SHOWN, one per line */
    char *stop;           /* why the import stopped, or NULL */
    bl_progress bar;
    int64_t done;
} import;

typedef struct importer {
    import *im;
    bl_host_t *h;
    bl_store_t *reads;
    bl_store_reader reader;
    bl_buf json;   /* a CSV line as JSON text */
    bl_buf answer; /* an evaluation as JSON text */
    block *cur;    /* the block evaluations are parsed into */
} importer;

static block *block_take(import *im)
{
    pthread_mutex_lock(&im->blocks_mu);
    block *b = im->free_blocks;
    if (b) {
        im->free_blocks = b->free_next;
    } else {
        b = calloc(1, sizeof *b);
        bl_json_block_init(&b->mem, BLOCK);
        b->all_next = im->all_blocks; /* every block, to be freed at the end */
        im->all_blocks = b;
    }
    pthread_mutex_unlock(&im->blocks_mu);
    b->mem.next = b->mem.base;
    b->mem.spilled = 0;
    b->pending = b->sealed = 0;
    return b;
}

/* Under blocks_mu: the block goes back once no evaluation in it is still to store and none is parsed
 * into it any more. */
static void block_check(import *im, block *b)
{
    if (b->sealed && b->pending == 0) {
        b->free_next = im->free_blocks;
        im->free_blocks = b;
    }
}

static void block_seal(import *im, block *b)
{
    if (b == NULL)
        return;
    pthread_mutex_lock(&im->blocks_mu);
    b->sealed = 1;
    block_check(im, b);
    pthread_mutex_unlock(&im->blocks_mu);
}

/* The committing thread is done with an evaluation of b. */
static void block_release(import *im, block *b)
{
    pthread_mutex_lock(&im->blocks_mu);
    b->pending--;
    block_check(im, b);
    pthread_mutex_unlock(&im->blocks_mu);
}

/* CSV ------------------------------------------------------------------------------------------------ */

/* The values of one CSV line (RFC 4180 quoting, no line breaks inside a value) into *vals (a JSON array:
 * each [text, quoted]); BL_INVALID with *err. */
static int csv_split(const char *s, size_t n, cJSON **vals, char **err)
{
    cJSON *a = cJSON_CreateArray();
    bl_buf v = {0};
    size_t i = 0;
    for (;;) {
        v.len = 0;
        bl_buf_add(&v, "", 0);
        int quoted = i < n && s[i] == '"';
        if (quoted) {
            for (i++;; i++) {
                if (i >= n) {
                    *err = bl_strdupf("a quoted value runs past the end of the line (values with line breaks "
                                      "are not read from CSV: use JSON lines)");
                    bl_buf_free(&v);
                    cJSON_Delete(a);
                    return BL_INVALID;
                }
                if (s[i] == '"' && i + 1 < n && s[i + 1] == '"')
                    bl_buf_add(&v, "\"", 1), i++;
                else if (s[i] == '"')
                    break;
                else
                    bl_buf_add(&v, s + i, 1);
            }
            i++;
            if (i < n && s[i] != ',') {
                *err = bl_strdupf("after the quoted value ending at byte %zu comes '%c', not a comma", i, s[i]);
                bl_buf_free(&v);
                cJSON_Delete(a);
                return BL_INVALID;
            }
        } else {
            size_t start = i;
            while (i < n && s[i] != ',')
                i++;
            bl_buf_add(&v, s + start, i - start);
        }
        cJSON *pair = cJSON_CreateArray();
        cJSON_AddItemToArray(pair, cJSON_CreateString(v.data));
        cJSON_AddItemToArray(pair, cJSON_CreateBool(quoted));
        cJSON_AddItemToArray(a, pair);
        if (i >= n)
            break;
        i++; /* the comma */
    }
    bl_buf_free(&v);
    *vals = a;
    return BL_OK;
}

/* Whether s is one JSON number exactly (so that "01234" stays text, as the API's query values do). */
static int json_number(const char *s)
{
    const char *p = s;
    if (*p == '-')
        p++;
    if (*p == '0')
        p++;
    else if (*p >= '1' && *p <= '9')
        while (*p >= '0' && *p <= '9')
            p++;
    else
        return 0;
    if (*p == '.') {
        if (*++p < '0' || *p > '9')
            return 0;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    if (*p == 'e' || *p == 'E') {
        if (*++p == '+' || *p == '-')
            p++;
        if (*p < '0' || *p > '9')
            return 0;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    return *p == '\0';
}

/* A CSV line as the JSON text of a record, into out; BL_INVALID with *err. */
static int csv_record(const cJSON *columns, const char *s, size_t n, bl_buf *out, char **err)
{
    cJSON *vals = NULL;
    if (csv_split(s, n, &vals, err) != BL_OK)
        return BL_INVALID;
    int nc = cJSON_GetArraySize(columns), nv = cJSON_GetArraySize(vals);
    if (nv != nc) {
        *err = bl_strdupf("%d value%s for %d column%s (the header names %d)", nv, nv == 1 ? "" : "s", nc,
                          nc == 1 ? "" : "s", nc);
        cJSON_Delete(vals);
        return BL_INVALID;
    }
    out->len = 0;
    BL_JSON_LIT(out, "{");
    int first = 1;
    const cJSON *col = columns->child, *pair = vals->child;
    for (; col && pair; col = col->next, pair = pair->next) {
        const char *v = pair->child->valuestring;
        int quoted = cJSON_IsTrue(pair->child->next);
        if (!quoted && v[0] == '\0')
            continue; /* empty: the field is left out */
        if (!first)
            BL_JSON_LIT(out, ",");
        first = 0;
        bl_json_put_str(out, col->valuestring, strlen(col->valuestring));
        BL_JSON_LIT(out, ":");
        if (!quoted && (json_number(v) || strcmp(v, "true") == 0 || strcmp(v, "false") == 0))
            bl_buf_adds(out, v);
        else
            bl_json_put_str(out, v, strlen(v));
    }
    BL_JSON_LIT(out, "}");
    cJSON_Delete(vals);
    return BL_OK;
}

/* Reads the header line of a CSV file byte by byte (the pass reads the rest); NULL after a message. */
static cJSON *csv_header(int fd, const char *file)
{
    bl_buf line = {0};
    char c;
    ssize_t got;
    while ((got = read(fd, &c, 1)) == 1 && c != '\n')
        bl_buf_add(&line, &c, 1);
    if (got < 0) {
        fprintf(stderr, "bylaw import: cannot read %s: %s\n", file, strerror(errno));
        bl_buf_free(&line);
        return NULL;
    }
    if (line.len && line.data[line.len - 1] == '\r')
        line.len--;
    cJSON *vals = NULL, *names = cJSON_CreateArray(), *pair;
    char *err = NULL;
    if (line.len == 0 || csv_split(line.data, line.len, &vals, &err) != BL_OK) {
        fprintf(stderr, "bylaw import: %s line 1, the header: %s\n", file, err ? err : "it is empty");
        free(err);
        bl_buf_free(&line);
        cJSON_Delete(names);
        return NULL;
    }
    bl_buf_free(&line);
    int i = 0;
    cJSON_ArrayForEach(pair, vals)
    {
        const char *name = pair->child->valuestring;
        i++;
        const cJSON *seen;
        int twice = 0;
        cJSON_ArrayForEach(seen, names) twice |= strcmp(seen->valuestring, name) == 0;
        if (name[0] == '\0' || twice) {
            fprintf(stderr, "bylaw import: %s line 1, the header: column %d %s\n", file, i,
                    twice ? "names a field another column names already" : "has no name");
            cJSON_Delete(vals);
            cJSON_Delete(names);
            return NULL;
        }
        cJSON_AddItemToArray(names, cJSON_CreateString(name));
    }
    cJSON_Delete(vals);
    return names;
}

/* Threads ------------------------------------------------------------------------------------------- */

static void *importer_open(void *ud, char **err)
{
    import *im = ud;
    /* the committing thread is the bottleneck: when it competes for a core, it gets it */
    setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 19);
    importer *w = calloc(1, sizeof *w);
    w->im = im;
    if ((w->h = bl_stream_open_host(&im->o->cfg, err)) == NULL ||
        (access(im->o->db, F_OK) == 0 && bl_store_open_reader(im->o->db, &w->reads, err) != BL_OK)) {
        bl_host_close(w->h);
        free(w);
        return NULL;
    }
    if (w->reads)
        bl_store_reader_init(&w->reader, w->reads);
    return w;
}

static void importer_close(void *ud, void *state)
{
    importer *w = state;
    bl_host_close(w->h);
    bl_store_close(w->reads);
    block_seal(w->im, w->cur);
    bl_buf_free(&w->json);
    bl_buf_free(&w->answer);
    free(w);
}

/* The answers of a chunk, an entry per line: '+' and the addresses of an evaluation (parsed here, on an
 * evaluating thread, so that the committing thread only stores it) and of its block; or '-' and
 * {"line","error"} up to a line end. */
static void put_evaluation(importer *w, bl_buf *out, char **err)
{
    import *im = w->im;
    if (w->cur == NULL || w->cur->mem.end - w->cur->mem.next < BLOCK_ROOM) {
        block_seal(im, w->cur);
        w->cur = block_take(im);
    }
    char perr[200];
    cJSON *res = bl_json_parse_block(&w->cur->mem, w->answer.data, w->answer.len, perr, sizeof perr);
    if (res == NULL) {
        *err = bl_strdupf("the evaluation is not JSON: %s", perr);
        return;
    }
    pthread_mutex_lock(&im->blocks_mu);
    w->cur->pending++;
    pthread_mutex_unlock(&im->blocks_mu);
    bl_buf_add(out, "+", 1);
    bl_buf_add(out, (const char *)&res, sizeof res);
    bl_buf_add(out, (const char *)&w->cur, sizeof w->cur);
}

static void failed_line(bl_buf *out, long line, const char *msg)
{
    BL_JSON_LIT(out, "-{\"line\":");
    bl_json_put_int(out, line);
    BL_JSON_LIT(out, ",\"error\":");
    bl_json_put_str(out, msg, strlen(msg));
    BL_JSON_LIT(out, "}\n");
}

/* One line: "+<the evaluation>\n", or "-{"line","error"}\n"; a blank line: nothing. */
static void import_line(void *state, const char *text, size_t len, long line, bl_buf *out)
{
    importer *w = state;
    import *im = w->im;
    const char *type = im->o->type;
    if (len == 0 || strspn(text, " \t") == len)
        return;
    char perr[200], *err = NULL;
    cJSON *rec = NULL;
    if (im->columns && csv_record(im->columns, text, len, &w->json, &err) == BL_OK)
        text = w->json.data, len = w->json.len;
    if (err == NULL && (rec = bl_json_parse_scratch(text, len, perr, sizeof perr)) == NULL)
        err = bl_strdupf("%s", perr);
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(rec, "type");
    const char *id = bl_json_str(rec, "id");
    if (err == NULL && !cJSON_IsObject(rec))
        err = bl_strdupf("a record must be a JSON object, got %s", cJSON_IsArray(rec) ? "an array" : "a scalar");
    else if (err == NULL && t && (!cJSON_IsString(t) || strcmp(t->valuestring, type) != 0))
        err = bl_strdupf("the record says \"type\": %s but TYPE is '%s'", cJSON_IsString(t) ? t->valuestring
                                                                                            : "(not text)", type);
    else if (err == NULL && (id == NULL || id[0] == '\0' || strlen(id) > 200))
        err = bl_strdupf("field 'id' must be text of 1 to 200 characters: every imported record needs one");
    if (err == NULL) {
        cJSON *full = bl_engine_record(type, id, rec); /* id and type first, as a write through the service */
        w->answer.len = 0;
        if (bl_host_eval_json(w->h, type, full, w->reads ? &w->reader.r : NULL, &w->answer, &err) == BL_OK)
            put_evaluation(w, out, &err);
        cJSON_Delete(full);
        if (bl_host_tripped(w->h) != BL_TRIP_NONE) { /* the next line must not see what the stopped call left */
            char *lerr = NULL;
            bl_host_t *fresh = bl_stream_open_host(&im->o->cfg, &lerr);
            if (fresh) {
                bl_host_close(w->h);
                w->h = fresh;
            }
            free(lerr);
        }
    }
    if (err)
        failed_line(out, line, err);
    free(err);
    cJSON_Delete(rec);
    bl_json_scratch_reset();
}

/* Committing, in input order ------------------------------------------------------------------------- */

static int batch_commit(import *im, long last_line)
{
    if (!im->batch_open)
        return 0;
    im->batch_open = 0;
    if (bl_store_commit(im->store) == BL_OK) {
        im->stored += im->batch_n;
        im->batch_n = 0;
        return 0;
    }
    im->stop = bl_strdupf("the batch of lines %ld to %ld could not be committed, so none of them is stored (the "
                          "lines before are): %s", im->batch_first, last_line, bl_store_errmsg(im->store));
    bl_store_rollback(im->store);
    return 1;
}

static void note_failure(import *im, const char *entry, size_t len)
{
    im->failed++;
    if (im->failed <= FAILURES_SHOWN) {
        char perr[100];
        cJSON *f = bl_json_parse(entry, len, perr, sizeof perr);
        bl_buf_printf(&im->failures, "  %s line %lld: %s\n", im->o->file, (long long)bl_json_num(f, "line", 0),
                      bl_json_str(f, "error") ? bl_json_str(f, "error") : "?");
        cJSON_Delete(f);
    }
}

/* Stores the entries of lines first..last, on the committing thread; 1 once the import stops (the
 * evaluations after that are only deleted). */
static int commit_chunk(import *im, const char *out, size_t len, long first, long last)
{
    const char *p = out, *end = out + len;
    int stop = 0;
    for (; p < end; im->done++) {
        if (*p == '-') {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            size_t n = (size_t)((nl ? nl : end) - p);
            note_failure(im, p + 1, n - 1);
            p += n + 1;
            continue;
        }
        cJSON *res;
        block *b;
        memcpy(&res, p + 1, sizeof res);
        memcpy(&b, p + 1 + sizeof res, sizeof b);
        p += 1 + sizeof res + sizeof b;
        if (!stop && im->store && !im->batch_open) {
            if (bl_store_begin(im->store) == BL_OK) {
                im->batch_open = 1;
                im->batch_first = first;
            } else {
                im->stop = bl_strdupf("cannot start a transaction: %s", bl_store_errmsg(im->store));
                stop = 1;
            }
        }
        char *err = NULL;
        const char *id = bl_json_str(cJSON_GetObjectItemCaseSensitive(res, "record"), "id");
        int rc = BL_OK;
        im->adds.next = im->adds.base;
        im->adds.spilled = 0;
        if (!stop && im->store) { /* (stopped, or --dry-run: nothing to store) */
            bl_json_block_enter(&im->adds); /* what the commit adds to the evaluation: no malloc */
            rc = bl_engine_commit(im->store, im->o->type, id, res, -1, "write", bl_clock_now_ms(), &err);
            bl_json_block_leave(&im->adds);
        }
        bl_json_delete_blocks(&b->mem, &im->adds, res);
        block_release(im, b);
        if (stop)
            continue;
        if (rc != BL_OK) { /* the store failed, not the record: the whole batch goes */
            im->stop = bl_strdupf("lines %ld to %ld are not stored: %s", im->batch_first, last, err ? err : "?");
            free(err);
            bl_store_rollback(im->store);
            im->batch_open = 0;
            stop = 1;
        } else if (im->store == NULL) {
            im->stored++;
        } else if (++im->batch_n == BATCH && batch_commit(im, last)) {
            stop = 1;
        }
    }
    bl_progress_update(&im->bar, im->done);
    return stop;
}

/* The committing thread: SQLite takes one writer, so one thread stores while the others evaluate. The
 * pass hands it each chunk's entries in order (a bounded queue: the evaluating threads wait when they
 * are far ahead, which leaves it a core). */
typedef struct queued {
    struct queued *next;
    long first, last;
    size_t len;
    char data[];
} queued;

static void *committer_main(void *arg)
{
    import *im = arg;
    int stopped = 0;
    prctl(PR_SET_NAME, "committer");
    for (;;) {
        pthread_mutex_lock(&im->q_mu);
        while (im->q_head == NULL && !im->q_end)
            pthread_cond_wait(&im->q_more, &im->q_mu);
        queued *c = im->q_head;
        if (c) {
            im->q_head = c->next;
            if (im->q_head == NULL)
                im->q_tail = &im->q_head;
            im->q_n--;
            pthread_cond_signal(&im->q_room);
        }
        pthread_mutex_unlock(&im->q_mu);
        if (c == NULL)
            break;
        if (commit_chunk(im, c->data, c->len, c->first, c->last) && !stopped) {
            stopped = 1;
            pthread_mutex_lock(&im->q_mu);
            im->q_stopped = 1;
            pthread_cond_broadcast(&im->q_room);
            pthread_mutex_unlock(&im->q_mu);
        }
        free(c);
    }
    if (!stopped && im->batch_open)
        batch_commit(im, im->last_line);
    return NULL;
}

static int import_sink(void *ud, const char *out, size_t len, long first, long last)
{
    import *im = ud;
    queued *c = bl_xmalloc(sizeof *c + len);
    c->next = NULL;
    c->first = first, c->last = last, c->len = len;
    memcpy(c->data, out, len);
    pthread_mutex_lock(&im->q_mu);
    while (im->q_n >= QUEUE && !im->q_stopped)
        pthread_cond_wait(&im->q_room, &im->q_mu);
    *im->q_tail = c;
    im->q_tail = &c->next;
    im->q_n++;
    im->last_line = last;
    int stopped = im->q_stopped;
    pthread_cond_signal(&im->q_more);
    pthread_mutex_unlock(&im->q_mu);
    return stopped; /* the entries are queued all the same: their evaluations are deleted there */
}

/* The command ------------------------------------------------------------------------------------------ */

static long import_read(void *ud, char *buf, size_t room) { return bl_fd_read(&((import *)ud)->src, buf, room); }

/* Lines in a regular file (for the progress bar), or -1. */
static int64_t count_lines(int fd)
{
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
        return -1;
    char buf[1 << 16];
    int64_t n = 0;
    off_t at = 0;
    ssize_t got;
    while ((got = pread(fd, buf, sizeof buf, at)) > 0) {
        for (char *p = buf; (p = memchr(p, '\n', (size_t)(buf + got - p))) != NULL; p++)
            n++;
        at += got;
    }
    return n;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcasecmp(s + n - m, suffix) == 0;
}

int bl_cmd_import(const bl_data_opts *o)
{
    int csv = ends_with(o->file, ".csv"), lock_fd = -1, rc = 1, bulk = 0;
    if (!csv && !ends_with(o->file, ".jsonl") && !ends_with(o->file, ".ndjson") && strcmp(o->file, "-") != 0) {
        fprintf(stderr, "bylaw import: %s: give a .jsonl file (JSON lines) or a .csv file (or - for JSON lines "
                        "on standard input)\n", o->file);
        return 2;
    }
    int fd = strcmp(o->file, "-") == 0 ? STDIN_FILENO : open(o->file, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        fprintf(stderr, "bylaw import: cannot read %s: %s\n", o->file, strerror(errno));
        return 1;
    }
    import im = {.o = o};
    pthread_mutex_init(&im.blocks_mu, NULL);
    pthread_mutex_init(&im.q_mu, NULL);
    pthread_cond_init(&im.q_more, NULL);
    pthread_cond_init(&im.q_room, NULL);
    im.q_tail = &im.q_head;
    bl_json_block_init(&im.adds, 1 << 16);
    char *err = NULL;
    im.src = (bl_fd_source){.fd = fd, .what = o->file};
    im.lines_total = count_lines(fd);
    if (csv && (im.columns = csv_header(fd, o->file)) == NULL)
        goto out;
    if (!o->dry_run) {
        char who[100];
        snprintf(who, sizeof who, "bylaw import, pid %ld", (long)getpid());
        if (bl_store_lock(o->db, who, &lock_fd, &err) != BL_OK) {
            fprintf(stderr, "bylaw import: %s; while the service runs, import through it: POST /records/%s:import\n",
                    err, o->type);
            goto out;
        }
        if (bl_store_open(o->db, &im.store, &err) != BL_OK) {
            fprintf(stderr, "bylaw import: %s\n", err);
            goto out;
        }
        bl_store_set_cache_mb(im.store, 1024); /* a million records' pages */
        bl_store_set_savepoints(im.store, 0);  /* a failed commit rolls its whole batch back */
        /* pages written once, not to the WAL and again by a checkpoint; another connection (bylaw diff)
         * keeps it in WAL mode, checkpointed as usual */
        bulk = bl_store_bulk(im.store, 1) == BL_OK;
        bl_host_t *h = bl_stream_open_host(&o->cfg, &err);
        cJSON *plist = h ? bl_host_policies(h) : NULL;
        bl_host_close(h);
        if (h == NULL || bl_engine_register_policies(im.store, plist, &err) != BL_OK) {
            fprintf(stderr, "%s%s\n", h ? "bylaw import: " : "", err);
            cJSON_Delete(plist);
            goto out;
        }
        cJSON_Delete(plist);
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    bl_progress_start(&im.bar, "records", im.lines_total - (csv && im.lines_total > 0));
    /* the committing thread takes a core of its own: the others evaluate (they keep up with it) */
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    bl_lines l = {
        .threads = o->threads ? o->threads : cores > 1 ? (int)cores - 1 : 1, .first_line = csv ? 2 : 1, .ud = &im,
        .read = import_read, .open = importer_open, .close = importer_close, .line = import_line, .sink = import_sink,
    };
    long lines = 0;
    pthread_t committer;
    pthread_create(&committer, NULL, committer_main, &im);
    int stopped = bl_lines_run(&l, &lines, &err);
    pthread_mutex_lock(&im.q_mu);
    im.q_end = 1;
    pthread_cond_signal(&im.q_more);
    pthread_mutex_unlock(&im.q_mu);
    pthread_join(committer, NULL);
    stopped |= im.stop != NULL;
    bl_progress_end(&im.bar);
    if (bulk && bl_store_bulk(im.store, 0) != BL_OK)
        fprintf(stderr, "bylaw import: %s (bylaw serve goes back to WAL mode when it starts)\n",
                bl_store_errmsg(im.store));
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    if (err) { /* the policies do not load */
        fputs(err, stderr);
        goto out;
    }
    char a[32], b[32];
    if (im.failed)
        fprintf(stderr, "bylaw import: %s line%s failed and %s not stored:\n%s%s", bl_fmt_int(im.failed, a),
                im.failed == 1 ? "" : "s", im.failed == 1 ? "is" : "are", im.failures.data ? im.failures.data : "",
                im.failed > FAILURES_SHOWN ? "  (the others are not listed)\n" : "");
    if (im.stop)
        fprintf(stderr, "bylaw import: stopped: %s\n", im.stop);
    else if (stopped)
        fprintf(stderr, "bylaw import: stopped: %s cannot be read\n", o->file);
    printf("%s %s record%s of type %s from %s in %.2f s (%s records/s)%s\n", o->dry_run ? "would import" : "imported",
           bl_fmt_int(im.stored, a), im.stored == 1 ? "" : "s", o->type, o->file, s,
           bl_fmt_int((int64_t)((double)im.stored / (s > 0 ? s : 1)), b),
           o->dry_run ? ": nothing was stored (--dry-run)" : "");
    rc = im.failed || im.stop || stopped ? 1 : 0;
out:
    while (im.all_blocks) {
        block *blk = im.all_blocks;
        im.all_blocks = blk->all_next;
        bl_json_block_free(&blk->mem);
        free(blk);
    }
    bl_json_block_free(&im.adds);
    pthread_mutex_destroy(&im.blocks_mu);
    pthread_mutex_destroy(&im.q_mu);
    pthread_cond_destroy(&im.q_more);
    pthread_cond_destroy(&im.q_room);
    free(err);
    free(im.stop);
    bl_buf_free(&im.failures);
    cJSON_Delete(im.columns);
    bl_store_close(im.store);
    if (lock_fd >= 0)
        bl_store_unlock(o->db, lock_fd);
    if (fd != STDIN_FILENO)
        close(fd);
    return rc;
}
