/* Applies department stock reports (topic stock.level) inside the writer's
 * transaction. A batch costs a fixed number of statements whatever its
 * size (SKU upsert, level upsert with last-writer-wins, one sell-through
 * lookup, one episode-state update); only the rare transitions — a
 * stock-out, a restock, an ETA moving later — cost a few statements more.
 * What a level means is decided by level_state.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "db.h"
#include "ids.h"
#include "level_state.h"
#include "log.h"
#include "stock.h"

#define ACK(x) PEAKDESK__V1__ACK_STATUS__ACK_STATUS_##x
#define MAX_ID 128
#define MAX_NAME 256

/* The version last-writer-wins compares: the department's own, else the
 * time it says the level was measured. */
static int64_t effective_version(const Peakdesk__V1__Envelope *env)
{
	return env->stock_level->version > 0 ? env->stock_level->version : env->occurred_at_ms;
}

/* ---- validation (pure) ------------------------------------------------------ */

static int check_id(const char *what, const char *v, pd_errbuf *eb)
{
	if (!v || !*v)
		return pd_fail(eb, PD_EINVAL, "%s is required", what);
	if (strlen(v) > MAX_ID)
		return pd_fail(eb, PD_EINVAL, "%s is longer than %d bytes", what, MAX_ID);
	return PD_OK;
}

static int validate(const Peakdesk__V1__Envelope *env, pd_errbuf *eb, void *arg)
{
	(void)arg;
	if (env->body_case != PEAKDESK__V1__ENVELOPE__BODY_STOCK_LEVEL)
		return pd_fail(eb, PD_EINVAL, "the stock service takes stock.level events only");
	const Peakdesk__V1__StockLevel *l = env->stock_level;
	int rc;
	if ((rc = check_id("stock_level.sku", l->sku, eb)) || (rc = check_id("stock_level.warehouse", l->warehouse, eb)))
		return rc;
	if (strlen(l->sku_name) > MAX_NAME)
		return pd_fail(eb, PD_EINVAL, "stock_level.sku_name is longer than %d bytes", MAX_NAME);
	if (l->on_hand < 0 || l->reserved < 0 || l->available < 0)
		return pd_fail(eb, PD_EINVAL,
			       "stock_level: negative stock (on_hand %lld, reserved %lld, available %lld); report 0 "
			       "for none",
			       (long long)l->on_hand, (long long)l->reserved, (long long)l->available);
	if (!l->presale && l->available > l->on_hand)
		return pd_fail(eb, PD_EINVAL,
			       "stock_level.available (%lld) exceeds on_hand (%lld); only a presale SKU sells "
			       "stock it does not hold",
			       (long long)l->available, (long long)l->on_hand);
	if (l->restock_eta_ms < 0 || l->ship_by_ms < 0)
		return pd_fail(eb, PD_EINVAL, "stock_level.restock_eta_ms and ship_by_ms are unix ms (>= 0)");
	if (l->low_stock_threshold < 0)
		return pd_fail(eb, PD_EINVAL, "stock_level.low_stock_threshold must be >= 0 (0: last hour's sales)");
	if (l->version < 0)
		return pd_fail(eb, PD_EINVAL, "stock_level.version must be >= 0");
	if (effective_version(env) <= 0)
		return pd_fail(eb, PD_EINVAL,
			       "stock_level.version or the envelope's occurred_at_ms is required: the newest report "
			       "wins by it");
	return PD_OK;
}

/* ---- SQL helpers --------------------------------------------------------------- */

static void add_i64(pd_strbuf *b, int64_t v)
{
	char t[24];
	snprintf(t, sizeof(t), "%lld", (long long)v);
	pd_sb_array_elem(b, t);
}

static int bool_value(PGresult *r, int row, int col)
{
	return PQgetvalue(r, row, col)[0] == 't';
}

#define MS(c) "(extract(epoch FROM " c ") * 1000)::bigint"

/* ---- unknown SKUs ------------------------------------------------------------ */

/* A SKU comes into being with a report that names it; a nameless report
 * for a SKU nobody named (before, or earlier in this batch) is a reference
 * to an unknown SKU. */
static int reject_unknown_skus(pd_txn *tx, pd_ingest_item **its, size_t n, pd_errbuf *eb)
{
	pd_strbuf skus = {0};
	pd_sb_add(&skus, "{", 1);
	size_t asked = 0;
	for (size_t i = 0; i < n; i++)
		if (!*its[i]->env->stock_level->sku_name) {
			pd_sb_array_elem(&skus, its[i]->env->stock_level->sku);
			asked++;
		}
	pd_sb_add(&skus, "}", 1);
	int err = PD_OK;
	PGresult *r = NULL;
	if (asked)
		r = pd_txn_query(tx,
				 "SELECT DISTINCT u.sku FROM unnest($1::text[]) AS u(sku) "
				 "WHERE NOT EXISTS (SELECT 1 FROM stock.skus s WHERE s.sku = u.sku)",
				 1, (const char *[]){skus.s}, &err, eb);
	pd_sb_free(&skus);
	if (asked && !r)
		return err;
	/* rare: only unknown SKUs are scanned against the batch */
	for (int row = 0; r && row < PQntuples(r); row++) {
		const char *sku = PQgetvalue(r, row, 0);
		int named = 0;
		for (size_t i = 0; i < n && !named; i++)
			named = *its[i]->env->stock_level->sku_name && !strcmp(its[i]->env->stock_level->sku, sku);
		for (size_t i = 0; i < n && !named; i++)
			if (!strcmp(its[i]->env->stock_level->sku, sku)) {
				its[i]->status = ACK(REJECTED);
				snprintf(its[i]->reason, sizeof(its[i]->reason),
					 "unknown SKU %.128s: its first report must carry sku_name", sku);
			}
	}
	PQclear(r);
	return PD_OK;
}

/* ---- SKUs ---------------------------------------------------------------------- */

/* Name and presale flag of every SKU named in the batch; the batch's last
 * report of a SKU wins (they describe the product, not a level, so no
 * version orders them across warehouses). */
static int upsert_skus(pd_txn *tx, pd_ingest_item **its, size_t n, pd_errbuf *eb)
{
	pd_strbuf sku = {0}, name = {0}, pre = {0};
	pd_strbuf *cols[] = {&sku, &name, &pre};
	pd_sb_arrays_open(cols, PD_ARRAY_LEN(cols));
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		const Peakdesk__V1__StockLevel *l = its[i]->env->stock_level;
		if (!*l->sku_name)
			continue;
		pd_sb_array_elem(&sku, l->sku);
		pd_sb_array_elem(&name, l->sku_name);
		pd_sb_array_elem(&pre, l->presale ? "t" : "f");
		k++;
	}
	pd_sb_arrays_close(cols, PD_ARRAY_LEN(cols));
	int rc = PD_OK;
	if (k)
		rc = pd_txn_exec(tx,
				 "INSERT INTO stock.skus AS s (sku, name, presale) "
				 "SELECT DISTINCT ON (u.sku) u.sku, u.name, u.pre "
				 "FROM unnest($1::text[], $2::text[], $3::boolean[]) "
				 "WITH ORDINALITY AS u(sku, name, pre, pos) ORDER BY u.sku, u.pos DESC "
				 "ON CONFLICT (sku) DO UPDATE SET name = excluded.name, presale = excluded.presale, "
				 "updated_at = now() WHERE (s.name, s.presale) IS DISTINCT FROM (excluded.name, excluded.presale)",
				 3, (const char *[]){sku.s, name.s, pre.s}, eb);
	pd_sb_arrays_free(cols, PD_ARRAY_LEN(cols));
	return rc;
}

/* ---- levels -------------------------------------------------------------------- */

/* One level the upsert accepted, with what it means. */
struct changed {
	pd_ingest_item *it;
	const char *sku_name; /* the SKU's current name (into the result) */
	int moved;            /* a number changed: worth a stock.level_changed */
	st_level_state prev;
	st_level_report report;
	st_level_decision d;
};

/* Upserts every level (last writer wins by version; a SKU/warehouse
 * repeated in the batch keeps its newest report) and returns the rows that
 * changed with the state they had before. Columns: pos (1-based index into
 * its), existed, old available, old ETA ms, shortage_open, episodes,
 * low_warned, the report's threshold, the SKU's name, whether any number
 * (on hand, reserved, available, ETA, ship-by) moved. */
static PGresult *upsert_levels(pd_txn *tx, pd_ingest_item **its, size_t n, int *err, pd_errbuf *eb)
{
	pd_strbuf sku = {0}, wh = {0}, oh = {0}, res = {0}, av = {0}, eta = {0}, sb = {0}, ver = {0}, rep = {0}, thr = {0};
	pd_strbuf *cols[] = {&sku, &wh, &oh, &res, &av, &eta, &sb, &ver, &rep, &thr};
	pd_sb_arrays_open(cols, PD_ARRAY_LEN(cols));
	for (size_t i = 0; i < n; i++) {
		const Peakdesk__V1__StockLevel *l = its[i]->env->stock_level;
		pd_sb_array_elem(&sku, l->sku);
		pd_sb_array_elem(&wh, l->warehouse);
		add_i64(&oh, l->on_hand);
		add_i64(&res, l->reserved);
		add_i64(&av, l->available);
		add_i64(&eta, l->restock_eta_ms);
		add_i64(&sb, l->ship_by_ms);
		add_i64(&ver, effective_version(its[i]->env));
		add_i64(&rep, its[i]->env->occurred_at_ms);
		add_i64(&thr, l->low_stock_threshold);
	}
	pd_sb_arrays_close(cols, PD_ARRAY_LEN(cols));
	/* The CTEs share one snapshot: "uo" holds each report with the state
	 * its level had before this statement's upsert (joined from the
	 * report side: joining the upserted rows to the old state made the
	 * planner loop over the batch once per row). */
	PGresult *r = pd_txn_query(tx,
			"WITH u AS (SELECT DISTINCT ON (u.sku, u.wh) u.* "
			"  FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[], "
			"              $7::bigint[], $8::bigint[], $9::bigint[], $10::bigint[]) "
			"  WITH ORDINALITY AS u(sku, wh, oh, res, av, eta, sb, ver, rep, thr, pos) "
			"  ORDER BY u.sku, u.wh, u.ver DESC, u.pos DESC), "
			"uo AS (SELECT u.*, l.sku IS NOT NULL AS existed, coalesce(l.available, 0) AS o_av, "
			"  coalesce(" MS("l.restock_eta") ", 0) AS o_eta, coalesce(l.shortage_open, false) AS o_open, "
			"  coalesce(l.episodes, 0) AS o_ep, coalesce(l.low_warned, false) AS o_warned, "
			"  (l.on_hand, l.reserved, l.available, coalesce(" MS("l.restock_eta") ", 0), "
			"   coalesce(" MS("l.ship_by") ", 0)) IS DISTINCT FROM (u.oh, u.res, u.av, u.eta, u.sb) AS moved "
			"  FROM u LEFT JOIN stock.levels l ON l.sku = u.sku AND l.warehouse = u.wh), "
			"up AS (INSERT INTO stock.levels AS l (sku, warehouse, on_hand, reserved, available, restock_eta, "
			"  ship_by, version, reported_at, low_stock_threshold) "
			"  SELECT sku, wh, oh, res, av, to_timestamp(nullif(eta, 0) / 1000.0), "
			"  to_timestamp(nullif(sb, 0) / 1000.0), ver, to_timestamp(nullif(rep, 0) / 1000.0), thr FROM u "
			"  ON CONFLICT (sku, warehouse) DO UPDATE SET on_hand = excluded.on_hand, "
			"  reserved = excluded.reserved, available = excluded.available, restock_eta = excluded.restock_eta, "
			"  ship_by = excluded.ship_by, low_stock_threshold = excluded.low_stock_threshold, "
			"  version = excluded.version, reported_at = excluded.reported_at, "
			"  updated_at = now() WHERE l.version < excluded.version "
			"  RETURNING l.sku, l.warehouse) "
			"SELECT uo.pos, uo.existed, uo.o_av, uo.o_eta, uo.o_open, uo.o_ep, uo.o_warned, uo.thr, s.name, uo.moved "
			"FROM up JOIN uo ON uo.sku = up.sku AND uo.wh = up.warehouse "
			"JOIN stock.skus s ON s.sku = up.sku ORDER BY uo.pos",
			10, (const char *[]){sku.s, wh.s, oh.s, res.s, av.s, eta.s, sb.s, ver.s, rep.s, thr.s}, err, eb);
	pd_sb_arrays_free(cols, PD_ARRAY_LEN(cols));
	return r;
}

/* Units of each SKU sold in the last hour, for levels without their own
 * threshold: from the cache, else one query for the batch's missing SKUs. */
static int fill_sell_through(pd_txn *tx, st_context *ctx, struct changed *ch, size_t n, pd_errbuf *eb)
{
	int64_t now = pd_now_ms();
	pd_strbuf skus = {0};
	pd_sb_add(&skus, "{", 1);
	size_t asked = 0;
	for (size_t i = 0; i < n; i++) {
		if (!st_level_wants_sell_through(&ch[i].prev, &ch[i].report))
			continue;
		const char *sku = ch[i].it->env->stock_level->sku;
		if (st_sales_cache_get(ctx->sales, sku, now, &ch[i].report.sell_through))
			continue;
		pd_sb_array_elem(&skus, sku);
		asked++;
	}
	pd_sb_add(&skus, "}", 1);
	int err = PD_OK;
	if (asked) {
		PGresult *r = pd_txn_query(tx,
				"SELECT u.sku, coalesce((SELECT sum(i.quantity) FROM logistics.order_items i "
				"  JOIN logistics.orders o USING (order_id) WHERE i.sku = u.sku AND o.status <> 'cancelled' "
				"  AND o.ordered_at > now() - interval '1 hour'), 0) "
				"FROM (SELECT DISTINCT unnest($1::text[]) AS sku) u",
				1, (const char *[]){skus.s}, &err, eb);
		if (r) {
			for (int row = 0; row < PQntuples(r); row++)
				st_sales_cache_put(ctx->sales, PQgetvalue(r, row, 0), strtoll(PQgetvalue(r, row, 1), NULL, 10),
						   now);
			for (size_t i = 0; i < n; i++)
				if (st_level_wants_sell_through(&ch[i].prev, &ch[i].report))
					st_sales_cache_get(ctx->sales, ch[i].it->env->stock_level->sku, now,
							   &ch[i].report.sell_through);
			PQclear(r);
			err = PD_OK;
		}
	}
	pd_sb_free(&skus);
	return err;
}

/* Stores the episode state of the levels whose state moved. */
static int store_states(pd_txn *tx, struct changed *ch, size_t n, pd_errbuf *eb)
{
	pd_strbuf sku = {0}, wh = {0}, open = {0}, ep = {0}, warned = {0};
	pd_strbuf *cols[] = {&sku, &wh, &open, &ep, &warned};
	pd_sb_arrays_open(cols, PD_ARRAY_LEN(cols));
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		const st_level_state *a = &ch[i].prev, *b = &ch[i].d.next;
		if (a->shortage_open == b->shortage_open && a->episodes == b->episodes && a->low_warned == b->low_warned)
			continue;
		pd_sb_array_elem(&sku, ch[i].it->env->stock_level->sku);
		pd_sb_array_elem(&wh, ch[i].it->env->stock_level->warehouse);
		pd_sb_array_elem(&open, b->shortage_open ? "t" : "f");
		add_i64(&ep, b->episodes);
		pd_sb_array_elem(&warned, b->low_warned ? "t" : "f");
		k++;
	}
	pd_sb_arrays_close(cols, PD_ARRAY_LEN(cols));
	int rc = PD_OK;
	if (k)
		rc = pd_txn_exec(tx,
				 "UPDATE stock.levels l SET shortage_open = u.open, episodes = u.ep, low_warned = u.warned "
				 "FROM unnest($1::text[], $2::text[], $3::boolean[], $4::int[], $5::boolean[]) "
				 "AS u(sku, wh, open, ep, warned) WHERE l.sku = u.sku AND l.warehouse = u.wh",
				 5, (const char *[]){sku.s, wh.s, open.s, ep.s, warned.s}, eb);
	pd_sb_arrays_free(cols, PD_ARRAY_LEN(cols));
	return rc;
}

/* ---- events ---------------------------------------------------------------------- */

static int emit(pd_txn *tx, const pd_ingest_item *it, const char *topic, int body_case, void *body, pd_errbuf *eb)
{
	Peakdesk__V1__Envelope env = PEAKDESK__V1__ENVELOPE__INIT;
	env.topic = (char *)topic;
	env.occurred_at_ms = it->env->occurred_at_ms;
	env.trace_id = it->env->trace_id;
	env.body_case = body_case;
	if (body_case == PEAKDESK__V1__ENVELOPE__BODY_STOCK_LEVEL)
		env.stock_level = body;
	else if (body_case == PEAKDESK__V1__ENVELOPE__BODY_STOCK_SHORTAGE)
		env.stock_shortage = body;
	else
		env.stock_restocked = body;
	return pd_txn_emit(tx, &env, eb);
}

static int emit_restocked(pd_txn *tx, const struct changed *c, int low_warning, pd_errbuf *eb)
{
	const Peakdesk__V1__StockLevel *l = c->it->env->stock_level;
	Peakdesk__V1__StockRestocked b = PEAKDESK__V1__STOCK_RESTOCKED__INIT;
	b.sku = l->sku;
	b.warehouse = l->warehouse;
	b.sku_name = (char *)c->sku_name;
	b.available = l->available;
	b.restock_eta_ms = l->restock_eta_ms;
	b.episode = low_warning ? 0 : c->prev.episodes;
	b.low_stock_warning = low_warning;
	return emit(tx, c->it, low_warning ? "stock.low" : "stock.restocked", PEAKDESK__V1__ENVELOPE__BODY_STOCK_RESTOCKED,
		    &b, eb);
}

/* Emits the episode's affected orders (rows: order_id, quantity,
 * customer_id, phone, channel, account, external_user_id) as one
 * stock.shortage event, or several parts when the list is long. */
static int emit_shortage(pd_txn *tx, const struct changed *c, PGresult *orders, int eta_update, pd_errbuf *eb)
{
	const Peakdesk__V1__StockLevel *l = c->it->env->stock_level;
	size_t n = (size_t)PQntuples(orders);
	Peakdesk__V1__AffectedOrder *ao = pd_xcalloc(n ? n : 1, sizeof(*ao));
	Peakdesk__V1__AffectedOrder **ptr = pd_xcalloc(n ? n : 1, sizeof(*ptr));
	Peakdesk__V1__CustomerRef *cust = pd_xcalloc(n ? n : 1, sizeof(*cust));
	size_t *part_end = pd_xcalloc(n + 1, sizeof(*part_end));
	size_t parts = 0, bytes = 0;
	for (size_t i = 0; i < n; i++) {
		peakdesk__v1__affected_order__init(&ao[i]);
		peakdesk__v1__customer_ref__init(&cust[i]);
		ao[i].order_id = PQgetvalue(orders, (int)i, 0);
		ao[i].quantity = atoi(PQgetvalue(orders, (int)i, 1));
		cust[i].customer_id = PQgetvalue(orders, (int)i, 2);
		cust[i].phone = PQgetvalue(orders, (int)i, 3);
		cust[i].channel = atoi(PQgetvalue(orders, (int)i, 4));
		cust[i].account = PQgetvalue(orders, (int)i, 5);
		cust[i].external_user_id = PQgetvalue(orders, (int)i, 6);
		ao[i].customer = &cust[i];
		ptr[i] = &ao[i];
		size_t sz = peakdesk__v1__affected_order__get_packed_size(&ao[i]) + 4;
		if (bytes > 0 && bytes + sz > ST_SHORTAGE_EVENT_BYTES) {
			part_end[parts++] = i;
			bytes = 0;
		}
		bytes += sz;
	}
	part_end[parts++] = n;
	int rc = PD_OK;
	size_t from = 0;
	for (size_t p = 0; p < parts && rc == PD_OK; p++) {
		Peakdesk__V1__StockShortage b = PEAKDESK__V1__STOCK_SHORTAGE__INIT;
		b.sku = l->sku;
		b.warehouse = l->warehouse;
		b.sku_name = (char *)c->sku_name;
		b.restock_eta_ms = l->restock_eta_ms;
		b.episode = c->d.next.episodes;
		b.eta_update = eta_update;
		b.orders = ptr + from;
		b.n_orders = part_end[p] - from;
		b.part = (int32_t)p + 1;
		b.parts = (int32_t)parts;
		rc = emit(tx, c->it, "stock.shortage", PEAKDESK__V1__ENVELOPE__BODY_STOCK_SHORTAGE, &b, eb);
		from = part_end[p];
	}
	free(part_end);
	free(cust);
	free(ptr);
	free(ao);
	return rc;
}

#define ORDER_COLUMNS "o.order_id, so.quantity, o.customer_id, o.phone, o.channel, o.account, o.external_user_id"

/* A new episode: records it with the unshipped orders containing the SKU
 * (from this warehouse, or not yet given one) and tells everyone. */
static int open_shortage(pd_txn *tx, const struct changed *c, pd_errbuf *eb)
{
	const Peakdesk__V1__StockLevel *l = c->it->env->stock_level;
	char ep[16], eta[24], at[24];
	snprintf(ep, sizeof(ep), "%d", c->d.next.episodes);
	snprintf(eta, sizeof(eta), "%lld", (long long)l->restock_eta_ms);
	snprintf(at, sizeof(at), "%lld", (long long)c->it->env->occurred_at_ms);
	int err;
	PGresult *r = pd_txn_query(tx,
			"WITH so AS (INSERT INTO stock.shortage_orders (sku, warehouse, episode, order_id, quantity) "
			"  SELECT $1, $2, $3::int, i.order_id, sum(i.quantity) FROM logistics.order_items i "
			"  JOIN logistics.orders o USING (order_id) "
			"  WHERE i.sku = $1 AND o.status IN ('awaiting', 'allocated') AND o.warehouse IN ($2, '') "
			"  GROUP BY i.order_id RETURNING order_id, quantity), "
			"h AS (INSERT INTO stock.shortages (sku, warehouse, episode, started_at, restock_eta, orders) "
			"  SELECT $1, $2, $3::int, coalesce(to_timestamp(nullif($5::bigint, 0) / 1000.0), now()), "
			"  to_timestamp(nullif($4::bigint, 0) / 1000.0), (SELECT count(*) FROM so)) "
			"SELECT " ORDER_COLUMNS " FROM so JOIN logistics.orders o USING (order_id) "
			"ORDER BY o.ordered_at NULLS LAST, o.order_id",
			5, (const char *[]){l->sku, l->warehouse, ep, eta, at}, &err, eb);
	if (!r)
		return err;
	pd_log_info("stock-out", "sku=%s warehouse=%s episode=%d orders=%d", l->sku, l->warehouse, c->d.next.episodes,
		    PQntuples(r));
	int rc = emit_shortage(tx, c, r, 0, eb);
	PQclear(r);
	return rc;
}

/* The ETA moved later while still out: the same customers hear again. */
static int update_shortage_eta(pd_txn *tx, const struct changed *c, pd_errbuf *eb)
{
	const Peakdesk__V1__StockLevel *l = c->it->env->stock_level;
	char ep[16], eta[24];
	snprintf(ep, sizeof(ep), "%d", c->d.next.episodes);
	snprintf(eta, sizeof(eta), "%lld", (long long)l->restock_eta_ms);
	int rc = pd_txn_exec(tx,
			     "UPDATE stock.shortages SET restock_eta = to_timestamp($4::bigint / 1000.0), "
			     "eta_updates = eta_updates + 1 WHERE sku = $1 AND warehouse = $2 AND episode = $3::int",
			     4, (const char *[]){l->sku, l->warehouse, ep, eta}, eb);
	if (rc != PD_OK)
		return rc;
	int err;
	PGresult *r = pd_txn_query(tx,
			"SELECT " ORDER_COLUMNS " FROM stock.shortage_orders so JOIN logistics.orders o USING (order_id) "
			"WHERE so.sku = $1 AND so.warehouse = $2 AND so.episode = $3::int "
			"ORDER BY o.ordered_at NULLS LAST, o.order_id",
			3, (const char *[]){l->sku, l->warehouse, ep}, &err, eb);
	if (!r)
		return err;
	rc = emit_shortage(tx, c, r, 1, eb);
	PQclear(r);
	return rc;
}

static int close_shortage(pd_txn *tx, const struct changed *c, pd_errbuf *eb)
{
	const Peakdesk__V1__StockLevel *l = c->it->env->stock_level;
	char ep[16], at[24];
	snprintf(ep, sizeof(ep), "%d", c->prev.episodes);
	snprintf(at, sizeof(at), "%lld", (long long)c->it->env->occurred_at_ms);
	int rc = pd_txn_exec(tx,
			     "UPDATE stock.shortages SET restocked_at = coalesce(to_timestamp(nullif($4::bigint, 0) / 1000.0), "
			     "now()) WHERE sku = $1 AND warehouse = $2 AND episode = $3::int",
			     4, (const char *[]){l->sku, l->warehouse, ep, at}, eb);
	if (rc == PD_OK)
		rc = emit_restocked(tx, c, 0, eb);
	return rc;
}

/* ---- a batch ------------------------------------------------------------------------ */

static int apply_levels(pd_txn *tx, st_context *ctx, pd_ingest_item **its, size_t n, pd_errbuf *eb)
{
	int rc = reject_unknown_skus(tx, its, n, eb);
	if (rc != PD_OK)
		return rc;
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (its[i]->status != ACK(REJECTED))
			its[k++] = its[i];
	n = k;
	if (n == 0)
		return PD_OK;
	if ((rc = upsert_skus(tx, its, n, eb)) != PD_OK)
		return rc;
	int err;
	PGresult *r = upsert_levels(tx, its, n, &err, eb);
	if (!r)
		return err;
	size_t m = (size_t)PQntuples(r);
	struct changed *ch = pd_xcalloc(m ? m : 1, sizeof(*ch));
	for (size_t i = 0; i < m; i++) {
		int row = (int)i;
		struct changed *c = &ch[i];
		c->it = its[atoi(PQgetvalue(r, row, 0)) - 1];
		c->prev.exists = bool_value(r, row, 1);
		c->prev.available = pd_db_int64(r, row, 2);
		c->prev.restock_eta_ms = pd_db_int64(r, row, 3);
		c->prev.shortage_open = bool_value(r, row, 4);
		c->prev.episodes = atoi(PQgetvalue(r, row, 5));
		c->prev.low_warned = bool_value(r, row, 6);
		c->report.threshold = pd_db_int64(r, row, 7);
		c->sku_name = PQgetvalue(r, row, 8);
		c->moved = bool_value(r, row, 9);
		c->report.available = c->it->env->stock_level->available;
		c->report.restock_eta_ms = c->it->env->stock_level->restock_eta_ms;
	}
	rc = fill_sell_through(tx, ctx, ch, m, eb);
	for (size_t i = 0; i < m; i++)
		st_level_decide(&ch[i].prev, &ch[i].report, &ch[i].d);
	if (rc == PD_OK)
		rc = store_states(tx, ch, m, eb);
	for (size_t i = 0; i < m && rc == PD_OK; i++) {
		struct changed *c = &ch[i];
		/* A department resending the same numbers under a newer version
		 * (a periodic full sync) changes nothing anyone would act on. */
		if (c->moved) {
			Peakdesk__V1__StockLevel out = *c->it->env->stock_level;
			out.sku_name = (char *)c->sku_name;
			rc = emit(tx, c->it, "stock.level_changed", PEAKDESK__V1__ENVELOPE__BODY_STOCK_LEVEL, &out, eb);
		}
		if (rc == PD_OK && c->d.shortage)
			rc = open_shortage(tx, c, eb);
		if (rc == PD_OK && c->d.eta_update)
			rc = update_shortage_eta(tx, c, eb);
		if (rc == PD_OK && c->d.restocked)
			rc = close_shortage(tx, c, eb);
		if (rc == PD_OK && c->d.low_warning)
			rc = emit_restocked(tx, c, 1, eb);
	}
	free(ch);
	PQclear(r);
	return rc;
}

static int apply_alone(pd_txn *tx, pd_ingest_item *it, void *arg, pd_errbuf *eb)
{
	return apply_levels(tx, arg, &it, 1, eb);
}

/* In a batch every level goes through the bulk path at once; alone after a
 * failed batch (careful mode) each event on its own. */
static int ingest_apply(pd_txn *tx, pd_ingest_item *items, size_t n, void *arg)
{
	if (pd_txn_careful(tx))
		return pd_ingest_apply_each(tx, items, n, apply_alone, arg);
	pd_ingest_item **its = pd_xmalloc((n ? n : 1) * sizeof(*its));
	for (size_t i = 0; i < n; i++)
		its[i] = &items[i];
	pd_errbuf eb = {{0}};
	int rc = apply_levels(tx, arg, its, n, &eb);
	free(its);
	return rc;
}

const pd_ingest_ops st_ingest_ops = {
	.validate = validate,
	.apply = ingest_apply,
};
