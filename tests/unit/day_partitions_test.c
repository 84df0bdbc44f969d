/* Tests for the pure parts of common/day_partitions.c: the service settings
 * (days ahead, days kept) and which maintenance summaries are worth a log
 * line. */
#include "../../common/day_partitions.h"
#include "pd_check.h"

#include <string.h>

START_TEST(settings_valid_and_invalid)
{
	pd_day_partitions p = {.what = "customer messages"};
	pd_errbuf eb = {{0}};
	ck_assert_int_eq(pd_day_partitions_parse(&p, "7", "90", &eb), PD_OK);
	ck_assert_int_eq(p.days_ahead, 7);
	ck_assert_int_eq(p.keep_days, 90);
	ck_assert_int_eq(pd_day_partitions_parse(&p, "0", "0", &eb), PD_OK);
	ck_assert_int_eq(p.days_ahead, 0);
	ck_assert_int_eq(p.keep_days, 0);
	ck_assert_int_eq(pd_day_partitions_parse(&p, "366", "3650", &eb), PD_OK);
	static const char *bad[][2] = {{"-1", "90"}, {"367", "90"}, {"7", "-1"}, {"", "90"}, {"7", ""},
				       {"7x", "90"}, {"7", "9 0"}, {"seven", "90"}, {"99999999999", "1"}};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		eb.msg[0] = 0;
		ck_assert_msg(pd_day_partitions_parse(&p, bad[i][0], bad[i][1], &eb) == PD_EINVAL, "accepted '%s', '%s'",
			      bad[i][0], bad[i][1]);
		ck_assert_msg(strstr(eb.msg, "customer messages") != NULL, "reason does not say what: %s", eb.msg);
	}
}
END_TEST

START_TEST(summary_changed_only_on_a_count)
{
	ck_assert_int_eq(pd_day_summary_changed("created=0 moved=0 dropped=0 purged=0"), 0);
	ck_assert_int_eq(pd_day_summary_changed("created=0 moved=0 dropped=0 purged=0 keys_purged=0"), 0);
	ck_assert_int_eq(pd_day_summary_changed(""), 0);
	ck_assert_int_eq(pd_day_summary_changed("created=1 moved=0 dropped=0 purged=0"), 1);
	ck_assert_int_eq(pd_day_summary_changed("created=0 moved=0 dropped=0 purged=0 keys_purged=10"), 1);
	ck_assert_int_eq(pd_day_summary_changed("created=0 moved=00 dropped=0 purged=0"), 1); /* not a plain 0 */
	ck_assert_int_eq(pd_day_summary_changed("created=0 moved=0 dropped=0 purged=20000"), 1);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("day_partitions");
	TCase *t = tcase_create("day_partitions");
	tcase_add_test(t, settings_valid_and_invalid);
	tcase_add_test(t, summary_changed_only_on_a_count);
	suite_add_tcase(s, t);
	return s;
}

PD_CHECK_MAIN(suite)
