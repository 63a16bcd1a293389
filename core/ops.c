/* ops.c — the operator's commands on a database: backup (a consistent copy while the service runs),
 * restore (checked, then put in place while nothing uses the database), export (records as JSON lines),
 * vacuum (compaction, while nothing uses it) and erase (a person's record and its history, recorded). */
#include "ops.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "store.h"

static const char *usage_ops =
    "Usage: bylaw backup DEST [--db FILE]\n"
    "       bylaw restore SRC [--db FILE]\n"
    "       bylaw export [--type TYPE] [--db FILE]\n"
    "       bylaw vacuum [--db FILE]\n"
    "       bylaw erase TYPE ID --reason TEXT [--by NAME] [--db FILE]\n"
    "\n"
    "Operations on the database (default bylaw.db):\n"
    "  backup   writes a consistent, compacted copy of the database to DEST (a new file, mode 0600)\n"
    "           while the service runs: it holds every write committed before the backup began\n"
    "  restore  checks SRC (integrity and schema) and puts it in the database's place; the service\n"
    "           must be stopped (the database's lock says whether it runs); the database replaced is\n"
    "           kept beside it as FILE.before-restore-YYYYMMDD-HHMMSS\n"
    "  export   writes every record (of TYPE, or all) to standard output as JSON lines, by type and id\n"
    "  vacuum   compacts the database file (after pruning); the service must be stopped\n"
    "  erase    deletes a record with its history, decisions, events and deadlines, as the law on\n"
    "           personal information requires, and records who erased what record when and why\n"
    "           (never the erased data); the service must be stopped, or use its API\n"
    "Exit status: 0 done, 1 it failed (the message says why), 2 the command line is wrong.\n";

typedef struct opts {
    const char *db, *type, *reason, *by;
    int help;
} opts;

static int parse(int argc, char **argv, opts *o, int npos, const char *cmd)
{
    static const struct option lo[] = {
        {"db", required_argument, 0, 'd'},     {"type", required_argument, 0, 't'},
        {"reason", required_argument, 0, 'r'}, {"by", required_argument, 0, 'b'},
        {"help", no_argument, 0, 'h'},         {0, 0, 0, 0},
    };
    optind = 1;
    opterr = 0;
    int ch;
    while ((ch = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
        switch (ch) {
        case 'd': o->db = optarg; break;
        case 't': o->type = optarg; break;
        case 'r': o->reason = optarg; break;
        case 'b': o->by = optarg; break;
        case 'h': o->help = 1; break;
        default:
            fprintf(stderr, "bylaw %s: option '%s' is unknown or lacks its value\n%s", cmd, argv[optind - 1],
                    usage_ops);
            return 2;
        }
    }
    if (o->help) {
        fputs(usage_ops, stdout);
        return 1;
    }
    if (argc - optind != npos) {
        fprintf(stderr, "bylaw %s: %s\n%s", cmd, argc - optind < npos ? "an argument is missing" : "too many arguments",
                usage_ops);
        return 2;
    }
    return 0;
}

static int file_exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0;
}

static int cmd_backup(const char *dest, const opts *o)
{
    if (file_exists(dest)) {
        fprintf(stderr, "bylaw backup: %s exists already: give a new file (a backup never overwrites one)\n", dest);
        return 1;
    }
    if (!file_exists(o->db)) {
        fprintf(stderr, "bylaw backup: there is no database %s\n", o->db);
        return 1;
    }
    mode_t old = umask(0077); /* a backup holds every record: for this user only */
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    char *err = NULL;
    int rc = bl_store_backup(o->db, dest, &err);
    umask(old);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (rc != BL_OK) {
        fprintf(stderr, "bylaw backup: %s\n", err);
        free(err);
        unlink(dest);
        return 1;
    }
    struct stat st;
    stat(dest, &st);
    printf("backup of %s written to %s (%lld bytes) in %.2f s: it holds every write committed before it began\n",
           o->db, dest, (long long)st.st_size, (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
    return 0;
}

static int cmd_restore(const char *src, const opts *o)
{
    char *verdict = NULL;
    if (bl_store_check(src, &verdict) != BL_OK) {
        fprintf(stderr, "bylaw restore: %s is not a sound database: %s\n", src, verdict);
        free(verdict);
        return 1;
    }
    free(verdict);
    char *err = NULL;
    int fd;
    if (bl_store_lock(o->db, "bylaw restore", &fd, &err) != BL_OK) {
        fprintf(stderr, "bylaw restore: %s\n", err);
        free(err);
        return 1;
    }
    char *tmp = bl_strdupf("%s.restoring", o->db), *aside = NULL;
    unlink(tmp);
    mode_t old = umask(0077);
    int rc = BL_OK;
    if (file_exists(o->db)) { /* the database replaced is kept, with what its WAL held */
        char stamp[32];
        time_t now = time(NULL);
        struct tm tm;
        strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", localtime_r(&now, &tm));
        aside = bl_strdupf("%s.before-restore-%s", o->db, stamp);
        rc = file_exists(aside) ? BL_ERR : bl_store_backup(o->db, aside, &err);
        if (rc != BL_OK && err == NULL) {
            err = bl_strdupf("%s exists already: try again in a second", aside);
        } else if (rc != BL_OK) { /* unreadable (why it is restored, maybe): its files are moved aside as they are */
            unlink(aside);
            free(err);
            err = NULL;
            char *wal = bl_strdupf("%s-wal", o->db), *wal_aside = bl_strdupf("%s-wal", aside);
            rc = rename(o->db, aside) == 0 && (!file_exists(wal) || rename(wal, wal_aside) == 0) ? BL_OK : BL_ERR;
            if (rc != BL_OK)
                err = bl_strdupf("cannot move %s aside to %s: %s", o->db, aside, strerror(errno));
            free(wal);
            free(wal_aside);
        }
    }
    if (rc == BL_OK)
        rc = bl_store_backup(src, tmp, &err); /* a copy, compacted, then renamed over the database */
    umask(old);
    if (rc == BL_OK) {
        char *wal = bl_strdupf("%s-wal", o->db), *shm = bl_strdupf("%s-shm", o->db);
        unlink(wal); /* the old database's log must not be read into the new one */
        unlink(shm);
        free(wal);
        free(shm);
        if (rename(tmp, o->db) != 0) {
            err = bl_strdupf("cannot put %s in place of %s: %s", tmp, o->db, strerror(errno));
            rc = BL_ERR;
        }
    }
    if (rc != BL_OK) {
        fprintf(stderr, "bylaw restore: %s\n", err);
        free(err);
        unlink(tmp);
    } else {
        printf("%s restored from %s\n", o->db, src);
        if (aside)
            printf("the database it replaced is kept as %s\n", aside);
    }
    free(aside);
    free(tmp);
    bl_store_unlock(o->db, fd);
    return rc == BL_OK ? 0 : 1;
}

static int put_line(void *ud, const char *json, size_t len)
{
    (void)ud;
    fwrite(json, 1, len, stdout);
    return fputc('\n', stdout) == EOF;
}

static int cmd_export(const opts *o)
{
    if (!file_exists(o->db)) {
        fprintf(stderr, "bylaw export: there is no database %s\n", o->db);
        return 1;
    }
    bl_store_t *s = NULL;
    char *err = NULL;
    if (bl_store_open(o->db, &s, &err) != BL_OK) {
        fprintf(stderr, "bylaw export: %s\n", err);
        free(err);
        return 1;
    }
    int rc = bl_store_export(s, o->type, put_line, NULL);
    if (rc != BL_OK)
        fprintf(stderr, "bylaw export: %s\n", bl_store_errmsg(s));
    bl_store_close(s);
    return rc == BL_OK && fflush(stdout) == 0 ? 0 : 1;
}

/* The database opened for something that must be alone with it: the lock first. */
static bl_store_t *open_alone(const char *cmd, const char *db, int *fd)
{
    char *err = NULL;
    if (!file_exists(db)) {
        fprintf(stderr, "bylaw %s: there is no database %s\n", cmd, db);
        return NULL;
    }
    char who[64];
    snprintf(who, sizeof who, "bylaw %s", cmd);
    if (bl_store_lock(db, who, fd, &err) != BL_OK) {
        fprintf(stderr, "bylaw %s: %s\n", cmd, err);
        free(err);
        return NULL;
    }
    bl_store_t *s = NULL;
    if (bl_store_open(db, &s, &err) != BL_OK) {
        fprintf(stderr, "bylaw %s: %s\n", cmd, err);
        free(err);
        bl_store_unlock(db, *fd);
        return NULL;
    }
    return s;
}

static int cmd_vacuum(const opts *o)
{
    int fd;
    bl_store_t *s = open_alone("vacuum", o->db, &fd);
    if (s == NULL)
        return 1;
    struct stat before, after;
    stat(o->db, &before);
    int rc = bl_store_vacuum(s);
    if (rc != BL_OK)
        fprintf(stderr, "bylaw vacuum: %s\n", bl_store_errmsg(s));
    bl_store_close(s);
    bl_store_unlock(o->db, fd);
    stat(o->db, &after);
    if (rc == BL_OK)
        printf("%s compacted: %lld bytes, was %lld\n", o->db, (long long)after.st_size, (long long)before.st_size);
    return rc == BL_OK ? 0 : 1;
}

static int cmd_erase(const char *type, const char *id, const opts *o)
{
    if (o->reason == NULL || o->reason[0] == '\0') {
        fprintf(stderr, "bylaw erase: --reason TEXT is required: the erasure is recorded with it\n");
        return 2;
    }
    int fd;
    bl_store_t *s = open_alone("erase", o->db, &fd);
    if (s == NULL)
        return 1;
    cJSON *counts = NULL;
    const char *by = o->by ? o->by : getenv("USER");
    int rc = bl_store_erase(s, type, id, by ? by : "bylaw erase", o->reason, bl_clock_now_ms(), &counts);
    if (rc == BL_OK) {
        char *c = bl_json_dump(counts);
        printf("%s/%s erased: %s\n", type, id, c);
        free(c);
    } else {
        fprintf(stderr, "bylaw erase: %s\n", bl_store_errmsg(s));
    }
    cJSON_Delete(counts);
    bl_store_close(s);
    bl_store_unlock(o->db, fd);
    return rc == BL_OK ? 0 : 1;
}

int bl_ops_main(const char *cmd, int argc, char **argv)
{
    opts o = {.db = "bylaw.db"};
    int npos = strcmp(cmd, "backup") == 0 || strcmp(cmd, "restore") == 0 ? 1 : strcmp(cmd, "erase") == 0 ? 2 : 0;
    int rc = parse(argc, argv, &o, npos, cmd);
    if (rc)
        return rc == 1 ? 0 : rc;
    char **pos = argv + optind;
    if (strcmp(cmd, "backup") == 0)
        return cmd_backup(pos[0], &o);
    if (strcmp(cmd, "restore") == 0)
        return cmd_restore(pos[0], &o);
    if (strcmp(cmd, "export") == 0)
        return cmd_export(&o);
    if (strcmp(cmd, "vacuum") == 0)
        return cmd_vacuum(&o);
    return cmd_erase(pos[0], pos[1], &o);
}

const char *bl_ops_usage(void) { return usage_ops; }
