/* tests/unit/t.h — the unit tests' tiny harness.
 *
 *   T_CHECK(cond)            records a failure with file:line if cond is false
 *   T_EQ_INT(a, b)           integers equal
 *   T_EQ_STR(a, b)           strings equal (NULL-safe)
 *   T_RUN(fn)                runs one test function
 *   return T_DONE();         prints "N passed, N failed" and the exit code */
#ifndef CD_T_H
#define CD_T_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int t_checks_failed, t_tests_passed, t_tests_failed, t_cur_failed;

#define T_CHECK(cond)                                                        \
	do {                                                                 \
		if (!(cond)) {                                               \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, \
				__LINE__, #cond);                            \
			t_checks_failed++;                                   \
			t_cur_failed = 1;                                    \
		}                                                            \
	} while (0)

#define T_EQ_INT(a, b)                                                        \
	do {                                                                  \
		long long t_a = (long long)(a), t_b = (long long)(b);         \
		if (t_a != t_b) {                                             \
			fprintf(stderr, "%s:%d: %s == %lld, expected %lld\n", \
				__FILE__, __LINE__, #a, t_a, t_b);            \
			t_checks_failed++;                                    \
			t_cur_failed = 1;                                     \
		}                                                             \
	} while (0)

#define T_EQ_STR(a, b)                                                         \
	do {                                                                   \
		const char *t_a = (a), *t_b = (b);                             \
		if (!t_a || !t_b || strcmp(t_a, t_b) != 0) {                   \
			fprintf(stderr, "%s:%d: %s == \"%s\", expected \"%s\"\n", \
				__FILE__, __LINE__, #a, t_a ? t_a : "(null)",  \
				t_b ? t_b : "(null)");                         \
			t_checks_failed++;                                     \
			t_cur_failed = 1;                                      \
		}                                                              \
	} while (0)

#define T_RUN(fn)                                                 \
	do {                                                      \
		t_cur_failed = 0;                                 \
		if (getenv("T_VERBOSE"))                          \
			fprintf(stderr, "run %s\n", #fn);         \
		fn();                                             \
		if (t_cur_failed) {                               \
			t_tests_failed++;                         \
			fprintf(stderr, "FAIL %s\n", #fn);        \
		} else {                                          \
			t_tests_passed++;                         \
		}                                                 \
	} while (0)

#define T_DONE()                                                         \
	(printf("%d passed, %d failed\n", t_tests_passed, t_tests_failed), \
	 t_tests_failed ? 1 : 0)

#endif
