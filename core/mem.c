#include "mem.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

static atomic_long fail_countdown; /* 0 = off */

void cd_mem_fail_after(long n)
{
	atomic_store(&fail_countdown, n);
}

static int injected_failure(void)
{
	long n = atomic_load(&fail_countdown);
	if (n == 0)
		return 0;
	if (n == 1)
		return 1;
	atomic_store(&fail_countdown, n - 1);
	return 0;
}

void *cd_malloc(size_t n)
{
	return injected_failure() ? NULL : malloc(n ? n : 1);
}

void *cd_calloc(size_t n, size_t size)
{
	return injected_failure() ? NULL : calloc(n ? n : 1, size ? size : 1);
}

void *cd_realloc(void *p, size_t n)
{
	return injected_failure() ? NULL : realloc(p, n ? n : 1);
}

char *cd_strndup(const char *s, size_t n)
{
	char *p = cd_malloc(n + 1);
	if (!p)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *cd_strdup(const char *s)
{
	return cd_strndup(s, strlen(s));
}

void cd_free(void *p)
{
	free(p);
}
