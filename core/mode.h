/* core/mode.h — the run mode and what each effect does in it (SPEC section 3).
 *
 * Every primitive with a side effect asks cd_mode_effect() once; the answer
 * is the single source of truth for "do it", "show what would be done",
 * "skip and record", or "no-op". */
#ifndef CD_MODE_H
#define CD_MODE_H

enum cd_mode {
	CD_MODE_RUN,
	CD_MODE_RENDER,
	CD_MODE_BUILD,
	CD_MODE_DEPLOY,
	CD_MODE_DIFF,
	CD_MODE_DELETE,
	CD_MODE_COUNT
};

enum cd_effect {
	CD_EFFECT_IMAGE_BUILD,
	CD_EFFECT_KUBE_APPLY,
	CD_EFFECT_ROLLOUT_WAIT,
	CD_EFFECT_GIT_COMMIT,
	CD_EFFECT_COUNT
};

enum cd_action {
	CD_ACT_DO,        /* perform it for real */
	CD_ACT_PLAN,      /* compute and show what would happen; write nothing */
	CD_ACT_SKIP,      /* skip, but record it in the summary */
	CD_ACT_NOOP,      /* nothing at all */
	CD_ACT_ARTIFACT,  /* image.build in deploy mode: take it from -a F */
	CD_ACT_DIFF,      /* kube.apply in diff mode: server-side dry run + diff */
	CD_ACT_DELETE,    /* kube.apply in delete mode: delete the apply set */
	CD_ACT_WAIT_GONE  /* rollout.wait in delete mode: wait for deletion */
};

const char *cd_mode_name(enum cd_mode mode);
/* CD_MODE_COUNT when unknown. */
enum cd_mode cd_mode_from_name(const char *name);
enum cd_action cd_mode_effect(enum cd_mode mode, enum cd_effect effect);
/* Whether writes (registry, cluster, git, files) may happen at all. */
int cd_mode_writes(enum cd_mode mode);

#endif
