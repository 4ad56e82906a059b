#include "run.h"

#include <lauxlib.h>
#include <stdio.h>
#include <string.h>

#include "../core/fs.h"
#include "../core/mem.h"
#include "../core/util.h"
#include "host.h"
#include "lbuf.h"
#include "lerr.h"
#include "sandbox.h"

/* The number of the deepest stack level (binary search: lua_getstack is
 * linear in the level, and the stack may be 200,000 frames deep). */
static int last_level(lua_State *L)
{
	lua_Debug ar;
	int lo = 1, hi = 1;
	while (lua_getstack(L, hi, &ar)) {
		lo = hi;
		hi *= 2;
	}
	while (lo < hi - 1) {
		int mid = lo + (hi - lo) / 2;
		if (lua_getstack(L, mid, &ar))
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

static int push_frame(lua_State *L, int level)
{
	lua_Debug ar;
	if (!lua_getstack(L, level, &ar) || !lua_getinfo(L, "Sln", &ar) ||
	    ar.source[0] != '@')
		return 0;
	if (ar.name)
		lua_pushfstring(L, "%s:%d: in %s '%s'", ar.short_src,
				ar.currentline,
				*ar.namewhat ? ar.namewhat : "function", ar.name);
	else if (*ar.what == 'm')
		lua_pushfstring(L, "%s:%d: in main chunk", ar.short_src,
				ar.currentline);
	else
		lua_pushfstring(L, "%s:%d: in function <%s:%d>", ar.short_src,
				ar.currentline, ar.short_src, ar.linedefined);
	return 1;
}

#define TRACE_FIRST 12 /* innermost levels shown */
#define TRACE_LAST 8   /* outermost levels shown */

/* Appends the recipe frames of the stack (file-backed chunks only: no C
 * functions, no embedded stdlib) to the error object at idx; a deep stack
 * shows its innermost and outermost levels, as luaL_traceback does. */
static void add_traceback(lua_State *L, int idx)
{
	int n = 0, last = last_level(L);
	lua_newtable(L);
	for (int level = 1; level <= last; level++) {
		if (level == TRACE_FIRST + 1 && last > TRACE_FIRST + TRACE_LAST) {
			lua_pushfstring(L, "...(skipping %d levels)",
					last - TRACE_FIRST - TRACE_LAST);
			lua_rawseti(L, -2, ++n);
			level = last - TRACE_LAST + 1;
		}
		if (push_frame(L, level))
			lua_rawseti(L, -2, ++n);
	}
	lua_setfield(L, idx, "traceback");
}

/* Message handler: every error leaves as a cdhost error object with a
 * trimmed traceback; a tripped limit is passed through untouched (memory
 * may be exhausted, and its object is shared). */
static int msgh(lua_State *L)
{
	struct cd_sandbox *sb = cd_sandbox_get(L);
	if (atomic_load(&sb->tripped))
		return 1;
	if (cd_lerr_check(L, 1, NULL, NULL) == CD_CODE_COUNT) {
		const char *msg = luaL_tolstring(L, 1, NULL);
		cd_lerr_push(L, CD_E_RECIPE, "", msg);
		lua_pushliteral(L, "");
		lua_setfield(L, -2, "where"); /* Lua's message has file:line */
		lua_replace(L, 1);
		lua_settop(L, 1);
	}
	add_traceback(L, 1);
	return 1;
}

static int load_recipe(lua_State *L)
{
	struct cd_sandbox *sb = cd_sandbox_get(L);
	struct cd_err err;
	char *src = NULL;
	size_t len = 0;
	const char *path = sb->ctx->recipe;

	struct cd_lptr *box = cd_lptr_push(L, NULL, cd_free);
	if (cd_fs_read_path(path, 0, &src, &len, &err) != 0) {
		err.code = CD_E_USAGE;
		return cd_lerr_raise_err(L, &err);
	}
	box->ptr = src;
	lua_pushfstring(L, "@%s", path);
	if (cd_sandbox_load(L, src, len, lua_tostring(L, -1)) != LUA_OK)
		return cd_lerr_raise(L, CD_E_RECIPE, "", "%s",
				     lua_tostring(L, -1));
	return 1;
}

/* Opens the host and loads the recipe under protection, then runs it. */
static int boot(lua_State *L)
{
	cd_host_open(L);
	load_recipe(L);
	lua_call(L, 0, 0);
	return 0;
}

static void report_error(struct cd_sandbox *sb, struct cd_report *rep,
			 lua_State *L, int idx, int exit_code)
{
	const char *op = NULL, *msg = NULL;
	enum cd_code code = cd_lerr_check(L, idx, &op, &msg);
	lua_getfield(L, idx, "where");
	const char *where = lua_tostring(L, -1);
	if ((!where || !*where) && atomic_load(&sb->tripped))
		where = sb->trip_where;
	lua_pop(L, 1); /* the table keeps the string alive */
	if (code == CD_CODE_COUNT) {
		msg = luaL_tolstring(L, idx, NULL);
		code = CD_E_RECIPE;
		op = "";
	}
	/* A stop signal ended the run: say so, whatever error it surfaced as
	 * (the sandbox's deadline trip, an HTTP wait, a builder stopped). */
	const char *code_name = cd_code_name(code);
	if (atomic_load(&cd_stop_signal)) {
		code_name = "interrupted";
		if (atomic_load(&sb->tripped) == CD_TRIP_TIMEOUT)
			msg = cd_deadline_why();
	}
	if (rep->format == CD_FORMAT_JSON) {
		json_t *tb = json_array();
		if (lua_getfield(L, idx, "traceback") == LUA_TTABLE)
			for (lua_Integer i = 1; lua_geti(L, -1, i) == LUA_TSTRING; i++) {
				json_array_append_new(tb, json_string(lua_tostring(L, -1)));
				lua_pop(L, 1);
			}
		cd_report_error(rep, "recipe", code_name, op, msg, where,
				exit_code, tb, NULL);
		return;
	}
	cd_report_log(rep, CD_LOG_ERROR, "recipe", "%s%s%s%s%s [%s]",
		      where && *where ? where : "", where && *where ? " " : "",
		      op && *op ? op : "", op && *op ? ": " : "", msg ? msg : "",
		      code_name);
	if (lua_getfield(L, idx, "traceback") == LUA_TTABLE &&
	    luaL_len(L, -1) > 0) {
		fputs("stack traceback (recipe frames):\n", rep->out);
		for (lua_Integer i = 1; lua_geti(L, -1, i) == LUA_TSTRING; i++) {
			fprintf(rep->out, "  %s\n", lua_tostring(L, -1));
			lua_pop(L, 1);
		}
	}
}

static void report_summary(struct cd_cli *cli, int exit_code, double secs)
{
	struct cd_ctx *c = &cli->ctx;
	char t[32], line[512], what[256] = "";
	size_t n = 0;
	cd_format_duration(secs, t, sizeof t);
	/* What the run did, by the effects that happened. */
	if (c->stats.built || c->stats.found)
		n += (size_t)snprintf(what + n, sizeof what - n,
				      "%s%u image(s) built, %u unchanged",
				      n ? "; " : "", c->stats.built, c->stats.found);
	if (c->stats.applied && n < sizeof what)
		n += (size_t)snprintf(what + n, sizeof what - n,
				      "%s%u object(s) %s (%u changed)",
				      n ? "; " : "", c->stats.applied,
				      c->mode == CD_MODE_DELETE ? "deleted" : "applied",
				      c->stats.changed);
	if (c->stats.ready && n < sizeof what)
		n += (size_t)snprintf(what + n, sizeof what - n,
				      "%s%u ready", n ? "; " : "", c->stats.ready);
	if (c->dry_run && c->mode == CD_MODE_DELETE && n < sizeof what)
		n += (size_t)snprintf(what + n, sizeof what - n,
				      "%s%u object(s) would be deleted",
				      n ? "; " : "", c->stats.changed);
	if (c->mode == CD_MODE_DIFF && n < sizeof what)
		n += (size_t)(c->stats.changed
			? snprintf(what + n, sizeof what - n, "%s%u object(s) differ",
				   n ? "; " : "", c->stats.changed)
			: snprintf(what + n, sizeof what - n, "%sno differences found",
				   n ? "; " : ""));
	if (c->stats.rendered && n < sizeof what)
		n += (size_t)snprintf(what + n, sizeof what - n,
				      "%s%u object(s) rendered", n ? "; " : "",
				      c->stats.rendered);
	if (!n) /* nothing happened: say so in the mode's words */
		snprintf(what, sizeof what, "%s",
			 c->mode == CD_MODE_RENDER   ? "0 object(s) rendered"
			 : c->mode == CD_MODE_BUILD  ? "nothing built"
			 : c->mode == CD_MODE_DELETE ? "0 object(s) deleted"
						     : "nothing applied");
	snprintf(line, sizeof line, "%s of %s %s in %s: %s", cd_ctx_mode_desc(c),
		 c->recipe,
		 !exit_code ? "finished"
		 : atomic_load(&cd_stop_signal) ? "interrupted" : "failed",
		 t, what);
	if (c->report->format == CD_FORMAT_JSON) {
		json_t *f = json_pack("{s:s, s:b, s:s, s:i, s:f, s:i, s:i, s:i, s:i, s:i, s:i, s:i}",
				      "mode", cd_mode_name(c->mode),
				      "dry_run", c->dry_run, "recipe",
				      c->recipe, "exit", exit_code, "seconds",
				      secs, "rendered", (int)c->stats.rendered,
				      "skipped", (int)c->stats.skipped,
				      "built", (int)c->stats.built,
				      "found", (int)c->stats.found,
				      "applied", (int)c->stats.applied,
				      "changed", (int)c->stats.changed,
				      "ready", (int)c->stats.ready);
		cd_report_event(c->report, "recipe", "summary", f, NULL);
		json_decref(f);
	} else if (cli->verbosity >= 0) {
		cd_report_log(c->report, CD_LOG_INFO, "recipe", "%s", line);
	}
}

/* A run that ends before its recipe starts (no recipe file, no Lua state):
 * the error, then the summary, as every failed run. */
static int fail_early(struct cd_cli *cli, enum cd_code code, const char *op,
		      const char *msg)
{
	struct cd_report *rep = cli->ctx.report;
	int exit_code = cd_code_exit(code);
	if (rep->format == CD_FORMAT_JSON)
		cd_report_error(rep, "recipe", cd_code_name(code), op, msg, "",
				exit_code, NULL, NULL);
	else
		cd_report_log(rep, CD_LOG_ERROR, "recipe", "%s [%s]", msg,
			      cd_code_name(code));
	report_summary(cli, exit_code, cd_now() - cli->ctx.started);
	return exit_code;
}

static int exit_code_of(struct cd_sandbox *sb, lua_State *L, int status)
{
	int trip = cd_sandbox_exit_code(sb);
	if (trip)
		return trip;
	if (status == LUA_OK)
		return 0;
	enum cd_code code = cd_lerr_check(L, -1, NULL, NULL);
	/* Only the sandbox itself ends a run with 5: an error object whose
	 * code a recipe set to "limit" is an ordinary error. */
	if (code == CD_CODE_COUNT || code == CD_E_LIMIT)
		return 1;
	return cd_code_exit(code);
}

int cd_run_recipe(struct cd_cli *cli)
{
	struct cd_ctx *c = &cli->ctx;
	struct cd_report rep;
	struct cd_sandbox sb;
	struct cd_err err;
	char *root = NULL;
	int exit_code;

	cd_report_init(&rep, stderr, cli->json ? CD_FORMAT_JSON : CD_FORMAT_TEXT,
		       cli->verbosity, cli->no_color);
	c->report = &rep;
	c->recipe = cli->recipe;
	c->started = cd_now();
	cd_stop_signals_install();
	if (cli->limits.timeout > 0)
		c->deadline = c->started + cli->limits.timeout;
	if (cd_fs_project_root(cli->recipe, &root, &err) != 0)
		return fail_early(cli, err.code, err.op, err.msg);
	c->root = root;
	if (cd_sandbox_init(&sb, &cli->limits, c) != 0) {
		cd_free(root);
		c->root = NULL;
		return fail_early(cli, CD_E_LIMIT, "",
				  "cannot create the Lua state (memory limit "
				  "too small?)");
	}
	lua_State *L = sb.L;
	cd_sandbox_watchdog_start(&sb);
	lua_pushcfunction(L, msgh);
	lua_pushcfunction(L, boot);
	int status = lua_pcall(L, 0, 0, 1);
	cd_sandbox_watchdog_stop(&sb);
	sb.unrestricted = 1; /* from here on the host reports */
	exit_code = exit_code_of(&sb, L, status);
	if (exit_code == 0 && cd_l_kube_flush(L) != 0)
		exit_code = 1; /* reported as a stdout write error below */
	if (exit_code == 0 && cd_l_image_flush(L) != 0)
		exit_code = 1;
	if (atomic_load(&sb.tripped))
		cd_sandbox_push_trip(L); /* from the C record: the trip wins */
	if (exit_code && atomic_load(&cd_stop_signal))
		exit_code = 128 + atomic_load(&cd_stop_signal); /* as a shell does */
	if (status != LUA_OK || atomic_load(&sb.tripped))
		report_error(&sb, &rep, L, lua_gettop(L), exit_code);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		cd_report_log(&rep, CD_LOG_ERROR, "recipe",
			      "cannot write to stdout [io]");
		exit_code = exit_code ? exit_code : 1;
	}
	report_summary(cli, exit_code, cd_now() - c->started);
	cd_sandbox_close(&sb);
	cd_free(root);
	return exit_code;
}
