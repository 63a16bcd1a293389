/* coverage.c — the lines of policy files a test run ran (bylaw test --coverage): counted by a line hook that
 * only test runs install, and set against the executable lines of each file, read from its compiled
 * functions by scripts/_bytecode.lua. */
#include "coverage.h"

#include <lauxlib.h>
#include <lualib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "host.h"

typedef struct cov_file {
    char *shown, *path; /* as messages name it (its chunk name); where it is read */
    int *hits, nhits;   /* hits[line], for lines below nhits */
} cov_file;

struct bl_cov {
    cov_file *files;
    int n, cap;
    char *policy_dir, *display_dir; /* the directory counted now */
    cov_file *last;                 /* the file of the last line counted... */
    char last_name[512];            /* ...its chunk name; last NULL: a file not counted */
};

static _Thread_local bl_cov *current;

bl_cov *bl_cov_new(void) { return calloc(1, sizeof(bl_cov)); }

void bl_cov_free(bl_cov *c)
{
    if (c == NULL)
        return;
    if (current == c)
        current = NULL;
    for (int i = 0; i < c->n; i++) {
        free(c->files[i].shown);
        free(c->files[i].path);
        free(c->files[i].hits);
    }
    free(c->files);
    free(c->policy_dir);
    free(c->display_dir);
    free(c);
}

static cov_file *find(bl_cov *c, const char *shown)
{
    for (int i = 0; i < c->n; i++)
        if (strcmp(c->files[i].shown, shown) == 0)
            return &c->files[i];
    return NULL;
}

static cov_file *add(bl_cov *c, const char *shown, const char *path)
{
    cov_file *f = find(c, shown);
    if (f)
        return f;
    if (c->n == c->cap) {
        c->cap = c->cap ? 2 * c->cap : 16;
        c->files = realloc(c->files, (size_t)c->cap * sizeof *c->files);
        c->last = NULL; /* it pointed into the old array */
        c->last_name[0] = '\0';
    }
    f = &c->files[c->n++];
    *f = (cov_file){bl_strdupf("%s", shown), bl_strdupf("%s", path), NULL, 0};
    return f;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

void bl_cov_dir(bl_cov *c, const char *policy_dir, const char *display_dir)
{
    free(c->policy_dir);
    free(c->display_dir);
    c->policy_dir = bl_strdupf("%s", policy_dir);
    c->display_dir = bl_strdupf("%s", display_dir);
    c->last = NULL;
    c->last_name[0] = '\0';
    int n;
    char **files = bl_policy_files(policy_dir, &n);
    for (int i = 0; i < n; i++) {
        const char *base = strrchr(files[i], '/');
        char *shown = bl_strdupf("%s/%s", display_dir, base ? base + 1 : files[i]);
        add(c, shown, files[i]);
        free(shown);
        free(files[i]);
    }
    free(files);
    current = c;
}

void bl_cov_stop(void) { current = NULL; }

/* The file a chunk name is, if it is counted: a policy file or a module under the directory counted now. */
static cov_file *file_of(bl_cov *c, const char *name)
{
    cov_file *f = find(c, name);
    size_t dl = strlen(c->display_dir);
    if (f == NULL && strncmp(name, c->display_dir, dl) == 0 && name[dl] == '/' && ends_with(name, ".lua") &&
        !ends_with(name, "_test.lua")) {
        char *path = bl_strdupf("%s%s", c->policy_dir, name + dl);
        f = add(c, name, path);
        free(path);
    }
    return f;
}

void bl_cov_hook(lua_State *L, lua_Debug *ar)
{
    bl_cov *c = current;
    if (c == NULL || ar->currentline <= 0 || !lua_getinfo(L, "S", ar) || ar->source[0] != '@')
        return;
    const char *name = ar->source + 1;
    if (strcmp(name, c->last_name) != 0) {
        c->last = file_of(c, name);
        snprintf(c->last_name, sizeof c->last_name, "%s", strlen(name) < sizeof c->last_name ? name : "");
    }
    cov_file *f = c->last;
    if (f == NULL)
        return;
    int line = ar->currentline;
    if (line >= f->nhits) {
        int n = line + 64;
        f->hits = realloc(f->hits, (size_t)n * sizeof *f->hits);
        memset(f->hits + f->nhits, 0, (size_t)(n - f->nhits) * sizeof *f->hits);
        f->nhits = n;
    }
    f->hits[line]++;
}

static int cmp_file(const void *a, const void *b)
{
    return strcmp(((const cov_file *)a)->shown, ((const cov_file *)b)->shown);
}

static int cmp_int(const void *a, const void *b) { return *(const int *)a - *(const int *)b; }

/* The executable lines of f, sorted, into *lines (malloc'd); their number, or -1 and the message on top of
 * L. M (the _bytecode module) at index m. */
static int executable_lines(lua_State *L, int m, const cov_file *f, int **lines)
{
    size_t len;
    char *src = bl_read_file(f->path, &len);
    *lines = NULL;
    if (src == NULL) {
        lua_pushfstring(L, "%s: cannot read the file", f->path);
        return -1;
    }
    lua_getfield(L, m, "compile");
    lua_pushlstring(L, src, len);
    lua_pushfstring(L, "@%s", f->shown);
    free(src);
    if (lua_pcall(L, 2, 2, 0) != LUA_OK)
        return -1;
    if (lua_isnil(L, -2)) { /* it does not compile: the message */
        lua_remove(L, -2);
        return -1;
    }
    lua_pop(L, 1);
    lua_getfield(L, m, "active_lines");
    lua_insert(L, -2);
    if (lua_pcall(L, 1, 1, 0) != LUA_OK)
        return -1;
    int n = 0, cap = 64;
    *lines = bl_xmalloc((size_t)cap * sizeof **lines);
    for (lua_pushnil(L); lua_next(L, -2); lua_pop(L, 1)) {
        if (n == cap)
            *lines = realloc(*lines, (size_t)(cap *= 2) * sizeof **lines);
        (*lines)[n++] = (int)lua_tointeger(L, -2);
    }
    lua_pop(L, 1);
    qsort(*lines, (size_t)n, sizeof **lines, cmp_int);
    return n;
}

static double percent(int covered, int lines) { return lines ? 100.0 * covered / lines : 100.0; }

cJSON *bl_cov_report(bl_cov *c, const char *scripts_dir, char **err)
{
    *err = NULL;
    lua_State *L = luaL_newstate();
    if (L == NULL) {
        *err = bl_strdupf("cannot create a Lua state");
        return NULL;
    }
    luaL_openlibs(L);
    if (bl_script_run(L, scripts_dir, "_bytecode.lua", 0) != LUA_OK) {
        *err = bl_strdupf("%s", lua_tostring(L, -1));
        lua_close(L);
        return NULL;
    }
    int m = lua_gettop(L);
    qsort(c->files, (size_t)c->n, sizeof *c->files, cmp_file);
    c->last = NULL;
    c->last_name[0] = '\0';
    cJSON *out = cJSON_CreateObject(), *files = cJSON_AddArrayToObject(out, "files");
    int all = 0, all_covered = 0;
    for (int i = 0; i < c->n; i++) {
        const cov_file *f = &c->files[i];
        int *lines, n = executable_lines(L, m, f, &lines), covered = 0;
        cJSON *o = cJSON_CreateObject(), *missed = cJSON_CreateArray();
        bl_json_add_str(o, "file", f->shown);
        if (n < 0) { /* it does not compile (its tests failed for it): no line of it counts */
            bl_json_add_str(o, "error", lua_tostring(L, -1));
            lua_settop(L, m);
            n = 0;
        }
        for (int k = 0; k < n; k++) {
            if (lines[k] < f->nhits && f->hits[lines[k]] > 0)
                covered++;
            else
                cJSON_AddItemToArray(missed, cJSON_CreateNumber(lines[k]));
        }
        free(lines);
        bl_json_add_num(o, "lines", n);
        bl_json_add_num(o, "covered", covered);
        bl_json_add_num(o, "percent", percent(covered, n));
        cJSON_AddItemToObject(o, "missed", missed);
        cJSON_AddItemToArray(files, o);
        all += n;
        all_covered += covered;
    }
    bl_json_add_num(out, "lines", all);
    bl_json_add_num(out, "covered", all_covered);
    bl_json_add_num(out, "percent", percent(all_covered, all));
    lua_close(L);
    return out;
}
