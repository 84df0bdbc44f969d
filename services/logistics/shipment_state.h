/* Shipment and return state machines of the logistics service (pure logic).
 *
 * States are the integer values of the proto enums Peakdesk__V1__ShipmentState
 * and Peakdesk__V1__ReturnState (proto/logistics.proto); this header takes
 * plain ints so callers that only hold a decoded field need not include the
 * generated code. The allowed transitions are data: the tables in
 * shipment_state.c, with the reasoning for each row next to it.
 *
 * Every function here is pure (no I/O, no global state) and thread-safe. */
#ifndef LG_SHIPMENT_STATE_H
#define LG_SHIPMENT_STATE_H

#include "pd.h"

/* Number of values in each enum, UNSPECIFIED (0) included. */
#define LG_SHIPMENT_STATE_COUNT 9
#define LG_RETURN_STATE_COUNT 9

/* Whether a shipment may go from `from` to `to`.
 * from = 0 (UNSPECIFIED) means "shipment not known yet": any real state is
 * allowed, because a department may first report a shipment mid-way.
 * to = 0 is never allowed: a report must name the state it reached (a
 * Kuaidi100 code that implies no change maps to 0 and must be filtered out by
 * the caller before asking). from == to (a repeated scan) is allowed as a
 * no-op for every real state.
 * Returns PD_OK, or PD_ESTATE with eb (may be NULL) naming both states, e.g.
 * "impossible transition delivered -> in_transit". Out-of-range values are
 * PD_ESTATE too ("unknown shipment state 42"). */
int lg_shipment_transition(int from, int to, pd_errbuf *eb);

/* 1 for states a shipment normally ends in (delivered, returned), else 0.
 * Delivered can still move to returning (see the table); returned cannot. */
int lg_shipment_state_is_terminal(int state);

/* Lowercase snake-case name ("created", "in_transit", ..., "unspecified" for
 * 0); "unknown" for a value outside the enum. Static storage, never NULL. */
const char *lg_shipment_state_name(int state);

/* Inverse of lg_shipment_state_name. Also accepts, case-insensitively, the
 * proto enum names ("SHIPMENT_STATE_IN_TRANSIT", as proto3 JSON prints them)
 * so both spellings work on the HTTP ingest. Returns the enum value (0 for
 * "unspecified"), or -1 for NULL or an unknown name. */
int lg_shipment_state_parse(const char *name);

/* Return (reverse-logistics) workflow, same conventions as above:
 * from = 0 means a new return (any real state allowed, a department may
 * first report mid-way), to = 0 never allowed, same state is a no-op.
 * PD_OK or PD_ESTATE ("impossible return transition closed -> approved"). */
int lg_return_transition(int from, int to, pd_errbuf *eb);

/* "requested", "parcel_sent", ...; "unspecified" for 0, "unknown" outside. */
const char *lg_return_state_name(int state);

/* Inverse of lg_return_state_name, also accepting "RETURN_STATE_*" names;
 * -1 when unknown. */
int lg_return_state_parse(const char *name);

#endif
