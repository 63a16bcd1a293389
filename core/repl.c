/* repl.c — `bylaw repl`'s session: the loop, the dot-command table, completion, the session transaction. */
#include <errno.h>
#include <lauxlib.h>
#include <lualib.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine.h"
#include "lcalendar.h"
#include "luajson.h"
#include "repl.h"
#include "sandbox.h"

static const char *const mode_names[] = {
    [BL_REPL_MEMORY] = "memory", [BL_REPL_READ_ONLY] = "read-only", [BL_REPL_WRITE] = "write",
    [BL_REPL_REMOTE] = "remote",
};

/* The guard's watchdog found a policy call stuck in a library call past its limit: nothing can stop it. */
static void on_stuck(const char *msg)
{
    char buf[1024];
    int n = snprintf(buf, sizeof buf,
                     "\nbylaw repl: %s.\nbylaw repl: a call stuck there cannot be stopped, so the session ends here; "
                     "writes not committed are not kept\n",
                     msg);
    ssize_t w = write(STDERR_FILENO, buf, n > 0 && (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
    (void)w;
    _exit(1);
}

/* Shared by the commands -------------------------------------------------------------------------------- */

void bl_repl_fail(bl_repl *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = bl_vstrdupf(fmt, ap);
    va_end(ap);
    if (r->mode == BL_REPL_READ_ONLY && strstr(msg, "database is locked")) {
        char *more = bl_strdupf("%s (another connection holds the write lock, or wrote after this session began "
                                "reading: .rollback, then try again)", msg);
        free(msg);
        msg = more;
    }
    fflush(stdout);
    if (r->first == 0) /* the session is starting */
        fprintf(stderr, "bylaw repl: %s\n", msg);
    else if (!r->interactive && strncmp(msg, "stdin:", 6) != 0) /* a script: its line */
        fprintf(stderr, "stdin:%d: %s\n", r->first, msg);
    else
        fprintf(stderr, "%s\n", msg);
    free(msg);
    r->failures++;
}

char *bl_repl_word(char **args)
{
    char *p = *args;
    while (*p == ' ' || *p == '\t' || *p == '\n')
        p++;
    if (*p == '\0') {
        *args = p;
        return NULL;
    }
    char *w = p;
    while (*p && *p != ' ' && *p != '\t' && *p != '\n')
        p++;
    if (*p)
        *p++ = '\0';
    while (*p == ' ' || *p == '\t' || *p == '\n')
        p++;
    *args = p;
    return w;
}

cJSON *bl_repl_put_args(bl_repl *r, char *args, const char **type, const char **id)
{
    *type = bl_repl_word(&args);
    if (*type == NULL || *args == '\0') {
        bl_repl_fail(r, "usage: .put TYPE {id = \"...\", field = value, ...}");
        return NULL;
    }
    cJSON *fields = bl_repl_fields(r, args);
    *id = bl_json_str(fields, "id");
    if (fields && (*id == NULL || **id == '\0')) {
        bl_repl_fail(r, "the record needs a string id to be stored: .put %s {id = \"...\", ...}", *type);
        cJSON_Delete(fields);
        return NULL;
    }
    return fields;
}

int bl_repl_find_args(bl_repl *r, char *args, const char **type, cJSON **filter)
{
    *filter = NULL;
    if ((*type = bl_repl_word(&args)) == NULL) {
        bl_repl_fail(r, "usage: .find TYPE [{field = value, ...}]");
        return BL_ERR;
    }
    if (*args && (*filter = bl_repl_fields(r, args)) == NULL)
        return BL_ERR;
    return BL_OK;
}

void bl_repl_push_fn(bl_repl *r, const char *name)
{
    lua_rawgeti(r->L, LUA_REGISTRYINDEX, r->mod_ref);
    lua_getfield(r->L, -1, name);
    lua_remove(r->L, -2);
}

/* render(r, fn, v, title) -> text, in protected mode (pushing JSON allocates). */
static int p_render(lua_State *L)
{
    bl_repl *r = lua_touserdata(L, 1);
    const cJSON *v = lua_touserdata(L, 3);
    bl_repl_push_fn(r, lua_tostring(L, 2));
    if (v)
        bl_lua_pushjson(L, v, 0);
    else
        lua_pushnil(L);
    lua_pushvalue(L, 4);
    lua_call(L, 2, 1);
    return 1;
}

void bl_repl_print(bl_repl *r, const char *fn, const cJSON *v, const char *title)
{
    if (r->json && v) {
        char *s = bl_json_dump(v);
        puts(s);
        free(s);
        return;
    }
    lua_State *L = r->L;
    lua_pushcfunction(L, p_render);
    lua_pushlightuserdata(L, r);
    lua_pushstring(L, fn);
    lua_pushlightuserdata(L, (void *)v);
    lua_pushstring(L, title ? title : "");
    if (lua_pcall(L, 4, 1, 0) != LUA_OK)
        bl_repl_fail(r, "cannot show the answer: %s", lua_tostring(L, -1));
    else if (lua_isstring(L, -1))
        puts(lua_tostring(L, -1));
    lua_pop(L, 1);
}

/* The policy set, the session's environment and _repl.lua ----------------------------------------------- */

static void push_command_names(lua_State *L);

/* Loads _repl.lua into r->L (the session's environment made first, in a local session). */
static int load_module(bl_repl *r)
{
    lua_State *L = r->L;
    char path[1100];
    snprintf(path, sizeof path, "%s/_repl.lua", r->o->cfg.scripts_dir);
    if (luaL_loadfilex(L, path, "t") != LUA_OK) {
        bl_repl_fail(r, "%s (is --scripts pointing at the engine's scripts/ directory?)", lua_tostring(L, -1));
        lua_pop(L, 1);
        return BL_ERR;
    }
    lua_createtable(L, 0, 5);
    if (r->h) {
        bl_host_push_runtime(r->h);
        lua_setfield(L, -2, "runtime");
        lua_rawgeti(L, LUA_REGISTRYINDEX, r->env_ref);
        lua_getmetatable(L, -1); /* the sandbox's globals: what the environment reads through */
        lua_getfield(L, -1, "__index");
        lua_setfield(L, -4, "base");
        lua_pop(L, 1);
        lua_setfield(L, -2, "env");
    }
    bl_lua_pushnull(L);
    lua_setfield(L, -2, "null");
    bl_lua_pushnull(L);
    if (bl_script_run(L, r->o->cfg.scripts_dir, "_show.lua", 1) != LUA_OK) {
        bl_repl_fail(r, "%s", lua_tostring(L, -1));
        lua_pop(L, 3);
        return BL_ERR;
    }
    lua_setfield(L, -2, "values");
    push_command_names(L);
    lua_setfield(L, -2, "commands");
    if (lua_pcall(L, 1, 1, 0) != LUA_OK) {
        bl_repl_fail(r, "%s", lua_tostring(L, -1));
        lua_pop(L, 1);
        return BL_ERR;
    }
    r->mod_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    return BL_OK;
}

/* The names of the policies whose version differs between two lists of bl_host_policies, or that are in
 * one only; NULL when none. */
static char *changed_policies(const cJSON *before, const cJSON *after)
{
    bl_buf b = {0};
    const cJSON *p, *q;
    cJSON_ArrayForEach(p, after)
    {
        const char *v = NULL;
        cJSON_ArrayForEach(q, before) if (strcmp(bl_json_str(q, "name"), bl_json_str(p, "name")) == 0) v =
            bl_json_str(q, "version");
        if (v == NULL || strcmp(v, bl_json_str(p, "version")) != 0)
            bl_buf_printf(&b, "%s%s%s", b.len ? ", " : "", bl_json_str(p, "name"), v ? "" : " (new)");
    }
    cJSON_ArrayForEach(q, before)
    {
        int found = 0;
        cJSON_ArrayForEach(p, after) found = found || strcmp(bl_json_str(q, "name"), bl_json_str(p, "name")) == 0;
        if (!found)
            bl_buf_printf(&b, "%s%s (gone)", b.len ? ", " : "", bl_json_str(q, "name"));
    }
    return b.data;
}

int bl_repl_load(bl_repl *r)
{
    bl_buf errors = {0};
    bl_host_t *h = bl_host_open(&r->o->cfg, &errors);
    if (h == NULL) {
        fflush(stdout);
        fputs(errors.data ? errors.data : "", stderr); /* file:line: message, one a line */
        bl_repl_fail(r, "the policies in %s do not load%s", r->o->cfg.policy_dir,
                     r->h ? ": the ones loaded before stay" : "");
        bl_buf_free(&errors);
        return BL_ERR;
    }
    bl_buf_free(&errors);
    bl_host_t *old = r->h;
    lua_State *L = bl_host_state(h), *oldL = r->L;
    int old_env = r->env_ref, old_mod = r->mod_ref;
    char *lost = NULL;
    int env = bl_repl_lua_env(r, L, &lost), rc = env ? BL_OK : BL_ERR;
    if (rc == BL_OK) {
        r->h = h;
        r->L = L;
        r->env_ref = env;
        rc = load_module(r);
    }
    if (rc != BL_OK) { /* keep what ran before */
        r->h = old;
        r->L = oldL;
        r->env_ref = old_env;
        r->mod_ref = old_mod;
        bl_host_close(h);
        free(lost);
        return BL_ERR;
    }
    if (old) {
        cJSON *before = bl_host_policies(old), *after = bl_host_policies(h);
        char *changed = changed_policies(before, after);
        printf("reloaded %d policies from %s; %s%s\n", cJSON_GetArraySize(after), r->o->cfg.policy_dir,
               changed ? "changed: " : "none changed", changed ? changed : "");
        if (lost)
            printf("the values of the session were carried over, but not %s (functions and the like cannot be)\n",
                   lost);
        free(changed);
        cJSON_Delete(before);
        cJSON_Delete(after);
        bl_host_close(old);
        r->registered = 0; /* new versions: recorded before the next write */
    }
    free(lost);
    return BL_OK;
}

int bl_repl_register(bl_repl *r)
{
    if (r->registered)
        return BL_OK;
    cJSON *list = bl_host_policies(r->h);
    char *err = NULL;
    int rc = bl_engine_register_policies(r->s, list, &err);
    cJSON_Delete(list);
    if (rc != BL_OK) {
        bl_repl_fail(r, "%s", err);
        free(err);
        return BL_ERR;
    }
    r->registered = 1;
    r->dirty = 1;
    return BL_OK;
}

/* The session transaction ---------------------------------------------------------------------------------- */

/* In read-only mode, everything the session does happens in one transaction: (re)opens it. */
static int session_begin(bl_repl *r)
{
    if (r->mode != BL_REPL_READ_ONLY || bl_store_depth(r->s) > 0)
        return BL_OK;
    r->dirty = 0;
    r->registered = 0;
    if (bl_store_begin_deferred(r->s) != BL_OK) {
        bl_repl_fail(r, "cannot begin the session's transaction: %s", bl_store_errmsg(r->s));
        return BL_ERR;
    }
    return BL_OK;
}

static int nothing_to_end(bl_repl *r, const char *what)
{
    if (r->mode == BL_REPL_WRITE)
        printf("nothing to %s: with --write each command commits what it writes\n", what);
    else if (r->mode == BL_REPL_MEMORY)
        printf("nothing to %s: without --db the session's store is in memory and goes at exit\n", what);
    else if (r->mode == BL_REPL_REMOTE)
        printf("nothing to %s: the service commits each write it takes\n", what);
    else if (!r->dirty)
        printf("nothing to %s: the session has written nothing since it began or since the last .commit\n", what);
    else
        return 0;
    return 1;
}

static int cmd_commit(bl_repl *r, char *args)
{
    (void)args;
    if (nothing_to_end(r, "commit"))
        return BL_OK;
    if (bl_store_commit(r->s) != BL_OK) {
        bl_repl_fail(r, "cannot commit: %s (the session's writes are still pending: .rollback drops them)",
                     bl_store_errmsg(r->s));
        return BL_ERR;
    }
    printf("committed: the session's writes are in %s\n", r->o->db);
    return session_begin(r);
}

static int cmd_rollback(bl_repl *r, char *args)
{
    (void)args;
    if (r->mode != BL_REPL_READ_ONLY) {
        nothing_to_end(r, "roll back");
        return BL_OK;
    }
    if (r->dirty)
        printf("rolled back: %s is as it was when the session began (or at the last .commit)\n", r->o->db);
    else
        printf("nothing was written; the session now reads %s as it is\n", r->o->db);
    bl_store_rollback(r->s); /* and a new snapshot with the next read */
    return session_begin(r);
}

/* The dot-commands ------------------------------------------------------------------------------------------- */

typedef int (*cmd_fn)(bl_repl *r, char *args);
static int cmd_help(bl_repl *r, char *args);

static int cmd_json(bl_repl *r, char *args)
{
    (void)args;
    r->json = !r->json;
    printf(r->json ? "answers as raw JSON (.json again: readable)\n" : "answers readable (.json again: raw JSON)\n");
    return BL_OK;
}

static int cmd_quit(bl_repl *r, char *args)
{
    (void)args;
    r->quit = 1;
    return BL_OK;
}

static const struct command {
    const char *name, *args, *help;
    cmd_fn local, remote;
    const char *not_remote; /* why a --connect session has no such command */
    int fields;             /* its last argument is a table, which may go on over several lines */
} commands[] = {
    {"help", "", "this list", cmd_help, cmd_help, NULL, 0},
    {"eval", "TYPE {fields}", "evaluate a record, not stored: verdicts, changes, points, deadlines, why",
     bl_local_eval, NULL,
     "the service has no route that evaluates without storing yet: .put stores (writer role), or try the record in "
     "a local session (bylaw repl --policies DIR)",
     1},
    {"put", "TYPE {fields}", "store a record (it needs an id) with what the policies decide", bl_local_put,
     bl_remote_put, NULL, 1},
    {"get", "TYPE ID", "a stored record", bl_local_get, bl_remote_get, NULL, 0},
    {"find", "TYPE [{filter}]", "the stored records whose fields equal the filter's", bl_local_find, bl_remote_find,
     NULL, 1},
    {"explain", "TYPE ID", "the stored decisions of a record, why, by which policy version", bl_local_explain,
     bl_remote_explain, NULL, 0},
    {"timers", "[TYPE [ID]]", "the pending deadlines, earliest first", bl_local_timers, bl_remote_timers, NULL, 0},
    {"advance", "DURATION|next", "move the virtual clock (\"2 working days\"), firing deadlines on the way",
     bl_local_advance, bl_remote_advance, NULL, 0},
    {"clock", "[TIME]", "the clock; with TIME, set the virtual clock there (firing nothing)", bl_local_clock,
     bl_remote_clock, NULL, 0},
    {"types", "", "the record types, their policies and the fields they declare", bl_local_types, bl_remote_types,
     NULL, 0},
    {"reload", "", "read the policy directory again (errors: file:line; the old ones stay)",
     bl_local_reload, NULL, "the service reloads its policy directory by itself when a file changes", 0},
    {"test", "[PATTERN]", "run the policy tests (only those whose name contains PATTERN)", bl_local_test, NULL,
     "the service runs the tests before it takes a policy; here, run bylaw test", 0},
    {"json", "", "answers as raw JSON, or readable again", cmd_json, cmd_json, NULL, 0},
    {"commit", "", "make the session's writes real (read-only mode)", cmd_commit, cmd_commit, NULL, 0},
    {"rollback", "", "drop the session's writes since it began or since the last .commit", cmd_rollback,
     cmd_rollback, NULL, 0},
    {"quit", "", "leave (Ctrl-D too)", cmd_quit, cmd_quit, NULL, 0},
};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

static void push_command_names(lua_State *L)
{
    lua_createtable(L, (int)NCOMMANDS, 0);
    for (size_t i = 0; i < NCOMMANDS; i++) {
        lua_pushstring(L, commands[i].name);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
}

static const char *mode_note(const bl_repl *r)
{
    switch (r->mode) {
    case BL_REPL_MEMORY: return "the store is in memory (no --db): it goes at exit";
    case BL_REPL_READ_ONLY: return "read-only: the session's writes are rolled back at exit unless .commit";
    case BL_REPL_WRITE: return "write: each command commits what it writes";
    default: return "connected: the service's store and clock, with the token's role";
    }
}

static int cmd_help(bl_repl *r, char *args)
{
    (void)args;
    if (r->mode != BL_REPL_REMOTE)
        printf("Lua at the prompt: an expression prints its value, statements run, locals stay for the lines after;\n"
               "calendar, threshold, dtable, fmt, records, ledger, json and log are there as in policies.\n");
    for (size_t i = 0; i < NCOMMANDS; i++) {
        const struct command *c = &commands[i];
        char head[64];
        snprintf(head, sizeof head, ".%s %s", c->name, c->args);
        printf("  %-24s %s%s\n", head, c->help,
               r->mode == BL_REPL_REMOTE && c->remote == NULL ? " (not with --connect)" : "");
    }
    printf("Tab completes; Ctrl-C drops the line typed or stops the line running.\nNow: %s.\n", mode_note(r));
    return BL_OK;
}

/* A dot-command: runs it, or says MORE when its table argument is not finished. */
static int run_command(bl_repl *r, const char *text)
{
    char *copy = bl_strdupf("%s", text + 1), *args = copy;
    char *name = bl_repl_word(&args);
    const struct command *c = NULL;
    for (size_t i = 0; name && i < NCOMMANDS && !c; i++)
        if (strcmp(commands[i].name, name) == 0)
            c = &commands[i];
    if (c == NULL) {
        bl_repl_fail(r, "unknown command '.%s': .help lists them", name ? name : "");
        free(copy);
        return BL_REPL_RAN;
    }
    if (c->fields) { /* .eval TYPE {..., going on */
        char *probe = bl_strdupf("%s", args), *rest = probe;
        int more = bl_repl_word(&rest) && *rest && bl_repl_lua_more(r, rest);
        free(probe);
        if (more) {
            free(copy);
            return BL_REPL_MORE;
        }
    }
    cmd_fn fn = r->mode == BL_REPL_REMOTE ? c->remote : c->local;
    if (fn)
        fn(r, args);
    else
        bl_repl_fail(r, ".%s is not there with --connect: %s", c->name, c->not_remote);
    free(copy);
    return BL_REPL_RAN;
}

static int run_chunk(bl_repl *r, const char *text)
{
    bl_repl_stop_clear(); /* a Ctrl-C during the command before */
    while (*text == ' ' || *text == '\t')
        text++;
    int rc = text[0] == '.' ? run_command(r, text) : bl_repl_lua(r, text);
    fflush(stdout);
    return rc;
}

/* Completion: the candidates _repl.lua finds for the chunk typed so far and the line before the cursor. */
static int p_complete(lua_State *L)
{
    bl_repl *r = lua_touserdata(L, 1);
    bl_repl_push_fn(r, "complete");
    lua_pushvalue(L, 2);
    lua_call(L, 1, 2);
    return 2;
}

static int complete(void *ud, const char *before, size_t *start, char ***cands)
{
    bl_repl *r = ud;
    lua_State *L = r->L;
    char *text = r->chunk.len ? bl_strdupf("%s\n%s", r->chunk.data, before) : bl_strdupf("%s", before);
    size_t offset = r->chunk.len ? r->chunk.len + 1 : 0;
    lua_pushcfunction(L, p_complete);
    lua_pushlightuserdata(L, r);
    lua_pushstring(L, text);
    free(text);
    *cands = NULL;
    if (lua_pcall(L, 2, 2, 0) != LUA_OK) {
        lua_pop(L, 1);
        return 0;
    }
    if (!lua_istable(L, -1)) {
        lua_pop(L, 2);
        return 0;
    }
    lua_Integer at = lua_tointeger(L, -2) - 1 - (lua_Integer)offset;
    int n = (int)luaL_len(L, -1);
    *start = at < 0 ? 0 : (size_t)at;
    *cands = bl_xmalloc((size_t)(n > 0 ? n : 1) * sizeof **cands);
    for (int i = 0; i < n; i++) {
        lua_rawgeti(L, -1, i + 1);
        (*cands)[i] = bl_strdupf("%s", lua_tostring(L, -1) ? lua_tostring(L, -1) : "");
        lua_pop(L, 1);
    }
    lua_pop(L, 2);
    return n;
}

/* The session ------------------------------------------------------------------------------------------------- */

static char *history_path(void)
{
    const char *e = getenv("BYLAW_HISTORY");
    if (e)
        return *e ? bl_strdupf("%s", e) : NULL; /* BYLAW_HISTORY= : none */
    const char *home = getenv("HOME");
    return home && *home ? bl_strdupf("%s/.bylaw_history", home) : NULL;
}

static int count_lines(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

static void loop(bl_repl *r, bl_input *in)
{
    char prompt[64], more[64];
    snprintf(prompt, sizeof prompt, "bylaw[%s]> ", mode_names[r->mode]);
    snprintf(more, sizeof more, "%*s> ", (int)strlen(prompt) - 2, "...");
    while (!r->quit) {
        int cancelled;
        const char *line = bl_input_read(in, r->chunk.len ? more : prompt, &cancelled);
        if (line == NULL)
            break;
        r->line++;
        if (cancelled) {
            bl_buf_free(&r->chunk);
            continue;
        }
        if (r->chunk.len == 0) {
            if (line[strspn(line, " \t")] == '\0')
                continue;
            r->first = r->line;
        } else {
            bl_buf_add(&r->chunk, "\n", 1);
        }
        bl_buf_adds(&r->chunk, line);
        r->line += count_lines(line); /* an entry of the history may hold several lines */
        if (run_chunk(r, r->chunk.data) == BL_REPL_MORE)
            continue;
        if (r->interactive)
            bl_input_remember(in, r->chunk.data);
        bl_buf_free(&r->chunk);
    }
    if (r->chunk.len) {
        bl_repl_fail(r, "the input ended inside an unfinished chunk: %.60s%s", r->chunk.data,
                     r->chunk.len > 60 ? "..." : "");
        bl_buf_free(&r->chunk);
    }
    if (r->interactive && !r->quit)
        fputc('\n', stdout);
}

/* The store and the clock of a local session. BL_OK, or the exit status to return. */
static int open_local(bl_repl *r)
{
    const bl_repl_options *o = r->o;
    struct stat st;
    if (r->mode == BL_REPL_READ_ONLY && stat(o->db, &st) != 0) {
        bl_repl_fail(r, "%s does not exist: a read-only session would leave nothing in it (leave out "
                        "--db for a store in memory, or pass --write to create it)", o->db);
        return 1;
    }
    if (bl_repl_load(r) != BL_OK)
        return 1;
    char *err = NULL;
    if (bl_store_open(o->db ? o->db : ":memory:", &r->s, &err) != BL_OK) {
        bl_repl_fail(r, "%s", err);
        free(err);
        return 1;
    }
    bl_store_reader_init(&r->reader, r->s);
    if (session_begin(r) != BL_OK)
        return 1;
    if (o->virtual_clock) {
        int64_t start;
        if (bl_cal_time_parse(bl_calendar_get(r->L, NULL), o->virtual_clock, &start, &err) != BL_OK) {
            fprintf(stderr, "bylaw repl: --virtual-clock: %s\n", err);
            free(err);
            return 2;
        }
        bl_clock_set_virtual(start);
    }
    return BL_OK;
}

static int open_remote(bl_repl *r)
{
    r->L = luaL_newstate();
    static const luaL_Reg libs[] = {{"_G", luaopen_base},   {"string", luaopen_string}, {"table", luaopen_table},
                                    {"math", luaopen_math}, {"utf8", luaopen_utf8},     {"debug", luaopen_debug},
                                    {NULL, NULL}};
    for (const luaL_Reg *l = libs; l->name; l++) {
        luaL_requiref(r->L, l->name, l->func, 1);
        lua_pop(r->L, 1);
    }
    if (load_module(r) != BL_OK)
        return 1;
    cJSON *types = NULL;
    if (bl_remote_open(r, r->o->connect, r->o->token, &types) != BL_OK)
        return 1;
    bl_repl_push_fn(r, "set_types");
    bl_lua_pushjson(r->L, types, 0);
    if (lua_pcall(r->L, 1, 0, 0) != LUA_OK)
        lua_pop(r->L, 1); /* no completion of types, then */
    cJSON_Delete(types);
    return BL_OK;
}

static void banner(const bl_repl *r)
{
    if (r->mode == BL_REPL_REMOTE) {
        printf("bylaw %s repl, connected to %s (%s).\n", BL_VERSION, r->o->connect, mode_note(r));
    } else {
        cJSON *list = bl_host_policies(r->h);
        printf("bylaw %s repl: %d policies from %s; %s%s%s.\n", BL_VERSION, cJSON_GetArraySize(list),
               r->o->cfg.policy_dir, r->o->db ? r->o->db : "", r->o->db ? ", " : "", mode_note(r));
        cJSON_Delete(list);
        if (bl_clock_is_virtual()) {
            char t[32];
            printf("The clock is virtual, at %s.\n", bl_time_format(bl_clock_now_ms(), t));
        }
    }
    printf(".help lists the commands; Tab completes; Ctrl-D leaves.\n");
}

int bl_repl_main(const bl_repl_options *o)
{
    bl_repl r = {.o = o, .first = 0};
    r.interactive = isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
    r.mode = o->connect ? BL_REPL_REMOTE : !o->db ? BL_REPL_MEMORY : o->write ? BL_REPL_WRITE : BL_REPL_READ_ONLY;
    bl_guard_on_stuck(on_stuck);
    int rc = o->connect ? open_remote(&r) : open_local(&r);
    if (rc == BL_OK) {
        char *hist = r.interactive ? history_path() : NULL;
        bl_input *in = bl_input_open(r.interactive, hist, complete, &r);
        free(hist);
        struct sigaction sa = {.sa_handler = bl_repl_on_sigint, .sa_flags = SA_RESTART}, old;
        sigemptyset(&sa.sa_mask);
        if (r.interactive) {
            sigaction(SIGINT, &sa, &old);
            banner(&r);
        }
        loop(&r, in);
        if (r.interactive)
            sigaction(SIGINT, &old, NULL);
        bl_input_close(in);
        if (r.mode == BL_REPL_READ_ONLY && r.dirty) {
            fflush(stdout);
            fprintf(stderr, "bylaw repl: the session's writes were rolled back: %s is as it was (.commit keeps "
                            "them; --write commits each command)\n", o->db);
        }
        rc = r.failures ? 1 : 0;
    }
    if (r.s)
        bl_store_close(r.s); /* rolls back what the session did not commit */
    if (o->connect) {
        bl_remote_close();
        if (r.L)
            lua_close(r.L);
    }
    bl_host_close(r.h);
    bl_buf_free(&r.chunk);
    bl_guard_on_stuck(NULL);
    return rc;
}
