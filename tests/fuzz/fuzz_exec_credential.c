/* Exec-plugin output (cd_kubeconfig_exec_parse, core/kubeconfig.c): what
 * a client-go credential plugin prints, read into the kubeconfig's cache.
 *
 * Invariants, against an independent reading of the input with jansson:
 * success exactly when it is an ExecCredential object of the expected
 * apiVersion with a non-empty status.token or non-empty
 * clientCertificateData and clientKeyData, and no or an RFC 3339
 * expirationTimestamp; then the cache holds those values (empty ones as
 * NULL), is marked cached and expires at that time (0: never); failure
 * leaves the previous cache alone and the message names the command and
 * quotes no token, certificate or key (of 8 bytes or more: shorter ones
 * occur by chance) of the input: one that occurs in the
 * message must occur there too when the secrets are replaced by others of
 * the same length (it is then part of the fixed text or of the quoted
 * apiVersion). */
#include <jansson.h>
#include <math.h>

#include "../../core/kubeconfig.h"
#include "../../core/mem.h"
#include "fuzz.h"

#define API "client.authentication.k8s.io/v1"
#define CMD "fuzz-plugin"

static const char *str_at(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static int nonempty(const char *s)
{
	return s && *s;
}

static int streq(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static const char *const SECRET_KEYS[] = {"token", "clientCertificateData",
					   "clientKeyData"};

static void setup(struct cd_kube_exec *e, char *cmd, char *api, char **none)
{
	memset(e, 0, sizeof *e);
	e->command = cmd;
	e->args = none;
	e->env = none;
	e->api_version = api;
	/* a previous credential, which a failure must keep */
	e->cached = 1;
	e->token = cd_strdup("previous-token");
	e->expires = 1;
}

static void teardown(struct cd_kube_exec *e)
{
	cd_free(e->token);
	cd_free(e->cert_pem);
	cd_free(e->key_pem);
}

/* The message for the same output with every secret replaced by another
 * string of its length: what the message says whatever the secrets are. */
static char *message_without_secrets(json_t *j)
{
	char cmd[] = CMD, api[] = API, *none[] = {NULL};
	json_t *copy = json_deep_copy(j), *st = json_object_get(copy, "status");
	for (size_t k = 0; k < 3; k++) {
		const char *v = json_string_value(json_object_get(st, SECRET_KEYS[k]));
		if (!v)
			continue;
		char *w = strdup(v);
		for (char *c = w; *c; c++)
			*c = *c == 'q' ? 'w' : 'q';
		json_object_set_new(st, SECRET_KEYS[k], json_string(w));
		free(w);
	}
	char *text = json_dumps(copy, JSON_COMPACT);
	struct cd_kube_exec e;
	struct cd_err err = {0};
	setup(&e, cmd, api, none);
	cd_kubeconfig_exec_parse(&e, text, strlen(text), &err);
	teardown(&e);
	free(text);
	json_decref(copy);
	return strdup(err.msg);
}

/* No secret of 8 bytes or more of the input in msg, unless the message
 * holds it whatever the secrets are (a token "redentia" is in
 * "ExecCredential"). */
static void secrets_absent(const char *msg, json_t *j)
{
	json_t *st = json_object_get(j, "status");
	char *plain = NULL;
	for (size_t k = 0; k < 3; k++) {
		const char *s = json_string_value(json_object_get(st, SECRET_KEYS[k]));
		/* short ones occur by chance (in the byte count...) */
		if (!s || strlen(s) < 8 || !strstr(msg, s))
			continue;
		if (!plain)
			plain = message_without_secrets(j);
		FUZZ_CHECK(strstr(plain, s), "%s '%s' in the message: %s",
			   SECRET_KEYS[k], s, msg);
	}
	free(plain);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char cmd[] = CMD, api[] = API, *none[] = {NULL};
	struct cd_kube_exec e;
	struct cd_err err = {0};
	setup(&e, cmd, api, none);

	json_t *j = json_loadb((const char *)data, size, 0, NULL);
	json_t *st = json_object_get(j, "status");
	const char *tok = str_at(st, "token"),
		   *crt = str_at(st, "clientCertificateData"),
		   *key = str_at(st, "clientKeyData"),
		   *exp = str_at(st, "expirationTimestamp");
	double t = exp ? cd_kubeconfig_time(exp) : 0;
	int ok = json_is_object(j) && streq(str_at(j, "kind"), "ExecCredential") &&
		 streq(str_at(j, "apiVersion"), API) &&
		 (nonempty(tok) || (nonempty(crt) && nonempty(key))) && t >= 0;

	int rc = cd_kubeconfig_exec_parse(&e, (const char *)data, size, &err);
	FUZZ_CHECK((rc == 0) == ok, "rc %d, model %d: %s", rc, ok, err.msg);
	if (rc == 0) {
		FUZZ_CHECK(e.cached && e.expires == t && isfinite(e.expires),
			   "cache state");
		FUZZ_CHECK(streq(e.token, nonempty(tok) ? tok : NULL) &&
				   streq(e.cert_pem, nonempty(crt) ? crt : NULL) &&
				   streq(e.key_pem, nonempty(key) ? key : NULL),
			   "cached values differ from the output");
	} else {
		FUZZ_CHECK(err.code == CD_E_UNAUTHORIZED && strstr(err.msg, CMD),
			   "code %d: %s", (int)err.code, err.msg);
		FUZZ_CHECK(e.cached && streq(e.token, "previous-token") &&
				   e.expires == 1,
			   "a failure changed the cache");
		secrets_absent(err.msg, j);
	}
	teardown(&e);
	json_decref(j);
	return 0;
}
