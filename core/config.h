/* config.h — the settings of `bylaw serve`: one table (config.c) of every setting with its type and
 * range, its key in the config file, its command-line flag and its BYLAW_* environment variable. A value
 * comes from the flag, else the variable, else the file, else the default. Anything unknown, mistyped or
 * out of range is refused with the setting's name. */
#ifndef BL_CONFIG_H
#define BL_CONFIG_H

#include <stdint.h>

#include "api.h"
#include "common.h"
#include "host.h"

typedef struct bl_token {
    char *name;          /* for the log ("token 1" when the config gives none) */
    uint8_t sha256[32];  /* of the token: plain tokens are hashed when read, compared in constant time */
    bl_role role;
} bl_token;

typedef struct bl_retention {
    long long history_versions; /* record versions kept per record (0: all) */
    long long decisions_days;   /* decisions older than this go (0: kept) */
    long long events_days;      /* events older than this go (0: kept) */
    long long timers_days;      /* timers done, failed, cancelled or replaced this long ago go (0: kept) */
} bl_retention;

typedef struct bl_config {
    char *config;         /* the config file read, or NULL */
    char *listen, *db, *policies, *scripts, *durability, *log_format, *virtual_clock, *token_file, *lang;
    char *backup_dir;     /* POST /admin/backup writes here; NULL: the database's directory */
    char *indexes;        /* "type.field, ...": fields with an expression index */
    long long workers, max_connections, max_per_client, idle_timeout_s, request_timeout_s;
    long long insecure_open, access_log, min_free_mb, readers, query_timeout_ms;
    long long budget, timeout_ms, memory_mb, test_timeout_ms;
    bl_limits limits;     /* made from the four above */
    bl_retention retention;
    bl_token *tokens;
    int ntokens;
    unsigned char source[64]; /* where each setting's value came from: 0 default, 1 file, 2 variable, 3 flag */
} bl_config;

/* Reads argv (after the command name), the environment and the config file into c, over the defaults
 * (base: the options every command takes, already parsed by main). Returns 0; 1 when --help was asked
 * (the help is printed); 2 with *err (malloc'd) naming the setting and what it accepts. */
int bl_config_load(bl_config *c, int argc, char **argv, const bl_host_config *base, int *check_only, char **err);
/* Reads the config file c->config again (and the token file) over the flags and variables c was read
 * with: SIGHUP. On failure c is unchanged. */
int bl_config_reload(const bl_config *c, int argc, char **argv, const bl_host_config *base, bl_config *out,
                     char **err);
void bl_config_free(bl_config *c);
/* The effective settings as JSON text (tokens shown by name and role only), each with its source. */
char *bl_config_describe(const bl_config *c);
/* One line per setting that differs between a and b ("limits.timeout_ms: 250 -> 500"), into out. */
void bl_config_diff(const bl_config *a, const bl_config *b, bl_buf *out);
/* The role of a presented token (BL_ROLE_NONE when unknown) and its name; constant time in the token. */
bl_role bl_config_role(const bl_config *c, const char *presented, const char **name);
/* The help of `bylaw serve`, made from the table. */
const char *bl_config_usage(void);

/* The "indexes" setting, "client.annual_revenue, client.grade", as parallel lists; -1 with *err naming
 * the item that is not TYPE.FIELD. */
typedef struct bl_index_list {
    char **types;
    const char **fields;
    int n;
} bl_index_list;
int bl_config_indexes(const char *text, bl_index_list *out, char **err);
void bl_config_indexes_free(bl_index_list *l);

#endif
