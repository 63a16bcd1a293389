/* console.h — the admin console's files (console/ beside the scripts directory, and the Debian-packaged
 * browser libraries under /usr/share/javascript) served at GET / and GET /console/... */
#ifndef BL_CONSOLE_H
#define BL_CONSOLE_H

#include "router.h"

/* Where the Debian packages libjs-codemirror and libjs-chart.js install their files. */
#ifndef BL_JS_DIR
#define BL_JS_DIR "/usr/share/javascript"
#endif

/* The Content-Security-Policy of every console answer: our files and the libraries only, no inline script. */
#define BL_CONSOLE_CSP                                                                                             \
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "          \
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

/* A route handler (bl_route_fn; ud is the service): / is console/index.html, /console/NAME a file of
 * console/, /console/lib/NAME one of the libraries it names. Any other name is 404. */
void bl_console_get(void *ud, const bl_req *req, const bl_match *m, bl_resp *resp);

/* POST /console/try/{type} (console_try.c): the record in the body evaluated as a write would be, nothing
 * stored; the answer is `bylaw eval`'s (record, decisions, points, events, deadlines) and "stored": false. */
void bl_console_try(void *ud, const bl_req *req, const bl_match *m, bl_resp *resp);

/* The console directory for a scripts directory: DIR/console for DIR/scripts (malloc'd). */
char *bl_console_dir(const char *scripts_dir);

#endif
