/* cdhost.manifest, cdhost.helm, cdhost.kustomize (SPEC sections 4-5).
 *
 * The public functions are Lua (stdlib/cdhost/manifest.lua); this file
 * gives that module its private primitives — confined loading with ${NAME}
 * substitution and source records (core/manifest.c, core/fs.c, value.h),
 * validation, the built-in kind table, and running helm/kustomize/kubectl
 * (core/proc.c) — and runs it once per state. Recipes never see the
 * private table, so they cannot start programs of their own. */
#include <errno.h>
#include <fcntl.h>
#include <lauxlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../core/fs.h"
#include "../core/manifest.h"
#include "../core/mem.h"
#include "../core/proc.h"
#include "../core/tag.h"
#include "../core/util.h"
#include "host.h"
#include "l_kube_cluster.h"
#include "lbuf.h"
#include "lerr.h"
#include "sandbox.h"
#include "stdlib_embed.h"
#include "value.h"

#define MODULE "cdhost.manifest"
/* A helper program gets this long when the run has no --timeout. */
#define PROC_DEFAULT_SECONDS 300.0

static struct cd_ctx *ctx_of(lua_State *L)
{
	return cd_sandbox_get(L)->ctx;
}

/* ---- source records ---- */

/* Pushes "file:line (document N)" for a loaded table, the template for a
 * rendered one, or nil. */
static int l_where(lua_State *L)
{
	const char *file;
	int doc, line;
	if (cd_value_source(L, 1, &file, &doc, &line) != 0)
		lua_pushnil(L);
	else if (line == 0)
		lua_pushstring(L, file);
	else
		lua_pushfstring(L, "%s:%d (document %d)", file, line, doc);
	return 1;
}

/* ---- validation ---- */

static int string_field(lua_State *L, int t, const char *k)
{
	int ok = lua_getfield(L, t, k) == LUA_TSTRING && lua_rawlen(L, -1);
	lua_pop(L, 1);
	return ok;
}

/* The object at idx (document `doc` of `name`) has apiVersion, kind and a
 * name; raises an invalid error from op naming where it came from. */
static void check_object(lua_State *L, int idx, const char *name, int doc,
			 const char *op)
{
	static const char *const required[] = {"apiVersion", "kind", NULL};
	const char *file = name;
	int line = 0, d = doc;
	idx = lua_absindex(L, idx);
	cd_value_source(L, idx, &file, &d, &line);
	if (cd_value_kind(L, idx) != CD_VALUE_MAP)
		cd_lerr_raise(L, CD_E_INVALID, op,
			      "%s: document %d is a %s, not an object", name,
			      doc, luaL_typename(L, idx));
	for (int i = 0; required[i]; i++)
		if (!string_field(L, idx, required[i]))
			cd_lerr_raise(L, CD_E_INVALID, op,
				      "%s:%d: document %d has no %s", file,
				      line, d, required[i]);
	int named = lua_getfield(L, idx, "metadata") == LUA_TTABLE &&
		    (string_field(L, -1, "name") ||
		     string_field(L, -1, "generateName"));
	lua_pop(L, 1);
	if (!named)
		cd_lerr_raise(L, CD_E_INVALID, op,
			      "%s:%d: document %d has no metadata.name", file,
			      line, d);
}

static int is_list_kind(lua_State *L, int idx)
{
	int list = lua_getfield(L, idx, "kind") == LUA_TSTRING &&
		   strcmp(lua_tostring(L, -1), "List") == 0;
	int items = lua_getfield(L, idx, "items") == LUA_TTABLE;
	lua_pop(L, 2);
	return list && items;
}

/* Appends the object at idx to the list at out (a List's items each),
 * validated. */
static void append_object(lua_State *L, int out, int idx, const char *name,
			  int doc, const char *op)
{
	idx = lua_absindex(L, idx);
	if (cd_value_kind(L, idx) == CD_VALUE_MAP && is_list_kind(L, idx)) {
		lua_getfield(L, idx, "items");
		int items = lua_gettop(L);
		lua_Integer n = (lua_Integer)lua_rawlen(L, items);
		for (lua_Integer i = 1; i <= n; i++) {
			lua_rawgeti(L, items, i);
			append_object(L, out, -1, name, doc, op);
			lua_pop(L, 1);
		}
		lua_pop(L, 1);
		return;
	}
	check_object(L, idx, name, doc, op);
	lua_pushvalue(L, idx);
	lua_rawseti(L, out, (lua_Integer)lua_rawlen(L, out) + 1);
}

static int is_json_name(const char *name)
{
	size_t n = strlen(name);
	return n >= 5 && strcmp(name + n - 5, ".json") == 0;
}

/* Decodes text (YAML, or JSON for *.json names and "json" kind) and
 * appends its validated objects to the list at out; errors are op's. */
static void decode_into(lua_State *L, int out, const char *s, size_t n,
			const char *name, int json, const char *op)
{
	struct cd_err err;
	int rc = json ? cd_value_push_json(L, s, n, name, &err)
		      : cd_value_push_yaml(L, s, n, name, &err);
	if (rc != 0)
		cd_lerr_raise(L, err.code, op, "%s", err.msg);
	int docs = lua_gettop(L);
	if (json && cd_value_kind(L, docs) != CD_VALUE_LIST) {
		append_object(L, out, docs, name, 1, op);
	} else {
		lua_Integer count = (lua_Integer)lua_rawlen(L, docs);
		for (lua_Integer i = 1; i <= count; i++) {
			lua_rawgeti(L, docs, i);
			append_object(L, out, -1, name, (int)i, op);
			lua_pop(L, 1);
		}
	}
	lua_pop(L, 1);
}

/* ---- ${NAME} substitution ---- */

struct vars {
	lua_State *L;
	int table;
};

static int lookup_var(void *ud, const char *name, size_t n, struct cd_buf *out)
{
	struct vars *v = ud;
	lua_pushlstring(v->L, name, n);
	if (lua_rawget(v->L, v->table) != LUA_TSTRING) {
		lua_pop(v->L, 1);
		return 1;
	}
	size_t len;
	const char *s = lua_tolstring(v->L, -1, &len);
	int rc = cd_buf_append(out, s, len);
	lua_pop(v->L, 1);
	return rc;
}

/* Reads one file (relative to the root) and appends its objects. */
static void load_file(lua_State *L, int out, const char *rel, int vars)
{
	struct cd_err err;
	char *data = NULL;
	size_t len = 0;
	struct cd_lptr *box = cd_lptr_push(L, NULL, cd_free);
	if (cd_fs_read(ctx_of(L)->root, rel, 0, &data, &len, &err) != 0)
		cd_lerr_raise_err(L, &err);
	box->ptr = data;
	if (vars) {
		struct vars v = {L, vars};
		struct cd_buf *b = cd_lbuf_push(L);
		if (cd_manifest_subst(data, len, rel, lookup_var, &v, b,
				      &err) != 0)
			cd_lerr_raise_err(L, &err);
		cd_lptr_release(box);
		decode_into(L, out, b->data ? b->data : "", b->len, rel,
			    is_json_name(rel), "manifest.load");
		cd_buf_free(b);
		lua_pop(L, 1);
	} else {
		decode_into(L, out, data, len, rel, is_json_name(rel),
			    "manifest.load");
	}
	lua_pop(L, 1);
}

static void free_list(void *p)
{
	cd_fs_list_free(p);
	cd_free(p);
}

/* Globs one pattern; pushes the box owning the matches and returns them. */
static struct cd_fs_list *glob(lua_State *L, const char *pattern)
{
	struct cd_err err;
	struct cd_lptr *box = cd_lptr_push(L, NULL, free_list);
	struct cd_fs_list *l = cd_calloc(1, sizeof *l);
	if (!l)
		cd_lerr_raise(L, CD_E_NOMEM, "manifest.load", "out of memory");
	box->ptr = l;
	if (cd_fs_glob(ctx_of(L)->root, pattern, l, &err) != 0)
		cd_lerr_raise_err(L, &err);
	if (l->n == 0)
		cd_lerr_raise(L, CD_E_NOT_FOUND, "manifest.load",
			      "no file matches '%s' (paths are relative to "
			      "the project root %s)",
			      pattern, ctx_of(L)->root);
	return l;
}

/* C.load(patterns, vars|nil): the validated objects of every file the
 * patterns match, in pattern order then path order; a file matched twice
 * is read once. */
static int l_load(lua_State *L)
{
	luaL_checktype(L, 1, LUA_TTABLE);
	int vars = lua_istable(L, 2) ? 2 : 0;
	lua_settop(L, 2);
	lua_newtable(L); /* plain: the stdlib gives it the list type */
	int out = lua_gettop(L);
	lua_newtable(L);
	int seen = lua_gettop(L);
	lua_Integer n = (lua_Integer)lua_rawlen(L, 1);
	for (lua_Integer i = 1; i <= n; i++) {
		lua_rawgeti(L, 1, i);
		struct cd_fs_list *l = glob(L, lua_tostring(L, -1));
		for (size_t j = 0; j < l->n; j++) {
			if (lua_getfield(L, seen, l->paths[j]) != LUA_TNIL) {
				lua_pop(L, 1);
				continue;
			}
			lua_pop(L, 1);
			lua_pushboolean(L, 1);
			lua_setfield(L, seen, l->paths[j]);
			load_file(L, out, l->paths[j], vars);
		}
		lua_pop(L, 2);
	}
	lua_settop(L, out);
	return 1;
}

/* C.parse(text, name, json, rendered, op): the validated objects of one
 * text; with `rendered` (a template's name) their source is that name,
 * without a position (a line of a tool's output means nothing to the
 * user). Errors are op's (default manifest.parse): the caller's. */
static int l_parse(lua_State *L)
{
	size_t n;
	const char *s = luaL_checklstring(L, 1, &n);
	const char *name = luaL_checkstring(L, 2);
	int json = lua_toboolean(L, 3);
	const char *rendered = luaL_optstring(L, 4, NULL);
	const char *op = luaL_optstring(L, 5, "manifest.parse");
	lua_newtable(L);
	int out = lua_gettop(L);
	decode_into(L, out, s, n, name, json, op);
	lua_Integer count = rendered ? (lua_Integer)lua_rawlen(L, out) : 0;
	for (lua_Integer i = 1; i <= count; i++) {
		lua_rawgeti(L, out, i);
		cd_value_set_source(L, -1, rendered, 1, 0);
		lua_pop(L, 1);
	}
	return 1;
}

/* ---- paths ---- */

/* C.path(rel, what): the absolute path of rel inside the root; raises
 * not_found naming `what` when it does not exist. */
static int l_path(lua_State *L)
{
	struct cd_err err;
	const char *rel = cd_lerr_checkname(L, 1, "manifest");
	const char *what = luaL_checkstring(L, 2);
	const char *op = luaL_optstring(L, 3, "manifest");
	char *abs = NULL;
	int rc = cd_fs_exists(ctx_of(L)->root, rel, &err);
	if (rc < 0)
		return cd_lerr_raise_err(L, &err);
	if (rc == 0)
		return cd_lerr_raise(L, CD_E_NOT_FOUND, op,
				     "%s '%s' not found (paths are relative to "
				     "the project root %s)",
				     what, rel, ctx_of(L)->root);
	struct cd_lptr *box = cd_lptr_push(L, NULL, cd_free);
	if (cd_fs_resolve(ctx_of(L)->root, rel, &abs, &err) != 0)
		return cd_lerr_raise_err(L, &err);
	box->ptr = abs;
	lua_pushstring(L, abs);
	cd_lptr_release(box);
	return 1;
}

/* ---- helper programs ---- */

static const char *const tools[] = {"helm", "kustomize", "kubectl", NULL};

static const char *check_tool(lua_State *L, int arg)
{
	const char *tool = luaL_checkstring(L, arg);
	for (int i = 0; tools[i]; i++)
		if (strcmp(tools[i], tool) == 0)
			return tool;
	luaL_argerror(L, arg, "not an allowed helper program");
	return NULL;
}

/* C.found(tool) */
static int l_found(lua_State *L)
{
	lua_pushboolean(L, cd_proc_found(check_tool(L, 1)));
	return 1;
}

/* A values file: written 0600 under $XDG_CACHE_HOME/cdhost (or /tmp),
 * removed when its box is collected or closed. */
struct tmpfile {
	char path[4096];
};

static void tmp_remove(void *p)
{
	struct tmpfile *t = p;
	unlink(t->path);
	cd_free(t);
}

static int tmp_dir(char *dir, size_t n)
{
	const char *xdg = getenv("XDG_CACHE_HOME");
	const char *home = getenv("HOME");
	struct stat st;
	if (xdg && *xdg)
		snprintf(dir, n, "%s", xdg);
	else if (home && *home)
		snprintf(dir, n, "%s/.cache", home);
	else
		return snprintf(dir, n, "/tmp"), 0;
	mkdir(dir, 0700);
	strncat(dir, "/cdhost", n - strlen(dir) - 1);
	mkdir(dir, 0700);
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode) ||
	    access(dir, W_OK) != 0)
		snprintf(dir, n, "/tmp");
	return 0;
}

/* Writes text to a fresh private file; pushes its box. */
static struct tmpfile *values_file(lua_State *L, const char *op,
				   const char *s, size_t n)
{
	char dir[3500];
	struct cd_lptr *box = cd_lptr_push(L, NULL, tmp_remove);
	struct tmpfile *t = cd_calloc(1, sizeof *t);
	if (!t)
		cd_lerr_raise(L, CD_E_NOMEM, op, "out of memory");
	tmp_dir(dir, sizeof dir);
	snprintf(t->path, sizeof t->path, "%s/values-XXXXXX.yaml", dir);
	int fd = mkstemps(t->path, 5); /* mode 0600 */
	if (fd < 0) {
		int e = errno;
		cd_free(t);
		cd_lerr_raise(L, CD_E_IO, op, "cannot create a values file in "
			      "%s: %s", dir, strerror(e));
	}
	box->ptr = t;
	int rc = cd_fs_write_all(fd, s, n);
	if (close(fd) != 0 || rc != 0)
		cd_lerr_raise(L, CD_E_IO, op, "cannot write %s", t->path);
	return t;
}

/* Builds argv from tool + the list at arg (+ "--values FILE"): a
 * userdata-owned array, so a raise while filling it cannot leak. */
static const char **make_argv(lua_State *L, const char *tool, int args,
			      const struct tmpfile *values)
{
	lua_Integer n = (lua_Integer)luaL_len(L, args);
	if (n > 4096)
		luaL_argerror(L, args, "too many arguments");
	const char **argv = lua_newuserdatauv(
		L, sizeof *argv * (size_t)(n + 4), 0);
	argv[0] = tool;
	for (lua_Integer i = 1; i <= n; i++) {
		lua_rawgeti(L, args, i);
		argv[i] = cd_lerr_checkname(L, -1, "manifest");
		lua_pop(L, 1); /* args keeps the string alive */
	}
	if (values) {
		argv[++n] = "--values";
		argv[++n] = values->path;
	}
	argv[n + 1] = NULL;
	return argv;
}

static void free_result(void *p)
{
	cd_proc_result_free(p);
	cd_free(p);
}

/* The end of stderr (at most 1500 bytes), trailing blanks trimmed. */
static const char *stderr_tail(const struct cd_buf *b, int *len)
{
	const char *s = b->data ? b->data : "";
	size_t n = b->len;
	while (n && (s[n - 1] == '\n' || s[n - 1] == ' ' || s[n - 1] == '\r'))
		n--;
	size_t start = n > 1500 ? n - 1500 : 0;
	*len = (int)(n - start);
	return s + start;
}

static double proc_deadline(lua_State *L)
{
	double d = ctx_of(L)->deadline, def = cd_now() + PROC_DEFAULT_SECONDS;
	return d > 0 && d < def ? d : def;
}

/* C.run(tool, args, op, values_text|nil) -> stdout; raises with the
 * program's stderr when it fails, so a failing chart never renders
 * empty. */
static int l_run(lua_State *L)
{
	struct cd_err err;
	const char *tool = check_tool(L, 1);
	luaL_checktype(L, 2, LUA_TTABLE);
	const char *op = luaL_checkstring(L, 3);
	size_t vlen = 0;
	const char *vtext = luaL_optlstring(L, 4, NULL, &vlen);
	struct tmpfile *values = vtext ? values_file(L, op, vtext, vlen) : NULL;
	struct cd_proc_opts o = {.argv = make_argv(L, tool, 2, values), .op = op,
				 .deadline = proc_deadline(L)};
	struct cd_lptr *box = cd_lptr_push(L, NULL, free_result);
	struct cd_proc_result *r = cd_calloc(1, sizeof *r);
	if (!r)
		return cd_lerr_raise(L, CD_E_NOMEM, op, "out of memory");
	box->ptr = r;
	if (cd_proc_run(&o, r, &err) != 0)
		return cd_lerr_raise_err(L, &err);
	if (r->status != 0) {
		int n;
		const char *tail = stderr_tail(&r->err, &n);
		return cd_lerr_raise(L, CD_E_INVALID, op,
				     "%s failed (exit %d): %.*s", tool,
				     r->status, n, tail);
	}
	if (r->out_cut)
		return cd_lerr_raise(L, CD_E_INVALID, op,
				     "%s printed more than %zu bytes", tool,
				     (size_t)CD_PROC_OUT_MAX);
	lua_pushlstring(L, r->out.data ? r->out.data : "", r->out.len);
	lua_pushlstring(L, r->err.data ? r->err.data : "", r->err.len);
	return 2;
}

/* ---- the run ---- */

/* C.settings(): what the transforms read about the run. */
static int l_settings(lua_State *L)
{
	struct cd_ctx *c = ctx_of(L);
	lua_createtable(L, 0, 4);
	lua_pushstring(L, c->default_repo);
	lua_setfield(L, -2, "default_repo");
	lua_pushboolean(L, c->offline);
	lua_setfield(L, -2, "offline");
	lua_pushstring(L, c->namespace_);
	lua_setfield(L, -2, "namespace");
	lua_pushstring(L, cd_mode_name(c->mode));
	lua_setfield(L, -2, "mode");
	return 1;
}

/* C.default_repo(name, repo): name after --default-repo repo (the run's
 * when nil), by core/tag.c's rules and --multi-level-repo. */
static int l_default_repo(lua_State *L)
{
	struct cd_ctx *c = ctx_of(L);
	struct cd_err err;
	char out[1100];
	const char *name = luaL_checkstring(L, 1);
	const char *repo = luaL_optstring(L, 2, c->default_repo);
	if (cd_tag_default_repo_check(repo, &err) != 0)
		return cd_lerr_raise(L, CD_E_INVALID, "manifest.set_images",
				     "default_repo %s", err.msg);
	if (cd_tag_default_repo(repo, c->multi_level_repo, name, out, sizeof out,
				&err) != 0)
		return cd_lerr_raise_err(L, &err);
	lua_pushstring(L, out);
	return 1;
}

/* C.raise(code, op, message) */
static int l_raise(lua_State *L)
{
	enum cd_code code = cd_code_from_name(luaL_checkstring(L, 1));
	if (code == CD_CODE_COUNT)
		code = CD_E_INVALID;
	return cd_lerr_raise(L, code, luaL_checkstring(L, 2), "%s",
			     luaL_checkstring(L, 3));
}

/* The built-in scopes as { ["group/Kind"] = namespaced } ("" group for
 * the core kinds: "/ConfigMap"). */
static void push_scopes(lua_State *L)
{
	const char *group, *kind;
	int namespaced;
	lua_newtable(L);
	for (size_t i = 0;
	     cd_manifest_scope_entry(i, &group, &kind, &namespaced); i++) {
		lua_pushfstring(L, "%s/%s", group, kind);
		lua_pushboolean(L, namespaced);
		lua_rawset(L, -3);
	}
}

static void push_private(lua_State *L)
{
	static const luaL_Reg fns[] = {
		{"load", l_load},   {"parse", l_parse},
		{"where", l_where}, {"path", l_path},
		{"found", l_found}, {"run", l_run},
		{"raise", l_raise}, {"settings", l_settings},
		{"default_repo", l_default_repo},
		{"discover", cd_l_kube_discover},
		{"capabilities", cd_l_kube_capabilities},
		{NULL, NULL}};
	luaL_newlib(L, fns);
	push_scopes(L);
	lua_setfield(L, -2, "scopes");
}

void cd_l_manifest_register(lua_State *L, int t)
{
	const struct cd_embedded *e = cd_stdlib;
	t = lua_absindex(L, t);
	while (e->module && strcmp(e->module, MODULE) != 0)
		e++;
	luaL_argcheck(L, e->module != NULL, 1, "stdlib " MODULE " missing");
	if (cd_sandbox_load(L, e->source, e->len, "=stdlib/cdhost/manifest.lua"))
		lua_error(L);
	push_private(L);
	lua_pushvalue(L, t);
	lua_call(L, 2, 0);
}
