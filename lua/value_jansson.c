/* lua/value_jansson.c — Lua values <-> jansson json_t, through JSON text so
 * that lua/value.h stays the one conversion. */
#include "value_jansson.h"

#include <stdlib.h>
#include <string.h>

#include "lbuf.h"
#include "value.h"

#define OP "json"

int cd_value_to_jansson(lua_State *L, int idx, json_t **out,
			struct cd_err *err)
{
	json_error_t jerr;
	idx = lua_absindex(L, idx);
	*out = NULL;
	struct cd_buf *b = cd_lbuf_push(L); /* freed even if we raise */
	int rc = cd_value_to_json(L, idx, 0, b, err);
	if (rc == 0) {
		*out = json_loadb(b->data, b->len,
				  JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
		if (!*out)
			rc = cd_err_set(err, CD_E_INVALID, OP,
					"cannot convert the value: %s",
					jerr.text);
	}
	cd_buf_free(b);
	lua_pop(L, 1);
	return rc;
}

/* Removes null members of objects, recursively (in place). */
static void drop_nulls(json_t *j)
{
	const char *k;
	json_t *v;
	void *tmp;
	size_t i;
	if (json_is_object(j)) {
		json_object_foreach_safe(j, tmp, k, v) {
			if (json_is_null(v))
				json_object_del(j, k);
			else
				drop_nulls(v);
		}
	} else if (json_is_array(j)) {
		json_array_foreach(j, i, v)
			drop_nulls(v);
	}
}

int cd_value_push_jansson(lua_State *L, const json_t *j, unsigned flags,
			  struct cd_err *err)
{
	json_t *copy = NULL;
	size_t n;
	if (!j)
		return cd_err_set(err, CD_E_INVALID, OP, "no value");
	if (flags & CD_JANSSON_DROP_NULLS) {
		copy = json_deep_copy(j);
		if (!copy)
			return cd_err_set(err, CD_E_NOMEM, OP, "out of memory");
		drop_nulls(copy);
		j = copy;
	}
	struct cd_lptr *box = cd_lptr_push(L, NULL, free);
	box->ptr = json_dumps(j, JSON_ENCODE_ANY | JSON_COMPACT |
					 JSON_REAL_PRECISION(17));
	json_decref(copy);
	if (!box->ptr) {
		lua_pop(L, 1);
		return cd_err_set(err, CD_E_NOMEM, OP, "out of memory");
	}
	n = strlen(box->ptr);
	int rc = cd_value_push_json(L, box->ptr, n, "json", err);
	cd_lptr_release(box);
	lua_remove(L, rc == 0 ? -2 : -1); /* the box */
	return rc;
}
