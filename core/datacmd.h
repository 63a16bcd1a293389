/* datacmd.h — the commands that work through a whole database: bylaw diff (what an edit of the policies
 * would change), bylaw replay (stored decisions under other policies) and bylaw import (records in
 * bulk, the policies applied). core/main.c parses their options. */
#ifndef BL_DATACMD_H
#define BL_DATACMD_H

#include "host.h"

typedef struct bl_data_opts {
    bl_host_config cfg;  /* the policies: the candidate (diff), the ones to replay under, the import's */
    const char *db;      /* the database (default bylaw.db) */
    const char *type;    /* --type, or the import's TYPE */
    const char *format;  /* "text" (default) or "json" */
    const char *current; /* diff: the running policies; NULL: the set the database last recorded */
    const char *since;   /* replay: decisions since this time or date */
    const char *file;    /* import: FILE.jsonl or FILE.csv ('-': standard input, JSON lines) */
    int dry_run;         /* import: evaluate and report, store nothing */
    int threads;         /* 0: one per core */
} bl_data_opts;

int bl_cmd_diff(const bl_data_opts *o);
int bl_cmd_replay(const bl_data_opts *o);
int bl_cmd_import(const bl_data_opts *o);

#endif
