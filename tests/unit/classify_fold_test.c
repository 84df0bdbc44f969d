/* Tests for the router's character decoding and folding
 * (services/router/classify_fold.h, classify_fold.c): the strict UTF-8
 * decoder the keyword automaton and the number extractor share, on every
 * length and on each kind of invalid sequence, and the folding of
 * full-width ASCII and U+3000. */
#include <string.h>

#include "../../services/router/classify_fold.h"
#include "pd.h"
#include "pd_check.h"

struct dec_case {
	const char *s;
	size_t len;
	int cp;      /* rt_utf8_next's value */
	size_t next; /* and where it resumes */
};

static const struct dec_case dec_cases[] = {
	{ "a", 1, 'a', 1 },
	{ "\x7f", 1, 0x7F, 1 },
	{ "\xc2\x80", 2, 0x80, 2 },
	{ "é", 2, 0xE9, 2 },
	{ "\xdf\xbf", 2, 0x7FF, 2 },
	{ "\xe0\xa0\x80", 3, 0x800, 3 },
	{ "退", 3, 0x9000, 3 },
	{ "\xed\x9f\xbf", 3, 0xD7FF, 3 },
	{ "\xee\x80\x80", 3, 0xE000, 3 },
	{ "Ｓ", 3, 0xFF33, 3 }, /* decoding does not fold */
	{ "\xef\xbf\xbf", 3, 0xFFFF, 3 },
	{ "\xf0\x90\x80\x80", 4, 0x10000, 4 },
	{ "😀", 4, 0x1F600, 4 },
	{ "\xf4\x8f\xbf\xbf", 4, 0x10FFFF, 4 },
	/* invalid: one byte consumed, so the scan resynchronises */
	{ "\x80", 1, RT_FOLD_INVALID, 1 },         /* lone continuation */
	{ "\xbf\x80", 2, RT_FOLD_INVALID, 1 },
	{ "\xc0\xaf", 2, RT_FOLD_INVALID, 1 },     /* overlong '/' */
	{ "\xc1\xbf", 2, RT_FOLD_INVALID, 1 },
	{ "\xe0\x9f\xbf", 3, RT_FOLD_INVALID, 1 }, /* overlong 3-byte */
	{ "\xed\xa0\x80", 3, RT_FOLD_INVALID, 1 }, /* surrogate U+D800 */
	{ "\xf0\x8f\xbf\xbf", 4, RT_FOLD_INVALID, 1 }, /* overlong 4-byte */
	{ "\xf4\x90\x80\x80", 4, RT_FOLD_INVALID, 1 }, /* U+110000 */
	{ "\xf5\x80\x80\x80", 4, RT_FOLD_INVALID, 1 },
	{ "\xff", 1, RT_FOLD_INVALID, 1 },
	{ "\xe9\x80", 2, RT_FOLD_INVALID, 1 },     /* truncated by the end */
	{ "\xe9\x80" "a", 3, RT_FOLD_INVALID, 1 }, /* truncated by a new character */
	{ "\xf0\x9f\x98", 3, RT_FOLD_INVALID, 1 },
	{ "\xe9\xe9\x80\x80", 4, RT_FOLD_INVALID, 1 },
};

START_TEST(decoder_is_strict)
{
	const struct dec_case *c = &dec_cases[_i];
	size_t next = 99;
	int cp = rt_utf8_next(c->s, c->len, 0, &next);
	ck_assert_msg(cp == c->cp && next == c->next, "case %d: got %d resuming at %zu, want %d at %zu",
		      _i, cp, next, c->cp, c->next);
	/* rt_fold_next decodes the same way; only the folded ranges differ */
	next = 99;
	int f = rt_fold_next(c->s, c->len, 0, &next);
	ck_assert_uint_eq(next, c->next);
	ck_assert_int_eq(f, rt_fold_cp(c->cp));
}
END_TEST

/* A decode never reads past len, whatever the bytes claim. */
START_TEST(decoder_stops_at_len)
{
	const char buf[] = "\xf0\x9f\x98\x80";
	for (size_t len = 1; len < 4; len++) {
		size_t next;
		ck_assert_int_eq(rt_utf8_next(buf, len, 0, &next), RT_FOLD_INVALID);
		ck_assert_uint_eq(next, 1);
	}
	size_t next;
	ck_assert_int_eq(rt_utf8_next(buf, 4, 0, &next), 0x1F600);
	/* from the middle of a text */
	const char *t = "a退b";
	ck_assert_int_eq(rt_utf8_next(t, strlen(t), 1, &next), 0x9000);
	ck_assert_uint_eq(next, 4);
	ck_assert_int_eq(rt_utf8_next(t, strlen(t), 2, &next), RT_FOLD_INVALID);
	ck_assert_uint_eq(next, 3);
}
END_TEST

START_TEST(folding_of_full_width_and_ideographic_space)
{
	ck_assert_int_eq(rt_fold_cp(0xFF01), '!');
	ck_assert_int_eq(rt_fold_cp(0xFF21), 'A'); /* case is kept */
	ck_assert_int_eq(rt_fold_cp(0xFF41), 'a');
	ck_assert_int_eq(rt_fold_cp(0xFF10), '0');
	ck_assert_int_eq(rt_fold_cp(0xFF5E), '~');
	ck_assert_int_eq(rt_fold_cp(0xFF5F), 0xFF5F); /* past the block */
	ck_assert_int_eq(rt_fold_cp(0xFF00), 0xFF00);
	ck_assert_int_eq(rt_fold_cp(0x3000), ' ');
	ck_assert_int_eq(rt_fold_cp('A'), 'A');
	ck_assert_int_eq(rt_fold_cp(0xC9), 0xC9); /* É stays */
	ck_assert_int_eq(rt_fold_cp(RT_FOLD_INVALID), RT_FOLD_INVALID);
	size_t next;
	ck_assert_int_eq(rt_fold_next("１", 3, 0, &next), '1');
	ck_assert_uint_eq(next, 3);
	ck_assert(rt_fold_alnum(rt_fold_next("Ｚ", 3, 0, &next)));
	ck_assert(!rt_fold_alnum(rt_fold_next("－", 3, 0, &next)));
	ck_assert(!rt_fold_alnum(RT_FOLD_INVALID));
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("classify_fold");
	TCase *tc = tcase_create("decode");
	tcase_add_loop_test(tc, decoder_is_strict, 0, (int)PD_ARRAY_LEN(dec_cases));
	tcase_add_test(tc, decoder_stops_at_len);
	tcase_add_test(tc, folding_of_full_width_and_ideographic_space);
	suite_add_tcase(s, tc);
	return s;
}

PD_CHECK_MAIN(suite)
