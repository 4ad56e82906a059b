/* Skaffold's build artifacts file (cd_artifacts_parse, cd_artifacts_write,
 * cd_artifacts_find; core/artifacts.c), as `cdhost deploy -a` reads it.
 *
 * Invariants: success gives exactly the entries of the input's "builds"
 * list (an independent jansson walk: each has string imageName and tag, in
 * order); find returns the first entry of each name; writing and parsing
 * again gives the same entries and writing that gives the same bytes;
 * failure leaves nothing allocated, a message and no entries, and happens
 * exactly when the input is not JSON with a "builds" list of entries that
 * have string imageName and tag. */
#include <jansson.h>

#include "../../core/artifacts.h"
#include "fuzz.h"

/* 1 when the input has the shape the parser accepts. */
static int shape_ok(json_t *root)
{
	json_t *builds = json_object_get(root, "builds"), *b;
	size_t i;
	if (!json_is_array(builds))
		return 0;
	json_array_foreach(builds, i, b) {
		if (!json_is_string(json_object_get(b, "imageName")) ||
		    !json_is_string(json_object_get(b, "tag")))
			return 0;
	}
	return 1;
}

static void same_entries(const struct cd_artifacts *a, json_t *builds)
{
	FUZZ_CHECK(a->n == json_array_size(builds), "%zu entries of %zu", a->n,
		   json_array_size(builds));
	for (size_t i = 0; i < a->n; i++) {
		json_t *b = json_array_get(builds, i);
		/* C strings: a value with a NUL byte is cut there */
		FUZZ_CHECK(strcmp(a->v[i].image, json_string_value(json_object_get(
						     b, "imageName"))) == 0 &&
				   strcmp(a->v[i].tag,
					  json_string_value(json_object_get(
						  b, "tag"))) == 0,
			   "entry %zu differs", i);
		const struct cd_artifact *f = cd_artifacts_find(a, a->v[i].image);
		FUZZ_CHECK(f && f <= &a->v[i] && strcmp(f->image, a->v[i].image) == 0,
			   "find of entry %zu", i);
		for (const struct cd_artifact *e = a->v; e < f; e++)
			FUZZ_CHECK(strcmp(e->image, a->v[i].image) != 0,
				   "find did not return the first");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cd_artifacts a, b;
	struct cd_err err = {0};
	json_t *root = json_loadb((const char *)data, size, 0, NULL);
	int ok = root && shape_ok(root);
	int rc = cd_artifacts_parse((const char *)data, size, &a, &err);
	FUZZ_CHECK((rc == 0) == ok, "parse rc %d, shape %d: %s", rc, ok,
		   err.msg);
	if (rc != 0) {
		FUZZ_CHECK(a.n == 0 && !a.v && err.msg[0], "failure state");
		FUZZ_CHECK(!strchr(err.msg, '\n'), "multi-line message");
		json_decref(root);
		return 0;
	}
	same_entries(&a, json_object_get(root, "builds"));
	struct cd_buf w1 = {0}, w2 = {0};
	FUZZ_CHECK(cd_artifacts_write(&a, &w1) == 0, "write");
	FUZZ_CHECK(cd_artifacts_parse(w1.data, w1.len, &b, &err) == 0,
		   "written text does not parse: %s", err.msg);
	FUZZ_CHECK(b.n == a.n, "re-read %zu of %zu", b.n, a.n);
	for (size_t i = 0; i < a.n; i++)
		FUZZ_CHECK(strcmp(a.v[i].image, b.v[i].image) == 0 &&
				   strcmp(a.v[i].tag, b.v[i].tag) == 0,
			   "entry %zu changed by write+parse", i);
	FUZZ_CHECK(cd_artifacts_write(&b, &w2) == 0 && w1.len == w2.len &&
			   memcmp(w1.data, w2.data, w1.len) == 0,
		   "writing is not a fixed point");
	cd_buf_free(&w1);
	cd_buf_free(&w2);
	cd_artifacts_free(&a);
	cd_artifacts_free(&b);
	json_decref(root);
	return 0;
}
