/* host.c — owns the Lua state of a policy set: loads the runtime and the policy files into the
 * sandbox, runs evaluations on a worker thread under the guard's limits, and turns what the policies
 * proposed into JSON. A failure anywhere leaves the state usable and reports file:line. */
#include "host.h"

#include <dirent.h>
#include <lauxlib.h>
#include <lualib.h>
#include <math.h>
#include <nettle/sha2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fields.h"
#include "i18n.h"
#include "lcalendar.h"
#include "luajson.h"
#include "sandbox.h"

int luaopen_bylaw_records(lua_State *L);
int luaopen_bylaw_ledger(lua_State *L);
int luaopen_bylaw_log(lua_State *L);
int luaopen_bylaw_core(lua_State *L);
int luaopen_bylaw_calendar(lua_State *L);
int bl_lua_print(lua_State *L);

struct bl_host {
    bl_guard guard; /* first: bl_host_of() finds the host through the guard */
    lua_State *L;
    lua_State *co; /* the worker thread every policy call runs on */
    int co_ref, rt_ref, eval_ref, invalid_ref;
    char *policy_dir, *scripts_dir, *display_dir;
    bl_reader *reader;      /* where reads of other records go now, or NULL */
    const char *policy_now; /* name of the running policy (a string the runtime holds) */
    char who[300];          /* what runs when no policy is named: "loading policies/x.lua" */
    int loading;            /* bl_host_open is loading the policy files */
    const cJSON *input;     /* the record under evaluation (borrowed) */
    bl_buf *out;            /* where C.finish writes the answer */
    bl_buf side, scratch;   /* the decisions while the record is written; joined reasons */
    char *invalid_zh;       /* the last "the record is wrong" error in Chinese (msg_zh), or NULL */
    struct touched {
        const char *name; /* held by a builder */
        size_t len;
        int seen;
    } *touched;             /* the fields the decisions change */
    int ntouched, captouched;
    char month[8];          /* default period of points */
    /* The record's table and its keys, kept from one record to the next (see push_fields). */
    int fields_ref, keys_ref; /* registry references, 0 until first made */
    struct key {
        const char *s;        /* a string the keys_ref table holds */
        size_t len, off;      /* its length; where keytext has it as JSON, "key": */
        const cJSON *item;    /* its value in the record under evaluation */
    } *keys;                  /* in input order */
    int nkeys, capkeys;
    unsigned shape;           /* counts the times the keys changed */
    bl_buf keytext;
    const cJSON *keyed;       /* the record the keys are of (while it is evaluated), or NULL */
    int fields_clean;         /* the last evaluation ended in C.finish, which took out the fields the
                               * policies added (take_added) */
    /* The field checks C.fields had last, resolved to positions among the keys (see check_fields). */
    struct check {
        int key;              /* index in keys, or -1: the record lacks the field */
        bl_rule rule;
    } *checks;
    int nchecks, capchecks, checks_ref;
    const void *checks_of;    /* the checks' table, which checks_ref holds: no other table has its address */
    unsigned checks_shape;    /* the shape they were resolved against */
    /* Each policy's {"policy":NAME,"version":VERSION as JSON, made once (see c_begin), and the ones
     * of the policies run in this evaluation, in order: the i-th decision is ran[i]'s. */
    struct head {
        const char *name, *version; /* strings heads_ref holds, so that no other string has their address */
        size_t off, len;            /* the text in headtext */
    } *heads;
    int nheads, capheads, heads_ref;
    bl_buf headtext;
    int *ran, nran, capran;
    int last_trip;            /* BL_TRIP_* of the last call: a limit it passed, if any */
};

bl_host_t *bl_host_of(lua_State *L) { return (bl_host_t *)bl_guard_of(L); }
lua_State *bl_host_state(bl_host_t *h) { return h->L; }
int bl_host_tripped(bl_host_t *h) { return h->last_trip; }
int bl_host_read(bl_host_t *h, const cJSON *req, cJSON **answer, char **err)
{
    *answer = NULL;
    *err = NULL;
    if (h->reader == NULL)
        return BL_NOTFOUND;
    return h->reader->read(h->reader, req, answer, err);
}
void bl_host_set_reader(bl_host_t *h, bl_reader *reads) { h->reader = reads; }
const char *bl_host_policy_now(bl_host_t *h) { return h->policy_now; }
int bl_host_loading(bl_host_t *h) { return h->loading; }
void bl_host_push_runtime(bl_host_t *h) { lua_rawgeti(h->L, LUA_REGISTRYINDEX, h->rt_ref); }

char *bl_source_version(const char *src, size_t len, char *buf)
{
    struct sha256_ctx ctx;
    uint8_t d[SHA256_DIGEST_SIZE];
    sha256_init(&ctx);
    sha256_update(&ctx, len, (const uint8_t *)src);
    sha256_digest(&ctx, sizeof d, d);
    for (int i = 0; i < 8; i++)
        snprintf(buf + 2 * i, 3, "%02x", d[i]);
    return buf;
}

/* Primitives the runtime calls ------------------------------------------------------------------ */

/* Stores the value on top of the stack (popped) at registry reference *ref, made when 0. */
static void set_ref(lua_State *L, int *ref)
{
    if (*ref)
        lua_rawseti(L, LUA_REGISTRYINDEX, *ref);
    else
        *ref = luaL_ref(L, LUA_REGISTRYINDEX);
}

/* Pushes the record's fields as a table, JSON null left out; returns whether a field holds an
 * object or an array. The table and the strings of its keys
 * are the host's, kept from one record to the next: when a record has the same keys in the same
 * order as the one before (a stream's records usually do) and the evaluation before added no field
 * (C.finish says so), the table is refilled in place, with no new table and no key hashed again.
 * Policies never hold the table itself, only the views of _runtime.lua, so nothing sees it change. */
static int push_fields(lua_State *L, bl_host_t *h)
{
    int n = 0, same = h->fields_clean, nulls = 0;
    for (const cJSON *c = h->input->child; c; c = c->next, n++) {
        same = same && n < h->nkeys && strcmp(c->string, h->keys[n].s) == 0;
        nulls = nulls || (c->type & 0xff) == cJSON_NULL;
    }
    same = same && n == h->nkeys;
    h->fields_clean = 0;
    if (!same) {
        if (n > h->capkeys) {
            h->capkeys = n > 2 * h->capkeys ? n : 2 * h->capkeys;
            h->keys = realloc(h->keys, (size_t)h->capkeys * sizeof *h->keys);
        }
        lua_createtable(L, n, 0);
        h->keytext.len = 0;
        int i = 0;
        for (const cJSON *c = h->input->child; c; c = c->next, i++) {
            struct key *k = &h->keys[i];
            lua_pushstring(L, c->string);
            k->s = lua_tolstring(L, -1, &k->len); /* the table below holds it */
            k->off = h->keytext.len;
            bl_json_put_str(&h->keytext, k->s, k->len);
            bl_json_put(&h->keytext, ":", 1);
            lua_rawseti(L, -2, i + 1);
        }
        h->nkeys = n;
        h->shape++;
        set_ref(L, &h->keys_ref);
        lua_createtable(L, 0, n + 1); /* one spare: a policy usually adds one field (d:set) */
        set_ref(L, &h->fields_ref);
    }
    h->keyed = h->input;
    lua_rawgeti(L, LUA_REGISTRYINDEX, h->fields_ref);
    lua_rawgeti(L, LUA_REGISTRYINDEX, h->keys_ref);
    /* the null fields first, then the others: of a key given twice, a value wins over a null */
    int i = 0, nested = 0;
    for (const cJSON *c = h->input->child; c && nulls; c = c->next, i++) {
        if ((c->type & 0xff) == cJSON_NULL) {
            lua_rawgeti(L, -1, i + 1);
            lua_pushnil(L);
            lua_rawset(L, -4);
        }
    }
    i = 0;
    for (const cJSON *c = h->input->child; c; c = c->next, i++) {
        h->keys[i].item = c;
        if (nulls && (c->type & 0xff) == cJSON_NULL)
            continue;
        lua_rawgeti(L, -1, i + 1);
        bl_lua_pushjson(L, c, 1);
        lua_rawset(L, -4);
        nested = nested || (c->type & (cJSON_Object | cJSON_Array));
    }
    lua_pop(L, 1);
    return nested;
}

/* Reads the rules of the checks at index 1 (R.seal's flat list, core/fields.h) into h->checks, once per
 * table. */
static void compile_checks(lua_State *L, bl_host_t *h)
{
    for (int j = 0; j < h->nchecks; j++)
        bl_rule_free(&h->checks[j].rule);
    int n = (int)(lua_rawlen(L, 1) / BL_RULE_STRIDE);
    if (n > h->capchecks) {
        h->capchecks = n;
        h->checks = realloc(h->checks, (size_t)n * sizeof *h->checks);
    }
    for (int j = 0; j < n; j++)
        bl_rule_read(L, 1, j, &h->checks[j].rule);
    h->nchecks = n;
    lua_pushvalue(L, 1);
    set_ref(L, &h->checks_ref); /* the rules point at its strings */
    h->checks_of = lua_topointer(L, 1);
}

/* Finds each checked field among the keys of the record push_fields pushed (the last of the same name,
 * as in the table). */
static void resolve_checks(lua_State *L, bl_host_t *h)
{
    for (int j = 0; j < h->nchecks; j++) {
        struct check *k = &h->checks[j];
        size_t len;
        lua_rawgeti(L, 1, BL_RULE_STRIDE * j + 1);
        const char *name = lua_tolstring(L, -1, &len);
        k->key = -1;
        for (int i = h->nkeys - 1; i >= 0 && k->key < 0 && name; i--)
            if (h->keys[i].len == len && memcmp(h->keys[i].s, name, len) == 0)
                k->key = i;
        lua_pop(L, 1);
    }
    h->checks_shape = h->shape;
}

/* Runs the checks of the table at index 1 on the parsed record (core/fields.h); JSON null counts as
 * absent. Returns 0 when all pass; else pushes { j, why, ... }: every failing check's number (from 1)
 * and why it fails (bl_why_word), and returns 1. Rules are read once per table, positions once per table
 * and shape of record. */
static int check_fields(lua_State *L, bl_host_t *h)
{
    if (lua_topointer(L, 1) != h->checks_of) {
        compile_checks(L, h);
        resolve_checks(L, h);
    } else if (h->checks_shape != h->shape) {
        resolve_checks(L, h);
    }
    int bad = 0;
    for (int j = 0; j < h->nchecks; j++) {
        const struct check *k = &h->checks[j];
        const cJSON *v = k->key >= 0 ? h->keys[k->key].item : NULL;
        for (int i = k->key - 1; v && cJSON_IsNull(v) && i >= 0; i--) /* a key given twice: the value that counts */
            if (h->keys[i].len == h->keys[k->key].len && memcmp(h->keys[i].s, h->keys[k->key].s, h->keys[i].len) == 0 &&
                !cJSON_IsNull(h->keys[i].item))
                v = h->keys[i].item;
        int why;
        if (v == NULL || cJSON_IsNull(v))
            why = k->rule.optional ? BL_WHY_OK : BL_WHY_MISSING;
        else
            why = bl_rule_check(&k->rule, v);
        if (why == BL_WHY_OK)
            continue;
        if (!bad)
            lua_newtable(L);
        lua_pushinteger(L, j + 1);
        lua_rawseti(L, -2, ++bad);
        lua_pushstring(L, bl_why_word(why));
        lua_rawseti(L, -2, ++bad);
    }
    return bad > 0;
}

/* C.fields(checks) → fields, bad, nested: the record as a table (push_fields); nil when it passes the
 * field checks, else { j, why, ... } (check_fields); whether any field holds an object or array. checks: R.seal's flat list { name, kind, optional, spec, ... } (core/fields.h). */
static int c_fields(lua_State *L)
{
    bl_host_t *h = bl_host_of(L);
    lua_settop(L, 1);
    h->nran = 0; /* an evaluation starts */
    int nested = push_fields(L, h); /* 2 */
    if (!lua_istable(L, 1) || !check_fields(L, h))
        lua_pushnil(L);
    lua_pushboolean(L, nested);
    return 3;
}


/* Writing the answer ----------------------------------------------------------------------------- */

#define LIT(b, lit) BL_JSON_LIT(b, lit)

/* Writes the Lua value on top of the stack (popped), or raises naming what it was. */
static void put_top(lua_State *L, bl_buf *b, const char *what)
{
    char err[200];
    if (bl_lua_put(L, -1, b, err, sizeof err) != 0)
        luaL_error(L, "%s: %s", what, err);
    lua_pop(L, 1);
}

/* The string at idx, or null. */
static void put_opt_str(lua_State *L, bl_buf *b, int idx)
{
    size_t n;
    const char *s = lua_type(L, idx) == LUA_TSTRING ? lua_tolstring(L, idx, &n) : NULL;
    if (s)
        bl_json_put_str(b, s, n);
    else
        LIT(b, "null");
}

/* t[i] as put_opt_str */
static void put_slot_str(lua_State *L, bl_buf *b, int t, int i)
{
    lua_rawgeti(L, t, i);
    put_opt_str(L, b, -1);
    lua_pop(L, 1);
}

#define MAX_HEADS 256 /* then the heads are made afresh: policies may come and go in a long-lived host */

/* The head of policy (name, version at indexes 1 and 2), made when first asked for. */
static int policy_head(lua_State *L, bl_host_t *h)
{
    const char *name = lua_tostring(L, 1), *version = lua_tostring(L, 2);
    for (int i = 0; i < h->nheads; i++)
        if (h->heads[i].name == name && h->heads[i].version == version)
            return i;
    if (h->nheads == MAX_HEADS && h->nran == 0) { /* not while this evaluation's decisions point at them */
        h->nheads = 0;
        h->headtext.len = 0;
    }
    if (h->nheads == 0) {
        lua_newtable(L);
        set_ref(L, &h->heads_ref);
    }
    if (h->nheads == h->capheads) {
        h->capheads = h->capheads ? 2 * h->capheads : 8;
        h->heads = realloc(h->heads, (size_t)h->capheads * sizeof *h->heads);
    }
    lua_rawgeti(L, LUA_REGISTRYINDEX, h->heads_ref);
    lua_pushvalue(L, 1);
    lua_rawseti(L, -2, 2 * h->nheads + 1);
    lua_pushvalue(L, 2);
    lua_rawseti(L, -2, 2 * h->nheads + 2);
    lua_pop(L, 1);
    struct head *e = &h->heads[h->nheads];
    e->name = name;
    e->version = version;
    e->off = h->headtext.len;
    LIT(&h->headtext, "{\"policy\":");
    put_opt_str(L, &h->headtext, 1);
    LIT(&h->headtext, ",\"version\":");
    put_opt_str(L, &h->headtext, 2);
    e->len = h->headtext.len - e->off;
    return h->nheads++;
}

/* C.begin(name, version): policy `name` runs next; its limits start afresh. */
static int c_begin(lua_State *L)
{
    bl_host_t *h = bl_host_of(L);
    lua_settop(L, 2);
    h->policy_now = lua_tostring(L, 1);
    int head = policy_head(L, h);
    if (h->nran == h->capran) {
        h->capran = h->capran ? 2 * h->capran : 8;
        h->ran = realloc(h->ran, (size_t)h->capran * sizeof *h->ran);
    }
    h->ran[h->nran++] = head;
    atomic_store_explicit(&h->guard.policy, h->policy_now, memory_order_relaxed);
    bl_guard_begin(&h->guard, L);
    return 0;
}

/* The fields the decisions change, each once, in the order first proposed. */
static int touched_find(const bl_host_t *h, const char *k, size_t len)
{
    for (int i = 0; i < h->ntouched; i++)
        if (h->touched[i].len == len && (h->touched[i].name == k || memcmp(h->touched[i].name, k, len) == 0))
            return i;
    return -1;
}

static void touched_add(bl_host_t *h, const char *k, size_t len)
{
    if (touched_find(h, k, len) >= 0)
        return;
    if (h->ntouched == h->captouched) {
        h->captouched = h->captouched ? 2 * h->captouched : 16;
        h->touched = realloc(h->touched, (size_t)h->captouched * sizeof *h->touched);
    }
    h->touched[h->ntouched].name = k;
    h->touched[h->ntouched].len = len;
    h->touched[h->ntouched].seen = 0;
    h->ntouched++;
}

/* One field of the record with its current value (fields at index 1), unless that is nil; returns
 * whether it wrote one. */
static int put_current(lua_State *L, bl_buf *b, const char *k, size_t len, int *first)
{
    lua_pushlstring(L, k, len); /* k may hold a NUL */
    if (lua_rawget(L, 1) == LUA_TNIL) {
        lua_pop(L, 1);
        return 0;
    }
    if (!*first)
        LIT(b, ",");
    *first = 0;
    bl_json_put_str(b, k, len);
    LIT(b, ":");
    put_top(L, b, k);
    return 1;
}

/* "record": the input record, in its order, with each changed field's final value in place; removed
 * fields left out; new fields after, in the order first proposed. */
static void put_record(lua_State *L, bl_host_t *h, bl_buf *b)
{
    LIT(b, "{\"record\":{");
    int first = 1, i = 0;
    const struct key *keys = h->keyed == h->input ? h->keys : NULL; /* the keys as strings and JSON */
    for (const cJSON *c = h->input->child; c; c = c->next, i++) {
        if (h->ntouched) {
            int t = keys ? touched_find(h, keys[i].s, keys[i].len) : touched_find(h, c->string, strlen(c->string));
            if (t >= 0) {
                h->touched[t].seen = 1;
                put_current(L, b, c->string, strlen(c->string), &first);
                continue;
            }
        }
        if (!first)
            LIT(b, ",");
        first = 0;
        if (keys) {
            bl_json_put(b, h->keytext.data + keys[i].off, (c->next ? keys[i + 1].off : h->keytext.len) - keys[i].off);
        } else {
            bl_json_put_str(b, c->string, strlen(c->string));
            LIT(b, ":");
        }
        bl_json_put_value(b, c);
    }
    for (int t = 0; t < h->ntouched; t++)
        if (!h->touched[t].seen)
            put_current(L, b, h->touched[t].name, h->touched[t].len, &first);
    LIT(b, "}");
}

/* The changes of a decision whose list { field, value, ... } is at ch: each field once, where first
 * proposed, with its last value. */
static void put_changes(lua_State *L, bl_host_t *h, bl_buf *b, int ch)
{
    lua_Integer n = luaL_len(L, ch);
    int firstout = 1;
    for (lua_Integer i = 1; i < n; i += 2) {
        lua_rawgeti(L, ch, i);
        size_t kn;
        const char *k = lua_tolstring(L, -1, &kn); /* held by the builder until the answer is written */
        lua_Integer last = i;
        int first = 1;
        for (lua_Integer j = 1; j < n && first; j += 2) {
            if (j == i)
                continue;
            lua_rawgeti(L, ch, j);
            if (strcmp(lua_tostring(L, -1), k) == 0) {
                if (j < i)
                    first = 0;
                else
                    last = j;
            }
            lua_pop(L, 1);
        }
        if (first) {
            if (!firstout)
                LIT(b, ",");
            firstout = 0;
            bl_json_put_str(b, k, strlen(k));
            LIT(b, ":");
            touched_add(h, k, kn);
            lua_rawgeti(L, ch, last + 1);
            put_top(L, b, k);
        }
        lua_pop(L, 1);
    }
}

/* Decision nth (from 1); the builder is at index d (see _runtime.lua: CHANGES, REASONS, ...). Its
 * policy is the one C.begin named, whatever the builder's own slots say. */
static void put_decision(lua_State *L, bl_host_t *h, bl_buf *b, int nth, int d)
{
    const struct head *e = &h->heads[h->ran[nth - 1]];
    bl_json_put(b, h->headtext.data + e->off, e->len);
    LIT(b, ",\"verdict\":");
    put_slot_str(L, b, d, 5);

    int t = lua_rawgeti(L, d, 4), rs = lua_gettop(L); /* one reason, or a list of them */
    LIT(b, ",\"explanation\":"); /* the reasons, joined with "; " */
    if (t == LUA_TSTRING) { /* the same text twice: escaped once, then copied */
        size_t at = b->len;
        put_opt_str(L, b, rs);
        size_t n = b->len - at;
        bl_buf_reserve(b, n + 16);
        LIT(b, ",\"reasons\":[");
        bl_json_put(b, b->data + at, n);
        LIT(b, "]");
    } else {
        lua_Integer nr = t == LUA_TTABLE ? luaL_len(L, rs) : 0;
        h->scratch.len = 0;
        for (lua_Integer i = 1; i <= nr; i++) {
            size_t n;
            lua_rawgeti(L, rs, i);
            const char *s = lua_tolstring(L, -1, &n);
            if (i > 1)
                bl_json_put(&h->scratch, "; ", 2);
            if (s)
                bl_json_put(&h->scratch, s, n);
            lua_pop(L, 1);
        }
        bl_json_put_str(b, h->scratch.data ? h->scratch.data : "", h->scratch.len);
        LIT(b, ",\"reasons\":[");
        for (lua_Integer i = 1; i <= nr; i++) {
            if (i > 1)
                LIT(b, ",");
            put_slot_str(L, b, rs, (int)i);
        }
        LIT(b, "]");
    }
    lua_pop(L, 1); /* reasons */
    if (lua_rawgeti(L, d, 13) == LUA_TTABLE) { /* the reasons in Chinese and as messages (_runtime.lua: I18N) */
        char err[200];
        cJSON *j = bl_lua_tojson(L, -1, err, sizeof err);
        lua_pop(L, 1);
        if (j == NULL)
            luaL_error(L, "a message's parameters: %s", err);
        bl_i18n_sort(j); /* the same text from every Lua state, whatever its tables' order */
        LIT(b, ",\"i18n\":");
        bl_json_put_value(b, j);
        cJSON_Delete(j);
    } else {
        lua_pop(L, 1);
    }

    LIT(b, ",\"changes\":{");
    t = lua_rawgeti(L, d, 3); /* the field of the one change, or the list of them */
    if (t == LUA_TSTRING) {
        size_t kn;
        const char *k = lua_tolstring(L, -1, &kn);
        bl_json_put_str(b, k, kn);
        LIT(b, ":");
        touched_add(h, k, kn);
        lua_rawgeti(L, d, 10);
        put_top(L, b, k);
    } else if (t == LUA_TTABLE) {
        put_changes(L, h, b, lua_gettop(L));
    }
    lua_pop(L, 1);
    LIT(b, "}}");
}

/* Writes entry e of the list of policy name (a stack index). */
typedef void (*put_entry)(lua_State *L, bl_host_t *h, bl_buf *b, int e, int name);

/* ,"key":[...]: the entries of list `slot` of every builder (ds at index 2, n of them); with
 * optional, nothing at all when there are none. */
static void put_list(lua_State *L, bl_host_t *h, bl_buf *b, int n, const char *key, int slot, put_entry each,
                     int optional)
{
    int count = 0;
    for (int i = 1; i <= n; i++) {
        lua_rawgeti(L, 2, i);
        int d = lua_gettop(L);
        lua_rawgeti(L, LUA_REGISTRYINDEX, h->heads_ref); /* the name C.begin had, as in the decision */
        lua_rawgeti(L, -1, 2 * h->ran[i - 1] + 1);
        lua_remove(L, -2);
        if (lua_rawgeti(L, d, slot) == LUA_TTABLE) {
            lua_Integer m = luaL_len(L, -1);
            for (lua_Integer j = 1; j <= m; j++) {
                if (count++) {
                    LIT(b, ",");
                } else {
                    LIT(b, ",\"");
                    bl_json_put(b, key, strlen(key));
                    LIT(b, "\":[");
                }
                lua_rawgeti(L, d + 2, j);
                each(L, h, b, lua_gettop(L), d + 1);
                lua_pop(L, 1);
            }
        }
        lua_settop(L, d - 1);
    }
    if (count)
        LIT(b, "]");
    else if (!optional) {
        LIT(b, ",\"");
        bl_json_put(b, key, strlen(key));
        LIT(b, "\":[]");
    }
}

/* ,"policy":name} — the end of every point, event, deadline and cancel */
static void put_policy_end(lua_State *L, bl_buf *b, int name)
{
    LIT(b, ",\"policy\":");
    put_opt_str(L, b, name);
    LIT(b, "}");
}

/* { subject, n, reason, period } */
static void put_point(lua_State *L, bl_host_t *h, bl_buf *b, int e, int name)
{
    LIT(b, "{\"subject\":");
    put_slot_str(L, b, e, 1);
    LIT(b, ",\"points\":");
    lua_rawgeti(L, e, 2);
    bl_json_put_int(b, (long long)lua_tointeger(L, -1));
    lua_pop(L, 1);
    LIT(b, ",\"period\":");
    if (lua_rawgeti(L, e, 4) == LUA_TSTRING) {
        put_opt_str(L, b, -1);
    } else {
        if (h->month[0] == '\0')
            bl_time_month(bl_clock_now_ms(), h->month);
        bl_json_put_str(b, h->month, strlen(h->month));
    }
    lua_pop(L, 1);
    LIT(b, ",\"reason\":");
    put_slot_str(L, b, e, 3);
    put_policy_end(L, b, name);
}

/* ,"payload": e[i], a table, or {} */
static void put_payload(lua_State *L, bl_buf *b, int e, int i)
{
    LIT(b, ",\"payload\":");
    if (lua_rawgeti(L, e, i) == LUA_TNIL) {
        lua_pop(L, 1);
        LIT(b, "{}");
    } else {
        put_top(L, b, "payload");
    }
}

/* { kind, payload } */
static void put_event(lua_State *L, bl_host_t *h, bl_buf *b, int e, int name)
{
    LIT(b, "{\"kind\":");
    put_slot_str(L, b, e, 1);
    put_payload(L, b, e, 2);
    put_policy_end(L, b, name);
}

/* { name, due (seconds), payload, provisional, spec } */
static void put_deadline(lua_State *L, bl_host_t *h, bl_buf *b, int e, int name)
{
    LIT(b, "{\"name\":");
    put_slot_str(L, b, e, 1);
    lua_rawgeti(L, e, 2);
    double due = lua_tonumber(L, -1) * 1000.0; /* checked by d:deadline: a number of the years 1970..9999 */
    lua_pop(L, 1);
    char buf[32];
    LIT(b, ",\"due\":");
    bl_time_format((int64_t)due, buf);
    bl_json_put_str(b, buf, strlen(buf));
    LIT(b, ",\"due_ms\":");
    bl_json_put_num(b, floor(due));
    put_payload(L, b, e, 3);
    if (lua_rawgeti(L, e, 4) == LUA_TBOOLEAN && lua_toboolean(L, -1)) {
        LIT(b, ",\"provisional\":true,\"spec\":");
        lua_pop(L, 1);
        lua_rawgeti(L, e, 5);
        put_top(L, b, "spec");
    } else {
        lua_pop(L, 1);
    }
    put_policy_end(L, b, name);
}

/* name */
static void put_cancel(lua_State *L, bl_host_t *h, bl_buf *b, int e, int name)
{
    LIT(b, "{\"name\":");
    put_opt_str(L, b, e);
    put_policy_end(L, b, name);
}

/* Takes the fields the policies added out of the record's table (at index 1) again, so that it holds
 * only the input's keys for push_fields; sets: every field d:set named, nsets of them. Returns 0 when
 * it cannot tell which keys are the input's. */
static int take_added(lua_State *L, bl_host_t *h, int sets, lua_Integer nsets)
{
    if (h->keyed != h->input)
        return 0;
    for (lua_Integer i = 1; i <= nsets; i++) {
        size_t len;
        lua_rawgeti(L, sets, i);
        const char *k = lua_tolstring(L, -1, &len);
        int input = 0;
        for (int j = 0; j < h->nkeys && !input && k; j++)
            input = h->keys[j].len == len && (h->keys[j].s == k || memcmp(h->keys[j].s, k, len) == 0);
        if (input || !k) {
            lua_pop(L, 1);
        } else {
            lua_pushnil(L);
            lua_rawset(L, 1);
        }
    }
    return 1;
}

/* C.finish(fields, builders, n, listed, sets, nsets): the policies are done; writes the answer
 * {"record", "decisions", "points", "events"[, "deadlines"][, "cancels"]} to the host's output.
 * listed: whether any builder has points, events, deadlines or cancels (else none is looked for).
 * Then takes the fields the policies added out of the record's table (take_added). */
static int c_finish(lua_State *L)
{
    bl_host_t *h = bl_host_of(L);
    h->policy_now = NULL;
    bl_guard_end(&h->guard);
    int n = (int)luaL_checkinteger(L, 3);
    if (n != h->nran) /* every decision's policy is known from C.begin */
        return luaL_error(L, "internal error: %d decisions but %d policies begun", n, h->nran);
    bl_buf *out = h->out;
    h->ntouched = 0;
    h->month[0] = '\0'; /* the default period of points, made when first needed */
    luaL_checkstack(L, 20, NULL);
    /* the decisions first, to the side: they say which fields changed, which the record needs */
    h->side.len = 0;
    LIT(&h->side, ",\"decisions\":[");
    for (int i = 1; i <= n; i++) {
        if (i > 1)
            LIT(&h->side, ",");
        lua_rawgeti(L, 2, i);
        put_decision(L, h, &h->side, i, lua_gettop(L));
        lua_pop(L, 1);
    }
    LIT(&h->side, "]");
    put_record(L, h, out);
    bl_json_put(out, h->side.data, h->side.len);
    if (lua_toboolean(L, 4)) {
        put_list(L, h, out, n, "points", 6, put_point, 0);
        put_list(L, h, out, n, "events", 7, put_event, 0);
        put_list(L, h, out, n, "deadlines", 8, put_deadline, 1);
        put_list(L, h, out, n, "cancels", 9, put_cancel, 1);
    } else {
        LIT(out, ",\"points\":[],\"events\":[]");
    }
    LIT(out, "}");
    h->fields_clean = lua_istable(L, 5) && take_added(L, h, 5, luaL_optinteger(L, 6, 0));
    return 0;
}

/* C.closest(word, list) → the string of list closest to word, for "did you mean" (bl_closest), or nil. */
static int c_closest(lua_State *L)
{
    const char *k = luaL_checkstring(L, 1);
    luaL_checktype(L, 2, LUA_TTABLE);
    int n = (int)lua_rawlen(L, 2), m = 0;
    const char **names = bl_xmalloc((size_t)(n ? n : 1) * sizeof *names);
    for (int i = 1; i <= n; i++) {
        if (lua_rawgeti(L, 2, i) == LUA_TSTRING)
            names[m++] = lua_tostring(L, -1); /* held by the list */
        lua_pop(L, 1);
    }
    const char *best = bl_closest(k, names, m);
    if (best)
        lua_pushstring(L, best);
    else
        lua_pushnil(L);
    free(names);
    return 1;
}

static int c_now(lua_State *L)
{
    lua_pushinteger(L, (lua_Integer)(bl_clock_now_ms() / 1000));
    return 1;
}

/* Running on the worker thread ------------------------------------------------------------------ */

/* "file:line" of the innermost frame of co with a line, optionally only frames of files under dir. */
static int frame_where(lua_State *co, const char *dir, char *buf, size_t n)
{
    lua_Debug ar;
    size_t dl = dir ? strlen(dir) : 0;
    for (int level = 0; lua_getstack(co, level, &ar); level++) {
        if (!lua_getinfo(co, "Sl", &ar) || ar.currentline <= 0)
            continue;
        if (dir && !(ar.source[0] == '@' && strncmp(ar.source + 1, dir, dl) == 0 && ar.source[1 + dl] == '/'))
            continue;
        snprintf(buf, n, "%s:%d", ar.source[0] == '@' ? ar.source + 1 : ar.short_src, ar.currentline);
        return 1;
    }
    return 0;
}

/* Whether the error on top of co is the runtime's "the record is wrong" (its metatable is C.INVALID,
 * which no policy can reach); looked at raw: no metamethod of a policy's value runs here. */
static int is_invalid(bl_host_t *h, lua_State *co)
{
    if (lua_type(co, -1) != LUA_TTABLE || !lua_getmetatable(co, -1))
        return 0;
    lua_rawgeti(co, LUA_REGISTRYINDEX, h->invalid_ref);
    int same = lua_rawequal(co, -1, -2);
    lua_pop(co, 2);
    return same;
}

/* Moves the function and nargs arguments on top of `from` to the worker and runs it. On failure
 * returns BL_ERR or BL_INVALID with *err set; the worker is reset and usable again. */
static int worker_run(bl_host_t *h, lua_State *from, int nargs, char **err)
{
    lua_State *co = h->co;
    lua_xmove(from, co, nargs + 1);
    int nres = 0;
    int st = lua_resume(co, from, nargs, &nres);
    bl_guard_end(&h->guard);
    h->last_trip = BL_TRIP_NONE;
    if (st == LUA_OK) {
        lua_settop(co, 0);
        h->policy_now = NULL;
        return BL_OK;
    }
    int rc = BL_ERR;
    const char *who = h->policy_now;
    char whobuf[340];
    if (who)
        snprintf(whobuf, sizeof whobuf, "policy '%s'", who);
    else
        snprintf(whobuf, sizeof whobuf, "%s", h->who);
    char where[300] = "", inpolicy[300] = "";
    if (!frame_where(co, NULL, where, sizeof where))
        snprintf(where, sizeof where, "%s", h->display_dir);
    int has_policy_frame = frame_where(co, h->display_dir, inpolicy, sizeof inpolicy);

    if (st == LUA_YIELD) {
        *err = bl_strdupf("%s: %s yielded outside a coroutine (coroutine.yield at the top of a policy)", where,
                          whobuf);
    } else if (h->guard.tripped != BL_TRIP_NONE) {
        char msg[400];
        bl_guard_describe(&h->guard, who ? who : h->who, msg, sizeof msg);
        if (!who) /* loading a file: describe it as such */
            snprintf(msg, sizeof msg, "%s ran past its %s", h->who,
                     h->guard.tripped == BL_TRIP_MEMORY ? "memory cap (--memory-mb)"
                     : h->guard.tripped == BL_TRIP_TIME ? "time limit (--timeout-ms)"
                                                        : "instruction budget (--budget)");
        const char *at = h->guard.where[0] ? h->guard.where : where;
        if (has_policy_frame && h->guard.tripped == BL_TRIP_MEMORY)
            at = inpolicy;
        *err = bl_strdupf("%s: %s", at, msg);
    } else if (st == LUA_ERRMEM) {
        *err = bl_strdupf("%s: %s ran out of memory: the policy set may use %zu MiB (--memory-mb)",
                          has_policy_frame ? inpolicy : where, whobuf, h->guard.lim.memory >> 20);
    } else if (is_invalid(h, co)) { /* the runtime's {field=, msg=, msg_zh=}: the record is wrong */
        lua_pushliteral(co, "msg");
        lua_rawget(co, -2);
        *err = bl_strdupf("%s", lua_tostring(co, -1) ? lua_tostring(co, -1) : "invalid record");
        lua_pop(co, 1);
        lua_pushliteral(co, "msg_zh");
        lua_rawget(co, -2);
        free(h->invalid_zh);
        h->invalid_zh = lua_type(co, -1) == LUA_TSTRING ? bl_strdupf("%s", lua_tostring(co, -1)) : NULL;
        rc = BL_INVALID;
    } else if (lua_type(co, -1) != LUA_TSTRING && lua_type(co, -1) != LUA_TNUMBER) { /* read nothing of it */
        *err = bl_strdupf("%s: %s raised an error that is not a text (a %s); raise errors with error(\"what went wrong\")",
                          has_policy_frame ? inpolicy : where, whobuf, lua_typename(co, lua_type(co, -1)));
    } else {
        const char *m = lua_tostring(co, -1);
        if (m == NULL)
            m = "(error object is not a string)";
        if (has_policy_frame && strstr(m, inpolicy) == NULL)
            *err = bl_strdupf("%s (%s, at %s)", m, whobuf, inpolicy);
        else if (who)
            *err = bl_strdupf("%s (%s)", m, whobuf);
        else
            *err = bl_strdupf("%s", m);
    }
    int memtrip = st == LUA_ERRMEM || h->guard.tripped == BL_TRIP_MEMORY;
    h->last_trip = h->guard.tripped != BL_TRIP_NONE ? h->guard.tripped : st == LUA_ERRMEM ? BL_TRIP_MEMORY : BL_TRIP_NONE;
    /* A fresh worker: an error thrown from the hook leaves the old thread with hooks disallowed
     * (Lua restores allowhook only in pcall, not in resume), so it cannot be reused. */
    lua_resetthread(co);
    luaL_unref(h->L, LUA_REGISTRYINDEX, h->co_ref);
    h->co = lua_newthread(h->L);
    h->co_ref = luaL_ref(h->L, LUA_REGISTRYINDEX);
    h->policy_now = NULL;
    h->guard.tripped = BL_TRIP_NONE;
    if (memtrip)
        lua_gc(h->L, LUA_GCCOLLECT);
    return rc;
}


/* Runs the function and nargs arguments on top of L, which end with C.finish writing the answer to
 * out; on failure out is as it was. */
static int run_into(bl_host_t *h, const cJSON *record, bl_reader *reads, int nargs, bl_buf *out, char **err)
{
    size_t mark = out->len;
    h->input = record;
    h->reader = reads;
    h->out = out;
    int rc = worker_run(h, h->L, nargs, err);
    h->input = NULL;
    h->keyed = NULL;
    h->reader = NULL;
    h->out = NULL;
    if (rc != BL_OK) {
        out->len = mark;
        if (out->data)
            out->data[mark] = '\0';
    }
    return rc;
}

int bl_host_eval_json(bl_host_t *h, const char *type, const cJSON *record, bl_reader *reads, bl_buf *out, char **err)
{
    *err = NULL;
    if (!cJSON_IsObject(record)) {
        *err = bl_strdupf("a record must be a JSON object");
        return BL_INVALID;
    }
    if (strcmp(h->who, "the engine") != 0) /* not a snprintf per record */
        snprintf(h->who, sizeof h->who, "the engine");
    lua_rawgeti(h->L, LUA_REGISTRYINDEX, h->eval_ref);
    lua_pushstring(h->L, type);
    return run_into(h, record, reads, 1, out, err);
}

/* The answer written to a buffer, parsed into a tree. */
static int answer_tree(int rc, bl_buf *b, cJSON **out, char **err)
{
    if (rc == BL_OK) {
        char perr[200];
        *out = bl_json_parse(b->data, b->len, perr, sizeof perr);
        if (*out == NULL) { /* cannot happen: the text is ours */
            *err = bl_strdupf("internal error: the answer is not valid JSON: %s", perr);
            rc = BL_ERR;
        }
    }
    bl_buf_free(b);
    return rc;
}

int bl_host_eval(bl_host_t *h, const char *type, const cJSON *record, bl_reader *reads, cJSON **out, char **err)
{
    bl_buf b = {0};
    *out = NULL;
    return answer_tree(bl_host_eval_json(h, type, record, reads, &b, err), &b, out, err);
}

int bl_host_fire(bl_host_t *h, const char *type, const cJSON *record, const char *policy, const char *timer,
                 const cJSON *info, bl_reader *reads, cJSON **out, char **err)
{
    bl_buf b = {0};
    *out = NULL;
    return answer_tree(bl_host_fire_json(h, type, record, policy, timer, info, reads, &b, err), &b, out, err);
}

int bl_host_fire_json(bl_host_t *h, const char *type, const cJSON *record, const char *policy, const char *timer,
                      const cJSON *info, bl_reader *reads, bl_buf *out, char **err)
{
    *err = NULL;
    lua_State *L = h->L;
    snprintf(h->who, sizeof h->who, "timer '%s' of policy '%s'", timer, policy);
    snprintf(h->guard.label, sizeof h->guard.label, "%.120s", h->who);
    bl_host_push_runtime(h);
    lua_getfield(L, -1, "fire");
    lua_remove(L, -2);
    lua_pushstring(L, policy);
    lua_pushstring(L, timer);
    bl_lua_pushjson(L, info, 1);
    (void)type;
    return run_into(h, record, reads, 3, out, err);
}

/* Loading ---------------------------------------------------------------------------------------- */

int bl_script_run(lua_State *L, const char *scripts_dir, const char *name, int nargs)
{
    char path[1100];
    snprintf(path, sizeof path, "%s/%s", scripts_dir, name);
    int st = luaL_loadfilex(L, path, "t");
    if (st != LUA_OK) {
        lua_insert(L, -nargs - 1);
        lua_pop(L, nargs);
        return st;
    }
    lua_insert(L, -nargs - 1);
    return lua_pcall(L, nargs, 1, 0);
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

char **bl_policy_files(const char *dir, int *n)
{
    *n = 0;
    DIR *d = opendir(dir);
    if (d == NULL)
        return NULL;
    char **v = NULL;
    int cap = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' || e->d_name[0] == '_' || !ends_with(e->d_name, ".lua") ||
            ends_with(e->d_name, "_test.lua"))
            continue;
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            v = realloc(v, (size_t)cap * sizeof *v);
        }
        v[(*n)++] = bl_strdupf("%s/%s", dir, e->d_name);
    }
    closedir(d);
    if (*n)
        qsort(v, (size_t)*n, sizeof *v, cmp_str);
    return v;
}


/* Loads one policy file into the runtime; on failure appends "file:line: message" to errors. */
static void load_policy_file(bl_host_t *h, const char *path, bl_buf *errors)
{
    lua_State *L = h->L;
    size_t len;
    char *src = bl_read_file(path, &len);
    if (src == NULL) {
        bl_buf_printf(errors, "%s: cannot read the file\n", path);
        return;
    }
    char version[17], chunkname[1100];
    bl_source_version(src, len, version);
    const char *base = strrchr(path, '/');
    snprintf(chunkname, sizeof chunkname, "@%s/%s", h->display_dir, base ? base + 1 : path);
    int st = luaL_loadbufferx(L, src, len, chunkname, "t");
    free(src);
    if (st != LUA_OK) {
        bl_buf_printf(errors, "%s\n", lua_tostring(L, -1));
        lua_pop(L, 1);
        return;
    }
    bl_sandbox_push_env(L);
    lua_rawgeti(L, LUA_REGISTRYINDEX, h->rt_ref);
    lua_getfield(L, -1, "declarer");
    lua_pushstring(L, chunkname + 1);
    lua_pushstring(L, version);
    lua_call(L, 2, 1);
    lua_pushliteral(L, "policy");
    lua_insert(L, -2);
    lua_rawset(L, -4); /* env.policy = the declarer bound to this file (env refuses plain sets) */
    lua_pop(L, 1);
    lua_setupvalue(L, -2, 1);
    snprintf(h->who, sizeof h->who, "loading %.280s", chunkname + 1);
    snprintf(h->guard.label, sizeof h->guard.label, "%.120s", h->who);
    atomic_store(&h->guard.policy, NULL);
    bl_guard_begin(&h->guard, h->co);
    char *err = NULL;
    if (worker_run(h, L, 0, &err) != BL_OK) {
        bl_buf_printf(errors, "%s\n", err);
        free(err);
    }
}

static void add_module(lua_State *L, const char *name, lua_CFunction open)
{
    luaL_requiref(L, name, open, 0);
    bl_sandbox_set(L, name);
}

static void trim_slashes(char *dir)
{
    size_t n = strlen(dir);
    while (n > 1 && dir[n - 1] == '/')
        dir[--n] = '\0';
}

bl_host_t *bl_host_open(const bl_host_config *cfg, bl_buf *errors)
{
    bl_host_t *h = calloc(1, sizeof *h);
    h->guard.lim = cfg->limits;
    h->guard.line = cfg->line_hook;
    h->policy_dir = bl_strdupf("%s", cfg->policy_dir);
    h->scripts_dir = bl_strdupf("%s", cfg->scripts_dir);
    h->display_dir = bl_strdupf("%s", cfg->display_dir ? cfg->display_dir : cfg->policy_dir);
    trim_slashes(h->policy_dir);
    trim_slashes(h->display_dir);
    lua_State *L = h->L = bl_guard_newstate(&h->guard);
    if (L == NULL) {
        bl_buf_printf(errors, "cannot create a Lua state (memory cap %zu bytes)\n", cfg->limits.memory);
        bl_host_close(h);
        return NULL;
    }
    /* The runtime (trusted) sees the whole state's globals, with debug; policies see the sandbox. */
    luaL_requiref(L, "debug", luaopen_debug, 1);
    lua_pop(L, 1);
    bl_sandbox_open(L, h->scripts_dir, h->policy_dir, h->display_dir);
    add_module(L, "json", luaopen_bylaw_json);
    add_module(L, "records", luaopen_bylaw_records);
    add_module(L, "ledger", luaopen_bylaw_ledger);
    add_module(L, "log", luaopen_bylaw_log);
    add_module(L, "bylaw", luaopen_bylaw_core);
    add_module(L, "calendar", luaopen_bylaw_calendar);
    lua_pushcfunction(L, bl_lua_print);
    bl_sandbox_set(L, "print");

    h->co = lua_newthread(L);
    h->co_ref = luaL_ref(L, LUA_REGISTRYINDEX);

    char rt[1100];
    snprintf(rt, sizeof rt, "%s/_runtime.lua", h->scripts_dir);
    if (luaL_loadfilex(L, rt, "t") != LUA_OK) {
        bl_buf_printf(errors, "%s (is --scripts pointing at the engine's scripts/ directory?)\n",
                      lua_tostring(L, -1));
        bl_host_close(h);
        return NULL;
    }
    static const luaL_Reg prims[] = {
        {"fields", c_fields}, {"begin", c_begin},     {"finish", c_finish},
        {"now", c_now},       {"closest", c_closest}, {NULL, NULL},
    };
    luaL_newlib(L, prims);
    bl_lua_pushnull(L);
    lua_setfield(L, -2, "NIL");
    bl_fields_push_kinds(L);
    lua_setfield(L, -2, "KINDS");
    lua_pushboolean(L, cfg->english_only);
    lua_setfield(L, -2, "ENGLISH_ONLY");
    lua_newtable(L); /* the metatable of the runtime's "the record is wrong" errors */
    lua_pushvalue(L, -1);
    h->invalid_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    lua_setfield(L, -2, "INVALID");
    if (lua_pcall(L, 1, 1, 0) != LUA_OK) {
        bl_buf_printf(errors, "%s\n", lua_tostring(L, -1));
        bl_host_close(h);
        return NULL;
    }
    lua_getfield(L, -1, "evaluate");
    h->eval_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    lua_getfield(L, -1, "TYPES"); /* the field types' makers: sandbox globals, string(n) the string library's call */
    for (lua_pushnil(L); lua_next(L, -2); ) {
        const char *name = lua_tostring(L, -2);
        if (strcmp(name, "string") == 0)
            bl_sandbox_set_call(L, name);
        else
            bl_sandbox_set(L, name);
    }
    lua_pop(L, 1);
    if (luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE) && lua_getfield(L, -1, "calendar") == LUA_TTABLE)
        lua_setfield(L, -3, "calendar"); /* R.calendar: the runtime computes deadlines with it */
    else
        lua_pop(L, 1);
    lua_pop(L, 1);
    h->rt_ref = luaL_ref(L, LUA_REGISTRYINDEX);

    int n;
    char **files = bl_policy_files(h->policy_dir, &n);
    size_t before = errors->len;
    if (files == NULL && n == 0) {
        DIR *d = opendir(h->policy_dir);
        if (d == NULL)
            bl_buf_printf(errors, "%s: cannot open the policy directory\n", h->policy_dir);
        else
            closedir(d);
    }
    h->loading = 1;
    for (int i = 0; i < n; i++) {
        load_policy_file(h, files[i], errors);
        free(files[i]);
    }
    h->loading = 0;
    free(files);
    bl_host_push_runtime(h);
    lua_getfield(L, -1, "seal");
    lua_call(L, 0, 0);
    lua_pop(L, 1);
    if (errors->len != before) {
        bl_host_close(h);
        return NULL;
    }
    lua_gc(L, LUA_GCCOLLECT);
    lua_gc(L, LUA_GCGEN, 0, 0); /* short-lived tables per record: generational mode suits them */
    bl_time_set_offset(bl_cal_offset_minutes(bl_calendar_get(L, NULL))); /* times people read are local */
    return h;
}

const char *bl_host_invalid_in(const bl_host_t *h, const char *lang)
{
    return lang && strcmp(lang, "zh-CN") == 0 ? h->invalid_zh : NULL;
}

void bl_host_close(bl_host_t *h)
{
    if (h == NULL)
        return;
    if (h->L)
        lua_close(h->L);
    bl_guard_close(&h->guard);
    bl_buf_free(&h->side);
    bl_buf_free(&h->scratch);
    free(h->invalid_zh);
    free(h->touched);
    free(h->keys);
    for (int j = 0; j < h->nchecks; j++)
        bl_rule_free(&h->checks[j].rule);
    free(h->checks);
    free(h->heads);
    free(h->ran);
    bl_buf_free(&h->headtext);
    bl_buf_free(&h->keytext);
    free(h->policy_dir);
    free(h->display_dir);
    free(h->scripts_dir);
    free(h);
}

static const char *field_str(lua_State *L, int t, const char *k)
{
    lua_getfield(L, t, k);
    const char *s = lua_tostring(L, -1); /* held by the table */
    lua_pop(L, 1);
    return s;
}

cJSON *bl_host_policies(bl_host_t *h)
{
    lua_State *L = h->L;
    cJSON *a = cJSON_CreateArray();
    bl_host_push_runtime(h);
    lua_getfield(L, -1, "list");
    lua_Integer n = luaL_len(L, -1);
    for (lua_Integer i = 1; i <= n; i++) {
        lua_rawgeti(L, -1, i);
        int p = lua_gettop(L);
        cJSON *o = cJSON_CreateObject();
        cJSON_AddItemToArray(a, o);
        bl_json_add_str(o, "name", field_str(L, p, "name"));
        bl_json_add_str(o, "type", field_str(L, p, "type"));
        lua_getfield(L, p, "order");
        bl_json_add_num(o, "order", lua_tonumber(L, -1));
        lua_getfield(L, p, "line");
        bl_json_add_str(o, "file", field_str(L, p, "file"));
        bl_json_add_num(o, "line", (double)lua_tointeger(L, -1));
        bl_json_add_str(o, "version", field_str(L, p, "version"));
        cJSON *fields = cJSON_AddArrayToObject(o, "fields"); /* as declared: {name, type, optional, text} */
        lua_getfield(L, p, "fields");
        for (lua_Integer k = 1, nf = lua_istable(L, -1) ? luaL_len(L, -1) : 0; k <= nf; k++) {
            lua_rawgeti(L, -1, k);
            int f = lua_gettop(L);
            cJSON *e = cJSON_CreateObject();
            bl_json_add_str(e, "name", field_str(L, f, "name"));
            bl_json_add_str(e, "type", field_str(L, f, "type"));
            lua_getfield(L, f, "optional");
            bl_json_add(e, "optional", cJSON_CreateBool(lua_toboolean(L, -1)));
            lua_getfield(L, f, "spec");
            if (lua_istable(L, -1))
                bl_json_add_str(e, "text", field_str(L, lua_gettop(L), "text"));
            cJSON_AddItemToArray(fields, e);
            lua_settop(L, f - 1);
        }
        lua_settop(L, p - 1);
    }
    lua_pop(L, 2);
    return a;
}

int bl_host_knows_type(bl_host_t *h, const char *type)
{
    lua_State *L = h->L;
    bl_host_push_runtime(h);
    lua_getfield(L, -1, "by_type");
    lua_getfield(L, -1, type);
    int known = !lua_isnil(L, -1);
    lua_pop(L, 3);
    return known;
}
