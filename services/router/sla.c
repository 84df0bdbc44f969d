/* SLA maths: the default target table, campaign overrides, the clock
 * transition table and the breach/escalation arithmetic. The rules are in
 * sla.h; this file keeps the table readable and the arithmetic saturating,
 * because a corrupt timestamp must not wrap a deadline into the past (which
 * would breach every ticket at once). */
#include "sla.h"

#include <string.h>
#include <strings.h>

#include "common.pb-c.h"
#include "ticket.pb-c.h"

enum {
	P_LOW = PEAKDESK__V1__PRIORITY__PRIORITY_LOW,
	P_NORMAL = PEAKDESK__V1__PRIORITY__PRIORITY_NORMAL,
	P_HIGH = PEAKDESK__V1__PRIORITY__PRIORITY_HIGH,
	P_URGENT = PEAKDESK__V1__PRIORITY__PRIORITY_URGENT,
	C_WEBHOOK = PEAKDESK__V1__CHANNEL_KIND__CHANNEL_KIND_WEBHOOK,
	C_WECHAT = PEAKDESK__V1__CHANNEL_KIND__CHANNEL_KIND_WECHAT,
	C_EMAIL = PEAKDESK__V1__CHANNEL_KIND__CHANNEL_KIND_EMAIL,
	K_FIRST = PEAKDESK__V1__SLA_KIND__SLA_KIND_FIRST_RESPONSE,
	K_NEXT = PEAKDESK__V1__SLA_KIND__SLA_KIND_NEXT_RESPONSE,
	K_RESOLUTION = PEAKDESK__V1__SLA_KIND__SLA_KIND_RESOLUTION,
};
_Static_assert(P_URGENT == RT_SLA_PRIORITIES - 1, "priority enum and table size disagree");
_Static_assert(C_EMAIL == RT_SLA_CHANNELS - 1, "channel enum and table size disagree");

/* ---- tiers ------------------------------------------------------------- */

static const char *const tier_names[RT_TIER_COUNT] = {
	[RT_TIER_UNSPECIFIED] = "unspecified",
	[RT_TIER_FRONTLINE] = "frontline",
	[RT_TIER_LEAD] = "lead",
	[RT_TIER_SUPERVISOR] = "supervisor",
};

const char *rt_tier_name(int tier)
{
	return tier >= 0 && tier < RT_TIER_COUNT ? tier_names[tier] : "unknown";
}

int rt_tier_parse(const char *name)
{
	if (!name)
		return -1;
	for (int t = RT_TIER_FRONTLINE; t < RT_TIER_COUNT; t++)
		if (strcasecmp(name, tier_names[t]) == 0)
			return t;
	return -1;
}

static int norm_tier(int tier)
{
	return tier >= RT_TIER_FRONTLINE && tier <= RT_TIER_SUPERVISOR ? tier : RT_TIER_FRONTLINE;
}

int rt_sla_escalate(int tier)
{
	tier = norm_tier(tier);
	/* Nobody is above a supervisor: a supervisor's breach is recorded
	 * and reported, and the ticket stays with supervisors. */
	return tier == RT_TIER_SUPERVISOR ? RT_TIER_SUPERVISOR : tier + 1;
}

/* ---- targets ----------------------------------------------------------- */

/* Chat customers (web chat, app, WeChat) expect an answer while they are
 * still in the conversation; e-mail customers expect one the same half-day.
 * Chat first responses are 5/15/30/60 min by priority; e-mail ones 30 min
 * to 8 h. Next response is twice the first response: the customer is
 * already talking to someone. Resolution is measured in hours to days
 * because most promotion tickets wait on a parcel or a refund. */
#define CHAT(f, n, r) { (f), (n), (r) }
static const rt_sla_table default_table = { .t = {
	[P_URGENT] = { [C_WEBHOOK] = CHAT(5, 10, 4 * 60), [C_WECHAT] = CHAT(5, 10, 4 * 60),
		       [C_EMAIL] = { 30, 60, 8 * 60 } },
	[P_HIGH] = { [C_WEBHOOK] = CHAT(15, 30, 12 * 60), [C_WECHAT] = CHAT(15, 30, 12 * 60),
		     [C_EMAIL] = { 60, 120, 24 * 60 } },
	[P_NORMAL] = { [C_WEBHOOK] = CHAT(30, 60, 24 * 60), [C_WECHAT] = CHAT(30, 60, 24 * 60),
		       [C_EMAIL] = { 240, 480, 48 * 60 } },
	[P_LOW] = { [C_WEBHOOK] = CHAT(60, 120, 48 * 60), [C_WECHAT] = CHAT(60, 120, 48 * 60),
		    [C_EMAIL] = { 480, 960, 72 * 60 } },
} };
#undef CHAT

const rt_sla_table *rt_sla_default_table(void)
{
	return &default_table;
}

static int32_t cell(const rt_sla_table *t, int priority, int channel, int kind)
{
	const rt_sla_targets *c = &t->t[priority][channel];
	switch (kind) {
	case K_FIRST: return c->first_response_min;
	case K_NEXT: return c->next_response_min;
	case K_RESOLUTION: return c->resolution_min;
	default: return 0;
	}
}

const char *rt_sla_kind_name(int kind)
{
	switch (kind) {
	case 0: return "unspecified";
	case K_FIRST: return "first_response";
	case K_NEXT: return "next_response";
	case K_RESOLUTION: return "resolution";
	default: return "unknown";
	}
}

int rt_sla_table_check(const rt_sla_table *t, int is_override, pd_errbuf *eb)
{
	if (!t)
		return pd_fail(eb, PD_EINVAL, "sla table missing");
	for (int p = P_LOW; p <= P_URGENT; p++)
		for (int c = C_WEBHOOK; c <= C_EMAIL; c++)
			for (int k = K_FIRST; k <= K_RESOLUTION; k++) {
				int32_t m = cell(t, p, c, k);
				int min = is_override ? 0 : 1;
				if (m < min || m > RT_SLA_MAX_TARGET_MIN)
					return pd_fail(eb, PD_EINVAL,
						       "sla target priority %d channel %d %s = %d min: "
						       "must be %d..%d",
						       p, c, rt_sla_kind_name(k), (int)m, min,
						       RT_SLA_MAX_TARGET_MIN);
			}
	return PD_OK;
}

int rt_sla_policy_check(const rt_sla_policy *p, pd_errbuf *eb)
{
	if (!p)
		return pd_fail(eb, PD_EINVAL, "sla policy missing");
	int rc = rt_sla_table_check(p->base ? p->base : &default_table, 0, eb);
	if (rc != PD_OK)
		return rc;
	if (p->n_overrides > 0 && !p->overrides)
		return pd_fail(eb, PD_EINVAL, "%zu overrides but no array", p->n_overrides);
	for (size_t i = 0; i < p->n_overrides; i++) {
		const rt_sla_override *o = &p->overrides[i];
		const char *id = o->campaign_id ? o->campaign_id : "";
		if (o->starts_at_ms >= o->ends_at_ms)
			return pd_fail(eb, PD_EINVAL, "campaign %s: sla window must start before it ends",
				       id);
		pd_errbuf inner;
		if (rt_sla_table_check(o->table, 1, &inner) != PD_OK)
			return pd_fail(eb, PD_EINVAL, "campaign %s: %s", id, inner.msg);
	}
	return PD_OK;
}

int rt_sla_target(const rt_sla_policy *p, int priority, int channel, int kind, int64_t at_ms,
		  int32_t *minutes, const char **campaign_id)
{
	if (campaign_id)
		*campaign_id = NULL;
	if (!p || !minutes || priority < 0 || priority > P_URGENT || kind < K_FIRST ||
	    kind > K_RESOLUTION)
		return PD_EINVAL;
	if (priority == 0)
		priority = P_NORMAL;
	if (channel < C_WEBHOOK || channel > C_EMAIL)
		channel = C_WEBHOOK;

	/* Overrides layer over the base cell by cell: the latest-starting
	 * active campaign that sets this cell wins. */
	const rt_sla_override *best = NULL;
	for (size_t i = 0; i < p->n_overrides && p->overrides; i++) {
		const rt_sla_override *o = &p->overrides[i];
		if (!o->table || at_ms < o->starts_at_ms || at_ms >= o->ends_at_ms)
			continue;
		if (cell(o->table, priority, channel, kind) <= 0)
			continue;
		if (!best || o->starts_at_ms > best->starts_at_ms)
			best = o;
	}
	if (best) {
		*minutes = cell(best->table, priority, channel, kind);
		if (campaign_id)
			*campaign_id = best->campaign_id;
	} else {
		*minutes = cell(p->base ? p->base : &default_table, priority, channel, kind);
	}
	return PD_OK;
}

/* ---- the clock state machine ------------------------------------------ */

enum { IDLE = RT_SLA_IDLE, RUN = RT_SLA_RUNNING, PC = RT_SLA_PAUSED_CUSTOMER,
       PD_ = RT_SLA_PAUSED_DEPARTMENT, BR = RT_SLA_BREACHED, ST = RT_SLA_STOPPED, NO = -1 };

/* next_state[from][event]; NO = impossible. Why each row:
 * - idle: only a start begins measuring; a stop (ticket resolved before the
 *   clock ever ran, e.g. the next-response clock) just closes it. Pausing or
 *   breaching something that never ran is a bug in the caller.
 * - running: start again is a no-op (the customer wrote twice: they have
 *   waited since the first message); resume is a no-op; a deadline passing
 *   makes it breached.
 * - paused_*: switching who we wait on keeps the pause going; a start is
 *   refused (the shell must resume, so the pause is accounted); no breach
 *   while paused, because paused time does not count.
 * - breached: behaves like running (it still counts towards the next
 *   escalation level), a further deadline keeps it breached.
 * - stopped: a start begins a new cycle (next response after the customer
 *   writes again, resolution after a reopen); stopping again is a no-op. */
static const signed char next_state[RT_SLA_STATE_COUNT][RT_SLA_EVENT_COUNT] = {
	/*          -   START  WAIT_C  WAIT_D  RESUME  STOP  BREACH */
	[IDLE] = { NO, RUN, NO, NO, NO, ST, NO },
	[RUN] = { NO, RUN, PC, PD_, RUN, ST, BR },
	[PC] = { NO, NO, PC, PD_, RUN, ST, NO },
	[PD_] = { NO, NO, PC, PD_, RUN, ST, NO },
	[BR] = { NO, BR, PC, PD_, BR, ST, BR },
	[ST] = { NO, RUN, NO, NO, NO, ST, NO },
};

static const char *const state_names[RT_SLA_STATE_COUNT] = {
	[IDLE] = "idle", [RUN] = "running", [PC] = "paused_customer",
	[PD_] = "paused_department", [BR] = "breached", [ST] = "stopped",
};

static const char *const event_names[RT_SLA_EVENT_COUNT] = {
	[0] = "none",
	[RT_SLA_EV_START] = "start",
	[RT_SLA_EV_WAIT_CUSTOMER] = "wait_customer",
	[RT_SLA_EV_WAIT_DEPARTMENT] = "wait_department",
	[RT_SLA_EV_RESUME] = "resume",
	[RT_SLA_EV_STOP] = "stop",
	[RT_SLA_EV_BREACH] = "breach",
};

const char *rt_sla_state_name(int state)
{
	return state >= 0 && state < RT_SLA_STATE_COUNT ? state_names[state] : "unknown";
}

const char *rt_sla_event_name(int event)
{
	return event >= 1 && event < RT_SLA_EVENT_COUNT ? event_names[event] : "unknown";
}

int rt_sla_transition(int from, int event, int *to, pd_errbuf *eb)
{
	if (from < 0 || from >= RT_SLA_STATE_COUNT)
		return pd_fail(eb, PD_ESTATE, "unknown sla state %d", from);
	if (event < 1 || event >= RT_SLA_EVENT_COUNT)
		return pd_fail(eb, PD_ESTATE, "unknown sla event %d", event);
	int next = next_state[from][event];
	if (next == NO)
		return pd_fail(eb, PD_ESTATE, "impossible sla transition %s --%s", state_names[from],
			       event_names[event]);
	if (to)
		*to = next;
	return PD_OK;
}

/* ---- arithmetic -------------------------------------------------------- */

static int64_t sat_add(int64_t a, int64_t b)
{
	int64_t r;
	return __builtin_add_overflow(a, b, &r) ? (b > 0 ? INT64_MAX : INT64_MIN) : r;
}

/* b - a for a pause, never negative: a clock-skewed event that ends a
 * pause before it began adds nothing rather than shortening the deadline. */
static int64_t elapsed(int64_t a, int64_t b)
{
	int64_t r;
	if (__builtin_sub_overflow(b, a, &r))
		return b > a ? INT64_MAX : 0;
	return r > 0 ? r : 0;
}

/* Deadline of escalation step k of the cycle (k = 0: the SLA deadline). */
static int64_t step_deadline(const rt_sla_clock *c, int32_t k, int64_t paused)
{
	int64_t target_ms = (int64_t)c->target_min * 60000;
	int64_t d = sat_add(c->started_at_ms, paused);
	for (int32_t i = 0; i <= k && d != INT64_MAX; i++)
		d = sat_add(d, target_ms);
	return d;
}

rt_sla_clock rt_sla_clock_new(int kind)
{
	return (rt_sla_clock){ .kind = kind, .state = RT_SLA_IDLE, .tier = RT_TIER_FRONTLINE };
}

int rt_sla_apply(rt_sla_clock *c, int event, int64_t at_ms, int32_t target_min, pd_errbuf *eb)
{
	if (!c)
		return pd_fail(eb, PD_EINVAL, "sla clock missing");
	if (event == RT_SLA_EV_BREACH)
		return pd_fail(eb, PD_EINVAL, "a breach comes from time passing: use rt_sla_check");
	int to = c->state;
	int rc = rt_sla_transition(c->state, event, &to, eb);
	if (rc != PD_OK)
		return rc;
	int from = c->state;
	int paused = from == PC || from == PD_;

	switch (event) {
	case RT_SLA_EV_START:
		if (from != IDLE && from != ST)
			return PD_OK; /* already counting: keep the earlier start */
		if (from == ST && c->kind == K_FIRST)
			return pd_fail(eb, PD_ESTATE,
				       "first_response is measured once: it stopped and cannot start again");
		if (target_min < 1 || target_min > RT_SLA_MAX_TARGET_MIN)
			return pd_fail(eb, PD_EINVAL, "sla target %d min outside 1..%d", (int)target_min,
				       RT_SLA_MAX_TARGET_MIN);
		c->started_at_ms = at_ms;
		c->target_min = target_min;
		c->paused_at_ms = 0;
		c->paused_total_ms = 0;
		c->cycle_breaches = 0;
		c->tier = norm_tier(c->tier);
		break;
	case RT_SLA_EV_WAIT_CUSTOMER:
	case RT_SLA_EV_WAIT_DEPARTMENT:
		if (!paused)
			c->paused_at_ms = at_ms;
		/* else: switching whom we wait on continues the same pause */
		break;
	case RT_SLA_EV_RESUME:
		if (!paused)
			return PD_OK;
		c->paused_total_ms = sat_add(c->paused_total_ms, elapsed(c->paused_at_ms, at_ms));
		c->paused_at_ms = 0;
		if (c->cycle_breaches > 0)
			to = BR;
		break;
	case RT_SLA_EV_STOP:
		if (from == ST)
			return PD_OK;
		if (paused) {
			c->paused_total_ms = sat_add(c->paused_total_ms, elapsed(c->paused_at_ms, at_ms));
			c->paused_at_ms = 0;
		}
		c->stopped_at_ms = at_ms;
		break;
	}
	c->state = to;
	return PD_OK;
}

int64_t rt_sla_deadline(const rt_sla_clock *c, int64_t now_ms)
{
	if (!c)
		return INT64_MAX;
	switch (c->state) {
	case RUN:
	case BR:
		return step_deadline(c, 0, c->paused_total_ms);
	case PC:
	case PD_:
		return step_deadline(c, 0, sat_add(c->paused_total_ms, elapsed(c->paused_at_ms, now_ms)));
	default:
		return INT64_MAX;
	}
}

/* Whether a deadline passing in the breached state can still record
 * something: a level at or above the current tier not yet recorded. */
static int pending_level(const rt_sla_clock *c)
{
	for (int t = norm_tier(c->tier); t <= RT_TIER_SUPERVISOR; t++)
		if (!(c->breached_levels & (1u << t)))
			return 1;
	return 0;
}

/* The instant time next changes this clock, INT64_MAX if never. */
static int64_t clock_due(const rt_sla_clock *c)
{
	if (c->state == RUN)
		return step_deadline(c, c->cycle_breaches, c->paused_total_ms);
	if (c->state == BR && pending_level(c))
		return step_deadline(c, c->cycle_breaches, c->paused_total_ms);
	return INT64_MAX;
}

size_t rt_sla_check(rt_sla_clock *c, int64_t now_ms, rt_sla_breach out[RT_SLA_MAX_BREACHES])
{
	size_t n = 0;
	if (!c)
		return 0;
	for (;;) {
		int64_t due = clock_due(c);
		if (due == INT64_MAX || now_ms < due)
			break;
		int tier = norm_tier(c->tier);
		unsigned bit = 1u << tier;
		if (!(c->breached_levels & bit) && n < RT_SLA_MAX_BREACHES) {
			c->breached_levels |= bit;
			out[n++] = (rt_sla_breach){ .kind = c->kind, .level = tier,
						    .escalate_to = rt_sla_escalate(tier),
						    .deadline_ms = due };
		}
		c->tier = rt_sla_escalate(tier);
		if (c->cycle_breaches < INT32_MAX)
			c->cycle_breaches++;
		c->state = BR;
	}
	return n;
}

int64_t rt_sla_next_breach(const rt_sla_clock *clocks, size_t n, size_t *which)
{
	int64_t best = INT64_MAX;
	for (size_t i = 0; clocks && i < n; i++) {
		int64_t due = clock_due(&clocks[i]);
		if (due < best) {
			best = due;
			if (which)
				*which = i;
		}
	}
	return best;
}
