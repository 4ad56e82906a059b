/* core/mem.h — the one allocation wrapper of the core.
 *
 * Everything in core/ allocates through these so tests can inject failure
 * (cd_mem_fail_after) and so a future accounting hook has one place to live. */
#ifndef CD_MEM_H
#define CD_MEM_H

#include <stddef.h>

void *cd_malloc(size_t n);
void *cd_calloc(size_t n, size_t size);
void *cd_realloc(void *p, size_t n);
char *cd_strdup(const char *s);
char *cd_strndup(const char *s, size_t n);
void cd_free(void *p);

/* Test hook: the Nth allocation from now (1-based) and every later one
 * fails; 0 turns injection off. */
void cd_mem_fail_after(long n);

#endif
