/* Delay maths: is a shipment late now, is that a new episode to announce,
 * did an announced episode end, and when could it next turn late.
 * The rules and the per-state decisions are documented in delay.h; this file
 * keeps the arithmetic overflow-safe because the times come from departments
 * and carriers and cannot be trusted to be sane. */
#include "delay.h"

#include "logistics.pb-c.h"
#include "pd.h"

_Static_assert((int)LG_DELAY_NO_SCAN == (int)PEAKDESK__V1__DELAY_REASON__DELAY_REASON_NO_SCAN,
	       "lg delay reasons must equal the proto enum");
_Static_assert((int)LG_DELAY_PROMISE_MISSED ==
		       (int)PEAKDESK__V1__DELAY_REASON__DELAY_REASON_PROMISE_MISSED,
	       "lg delay reasons must equal the proto enum");

#define REASON_BIT(r) (1u << (r))

/* Which delay reasons can apply in a state (see delay.h for why). */
static unsigned reasons_for_state(int state)
{
	switch (state) {
	case PEAKDESK__V1__SHIPMENT_STATE__SHIPMENT_STATE_CREATED:
	case PEAKDESK__V1__SHIPMENT_STATE__SHIPMENT_STATE_COLLECTED:
	case PEAKDESK__V1__SHIPMENT_STATE__SHIPMENT_STATE_IN_TRANSIT:
	case PEAKDESK__V1__SHIPMENT_STATE__SHIPMENT_STATE_OUT_FOR_DELIVERY:
		return REASON_BIT(LG_DELAY_NO_SCAN) | REASON_BIT(LG_DELAY_PROMISE_MISSED);
	case PEAKDESK__V1__SHIPMENT_STATE__SHIPMENT_STATE_RETURNING:
		return REASON_BIT(LG_DELAY_NO_SCAN);
	default:
		/* exception, delivered, returned, unspecified, unknown */
		return 0;
	}
}

/* 0 for unknown; negative times from a confused sender count as unknown. */
static int64_t known(int64_t t)
{
	return t > 0 ? t : 0;
}

/* a + b for b >= 0, saturating at INT64_MAX ("never"). */
static int64_t sat_add(int64_t a, int64_t b)
{
	int64_t r;
	if (__builtin_add_overflow(a, b, &r))
		return INT64_MAX;
	return r;
}

/* The instant the NO_SCAN rule fires, or INT64_MAX when it cannot. The
 * reference is the newest thing known to have happened to the parcel: a scan,
 * else collection, else creation (a label printed and never collected is a
 * dispatch delay the customer notices just the same). */
static int64_t no_scan_due(const lg_delay_input *in, const lg_delay_policy *p)
{
	if (p->no_scan_window_ms <= 0)
		return INT64_MAX;
	int64_t ref = known(in->last_scan_at_ms);
	if (known(in->collected_at_ms) > ref)
		ref = known(in->collected_at_ms);
	if (known(in->created_at_ms) > ref)
		ref = known(in->created_at_ms);
	if (ref == 0)
		return INT64_MAX;
	/* Late exactly when a full window has passed: at ref + window. */
	return sat_add(ref, p->no_scan_window_ms);
}

/* The instant the promise counts as missed, or INT64_MAX. Delivering at
 * exactly promised + grace keeps the promise, so it is missed 1 ms later. */
static int64_t promise_due(const lg_delay_input *in, const lg_delay_policy *p)
{
	int64_t promised = known(in->promised_delivery_ms);
	if (promised == 0)
		return INT64_MAX;
	int64_t deadline = sat_add(promised, p->promise_grace_ms);
	return deadline == INT64_MAX ? INT64_MAX : deadline + 1;
}

/* Fills the late/reason part; returns the earliest due time of the rules
 * that apply (INT64_MAX when none can fire). */
static int64_t judge(const lg_delay_input *in, int64_t now_ms, const lg_delay_policy *p,
		     int *is_delayed, int *reason)
{
	unsigned allowed = reasons_for_state(in->state);
	int64_t ns = (allowed & REASON_BIT(LG_DELAY_NO_SCAN)) ? no_scan_due(in, p) : INT64_MAX;
	int64_t pm = (allowed & REASON_BIT(LG_DELAY_PROMISE_MISSED)) ? promise_due(in, p) : INT64_MAX;

	*is_delayed = 0;
	*reason = LG_DELAY_NONE;
	/* INT64_MAX means "never", even when now_ms is INT64_MAX. */
	if (pm != INT64_MAX && now_ms >= pm) {
		/* The broken promise is what the customer cares about: it wins. */
		*is_delayed = 1;
		*reason = LG_DELAY_PROMISE_MISSED;
	} else if (ns != INT64_MAX && now_ms >= ns) {
		*is_delayed = 1;
		*reason = LG_DELAY_NO_SCAN;
	}
	return ns < pm ? ns : pm;
}

static int valid(const lg_delay_input *in, const lg_delay_policy *p)
{
	return in && p && p->promise_grace_ms >= 0;
}

int lg_delay_check(const lg_delay_input *in, int64_t now_ms, const lg_delay_policy *p,
		   lg_delay_verdict *out)
{
	if (!out || !valid(in, p))
		return PD_EINVAL;
	*out = (lg_delay_verdict){ 0 };
	judge(in, now_ms, p, &out->is_delayed, &out->reason);

	int32_t episodes = in->episodes > 0 ? in->episodes : 0;
	if (in->delayed_episode_open) {
		if (out->is_delayed) {
			out->episode = episodes;
		} else if (in->state == PEAKDESK__V1__SHIPMENT_STATE__SHIPMENT_STATE_EXCEPTION) {
			/* Not late only because exceptions are not judged: nothing
			 * was fixed, so the episode stays open. */
			out->episode = episodes;
		} else {
			out->recovered = 1;
			out->episode = episodes;
		}
	} else if (out->is_delayed) {
		out->emit = 1;
		out->episode = episodes < INT32_MAX ? episodes + 1 : INT32_MAX;
	}
	return PD_OK;
}

int64_t lg_next_delay_check_ms(const lg_delay_input *in, int64_t now_ms, const lg_delay_policy *p)
{
	if (!valid(in, p))
		return INT64_MAX;
	int is_delayed, reason;
	int64_t due = judge(in, now_ms, p, &is_delayed, &reason);
	if (is_delayed)
		/* Late already: announce now, or nothing more to announce until
		 * an event (a scan, a state change) reopens the question. */
		return in->delayed_episode_open ? INT64_MAX : now_ms;
	/* Not late: an open episode is recovered by the caller (or stays open
	 * in exception, where no rule applies and due is INT64_MAX), so the next
	 * emission can come at the first due time. */
	return due;
}
