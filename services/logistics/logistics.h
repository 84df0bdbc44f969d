/* The logistics service's I/O shell: what main.c wires together. The pure
 * decisions live in shipment_state.c, delay.c and kuaidi100.c. */
#ifndef LG_LOGISTICS_H
#define LG_LOGISTICS_H

#include <stdint.h>

#include "bus.h"
#include "delay.h"
#include "ingest.h"
#include "logistics.pb-c.h"

/* One carrier scan to record (a TrackingScan event or a Kuaidi100 entry). */
typedef struct lg_scan {
	int64_t scanned_at_ms;
	const char *description, *area_code, *area_name, *status_text;
} lg_scan;

typedef struct lg_context {
	lg_delay_policy delay;
} lg_context;

/* Ingest ops for department events (logistics.order / shipment / tracking / return). */
extern const pd_ingest_ops lg_ingest_ops;

/* Records scans of one parcel (duplicates ignored), moves the shipment to
 * new_state when the scans are the newest and the transition is allowed
 * (UNSPECIFIED: no change), creates the shipment when unknown, and emits
 * logistics.shipment_updated / logistics.exception. source names the cause
 * in the shipment's transitions ("kuaidi100", "tracking"). */
int lg_apply_scans(pd_txn *tx, const lg_context *ctx, const char *carrier, const char *tracking_no,
		   const lg_scan *scans, size_t n, int new_state, const char *source, pd_errbuf *eb);

/* Timer job: finds late shipments and emits logistics.delayed once per episode. */
void lg_delay_sweep_submit(pd_bus *bus, const lg_context *ctx);

/* Registers POST /v1/carriers/kuaidi100. */
struct pd_http;
int lg_carrier_http_route(struct pd_http *http, pd_bus *bus, const lg_context *ctx, const char *salt);

#endif
