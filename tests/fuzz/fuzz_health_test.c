/* health_test.yaml and test inputs (cd_health_load_yaml, lua/health.c):
 * YAML documents decoded in a Lua state, then converted to JSON, as
 * `cdhost health test` and `cdhost health -f` read them.
 *
 * Invariants: the state's stack is left empty; success gives one JSON
 * value per YAML document (cd_value_push_yaml's count); each document's
 * JSON text re-reads through cd_value_push_json + cd_value_to_jansson to
 * an equal value; the tests list is walked as `health test` does (keys
 * case-insensitive); a second load in the same state gives an equal
 * result (one state serves every file); failure gives a message that names
 * the file. */
#include "../../lua/health.h"
#include "../../lua/value_jansson.h"
#include "fuzz_lua.h"

#define NAME "dir/health_test.yaml"

static json_t *load(lua_State *L, const char *s, size_t n, int *rc,
		    struct cd_err *err)
{
	json_t *docs = NULL;
	memset(err, 0, sizeof *err);
	*rc = cd_health_load_yaml(L, NAME, s, n, &docs, err);
	FUZZ_CHECK(lua_gettop(L) == 0, "stack left at %d", lua_gettop(L));
	if (*rc != 0) {
		FUZZ_CHECK(!docs && err->msg[0], "failure without a message");
		FUZZ_CHECK(strstr(err->msg, NAME) || err->code == CD_E_NOMEM,
			   "message without the file: %s", err->msg);
	} else {
		FUZZ_CHECK(json_is_array(docs), "not an array");
	}
	return docs;
}

/* The number of documents cd_value_push_yaml reads, -1 on error. */
static int count_docs(lua_State *L, const char *s, size_t n)
{
	struct cd_err err = {0};
	if (cd_value_push_yaml(L, s, n, NAME, &err) != 0)
		return -1;
	int k = (int)luaL_len(L, -1);
	lua_settop(L, 0);
	return k;
}

/* JSON text of d -> value -> JSON: equal. */
static void json_trip(lua_State *L, json_t *d)
{
	char *text = json_dumps(d, JSON_COMPACT | JSON_ENCODE_ANY);
	struct cd_err err = {0};
	json_t *back = NULL;
	FUZZ_CHECK(text, "document does not encode");
	if (cd_value_push_json(L, text, strlen(text), "doc", &err) == 0) {
		FUZZ_CHECK(cd_value_to_jansson(L, -1, &back, &err) == 0,
			   "re-read document does not convert: %s", err.msg);
		FUZZ_CHECK(json_equal(d, back), "round trip differs: %s", text);
		json_decref(back);
	} else {
		FUZZ_CHECK(err.code == CD_E_NOMEM, "own JSON rejected: %s: %s",
			   err.msg, text);
	}
	lua_settop(L, 0);
	free(text);
}

/* The case walk of `health test`: tests[*].inputPath / healthStatus. */
static const json_t *ci_get(const json_t *o, const char *key)
{
	const char *k;
	const json_t *v;
	json_object_foreach((json_t *)o, k, v) {
		if (strcasecmp(k, key) == 0)
			return v;
	}
	return NULL;
}

static void walk(const json_t *docs)
{
	size_t i;
	const json_t *tc;
	json_array_foreach(ci_get(json_array_get(docs, 0), "tests"), i, tc) {
		const json_t *hs = ci_get(tc, "healthStatus");
		(void)json_string_value(ci_get(tc, "inputPath"));
		(void)json_string_value(ci_get(hs, "status"));
	}
}

static int job(lua_State *L)
{
	const struct {
		const char *s;
		size_t n;
	} *in = lua_touserdata(L, 1);
	lua_settop(L, 0);
	struct cd_err err;
	int rc, rc2;
	json_t *docs = load(L, in->s, in->n, &rc, &err);
	json_t *again = load(L, in->s, in->n, &rc2, &err);
	if (rc == 0 && rc2 == 0)
		FUZZ_CHECK(json_equal(docs, again), "second load differs");
	else
		FUZZ_CHECK(rc == rc2 || rc == -(int)CD_E_NOMEM ||
				   rc2 == -(int)CD_E_NOMEM,
			   "second load: rc %d then %d", rc, rc2);
	if (rc == 0) {
		int k = count_docs(L, in->s, in->n);
		FUZZ_CHECK(k < 0 || (size_t)k == json_array_size(docs),
			   "%zu documents, YAML has %d",
			   json_array_size(docs), k);
		size_t i;
		json_t *d;
		json_array_foreach(docs, i, d)
			json_trip(L, d);
		walk(docs);
	}
	json_decref(docs);
	json_decref(again);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct {
		const char *s;
		size_t n;
	} in = {(const char *)data, size};
	fuzz_lua_used = 0;
	lua_State *L = lua_newstate(fuzz_lua_alloc, NULL);
	if (!L)
		abort();
	lua_pushcfunction(L, job);
	lua_pushlightuserdata(L, &in);
	int rc = lua_pcall(L, 1, 0, 0);
	FUZZ_CHECK(rc == LUA_OK || rc == LUA_ERRMEM, "raised: %s",
		   lua_tostring(L, -1));
	lua_close(L);
	return 0;
}
