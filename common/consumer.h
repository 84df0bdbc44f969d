/* A bus consumer: applies every event of the publishers it follows exactly
 * once, in seq order per publisher, whatever NNG dropped.
 *
 * Events arrive on an NNG SUB socket (read through NNG_OPT_RECVFD in the
 * libevent loop, never with timed receives). The offset per (consumer,
 * publisher) lives in bus.offsets and advances in the same transaction as the
 * effects. seq <= offset is a duplicate; seq > offset + 1, a heartbeat ahead
 * of the offset, start-up, and a periodic poll all read the missing events
 * from bus.outbox before going on. */
#ifndef PD_CONSUMER_H
#define PD_CONSUMER_H

#include "bus.h"

struct event_base;
typedef struct pd_consumer pd_consumer;

typedef struct pd_consumer_ops {
	/* Applies one event inside the writer's transaction (writer thread).
	 * PD_OK, PD_EDBDOWN, or an error with eb saying why: then the batch is
	 * retried event by event and an event that still fails is recorded in
	 * bus.dead_letters with that reason and skipped, so one poison event
	 * cannot stop the consumer. */
	int (*apply)(pd_txn *tx, const Peakdesk__V1__Envelope *env, void *arg, pd_errbuf *eb);
	/* Optional: last step before COMMIT of a batch that applied events. */
	int (*before_commit)(pd_txn *tx, void *arg);
	/* Optional: after the batch committed (err 0) or failed (writer thread). */
	void (*after_batch)(void *arg, int err);
} pd_consumer_ops;

typedef struct pd_consumer_options {
	const char *name;               /* consumer name, the key in bus.offsets */
	const char *const *pub_addrs;   /* NULL-terminated PUB addresses to dial */
	const char *const *prefixes;    /* NULL-terminated topic prefixes; NULL = all */
	int max_events_per_batch;       /* catch-up page size; default 2000 */
	int poll_ms;                    /* outbox poll period; default 5000 */
} pd_consumer_options;

pd_consumer *pd_consumer_start(pd_bus *bus, struct event_base *base,
			       const pd_consumer_options *o, const pd_consumer_ops *ops,
			       void *arg, pd_errbuf *eb);
/* Stops receiving and waits for the in-flight batch. Call before pd_bus_close. */
void pd_consumer_stop(pd_consumer *c);

/* Events applied since start (for status and tests). */
uint64_t pd_consumer_applied(const pd_consumer *c);

/* 1 when topic starts with one of the NULL-terminated prefixes (or prefixes is NULL). */
int pd_topic_matches(const char *topic, const char *const *prefixes);

#endif
