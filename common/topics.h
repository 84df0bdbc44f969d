/* The topic catalogue: every topic the suite knows, the Envelope body it
 * carries, and whether departments may send it to an ingest socket. One table,
 * so validation, the CLI and the docs agree. */
#ifndef PD_TOPICS_H
#define PD_TOPICS_H

#include "bus.pb-c.h"
#include "pd.h"

typedef struct pd_topic {
	const char *name;                       /* "logistics.shipment" */
	Peakdesk__V1__Envelope__BodyCase body;  /* body it must carry */
	const char *ingest_service;             /* service accepting it on ingest, or NULL */
	const char *help;
} pd_topic;

extern const pd_topic pd_topics[]; /* ended by {NULL} */

const pd_topic *pd_topic_find(const char *name);
/* Topic departments use for an ingest body, or NULL if none may be ingested. */
const pd_topic *pd_topic_for_ingest_body(Peakdesk__V1__Envelope__BodyCase body);

/* Common ingest validation for service: event_id is 16 bytes and not all
 * zero, a body is present, the topic (filled in from the body when empty) is
 * known, carries this body and is accepted by this service, occurred_at is
 * sane. Sets env->topic when it was empty (to a static string). */
int pd_topic_check_ingest(Peakdesk__V1__Envelope *env, const char *service, pd_errbuf *eb);

/* Channel kinds as the database stores them: "webhook", "wechat", "email"
 * ("" for UNSPECIFIED), and back (unknown names give WEBHOOK, the generic
 * channel). */
const char *pd_channel_name(int kind);
int pd_channel_parse(const char *name);

/* Emits o as message.outbound in tx (a reply, notice or invitation for the
 * gateway to deliver). */
typedef struct pd_txn pd_txn;
int pd_emit_outbound(pd_txn *tx, Peakdesk__V1__OutboundMessage *o, pd_errbuf *eb);

#define PD_TOPIC_HEARTBEAT "bus.heartbeat"
#define PD_TOPIC_HEARTBEAT_NAME ((char *)PD_TOPIC_HEARTBEAT)

#endif
