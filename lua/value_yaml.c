/* lua/value_yaml.c — YAML text -> Lua values (SPEC section 5).
 *
 * libyaml's parser gives events; this file builds tables from them and
 * types plain scalars the way kubectl does (sigs.k8s.io/yaml unmarshals with
 * go-yaml v2, whose resolver follows YAML 1.1): 0644 is 420, yes/on are
 * true, ~ is null. Integers beyond int64 are errors; anchors, aliases (with
 * an expansion cap) and merge keys are supported; duplicate keys are errors.
 *
 * The parser and its current event live in a userdata box: building tables
 * may raise (memory limit) and the box's __gc then frees them. */
#include <ctype.h>
#include <errno.h>
#include <float.h>
#include <lauxlib.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "../core/mem.h"
#include "value_priv.h"

#define OP "yaml.decode"
#define BOX_MT "cdhost.value.yaml_parser"

/* ---- the YAML 1.1 resolver (go-yaml v2 resolve.go) ---- */

/* Exact words: the YAML 1.1 bool, null, .inf/.nan spellings (only these
 * case variants: "yES" is a string) and the merge key. */
static const struct {
	const char *word;
	enum cd_yaml_type type;
	int value; /* bool value, or the sign of an infinity (2 = NaN) */
} words[] = {
	{"y", CD_YAML_BOOL, 1},      {"Y", CD_YAML_BOOL, 1},
	{"yes", CD_YAML_BOOL, 1},    {"Yes", CD_YAML_BOOL, 1},
	{"YES", CD_YAML_BOOL, 1},    {"true", CD_YAML_BOOL, 1},
	{"True", CD_YAML_BOOL, 1},   {"TRUE", CD_YAML_BOOL, 1},
	{"on", CD_YAML_BOOL, 1},     {"On", CD_YAML_BOOL, 1},
	{"ON", CD_YAML_BOOL, 1},     {"n", CD_YAML_BOOL, 0},
	{"N", CD_YAML_BOOL, 0},      {"no", CD_YAML_BOOL, 0},
	{"No", CD_YAML_BOOL, 0},     {"NO", CD_YAML_BOOL, 0},
	{"false", CD_YAML_BOOL, 0},  {"False", CD_YAML_BOOL, 0},
	{"FALSE", CD_YAML_BOOL, 0},  {"off", CD_YAML_BOOL, 0},
	{"Off", CD_YAML_BOOL, 0},    {"OFF", CD_YAML_BOOL, 0},
	{"~", CD_YAML_NULL, 0},      {"null", CD_YAML_NULL, 0},
	{"Null", CD_YAML_NULL, 0},   {"NULL", CD_YAML_NULL, 0},
	{".nan", CD_YAML_FLOAT, 2},  {".NaN", CD_YAML_FLOAT, 2},
	{".NAN", CD_YAML_FLOAT, 2},  {".inf", CD_YAML_FLOAT, 1},
	{".Inf", CD_YAML_FLOAT, 1},  {".INF", CD_YAML_FLOAT, 1},
	{"+.inf", CD_YAML_FLOAT, 1}, {"+.Inf", CD_YAML_FLOAT, 1},
	{"+.INF", CD_YAML_FLOAT, 1}, {"-.inf", CD_YAML_FLOAT, -1},
	{"-.Inf", CD_YAML_FLOAT, -1}, {"-.INF", CD_YAML_FLOAT, -1},
	{"<<", CD_YAML_MERGE, 0},
};

static int lookup_word(const char *s, size_t n, struct cd_yaml_scalar *out)
{
	for (size_t i = 0; i < sizeof words / sizeof *words; i++) {
		if (strlen(words[i].word) != n || memcmp(words[i].word, s, n))
			continue;
		out->type = words[i].type;
		out->b = words[i].value;
		if (out->type == CD_YAML_FLOAT && words[i].value == 2)
			out->d = NAN;
		else if (out->type == CD_YAML_FLOAT)
			out->d = words[i].value * HUGE_VAL;
		return 1;
	}
	return 0;
}

static int digit_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return 99;
}

/* Integer syntax of Go's strconv.ParseInt(s, 0, 64), s without '_':
 * [+-] then 0x.. / 0o.. / 0b.. / 0[0-7]+ (octal) / 0 / [1-9][0-9]*.
 * Returns 0 if s is not an integer, 1 if it is (value in out), 2 if it is
 * one beyond int64. */
static int parse_int(const char *s, size_t n, lua_Integer *out)
{
	size_t i = 0;
	int neg = 0, base = 10, any = 0, range = 0;
	unsigned long long v = 0, limit;
	if (i < n && (s[i] == '+' || s[i] == '-'))
		neg = s[i++] == '-';
	if (i + 1 < n && s[i] == '0') {
		char p = (char)tolower((unsigned char)s[i + 1]);
		base = p == 'x' ? 16 : p == 'o' ? 8 : p == 'b' ? 2 : 8;
		i += base == 8 && p != 'o' ? 1 : 2;
	}
	limit = neg ? (unsigned long long)LLONG_MAX + 1 : LLONG_MAX;
	for (; i < n; i++) {
		int d = digit_value(s[i]);
		if (d >= base)
			return 0;
		any = 1;
		if (v > (limit - (unsigned)d) / (unsigned)base)
			range = 1;
		else
			v = v * (unsigned)base + (unsigned)d;
	}
	if (!any)
		return 0;
	if (range)
		return 2;
	if (neg && v == (unsigned long long)LLONG_MAX + 1)
		*out = LLONG_MIN;
	else
		*out = neg ? -(lua_Integer)v : (lua_Integer)v;
	return 1;
}

static size_t skip_digits(const char *s, size_t n, size_t *i)
{
	size_t start = *i;
	while (*i < n && isdigit((unsigned char)s[*i]))
		(*i)++;
	return *i - start;
}

/* go-yaml's yamlStyleFloat:
 * ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$ */
static int float_syntax(const char *s, size_t n)
{
	size_t i = 0, whole, frac = 0;
	if (i < n && (s[i] == '+' || s[i] == '-'))
		i++;
	whole = skip_digits(s, n, &i);
	if (i < n && s[i] == '.') {
		i++;
		frac = skip_digits(s, n, &i);
	}
	if (!whole && !frac)
		return 0;
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		if (!skip_digits(s, n, &i))
			return 0;
	}
	return i == n;
}

/* strtod of a float_syntax() text; 0 if it overflows (go-yaml then keeps
 * the text as a string), 1 with the value in *d. */
static int parse_float(const char *s, double *d)
{
	errno = 0;
	*d = strtod(s, NULL);
	return !(errno == ERANGE && isinf(*d));
}

/* Scalars starting with a digit or a sign: go-yaml removes every '_', then
 * tries int, then float; otherwise the text is a string. */
static enum cd_yaml_type resolve_number(const char *s, size_t n,
					struct cd_yaml_scalar *out)
{
	char small[128], *buf = n < sizeof small ? small : cd_malloc(n + 1);
	size_t len = 0;
	if (!buf)
		return out->type = CD_YAML_STR;
	for (size_t i = 0; i < n; i++)
		if (s[i] != '_')
			buf[len++] = s[i];
	buf[len] = '\0';
	switch (parse_int(buf, len, &out->i)) {
	case 1:
		out->type = CD_YAML_INT;
		break;
	case 2:
		out->type = CD_YAML_RANGE;
		break;
	default:
		out->type = float_syntax(buf, len) && parse_float(buf, &out->d)
				    ? CD_YAML_FLOAT
				    : CD_YAML_STR;
	}
	if (buf != small)
		cd_free(buf);
	return out->type;
}

enum cd_yaml_type cd_yaml_resolve(const char *s, size_t n,
				  struct cd_yaml_scalar *out)
{
	out->type = CD_YAML_STR;
	if (n == 0)
		return out->type = CD_YAML_NULL;
	if (n <= 6 && strchr("yYnNtTfFoO~.+-<", s[0]) && lookup_word(s, n, out))
		return out->type;
	if (s[0] == '.') {
		/* go-yaml: ParseFloat of the text itself, no '_' removal */
		if (float_syntax(s, n) && parse_float(s, &out->d))
			return out->type = CD_YAML_FLOAT;
		return CD_YAML_STR;
	}
	if (isdigit((unsigned char)s[0]) || s[0] == '+' || s[0] == '-')
		return resolve_number(s, n, out);
	return CD_YAML_STR;
}

/* YAML 1.1 sexagesimal numbers, [-+]?[0-9][0-9_]*(:[0-5]?[0-9])+(\.[0-9_]*)?
 * (go-yaml reads them as strings but quotes them for other readers). */
static int is_base60(const char *s, size_t n)
{
	size_t i = 0;
	int groups = 0;
	if (i < n && (s[i] == '+' || s[i] == '-'))
		i++;
	if (i >= n || !isdigit((unsigned char)s[i]))
		return 0;
	while (i < n && (isdigit((unsigned char)s[i]) || s[i] == '_'))
		i++;
	while (i < n && s[i] == ':') {
		size_t d = 0;
		for (i++; i < n && isdigit((unsigned char)s[i]) && d < 2; i++)
			d++;
		if (d == 0 || (d == 2 && s[i - 2] > '5'))
			return 0;
		groups++;
	}
	if (i < n && s[i] == '.')
		i++;
	while (i < n && (isdigit((unsigned char)s[i]) || s[i] == '_'))
		i++;
	return groups > 0 && i == n;
}

/* Conservatively anything shaped like a YAML 1.1 timestamp: YYYY-M... and
 * only date/time characters after it. */
static int is_timestamp(const char *s, size_t n)
{
	if (n < 6 || s[4] != '-' || !isdigit((unsigned char)s[5]))
		return 0;
	for (size_t i = 0; i < 4; i++)
		if (!isdigit((unsigned char)s[i]))
			return 0;
	for (size_t i = 5; i < n; i++)
		if (!strchr("0123456789-:.TtZz+ \t", s[i]) || s[i] == '\0')
			return 0;
	return 1;
}

/* 0b/0x followed by digits or '_' only: PyYAML's 1.1 int syntax takes
 * "0x_" for an integer, go-yaml (which drops the '_' first) does not. */
static int is_prefixed_int(const char *s, size_t n)
{
	size_t i = (n && (s[0] == '+' || s[0] == '-')) ? 1 : 0;
	if (n < i + 3 || s[i] != '0' || (s[i + 1] != 'b' && s[i + 1] != 'x'))
		return 0;
	int base = s[i + 1] == 'b' ? 2 : 16;
	for (i += 2; i < n; i++)
		if (s[i] != '_' && digit_value(s[i]) >= base)
			return 0;
	return 1;
}

int cd_yaml_ambiguous(const char *s, size_t n)
{
	struct cd_yaml_scalar r;
	if (cd_yaml_resolve(s, n, &r) != CD_YAML_STR)
		return 1;
	if (n == 1 && s[0] == '=') /* the 1.1 !!value key */
		return 1;
	if (s[0] == '.' && n < 64 && memchr(s, '_', n)) {
		char buf[64]; /* "._5" is a float for PyYAML */
		size_t len = 0;
		for (size_t i = 0; i < n; i++)
			if (s[i] != '_')
				buf[len++] = s[i];
		if (float_syntax(buf, len))
			return 1;
	}
	return is_base60(s, n) || is_timestamp(s, n) || is_prefixed_int(s, n);
}

/* ---- the parser box ---- */

struct ybox {
	yaml_parser_t parser;
	yaml_event_t event;
	int has_parser, has_event;
};

static void ybox_close(struct ybox *x)
{
	if (x->has_event)
		yaml_event_delete(&x->event);
	if (x->has_parser)
		yaml_parser_delete(&x->parser);
	x->has_event = x->has_parser = 0;
}

static int ybox_gc(lua_State *L)
{
	ybox_close(luaL_checkudata(L, 1, BOX_MT));
	return 0;
}

/* A closed box; the parser is acquired after, so a raise cannot leak. */
static struct ybox *ybox_push(lua_State *L)
{
	struct ybox *x = lua_newuserdatauv(L, sizeof *x, 0);
	x->has_parser = x->has_event = 0;
	if (luaL_newmetatable(L, BOX_MT)) {
		lua_pushcfunction(L, ybox_gc);
		lua_setfield(L, -2, "__gc");
		lua_pushcfunction(L, ybox_gc);
		lua_setfield(L, -2, "__close");
		lua_pushliteral(L, "cdhost: protected");
		lua_setfield(L, -2, "__metatable");
	}
	lua_setmetatable(L, -2);
	return x;
}

/* ---- the decoder ---- */

struct ydec {
	lua_State *L;
	struct ybox *x;
	struct cd_value_build b;
	const char *name;
	const char *text; /* the input, for reader-error positions */
	size_t len;
	struct cd_err *err;
	int anchors, sizes; /* slots: anchor -> value, anchor -> node count */
	int scratch;        /* slot: entries of the open collections */
	lua_Integer sp;     /* entries used in scratch */
	int doc;            /* 1-based index of the document in the stream */
	long nodes;         /* nodes built, alias copies included */
	long expanded;      /* nodes built by alias expansion */
};

static yaml_event_t *ev(struct ydec *d)
{
	return &d->x->event;
}

static int failv(struct ydec *d, yaml_mark_t m, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* "NAME:LINE:COL: what" at mark m (libyaml counts from 0). */
static int failv(struct ydec *d, yaml_mark_t m, const char *fmt, ...)
{
	char what[CD_ERR_MSG_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	return cd_err_set(d->err, CD_E_INVALID, OP, "%s:%zu:%zu: %s", d->name,
			  m.line + 1, m.column + 1, what);
}

/* Reader errors carry a byte offset only: turn it into line and column. */
static yaml_mark_t offset_mark(const struct ydec *d, size_t off)
{
	yaml_mark_t m = {off, 0, 0};
	for (size_t i = 0; i < off && i < d->len; i++) {
		if (d->text[i] == '\n')
			m.line++, m.column = 0;
		else if (((unsigned char)d->text[i] & 0xc0) != 0x80)
			m.column++;
	}
	return m;
}

static int parser_error(struct ydec *d)
{
	yaml_parser_t *p = &d->x->parser;
	if (p->error == YAML_MEMORY_ERROR)
		return cd_err_set(d->err, CD_E_NOMEM, OP, "%s: out of memory",
				  d->name);
	yaml_mark_t m = p->error == YAML_READER_ERROR
				? offset_mark(d, p->problem_offset)
				: p->problem_mark;
	const char *problem = p->problem ? p->problem : "syntax error";
	if (p->error == YAML_READER_ERROR && p->problem_value != -1)
		return failv(d, m, "%s 0x%02x", problem, p->problem_value);
	if (!p->context)
		return failv(d, m, "%s", problem);
	return failv(d, m, "%s (%s at line %zu, column %zu)", problem,
		     p->context, p->context_mark.line + 1,
		     p->context_mark.column + 1);
}

/* Replaces the current event by the next one. */
static int next(struct ydec *d)
{
	struct ybox *x = d->x;
	if (x->has_event) {
		yaml_event_delete(&x->event);
		x->has_event = 0;
	}
	if (!yaml_parser_parse(&x->parser, &x->event))
		return parser_error(d);
	x->has_event = 1;
	return 0;
}

static int fail_depth(struct ydec *d)
{
	return failv(d, ev(d)->start_mark, "nesting deeper than %d levels",
		     CD_VALUE_MAX_DEPTH);
}

static int is_tag(const yaml_char_t *tag, const char *name)
{
	return tag && strcmp((const char *)tag, name) == 0;
}

/* Tags of the YAML 1.1 core schema, by what they may be put on. */
enum tag_kind { TAG_NONE, TAG_OTHER, TAG_STRING, TAG_TYPED, TAG_MAP, TAG_SEQ };

static enum tag_kind tag_kind(const yaml_char_t *tag)
{
	static const struct {
		const char *tag;
		enum tag_kind kind;
	} core[] = {
		{YAML_STR_TAG, TAG_STRING},
		{"tag:yaml.org,2002:binary", TAG_STRING},
		{YAML_TIMESTAMP_TAG, TAG_STRING},
		{YAML_INT_TAG, TAG_TYPED},
		{YAML_FLOAT_TAG, TAG_TYPED},
		{YAML_BOOL_TAG, TAG_TYPED},
		{YAML_NULL_TAG, TAG_TYPED},
		{YAML_MAP_TAG, TAG_MAP},
		{YAML_SEQ_TAG, TAG_SEQ},
	};
	if (!tag)
		return TAG_NONE;
	for (size_t i = 0; i < sizeof core / sizeof *core; i++)
		if (is_tag(tag, core[i].tag))
			return core[i].kind;
	return TAG_OTHER; /* "!", local and unknown tags */
}

/* A core tag that belongs on another kind of node (!!map on a list...);
 * other tags on collections are ignored. */
static int wrong_tag(const yaml_char_t *tag, enum tag_kind allowed)
{
	enum tag_kind k = tag_kind(tag);
	return k != TAG_NONE && k != TAG_OTHER && k != allowed;
}

static const char *short_tag(const yaml_char_t *tag, char *buf, size_t n)
{
	static const char prefix[] = "tag:yaml.org,2002:";
	const char *t = (const char *)tag;
	if (strncmp(t, prefix, sizeof prefix - 1) == 0)
		snprintf(buf, n, "!!%s", t + sizeof prefix - 1);
	else
		snprintf(buf, n, "%s", t);
	return buf;
}

static void push_resolved(lua_State *L, const struct cd_yaml_scalar *r,
			  const char *s, size_t n)
{
	switch (r->type) {
	case CD_YAML_NULL:
		cd_value_push_null(L);
		break;
	case CD_YAML_BOOL:
		lua_pushboolean(L, r->b);
		break;
	case CD_YAML_INT:
		lua_pushinteger(L, r->i);
		break;
	case CD_YAML_FLOAT:
		lua_pushnumber(L, r->d);
		break;
	default: /* strings; "<<" outside a key position is text */
		lua_pushlstring(L, s, n);
	}
}

/* A tagged scalar must resolve to its tag's type (!!float accepts an int
 * and converts it, as go-yaml does). */
static int check_tag(struct ydec *d, const yaml_char_t *tag,
		     struct cd_yaml_scalar *r, const char *s)
{
	static const struct {
		const char *tag;
		enum cd_yaml_type type;
	} typed[] = {{YAML_INT_TAG, CD_YAML_INT},
		     {YAML_FLOAT_TAG, CD_YAML_FLOAT},
		     {YAML_BOOL_TAG, CD_YAML_BOOL},
		     {YAML_NULL_TAG, CD_YAML_NULL}};
	char buf[64];
	for (size_t i = 0; i < sizeof typed / sizeof *typed; i++) {
		if (!is_tag(tag, typed[i].tag))
			continue;
		if (typed[i].type == CD_YAML_FLOAT && r->type == CD_YAML_INT) {
			r->type = CD_YAML_FLOAT;
			r->d = (double)r->i;
		}
		if (r->type != typed[i].type && r->type != CD_YAML_RANGE)
			return failv(d, ev(d)->start_mark,
				     "cannot decode \"%.40s\" as %s", s,
				     short_tag(tag, buf, sizeof buf));
	}
	return 0;
}

/* Plain untagged scalars are resolved; quoted and block scalars, !!str,
 * !!binary (kept as its base64 text), !!timestamp, the non-specific "!"
 * and unknown tags give strings, as with kubectl. */
static int parse_scalar(struct ydec *d)
{
	yaml_event_t *e = ev(d);
	const char *s = (const char *)e->data.scalar.value;
	size_t n = e->data.scalar.length;
	const yaml_char_t *tag = e->data.scalar.tag;
	struct cd_yaml_scalar r = {CD_YAML_STR, 0, 0, 0};
	enum tag_kind kind = tag_kind(tag);
	char buf[64];

	d->nodes++;
	if (kind == TAG_MAP || kind == TAG_SEQ)
		return failv(d, e->start_mark, "%s tag on a scalar",
			     short_tag(tag, buf, sizeof buf));
	if (kind == TAG_TYPED ||
	    (kind == TAG_NONE &&
	     e->data.scalar.style == YAML_PLAIN_SCALAR_STYLE))
		cd_yaml_resolve(s, n, &r);
	if (kind == TAG_TYPED && check_tag(d, tag, &r, s) != 0)
		return -1;
	if (r.type == CD_YAML_RANGE)
		return failv(d, e->start_mark,
			     "integer %.40s is out of range (int64)", s);
	push_resolved(d->L, &r, s, n);
	return 0;
}

static int parse_node(struct ydec *d, int depth);

/* Moves the value on the stack top to the scratch stack. Items of open
 * collections wait there until their collection ends, so that each table
 * is made once, at its final size. */
static void scratch_push(struct ydec *d)
{
	lua_rawseti(d->L, d->scratch, ++d->sp);
}

static int parse_seq(struct ydec *d, int depth)
{
	lua_State *L = d->L;
	lua_Integer base = d->sp;
	char buf[64];
	const yaml_char_t *tag = ev(d)->data.sequence_start.tag;
	if (wrong_tag(tag, TAG_SEQ))
		return failv(d, ev(d)->start_mark, "%s tag on a sequence",
			     short_tag(tag, buf, sizeof buf));
	if (depth >= CD_VALUE_MAX_DEPTH)
		return fail_depth(d);
	luaL_checkstack(L, 8, OP);
	d->nodes++;
	for (;;) {
		if (next(d) != 0)
			return -1;
		if (ev(d)->type == YAML_SEQUENCE_END_EVENT)
			break;
		if (parse_node(d, depth + 1) != 0)
			return -1;
		scratch_push(d);
	}
	cd_value_build_list(L, &d->b, (int)(d->sp - base));
	for (lua_Integer i = base + 1; i <= d->sp; i++) {
		lua_rawgeti(L, d->scratch, i);
		lua_rawseti(L, -2, i - base);
	}
	d->sp = base;
	return 0;
}

static int copy_value(struct ydec *d, int idx, int depth);

static int copy_list(struct ydec *d, int idx, int depth)
{
	lua_State *L = d->L;
	lua_Integer n = (lua_Integer)lua_rawlen(L, idx);
	cd_value_build_list(L, &d->b, (int)n);
	for (lua_Integer i = 1; i <= n; i++) {
		lua_rawgeti(L, idx, i);
		if (copy_value(d, -1, depth + 1) != 0)
			return -1;
		lua_rawseti(L, -3, i);
		lua_pop(L, 1);
	}
	return 0;
}

/* Keys in the original's order; the source record is shared. */
static int copy_map(struct ydec *d, int idx, int depth)
{
	lua_State *L = d->L;
	lua_pushvalue(L, idx);
	lua_rawget(L, d->b.order); /* the original's keys */
	lua_Integer n = (lua_Integer)lua_rawlen(L, -1);
	cd_value_build_map(L, &d->b, (int)n); /* map, keys */
	lua_rotate(L, -3, -1);                 /* map, keys, original keys */
	for (lua_Integer i = 1; i <= n; i++) {
		lua_rawgeti(L, -1, i);
		lua_pushvalue(L, -1);
		lua_rawseti(L, -4, i);
		lua_pushvalue(L, -1);
		lua_rawget(L, idx);
		if (copy_value(d, -1, depth + 1) != 0)
			return -1;
		lua_remove(L, -2);
		lua_rawset(L, -5);
	}
	lua_pop(L, 2);
	lua_pushvalue(L, idx);
	lua_rawget(L, d->b.source);
	lua_pushvalue(L, -2);
	lua_insert(L, -2);
	lua_rawset(L, d->b.source);
	return 0;
}

/* Deep copy of the loaded value at idx (an alias use): markers, key order
 * and source records come along, so the copy encodes like the original. */
static int copy_value(struct ydec *d, int idx, int depth)
{
	lua_State *L = d->L;
	idx = lua_absindex(L, idx);
	d->nodes++;
	if (!lua_istable(L, idx)) {
		lua_pushvalue(L, idx);
		return 0;
	}
	if (depth >= CD_VALUE_MAX_DEPTH)
		return fail_depth(d);
	luaL_checkstack(L, 8, OP);
	if (cd_value_kind(L, idx) == CD_VALUE_LIST)
		return copy_list(d, idx, depth);
	return copy_map(d, idx, depth);
}

static int parse_alias(struct ydec *d, int depth)
{
	lua_State *L = d->L;
	yaml_event_t *e = ev(d);
	const char *name = (const char *)e->data.alias.anchor;
	lua_pushstring(L, name);
	lua_pushvalue(L, -1);
	if (lua_rawget(L, d->anchors) == LUA_TNIL)
		return failv(d, e->start_mark, "unknown anchor '%s'", name);
	lua_pushvalue(L, -2);
	lua_rawget(L, d->sizes);
	long size = (long)lua_tointeger(L, -1);
	lua_pop(L, 1);
	/* Billion laughs: every use of an alias is a full copy, so count
	 * what the copies cost before making them. */
	if (size > CD_VALUE_MAX_ALIAS_NODES - d->expanded)
		return failv(d, e->start_mark,
			     "alias '%s' expands past %d nodes (alias "
			     "expansion limit)",
			     name, CD_VALUE_MAX_ALIAS_NODES);
	d->expanded += size;
	if (copy_value(d, -1, depth) != 0)
		return -1;
	lua_replace(L, -3);
	lua_pop(L, 1);
	return 0;
}

/* The merge key is an untagged plain "<<" (YAML 1.1 merge type). */
static int is_merge_key(const yaml_event_t *e)
{
	return e->type == YAML_SCALAR_EVENT && !e->data.scalar.tag &&
	       !e->data.scalar.anchor &&
	       e->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
	       e->data.scalar.length == 2 &&
	       memcmp(e->data.scalar.value, "<<", 2) == 0;
}

/* Go's strconv.FormatFloat(f, 'g', -1, 32), which sigs.k8s.io/yaml uses
 * to turn float keys into strings. */
static void format_float_key(double d, char *buf, size_t size)
{
	char e[48];
	int p;
	if (isnan(d) || fabs(d) > FLT_MAX) {
		snprintf(buf, size, "%s",
			 isnan(d) ? ".nan" : d < 0 ? "-.inf" : ".inf");
		return;
	}
	float f = (float)d;
	for (p = 1; p < 9; p++) {
		snprintf(e, sizeof e, "%.*e", p - 1, (double)f);
		if (strtof(e, NULL) == f)
			break;
	}
	snprintf(e, sizeof e, "%.*e", p - 1, (double)f);
	int exp = atoi(strchr(e, 'e') + 1);
	if (exp < -4 || exp >= 6) /* shortest 'g': %e outside 1e-4..1e6 */
		snprintf(buf, size, "%s", e);
	else
		snprintf(buf, size, "%.*f", p - 1 - exp > 0 ? p - 1 - exp : 0,
			 (double)f);
}

/* Map keys become strings as sigs.k8s.io/yaml makes them: 1 -> "1",
 * true -> "true", 1.5 -> "1.5"; null keys are refused as kubectl does. */
static int key_to_string(struct ydec *d, yaml_mark_t m)
{
	lua_State *L = d->L;
	char buf[64];
	switch (lua_type(L, -1)) {
	case LUA_TSTRING:
		return 0;
	case LUA_TBOOLEAN:
		lua_pushstring(L, lua_toboolean(L, -1) ? "true" : "false");
		break;
	case LUA_TNUMBER:
		if (lua_isinteger(L, -1)) {
			lua_pushfstring(L, "%I",
					(LUAI_UACINT)lua_tointeger(L, -1));
			break;
		}
		format_float_key(lua_tonumber(L, -1), buf, sizeof buf);
		lua_pushstring(L, buf);
		break;
	case LUA_TLIGHTUSERDATA:
		return failv(d, m, "null map keys are not supported");
	default:
		return failv(d, m, "map keys must be scalars");
	}
	lua_replace(L, -2);
	return 0;
}

/* Pushes the key of a map entry as a string. Returns 1 (nothing pushed)
 * for the merge key. */
static int parse_key(struct ydec *d, int depth)
{
	yaml_event_t *e = ev(d);
	yaml_mark_t m = e->start_mark;
	if (e->type == YAML_MAPPING_START_EVENT ||
	    e->type == YAML_SEQUENCE_START_EVENT)
		return failv(d, m, "map keys must be scalars");
	if (is_merge_key(e))
		return 1;
	if (parse_node(d, depth) != 0)
		return -1;
	return key_to_string(d, m);
}

/* A map being built: its stack slots and key count. */
struct ymap {
	int map, keys;
	lua_Integer nkeys;
	lua_Integer base, n; /* its entries: scratch[base + 3i + 1..3] */
};

/* Entry i of the map: pushes its key, value (what = 2) or packed
 * position (what = 3). The key of a merge entry is false. */
static int entry(struct ydec *d, const struct ymap *ym, lua_Integer i,
		 int what)
{
	return lua_rawgeti(d->L, d->scratch, ym->base + 3 * i + what);
}

static yaml_mark_t unpack_mark(lua_Integer v)
{
	yaml_mark_t m = {0, (size_t)(v >> 24), (size_t)(v & 0xffffff)};
	return m;
}

static yaml_mark_t entry_mark(struct ydec *d, const struct ymap *ym,
			      lua_Integer i)
{
	entry(d, ym, i, 3);
	lua_Integer v = lua_tointeger(d->L, -1);
	lua_pop(d->L, 1);
	return unpack_mark(v);
}

static void append_key(lua_State *L, struct ymap *ym, int key)
{
	lua_pushvalue(L, key);
	lua_rawseti(L, ym->keys, ++ym->nkeys);
}

/* Merges the map at src into the map: keys it already has win (YAML 1.1
 * merge: explicit keys override merged ones, earlier sources override
 * later). src is a fresh table, so its values are moved, not copied.
 * Merged keys take the place of "<<" in the key order. */
static void merge_one(struct ydec *d, struct ymap *ym, int src)
{
	lua_State *L = d->L;
	lua_pushvalue(L, src);
	lua_rawget(L, d->b.order);
	lua_Integer n = (lua_Integer)lua_rawlen(L, -1);
	for (lua_Integer i = 1; i <= n; i++) {
		lua_rawgeti(L, -1, i); /* okeys, k */
		lua_pushvalue(L, -1);
		int absent = lua_rawget(L, ym->map) == LUA_TNIL;
		lua_pop(L, 1);
		if (!absent) {
			lua_pop(L, 1);
			continue;
		}
		append_key(L, ym, lua_gettop(L));
		lua_pushvalue(L, -1);
		lua_rawget(L, src); /* okeys, k, v */
		lua_rawset(L, ym->map);
	}
	lua_pop(L, 1);
}

/* The value of "<<" (on the stack top): a map or a list of maps. */
static int merge(struct ydec *d, struct ymap *ym, yaml_mark_t m)
{
	lua_State *L = d->L;
	int src = lua_gettop(L);
	if (cd_value_kind(L, src) == CD_VALUE_MAP) {
		merge_one(d, ym, src);
	} else if (cd_value_kind(L, src) == CD_VALUE_LIST) {
		lua_Integer n = (lua_Integer)lua_rawlen(L, src);
		for (lua_Integer i = 1; i <= n; i++) {
			lua_rawgeti(L, src, i);
			if (cd_value_kind(L, -1) != CD_VALUE_MAP)
				return failv(d, m, "merge (<<) list items "
						   "must be maps");
			merge_one(d, ym, lua_gettop(L));
			lua_pop(L, 1);
		}
	} else {
		return failv(d, m, "merge (<<) value must be a map or a list "
				   "of maps");
	}
	lua_settop(L, src - 1);
	return 0;
}

/* First pass: every explicit key, refusing duplicates (of "<<" too). */
static int set_explicit(struct ydec *d, struct ymap *ym)
{
	lua_State *L = d->L;
	int merges = 0;
	for (lua_Integer i = 0; i < ym->n; i++) {
		if (entry(d, ym, i, 1) != LUA_TSTRING) {
			lua_pop(L, 1);
			if (merges++)
				return failv(d, entry_mark(d, ym, i),
					     "duplicate key \"<<\"");
			continue;
		}
		lua_pushvalue(L, -1);
		if (lua_rawget(L, ym->map) != LUA_TNIL)
			return failv(d, entry_mark(d, ym, i),
				     "duplicate key \"%.80s\"",
				     lua_tostring(L, -2));
		lua_pop(L, 1);
		entry(d, ym, i, 2);
		lua_rawset(L, ym->map);
	}
	return 0;
}

/* Second pass: the key order, and merges at the place of their "<<". */
static int order_and_merge(struct ydec *d, struct ymap *ym)
{
	lua_State *L = d->L;
	for (lua_Integer i = 0; i < ym->n; i++) {
		if (entry(d, ym, i, 1) == LUA_TSTRING) {
			lua_rawseti(L, ym->keys, ++ym->nkeys);
			continue;
		}
		lua_pop(L, 1);
		entry(d, ym, i, 2);
		if (merge(d, ym, entry_mark(d, ym, i)) != 0)
			return -1;
	}
	return 0;
}

/* A Kubernetes object (apiVersion and kind), such as an item of a List:
 * it gets a source record like a document root. Other inner maps do not:
 * records for every map cost an eighth of the decoding time. */
static int is_object(lua_State *L, int map)
{
	lua_pushliteral(L, "kind");
	int kind = lua_rawget(L, map) == LUA_TSTRING;
	lua_pushliteral(L, "apiVersion");
	int api = lua_rawget(L, map) == LUA_TSTRING;
	lua_pop(L, 2);
	return kind && api;
}

/* One "key: value" entry onto the scratch stack: key (false for "<<"),
 * value, packed position of the key. */
static int map_entry(struct ydec *d, int depth)
{
	lua_State *L = d->L;
	yaml_mark_t m = ev(d)->start_mark;
	int rc = parse_key(d, depth);
	if (rc < 0)
		return -1;
	if (rc == 1)
		lua_pushboolean(L, 0);
	scratch_push(d);
	if (next(d) != 0 || parse_node(d, depth) != 0)
		return -1;
	scratch_push(d);
	lua_pushinteger(L, (lua_Integer)(m.line << 24 |
					 (m.column < 0xffffff ? m.column
							      : 0xffffff)));
	scratch_push(d);
	return 0;
}

static int parse_map(struct ydec *d, int depth)
{
	lua_State *L = d->L;
	char buf[64];
	yaml_event_t *e = ev(d);
	const yaml_char_t *tag = e->data.mapping_start.tag;
	int line = (int)e->start_mark.line + 1;
	struct ymap ym = {0, 0, 0, d->sp, 0};
	if (wrong_tag(tag, TAG_MAP))
		return failv(d, e->start_mark, "%s tag on a map",
			     short_tag(tag, buf, sizeof buf));
	if (depth >= CD_VALUE_MAX_DEPTH)
		return fail_depth(d);
	luaL_checkstack(L, 12, OP);
	d->nodes++;
	for (;;) {
		if (next(d) != 0)
			return -1;
		if (ev(d)->type == YAML_MAPPING_END_EVENT)
			break;
		if (map_entry(d, depth + 1) != 0)
			return -1;
	}
	ym.n = (d->sp - ym.base) / 3;
	cd_value_build_map(L, &d->b, (int)ym.n);
	ym.map = lua_gettop(L) - 1;
	ym.keys = ym.map + 1;
	if (set_explicit(d, &ym) != 0 || order_and_merge(d, &ym) != 0)
		return -1;
	if (depth == 0 || is_object(L, ym.map))
		cd_value_build_source(L, &d->b, ym.map, d->doc, line);
	d->sp = ym.base;
	lua_settop(L, ym.map);
	return 0;
}

static const yaml_char_t *node_anchor(const yaml_event_t *e)
{
	switch (e->type) {
	case YAML_SCALAR_EVENT:
		return e->data.scalar.anchor;
	case YAML_SEQUENCE_START_EVENT:
		return e->data.sequence_start.anchor;
	case YAML_MAPPING_START_EVENT:
		return e->data.mapping_start.anchor;
	default:
		return NULL;
	}
}

/* Remembers the value on the stack top (built from `start` nodes on)
 * under the anchor name just below it, and drops the name. */
static void store_anchor(struct ydec *d, long start)
{
	lua_State *L = d->L;
	lua_pushvalue(L, -2);
	lua_pushvalue(L, -2);
	lua_rawset(L, d->anchors);
	lua_pushvalue(L, -2);
	lua_pushinteger(L, d->nodes - start);
	lua_rawset(L, d->sizes);
	lua_remove(L, -2);
}

/* The current event starts a node: pushes its value; on return the
 * current event is the node's last one. */
static int parse_node(struct ydec *d, int depth)
{
	const yaml_char_t *anchor = node_anchor(ev(d));
	long start = d->nodes;
	int rc;
	if (anchor)
		lua_pushstring(d->L, (const char *)anchor);
	switch (ev(d)->type) {
	case YAML_SCALAR_EVENT:
		rc = parse_scalar(d);
		break;
	case YAML_SEQUENCE_START_EVENT:
		rc = parse_seq(d, depth);
		break;
	case YAML_MAPPING_START_EVENT:
		rc = parse_map(d, depth);
		break;
	case YAML_ALIAS_EVENT:
		return parse_alias(d, depth);
	default:
		return failv(d, ev(d)->start_mark, "unexpected YAML event");
	}
	if (rc == 0 && anchor)
		store_anchor(d, start);
	return rc;
}

/* A document with no content at all (only "---", or only comments). */
static int is_empty_document(const yaml_event_t *e)
{
	return e->type == YAML_SCALAR_EVENT && e->data.scalar.length == 0 &&
	       !e->data.scalar.tag && !e->data.scalar.anchor &&
	       e->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
}

/* One document: pushes its root, or nothing when it is empty. The current
 * event is DOCUMENT-START on entry, DOCUMENT-END on return. */
static int parse_document(struct ydec *d, int *pushed)
{
	lua_State *L = d->L;
	d->doc++;
	lua_newtable(L); /* anchors are scoped to their document */
	lua_replace(L, d->anchors);
	lua_newtable(L);
	lua_replace(L, d->sizes);
	if (next(d) != 0)
		return -1;
	int empty = is_empty_document(ev(d));
	int line = (int)ev(d)->start_mark.line + 1;
	if (parse_node(d, 0) != 0 || next(d) != 0)
		return -1;
	if (empty) {
		lua_pop(L, 1);
		*pushed = 0;
		return 0;
	}
	if (cd_value_kind(L, -1) == CD_VALUE_LIST)
		cd_value_build_source(L, &d->b, -1, d->doc, line);
	*pushed = 1;
	return 0;
}

/* Pushes the list of the stream's non-empty documents. */
static int parse_stream(struct ydec *d)
{
	lua_State *L = d->L;
	lua_Integer n = 0;
	cd_value_build_list(L, &d->b, 0);
	int docs = lua_gettop(L);
	if (next(d) != 0) /* STREAM-START */
		return -1;
	for (;;) {
		int pushed;
		if (next(d) != 0)
			return -1;
		if (ev(d)->type == YAML_STREAM_END_EVENT)
			return 0;
		if (parse_document(d, &pushed) != 0)
			return -1;
		if (pushed)
			lua_rawseti(L, docs, ++n);
	}
}

int cd_value_push_yaml(lua_State *L, const char *s, size_t n,
		       const char *name, struct cd_err *err)
{
	struct ydec d = {.L = L, .name = name, .text = s, .len = n,
			 .err = err};
	int top = lua_gettop(L);
	luaL_checkstack(L, 16, OP);
	d.x = ybox_push(L);
	if (!yaml_parser_initialize(&d.x->parser)) {
		lua_settop(L, top);
		return cd_err_set(err, CD_E_NOMEM, OP, "%s: out of memory",
				  name);
	}
	d.x->has_parser = 1;
	yaml_parser_set_input_string(&d.x->parser, (const unsigned char *)s,
				     n);
	cd_value_build_open(L, &d.b, name);
	lua_pushnil(L);
	d.anchors = lua_gettop(L);
	lua_pushnil(L);
	d.sizes = lua_gettop(L);
	lua_newtable(L);
	d.scratch = lua_gettop(L);
	int rc = parse_stream(&d);
	ybox_close(d.x);
	if (rc != 0) {
		lua_settop(L, top);
		return rc;
	}
	lua_replace(L, top + 1);
	lua_settop(L, top + 1);
	return 0;
}
