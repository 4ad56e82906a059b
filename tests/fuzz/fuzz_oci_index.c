/* OCI and Docker manifests and indexes as a base image brings them:
 * cd_image_index_pick (the platform children of an index) and
 * cd_image_manifest_json (a base manifest's layers carried into ours),
 * core/image_build.c, plus cd_mt_is_index.
 *
 * Invariants of the pick, for several platform lists and caps, against an
 * independent walk of the input with jansson: the children picked are the
 * matching ones in the index's order (os/arch matches any variant,
 * os/arch/variant only that one; no list: every os but "unknown"), at most
 * the cap, each with a valid digest; CD_E_INVALID exactly when the input
 * has no manifests list or a picked child has no valid digest or an
 * over-long platform field, CD_E_NOT_FOUND when nothing or not one child
 * per platform asked matches; the message names the index.
 * Of the manifest: success exactly when every base layer is a descriptor
 * (valid digest, integer size >= 0); then the output is JSON of the base's
 * family whose layers are the base's, unchanged. */
#include <jansson.h>

#include "../../core/digest.h"
#include "../../core/image.h"
#include "../../core/mem.h"
#include "fuzz.h"

#define WHAT "base.example/img:1"
#define MAX 64

static const char *jstr(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "";
}

static int model_match(const char *want, const char *os, const char *arch,
		       const char *var)
{
	size_t n = strlen(os) + strlen(arch) + strlen(var) + 3;
	char *a = malloc(n), *b = malloc(n);
	snprintf(a, n, "%s/%s", os, arch);
	snprintf(b, n, "%s/%s/%s", os, arch, var);
	int m = strcmp(want, a) == 0 || (*var && strcmp(want, b) == 0);
	free(a);
	free(b);
	return m;
}

static int model_wanted(const char *const *pl, size_t np, const json_t *p)
{
	const char *os = jstr(p, "os"), *arch = jstr(p, "architecture"),
		   *var = jstr(p, "variant");
	if (np == 0)
		return strcmp(os, "unknown") != 0;
	for (size_t i = 0; i < np; i++)
		if (model_match(pl[i], os, arch, var))
			return 1;
	return 0;
}

static int fits(const json_t *p)
{
	return strlen(jstr(p, "os")) < 32 &&
	       strlen(jstr(p, "architecture")) < 32 &&
	       strlen(jstr(p, "variant")) < 32;
}

static void pick(json_t *j, const char *data, size_t size,
		 const char *const *pl, size_t np, size_t max)
{
	struct cd_image_platform out[MAX];
	size_t n = 99, i;
	struct cd_err err = {0};
	int rc = cd_image_index_pick(data, size, WHAT, pl, np, out, max, &n,
				     &err);
	/* the model */
	json_t *ms = json_object_get(j, "manifests"), *d;
	int want = 0; /* 0 ok, else the error code */
	size_t k = 0;
	if (!json_is_array(ms))
		want = CD_E_INVALID;
	json_array_foreach(ms, i, d) {
		const json_t *p = json_object_get(d, "platform");
		if (!model_wanted(pl, np, p) || k == max)
			continue;
		if (!cd_digest_valid(jstr(d, "digest")) || !fits(p)) {
			want = CD_E_INVALID;
			break;
		}
		if (rc == 0) {
			FUZZ_CHECK(k < n && strcmp(out[k].digest,
						   jstr(d, "digest")) == 0 &&
					   strcmp(out[k].os, jstr(p, "os")) == 0 &&
					   strcmp(out[k].arch,
						  jstr(p, "architecture")) == 0 &&
					   strcmp(out[k].variant,
						  jstr(p, "variant")) == 0,
				   "child %zu (manifests[%zu]) differs", k, i);
		}
		k++;
	}
	if (!want && (k == 0 || (np && k != np)))
		want = CD_E_NOT_FOUND;
	FUZZ_CHECK(rc == -want, "rc %d, model %d (np %zu, max %zu): %s", rc,
		   -want, np, max, err.msg);
	if (rc == 0) {
		FUZZ_CHECK(n == k && n >= 1 && n <= max, "n %zu, model %zu", n, k);
		for (i = 0; i < n; i++)
			FUZZ_CHECK(cd_digest_valid(out[i].digest), "digest");
	} else {
		FUZZ_CHECK(n == 0 && strstr(err.msg, WHAT), "n %zu: %s", n,
			   err.msg);
	}
}

static int layers_ok(const json_t *ls)
{
	size_t i;
	json_t *d;
	if (!json_is_array(ls))
		return 0;
	json_array_foreach(ls, i, d) {
		json_t *sz = json_object_get(d, "size");
		if (!cd_digest_valid(jstr(d, "digest")) || !json_is_integer(sz) ||
		    json_integer_value(sz) < 0)
			return 0;
	}
	return 1;
}

static void manifest(json_t *j, const char *data, size_t size)
{
	static const char cfg[] = "sha256:"
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
	char *out = NULL, mt[128] = "";
	size_t len = 0;
	struct cd_err err = {0};
	const char *bmt = jstr(j, "mediaType");
	int rc = cd_image_manifest_json(data, size, bmt, cfg, 0, NULL, 0, NULL,
					&out, &len, mt, &err);
	int ok = layers_ok(json_object_get(j, "layers"));
	FUZZ_CHECK((rc == 0) == ok, "manifest rc %d, model %d: %s", rc, ok,
		   err.msg);
	if (rc != 0) {
		FUZZ_CHECK(!out && err.msg[0], "failure state");
		return;
	}
	json_t *m = json_loadb(out, len, 0, NULL);
	FUZZ_CHECK(m && len == strlen(out), "output is not JSON");
	FUZZ_CHECK(strcmp(jstr(m, "mediaType"), mt) == 0 &&
			   strcmp(mt, strcmp(bmt, CD_MT_DOCKER_MANIFEST) == 0
					      ? CD_MT_DOCKER_MANIFEST
					      : CD_MT_OCI_MANIFEST) == 0,
		   "media type %s for a base of %s", mt, bmt);
	FUZZ_CHECK(!cd_mt_is_index(mt), "a manifest typed as an index");
	FUZZ_CHECK(json_equal(json_object_get(m, "layers"),
			      json_object_get(j, "layers")),
		   "the base layers changed");
	json_decref(m);
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const one[] = {"linux/amd64"};
	static const char *const two[] = {"linux/arm64/v8", "linux/amd64"};
	const char *s = (const char *)data;
	json_t *j = json_loadb(s, size, 0, NULL);
	pick(j, s, size, NULL, 0, MAX);
	pick(j, s, size, NULL, 0, 2);
	pick(j, s, size, one, 1, MAX);
	pick(j, s, size, two, 2, MAX);
	manifest(j, s, size);
	const char *mt = jstr(j, "mediaType");
	FUZZ_CHECK(cd_mt_is_index(mt) == (strcmp(mt, CD_MT_OCI_INDEX) == 0 ||
					  strcmp(mt, CD_MT_DOCKER_LIST) == 0),
		   "cd_mt_is_index(%s)", mt);
	json_decref(j);
	return 0;
}
