/* core/manifest.h — the Lua-free parts of manifest handling (SPEC sections
 * 5 and 6): `${NAME}` substitution with line-accurate errors, the built-in
 * table of namespaced and cluster-scoped kinds, and the apply order.
 *
 * The conversion of YAML/JSON text into values lives in lua/value*.c; the
 * transforms over those values live in stdlib/cdhost/manifest.lua. */
#ifndef CD_MANIFEST_H
#define CD_MANIFEST_H

#include <stddef.h>

#include "buf.h"
#include "err.h"

/* Looks up variable `name` (n bytes, not NUL-terminated) and appends its
 * value to out. Returns 0 when appended, 1 when the variable is unknown,
 * -1 when out is full. */
typedef int (*cd_manifest_var_fn)(void *ud, const char *name, size_t n,
				  struct cd_buf *out);

/* Appends s with every `${NAME}` replaced through lookup; `$${` writes a
 * literal `${`. NAME is [A-Za-z_][A-Za-z0-9_]*. An unknown variable or a
 * malformed reference is CD_E_INVALID with "FILE:LINE: ..." (file names the
 * text in messages). */
int cd_manifest_subst(const char *s, size_t n, const char *file,
		      cd_manifest_var_fn lookup, void *ud, struct cd_buf *out,
		      struct cd_err *err);

/* Scope of a kind in an API group ("" for the core group): 1 namespaced,
 * 0 cluster-scoped, -1 not in the built-in table. */
int cd_manifest_scope(const char *group, const char *kind);

/* Iterates the built-in scope table: fills group/kind/namespaced of entry
 * i and returns 1, or returns 0 past the end. */
int cd_manifest_scope_entry(size_t i, const char **group, const char **kind,
			    int *namespaced);

/* Position of a kind in the apply order (SPEC section 6: Namespaces, CRDs,
 * then Helm's install order); unknown kinds come last. */
int cd_manifest_kind_rank(const char *kind);

#endif
