/* JSON -> Lua (cd_value_push_json), then back.
 *
 * Invariants: a failed decode pushes nothing and names the input
 * ("fuzz.json:LINE:COL: ..."); a decoded value encodes; the encoding
 * decodes to an equal value (types, integer vs float, map/list markers)
 * and re-encodes to the same bytes (key order is kept); the value also
 * survives a trip through YAML. */
#include "fuzz_lua.h"

struct job {
	const char *s;
	size_t n;
	struct cd_buf a, b, y; /* freed after the call, which may raise */
};

static void encode(lua_State *L, int idx, int yaml, struct cd_buf *out)
{
	struct cd_err err = {0};
	int rc = yaml ? cd_value_to_yaml(L, idx, 0, out, &err)
		      : cd_value_to_json(L, idx, 0, out, &err);
	FUZZ_CHECK(rc == 0, "encoding a decoded value failed: %s", err.msg);
}

/* Decodes text that cdhost itself wrote; it must parse. */
static void decode(lua_State *L, const struct cd_buf *b, int yaml)
{
	struct cd_err err = {0};
	int top = lua_gettop(L);
	int rc = yaml ? cd_value_push_yaml(L, b->data, b->len, "re.yaml", &err)
		      : cd_value_push_json(L, b->data, b->len, "re.json", &err);
	FUZZ_CHECK(rc == 0, "cdhost's own output does not parse: %s\n%s",
		   err.msg, b->data);
	FUZZ_CHECK(lua_gettop(L) == top + 1, "decode pushed %d values",
		   lua_gettop(L) - top);
}

static int run(lua_State *L)
{
	struct job *j = lua_touserdata(L, 1);
	struct cd_err err = {0};
	char why[512] = "";

	lua_settop(L, 0);
	if (cd_value_push_json(L, j->s, j->n, "fuzz.json", &err) != 0) {
		FUZZ_CHECK(lua_gettop(L) == 0, "failed decode pushed a value");
		FUZZ_CHECK(strncmp(err.msg, "fuzz.json:", 10) == 0,
			   "message does not name the input: %s", err.msg);
		return 0;
	}
	FUZZ_CHECK(lua_gettop(L) == 1, "decode pushed %d values",
		   lua_gettop(L));

	struct cd_buf *a = &j->a, *b = &j->b, *y = &j->y;
	encode(L, 1, 0, a);
	decode(L, a, 0); /* 2 */
	FUZZ_CHECK(fuzz_lua_same(L, 1, 2, 0, why, sizeof why),
		   "decode(encode(v)) differs: %s\n%s", why, a->data);
	encode(L, 2, 0, b);
	FUZZ_CHECK(a->len == b->len && memcmp(a->data, b->data, a->len) == 0,
		   "encoding is not stable:\n%s\n%s", a->data, b->data);

	encode(L, 1, 1, y);
	decode(L, y, 1); /* 3: the list of documents */
	FUZZ_CHECK(lua_rawlen(L, 3) == 1, "YAML of one value has %d docs:\n%s",
		   (int)lua_rawlen(L, 3), y->data);
	lua_rawgeti(L, 3, 1);
	FUZZ_CHECK(fuzz_lua_same(L, 1, -1, 0, why, sizeof why),
		   "the value changed through YAML: %s\n%s", why, y->data);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct job j = {(const char *)data, size, CD_BUF_INIT, CD_BUF_INIT,
			CD_BUF_INIT};
	fuzz_lua_run(run, &j);
	cd_buf_free(&j.a);
	cd_buf_free(&j.b);
	cd_buf_free(&j.y);
	return 0;
}
