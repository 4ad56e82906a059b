/* core/diff.c — unified diff over a longest common subsequence of lines.
 * Objects are small (hundreds of lines), so the quadratic table is fine; a
 * larger pair falls back to "everything changed" rather than using unbounded
 * memory. */
#include "diff.h"

#include <string.h>

#include "mem.h"

#define MAX_CELLS ((size_t)16 << 20)

struct lines {
	const char **p;
	size_t *len, n;
};

static int split(const char *s, struct lines *l)
{
	size_t n = 0, i = 0;
	for (const char *c = s; *c; c++)
		n += *c == '\n';
	n += *s && s[strlen(s) - 1] != '\n';
	l->p = cd_calloc(n + 1, sizeof *l->p);
	l->len = cd_calloc(n + 1, sizeof *l->len);
	l->n = n;
	if (!l->p || !l->len)
		return -1;
	while (*s) {
		const char *e = strchr(s, '\n');
		size_t len = e ? (size_t)(e - s) : strlen(s);
		l->p[i] = s;
		l->len[i++] = len;
		s += len + (e != NULL);
	}
	return 0;
}

static int same(const struct lines *a, size_t i, const struct lines *b, size_t j)
{
	return a->len[i] == b->len[j] && !memcmp(a->p[i], b->p[j], a->len[i]);
}

/* ops[k]: ' ' keep, '-' from a, '+' from b, in order; returns count. */
static size_t script(const struct lines *a, const struct lines *b, char *ops)
{
	size_t n = a->n, m = b->n, k = 0;
	if ((n + 1) * (m + 1) > MAX_CELLS) {
		memset(ops, '-', n);
		memset(ops + n, '+', m);
		return n + m;
	}
	unsigned *t = cd_calloc((n + 1) * (m + 1), sizeof *t);
	if (!t)
		return (size_t)-1;
	for (size_t i = n; i-- > 0;)
		for (size_t j = m; j-- > 0;)
			t[i * (m + 1) + j] =
				same(a, i, b, j)
					? t[(i + 1) * (m + 1) + j + 1] + 1
				: t[(i + 1) * (m + 1) + j] > t[i * (m + 1) + j + 1]
					? t[(i + 1) * (m + 1) + j]
					: t[i * (m + 1) + j + 1];
	size_t i = 0, j = 0;
	while (i < n || j < m) {
		if (i < n && j < m && same(a, i, b, j)) {
			ops[k++] = ' ';
			i++, j++;
		} else if (i < n && (j == m || t[(i + 1) * (m + 1) + j] >=
						       t[i * (m + 1) + j + 1])) {
			ops[k++] = '-';
			i++;
		} else {
			ops[k++] = '+';
			j++;
		}
	}
	cd_free(t);
	return k;
}

static int hunks(const struct lines *a, const struct lines *b, const char *ops,
		 size_t k, int ctx, struct cd_buf *out)
{
	size_t c = (size_t)ctx, pos = 0;
	while (pos < k) {
		size_t first = pos;
		while (first < k && ops[first] == ' ')
			first++;
		if (first == k)
			break;
		size_t start = first > c ? first - c : 0, end = first, gap = 0;
		for (size_t q = first; q < k; q++) {
			if (ops[q] != ' ') {
				end = q + 1;
				gap = 0;
			} else if (++gap > 2 * c) {
				break;
			}
		}
		end = end + c < k ? end + c : k;
		size_t ai = 0, bi = 0, an = 0, bn = 0;
		for (size_t q = 0; q < start; q++) {
			ai += ops[q] != '+';
			bi += ops[q] != '-';
		}
		for (size_t q = start; q < end; q++) {
			an += ops[q] != '+';
			bn += ops[q] != '-';
		}
		if (cd_buf_printf(out, "@@ -%zu,%zu +%zu,%zu @@\n", an ? ai + 1 : ai,
				  an, bn ? bi + 1 : bi, bn) != 0)
			return -1;
		for (size_t q = start; q < end; q++) {
			const struct lines *l = ops[q] == '+' ? b : a;
			size_t idx = ops[q] == '+' ? bi++ : ai++;
			if (ops[q] == ' ')
				bi++;
			if (cd_buf_printf(out, "%c%.*s\n", ops[q], (int)l->len[idx],
					  l->p[idx]) != 0)
				return -1;
		}
		pos = end;
	}
	return 0;
}

int cd_diff_unified(const char *a, const char *b, const char *name_a,
		    const char *name_b, int context, struct cd_buf *out)
{
	struct lines la = {0}, lb = {0};
	char *ops = NULL;
	int rc = -1;
	if (strcmp(a, b) == 0)
		return 0;
	if (split(a, &la) != 0 || split(b, &lb) != 0)
		goto done;
	ops = cd_malloc(la.n + lb.n + 1);
	if (!ops)
		goto done;
	size_t k = script(&la, &lb, ops);
	if (k == (size_t)-1)
		goto done;
	if (cd_buf_printf(out, "--- %s\n+++ %s\n", name_a, name_b) != 0 ||
	    hunks(&la, &lb, ops, k, context, out) != 0)
		goto done;
	rc = 1;
done:
	cd_free(la.p);
	cd_free(la.len);
	cd_free(lb.p);
	cd_free(lb.len);
	cd_free(ops);
	return rc;
}
