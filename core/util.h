/* core/util.h — small parsers and clocks shared by the CLI and the core. */
#ifndef CD_UTIL_H
#define CD_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

/* Go's duration grammar ("90s", "1h30m", "250ms", "1.5h") or a plain number
 * of seconds ("30", "2.5"). Negative durations are refused. */
int cd_parse_duration(const char *s, double *seconds, struct cd_err *err);
/* "512M", "1G", "64MiB", "100k", "4096" (bytes); suffixes are binary. */
int cd_parse_size(const char *s, uint64_t *bytes, struct cd_err *err);
/* A non-negative integer, decimal; allows "1e9"-free plain digits and "_". */
int cd_parse_count(const char *s, uint64_t *out, struct cd_err *err);
/* Seconds on the monotonic clock. */
double cd_now(void);
/* Seconds since the epoch, wall clock. */
double cd_wall(void);
/* ".PID.N.tmp": a temporary file's suffix no other process or thread of
 * this one uses (N counts up), into buf. */
void cd_tmp_suffix(char *buf, size_t n);
/* Sleeps (restarting after signals); negative or zero returns at once. */
void cd_sleep(double seconds);
/* "1.23s", "2m03s" into buf. */
void cd_format_duration(double seconds, char *buf, size_t n);
/* s percent-encoded for a URL query or path segment (RFC 3986 unreserved
 * characters kept), into buf; 0, or -1 when it does not fit. */
int cd_url_escape(const char *s, char *buf, size_t n);

#endif
