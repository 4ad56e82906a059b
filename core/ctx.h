/* core/ctx.h — the context of one run, handed to every core primitive.
 *
 * Built once by the CLI from flags (lua/cli.c); read-only afterwards except
 * for the report's counters. Core modules never see Lua. */
#ifndef CD_CTX_H
#define CD_CTX_H

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
	int offline;       /* --offline: no network at all */
	int show_secrets;  /* --show-secrets */
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

/* 1 if name is in the list. */
int cd_strlist_has(const struct cd_strlist *l, const char *name);

#endif
