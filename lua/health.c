/* lua/health.c — Argo CD health.lua scripts and the `health` command.
 *
 * Argo CD's contract (util/lua/lua.go, research notes in
 * ../shared/reference/rollout-waits.md section 4): a fresh state per call,
 * the object as global `obj` with JSON nulls omitted, a return value of
 * {status=, message=}; nil or {} is the empty status, an unknown status is
 * Unknown "Lua returned an invalid health status", a non-table return is an
 * error. Scripts get PUC Lua 5.4 with integers kept as integers, plus the
 * table.getn shim Lua 5.1 scripts (gopher-lua) need. */
#include "health.h"

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <lauxlib.h>
#include <lualib.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../core/fs.h"
#include "../core/mem.h"
#include "../core/status.h"
#include "../core/util.h"
#include "cli.h"
#include "lerr.h"
#include "sandbox.h"
#include "stdlib_embed.h"
#include "value.h"
#include "value_jansson.h"

static const char *const words[] = {"Healthy",   "Progressing", "Degraded",
				    "Suspended", "Missing",     "Unknown",
				    NULL};

int cd_health_valid(const char *s)
{
	for (int i = 0; s && words[i]; i++)
		if (strcmp(s, words[i]) == 0)
			return 1;
	return 0;
}

/* kstatus words -> Argo's (docs/internals/status.md). */
static const char *argo_word(enum cd_status s)
{
	static const char *const map[CD_STATUS_COUNT] = {
		[CD_STATUS_CURRENT] = "Healthy",
		[CD_STATUS_IN_PROGRESS] = "Progressing",
		[CD_STATUS_FAILED] = "Degraded",
		[CD_STATUS_TERMINATING] = "Progressing",
		[CD_STATUS_NOT_FOUND] = "Missing",
		[CD_STATUS_UNKNOWN] = "Unknown"};
	return s < CD_STATUS_COUNT ? map[s] : "Unknown";
}

static void group_kind(const json_t *obj, char *group, size_t gn,
		       const char **kind)
{
	const char *api = json_string_value(json_object_get(obj, "apiVersion"));
	const char *slash = api ? strchr(api, '/') : NULL;
	snprintf(group, gn, "%.*s", slash ? (int)(slash - api) : 0,
		 slash ? api : "");
	*kind = json_string_value(json_object_get(obj, "kind"));
}

/* ---- lookup ---- */

static int is_file(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static void make_key(char *key, size_t n, const char *group, const char *kind)
{
	snprintf(key, n, "%s%s%s", group, *group ? "/" : "", kind);
}

/* Argo CD's wildcard directories: `_` in dirkey (n bytes, "group/Kind")
 * matches anything within one path segment. */
static int wild_match(const char *dirkey, size_t n, const char *key)
{
	char pat[512];
	if (n >= sizeof pat || !memchr(dirkey, '_', n))
		return 0;
	for (size_t k = 0; k < n; k++)
		pat[k] = dirkey[k] == '_' ? '*' : dirkey[k];
	pat[n] = '\0';
	return fnmatch(pat, key, FNM_PATHNAME) == 0;
}

/* A group as Kubernetes allows one (lower-case DNS subdomain) or a kind
 * (letters and digits): what may become a path under --health-dir. An
 * object naming "../x" must not pick a script outside it. */
static int key_part_ok(const char *s, int group)
{
	if (!s || !*s)
		return group; /* the core group is empty; a kind never is */
	if (*s == '.' || *s == '-')
		return 0;
	for (const char *p = s; *p; p++) {
		int c = (unsigned char)*p;
		int ok = group ? (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
				      c == '-' || (c == '.' && p[1] != '.')
			       : (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
				      (c >= '0' && c <= '9');
		if (!ok)
			return 0;
	}
	return 1;
}

int cd_health_find(const char *dir, const char *group, const char *kind,
		   char **out, struct cd_err *err)
{
	char key[512], path[1024], *root = NULL;
	struct cd_fs_list l = {0};
	int rc = 0;

	*out = NULL;
	if (!dir || !kind || !*kind || !key_part_ok(group, 1) ||
	    !key_part_ok(kind, 0))
		return 0;
	make_key(key, sizeof key, group, kind);
	snprintf(path, sizeof path, "%s/%s/health.lua", dir, key);
	if (is_file(path))
		return (*out = cd_strdup(path)) ? 0
			: cd_err_set(err, CD_E_NOMEM, "health", "out of memory");
	if (!(root = realpath(dir, NULL)))
		return cd_err_set(err, CD_E_USAGE, "health",
				  "--health-dir %s: not a directory", dir);
	if ((rc = cd_fs_glob(root, "**/health.lua", &l, err)) != 0)
		goto done;
	for (size_t i = 0; i < l.n && !*out; i++) {
		size_t n = strlen(l.paths[i]);
		if (n <= strlen("/health.lua") ||
		    !wild_match(l.paths[i], n - strlen("/health.lua"), key))
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, l.paths[i]);
		*out = cd_strdup(path);
	}
done:
	cd_fs_list_free(&l);
	free(root);
	return rc;
}

const struct cd_embedded *cd_health_builtin_find(const char *group,
						 const char *kind)
{
	const struct cd_embedded *e;
	char key[512];

	if (!kind || !*kind)
		return NULL;
	make_key(key, sizeof key, group, kind);
	for (e = cd_health_builtin; e->module; e++)
		if (strcmp(e->module, key) == 0)
			return e;
	for (e = cd_health_builtin; e->module; e++)
		if (wild_match(e->module, strlen(e->module), key))
			return e;
	return NULL;
}

/* ---- the script's environment ---- */

static int l_getn(lua_State *L)
{
	luaL_checktype(L, 1, LUA_TTABLE);
	lua_pushinteger(L, luaL_len(L, 1));
	return 1;
}

static int l_require(lua_State *L)
{
	static const char *const mods[] = {"os", "string", "table", "math",
					   NULL};
	const char *name = luaL_checkstring(L, 1);
	for (int i = 0; mods[i]; i++)
		if (strcmp(name, mods[i]) == 0) {
			lua_pushglobaltable(L);
			lua_pushstring(L, name);
			lua_rawget(L, -2);
			return 1;
		}
	return luaL_error(L, "module '%s' not found (health scripts may "
			     "require only os, string, table and math)",
			  name);
}

/* table + getn, as a new protected library table. */
static const char copy_table[] =
	"local t = {} for k, v in pairs(table) do t[k] = v end "
	"t.getn = ... return t";

/* Base globals: os = {time, date, clock}, table with getn, require. */
static void open_argo_env(lua_State *L)
{
	static const char *const os_fns[] = {"time", "date", "clock", NULL};
	lua_pushglobaltable(L);
	int g = lua_gettop(L);
	luaL_requiref(L, "os", luaopen_os, 0);
	lua_createtable(L, 0, 3);
	for (int i = 0; os_fns[i]; i++) {
		lua_getfield(L, -2, os_fns[i]);
		lua_setfield(L, -2, os_fns[i]);
	}
	cd_sandbox_protect(L, "os");
	lua_setfield(L, g, "os");
	lua_pop(L, 1); /* the full os library */
	lua_pushnil(L);
	lua_setfield(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
	if (luaL_loadstring(L, copy_table) != LUA_OK)
		lua_error(L);
	lua_pushcfunction(L, l_getn);
	lua_call(L, 1, 1);
	cd_sandbox_protect(L, "table");
	lua_setfield(L, g, "table");
	lua_pushcfunction(L, l_require);
	lua_setfield(L, g, "require");
	lua_pop(L, 1);
}

/* ---- running a script ---- */

struct run {
	const char *path, *src;
	size_t len;
	const json_t *obj;
	struct cd_health_result *out;
};

static void copy_field(lua_State *L, int t, const char *name, char *buf,
		       size_t n)
{
	int type = lua_getfield(L, t, name);
	if (type == LUA_TSTRING)
		snprintf(buf, n, "%s", lua_tostring(L, -1));
	else if (type != LUA_TNIL)
		luaL_error(L, "health script returned a %s %s; expected a "
			      "string",
			   luaL_typename(L, -1), name);
	lua_pop(L, 1);
}

/* Reads the script's return value (Argo's ExecuteHealthLua rules). */
static void read_result(lua_State *L, struct cd_health_result *out)
{
	int t = lua_gettop(L);
	if (lua_isnil(L, t))
		return; /* the empty status */
	if (!lua_istable(L, t))
		luaL_error(L, "expect table output from Lua script, not %s",
			   luaL_typename(L, t));
	lua_pushnil(L);
	if (!lua_next(L, t))
		return; /* {} is the empty status too */
	lua_pop(L, 2);
	copy_field(L, t, "status", out->status, sizeof out->status);
	copy_field(L, t, "message", out->message, sizeof out->message);
	if (!cd_health_valid(out->status)) {
		snprintf(out->status, sizeof out->status, "Unknown");
		snprintf(out->message, sizeof out->message,
			 "Lua returned an invalid health status");
	}
}

static int run_protected(lua_State *L)
{
	struct run *r = lua_touserdata(L, 1);
	struct cd_err err;
	char chunk[600];
	cd_value_init(L);
	open_argo_env(L);
	snprintf(chunk, sizeof chunk, "@%s", r->path);
	if (cd_sandbox_load(L, r->src, r->len, chunk) != LUA_OK)
		return lua_error(L);
	lua_getupvalue(L, -1, 1); /* the chunk's environment */
	if (cd_value_push_jansson(L, r->obj, CD_JANSSON_DROP_NULLS, &err) != 0)
		return luaL_error(L, "obj: %s", err.msg);
	lua_setfield(L, -2, "obj");
	lua_pop(L, 1);
	lua_call(L, 0, 1);
	read_result(L, r->out);
	return 0;
}

static void describe_trip(struct cd_sandbox *sb, const char *path,
			  struct cd_health_result *out)
{
	int kind = atomic_load(&sb->tripped);
	const char *what;
	char buf[600];
	switch (kind) {
	case CD_TRIP_INSTRUCTIONS:
		snprintf(buf, sizeof buf,
			 "exceeded its budget of %llu instructions",
			 (unsigned long long)sb->limits.max_instructions);
		break;
	case CD_TRIP_MEMORY:
		snprintf(buf, sizeof buf, "exceeded its memory budget of %llu "
					  "MiB",
			 (unsigned long long)(sb->limits.max_memory >> 20));
		break;
	case CD_TRIP_TIMEOUT:
		snprintf(buf, sizeof buf, "exceeded its %gs budget",
			 sb->limits.timeout);
		break;
	default:
		snprintf(buf, sizeof buf, "%s", sb->trip_msg[kind]);
	}
	what = sb->trip_where[0] ? sb->trip_where : path;
	snprintf(out->message, sizeof out->message, "%s health script %s",
		 what, buf);
	out->limit = 1;
}

static void set_unknown(struct cd_health_result *out)
{
	out->failed = 1;
	snprintf(out->status, sizeof out->status, "Unknown");
}

/* ---- one run, in a process of its own ----
 *
 * A hook cannot stop a script inside one long C call (a pathological
 * pattern in string.find, say), and a thread cannot be stopped safely, so
 * each run forks: the child runs the script under the count hook and a
 * SIGALRM at CD_HEALTH_TIMEOUT (its own sandbox sets the message), and the
 * parent kills it CD_HEALTH_GRACE later if it has not finished. Either way
 * only this object turns Unknown; the child's memory goes with it. The
 * child's sandbox and result live in a shared mapping, so the parent also
 * knows the last script line the child reached. */

struct shared {
	struct cd_sandbox sb;
	struct cd_health_result res;
	int done; /* the child filled res */
};

static struct cd_sandbox *alarm_sb; /* the child's, for on_alarm */

static void on_alarm(int sig)
{
	(void)sig;
	atomic_store(&alarm_sb->deadline_hit, 1);
}

/* The child's deadline: the count hook sees deadline_hit and trips. */
static void arm_alarm(struct cd_sandbox *sb)
{
	struct sigaction sa;
	struct itimerval it = {{0, 0}, {0, 0}};
	sigset_t set;

	alarm_sb = sb;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_alarm;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	sigemptyset(&set);
	sigaddset(&set, SIGALRM);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	long us = (long)(CD_HEALTH_TIMEOUT * 1e6);
	it.it_value.tv_sec = us / 1000000;
	it.it_value.tv_usec = us % 1000000;
	setitimer(ITIMER_REAL, &it, NULL);
}

static int error_text(lua_State *L)
{
	luaL_tolstring(L, 1, NULL);
	return 1;
}

/* In the child: runs r in sh->sb and fills sh->res. */
static void child_run(struct shared *sh, struct run *r, struct cd_ctx *ctx)
{
	struct cd_limits lim = {CD_HEALTH_MAX_INSTRUCTIONS,
				CD_HEALTH_MAX_MEMORY, CD_HEALTH_TIMEOUT};
	struct cd_sandbox *sb = &sh->sb;

	r->out = &sh->res; /* what the parent reads */
	if (cd_sandbox_init(sb, &lim, ctx) != 0) {
		snprintf(sh->res.message, sizeof sh->res.message,
			 "%s: cannot create a Lua state", r->path);
		set_unknown(&sh->res);
		sh->done = 1;
		return;
	}
	arm_alarm(sb);
	lua_pushcfunction(sb->L, run_protected);
	lua_pushlightuserdata(sb->L, r);
	int status = lua_pcall(sb->L, 1, 0, 0);
	/* The error's text, still under the limits: a __tostring of the
	 * script's error object is script code. */
	if (status != LUA_OK) {
		lua_pushcfunction(sb->L, error_text);
		lua_insert(sb->L, -2);
		lua_pcall(sb->L, 1, 1, 0);
	}
	sb->unrestricted = 1;
	if (atomic_load(&sb->tripped)) {
		describe_trip(sb, r->path, &sh->res);
	} else if (status != LUA_OK) {
		const char *m = lua_tostring(sb->L, -1);
		m = m ? m : "error object is not a string";
		snprintf(sh->res.message, sizeof sh->res.message, "%s%s%s",
			 strstr(m, ".lua:") ? "" : r->path,
			 strstr(m, ".lua:") ? "" : ": ", m);
	}
	if (status != LUA_OK || atomic_load(&sb->tripped))
		set_unknown(&sh->res);
	sh->done = 1;
}

/* Waits until fd reports end of file (the child is gone) or the monotonic
 * clock passes deadline (cd_now); returns 1 on time, 0 past the deadline. */
static int wait_eof(int fd, double deadline)
{
	for (;;) {
		double left = deadline - cd_now();
		if (left <= 0)
			return 0;
		struct pollfd p = {fd, POLLIN, 0};
		int n = poll(&p, 1, (int)(left * 1000) + 1);
		char c;
		if (n > 0 && read(fd, &c, 1) <= 0)
			return 1; /* EOF (or an error: the child is gone) */
		if (n < 0 && errno != EINTR)
			return 1;
	}
}

/* The parent's account of a child that did not finish. */
static void describe_kill(const struct shared *sh, const char *name,
			  int killed, int wstatus, struct cd_health_result *out)
{
	int i = atomic_load(&sh->sb.where_idx);
	const char *where = sh->sb.where[i];
	if (killed)
		snprintf(out->message, sizeof out->message,
			 "%s: health script exceeded its %gs budget (stuck "
			 "inside one C call)",
			 *where ? where : name, CD_HEALTH_TIMEOUT);
	else
		snprintf(out->message, sizeof out->message,
			 "%s: health script ended abnormally (%s %d)", name,
			 WIFSIGNALED(wstatus) ? "signal" : "exit status",
			 WIFSIGNALED(wstatus) ? WTERMSIG(wstatus)
					      : WEXITSTATUS(wstatus));
	out->limit = killed;
	set_unknown(out);
}

/* Forks, runs r in the child, collects its result into out. */
static int run_isolated(struct run *r, struct cd_health_result *out,
			struct cd_ctx *ctx, struct cd_err *err)
{
	struct shared *sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE,
				 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	int fds[2] = {-1, -1}, wstatus = 0, on_time, rc = 0;
	pid_t pid = -1;

	if (sh == MAP_FAILED || pipe(fds) != 0 ||
	    fcntl(fds[0], F_SETFD, FD_CLOEXEC) != 0 ||
	    fcntl(fds[1], F_SETFD, FD_CLOEXEC) != 0 || (pid = fork()) < 0) {
		rc = cd_err_set(err, CD_E_NOMEM, "health",
				"%s: cannot start a process for the script: "
				"%s",
				r->path, strerror(errno));
		goto done;
	}
	if (pid == 0) {
		close(fds[0]);
		child_run(sh, r, ctx);
		_exit(0); /* no atexit handlers, no stdio flush */
	}
	close(fds[1]);
	fds[1] = -1;
	on_time = wait_eof(fds[0],
			   cd_now() + CD_HEALTH_TIMEOUT + CD_HEALTH_GRACE);
	if (!on_time)
		kill(pid, SIGKILL);
	while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR)
		;
	if (sh->done)
		*out = sh->res;
	else
		describe_kill(sh, r->path, !on_time, wstatus, out);
done:
	if (fds[0] >= 0)
		close(fds[0]);
	if (fds[1] >= 0)
		close(fds[1]);
	if (sh != MAP_FAILED)
		munmap(sh, sizeof *sh);
	return rc;
}

int cd_health_run_source(const char *name, const char *src, size_t len,
			 const json_t *obj, struct cd_ctx *ctx,
			 struct cd_health_result *out, struct cd_err *err)
{
	struct run r = {name, src, len, obj, NULL};

	memset(out, 0, sizeof *out);
	int rc = run_isolated(&r, out, ctx, err);
	snprintf(out->script, sizeof out->script, "%s", name);
	return rc;
}

int cd_health_run(const char *script, const json_t *obj, struct cd_ctx *ctx,
		  struct cd_health_result *out, struct cd_err *err)
{
	char *src = NULL;
	size_t len;
	int rc;

	memset(out, 0, sizeof *out);
	snprintf(out->script, sizeof out->script, "%s", script);
	if (cd_fs_read_path(script, 0, &src, &len, err) != 0)
		return cd_err_wrap(err, "health script");
	rc = cd_health_run_source(script, src, len, obj, ctx, out, err);
	cd_free(src);
	return rc;
}

/* The built-in script b on obj. */
static int run_builtin(const struct cd_embedded *b, const json_t *obj,
		       struct cd_ctx *ctx, struct cd_health_result *out,
		       struct cd_err *err)
{
	return cd_health_run_source(b->path, b->source, b->len, obj, ctx, out,
				    err);
}

int cd_health_eval(const json_t *obj, const char *dir, struct cd_ctx *ctx,
		   struct cd_health_result *out, struct cd_err *err)
{
	char group[256], *script = NULL;
	const struct cd_embedded *b;
	const char *kind;
	struct cd_status_result st;
	int rc;

	memset(out, 0, sizeof *out);
	const json_t *meta = json_object_get(obj, "metadata");
	if (json_string_length(json_object_get(meta, "deletionTimestamp"))) {
		snprintf(out->status, sizeof out->status, "Progressing");
		snprintf(out->message, sizeof out->message, "Pending deletion");
		return 0;
	}
	group_kind(obj, group, sizeof group, &kind);
	if ((rc = cd_health_find(dir, group, kind, &script, err)) != 0)
		return rc;
	if (script) {
		rc = cd_health_run(script, obj, ctx, out, err);
		cd_free(script);
		return rc;
	}
	if ((b = cd_health_builtin_find(group, kind)))
		return run_builtin(b, obj, ctx, out, err);
	cd_status_compute(obj, NULL, NULL, &st);
	snprintf(out->status, sizeof out->status, "%s", argo_word(st.status));
	snprintf(out->message, sizeof out->message, "%s", st.message);
	return 0;
}

/* ---- reading YAML into json_t documents ---- */

struct docs {
	const char *name, *src;
	size_t len;
	json_t *list; /* owned by the caller */
	struct cd_err err;
	int rc;
};

static int load_protected(lua_State *L)
{
	struct docs *d = lua_touserdata(L, 1);
	static const char inited = 0; /* its address is a registry key */
	if (lua_rawgetp(L, LUA_REGISTRYINDEX, &inited) == LUA_TNIL) {
		cd_value_init(L); /* once per state */
		lua_pushboolean(L, 1);
		lua_rawsetp(L, LUA_REGISTRYINDEX, &inited);
	}
	lua_pop(L, 1);
	d->rc = cd_value_push_yaml(L, d->src, d->len, d->name, &d->err);
	if (d->rc != 0)
		return 0;
	for (lua_Integer i = 1; lua_geti(L, -1, i) != LUA_TNIL; i++) {
		json_t *j;
		d->rc = cd_value_to_jansson(L, -1, &j, &d->err);
		if (d->rc != 0) { /* the YAML parser names the file, this not */
			cd_err_wrap(&d->err, "%s: document %lld", d->name,
				    (long long)i);
			return 0;
		}
		json_array_append_new(d->list, j);
		lua_pop(L, 1);
	}
	return 0;
}

int cd_health_load_yaml(lua_State *L, const char *name, const char *src,
		       size_t len, json_t **out, struct cd_err *err)
{
	struct docs d = {name, src, len, json_array(), {0}, 0};
	lua_pushcfunction(L, load_protected);
	lua_pushlightuserdata(L, &d);
	if (lua_pcall(L, 1, 0, 0) != LUA_OK) {
		lua_pop(L, 1);
		d.rc = cd_err_set(&d.err, CD_E_NOMEM, "health",
				  "%s: out of memory", name);
	}
	lua_settop(L, 0);
	if (d.rc != 0) {
		json_decref(d.list);
		*err = d.err;
		return d.rc;
	}
	*out = d.list;
	return 0;
}

/* ---- the command ---- */

static const char *obj_name(const json_t *o)
{
	const json_t *m = json_object_get(o, "metadata");
	const char *n = json_string_value(json_object_get(m, "name"));
	return n ? n : "?";
}

/* Exit code of one result: docs/health.md. */
static int result_exit(const struct cd_health_result *r)
{
	if (r->limit)
		return 5;
	if (r->failed)
		return 1;
	if (strcmp(r->status, "Healthy") == 0 ||
	    strcmp(r->status, "Suspended") == 0)
		return 0;
	if (strcmp(r->status, "Degraded") == 0)
		return 3;
	return 1; /* Progressing, Missing, Unknown, empty */
}

static int worse(int a, int b)
{
	/* severity by exit code: 0 < 1 < 3 < 5 < 2 */
	static const int rank[] = {0, 1, 4, 2, 1, 3};
	return rank[b] > rank[a] ? b : a;
}

/* An error on stderr: "cdhost: MSG [code]", or with --output json an
 * `error` event (docs/events.md). Returns exit_code. */
static int say(struct cd_cli *cli, enum cd_code code, int exit_code,
	       const char *fmt, ...)
{
	char msg[1400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (cli->json && cli->ctx.report)
		cd_report_error(cli->ctx.report, "recipe", cd_code_name(code),
				"health", msg, "", exit_code, NULL, NULL);
	else
		fprintf(stderr, "cdhost: %s [%s]\n", msg, cd_code_name(code));
	return exit_code;
}

static void print_result(struct cd_cli *cli, const json_t *o, int many,
			 const struct cd_health_result *r)
{
	const char *kind = json_string_value(json_object_get(o, "kind"));
	if (cli->json) {
		json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:s?}", "kind",
				      kind, "name", obj_name(o), "status",
				      r->status, "message", r->message,
				      "script", *r->script ? r->script : NULL);
		char *s = json_dumps(j, JSON_COMPACT);
		printf("%s\n", s);
		free(s);
		json_decref(j);
	} else {
		if (many)
			printf("%s/%s: ", kind, obj_name(o));
		printf("%s%s%s\n", r->status, *r->message ? ": " : "",
		       r->message);
	}
	if (r->failed)
		say(cli, r->limit ? CD_E_LIMIT : CD_E_RECIPE, result_exit(r), "%s/%s: %s",
		    kind, obj_name(o), r->message);
	else if (strcmp(r->status, "Suspended") == 0 && cli->json)
		cd_report_log(cli->ctx.report, CD_LOG_WARN, "wait",
			      "%s/%s is Suspended: counted as done", kind,
			      obj_name(o));
	else if (strcmp(r->status, "Suspended") == 0)
		fprintf(stderr, "cdhost: warning: %s/%s is Suspended: counted "
				"as done\n",
			kind, obj_name(o));
}

static int fail(struct cd_cli *cli, const struct cd_err *err)
{
	return say(cli, err->code, cd_code_exit(err->code), "%s", err->msg);
}

/* `cdhost health -f FILE`. */
static int health_file(struct cd_cli *cli, lua_State *L)
{
	struct cd_err err;
	char *src = NULL;
	size_t len;
	json_t *docs = NULL;
	int rc = 0;

	if (cd_fs_read_path(cli->health_file, 0, &src, &len, &err) != 0) {
		err.code = CD_E_USAGE;
		return fail(cli, &err);
	}
	rc = cd_health_load_yaml(L, cli->health_file, src, len, &docs, &err);
	cd_free(src);
	if (rc != 0)
		return fail(cli, &err);
	size_t n = json_array_size(docs), i;
	const json_t *o;
	if (n == 0) {
		cd_err_set(&err, CD_E_INVALID, "health", "%s: no object in it",
			   cli->health_file);
		rc = fail(cli, &err);
	}
	json_array_foreach(docs, i, o) {
		if (!json_is_object(o) ||
		    !json_string_length(json_object_get(o, "kind"))) {
			cd_err_set(&err, CD_E_INVALID, "health",
				   "%s: document %zu is not a Kubernetes "
				   "object (no kind)",
				   cli->health_file, i + 1);
			rc = worse(rc, fail(cli, &err));
			continue;
		}
		struct cd_health_result r;
		if (cd_health_eval(o, cli->ctx.health_dir, &cli->ctx, &r,
				   &err) != 0) {
			rc = worse(rc, fail(cli, &err));
			continue;
		}
		print_result(cli, o, n > 1, &r);
		rc = worse(rc, result_exit(&r));
	}
	json_decref(docs);
	return rc;
}

/* The value of key in a YAML map, keys compared case-insensitively (Argo
 * reads health_test.yaml with sigs.k8s.io/yaml). */
static const json_t *ci_get(const json_t *o, const char *key)
{
	const char *k;
	const json_t *v;
	json_object_foreach((json_t *)o, k, v) {
		if (strcasecmp(k, key) == 0)
			return v;
	}
	return NULL;
}

struct tally {
	int passed, failed;
};

/* The script for a test case's object o: with --builtin the built-in set
 * only; otherwise the one under --health-dir (else DIR), the health.lua
 * next to the health_test.yaml, then the built-in set. Fills why when
 * there is none. */
static void case_script(struct cd_cli *cli, const char *root,
			const char *testdir, const json_t *o, char **path,
			const struct cd_embedded **b, char *why, size_t wn)
{
	char group[256], next[1200];
	const char *kind;
	struct cd_err err;

	group_kind(o, group, sizeof group, &kind);
	if (!cli->health_builtin) {
		const char *dir = cli->ctx.health_dir ? cli->ctx.health_dir
						      : root;
		if (cd_health_find(dir, group, kind, path, &err) != 0) {
			snprintf(why, wn, "%s", err.msg);
			return;
		}
		snprintf(next, sizeof next, "%s/%s/health.lua", root, testdir);
		if (!*path && is_file(next))
			*path = cd_strdup(next);
		if (*path)
			return;
	}
	if (!(*b = cd_health_builtin_find(group, kind)))
		snprintf(why, wn, "no %shealth.lua for %s%s%s",
			 cli->health_builtin ? "built-in " : "", group,
			 *group ? "/" : "", kind ? kind : "?");
}

/* Runs the chosen script on o and compares with the case's healthStatus. */
static void check_case(struct cd_cli *cli, const char *path,
		       const struct cd_embedded *b, const json_t *o,
		       const json_t *hs, struct cd_health_result *r, char *why,
		       size_t wn)
{
	const char *want_s = json_string_value(ci_get(hs, "status"));
	const char *want_m = json_string_value(ci_get(hs, "message"));
	struct cd_err err = {0};
	int rc = path ? cd_health_run(path, o, &cli->ctx, r, &err)
		      : run_builtin(b, o, &cli->ctx, r, &err);
	if (rc != 0)
		snprintf(why, wn, "%s", err.msg);
	else if (r->failed)
		snprintf(why, wn, "%s", r->message);
	else if (strcmp(r->status, want_s ? want_s : "") != 0 ||
		 strcmp(r->message, want_m ? want_m : "") != 0)
		snprintf(why, wn, "got %s \"%s\", want %s \"%s\"", r->status,
			 r->message, want_s ? want_s : "",
			 want_m ? want_m : "");
}

/* Runs one case: inputPath (relative to the test file's directory). */
static void run_case(struct cd_cli *cli, lua_State *L, const char *root,
		     const char *testdir, const json_t *tc, struct tally *t)
{
	const char *input = json_string_value(ci_get(tc, "inputPath"));
	char rel[1024], why[1400] = "", *src = NULL, *script = NULL;
	const struct cd_embedded *builtin = NULL;
	struct cd_health_result r;
	struct cd_err err = {0};
	json_t *docs = NULL;
	size_t len;

	memset(&r, 0, sizeof r);
	snprintf(rel, sizeof rel, "%s%s%s", testdir, *testdir ? "/" : "",
		 input ? input : "?");
	if (!input) {
		snprintf(why, sizeof why, "the case has no inputPath");
	} else if (cd_fs_read(root, rel, 0, &src, &len, &err) != 0 ||
		   cd_health_load_yaml(L, rel, src, len, &docs, &err) != 0) {
		snprintf(why, sizeof why, "%s", err.msg);
	} else if (!json_is_object(json_array_get(docs, 0))) {
		snprintf(why, sizeof why, "no object in %s", rel);
	} else {
		const json_t *o = json_array_get(docs, 0); /* Argo: the first */
		case_script(cli, root, testdir, o, &script, &builtin, why,
			    sizeof why);
		if (script || builtin)
			check_case(cli, script, builtin, o,
				   ci_get(tc, "healthStatus"), &r, why,
				   sizeof why);
	}
	if (*why) {
		printf("FAIL %s: %s\n", rel, why);
		t->failed++;
	} else {
		printf("ok   %s: %s\n", rel, r.status);
		t->passed++;
	}
	cd_free(script);
	cd_free(src);
	json_decref(docs);
}

/* `cdhost health test DIR`. */
static int health_test(struct cd_cli *cli, lua_State *L, const char *dir)
{
	struct cd_fs_list l = {0};
	struct tally t = {0, 0};
	struct cd_err err;
	char *root = realpath(dir, NULL);
	struct stat st;

	if (!root || stat(root, &st) != 0 || !S_ISDIR(st.st_mode)) {
		free(root);
		cd_err_set(&err, CD_E_USAGE, "health", "%s: not a directory",
			   dir);
		return fail(cli, &err);
	}
	if (cd_fs_glob(root, "**/health_test.yaml", &l, &err) != 0) {
		free(root);
		return fail(cli, &err);
	}
	for (size_t i = 0; i < l.n; i++) {
		char *src = NULL, testdir[1024];
		size_t len;
		json_t *docs = NULL;
		const json_t *tc;
		size_t k;
		snprintf(testdir, sizeof testdir, "%s", l.paths[i]);
		char *slash = strrchr(testdir, '/');
		*(slash ? slash : testdir) = '\0'; /* DIR's own file: "" */
		if (cd_fs_read(root, l.paths[i], 0, &src, &len, &err) != 0 ||
		    cd_health_load_yaml(L, l.paths[i], src, len, &docs, &err) != 0) {
			printf("FAIL %s: %s\n", l.paths[i], err.msg);
			t.failed++;
		}
		json_array_foreach(ci_get(json_array_get(docs, 0), "tests"), k,
				   tc)
			run_case(cli, L, root, testdir, tc, &t);
		cd_free(src);
		json_decref(docs);
	}
	if (l.n == 0) {
		say(cli, CD_E_NOT_FOUND, 1, "no health_test.yaml under %s", dir);
		t.failed++;
	}
	printf("%d passed, %d failed\n", t.passed, t.failed);
	cd_fs_list_free(&l);
	free(root);
	return t.failed ? 1 : 0;
}

int cd_health_cmd(struct cd_cli *cli)
{
	struct cd_limits lim = {0, 0, 0};
	struct cd_report rep;
	struct cd_sandbox sb;
	struct stat st;
	int rc;
	const char *hd = cli->ctx.health_dir;

	cd_report_init(&rep, stderr, cli->json ? CD_FORMAT_JSON : CD_FORMAT_TEXT,
		       cli->verbosity, cli->no_color);
	cli->ctx.report = &rep;
	int test = cli->nrest >= 1 && strcmp(cli->rest[0], "test") == 0;
	if (test ? cli->nrest != 2 || cli->health_file
		 : cli->nrest != 0 || !cli->health_file) {
		return say(cli, CD_E_USAGE, 2, "usage: cdhost health -f OBJ.yaml "
			   "[--health-dir D] | cdhost health test [--builtin] DIR");
	}
	if (cli->health_builtin && (!test || hd))
		return say(cli, CD_E_USAGE, 2, "--builtin goes with `health test "
			   "DIR` and without --health-dir");
	if (hd && (stat(hd, &st) != 0 || !S_ISDIR(st.st_mode)))
		return say(cli, CD_E_USAGE, 2, "--health-dir %s: not a directory",
			   hd);
	if (cd_sandbox_init(&sb, &lim, &cli->ctx) != 0)
		return 5;
	sb.unrestricted = 1; /* the host's own state: parsing only */
	rc = test ? health_test(cli, sb.L, cli->rest[1])
		  : health_file(cli, sb.L);
	cd_sandbox_close(&sb);
	if (fflush(stdout) != 0)
		rc = rc ? rc : 1;
	return rc;
}
