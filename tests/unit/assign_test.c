/* Tests for assignment: least loaded by ratio, the skill, presence, tier and
 * capacity filters, the tie-breaks (longest idle, then id), the queue order
 * (priority, deadline, created, id), and assigning queued tickets as
 * capacity frees, in order and without overfilling anyone. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../services/router/assign.h"
#include "channel.pb-c.h"
#include "pd_check.h"
#include "ticket.pb-c.h"

#define M (60LL * 1000)
#define T0 1731306600000LL

#define ONLINE PEAKDESK__V1__PRESENCE__PRESENCE_ONLINE
#define AWAY PEAKDESK__V1__PRESENCE__PRESENCE_AWAY
#define OFFLINE PEAKDESK__V1__PRESENCE__PRESENCE_OFFLINE
#define LOW PEAKDESK__V1__PRIORITY__PRIORITY_LOW
#define NORMAL PEAKDESK__V1__PRIORITY__PRIORITY_NORMAL
#define HIGH PEAKDESK__V1__PRIORITY__PRIORITY_HIGH
#define URGENT PEAKDESK__V1__PRIORITY__PRIORITY_URGENT

static const char *const after_sale[] = { "after-sale" };
static const char *const presale_order[] = { "presale", "order" };
static const char *const all_groups[] = { "presale", "order", "after-sale", "complaints" };

static rt_agent agent(const char *id, int open, int cap, int64_t idle)
{
	return (rt_agent){ .id = id, .tier = RT_TIER_FRONTLINE, .skills = all_groups,
			   .n_skills = PD_ARRAY_LEN(all_groups), .presence = ONLINE,
			   .capacity = cap, .open = open, .idle_since_ms = idle };
}

static rt_queued ticket(const char *id, const char *skill)
{
	return (rt_queued){ .id = id, .skill = skill, .priority = NORMAL, .created_at_ms = T0 };
}

/* The id of the picked agent, or "none". */
static const char *pick(const rt_agent *a, size_t n, const rt_queued *t)
{
	size_t i = 999;
	if (!rt_assign_pick(a, n, t, &i))
		return "none";
	ck_assert_uint_lt(i, n);
	return a[i].id;
}

START_TEST(least_loaded_by_ratio)
{
	rt_queued t = ticket("t1", "order");
	/* By count the trainee (2 open) would win over the senior (3 open);
	 * by ratio 2/3 > 3/8, so the senior takes it. */
	rt_agent a[] = { agent("trainee", 2, 3, T0 - 60 * M), agent("senior", 3, 8, T0) };
	ck_assert_str_eq(pick(a, 2, &t), "senior");
	/* An empty agent beats everyone with work. */
	rt_agent b[] = { agent("a", 1, 10, T0 - 60 * M), agent("b", 0, 2, T0) };
	ck_assert_str_eq(pick(b, 2, &t), "b");
	/* Plain counts with equal capacities. */
	rt_agent c[] = { agent("x", 3, 5, 0), agent("y", 1, 5, T0), agent("z", 2, 5, 0) };
	ck_assert_str_eq(pick(c, 3, &t), "y");
}
END_TEST

START_TEST(skill_filter)
{
	rt_agent a[] = { agent("pre", 0, 5, T0), agent("after", 3, 5, T0) };
	a[0].skills = presale_order;
	a[0].n_skills = 2;
	a[1].skills = after_sale;
	a[1].n_skills = 1;
	rt_queued t = ticket("t", "after-sale");
	ck_assert_str_eq(pick(a, 2, &t), "after");
	t.skill = "presale";
	ck_assert_str_eq(pick(a, 2, &t), "pre");
	t.skill = "complaints";
	ck_assert_str_eq(pick(a, 2, &t), "none");
	/* Skills match exactly (no prefix, no case folding: group names are
	 * lowercase by the schema's CHECK). */
	t.skill = "after";
	ck_assert_str_eq(pick(a, 2, &t), "none");
	t.skill = "After-Sale";
	ck_assert_str_eq(pick(a, 2, &t), "none");
	/* No skill: anyone. */
	t.skill = NULL;
	ck_assert_str_eq(pick(a, 2, &t), "pre");
	t.skill = "";
	ck_assert_str_eq(pick(a, 2, &t), "pre");
	/* An agent without skills takes only skill-less tickets. */
	rt_agent none = agent("none-skilled", 0, 5, T0);
	none.skills = NULL;
	none.n_skills = 0;
	t.skill = "order";
	ck_assert_int_eq(rt_assign_eligible(&none, &t), 0);
	t.skill = NULL;
	ck_assert_int_eq(rt_assign_eligible(&none, &t), 1);
}
END_TEST

START_TEST(presence_filter)
{
	rt_queued t = ticket("t", "order");
	rt_agent a[] = { agent("away", 0, 5, 0), agent("offline", 0, 5, 0),
			 agent("unset", 0, 5, 0), agent("busy-online", 4, 5, T0) };
	a[0].presence = AWAY;
	a[1].presence = OFFLINE;
	a[2].presence = 0;
	ck_assert_str_eq(pick(a, 4, &t), "busy-online");
	a[3].presence = AWAY;
	ck_assert_str_eq(pick(a, 4, &t), "none");
}
END_TEST

START_TEST(capacity_full_is_none)
{
	rt_queued t = ticket("t", "order");
	rt_agent a[] = { agent("full", 5, 5, 0), agent("over", 7, 5, 0), agent("zero", 0, 0, 0) };
	ck_assert_str_eq(pick(a, 3, &t), "none");
	/* One slot frees: taken. */
	a[0].open = 4;
	ck_assert_str_eq(pick(a, 3, &t), "full");
	/* Corrupt negative counts take nothing rather than everything. */
	rt_agent neg = agent("neg", -1, 5, 0);
	ck_assert_int_eq(rt_assign_eligible(&neg, &t), 0);
	ck_assert_str_eq(pick(NULL, 3, &t), "none");
	ck_assert_str_eq(pick(a, 3, NULL), "none");
	ck_assert_str_eq(pick(a, 0, &t), "none");
}
END_TEST

START_TEST(tier_filter)
{
	rt_agent a[] = { agent("front", 0, 5, 0), agent("lead", 4, 5, T0),
			 agent("super", 4, 5, T0) };
	a[1].tier = RT_TIER_LEAD;
	a[2].tier = RT_TIER_SUPERVISOR;
	rt_queued t = ticket("t", "order");
	ck_assert_str_eq(pick(a, 3, &t), "front");
	t.min_tier = RT_TIER_LEAD; /* escalated: frontline may not take it */
	ck_assert_str_eq(pick(a, 3, &t), "lead");
	t.min_tier = RT_TIER_SUPERVISOR;
	ck_assert_str_eq(pick(a, 3, &t), "super");
	a[2].open = 5;
	ck_assert_str_eq(pick(a, 3, &t), "none");
	/* An agent with an unset tier counts as frontline. */
	rt_agent u = agent("u", 0, 5, 0);
	u.tier = 0;
	t.min_tier = RT_TIER_FRONTLINE;
	ck_assert_int_eq(rt_assign_eligible(&u, &t), 1);
	t.min_tier = RT_TIER_LEAD;
	ck_assert_int_eq(rt_assign_eligible(&u, &t), 0);
}
END_TEST

START_TEST(tie_breaks)
{
	rt_queued t = ticket("t", "order");
	/* Same ratio (1/2 = 2/4): the one idle longer. */
	rt_agent a[] = { agent("recent", 1, 2, T0), agent("idle", 2, 4, T0 - 30 * M) };
	ck_assert_str_eq(pick(a, 2, &t), "idle");
	/* Same ratio and idle time: smallest id, whatever the array order. */
	rt_agent b[] = { agent("bob", 1, 4, T0), agent("amy", 1, 4, T0), agent("cat", 1, 4, T0) };
	ck_assert_str_eq(pick(b, 3, &t), "amy");
	rt_agent c[] = { b[2], b[0], b[1] };
	ck_assert_str_eq(pick(c, 3, &t), "amy");
	/* Load beats idle time. */
	rt_agent d[] = { agent("idle-busy", 3, 4, 0), agent("fresh-free", 1, 4, T0) };
	ck_assert_str_eq(pick(d, 2, &t), "fresh-free");
}
END_TEST

/* Several router partitions: in the same tenth of load each takes its own
 * share first, whatever the exact ratio, idle time or id; a lower tenth
 * wins whoever's it is. */
START_TEST(own_partition_first)
{
	rt_queued t = ticket("t", "order");
	rt_agent a[] = { agent("amy", 25, 50, T0 - 30 * M), agent("bob", 27, 50, T0) };
	a[0].foreign = 1;
	ck_assert_str_eq(pick(a, 2, &t), "bob"); /* 5/10 both: own first */
	a[0].foreign = 0, a[1].foreign = 1;
	ck_assert_str_eq(pick(a, 2, &t), "amy");
	rt_agent b[] = { agent("own", 25, 50, 0), agent("foreign", 21, 50, T0) };
	b[1].foreign = 1;
	ck_assert_str_eq(pick(b, 2, &t), "foreign"); /* 4/10 beats 5/10 */
	/* only foreign agents: still assigned, by ratio */
	rt_agent c[] = { agent("far", 3, 4, T0), agent("near", 1, 4, T0) };
	c[0].foreign = c[1].foreign = 1;
	ck_assert_str_eq(pick(c, 2, &t), "near");
	/* the order is total: any array order gives the same pick */
	rt_agent d[] = { agent("x", 26, 50, T0), agent("y", 21, 50, T0), agent("z", 29, 50, T0) };
	d[1].foreign = 1;
	rt_agent e[] = { d[2], d[1], d[0] };
	ck_assert_str_eq(pick(d, 3, &t), "y");
	ck_assert_str_eq(pick(e, 3, &t), "y");
}
END_TEST

START_TEST(queue_order)
{
	rt_queued q[] = {
		{ .id = "low-early", .priority = LOW, .deadline_ms = T0 + 1 * M, .created_at_ms = T0 - 90 * M },
		{ .id = "normal-late-deadline", .priority = NORMAL, .deadline_ms = T0 + 50 * M, .created_at_ms = T0 - 80 * M },
		{ .id = "urgent", .priority = URGENT, .deadline_ms = T0 + 60 * M, .created_at_ms = T0 },
		{ .id = "normal-no-deadline", .priority = NORMAL, .deadline_ms = 0, .created_at_ms = T0 - 99 * M },
		{ .id = "normal-soon", .priority = NORMAL, .deadline_ms = T0 + 5 * M, .created_at_ms = T0 },
		{ .id = "unspecified-soon", .priority = 0, .deadline_ms = T0 + 4 * M, .created_at_ms = T0 },
		{ .id = "high", .priority = HIGH, .deadline_ms = INT64_MAX, .created_at_ms = T0 },
		{ .id = "normal-late-deadline-b", .priority = NORMAL, .deadline_ms = T0 + 50 * M, .created_at_ms = T0 - 80 * M },
		{ .id = "normal-late-deadline-older", .priority = NORMAL, .deadline_ms = T0 + 50 * M, .created_at_ms = T0 - 85 * M },
	};
	static const char *const want[] = {
		"urgent", "high", "unspecified-soon", "normal-soon", "normal-late-deadline-older",
		"normal-late-deadline", "normal-late-deadline-b", "normal-no-deadline", "low-early",
	};
	qsort(q, PD_ARRAY_LEN(q), sizeof(q[0]), rt_queue_cmp);
	for (size_t i = 0; i < PD_ARRAY_LEN(want); i++)
		ck_assert_str_eq(q[i].id, want[i]);
	/* Antisymmetric and reflexive-zero over all pairs. */
	for (size_t i = 0; i < PD_ARRAY_LEN(q); i++)
		for (size_t j = 0; j < PD_ARRAY_LEN(q); j++) {
			int ab = rt_queue_cmp(&q[i], &q[j]), ba = rt_queue_cmp(&q[j], &q[i]);
			ck_assert_int_eq(ab > 0, ba < 0);
			ck_assert_int_eq(ab == 0, i == j);
			ck_assert_int_eq(ab < 0, i < j);
		}
	/* NULL ids compare as empty. */
	rt_queued n1 = { .id = NULL }, n2 = { .id = "" };
	ck_assert_int_eq(rt_queue_cmp(&n1, &n2), 0);
}
END_TEST

START_TEST(assign_on_free)
{
	rt_agent a[] = { agent("amy", 1, 2, T0 - 10 * M), agent("bob", 2, 2, T0 - 20 * M) };
	a[1].skills = after_sale;
	a[1].n_skills = 1;
	rt_queued q[] = {
		{ .id = "n1", .skill = "order", .priority = NORMAL, .created_at_ms = T0 - 5 * M },
		{ .id = "u1", .skill = "order", .priority = URGENT, .created_at_ms = T0 },
		{ .id = "as1", .skill = "after-sale", .priority = NORMAL, .created_at_ms = T0 - 9 * M },
		{ .id = "n2", .skill = "order", .priority = NORMAL, .created_at_ms = T0 - 1 * M },
	};
	rt_assignment out[8];
	/* amy has one slot: the urgent ticket gets it; bob is full. */
	size_t n = rt_assign_queue(q, 4, a, 2, T0, out, 8);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(q[out[0].ticket].id, "u1");
	ck_assert_str_eq(a[out[0].agent].id, "amy");
	ck_assert_int_eq(a[0].open, 2);
	ck_assert(a[0].idle_since_ms == T0);
	/* Queue is now sorted: u1, as1, n1, n2. */
	ck_assert_str_eq(q[0].id, "u1");
	ck_assert_str_eq(q[1].id, "as1");

	/* Bob resolves a ticket: his slot goes to the after-sale ticket even
	 * though n1 (order) is ahead of it for amy, who is full. */
	a[1].open = 1;
	n = rt_assign_queue(q + 1, 3, a, 2, T0 + M, out, 8);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(q[1 + out[0].ticket].id, "as1");
	ck_assert_str_eq(a[out[0].agent].id, "bob");
	ck_assert_int_eq(a[1].open, 2);

	/* Amy raises her capacity by two: both order tickets, oldest first. */
	a[0].capacity = 4;
	n = rt_assign_queue(q + 2, 2, a, 2, T0 + 2 * M, out, 8);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(q[2 + out[0].ticket].id, "n1");
	ck_assert_str_eq(q[2 + out[1].ticket].id, "n2");
	ck_assert_int_eq(a[0].open, 4);
	/* Nobody is ever filled beyond capacity. */
	for (size_t i = 0; i < 2; i++)
		ck_assert_int_le(a[i].open, a[i].capacity);
}
END_TEST

START_TEST(assign_spreads_load)
{
	/* Ten tickets over three free agents with capacities 2, 4, 4: loads
	 * end proportional to capacity, and the walk stops at total capacity. */
	rt_agent a[] = { agent("small", 0, 2, 0), agent("big1", 0, 4, 0), agent("big2", 0, 4, 0) };
	rt_queued q[12];
	char ids[12][8];
	for (int i = 0; i < 12; i++) {
		snprintf(ids[i], sizeof(ids[i]), "t%02d", i);
		q[i] = ticket(ids[i], "order");
		q[i].created_at_ms = T0 + i;
	}
	rt_assignment out[12];
	size_t n = rt_assign_queue(q, 12, a, 3, T0, out, 12);
	ck_assert_uint_eq(n, 10);
	ck_assert_int_eq(a[0].open, 2);
	ck_assert_int_eq(a[1].open, 4);
	ck_assert_int_eq(a[2].open, 4);
	/* The two left over are the newest. */
	for (size_t i = 0; i < n; i++)
		ck_assert_uint_lt(out[i].ticket, 10);
	/* The first three picks go to three different people (idle first). */
	ck_assert_uint_ne(out[0].agent, out[1].agent);
	ck_assert_uint_ne(out[1].agent, out[2].agent);
	ck_assert_uint_ne(out[0].agent, out[2].agent);
	/* max_out bounds the work. */
	rt_agent b[] = { agent("x", 0, 10, 0) };
	ck_assert_uint_eq(rt_assign_queue(q, 12, b, 1, T0, out, 3), 3);
	ck_assert_int_eq(b[0].open, 3);
	ck_assert_uint_eq(rt_assign_queue(q, 12, b, 1, T0, NULL, 3), 0);
	ck_assert_uint_eq(rt_assign_queue(q, 0, b, 1, T0, out, 3), 0);
	ck_assert_uint_eq(rt_assign_queue(q, 12, NULL, 1, T0, out, 3), 0);
}
END_TEST

START_TEST(presence_names)
{
	ck_assert_int_eq(rt_presence_parse("online"), ONLINE);
	ck_assert_int_eq(rt_presence_parse("AWAY"), AWAY);
	ck_assert_int_eq(rt_presence_parse("offline"), OFFLINE);
	ck_assert_int_eq(rt_presence_parse("unspecified"), -1);
	ck_assert_int_eq(rt_presence_parse("busy"), -1);
	ck_assert_int_eq(rt_presence_parse(NULL), -1);
	ck_assert_str_eq(rt_presence_name(ONLINE), "online");
	ck_assert_str_eq(rt_presence_name(AWAY), "away");
	ck_assert_str_eq(rt_presence_name(OFFLINE), "offline");
	ck_assert_str_eq(rt_presence_name(0), "unspecified");
	ck_assert_str_eq(rt_presence_name(9), "unknown");
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("assign");
	TCase *pk = tcase_create("pick");
	tcase_add_test(pk, least_loaded_by_ratio);
	tcase_add_test(pk, own_partition_first);
	tcase_add_test(pk, skill_filter);
	tcase_add_test(pk, presence_filter);
	tcase_add_test(pk, capacity_full_is_none);
	tcase_add_test(pk, tier_filter);
	tcase_add_test(pk, tie_breaks);
	suite_add_tcase(s, pk);
	TCase *qu = tcase_create("queue");
	tcase_add_test(qu, queue_order);
	tcase_add_test(qu, assign_on_free);
	tcase_add_test(qu, assign_spreads_load);
	tcase_add_test(qu, presence_names);
	suite_add_tcase(s, qu);
	return s;
}

PD_CHECK_MAIN(suite)
