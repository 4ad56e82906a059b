/* cdhost.registry — resolve, exists, copy, tags (core/registry.c).
 *
 * Reads run in every mode but --offline; in render mode a registry that
 * cannot be reached is a warning and the call returns nil plus the message
 * (SPEC section 3). copy writes, so it runs only in modes that write
 * (cd_ctx_writes) and is recorded as planned otherwise. One client per run
 * (a userdata in the Lua registry), so tokens are fetched once per scope
 * and live in memory only. */
#include <lauxlib.h>
#include <stdio.h>
#include <string.h>

#include "../core/http.h"
#include "../core/mem.h"
#include "../core/registry.h"
#include "host.h"
#include "lbuf.h"
#include "lerr.h"
#include "parallel.h"
#include "sandbox.h"
#include "value.h"

static const char CLIENT_KEY[] = "cdhost.registry.client";

struct client {
	int ready;
	struct cd_http http;
	struct cd_registry reg;
};

static int client_gc(lua_State *L)
{
	struct client *c = lua_touserdata(L, 1);
	if (c && c->ready) {
		cd_registry_free(&c->reg);
		cd_http_free(&c->http);
		c->ready = 0;
	}
	return 0;
}

/* Pushes a new client (its own HTTP handle, token cache) whose __gc frees
 * it; raises on failure. */
static struct client *new_client(lua_State *L, const char *op)
{
	struct cd_err err;
	struct client *c = lua_newuserdatauv(L, sizeof *c, 0);
	memset(c, 0, sizeof *c);
	lua_createtable(L, 0, 2);
	lua_pushcfunction(L, client_gc);
	lua_setfield(L, -2, "__gc");
	lua_pushcfunction(L, client_gc);
	lua_setfield(L, -2, "__close");
	lua_setmetatable(L, -2);
	struct cd_ctx *ctx = cd_sandbox_get(L)->ctx;
	if (cd_http_init(&c->http, ctx, &err) != 0) {
		snprintf(err.op, sizeof err.op, "%s", op);
		cd_lerr_raise_err(L, &err);
	}
	cd_registry_init(&c->reg, &c->http, ctx, &err);
	c->ready = 1;
	return c;
}

struct cd_registry *cd_l_registry_client_own(lua_State *L, const char *op)
{
	return &new_client(L, op)->reg;
}

struct cd_registry *cd_l_registry_client(lua_State *L, const char *op)
{
	if (lua_getfield(L, LUA_REGISTRYINDEX, CLIENT_KEY) == LUA_TUSERDATA) {
		struct client *c = lua_touserdata(L, -1);
		lua_pop(L, 1);
		return &c->reg;
	}
	lua_pop(L, 1);
	struct client *c = new_client(L, op);
	lua_setfield(L, LUA_REGISTRYINDEX, CLIENT_KEY);
	return &c->reg;
}

static int raise(lua_State *L, struct cd_err *err, const char *op)
{
	snprintf(err->op, sizeof err->op, "%s", op);
	return cd_lerr_raise_err(L, err);
}

/* A failed read: in render mode (or any --dry-run preview) an unreachable
 * registry is a warning and the call returns nil, message; anything else
 * raises. */
static int read_failed(lua_State *L, struct cd_err *err, const char *op)
{
	struct cd_ctx *ctx = cd_sandbox_get(L)->ctx;
	if (ctx->dry_run && err->code == CD_E_UNREACHABLE) {
		cd_report_log(ctx->report, CD_LOG_WARN, "render",
			      "%s: digest unknown: registry unreachable (%s)", op,
			      err->msg);
		lua_pushnil(L);
		lua_pushstring(L, err->msg);
		return 2;
	}
	return raise(L, err, op);
}

static void check_ref(lua_State *L, int arg, const char *op, struct cd_ref *ref)
{
	struct cd_err err;
	if (cd_ref_parse(cd_lerr_checkname(L, arg, op), ref, &err) != 0)
		raise(L, &err, op);
}

/* {name=, tag=, digest=, ref=, media_type=, size=} */
static void push_desc(lua_State *L, const struct cd_ref *ref,
		      const struct cd_desc *d)
{
	char buf[800];
	cd_value_new(L, CD_VALUE_MAP);
	cd_ref_name(ref, buf, sizeof buf);
	lua_pushstring(L, buf);
	lua_setfield(L, -2, "name");
	if (ref->tag[0]) {
		lua_pushstring(L, ref->tag);
		lua_setfield(L, -2, "tag");
	}
	lua_pushstring(L, d->digest);
	lua_setfield(L, -2, "digest");
	snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%s%s@%s",
		 ref->tag[0] ? ":" : "", ref->tag, d->digest);
	lua_pushstring(L, buf);
	lua_setfield(L, -2, "ref");
	lua_pushstring(L, d->media_type);
	lua_setfield(L, -2, "media_type");
	lua_pushinteger(L, (lua_Integer)d->size);
	lua_setfield(L, -2, "size");
}

static int l_resolve(lua_State *L)
{
	struct cd_ref ref;
	struct cd_desc d;
	struct cd_err err;
	check_ref(L, 1, "registry.resolve", &ref);
	struct cd_registry *r = cd_l_registry_client(L, "registry.resolve");
	if (cd_registry_resolve(r, &ref, &d, &err) != 0)
		return read_failed(L, &err, "registry.resolve");
	push_desc(L, &ref, &d);
	return 1;
}

static int l_exists(lua_State *L)
{
	struct cd_ref ref;
	struct cd_desc d;
	struct cd_err err;
	check_ref(L, 1, "registry.exists", &ref);
	struct cd_registry *r = cd_l_registry_client(L, "registry.exists");
	int rc = cd_registry_manifest_head(r, &ref, &d, &err);
	if (rc < 0)
		return read_failed(L, &err, "registry.exists");
	lua_pushboolean(L, rc);
	return 1;
}

struct copy_job {
	struct cd_ref src, dst;
	struct cd_desc d;
	struct cd_err err;
	struct cd_registry *r;
	int rc;
};

static void copy_work(void *arg)
{
	struct copy_job *j = arg;
	j->rc = cd_registry_copy(j->r, &j->src, &j->dst, &j->d, &j->err);
}

static int copy_done(lua_State *L, int status, lua_KContext kctx)
{
	struct copy_job *j = (struct copy_job *)kctx;
	(void)status;
	if (j->rc != 0)
		return raise(L, &j->err, "registry.copy");
	if (!j->dst.tag_given && !j->dst.digest[0])
		snprintf(j->dst.tag, sizeof j->dst.tag, "%s",
			 j->src.tag_given ? j->src.tag : "");
	j->dst.digest[0] = '\0';
	push_desc(L, &j->dst, &j->d);
	lua_pushboolean(L, 1);
	lua_setfield(L, -2, "copied");
	return 1;
}

static int l_copy(lua_State *L)
{
	struct cd_ref src, dst;
	char s[700], t[700];
	struct cd_ctx *ctx = cd_sandbox_get(L)->ctx;
	check_ref(L, 1, "registry.copy", &src);
	check_ref(L, 2, "registry.copy", &dst);
	if (!cd_ctx_writes(ctx)) {
		cd_ref_string(&src, s, sizeof s);
		cd_ref_string(&dst, t, sizeof t);
		ctx->stats.skipped++;
		cd_report_log(ctx->report, CD_LOG_INFO, "push",
			      "registry.copy: would copy %s to %s (%s mode)", s, t,
			      cd_ctx_mode_desc(ctx));
		cd_value_new(L, CD_VALUE_MAP);
		lua_pushstring(L, s);
		lua_setfield(L, -2, "src");
		lua_pushstring(L, t);
		lua_setfield(L, -2, "dst");
		lua_pushboolean(L, 0);
		lua_setfield(L, -2, "copied");
		return 1;
	}
	/* The copy itself may run on a worker thread (cdhost.parallel): its
	 * state moves into a userdata on the stack, with a client of its own
	 * then. */
	struct copy_job *j = lua_newuserdatauv(L, sizeof *j, 0);
	memset(j, 0, sizeof *j);
	j->src = src;
	j->dst = dst;
	j->r = cd_parallel_active(L) ? cd_l_registry_client_own(L, "registry.copy")
				     : cd_l_registry_client(L, "registry.copy");
	return cd_parallel_offload(L, copy_work, j, (lua_KContext)j, copy_done);
}

static void free_tags(void *p)
{
	cd_registry_tags_free(p);
}

static int l_tags(lua_State *L)
{
	struct cd_ref ref;
	struct cd_err err;
	char **tags = NULL;
	size_t n = 0;
	check_ref(L, 1, "registry.tags", &ref);
	if (ref.tag_given || ref.digest[0])
		return cd_lerr_raise(L, CD_E_INVALID, "registry.tags",
				     "takes a repository without tag or digest, "
				     "got \"%s\"",
				     lua_tostring(L, 1));
	struct cd_registry *r = cd_l_registry_client(L, "registry.tags");
	struct cd_lptr *box = cd_lptr_push(L, NULL, free_tags);
	if (cd_registry_tags(r, &ref, &tags, &n, &err) != 0)
		return read_failed(L, &err, "registry.tags");
	box->ptr = tags;
	cd_value_new(L, CD_VALUE_LIST);
	for (size_t i = 0; i < n; i++) {
		lua_pushstring(L, tags[i]);
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
	cd_lptr_release(box);
	return 1;
}

void cd_l_registry_register(lua_State *L, int t)
{
	static const luaL_Reg fns[] = {{"resolve", l_resolve},
				       {"exists", l_exists},
				       {"copy", l_copy},
				       {"tags", l_tags},
				       {NULL, NULL}};
	luaL_newlib(L, fns);
	lua_setfield(L, t, "registry");
}
