/* Shipment and return state machines as transition tables.
 *
 * The tables are the single place where the allowed transitions live
 * (proto/logistics.proto points here). A row lists the states a shipment may
 * move to from that state; everything else is an impossible transition,
 * rejected with PD_ESTATE so a stale or out-of-order report (an old
 * "in transit" scan arriving after "delivered") cannot move a shipment
 * backwards.
 *
 * Shipment table: why each row is what it is.
 * - Forward skips are allowed (created -> delivered, collected -> out for
 *   delivery, ...): carriers and departments drop intermediate scans, and
 *   refusing the later fact would leave the shipment stuck in the past.
 *   Backward moves along the forward journey are refused, with one exception:
 * - out_for_delivery -> in_transit: a failed delivery attempt sends the
 *   parcel back to the depot and it is dispatched again the next day
 *   (Kuaidi100 then reports state 0 again); this is routine, not stale.
 * - Any non-terminal state -> exception (damaged, lost, refused, address
 *   problem can happen at any point, including on the way back).
 * - exception -> in_transit, out_for_delivery, delivered, returning,
 *   returned: the ways a problem resolves. Not back to created/collected:
 *   a parcel that had a problem is already in the carrier's hands, so such a
 *   report is stale.
 * - delivered -> returning, returned: allowed. In China a parcel signed for
 *   at a locker/station or by a proxy is often refused by the customer after
 *   the fact and goes back to the sender (Kuaidi100 302/303/304 then 6 or 4);
 *   refusing that would hide the return. Delivered -> exception is refused:
 *   after a signature the carrier's problem codes are no longer about
 *   delivery, and "I never got it" is a customer complaint, not a scan.
 * - returning -> returned, exception. Not back onto the forward journey: a
 *   forward scan after the return started is the classic stale report.
 * - returned: nothing leaves it (terminal); returned -> returned is a no-op.
 * - Same state -> same state is always allowed (a repeated scan, a re-sent
 *   Kuaidi100 push carrying the whole history again).
 * - From UNSPECIFIED (new shipment) every real state is allowed; to
 *   UNSPECIFIED is never allowed.
 *
 * Return table: the workflow of DESIGN.md (approved -> parcel back ->
 * warehouse inspected -> finance refunded -> closed) with the side exits
 * requested -> rejected, approved -> closed (customer withdrew before
 * sending), inspected -> rejected (inspection failed), rejected -> closed.
 * No skips: every step is a department's sign-off the customer is shown. */
#include "shipment_state.h"

#include <stddef.h>
#include <strings.h>

#include "logistics.pb-c.h"

/* Bit set of target states, indexed by state value. */
#define B(s) (1u << (s))

enum {
	S_UNSPEC = PEAKDESK__V1__SHIPMENT_STATE__SHIPMENT_STATE_UNSPECIFIED,
	S_CREATED = PEAKDESK__V1__SHIPMENT_STATE__SHIPMENT_STATE_CREATED,
	S_COLLECTED = PEAKDESK__V1__SHIPMENT_STATE__SHIPMENT_STATE_COLLECTED,
	S_TRANSIT = PEAKDESK__V1__SHIPMENT_STATE__SHIPMENT_STATE_IN_TRANSIT,
	S_OFD = PEAKDESK__V1__SHIPMENT_STATE__SHIPMENT_STATE_OUT_FOR_DELIVERY,
	S_DELIVERED = PEAKDESK__V1__SHIPMENT_STATE__SHIPMENT_STATE_DELIVERED,
	S_EXCEPTION = PEAKDESK__V1__SHIPMENT_STATE__SHIPMENT_STATE_EXCEPTION,
	S_RETURNING = PEAKDESK__V1__SHIPMENT_STATE__SHIPMENT_STATE_RETURNING,
	S_RETURNED = PEAKDESK__V1__SHIPMENT_STATE__SHIPMENT_STATE_RETURNED,
};

enum {
	R_UNSPEC = PEAKDESK__V1__RETURN_STATE__RETURN_STATE_UNSPECIFIED,
	R_REQUESTED = PEAKDESK__V1__RETURN_STATE__RETURN_STATE_REQUESTED,
	R_APPROVED = PEAKDESK__V1__RETURN_STATE__RETURN_STATE_APPROVED,
	R_SENT = PEAKDESK__V1__RETURN_STATE__RETURN_STATE_PARCEL_SENT,
	R_RECEIVED = PEAKDESK__V1__RETURN_STATE__RETURN_STATE_RECEIVED,
	R_INSPECTED = PEAKDESK__V1__RETURN_STATE__RETURN_STATE_INSPECTED,
	R_REFUNDED = PEAKDESK__V1__RETURN_STATE__RETURN_STATE_REFUNDED,
	R_CLOSED = PEAKDESK__V1__RETURN_STATE__RETURN_STATE_CLOSED,
	R_REJECTED = PEAKDESK__V1__RETURN_STATE__RETURN_STATE_REJECTED,
};

/* Every real shipment state (all but UNSPECIFIED). */
#define S_ANY (B(S_CREATED) | B(S_COLLECTED) | B(S_TRANSIT) | B(S_OFD) | \
	       B(S_DELIVERED) | B(S_EXCEPTION) | B(S_RETURNING) | B(S_RETURNED))
/* Where the journey may go once the carrier has the parcel (forward skips,
 * problems, and the way back). */
#define S_AFTER_OFD (B(S_DELIVERED) | B(S_EXCEPTION) | B(S_RETURNING) | B(S_RETURNED))

static const unsigned shipment_next[LG_SHIPMENT_STATE_COUNT] = {
	[S_UNSPEC] = S_ANY,
	[S_CREATED] = S_ANY,
	[S_COLLECTED] = B(S_COLLECTED) | B(S_TRANSIT) | B(S_OFD) | S_AFTER_OFD,
	[S_TRANSIT] = B(S_TRANSIT) | B(S_OFD) | S_AFTER_OFD,
	[S_OFD] = B(S_OFD) | B(S_TRANSIT) | S_AFTER_OFD,
	[S_DELIVERED] = B(S_DELIVERED) | B(S_RETURNING) | B(S_RETURNED),
	[S_EXCEPTION] = B(S_EXCEPTION) | B(S_TRANSIT) | B(S_OFD) | B(S_DELIVERED) |
			B(S_RETURNING) | B(S_RETURNED),
	[S_RETURNING] = B(S_RETURNING) | B(S_RETURNED) | B(S_EXCEPTION),
	[S_RETURNED] = B(S_RETURNED),
};

#define R_ANY (B(R_REQUESTED) | B(R_APPROVED) | B(R_SENT) | B(R_RECEIVED) | \
	       B(R_INSPECTED) | B(R_REFUNDED) | B(R_CLOSED) | B(R_REJECTED))

static const unsigned return_next[LG_RETURN_STATE_COUNT] = {
	[R_UNSPEC] = R_ANY,
	[R_REQUESTED] = B(R_REQUESTED) | B(R_APPROVED) | B(R_REJECTED),
	[R_APPROVED] = B(R_APPROVED) | B(R_SENT) | B(R_CLOSED),
	[R_SENT] = B(R_SENT) | B(R_RECEIVED),
	[R_RECEIVED] = B(R_RECEIVED) | B(R_INSPECTED),
	[R_INSPECTED] = B(R_INSPECTED) | B(R_REFUNDED) | B(R_REJECTED),
	[R_REFUNDED] = B(R_REFUNDED) | B(R_CLOSED),
	[R_CLOSED] = B(R_CLOSED),
	[R_REJECTED] = B(R_REJECTED) | B(R_CLOSED),
};

static const char *const shipment_names[LG_SHIPMENT_STATE_COUNT] = {
	[S_UNSPEC] = "unspecified",
	[S_CREATED] = "created",
	[S_COLLECTED] = "collected",
	[S_TRANSIT] = "in_transit",
	[S_OFD] = "out_for_delivery",
	[S_DELIVERED] = "delivered",
	[S_EXCEPTION] = "exception",
	[S_RETURNING] = "returning",
	[S_RETURNED] = "returned",
};

static const char *const return_names[LG_RETURN_STATE_COUNT] = {
	[R_UNSPEC] = "unspecified",
	[R_REQUESTED] = "requested",
	[R_APPROVED] = "approved",
	[R_SENT] = "parcel_sent",
	[R_RECEIVED] = "received",
	[R_INSPECTED] = "inspected",
	[R_REFUNDED] = "refunded",
	[R_CLOSED] = "closed",
	[R_REJECTED] = "rejected",
};

static int in_range(int s, int count)
{
	return s >= 0 && s < count;
}

/* Shared checker: `what` is "" or "return " so both messages read naturally. */
static int check(const unsigned *next, const char *const *names, int count,
		 const char *what, int from, int to, pd_errbuf *eb)
{
	if (!in_range(from, count))
		return pd_fail(eb, PD_ESTATE, "unknown %sstate %d", what, from);
	if (!in_range(to, count))
		return pd_fail(eb, PD_ESTATE, "unknown %sstate %d", what, to);
	if (to == 0)
		return pd_fail(eb, PD_ESTATE, "impossible %stransition %s -> %s: target state must be set",
			       what, names[from], names[to]);
	if (!(next[from] & B(to)))
		return pd_fail(eb, PD_ESTATE, "impossible %stransition %s -> %s", what, names[from],
			       names[to]);
	return PD_OK;
}

int lg_shipment_transition(int from, int to, pd_errbuf *eb)
{
	return check(shipment_next, shipment_names, LG_SHIPMENT_STATE_COUNT, "", from, to, eb);
}

int lg_return_transition(int from, int to, pd_errbuf *eb)
{
	return check(return_next, return_names, LG_RETURN_STATE_COUNT, "return ", from, to, eb);
}

int lg_shipment_state_is_terminal(int state)
{
	return state == S_DELIVERED || state == S_RETURNED;
}

const char *lg_shipment_state_name(int state)
{
	return in_range(state, LG_SHIPMENT_STATE_COUNT) ? shipment_names[state] : "unknown";
}

const char *lg_return_state_name(int state)
{
	return in_range(state, LG_RETURN_STATE_COUNT) ? return_names[state] : "unknown";
}

/* Accepts "in_transit" or "<prefix>IN_TRANSIT" (any case): the proto names
 * are the snake names upper-cased behind the enum's prefix. */
static int parse(const char *const *names, int count, const char *prefix, size_t prefix_len,
		 const char *name)
{
	if (!name)
		return -1;
	if (strncasecmp(name, prefix, prefix_len) == 0)
		name += prefix_len;
	for (int i = 0; i < count; i++)
		if (strcasecmp(name, names[i]) == 0)
			return i;
	return -1;
}

int lg_shipment_state_parse(const char *name)
{
	static const char prefix[] = "SHIPMENT_STATE_";
	return parse(shipment_names, LG_SHIPMENT_STATE_COUNT, prefix, sizeof(prefix) - 1, name);
}

int lg_return_state_parse(const char *name)
{
	static const char prefix[] = "RETURN_STATE_";
	return parse(return_names, LG_RETURN_STATE_COUNT, prefix, sizeof(prefix) - 1, name);
}
