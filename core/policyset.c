/* policyset.c — policy sets as files (policyset.h). */
#include "policyset.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host.h"

static int is_lua(const char *name)
{
    size_t n = strlen(name);
    return n > 4 && strcmp(name + n - 4, ".lua") == 0;
}

static int copy_file(const char *from, const char *to)
{
    size_t n;
    char *text = bl_read_file(from, &n);
    if (text == NULL)
        return -1;
    FILE *out = fopen(to, "wb");
    int rc = out && fwrite(text, 1, n, out) == n ? 0 : -1;
    if (out && fclose(out) != 0)
        rc = -1;
    free(text);
    return rc;
}

int bl_set_copy(const char *dir, const char *to)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return -1;
    struct dirent *e;
    int rc = 0;
    while (rc == 0 && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char *a = bl_strdupf("%s/%s", dir, e->d_name), *b = bl_strdupf("%s/%s", to, e->d_name);
        struct stat st;
        if (stat(a, &st) == 0 && S_ISDIR(st.st_mode))
            rc = mkdir(b, 0700) == 0 ? bl_set_copy(a, b) : -1;
        else if (is_lua(e->d_name))
            rc = copy_file(a, b);
        free(a);
        free(b);
    }
    closedir(d);
    return rc;
}

int bl_set_write(const char *dir, const cJSON *files)
{
    const cJSON *f;
    cJSON_ArrayForEach(f, files)
    {
        if ((!cJSON_IsString(f) && !cJSON_IsNull(f)) || strstr(f->string, "..") || f->string[0] == '/') {
            errno = EINVAL;
            return -1;
        }
        char *path = bl_strdupf("%s/%s", dir, f->string);
        int ok = 1;
        if (cJSON_IsNull(f)) {
            ok = unlink(path) == 0 || errno == ENOENT;
        } else {
            for (char *p = path + strlen(dir) + 1; (p = strchr(p, '/')) != NULL; p++) {
                *p = '\0';
                mkdir(path, 0700);
                *p = '/';
            }
            FILE *out = fopen(path, "wb");
            size_t n = strlen(f->valuestring);
            ok = out && fwrite(f->valuestring, 1, n, out) == n;
            if (out && fclose(out) != 0)
                ok = 0;
        }
        free(path);
        if (!ok)
            return -1;
    }
    return 0;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* The .lua files under dir/rel (relative paths) appended to *v. */
static void list_lua(const char *dir, const char *rel, char ***v, int *n, int *cap)
{
    char *path = rel[0] ? bl_strdupf("%s/%s", dir, rel) : bl_strdupf("%s", dir);
    DIR *d = opendir(path);
    free(path);
    if (d == NULL)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char *r = rel[0] ? bl_strdupf("%s/%s", rel, e->d_name) : bl_strdupf("%s", e->d_name);
        char *full = bl_strdupf("%s/%s", dir, r);
        struct stat st;
        if (stat(full, &st) == 0 && S_ISDIR(st.st_mode)) {
            list_lua(dir, r, v, n, cap);
            free(r);
        } else if (is_lua(e->d_name)) {
            if (*n == *cap) {
                *cap = *cap ? 2 * *cap : 32;
                char **nv = realloc(*v, (size_t)*cap * sizeof **v);
                if (nv == NULL)
                    abort();
                *v = nv;
            }
            (*v)[(*n)++] = r;
        } else {
            free(r);
        }
        free(full);
    }
    closedir(d);
}

cJSON *bl_set_read(const char *dir, char version[17])
{
    char **files = NULL;
    int n = 0, cap = 0;
    list_lua(dir, "", &files, &n, &cap);
    if (n)
        qsort(files, (size_t)n, sizeof *files, cmp_str);
    cJSON *out = cJSON_CreateObject();
    bl_buf all = {0};
    for (int i = 0; i < n; i++) {
        char *path = bl_strdupf("%s/%s", dir, files[i]);
        size_t len = 0;
        char *text = bl_read_file(path, &len);
        bl_buf_printf(&all, "%s\n%zu\n", files[i], len);
        if (text)
            bl_buf_add(&all, text, len);
        bl_json_add_str(out, files[i], text ? text : "");
        free(text);
        free(path);
        free(files[i]);
    }
    free(files);
    bl_source_version(all.data ? all.data : "", all.len, version);
    bl_buf_free(&all);
    return out;
}
