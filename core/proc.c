#include "proc.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ctx.h"
#include "util.h"

extern char **environ;

/* The three pipes, parent side (-1 once closed): stdin, stdout, stderr. */
struct pipes {
	int in, out, err;
	int child[3]; /* child ends, closed after the spawn */
};

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static void pipes_close(struct pipes *p)
{
	close_fd(&p->in);
	close_fd(&p->out);
	close_fd(&p->err);
	for (int i = 0; i < 3; i++)
		close_fd(&p->child[i]);
}

/* Makes the pipes; the child reads/writes fd[0..2], the parent keeps the
 * other ends, non-blocking and close-on-exec. */
static int pipes_open(struct pipes *p, int with_stdin, struct cd_err *err,
		      const char *op)
{
	int fds[3][2];
	*p = (struct pipes){-1, -1, -1, {-1, -1, -1}};
	for (int i = 0; i < 3; i++) {
		if (i == 0 && !with_stdin) {
			p->child[0] = open("/dev/null", O_RDONLY | O_CLOEXEC);
			if (p->child[0] < 0)
				goto fail;
			continue;
		}
		if (pipe(fds[i]) != 0)
			goto fail;
		fcntl(fds[i][0], F_SETFD, FD_CLOEXEC);
		fcntl(fds[i][1], F_SETFD, FD_CLOEXEC);
		int mine = i == 0 ? fds[i][1] : fds[i][0];
		p->child[i] = i == 0 ? fds[i][0] : fds[i][1];
		*(i == 0 ? &p->in : i == 1 ? &p->out : &p->err) = mine;
		fcntl(mine, F_SETFL, fcntl(mine, F_GETFL) | O_NONBLOCK);
	}
	return 0;
fail:
	pipes_close(p);
	return cd_err_set(err, CD_E_IO, op, "cannot create pipes: %s",
			  strerror(errno));
}

static int find_program(const char *name, char *full, size_t size);

static int spawn(const struct cd_proc_opts *o, char *const *envp,
		 struct pipes *p, pid_t *pid, struct cd_err *err)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none;
	int rc;
	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&at);
	for (int i = 0; i < 3; i++)
		posix_spawn_file_actions_adddup2(&fa, p->child[i], i);
	sigemptyset(&none);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setpgroup(&at, 0);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP |
					      POSIX_SPAWN_SETSIGMASK);
	/* Resolved here, not by posix_spawnp: a missing program is then the
	 * same clear error everywhere (glibc reports one through memory it
	 * shares with a vfork child, which valgrind cannot emulate). */
	char full[PATH_MAX];
	if (!find_program(o->argv[0], full, sizeof full))
		rc = ENOENT;
	else
		rc = posix_spawn(pid, full, &fa, &at, (char *const *)o->argv,
				 envp ? envp : environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	for (int i = 0; i < 3; i++)
		close_fd(&p->child[i]);
	if (rc == ENOENT || rc == EACCES || rc == ENOTDIR)
		return cd_err_set(err, CD_E_NOT_FOUND, o->op,
				  "cannot run '%s': %s (is it installed and on "
				  "PATH?)",
				  o->argv[0], strerror(rc));
	if (rc != 0)
		return cd_err_set(err, CD_E_IO, o->op, "cannot run '%s': %s",
				  o->argv[0], strerror(rc));
	return 0;
}

/* Reads what is there from *fd into b (beyond max: read and dropped). */
static void drain(int *fd, struct cd_buf *b, size_t max, int *cut,
		  const struct cd_proc_opts *o, int stream)
{
	char chunk[65536];
	for (;;) {
		ssize_t n = read(*fd, chunk, sizeof chunk);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			close_fd(fd);
			return;
		}
		if (o->on_output)
			o->on_output(o->output_ud, stream, chunk, (size_t)n);
		size_t room = b->len < max ? max - b->len : 0;
		size_t take = (size_t)n < room ? (size_t)n : room;
		if (take < (size_t)n)
			*cut = 1;
		if (take && cd_buf_append(b, chunk, take) != 0)
			*cut = 1;
	}
}

/* Writes more of stdin; closes it when done or when the child stopped
 * reading (EPIPE: SIGPIPE is blocked around the run). */
static void feed(int *fd, const struct cd_proc_opts *o, size_t *done)
{
	while (*done < o->in_len) {
		ssize_t n = write(*fd, o->in + *done, o->in_len - *done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n < 0)
			break;
		*done += (size_t)n;
	}
	close_fd(fd);
}

static int poll_ms(double deadline)
{
	if (deadline <= 0)
		return 1000;
	double left = deadline - cd_now();
	return left <= 0 ? 0 : left > 1 ? 1000 : (int)(left * 1000) + 1;
}

/* Pumps the pipes until both output streams end, the deadline passes or a
 * stop signal arrives. Returns 1 on the deadline, 2 on a stop signal. */
static int pump(const struct cd_proc_opts *o, struct pipes *p,
		struct cd_proc_result *r)
{
	size_t done = 0, out_max = o->out_max ? o->out_max : CD_PROC_OUT_MAX,
	       err_max = o->err_max ? o->err_max : CD_PROC_ERR_MAX;
	while (p->out >= 0 || p->err >= 0) {
		struct pollfd fds[3] = {{p->in, POLLOUT, 0},
					{p->out, POLLIN, 0},
					{p->err, POLLIN, 0}};
		if (atomic_load(&cd_stop_signal))
			return 2;
		if (o->deadline > 0 && cd_now() >= o->deadline)
			return 1;
		int n = poll(fds, 3, poll_ms(o->deadline));
		if (n < 0 && errno != EINTR)
			return 0;
		if (n <= 0)
			continue;
		if (fds[0].revents)
			feed(&p->in, o, &done);
		if (fds[1].revents)
			drain(&p->out, &r->out, out_max, &r->out_cut, o, 1);
		if (fds[2].revents)
			drain(&p->err, &r->err, err_max, &r->err_cut, o, 2);
	}
	return 0;
}

/* A stop signal: the child's process group gets SIGTERM (a builder may
 * clean up), up to two seconds to end, then SIGKILL for what is left. */
static void stop_gently(pid_t pid)
{
	kill(-pid, SIGTERM);
	for (int i = 0; i < 40; i++) {
		siginfo_t si = {0};
		if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 &&
		    si.si_pid == pid)
			break;
		cd_sleep(0.05);
	}
	kill(-pid, SIGKILL);
}

static void reap(pid_t pid, struct cd_proc_result *r)
{
	int st = 0;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	r->signaled = WIFSIGNALED(st);
	r->status = r->signaled ? 128 + WTERMSIG(st) : WEXITSTATUS(st);
}

/* Blocks SIGPIPE (a child closing stdin early must not kill us); the old
 * mask goes to *old. */
static void block_sigpipe(sigset_t *old)
{
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &s, old);
}

/* Discards a SIGPIPE raised while blocked, then restores the mask. */
static void restore_sigpipe(const sigset_t *old)
{
	sigset_t s, pending;
	struct timespec zero = {0, 0};
	sigemptyset(&s);
	sigaddset(&s, SIGPIPE);
	sigpending(&pending);
	if (sigismember(&pending, SIGPIPE) && !sigismember(old, SIGPIPE))
		sigtimedwait(&s, NULL, &zero);
	pthread_sigmask(SIG_SETMASK, old, NULL);
}

int cd_proc_run(const struct cd_proc_opts *o, struct cd_proc_result *r,
		struct cd_err *err)
{
	return cd_proc_run_env(o, NULL, r, err);
}

int cd_proc_run_env(const struct cd_proc_opts *o, const char *const *envp,
		    struct cd_proc_result *r, struct cd_err *err)
{
	struct pipes p;
	sigset_t old;
	pid_t pid;
	int rc;
	*r = (struct cd_proc_result){CD_BUF_INIT, CD_BUF_INIT, 0, 0, 0, 0, 0};
	rc = pipes_open(&p, o->in != NULL, err, o->op);
	if (rc != 0)
		return rc;
	block_sigpipe(&old);
	rc = spawn(o, (char *const *)envp, &p, &pid, err);
	int stopped = 0;
	if (rc == 0) {
		int why = pump(o, &p, r);
		r->timed_out = why != 0;
		stopped = why == 2;
		if (stopped)
			stop_gently(pid);
		else if (r->timed_out)
			kill(-pid, SIGKILL);
		pipes_close(&p);
		reap(pid, r);
	}
	pipes_close(&p);
	restore_sigpipe(&old);
	if (rc == 0 && stopped)
		rc = cd_err_set(err, CD_E_TIMEOUT, o->op,
				"'%s' was stopped: %s", o->argv[0],
				cd_deadline_why());
	else if (rc == 0 && r->timed_out)
		rc = cd_err_set(err, CD_E_TIMEOUT, o->op,
				"'%s' did not finish before the deadline and "
				"was killed",
				o->argv[0]);
	return rc;
}

void cd_proc_result_free(struct cd_proc_result *r)
{
	cd_buf_free(&r->out);
	cd_buf_free(&r->err);
}

static int executable(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
	       access(path, X_OK) == 0;
}

/* The program name resolves to: itself when it has a '/', else the first
 * executable PATH entry (as posix_spawnp searches); 1 when found. */
static int find_program(const char *name, char *full, size_t size)
{
	const char *path = getenv("PATH");
	if (strchr(name, '/'))
		return snprintf(full, size, "%s", name) < (int)size &&
		       executable(name);
	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (const char *p = path;; p++) {
		const char *e = strchr(p, ':');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		if (n && (size_t)snprintf(full, size, "%.*s/%s", (int)n, p,
					  name) < size &&
		    executable(full))
			return 1;
		if (!e)
			return 0;
		p = e;
	}
}

int cd_proc_found(const char *name)
{
	char full[PATH_MAX];
	return find_program(name, full, sizeof full);
}
