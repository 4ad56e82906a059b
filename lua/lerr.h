/* lua/lerr.h — structured errors raised to recipes.
 *
 * Primitives raise tables {code=, op=, message=, where=} whose metatable gives
 * __tostring ("where: op: message") and __name "cdhost.error", so recipes can
 * pcall and branch on err.code (SPEC section 4). Limit errors are raised by
 * the sandbox (lua/sandbox.h) and cannot be caught. */
#ifndef CD_LERR_H
#define CD_LERR_H

#include <lua.h>

#include "../core/err.h"

/* Creates the error metatable in the registry; called once per state. */
void cd_lerr_init(lua_State *L);
/* Pushes a new error object. `where` may be NULL (then luaL_where(L, 1)). */
void cd_lerr_push(lua_State *L, enum cd_code code, const char *op,
		  const char *msg);
/* Raises an error object; never returns. */
int cd_lerr_raise(lua_State *L, enum cd_code code, const char *op,
		  const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Raises the contents of a filled struct cd_err; never returns.
 * CD_E_LIMIT goes through the sandbox so it stays uncatchable. */
int cd_lerr_raise_err(lua_State *L, const struct cd_err *err);
/* If the value at idx is a cdhost error object, returns its code (and fills
 * op/message pointers, borrowed from the stack); otherwise CD_CODE_COUNT. */
enum cd_code cd_lerr_check(lua_State *L, int idx, const char **op,
			   const char **msg);

/* luaL_checkstring for names and paths handed to C: a string with an
 * embedded NUL byte would mean one thing to Lua and another to the C
 * library, so it is refused as `invalid`. */
const char *cd_lerr_checkname(lua_State *L, int arg, const char *op);

#endif
