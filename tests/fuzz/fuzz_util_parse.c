/* Durations, sizes and counts from flags and recipes (core/util.c).
 *
 * Invariants: a duration is finite and non-negative, and what
 * cd_format_duration writes for it parses back to within the format's
 * rounding; a count equals the digits read as a number (underscores
 * dropped); a size is the leading number shifted by its suffix. */
#include <ctype.h>
#include <math.h>

#include "../../core/util.h"
#include "fuzz.h"

static void duration(const char *s)
{
	double d, back;
	char buf[64];
	struct cd_err err = {0};
	if (cd_parse_duration(s, &d, &err) != 0) {
		FUZZ_CHECK(err.msg[0], "refused without a reason");
		return;
	}
	FUZZ_CHECK(isfinite(d) && d >= 0, "'%s' -> %g", s, d);
	if (d >= 1e9) /* cd_format_duration prints hours as an int */
		return;
	cd_format_duration(d, buf, sizeof buf);
	FUZZ_CHECK(cd_parse_duration(buf, &back, &err) == 0,
		   "formatted '%s' of '%s' does not parse: %s", buf, s, err.msg);
	/* %.2fs below a minute, whole seconds below an hour, else minutes */
	double tol = d < 60 ? 0.006 : d < 3600 ? 1.0 : 60.0;
	FUZZ_CHECK(fabs(back - d) <= tol, "'%s' = %.17g, formatted '%s' = %.17g",
		   s, d, buf, back);
}

static void count(const char *s)
{
	uint64_t v, want = 0;
	struct cd_err err = {0};
	if (cd_parse_count(s, &v, &err) != 0) {
		FUZZ_CHECK(err.msg[0], "refused without a reason");
		return;
	}
	FUZZ_CHECK(isdigit((unsigned char)s[0]), "'%s' accepted", s);
	for (const char *p = s; *p; p++) {
		FUZZ_CHECK(isdigit((unsigned char)*p) || *p == '_',
			   "'%s' accepted", s);
		if (*p != '_')
			want = want * 10 + (uint64_t)(*p - '0');
	}
	FUZZ_CHECK(v == want, "'%s' -> %llu", s, (unsigned long long)v);
}

static void size(const char *s)
{
	uint64_t v;
	struct cd_err err = {0};
	if (cd_parse_size(s, &v, &err) != 0) {
		FUZZ_CHECK(err.msg[0], "refused without a reason");
		return;
	}
	char *end;
	unsigned long long n = strtoull(s, &end, 10);
	FUZZ_CHECK(isdigit((unsigned char)s[0]), "'%s' accepted", s);
	unsigned shift = 0;
	switch (tolower((unsigned char)*end)) {
	case 'k': shift = 10; break;
	case 'm': shift = 20; break;
	case 'g': shift = 30; break;
	case 't': shift = 40; break;
	}
	FUZZ_CHECK(shift == 0 || n <= (UINT64_MAX >> shift), "'%s' overflows",
		   s);
	FUZZ_CHECK(v == (uint64_t)n << shift, "'%s' -> %llu", s,
		   (unsigned long long)v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size_)
{
	char *s = fuzz_cstr(data, size_);
	duration(s);
	count(s);
	size(s);
	free(s);
	return 0;
}
