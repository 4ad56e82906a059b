#include "host.h"

#include <lauxlib.h>
#include <string.h>

#include "lerr.h"
#include "parallel.h"
#include "sandbox.h"
#include "value.h"

/* Primitives whose capability has not landed yet: they exist, so recipes and
 * editors see the whole API, and say plainly that they are not there. */
static const struct {
	const char *module, *name, *what;
} planned[] = {
	{NULL, NULL, NULL}, /* none at the moment */
};

int cd_l_unimplemented(lua_State *L)
{
	return cd_lerr_raise(L, CD_E_INVALID, lua_tostring(L, lua_upvalueindex(1)),
			     "not implemented yet in cdhost %s (%s is on the "
			     "roadmap, see docs/roadmap.md)",
			     CDHOST_VERSION,
			     lua_tostring(L, lua_upvalueindex(2)));
}

/* Gets (creating if needed) the module table cdhost[name] at index t. */
static int module_table(lua_State *L, int t, const char *name)
{
	if (lua_getfield(L, t, name) != LUA_TTABLE) {
		lua_pop(L, 1);
		lua_newtable(L);
		lua_pushvalue(L, -1);
		lua_setfield(L, t, name);
	}
	return lua_gettop(L);
}

static void add_planned(lua_State *L, int t)
{
	char op[96];
	for (size_t i = 0; i < sizeof planned / sizeof *planned; i++) {
		if (!planned[i].module)
			continue;
		if (!planned[i].name) {
			snprintf(op, sizeof op, "%s", planned[i].module);
			lua_pushstring(L, op);
			lua_pushstring(L, planned[i].what);
			lua_pushcclosure(L, cd_l_unimplemented, 2);
			lua_setfield(L, t, planned[i].module);
			continue;
		}
		int m = module_table(L, t, planned[i].module);
		if (lua_getfield(L, m, planned[i].name) == LUA_TNIL) {
			snprintf(op, sizeof op, "%s.%s", planned[i].module,
				 planned[i].name);
			lua_pushstring(L, op);
			lua_pushstring(L, planned[i].what);
			lua_pushcclosure(L, cd_l_unimplemented, 2);
			lua_setfield(L, m, planned[i].name);
		}
		lua_pop(L, 2);
	}
}

static int l_env(lua_State *L)
{
	struct cd_sandbox *sb = cd_sandbox_get(L);
	const char *name = cd_lerr_checkname(L, 1, "env");
	if (!cd_strlist_has(&sb->ctx->allow_env, name)) {
		char msg[512];
		snprintf(msg, sizeof msg,
			 "environment variable '%s' is not allowed; pass "
			 "--allow-env %s to let the recipe read it",
			 name, name);
		return cd_sandbox_violation(L, "env", msg);
	}
	const char *v = getenv(name);
	if (v)
		lua_pushstring(L, v);
	else
		lua_pushnil(L);
	return 1;
}

/* Replaces every table-valued field of the table at t that is a module
 * (not data such as args) by its read-only proxy, then the table itself. */
static void protect_modules(lua_State *L, int t)
{
	static const char *const data_fields[] = {"args", NULL};
	lua_pushnil(L);
	while (lua_next(L, t)) {
		int is_data = 0;
		if (lua_type(L, -2) == LUA_TSTRING)
			for (int i = 0; data_fields[i]; i++)
				is_data |= strcmp(lua_tostring(L, -2),
						  data_fields[i]) == 0;
		if (lua_type(L, -1) == LUA_TTABLE && !is_data) {
			char name[64];
			snprintf(name, sizeof name, "cdhost.%s",
				 lua_tostring(L, -2));
			cd_sandbox_protect(L, name);
			lua_pushvalue(L, -2);
			lua_insert(L, -2);
			lua_rawset(L, t); /* replacing an existing key is safe */
		} else {
			lua_pop(L, 1);
		}
	}
}

int cd_host_open(lua_State *L)
{
	struct cd_sandbox *sb = cd_sandbox_get(L);
	struct cd_ctx *ctx = sb->ctx;

	cd_value_init(L);
	lua_newtable(L);
	int t = lua_gettop(L);
	lua_pushstring(L, cd_mode_name(ctx->mode));
	lua_setfield(L, t, "mode");
	lua_pushboolean(L, ctx->dry_run);
	lua_setfield(L, t, "dry_run");
	lua_pushstring(L, CDHOST_VERSION);
	lua_setfield(L, t, "version");
	lua_pushcfunction(L, l_env);
	lua_setfield(L, t, "env");
	cd_l_args_push(L, ctx);
	lua_setfield(L, t, "args");
	cd_value_register(L, t);
	cd_l_fs_register(L, t);
	cd_l_log_register(L, t);
	cd_l_kube_register(L, t);
	cd_l_registry_register(L, t);
	cd_l_image_register(L, t);
	cd_l_rollout_register(L, t);
	cd_l_manifest_register(L, t);
	cd_l_git_register(L, t);
	cd_l_parallel_register(L, t);
	add_planned(L, t);
	protect_modules(L, t);
	cd_sandbox_protect(L, "cdhost");
	cd_sandbox_set_global(L, "cdhost");
	cd_l_require_install(L);
	return 0;
}
