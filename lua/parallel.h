/* lua/parallel.h — cdhost.parallel{fn, fn, ...} (SPEC section 4).
 *
 * Each function runs as a coroutine driven by a scheduler in C. A primitive
 * hands its blocking, Lua-free part (a native build and push, an external
 * builder, a registry copy) to cd_parallel_offload: inside a function of
 * cdhost.parallel, where its coroutine can yield, that part runs on a worker
 * thread and the coroutine yields until it is done, so the other functions
 * go on meanwhile; anywhere else it runs at once. Either way the primitive's
 * continuation k then runs on the Lua thread, with the work done.
 *
 * The offloaded work must not touch Lua, nor state that Lua-side code may
 * touch while it runs: it gets its own HTTP and registry clients
 * (cd_l_registry_client_own). The report (core/report.c) is safe to log to
 * from any thread; ctx->stats are updated by continuations only. */
#ifndef CD_PARALLEL_H
#define CD_PARALLEL_H

#include <lua.h>

/* At most this many offloaded works run at once per cdhost.parallel. */
#define CD_PARALLEL_WORKERS 8
/* At most this many functions in one cdhost.parallel. */
#define CD_PARALLEL_MAX 256

typedef void (*cd_parallel_work)(void *arg);

/* Runs work(arg) (on a worker thread when L is a cdhost.parallel function
 * that can yield, else here and now), then returns k(L, LUA_YIELD or
 * LUA_OK, kctx). Use as `return cd_parallel_offload(...)` from a
 * lua_CFunction; arg must stay valid (anchored on L's stack) until k. */
int cd_parallel_offload(lua_State *L, cd_parallel_work work, void *arg,
			lua_KContext kctx, lua_KFunction k);

/* 1 when cd_parallel_offload would run the work on a worker thread: the
 * primitive must then give it clients of its own. */
int cd_parallel_active(lua_State *L);

/* Adds cdhost.parallel to the table at index t. */
void cd_l_parallel_register(lua_State *L, int t);

#endif
