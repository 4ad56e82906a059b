/* cdhost.log and cdhost.args. */
#include <lauxlib.h>
#include <string.h>

#include "host.h"
#include "lerr.h"
#include "sandbox.h"

static int log_at(lua_State *L, enum cd_level level)
{
	struct cd_sandbox *sb = cd_sandbox_get(L);
	luaL_Buffer b;
	int n = lua_gettop(L);
	luaL_buffinit(L, &b);
	for (int i = 1; i <= n; i++) {
		if (i > 1)
			luaL_addchar(&b, '\t');
		luaL_tolstring(L, i, NULL);
		luaL_addvalue(&b);
	}
	luaL_pushresult(&b);
	cd_report_log(sb->ctx->report, level, "recipe", "%s",
		      lua_tostring(L, -1));
	return 0;
}

static int l_debug(lua_State *L) { return log_at(L, CD_LOG_DEBUG); }
static int l_info(lua_State *L) { return log_at(L, CD_LOG_INFO); }
static int l_warn(lua_State *L) { return log_at(L, CD_LOG_WARN); }
static int l_error(lua_State *L) { return log_at(L, CD_LOG_ERROR); }

void cd_l_log_register(lua_State *L, int t)
{
	static const luaL_Reg fns[] = {{"debug", l_debug}, {"info", l_info},
				       {"warn", l_warn},   {"error", l_error},
				       {NULL, NULL}};
	luaL_newlib(L, fns);
	lua_setfield(L, t, "log");
	/* SPEC section 2: recipe `print` is cdhost.log.info (stderr). */
	lua_pushcfunction(L, l_info);
	cd_sandbox_set_global(L, "print");
}

/* Sets path "a.b.c" = value in the table at t, creating tables on the way.
 * A key that is both a value and a table is a usage error. */
static void set_dotted(lua_State *L, int t, const char *kv)
{
	const char *eq = strchr(kv, '=');
	if (!eq || eq == kv)
		cd_lerr_raise(L, CD_E_USAGE, "--set",
			      "expected key=value, got '%s'", kv);
	lua_pushvalue(L, t);
	const char *k = kv;
	for (;;) {
		const char *dot = memchr(k, '.', (size_t)(eq - k));
		size_t n = dot ? (size_t)(dot - k) : (size_t)(eq - k);
		if (n == 0)
			cd_lerr_raise(L, CD_E_USAGE, "--set",
				      "empty key segment in '%s'", kv);
		lua_pushlstring(L, k, n);
		if (!dot) {
			if (lua_rawget(L, -2) == LUA_TTABLE)
				cd_lerr_raise(L, CD_E_USAGE, "--set",
					      "'%.*s' is set both as a value "
					      "and as a table",
					      (int)(eq - kv), kv);
			lua_pop(L, 1);
			lua_pushlstring(L, k, n);
			lua_pushstring(L, eq + 1);
			lua_rawset(L, -3);
			lua_pop(L, 1);
			return;
		}
		int type = lua_rawget(L, -2);
		if (type == LUA_TNIL) {
			lua_pop(L, 1);
			lua_newtable(L);
			lua_pushlstring(L, k, n);
			lua_pushvalue(L, -2);
			lua_rawset(L, -4);
		} else if (type != LUA_TTABLE) {
			cd_lerr_raise(L, CD_E_USAGE, "--set",
				      "'%.*s' is set both as a value and as "
				      "a table",
				      (int)(dot - kv), kv);
		}
		lua_remove(L, -2);
		k = dot + 1;
	}
}

void cd_l_args_push(lua_State *L, const struct cd_ctx *ctx)
{
	lua_newtable(L);
	int t = lua_gettop(L);
	for (size_t i = 0; i < ctx->sets.n; i++)
		set_dotted(L, t, ctx->sets.v[i]);
}
