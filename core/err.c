#include "err.h"

#include <stdio.h>
#include <string.h>

static const struct {
	const char *name;
	int exit_code;
} codes[CD_CODE_COUNT] = {
	[CD_OK] = {"ok", 0},
	[CD_E_INVALID] = {"invalid", 1},
	[CD_E_NOT_FOUND] = {"not_found", 1},
	[CD_E_CONFLICT] = {"conflict", 1},
	[CD_E_UNAUTHORIZED] = {"unauthorized", 1},
	[CD_E_FORBIDDEN] = {"forbidden", 1},
	[CD_E_UNREACHABLE] = {"unreachable", 1},
	[CD_E_SERVER] = {"server", 1},
	[CD_E_HASH_MISMATCH] = {"hash_mismatch", 1},
	[CD_E_BUILD_FAILED] = {"build_failed", 1},
	[CD_E_RECIPE] = {"recipe", 1},
	[CD_E_USAGE] = {"usage", 2},
	[CD_E_ROLLOUT_FAILED] = {"rollout_failed", 3},
	[CD_E_TIMEOUT] = {"timeout", 4},
	[CD_E_LIMIT] = {"limit", 5},
	[CD_E_NOMEM] = {"nomem", 1},
	[CD_E_IO] = {"io", 1},
};

const char *cd_code_name(enum cd_code code)
{
	if ((int)code < 0 || code >= CD_CODE_COUNT)
		return "invalid";
	return codes[code].name;
}

enum cd_code cd_code_from_name(const char *name)
{
	for (int i = 0; i < CD_CODE_COUNT; i++)
		if (strcmp(codes[i].name, name) == 0)
			return (enum cd_code)i;
	return CD_CODE_COUNT;
}

int cd_code_exit(enum cd_code code)
{
	if ((int)code < 0 || code >= CD_CODE_COUNT)
		return 1;
	return codes[code].exit_code;
}

int cd_err_vset(struct cd_err *err, enum cd_code code, const char *op,
		const char *fmt, va_list ap)
{
	if (err) {
		err->code = code;
		snprintf(err->op, sizeof err->op, "%s", op ? op : "");
		vsnprintf(err->msg, sizeof err->msg, fmt, ap);
	}
	return -(int)code;
}

int cd_err_set(struct cd_err *err, enum cd_code code, const char *op,
	       const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = cd_err_vset(err, code, op, fmt, ap);
	va_end(ap);
	return rc;
}

int cd_err_wrap(struct cd_err *err, const char *fmt, ...)
{
	char ctx[CD_ERR_MSG_MAX], old[CD_ERR_MSG_MAX];
	va_list ap;

	if (!err)
		return -1;
	va_start(ap, fmt);
	vsnprintf(ctx, sizeof ctx, fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof old);
	snprintf(err->msg, sizeof err->msg, "%s: %s", ctx, old);
	return -(int)err->code;
}

void cd_err_clear(struct cd_err *err)
{
	if (err)
		memset(err, 0, sizeof *err);
}
