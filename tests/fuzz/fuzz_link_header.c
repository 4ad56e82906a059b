/* The next page of a paginated registry list from a `Link` header
 * (cd_registry_next_link, core/registry.c), the input being the header's
 * value; its first byte picks the registry's base URL.
 *
 * Invariants: the result is 0 or 1; a URL fits its buffer, is NUL-terminated
 * and holds no space or control character; it is an http(s) URL or the base
 * followed by '/', and what follows is a `<...>` of the input; no '<' or no
 * "next" in the input means no URL; the same URL with a buffer of exactly
 * its size, none with one byte less; a link-value of another relation put
 * before or after the header changes nothing (a rel="next" is taken from
 * its own link-value only). */
#include <strings.h>

#include "../../core/registry.h"
#include "fuzz.h"

static const char *const bases[] = {"https://registry.example",
				    "http://127.0.0.1:5000",
				    "https://r.example.com:8443"};

static int has_next(const char *s)
{
	for (; *s; s++)
		if (strncasecmp(s, "next", 4) == 0)
			return 1;
	return 0;
}

static int call(const char *base, const char *v, char *url, size_t n)
{
	int rc = cd_registry_next_link(base, v, url, n);
	FUZZ_CHECK(rc == 0 || rc == 1, "returned %d", rc);
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	const char *base = bases[data[0] % 3];
	char *v = fuzz_cstr(data + 1, size - 1);
	char url[2048], again[2048];
	int rc = call(base, v, url, sizeof url);
	if (!strchr(v, '<') || !has_next(v))
		FUZZ_CHECK(rc == 0, "'%s' gave '%s'", v, url);
	if (rc == 1) {
		size_t ul = strnlen(url, sizeof url);
		FUZZ_CHECK(ul < sizeof url, "not terminated");
		FUZZ_CHECK(ul > 0, "empty URL");
		for (size_t i = 0; i < ul; i++)
			FUZZ_CHECK((unsigned char)url[i] > ' ' && url[i] != 0x7f,
				   "byte 0x%02x at %zu of '%s'",
				   (unsigned char)url[i], i, url);
		size_t bl = strlen(base);
		char in[2060];
		int found = 0;
		FUZZ_CHECK(strncmp(url, "http://", 7) == 0 ||
				   strncmp(url, "https://", 8) == 0,
			   "'%s' is not an http(s) URL", url);
		snprintf(in, sizeof in, "<%s>", url);
		found = strstr(v, in) != NULL; /* given in full */
		if (!found && strncmp(url, base, bl) == 0 && url[bl] == '/') {
			/* relative, with or without its leading '/' */
			snprintf(in, sizeof in, "<%s>", url + bl);
			found = strstr(v, in) != NULL;
			snprintf(in, sizeof in, "<%s>", url + bl + 1);
			found = found || strstr(v, in) != NULL;
		}
		FUZZ_CHECK(found, "'%s' is neither in '%s' nor base + one of it",
			   url, v);
		/* a buffer of exactly the size, then one byte less */
		char *exact = malloc(ul + 1), *small = malloc(ul);
		FUZZ_CHECK(exact && small, "out of memory");
		FUZZ_CHECK(call(base, v, exact, ul + 1) == 1 &&
				   strcmp(exact, url) == 0,
			   "exact buffer: '%s'", exact);
		FUZZ_CHECK(call(base, v, small, ul) == 0, "one byte short");
		free(exact);
		free(small);
	}
	/* other relations around it change nothing */
	size_t vl = strlen(v);
	char *w = malloc(vl + 200);
	FUZZ_CHECK(w, "out of memory");
	snprintf(w, vl + 200, "<https://other.example/prev?n=1>; rel=\"prev\", %s",
		 v);
	int rc2 = call(base, w, again, sizeof again);
	FUZZ_CHECK(rc2 == rc && (!rc || strcmp(again, url) == 0),
		   "a rel=prev before it: %d '%s' vs %d '%s'", rc2,
		   rc2 ? again : "", rc, rc ? url : "");
	if (rc == 1) {
		snprintf(w, vl + 200, "%s, <https://other.example/last>; rel=last",
			 v);
		rc2 = call(base, w, again, sizeof again);
		FUZZ_CHECK(rc2 == 1 && strcmp(again, url) == 0,
			   "a rel=last after it: %d '%s' vs '%s'", rc2,
			   rc2 ? again : "", url);
	}
	free(w);
	free(v);
	return 0;
}
