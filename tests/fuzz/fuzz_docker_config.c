/* Registry credentials read from outside: docker config.json / podman
 * auth.json (cd_auth_from_config), credential helper output
 * (cd_auth_parse_helper) and token server responses (cd_auth_parse_token),
 * all in core/auth.c.
 *
 * Invariants: 1 means credentials were found (and named by source), 0 none
 * (nothing allocated), negative an error with a message; no secret of the
 * input (auth, password, identitytoken, registrytoken, Secret, token) ever
 * appears in an error message; a token response yields a token and a
 * positive lifetime. Inputs that name a credential helper (credHelpers,
 * credsStore) go only to the output parsers: running helpers is not for a
 * fuzzer. */
#include <jansson.h>

#include "../../core/auth.h"
#include "fuzz.h"

#define SECRETS_MAX 16

struct secrets {
	const char *s[SECRETS_MAX];
	size_t n;
};

/* Short strings could appear in a message by chance (a key, a path). */
static void add(struct secrets *z, const json_t *v)
{
	const char *s = json_string_value(v);
	if (s && strlen(s) >= 8 && z->n < SECRETS_MAX)
		z->s[z->n++] = s;
}

static void collect(struct secrets *z, const json_t *j)
{
	static const char *const keys[] = {"auth", "password", "identitytoken",
					   "registrytoken", "Secret", "token",
					   "access_token", "refresh_token"};
	const char *k;
	json_t *e;
	for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
		add(z, json_object_get(j, keys[i]));
	json_object_foreach(json_object_get(j, "auths"), k, e)
		for (size_t i = 0; i < 4; i++)
			add(z, json_object_get(e, keys[i]));
}

static void no_secret(const struct secrets *z, const char *msg,
		      const char *text)
{
	for (size_t i = 0; i < z->n; i++)
		FUZZ_CHECK(!strstr(msg, z->s[i]) || strstr(text, z->s[i]) != NULL,
			   "secret '%s' in the message: %s", z->s[i], msg);
}

static void creds_result(int rc, const struct cd_creds *c,
			 const struct cd_err *err, const struct secrets *z,
			 const char *names)
{
	FUZZ_CHECK(rc >= -64 && rc <= 1, "returned %d", rc);
	if (rc < 0) {
		FUZZ_CHECK(err->msg[0], "error without a message");
		no_secret(z, err->msg, names);
	} else if (rc == 1) {
		FUZZ_CHECK(cd_creds_any(c) && c->source[0],
			   "found credentials without any / without a source");
		no_secret(z, c->source, names);
	} else {
		FUZZ_CHECK(!c->username && !c->password && !c->identity_token &&
				   !c->registry_token,
			   "0 with credentials");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	json_t *j = json_loadb(text, size, 0, NULL);
	struct secrets z = {{0}, 0};
	struct cd_creds c;
	struct cd_token t;
	struct cd_err err;
	char host[300] = "docker.io", names[1024] = "fuzz-config.json docker.io";
	int rc;

	if (json_is_object(j))
		collect(&z, j);
	/* Look up the host of the first auths key, so entries match. */
	const char *key;
	json_t *e;
	json_object_foreach(json_object_get(j, "auths"), key, e) {
		cd_auth_key_host(key, host, sizeof host);
		break;
	}
	/* A message may name keys and the host: secrets equal to those are
	 * not leaks. */
	json_object_foreach(json_object_get(j, "auths"), key, e) {
		size_t len = strlen(names);
		snprintf(names + len, sizeof names - len, " %s", key);
	}
	snprintf(names + strlen(names), sizeof names - strlen(names), " %s",
		 host);

	if (!json_object_get(j, "credHelpers") &&
	    !json_object_get(j, "credsStore")) {
		memset(&err, 0, sizeof err);
		memset(&c, 0, sizeof c); /* untouched when nothing is found */
		rc = cd_auth_from_config(text, size, "fuzz-config.json", host, &c,
					 &err);
		creds_result(rc, &c, &err, &z, names);
		cd_creds_free(&c);
	}

	memset(&err, 0, sizeof err);
	memset(&c, 0, sizeof c);
	rc = cd_auth_parse_helper(text, size, "fuzz-helper", &c, &err);
	creds_result(rc, &c, &err, &z, names);
	cd_creds_free(&c);

	memset(&err, 0, sizeof err);
	if (cd_auth_parse_token(text, size, &t, &err) == 0) {
		FUZZ_CHECK(t.token && t.token[0], "no token");
		FUZZ_CHECK(t.expires_in > 0, "expires_in %g", t.expires_in);
		cd_token_free(&t);
	} else {
		FUZZ_CHECK(err.msg[0], "error without a message");
		no_secret(&z, err.msg, names);
	}
	json_decref(j);
	return 0;
}
