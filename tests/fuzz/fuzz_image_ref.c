/* Image references (cd_ref_parse, core/registry.c).
 *
 * Invariants: a refused reference says why; an accepted one has a domain
 * and a path, a tag or a digest; its canonical string (cd_ref_string)
 * parses back to the same reference and is a fixed point. */
#include "../../core/registry.h"
#include "fuzz.h"

static void same_ref(const struct cd_ref *a, const struct cd_ref *b,
		     const char *text)
{
	FUZZ_CHECK(strcmp(a->domain, b->domain) == 0 &&
			   strcmp(a->path, b->path) == 0 &&
			   strcmp(a->tag, b->tag) == 0 &&
			   strcmp(a->digest, b->digest) == 0,
		   "'%s' reparses as %s/%s:%s@%s (was %s/%s:%s@%s)", text,
		   b->domain, b->path, b->tag, b->digest, a->domain, a->path,
		   a->tag, a->digest);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size);
	struct cd_ref r, r2, r3;
	struct cd_err err = {0};
	char text[1024], text2[1024];

	if (cd_ref_parse(s, &r, &err) != 0) {
		FUZZ_CHECK(err.code != 0 && err.msg[0], "refused without a reason");
		goto done;
	}
	FUZZ_CHECK(r.domain[0] && r.path[0], "empty domain or path");
	FUZZ_CHECK(r.tag[0] || r.digest[0], "neither tag nor digest");
	cd_ref_string(&r, text, sizeof text);
	FUZZ_CHECK(cd_ref_parse(text, &r2, &err) == 0,
		   "canonical '%s' of '%s' does not parse: %s", text, s,
		   err.msg);
	same_ref(&r, &r2, text);
	cd_ref_string(&r2, text2, sizeof text2);
	FUZZ_CHECK(strcmp(text, text2) == 0, "'%s' -> '%s'", text, text2);
	cd_ref_name(&r, text, sizeof text);
	FUZZ_CHECK(cd_ref_parse(text, &r3, &err) == 0,
		   "name '%s' does not parse: %s", text, err.msg);
	FUZZ_CHECK(strcmp(r3.domain, r.domain) == 0 &&
			   strcmp(r3.path, r.path) == 0,
		   "name '%s' changes the repository", text);
done:
	free(s);
	return 0;
}
