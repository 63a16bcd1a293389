/* repl.h — `bylaw repl`, the policy workbench: what its files (repl*.c) share. */
#ifndef BL_REPL_H
#define BL_REPL_H

#include "host.h"
#include "json.h"
#include "reads.h"

typedef struct bl_repl_options {
    bl_host_config cfg;
    const char *db;              /* NULL: an in-memory store */
    int write;                   /* each command commits (else one session transaction, rolled back at exit) */
    const char *virtual_clock;   /* start on a virtual clock at this instant (ISO 8601), or NULL */
    const char *connect, *token; /* a running service's URL and a token for it, or NULL */
} bl_repl_options;

/* Runs the session on standard input: with line editing on a terminal, else line by line without
 * prompts. Returns the exit status: 1 when a line failed (or the session could not start), else 0. */
int bl_repl_main(const bl_repl_options *o);

/* What the dot-commands share ------------------------------------------------------------------------ */

enum { BL_REPL_MEMORY, BL_REPL_READ_ONLY, BL_REPL_WRITE, BL_REPL_REMOTE };

/* A session (shared by the repl*.c files; the commands take it). */
typedef struct bl_repl {
    const bl_repl_options *o;
    int mode;             /* BL_REPL_*: where the session's writes go */
    bl_host_t *h;         /* the policy set (NULL in a --connect session) */
    bl_store_t *s;        /* its store: --db, or in memory */
    bl_store_reader reader;
    lua_State *L;         /* where Lua runs: the policy set's state, or a --connect session's own */
    int mod_ref, env_ref; /* registry: _repl.lua's table; the environment of the lines typed */
    int json;             /* .json: answers as raw JSON */
    int interactive;
    int line, first;      /* input lines read so far; the line the chunk being run began on */
    int failures;
    int quit;
    int dirty;            /* read-only mode: the session transaction holds writes */
    int registered;       /* the policy versions are recorded in the store (in this transaction) */
    bl_buf chunk;         /* what was typed so far of the chunk being read */
} bl_repl;

/* Reports a failure of the line being run (stderr) and counts it for the exit status. */
void bl_repl_fail(bl_repl *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prints v (borrowed) as raw JSON when .json is on, else as the Lua half's function fn renders it
 * (_repl.lua: M.answer, M.record, ...), with title as its second argument. */
void bl_repl_print(bl_repl *r, const char *fn, const cJSON *v, const char *title);
/* The fields a dot-command was given: a Lua table constructor ({annual_revenue = 200000}) or a JSON
 * object. NULL after reporting the problem. Caller deletes. */
cJSON *bl_repl_fields(bl_repl *r, const char *text);
/* The arguments of .put, TYPE {fields}: the fields (caller deletes), which hold a string id (*id points
 * into them); NULL after reporting what is wrong. */
cJSON *bl_repl_put_args(bl_repl *r, char *args, const char **type, const char **id);
/* The arguments of .find, TYPE [{filter}]: BL_OK with *filter (NULL when none is given; caller deletes),
 * or BL_ERR after reporting. */
int bl_repl_find_args(bl_repl *r, char *args, const char **type, cJSON **filter);
/* The next word of *args (whitespace-separated; *args moves past it), or NULL when none is left. */
char *bl_repl_word(char **args);

/* Lua (repl_lua.c). A chunk typed: BL_REPL_RAN (ran, or failed and reported), or BL_REPL_MORE when it
 * only lacks its end (the next line goes on with it). */
enum { BL_REPL_RAN, BL_REPL_MORE };
int bl_repl_lua(bl_repl *r, const char *text);
/* Whether text, the table a dot-command takes, only lacks its end. */
int bl_repl_lua_more(bl_repl *r, const char *text);
/* Makes the environment of the lines typed in L (a policy set's state): the sandbox's globals, the
 * helpers, print; the values of r's environment so far copied over where they can be (*lost: the names
 * that could not, malloc'd, or NULL). Returns its registry reference, or 0 after reporting. */
int bl_repl_lua_env(bl_repl *r, lua_State *L, char **lost);
/* SIGINT while a line runs stops it (a second one, still running, leaves); clear forgets an earlier one. */
void bl_repl_on_sigint(int sig);
void bl_repl_stop_clear(void);
/* Pushes the function name of _repl.lua (repl.c). */
void bl_repl_push_fn(bl_repl *r, const char *name);

/* The policy set and the store (repl.c): loads the policy directory (again: the values of the lines typed
 * so far are carried over to the new Lua state where they can be); records the policy versions in the
 * store before the first write. BL_OK, or BL_ERR after reporting. */
int bl_repl_load(bl_repl *r);
int bl_repl_register(bl_repl *r);

/* The dot-commands of a local session (repl_local.c). Each returns BL_OK or BL_ERR (reported). */
int bl_local_eval(bl_repl *r, char *args);
int bl_local_put(bl_repl *r, char *args);
int bl_local_get(bl_repl *r, char *args);
int bl_local_find(bl_repl *r, char *args);
int bl_local_explain(bl_repl *r, char *args);
int bl_local_timers(bl_repl *r, char *args);
int bl_local_advance(bl_repl *r, char *args);
int bl_local_clock(bl_repl *r, char *args);
int bl_local_types(bl_repl *r, char *args);
int bl_local_reload(bl_repl *r, char *args);
int bl_local_test(bl_repl *r, char *args);

/* A --connect session (repl_remote.c). Each command returns BL_OK or BL_ERR (reported). */
int bl_remote_open(bl_repl *r, const char *url, const char *token, cJSON **types);
void bl_remote_close(void);
int bl_remote_get(bl_repl *r, char *args);
int bl_remote_find(bl_repl *r, char *args);
int bl_remote_explain(bl_repl *r, char *args);
int bl_remote_timers(bl_repl *r, char *args);
int bl_remote_put(bl_repl *r, char *args);
int bl_remote_advance(bl_repl *r, char *args);
int bl_remote_clock(bl_repl *r, char *args);
int bl_remote_types(bl_repl *r, char *args);

/* Reading lines (repl_input.c) --------------------------------------------------------------------- */

typedef struct bl_input bl_input;

/* The words that may replace the word before the cursor: before is what was typed so far; sets *start
 * (where that word begins in before) and *cands (malloc'd array of malloc'd strings); returns how many. */
typedef int (*bl_complete_fn)(void *ud, const char *before, size_t *start, char ***cands);

/* Reads standard input: with libedit when interactive (history in history_file unless NULL, Tab through
 * complete), else plain lines. */
bl_input *bl_input_open(int interactive, const char *history_file, bl_complete_fn complete, void *ud);
/* The next line without its newline (held by in until the next call), or NULL at the end of the input.
 * *cancelled: Ctrl-C dropped what was typed (the line is then empty). */
const char *bl_input_read(bl_input *in, const char *prompt, int *cancelled);
/* Adds an entry (a whole chunk, lines and all) to the history, and saves the history file. */
void bl_input_remember(bl_input *in, const char *entry);
void bl_input_close(bl_input *in);

#endif
