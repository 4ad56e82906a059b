/* cdhost.parallel (lua/parallel.h): a scheduler of coroutines in C, worker
 * threads for the offloaded parts of primitives. */
#include "parallel.h"

#include <errno.h>
#include <lauxlib.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../core/mem.h"
#include "../core/util.h"
#include "host.h"
#include "lerr.h"
#include "sandbox.h"

#define OP "parallel"

/* Registry keys: the weak set of coroutines the scheduler runs, and the
 * marker a primitive yields with (so a coroutine.yield of the recipe's own
 * is told apart). */
static const char KEY_COS = 0;
static const char KEY_JOB = 0;

struct pjob {
	cd_parallel_work work;
	void *arg;
	pthread_t th;
	int started;
	int done; /* under mu */
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;

static void *worker(void *p)
{
	struct pjob *j = p;
	j->work(j->arg);
	pthread_mutex_lock(&mu);
	j->done = 1;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
	return NULL;
}

/* Starts a job's thread with SIGINT/SIGTERM blocked in it (they are the
 * Lua thread's to handle); runs it here when no thread can be had. */
static void job_start(struct pjob *j)
{
	sigset_t block, old;
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	int rc = pthread_create(&j->th, NULL, worker, j);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc == 0) {
		j->started = 1;
		return;
	}
	j->work(j->arg);
	j->done = 1;
}

static int job_done(struct pjob *j)
{
	pthread_mutex_lock(&mu);
	int d = j->done;
	pthread_mutex_unlock(&mu);
	return d;
}

/* Joins a finished job's thread and frees it. */
static void job_end(struct pjob *j)
{
	if (j->started)
		pthread_join(j->th, NULL);
	cd_free(j);
}

static int in_scheduler(lua_State *L)
{
	if (lua_rawgetp(L, LUA_REGISTRYINDEX, &KEY_COS) != LUA_TTABLE) {
		lua_pop(L, 1);
		return 0;
	}
	lua_pushthread(L);
	int yes = lua_rawget(L, -2) == LUA_TBOOLEAN;
	lua_pop(L, 2);
	return yes;
}

int cd_parallel_active(lua_State *L)
{
	return lua_isyieldable(L) && in_scheduler(L);
}

int cd_parallel_offload(lua_State *L, cd_parallel_work work, void *arg,
			lua_KContext kctx, lua_KFunction k)
{
	struct pjob *j = cd_parallel_active(L) ? cd_calloc(1, sizeof *j) : NULL;
	if (!j) {
		work(arg);
		return k(L, LUA_OK, kctx);
	}
	j->work = work;
	j->arg = arg;
	lua_pushlightuserdata(L, j);
	lua_pushlightuserdata(L, (void *)&KEY_JOB);
	return lua_yieldk(L, 2, kctx, k);
}

/* ---- the scheduler ---- */

enum { S_READY, S_QUEUED, S_RUNNING, S_DONE };

struct slot {
	lua_State *co;
	struct pjob *job;
	int state;
};

struct sched {
	struct slot *s;
	size_t n, running;
	int failed; /* an error is at the scheduler's error index */
};

/* Starts queued jobs while fewer than CD_PARALLEL_WORKERS run. */
static void start_queued(struct sched *q)
{
	for (size_t i = 0; i < q->n && q->running < CD_PARALLEL_WORKERS; i++)
		if (q->s[i].state == S_QUEUED) {
			q->s[i].state = S_RUNNING;
			q->running++;
			job_start(q->s[i].job);
		}
}

/* Waits (a quarter second at most) until a running job has finished, then
 * collects the finished ones (their coroutines become ready) and starts
 * queued jobs in their place. */
static void reap(struct sched *q)
{
	struct timespec at;
	int any = 0;
	clock_gettime(CLOCK_REALTIME, &at);
	at.tv_nsec += 250000000L;
	if (at.tv_nsec >= 1000000000L) {
		at.tv_sec++;
		at.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&mu);
	for (size_t i = 0; i < q->n; i++)
		any |= q->s[i].state == S_RUNNING && q->s[i].job->done;
	if (!any)
		pthread_cond_timedwait(&cv, &mu, &at);
	pthread_mutex_unlock(&mu);
	for (size_t i = 0; i < q->n; i++) {
		struct slot *s = &q->s[i];
		if (s->state != S_RUNNING || !job_done(s->job))
			continue;
		job_end(s->job);
		s->job = NULL;
		s->state = S_READY;
		q->running--;
	}
	start_queued(q);
}

/* Resumes slot i once; results[i] or the first error (moved to err_idx). */
static void step(lua_State *L, struct sched *q, size_t i, int results,
		 int err_idx)
{
	struct slot *s = &q->s[i];
	int nres = 0;
	int st = lua_resume(s->co, L, 0, &nres);
	if (st == LUA_YIELD && nres == 2 &&
	    lua_touserdata(s->co, -1) == (void *)&KEY_JOB) {
		s->job = lua_touserdata(s->co, -2);
		lua_pop(s->co, 2);
		s->state = S_QUEUED;
		return;
	}
	s->state = S_DONE;
	if (st == LUA_OK) {
		if (nres > 0) {
			lua_pushvalue(s->co, -nres);
			lua_xmove(s->co, L, 1);
			lua_rawseti(L, results, (lua_Integer)i + 1);
		}
		lua_settop(s->co, 0);
		return;
	}
	if (q->failed)
		return; /* the first error wins */
	q->failed = 1;
	if (st == LUA_YIELD) {
		char msg[160];
		snprintf(msg, sizeof msg, "function %zu called coroutine.yield "
			 "outside a coroutine of its own", i + 1);
		cd_lerr_push(L, CD_E_INVALID, OP, msg);
	} else {
		lua_xmove(s->co, L, 1);
	}
	lua_replace(L, err_idx);
}

/* The loop, under lua_pcall (1: the sched, 2: results, 3: the first
 * error): resumes ready coroutines, starts and reaps jobs, until every
 * function has ended, or one failed and no job runs any more. */
static int run_loop(lua_State *L)
{
	struct sched *q = lua_touserdata(L, 1);
	for (;;) {
		int busy = 0, ready = 0;
		for (size_t i = 0; i < q->n; i++) {
			if (q->s[i].state == S_READY && !q->failed)
				step(L, q, i, 2, 3);
			busy |= q->s[i].state == S_QUEUED ||
				q->s[i].state == S_RUNNING;
			ready |= q->s[i].state == S_READY;
		}
		if (!busy && (!ready || q->failed)) {
			lua_settop(L, 3);
			return 1; /* the first error, or nil */
		}
		start_queued(q);
		if (busy)
			reap(q);
	}
}

/* After the loop raised (a limit, out of memory): every job ends before
 * the stacks their arguments live on may be collected. */
static void settle(struct sched *q)
{
	for (size_t i = 0; i < q->n; i++) {
		struct slot *s = &q->s[i];
		if (s->state == S_RUNNING) {
			pthread_mutex_lock(&mu);
			while (!s->job->done)
				pthread_cond_wait(&cv, &mu);
			pthread_mutex_unlock(&mu);
		}
		if (s->state == S_RUNNING || s->state == S_QUEUED) {
			job_end(s->job);
			s->job = NULL;
			s->state = S_DONE;
		}
	}
}

/* cdhost.parallel{fn, fn, ...} -> {first value of each, in order} */
static int l_parallel(lua_State *L)
{
	luaL_checktype(L, 1, LUA_TTABLE);
	lua_Integer n = luaL_len(L, 1);
	if (n > CD_PARALLEL_MAX)
		return cd_lerr_raise(L, CD_E_INVALID, OP,
				     "%lld functions; at most %d at once",
				     (long long)n, CD_PARALLEL_MAX);
	for (lua_Integer i = 1; i <= n; i++) {
		if (lua_geti(L, 1, i) != LUA_TFUNCTION)
			return cd_lerr_raise(L, CD_E_INVALID, OP,
					     "item %lld is a %s, not a function",
					     (long long)i, luaL_typename(L, -1));
		lua_pop(L, 1);
	}
	lua_settop(L, 1);
	lua_createtable(L, (int)n, 0); /* 2: results */
	lua_createtable(L, (int)n, 0); /* 3: the coroutines, anchored */
	struct sched q = {0};
	q.n = (size_t)n;
	q.s = lua_newuserdatauv(L, (q.n ? q.n : 1) * sizeof *q.s, 0); /* 4 */
	memset(q.s, 0, (q.n ? q.n : 1) * sizeof *q.s);
	if (lua_rawgetp(L, LUA_REGISTRYINDEX, &KEY_COS) != LUA_TTABLE) {
		lua_pop(L, 1);
		lua_newtable(L);
		lua_createtable(L, 0, 1);
		lua_pushliteral(L, "k");
		lua_setfield(L, -2, "__mode");
		lua_setmetatable(L, -2);
		lua_pushvalue(L, -1);
		lua_rawsetp(L, LUA_REGISTRYINDEX, &KEY_COS);
	}
	int cos = lua_gettop(L); /* 5 */
	for (size_t i = 0; i < q.n; i++) {
		lua_State *co = lua_newthread(L);
		cd_sandbox_charge(L, CD_HOOK_INTERVAL);
		lua_pushvalue(L, -1);
		lua_pushboolean(L, 1);
		lua_rawset(L, cos);
		lua_rawseti(L, 3, (lua_Integer)i + 1);
		lua_geti(L, 1, (lua_Integer)i + 1);
		lua_xmove(L, co, 1);
		q.s[i].co = co;
	}
	/* No allocation between here and the pcall: nothing may raise while
	 * a job runs (its arguments live on the coroutines' stacks). */
	luaL_checkstack(L, 8, "cdhost.parallel");
	lua_pushcfunction(L, run_loop);
	lua_pushlightuserdata(L, &q);
	lua_pushvalue(L, 2);
	lua_pushnil(L);
	int st = lua_pcall(L, 3, 1, 0);
	settle(&q);
	if (st != LUA_OK || q.failed)
		return lua_error(L); /* the loop's error, or a function's */
	cd_sandbox_check(L);
	lua_settop(L, 2);
	return 1;
}

void cd_l_parallel_register(lua_State *L, int t)
{
	lua_pushcfunction(L, l_parallel);
	lua_setfield(L, t, "parallel");
}
