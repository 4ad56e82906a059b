#include "auth.h"

#include <jansson.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mem.h"
#include "proc.h"
#include "util.h"

#define CONFIG_MAX ((size_t)1 << 20)
#define TOKEN_BODY_MAX ((size_t)1 << 20)
#define HELPER_TIMEOUT 30.0

/* ---- small helpers ---- */

static void set_str(char **dst, const char *s)
{
	cd_free(*dst);
	*dst = s ? cd_strdup(s) : NULL;
}

/* Overwrites a secret before freeing it. */
static void free_secret(char *s)
{
	if (s) {
		volatile char *v = s;
		while (*v)
			*v++ = '\0';
	}
	cd_free(s);
}

void cd_creds_free(struct cd_creds *c)
{
	if (!c)
		return;
	cd_free(c->username);
	free_secret(c->password);
	free_secret(c->identity_token);
	free_secret(c->registry_token);
	memset(c, 0, sizeof *c);
}

int cd_creds_any(const struct cd_creds *c)
{
	return (c->username && c->password) || c->identity_token ||
	       c->registry_token;
}

static char *b64_encode(const char *s, size_t n)
{
	char *out = cd_malloc(4 * ((n + 2) / 3) + 1);
	if (out)
		EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)s,
				(int)n);
	return out;
}

/* Decodes base64 (padding trimmed from the result); NULL if malformed. */
static char *b64_decode(const char *s, size_t *len)
{
	size_t n = strlen(s);
	if (n % 4 != 0)
		return NULL;
	char *out = cd_malloc(n / 4 * 3 + 1);
	if (!out)
		return NULL;
	int m = EVP_DecodeBlock((unsigned char *)out, (const unsigned char *)s,
				(int)n);
	if (m < 0) {
		cd_free(out);
		return NULL;
	}
	while (n > 0 && s[n - 1] == '=' && m > 0) {
		n--;
		m--;
	}
	out[m] = '\0';
	*len = (size_t)m;
	return out;
}

static int read_file(const char *path, char **out, size_t *len)
{
	FILE *f = fopen(path, "rb");
	struct cd_buf b = CD_BUF_INIT;
	char chunk[8192];
	size_t n;
	if (!f)
		return -1;
	b.max = CONFIG_MAX;
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		if (cd_buf_append(&b, chunk, n) != 0) {
			fclose(f);
			cd_buf_free(&b);
			return -2;
		}
	fclose(f);
	if (!b.data && cd_buf_append(&b, "", 0) != 0)
		return -2;
	*out = cd_buf_steal(&b, len);
	return 0;
}

/* ---- config.json ---- */

void cd_auth_key_host(const char *key, char *out, size_t n)
{
	if (strncmp(key, "https://", 8) == 0)
		key += 8;
	else if (strncmp(key, "http://", 7) == 0)
		key += 7;
	size_t len = strcspn(key, "/");
	snprintf(out, n, "%.*s", (int)len, key);
}

static int is_docker_hub(const char *h)
{
	return strcmp(h, "docker.io") == 0 || strcmp(h, "index.docker.io") == 0 ||
	       strcmp(h, "registry-1.docker.io") == 0;
}

static int host_matches(const char *key, const char *host)
{
	char kh[256];
	cd_auth_key_host(key, kh, sizeof kh);
	return strcmp(kh, host) == 0 || (is_docker_hub(kh) && is_docker_hub(host));
}

/* What a credential helper gets on stdin (docker's server URL). */
static const char *helper_server(const char *host)
{
	return is_docker_hub(host) ? "https://index.docker.io/v1/" : host;
}

int cd_auth_parse_helper(const char *text, size_t len, const char *source,
			 struct cd_creds *out, struct cd_err *err)
{
	json_error_t je;
	json_t *j = json_loadb(text, len, 0, &je);
	if (!json_is_object(j)) {
		json_decref(j);
		return cd_err_set(err, CD_E_INVALID, "auth",
				  "%s: output is not a JSON object", source);
	}
	const char *user = json_string_value(json_object_get(j, "Username"));
	const char *secret = json_string_value(json_object_get(j, "Secret"));
	int found = secret && *secret;
	if (found) {
		memset(out, 0, sizeof *out);
		if (user && strcmp(user, "<token>") == 0) {
			set_str(&out->identity_token, secret);
		} else {
			set_str(&out->username, user ? user : "");
			set_str(&out->password, secret);
		}
		snprintf(out->source, sizeof out->source, "%s", source);
	}
	json_decref(j);
	return found;
}

static int helper_name_ok(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '-' || *s == '_' ||
		      *s == '.'))
			return 0;
	return 1;
}

/* First line of a helper's stderr, for messages (helpers do not print
 * secrets there; the line is cut short anyway). */
static const char *first_line(const struct cd_buf *b, char *buf, size_t n)
{
	const char *s = b->data ? b->data : "";
	size_t len = strcspn(s, "\r\n");
	if (len > 160)
		len = 160;
	snprintf(buf, n, "%.*s", (int)len, s);
	return buf;
}

static int run_helper(const char *suffix, const char *path, const char *key,
		      const char *host, struct cd_creds *out, struct cd_err *err)
{
	char prog[160], source[512], line[200];
	struct cd_proc_result r;
	int rc;
	if (!helper_name_ok(suffix))
		return cd_err_set(err, CD_E_INVALID, "auth",
				  "%s: %s names an invalid credential helper",
				  path, key);
	snprintf(prog, sizeof prog, "docker-credential-%s", suffix);
	snprintf(source, sizeof source, "credential helper %s (%s in %s)", prog,
		 key, path);
	const char *argv[] = {prog, "get", NULL};
	const char *in = helper_server(host);
	struct cd_proc_opts o = {.argv = argv, .op = "auth", .in = in,
				 .in_len = strlen(in), .out_max = 1 << 16,
				 .deadline = cd_now() + HELPER_TIMEOUT};
	if (cd_proc_run(&o, &r, err) != 0) {
		cd_proc_result_free(&r);
		if (err->code == CD_E_NOT_FOUND)
			return cd_err_set(err, CD_E_NOT_FOUND, "auth",
					  "%s is not on PATH (named by %s in %s)",
					  prog, key, path);
		return cd_err_wrap(err, "%s", source);
	}
	if (r.status != 0) {
		int missing = r.out.data && strstr(r.out.data, "credentials not found");
		rc = missing ? 0
			     : cd_err_set(err, CD_E_UNAUTHORIZED, "auth",
					  "%s failed for %s (exit %d): %s", source,
					  host, r.status,
					  first_line(&r.err, line, sizeof line));
	} else {
		rc = cd_auth_parse_helper(r.out.data ? r.out.data : "", r.out.len,
					  source, out, err);
	}
	cd_proc_result_free(&r);
	return rc;
}

/* An `auths` entry: auth (base64 user:pass), username/password,
 * identitytoken, registrytoken. 1 if it held credentials. */
static int auths_entry(json_t *e, const char *path, const char *key,
		       struct cd_creds *out, struct cd_err *err)
{
	const char *auth = json_string_value(json_object_get(e, "auth"));
	const char *user = json_string_value(json_object_get(e, "username"));
	const char *pass = json_string_value(json_object_get(e, "password"));
	const char *idt = json_string_value(json_object_get(e, "identitytoken"));
	const char *rgt = json_string_value(json_object_get(e, "registrytoken"));
	memset(out, 0, sizeof *out);
	if (auth && *auth) {
		size_t n;
		char *dec = b64_decode(auth, &n);
		char *colon = dec ? memchr(dec, ':', n) : NULL;
		if (!colon) {
			free_secret(dec);
			return cd_err_set(err, CD_E_INVALID, "auth",
					  "%s: auths[\"%s\"].auth is not base64 "
					  "of user:password",
					  path, key);
		}
		*colon = '\0';
		set_str(&out->username, dec);
		set_str(&out->password, colon + 1);
		free_secret(dec);
	} else if (user && pass && *pass) {
		set_str(&out->username, user);
		set_str(&out->password, pass);
	}
	if (idt && *idt)
		set_str(&out->identity_token, idt);
	if (rgt && *rgt)
		set_str(&out->registry_token, rgt);
	if (!cd_creds_any(out)) {
		cd_creds_free(out);
		return 0;
	}
	snprintf(out->source, sizeof out->source, "%s (auths[\"%s\"])", path, key);
	return 1;
}

int cd_auth_from_config(const char *text, size_t len, const char *path,
			const char *host, struct cd_creds *out,
			struct cd_err *err)
{
	json_error_t je;
	json_t *j = json_loadb(text, len, 0, &je);
	const char *key;
	json_t *v;
	int rc = 0;
	if (!json_is_object(j)) {
		json_decref(j);
		return cd_err_set(err, CD_E_INVALID, "auth",
				  "%s:%d: not a JSON object: %s", path, je.line,
				  je.text);
	}
	json_object_foreach(json_object_get(j, "credHelpers"), key, v) {
		if (json_is_string(v) && host_matches(key, host)) {
			char what[300];
			snprintf(what, sizeof what, "credHelpers[\"%s\"]", key);
			rc = run_helper(json_string_value(v), path, what, host,
					out, err);
			if (rc != 0)
				goto done;
		}
	}
	const char *store = json_string_value(json_object_get(j, "credsStore"));
	if (store && *store) {
		rc = run_helper(store, path, "credsStore", host, out, err);
		if (rc != 0)
			goto done;
	}
	json_object_foreach(json_object_get(j, "auths"), key, v) {
		if (json_is_object(v) && host_matches(key, host)) {
			rc = auths_entry(v, path, key, out, err);
			if (rc != 0)
				goto done;
		}
	}
done:
	json_decref(j);
	return rc;
}

static int config_path(int which, char *buf, size_t n)
{
	const char *home = getenv("HOME"), *e;
	switch (which) {
	case 0:
		if ((e = getenv("DOCKER_CONFIG")) && *e)
			return snprintf(buf, n, "%s/config.json", e), 0;
		return home ? (snprintf(buf, n, "%s/.docker/config.json", home), 0)
			    : -1;
	case 1:
		return (e = getenv("REGISTRY_AUTH_FILE")) && *e
			       ? (snprintf(buf, n, "%s", e), 0)
			       : -1;
	case 2:
		return (e = getenv("XDG_RUNTIME_DIR")) && *e
			       ? (snprintf(buf, n, "%s/containers/auth.json", e), 0)
			       : -1;
	case 3:
		if ((e = getenv("XDG_CONFIG_HOME")) && *e)
			return snprintf(buf, n, "%s/containers/auth.json", e), 0;
		return home ? (snprintf(buf, n, "%s/.config/containers/auth.json",
					home), 0)
			    : -1;
	}
	return -1;
}

int cd_auth_lookup(const char *host, struct cd_creds *out, struct cd_err *err)
{
	char path[4096];
	memset(out, 0, sizeof *out);
	for (int i = 0; i < 4; i++) {
		char *text = NULL;
		size_t len;
		if (config_path(i, path, sizeof path) != 0)
			continue;
		int r = read_file(path, &text, &len);
		if (r == -1)
			continue; /* absent or unreadable: not ours to judge */
		if (r != 0)
			return cd_err_set(err, CD_E_INVALID, "auth",
					  "%s is larger than 1 MiB", path);
		int rc = len ? cd_auth_from_config(text, len, path, host, out, err)
			     : 0;
		free_secret(text);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* ---- WWW-Authenticate ---- */

static const char *skip_ws(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

static size_t token_len(const char *p)
{
	size_t n = 0;
	while (p[n] && !strchr(" \t,=\"", p[n]))
		n++;
	return n;
}

/* A quoted-string starting at p (on the quote): value into *out, returns
 * the position after the closing quote, NULL if unterminated. */
static const char *quoted(const char *p, char **out)
{
	struct cd_buf b = CD_BUF_INIT;
	for (p++; *p && *p != '"'; p++) {
		if (*p == '\\' && p[1])
			p++;
		if (cd_buf_putc(&b, *p) != 0)
			break;
	}
	if (*p != '"' || cd_buf_putc(&b, '\0') != 0) {
		cd_buf_free(&b);
		return NULL;
	}
	*out = cd_buf_steal(&b, NULL);
	return p + 1;
}

void cd_auth_challenge_free(struct cd_auth_challenge *c)
{
	for (size_t i = 0; i < c->n; i++) {
		cd_free(c->params[i].key);
		cd_free(c->params[i].value);
	}
	c->n = 0;
}

static const char *param(const char *p, struct cd_auth_challenge *cur,
			 size_t klen)
{
	char *key = cd_strndup(p, klen), *val = NULL;
	p = skip_ws(skip_ws(p + klen) + 1); /* past '=' */
	if (*p == '"') {
		p = quoted(p, &val);
	} else {
		size_t n = strcspn(p, ", \t");
		val = cd_strndup(p, n);
		p += n;
	}
	if (!p || !key || !val || cur->n == CD_AUTH_MAX_PARAMS) {
		cd_free(key);
		cd_free(val);
		return p && cur->n == CD_AUTH_MAX_PARAMS ? p : NULL;
	}
	cur->params[cur->n].key = key;
	cur->params[cur->n].value = val;
	cur->n++;
	return p;
}

int cd_auth_parse_challenges(const char *v, struct cd_auth_challenge *out,
			     size_t max)
{
	size_t nc = 0;
	struct cd_auth_challenge *cur = NULL;
	const char *p = v ? v : "";
	for (;;) {
		while (*(p = skip_ws(p)) == ',')
			p++;
		if (!*p)
			break;
		size_t n = token_len(p);
		if (n == 0)
			goto bad;
		if (*skip_ws(p + n) == '=' && cur) {
			if (!(p = param(p, cur, n)))
				goto bad;
			continue;
		}
		if (nc == max)
			break;
		cur = &out[nc++];
		memset(cur, 0, sizeof *cur);
		snprintf(cur->scheme, sizeof cur->scheme, "%.*s", (int)n, p);
		p += n;
	}
	return (int)nc;
bad:
	for (size_t i = 0; i < nc; i++)
		cd_auth_challenge_free(&out[i]);
	return -1;
}

const char *cd_auth_challenge_param(const struct cd_auth_challenge *c,
				    const char *key)
{
	for (size_t i = 0; i < c->n; i++)
		if (strcasecmp(c->params[i].key, key) == 0)
			return c->params[i].value;
	return NULL;
}

/* ---- tokens ---- */

void cd_token_free(struct cd_token *t)
{
	free_secret(t->token);
	free_secret(t->refresh);
	memset(t, 0, sizeof *t);
}

int cd_auth_parse_token(const char *body, size_t len, struct cd_token *out,
			struct cd_err *err)
{
	json_error_t je;
	json_t *j = json_loadb(body, len, 0, &je);
	memset(out, 0, sizeof *out);
	const char *tok = json_string_value(json_object_get(j, "token"));
	if (!tok || !*tok)
		tok = json_string_value(json_object_get(j, "access_token"));
	if (!tok || !*tok) {
		json_decref(j);
		return cd_err_set(err, CD_E_INVALID, "auth",
				  "the token response has neither token nor "
				  "access_token");
	}
	json_t *exp = json_object_get(j, "expires_in");
	out->expires_in = json_is_number(exp) && json_number_value(exp) > 0
				  ? json_number_value(exp)
				  : 60;
	set_str(&out->token, tok);
	const char *rt = json_string_value(json_object_get(j, "refresh_token"));
	if (rt && *rt)
		set_str(&out->refresh, rt);
	json_decref(j);
	return out->token ? 0
			  : cd_err_set(err, CD_E_NOMEM, "auth", "out of memory");
}

/* ---- scopes ---- */

struct scope {
	char *res;        /* "repository:a/b" */
	char *acts[8];
	size_t nacts;
};

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int cmp_scope(const void *a, const void *b)
{
	return strcmp(((const struct scope *)a)->res,
		      ((const struct scope *)b)->res);
}

static void add_actions(struct scope *s, const char *acts)
{
	while (*acts) {
		size_t n = strcspn(acts, ",");
		int dup = 0;
		for (size_t i = 0; i < s->nacts; i++)
			dup |= strlen(s->acts[i]) == n &&
			       strncmp(s->acts[i], acts, n) == 0;
		if (n && !dup && s->nacts < 8)
			s->acts[s->nacts++] = cd_strndup(acts, n);
		acts += n + (acts[n] == ',');
	}
}

char *cd_auth_scope_normal(const char *scopes)
{
	struct scope sc[32];
	size_t ns = 0;
	struct cd_buf out = CD_BUF_INIT;
	const char *p = scopes ? scopes : "";
	while (*p) {
		size_t n = strcspn(p, " ");
		char *ent = cd_strndup(p, n);
		char *colon = ent ? strrchr(ent, ':') : NULL;
		if (colon && colon != ent) {
			*colon = '\0';
			size_t i = 0;
			while (i < ns && strcmp(sc[i].res, ent) != 0)
				i++;
			if (i == ns && ns < 32) {
				memset(&sc[ns], 0, sizeof sc[ns]);
				sc[ns++].res = cd_strdup(ent);
			}
			if (i < ns)
				add_actions(&sc[i], colon + 1);
		}
		cd_free(ent);
		p += n;
		while (*p == ' ')
			p++;
	}
	qsort(sc, ns, sizeof *sc, cmp_scope);
	cd_buf_puts(&out, "");
	for (size_t i = 0; i < ns; i++) {
		qsort(sc[i].acts, sc[i].nacts, sizeof(char *), cmp_str);
		cd_buf_printf(&out, "%s%s:", i ? " " : "", sc[i].res);
		for (size_t k = 0; k < sc[i].nacts; k++) {
			cd_buf_printf(&out, "%s%s", k ? "," : "", sc[i].acts[k]);
			cd_free(sc[i].acts[k]);
		}
		cd_free(sc[i].res);
	}
	return cd_buf_steal(&out, NULL);
}

/* ---- the session ---- */

void cd_auth_init(struct cd_auth *a, const char *host, int plain_http,
		  struct cd_http *http, const struct cd_http_tls *tls,
		  const struct cd_ctx *ctx)
{
	memset(a, 0, sizeof *a);
	snprintf(a->host, sizeof a->host, "%s", host);
	a->plain_http = plain_http;
	a->http = http;
	a->tls = tls;
	a->ctx = ctx;
}

static void drop_tokens(struct cd_auth *a)
{
	for (size_t i = 0; i < a->ntoks; i++) {
		cd_free(a->toks[i].scope);
		free_secret(a->toks[i].token);
	}
	cd_free(a->toks);
	a->toks = NULL;
	a->ntoks = 0;
}

void cd_auth_free(struct cd_auth *a)
{
	drop_tokens(a);
	cd_creds_free(&a->creds);
	cd_free(a->realm);
	cd_free(a->service);
	cd_free(a->last_scope);
	a->realm = a->service = a->last_scope = NULL;
}

static int ensure_creds(struct cd_auth *a, struct cd_err *err)
{
	if (a->looked_up)
		return 0;
	int rc = cd_auth_lookup(a->host, &a->creds, err);
	if (rc < 0)
		return cd_err_wrap(err, "credentials for %s", a->host);
	a->looked_up = 1;
	return 0;
}

static struct cd_auth_tok *find_tok(struct cd_auth *a, const char *scope)
{
	for (size_t i = 0; i < a->ntoks; i++)
		if (strcmp(a->toks[i].scope, scope) == 0)
			return &a->toks[i];
	return NULL;
}

static void url_encode(struct cd_buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr("-._~", c))
			cd_buf_putc(b, (char)c);
		else
			cd_buf_printf(b, "%%%c%c", hex[c >> 4], hex[c & 15]);
	}
}

static const char *who(const struct cd_auth *a, char *buf, size_t n)
{
	if (a->creds.username && a->creds.password)
		snprintf(buf, n, "user \"%s\" from %s", a->creds.username,
			 a->creds.source);
	else if (cd_creds_any(&a->creds))
		snprintf(buf, n, "the token from %s", a->creds.source);
	else
		snprintf(buf, n, "anonymous access (no credentials found for %s)",
			 a->host);
	return buf;
}

/* The realm's scheme://host[:port], for messages and checks. */
static void realm_origin(const char *realm, char *buf, size_t n)
{
	const char *h = strstr(realm, "://");
	h = h ? h + 3 : realm;
	size_t len = (size_t)(h - realm) + strcspn(h, "/?#");
	snprintf(buf, n, "%.*s", (int)len, realm);
}

static int check_realm(struct cd_auth *a, int sends_secret, struct cd_err *err)
{
	char origin[512], host[256];
	if (strncmp(a->realm, "https://", 8) == 0)
		return 0;
	if (strncmp(a->realm, "http://", 7) != 0)
		return cd_err_set(err, CD_E_INVALID, "auth",
				  "%s: token realm is not an http(s) URL",
				  a->host);
	realm_origin(a->realm, origin, sizeof origin);
	cd_auth_key_host(origin, host, sizeof host);
	if (!sends_secret || a->plain_http ||
	    (a->ctx && cd_strlist_has(&a->ctx->insecure_registries, host)))
		return 0;
	return cd_err_set(err, CD_E_INVALID, "auth",
			  "%s: refusing to send credentials to the plain-HTTP "
			  "token realm %s (pass --insecure-registry %s to allow it)",
			  a->host, origin, host);
}

static void token_query(struct cd_auth *a, struct cd_buf *url,
			const char *scope)
{
	cd_buf_puts(url, a->realm);
	cd_buf_putc(url, strchr(a->realm, '?') ? '&' : '?');
	cd_buf_puts(url, "service=");
	url_encode(url, a->service ? a->service : "");
	for (const char *p = scope; *p;) {
		size_t n = strcspn(p, " ");
		char *one = cd_strndup(p, n);
		cd_buf_puts(url, "&scope=");
		url_encode(url, one ? one : "");
		cd_free(one);
		p += n;
		while (*p == ' ')
			p++;
	}
}

/* POST of the OAuth2 refresh-token grant (identity tokens). */
static int oauth_post(struct cd_auth *a, const char *scope,
		      struct cd_http_resp *resp, struct cd_err *err)
{
	struct cd_buf body = CD_BUF_INIT;
	const char *hdrs[] = {"Content-Type: application/x-www-form-urlencoded",
			      NULL};
	cd_buf_puts(&body, "grant_type=refresh_token&client_id=cdhost&service=");
	url_encode(&body, a->service ? a->service : "");
	cd_buf_puts(&body, "&scope=");
	url_encode(&body, scope);
	cd_buf_puts(&body, "&refresh_token=");
	url_encode(&body, a->creds.identity_token);
	struct cd_http_req q = {.method = "POST", .url = a->realm,
				.headers = hdrs, .body = body.data,
				.body_len = body.len, .tls = a->tls,
				.idempotent = 1, .max_body = TOKEN_BODY_MAX,
				.what = "fetch registry token"};
	int rc = body.data ? cd_http_do(a->http, &q, resp, err)
			   : cd_err_set(err, CD_E_NOMEM, "auth", "out of memory");
	if (body.data)
		memset(body.data, 0, body.len);
	cd_buf_free(&body);
	return rc;
}

static int token_get(struct cd_auth *a, const char *scope,
		     struct cd_http_resp *resp, struct cd_err *err)
{
	struct cd_buf url = CD_BUF_INIT, basic = CD_BUF_INIT;
	const char *hdrs[2] = {NULL, NULL};
	int rc;
	token_query(a, &url, scope);
	if (a->creds.username && a->creds.password) {
		struct cd_buf up = CD_BUF_INIT;
		cd_buf_printf(&up, "%s:%s", a->creds.username, a->creds.password);
		char *enc = up.data ? b64_encode(up.data, up.len) : NULL;
		if (up.data)
			memset(up.data, 0, up.len);
		cd_buf_free(&up);
		if (enc)
			cd_buf_printf(&basic, "Authorization: Basic %s", enc);
		free_secret(enc);
		hdrs[0] = basic.data;
	}
	struct cd_http_req q = {.method = "GET", .url = url.data, .headers = hdrs,
				.tls = a->tls, .idempotent = 1,
				.max_body = TOKEN_BODY_MAX,
				.what = "fetch registry token"};
	rc = url.data ? cd_http_do(a->http, &q, resp, err)
		      : cd_err_set(err, CD_E_NOMEM, "auth", "out of memory");
	if (basic.data)
		memset(basic.data, 0, basic.len);
	cd_buf_free(&basic);
	cd_buf_free(&url);
	return rc;
}

static int store_tok(struct cd_auth *a, const char *scope, const char *token,
		     double expires_in)
{
	struct cd_auth_tok *t = find_tok(a, scope);
	if (!t) {
		void *p = cd_realloc(a->toks, (a->ntoks + 1) * sizeof *a->toks);
		if (!p)
			return -1;
		a->toks = p;
		t = &a->toks[a->ntoks++];
		memset(t, 0, sizeof *t);
		t->scope = cd_strdup(scope);
	}
	free_secret(t->token);
	t->token = cd_strdup(token);
	/* renew a little early: a token must not expire mid-request */
	t->expires = cd_now() + (expires_in > 20 ? expires_in - 10 : expires_in / 2);
	return t->scope && t->token ? 0 : -1;
}

static int fetch_token(struct cd_auth *a, const char *scope, struct cd_err *err)
{
	struct cd_http_resp resp = {0};
	struct cd_token tok;
	char origin[512], whom[700];
	int rc;
	if (a->creds.registry_token)
		return store_tok(a, scope, a->creds.registry_token, 1e9);
	if (!a->realm || !*a->realm)
		return cd_err_set(err, CD_E_UNAUTHORIZED, "auth",
				  "%s: Bearer challenge without a realm", a->host);
	if (check_realm(a, cd_creds_any(&a->creds), err) != 0)
		return -(int)err->code;
	realm_origin(a->realm, origin, sizeof origin);
	a->fetches++;
	if (a->creds.identity_token) {
		rc = oauth_post(a, scope, &resp, err);
		if (rc == 0 && (resp.status == 404 || resp.status == 405)) {
			cd_http_resp_free(&resp);
			rc = token_get(a, scope, &resp, err);
		}
	} else {
		rc = token_get(a, scope, &resp, err);
	}
	if (rc != 0) {
		cd_http_resp_free(&resp);
		return cd_err_wrap(err, "token for %s", a->host);
	}
	if (resp.status == 401 || resp.status == 403) {
		cd_http_resp_free(&resp);
		return cd_err_set(err, CD_E_UNAUTHORIZED, "auth",
				  "token server %s refused %s (HTTP %ld)", origin,
				  who(a, whom, sizeof whom), resp.status);
	}
	if (resp.status != 200) {
		long st = resp.status;
		cd_http_resp_free(&resp);
		return cd_err_set(err, cd_http_status_code(st) ? cd_http_status_code(st)
							     : CD_E_SERVER,
				  "auth", "token server %s answered HTTP %ld",
				  origin, st);
	}
	rc = cd_auth_parse_token(resp.body.data ? resp.body.data : "",
				 resp.body.len, &tok, err);
	if (resp.body.data)
		memset(resp.body.data, 0, resp.body.len);
	cd_http_resp_free(&resp);
	if (rc != 0)
		return cd_err_wrap(err, "token server %s", origin);
	rc = store_tok(a, scope, tok.token, tok.expires_in);
	cd_token_free(&tok);
	return rc == 0 ? 0 : cd_err_set(err, CD_E_NOMEM, "auth", "out of memory");
}

static char *header_line(const char *kind, const char *value)
{
	struct cd_buf b = CD_BUF_INIT;
	cd_buf_printf(&b, "Authorization: %s %s", kind, value);
	return cd_buf_steal(&b, NULL);
}

static char *basic_line(const struct cd_creds *c)
{
	struct cd_buf up = CD_BUF_INIT;
	cd_buf_printf(&up, "%s:%s", c->username, c->password);
	char *enc = up.data ? b64_encode(up.data, up.len) : NULL;
	if (up.data)
		memset(up.data, 0, up.len);
	cd_buf_free(&up);
	char *line = enc ? header_line("Basic", enc) : NULL;
	free_secret(enc);
	return line;
}

int cd_auth_header(struct cd_auth *a, const char *scopes, char **line,
		   struct cd_err *err)
{
	*line = NULL;
	if (a->scheme == CD_AUTH_NONE)
		return 0;
	if (ensure_creds(a, err) != 0)
		return -(int)err->code;
	if (a->scheme == CD_AUTH_BASIC) {
		if (a->creds.registry_token)
			*line = header_line("Bearer", a->creds.registry_token);
		else if (a->creds.username && a->creds.password)
			*line = basic_line(&a->creds);
		else
			return 0;
		return *line ? 0 : cd_err_set(err, CD_E_NOMEM, "auth", "out of memory");
	}
	char *scope = cd_auth_scope_normal(scopes);
	if (!scope)
		return cd_err_set(err, CD_E_NOMEM, "auth", "out of memory");
	struct cd_auth_tok *t = find_tok(a, scope);
	int rc = 0;
	if (!t || t->expires <= cd_now()) {
		rc = fetch_token(a, scope, err);
		t = rc == 0 ? find_tok(a, scope) : NULL;
	}
	if (t) {
		*line = header_line("Bearer", t->token);
		if (!*line)
			rc = cd_err_set(err, CD_E_NOMEM, "auth", "out of memory");
	}
	cd_free(scope);
	return rc;
}

static int basic_challenge(struct cd_auth *a, int retried, struct cd_err *err)
{
	char whom[700];
	if (!cd_creds_any(&a->creds))
		return cd_err_set(err, CD_E_UNAUTHORIZED, "auth",
				  "%s requires credentials and none were found "
				  "(docker config.json, credential helpers, "
				  "podman auth.json; see docs/registries.md)",
				  a->host);
	(void)retried;
	if (a->scheme == CD_AUTH_BASIC) /* they went with this very request */
		return cd_err_set(err, CD_E_UNAUTHORIZED, "auth",
				  "%s rejected %s", a->host,
				  who(a, whom, sizeof whom));
	a->scheme = CD_AUTH_BASIC;
	return 0;
}

static int bearer_challenge(struct cd_auth *a, const struct cd_auth_challenge *c,
			    const char *scopes, int retried, struct cd_err *err)
{
	char whom[700];
	const char *cscope = cd_auth_challenge_param(c, "scope");
	const char *error = cd_auth_challenge_param(c, "error");
	struct cd_buf all = CD_BUF_INIT;
	cd_buf_printf(&all, "%s %s", cscope ? cscope : "", scopes ? scopes : "");
	char *scope = all.data ? cd_auth_scope_normal(all.data) : NULL;
	char *asked = cd_auth_scope_normal(scopes);
	cd_buf_free(&all);
	int rc = 0;
	if (!scope || !asked) {
		rc = cd_err_set(err, CD_E_NOMEM, "auth", "out of memory");
		goto done;
	}
	set_str(&a->realm, cd_auth_challenge_param(c, "realm"));
	set_str(&a->service, cd_auth_challenge_param(c, "service"));
	int widened = strcmp(scope, asked) != 0;
	/* the same scope set again after a fresh token: it will not get better */
	if (retried && (!widened || (a->last_scope && strcmp(scope, a->last_scope) == 0))) {
		int insufficient = error && strcmp(error, "insufficient_scope") == 0;
		rc = cd_err_set(err,
				insufficient && cd_creds_any(&a->creds)
					? CD_E_FORBIDDEN
					: CD_E_UNAUTHORIZED,
				"auth", "%s denied %s to %s%s", a->host, scope,
				who(a, whom, sizeof whom),
				insufficient ? " (insufficient_scope)" : "");
		goto done;
	}
	a->scheme = CD_AUTH_BEARER;
	set_str(&a->last_scope, scope);
	rc = fetch_token(a, scope, err);
	/* the request's own scope set now maps to the widened token too */
	if (rc == 0 && widened) {
		struct cd_auth_tok *t = find_tok(a, scope);
		if (t && store_tok(a, asked, t->token, t->expires - cd_now() + 10))
			rc = cd_err_set(err, CD_E_NOMEM, "auth", "out of memory");
	}
done:
	cd_free(scope);
	cd_free(asked);
	return rc;
}

int cd_auth_challenge(struct cd_auth *a, const char *www, const char *scopes,
		      int retried, struct cd_err *err)
{
	struct cd_auth_challenge ch[4];
	int n = cd_auth_parse_challenges(www, ch, 4), rc;
	const struct cd_auth_challenge *bearer = NULL, *basic = NULL;
	if (ensure_creds(a, err) != 0) {
		for (int i = 0; i < n; i++)
			cd_auth_challenge_free(&ch[i]);
		return -(int)err->code;
	}
	for (int i = 0; i < n; i++) {
		if (strcasecmp(ch[i].scheme, "Bearer") == 0 && !bearer)
			bearer = &ch[i];
		else if (strcasecmp(ch[i].scheme, "Basic") == 0 && !basic)
			basic = &ch[i];
	}
	if (!scopes && (bearer || basic)) { /* a ping: learn, fetch nothing */
		a->scheme = bearer ? CD_AUTH_BEARER : CD_AUTH_BASIC;
		if (bearer) {
			set_str(&a->realm, cd_auth_challenge_param(bearer, "realm"));
			set_str(&a->service, cd_auth_challenge_param(bearer, "service"));
		}
		rc = 0;
	} else if (bearer)
		rc = bearer_challenge(a, bearer, scopes, retried, err);
	else if (basic)
		rc = basic_challenge(a, retried, err);
	else
		rc = cd_err_set(err, CD_E_UNAUTHORIZED, "auth",
				"%s answered 401 without a Basic or Bearer "
				"challenge",
				a->host);
	for (int i = 0; i < n; i++)
		cd_auth_challenge_free(&ch[i]);
	return rc;
}
