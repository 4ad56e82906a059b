/* YAML -> Lua (cd_value_push_yaml), then back.
 *
 * Invariants: a failed decode pushes nothing and names the input
 * ("fuzz.yaml:LINE:COL: ..."); success pushes a list of documents; every
 * document encodes to YAML, which decodes to one equal document (types,
 * integer vs float, markers) and re-encodes to the same bytes; a document
 * that encodes to JSON (finite numbers) survives that trip too. */
#include "fuzz_lua.h"

struct job {
	const char *s;
	size_t n;
	struct cd_buf a, b; /* freed after the call, which may raise */
};

static void check_doc(lua_State *L, int d, struct job *j)
{
	struct cd_err err = {0};
	char why[512] = "";
	int top = lua_gettop(L);

	cd_buf_reset(&j->a);
	cd_buf_reset(&j->b);
	FUZZ_CHECK(cd_value_to_yaml(L, d, 0, &j->a, &err) == 0,
		   "encoding a decoded document failed: %s", err.msg);
	FUZZ_CHECK(cd_value_push_yaml(L, j->a.data, j->a.len, "re.yaml",
				      &err) == 0,
		   "cdhost's own YAML does not parse: %s\n%s", err.msg,
		   j->a.data);
	FUZZ_CHECK(lua_rawlen(L, -1) == 1, "one document re-reads as %d:\n%s",
		   (int)lua_rawlen(L, -1), j->a.data);
	lua_rawgeti(L, -1, 1);
	FUZZ_CHECK(fuzz_lua_same(L, d, -1, 0, why, sizeof why),
		   "decode(encode(doc)) differs: %s\n%s", why, j->a.data);
	FUZZ_CHECK(cd_value_to_yaml(L, -1, 0, &j->b, &err) == 0,
		   "re-encoding failed: %s", err.msg);
	FUZZ_CHECK(j->a.len == j->b.len &&
			   memcmp(j->a.data, j->b.data, j->a.len) == 0,
		   "encoding is not stable:\n%s\n%s", j->a.data, j->b.data);

	cd_buf_reset(&j->a);
	if (cd_value_to_json(L, d, 0, &j->a, &err) == 0) {
		FUZZ_CHECK(cd_value_push_json(L, j->a.data, j->a.len,
					      "re.json", &err) == 0,
			   "cdhost's own JSON does not parse: %s\n%s",
			   err.msg, j->a.data);
		FUZZ_CHECK(fuzz_lua_same(L, d, -1, 0, why, sizeof why),
			   "the document changed through JSON: %s\n%s", why,
			   j->a.data);
	}
	lua_settop(L, top);
}

static int run(lua_State *L)
{
	struct job *j = lua_touserdata(L, 1);
	struct cd_err err = {0};

	lua_settop(L, 0);
	if (cd_value_push_yaml(L, j->s, j->n, "fuzz.yaml", &err) != 0) {
		FUZZ_CHECK(lua_gettop(L) == 0, "failed decode pushed a value");
		FUZZ_CHECK(strncmp(err.msg, "fuzz.yaml:", 10) == 0,
			   "message does not name the input: %s", err.msg);
		return 0;
	}
	FUZZ_CHECK(lua_gettop(L) == 1 && cd_value_kind(L, 1) == CD_VALUE_LIST,
		   "decode did not push one list");
	lua_Integer n = (lua_Integer)lua_rawlen(L, 1);
	for (lua_Integer i = 1; i <= n; i++) {
		lua_rawgeti(L, 1, i);
		check_doc(L, 2, j);
		lua_settop(L, 1);
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct job j = {(const char *)data, size, CD_BUF_INIT, CD_BUF_INIT};
	fuzz_lua_run(run, &j);
	cd_buf_free(&j.a);
	cd_buf_free(&j.b);
	return 0;
}
