/* cdhost.git.commit — GitOps commits (SPEC sections 3 and 4). Checks the
 * arguments, asks core/mode.c what the mode allows, and calls core/git.c:
 * run/deploy commit and push; render shows the files and message on stderr
 * (writes nothing, no network); build skips and records; diff/delete do
 * nothing. Credentials come from --allow-env variables the recipe names
 * (auth = {username_env=, password_env=, ssh_key_env=}), never from files
 * the recipe chooses. */
#include <lauxlib.h>
#include <stdlib.h>
#include <string.h>

#include "../core/git.h"
#include "../core/mem.h"
#include "host.h"
#include "lbuf.h"
#include "lerr.h"
#include "sandbox.h"

#define OP "git.commit"

static const char *opt_string(lua_State *L, int t, const char *k,
			      const char *def)
{
	int ty = lua_getfield(L, t, k);
	if (ty == LUA_TNIL) {
		lua_pop(L, 1);
		return def;
	}
	if (ty != LUA_TSTRING || strlen(lua_tostring(L, -1)) != lua_rawlen(L, -1))
		cd_lerr_raise(L, CD_E_INVALID, OP, "'%s' must be a string, not %s",
			      k, lua_typename(L, ty));
	const char *s = lua_tostring(L, -1);
	lua_pop(L, 1); /* the table keeps it alive */
	return s;
}

static const char *req_string(lua_State *L, int t, const char *k)
{
	const char *s = opt_string(L, t, k, NULL);
	if (!s || !*s)
		cd_lerr_raise(L, CD_E_INVALID, OP, "'%s' is required", k);
	return s;
}

/* The value of an --allow-env variable the recipe named in auth.<k>. */
static const char *env_of(lua_State *L, int auth, const char *k)
{
	const char *name = opt_string(L, auth, k, NULL);
	struct cd_sandbox *sb = cd_sandbox_get(L);
	if (!name)
		return NULL;
	if (!cd_strlist_has(&sb->ctx->allow_env, name)) {
		char msg[512];
		snprintf(msg, sizeof msg,
			 "auth.%s names environment variable '%s', which is not "
			 "allowed; pass --allow-env %s",
			 k, name, name);
		cd_sandbox_violation(L, OP, msg);
	}
	const char *v = getenv(name);
	if (!v || !*v)
		cd_lerr_raise(L, CD_E_UNAUTHORIZED, OP,
			      "auth.%s: environment variable '%s' is empty", k,
			      name);
	return v;
}

static void read_auth(lua_State *L, int t, struct cd_git_auth *a)
{
	static const char *const known[] = {"username", "username_env",
					    "password_env", "ssh_key_env",
					    "host_key", NULL};
	memset(a, 0, sizeof *a);
	int ty = lua_getfield(L, t, "auth");
	if (ty == LUA_TNIL) {
		lua_pop(L, 1);
		return;
	}
	if (ty != LUA_TTABLE)
		cd_lerr_raise(L, CD_E_INVALID, OP, "'auth' must be a table");
	int auth = lua_gettop(L);
	lua_pushnil(L);
	while (lua_next(L, auth)) {
		int ok = 0;
		for (int i = 0; known[i] && lua_type(L, -2) == LUA_TSTRING; i++)
			ok |= strcmp(known[i], lua_tostring(L, -2)) == 0;
		if (!ok)
			cd_lerr_raise(L, CD_E_INVALID, OP,
				      "auth: unknown field '%s' (passwords and "
				      "keys come from --allow-env variables: "
				      "username_env, password_env, ssh_key_env)",
				      lua_type(L, -2) == LUA_TSTRING
					      ? lua_tostring(L, -2) : "?");
		lua_pop(L, 1);
	}
	a->username = opt_string(L, auth, "username", NULL);
	if (!a->username)
		a->username = env_of(L, auth, "username_env");
	a->password = env_of(L, auth, "password_env");
	a->ssh_key = env_of(L, auth, "ssh_key_env");
	a->host_key = opt_string(L, auth, "host_key", NULL);
	lua_pop(L, 1); /* the args table keeps auth alive */
}

static int cmp_file(const void *a, const void *b)
{
	return strcmp(((const struct cd_git_file *)a)->path,
		      ((const struct cd_git_file *)b)->path);
}

/* files = { [path] = content }: a C array borrowed from the Lua strings
 * (owned by a box on the stack). */
static struct cd_git_file *read_files(lua_State *L, int t, size_t *n)
{
	if (lua_getfield(L, t, "files") != LUA_TTABLE)
		cd_lerr_raise(L, CD_E_INVALID, OP,
			      "'files' must be a table {path = content} "
			      "(e.g. cdhost.manifest.files(objs))");
	int files = lua_gettop(L);
	size_t count = 0, i = 0;
	lua_pushnil(L);
	while (lua_next(L, files)) {
		if (lua_type(L, -2) != LUA_TSTRING || lua_type(L, -1) != LUA_TSTRING)
			cd_lerr_raise(L, CD_E_INVALID, OP,
				      "files: every key must be a path and "
				      "every value a string (got %s = %s)",
				      luaL_typename(L, -2), luaL_typename(L, -1));
		struct cd_err err;
		if (strlen(lua_tostring(L, -2)) != lua_rawlen(L, -2) ||
		    cd_git_check_path(lua_tostring(L, -2), 0, &err) != 0)
			cd_lerr_raise(L, CD_E_INVALID, OP, "files: %s", err.msg);
		count++;
		lua_pop(L, 1);
	}
	struct cd_lptr *box = cd_lptr_push(L, NULL, cd_free);
	struct cd_git_file *v = cd_calloc(count + 1, sizeof *v);
	if (!v)
		cd_lerr_raise(L, CD_E_NOMEM, OP, "out of memory");
	box->ptr = v;
	lua_pushnil(L);
	while (lua_next(L, files)) {
		v[i].path = lua_tostring(L, -2);
		v[i].data = lua_tolstring(L, -1, &v[i].len);
		i++;
		lua_pop(L, 1);
	}
	qsort(v, count, sizeof *v, cmp_file);
	*n = count;
	lua_insert(L, files); /* box under the files table */
	lua_pop(L, 1);        /* the args table keeps files alive */
	return v;
}

static void push_result(lua_State *L, const char *commit, int changed,
			int pushed)
{
	lua_createtable(L, 0, 3);
	if (commit) {
		lua_pushstring(L, commit);
		lua_setfield(L, -2, "commit");
	}
	lua_pushboolean(L, changed);
	lua_setfield(L, -2, "changed");
	lua_pushboolean(L, pushed);
	lua_setfield(L, -2, "pushed");
}

static void plan(lua_State *L, const struct cd_git_commit_opts *o)
{
	struct cd_sandbox *sb = cd_sandbox_get(L);
	char url[512];
	struct cd_buf text = CD_BUF_INIT;
	json_t *files = json_array();
	cd_git_redact(o->repo, url, sizeof url);
	cd_buf_printf(&text, "plan: commit %zu file(s) to %s branch %s",
		      o->nfiles, url, o->branch);
	if (o->base)
		cd_buf_printf(&text, " (created from %s if missing)", o->base);
	cd_buf_printf(&text, " under %s/: \"%s\"", o->path[0] ? o->path : ".",
		      o->message);
	for (size_t i = 0; i < o->nfiles; i++) {
		cd_buf_printf(&text, "\n  %s%s%s (%zu bytes)", o->path,
			      o->path[0] ? "/" : "", o->files[i].path,
			      o->files[i].len);
		json_array_append_new(files, json_pack("{s:s,s:I}", "path",
						       o->files[i].path, "bytes",
						       (json_int_t)o->files[i].len));
	}
	cd_buf_printf(&text, "\n  %s", o->push ? "then push (no force)"
					      : "without pushing");
	json_t *f = json_pack("{s:s,s:s,s:s,s:s,s:o,s:b}", "repo", url, "branch",
			      o->branch, "path", o->path, "message", o->message,
			      "files", files, "push", o->push);
	cd_report_event(sb->ctx->report, "git", "plan", f,
			text.data ? text.data : "plan: git commit");
	json_decref(f);
	cd_buf_free(&text);
}

static int l_commit(lua_State *L)
{
	struct cd_sandbox *sb = cd_sandbox_get(L);
	struct cd_git_commit_opts o = {0};
	struct cd_git_commit_result res;
	struct cd_err err;
	char path[4096];
	luaL_checktype(L, 1, LUA_TTABLE);
	o.repo = req_string(L, 1, "repo");
	o.branch = req_string(L, 1, "branch");
	o.message = req_string(L, 1, "message");
	o.base = opt_string(L, 1, "base", NULL);
	o.author = opt_string(L, 1, "author", NULL);
	snprintf(path, sizeof path, "%s", opt_string(L, 1, "path", ""));
	size_t pl = strlen(path);
	while (pl > 0 && path[pl - 1] == '/')
		path[--pl] = '\0';
	if (strcmp(path, ".") == 0)
		path[0] = '\0';
	if (cd_git_check_path(path, 1, &err) != 0)
		return cd_lerr_raise(L, CD_E_INVALID, OP, "path: %s", err.msg);
	o.path = path;
	int ty = lua_getfield(L, 1, "push");
	o.push = ty == LUA_TNIL ? 1 : lua_toboolean(L, -1);
	if (ty != LUA_TNIL && ty != LUA_TBOOLEAN)
		return cd_lerr_raise(L, CD_E_INVALID, OP, "'push' must be a boolean");
	lua_pop(L, 1);
	o.files = read_files(L, 1, &o.nfiles);
	switch (cd_ctx_effect(sb->ctx, CD_EFFECT_GIT_COMMIT)) {
	case CD_ACT_PLAN:
		plan(L, &o);
		push_result(L, NULL, 0, 0);
		lua_pushboolean(L, 1);
		lua_setfield(L, -2, "planned");
		return 1;
	case CD_ACT_SKIP:
		sb->ctx->stats.skipped++;
		cd_report_log(sb->ctx->report, CD_LOG_INFO, "git",
			      "git.commit to %s skipped in %s mode", o.branch,
			      cd_ctx_mode_desc(sb->ctx));
		push_result(L, NULL, 0, 0);
		return 1;
	case CD_ACT_DO:
		break;
	default:
		push_result(L, NULL, 0, 0);
		return 1;
	}
	if (sb->ctx->offline)
		return cd_lerr_raise(L, CD_E_UNREACHABLE, OP,
				     "--offline: cannot commit to a remote "
				     "repository");
	read_auth(L, 1, &o.auth);
	if (cd_git_commit(&o, &res, &err) != 0)
		return cd_lerr_raise_err(L, &err);
	char tries[64] = "";
	if (res.attempts > 1)
		snprintf(tries, sizeof tries, " after %u attempts (the branch "
					      "moved)", res.attempts);
	cd_report_log(sb->ctx->report, CD_LOG_INFO, "git", "%s %.12s on %s%s%s",
		      res.changed ? "committed" : "unchanged, no commit:",
		      res.commit, o.branch, res.pushed ? " (pushed)" : "", tries);
	push_result(L, res.commit, res.changed, res.pushed);
	return 1;
}

void cd_l_git_register(lua_State *L, int t)
{
	static const luaL_Reg fns[] = {{"commit", l_commit}, {NULL, NULL}};
	t = lua_absindex(L, t);
	if (lua_getfield(L, t, "git") != LUA_TTABLE) {
		lua_pop(L, 1);
		lua_newtable(L);
		lua_pushvalue(L, -1);
		lua_setfield(L, t, "git");
	}
	luaL_setfuncs(L, fns, 0);
	lua_pop(L, 1);
}
