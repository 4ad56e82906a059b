#include "ctx.h"

#include <signal.h>
#include <string.h>

int cd_strlist_has(const struct cd_strlist *l, const char *name)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i], name) == 0)
			return 1;
	return 0;
}

atomic_int cd_stop_signal;

double cd_ctx_deadline(const struct cd_ctx *c)
{
	if (atomic_load(&cd_stop_signal))
		return 1e-6; /* cd_now() is past it: every wait ends */
	return c ? c->deadline : 0;
}

const char *cd_deadline_why(void)
{
	switch (atomic_load(&cd_stop_signal)) {
	case 0: return "the run's --timeout was reached";
	case SIGINT: return "interrupted by SIGINT";
	case SIGTERM: return "interrupted by SIGTERM";
	default: return "interrupted by a signal";
	}
}

static void on_stop(int sig)
{
	struct sigaction dfl;
	memset(&dfl, 0, sizeof dfl);
	dfl.sa_handler = SIG_DFL;
	atomic_store(&cd_stop_signal, sig);
	/* a second SIGINT or SIGTERM takes the default action: ends us */
	sigaction(SIGINT, &dfl, NULL);
	sigaction(SIGTERM, &dfl, NULL);
}

void cd_stop_signals_install(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	/* no SA_RESTART: a blocking poll or sleep returns EINTR and rechecks */
	sa.sa_flags = 0;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

enum cd_action cd_ctx_effect(const struct cd_ctx *c, enum cd_effect e)
{
	enum cd_action a = cd_mode_effect(c->mode, e);
	if (!c->dry_run)
		return a;
	if (a == CD_ACT_DO)
		return e == CD_EFFECT_ROLLOUT_WAIT ? CD_ACT_NOOP : CD_ACT_PLAN;
	return a == CD_ACT_WAIT_GONE ? CD_ACT_NOOP : a;
}

int cd_ctx_writes(const struct cd_ctx *c)
{
	return !c->dry_run && cd_mode_writes(c->mode);
}

const char *cd_ctx_mode_desc(const struct cd_ctx *c)
{
	static const char *const dry[CD_MODE_COUNT] = {
		[CD_MODE_RUN] = "run --dry-run",     [CD_MODE_RENDER] = "render",
		[CD_MODE_BUILD] = "build --dry-run", [CD_MODE_DEPLOY] = "deploy --dry-run",
		[CD_MODE_DIFF] = "diff --dry-run",   [CD_MODE_DELETE] = "delete --dry-run",
	};
	return c->dry_run && (unsigned)c->mode < CD_MODE_COUNT ? dry[c->mode]
							     : cd_mode_name(c->mode);
}
