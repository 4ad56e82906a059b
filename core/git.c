#include "git.h"

#include <errno.h>
#include <fcntl.h>
#include <git2.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "digest.h"
#include "fs.h"
#include "mem.h"

/* ---- setup, errors ---- */

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
/* The CA bundle for HTTPS remotes: $CDHOST_GIT_CA, else git's own
 * $GIT_SSL_CAINFO; NULL: libgit2's system store. */
static const char *ca_var, *ca_file;
static char ca_error[600];

static void lib_init(void)
{
	static const char *const vars[] = {"CDHOST_GIT_CA", "GIT_SSL_CAINFO"};
	git_libgit2_init();
	for (int i = 0; i < 2 && !ca_file; i++) {
		const char *v = getenv(vars[i]);
		if (v && *v) {
			ca_var = vars[i];
			ca_file = v; /* environment strings live as long as we do */
		}
	}
	if (ca_file &&
	    git_libgit2_opts(GIT_OPT_SET_SSL_CERT_LOCATIONS, ca_file, NULL) != 0) {
		const git_error *e = git_error_last();
		snprintf(ca_error, sizeof ca_error,
			 "%s=%s: cannot load the CA bundle (%s)", ca_var, ca_file,
			 e && e->message ? e->message : "unknown error");
	}
}

/* What the transport callbacks saw: decides the error code. */
struct remote_state {
	const char *url;
	const struct cd_git_auth *auth;
	int cred_calls;
	int auth_failed;
	int hostkey_failed;
	char hostkey_msg[512];
	char user[256], pass[512]; /* from the credentials file */
	char rejected[512];        /* push: first rejected ref status */
};

void cd_git_redact(const char *url, char *out, size_t n)
{
	const char *s = strstr(url, "://");
	const char *at = s ? strchr(s + 3, '@') : NULL;
	const char *slash = s ? strchr(s + 3, '/') : NULL;
	if (s && at && (!slash || at < slash))
		snprintf(out, n, "%.*s://%s", (int)(s - url), url, at + 1);
	else
		snprintf(out, n, "%s", url);
}

static int fail_git(struct cd_err *err, const char *op, int rc,
		    const struct remote_state *rs, const char *what)
{
	const git_error *e = git_error_last();
	const char *m = e && e->message ? e->message : "unknown libgit2 error";
	char url[512] = "";
	enum cd_code code = CD_E_SERVER;
	if (rs)
		cd_git_redact(rs->url, url, sizeof url);
	if (rs && rs->hostkey_failed)
		return cd_err_set(err, CD_E_UNAUTHORIZED, op, "%s %s: %s", what,
				  url, rs->hostkey_msg);
	if (rc == GIT_EAUTH || (rs && rs->auth_failed) ||
	    (e && strstr(m, "authentication")))
		code = CD_E_UNAUTHORIZED;
	else if (rc == GIT_ENOTFOUND)
		code = CD_E_NOT_FOUND;
	else if (rc == GIT_ECERTIFICATE)
		return cd_err_set(err, CD_E_UNAUTHORIZED, op,
				  "%s %s: the server's TLS certificate is not "
				  "trusted: %s (%s%s%s%s%s)",
				  what, url, m,
				  ca_file ? "checked against " : "set CDHOST_GIT_CA "
								 "to a PEM bundle "
								 "holding its CA",
				  ca_file ? ca_var : "", ca_file ? "=" : "",
				  ca_file ? ca_file : "", ca_file ? " only" : "");
	else if (e && (e->klass == GIT_ERROR_NET || e->klass == GIT_ERROR_SSH ||
		       e->klass == GIT_ERROR_OS || e->klass == GIT_ERROR_HTTP))
		code = CD_E_UNREACHABLE;
	if (e && (strstr(m, "404") || strstr(m, "not found") ||
		  strstr(m, "does not appear to be a git repository") ||
		  strstr(m, "could not find repository")))
		code = CD_E_NOT_FOUND;
	return cd_err_set(err, code, op, "%s%s%s: %s", what, url[0] ? " " : "",
			  url, m);
}

/* ---- paths ---- */

int cd_git_check_path(const char *path, int allow_empty, struct cd_err *err)
{
	size_t n = strlen(path);
	if (n == 0)
		return allow_empty ? 0 : cd_err_set(err, CD_E_INVALID, "git",
						    "empty path");
	if (path[0] == '/' || n > 4096)
		return cd_err_set(err, CD_E_INVALID, "git",
				  "path '%s' must be relative", path);
	const char *p = path;
	while (*p) {
		const char *e = strchr(p, '/');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		if ((len == 0 && e && e[1]) || (len == 1 && p[0] == '.') ||
		    (len == 2 && strncmp(p, "..", 2) == 0) ||
		    (len == 4 && strncasecmp(p, ".git", 4) == 0) ||
		    memchr(p, '\\', len))
			return cd_err_set(err, CD_E_INVALID, "git",
					  "path '%s' has a '%.*s' component; "
					  "use plain relative names",
					  path, (int)len, p);
		if (!e)
			break;
		p = e + 1;
	}
	return 0;
}

/* ---- the cache ---- */

static int cache_dir(char *out, size_t n, struct cd_err *err)
{
	char *dir = NULL;
	int rc = cd_fs_cache_dir("git", &dir, err);
	if (rc == 0)
		snprintf(out, n, "%s", dir);
	cd_free(dir);
	return rc;
}

/* An open cache repository, locked against other cdhost processes. */
struct cache {
	git_repository *repo;
	git_remote *remote;
	int lockfd;
	struct remote_state rs;
	git_fetch_options fetch;
	git_push_options push;
};

static int cb_credentials(git_credential **out, const char *url,
			  const char *user_from_url, unsigned int allowed,
			  void *payload);
static int cb_certificate(git_cert *cert, int valid, const char *host,
			  void *payload);
static int cb_push_ref(const char *ref, const char *status, void *payload);

static void cache_close(struct cache *c)
{
	git_remote_free(c->remote);
	git_repository_free(c->repo);
	if (c->lockfd >= 0)
		close(c->lockfd); /* releases the flock */
	explicit_bzero(c->rs.pass, sizeof c->rs.pass);
	memset(c, 0, sizeof *c);
	c->lockfd = -1;
}

static int cache_open(struct cache *c, const char *url,
		      const struct cd_git_auth *auth, struct cd_err *err)
{
	char dir[4096], path[4200], digest[CD_DIGEST_MAX];
	int rc;
	pthread_once(&init_once, lib_init);
	memset(c, 0, sizeof *c);
	c->lockfd = -1;
	c->rs.url = url;
	c->rs.auth = auth;
	if (ca_error[0])
		return cd_err_set(err, CD_E_INVALID, "git", "%s", ca_error);
	if (cache_dir(dir, sizeof dir, err) != 0)
		return -1;
	if (cd_digest_bytes(url, strlen(url), digest) != 0)
		return cd_err_set(err, CD_E_NOMEM, "git", "out of memory");
	snprintf(path, sizeof path, "%s/%.16s.lock", dir, digest + 7);
	c->lockfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (c->lockfd < 0 || flock(c->lockfd, LOCK_EX) != 0)
		return cd_err_set(err, CD_E_IO, "git", "cannot lock %s: %s",
				  path, strerror(errno));
	snprintf(path, sizeof path, "%s/%.16s.git", dir, digest + 7);
	rc = git_repository_open_bare(&c->repo, path);
	if (rc != 0)
		rc = git_repository_init(&c->repo, path, 1);
	/* Anonymous (nothing in the cache's config) and without url.insteadOf:
	 * the URL is exactly what the recipe named. (Skipping insteadOf also
	 * avoids a pcre2 leak in libgit2 1.5's config lookup.) */
	git_remote_create_options ro;
	git_remote_create_options_init(&ro, GIT_REMOTE_CREATE_OPTIONS_VERSION);
	ro.repository = c->repo;
	ro.flags = GIT_REMOTE_CREATE_SKIP_INSTEADOF |
		   GIT_REMOTE_CREATE_SKIP_DEFAULT_FETCHSPEC;
	if (rc == 0)
		rc = git_remote_create_with_opts(&c->remote, url, &ro);
	if (rc != 0)
		return fail_git(err, "git", rc, &c->rs, "cannot open the cache of");
	git_fetch_options_init(&c->fetch, GIT_FETCH_OPTIONS_VERSION);
	git_push_options_init(&c->push, GIT_PUSH_OPTIONS_VERSION);
	c->fetch.prune = GIT_FETCH_PRUNE;
	c->fetch.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
	git_remote_callbacks *cbs[] = {&c->fetch.callbacks, &c->push.callbacks};
	for (int i = 0; i < 2; i++) {
		cbs[i]->credentials = cb_credentials;
		cbs[i]->certificate_check = cb_certificate;
		cbs[i]->payload = &c->rs;
	}
	c->push.callbacks.push_update_reference = cb_push_ref;
	return 0;
}

static int offline;

void cd_git_set_offline(int on) { offline = on; }

static int cache_fetch(struct cache *c, int tags, struct cd_err *err)
{
	if (offline) {
		char u[512];
		cd_git_redact(c->rs.url, u, sizeof u);
		return cd_err_set(err, CD_E_UNREACHABLE, "git.fetch",
				  "--offline: cannot fetch %s (only what the "
				  "cache already holds can be used)",
				  u);
	}
	char *specs[] = {"+refs/heads/*:refs/remotes/origin/*",
			 "+refs/tags/*:refs/tags/*"};
	git_strarray arr = {specs, tags ? 2 : 1};
	c->rs.cred_calls = 0;
	int rc = git_remote_fetch(c->remote, &arr, &c->fetch, NULL);
	if (rc != 0)
		return fail_git(err, "git.fetch", rc, &c->rs, "cannot fetch");
	return 0;
}

/* ---- transport callbacks ---- */

static int hex_digit(char c)
{
	return c >= '0' && c <= '9'   ? c - '0'
	       : c >= 'a' && c <= 'f' ? c - 'a' + 10
	       : c >= 'A' && c <= 'F' ? c - 'A' + 10
				      : -1;
}

/* Decodes %XX in place: git's credential-store writes user, password and
 * host percent-encoded (a port as "host%3a8443"). */
static void pct_decode(char *s)
{
	char *o = s;
	for (; *s; s++) {
		int hi = s[0] == '%' ? hex_digit(s[1]) : -1;
		int lo = hi >= 0 ? hex_digit(s[2]) : -1;
		if (lo >= 0) {
			*o++ = (char)(hi * 16 + lo);
			s += 2;
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
}

int cd_git_credential_line(const char *url, char *line, char *user,
			   size_t un, char *pass, size_t pn)
{
	const char *s = strstr(url, "://"), *host, *at, *sl;
	char *ls = strstr(line, "://"), *la, *colon;
	if (!s)
		return 0;
	host = s + 3;
	at = strchr(host, '@');
	sl = strchr(host, '/');
	if (at && (!sl || at < sl))
		host = at + 1;
	if (!ls || ls - line != s - url ||
	    strncmp(line, url, (size_t)(ls - line)) != 0)
		return 0;
	ls[3 + strcspn(ls + 3, "/")] = '\0';
	if (!(la = strrchr(ls + 3, '@')) || !(colon = strchr(ls + 3, ':')) ||
	    colon > la)
		return 0;
	*la = *colon = '\0';
	pct_decode(la + 1);
	if (strlen(la + 1) != strcspn(host, "/") ||
	    strncmp(la + 1, host, strlen(la + 1)) != 0)
		return 0;
	pct_decode(ls + 3);
	pct_decode(colon + 1);
	snprintf(user, un, "%s", ls + 3);
	snprintf(pass, pn, "%s", colon + 1);
	return 1;
}

/* Keeps user and password from one `proto://user:pass@host[/path]` line
 * if its scheme and host:port are those of rs->url. */
static int credential_line(struct remote_state *rs, char *line)
{
	return cd_git_credential_line(rs->url, line, rs->user, sizeof rs->user,
				      rs->pass, sizeof rs->pass);
}

/* Reads git-credential-store lines and keeps the first whose scheme and
 * host match url. */
static void credentials_from_file(struct remote_state *rs, const char *file)
{
	char line[2048];
	if (!file || !strstr(rs->url, "://"))
		return;
	FILE *f = fopen(file, "re");
	if (!f)
		return;
	while (fgets(line, sizeof line, f)) {
		line[strcspn(line, "\r\n")] = '\0';
		if (credential_line(rs, line))
			break;
	}
	explicit_bzero(line, sizeof line);
	fclose(f);
}

static int cb_credentials(git_credential **out, const char *url,
			  const char *user_from_url, unsigned int allowed,
			  void *payload)
{
	struct remote_state *rs = payload;
	const struct cd_git_auth *a = rs->auth;
	const char *env;
	if (++rs->cred_calls > 2 ||
	    (rs->cred_calls > 1 && !(allowed & GIT_CREDENTIAL_USERNAME))) {
		rs->auth_failed = 1;
		git_error_set_str(GIT_ERROR_NET, "authentication failed (the "
						 "server refused the credentials)");
		return GIT_EAUTH;
	}
	if (allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT) {
		const char *user = a ? a->username : NULL;
		const char *pass = a ? a->password : NULL;
		if (!user || !pass) {
			const char *file = a && a->credentials_file
						   ? a->credentials_file
						   : getenv("CDHOST_GIT_CREDENTIALS");
			credentials_from_file(rs, file);
			user = rs->user[0] ? rs->user : NULL;
			pass = rs->user[0] ? rs->pass : NULL;
		}
		if (!user || !pass) {
			rs->auth_failed = 1;
			git_error_set_str(GIT_ERROR_NET,
					  "authentication required and no "
					  "credentials given (auth = "
					  "{username_env=, password_env=} or "
					  "CDHOST_GIT_CREDENTIALS)");
			return GIT_EAUTH;
		}
		return git_credential_userpass_plaintext_new(out, user, pass);
	}
	const char *user = user_from_url && *user_from_url ? user_from_url : "git";
	if (allowed & GIT_CREDENTIAL_USERNAME)
		return git_credential_username_new(out, user);
	if (allowed & GIT_CREDENTIAL_SSH_KEY) {
		const char *key = a && a->ssh_key ? a->ssh_key : NULL;
		if (!key && (env = getenv("CDHOST_GIT_SSH_KEY")) && *env)
			key = env;
		if (key)
			return git_credential_ssh_key_new(
				out, user, NULL, key,
				a ? a->ssh_passphrase : NULL);
		return git_credential_ssh_key_from_agent(out, user);
	}
	rs->auth_failed = 1;
	git_error_set_str(GIT_ERROR_NET, "no supported authentication method");
	return GIT_EAUTH;
}

static int b64_decode(const char *in, unsigned char *out, size_t cap)
{
	size_t n = strlen(in);
	if (n == 0 || n % 4 || (n / 4) * 3 > cap)
		return -1;
	int len = EVP_DecodeBlock(out, (const unsigned char *)in, (int)n);
	if (len < 0)
		return -1;
	for (size_t i = n; i > 0 && in[i - 1] == '='; i--)
		len--;
	return len;
}

/* 1 if `line` ("TYPE BASE64 [comment]", blank-separated) carries the key
 * blob. */
static int key_matches(const char *type_and_key, const unsigned char *key,
		       size_t keylen)
{
	char buf[8192], *sp, *b64;
	unsigned char blob[6144];
	snprintf(buf, sizeof buf, "%s", type_and_key);
	sp = buf + strcspn(buf, " \t");
	if (!*sp)
		return 0;
	b64 = sp + strspn(sp, " \t");
	b64[strcspn(b64, " \t\r\n")] = '\0';
	int n = b64_decode(b64, blob, sizeof blob);
	return n > 0 && (size_t)n == keylen && memcmp(blob, key, keylen) == 0;
}

static int url_port(const char *url)
{
	const char *s = strstr(url, "://");
	if (!s)
		return 22;
	const char *h = s + 3, *sl = strchr(h, '/'), *at = strchr(h, '@');
	if (at && (!sl || at < sl))
		h = at + 1;
	const char *colon = strchr(h, ':');
	if (colon && (!sl || colon < sl))
		return atoi(colon + 1);
	return 22;
}

/* ---- known_hosts (sshd(8), "SSH_KNOWN_HOSTS FILE FORMAT") ---- */

/* ASCII only, whatever the locale: OpenSSH lowercases host names and
 * patterns byte by byte the same way in the C locale. */
static unsigned char fold(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a') : c;
}

/* Does the lowercase `s` match the glob `p` ('*' any run, '?' any one
 * byte, letters of either case)? Iterative with one backtrack point, the
 * last '*': whatever an earlier star would have absorbed the last one can
 * absorb too, so nothing before it is ever retried and a hostile pattern
 * of many stars costs at most strlen(p) * strlen(s) steps, never the
 * exponential time of the recursive matcher. */
static int glob_match(const char *p, const char *s)
{
	const char *star = NULL, *resume = NULL;
	while (*s) {
		if (*p == '*') {
			star = ++p;
			resume = s;
		} else if (*p && (*p == '?' || fold((unsigned char)*p) ==
						      (unsigned char)*s)) {
			p++;
			s++;
		} else if (star) {
			p = star;
			s = ++resume;
		} else {
			return 0;
		}
	}
	while (*p == '*')
		p++;
	return *p == '\0';
}

/* Is `pattern` |1|base64(salt)|base64(HMAC-SHA1(salt, host))? */
static int hashed_matches(const char *pattern, const char *host)
{
	char salt_b64[128], *bar;
	unsigned char salt[96], hash[96], mac[EVP_MAX_MD_SIZE];
	unsigned maclen = 0;
	snprintf(salt_b64, sizeof salt_b64, "%s", pattern + 3);
	if (!(bar = strchr(salt_b64, '|')))
		return 0;
	*bar = '\0';
	int sl = b64_decode(salt_b64, salt, sizeof salt);
	int hl = b64_decode(bar + 1, hash, sizeof hash);
	if (sl <= 0 || hl != 20)
		return 0;
	HMAC(EVP_sha1(), salt, sl, (const unsigned char *)host, strlen(host),
	     mac, &maclen);
	return maclen == 20 && memcmp(mac, hash, 20) == 0;
}

/* The host patterns of a line ("p1,!p2,...", changed in place) against the
 * lowercase `host` ("host" or "[host]:port"): 1 when a pattern, wildcard
 * or hashed, names it and no negated one does. A negated pattern is a
 * wildcard one (OpenSSH has no negated hashes) and wins over every other
 * pattern of its line, and of that line only. */
static int line_names(char *patterns, const char *host)
{
	int named = 0;
	for (char *tok = patterns; tok;) {
		char *comma = strchr(tok, ',');
		if (comma)
			*comma++ = '\0';
		if (*tok == '!') {
			if (tok[1] && glob_match(tok + 1, host))
				return 0;
		} else if (*tok && !named) {
			named = strncmp(tok, "|1|", 3) == 0
					? hashed_matches(tok, host)
					: glob_match(tok, host);
		}
		tok = comma;
	}
	return named;
}

enum kh_marker { KH_PLAIN, KH_REVOKED, KH_CA, KH_BAD };

/* The marker a line starts with, if any: one "@word" ended by blanks, which
 * *p is moved past. An unknown word, a second marker or nothing after it
 * makes the line no entry (KH_BAD), as in OpenSSH. */
static enum kh_marker line_marker(char **p)
{
	char *s = *p;
	if (*s != '@')
		return KH_PLAIN;
	size_t n = strcspn(s, " \t");
	enum kh_marker m = n == 8 && strncmp(s, "@revoked", n) == 0 ? KH_REVOKED
			   : n == 15 && strncmp(s, "@cert-authority", n) == 0
				   ? KH_CA
				   : KH_BAD;
	s += n;
	s += strspn(s, " \t");
	if (!*s || *s == '@')
		return KH_BAD;
	*p = s;
	return m;
}

/* One line of the file (changed in place): 0 when it says nothing of the
 * host's key, 1 when it names the host with another key, 2 with this key,
 * 3 when it revokes this key for the host. @cert-authority lines say
 * nothing: the SSH transport (libssh2) presents plain keys, never host
 * certificates, and a CA's key is no host key (nor in OpenSSH). */
static int known_hosts_line(char *line, const char *host,
			    const unsigned char *key, size_t keylen)
{
	char *p = line + strspn(line, " \t");
	if (!*p || *p == '#')
		return 0;
	enum kh_marker m = line_marker(&p);
	if (m == KH_BAD || m == KH_CA)
		return 0;
	char *sp = p + strcspn(p, " \t");
	if (!*sp)
		return 0;
	*sp++ = '\0';
	if (!line_names(p, host))
		return 0;
	int same = key_matches(sp + strspn(sp, " \t"), key, keylen);
	if (m == KH_REVOKED)
		return same ? 3 : 0;
	return same ? 2 : 1;
}

int cd_git_known_hosts_match(const char *text, size_t len, const char *want,
			     const unsigned char *key, size_t keylen)
{
	char line[8192], host[1024];
	size_t wl = strlen(want);
	int found = 0;
	if (wl >= sizeof host)
		return 0; /* no host name is that long */
	for (size_t i = 0; i <= wl; i++)
		host[i] = (char)fold((unsigned char)want[i]);
	const char *end = text + len;
	for (const char *s = text; s < end && found < 3;) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		size_t ll = (size_t)((nl ? nl : end) - s);
		const char *at = s;
		s = nl ? nl + 1 : end;
		if (ll >= sizeof line)
			continue; /* longer than any entry: not one */
		memcpy(line, at, ll);
		line[ll] = '\0';
		int r = known_hosts_line(line, host, key, keylen);
		if (r > found)
			found = r;
	}
	return found;
}

static int check_known_hosts(struct remote_state *rs, const char *host,
			     const unsigned char *key, size_t keylen)
{
	const struct cd_git_auth *a = rs->auth;
	char file[4096], want[512], *text = NULL;
	size_t len = 0;
	struct cd_err err = {0};
	const char *env = getenv("CDHOST_KNOWN_HOSTS"), *home = getenv("HOME");
	int port = url_port(rs->url);
	if (a && a->known_hosts)
		snprintf(file, sizeof file, "%s", a->known_hosts);
	else if (env && *env)
		snprintf(file, sizeof file, "%s", env);
	else
		snprintf(file, sizeof file, "%s/.ssh/known_hosts",
			 home ? home : "");
	if (port == 22)
		snprintf(want, sizeof want, "%s", host);
	else
		snprintf(want, sizeof want, "[%s]:%d", host, port);
	int readable = cd_fs_read_path(file, 0, &text, &len, &err) == 0;
	int found = readable ? cd_git_known_hosts_match(text, len, want, key,
							  keylen)
			     : 0;
	cd_free(text);
	if (found == 2)
		return 0;
	snprintf(rs->hostkey_msg, sizeof rs->hostkey_msg,
		 found == 3 ? "the host key of %s is marked @revoked in %s; "
			      "refusing to connect"
		 : found    ? "the host key of %s does NOT match %s (possible "
			      "man-in-the-middle); refusing to connect"
			    : "unknown host key for %s (not in %s); add it to "
			      "known_hosts or pin it with host_key=",
		 want, readable ? file : "an existing known_hosts file");
	return -1;
}

static int cb_certificate(git_cert *cert, int valid, const char *host,
			  void *payload)
{
	struct remote_state *rs = payload;
	if (cert->cert_type != GIT_CERT_HOSTKEY_LIBSSH2)
		return GIT_PASSTHROUGH; /* TLS: libgit2's own verification */
	git_cert_hostkey *hk = (git_cert_hostkey *)cert;
	int ok;
	if (!(hk->type & GIT_CERT_SSH_RAW)) {
		snprintf(rs->hostkey_msg, sizeof rs->hostkey_msg,
			 "the SSH library gave no host key to check");
		ok = -1;
	} else if (rs->auth && rs->auth->host_key) {
		ok = key_matches(rs->auth->host_key,
				 (const unsigned char *)hk->hostkey,
				 hk->hostkey_len) ? 0 : -1;
		if (ok)
			snprintf(rs->hostkey_msg, sizeof rs->hostkey_msg,
				 "the host key of %s does not match the "
				 "pinned host_key",
				 host);
	} else {
		ok = check_known_hosts(rs, host,
				       (const unsigned char *)hk->hostkey,
				       hk->hostkey_len);
	}
	if (ok == 0)
		return 0;
	rs->hostkey_failed = 1;
	git_error_set_str(GIT_ERROR_SSH, rs->hostkey_msg);
	return GIT_ECERTIFICATE;
}

static int cb_push_ref(const char *ref, const char *status, void *payload)
{
	struct remote_state *rs = payload;
	if (status && !rs->rejected[0])
		snprintf(rs->rejected, sizeof rs->rejected, "%s: %s", ref,
			 status);
	return 0;
}

/* ---- trees ---- */

static int cmp_files(const void *a, const void *b)
{
	return strcmp(((const struct cd_git_file *)a)->path,
		      ((const struct cd_git_file *)b)->path);
}

/* Builds a tree of files[0..n) whose paths all start with `prefix` (of
 * length plen, including its trailing '/'); files are sorted by path. */
static int build_tree(git_repository *repo, const struct cd_git_file *files,
		      size_t n, size_t plen, git_oid *out)
{
	git_treebuilder *tb = NULL;
	int rc = git_treebuilder_new(&tb, repo, NULL);
	size_t i = 0;
	while (rc == 0 && i < n) {
		const char *rest = files[i].path + plen;
		const char *slash = strchr(rest, '/');
		git_oid id;
		if (!slash) {
			rc = git_blob_create_from_buffer(&id, repo, files[i].data,
							 files[i].len);
			if (rc == 0)
				rc = git_treebuilder_insert(NULL, tb, rest, &id,
							    GIT_FILEMODE_BLOB);
			i++;
			continue;
		}
		size_t seg = (size_t)(slash - rest), j = i;
		while (j < n && strncmp(files[j].path + plen, rest, seg + 1) == 0)
			j++;
		char name[1024];
		snprintf(name, sizeof name, "%.*s", (int)seg, rest);
		rc = build_tree(repo, files + i, j - i, plen + seg + 1, &id);
		if (rc == 0)
			rc = git_treebuilder_insert(NULL, tb, name, &id,
						    GIT_FILEMODE_TREE);
		i = j;
	}
	if (rc == 0)
		rc = git_treebuilder_write(out, tb);
	git_treebuilder_free(tb);
	return rc;
}

/* The root tree of `parent` (NULL: empty) with `path` replaced by files. */
static int make_tree(git_repository *repo, git_commit *parent,
		     const char *path, const struct cd_git_file *files,
		     size_t n, git_oid *out)
{
	git_tree *base = NULL;
	git_oid sub;
	int rc = 0;
	if (path[0] == '\0')
		return build_tree(repo, files, n, 0, out);
	if (parent)
		rc = git_commit_tree(&base, parent);
	if (rc == 0 && n > 0)
		rc = build_tree(repo, files, n, 0, &sub);
	if (rc == 0 && !base) {
		git_treebuilder *tb = NULL;
		git_oid empty;
		rc = git_treebuilder_new(&tb, repo, NULL);
		if (rc == 0)
			rc = git_treebuilder_write(&empty, tb);
		git_treebuilder_free(tb);
		if (rc == 0)
			rc = git_tree_lookup(&base, repo, &empty);
	}
	if (rc == 0) {
		git_tree_entry *e = NULL;
		int exists = git_tree_entry_bypath(&e, base, path) == 0;
		git_tree_entry_free(e);
		git_tree_update up = {
			.action = n ? GIT_TREE_UPDATE_UPSERT : GIT_TREE_UPDATE_REMOVE,
			.filemode = GIT_FILEMODE_TREE, .path = path};
		if (n)
			git_oid_cpy(&up.id, &sub);
		if (n || exists)
			rc = git_tree_create_updated(out, repo, base, 1, &up);
		else
			git_oid_cpy(out, git_tree_id(base));
	}
	git_tree_free(base);
	return rc;
}

/* ---- commit ---- */

static int parse_author(const char *author, git_signature **out)
{
	char name[256] = "cdhost", email[256] = "cdhost@localhost";
	if (author) {
		const char *lt = strchr(author, '<'), *gt = strrchr(author, '>');
		if (lt && gt && gt > lt) {
			size_t nl = (size_t)(lt - author);
			while (nl && author[nl - 1] == ' ')
				nl--;
			snprintf(name, sizeof name, "%.*s", (int)nl, author);
			snprintf(email, sizeof email, "%.*s",
				 (int)(gt - lt - 1), lt + 1);
		} else {
			snprintf(name, sizeof name, "%s", author);
		}
	}
	return git_signature_now(out, name, email);
}

/* The remote tracking commit of branch, or NULL (not an error). */
static int tracking_commit(git_repository *repo, const char *branch,
			   git_commit **out)
{
	char ref[1024];
	git_oid id;
	*out = NULL;
	snprintf(ref, sizeof ref, "refs/remotes/origin/%s", branch);
	if (git_reference_name_to_id(&id, repo, ref) != 0)
		return 0;
	return git_commit_lookup(out, repo, &id);
}

static int remote_is_empty(git_repository *repo)
{
	git_strarray refs = {0};
	int empty = 1;
	if (git_reference_list(&refs, repo) == 0)
		for (size_t i = 0; i < refs.count; i++)
			if (strncmp(refs.strings[i], "refs/remotes/origin/", 20) == 0)
				empty = 0;
	git_strarray_dispose(&refs);
	return empty;
}

/* One attempt: parent from the cache's view of the remote, new tree,
 * commit if changed. *tip = the commit to push (owned). */
static int prepare(struct cache *c, const struct cd_git_commit_opts *o,
		   git_oid *tip, int *changed, int *need_push,
		   struct cd_err *err)
{
	git_commit *parent = NULL;
	git_signature *sig = NULL;
	git_tree *tree = NULL;
	git_oid tree_id;
	int rc = -1, from_base = 0;
	if (tracking_commit(c->repo, o->branch, &parent) != 0)
		return fail_git(err, "git.commit", -1, &c->rs, "cannot read");
	if (!parent && o->base) {
		if (tracking_commit(c->repo, o->base, &parent) != 0 || !parent) {
			char u[512];
			cd_git_redact(o->repo, u, sizeof u);
			cd_err_set(err, CD_E_NOT_FOUND, "git.commit",
				   "base branch '%s' does not exist in %s",
				   o->base, u);
			goto done;
		}
		from_base = 1;
	}
	if (!parent && !remote_is_empty(c->repo)) {
		char u[512];
		cd_git_redact(o->repo, u, sizeof u);
		cd_err_set(err, CD_E_NOT_FOUND, "git.commit",
			   "branch '%s' does not exist in %s and no base= "
			   "branch was given to create it from",
			   o->branch, u);
		goto done;
	}
	if (make_tree(c->repo, parent, o->path, o->files, o->nfiles,
		      &tree_id) != 0) {
		fail_git(err, "git.commit", -1, NULL, "cannot build the tree");
		goto done;
	}
	*changed = !parent || !git_oid_equal(&tree_id, git_commit_tree_id(parent));
	*need_push = *changed || from_base;
	if (!*changed) {
		git_oid_cpy(tip, git_commit_id(parent));
		rc = 0;
		goto done;
	}
	const git_commit *parents[1] = {parent};
	if (parse_author(o->author, &sig) != 0 ||
	    git_tree_lookup(&tree, c->repo, &tree_id) != 0 ||
	    git_commit_create(tip, c->repo, NULL, sig, sig, NULL,
			      o->message ? o->message : "cdhost", tree,
			      parent ? 1 : 0, parents) != 0) {
		fail_git(err, "git.commit", -1, NULL, "cannot create the commit");
		goto done;
	}
	rc = 0;
done:
	git_tree_free(tree);
	git_signature_free(sig);
	git_commit_free(parent);
	return rc;
}

/* Pushes tip to branch. 0 ok; 1 rejected (rs.rejected says why); <0 error. */
static int push_tip(struct cache *c, const char *branch, const git_oid *tip,
		    struct cd_err *err)
{
	char ref[1024], spec[2100];
	git_reference *r = NULL;
	snprintf(ref, sizeof ref, "refs/heads/%s", branch);
	snprintf(spec, sizeof spec, "%s:%s", ref, ref); /* no '+': no force */
	if (git_reference_create(&r, c->repo, ref, tip, 1, "cdhost") != 0)
		return fail_git(err, "git.push", -1, NULL, "cannot set the ref");
	git_reference_free(r);
	char *specs[] = {spec};
	git_strarray arr = {specs, 1};
	c->rs.rejected[0] = '\0';
	c->rs.cred_calls = 0;
	int rc = git_remote_push(c->remote, &arr, &c->push);
	if (rc == GIT_ENONFASTFORWARD) {
		snprintf(c->rs.rejected, sizeof c->rs.rejected,
			 "%s: non-fast-forward", ref);
		return 1;
	}
	if (rc != 0)
		return fail_git(err, "git.push", rc, &c->rs, "cannot push to");
	return c->rs.rejected[0] ? 1 : 0;
}

int cd_git_commit(const struct cd_git_commit_opts *o,
		  struct cd_git_commit_result *res, struct cd_err *err)
{
	struct cache c;
	struct cd_git_file *files = NULL;
	int rc = -1;
	int retries = o->max_retries > 0 ? o->max_retries : CD_GIT_MAX_RETRIES;
	memset(res, 0, sizeof *res);
	if (cd_git_check_path(o->path, 1, err) != 0)
		return -1;
	for (size_t i = 0; i < o->nfiles; i++)
		if (cd_git_check_path(o->files[i].path, 0, err) != 0)
			return -1;
	files = cd_calloc(o->nfiles + 1, sizeof *files);
	if (!files)
		return cd_err_set(err, CD_E_NOMEM, "git.commit", "out of memory");
	memcpy(files, o->files, o->nfiles * sizeof *files);
	qsort(files, o->nfiles, sizeof *files, cmp_files);
	for (size_t i = 1; i < o->nfiles; i++) {
		size_t l = strlen(files[i - 1].path);
		if (strcmp(files[i - 1].path, files[i].path) == 0 ||
		    (strncmp(files[i - 1].path, files[i].path, l) == 0 &&
		     files[i].path[l] == '/')) {
			cd_err_set(err, CD_E_INVALID, "git.commit",
				   "file '%s' conflicts with '%s'",
				   files[i - 1].path, files[i].path);
			cd_free(files);
			return -1;
		}
	}
	struct cd_git_commit_opts so = *o;
	so.files = files;
	if (cache_open(&c, o->repo, &o->auth, err) != 0)
		goto done;
	for (unsigned attempt = 0;; attempt++) {
		git_oid tip, before;
		int changed = 0, need_push = 0, st;
		if (cache_fetch(&c, 0, err) != 0 ||
		    prepare(&c, &so, &tip, &changed, &need_push, err) != 0)
			goto done;
		git_oid_tostr(res->commit, sizeof res->commit, &tip);
		res->changed = changed;
		if (!need_push || !o->push) {
			rc = 0;
			goto done;
		}
		git_commit *p = NULL;
		tracking_commit(c.repo, o->branch, &p);
		if (p)
			git_oid_cpy(&before, git_commit_id(p));
		else
			memset(&before, 0, sizeof before);
		git_commit_free(p);
		res->attempts++;
		st = push_tip(&c, o->branch, &tip, err);
		if (st < 0)
			goto done;
		if (st == 0) {
			res->pushed = 1;
			rc = 0;
			goto done;
		}
		/* Rejected: retry only if the remote really moved. */
		char why[512];
		snprintf(why, sizeof why, "%s", c.rs.rejected);
		if (cache_fetch(&c, 0, err) != 0)
			goto done;
		tracking_commit(c.repo, o->branch, &p);
		int moved = p && !git_oid_equal(&before, git_commit_id(p));
		git_commit_free(p);
		if (!moved) {
			cd_err_set(err, CD_E_CONFLICT, "git.push",
				   "the remote rejected the push (%s)", why);
			goto done;
		}
		if (attempt + 1 >= (unsigned)retries) {
			cd_err_set(err, CD_E_CONFLICT, "git.push",
				   "the branch '%s' kept moving: gave up after "
				   "%u attempts (last: %s); nothing was forced",
				   o->branch, res->attempts, why);
			goto done;
		}
	}
done:
	cache_close(&c);
	cd_free(files);
	return rc;
}

/* ---- libraries: resolve and export ---- */

int cd_git_resolve(const char *url, const char *ref,
		   const struct cd_git_auth *auth, char out[CD_GIT_OID_HEX],
		   struct cd_err *err)
{
	struct cache c;
	int rc = -1;
	char name[1100];
	git_object *obj = NULL;
	if (cache_open(&c, url, auth, err) != 0 || cache_fetch(&c, 1, err) != 0)
		goto done;
	static const char *const forms[] = {"refs/tags/%s",
					    "refs/remotes/origin/%s", NULL};
	for (int i = 0; forms[i] && !obj; i++) {
		snprintf(name, sizeof name, forms[i], ref);
		git_reference *r = NULL;
		if (git_reference_lookup(&r, c.repo, name) == 0)
			git_reference_peel(&obj, r, GIT_OBJECT_COMMIT);
		git_reference_free(r);
	}
	if (!obj && strlen(ref) == 40) {
		git_oid id;
		if (git_oid_fromstr(&id, ref) == 0)
			git_object_lookup(&obj, c.repo, &id, GIT_OBJECT_COMMIT);
	}
	if (!obj) {
		char u[512];
		cd_git_redact(url, u, sizeof u);
		cd_err_set(err, CD_E_NOT_FOUND, "lib",
			   "ref '%s' not found in %s (no such tag, branch or "
			   "commit)",
			   ref, u);
		goto done;
	}
	git_oid_tostr(out, CD_GIT_OID_HEX, git_object_id(obj));
	rc = 0;
done:
	git_object_free(obj);
	cache_close(&c);
	return rc;
}

static int write_file(const char *path, const void *data, size_t n, int exec,
		      struct cd_err *err)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
		      exec ? 0755 : 0644);
	if (fd < 0)
		return cd_err_set(err, CD_E_IO, "lib", "cannot create %s: %s",
				  path, strerror(errno));
	const char *p = data;
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0) {
			close(fd);
			return cd_err_set(err, CD_E_IO, "lib",
					  "cannot write %s: %s", path,
					  strerror(errno));
		}
		p += w;
		n -= (size_t)w;
	}
	if (fchmod(fd, exec ? 0755 : 0644) != 0 || close(fd) != 0)
		return cd_err_set(err, CD_E_IO, "lib", "cannot write %s", path);
	return 0;
}

static int export_tree(git_repository *repo, git_tree *tree, const char *dir,
		       const char *shown, struct cd_err *err)
{
	if (mkdir(dir, 0755) != 0)
		return cd_err_set(err, CD_E_IO, "lib", "cannot create %s: %s",
				  dir, strerror(errno));
	for (size_t i = 0; i < git_tree_entrycount(tree); i++) {
		const git_tree_entry *e = git_tree_entry_byindex(tree, i);
		const char *name = git_tree_entry_name(e);
		git_filemode_t mode = git_tree_entry_filemode(e);
		char path[4096], sub[4096];
		snprintf(path, sizeof path, "%s/%s", dir, name);
		snprintf(sub, sizeof sub, "%s%s%s", shown, shown[0] ? "/" : "",
			 name);
		int rc;
		if (mode == GIT_FILEMODE_TREE) {
			git_tree *t = NULL;
			if (git_tree_lookup(&t, repo, git_tree_entry_id(e)) != 0)
				return fail_git(err, "lib", -1, NULL, "cannot read");
			rc = export_tree(repo, t, path, sub, err);
			git_tree_free(t);
		} else if (mode == GIT_FILEMODE_BLOB ||
			   mode == GIT_FILEMODE_BLOB_EXECUTABLE) {
			git_blob *b = NULL;
			if (git_blob_lookup(&b, repo, git_tree_entry_id(e)) != 0)
				return fail_git(err, "lib", -1, NULL, "cannot read");
			rc = write_file(path, git_blob_rawcontent(b),
					(size_t)git_blob_rawsize(b),
					mode == GIT_FILEMODE_BLOB_EXECUTABLE, err);
			git_blob_free(b);
		} else {
			return cd_err_set(err, CD_E_INVALID, "lib",
					  "'%s' is a %s; libraries may only "
					  "hold regular files",
					  sub,
					  mode == GIT_FILEMODE_LINK ? "symlink"
								    : "submodule");
		}
		if (rc != 0)
			return rc;
	}
	return 0;
}

int cd_git_export(const char *url, const char *commit, const char *subpath,
		  const struct cd_git_auth *auth, const char *dir,
		  struct cd_err *err)
{
	struct cache c;
	git_oid id;
	git_commit *cm = NULL;
	git_tree *root = NULL, *tree = NULL;
	int rc = -1;
	if (subpath && *subpath && cd_git_check_path(subpath, 0, err) != 0)
		return -1;
	if (cache_open(&c, url, auth, err) != 0)
		goto done;
	if (git_oid_fromstr(&id, commit) != 0) {
		cd_err_set(err, CD_E_INVALID, "lib", "'%s' is not a commit id",
			   commit);
		goto done;
	}
	if (git_commit_lookup(&cm, c.repo, &id) != 0) {
		if (cache_fetch(&c, 1, err) != 0)
			goto done;
		if (git_commit_lookup(&cm, c.repo, &id) != 0) {
			char u[512];
			cd_git_redact(url, u, sizeof u);
			cd_err_set(err, CD_E_NOT_FOUND, "lib",
				   "commit %s is not in %s (not reachable from "
				   "any branch or tag)",
				   commit, u);
			goto done;
		}
	}
	if (git_commit_tree(&root, cm) != 0) {
		fail_git(err, "lib", -1, NULL, "cannot read the tree of");
		goto done;
	}
	if (subpath && *subpath) {
		git_tree_entry *e = NULL;
		if (git_tree_entry_bypath(&e, root, subpath) != 0 ||
		    git_tree_entry_type(e) != GIT_OBJECT_TREE) {
			git_tree_entry_free(e);
			cd_err_set(err, CD_E_NOT_FOUND, "lib",
				   "path '%s' is not a directory in commit %.12s",
				   subpath, commit);
			goto done;
		}
		rc = git_tree_lookup(&tree, c.repo, git_tree_entry_id(e));
		git_tree_entry_free(e);
		if (rc != 0) {
			rc = fail_git(err, "lib", -1, NULL, "cannot read");
			goto done;
		}
	}
	rc = export_tree(c.repo, tree ? tree : root, dir, "", err);
done:
	git_tree_free(tree);
	git_tree_free(root);
	git_commit_free(cm);
	cache_close(&c);
	return rc;
}
