/* After a customer's message is threaded: classify it (category, priority,
 * group, tags), link the order / tracking numbers it mentions, recompute the
 * ticket's bad-review risk with the signals that explain it, and assign the
 * ticket to the least-loaded online agent of its group when it has none.
 * The decisions are the pure modules'; this file reads and writes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "assign.h"
#include "autoreply.h"
#include "classify.h"
#include "extract.h"
#include "ids.h"
#include "log.h"
#include "risk.h"
#include "router.h"
#include "sla.h"
#include "topics.h"

/* Classifies m. The ticket takes the category only while it has none (or
 * only the fallback): later small talk must not reclassify a complaint. The
 * rule's auto-reply template, if any, is returned for this message. */
static int classify(pd_txn *tx, const rt_context *ctx, const char *ticket_id, const char *category,
		    const Peakdesk__V1__CustomerMessage *m, char auto_reply[40], pd_errbuf *eb)
{
	auto_reply[0] = 0;
	rt_input in = {.text = m->text, .len = strlen(m->text), .channel = m->channel};
	rt_result res;
	if (rt_classify(ctx->rules, &in, &res) != PD_OK || res.n_applied == 0 || res.category == RT_CAT_NONE)
		return PD_OK;
	if (res.auto_reply)
		snprintf(auto_reply, 40, "%s", res.auto_reply);
	pd_strbuf tags = {0};
	pd_sb_add(&tags, "{", 1);
	for (size_t i = 0; i < res.n_tags; i++)
		pd_sb_array_elem(&tags, res.tags[i]);
	pd_sb_add(&tags, "}", 1);
	if (strcmp(category, "unclassified") != 0 && strcmp(category, "other") != 0) {
		/* Classified already: category and group stay, but what a later
		 * message is about (a quality complaint after an invoice
		 * question) joins the tags, for agents and product feedback. */
		int rc = pd_txn_exec(tx,
				     "UPDATE router.tickets SET tags = ARRAY(SELECT DISTINCT unnest(tags || $2::text[]) ORDER BY 1) "
				     "WHERE ticket_id = $1 AND NOT tags @> $2::text[]",
				     2, (const char *[]){ticket_id, tags.s}, eb);
		pd_sb_free(&tags);
		return rc;
	}
	char prio[8];
	snprintf(prio, sizeof(prio), "%d", res.priority ? res.priority : 2);
	int rc = pd_txn_exec(tx,
			     "UPDATE router.tickets SET category = $2, priority = greatest(priority, $3::smallint), "
			     "group_name = CASE WHEN group_name = '' THEN $4 ELSE group_name END, tags = $5::text[], rule_id = $6 "
			     "WHERE ticket_id = $1",
			     6, (const char *[]){ticket_id, res.category_name, prio, res.group ? res.group : "", tags.s, res.rule_id}, eb);
	pd_sb_free(&tags);
	return rc;
}

#define MS(c) "coalesce((extract(epoch FROM " c ") * 1000)::bigint, 0)"

/* The facts a template needs, looked up only for it. Strings point into
 * *hold (caller PQclear()s). */
static int gather_facts(pd_txn *tx, const char *ticket_id, int needs, const char *text, int channel, rt_facts *f,
			PGresult **hold, pd_errbuf *eb)
{
	int err;
	*hold = NULL;
	PGresult *r = NULL;
	if (needs & RT_FACTS_SHIPMENT) {
		r = pd_txn_query(tx,
				 /* two index lookups (027), not one OR join that scans */
				 "SELECT s.carrier, s.tracking_no, s.state, s.last_scan_text, " MS("s.last_scan_at") ", "
				 "s.delay_open FROM ("
				 "  SELECT s.* FROM router.ticket_refs r JOIN logistics.shipments s ON s.tracking_no = r.value "
				 "  WHERE r.ticket_id = $1 AND r.kind = 'tracking' "
				 "  UNION ALL "
				 "  SELECT s.* FROM router.ticket_refs r JOIN logistics.shipments s ON s.order_id = r.value "
				 "  WHERE r.ticket_id = $1 AND r.kind = 'order') s "
				 "ORDER BY s.updated_at DESC LIMIT 1",
				 1, (const char *[]){ticket_id}, &err, eb);
		if (r && PQntuples(r) == 1) {
			f->has_shipment = 1;
			f->carrier = PQgetvalue(r, 0, 0);
			f->tracking_no = PQgetvalue(r, 0, 1);
			f->state = PQgetvalue(r, 0, 2);
			f->last_scan_text = PQgetvalue(r, 0, 3);
			f->last_scan_at_ms = strtoll(PQgetvalue(r, 0, 4), NULL, 10);
			f->delayed = PQgetvalue(r, 0, 5)[0] == 't';
		}
	} else if (needs & RT_FACTS_STOCK) {
		/* Per SKU of the linked orders, over the order's warehouse (or all
		 * of them while it has none); an order named in this message
		 * first, then the scarcest SKU answers. */
		r = pd_txn_query(tx,
				 "SELECT o.order_id, k.name, sum(l.available), bool_and(l.shortage_open), "
				 "min(" MS("l.restock_eta") ") FILTER (WHERE l.shortage_open AND l.restock_eta IS NOT NULL), "
				 "k.presale, max(" MS("l.ship_by") ") "
				 "FROM router.ticket_refs r JOIN logistics.orders o ON o.order_id = r.value "
				 "JOIN logistics.order_items i ON i.order_id = o.order_id "
				 "JOIN stock.levels l ON l.sku = i.sku AND (o.warehouse = '' OR l.warehouse = o.warehouse) "
				 "JOIN stock.skus k ON k.sku = i.sku "
				 "WHERE r.ticket_id = $1 AND r.kind = 'order' "
				 "GROUP BY o.order_id, k.sku, k.name, k.presale "
				 "ORDER BY strpos($2, o.order_id) > 0 DESC, bool_and(l.shortage_open) DESC, sum(l.available) "
				 "LIMIT 1",
				 2, (const char *[]){ticket_id, text}, &err, eb);
		if (r && PQntuples(r) == 1) {
			f->has_stock = 1;
			f->order_id = PQgetvalue(r, 0, 0);
			f->sku_name = PQgetvalue(r, 0, 1);
			f->available = strtoll(PQgetvalue(r, 0, 2), NULL, 10);
			f->out_of_stock = PQgetvalue(r, 0, 3)[0] == 't';
			f->restock_eta_ms = strtoll(PQgetvalue(r, 0, 4), NULL, 10);
			f->presale = PQgetvalue(r, 0, 5)[0] == 't';
			f->ship_by_ms = strtoll(PQgetvalue(r, 0, 6), NULL, 10);
		}
	} else if (needs & RT_FACTS_PROMO) {
		/* A live campaign's rule for this channel whose keyword the
		 * customer used; the longest keyword is the most specific. */
		char ch[8];
		snprintf(ch, sizeof(ch), "%d", channel);
		r = pd_txn_query(tx,
				 "SELECT c.name, r.title, r.text FROM promo.rules r JOIN promo.campaigns c USING (campaign_id), "
				 "LATERAL (SELECT max(length(k)) AS len FROM unnest(r.keywords) k WHERE strpos($1, k) > 0) m "
				 "WHERE c.live AND m.len IS NOT NULL "
				 "AND (cardinality(c.channels) = 0 OR $2::smallint = ANY(c.channels)) "
				 "ORDER BY m.len DESC, c.starts_at DESC, r.rule_id LIMIT 1",
				 2, (const char *[]){text, ch}, &err, eb);
		if (r && PQntuples(r) == 1) {
			f->has_promo = 1;
			f->campaign_name = PQgetvalue(r, 0, 0);
			f->promo_title = PQgetvalue(r, 0, 1);
			f->promo_text = PQgetvalue(r, 0, 2);
		}
	} else {
		return PD_OK;
	}
	if (!r)
		return err;
	*hold = r;
	return PD_OK;
}

/* Answers from live facts when the rule names a template and the facts are
 * there; at most one auto-reply of a kind per ticket every 10 minutes, so a
 * customer asking twice is not answered twice by a machine. */
static int auto_reply(pd_txn *tx, const char *ticket_id, const char *name, const char *text, int *answered,
		      pd_errbuf *eb)
{
	*answered = 0;
	if (!*name)
		return PD_OK;
	int err;
	PGresult *t = pd_txn_query(tx,
				   "SELECT public_id, channel, account, external_user_id, subject, EXISTS (SELECT 1 FROM "
				   "router.ticket_events e WHERE e.ticket_id = t.ticket_id AND e.kind = 'auto_reply' "
				   "AND e.detail->>'template' = $2 AND e.at > now() - interval '10 minutes') "
				   "FROM router.tickets t WHERE ticket_id = $1",
				   2, (const char *[]){ticket_id, name}, &err, eb);
	if (!t)
		return err;
	if (PQntuples(t) != 1 || PQgetvalue(t, 0, 5)[0] == 't') {
		PQclear(t);
		return PD_OK;
	}
	int channel = pd_channel_parse(PQgetvalue(t, 0, 1));
	rt_facts f = {0};
	PGresult *hold;
	int rc = gather_facts(tx, ticket_id, rt_autoreply_needs(name), text, channel, &f, &hold, eb);
	char reply[1600];
	if (rc == PD_OK && rt_autoreply_render(name, &f, reply, sizeof(reply))) {
		char id[PD_UUID_TEXT];
		pd_uuid_new_text(id);
		Peakdesk__V1__OutboundMessage o = PEAKDESK__V1__OUTBOUND_MESSAGE__INIT;
		o.outbound_id = id;
		o.channel = channel;
		o.account = PQgetvalue(t, 0, 2);
		o.external_user_id = PQgetvalue(t, 0, 3);
		o.subject = PQgetvalue(t, 0, 4);
		o.ticket_public_id = PQgetvalue(t, 0, 0);
		o.text = reply;
		o.reason = PEAKDESK__V1__OUTBOUND_REASON__OUTBOUND_REASON_AUTO_REPLY;
		rc = pd_emit_outbound(tx, &o, eb);
		char detail[80];
		snprintf(detail, sizeof(detail), "{\"template\":\"%.40s\"}", name);
		/* Not a ticket message: a machine's answer neither stops the
		 * first-response clock nor counts as an agent's reply for risk. */
		if (rc == PD_OK)
			rc = rt_timeline_add(tx, ticket_id, "auto_reply", "router", 1, reply, detail, eb);
		*answered = rc == PD_OK && rt_autoreply_answers(name);
	}
	PQclear(hold);
	PQclear(t);
	return rc;
}

static int link_refs(pd_txn *tx, const char *ticket_id, const char *text, pd_errbuf *eb)
{
	rt_ref refs[16];
	size_t n = rt_extract(NULL, text, strlen(text), refs, 16);
	if (n > 16)
		n = 16;
	for (size_t i = 0; i < n; i++) {
		int rc = pd_txn_exec(tx, "INSERT INTO router.ticket_refs(ticket_id, kind, value) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
				3, (const char *[]){ticket_id, rt_ref_kind_name(refs[i].kind), refs[i].value}, eb);
		if (rc != PD_OK)
			return rc;
	}
	return PD_OK;
}

static int risk(pd_txn *tx, const char *ticket_id, pd_errbuf *eb)
{
	int err;
	PGresult *r = pd_txn_query(tx,
			"SELECT direction, (extract(epoch FROM at) * 1000)::bigint, text FROM ("
			" SELECT direction, at, text FROM router.ticket_messages WHERE ticket_id = $1 ORDER BY at DESC LIMIT 30"
			") m ORDER BY at",
			1, (const char *[]){ticket_id}, &err, eb);
	if (!r)
		return err;
	size_t n = (size_t)PQntuples(r);
	rt_risk_message *msgs = pd_xcalloc(n + 1, sizeof(*msgs));
	for (size_t i = 0; i < n; i++) {
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
		pd_log_warn("risk not evaluated", "ticket_id=%s detail=\"%s\"", ticket_id, reb.msg);
		return PD_OK;
	}
	char score[8], prio_floor[8];
	snprintf(score, sizeof(score), "%d", res.score);
	snprintf(prio_floor, sizeof(prio_floor), "%d", rt_risk_priority(1, res.score, &pol));
	rc = pd_txn_exec(tx,
		    "UPDATE router.tickets SET risk_score = $2::int, risk_flagged = $3::boolean, "
		    "priority = greatest(priority, $4::smallint) WHERE ticket_id = $1",
		    4, (const char *[]){ticket_id, score, res.flagged ? "true" : "false", prio_floor}, eb);
	if (rc == PD_OK)
		rc = pd_txn_exec(tx, "DELETE FROM router.ticket_risk_signals WHERE ticket_id = $1", 1, (const char *[]){ticket_id}, eb);
	for (size_t i = 0; rc == PD_OK && i < res.n_signals; i++) {
		char w[8];
		snprintf(w, sizeof(w), "%d", res.signals[i].weight);
		rc = pd_txn_exec(tx, "INSERT INTO router.ticket_risk_signals(ticket_id, code, weight, evidence) VALUES ($1, $2, $3::int, $4)",
			    4, (const char *[]){ticket_id, rt_risk_code_name(res.signals[i].code), w, res.signals[i].evidence}, eb);
	}
	return rc;
}

/* Least-loaded online agent of the ticket's group with room, if any;
 * *assigned tells whether one was found. */
static int assign(pd_txn *tx, const char *ticket_id, int *assigned, pd_errbuf *eb)
{
	*assigned = 0;
	int err;
	PGresult *t = pd_txn_query(tx, "SELECT group_name, priority, agent_id, public_id, customer_id, channel, account, category, "
			"escalation_tier FROM router.tickets WHERE ticket_id = $1",
			1, (const char *[]){ticket_id}, &err, eb);
	if (!t)
		return err;
	if (PQntuples(t) != 1 || *PQgetvalue(t, 0, 2)) {
		PQclear(t);
		return PD_OK;
	}
	PGresult *a = pd_txn_query(tx,
			"SELECT a.agent_id, a.tier, a.capacity, (extract(epoch FROM a.idle_since) * 1000)::bigint, "
			"(SELECT count(*) FROM router.tickets x WHERE x.agent_id = a.agent_id AND x.status NOT IN ('resolved', 'closed')) "
			"FROM router.agents a WHERE a.presence = 'online' AND ($1 = '' OR $1 = ANY (a.groups)) FOR UPDATE OF a",
			1, (const char *[]){PQgetvalue(t, 0, 0)}, &err, eb);
	if (!a) {
		PQclear(t);
		return err;
	}
	size_t n = (size_t)PQntuples(a);
	rt_agent *agents = pd_xcalloc(n + 1, sizeof(*agents));
	const char *group = PQgetvalue(t, 0, 0);
	for (size_t i = 0; i < n; i++) {
		agents[i].id = PQgetvalue(a, (int)i, 0);
		agents[i].tier = rt_tier_parse(PQgetvalue(a, (int)i, 1));
		agents[i].skills = &group; /* already filtered by group in SQL */
		agents[i].n_skills = 1;
		agents[i].presence = PEAKDESK__V1__PRESENCE__PRESENCE_ONLINE;
		agents[i].capacity = atoi(PQgetvalue(a, (int)i, 2));
		agents[i].open = atoi(PQgetvalue(a, (int)i, 4));
		agents[i].idle_since_ms = strtoll(PQgetvalue(a, (int)i, 3), NULL, 10);
	}
	/* an escalated ticket (or a service recovery) needs its tier or above */
	int min_tier = rt_tier_parse(PQgetvalue(t, 0, 8));
	rt_queued qt = {.id = ticket_id, .skill = *group ? group : NULL, .priority = atoi(PQgetvalue(t, 0, 1)),
			.min_tier = min_tier > 0 ? min_tier : 0, .created_at_ms = pd_now_ms()};
	size_t pick;
	int rc = PD_OK;
	if (n && rt_assign_pick(agents, n, &qt, &pick) == 1) {
		const char *agent = agents[pick].id;
		*assigned = 1;
		rc = pd_txn_exec(tx, "UPDATE router.tickets SET agent_id = $2, assigned_at = now() WHERE ticket_id = $1", 2,
			    (const char *[]){ticket_id, agent}, eb);
		if (rc == PD_OK)
			rc = pd_txn_exec(tx, "UPDATE router.agents SET idle_since = now() WHERE agent_id = $1", 1, (const char *[]){agent}, eb);
		if (rc == PD_OK)
			rc = rt_timeline_add(tx, ticket_id, "assigned", "router", 1, "已分配客服为您处理 / An agent is on it",
					     NULL, eb);
		if (rc == PD_OK) {
			Peakdesk__V1__TicketEvent te = PEAKDESK__V1__TICKET_EVENT__INIT;
			te.kind = PEAKDESK__V1__TICKET_EVENT_KIND__TICKET_EVENT_KIND_ASSIGNED;
			te.ticket_id = (char *)ticket_id;
			te.public_id = PQgetvalue(t, 0, 3);
			te.customer_id = PQgetvalue(t, 0, 4);
			te.group = (char *)group;
			te.agent_id = (char *)agent;
			te.priority = atoi(PQgetvalue(t, 0, 1));
			te.category = PQgetvalue(t, 0, 7);
			te.account = PQgetvalue(t, 0, 6);
			rc = rt_emit_ticket_event(tx, "ticket.assigned", &te, eb);
		}
	}
	free(agents);
	PQclear(a);
	PQclear(t);
	return rc;
}

/* The SLA clocks a customer message starts, under the policy in force now
 * (a running campaign's overrides), each set once per cycle: the first
 * response of a new ticket, the next response once an agent has answered
 * before, and the resolution of a new or reopened ticket. The targets come
 * from the ticket's (possibly just raised) priority and its channel. */
static int set_due(pd_txn *tx, const rt_context *ctx, const char *ticket_id, pd_errbuf *eb)
{
	int err;
	PGresult *r = pd_txn_query(tx,
			"SELECT priority::text, channel, (extract(epoch FROM now()) * 1000)::bigint, "
			"first_response_at IS NULL AND first_response_due IS NULL, "
			"first_response_at IS NOT NULL AND next_response_due IS NULL AND status = 'open', "
			"resolution_due IS NULL "
			"FROM router.tickets WHERE ticket_id = $1 AND status NOT IN ('resolved', 'closed')",
			1, (const char *[]){ticket_id}, &err, eb);
	if (!r)
		return err;
	int rc = PD_OK;
	if (PQntuples(r) == 1) {
		int64_t now = strtoll(PQgetvalue(r, 0, 2), NULL, 10);
		int prio = atoi(PQgetvalue(r, 0, 0));
		const char *channel = PQgetvalue(r, 0, 1);
		rt_loaded_policy pol;
		rc = rt_sla_policy_load(tx, now, &pol, eb);
		const char *campaign = NULL;
		char fr[24] = "", nr[24] = "", rs[24] = "";
		if (PQgetvalue(r, 0, 3)[0] == 't')
			snprintf(fr, sizeof(fr), "%lld",
				 (long long)rt_sla_target_ms(ctx, &pol, PEAKDESK__V1__SLA_KIND__SLA_KIND_FIRST_RESPONSE, prio,
							     channel, now, &campaign));
		if (PQgetvalue(r, 0, 4)[0] == 't')
			snprintf(nr, sizeof(nr), "%lld",
				 (long long)rt_sla_target_ms(ctx, &pol, PEAKDESK__V1__SLA_KIND__SLA_KIND_NEXT_RESPONSE, prio,
							     channel, now, NULL));
		if (PQgetvalue(r, 0, 5)[0] == 't')
			snprintf(rs, sizeof(rs), "%lld",
				 (long long)rt_sla_target_ms(ctx, &pol, PEAKDESK__V1__SLA_KIND__SLA_KIND_RESOLUTION, prio,
							     channel, now, NULL));
		if (rc == PD_OK && (*fr || *nr || *rs))
			rc = pd_txn_exec(tx,
					 "UPDATE router.tickets SET "
					 "first_response_due = coalesce(now() + make_interval(secs => nullif($2, '')::bigint / 1000.0), "
					 "  first_response_due), "
					 "sla_campaign_id = CASE WHEN $2 <> '' THEN $5 ELSE sla_campaign_id END, "
					 "next_response_due = coalesce(now() + make_interval(secs => nullif($3, '')::bigint / 1000.0), "
					 "  next_response_due), "
					 "resolution_due = coalesce(now() + make_interval(secs => nullif($4, '')::bigint / 1000.0), "
					 "  resolution_due) "
					 "WHERE ticket_id = $1",
					 5, (const char *[]){ticket_id, fr, nr, rs, campaign}, eb);
		rt_sla_policy_free(&pol);
	}
	PQclear(r);
	return rc;
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

int rt_decide(pd_txn *tx, const rt_context *ctx, const char *ticket_id, const char *category,
	      const Peakdesk__V1__CustomerMessage *m, pd_errbuf *eb)
{
	char template_name[40];
	int answered = 0, waiting = 0;
	int rc = classify(tx, ctx, ticket_id, category, m, template_name, eb);
	if (rc == PD_OK)
		rc = link_refs(tx, ticket_id, m->text, eb);
	if (rc == PD_OK)
		rc = auto_reply(tx, ticket_id, template_name, m->text, &answered, eb);
	if (rc == PD_OK && answered)
		rc = wait_after_auto_answer(tx, ticket_id, &waiting, eb);
	if (rc == PD_OK)
		rc = risk(tx, ticket_id, eb);
	if (rc == PD_OK && !waiting)
		rc = set_due(tx, ctx, ticket_id, eb);
	int assigned;
	if (rc == PD_OK && !waiting)
		rc = assign(tx, ticket_id, &assigned, eb);
	return rc;
}

int rt_route_ticket(pd_txn *tx, const rt_context *ctx, const char *ticket_id, pd_errbuf *eb)
{
	int assigned;
	int rc = set_due(tx, ctx, ticket_id, eb);
	return rc == PD_OK ? assign(tx, ticket_id, &assigned, eb) : rc;
}

int rt_assign_waiting(pd_txn *tx, const char *group, pd_errbuf *eb)
{
	int err;
	/* The group queue in order: priority, then age (SLA deadlines follow
	 * from both until the SLA clocks are wired in). */
	PGresult *r = pd_txn_query(tx,
			"SELECT ticket_id FROM router.tickets WHERE agent_id = '' AND status = 'open' "
			"AND ($1 = '' OR group_name = $1) ORDER BY priority DESC, created_at LIMIT 100",
			1, (const char *[]){group ? group : ""}, &err, eb);
	if (!r)
		return err;
	int rc = PD_OK, assigned = 1;
	for (int i = 0; i < PQntuples(r) && rc == PD_OK; i++) {
		rc = assign(tx, PQgetvalue(r, i, 0), &assigned, eb);
		if (!assigned && group && *group)
			break; /* the group is full: the rest keeps its place */
	}
	PQclear(r);
	return rc;
}
