/* Tests for the router's partitioning (services/router/partition.c): the
 * K/N setting, a fixed hash (every instance and release must agree on the
 * owner of a key), an even spread, and which events an instance applies. */
#include "../../services/router/partition.h"
#include "pd_check.h"

START_TEST(parse_valid_and_invalid)
{
	rt_partition p;
	pd_errbuf eb = {{0}};
	ck_assert_int_eq(rt_partition_parse("", &p, &eb), PD_OK);
	ck_assert_int_eq(p.index, 0);
	ck_assert_int_eq(p.count, 1);
	ck_assert_int_eq(rt_partition_parse("3/4", &p, &eb), PD_OK);
	ck_assert_int_eq(p.index, 3);
	ck_assert_int_eq(p.count, 4);
	static const char *bad[] = {"4/4", "-1/2", "1", "1/", "/2", "a/b", "1/2x", "0/0", "0/1025", "1 /2"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		eb.msg[0] = 0;
		ck_assert_msg(rt_partition_parse(bad[i], &p, &eb) == PD_EINVAL, "accepted \"%s\"", bad[i]);
		ck_assert_msg(eb.msg[0] != 0, "no reason for \"%s\"", bad[i]);
	}
}
END_TEST

START_TEST(hash_is_fixed_and_separates_fields)
{
	/* FNV-1a of "webchat", 0x1f, "u1" is 4129889674 (computed outside). */
	ck_assert_int_eq(rt_partition_of("webchat", "u1", 4), (int)(4129889674u % 4));
	ck_assert_int_eq(rt_partition_of("x", "y", 1), 0);
	int differ = 0;
	for (int n = 2; n < 50; n++)
		differ |= rt_partition_of("ab", "c", n) != rt_partition_of("a", "bc", n);
	ck_assert_msg(differ, "(ab, c) and (a, bc) always land together");
}
END_TEST

START_TEST(spread_is_even)
{
	int count[4] = {0};
	char user[32];
	for (int i = 0; i < 20000; i++) {
		snprintf(user, sizeof(user), "customer-%d", i);
		count[rt_partition_of("webchat", user, 4)]++;
	}
	for (int k = 0; k < 4; k++)
		ck_assert_msg(count[k] > 4500 && count[k] < 5500, "partition %d got %d of 20000", k, count[k]);
}
END_TEST

START_TEST(owner_of_each_event)
{
	Peakdesk__V1__CustomerMessage m = PEAKDESK__V1__CUSTOMER_MESSAGE__INIT;
	m.account = "webchat";
	m.external_user_id = "u1";
	Peakdesk__V1__Envelope env = PEAKDESK__V1__ENVELOPE__INIT;
	env.body_case = PEAKDESK__V1__ENVELOPE__BODY_CUSTOMER_MESSAGE;
	env.customer_message = &m;
	int owner = rt_partition_of("webchat", "u1", 3);
	for (int k = 0; k < 3; k++) {
		rt_partition p = {k, 3};
		ck_assert_int_eq(rt_partition_owns(&p, &env), k == owner);
	}
	Peakdesk__V1__AgentCommand c = PEAKDESK__V1__AGENT_COMMAND__INIT;
	c.ticket_public_id = "k7m2xq9a4bcdefghijkmnp";
	env.body_case = PEAKDESK__V1__ENVELOPE__BODY_AGENT_COMMAND;
	env.agent_command = &c;
	owner = rt_partition_of("k7m2xq9a4bcdefghijkmnp", "", 3);
	for (int k = 0; k < 3; k++) {
		rt_partition p = {k, 3};
		ck_assert_int_eq(rt_partition_owns(&p, &env), k == owner);
	}
	c.ticket_public_id = ""; /* presence: no ticket, partition 0 */
	rt_partition p0 = {0, 3}, p1 = {1, 3};
	ck_assert_int_eq(rt_partition_owns(&p0, &env), 1);
	ck_assert_int_eq(rt_partition_owns(&p1, &env), 0);
	env.body_case = PEAKDESK__V1__ENVELOPE__BODY_SHIPMENT_DELAYED; /* department events: partition 0 */
	ck_assert_int_eq(rt_partition_owns(&p0, &env), 1);
	ck_assert_int_eq(rt_partition_owns(&p1, &env), 0);
	rt_partition whole = {0, 1};
	ck_assert_int_eq(rt_partition_owns(&whole, &env), 1);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("partition");
	TCase *t = tcase_create("partition");
	tcase_add_test(t, parse_valid_and_invalid);
	tcase_add_test(t, hash_is_fixed_and_separates_fields);
	tcase_add_test(t, spread_is_even);
	tcase_add_test(t, owner_of_each_event);
	suite_add_tcase(s, t);
	return s;
}

PD_CHECK_MAIN(suite)
