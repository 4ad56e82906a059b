/* core/diff.h — unified diff of two texts, line by line (the format of
 * `diff -u` and `kubectl diff`), for `cdhost diff`. */
#ifndef CD_DIFF_H
#define CD_DIFF_H

#include <stddef.h>

#include "buf.h"

/* Appends the unified diff of a (old) and b (new) to out, with headers
 * "--- name_a" / "+++ name_b" and `context` lines around each change.
 * Returns 1 when the texts differ, 0 when they are equal (nothing
 * appended), -1 on memory exhaustion or a full buffer. */
int cd_diff_unified(const char *a, const char *b, const char *name_a,
		    const char *name_b, int context, struct cd_buf *out);

#endif
