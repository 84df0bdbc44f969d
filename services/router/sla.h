/* SLA targets, clocks, breaches and escalation of tickets (pure logic).
 *
 * Targets: a table of minutes per (priority, channel) for the three SLA
 * kinds (first response, next response, resolution). The service runs 24/7
 * during promotions, so targets are wall-clock minutes: there is no
 * business-hours calendar (see docs/router-decisions.md). A campaign may
 * override cells of the table for its time window.
 *
 * Clocks: one per (ticket, kind), a state machine whose transitions are the
 * table in sla.c, checked by rt_sla_transition:
 *
 *   idle --start--> running --wait_customer/department--> paused_* --resume--> running
 *   running --(deadline passes, rt_sla_check)--> breached (still counting)
 *   running/paused/breached --stop--> stopped --start--> running (a new cycle)
 *
 * deadline = cycle start + target + time paused in this cycle.
 *
 * Breaches and escalation: the tier accountable for the clock starts at
 * frontline. When its deadline passes, a breach is recorded at that level
 * and the ticket escalates one tier (frontline -> lead -> supervisor;
 * supervisor stays). The escalated tier gets one more full target from the
 * missed deadline, so a clock can breach at most three times in a cycle:
 * at start+1x, 2x and 3x target (+ paused). Each (ticket, kind, level) is
 * recorded once over the ticket's whole life: escalation is never undone by
 * a new cycle, so a later next-response cycle starts at the tier reached.
 *
 * Times are unix ms, targets minutes; arithmetic saturates at INT64_MAX.
 * Everything here is pure and thread-safe. */
#ifndef RT_SLA_H
#define RT_SLA_H

#include <stddef.h>
#include <stdint.h>

#include "pd.h"

/* ---- tiers ------------------------------------------------------------- */

/* Agent tiers in escalation order; names match router.agents.tier. */
enum rt_tier {
	RT_TIER_UNSPECIFIED = 0, /* treated as frontline */
	RT_TIER_FRONTLINE = 1,
	RT_TIER_LEAD = 2,
	RT_TIER_SUPERVISOR = 3,
};
#define RT_TIER_COUNT 4

/* "frontline", "lead", "supervisor"; "unspecified" for 0, "unknown" outside. */
const char *rt_tier_name(int tier);
/* Inverse of rt_tier_name for the three real tiers (case-insensitive);
 * -1 for NULL or anything else. */
int rt_tier_parse(const char *name);
/* The tier a breach at `tier` escalates to: frontline -> lead ->
 * supervisor -> supervisor. Unspecified or unknown counts as frontline. */
int rt_sla_escalate(int tier);

/* ---- targets ----------------------------------------------------------- */

/* Indexes: Peakdesk__V1__Priority (0..4) and Peakdesk__V1__ChannelKind (0..3). */
#define RT_SLA_PRIORITIES 5
#define RT_SLA_CHANNELS 4
/* Longest accepted target: 30 days. Longer is a typo, not a policy. */
#define RT_SLA_MAX_TARGET_MIN (30 * 24 * 60)

typedef struct rt_sla_targets {
	int32_t first_response_min; /* first agent reply after the ticket opens */
	int32_t next_response_min;  /* agent reply after each later customer message */
	int32_t resolution_min;     /* resolved after the ticket opens (or reopens) */
} rt_sla_targets;

/* Row 0 (UNSPECIFIED priority) and column 0 (UNSPECIFIED channel) are not
 * read: rt_sla_target maps them to NORMAL and to the chat column. */
typedef struct rt_sla_table {
	rt_sla_targets t[RT_SLA_PRIORITIES][RT_SLA_CHANNELS];
} rt_sla_table;

/* A campaign's table for [starts_at_ms, ends_at_ms). A cell of 0 minutes
 * inherits the base table, so a campaign states only what it changes. */
typedef struct rt_sla_override {
	const char *campaign_id; /* borrowed; reported with the target */
	int64_t starts_at_ms;
	int64_t ends_at_ms;
	const rt_sla_table *table; /* borrowed */
} rt_sla_override;

typedef struct rt_sla_policy {
	const rt_sla_table *base;           /* borrowed; NULL = rt_sla_default_table() */
	const rt_sla_override *overrides;   /* borrowed; may be NULL when n_overrides is 0 */
	size_t n_overrides;
} rt_sla_policy;

/* The built-in 24/7 promotion-day targets (static storage):
 *                  chat (webhook, wechat)        email
 *   priority     first  next  resolution   first  next  resolution
 *   urgent           5    10     4 h          30    60     8 h
 *   high            15    30    12 h          60   120    24 h
 *   normal          30    60    24 h         240   480    48 h
 *   low             60   120    48 h         480   960    72 h            */
const rt_sla_table *rt_sla_default_table(void);

/* Validates a table loaded from the database: every cell of priorities
 * LOW..URGENT and channels WEBHOOK..EMAIL in 1..RT_SLA_MAX_TARGET_MIN, or
 * 0 as well when is_override. PD_EINVAL names the cell in eb. */
int rt_sla_table_check(const rt_sla_table *t, int is_override, pd_errbuf *eb);

/* Validates a policy: base table, each override's table and window
 * (starts < ends). PD_EINVAL with the campaign named in eb. */
int rt_sla_policy_check(const rt_sla_policy *p, pd_errbuf *eb);

/* Target in minutes of `kind` (Peakdesk__V1__SlaKind) for a ticket of
 * `priority` on `channel`, under the policy in force at at_ms (the instant
 * the clock starts: a deadline does not jump when a campaign ends while the
 * ticket is open). Among overrides whose window holds at_ms the one that
 * started last wins (the most specific), then the first listed.
 * UNSPECIFIED priority counts as NORMAL; an UNSPECIFIED or unknown channel
 * gets the chat column (the stricter one fails safe). *campaign_id (may be
 * NULL) gets the deciding override's id, or NULL when the base cell was used.
 * PD_EINVAL for a NULL policy/out, priority outside 0..4 or kind not 1..3. */
int rt_sla_target(const rt_sla_policy *p, int priority, int channel, int kind, int64_t at_ms,
		  int32_t *minutes, const char **campaign_id);

/* ---- clocks ------------------------------------------------------------ */

enum rt_sla_state {
	RT_SLA_IDLE = 0,              /* not started (zero-initialised clock) */
	RT_SLA_RUNNING = 1,
	RT_SLA_PAUSED_CUSTOMER = 2,   /* waiting on the customer */
	RT_SLA_PAUSED_DEPARTMENT = 3, /* waiting on a department (warehouse, finance...) */
	RT_SLA_BREACHED = 4,          /* running and past a deadline in this cycle */
	RT_SLA_STOPPED = 5,           /* met (agent replied, ticket resolved) */
};
#define RT_SLA_STATE_COUNT 6

enum rt_sla_event {
	RT_SLA_EV_START = 1,           /* customer message / ticket opened / reopened */
	RT_SLA_EV_WAIT_CUSTOMER = 2,   /* agent asked the customer for something */
	RT_SLA_EV_WAIT_DEPARTMENT = 3, /* handed to a department */
	RT_SLA_EV_RESUME = 4,          /* the customer or the department answered */
	RT_SLA_EV_STOP = 5,            /* met: agent replied, ticket resolved */
	RT_SLA_EV_BREACH = 6,          /* a deadline passed: only rt_sla_check applies it */
};
#define RT_SLA_EVENT_COUNT 7 /* 0 is not an event */

/* Whether `event` may happen in state `from`, and the state it leads to in
 * *to (may be NULL). The whole machine is the table in sla.c; events whose
 * effect already holds (start while running, stop while stopped, a second
 * wait for the same party) are allowed no-ops, so the shell may repeat
 * them. PD_ESTATE with eb (may be NULL) as "impossible sla transition
 * paused_customer --breach", or "unknown sla state 9" / "unknown sla
 * event 0". A resume leads to running; rt_sla_apply shows it as breached
 * when the cycle already passed a deadline. */
int rt_sla_transition(int from, int event, int *to, pd_errbuf *eb);

const char *rt_sla_state_name(int state); /* "idle", "running", ...; "unknown" */
const char *rt_sla_event_name(int event); /* "start", "wait_customer", ...; "unknown" */
const char *rt_sla_kind_name(int kind);   /* "first_response", "next_response", "resolution" */

typedef struct rt_sla_clock {
	int kind;                /* Peakdesk__V1__SlaKind */
	int state;               /* enum rt_sla_state */
	int32_t target_min;      /* target of the current cycle, fixed at its start */
	int64_t started_at_ms;   /* start of the current cycle */
	int64_t paused_at_ms;    /* start of the current pause (paused states only) */
	int64_t paused_total_ms; /* paused time in this cycle, finished pauses only */
	int64_t stopped_at_ms;   /* when it was last stopped; 0 if never */
	int32_t cycle_breaches;  /* deadlines passed in this cycle (0..3) */
	int tier;                /* enum rt_tier accountable now */
	unsigned breached_levels; /* bit (1u << tier) per level already recorded */
} rt_sla_clock;

/* An idle clock of `kind`, accountable tier frontline. */
rt_sla_clock rt_sla_clock_new(int kind);

/* Applies `event` at at_ms. target_min is read on a start that begins a
 * cycle (from idle or stopped; must be 1..RT_SLA_MAX_TARGET_MIN) and
 * ignored otherwise. A first-response clock is measured once: starting it
 * again after it stopped is PD_ESTATE. BREACH is not accepted here
 * (PD_EINVAL): deadlines pass by time, in rt_sla_check.
 * Call rt_sla_check(c, at_ms) before applying an event at at_ms, so a reply
 * that comes after a deadline the timer has not yet seen still breaches.
 * An at_ms earlier than the pause it ends counts as a zero-length pause.
 * On error *c is unchanged. */
int rt_sla_apply(rt_sla_clock *c, int event, int64_t at_ms, int32_t target_min, pd_errbuf *eb);

/* The clock's deadline: cycle start + target + paused time (the current
 * pause counted up to now_ms). This is the first deadline of the cycle, the
 * one shown to agents and on ticket events. INT64_MAX for idle or stopped. */
int64_t rt_sla_deadline(const rt_sla_clock *c, int64_t now_ms);

/* One recorded breach. */
typedef struct rt_sla_breach {
	int kind;            /* Peakdesk__V1__SlaKind */
	int level;           /* enum rt_tier that missed it: the idempotency key is (ticket, kind, level) */
	int escalate_to;     /* enum rt_tier that takes over */
	int64_t deadline_ms; /* the deadline that passed */
} rt_sla_breach;

#define RT_SLA_MAX_BREACHES 3 /* per check: frontline, lead, supervisor */

/* Applies every deadline that has passed by now_ms (deadline <= now_ms: at
 * the deadline itself the time is up), catching up when the timer ran late.
 * Each breach at a level not recorded before is written to out[] (room for
 * RT_SLA_MAX_BREACHES) and returned in the count; the clock's tier moves up
 * and its state becomes breached. A deadline passing at a level already
 * recorded (a later cycle, after the supervisor level) only marks the
 * clock breached. Returns the number written; 0 for a NULL clock. */
size_t rt_sla_check(rt_sla_clock *c, int64_t now_ms, rt_sla_breach out[RT_SLA_MAX_BREACHES]);

/* When a timer should next call rt_sla_check: the earliest instant among
 * clocks[0..n) at which a deadline passes and changes something (a running
 * clock turns breached, or a breached one breaches at a level not yet
 * recorded). *which (may be NULL) gets that clock's index. INT64_MAX when
 * no clock can change by time alone (idle, paused, stopped, exhausted). */
int64_t rt_sla_next_breach(const rt_sla_clock *clocks, size_t n, size_t *which);

#endif
