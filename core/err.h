/* core/err.h — error codes and the caller-owned error record.
 *
 * Every fallible core function returns 0 or a negative status and fills a
 * struct cd_err owned by the caller. Codes are the contract of SPEC section 2:
 * the string form is what recipes see as `err.code`, the exit code follows
 * from it. Wrap with context on the way up (cd_err_wrap), never overwrite. */
#ifndef CD_ERR_H
#define CD_ERR_H

#include <stdarg.h>
#include <stddef.h>

enum cd_code {
	CD_OK = 0,
	CD_E_INVALID,
	CD_E_NOT_FOUND,
	CD_E_CONFLICT,
	CD_E_UNAUTHORIZED,
	CD_E_FORBIDDEN,
	CD_E_UNREACHABLE,
	CD_E_SERVER,
	CD_E_HASH_MISMATCH,
	CD_E_BUILD_FAILED,
	CD_E_RECIPE,
	CD_E_USAGE,
	CD_E_ROLLOUT_FAILED,
	CD_E_TIMEOUT,
	CD_E_LIMIT,
	CD_E_NOMEM,
	CD_E_IO,
	CD_CODE_COUNT
};

#define CD_ERR_MSG_MAX 1024
#define CD_ERR_OP_MAX 64

struct cd_err {
	enum cd_code code;
	char op[CD_ERR_OP_MAX];   /* the primitive or step, e.g. "fs.read" */
	char msg[CD_ERR_MSG_MAX]; /* one line, no trailing newline */
};

/* Sets code, op and message; returns -(int)code so callers can
 * `return cd_err_set(...)`. */
int cd_err_set(struct cd_err *err, enum cd_code code, const char *op,
	       const char *fmt, ...) __attribute__((format(printf, 4, 5)));
int cd_err_vset(struct cd_err *err, enum cd_code code, const char *op,
		const char *fmt, va_list ap);
/* Prefixes context to the existing message: "context: old message". */
int cd_err_wrap(struct cd_err *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void cd_err_clear(struct cd_err *err);

/* "invalid", "not_found", ... as in SPEC section 2. */
const char *cd_code_name(enum cd_code code);
/* Inverse of cd_code_name; CD_CODE_COUNT when unknown. */
enum cd_code cd_code_from_name(const char *name);
/* The process exit code an uncaught error of this code ends a run with. */
int cd_code_exit(enum cd_code code);

#endif
