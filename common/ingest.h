/* Department ingest: batches of Envelopes arrive on an NNG REP socket (many
 * async contexts) or through HTTP (POST /v1/ingest); each batch is validated,
 * de-duplicated by event_id against <schema>.ingest_log, applied by the
 * service, committed by the bus writer, and only then answered with one ack
 * per event: ACCEPTED, DUPLICATE or REJECTED with a reason. */
#ifndef PD_INGEST_H
#define PD_INGEST_H

#include "bus.h"

typedef struct pd_ingest pd_ingest;

/* Result slot for one event, filled by the service's apply. */
typedef struct pd_ingest_item {
	Peakdesk__V1__Envelope *env; /* borrowed */
	int status;                  /* PEAKDESK__V1__ACK_STATUS__* */
	char reason[PD_ERRMSG_MAX];
	int invalid;                 /* internal: refused by validation, before the database */
} pd_ingest_item;

typedef struct pd_ingest_ops {
	/* Pure checks of one event (no I/O). PD_OK or an error with a reason
	 * that tells the sender what to fix. */
	int (*validate)(const Peakdesk__V1__Envelope *env, pd_errbuf *eb, void *arg);
	/* Applies the new (not duplicate, valid) events in the writer's
	 * transaction. Sets items[i].status = REJECTED with a reason for events
	 * it refuses (having changed nothing for them); leaves ACCEPTED
	 * otherwise. Returns PD_OK or a database error. In careful mode
	 * (pd_txn_careful) it should isolate events with savepoints. */
	int (*apply)(pd_txn *tx, pd_ingest_item *items, size_t n, void *arg);
} pd_ingest_ops;

/* The usual body of pd_ingest_ops.apply for events applied one at a time:
 * calls fn for each item (fn sets REJECTED with a reason for events it
 * refuses, having changed nothing). In careful mode each event runs under
 * its own savepoint, and one the database refuses even alone is REJECTED
 * ("database refused the event: ...") while the rest commit. */
typedef int (*pd_ingest_apply_fn)(pd_txn *tx, pd_ingest_item *it, void *arg, pd_errbuf *eb);
int pd_ingest_apply_each(pd_txn *tx, pd_ingest_item *items, size_t n, pd_ingest_apply_fn fn, void *arg);

typedef struct pd_ingest_options {
	const char *service;      /* topics must be for this service */
	const char *log_table;    /* e.g. "logistics.ingest_log" (trusted constant) */
	const char *addr;         /* REP listen address; NULL/"" for HTTP only */
	int contexts;             /* concurrent requests on the socket; default 64 */
	size_t max_events;        /* per request; default 10000 */
} pd_ingest_options;

pd_ingest *pd_ingest_start(pd_bus *bus, const pd_ingest_options *o,
			   const pd_ingest_ops *ops, void *arg, pd_errbuf *eb);
/* Shutdown is two steps around pd_bus_close: stop takes no new requests
 * (replies of batches still in the writer are dropped; the REQ side resends
 * and gets DUPLICATE), free releases the contexts once the writer is done. */
void pd_ingest_stop(pd_ingest *ing);
void pd_ingest_free(pd_ingest *ing);

/* Submits a decoded request (taken: freed by the ingest). reply is called
 * once, on the writer thread (or at once for a request rejected whole), with
 * the reply (borrowed for the call). */
typedef void (*pd_ingest_reply_fn)(const Peakdesk__V1__IngestReply *reply, int err,
				   const char *detail, void *arg);
void pd_ingest_submit(pd_ingest *ing, Peakdesk__V1__IngestRequest *req,
		      pd_ingest_reply_fn reply, void *arg);

#endif
