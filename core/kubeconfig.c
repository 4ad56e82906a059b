/* core/kubeconfig.c — see kubeconfig.h and docs/internals/kubeconfig.md. */
#include "kubeconfig.h"

#include <ctype.h>
#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fs.h"
#include "mem.h"
#include "proc.h"
#include "util.h"

#define OP "kubeconfig"
#define FILE_MAX ((size_t)16 << 20)
#define SA_DIR "/var/run/secrets/kubernetes.io/serviceaccount"

extern char **environ;

/* ---- small helpers ---- */

static char *dup_or_null(const char *s)
{
	return s ? cd_strdup(s) : NULL;
}

static const char *str_at(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

int cd_base64_decode(const char *s, size_t n, char **out, size_t *len)
{
	char *clean = cd_malloc(n + 4), *dst = cd_malloc(n / 4 * 3 + 8);
	size_t m = 0;
	int rc = -1;
	if (!clean || !dst)
		goto done;
	for (size_t i = 0; i < n; i++)
		if (!isspace((unsigned char)s[i]))
			clean[m++] = s[i];
	while (m % 4) /* padding is optional in kubeconfig data */
		clean[m++] = '=';
	int got = EVP_DecodeBlock((unsigned char *)dst,
				  (const unsigned char *)clean, (int)m);
	if (got < 0)
		goto done;
	size_t l = (size_t)got;
	for (size_t i = m; i > 0 && clean[i - 1] == '=' && l > 0; i--)
		l--; /* EVP_DecodeBlock counts padding as zero bytes */
	dst[l] = '\0';
	*out = dst;
	*len = l;
	dst = NULL;
	rc = 0;
done:
	cd_free(clean);
	cd_free(dst);
	return rc;
}

/* path resolved against dir when relative; owned. */
static char *resolve(const char *dir, const char *path)
{
	if (!path || !*path)
		return NULL;
	if (path[0] == '/' || !dir)
		return cd_strdup(path);
	size_t n = strlen(dir) + strlen(path) + 2;
	char *p = cd_malloc(n);
	if (p)
		snprintf(p, n, "%s/%s", dir, path);
	return p;
}

static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		return cd_strdup(".");
	if (slash == path)
		return cd_strdup("/");
	char *d = cd_malloc((size_t)(slash - path) + 1);
	if (d) {
		memcpy(d, path, (size_t)(slash - path));
		d[slash - path] = '\0';
	}
	return d;
}

/* Rewrites the relative path fields of one named entry in place (client-go's
 * ResolvePaths: files, and an exec command holding a '/'). */
static void resolve_entry(json_t *entry, const char *dir)
{
	static const char *const fields[] = {
		"certificate-authority", "client-certificate", "client-key",
		"tokenFile", NULL};
	for (int i = 0; fields[i]; i++) {
		const char *v = str_at(entry, fields[i]);
		if (v && *v && v[0] != '/') {
			char *r = resolve(dir, v);
			if (r)
				json_object_set_new(entry, fields[i],
						    json_string(r));
			cd_free(r);
		}
	}
	json_t *ex = json_object_get(entry, "exec");
	const char *cmd = str_at(ex, "command");
	if (cmd && strchr(cmd, '/') && cmd[0] != '/') {
		char *r = resolve(dir, cmd);
		if (r)
			json_object_set_new(ex, "command", json_string(r));
		cd_free(r);
	}
}

/* Merges the named list `key` (clusters, users, contexts) of one file into
 * merged[key] (an object name -> entry): the first file wins per name. */
static int merge_list(json_t *merged, const json_t *file, const char *key,
		      const char *inner, const char *dir, const char *path,
		      struct cd_err *err)
{
	json_t *list = json_object_get(file, key), *m = json_object_get(merged, key);
	size_t i;
	json_t *item;
	if (!list || json_is_null(list))
		return 0;
	if (!json_is_array(list))
		return cd_err_set(err, CD_E_INVALID, OP,
				  "%s: '%s' is not a list", path, key);
	json_array_foreach(list, i, item) {
		const char *name = str_at(item, "name");
		json_t *body = json_object_get(item, inner);
		if (!name || !json_is_object(body))
			return cd_err_set(err, CD_E_INVALID, OP,
					  "%s: %s entry %zu has no name or no "
					  "'%s' map",
					  path, key, i + 1, inner);
		if (json_object_get(m, name))
			continue;
		json_t *copy = json_deep_copy(body);
		if (strcmp(key, "contexts") != 0)
			resolve_entry(copy, dir);
		json_object_set_new(m, name, copy);
	}
	return 0;
}

static int merge_file(json_t *merged, const char *path,
		      const struct cd_kubeconfig_opts *o, int must_exist,
		      struct cd_err *err)
{
	char *text = NULL, *dir = NULL;
	size_t n = 0;
	json_t *doc = NULL;
	int rc = -1;
	if (cd_fs_read_path(path, FILE_MAX, &text, &n, err) != 0) {
		if (!must_exist && err->code == CD_E_NOT_FOUND) {
			cd_err_clear(err);
			return 1;
		}
		return cd_err_wrap(err, "kubeconfig %s", path);
	}
	if (o->parse(o->parse_ud, path, text, n, &doc, err) != 0)
		goto done;
	if (json_is_null(doc) || !doc) { /* empty file */
		rc = 0;
		goto done;
	}
	if (!json_is_object(doc)) {
		cd_err_set(err, CD_E_INVALID, OP, "%s: not a kubeconfig map",
			   path);
		goto done;
	}
	dir = dir_of(path);
	if (merge_list(merged, doc, "clusters", "cluster", dir, path, err) ||
	    merge_list(merged, doc, "users", "user", dir, path, err) ||
	    merge_list(merged, doc, "contexts", "context", dir, path, err))
		goto done;
	const char *cur = str_at(doc, "current-context");
	if (cur && *cur && !str_at(merged, "current-context")) {
		json_object_set_new(merged, "current-context", json_string(cur));
		json_object_set_new(merged, "current-source", json_string(path));
	}
	if (!str_at(merged, "first-source"))
		json_object_set_new(merged, "first-source", json_string(path));
	rc = 0;
done:
	json_decref(doc);
	cd_free(text);
	cd_free(dir);
	return rc;
}

/* ---- filling the result ---- */

static int take_data(const json_t *o, const char *key, char **out,
		     size_t *len, const char *what, struct cd_err *err)
{
	const char *v = str_at(o, key);
	if (!v || !*v)
		return 0;
	if (cd_base64_decode(v, strlen(v), out, len) != 0)
		return cd_err_set(err, CD_E_INVALID, OP,
				  "%s: '%s' is not valid base64", what, key);
	return 0;
}

static int fill_exec(struct cd_kubeconfig *kc, const json_t *ex,
		     struct cd_err *err)
{
	struct cd_kube_exec *e = cd_calloc(1, sizeof *e);
	if (!e)
		return cd_err_set(err, CD_E_NOMEM, OP, "out of memory");
	kc->exec = e;
	e->command = dup_or_null(str_at(ex, "command"));
	e->api_version = dup_or_null(str_at(ex, "apiVersion"));
	e->install_hint = dup_or_null(str_at(ex, "installHint"));
	e->provide_cluster_info =
		json_is_true(json_object_get(ex, "provideClusterInfo"));
	if (!e->command)
		return cd_err_set(err, CD_E_INVALID, OP,
				  "user '%s': exec has no command", kc->user);
	if (!e->api_version ||
	    (strcmp(e->api_version, "client.authentication.k8s.io/v1") &&
	     strcmp(e->api_version, "client.authentication.k8s.io/v1beta1")))
		return cd_err_set(
			err, CD_E_INVALID, OP,
			"user '%s': exec apiVersion '%s' is not supported "
			"(client.authentication.k8s.io/v1 or v1beta1)",
			kc->user, e->api_version ? e->api_version : "");
	json_t *args = json_object_get(ex, "args"), *env = json_object_get(ex, "env");
	size_t na = json_array_size(args), ne = json_array_size(env), i;
	json_t *it;
	e->args = cd_calloc(na + 1, sizeof *e->args);
	e->env = cd_calloc(ne + 1, sizeof *e->env);
	if (!e->args || !e->env)
		return cd_err_set(err, CD_E_NOMEM, OP, "out of memory");
	json_array_foreach(args, i, it) e->args[i] =
		cd_strdup(json_string_value(it) ? json_string_value(it) : "");
	json_array_foreach(env, i, it) {
		const char *n = str_at(it, "name"), *v = str_at(it, "value");
		if (!n)
			return cd_err_set(err, CD_E_INVALID, OP,
					  "user '%s': exec env entry %zu has "
					  "no name",
					  kc->user, i + 1);
		size_t len = strlen(n) + strlen(v ? v : "") + 2;
		e->env[i] = cd_malloc(len);
		if (e->env[i])
			snprintf(e->env[i], len, "%s=%s", n, v ? v : "");
	}
	return 0;
}

static int fill_user(struct cd_kubeconfig *kc, const json_t *u,
		     struct cd_err *err)
{
	char what[300];
	snprintf(what, sizeof what, "user '%s'", kc->user);
	kc->cert_file = dup_or_null(str_at(u, "client-certificate"));
	kc->key_file = dup_or_null(str_at(u, "client-key"));
	kc->token = dup_or_null(str_at(u, "token"));
	kc->token_file = dup_or_null(str_at(u, "tokenFile"));
	kc->username = dup_or_null(str_at(u, "username"));
	kc->password = dup_or_null(str_at(u, "password"));
	if (kc->token && !*kc->token) {
		cd_free(kc->token);
		kc->token = NULL;
	}
	if (take_data(u, "client-certificate-data", &kc->cert_pem,
		      &kc->cert_pem_len, what, err) ||
	    take_data(u, "client-key-data", &kc->key_pem, &kc->key_pem_len,
		      what, err))
		return -1;
	if (json_object_get(u, "auth-provider"))
		return cd_err_set(err, CD_E_INVALID, OP,
				  "%s: auth-provider plugins are not supported "
				  "(removed from kubectl); use an exec plugin",
				  what);
	if (!kc->token && kc->token_file) {
		size_t n;
		if (cd_fs_read_path(kc->token_file, 1 << 20, &kc->token, &n,
				    err) != 0)
			return cd_err_wrap(err, "%s: tokenFile", what);
		while (n && isspace((unsigned char)kc->token[n - 1]))
			kc->token[--n] = '\0';
	}
	json_t *ex = json_object_get(u, "exec");
	if (json_is_object(ex))
		return fill_exec(kc, ex, err);
	return 0;
}

static int fill_cluster(struct cd_kubeconfig *kc, const json_t *c,
			struct cd_err *err)
{
	char what[300];
	snprintf(what, sizeof what, "cluster '%s'", kc->cluster);
	const char *server = str_at(c, "server");
	if (!server || !*server)
		return cd_err_set(err, CD_E_INVALID, OP, "%s has no server",
				  what);
	kc->server = cd_strdup(server);
	size_t n = strlen(kc->server);
	while (n > 0 && kc->server[n - 1] == '/')
		kc->server[--n] = '\0';
	kc->ca_file = dup_or_null(str_at(c, "certificate-authority"));
	kc->insecure = json_is_true(json_object_get(c, "insecure-skip-tls-verify"));
	kc->tls_server_name = dup_or_null(str_at(c, "tls-server-name"));
	kc->proxy_url = dup_or_null(str_at(c, "proxy-url"));
	return take_data(c, "certificate-authority-data", &kc->ca_pem,
			 &kc->ca_pem_len, what, err);
}

static int from_merged(struct cd_kubeconfig *kc, const json_t *m,
		       const struct cd_kubeconfig_opts *o, struct cd_err *err)
{
	const char *ctx = o->context && *o->context
				  ? o->context
				  : str_at(m, "current-context");
	const char *src = str_at(m, "first-source");
	kc->source = cd_strdup(src ? src : "kubeconfig");
	if (!ctx)
		return cd_err_set(err, CD_E_INVALID, OP,
				  "%s: no current-context; pass --kube-context",
				  kc->source);
	json_t *c = json_object_get(json_object_get(m, "contexts"), ctx);
	if (!c)
		return cd_err_set(err, CD_E_INVALID, OP,
				  "context '%s' not found in %s", ctx,
				  kc->source);
	kc->context = cd_strdup(ctx);
	kc->cluster = dup_or_null(str_at(c, "cluster"));
	kc->user = dup_or_null(str_at(c, "user"));
	const char *ns = str_at(c, "namespace");
	kc->namespace_ = cd_strdup(o->namespace_ && *o->namespace_ ? o->namespace_
					 : ns && *ns	      ? ns
							      : "default");
	json_t *cl = kc->cluster ? json_object_get(
					   json_object_get(m, "clusters"),
					   kc->cluster)
				 : NULL;
	if (!cl)
		return cd_err_set(err, CD_E_INVALID, OP,
				  "context '%s': cluster '%s' not found in %s",
				  ctx, kc->cluster ? kc->cluster : "",
				  kc->source);
	if (fill_cluster(kc, cl, err) != 0)
		return -1;
	if (!kc->user || !*kc->user)
		return 0; /* anonymous */
	json_t *u = json_object_get(json_object_get(m, "users"), kc->user);
	if (!u)
		return cd_err_set(err, CD_E_INVALID, OP,
				  "context '%s': user '%s' not found in %s",
				  ctx, kc->user, kc->source);
	return fill_user(kc, u, err);
}

/* ---- in-cluster ---- */

static int in_cluster(struct cd_kubeconfig *kc,
		      const struct cd_kubeconfig_opts *o, struct cd_err *err)
{
	const char *dir = o->sa_dir ? o->sa_dir : SA_DIR;
	char path[4096];
	size_t n;
	int v6 = strchr(o->service_host, ':') != NULL;
	size_t len = strlen(o->service_host) + 32;
	kc->source = cd_strdup("in-cluster");
	kc->context = cd_strdup("in-cluster");
	kc->server = cd_malloc(len);
	if (!kc->source || !kc->context || !kc->server)
		return cd_err_set(err, CD_E_NOMEM, OP, "out of memory");
	snprintf(kc->server, len, v6 ? "https://[%s]:%s" : "https://%s:%s",
		 o->service_host,
		 o->service_port && *o->service_port ? o->service_port : "443");
	snprintf(path, sizeof path, "%s/token", dir);
	kc->token_file = cd_strdup(path);
	if (cd_fs_read_path(path, 1 << 20, &kc->token, &n, err) != 0)
		return cd_err_wrap(err, "in-cluster service account");
	while (n && isspace((unsigned char)kc->token[n - 1]))
		kc->token[--n] = '\0';
	snprintf(path, sizeof path, "%s/ca.crt", dir);
	kc->ca_file = cd_strdup(path);
	char *ns = NULL;
	snprintf(path, sizeof path, "%s/namespace", dir);
	if (cd_fs_read_path(path, 4096, &ns, &n, err) != 0) {
		cd_err_clear(err);
		ns = NULL;
	}
	while (ns && n && isspace((unsigned char)ns[n - 1]))
		ns[--n] = '\0';
	kc->namespace_ = cd_strdup(o->namespace_ && *o->namespace_ ? o->namespace_
					 : ns && *ns	      ? ns
							      : "default");
	cd_free(ns);
	return 0;
}

/* ---- load ---- */

static int load_files(json_t *merged, const struct cd_kubeconfig_opts *o,
		      int *found, struct cd_err *err)
{
	char path[4096];
	*found = 0;
	if (o->kubeconfig && *o->kubeconfig) {
		*found = 1;
		return merge_file(merged, o->kubeconfig, o, 1, err);
	}
	if (o->env_kubeconfig && *o->env_kubeconfig) {
		char *list = cd_strdup(o->env_kubeconfig), *save = NULL;
		int rc = 0;
		if (!list)
			return cd_err_set(err, CD_E_NOMEM, OP, "out of memory");
		for (char *p = strtok_r(list, ":", &save); p && rc >= 0;
		     p = strtok_r(NULL, ":", &save)) {
			rc = merge_file(merged, p, o, 0, err);
			*found |= rc == 0;
		}
		cd_free(list);
		return rc < 0 ? rc : 0;
	}
	if (!o->home)
		return 0;
	snprintf(path, sizeof path, "%s/.kube/config", o->home);
	int rc = merge_file(merged, path, o, 0, err);
	*found = rc == 0;
	return rc < 0 ? rc : 0;
}

int cd_kubeconfig_load(const struct cd_kubeconfig_opts *o,
		       struct cd_kubeconfig **out, struct cd_err *err)
{
	struct cd_kubeconfig *kc = cd_calloc(1, sizeof *kc);
	json_t *merged = json_pack("{s:{},s:{},s:{}}", "clusters", "users",
				   "contexts");
	int found = 0, rc = -1;
	*out = NULL;
	if (!kc || !merged) {
		cd_err_set(err, CD_E_NOMEM, OP, "out of memory");
		goto done;
	}
	if (load_files(merged, o, &found, err) != 0)
		goto done;
	if (!found && o->service_host && *o->service_host)
		rc = in_cluster(kc, o, err);
	else if (!found)
		rc = cd_err_set(err, CD_E_NOT_FOUND, OP,
				"no kubeconfig: pass --kubeconfig, set "
				"KUBECONFIG, or create ~/.kube/config");
	else
		rc = from_merged(kc, merged, o, err);
done:
	json_decref(merged);
	if (rc == 0)
		*out = kc;
	else
		cd_kubeconfig_free(kc);
	return rc;
}

static void free_exec_cache(struct cd_kube_exec *e)
{
	cd_free(e->token);
	cd_free(e->cert_pem);
	cd_free(e->key_pem);
	e->token = e->cert_pem = e->key_pem = NULL;
	e->cached = 0;
	e->expires = 0;
}

static void free_strv(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		cd_free(v[i]);
	cd_free(v);
}

void cd_kubeconfig_free(struct cd_kubeconfig *kc)
{
	if (!kc)
		return;
	char *strs[] = {kc->source, kc->context, kc->cluster, kc->user,
			kc->server, kc->namespace_, kc->ca_file, kc->ca_pem,
			kc->tls_server_name, kc->proxy_url, kc->cert_file,
			kc->key_file, kc->cert_pem, kc->key_pem, kc->token,
			kc->token_file, kc->username, kc->password};
	for (size_t i = 0; i < sizeof strs / sizeof *strs; i++)
		cd_free(strs[i]);
	if (kc->exec) {
		free_exec_cache(kc->exec);
		cd_free(kc->exec->command);
		cd_free(kc->exec->api_version);
		cd_free(kc->exec->install_hint);
		free_strv(kc->exec->args);
		free_strv(kc->exec->env);
		cd_free(kc->exec);
	}
	cd_free(kc);
}

/* ---- time ---- */

double cd_kubeconfig_time(const char *s)
{
	struct tm tm = {0};
	int n = 0;
	if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon,
			 &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec,
			 &n) != 6)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	const char *p = s + n;
	if (*p == '.')
		for (p++; isdigit((unsigned char)*p); p++)
			;
	double t = (double)timegm(&tm);
	if (*p == 'Z' || *p == 'z')
		return p[1] ? -1 : t;
	int hh, mm;
	if ((*p == '+' || *p == '-') && sscanf(p + 1, "%2d:%2d", &hh, &mm) == 2 &&
	    strlen(p) == 6)
		return t - (*p == '+' ? 1 : -1) * (hh * 3600.0 + mm * 60.0);
	return -1;
}

/* ---- exec plugins ---- */

/* The environment for the plugin: ours, its env entries, and
 * KUBERNETES_EXEC_INFO. Owned, NULL-terminated. */
static char **exec_environ(const struct cd_kubeconfig *kc, const char *info)
{
	size_t n = 0, extra = 0;
	while (environ[n])
		n++;
	while (kc->exec->env[extra])
		extra++;
	char **v = cd_calloc(n + extra + 2, sizeof *v);
	size_t k = 0;
	if (!v)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		int overridden = strncmp(environ[i], "KUBERNETES_EXEC_INFO=", 21) == 0;
		for (size_t j = 0; j < extra && !overridden; j++) {
			const char *eq = strchr(kc->exec->env[j], '=');
			size_t len = (size_t)(eq - kc->exec->env[j]) + 1;
			overridden = strncmp(environ[i], kc->exec->env[j], len) == 0;
		}
		if (!overridden)
			v[k++] = environ[i];
	}
	for (size_t j = 0; j < extra; j++)
		v[k++] = kc->exec->env[j];
	v[k++] = (char *)info;
	return v;
}

static char *exec_info(const struct cd_kubeconfig *kc)
{
	json_t *spec = json_pack("{s:b}", "interactive", 0);
	if (kc->exec->provide_cluster_info) {
		json_t *cl = json_pack("{s:s}", "server", kc->server);
		if (kc->tls_server_name)
			json_object_set_new(cl, "tls-server-name",
					    json_string(kc->tls_server_name));
		if (kc->insecure)
			json_object_set_new(cl, "insecure-skip-tls-verify",
					    json_true());
		json_object_set_new(spec, "cluster", cl);
	}
	json_t *info = json_pack("{s:s,s:s,s:o}", "kind", "ExecCredential",
				 "apiVersion", kc->exec->api_version, "spec",
				 spec);
	char *text = json_dumps(info, JSON_COMPACT);
	json_decref(info);
	if (!text)
		return NULL;
	size_t n = strlen(text) + 32;
	char *env = cd_malloc(n);
	if (env)
		snprintf(env, n, "KUBERNETES_EXEC_INFO=%s", text);
	free(text);
	return env;
}

int cd_kubeconfig_exec_parse(struct cd_kube_exec *e, const char *out,
			     size_t n, struct cd_err *err)
{
	json_error_t je;
	json_t *doc = json_loadb(out, n, 0, &je);
	int rc = -1;
	const char *cmd = e->command;
	if (!doc || strcmp(str_at(doc, "kind") ? str_at(doc, "kind") : "",
			   "ExecCredential") != 0) {
		cd_err_set(err, CD_E_UNAUTHORIZED, OP,
			   "exec plugin '%s' printed something that is not an "
			   "ExecCredential JSON object (%zu bytes)",
			   cmd, n);
		goto done;
	}
	const char *av = str_at(doc, "apiVersion");
	if (!av || strcmp(av, e->api_version) != 0) {
		cd_err_set(err, CD_E_UNAUTHORIZED, OP,
			   "exec plugin '%s' answered apiVersion '%s', "
			   "expected '%s'",
			   cmd, av ? av : "", e->api_version);
		goto done;
	}
	json_t *st = json_object_get(doc, "status");
	const char *tok = str_at(st, "token"),
		   *crt = str_at(st, "clientCertificateData"),
		   *key = str_at(st, "clientKeyData"),
		   *exp = str_at(st, "expirationTimestamp");
	if (!(tok && *tok) && !(crt && *crt && key && *key)) {
		cd_err_set(err, CD_E_UNAUTHORIZED, OP,
			   "exec plugin '%s' gave neither status.token nor "
			   "status.clientCertificateData/clientKeyData",
			   cmd);
		goto done;
	}
	double t = exp ? cd_kubeconfig_time(exp) : 0;
	if (t < 0) {
		cd_err_set(err, CD_E_UNAUTHORIZED, OP,
			   "exec plugin '%s': status.expirationTimestamp is "
			   "not an RFC 3339 time",
			   cmd);
		goto done;
	}
	free_exec_cache(e);
	e->token = tok && *tok ? cd_strdup(tok) : NULL;
	e->cert_pem = crt && *crt ? cd_strdup(crt) : NULL;
	e->key_pem = key && *key ? cd_strdup(key) : NULL;
	e->expires = t;
	e->cached = 1;
	rc = 0;
done:
	json_decref(doc);
	return rc;
}

/* Last line of stderr, trimmed, for the message (plugins explain there). */
static void last_line(const struct cd_buf *b, char *out, size_t size)
{
	size_t n = b->len;
	out[0] = '\0';
	while (n && isspace((unsigned char)b->data[n - 1]))
		n--;
	size_t start = n;
	while (start && b->data[start - 1] != '\n')
		start--;
	if (n > start)
		snprintf(out, size, ": %.*s", (int)(n - start > 300 ? 300 : n - start),
			 b->data + start);
}

static int exec_run(struct cd_kubeconfig *kc, double deadline,
		    struct cd_err *err)
{
	struct cd_kube_exec *e = kc->exec;
	size_t na = 0;
	while (e->args[na])
		na++;
	const char **argv = cd_calloc(na + 2, sizeof *argv);
	char *info = exec_info(kc);
	char **env = info ? exec_environ(kc, info) : NULL;
	struct cd_proc_result r;
	char tail[400];
	int rc = -1;
	memset(&r, 0, sizeof r);
	if (!argv || !env) {
		cd_err_set(err, CD_E_NOMEM, OP, "out of memory");
		goto done;
	}
	argv[0] = e->command;
	for (size_t i = 0; i < na; i++)
		argv[i + 1] = e->args[i];
	double limit = cd_now() + 60;
	struct cd_proc_opts po = {.argv = argv, .op = OP, .out_max = 1 << 20,
				  .deadline = deadline && deadline < limit ? deadline : limit};
	if (cd_proc_run_env(&po, (const char *const *)env, &r, err) != 0) {
		if (e->install_hint && err->code == CD_E_NOT_FOUND)
			cd_err_wrap(err, "%s; exec plugin", e->install_hint);
		err->code = err->code == CD_E_TIMEOUT ? CD_E_TIMEOUT
						      : CD_E_UNAUTHORIZED;
		goto done;
	}
	if (r.status != 0) {
		last_line(&r.err, tail, sizeof tail);
		cd_err_set(err, CD_E_UNAUTHORIZED, OP,
			   "exec plugin '%s' failed with exit status %d%s",
			   e->command, r.status, tail);
		goto done;
	}
	rc = cd_kubeconfig_exec_parse(e, r.out.data ? r.out.data : "",
				      r.out.len, err);
done:
	cd_proc_result_free(&r);
	cd_free(argv);
	cd_free(env);
	cd_free(info);
	return rc;
}

int cd_kubeconfig_credential(struct cd_kubeconfig *kc, double deadline,
			     const char **token, const char **cert,
			     const char **key, struct cd_err *err)
{
	*token = kc->token;
	*cert = *key = NULL;
	if (!kc->exec)
		return 0;
	struct cd_kube_exec *e = kc->exec;
	if (!e->cached || (e->expires && cd_wall() + 10 >= e->expires))
		if (exec_run(kc, deadline, err) != 0)
			return -1;
	*token = e->token;
	*cert = e->cert_pem;
	*key = e->key_pem;
	return 0;
}

int cd_kubeconfig_expire(struct cd_kubeconfig *kc, struct cd_err *err)
{
	if (kc->exec) {
		int had = kc->exec->cached;
		free_exec_cache(kc->exec);
		return had;
	}
	if (kc->token_file) {
		char *t = NULL;
		size_t n;
		if (cd_fs_read_path(kc->token_file, 1 << 20, &t, &n, err) != 0) {
			cd_err_clear(err);
			return 0;
		}
		while (n && isspace((unsigned char)t[n - 1]))
			t[--n] = '\0';
		int changed = !kc->token || strcmp(kc->token, t) != 0;
		cd_free(kc->token);
		kc->token = t;
		return changed;
	}
	return 0;
}
