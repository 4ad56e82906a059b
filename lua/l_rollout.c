/* lua/l_rollout.c — cdhost.rollout.status (core/status.c) and
 * cdhost.rollout.wait (core/rollout.c).
 *
 *   cdhost.rollout.status(obj [, related [, opts]])
 *     -> {status = "Current"|"InProgress"|"Failed"|"Terminating"|
 *                  "NotFound"|"Unknown", reason = "...", message = "..."}
 *   related: {replicasets = {...}, pods = {...}, events = {...}} (optional)
 *   opts:    {now = epoch seconds | "RFC 3339", expected_generation = N,
 *             lb_ingress = bool, kstatus = bool}
 * obj == nil means the object does not exist (NotFound).
 *
 *   cdhost.rollout.wait(apply_result | objs [, opts])
 *     opts: {timeout = "5m" | seconds, fail_fast = true, on_failure =
 *            "rollback", suspended = "done"|"wait"|"fail", lb_ingress,
 *            kstatus, health_dir, log_lines, context}
 *     -> {objects = {{apiVersion, kind, namespace, name, status, reason,
 *          message, seconds}...}, seconds, requests, lists, watches, relists}
 *   raises rollout_failed (exit 3) or timeout (exit 4) with a diagnosis
 *   printed first. See docs/rollout.md. */
#include <lauxlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/mem.h"
#include "../core/mode.h"
#include "../core/rollout.h"
#include "../core/status.h"
#include "../core/util.h"
#include "health.h"
#include "host.h"
#include "l_kube_cluster.h"
#include "lbuf.h"
#include "lerr.h"
#include "sandbox.h"
#include "stdlib_embed.h"
#include "value.h"
#include "value_jansson.h"

#define OP "rollout.status"

static void decref(void *p)
{
	json_decref(p);
}

/* Converts the value at idx into a json_t owned by a box on the stack. */
static json_t *to_json(lua_State *L, int idx, const char *what)
{
	struct cd_err err;
	json_t *j = NULL;
	idx = lua_absindex(L, idx);
	struct cd_lptr *box = cd_lptr_push(L, NULL, decref);
	if (cd_value_to_jansson(L, idx, &j, &err) != 0)
		cd_lerr_raise(L, CD_E_INVALID, OP, "%s: %s", what, err.msg);
	box->ptr = j;
	return j;
}

static const json_t *related_list(lua_State *L, int rel, const char *name)
{
	const json_t *j;
	if (lua_getfield(L, rel, name) == LUA_TNIL) {
		lua_pop(L, 1);
		return NULL;
	}
	if (!lua_istable(L, -1))
		luaL_error(L, "%s: related.%s must be a list of objects", OP,
			   name);
	j = to_json(L, -1, name);
	lua_remove(L, -2); /* keep the box, drop the table */
	if (!json_is_array(j) && !(json_is_object(j) && json_object_size(j) == 0))
		cd_lerr_raise(L, CD_E_INVALID, OP,
			      "related.%s must be a list of objects", name);
	return json_is_array(j) ? j : NULL;
}

static void read_opts(lua_State *L, int idx, struct cd_status_opts *o)
{
	if (lua_isnoneornil(L, idx))
		return;
	luaL_checktype(L, idx, LUA_TTABLE);
	if (lua_getfield(L, idx, "now") == LUA_TSTRING) {
		o->now = cd_status_parse_time(lua_tostring(L, -1));
		if (o->now < 0)
			cd_lerr_raise(L, CD_E_INVALID, OP,
				      "opts.now: '%s' is not an RFC 3339 time",
				      lua_tostring(L, -1));
	} else if (!lua_isnil(L, -1)) {
		o->now = luaL_checknumber(L, -1);
	}
	if (lua_getfield(L, idx, "expected_generation") != LUA_TNIL)
		o->expected_generation = luaL_checkinteger(L, -1);
	if (lua_getfield(L, idx, "lb_ingress") != LUA_TNIL &&
	    lua_toboolean(L, -1))
		o->flags |= CD_STATUS_LB_INGRESS;
	if (lua_getfield(L, idx, "kstatus") != LUA_TNIL && lua_toboolean(L, -1))
		o->flags |= CD_STATUS_KSTATUS;
	lua_pop(L, 4);
}

static int l_status(lua_State *L)
{
	struct cd_status_opts opts = {0, 0, 0};
	struct cd_status_related rel = {0};
	struct cd_status_result r;
	const json_t *obj = NULL;

	if (!lua_isnoneornil(L, 1) && !lua_istable(L, 1))
		return luaL_typeerror(L, 1, "table (a Kubernetes object) or nil");
	if (!lua_isnoneornil(L, 2))
		luaL_checktype(L, 2, LUA_TTABLE);
	read_opts(L, 3, &opts);
	lua_settop(L, 3);
	if (lua_istable(L, 1))
		obj = to_json(L, 1, "object");
	if (lua_istable(L, 2)) {
		rel.replicasets = related_list(L, 2, "replicasets");
		rel.pods = related_list(L, 2, "pods");
		rel.events = related_list(L, 2, "events");
	}
	cd_status_compute(obj, &rel, &opts, &r);
	lua_createtable(L, 0, 3);
	lua_pushstring(L, cd_status_name(r.status));
	lua_setfield(L, -2, "status");
	lua_pushstring(L, r.reason);
	lua_setfield(L, -2, "reason");
	lua_pushstring(L, r.message);
	lua_setfield(L, -2, "message");
	return 1;
}

/* ---- rollout.wait ---- */

#define WOP "rollout.wait"

struct wait_state {
	struct cd_rollout_item *items;
	size_t n;
	/* health scripts: the directory and what was found per group/kind */
	const char *health_dir;
	struct {
		char key[300];
		char *script; /* from the health dir, or NULL */
		const struct cd_embedded *builtin; /* or built in, or NULL */
	} scripts[32];
	size_t nscripts;
	struct cd_ctx *ctx;
	/* progress */
	struct cd_report *report;
	int table;       /* live table on a terminal */
	int drawn;       /* lines of the table on screen */
	double last_draw;
};

static void wait_state_free(void *p)
{
	struct wait_state *ws = p;
	if (!ws)
		return;
	cd_rollout_items_clear(ws->items, ws->n);
	cd_free(ws->items);
	for (size_t i = 0; i < ws->nscripts; i++)
		cd_free(ws->scripts[i].script);
	cd_free(ws);
}

/* The health script for a kind: --health-dir / the recipe's health_dir
 * first, then the built-in set (lua/health.h); remembered per kind. 1
 * when there is one (*path or *builtin set). */
static int script_for(struct wait_state *ws, const char *api, const char *kind,
		      const char **path, const struct cd_embedded **builtin)
{
	char group[200], key[300];
	const char *slash = strchr(api, '/');
	struct cd_err err;
	snprintf(group, sizeof group, "%.*s", slash ? (int)(slash - api) : 0, api);
	snprintf(key, sizeof key, "%s/%s", group, kind);
	*path = NULL;
	*builtin = NULL;
	for (size_t i = 0; i < ws->nscripts; i++)
		if (!strcmp(ws->scripts[i].key, key)) {
			*path = ws->scripts[i].script;
			*builtin = ws->scripts[i].builtin;
			return *path || *builtin;
		}
	char *found = NULL;
	if (ws->health_dir &&
	    cd_health_find(ws->health_dir, group, kind, &found, &err) != 0)
		found = NULL;
	*builtin = found ? NULL : cd_health_builtin_find(group, kind);
	if (ws->nscripts < sizeof ws->scripts / sizeof *ws->scripts) {
		snprintf(ws->scripts[ws->nscripts].key, sizeof ws->scripts[0].key,
			 "%s", key);
		ws->scripts[ws->nscripts].builtin = *builtin;
		ws->scripts[ws->nscripts++].script = found;
	} else {
		cd_free(found); /* too many kinds to remember: engine rules */
		found = NULL;
		*builtin = NULL;
	}
	*path = found;
	return *path || *builtin;
}

/* Argo CD's words to kstatus's (SPEC section 7). */
static int judge(void *ud, const json_t *obj, struct cd_status_result *res,
		 int *suspended)
{
	struct wait_state *ws = ud;
	struct cd_health_result hr;
	struct cd_err err;
	const char *api = json_string_value(json_object_get(obj, "apiVersion"));
	const char *kind = json_string_value(json_object_get(obj, "kind"));
	const char *script;
	const struct cd_embedded *builtin;
	if (!api || !kind || !script_for(ws, api, kind, &script, &builtin))
		return 0;
	memset(res, 0, sizeof *res);
	*suspended = 0;
	int rc = script ? cd_health_run(script, obj, ws->ctx, &hr, &err)
			: cd_health_run_source(builtin->path, builtin->source,
					       builtin->len, obj, ws->ctx, &hr, &err);
	if (!script)
		script = builtin->path;
	if (rc != 0) {
		res->status = CD_STATUS_UNKNOWN;
		snprintf(res->reason, sizeof res->reason, "HealthScript");
		snprintf(res->message, sizeof res->message, "%s", err.msg);
		return 1;
	}
	static const struct {
		const char *word;
		enum cd_status st;
	} map[] = {{"Healthy", CD_STATUS_CURRENT},
		   {"Progressing", CD_STATUS_IN_PROGRESS},
		   {"Degraded", CD_STATUS_FAILED},
		   {"Suspended", CD_STATUS_CURRENT},
		   {"Missing", CD_STATUS_NOT_FOUND}};
	res->status = CD_STATUS_UNKNOWN;
	for (size_t i = 0; i < sizeof map / sizeof *map; i++)
		if (!hr.failed && !strcmp(hr.status, map[i].word))
			res->status = map[i].st;
	*suspended = !hr.failed && !strcmp(hr.status, "Suspended");
	snprintf(res->reason, sizeof res->reason, "%s",
		 hr.failed ? "HealthScriptError" : *hr.status ? hr.status : "Unknown");
	if (hr.failed)
		snprintf(res->message, sizeof res->message, "%s: %s", script,
			 hr.message);
	else
		snprintf(res->message, sizeof res->message, "%s%s(health script %s)",
			 hr.message, *hr.message ? " " : "", script);
	return 1;
}

static void item_name(const struct cd_rollout_item *it, char *out, size_t n)
{
	if (*it->namespace_)
		snprintf(out, n, "%s %s/%s", it->kind, it->namespace_, it->name);
	else
		snprintf(out, n, "%s %s", it->kind, it->name);
}

static const char *shown_status(const struct cd_rollout_item *it)
{
	if (it->suspended)
		return "Suspended";
	if (it->timed_out)
		return "Timeout";
	return cd_status_name(it->res.status);
}

static json_t *item_json(const struct cd_rollout_item *it)
{
	return json_pack("{s:{s:s,s:s,s:s,s:s},s:s,s:s,s:s,s:f}", "object",
			 "apiVersion", it->api_version, "kind", it->kind,
			 "namespace", it->namespace_, "name", it->name, "status",
			 shown_status(it), "reason", it->res.reason, "message",
			 it->res.message, "seconds", it->seconds);
}

static void draw_table(struct wait_state *ws, const struct cd_rollout_item *items,
		       size_t n, int final)
{
	FILE *f = ws->report->out;
	double now = cd_now();
	if (!final && now - ws->last_draw < 0.1)
		return;
	ws->last_draw = now;
	if (ws->drawn)
		fprintf(f, "\033[%dA", ws->drawn);
	ws->drawn = 0;
	for (size_t i = 0; i < n; i++) {
		char name[400];
		const struct cd_rollout_item *it = &items[i];
		const char *colour = it->done ? "\033[32m"
				     : it->failed || it->timed_out ? "\033[31m"
								     : "\033[33m";
		item_name(it, name, sizeof name);
		fprintf(f, "\033[2K  %-40.40s %s%-11s%s %7s  %.90s\n", name,
			ws->report->color ? colour : "", shown_status(it),
			ws->report->color ? "\033[0m" : "", it->ready,
			it->res.message);
		ws->drawn++;
	}
	fflush(f);
}

static void progress(void *ud, const struct cd_rollout_item *items, size_t n,
		     size_t changed, int final)
{
	struct wait_state *ws = ud;
	struct cd_report *r = ws->report;
	if (!r || r->verbosity < 0)
		return;
	if (ws->table) {
		draw_table(ws, items, n, final);
		return;
	}
	if (changed >= n)
		return;
	const struct cd_rollout_item *it = &items[changed];
	char name[400], line[1600];
	json_t *fields = item_json(it);
	item_name(it, name, sizeof name);
	snprintf(line, sizeof line, "%s: %s%s%s", name, shown_status(it),
		 *it->res.message ? ": " : "", it->res.message);
	cd_report_event(r, "wait", "status", fields, line);
	json_decref(fields);
}

/* The diagnosis of what failed or did not finish, before the error. */
static void report_diagnosis(struct wait_state *ws)
{
	for (size_t i = 0; i < ws->n; i++) {
		const struct cd_rollout_item *it = &ws->items[i];
		char name[400];
		if (it->done)
			continue;
		item_name(it, name, sizeof name);
		json_t *fields = item_json(it);
		json_object_set_new(fields, "pod", json_string(it->res.pod));
		json_object_set_new(fields, "container", json_string(it->res.container));
		json_object_set_new(fields, "detail", json_string(it->detail ? it->detail : ""));
		struct cd_buf text = {0};
		cd_buf_printf(&text, "%s %s: %s%s%s", it->failed ? "FAILED" : "not ready",
			      name, it->res.reason, *it->res.message ? ": " : "",
			      it->res.message);
		if (it->detail) {
			size_t l = strlen(it->detail);
			cd_buf_printf(&text, "\n%.*s", (int)(l && it->detail[l - 1] == '\n' ? l - 1 : l),
				      it->detail);
		}
		cd_report_event(ws->report, "wait", "diagnosis", fields,
				text.data ? text.data : name);
		cd_buf_free(&text);
		json_decref(fields);
	}
}

static const char *field_str(lua_State *L, int t, const char *a, const char *b)
{
	const char *s = NULL;
	if (lua_getfield(L, t, a) == LUA_TSTRING)
		s = lua_tostring(L, -1);
	lua_pop(L, 1);
	if (s || !b)
		return s;
	if (lua_getfield(L, t, "metadata") == LUA_TTABLE) {
		if (lua_getfield(L, -1, b) == LUA_TSTRING)
			s = lua_tostring(L, -1);
		lua_pop(L, 1);
	}
	lua_pop(L, 1);
	return s;
}

static long long field_int(lua_State *L, int t, const char *key)
{
	long long v = 0;
	if (lua_getfield(L, t, key) == LUA_TNUMBER && lua_isinteger(L, -1))
		v = lua_tointeger(L, -1);
	lua_pop(L, 1);
	if (v || lua_getfield(L, t, "metadata") != LUA_TTABLE) {
		if (!v)
			lua_pop(L, 1);
		return v;
	}
	if (lua_getfield(L, -1, key) == LUA_TNUMBER && lua_isinteger(L, -1))
		v = lua_tointeger(L, -1);
	lua_pop(L, 2);
	return v;
}

/* Reads the objects (an apply result, a list of objects, or one object)
 * into ws->items, leaving out what there is nothing to wait for. */
static void read_items(lua_State *L, int idx, struct wait_state *ws, int deletion)
{
	luaL_checktype(L, idx, LUA_TTABLE);
	lua_getfield(L, idx, "kind");
	int single = !lua_isnil(L, -1);
	lua_pop(L, 1);
	size_t n = single ? 1 : (size_t)luaL_len(L, idx);
	ws->items = cd_calloc(n ? n : 1, sizeof *ws->items);
	if (!ws->items)
		cd_lerr_raise(L, CD_E_NOMEM, WOP, "out of memory");
	for (size_t i = 1; i <= n; i++) {
		if (single)
			lua_pushvalue(L, idx);
		else
			lua_geti(L, idx, (lua_Integer)i);
		int t = lua_gettop(L);
		if (!lua_istable(L, t))
			cd_lerr_raise(L, CD_E_INVALID, WOP,
				      "entry %zu is a %s, not an object or apply result",
				      i, luaL_typename(L, t));
		const char *api = field_str(L, t, "apiVersion", NULL);
		const char *kind = field_str(L, t, "kind", NULL);
		const char *name = field_str(L, t, "name", "name");
		const char *ns = field_str(L, t, "namespace", "namespace");
		const char *action = field_str(L, t, "action", NULL);
		if (!api || !kind || !name || !*name)
			cd_lerr_raise(L, CD_E_INVALID, WOP,
				      "entry %zu has no %s", i,
				      !api ? "apiVersion" : !kind ? "kind" : "name");
		if (strlen(api) >= sizeof ws->items->api_version ||
		    strlen(kind) >= sizeof ws->items->kind ||
		    strlen(name) >= sizeof ws->items->name ||
		    (ns && strlen(ns) >= sizeof ws->items->namespace_))
			cd_lerr_raise(L, CD_E_INVALID, WOP, "entry %zu: a name is too long", i);
		int pruned = action && (!strcmp(action, "pruned") || !strcmp(action, "deleted"));
		if ((!deletion && (pruned || cd_rollout_nothing_to_wait(api, kind)))) {
			lua_pop(L, 1);
			continue;
		}
		struct cd_rollout_item *it = &ws->items[ws->n++];
		snprintf(it->api_version, sizeof it->api_version, "%s", api);
		snprintf(it->kind, sizeof it->kind, "%s", kind);
		snprintf(it->name, sizeof it->name, "%s", name);
		snprintf(it->namespace_, sizeof it->namespace_, "%s", ns ? ns : "");
		it->generation = deletion ? 0 : field_int(L, t, "generation");
		lua_pop(L, 1);
	}
}

static double opt_timeout(lua_State *L, int o)
{
	double secs = 300;
	struct cd_err err;
	int t = lua_getfield(L, o, "timeout");
	if (t == LUA_TNUMBER)
		secs = lua_tonumber(L, -1);
	else if (t == LUA_TSTRING) {
		if (cd_parse_duration(lua_tostring(L, -1), &secs, &err) != 0)
			cd_lerr_raise(L, CD_E_INVALID, WOP, "timeout: %s", err.msg);
	} else if (t != LUA_TNIL)
		cd_lerr_raise(L, CD_E_INVALID, WOP,
			      "timeout must be a duration (\"5m\") or seconds");
	lua_pop(L, 1);
	if (secs < 0)
		cd_lerr_raise(L, CD_E_INVALID, WOP, "timeout must not be negative");
	return secs;
}

static int opt_flag(lua_State *L, int o, const char *key, int def)
{
	int t = lua_getfield(L, o, key), v = def;
	if (t == LUA_TBOOLEAN)
		v = lua_toboolean(L, -1);
	else if (t != LUA_TNIL)
		cd_lerr_raise(L, CD_E_INVALID, WOP, "option '%s' must be a boolean", key);
	lua_pop(L, 1);
	return v;
}

static const char *opt_word(lua_State *L, int o, const char *key,
			    const char *const *allowed)
{
	int t = lua_getfield(L, o, key);
	const char *s = t == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
	lua_pop(L, 1); /* the options table keeps the string */
	if (t == LUA_TNIL)
		return NULL;
	for (int i = 0; s && allowed[i]; i++)
		if (!strcmp(s, allowed[i]))
			return s;
	if (!allowed[0]) {
		if (s)
			return s;
		cd_lerr_raise(L, CD_E_INVALID, WOP, "option '%s' must be a string", key);
	}
	char list[200] = "";
	for (int i = 0; allowed[i]; i++)
		snprintf(list + strlen(list), sizeof list - strlen(list), "%s\"%s\"",
			 i ? ", " : "", allowed[i]);
	return cd_lerr_raise(L, CD_E_INVALID, WOP, "option '%s' must be one of %s",
			     key, list),
	       NULL;
}

static void push_result(lua_State *L, const struct wait_state *ws,
			const struct cd_rollout_stats *st, int waited)
{
	cd_value_new(L, CD_VALUE_MAP);
	cd_value_new(L, CD_VALUE_LIST);
	for (size_t i = 0; i < ws->n; i++) {
		json_t *j = item_json(&ws->items[i]);
		struct cd_err err;
		if (!j || cd_value_push_jansson(L, j, 0, &err) != 0) {
			json_decref(j);
			cd_lerr_raise(L, CD_E_NOMEM, WOP, "out of memory");
		}
		json_decref(j);
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
	lua_setfield(L, -2, "objects");
	lua_pushboolean(L, waited);
	lua_setfield(L, -2, "waited");
	lua_pushnumber(L, st->seconds);
	lua_setfield(L, -2, "seconds");
	lua_pushinteger(L, (lua_Integer)st->requests);
	lua_setfield(L, -2, "requests");
	lua_pushinteger(L, st->lists);
	lua_setfield(L, -2, "lists");
	lua_pushinteger(L, st->watches);
	lua_setfield(L, -2, "watches");
	lua_pushinteger(L, st->relists);
	lua_setfield(L, -2, "relists");
	lua_pushinteger(L, st->reconnects);
	lua_setfield(L, -2, "reconnects");
}

/* on_failure = "rollback": the failed workloads go back to their previous
 * revision and are waited for; the run still fails. */
static void rollback(lua_State *L, struct cd_kube *k, struct wait_state *ws,
		     const struct cd_rollout_opts *o, struct cd_err *err)
{
	struct cd_rollout_item *again = cd_calloc(ws->n ? ws->n : 1, sizeof *again);
	size_t m = 0;
	char note[600] = "";
	(void)L;
	if (!again)
		return;
	for (size_t i = 0; i < ws->n; i++) {
		struct cd_rollout_item *it = &ws->items[i];
		char what[64], name[400];
		struct cd_err e;
		if (!it->failed)
			continue;
		item_name(it, name, sizeof name);
		if (cd_rollout_undo(k, it, what, sizeof what, &e) != 0) {
			cd_report_log(ws->report, CD_LOG_WARN, "wait",
				      "rollback of %s: %s", name, e.msg);
			continue;
		}
		cd_report_log(ws->report, CD_LOG_WARN, "wait",
			      "rolling %s back to %s", name, what);
		again[m] = *it;
		again[m].detail = NULL;
		again[m].done = again[m].failed = again[m].timed_out = 0;
		again[m].seen = again[m].suspended = 0;
		m++;
		snprintf(note + strlen(note), sizeof note - strlen(note), "%s%s to %s",
			 strlen(note) ? ", " : "", name, what);
	}
	if (m) {
		struct cd_rollout_stats st;
		struct cd_err e;
		struct cd_rollout_opts o2 = *o;
		o2.progress = NULL;
		int rc = cd_rollout_wait(k, again, m, &o2, &st, &e);
		cd_report_log(ws->report, rc == 0 ? CD_LOG_INFO : CD_LOG_ERROR, "wait",
			      "rollback %s: %s", rc == 0 ? "done" : "failed",
			      rc == 0 ? note : e.msg);
		cd_err_wrap(err, "rolled back %s%s", note,
			    rc == 0 ? "" : " (the rollback did not become ready)");
		cd_rollout_items_clear(again, m);
	}
	cd_free(again);
}

static int l_wait(lua_State *L)
{
	struct cd_sandbox *sb = cd_sandbox_get(L);
	struct cd_ctx *ctx = sb->ctx;
	enum cd_action act = cd_ctx_effect(ctx, CD_EFFECT_ROLLOUT_WAIT);
	static const char *const suspended_words[] = {"done", "wait", "fail", NULL};
	static const char *const failure_words[] = {"rollback", "fail", NULL};
	static const char *const any[] = {NULL};
	struct cd_rollout_stats st = {0};
	struct cd_err err;

	if (!lua_isnoneornil(L, 2))
		luaL_checktype(L, 2, LUA_TTABLE);
	else {
		lua_settop(L, 1);
		lua_newtable(L);
	}
	lua_settop(L, 2);
	struct cd_lptr *box = cd_lptr_push(L, NULL, wait_state_free);
	struct wait_state *ws = cd_calloc(1, sizeof *ws);
	if (!ws)
		return cd_lerr_raise(L, CD_E_NOMEM, WOP, "out of memory");
	box->ptr = ws;
	struct cd_rollout_opts o = {
		.timeout = opt_timeout(L, 2),
		.fail_fast = opt_flag(L, 2, "fail_fast", 1),
		.deletion = act == CD_ACT_WAIT_GONE,
		.judge = judge,
		.judge_ud = ws,
		.progress = progress,
		.progress_ud = ws,
	};
	const char *susp = opt_word(L, 2, "suspended", suspended_words);
	o.suspended = !susp || !strcmp(susp, "done") ? CD_SUSPENDED_DONE
		      : !strcmp(susp, "wait")        ? CD_SUSPENDED_WAIT
						     : CD_SUSPENDED_FAIL;
	const char *on_failure = opt_word(L, 2, "on_failure", failure_words);
	if (opt_flag(L, 2, "lb_ingress", 0))
		o.status_flags |= CD_STATUS_LB_INGRESS;
	if (opt_flag(L, 2, "kstatus", 0))
		o.status_flags |= CD_STATUS_KSTATUS;
	if (lua_getfield(L, 2, "log_lines") != LUA_TNIL) {
		if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < 0 ||
		    lua_tointeger(L, -1) > 1000)
			cd_lerr_raise(L, CD_E_INVALID, WOP,
				      "log_lines must be an integer from 0 to 1000");
		o.log_lines = (int)lua_tointeger(L, -1);
	}
	lua_pop(L, 1);
	ws->health_dir = opt_word(L, 2, "health_dir", any);
	if (!ws->health_dir)
		ws->health_dir = ctx->health_dir;
	const char *context = opt_word(L, 2, "context", any);
	ws->ctx = ctx;
	ws->report = ctx->report;
	read_items(L, 1, ws, o.deletion);

	if (act != CD_ACT_DO && act != CD_ACT_WAIT_GONE) {
		cd_report_log(ctx->report, CD_LOG_INFO, "wait",
			      "rollout.wait: not waiting in %s mode",
			      cd_ctx_mode_desc(ctx));
		push_result(L, ws, &st, 0);
		return 1;
	}
	struct cd_kube *k = cd_l_kube_client(L, WOP, context);
	ws->table = ctx->report && ctx->report->tty &&
		    ctx->report->format == CD_FORMAT_TEXT && ws->n > 0;
	if (ws->n)
		cd_report_log(ctx->report, CD_LOG_INFO, "wait",
			      "rollout.wait: %s %zu object(s)%s",
			      o.deletion ? "waiting for the deletion of" : "waiting for",
			      ws->n, o.fail_fast ? "" : " (fail_fast off)");
	int rc = cd_rollout_wait(k, ws->items, ws->n, &o, &st, &err);
	if (rc != 0) {
		report_diagnosis(ws);
		if (err.code == CD_E_ROLLOUT_FAILED && on_failure &&
		    !strcmp(on_failure, "rollback"))
			rollback(L, k, ws, &o, &err);
		return cd_lerr_raise_err(L, &err);
	}
	ctx->stats.ready += (unsigned)ws->n;
	cd_report_log(ctx->report, CD_LOG_INFO, "wait",
		      "rollout.wait: %zu object(s) ready in %.1fs (%u list(s), %u watch(es), %lu request(s))",
		      ws->n, st.seconds, st.lists, st.watches, st.requests);
	for (size_t i = 0; i < ws->n; i++)
		if (ws->items[i].suspended) {
			char name[400];
			item_name(&ws->items[i], name, sizeof name);
			cd_report_log(ctx->report, CD_LOG_WARN, "wait",
				      "%s is Suspended: %s", name, ws->items[i].res.message);
		}
	push_result(L, ws, &st, 1);
	return 1;
}

void cd_l_rollout_register(lua_State *L, int t)
{
	static const luaL_Reg fns[] = {
		{"status", l_status}, {"wait", l_wait}, {NULL, NULL}};
	t = lua_absindex(L, t);
	if (lua_getfield(L, t, "rollout") != LUA_TTABLE) {
		lua_pop(L, 1);
		lua_newtable(L);
		lua_pushvalue(L, -1);
		lua_setfield(L, t, "rollout");
	}
	luaL_setfuncs(L, fns, 0);
	lua_pop(L, 1);
}
