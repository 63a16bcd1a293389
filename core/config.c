/* config.c — the settings of `bylaw serve` as one table: type, range, config key, flag, BYLAW_*
 * variable, default and help (config.h). Flags win over variables, variables over the file, the file
 * over the defaults; every refusal names the setting, where its value came from and what it accepts. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <nettle/sha2.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <uv.h>

#include "query.h"

enum { S_STR, S_INT, S_BOOL, S_ENUM };

typedef struct setting {
    const char *key;  /* in the config file; "limits.budget" is {"limits": {"budget": ...}} */
    const char *flag; /* --flag */
    int type;
    size_t off;       /* in bl_config: char * for S_STR and S_ENUM, long long for S_INT and S_BOOL */
    long long min, max;
    const char *const *choices;
    const char *dflt; /* as text; NULL: none (or computed) */
    const char *help;
} setting;

static const char *const durabilities[] = {"full", "normal", NULL};
static const char *const formats[] = {"text", "json", NULL};
static const char *const langs[] = {"en", "zh-CN", NULL};

#define OFF(f) offsetof(bl_config, f)
static const setting settings[] = {
    {"listen", "listen", S_STR, OFF(listen), 0, 0, NULL, "127.0.0.1:8080",
     "where to listen, HOST:PORT (port 0: any free port, named in the log)"},
    {"db", "db", S_STR, OFF(db), 0, 0, NULL, "bylaw.db", "the SQLite database"},
    {"policies", "policies", S_STR, OFF(policies), 0, 0, NULL, "policies", "the policy directory"},
    {"scripts", "scripts", S_STR, OFF(scripts), 0, 0, NULL, NULL,
     "the engine's Lua library (default: beside the program, or the installed one)"},
    {"durability", "durability", S_ENUM, OFF(durability), 0, 0, durabilities, "full",
     "full: a write is answered once its commit reached the disk; normal: after the commit"},
    {"log_format", "log-format", S_ENUM, OFF(log_format), 0, 0, formats, "text",
     "text or json: one line per event on stderr"},
    {"access_log", "access-log", S_BOOL, OFF(access_log), 0, 1, NULL, "true",
     "a log line per request: method, path, status, milliseconds, token name"},
    {"lang", "lang", S_ENUM, OFF(lang), 0, 0, langs, "en", "the language of explanations and messages by default"},
    {"workers", "workers", S_INT, OFF(workers), 1, 64, NULL, NULL,
     "worker processes that run the policies (default: one per core, at least 2)"},
    {"max_connections", "max-connections", S_INT, OFF(max_connections), 1, 100000, NULL, "256",
     "open HTTP connections at most"},
    {"max_per_client", "max-per-client", S_INT, OFF(max_per_client), 1, 100000, NULL, "32",
     "open HTTP connections from one client address at most"},
    {"idle_timeout_s", "idle-timeout-s", S_INT, OFF(idle_timeout_s), 1, 86400, NULL, "30",
     "an idle connection is closed after this many seconds"},
    {"request_timeout_s", "request-timeout-s", S_INT, OFF(request_timeout_s), 1, 3600, NULL, "10",
     "a request must arrive whole within this many seconds"},
    {"min_free_mb", "min-free-mb", S_INT, OFF(min_free_mb), 0, 1000000000, NULL, "100",
     "below this much free disk the service is not ready (GET /health/ready)"},
    {"virtual_clock", "virtual-clock", S_STR, OFF(virtual_clock), 0, 0, NULL, NULL,
     "run on a clock that starts at this ISO 8601 time and moves only by POST /clock"},
    {"insecure_open", "insecure-open", S_BOOL, OFF(insecure_open), 0, 1, NULL, "false",
     "without tokens, serve any address and requests through proxies (something else guards the port)"},
    {"token_file", "token-file", S_STR, OFF(token_file), 0, 0, NULL, NULL,
     "a JSON file with the tokens ({\"tokens\": [...]}), kept apart from the config"},
    {"indexes", "indexes", S_STR, OFF(indexes), 0, 0, NULL, NULL,
     "record fields with an index, as TYPE.FIELD separated by commas (client.annual_revenue, client.grade): "
     "lists and queries filtering on them stay fast over many records"},
    {"readers", "readers", S_INT, OFF(readers), 1, 64, NULL, "2",
     "threads that answer record lists and the decision queue, off the event loop"},
    {"query_timeout_ms", "query-timeout-ms", S_INT, OFF(query_timeout_ms), 1, 600000, NULL, "2000",
     "a record list or decision query stops after this many milliseconds (the error names the index to add)"},
    {"backup_dir", "backup-dir", S_STR, OFF(backup_dir), 0, 0, NULL, NULL,
     "where POST /admin/backup writes its copies (default: the database's directory)"},
    {"limits.budget", "budget", S_INT, OFF(budget), 1000, 1000000000000LL, NULL, "10000000",
     "Lua instructions one policy call may run"},
    {"limits.timeout_ms", "timeout-ms", S_INT, OFF(timeout_ms), 1, 3600000, NULL, "250",
     "wall-clock milliseconds one policy call may take"},
    {"limits.memory_mb", "memory-mb", S_INT, OFF(memory_mb), 1, 65536, NULL, "32",
     "memory the policy set may use, in MiB"},
    {"limits.test_timeout_ms", "test-timeout-ms", S_INT, OFF(test_timeout_ms), 1, 3600000, NULL, "10000",
     "wall-clock milliseconds one test of a *_test.lua file may take"},
    {"retention.history_versions", "keep-versions", S_INT, OFF(retention.history_versions), 0, 1000000000, NULL,
     "0", "record versions kept per record by the pruning job (0: all)"},
    {"retention.decisions_days", "keep-decisions-days", S_INT, OFF(retention.decisions_days), 0, 36600, NULL, "0",
     "decisions older than this many days are pruned (0: kept)"},
    {"retention.events_days", "keep-events-days", S_INT, OFF(retention.events_days), 0, 36600, NULL, "0",
     "events older than this many days are pruned (0: kept)"},
    {"retention.timers_days", "keep-timers-days", S_INT, OFF(retention.timers_days), 0, 36600, NULL, "0",
     "deadlines finished this many days ago are pruned (0: kept)"},
};
#define NSETTINGS ((int)(sizeof settings / sizeof settings[0]))
_Static_assert(NSETTINGS <= 64, "bl_config.source has room for every setting");

static char **str_at(bl_config *c, const setting *s) { return (char **)((char *)c + s->off); }
static long long *int_at(bl_config *c, const setting *s) { return (long long *)((char *)c + s->off); }

/* BYLAW_LIMITS_TIMEOUT_MS for limits.timeout_ms */
static void env_name(const setting *s, char *out, size_t n)
{
    snprintf(out, n, "BYLAW_");
    size_t k = strlen(out);
    for (const char *p = s->key; *p && k + 1 < n; p++)
        out[k++] = *p == '.' ? '_' : (char)toupper((unsigned char)*p);
    out[k] = '\0';
}

enum { SRC_DEFAULT, SRC_FILE, SRC_ENV, SRC_FLAG };

/* Where a setting's value came from, for people: "the config file", "BYLAW_LISTEN", "--listen". */
static void source_text(const setting *s, int src, char *out, size_t n)
{
    if (src == SRC_ENV)
        env_name(s, out, n);
    else if (src == SRC_FLAG)
        snprintf(out, n, "--%s", s->flag);
    else
        snprintf(out, n, "%s", src == SRC_FILE ? "the config file" : "default");
}

/* Sets setting i of c from text; 0, or -1 with *err naming the setting and where the value came from. */
static int set_text(bl_config *c, int i, const char *text, int src, char **err)
{
    const setting *s = &settings[i];
    char *end, from[80];
    source_text(s, src, from, sizeof from);
    switch (s->type) {
    case S_STR:
        free(*str_at(c, s));
        *str_at(c, s) = bl_strdupf("%s", text);
        break;
    case S_ENUM: {
        int ok = 0;
        for (const char *const *v = s->choices; *v; v++)
            ok |= strcmp(*v, text) == 0;
        if (!ok) {
            bl_buf b = {0};
            for (const char *const *v = s->choices; *v; v++)
                bl_buf_printf(&b, "%s'%s'", v == s->choices ? "" : v[1] ? ", " : " or ", *v);
            *err = bl_strdupf("%s (%s): must be %s, got '%s'", s->key, from, b.data, text);
            bl_buf_free(&b);
            return -1;
        }
        free(*str_at(c, s));
        *str_at(c, s) = bl_strdupf("%s", text);
        break;
    }
    case S_BOOL:
        if (strcmp(text, "true") == 0 || strcmp(text, "1") == 0 || strcmp(text, "yes") == 0)
            *int_at(c, s) = 1;
        else if (strcmp(text, "false") == 0 || strcmp(text, "0") == 0 || strcmp(text, "no") == 0)
            *int_at(c, s) = 0;
        else {
            *err = bl_strdupf("%s (%s): must be true or false, got '%s'", s->key, from, text);
            return -1;
        }
        break;
    case S_INT: {
        errno = 0;
        long long v = strtoll(text, &end, 10);
        if (errno || end == text || *end || v < s->min || v > s->max) {
            *err = bl_strdupf("%s (%s): must be a whole number from %lld to %lld, got '%s'", s->key, from, s->min,
                              s->max, text);
            return -1;
        }
        *int_at(c, s) = v;
        break;
    }
    }
    c->source[i] = (unsigned char)src;
    return 0;
}

static int hex_digest(const char *hex, uint8_t out[32])
{
    if (hex == NULL || strlen(hex) != 64)
        return -1;
    for (int i = 0; i < 32; i++) {
        unsigned v;
        if (sscanf(hex + 2 * i, "%2x", &v) != 1 || !isxdigit((unsigned char)hex[2 * i]) ||
            !isxdigit((unsigned char)hex[2 * i + 1]))
            return -1;
        out[i] = (uint8_t)v;
    }
    return 0;
}

static void sha256_of(const char *text, uint8_t out[32])
{
    struct sha256_ctx ctx;
    sha256_init(&ctx);
    sha256_update(&ctx, strlen(text), (const uint8_t *)text);
    sha256_digest(&ctx, 32, out);
}

/* The tokens of array a (from file `from`) added to c. */
static int read_tokens(bl_config *c, const cJSON *a, const char *from, char **err)
{
    if (!cJSON_IsArray(a)) {
        *err = bl_strdupf("%s: \"tokens\" must be an array of {\"name\", \"token\" or \"sha256\", \"role\"}", from);
        return -1;
    }
    const cJSON *t;
    cJSON_ArrayForEach(t, a)
    {
        int i = c->ntokens;
        static const char *const roles[] = {"reader", "writer", "admin"};
        const char *tok = bl_json_str(t, "token"), *hash = bl_json_str(t, "sha256"), *role = bl_json_str(t, "role");
        const char *name = bl_json_str(t, "name");
        for (const cJSON *k = t ? t->child : NULL; k; k = k->next)
            if (strcmp(k->string, "token") && strcmp(k->string, "sha256") && strcmp(k->string, "role") &&
                strcmp(k->string, "name")) {
                *err = bl_strdupf("%s: tokens[%d]: unknown key \"%s\" (known: name, token, sha256, role)", from, i,
                                  k->string);
                return -1;
            }
        bl_role r = BL_ROLE_NONE;
        for (int k = 0; role && k < 3; k++)
            if (strcmp(role, roles[k]) == 0)
                r = (bl_role)(k + 1);
        uint8_t digest[32];
        if ((tok == NULL) == (hash == NULL) || (tok && strlen(tok) < 16) || (hash && hex_digest(hash, digest) != 0) ||
            r == BL_ROLE_NONE) {
            *err = bl_strdupf("%s: tokens[%d] needs \"role\" (admin, writer or reader) and either \"token\" (16 "
                              "characters or more) or \"sha256\" (the 64 hex digits of its SHA-256: echo -n TOKEN | "
                              "sha256sum)", from, i);
            return -1;
        }
        if (tok)
            sha256_of(tok, digest);
        c->tokens = realloc(c->tokens, (size_t)(i + 1) * sizeof *c->tokens);
        c->tokens[i].name = name ? bl_strdupf("%s", name) : bl_strdupf("token %d", i + 1);
        memcpy(c->tokens[i].sha256, digest, 32);
        c->tokens[i].role = r;
        c->ntokens++;
    }
    return 0;
}

static cJSON *read_json_file(const char *path, const char *what, char **err)
{
    size_t len = 0;
    char *text = bl_read_file(path, &len);
    if (text == NULL) {
        *err = bl_strdupf("cannot read the %s %s: %s", what, path, strerror(errno));
        return NULL;
    }
    char perr[200];
    cJSON *j = bl_json_parse(text, len, perr, sizeof perr);
    free(text);
    if (j == NULL)
        *err = bl_strdupf("%s: %s", path, perr);
    return j;
}

/* The config file into c: every key known, every value of its type and range. */
static int read_file(bl_config *c, const char *path, char **err)
{
    cJSON *j = read_json_file(path, "config file", err);
    if (j == NULL)
        return -1;
    int rc = 0;
    if (!cJSON_IsObject(j)) {
        *err = bl_strdupf("%s: the config must be a JSON object of settings", path);
        rc = -1;
    }
    const char *names[NSETTINGS + 1];
    for (int i = 0; i < NSETTINGS; i++)
        names[i] = settings[i].key;
    names[NSETTINGS] = "tokens";
    for (const cJSON *k = rc == 0 ? j->child : NULL; k && rc == 0; k = k->next) {
        if (strcmp(k->string, "tokens") == 0) {
            rc = read_tokens(c, k, path, err);
            continue;
        }
        int group = cJSON_IsObject(k) && (strcmp(k->string, "limits") == 0 || strcmp(k->string, "retention") == 0);
        for (const cJSON *v = group ? k->child : k; v && rc == 0; v = group ? v->next : NULL) {
            char key[200];
            snprintf(key, sizeof key, group ? "%s.%s" : "%s", group ? k->string : v->string, v->string);
            int i = 0;
            while (i < NSETTINGS && strcmp(settings[i].key, key) != 0)
                i++;
            if (i == NSETTINGS) {
                const char *near = bl_closest(key, names, NSETTINGS + 1);
                *err = bl_strdupf("%s: unknown setting \"%s\"%s%s%s", path, key, near ? " (did you mean \"" : "",
                                  near ? near : "", near ? "\"?)" : "");
                rc = -1;
                break;
            }
            const setting *s = &settings[i];
            char text[64];
            const char *val = NULL;
            if ((s->type == S_STR || s->type == S_ENUM) && cJSON_IsString(v))
                val = v->valuestring;
            else if (s->type == S_BOOL && cJSON_IsBool(v))
                val = cJSON_IsTrue(v) ? "true" : "false";
            else if (s->type == S_INT && cJSON_IsNumber(v) && v->valuedouble == (double)(long long)v->valuedouble)
                val = (snprintf(text, sizeof text, "%lld", (long long)v->valuedouble), text);
            if (val == NULL) {
                char *got = cJSON_PrintUnformatted(v);
                *err = bl_strdupf("%s: \"%s\" must be %s, got %s", path, key,
                                  s->type == S_INT    ? "a whole number"
                                  : s->type == S_BOOL ? "true or false"
                                                      : "a string",
                                  got ? got : "?");
                free(got);
                rc = -1;
                break;
            }
            char *e2 = NULL;
            if (set_text(c, i, val, SRC_FILE, &e2) != 0) {
                *err = bl_strdupf("%s: %s", path, e2);
                free(e2);
                rc = -1;
            }
        }
    }
    cJSON_Delete(j);
    return rc;
}

static void defaults(bl_config *c, const bl_host_config *base)
{
    memset(c, 0, sizeof *c);
    for (int i = 0; i < NSETTINGS; i++) {
        char *e = NULL;
        if (settings[i].dflt)
            set_text(c, i, settings[i].dflt, SRC_DEFAULT, &e);
        c->source[i] = SRC_DEFAULT;
        free(e);
    }
    unsigned cores = uv_available_parallelism();
    c->workers = cores < 2 ? 2 : cores > 16 ? 16 : (long long)cores;
    free(c->scripts);
    c->scripts = bl_strdupf("%s", base->scripts_dir);
}

/* Flags are given as --flag VALUE, --flag=VALUE, or --flag alone for a boolean (true). */
static int read_flags(bl_config *c, int argc, char **argv, int *check_only, int *help, char **err)
{
    static struct option opts[NSETTINGS + 4];
    for (int i = 0; i < NSETTINGS; i++)
        opts[i] = (struct option){settings[i].flag, settings[i].type == S_BOOL ? optional_argument : required_argument,
                                  0, 1000 + i};
    opts[NSETTINGS] = (struct option){"config", required_argument, 0, 'c'};
    opts[NSETTINGS + 1] = (struct option){"check-config", no_argument, 0, 'k'};
    opts[NSETTINGS + 2] = (struct option){"help", no_argument, 0, 'h'};
    opts[NSETTINGS + 3] = (struct option){0, 0, 0, 0};
    optind = 1;
    opterr = 0;
    int ch;
    while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (ch == 'h') {
            *help = 1;
        } else if (ch == 'k') {
            *check_only = 1;
        } else if (ch == 'c') {
            free(c->config);
            c->config = bl_strdupf("%s", optarg);
        } else if (ch >= 1000 && ch < 1000 + NSETTINGS) {
            if (set_text(c, ch - 1000, optarg ? optarg : "true", SRC_FLAG, err) != 0)
                return -1;
        } else {
            *err = bl_strdupf("option '%s' is unknown or lacks its value (bylaw help serve lists them)",
                              argv[optind - 1]);
            return -1;
        }
    }
    if (optind < argc) {
        *err = bl_strdupf("unexpected argument '%s' (options are --name VALUE)", argv[optind]);
        return -1;
    }
    return 0;
}

static int read_env(bl_config *c, char **err)
{
    for (int i = 0; i < NSETTINGS; i++) {
        char name[80];
        env_name(&settings[i], name, sizeof name);
        const char *v = getenv(name);
        if (v && set_text(c, i, v, SRC_ENV, err) != 0)
            return -1;
    }
    return 0;
}

static void finish(bl_config *c)
{
    c->limits = (bl_limits){.budget = c->budget, .timeout_ms = (int)c->timeout_ms,
                            .memory = (size_t)c->memory_mb << 20, .test_timeout_ms = (int)c->test_timeout_ms};
}

/* The file, then the variables, then the flags over it: flags win over variables, variables over the
 * file. (The flags are read once first, for --config and to refuse a bad one before reading files.) */
static int load(bl_config *c, int argc, char **argv, const bl_host_config *base, int *check_only, int *help,
                char **err)
{
    defaults(c, base);
    bl_config pre;
    defaults(&pre, base);
    int rc = read_flags(&pre, argc, argv, check_only, help, err);
    const char *env_config = getenv("BYLAW_CONFIG");
    if (pre.config)
        c->config = bl_strdupf("%s", pre.config);
    else if (env_config && *env_config)
        c->config = bl_strdupf("%s", env_config);
    bl_config_free(&pre);
    if (rc == 0 && c->config)
        rc = read_file(c, c->config, err);
    if (rc == 0)
        rc = read_env(c, err);
    if (rc == 0)
        rc = read_flags(c, argc, argv, check_only, help, err);
    if (rc == 0 && c->token_file) {
        cJSON *t = read_json_file(c->token_file, "token file", err);
        const cJSON *a = cJSON_IsObject(t) ? cJSON_GetObjectItemCaseSensitive(t, "tokens") : t;
        rc = t ? read_tokens(c, a, c->token_file, err) : -1;
        cJSON_Delete(t);
    }
    if (rc == 0 && c->indexes) {
        bl_index_list l;
        rc = bl_config_indexes(c->indexes, &l, err);
        bl_config_indexes_free(&l);
    }
    finish(c);
    return rc;
}

int bl_config_indexes(const char *text, bl_index_list *out, char **err)
{
    memset(out, 0, sizeof *out);
    for (const char *p = text ? text : ""; *p;) {
        p += strspn(p, " ,\t");
        size_t len = strcspn(p, " ,\t");
        if (len == 0)
            break;
        char *item = bl_strdupf("%.*s", (int)len, p), *dot = strchr(item, '.');
        if (dot)
            *dot = '\0';
        if (dot == NULL || !bl_query_field_name(item) || !bl_query_field_name(dot + 1)) {
            *err = bl_strdupf("indexes: '%.*s' is not TYPE.FIELD (letters, digits, '_' and '-' on each side of the "
                              "dot, as in client.annual_revenue)", (int)len, p);
            free(item);
            bl_config_indexes_free(out);
            return -1;
        }
        out->types = realloc(out->types, (size_t)(out->n + 1) * sizeof *out->types);
        out->fields = realloc(out->fields, (size_t)(out->n + 1) * sizeof *out->fields);
        out->types[out->n] = item; /* (one allocation: "type\0field") */
        out->fields[out->n] = dot + 1;
        out->n++;
        p += len;
    }
    return 0;
}

void bl_config_indexes_free(bl_index_list *l)
{
    for (int i = 0; i < l->n; i++)
        free(l->types[i]);
    free(l->types);
    free(l->fields);
    memset(l, 0, sizeof *l);
}

int bl_config_load(bl_config *c, int argc, char **argv, const bl_host_config *base, int *check_only, char **err)
{
    int help = 0;
    *err = NULL;
    *check_only = 0;
    if (load(c, argc, argv, base, check_only, &help, err) != 0)
        return help ? (fputs(bl_config_usage(), stdout), 1) : 2;
    if (help) {
        fputs(bl_config_usage(), stdout);
        return 1;
    }
    return 0;
}

int bl_config_reload(const bl_config *c, int argc, char **argv, const bl_host_config *base, bl_config *out,
                     char **err)
{
    int check = 0, help = 0;
    *err = NULL;
    if (load(out, argc, argv, base, &check, &help, err) != 0) {
        bl_config_free(out);
        return -1;
    }
    (void)c;
    return 0;
}

void bl_config_free(bl_config *c)
{
    for (int i = 0; i < NSETTINGS; i++)
        if (settings[i].type == S_STR || settings[i].type == S_ENUM)
            free(*str_at(c, &settings[i]));
    for (int i = 0; i < c->ntokens; i++)
        free(c->tokens[i].name);
    free(c->tokens);
    free(c->config);
    memset(c, 0, sizeof *c);
}

static void value_text(const bl_config *c, const setting *s, char *out, size_t n)
{
    bl_config *m = (bl_config *)c;
    if (s->type == S_INT)
        snprintf(out, n, "%lld", *int_at(m, s));
    else if (s->type == S_BOOL)
        snprintf(out, n, "%s", *int_at(m, s) ? "true" : "false");
    else
        snprintf(out, n, "%s", *str_at(m, s) ? *str_at(m, s) : "(none)");
}

char *bl_config_describe(const bl_config *c)
{
    cJSON *o = cJSON_CreateObject(), *set = cJSON_AddObjectToObject(o, "settings");
    bl_json_add_str(o, "config", c->config);
    for (int i = 0; i < NSETTINGS; i++) {
        const setting *s = &settings[i];
        cJSON *e = cJSON_AddObjectToObject(set, s->key);
        bl_config *m = (bl_config *)c;
        if (s->type == S_INT)
            bl_json_add_num(e, "value", (double)*int_at(m, s));
        else if (s->type == S_BOOL)
            bl_json_add(e, "value", cJSON_CreateBool(*int_at(m, s) != 0));
        else
            bl_json_add_str(e, "value", *str_at(m, s));
        char from[80];
        source_text(s, c->source[i], from, sizeof from);
        bl_json_add_str(e, "from", from);
    }
    cJSON *toks = cJSON_AddArrayToObject(o, "tokens");
    static const char *const roles[] = {"none", "reader", "writer", "admin"};
    for (int i = 0; i < c->ntokens; i++) {
        cJSON *t = cJSON_CreateObject();
        bl_json_add_str(t, "name", c->tokens[i].name);
        bl_json_add_str(t, "role", roles[c->tokens[i].role]);
        cJSON_AddItemToArray(toks, t);
    }
    char *text = cJSON_Print(o);
    cJSON_Delete(o);
    return text;
}

void bl_config_diff(const bl_config *a, const bl_config *b, bl_buf *out)
{
    for (int i = 0; i < NSETTINGS; i++) {
        char x[300], y[300];
        value_text(a, &settings[i], x, sizeof x);
        value_text(b, &settings[i], y, sizeof y);
        if (strcmp(x, y) != 0)
            bl_buf_printf(out, "%s%s: %s -> %s", out->len ? "; " : "", settings[i].key, x, y);
    }
    int same = a->ntokens == b->ntokens;
    for (int i = 0; same && i < a->ntokens; i++)
        same = a->tokens[i].role == b->tokens[i].role && memcmp(a->tokens[i].sha256, b->tokens[i].sha256, 32) == 0 &&
               strcmp(a->tokens[i].name, b->tokens[i].name) == 0;
    if (!same)
        bl_buf_printf(out, "%stokens: %d -> %d", out->len ? "; " : "", a->ntokens, b->ntokens);
}

bl_role bl_config_role(const bl_config *c, const char *presented, const char **name)
{
    uint8_t digest[32];
    sha256_of(presented, digest);
    bl_role role = BL_ROLE_NONE;
    for (int i = 0; i < c->ntokens; i++) {
        unsigned diff = 0;
        for (int k = 0; k < 32; k++) /* every byte of every token: the time says nothing */
            diff |= (unsigned)(digest[k] ^ c->tokens[i].sha256[k]);
        if (diff == 0 && role == BL_ROLE_NONE) {
            role = c->tokens[i].role;
            if (name)
                *name = c->tokens[i].name;
        }
    }
    return role;
}

const char *bl_config_usage(void)
{
    static char *usage;
    if (usage)
        return usage;
    bl_buf b = {0};
    bl_buf_adds(&b, "Usage: bylaw serve [OPTIONS]\n"
                    "\n"
                    "Runs the HTTP/JSON service (API: README.md). Policies run in worker processes, never in the\n"
                    "service's own; editing a policy file reloads it (validate, test, then swap); a broken edit is\n"
                    "logged with file:line and the old policies keep running. SIGHUP reads the config again and\n"
                    "reloads the policies; SIGINT/SIGTERM stop it gracefully. Without tokens the service runs in\n"
                    "open mode: every client has every role, and only loopback clients are served.\n"
                    "\n"
                    "Every setting is a flag, a key of the config file (--config FILE, JSON) and a BYLAW_*\n"
                    "variable; a flag wins over the variable, the variable over the file:\n\n");
    for (int i = 0; i < NSETTINGS; i++) {
        const setting *s = &settings[i];
        char env[80], arg[40];
        env_name(s, env, sizeof env);
        snprintf(arg, sizeof arg, "%s", s->type == S_INT ? " N" : s->type == S_BOOL ? "[=BOOL]" : " VALUE");
        bl_buf_printf(&b, "  --%s%s\n      %s", s->flag, arg, s->help);
        if (s->type == S_INT)
            bl_buf_printf(&b, " (%lld to %lld)", s->min, s->max);
        if (s->choices) {
            bl_buf_adds(&b, " (");
            for (const char *const *v = s->choices; *v; v++)
                bl_buf_printf(&b, "%s%s", v == s->choices ? "" : ", ", *v);
            bl_buf_adds(&b, ")");
        }
        bl_buf_printf(&b, "\n      config \"%s\", %s%s%s\n", s->key, env, s->dflt ? ", default " : "",
                      s->dflt ? s->dflt : "");
    }
    bl_buf_adds(&b, "  --config FILE        the JSON config file (also BYLAW_CONFIG); \"tokens\": [{\"name\", \"token\" or\n"
                    "                       \"sha256\", \"role\": \"admin|writer|reader\"}] there or in token_file\n"
                    "  --check-config       read and check every setting, print them with where each came from, exit\n"
                    "  -h, --help           this help\n");
    usage = b.data;
    return usage;
}
