/* Tests for the cross-department workflows. Return/refund: every (from,
 * to, actor) triple against a table written out here independently of
 * workflow.c, the refusal texts, customer-visible labels for every step,
 * progress steps, names, and the mapping of logistics return states (every
 * transition the logistics service accepts must be accepted here too).
 * Exchange and reship through the by-name API: the same, plus where each
 * state goes next; and the return kind through that API answering exactly
 * what the integer API answers. */
#include <stdio.h>
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

/* ---- Exchange and reship, by name --------------------------------------
 * Written out here from the brief, not from workflow.c: the states in this
 * order, the same letters as expect[][] above, the happy-path step of each
 * state, and where each goes next with the letter of who owns that step. */

#define KMAX 9 /* the most states of any kind, none included */

struct kind_expect {
	int kind;
	const char *name, *a_name; /* "exchange", "an exchange" */
	int n, steps;
	const char *states[KMAX];
	const char *table[KMAX][KMAX];
	int step[KMAX];
	const char *next[KMAX];
	char next_by[KMAX];
};

static const struct kind_expect kexp[] = {
	{ RT_WF_EXCHANGE, "exchange", "an exchange", 9, 6,
	  { "none", "requested", "approved", "parcel_back", "warehouse_inspected", "replacement_shipped", "closed",
	    "rejected", "refunded_instead" },
	  {
		  /* none */ { "X", "A", "", "", "", "", "", "", "" },
		  /* requested */ { "X", "=", "A", "", "", "", "A", "A", "" },
		  /* approved */ { "X", "", "=", "S", "", "", "A", "", "" },
		  /* parcel_back */ { "X", "", "", "=", "W", "", "", "", "" },
		  /* inspected */ { "X", "", "", "", "=", "W", "", "W", "F" },
		  /* replacement_shipped */ { "X", "", "", "", "", "=", "A", "", "" },
		  /* closed */ { "X", "", "", "", "", "", "=", "", "" },
		  /* rejected */ { "X", "", "", "", "", "", "A", "=", "" },
		  /* refunded_instead */ { "X", "", "", "", "", "", "A", "", "=" },
	  },
	  { 0, 1, 2, 3, 4, 5, 6, 0, 0 },
	  { "requested", "approved", "parcel_back", "warehouse_inspected", "replacement_shipped", "closed", NULL,
	    "closed", "closed" },
	  { 'A', 'A', 'S', 'W', 'W', 'A', 0, 'A', 'A' } },
	{ RT_WF_RESHIP, "reship", "a reship", 8, 5,
	  { "none", "requested", "approved", "reshipped", "delivered", "closed", "rejected", "refunded_instead" },
	  {
		  /* none */ { "X", "A", "", "", "", "", "", "" },
		  /* requested */ { "X", "=", "A", "", "", "A", "A", "" },
		  /* approved */ { "X", "", "=", "W", "", "", "", "F" },
		  /* reshipped */ { "X", "", "", "=", "S", "", "", "" },
		  /* delivered */ { "X", "", "", "", "=", "A", "", "" },
		  /* closed */ { "X", "", "", "", "", "=", "", "" },
		  /* rejected */ { "X", "", "", "", "", "A", "=", "" },
		  /* refunded_instead */ { "X", "", "", "", "", "A", "", "=" },
	  },
	  { 0, 1, 2, 3, 4, 5, 0, 0 },
	  { "requested", "approved", "reshipped", "delivered", "closed", NULL, "closed", "closed" },
	  { 'A', 'A', 'W', 'S', 'A', 0, 'A', 'A' } },
};
#define KINDS ((int)PD_ARRAY_LEN(kexp))

static int letter_actor(char c)
{
	for (int a = 1; a <= 4; a++)
		if (actor_letter(a) == c)
			return a;
	return 0;
}

/* "agent or system", built from the letters in actor order. */
static void expected_list(const char *letters, char *buf, size_t size)
{
	buf[0] = '\0';
	for (int a = 1; a <= 4; a++)
		if (strchr(letters, actor_letter(a))) {
			if (buf[0])
				strncat(buf, " or ", size - strlen(buf) - 1);
			strncat(buf, rt_wf_actor_name(a), size - strlen(buf) - 1);
		}
}

/* Every (kind, from, to, actor): the code, the exact refusal text, and the
 * actor set. _i runs over KINDS * KMAX * KMAX * ACTORS; pairs past a
 * kind's last state are skipped. */
START_TEST(kind_triple)
{
	const struct kind_expect *k = &kexp[_i / (KMAX * KMAX * ACTORS)];
	int rest = _i % (KMAX * KMAX * ACTORS);
	int from = rest / (KMAX * ACTORS), to = (rest / ACTORS) % KMAX, actor = rest % ACTORS;
	if (from >= k->n || to >= k->n)
		return;
	const char *f = k->states[from], *t = k->states[to], *e = k->table[from][to];
	int valid_actor = actor >= 1 && actor <= 4;
	char want_msg[PD_ERRMSG_MAX] = "untouched";
	int want;
	if (!valid_actor) {
		want = PD_EINVAL;
		snprintf(want_msg, sizeof(want_msg), "unknown actor %d", actor);
	} else if (strcmp(e, "X") == 0) {
		want = PD_ESTATE;
		snprintf(want_msg, sizeof(want_msg), "impossible %s step %s -> none: a step must name its state",
			 k->name, f);
	} else if (strcmp(e, "") == 0) {
		want = PD_ESTATE;
		snprintf(want_msg, sizeof(want_msg), "impossible %s step %s -> %s", k->name, f, t);
	} else if (strcmp(e, "=") == 0 || strchr(e, actor_letter(actor))) {
		want = PD_OK;
	} else {
		want = PD_EINVAL;
		char list[64];
		expected_list(e, list, sizeof(list));
		snprintf(want_msg, sizeof(want_msg), "%s may not move %s from %s to %s (allowed: %s)",
			 rt_wf_actor_name(actor), k->a_name, f, t, list);
	}
	pd_errbuf eb = { "untouched" };
	int rc = rt_wfk_transition(k->kind, f, t, actor, &eb);
	ck_assert_msg(rc == want, "%s %s -> %s by %s: got %d want %d (%s)", k->name, f, t, rt_wf_actor_name(actor),
		      rc, want, eb.msg);
	ck_assert_str_eq(eb.msg, want_msg);
	unsigned set = rt_wfk_actors(k->kind, f, t);
	for (int a = 1; a <= 4; a++) {
		int listed = strcmp(e, "=") != 0 && strchr(e, actor_letter(a)) != NULL;
		ck_assert_msg(!!(set & (1u << a)) == listed, "%s %s -> %s: actor set %#x", k->name, f, t, set);
	}
	ck_assert_uint_eq(set & ~0x1eu, 0);
}
END_TEST

START_TEST(kind_names)
{
	static const char *const names[] = { "unknown", "return", "exchange", "reship", "unknown" };
	for (int k = 0; k < (int)PD_ARRAY_LEN(names); k++)
		ck_assert_str_eq(rt_wf_kind_name(k), names[k]);
	ck_assert_str_eq(rt_wf_kind_name(-1), "unknown");
	ck_assert_int_eq(RT_WF_KIND_COUNT, 4);
	ck_assert_int_eq(rt_wf_kind_parse("return"), RT_WF_RETURN);
	ck_assert_int_eq(rt_wf_kind_parse("exchange"), RT_WF_EXCHANGE);
	ck_assert_int_eq(rt_wf_kind_parse("reship"), RT_WF_RESHIP);
	ck_assert_int_eq(rt_wf_kind_parse("Exchange"), RT_WF_EXCHANGE);
	ck_assert_int_eq(rt_wf_kind_parse("refund"), -1);
	ck_assert_int_eq(rt_wf_kind_parse("unknown"), -1);
	ck_assert_int_eq(rt_wf_kind_parse(""), -1);
	ck_assert_int_eq(rt_wf_kind_parse(NULL), -1);
}
END_TEST

/* Each kind has exactly the states written out above: no more, no fewer,
 * and none of another kind's. */
START_TEST(kind_states_listed)
{
	for (int i = 0; i < KINDS; i++) {
		const struct kind_expect *k = &kexp[i];
		int count = 0;
		while (rt_wfk_state_at(k->kind, count))
			count++;
		ck_assert_int_eq(count, k->n);
		ck_assert_str_eq(rt_wfk_state_at(k->kind, 0), "none");
		for (int s = 0; s < k->n; s++) {
			ck_assert_int_eq(rt_wfk_state_valid(k->kind, k->states[s]), 1);
			int found = 0;
			for (int j = 0; j < count; j++)
				found += strcmp(rt_wfk_state_at(k->kind, j), k->states[s]) == 0;
			ck_assert_msg(found == 1, "%s: %s listed %d times", k->name, k->states[s], found);
		}
		ck_assert_ptr_null(rt_wfk_state_at(k->kind, -1));
		static const char *const foreign[] = { "unknown", "", "finance_refunded", "refunded", "shipped",
						       "requested ", "closed\n" };
		for (size_t j = 0; j < PD_ARRAY_LEN(foreign); j++)
			ck_assert_int_eq(rt_wfk_state_valid(k->kind, foreign[j]), 0);
		ck_assert_int_eq(rt_wfk_state_valid(k->kind, NULL), 0);
		ck_assert_int_eq(rt_wfk_state_valid(k->kind, "REQUESTED"), 1);
	}
	/* Each kind's own steps are not the other's. */
	ck_assert_int_eq(rt_wfk_state_valid(RT_WF_EXCHANGE, "reshipped"), 0);
	ck_assert_int_eq(rt_wfk_state_valid(RT_WF_RESHIP, "parcel_back"), 0);
	ck_assert_int_eq(rt_wfk_state_valid(RT_WF_RESHIP, "replacement_shipped"), 0);
	ck_assert_int_eq(rt_wfk_state_valid(RT_WF_RETURN, "refunded_instead"), 0);
	for (int bad = -1; bad <= 4; bad += 5) {
		ck_assert_int_eq(rt_wfk_state_valid(bad, "requested"), 0);
		ck_assert_ptr_null(rt_wfk_state_at(bad, 0));
	}
	ck_assert_int_eq(rt_wfk_state_valid(0, "none"), 0);
}
END_TEST

START_TEST(kind_refusal_texts)
{
	pd_errbuf eb;
	ck_assert_int_eq(rt_wfk_transition(RT_WF_EXCHANGE, "parcel_back", "warehouse_inspected", RT_WF_ACTOR_FINANCE,
					   &eb),
			 PD_EINVAL);
	ck_assert_str_eq(eb.msg, "finance may not move an exchange from parcel_back to warehouse_inspected "
				 "(allowed: warehouse)");
	ck_assert_int_eq(rt_wfk_transition(RT_WF_EXCHANGE, "closed", "approved", RT_WF_ACTOR_AGENT, &eb), PD_ESTATE);
	ck_assert_str_eq(eb.msg, "impossible exchange step closed -> approved");
	/* No replacement without an inspection, no refund instead of a reship
	 * before it was approved. */
	ck_assert_int_eq(rt_wfk_transition(RT_WF_EXCHANGE, "parcel_back", "replacement_shipped",
					   RT_WF_ACTOR_WAREHOUSE, &eb),
			 PD_ESTATE);
	ck_assert_int_eq(rt_wfk_transition(RT_WF_RESHIP, "requested", "refunded_instead", RT_WF_ACTOR_FINANCE, &eb),
			 PD_ESTATE);
	ck_assert_str_eq(eb.msg, "impossible reship step requested -> refunded_instead");
	ck_assert_int_eq(rt_wfk_transition(RT_WF_RESHIP, "reshipped", "delivered", RT_WF_ACTOR_WAREHOUSE, &eb),
			 PD_EINVAL);
	ck_assert_str_eq(eb.msg, "warehouse may not move a reship from reshipped to delivered (allowed: system)");
	/* Unknown names, NULL, unknown kind and actor. */
	ck_assert_int_eq(rt_wfk_transition(RT_WF_RESHIP, "approved", "refunded", RT_WF_ACTOR_FINANCE, &eb),
			 PD_ESTATE);
	ck_assert_str_eq(eb.msg, "unknown reship step state \"refunded\"");
	ck_assert_int_eq(rt_wfk_transition(RT_WF_EXCHANGE, NULL, "approved", RT_WF_ACTOR_AGENT, &eb), PD_ESTATE);
	ck_assert_str_eq(eb.msg, "unknown exchange step state (null)");
	ck_assert_int_eq(rt_wfk_transition(RT_WF_EXCHANGE, "requested", NULL, RT_WF_ACTOR_AGENT, &eb), PD_ESTATE);
	char longname[200];
	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	ck_assert_int_eq(rt_wfk_transition(RT_WF_EXCHANGE, longname, "approved", RT_WF_ACTOR_AGENT, &eb), PD_ESTATE);
	ck_assert_uint_lt(strlen(eb.msg), 80);
	ck_assert_int_eq(rt_wfk_transition(9, "requested", "approved", RT_WF_ACTOR_AGENT, &eb), PD_EINVAL);
	ck_assert_str_eq(eb.msg, "unknown workflow kind 9");
	ck_assert_int_eq(rt_wfk_transition(0, "requested", "approved", RT_WF_ACTOR_AGENT, &eb), PD_EINVAL);
	ck_assert_int_eq(rt_wfk_transition(RT_WF_EXCHANGE, "requested", "approved", 7, &eb), PD_EINVAL);
	ck_assert_str_eq(eb.msg, "unknown actor 7");
	ck_assert_uint_eq(rt_wfk_actors(9, "requested", "approved"), 0);
	ck_assert_uint_eq(rt_wfk_actors(RT_WF_EXCHANGE, "requested", NULL), 0);
	ck_assert_uint_eq(rt_wfk_actors(RT_WF_EXCHANGE, NULL, "approved"), 0);
	/* Names are matched case-insensitively; a NULL error buffer is fine. */
	ck_assert_int_eq(rt_wfk_transition(RT_WF_RESHIP, "Approved", "RESHIPPED", RT_WF_ACTOR_WAREHOUSE, NULL), PD_OK);
	ck_assert_int_eq(rt_wfk_transition(RT_WF_RESHIP, "closed", "approved", RT_WF_ACTOR_AGENT, NULL), PD_ESTATE);
}
END_TEST

START_TEST(kind_labels_present)
{
	for (int i = 0; i < KINDS; i++) {
		const struct kind_expect *k = &kexp[i];
		for (int s = 1; s < k->n; s++) {
			const rt_wf_label *l = rt_wfk_label(k->kind, k->states[s]);
			ck_assert_msg(l != NULL, "%s %s has no label", k->name, k->states[s]);
			ck_assert_ptr_nonnull(l->zh);
			ck_assert_ptr_nonnull(l->en);
			ck_assert_uint_gt(strlen(l->zh), 6);
			ck_assert_uint_gt(strlen(l->en), 6);
			ck_assert_int_eq((unsigned char)l->zh[0] & 0xF0, 0xE0);
			ck_assert((l->en[0] >= 'A' && l->en[0] <= 'Z') || (l->en[0] >= 'a' && l->en[0] <= 'z'));
			for (int t = 1; t < s; t++) {
				const rt_wf_label *o = rt_wfk_label(k->kind, k->states[t]);
				ck_assert_str_ne(o->zh, l->zh);
				ck_assert_str_ne(o->en, l->en);
			}
		}
		ck_assert_ptr_null(rt_wfk_label(k->kind, "none"));
		ck_assert_ptr_null(rt_wfk_label(k->kind, "unknown"));
		ck_assert_ptr_null(rt_wfk_label(k->kind, NULL));
		/* A refund instead says refund in both languages. */
		const rt_wf_label *r = rt_wfk_label(k->kind, "refunded_instead");
		ck_assert_ptr_nonnull(strstr(r->zh, "退款"));
		ck_assert_ptr_nonnull(strstr(r->en, "refund"));
	}
	ck_assert_ptr_nonnull(strstr(rt_wfk_label(RT_WF_EXCHANGE, "requested")->zh, "换货"));
	ck_assert_ptr_nonnull(strstr(rt_wfk_label(RT_WF_EXCHANGE, "approved")->zh, "寄回"));
	ck_assert_ptr_nonnull(strstr(rt_wfk_label(RT_WF_RESHIP, "requested")->zh, "补发"));
	ck_assert_ptr_null(rt_wfk_label(9, "requested"));
	/* The same state name reads differently per kind. */
	ck_assert_str_ne(rt_wfk_label(RT_WF_EXCHANGE, "closed")->zh, rt_wfk_label(RT_WF_RESHIP, "closed")->zh);
	ck_assert_str_ne(rt_wfk_label(RT_WF_EXCHANGE, "closed")->en, rt_wf_label_of(RT_WF_CLOSED)->en);
}
END_TEST

START_TEST(kind_steps_terminal)
{
	for (int i = 0; i < KINDS; i++) {
		const struct kind_expect *k = &kexp[i];
		ck_assert_int_eq(rt_wfk_steps(k->kind), k->steps);
		for (int s = 0; s < k->n; s++) {
			ck_assert_int_eq(rt_wfk_step(k->kind, k->states[s]), k->step[s]);
			ck_assert_int_le(rt_wfk_step(k->kind, k->states[s]), k->steps);
			ck_assert_int_eq(rt_wfk_is_terminal(k->kind, k->states[s]),
					 strcmp(k->states[s], "closed") == 0);
		}
		ck_assert_int_eq(rt_wfk_step(k->kind, "closed"), k->steps);
		ck_assert_int_eq(rt_wfk_step(k->kind, "unknown"), 0);
		ck_assert_int_eq(rt_wfk_step(k->kind, NULL), 0);
		ck_assert_int_eq(rt_wfk_is_terminal(k->kind, "unknown"), 0);
		ck_assert_int_eq(rt_wfk_is_terminal(k->kind, NULL), 0);
	}
	ck_assert_int_eq(rt_wfk_steps(RT_WF_RETURN), RT_WF_STEPS);
	ck_assert_int_eq(rt_wfk_steps(0), 0);
	ck_assert_int_eq(rt_wfk_steps(4), 0);
	ck_assert_int_eq(rt_wfk_step(4, "requested"), 0);
	ck_assert_int_eq(rt_wfk_is_terminal(4, "closed"), 0);
}
END_TEST

/* rt_wfk_next for every state, and the happy path walked with it: each
 * next step is allowed for the actor it names, the bar moves one step at a
 * time, and it ends at closed. */
START_TEST(kind_next)
{
	for (int i = 0; i < KINDS; i++) {
		const struct kind_expect *k = &kexp[i];
		for (int s = 0; s < k->n; s++) {
			int actor = -1;
			const char *next = rt_wfk_next(k->kind, k->states[s], &actor);
			if (!k->next[s]) {
				ck_assert_ptr_null(next);
				ck_assert_int_eq(actor, 0);
				continue;
			}
			ck_assert_msg(next && strcmp(next, k->next[s]) == 0, "%s next after %s: %s, want %s", k->name,
				      k->states[s], next ? next : "NULL", k->next[s]);
			ck_assert_int_eq(actor, letter_actor(k->next_by[s]));
			ck_assert_int_eq(rt_wfk_transition(k->kind, k->states[s], next, actor, NULL), PD_OK);
			ck_assert_ptr_eq(rt_wfk_next(k->kind, k->states[s], NULL), next);
		}
		const char *s = "none";
		int steps = 0, actor;
		while ((s = rt_wfk_next(k->kind, s, &actor)) != NULL) {
			steps++;
			ck_assert_int_eq(rt_wfk_step(k->kind, s), steps);
			ck_assert_int_le(steps, k->steps);
			if (rt_wfk_is_terminal(k->kind, s))
				break;
		}
		ck_assert_ptr_nonnull(s);
		ck_assert_str_eq(s, "closed");
		ck_assert_int_eq(steps, k->steps);
		int a = -1;
		ck_assert_ptr_null(rt_wfk_next(k->kind, "unknown", &a));
		ck_assert_int_eq(a, 0);
		ck_assert_ptr_null(rt_wfk_next(k->kind, NULL, &a));
	}
	int a = -1;
	ck_assert_ptr_null(rt_wfk_next(9, "none", &a));
	ck_assert_int_eq(a, 0);
}
END_TEST

/* The return kind through the by-name API is the integer API: the same
 * codes and texts for every pair and actor, the very same label objects,
 * steps and terminal states. */
START_TEST(return_kind_agrees)
{
	for (int i = 0; i < N; i++) {
		const char *name = rt_wf_state_name(i);
		ck_assert_str_eq(rt_wfk_state_at(RT_WF_RETURN, i), name);
		ck_assert_int_eq(rt_wfk_state_valid(RT_WF_RETURN, name), 1);
		ck_assert_ptr_eq(rt_wfk_label(RT_WF_RETURN, name), rt_wf_label_of(i));
		ck_assert_int_eq(rt_wfk_step(RT_WF_RETURN, name), rt_wf_step(i));
		ck_assert_int_eq(rt_wfk_is_terminal(RT_WF_RETURN, name), rt_wf_is_terminal(i));
		for (int j = 0; j < N; j++) {
			const char *to = rt_wf_state_name(j);
			ck_assert_uint_eq(rt_wfk_actors(RT_WF_RETURN, name, to), rt_wf_actors(i, j));
			for (int actor = -1; actor <= ACTORS; actor++) {
				pd_errbuf old = { "untouched" }, new = { "untouched" };
				int rc_old = rt_wf_transition(i, j, actor, &old);
				int rc_new = rt_wfk_transition(RT_WF_RETURN, name, to, actor, &new);
				ck_assert_int_eq(rc_new, rc_old);
				ck_assert_str_eq(new.msg, old.msg);
			}
		}
	}
	ck_assert_ptr_null(rt_wfk_state_at(RT_WF_RETURN, N));
	pd_errbuf eb;
	ck_assert_int_eq(rt_wfk_transition(RT_WF_RETURN, "requested", "refunded", RT_WF_ACTOR_AGENT, &eb), PD_ESTATE);
	ck_assert_str_eq(eb.msg, "unknown return step state \"refunded\"");
	/* Where a return goes next: the department's steps as the router opens
	 * tasks for them; the agent owns the steps it shares with the system. */
	static const struct {
		const char *from, *next;
		int actor;
	} next[] = {
		{ "none", "requested", RT_WF_ACTOR_AGENT },
		{ "requested", "approved", RT_WF_ACTOR_AGENT },
		{ "approved", "parcel_back", RT_WF_ACTOR_AGENT },
		{ "parcel_back", "warehouse_inspected", RT_WF_ACTOR_WAREHOUSE },
		{ "warehouse_inspected", "finance_refunded", RT_WF_ACTOR_FINANCE },
		{ "finance_refunded", "closed", RT_WF_ACTOR_AGENT },
		{ "closed", NULL, 0 },
		{ "rejected", "closed", RT_WF_ACTOR_AGENT },
	};
	ck_assert_int_eq(PD_ARRAY_LEN(next), N);
	for (size_t i = 0; i < PD_ARRAY_LEN(next); i++) {
		int actor = -1;
		const char *got = rt_wfk_next(RT_WF_RETURN, next[i].from, &actor);
		if (next[i].next)
			ck_assert_str_eq(got, next[i].next);
		else
			ck_assert_ptr_null(got);
		ck_assert_int_eq(actor, next[i].actor);
	}
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
	TCase *kt = tcase_create("kinds");
	tcase_add_loop_test(kt, kind_triple, 0, KINDS * KMAX * KMAX * ACTORS);
	tcase_add_test(kt, kind_names);
	tcase_add_test(kt, kind_states_listed);
	tcase_add_test(kt, kind_refusal_texts);
	tcase_add_test(kt, return_kind_agrees);
	suite_add_tcase(s, kt);
	TCase *kv = tcase_create("kinds_customer_view");
	tcase_add_test(kv, kind_labels_present);
	tcase_add_test(kv, kind_steps_terminal);
	tcase_add_test(kv, kind_next);
	suite_add_tcase(s, kv);
	return s;
}

PD_CHECK_MAIN(suite)
