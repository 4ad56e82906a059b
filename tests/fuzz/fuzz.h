/* tests/fuzz/fuzz.h — shared by the libFuzzer targets (fuzz_*.c).
 *
 * Each target defines LLVMFuzzerTestOneInput and checks invariants with
 * FUZZ_CHECK, which prints what broke and aborts, so libFuzzer (or the
 * corpus runner, run_corpus.c) reports the input as a crash. */
#ifndef CD_FUZZ_H
#define CD_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond, ...)                                               \
	do {                                                                \
		if (!(cond)) {                                              \
			fprintf(stderr, "%s:%d: invariant failed: %s: ",   \
				__FILE__, __LINE__, #cond);                 \
			fprintf(stderr, __VA_ARGS__);                       \
			fputc('\n', stderr);                                \
			abort();                                            \
		}                                                           \
	} while (0)

/* A NUL-terminated copy of the input (the parsers under test that take C
 * strings see it up to its first NUL byte). Free with free(). */
static inline char *fuzz_cstr(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (!s)
		abort();
	if (size)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* 1 when s holds no byte of `set`. */
static inline int fuzz_none_of(const char *s, const char *set)
{
	return s[strcspn(s, set)] == '\0';
}

#endif
