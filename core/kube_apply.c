/* core/kube_apply.c — see kube_apply.h and docs/internals/kube.md. */
#include "kube_apply.h"

#include <errno.h>
#include <openssl/evp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "diff.h"
#include "digest.h"
#include "status.h"
#include "manifest.h"
#include "mem.h"
#include "util.h"

#define OP "kube.apply"
#define CSA_MANAGER "kubectl-client-side-apply"
#define L_ID "applyset.kubernetes.io/id"
#define L_PART_OF "applyset.kubernetes.io/part-of"
#define A_TOOLING "applyset.kubernetes.io/tooling"
#define A_GKS "applyset.kubernetes.io/contains-group-kinds"
#define A_NS "applyset.kubernetes.io/additional-namespaces"
#define LEASE_SECONDS 120

struct item {
	json_t *obj; /* borrowed from the caller's array (labels, namespace
			are set here) */
	const char *src;
	int rank;
	size_t index;
	struct cd_kube_mapping m;
	int unmapped; /* diff: kind of a CRD the set creates */
	int listed;   /* list_live looked for it */
	const char *ns, *name;
	char what[512], path[1024];
	json_t *live, *after;
};

struct run {
	struct cd_kube *k;
	const struct cd_kube_apply_opts *o;
	struct item *it;
	size_t n;
	const char *manager, *ns, *propagation;
	char id[96], lease_holder[128];
	int locked;
	double lease_renewed;
	json_t *parent, *results;
	unsigned changes;
	unsigned skipped; /* unchanged: no PATCH sent */
};

static const char *sget(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static const char *meta(const json_t *o, const char *key)
{
	return sget(json_object_get(o, "metadata"), key);
}

/* ---- ApplySet id ---- */

void cd_applyset_id(const char *name, const char *ns, char *out, size_t n)
{
	char text[1024];
	unsigned char md[EVP_MAX_MD_SIZE], b64[64];
	unsigned mdlen = 0;
	int len = snprintf(text, sizeof text, "%s.%s.Secret.", name, ns);
	EVP_Digest(text, (size_t)len, md, &mdlen, EVP_sha256(), NULL);
	int bl = EVP_EncodeBlock(b64, md, (int)mdlen);
	while (bl > 0 && b64[bl - 1] == '=')
		b64[--bl] = '\0';
	for (int i = 0; i < bl; i++)
		b64[i] = b64[i] == '+' ? '-' : b64[i] == '/' ? '_' : b64[i];
	snprintf(out, n, "applyset-%s-v1", b64);
}

/* ---- client-side apply take-over (client-go's csaupgrade) ---- */

static void fields_union(json_t *into, const json_t *from)
{
	const char *key;
	json_t *v;
	json_object_foreach((json_t *)from, key, v) {
		json_t *have = json_object_get(into, key);
		if (json_is_object(have) && json_is_object(v))
			fields_union(have, v);
		else if (!have)
			json_object_set(into, key, v);
	}
}

static int is_entry(const json_t *e, const char *manager, const char *op)
{
	const char *sub = sget(e, "subresource");
	return sget(e, "manager") && !strcmp(sget(e, "manager"), manager) &&
	       sget(e, "operation") && !strcmp(sget(e, "operation"), op) &&
	       (!sub || !*sub);
}

json_t *cd_kube_csa_upgrade_patch(const json_t *live, const char *manager)
{
	json_t *mf = json_object_get(json_object_get(live, "metadata"),
				     "managedFields");
	json_t *e, *target = NULL;
	size_t i;
	int has_csa = 0;
	json_array_foreach(mf, i, e) has_csa |= is_entry(e, CSA_MANAGER, "Update");
	if (!has_csa)
		return NULL;
	json_t *list = json_deep_copy(mf);
	json_array_foreach(list, i, e) if (!target && is_entry(e, manager, "Apply"))
		target = e;
	if (!target) {
		json_array_foreach(list, i, e) if (!target &&
						    is_entry(e, CSA_MANAGER, "Update")) {
			target = e;
			json_object_set_new(e, "manager", json_string(manager));
			json_object_set_new(e, "operation", json_string("Apply"));
		}
	}
	const char *av = sget(target, "apiVersion");
	json_t *fields = json_object_get(target, "fieldsV1");
	if (!fields) {
		fields = json_object();
		json_object_set_new(target, "fieldsV1", fields);
	}
	json_t *kept = json_array();
	json_array_foreach(list, i, e) {
		if (e != target && is_entry(e, CSA_MANAGER, "Update")) {
			if (av && sget(e, "apiVersion") &&
			    !strcmp(av, sget(e, "apiVersion")))
				fields_union(fields, json_object_get(e, "fieldsV1"));
			continue;
		}
		json_array_append(kept, e);
	}
	json_decref(list);
	return json_pack("[{s:s,s:s,s:s},{s:s,s:s,s:o}]", "op", "test", "path",
			 "/metadata/resourceVersion", "value",
			 meta(live, "resourceVersion") ? meta(live, "resourceVersion")
						       : "",
			 "op", "replace", "path", "/metadata/managedFields",
			 "value", kept);
}

/* ---- diff cleaning ---- */

/* ---- unchanged objects: no request at all ----
 *
 * Every applied object (but Secrets: no hash of their values anywhere)
 * carries CD_APPLY_HASH, the sha256 of the body cdhost sent. When the live
 * object carries the same hash and nobody wrote it after cdhost's own
 * Apply (every other managedFields entry is older than ours; writes to the
 * status subresource cannot touch what cdhost owns), applying it again
 * would change nothing, so the PATCH is skipped. */
#define CD_APPLY_HASH "cdhost.dev/apply-hash"

static int hashable(const json_t *obj)
{
	return strcmp(sget(obj, "kind") ? sget(obj, "kind") : "", "Secret") != 0;
}

/* Sets CD_APPLY_HASH on obj to the hash of obj without it. */
static void stamp(json_t *obj)
{
	json_t *md = json_object_get(obj, "metadata");
	json_t *an = json_object_get(md, "annotations");
	struct cd_sha256 h;
	char hex[CD_DIGEST_MAX];
	if (!json_is_object(md) || !hashable(obj))
		return;
	if (an)
		json_object_del(an, CD_APPLY_HASH);
	char *body = json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS);
	if (!body || cd_sha256_init(&h) != 0) {
		free(body);
		return;
	}
	cd_sha256_update(&h, body, strlen(body));
	cd_sha256_final(&h, hex);
	free(body);
	if (!json_is_object(an)) {
		an = json_object();
		json_object_set_new(md, "annotations", an);
	}
	json_object_set_new(an, CD_APPLY_HASH, json_string(hex));
}

/* 1 when applying obj over live would change nothing (see above). */
static int unchanged(const json_t *live, const json_t *obj, const char *manager)
{
	const char *want = json_string_value(json_object_get(
		json_object_get(json_object_get(obj, "metadata"), "annotations"),
		CD_APPLY_HASH));
	const char *have = json_string_value(json_object_get(
		json_object_get(json_object_get(live, "metadata"), "annotations"),
		CD_APPLY_HASH));
	const json_t *mf = json_object_get(json_object_get(live, "metadata"),
					   "managedFields"), *e;
	double ours = -1;
	size_t i;
	if (!want || !have || strcmp(want, have) != 0 || !json_is_array(mf))
		return 0;
	json_array_foreach(mf, i, e) {
		if (is_entry(e, manager, "Apply"))
			ours = cd_status_parse_time(sget(e, "time"));
	}
	if (ours < 0)
		return 0;
	json_array_foreach(mf, i, e) {
		const char *sub = sget(e, "subresource");
		if (is_entry(e, manager, "Apply") || (sub && !strcmp(sub, "status")))
			continue; /* ours, or a controller's status */
		double t = cd_status_parse_time(sget(e, "time"));
		if (t < 0 || t >= ours)
			return 0; /* written after (or with) our apply */
	}
	return 1;
}

json_t *cd_kube_diff_clean(const json_t *obj, int show_secrets)
{
	static const char *const drop[] = {
		"managedFields", "resourceVersion", "generation", "uid",
		"creationTimestamp", "selfLink", NULL};
	json_t *c = json_deep_copy(obj);
	json_t *md = json_object_get(c, "metadata");
	for (int i = 0; drop[i]; i++)
		json_object_del(md, drop[i]);
	json_object_del(c, "status");
	json_t *an = json_object_get(md, "annotations");
	json_object_del(an, CD_APPLY_HASH);
	if (json_is_object(an) && json_object_size(an) == 0)
		json_object_del(md, "annotations");
	const char *kind = sget(c, "kind");
	if (!show_secrets && kind && !strcmp(kind, "Secret")) {
		const char *f[] = {"data", "stringData"};
		for (int i = 0; i < 2; i++) {
			const char *key;
			json_t *v;
			json_object_foreach(json_object_get(c, f[i]), key, v)
				json_string_set(v, "***");
		}
	}
	return c;
}

/* Secrets: a changed value shows as "*** (before)" / "*** (after)", as
 * kubectl diff does, so the diff tells that something changed without
 * showing it. */
static void mark_secret_changes(json_t *a, json_t *b, const json_t *ra,
				const json_t *rb)
{
	const char *key;
	json_t *v;
	json_t *da = json_object_get(a, "data"), *db = json_object_get(b, "data");
	json_t *oa = json_object_get(ra, "data"), *ob = json_object_get(rb, "data");
	json_object_foreach(da, key, v) {
		json_t *w = json_object_get(db, key);
		if (w && !json_equal(json_object_get(oa, key), json_object_get(ob, key))) {
			json_string_set(v, "*** (before)");
			json_string_set(w, "*** (after)");
		}
	}
}

/* ---- items ---- */

static int item_cmp(const void *x, const void *y)
{
	const struct item *a = x, *b = y;
	if (a->rank != b->rank)
		return a->rank < b->rank ? -1 : 1;
	return (a->index > b->index) - (a->index < b->index);
}

/* ---- API defaults older servers need in an apply patch ---- */

/* Up to 1.20, server-side apply fails with "associative list with keys has
 * an element that omits key field protocol" when a port leaves protocol to
 * its default. Writing the default (TCP) changes nothing else. */
static void default_protocols(json_t *ports)
{
	size_t i;
	json_t *p;
	json_array_foreach(ports, i, p) if (json_is_object(p) &&
					    !json_object_get(p, "protocol"))
		json_object_set_new(p, "protocol", json_string("TCP"));
}

static void default_pod_spec(json_t *spec)
{
	static const char *const lists[] = {"containers", "initContainers", NULL};
	for (int l = 0; lists[l]; l++) {
		size_t i;
		json_t *c;
		json_array_foreach(json_object_get(spec, lists[l]), i, c)
			default_protocols(json_object_get(c, "ports"));
	}
}

static void api_defaults(json_t *obj)
{
	const char *kind = sget(obj, "kind");
	json_t *spec = json_object_get(obj, "spec");
	if (!kind || !json_is_object(spec))
		return;
	if (!strcmp(kind, "Service"))
		default_protocols(json_object_get(spec, "ports"));
	else if (!strcmp(kind, "Pod"))
		default_pod_spec(spec);
	else if (!strcmp(kind, "CronJob"))
		default_pod_spec(json_object_get(json_object_get(json_object_get(
			json_object_get(spec, "jobTemplate"), "spec"), "template"), "spec"));
	else
		default_pod_spec(json_object_get(json_object_get(spec, "template"), "spec"));
}

static int prepare(struct run *r, json_t *objs, const char *const *sources,
		   struct cd_err *err)
{
	r->n = json_array_size(objs);
	r->it = cd_calloc(r->n ? r->n : 1, sizeof *r->it);
	if (!r->it)
		return cd_err_set(err, CD_E_NOMEM, OP, "out of memory");
	for (size_t i = 0; i < r->n; i++) {
		struct item *it = &r->it[i];
		it->obj = json_array_get(objs, i);
		it->src = sources ? sources[i] : NULL;
		it->index = i;
		const char *kind = sget(it->obj, "kind"), *name = meta(it->obj, "name");
		if (!json_is_object(it->obj) || !kind || !sget(it->obj, "apiVersion") ||
		    !name || !*name)
			return cd_err_set(err, CD_E_INVALID, OP,
					  "object %zu%s%s%s: needs apiVersion, "
					  "kind and metadata.name",
					  i + 1, it->src ? " (" : "",
					  it->src ? it->src : "", it->src ? ")" : "");
		it->rank = cd_manifest_kind_rank(kind);
		it->name = name;
		api_defaults(it->obj);
	}
	qsort(r->it, r->n, sizeof *r->it, item_cmp);
	return 0;
}

static void describe(struct item *it, const char *verb)
{
	snprintf(it->what, sizeof it->what, "%s %s %s%s%s%s%s%s", verb,
		 sget(it->obj, "kind"), it->ns && *it->ns ? it->ns : "",
		 it->ns && *it->ns ? "/" : "", it->name, it->src ? " (" : "",
		 it->src ? it->src : "", it->src ? ")" : "");
}

/* Resolves the item's resource and namespace; labels it into the set. */
static int map_item(struct run *r, struct item *it, struct cd_err *err)
{
	json_t *md = json_object_get(it->obj, "metadata");
	if (cd_kube_map(r->k, sget(it->obj, "apiVersion"), sget(it->obj, "kind"),
			&it->m, err) != 0) {
		it->ns = meta(it->obj, "namespace");
		describe(it, "apply");
		return cd_err_wrap(err, "%s", it->what);
	}
	if (it->m.namespaced && !meta(it->obj, "namespace"))
		json_object_set_new(md, "namespace", json_string(r->ns));
	if (!it->m.namespaced)
		json_object_del(md, "namespace");
	it->ns = it->m.namespaced ? meta(it->obj, "namespace") : NULL;
	if (r->id[0] && r->o->op != CD_KUBE_DELETE) {
		json_t *labels = json_object_get(md, "labels");
		if (!json_is_object(labels)) {
			labels = json_object();
			json_object_set_new(md, "labels", labels);
		}
		json_object_set_new(labels, L_PART_OF, json_string(r->id));
	}
	cd_kube_path(&it->m, it->ns, it->name, it->path, sizeof it->path);
	describe(it, "apply");
	return 0;
}

/* One error for a failed batch: the first failure, and how many more. */
static int batch_err(struct cd_err *errs, int *failed, size_t n,
		     struct cd_err *err)
{
	size_t bad = 0, first = 0;
	for (size_t i = 0; i < n; i++)
		if (failed[i] && !bad++)
			first = i;
	if (!bad)
		return 0;
	*err = errs[first];
	if (bad > 1)
		cd_err_wrap(err, "%zu objects failed, first", bad);
	return -1;
}

/* The arrays of one parallel batch of n requests. */
struct batch {
	struct cd_kube_req *rq;
	json_t **out;
	long *st;
	struct cd_err *errs;
	int *failed;
};

static int batch_new(struct batch *b, size_t n, struct cd_err *err)
{
	size_t m = n ? n : 1;
	b->rq = cd_calloc(m, sizeof *b->rq);
	b->out = cd_calloc(m, sizeof *b->out);
	b->st = cd_calloc(m, sizeof *b->st);
	b->errs = cd_calloc(m, sizeof *b->errs);
	b->failed = cd_calloc(m, sizeof *b->failed);
	if (b->rq && b->out && b->st && b->errs && b->failed)
		return 0;
	return cd_err_set(err, CD_E_NOMEM, OP, "out of memory");
}

static void batch_free(struct batch *b)
{
	cd_free(b->rq);
	cd_free(b->out);
	cd_free(b->st);
	cd_free(b->errs);
	cd_free(b->failed);
}

/* ---- the set's objects, one kind group at a time ---- */

#define LIST_MIN 8 /* from this many objects of a kind, one LIST per namespace */

/* The live objects of a kind group by one LIST per namespace instead of a
 * GET each. 0 when done; -1 when a LIST failed (no list permission, too
 * large, ...): the caller falls back to GETs. */
static int list_live(struct run *r, struct item *g, size_t n)
{
	struct cd_err e;
	for (size_t i = 0; i < n; i++) {
		if (g[i].live || g[i].listed)
			continue;
		char path[1280], av[300];
		long st;
		json_t *list = NULL, *o;
		size_t k;
		cd_kube_path(&g[i].m, g[i].ns, NULL, path, sizeof path);
		struct cd_kube_req rq = {.method = "GET", .path = path, .what = g[i].what};
		if (cd_kube_call(r->k, &rq, &list, &st, &e) != 0) {
			json_decref(list);
			for (size_t j = 0; j < n; j++) {
				json_decref(g[j].live);
				g[j].live = NULL;
			}
			return -1;
		}
		snprintf(av, sizeof av, "%s%s%s", g[i].m.group, *g[i].m.group ? "/" : "",
			 g[i].m.version);
		json_array_foreach(json_object_get(list, "items"), k, o) {
			const char *name = meta(o, "name");
			for (size_t j = i; j < n && name; j++) {
				if (g[j].live || strcmp(g[j].name, name) ||
				    (g[j].ns && strcmp(g[j].ns, g[i].ns)))
					continue;
				json_object_set_new(o, "apiVersion", json_string(av));
				json_object_set_new(o, "kind", json_string(g[j].m.kind));
				g[j].live = json_incref(o);
				break;
			}
		}
		json_decref(list);
		/* this namespace is done: what the list lacks does not exist */
		for (size_t j = i; j < n; j++)
			if (!g[j].ns || !strcmp(g[j].ns, g[i].ns))
				g[j].listed = 1;
	}
	return 0;
}

static int get_live(struct run *r, struct item *g, size_t n, struct cd_err *err)
{
	if (n >= LIST_MIN && list_live(r, g, n) == 0)
		return 0;
	struct batch bt = {0};
	int rc = -1;
	if (batch_new(&bt, n, err) != 0)
		goto done;
	for (size_t i = 0; i < n; i++)
		bt.rq[i] = (struct cd_kube_req){.method = "GET", .path = g[i].path,
					     .what = g[i].what, .ok404 = 1};
	cd_kube_call_all(r->k, bt.rq, bt.out, bt.st, bt.errs, n);
	for (size_t i = 0; i < n; i++) {
		bt.failed[i] = bt.st[i] == 0 || (bt.st[i] >= 300 && bt.st[i] != 404);
		if (bt.st[i] == 0 || bt.st[i] >= 300)
			json_decref(bt.out[i]);
		else
			g[i].live = bt.out[i];
	}
	rc = batch_err(bt.errs, bt.failed, n, err);
done:
	batch_free(&bt);
	return rc;
}

/* PATCH each item (kind: "apply" or "upgrade") and keep the result. */
static int patch_all(struct run *r, struct item *g, size_t n, int upgrade,
		     struct cd_err *err)
{
	struct batch bt = {0};
	int rc = -1;
	char **bodies = cd_calloc(n, sizeof *bodies), (*paths)[1280] = cd_calloc(n, sizeof *paths);
	if (batch_new(&bt, n, err) != 0 ||
	    !bodies || !paths) {
		cd_err_set(err, CD_E_NOMEM, OP, "bt.out of memory");
		goto done;
	}
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		json_t *patch = upgrade && g[i].live
					? cd_kube_csa_upgrade_patch(g[i].live, r->manager)
					: NULL;
		if (upgrade && !patch)
			continue;
		if (!upgrade) {
			stamp(g[i].obj);
			if (r->o->op == CD_KUBE_APPLY && g[i].live &&
			    unchanged(g[i].live, g[i].obj, r->manager)) {
				g[i].after = json_incref(g[i].live);
				r->skipped++;
				continue;
			}
		}
		bodies[i] = json_dumps(upgrade ? patch : g[i].obj, JSON_COMPACT);
		json_decref(patch);
		snprintf(paths[i], sizeof paths[i], "%s?fieldManager=%s%s%s", g[i].path,
			 r->manager, !upgrade && r->o->force ? "&force=true" : "",
			 r->o->op == CD_KUBE_DIFF ? "&dryRun=All" : "");
		bt.rq[m++] = (struct cd_kube_req){
			.method = "PATCH", .path = paths[i], .body = bodies[i],
			.ctype = upgrade ? "application/json-patch+json"
					 : "application/apply-patch+yaml",
			.what = g[i].what};
	}
	cd_kube_call_all(r->k, bt.rq, bt.out, bt.st, bt.errs, m);
	for (size_t i = 0, j = 0; i < n; i++) {
		if (!bodies[i])
			continue;
		bt.failed[j] = bt.st[j] == 0 || bt.st[j] >= 300;
		if (!bt.failed[j] && !upgrade) {
			g[i].after = bt.out[j];
		} else if (!bt.failed[j]) {
			json_decref(g[i].live);
			g[i].live = bt.out[j];
		} else {
			json_decref(bt.out[j]);
		}
		j++;
	}
	rc = batch_err(bt.errs, bt.failed, m, err);
done:
	for (size_t i = 0; bodies && i < n; i++)
		free(bodies[i]);
	cd_free(bodies);
	cd_free(paths);
	batch_free(&bt);
	return rc;
}

static void diff_name(const json_t *obj, const char *side, char *out, size_t n)
{
	const char *ns = meta(obj, "namespace");
	snprintf(out, n, "%s/%s.%s.%s.%s", side, sget(obj, "apiVersion"),
		 sget(obj, "kind"), ns ? ns : "", meta(obj, "name"));
	for (char *p = out + strlen(side) + 1; *p; p++)
		if (*p == '/')
			*p = '.';
}

/* Appends the diff live -> after (either may be NULL); 1 if they differ. */
static int diff_one(struct run *r, const json_t *live, const json_t *after,
		    struct cd_err *err)
{
	const struct cd_kube_apply_opts *o = r->o;
	json_t *a = live ? cd_kube_diff_clean(live, o->show_secrets) : NULL;
	json_t *b = after ? cd_kube_diff_clean(after, o->show_secrets) : NULL;
	struct cd_buf ta = CD_BUF_INIT, tb = CD_BUF_INIT;
	char na[600], nb[600];
	int rc = -1;
	if (a && b && !o->show_secrets && sget(a, "kind") &&
	    !strcmp(sget(a, "kind"), "Secret"))
		mark_secret_changes(a, b, live, after);
	if ((a && o->text(o->text_ud, a, &ta) != 0) ||
	    (b && o->text(o->text_ud, b, &tb) != 0)) {
		cd_err_set(err, CD_E_INVALID, "diff", "cannot render an object");
		goto done;
	}
	diff_name(after ? after : live, "live", na, sizeof na);
	diff_name(after ? after : live, "merged", nb, sizeof nb);
	rc = cd_diff_unified(ta.data ? ta.data : "", tb.data ? tb.data : "", na,
			     nb, 3, o->diff);
	if (rc < 0)
		cd_err_set(err, CD_E_NOMEM, "diff", "diff output too large");
done:
	json_decref(a);
	json_decref(b);
	cd_buf_free(&ta);
	cd_buf_free(&tb);
	return rc;
}

static json_t *result_of(const json_t *obj, const char *action, int changed)
{
	json_t *md = json_object_get(obj, "metadata");
	json_t *res = json_pack("{s:s?,s:s?,s:s?,s:s?,s:s?,s:s?,s:b,s:s}",
				"apiVersion", sget(obj, "apiVersion"), "kind",
				sget(obj, "kind"), "namespace", sget(md, "namespace"),
				"name", sget(md, "name"), "uid", sget(md, "uid"),
				"resourceVersion", sget(md, "resourceVersion"),
				"changed", changed, "action", action);
	json_t *gen = json_object_get(md, "generation");
	if (json_is_integer(gen))
		json_object_set(res, "generation", gen);
	return res;
}

/* Diff: the part of the diff output from offset `at` on (one object's
 * unified diff, "" when it is unchanged) becomes the result's `diff`. */
static void attach_diff(json_t *res, const struct cd_buf *d, size_t at)
{
	json_t *s = d->len > at ? json_stringn(d->data + at, d->len - at) : NULL;
	json_object_set_new(res, "diff", s ? s : json_string(""));
}

static int record(struct run *r, struct item *g, size_t n, struct cd_err *err)
{
	for (size_t i = 0; i < n; i++) {
		struct item *it = &g[i];
		size_t at = r->o->diff ? r->o->diff->len : 0;
		int changed;
		const char *action;
		if (r->o->op == CD_KUBE_DIFF) {
			changed = diff_one(r, it->live, it->after ? it->after : it->obj,
					   err);
			if (changed < 0)
				return -1;
			action = !it->live ? "create" : changed ? "configure" : "unchanged";
		} else {
			const char *rv0 = it->live ? meta(it->live, "resourceVersion") : NULL,
				   *rv1 = meta(it->after, "resourceVersion");
			changed = !rv0 || !rv1 || strcmp(rv0, rv1) != 0;
			action = !it->live ? "created" : changed ? "configured" : "unchanged";
		}
		r->changes += changed != 0;
		json_t *res = result_of(it->after ? it->after : it->obj, action, changed);
		if (r->o->op == CD_KUBE_DIFF)
			attach_diff(res, r->o->diff, at);
		json_array_append_new(r->results, res);
	}
	return 0;
}

/* The set declares this CRD: its kind can be mapped once it exists. */
static int crd_in_set(struct run *r, const char *api_version, const char *kind)
{
	const char *slash = strchr(api_version, '/');
	size_t gl = slash ? (size_t)(slash - api_version) : 0;
	for (size_t i = 0; i < r->n; i++) {
		json_t *o = r->it[i].obj, *spec = json_object_get(o, "spec");
		const char *k = sget(o, "kind"), *g = sget(spec, "group"),
			   *ck = sget(json_object_get(spec, "names"), "kind");
		if (k && !strcmp(k, "CustomResourceDefinition") && g && ck &&
		    !strcmp(ck, kind) && strlen(g) == gl &&
		    !strncmp(g, api_version, gl))
			return 1;
	}
	return 0;
}

static int established(const json_t *crd)
{
	json_t *conds = json_object_get(json_object_get(crd, "status"), "conditions"), *c;
	size_t i;
	json_array_foreach(conds, i, c) {
		const char *t = sget(c, "type"), *s = sget(c, "status");
		if (t && s && !strcmp(t, "Established") && !strcmp(s, "True"))
			return 1;
	}
	return 0;
}

/* CRs only after their CRD reports Established (SPEC section 6). */
static int wait_crds(struct run *r, struct item *g, size_t n, struct cd_err *err)
{
	double until = cd_now() + 60;
	double run = cd_ctx_deadline(r->k->ctx);
	if (run > 0 && run < until)
		until = run;
	for (size_t i = 0; i < n; i++) {
		json_t *cur = json_incref(g[i].after);
		while (!established(cur)) {
			json_decref(cur);
			cur = NULL;
			if (cd_now() > until || atomic_load(&cd_stop_signal))
				return cd_err_set(err, CD_E_TIMEOUT, OP,
						  "CustomResourceDefinition %s "
						  "did not become Established%s%s",
						  g[i].name,
						  atomic_load(&cd_stop_signal) ? ": " : "",
						  atomic_load(&cd_stop_signal) ? cd_deadline_why() : "");
			cd_sleep(0.2);
			long st;
			struct cd_kube_req rq = {.method = "GET", .path = g[i].path,
						 .what = g[i].what};
			if (cd_kube_call(r->k, &rq, &cur, &st, err) != 0)
				return -1;
		}
		json_decref(cur);
	}
	return 0;
}

static int renew_lease(struct run *r, struct cd_err *err);

static int apply_group(struct run *r, struct item *g, size_t n,
		       struct cd_err *err)
{
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		if (map_item(r, &g[i], err) == 0)
			continue;
		if (r->o->op == CD_KUBE_DIFF && err->code == CD_E_NOT_FOUND &&
		    crd_in_set(r, sget(g[i].obj, "apiVersion"), sget(g[i].obj, "kind"))) {
			g[i].unmapped = 1; /* shown as new: its CRD is too */
			cd_err_clear(err);
			continue;
		}
		return -1;
	}
	/* the mapped ones first, in place */
	for (size_t i = 0; i < n; i++)
		if (!g[i].unmapped) {
			struct item t = g[m];
			g[m++] = g[i];
			g[i] = t;
		}
	if (get_live(r, g, m, err) != 0)
		return -1;
	if (r->o->op == CD_KUBE_APPLY && patch_all(r, g, m, 1, err) != 0)
		return -1;
	if (patch_all(r, g, m, 0, err) != 0)
		return -1;
	if (r->o->op == CD_KUBE_APPLY && n &&
	    !strcmp(sget(g[0].obj, "kind"), "CustomResourceDefinition") &&
	    wait_crds(r, g, n, err) != 0)
		return -1;
	if (record(r, g, n, err) != 0)
		return -1;
	return r->o->op == CD_KUBE_APPLY ? renew_lease(r, err) : 0;
}

/* ---- ApplySet parent and lock ---- */

static int parent_path(struct run *r, const char *res, const char *name,
		       char *out, size_t n)
{
	const char *grp = strcmp(res, "leases") ? "/api/v1" : "/apis/coordination.k8s.io/v1";
	return snprintf(out, n, "%s/namespaces/%s/%s%s%s", grp, r->ns, res,
			name ? "/" : "", name ? name : "") < (int)n ? 0 : -1;
}

static void now_micro(char *out, size_t n)
{
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	size_t len = strftime(out, n, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + len, n - len, ".%06ldZ", ts.tv_nsec / 1000);
}

static int lease_put(struct run *r, const char *method, const json_t *cur,
		     long *status, struct cd_err *err)
{
	char path[1024], now[64], name[300];
	snprintf(name, sizeof name, "%s-cdhost-lock", r->o->applyset);
	parent_path(r, "leases", strcmp(method, "POST") ? name : NULL, path, sizeof path);
	now_micro(now, sizeof now);
	json_t *lease = json_pack(
		"{s:s,s:s,s:{s:s,s:s},s:{s:s,s:i,s:s,s:s}}", "apiVersion",
		"coordination.k8s.io/v1", "kind", "Lease", "metadata", "name", name,
		"namespace", r->ns, "spec", "holderIdentity", r->lease_holder,
		"leaseDurationSeconds", LEASE_SECONDS, "acquireTime", now,
		"renewTime", now);
	if (cur)
		json_object_set_new(json_object_get(lease, "metadata"), "resourceVersion",
				    json_string(meta(cur, "resourceVersion")));
	char *body = json_dumps(lease, JSON_COMPACT);
	json_t *out = NULL;
	struct cd_kube_req rq = {.method = method, .path = path, .body = body,
				 .what = "lock the apply set", .ok404 = 0};
	int rc = cd_kube_call(r->k, &rq, &out, status, err);
	json_decref(out);
	json_decref(lease);
	free(body);
	if (rc == 0)
		r->lease_renewed = cd_now();
	return rc;
}

/* Seconds left on a Lease held by someone else; 0 when expired. */
static double lease_left(const json_t *lease)
{
	json_t *spec = json_object_get(lease, "spec");
	double renew = cd_kubeconfig_time(sget(spec, "renewTime"));
	json_int_t dur = json_integer_value(json_object_get(spec, "leaseDurationSeconds"));
	double left = renew + (double)dur - cd_wall();
	return renew < 0 || left < 0 ? 0 : left;
}

/* A Lease left by a cdhost run on this machine that no longer runs (it
 * crashed, or could not reach the server to release it) is taken over at
 * once instead of waiting for it to expire. */
static int stale_local(const char *holder)
{
	char host[64] = "", mine[64] = "host";
	int pid = 0;
	gethostname(mine, sizeof mine - 1);
	if (!holder || sscanf(holder, "cdhost@%63[^/]/%d/", host, &pid) != 2)
		return 0;
	return strcmp(host, mine) == 0 && pid > 0 && pid != (int)getpid() &&
	       kill(pid, 0) != 0 && errno == ESRCH;
}

/* A Lease POST whose answer was lost (cut, or a 5xx the server gave no
 * Retry-After for) may or may not have created it: read it back. */
static int create_unknown(long st, const struct cd_err *err)
{
	return (err->code == CD_E_UNREACHABLE || err->code == CD_E_SERVER) &&
	       (st == 0 || st >= 500 || (st >= 200 && st < 300));
}

/* POSTs of the Lease whose outcome was unknown, at most. */
#define LOCK_POSTS 3

static int lock_set(struct run *r, struct cd_err *err)
{
	char host[64] = "host", path[1024], name[300];
	gethostname(host, sizeof host - 1);
	snprintf(r->lease_holder, sizeof r->lease_holder, "cdhost@%s/%d/%lx", host,
		 (int)getpid(), (unsigned long)(cd_wall() * 1e6));
	snprintf(name, sizeof name, "%s-cdhost-lock", r->o->applyset);
	parent_path(r, "leases", name, path, sizeof path);
	double start = cd_now(), until = start + r->o->lock_wait;
	int by_deadline = 0;
	double run = cd_ctx_deadline(r->k->ctx);
	if (run > 0 && run < until) {
		until = run; /* --timeout wins */
		by_deadline = 1;
	}
	for (int posts = 1;; posts++) {
		long st = 0;
		json_t *cur = NULL;
		struct cd_err post_err;
		if (lease_put(r, "POST", NULL, &st, err) == 0)
			break;
		int unknown = st != 409 && create_unknown(st, err);
		if (st != 409 && !unknown)
			return -1;
		post_err = *err;
		cd_err_clear(err);
		struct cd_kube_req rq = {.method = "GET", .path = path,
					 .what = "read the apply set lock", .ok404 = 1};
		if (cd_kube_call(r->k, &rq, &cur, &st, err) != 0) {
			if (unknown)
				*err = post_err; /* the cause, not its echo */
			return -1;
		}
		const char *holder = sget(json_object_get(cur, "spec"), "holderIdentity");
		if (st == 200 && holder && !strcmp(holder, r->lease_holder)) {
			json_decref(cur); /* the lost create went through */
			r->lease_renewed = cd_now();
			break;
		}
		if (unknown && st == 404) {
			json_decref(cur);
			if (posts >= LOCK_POSTS ||
			    (run > 0 && cd_now() + 0.5 * posts >= run)) {
				*err = post_err;
				return -1;
			}
			cd_sleep(0.5 * posts); /* it was not made: again */
			continue;
		}
		if (st == 200 && (lease_left(cur) <= 0 || stale_local(holder)) &&
		    lease_put(r, "PUT", cur, &st, err) == 0) {
			json_decref(cur);
			break;
		}
		if (cd_now() >= until) {
			cd_err_set(err, by_deadline ? CD_E_TIMEOUT : CD_E_CONFLICT, OP,
				   "apply set '%s' in namespace %s is being "
				   "deployed by %s (Lease %s); gave up after "
				   "waiting %.0f s",
				   r->o->applyset, r->ns, holder ? holder : "another run",
				   name, cd_now() - start);
			json_decref(cur);
			return -1;
		}
		json_decref(cur);
		cd_sleep(0.5);
	}
	r->locked = 1;
	return 0;
}

static int renew_lease(struct run *r, struct cd_err *err)
{
	char path[1024], name[300];
	long st;
	json_t *cur = NULL;
	if (!r->locked || cd_now() - r->lease_renewed < LEASE_SECONDS / 4)
		return 0;
	snprintf(name, sizeof name, "%s-cdhost-lock", r->o->applyset);
	parent_path(r, "leases", name, path, sizeof path);
	struct cd_kube_req rq = {.method = "GET", .path = path, .what = "renew the lock"};
	if (cd_kube_call(r->k, &rq, &cur, &st, err) != 0)
		return -1;
	int rc = lease_put(r, "PUT", cur, &st, err);
	json_decref(cur);
	return rc;
}

static void unlock_set(struct run *r)
{
	char path[1024], name[300];
	struct cd_err e;
	long st;
	json_t *out = NULL;
	if (!r->locked)
		return;
	snprintf(name, sizeof name, "%s-cdhost-lock", r->o->applyset);
	parent_path(r, "leases", name, path, sizeof path);
	struct cd_kube_req rq = {.method = "DELETE", .path = path,
				 .what = "unlock the apply set", .ok404 = 1,
				 .cleanup = 1};
	cd_kube_call(r->k, &rq, &out, &st, &e);
	json_decref(out);
	r->locked = 0;
}

static int fetch_parent(struct run *r, struct cd_err *err)
{
	char path[1024];
	long st;
	parent_path(r, "secrets", r->o->applyset, path, sizeof path);
	struct cd_kube_req rq = {.method = "GET", .path = path,
				 .what = "read the apply set parent", .ok404 = 1};
	if (cd_kube_call(r->k, &rq, &r->parent, &st, err) != 0)
		return -1;
	if (st == 404) {
		json_decref(r->parent);
		r->parent = NULL;
		return 0;
	}
	json_t *md = json_object_get(r->parent, "metadata");
	const char *tool = sget(json_object_get(md, "annotations"), A_TOOLING),
		   *id = sget(json_object_get(md, "labels"), L_ID);
	if (!tool || strncmp(tool, "cdhost/", 7) != 0)
		return cd_err_set(err, CD_E_CONFLICT, OP,
				  "Secret %s/%s exists but is not a cdhost apply "
				  "set parent (%s is '%s')",
				  r->ns, r->o->applyset, A_TOOLING, tool ? tool : "");
	if (!id || strcmp(id, r->id) != 0)
		return cd_err_set(err, CD_E_CONFLICT, OP,
				  "Secret %s/%s has label %s=%s, expected %s",
				  r->ns, r->o->applyset, L_ID, id ? id : "", r->id);
	return 0;
}

/* Adds the comma-separated names in s to the JSON object set. */
static void add_csv(json_t *set, const char *s)
{
	while (s && *s) {
		const char *c = strchr(s, ',');
		size_t len = c ? (size_t)(c - s) : strlen(s);
		char tok[300];
		snprintf(tok, sizeof tok, "%.*s", (int)len, s);
		if (*tok)
			json_object_set_new(set, tok, json_true());
		s += len + (c != NULL);
	}
}

static int key_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* "a,b,c" of the set's keys, sorted (kubectl's annotation format). */
static char *csv_of(const json_t *set, const char *skip)
{
	size_t n = json_object_size(set), k = 0;
	const char **keys = cd_calloc(n + 1, sizeof *keys);
	const char *key;
	json_t *v;
	struct cd_buf b = CD_BUF_INIT;
	json_object_foreach((json_t *)set, key, v) if (!skip || strcmp(key, skip))
		keys[k++] = key;
	qsort(keys, k, sizeof *keys, key_cmp);
	cd_buf_puts(&b, "");
	for (size_t i = 0; i < k; i++)
		cd_buf_printf(&b, "%s%s", i ? "," : "", keys[i]);
	cd_free(keys);
	return cd_buf_steal(&b, NULL);
}

static void gk_of(const json_t *obj, char *out, size_t n)
{
	const char *av = sget(obj, "apiVersion"), *slash = strchr(av, '/');
	if (slash)
		snprintf(out, n, "%s.%.*s", sget(obj, "kind"), (int)(slash - av), av);
	else
		snprintf(out, n, "%s", sget(obj, "kind"));
}

/* The kinds and namespaces the set holds now (objects applied) and, with
 * old, also what the parent recorded before (kubectl's superset). */
static void set_contents(struct run *r, int with_old, json_t *gks, json_t *nss)
{
	char gk[300];
	for (size_t i = 0; i < r->n; i++) {
		gk_of(r->it[i].obj, gk, sizeof gk);
		json_object_set_new(gks, gk, json_true());
		if (r->it[i].ns && *r->it[i].ns)
			json_object_set_new(nss, r->it[i].ns, json_true());
	}
	if (with_old && r->parent) {
		json_t *an = json_object_get(json_object_get(r->parent, "metadata"),
					     "annotations");
		add_csv(gks, sget(an, A_GKS));
		add_csv(nss, sget(an, A_NS));
	}
}

static int update_parent(struct run *r, int superset, struct cd_err *err)
{
	json_t *gks = json_object(), *nss = json_object();
	char path[1280];
	set_contents(r, superset, gks, nss);
	char *g = csv_of(gks, NULL), *ns = csv_of(nss, r->ns);
	json_t *p = json_pack("{s:s,s:s,s:{s:s,s:s,s:{s:s},s:{s:s,s:s,s:s}}}",
			      "apiVersion", "v1", "kind", "Secret", "metadata",
			      "name", r->o->applyset, "namespace", r->ns, "labels",
			      L_ID, r->id, "annotations", A_TOOLING, r->o->tooling,
			      A_GKS, g ? g : "", A_NS, ns ? ns : "");
	char *body = json_dumps(p, JSON_COMPACT);
	parent_path(r, "secrets", r->o->applyset, path, sizeof path);
	size_t len = strlen(path);
	snprintf(path + len, sizeof path - len, "?fieldManager=%s-applyset&force=true",
		 r->manager);
	json_t *out = NULL;
	long st;
	struct cd_kube_req rq = {.method = "PATCH", .path = path, .body = body,
				 .ctype = "application/apply-patch+yaml",
				 .what = "update the apply set parent Secret"};
	int rc = cd_kube_call(r->k, &rq, &out, &st, err);
	json_decref(out);
	json_decref(p);
	json_decref(gks);
	json_decref(nss);
	free(body);
	free(g);
	free(ns);
	return rc;
}

/* ---- prune and delete ---- */

struct member {
	json_t *obj;
	struct cd_kube_mapping m;
	int rank;
	char path[1024], what[600];
};

static int in_set(struct run *r, const json_t *obj)
{
	const char *uid = meta(obj, "uid");
	for (size_t i = 0; i < r->n; i++) {
		json_t *a = r->it[i].after;
		if (a && uid && meta(a, "uid") && !strcmp(uid, meta(a, "uid")))
			return 1;
		if (!a && !strcmp(sget(r->it[i].obj, "kind"), sget(obj, "kind")) &&
		    !strcmp(r->it[i].name, meta(obj, "name")) &&
		    !strcmp(r->it[i].ns ? r->it[i].ns : "",
			    meta(obj, "namespace") ? meta(obj, "namespace") : ""))
			return 1;
	}
	return 0;
}

/* Lists the set's members (label part-of=id) of every kind the parent
 * records, in every namespace it records; those not in the current
 * objects are appended to out. */
static int list_members(struct run *r, json_t *out, struct cd_err *err)
{
	json_t *gks = json_object(), *nss = json_object();
	const char *gk;
	json_t *v;
	int rc = 0;
	set_contents(r, 1, gks, nss);
	json_object_set_new(nss, r->ns, json_true());
	json_object_foreach(gks, gk, v) {
		struct cd_kube_mapping m;
		char kind[200], path[1280], sel[200];
		const char *dot = strchr(gk, '.');
		snprintf(kind, sizeof kind, "%.*s", dot ? (int)(dot - gk) : (int)strlen(gk), gk);
		if (cd_kube_map_gk(r->k, dot ? dot + 1 : "", kind, &m, err) != 0) {
			if (err->code == CD_E_NOT_FOUND) { /* its CRD is gone */
				cd_err_clear(err);
				continue;
			}
			rc = -1;
			break;
		}
		snprintf(sel, sizeof sel, "?labelSelector=" L_PART_OF "%%3D%s", r->id);
		const char *ns_key;
		json_t *nv;
		json_object_foreach(nss, ns_key, nv) {
			cd_kube_path(&m, m.namespaced ? ns_key : NULL, NULL, path, sizeof path);
			strncat(path, sel, sizeof path - strlen(path) - 1);
			json_t *list = NULL;
			long st;
			struct cd_kube_req rq = {.method = "GET", .path = path,
						 .what = "list apply set members"};
			if (cd_kube_call(r->k, &rq, &list, &st, err) != 0) {
				rc = -1;
				break;
			}
			json_t *items = json_object_get(list, "items"), *o;
			size_t i;
			char av[200];
			snprintf(av, sizeof av, "%s%s%s", m.group, *m.group ? "/" : "", m.version);
			json_array_foreach(items, i, o) {
				json_object_set_new(o, "apiVersion", json_string(av));
				json_object_set_new(o, "kind", json_string(m.kind));
				if (!in_set(r, o))
					json_array_append(out, o);
			}
			json_decref(list);
			if (!m.namespaced)
				break;
		}
		if (rc)
			break;
	}
	json_decref(gks);
	json_decref(nss);
	return rc;
}

#define DRY_DELETE \
	"{\"kind\":\"DeleteOptions\",\"apiVersion\":\"v1\",\"dryRun\":[\"All\"]}"

/* Makes a DELETE's path a server-side dry run (the server checks it,
 * nothing is deleted); never sends the real one instead. */
static int dry_path(char *path, size_t n, struct cd_err *err)
{
	static const char q[] = "?dryRun=All";
	size_t len = strlen(path);
	if (len + sizeof q > n)
		return cd_err_set(err, CD_E_INVALID, OP,
				  "path too long for a dry run: %.200s", path);
	memcpy(path + len, q, sizeof q);
	return 0;
}

static int delete_group(struct run *r, struct member *g, size_t n,
			const char *action, struct cd_err *err)
{
	struct batch bt = {0};
	int rc = -1;
	char body[192];
	/* the API server reads DeleteOptions from the body when there is one
	 * and then ignores the query: dryRun goes in both */
	snprintf(body, sizeof body,
		 "{\"kind\":\"DeleteOptions\",\"apiVersion\":\"v1\","
		 "\"propagationPolicy\":\"%s\"%s}",
		 r->propagation, r->o->dry_run ? ",\"dryRun\":[\"All\"]" : "");
	if (batch_new(&bt, n, err) != 0)
		goto done;
	for (size_t i = 0; i < n; i++) {
		json_t *o = g[i].obj;
		const char *ns = meta(o, "namespace");
		if (cd_kube_map(r->k, sget(o, "apiVersion"), sget(o, "kind"), &g[i].m,
				err) != 0)
			goto done;
		cd_kube_path(&g[i].m, ns, meta(o, "name"), g[i].path, sizeof g[i].path);
		if (r->o->op == CD_KUBE_DIFF)
			continue;
		if (r->o->dry_run && dry_path(g[i].path, sizeof g[i].path, err) != 0)
			goto done;
		snprintf(g[i].what, sizeof g[i].what, "delete %s %s%s%s", sget(o, "kind"),
			 ns ? ns : "", ns ? "/" : "", meta(o, "name"));
		bt.rq[i] = (struct cd_kube_req){.method = "DELETE", .path = g[i].path,
					     .body = body, .what = g[i].what,
					     .ok404 = 1};
	}
	if (r->o->op != CD_KUBE_DIFF)
		cd_kube_call_all(r->k, bt.rq, bt.out, bt.st, bt.errs, n);
	for (size_t i = 0; i < n; i++) {
		json_decref(bt.out[i]);
		bt.failed[i] = r->o->op != CD_KUBE_DIFF && (bt.st[i] == 0 || bt.st[i] >= 300) &&
			    bt.st[i] != 404;
		if (bt.failed[i])
			continue;
		size_t at = r->o->diff ? r->o->diff->len : 0;
		if (r->o->op == CD_KUBE_DIFF && diff_one(r, g[i].obj, NULL, err) < 0)
			goto done;
		r->changes++;
		json_t *res = result_of(g[i].obj, action, 1);
		if (r->o->op == CD_KUBE_DIFF)
			attach_diff(res, r->o->diff, at);
		json_array_append_new(r->results, res);
	}
	rc = batch_err(bt.errs, bt.failed, n, err);
done:
	batch_free(&bt);
	return rc;
}

static int member_cmp(const void *x, const void *y)
{
	const struct member *a = x, *b = y;
	return (b->rank > a->rank) - (b->rank < a->rank); /* reverse order */
}

/* Deletes the objects of list in reverse apply order, one kind group at a
 * time in parallel; records them as `action`. */
static int delete_all(struct run *r, json_t *list, const char *action,
		      struct cd_err *err)
{
	size_t n = json_array_size(list);
	struct member *ms = cd_calloc(n ? n : 1, sizeof *ms);
	int rc = 0;
	if (!ms)
		return cd_err_set(err, CD_E_NOMEM, OP, "out of memory");
	for (size_t i = 0; i < n; i++) {
		ms[i].obj = json_array_get(list, i);
		ms[i].rank = cd_manifest_kind_rank(sget(ms[i].obj, "kind"));
	}
	qsort(ms, n, sizeof *ms, member_cmp);
	for (size_t a = 0; a < n && rc == 0;) {
		size_t b = a;
		while (b < n && ms[b].rank == ms[a].rank &&
		       !strcmp(sget(ms[b].obj, "kind"), sget(ms[a].obj, "kind")))
			b++;
		rc = delete_group(r, ms + a, b - a, action, err);
		a = b;
	}
	cd_free(ms);
	return rc;
}

/* ---- the whole operation ---- */

static int apply_all(struct run *r, size_t from, int only_ns, struct cd_err *err)
{
	for (size_t a = from; a < r->n;) {
		if (only_ns && strcmp(sget(r->it[a].obj, "kind"), "Namespace"))
			break;
		size_t b = a;
		while (b < r->n && r->it[b].rank == r->it[a].rank &&
		       !strcmp(sget(r->it[b].obj, "kind"), sget(r->it[a].obj, "kind")))
			b++;
		if (apply_group(r, r->it + a, b - a, err) != 0)
			return -1;
		a = b;
	}
	return 0;
}

static int do_apply(struct run *r, struct cd_err *err)
{
	const struct cd_kube_apply_opts *o = r->o;
	size_t ns_done = 0;
	if (!r->id[0])
		return apply_all(r, 0, 0, err);
	/* the set's Namespaces first: the parent and its Lease may live in
	 * one of them */
	if (o->op == CD_KUBE_APPLY) {
		if (apply_all(r, 0, 1, err) != 0)
			return -1;
		while (ns_done < r->n && !strcmp(sget(r->it[ns_done].obj, "kind"), "Namespace"))
			ns_done++;
	}
	if (o->op == CD_KUBE_APPLY && lock_set(r, err) != 0)
		return -1;
	if (fetch_parent(r, err) != 0)
		return -1;
	if (o->op == CD_KUBE_APPLY && update_parent(r, 1, err) != 0)
		return -1;
	if (apply_all(r, ns_done, 0, err) != 0)
		return -1; /* a failed apply prunes nothing */
	if (o->prune) {
		json_t *gone = json_array();
		int rc = list_members(r, gone, err);
		if (rc == 0)
			rc = delete_all(r, gone, o->op == CD_KUBE_DIFF ? "delete" : "pruned",
					err);
		json_decref(gone);
		if (rc != 0)
			return -1;
	}
	if (o->op == CD_KUBE_APPLY && update_parent(r, !o->prune, err) != 0)
		return -1;
	return 0;
}

static int do_delete(struct run *r, struct cd_err *err)
{
	json_t *list = json_array();
	const char *gone = r->o->dry_run ? "delete" : "deleted"; /* as diff */
	int rc = -1;
	if (!r->id[0]) { /* no set: the recipe's own objects */
		for (size_t i = 0; i < r->n; i++) {
			if (map_item(r, &r->it[i], err) != 0)
				goto done;
			json_array_append(list, r->it[i].obj);
		}
		rc = delete_all(r, list, gone, err);
		goto done;
	}
	/* a dry run reads the set without its lock: it writes nothing */
	if ((!r->o->dry_run && lock_set(r, err) != 0) || fetch_parent(r, err) != 0)
		goto done;
	r->n = 0; /* every member goes, whatever the recipe holds now */
	if (r->parent && list_members(r, list, err) != 0)
		goto done;
	if (delete_all(r, list, gone, err) != 0)
		goto done;
	if (r->parent) {
		char path[1024];
		long st;
		json_t *out = NULL;
		parent_path(r, "secrets", r->o->applyset, path, sizeof path);
		if (r->o->dry_run && dry_path(path, sizeof path, err) != 0)
			goto done;
		struct cd_kube_req rq = {.method = "DELETE", .path = path, .ok404 = 1,
					 .what = "delete the apply set parent",
					 .body = r->o->dry_run ? DRY_DELETE : NULL};
		rc = cd_kube_call(r->k, &rq, &out, &st, err);
		json_decref(out);
		goto done;
	}
	rc = 0;
done:
	json_decref(list);
	return rc;
}

int cd_kube_apply(struct cd_kube *k, json_t *objs, const char *const *sources,
		  const struct cd_kube_apply_opts *o, json_t **results,
		  unsigned *changes, struct cd_err *err)
{
	struct run r = {.k = k, .o = o};
	int rc = -1;
	*results = NULL;
	*changes = 0;
	r.manager = o->field_manager ? o->field_manager : "cdhost";
	r.ns = o->namespace_ && *o->namespace_ ? o->namespace_ : cd_kube_namespace(k);
	r.results = json_array();
	if (o->prune && !o->applyset) {
		cd_err_set(err, CD_E_INVALID, OP,
			   "prune = true needs an apply set name (applyset = \"...\")");
		goto done;
	}
	r.propagation = cd_kube_propagation(o->propagation ? o->propagation
							   : "Background");
	if (!r.propagation) {
		cd_err_set(err, CD_E_INVALID, OP,
			   "propagation must be Background, Foreground or "
			   "Orphan, not '%.64s'", o->propagation);
		goto done;
	}
	if (o->applyset)
		cd_applyset_id(o->applyset, r.ns, r.id, sizeof r.id);
	if (prepare(&r, objs, sources, err) != 0)
		goto done;
	rc = o->op == CD_KUBE_DELETE ? do_delete(&r, err) : do_apply(&r, err);
done:
	unlock_set(&r);
	for (size_t i = 0; r.it && i < json_array_size(objs); i++) {
		json_decref(r.it[i].live);
		json_decref(r.it[i].after);
	}
	cd_free(r.it);
	json_decref(r.parent);
	*changes = r.changes;
	if (rc == 0)
		*results = r.results;
	else
		json_decref(r.results);
	return rc;
}
