/* tests/fuzz/fuzz_lua.h — a capped Lua state and deep equality of values,
 * for the targets that drive lua/value*.c. */
#ifndef CD_FUZZ_LUA_H
#define CD_FUZZ_LUA_H

#include <lauxlib.h>
#include <lua.h>
#include <math.h>

#include "../../lua/value.h"
#include "fuzz.h"

/* The decoders may raise for memory exhaustion only; a cap turns a
 * pathological input into that raise instead of an out-of-memory kill. */
/* Deeper than the walkers allow (200, lua/value_priv.h). */
#define CD_FUZZ_MAX_DEPTH 220
#define FUZZ_LUA_MAX_MEMORY ((size_t)256 << 20)

static size_t fuzz_lua_used;

static void *fuzz_lua_alloc(void *ud, void *p, size_t osize, size_t nsize)
{
	(void)ud;
	if (!p)
		osize = 0;
	if (nsize == 0) {
		free(p);
		fuzz_lua_used -= osize;
		return NULL;
	}
	if (nsize > osize && fuzz_lua_used - osize + nsize > FUZZ_LUA_MAX_MEMORY)
		return NULL;
	void *q = realloc(p, nsize);
	if (q)
		fuzz_lua_used = fuzz_lua_used - osize + nsize;
	return q;
}

static inline lua_State *fuzz_lua_new(void)
{
	fuzz_lua_used = 0;
	lua_State *L = lua_newstate(fuzz_lua_alloc, NULL);
	if (!L)
		abort();
	cd_value_init(L);
	return L;
}

/* Runs f(job) in a fresh state, protected: the code under test may raise
 * for memory exhaustion only (FUZZ_LUA_MAX_MEMORY for one input). */
static inline void fuzz_lua_run(lua_CFunction f, void *job)
{
	lua_State *L = fuzz_lua_new();
	lua_pushcfunction(L, f);
	lua_pushlightuserdata(L, job);
	int rc = lua_pcall(L, 1, 0, 0);
	FUZZ_CHECK(rc == LUA_OK || rc == LUA_ERRMEM, "raised: %s",
		   lua_tostring(L, -1));
	lua_close(L);
}

static inline const char *fuzz_lua_show(lua_State *L, int i)
{
	return luaL_tolstring(L, i, NULL); /* leaves the string pushed */
}

/* Deep equality of the values at a and b: same Lua type, same integer vs
 * float subtype, same marker (map/list), the same keys with equal values;
 * NaN equals NaN. Fills why (a path and what differs) when unequal. */
static inline int fuzz_lua_same(lua_State *L, int a, int b, int depth, char *why,
			 size_t n)
{
	a = lua_absindex(L, a);
	b = lua_absindex(L, b);
	int ta = lua_type(L, a), tb = lua_type(L, b);
	if (ta != tb) {
		snprintf(why, n, "type %s vs %s", lua_typename(L, ta),
			 lua_typename(L, tb));
		return 0;
	}
	if (ta == LUA_TNUMBER) {
		if (lua_isinteger(L, a) != lua_isinteger(L, b)) {
			snprintf(why, n, "integer vs float: %s / %s",
				 fuzz_lua_show(L, a), fuzz_lua_show(L, b));
			lua_pop(L, 2);
			return 0;
		}
		lua_Number x = lua_tonumber(L, a), y = lua_tonumber(L, b);
		if ((isnan(x) && isnan(y)) || lua_rawequal(L, a, b))
			return 1;
		snprintf(why, n, "number %.17g vs %.17g", x, y);
		return 0;
	}
	if (ta != LUA_TTABLE) {
		if (lua_rawequal(L, a, b))
			return 1;
		snprintf(why, n, "%s vs %s", fuzz_lua_show(L, a),
			 fuzz_lua_show(L, b));
		lua_pop(L, 2);
		return 0;
	}
	if (depth > CD_FUZZ_MAX_DEPTH) {
		snprintf(why, n, "deeper than %d", CD_FUZZ_MAX_DEPTH);
		return 0;
	}
	if (cd_value_kind(L, a) != cd_value_kind(L, b)) {
		snprintf(why, n, "marker %d vs %d", (int)cd_value_kind(L, a),
			 (int)cd_value_kind(L, b));
		return 0;
	}
	luaL_checkstack(L, 8, "fuzz");
	size_t na = 0, nb = 0;
	lua_pushnil(L);
	while (lua_next(L, a)) {
		na++;
		lua_pushvalue(L, -2);
		lua_rawget(L, b);
		if (!fuzz_lua_same(L, -2, -1, depth + 1, why, n)) {
			size_t len = strlen(why);
			lua_pushvalue(L, -3);
			snprintf(why + len, n - len, " (under key %s)",
				 fuzz_lua_show(L, -1));
			lua_pop(L, 5);
			return 0;
		}
		lua_pop(L, 2);
	}
	lua_pushnil(L);
	while (lua_next(L, b)) {
		nb++;
		lua_pop(L, 1);
	}
	if (na != nb) {
		snprintf(why, n, "%zu keys vs %zu", na, nb);
		return 0;
	}
	return 1;
}

#endif
