/* The sandboxed `require`: embedded stdlib, then the recipe libraries
 * declared in cdhost.libs (vendored under .cdhost/libs, SPEC section 8: the
 * longest declared prefix wins, its tree hash is checked against cdhost.lock
 * before the first load, and a declared prefix never falls back to project
 * files), then the project root. Module names are dotted (a.b.c); paths,
 * "..", absolute names and C modules are refused. */
#include <ctype.h>
#include <lauxlib.h>
#include <string.h>
#include <unistd.h>

#include "../core/fs.h"
#include "../core/gitlibs.h"
#include "../core/mem.h"
#include "host.h"
#include "lbuf.h"
#include "lerr.h"
#include "lib_cmd.h"
#include "sandbox.h"
#include "stdlib_embed.h"

static const char KEY_LOADED = 0;
static const char LOADING = 0; /* sentinel while a module runs */
static const char KEY_LIBS = 0;    /* declared libraries (from cdhost.libs) */
static const char KEY_CHECKED = 0; /* libraries whose hash was checked */

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

/* Loads dir/NAME.lua or dir/NAME/init.lua ("" dir: the project root; ""
 * name: dir/init.lua) under the project root. */
static int find_file(lua_State *L, const char *dir, const char *name)
{
	struct cd_sandbox *sb = cd_sandbox_get(L);
	static const char *const forms[] = {"%s%s.lua", "%s%s/init.lua"};
	char base[1024], rel[1400], shown[4200];
	struct cd_err err;

	snprintf(base, sizeof base, "%s", name);
	for (char *p = base; *p; p++)
		if (*p == '.')
			*p = '/';
	for (size_t i = 0; i < sizeof forms / sizeof *forms; i++) {
		char *data = NULL;
		size_t len = 0;
		if (!base[0] && i == 0)
			continue;
		snprintf(rel, sizeof rel, forms[i], dir, base);
		if (!base[0])
			snprintf(rel, sizeof rel, "%sinit.lua", dir);
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
		if (cd_fs_read_project(abs, rel, 0, &data, &len, &err) != 0)
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

static int find_root_file(lua_State *L, const char *name)
{
	return find_file(L, "", name);
}

static int eval_libs(lua_State *L)
{
	cd_l_libs_push(L, cd_sandbox_get(L)->ctx->root);
	return 1;
}

/* Pushes the table of declared libraries, evaluating cdhost.libs once (a
 * failed evaluation is tried again by the next require). */
static void push_libs(lua_State *L)
{
	int t = lua_rawgetp(L, LUA_REGISTRYINDEX, &KEY_LIBS);
	if (t == LUA_TTABLE)
		return;
	if (t == LUA_TLIGHTUSERDATA)
		cd_lerr_raise(L, CD_E_INVALID, "require",
			      "cdhost.libs cannot require modules");
	lua_pop(L, 1);
	lua_pushlightuserdata(L, (void *)&LOADING);
	lua_rawsetp(L, LUA_REGISTRYINDEX, &KEY_LIBS);
	lua_pushcfunction(L, eval_libs);
	int st = lua_pcall(L, 0, 1, 0);
	if (st != LUA_OK) {
		lua_pushnil(L);
		lua_rawsetp(L, LUA_REGISTRYINDEX, &KEY_LIBS);
		lua_error(L);
	}
	lua_pushvalue(L, -1);
	lua_rawsetp(L, LUA_REGISTRYINDEX, &KEY_LIBS);
}

/* The longest declared library that is `name` or a dotted prefix of it;
 * pushes nothing, returns its name (borrowed from the libs table at idx)
 * or NULL. */
static const char *match_lib(lua_State *L, int idx, const char *name)
{
	const char *best = NULL;
	size_t best_len = 0;
	lua_pushnil(L);
	while (lua_next(L, idx)) {
		const char *lib = lua_tostring(L, -2);
		size_t n = strlen(lib);
		lua_pop(L, 1);
		if (strncmp(name, lib, n) == 0 && (name[n] == '\0' || name[n] == '.') &&
		    n > best_len) {
			best = lib;
			best_len = n;
		}
	}
	return best;
}

/* Checks the library's tree hash against cdhost.lock (once per run). */
static void check_lib(lua_State *L, const char *lib)
{
	struct cd_sandbox *sb = cd_sandbox_get(L);
	struct cd_libs lock;
	struct cd_err err;
	lua_rawgetp(L, LUA_REGISTRYINDEX, &KEY_CHECKED);
	int checked = lua_gettop(L);
	if (lua_getfield(L, checked, lib) == LUA_TBOOLEAN) {
		lua_pop(L, 2);
		return;
	}
	lua_pop(L, 1);
	int rc = cd_libs_lock_read(sb->ctx->root, &lock, &err);
	if (rc == 0) {
		rc = cd_libs_check(sb->ctx->root, &lock, lib, &err);
		cd_libs_free(&lock);
	} else {
		err.code = CD_E_HASH_MISMATCH;
		cd_err_wrap(&err, "library '%s'", lib);
	}
	if (rc != 0)
		cd_lerr_raise_err(L, &err);
	lua_pushboolean(L, 1);
	lua_setfield(L, checked, lib);
	lua_pop(L, 1);
}

/* Pushes the loader of `name` from a declared library, or returns 0 when
 * no declared library is a prefix of it. Raises when one is but the hash
 * does not match or the module is not in it (no fallback). */
static int find_lib(lua_State *L, const char *name)
{
	char dir[512];
	push_libs(L);
	int libs = lua_gettop(L);
	const char *lib = match_lib(L, libs, name);
	if (!lib) {
		lua_pop(L, 1);
		return 0;
	}
	check_lib(L, lib);
	size_t n = strlen(lib);
	snprintf(dir, sizeof dir, "%s/%s/", CD_LIBS_DIR, lib);
	if (!find_file(L, dir, name[n] ? name + n + 1 : ""))
		return cd_lerr_raise(L, CD_E_NOT_FOUND, "require",
				     "module '%s' not found in library '%s' "
				     "(%s); project files are not searched "
				     "for a declared library",
				     name, lib, dir);
	lua_remove(L, libs);
	return 1;
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
	if (!find_stdlib(L, name) && !find_lib(L, name) &&
	    !find_root_file(L, name))
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
	lua_newtable(L);
	lua_rawsetp(L, LUA_REGISTRYINDEX, &KEY_CHECKED);
	lua_pushcfunction(L, l_require);
	cd_sandbox_set_global(L, "require");
}
