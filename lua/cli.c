#include "cli.h"

#include <fcntl.h>
#include <lauxlib.h>
#include <lualib.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../core/fs.h"
#include "../core/kube.h"
#include "../core/mem.h"
#include "../core/tag.h"
#include "../core/util.h"
#include "../core/version.h"
#include "health.h"
#include "init_cmd.h"
#include "lib_cmd.h"
#include "run.h"

/* ---- commands ---- */

static int cmd_recipe(struct cd_cli *cli);
static int cmd_version(struct cd_cli *cli);
static int cmd_help(struct cd_cli *cli);

static const struct command {
	const char *name, *usage, *summary;
	int (*run)(struct cd_cli *);
	int takes_recipe;
} commands[] = {
	{"run", "cdhost [flags] run RECIPE [--set k=v]...",
	 "build, push, render, apply and wait: everything for real",
	 cmd_recipe, 1},
	{"render", "cdhost [flags] render RECIPE   (same as --dry-run RECIPE)",
	 "render-only preview: prints the manifests on stdout, writes nothing",
	 cmd_recipe, 1},
	{"build", "cdhost [flags] build RECIPE [--file-output F]",
	 "build and push the recipe's images only; write the artifacts file",
	 cmd_recipe, 1},
	{"deploy", "cdhost [flags] deploy RECIPE -a F|-",
	 "deploy pre-built artifacts (Skaffold's --build-artifacts); builds "
	 "nothing",
	 cmd_recipe, 1},
	{"diff", "cdhost [flags] diff RECIPE",
	 "server-side dry-run diff against the live cluster (exit 1 = "
	 "differences)",
	 cmd_recipe, 1},
	{"delete", "cdhost [flags] delete RECIPE",
	 "delete what the recipe's apply set owns", cmd_recipe, 1},
	{"lib", "cdhost lib sync|update [NAME]|verify|list",
	 "shared recipe libraries pinned by commit and content hash",
	 cd_lib_cmd, 0},
	{"health",
	 "cdhost health -f OBJ.yaml [--health-dir D] | cdhost health test "
	 "[--builtin] DIR",
	 "status of one object, or run Argo CD health_test.yaml files",
	 cd_health_cmd, 0},
	{"check", "cdhost [flags] check RECIPE",
	 "load and sandbox-check a recipe: render mode, --offline, output "
	 "discarded",
	 cmd_recipe, 1},
	{"init", "cdhost init [DIR]",
	 "scaffold a project here (or in DIR): deploy.lua, k8s/, cdhost.libs; "
	 "never overwrites",
	 cd_init_cmd, 0},
	{"version", "cdhost version",
	 "print the version of cdhost, Lua and the linked libraries",
	 cmd_version, 0},
	{"help", "cdhost help [COMMAND]", "show help for cdhost or a command",
	 cmd_help, 0},
};
#define NCOMMANDS (sizeof commands / sizeof *commands)

static const struct command *find_command(const char *name)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

static void print_help(FILE *out, const struct command *cmd);

/* ---- flags ---- */

enum flag_id {
	F_DRY_RUN, F_OFFLINE, F_KUBE_CONTEXT, F_NAMESPACE, F_KUBECONFIG,
	F_TIMEOUT, F_OUTPUT, F_VERBOSE, F_QUIET, F_NO_COLOR, F_ALLOW_ENV,
	F_SET, F_DEFAULT_REPO, F_MULTI_LEVEL_REPO, F_INSECURE_REGISTRY,
	F_HEALTH_DIR, F_SHOW_SECRETS, F_MAX_INSTRUCTIONS, F_MAX_MEMORY,
	F_FILE_OUTPUT, F_BUILD_ARTIFACTS, F_FILE, F_BUILTIN, F_PROPAGATION,
	F_HELP
};

static const struct flag {
	const char *name;
	char short_name;
	int has_arg;
	enum flag_id id;
	const char *help;
} flags[] = {
	{"dry-run", 0, 0, F_DRY_RUN, "render-only preview; no writes anywhere"},
	{"offline", 0, 0, F_OFFLINE, "no network at all"},
	{"kube-context", 0, 1, F_KUBE_CONTEXT, "kubeconfig context to use"},
	{"namespace", 'n', 1, F_NAMESPACE, "default namespace"},
	{"kubeconfig", 0, 1, F_KUBECONFIG, "kubeconfig file"},
	{"timeout", 0, 1, F_TIMEOUT,
	 "wall clock for the whole run (90s, 5m, 1h30m; exit 4)"},
	{"output", 'o', 1, F_OUTPUT,
	 "text|json: json = one event per line on stderr"},
	{"verbose", 'v', 0, F_VERBOSE, "more detail (HTTP requests, secrets masked)"},
	{"quiet", 'q', 0, F_QUIET, "only warnings and errors"},
	{"no-color", 0, 0, F_NO_COLOR, "no colours (also NO_COLOR=1)"},
	{"allow-env", 0, 1, F_ALLOW_ENV,
	 "let the recipe read this environment variable (repeatable)"},
	{"set", 0, 1, F_SET, "recipe argument k=v, dotted keys nest (repeatable)"},
	{"default-repo", 0, 1, F_DEFAULT_REPO,
	 "rewrite image names as Skaffold does"},
	{"multi-level-repo", 0, 0, F_MULTI_LEVEL_REPO,
	 "--default-repo keeps image paths (Skaffold's multi-level-repo)"},
	{"insecure-registry", 0, 1, F_INSECURE_REGISTRY,
	 "use plain HTTP for this registry host (repeatable)"},
	{"health-dir", 0, 1, F_HEALTH_DIR,
	 "Argo CD resource_customizations-style health checks"},
	{"show-secrets", 0, 0, F_SHOW_SECRETS,
	 "print Secret values in render/diff output"},
	{"max-instructions", 0, 1, F_MAX_INSTRUCTIONS,
	 "Lua instruction limit (default 10000000000; 0 = unlimited; exit 5)"},
	{"max-memory", 0, 1, F_MAX_MEMORY,
	 "Lua memory limit (default 1G; 0 = unlimited; exit 5)"},
	{"file-output", 0, 1, F_FILE_OUTPUT, "build: write the artifacts file here"},
	{"build-artifacts", 'a', 1, F_BUILD_ARTIFACTS,
	 "deploy: artifacts file to deploy (- = stdin)"},
	{"file", 'f', 1, F_FILE, "health: the object to check"},
	{"builtin", 0, 0, F_BUILTIN,
	 "health test: run the built-in health checks, not DIR's scripts"},
	{"propagation", 0, 1, F_PROPAGATION,
	 "delete and prune: background|foreground|orphan (default background)"},
	{"help", 'h', 0, F_HELP, "show help"},
};
#define NFLAGS (sizeof flags / sizeof *flags)

/* --output json has been read: a command line error after it is an error
 * event (docs/events.md); before it the parser cannot know, and says it in
 * text. */
static int json_errors;

static int usage_error(const char *fmt, const char *a, const char *b)
{
	char msg[1024];
	snprintf(msg, sizeof msg, fmt, a, b);
	if (json_errors) {
		struct cd_report rep;
		cd_report_init(&rep, stderr, CD_FORMAT_JSON, 0, 1);
		cd_report_error(&rep, "recipe", "usage", "", msg, "", 2, NULL, NULL);
		return 2;
	}
	fprintf(stderr, "cdhost: %s\nRun 'cdhost help' for usage. [usage]\n", msg);
	return 2;
}

static int strlist_push(struct cd_strlist *l, const char *s)
{
	char **v = cd_realloc(l->v, (l->n + 1) * sizeof *v);
	if (!v)
		return -1;
	l->v = v;
	l->v[l->n++] = (char *)s;
	return 0;
}

static int apply_flag(struct cd_cli *cli, const struct flag *f,
		      const char *arg)
{
	struct cd_err err;
	struct cd_ctx *c = &cli->ctx;
	switch (f->id) {
	case F_DRY_RUN: cli->dry_run = 1; break;
	case F_OFFLINE: c->offline = 1; break;
	case F_KUBE_CONTEXT: c->kube_context = arg; break;
	case F_NAMESPACE: c->namespace_ = arg; break;
	case F_KUBECONFIG: c->kubeconfig = arg; break;
	case F_TIMEOUT:
		if (cd_parse_duration(arg, &cli->limits.timeout, &err))
			return usage_error("--timeout: %s%s", err.msg, "");
		break;
	case F_OUTPUT:
		if (strcmp(arg, "json") != 0 && strcmp(arg, "text") != 0)
			return usage_error("--output must be text or json, not "
					   "'%s'%s",
					   arg, "");
		cli->json = strcmp(arg, "json") == 0;
		json_errors = cli->json;
		break;
	case F_VERBOSE: cli->verbosity = 1; break;
	case F_QUIET: cli->verbosity = -1; break;
	case F_NO_COLOR: cli->no_color = 1; break;
	case F_ALLOW_ENV: return strlist_push(&c->allow_env, arg) ? 1 : 0;
	case F_SET:
		if (!strchr(arg, '=') || arg[0] == '=')
			return usage_error("--set expects key=value, got '%s'%s",
					   arg, "");
		return strlist_push(&c->sets, arg) ? 1 : 0;
	case F_DEFAULT_REPO:
		if (cd_tag_default_repo_check(arg, &err))
			return usage_error("--default-repo %s%s", err.msg, "");
		c->default_repo = arg;
		break;
	case F_MULTI_LEVEL_REPO: c->multi_level_repo = 1; break;
	case F_INSECURE_REGISTRY:
		return strlist_push(&c->insecure_registries, arg) ? 1 : 0;
	case F_HEALTH_DIR: c->health_dir = arg; break;
	case F_SHOW_SECRETS: c->show_secrets = 1; break;
	case F_MAX_INSTRUCTIONS:
		if (cd_parse_count(arg, &cli->limits.max_instructions, &err))
			return usage_error("--max-instructions: %s%s", err.msg, "");
		break;
	case F_MAX_MEMORY:
		if (cd_parse_size(arg, &cli->limits.max_memory, &err))
			return usage_error("--max-memory: %s%s", err.msg, "");
		break;
	case F_FILE_OUTPUT: c->file_output = arg; break;
	case F_BUILD_ARTIFACTS: c->build_artifacts = arg; break;
	case F_FILE: cli->health_file = arg; break;
	case F_BUILTIN: cli->health_builtin = 1; break;
	case F_PROPAGATION:
		if (!(c->propagation = cd_kube_propagation(arg)))
			return usage_error("--propagation must be background, "
					   "foreground or orphan, not '%s'%s",
					   arg, "");
		break;
	case F_HELP: cli->help = 1; break;
	}
	return 0;
}

static const struct flag *find_long(const char *name, size_t n)
{
	for (size_t i = 0; i < NFLAGS; i++)
		if (strlen(flags[i].name) == n &&
		    strncmp(flags[i].name, name, n) == 0)
			return &flags[i];
	return NULL;
}

static const struct flag *find_short(char c)
{
	for (size_t i = 0; i < NFLAGS; i++)
		if (flags[i].short_name == c)
			return &flags[i];
	return NULL;
}

/* One flag at argv[*i]; advances *i past its value. */
static int parse_flag(struct cd_cli *cli, int argc, char **argv, int *i)
{
	const char *a = argv[*i], *val = NULL;
	const struct flag *f;
	if (a[1] == '-') {
		const char *eq = strchr(a + 2, '=');
		size_t n = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
		f = find_long(a + 2, n);
		if (eq)
			val = eq + 1;
	} else {
		f = a[2] == '\0' ? find_short(a[1]) : NULL;
	}
	if (!f)
		return usage_error("unknown flag '%s'%s", a, "");
	if (f->has_arg && !val) {
		if (*i + 1 >= argc)
			return usage_error("flag '%s' needs a value%s", a, "");
		val = argv[++*i];
	} else if (!f->has_arg && val) {
		return usage_error("flag '--%s' takes no value%s", f->name, "");
	}
	return apply_flag(cli, f, val);
}

int cd_cli_parse(int argc, char **argv, struct cd_cli *cli)
{
	char **pos = cd_calloc((size_t)argc + 1, sizeof *pos);
	int npos = 0, rc;

	memset(cli, 0, sizeof *cli);
	cli->limits.max_instructions = CD_DEFAULT_MAX_INSTRUCTIONS;
	cli->limits.max_memory = CD_DEFAULT_MAX_MEMORY;
	cli->rest = pos;
	if (!pos)
		return 1;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			while (++i < argc)
				pos[npos++] = argv[i];
			break;
		}
		if (argv[i][0] == '-' && argv[i][1] != '\0') {
			if ((rc = parse_flag(cli, argc, argv, &i)) != 0)
				return rc;
			continue;
		}
		pos[npos++] = argv[i];
	}
	if (npos == 0 && !cli->help) {
		cli->command = "help";
		cli->nrest = 0;
		if (json_errors)
			return usage_error("no command or recipe given (run 'cdhost "
					   "help')%s%s", "", "");
		fputs("cdhost: no command or recipe given\n\n", stderr);
		print_help(stderr, NULL);
		return 2;
	}
	if (npos == 0) {
		cli->command = "help";
	} else if (find_command(pos[0])) {
		cli->command = pos[0];
		memmove(pos, pos + 1, (size_t)npos * sizeof *pos);
		npos--;
	} else {
		cli->command = "run"; /* cdhost [flags] RECIPE */
	}
	cli->nrest = npos;
	const struct command *cmd = find_command(cli->command);
	if (cmd->takes_recipe && !cli->help) {
		if (npos < 1)
			return usage_error("'%s' needs a RECIPE argument: %s",
					   cmd->name, cmd->usage);
		if (npos > 1)
			return usage_error("unexpected argument '%s' after the "
					   "recipe%s",
					   pos[1], "");
		cli->recipe = pos[0];
	}
	return 0;
}

void cd_cli_free(struct cd_cli *cli)
{
	cd_free(cli->rest);
	cd_free(cli->ctx.allow_env.v);
	cd_free(cli->ctx.sets.v);
	cd_free(cli->ctx.insecure_registries.v);
}

/* ---- help ---- */

static void print_flags(FILE *out)
{
	fputs("\nGlobal flags:\n", out);
	for (size_t i = 0; i < NFLAGS; i++) {
		char left[64];
		snprintf(left, sizeof left, "%s%c%s--%s%s",
			 flags[i].short_name ? "-" : "",
			 flags[i].short_name ? flags[i].short_name : ' ',
			 flags[i].short_name ? ", " : "  ", flags[i].name,
			 flags[i].has_arg ? " X" : "");
		fprintf(out, "  %-28s %s\n",
			left + (flags[i].short_name ? 0 : 1), flags[i].help);
	}
}

static void print_help(FILE *out, const struct command *cmd)
{
	if (cmd) {
		fprintf(out, "usage: %s\n\n%s.\n", cmd->usage, cmd->summary);
		print_flags(out);
		return;
	}
	fprintf(out, "cdhost %s: deployment recipes in Lua for Kubernetes\n\n"
		     "usage: cdhost [flags] COMMAND [args]\n"
		     "       cdhost [flags] RECIPE   (same as run RECIPE)\n\n"
		     "Commands:\n",
		CDHOST_VERSION);
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(out, "  %-8s %s\n", commands[i].name,
			commands[i].summary);
	print_flags(out);
	fputs("\nExit codes: 0 ok, 1 error, 2 usage, 3 rollout failed, 4 "
	      "timeout, 5 sandbox limit.\nRun 'cdhost help COMMAND' for "
	      "details.\n",
	      out);
}

static int cmd_help(struct cd_cli *cli)
{
	const struct command *cmd = NULL;
	if (cli->nrest > 0 && !(cmd = find_command(cli->rest[0])))
		return usage_error("no such command '%s'%s", cli->rest[0], "");
	print_help(stdout, cmd);
	return 0;
}

static int cmd_version(struct cd_cli *cli)
{
	struct cd_buf b = CD_BUF_INIT;
	printf("cdhost %s\n%s\n", CDHOST_VERSION, LUA_RELEASE);
	if (cd_version_libs(&b) == 0)
		fputs(b.data, stdout);
	cd_buf_free(&b);
	return 0;
}

/* ---- recipe commands ---- */

static int cmd_recipe(struct cd_cli *cli)
{
	struct cd_ctx *c = &cli->ctx;
	int devnull = -1, saved = -1, rc;

	c->mode = CD_MODE_RUN;
	if (strcmp(cli->command, "render") == 0 || cli->dry_run)
		c->mode = CD_MODE_RENDER;
	if (strcmp(cli->command, "diff") == 0 || strcmp(cli->command, "delete") == 0 ||
	    strcmp(cli->command, "build") == 0 || strcmp(cli->command, "deploy") == 0)
		c->mode = cd_mode_from_name(cli->command);
	if (strcmp(cli->command, "check") == 0)
		c->mode = CD_MODE_RENDER;
	/* --dry-run with build, deploy, diff or delete previews that command:
	 * its reads happen, its writes become plans (cd_ctx_effect) */
	c->dry_run = cli->dry_run || c->mode == CD_MODE_RENDER;
	if (strcmp(cli->command, "check") == 0) {
		c->offline = 1;
		fflush(stdout);
		saved = dup(STDOUT_FILENO);
		devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
		if (saved < 0 || devnull < 0 ||
		    dup2(devnull, STDOUT_FILENO) < 0)
			return 1;
	}
	rc = cd_run_recipe(cli);
	/* as kubectl diff: 1 = differences, 2 = an error; but a limit (5),
	 * the run's --timeout (4) and a signal (128 + n) end diff as they end
	 * every command (SPEC section 2: "exits 5 whatever") */
	if (c->mode == CD_MODE_DIFF)
		rc = rc == 4 || rc == 5 || rc > 128 ? rc
		     : rc			      ? 2
		     : c->stats.changed		      ? 1
						      : 0;
	if (saved >= 0) {
		fflush(stdout);
		dup2(saved, STDOUT_FILENO);
		close(saved);
		close(devnull);
		if (rc == 0 && cli->verbosity >= 0 && !cli->json)
			fprintf(stderr, "check: %s is fine (render mode, "
					"offline)\n",
				cli->recipe);
	}
	return rc;
}

int cd_cli_main(struct cd_cli *cli)
{
	const struct command *cmd = find_command(cli->command);
	signal(SIGPIPE, SIG_IGN);
	if (cli->help) {
		cli->nrest = 0;
		if (strcmp(cmd->name, "help") != 0) {
			cli->rest[0] = (char *)cmd->name;
			cli->nrest = 1;
		}
		return cmd_help(cli);
	}
	return cmd->run(cli);
}
