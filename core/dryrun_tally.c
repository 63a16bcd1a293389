/* dryrun_tally.c — comparing two outcomes of a record and summing the differences up (dryrun_tally.h).
 * Most records come out the same under both policy sets: the two answers' texts are compared first,
 * skipping only the decisions' versions and explanations; only when they differ are both parsed and
 * compared field by field. */
#include "dryrun_tally.h"

#include <stdio.h>

#include <stdlib.h>
#include <string.h>

#include "dryrun.h"

#define MAX_TRANSITIONS 10000 /* distinct ones kept; past that, new ones count as "other values" */
#define LISTED 100            /* transitions of each kind in the report */
#define POINTS_LISTED 1000    /* subjects and months in the report */
#define OTHER "\x1e"          /* the from and to of "other values" */

/* A map of byte strings ---------------------------------------------------------------------------- */

struct bl_map_slot {
    char *key; /* NULL: empty */
    size_t klen;
    uint64_t hash;
    void *val;
};

static uint64_t hash_bytes(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
    return h;
}

/* The value of key; when absent, made (zeroed) if create, else NULL. */
static void *map_get(bl_map *m, const char *k, size_t n, size_t vsize, int create)
{
    if ((m->n + 1) * 2 > m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 64;
        struct bl_map_slot *old = m->slot;
        m->slot = calloc(cap, sizeof *m->slot);
        for (size_t i = 0; i < m->cap; i++) {
            if (old[i].key == NULL)
                continue;
            size_t j = old[i].hash & (cap - 1);
            while (m->slot[j].key)
                j = (j + 1) & (cap - 1);
            m->slot[j] = old[i];
        }
        free(old);
        m->cap = cap;
    }
    uint64_t h = hash_bytes(k, n);
    size_t i = h & (m->cap - 1);
    for (; m->slot[i].key; i = (i + 1) & (m->cap - 1))
        if (m->slot[i].hash == h && m->slot[i].klen == n && memcmp(m->slot[i].key, k, n) == 0)
            return m->slot[i].val;
    if (!create)
        return NULL;
    m->slot[i].key = bl_xmalloc(n + 1);
    memcpy(m->slot[i].key, k, n);
    m->slot[i].key[n] = '\0';
    m->slot[i].klen = n;
    m->slot[i].hash = h;
    m->slot[i].val = calloc(1, vsize);
    m->n++;
    return m->slot[i].val;
}

static void map_free(bl_map *m, void (*free_val)(void *))
{
    for (size_t i = 0; i < m->cap; i++)
        if (m->slot[i].key) {
            if (free_val)
                free_val(m->slot[i].val);
            free(m->slot[i].val);
            free(m->slot[i].key);
        }
    free(m->slot);
    memset(m, 0, sizeof *m);
}

/* Examples ------------------------------------------------------------------------------------------ */

typedef struct transition {
    int64_t count;
    int nex;
    bl_example ex[BL_TALLY_EXAMPLES];
} transition;

typedef struct points {
    int64_t before, after;
} points;

static void example_free(bl_example *e)
{
    free(e->type);
    free(e->id);
    free(e->before);
    free(e->after);
    memset(e, 0, sizeof *e);
}

/* Keeps e (taken) among the cap examples of the smallest lines in arr. */
static void keep(bl_example *arr, int *n, int cap, bl_example *e)
{
    int at = *n < cap ? (*n)++ : -1;
    for (int i = 0; at < 0 && i < cap; i++)
        if (arr[i].line > e->line && (at < 0 || arr[i].line > arr[at].line))
            at = i;
    if (at < 0) {
        example_free(e);
        return;
    }
    example_free(&arr[at]);
    arr[at] = *e;
    memset(e, 0, sizeof *e);
}

static char *dup_or_null(const char *s) { return s ? bl_strdupf("%s", s) : NULL; }

static bl_example example(long line, const char *type, const char *id, const char *before, const char *after)
{
    bl_example e = {.line = line, .type = dup_or_null(type), .id = dup_or_null(id), .before = dup_or_null(before),
                    .after = dup_or_null(after)};
    return e;
}

static void transition_free(void *v)
{
    transition *tr = v;
    for (int i = 0; i < tr->nex; i++)
        example_free(&tr->ex[i]);
}

/* Counts a transition: kind 'f' (a field) or 'v' (a policy's verdict), from and to as JSON text ("":
 * absent), with an example. */
static void count(tally *t, char kind, const char *what, const char *from, const char *to, long line,
                  const char *type, const char *id, const char *before, const char *after)
{
    bl_buf *k = &t->key;
    k->len = 0;
    bl_buf_printf(k, "%c\x1f%s\x1f%s\x1f%s", kind, what, from, to);
    transition *tr = map_get(&t->trans, k->data, k->len, sizeof *tr, 0);
    if (tr == NULL && t->trans.n >= MAX_TRANSITIONS) { /* too many distinct ones: "other values" */
        k->len = 0;
        bl_buf_printf(k, "%c\x1f%s\x1f" OTHER "\x1f" OTHER, kind, what);
    }
    if (tr == NULL)
        tr = map_get(&t->trans, k->data, k->len, sizeof *tr, 1);
    tr->count++;
    bl_example e = example(line, type, id, before, after);
    keep(tr->ex, &tr->nex, BL_TALLY_EXAMPLES, &e);
}

/* Comparing ------------------------------------------------------------------------------------------- */

/* After the string whose content starts at p (past its opening quote), or NULL. */
static const char *skip_string(const char *p, const char *e)
{
    for (const char *from = p;;) {
        const char *q = memchr(from, '"', (size_t)(e - from));
        if (q == NULL)
            return NULL;
        const char *b = q;
        while (b > p && b[-1] == '\\')
            b--;
        if (((q - b) & 1) == 0) /* not escaped */
            return q + 1;
        from = q + 1;
    }
}

/* The bytes that end or open something in JSON text. */
static const unsigned char special[256] = {
    ['"'] = 1, ['{'] = 1, ['['] = 1, ['}'] = 1, [']'] = 1, [','] = 1, [':'] = 1,
};

/* The end of the JSON value at p (compact text, as the host writes it), or NULL. */
static const char *skip_value(const char *p, const char *e)
{
    int depth = 0;
    while (p < e) {
        while (p < e && !special[(unsigned char)*p])
            p++; /* a scalar's bytes */
        if (p == e)
            break;
        char c = *p;
        if (c == '"') {
            if ((p = skip_string(p + 1, e)) == NULL)
                return NULL;
        } else if (c == '{' || c == '[') {
            depth++, p++;
            continue;
        } else if (c == '}' || c == ']') {
            if (depth == 0)
                return p; /* the end of a scalar in a container */
            depth--, p++;
        } else { /* ',' or ':' */
            if (depth == 0)
                return p;
            p++;
            continue;
        }
        if (depth == 0)
            return p; /* after a string, or the container closed */
    }
    return depth == 0 ? p : NULL;
}

static int lit(const char **p, const char *e, const char *s)
{
    size_t n = strlen(s);
    if ((size_t)(e - *p) < n || memcmp(*p, s, n) != 0)
        return 0;
    *p += n;
    return 1;
}

/* The values of both at *pa and *pb are the same text; both move past them. (Bytes of b equal to a
 * whole value of a are that value in b too: only a is scanned.) */
static int same_value(const char **pa, const char *ea, const char **pb, const char *eb)
{
    const char *xa = skip_value(*pa, ea);
    size_t n = xa ? (size_t)(xa - *pa) : 0;
    if (xa == NULL || (size_t)(eb - *pb) < n || memcmp(*pa, *pb, n) != 0)
        return 0;
    *pa = xa, *pb += n;
    return 1;
}

/* Whether two answers are the same outcome: equal text but for each decision's "version", "explanation",
 * "reasons" and "i18n". 0 also when the text is not of the expected shape (the caller then compares trees). */
static int same_outcome(const char *a, size_t alen, const char *b, size_t blen)
{
    const char *pa = a, *ea = a + alen, *pb = b, *eb = b + blen;
    if (!lit(&pa, ea, "{\"record\":") || !lit(&pb, eb, "{\"record\":") || !same_value(&pa, ea, &pb, eb) ||
        !lit(&pa, ea, ",\"decisions\":[") || !lit(&pb, eb, ",\"decisions\":["))
        return 0;
    for (int first = 1;; first = 0) {
        if (lit(&pa, ea, "]")) {
            if (!lit(&pb, eb, "]"))
                return 0;
            break;
        }
        if ((!first && !(lit(&pa, ea, ",") && lit(&pb, eb, ","))) || !lit(&pa, ea, "{") || !lit(&pb, eb, "{"))
            return 0;
        for (;;) { /* the keys of one decision */
            const char *ka = pa;
            if (!same_value(&pa, ea, &pb, eb) || !lit(&pa, ea, ":") || !lit(&pb, eb, ":"))
                return 0;
            size_t kn = (size_t)(pa - ka);
            if ((kn == 10 && memcmp(ka, "\"version\":", 10) == 0) ||
                (kn == 14 && memcmp(ka, "\"explanation\":", 14) == 0) ||
                (kn == 10 && memcmp(ka, "\"reasons\":", 10) == 0) || (kn == 7 && memcmp(ka, "\"i18n\":", 7) == 0)) {
                if ((pa = skip_value(pa, ea)) == NULL || (pb = skip_value(pb, eb)) == NULL)
                    return 0;
            } else if (!same_value(&pa, ea, &pb, eb)) {
                return 0;
            }
            if (lit(&pa, ea, "}")) {
                if (!lit(&pb, eb, "}"))
                    return 0;
                break;
            }
            if (!lit(&pa, ea, ",") || !lit(&pb, eb, ","))
                return 0;
        }
    }
    return ea - pa == eb - pb && memcmp(pa, pb, (size_t)(ea - pa)) == 0;
}

/* The compact JSON text of v into b ("" when v is NULL: absent). */
static const char *text_of(const cJSON *v, bl_buf *b)
{
    b->len = 0;
    if (v)
        bl_json_print(v, b);
    else
        bl_buf_add(b, "", 0);
    return b->data ? b->data : "";
}

static const cJSON *decision_of(const cJSON *res, const char *policy)
{
    const cJSON *d;
    cJSON_ArrayForEach(d, cJSON_GetObjectItemCaseSensitive(res, "decisions"))
    {
        const char *p = bl_json_str(d, "policy");
        if (p && policy && strcmp(p, policy) == 0)
            return d;
    }
    return NULL;
}

/* The explanation of the decision that set field, else of the first decision, else NULL. */
static const char *explanation_for(const cJSON *res, const char *field)
{
    const cJSON *d, *decisions = cJSON_GetObjectItemCaseSensitive(res, "decisions");
    cJSON_ArrayForEach(d, decisions) if (cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(d, "changes"),
                                                                          field)) return bl_json_str(d, "explanation");
    return decisions && decisions->child ? bl_json_str(decisions->child, "explanation") : NULL;
}

static const char *verdict_of(const cJSON *d)
{
    if (d == NULL)
        return "(no decision)";
    const char *v = bl_json_str(d, "verdict");
    return v ? v : "none";
}

static void add_points(tally *t, const cJSON *list, int after)
{
    const cJSON *p;
    cJSON_ArrayForEach(p, list)
    {
        const char *subject = bl_json_str(p, "subject"), *period = bl_json_str(p, "period");
        t->key.len = 0;
        bl_buf_printf(&t->key, "%s\x1f%s", subject ? subject : "", period ? period : "");
        points *pt = map_get(&t->points, t->key.data, t->key.len, sizeof *pt, 1);
        int64_t v = (int64_t)bl_json_num(p, "points", 0);
        if (after)
            pt->after += v;
        else
            pt->before += v;
    }
}

/* "investigate due 2026-10-09T18:00:00+08:00" */
static char *due_text(const cJSON *dl)
{
    return dl ? bl_strdupf("%s due %s", bl_json_str(dl, "name"), bl_json_str(dl, "due")) : NULL;
}

static const cJSON *deadline_named(const cJSON *list, const char *name)
{
    const cJSON *x;
    cJSON_ArrayForEach(x, list) if (name && bl_json_str(x, "name") && strcmp(bl_json_str(x, "name"), name) == 0) return x;
    return NULL;
}

static void deadline_change(tally *t, long line, const char *type, const char *id, const cJSON *was,
                            const cJSON *now)
{
    char *b = due_text(was), *a = due_text(now);
    bl_example e = example(line, type, id, b ? b : "none", a ? a : "none");
    keep(t->moves, &t->nmoves, BL_TALLY_MORE, &e);
    free(a);
    free(b);
}

/* Deadlines proposed by name: moved, added, removed. Returns whether any differs. */
static int compare_deadlines(tally *t, long line, const char *type, const char *id, const cJSON *a, const cJSON *b)
{
    const cJSON *x, *y;
    int differs = 0;
    cJSON_ArrayForEach(x, a)
    {
        y = deadline_named(b, bl_json_str(x, "name"));
        if (y && bl_json_num(x, "due_ms", 0) == bl_json_num(y, "due_ms", 0))
            continue;
        differs = 1;
        if (y)
            t->moved++;
        else
            t->removed++;
        deadline_change(t, line, type, id, x, y);
    }
    cJSON_ArrayForEach(y, b) if (!deadline_named(a, bl_json_str(y, "name")))
    {
        differs = 1;
        t->added++;
        deadline_change(t, line, type, id, NULL, y);
    }
    return differs;
}

void bl_tally_outcomes(tally *t, long line, const char *type, const char *id, const cJSON *was, const cJSON *now,
                       int replay)
{
    const cJSON *ra = cJSON_GetObjectItemCaseSensitive(was, "record");
    const cJSON *rb = cJSON_GetObjectItemCaseSensitive(now, "record");
    bl_buf fa = {0}, fb = {0};
    int differs = 0;
    const cJSON *x, *y;
    cJSON_ArrayForEach(x, ra) /* fields changed or gone */
    {
        y = cJSON_GetObjectItemCaseSensitive(rb, x->string);
        if (y && cJSON_Compare(x, y, 1))
            continue;
        differs = 1;
        count(t, 'f', x->string, text_of(x, &fa), text_of(y, &fb), line, type, id, explanation_for(was, x->string),
              explanation_for(now, x->string));
    }
    cJSON_ArrayForEach(y, rb) if (!cJSON_GetObjectItemCaseSensitive(ra, y->string)) /* fields new */
    {
        differs = 1;
        count(t, 'f', y->string, "", text_of(y, &fb), line, type, id, explanation_for(was, y->string),
              explanation_for(now, y->string));
    }
    for (int side = 0; side < 2; side++) /* verdicts, by policy */
        cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(side ? now : was, "decisions"))
        {
            const char *policy = bl_json_str(x, "policy");
            const cJSON *other = decision_of(side ? was : now, policy);
            if (side == 1 && other)
                continue; /* compared from the other side */
            const cJSON *da = side ? other : x, *db = side ? x : other;
            if (strcmp(verdict_of(da), verdict_of(db)) == 0)
                continue;
            differs = 1;
            fa.len = fb.len = 0;
            bl_json_put_str(&fa, verdict_of(da), strlen(verdict_of(da)));
            bl_json_put_str(&fb, verdict_of(db), strlen(verdict_of(db)));
            count(t, 'v', policy ? policy : "?", fa.data, fb.data, line, type, id,
                  da ? bl_json_str(da, "explanation") : NULL, db ? bl_json_str(db, "explanation") : NULL);
        }
    const cJSON *pa = cJSON_GetObjectItemCaseSensitive(was, "points");
    const cJSON *pb = cJSON_GetObjectItemCaseSensitive(now, "points");
    add_points(t, pa, 0);
    add_points(t, pb, 1);
    if (cJSON_GetArraySize(pa) != cJSON_GetArraySize(pb) || (cJSON_GetArraySize(pa) && !cJSON_Compare(pa, pb, 1)))
        differs = 1;
    if (!replay) {
        const cJSON *ea = cJSON_GetObjectItemCaseSensitive(was, "events");
        const cJSON *eb = cJSON_GetObjectItemCaseSensitive(now, "events");
        if (!(ea == NULL && eb == NULL) && !(ea && eb && cJSON_Compare(ea, eb, 1))) {
            t->events_changed++;
            differs = 1;
        }
        differs |= compare_deadlines(t, line, type, id, cJSON_GetObjectItemCaseSensitive(was, "deadlines"),
                                     cJSON_GetObjectItemCaseSensitive(now, "deadlines"));
    }
    t->changed += differs;
    bl_buf_free(&fa);
    bl_buf_free(&fb);
}

void bl_tally_compare(tally *t, long line, const char *type, const char *id, const char *a, size_t alen,
                      const char *b, size_t blen)
{
    char err[200];
    if (same_outcome(a, alen, b, blen)) {
        /* the points, the same on both sides, still count in the totals */
        const char *p = strstr(a, ",\"points\":[");
        if (p && p[11] != ']') {
            const char *e = skip_value(p + 10, a + alen);
            cJSON *list = e ? bl_json_parse_scratch(p + 10, (size_t)(e - p - 10), err, sizeof err) : NULL;
            add_points(t, list, 0);
            add_points(t, list, 1);
            cJSON_Delete(list);
        }
        return;
    }
    cJSON *was = bl_json_parse_scratch(a, alen, err, sizeof err), *now = bl_json_parse_scratch(b, blen, err, sizeof err);
    if (was && now)
        bl_tally_outcomes(t, line, type, id, was, now, 0);
    cJSON_Delete(was);
    cJSON_Delete(now);
}

void bl_tally_failure(tally *t, long line, const char *type, const char *id, const char *error, int already)
{
    t->failures++;
    t->already += already != 0;
    bl_example e = example(line, type, id, NULL, error ? error : "failed");
    keep(t->fails, &t->nfails, BL_TALLY_MORE, &e);
}

/* Adding up -------------------------------------------------------------------------------------------- */

void bl_tally_add(tally *sum, tally *t)
{
    for (size_t i = 0; i < t->trans.cap; i++) {
        struct bl_map_slot *s = &t->trans.slot[i];
        if (s->key == NULL)
            continue;
        transition *from = s->val, *to = map_get(&sum->trans, s->key, s->klen, sizeof *to, 1);
        to->count += from->count;
        for (int k = 0; k < from->nex; k++)
            keep(to->ex, &to->nex, BL_TALLY_EXAMPLES, &from->ex[k]);
        from->nex = 0;
    }
    for (size_t i = 0; i < t->points.cap; i++) {
        struct bl_map_slot *s = &t->points.slot[i];
        if (s->key == NULL)
            continue;
        points *from = s->val, *to = map_get(&sum->points, s->key, s->klen, sizeof *to, 1);
        to->before += from->before;
        to->after += from->after;
    }
    sum->records += t->records, sum->decisions += t->decisions, sum->changed += t->changed;
    sum->events_changed += t->events_changed;
    sum->moved += t->moved, sum->added += t->added, sum->removed += t->removed;
    sum->failures += t->failures, sum->already += t->already, sum->fixed += t->fixed;
    for (int k = 0; k < t->nmoves; k++)
        keep(sum->moves, &sum->nmoves, BL_TALLY_MORE, &t->moves[k]);
    for (int k = 0; k < t->nfails; k++)
        keep(sum->fails, &sum->nfails, BL_TALLY_MORE, &t->fails[k]);
    t->nmoves = t->nfails = 0;
    bl_tally_free(t);
}

void bl_tally_free(tally *t)
{
    map_free(&t->trans, transition_free);
    map_free(&t->points, NULL);
    bl_buf_free(&t->key);
    for (int k = 0; k < t->nmoves; k++)
        example_free(&t->moves[k]);
    for (int k = 0; k < t->nfails; k++)
        example_free(&t->fails[k]);
    t->nmoves = t->nfails = 0;
}

/* The report ------------------------------------------------------------------------------------------- */

static cJSON *examples_json(const bl_example *ex, int n, const char *before, const char *after)
{
    cJSON *a = cJSON_CreateArray();
    bl_example sorted[BL_TALLY_MORE];
    memcpy(sorted, ex, (size_t)n * sizeof *ex);
    for (int i = 1; i < n; i++) /* in the records' order */
        for (int j = i; j > 0 && sorted[j - 1].line > sorted[j].line; j--) {
            bl_example tmp = sorted[j];
            sorted[j] = sorted[j - 1];
            sorted[j - 1] = tmp;
        }
    for (int i = 0; i < n; i++) {
        cJSON *o = cJSON_CreateObject();
        bl_json_add_str(o, "type", sorted[i].type);
        bl_json_add_str(o, "id", sorted[i].id);
        if (before)
            bl_json_add_str(o, before, sorted[i].before);
        bl_json_add_str(o, after, sorted[i].after);
        cJSON_AddItemToArray(a, o);
    }
    return a;
}

static cJSON *value_of(const char *text)
{
    char err[100];
    if (text[0] == '\0')
        return cJSON_CreateNull(); /* absent */
    cJSON *v = bl_json_parse(text, strlen(text), err, sizeof err);
    return v ? v : cJSON_CreateString(text);
}

typedef struct row {
    const char *key;
    const void *val;
} row;

static int by_count(const void *x, const void *y)
{
    const transition *a = ((const row *)x)->val, *b = ((const row *)y)->val;
    if (a->count != b->count)
        return a->count > b->count ? -1 : 1;
    return strcmp(((const row *)x)->key, ((const row *)y)->key);
}

static int by_key(const void *x, const void *y) { return strcmp(((const row *)x)->key, ((const row *)y)->key); }

/* The map's entries, sorted (the caller frees). */
static row *rows_of(const bl_map *m, int (*cmp)(const void *, const void *), size_t *n)
{
    row *r = calloc(m->n ? m->n : 1, sizeof *r);
    *n = 0;
    for (size_t i = 0; i < m->cap; i++)
        if (m->slot[i].key)
            r[(*n)++] = (row){m->slot[i].key, m->slot[i].val};
    qsort(r, *n, sizeof *r, cmp);
    return r;
}

static void transitions_json(const tally *t, cJSON *o)
{
    size_t n;
    row *r = rows_of(&t->trans, by_count, &n);
    cJSON *fields = cJSON_AddArrayToObject(o, "transitions"), *verdicts = cJSON_AddArrayToObject(o, "verdicts");
    int64_t more[2] = {0, 0};
    for (size_t i = 0; i < n; i++) {
        char *k = bl_strdupf("%s", r[i].key), *what = k + 2, *from = strchr(what, '\x1f'), *to;
        *from++ = '\0';
        to = strchr(from, '\x1f');
        *to++ = '\0';
        int verdict = k[0] == 'v';
        cJSON *list = verdict ? verdicts : fields;
        const transition *tr = r[i].val;
        if (cJSON_GetArraySize(list) >= LISTED) {
            more[verdict] += tr->count;
            free(k);
            continue;
        }
        cJSON *e = cJSON_CreateObject();
        bl_json_add_str(e, verdict ? "policy" : "field", what);
        if (strcmp(from, OTHER) == 0) {
            bl_json_add(e, "other_values", cJSON_CreateTrue());
        } else {
            bl_json_add(e, "from", value_of(from));
            bl_json_add(e, "to", value_of(to));
        }
        bl_json_add_num(e, "count", (double)tr->count);
        bl_json_add(e, "examples", examples_json(tr->ex, tr->nex, "before", "after"));
        cJSON_AddItemToArray(list, e);
        free(k);
    }
    if (more[0])
        bl_json_add_num(o, "transitions_more", (double)more[0]);
    if (more[1])
        bl_json_add_num(o, "verdicts_more", (double)more[1]);
    free(r);
}

static void points_json(const tally *t, cJSON *o)
{
    size_t n;
    row *r = rows_of(&t->points, by_key, &n);
    cJSON *list = cJSON_AddArrayToObject(o, "points");
    int64_t more = 0, before = 0, after = 0;
    for (size_t i = 0; i < n; i++) {
        const points *p = r[i].val;
        before += p->before, after += p->after;
        if (p->before == p->after)
            continue;
        if (cJSON_GetArraySize(list) >= POINTS_LISTED) {
            more++;
            continue;
        }
        const char *sep = strchr(r[i].key, '\x1f');
        cJSON *e = cJSON_CreateObject();
        char *subject = bl_strdupf("%.*s", (int)(sep - r[i].key), r[i].key);
        bl_json_add_str(e, "subject", subject);
        bl_json_add_str(e, "month", sep + 1);
        bl_json_add_num(e, "before", (double)p->before);
        bl_json_add_num(e, "after", (double)p->after);
        bl_json_add_num(e, "change", (double)(p->after - p->before));
        cJSON_AddItemToArray(list, e);
        free(subject);
    }
    if (more)
        bl_json_add_num(o, "points_more", (double)more);
    cJSON *tot = cJSON_AddObjectToObject(o, "points_total");
    bl_json_add_num(tot, "before", (double)before);
    bl_json_add_num(tot, "after", (double)after);
    free(r);
}

cJSON *bl_tally_report(const tally *t)
{
    cJSON *o = cJSON_CreateObject();
    bl_json_add_num(o, "records", (double)t->records);
    if (t->decisions)
        bl_json_add_num(o, "decisions", (double)t->decisions);
    bl_json_add_num(o, "changed", (double)t->changed);
    transitions_json(t, o);
    bl_json_add_num(o, "events_changed", (double)t->events_changed);
    points_json(t, o);
    cJSON *dl = cJSON_AddObjectToObject(o, "deadlines");
    bl_json_add_num(dl, "moved", (double)t->moved);
    bl_json_add_num(dl, "added", (double)t->added);
    bl_json_add_num(dl, "removed", (double)t->removed);
    bl_json_add(dl, "examples", examples_json(t->moves, t->nmoves, "before", "after"));
    cJSON *f = cJSON_AddObjectToObject(o, "failures");
    bl_json_add_num(f, "count", (double)t->failures);
    bl_json_add_num(f, "already", (double)t->already);
    bl_json_add_num(f, "fixed", (double)t->fixed);
    bl_json_add(f, "examples", examples_json(t->fails, t->nfails, NULL, "error"));
    return o;
}

/* For people -------------------------------------------------------------------------------------------- */

/* A value of the report as people read it: text bare, absent "(none)", others as JSON. */
static void put_value(FILE *out, const cJSON *v)
{
    if (v == NULL || cJSON_IsNull(v)) {
        fputs("(none)", out);
    } else if (cJSON_IsString(v)) {
        fputs(v->valuestring, out);
    } else {
        char *s = bl_json_dump(v);
        fputs(s, out);
        free(s);
    }
}

static int64_t num(const cJSON *o, const char *k) { return (int64_t)bl_json_num(o, k, 0); }

static void print_examples(FILE *out, const cJSON *list, const char *before, const char *after)
{
    const cJSON *e;
    cJSON_ArrayForEach(e, list)
    {
        const char *b = before ? bl_json_str(e, before) : NULL, *a = bl_json_str(e, after);
        fprintf(out, "      %s/%s", bl_json_str(e, "type"), bl_json_str(e, "id"));
        if (before)
            fprintf(out, "\n        before: %s\n        after:  %s\n", b ? b : "(none)", a ? a : "(none)");
        else
            fprintf(out, ": %s\n", a ? a : "");
    }
}

static void print_transitions(FILE *out, const cJSON *list, const char *key, const char *title, int64_t more)
{
    char n[32];
    if (cJSON_GetArraySize(list) == 0) {
        fprintf(out, "%s: none change\n", title);
        return;
    }
    fprintf(out, "%s:\n", title);
    const cJSON *t;
    cJSON_ArrayForEach(t, list)
    {
        fprintf(out, "  %s ", bl_json_str(t, key));
        if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(t, "other_values"))) {
            fputs("(other values)", out);
        } else {
            put_value(out, cJSON_GetObjectItemCaseSensitive(t, "from"));
            fputs(" \xe2\x86\x92 ", out); /* → */
            put_value(out, cJSON_GetObjectItemCaseSensitive(t, "to"));
        }
        fprintf(out, ": %s\n", bl_fmt_int(num(t, "count"), n));
        print_examples(out, cJSON_GetObjectItemCaseSensitive(t, "examples"), "before", "after");
    }
    if (more)
        fprintf(out, "  and %s more of other transitions\n", bl_fmt_int(more, n));
}

void bl_dryrun_print(const cJSON *r, FILE *out)
{
    char a[32], b[32], c[32];
    int replay = strcmp(bl_json_str(r, "kind") ? bl_json_str(r, "kind") : "", "replay") == 0;
    bl_buf types = {0};
    const cJSON *x;
    cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(r, "types"))
        bl_buf_printf(&types, "%s%s", types.len ? ", " : "", cJSON_IsString(x) ? x->valuestring : "every type");
    if (replay) {
        const cJSON *sk = cJSON_GetObjectItemCaseSensitive(r, "skipped");
        fprintf(out, "bylaw replay: %s record versions (%s decisions made by writes since %s, %s) evaluated under "
                "the given policies in %.2f s\n", bl_fmt_int(num(r, "records"), a), bl_fmt_int(num(r, "decisions"), b),
                bl_json_str(r, "since"), types.data ? types.data : "no type", bl_json_num(r, "seconds", 0));
        if (num(sk, "deadline_decisions") || num(sk, "pruned_versions"))
            fprintf(out, "not replayed: %s decisions made by deadlines, %s whose record version was pruned\n",
                    bl_fmt_int(num(sk, "deadline_decisions"), a), bl_fmt_int(num(sk, "pruned_versions"), b));
    } else {
        fprintf(out, "bylaw diff: %s records (%s) evaluated under the running policies and the candidate ones in "
                "%.2f s\n", bl_fmt_int(num(r, "records"), a), types.data ? types.data : "no type touched",
                bl_json_num(r, "seconds", 0));
        bl_buf pol = {0};
        cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(r, "policies"))
        {
            const char *from = bl_json_str(x, "from"), *to = bl_json_str(x, "to");
            bl_buf_printf(&pol, "%s%s %s", pol.len ? ", " : "", bl_json_str(x, "name"),
                          from && to ? "" : from ? "(removed)" : "(new)");
            if (from && to)
                bl_buf_printf(&pol, "%s -> %s", from, to);
        }
        fprintf(out, "policies changed: %s\n", pol.data ? pol.data : "none (a file without policies changed)");
        bl_buf_free(&pol);
    }
    bl_buf_free(&types);
    fprintf(out, "outcomes changed: %s of %s\n\n", bl_fmt_int(num(r, "changed"), a), bl_fmt_int(num(r, "records"), b));
    print_transitions(out, cJSON_GetObjectItemCaseSensitive(r, "transitions"), "field", "transitions",
                      num(r, "transitions_more"));
    print_transitions(out, cJSON_GetObjectItemCaseSensitive(r, "verdicts"), "policy", "verdicts",
                      num(r, "verdicts_more"));
    if (num(r, "events_changed"))
        fprintf(out, "events: those of %s records change\n", bl_fmt_int(num(r, "events_changed"), a));
    const cJSON *pts = cJSON_GetObjectItemCaseSensitive(r, "points");
    const cJSON *tot = cJSON_GetObjectItemCaseSensitive(r, "points_total");
    if (cJSON_GetArraySize(pts) == 0) {
        fprintf(out, "points: none differ\n");
    } else {
        fprintf(out, "points (in all %s \xe2\x86\x92 %s):\n", bl_fmt_int(num(tot, "before"), a),
                bl_fmt_int(num(tot, "after"), b));
        cJSON_ArrayForEach(x, pts)
            fprintf(out, "  %s %s: %s \xe2\x86\x92 %s (%s%s)\n", bl_json_str(x, "subject"), bl_json_str(x, "month"),
                    bl_fmt_int(num(x, "before"), a), bl_fmt_int(num(x, "after"), b), num(x, "change") > 0 ? "+" : "",
                    bl_fmt_int(num(x, "change"), c));
        if (num(r, "points_more"))
            fprintf(out, "  and %s more subjects and months\n", bl_fmt_int(num(r, "points_more"), a));
    }
    const cJSON *dl = cJSON_GetObjectItemCaseSensitive(r, "deadlines");
    if (replay) {
        fprintf(out, "deadlines: not compared (a stored decision does not keep the deadlines it proposed)\n");
    } else if (num(dl, "moved") + num(dl, "added") + num(dl, "removed") == 0) {
        fprintf(out, "deadlines: none move\n");
    } else {
        fprintf(out, "deadlines: %s move, %s new, %s no longer proposed\n", bl_fmt_int(num(dl, "moved"), a),
                bl_fmt_int(num(dl, "added"), b), bl_fmt_int(num(dl, "removed"), c));
        print_examples(out, cJSON_GetObjectItemCaseSensitive(dl, "examples"), "before", "after");
    }
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(r, "failures");
    if (num(f, "count") == 0) {
        fprintf(out, "failures: none\n");
    } else {
        fprintf(out, "failures: %s evaluations would fail (%s of them fail already)\n", bl_fmt_int(num(f, "count"), a),
                bl_fmt_int(num(f, "already"), b));
        print_examples(out, cJSON_GetObjectItemCaseSensitive(f, "examples"), NULL, "error");
    }
    if (num(f, "fixed"))
        fprintf(out, "fixed: %s evaluations that fail now would succeed\n", bl_fmt_int(num(f, "fixed"), a));
}
