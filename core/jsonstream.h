/* core/jsonstream.h — frames a stream of concatenated JSON objects.
 *
 * A Kubernetes watch is a chunked body of JSON objects, usually one per line
 * but framed by the JSON itself: chunks may split an object anywhere (in a
 * string, in an escape, in a multi-byte character). cd_jstream keeps the
 * unfinished tail and hands each complete top-level object to a callback,
 * parsed. Bytes between objects (whitespace, newlines) are skipped; anything
 * else there, a frame that does not parse, or a frame over the cap is an
 * error, after which the stream stays failed. */
#ifndef CD_JSONSTREAM_H
#define CD_JSONSTREAM_H

#include <jansson.h>
#include <stddef.h>

#include "buf.h"
#include "err.h"

#define CD_JSTREAM_MAX_FRAME ((size_t)16 << 20)

struct cd_jstream {
	struct cd_buf frame; /* bytes of the object being read */
	size_t scanned;      /* how far frame has been scanned */
	int depth, in_string, escape;
	int failed;
	size_t max_frame;    /* 0: CD_JSTREAM_MAX_FRAME */
};

void cd_jstream_init(struct cd_jstream *s);
void cd_jstream_free(struct cd_jstream *s);
/* Forgets a partial object (a new connection). */
void cd_jstream_reset(struct cd_jstream *s);
/* Feeds n bytes; on_object gets each complete object (borrowed: it may
 * json_incref it) and returns non-zero to stop. Returns 0, the callback's
 * non-zero value, or -1 with err filled on malformed input. */
int cd_jstream_feed(struct cd_jstream *s, const char *p, size_t n,
		    int (*on_object)(void *ud, json_t *obj), void *ud,
		    struct cd_err *err);

#endif
