/* lua/run.h — one recipe run: sandbox, cdhost table, recipe, report. */
#ifndef CD_RUN_H
#define CD_RUN_H

#include "cli.h"

/* Runs cli->recipe in cli->ctx.mode; returns the process exit code. */
int cd_run_recipe(struct cd_cli *cli);

#endif
