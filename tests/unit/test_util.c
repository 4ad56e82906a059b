/* core/util.c: durations, sizes, counts. */
#include <math.h>

#include "../../core/util.h"
#include "t.h"

static void durations_go_grammar(void)
{
	struct cd_err e;
	double s;
	static const struct {
		const char *in;
		double want;
	} ok[] = {{"90s", 90},      {"5m", 300},       {"1h30m", 5400},
		  {"250ms", 0.25},  {"1.5h", 5400},    {"30", 30},
		  {"2.5", 2.5},     {"1m30.5s", 90.5}, {"0", 0},
		  {"100us", 1e-4},  {"3ns", 3e-9},     {"+2s", 2}};
	for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
		T_EQ_INT(cd_parse_duration(ok[i].in, &s, &e), 0);
		T_CHECK(fabs(s - ok[i].want) < 1e-12);
	}
}

static void durations_refused(void)
{
	struct cd_err e;
	double s;
	static const char *const bad[] = {"", "-5s", "5x", "m", "1h30", "s5",
					  "1..5s", "inf", "nan", "5 s"};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		T_CHECK(cd_parse_duration(bad[i], &s, &e) != 0);
		T_EQ_INT(e.code, CD_E_INVALID);
	}
	cd_parse_duration("5x", &s, &e);
	T_CHECK(strstr(e.msg, "'5x'") != NULL);
}

static void sizes(void)
{
	struct cd_err e;
	uint64_t b;
	T_EQ_INT(cd_parse_size("512M", &b, &e), 0);
	T_EQ_INT(b, 512ull << 20);
	T_EQ_INT(cd_parse_size("1G", &b, &e), 0);
	T_EQ_INT(b, 1ull << 30);
	T_EQ_INT(cd_parse_size("64MiB", &b, &e), 0);
	T_EQ_INT(b, 64ull << 20);
	T_EQ_INT(cd_parse_size("4096", &b, &e), 0);
	T_EQ_INT(b, 4096);
	T_EQ_INT(cd_parse_size("0", &b, &e), 0);
	T_EQ_INT(b, 0);
	T_CHECK(cd_parse_size("12Q", &b, &e) != 0);
	T_CHECK(cd_parse_size("-1M", &b, &e) != 0);
	T_CHECK(cd_parse_size("", &b, &e) != 0);
	T_CHECK(cd_parse_size("99999999999999999999T", &b, &e) != 0);
	T_CHECK(cd_parse_size("17000000000000T", &b, &e) != 0); /* overflow */
}

static void counts(void)
{
	struct cd_err e;
	uint64_t n;
	T_EQ_INT(cd_parse_count("1000000", &n, &e), 0);
	T_EQ_INT(n, 1000000);
	T_EQ_INT(cd_parse_count("1_000", &n, &e), 0);
	T_EQ_INT(n, 1000);
	T_CHECK(cd_parse_count("1e9", &n, &e) != 0);
	T_CHECK(cd_parse_count("-3", &n, &e) != 0);
	T_CHECK(cd_parse_count("", &n, &e) != 0);
	T_CHECK(cd_parse_count("99999999999999999999999", &n, &e) != 0);
}

static void format(void)
{
	char b[32];
	cd_format_duration(1.234, b, sizeof b);
	T_EQ_STR(b, "1.23s");
	cd_format_duration(123, b, sizeof b);
	T_EQ_STR(b, "2m03s");
	cd_format_duration(3600 * 2 + 60 * 5, b, sizeof b);
	T_EQ_STR(b, "2h05m");
}

int main(void)
{
	T_RUN(durations_go_grammar);
	T_RUN(durations_refused);
	T_RUN(sizes);
	T_RUN(counts);
	T_RUN(format);
	return T_DONE();
}
