/* core/kube.c — see kube.h and docs/internals/kube.md. */
#include "kube.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fs.h"
#include "mem.h"
#include "util.h"

#define OP "kube"
#define CACHE_TTL (6 * 3600.0) /* kubectl's discovery cache lifetime */

const char *cd_kube_namespace(const struct cd_kube *k)
{
	return k->kc->namespace_;
}

const char *cd_kube_propagation(const char *name)
{
	static const char *const policies[] = {"Background", "Foreground",
					       "Orphan", NULL};
	for (int i = 0; name && policies[i]; i++)
		if (strcasecmp(name, policies[i]) == 0)
			return policies[i];
	return NULL;
}

/* ---- opening ---- */

static char *cache_dir_for(const char *server)
{
	const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
	char base[3072], path[4096];
	if (xdg && *xdg)
		snprintf(base, sizeof base, "%s/cdhost/discovery", xdg);
	else if (home && *home)
		snprintf(base, sizeof base, "%s/.cache/cdhost/discovery", home);
	else
		return NULL;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	if (!EVP_Digest(server, strlen(server), md, &mdlen, EVP_sha256(), NULL))
		return NULL;
	snprintf(path, sizeof path, "%s/%02x%02x%02x%02x%02x%02x%02x%02x", base,
		 md[0], md[1], md[2], md[3], md[4], md[5], md[6], md[7]);
	return cd_strdup(path);
}

static void tls_from(struct cd_kube *k)
{
	struct cd_kubeconfig *kc = k->kc;
	k->tls = (struct cd_http_tls){0};
	k->tls.ca_file = kc->ca_pem ? NULL : kc->ca_file;
	k->tls.ca_pem = kc->ca_pem;
	k->tls.ca_pem_len = kc->ca_pem_len;
	k->tls.cert_file = kc->cert_pem ? NULL : kc->cert_file;
	k->tls.key_file = kc->key_pem ? NULL : kc->key_file;
	k->tls.cert_pem = kc->cert_pem;
	k->tls.cert_pem_len = kc->cert_pem_len;
	k->tls.key_pem = kc->key_pem;
	k->tls.key_pem_len = kc->key_pem_len;
	k->tls.insecure = kc->insecure;
	k->tls.server_name = kc->tls_server_name;
}

int cd_kube_open(struct cd_kube **out, struct cd_http *http,
		 const struct cd_ctx *ctx, const struct cd_kubeconfig_opts *o,
		 struct cd_err *err)
{
	struct cd_kube *k = cd_calloc(1, sizeof *k);
	*out = NULL;
	if (!k)
		return cd_err_set(err, CD_E_NOMEM, OP, "out of memory");
	k->http = http;
	k->ctx = ctx;
	k->cache_ttl = CACHE_TTL;
	if (cd_kubeconfig_load(o, &k->kc, err) != 0) {
		cd_free(k);
		return -1;
	}
	k->gv = json_object();
	k->cache_dir = cache_dir_for(k->kc->server);
	tls_from(k);
	*out = k;
	return 0;
}

void cd_kube_free(struct cd_kube *k)
{
	if (!k)
		return;
	cd_kubeconfig_free(k->kc);
	json_decref(k->gv);
	cd_free(k->cache_dir);
	cd_free(k);
}

/* ---- errors ---- */

/* "reason: message" of the Status, with the causes of a 422. */
static void status_text(const json_t *body, char *out, size_t n)
{
	const char *msg = json_string_value(json_object_get(body, "message"));
	size_t len = (size_t)snprintf(out, n, "%s", msg ? msg : "");
	json_t *causes = json_object_get(json_object_get(body, "details"), "causes");
	size_t i;
	json_t *c;
	if (!json_array_size(causes) || (msg && strstr(msg, "conflict")))
		return;
	json_array_foreach(causes, i, c) {
		const char *f = json_string_value(json_object_get(c, "field")),
			   *m = json_string_value(json_object_get(c, "message"));
		if (len >= n || !m || (msg && strstr(msg, m)))
			continue;
		len += (size_t)snprintf(out + len, n - len, "%s%s%s%s",
					len ? "; " : "", f ? f : "",
					f ? ": " : "", m);
	}
}

/* A 409 from apply: every conflicting field with its manager. */
static void conflict_text(const json_t *body, char *out, size_t n)
{
	json_t *causes = json_object_get(json_object_get(body, "details"), "causes");
	size_t i, len = 0;
	json_t *c;
	out[0] = '\0';
	json_array_foreach(causes, i, c) {
		const char *f = json_string_value(json_object_get(c, "field")),
			   *m = json_string_value(json_object_get(c, "message"));
		if (!f || !m || len >= n)
			continue;
		len += (size_t)snprintf(out + len, n - len, "%s%s (%s)",
					len ? ", " : "", f, m);
	}
}

/* attempts > 1: the request was retried (429s, 5xx, lost connections),
 * which the message says. */
static int status_err(long status, const json_t *body, const char *what,
		      int attempts, struct cd_err *err)
{
	char text[CD_ERR_MSG_MAX], tries[48] = "";
	enum cd_code code = status == 422 ? CD_E_INVALID
						: cd_http_status_code(status);
	const char *reason = json_string_value(json_object_get(body, "reason"));
	if (status == 409 && reason && !strcmp(reason, "Conflict")) {
		conflict_text(body, text, sizeof text);
		if (text[0])
			return cd_err_set(err, CD_E_CONFLICT, OP,
					  "%s: conflict with another field "
					  "manager: %s; set force = true to take "
					  "these fields over",
					  what, text);
	}
	status_text(body, text, sizeof text);
	if (!text[0])
		snprintf(text, sizeof text, "HTTP %ld", status);
	if (attempts > 1)
		snprintf(tries, sizeof tries, ", after %d attempts", attempts);
	return cd_err_set(err, code, OP, "%s: %s (HTTP %ld%s)", what, text,
			  status, tries);
}

int cd_kube_status_err(long status, const json_t *body, const char *what,
		       struct cd_err *err)
{
	return status_err(status, body, what, 1, err);
}

/* ---- requests ---- */

struct hdrs {
	char auth[8192], ctype[128];
	const char *lines[5];
};

static int auth_line(struct cd_kube *k, char *out, size_t n,
		     struct cd_err *err)
{
	const char *token, *cert, *key;
	out[0] = '\0';
	if (cd_kubeconfig_credential(k->kc, cd_ctx_deadline(k->ctx),
				     &token, &cert, &key, err) != 0)
		return -1;
	if (cert && key) {
		k->tls.cert_file = k->tls.key_file = NULL;
		k->tls.cert_pem = cert;
		k->tls.cert_pem_len = strlen(cert);
		k->tls.key_pem = key;
		k->tls.key_pem_len = strlen(key);
	}
	if (token) {
		snprintf(out, n, "Authorization: Bearer %s", token);
	} else if (k->kc->username && k->kc->password) {
		char plain[1024];
		unsigned char b64[1500];
		int len = snprintf(plain, sizeof plain, "%s:%s",
				   k->kc->username, k->kc->password);
		EVP_EncodeBlock(b64, (unsigned char *)plain,
				len < (int)sizeof plain ? len : (int)sizeof plain - 1);
		snprintf(out, n, "Authorization: Basic %s", b64);
		memset(plain, 0, sizeof plain);
	}
	return 0;
}

static void build_req(struct cd_kube *k, const struct cd_kube_req *r,
		      struct hdrs *h, char *url, size_t urln,
		      struct cd_http_req *hr)
{
	int i = 0;
	snprintf(h->ctype, sizeof h->ctype, "Content-Type: %s",
		 r->ctype ? r->ctype : "application/json");
	if (h->auth[0])
		h->lines[i++] = h->auth;
	h->lines[i++] = "Accept: application/json";
	if (r->body)
		h->lines[i++] = h->ctype;
	h->lines[i] = NULL;
	snprintf(url, urln, "%s%s", k->kc->server, r->path);
	*hr = (struct cd_http_req){0};
	hr->method = r->method;
	hr->url = url;
	hr->headers = h->lines;
	hr->body = r->body;
	hr->body_len = r->body ? strlen(r->body) : 0;
	hr->tls = &k->tls;
	hr->proxy = k->kc->proxy_url;
	hr->idempotent = strcmp(r->method, "POST") != 0;
	hr->cleanup = r->cleanup;
	hr->what = r->what;
}

static int finish(const struct cd_kube_req *r, struct cd_http_resp *resp,
		  json_t **out, long *status, struct cd_err *err)
{
	json_error_t je;
	*status = resp->status;
	*out = resp->body.len ? json_loadb(resp->body.data, resp->body.len, 0, &je)
			      : NULL;
	if (resp->status >= 200 && resp->status < 300)
		return 0;
	if (resp->status == 404 && r->ok404)
		return 0;
	return status_err(resp->status, *out, r->what ? r->what : r->path,
			  resp->attempts, err);
}

int cd_kube_call_all(struct cd_kube *k, const struct cd_kube_req *r,
		     json_t **out, long *status, struct cd_err *errs, size_t n)
{
	struct hdrs *h = cd_calloc(n ? n : 1, sizeof *h);
	struct cd_http_req *hr = cd_calloc(n ? n : 1, sizeof *hr);
	struct cd_http_resp *resp = cd_calloc(n ? n : 1, sizeof *resp);
	char (*url)[2048] = cd_calloc(n ? n : 1, sizeof *url);
	char auth[8192];
	int rc = -1, again = 0;
	if (!h || !hr || !resp || !url) {
		for (size_t i = 0; i < n; i++)
			cd_err_set(&errs[i], CD_E_NOMEM, OP, "out of memory");
		goto done;
	}
	for (size_t i = 0; i < n; i++)
		out[i] = NULL;
retry:
	if (auth_line(k, auth, sizeof auth, &errs[0]) != 0) {
		for (size_t i = 1; i < n; i++)
			errs[i] = errs[0];
		goto done;
	}
	for (size_t i = 0; i < n; i++) {
		memcpy(h[i].auth, auth, sizeof auth);
		build_req(k, &r[i], &h[i], url[i], sizeof url[i], &hr[i]);
	}
	cd_http_do_all(k->http, hr, resp, errs, n, 0);
	k->requests += n;
	int unauthorized = 0;
	for (size_t i = 0; i < n; i++)
		unauthorized |= resp[i].status == 401;
	if (unauthorized && !again && cd_kubeconfig_expire(k->kc, &errs[0])) {
		again = 1;
		for (size_t i = 0; i < n; i++)
			cd_http_resp_free(&resp[i]);
		memset(resp, 0, n * sizeof *resp);
		goto retry;
	}
	rc = 0;
	for (size_t i = 0; i < n; i++) {
		if (resp[i].status == 0) {
			status[i] = 0;
			rc = -1;
			continue;
		}
		if (finish(&r[i], &resp[i], &out[i], &status[i], &errs[i]) != 0)
			rc = -1;
	}
done:
	for (size_t i = 0; resp && i < n; i++)
		cd_http_resp_free(&resp[i]);
	memset(auth, 0, sizeof auth);
	if (h)
		memset(h, 0, n * sizeof *h);
	cd_free(h);
	cd_free(hr);
	cd_free(resp);
	cd_free(url);
	return rc;
}

int cd_kube_call(struct cd_kube *k, const struct cd_kube_req *r, json_t **out,
		 long *status, struct cd_err *err)
{
	return cd_kube_call_all(k, r, out, status, err, 1);
}

int cd_kube_stream(struct cd_kube *k, const char *path, double timeout,
		   int (*on_data)(void *ud, const char *p, size_t n), void *ud,
		   long *status, struct cd_err *err)
{
	struct hdrs h;
	struct cd_http_req hr;
	struct cd_http_resp resp = {0};
	char url[2048];
	struct cd_kube_req r = {.method = "GET", .path = path, .what = "watch"};
	memset(&h, 0, sizeof h);
	if (auth_line(k, h.auth, sizeof h.auth, err) != 0)
		return -1;
	build_req(k, &r, &h, url, sizeof url, &hr);
	hr.on_data = on_data;
	hr.ud = ud;
	hr.timeout = timeout;
	int rc = cd_http_do(k->http, &hr, &resp, err);
	*status = resp.status;
	if (rc == 0 && resp.status >= 300) {
		json_error_t je;
		json_t *body = json_loadb(resp.body.data ? resp.body.data : "",
					  resp.body.len, 0, &je);
		rc = cd_kube_status_err(resp.status, body, path, err);
		json_decref(body);
	}
	cd_http_resp_free(&resp);
	memset(&h, 0, sizeof h);
	k->requests++;
	return rc;
}

/* ---- discovery ---- */

int cd_kube_get_text(struct cd_kube *k, const char *path, double timeout,
		     struct cd_buf *out, long *status, struct cd_err *err)
{
	struct hdrs h;
	struct cd_http_req hr;
	struct cd_http_resp resp = {0};
	char url[2048];
	struct cd_kube_req r = {.method = "GET", .path = path, .what = path};
	memset(&h, 0, sizeof h);
	*status = 0;
	if (auth_line(k, h.auth, sizeof h.auth, err) != 0)
		return -1;
	build_req(k, &r, &h, url, sizeof url, &hr);
	for (int i = 0; h.lines[i]; i++)
		if (strncmp(h.lines[i], "Accept:", 7) == 0)
			h.lines[i] = "Accept: */*";
	hr.timeout = timeout;
	hr.max_body = out->max;
	int rc = cd_http_do(k->http, &hr, &resp, err);
	k->requests++;
	*status = resp.status;
	if (rc == 0 && resp.status >= 300) {
		json_error_t je;
		json_t *body = json_loadb(resp.body.data ? resp.body.data : "",
					  resp.body.len, 0, &je);
		rc = cd_kube_status_err(resp.status, body, path, err);
		json_decref(body);
	} else if (rc == 0 && resp.body.len &&
		   cd_buf_append(out, resp.body.data, resp.body.len) != 0) {
		rc = cd_err_set(err, CD_E_NOMEM, OP, "out of memory");
	}
	cd_http_resp_free(&resp);
	memset(&h, 0, sizeof h);
	return rc;
}

/* ---- requests on a batch (the waiter) ---- */

struct cd_kube_async {
	struct cd_kube_req r;
	struct hdrs h;
	char url[2048];
	struct cd_http_req hr;
	struct cd_http_resp resp;
	struct cd_err err;
	char *path;
	int done;
};

struct cd_kube_async *cd_kube_async_start(struct cd_kube *k, struct cd_http_batch *b,
				    const char *path, double timeout,
				    int (*on_data)(void *ud, const char *p,
						   size_t n),
				    void *ud, struct cd_err *err)
{
	struct cd_kube_async *op = cd_calloc(1, sizeof *op);
	if (!op || !(op->path = cd_strdup(path))) {
		cd_free(op);
		cd_err_set(err, CD_E_NOMEM, OP, "out of memory");
		return NULL;
	}
	op->r = (struct cd_kube_req){.method = "GET", .path = op->path, .what = op->path};
	if (auth_line(k, op->h.auth, sizeof op->h.auth, err) != 0) {
		cd_kube_async_free(op);
		return NULL;
	}
	build_req(k, &op->r, &op->h, op->url, sizeof op->url, &op->hr);
	op->hr.on_data = on_data;
	op->hr.ud = ud;
	op->hr.timeout = timeout;
	if (cd_http_batch_add(b, &op->hr, &op->resp, &op->err, op) != 0) {
		*err = op->err;
		cd_kube_async_free(op);
		return NULL;
	}
	k->requests++;
	return op;
}

int cd_kube_async_result(struct cd_kube_async *op, json_t **out, long *status,
		      struct cd_err *err)
{
	*out = NULL;
	*status = op->resp.status;
	if (op->resp.status == 0) {
		*err = op->err;
		return -1;
	}
	return finish(&op->r, &op->resp, out, status, err);
}

void cd_kube_async_free(struct cd_kube_async *op)
{
	if (!op)
		return;
	cd_http_resp_free(&op->resp);
	memset(&op->h, 0, sizeof op->h);
	cd_free(op->path);
	cd_free(op);
}

static void gv_key(const char *group, const char *version, char *out, size_t n)
{
	snprintf(out, n, "%s/%s", group, version);
}

static void cache_file(const struct cd_kube *k, const char *key, char *out,
		       size_t n)
{
	char safe[256];
	size_t i;
	for (i = 0; key[i] && i < sizeof safe - 1; i++)
		safe[i] = key[i] == '/' ? '_' : key[i];
	safe[i] = '\0';
	snprintf(out, n, "%s/%s.json", k->cache_dir, safe);
}

static json_t *cache_read(const struct cd_kube *k, const char *key)
{
	char path[4096];
	struct stat st;
	json_error_t je;
	if (!k->cache_dir)
		return NULL;
	cache_file(k, key, path, sizeof path);
	if (stat(path, &st) != 0 || difftime(time(NULL), st.st_mtime) > k->cache_ttl)
		return NULL;
	return json_load_file(path, 0, &je);
}


static void cache_write(const struct cd_kube *k, const char *key,
			const json_t *list)
{
	char path[4096], tmp[4200];
	if (!k->cache_dir)
		return;
	cd_fs_mkdirs(k->cache_dir); /* a cache: failure only loses the cache */
	cache_file(k, key, path, sizeof path);
	char sfx[64];
	cd_tmp_suffix(sfx, sizeof sfx);
	snprintf(tmp, sizeof tmp, "%s%s", path, sfx);
	if (json_dump_file(list, tmp, JSON_COMPACT) == 0)
		rename(tmp, path);
	else
		remove(tmp);
}

/* The resource list of group/version from the server; keeps only what the
 * mapper needs (name, kind, namespaced), so nothing else reaches disk. */
static int fetch_gv(struct cd_kube *k, const char *group, const char *version,
		    json_t **list, struct cd_err *err)
{
	char path[512], what[300];
	json_t *body = NULL;
	long status;
	if (*group)
		snprintf(path, sizeof path, "/apis/%s/%s", group, version);
	else
		snprintf(path, sizeof path, "/api/%s", version);
	snprintf(what, sizeof what, "discovery of %s%s%s", group, *group ? "/" : "",
		 version);
	struct cd_kube_req r = {.method = "GET", .path = path, .what = what,
				.ok404 = 1};
	if (cd_kube_call(k, &r, &body, &status, err) != 0)
		return -1;
	*list = json_array();
	json_t *res = json_object_get(body, "resources"), *it;
	size_t i;
	json_array_foreach(res, i, it) {
		const char *name = json_string_value(json_object_get(it, "name"));
		if (!name || strchr(name, '/'))
			continue; /* subresources */
		json_array_append_new(
			*list, json_pack("{s:s,s:s,s:b}", "name", name, "kind",
					 json_string_value(json_object_get(it, "kind")),
					 "namespaced",
					 json_is_true(json_object_get(it, "namespaced"))));
	}
	json_decref(body);
	return 0;
}

static const json_t *find_kind(const json_t *list, const char *kind)
{
	size_t i;
	json_t *it;
	json_array_foreach(list, i, it) {
		const char *k = json_string_value(json_object_get(it, "kind"));
		if (k && !strcmp(k, kind))
			return it;
	}
	return NULL;
}

void cd_kube_forget(struct cd_kube *k, const char *group, const char *version)
{
	char key[256];
	gv_key(group, version, key, sizeof key);
	json_object_del(k->gv, key);
}

/* The resource list of group/version (borrowed): from memory, else the
 * disk cache, else the server; fetched again when `kind` is given and not
 * in it (a CRD created since). */
static const json_t *resources(struct cd_kube *k, const char *group,
			       const char *version, const char *kind,
			       struct cd_err *err)
{
	char key[256];
	gv_key(group, version, key, sizeof key);
	json_t *list = json_object_get(k->gv, key);
	if (list && (!kind || find_kind(list, kind)))
		return list;
	if (!list) {
		list = cache_read(k, key);
		if (list && (!kind || find_kind(list, kind))) {
			json_object_set_new(k->gv, key, list);
			return list;
		}
		json_decref(list);
	}
	if (fetch_gv(k, group, version, &list, err) != 0)
		return NULL;
	json_object_set_new(k->gv, key, list);
	cache_write(k, key, list);
	return list;
}

static int lookup(struct cd_kube *k, const char *group, const char *version,
		  const char *kind, struct cd_kube_mapping *m,
		  struct cd_err *err)
{
	const json_t *list = resources(k, group, version, kind, err);
	if (!list)
		return -1;
	const json_t *e = find_kind(list, kind);
	if (!e)
		return cd_err_set(err, CD_E_NOT_FOUND, OP,
				  "the server has no kind %s in %s%s%s (is its "
				  "CustomResourceDefinition installed?)",
				  kind, group, *group ? "/" : "", version);
	snprintf(m->group, sizeof m->group, "%s", group);
	snprintf(m->version, sizeof m->version, "%s", version);
	snprintf(m->kind, sizeof m->kind, "%s", kind);
	snprintf(m->resource, sizeof m->resource, "%s",
		 json_string_value(json_object_get(e, "name")));
	m->namespaced = json_is_true(json_object_get(e, "namespaced"));
	return 0;
}

int cd_kube_map(struct cd_kube *k, const char *api_version, const char *kind,
		struct cd_kube_mapping *m, struct cd_err *err)
{
	char group[128] = "", version[64];
	const char *slash = strchr(api_version, '/');
	if (slash) {
		snprintf(group, sizeof group, "%.*s", (int)(slash - api_version),
			 api_version);
		snprintf(version, sizeof version, "%s", slash + 1);
	} else {
		snprintf(version, sizeof version, "%s", api_version);
	}
	if (!*version || !*kind)
		return cd_err_set(err, CD_E_INVALID, OP,
				  "an object needs apiVersion and kind");
	return lookup(k, group, version, kind, m, err);
}

int cd_kube_map_gk(struct cd_kube *k, const char *group, const char *kind,
		   struct cd_kube_mapping *m, struct cd_err *err)
{
	char key[256], path[300];
	if (!*group)
		return lookup(k, "", "v1", kind, m, err);
	snprintf(key, sizeof key, "group/%s", group);
	json_t *pref = json_object_get(k->gv, key);
	if (!pref) {
		json_t *body = NULL;
		long status;
		snprintf(path, sizeof path, "/apis/%s", group);
		struct cd_kube_req r = {.method = "GET", .path = path,
					.what = "discovery", .ok404 = 1};
		if (cd_kube_call(k, &r, &body, &status, err) != 0)
			return -1;
		const char *v = json_string_value(json_object_get(
			json_object_get(body, "preferredVersion"), "version"));
		pref = json_string(v ? v : "");
		json_object_set_new(k->gv, key, pref);
		json_decref(body);
	}
	if (!*json_string_value(pref))
		return cd_err_set(err, CD_E_NOT_FOUND, OP,
				  "the server has no API group %s", group);
	return lookup(k, group, json_string_value(pref), kind, m, err);
}

int cd_kube_server_version(struct cd_kube *k, char *out, size_t n,
			   struct cd_err *err)
{
	json_t *body = NULL;
	long status;
	struct cd_kube_req r = {.method = "GET", .path = "/version",
				.what = "the server's version"};
	if (cd_kube_call(k, &r, &body, &status, err) != 0)
		return -1;
	const char *v = json_string_value(json_object_get(body, "gitVersion"));
	int rc = 0;
	if (!v || !*v)
		rc = cd_err_set(err, CD_E_INVALID, OP,
				"the server's /version has no gitVersion");
	else
		snprintf(out, n, "%s", v);
	json_decref(body);
	return rc;
}

/* Appends "gv" and "gv/Kind" for every kind of group/version to out. */
static int add_gv(struct cd_kube *k, const char *group, const char *version,
		  json_t *out, struct cd_err *err)
{
	char gv[256], id[400];
	size_t i;
	json_t *it;
	const json_t *list = resources(k, group, version, NULL, err);
	if (!list)
		return -1;
	snprintf(gv, sizeof gv, "%s%s%s", group, *group ? "/" : "", version);
	json_array_append_new(out, json_string(gv));
	json_array_foreach(list, i, it) {
		snprintf(id, sizeof id, "%s/%s", gv,
			 json_string_value(json_object_get(it, "kind")));
		json_array_append_new(out, json_string(id));
	}
	return 0;
}

static int add_groups(struct cd_kube *k, const json_t *groups, json_t *out,
		      struct cd_err *err)
{
	size_t i, j;
	json_t *g, *v;
	json_array_foreach(groups, i, g) {
		const char *name = json_string_value(json_object_get(g, "name"));
		json_array_foreach(json_object_get(g, "versions"), j, v) {
			const char *ver = json_string_value(
				json_object_get(v, "version"));
			if (name && ver && add_gv(k, name, ver, out, err) != 0)
				return -1;
		}
	}
	return 0;
}

int cd_kube_api_versions(struct cd_kube *k, json_t **out, struct cd_err *err)
{
	json_t *core = NULL, *apis = NULL, *v;
	long status;
	size_t i;
	int rc = -1;
	struct cd_kube_req r1 = {.method = "GET", .path = "/api",
				 .what = "discovery"};
	struct cd_kube_req r2 = {.method = "GET", .path = "/apis",
				 .what = "discovery"};
	*out = json_array();
	if (!*out || cd_kube_call(k, &r1, &core, &status, err) != 0 ||
	    cd_kube_call(k, &r2, &apis, &status, err) != 0)
		goto done;
	json_array_foreach(json_object_get(core, "versions"), i, v)
		if (json_is_string(v) &&
		    add_gv(k, "", json_string_value(v), *out, err) != 0)
			goto done;
	rc = add_groups(k, json_object_get(apis, "groups"), *out, err);
done:
	json_decref(core);
	json_decref(apis);
	if (rc != 0) {
		json_decref(*out);
		*out = NULL;
	}
	return rc;
}

int cd_kube_path(const struct cd_kube_mapping *m, const char *ns,
		 const char *name, char *out, size_t n)
{
	int len;
	if (*m->group)
		len = snprintf(out, n, "/apis/%s/%s", m->group, m->version);
	else
		len = snprintf(out, n, "/api/%s", m->version);
	if (m->namespaced && ns && *ns)
		len += snprintf(out + len, n - (size_t)len, "/namespaces/%s", ns);
	len += snprintf(out + len, n - (size_t)len, "/%s", m->resource);
	if (name)
		len += snprintf(out + len, n - (size_t)len, "/%s", name);
	return (size_t)len < n ? 0 : -1;
}
