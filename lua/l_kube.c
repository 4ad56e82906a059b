/* cdhost.kube — for now the mode-driven part of kube.apply: render mode
 * prints the manifests in apply order with a plan on stderr (SPEC sections 3
 * and 6); build mode skips and records; the
 * cluster client arrives with the Kubernetes capability. */
#include <lauxlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/manifest.h"
#include "host.h"
#include "l_kube_cluster.h"
#include "lbuf.h"
#include "lerr.h"
#include "sandbox.h"
#include "value.h"

/* Pushes the object at idx, or a copy of it whose Secret values are masked
 * (SPEC section 9: never in dry-run output unless --show-secrets). */
static void push_printable(lua_State *L, int idx, int show_secrets)
{
	static const char *const secret_fields[] = {"data", "stringData", NULL};
	idx = lua_absindex(L, idx);
	lua_getfield(L, idx, "kind");
	int is_secret = lua_type(L, -1) == LUA_TSTRING &&
			strcmp(lua_tostring(L, -1), "Secret") == 0;
	lua_pop(L, 1);
	if (!is_secret || show_secrets) {
		lua_pushvalue(L, idx);
		return;
	}
	cd_value_copy(L, idx);
	int copy = lua_gettop(L);
	for (int i = 0; secret_fields[i]; i++) {
		if (lua_getfield(L, idx, secret_fields[i]) != LUA_TTABLE) {
			lua_pop(L, 1);
			continue;
		}
		cd_value_new(L, CD_VALUE_MAP);
		lua_pushnil(L);
		while (lua_next(L, -3)) {
			lua_pop(L, 1);
			lua_pushvalue(L, -1);
			lua_pushliteral(L, "(masked; --show-secrets to print)");
			lua_rawset(L, -4);
		}
		lua_setfield(L, copy, secret_fields[i]);
		lua_pop(L, 1);
	}
}

/* The objects argument: a list of objects, or one object (has a kind). */
static int object_count(lua_State *L, int idx)
{
	luaL_checktype(L, idx, LUA_TTABLE);
	lua_getfield(L, idx, "kind");
	int single = !lua_isnil(L, -1);
	lua_pop(L, 1);
	return single ? -1 : (int)luaL_len(L, idx);
}

/* The kind of the object at idx ("" when it has none). */
static const char *kind_of(lua_State *L, int idx)
{
	lua_getfield(L, idx, "kind");
	const char *k = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1)
						       : "";
	lua_pop(L, 1); /* the object keeps the string alive */
	return k;
}

struct slot {
	int rank, index;
};

static int slot_cmp(const void *a, const void *b)
{
	const struct slot *x = a, *y = b;
	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	return (x->index > y->index) - (x->index < y->index);
}

/* Pushes the objects as a plain list in apply order (SPEC section 6:
 * Namespaces, CRDs, Helm's install order, unknown kinds last; stable). */
static void push_ordered(lua_State *L, int objs, int n)
{
	int count = n < 0 ? 1 : n;
	struct slot *s =
		lua_newuserdatauv(L, sizeof *s * (size_t)(count + 1), 0);
	for (int i = 1; i <= count; i++) {
		if (n < 0)
			lua_pushvalue(L, objs);
		else
			lua_geti(L, objs, i);
		if (lua_type(L, -1) != LUA_TTABLE)
			cd_lerr_raise(L, CD_E_INVALID, "kube.apply",
				      "object %d is a %s, not a table", i,
				      luaL_typename(L, -1));
		s[i - 1].rank = cd_manifest_kind_rank(kind_of(L, -1));
		s[i - 1].index = i;
		lua_pop(L, 1);
	}
	qsort(s, (size_t)count, sizeof *s, slot_cmp);
	lua_createtable(L, count, 0);
	for (int i = 0; i < count; i++) {
		if (n < 0)
			lua_pushvalue(L, objs);
		else
			lua_geti(L, objs, s[i].index);
		lua_rawseti(L, -2, i + 1);
	}
	lua_remove(L, -2);
}

/* Counts one object of kind/ns in groups: runs of equal kind and
 * namespace (objects are in apply order). */
static void count_group(json_t *groups, const char *kind, const char *ns)
{
	size_t n = json_array_size(groups);
	json_t *g = n ? json_array_get(groups, n - 1) : NULL;
	if (g && !strcmp(json_string_value(json_object_get(g, "kind")), kind) &&
	    !strcmp(json_string_value(json_object_get(g, "namespace")), ns)) {
		json_t *c = json_object_get(g, "count");
		json_integer_set(c, json_integer_value(c) + 1);
		return;
	}
	json_array_append_new(groups, json_pack("{s:s,s:s,s:i}", "kind", kind,
						"namespace", ns, "count", 1));
}

static void plan_text(json_t *groups, int count, char *text, size_t size)
{
	size_t len = (size_t)snprintf(text, size, "plan: apply %d object(s):",
				      count);
	for (size_t i = 0; i < json_array_size(groups) && len < size; i++) {
		json_t *g = json_array_get(groups, i);
		const char *ns = json_string_value(json_object_get(g, "namespace"));
		len += (size_t)snprintf(
			text + len, size - len, "%s %s %lld (%s)", i ? "," : "",
			json_string_value(json_object_get(g, "kind")),
			(long long)json_integer_value(json_object_get(g, "count")),
			*ns ? ns : "no namespace");
	}
}

/* The plan on stderr: objects per kind and namespace, in apply order. */
static void report_plan(lua_State *L, int ordered, int count)
{
	struct cd_sandbox *sb = cd_sandbox_get(L);
	json_t *groups = json_array();
	char text[1024];
	for (int i = 1; i <= count; i++) {
		lua_rawgeti(L, ordered, i);
		const char *kind = kind_of(L, -1), *ns = "";
		if (lua_getfield(L, -1, "metadata") == LUA_TTABLE &&
		    lua_getfield(L, -1, "namespace") == LUA_TSTRING)
			ns = lua_tostring(L, -1);
		count_group(groups, kind, ns);
		lua_settop(L, ordered);
	}
	plan_text(groups, count, text, sizeof text);
	json_t *f = json_pack("{s:i,s:o}", "objects", count, "kinds", groups);
	cd_report_event(sb->ctx->report, "render", "plan", f, text);
	json_decref(f);
}

/* What render mode will print once the recipe has finished: stdout gets
 * the whole product or nothing (no half-rendered output on an error). */
struct pending {
	struct cd_buf out;
	unsigned count;
};

static const char PENDING_KEY = 0;

static int pending_gc(lua_State *L)
{
	struct pending *p = lua_touserdata(L, 1);
	cd_buf_free(&p->out);
	return 0;
}

static struct pending *pending(lua_State *L)
{
	if (lua_rawgetp(L, LUA_REGISTRYINDEX, &PENDING_KEY) == LUA_TUSERDATA) {
		struct pending *p = lua_touserdata(L, -1);
		lua_pop(L, 1);
		return p;
	}
	lua_pop(L, 1);
	struct pending *p = lua_newuserdatauv(L, sizeof *p, 0);
	*p = (struct pending){CD_BUF_INIT, 0};
	lua_createtable(L, 0, 2);
	lua_pushcfunction(L, pending_gc);
	lua_setfield(L, -2, "__gc");
	lua_pushliteral(L, "cdhost: protected");
	lua_setfield(L, -2, "__metatable");
	lua_setmetatable(L, -2);
	lua_rawsetp(L, LUA_REGISTRYINDEX, &PENDING_KEY);
	return p;
}

int cd_l_kube_pending_append(lua_State *L, const char *text, size_t n)
{
	return cd_buf_append(&pending(L)->out, text, n);
}

int cd_l_kube_flush(lua_State *L)
{
	struct pending *p = pending(L);
	size_t n = p->out.len;
	cd_sandbox_get(L)->ctx->stats.rendered += p->count;
	p->count = 0;
	if (n && fwrite(p->out.data, 1, n, stdout) != n)
		return -1;
	cd_buf_free(&p->out);
	return fflush(stdout) == 0 ? 0 : -1;
}

/* The string field k of the value at idx (a table or not), or NULL; the
 * table keeps it alive. */
static const char *str_field(lua_State *L, int idx, const char *k)
{
	const char *v = NULL;
	if (lua_type(L, idx) != LUA_TTABLE)
		return NULL;
	if (lua_getfield(L, idx, k) == LUA_TSTRING)
		v = lua_tostring(L, -1);
	lua_pop(L, 1);
	return v;
}

/* Is the object at idx namespaced: 1, 0, or -1 when unknown? The built-in
 * kinds' table, else a CustomResourceDefinition among the objects being
 * rendered (ordered[1..count]) that defines its kind. */
static int namespaced(lua_State *L, int idx, int ordered, int count)
{
	const char *av = str_field(L, idx, "apiVersion"), *kind = kind_of(L, idx);
	if (!av)
		return -1;
	const char *slash = strrchr(av, '/');
	char group[256];
	snprintf(group, sizeof group, "%.*s", slash ? (int)(slash - av) : 0, av);
	int scope = cd_manifest_scope(group, kind);
	int top = lua_gettop(L);
	for (int i = 1; scope < 0 && i <= count; i++) {
		lua_rawgeti(L, ordered, i);
		if (!strcmp(kind_of(L, -1), "CustomResourceDefinition") &&
		    lua_getfield(L, -1, "spec") == LUA_TTABLE) {
			lua_getfield(L, -1, "names");
			const char *g = str_field(L, -2, "group"),
				   *k = str_field(L, -1, "kind"),
				   *sc = str_field(L, -2, "scope");
			if (g && k && sc && !strcmp(g, group) && !strcmp(k, kind))
				scope = strcmp(sc, "Namespaced") == 0;
		}
		lua_settop(L, top);
	}
	return scope;
}

/* The preview shows where the objects go: a namespaced object without a
 * namespace gets the one kube.apply would send it to (opts.namespace,
 * else --namespace), in a copy — the recipe's own table is not changed.
 * Objects of a kind whose scope is not known offline are left as they
 * are. */
static void place(lua_State *L, int ordered, int count, const char *ns)
{
	for (int i = 1; i <= count; i++) {
		lua_rawgeti(L, ordered, i);
		int obj = lua_gettop(L);
		if (lua_getfield(L, obj, "metadata") == LUA_TTABLE &&
		    !str_field(L, -1, "namespace") &&
		    namespaced(L, obj, ordered, count) == 1) {
			cd_value_copy(L, obj);
			cd_value_copy(L, obj + 1);
			lua_pushstring(L, ns);
			lua_setfield(L, -2, "namespace");
			lua_setfield(L, -2, "metadata");
			lua_rawseti(L, ordered, i);
		}
		lua_settop(L, obj - 1);
	}
}

static void render(lua_State *L, int objs, int n)
{
	struct cd_sandbox *sb = cd_sandbox_get(L);
	int count = n < 0 ? 1 : n;
	const char *ns = str_field(L, objs + 1, "namespace"); /* opts */
	push_ordered(L, objs, n);
	int ordered = lua_gettop(L);
	if (!ns)
		ns = sb->ctx->namespace_;
	if (ns && *ns)
		place(L, ordered, count, ns);
	struct cd_buf *out = cd_lbuf_push(L);
	struct cd_err err;

	for (int i = 1; i <= count; i++) {
		lua_rawgeti(L, ordered, i);
		push_printable(L, -1, sb->ctx->show_secrets);
		if (out->len && cd_buf_puts(out, "---\n") != 0)
			cd_lerr_raise(L, CD_E_NOMEM, "kube.apply", "output too large");
		if (cd_value_to_yaml(L, -1, 0, out, &err) != 0)
			cd_lerr_raise(L, err.code, "kube.apply", "object %d: %s",
				      i, err.msg);
		lua_pop(L, 2);
	}
	struct pending *p = pending(L);
	if ((p->out.len && out->len && cd_buf_puts(&p->out, "---\n") != 0) ||
	    cd_buf_append(&p->out, out->data, out->len) != 0)
		cd_lerr_raise(L, CD_E_NOMEM, "kube.apply", "output too large");
	p->count += (unsigned)count;
	lua_settop(L, ordered);
	report_plan(L, ordered, count);
	lua_pop(L, 1);
}

static int l_apply(lua_State *L)
{
	struct cd_sandbox *sb = cd_sandbox_get(L);
	int n = object_count(L, 1);
	enum cd_action act = cd_ctx_effect(sb->ctx, CD_EFFECT_KUBE_APPLY);

	switch (act) {
	case CD_ACT_PLAN:
		render(L, 1, n);
		break;
	case CD_ACT_SKIP:
		sb->ctx->stats.skipped++;
		cd_report_log(sb->ctx->report, CD_LOG_INFO, "apply",
			      "kube.apply: %d object(s) not applied in %s mode",
			      n < 0 ? 1 : n, cd_ctx_mode_desc(sb->ctx));
		break;
	case CD_ACT_DO:
	case CD_ACT_DIFF:
	case CD_ACT_DELETE:
		return cd_l_kube_apply_cluster(L, act);
	default:
		return cd_lerr_raise(L, CD_E_USAGE, "kube.apply",
				     "not available in %s mode",
				     cd_ctx_mode_desc(sb->ctx));
	}
	cd_value_new(L, CD_VALUE_MAP);
	lua_pushstring(L, cd_mode_name(sb->ctx->mode));
	lua_setfield(L, -2, "mode");
	lua_pushinteger(L, n < 0 ? 1 : n);
	lua_setfield(L, -2, "count");
	lua_pushboolean(L, 0);
	lua_setfield(L, -2, "applied");
	return 1;
}

void cd_l_kube_register(lua_State *L, int t)
{
	static const luaL_Reg fns[] = {{"apply", l_apply}, {NULL, NULL}};
	luaL_newlib(L, fns);
	cd_l_kube_cluster_register(L, lua_gettop(L));
	lua_setfield(L, t, "kube");
}
