/* Tests for the shipment and return state machines: every (from, to) pair of
 * both enums against an expected table written out here independently of the
 * bit-set table in shipment_state.c, plus names, parsing and error texts. */
#include <string.h>

#include "../../services/logistics/shipment_state.h"
#include "logistics.pb-c.h"
#include "pd_check.h"

/* Rows: from; columns: to; both in enum order
 * unspecified created collected in_transit out_for_delivery delivered
 * exception returning returned. '1' allowed, '.' impossible. */
static const char *const shipment_expect[9] = {
	/*           U C C I O D E R R */
	/* unspec */ ".11111111",
	/* created */ ".11111111",
	/* collect */ "..1111111",
	/* transit */ "...111111",
	/* ofd     */ "...111111", /* redelivery after a failed attempt */
	/* deliver */ ".....1.11", /* refused after signing -> back to sender */
	/* except  */ "...111111",
	/* return- */ "......111",
	/* returned*/ "........1",
};

/* unspecified requested approved parcel_sent received inspected refunded
 * closed rejected */
static const char *const return_expect[9] = {
	/*           U Q A S V I F C J */
	/* unspec  */ ".11111111",
	/* request */ ".11.....1",
	/* approve */ "..11...1.",
	/* sent    */ "...11....",
	/* receive */ "....11...",
	/* inspect */ ".....11.1",
	/* refund  */ "......11.",
	/* closed  */ ".......1.",
	/* reject  */ ".......11",
};

START_TEST(shipment_pair)
{
	int from = _i / 9, to = _i % 9;
	pd_errbuf eb = { "untouched" };
	int rc = lg_shipment_transition(from, to, &eb);
	int want = shipment_expect[from][to] == '1' ? PD_OK : PD_ESTATE;
	ck_assert_msg(rc == want, "%s -> %s: got %d want %d (%s)", lg_shipment_state_name(from),
		      lg_shipment_state_name(to), rc, want, eb.msg);
	if (rc == PD_ESTATE) {
		/* The reason names both states. */
		ck_assert_ptr_nonnull(strstr(eb.msg, lg_shipment_state_name(from)));
		ck_assert_ptr_nonnull(strstr(eb.msg, lg_shipment_state_name(to)));
		ck_assert_ptr_nonnull(strstr(eb.msg, "impossible transition"));
	}
}
END_TEST

START_TEST(return_pair)
{
	int from = _i / 9, to = _i % 9;
	pd_errbuf eb = { "" };
	int rc = lg_return_transition(from, to, &eb);
	int want = return_expect[from][to] == '1' ? PD_OK : PD_ESTATE;
	ck_assert_msg(rc == want, "return %s -> %s: got %d want %d (%s)", lg_return_state_name(from),
		      lg_return_state_name(to), rc, want, eb.msg);
	if (rc == PD_ESTATE) {
		ck_assert_ptr_nonnull(strstr(eb.msg, lg_return_state_name(from)));
		ck_assert_ptr_nonnull(strstr(eb.msg, lg_return_state_name(to)));
	}
}
END_TEST

START_TEST(example_message)
{
	pd_errbuf eb;
	ck_assert_int_eq(lg_shipment_transition(PEAKDESK__V1__SHIPMENT_STATE__SHIPMENT_STATE_DELIVERED,
						PEAKDESK__V1__SHIPMENT_STATE__SHIPMENT_STATE_IN_TRANSIT,
						&eb),
			 PD_ESTATE);
	ck_assert_str_eq(eb.msg, "impossible transition delivered -> in_transit");
	ck_assert_int_eq(lg_return_transition(PEAKDESK__V1__RETURN_STATE__RETURN_STATE_CLOSED,
					      PEAKDESK__V1__RETURN_STATE__RETURN_STATE_APPROVED, &eb),
			 PD_ESTATE);
	ck_assert_str_eq(eb.msg, "impossible return transition closed -> approved");
	/* A NULL error buffer is allowed. */
	ck_assert_int_eq(lg_shipment_transition(8, 3, NULL), PD_ESTATE);
	ck_assert_int_eq(lg_shipment_transition(0, 3, NULL), PD_OK);
}
END_TEST

START_TEST(out_of_range)
{
	static const int bad[] = { -1, 9, 42, -2147483647 - 1, 2147483647 };
	pd_errbuf eb;
	for (size_t i = 0; i < PD_ARRAY_LEN(bad); i++) {
		for (int s = 0; s < 9; s++) {
			ck_assert_int_eq(lg_shipment_transition(bad[i], s, &eb), PD_ESTATE);
			ck_assert_ptr_nonnull(strstr(eb.msg, "unknown"));
			ck_assert_int_eq(lg_shipment_transition(s, bad[i], &eb), PD_ESTATE);
			ck_assert_int_eq(lg_return_transition(bad[i], s, &eb), PD_ESTATE);
			ck_assert_int_eq(lg_return_transition(s, bad[i], &eb), PD_ESTATE);
		}
		ck_assert_str_eq(lg_shipment_state_name(bad[i]), "unknown");
		ck_assert_str_eq(lg_return_state_name(bad[i]), "unknown");
	}
	ck_assert_int_eq(lg_shipment_transition(42, 3, &eb), PD_ESTATE);
	ck_assert_str_eq(eb.msg, "unknown state 42");
}
END_TEST

START_TEST(shipment_names)
{
	static const char *const want[9] = { "unspecified", "created", "collected",
					     "in_transit", "out_for_delivery", "delivered",
					     "exception", "returning", "returned" };
	for (int s = 0; s < 9; s++) {
		ck_assert_str_eq(lg_shipment_state_name(s), want[s]);
		ck_assert_int_eq(lg_shipment_state_parse(want[s]), s);
	}
	ck_assert_int_eq(lg_shipment_state_parse("SHIPMENT_STATE_OUT_FOR_DELIVERY"),
			 PEAKDESK__V1__SHIPMENT_STATE__SHIPMENT_STATE_OUT_FOR_DELIVERY);
	ck_assert_int_eq(lg_shipment_state_parse("In_Transit"), 3);
	ck_assert_int_eq(lg_shipment_state_parse("SHIPMENT_STATE_UNSPECIFIED"), 0);
	ck_assert_int_eq(lg_shipment_state_parse(NULL), -1);
	ck_assert_int_eq(lg_shipment_state_parse(""), -1);
	ck_assert_int_eq(lg_shipment_state_parse("SHIPMENT_STATE_"), -1);
	ck_assert_int_eq(lg_shipment_state_parse("in transit"), -1);
	ck_assert_int_eq(lg_shipment_state_parse("delivered "), -1);
	ck_assert_int_eq(lg_shipment_state_parse("RETURN_STATE_CLOSED"), -1);
	ck_assert_int_eq(lg_shipment_state_is_terminal(5), 1);
	ck_assert_int_eq(lg_shipment_state_is_terminal(8), 1);
	for (int s = 0; s < 5; s++)
		ck_assert_int_eq(lg_shipment_state_is_terminal(s), 0);
	ck_assert_int_eq(lg_shipment_state_is_terminal(6), 0);
	ck_assert_int_eq(lg_shipment_state_is_terminal(7), 0);
}
END_TEST

START_TEST(return_names)
{
	static const char *const want[9] = { "unspecified", "requested", "approved",
					     "parcel_sent", "received", "inspected",
					     "refunded", "closed", "rejected" };
	for (int s = 0; s < 9; s++) {
		ck_assert_str_eq(lg_return_state_name(s), want[s]);
		ck_assert_int_eq(lg_return_state_parse(want[s]), s);
	}
	ck_assert_int_eq(lg_return_state_parse("RETURN_STATE_PARCEL_SENT"), 3);
	ck_assert_int_eq(lg_return_state_parse("shipped"), -1);
	ck_assert_int_eq(lg_return_state_parse(NULL), -1);
}
END_TEST

/* The generated enum is what the tables are indexed by: a renumbering in the
 * proto would silently reshape the machine, so pin the values. */
START_TEST(enum_values_pinned)
{
	ck_assert_int_eq(PEAKDESK__V1__SHIPMENT_STATE__SHIPMENT_STATE_CREATED, 1);
	ck_assert_int_eq(PEAKDESK__V1__SHIPMENT_STATE__SHIPMENT_STATE_RETURNED, 8);
	ck_assert_int_eq(PEAKDESK__V1__RETURN_STATE__RETURN_STATE_REQUESTED, 1);
	ck_assert_int_eq(PEAKDESK__V1__RETURN_STATE__RETURN_STATE_REJECTED, 8);
	ck_assert_int_eq(LG_SHIPMENT_STATE_COUNT, 9);
	ck_assert_int_eq(LG_RETURN_STATE_COUNT, 9);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("shipment_state");
	TCase *tc = tcase_create("transitions");
	tcase_add_loop_test(tc, shipment_pair, 0, 81);
	tcase_add_loop_test(tc, return_pair, 0, 81);
	tcase_add_test(tc, example_message);
	tcase_add_test(tc, out_of_range);
	suite_add_tcase(s, tc);
	TCase *names = tcase_create("names");
	tcase_add_test(names, shipment_names);
	tcase_add_test(names, return_names);
	tcase_add_test(names, enum_values_pinned);
	suite_add_tcase(s, names);
	return s;
}

PD_CHECK_MAIN(suite)
