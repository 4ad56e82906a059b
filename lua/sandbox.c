#include "sandbox.h"

#include <errno.h>
#include <lauxlib.h>
#include <lualib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../core/util.h"
#include "lerr.h"

/* Registry keys (their addresses are the keys). */
static const char KEY_TRIP[CD_TRIP_COUNT] = {0};
static const char KEY_ENV_MT = 0;
static const char KEY_THREADS = 0; /* weak set of every coroutine */

/* Globals a recipe may not touch; reading one trips the sandbox. */
static const char *const forbidden_globals[] = {
	"io", "os", "debug", "package", "dofile", "loadfile", "loadstring",
	"module", "jit", "ffi", "collectgarbage_unsafe", NULL};
static const char *const forbidden_string[] = {"dump", NULL};
/* Base functions removed or replaced by sandboxed versions. */
static const char *const removed_base[] = {"dofile", "loadfile", "warn", NULL};
static const char *const allowed_gc_options[] = {"collect", "count", "step",
						 "isrunning", NULL};

struct cd_sandbox *cd_sandbox_get(lua_State *L)
{
	return *(struct cd_sandbox **)lua_getextraspace(L);
}

/* ---- memory ---- */

static void *sb_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
	struct cd_sandbox *sb = ud;
	size_t old = ptr ? osize : 0;

	if (nsize == 0) {
		free(ptr);
		sb->mem_used -= old;
		return NULL;
	}
	if (nsize > old && !sb->unrestricted) {
		uint64_t max = sb->limits.max_memory;
		if (atomic_load(&sb->tripped))
			return NULL; /* sticky: nothing grows after a trip */
		if (max && sb->mem_used - old + nsize > max) {
			int none = CD_TRIP_NONE;
			atomic_compare_exchange_strong(&sb->tripped, &none,
						       CD_TRIP_MEMORY);
			return NULL;
		}
	}
	void *p = realloc(ptr, nsize);
	if (!p) {
		if (nsize <= old)
			return ptr; /* Lua assumes shrinking never fails */
		return NULL;
	}
	sb->mem_used = sb->mem_used - old + nsize;
	if (sb->mem_used > sb->mem_peak)
		sb->mem_peak = sb->mem_used;
	return p;
}

/* ---- trips ---- */

static void hook(lua_State *L, lua_Debug *ar);

static void record_trip_where(lua_State *L, struct cd_sandbox *sb)
{
	lua_Debug ar;
	if (sb->trip_where[0])
		return;
	for (int level = 0; lua_getstack(L, level, &ar); level++) {
		if (lua_getinfo(L, "Sl", &ar) && ar.source[0] == '@' &&
		    ar.currentline > 0) {
			snprintf(sb->trip_where, sizeof sb->trip_where,
				 "%s:%d:", ar.short_src, ar.currentline);
			return;
		}
	}
	int i = atomic_load(&sb->where_idx);
	if (sb->where[i][0])
		snprintf(sb->trip_where, sizeof sb->trip_where, "%s:",
			 sb->where[i]);
}

/* After a trip, every coroutine (suspended ones too: one may be resumed
 * from a __close handler during the unwinding) raises on its next
 * instruction. Iterating allocates nothing. */
static void rearm_all(lua_State *L, struct cd_sandbox *sb)
{
	if (sb->rearmed)
		return;
	sb->rearmed = 1;
	lua_sethook(sb->L, hook, LUA_MASKCOUNT, 1);
	if (lua_rawgetp(L, LUA_REGISTRYINDEX, &KEY_THREADS) == LUA_TTABLE) {
		lua_pushnil(L);
		while (lua_next(L, -2)) {
			lua_pop(L, 1);
			if (lua_type(L, -1) == LUA_TTHREAD)
				lua_sethook(lua_tothread(L, -1), hook,
					    LUA_MASKCOUNT, 1);
		}
	}
	lua_pop(L, 1);
}

static int raise_tripped(lua_State *L, struct cd_sandbox *sb)
{
	int kind = atomic_load(&sb->tripped);
	record_trip_where(L, sb);
	/* Re-arm: the very next instruction of this thread raises again. */
	lua_sethook(L, hook, LUA_MASKCOUNT, 1);
	rearm_all(L, sb);
	lua_rawgetp(L, LUA_REGISTRYINDEX, &KEY_TRIP[kind]);
	return lua_error(L);
}

static int trip(lua_State *L, struct cd_sandbox *sb, enum cd_trip kind)
{
	int none = CD_TRIP_NONE;
	atomic_compare_exchange_strong(&sb->tripped, &none, (int)kind);
	return raise_tripped(L, sb);
}

void cd_sandbox_check(lua_State *L)
{
	struct cd_sandbox *sb = cd_sandbox_get(L);
	if (atomic_load(&sb->tripped) && !sb->unrestricted)
		raise_tripped(L, sb);
}

int cd_sandbox_violation(lua_State *L, const char *op, const char *msg)
{
	struct cd_sandbox *sb = cd_sandbox_get(L);
	if (!atomic_load(&sb->tripped)) {
		snprintf(sb->trip_op[CD_TRIP_FORBIDDEN],
			 sizeof sb->trip_op[0], "%s", op);
		snprintf(sb->trip_msg[CD_TRIP_FORBIDDEN],
			 sizeof sb->trip_msg[0], "%s", msg);
		cd_lerr_push(L, CD_E_LIMIT, op, msg);
		lua_rawsetp(L, LUA_REGISTRYINDEX, &KEY_TRIP[CD_TRIP_FORBIDDEN]);
	}
	return trip(L, sb, CD_TRIP_FORBIDDEN);
}

int cd_sandbox_exit_code(const struct cd_sandbox *sb)
{
	switch (atomic_load(&sb->tripped)) {
	case CD_TRIP_NONE: return 0;
	case CD_TRIP_TIMEOUT: return 4;
	default: return 5;
	}
}

void cd_sandbox_push_trip(lua_State *L)
{
	struct cd_sandbox *sb = cd_sandbox_get(L);
	int kind = atomic_load(&sb->tripped);
	if (!kind) {
		lua_pushnil(L);
		return;
	}
	cd_lerr_push(L, kind == CD_TRIP_TIMEOUT ? CD_E_TIMEOUT : CD_E_LIMIT,
		     sb->trip_op[kind], sb->trip_msg[kind]);
	lua_pushstring(L, sb->trip_where);
	lua_setfield(L, -2, "where");
}

static void record_where(lua_State *L, struct cd_sandbox *sb, lua_Debug *ar)
{
	if (!lua_getinfo(L, "Sl", ar) || ar->source[0] != '@')
		return;
	int next = !atomic_load(&sb->where_idx);
	snprintf(sb->where[next], sizeof sb->where[next], "%s:%d",
		 ar->short_src, ar->currentline);
	atomic_store(&sb->where_idx, next);
}

static void hook(lua_State *L, lua_Debug *ar)
{
	struct cd_sandbox *sb = cd_sandbox_get(L);
	if (sb->unrestricted)
		return;
	if (atomic_load(&sb->tripped))
		raise_tripped(L, sb);
	if (ar->event != LUA_HOOKCOUNT)
		return;
	sb->instr += CD_HOOK_INTERVAL;
	record_where(L, sb, ar);
	if (atomic_load(&sb->deadline_hit) || atomic_load(&cd_stop_signal))
		trip(L, sb, CD_TRIP_TIMEOUT); /* a stop signal ends it the same way */
	if (sb->limits.max_instructions && sb->instr > sb->limits.max_instructions)
		trip(L, sb, CD_TRIP_INSTRUCTIONS);
}

/* Charges work the count hook cannot see (new coroutines start counting
 * afresh), so churning through short-lived coroutines cannot hide a loop. */
void cd_sandbox_charge(lua_State *L, uint64_t n)
{
	struct cd_sandbox *sb = cd_sandbox_get(L);
	sb->instr = sb->instr > UINT64_MAX - n ? UINT64_MAX : sb->instr + n;
	cd_sandbox_check(L);
	if (sb->limits.max_instructions && sb->instr > sb->limits.max_instructions)
		trip(L, sb, CD_TRIP_INSTRUCTIONS);
}

static void make_trip_error(lua_State *L, enum cd_trip kind, enum cd_code code,
			    const char *msg)
{
	struct cd_sandbox *sb = cd_sandbox_get(L);
	snprintf(sb->trip_op[kind], sizeof sb->trip_op[kind], "sandbox");
	snprintf(sb->trip_msg[kind], sizeof sb->trip_msg[kind], "%s", msg);
	cd_lerr_push(L, code, "sandbox", msg);
	lua_pushliteral(L, "");
	lua_setfield(L, -2, "where");
	lua_rawsetp(L, LUA_REGISTRYINDEX, &KEY_TRIP[kind]);
}

static void make_trip_errors(lua_State *L, const struct cd_limits *lim)
{
	char msg[256], t[32];
	snprintf(msg, sizeof msg,
		 "memory limit of %llu bytes exceeded (raise it with "
		 "--max-memory, 0 = unlimited)",
		 (unsigned long long)lim->max_memory);
	make_trip_error(L, CD_TRIP_MEMORY, CD_E_LIMIT, msg);
	snprintf(msg, sizeof msg,
		 "instruction limit of %llu exceeded (raise it with "
		 "--max-instructions, 0 = unlimited)",
		 (unsigned long long)lim->max_instructions);
	make_trip_error(L, CD_TRIP_INSTRUCTIONS, CD_E_LIMIT, msg);
	cd_format_duration(lim->timeout, t, sizeof t);
	snprintf(msg, sizeof msg, "the run exceeded its --timeout of %s", t);
	make_trip_error(L, CD_TRIP_TIMEOUT, CD_E_TIMEOUT, msg);
	make_trip_error(L, CD_TRIP_FORBIDDEN, CD_E_LIMIT,
			"forbidden capability");
}

/* ---- protected tables ---- */

static int proxy_newindex(lua_State *L)
{
	return cd_lerr_raise(L, CD_E_RECIPE, "sandbox",
			     "'%s' is read-only in the cdhost sandbox "
			     "(tried to set '%s'); use a local instead",
			     lua_tostring(L, lua_upvalueindex(1)),
			     luaL_tolstring(L, 2, NULL));
}

static int proxy_next(lua_State *L)
{
	lua_settop(L, 2);
	if (lua_next(L, lua_upvalueindex(1)))
		return 2;
	lua_pushnil(L);
	return 1;
}

static int proxy_pairs(lua_State *L)
{
	lua_getiuservalue(L, 1, 1);
	lua_pushcclosure(L, proxy_next, 1); /* hides the real table */
	lua_pushvalue(L, 1);
	lua_pushnil(L);
	return 3;
}

static int proxy_len(lua_State *L)
{
	lua_getiuservalue(L, 1, 1);
	lua_pushinteger(L, (lua_Integer)luaL_len(L, -1));
	return 1;
}

static int proxy_tostring(lua_State *L)
{
	lua_pushfstring(L, "module: %s", lua_tostring(L, lua_upvalueindex(1)));
	return 1;
}

void cd_sandbox_protect(lua_State *L, const char *name)
{
	int real = lua_gettop(L);
	lua_newuserdatauv(L, 0, 1);
	lua_pushvalue(L, real);
	lua_setiuservalue(L, -2, 1);
	lua_createtable(L, 0, 6);
	lua_pushvalue(L, real);
	lua_setfield(L, -2, "__index");
	lua_pushstring(L, name);
	lua_pushcclosure(L, proxy_newindex, 1);
	lua_setfield(L, -2, "__newindex");
	lua_pushcfunction(L, proxy_pairs);
	lua_setfield(L, -2, "__pairs");
	lua_pushcfunction(L, proxy_len);
	lua_setfield(L, -2, "__len");
	lua_pushstring(L, name);
	lua_pushcclosure(L, proxy_tostring, 1);
	lua_setfield(L, -2, "__tostring");
	lua_pushliteral(L, "cdhost: protected");
	lua_setfield(L, -2, "__metatable");
	lua_setmetatable(L, -2);
	lua_replace(L, real);
}

void cd_sandbox_set_global(lua_State *L, const char *name)
{
	lua_pushglobaltable(L);
	lua_insert(L, -2);
	lua_setfield(L, -2, name);
	lua_pop(L, 1);
}

/* __index of a protected table's real contents: names on the list trip the
 * sandbox, anything else is simply absent. */
static int forbidden_index(lua_State *L)
{
	const char *k = lua_tostring(L, 2);
	const char *lib = lua_tostring(L, lua_upvalueindex(1));
	for (int i = 1; k; i++) {
		lua_rawgeti(L, lua_upvalueindex(2), i);
		const char *f = lua_tostring(L, -1);
		lua_pop(L, 1);
		if (!f)
			break;
		if (strcmp(f, k) == 0) {
			char msg[256];
			snprintf(msg, sizeof msg,
				 "'%s%s%s' is not available to recipes "
				 "(see docs/sandbox.md)",
				 lib, *lib ? "." : "", k);
			return cd_sandbox_violation(L, "sandbox", msg);
		}
	}
	return 0;
}

static void set_forbidden(lua_State *L, int t, const char *lib,
			  const char *const *names)
{
	t = lua_absindex(L, t);
	lua_createtable(L, 0, 1);
	lua_pushstring(L, lib);
	lua_newtable(L);
	for (int i = 0; names[i]; i++) {
		lua_pushstring(L, names[i]);
		lua_rawseti(L, -2, i + 1);
	}
	lua_pushcclosure(L, forbidden_index, 2);
	lua_setfield(L, -2, "__index");
	lua_pushliteral(L, "cdhost: protected");
	lua_setfield(L, -2, "__metatable");
	lua_setmetatable(L, t);
}

/* ---- sandboxed base functions ---- */

static int finish_pcall(lua_State *L, int status, lua_KContext extra)
{
	cd_sandbox_check(L);
	if (status != LUA_OK && status != LUA_YIELD) {
		lua_pushboolean(L, 0);
		lua_pushvalue(L, -2);
		return 2;
	}
	return lua_gettop(L) - (int)extra;
}

static int sb_pcall(lua_State *L)
{
	luaL_checkany(L, 1);
	lua_pushboolean(L, 1);
	lua_insert(L, 1);
	int status = lua_pcallk(L, lua_gettop(L) - 2, LUA_MULTRET, 0, 0,
				finish_pcall);
	return finish_pcall(L, status, 0);
}

static int sb_xpcall(lua_State *L)
{
	int n = lua_gettop(L);
	luaL_checktype(L, 2, LUA_TFUNCTION);
	lua_pushboolean(L, 1);
	lua_pushvalue(L, 1);
	lua_rotate(L, 3, 2); /* handler, true, f, args... */
	int status = lua_pcallk(L, n - 2, LUA_MULTRET, 2, 2, finish_pcall);
	return finish_pcall(L, status, 2);
}

static int sb_collectgarbage(lua_State *L)
{
	const char *opt = luaL_optstring(L, 1, "collect");
	for (int i = 0; allowed_gc_options[i]; i++) {
		if (strcmp(opt, allowed_gc_options[i]) != 0)
			continue;
		lua_pushvalue(L, lua_upvalueindex(1));
		lua_insert(L, 1);
		lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
		return lua_gettop(L);
	}
	return luaL_error(L, "collectgarbage('%s') is not available in the "
			     "sandbox (allowed: collect, count, step, "
			     "isrunning)",
			  opt);
}

static int sb_setmetatable(lua_State *L)
{
	if (lua_type(L, 2) == LUA_TTABLE &&
	    (lua_pushliteral(L, "__gc"), lua_rawget(L, 2)) != LUA_TNIL)
		return cd_sandbox_violation(
			L, "setmetatable",
			"__gc metamethods are not available to recipes (they "
			"run outside the limits); use <close> variables");
	lua_settop(L, 2);
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_insert(L, 1);
	lua_call(L, 2, 1);
	return 1;
}

static int sb_load(lua_State *L)
{
	size_t len;
	const char *s;
	const char *mode = luaL_optstring(L, 3, "bt");
	int has_env = !lua_isnone(L, 4);

	if (lua_type(L, 1) == LUA_TSTRING) {
		s = lua_tolstring(L, 1, &len);
	} else {
		luaL_Buffer b;
		luaL_checktype(L, 1, LUA_TFUNCTION);
		luaL_buffinit(L, &b);
		for (;;) {
			lua_pushvalue(L, 1);
			lua_call(L, 0, 1);
			if (lua_isnil(L, -1) ||
			    (lua_type(L, -1) == LUA_TSTRING &&
			     lua_rawlen(L, -1) == 0)) {
				lua_pop(L, 1);
				break;
			}
			if (lua_type(L, -1) != LUA_TSTRING)
				return luaL_error(L, "reader function must "
						     "return a string");
			luaL_addvalue(&b);
		}
		luaL_pushresult(&b);
		lua_replace(L, 1);
		s = lua_tolstring(L, 1, &len);
	}
	if (len > 0 && s[0] == LUA_SIGNATURE[0])
		return cd_sandbox_violation(L, "load",
					    "binary (precompiled) chunks are "
					    "not allowed; load source text");
	const char *name = luaL_optstring(L, 2, s);
	if (!strchr(mode, 't')) {
		lua_pushnil(L);
		lua_pushfstring(L, "attempt to load a text chunk (mode is '%s')",
				mode);
		return 2;
	}
	if (luaL_loadbufferx(L, s, len, name, "t") != LUA_OK) {
		lua_pushnil(L);
		lua_insert(L, -2);
		return 2;
	}
	if (has_env)
		lua_pushvalue(L, 4);
	else
		cd_sandbox_push_env(L);
	if (!lua_setupvalue(L, -2, 1))
		lua_pop(L, 1);
	return 1;
}

/* ---- coroutines ---- */

#define CD_MAX_COROUTINE_NESTING 100

static int nesting_enter(lua_State *L, const char *what)
{
	struct cd_sandbox *sb = cd_sandbox_get(L);
	if (sb->cdepth >= CD_MAX_COROUTINE_NESTING)
		return luaL_error(L, "C stack overflow: more than %d nested "
				     "%s calls",
				  CD_MAX_COROUTINE_NESTING, what);
	sb->cdepth++;
	return 0;
}

/* Calls upvalue 1 with the arguments, counting nesting (Lua 5.4.4 has no
 * C-stack accounting in coroutine.close, so deep chains would crash). */
static int nested_call(lua_State *L, const char *what)
{
	struct cd_sandbox *sb = cd_sandbox_get(L);
	cd_sandbox_check(L);
	nesting_enter(L, what);
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_insert(L, 1);
	int status = lua_pcall(L, lua_gettop(L) - 1, LUA_MULTRET, 0);
	sb->cdepth--;
	cd_sandbox_check(L);
	if (status != LUA_OK)
		return lua_error(L);
	return lua_gettop(L);
}

static int sb_co_close(lua_State *L)
{
	return nested_call(L, "coroutine.close");
}

static int sb_co_wrapped(lua_State *L)
{
	return nested_call(L, "coroutine.wrap");
}

static int sb_co_resume(lua_State *L)
{
	cd_sandbox_check(L);
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_insert(L, 1);
	lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
	cd_sandbox_check(L);
	return lua_gettop(L);
}

/* Adds the thread at the top of the stack to the weak set of threads. */
static void remember_thread(lua_State *L)
{
	lua_rawgetp(L, LUA_REGISTRYINDEX, &KEY_THREADS);
	lua_pushvalue(L, -2);
	lua_pushboolean(L, 1);
	lua_rawset(L, -3);
	lua_pop(L, 1);
}

static int sb_co_create(lua_State *L)
{
	cd_sandbox_charge(L, CD_HOOK_INTERVAL);
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_insert(L, 1);
	lua_call(L, lua_gettop(L) - 1, 1);
	remember_thread(L);
	return 1;
}

static int sb_co_wrap(lua_State *L)
{
	cd_sandbox_charge(L, CD_HOOK_INTERVAL);
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_insert(L, 1);
	lua_call(L, lua_gettop(L) - 1, 1);
	if (lua_getupvalue(L, -1, 1) && lua_type(L, -1) == LUA_TTHREAD)
		remember_thread(L); /* the coroutine behind the wrapper */
	lua_pop(L, 1);
	lua_pushcclosure(L, sb_co_wrapped, 1);
	return 1;
}

/* ---- work done inside single C calls ---- */

static void wrap_field(lua_State *L, int t, const char *name,
		       lua_CFunction f);

/* Saturating: a count of loop iterations from two integers. */
static uint64_t span(lua_Integer from, lua_Integer to)
{
	if (to < from)
		return 0;
	return (uint64_t)to - (uint64_t)from + 1;
}

static lua_Integer opt_int(lua_State *L, int idx, lua_Integer def)
{
	int isnum;
	lua_Integer v = lua_tointegerx(L, idx, &isnum);
	return isnum ? v : def;
}

/* Length as the library sees it (honours __len); 0 if not a table. */
static uint64_t len_of(lua_State *L, int idx)
{
	if (lua_type(L, idx) != LUA_TTABLE)
		return 0;
	lua_len(L, idx);
	lua_Integer n = opt_int(L, -1, 0);
	lua_pop(L, 1);
	return n > 0 ? (uint64_t)n : 0;
}

static uint64_t cost_rep(lua_State *L)
{
	lua_Integer n = opt_int(L, 2, 0);
	return n > 0 ? (uint64_t)n : 0;
}

/* table.insert(t, pos, v) and table.remove(t, pos) shift the elements
 * from pos to the end; appending and popping shift nothing. */
static uint64_t cost_shift(lua_State *L, int has_pos)
{
	if (!has_pos)
		return 1;
	uint64_t c = span(opt_int(L, 2, 1), (lua_Integer)len_of(L, 1));
	return c == UINT64_MAX ? c : c + 1;
}

static uint64_t cost_insert(lua_State *L)
{
	return cost_shift(L, lua_gettop(L) >= 3);
}

static uint64_t cost_remove(lua_State *L)
{
	return cost_shift(L, lua_gettop(L) >= 2);
}

static uint64_t cost_move(lua_State *L)
{
	return span(opt_int(L, 2, 1), opt_int(L, 3, 0));
}

static uint64_t cost_concat(lua_State *L)
{
	lua_Integer i = opt_int(L, 3, 1);
	lua_Integer j = lua_isnoneornil(L, 4) ? (lua_Integer)len_of(L, 1)
					      : opt_int(L, 4, 0);
	return span(i, j);
}

static uint64_t cost_sort(lua_State *L)
{
	uint64_t n = len_of(L, 1), log = 1;
	for (uint64_t m = n; m > 1; m >>= 1)
		log++;
	return n > UINT64_MAX / log ? UINT64_MAX : n * log;
}

static const struct {
	const char *lib, *name;
	uint64_t (*cost)(lua_State *L);
} costed[] = {
	{LUA_STRLIBNAME, "rep", cost_rep},
	{LUA_TABLIBNAME, "insert", cost_insert},
	{LUA_TABLIBNAME, "remove", cost_remove},
	{LUA_TABLIBNAME, "move", cost_move},
	{LUA_TABLIBNAME, "concat", cost_concat},
	{LUA_TABLIBNAME, "sort", cost_sort},
};

/* Upvalues: the real function, the index of its cost function. */
static int sb_costed(lua_State *L)
{
	lua_Integer i = lua_tointeger(L, lua_upvalueindex(2));
	cd_sandbox_charge(L, costed[i].cost(L));
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_insert(L, 1);
	lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
	return lua_gettop(L);
}

void cd_sandbox_note_where(lua_State *L)
{
	struct cd_sandbox *sb = cd_sandbox_get(L);
	lua_Debug ar;
	for (int level = 1; level < 4 && lua_getstack(L, level, &ar); level++) {
		if (lua_getinfo(L, "Sl", &ar) && ar.source[0] == '@') {
			int next = !atomic_load(&sb->where_idx);
			snprintf(sb->where[next], sizeof sb->where[next],
				 "%s:%d", ar.short_src, ar.currentline);
			atomic_store(&sb->where_idx, next);
			return;
		}
	}
}

/* Pattern matching can run for ages inside one C call; only the watchdog
 * stops it, and its message should say where the recipe was. */
static int sb_noted(lua_State *L)
{
	cd_sandbox_note_where(L);
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_insert(L, 1);
	lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
	return lua_gettop(L);
}

static void wrap_costed(lua_State *L, int g)
{
	static const char *const noted[] = {"find", "match", "gmatch", "gsub"};
	for (size_t i = 0; i < sizeof costed / sizeof *costed; i++) {
		lua_getfield(L, g, costed[i].lib);
		lua_getfield(L, -1, costed[i].name);
		lua_pushinteger(L, (lua_Integer)i);
		lua_pushcclosure(L, sb_costed, 2);
		lua_setfield(L, -2, costed[i].name);
		lua_pop(L, 1);
	}
	lua_getfield(L, g, LUA_STRLIBNAME);
	for (size_t i = 0; i < sizeof noted / sizeof *noted; i++)
		wrap_field(L, lua_gettop(L), noted[i], sb_noted);
	lua_pop(L, 1);
}

static void wrap_field(lua_State *L, int t, const char *name,
		       lua_CFunction f)
{
	lua_getfield(L, t, name);
	lua_pushcclosure(L, f, 1);
	lua_setfield(L, t, name);
}

/* ---- environments ---- */

void cd_sandbox_push_env(lua_State *L)
{
	lua_createtable(L, 0, 4);
	lua_pushvalue(L, -1);
	lua_setfield(L, -2, "_G");
	lua_rawgetp(L, LUA_REGISTRYINDEX, &KEY_ENV_MT);
	lua_setmetatable(L, -2);
}

int cd_sandbox_load(lua_State *L, const char *src, size_t len,
		    const char *chunkname)
{
	if (len > 0 && src[0] == LUA_SIGNATURE[0]) {
		lua_pushfstring(L, "%s: binary (precompiled) chunks are not "
				   "allowed",
				chunkname + (*chunkname == '@'));
		return LUA_ERRSYNTAX;
	}
	int status = luaL_loadbufferx(L, src, len, chunkname, "t");
	if (status != LUA_OK)
		return status;
	cd_sandbox_push_env(L);
	lua_setupvalue(L, -2, 1);
	return LUA_OK;
}

/* ---- opening ---- */

static void open_libs(lua_State *L)
{
	static const luaL_Reg libs[] = {
		{LUA_GNAME, luaopen_base},       {LUA_STRLIBNAME, luaopen_string},
		{LUA_TABLIBNAME, luaopen_table}, {LUA_MATHLIBNAME, luaopen_math},
		{LUA_UTF8LIBNAME, luaopen_utf8}, {LUA_COLIBNAME, luaopen_coroutine},
		{NULL, NULL}};
	for (const luaL_Reg *l = libs; l->func; l++) {
		luaL_requiref(L, l->name, l->func, 1);
		lua_pop(L, 1);
	}
	/* luaL_requiref leaves the libraries in LOADED; nothing reads it, and
	 * the real tables must not stay reachable from anywhere but here. */
	lua_pushnil(L);
	lua_setfield(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
}

static void setup_base(lua_State *L)
{
	lua_pushglobaltable(L);
	int g = lua_gettop(L);
	for (int i = 0; removed_base[i]; i++) {
		lua_pushnil(L);
		lua_setfield(L, g, removed_base[i]);
	}
	lua_pushcfunction(L, sb_pcall);
	lua_setfield(L, g, "pcall");
	lua_pushcfunction(L, sb_xpcall);
	lua_setfield(L, g, "xpcall");
	lua_pushnil(L);
	lua_setfield(L, g, "print"); /* the host installs cdhost.log.info */
	lua_pushcfunction(L, sb_load);
	lua_setfield(L, g, "load");
	wrap_field(L, g, "collectgarbage", sb_collectgarbage);
	wrap_field(L, g, "setmetatable", sb_setmetatable);
	lua_pushnil(L);
	lua_setfield(L, g, "_G"); /* each chunk's env has its own _G */

	lua_getfield(L, g, LUA_COLIBNAME);
	int co = lua_gettop(L);
	wrap_field(L, co, "close", sb_co_close);
	wrap_field(L, co, "resume", sb_co_resume);
	wrap_field(L, co, "create", sb_co_create);
	wrap_field(L, co, "wrap", sb_co_wrap);
	lua_pop(L, 1);

	wrap_costed(L, g);

	/* string: no dump; its metatable (shared by every string) is sealed. */
	lua_getfield(L, g, LUA_STRLIBNAME);
	lua_pushnil(L);
	lua_setfield(L, -2, "dump");
	set_forbidden(L, -1, "string", forbidden_string);
	lua_pop(L, 1);
	lua_pushliteral(L, "");
	lua_getmetatable(L, -1);
	lua_pushliteral(L, "cdhost: protected");
	lua_setfield(L, -2, "__metatable");
	lua_pop(L, 2);

	static const char *const libs[] = {LUA_STRLIBNAME, LUA_TABLIBNAME,
					   LUA_MATHLIBNAME, LUA_UTF8LIBNAME,
					   LUA_COLIBNAME, NULL};
	for (int i = 0; libs[i]; i++) {
		lua_getfield(L, g, libs[i]);
		cd_sandbox_protect(L, libs[i]);
		lua_setfield(L, g, libs[i]);
	}
	set_forbidden(L, g, "", forbidden_globals);

	/* Chunk environments: globals of their own, reads fall back to base. */
	lua_createtable(L, 0, 2);
	lua_pushvalue(L, g);
	lua_setfield(L, -2, "__index");
	lua_pushliteral(L, "cdhost: protected");
	lua_setfield(L, -2, "__metatable");
	lua_rawsetp(L, LUA_REGISTRYINDEX, &KEY_ENV_MT);
	lua_pop(L, 1);
}

static int open_all(lua_State *L)
{
	struct cd_sandbox *sb = lua_touserdata(L, 1);
	open_libs(L);
	cd_lerr_init(L);
	make_trip_errors(L, &sb->limits);
	lua_newtable(L);
	lua_createtable(L, 0, 1);
	lua_pushliteral(L, "k");
	lua_setfield(L, -2, "__mode");
	lua_setmetatable(L, -2);
	lua_rawsetp(L, LUA_REGISTRYINDEX, &KEY_THREADS);
	setup_base(L);
	return 0;
}

int cd_sandbox_init(struct cd_sandbox *sb, const struct cd_limits *lim,
		    struct cd_ctx *ctx)
{
	memset(sb, 0, sizeof *sb);
	sb->limits = *lim;
	sb->ctx = ctx;
	atomic_init(&sb->tripped, CD_TRIP_NONE);
	atomic_init(&sb->deadline_hit, 0);
	atomic_init(&sb->where_idx, 0);
	pthread_mutex_init(&sb->wd_mu, NULL);
	sb->L = lua_newstate(sb_alloc, sb);
	if (!sb->L)
		return -1;
	*(struct cd_sandbox **)lua_getextraspace(sb->L) = sb;
	lua_gc(sb->L, LUA_GCGEN, 0, 0);
	lua_pushcfunction(sb->L, open_all);
	lua_pushlightuserdata(sb->L, sb);
	if (lua_pcall(sb->L, 1, 0, 0) != LUA_OK) {
		lua_close(sb->L);
		sb->L = NULL;
		return -1;
	}
	lua_sethook(sb->L, hook, LUA_MASKCOUNT, CD_HOOK_INTERVAL);
	return 0;
}

void cd_sandbox_close(struct cd_sandbox *sb)
{
	cd_sandbox_watchdog_stop(sb);
	if (sb->L) {
		sb->unrestricted = 1;
		lua_close(sb->L);
		sb->L = NULL;
	}
	pthread_mutex_destroy(&sb->wd_mu);
}

/* ---- watchdog ---- */

static struct timespec abs_after(double seconds)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	double whole = (double)(long)seconds;
	ts.tv_sec += (time_t)whole;
	ts.tv_nsec += (long)((seconds - whole) * 1e9);
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return ts;
}

/* Waits until `at` or a stop request; returns 1 if stopped. */
static int wd_wait(struct cd_sandbox *sb, struct timespec at)
{
	int stopped;
	pthread_mutex_lock(&sb->wd_mu);
	while (!sb->wd_stop &&
	       pthread_cond_timedwait(&sb->wd_cv, &sb->wd_mu, &at) != ETIMEDOUT)
		;
	stopped = sb->wd_stop;
	pthread_mutex_unlock(&sb->wd_mu);
	return stopped;
}

static void *watchdog(void *arg)
{
	struct cd_sandbox *sb = arg;
	char msg[768], t[32];

	if (wd_wait(sb, abs_after(sb->limits.timeout)))
		return NULL;
	atomic_store(&sb->deadline_hit, 1);
	if (wd_wait(sb, abs_after(1.0)))
		return NULL;
	/* The run did not get back to the interpreter within a grace second:
	 * it is stuck inside a C call (a pathological pattern, say). */
	cd_format_duration(sb->limits.timeout, t, sizeof t);
	int i = atomic_load(&sb->where_idx);
	int json = sb->ctx && sb->ctx->report &&
		   sb->ctx->report->format == CD_FORMAT_JSON;
	if (json)
		snprintf(msg, sizeof msg,
			 "{\"ts\":%.3f,\"phase\":\"recipe\",\"event\":\"error\","
			 "\"code\":\"timeout\",\"op\":\"sandbox\",\"message\":"
			 "\"the run exceeded its --timeout of %s inside a "
			 "long C call\"}\n",
			 cd_wall(), t);
	else
		snprintf(msg, sizeof msg,
			 "error: the run exceeded its --timeout of %s and was "
			 "stuck inside a C call (last recipe line seen: %s) "
			 "[timeout]\n",
			 t, sb->where[i][0] ? sb->where[i] : "unknown");
	ssize_t w = write(STDERR_FILENO, msg, strlen(msg));
	(void)w;
	_exit(4);
	return NULL;
}

int cd_sandbox_watchdog_start(struct cd_sandbox *sb)
{
	pthread_condattr_t ca;
	if (sb->limits.timeout <= 0)
		return 0;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&sb->wd_cv, &ca);
	pthread_condattr_destroy(&ca);
	sb->wd_stop = 0;
	if (pthread_create(&sb->wd, NULL, watchdog, sb) != 0) {
		pthread_cond_destroy(&sb->wd_cv);
		return -1;
	}
	sb->wd_running = 1;
	return 0;
}

void cd_sandbox_watchdog_stop(struct cd_sandbox *sb)
{
	if (!sb->wd_running)
		return;
	pthread_mutex_lock(&sb->wd_mu);
	sb->wd_stop = 1;
	pthread_cond_signal(&sb->wd_cv);
	pthread_mutex_unlock(&sb->wd_mu);
	pthread_join(sb->wd, NULL);
	pthread_cond_destroy(&sb->wd_cv);
	sb->wd_running = 0;
}
