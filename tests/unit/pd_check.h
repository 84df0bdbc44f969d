/* Shared main() for Check test programs: each tests/unit/X_test.c defines
 * `static Suite *suite(void)` and ends with PD_CHECK_MAIN(suite).
 * The program fails when a test fails or when no test ran at all (Check
 * itself reports 100% for zero tests). */
#ifndef PD_CHECK_H
#define PD_CHECK_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>

#define PD_CHECK_MAIN(suite_fn)                                               \
	int main(void)                                                        \
	{                                                                     \
		SRunner *sr = srunner_create(suite_fn());                     \
		srunner_run_all(sr, CK_NORMAL);                               \
		int ran = srunner_ntests_run(sr);                             \
		int failed = srunner_ntests_failed(sr);                       \
		srunner_free(sr);                                             \
		if (ran == 0) {                                               \
			fprintf(stderr, "no test ran\n");                     \
			return EXIT_FAILURE;                                  \
		}                                                             \
		return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;             \
	}

/* Directory of the project's own fixtures (tests/data), from the environment
 * the runner sets, defaulting to the source-tree path. */
static inline const char *pd_test_data_dir(void)
{
	const char *d = getenv("PEAKDESK_TEST_DATA");
	return d ? d : "tests/data";
}

/* Whole file, NUL-terminated, or NULL when it cannot be read; *len (may be
 * NULL) gets its size. Caller frees. */
static inline char *pd_test_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	char *buf = NULL;
	size_t cap = 0, n = 0;
	for (;;) {
		if (n + 4096 + 1 > cap) {
			cap = (n + 4096 + 1) * 2;
			buf = realloc(buf, cap);
			ck_assert_ptr_nonnull(buf);
		}
		size_t got = fread(buf + n, 1, 4096, f);
		n += got;
		if (got == 0)
			break;
	}
	fclose(f);
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

#endif
