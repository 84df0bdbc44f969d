/* Proactive care for stock-outs (stock.shortage, stock.restocked): every
 * reachable customer with an unshipped order of the SKU hears it from us
 * before they ask — once per customer per episode, even with several
 * orders — and hears again when the SKU is back. Open tickets of those
 * customers are annotated and raised to high priority so agents have the
 * facts (and a compensation suggestion to approve) before the customer
 * writes. A later ETA changes no customer notice (one per episode) but is
 * noted on their open tickets; auto-replies quote the current ETA. Bulk
 * statements: one shortage may list ten thousand orders. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "autoreply.h"
#include "db.h"
#include "ids.h"
#include "log.h"
#include "router.h"
#include "topics.h"

#define PRIORITY_HIGH "3"

int rt_annotate_customers(pd_txn *tx, const char *accounts, const char *users, const char *label, pd_errbuf *eb)
{
	int err;
	/* Every open ticket of the customers, whichever channel it is on
	 * (identities merged into one customer share their tickets). */
	PGresult *r = pd_txn_query(tx,
			"UPDATE router.tickets t SET priority = greatest(t.priority, " PRIORITY_HIGH "), updated_at = now() "
			"WHERE t.status NOT IN ('resolved', 'closed') AND t.customer_id IN ("
			"  SELECT i.customer_id FROM router.identities i "
			"  JOIN unnest($1::text[], $2::text[]) AS u(account, ext) "
			"  ON i.account = u.account AND i.external_user_id = u.ext) "
			"RETURNING t.ticket_id",
			2, (const char *[]){accounts, users}, &err, eb);
	if (!r)
		return err;
	int rc = PD_OK;
	for (int i = 0; i < PQntuples(r) && rc == PD_OK; i++)
		rc = rt_timeline_add(tx, PQgetvalue(r, i, 0), "department_note", "router", 0, label, NULL, eb);
	PQclear(r);
	return rc;
}

static void kind_of(char *out, size_t len, const char *what, const char *sku, const char *warehouse)
{
	snprintf(out, len, "%s:%.128s@%.128s", what, sku, warehouse);
}

static int on_shortage(pd_txn *tx, const Peakdesk__V1__StockShortage *s, pd_errbuf *eb)
{
	pd_strbuf ord = {0}, acc = {0}, usr = {0}, chn = {0}, oid = {0};
	pd_strbuf *cols[] = {&ord, &acc, &usr, &chn, &oid};
	pd_sb_arrays_open(cols, PD_ARRAY_LEN(cols));
	size_t reachable = 0;
	for (size_t i = 0; i < s->n_orders; i++) {
		const Peakdesk__V1__CustomerRef *c = s->orders[i]->customer;
		if (!c || !*c->account || !*c->external_user_id || !*s->orders[i]->order_id)
			continue; /* nobody to tell; agents see the stock-out on the order */
		char id[PD_UUID_TEXT], ch[8];
		pd_uuid_new_text(id);
		snprintf(ch, sizeof(ch), "%d", c->channel);
		pd_sb_array_elem(&ord, s->orders[i]->order_id);
		pd_sb_array_elem(&acc, c->account);
		pd_sb_array_elem(&usr, c->external_user_id);
		pd_sb_array_elem(&chn, ch);
		pd_sb_array_elem(&oid, id);
		reachable++;
	}
	pd_sb_arrays_close(cols, PD_ARRAY_LEN(cols));
	char kind[300], ep[12], label[600], eta[32] = "";
	kind_of(kind, sizeof(kind), "stockout", s->sku, s->warehouse);
	snprintf(ep, sizeof(ep), "%d", s->episode > 0 ? s->episode : 1);
	if (s->restock_eta_ms > 0) {
		time_t t = (time_t)(s->restock_eta_ms / 1000) + 8 * 3600;
		struct tm tm;
		gmtime_r(&t, &tm);
		strftime(eta, sizeof(eta), "%m-%d %H:%M", &tm);
	}
	int rc = PD_OK;
	if (!s->eta_update && reachable) {
		int err;
		PGresult *r = pd_txn_query(tx,
				"WITH u AS (SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::smallint[], $5::text[]) "
				"  AS u(order_id, account, ext, ch, outbound_id)), "
				"ins AS (INSERT INTO router.proactive_notices (order_id, kind, episode, customer_id, account, "
				"  external_user_id, outbound_id, channel) "
				"  SELECT u.order_id, $6, $7::int, (SELECT customer_id FROM router.identities i "
				"    WHERE i.account = u.account AND i.external_user_id = u.ext), u.account, u.ext, u.outbound_id, u.ch "
				"  FROM u ON CONFLICT DO NOTHING RETURNING order_id, outbound_id) "
				"SELECT ins.outbound_id, u.ch, u.account, u.ext, ins.order_id FROM ins JOIN u USING (outbound_id)",
				7, (const char *[]){ord.s, acc.s, usr.s, chn.s, oid.s, kind, ep}, &err, eb);
		if (!r) {
			rc = err;
			goto out;
		}
		for (int i = 0; i < PQntuples(r) && rc == PD_OK; i++) {
			rt_facts f = {.has_stock = 1, .order_id = PQgetvalue(r, i, 4), .sku_name = s->sku_name,
				      .restock_eta_ms = s->restock_eta_ms};
			char text[1200];
			rt_notice_stockout(&f, text, sizeof(text));
			rc = rt_emit_notice(tx, PQgetvalue(r, i, 0), atoi(PQgetvalue(r, i, 1)), PQgetvalue(r, i, 2),
					 PQgetvalue(r, i, 3), "商品暂时缺货 / An item is out of stock", text, eb);
		}
		pd_log_info("proactive stock-out notices", "sku=%s warehouse=%s episode=%s part=%d/%d orders=%zu sent=%d",
			    s->sku, s->warehouse, ep, s->part, s->parts, s->n_orders, PQntuples(r));
		PQclear(r);
	}
	if (rc == PD_OK && reachable) {
		if (s->eta_update)
			snprintf(label, sizeof(label), "缺货更新：「%.100s」(%.60s, 仓库 %.40s) 补货时间推迟至 %s（中国时间）",
				 s->sku_name, s->sku, s->warehouse, *eta ? eta : "未知");
		else
			snprintf(label, sizeof(label),
				 "缺货：客户订单中的「%.100s」(%.60s, 仓库 %.40s) 暂时缺货，预计补货 %s；已主动通知客户。"
				 "建议：客户不愿等待时可提供5元无门槛券或换货（需组长批准）",
				 s->sku_name, s->sku, s->warehouse, *eta ? eta : "未知");
		rc = rt_annotate_customers(tx, acc.s, usr.s, label, eb);
	}
out:
	pd_sb_arrays_free(cols, PD_ARRAY_LEN(cols));
	return rc;
}

/* Everyone told about the stock-out of this episode hears it is back. */
static int on_restocked(pd_txn *tx, const Peakdesk__V1__StockRestocked *s, pd_errbuf *eb)
{
	if (s->low_stock_warning || s->episode <= 0)
		return PD_OK;
	char out_kind[300], back_kind[300], ep[12];
	kind_of(out_kind, sizeof(out_kind), "stockout", s->sku, s->warehouse);
	kind_of(back_kind, sizeof(back_kind), "restocked", s->sku, s->warehouse);
	snprintf(ep, sizeof(ep), "%d", s->episode);
	int err;
	PGresult *r = pd_txn_query(tx,
			"WITH ins AS (INSERT INTO router.proactive_notices (order_id, kind, episode, customer_id, account, "
			"  external_user_id, outbound_id, channel) "
			"  SELECT n.order_id, $2, n.episode, n.customer_id, n.account, n.external_user_id, gen_random_uuid()::text, "
			"  n.channel FROM router.proactive_notices n WHERE n.kind = $1 AND n.episode = $3::int "
			"  ON CONFLICT DO NOTHING RETURNING order_id, account, external_user_id, outbound_id, channel) "
			"SELECT ins.outbound_id, coalesce(ins.channel, 0), ins.account, ins.external_user_id, ins.order_id "
			"FROM ins",
			3, (const char *[]){out_kind, back_kind, ep}, &err, eb);
	if (!r)
		return err;
	int rc = PD_OK;
	for (int i = 0; i < PQntuples(r) && rc == PD_OK; i++) {
		rt_facts f = {.has_stock = 1, .order_id = PQgetvalue(r, i, 4), .sku_name = s->sku_name};
		char text[800];
		rt_notice_restocked(&f, text, sizeof(text));
		rc = rt_emit_notice(tx, PQgetvalue(r, i, 0), atoi(PQgetvalue(r, i, 1)), PQgetvalue(r, i, 2),
				 PQgetvalue(r, i, 3), "商品已到货 / Back in stock", text, eb);
	}
	if (PQntuples(r))
		pd_log_info("proactive restock notices", "sku=%s warehouse=%s episode=%d sent=%d", s->sku, s->warehouse,
			    s->episode, PQntuples(r));
	PQclear(r);
	return rc;
}

int rt_apply_stock(pd_txn *tx, const Peakdesk__V1__Envelope *env, pd_errbuf *eb)
{
	if (env->body_case == PEAKDESK__V1__ENVELOPE__BODY_STOCK_SHORTAGE)
		return on_shortage(tx, env->stock_shortage, eb);
	if (env->body_case == PEAKDESK__V1__ENVELOPE__BODY_STOCK_RESTOCKED)
		return on_restocked(tx, env->stock_restocked, eb);
	return PD_OK;
}
