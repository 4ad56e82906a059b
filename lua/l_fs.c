/* cdhost.fs — reads confined to the project root (core/fs.c). */
#include <lauxlib.h>

#include "../core/fs.h"
#include "../core/mem.h"
#include "host.h"
#include "lbuf.h"
#include "lerr.h"
#include "sandbox.h"
#include "value.h"

static const char *root_of(lua_State *L)
{
	return cd_sandbox_get(L)->ctx->root;
}

static int l_read(lua_State *L)
{
	struct cd_err err;
	char *data = NULL;
	size_t len = 0;
	const char *path = cd_lerr_checkname(L, 1, "fs.read");
	/* The box exists before the data, so no raise can leak it. */
	struct cd_lptr *box = cd_lptr_push(L, NULL, cd_free);
	if (cd_fs_read(root_of(L), path, 0, &data, &len, &err) != 0)
		return cd_lerr_raise_err(L, &err);
	box->ptr = data;
	lua_pushlstring(L, data, len);
	cd_lptr_release(box);
	return 1;
}

static int l_exists(lua_State *L)
{
	struct cd_err err;
	int rc = cd_fs_exists(root_of(L), cd_lerr_checkname(L, 1, "fs.exists"),
			      &err);
	if (rc < 0)
		return cd_lerr_raise_err(L, &err);
	lua_pushboolean(L, rc);
	return 1;
}

static void free_list(void *p)
{
	cd_fs_list_free(p);
	cd_free(p);
}

static int l_glob(lua_State *L)
{
	struct cd_err err;
	const char *pattern = cd_lerr_checkname(L, 1, "fs.glob");
	struct cd_lptr *box = cd_lptr_push(L, NULL, free_list);
	struct cd_fs_list *owned = cd_calloc(1, sizeof *owned);
	if (!owned)
		return cd_lerr_raise(L, CD_E_NOMEM, "fs.glob", "out of memory");
	box->ptr = owned;
	if (cd_fs_glob(root_of(L), pattern, owned, &err) != 0)
		return cd_lerr_raise_err(L, &err);
	cd_value_new(L, CD_VALUE_LIST);
	for (size_t i = 0; i < owned->n; i++) {
		lua_pushstring(L, owned->paths[i]);
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
	cd_lptr_release(box);
	return 1;
}

void cd_l_fs_register(lua_State *L, int t)
{
	static const luaL_Reg fns[] = {{"read", l_read},
				       {"exists", l_exists},
				       {"glob", l_glob},
				       {NULL, NULL}};
	luaL_newlib(L, fns);
	lua_setfield(L, t, "fs");
}
