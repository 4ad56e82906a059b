/* lua/value.h — the one conversion between Lua values and JSON/YAML.
 *
 * Shared by cdhost.json, cdhost.yaml, manifest loading, API responses, Helm
 * output and health scripts (DESIGN "Values", SPEC section 5).
 *
 * Representation in Lua:
 *   - maps and lists are plain tables carrying a marker metatable (the ones
 *     cdhost.map{} / cdhost.list{} set); getmetatable() on them returns the
 *     strings "cdhost.map" / "cdhost.list" (the metatables are protected);
 *   - null is cdhost.null, a light userdata NULL;
 *   - integers stay Lua integers, floats stay floats;
 *   - key order of loaded maps is remembered in a weak-keyed side table;
 *   - each loaded document root, and each map inside it that has apiVersion
 *     and kind (List items), remembers its source (file, document index,
 *     line) in another weak-keyed side table.
 *
 * C functions below that decode push exactly one value on success and
 * return 0; on failure they push nothing, fill err (code CD_E_INVALID, the
 * message "NAME:LINE:COL: what") and return a negative status. They may raise
 * only for memory exhaustion (a sandbox limit), and never leak on raise. */
#ifndef CD_VALUE_H
#define CD_VALUE_H

#include <lua.h>
#include <stddef.h>

#include "../core/buf.h"
#include "../core/err.h"

enum cd_value_kind { CD_VALUE_OTHER = 0, CD_VALUE_MAP, CD_VALUE_LIST };

/* Registers the marker metatables, null and the side tables; once per state. */
void cd_value_init(lua_State *L);

void cd_value_push_null(lua_State *L);
int cd_value_isnull(lua_State *L, int idx);
/* The marker of a table (unmarked tables: CD_VALUE_OTHER). */
enum cd_value_kind cd_value_kind(lua_State *L, int idx);
/* Pushes a new empty table carrying the marker. */
void cd_value_new(lua_State *L, enum cd_value_kind kind);
/* Pushes a shallow copy of the table at idx: its marker (a map when
 * unmarked), its entries and its remembered key order, so the copy prints
 * as the original does. */
void cd_value_copy(lua_State *L, int idx);

/* JSON text -> one value. */
int cd_value_push_json(lua_State *L, const char *s, size_t n,
		       const char *name, struct cd_err *err);
/* YAML text (multi-document) -> a list of documents (empty documents are
 * skipped). `name` is used in error messages and source records. */
int cd_value_push_yaml(lua_State *L, const char *s, size_t n,
		       const char *name, struct cd_err *err);

enum {
	CD_VALUE_PRETTY = 1 << 0, /* JSON: two-space indentation */
	CD_VALUE_SORT_KEYS = 1 << 1 /* ignore remembered order: sort keys */
};
/* Value at idx -> JSON text appended to out. */
int cd_value_to_json(lua_State *L, int idx, unsigned flags,
		     struct cd_buf *out, struct cd_err *err);
/* Value at idx -> one YAML document appended to out (no "---" line). */
int cd_value_to_yaml(lua_State *L, int idx, unsigned flags,
		     struct cd_buf *out, struct cd_err *err);

/* Where a loaded table came from. Returns 0 and fills the outputs
 * (file borrowed from the registry, valid while the state lives) or -1.
 * line 0 means no position (an object rendered by a tool: file names the
 * template). */
int cd_value_source(lua_State *L, int idx, const char **file, int *doc,
		    int *line);
/* Replaces the source record of the table at idx. */
void cd_value_set_source(lua_State *L, int idx, const char *file, int doc,
			 int line);

/* Adds json = {encode, decode}, yaml = {encode, decode}, map, list and null
 * to the table at index t (the cdhost table under construction). */
void cd_value_register(lua_State *L, int t);

#endif
