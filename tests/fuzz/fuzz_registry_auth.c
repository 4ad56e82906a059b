/* WWW-Authenticate challenges and token scopes (core/auth.c), the
 * config.json key -> host mapping, and the HTTP helpers a registry
 * response goes through (cd_http_header, cd_http_retry_after).
 *
 * Invariants: at most max challenges, each with a non-empty scheme and at
 * most CD_AUTH_MAX_PARAMS parameters, each found again by its key;
 * normalising a scope set is idempotent; a header value has no line break
 * and fits its buffer; a Retry-After delay is -1 or a non-negative number. */
#include <math.h>

#include "../../core/auth.h"
#include "../../core/http.h"
#include "fuzz.h"

static void challenges(const char *s)
{
	struct cd_auth_challenge c[4];
	int n = cd_auth_parse_challenges(s, c, 4);
	FUZZ_CHECK(n >= -1 && n <= 4, "returned %d", n);
	for (int i = 0; i < n; i++) {
		FUZZ_CHECK(c[i].scheme[0], "empty scheme");
		FUZZ_CHECK(c[i].n <= CD_AUTH_MAX_PARAMS, "%zu params", c[i].n);
		for (size_t k = 0; k < c[i].n; k++) {
			FUZZ_CHECK(c[i].params[k].key && c[i].params[k].value,
				   "NULL param");
			FUZZ_CHECK(cd_auth_challenge_param(
					   &c[i], c[i].params[k].key) != NULL,
				   "param %s not found", c[i].params[k].key);
		}
		cd_auth_challenge_free(&c[i]);
	}
}

static void scopes(const char *s)
{
	char *a = cd_auth_scope_normal(s);
	if (!a)
		return;
	char *b = cd_auth_scope_normal(a);
	FUZZ_CHECK(b && strcmp(a, b) == 0, "'%s' -> '%s' -> '%s'", s, a,
		   b ? b : "(null)");
	free(a);
	free(b);
}

static void headers(const char *s)
{
	static const char *const names[] = {"Retry-After", "WWW-Authenticate",
					    "Content-Type", "Location", "Link",
					    "Docker-Content-Digest", ""};
	struct cd_http_resp r;
	char buf[64];
	memset(&r, 0, sizeof r);
	r.headers.data = (char *)s;
	r.headers.len = strlen(s);
	for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
		const char *v = cd_http_header(&r, names[i], buf, sizeof buf);
		if (!v)
			continue;
		FUZZ_CHECK(v == buf && strlen(v) < sizeof buf, "overflow");
		FUZZ_CHECK(fuzz_none_of(v, "\n"), "line break in '%s'", v);
		double d = cd_http_retry_after(v, 1.7e9);
		FUZZ_CHECK(d == -1 || (d >= 0 && !isnan(d)),
			   "Retry-After '%s' -> %g", v, d);
	}
	double d = cd_http_retry_after(s, 1.7e9);
	FUZZ_CHECK(d == -1 || (d >= 0 && !isnan(d)), "Retry-After -> %g", d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size);
	char host[300];

	challenges(s);
	scopes(s);
	headers(s);
	cd_auth_key_host(s, host, sizeof host);
	FUZZ_CHECK(strlen(host) < sizeof host, "key host overflow");
	free(s);
	return 0;
}
