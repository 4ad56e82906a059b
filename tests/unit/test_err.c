/* core/err.c and core/mode.c: the code table and the mode table. */
#include "../../core/err.h"
#include "../../core/mode.h"
#include "t.h"

static void exit_codes_follow_spec(void)
{
	/* SPEC section 2's table. */
	static const struct {
		const char *name;
		int exit_code;
	} spec[] = {{"invalid", 1},        {"not_found", 1}, {"conflict", 1},
		    {"unauthorized", 1},   {"forbidden", 1}, {"unreachable", 1},
		    {"server", 1},         {"hash_mismatch", 1},
		    {"build_failed", 1},   {"recipe", 1},    {"usage", 2},
		    {"rollout_failed", 3}, {"timeout", 4},   {"limit", 5}};
	for (size_t i = 0; i < sizeof spec / sizeof *spec; i++) {
		enum cd_code c = cd_code_from_name(spec[i].name);
		T_CHECK(c != CD_CODE_COUNT);
		T_EQ_STR(cd_code_name(c), spec[i].name);
		T_EQ_INT(cd_code_exit(c), spec[i].exit_code);
	}
	T_EQ_INT(cd_code_from_name("nonsense"), CD_CODE_COUNT);
}

static void wrap_keeps_the_cause(void)
{
	struct cd_err e;
	int rc = cd_err_set(&e, CD_E_NOT_FOUND, "fs.read", "no such file: %s",
			    "a.yaml");
	T_EQ_INT(rc, -(int)CD_E_NOT_FOUND);
	cd_err_wrap(&e, "loading %s", "k8s/");
	T_EQ_STR(e.msg, "loading k8s/: no such file: a.yaml");
	T_EQ_STR(e.op, "fs.read");
	T_EQ_INT(e.code, CD_E_NOT_FOUND);
}

static void long_messages_are_cut_not_overflowed(void)
{
	struct cd_err e;
	char big[4000];
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = 0;
	cd_err_set(&e, CD_E_INVALID, "op-name-that-is-quite-long-but-fine",
		   "%s", big);
	T_EQ_INT(strlen(e.msg), CD_ERR_MSG_MAX - 1);
	cd_err_wrap(&e, "%s", big);
	T_EQ_INT(strlen(e.msg), CD_ERR_MSG_MAX - 1);
}

static void mode_table_follows_spec(void)
{
	/* SPEC section 3, spot checks of every row. */
	T_EQ_INT(cd_mode_effect(CD_MODE_RUN, CD_EFFECT_IMAGE_BUILD), CD_ACT_DO);
	T_EQ_INT(cd_mode_effect(CD_MODE_RENDER, CD_EFFECT_IMAGE_BUILD), CD_ACT_PLAN);
	T_EQ_INT(cd_mode_effect(CD_MODE_DEPLOY, CD_EFFECT_IMAGE_BUILD),
		 CD_ACT_ARTIFACT);
	T_EQ_INT(cd_mode_effect(CD_MODE_BUILD, CD_EFFECT_KUBE_APPLY), CD_ACT_SKIP);
	T_EQ_INT(cd_mode_effect(CD_MODE_RENDER, CD_EFFECT_KUBE_APPLY), CD_ACT_PLAN);
	T_EQ_INT(cd_mode_effect(CD_MODE_DIFF, CD_EFFECT_KUBE_APPLY), CD_ACT_DIFF);
	T_EQ_INT(cd_mode_effect(CD_MODE_DELETE, CD_EFFECT_KUBE_APPLY), CD_ACT_DELETE);
	T_EQ_INT(cd_mode_effect(CD_MODE_RENDER, CD_EFFECT_ROLLOUT_WAIT), CD_ACT_NOOP);
	T_EQ_INT(cd_mode_effect(CD_MODE_DELETE, CD_EFFECT_ROLLOUT_WAIT),
		 CD_ACT_WAIT_GONE);
	T_EQ_INT(cd_mode_effect(CD_MODE_RENDER, CD_EFFECT_GIT_COMMIT), CD_ACT_PLAN);
	T_EQ_INT(cd_mode_effect(CD_MODE_DIFF, CD_EFFECT_GIT_COMMIT), CD_ACT_NOOP);
	T_CHECK(!cd_mode_writes(CD_MODE_RENDER));
	T_CHECK(!cd_mode_writes(CD_MODE_DIFF));
	T_CHECK(cd_mode_writes(CD_MODE_RUN));
	for (int m = 0; m < CD_MODE_COUNT; m++)
		T_EQ_INT(cd_mode_from_name(cd_mode_name((enum cd_mode)m)), m);
	T_EQ_INT(cd_mode_from_name("dry"), CD_MODE_COUNT);
}

int main(void)
{
	T_RUN(exit_codes_follow_spec);
	T_RUN(wrap_keeps_the_cause);
	T_RUN(long_messages_are_cut_not_overflowed);
	T_RUN(mode_table_follows_spec);
	return T_DONE();
}
