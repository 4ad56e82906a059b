/* The sandboxed `require`: embedded stdlib, then the project root.
 * Module names are dotted (a.b.c); paths, "..", absolute names and C modules
 * are refused. Recipe libraries (.cdhost/libs, SPEC section 8) arrive with
 * the libraries capability. */
#include <ctype.h>
#include <lauxlib.h>
#include <string.h>
#include <unistd.h>

#include "../core/fs.h"
#include "../core/mem.h"
#include "host.h"
#include "lbuf.h"
#include "lerr.h"
#include "sandbox.h"
#include "stdlib_embed.h"

static const char KEY_LOADED = 0;
static const char LOADING = 0; /* sentinel while a module runs */

static const char *const forbidden_modules[] = {
	"io", "os", "debug", "package", "ffi", "jit", NULL};

static void check_name(lua_State *L, const char *name)
{
	size_t n = strlen(name);
	if (strchr(name, '/') || strchr(name, '\\'))
		cd_sandbox_violation(L, "require",
				     "module names are dotted names (a.b.c), "
				     "not paths; files outside the project "
				     "root cannot be required");
	if (n > 200)
		cd_lerr_raise(L, CD_E_INVALID, "require",
			      "module name longer than 200 characters");
	for (int i = 0; forbidden_modules[i]; i++)
		if (strcmp(name, forbidden_modules[i]) == 0)
			cd_sandbox_violation(L, "require",
					     "this standard library is not "
					     "available to recipes (see "
					     "docs/sandbox.md)");
	if (n == 0 || name[0] == '.' || name[n - 1] == '.' || strstr(name, ".."))
		cd_lerr_raise(L, CD_E_INVALID, "require",
			      "invalid module name '%s'", name);
	for (const char *p = name; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("_.-", *p))
			cd_lerr_raise(L, CD_E_INVALID, "require",
				      "invalid module name '%s' (use letters, "
				      "digits, '_', '-' and '.')",
				      name);
}

/* Pushes the loader chunk for `name`, or returns 0 if there is none. */
static int find_stdlib(lua_State *L, const char *name)
{
	char chunk[256];
	for (const struct cd_embedded *e = cd_stdlib; e->module; e++) {
		if (strcmp(e->module, name) != 0)
			continue;
		snprintf(chunk, sizeof chunk, "=%s", e->path);
		if (cd_sandbox_load(L, e->source, e->len, chunk) != LUA_OK)
			lua_error(L);
		return 1;
	}
	return 0;
}

static const char *display_path(const char *abs, char *buf, size_t n)
{
	char cwd[4096];
	if (getcwd(cwd, sizeof cwd)) {
		size_t c = strlen(cwd);
		if (strncmp(abs, cwd, c) == 0 && abs[c] == '/') {
			snprintf(buf, n, "%s", abs + c + 1);
			return buf;
		}
	}
	snprintf(buf, n, "%s", abs);
	return buf;
}

static int find_root_file(lua_State *L, const char *name)
{
	struct cd_sandbox *sb = cd_sandbox_get(L);
	static const char *const forms[] = {"%s.lua", "%s/init.lua"};
	char base[1024], rel[1100], shown[4200];
	struct cd_err err;

	snprintf(base, sizeof base, "%s", name);
	for (char *p = base; *p; p++)
		if (*p == '.')
			*p = '/';
	for (size_t i = 0; i < sizeof forms / sizeof *forms; i++) {
		char *data = NULL;
		size_t len = 0;
		snprintf(rel, sizeof rel, forms[i], base);
		struct cd_lptr *box = cd_lptr_push(L, NULL, cd_free);
		char *abs = NULL;
		if (cd_fs_resolve(sb->ctx->root, rel, &abs, &err) != 0) {
			if (err.code == CD_E_NOT_FOUND) {
				lua_pop(L, 1);
				continue;
			}
			return cd_lerr_raise_err(L, &err);
		}
		box->ptr = abs;
		if (cd_fs_read_path(abs, 0, &data, &len, &err) != 0)
			return cd_lerr_raise_err(L, &err);
		lua_pushfstring(L, "@%s", display_path(abs, shown, sizeof shown));
		struct cd_lptr *dbox = cd_lptr_push(L, data, cd_free);
		int st = cd_sandbox_load(L, data, len, lua_tostring(L, -2));
		cd_lptr_release(dbox);
		cd_lptr_release(box);
		if (st != LUA_OK)
			return cd_lerr_raise(L, CD_E_RECIPE, "require", "%s",
					     lua_tostring(L, -1));
		lua_replace(L, -4); /* chunk over the path box */
		lua_pop(L, 2);
		return 1;
	}
	return 0;
}

static int l_require(lua_State *L)
{
	const char *name = cd_lerr_checkname(L, 1, "require");
	lua_settop(L, 1);
	lua_rawgetp(L, LUA_REGISTRYINDEX, &KEY_LOADED);
	int loaded = lua_gettop(L);
	if (lua_getfield(L, loaded, name) != LUA_TNIL) {
		if (lua_touserdata(L, -1) == &LOADING)
			return cd_lerr_raise(L, CD_E_RECIPE, "require",
					     "circular require of '%s'", name);
		return 1;
	}
	lua_pop(L, 1);
	if (strcmp(name, "cdhost") == 0) {
		lua_getglobal(L, "cdhost");
		return 1;
	}
	check_name(L, name);
	if (!find_stdlib(L, name) && !find_root_file(L, name))
		return cd_lerr_raise(L, CD_E_NOT_FOUND, "require",
				     "module '%s' not found: no stdlib module "
				     "of that name, no %s.lua or %s/init.lua "
				     "under the project root",
				     name, name, name);
	lua_pushlightuserdata(L, (void *)&LOADING);
	lua_setfield(L, loaded, name);
	lua_pushvalue(L, 1);
	if (lua_pcall(L, 1, 1, 0) != LUA_OK) {
		lua_pushnil(L); /* a failed module may be required again */
		lua_setfield(L, loaded, name);
		return lua_error(L);
	}
	if (lua_isnil(L, -1)) {
		lua_pop(L, 1);
		lua_pushboolean(L, 1);
	}
	lua_pushvalue(L, -1);
	lua_setfield(L, loaded, name);
	return 1;
}

void cd_l_require_install(lua_State *L)
{
	lua_newtable(L);
	lua_rawsetp(L, LUA_REGISTRYINDEX, &KEY_LOADED);
	lua_pushcfunction(L, l_require);
	cd_sandbox_set_global(L, "require");
}
