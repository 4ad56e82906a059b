/* lua/value_priv.h — internals shared by lua/value*.c (not an interface).
 *
 * value.c       state setup, markers, side tables, the Lua bindings
 * value_yaml.c  YAML text -> Lua (libyaml parser, YAML 1.1 resolver)
 * value_json.c  JSON text -> Lua (jansson) and Lua -> JSON text
 * value_emit.c  Lua -> YAML text (hand-written block-style emitter)
 * value_walk.c  the encoders' shared walk: classification, key order,
 *               paths, depth and cycle checks; scalar formatting
 *
 * See docs/internals/value.md for the design. */
#ifndef CD_VALUE_PRIV_H
#define CD_VALUE_PRIV_H

#include <lua.h>
#include <stddef.h>

#include "value.h"

/* Nesting cap for decode and encode (tables inside tables). */
#define CD_VALUE_MAX_DEPTH 200
/* Billion-laughs guard: nodes a YAML stream may create through aliases. */
#define CD_VALUE_MAX_ALIAS_NODES 100000

/* Registry slots; the address of each element is the key (lua_rawgetp). */
enum cd_value_reg {
	CD_VREG_MAP,    /* marker metatable of maps */
	CD_VREG_LIST,   /* marker metatable of lists */
	CD_VREG_ORDER,  /* weak-keyed: map -> {k1, k2, ...} in load order */
	CD_VREG_SOURCE, /* weak-keyed: table -> {file, doc, line} */
	CD_VREG_FILES,  /* file name -> the same string, kept for the state */
	CD_VREG_COUNT
};
extern const char cd_value_reg[CD_VREG_COUNT];

static inline int cd_value_getreg(lua_State *L, enum cd_value_reg r)
{
	return lua_rawgetp(L, LUA_REGISTRYINDEX, &cd_value_reg[r]);
}

/* ---- decoding: building loaded tables (value.c) ---- */

/* Stack slots a decoder keeps while it builds tables. */
struct cd_value_build {
	int map_mt, list_mt, order, source, file; /* absolute indices */
};

/* Pushes the five slots above (file = the interned `name`). */
void cd_value_build_open(lua_State *L, struct cd_value_build *b,
			 const char *name);
/* Pushes a new marked list with room for n items. */
void cd_value_build_list(lua_State *L, const struct cd_value_build *b, int n);
/* Pushes a new marked map with room for n keys, then its key-order list
 * (already registered in the order table): two values. */
void cd_value_build_map(lua_State *L, const struct cd_value_build *b, int n);
/* source[table at idx] = {file, doc, line}. */
void cd_value_build_source(lua_State *L, const struct cd_value_build *b,
			   int idx, int doc, int line);

/* ---- encoding: the shared walk (value_walk.c) ---- */

enum cd_value_node {
	CD_NODE_NULL,
	CD_NODE_BOOL,
	CD_NODE_INT,
	CD_NODE_FLOAT,
	CD_NODE_STRING,
	CD_NODE_MAP,
	CD_NODE_LIST
};

/* One map key of the table being written: a string on the Lua stack. */
struct cd_value_key {
	int slot;      /* stack index of the key */
	const char *s; /* borrowed from the key string */
	size_t n;
	size_t rank;   /* output position key (see value_walk.c) */
};

/* One step of the path from the root: a key or a 1-based index. */
struct cd_value_seg {
	const char *key; /* NULL for an index */
	size_t n;
	lua_Integer index;
};

struct cd_value_walk {
	lua_State *L;
	unsigned flags;
	const char *op;
	struct cd_err *err;
	int map_mt, list_mt, order; /* stack slots */
	int depth;                  /* tables entered */
	int nseg;
	struct cd_value_seg seg[CD_VALUE_MAX_DEPTH + 2];
	const void *tables[CD_VALUE_MAX_DEPTH + 1]; /* ancestors (cycles) */
	struct cd_value_key *keys; /* arena: one segment per open map */
	size_t nkeys, cap;
};

/* Sets up the walk and pushes its stack slots; never raises. */
void cd_value_walk_open(struct cd_value_walk *w, lua_State *L, unsigned flags,
			const char *op, struct cd_err *err);
/* Frees the arena and pops the slots. */
void cd_value_walk_close(struct cd_value_walk *w);
/* What the value at idx is written as; errors name the path. */
int cd_value_walk_classify(struct cd_value_walk *w, int idx,
			   enum cd_value_node *out);
/* Depth and cycle checks around a map or list at idx. */
int cd_value_walk_enter(struct cd_value_walk *w, int idx);
void cd_value_walk_leave(struct cd_value_walk *w);
/* Pushes the keys of the map at idx on the stack and fills the arena
 * segment [*first, *first + *n) in output order. */
int cd_value_walk_keys(struct cd_value_walk *w, int idx, size_t *first,
		       size_t *n);
/* Pops the keys of the segment and frees it (the last one opened). */
void cd_value_walk_keys_done(struct cd_value_walk *w, size_t first,
			     size_t n);
/* Pushes map[key i] and makes it the current path step. */
void cd_value_walk_push_field(struct cd_value_walk *w, int map, size_t i);
/* Pushes list[i] and makes it the current path step. */
void cd_value_walk_push_item(struct cd_value_walk *w, int list,
			     lua_Integer i);
/* Pops the value pushed by push_field/push_item and its path step. */
void cd_value_walk_pop(struct cd_value_walk *w);
/* Length of the list at idx (classified CD_NODE_LIST). */
lua_Integer cd_value_walk_len(struct cd_value_walk *w, int idx);
/* Fills err with "PATH: what"; returns the negative status. */
int cd_value_walk_fail(struct cd_value_walk *w, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Shortest round-trip text of a finite double that still reads as a float
 * ("1.0", "0.1", "1.0e+21", "-0.0"). buf must hold 32 bytes. */
void cd_value_fmt_float(double d, char *buf);

/* UTF-8 scan of a string for the writers. */
enum {
	CD_UTF8_INVALID = 1 << 0,  /* not well-formed UTF-8 */
	CD_UTF8_NEWLINE = 1 << 1,  /* contains '\n' */
	CD_UTF8_SPECIAL = 1 << 2,  /* chars YAML must escape: controls other
				      than \t \n, DEL, C1, U+2028/9, BOMs,
				      U+FFFE/F */
	CD_UTF8_TAB = 1 << 3,      /* contains '\t' */
};
unsigned cd_value_utf8_scan(const char *s, size_t n);
/* Decodes one UTF-8 sequence of a well-formed string; returns its length. */
size_t cd_value_utf8_next(const char *s, size_t n, unsigned long *cp);

/* ---- YAML 1.1 plain-scalar resolution (value_yaml.c) ---- */

enum cd_yaml_type {
	CD_YAML_STR,
	CD_YAML_NULL,
	CD_YAML_BOOL,
	CD_YAML_INT,
	CD_YAML_FLOAT,
	CD_YAML_MERGE,
	CD_YAML_RANGE /* integer syntax, beyond int64 */
};
struct cd_yaml_scalar {
	enum cd_yaml_type type;
	int b;
	lua_Integer i;
	double d;
};
/* Types a plain scalar as kubectl (sigs.k8s.io/yaml, go-yaml v2) does.
 * s must have a NUL at s[n] (Lua strings and libyaml scalars do). */
enum cd_yaml_type cd_yaml_resolve(const char *s, size_t n,
				  struct cd_yaml_scalar *out);
/* Would a YAML 1.1 reader take this plain scalar for anything but a string
 * (including forms go-yaml keeps as strings: base 60, timestamps)? */
int cd_yaml_ambiguous(const char *s, size_t n);

#endif
