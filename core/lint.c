/* lint.c — runs scripts/_lint.lua over a loaded policy set: hands it the policy files and the test files
 * beside them (their text), the runtime, the sandbox's globals and what it refuses, and the bytecode reader,
 * and turns its findings into JSON. */
#include "lint.h"

#include <dirent.h>
#include <lauxlib.h>
#include <stdlib.h>
#include <string.h>

#include "sandbox.h"

/* Pushes { shown =, source = } for the file path (named dir_shown/NAME); 0 when it cannot be read. */
static int push_file(lua_State *L, const char *path, const char *dir_shown)
{
    size_t len;
    char *src = bl_read_file(path, &len);
    if (src == NULL)
        return 0;
    const char *base = strrchr(path, '/');
    lua_createtable(L, 0, 2);
    lua_pushfstring(L, "%s/%s", dir_shown, base ? base + 1 : path);
    lua_setfield(L, -2, "shown");
    lua_pushlstring(L, src, len);
    lua_setfield(L, -2, "source");
    free(src);
    return 1;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Pushes the list of the *_test.lua files of dir, sorted. */
static void push_tests(lua_State *L, const char *dir, const char *shown)
{
    lua_newtable(L);
    DIR *d = opendir(dir);
    if (d == NULL)
        return;
    char **names = NULL;
    int n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (e->d_name[0] == '.' || len < 9 || strcmp(e->d_name + len - 9, "_test.lua") != 0)
            continue;
        if (n == cap)
            names = realloc(names, (size_t)(cap = cap ? 2 * cap : 16) * sizeof *names);
        names[n++] = bl_strdupf("%s/%s", dir, e->d_name);
    }
    closedir(d);
    if (n)
        qsort(names, (size_t)n, sizeof *names, cmp_str);
    for (int i = 0, k = 0; i < n; i++) {
        if (push_file(L, names[i], shown))
            lua_rawseti(L, -2, ++k);
        free(names[i]);
    }
    free(names);
}

cJSON *bl_lint(bl_host_t *h, const bl_host_config *cfg, char **err)
{
    *err = NULL;
    lua_State *L = bl_host_state(h);
    int top = lua_gettop(L);
    const char *shown = cfg->display_dir ? cfg->display_dir : cfg->policy_dir;
    lua_createtable(L, 0, 6);
    int n;
    char **files = bl_policy_files(cfg->policy_dir, &n);
    lua_createtable(L, n, 0);
    for (int i = 0, k = 0; i < n; i++) {
        if (push_file(L, files[i], shown))
            lua_rawseti(L, -2, ++k);
        free(files[i]);
    }
    free(files);
    lua_setfield(L, -2, "files");
    push_tests(L, cfg->policy_dir, shown);
    lua_setfield(L, -2, "tests");
    bl_host_push_runtime(h);
    lua_setfield(L, -2, "runtime");
    bl_sandbox_push_base(L);
    lua_setfield(L, -2, "base");
    bl_sandbox_push_traps(L);
    lua_setfield(L, -2, "traps");
    if (bl_script_run(L, cfg->scripts_dir, "_bytecode.lua", 0) != LUA_OK)
        goto fail;
    lua_setfield(L, -2, "bytecode");
    if (bl_script_run(L, cfg->scripts_dir, "_lint.lua", 1) != LUA_OK)
        goto fail;
    cJSON *out = cJSON_CreateArray();
    int list = lua_gettop(L);
    for (lua_Integer i = 1, m = (lua_Integer)lua_rawlen(L, list); i <= m; i++) {
        lua_rawgeti(L, list, i);
        cJSON *o = cJSON_CreateObject();
        lua_getfield(L, -1, "file");
        bl_json_add_str(o, "file", lua_tostring(L, -1));
        lua_getfield(L, -2, "line");
        bl_json_add_num(o, "line", (double)lua_tointeger(L, -1));
        lua_getfield(L, -3, "msg");
        bl_json_add_str(o, "message", lua_tostring(L, -1));
        cJSON_AddItemToArray(out, o);
        lua_pop(L, 4);
    }
    lua_settop(L, top);
    return out;
fail:
    *err = bl_strdupf("the lint failed: %s", lua_tostring(L, -1) ? lua_tostring(L, -1) : "?");
    lua_settop(L, top);
    return NULL;
}
