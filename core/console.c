/* console.c — serves the admin console: our own files from console/ (beside scripts/, in the build tree
 * and under PREFIX/share/bylaw alike) and the browser libraries Debian installs, named one by one in a
 * table, so that no request can reach any other file. Each answer carries its content type and the CSP. */
#include "console.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "service.h"

/* The libraries the pages load, as /console/lib/NAME: the file of each Debian package. */
static const struct {
    const char *name, *path, *package;
} libs[] = {
    {"codemirror.js", BL_JS_DIR "/codemirror/lib/codemirror.js", "libjs-codemirror"},
    {"codemirror.css", BL_JS_DIR "/codemirror/lib/codemirror.css", "libjs-codemirror"},
    {"lua.js", BL_JS_DIR "/codemirror/mode/lua/lua.js", "libjs-codemirror"},
    {"chart.js", BL_JS_DIR "/chart.js/chart.min.js", "libjs-chart.js"},
};

/* The types a console file may have; a name with another extension is not served. */
static const struct {
    const char *ext, *ctype;
} types[] = {
    {".html", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".svg", "image/svg+xml"},
};

static const char *ctype_of(const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < sizeof types / sizeof *types; i++) {
        size_t e = strlen(types[i].ext);
        if (n > e && strcmp(name + n - e, types[i].ext) == 0)
            return types[i].ctype;
    }
    return NULL;
}

/* A file name of console/ itself: letters, digits, '_', '-' and '.', not starting with '.'. */
static int plain_name(const char *s)
{
    return s[0] != '\0' && s[0] != '.' && strlen(s) <= 64 &&
           s[strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.")] == '\0';
}

char *bl_console_dir(const char *scripts_dir)
{
    const char *d = scripts_dir ? scripts_dir : "scripts";
    size_t n = strlen(d);
    while (n > 1 && d[n - 1] == '/')
        n--;
    while (n > 0 && d[n - 1] != '/') /* the last component goes */
        n--;
    return n == 0 ? bl_strdupf("console") : bl_strdupf("%.*sconsole", (int)n, d);
}

static void answer_file(const char *path, const char *ctype, const char *shown, const char *hint, bl_resp *resp)
{
    size_t len = 0;
    char *text = bl_read_file(path, &len);
    if (text == NULL) {
        bl_api_error(resp, 404, "the console file %s cannot be read from %s%s", shown, path, hint);
        return;
    }
    resp->status = 200;
    resp->body = text;
    resp->ctype = ctype;
    resp->extra_header = "Content-Security-Policy";
    resp->extra_value = BL_CONSOLE_CSP;
}

void bl_console_get(void *ud, const bl_req *req, const bl_match *m, bl_resp *resp)
{
    bl_service *svc = ud;
    if (strncmp(m->route->pattern, "/console/lib/", 13) == 0) {
        for (size_t i = 0; i < sizeof libs / sizeof *libs; i++)
            if (strcmp(libs[i].name, m->seg[0]) == 0) {
                char hint[96];
                snprintf(hint, sizeof hint, " (install the Debian package %s: make deps)", libs[i].package);
                answer_file(libs[i].path, ctype_of(libs[i].name), libs[i].name, hint, resp);
                return;
            }
        bl_api_error(resp, 404, "no console library '%s': the console serves codemirror.js, codemirror.css, "
                                "lua.js and chart.js", m->seg[0]);
        return;
    }
    const char *name = m->nseg ? m->seg[0] : "index.html";
    const char *ctype = plain_name(name) ? ctype_of(name) : NULL;
    if (ctype == NULL) {
        bl_api_error(resp, 404, "no console file '%s': names are letters, digits, '_', '-' and '.', ending "
                                ".html, .js, .css or .svg",
                     name);
        return;
    }
    char *dir = bl_console_dir(svc->cfg.scripts_dir);
    char *path = bl_strdupf("%s/%s", dir, name);
    answer_file(path, ctype, name, "", resp);
    free(path);
    free(dir);
}
