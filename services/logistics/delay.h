/* Delay detection for shipments (pure logic, no I/O).
 *
 * A shipment is late when either
 *   NO_SCAN:        no carrier scan for no_scan_window_ms, counted from the
 *                   newest of last scan, collection and creation; or
 *   PROMISE_MISSED: the promised delivery time plus a grace period passed
 *                   and it is not delivered.
 * A delay *episode* opens when a shipment first turns late and closes when it
 * stops being late (a new scan arrived, the promise was moved, it was
 * delivered). logistics.delayed is emitted once per episode, numbered 1, 2,
 * ...: a shipment that recovers and stalls again is told about again, one
 * that stays stalled is not re-told on every check.
 *
 * Which states can be late (documented decision):
 *   created, collected, in_transit, out_for_delivery: both reasons.
 *   returning:  NO_SCAN only. The parcel is going back, so the delivery
 *               promise no longer applies, but a return that stops moving is
 *               still lost goods somebody must chase.
 *   exception:  never. logistics.exception already told the router and the
 *               customer; a delay on top would notify twice for one problem.
 *               An open episode stays open (not "recovered": nothing was
 *               fixed) until the shipment leaves the exception state.
 *   delivered, returned: never (terminal); an open episode recovers.
 *   unspecified or out of range: never (nothing known to judge by).
 *
 * Times are unix milliseconds; 0 means "unknown / none" for every time in
 * the input (negative values are treated as 0). All functions are pure. */
#ifndef LG_DELAY_H
#define LG_DELAY_H

#include <stdint.h>

#include "pd.h"

#define LG_DELAY_DEFAULT_NO_SCAN_WINDOW_MS (24LL * 60 * 60 * 1000)
#define LG_DELAY_DEFAULT_PROMISE_GRACE_MS 0LL

typedef struct lg_delay_policy {
	/* No scan for this long makes a shipment late; <= 0 turns the NO_SCAN
	 * rule off. The service's config default is 24 h. */
	int64_t no_scan_window_ms;
	/* Extra time after promised_delivery_ms before it counts as missed;
	 * must be >= 0 (a negative grace would call a promise missed while it
	 * can still be kept). */
	int64_t promise_grace_ms;
} lg_delay_policy;

#define LG_DELAY_POLICY_DEFAULT \
	((lg_delay_policy){ LG_DELAY_DEFAULT_NO_SCAN_WINDOW_MS, LG_DELAY_DEFAULT_PROMISE_GRACE_MS })

typedef struct lg_delay_input {
	int state;                    /* Peakdesk__V1__ShipmentState */
	int64_t last_scan_at_ms;      /* newest carrier scan; 0 = none yet */
	int64_t created_at_ms;        /* shipment known to peakdesk / label printed; 0 = unknown */
	int64_t collected_at_ms;      /* carrier picked it up; 0 = unknown */
	int64_t promised_delivery_ms; /* 0 = no promise */
	int delayed_episode_open;     /* 1 while the last emitted episode has not recovered */
	int32_t episodes;             /* episodes emitted so far (0 = never late) */
} lg_delay_input;

enum lg_delay_reason {
	/* Values equal Peakdesk__V1__DelayReason (checked in delay.c). */
	LG_DELAY_NONE = 0,
	LG_DELAY_NO_SCAN = 1,
	LG_DELAY_PROMISE_MISSED = 2,
};

typedef struct lg_delay_verdict {
	int is_delayed;   /* late right now */
	int reason;       /* Peakdesk__V1__DelayReason; PROMISE_MISSED wins when both hold; 0 when not late */
	int emit;         /* 1: open episode `episode` and emit logistics.delayed now */
	int recovered;    /* 1: the open episode ends now (store episode closed) */
	int32_t episode;  /* the new episode's number when emit; the open episode's
			   * number while it stays open or when it recovers; else 0 */
} lg_delay_verdict;

/* Judges `in` at now_ms under policy `p` and fills *out (always fully
 * written on PD_OK). emit and recovered are never both 1. The caller stores
 * delayed_episode_open = emit ? 1 : recovered ? 0 : unchanged, and
 * episodes = out->episode when emit.
 * Returns PD_OK, or PD_EINVAL when an argument is NULL or the policy is
 * invalid (negative grace). */
int lg_delay_check(const lg_delay_input *in, int64_t now_ms, const lg_delay_policy *p,
		   lg_delay_verdict *out);

/* When a timer should next call lg_delay_check for this shipment if nothing
 * else happens: the first instant at which it would turn late (and be
 * emitted), now_ms when it is late with no open episode (due at once), or
 * INT64_MAX when time alone cannot produce a new emission (terminal or
 * exception state, an episode already open, no reference time and no
 * promise, invalid arguments). */
int64_t lg_next_delay_check_ms(const lg_delay_input *in, int64_t now_ms, const lg_delay_policy *p);

#endif
