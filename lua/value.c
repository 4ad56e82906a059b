/* lua/value.c — markers, null, side tables and the Lua bindings of
 * cdhost.json / cdhost.yaml / cdhost.map / cdhost.list / cdhost.null.
 * The representation is described in value.h and docs/internals/value.md. */
#include "value.h"

#include <assert.h>
#include <lauxlib.h>
#include <string.h>

#include "lbuf.h"
#include "lerr.h"
#include "value_priv.h"

const char cd_value_reg[CD_VREG_COUNT];

static const char *const marker_names[] = {
	[CD_VALUE_MAP] = "cdhost.map",
	[CD_VALUE_LIST] = "cdhost.list",
};

/* A marker metatable: protected, so getmetatable() returns its name. */
static void new_marker(lua_State *L, enum cd_value_kind kind)
{
	lua_createtable(L, 0, 2);
	lua_pushstring(L, marker_names[kind]);
	lua_setfield(L, -2, "__metatable");
	lua_pushstring(L, marker_names[kind]);
	lua_setfield(L, -2, "__name");
	lua_rawsetp(L, LUA_REGISTRYINDEX,
		    &cd_value_reg[kind == CD_VALUE_MAP ? CD_VREG_MAP
						       : CD_VREG_LIST]);
}

/* A side table: weak keys (__mode = "k"), so remembering the key order or
 * the source of a loaded table never keeps that table alive. */
static void new_weak(lua_State *L, enum cd_value_reg r)
{
	lua_newtable(L);
	lua_createtable(L, 0, 1);
	lua_pushliteral(L, "k");
	lua_setfield(L, -2, "__mode");
	lua_setmetatable(L, -2);
	lua_rawsetp(L, LUA_REGISTRYINDEX, &cd_value_reg[r]);
}

void cd_value_init(lua_State *L)
{
	new_marker(L, CD_VALUE_MAP);
	new_marker(L, CD_VALUE_LIST);
	new_weak(L, CD_VREG_ORDER);
	new_weak(L, CD_VREG_SOURCE);
	lua_newtable(L);
	lua_rawsetp(L, LUA_REGISTRYINDEX, &cd_value_reg[CD_VREG_FILES]);
}

void cd_value_copy(lua_State *L, int idx)
{
	idx = lua_absindex(L, idx);
	cd_value_new(L, cd_value_kind(L, idx) == CD_VALUE_LIST ? CD_VALUE_LIST
							      : CD_VALUE_MAP);
	int copy = lua_gettop(L);
	lua_pushnil(L);
	while (lua_next(L, idx)) {
		lua_pushvalue(L, -2);
		lua_insert(L, -2);
		lua_rawset(L, copy);
	}
	cd_value_getreg(L, CD_VREG_ORDER);
	lua_pushvalue(L, idx);
	if (lua_rawget(L, -2) == LUA_TTABLE) { /* a list of the keys */
		lua_Unsigned n = lua_rawlen(L, -1);
		lua_createtable(L, (int)n, 0);
		for (lua_Unsigned i = 1; i <= n; i++) {
			lua_rawgeti(L, -2, (lua_Integer)i);
			lua_rawseti(L, -2, (lua_Integer)i);
		}
		lua_pushvalue(L, copy);
		lua_insert(L, -2);
		lua_rawset(L, -4);
	}
	lua_settop(L, copy);
}

void cd_value_push_null(lua_State *L)
{
	lua_pushlightuserdata(L, NULL);
}

int cd_value_isnull(lua_State *L, int idx)
{
	return lua_type(L, idx) == LUA_TLIGHTUSERDATA &&
	       lua_touserdata(L, idx) == NULL;
}

enum cd_value_kind cd_value_kind(lua_State *L, int idx)
{
	enum cd_value_kind kind = CD_VALUE_OTHER;
	if (lua_type(L, idx) != LUA_TTABLE || !lua_getmetatable(L, idx))
		return CD_VALUE_OTHER;
	cd_value_getreg(L, CD_VREG_MAP);
	if (lua_rawequal(L, -1, -2))
		kind = CD_VALUE_MAP;
	cd_value_getreg(L, CD_VREG_LIST);
	if (lua_rawequal(L, -1, -3))
		kind = CD_VALUE_LIST;
	lua_pop(L, 3);
	return kind;
}

void cd_value_new(lua_State *L, enum cd_value_kind kind)
{
	lua_newtable(L);
	if (kind == CD_VALUE_OTHER)
		return;
	cd_value_getreg(L, kind == CD_VALUE_MAP ? CD_VREG_MAP : CD_VREG_LIST);
	assert(lua_istable(L, -1)); /* cd_value_init was called */
	lua_setmetatable(L, -2);
}

int cd_value_source(lua_State *L, int idx, const char **file, int *doc,
		    int *line)
{
	if (lua_type(L, idx) != LUA_TTABLE)
		return -1;
	idx = lua_absindex(L, idx);
	cd_value_getreg(L, CD_VREG_SOURCE);
	lua_pushvalue(L, idx);
	if (lua_rawget(L, -2) != LUA_TTABLE) {
		lua_pop(L, 2);
		return -1;
	}
	lua_rawgeti(L, -1, 1);
	lua_rawgeti(L, -2, 2);
	lua_rawgeti(L, -3, 3);
	/* The name stays alive: the FILES registry table holds it. */
	*file = lua_tostring(L, -3);
	*doc = (int)lua_tointeger(L, -2);
	*line = (int)lua_tointeger(L, -1);
	lua_pop(L, 5);
	return 0;
}

/* ---- building loaded tables ---- */

/* Pushes `name`, interned in the FILES table so that pointers handed out
 * by cd_value_source stay valid while the state lives. */
static void push_interned_name(lua_State *L, const char *name)
{
	cd_value_getreg(L, CD_VREG_FILES);
	lua_pushstring(L, name);
	lua_pushvalue(L, -1);
	if (lua_rawget(L, -3) == LUA_TNIL) {
		lua_pop(L, 1);
		lua_pushvalue(L, -1);
		lua_pushvalue(L, -1);
		lua_rawset(L, -4);
	} else {
		lua_remove(L, -2); /* the stored string object */
	}
	lua_remove(L, -2);
}

void cd_value_build_open(lua_State *L, struct cd_value_build *b,
			 const char *name)
{
	cd_value_getreg(L, CD_VREG_MAP);
	b->map_mt = lua_gettop(L);
	cd_value_getreg(L, CD_VREG_LIST);
	b->list_mt = lua_gettop(L);
	cd_value_getreg(L, CD_VREG_ORDER);
	b->order = lua_gettop(L);
	cd_value_getreg(L, CD_VREG_SOURCE);
	b->source = lua_gettop(L);
	push_interned_name(L, name);
	b->file = lua_gettop(L);
}

void cd_value_build_list(lua_State *L, const struct cd_value_build *b, int n)
{
	lua_createtable(L, n, 0);
	lua_pushvalue(L, b->list_mt);
	lua_setmetatable(L, -2);
}

void cd_value_build_map(lua_State *L, const struct cd_value_build *b, int n)
{
	lua_createtable(L, 0, n);
	lua_pushvalue(L, b->map_mt);
	lua_setmetatable(L, -2);
	lua_createtable(L, n, 0);
	lua_pushvalue(L, -2);
	lua_pushvalue(L, -2);
	lua_rawset(L, b->order);
}

/* source[t] = {file, doc, line}: all given as absolute stack indices but
 * doc and line. */
static void put_record(lua_State *L, int source, int t, int file, int doc,
		       int line)
{
	lua_pushvalue(L, t);
	lua_createtable(L, 3, 0);
	lua_pushvalue(L, file);
	lua_rawseti(L, -2, 1);
	lua_pushinteger(L, doc);
	lua_rawseti(L, -2, 2);
	lua_pushinteger(L, line);
	lua_rawseti(L, -2, 3);
	lua_rawset(L, source);
}

void cd_value_build_source(lua_State *L, const struct cd_value_build *b,
			   int idx, int doc, int line)
{
	put_record(L, b->source, lua_absindex(L, idx), b->file, doc, line);
}

void cd_value_set_source(lua_State *L, int idx, const char *file, int doc,
			 int line)
{
	idx = lua_absindex(L, idx);
	cd_value_getreg(L, CD_VREG_SOURCE);
	push_interned_name(L, file);
	put_record(L, lua_gettop(L) - 1, idx, lua_gettop(L), doc, line);
	lua_pop(L, 2);
}

/* ---- Lua bindings ---- */

#define DEFAULT_NAME "<string>"

/* Reads the boolean options of table argument `arg` (absent = none);
 * unknown keys are argument errors, so typos do not pass silently. */
static unsigned check_opts(lua_State *L, int arg, const char *const names[],
			   const unsigned bits[])
{
	unsigned flags = 0;
	if (lua_isnoneornil(L, arg))
		return 0;
	luaL_checktype(L, arg, LUA_TTABLE);
	lua_pushnil(L);
	while (lua_next(L, arg)) {
		int i = 0;
		if (lua_type(L, -2) == LUA_TSTRING)
			for (; names[i]; i++)
				if (strcmp(lua_tostring(L, -2), names[i]) == 0)
					break;
		if (lua_type(L, -2) != LUA_TSTRING || !names[i])
			return (unsigned)luaL_argerror(
				L, arg,
				lua_pushfstring(L, "unknown option '%s'",
						luaL_tolstring(L, -2, NULL)));
		if (lua_toboolean(L, -1))
			flags |= bits[i];
		lua_pop(L, 1);
	}
	return flags;
}

static int l_json_decode(lua_State *L)
{
	size_t n;
	const char *s = luaL_checklstring(L, 1, &n);
	const char *name = luaL_optstring(L, 2, DEFAULT_NAME);
	struct cd_err err;
	if (cd_value_push_json(L, s, n, name, &err) != 0)
		return cd_lerr_raise_err(L, &err);
	return 1;
}

static int l_yaml_decode(lua_State *L)
{
	size_t n;
	const char *s = luaL_checklstring(L, 1, &n);
	const char *name = luaL_optstring(L, 2, DEFAULT_NAME);
	struct cd_err err;
	if (cd_value_push_yaml(L, s, n, name, &err) != 0)
		return cd_lerr_raise_err(L, &err);
	return 1;
}

/* Pushes the buffer's text and frees it (a raise in pushlstring leaves
 * the buffer to the box's __gc). */
static int push_buf(lua_State *L, struct cd_buf *b)
{
	lua_pushlstring(L, b->data ? b->data : "", b->len);
	cd_buf_free(b);
	return 1;
}

static int raise_buf(lua_State *L, struct cd_buf *b, const struct cd_err *e)
{
	cd_buf_free(b);
	return cd_lerr_raise_err(L, e);
}

static int l_json_encode(lua_State *L)
{
	static const char *const names[] = {"pretty", "sort_keys", NULL};
	static const unsigned bits[] = {CD_VALUE_PRETTY, CD_VALUE_SORT_KEYS};
	struct cd_err err;
	luaL_checkany(L, 1);
	unsigned flags = check_opts(L, 2, names, bits);
	lua_settop(L, 1);
	struct cd_buf *b = cd_lbuf_push(L);
	if (cd_value_to_json(L, 1, flags, b, &err) != 0)
		return raise_buf(L, b, &err);
	return push_buf(L, b);
}

enum { OPT_MULTI = 1 << 8 };

/* Is the table at idx a sequence 1..#t (marked as a list or not)? */
static int is_sequence(lua_State *L, int idx)
{
	lua_Integer n = (lua_Integer)lua_rawlen(L, idx), count = 0;
	if (cd_value_kind(L, idx) == CD_VALUE_MAP)
		return 0;
	lua_pushnil(L);
	while (lua_next(L, idx)) {
		lua_pop(L, 1);
		count++;
	}
	return count == n;
}

/* A list of documents, "---" between them. */
static int yaml_multi(lua_State *L, unsigned flags, struct cd_buf *b,
		      struct cd_err *err)
{
	if (!is_sequence(L, 1))
		return cd_err_set(err, CD_E_INVALID, "yaml.encode",
				  "multi: expected a list of documents");
	lua_Integer n = (lua_Integer)lua_rawlen(L, 1);
	for (lua_Integer i = 1; i <= n; i++) {
		if (i > 1 && cd_buf_puts(b, "---\n") != 0)
			return cd_err_set(err, CD_E_NOMEM, "yaml.encode",
					  "out of memory or output too large");
		lua_rawgeti(L, 1, i);
		int rc = cd_value_to_yaml(L, -1, flags, b, err);
		lua_pop(L, 1);
		if (rc != 0)
			return cd_err_wrap(err, "document %lld",
					   (long long)i);
	}
	return 0;
}

static int l_yaml_encode(lua_State *L)
{
	static const char *const names[] = {"sort_keys", "multi", NULL};
	static const unsigned bits[] = {CD_VALUE_SORT_KEYS, OPT_MULTI};
	struct cd_err err;
	luaL_checkany(L, 1);
	unsigned flags = check_opts(L, 2, names, bits);
	if (flags & OPT_MULTI)
		luaL_checktype(L, 1, LUA_TTABLE);
	lua_settop(L, 1);
	struct cd_buf *b = cd_lbuf_push(L);
	int rc = (flags & OPT_MULTI)
			 ? yaml_multi(L, flags & ~(unsigned)OPT_MULTI, b, &err)
			 : cd_value_to_yaml(L, 1, flags, b, &err);
	if (rc != 0)
		return raise_buf(L, b, &err);
	return push_buf(L, b);
}

/* cdhost.map(t) / cdhost.list(t): marks t (or a new table) and returns it.
 * A table with a metatable of its own cannot be marked. */
static int mark(lua_State *L, enum cd_value_kind kind)
{
	if (lua_isnoneornil(L, 1)) {
		cd_value_new(L, kind);
		return 1;
	}
	luaL_checktype(L, 1, LUA_TTABLE);
	lua_settop(L, 1);
	if (lua_getmetatable(L, 1) && cd_value_kind(L, 1) == CD_VALUE_OTHER)
		return luaL_argerror(L, 1, "table already has a metatable");
	lua_settop(L, 1);
	cd_value_getreg(L, kind == CD_VALUE_MAP ? CD_VREG_MAP : CD_VREG_LIST);
	lua_setmetatable(L, 1);
	return 1;
}

static int l_map(lua_State *L)
{
	return mark(L, CD_VALUE_MAP);
}

static int l_list(lua_State *L)
{
	return mark(L, CD_VALUE_LIST);
}

static void add_module(lua_State *L, int t, const char *name,
		       const luaL_Reg *fns)
{
	lua_newtable(L);
	luaL_setfuncs(L, fns, 0);
	lua_setfield(L, t, name);
}

void cd_value_register(lua_State *L, int t)
{
	static const luaL_Reg json[] = {{"encode", l_json_encode},
					{"decode", l_json_decode},
					{NULL, NULL}};
	static const luaL_Reg yaml[] = {{"encode", l_yaml_encode},
					{"decode", l_yaml_decode},
					{NULL, NULL}};
	t = lua_absindex(L, t);
	add_module(L, t, "json", json);
	add_module(L, t, "yaml", yaml);
	lua_pushcfunction(L, l_map);
	lua_setfield(L, t, "map");
	lua_pushcfunction(L, l_list);
	lua_setfield(L, t, "list");
	cd_value_push_null(L);
	lua_setfield(L, t, "null");
}
