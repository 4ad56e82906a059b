#include "registry.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs.h"
#include "mem.h"
#include "util.h"

#define ACCEPT_MANIFESTS                                                 \
	"Accept: " CD_MT_OCI_INDEX ", " CD_MT_DOCKER_LIST ", "           \
	CD_MT_OCI_MANIFEST ", " CD_MT_DOCKER_MANIFEST
#define ROUNDS 3          /* attempts of one blob transfer (new session each) */
#define CHUNK ((size_t)8 << 20)
#define MAX_PAGES 1000
#define MAX_CHILDREN 256

struct cd_reg_host {
	char domain[256];
	char base[300]; /* scheme://api-host */
	int pinged;
	struct cd_http_tls tls;
	struct cd_auth auth;
};

/* ---- references ---- */

static int lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* One path component: [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)* */
static int component_ok(const char *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		if (!lower_alnum(s[i]))
			return 0;
		while (i < n && lower_alnum(s[i]))
			i++;
		if (i == n)
			return 1;
		if (s[i] == '.')
			i++;
		else if (s[i] == '_')
			i += (i + 1 < n && s[i + 1] == '_') ? 2 : 1;
		else if (s[i] == '-')
			while (i < n && s[i] == '-')
				i++;
		else
			return 0;
		if (i == n)
			return 0;
	}
	return n > 0;
}

static int path_ok(const char *p)
{
	if (!*p)
		return 0; /* "example.io/" names no repository */
	while (*p) {
		size_t n = strcspn(p, "/");
		if (!component_ok(p, n))
			return 0;
		p += n;
		if (*p == '/' && !*++p)
			return 0;
	}
	return 1;
}

static int digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return n > 0;
}

int cd_ref_domain_ok(const char *d, size_t n)
{
	size_t h; /* the host's length: what comes before the port */
	if (n && d[0] == '[') { /* [IPv6], no zone */
		const char *e = memchr(d, ']', n);
		if (!e || e == d + 1)
			return 0;
		for (const char *p = d + 1; p < e; p++)
			if (!strchr("0123456789abcdefABCDEF:", *p))
				return 0;
		h = (size_t)(e - d) + 1;
	} else { /* labels of [A-Za-z0-9-], not empty, no '-' at an end */
		const char *colon = memchr(d, ':', n);
		h = colon ? (size_t)(colon - d) : n;
		size_t start = 0;
		for (size_t i = 0; i <= h; i++) {
			if (i < h && d[i] != '.') {
				if (!((d[i] >= 'a' && d[i] <= 'z') || (d[i] >= 'A' && d[i] <= 'Z') ||
				      (d[i] >= '0' && d[i] <= '9') || d[i] == '-'))
					return 0;
				continue;
			}
			if (i == start || d[start] == '-' || d[i - 1] == '-')
				return 0;
			start = i + 1;
		}
	}
	return h == n || (d[h] == ':' && digits(d + h + 1, n - h - 1));
}

static int tag_ok(const char *t)
{
	size_t n = strlen(t);
	if (n == 0 || n > 128 || t[0] == '.' || t[0] == '-')
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((t[i] >= 'a' && t[i] <= 'z') || (t[i] >= 'A' && t[i] <= 'Z') ||
		      (t[i] >= '0' && t[i] <= '9') || strchr("._-", t[i])))
			return 0;
	return 1;
}

static int is_domain(const char *first, size_t n)
{
	if (n == 9 && strncmp(first, "localhost", 9) == 0)
		return 1;
	for (size_t i = 0; i < n; i++)
		if (first[i] == '.' || first[i] == ':' ||
		    (first[i] >= 'A' && first[i] <= 'Z'))
			return 1;
	return 0;
}

static int bad_ref(struct cd_err *err, const char *s, const char *why)
{
	return cd_err_set(err, CD_E_INVALID, "registry",
			  "invalid image reference \"%.300s\": %s", s, why);
}

/* Splits name[:tag] into name and tag (a ':' after the last '/'). */
static int split_tag(const char *s, char *name, char *tag, struct cd_err *err)
{
	const char *slash = strrchr(s, '/');
	const char *colon = strrchr(slash ? slash : s, ':');
	size_t nlen = colon ? (size_t)(colon - s) : strlen(s);
	if (nlen >= 512)
		return bad_ref(err, s, "name too long");
	memcpy(name, s, nlen);
	name[nlen] = '\0';
	tag[0] = '\0';
	if (colon) {
		if (!tag_ok(colon + 1))
			return bad_ref(err, s, "invalid tag");
		strcpy(tag, colon + 1);
	}
	return 0;
}

int cd_ref_parse(const char *s, struct cd_ref *out, struct cd_err *err)
{
	char buf[512], name[512], tag[512];
	memset(out, 0, sizeof *out);
	if (!s || !*s)
		return bad_ref(err, "", "empty");
	if (strlen(s) >= sizeof buf)
		return bad_ref(err, s, "too long");
	strcpy(buf, s);
	char *at = strchr(buf, '@');
	if (at) {
		*at = '\0';
		if (!cd_digest_valid(at + 1))
			return bad_ref(err, s, "invalid digest (want sha256:<64 hex>)");
		strcpy(out->digest, at + 1);
	}
	if (split_tag(buf, name, tag, err) != 0)
		return -(int)err->code;
	size_t first = strcspn(name, "/");
	const char *path = name;
	if (name[first] == '/' && is_domain(name, first)) {
		snprintf(out->domain, sizeof out->domain, "%.*s", (int)first, name);
		path = name + first + 1;
	} else {
		strcpy(out->domain, "docker.io");
	}
	if (!cd_ref_domain_ok(out->domain, strlen(out->domain)))
		return bad_ref(err, s, "invalid registry host");
	if (strcmp(out->domain, "index.docker.io") == 0)
		strcpy(out->domain, "docker.io");
	int library = strcmp(out->domain, "docker.io") == 0 && !strchr(path, '/');
	if (snprintf(out->path, sizeof out->path, "%s%s", library ? "library/" : "",
		     path) >= (int)sizeof out->path ||
	    strlen(out->domain) + 1 + strlen(out->path) > 255)
		return bad_ref(err, s, "name longer than 255 characters");
	if (!path_ok(out->path))
		return bad_ref(err, s,
			       "repository names are lower-case letters, digits "
			       "and separators (. _ __ -) between components");
	out->tag_given = tag[0] != '\0';
	snprintf(out->tag, sizeof out->tag, "%s",
		 tag[0] ? tag : (out->digest[0] ? "" : "latest"));
	return 0;
}

void cd_ref_name(const struct cd_ref *r, char *buf, size_t n)
{
	snprintf(buf, n, "%s/%s", r->domain, r->path);
}

void cd_ref_string(const struct cd_ref *r, char *buf, size_t n)
{
	snprintf(buf, n, "%s/%s%s%s%s%s", r->domain, r->path, r->tag[0] ? ":" : "",
		 r->tag, r->digest[0] ? "@" : "", r->digest);
}

int cd_mt_is_index(const char *mt)
{
	return strcmp(mt, CD_MT_OCI_INDEX) == 0 || strcmp(mt, CD_MT_DOCKER_LIST) == 0;
}

void cd_manifest_free(struct cd_manifest *m)
{
	if (m) {
		cd_free(m->data);
		m->data = NULL;
		m->len = 0;
	}
}

/* ---- client and hosts ---- */

int cd_registry_init(struct cd_registry *r, struct cd_http *http,
		     const struct cd_ctx *ctx, struct cd_err *err)
{
	memset(r, 0, sizeof *r);
	r->http = http;
	r->ctx = ctx;
	r->parallel = CD_REGISTRY_PARALLEL;
	(void)err;
	return 0;
}

void cd_registry_free(struct cd_registry *r)
{
	for (size_t i = 0; i < r->nhosts; i++) {
		cd_auth_free(&r->hosts[i]->auth);
		cd_free(r->hosts[i]);
	}
	cd_free(r->hosts);
	cd_free(r->store);
	memset(r, 0, sizeof *r);
}

static int insecure(const struct cd_registry *r, const char *domain)
{
	return r->ctx && cd_strlist_has(&r->ctx->insecure_registries, domain);
}

static struct cd_reg_host *host_of(struct cd_registry *r, const char *domain,
				   struct cd_err *err)
{
	for (size_t i = 0; i < r->nhosts; i++)
		if (strcmp(r->hosts[i]->domain, domain) == 0)
			return r->hosts[i];
	struct cd_reg_host *h = cd_calloc(1, sizeof *h);
	void *p = h ? cd_realloc(r->hosts, (r->nhosts + 1) * sizeof *r->hosts) : NULL;
	if (!p) {
		cd_free(h);
		cd_err_set(err, CD_E_NOMEM, "registry", "out of memory");
		return NULL;
	}
	r->hosts = p;
	r->hosts[r->nhosts++] = h;
	snprintf(h->domain, sizeof h->domain, "%s", domain);
	int plain = insecure(r, domain);
	const char *api = strcmp(domain, "docker.io") == 0 ? "registry-1.docker.io"
							    : domain;
	snprintf(h->base, sizeof h->base, "%s://%s", plain ? "http" : "https", api);
	const char *ca = getenv("CDHOST_REGISTRY_CA");
	if (ca && *ca)
		h->tls.ca_file = ca; /* environment strings live as long as we do */
	cd_auth_init(&h->auth, domain, plain, r->http, &h->tls, r->ctx);
	return h;
}

/* ---- errors ---- */

/* "CODE: message (detail)" of a registry error body, appended to b. */
static void error_body(const struct cd_buf *body, struct cd_buf *b)
{
	json_error_t je;
	json_t *j = body->data ? json_loadb(body->data, body->len, 0, &je) : NULL;
	json_t *errs = json_object_get(j, "errors"), *e;
	size_t i;
	json_array_foreach(errs, i, e) {
		const char *code = json_string_value(json_object_get(e, "code"));
		const char *msg = json_string_value(json_object_get(e, "message"));
		json_t *det = json_object_get(e, "detail");
		cd_buf_printf(b, "%s%s%s%s", i ? "; " : ": ", code ? code : "",
			      code && msg ? ": " : "", msg ? msg : "");
		char *d = det && !json_is_null(det)
				  ? json_dumps(det, JSON_COMPACT | JSON_ENCODE_ANY)
				  : NULL;
		if (d && strcmp(d, "{}") != 0 && strcmp(d, "[]") != 0)
			cd_buf_printf(b, " (%.200s)", d);
		free(d);
		if (i == 3)
			break;
	}
	json_decref(j);
}

/* Maps a response that is not what was expected to an error. */
static int resp_error(const struct cd_http_resp *resp, const char *what,
		      const char *ref, struct cd_err *err)
{
	struct cd_buf b = CD_BUF_INIT;
	enum cd_code code = cd_http_status_code(resp->status);
	if (code == CD_OK)
		code = CD_E_SERVER; /* an unexpected 2xx/3xx */
	cd_buf_printf(&b, "%s %s: HTTP %ld", what, ref, resp->status);
	error_body(&resp->body, &b);
	cd_err_set(err, code, "registry", "%s", b.data ? b.data : what);
	cd_buf_free(&b);
	return -(int)code;
}

/* ---- requests with authentication ---- */

static int with_auth(struct cd_reg_host *h, const char *scopes,
		     const char *const *extra, const char **hdrs, size_t max,
		     char **line, struct cd_err *err)
{
	size_t n = 0;
	if (cd_auth_header(&h->auth, scopes, line, err) != 0)
		return -(int)err->code;
	for (; extra && extra[n] && n + 2 < max; n++)
		hdrs[n] = extra[n];
	if (*line)
		hdrs[n++] = *line;
	hdrs[n] = NULL;
	return 0;
}

static void free_line(char *line)
{
	if (line) {
		memset(line, 0, strlen(line));
		cd_free(line);
	}
}

/* One request; answers a 401 challenge and sends it again. */
/* 1 when url is on the registry's own origin (scheme, host and port of
 * h->base). Only then do its credentials go along: a Location or Link
 * header naming another host gets the request without them (as
 * go-containerregistry's transport does), so a registry cannot hand
 * cdhost's token or password to a host of its choosing. */
static int own_url(const struct cd_reg_host *h, const char *url)
{
	size_t n = strlen(h->base);
	return strncasecmp(url, h->base, n) == 0 &&
	       (url[n] == '/' || url[n] == '?' || url[n] == '\0');
}

static int reg_do(struct cd_reg_host *h, const char *scopes,
		  struct cd_http_req *q, struct cd_http_resp *resp,
		  struct cd_err *err)
{
	const char *const *extra = q->headers;
	const char *hdrs[16];
	char www[2048];
	int rc = 0;
	if (!own_url(h, q->url))
		return cd_http_do(h->auth.http, q, resp, err);
	for (int attempt = 0;; attempt++) {
		char *line = NULL;
		if (with_auth(h, scopes, extra, hdrs, 16, &line, err) != 0)
			return -(int)err->code;
		q->headers = hdrs;
		rc = cd_http_do(h->auth.http, q, resp, err);
		q->headers = extra;
		free_line(line);
		if (rc != 0 || resp->status != 401 || attempt == 3)
			return rc;
		if (!cd_http_header(resp, "WWW-Authenticate", www, sizeof www))
			www[0] = '\0';
		cd_http_resp_free(resp);
		memset(resp, 0, sizeof *resp);
		if (cd_auth_challenge(&h->auth, www, scopes, attempt > 0, err) != 0)
			return -(int)err->code;
	}
}

/* n requests in parallel under one scope set; 401s are answered one by one. */
static void reg_do_all(struct cd_registry *r, struct cd_reg_host *h,
		       const char *scopes, struct cd_http_req *qs,
		       struct cd_http_resp *resps, struct cd_err *errs, size_t n)
{
	const char *hdrs[16];
	char *line = NULL;
	const char *const *extra = n ? qs[0].headers : NULL;
	if (n == 0)
		return;
	if (with_auth(h, scopes, extra, hdrs, 16, &line, &errs[0]) != 0) {
		for (size_t i = 1; i < n; i++)
			errs[i] = errs[0];
		for (size_t i = 0; i < n; i++)
			memset(&resps[i], 0, sizeof resps[i]);
		return;
	}
	for (size_t i = 0; i < n; i++)
		qs[i].headers = own_url(h, qs[i].url) ? hdrs : extra;
	cd_http_do_all(r->http, qs, resps, errs, n, r->parallel);
	for (size_t i = 0; i < n; i++)
		qs[i].headers = extra;
	free_line(line);
	for (size_t i = 0; i < n; i++)
		if (!errs[i].code && resps[i].status == 401 && !qs[i].on_data &&
		    own_url(h, qs[i].url)) {
			cd_http_resp_free(&resps[i]);
			reg_do(h, scopes, &qs[i], &resps[i], &errs[i]);
		}
}

static void pull_scope(const struct cd_ref *ref, char *buf, size_t n)
{
	snprintf(buf, n, "repository:%s:pull", ref->path);
}

static void push_scope(const struct cd_ref *ref, char *buf, size_t n)
{
	snprintf(buf, n, "repository:%s:pull,push", ref->path);
}

int cd_registry_ping(struct cd_registry *r, const char *domain,
		     struct cd_err *err)
{
	struct cd_reg_host *h = host_of(r, domain, err);
	struct cd_http_resp resp = {0};
	char url[400], www[2048];
	if (!h)
		return -(int)err->code;
	if (h->pinged)
		return 0;
	snprintf(url, sizeof url, "%s/v2/", h->base);
	struct cd_http_req q = {.method = "GET", .url = url, .tls = &h->tls,
				.idempotent = 1, .max_body = 1 << 16,
				.what = "registry ping"};
	if (cd_http_do(r->http, &q, &resp, err) != 0) {
		cd_http_resp_free(&resp);
		if (err->code == CD_E_UNREACHABLE && !insecure(r, domain) &&
		    strstr(err->msg, "SSL"))
			cd_err_wrap(err, "%s (plain HTTP registry? pass "
					 "--insecure-registry %s; private CA? set "
					 "CDHOST_REGISTRY_CA)",
				    domain, domain);
		return -(int)err->code;
	}
	int rc = 0;
	if (resp.status == 401) {
		if (cd_http_header(&resp, "WWW-Authenticate", www, sizeof www))
			rc = cd_auth_challenge(&h->auth, www, NULL, 0, err);
	} else if (resp.status != 200) {
		rc = resp_error(&resp, "ping", domain, err);
	}
	cd_http_resp_free(&resp);
	if (rc == 0)
		h->pinged = 1;
	return rc;
}

static struct cd_reg_host *ready_host(struct cd_registry *r,
				      const struct cd_ref *ref,
				      struct cd_err *err)
{
	struct cd_reg_host *h = host_of(r, ref->domain, err);
	if (h && cd_registry_ping(r, ref->domain, err) != 0)
		return NULL;
	return h;
}

/* ---- manifests ---- */

static const char *ref_id(const struct cd_ref *ref)
{
	return ref->digest[0] ? ref->digest : ref->tag;
}

/* Content-Type without parameters. */
static void media_type_of(const struct cd_http_resp *resp, char *buf, size_t n)
{
	if (!cd_http_header(resp, "Content-Type", buf, n))
		buf[0] = '\0';
	buf[strcspn(buf, "; ")] = '\0';
}

static int manifest_req(struct cd_registry *r, const struct cd_ref *ref,
			const char *method, struct cd_http_resp *resp,
			struct cd_err *err)
{
	char url[800], scope[320];
	const char *hdrs[] = {ACCEPT_MANIFESTS, NULL};
	struct cd_reg_host *h = ready_host(r, ref, err);
	if (!h)
		return -(int)err->code;
	snprintf(url, sizeof url, "%s/v2/%s/manifests/%s", h->base, ref->path,
		 ref_id(ref));
	pull_scope(ref, scope, sizeof scope);
	struct cd_http_req q = {.method = method, .url = url, .headers = hdrs,
				.tls = &h->tls, .idempotent = 1,
				.max_body = CD_MANIFEST_MAX,
				.what = "manifest"};
	return reg_do(h, scope, &q, resp, err);
}

int cd_registry_manifest_head(struct cd_registry *r, const struct cd_ref *ref,
			      struct cd_desc *out, struct cd_err *err)
{
	struct cd_http_resp resp = {0};
	char name[600], v[64];
	memset(out, 0, sizeof *out);
	if (manifest_req(r, ref, "HEAD", &resp, err) != 0) {
		cd_http_resp_free(&resp);
		return -(int)err->code;
	}
	int rc = 1;
	if (resp.status == 404) {
		rc = 0;
	} else if (resp.status != 200) {
		cd_ref_string(ref, name, sizeof name);
		rc = resp_error(&resp, "manifest HEAD", name, err);
	} else {
		media_type_of(&resp, out->media_type, sizeof out->media_type);
		if (!cd_http_header(&resp, "Docker-Content-Digest", out->digest,
				    sizeof out->digest) ||
		    !cd_digest_valid(out->digest))
			out->digest[0] = '\0';
		out->size = cd_http_header(&resp, "Content-Length", v, sizeof v)
				    ? strtoll(v, NULL, 10)
				    : -1;
	}
	cd_http_resp_free(&resp);
	return rc;
}

/* mediaType field of the JSON, else the Content-Type. */
static void body_media_type(const struct cd_manifest *m, const char *ctype)
{
	json_error_t je;
	json_t *j = json_loadb(m->data, m->len, 0, &je);
	const char *mt = json_string_value(json_object_get(j, "mediaType"));
	snprintf((char *)m->media_type, sizeof m->media_type, "%s",
		 mt && *mt ? mt : ctype);
	json_decref(j);
}

int cd_registry_manifest_get(struct cd_registry *r, const struct cd_ref *ref,
			     struct cd_manifest *out, struct cd_err *err)
{
	struct cd_http_resp resp = {0};
	char name[600], ctype[128], hdr[CD_DIGEST_MAX];
	int rc = 0;
	memset(out, 0, sizeof *out);
	cd_ref_string(ref, name, sizeof name);
	if (manifest_req(r, ref, "GET", &resp, err) != 0) {
		cd_http_resp_free(&resp);
		return -(int)err->code;
	}
	if (resp.status != 200) {
		rc = resp_error(&resp, "pull manifest", name, err);
		goto done;
	}
	out->len = resp.body.len;
	out->data = cd_buf_steal(&resp.body, NULL);
	if (!out->data || cd_digest_bytes(out->data, out->len, out->digest) != 0) {
		rc = cd_err_set(err, CD_E_NOMEM, "registry", "out of memory");
		goto done;
	}
	const char *want = ref->digest[0] ? ref->digest : NULL;
	if (!want && cd_http_header(&resp, "Docker-Content-Digest", hdr, sizeof hdr) &&
	    strncmp(hdr, "sha256:", 7) == 0)
		want = hdr;
	if (want && strcmp(want, out->digest) != 0) {
		rc = cd_err_set(err, CD_E_HASH_MISMATCH, "registry",
				"pull manifest %s: the content has digest %s, "
				"expected %s",
				name, out->digest, want);
		goto done;
	}
	media_type_of(&resp, ctype, sizeof ctype);
	body_media_type(out, ctype);
	if (!out->media_type[0])
		rc = cd_err_set(err, CD_E_INVALID, "registry",
				"pull manifest %s: no media type", name);
done:
	if (rc != 0)
		cd_manifest_free(out);
	cd_http_resp_free(&resp);
	return rc;
}

int cd_registry_resolve(struct cd_registry *r, const struct cd_ref *ref,
			struct cd_desc *out, struct cd_err *err)
{
	char name[600];
	int rc = cd_registry_manifest_head(r, ref, out, err);
	if (rc < 0)
		return rc;
	if (rc == 0) {
		cd_ref_string(ref, name, sizeof name);
		return cd_err_set(err, CD_E_NOT_FOUND, "registry",
				  "manifest unknown: %s", name);
	}
	if (out->digest[0] && out->media_type[0] && out->size >= 0 &&
	    (!ref->digest[0] || strcmp(ref->digest, out->digest) == 0))
		return 0;
	struct cd_manifest m;
	if (cd_registry_manifest_get(r, ref, &m, err) != 0)
		return -(int)err->code;
	snprintf(out->digest, sizeof out->digest, "%s", m.digest);
	snprintf(out->media_type, sizeof out->media_type, "%s", m.media_type);
	out->size = (int64_t)m.len;
	cd_manifest_free(&m);
	return 0;
}

int cd_registry_manifest_put(struct cd_registry *r, const struct cd_ref *ref,
			     const char *data, size_t len,
			     const char *media_type, char *digest_out,
			     struct cd_err *err)
{
	struct cd_http_resp resp = {0};
	char url[800], scope[320], ctype[200], name[600], hdr[CD_DIGEST_MAX];
	struct cd_reg_host *h = ready_host(r, ref, err);
	int rc = 0;
	if (!h)
		return -(int)err->code;
	if (cd_digest_bytes(data, len, digest_out) != 0)
		return cd_err_set(err, CD_E_NOMEM, "registry", "out of memory");
	cd_ref_string(ref, name, sizeof name);
	snprintf(url, sizeof url, "%s/v2/%s/manifests/%s", h->base, ref->path,
		 ref->tag[0] ? ref->tag : digest_out);
	snprintf(ctype, sizeof ctype, "Content-Type: %s", media_type);
	const char *hdrs[] = {ctype, NULL};
	push_scope(ref, scope, sizeof scope);
	struct cd_http_req q = {.method = "PUT", .url = url, .headers = hdrs,
				.body = data, .body_len = len, .tls = &h->tls,
				.idempotent = 1, .max_body = 1 << 20,
				.what = "push manifest"};
	if (reg_do(h, scope, &q, &resp, err) != 0) {
		rc = -(int)err->code;
	} else if (resp.status != 201 && resp.status != 200) {
		rc = resp_error(&resp, "push manifest", name, err);
	} else if (cd_http_header(&resp, "Docker-Content-Digest", hdr, sizeof hdr) &&
		   strcmp(hdr, digest_out) != 0) {
		rc = cd_err_set(err, CD_E_HASH_MISMATCH, "registry",
				"push manifest %s: the registry stored digest %s, "
				"cdhost computed %s",
				name, hdr, digest_out);
	}
	cd_http_resp_free(&resp);
	return rc;
}

/* ---- blob store ---- */


static int store_dir(struct cd_registry *r, struct cd_err *err)
{
	return r->store ? 0 : cd_fs_cache_dir("blobs/sha256", &r->store, err);
}

static char *store_path(struct cd_registry *r, const char *digest, const char *sfx)
{
	struct cd_buf b = CD_BUF_INIT;
	cd_buf_printf(&b, "%s/%s%s", r->store, digest + 7, sfx);
	return cd_buf_steal(&b, NULL);
}

/* ---- blob reads ---- */

int cd_registry_blob_head(struct cd_registry *r, const struct cd_ref *repo,
			  const char *digest, int64_t *size, struct cd_err *err)
{
	struct cd_http_resp resp = {0};
	char url[800], scope[320], name[600], v[64];
	struct cd_reg_host *h = ready_host(r, repo, err);
	if (!h)
		return -(int)err->code;
	snprintf(url, sizeof url, "%s/v2/%s/blobs/%s", h->base, repo->path, digest);
	pull_scope(repo, scope, sizeof scope);
	struct cd_http_req q = {.method = "HEAD", .url = url, .tls = &h->tls,
				.follow = 1, .idempotent = 1, .what = "blob HEAD"};
	int rc = reg_do(h, scope, &q, &resp, err);
	if (rc == 0) {
		if (resp.status == 200) {
			rc = 1;
			if (size)
				*size = cd_http_header(&resp, "Content-Length", v, sizeof v)
						? strtoll(v, NULL, 10)
						: -1;
		} else if (resp.status != 404) {
			cd_ref_name(repo, name, sizeof name);
			rc = resp_error(&resp, "blob HEAD", name, err);
		}
	}
	cd_http_resp_free(&resp);
	return rc;
}

/* A download in flight: file, running digest, size. */
struct sink {
	FILE *f;
	struct cd_sha256 sha;
	uint64_t n;
	int failed;
};

static int sink_data(void *ud, const char *p, size_t n)
{
	struct sink *s = ud;
	if (fwrite(p, 1, n, s->f) != n) {
		s->failed = 1;
		return 1;
	}
	cd_sha256_update(&s->sha, p, n);
	s->n += n;
	return 0;
}

struct fetch {
	const char *digest;
	char *tmp, *path;
	struct sink sink;
	char url[800];
};

static int fetch_open(struct fetch *f, struct cd_err *err)
{
	f->sink.f = fopen(f->tmp, "wb");
	if (!f->sink.f)
		return cd_err_set(err, CD_E_IO, "registry", "cannot write %s", f->tmp);
	if (cd_sha256_init(&f->sink.sha) != 0) {
		fclose(f->sink.f);
		f->sink.f = NULL;
		return cd_err_set(err, CD_E_NOMEM, "registry", "out of memory");
	}
	f->sink.n = 0;
	f->sink.failed = 0;
	return 0;
}

/* After the transfer: verify and move into place, or explain. */
static int fetch_close(struct cd_registry *r, struct fetch *f,
		       struct cd_http_resp *resp, const char *name,
		       struct cd_err *err)
{
	char got[CD_DIGEST_MAX];
	int rc = 0;
	fclose(f->sink.f);
	f->sink.f = NULL;
	cd_sha256_final(&f->sink.sha, got);
	if (resp->status != 200) {
		/* the error body went to the file: read it back for the message */
		FILE *e = fopen(f->tmp, "rb");
		char buf[4096];
		size_t n = e ? fread(buf, 1, sizeof buf, e) : 0;
		if (e)
			fclose(e);
		cd_buf_append(&resp->body, buf, n);
		rc = resp_error(resp, "pull blob", name, err);
	} else if (f->sink.failed) {
		rc = cd_err_set(err, CD_E_IO, "registry", "cannot write %s", f->tmp);
	} else if (strcmp(got, f->digest) != 0) {
		rc = cd_err_set(err, CD_E_HASH_MISMATCH, "registry",
				"pull blob %s@%s: the content has digest %s", name,
				f->digest, got);
	} else if (rename(f->tmp, f->path) != 0) {
		rc = cd_err_set(err, CD_E_IO, "registry", "cannot store %s", f->path);
	} else {
		r->stats.fetched++;
		r->stats.bytes_down += f->sink.n;
	}
	if (rc != 0)
		unlink(f->tmp);
	return rc;
}

/* Fetches n blobs of one repository into the store, in parallel, with a
 * few rounds for transfers that failed on the way. paths[i] gets the file. */
static int fetch_many(struct cd_registry *r, const struct cd_ref *repo,
		      const char **digests, char **paths, size_t n,
		      struct cd_err *err)
{
	struct cd_reg_host *h = ready_host(r, repo, err);
	struct fetch *fs = cd_calloc(n ? n : 1, sizeof *fs);
	struct cd_http_req *qs = cd_calloc(n ? n : 1, sizeof *qs);
	struct cd_http_resp *rs = cd_calloc(n ? n : 1, sizeof *rs);
	struct cd_err *es = cd_calloc(n ? n : 1, sizeof *es);
	char scope[320], name[600], tag[64];
	int rc = 0;
	if (!h || store_dir(r, err) != 0)
		goto done;
	if (!fs || !qs || !rs || !es) {
		rc = cd_err_set(err, CD_E_NOMEM, "registry", "out of memory");
		goto done;
	}
	pull_scope(repo, scope, sizeof scope);
	cd_ref_name(repo, name, sizeof name);
	cd_tmp_suffix(tag, sizeof tag);
	for (int round = 0; round < ROUNDS; round++) {
		size_t m = 0;
		size_t idx[64];
		for (size_t i = 0; i < n && m < 64; i++) {
			if (paths[i])
				continue;
			struct fetch *f = &fs[i];
			f->digest = digests[i];
			if (!f->path) {
				f->path = store_path(r, f->digest, "");
				f->tmp = store_path(r, f->digest, tag);
				if (!f->path || !f->tmp) {
					rc = cd_err_set(err, CD_E_NOMEM, "registry",
							"out of memory");
					goto done;
				}
			}
			if (access(f->path, R_OK) == 0) {
				paths[i] = f->path;
				f->path = NULL;
				continue;
			}
			if (fetch_open(f, err) != 0) {
				rc = -(int)err->code;
				goto done;
			}
			snprintf(f->url, sizeof f->url, "%s/v2/%s/blobs/%s", h->base,
				 repo->path, f->digest);
			qs[m] = (struct cd_http_req){.method = "GET", .url = f->url,
						     .tls = &h->tls, .follow = 1,
						     .idempotent = 1,
						     .on_data = sink_data,
						     .ud = &f->sink,
						     .what = "pull blob"};
			idx[m++] = i;
		}
		if (m == 0)
			break;
		reg_do_all(r, h, scope, qs, rs, es, m);
		rc = 0;
		for (size_t k = 0; k < m; k++) {
			struct fetch *f = &fs[idx[k]];
			int e;
			if (es[k].code) {
				fclose(f->sink.f);
				f->sink.f = NULL;
				cd_sha256_abort(&f->sink.sha);
				unlink(f->tmp);
				e = -(int)es[k].code;
				*err = es[k];
			} else {
				e = fetch_close(r, f, &rs[k], name, &es[k]);
				if (e != 0)
					*err = es[k];
			}
			cd_http_resp_free(&rs[k]);
			if (e == 0) {
				paths[idx[k]] = f->path;
				f->path = NULL;
			} else {
				rc = e;
			}
		}
		if (rc == 0 || (err->code != CD_E_UNREACHABLE &&
				err->code != CD_E_SERVER &&
				err->code != CD_E_HASH_MISMATCH))
			break; /* done, or a failure another round cannot fix */
	}
done:
	if (!h && rc == 0)
		rc = -(int)err->code;
	for (size_t i = 0; fs && i < n; i++) {
		cd_free(fs[i].path);
		cd_free(fs[i].tmp);
	}
	cd_free(fs);
	cd_free(qs);
	cd_free(rs);
	cd_free(es);
	return rc;
}

int cd_registry_blob_fetch(struct cd_registry *r, const struct cd_ref *repo,
			   const char *digest, char **path, struct cd_err *err)
{
	*path = NULL;
	return fetch_many(r, repo, &digest, path, 1, err);
}

/* ---- blob uploads ---- */

struct up {
	struct cd_blob *b;
	char *path;       /* the data in the store, when fetched */
	char loc[2048];   /* upload session */
	char url[2200];
	int done;
	struct cd_err err;
};

/* Requests, responses and errors for m uploads at once. */
struct batch {
	struct cd_http_req *qs;
	struct cd_http_resp *rs;
	struct cd_err *es;
};

static void batch_free(struct batch *b)
{
	cd_free(b->qs);
	cd_free(b->rs);
	cd_free(b->es);
}

static int batch_new(struct batch *b, struct up **us, size_t m)
{
	b->qs = cd_calloc(m ? m : 1, sizeof *b->qs);
	b->rs = cd_calloc(m ? m : 1, sizeof *b->rs);
	b->es = cd_calloc(m ? m : 1, sizeof *b->es);
	if (b->qs && b->rs && b->es)
		return 0;
	for (size_t k = 0; k < m; k++)
		cd_err_set(&us[k]->err, CD_E_NOMEM, "registry", "out of memory");
	batch_free(b);
	return -1;
}

/* An upload Location made absolute. */
static void absolute(const struct cd_reg_host *h, const char *loc, char *out,
		     size_t n)
{
	if (strncmp(loc, "http://", 7) == 0 || strncmp(loc, "https://", 8) == 0)
		snprintf(out, n, "%s", loc);
	else
		snprintf(out, n, "%s%s%s", h->base, loc[0] == '/' ? "" : "/", loc);
}

/* PUT url: Location exactly as given, plus digest= with the right joiner. */
static void put_url(struct up *u)
{
	snprintf(u->url, sizeof u->url, "%s%cdigest=%s", u->loc,
		 strchr(u->loc, '?') ? '&' : '?', u->b->digest);
}

static int same_domain(const struct cd_ref *a, const struct cd_ref *b)
{
	return strcmp(a->domain, b->domain) == 0;
}

/* POST of upload sessions (with mount=&from= when possible). */
static void post_sessions(struct cd_registry *r, struct cd_reg_host *h,
			  const struct cd_ref *dst, const char *scope,
			  struct up **us, size_t m, int mount)
{
	struct batch bt;
	char name[600], loc[2048];
	if (batch_new(&bt, us, m) != 0)
		return;
	struct cd_http_req *qs = bt.qs;
	struct cd_http_resp *rs = bt.rs;
	struct cd_err *es = bt.es;
	cd_ref_name(dst, name, sizeof name);
	for (size_t k = 0; k < m; k++) {
		struct up *u = us[k];
		if (mount)
			snprintf(u->url, sizeof u->url,
				 "%s/v2/%s/blobs/uploads/?mount=%s&from=%s", h->base,
				 dst->path, u->b->digest, u->b->src->path);
		else
			snprintf(u->url, sizeof u->url, "%s/v2/%s/blobs/uploads/",
				 h->base, dst->path);
		qs[k] = (struct cd_http_req){.method = "POST", .url = u->url,
					     .tls = &h->tls, .max_body = 1 << 16,
					     .what = "start blob upload"};
	}
	reg_do_all(r, h, scope, qs, rs, es, m);
	for (size_t k = 0; k < m; k++) {
		struct up *u = us[k];
		u->loc[0] = '\0';
		if (es[k].code) {
			u->err = es[k];
		} else if (mount && rs[k].status == 201) {
			u->done = 1;
			u->b->result = CD_BLOB_MOUNTED;
			r->stats.mounted++;
		} else if ((rs[k].status == 202 || rs[k].status == 201) &&
			   cd_http_header(&rs[k], "Location", loc, sizeof loc)) {
			absolute(h, loc, u->loc, sizeof u->loc);
		} else {
			resp_error(&rs[k], "start blob upload to", name, &u->err);
		}
		cd_http_resp_free(&rs[k]);
	}
	batch_free(&bt);
}

static const char *blob_file(const struct up *u)
{
	return u->path ? u->path : u->b->path;
}

/* The chunked fallback for one blob: PATCH pieces, then PUT ?digest=. */
static int upload_chunked(struct cd_registry *r, struct cd_reg_host *h,
			  const char *scope, struct up *u, const char *name)
{
	const char *hdrs[3] = {"Content-Type: application/octet-stream", NULL, NULL};
	char range[96], loc[2048];
	struct cd_http_resp resp = {0};
	FILE *f = blob_file(u) ? fopen(blob_file(u), "rb") : NULL;
	char *chunk = cd_malloc(CHUNK);
	size_t off = 0;
	int rc = 0;
	if ((!f && !u->b->data) || !chunk) {
		rc = cd_err_set(&u->err, CD_E_IO, "registry",
				"push blob %s: cannot read its data", u->b->digest);
		goto done;
	}
	for (;;) {
		size_t n = f ? fread(chunk, 1, CHUNK, f)
			     : (u->b->len - off < CHUNK ? u->b->len - off : CHUNK);
		if (!f)
			memcpy(chunk, (const char *)u->b->data + off, n);
		if (n == 0)
			break;
		snprintf(range, sizeof range, "Content-Range: %zu-%zu", off, off + n - 1);
		hdrs[1] = range;
		struct cd_http_req q = {.method = "PATCH", .url = u->loc,
					.headers = hdrs, .body = chunk,
					.body_len = n, .tls = &h->tls,
					.what = "push blob chunk"};
		if (reg_do(h, scope, &q, &resp, &u->err) != 0) {
			rc = -1;
			cd_http_resp_free(&resp);
			goto done;
		}
		if (resp.status != 202 ||
		    !cd_http_header(&resp, "Location", loc, sizeof loc)) {
			rc = resp_error(&resp, "push blob chunk to", name, &u->err);
			cd_http_resp_free(&resp);
			goto done;
		}
		absolute(h, loc, u->loc, sizeof u->loc);
		cd_http_resp_free(&resp);
		off += n;
		if (n < CHUNK)
			break;
	}
	put_url(u);
	struct cd_http_req q = {.method = "PUT", .url = u->url, .tls = &h->tls,
				.headers = hdrs, .body = "", .body_len = 0,
				.what = "finish blob upload"};
	hdrs[1] = NULL;
	if (reg_do(h, scope, &q, &resp, &u->err) == 0) {
		if (resp.status == 201)
			u->done = 1;
		else
			rc = resp_error(&resp, "finish blob upload to", name, &u->err);
	} else {
		rc = -1;
	}
	cd_http_resp_free(&resp);
done:
	if (f)
		fclose(f);
	cd_free(chunk);
	if (u->done) {
		u->b->result = CD_BLOB_UPLOADED;
		r->stats.uploaded++;
		r->stats.bytes_up += off;
	}
	return rc;
}

/* Monolithic PUTs of the data to each session. */
static void put_blobs(struct cd_registry *r, struct cd_reg_host *h,
		      const struct cd_ref *dst, const char *scope,
		      struct up **us, size_t m)
{
	static const char *const hdrs[] = {
		"Content-Type: application/octet-stream", NULL};
	struct batch bt;
	char name[600];
	if (batch_new(&bt, us, m) != 0)
		return;
	struct cd_http_req *qs = bt.qs;
	struct cd_http_resp *rs = bt.rs;
	struct cd_err *es = bt.es;
	cd_ref_name(dst, name, sizeof name);
	for (size_t k = 0; k < m; k++) {
		struct up *u = us[k];
		put_url(u);
		qs[k] = (struct cd_http_req){.method = "PUT", .url = u->url,
					     .headers = hdrs, .tls = &h->tls,
					     .body_path = blob_file(u),
					     .body = u->b->data,
					     .body_len = u->b->len,
					     .max_body = 1 << 16,
					     .what = "push blob"};
		if (!qs[k].body && !qs[k].body_path)
			qs[k].body = "";
	}
	reg_do_all(r, h, scope, qs, rs, es, m);
	for (size_t k = 0; k < m; k++) {
		struct up *u = us[k];
		if (es[k].code) {
			u->err = es[k];
		} else if (rs[k].status == 201) {
			u->done = 1;
			u->b->result = CD_BLOB_UPLOADED;
			r->stats.uploaded++;
			r->stats.bytes_up += u->b->size > 0 ? (uint64_t)u->b->size : 0;
		} else if (rs[k].status == 405 || rs[k].status == 413 ||
			   rs[k].status == 501) {
			/* no monolithic upload here: PATCH in chunks, new session */
			cd_http_resp_free(&rs[k]);
			post_sessions(r, h, dst, scope, &u, 1, 0);
			if (u->loc[0])
				upload_chunked(r, h, scope, u, name);
			continue;
		} else {
			resp_error(&rs[k], "push blob to", name, &u->err);
		}
		cd_http_resp_free(&rs[k]);
	}
	batch_free(&bt);
}

static int retryable(const struct cd_err *e)
{
	return e->code == CD_E_UNREACHABLE || e->code == CD_E_SERVER ||
	       e->code == CD_E_NOT_FOUND; /* a lost upload session */
}

/* HEADs in parallel: marks what the destination already has. */
static void head_blobs(struct cd_registry *r, struct cd_reg_host *h,
		       const struct cd_ref *dst, const char *scope,
		       struct up **us, size_t m)
{
	struct batch bt;
	char name[600];
	if (batch_new(&bt, us, m) != 0)
		return;
	struct cd_http_req *qs = bt.qs;
	struct cd_http_resp *rs = bt.rs;
	struct cd_err *es = bt.es;
	cd_ref_name(dst, name, sizeof name);
	for (size_t k = 0; k < m; k++) {
		snprintf(us[k]->url, sizeof us[k]->url, "%s/v2/%s/blobs/%s", h->base,
			 dst->path, us[k]->b->digest);
		qs[k] = (struct cd_http_req){.method = "HEAD", .url = us[k]->url,
					     .tls = &h->tls, .follow = 1,
					     .idempotent = 1, .what = "blob HEAD"};
	}
	reg_do_all(r, h, scope, qs, rs, es, m);
	for (size_t k = 0; k < m; k++) {
		if (es[k].code)
			us[k]->err = es[k];
		else if (rs[k].status == 200) {
			us[k]->done = 1;
			us[k]->b->result = CD_BLOB_EXISTED;
			r->stats.existed++;
		} else if (rs[k].status != 404)
			resp_error(&rs[k], "blob HEAD", name, &us[k]->err);
		cd_http_resp_free(&rs[k]);
	}
	batch_free(&bt);
}

/* Pointers to the entries still to do (no error, not done). */
static size_t pending(struct up *ups, size_t n, struct up **out, int (*want)(struct up *))
{
	size_t m = 0;
	for (size_t i = 0; i < n; i++)
		if (!ups[i].done && !ups[i].err.code && (!want || want(&ups[i])))
			out[m++] = &ups[i];
	return m;
}

static int wants_mount(struct up *u)
{
	return u->b->src && !u->b->path && !u->b->data && !u->path;
}

static int has_session(struct up *u)
{
	return u->loc[0] != '\0';
}

static int no_session(struct up *u)
{
	return u->loc[0] == '\0';
}

/* Pulls the data of blobs that only name a source repository. */
static void fetch_missing(struct cd_registry *r, struct up **us, size_t m)
{
	for (size_t k = 0; k < m; k++) {
		struct up *u = us[k];
		if (u->b->path || u->b->data || u->path || !u->b->src)
			continue;
		if (cd_registry_blob_fetch(r, u->b->src, u->b->digest, &u->path,
					   &u->err) != 0)
			cd_free(u->path), u->path = NULL;
	}
}

static void fetch_missing_parallel(struct cd_registry *r, struct up **us, size_t m)
{
	/* group by source repository so one batch shares a token */
	for (size_t k = 0; k < m; k++) {
		struct up *u = us[k];
		if (!wants_mount(u) || u->path)
			continue;
		const char *ds[64];
		char *ps[64] = {0};
		struct up *grp[64];
		size_t g = 0;
		for (size_t j = k; j < m && g < 64; j++)
			if (wants_mount(us[j]) && !us[j]->path &&
			    us[j]->b->src == u->b->src) {
				grp[g] = us[j];
				ds[g++] = us[j]->b->digest;
			}
		struct cd_err e;
		if (fetch_many(r, u->b->src, ds, ps, g, &e) != 0)
			for (size_t j = 0; j < g; j++)
				if (!ps[j])
					grp[j]->err = e;
		for (size_t j = 0; j < g; j++)
			grp[j]->path = ps[j];
	}
	fetch_missing(r, us, m); /* any left over (more than 64) */
}

static void scope_for(const struct cd_ref *dst, struct up *ups, size_t n,
		      char *buf, size_t len)
{
	size_t off = (size_t)snprintf(buf, len, "repository:%s:pull,push", dst->path);
	for (size_t i = 0; i < n && off < len; i++) {
		const struct cd_ref *s = ups[i].b->src;
		if (s && same_domain(s, dst) && strcmp(s->path, dst->path) != 0 &&
		    !strstr(buf, s->path))
			off += (size_t)snprintf(buf + off, len - off,
						" repository:%s:pull", s->path);
	}
}

static int finish_push(struct up *ups, size_t n, struct cd_err *err)
{
	int rc = 0;
	for (size_t i = 0; i < n; i++) {
		if (!ups[i].done && !rc) {
			*err = ups[i].err.code ? ups[i].err : *err;
			if (!err->code)
				cd_err_set(err, CD_E_SERVER, "registry",
					   "push blob %s: did not complete",
					   ups[i].b->digest);
			rc = -(int)err->code;
		}
		cd_free(ups[i].path);
	}
	return rc;
}

int cd_registry_push_blobs(struct cd_registry *r, const struct cd_ref *dst,
			   struct cd_blob *blobs, size_t n, struct cd_err *err)
{
	struct cd_reg_host *h = ready_host(r, dst, err);
	struct up *ups = cd_calloc(n ? n : 1, sizeof *ups);
	struct up **ps = cd_calloc(n ? n : 1, sizeof *ps);
	char scope[2048];
	size_t u = 0, m;
	int rc;
	cd_err_clear(err);
	if (!h || !ups || !ps) {
		rc = h ? cd_err_set(err, CD_E_NOMEM, "registry", "out of memory")
		       : -(int)err->code;
		cd_free(ups);
		cd_free(ps);
		return rc;
	}
	for (size_t i = 0; i < n; i++) { /* each digest once */
		size_t j = 0;
		while (j < u && strcmp(ups[j].b->digest, blobs[i].digest) != 0)
			j++;
		blobs[i].result = CD_BLOB_PENDING;
		if (j == u)
			ups[u++].b = &blobs[i];
	}
	scope_for(dst, ups, u, scope, sizeof scope);
	head_blobs(r, h, dst, scope, ps, pending(ups, u, ps, NULL));
	m = 0;
	for (size_t i = 0; i < u; i++)
		if (!ups[i].done && !ups[i].err.code && wants_mount(&ups[i]) &&
		    same_domain(ups[i].b->src, dst) &&
		    strcmp(ups[i].b->src->path, dst->path) != 0)
			ps[m++] = &ups[i];
	if (m)
		post_sessions(r, h, dst, scope, ps, m, 1);
	for (int round = 0; round < ROUNDS; round++) {
		fetch_missing_parallel(r, ps, pending(ups, u, ps, NULL));
		m = pending(ups, u, ps, no_session);
		if (m)
			post_sessions(r, h, dst, scope, ps, m, 0);
		m = pending(ups, u, ps, has_session);
		if (m)
			put_blobs(r, h, dst, scope, ps, m);
		/* failed transfers: a new session next round, unless it arrived */
		size_t again = 0;
		for (size_t i = 0; i < u; i++) {
			if (ups[i].done || !ups[i].err.code)
				continue;
			if (!retryable(&ups[i].err) || round + 1 == ROUNDS)
				continue;
			ups[i].loc[0] = '\0';
			*err = ups[i].err;
			cd_err_clear(&ups[i].err);
			ps[again++] = &ups[i];
		}
		if (!again)
			break;
		cd_sleep(0.2 * (round + 1));
		head_blobs(r, h, dst, scope, ps, again);
	}
	rc = finish_push(ups, u, err);
	cd_free(ups);
	cd_free(ps);
	return rc;
}

/* ---- copy ---- */

struct image_blobs {
	struct cd_blob *v;
	size_t n;
};

/* The config and layers of an image manifest (foreign layers with urls are
 * left out: they are not in the registry). */
static int manifest_blobs(const struct cd_manifest *m, const struct cd_ref *src,
			  struct image_blobs *out, struct cd_err *err)
{
	json_error_t je;
	json_t *j = json_loadb(m->data, m->len, 0, &je), *l;
	json_t *layers = json_object_get(j, "layers");
	size_t i, n = 1 + json_array_size(layers);
	out->v = cd_calloc(n, sizeof *out->v);
	out->n = 0;
	int rc = 0;
	if (!out->v) {
		rc = cd_err_set(err, CD_E_NOMEM, "registry", "out of memory");
		goto done;
	}
	json_t *all[1] = {json_object_get(j, "config")};
	for (i = 0; i < n; i++) {
		l = i == 0 ? all[0] : json_array_get(layers, i - 1);
		const char *d = json_string_value(json_object_get(l, "digest"));
		if (i == 0 && !d) {
			rc = cd_err_set(err, CD_E_INVALID, "registry",
					"manifest %s has no config descriptor",
					m->digest);
			goto done;
		}
		if (!d || !cd_digest_valid(d)) {
			rc = cd_err_set(err, CD_E_INVALID, "registry",
					"manifest %s: a descriptor has no valid digest",
					m->digest);
			goto done;
		}
		if (json_array_size(json_object_get(l, "urls")))
			continue;
		struct cd_blob *b = &out->v[out->n++];
		snprintf(b->digest, sizeof b->digest, "%s", d);
		b->size = json_integer_value(json_object_get(l, "size"));
		b->src = src;
	}
done:
	json_decref(j);
	return rc;
}


/* 1 when dst already holds exactly this manifest (a HEAD; any failure
 * counts as "no": the push that follows reports it properly). */
static int already_there(struct cd_registry *r, const struct cd_ref *dst,
			 const char *digest)
{
	struct cd_desc d;
	struct cd_err e;
	return cd_registry_manifest_head(r, dst, &d, &e) == 1 &&
	       strcmp(d.digest, digest) == 0;
}

/* Blobs, then the manifest, for one image manifest already pulled. */
static int copy_image(struct cd_registry *r, const struct cd_ref *src,
		      const struct cd_manifest *m, const struct cd_ref *dst,
		      struct cd_err *err)
{
	struct image_blobs ib = {0};
	char digest[CD_DIGEST_MAX];
	if (already_there(r, dst, m->digest))
		return 0;
	int rc = manifest_blobs(m, src, &ib, err);
	if (rc == 0)
		rc = cd_registry_push_blobs(r, dst, ib.v, ib.n, err);
	if (rc == 0)
		rc = cd_registry_manifest_put(r, dst, m->data, m->len, m->media_type,
					      digest, err);
	cd_free(ib.v);
	return rc;
}

/* Appends the blobs of one image manifest to all. */
static int gather_blobs(const struct cd_manifest *m, const struct cd_ref *src,
			struct image_blobs *all, struct cd_err *err)
{
	struct image_blobs ib = {0};
	int rc = manifest_blobs(m, src, &ib, err);
	void *p = rc == 0 ? cd_realloc(all->v, (all->n + ib.n + 1) * sizeof *all->v)
			  : NULL;
	if (rc == 0 && !p)
		rc = cd_err_set(err, CD_E_NOMEM, "registry", "out of memory");
	if (p) {
		all->v = p;
		memcpy(all->v + all->n, ib.v, ib.n * sizeof *ib.v);
		all->n += ib.n;
	}
	cd_free(ib.v);
	return rc;
}

struct child {
	struct cd_ref dst;
	struct cd_manifest m;
	int present;
};

/* Pulls the child manifests of an index; gathers the blobs of those dst
 * lacks. */
static int index_children(struct cd_registry *r, const struct cd_ref *src,
			  const struct cd_manifest *idx, const struct cd_ref *dst,
			  struct child *cs, size_t *nc, struct image_blobs *all,
			  struct cd_err *err)
{
	json_error_t je;
	json_t *j = json_loadb(idx->data, idx->len, 0, &je), *c;
	size_t i;
	int rc = 0;
	json_array_foreach(json_object_get(j, "manifests"), i, c) {
		const char *d = json_string_value(json_object_get(c, "digest"));
		struct cd_ref s = *src;
		struct child *ch = &cs[*nc];
		if (!d || !cd_digest_valid(d)) {
			rc = cd_err_set(err, CD_E_INVALID, "registry",
					"index %s: child %zu has no valid digest",
					idx->digest, i);
			break;
		}
		s.tag[0] = '\0';
		snprintf(s.digest, sizeof s.digest, "%s", d);
		ch->dst = *dst;
		ch->dst.tag[0] = '\0';
		snprintf(ch->dst.digest, sizeof ch->dst.digest, "%s", d);
		if ((rc = cd_registry_manifest_get(r, &s, &ch->m, err)) != 0)
			break;
		(*nc)++;
		if (cd_mt_is_index(ch->m.media_type)) {
			rc = cd_err_set(err, CD_E_INVALID, "registry",
					"nested index %s is not supported", d);
			break;
		}
		ch->present = already_there(r, &ch->dst, d);
		if (!ch->present && (rc = gather_blobs(&ch->m, src, all, err)) != 0)
			break;
	}
	json_decref(j);
	return rc;
}

/* All children's blobs in one batch (shared layers once), then the child
 * manifests by digest, then the index. */
static int copy_index(struct cd_registry *r, const struct cd_ref *src,
		      const struct cd_manifest *idx, const struct cd_ref *dst,
		      struct cd_err *err)
{
	json_error_t je;
	json_t *j = json_loadb(idx->data, idx->len, 0, &je);
	size_t n = json_array_size(json_object_get(j, "manifests")), nc = 0;
	struct child *cs = NULL;
	struct image_blobs all = {0};
	char digest[CD_DIGEST_MAX];
	int rc = 0;
	json_decref(j);
	if (already_there(r, dst, idx->digest))
		return 0;
	if (n > MAX_CHILDREN)
		return cd_err_set(err, CD_E_INVALID, "registry",
				  "index %s has more than %d manifests",
				  idx->digest, MAX_CHILDREN);
	if (!(cs = cd_calloc(n ? n : 1, sizeof *cs)))
		return cd_err_set(err, CD_E_NOMEM, "registry", "out of memory");
	rc = index_children(r, src, idx, dst, cs, &nc, &all, err);
	if (rc == 0 && all.n)
		rc = cd_registry_push_blobs(r, dst, all.v, all.n, err);
	for (size_t i = 0; rc == 0 && i < nc; i++)
		if (!cs[i].present)
			rc = cd_registry_manifest_put(r, &cs[i].dst, cs[i].m.data,
						      cs[i].m.len,
						      cs[i].m.media_type, digest,
						      err);
	if (rc == 0)
		rc = cd_registry_manifest_put(r, dst, idx->data, idx->len,
					      idx->media_type, digest, err);
	for (size_t i = 0; i < nc; i++)
		cd_manifest_free(&cs[i].m);
	cd_free(cs);
	cd_free(all.v);
	return rc;
}

int cd_registry_copy(struct cd_registry *r, const struct cd_ref *src,
		     const struct cd_ref *dst, struct cd_desc *out,
		     struct cd_err *err)
{
	struct cd_manifest m;
	struct cd_ref d = *dst;
	char sname[600], dname[600];
	unsigned long up = r->stats.uploaded, mo = r->stats.mounted,
		      ex = r->stats.existed;
	memset(out, 0, sizeof *out);
	if (!dst->tag_given && !dst->digest[0]) /* tag: dst's, src's, or none */
		snprintf(d.tag, sizeof d.tag, "%s", src->tag_given ? src->tag : "");
	d.digest[0] = '\0';
	if (cd_registry_manifest_get(r, src, &m, err) != 0)
		return cd_err_wrap(err, "copy");
	if (dst->digest[0] && strcmp(dst->digest, m.digest) != 0) {
		cd_manifest_free(&m);
		return cd_err_set(err, CD_E_INVALID, "registry",
				  "copy: the destination names digest %s but the "
				  "source is %s",
				  dst->digest, m.digest);
	}
	if (!d.tag[0])
		snprintf(d.digest, sizeof d.digest, "%s", m.digest);
	int rc = cd_mt_is_index(m.media_type) ? copy_index(r, src, &m, &d, err)
					      : copy_image(r, src, &m, &d, err);
	if (rc == 0) {
		snprintf(out->digest, sizeof out->digest, "%s", m.digest);
		snprintf(out->media_type, sizeof out->media_type, "%s", m.media_type);
		out->size = (int64_t)m.len;
		cd_ref_string(src, sname, sizeof sname);
		d.digest[0] = '\0';
		cd_ref_string(&d, dname, sizeof dname);
		if (r->ctx && r->ctx->report)
			cd_report_log(r->ctx->report, CD_LOG_INFO, "push",
				      "copied %s to %s (blobs: %lu uploaded, %lu "
				      "mounted, %lu already there)",
				      sname, dname, r->stats.uploaded - up,
				      r->stats.mounted - mo, r->stats.existed - ex);
	}
	cd_manifest_free(&m);
	return rc;
}

/* ---- tags ---- */

void cd_registry_tags_free(char **tags)
{
	for (size_t i = 0; tags && tags[i]; i++)
		cd_free(tags[i]);
	cd_free(tags);
}

static int cmp_tag(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Does the parameter list [p, e) of one link-value (";"-separated
 * name=value or name="value") hold rel with "next" among its types? */
static int rel_next(const char *p, const char *e)
{
	while (p < e) {
		p += strspn(p, " \t;");
		const char *name = p;
		while (p < e && *p != '=' && *p != ';')
			if (*p++ == '"')
				return 0; /* a quote inside a name */
		size_t nl = (size_t)(p - name);
		while (nl && (name[nl - 1] == ' ' || name[nl - 1] == '\t'))
			nl--;
		if (p >= e || *p == ';')
			continue;
		p++; /* '=' */
		p += strspn(p, " \t");
		const char *v = p, *ve;
		if (p < e && *p == '"') {
			v = ++p;
			while (p < e && *p != '"')
				p += p[0] == '\\' && p + 1 < e ? 2 : 1;
			if (p >= e)
				return 0; /* an unterminated quoted string */
			ve = p++;
		} else {
			while (p < e && *p != ';')
				if (*p++ == '"')
					return 0; /* ... or inside a token */
			ve = p;
		}
		if (nl != 3 || strncasecmp(name, "rel", 3) != 0)
			continue;
		/* rel is a space-separated list of relation types */
		while (v < ve) {
			v += strspn(v, " \t");
			size_t tl = 0;
			while (v + tl < ve && v[tl] != ' ' && v[tl] != '\t')
				tl++;
			if (tl == 4 && strncasecmp(v, "next", 4) == 0)
				return 1;
			v += tl;
		}
	}
	return 0;
}

/* The end of one link-value's parameters: the next comma outside a quoted
 * string, or the end. */
static const char *link_value_end(const char *q)
{
	while (*q && *q != ',') {
		if (*q++ != '"')
			continue;
		while (*q && *q != '"')
			q += q[0] == '\\' && q[1] ? 2 : 1;
		if (*q)
			q++;
	}
	return q;
}

int cd_registry_next_link(const char *base, const char *value, char *url,
			  size_t n)
{
	const char *p = value;
	while (*p) {
		p += strspn(p, " \t,");
		if (*p != '<') { /* not a link-value: skip it */
			p = link_value_end(p);
			continue;
		}
		const char *u = p + 1, *ue = strchr(u, '>');
		if (!ue)
			return 0;
		p = link_value_end(ue + 1);
		if (!rel_next(ue + 1, p))
			continue;
		size_t ul = (size_t)(ue - u);
		for (size_t i = 0; i < ul; i++)
			if ((unsigned char)u[i] <= ' ' || u[i] == 0x7f)
				return 0; /* no spaces, no control characters */
		int abs = strncmp(u, "http://", 7) == 0 ||
			  strncmp(u, "https://", 8) == 0;
		const char *pre = abs ? "" : base;
		const char *sep = abs || u[0] == '/' ? "" : "/";
		if (ul == 0 || strlen(pre) + strlen(sep) + ul >= n)
			return 0; /* would not fit: no truncated URL */
		snprintf(url, n, "%s%s%.*s", pre, sep, (int)ul, u);
		return 1;
	}
	return 0;
}

/* The next page from a Link header: <url>; rel="next". */
static int next_link(const struct cd_reg_host *h, const struct cd_http_resp *resp,
		     char *url, size_t n)
{
	char link[2048];
	return cd_http_header(resp, "Link", link, sizeof link) &&
	       cd_registry_next_link(h->base, link, url, n);
}

static int add_tags(struct cd_buf *b, const struct cd_http_resp *resp,
		    size_t *count, struct cd_err *err)
{
	json_error_t je;
	json_t *j = json_loadb(resp->body.data ? resp->body.data : "",
			       resp->body.len, 0, &je), *t;
	size_t i;
	if (!json_is_object(j)) {
		json_decref(j);
		return cd_err_set(err, CD_E_INVALID, "registry",
				  "tag list: not a JSON object");
	}
	json_array_foreach(json_object_get(j, "tags"), i, t) { /* null: none */
		char *s = json_is_string(t) ? cd_strdup(json_string_value(t)) : NULL;
		if (s && cd_buf_append(b, &s, sizeof s) == 0)
			(*count)++;
		else
			cd_free(s);
	}
	json_decref(j);
	return 0;
}

int cd_registry_tags(struct cd_registry *r, const struct cd_ref *repo,
		     char ***tags, size_t *n, struct cd_err *err)
{
	struct cd_reg_host *h = ready_host(r, repo, err);
	struct cd_buf list = CD_BUF_INIT;
	char url[2048], scope[320], name[600];
	size_t count = 0;
	int rc = 0;
	*tags = NULL;
	*n = 0;
	if (!h)
		return -(int)err->code;
	cd_ref_name(repo, name, sizeof name);
	pull_scope(repo, scope, sizeof scope);
	snprintf(url, sizeof url, "%s/v2/%s/tags/list", h->base, repo->path);
	for (int page = 0; page < MAX_PAGES && rc == 0; page++) {
		struct cd_http_resp resp = {0};
		struct cd_http_req q = {.method = "GET", .url = url, .tls = &h->tls,
					.idempotent = 1, .what = "list tags"};
		if (reg_do(h, scope, &q, &resp, err) != 0)
			rc = -(int)err->code;
		else if (resp.status != 200)
			rc = resp_error(&resp, "list tags of", name, err);
		else
			rc = add_tags(&list, &resp, &count, err);
		int more = rc == 0 && next_link(h, &resp, url, sizeof url);
		cd_http_resp_free(&resp);
		if (!more)
			break;
	}
	char **v = (char **)list.data;
	if (rc == 0) {
		char **out = cd_calloc(count + 1, sizeof *out);
		size_t k = 0;
		if (count)
			qsort(v, count, sizeof *v, cmp_tag);
		for (size_t i = 0; out && i < count; i++) {
			if (k && strcmp(out[k - 1], v[i]) == 0)
				cd_free(v[i]);
			else
				out[k++] = v[i];
		}
		if (!out) {
			for (size_t i = 0; i < count; i++)
				cd_free(v[i]);
			rc = cd_err_set(err, CD_E_NOMEM, "registry", "out of memory");
		}
		*tags = out;
		*n = k;
	} else {
		for (size_t i = 0; i < count; i++)
			cd_free(v[i]);
	}
	cd_buf_free(&list);
	return rc;
}

/* ---- delete ---- */

int cd_registry_delete(struct cd_registry *r, const struct cd_ref *ref,
		       struct cd_err *err)
{
	struct cd_desc d;
	struct cd_http_resp resp = {0};
	char url[800], scope[320], name[600];
	struct cd_reg_host *h = ready_host(r, ref, err);
	if (!h)
		return -(int)err->code;
	cd_ref_string(ref, name, sizeof name);
	const char *digest = ref->digest;
	if (!digest[0]) {
		if (cd_registry_resolve(r, ref, &d, err) != 0)
			return -(int)err->code;
		digest = d.digest;
	}
	snprintf(url, sizeof url, "%s/v2/%s/manifests/%s", h->base, ref->path,
		 digest);
	snprintf(scope, sizeof scope, "repository:%s:delete,pull,push", ref->path);
	struct cd_http_req q = {.method = "DELETE", .url = url, .tls = &h->tls,
				.idempotent = 1, .what = "delete manifest"};
	int rc = reg_do(h, scope, &q, &resp, err);
	if (rc == 0 && resp.status != 202 && resp.status != 200)
		rc = resp_error(&resp, "delete manifest", name, err);
	cd_http_resp_free(&resp);
	return rc;
}
