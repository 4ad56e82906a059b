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
 * quotes no token, certificate or key of the input (unless it also occurs
 * in the apiVersion, which is quoted). */
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

/* The message may quote the public apiVersion; a secret may occur there
 * or in the fixed text by chance (short ones anywhere). */
static void secret_absent(const char *msg, const char *s, const char *av)
{
	if (s && strlen(s) >= 8 && !strstr(CMD " " API, s) &&
	    !(av && strstr(av, s)))
		FUZZ_CHECK(!strstr(msg, s), "'%s' in the message: %s", s, msg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char cmd[] = CMD, api[] = API, *args[] = {NULL};
	struct cd_kube_exec e = {0};
	struct cd_err err = {0};
	e.command = cmd;
	e.args = args;
	e.env = args;
	e.api_version = api;
	/* a previous credential, which a failure must keep */
	e.cached = 1;
	e.token = cd_strdup("previous-token");
	e.expires = 1;

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
		const char *av = str_at(j, "apiVersion");
		secret_absent(err.msg, tok, av);
		secret_absent(err.msg, crt, av);
		secret_absent(err.msg, key, av);
	}
	cd_free(e.token);
	cd_free(e.cert_pem);
	cd_free(e.key_pem);
	json_decref(j);
	return 0;
}
