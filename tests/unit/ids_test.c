/* Tests for the id helpers: random UUIDs are version 4 / RFC 4122 variant,
 * never repeat (also across the per-thread pool's refills and a fork), and
 * round-trip through text; public ids use their alphabet. */
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ids.h"
#include "pd.h"
#include "pd_check.h"

static int cmp16(const void *a, const void *b)
{
	return memcmp(a, b, 16);
}

START_TEST(uuids_are_v4_and_unique)
{
	enum { N = 20000 }; /* several refills of the 4 KiB pool */
	uint8_t(*ids)[16] = malloc(N * 16);
	for (int i = 0; i < N; i++) {
		pd_uuid_new(ids[i]);
		ck_assert_int_eq(ids[i][6] >> 4, 4);
		ck_assert_int_eq(ids[i][8] >> 6, 2);
	}
	qsort(ids, N, 16, cmp16);
	for (int i = 1; i < N; i++)
		ck_assert(memcmp(ids[i - 1], ids[i], 16) != 0);
	char text[PD_UUID_TEXT];
	uint8_t back[16];
	pd_uuid_format(ids[7], text);
	ck_assert_int_eq(pd_uuid_parse(text, back), PD_OK);
	ck_assert(memcmp(back, ids[7], 16) == 0);
	free(ids);
}
END_TEST

START_TEST(a_forked_child_draws_other_ids)
{
	uint8_t mine[16], theirs[16];
	pd_uuid_new(mine); /* fills this thread's pool */
	int p[2];
	ck_assert_int_eq(pipe(p), 0);
	pid_t pid = fork();
	if (pid == 0) {
		pd_uuid_new(theirs);
		ssize_t w = write(p[1], theirs, 16);
		_exit(w == 16 ? 0 : 1);
	}
	ck_assert_int_eq(read(p[0], theirs, 16), 16);
	int st;
	waitpid(pid, &st, 0);
	uint8_t next[16];
	pd_uuid_new(next); /* the parent's next id */
	ck_assert(memcmp(next, theirs, 16) != 0);
	ck_assert(memcmp(mine, theirs, 16) != 0);
	close(p[0]);
	close(p[1]);
}
END_TEST

START_TEST(public_ids_use_their_alphabet)
{
	char id[24];
	pd_public_id_new(id);
	ck_assert_uint_eq(strlen(id), 22);
	ck_assert_uint_eq(strspn(id, "abcdefghijkmnpqrstuvwxyz23456789"), 22);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("ids");
	TCase *tc = tcase_create("ids");
	tcase_add_test(tc, uuids_are_v4_and_unique);
	tcase_add_test(tc, a_forked_child_draws_other_ids);
	tcase_add_test(tc, public_ids_use_their_alphabet);
	suite_add_tcase(s, tc);
	return s;
}

PD_CHECK_MAIN(suite)
