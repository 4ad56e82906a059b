/* lua/value_walk.c — what the JSON and YAML writers share: how a Lua value
 * is classified, in which order map keys are written, the path named in
 * errors, the depth and cycle checks, float text and UTF-8 checks.
 *
 * The walk never raises: it only calls Lua API functions that do not
 * allocate (keys are kept as stack copies, lua_checkstack reports failure
 * instead of raising), so a writer may hold malloc'ed memory throughout. */
#include <assert.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/mem.h"
#include "value_priv.h"

void cd_value_walk_open(struct cd_value_walk *w, lua_State *L, unsigned flags,
			const char *op, struct cd_err *err)
{
	memset(w, 0, sizeof *w);
	w->L = L;
	w->flags = flags;
	w->op = op;
	w->err = err;
	cd_value_getreg(L, CD_VREG_MAP);
	w->map_mt = lua_gettop(L);
	cd_value_getreg(L, CD_VREG_LIST);
	w->list_mt = lua_gettop(L);
	cd_value_getreg(L, CD_VREG_ORDER);
	w->order = lua_gettop(L);
}

void cd_value_walk_close(struct cd_value_walk *w)
{
	cd_free(w->keys);
	w->keys = NULL;
	lua_settop(w->L, w->map_mt - 1);
}

/* ---- errors and paths ---- */

static int is_identifier(const char *s, size_t n)
{
	if (n == 0 || (s[0] >= '0' && s[0] <= '9'))
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!(c == '_' || (c >= 'a' && c <= 'z') ||
		      (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')))
			return 0;
	}
	return 1;
}

static size_t format_seg(const struct cd_value_seg *g, int first, char *buf,
			 size_t size)
{
	int k;
	if (!g->key)
		k = snprintf(buf, size, "[%lld]", (long long)g->index);
	else if (is_identifier(g->key, g->n))
		k = snprintf(buf, size, "%s%.*s", first ? "" : ".",
			     (int)(g->n > 60 ? 60 : g->n), g->key);
	else
		k = snprintf(buf, size, "[\"%.*s%s\"]",
			     (int)(g->n > 60 ? 60 : g->n), g->key,
			     g->n > 60 ? "..." : "");
	return k < 0 ? 0 : (size_t)k < size ? (size_t)k : size - 1;
}

/* Lua-like path: spec.containers[2].ports, metadata.labels["app/name"];
 * indices are 1-based as the recipe writes them. Deep paths keep their
 * first and last steps: a[1][2]...[7][8]. */
static void format_path(const struct cd_value_walk *w, char *buf, size_t size)
{
	enum { HEAD = 4, TAIL = 6 };
	size_t len = 0;
	buf[0] = '\0';
	if (w->nseg == 0)
		snprintf(buf, size, "(root)");
	for (int i = 0; i < w->nseg && len + 1 < size; i++) {
		if (w->nseg > HEAD + TAIL && i == HEAD) {
			len += (size_t)snprintf(buf + len, size - len, "...");
			i = w->nseg - TAIL;
		}
		len += format_seg(&w->seg[i], i == 0, buf + len, size - len);
	}
	for (size_t i = 0; i < len; i++) /* keep the message one line */
		if ((unsigned char)buf[i] < 0x20 || buf[i] == 0x7f)
			buf[i] = '?';
}

static int vfail(struct cd_value_walk *w, enum cd_code code, const char *fmt,
		 va_list ap)
{
	char path[256], what[512];
	format_path(w, path, sizeof path);
	vsnprintf(what, sizeof what, fmt, ap);
	return cd_err_set(w->err, code, w->op, "%s: %s", path, what);
}

int cd_value_walk_fail(struct cd_value_walk *w, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = vfail(w, CD_E_INVALID, fmt, ap);
	va_end(ap);
	return rc;
}

static int fail_nomem(struct cd_value_walk *w)
{
	return cd_err_set(w->err, CD_E_NOMEM, w->op, "out of memory");
}

/* ---- classification ---- */

/* A key that is neither a string nor a list index, for messages. */
static const char *describe_key(lua_State *L, int idx, char *buf, size_t n)
{
	switch (lua_type(L, idx)) {
	case LUA_TNUMBER:
		if (lua_isinteger(L, idx))
			snprintf(buf, n, "an integer key %lld",
				 (long long)lua_tointeger(L, idx));
		else
			snprintf(buf, n, "a float key %.17g",
				 lua_tonumber(L, idx));
		break;
	case LUA_TBOOLEAN:
		snprintf(buf, n, "a boolean key %s",
			 lua_toboolean(L, idx) ? "true" : "false");
		break;
	default:
		snprintf(buf, n, "a %s key", lua_typename(L, lua_type(L, idx)));
	}
	return buf;
}

/* An unmarked table: only keys 1..n (n >= 1) is a list, only string keys
 * (or no keys at all) a map; anything else is refused. */
static int classify_plain(struct cd_value_walk *w, int idx,
			  enum cd_value_node *out)
{
	lua_State *L = w->L;
	lua_Integer count = 0, strings = 0, max = 0;
	char what[64];
	lua_pushnil(L);
	while (lua_next(L, idx)) {
		lua_pop(L, 1);
		count++;
		if (lua_type(L, -1) == LUA_TSTRING) {
			strings++;
		} else if (lua_isinteger(L, -1) && lua_tointeger(L, -1) > 0) {
			if (lua_tointeger(L, -1) > max)
				max = lua_tointeger(L, -1);
		} else {
			describe_key(L, -1, what, sizeof what);
			lua_pop(L, 1);
			return cd_value_walk_fail(
				w, "cannot encode a table with %s", what);
		}
	}
	if (strings == count)
		*out = CD_NODE_MAP;
	else if (strings == 0 && max == count)
		*out = CD_NODE_LIST;
	else if (strings)
		return cd_value_walk_fail(
			w, "table mixes string keys and list items");
	else
		return cd_value_walk_fail(
			w, "list has holes (items 1..%lld, %lld present); "
			   "use cdhost.null for null items",
			(long long)max, (long long)count);
	return 0;
}

/* A marked list must hold exactly the items 1..#t. */
static int check_list(struct cd_value_walk *w, int idx)
{
	lua_State *L = w->L;
	lua_Integer n = (lua_Integer)lua_rawlen(L, idx), count = 0;
	int bad = 0;
	lua_pushnil(L);
	while (lua_next(L, idx)) {
		lua_pop(L, 1);
		count++;
		bad |= !lua_isinteger(L, -1) || lua_tointeger(L, -1) < 1 ||
		       lua_tointeger(L, -1) > n;
	}
	if (bad || count != n)
		return cd_value_walk_fail(
			w, "list has holes or keys other than 1..n; use "
			   "cdhost.null for null items");
	return 0;
}

static int classify_table(struct cd_value_walk *w, int idx,
			  enum cd_value_node *out)
{
	lua_State *L = w->L;
	if (lua_getmetatable(L, idx)) {
		int map = lua_rawequal(L, -1, w->map_mt);
		int list = lua_rawequal(L, -1, w->list_mt);
		lua_pop(L, 1);
		if (map) {
			*out = CD_NODE_MAP;
			return 0;
		}
		if (list) {
			*out = CD_NODE_LIST;
			return check_list(w, idx);
		}
	}
	return classify_plain(w, idx, out);
}

int cd_value_walk_classify(struct cd_value_walk *w, int idx,
			   enum cd_value_node *out)
{
	lua_State *L = w->L;
	switch (lua_type(L, idx)) {
	case LUA_TNIL:
		*out = CD_NODE_NULL;
		return 0;
	case LUA_TBOOLEAN:
		*out = CD_NODE_BOOL;
		return 0;
	case LUA_TNUMBER:
		*out = lua_isinteger(L, idx) ? CD_NODE_INT : CD_NODE_FLOAT;
		return 0;
	case LUA_TSTRING:
		*out = CD_NODE_STRING;
		return 0;
	case LUA_TTABLE:
		return classify_table(w, lua_absindex(L, idx), out);
	case LUA_TLIGHTUSERDATA:
		if (lua_touserdata(L, idx) == NULL) {
			*out = CD_NODE_NULL;
			return 0;
		}
		break;
	}
	return cd_value_walk_fail(w, "cannot encode a %s",
				  lua_typename(L, lua_type(L, idx)));
}

/* ---- depth and cycles ---- */

int cd_value_walk_enter(struct cd_value_walk *w, int idx)
{
	const void *p = lua_topointer(w->L, idx);
	if (w->depth >= CD_VALUE_MAX_DEPTH)
		return cd_value_walk_fail(w, "nesting deeper than %d levels",
					  CD_VALUE_MAX_DEPTH);
	for (int i = 0; i < w->depth; i++)
		if (w->tables[i] == p)
			return cd_value_walk_fail(
				w, "cycle: the table contains itself");
	if (!lua_checkstack(w->L, 8))
		return fail_nomem(w);
	w->tables[w->depth++] = p;
	return 0;
}

void cd_value_walk_leave(struct cd_value_walk *w)
{
	assert(w->depth > 0);
	w->depth--;
}

/* ---- key order ---- */

static int bytecmp(const char *a, size_t an, const char *b, size_t bn)
{
	int c = memcmp(a, b, an < bn ? an : bn);
	if (c)
		return c;
	return an < bn ? -1 : an > bn;
}

static int cmp_bytes(const void *pa, const void *pb)
{
	const struct cd_value_key *a = pa, *b = pb;
	return bytecmp(a->s, a->n, b->s, b->n);
}

static int cmp_rank(const void *pa, const void *pb)
{
	const struct cd_value_key *a = pa, *b = pb;
	return a->rank < b->rank ? -1 : a->rank > b->rank;
}

/* Index of the key s in the bytewise-sorted segment, or -1. */
static long find_key(const struct cd_value_key *k, size_t n, const char *s,
		     size_t len)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = bytecmp(k[mid].s, k[mid].n, s, len);
		if (c == 0)
			return (long)mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

/* New keys come after remembered ones in this order (DESIGN "Values"),
 * then the rest bytewise. */
static const char *const fixed_order[] = {"apiVersion", "kind", "metadata",
					  "spec", "data", "stringData"};
#define NFIXED (sizeof fixed_order / sizeof *fixed_order)

/* Ranks the sorted segment: remembered keys first (load order, deleted
 * ones are simply absent), then fixed_order, then bytewise. */
static void rank_keys(struct cd_value_walk *w, int idx,
		      struct cd_value_key *k, size_t n)
{
	lua_State *L = w->L;
	size_t m = 0;
	lua_pushvalue(L, idx);
	if (lua_rawget(L, w->order) == LUA_TTABLE)
		m = lua_rawlen(L, -1);
	for (size_t i = 0; i < n; i++)
		k[i].rank = m + NFIXED + i;
	for (size_t j = 0; j < NFIXED; j++) {
		long at = find_key(k, n, fixed_order[j],
				   strlen(fixed_order[j]));
		if (at >= 0)
			k[at].rank = m + j;
	}
	for (size_t p = 0; p < m; p++) {
		size_t len;
		lua_rawgeti(L, -1, (lua_Integer)p + 1);
		const char *s = lua_tolstring(L, -1, &len);
		long at = s ? find_key(k, n, s, len) : -1;
		if (at >= 0 && k[at].rank >= m)
			k[at].rank = p;
		lua_pop(L, 1);
	}
	lua_pop(L, 1);
}

static int arena_reserve(struct cd_value_walk *w)
{
	if (w->nkeys < w->cap)
		return 0;
	size_t cap = w->cap ? w->cap * 2 : 64;
	struct cd_value_key *k = cd_realloc(w->keys, cap * sizeof *k);
	if (!k)
		return -1;
	w->keys = k;
	w->cap = cap;
	return 0;
}

/* Copies each key of the map at idx onto the stack (below the iteration
 * key) and records it in the arena. */
static int collect_keys(struct cd_value_walk *w, int idx)
{
	lua_State *L = w->L;
	char what[64];
	lua_pushnil(L);
	while (lua_next(L, idx)) {
		lua_pop(L, 1);
		if (lua_type(L, -1) != LUA_TSTRING) {
			describe_key(L, -1, what, sizeof what);
			lua_pop(L, 1);
			return cd_value_walk_fail(w, "map has %s (map keys "
						     "must be strings)",
						  what);
		}
		if (!lua_checkstack(L, 4) || arena_reserve(w) != 0) {
			lua_pop(L, 1);
			return fail_nomem(w);
		}
		lua_pushvalue(L, -1);
		lua_insert(L, -2);
		struct cd_value_key *k = &w->keys[w->nkeys++];
		k->slot = lua_gettop(L) - 1;
		k->s = lua_tolstring(L, k->slot, &k->n);
	}
	return 0;
}

int cd_value_walk_keys(struct cd_value_walk *w, int idx, size_t *first,
		       size_t *n)
{
	lua_State *L = w->L;
	int top = lua_gettop(L);
	*first = w->nkeys;
	if (collect_keys(w, idx) != 0) {
		lua_settop(L, top);
		w->nkeys = *first;
		return -1;
	}
	*n = w->nkeys - *first;
	if (*n == 0)
		return 0; /* w->keys may still be NULL: no arithmetic on it */
	struct cd_value_key *k = w->keys + *first;
	if (*n > 1)
		qsort(k, *n, sizeof *k, cmp_bytes);
	if (!(w->flags & CD_VALUE_SORT_KEYS)) {
		rank_keys(w, idx, k, *n);
		qsort(k, *n, sizeof *k, cmp_rank);
	}
	return 0;
}

void cd_value_walk_keys_done(struct cd_value_walk *w, size_t first, size_t n)
{
	lua_pop(w->L, (int)n);
	w->nkeys = first;
}

void cd_value_walk_push_field(struct cd_value_walk *w, int map, size_t i)
{
	const struct cd_value_key *k = &w->keys[i];
	lua_pushvalue(w->L, k->slot);
	lua_rawget(w->L, map);
	w->seg[w->nseg++] = (struct cd_value_seg){k->s, k->n, 0};
}

void cd_value_walk_push_item(struct cd_value_walk *w, int list,
			     lua_Integer i)
{
	lua_rawgeti(w->L, list, i);
	w->seg[w->nseg++] = (struct cd_value_seg){NULL, 0, i};
}

void cd_value_walk_pop(struct cd_value_walk *w)
{
	lua_pop(w->L, 1);
	w->nseg--;
}

lua_Integer cd_value_walk_len(struct cd_value_walk *w, int idx)
{
	return (lua_Integer)lua_rawlen(w->L, idx);
}

/* ---- scalars ---- */

/* Digits "d1d2...dp" and decimal exponent of the shortest %e form that
 * reads back as d (d finite, non-negative). */
static int shortest_digits(double d, char *digits, int *exp)
{
	char buf[40];
	int p;
	for (p = 1; p < 17; p++) {
		snprintf(buf, sizeof buf, "%.*e", p - 1, d);
		if (strtod(buf, NULL) == d)
			break;
	}
	snprintf(buf, sizeof buf, "%.*e", p - 1, d);
	int n = 0;
	char *e = strchr(buf, 'e');
	for (char *c = buf; c < e; c++)
		if (*c != '.')
			digits[n++] = *c;
	digits[n] = '\0';
	*exp = atoi(e + 1);
	return n;
}

/* Shortest round-trip form, laid out as JavaScript does (plain decimal for
 * exponents -6..20, else d.ddde+X), but always with a '.' so that every
 * YAML 1.1 reader and every JSON reader sees a float: 1.0, 1.0e+21. */
void cd_value_fmt_float(double d, char *buf)
{
	char digits[24];
	int exp, n, len = 0;
	if (signbit(d))
		buf[len++] = '-';
	n = shortest_digits(fabs(d), digits, &exp);
	if (exp < -6 || exp > 20) {
		len += sprintf(buf + len, "%c.%s", digits[0],
			       n > 1 ? digits + 1 : "0");
		sprintf(buf + len, "e%c%d", exp < 0 ? '-' : '+', abs(exp));
	} else if (exp < 0) {
		len += sprintf(buf + len, "0.");
		for (int i = 0; i < -exp - 1; i++)
			buf[len++] = '0';
		sprintf(buf + len, "%s", digits);
	} else if (exp >= n - 1) {
		len += sprintf(buf + len, "%s", digits);
		for (int i = 0; i < exp - (n - 1); i++)
			buf[len++] = '0';
		sprintf(buf + len, ".0");
	} else {
		sprintf(buf + len, "%.*s.%s", exp + 1, digits,
			digits + exp + 1);
	}
}

/* Characters a YAML writer must escape (YAML 1.1 c-printable, plus the
 * 1.1 line breaks NEL/LS/PS and the BOM). */
static int yaml_special(unsigned long cp)
{
	if (cp < 0x20)
		return cp != '\t' && cp != '\n';
	return cp == 0x7f || (cp >= 0x80 && cp <= 0x9f) || cp == 0x2028 ||
	       cp == 0x2029 || cp == 0xfeff || cp == 0xfffe || cp == 0xffff;
}

/* Length of the well-formed UTF-8 sequence at s (0 if malformed). */
static size_t utf8_len(const unsigned char *s, size_t n, unsigned long *cp)
{
	static const unsigned long min[] = {0, 0, 0x80, 0x800, 0x10000};
	size_t len;
	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4;
	else
		return 0;
	if (len > n)
		return 0;
	*cp = s[0] & (0x3f >> (len - 1));
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		*cp = (*cp << 6) | (s[i] & 0x3f);
	}
	if (*cp < min[len] || *cp > 0x10ffff ||
	    (*cp >= 0xd800 && *cp <= 0xdfff))
		return 0;
	return len;
}

size_t cd_value_utf8_next(const char *s, size_t n, unsigned long *cp)
{
	return utf8_len((const unsigned char *)s, n, cp);
}

unsigned cd_value_utf8_scan(const char *s, size_t n)
{
	unsigned flags = 0;
	const unsigned char *u = (const unsigned char *)s;
	for (size_t i = 0; i < n;) {
		unsigned long cp;
		if (u[i] >= 0x20 && u[i] < 0x7f) { /* the common case */
			i++;
			continue;
		}
		size_t len = utf8_len(u + i, n - i, &cp);
		if (len == 0)
			return flags | CD_UTF8_INVALID;
		if (cp == '\n')
			flags |= CD_UTF8_NEWLINE;
		else if (cp == '\t')
			flags |= CD_UTF8_TAB;
		else if (yaml_special(cp))
			flags |= CD_UTF8_SPECIAL;
		i += len;
	}
	return flags;
}
