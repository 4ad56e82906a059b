/* cdhost.libs evaluation and the `lib` command (SPEC section 8). The
 * declarations are a Lua chunk run in the same sandbox as recipes (fresh
 * environment, limits on); everything that touches git and the project's
 * files is in core/gitlibs.c. */
#include "lib_cmd.h"

#include <errno.h>
#include <lauxlib.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../core/fs.h"
#include "../core/git.h"
#include "../core/mem.h"
#include "lbuf.h"
#include "lerr.h"
#include "sandbox.h"

#define LIBS_FILE "cdhost.libs"

/* Copies field k of the entry at idx (a string, or nil if optional). */
static void copy_field(lua_State *L, int idx, int out, const char *name,
		       const char *k, int required)
{
	int t = lua_getfield(L, idx, k);
	if (t == LUA_TNIL && !required) {
		lua_pop(L, 1);
		return;
	}
	if (t != LUA_TSTRING || lua_rawlen(L, -1) == 0 ||
	    strlen(lua_tostring(L, -1)) != lua_rawlen(L, -1))
		cd_lerr_raise(L, CD_E_INVALID, "lib",
			      "%s: library '%s': '%s' must be a non-empty "
			      "string, not %s",
			      LIBS_FILE, name, k, t == LUA_TSTRING ? "an empty one"
							    : lua_typename(L, t));
	lua_setfield(L, out, k);
}

static void check_entry(lua_State *L, const char *name, int idx, int out)
{
	static const char *const known[] = {"git", "ref", "path", NULL};
	if (!cd_libs_name_valid(name))
		cd_lerr_raise(L, CD_E_INVALID, "lib",
			      "%s: '%s' is not a valid library name (dotted "
			      "module prefix: letters, digits, '_', '-', '.')",
			      LIBS_FILE, name);
	if (!lua_istable(L, idx))
		cd_lerr_raise(L, CD_E_INVALID, "lib",
			      "%s: library '%s' must be a table {git=, ref=, "
			      "path=}, not %s",
			      LIBS_FILE, name, luaL_typename(L, idx));
	lua_pushnil(L);
	while (lua_next(L, idx)) {
		int ok = 0;
		for (int i = 0; known[i] && lua_type(L, -2) == LUA_TSTRING; i++)
			ok |= strcmp(lua_tostring(L, -2), known[i]) == 0;
		if (!ok)
			cd_lerr_raise(L, CD_E_INVALID, "lib",
				      "%s: library '%s': unknown field '%s' "
				      "(expected git, ref, path)",
				      LIBS_FILE, name,
				      lua_type(L, -2) == LUA_TSTRING
					      ? lua_tostring(L, -2)
					      : luaL_typename(L, -2));
		lua_pop(L, 1);
	}
	lua_newtable(L);
	copy_field(L, idx, lua_gettop(L), name, "git", 1);
	copy_field(L, idx, lua_gettop(L), name, "ref", 1);
	copy_field(L, idx, lua_gettop(L), name, "path", 0);
	if (lua_getfield(L, -1, "path") == LUA_TSTRING) {
		struct cd_err err;
		const char *p = lua_tostring(L, -1);
		if (p[0] == '/' || strstr(p, "..") || strstr(p, "//"))
			cd_lerr_raise(L, CD_E_INVALID, "lib",
				      "%s: library '%s': path '%s' must be a "
				      "relative directory inside the repository",
				      LIBS_FILE, name, p);
		(void)err;
	}
	lua_pop(L, 1);
	lua_setfield(L, out, name);
}

void cd_l_libs_push(lua_State *L, const char *root)
{
	char path[PATH_MAX + 32];
	struct cd_err err;
	char *src = NULL;
	size_t len = 0;
	snprintf(path, sizeof path, "%s/%s", root, LIBS_FILE);
	lua_newtable(L);
	int out = lua_gettop(L);
	if (access(path, F_OK) != 0)
		return;
	struct cd_lptr *box = cd_lptr_push(L, NULL, cd_free);
	if (cd_fs_read_path(path, 1 << 20, &src, &len, &err) != 0)
		cd_lerr_raise_err(L, &err);
	box->ptr = src;
	if (cd_sandbox_load(L, src, len, "@" LIBS_FILE) != LUA_OK)
		cd_lerr_raise(L, CD_E_INVALID, "lib", "%s", lua_tostring(L, -1));
	cd_lptr_release(box);
	lua_call(L, 0, 1);
	int t = lua_gettop(L);
	if (lua_isnil(L, t))
		goto done;
	if (!lua_istable(L, t))
		cd_lerr_raise(L, CD_E_INVALID, "lib",
			      "%s must return a table of libraries, not %s",
			      LIBS_FILE, luaL_typename(L, t));
	lua_pushnil(L);
	while (lua_next(L, t)) {
		if (lua_type(L, -2) != LUA_TSTRING)
			cd_lerr_raise(L, CD_E_INVALID, "lib",
				      "%s: library names must be strings, not "
				      "%s",
				      LIBS_FILE, luaL_typename(L, -2));
		check_entry(L, lua_tostring(L, -2), lua_gettop(L), out);
		lua_pop(L, 1);
	}
done:
	lua_settop(L, out);
}

static int cmp_lib(const void *a, const void *b)
{
	return strcmp(((const struct cd_lib *)a)->name,
		      ((const struct cd_lib *)b)->name);
}

int cd_l_libs_to_c(lua_State *L, int idx, struct cd_libs *out)
{
	idx = lua_absindex(L, idx);
	memset(out, 0, sizeof *out);
	lua_pushnil(L);
	while (lua_next(L, idx)) {
		struct cd_lib l = {0};
		l.name = (char *)lua_tostring(L, -2);
		lua_getfield(L, -1, "git");
		lua_getfield(L, -2, "ref");
		lua_getfield(L, -3, "path");
		l.git = (char *)lua_tostring(L, -3);
		l.ref = (char *)lua_tostring(L, -2);
		l.path = (char *)lua_tostring(L, -1);
		int rc = cd_libs_add(out, &l);
		lua_pop(L, 4);
		if (rc != 0) {
			lua_pop(L, 1);
			cd_libs_free(out);
			return -1;
		}
	}
	if (out->n)
		qsort(out->v, out->n, sizeof *out->v, cmp_lib);
	return 0;
}

/* ---- the command ---- */

struct job {
	const char *root, *verb, *name;
	struct cd_report *rep;
	struct cd_err err;
	int failed, dry_run;
};

static int run_job(lua_State *L)
{
	struct job *j = lua_touserdata(L, 1);
	struct cd_libs decl;
	cd_l_libs_push(L, j->root);
	if (cd_l_libs_to_c(L, -1, &decl) != 0)
		return cd_lerr_raise(L, CD_E_NOMEM, "lib", "out of memory");
	int rc;
	if (strcmp(j->verb, "sync") == 0)
		rc = cd_libs_sync(j->root, &decl, 0, j->dry_run, NULL, j->rep,
				  &j->err);
	else if (strcmp(j->verb, "update") == 0)
		rc = cd_libs_sync(j->root, &decl, 1, j->dry_run, j->name, j->rep,
				  &j->err);
	else if (strcmp(j->verb, "verify") == 0)
		rc = cd_libs_verify(j->root, &decl, j->rep, &j->err);
	else
		rc = cd_libs_list(j->root, &decl, stdout, &j->err);
	j->failed = rc != 0;
	if (rc == 0 && decl.n == 0 && strcmp(j->verb, "list") != 0)
		cd_report_log(j->rep, CD_LOG_INFO, "git",
			      "lib: %s declares no libraries", LIBS_FILE);
	cd_libs_free(&decl);
	return 0;
}

/* The project root for `lib`, found as for recipes: the nearest directory
 * from the current one upwards that holds cdhost.libs or .git; it must
 * hold cdhost.libs. */
static char *find_root(void)
{
	char dir[PATH_MAX], probe[PATH_MAX + 32];
	if (!realpath(".", dir))
		return NULL;
	for (;;) {
		snprintf(probe, sizeof probe, "%s/%s", dir, LIBS_FILE);
		if (access(probe, F_OK) == 0)
			return cd_strdup(dir[0] ? dir : "/");
		snprintf(probe, sizeof probe, "%s/.git", dir);
		if (access(probe, F_OK) == 0)
			return NULL;
		char *slash = strrchr(dir, '/');
		if (!slash || !dir[0] || (slash == dir && !dir[1]))
			return NULL;
		if (slash == dir)
			slash[1] = '\0';
		else
			*slash = '\0';
	}
}

/* The error that ends `lib`: an error event with --output json, else
 * "PREFIX: MESSAGE [CODE]". Returns the exit code. */
static int lib_failed(struct cd_report *rep, const char *prefix,
		      enum cd_code code, const char *op, const char *msg,
		      int exit_code)
{
	char text[1400];
	snprintf(text, sizeof text, "%s: %s [%s]", prefix, msg, cd_code_name(code));
	cd_report_error(rep, "git", cd_code_name(code), op, msg, "", exit_code,
			NULL, text);
	return exit_code;
}

int cd_lib_cmd(struct cd_cli *cli)
{
	static const char *const verbs[] = {"sync", "update", "verify", "list",
					    NULL};
	struct cd_sandbox sb;
	struct cd_report rep;
	struct job j = {.rep = &rep};
	char prefix[64], msg[400];
	int ok = 0, rc;
	cd_report_init(&rep, stderr, cli->json ? CD_FORMAT_JSON : CD_FORMAT_TEXT,
		       cli->verbosity, cli->no_color);
	if (cli->nrest < 1)
		goto usage;
	for (int i = 0; verbs[i]; i++)
		ok |= strcmp(cli->rest[0], verbs[i]) == 0;
	if (!ok || cli->nrest > (strcmp(cli->rest[0], "update") == 0 ? 2 : 1))
		goto usage;
	j.verb = cli->rest[0];
	j.dry_run = cli->dry_run;
	j.name = cli->nrest > 1 ? cli->rest[1] : NULL;
	char *root = find_root();
	if (!root) {
		snprintf(msg, sizeof msg,
			 "no %s in this directory or a parent up to the "
			 "repository's root (create one: return { "
			 "[\"acme.deploy\"] = { git = URL, ref = \"v1\" } })",
			 LIBS_FILE);
		return lib_failed(&rep, "cdhost", CD_E_USAGE, "lib", msg, 2);
	}
	cli->ctx.report = &rep;
	cli->ctx.root = root;
	cli->ctx.mode = CD_MODE_RUN;
	j.root = root;
	cd_git_set_offline(cli->ctx.offline);
	if (cd_sandbox_init(&sb, &cli->limits, &cli->ctx) != 0) {
		cd_free(root);
		return 5;
	}
	/* cdhost.libs is project code: --timeout holds inside its C calls
	 * too, as for recipes. */
	cd_sandbox_watchdog_start(&sb);
	lua_pushcfunction(sb.L, run_job);
	lua_pushlightuserdata(sb.L, &j);
	rc = lua_pcall(sb.L, 1, 0, 0);
	cd_sandbox_watchdog_stop(&sb);
	snprintf(prefix, sizeof prefix, "cdhost lib %s", j.verb);
	if (rc != LUA_OK) {
		const char *op = NULL, *emsg;
		enum cd_code code = cd_lerr_check(sb.L, -1, &op, &emsg);
		if (code == CD_CODE_COUNT)
			emsg = lua_tostring(sb.L, -1);
		rc = cd_sandbox_exit_code(&sb);
		rc = rc ? rc : code == CD_CODE_COUNT ? 1 : cd_code_exit(code);
		lib_failed(&rep, prefix, code == CD_CODE_COUNT ? CD_E_RECIPE : code,
			   op, emsg ? emsg : "error object is not a string", rc);
	} else if (j.failed) {
		rc = lib_failed(&rep, prefix, j.err.code, j.err.op, j.err.msg,
				cd_code_exit(j.err.code));
	}
	cd_sandbox_close(&sb);
	cd_free(root);
	return rc;
usage:
	return lib_failed(&rep, "cdhost", CD_E_USAGE, "lib",
			  "usage: cdhost lib sync|update [NAME]|verify|list", 2);
}
