/* lua/value_jansson.h — Lua values <-> jansson json_t.
 *
 * For bindings whose core function takes or returns json_t (the status
 * engine, API responses). Both directions go through lua/value.h's one
 * conversion (JSON text in between), so markers, null, integers and key
 * order behave exactly as cdhost.json does. */
#ifndef CD_VALUE_JANSSON_H
#define CD_VALUE_JANSSON_H

#include <jansson.h>
#include <lua.h>

#include "../core/err.h"

/* The value at idx -> a new json_t (*out, owned: json_decref it). Returns 0,
 * or fills err (CD_E_INVALID: a function, a cycle, ...) and returns a
 * negative status. May raise only for memory exhaustion, without leaking. */
int cd_value_to_jansson(lua_State *L, int idx, json_t **out,
			struct cd_err *err);

enum {
	CD_JANSSON_DROP_NULLS = 1 << 0 /* omit null members, as Argo CD does */
};
/* Pushes j as a Lua value (maps and lists marked, integers as integers).
 * Returns 0 (one value pushed) or fills err and pushes nothing. */
int cd_value_push_jansson(lua_State *L, const json_t *j, unsigned flags,
			  struct cd_err *err);

#endif
