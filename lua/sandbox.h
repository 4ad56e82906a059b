/* lua/sandbox.h — the Lua state recipes run in (SPEC section 9).
 *
 * An allow-list of libraries (base minus dofile/loadfile, text-only load,
 * string minus dump, table, math, utf8, coroutine), each chunk in its own
 * environment over a protected base, read-only library tables, and limits:
 * instructions (count hook), memory (capped allocator) and wall clock
 * (hook + watchdog thread). A tripped limit is sticky: every later hook,
 * allocation, pcall return and coroutine resume raises it again, so pcall
 * cannot swallow it; the run ends with exit 5 (4 for the wall clock). */
#ifndef CD_SANDBOX_H
#define CD_SANDBOX_H

#include <lua.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "../core/ctx.h"

enum cd_trip {
	CD_TRIP_NONE = 0,
	CD_TRIP_MEMORY,
	CD_TRIP_INSTRUCTIONS,
	CD_TRIP_FORBIDDEN,
	CD_TRIP_TIMEOUT,
	CD_TRIP_COUNT
};

struct cd_limits {
	uint64_t max_instructions; /* 0 = unlimited */
	uint64_t max_memory;       /* bytes; 0 = unlimited */
	double timeout;            /* seconds of wall clock; 0 = none */
};

#define CD_DEFAULT_MAX_INSTRUCTIONS 10000000000ULL /* ~ a minute of pure Lua */
#define CD_DEFAULT_MAX_MEMORY ((uint64_t)1 << 30)  /* 1 GiB */
#define CD_HOOK_INTERVAL 1000

struct cd_sandbox {
	lua_State *L;
	struct cd_ctx *ctx;
	struct cd_limits limits;
	size_t mem_used, mem_peak;
	uint64_t instr;
	atomic_int tripped;       /* enum cd_trip */
	atomic_int deadline_hit;  /* set by the watchdog */
	int unrestricted;         /* the host is reporting: limits lifted */
	int cdepth;               /* nesting of coroutine close/wrap calls */
	int rearmed;              /* every coroutine's hook re-armed after a trip */
	char trip_where[256];
	/* What each trip reports, kept in C so nothing a recipe does to the
	 * Lua error object changes the final report. */
	char trip_op[CD_TRIP_COUNT][64];
	char trip_msg[CD_TRIP_COUNT][512];
	char where[2][256];       /* last recipe location seen by the hook */
	atomic_int where_idx;
	/* watchdog */
	pthread_t wd;
	pthread_mutex_t wd_mu;
	pthread_cond_t wd_cv;
	int wd_running, wd_stop;
};

/* Creates the state with the allocator, hook and allow-listed libraries.
 * Returns 0, or -1 if the state could not be created. */
int cd_sandbox_init(struct cd_sandbox *sb, const struct cd_limits *lim,
		    struct cd_ctx *ctx);
void cd_sandbox_close(struct cd_sandbox *sb);
struct cd_sandbox *cd_sandbox_get(lua_State *L);

/* A forbidden capability: trips the sandbox (exit 5) and raises. */
int cd_sandbox_violation(lua_State *L, const char *op, const char *msg);
/* Raises the sticky limit error if a limit has tripped; returns otherwise. */
void cd_sandbox_check(lua_State *L);
/* The exit code for the current trip (0 when none). */
int cd_sandbox_exit_code(const struct cd_sandbox *sb);
/* Pushes a fresh error object describing the current trip, built from the
 * C-side record (call only once the host is unrestricted). */
void cd_sandbox_push_trip(lua_State *L);
/* Charges `cost` units of work done inside one C call (a loop that runs no
 * Lua code) to the instruction limit; trips it when exceeded. */
void cd_sandbox_charge(lua_State *L, uint64_t cost);
/* Records the calling recipe line for the watchdog's message. */
void cd_sandbox_note_where(lua_State *L);

/* Pushes a fresh chunk environment whose globals fall back to the base. */
void cd_sandbox_push_env(lua_State *L);
/* Loads text (never bytecode) as a chunk in a fresh environment; pushes the
 * function, or returns non-zero with an error message pushed. */
int cd_sandbox_load(lua_State *L, const char *src, size_t len,
		    const char *chunkname);
/* Wraps the table at the top of the stack in a read-only proxy (replaces it). */
void cd_sandbox_protect(lua_State *L, const char *name);
/* Sets base global `name` to the value at the top of the stack (popped). */
void cd_sandbox_set_global(lua_State *L, const char *name);

/* Starts/stops the wall-clock watchdog (limits.timeout > 0). */
int cd_sandbox_watchdog_start(struct cd_sandbox *sb);
void cd_sandbox_watchdog_stop(struct cd_sandbox *sb);

#endif
