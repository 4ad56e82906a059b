#include "jsonstream.h"

#include <string.h>

void cd_jstream_init(struct cd_jstream *s)
{
	memset(s, 0, sizeof *s);
}

void cd_jstream_free(struct cd_jstream *s)
{
	cd_buf_free(&s->frame);
	memset(s, 0, sizeof *s);
}

void cd_jstream_reset(struct cd_jstream *s)
{
	size_t max = s->max_frame;
	cd_buf_reset(&s->frame);
	s->scanned = 0;
	s->depth = s->in_string = s->escape = s->failed = 0;
	s->max_frame = max;
}

/* Scans the frame from where it stopped; returns the length of a complete
 * object, 0 when more bytes are needed, -1 on a stray byte between objects,
 * -2 on a NUL byte (never valid JSON; jansson would read one between tokens
 * as if it were not there). */
static long scan(struct cd_jstream *s)
{
	const char *d = s->frame.data;
	for (size_t i = s->scanned; i < s->frame.len; i++) {
		char c = d[i];
		if (c == '\0')
			return -2;
		if (s->in_string) {
			if (s->escape)
				s->escape = 0;
			else if (c == '\\')
				s->escape = 1;
			else if (c == '"')
				s->in_string = 0;
			s->scanned = i + 1;
			continue;
		}
		if (s->depth == 0 && c != '{')
			return -1;
		if (c == '"')
			s->in_string = 1;
		else if (c == '{' || c == '[')
			s->depth++;
		else if ((c == '}' || c == ']') && --s->depth == 0) {
			s->scanned = 0;
			return (long)(i + 1);
		}
		s->scanned = i + 1;
	}
	return 0;
}

static int fail(struct cd_jstream *s, struct cd_err *err, const char *why)
{
	s->failed = 1;
	return cd_err_set(err, CD_E_INVALID, "watch", "malformed stream: %s", why);
}

int cd_jstream_feed(struct cd_jstream *s, const char *p, size_t n,
		    int (*on_object)(void *ud, json_t *obj), void *ud,
		    struct cd_err *err)
{
	size_t max = s->max_frame ? s->max_frame : CD_JSTREAM_MAX_FRAME;
	if (s->failed)
		return fail(s, err, "the stream failed before");
	while (n > 0) {
		/* Skip whitespace between objects. */
		if (s->frame.len == 0) {
			while (n > 0 && (*p == ' ' || *p == '\n' || *p == '\r' ||
					 *p == '\t')) {
				p++;
				n--;
			}
			if (n == 0)
				break;
		}
		/* Take bytes up to the end of the chunk; scan decides. */
		size_t take = n;
		if (s->frame.len + take > max)
			take = max - s->frame.len + 1;
		if (cd_buf_append(&s->frame, p, take) != 0)
			return fail(s, err, "out of memory");
		long end = scan(s);
		if (end == -2)
			return fail(s, err, "a NUL byte");
		if (end < 0)
			return fail(s, err, "unexpected byte between objects");
		if (end == 0) {
			if (s->frame.len > max)
				return fail(s, err, "an object over the size cap");
			p += take;
			n -= take;
			continue;
		}
		if ((size_t)end > max) /* take allows one byte over the cap */
			return fail(s, err, "an object over the size cap");
		/* One object: bytes after it go back to the input. */
		size_t used = take - (s->frame.len - (size_t)end);
		json_error_t je;
		json_t *obj = json_loadb(s->frame.data, (size_t)end, 0, &je);
		if (!obj || !json_is_object(obj)) {
			json_decref(obj);
			cd_err_set(err, CD_E_INVALID, "watch",
				   "malformed stream: %s", obj ? "not an object" : je.text);
			s->failed = 1;
			return -1;
		}
		cd_buf_reset(&s->frame);
		p += used;
		n -= used;
		int rc = on_object(ud, obj);
		json_decref(obj);
		if (rc != 0)
			return rc;
	}
	return 0;
}
