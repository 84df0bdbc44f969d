/* Auto-replies (the I/O around autoreply.c): the facts a rule's template
 * needs, read only for it, and the answer as message.outbound plus a
 * timeline entry. The ticket's refs are read together with the ones this
 * message has just named, so a ticket the message opened (not inserted
 * yet: its rows are held back, decide.c) is answered from those. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "autoreply.h"
#include "ids.h"
#include "router.h"
#include "topics.h"

/* The refs as a CTE "r(kind, value)": the ticket's, with the message's
 * arrays. */
#define REFS(ticket, kinds, values)                                                                   \
	"r AS (SELECT kind, value FROM router.ticket_refs WHERE ticket_id = " ticket " "                \
	"UNION SELECT k, v FROM unnest(" kinds "::text[], " values "::text[]) AS m(k, v))"

#define MS(c) "coalesce((extract(epoch FROM " c ") * 1000)::bigint, 0)"

/* The facts a template needs, looked up only for it. Strings point into
 * *hold (caller PQclear()s). */
static int gather_facts(pd_txn *tx, const rt_reply_ask *q, int needs, int channel, rt_facts *f, PGresult **hold,
			pd_errbuf *eb)
{
	int err;
	*hold = NULL;
	PGresult *r = NULL;
	if (needs & RT_FACTS_SHIPMENT) {
		r = pd_txn_query(tx,
				 /* two index lookups (027), not one OR join that scans */
				 "WITH " REFS("$1", "$2", "$3") " "
				 "SELECT s.carrier, s.tracking_no, s.state, s.last_scan_text, " MS("s.last_scan_at") ", "
				 "s.delay_open FROM ("
				 "  SELECT s.* FROM r JOIN logistics.shipments s ON s.tracking_no = r.value WHERE r.kind = 'tracking' "
				 "  UNION ALL "
				 "  SELECT s.* FROM r JOIN logistics.shipments s ON s.order_id = r.value WHERE r.kind = 'order') s "
				 "ORDER BY s.updated_at DESC LIMIT 1",
				 3, (const char *[]){q->ticket_id, q->ref_kinds, q->ref_values}, &err, eb);
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
				 "WITH " REFS("$1", "$3", "$4") " "
				 "SELECT o.order_id, k.name, sum(l.available), bool_and(l.shortage_open), "
				 "min(" MS("l.restock_eta") ") FILTER (WHERE l.shortage_open AND l.restock_eta IS NOT NULL), "
				 "k.presale, max(" MS("l.ship_by") ") "
				 "FROM r JOIN logistics.orders o ON o.order_id = r.value "
				 "JOIN logistics.order_items i ON i.order_id = o.order_id "
				 "JOIN stock.levels l ON l.sku = i.sku AND (o.warehouse = '' OR l.warehouse = o.warehouse) "
				 "JOIN stock.skus k ON k.sku = i.sku "
				 "WHERE r.kind = 'order' "
				 "GROUP BY o.order_id, k.sku, k.name, k.presale "
				 "ORDER BY strpos($2, o.order_id) > 0 DESC, bool_and(l.shortage_open) DESC, sum(l.available) "
				 "LIMIT 1",
				 4, (const char *[]){q->ticket_id, q->m->text, q->ref_kinds, q->ref_values}, &err, eb);
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
				 2, (const char *[]){q->m->text, ch}, &err, eb);
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
int rt_auto_reply(pd_txn *tx, const rt_reply_ask *q, int *answered, pd_errbuf *eb)
{
	*answered = 0;
	const char *name = q->template_name;
	if (!*name)
		return PD_OK;
	int err;
	PGresult *t = NULL;
	const Peakdesk__V1__CustomerMessage *m = q->m;
	/* to whom, on which channel: known for a ticket m has just opened
	 * (which has answered nothing yet), else read */
	const char *public_id = q->fresh_public_id, *account = m->account, *user = m->external_user_id,
		   *subject = q->fresh_subject;
	int channel = m->channel;
	if (!public_id) {
		t = pd_txn_query(tx,
				 "SELECT public_id, channel, account, external_user_id, subject, EXISTS (SELECT 1 FROM "
				 "router.ticket_events e WHERE e.ticket_id = t.ticket_id AND e.kind = 'auto_reply' "
				 "AND e.detail->>'template' = $2 AND e.at > now() - interval '10 minutes') "
				 "FROM router.tickets t WHERE ticket_id = $1",
				 2, (const char *[]){q->ticket_id, name}, &err, eb);
		if (!t)
			return err;
		if (PQntuples(t) != 1 || PQgetvalue(t, 0, 5)[0] == 't') {
			PQclear(t);
			return PD_OK;
		}
		public_id = PQgetvalue(t, 0, 0);
		channel = pd_channel_parse(PQgetvalue(t, 0, 1));
		account = PQgetvalue(t, 0, 2);
		user = PQgetvalue(t, 0, 3);
		subject = PQgetvalue(t, 0, 4);
	}
	rt_facts f = {0};
	PGresult *hold;
	int rc = gather_facts(tx, q, rt_autoreply_needs(name), channel, &f, &hold, eb);
	char reply[1600];
	if (rc == PD_OK && rt_autoreply_render(name, &f, reply, sizeof(reply))) {
		char id[PD_UUID_TEXT];
		pd_uuid_new_text(id);
		rc = rt_emit_message(tx, id, channel, account, user, subject, public_id, reply,
				     PEAKDESK__V1__OUTBOUND_REASON__OUTBOUND_REASON_AUTO_REPLY, eb);
		char detail[80];
		snprintf(detail, sizeof(detail), "{\"template\":\"%.40s\"}", name);
		/* Not a ticket message: a machine's answer neither stops the
		 * first-response clock nor counts as an agent's reply for risk. */
		if (rc == PD_OK)
			rc = rt_timeline_add(tx, q->ticket_id, "auto_reply", "router", 1, reply, detail, eb);
		*answered = rc == PD_OK && rt_autoreply_answers(name);
	}
	PQclear(hold);
	PQclear(t);
	return rc;
}
