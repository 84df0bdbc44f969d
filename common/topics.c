/* Topic catalogue (see topics.h). */
#include "topics.h"
#include "bus.h"

#include <stdlib.h>
#include <string.h>

#define B(x) PEAKDESK__V1__ENVELOPE__BODY_##x

const pd_topic pd_topics[] = {
	{"message.inbound", B(CUSTOMER_MESSAGE), NULL, "a customer's message, stored by the gateway"},
	{"message.outbound", B(OUTBOUND_MESSAGE), NULL, "a message for the gateway to deliver"},
	{"message.delivery", B(DELIVERY_STATUS), NULL, "what became of an outbound message"},
	{"agent.command", B(AGENT_COMMAND), NULL, "an agent's action from the agent API"},
	{"ticket.created", B(TICKET_EVENT), NULL, "router opened a ticket"},
	{"ticket.assigned", B(TICKET_EVENT), NULL, "router assigned a ticket"},
	{"ticket.escalated", B(TICKET_EVENT), NULL, "ticket moved up a tier"},
	{"ticket.sla_breached", B(TICKET_EVENT), NULL, "an SLA clock passed its deadline"},
	{"ticket.resolved", B(TICKET_EVENT), NULL, "ticket resolved"},
	{"ticket.reopened", B(TICKET_EVENT), NULL, "ticket reopened"},
	{"ticket.follow_up_due", B(TICKET_EVENT), NULL, "an agent's commitment to a customer is about due"},
	{"ticket.survey_reply", B(TICKET_EVENT), NULL, "a customer answered a survey invitation on the channel"},
	{"logistics.order", B(ORDER), "logistics", "order awaiting fulfilment (department ingest)"},
	{"logistics.shipment", B(SHIPMENT_UPDATE), "logistics", "shipment state change (department ingest)"},
	{"logistics.tracking", B(TRACKING_SCAN), "logistics", "carrier scan (department ingest)"},
	{"logistics.return", B(RETURN_UPDATE), "logistics", "return workflow step (department ingest)"},
	{"logistics.shipment_updated", B(SHIPMENT_UPDATED), NULL, "a shipment changed"},
	{"logistics.delayed", B(SHIPMENT_DELAYED), NULL, "a shipment is late (once per episode)"},
	{"logistics.exception", B(SHIPMENT_EXCEPTION), NULL, "a shipment hit a carrier exception"},
	{"logistics.return_updated", B(RETURN_UPDATE), NULL, "a return moved a step"},
	{"stock.level", B(STOCK_LEVEL), "stock", "stock level report (department ingest)"},
	{"stock.level_changed", B(STOCK_LEVEL), NULL, "a SKU's level changed"},
	{"stock.shortage", B(STOCK_SHORTAGE), NULL, "a SKU ran out, with the affected orders"},
	{"stock.restocked", B(STOCK_RESTOCKED), NULL, "a SKU is back"},
	{"stock.low", B(STOCK_RESTOCKED), NULL, "a SKU is about to run out"},
	{"promo.campaign", B(CAMPAIGN), "promo", "campaign definition (operations ingest)"},
	{"promo.sales_target", B(SALES_TARGET), "promo", "sales target (operations ingest)"},
	{"promo.campaign_updated", B(CAMPAIGN), NULL, "a campaign went live or changed"},
	{"promo.forecast_updated", B(STAFFING_FORECAST), NULL, "new staffing forecast"},
	{"survey.invitation_sent", B(SURVEY_INVITATION), NULL, "a survey invitation went out"},
	{"survey.response_recorded", B(SURVEY_RESPONSE), NULL, "a survey answer was stored"},
	{"survey.low_score", B(SURVEY_RESPONSE), NULL, "an unhappy answer to recover"},
	{PD_TOPIC_HEARTBEAT, B(HEARTBEAT), NULL, "publisher heartbeat with its last seq"},
	{NULL, B(_NOT_SET), NULL, NULL},
};

const pd_topic *pd_topic_find(const char *name)
{
	for (const pd_topic *t = pd_topics; name && t->name; t++)
		if (strcmp(t->name, name) == 0)
			return t;
	return NULL;
}

const pd_topic *pd_topic_for_ingest_body(Peakdesk__V1__Envelope__BodyCase body)
{
	for (const pd_topic *t = pd_topics; t->name; t++)
		if (t->body == body && t->ingest_service)
			return t;
	return NULL;
}

int pd_topic_check_ingest(Peakdesk__V1__Envelope *env, const char *service, pd_errbuf *eb)
{
	static const uint8_t zero[16];
	if (env->event_id.len != 16)
		return pd_fail(eb, PD_EINVAL, "event_id must be a 16-byte UUID, got %zu bytes",
			       env->event_id.len);
	if (memcmp(env->event_id.data, zero, 16) == 0)
		return pd_fail(eb, PD_EINVAL, "event_id must not be all zero");
	if (env->body_case == B(_NOT_SET))
		return pd_fail(eb, PD_EINVAL, "no body: set exactly one event body");
	const pd_topic *t;
	if (!env->topic || !*env->topic) {
		t = pd_topic_for_ingest_body(env->body_case);
		if (!t)
			return pd_fail(eb, PD_EINVAL, "this body cannot be ingested by a department");
		/* protobuf-c frees a string unless it is the descriptor default; a
		 * static catalogue string would be freed, so the caller's message
		 * owns a copy. */
		if (env->topic && env->topic != (char *)protobuf_c_empty_string)
			free(env->topic);
		env->topic = pd_xstrdup(t->name);
	} else {
		t = pd_topic_find(env->topic);
		if (!t)
			return pd_fail(eb, PD_EINVAL, "unknown topic \"%.64s\"", env->topic);
		if (t->body != env->body_case)
			return pd_fail(eb, PD_EINVAL, "topic %s does not carry this body", t->name);
	}
	if (!t->ingest_service || strcmp(t->ingest_service, service) != 0)
		return pd_fail(eb, PD_EINVAL, "topic %s is not accepted by the %s service%s%s",
			       t->name, service, t->ingest_service ? "; send it to " : "",
			       t->ingest_service ? t->ingest_service : "");
	/* 2000-01-01 .. 2100-01-01: catches seconds sent where ms are expected. */
	if (env->occurred_at_ms != 0 &&
	    (env->occurred_at_ms < 946684800000LL || env->occurred_at_ms > 4102444800000LL))
		return pd_fail(eb, PD_EINVAL, "occurred_at_ms %lld is not unix milliseconds between 2000 and 2100",
			       (long long)env->occurred_at_ms);
	return PD_OK;
}

const char *pd_channel_name(int kind)
{
	switch (kind) {
	case PEAKDESK__V1__CHANNEL_KIND__CHANNEL_KIND_WEBHOOK: return "webhook";
	case PEAKDESK__V1__CHANNEL_KIND__CHANNEL_KIND_WECHAT: return "wechat";
	case PEAKDESK__V1__CHANNEL_KIND__CHANNEL_KIND_EMAIL: return "email";
	default: return "";
	}
}

int pd_channel_parse(const char *name)
{
	if (name && strcmp(name, "wechat") == 0)
		return PEAKDESK__V1__CHANNEL_KIND__CHANNEL_KIND_WECHAT;
	if (name && strcmp(name, "email") == 0)
		return PEAKDESK__V1__CHANNEL_KIND__CHANNEL_KIND_EMAIL;
	return PEAKDESK__V1__CHANNEL_KIND__CHANNEL_KIND_WEBHOOK;
}

int pd_emit_outbound(pd_txn *tx, Peakdesk__V1__OutboundMessage *o, pd_errbuf *eb)
{
	Peakdesk__V1__Envelope env = PEAKDESK__V1__ENVELOPE__INIT;
	env.topic = "message.outbound";
	env.body_case = PEAKDESK__V1__ENVELOPE__BODY_OUTBOUND_MESSAGE;
	env.outbound_message = o;
	return pd_txn_emit(tx, &env, eb);
}
