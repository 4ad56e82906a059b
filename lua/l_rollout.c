/* lua/l_rollout.c — cdhost.rollout.status (core/status.c).
 *
 *   cdhost.rollout.status(obj [, related [, opts]])
 *     -> {status = "Current"|"InProgress"|"Failed"|"Terminating"|
 *                  "NotFound"|"Unknown", reason = "...", message = "..."}
 *   related: {replicasets = {...}, pods = {...}, events = {...}} (optional)
 *   opts:    {now = epoch seconds | "RFC 3339", expected_generation = N,
 *             lb_ingress = bool, kstatus = bool}
 * obj == nil means the object does not exist (NotFound). */
#include <lauxlib.h>
#include <string.h>

#include "../core/status.h"
#include "host.h"
#include "lbuf.h"
#include "lerr.h"
#include "value_jansson.h"

#define OP "rollout.status"

static void decref(void *p)
{
	json_decref(p);
}

/* Converts the value at idx into a json_t owned by a box on the stack. */
static json_t *to_json(lua_State *L, int idx, const char *what)
{
	struct cd_err err;
	json_t *j = NULL;
	idx = lua_absindex(L, idx);
	struct cd_lptr *box = cd_lptr_push(L, NULL, decref);
	if (cd_value_to_jansson(L, idx, &j, &err) != 0)
		cd_lerr_raise(L, CD_E_INVALID, OP, "%s: %s", what, err.msg);
	box->ptr = j;
	return j;
}

static const json_t *related_list(lua_State *L, int rel, const char *name)
{
	const json_t *j;
	if (lua_getfield(L, rel, name) == LUA_TNIL) {
		lua_pop(L, 1);
		return NULL;
	}
	if (!lua_istable(L, -1))
		luaL_error(L, "%s: related.%s must be a list of objects", OP,
			   name);
	j = to_json(L, -1, name);
	lua_remove(L, -2); /* keep the box, drop the table */
	if (!json_is_array(j) && !(json_is_object(j) && json_object_size(j) == 0))
		cd_lerr_raise(L, CD_E_INVALID, OP,
			      "related.%s must be a list of objects", name);
	return json_is_array(j) ? j : NULL;
}

static void read_opts(lua_State *L, int idx, struct cd_status_opts *o)
{
	if (lua_isnoneornil(L, idx))
		return;
	luaL_checktype(L, idx, LUA_TTABLE);
	if (lua_getfield(L, idx, "now") == LUA_TSTRING) {
		o->now = cd_status_parse_time(lua_tostring(L, -1));
		if (o->now < 0)
			cd_lerr_raise(L, CD_E_INVALID, OP,
				      "opts.now: '%s' is not an RFC 3339 time",
				      lua_tostring(L, -1));
	} else if (!lua_isnil(L, -1)) {
		o->now = luaL_checknumber(L, -1);
	}
	if (lua_getfield(L, idx, "expected_generation") != LUA_TNIL)
		o->expected_generation = luaL_checkinteger(L, -1);
	if (lua_getfield(L, idx, "lb_ingress") != LUA_TNIL &&
	    lua_toboolean(L, -1))
		o->flags |= CD_STATUS_LB_INGRESS;
	if (lua_getfield(L, idx, "kstatus") != LUA_TNIL && lua_toboolean(L, -1))
		o->flags |= CD_STATUS_KSTATUS;
	lua_pop(L, 4);
}

static int l_status(lua_State *L)
{
	struct cd_status_opts opts = {0, 0, 0};
	struct cd_status_related rel = {0};
	struct cd_status_result r;
	const json_t *obj = NULL;

	if (!lua_isnoneornil(L, 1) && !lua_istable(L, 1))
		return luaL_typeerror(L, 1, "table (a Kubernetes object) or nil");
	if (!lua_isnoneornil(L, 2))
		luaL_checktype(L, 2, LUA_TTABLE);
	read_opts(L, 3, &opts);
	lua_settop(L, 3);
	if (lua_istable(L, 1))
		obj = to_json(L, 1, "object");
	if (lua_istable(L, 2)) {
		rel.replicasets = related_list(L, 2, "replicasets");
		rel.pods = related_list(L, 2, "pods");
		rel.events = related_list(L, 2, "events");
	}
	cd_status_compute(obj, &rel, &opts, &r);
	lua_createtable(L, 0, 3);
	lua_pushstring(L, cd_status_name(r.status));
	lua_setfield(L, -2, "status");
	lua_pushstring(L, r.reason);
	lua_setfield(L, -2, "reason");
	lua_pushstring(L, r.message);
	lua_setfield(L, -2, "message");
	return 1;
}

void cd_l_rollout_register(lua_State *L, int t)
{
	static const luaL_Reg fns[] = {{"status", l_status}, {NULL, NULL}};
	t = lua_absindex(L, t);
	if (lua_getfield(L, t, "rollout") != LUA_TTABLE) {
		lua_pop(L, 1);
		lua_newtable(L);
		lua_pushvalue(L, -1);
		lua_setfield(L, t, "rollout");
	}
	luaL_setfuncs(L, fns, 0);
	lua_pop(L, 1);
}
