/* lua/cli.h — the command line (SPEC section 2). */
#ifndef CD_CLI_H
#define CD_CLI_H

#include "../core/ctx.h"
#include "sandbox.h"

struct cd_cli {
	const char *command;    /* "run", "render", ... */
	const char *recipe;     /* NULL when the command takes none */
	char **rest;            /* positional arguments after the command */
	int nrest;
	int dry_run, help, verbosity, no_color, json;
	const char *health_file; /* health -f */
	int health_builtin;      /* health test --builtin */
	struct cd_limits limits;
	struct cd_ctx ctx;
};

/* Parses argv into cli (pointers borrow from argv; lists are allocated).
 * Returns 0, or prints the problem to stderr and returns the exit code. */
int cd_cli_parse(int argc, char **argv, struct cd_cli *cli);
void cd_cli_free(struct cd_cli *cli);
/* Runs the parsed command; returns the process exit code. */
int cd_cli_main(struct cd_cli *cli);

#endif
