/* core/proc.h — running a helper program (helm, kustomize, image builders,
 * credential helpers) the one safe way (SPEC section 9, STYLE "Subprocesses").
 *
 * posix_spawnp with an argv — never a shell string — in its own process
 * group; stdin fed from memory (or /dev/null), stdout and stderr captured
 * through pipes watched with poll, each with a size cap; a deadline after
 * which the whole process group is killed. The caller gets the exit status
 * and both streams and decides what a failure means. See
 * docs/internals/proc.md. */
#ifndef CD_PROC_H
#define CD_PROC_H

#include <stddef.h>

#include "buf.h"
#include "err.h"

#define CD_PROC_OUT_MAX ((size_t)256 << 20) /* default stdout cap */
#define CD_PROC_ERR_MAX ((size_t)64 << 10)  /* default stderr cap */

struct cd_proc_opts {
	const char *const *argv; /* argv[0] is looked up in PATH */
	const char *op;          /* names the step in errors ("helm.template") */
	const char *in;          /* bytes for stdin; NULL = /dev/null */
	size_t in_len;
	size_t out_max, err_max; /* 0 = the defaults above */
	double deadline;         /* cd_now() value to kill at; 0 = none */
	/* Optional: each chunk of output as it arrives (stream 1 = stdout,
	 * 2 = stderr), before the cap applies; for live progress. */
	void (*on_output)(void *ud, int stream, const char *p, size_t n);
	void *output_ud;
};

struct cd_proc_result {
	struct cd_buf out, err; /* captured streams (NUL-terminated) */
	int status;             /* exit status, or 128 + signal */
	int signaled;           /* ended by a signal (status - 128) */
	int timed_out;          /* killed at the deadline */
	int out_cut, err_cut;   /* a stream exceeded its cap; the rest was
				   read and dropped */
};

/* Runs the program and waits for it. Returns 0 once the child ran to its
 * end (whatever its exit status: look at r->status), or fills err:
 * CD_E_NOT_FOUND when argv[0] cannot be found or executed, CD_E_TIMEOUT at
 * the deadline (r still holds what was captured), CD_E_IO for pipe and
 * spawn failures. Free r with cd_proc_result_free in every case. */
int cd_proc_run(const struct cd_proc_opts *o, struct cd_proc_result *r,
		struct cd_err *err);
/* Same, with envp as the child's whole environment (NULL-terminated
 * "NAME=VALUE" lines) instead of ours (exec credential plugins). */
int cd_proc_run_env(const struct cd_proc_opts *o, const char *const *envp,
		    struct cd_proc_result *r, struct cd_err *err);
void cd_proc_result_free(struct cd_proc_result *r);

/* 1 if `name` is an executable file in a directory of PATH (or, when it
 * holds a '/', that file is executable); 0 otherwise. */
int cd_proc_found(const char *name);

#endif
