/* core/auth.c: WWW-Authenticate parsing, token responses, scopes, docker
 * config.json / auth.json variants (auths, identity and registry tokens,
 * credHelpers, credsStore, a real credential helper script), lookup order,
 * and that no secret reaches a message. Fixtures: tests/fixtures/registry. */
#include <stdlib.h>
#include <unistd.h>

#include "../../core/auth.h"
#include "../../core/mem.h"
#include "t.h"

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	static char buf[8192];
	if (!f) {
		fprintf(stderr, "missing fixture %s\n", path);
		exit(1);
	}
	*len = fread(buf, 1, sizeof buf - 1, f);
	buf[*len] = '\0';
	fclose(f);
	return buf;
}

static void challenges(void)
{
	struct cd_auth_challenge c[4];
	int n = cd_auth_parse_challenges(
		"Bearer realm=\"https://auth.example.com/token\",service=\"registry.example.com\","
		"scope=\"repository:a/b:pull,push repository:c:pull\",error=\"insufficient_scope\"",
		c, 4);
	T_EQ_INT(n, 1);
	T_EQ_STR(c[0].scheme, "Bearer");
	T_EQ_INT(c[0].n, 4);
	T_EQ_STR(cd_auth_challenge_param(&c[0], "realm"), "https://auth.example.com/token");
	T_EQ_STR(cd_auth_challenge_param(&c[0], "SCOPE"),
		 "repository:a/b:pull,push repository:c:pull");
	T_EQ_STR(cd_auth_challenge_param(&c[0], "error"), "insufficient_scope");
	T_CHECK(cd_auth_challenge_param(&c[0], "absent") == NULL);
	cd_auth_challenge_free(&c[0]);

	/* several challenges; escapes and commas inside quoted strings; tokens */
	n = cd_auth_parse_challenges(
		"Basic realm=\"Registry \\\"R\\\", the one\" , Bearer realm=x,service=y, "
		"Newauth  foo = \"a\\\\b\"",
		c, 4);
	T_EQ_INT(n, 3);
	T_EQ_STR(c[0].scheme, "Basic");
	T_EQ_STR(cd_auth_challenge_param(&c[0], "realm"), "Registry \"R\", the one");
	T_EQ_STR(c[1].scheme, "Bearer");
	T_EQ_STR(cd_auth_challenge_param(&c[1], "realm"), "x");
	T_EQ_STR(cd_auth_challenge_param(&c[1], "service"), "y");
	T_EQ_STR(c[2].scheme, "Newauth");
	T_EQ_STR(cd_auth_challenge_param(&c[2], "foo"), "a\\b");
	for (int i = 0; i < n; i++)
		cd_auth_challenge_free(&c[i]);

	T_EQ_INT(cd_auth_parse_challenges("Basic", c, 4), 1);
	T_EQ_INT(c[0].n, 0);
	T_EQ_INT(cd_auth_parse_challenges("", c, 4), 0);
	T_EQ_INT(cd_auth_parse_challenges("Bearer realm=\"unterminated", c, 4), -1);
	T_EQ_INT(cd_auth_parse_challenges("Bearer =x", c, 4), -1);
}

static void tokens(void)
{
	struct cd_token t;
	struct cd_err e;
	size_t n;
	const char *s = slurp("registry/tokens/token.json", &n);
	T_EQ_INT(cd_auth_parse_token(s, n, &t, &e), 0);
	T_EQ_STR(t.token, "tok-abc");
	T_CHECK(t.expires_in == 300);
	T_CHECK(t.refresh == NULL);
	cd_token_free(&t);
	s = slurp("registry/tokens/access_token.json", &n);
	T_EQ_INT(cd_auth_parse_token(s, n, &t, &e), 0);
	T_EQ_STR(t.token, "acc-def");
	T_EQ_STR(t.refresh, "ref-ghi");
	T_CHECK(t.expires_in == 120);
	cd_token_free(&t);
	s = slurp("registry/tokens/both.json", &n);
	T_EQ_INT(cd_auth_parse_token(s, n, &t, &e), 0);
	T_EQ_STR(t.token, "both-tok");
	T_CHECK(t.expires_in == 60); /* 0 means the default */
	cd_token_free(&t);
	s = slurp("registry/tokens/noexpiry.json", &n);
	T_EQ_INT(cd_auth_parse_token(s, n, &t, &e), 0);
	T_CHECK(t.expires_in == 60);
	cd_token_free(&t);
	s = slurp("registry/tokens/empty.json", &n);
	T_CHECK(cd_auth_parse_token(s, n, &t, &e) != 0);
	T_EQ_INT(e.code, CD_E_INVALID);
	T_CHECK(cd_auth_parse_token("not json", 8, &t, &e) != 0);
}

static void scopes(void)
{
	char *s = cd_auth_scope_normal(
		"repository:b:push,pull  repository:a:pull repository:b:pull,delete");
	T_EQ_STR(s, "repository:a:pull repository:b:delete,pull,push");
	cd_free(s);
	s = cd_auth_scope_normal("registry:catalog:* repository:h:5000/x:pull");
	T_EQ_STR(s, "registry:catalog:* repository:h:5000/x:pull");
	cd_free(s);
	s = cd_auth_scope_normal("");
	T_EQ_STR(s, "");
	cd_free(s);
}

static void key_hosts(void)
{
	char h[256];
	cd_auth_key_host("https://index.docker.io/v1/", h, sizeof h);
	T_EQ_STR(h, "index.docker.io");
	cd_auth_key_host("http://h:5000/x", h, sizeof h);
	T_EQ_STR(h, "h:5000");
	cd_auth_key_host("plain.example.com", h, sizeof h);
	T_EQ_STR(h, "plain.example.com");
}

static int from(const char *file, const char *host, struct cd_creds *c,
		struct cd_err *e)
{
	char path[256];
	size_t n;
	snprintf(path, sizeof path, "registry/config/%s", file);
	const char *s = slurp(path, &n);
	return cd_auth_from_config(s, n, path, host, c, e);
}

static void config_auths(void)
{
	struct cd_creds c;
	struct cd_err e;
	T_EQ_INT(from("auths.json", "registry.example.com", &c, &e), 1);
	T_EQ_STR(c.username, "alice");
	T_EQ_STR(c.password, "pa:ss-w0rd"); /* split at the first ':' */
	T_CHECK(strstr(c.source, "registry/config/auths.json") != NULL);
	T_CHECK(strstr(c.source, "pa:ss") == NULL);
	cd_creds_free(&c);
	/* Docker Hub: docker.io finds the legacy https://index.docker.io/v1/ key */
	T_EQ_INT(from("auths.json", "docker.io", &c, &e), 1);
	T_EQ_STR(c.username, "hubuser");
	cd_creds_free(&c);
	T_EQ_INT(from("auths.json", "legacy.example.com:5000", &c, &e), 1);
	T_EQ_STR(c.username, "leg");
	T_EQ_STR(c.password, "legacy-pw");
	cd_creds_free(&c);
	T_EQ_INT(from("auths.json", "other.example.com", &c, &e), 0);
	T_EQ_INT(from("tokens.json", "id.example.com", &c, &e), 1);
	T_EQ_STR(c.identity_token, "idtok-123");
	T_CHECK(c.username == NULL);
	cd_creds_free(&c);
	T_EQ_INT(from("tokens.json", "rt.example.com", &c, &e), 1);
	T_EQ_STR(c.registry_token, "regtok-456");
	cd_creds_free(&c);
	T_EQ_INT(from("tokens.json", "empty.example.com", &c, &e), 0);
}

static void config_errors_keep_secrets(void)
{
	struct cd_creds c;
	struct cd_err e;
	T_CHECK(from("badauth.json", "bad.example.com", &c, &e) < 0);
	T_EQ_INT(e.code, CD_E_INVALID);
	T_CHECK(strstr(e.msg, "is not base64 of user:password") != NULL);
	T_CHECK(strstr(e.msg, "bm90LWEtcGFpcg") == NULL);
	T_CHECK(from("broken.json", "x", &c, &e) < 0);
	T_EQ_INT(e.code, CD_E_INVALID);
	T_CHECK(strstr(e.msg, "registry/config/broken.json:") != NULL);
	T_CHECK(from("badhelper.json", "x.example.com", &c, &e) < 0);
	T_CHECK(strstr(e.msg, "invalid credential helper") != NULL);
	T_CHECK(from("nohelper.json", "x.example.com", &c, &e) < 0);
	T_EQ_INT(e.code, CD_E_NOT_FOUND);
	T_CHECK(strstr(e.msg, "docker-credential-absent-helper-zz is not on PATH") != NULL);
}

static void config_helpers(void)
{
	struct cd_creds c;
	struct cd_err e;
	T_EQ_INT(from("helpers.json", "helped.example.com", &c, &e), 1);
	T_EQ_STR(c.username, "helper-user"); /* credHelpers before auths */
	T_EQ_STR(c.password, "helper-Secret-1");
	T_CHECK(strstr(c.source, "docker-credential-cdhostunit") != NULL);
	T_CHECK(strstr(c.source, "credHelpers[\"helped.example.com\"]") != NULL);
	cd_creds_free(&c);
	T_EQ_INT(from("helpers.json", "tok.example.com", &c, &e), 1);
	T_EQ_STR(c.identity_token, "helper-idtoken-3"); /* Username <token> */
	cd_creds_free(&c);
	/* "credentials not found" is not an error: anonymous */
	T_EQ_INT(from("helpers.json", "missing.example.com", &c, &e), 0);
	T_CHECK(from("helpers.json", "broken.example.com", &c, &e) < 0);
	T_EQ_INT(e.code, CD_E_UNAUTHORIZED);
	T_CHECK(strstr(e.msg, "failed for broken.example.com (exit 3): keychain locked") != NULL);
	T_EQ_INT(from("store.json", "store.example.com", &c, &e), 1);
	T_EQ_STR(c.username, "store-user");
	T_CHECK(strstr(c.source, "credsStore") != NULL);
	cd_creds_free(&c);
	T_EQ_INT(from("store.json", "elsewhere.example.com", &c, &e), 0);
	struct cd_creds h;
	const char *out = "{\"ServerURL\":\"s\",\"Username\":\"u\",\"Secret\":\"\"}";
	T_EQ_INT(cd_auth_parse_helper(out, strlen(out), "t", &h, &e), 0);
	T_CHECK(cd_auth_parse_helper("[]", 2, "t", &h, &e) < 0);
}

static void lookup_order(void)
{
	struct cd_creds c;
	struct cd_err e;
	char cwd[1024], v[1200];
	T_CHECK(getcwd(cwd, sizeof cwd) != NULL);
	/* DOCKER_CONFIG first; REGISTRY_AUTH_FILE next; nothing else */
	setenv("HOME", "/nonexistent-home", 1);
	unsetenv("XDG_RUNTIME_DIR");
	unsetenv("XDG_CONFIG_HOME");
	snprintf(v, sizeof v, "%s/registry/config", cwd);
	setenv("DOCKER_CONFIG", v, 1); /* no config.json there */
	snprintf(v, sizeof v, "%s/registry/config/tokens.json", cwd);
	setenv("REGISTRY_AUTH_FILE", v, 1);
	T_EQ_INT(cd_auth_lookup("id.example.com", &c, &e), 1);
	T_EQ_STR(c.identity_token, "idtok-123");
	T_CHECK(strstr(c.source, "tokens.json") != NULL);
	cd_creds_free(&c);
	T_EQ_INT(cd_auth_lookup("nobody.example.com", &c, &e), 0);
	snprintf(v, sizeof v, "%s/registry/config/broken.json", cwd);
	setenv("REGISTRY_AUTH_FILE", v, 1);
	T_CHECK(cd_auth_lookup("nobody.example.com", &c, &e) < 0);
	unsetenv("REGISTRY_AUTH_FILE");
	unsetenv("DOCKER_CONFIG");
}

/* Messages about rejected credentials name the user and the file, never
 * the password. */
static void challenge_messages(void)
{
	struct cd_auth a;
	struct cd_err e;
	char *line = NULL;
	cd_auth_init(&a, "registry.example.com", 0, NULL, NULL, NULL);
	a.looked_up = 1;
	a.creds.username = cd_strdup("alice");
	a.creds.password = cd_strdup("Sup3r-secret");
	snprintf(a.creds.source, sizeof a.creds.source, "/home/a/.docker/config.json");
	T_EQ_INT(cd_auth_challenge(&a, "Basic realm=\"r\"", "repository:x:pull", 0, &e), 0);
	T_EQ_INT(a.scheme, CD_AUTH_BASIC);
	T_EQ_INT(cd_auth_header(&a, "repository:x:pull", &line, &e), 0);
	T_EQ_STR(line, "Authorization: Basic YWxpY2U6U3VwM3Itc2VjcmV0");
	cd_free(line);
	T_CHECK(cd_auth_challenge(&a, "Basic realm=\"r\"", "repository:x:pull", 1, &e) < 0);
	T_EQ_INT(e.code, CD_E_UNAUTHORIZED);
	T_EQ_STR(e.msg, "registry.example.com rejected user \"alice\" from "
			"/home/a/.docker/config.json");
	T_CHECK(strstr(e.msg, "Sup3r") == NULL);
	T_CHECK(cd_auth_challenge(&a, "Digest realm=x", "", 0, &e) < 0);
	T_CHECK(strstr(e.msg, "without a Basic or Bearer challenge") != NULL);
	cd_auth_free(&a);

	cd_auth_init(&a, "anon.example.com", 0, NULL, NULL, NULL);
	a.looked_up = 1;
	T_CHECK(cd_auth_challenge(&a, "Basic realm=\"r\"", "", 0, &e) < 0);
	T_CHECK(strstr(e.msg, "anon.example.com requires credentials and none were found") != NULL);
	/* a registry token is used as the bearer, no fetch */
	a.creds.registry_token = cd_strdup("rt-1");
	snprintf(a.creds.source, sizeof a.creds.source, "auth.json");
	T_EQ_INT(cd_auth_challenge(&a, "Bearer realm=\"https://a/t\",service=s", "repository:x:pull", 0, &e), 0);
	T_EQ_INT(cd_auth_header(&a, "repository:x:pull", &line, &e), 0);
	T_EQ_STR(line, "Authorization: Bearer rt-1");
	T_EQ_INT(a.fetches, 0);
	cd_free(line);
	/* insufficient_scope naming another repository: a wider token, and the
	 * request's own scope set maps to it too; the same answer after that
	 * is final */
	const char *ch = "Bearer realm=\"https://a/t\",service=s,"
			 "scope=\"repository:src:pull\",error=\"insufficient_scope\"";
	T_EQ_INT(cd_auth_challenge(&a, ch, "repository:dst:push,pull", 1, &e), 0);
	T_EQ_STR(a.last_scope, "repository:dst:pull,push repository:src:pull");
	T_EQ_INT(cd_auth_header(&a, "repository:dst:pull,push", &line, &e), 0);
	T_EQ_STR(line, "Authorization: Bearer rt-1");
	cd_free(line);
	T_CHECK(cd_auth_challenge(&a, ch, "repository:dst:push,pull", 1, &e) < 0);
	T_EQ_INT(e.code, CD_E_FORBIDDEN);
	T_EQ_STR(e.msg, "anon.example.com denied repository:dst:pull,push "
			"repository:src:pull to the token from auth.json (insufficient_scope)");
	cd_auth_free(&a);
}

int main(void)
{
	char path[2048], cwd[1024];
	if (!getcwd(cwd, sizeof cwd))
		return 1;
	snprintf(path, sizeof path, "%s/registry/bin:%s", cwd, getenv("PATH"));
	setenv("PATH", path, 1);
	T_RUN(challenges);
	T_RUN(tokens);
	T_RUN(scopes);
	T_RUN(key_hosts);
	T_RUN(config_auths);
	T_RUN(config_errors_keep_secrets);
	T_RUN(config_helpers);
	T_RUN(lookup_order);
	T_RUN(challenge_messages);
	return T_DONE();
}
