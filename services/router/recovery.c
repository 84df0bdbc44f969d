/* Surveys meet tickets here. A customer's bare "5" to an invitation whose
 * link still works is an answer, not a new question: it is kept on the
 * surveyed ticket and handed to the survey collector (ticket.survey_reply)
 * without reopening anything; a second one too, so the collector can tell
 * the customer it was answered already. A low score comes back as survey.low_score and becomes a
 * service-recovery ticket for a team lead, linked to the original, so
 * someone reaches the unhappy customer before the bad review does. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ids.h"
#include "log.h"
#include "router.h"
#include "survey_answer.h"
#include "topics.h"

/* Cheap test before any query: answers are short and start with a digit
 * (ASCII or full-width, which starts with 0xEF in UTF-8). */
static int may_be_answer(const char *text)
{
	size_t n = strlen(text);
	while (n && (text[0] == ' ' || text[0] == '\n'))
		text++, n--;
	return n > 0 && n <= 64 && ((text[0] >= '0' && text[0] <= '9') || (unsigned char)text[0] == 0xEF);
}

int rt_take_survey_reply(pd_txn *tx, const Peakdesk__V1__CustomerMessage *m, int64_t sent_ms, int *taken,
			 pd_errbuf *eb)
{
	*taken = 0;
	if (!may_be_answer(m->text))
		return PD_OK;
	int err;
	PGresult *r = pd_txn_query(tx,
			"SELECT i.invitation_id, i.kind, t.ticket_id, t.public_id, t.customer_id, t.category "
			"FROM survey.invitations i JOIN router.tickets t USING (ticket_id) "
			"WHERE i.account = $1 AND i.external_user_id = $2 AND i.state IN ('sent', 'answered') "
			"  AND i.expires_at > now() "
			"ORDER BY i.sent_at DESC LIMIT 1",
			2, (const char *[]){m->account, m->external_user_id}, &err, eb);
	if (!r)
		return err;
	pd_survey_scores s;
	if (PQntuples(r) != 1 ||
	    !pd_survey_parse_reply(pd_survey_kind_parse(PQgetvalue(r, 0, 1)), m->text, strlen(m->text), &s)) {
		PQclear(r);
		return PD_OK;
	}
	*taken = 1;
	const char *ticket_id = PQgetvalue(r, 0, 2);
	char sent[24];
	snprintf(sent, sizeof(sent), "%lld", (long long)sent_ms);
	int rc = pd_txn_exec(tx,
			     "INSERT INTO router.ticket_messages(message_id, ticket_id, direction, text, at) "
			     "VALUES ($1, $2, 'in', $3, to_timestamp($4::bigint / 1000.0))",
			     4, (const char *[]){m->message_id, ticket_id, m->text, sent}, eb);
	if (rc == PD_OK)
		rc = rt_timeline_add(tx, ticket_id, "survey_reply", "customer", 1, "您的评价已收到 / Thank you for your rating",
				     NULL, eb);
	if (rc == PD_OK) {
		Peakdesk__V1__TicketEvent te = PEAKDESK__V1__TICKET_EVENT__INIT;
		te.kind = PEAKDESK__V1__TICKET_EVENT_KIND__TICKET_EVENT_KIND_SURVEY_REPLY;
		te.ticket_id = (char *)ticket_id;
		te.public_id = PQgetvalue(r, 0, 3);
		te.customer_id = PQgetvalue(r, 0, 4);
		te.category = PQgetvalue(r, 0, 5);
		te.channel = m->channel;
		te.account = m->account;
		te.note = m->text;
		te.invitation_id = PQgetvalue(r, 0, 0);
		rc = rt_emit_ticket_event(tx, "ticket.survey_reply", &te, eb);
	}
	PQclear(r);
	return rc;
}

/* "CSAT 1, attitude 2: 态度太差" for the lead's subject and notes. */
static void describe(const Peakdesk__V1__SurveyResponse *sr, char *out, size_t len)
{
	size_t n = 0;
	out[0] = 0;
	if (sr->csat)
		n += (size_t)snprintf(out + n, len - n, "CSAT %d ", sr->csat);
	if (sr->description_score && n < len)
		n += (size_t)snprintf(out + n, len - n, "描述 %d 态度 %d 物流 %d ", sr->description_score, sr->attitude_score,
				      sr->logistics_score);
	if (sr->nps >= 0 && sr->kind == PEAKDESK__V1__SURVEY_KIND__SURVEY_KIND_NPS && n < len)
		n += (size_t)snprintf(out + n, len - n, "NPS %d ", sr->nps);
	if (*sr->comment && n < len)
		snprintf(out + n, len - n, "「%.300s」", sr->comment);
}

int rt_apply_low_score(pd_txn *tx, const rt_context *ctx, const Peakdesk__V1__Envelope *env, pd_errbuf *eb)
{
	const Peakdesk__V1__SurveyResponse *sr = env->survey_response;
	int err;
	PGresult *o = pd_txn_query(tx,
			"SELECT t.ticket_id, t.public_id, coalesce(c.merged_into, t.customer_id), t.channel, t.account, "
			"  t.external_user_id, t.group_name, t.agent_id, "
			"  EXISTS (SELECT 1 FROM router.ticket_refs r WHERE r.kind = 'recovers' AND r.value = t.public_id) "
			"FROM router.tickets t JOIN router.customers c USING (customer_id) WHERE t.public_id = $1",
			1, (const char *[]){sr->ticket_public_id}, &err, eb);
	if (!o)
		return err;
	if (PQntuples(o) != 1 || PQgetvalue(o, 0, 8)[0] == 't') { /* unknown, or recovered already */
		PQclear(o);
		return PD_OK;
	}
	char what[600], subject[700], id[PD_UUID_TEXT], public_id[24];
	describe(sr, what, sizeof(what));
	snprintf(subject, sizeof(subject), "低分回访 / Service recovery %s: %s", sr->ticket_public_id, what);
	pd_uuid_new_text(id);
	pd_public_id_new(public_id);
	/* A team lead calls back: urgent, in the group that served the
	 * customer, for the lead tier and above. */
	int rc = pd_txn_exec(tx,
			     "INSERT INTO router.tickets(ticket_id, public_id, customer_id, channel, account, external_user_id, "
			     "  subject, category, priority, group_name, escalation_tier, tags, last_customer_message_at) "
			     "VALUES ($1, $2, $3, $4, $5, $6, $7, 'complaint', 4::smallint, $8, 'lead', '{service_recovery}', now())",
			     8,
			     (const char *[]){id, public_id, PQgetvalue(o, 0, 2), PQgetvalue(o, 0, 3), PQgetvalue(o, 0, 4),
					      PQgetvalue(o, 0, 5), subject, PQgetvalue(o, 0, 6)},
			     eb);
	if (rc == PD_OK)
		rc = pd_txn_exec(tx, "INSERT INTO router.ticket_refs(ticket_id, kind, value) VALUES ($1, 'recovers', $2)", 2,
				 (const char *[]){id, sr->ticket_public_id}, eb);
	char label[800];
	snprintf(label, sizeof(label), "客户评价低分（%s），已开回访工单 %s / Low survey score; recovery ticket %s", what,
		 public_id, public_id);
	if (rc == PD_OK)
		rc = rt_timeline_add(tx, PQgetvalue(o, 0, 0), "survey_low_score", "survey", 0, label, NULL, eb);
	snprintf(label, sizeof(label), "低分回访：原工单 %s（%s；原处理人 %s）/ Recovery of %s", sr->ticket_public_id, what,
		 *PQgetvalue(o, 0, 7) ? PQgetvalue(o, 0, 7) : "-", sr->ticket_public_id);
	if (rc == PD_OK)
		rc = rt_timeline_add(tx, id, "created", "survey", 0, label, NULL, eb);
	if (rc == PD_OK) {
		Peakdesk__V1__TicketEvent te = PEAKDESK__V1__TICKET_EVENT__INIT;
		te.kind = PEAKDESK__V1__TICKET_EVENT_KIND__TICKET_EVENT_KIND_CREATED;
		te.ticket_id = id;
		te.public_id = public_id;
		te.customer_id = PQgetvalue(o, 0, 2);
		te.category = "complaint";
		te.priority = PEAKDESK__V1__PRIORITY__PRIORITY_URGENT;
		te.group = PQgetvalue(o, 0, 6);
		te.tier = "lead";
		te.channel = pd_channel_parse(PQgetvalue(o, 0, 3));
		te.account = PQgetvalue(o, 0, 4);
		rc = rt_emit_ticket_event(tx, "ticket.created", &te, eb);
	}
	if (rc == PD_OK)
		rc = rt_route_ticket(tx, ctx, id, eb);
	if (rc == PD_OK)
		pd_log_info("service recovery ticket opened", "ticket=%s recovers=%s", public_id, sr->ticket_public_id);
	PQclear(o);
	return rc;
}
