/* core/ctx.h — the context of one run, handed to every core primitive.
 *
 * Built once by the CLI from flags (lua/cli.c); read-only afterwards except
 * for the report's counters. Core modules never see Lua. */
#ifndef CD_CTX_H
#define CD_CTX_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "mode.h"
#include "report.h"

struct cd_strlist {
	char **v;
	size_t n;
};

struct cd_ctx {
	enum cd_mode mode;
	int dry_run;       /* --dry-run (or render): nothing is written; any
			    * command becomes a preview (cd_ctx_effect) */
	int offline;       /* --offline: no network at all */
	int show_secrets;  /* --show-secrets */
	int multi_level_repo; /* --multi-level-repo: --default-repo keeps paths */
	double deadline;   /* cd_now() value the run must end by; 0 = none */
	double started;    /* cd_now() at start */
	const char *root;  /* project root, absolute and resolved */
	const char *recipe;/* the recipe path as given */
	const char *kube_context, *namespace_, *kubeconfig;
	const char *default_repo, *health_dir;
	const char *file_output, *build_artifacts;
	const char *propagation; /* --propagation: "Background", ...; NULL */
	struct cd_strlist allow_env;          /* --allow-env */
	struct cd_strlist insecure_registries; /* --insecure-registry */
	struct cd_strlist sets;               /* --set k=v, in order */
	struct cd_report *report;
	struct {
		unsigned rendered; /* objects printed by kube.apply in render */
		unsigned skipped;  /* effects skipped by the mode */
		unsigned changed;  /* kube.apply: objects changed (diff: differing) */
		unsigned applied;  /* kube.apply: objects sent (apply or delete) */
		unsigned built;    /* image.build: images built and pushed */
		unsigned found;    /* image.build: found in the registry, reused */
		unsigned ready;    /* rollout.wait: objects that became ready */
	} stats;
};

/* What effect e does in this run: its mode's row of SPEC section 3
 * (cd_mode_effect), where --dry-run turns every write into its plan:
 * DO → PLAN (rollout.wait: NOOP), WAIT_GONE → NOOP; DELETE stays, its
 * requests sent as server-side dry runs (cd_kube_apply_opts.dry_run). */
enum cd_action cd_ctx_effect(const struct cd_ctx *c, enum cd_effect e);

/* The mode for messages: "build", or "build --dry-run" for a preview. */
const char *cd_ctx_mode_desc(const struct cd_ctx *c);

/* 1 if this run may write anywhere: a writing mode without --dry-run. */
int cd_ctx_writes(const struct cd_ctx *c);

/* 1 if name is in the list. */
int cd_strlist_has(const struct cd_strlist *l, const char *name);

/* The signal (SIGINT, SIGTERM) that asked the run to stop, or 0. Set from
 * the CLI's signal handler (lock-free); from then on every wait that
 * honours the run's deadline ends as if it had passed. */
extern atomic_int cd_stop_signal;

/* The deadline to honour now: c->deadline (0 = none), or one long past once
 * a stop signal arrived. Use it wherever a wait reads the deadline. */
double cd_ctx_deadline(const struct cd_ctx *c);

/* Why a wait ended at its deadline, for messages: "interrupted by SIGTERM"
 * after a stop signal, else "the run's --timeout was reached". */
const char *cd_deadline_why(void);

/* Installs the SIGINT/SIGTERM handlers that set cd_stop_signal; a second
 * SIGINT or SIGTERM ends the process at once (the default action). */
void cd_stop_signals_install(void);

#endif
