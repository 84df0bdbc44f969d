/* Tests for SLA maths: the default targets, campaign overrides, deadline
 * and pause/resume arithmetic, breach exactly at the deadline, the
 * escalation chain frontline -> lead -> supervisor, one record per
 * (kind, level), timers, and every (state, event) pair of the clock
 * machine against a table written out here independently of sla.c. */
#include <stdint.h>
#include <string.h>

#include "../../services/router/sla.h"
#include "common.pb-c.h"
#include "pd_check.h"
#include "ticket.pb-c.h"

#define M (60LL * 1000)
#define H (60 * M)
#define T0 1731306600000LL

#define LOW PEAKDESK__V1__PRIORITY__PRIORITY_LOW
#define NORMAL PEAKDESK__V1__PRIORITY__PRIORITY_NORMAL
#define HIGH PEAKDESK__V1__PRIORITY__PRIORITY_HIGH
#define URGENT PEAKDESK__V1__PRIORITY__PRIORITY_URGENT
#define WEBHOOK PEAKDESK__V1__CHANNEL_KIND__CHANNEL_KIND_WEBHOOK
#define WECHAT PEAKDESK__V1__CHANNEL_KIND__CHANNEL_KIND_WECHAT
#define EMAIL PEAKDESK__V1__CHANNEL_KIND__CHANNEL_KIND_EMAIL
#define FIRST PEAKDESK__V1__SLA_KIND__SLA_KIND_FIRST_RESPONSE
#define NEXT PEAKDESK__V1__SLA_KIND__SLA_KIND_NEXT_RESPONSE
#define RESOLUTION PEAKDESK__V1__SLA_KIND__SLA_KIND_RESOLUTION

static int32_t target(const rt_sla_policy *p, int prio, int chan, int kind, int64_t at,
		      const char **campaign)
{
	int32_t m = -1;
	ck_assert_int_eq(rt_sla_target(p, prio, chan, kind, at, &m, campaign), PD_OK);
	return m;
}

static void apply(rt_sla_clock *c, int ev, int64_t at, int32_t target_min)
{
	pd_errbuf eb = { "" };
	ck_assert_msg(rt_sla_apply(c, ev, at, target_min, &eb) == PD_OK, "%s", eb.msg);
}

static rt_sla_clock started(int kind, int64_t at, int32_t target_min)
{
	rt_sla_clock c = rt_sla_clock_new(kind);
	apply(&c, RT_SLA_EV_START, at, target_min);
	return c;
}

START_TEST(default_targets)
{
	rt_sla_policy p = { 0 };
	ck_assert_int_eq(rt_sla_policy_check(&p, NULL), PD_OK);
	ck_assert_int_eq(rt_sla_table_check(rt_sla_default_table(), 0, NULL), PD_OK);
	/* The documented table, cell by cell: {first, next, resolution}. */
	static const int32_t chat[5][3] = { { 0 }, [LOW] = { 60, 120, 2880 },
					    [NORMAL] = { 30, 60, 1440 }, [HIGH] = { 15, 30, 720 },
					    [URGENT] = { 5, 10, 240 } };
	static const int32_t mail[5][3] = { { 0 }, [LOW] = { 480, 960, 4320 },
					    [NORMAL] = { 240, 480, 2880 }, [HIGH] = { 60, 120, 1440 },
					    [URGENT] = { 30, 60, 480 } };
	for (int pr = LOW; pr <= URGENT; pr++)
		for (int k = FIRST; k <= RESOLUTION; k++) {
			const char *camp = "x";
			ck_assert_int_eq(target(&p, pr, WEBHOOK, k, T0, &camp), chat[pr][k - 1]);
			ck_assert_ptr_null(camp);
			ck_assert_int_eq(target(&p, pr, WECHAT, k, T0, NULL), chat[pr][k - 1]);
			ck_assert_int_eq(target(&p, pr, EMAIL, k, T0, NULL), mail[pr][k - 1]);
		}
	/* Stricter priorities never get longer targets. */
	for (int chan = WEBHOOK; chan <= EMAIL; chan++)
		for (int k = FIRST; k <= RESOLUTION; k++)
			for (int pr = LOW; pr < URGENT; pr++)
				ck_assert_int_ge(target(&p, pr, chan, k, T0, NULL),
						 target(&p, pr + 1, chan, k, T0, NULL));
	/* Unspecified priority is normal; unspecified or unknown channel is chat. */
	ck_assert_int_eq(target(&p, 0, EMAIL, FIRST, T0, NULL), 240);
	ck_assert_int_eq(target(&p, NORMAL, 0, FIRST, T0, NULL), 30);
	ck_assert_int_eq(target(&p, NORMAL, 17, FIRST, T0, NULL), 30);
	int32_t m;
	ck_assert_int_eq(rt_sla_target(&p, 5, EMAIL, FIRST, T0, &m, NULL), PD_EINVAL);
	ck_assert_int_eq(rt_sla_target(&p, -1, EMAIL, FIRST, T0, &m, NULL), PD_EINVAL);
	ck_assert_int_eq(rt_sla_target(&p, NORMAL, EMAIL, 0, T0, &m, NULL), PD_EINVAL);
	ck_assert_int_eq(rt_sla_target(&p, NORMAL, EMAIL, 4, T0, &m, NULL), PD_EINVAL);
	ck_assert_int_eq(rt_sla_target(NULL, NORMAL, EMAIL, FIRST, T0, &m, NULL), PD_EINVAL);
	ck_assert_int_eq(rt_sla_target(&p, NORMAL, EMAIL, FIRST, T0, NULL, NULL), PD_EINVAL);
	ck_assert_str_eq(rt_sla_kind_name(FIRST), "first_response");
	ck_assert_str_eq(rt_sla_kind_name(NEXT), "next_response");
	ck_assert_str_eq(rt_sla_kind_name(RESOLUTION), "resolution");
}
END_TEST

START_TEST(campaign_override)
{
	const int64_t w0 = T0, w1 = T0 + 24 * H;
	/* Double 11: first responses on chat loosened (volume), email
	 * resolution tightened; everything else inherited (0). */
	rt_sla_table d11 = { 0 };
	d11.t[NORMAL][WEBHOOK].first_response_min = 60;
	d11.t[NORMAL][WECHAT].first_response_min = 60;
	d11.t[HIGH][EMAIL].resolution_min = 720;
	/* A flash sale inside it, tightening urgent chat. */
	rt_sla_table flash = { 0 };
	flash.t[URGENT][WEBHOOK].first_response_min = 3;
	flash.t[NORMAL][WEBHOOK].first_response_min = 45;
	rt_sla_override ov[] = {
		{ "d11", w0, w1, &d11 },
		{ "flash", w0 + 2 * H, w0 + 3 * H, &flash },
	};
	rt_sla_policy p = { .overrides = ov, .n_overrides = 2 };
	ck_assert_int_eq(rt_sla_policy_check(&p, NULL), PD_OK);
	const char *camp;
	/* Window is [start, end). */
	ck_assert_int_eq(target(&p, NORMAL, WEBHOOK, FIRST, w0 - 1, &camp), 30);
	ck_assert_ptr_null(camp);
	ck_assert_int_eq(target(&p, NORMAL, WEBHOOK, FIRST, w0, &camp), 60);
	ck_assert_str_eq(camp, "d11");
	ck_assert_int_eq(target(&p, NORMAL, WEBHOOK, FIRST, w1 - 1, &camp), 60);
	ck_assert_int_eq(target(&p, NORMAL, WEBHOOK, FIRST, w1, &camp), 30);
	ck_assert_ptr_null(camp);
	/* Inherited cells come from the base. */
	ck_assert_int_eq(target(&p, NORMAL, WEBHOOK, NEXT, w0, &camp), 60);
	ck_assert_ptr_null(camp);
	ck_assert_int_eq(target(&p, HIGH, EMAIL, RESOLUTION, w0 + H, &camp), 720);
	ck_assert_str_eq(camp, "d11");
	/* Overlap: the later-starting campaign wins where it sets the cell ... */
	ck_assert_int_eq(target(&p, NORMAL, WEBHOOK, FIRST, w0 + 2 * H, &camp), 45);
	ck_assert_str_eq(camp, "flash");
	ck_assert_int_eq(target(&p, URGENT, WEBHOOK, FIRST, w0 + 2 * H, &camp), 3);
	/* ... and falls through to the earlier one where it does not. */
	ck_assert_int_eq(target(&p, NORMAL, WECHAT, FIRST, w0 + 2 * H, &camp), 60);
	ck_assert_str_eq(camp, "d11");
	ck_assert_int_eq(target(&p, URGENT, WECHAT, FIRST, w0 + 2 * H, &camp), 5);
	ck_assert_ptr_null(camp);
	/* A custom base table. */
	rt_sla_table base = *rt_sla_default_table();
	base.t[NORMAL][EMAIL].first_response_min = 120;
	p.base = &base;
	ck_assert_int_eq(target(&p, NORMAL, EMAIL, FIRST, w0, NULL), 120);

	/* A deadline is fixed when the clock starts: it does not jump when the
	 * campaign ends while the ticket is open. */
	rt_sla_clock c = started(FIRST, w1 - M, target(&p, NORMAL, WEBHOOK, FIRST, w1 - M, NULL));
	ck_assert(rt_sla_deadline(&c, w1 + M) == w1 - M + 60 * M);

	/* Validation. */
	pd_errbuf eb;
	rt_sla_override bad_window[] = { { "oops", w1, w0, &d11 } };
	rt_sla_policy bw = { .overrides = bad_window, .n_overrides = 1 };
	ck_assert_int_eq(rt_sla_policy_check(&bw, &eb), PD_EINVAL);
	ck_assert_ptr_nonnull(strstr(eb.msg, "oops"));
	rt_sla_table neg = { 0 };
	neg.t[LOW][EMAIL].next_response_min = -5;
	rt_sla_override bad_cell[] = { { "neg", w0, w1, &neg } };
	rt_sla_policy bc = { .overrides = bad_cell, .n_overrides = 1 };
	ck_assert_int_eq(rt_sla_policy_check(&bc, &eb), PD_EINVAL);
	ck_assert_ptr_nonnull(strstr(eb.msg, "neg"));
	rt_sla_override no_table[] = { { "none", w0, w1, NULL } };
	rt_sla_policy nt = { .overrides = no_table, .n_overrides = 1 };
	ck_assert_int_eq(rt_sla_policy_check(&nt, &eb), PD_EINVAL);
	rt_sla_policy nothing = { .n_overrides = 1 };
	ck_assert_int_eq(rt_sla_policy_check(&nothing, &eb), PD_EINVAL);
	ck_assert_int_eq(rt_sla_policy_check(NULL, &eb), PD_EINVAL);
	/* A base table must set every cell; an override may leave cells at 0. */
	ck_assert_int_eq(rt_sla_table_check(&d11, 1, NULL), PD_OK);
	ck_assert_int_eq(rt_sla_table_check(&d11, 0, &eb), PD_EINVAL);
	rt_sla_table huge = *rt_sla_default_table();
	huge.t[LOW][EMAIL].resolution_min = RT_SLA_MAX_TARGET_MIN + 1;
	ck_assert_int_eq(rt_sla_table_check(&huge, 0, &eb), PD_EINVAL);
	ck_assert_ptr_nonnull(strstr(eb.msg, "resolution"));
}
END_TEST

START_TEST(deadline_and_pauses)
{
	rt_sla_clock c = started(RESOLUTION, T0, 30);
	ck_assert_int_eq(c.state, RT_SLA_RUNNING);
	ck_assert(rt_sla_deadline(&c, T0) == T0 + 30 * M);
	/* Waiting on the customer 10..25 min: the deadline moves by 15 min. */
	apply(&c, RT_SLA_EV_WAIT_CUSTOMER, T0 + 10 * M, 0);
	ck_assert_int_eq(c.state, RT_SLA_PAUSED_CUSTOMER);
	/* While paused the deadline is "if it resumed now". */
	ck_assert(rt_sla_deadline(&c, T0 + 20 * M) == T0 + 40 * M);
	apply(&c, RT_SLA_EV_RESUME, T0 + 25 * M, 0);
	ck_assert_int_eq(c.state, RT_SLA_RUNNING);
	ck_assert(c.paused_total_ms == 15 * M);
	ck_assert(rt_sla_deadline(&c, T0 + 26 * M) == T0 + 45 * M);
	/* Waiting on a department, then on the customer: one pause, 30..50. */
	apply(&c, RT_SLA_EV_WAIT_DEPARTMENT, T0 + 30 * M, 0);
	ck_assert_int_eq(c.state, RT_SLA_PAUSED_DEPARTMENT);
	apply(&c, RT_SLA_EV_WAIT_CUSTOMER, T0 + 35 * M, 0);
	ck_assert_int_eq(c.state, RT_SLA_PAUSED_CUSTOMER);
	ck_assert(c.paused_at_ms == T0 + 30 * M);
	/* A repeated wait is a no-op that keeps the pause start. */
	apply(&c, RT_SLA_EV_WAIT_CUSTOMER, T0 + 40 * M, 0);
	ck_assert(c.paused_at_ms == T0 + 30 * M);
	apply(&c, RT_SLA_EV_RESUME, T0 + 50 * M, 0);
	ck_assert(c.paused_total_ms == 35 * M);
	ck_assert(rt_sla_deadline(&c, T0 + 50 * M) == T0 + 65 * M);
	/* Resume while running and start while running are no-ops. */
	apply(&c, RT_SLA_EV_RESUME, T0 + 55 * M, 0);
	apply(&c, RT_SLA_EV_START, T0 + 56 * M, 5);
	ck_assert(c.started_at_ms == T0);
	ck_assert_int_eq(c.target_min, 30);
	ck_assert(rt_sla_deadline(&c, T0 + 56 * M) == T0 + 65 * M);
	/* Stop while paused closes the pause. */
	apply(&c, RT_SLA_EV_WAIT_CUSTOMER, T0 + 60 * M, 0);
	apply(&c, RT_SLA_EV_STOP, T0 + 64 * M, 0);
	ck_assert_int_eq(c.state, RT_SLA_STOPPED);
	ck_assert(c.paused_total_ms == 39 * M);
	ck_assert(c.stopped_at_ms == T0 + 64 * M);
	ck_assert(rt_sla_deadline(&c, T0 + 64 * M) == INT64_MAX);
	/* Stop again: no-op, keeps the first stop time. */
	apply(&c, RT_SLA_EV_STOP, T0 + 70 * M, 0);
	ck_assert(c.stopped_at_ms == T0 + 64 * M);
	/* A resume stamped before its pause (clock skew) adds nothing. */
	rt_sla_clock s = started(RESOLUTION, T0, 30);
	apply(&s, RT_SLA_EV_WAIT_CUSTOMER, T0 + 10 * M, 0);
	apply(&s, RT_SLA_EV_RESUME, T0 + 5 * M, 0);
	ck_assert(s.paused_total_ms == 0);
	ck_assert(rt_sla_deadline(&s, T0) == T0 + 30 * M);
	/* Idle: no deadline. */
	rt_sla_clock idle = rt_sla_clock_new(NEXT);
	ck_assert(rt_sla_deadline(&idle, T0) == INT64_MAX);
	ck_assert(rt_sla_deadline(NULL, T0) == INT64_MAX);
}
END_TEST

START_TEST(breach_exactly_at_deadline)
{
	rt_sla_clock c = started(FIRST, T0, 5);
	rt_sla_breach b[RT_SLA_MAX_BREACHES];
	ck_assert_uint_eq(rt_sla_check(&c, T0 + 5 * M - 1, b), 0);
	ck_assert_int_eq(c.state, RT_SLA_RUNNING);
	ck_assert_uint_eq(rt_sla_check(&c, T0 + 5 * M, b), 1);
	ck_assert_int_eq(c.state, RT_SLA_BREACHED);
	ck_assert_int_eq(b[0].kind, FIRST);
	ck_assert_int_eq(b[0].level, RT_TIER_FRONTLINE);
	ck_assert_int_eq(b[0].escalate_to, RT_TIER_LEAD);
	ck_assert(b[0].deadline_ms == T0 + 5 * M);
	ck_assert_int_eq(c.tier, RT_TIER_LEAD);
	/* The shown deadline stays the SLA deadline. */
	ck_assert(rt_sla_deadline(&c, T0 + 6 * M) == T0 + 5 * M);
	/* A reply after the deadline: check first (nothing new), then stop. */
	ck_assert_uint_eq(rt_sla_check(&c, T0 + 6 * M, b), 0);
	apply(&c, RT_SLA_EV_STOP, T0 + 6 * M, 0);
	ck_assert_int_eq(c.state, RT_SLA_STOPPED);
	/* A reply 1 ms before the deadline meets it. */
	rt_sla_clock ok = started(FIRST, T0, 5);
	ck_assert_uint_eq(rt_sla_check(&ok, T0 + 5 * M - 1, b), 0);
	apply(&ok, RT_SLA_EV_STOP, T0 + 5 * M - 1, 0);
	ck_assert_uint_eq(rt_sla_check(&ok, T0 + 100 * H, b), 0);
	ck_assert_int_eq(ok.breached_levels, 0);
	/* Paused time pushes the breach back exactly. */
	rt_sla_clock p = started(RESOLUTION, T0, 60);
	apply(&p, RT_SLA_EV_WAIT_DEPARTMENT, T0 + 10 * M, 0);
	ck_assert_uint_eq(rt_sla_check(&p, T0 + 10 * H, b), 0); /* no breach while paused */
	ck_assert(rt_sla_next_breach(&p, 1, NULL) == INT64_MAX);
	apply(&p, RT_SLA_EV_RESUME, T0 + 10 * H, 0);
	int64_t due = T0 + 60 * M + 10 * H - 10 * M;
	ck_assert(rt_sla_next_breach(&p, 1, NULL) == due);
	ck_assert_uint_eq(rt_sla_check(&p, due - 1, b), 0);
	ck_assert_uint_eq(rt_sla_check(&p, due, b), 1);
	ck_assert(b[0].deadline_ms == due);
}
END_TEST

START_TEST(escalation_chain)
{
	ck_assert_int_eq(rt_sla_escalate(RT_TIER_FRONTLINE), RT_TIER_LEAD);
	ck_assert_int_eq(rt_sla_escalate(RT_TIER_LEAD), RT_TIER_SUPERVISOR);
	ck_assert_int_eq(rt_sla_escalate(RT_TIER_SUPERVISOR), RT_TIER_SUPERVISOR);
	ck_assert_int_eq(rt_sla_escalate(0), RT_TIER_LEAD);
	ck_assert_int_eq(rt_sla_escalate(99), RT_TIER_LEAD);

	/* Each tier gets one full target after the previous deadline. */
	rt_sla_clock c = started(FIRST, T0, 10);
	rt_sla_breach b[RT_SLA_MAX_BREACHES];
	static const struct {
		int64_t at;
		int level, to;
	} chain[] = {
		{ T0 + 10 * M, RT_TIER_FRONTLINE, RT_TIER_LEAD },
		{ T0 + 20 * M, RT_TIER_LEAD, RT_TIER_SUPERVISOR },
		{ T0 + 30 * M, RT_TIER_SUPERVISOR, RT_TIER_SUPERVISOR },
	};
	for (size_t i = 0; i < PD_ARRAY_LEN(chain); i++) {
		ck_assert(rt_sla_next_breach(&c, 1, NULL) == chain[i].at);
		ck_assert_uint_eq(rt_sla_check(&c, chain[i].at - 1, b), 0);
		ck_assert_uint_eq(rt_sla_check(&c, chain[i].at, b), 1);
		ck_assert_int_eq(b[0].level, chain[i].level);
		ck_assert_int_eq(b[0].escalate_to, chain[i].to);
		ck_assert(b[0].deadline_ms == chain[i].at);
		ck_assert_int_eq(c.state, RT_SLA_BREACHED);
	}
	/* Supervisor stays; nothing more to record, no more timers. */
	ck_assert_int_eq(c.tier, RT_TIER_SUPERVISOR);
	ck_assert(rt_sla_next_breach(&c, 1, NULL) == INT64_MAX);
	ck_assert_uint_eq(rt_sla_check(&c, T0 + 1000 * H, b), 0);

	/* A late timer catches up all levels at once, each with its deadline. */
	rt_sla_clock late = started(FIRST, T0, 10);
	ck_assert_uint_eq(rt_sla_check(&late, T0 + 35 * M, b), 3);
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(b[i].level, RT_TIER_FRONTLINE + i);
		ck_assert(b[i].deadline_ms == T0 + (10 + 10 * i) * M);
	}
	/* Pausing after a breach and resuming keeps it breached, and the next
	 * level's deadline moves by the pause. */
	rt_sla_clock pb = started(RESOLUTION, T0, 10);
	ck_assert_uint_eq(rt_sla_check(&pb, T0 + 10 * M, b), 1);
	apply(&pb, RT_SLA_EV_WAIT_CUSTOMER, T0 + 12 * M, 0);
	apply(&pb, RT_SLA_EV_RESUME, T0 + 17 * M, 0);
	ck_assert_int_eq(pb.state, RT_SLA_BREACHED);
	ck_assert(rt_sla_next_breach(&pb, 1, NULL) == T0 + 25 * M);
	/* A clock that starts with a lead already accountable breaches at lead. */
	rt_sla_clock lead = rt_sla_clock_new(FIRST);
	lead.tier = RT_TIER_LEAD;
	apply(&lead, RT_SLA_EV_START, T0, 10);
	ck_assert_uint_eq(rt_sla_check(&lead, T0 + 10 * M, b), 1);
	ck_assert_int_eq(b[0].level, RT_TIER_LEAD);
	ck_assert_int_eq(b[0].escalate_to, RT_TIER_SUPERVISOR);
}
END_TEST

/* Over a ticket's life with many next-response cycles, (kind, level) is
 * recorded at most once: the idempotency key never repeats. */
START_TEST(once_per_level)
{
	rt_sla_clock c = started(NEXT, T0, 10);
	rt_sla_breach b[RT_SLA_MAX_BREACHES];
	unsigned seen = 0;
	size_t total = 0;
	int64_t t = T0;
	/* Repeated checks at the same instant record nothing new. */
	ck_assert_uint_eq(rt_sla_check(&c, T0 + 10 * M, b), 1);
	seen |= 1u << b[0].level;
	total++;
	ck_assert_uint_eq(rt_sla_check(&c, T0 + 10 * M, b), 0);
	ck_assert_uint_eq(rt_sla_check(&c, T0 + 10 * M, b), 0);
	/* The agent replies; cycle 2 starts at the tier reached (lead). */
	apply(&c, RT_SLA_EV_STOP, T0 + 11 * M, 0);
	ck_assert_int_eq(c.tier, RT_TIER_LEAD);
	for (int cycle = 0; cycle < 6; cycle++) {
		t = T0 + (cycle + 1) * H;
		apply(&c, RT_SLA_EV_START, t, 10);
		ck_assert_int_eq(c.state, RT_SLA_RUNNING);
		ck_assert_int_eq(c.cycle_breaches, 0);
		size_t n = rt_sla_check(&c, t + 10 * M, b);
		for (size_t i = 0; i < n; i++) {
			ck_assert_msg(!(seen & (1u << b[i].level)), "level %d recorded twice", b[i].level);
			seen |= 1u << b[i].level;
			ck_assert_int_eq(b[i].kind, NEXT);
		}
		total += n;
		/* Even when nothing is recorded, a late clock shows as breached. */
		ck_assert_int_eq(c.state, RT_SLA_BREACHED);
		apply(&c, RT_SLA_EV_STOP, t + 15 * M, 0);
	}
	ck_assert_uint_eq(total, 3);
	ck_assert_uint_eq(seen, (1u << RT_TIER_FRONTLINE) | (1u << RT_TIER_LEAD) |
					(1u << RT_TIER_SUPERVISOR));
	/* An exhausted clock still gets one timer: running -> breached. */
	apply(&c, RT_SLA_EV_START, t + H, 10);
	ck_assert(rt_sla_next_breach(&c, 1, NULL) == t + H + 10 * M);
	ck_assert_uint_eq(rt_sla_check(&c, t + H + 10 * M, b), 0);
	ck_assert(rt_sla_next_breach(&c, 1, NULL) == INT64_MAX);
}
END_TEST

START_TEST(apply_rules)
{
	pd_errbuf eb;
	/* First response is measured once. */
	rt_sla_clock f = started(FIRST, T0, 5);
	apply(&f, RT_SLA_EV_STOP, T0 + M, 0);
	rt_sla_clock before = f;
	ck_assert_int_eq(rt_sla_apply(&f, RT_SLA_EV_START, T0 + H, 5, &eb), PD_ESTATE);
	ck_assert_ptr_nonnull(strstr(eb.msg, "first_response"));
	ck_assert_int_eq(memcmp(&f, &before, sizeof(f)), 0);
	/* Next response and resolution may run again (new cycle). */
	rt_sla_clock r = started(RESOLUTION, T0, 60);
	apply(&r, RT_SLA_EV_WAIT_CUSTOMER, T0 + M, 0);
	apply(&r, RT_SLA_EV_STOP, T0 + 2 * M, 0);
	apply(&r, RT_SLA_EV_START, T0 + H, 120);
	ck_assert(r.started_at_ms == T0 + H);
	ck_assert_int_eq(r.target_min, 120);
	ck_assert(r.paused_total_ms == 0);
	/* Targets are checked on a start that begins a cycle. */
	rt_sla_clock t = rt_sla_clock_new(NEXT);
	ck_assert_int_eq(rt_sla_apply(&t, RT_SLA_EV_START, T0, 0, &eb), PD_EINVAL);
	ck_assert_int_eq(rt_sla_apply(&t, RT_SLA_EV_START, T0, RT_SLA_MAX_TARGET_MIN + 1, &eb),
			 PD_EINVAL);
	ck_assert_int_eq(t.state, RT_SLA_IDLE);
	/* Breaches only come from rt_sla_check. */
	rt_sla_clock b = started(NEXT, T0, 5);
	ck_assert_int_eq(rt_sla_apply(&b, RT_SLA_EV_BREACH, T0, 0, &eb), PD_EINVAL);
	ck_assert_int_eq(b.state, RT_SLA_RUNNING);
	/* Impossible transitions leave the clock as it was. */
	rt_sla_clock idle = rt_sla_clock_new(NEXT);
	ck_assert_int_eq(rt_sla_apply(&idle, RT_SLA_EV_WAIT_CUSTOMER, T0, 0, &eb), PD_ESTATE);
	ck_assert_str_eq(eb.msg, "impossible sla transition idle --wait_customer");
	ck_assert_int_eq(idle.state, RT_SLA_IDLE);
	ck_assert_int_eq(rt_sla_apply(NULL, RT_SLA_EV_START, T0, 5, &eb), PD_EINVAL);
	/* Resolving a ticket may stop an idle clock. */
	apply(&idle, RT_SLA_EV_STOP, T0, 0);
	ck_assert_int_eq(idle.state, RT_SLA_STOPPED);
}
END_TEST

START_TEST(timers_over_clocks)
{
	rt_sla_clock c[4] = {
		started(FIRST, T0, 30),
		started(RESOLUTION, T0, 5),
		rt_sla_clock_new(NEXT),
		started(NEXT, T0, 2),
	};
	apply(&c[3], RT_SLA_EV_WAIT_CUSTOMER, T0 + M, 0);
	size_t which = 99;
	ck_assert(rt_sla_next_breach(c, 4, &which) == T0 + 5 * M);
	ck_assert_uint_eq(which, 1);
	apply(&c[1], RT_SLA_EV_STOP, T0 + M, 0);
	ck_assert(rt_sla_next_breach(c, 4, &which) == T0 + 30 * M);
	ck_assert_uint_eq(which, 0);
	apply(&c[0], RT_SLA_EV_STOP, T0 + M, 0);
	which = 99;
	ck_assert(rt_sla_next_breach(c, 4, &which) == INT64_MAX);
	ck_assert_uint_eq(which, 99);
	ck_assert(rt_sla_next_breach(NULL, 4, &which) == INT64_MAX);
	ck_assert(rt_sla_next_breach(c, 0, NULL) == INT64_MAX);
	ck_assert_uint_eq(rt_sla_check(NULL, T0, NULL), 0);
}
END_TEST

START_TEST(overflow)
{
	rt_sla_clock c = started(RESOLUTION, INT64_MAX - M, RT_SLA_MAX_TARGET_MIN);
	rt_sla_breach b[RT_SLA_MAX_BREACHES];
	ck_assert(rt_sla_deadline(&c, INT64_MAX) == INT64_MAX);
	ck_assert(rt_sla_next_breach(&c, 1, NULL) == INT64_MAX);
	ck_assert_uint_eq(rt_sla_check(&c, INT64_MAX, b), 0);
	apply(&c, RT_SLA_EV_WAIT_CUSTOMER, INT64_MIN, 0);
	apply(&c, RT_SLA_EV_RESUME, INT64_MAX, 0);
	ck_assert(rt_sla_deadline(&c, 0) == INT64_MAX);
	/* A start at time 0 or negative still yields ordered deadlines. */
	rt_sla_clock z = started(FIRST, INT64_MIN, 5);
	ck_assert(rt_sla_next_breach(&z, 1, NULL) == INT64_MIN + 5 * M);
}
END_TEST

/* Rows: from state (idle running paused_customer paused_department breached
 * stopped); columns: event (none start wait_customer wait_department resume
 * stop breach). Letters name the target state: I R C D B S; '.' impossible. */
static const char *const expect[RT_SLA_STATE_COUNT] = {
	/*                 - s c d r x b */
	/* idle       */ ".R...S.",
	/* running    */ ".RCDRSB",
	/* paused_c   */ "..CDRS.",
	/* paused_d   */ "..CDRS.",
	/* breached   */ ".BCDBSB",
	/* stopped    */ ".R...S.",
};

static int letter_state(char l)
{
	switch (l) {
	case 'I': return RT_SLA_IDLE;
	case 'R': return RT_SLA_RUNNING;
	case 'C': return RT_SLA_PAUSED_CUSTOMER;
	case 'D': return RT_SLA_PAUSED_DEPARTMENT;
	case 'B': return RT_SLA_BREACHED;
	case 'S': return RT_SLA_STOPPED;
	default: return -1;
	}
}

START_TEST(transition_pair)
{
	int from = _i / RT_SLA_EVENT_COUNT, ev = _i % RT_SLA_EVENT_COUNT;
	int want = letter_state(expect[from][ev]);
	int to = -7;
	pd_errbuf eb = { "untouched" };
	int rc = rt_sla_transition(from, ev, &to, &eb);
	if (want < 0) {
		ck_assert_msg(rc == PD_ESTATE, "%s --%s allowed", rt_sla_state_name(from),
			      rt_sla_event_name(ev));
		ck_assert_int_eq(to, -7);
		if (ev != 0) {
			ck_assert_ptr_nonnull(strstr(eb.msg, "impossible sla transition"));
			ck_assert_ptr_nonnull(strstr(eb.msg, rt_sla_state_name(from)));
			ck_assert_ptr_nonnull(strstr(eb.msg, rt_sla_event_name(ev)));
		}
	} else {
		ck_assert_msg(rc == PD_OK, "%s --%s: %s", rt_sla_state_name(from), rt_sla_event_name(ev),
			      eb.msg);
		ck_assert_int_eq(to, want);
		ck_assert_int_eq(rt_sla_transition(from, ev, NULL, NULL), PD_OK);
	}
}
END_TEST

/* The clock obeys the table for every (state, event): build a clock in each
 * state, apply each event (other than breach), and compare. */
START_TEST(apply_follows_table)
{
	int from = _i / RT_SLA_EVENT_COUNT, ev = _i % RT_SLA_EVENT_COUNT;
	if (ev == RT_SLA_EV_BREACH || ev == 0)
		return;
	rt_sla_clock c = rt_sla_clock_new(RESOLUTION);
	rt_sla_breach b[RT_SLA_MAX_BREACHES];
	switch (from) {
	case RT_SLA_IDLE: break;
	case RT_SLA_RUNNING: apply(&c, RT_SLA_EV_START, T0, 10); break;
	case RT_SLA_PAUSED_CUSTOMER:
		apply(&c, RT_SLA_EV_START, T0, 10);
		apply(&c, RT_SLA_EV_WAIT_CUSTOMER, T0, 0);
		break;
	case RT_SLA_PAUSED_DEPARTMENT:
		apply(&c, RT_SLA_EV_START, T0, 10);
		apply(&c, RT_SLA_EV_WAIT_DEPARTMENT, T0, 0);
		break;
	case RT_SLA_BREACHED:
		apply(&c, RT_SLA_EV_START, T0, 10);
		ck_assert_uint_eq(rt_sla_check(&c, T0 + 10 * M, b), 1);
		break;
	case RT_SLA_STOPPED:
		apply(&c, RT_SLA_EV_START, T0, 10);
		apply(&c, RT_SLA_EV_STOP, T0, 0);
		break;
	}
	ck_assert_int_eq(c.state, from);
	int want = letter_state(expect[from][ev]);
	int rc = rt_sla_apply(&c, ev, T0 + 11 * M, 10, NULL);
	if (want < 0) {
		ck_assert_int_eq(rc, PD_ESTATE);
		ck_assert_int_eq(c.state, from);
	} else {
		ck_assert_int_eq(rc, PD_OK);
		ck_assert_int_eq(c.state, want);
	}
}
END_TEST

START_TEST(names_and_out_of_range)
{
	static const char *const states[] = { "idle", "running", "paused_customer",
					      "paused_department", "breached", "stopped" };
	static const char *const events[] = { "unknown", "start", "wait_customer", "wait_department",
					      "resume", "stop", "breach" };
	for (int s = 0; s < RT_SLA_STATE_COUNT; s++)
		ck_assert_str_eq(rt_sla_state_name(s), states[s]);
	for (int e = 0; e < RT_SLA_EVENT_COUNT; e++)
		ck_assert_str_eq(rt_sla_event_name(e), events[e]);
	ck_assert_str_eq(rt_sla_state_name(-1), "unknown");
	ck_assert_str_eq(rt_sla_state_name(6), "unknown");
	ck_assert_str_eq(rt_sla_event_name(7), "unknown");
	pd_errbuf eb;
	ck_assert_int_eq(rt_sla_transition(6, RT_SLA_EV_START, NULL, &eb), PD_ESTATE);
	ck_assert_str_eq(eb.msg, "unknown sla state 6");
	ck_assert_int_eq(rt_sla_transition(-1, RT_SLA_EV_START, NULL, &eb), PD_ESTATE);
	ck_assert_int_eq(rt_sla_transition(RT_SLA_RUNNING, 0, NULL, &eb), PD_ESTATE);
	ck_assert_str_eq(eb.msg, "unknown sla event 0");
	ck_assert_int_eq(rt_sla_transition(RT_SLA_RUNNING, 7, NULL, &eb), PD_ESTATE);
	/* Tiers. */
	ck_assert_str_eq(rt_tier_name(RT_TIER_FRONTLINE), "frontline");
	ck_assert_str_eq(rt_tier_name(RT_TIER_LEAD), "lead");
	ck_assert_str_eq(rt_tier_name(RT_TIER_SUPERVISOR), "supervisor");
	ck_assert_str_eq(rt_tier_name(0), "unspecified");
	ck_assert_str_eq(rt_tier_name(4), "unknown");
	ck_assert_int_eq(rt_tier_parse("frontline"), RT_TIER_FRONTLINE);
	ck_assert_int_eq(rt_tier_parse("LEAD"), RT_TIER_LEAD);
	ck_assert_int_eq(rt_tier_parse("supervisor"), RT_TIER_SUPERVISOR);
	ck_assert_int_eq(rt_tier_parse("unspecified"), -1);
	ck_assert_int_eq(rt_tier_parse("boss"), -1);
	ck_assert_int_eq(rt_tier_parse(NULL), -1);
	/* Tables are indexed by the proto enums: pin them. */
	ck_assert_int_eq(URGENT, RT_SLA_PRIORITIES - 1);
	ck_assert_int_eq(EMAIL, RT_SLA_CHANNELS - 1);
	ck_assert_int_eq(FIRST, 1);
	ck_assert_int_eq(RESOLUTION, 3);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("sla");
	TCase *tg = tcase_create("targets");
	tcase_add_test(tg, default_targets);
	tcase_add_test(tg, campaign_override);
	suite_add_tcase(s, tg);
	TCase *ck = tcase_create("clocks");
	tcase_add_test(ck, deadline_and_pauses);
	tcase_add_test(ck, breach_exactly_at_deadline);
	tcase_add_test(ck, escalation_chain);
	tcase_add_test(ck, once_per_level);
	tcase_add_test(ck, apply_rules);
	tcase_add_test(ck, timers_over_clocks);
	tcase_add_test(ck, overflow);
	suite_add_tcase(s, ck);
	TCase *tt = tcase_create("transitions");
	tcase_add_loop_test(tt, transition_pair, 0, RT_SLA_STATE_COUNT * RT_SLA_EVENT_COUNT);
	tcase_add_loop_test(tt, apply_follows_table, 0, RT_SLA_STATE_COUNT * RT_SLA_EVENT_COUNT);
	tcase_add_test(tt, names_and_out_of_range);
	suite_add_tcase(s, tt);
	return s;
}

PD_CHECK_MAIN(suite)
