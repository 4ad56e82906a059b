/* cdhost.kube — for now the mode-driven part of kube.apply: render mode
 * prints the manifests (SPEC section 3); build mode skips and records; the
 * cluster client arrives with the Kubernetes capability. */
#include <lauxlib.h>
#include <stdio.h>
#include <string.h>

#include "host.h"
#include "lbuf.h"
#include "lerr.h"
#include "sandbox.h"
#include "value.h"

/* Pushes the object at idx, or a copy of it whose Secret values are masked
 * (SPEC section 9: never in dry-run output unless --show-secrets). */
static void push_printable(lua_State *L, int idx, int show_secrets)
{
	static const char *const secret_fields[] = {"data", "stringData", NULL};
	idx = lua_absindex(L, idx);
	lua_getfield(L, idx, "kind");
	int is_secret = lua_type(L, -1) == LUA_TSTRING &&
			strcmp(lua_tostring(L, -1), "Secret") == 0;
	lua_pop(L, 1);
	if (!is_secret || show_secrets) {
		lua_pushvalue(L, idx);
		return;
	}
	cd_value_new(L, CD_VALUE_MAP);
	int copy = lua_gettop(L);
	lua_pushnil(L);
	while (lua_next(L, idx)) { /* shallow copy */
		lua_pushvalue(L, -2);
		lua_insert(L, -2);
		lua_rawset(L, copy);
	}
	for (int i = 0; secret_fields[i]; i++) {
		if (lua_getfield(L, idx, secret_fields[i]) != LUA_TTABLE) {
			lua_pop(L, 1);
			continue;
		}
		cd_value_new(L, CD_VALUE_MAP);
		lua_pushnil(L);
		while (lua_next(L, -3)) {
			lua_pop(L, 1);
			lua_pushvalue(L, -1);
			lua_pushliteral(L, "(masked; --show-secrets to print)");
			lua_rawset(L, -4);
		}
		lua_setfield(L, copy, secret_fields[i]);
		lua_pop(L, 1);
	}
}

/* The objects argument: a list of objects, or one object (has a kind). */
static int object_count(lua_State *L, int idx)
{
	luaL_checktype(L, idx, LUA_TTABLE);
	lua_getfield(L, idx, "kind");
	int single = !lua_isnil(L, -1);
	lua_pop(L, 1);
	return single ? -1 : (int)luaL_len(L, idx);
}

static void render(lua_State *L, int objs, int n)
{
	struct cd_sandbox *sb = cd_sandbox_get(L);
	struct cd_buf *out = cd_lbuf_push(L);
	struct cd_err err;
	int count = n < 0 ? 1 : n;

	for (int i = 1; i <= count; i++) {
		if (n < 0)
			lua_pushvalue(L, objs);
		else
			lua_geti(L, objs, i);
		if (lua_type(L, -1) != LUA_TTABLE)
			cd_lerr_raise(L, CD_E_INVALID, "kube.apply",
				      "object %d is a %s, not a table", i,
				      luaL_typename(L, -1));
		push_printable(L, -1, sb->ctx->show_secrets);
		if (out->len && cd_buf_puts(out, "---\n") != 0)
			cd_lerr_raise(L, CD_E_NOMEM, "kube.apply", "output too large");
		if (cd_value_to_yaml(L, -1, 0, out, &err) != 0)
			cd_lerr_raise(L, err.code, "kube.apply", "object %d: %s",
				      i, err.msg);
		lua_pop(L, 2);
	}
	if (out->len && fwrite(out->data, 1, out->len, stdout) != out->len)
		cd_lerr_raise(L, CD_E_IO, "kube.apply",
			      "cannot write the manifests to stdout");
	fflush(stdout);
	sb->ctx->stats.rendered += (unsigned)count;
	lua_pop(L, 1);
}

static int l_apply(lua_State *L)
{
	struct cd_sandbox *sb = cd_sandbox_get(L);
	int n = object_count(L, 1);
	enum cd_action act = cd_mode_effect(sb->ctx->mode, CD_EFFECT_KUBE_APPLY);

	switch (act) {
	case CD_ACT_PLAN:
		render(L, 1, n);
		break;
	case CD_ACT_SKIP:
		sb->ctx->stats.skipped++;
		cd_report_log(sb->ctx->report, CD_LOG_INFO, "apply",
			      "kube.apply: %d object(s) not applied in %s mode",
			      n < 0 ? 1 : n, cd_mode_name(sb->ctx->mode));
		break;
	default:
		return cd_lerr_raise(L, CD_E_USAGE, "kube.apply",
				     "applying to a cluster is not implemented "
				     "yet in cdhost %s (use --dry-run / render "
				     "to print the manifests)",
				     CDHOST_VERSION);
	}
	cd_value_new(L, CD_VALUE_MAP);
	lua_pushstring(L, cd_mode_name(sb->ctx->mode));
	lua_setfield(L, -2, "mode");
	lua_pushinteger(L, n < 0 ? 1 : n);
	lua_setfield(L, -2, "count");
	lua_pushboolean(L, 0);
	lua_setfield(L, -2, "applied");
	return 1;
}

void cd_l_kube_register(lua_State *L, int t)
{
	static const luaL_Reg fns[] = {{"apply", l_apply}, {NULL, NULL}};
	luaL_newlib(L, fns);
	lua_setfield(L, t, "kube");
}
