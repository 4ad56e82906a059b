/* cdhost.image.build (core/image.c) and the artifacts file of
 * `cdhost build --file-output` / `cdhost deploy -a` (core/artifacts.c).
 *
 * The mode decides (core/mode.c, CD_EFFECT_IMAGE_BUILD): run/build build and
 * push (skipped when name:tag exists with the same input digest), render
 * computes the tag and looks the digest up unless --offline, deploy takes
 * the artifact from -a F. Strings of the spec table are anchored in a Lua
 * table while C holds them; C allocations live in userdata boxes. */
#include <lauxlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../core/artifacts.h"
#include "../core/builder.h"
#include "../core/fs.h"
#include "../core/git.h"
#include "../core/image.h"
#include "../core/mem.h"
#include "../core/proc.h"
#include "../core/tag.h"
#include "../core/util.h"
#include "host.h"
#include "lbuf.h"
#include "lerr.h"
#include "parallel.h"
#include "sandbox.h"
#include "value.h"

#define OP "image.build"
static const char BUILT_KEY[] = "cdhost.image.built";

struct job {
	struct cd_layer *layers;
	size_t nlayers;
	struct cd_ignore ignore;
};

static void job_free(void *p)
{
	struct job *j = p;
	for (size_t i = 0; i < j->nlayers; i++)
		cd_layer_free(&j->layers[i]);
	cd_free(j->layers);
	cd_ignore_free(&j->ignore);
	cd_free(j);
}

/* A string field of the table at t anchored in the anchor table (index a):
 * numbers are converted; NULL when absent. */
static const char *anchored(lua_State *L, int a, int idx)
{
	if (lua_isnil(L, idx))
		return NULL;
	if (!lua_isstring(L, idx))
		return NULL;
	lua_pushvalue(L, idx);
	const char *s = lua_tostring(L, -1);
	lua_rawseti(L, a, (lua_Integer)lua_rawlen(L, a) + 1);
	return s;
}

static const char *opt_str(lua_State *L, int t, int a, const char *k)
{
	int ty = lua_getfield(L, t, k);
	const char *s = anchored(L, a, -1);
	if (ty != LUA_TNIL && !s)
		cd_lerr_raise(L, CD_E_INVALID, OP, "`%s` must be a string", k);
	lua_pop(L, 1);
	return s;
}

/* A list of strings (or one string) at field k. */
static const char **str_list(lua_State *L, int t, int a, const char *k,
			     size_t *n, int *given)
{
	const char **v = NULL;
	*n = 0;
	int ty = lua_getfield(L, t, k);
	*given = ty != LUA_TNIL;
	if (ty == LUA_TSTRING) {
		v = lua_newuserdatauv(L, sizeof *v, 0);
		lua_rawseti(L, a, (lua_Integer)lua_rawlen(L, a) + 1);
		v[0] = anchored(L, a, -1);
		*n = 1;
	} else if (ty == LUA_TTABLE) {
		size_t len = lua_rawlen(L, -1);
		v = lua_newuserdatauv(L, (len + 1) * sizeof *v, 0);
		lua_rawseti(L, a, (lua_Integer)lua_rawlen(L, a) + 1);
		for (size_t i = 0; i < len; i++) {
			lua_rawgeti(L, -1, (lua_Integer)i + 1);
			v[i] = anchored(L, a, -1);
			if (!v[i])
				cd_lerr_raise(L, CD_E_INVALID, OP,
					      "`%s[%zu]` must be a string", k,
					      i + 1);
			lua_pop(L, 1);
		}
		*n = len;
	} else if (ty != LUA_TNIL) {
		cd_lerr_raise(L, CD_E_INVALID, OP,
			      "`%s` must be a string or a list of strings", k);
	}
	lua_pop(L, 1);
	return v;
}

static int cmp_kv(const void *x, const void *y)
{
	return strcmp(((const struct cd_kv *)x)->k, ((const struct cd_kv *)y)->k);
}

/* A map of strings at field k, sorted by key. */
static struct cd_kv *kv_map(lua_State *L, int t, int a, const char *k, size_t *n)
{
	struct cd_kv *v = NULL;
	size_t len = 0;
	*n = 0;
	int ty = lua_getfield(L, t, k);
	if (ty == LUA_TNIL) {
		lua_pop(L, 1);
		return NULL;
	}
	if (ty != LUA_TTABLE)
		cd_lerr_raise(L, CD_E_INVALID, OP, "`%s` must be a map", k);
	lua_pushnil(L);
	while (lua_next(L, -2)) {
		len++;
		lua_pop(L, 1);
	}
	v = lua_newuserdatauv(L, (len + 1) * sizeof *v, 0);
	lua_rawseti(L, a, (lua_Integer)lua_rawlen(L, a) + 1);
	lua_pushnil(L);
	while (lua_next(L, -2)) {
		if (lua_type(L, -2) != LUA_TSTRING || !lua_isstring(L, -1))
			cd_lerr_raise(L, CD_E_INVALID, OP,
				      "`%s` must map strings to strings", k);
		v[*n].k = anchored(L, a, -2);
		v[*n].v = anchored(L, a, -1);
		(*n)++;
		lua_pop(L, 1);
	}
	lua_pop(L, 1);
	qsort(v, *n, sizeof *v, cmp_kv);
	return v;
}

static uint64_t source_date_epoch(void)
{
	const char *s = getenv("SOURCE_DATE_EPOCH");
	char *end;
	unsigned long long v = s ? strtoull(s, &end, 10) : 0;
	return s && *s && !*end ? v : 0;
}

static int layer_mode(lua_State *L, int idx, size_t i)
{
	if (lua_isnil(L, idx))
		return -1;
	if (lua_isinteger(L, idx))
		return (int)(lua_tointeger(L, idx) & 07777);
	const char *s = lua_tostring(L, idx);
	char *end;
	long v = s ? strtol(s, &end, 8) : -1;
	if (!s || !*s || *end || v < 0 || v > 07777)
		cd_lerr_raise(L, CD_E_INVALID, OP,
			      "bad layer spec: layers[%zu].mode must be an "
			      "octal string such as \"0755\"",
			      i);
	return (int)v;
}

static void scan_layers(lua_State *L, int t, int a, struct job *j,
			uint64_t mtime)
{
	struct cd_sandbox *sb = cd_sandbox_get(L);
	struct cd_err err;
	char *text = NULL;
	size_t len = 0;
	int ex = cd_fs_exists(sb->ctx->root, ".dockerignore", &err);
	if (ex > 0 && cd_fs_read(sb->ctx->root, ".dockerignore", 0, &text, &len, &err) != 0)
		cd_lerr_raise_err(L, &err);
	int prc = cd_ignore_parse(text, &j->ignore, &err);
	cd_free(text);
	if (prc != 0)
		cd_lerr_raise_err(L, &err);
	if (lua_getfield(L, t, "layers") == LUA_TNIL) {
		lua_pop(L, 1);
		return;
	}
	if (!lua_istable(L, -1))
		cd_lerr_raise(L, CD_E_INVALID, OP,
			      "bad layer spec: `layers` must be a list");
	size_t n = lua_rawlen(L, -1);
	j->layers = cd_calloc(n + 1, sizeof *j->layers);
	if (!j->layers)
		cd_lerr_raise(L, CD_E_NOMEM, OP, "out of memory");
	for (size_t i = 0; i < n; i++) {
		struct cd_layer_spec sp = {0};
		int given;
		lua_rawgeti(L, -1, (lua_Integer)i + 1);
		if (!lua_istable(L, -1))
			cd_lerr_raise(L, CD_E_INVALID, OP,
				      "bad layer spec: layers[%zu] must be a "
				      "table {from=, to=}",
				      i + 1);
		int lt = lua_gettop(L);
		sp.from = opt_str(L, lt, a, "from");
		sp.to = opt_str(L, lt, a, "to");
		lua_getfield(L, lt, "mode");
		sp.mode = layer_mode(L, -1, i + 1);
		lua_pop(L, 1);
		sp.exclude = str_list(L, lt, a, "exclude", &sp.nexclude, &given);
		if (cd_layer_scan(sb->ctx->root, &sp, &j->ignore, mtime,
				  &j->layers[i], &err) != 0) {
			cd_err_wrap(&err, "layers[%zu]", i + 1);
			snprintf(err.op, sizeof err.op, "%s", OP);
			cd_lerr_raise_err(L, &err);
		}
		j->nlayers = i + 1;
		lua_pop(L, 1);
	}
	lua_pop(L, 1);
}

static const char *const git_variants[] = {"tags", "commit", "abbrev",
					   "tree", "branch", NULL};

/* The value of a tag.git options table at idx (validated by git_opts):
 * prefix .. describe(variant) .. "-dirty". */
static void git_value(lua_State *L, int idx, char *out, size_t n)
{
	struct cd_ctx *ctx = cd_sandbox_get(L)->ctx;
	struct cd_err err;
	char path[4096] = "", val[512];
	int variant = 0;
	idx = lua_absindex(L, idx);
	lua_getfield(L, idx, "variant");
	const char *v = lua_isstring(L, -1) ? lua_tostring(L, -1) : "tags";
	while (git_variants[variant + 1] && strcmp(v, git_variants[variant]) != 0)
		variant++;
	lua_getfield(L, idx, "dirty");
	int dirty = lua_isnil(L, -1) || lua_toboolean(L, -1);
	lua_getfield(L, idx, "prefix");
	lua_getfield(L, idx, "path");
	if (lua_isstring(L, -1)) {
		char *abs = NULL;
		if (cd_fs_resolve(ctx->root, lua_tostring(L, -1), &abs, &err) != 0)
			cd_lerr_raise_err(L, &err);
		snprintf(path, sizeof path, "%s", abs);
		cd_free(abs);
	}
	if (cd_git_describe(ctx->root, (enum cd_git_rev)variant,
			    path[0] ? path : NULL, dirty, val, sizeof val,
			    &err) != 0)
		cd_lerr_raise_err(L, &err);
	snprintf(out, n, "%s%s", lua_isstring(L, -2) ? lua_tostring(L, -2) : "",
		 val);
	lua_pop(L, 4);
}

/* The tag of a policy table at the top of the stack (cdhost.tag.*). */
static int policy_tag(lua_State *L, const char *hex, char *raw, size_t n,
		      struct cd_err *err)
{
	char dt[128], git[600];
	lua_getfield(L, -1, "policy");
	const char *p = lua_tostring(L, -1);
	lua_getfield(L, -2, "format");
	lua_getfield(L, -3, "template");
	const char *tpl = lua_tostring(L, -1);
	int rc = cd_tag_datetime(lua_tostring(L, -2), (int64_t)time(NULL), dt,
				 sizeof dt, err);
	if (rc == 0 && p && strcmp(p, "input_digest") == 0) {
		snprintf(raw, n, "%s", hex);
	} else if (rc == 0 && p && strcmp(p, "datetime") == 0) {
		snprintf(raw, n, "%s", dt);
	} else if (rc == 0 && p && strcmp(p, "git") == 0) {
		git_value(L, -4, raw, n);
	} else if (rc == 0 && p && strcmp(p, "template") == 0 && tpl) {
		int has_git = strstr(tpl, "{{git}}") != NULL;
		if (has_git && lua_getfield(L, -4, "git") != LUA_TTABLE) {
			lua_pop(L, 1);
			lua_newtable(L); /* the defaults */
		}
		if (has_git)
			git_value(L, -1, git, sizeof git);
		rc = cd_tag_template(tpl, hex, dt, has_git ? git : NULL, raw, n,
				     err);
		if (has_git)
			lua_pop(L, 1);
	} else if (rc == 0) {
		rc = cd_err_set(err, CD_E_INVALID, OP,
				"`tag` must be a string or a cdhost.tag policy");
	}
	lua_pop(L, 3);
	return rc;
}

/* The tag from the `tag` field: a string, or a policy table from
 * cdhost.tag.*; input_digest when absent. Sanitized to the OCI grammar. */
static void resolve_tag(lua_State *L, int t, const char *input, char *out)
{
	char raw[700];
	struct cd_err err;
	const char *hex = input + 7;
	int ty = lua_getfield(L, t, "tag");
	if (ty == LUA_TNIL)
		snprintf(raw, sizeof raw, "%s", hex);
	else if (ty == LUA_TSTRING)
		snprintf(raw, sizeof raw, "%s", lua_tostring(L, -1));
	else if (ty != LUA_TTABLE)
		cd_lerr_raise(L, CD_E_INVALID, OP,
			      "`tag` must be a string or a cdhost.tag policy");
	else if (policy_tag(L, hex, raw, sizeof raw, &err) != 0)
		cd_lerr_raise_err(L, &err);
	lua_pop(L, 1);
	if (cd_tag_sanitize(raw, out, &err) != 0)
		cd_lerr_raise_err(L, &err);
}

/* The artifact table; image is the name as the recipe wrote it, kept when
 * --default-repo changed it (manifest.set_images matches manifests by it,
 * as Skaffold matches by the config's image name). */
static void push_artifact(lua_State *L, const char *image, const char *name,
			  const char *tag, const char *digest, int pushed)
{
	char ref[1024];
	cd_value_new(L, CD_VALUE_MAP);
	lua_pushstring(L, name);
	lua_setfield(L, -2, "name");
	if (strcmp(image, name) != 0) {
		lua_pushstring(L, image);
		lua_setfield(L, -2, "image");
	}
	lua_pushstring(L, tag);
	lua_setfield(L, -2, "tag");
	snprintf(ref, sizeof ref, "%s:%s%s%s", name, tag, *digest ? "@" : "",
		 digest);
	if (*digest) {
		lua_pushstring(L, digest);
		lua_setfield(L, -2, "digest");
	}
	lua_pushstring(L, ref);
	lua_setfield(L, -2, "ref");
	lua_pushstring(L, "native");
	lua_setfield(L, -2, "builder");
	lua_pushboolean(L, pushed);
	lua_setfield(L, -2, "pushed");
}

/* Records image -> ref for --file-output: the name as the recipe wrote it
 * (Skaffold's imageName is the config's, before --default-repo) and the
 * reference it was pushed as. */
static void record(lua_State *L, const char *image, const char *ref)
{
	if (lua_getfield(L, LUA_REGISTRYINDEX, BUILT_KEY) != LUA_TTABLE) {
		lua_pop(L, 1);
		lua_newtable(L);
		lua_pushvalue(L, -1);
		lua_setfield(L, LUA_REGISTRYINDEX, BUILT_KEY);
	}
	lua_createtable(L, 2, 0);
	lua_pushstring(L, image);
	lua_rawseti(L, -2, 1);
	lua_pushstring(L, ref);
	lua_rawseti(L, -2, 2);
	lua_rawseti(L, -2, (lua_Integer)lua_rawlen(L, -2) + 1);
	lua_pop(L, 1);
}

static void free_artifacts(void *p)
{
	cd_artifacts_free(p);
	cd_free(p);
}

/* deploy mode: the artifact from -a F (- = stdin), found by the name as
 * the recipe wrote it (Skaffold's imageName). */
static int from_artifacts(lua_State *L, const char *image, const char *name)
{
	struct cd_ctx *ctx = cd_sandbox_get(L)->ctx;
	struct cd_err err;
	struct cd_ref ref;
	char *data = NULL;
	size_t len = 0;
	const char *f = ctx->build_artifacts;
	if (!f)
		return cd_lerr_raise(L, CD_E_USAGE, OP,
				     "deploy mode needs the artifacts file: "
				     "-a F (or - for stdin)");
	struct cd_lptr *box = cd_lptr_push(L, cd_calloc(1, sizeof(struct cd_artifacts)),
					   free_artifacts);
	if (!box->ptr)
		return cd_lerr_raise(L, CD_E_NOMEM, OP, "out of memory");
	int rc = strcmp(f, "-") == 0
			 ? cd_fs_read_path("/dev/stdin", 0, &data, &len, &err)
			 : cd_fs_read_path(f, 0, &data, &len, &err);
	if (rc == 0)
		rc = cd_artifacts_parse(data, len, box->ptr, &err);
	cd_free(data);
	if (rc != 0) {
		cd_err_wrap(&err, "artifacts file %s", f);
		snprintf(err.op, sizeof err.op, "%s", OP);
		return cd_lerr_raise_err(L, &err);
	}
	const struct cd_artifact *a = cd_artifacts_find(box->ptr, image);
	if (!a) /* files of earlier cdhost builds: the name after --default-repo */
		a = cd_artifacts_find(box->ptr, name);
	if (!a)
		return cd_lerr_raise(L, CD_E_NOT_FOUND, OP,
				     "no artifact for %s in %s", image, f);
	/* Skaffold's deploy -a applies --default-repo to the file's tags: a
	 * no-op for a tag already under the repo (what a build with the same
	 * --default-repo wrote), a move for one built without it. */
	char tag[1100], repo[1100];
	if (cd_tag_default_repo(ctx->default_repo, ctx->multi_level_repo, a->tag,
				tag, sizeof tag, &err) != 0 ||
	    cd_ref_parse(tag, &ref, &err) != 0) {
		cd_err_wrap(&err, "artifacts file %s: %s", f, image);
		return cd_lerr_raise_err(L, &err);
	}
	snprintf(repo, sizeof repo, "%.*s", (int)cd_tag_name_len(tag), tag);
	push_artifact(L, image, repo, ref.tag, ref.digest, 0);
	lua_pushstring(L, tag);
	lua_setfield(L, -2, "ref"); /* the file's (Skaffold's form kept) */
	return 1;
}

/* render mode: the digest if the tag exists (unless --offline). */
static void plan_digest(lua_State *L, const char *name, const char *tag,
			char *digest)
{
	struct cd_ctx *ctx = cd_sandbox_get(L)->ctx;
	struct cd_err err;
	struct cd_ref ref;
	struct cd_desc d;
	char full[800];
	digest[0] = '\0';
	if (ctx->offline)
		return;
	snprintf(full, sizeof full, "%s:%s", name, tag);
	if (cd_ref_parse(full, &ref, &err) != 0)
		cd_lerr_raise_err(L, &err);
	int rc = cd_registry_manifest_head(cd_l_registry_client(L, OP), &ref, &d, &err);
	if (rc == 1)
		snprintf(digest, CD_DIGEST_MAX, "%s", d.digest);
	else if (rc < 0)
		cd_report_log(ctx->report, CD_LOG_WARN, "render",
			      "%s: digest unknown: %s", full, err.msg);
}

/* ---- external builders (buildah, podman, docker, kaniko) ---- */

static int insecure_host(const struct cd_ctx *ctx, const char *name)
{
	const char *slash = strchr(name, '/');
	size_t hl = slash ? (size_t)(slash - name) : strlen(name);
	for (size_t i = 0; i < ctx->insecure_registries.n; i++)
		if (strlen(ctx->insecure_registries.v[i]) == hl &&
		    !strncmp(ctx->insecure_registries.v[i], name, hl))
			return 1;
	return 0;
}

/* The builder's output as it comes: on a terminal its last line shown in
 * place ("  buildah build NAME: STEP 2/3: RUN make"); with -v every line
 * logged. */
struct live {
	struct cd_report *report;
	const char *what;
	char line[512];
	size_t len;
	int tty, verbose;
	double drawn;
};

static void live_line(struct live *lv)
{
	while (lv->len && (lv->line[lv->len - 1] == '\r' || lv->line[lv->len - 1] == ' '))
		lv->len--;
	if (!lv->len)
		return;
	lv->line[lv->len] = '\0';
	if (lv->verbose)
		cd_report_log(lv->report, CD_LOG_DEBUG, "build", "%s: %s", lv->what, lv->line);
	double now = cd_now();
	if (lv->tty && now - lv->drawn >= 0.1) {
		lv->drawn = now;
		fprintf(lv->report->out, "\r\033[2K  %s: %.100s", lv->what, lv->line);
		fflush(lv->report->out);
	}
}

static void on_builder_output(void *ud, int stream, const char *p, size_t n)
{
	struct live *lv = ud;
	(void)stream;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		if (c == '\n') {
			live_line(lv);
			lv->len = 0;
		} else if (lv->len < sizeof lv->line - 1 && (c >= 0x20 || c == '\t')) {
			lv->line[lv->len++] = (char)c;
		}
	}
}

/* Runs one builder step; on failure raises build_failed with the
 * Dockerfile step and the builder's last line. */
/* One builder step (0 build, 1 push), no Lua: 0, or -1 with err. The live
 * line on a terminal only when the step runs alone (tty). */
static int step_c(const struct cd_ctx *ctx, const struct cd_builder_req *req,
		  int step, int tty, struct cd_err *err)
{
	struct cd_builder_argv a;
	struct cd_proc_result pr;
	if (cd_builder_argv(req, step, &a, err) != 0)
		return -1;
	if (a.n == 0)
		return 0;
	char what[900];
	snprintf(what, sizeof what, "%s %s %s", cd_builder_name(req->kind),
		 step ? "push" : "build", req->ref);
	struct live lv = {.report = ctx->report, .what = what};
	lv.tty = tty && ctx->report && ctx->report->tty &&
		 ctx->report->format == CD_FORMAT_TEXT && ctx->report->verbosity >= 0;
	lv.verbose = ctx->report && ctx->report->verbosity > 0;
	struct cd_proc_opts po = {.argv = (const char *const *)a.v, .op = OP,
				  .deadline = ctx->deadline};
	if (lv.tty || lv.verbose) {
		po.on_output = on_builder_output;
		po.output_ud = &lv;
	}
	memset(&pr, 0, sizeof pr);
	int rc = cd_proc_run(&po, &pr, err);
	live_line(&lv);
	if (lv.tty) {
		fprintf(ctx->report->out, "\r\033[2K");
		fflush(ctx->report->out);
	}
	if (rc == 0 && pr.status != 0) {
		struct cd_buf all = {0};
		char why[1024];
		cd_buf_printf(&all, "%.*s\n%.*s", (int)pr.out.len,
			      pr.out.data ? pr.out.data : "", (int)pr.err.len,
			      pr.err.data ? pr.err.data : "");
		cd_builder_failure(req->kind, all.data, all.len, why, sizeof why);
		cd_buf_free(&all);
		rc = cd_err_set(err, CD_E_BUILD_FAILED, OP,
				"%s %s of %s failed (exit %d) %s",
				cd_builder_name(req->kind), step ? "push" : "build",
				req->ref, pr.status, why);
	}
	cd_proc_result_free(&pr);
	cd_builder_argv_free(&a);
	return rc == 0 ? 0 : -1;
}


/* Absolute path of a directory or file under the project root. */
static const char *project_path(lua_State *L, int a, const char *rel,
				const char *what)
{
	struct cd_ctx *ctx = cd_sandbox_get(L)->ctx;
	struct cd_err err;
	char *abs = NULL;
	if (cd_fs_exists(ctx->root, rel, &err) <= 0) {
		if (err.code == CD_E_LIMIT)
			cd_lerr_raise_err(L, &err);
		cd_lerr_raise(L, CD_E_NOT_FOUND, OP, "%s %s does not exist", what, rel);
	}
	if (cd_fs_resolve(ctx->root, rel, &abs, &err) != 0)
		cd_lerr_raise_err(L, &err);
	lua_pushstring(L, abs);
	cd_free(abs);
	const char *s = anchored(L, a, -1);
	lua_pop(L, 1);
	return s;
}


/* An external build in flight (a userdata on the primitive's stack). */
struct xbuild {
	const struct cd_ctx *ctx;
	struct cd_builder_req req;
	char image[600], name[600], tag[CD_TAG_MAX], ref[900], dfile[64];
	int tty, rc;
	struct cd_err err;
};

/* A build whose continuation never ran (another cdhost.parallel function
 * failed first) still removes its digest file. */
static int xbuild_gc(lua_State *L)
{
	struct xbuild *x = lua_touserdata(L, 1);
	if (x && x->dfile[0]) {
		unlink(x->dfile);
		x->dfile[0] = '\0';
	}
	return 0;
}

static void xbuild_work(void *arg)
{
	struct xbuild *x = arg;
	x->rc = step_c(x->ctx, &x->req, 0, x->tty, &x->err);
	if (x->rc == 0)
		x->rc = step_c(x->ctx, &x->req, 1, x->tty, &x->err);
}

/* After the builder: its digest, checked against what the registry
 * serves under the tag. */
static int xbuild_done(lua_State *L, int status, lua_KContext kctx)
{
	struct xbuild *x = (struct xbuild *)kctx;
	struct cd_ctx *ctx = cd_sandbox_get(L)->ctx;
	struct cd_err err;
	enum cd_builder_kind kind = x->req.kind;
	char digest[CD_DIGEST_MAX];
	(void)status;
	char *dtext = NULL;
	size_t dlen = 0;
	int rrc = x->rc == 0 ? cd_fs_read_path(x->dfile, 4096, &dtext, &dlen, &err) : 0;
	unlink(x->dfile);
	x->dfile[0] = '\0';
	if (x->rc != 0)
		return cd_lerr_raise_err(L, &x->err);
	if (rrc != 0)
		return cd_lerr_raise_err(L, &err);
	int drc = cd_builder_digest(kind, dtext, dlen, digest, sizeof digest, &err);
	cd_free(dtext);
	if (drc != 0)
		return cd_lerr_raise_err(L, &err);
	/* What the registry serves under the tag must be what was reported. */
	char served[CD_DIGEST_MAX];
	plan_digest(L, x->name, x->tag, served);
	if (strcmp(served, digest) != 0)
		return cd_lerr_raise(L, CD_E_HASH_MISMATCH, OP,
				     "%s reported %s for %s, the registry serves %s",
				     cd_builder_name(kind), digest, x->ref,
				     *served ? served : "nothing");
	char full[1100];
	snprintf(full, sizeof full, "%s@%s", x->ref, digest);
	ctx->stats.built++;
	cd_report_log(ctx->report, CD_LOG_INFO, "push", "%s: built with %s and pushed",
		      full, cd_builder_name(kind));
	record(L, x->image, full);
	push_artifact(L, x->image, x->name, x->tag, digest, 1);
	lua_pushstring(L, cd_builder_name(kind));
	lua_setfield(L, -2, "builder");
	return 1;
}

static int build_external(lua_State *L, const char *image, const char *name,
			  enum cd_builder_kind kind)
{
	struct cd_sandbox *sb = cd_sandbox_get(L);
	struct cd_ctx *ctx = sb->ctx;
	struct cd_image_spec s;
	struct cd_builder_req req;
	struct cd_err err;
	char tag[CD_TAG_MAX], input[CD_DIGEST_MAX], ref[900], df_rel[1024];
	int given;
	memset(&s, 0, sizeof s);
	memset(&req, 0, sizeof req);
	const char *context = opt_str(L, 1, 2, "context");
	const char *dockerfile = opt_str(L, 1, 2, "dockerfile");
	if (!context)
		context = ".";
	snprintf(df_rel, sizeof df_rel, "%s/%s", context, dockerfile ? dockerfile : "Dockerfile");
	req.kind = kind;
	req.context = project_path(L, 2, context, "build context");
	req.dockerfile = project_path(L, 2, df_rel, "Dockerfile");
	req.target = opt_str(L, 1, 2, "target");
	size_t nargs;
	req.args = kv_map(L, 1, 2, "build_args", &nargs);
	req.nargs = nargs;
	req.platforms = str_list(L, 1, 2, "platforms", &req.nplatforms, &given);
	req.insecure = insecure_host(ctx, name);
	/* The inputs: the context (its .dockerignore honoured), the
	 * Dockerfile, the build args, target, platforms and builder. */
	lua_createtable(L, 0, 1);
	lua_createtable(L, 1, 0);
	lua_createtable(L, 0, 2);
	lua_pushstring(L, context);
	lua_setfield(L, -2, "from");
	lua_pushstring(L, "/");
	lua_setfield(L, -2, "to");
	lua_rawseti(L, -2, 1);
	lua_setfield(L, -2, "layers");
	int spec_t = lua_gettop(L);
	struct cd_lptr *box = cd_lptr_push(L, cd_calloc(1, sizeof(struct job)), job_free);
	if (!box->ptr)
		return cd_lerr_raise(L, CD_E_NOMEM, OP, "out of memory");
	struct job *j = box->ptr;
	scan_layers(L, spec_t, 2, j, 0);
	char *dftext = NULL;
	size_t dflen = 0;
	if (cd_fs_read(ctx->root, df_rel, 1 << 20, &dftext, &dflen, &err) != 0)
		return cd_lerr_raise_err(L, &err);
	lua_pushlstring(L, dftext, dflen);
	cd_free(dftext);
	const char *dfcontent = anchored(L, 2, -1);
	lua_pop(L, 1);
	struct cd_kv *labels = lua_newuserdatauv(L, (req.nargs + 3) * sizeof *labels, 0);
	size_t nl = 0;
	labels[nl++] = (struct cd_kv){"cdhost.dockerfile", dfcontent};
	labels[nl++] = (struct cd_kv){"cdhost.target", req.target ? req.target : ""};
	for (size_t i = 0; i < req.nargs; i++)
		labels[nl++] = (struct cd_kv){req.args[i].k, req.args[i].v};
	s.name = name;
	s.base = "dockerfile";
	s.layers = j->layers;
	s.nlayers = j->nlayers;
	s.platforms = req.platforms;
	s.nplatforms = req.nplatforms;
	s.config.labels = labels;
	s.config.nlabels = nl;
	if (cd_image_input_digest(&s, cd_builder_name(kind), input, &err) != 0)
		return cd_lerr_raise_err(L, &err);
	resolve_tag(L, 1, input, tag);
	snprintf(ref, sizeof ref, "%s:%s", name, tag);
	req.ref = ref;

	enum cd_action act = cd_ctx_effect(ctx, CD_EFFECT_IMAGE_BUILD);
	char digest[CD_DIGEST_MAX];
	if (act != CD_ACT_DO) {
		plan_digest(L, name, tag, digest);
		ctx->stats.skipped++;
		cd_report_log(ctx->report, CD_LOG_INFO, "build",
			      "image.build: would build %s with %s (%s mode)%s%s",
			      ref, cd_builder_name(kind), cd_ctx_mode_desc(ctx),
			      *digest ? "; exists as " : "", digest);
		push_artifact(L, image, name, tag, digest, 0);
		lua_pushstring(L, cd_builder_name(kind));
		lua_setfield(L, -2, "builder");
		return 1;
	}
	/* The tag is the digest of the inputs: if it exists, so does the
	 * image (Skaffold's "Found. Tagging"). */
	if (strcmp(tag, input + 7) == 0) {
		plan_digest(L, name, tag, digest);
		if (*digest) {
			char full[1100];
			snprintf(full, sizeof full, "%s@%s", ref, digest);
			ctx->stats.found++;
			cd_report_log(ctx->report, CD_LOG_INFO, "build",
				      "%s: Found. Tagging (same inputs, nothing built or pushed)",
				      ref);
			record(L, image, full);
			push_artifact(L, image, name, tag, digest, 0);
			lua_pushstring(L, cd_builder_name(kind));
			lua_setfield(L, -2, "builder");
			return 1;
		}
	}
	struct xbuild *x = lua_newuserdatauv(L, sizeof *x, 0);
	memset(x, 0, sizeof *x);
	lua_createtable(L, 0, 1);
	lua_pushcfunction(L, xbuild_gc);
	lua_setfield(L, -2, "__gc");
	lua_setmetatable(L, -2);
	snprintf(x->dfile, sizeof x->dfile, "/tmp/cdhost-digest-XXXXXX");
	int fd = mkstemp(x->dfile);
	if (fd < 0) {
		x->dfile[0] = '\0';
		return cd_lerr_raise(L, CD_E_IO, OP, "cannot create a temporary file");
	}
	close(fd);
	x->ctx = ctx;
	x->req = req; /* its strings are anchored at index 2 */
	snprintf(x->image, sizeof x->image, "%s", image);
	snprintf(x->name, sizeof x->name, "%s", name);
	snprintf(x->tag, sizeof x->tag, "%s", tag);
	snprintf(x->ref, sizeof x->ref, "%s", ref);
	x->req.ref = x->ref;
	x->req.digest_file = x->dfile;
	x->tty = !cd_parallel_active(L);
	cd_report_log(ctx->report, CD_LOG_INFO, "build", "%s: building with %s",
		      x->ref, cd_builder_name(kind));
	return cd_parallel_offload(L, xbuild_work, x, (lua_KContext)x, xbuild_done);
}

/* The live line of an image build on a terminal: bytes pushed and rate,
 * redrawn at most ten times a second. */
struct progress {
	struct cd_report *report;
	const char *name;
	double t0, first, drawn; /* start, first byte sent, last draw */
	uint64_t up;
	int live;
};

static void on_progress(void *ud, uint64_t up, uint64_t down)
{
	struct progress *p = ud;
	double now = cd_now();
	(void)down;
	if (up && !p->first)
		p->first = now;
	p->up += up;
	if (now - p->drawn < 0.1)
		return;
	p->drawn = now;
	double secs = p->first ? now - p->first : 0;
	fprintf(p->report->out, "\r\033[2K  pushing %s: %.1f MB, %.1f MB/s", p->name,
		p->up / 1e6, secs > 0 ? p->up / 1e6 / secs : 0.0);
	fflush(p->report->out);
}

/* A native build in flight: what its offloaded part needs and leaves for
 * the continuation (a userdata on the primitive's stack). */
struct nbuild {
	struct cd_image_spec s;
	char image[600], name[600], tag[CD_TAG_MAX], input[CD_DIGEST_MAX];
	struct cd_registry *r;
	struct cd_image_result res;
	struct cd_err err;
	int rc;
	struct progress pg;
	unsigned long up0;
	uint64_t bytes0;
};

static void nbuild_work(void *arg)
{
	struct nbuild *b = arg;
	b->rc = cd_image_build(b->r, &b->s, &b->res, &b->err);
}

static int nbuild_done(lua_State *L, int status, lua_KContext kctx)
{
	struct nbuild *b = (struct nbuild *)kctx;
	struct cd_ctx *ctx = cd_sandbox_get(L)->ctx;
	struct cd_registry *r = b->r;
	(void)status;
	r->http->progress = NULL;
	r->http->progress_ud = NULL;
	if (b->pg.live) {
		fprintf(ctx->report->out, "\r\033[2K");
		fflush(ctx->report->out);
	}
	if (b->rc != 0) {
		snprintf(b->err.op, sizeof b->err.op, "%s", OP);
		return cd_lerr_raise_err(L, &b->err);
	}
	double secs = cd_now() - b->pg.t0;
	uint64_t sent = r->stats.bytes_up - b->bytes0;
	if (b->res.found)
		ctx->stats.found++;
	else
		ctx->stats.built++;
	if (b->res.found)
		cd_report_log(ctx->report, CD_LOG_INFO, "build",
			      "%s:%s: Found. Tagging (same inputs, nothing "
			      "built or pushed)", b->name, b->tag);
	else
		cd_report_log(ctx->report, CD_LOG_INFO, "push",
			      "%s: built and pushed (%lu blobs uploaded, %.1f MB in %.1fs, %.1f MB/s)",
			      b->res.ref, r->stats.uploaded - b->up0, sent / 1e6, secs,
			      secs > 0 ? sent / 1e6 / secs : 0.0);
	record(L, b->image, b->res.ref);
	push_artifact(L, b->image, b->name, b->tag, b->res.digest, b->res.pushed);
	return 1;
}

static int l_build(lua_State *L)
{
	struct cd_sandbox *sb = cd_sandbox_get(L);
	struct cd_ctx *ctx = sb->ctx;
	struct cd_image_spec s;
	struct cd_err err;
	char name[600], tag[CD_TAG_MAX], input[CD_DIGEST_MAX];
	int given;
	luaL_checktype(L, 1, LUA_TTABLE);
	lua_settop(L, 1);
	lua_newtable(L); /* 2: anchor */
	memset(&s, 0, sizeof s);
	const char *raw = opt_str(L, 1, 2, "name");
	if (!raw || !*raw)
		return cd_lerr_raise(L, CD_E_INVALID, OP, "`name` is required");
	const char *builder = opt_str(L, 1, 2, "builder");
	enum cd_builder_kind kind = CD_BUILDER_BUILDAH;
	int external = builder && strcmp(builder, "native") != 0;
	if (external && cd_builder_kind_of(builder, &kind, &err) != 0)
		return cd_lerr_raise_err(L, &err);
	if (cd_tag_default_repo(ctx->default_repo, ctx->multi_level_repo, raw,
				name, sizeof name, &err) != 0)
		return cd_lerr_raise_err(L, &err);
	if (ctx->mode == CD_MODE_DEPLOY ||
	    cd_ctx_effect(ctx, CD_EFFECT_IMAGE_BUILD) == CD_ACT_ARTIFACT)
		return from_artifacts(L, raw, name);
	if (external)
		return build_external(L, raw, name, kind);
	s.name = name;
	s.base = opt_str(L, 1, 2, "base");
	if (!s.base)
		return cd_lerr_raise(L, CD_E_INVALID, OP,
				     "`base` is required for the native "
				     "builder (an image or \"scratch\")");
	s.platforms = str_list(L, 1, 2, "platforms", &s.nplatforms, &given);
	struct cd_image_config *c = &s.config;
	c->entrypoint = str_list(L, 1, 2, "entrypoint", &c->nentrypoint, &c->set_entrypoint);
	c->cmd = str_list(L, 1, 2, "cmd", &c->ncmd, &c->set_cmd);
	c->env = kv_map(L, 1, 2, "env", &c->nenv);
	c->labels = kv_map(L, 1, 2, "labels", &c->nlabels);
	c->ports = str_list(L, 1, 2, "ports", &c->nports, &given);
	c->workdir = opt_str(L, 1, 2, "workdir");
	c->user = opt_str(L, 1, 2, "user");
	c->created = source_date_epoch();
	struct cd_lptr *box = cd_lptr_push(L, cd_calloc(1, sizeof(struct job)), job_free);
	if (!box->ptr)
		return cd_lerr_raise(L, CD_E_NOMEM, OP, "out of memory");
	struct job *j = box->ptr;
	scan_layers(L, 1, 2, j, c->created);
	s.layers = j->layers;
	s.nlayers = j->nlayers;
	if (cd_image_input_digest(&s, "native", input, &err) != 0)
		return cd_lerr_raise_err(L, &err);
	s.input_digest = input;
	/* the label the registry-side check and users can see */
	struct cd_kv *labels = lua_newuserdatauv(L, (c->nlabels + 1) * sizeof *labels, 0);
	if (c->nlabels) /* c->labels is NULL without labels */
		memcpy(labels, c->labels, c->nlabels * sizeof *labels);
	labels[c->nlabels].k = CD_IMAGE_LABEL_INPUT;
	labels[c->nlabels].v = input;
	c->labels = labels;
	c->nlabels++;
	resolve_tag(L, 1, input, tag);
	s.tag = tag;

	enum cd_action act = cd_ctx_effect(ctx, CD_EFFECT_IMAGE_BUILD);
	if (act != CD_ACT_DO) {
		char digest[CD_DIGEST_MAX];
		plan_digest(L, name, tag, digest);
		ctx->stats.skipped++;
		cd_report_log(ctx->report, CD_LOG_INFO, "build",
			      "image.build: would build %s:%s (%s mode)%s%s",
			      name, tag, cd_ctx_mode_desc(ctx),
			      *digest ? "; exists as " : "", digest);
		push_artifact(L, raw, name, tag, digest, 0);
		return 1;
	}
	/* The build and push: offloaded (cdhost.parallel), so what it needs
	 * moves off this C stack into a userdata anchored on the Lua one. */
	struct nbuild *b = lua_newuserdatauv(L, sizeof *b, 0);
	memset(b, 0, sizeof *b);
	b->s = s;
	snprintf(b->image, sizeof b->image, "%s", raw);
	snprintf(b->name, sizeof b->name, "%s", name);
	snprintf(b->tag, sizeof b->tag, "%s", tag);
	snprintf(b->input, sizeof b->input, "%s", input);
	b->s.name = b->name;
	b->s.tag = b->tag;
	b->s.input_digest = b->input;
	labels[c->nlabels - 1].v = b->input; /* the label added above */
	int own = cd_parallel_active(L);
	b->r = own ? cd_l_registry_client_own(L, OP) : cd_l_registry_client(L, OP);
	b->up0 = b->r->stats.uploaded;
	b->bytes0 = b->r->stats.bytes_up;
	b->pg = (struct progress){.report = ctx->report, .name = b->name, .t0 = cd_now()};
	b->pg.live = !own && ctx->report && ctx->report->tty &&
		     ctx->report->format == CD_FORMAT_TEXT && ctx->report->verbosity >= 0;
	if (b->pg.live) {
		fprintf(ctx->report->out, "  building %s ...", b->name);
		fflush(ctx->report->out);
		b->r->http->progress = on_progress;
		b->r->http->progress_ud = &b->pg;
	} else if (own) {
		cd_report_log(ctx->report, CD_LOG_INFO, "build", "%s:%s: building",
			      b->name, b->tag);
	}
	return cd_parallel_offload(L, nbuild_work, b, (lua_KContext)b, nbuild_done);
}

int cd_l_image_flush(lua_State *L)
{
	struct cd_ctx *ctx = cd_sandbox_get(L)->ctx;
	struct cd_artifacts a = {0};
	struct cd_buf out = CD_BUF_INIT;
	int rc = -1;
	if (!ctx->file_output || !cd_mode_writes(ctx->mode) ||
	    ctx->mode == CD_MODE_DEPLOY)
		return 0;
	if (ctx->dry_run) {
		cd_report_log(ctx->report, CD_LOG_INFO, "build",
			      "artifacts file %s not written (--dry-run)",
			      ctx->file_output);
		return 0;
	}
	if (lua_getfield(L, LUA_REGISTRYINDEX, BUILT_KEY) == LUA_TTABLE) {
		for (lua_Integer i = 1; i <= (lua_Integer)lua_rawlen(L, -1); i++) {
			lua_rawgeti(L, -1, i);
			lua_rawgeti(L, -1, 1);
			lua_rawgeti(L, -2, 2);
			int bad = cd_artifacts_add(&a, lua_tostring(L, -2),
						   lua_tostring(L, -1));
			lua_pop(L, 3);
			if (bad)
				goto done;
		}
	}
	lua_pop(L, 1);
	if (cd_artifacts_write(&a, &out) != 0)
		goto done;
	if (strcmp(ctx->file_output, "-") == 0) {
		rc = fwrite(out.data, 1, out.len, stdout) == out.len &&
				     fflush(stdout) == 0 ? 0 : -1;
	} else {
		FILE *f = fopen(ctx->file_output, "we");
		rc = f && fwrite(out.data, 1, out.len, f) == out.len ? 0 : -1;
		if (f && fclose(f) != 0)
			rc = -1;
		if (rc != 0)
			cd_report_log(ctx->report, CD_LOG_ERROR, "build",
				      "cannot write the artifacts file %s [io]",
				      ctx->file_output);
	}
done:
	cd_buf_free(&out);
	cd_artifacts_free(&a);
	return rc;
}

/* ---- cdhost.tag ---- */

static int policy(lua_State *L, const char *kind, const char *field, int arg)
{
	cd_value_new(L, CD_VALUE_MAP);
	lua_pushstring(L, kind);
	lua_setfield(L, -2, "policy");
	if (field && !lua_isnoneornil(L, arg)) {
		luaL_checkstring(L, arg);
		lua_pushvalue(L, arg);
		lua_setfield(L, -2, field);
	}
	return 1;
}

static int l_input_digest(lua_State *L)
{
	return policy(L, "input_digest", NULL, 0);
}

static int l_datetime(lua_State *L)
{
	return policy(L, "datetime", "format", 1);
}

/* Checks a tag.git options table at idx (NULL-safe: nil is {}) and copies
 * its fields into the table at -1. */
static void git_opts(lua_State *L, int idx, const char *op)
{
	static const char *const fields[] = {"variant", "dirty", "path",
					     "prefix", NULL};
	if (lua_isnoneornil(L, idx))
		return;
	if (!lua_istable(L, idx))
		cd_lerr_raise(L, CD_E_INVALID, op,
			      "options must be a table {variant=, dirty=, "
			      "path=, prefix=}");
	lua_pushnil(L);
	while (lua_next(L, idx)) {
		const char *k = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : "?";
		int i = 0, ty = lua_type(L, -1);
		while (fields[i] && strcmp(fields[i], k) != 0)
			i++;
		if (!fields[i])
			cd_lerr_raise(L, CD_E_INVALID, op,
				      "unknown option '%s' (known: variant, "
				      "dirty, path, prefix)",
				      k);
		if (i == 1 ? ty != LUA_TBOOLEAN : ty != LUA_TSTRING)
			cd_lerr_raise(L, CD_E_INVALID, op, "`%s` must be a %s",
				      k, i == 1 ? "boolean" : "string");
		int v = 0;
		while (i == 0 && git_variants[v] &&
		       strcmp(git_variants[v], lua_tostring(L, -1)) != 0)
			v++;
		if (i == 0 && !git_variants[v])
			cd_lerr_raise(L, CD_E_INVALID, op,
				      "unknown variant \"%s\" (known: tags, "
				      "commit, abbrev, tree, branch)",
				      lua_tostring(L, -1));
		lua_pushvalue(L, -2);
		lua_insert(L, -2);
		lua_rawset(L, -4);
	}
}

static int l_git(lua_State *L)
{
	lua_settop(L, 1);
	policy(L, "git", NULL, 0);
	git_opts(L, 1, "tag.git");
	return 1;
}

static int l_template(lua_State *L)
{
	luaL_checkstring(L, 1);
	lua_settop(L, 2);
	policy(L, "template", "template", 1);
	if (lua_isnil(L, 2))
		return 1;
	if (!lua_istable(L, 2))
		return cd_lerr_raise(L, CD_E_INVALID, "tag.template",
				     "options must be a table {git = {...}}");
	lua_getfield(L, 2, "git");
	lua_newtable(L);
	git_opts(L, lua_gettop(L) - 1, "tag.template");
	lua_setfield(L, 3, "git");
	lua_pop(L, 1);
	return 1;
}

void cd_l_image_register(lua_State *L, int t)
{
	static const luaL_Reg image[] = {{"build", l_build}, {NULL, NULL}};
	static const luaL_Reg tag[] = {{"input_digest", l_input_digest},
				       {"sha256", l_input_digest},
				       {"git", l_git},
				       {"datetime", l_datetime},
				       {"template", l_template},
				       {NULL, NULL}};
	luaL_newlib(L, image);
	lua_setfield(L, t, "image");
	luaL_newlib(L, tag);
	lua_setfield(L, t, "tag");
}
