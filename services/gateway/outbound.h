/* Outbound delivery of message.outbound (see outbound.c). */
#ifndef GW_OUTBOUND_H
#define GW_OUTBOUND_H

#include "bus.h"
#include "deliver.h"

typedef struct gw_outbound_config {
	gw_deliver_config deliver;
	int max_attempts;      /* then dead */
	int64_t retry_base_ms; /* first retry delay */
} gw_outbound_config;

/* Consumer apply for message.outbound: stores the message to deliver. */
int gw_outbound_store(pd_txn *tx, const Peakdesk__V1__Envelope *env, void *arg, pd_errbuf *eb);
/* Starts the delivery threads (after requeueing interrupted deliveries). */
int gw_outbound_start(pd_bus *bus, const gw_outbound_config *cfg);
/* Timer: claims due messages for delivery. */
void gw_outbound_tick(void);
/* Stops the threads (before pd_bus_close, which then records their last outcomes). */
void gw_outbound_stop(void);
void gw_outbound_cleanup(void);

#endif
