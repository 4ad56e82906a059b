/* lua/lbuf.h — a core buffer owned by a Lua userdata.
 *
 * Bindings that fill a struct cd_buf while calling Lua API functions (which
 * may raise on memory exhaustion) keep it in one of these, so a raise never
 * leaks: the userdata's __gc/__close frees the buffer. */
#ifndef CD_LBUF_H
#define CD_LBUF_H

#include <lua.h>

#include "../core/buf.h"

/* Pushes the box and returns its buffer (empty, default cap). */
struct cd_buf *cd_lbuf_push(lua_State *L);


/* A pointer owned by a userdata. Push the box with ptr NULL *before*
 * acquiring the resource, then set box->ptr (a raise in between cannot
 * leak). The box's __gc/__close calls
 * free_fn(ptr) unless the binding took the pointer back (box->ptr = NULL). */
struct cd_lptr {
	void *ptr;
	void (*free_fn)(void *);
};
struct cd_lptr *cd_lptr_push(lua_State *L, void *ptr, void (*free_fn)(void *));
/* Frees now (calls free_fn once) and empties the box. */
void cd_lptr_release(struct cd_lptr *box);

#endif
