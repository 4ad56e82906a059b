#include "lerr.h"

#include <lauxlib.h>
#include <stdio.h>
#include <string.h>

#include "sandbox.h"

static const char ERR_MT[] = "cdhost.error";

static int err_tostring(lua_State *L)
{
	luaL_Buffer b;
	luaL_buffinit(L, &b);
	lua_getfield(L, 1, "where");
	if (lua_type(L, -1) == LUA_TSTRING && lua_rawlen(L, -1) > 0) {
		luaL_addvalue(&b); /* "file:line:" */
		luaL_addchar(&b, ' ');
	} else {
		lua_pop(L, 1);
	}
	lua_getfield(L, 1, "op");
	if (lua_type(L, -1) == LUA_TSTRING && lua_rawlen(L, -1) > 0) {
		luaL_addvalue(&b);
		luaL_addstring(&b, ": ");
	} else {
		lua_pop(L, 1);
	}
	lua_getfield(L, 1, "message");
	luaL_addvalue(&b);
	luaL_addstring(&b, " [");
	lua_getfield(L, 1, "code");
	luaL_addvalue(&b);
	luaL_addchar(&b, ']');
	luaL_pushresult(&b);
	return 1;
}

void cd_lerr_init(lua_State *L)
{
	luaL_newmetatable(L, ERR_MT);
	lua_pushcfunction(L, err_tostring);
	lua_setfield(L, -2, "__tostring");
	lua_pushliteral(L, "cdhost.error");
	lua_setfield(L, -2, "__metatable");
	lua_pop(L, 1);
}

/* The location of the innermost recipe (file-backed) frame, "file:line:". */
static void push_where(lua_State *L)
{
	lua_Debug ar;
	for (int level = 1; lua_getstack(L, level, &ar); level++) {
		if (!lua_getinfo(L, "Sl", &ar))
			break;
		if (ar.source[0] == '@' && ar.currentline > 0) {
			lua_pushfstring(L, "%s:%d:", ar.short_src,
					ar.currentline);
			return;
		}
	}
	lua_pushliteral(L, "");
}

void cd_lerr_push(lua_State *L, enum cd_code code, const char *op,
		  const char *msg)
{
	lua_createtable(L, 0, 4);
	lua_pushstring(L, cd_code_name(code));
	lua_setfield(L, -2, "code");
	lua_pushstring(L, op ? op : "");
	lua_setfield(L, -2, "op");
	lua_pushstring(L, msg ? msg : "");
	lua_setfield(L, -2, "message");
	push_where(L);
	lua_setfield(L, -2, "where");
	luaL_setmetatable(L, ERR_MT);
}

int cd_lerr_raise_err(lua_State *L, const struct cd_err *err)
{
	if (err->code == CD_E_LIMIT)
		return cd_sandbox_violation(L, err->op, err->msg);
	cd_lerr_push(L, err->code, err->op, err->msg);
	return lua_error(L);
}

int cd_lerr_raise(lua_State *L, enum cd_code code, const char *op,
		  const char *fmt, ...)
{
	struct cd_err e;
	va_list ap;
	va_start(ap, fmt);
	cd_err_vset(&e, code, op, fmt, ap);
	va_end(ap);
	return cd_lerr_raise_err(L, &e);
}

enum cd_code cd_lerr_check(lua_State *L, int idx, const char **op,
			   const char **msg)
{
	enum cd_code code = CD_CODE_COUNT;
	if (lua_type(L, idx) != LUA_TTABLE || !lua_getmetatable(L, idx))
		return CD_CODE_COUNT;
	luaL_getmetatable(L, ERR_MT);
	int same = lua_rawequal(L, -1, -2);
	lua_pop(L, 2);
	if (!same)
		return CD_CODE_COUNT;
	idx = lua_absindex(L, idx);
	lua_getfield(L, idx, "code");
	if (lua_type(L, -1) == LUA_TSTRING)
		code = cd_code_from_name(lua_tostring(L, -1));
	lua_pop(L, 1);
	if (op) {
		lua_getfield(L, idx, "op");
		*op = lua_tostring(L, -1);
		lua_pop(L, 1); /* the string stays alive in the table */
	}
	if (msg) {
		lua_getfield(L, idx, "message");
		*msg = lua_tostring(L, -1);
		lua_pop(L, 1);
	}
	return code;
}

const char *cd_lerr_checkname(lua_State *L, int arg, const char *op)
{
	size_t len;
	const char *s = luaL_checklstring(L, arg, &len);
	if (strlen(s) != len)
		cd_lerr_raise(L, CD_E_INVALID, op,
			      "argument #%d contains a NUL byte", arg);
	return s;
}
