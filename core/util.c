#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const struct {
	const char *suffix;
	double seconds;
} duration_units[] = {
	{"ns", 1e-9}, {"us", 1e-6}, {"\xc2\xb5s", 1e-6}, {"\xce\xbcs", 1e-6},
	{"ms", 1e-3}, {"s", 1},     {"m", 60},           {"h", 3600},
};

static int unit_at(const char **p, double *mult)
{
	size_t best = 0;
	for (size_t i = 0; i < sizeof duration_units / sizeof *duration_units; i++) {
		size_t n = strlen(duration_units[i].suffix);
		if (n > best && strncmp(*p, duration_units[i].suffix, n) == 0) {
			best = n;
			*mult = duration_units[i].seconds;
		}
	}
	*p += best;
	return best ? 0 : -1;
}

int cd_parse_duration(const char *s, double *seconds, struct cd_err *err)
{
	const char *p = s;
	double total = 0;
	char *end;

	if (!s || !*s)
		return cd_err_set(err, CD_E_INVALID, "duration", "empty duration");
	if (*p == '+')
		p++;
	if (*p == '-')
		return cd_err_set(err, CD_E_INVALID, "duration",
				  "negative duration: %s", s);
	/* strtod would skip white space and read a sign after it ("\n-1"). */
	if (!isdigit((unsigned char)*p) && *p != '.')
		goto bad;
	errno = 0;
	double plain = strtod(p, &end);
	if (end != p && *end == '\0' && errno == 0 && isfinite(plain)) {
		*seconds = plain;
		return 0;
	}
	while (*p) {
		double mult;
		if (!isdigit((unsigned char)*p) && *p != '.')
			goto bad;
		double v = strtod(p, &end);
		if (end == p)
			goto bad;
		p = end;
		if (unit_at(&p, &mult) != 0)
			goto bad;
		total += v * mult;
	}
	if (!isfinite(total))
		goto bad;
	*seconds = total;
	return 0;
bad:
	return cd_err_set(err, CD_E_INVALID, "duration",
			  "invalid duration '%s' (use e.g. 90s, 5m, 1h30m or "
			  "a number of seconds)",
			  s);
}

int cd_parse_count(const char *s, uint64_t *out, struct cd_err *err)
{
	uint64_t v = 0;
	int digits = 0;
	for (const char *p = s; p && *p; p++) {
		if (*p == '_' && digits)
			continue;
		if (!isdigit((unsigned char)*p))
			goto bad;
		unsigned d = (unsigned)(*p - '0');
		if (v > (UINT64_MAX - d) / 10)
			goto bad;
		v = v * 10 + d;
		digits++;
	}
	if (!digits)
		goto bad;
	*out = v;
	return 0;
bad:
	return cd_err_set(err, CD_E_INVALID, "count",
			  "invalid number '%s' (a non-negative integer)",
			  s ? s : "");
}

int cd_parse_size(const char *s, uint64_t *bytes, struct cd_err *err)
{
	static const struct {
		const char *suffix;
		unsigned shift;
	} units[] = {{"", 0},    {"b", 0},    {"k", 10},  {"kb", 10},
		     {"kib", 10}, {"m", 20},  {"mb", 20}, {"mib", 20},
		     {"g", 30},  {"gb", 30},  {"gib", 30}, {"t", 40},
		     {"tb", 40}, {"tib", 40}};
	char *end;
	if (!s || !isdigit((unsigned char)*s))
		goto bad;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno)
		goto bad;
	for (size_t i = 0; i < sizeof units / sizeof *units; i++) {
		if (strcasecmp(end, units[i].suffix) != 0)
			continue;
		if (units[i].shift && v > (UINT64_MAX >> units[i].shift))
			goto bad;
		*bytes = (uint64_t)v << units[i].shift;
		return 0;
	}
bad:
	return cd_err_set(err, CD_E_INVALID, "size",
			  "invalid size '%s' (use e.g. 512M, 1G or a number "
			  "of bytes)",
			  s ? s : "");
}

double cd_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double cd_wall(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void cd_tmp_suffix(char *buf, size_t n)
{
	static atomic_ulong seq;
	snprintf(buf, n, ".%ld.%lu.tmp", (long)getpid(),
		 atomic_fetch_add(&seq, 1));
}

void cd_sleep(double seconds)
{
	if (seconds <= 0)
		return;
	struct timespec ts;
	ts.tv_sec = (time_t)seconds;
	ts.tv_nsec = (long)((seconds - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

void cd_format_duration(double s, char *buf, size_t n)
{
	if (s < 60)
		snprintf(buf, n, "%.2fs", s);
	else if (s < 3600)
		snprintf(buf, n, "%dm%02ds", (int)(s / 60), (int)fmod(s, 60));
	else
		snprintf(buf, n, "%dh%02dm", (int)(s / 3600),
			 (int)fmod(s / 60, 60));
}

int cd_url_escape(const char *s, char *buf, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
			if (o + 1 >= n)
				return -1;
			buf[o++] = (char)c;
		} else {
			if (o + 3 >= n)
				return -1;
			buf[o++] = '%';
			buf[o++] = hex[c >> 4];
			buf[o++] = hex[c & 15];
		}
	}
	if (o >= n)
		return -1;
	buf[o] = '\0';
	return 0;
}
