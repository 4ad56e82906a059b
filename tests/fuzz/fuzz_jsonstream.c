/* The watch stream framer (cd_jstream_feed, core/jsonstream.c) fed the
 * same bytes in different chunkings.
 *
 * Input: one byte of options (bit 0: a 64-byte frame cap instead of the
 * default), two bytes seeding the chunk sizes, then the stream.
 *
 * Invariants: one feed of the whole stream, one byte at a time, and
 * pseudo-random chunks (sizes 1..16 from the seed) deliver the same objects
 * (json_equal, same order), the same result (0 or -1) and leave the same
 * partial frame; with the default cap the objects are what an independent
 * parse gives (jansson reading object after object, whitespace between),
 * and a stream that ends cleanly is entirely objects; with the 64-byte cap
 * the stream fails at the first object longer than 64 bytes, after the
 * ones before it; a failed stream stays failed; errors have a message. */
#include <jansson.h>
#include <string.h>

#include "../../core/jsonstream.h"
#include "fuzz.h"

#define SMALL_CAP 64

struct feed {
	json_t *objects; /* array of what was delivered */
	int rc;
	size_t partial;  /* bytes of the unfinished frame at the end */
};

static int collect(void *ud, json_t *obj)
{
	struct feed *f = ud;
	json_array_append(f->objects, obj);
	return 0;
}

/* Feeds p in chunks: size 0 = all at once; else sizes from the seed. */
static void run(const char *p, size_t n, size_t max_frame, unsigned seed,
		int bytewise, struct feed *f)
{
	struct cd_jstream s;
	struct cd_err err = {0};
	cd_jstream_init(&s);
	s.max_frame = max_frame;
	f->objects = json_array();
	f->rc = 0;
	size_t off = 0;
	while (off < n && f->rc == 0) {
		size_t k = n - off;
		if (bytewise)
			k = 1;
		else if (seed) {
			seed = seed * 1103515245u + 12345u;
			size_t c = 1 + (seed >> 16) % 16;
			k = c < k ? c : k;
		}
		f->rc = cd_jstream_feed(&s, p + off, k, collect, f, &err);
		off += k;
	}
	if (f->rc != 0) {
		FUZZ_CHECK(f->rc == -1 && err.msg[0], "rc %d, message '%s'",
			   f->rc, err.msg);
		struct cd_err again = {0};
		FUZZ_CHECK(cd_jstream_feed(&s, "{}", 2, collect, f, &again) == -1,
			   "a failed stream accepted more");
		f->partial = 0;
	} else {
		f->partial = s.frame.len;
	}
	cd_jstream_free(&s);
}

static void same(const struct feed *a, const struct feed *b, const char *how)
{
	FUZZ_CHECK(a->rc == b->rc, "%s: rc %d vs %d", how, a->rc, b->rc);
	FUZZ_CHECK(json_equal(a->objects, b->objects) ||
			   (json_array_size(a->objects) == 0 &&
			    json_array_size(b->objects) == 0),
		   "%s: %zu vs %zu objects, or different ones", how,
		   json_array_size(a->objects), json_array_size(b->objects));
	FUZZ_CHECK(a->partial == b->partial, "%s: partial %zu vs %zu", how,
		   a->partial, b->partial);
}

static int ws(char c)
{
	return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

/* The independent model: jansson reads one value at a time; with a cap,
 * the stream must fail at the first object longer than it. A NUL byte is
 * never JSON, but jansson reads one between tokens as if it were not there
 * (and then reports a position one short): the model reads only the bytes
 * before the first NUL, and the stream must fail when it gets that far. */
static void model(const char *p, size_t n, size_t cap, const struct feed *f)
{
	size_t off = 0, k = 0, nobj = json_array_size(f->objects);
	const char *nul = memchr(p, 0, n);
	if (nul)
		n = (size_t)(nul - p);
	for (;;) {
		while (off < n && ws(p[off]))
			off++;
		if (off == n)
			break;
		json_error_t je;
		json_t *v = json_loadb(p + off, n - off, JSON_DISABLE_EOF_CHECK,
				       &je);
		if (!v)
			break;
		int obj = json_is_object(v);
		if (obj && cap && (size_t)je.position > cap) {
			json_decref(v);
			FUZZ_CHECK(k == nobj && f->rc == -1,
				   "an object of %d bytes over the cap %zu "
				   "(%zu delivered, rc %d)",
				   je.position, cap, nobj, f->rc);
			return;
		}
		if (obj) {
			FUZZ_CHECK(k < nobj, "object %zu (at byte %zu) not "
				   "delivered", k, off);
			FUZZ_CHECK(json_equal(v, json_array_get(f->objects, k)),
				   "object %zu differs", k);
			k++;
		}
		json_decref(v);
		if (!obj)
			break;
		off += (size_t)je.position;
	}
	FUZZ_CHECK(k == nobj, "%zu objects delivered, the model reads %zu",
		   nobj, k);
	/* The model stopped at the end, at a partial object, or at garbage. */
	if (f->rc == 0 && f->partial == 0)
		FUZZ_CHECK(off == n, "clean end but the model stopped at %zu/%zu",
			   off, n);
	if (nul && off == n)
		FUZZ_CHECK(f->rc == -1, "a NUL byte after the last object, "
			   "the stream rc %d", f->rc);
	else if (off == n)
		FUZZ_CHECK(f->rc == 0 && f->partial == 0,
			   "the model read all, the stream rc %d partial %zu",
			   f->rc, f->partial);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 3)
		return 0;
	size_t cap = (data[0] & 1) ? SMALL_CAP : 0;
	unsigned seed = (unsigned)data[1] << 8 | data[2] | 1u;
	const char *p = (const char *)data + 3;
	size_t n = size - 3;
	struct feed whole, bytes, chunks;
	run(p, n, cap, 0, 0, &whole);
	run(p, n, cap, 0, 1, &bytes);
	run(p, n, cap, seed, 0, &chunks);
	same(&whole, &bytes, "whole vs bytewise");
	same(&whole, &chunks, "whole vs chunks");
	model(p, n, cap, &whole);
	json_decref(whole.objects);
	json_decref(bytes.objects);
	json_decref(chunks.objects);
	return 0;
}
