/* Threading: which ticket a customer's message belongs to. The customer is
 * found by their identity on the channel account (created on first
 * contact); the message joins the ticket named in it (an e-mail's
 * [#PD-...] subject token), else the customer's open ticket, else reopens
 * one resolved less than reopen_hours ago, else opens a new ticket. The
 * message id makes applying the same message twice impossible. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ids.h"
#include "log.h"
#include "roster.h"
#include "router.h"
#include "topics.h"

#define TICKET_OPEN "status NOT IN ('resolved', 'closed')"

struct ticket {
	char ticket_id[PD_UUID_TEXT];
	char public_id[32];
	char customer_id[PD_UUID_TEXT];
	char category[32];
	int priority;
};

static int emit_ticket(pd_txn *tx, const char *topic, Peakdesk__V1__TicketEventKind kind, const struct ticket *t,
		       const Peakdesk__V1__CustomerMessage *m, pd_errbuf *eb)
{
	Peakdesk__V1__TicketEvent te = PEAKDESK__V1__TICKET_EVENT__INIT;
	te.kind = kind;
	te.ticket_id = (char *)t->ticket_id;
	te.public_id = (char *)t->public_id;
	te.customer_id = (char *)t->customer_id;
	te.category = (char *)t->category;
	te.priority = t->priority;
	te.channel = m->channel;
	te.account = m->account;
	return rt_emit_ticket_event(tx, topic, &te, eb);
}

/* The customer behind (account, external user), created on first contact
 * (customer and identity in one statement). known: the customer id already
 * looked up, "" when the identity is new. */
static int find_customer(pd_txn *tx, const Peakdesk__V1__CustomerMessage *m, const char *known,
			 char out[PD_UUID_TEXT], pd_errbuf *eb)
{
	if (*known) {
		snprintf(out, PD_UUID_TEXT, "%s", known);
		return PD_OK;
	}
	pd_uuid_new_text(out);
	return pd_txn_exec(tx,
			   "WITH c AS (INSERT INTO router.customers(customer_id, display_name) VALUES ($4, $5)) "
			   "INSERT INTO router.identities(account, external_user_id, channel, customer_id, display_name) "
			   "VALUES ($1, $2, $3, $4, $5)",
			   5, (const char *[]){m->account, m->external_user_id, pd_channel_name(m->channel), out, m->external_user_name},
			   eb);
}

/* A short subject for agents' lists: the e-mail subject, else the start of
 * the text, cut at a UTF-8 character boundary, on one line. */
static void subject_of(const Peakdesk__V1__CustomerMessage *m, char out[200])
{
	const char *s = *m->subject ? m->subject : m->text;
	size_t n = strlen(s);
	if (n > 180) {
		n = 180;
		while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
			n--;
	}
	memcpy(out, s, n);
	out[n] = 0;
	for (char *p = out; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
}

/* The customer's ticket m joins: the one named in it, else the open one,
 * else one resolved less than reopen_hours ago (locked). *found: there is
 * one; *is_open, *reopen: it is open, or is reopened by m; *state: the
 * row, RT_TICKET_STATE as it will be once m has joined (the caller's). */
static int find_ticket(pd_txn *tx, const Peakdesk__V1__CustomerMessage *m, int reopen_hours, struct ticket *t,
		       int *found, int *is_open, int *reopen, PGresult **state, pd_errbuf *eb)
{
	char hours[12];
	snprintf(hours, sizeof(hours), "%d", reopen_hours);
	int err;
	/* after the UPDATE below: waiting or resolved -> open, and a reopen
	 * starts new next-response and resolution clocks */
#define CLOSED "status IN ('resolved', 'closed')"
	PGresult *r = pd_txn_query(tx,
	      "SELECT " RT_TICKET_STATE("CASE WHEN status IN ('pending_customer', 'resolved', 'closed') THEN 'open' "
					"ELSE status END",
					"first_response_at IS NOT NULL AND (next_response_due IS NULL OR " CLOSED ")",
					"(resolution_due IS NULL OR " CLOSED ")") ", "
	      "ticket_id, status, (" CLOSED " AND resolved_at > now() - make_interval(hours => $3::int)) AS recent "
	      "FROM router.tickets WHERE customer_id = $1 AND ($2 = '' OR public_id = $2) "
	      "ORDER BY (public_id = $2) DESC, (" TICKET_OPEN ") DESC, updated_at DESC LIMIT 1 FOR UPDATE",
	      3, (const char *[]){t->customer_id, m->ticket_public_id, hours}, &err, eb);
#undef CLOSED
	if (!r)
		return err;
	*found = PQntuples(r) == 1;
	if (*found) {
		const int c = RT_TICKET_STATE_COLUMNS;
		snprintf(t->ticket_id, sizeof(t->ticket_id), "%s", PQgetvalue(r, 0, c));
		snprintf(t->public_id, sizeof(t->public_id), "%s", PQgetvalue(r, 0, 1));
		const char *status = PQgetvalue(r, 0, c + 1);
		snprintf(t->category, sizeof(t->category), "%s", PQgetvalue(r, 0, 5));
		t->priority = atoi(PQgetvalue(r, 0, 7));
		*is_open = strcmp(status, "resolved") != 0 && strcmp(status, "closed") != 0;
		int named = *m->ticket_public_id && strcmp(m->ticket_public_id, t->public_id) == 0;
		*reopen = !*is_open && (named || PQgetvalue(r, 0, c + 2)[0] == 't');
	}
	*state = r;
	return PD_OK;
}

static int on_customer_message(pd_txn *tx, const Peakdesk__V1__CustomerMessage *m, const rt_context *ctx,
			       pd_errbuf *eb)
{
	int err;
	/* Already applied? (a message id is unique across the suite) And the
	 * customer behind the identity, if known, in the same round trip. */
	PGresult *r = pd_txn_query(tx,
			"SELECT EXISTS (SELECT 1 FROM router.ticket_messages WHERE message_id = $1), "
			"(SELECT coalesce(c.merged_into, c.customer_id) FROM router.identities i "
			" JOIN router.customers c USING (customer_id) WHERE i.account = $2 AND i.external_user_id = $3)",
			3, (const char *[]){m->message_id, m->account, m->external_user_id}, &err, eb);
	if (!r)
		return err;
	if (PQgetvalue(r, 0, 0)[0] == 't') {
		PQclear(r);
		return PD_OK;
	}
	struct ticket t = {.priority = 2};
	snprintf(t.category, sizeof(t.category), "unclassified");
	int new_customer = !*PQgetvalue(r, 0, 1);
	int rc = find_customer(tx, m, PQgetvalue(r, 0, 1), t.customer_id, eb);
	PQclear(r);
	if (rc != PD_OK)
		return rc;
	/* Channel events (a WeChat follow, a menu click) say who the customer
	 * is but ask nothing: they must not open tickets or take an agent. */
	if (strncmp(m->message_type, "event:", 6) == 0)
		return PD_OK;
	int64_t sent_ms = m->sent_at_ms ? m->sent_at_ms : pd_now_ms();
	int survey_answer;
	if ((rc = rt_take_survey_reply(tx, m, sent_ms, &survey_answer, eb)) != PD_OK || survey_answer)
		return rc;
	/* The same order or phone from another identity: one customer, so the
	 * message threads with that customer's open ticket. */
	char created[PD_UUID_TEXT];
	snprintf(created, sizeof(created), "%s", t.customer_id);
	rt_merge_notes merges = {0};
	rc = rt_merge_identities(tx, t.customer_id, m->text, &merges, eb);
	char sent[24];
	snprintf(sent, sizeof(sent), "%lld", (long long)sent_ms);
	/* A customer met just now (and not merged into an older one) has no
	 * ticket to join. */
	int found = 0, reopen = 0, is_open = 0;
	PGresult *state = NULL;
	if (rc == PD_OK && !(new_customer && strcmp(created, t.customer_id) == 0))
		rc = find_ticket(tx, m, ctx->reopen_hours, &t, &found, &is_open, &reopen, &state, eb);
	int joins = found && (is_open || reopen);
	if (!joins) {
		PQclear(state);
		state = NULL;
	}
	if (rc != PD_OK) {
		rt_merge_notes_free(&merges);
		return rc;
	}
	char subject[200];
	rt_new_ticket fresh = {.ticket_id = t.ticket_id, .public_id = t.public_id, .customer_id = t.customer_id,
			       .subject = subject, .sent = sent, .m = m};
	if (joins) {
		/* the ticket's own UPDATE is rt_decide's, with the decision */
		if (reopen) {
			rc = rt_timeline_add(tx, t.ticket_id, "reopened", "customer", 1, "您的工单已重新打开 / Your request was reopened", NULL, eb);
			if (rc == PD_OK)
				rc = emit_ticket(tx, "ticket.reopened", PEAKDESK__V1__TICKET_EVENT_KIND__TICKET_EVENT_KIND_REOPENED,
						 &t, m, eb);
		}
	} else {
		subject_of(m, subject);
		pd_uuid_new_text(t.ticket_id);
		pd_public_id_new(t.public_id);
		/* Inserted once, decided, by rt_decide; until then what refers
		 * to it waits. */
		pd_txn_hold_writes(tx);
		rc = rt_timeline_add(tx, t.ticket_id, "created", "customer", 1, "已收到您的消息 / We received your message", NULL, eb);
		if (rc == PD_OK)
			rc = emit_ticket(tx, "ticket.created", PEAKDESK__V1__TICKET_EVENT_KIND__TICKET_EVENT_KIND_CREATED, &t, m, eb);
	}
	if (rc == PD_OK)
		rc = pd_txn_exec(tx,
			    "INSERT INTO router.ticket_messages(message_id, ticket_id, direction, text, at) "
			    "VALUES ($1, $2, 'in', $3, to_timestamp($4::bigint / 1000.0))",
			    4, (const char *[]){m->message_id, t.ticket_id, m->text, sent}, eb);
	if (rc == PD_OK && joins)
		rc = rt_timeline_add(tx, t.ticket_id, "message", "customer", 1, "您发送了新消息 / You wrote to us", NULL, eb);
	if (rc == PD_OK)
		rc = rt_merges_note(tx, t.ticket_id, &merges, eb);
	rt_merge_notes_free(&merges);
	if (rc == PD_OK) /* rt_decide takes the state */
		rc = rt_decide(tx, ctx, t.ticket_id, joins ? NULL : &fresh, state, joins ? sent : NULL, m, eb);
	else
		PQclear(state);
	return rc;
}

int rt_apply_event(pd_txn *tx, const Peakdesk__V1__Envelope *env, void *arg, pd_errbuf *eb)
{
	const rt_context *ctx = arg;
	int rc = PD_OK;
	if (!rt_partition_owns(&ctx->partition, env))
		return PD_OK; /* another instance's share; the offset still moves on */
	if (env->body_case == PEAKDESK__V1__ENVELOPE__BODY_CUSTOMER_MESSAGE) {
		rc = on_customer_message(tx, env->customer_message, ctx, eb);
		goto out;
	}
	/* Anything else may change agents (presence, capacity, tickets
	 * resolved or moved): later picks in this transaction read them again. */
	rt_roster_forget();
	if (env->body_case == PEAKDESK__V1__ENVELOPE__BODY_AGENT_COMMAND)
		rc = rt_apply_command(tx, env, eb);
	else if (env->body_case == PEAKDESK__V1__ENVELOPE__BODY_SHIPMENT_DELAYED)
		rc = rt_apply_proactive(tx, env, eb);
	else if (env->body_case == PEAKDESK__V1__ENVELOPE__BODY_RETURN_UPDATE)
		rc = rt_apply_return(tx, env, eb);
	else if (env->body_case == PEAKDESK__V1__ENVELOPE__BODY_SHIPMENT_UPDATED)
		rc = rt_apply_parcel_delivered(tx, env, eb);
	else if (env->body_case == PEAKDESK__V1__ENVELOPE__BODY_STOCK_SHORTAGE ||
		 env->body_case == PEAKDESK__V1__ENVELOPE__BODY_STOCK_RESTOCKED)
		rc = rt_apply_stock(tx, env, eb);
	else if (env->body_case == PEAKDESK__V1__ENVELOPE__BODY_SURVEY_RESPONSE && strcmp(env->topic, "survey.low_score") == 0)
		rc = rt_apply_low_score(tx, ctx, env, eb);
out:
	if (rc != PD_OK)
		pd_log_warn("event not applied", "publisher=%s seq=%llu topic=%s detail=\"%s\"", env->publisher,
			    (unsigned long long)env->seq, env->topic, eb->msg);
	return rc;
}
