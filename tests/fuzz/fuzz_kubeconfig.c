/* kubeconfig (cd_kubeconfig_load, core/kubeconfig.c) from JSON text (the
 * YAML layer is fuzz_value_yaml's), plus cd_kubeconfig_time and
 * cd_base64_decode on the raw input.
 *
 * The loader reads one file, --kubeconfig, from an empty scratch
 * directory: its text is ignored and the parse callback hands over the
 * fuzz input instead. Absolute tokenFile paths are dropped (the fuzzer
 * must not read /dev/stdin); relative ones name nothing in the directory.
 * Exec plugins are never run (that is cd_kubeconfig_credential's job).
 *
 * Invariants: success gives a source, context, cluster, a non-empty
 * server without a trailing '/', and a namespace; failure gives a message
 * that holds no credential of the input (token, password, key data); a
 * time is -1 or finite; decoded base64 is NUL-terminated at its length. */
#include <jansson.h>
#include <math.h>
#include <unistd.h>

#include "../../core/kubeconfig.h"
#include "../../core/mem.h"
#include "fuzz.h"

static char scratch[] = "/tmp/cdhost-fuzz-kc-XXXXXX";
static char path[sizeof scratch + 16];

struct input {
	const uint8_t *data;
	size_t size;
};

static int parse(void *ud, const char *p, const char *text, size_t n,
		 json_t **out, struct cd_err *err)
{
	const struct input *in = ud;
	size_t i;
	json_t *u;
	(void)p, (void)text, (void)n;
	*out = json_loadb((const char *)in->data, in->size, 0, NULL);
	if (!*out)
		return cd_err_set(err, CD_E_INVALID, "kubeconfig", "not JSON");
	json_array_foreach(json_object_get(*out, "users"), i, u) {
		json_t *user = json_object_get(u, "user");
		const char *tf = json_string_value(json_object_get(user, "tokenFile"));
		if (tf && tf[0] == '/')
			json_object_del(user, "tokenFile");
	}
	return 0;
}

static const char *const SECRET_KEYS[] = {"token", "password",
					   "client-key-data"};

/* The input's text without its secret fields: a secret that also occurs
 * there (as a user's name, a context's reference...) may be quoted. */
static char *public_text(json_t *j)
{
	size_t i;
	json_t *u, *copy = json_deep_copy(j);
	json_array_foreach(json_object_get(copy, "users"), i, u)
		for (size_t k = 0; k < 3; k++)
			json_object_del(json_object_get(u, "user"),
					SECRET_KEYS[k]);
	char *text = json_dumps(copy, JSON_COMPACT);
	json_decref(copy);
	return text;
}

static void secrets_absent(const char *msg, const uint8_t *data, size_t size)
{
	json_t *j = json_loadb((const char *)data, size, 0, NULL);
	char *pub = j ? public_text(j) : NULL;
	size_t i;
	json_t *u;
	json_array_foreach(json_object_get(j, "users"), i, u) {
		json_t *user = json_object_get(u, "user");
		for (size_t k = 0; k < 3; k++) {
			const char *s = json_string_value(
				json_object_get(user, SECRET_KEYS[k]));
			/* short values may appear by chance */
			if (!s || strlen(s) < 8 || (pub && strstr(pub, s)))
				continue;
			FUZZ_CHECK(!strstr(msg, s), "%s '%s' in the message: %s",
				   SECRET_KEYS[k], s, msg);
		}
	}
	free(pub);
	json_decref(j);
}

static void remove_scratch(void)
{
	unlink(path);
	rmdir(scratch);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	if (!mkdtemp(scratch))
		abort();
	atexit(remove_scratch);
	snprintf(path, sizeof path, "%s/config", scratch);
	FILE *f = fopen(path, "w");
	if (!f)
		abort();
	fclose(f);
	return 0;
}

static void load(const uint8_t *data, size_t size)
{
	struct input in = {data, size};
	struct cd_kubeconfig_opts o = {0};
	struct cd_kubeconfig *kc = NULL;
	struct cd_err err = {0};
	o.kubeconfig = path;
	o.sa_dir = scratch;
	o.parse = parse;
	o.parse_ud = &in;
	if (cd_kubeconfig_load(&o, &kc, &err) != 0) {
		FUZZ_CHECK(!kc && err.msg[0], "failure without a message");
		secrets_absent(err.msg, data, size);
		return;
	}
	/* no user is an anonymous context */
	FUZZ_CHECK(kc->source && kc->context && kc->cluster, "missing names");
	FUZZ_CHECK(kc->server && kc->server[0], "empty server");
	FUZZ_CHECK(kc->server[strlen(kc->server) - 1] != '/',
		   "trailing '/' in %s", kc->server);
	FUZZ_CHECK(kc->namespace_ && kc->namespace_[0], "no namespace");
	cd_kubeconfig_free(kc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size), *dec = NULL;
	size_t len = 0;
	double t = cd_kubeconfig_time(s);
	FUZZ_CHECK(t == -1 || isfinite(t), "time '%s' -> %g", s, t);
	if (cd_base64_decode(s, size, &dec, &len) == 0) {
		FUZZ_CHECK(dec && dec[len] == '\0' && len <= size,
			   "decoded %zu of %zu bytes", len, size);
		cd_free(dec);
	}
	free(s);
	load(data, size);
	return 0;
}
