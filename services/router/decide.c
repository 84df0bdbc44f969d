/* After a customer's message is threaded: classify it (category, priority,
 * group, tags), link the order / tracking numbers it mentions, answer it
 * from live facts when a rule says so (reply_facts.c), recompute the
 * ticket's bad-review risk with the signals that explain it, and assign the
 * ticket to the least-loaded online agent of its group when it has none
 * (roster.c). The decisions are the pure modules'; this file reads and
 * writes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "assign.h"
#include "classify.h"
#include "extract.h"
#include "ids.h"
#include "log.h"
#include "risk.h"
#include "roster.h"
#include "router.h"
#include "sla.h"
#include "topics.h"

/* What the router decides about one ticket: read once (ticket_read; a
 * ticket this message opened is known, ticket_fresh), the decisions taken
 * in memory by the steps below, written back with one UPDATE, or inserted
 * once for a new ticket (ticket_write). Every router.tickets UPDATE
 * touching an indexed column rewrites all the table's index entries, so
 * four updates per message (classification, risk, SLA clocks, agent) cost
 * four times that; reads between them would only see what this process
 * wrote. */
typedef struct decision {
	const char *ticket_id;
	PGresult *row; /* the ticket as read; the strings below point into it */
	const char *group, *public_id, *customer_id, *channel, *account, *category, *status;
	int priority, min_tier, has_agent, first_due_unset, next_due_unset, resolution_due_unset;
	/* opened by this message: no signals, refs or clocks yet, and not
	 * inserted until ticket_write */
	const rt_new_ticket *fresh;
	int auto_answered; /* fresh, answered by an auto-reply: waits on the customer */
	pd_strbuf ref_kinds, ref_values; /* the refs the message names, array literals */
	/* decided: NULL / -1 / "" = leave the column as it is */
	const char *new_category, *new_group, *rule_id;
	pd_strbuf tags;      /* array literal; replaces tags when new_category, else joins them */
	int risk_score, risk_flagged;
	char due[3][24]; /* first response, next response, resolution: ms from now, "" = as is */
	char *sla_campaign; /* owned */
	char agent[72];
	/* m joined this existing ticket: the sent time (ms) to write with the
	 * decision (what the join changes, in the same UPDATE); NULL = no join
	 * left to write */
	const char *joined_sent;
} decision;

/* Takes row (RT_TICKET_STATE first) as the ticket's state. */
static void ticket_state(const char *ticket_id, PGresult *row, decision *d, int *found)
{
	memset(d, 0, sizeof(*d));
	d->ticket_id = ticket_id;
	d->risk_score = -1;
	d->row = row;
	*found = PQntuples(row) == 1;
	if (!*found)
		return;
	const char **str[] = {&d->group, &d->public_id, &d->customer_id, &d->channel, &d->account, &d->category, &d->status};
	for (int i = 0; i < 7; i++)
		*str[i] = PQgetvalue(row, 0, i);
	d->priority = atoi(PQgetvalue(row, 0, 7));
	int tier = rt_tier_parse(PQgetvalue(row, 0, 8));
	d->min_tier = tier > 0 ? tier : 0;
	d->has_agent = PQgetvalue(row, 0, 9)[0] == 't';
	d->first_due_unset = PQgetvalue(row, 0, 10)[0] == 't';
	d->next_due_unset = PQgetvalue(row, 0, 11)[0] == 't';
	d->resolution_due_unset = PQgetvalue(row, 0, 12)[0] == 't';
}

/* Reads the ticket. waiting: only while it still waits for an agent, locked
 * (skipped when another router instance holds it: it is being decided
 * there), so an assignment made elsewhere since the queue was read is
 * never overwritten. Otherwise the caller holds the ticket's lock already
 * (threading.c, recovery.c). */
static int ticket_read(pd_txn *tx, const char *ticket_id, int waiting, decision *d, int *found, pd_errbuf *eb)
{
	int err;
	*found = 0;
#define TICKET_READ(tail)                                                                                      \
	"SELECT " RT_TICKET_STATE("status", "first_response_at IS NOT NULL AND next_response_due IS NULL",       \
				  "resolution_due IS NULL") " FROM router.tickets WHERE ticket_id = $1" tail
	PGresult *row = pd_txn_query(tx,
				     waiting ? TICKET_READ(" AND agent_id = '' AND status = 'open' FOR UPDATE SKIP LOCKED")
					     : TICKET_READ(""),
				     1, (const char *[]){ticket_id}, &err, eb);
#undef TICKET_READ
	if (!row) {
		memset(d, 0, sizeof(*d));
		return err;
	}
	ticket_state(ticket_id, row, d, found);
	return PD_OK;
}

/* The state threading.c gave a ticket it has just inserted. */
static void ticket_fresh(const char *ticket_id, const rt_new_ticket *t, const Peakdesk__V1__CustomerMessage *m,
			 decision *d)
{
	memset(d, 0, sizeof(*d));
	d->ticket_id = ticket_id;
	d->risk_score = -1;
	d->fresh = t;
	d->group = "";
	d->public_id = t->public_id;
	d->customer_id = t->customer_id;
	d->channel = pd_channel_name(m->channel);
	d->account = m->account;
	d->category = "unclassified";
	d->status = "open";
	d->priority = 2;
	d->first_due_unset = d->resolution_due_unset = 1;
}

static void decision_free(decision *d)
{
	free(d->sla_campaign);
	pd_sb_free(&d->tags);
	pd_sb_free(&d->ref_kinds);
	pd_sb_free(&d->ref_values);
	PQclear(d->row);
}

static void raise_priority(decision *d, int p)
{
	if (p > d->priority)
		d->priority = p;
}

/* The group the ticket is routed to once this decision is written. */
static const char *group_of(const decision *d)
{
	return *d->group || !d->new_group ? d->group : d->new_group;
}

/* Classifies m. The ticket takes the category only while it has none (or
 * only the fallback): later small talk must not reclassify a complaint, but
 * what a later message is about (a quality complaint after an invoice
 * question) joins the tags, for agents and product feedback. The rule's
 * auto-reply template, if any, is returned for this message. */
static void classify(const rt_context *ctx, decision *d, const Peakdesk__V1__CustomerMessage *m, char auto_reply[40])
{
	auto_reply[0] = 0;
	rt_input in = {.text = m->text, .len = strlen(m->text), .channel = m->channel};
	rt_result res;
	if (rt_classify(ctx->rules, &in, &res) != PD_OK || res.n_applied == 0 || res.category == RT_CAT_NONE)
		return;
	if (res.auto_reply)
		snprintf(auto_reply, 40, "%s", res.auto_reply);
	pd_sb_add(&d->tags, "{", 1);
	for (size_t i = 0; i < res.n_tags; i++)
		pd_sb_array_elem(&d->tags, res.tags[i]);
	pd_sb_add(&d->tags, "}", 1);
	if (strcmp(d->category, "unclassified") != 0 && strcmp(d->category, "other") != 0)
		return;
	d->new_category = res.category_name;
	d->new_group = res.group ? res.group : "";
	d->rule_id = res.rule_id;
	raise_priority(d, res.priority ? res.priority : 2);
}

/* Links the order / tracking numbers m names to the ticket; d keeps them
 * for an auto-reply's lookups. */
static int link_refs(pd_txn *tx, decision *d, const char *text, pd_errbuf *eb)
{
	rt_ref refs[16];
	size_t n = rt_extract(NULL, text, strlen(text), refs, 16);
	if (n > 16)
		n = 16;
	pd_strbuf *cols[] = {&d->ref_kinds, &d->ref_values};
	pd_sb_arrays_open(cols, 2);
	for (size_t i = 0; i < n; i++) {
		pd_sb_array_elem(&d->ref_kinds, rt_ref_kind_name(refs[i].kind));
		pd_sb_array_elem(&d->ref_values, refs[i].value);
	}
	pd_sb_arrays_close(cols, 2);
	if (n == 0)
		return PD_OK;
	return pd_txn_exec(tx,
			   "INSERT INTO router.ticket_refs(ticket_id, kind, value) "
			   "SELECT $1, k, v FROM unnest($2::text[], $3::text[]) AS r(k, v) ON CONFLICT DO NOTHING",
			   3, (const char *[]){d->ticket_id, d->ref_kinds.s, d->ref_values.s}, eb);
}

/* The bad-review risk from the ticket's last 30 messages (of a ticket m
 * has just opened: m alone); the signals that explain it replace the
 * previous ones, the score goes into d. */
static int risk(pd_txn *tx, decision *d, const Peakdesk__V1__CustomerMessage *m, pd_errbuf *eb)
{
	int err;
	PGresult *r = d->fresh ? NULL
			       : pd_txn_query(tx,
				      "SELECT direction, (extract(epoch FROM at) * 1000)::bigint, text FROM ("
				      " SELECT direction, at, text FROM router.ticket_messages WHERE ticket_id = $1 "
				      " ORDER BY at DESC LIMIT 30) m ORDER BY at",
				      1, (const char *[]){d->ticket_id}, &err, eb);
	if (!d->fresh && !r)
		return err;
	size_t n = r ? (size_t)PQntuples(r) : 1;
	rt_risk_message *msgs = pd_xcalloc(n + 1, sizeof(*msgs));
	if (!r)
		msgs[0] = (rt_risk_message){.author = RT_AUTHOR_CUSTOMER,
					    .at_ms = m->sent_at_ms ? m->sent_at_ms : pd_now_ms(),
					    .text = m->text};
	for (size_t i = 0; r && i < n; i++) {
		msgs[i].author = PQgetvalue(r, (int)i, 0)[0] == 'i' ? RT_AUTHOR_CUSTOMER : RT_AUTHOR_AGENT;
		msgs[i].at_ms = strtoll(PQgetvalue(r, (int)i, 1), NULL, 10);
		msgs[i].text = PQgetvalue(r, (int)i, 2);
	}
	rt_risk_policy pol = RT_RISK_POLICY_DEFAULT;
	rt_risk_result res;
	pd_errbuf reb = {{0}};
	int rc = rt_risk_evaluate(msgs, n, 0, pd_now_ms(), &pol, &res, &reb);
	free(msgs);
	PQclear(r);
	if (rc != PD_OK) {
		pd_log_warn("risk not evaluated", "ticket_id=%s detail=\"%s\"", d->ticket_id, reb.msg);
		return PD_OK;
	}
	d->risk_score = res.score;
	d->risk_flagged = res.flagged;
	raise_priority(d, rt_risk_priority(1, res.score, &pol));
	if (!d->fresh)
		rc = pd_txn_exec(tx, "DELETE FROM router.ticket_risk_signals WHERE ticket_id = $1", 1,
				 (const char *[]){d->ticket_id}, eb);
	if (rc != PD_OK || res.n_signals == 0)
		return rc;
	pd_strbuf codes = {0}, weights = {0}, evidence = {0}, *cols[] = {&codes, &weights, &evidence};
	pd_sb_arrays_open(cols, 3);
	for (size_t i = 0; i < res.n_signals; i++) {
		char w[16];
		snprintf(w, sizeof(w), "%d", res.signals[i].weight);
		pd_sb_array_elem(&codes, rt_risk_code_name(res.signals[i].code));
		pd_sb_array_elem(&weights, w);
		pd_sb_array_elem(&evidence, res.signals[i].evidence);
	}
	pd_sb_arrays_close(cols, 3);
	rc = pd_txn_exec(tx,
			 "INSERT INTO router.ticket_risk_signals(ticket_id, code, weight, evidence) "
			 "SELECT $1, c, w, e FROM unnest($2::text[], $3::int[], $4::text[]) AS s(c, w, e)",
			 4, (const char *[]){d->ticket_id, codes.s, weights.s, evidence.s}, eb);
	pd_sb_arrays_free(cols, 3);
	return rc;
}

/* The least-loaded online agent of the ticket's group with room, if it has
 * none yet (d->agent stays "" when nobody can take it: it waits in the
 * queue); roster.h says how the place is taken. */
static int assign(pd_txn *tx, decision *d, pd_errbuf *eb)
{
	if (d->has_agent)
		return PD_OK;
	const char *group = group_of(d);
	rt_queued qt = {.id = d->ticket_id, .skill = *group ? group : NULL, .priority = d->priority,
			.min_tier = d->min_tier, .created_at_ms = pd_now_ms()};
	return rt_roster_take(tx, group, &qt, d->agent, sizeof(d->agent), eb);
}

/* The SLA clocks a customer message starts, under the policy in force now
 * (a running campaign's overrides), each set once per cycle: the first
 * response of a new ticket, the next response once an agent has answered
 * before, and the resolution of a new or reopened ticket. The targets come
 * from the ticket's (possibly just raised) priority and its channel. */
static int set_due(pd_txn *tx, const rt_context *ctx, decision *d, pd_errbuf *eb)
{
	if (strcmp(d->status, "resolved") == 0 || strcmp(d->status, "closed") == 0)
		return PD_OK;
	int first = d->first_due_unset, next = d->next_due_unset && strcmp(d->status, "open") == 0,
	    resolution = d->resolution_due_unset;
	if (!first && !next && !resolution)
		return PD_OK;
	int64_t now = pd_now_ms();
	const rt_loaded_policy *pol;
	int rc = rt_sla_policy_current(tx, now, &pol, eb);
	if (rc != PD_OK)
		return rc;
	static const int kinds[3] = {PEAKDESK__V1__SLA_KIND__SLA_KIND_FIRST_RESPONSE, PEAKDESK__V1__SLA_KIND__SLA_KIND_NEXT_RESPONSE,
				     PEAKDESK__V1__SLA_KIND__SLA_KIND_RESOLUTION};
	int wanted[3] = {first, next, resolution};
	for (size_t i = 0; i < 3; i++) {
		if (!wanted[i])
			continue;
		/* the first response's campaign is the one the ticket is held to */
		const char *campaign = NULL;
		snprintf(d->due[i], sizeof(d->due[i]), "%lld",
			 (long long)rt_sla_target_ms(ctx, pol, kinds[i], d->priority, d->channel, now, i == 0 ? &campaign : NULL));
		/* the campaign id points into the policy's rows: d keeps a copy */
		if (campaign)
			d->sla_campaign = pd_xstrdup(campaign);
	}
	return PD_OK;
}

/* The ticket m opened, inserted once with everything decided (what the
 * UPDATE below, and wait_after_auto_answer, would make of a row inserted
 * undecided), then the writes held back for it. */
static int insert_decided(pd_txn *tx, decision *d, const char *prio, const char *score, pd_errbuf *eb)
{
	const rt_new_ticket *t = d->fresh;
	const Peakdesk__V1__CustomerMessage *m = t->m;
	const char *vals[] = {t->ticket_id, t->public_id, t->customer_id, pd_channel_name(m->channel), m->account,
			      m->external_user_id, t->subject, t->sent,
			      d->new_category, d->new_group, d->rule_id, d->tags.s, prio,
			      d->risk_score >= 0 ? score : NULL,
			      d->risk_score >= 0 ? (d->risk_flagged ? "true" : "false") : NULL,
			      d->due[0], d->due[1], d->due[2], d->sla_campaign, d->agent,
			      d->auto_answered ? "true" : "false"};
	return pd_txn_exec_then_held(tx,
			"INSERT INTO router.tickets(ticket_id, public_id, customer_id, channel, account, external_user_id, "
			"subject, last_customer_message_at, category, group_name, rule_id, tags, priority, risk_score, "
			"risk_flagged, first_response_due, next_response_due, resolution_due, sla_campaign_id, agent_id, "
			"assigned_at, status, auto_answered_at, sla_paused_since) "
			"VALUES ($1, $2, $3, $4, $5, $6, $7, to_timestamp($8::bigint / 1000.0), "
			"coalesce($9::text, 'unclassified'), coalesce($10::text, ''), coalesce($11::text, ''), "
			"CASE WHEN $12::text[] IS NULL THEN '{}' WHEN $9::text IS NOT NULL THEN $12::text[] "
			"  ELSE ARRAY(SELECT DISTINCT unnest($12::text[]) ORDER BY 1) END, "
			"$13::smallint, coalesce($14::int, 0), coalesce($15::boolean, false), "
			"now() + make_interval(secs => nullif($16::text, '')::bigint / 1000.0), "
			"now() + make_interval(secs => nullif($17::text, '')::bigint / 1000.0), "
			"now() + make_interval(secs => nullif($18::text, '')::bigint / 1000.0), "
			"CASE WHEN $16::text <> '' THEN $19::text END, $20, CASE WHEN $20::text <> '' THEN now() END, "
			"CASE WHEN $21::boolean THEN 'pending_customer' ELSE 'open' END, "
			"CASE WHEN $21::boolean THEN now() END, CASE WHEN $21::boolean THEN now() END)",
			21, vals, eb);
}

/* A ticket that was in the table already: what was decided, and what m
 * joining it changes, in one UPDATE. $2-$13 NULL / '' leave the decision's
 * columns as they are; $14 (m's sent time, ms) NULL: m did not join.
 *
 * The join: the customer wrote again, so a ticket waiting on them or
 * resolved is open again; a resolved one starts a new cycle (no clocks
 * until decided), and a pause while waiting on the customer moves the
 * resolution deadline on by its length. Every expression reads the row as
 * it was, so a decided deadline wins over the joined one. */
#define JOINED "$14::text IS NOT NULL"
#define REOPENED JOINED " AND status IN ('resolved', 'closed')"
#define WAKES JOINED " AND status IN ('pending_customer', 'resolved', 'closed')"
static const char ticket_update_sql[] =
	"UPDATE router.tickets SET "
	"category = coalesce($2::text, category), "
	"group_name = CASE WHEN group_name = '' AND $3::text IS NOT NULL THEN $3::text ELSE group_name END, "
	"rule_id = coalesce($4::text, rule_id), "
	"tags = CASE WHEN $5::text[] IS NULL THEN tags WHEN $2::text IS NOT NULL THEN $5::text[] "
	"  WHEN tags @> $5::text[] THEN tags ELSE ARRAY(SELECT DISTINCT unnest(tags || $5::text[]) ORDER BY 1) END, "
	"priority = greatest(priority, $6::smallint), "
	"risk_score = coalesce($7::int, risk_score), risk_flagged = coalesce($8::boolean, risk_flagged), "
	"first_response_due = coalesce(now() + make_interval(secs => nullif($9::text, '')::bigint / 1000.0), "
	"  first_response_due), "
	"sla_campaign_id = CASE WHEN $9::text <> '' THEN $12::text ELSE sla_campaign_id END, "
	"next_response_due = coalesce(now() + make_interval(secs => nullif($10::text, '')::bigint / 1000.0), "
	"  CASE WHEN " REOPENED " THEN NULL ELSE next_response_due END), "
	"resolution_due = coalesce(now() + make_interval(secs => nullif($11::text, '')::bigint / 1000.0), "
	"  CASE WHEN " REOPENED " THEN NULL "
	"  WHEN " JOINED " AND status = 'pending_customer' AND sla_paused_since IS NOT NULL "
	"  THEN resolution_due + (now() - sla_paused_since) ELSE resolution_due END), "
	"agent_id = CASE WHEN $13::text <> '' THEN $13::text ELSE agent_id END, "
	"assigned_at = CASE WHEN $13::text <> '' THEN now() ELSE assigned_at END, "
	"updated_at = CASE WHEN " JOINED " THEN now() ELSE updated_at END, "
	"last_customer_message_at = coalesce(to_timestamp($14::text::bigint / 1000.0), last_customer_message_at), "
	"status = CASE WHEN " WAKES " THEN 'open' ELSE status END, "
	"resolved_at = CASE WHEN " REOPENED " THEN NULL ELSE resolved_at END, "
	"sla_paused_since = CASE WHEN " WAKES " THEN NULL ELSE sla_paused_since END "
	"WHERE ticket_id = $1";
#undef JOINED
#undef REOPENED
#undef WAKES

static int update_decided(pd_txn *tx, decision *d, const char *prio, const char *score, pd_errbuf *eb)
{
	const char *vals[] = {d->ticket_id,
			      d->new_category,
			      d->new_group,
			      d->rule_id,
			      d->tags.s,
			      prio,
			      d->risk_score >= 0 ? score : NULL,
			      d->risk_score >= 0 ? (d->risk_flagged ? "true" : "false") : NULL,
			      d->due[0],
			      d->due[1],
			      d->due[2],
			      d->sla_campaign,
			      d->agent,
			      d->joined_sent};
	d->joined_sent = NULL;
	return pd_txn_exec(tx, ticket_update_sql, 14, vals, eb);
}

/* The join alone, before what must see the ticket as joined (the wait
 * after an auto-answer, a read of the row). */
static int write_join(pd_txn *tx, const char *ticket_id, const char **joined_sent, pd_errbuf *eb)
{
	if (!*joined_sent)
		return PD_OK;
	const char *vals[14] = {ticket_id, [13] = *joined_sent}; /* NULL: as is (greatest() skips NULL) */
	*joined_sent = NULL;
	return pd_txn_exec(tx, ticket_update_sql, 14, vals, eb);
}

/* Writes what was decided (one INSERT for a ticket this message opened,
 * else one UPDATE); an assignment also goes on the timeline and the bus. */
static int ticket_write(pd_txn *tx, decision *d, pd_errbuf *eb)
{
	char prio[8], score[8];
	snprintf(prio, sizeof(prio), "%d", d->priority);
	snprintf(score, sizeof(score), "%d", d->risk_score);
	int rc = d->fresh ? insert_decided(tx, d, prio, score, eb) : update_decided(tx, d, prio, score, eb);
	if (rc != PD_OK || !*d->agent)
		return rc;
	rc = rt_timeline_add(tx, d->ticket_id, "assigned", "router", 1, "已分配客服为您处理 / An agent is on it", NULL, eb);
	if (rc != PD_OK)
		return rc;
	Peakdesk__V1__TicketEvent te = PEAKDESK__V1__TICKET_EVENT__INIT;
	te.kind = PEAKDESK__V1__TICKET_EVENT_KIND__TICKET_EVENT_KIND_ASSIGNED;
	te.ticket_id = (char *)d->ticket_id;
	te.public_id = (char *)d->public_id;
	te.customer_id = (char *)d->customer_id;
	te.group = (char *)group_of(d);
	te.agent_id = d->agent;
	te.priority = d->priority;
	te.category = (char *)(d->new_category ? d->new_category : d->category);
	te.account = (char *)d->account;
	return rt_emit_ticket_event(tx, "ticket.assigned", &te, eb);
}

/* A question a machine answered from the facts, on a ticket no person has
 * touched yet: it waits on the customer (no agent, no first-response
 * clock; resolution paused) and closes itself after the quiet period; the
 * customer's next message sends it to an agent. 1 when that applied. */
static int wait_after_auto_answer(pd_txn *tx, const char *ticket_id, int *waiting, pd_errbuf *eb)
{
	int err;
	PGresult *r = pd_txn_query(tx,
			"UPDATE router.tickets SET status = 'pending_customer', auto_answered_at = now(), "
			"first_response_due = NULL, next_response_due = NULL, sla_paused_since = now() "
			"WHERE ticket_id = $1 AND status = 'open' AND agent_id = '' AND first_response_at IS NULL "
			"RETURNING 1",
			1, (const char *[]){ticket_id}, &err, eb);
	if (!r)
		return err;
	*waiting = PQntuples(r) == 1;
	PQclear(r);
	return PD_OK;
}

int rt_decide(pd_txn *tx, const rt_context *ctx, const char *ticket_id, const rt_new_ticket *fresh,
	      PGresult *state, const char *joined_sent, const Peakdesk__V1__CustomerMessage *m, pd_errbuf *eb)
{
	decision d;
	int found = 1, rc = PD_OK;
	/* a ticket read here is read as joined */
	if (!fresh && !state && (rc = write_join(tx, ticket_id, &joined_sent, eb)) != PD_OK)
		return rc;
	if (fresh)
		ticket_fresh(ticket_id, fresh, m, &d);
	else if (state)
		ticket_state(ticket_id, state, &d, &found);
	else
		rc = ticket_read(tx, ticket_id, 0, &d, &found, eb);
	if (rc != PD_OK || !found) {
		decision_free(&d);
		return rc;
	}
	d.joined_sent = joined_sent;
	char template_name[40];
	int answered = 0, waiting = 0;
	classify(ctx, &d, m, template_name);
	rc = link_refs(tx, &d, m->text, eb);
	rt_reply_ask ask = {.ticket_id = ticket_id, .template_name = template_name, .m = m,
			    .ref_kinds = d.ref_kinds.s, .ref_values = d.ref_values.s,
			    .fresh_public_id = fresh ? fresh->public_id : NULL, .fresh_subject = fresh ? fresh->subject : NULL};
	if (rc == PD_OK)
		rc = rt_auto_reply(tx, &ask, &answered, eb);
	if (rc == PD_OK && answered && fresh)
		waiting = d.auto_answered = 1; /* inserted so (insert_decided) */
	else if (rc == PD_OK && answered && (rc = write_join(tx, ticket_id, &d.joined_sent, eb)) == PD_OK)
		rc = wait_after_auto_answer(tx, ticket_id, &waiting, eb); /* it sees the ticket joined */
	if (rc == PD_OK)
		rc = risk(tx, &d, m, eb);
	if (rc == PD_OK && !waiting)
		rc = set_due(tx, ctx, &d, eb);
	if (rc == PD_OK && !waiting)
		rc = assign(tx, &d, eb);
	if (rc == PD_OK)
		rc = ticket_write(tx, &d, eb);
	decision_free(&d);
	return rc;
}

/* Decides the clocks and the agent of a ticket (ctx given: a new ticket of
 * ours) or only the agent of one waiting in the queue (ctx NULL). *nobody:
 * no agent of its group had room (not: the ticket was taken meanwhile). */
static int route(pd_txn *tx, const rt_context *ctx, const char *ticket_id, int *nobody, pd_errbuf *eb)
{
	decision d;
	int found;
	*nobody = 0;
	int rc = ticket_read(tx, ticket_id, !ctx, &d, &found, eb);
	if (rc == PD_OK && found && ctx)
		rc = set_due(tx, ctx, &d, eb);
	if (rc == PD_OK && found)
		rc = assign(tx, &d, eb);
	if (rc == PD_OK && found && (*d.agent || ctx))
		rc = ticket_write(tx, &d, eb);
	*nobody = found && !d.has_agent && !*d.agent;
	decision_free(&d);
	return rc;
}

int rt_route_ticket(pd_txn *tx, const rt_context *ctx, const char *ticket_id, pd_errbuf *eb)
{
	int nobody;
	return route(tx, ctx, ticket_id, &nobody, eb);
}

int rt_assign_waiting(pd_txn *tx, const char *group, pd_errbuf *eb)
{
	int err;
	/* The group queue in order: priority, then age (SLA deadlines follow
	 * from both until the SLA clocks are wired in). */
	PGresult *r = pd_txn_query(tx,
			"SELECT ticket_id, group_name, escalation_tier FROM router.tickets WHERE agent_id = '' AND status = 'open' "
			"AND ($1 = '' OR group_name = $1) ORDER BY priority DESC, created_at LIMIT 100",
			1, (const char *[]){group ? group : ""}, &err, eb);
	if (!r)
		return err;
	/* A group (at a tier) nobody could take a ticket of is full for the
	 * rest of the walk: its later tickets keep their place without a
	 * lookup each. */
	int full[100];
	size_t n_full = 0;
	int rc = PD_OK, nobody = 0;
	for (int i = 0; i < PQntuples(r) && rc == PD_OK; i++) {
		size_t k = 0;
		while (k < n_full && !(strcmp(PQgetvalue(r, full[k], 1), PQgetvalue(r, i, 1)) == 0 &&
				       strcmp(PQgetvalue(r, full[k], 2), PQgetvalue(r, i, 2)) == 0))
			k++;
		if (k < n_full)
			continue;
		rc = route(tx, NULL, PQgetvalue(r, i, 0), &nobody, eb);
		if (nobody)
			full[n_full++] = i;
	}
	PQclear(r);
	return rc;
}
