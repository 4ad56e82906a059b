#include "mode.h"

#include <string.h>

static const char *const mode_names[CD_MODE_COUNT] = {
	[CD_MODE_RUN] = "run",       [CD_MODE_RENDER] = "render",
	[CD_MODE_BUILD] = "build",   [CD_MODE_DEPLOY] = "deploy",
	[CD_MODE_DIFF] = "diff",     [CD_MODE_DELETE] = "delete",
};

/* SPEC section 3, row by row. */
static const enum cd_action effects[CD_EFFECT_COUNT][CD_MODE_COUNT] = {
	[CD_EFFECT_IMAGE_BUILD] = {CD_ACT_DO, CD_ACT_PLAN, CD_ACT_DO,
				   CD_ACT_ARTIFACT, CD_ACT_PLAN, CD_ACT_PLAN},
	[CD_EFFECT_KUBE_APPLY] = {CD_ACT_DO, CD_ACT_PLAN, CD_ACT_SKIP,
				  CD_ACT_DO, CD_ACT_DIFF, CD_ACT_DELETE},
	[CD_EFFECT_ROLLOUT_WAIT] = {CD_ACT_DO, CD_ACT_NOOP, CD_ACT_NOOP,
				    CD_ACT_DO, CD_ACT_NOOP, CD_ACT_WAIT_GONE},
	[CD_EFFECT_GIT_COMMIT] = {CD_ACT_DO, CD_ACT_PLAN, CD_ACT_SKIP,
				  CD_ACT_DO, CD_ACT_NOOP, CD_ACT_NOOP},
};

const char *cd_mode_name(enum cd_mode mode)
{
	return (unsigned)mode < CD_MODE_COUNT ? mode_names[mode] : "?";
}

enum cd_mode cd_mode_from_name(const char *name)
{
	for (int i = 0; i < CD_MODE_COUNT; i++)
		if (strcmp(mode_names[i], name) == 0)
			return (enum cd_mode)i;
	return CD_MODE_COUNT;
}

enum cd_action cd_mode_effect(enum cd_mode mode, enum cd_effect effect)
{
	return effects[effect][mode];
}

int cd_mode_writes(enum cd_mode mode)
{
	return mode == CD_MODE_RUN || mode == CD_MODE_BUILD ||
	       mode == CD_MODE_DEPLOY || mode == CD_MODE_DELETE;
}
