/* lua/value_emit.c — Lua values -> YAML text, the way kubectl users expect
 * it (SPEC section 5): block style, two-space indentation, sequences inside
 * maps not indented, {} and [] for empty collections, null as "null",
 * multi-line strings as literal blocks, and quotes wherever a YAML 1.1
 * reader would not read a plain scalar back as the same string.
 *
 * Hand-written rather than libyaml's emitter: the output must be exact
 * and stable (no line folding, no style guesses), and the writer runs on
 * the shared walk, which never raises. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "value_priv.h"

#define OP "yaml.encode"
/* libyaml refuses implicit keys longer than 1024 characters *as written*
 * (quotes and escapes included); longer keys are written as explicit
 * "? key" entries. */
#define MAX_IMPLICIT_KEY 1000

/* Where a node is written: alone on a line at the top, after "key:", or
 * after "- ". `col` is the column of the document, the key or the dash. */
enum pos { POS_TOP, POS_VALUE, POS_ITEM };

struct yw {
	struct cd_value_walk w;
	struct cd_buf *out;
	int full; /* an append failed: the output is abandoned */
};

static void put(struct yw *y, const char *s, size_t n)
{
	if (!y->full && cd_buf_append(y->out, s, n) != 0)
		y->full = 1;
}

static void puts_(struct yw *y, const char *s)
{
	put(y, s, strlen(s));
}

static void indent(struct yw *y, int n)
{
	static const char spaces[] = "                                ";
	for (; n > 0; n -= 32)
		put(y, spaces, n < 32 ? (size_t)n : 32);
}

/* ---- strings ---- */

/* Escapes of the double-quoted style (YAML 1.1, 5.7). */
static const char *escape(unsigned long cp, char *buf, size_t n)
{
	switch (cp) {
	case '"': return "\\\"";
	case '\\': return "\\\\";
	case '\n': return "\\n";
	case '\t': return "\\t";
	case '\r': return "\\r";
	case 0: return "\\0";
	case 0x07: return "\\a";
	case 0x08: return "\\b";
	case 0x0b: return "\\v";
	case 0x0c: return "\\f";
	case 0x1b: return "\\e";
	case 0x85: return "\\N";
	case 0x2028: return "\\L";
	case 0x2029: return "\\P";
	}
	if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f))
		snprintf(buf, n, "\\x%02lX", cp);
	else if (cp == 0xfeff || cp == 0xfffe || cp == 0xffff)
		snprintf(buf, n, "\\u%04lX", cp);
	else
		return NULL;
	return buf;
}

static void write_quoted(struct yw *y, const char *s, size_t n)
{
	char buf[16];
	size_t run = 0;
	put(y, "\"", 1);
	for (size_t i = 0; i < n;) {
		unsigned long cp;
		size_t len = cd_value_utf8_next(s + i, n - i, &cp);
		const char *e = escape(cp, buf, sizeof buf);
		if (e) {
			put(y, s + run, i - run);
			puts_(y, e);
			run = i + len;
		}
		i += len;
	}
	put(y, s + run, n - run);
	put(y, "\"", 1);
}

/* Plain style is safe: no indicator at the start, no ": " or " #"
 * inside, no blank at either end, no document marker (YAML 1.1, 9.1.3 and
 * libyaml's yaml_emitter_analyze_scalar). "--flag" stays plain. */
static int plain_ok(const char *s, size_t n)
{
	if (strchr("#,[]{}&*!|>'\"%@`?:", s[0]))
		return 0;
	if (s[0] == '-' && (n == 1 || s[1] == ' '))
		return 0;
	if (s[0] == ' ' || s[n - 1] == ' ' || s[n - 1] == ':')
		return 0;
	if (n >= 3 && (!memcmp(s, "---", 3) || !memcmp(s, "...", 3)))
		return 0;
	for (size_t i = 0; i + 1 < n; i++)
		if ((s[i] == ':' && s[i + 1] == ' ') ||
		    (s[i] == ' ' && s[i + 1] == '#'))
			return 0;
	return 1;
}

/* A literal block reads back exactly unless the first line with text
 * starts with a blank (the indentation would be misdetected) or the
 * string has no text line at all. */
static int block_ok(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\n')
			continue;
		return s[i] != ' ' && s[i] != '\t';
	}
	return 0;
}

/* Literal block scalar, with the chomping indicator its trailing
 * newlines need: none "|-", one "|", more "|+" (YAML 1.1, 9.1.1.2). */
static void write_block(struct yw *y, const char *s, size_t n, int ind)
{
	size_t trail = 0;
	while (trail < n && s[n - 1 - trail] == '\n')
		trail++;
	puts_(y, trail == 0 ? "|-\n" : trail == 1 ? "|\n" : "|+\n");
	for (size_t i = 0, end = n - trail; i < end;) {
		const char *nl = memchr(s + i, '\n', end - i);
		size_t len = nl ? (size_t)(nl - (s + i)) : end - i;
		if (len)
			indent(y, ind);
		put(y, s + i, len);
		put(y, "\n", 1);
		i += len + 1;
	}
	for (size_t i = 1; i < trail; i++)
		put(y, "\n", 1);
}

/* How a string is written: plain, double-quoted, or (values only, when
 * `block` is given) as a literal block at indentation `ind`; *block tells
 * which, since a block ends with its own line break. */
static int write_string(struct yw *y, const char *s, size_t n, int ind,
			int *block)
{
	unsigned flags = cd_value_utf8_scan(s, n);
	if (flags & CD_UTF8_INVALID)
		return cd_value_walk_fail(&y->w, "string is not valid UTF-8");
	if (block)
		*block = (flags & CD_UTF8_NEWLINE) &&
			 !(flags & CD_UTF8_SPECIAL) && block_ok(s, n);
	if (block && *block)
		write_block(y, s, n, ind);
	else if (n == 0 || flags || cd_yaml_ambiguous(s, n) || !plain_ok(s, n))
		write_quoted(y, s, n);
	else
		put(y, s, n);
	return 0;
}

/* ---- nodes ---- */

static int write_value(struct yw *y, int idx, int col, enum pos pos);

static int write_key(struct yw *y, const struct cd_value_key *k, int ind)
{
	if (cd_value_utf8_scan(k->s, k->n) & CD_UTF8_INVALID)
		return cd_value_walk_fail(&y->w, "a key is not valid UTF-8");
	if (k->n <= MAX_IMPLICIT_KEY) {
		size_t start = y->out->len;
		if (write_string(y, k->s, k->n, 0, NULL) != 0)
			return -1;
		if (y->full || y->out->len - start <= MAX_IMPLICIT_KEY) {
			put(y, ":", 1);
			return 0;
		}
		y->out->len = start; /* escapes made it too long: go explicit */
		y->out->data[start] = '\0';
	}
	put(y, "? ", 2);
	write_quoted(y, k->s, k->n);
	put(y, "\n", 1);
	indent(y, ind);
	put(y, ":", 1);
	return 0;
}

/* Block mapping at indentation ind; the first key goes on the current line
 * when `inline_first` (after "- "). */
static int write_map(struct yw *y, int idx, int ind, int inline_first)
{
	struct cd_value_walk *w = &y->w;
	size_t first, n;
	int rc = 0;
	if (cd_value_walk_keys(w, idx, &first, &n) != 0)
		return -1;
	for (size_t i = 0; i < n && rc == 0; i++) {
		if (i > 0 || !inline_first)
			indent(y, ind);
		rc = write_key(y, &w->keys[first + i], ind);
		if (rc != 0)
			break;
		cd_value_walk_push_field(w, idx, first + i);
		rc = write_value(y, lua_gettop(w->L), ind, POS_VALUE);
		cd_value_walk_pop(w);
	}
	cd_value_walk_keys_done(w, first, n);
	return rc;
}

static int write_list(struct yw *y, int idx, int ind, int inline_first)
{
	struct cd_value_walk *w = &y->w;
	lua_Integer n = cd_value_walk_len(w, idx);
	int rc = 0;
	for (lua_Integer i = 1; i <= n && rc == 0; i++) {
		if (i > 1 || !inline_first)
			indent(y, ind);
		put(y, "- ", 2);
		cd_value_walk_push_item(w, idx, i);
		rc = write_value(y, lua_gettop(w->L), ind, POS_ITEM);
		cd_value_walk_pop(w);
	}
	return rc;
}

static int is_empty(lua_State *L, int idx)
{
	lua_pushnil(L);
	if (!lua_next(L, idx))
		return 1;
	lua_pop(L, 2);
	return 0;
}

/* Maps and lists: nested ones start on the next line, except after "- "
 * (compact: "- name: x"); a list under a key is not indented (kubectl). */
static int write_table(struct yw *y, int idx, int col, enum pos pos,
		       enum cd_value_node node)
{
	int rc = 0;
	if (cd_value_walk_enter(&y->w, idx) != 0)
		return -1;
	if (is_empty(y->w.L, idx)) {
		puts_(y, pos == POS_VALUE ? " " : "");
		puts_(y, node == CD_NODE_MAP ? "{}\n" : "[]\n");
	} else if (node == CD_NODE_MAP) {
		puts_(y, pos == POS_VALUE ? "\n" : "");
		rc = write_map(y, idx, pos == POS_TOP ? 0 : col + 2,
			       pos == POS_ITEM);
	} else {
		puts_(y, pos == POS_VALUE ? "\n" : "");
		rc = write_list(y, idx, pos == POS_ITEM ? col + 2 : col,
				pos == POS_ITEM);
	}
	cd_value_walk_leave(&y->w);
	return rc;
}

static void write_number(struct yw *y, int idx, enum cd_value_node node)
{
	char buf[40];
	lua_State *L = y->w.L;
	if (node == CD_NODE_INT) {
		snprintf(buf, sizeof buf, LUA_INTEGER_FMT,
			 (LUAI_UACINT)lua_tointeger(L, idx));
	} else {
		double d = lua_tonumber(L, idx);
		if (isnan(d))
			strcpy(buf, ".nan");
		else if (isinf(d))
			strcpy(buf, d < 0 ? "-.inf" : ".inf");
		else
			cd_value_fmt_float(d, buf);
	}
	puts_(y, buf);
}

static int write_scalar(struct yw *y, int idx, int col, enum pos pos,
			enum cd_value_node node)
{
	lua_State *L = y->w.L;
	size_t n;
	int rc = 0, block = 0;
	if (pos == POS_VALUE)
		put(y, " ", 1);
	switch (node) {
	case CD_NODE_NULL:
		puts_(y, "null");
		break;
	case CD_NODE_BOOL:
		puts_(y, lua_toboolean(L, idx) ? "true" : "false");
		break;
	case CD_NODE_STRING: {
		const char *s = lua_tolstring(L, idx, &n);
		rc = write_string(y, s, n, pos == POS_TOP ? 2 : col + 2,
				  &block);
		break;
	}
	default:
		write_number(y, idx, node);
	}
	if (!block)
		put(y, "\n", 1);
	return rc;
}

static int write_value(struct yw *y, int idx, int col, enum pos pos)
{
	enum cd_value_node node;
	if (y->full)
		return 0; /* reported once, by cd_value_to_yaml */
	if (cd_value_walk_classify(&y->w, idx, &node) != 0)
		return -1;
	if (node == CD_NODE_MAP || node == CD_NODE_LIST)
		return write_table(y, idx, col, pos, node);
	return write_scalar(y, idx, col, pos, node);
}

int cd_value_to_yaml(lua_State *L, int idx, unsigned flags,
		     struct cd_buf *out, struct cd_err *err)
{
	struct yw y = {.out = out};
	size_t start = out->len;
	idx = lua_absindex(L, idx);
	cd_value_walk_open(&y.w, L, flags, OP, err);
	int rc = write_value(&y, idx, 0, POS_TOP);
	cd_value_walk_close(&y.w);
	if (rc == 0 && y.full)
		rc = cd_err_set(err, CD_E_NOMEM, OP,
				"out of memory or output too large");
	if (rc != 0 && out->data) {
		out->len = start; /* leave the buffer as it was */
		out->data[start] = '\0';
	}
	return rc;
}
