/* lua/value*.c: the Lua <-> JSON/YAML conversion (SPEC section 5,
 * DESIGN "Values"). Runs with tests/fixtures as working directory.
 *
 * Most cases are short Lua chunks run in a plain state (cd_value_init +
 * cd_value_register into a global `cdhost`), with the helpers of PRELUDE;
 * the C API (errors, sources, buffers, raises) is driven directly. */
#include <jansson.h>
#include <lauxlib.h>
#include <lualib.h>
#include <stdlib.h>
#include <string.h>

#include "../../core/mem.h"
#include "../../lua/lerr.h"
#include "../../lua/value.h"
#include "t.h"

static const char PRELUDE[] =
	"Y, J = cdhost.yaml, cdhost.json\n"
	"null, map, list = cdhost.null, cdhost.map, cdhost.list\n"
	"function show(v)\n"
	"  if type(v) == 'string' then return string.format('%q', v) end\n"
	"  return tostring(v)\n"
	"end\n"
	/* typed text of a scalar: "int 420", "float 8", "str yes" */
	"function kind(v)\n"
	"  if v == null then return 'null' end\n"
	"  if math.type(v) == 'integer' then return 'int ' .. v end\n"
	"  if math.type(v) == 'float' then\n"
	"    return string.format('float %.17g', v) end\n"
	"  if type(v) == 'string' then return 'str ' .. v end\n"
	"  if type(v) == 'boolean' then return 'bool ' .. tostring(v) end\n"
	"  return type(v) .. ' ' .. tostring(getmetatable(v))\n"
	"end\n"
	"function eq(got, want, what)\n"
	"  if got ~= got and want ~= want then return end\n"
	"  if got ~= want or math.type(got) ~= math.type(want) then\n"
	"    error(string.format('%s: got %s, want %s', what or 'value',\n"
	"      show(got), show(want)), 2) end\n"
	"end\n"
	/* deep equality: types, integer vs float, markers, every key */
	"function deq(a, b, path)\n"
	"  path = path or 'value'\n"
	"  if type(a) ~= type(b) or math.type(a) ~= math.type(b) then\n"
	"    return false, path .. ': ' .. kind(a) .. ' vs ' .. kind(b) end\n"
	"  if type(a) ~= 'table' then\n"
	"    if a == b or (a ~= a and b ~= b) then return true end\n"
	"    return false, path .. ': ' .. show(a) .. ' vs ' .. show(b) end\n"
	"  if getmetatable(a) ~= getmetatable(b) then\n"
	"    return false, path .. ': marker ' .. tostring(getmetatable(a))\n"
	"      .. ' vs ' .. tostring(getmetatable(b)) end\n"
	"  for k, v in pairs(a) do\n"
	"    local ok, why = deq(v, b[k], path .. '.' .. tostring(k))\n"
	"    if not ok then return false, why end\n"
	"  end\n"
	"  for k in pairs(b) do\n"
	"    if a[k] == nil then return false, path .. '.' .. k .. ': extra' "
	"end\n"
	"  end\n"
	"  return true\n"
	"end\n"
	"function same(a, b, what)\n"
	"  local ok, why = deq(a, b)\n"
	"  if not ok then error((what or '') .. ' ' .. why, 2) end\n"
	"end\n"
	/* first differing byte, with context */
	"function eqtext(got, want, what)\n"
	"  if got == want then return end\n"
	"  local i = 1\n"
	"  while got:byte(i) == want:byte(i) do i = i + 1 end\n"
	"  error(string.format('%s: differs at byte %d: got %q, want %q',\n"
	"    what or 'text', i, got:sub(i - 30, i + 30),\n"
	"    want:sub(i - 30, i + 30)), 2)\n"
	"end\n"
	"function raises(f, ...)\n"
	"  local ok, e = pcall(f, ...)\n"
	"  if ok then error('expected an error', 2) end\n"
	"  return e\n"
	"end\n"
	/* message of a cdhost error object, checking its code and op */
	"function errmsg(op, f, ...)\n"
	"  local e = raises(f, ...)\n"
	"  if type(e) ~= 'table' then error('not an error object: ' .. "
	"tostring(e), 2) end\n"
	"  eq(e.code, 'invalid', 'code') eq(e.op, op, 'op')\n"
	"  return e.message\n"
	"end\n"
	"function ydoc(s) return Y.decode(s, 't.yaml')[1] end\n"
	"function yerr(s) return errmsg('yaml.decode', Y.decode, s, 't.yaml') "
	"end\n"
	"function jerr(s) return errmsg('json.decode', J.decode, s, 't.json') "
	"end\n"
	/* decode(encode(v)) deep-equals v, in YAML and (unless told) JSON */
	"function roundtrip(v, json_too)\n"
	"  local y = Y.encode(v)\n"
	"  same(Y.decode(y)[1], v, 'yaml ' .. show(y))\n"
	"  if json_too ~= false then\n"
	"    local j = J.encode(v)\n"
	"    same(J.decode(j), v, 'json ' .. j)\n"
	"  end\n"
	"  return y\n"
	"end\n"
	"function slurp(p)\n"
	"  local f = assert(io.open(p, 'rb'))\n"
	"  local s = f:read('a') f:close() return s\n"
	"end\n";

static lua_State *new_state(void)
{
	lua_State *L = luaL_newstate();
	luaL_openlibs(L);
	cd_lerr_init(L);
	cd_value_init(L);
	lua_newtable(L);
	cd_value_register(L, -1);
	lua_setglobal(L, "cdhost");
	if (luaL_dostring(L, PRELUDE) != LUA_OK) {
		fprintf(stderr, "prelude: %s\n", lua_tostring(L, -1));
		abort();
	}
	return L;
}

/* Runs a Lua chunk; an error fails the current test with its message. */
#define T_LUA(L, code) t_lua((L), (code), __LINE__)
static void t_lua(lua_State *L, const char *code, int line)
{
	int top = lua_gettop(L);
	if (luaL_loadstring(L, code) != LUA_OK ||
	    lua_pcall(L, 0, 0, 0) != LUA_OK) {
		fprintf(stderr, "%s:%d: lua: %s\n", __FILE__, line,
			luaL_tolstring(L, -1, NULL));
		t_checks_failed++;
		t_cur_failed = 1;
	}
	lua_settop(L, top);
}

static void set_string(lua_State *L, const char *name, const char *s)
{
	lua_pushstring(L, s);
	lua_setglobal(L, name);
}

/* ---- decoding YAML scalars as kubectl does ---- */

/* Plain scalars typed by YAML 1.1 rules (go-yaml v2's resolver, which
 * sigs.k8s.io/yaml and so kubectl use); quoted scalars and most tags. */
static void yaml_scalars_read_as_kubectl_reads_them(void)
{
	static const struct {
		const char *yaml, *want;
	} cases[] = {
		{"0644", "int 420"},
		{"-0644", "int -420"},
		{"0o17", "int 15"},
		{"0x1F", "int 31"},
		{"0X1f", "int 31"},
		{"-0x10", "int -16"},
		{"0b101", "int 5"},
		{"+12", "int 12"},
		{"1_000_000", "int 1000000"},
		{"0x_ff", "int 255"},
		{"0", "int 0"},
		{"-0", "int 0"},
		{"9223372036854775807", "int 9223372036854775807"},
		{"-9223372036854775808", "int -9223372036854775808"},
		{"08", "float 8"}, /* not octal: go-yaml falls back to float */
		{"1.5", "float 1.5"},
		{"1.", "float 1"},
		{".5", "float 0.5"},
		{"-.25e1", "float -2.5"},
		{"1e3", "float 1000"},
		{"1_000.5", "float 1000.5"},
		{"-0.0", "float -0"},
		{".inf", "float inf"},
		{"-.Inf", "float -inf"},
		{"+.INF", "float inf"},
		{".NaN", "float nan"},
		{"yes", "bool true"},
		{"Yes", "bool true"},
		{"YES", "bool true"},
		{"y", "bool true"},
		{"Y", "bool true"},
		{"on", "bool true"},
		{"On", "bool true"},
		{"ON", "bool true"},
		{"true", "bool true"},
		{"True", "bool true"},
		{"TRUE", "bool true"},
		{"no", "bool false"},
		{"No", "bool false"},
		{"NO", "bool false"},
		{"n", "bool false"},
		{"N", "bool false"},
		{"off", "bool false"},
		{"Off", "bool false"},
		{"OFF", "bool false"},
		{"false", "bool false"},
		{"False", "bool false"},
		{"FALSE", "bool false"},
		{"~", "null"},
		{"null", "null"},
		{"Null", "null"},
		{"NULL", "null"},
		{"", "null"},
		/* not in the 1.1 spellings: strings */
		{"yES", "str yES"},
		{"oN", "str oN"},
		{"tRUE", "str tRUE"},
		{"nULL", "str nULL"},
		{".iNf", "str .iNf"},
		{"1:20", "str 1:20"},
		{"2001-12-14", "str 2001-12-14"},
		{"0x", "str 0x"},
		{"0b2", "str 0b2"},
		{"._5", "str ._5"},
		{"1e400", "str 1e400"},
		{"1.2.3", "str 1.2.3"},
		{"+", "str +"},
		{"=", "str ="},
		{"<<", "str <<"},
		/* quoted and block scalars are strings */
		{"\"0644\"", "str 0644"},
		{"'yes'", "str yes"},
		{"\"\"", "str "},
		{"\"~\"", "str ~"},
		{"|\n  yes", "str yes\n"},
		/* tags */
		{"!!str 0644", "str 0644"},
		{"!!str", "str "},
		{"!!int \"0x10\"", "int 16"},
		{"!!float 1", "float 1"},
		{"!!float '2.5'", "float 2.5"},
		{"!!bool yes", "bool true"},
		{"!!null ''", "null"},
		{"!!binary aGVsbG8=", "str aGVsbG8="},
		{"!!timestamp 2001-12-14", "str 2001-12-14"},
		{"! 123", "str 123"},
		{"!custom 42", "str 42"},
	};
	lua_State *L = new_state();
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		set_string(L, "IN", cases[i].yaml);
		set_string(L, "WANT", cases[i].want);
		T_LUA(L, "eq(kind(ydoc('v: ' .. IN .. '\\n').v), WANT, IN)");
	}
	lua_close(L);
}

static void yaml_tag_mismatches_are_errors(void)
{
	lua_State *L = new_state();
	T_LUA(L, "eq(yerr('a: !!int abc\\n'), "
		 "'t.yaml:1:4: cannot decode \"abc\" as !!int')");
	T_LUA(L, "eq(yerr('a: !!float yes\\n'), "
		 "'t.yaml:1:4: cannot decode \"yes\" as !!float')");
	T_LUA(L, "eq(yerr('a: !!bool 1\\n'), "
		 "'t.yaml:1:4: cannot decode \"1\" as !!bool')");
	T_LUA(L, "eq(yerr('a: !!null x\\n'), "
		 "'t.yaml:1:4: cannot decode \"x\" as !!null')");
	T_LUA(L, "eq(yerr('a: !!map x\\n'), 't.yaml:1:4: !!map tag on a "
		 "scalar')");
	T_LUA(L, "eq(yerr('a: !!str {b: 1}\\n'), 't.yaml:1:4: !!str tag on a "
		 "map')");
	T_LUA(L, "eq(yerr('a: !!map [1]\\n'), 't.yaml:1:4: !!map tag on a "
		 "sequence')");
	/* right tags and unknown ones on collections are accepted */
	T_LUA(L, "local d = ydoc('a: !!map {b: 1}\\nc: !!seq [2]\\n"
		 "d: !!set {x}\\ne: !foo [3]\\n')\n"
		 "eq(d.a.b, 1) eq(d.c[1], 2) eq(d.d.x, null) eq(d.e[1], 3)\n"
		 "eq(getmetatable(d.d), 'cdhost.map')");
	lua_close(L);
}

static void integers_beyond_int64_are_errors(void)
{
	lua_State *L = new_state();
	T_LUA(L, "eq(yerr('a:\\n  b: 9223372036854775808\\n'), "
		 "'t.yaml:2:6: integer 9223372036854775808 is out of range "
		 "(int64)')");
	T_LUA(L, "eq(yerr('- 1\\n- -9223372036854775809\\n'), "
		 "'t.yaml:2:3: integer -9223372036854775809 is out of range "
		 "(int64)')");
	T_LUA(L, "eq(yerr('a: 0x8000000000000000\\n'), 't.yaml:1:4: integer "
		 "0x8000000000000000 is out of range (int64)')");
	T_LUA(L, "eq(yerr('a: !!int \"0b' .. string.rep('1', 64) .. "
		 "'\"\\n'), 't.yaml:1:4: integer 0b' .. string.rep('1', 38) .. "
		 "' is out of range (int64)')");
	T_LUA(L, "eq(yerr('? 99999999999999999999\\n: x\\n'), 't.yaml:1:3: "
		 "integer 99999999999999999999 is out of range (int64)')");
	T_LUA(L, "eq(jerr('{\"a\":\\n [9223372036854775808]}'), 't.json:2:21: "
		 "too big integer near \\'9223372036854775808\\'')");
	T_LUA(L, "eq(jerr('-9223372036854775809'), 't.json:1:20: too big "
		 "negative integer near \\'-9223372036854775809\\'')");
	/* the limits themselves are fine, and stay integers */
	T_LUA(L, "eq(J.decode('[9223372036854775807, "
		 "-9223372036854775808]')[2], math.mininteger)");
	T_LUA(L, "eq(ydoc('a: -9223372036854775808').a, math.mininteger)");
	T_LUA(L, "eq(roundtrip(math.maxinteger), '9223372036854775807\\n')");
	lua_close(L);
}

/* ---- floats ---- */

static void floats_are_written_in_shortest_round_trip_form(void)
{
	lua_State *L = new_state();
	T_LUA(L,
	      "local cases = {\n"
	      "  {0.1, '0.1'}, {1.0, '1.0'}, {-0.0, '-0.0'}, {100.0, "
	      "'100.0'},\n"
	      "  {1e21, '1.0e+21'}, {1e20, '100000000000000000000.0'},\n"
	      "  {1/3, '0.3333333333333333'}, {5e-324, '5.0e-324'},\n"
	      "  {1e-7, '1.0e-7'}, {1e-6, '0.000001'}, {-1.5, '-1.5'},\n"
	      "  {2^53, '9007199254740992.0'},\n"
	      "  {123456789012345678.0, '123456789012345680.0'},\n"
	      "  {1.7976931348623157e308, '1.7976931348623157e+308'},\n"
	      "  {2.5e-5, '0.000025'}, {0.30000000000000004, "
	      "'0.30000000000000004'},\n"
	      "}\n"
	      "for _, c in ipairs(cases) do\n"
	      "  eq(Y.encode(c[1]), c[2] .. '\\n', c[2])\n"
	      "  eq(J.encode(c[1]), c[2], c[2])\n"
	      "  local back = ydoc(c[2])\n"
	      "  eq(back, c[1], c[2]) eq(1 / back, 1 / c[1], 'sign')\n"
	      "  eq(J.decode(c[2]), c[1], c[2])\n"
	      "end");
	/* NaN and infinities: YAML has words for them, JSON does not */
	T_LUA(L, "eq(Y.encode(list{0/0, 1/0, -1/0}), "
		 "'- .nan\\n- .inf\\n- -.inf\\n')\n"
		 "local l = ydoc(Y.encode(list{0/0, 1/0, -1/0}))\n"
		 "eq(l[1] ~= l[1], true) eq(l[2], math.huge) eq(l[3], "
		 "-math.huge)");
	T_LUA(L, "eq(errmsg('json.encode', J.encode, 0/0), "
		 "'(root): JSON has no NaN')");
	T_LUA(L, "eq(errmsg('json.encode', J.encode, {a = {1, -1/0}}), "
		 "'a[2]: JSON has no infinity')");
	/* integers stay integers, floats floats, even when integral */
	T_LUA(L, "local d = ydoc('i: 3\\nf: 3.0\\n')\n"
		 "eq(math.type(d.i), 'integer') eq(math.type(d.f), 'float')\n"
		 "eq(Y.encode(d), 'i: 3\\nf: 3.0\\n')\n"
		 "eq(J.encode(d), '{\"i\":3,\"f\":3.0}')\n"
		 "local j = J.decode('{\"i\": 3, \"f\": 3.0, \"e\": 1e2}')\n"
		 "eq(j.i, 3) eq(j.f, 3.0) eq(j.e, 100.0)");
	lua_close(L);
}

/* Random doubles (every bit pattern but NaN/inf) survive both formats. */
static void random_doubles_round_trip(void)
{
	lua_State *L = new_state();
	T_LUA(L, "math.randomseed(20240301)\n"
		 "for i = 1, 20000 do\n"
		 "  local r = math.random(math.mininteger, math.maxinteger)\n"
		 "  local d = string.unpack('d', string.pack('j', r))\n"
		 "  if d == d and d ~= math.huge and d ~= -math.huge then\n"
		 "    local y = Y.encode(d)\n"
		 "    eq(ydoc(y), d, y)\n"
		 "    eq(J.decode(J.encode(d)), d, y)\n"
		 "    assert(y:find('[.]'), y)\n"
		 "  end\n"
		 "end");
	lua_close(L);
}

/* ---- collections ---- */

static void empty_map_and_empty_list_stay_apart(void)
{
	lua_State *L = new_state();
	T_LUA(L, "eq(Y.encode(map()), '{}\\n') eq(Y.encode(list()), '[]\\n')\n"
		 "eq(J.encode(map()), '{}') eq(J.encode(list()), '[]')");
	/* an unmarked empty table is a map (documented choice) */
	T_LUA(L, "eq(Y.encode({}), '{}\\n') eq(J.encode({}), '{}')");
	T_LUA(L, "local v = map{a = list(), b = map(), c = list{map()}}\n"
		 "eq(Y.encode(v), 'a: []\\nb: {}\\nc:\\n- {}\\n')\n"
		 "eq(J.encode(v), '{\"a\":[],\"b\":{},\"c\":[{}]}')\n"
		 "roundtrip(v)");
	T_LUA(L, "local d = ydoc('a: []\\nb: {}\\n')\n"
		 "eq(getmetatable(d.a), 'cdhost.list')\n"
		 "eq(getmetatable(d.b), 'cdhost.map')\n"
		 "local j = J.decode('{\"a\": [], \"b\": {}}')\n"
		 "eq(getmetatable(j.a), 'cdhost.list')\n"
		 "eq(getmetatable(j.b), 'cdhost.map')\n"
		 "eq(getmetatable(J.decode('[]')), 'cdhost.list')");
	lua_close(L);
}

static void nulls_round_trip(void)
{
	lua_State *L = new_state();
	T_LUA(L, "local d = ydoc('a: ~\\nb:\\nc: null\\nd: [~, null]\\n')\n"
		 "eq(d.a, null) eq(d.b, null) eq(d.c, null) eq(d.d[2], null)\n"
		 "eq(Y.encode(d), 'a: null\\nb: null\\nc: null\\nd:\\n- null\\n"
		 "- null\\n')\n"
		 "eq(J.encode(d), "
		 "'{\"a\":null,\"b\":null,\"c\":null,\"d\":[null,null]}')\n"
		 "same(J.decode(J.encode(d)), d)\n"
		 "eq(J.decode('null'), null) eq(Y.encode(nil), 'null\\n')\n"
		 "eq(type(null), 'userdata') eq(null, cdhost.null)");
	lua_close(L);
}

/* Block style, two spaces, lists under keys not indented (kubectl). */
static void yaml_layout_is_kubectl_style(void)
{
	lua_State *L = new_state();
	T_LUA(L, "local v = ydoc([==[\n"
		 "spec:\n"
		 "  containers:\n"
		 "    - name: x\n"
		 "      args: [a, b]\n"
		 "      env: [{name: A, value: '1'}]\n"
		 "  matrix: [[1, 2], [], [[3]]]\n"
		 "]==])\n"
		 "eqtext(Y.encode(v), [==[\n"
		 "spec:\n"
		 "  containers:\n"
		 "  - name: x\n"
		 "    args:\n"
		 "    - a\n"
		 "    - b\n"
		 "    env:\n"
		 "    - name: A\n"
		 "      value: \"1\"\n"
		 "  matrix:\n"
		 "  - - 1\n"
		 "    - 2\n"
		 "  - []\n"
		 "  - - - 3\n"
		 "]==])\n"
		 "roundtrip(v)");
	T_LUA(L, "eq(Y.encode(list{1, 'a', true, null}), "
		 "'- 1\\n- a\\n- true\\n- null\\n')\n"
		 "eq(Y.encode('text'), 'text\\n') eq(Y.encode(42), '42\\n')\n"
		 "eq(Y.encode(false), 'false\\n')");
	lua_close(L);
}

/* ---- strings ---- */

/* Strings a YAML 1.1 reader would take for something else are quoted;
 * the rest stay plain (keys follow the same rules). */
static void ambiguous_strings_are_quoted(void)
{
	static const struct {
		const char *s, *want;
	} cases[] = {
		{"yes", "\"yes\""},     {"No", "\"No\""},
		{"on", "\"on\""},       {"OFF", "\"OFF\""},
		{"y", "\"y\""},         {"N", "\"N\""},
		{"true", "\"true\""},   {"False", "\"False\""},
		{"null", "\"null\""},   {"Null", "\"Null\""},
		{"~", "\"~\""},         {"", "\"\""},
		{"0644", "\"0644\""},   {"08", "\"08\""},
		{"1.0", "\"1.0\""},     {"12", "\"12\""},
		{"-1", "\"-1\""},       {"+1", "\"+1\""},
		{"1e3", "\"1e3\""},     {"0x1F", "\"0x1F\""},
		{"0o17", "\"0o17\""},   {"0b1", "\"0b1\""},
		{"0x_", "\"0x_\""},     {"1_000", "\"1_000\""},
		{".5", "\".5\""},     {"._5", "\"._5\""},
		{".inf", "\".inf\""},   {"-.INF", "\"-.INF\""},
		{".nan", "\".nan\""},   {"1:20", "\"1:20\""},
		{"190:20:30.15", "\"190:20:30.15\""},
		{"2001-12-14", "\"2001-12-14\""},
		{"2001-12-14t21:59:43.10-05:00",
		 "\"2001-12-14t21:59:43.10-05:00\""},
		{"2001-12-14 21:59:43.10 -5", "\"2001-12-14 21:59:43.10 -5\""},
		{"=", "\"=\""},         {"<<", "\"<<\""},
		{" lead", "\" lead\""}, {"trail ", "\"trail \""},
		{"a: b", "\"a: b\""},   {"a:", "\"a:\""},
		{"a #b", "\"a #b\""},   {"-", "\"-\""},
		{"- x", "\"- x\""},     {"?x", "\"?x\""},
		{":x", "\":x\""},       {"*x", "\"*x\""},
		{"&x", "\"&x\""},       {"!x", "\"!x\""},
		{"|x", "\"|x\""},       {">x", "\">x\""},
		{"'x", "\"'x\""},       {"\"x", "\"\\\"x\""},
		{"%x", "\"%x\""},       {"@x", "\"@x\""},
		{"`x", "\"`x\""},       {"#x", "\"#x\""},
		{"{x}", "\"{x}\""},     {"[x]", "\"[x]\""},
		{",x", "\",x\""},       {"---", "\"---\""},
		{"...", "\"...\""},     {"--- x", "\"--- x\""},
		{"a\tb", "\"a\\tb\""},  {"bell\a", "\"bell\\a\""},
		{"nul\x01", "\"nul\\x01\""},
		{"del\x7f", "\"del\\x7F\""},
		{"cr\r", "\"cr\\r\""},
		{"nel\xc2\x85", "\"nel\\N\""},
		{"ls\xe2\x80\xa8", "\"ls\\L\""},
		{"bom\xef\xbb\xbf", "\"bom\\uFEFF\""},
		{"back\\slash: x", "\"back\\\\slash: x\""},
		/* plain */
		{"a#b", "a#b"},         {"a:b", "a:b"},
		{"-x", "-x"},           {"--port=8080", "--port=8080"},
		{"http://x:80/a?b#c", "http://x:80/a?b#c"},
		{"a, b", "a, b"},       {"1.2.3", "1.2.3"},
		{"yES", "yES"},         {"nULL", "nULL"},
		{"v1", "v1"},           {"500m", "500m"},
		{"a \"q\" b", "a \"q\" b"},
		{"it's", "it's"},       {".", "."},
		{"k:{\"name\":\"web\"}", "k:{\"name\":\"web\"}"},
		{"Grüße 世界", "Grüße 世界"},
		{"nbsp\xc2\xa0x", "nbsp\xc2\xa0x"},
	};
	lua_State *L = new_state();
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		set_string(L, "IN", cases[i].s);
		set_string(L, "WANT", cases[i].want);
		T_LUA(L, "eq(Y.encode(IN), WANT .. '\\n', show(IN))\n"
			 "eq(Y.encode(map{[IN] = 1}), WANT .. ': 1\\n', "
			 "show(IN))\n"
			 "roundtrip(IN) roundtrip(map{[IN] = IN})");
	}
	lua_close(L);
}

/* Multi-line strings: literal blocks with the right chomping, or double
 * quotes where a block cannot hold the string. */
static void multi_line_strings_use_literal_blocks(void)
{
	static const struct {
		const char *s, *want;
	} cases[] = {
		{"a\nb", "v: |-\n  a\n  b\n"},
		{"a\nb\n", "v: |\n  a\n  b\n"},
		{"a\nb\n\n", "v: |+\n  a\n  b\n\n"},
		{"a\n\n\n", "v: |+\n  a\n\n\n"},
		{"\na", "v: |-\n\n  a\n"},
		{"a\n\n b\n", "v: |\n  a\n\n   b\n"},
		{"a \nb\t\n", "v: |\n  a \n  b\t\n"},
		{"# not a comment\n---\n", "v: |\n  # not a comment\n  ---\n"},
		{"x\n  ", "v: |-\n  x\n    \n"},
		/* no block can hold these */
		{" a\nb", "v: \" a\\nb\"\n"},
		{"\n a", "v: \"\\n a\"\n"},
		{"\ta\nb", "v: \"\\ta\\nb\"\n"},
		{"\n", "v: \"\\n\"\n"},
		{"\n\n", "v: \"\\n\\n\"\n"},
		{"a\r\nb", "v: \"a\\r\\nb\"\n"},
		{"a\nb\x01", "v: \"a\\nb\\x01\"\n"},
	};
	lua_State *L = new_state();
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		set_string(L, "IN", cases[i].s);
		set_string(L, "WANT", cases[i].want);
		T_LUA(L, "eq(Y.encode(map{v = IN}), WANT, show(IN))\n"
			 "roundtrip(map{v = IN}) roundtrip(list{IN}) "
			 "roundtrip(IN)\n"
			 "roundtrip(map{k = list{map{v = IN, w = list{IN}}}})");
	}
	/* keys never use blocks */
	T_LUA(L, "eq(Y.encode(map{['a\\nb'] = 1}), '\"a\\\\nb\": 1\\n')");
	/* inside a list item and at the top */
	T_LUA(L, "eq(Y.encode(list{'a\\nb\\n'}), '- |\\n  a\\n  b\\n')\n"
		 "eq(Y.encode('a\\nb\\n'), '|\\n  a\\n  b\\n')\n"
		 "eq(Y.encode(list{map{s = 'x\\ny'}}), '- s: |-\\n    x\\n    "
		 "y\\n')");
	lua_close(L);
}

static void unicode_and_control_characters(void)
{
	lua_State *L = new_state();
	T_LUA(L, "local s = 'Grüße, 世界 ✓ 😀'\n"
		 "eq(Y.encode(s), s .. '\\n')\n"
		 "eq(J.encode(s), '\"' .. s .. '\"')\n"
		 "roundtrip(s) roundtrip(map{[s] = s})\n"
		 "eq(ydoc('\"\\\\u00e9\\\\U0001F600\"'), 'é😀')\n"
		 "eq(J.decode('\"\\\\u00e9\\\\ud83d\\\\ude00\"'), 'é😀')");
	/* every control character survives both formats */
	T_LUA(L, "local t = {}\n"
		 "for c = 0, 31 do t[#t + 1] = string.char(c) end\n"
		 "t[#t + 1] = '\\127\\u{85}\\u{a0}\\u{2028}\\u{2029}\\u{feff}"
		 "\\u{fffe}\\u{ffff}\\u{10ffff}'\n"
		 "local s = table.concat(t)\n"
		 "roundtrip(s) roundtrip(map{v = s})\n"
		 "eq(J.encode('\\0\\1\\31\"\\\\\\b\\f\\n\\r\\t'), "
		 "'\"\\\\u0000\\\\u0001\\\\u001f\\\\\"\\\\\\\\\\\\b\\\\f\\\\n\\\\r"
		 "\\\\t\"')");
	/* bytes that are not UTF-8 cannot be written */
	T_LUA(L, "eq(errmsg('yaml.encode', Y.encode, map{a = list{'\\xff'}}), "
		 "'a[1]: string is not valid UTF-8')\n"
		 "eq(errmsg('json.encode', J.encode, map{['\\xc3'] = 1}), "
		 "'(root): a key is not valid UTF-8')\n"
		 "for _, bad in ipairs{'\\xc0\\x80', '\\xed\\xa0\\x80', "
		 "'\\xf4\\x90\\x80\\x80', '\\xe2\\x82'} do\n"
		 "  raises(Y.encode, bad) raises(J.encode, bad)\n"
		 "end");
	/* nor read */
	T_LUA(L, "eq(yerr('a: b\\n\\xff\\n'), 't.yaml:2:1: invalid leading "
		 "UTF-8 octet 0xff')\n"
		 "eq(jerr('\"\\xff\"'), 't.json:1:1: unable to decode byte "
		 "0xff near \\'\"\\'')");
	lua_close(L);
}

/* ---- keys ---- */

static void non_string_keys_become_strings_as_in_kubectl(void)
{
	lua_State *L = new_state();
	T_LUA(L, "local d = ydoc('1: a\\ntrue: b\\n1.5: c\\n0x10: d\\noff: e\\n"
		 "3.0: f\\n1e6: g\\n-2: h\\n\"quoted\": i\\n0.1: j\\n')\n"
		 "eq(d['1'], 'a') eq(d['true'], 'b') eq(d['1.5'], 'c')\n"
		 "eq(d['16'], 'd') eq(d['false'], 'e') eq(d['3'], 'f')\n"
		 "eq(d['1e+06'], 'g') eq(d['-2'], 'h') eq(d.quoted, 'i')\n"
		 "eq(d['0.1'], 'j')\n"
		 "eq(raises(ydoc, 'yes: 1\\ntrue: 2\\n').message, "
		 "'t.yaml:2:1: duplicate key \"true\"')");
	T_LUA(L, "eq(Y.encode(ydoc('1: a\\nno: b\\n')), '\"1\": a\\n\"false\": "
		 "b\\n')");
	T_LUA(L, "eq(yerr('~: 1\\n'), 't.yaml:1:1: null map keys are not "
		 "supported')\n"
		 "eq(yerr('? [a]\\n: b\\n'), 't.yaml:1:3: map keys must be "
		 "scalars')\n"
		 "eq(yerr('? {a: 1}\\n: b\\n'), 't.yaml:1:3: map keys must be "
		 "scalars')\n"
		 "eq(yerr('a: &l [1]\\n*l : 2\\n'), 't.yaml:2:1: map keys must "
		 "be scalars')");
	/* an anchored key, and an alias used as a key */
	T_LUA(L, "eq(raises(ydoc, '&k name: x\\n*k : y\\n').message, "
		 "'t.yaml:2:1: duplicate key \"name\"')\n"
		 "local e = ydoc('a: &k 7\\n*k : z\\n') eq(e['7'], 'z')");
	lua_close(L);
}

/* libyaml refuses implicit keys past 1024 characters: long keys are
 * written as explicit "? key" entries, in every position. */
static void long_keys_use_explicit_entries(void)
{
	lua_State *L = new_state();
	T_LUA(L, "local k = ('k'):rep(1001)\n"
		 "eq(Y.encode(map{[k] = 1}), '? \"' .. k .. '\"\\n: 1\\n')\n"
		 "eq(Y.encode(list{map{[k] = list{1}}}), "
		 "'- ? \"' .. k .. '\"\\n  :\\n  - 1\\n')\n"
		 "eq(Y.encode(map{a = map{[k] = map{b = 1}}}), "
		 "'a:\\n  ? \"' .. k .. '\"\\n  :\\n    b: 1\\n')\n"
		 "for _, v in ipairs{1, 'x\\ny', list{1, list{}}, map{b = "
		 "map{}}, map()} do\n"
		 "  roundtrip(map{[k] = v, z = 1}) roundtrip(list{map{[k] = "
		 "v}})\n"
		 "end\n"
		 "eq(Y.encode(map{[('k'):rep(1000)] = 1}), ('k'):rep(1000) .. "
		 "': 1\\n')");
	lua_close(L);
}

static void duplicate_keys_are_errors(void)
{
	lua_State *L = new_state();
	T_LUA(L, "eq(yerr('a: 1\\nb: 2\\na: 3\\n'), "
		 "'t.yaml:3:1: duplicate key \"a\"')\n"
		 "eq(yerr('x:\\n  - {a: 1, a: 2}\\n'), "
		 "'t.yaml:2:12: duplicate key \"a\"')\n"
		 "eq(yerr('1: a\\n\"1\": b\\n'), 't.yaml:2:1: duplicate key "
		 "\"1\"')\n"
		 "eq(jerr('{\"a\": 1,\\n \"a\": 2}'), 't.json:2:4: duplicate "
		 "object key near \\'\"a\"\\'')");
	/* the same key in different maps is fine */
	T_LUA(L, "local d = ydoc('a: {a: 1}\\nb: {a: 2}\\n') eq(d.b.a, 2)");
	lua_close(L);
}

/* ---- anchors, aliases, merges ---- */

static void anchors_and_aliases_copy_values(void)
{
	lua_State *L = new_state();
	T_LUA(L, "local d = ydoc('base: &b {x: 1, l: [1, 2]}\\n"
		 "copy: *b\\ns: &s text\\nt: *s\\nn: &n 5\\nm: *n\\n')\n"
		 "same(d.copy, d.base) eq(d.t, 'text') eq(d.m, 5)\n"
		 "d.copy.x = 2 d.copy.l[1] = 9\n"
		 "eq(d.base.x, 1) eq(d.base.l[1], 1)\n"
		 "eq(getmetatable(d.copy.l), 'cdhost.list')\n"
		 "eq(Y.encode(ydoc('a: &a {z: 1, b: 2}\\nb: *a\\n')), "
		 "'a:\\n  z: 1\\n  b: 2\\nb:\\n  z: 1\\n  b: 2\\n')");
	/* anchors are scoped to their document; later ones override */
	T_LUA(L, "eq(yerr('a: &x 1\\n---\\nb: *x\\n'), "
		 "'t.yaml:3:4: unknown anchor \\'x\\'')\n"
		 "local d = ydoc('a: &x 1\\nb: &x 2\\nc: *x\\n') eq(d.c, 2)\n"
		 "eq(yerr('a: &x [*x]\\n'), "
		 "'t.yaml:1:8: unknown anchor \\'x\\'')");
	lua_close(L);
}

/* YAML 1.1 merge keys: explicit keys win wherever they are, earlier
 * sources win over later ones; merged keys take the place of "<<". */
static void merge_keys(void)
{
	lua_State *L = new_state();
	T_LUA(L, "local d = ydoc([[\n"
		 "base: &base {a: 1, b: 2, c: 3}\n"
		 "more: &more {c: 30, d: 40}\n"
		 "one:\n"
		 "  b: 20\n"
		 "  <<: *base\n"
		 "  x: 0\n"
		 "many:\n"
		 "  <<: [*more, *base]\n"
		 "  a: 10\n"
		 "inline:\n"
		 "  <<: {p: 1}\n"
		 "  '<<': quoted is a plain key\n"
		 "]])\n"
		 "eq(Y.encode(d.one), 'b: 20\\na: 1\\nc: 3\\nx: 0\\n')\n"
		 "eq(Y.encode(d.many), 'c: 30\\nd: 40\\nb: 2\\na: 10\\n')\n"
		 "eq(d.inline.p, 1) eq(d.inline['<<'], 'quoted is a plain "
		 "key')\n"
		 "d.one.c = 99 eq(d.base.c, 3)");
	T_LUA(L, "eq(yerr('<<: 1\\n'), 't.yaml:1:1: merge (<<) value must be "
		 "a map or a list of maps')\n"
		 "eq(yerr('a: &x 1\\nb:\\n  <<: [*x]\\n'), 't.yaml:3:3: merge "
		 "(<<) list items must be maps')\n"
		 "eq(yerr('<<: {a: 1}\\n<<: {b: 2}\\n'), 't.yaml:2:1: "
		 "duplicate key \"<<\"')\n"
		 "eq(yerr('a: 1\\n<<: {b: 2}\\na: 3\\n'), 't.yaml:3:1: "
		 "duplicate key \"a\"')");
	lua_close(L);
}

/* Billion laughs: each alias use is a copy, counted before it is made. */
static void alias_expansion_is_capped(void)
{
	lua_State *L = new_state();
	T_LUA(L, "local lines = {'a: &a [\"lol\",\"lol\",\"lol\",\"lol\","
		 "\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]'}\n"
		 "local prev = 'a'\n"
		 "for i, n in ipairs{'b','c','d','e','f','g','h','i'} do\n"
		 "  lines[#lines + 1] = n .. ': &' .. n .. ' [' .. "
		 "('*' .. prev .. ','):rep(8) .. '*' .. prev .. ']'\n"
		 "  prev = n\n"
		 "end\n"
		 "local text = table.concat(lines, '\\n') .. '\\n'\n"
		 "eq(yerr(text), 't.yaml:6:8: alias \\'e\\' expands past "
		 "100000 nodes (alias expansion limit)')");
	/* a moderate use of aliases is fine */
	T_LUA(L, "local d = ydoc('a: &a [1, 2, 3]\\nb: [*a, *a, *a, *a]\\n')\n"
		 "eq(#d.b, 4) eq(d.b[4][3], 3)");
	lua_close(L);
}

/* ---- caps ---- */

static void nesting_is_capped_at_200(void)
{
	lua_State *L = new_state();
	T_LUA(L, "local ok = ('['):rep(200) .. (']'):rep(200)\n"
		 "local bad = ('['):rep(201) .. (']'):rep(201)\n"
		 "eq(#ydoc(ok), 1) eq(#J.decode(ok), 1)\n"
		 "eq(yerr(bad), 't.yaml:1:201: nesting deeper than 200 "
		 "levels')\n"
		 "eq(jerr('\\n ' .. bad), 't.json:2:202: nesting deeper than "
		 "200 levels')\n"
		 "local text = {}\n"
		 "for i = 0, 200 do text[#text + 1] = (' '):rep(i) .. 'k:' "
		 "end\n"
		 "eq(yerr(table.concat(text, '\\n') .. ' 1\\n'), "
		 "'t.yaml:201:201: nesting deeper than 200 levels')");
	T_LUA(L, "local v = list() local t = v\n"
		 "for i = 1, 199 do t[1] = list() t = t[1] end\n"
		 "eq(#Y.encode(v) > 0, true) eq(#J.encode(v), 400)\n"
		 "t[1] = {a = {}}\n"
		 "local want = '[1][1][1][1]...[1][1][1][1][1][1]: nesting "
		 "deeper than 200 levels'\n"
		 "eq(errmsg('json.encode', J.encode, v), want)\n"
		 "eq(errmsg('yaml.encode', Y.encode, v), want)");
	/* aliases cannot nest a copy past the cap either */
	T_LUA(L, "local deep = ('['):rep(150) .. (']'):rep(150)\n"
		 "local text = 'a: &a ' .. deep .. '\\nb: ' .. ('['):rep(60) "
		 ".. '*a' .. (']'):rep(60) .. '\\n'\n"
		 "eq(yerr(text), 't.yaml:2:64: nesting deeper than 200 "
		 "levels')");
	lua_close(L);
}

/* ---- malformed input ---- */

static void malformed_yaml_names_line_and_column(void)
{
	lua_State *L = new_state();
	T_LUA(L, "eq(yerr('a: b: c\\n'), 't.yaml:1:5: mapping values are not "
		 "allowed in this context')\n"
		 "eq(yerr('a:\\n  - b\\n  c: d\\n'), 't.yaml:3:3: did not find "
		 "expected \\'-\\' indicator (while parsing a block collection "
		 "at line 2, column 3)')\n"
		 "eq(yerr('a: \\'x\\n'), 't.yaml:2:1: found unexpected end of "
		 "stream (while scanning a quoted scalar at line 1, column "
		 "4)')\n"
		 "eq(yerr('a:\\n\\tb: 1\\n'), 't.yaml:2:1: found character "
		 "that "
		 "cannot start any token (while scanning for the next token at "
		 "line 2, column 1)')\n"
		 "eq(yerr('[1, 2\\n'), 't.yaml:2:1: did not find expected "
		 "\\',\\' "
		 "or \\']\\' (while parsing a flow sequence at line 1, column "
		 "1)')\n"
		 "eq(errmsg('yaml.decode', Y.decode, 'a: [', 'k8s/app.yaml'), "
		 "'k8s/app.yaml:2:1: did not find expected node content (while "
		 "parsing a flow node at line 2, column 1)')\n"
		 "eq(errmsg('yaml.decode', Y.decode, '{x'), '<string>:2:1: did "
		 "not find expected \\',\\' or \\'}\\' (while parsing a flow "
		 "mapping at line 1, column 1)')");
	lua_close(L);
}

static void malformed_json_names_line_and_column(void)
{
	lua_State *L = new_state();
	T_LUA(L, "eq(jerr('{\"a\": 1,}'), 't.json:1:9: string or \\'}\\' "
		 "expected near \\'}\\'')\n"
		 "eq(jerr('[1,\\n 2'), 't.json:2:2: \\']\\' expected near end "
		 "of file')\n"
		 "eq(jerr('nul'), 't.json:1:3: invalid token near \\'nul\\'')\n"
		 "eq(jerr('[1] x'), 't.json:1:5: end of file expected near "
		 "\\'x\\'')\n"
		 "eq(jerr('\"\\\\ud800\"'), 't.json:1:8: invalid Unicode "
		 "\\'\\\\uD800\\' near \\'\"\\\\ud800\"\\'')\n"
		 "eq(jerr('{\"a\\\\u0000b\": 1}'), 't.json:1:11: NUL byte in "
		 "object key not supported near \\'\"a\\\\u0000b\"\\'')");
	/* NUL inside strings is fine */
	T_LUA(L, "eq(J.decode('\"a\\\\u0000b\"'), 'a\\0b')");
	lua_close(L);
}

/* C API: failures push nothing and fill the error record. */
static void decode_failures_push_nothing(void)
{
	lua_State *L = new_state();
	struct cd_err err;
	lua_pushinteger(L, 7);
	int top = lua_gettop(L);
	T_CHECK(cd_value_push_yaml(L, "a: [1\n", 6, "x.yaml", &err) < 0);
	T_EQ_INT(lua_gettop(L), top);
	T_EQ_INT(err.code, CD_E_INVALID);
	T_EQ_STR(err.op, "yaml.decode");
	T_EQ_STR(err.msg, "x.yaml:2:1: did not find expected ',' or ']' "
			  "(while parsing a flow sequence at line 1, column "
			  "4)");
	T_CHECK(cd_value_push_json(L, "[1", 2, "x.json", &err) < 0);
	T_EQ_INT(lua_gettop(L), top);
	T_EQ_STR(err.op, "json.decode");
	T_EQ_STR(err.msg, "x.json:1:2: ']' expected near end of file");
	T_CHECK(cd_value_push_yaml(L, "a: 1\na: 2\n", 10, "d.yaml", &err) < 0);
	T_EQ_INT(lua_gettop(L), top);
	T_EQ_INT(cd_value_push_yaml(L, "a: 1\n", 5, "ok.yaml", &err), 0);
	T_EQ_INT(lua_gettop(L), top + 1);
	T_EQ_INT(cd_value_kind(L, -1), CD_VALUE_LIST);
	T_EQ_INT(cd_value_push_json(L, " 5", 2, "ok.json", &err), 0);
	T_EQ_INT(lua_tointeger(L, -1), 5);
	T_EQ_INT(lua_gettop(L), top + 2);
	lua_close(L);
}

/* ---- encoding Lua tables ---- */

/* Unmarked tables: 1..n is a list, string keys a map, anything else an
 * error naming the path of the offending value. */
static void unmarked_tables_are_classified_or_refused(void)
{
	lua_State *L = new_state();
	T_LUA(L, "eq(Y.encode({1, 2}), '- 1\\n- 2\\n')\n"
		 "eq(Y.encode({b = 1, a = 2}), 'a: 2\\nb: 1\\n')\n"
		 "eq(J.encode({{x = {}}}), '[{\"x\":{}}]')");
	T_LUA(L, "local v = {spec = {containers = {{name = 'a'}, "
		 "{name = 'b', ports = {[1.5] = 1}}}}}\n"
		 "eq(errmsg('yaml.encode', Y.encode, v), "
		 "'spec.containers[2].ports: cannot encode a table with a "
		 "float key 1.5')\n"
		 "eq(errmsg('json.encode', J.encode, v), "
		 "'spec.containers[2].ports: cannot encode a table with a "
		 "float key 1.5')");
	T_LUA(L, "local function e(v) return errmsg('yaml.encode', Y.encode, "
		 "v) end\n"
		 "eq(e({1, 2, x = 3}), '(root): table mixes string keys and "
		 "list items')\n"
		 "eq(e({a = {[true] = 1}}), 'a: cannot encode a table with a "
		 "boolean key true')\n"
		 "eq(e({1, nil, 3}), '(root): list has holes (items 1..3, 2 "
		 "present); use cdhost.null for null items')\n"
		 "eq(e({[0] = 'x'}), '(root): cannot encode a table with an "
		 "integer key 0')\n"
		 "eq(e({[{}] = 1}), '(root): cannot encode a table with a "
		 "table key')\n"
		 "eq(e({metadata = {annotations = {['a/b'] = print}}}), "
		 "'metadata.annotations[\"a/b\"]: cannot encode a function')\n"
		 "eq(e({co = coroutine.create(print)}), 'co: cannot encode a "
		 "thread')\n"
		 "eq(e(list{io.stdout}), '[1]: cannot encode a userdata')\n"
		 "eq(e(map{[1] = 'x'}), '(root): map has an integer key 1 (map "
		 "keys must be strings)')\n"
		 "eq(e(list{1, nil, 3}), '(root): list has holes or keys other "
		 "than 1..n; use cdhost.null for null items')\n"
		 "local l = list{1, 2} l.x = 1\n"
		 "eq(e(l), '(root): list has holes or keys other than 1..n; "
		 "use cdhost.null for null items')");
	lua_close(L);
}

static void cycles_are_refused(void)
{
	lua_State *L = new_state();
	T_LUA(L, "local t = {a = {}} t.a.self = t\n"
		 "eq(errmsg('yaml.encode', Y.encode, t), "
		 "'a.self: cycle: the table contains itself')\n"
		 "local l = list() l[1] = list{l}\n"
		 "eq(errmsg('json.encode', J.encode, l), "
		 "'[1][1]: cycle: the table contains itself')");
	/* shared (acyclic) tables are written twice, not refused */
	T_LUA(L, "local s = {x = 1}\n"
		 "eq(J.encode({a = s, b = s}), "
		 "'{\"a\":{\"x\":1},\"b\":{\"x\":1}}')");
	lua_close(L);
}

/* Key order: remembered load order first (deleted keys skipped), then new
 * keys in the fixed order, then bytewise; sort_keys sorts everything. */
static void key_order(void)
{
	lua_State *L = new_state();
	T_LUA(L, "local d = ydoc('zeta: 1\\nmetadata: {}\\nalpha: 2\\n"
		 "beta: 3\\n')\n"
		 "d.beta = nil d.Zed = 4 d.data = 5 d.kind = 'K' d.apiVersion "
		 "= 'v1' d.aaa = 6 d.stringData = 7 d.spec = 8\n"
		 "eq(Y.encode(d), 'zeta: 1\\nmetadata: {}\\nalpha: 2\\n"
		 "apiVersion: v1\\nkind: K\\nspec: 8\\ndata: 5\\nstringData: "
		 "7\\n"
		 "Zed: 4\\naaa: 6\\n')\n"
		 "eq(Y.encode(d, {sort_keys = true}), 'Zed: 4\\naaa: "
		 "6\\nalpha: 2\\n"
		 "apiVersion: v1\\ndata: 5\\nkind: K\\nmetadata: {}\\nspec: "
		 "8\\n"
		 "stringData: 7\\nzeta: 1\\n')\n"
		 "eq(J.encode(d, {sort_keys = true}), '{\"Zed\":4,\"aaa\":6,"
		 "\"alpha\":2,\"apiVersion\":\"v1\",\"data\":5,\"kind\":\"K\","
		 "\"metadata\":{},\"spec\":8,\"stringData\":7,\"zeta\":1}')\n"
		 /* a key deleted and set again keeps its place */
		 "d.zeta = nil d.zeta = 9\n"
		 "eq(Y.encode(d):sub(1, 8), 'zeta: 9\\n')");
	T_LUA(L, "local j = J.decode('{\"z\": 1, \"a\": {\"y\": 1, \"b\": 2}, "
		 "\"m\": 3}')\n"
		 "eq(J.encode(j), "
		 "'{\"z\":1,\"a\":{\"y\":1,\"b\":2},\"m\":3}')\n"
		 "eq(Y.encode(j), 'z: 1\\na:\\n  \"y\": 1\\n  b: 2\\nm: "
		 "3\\n')");
	T_LUA(L, "eq(Y.encode({spec = 1, kind = 'x', b = 2, apiVersion = 'v', "
		 "a = 1, metadata = {name = 'n'}}), 'apiVersion: v\\nkind: x\\n"
		 "metadata:\\n  name: \"n\"\\nspec: 1\\na: 1\\nb: 2\\n')\n"
		 "eq(Y.encode(map{['b'] = 1, ['B'] = 2, ['a b'] = 3, ['é'] = "
		 "4, "
		 "['~'] = 5}), 'B: 2\\na b: 3\\nb: 1\\n\"~\": 5\\né: 4\\n')");
	lua_close(L);
}

/* Identical values give identical bytes, whatever their hash order. */
static void output_is_deterministic(void)
{
	static const char build[] =
		"local v = map()\n"
		"for i = 1, 300 do v['k' .. ((i * 7919) % 300)] = list{i, "
		"map{x = i}} end\n"
		"OUT = Y.encode(v) .. J.encode(v, {pretty = true})";
	static const char build_reverse[] =
		"local v = map()\n"
		"for i = 300, 1, -1 do v['k' .. ((i * 7919) % 300)] = list{i, "
		"map{x = i}} end\n"
		"OUT = Y.encode(v) .. J.encode(v, {pretty = true})";
	lua_State *a = new_state(), *b = new_state();
	T_LUA(a, build);
	T_LUA(b, build_reverse);
	lua_getglobal(a, "OUT");
	lua_getglobal(b, "OUT");
	T_CHECK(lua_rawlen(a, -1) > 1000);
	T_EQ_STR(lua_tostring(a, -1), lua_tostring(b, -1));
	lua_close(a);
	lua_close(b);
}

/* ---- documents and sources ---- */

static void multi_document_streams(void)
{
	lua_State *L = new_state();
	T_LUA(L, "local docs = Y.decode('---\\na: 1\\n---\\n---\\n# only a "
		 "comment\\n---\\nb: 2\\n...\\n--- ~\\n--- \"\"\\n')\n"
		 "eq(#docs, 4) eq(docs[1].a, 1) eq(docs[2].b, 2)\n"
		 "eq(docs[3], null) eq(docs[4], '')\n"
		 "eq(getmetatable(docs), 'cdhost.list')\n"
		 "eq(#Y.decode(''), 0) eq(#Y.decode('# nothing\\n'), 0)\n"
		 "eq(Y.encode(list{map{a = 1}, list{2}, 'x'}, {multi = true}), "
		 "'a: 1\\n---\\n- 2\\n---\\nx\\n')\n"
		 "eq(Y.encode(list(), {multi = true}), '')\n"
		 "eq(Y.encode(docs, {multi = true}), 'a: 1\\n---\\nb: "
		 "2\\n---\\n"
		 "null\\n---\\n\"\"\\n')\n"
		 "same(Y.decode(Y.encode(docs, {multi = true})), docs)");
	T_LUA(L, "eq(errmsg('yaml.encode', Y.encode, list{map{}, {f = print}}, "
		 "{multi = true}), 'document 2: f: cannot encode a function')\n"
		 "eq(errmsg('yaml.encode', Y.encode, map{a = 1}, {multi = "
		 "true}), 'multi: expected a list of documents')\n"
		 "eq(errmsg('yaml.encode', Y.encode, {a = 1}, {multi = true}), "
		 "'multi: expected a list of documents')\n"
		 "eq(Y.encode({}, {multi = true}), '')");
	lua_close(L);
}

static int source_of(lua_State *L, const char *expr, const char **file,
		     int *doc, int *line)
{
	char code[256];
	snprintf(code, sizeof code, "return %s", expr);
	if (luaL_dostring(L, code) != LUA_OK)
		return -2;
	int rc = cd_value_source(L, -1, file, doc, line);
	lua_pop(L, 1);
	return rc;
}

/* Document roots, Kubernetes objects inside them (List items) and JSON
 * roots remember file, document index (every document counts) and line. */
static void loaded_objects_remember_their_source(void)
{
	lua_State *L = new_state();
	const char *file = NULL;
	int doc = 0, line = 0;
	T_LUA(L, "DOCS = Y.decode('# c\\n---\\n---\\n\\nkind: List\\n"
		 "apiVersion: v1\\nitems:\\n- apiVersion: v1\\n  kind: Pod\\n"
		 "  spec: {a: 1}\\n---\\n- x\\n- y\\n', 'k8s/app.yaml')\n"
		 "JDOC = J.decode('\\n\\n  {\"a\": {\"b\": 1}}', 'resp.json')");
	T_EQ_INT(source_of(L, "DOCS[1]", &file, &doc, &line), 0);
	T_EQ_STR(file, "k8s/app.yaml");
	T_EQ_INT(doc, 2);
	T_EQ_INT(line, 5);
	T_EQ_INT(source_of(L, "DOCS[1].items[1]", &file, &doc, &line), 0);
	T_EQ_INT(doc, 2);
	T_EQ_INT(line, 8);
	T_EQ_INT(source_of(L, "DOCS[2]", &file, &doc, &line), 0);
	T_EQ_INT(doc, 3);
	T_EQ_INT(line, 12);
	T_EQ_INT(source_of(L, "DOCS[1].items[1].spec", &file, &doc, &line), -1);
	T_EQ_INT(source_of(L, "DOCS", &file, &doc, &line), -1);
	T_EQ_INT(source_of(L, "42", &file, &doc, &line), -1);
	T_EQ_INT(source_of(L, "map()", &file, &doc, &line), -1);
	T_EQ_INT(source_of(L, "JDOC", &file, &doc, &line), 0);
	T_EQ_STR(file, "resp.json");
	T_EQ_INT(doc, 1);
	T_EQ_INT(line, 3);
	/* aliases of an object share its record */
	T_LUA(L, "A = ydoc('a: &o {apiVersion: v1, kind: K}\\nb: *o\\n', 'x')");
	T_EQ_INT(source_of(L, "A.b", &file, &doc, &line), 0);
	T_EQ_INT(line, 1);
	/* the name outlives the tables it was recorded for */
	T_EQ_INT(source_of(L, "DOCS[1]", &file, &doc, &line), 0);
	T_LUA(L, "DOCS = nil collectgarbage() collectgarbage()");
	T_EQ_STR(file, "k8s/app.yaml");
	lua_close(L);
}

/* ---- the Lua API ---- */

static void markers_and_lua_api(void)
{
	lua_State *L = new_state();
	T_LUA(L, "local m = map{a = 1}\n"
		 "eq(getmetatable(m), 'cdhost.map') eq(m.a, 1)\n"
		 "eq(getmetatable(list()), 'cdhost.list')\n"
		 "local t = {} eq(map(t), t) eq(getmetatable(t), "
		 "'cdhost.map')\n"
		 "list(t) eq(getmetatable(t), 'cdhost.list')\n"
		 "raises(setmetatable, t, {})\n"
		 "local e = raises(map, setmetatable({}, {}))\n"
		 "assert(tostring(e):find('table already has a metatable'), "
		 "e)\n"
		 "assert(tostring(raises(map, 5)):find('bad argument #1'))\n"
		 "eq(map(nil) ~= nil, true)");
	T_LUA(L, "assert(tostring(raises(J.encode)):find('bad argument #1'))\n"
		 "assert(tostring(raises(J.decode, {})):find('bad argument "
		 "#1'))\n"
		 "assert(tostring(raises(Y.decode)):find('bad argument #1'))\n"
		 "assert(tostring(raises(J.encode, 1, {prety = true}))\n"
		 "  :find(\"unknown option 'prety'\"))\n"
		 "assert(tostring(raises(Y.encode, 1, {pretty = true}))\n"
		 "  :find(\"unknown option 'pretty'\"))\n"
		 "assert(tostring(raises(Y.encode, 1, 'x')):find('bad argument "
		 "#2'))\n"
		 "assert(tostring(raises(Y.encode, 1, {multi = true}))\n"
		 "  :find('bad argument #1'))");
	T_LUA(L, "local e = raises(J.decode, '[', 'r.json')\n"
		 "eq(e.code, 'invalid') eq(e.op, 'json.decode')\n"
		 "eq(e.message, 'r.json:1:1: \\']\\' expected near end of "
		 "file')\n"
		 "assert(tostring(e):find('json.decode: r.json:1:1:', 1, "
		 "true))");
	T_LUA(L, "local v = J.decode('{\"b\": [1, {\"c\": null}], \"a\": "
		 "\"x\"}')\n"
		 "eq(J.encode(v, {pretty = true}), '{\\n  \"b\": [\\n    1,\\n"
		 "    {\\n      \"c\": null\\n    }\\n  ],\\n  \"a\": "
		 "\"x\"\\n}')\n"
		 "eq(J.encode(v, {pretty = true, sort_keys = true}), '{\\n  "
		 "\"a\": "
		 "\"x\",\\n  \"b\": [\\n    1,\\n    {\\n      \"c\": null\\n  "
		 "  }\\n"
		 "  ]\\n}')\n"
		 "eq(J.encode(list(), {pretty = true}), '[]')\n"
		 "eq(J.encode(v, {pretty = false}), '{\"b\":[1,{\"c\":null}],"
		 "\"a\":\"x\"}')\n"
		 "eq(J.decode('123', 'n'), 123)");
	lua_close(L);
}

/* C API: encoders append, and leave the buffer as it was on failure. */
static void encoders_append_and_restore(void)
{
	lua_State *L = new_state();
	struct cd_buf b = CD_BUF_INIT;
	struct cd_err err;
	cd_buf_puts(&b, "head\n");
	T_LUA(L, "GOOD = map{a = list{1}} BAD = map{a = list{print}}");
	lua_getglobal(L, "GOOD");
	lua_getglobal(L, "BAD");
	int top = lua_gettop(L);
	T_EQ_INT(cd_value_to_yaml(L, -2, 0, &b, &err), 0);
	T_EQ_INT(cd_value_to_json(L, top - 1, 0, &b, &err), 0);
	T_EQ_STR(b.data, "head\na:\n- 1\n{\"a\":[1]}");
	T_CHECK(cd_value_to_yaml(L, -1, 0, &b, &err) < 0);
	T_EQ_STR(err.msg, "a[1]: cannot encode a function");
	T_EQ_STR(err.op, "yaml.encode");
	T_CHECK(cd_value_to_json(L, top, 0, &b, &err) < 0);
	T_EQ_STR(err.op, "json.encode");
	T_EQ_STR(b.data, "head\na:\n- 1\n{\"a\":[1]}");
	T_EQ_INT(lua_gettop(L), top);
	/* an allocation failure (buffer or key arena) is an error too */
	size_t len = b.len;
	for (long n = 1; n <= 2; n++) {
		T_LUA(L, "BIG = map() for i = 1, 100 do BIG['k' .. i] = i end");
		lua_getglobal(L, "BIG");
		cd_mem_fail_after(n);
		T_CHECK(cd_value_to_yaml(L, -1, 0, &b, &err) < 0);
		cd_mem_fail_after(0);
		T_EQ_INT(err.code, CD_E_NOMEM);
		T_EQ_INT(b.len, len);
		lua_pop(L, 1);
	}
	/* the buffer's cap is honoured */
	struct cd_buf small = CD_BUF_INIT;
	small.max = 8;
	lua_getglobal(L, "GOOD");
	T_CHECK(cd_value_to_json(L, -1, CD_VALUE_PRETTY, &small, &err) < 0);
	T_EQ_STR(err.msg, "out of memory or output too large");
	T_EQ_INT(small.len, 0);
	lua_pop(L, 1);
	T_EQ_INT(lua_gettop(L), top);
	cd_buf_free(&small);
	cd_buf_free(&b);
	lua_close(L);
}

static void kind_new_null(void)
{
	lua_State *L = new_state();
	cd_value_new(L, CD_VALUE_MAP);
	cd_value_new(L, CD_VALUE_LIST);
	cd_value_new(L, CD_VALUE_OTHER);
	cd_value_push_null(L);
	lua_pushlightuserdata(L, &L);
	T_EQ_INT(cd_value_kind(L, -5), CD_VALUE_MAP);
	T_EQ_INT(cd_value_kind(L, -4), CD_VALUE_LIST);
	T_EQ_INT(cd_value_kind(L, -3), CD_VALUE_OTHER);
	T_EQ_INT(cd_value_kind(L, -2), CD_VALUE_OTHER);
	T_CHECK(cd_value_isnull(L, -2));
	T_CHECK(!cd_value_isnull(L, -1));
	T_CHECK(!cd_value_isnull(L, -3));
	lua_pop(L, 5);
	lua_close(L);
}

/* ---- real manifests ---- */

/* decode -> encode gives the committed bytes (YAML and pretty JSON), and
 * decoding those again gives the same value (types included). */
static void fixture_round_trip(const char *name)
{
	lua_State *L = new_state();
	set_string(L, "NAME", name);
	T_LUA(L, "local base = 'values/' .. NAME\n"
		 "local docs = Y.decode(slurp(base .. '.yaml'), NAME .. "
		 "'.yaml')\n"
		 "local y = Y.encode(docs, {multi = true})\n"
		 "eqtext(y, slurp(base .. '.expected.yaml'), NAME .. ' yaml')\n"
		 "local again = Y.decode(y)\n"
		 "same(again, docs, 'yaml round trip')\n"
		 "eqtext(Y.encode(again, {multi = true}), y, 'idempotent')\n"
		 "local j = J.encode(docs, {pretty = true}) .. '\\n'\n"
		 "eqtext(j, slurp(base .. '.expected.json'), NAME .. ' json')\n"
		 "same(J.decode(j), docs, 'json round trip')\n"
		 "same(J.decode(J.encode(docs)), docs, 'compact json')");
	lua_close(L);
}

static void fixture_app(void)
{
	fixture_round_trip("app");
}

static void fixture_crd(void)
{
	fixture_round_trip("crd");
}

static void fixture_get_deploy(void)
{
	fixture_round_trip("get-deploy");
}

static void fixture_anchors(void)
{
	fixture_round_trip("anchors");
}

/* The typed values of app.yaml, checked one by one. */
static void fixture_app_values(void)
{
	lua_State *L = new_state();
	T_LUA(L, "local docs = Y.decode(slurp('values/app.yaml'), 'app.yaml')\n"
		 "eq(#docs, 3)\n"
		 "local pod = docs[1].spec.template.spec\n"
		 "eq(pod.volumes[1].configMap.defaultMode, 420)\n"
		 "eq(pod.volumes[1].configMap.items[1].mode, 256)\n"
		 "eq(pod.containers[1].env[2].value, 'on')\n"
		 "eq(pod.containers[1].args[4], '-v')\n"
		 "eq(docs[1].spec.strategy.rollingUpdate.maxSurge, '25%')\n"
		 "eq(docs[1].metadata.labels['app.kubernetes.io/version'], "
		 "'1.10')\n"
		 "eq(getmetatable(pod.tolerations), 'cdhost.list')\n"
		 "eq(getmetatable(pod.nodeSelector), 'cdhost.map')\n"
		 "local data = docs[3].data\n"
		 "eq(data.motd, 'Welcome to the shop.\\nMind the gap.')\n"
		 "eq(data.banner, '*** maintenance window: Sunday ***\\n\\n')\n"
		 "eq(data['web.conf']:sub(-25), '\\n# trailing comment "
		 "line\\n')\n"
		 "eq(data.enabled, 'yes') eq(data.tilde, '~') eq(data.tab, "
		 "'a\\tb')");
	lua_close(L);
}

/* ---- memory exhaustion ---- */

static long alloc_budget = -1; /* allocations left; -1 = unlimited */

static void *limited_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
	(void)ud;
	if (nsize == 0) {
		free(ptr);
		return NULL;
	}
	if (alloc_budget >= 0 && nsize > (ptr ? osize : 0)) {
		if (alloc_budget == 0)
			return NULL;
		alloc_budget--;
	}
	return realloc(ptr, nsize);
}

static const char EXHAUST[] =
	"local text = slurp('values/anchors.yaml') .. '---\\n' .. "
	"slurp('values/get-deploy.yaml')\n"
	"local json = slurp('values/get-deploy.expected.json')\n"
	"local f = function()\n"
	"  local docs = Y.decode(text, 'x.yaml')\n"
	"  local j = J.decode(json, 'x.json')\n"
	"  return #Y.encode(docs, {multi = true}) + #J.encode(j)\n"
	"end\n"
	"return f";

/* Every allocation the decoders and encoders make may fail with a raise
 * (the sandbox's capped allocator): fail the 1st, the 2nd, ... until the
 * work succeeds. ASan and valgrind check that nothing leaks. */
static void raises_on_exhaustion_do_not_leak(void)
{
	long n;
	int done = 0;
	for (n = 0; !done && n < 100000; n++) {
		alloc_budget = -1;
		lua_State *L = lua_newstate(limited_alloc, NULL);
		luaL_openlibs(L);
		cd_lerr_init(L);
		cd_value_init(L);
		lua_newtable(L);
		cd_value_register(L, -1);
		lua_setglobal(L, "cdhost");
		if (luaL_dostring(L, PRELUDE) || luaL_dostring(L, EXHAUST))
			abort();
		lua_gc(L, LUA_GCCOLLECT);
		alloc_budget = n;
		int rc = lua_pcall(L, 0, 1, 0);
		alloc_budget = -1;
		if (rc == LUA_OK) {
			done = 1;
			T_CHECK(lua_tointeger(L, -1) > 5000);
		} else {
			T_EQ_STR(lua_tostring(L, -1), "not enough memory");
		}
		lua_close(L);
	}
	T_CHECK(done);
	T_CHECK(n > 500); /* it did fail many times on the way */
}

/* jansson allocates with malloc: its failures are decode errors. */
static long json_budget = -1;

static void *json_alloc(size_t n)
{
	if (json_budget == 0)
		return NULL;
	if (json_budget > 0)
		json_budget--;
	return malloc(n);
}

static void jansson_out_of_memory_is_an_error(void)
{
	lua_State *L = new_state();
	struct cd_err err;
	int failed = 0, ok = 0;
	json_set_alloc_funcs(json_alloc, free);
	for (long n = 0; n < 2000 && !ok; n++) {
		const char *text = "{\"a\": [1, 2, {\"b\": \"c\"}], \"d\": "
		"1.5}";
		json_budget = n;
		int rc = cd_value_push_json(L, text, strlen(text), "m.json",
					    &err);
		json_budget = -1;
		if (rc == 0) {
			ok = 1;
			lua_pop(L, 1);
		} else {
			failed++;
			T_EQ_INT(err.code, CD_E_INVALID);
		}
	}
	json_set_alloc_funcs(malloc, free);
	T_CHECK(ok);
	T_CHECK(failed > 5);
	T_EQ_INT(lua_gettop(L), 0);
	lua_close(L);
}

/* ---- random values ---- */

/* Random nested values built from troublesome pieces: YAML and JSON give
 * them back exactly (types, markers, every string). */
static void random_values_round_trip(void)
{
	lua_State *L = new_state();
	T_LUA(L,
	      "local pieces = {'a', 'Z', ' ', '  ', '\\n', '\\n\\n', ':', '#', "
	      "'-', '?', \"'\", '\"', '\\t', '0', '1', '9', '.', 'e', 'x', "
	      "'_', "
	      "'+', '~', 'yes', 'no', 'null', 'true', 'é', '✓', '\\r', '\\\\', "
	      "'{', '}', '[', ']', ',', '&', '*', '!', '|', '>', '%', '@', "
	      "'`', '---', '...', '\\u{85}', '\\u{2028}', '\\u{feff}', '\\0', "
	      "'\\1', '\\127', '<<', '=', '0x', '2001-01-01', '1:2', '0o'}\n"
	      "local function str()\n"
	      "  local t = {}\n"
	      "  for i = 1, math.random(0, 6) do\n"
	      "    t[i] = pieces[math.random(#pieces)] end\n"
	      "  return table.concat(t)\n"
	      "end\n"
	      "local floats = {0.1, 1.0, -0.0, 1e21, 1/3, 1e-7, 5e-324, 2^63}\n"
	      "local function value(d)\n"
	      "  local r = math.random(d > 3 and 6 or 9)\n"
	      "  if r <= 3 then return str() end\n"
	      "  if r == 4 then return math.random(-1000, 1000) end\n"
	      "  if r == 5 then return floats[math.random(#floats)] end\n"
	      "  if r == 6 then return ({null, true, false})[math.random(3)] "
	      "end\n"
	      "  if r == 7 then\n"
	      "    local l = list()\n"
	      "    for i = 1, math.random(0, 3) do l[i] = value(d + 1) end\n"
	      "    return l\n"
	      "  end\n"
	      "  local m = map()\n"
	      "  for i = 1, math.random(0, 3) do\n"
	      "    m[(str():gsub('%z', ''))] = value(d + 1) end\n"
	      "  return m\n"
	      "end\n"
	      "math.randomseed(7)\n"
	      "for i = 1, 3000 do roundtrip(value(0)) end");
	lua_close(L);
}

int main(void)
{
	T_RUN(yaml_scalars_read_as_kubectl_reads_them);
	T_RUN(yaml_tag_mismatches_are_errors);
	T_RUN(integers_beyond_int64_are_errors);
	T_RUN(floats_are_written_in_shortest_round_trip_form);
	T_RUN(random_doubles_round_trip);
	T_RUN(empty_map_and_empty_list_stay_apart);
	T_RUN(nulls_round_trip);
	T_RUN(yaml_layout_is_kubectl_style);
	T_RUN(ambiguous_strings_are_quoted);
	T_RUN(multi_line_strings_use_literal_blocks);
	T_RUN(unicode_and_control_characters);
	T_RUN(non_string_keys_become_strings_as_in_kubectl);
	T_RUN(long_keys_use_explicit_entries);
	T_RUN(duplicate_keys_are_errors);
	T_RUN(anchors_and_aliases_copy_values);
	T_RUN(merge_keys);
	T_RUN(alias_expansion_is_capped);
	T_RUN(nesting_is_capped_at_200);
	T_RUN(malformed_yaml_names_line_and_column);
	T_RUN(malformed_json_names_line_and_column);
	T_RUN(decode_failures_push_nothing);
	T_RUN(unmarked_tables_are_classified_or_refused);
	T_RUN(cycles_are_refused);
	T_RUN(key_order);
	T_RUN(output_is_deterministic);
	T_RUN(multi_document_streams);
	T_RUN(loaded_objects_remember_their_source);
	T_RUN(markers_and_lua_api);
	T_RUN(encoders_append_and_restore);
	T_RUN(kind_new_null);
	T_RUN(fixture_app);
	T_RUN(fixture_crd);
	T_RUN(fixture_get_deploy);
	T_RUN(fixture_anchors);
	T_RUN(fixture_app_values);
	T_RUN(raises_on_exhaustion_do_not_leak);
	T_RUN(jansson_out_of_memory_is_an_error);
	T_RUN(random_values_round_trip);
	return T_DONE();
}
