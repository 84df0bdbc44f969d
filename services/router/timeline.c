/* The ticket timeline: every step of a ticket, with who or what did it.
 * Customer-visible steps make the customer's progress page. One writer of
 * router.ticket_events for all of the router, and one of ticket.* events
 * on the bus. */
#include "router.h"
#include "topics.h"

int rt_timeline_add(pd_txn *tx, const char *ticket_id, const char *kind, const char *actor, int customer_visible,
		    const char *label, const char *detail_json, pd_errbuf *eb)
{
	return pd_txn_exec(tx,
			   "INSERT INTO router.ticket_events(ticket_id, kind, actor, customer_visible, label, detail) "
			   "VALUES ($1, $2, $3, $4, $5, $6::jsonb)",
			   6,
			   (const char *[]){ticket_id, kind, actor, customer_visible ? "true" : "false", label,
					    detail_json ? detail_json : "{}"},
			   eb);
}

int rt_emit_ticket_event(pd_txn *tx, const char *topic, Peakdesk__V1__TicketEvent *te, pd_errbuf *eb)
{
	Peakdesk__V1__Envelope env = PEAKDESK__V1__ENVELOPE__INIT;
	env.topic = (char *)topic;
	env.body_case = PEAKDESK__V1__ENVELOPE__BODY_TICKET_EVENT;
	env.ticket_event = te;
	return pd_txn_emit(tx, &env, eb);
}

int rt_emit_message(pd_txn *tx, const char *outbound_id, int channel, const char *account, const char *user,
		    const char *subject, const char *ticket_public_id, const char *text, int reason, pd_errbuf *eb)
{
	Peakdesk__V1__OutboundMessage o = PEAKDESK__V1__OUTBOUND_MESSAGE__INIT;
	o.outbound_id = (char *)outbound_id;
	o.channel = channel;
	o.account = (char *)account;
	o.external_user_id = (char *)user;
	o.subject = (char *)subject;
	o.ticket_public_id = (char *)(ticket_public_id ? ticket_public_id : "");
	o.text = (char *)text;
	o.reason = reason;
	return pd_emit_outbound(tx, &o, eb);
}

int rt_emit_notice(pd_txn *tx, const char *outbound_id, int channel, const char *account, const char *user,
		   const char *subject, const char *text, pd_errbuf *eb)
{
	return rt_emit_message(tx, outbound_id, channel, account, user, subject, NULL, text,
			       PEAKDESK__V1__OUTBOUND_REASON__OUTBOUND_REASON_PROACTIVE_NOTICE, eb);
}
