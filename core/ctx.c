#include "ctx.h"

#include <string.h>

int cd_strlist_has(const struct cd_strlist *l, const char *name)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i], name) == 0)
			return 1;
	return 0;
}
