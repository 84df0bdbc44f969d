/* Tests for the return/refund workflow: every (from, to, actor) triple
 * against a table written out here independently of workflow.c, the
 * refusal texts, customer-visible labels for every step, progress steps,
 * names, and the mapping of logistics return states (every transition the
 * logistics service accepts must be accepted here too). */
#include <string.h>

#include "../../services/logistics/shipment_state.h"
#include "../../services/router/workflow.h"
#include "logistics.pb-c.h"
#include "pd_check.h"

#define N RT_WF_STATE_COUNT
#define ACTORS 6 /* 0 and 5 are not actors */

/* expect[from][to]: letters of the actors allowed (A agent, W warehouse,
 * F finance, S system); "" impossible; "=" same state (no-op, allowed);
 * "X" target none (never allowed). State order: none requested approved
 * parcel_back warehouse_inspected finance_refunded closed rejected. */
static const char *const expect[N][N] = {
	/* none */ { "X", "AS", "AS", "S", "S", "S", "S", "S" },
	/* requested */ { "X", "=", "AS", "", "", "", "AS", "AS" },
	/* approved */ { "X", "", "=", "AS", "", "", "AS", "" },
	/* parcel_back */ { "X", "", "", "=", "W", "", "", "" },
	/* inspected */ { "X", "", "", "", "=", "F", "", "W" },
	/* refunded */ { "X", "", "", "", "", "=", "AS", "" },
	/* closed */ { "X", "", "", "", "", "", "=", "" },
	/* rejected */ { "X", "", "", "", "", "", "AS", "=" },
};

static char actor_letter(int actor)
{
	switch (actor) {
	case RT_WF_ACTOR_AGENT: return 'A';
	case RT_WF_ACTOR_WAREHOUSE: return 'W';
	case RT_WF_ACTOR_FINANCE: return 'F';
	case RT_WF_ACTOR_SYSTEM: return 'S';
	default: return '?';
	}
}

START_TEST(triple)
{
	int from = _i / (N * ACTORS), to = (_i / ACTORS) % N, actor = _i % ACTORS;
	const char *e = expect[from][to];
	int valid_actor = actor >= 1 && actor <= 4;
	int want;
	if (!valid_actor)
		want = PD_EINVAL;
	else if (strcmp(e, "X") == 0 || strcmp(e, "") == 0)
		want = PD_ESTATE;
	else if (strcmp(e, "=") == 0)
		want = PD_OK;
	else
		want = strchr(e, actor_letter(actor)) ? PD_OK : PD_EINVAL;
	pd_errbuf eb = { "untouched" };
	int rc = rt_wf_transition(from, to, actor, &eb);
	ck_assert_msg(rc == want, "%s -> %s by %s: got %d want %d (%s)", rt_wf_state_name(from),
		      rt_wf_state_name(to), rt_wf_actor_name(actor), rc, want, eb.msg);
	if (rc == PD_ESTATE) {
		ck_assert_ptr_nonnull(strstr(eb.msg, "impossible return step"));
		ck_assert_ptr_nonnull(strstr(eb.msg, rt_wf_state_name(from)));
	}
	if (rc == PD_EINVAL && valid_actor) {
		/* Names who tried and who may. */
		ck_assert_ptr_nonnull(strstr(eb.msg, rt_wf_actor_name(actor)));
		ck_assert_ptr_nonnull(strstr(eb.msg, "allowed:"));
	}
	/* The actor set agrees with the letters. */
	unsigned set = rt_wf_actors(from, to);
	for (int a = 1; a <= 4; a++) {
		int listed = strcmp(e, "=") != 0 && strchr(e, actor_letter(a)) != NULL;
		ck_assert_int_eq(!!(set & (1u << a)), listed);
	}
}
END_TEST

START_TEST(refusal_texts)
{
	pd_errbuf eb;
	ck_assert_int_eq(rt_wf_transition(RT_WF_CLOSED, RT_WF_APPROVED, RT_WF_ACTOR_AGENT, &eb),
			 PD_ESTATE);
	ck_assert_str_eq(eb.msg, "impossible return step closed -> approved");
	ck_assert_int_eq(rt_wf_transition(RT_WF_PARCEL_BACK, RT_WF_WAREHOUSE_INSPECTED,
					  RT_WF_ACTOR_FINANCE, &eb),
			 PD_EINVAL);
	ck_assert_str_eq(eb.msg, "finance may not move a return from parcel_back to "
				 "warehouse_inspected (allowed: warehouse)");
	ck_assert_int_eq(rt_wf_transition(RT_WF_FINANCE_REFUNDED, RT_WF_CLOSED, RT_WF_ACTOR_WAREHOUSE,
					  &eb),
			 PD_EINVAL);
	ck_assert_str_eq(eb.msg, "warehouse may not move a return from finance_refunded to closed "
				 "(allowed: agent or system)");
	/* Skipping a department's sign-off is impossible, not merely forbidden. */
	ck_assert_int_eq(rt_wf_transition(RT_WF_APPROVED, RT_WF_FINANCE_REFUNDED, RT_WF_ACTOR_FINANCE,
					  &eb),
			 PD_ESTATE);
	ck_assert_str_eq(eb.msg, "impossible return step approved -> finance_refunded");
	ck_assert_int_eq(rt_wf_transition(RT_WF_REQUESTED, RT_WF_NONE, RT_WF_ACTOR_SYSTEM, &eb),
			 PD_ESTATE);
	ck_assert_int_eq(rt_wf_transition(RT_WF_REQUESTED, RT_WF_APPROVED, 0, &eb), PD_EINVAL);
	ck_assert_str_eq(eb.msg, "unknown actor 0");
	/* Out of range states. */
	static const int bad[] = { -1, N, 42, -2147483647 - 1, 2147483647 };
	for (size_t i = 0; i < PD_ARRAY_LEN(bad); i++)
		for (int s = 0; s < N; s++) {
			ck_assert_int_eq(rt_wf_transition(bad[i], s, RT_WF_ACTOR_SYSTEM, &eb), PD_ESTATE);
			ck_assert_ptr_nonnull(strstr(eb.msg, "unknown"));
			ck_assert_int_eq(rt_wf_transition(s, bad[i], RT_WF_ACTOR_SYSTEM, &eb), PD_ESTATE);
			ck_assert_uint_eq(rt_wf_actors(bad[i], s), 0);
			ck_assert_uint_eq(rt_wf_actors(s, bad[i]), 0);
		}
	ck_assert_int_eq(rt_wf_transition(42, 1, RT_WF_ACTOR_AGENT, &eb), PD_ESTATE);
	ck_assert_str_eq(eb.msg, "unknown return step state 42");
	/* A NULL error buffer is fine. */
	ck_assert_int_eq(rt_wf_transition(RT_WF_CLOSED, RT_WF_REQUESTED, RT_WF_ACTOR_AGENT, NULL),
			 PD_ESTATE);
}
END_TEST

START_TEST(happy_path_by_departments)
{
	static const struct {
		int to, actor;
	} path[] = {
		{ RT_WF_REQUESTED, RT_WF_ACTOR_AGENT },
		{ RT_WF_APPROVED, RT_WF_ACTOR_AGENT },
		{ RT_WF_PARCEL_BACK, RT_WF_ACTOR_SYSTEM },
		{ RT_WF_WAREHOUSE_INSPECTED, RT_WF_ACTOR_WAREHOUSE },
		{ RT_WF_FINANCE_REFUNDED, RT_WF_ACTOR_FINANCE },
		{ RT_WF_CLOSED, RT_WF_ACTOR_SYSTEM },
	};
	int s = RT_WF_NONE;
	for (size_t i = 0; i < PD_ARRAY_LEN(path); i++) {
		ck_assert_int_eq(rt_wf_transition(s, path[i].to, path[i].actor, NULL), PD_OK);
		s = path[i].to;
		ck_assert_int_eq(rt_wf_step(s), (int)i + 1);
	}
	ck_assert_int_eq(rt_wf_is_terminal(s), 1);
	/* Nothing leaves closed, for anyone. */
	for (int to = 0; to < N; to++)
		for (int a = 1; a <= 4; a++)
			if (to != RT_WF_CLOSED)
				ck_assert_int_ne(rt_wf_transition(RT_WF_CLOSED, to, a, NULL), PD_OK);
}
END_TEST

START_TEST(labels_present)
{
	for (int s = 1; s < N; s++) {
		const rt_wf_label *l = rt_wf_label_of(s);
		ck_assert_ptr_nonnull(l);
		ck_assert_ptr_nonnull(l->zh);
		ck_assert_ptr_nonnull(l->en);
		ck_assert_uint_gt(strlen(l->zh), 6);
		ck_assert_uint_gt(strlen(l->en), 6);
		/* The Chinese text is Chinese (a 3-byte UTF-8 lead byte), the
		 * English one starts with an ASCII letter. */
		ck_assert_int_eq((unsigned char)l->zh[0] & 0xF0, 0xE0);
		ck_assert((l->en[0] >= 'A' && l->en[0] <= 'Z') || (l->en[0] >= 'a' && l->en[0] <= 'z'));
		/* Every step reads differently. */
		for (int t = 1; t < s; t++) {
			ck_assert_str_ne(rt_wf_label_of(t)->zh, l->zh);
			ck_assert_str_ne(rt_wf_label_of(t)->en, l->en);
		}
	}
	ck_assert_ptr_null(rt_wf_label_of(RT_WF_NONE));
	ck_assert_ptr_null(rt_wf_label_of(-1));
	ck_assert_ptr_null(rt_wf_label_of(N));
	/* The refund step says refund in both languages. */
	ck_assert_ptr_nonnull(strstr(rt_wf_label_of(RT_WF_FINANCE_REFUNDED)->zh, "退款"));
	ck_assert_ptr_nonnull(strstr(rt_wf_label_of(RT_WF_FINANCE_REFUNDED)->en, "Refund"));
	ck_assert_ptr_nonnull(strstr(rt_wf_label_of(RT_WF_APPROVED)->zh, "寄回"));
}
END_TEST

START_TEST(names_steps_terminal)
{
	static const char *const names[N] = { "none", "requested", "approved", "parcel_back",
					      "warehouse_inspected", "finance_refunded", "closed",
					      "rejected" };
	static const int steps[N] = { 0, 1, 2, 3, 4, 5, 6, 0 };
	for (int s = 0; s < N; s++) {
		ck_assert_str_eq(rt_wf_state_name(s), names[s]);
		ck_assert_int_eq(rt_wf_state_parse(names[s]), s);
		ck_assert_int_eq(rt_wf_step(s), steps[s]);
		ck_assert_int_le(rt_wf_step(s), RT_WF_STEPS);
		ck_assert_int_eq(rt_wf_is_terminal(s), s == RT_WF_CLOSED);
	}
	ck_assert_str_eq(rt_wf_state_name(N), "unknown");
	ck_assert_int_eq(rt_wf_state_parse("PARCEL_BACK"), RT_WF_PARCEL_BACK);
	ck_assert_int_eq(rt_wf_state_parse("refunded"), -1);
	ck_assert_int_eq(rt_wf_state_parse(NULL), -1);
	ck_assert_int_eq(rt_wf_step(-3), 0);
	static const char *const actors[] = { "unknown", "agent", "warehouse", "finance", "system",
					      "unknown" };
	for (int a = 0; a < ACTORS; a++)
		ck_assert_str_eq(rt_wf_actor_name(a), actors[a]);
	for (int a = 1; a <= 4; a++)
		ck_assert_int_eq(rt_wf_actor_parse(actors[a]), a);
	ck_assert_int_eq(rt_wf_actor_parse("Finance"), RT_WF_ACTOR_FINANCE);
	ck_assert_int_eq(rt_wf_actor_parse("customer"), -1);
	ck_assert_int_eq(rt_wf_actor_parse("unknown"), -1);
	ck_assert_int_eq(rt_wf_actor_parse(NULL), -1);
}
END_TEST

#define RS(x) PEAKDESK__V1__RETURN_STATE__RETURN_STATE_##x

START_TEST(from_return_state)
{
	static const struct {
		int rs, from, state, actor;
	} cases[] = {
		{ RS(REQUESTED), RT_WF_NONE, RT_WF_REQUESTED, RT_WF_ACTOR_SYSTEM },
		{ RS(APPROVED), RT_WF_REQUESTED, RT_WF_APPROVED, RT_WF_ACTOR_SYSTEM },
		{ RS(PARCEL_SENT), RT_WF_APPROVED, RT_WF_PARCEL_BACK, RT_WF_ACTOR_SYSTEM },
		{ RS(RECEIVED), RT_WF_PARCEL_BACK, RT_WF_PARCEL_BACK, RT_WF_ACTOR_SYSTEM },
		{ RS(INSPECTED), RT_WF_PARCEL_BACK, RT_WF_WAREHOUSE_INSPECTED, RT_WF_ACTOR_WAREHOUSE },
		{ RS(REFUNDED), RT_WF_WAREHOUSE_INSPECTED, RT_WF_FINANCE_REFUNDED, RT_WF_ACTOR_FINANCE },
		{ RS(CLOSED), RT_WF_FINANCE_REFUNDED, RT_WF_CLOSED, RT_WF_ACTOR_SYSTEM },
		{ RS(REJECTED), RT_WF_WAREHOUSE_INSPECTED, RT_WF_REJECTED, RT_WF_ACTOR_WAREHOUSE },
		{ RS(REJECTED), RT_WF_REQUESTED, RT_WF_REJECTED, RT_WF_ACTOR_SYSTEM },
		/* First heard of mid-way: a relayed fact, system. */
		{ RS(INSPECTED), RT_WF_NONE, RT_WF_WAREHOUSE_INSPECTED, RT_WF_ACTOR_SYSTEM },
		{ RS(REFUNDED), RT_WF_NONE, RT_WF_FINANCE_REFUNDED, RT_WF_ACTOR_SYSTEM },
	};
	for (size_t i = 0; i < PD_ARRAY_LEN(cases); i++) {
		int s = -1, a = -1;
		ck_assert_int_eq(rt_wf_from_return_state(cases[i].rs, cases[i].from, &s, &a), PD_OK);
		ck_assert_int_eq(s, cases[i].state);
		ck_assert_int_eq(a, cases[i].actor);
		/* ... and the step it stands for is accepted. */
		ck_assert_int_eq(rt_wf_transition(cases[i].from, s, a, NULL), PD_OK);
	}
	int s, a;
	ck_assert_int_eq(rt_wf_from_return_state(RS(UNSPECIFIED), 0, &s, &a), PD_EINVAL);
	ck_assert_int_eq(rt_wf_from_return_state(99, 0, &s, &a), PD_EINVAL);
	ck_assert_int_eq(rt_wf_from_return_state(RS(APPROVED), 0, NULL, &a), PD_EINVAL);
	ck_assert_int_eq(rt_wf_from_return_state(RS(APPROVED), 0, &s, NULL), PD_EINVAL);
}
END_TEST

/* Every return transition the logistics service accepts (its table in
 * shipment_state.c) maps onto a step this workflow accepts from the actor
 * the fact stands for: otherwise a logistics.return_updated event would be
 * refused by the router and the customer's progress page would stall. */
START_TEST(accepts_every_logistics_transition)
{
	int checked = 0;
	for (int f = 0; f < LG_RETURN_STATE_COUNT; f++)
		for (int t = 1; t < LG_RETURN_STATE_COUNT; t++) {
			if (lg_return_transition(f, t, NULL) != PD_OK)
				continue;
			int wf_from = RT_WF_NONE, actor;
			if (f != 0)
				ck_assert_int_eq(rt_wf_from_return_state(f, RT_WF_NONE, &wf_from, &actor),
						 PD_OK);
			int wf_to;
			ck_assert_int_eq(rt_wf_from_return_state(t, wf_from, &wf_to, &actor), PD_OK);
			pd_errbuf eb = { "" };
			ck_assert_msg(rt_wf_transition(wf_from, wf_to, actor, &eb) == PD_OK,
				      "logistics %s -> %s: %s", lg_return_state_name(f),
				      lg_return_state_name(t), eb.msg);
			checked++;
		}
	ck_assert_int_gt(checked, 20);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("workflow");
	TCase *tt = tcase_create("table");
	tcase_add_loop_test(tt, triple, 0, N * N * ACTORS);
	tcase_add_test(tt, refusal_texts);
	tcase_add_test(tt, happy_path_by_departments);
	suite_add_tcase(s, tt);
	TCase *cv = tcase_create("customer_view");
	tcase_add_test(cv, labels_present);
	tcase_add_test(cv, names_steps_terminal);
	suite_add_tcase(s, cv);
	TCase *lg = tcase_create("logistics");
	tcase_add_test(lg, from_return_state);
	tcase_add_test(lg, accepts_every_logistics_transition);
	suite_add_tcase(s, lg);
	return s;
}

PD_CHECK_MAIN(suite)
