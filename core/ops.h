/* ops.h — the operator's commands on a database: bylaw backup, restore, export, vacuum, erase. */
#ifndef BL_OPS_H
#define BL_OPS_H

/* Runs command cmd ("backup", "restore", "export", "vacuum", "erase") with its arguments (argv[0] is
 * the command); returns the exit status. */
int bl_ops_main(const char *cmd, int argc, char **argv);
const char *bl_ops_usage(void);

#endif
