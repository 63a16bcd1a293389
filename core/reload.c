/* reload.c — policy sets in the service: a new set is staged, loaded, tested and only then activated
 * (PUT /policies, rollback, edits in the policy directory); a set that fails keeps the old one
 * running. Every activated version is recorded with its source. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine.h"
#include "service.h"
#include "testrun.h"

/* Policies: install and reload --------------------------------------------------------------------- */

static int copy_file(const char *from, const char *to)
{
    FILE *in = fopen(from, "rb");
    if (in == NULL)
        return -1;
    FILE *out = fopen(to, "wb");
    if (out == NULL) {
        fclose(in);
        return -1;
    }
    char buf[8192];
    size_t n;
    int rc = 0;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0)
        if (fwrite(buf, 1, n, out) != n)
            rc = -1;
    fclose(in);
    if (fclose(out) != 0)
        rc = -1;
    return rc;
}

/* Copies the .lua files of dir (and of its subdirectories) into to. */
static int copy_tree(const char *dir, const char *to)
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
        if (stat(a, &st) == 0 && S_ISDIR(st.st_mode)) {
            rc = mkdir(b, 0700) == 0 ? copy_tree(a, b) : -1;
        } else {
            size_t n = strlen(e->d_name);
            if (n > 4 && strcmp(e->d_name + n - 4, ".lua") == 0)
                rc = copy_file(a, b);
        }
        free(a);
        free(b);
    }
    closedir(d);
    return rc;
}

static void remove_tree(const char *dir)
{
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            char *a = bl_strdupf("%s/%s", dir, e->d_name);
            struct stat st;
            if (lstat(a, &st) == 0 && S_ISDIR(st.st_mode))
                remove_tree(a);
            else
                unlink(a);
            free(a);
        }
        closedir(d);
    }
    rmdir(dir);
}

/* Replaces every occurrence of `from` in text by `to` (messages from a staging copy name the real dir). */
static char *replace_all(const char *text, const char *from, const char *to)
{
    bl_buf b = {0};
    size_t fl = strlen(from);
    const char *p = text, *q;
    while ((q = strstr(p, from)) != NULL) {
        bl_buf_add(&b, p, (size_t)(q - p));
        bl_buf_adds(&b, to);
        p = q + fl;
    }
    bl_buf_adds(&b, p);
    return b.data;
}

/* Loads dir as a policy set and runs its tests. Returns the host, or NULL with *err. */
static bl_host_t *validate(bl_service *svc, const char *dir, char **err)
{
    bl_host_config cfg = svc->cfg;
    cfg.policy_dir = dir;
    bl_buf errors = {0};
    bl_host_t *h = bl_host_open(&cfg, &errors);
    if (h == NULL) {
        if (errors.len && errors.data[errors.len - 1] == '\n')
            errors.data[--errors.len] = '\0';
        *err = bl_strdupf("the policies do not load: %s", errors.data ? errors.data : "");
        bl_buf_free(&errors);
        return NULL;
    }
    char *out = NULL;
    size_t outlen = 0;
    FILE *f = open_memstream(&out, &outlen);
    int passed = 0, failed = 0;
    int64_t clock = bl_clock_is_virtual() ? bl_clock_now_ms() : -1;
    bl_test_run(dir, &cfg, f, &passed, &failed);
    if (clock >= 0)
        bl_clock_set_virtual(clock); /* the tests moved the clock: put the service's back */
    else
        bl_clock_set_real();
    fclose(f);
    if (failed) {
        /* keep the failures (and the file each sits in), not the lines of the tests that pass */
        bl_buf fails = {0};
        for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n"))
            if (strncmp(line, "  ok ", 5) != 0)
                bl_buf_printf(&fails, "%s\n", line);
        free(out);
        out = fails.data;
        *err = bl_strdupf("the policy tests fail (%d passed, %d failed):\n%s", passed, failed, out ? out : "");
        free(out);
        bl_host_close(h);
        return NULL;
    }
    free(out);
    return h;
}

/* Makes h the active policy set and records its versions. */
void bl_service_activate(bl_service *svc, bl_host_t *h)
{
    bl_service_flush(svc);
    if (svc->host != h)
        bl_host_close(svc->host);
    svc->host = h;
    char *err = NULL;
    if (bl_engine_register_policies(h, svc->store, &err) != BL_OK) {
        bl_log(svc, "error", "cannot record the policy versions: %s", err);
        free(err);
    }
    cJSON *list = bl_host_policies(h), *p;
    bl_buf names = {0};
    cJSON_ArrayForEach(p, list) bl_buf_printf(&names, "%s%s@%s", names.len ? ", " : "", bl_json_str(p, "name"),
                                              bl_json_str(p, "version"));
    bl_log(svc, "info", "policies active: %s", names.data ? names.data : "(none)");
    bl_buf_free(&names);
    cJSON_Delete(list);
}

int bl_service_install(bl_service *svc, const char *name, const char *source, size_t len, char **err)
{
    *err = NULL;
    if (source == NULL) { /* reload the directory as it is */
        bl_host_t *h = validate(svc, svc->cfg.policy_dir, err);
        if (h == NULL)
            return BL_INVALID;
        bl_service_activate(svc, h);
        return BL_OK;
    }
    if (memchr(source, '\0', len)) {
        *err = bl_strdupf("the policy source must be Lua text");
        return BL_INVALID;
    }
    char stage[] = "/tmp/bylaw-stage-XXXXXX";
    if (mkdtemp(stage) == NULL) {
        *err = bl_strdupf("cannot make a staging directory: %s", strerror(errno));
        return BL_ERR;
    }
    char *file = bl_strdupf("%s/%s.lua", stage, name);
    int rc = BL_OK;
    if (copy_tree(svc->cfg.policy_dir, stage) != 0) {
        *err = bl_strdupf("cannot copy %s for staging: %s", svc->cfg.policy_dir, strerror(errno));
        rc = BL_ERR;
    } else {
        FILE *f = fopen(file, "wb");
        if (f == NULL || fwrite(source, 1, len, f) != len || fclose(f) != 0) {
            *err = bl_strdupf("cannot write the staged policy: %s", strerror(errno));
            rc = BL_ERR;
        }
    }
    bl_host_t *staged = rc == BL_OK ? validate(svc, stage, err) : NULL;
    if (rc == BL_OK && staged == NULL) {
        char *msg = replace_all(*err, stage, svc->cfg.policy_dir);
        free(*err);
        *err = msg;
        rc = BL_INVALID;
    }
    bl_host_close(staged);
    remove_tree(stage);
    free(file);
    if (rc != BL_OK)
        return rc;
    /* Valid: write it in place atomically, then load from the real directory (its file names). */
    char *real = bl_strdupf("%s/%s.lua", svc->cfg.policy_dir, name);
    char *tmp = bl_strdupf("%s/.%s.lua.new", svc->cfg.policy_dir, name);
    FILE *f = fopen(tmp, "wb");
    if (f == NULL || fwrite(source, 1, len, f) != len || fflush(f) != 0 || fsync(fileno(f)) != 0 || fclose(f) != 0 ||
        rename(tmp, real) != 0) {
        *err = bl_strdupf("cannot write %s: %s", real, strerror(errno));
        unlink(tmp);
        free(real);
        free(tmp);
        return BL_ERR;
    }
    free(real);
    free(tmp);
    bl_host_t *h = validate(svc, svc->cfg.policy_dir, err);
    if (h == NULL)
        return BL_ERR; /* cannot happen unless the directory changed under us */
    bl_service_activate(svc, h);
    svc->metrics.reloads++;
    return BL_OK;
}

void bl_service_reload(bl_service *svc)
{
    cJSON *before = bl_host_policies(svc->host);
    char *err = NULL;
    bl_host_t *h = validate(svc, svc->cfg.policy_dir, &err);
    if (h == NULL) {
        svc->metrics.reload_failures++;
        bl_log(svc, "error", "policy edit rejected, the old policies keep running: %s", err);
        free(err);
        cJSON_Delete(before);
        return;
    }
    cJSON *after = bl_host_policies(h);
    int same = cJSON_Compare(before, after, 1);
    cJSON_Delete(before);
    cJSON_Delete(after);
    if (same) {
        bl_host_close(h);
        return;
    }
    bl_service_activate(svc, h);
    svc->metrics.reloads++;
}

