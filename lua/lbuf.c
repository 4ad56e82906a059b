#include "lbuf.h"

#include <lauxlib.h>

static int lbuf_gc(lua_State *L)
{
	struct cd_buf *b = luaL_checkudata(L, 1, "cdhost.buf");
	cd_buf_free(b); /* safe twice: __gc after __close */
	return 0;
}

struct cd_buf *cd_lbuf_push(lua_State *L)
{
	struct cd_buf *b = lua_newuserdatauv(L, sizeof *b, 0);
	*b = (struct cd_buf)CD_BUF_INIT;
	if (luaL_newmetatable(L, "cdhost.buf")) {
		lua_pushcfunction(L, lbuf_gc);
		lua_setfield(L, -2, "__gc");
		lua_pushcfunction(L, lbuf_gc);
		lua_setfield(L, -2, "__close");
		lua_pushliteral(L, "cdhost: protected");
		lua_setfield(L, -2, "__metatable");
	}
	lua_setmetatable(L, -2);
	return b;
}

void cd_lptr_release(struct cd_lptr *box)
{
	if (box && box->ptr) {
		void *p = box->ptr;
		box->ptr = NULL;
		box->free_fn(p);
	}
}

static int lptr_gc(lua_State *L)
{
	cd_lptr_release(luaL_checkudata(L, 1, "cdhost.ptr"));
	return 0;
}

struct cd_lptr *cd_lptr_push(lua_State *L, void *ptr, void (*free_fn)(void *))
{
	struct cd_lptr *box = lua_newuserdatauv(L, sizeof *box, 0);
	box->ptr = NULL;
	box->free_fn = free_fn;
	if (luaL_newmetatable(L, "cdhost.ptr")) {
		lua_pushcfunction(L, lptr_gc);
		lua_setfield(L, -2, "__gc");
		lua_pushcfunction(L, lptr_gc);
		lua_setfield(L, -2, "__close");
		lua_pushliteral(L, "cdhost: protected");
		lua_setfield(L, -2, "__metatable");
	}
	lua_setmetatable(L, -2);
	box->ptr = ptr; /* owned from here on */
	return box;
}
