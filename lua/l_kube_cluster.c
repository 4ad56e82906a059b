/* cdhost.kube against a cluster: kube.apply in run/deploy (server-side
 * apply + prune), diff (server-side dry run, diff on stdout) and delete
 * (the apply set) modes; kube.get, kube.list and kube.delete. Thin: checks
 * arguments, calls core/kube*.c, pushes results or raises. */
#include "l_kube_cluster.h"

#include <lauxlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/http.h"
#include "../core/kube.h"
#include "../core/kube_apply.h"
#include "../core/mem.h"
#include "../core/util.h"
#include "host.h"
#include "lbuf.h"
#include "lerr.h"
#include "sandbox.h"
#include "value.h"
#include "value_jansson.h"

#define MAX_CLIENTS 8
#define CLIENTS_KEY "cdhost.kube.clients"

/* ---- YAML for the kubeconfig loader and the diff ---- */

int cd_l_kube_parse_yaml(void *ud, const char *path, const char *text,
			 size_t n, json_t **out, struct cd_err *err)
{
	lua_State *L = ud;
	int top = lua_gettop(L), rc = -1;
	*out = NULL;
	if (cd_value_push_yaml(L, text, n, path, err) != 0)
		goto done;
	if (lua_rawgeti(L, -1, 1) == LUA_TNIL) {
		*out = json_null();
		rc = 0;
		goto done;
	}
	rc = cd_value_to_jansson(L, -1, out, err);
done:
	lua_settop(L, top);
	return rc;
}

static int yaml_text(void *ud, const json_t *obj, struct cd_buf *out)
{
	lua_State *L = ud;
	struct cd_err err;
	int top = lua_gettop(L), rc = -1;
	if (cd_value_push_jansson(L, obj, 0, &err) == 0)
		rc = cd_value_to_yaml(L, -1, 0, out, &err);
	lua_settop(L, top);
	return rc;
}

/* ---- clients: one HTTP layer, one cd_kube per context ---- */

struct clients {
	struct cd_http http;
	int http_ok;
	struct {
		char *context;
		struct cd_kube *kube;
	} c[MAX_CLIENTS];
};

static int clients_gc(lua_State *L)
{
	struct clients *cs = lua_touserdata(L, 1);
	for (int i = 0; i < MAX_CLIENTS; i++) {
		cd_kube_free(cs->c[i].kube);
		cd_free(cs->c[i].context);
		cs->c[i].kube = NULL;
		cs->c[i].context = NULL;
	}
	if (cs->http_ok)
		cd_http_free(&cs->http);
	cs->http_ok = 0;
	return 0;
}

static struct clients *clients(lua_State *L)
{
	if (lua_getfield(L, LUA_REGISTRYINDEX, CLIENTS_KEY) == LUA_TUSERDATA) {
		struct clients *cs = lua_touserdata(L, -1);
		lua_pop(L, 1);
		return cs;
	}
	lua_pop(L, 1);
	struct clients *cs = lua_newuserdatauv(L, sizeof *cs, 0);
	memset(cs, 0, sizeof *cs);
	lua_createtable(L, 0, 2);
	lua_pushcfunction(L, clients_gc);
	lua_setfield(L, -2, "__gc");
	lua_pushliteral(L, "cdhost: protected");
	lua_setfield(L, -2, "__metatable");
	lua_setmetatable(L, -2);
	lua_setfield(L, LUA_REGISTRYINDEX, CLIENTS_KEY);
	return cs;
}

/* The client of a context (NULL: --kube-context's, else the current one),
 * opened on first use. 0, or -1 with err filled (no kubeconfig, a bad one). */
static int client_open(lua_State *L, const char *op, const char *context,
		       struct cd_kube **out, struct cd_err *err)
{
	struct cd_sandbox *sb = cd_sandbox_get(L);
	const struct cd_ctx *ctx = sb->ctx;
	struct clients *cs = clients(L);
	const char *want = context ? context : ctx->kube_context ? ctx->kube_context : "";
	int slot = -1;
	for (int i = 0; i < MAX_CLIENTS; i++) {
		if (cs->c[i].kube && !strcmp(cs->c[i].context, want)) {
			*out = cs->c[i].kube;
			return 0;
		}
		if (!cs->c[i].kube && slot < 0)
			slot = i;
	}
	if (slot < 0)
		return cd_err_set(err, CD_E_INVALID, op, "too many kube contexts in one run");
	if (!cs->http_ok) {
		if (cd_http_init(&cs->http, ctx, err) != 0)
			return -1;
		cs->http_ok = 1;
	}
	struct cd_kubeconfig_opts o = {
		.kubeconfig = ctx->kubeconfig,
		.env_kubeconfig = getenv("KUBECONFIG"),
		.home = getenv("HOME"),
		.context = *want ? want : NULL,
		.namespace_ = ctx->namespace_,
		.service_host = getenv("KUBERNETES_SERVICE_HOST"),
		.service_port = getenv("KUBERNETES_SERVICE_PORT"),
		.sa_dir = getenv("CDHOST_SERVICE_ACCOUNT_DIR"),
		.parse = cd_l_kube_parse_yaml,
		.parse_ud = L,
	};
	cs->c[slot].context = cd_strdup(want);
	if (!cs->c[slot].context)
		return cd_err_set(err, CD_E_NOMEM, op, "out of memory");
	if (cd_kube_open(&cs->c[slot].kube, &cs->http, ctx, &o, err) != 0) {
		cd_free(cs->c[slot].context);
		cs->c[slot].context = NULL;
		snprintf(err->op, sizeof err->op, "%s", op);
		return -1;
	}
	*out = cs->c[slot].kube;
	return 0;
}

static struct cd_kube *client(lua_State *L, const char *op, const char *context)
{
	struct cd_kube *k;
	struct cd_err err;
	if (client_open(L, op, context, &k, &err) != 0)
		cd_lerr_raise_err(L, &err);
	return k;
}


/* ---- options ---- */

static const char *opt_string(lua_State *L, int idx, const char *key,
			      const char *op)
{
	if (lua_type(L, idx) != LUA_TTABLE)
		return NULL;
	int t = lua_getfield(L, idx, key);
	const char *s = t == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
	if (t != LUA_TNIL && t != LUA_TSTRING)
		cd_lerr_raise(L, CD_E_INVALID, op, "option '%s' must be a string", key);
	lua_pop(L, 1); /* the options table keeps the string alive */
	return s;
}

static int opt_bool(lua_State *L, int idx, const char *key, const char *op)
{
	if (lua_type(L, idx) != LUA_TTABLE)
		return 0;
	int t = lua_getfield(L, idx, key);
	if (t != LUA_TNIL && t != LUA_TBOOLEAN)
		cd_lerr_raise(L, CD_E_INVALID, op, "option '%s' must be a boolean", key);
	int b = lua_toboolean(L, -1);
	lua_pop(L, 1);
	return b;
}

static double opt_number(lua_State *L, int idx, const char *key, double def)
{
	if (lua_type(L, idx) != LUA_TTABLE)
		return def;
	lua_getfield(L, idx, key);
	double v = lua_isnumber(L, -1) ? lua_tonumber(L, -1) : def;
	lua_pop(L, 1);
	return v;
}

/* ---- objects in, results out ---- */

struct input {
	json_t *objs;
	char **sources;
	size_t n;
};

static void input_free(void *p)
{
	struct input *in = p;
	for (size_t i = 0; in->sources && i < in->n; i++)
		cd_free(in->sources[i]);
	cd_free(in->sources);
	json_decref(in->objs);
	cd_free(in);
}

/* The objects argument (one object or a list) as JSON, with sources. */
static struct input *read_objects(lua_State *L, int idx, const char *op)
{
	luaL_checktype(L, idx, LUA_TTABLE);
	struct cd_lptr *box = cd_lptr_push(L, NULL, input_free);
	struct input *in = cd_calloc(1, sizeof *in);
	struct cd_err err;
	if (!in)
		cd_lerr_raise(L, CD_E_NOMEM, op, "out of memory");
	box->ptr = in;
	lua_getfield(L, idx, "kind");
	int single = !lua_isnil(L, -1);
	lua_pop(L, 1);
	size_t n = single ? 1 : (size_t)luaL_len(L, idx);
	in->objs = json_array();
	in->sources = cd_calloc(n + 1, sizeof *in->sources);
	if (!in->objs || !in->sources)
		cd_lerr_raise(L, CD_E_NOMEM, op, "out of memory");
	for (size_t i = 1; i <= n; i++) {
		json_t *j;
		const char *file;
		int doc, line;
		char src[1200];
		if (single)
			lua_pushvalue(L, idx);
		else
			lua_geti(L, idx, (lua_Integer)i);
		if (lua_type(L, -1) != LUA_TTABLE)
			cd_lerr_raise(L, CD_E_INVALID, op, "object %zu is a %s, not a table",
				      i, luaL_typename(L, -1));
		if (cd_value_to_jansson(L, -1, &j, &err) != 0) {
			snprintf(err.op, sizeof err.op, "%s", op);
			cd_err_wrap(&err, "object %zu", i);
			cd_lerr_raise_err(L, &err);
		}
		json_array_append_new(in->objs, j);
		if (cd_value_source(L, -1, &file, &doc, &line) == 0) {
			if (line)
				snprintf(src, sizeof src, "%s:%d", file, line);
			else /* rendered by a tool: the template's name */
				snprintf(src, sizeof src, "%s", file);
			in->sources[i - 1] = cd_strdup(src);
		}
		in->n = i;
		lua_pop(L, 1);
	}
	return in;
}

static void push_json(lua_State *L, const json_t *j, const char *op)
{
	struct cd_err err;
	if (cd_value_push_jansson(L, j, CD_JANSSON_DROP_NULLS, &err) != 0) {
		snprintf(err.op, sizeof err.op, "%s", op);
		cd_lerr_raise_err(L, &err);
	}
}

/* ---- kube.apply in run/deploy/diff/delete, kube.diff ---- */

/* The delete propagation: --propagation (checked by the command line), else
 * the option, else NULL (Background). A bad option is the recipe's error
 * (invalid), even when the flag overrides it. */
static const char *propagation(lua_State *L, int oi, const char *op)
{
	const char *flag = cd_sandbox_get(L)->ctx->propagation;
	const char *opt = opt_string(L, oi, "propagation", op);
	if (opt && !cd_kube_propagation(opt))
		cd_lerr_raise(L, CD_E_INVALID, op,
			      "propagation must be Background, Foreground or "
			      "Orphan, not '%.64s'", opt);
	return flag ? flag : opt;
}

/* The options of kube.apply and kube.diff (the table at oi, may be none). */
static void apply_opts(lua_State *L, int oi, const char *op, enum cd_kube_op kop,
		       struct cd_buf *diff, struct cd_kube_apply_opts *o)
{
	*o = (struct cd_kube_apply_opts){
		.op = kop,
		.force = opt_bool(L, oi, "force", op),
		.prune = opt_bool(L, oi, "prune", op),
		.applyset = opt_string(L, oi, "applyset", op),
		.namespace_ = opt_string(L, oi, "namespace", op),
		.tooling = "cdhost/" CDHOST_VERSION,
		.lock_wait = opt_number(L, oi, "lock_wait", 120),
		.propagation = propagation(L, oi, op),
		.show_secrets = cd_sandbox_get(L)->ctx->show_secrets,
		.dry_run = cd_sandbox_get(L)->ctx->dry_run,
		.text = yaml_text,
		.text_ud = L,
		.diff = diff,
	};
}

/* The arguments (objs [, opts]) of kube.apply and kube.diff: the objects,
 * in a box pushed on the stack. */
static struct input *apply_args(lua_State *L, const char *op)
{
	if (!lua_isnoneornil(L, 2))
		luaL_checktype(L, 2, LUA_TTABLE);
	return read_objects(L, 1, op);
}

/* delete --dry-run: what would go, one line each (the plan). */
static void dry_deletes(struct cd_ctx *ctx, const json_t *results)
{
	size_t i;
	json_t *r;
	json_array_foreach(results, i, r) {
		const char *ns = json_string_value(json_object_get(r, "namespace"));
		cd_report_log(ctx->report, CD_LOG_INFO, "apply",
			      "would delete %s %s%s%s",
			      json_string_value(json_object_get(r, "kind")),
			      ns ? ns : "", ns ? "/" : "",
			      json_string_value(json_object_get(r, "name")));
	}
	cd_report_log(ctx->report, CD_LOG_INFO, "apply",
		      "kube.apply: %zu object(s) would be deleted (--dry-run: "
		      "checked by the server, nothing deleted)",
		      json_array_size(results));
}

int cd_l_kube_apply_cluster(lua_State *L, enum cd_action act)
{
	static const char *const op = "kube.apply";
	struct cd_sandbox *sb = cd_sandbox_get(L);
	struct cd_ctx *ctx = sb->ctx;
	int oi = 2;
	struct cd_err err;
	json_t *results = NULL;
	unsigned changes = 0;
	struct input *in = apply_args(L, op);
	int box = lua_gettop(L);
	struct cd_kube *k = client(L, op, opt_string(L, oi, "context", op));
	struct cd_buf *diff = cd_lbuf_push(L);
	struct cd_kube_apply_opts o;
	apply_opts(L, oi, op, act == CD_ACT_DIFF     ? CD_KUBE_DIFF
			      : act == CD_ACT_DELETE ? CD_KUBE_DELETE
						     : CD_KUBE_APPLY,
		   diff, &o);
	if (cd_kube_apply(k, in->objs, (const char *const *)in->sources, &o,
			  &results, &changes, &err) != 0)
		return cd_lerr_raise_err(L, &err);
	ctx->stats.changed += changes;
	if (o.op != CD_KUBE_DIFF && !o.dry_run)
		ctx->stats.applied += (unsigned)json_array_size(results);
	if (diff->len && cd_l_kube_pending_append(L, diff->data, diff->len) != 0) {
		json_decref(results);
		return cd_lerr_raise(L, CD_E_NOMEM, op, "diff output too large");
	}
	if (o.op == CD_KUBE_DELETE && o.dry_run)
		dry_deletes(ctx, results);
	else
		cd_report_log(ctx->report, CD_LOG_INFO, "apply",
			      "kube.apply: %zu object(s) %s, %u %s",
			      json_array_size(results),
			      o.op == CD_KUBE_DIFF     ? "compared"
			      : o.op == CD_KUBE_DELETE ? "deleted"
						       : "applied",
			      changes,
			      o.op == CD_KUBE_DIFF     ? "differ"
			      : o.op == CD_KUBE_DELETE ? "gone"
						       : "changed");
	struct cd_lptr *rbox = cd_lptr_push(L, results, (void (*)(void *))json_decref);
	push_json(L, results, op);
	cd_lptr_release(rbox);
	lua_remove(L, box);
	return 1;
}

/* A read that failed: in render mode (or any --dry-run preview, as the
 * registry's reads) a cluster that cannot be reached (or no kubeconfig at
 * all, when opening) is a warning in the plan, saying what is unknown (SPEC
 * section 3). 1 if so, 0 if the caller must raise. */
static int read_degrades(lua_State *L, struct cd_err *err, const char *op,
			 int opening, const char *unknown)
{
	struct cd_ctx *ctx = cd_sandbox_get(L)->ctx;
	snprintf(err->op, sizeof err->op, "%s", op);
	if (!ctx->dry_run ||
	    (err->code != CD_E_UNREACHABLE &&
	     !(opening && err->code == CD_E_NOT_FOUND)))
		return 0;
	cd_report_log(ctx->report, CD_LOG_WARN, "render", "%s: %s (%s)", op,
		      unknown, err->msg);
	return 1;
}

#define DIFF_UNKNOWN "diff unknown: no cluster to compare with"
#define LIVE_UNKNOWN "live state unknown: no cluster to read"

/* As read_degrades; a degraded call returns nil, message, anything else
 * raises. */
static int read_failed(lua_State *L, struct cd_err *err, const char *op,
		       int opening, const char *unknown)
{
	if (!read_degrades(L, err, op, opening, unknown))
		return cd_lerr_raise_err(L, err);
	lua_pushnil(L);
	lua_pushstring(L, err->msg);
	return 2;
}

/* kube.diff(objs [, opts]): the server-side dry run of kube.apply(objs,
 * opts) in any mode, returned as {changed = bool, diffs = {...}} (one
 * entry per object, as kube.apply's results, with `diff` = its unified
 * diff); nothing is printed and nothing changes. */
static int l_diff(lua_State *L)
{
	static const char *const op = "kube.diff";
	struct cd_ctx *ctx = cd_sandbox_get(L)->ctx;
	int oi = 2;
	struct cd_err err;
	struct cd_kube *k;
	json_t *results = NULL;
	unsigned changes = 0;
	struct input *in = apply_args(L, op);
	int box = lua_gettop(L);
	struct cd_buf *diff = cd_lbuf_push(L);
	struct cd_kube_apply_opts o;
	apply_opts(L, oi, op, CD_KUBE_DIFF, diff, &o);
	if (client_open(L, op, opt_string(L, oi, "context", op), &k, &err) != 0)
		return read_failed(L, &err, op, 1, DIFF_UNKNOWN);
	if (cd_kube_apply(k, in->objs, (const char *const *)in->sources, &o,
			  &results, &changes, &err) != 0)
		return read_failed(L, &err, op, 0, DIFF_UNKNOWN);
	cd_report_log(ctx->report, CD_LOG_INFO, "apply",
		      "kube.diff: %zu object(s) compared, %u differ",
		      json_array_size(results), changes);
	struct cd_lptr *rbox = cd_lptr_push(L, results, (void (*)(void *))json_decref);
	cd_value_new(L, CD_VALUE_MAP);
	lua_pushboolean(L, changes > 0);
	lua_setfield(L, -2, "changed");
	push_json(L, results, op);
	lua_setfield(L, -2, "diffs");
	cd_lptr_release(rbox);
	lua_replace(L, box);
	lua_settop(L, box);
	return 1;
}

/* ---- kube.get / kube.list / kube.delete ---- */

/* Appends "?labelSelector=SEL" (URL-encoded) to path when sel is given. */
static void append_selector(char *path, size_t n, const char *sel)
{
	size_t len = strlen(path);
	if (!sel)
		return;
	snprintf(path + len, n - len, "?labelSelector=");
	len = strlen(path);
	for (const char *c = sel; *c && len + 4 < n; c++)
		len += (size_t)snprintf(path + len, n - len,
					strchr("=,!() ", *c) ? "%%%02X" : "%c",
					(unsigned char)*c);
}

/* ref: {apiVersion=, kind=, name= | metadata={name=, namespace=},
 * namespace=}: its fields (kept alive by the table at idx). */
struct ref {
	const char *av, *kind, *name, *ns;
};

static void ref_read(lua_State *L, int idx, const char *op, int with_name,
		     struct ref *r)
{
	luaL_checktype(L, idx, LUA_TTABLE);
	r->av = opt_string(L, idx, "apiVersion", op);
	r->kind = opt_string(L, idx, "kind", op);
	r->name = opt_string(L, idx, "name", op);
	r->ns = opt_string(L, idx, "namespace", op);
	if (lua_getfield(L, idx, "metadata") == LUA_TTABLE) {
		r->name = r->name ? r->name : opt_string(L, -1, "name", op);
		r->ns = r->ns ? r->ns : opt_string(L, -1, "namespace", op);
	}
	lua_pop(L, 1);
	if (!r->av || !r->kind || (with_name && !r->name))
		cd_lerr_raise(L, CD_E_INVALID, op, "needs apiVersion, kind%s",
			      with_name ? " and name" : "");
}

/* The API path of a ref (discovery may ask the server): 0, or -1 with err
 * filled. */
static int ref_map(struct cd_kube *k, const struct ref *r, int with_name,
		   const char *ns_opt, char *path, size_t n, struct cd_err *err)
{
	struct cd_kube_mapping m;
	if (cd_kube_map(k, r->av, r->kind, &m, err) != 0)
		return -1;
	const char *ns = ns_opt ? ns_opt : r->ns ? r->ns : cd_kube_namespace(k);
	cd_kube_path(&m, ns, with_name ? r->name : NULL, path, n);
	return 0;
}

/* ref_read and ref_map, raising. */
static void ref_path(lua_State *L, int idx, const char *op, int with_name,
		     struct cd_kube *k, const char *ns_opt, char *path, size_t n)
{
	struct ref r;
	struct cd_err err;
	ref_read(L, idx, op, with_name, &r);
	if (ref_map(k, &r, with_name, ns_opt, path, n, &err) != 0) {
		snprintf(err.op, sizeof err.op, "%s", op);
		cd_lerr_raise_err(L, &err);
	}
}

/* A read's client and API path (the options at 2): 0, or what
 * read_failed/read_degrades take: -1 with err filled and *opening set when
 * the client could not be opened. Bad arguments raise. */
static int read_target(lua_State *L, const char *op, int with_name,
		       struct cd_kube **k, char *path, size_t n,
		       struct cd_err *err, int *opening)
{
	struct ref r;
	const char *context = opt_string(L, 2, "context", op),
		   *ns_opt = opt_string(L, 2, "namespace", op);
	ref_read(L, 1, op, with_name, &r);
	*opening = 1;
	if (client_open(L, op, context, k, err) != 0)
		return -1;
	*opening = 0;
	return ref_map(*k, &r, with_name, ns_opt, path, n, err);
}

/* One request; its answer pushed (nil for a 404 or no body): 0, or -1 with
 * err filled and nothing pushed. */
static int call_push(lua_State *L, struct cd_kube *k, struct cd_kube_req *rq,
		     const char *op, long *st, struct cd_err *err)
{
	json_t *out = NULL;
	if (cd_kube_call(k, rq, &out, st, err) != 0) {
		json_decref(out);
		snprintf(err->op, sizeof err->op, "%s", op);
		return -1;
	}
	if (*st == 404 || !out) {
		json_decref(out);
		lua_pushnil(L);
		return 0;
	}
	struct cd_lptr *box = cd_lptr_push(L, out, (void (*)(void *))json_decref);
	push_json(L, out, op);
	cd_lptr_release(box);
	lua_remove(L, -2);
	return 0;
}

static int call_raise(lua_State *L, struct cd_kube *k, struct cd_kube_req *rq,
		      const char *op, long *st)
{
	struct cd_err err;
	if (call_push(L, k, rq, op, st, &err) != 0)
		return cd_lerr_raise_err(L, &err);
	return 1;
}

/* kube.get and kube.list: the answer (nil for a 404), or in render mode
 * without a cluster nil, message (read_failed). */
static int read_call(lua_State *L, const char *op, int with_name,
		     const char *sel)
{
	char path[1600]; /* 1200 for the object's path, the rest the selector's */
	struct cd_kube *k;
	struct cd_err err;
	long st;
	int opening;
	if (read_target(L, op, with_name, &k, path, 1200, &err, &opening) != 0)
		return read_failed(L, &err, op, opening, LIVE_UNKNOWN);
	append_selector(path, sizeof path, sel);
	struct cd_kube_req rq = {.method = "GET", .path = path, .what = op,
				 .ok404 = with_name};
	if (call_push(L, k, &rq, op, &st, &err) != 0)
		return read_failed(L, &err, op, 0, LIVE_UNKNOWN);
	return 1;
}

static int l_get(lua_State *L)
{
	return read_call(L, "kube.get", 1, NULL);
}

/* The label selector of kube.list and kube.watch: the ref's, else the
 * option's. */
static const char *selector(lua_State *L, const char *op)
{
	const char *sel = opt_string(L, 1, "selector", op);
	return sel ? sel : opt_string(L, 2, "selector", op);
}

static int l_list(lua_State *L)
{
	static const char *const op = "kube.list";
	int n = read_call(L, op, 0, selector(L, op));
	if (n == 1 && lua_type(L, -1) == LUA_TTABLE)
		lua_getfield(L, -1, "items");
	return n;
}

static int l_delete(lua_State *L)
{
	static const char *const op = "kube.delete";
	struct cd_sandbox *sb = cd_sandbox_get(L);
	enum cd_action act = cd_ctx_effect(sb->ctx, CD_EFFECT_KUBE_APPLY);
	char path[1200];
	long st;
	if ((act != CD_ACT_DO && act != CD_ACT_DELETE) || sb->ctx->dry_run) {
		cd_report_log(sb->ctx->report, CD_LOG_INFO, "apply",
			      "kube.delete: not deleted in %s mode",
			      cd_ctx_mode_desc(sb->ctx));
		lua_pushboolean(L, 0);
		return 1;
	}
	const char *prop = propagation(L, 2, op), *policy = cd_kube_propagation(prop);
	char body[128];
	if (prop && !policy)
		return cd_lerr_raise(L, CD_E_USAGE, op,
				     "propagation must be Background, Foreground or "
				     "Orphan, not '%.64s'", prop);
	struct cd_kube *k = client(L, op, opt_string(L, 2, "context", op));
	ref_path(L, 1, op, 1, k, opt_string(L, 2, "namespace", op), path, sizeof path);
	snprintf(body, sizeof body,
		 "{\"kind\":\"DeleteOptions\",\"apiVersion\":\"v1\","
		 "\"propagationPolicy\":\"%s\"}", policy ? policy : "");
	struct cd_kube_req rq = {.method = "DELETE", .path = path, .what = op,
				 .body = policy ? body : NULL, .ok404 = 1};
	call_raise(L, k, &rq, op, &st);
	lua_pushboolean(L, st != 404);
	return 1;
}

/* ---- kube.watch: an iterator of {type=, object=} until the timeout ---- */

struct watch {
	char path[1400], rv[64], context[128];
	double until;
	int listed, has_context;
	struct cd_buf buf;
};

static int watch_gc(lua_State *L)
{
	struct watch *w = lua_touserdata(L, 1);
	cd_buf_free(&w->buf);
	return 0;
}

/* on_data: stop as soon as one whole event line is there. */
static int watch_data(void *ud, const char *p, size_t n)
{
	struct watch *w = ud;
	if (cd_buf_append(&w->buf, p, n) != 0)
		return 1;
	return memchr(p, '\n', n) != NULL;
}

static void push_event(lua_State *L, const char *type, const json_t *obj)
{
	lua_createtable(L, 0, 2);
	lua_pushstring(L, type);
	lua_setfield(L, -2, "type");
	push_json(L, obj, "kube.watch");
	lua_setfield(L, -2, "object");
}

/* LIST: the starting resourceVersion; the items queue up as ADDED. 0, or
 * -1 with err filled. */
static int watch_list(lua_State *L, struct cd_kube *k, struct watch *w,
		      int queue, struct cd_err *err)
{
	json_t *list = NULL, *o;
	long st;
	size_t i;
	struct cd_kube_req rq = {.method = "GET", .path = w->path, .what = "kube.watch"};
	if (cd_kube_call(k, &rq, &list, &st, err) != 0) {
		json_decref(list);
		return -1;
	}
	struct cd_lptr *box = cd_lptr_push(L, list, (void (*)(void *))json_decref);
	const char *rv = json_string_value(json_object_get(
		json_object_get(list, "metadata"), "resourceVersion"));
	snprintf(w->rv, sizeof w->rv, "%s", rv ? rv : "");
	json_array_foreach(json_object_get(list, "items"), i, o) {
		push_event(L, "ADDED", o);
		lua_rawseti(L, queue, (lua_Integer)luaL_len(L, queue) + 1);
	}
	cd_lptr_release(box);
	lua_pop(L, 1);
	w->listed = 1;
	return 0;
}

/* A failed read while iterating: in render mode the loop ends with a plan
 * warning (read_degrades), anything else raises. */
static int watch_failed(lua_State *L, struct cd_err *err)
{
	if (read_degrades(L, err, "kube.watch", 0, LIVE_UNKNOWN))
		return 0;
	return cd_lerr_raise_err(L, err);
}

static int watch_next(lua_State *L)
{
	struct watch *w = lua_touserdata(L, lua_upvalueindex(1));
	int queue = lua_upvalueindex(2);
	struct cd_kube *k = client(L, "kube.watch", w->has_context ? w->context : NULL);
	struct cd_err err;
	for (;;) {
		if (luaL_len(L, queue) > 0) { /* pop the oldest queued event */
			lua_Integer n = luaL_len(L, queue);
			lua_rawgeti(L, queue, 1);
			for (lua_Integer i = 1; i < n; i++) {
				lua_rawgeti(L, queue, i + 1);
				lua_rawseti(L, queue, i);
			}
			lua_pushnil(L);
			lua_rawseti(L, queue, n);
			return 1;
		}
		if (!w->listed) {
			if (watch_list(L, k, w, queue, &err) != 0)
				return watch_failed(L, &err);
			continue;
		}
		double left = w->until - cd_now();
		if (left <= 0)
			return 0;
		char path[1600];
		long st = 0;
		snprintf(path, sizeof path, "%s%swatch=1&resourceVersion=%s&timeoutSeconds=%d",
			 w->path, strchr(w->path, '?') ? "&" : "?", w->rv,
			 (int)(left < 60 ? left + 1 : 60));
		cd_buf_reset(&w->buf);
		int rc = cd_kube_stream(k, path, left + 2, watch_data, w, &st, &err);
		char *nl = w->buf.data ? memchr(w->buf.data, '\n', w->buf.len) : NULL;
		json_error_t je;
		json_t *ev = nl ? json_loadb(w->buf.data, (size_t)(nl - w->buf.data), 0, &je)
				: NULL;
		if (!ev && rc != 0 && st < 300) {
			if (err.code == CD_E_TIMEOUT || cd_now() >= w->until)
				return 0;
			return watch_failed(L, &err);
		}
		if (!ev && st >= 300) {
			json_t *body = w->buf.data ? json_loadb(w->buf.data, w->buf.len, 0, &je) : NULL;
			cd_kube_status_err(st, body, "kube.watch", &err);
			json_decref(body);
			return cd_lerr_raise_err(L, &err);
		}
		if (!ev)
			continue; /* the server's timeoutSeconds: watch again */
		struct cd_lptr *box = cd_lptr_push(L, ev, (void (*)(void *))json_decref);
		const char *type = json_string_value(json_object_get(ev, "type"));
		json_t *obj = json_object_get(ev, "object");
		const char *rv = json_string_value(json_object_get(
			json_object_get(obj, "metadata"), "resourceVersion"));
		if (type && !strcmp(type, "ERROR")) {
			if (json_integer_value(json_object_get(obj, "code")) == 410) {
				w->listed = 0; /* too old: list again */
				cd_lptr_release(box);
				lua_pop(L, 1);
				lua_newtable(L);
				lua_replace(L, queue);
				continue;
			}
			cd_kube_status_err(json_integer_value(json_object_get(obj, "code")),
					   obj, "kube.watch", &err);
			cd_lptr_release(box);
			return cd_lerr_raise_err(L, &err);
		}
		if (rv)
			snprintf(w->rv, sizeof w->rv, "%s", rv);
		if (type && !strcmp(type, "BOOKMARK")) {
			cd_lptr_release(box);
			lua_pop(L, 1);
			continue;
		}
		push_event(L, type ? type : "?", obj);
		cd_lptr_release(box);
		lua_remove(L, -2);
		return 1;
	}
}

/* An iterator that ends at once: kube.watch in render mode without a
 * cluster. */
static int watch_none(lua_State *L)
{
	(void)L;
	return 0;
}

/* kube.watch(ref [, opts]): lists at once (so a cluster that cannot be
 * reached shows here), then returns the iterator. In render mode without a
 * cluster: an iterator that ends at once, and the message. */
static int l_watch(lua_State *L)
{
	static const char *const op = "kube.watch";
	const char *context = opt_string(L, 2, "context", op);
	const char *sel = selector(L, op);
	struct cd_kube *k;
	struct cd_err err;
	int opening;
	struct watch *w = lua_newuserdatauv(L, sizeof *w, 0);
	memset(w, 0, sizeof *w);
	lua_createtable(L, 0, 1);
	lua_pushcfunction(L, watch_gc);
	lua_setfield(L, -2, "__gc");
	lua_setmetatable(L, -2);
	int wi = lua_gettop(L);
	if (context) {
		snprintf(w->context, sizeof w->context, "%s", context);
		w->has_context = 1;
	}
	double timeout = 60;
	if (lua_type(L, 2) == LUA_TTABLE) {
		lua_getfield(L, 2, "timeout");
		if (lua_type(L, -1) == LUA_TSTRING) {
			if (cd_parse_duration(lua_tostring(L, -1), &timeout, &err) != 0) {
				snprintf(err.op, sizeof err.op, "%s", op);
				return cd_lerr_raise_err(L, &err);
			}
		} else if (lua_isnumber(L, -1)) {
			timeout = lua_tonumber(L, -1);
		}
		lua_pop(L, 1);
	}
	w->until = cd_now() + timeout;
	lua_newtable(L); /* the queue */
	int qi = lua_gettop(L);
	int rc = read_target(L, op, 0, &k, w->path, 1200, &err, &opening);
	if (rc == 0) {
		append_selector(w->path, sizeof w->path, sel);
		rc = watch_list(L, k, w, qi, &err);
	}
	if (rc != 0) {
		if (!read_degrades(L, &err, op, opening, LIVE_UNKNOWN))
			return cd_lerr_raise_err(L, &err);
		lua_pushcfunction(L, watch_none);
		lua_pushstring(L, err.msg);
		return 2;
	}
	lua_pushvalue(L, wi);
	lua_pushvalue(L, qi);
	lua_pushcclosure(L, watch_next, 2);
	return 1;
}

/* ---- discovery for the manifest module (lua/l_manifest.c) ---- */

/* Pushes nil and the reason discovery could not answer: 2 results. */
static int no_answer(lua_State *L, const struct cd_err *err)
{
	lua_pushnil(L);
	lua_pushstring(L, err->msg);
	return 2;
}

int cd_l_kube_discover(lua_State *L)
{
	const char *av = luaL_checkstring(L, 1), *kind = luaL_checkstring(L, 2);
	struct cd_kube_mapping m;
	struct cd_err err;
	struct cd_kube *k;
	if (client_open(L, "discovery", NULL, &k, &err) != 0 ||
	    cd_kube_map(k, av, kind, &m, &err) != 0)
		return no_answer(L, &err);
	lua_pushboolean(L, m.namespaced);
	return 1;
}

int cd_l_kube_capabilities(lua_State *L)
{
	const char *context = luaL_optstring(L, 1, NULL);
	char version[128];
	struct cd_err err;
	json_t *apis = NULL;
	struct cd_kube *k;
	if (client_open(L, "discovery", context, &k, &err) != 0 ||
	    cd_kube_server_version(k, version, sizeof version, &err) != 0 ||
	    cd_kube_api_versions(k, &apis, &err) != 0)
		return no_answer(L, &err);
	struct cd_lptr *box = cd_lptr_push(L, apis, (void (*)(void *))json_decref);
	lua_createtable(L, 0, 2);
	lua_pushstring(L, version);
	lua_setfield(L, -2, "kube_version");
	lua_createtable(L, (int)json_array_size(apis), 0);
	size_t i;
	json_t *v;
	json_array_foreach(apis, i, v) {
		lua_pushstring(L, json_string_value(v));
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
	lua_setfield(L, -2, "api_versions");
	cd_lptr_release(box);
	lua_remove(L, -2);
	return 1;
}

void cd_l_kube_cluster_register(lua_State *L, int t)
{
	static const luaL_Reg fns[] = {
		{"get", l_get}, {"list", l_list}, {"delete", l_delete},
		{"watch", l_watch}, {"diff", l_diff}, {NULL, NULL}};
	for (const luaL_Reg *f = fns; f->name; f++) {
		lua_pushcfunction(L, f->func);
		lua_setfield(L, t, f->name);
	}
}

struct cd_kube *cd_l_kube_client(lua_State *L, const char *op,
				 const char *context)
{
	return client(L, op, context);
}
