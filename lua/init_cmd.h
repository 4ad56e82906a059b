/* lua/init_cmd.h — `cdhost init [DIR]`: scaffold a project. */
#ifndef CD_INIT_CMD_H
#define CD_INIT_CMD_H

#include "cli.h"

/* Writes the files of stdlib/scaffold into DIR (default: the current
 * directory), with @APP@ replaced by a name made from DIR's. Writes nothing
 * if any of them exists already. Returns the exit code. */
int cd_init_cmd(struct cd_cli *cli);

/* The application name for directory path `dir`: its last component,
 * lower case, runs of other characters than [a-z0-9] as one '-', starting
 * with a letter (a DNS-1035 label of at most 40 characters; "app" when
 * nothing is left). */
void cd_init_app_name(const char *dir, char out[41]);

#endif
