/* lua/value_json.c — JSON text <-> Lua values (SPEC section 5).
 *
 * Decoding goes through jansson: integers stay integers (jansson itself
 * refuses integers beyond int64 with "too big integer" and a position),
 * object key order is kept (jansson >= 2.8 iterates in insertion order),
 * duplicate keys are refused. Encoding is written here, on the shared walk
 * (value_walk.c), so key order and float text are ours. */
#include <jansson.h>
#include <lauxlib.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "lbuf.h"
#include "value_priv.h"

#define OP_DECODE "json.decode"
#define OP_ENCODE "json.encode"

/* ---- decoding ---- */

static int is_utf8_start(unsigned char c)
{
	return (c & 0xc0) != 0x80;
}

/* Refuses nesting beyond CD_VALUE_MAX_DEPTH before jansson recurses into
 * it, with the position of the first bracket too many, and a raw NUL byte
 * outside strings (jansson refuses one inside). */
static int check_depth(const char *s, size_t n, const char *name,
		       struct cd_err *err)
{
	int depth = 0, line = 1, col = 0, in_str = 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		col += is_utf8_start((unsigned char)c);
		if (c == '\n') {
			line++;
			col = 0;
		} else if (in_str) {
			if (c == '\\')
				i++, col++;
			else if (c == '"')
				in_str = 0;
		} else if (c == '"') {
			in_str = 1;
		} else if (c == '[' || c == '{') {
			if (++depth > CD_VALUE_MAX_DEPTH)
				return cd_err_set(err, CD_E_INVALID, OP_DECODE,
						  "%s:%d:%d: nesting deeper "
						  "than %d levels",
						  name, line, col,
						  CD_VALUE_MAX_DEPTH);
		} else if (c == ']' || c == '}') {
			depth--;
		} else if (c == '\0') {
			/* never JSON; jansson would read it as if absent */
			return cd_err_set(err, CD_E_INVALID, OP_DECODE,
					  "%s:%d:%d: a NUL byte", name, line,
					  col);
		}
	}
	return 0;
}

/* Line of the first non-blank character: where the document starts. */
static int first_line(const char *s, size_t n)
{
	int line = 1;
	for (size_t i = 0; i < n && strchr(" \t\r\n", s[i]); i++)
		line += s[i] == '\n';
	return line;
}

static void push_node(lua_State *L, const struct cd_value_build *b,
		      json_t *j);

static void push_object(lua_State *L, const struct cd_value_build *b,
			json_t *j)
{
	lua_Integer k = 0;
	cd_value_build_map(L, b, (int)json_object_size(j)); /* map, keys */
	for (void *it = json_object_iter(j); it;
	     it = json_object_iter_next(j, it)) {
		lua_pushlstring(L, json_object_iter_key(it),
				json_object_iter_key_len(it));
		lua_pushvalue(L, -1);
		lua_rawseti(L, -3, ++k);
		push_node(L, b, json_object_iter_value(it));
		lua_rawset(L, -4);
	}
	lua_pop(L, 1);
}

static void push_array(lua_State *L, const struct cd_value_build *b,
		       json_t *j)
{
	size_t n = json_array_size(j);
	cd_value_build_list(L, b, (int)n);
	for (size_t i = 0; i < n; i++) {
		push_node(L, b, json_array_get(j, i));
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
}

static void push_node(lua_State *L, const struct cd_value_build *b, json_t *j)
{
	luaL_checkstack(L, 6, OP_DECODE);
	switch (json_typeof(j)) {
	case JSON_OBJECT:
		push_object(L, b, j);
		break;
	case JSON_ARRAY:
		push_array(L, b, j);
		break;
	case JSON_STRING:
		lua_pushlstring(L, json_string_value(j), json_string_length(j));
		break;
	case JSON_INTEGER:
		lua_pushinteger(L, (lua_Integer)json_integer_value(j));
		break;
	case JSON_REAL:
		lua_pushnumber(L, json_real_value(j));
		break;
	case JSON_TRUE:
	case JSON_FALSE:
		lua_pushboolean(L, json_is_true(j));
		break;
	case JSON_NULL:
		cd_value_push_null(L);
		break;
	}
}

static void free_json(void *p)
{
	json_decref(p);
}

int cd_value_push_json(lua_State *L, const char *s, size_t n,
		       const char *name, struct cd_err *err)
{
	const size_t flags =
		JSON_DECODE_ANY | JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL;
	struct cd_value_build b;
	json_error_t je;
	int top = lua_gettop(L);

	if (check_depth(s, n, name, err) != 0)
		return -(int)CD_E_INVALID;
	/* The tree is owned by a box from birth: a raise while it is turned
	 * into tables (memory limit) frees it through __gc. */
	struct cd_lptr *box = cd_lptr_push(L, NULL, free_json);
	box->ptr = json_loadb(s, n, flags, &je);
	if (!box->ptr) {
		lua_settop(L, top);
		return cd_err_set(err, CD_E_INVALID, OP_DECODE, "%s:%d:%d: %s",
				  name, je.line, je.column, je.text);
	}
	cd_value_build_open(L, &b, name);
	push_node(L, &b, box->ptr);
	if (lua_istable(L, -1))
		cd_value_build_source(L, &b, -1, 1, first_line(s, n));
	cd_lptr_release(box);
	lua_replace(L, top + 1);
	lua_settop(L, top + 1);
	return 0;
}

/* ---- encoding ---- */

struct jw {
	struct cd_value_walk w;
	struct cd_buf *out;
	int pretty;
	int level;
	int full; /* an append failed: the output is abandoned */
};

static void put(struct jw *j, const char *s, size_t n)
{
	if (!j->full && cd_buf_append(j->out, s, n) != 0)
		j->full = 1;
}

static void puts_(struct jw *j, const char *s)
{
	put(j, s, strlen(s));
}

static void newline(struct jw *j)
{
	static const char spaces[] = "                                ";
	if (!j->pretty)
		return;
	put(j, "\n", 1);
	for (int n = 2 * j->level; n > 0; n -= 32)
		put(j, spaces, n < 32 ? (size_t)n : 32);
}

static int write_string(struct jw *j, const char *s, size_t n)
{
	if (cd_value_utf8_scan(s, n) & CD_UTF8_INVALID)
		return cd_value_walk_fail(&j->w, "string is not valid UTF-8");
	put(j, "\"", 1);
	size_t run = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		put(j, s + run, i - run);
		run = i + 1;
		char esc[8];
		const char *e = c == '"'    ? "\\\""
				: c == '\\' ? "\\\\"
				: c == '\n' ? "\\n"
				: c == '\t' ? "\\t"
				: c == '\r' ? "\\r"
				: c == '\b' ? "\\b"
				: c == '\f' ? "\\f"
					    : NULL;
		if (!e) {
			snprintf(esc, sizeof esc, "\\u%04x", c);
			e = esc;
		}
		puts_(j, e);
	}
	put(j, s + run, n - run);
	put(j, "\"", 1);
	return 0;
}

static int write_value(struct jw *j, int idx);

static int write_map(struct jw *j, int idx)
{
	struct cd_value_walk *w = &j->w;
	size_t first, n;
	int rc = 0;
	if (cd_value_walk_keys(w, idx, &first, &n) != 0)
		return -1;
	put(j, "{", 1);
	j->level++;
	for (size_t i = 0; i < n && rc == 0; i++) {
		if (i)
			put(j, ",", 1);
		newline(j);
		const struct cd_value_key *k = &w->keys[first + i];
		if (cd_value_utf8_scan(k->s, k->n) & CD_UTF8_INVALID) {
			rc = cd_value_walk_fail(w, "a key is not valid UTF-8");
			break;
		}
		write_string(j, k->s, k->n);
		put(j, ": ", j->pretty ? 2 : 1);
		cd_value_walk_push_field(w, idx, first + i);
		rc = write_value(j, lua_gettop(w->L));
		cd_value_walk_pop(w);
	}
	j->level--;
	if (n)
		newline(j);
	put(j, "}", 1);
	cd_value_walk_keys_done(w, first, n);
	return rc;
}

static int write_list(struct jw *j, int idx)
{
	struct cd_value_walk *w = &j->w;
	lua_Integer n = cd_value_walk_len(w, idx);
	int rc = 0;
	put(j, "[", 1);
	j->level++;
	for (lua_Integer i = 1; i <= n && rc == 0; i++) {
		if (i > 1)
			put(j, ",", 1);
		newline(j);
		cd_value_walk_push_item(w, idx, i);
		rc = write_value(j, lua_gettop(w->L));
		cd_value_walk_pop(w);
	}
	j->level--;
	if (n)
		newline(j);
	put(j, "]", 1);
	return rc;
}

static int write_table(struct jw *j, int idx, enum cd_value_node node)
{
	if (cd_value_walk_enter(&j->w, idx) != 0)
		return -1;
	int rc = node == CD_NODE_MAP ? write_map(j, idx) : write_list(j, idx);
	cd_value_walk_leave(&j->w);
	return rc;
}

static int write_number(struct jw *j, int idx, enum cd_value_node node)
{
	char buf[40];
	if (node == CD_NODE_INT) {
		snprintf(buf, sizeof buf, LUA_INTEGER_FMT,
			 (LUAI_UACINT)lua_tointeger(j->w.L, idx));
	} else {
		double d = lua_tonumber(j->w.L, idx);
		if (!isfinite(d))
			return cd_value_walk_fail(
				&j->w, "JSON has no %s",
				isnan(d) ? "NaN" : "infinity");
		cd_value_fmt_float(d, buf);
	}
	puts_(j, buf);
	return 0;
}

static int write_value(struct jw *j, int idx)
{
	lua_State *L = j->w.L;
	enum cd_value_node node;
	size_t n;
	if (j->full)
		return 0; /* reported once, by cd_value_to_json */
	if (cd_value_walk_classify(&j->w, idx, &node) != 0)
		return -1;
	switch (node) {
	case CD_NODE_NULL:
		puts_(j, "null");
		return 0;
	case CD_NODE_BOOL:
		puts_(j, lua_toboolean(L, idx) ? "true" : "false");
		return 0;
	case CD_NODE_INT:
	case CD_NODE_FLOAT:
		return write_number(j, idx, node);
	case CD_NODE_STRING: {
		const char *s = lua_tolstring(L, idx, &n);
		return write_string(j, s, n);
	}
	default:
		return write_table(j, idx, node);
	}
}

int cd_value_to_json(lua_State *L, int idx, unsigned flags,
		     struct cd_buf *out, struct cd_err *err)
{
	struct jw j = {.out = out, .pretty = !!(flags & CD_VALUE_PRETTY)};
	size_t start = out->len;
	idx = lua_absindex(L, idx);
	cd_value_walk_open(&j.w, L, flags, OP_ENCODE, err);
	int rc = write_value(&j, idx);
	cd_value_walk_close(&j.w);
	if (rc == 0 && j.full)
		rc = cd_err_set(err, CD_E_NOMEM, OP_ENCODE,
				"out of memory or output too large");
	if (rc != 0 && out->data) {
		out->len = start; /* leave the buffer as it was */
		out->data[start] = '\0';
	}
	return rc;
}
