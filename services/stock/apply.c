/* Applies department stock reports (topic stock.level) inside the writer's
 * transaction. A batch costs a fixed number of statements whatever its
 * size: the stored names of the SKUs it does not name (which also finds
 * unknown SKUs), the SKUs it names, the level upsert with last-writer-wins
 * (which also says what each level was before), one sell-through lookup,
 * one episode-state update, and one statement each for the batch's
 * stock-outs, ETA moves and restocks, however many. Columns go in as
 * binary arrays (bin_array.c). What a level means is decided by
 * level_state.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "db.h"
#include "ids.h"
#include "bin_array.h"
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

static int bool_value(PGresult *r, int row, int col)
{
	return PQgetvalue(r, row, col)[0] == 't';
}

#define MS(c) "(extract(epoch FROM " c ") * 1000)::bigint"

/* ---- binary bulk parameters ------------------------------------------------ */

#define MAX_COLS 16

/* Runs sql (a string literal: its address names the prepared statement, as
 * pd_txn_query does) with n <= MAX_COLS binary array parameters. Whole
 * columns go in as binary arrays: no quoting or number formatting here, no
 * text parsing in the server. */
static PGresult *query_arrays(pd_txn *tx, const char *sql, pd_arr **cols, int n, int *err, pd_errbuf *eb)
{
	char name[32];
	snprintf(name, sizeof(name), "q_%p", (const void *)sql);
	const char *vals[MAX_COLS];
	int lens[MAX_COLS], fmts[MAX_COLS];
	if (n > MAX_COLS) {
		*err = pd_fail(eb, PD_EINVAL, "query_arrays: %d columns, at most %d", n, MAX_COLS);
		return NULL;
	}
	for (int i = 0; i < n; i++) {
		vals[i] = pd_arr_data(cols[i]);
		lens[i] = pd_arr_len(cols[i]);
		fmts[i] = 1;
	}
	return pd_db_query_bin(pd_txn_db(tx), name, sql, n, vals, lens, fmts, err, eb);
}

/* ---- the batch's SKUs ------------------------------------------------------- */

/* Every SKU of a batch once, with the name its events carry: the batch's
 * last name for it (what upsert_skus stores), else the stored one. */
struct sku_slot {
	const char *sku;  /* borrowed from a report; NULL: free */
	const char *name; /* NULL: unknown (nobody named it) */
	int named;        /* a report of this batch names it */
	int presale;      /* and says presale (the last naming report) */
};

struct sku_table {
	struct sku_slot *slots;
	size_t cap; /* power of two, >= 2 x SKUs */
	PGresult *stored; /* owns the stored names */
};

static uint64_t sku_hash(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

static struct sku_slot *sku_slot(struct sku_table *t, const char *sku)
{
	for (size_t i = sku_hash(sku) & (t->cap - 1);; i = (i + 1) & (t->cap - 1)) {
		struct sku_slot *e = &t->slots[i];
		if (!e->sku)
			e->sku = sku;
		if (!strcmp(e->sku, sku))
			return e;
	}
}

static struct sku_slot *sku_find(struct sku_table *t, const char *sku)
{
	for (size_t i = sku_hash(sku) & (t->cap - 1); t->slots[i].sku; i = (i + 1) & (t->cap - 1))
		if (!strcmp(t->slots[i].sku, sku))
			return &t->slots[i];
	return NULL;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void sku_table_free(struct sku_table *t)
{
	free(t->slots);
	PQclear(t->stored);
}

/* Fills t with the batch's SKUs and their names, one lookup for the SKUs
 * no report of the batch names, and rejects the nameless reports of SKUs
 * nobody named (before, or in this batch): a SKU comes into being with a
 * report that names it. slot[i] is report i's SKU. */
static int resolve_skus(pd_txn *tx, pd_ingest_item **its, size_t n, struct sku_table *t, struct sku_slot **slot,
			pd_errbuf *eb)
{
	t->cap = 16;
	while (t->cap < 2 * n)
		t->cap *= 2;
	t->slots = pd_xcalloc(t->cap, sizeof(*t->slots));
	t->stored = NULL;
	for (size_t i = 0; i < n; i++) {
		const Peakdesk__V1__StockLevel *l = its[i]->env->stock_level;
		slot[i] = sku_slot(t, l->sku);
		if (*l->sku_name) {
			slot[i]->name = l->sku_name; /* the last one wins */
			slot[i]->presale = l->presale;
			slot[i]->named = 1;
		}
	}
	/* In byte order: with a C or C.UTF-8 collation (code point order)
	 * the server finds the array already sorted and skips sorting it. */
	const char **ask = pd_xmalloc((n ? n : 1) * sizeof(*ask));
	size_t n_ask = 0;
	for (size_t i = 0; i < t->cap; i++)
		if (t->slots[i].sku && !t->slots[i].named)
			ask[n_ask++] = t->slots[i].sku;
	qsort(ask, n_ask, sizeof(*ask), cmp_str);
	pd_arr skus = {0};
	pd_arr_begin(&skus, PD_OID_TEXT);
	for (size_t i = 0; i < n_ask; i++)
		pd_arr_text(&skus, ask[i]);
	free(ask);
	int err = PD_OK;
	if (skus.n) {
		pd_arr *cols[] = {&skus};
		t->stored = query_arrays(tx, "SELECT s.sku, s.name FROM stock.skus s WHERE s.sku = ANY($1::text[])", cols, 1,
					 &err, eb);
	}
	pd_arr_free(&skus);
	if (err != PD_OK)
		return err;
	for (int row = 0; t->stored && row < PQntuples(t->stored); row++) {
		struct sku_slot *e = sku_find(t, PQgetvalue(t->stored, row, 0));
		if (e)
			e->name = PQgetvalue(t->stored, row, 1);
	}
	for (size_t i = 0; i < n; i++)
		if (!slot[i]->name) {
			its[i]->status = ACK(REJECTED);
			snprintf(its[i]->reason, sizeof(its[i]->reason),
				 "unknown SKU %.128s: its first report must carry sku_name", slot[i]->sku);
		}
	return PD_OK;
}

/* ---- SKUs ---------------------------------------------------------------------- */

/* Name and presale flag of every SKU named in the batch; the batch's last
 * report of a SKU wins (they describe the product, not a level, so no
 * version orders them across warehouses): one row per SKU, from t. */
static int upsert_skus(pd_txn *tx, const struct sku_table *t, pd_errbuf *eb)
{
	pd_arr sku = {0}, name = {0}, pre = {0};
	pd_arr *cols[] = {&sku, &name, &pre};
	pd_arrs_begin(cols, (const uint32_t[]){PD_OID_TEXT, PD_OID_TEXT, PD_OID_BOOL}, PD_ARRAY_LEN(cols));
	for (size_t i = 0; i < t->cap; i++) {
		const struct sku_slot *e = &t->slots[i];
		if (!e->sku || !e->named)
			continue;
		pd_arr_text(&sku, e->sku);
		pd_arr_text(&name, e->name);
		pd_arr_bool(&pre, e->presale);
	}
	int rc = PD_OK;
	if (sku.n) {
		PGresult *r = query_arrays(tx,
				"INSERT INTO stock.skus AS s (sku, name, presale) "
				"SELECT * FROM unnest($1::text[], $2::text[], $3::boolean[]) "
				"ON CONFLICT (sku) DO UPDATE SET name = excluded.name, presale = excluded.presale, "
				"updated_at = now() WHERE (s.name, s.presale) IS DISTINCT FROM (excluded.name, excluded.presale)",
				cols, (int)PD_ARRAY_LEN(cols), &rc, eb);
		PQclear(r);
	}
	pd_arrs_free(cols, PD_ARRAY_LEN(cols));
	return rc;
}

/* ---- levels -------------------------------------------------------------------- */

/* One level the upsert accepted, with what it means. */
struct changed {
	pd_ingest_item *it;
	const char *sku_name; /* the SKU's current name */
	int moved;            /* a number changed: worth a stock.level_changed */
	st_level_state prev;
	st_level_report report;
	st_level_decision d;
};

/* Upserts every level (last writer wins by version; a SKU/warehouse
 * repeated in the batch keeps its newest report) and returns the rows that
 * changed with the state they had before, in no particular order. Columns:
 * pos (1-based index into its), inserted, ETA ms (the old one where it
 * matters, see below), shortage_open, episodes, low_warned, whether any
 * number (on hand, reserved, available, ETA, ship-by) moved. */
static PGresult *upsert_levels(pd_txn *tx, pd_ingest_item **its, size_t n, int *err, pd_errbuf *eb)
{
	pd_arr sku = {0}, wh = {0}, oh = {0}, res = {0}, av = {0}, eta = {0}, sb = {0}, ver = {0}, rep = {0}, thr = {0};
	pd_arr *cols[] = {&sku, &wh, &oh, &res, &av, &eta, &sb, &ver, &rep, &thr};
	pd_arrs_begin(cols,
		      (const uint32_t[]){PD_OID_TEXT, PD_OID_TEXT, PD_OID_INT8, PD_OID_INT8, PD_OID_INT8, PD_OID_TIMESTAMPTZ,
					 PD_OID_TIMESTAMPTZ, PD_OID_INT8, PD_OID_TIMESTAMPTZ, PD_OID_INT8},
		      PD_ARRAY_LEN(cols));
	for (size_t i = 0; i < n; i++) {
		const Peakdesk__V1__StockLevel *l = its[i]->env->stock_level;
		pd_arr_text(&sku, l->sku);
		pd_arr_text(&wh, l->warehouse);
		pd_arr_i64(&oh, l->on_hand);
		pd_arr_i64(&res, l->reserved);
		pd_arr_i64(&av, l->available);
		pd_arr_ts_ms(&eta, l->restock_eta_ms);
		pd_arr_ts_ms(&sb, l->ship_by_ms);
		pd_arr_i64(&ver, effective_version(its[i]->env));
		pd_arr_ts_ms(&rep, its[i]->env->occurred_at_ms);
		pd_arr_i64(&thr, l->low_stock_threshold);
	}
	/* One probe per report: what the decision needs of the old row comes
	 * back from the upsert itself (ON CONFLICT works on the newest
	 * committed row version, under its lock, so another instance's
	 * concurrent write is seen too):
	 *   - shortage_open, episodes, low_warned: the upsert leaves them,
	 *     RETURNING shows the old values;
	 *   - whether a number moved: changed_at (schema 029) is set to
	 *     statement_timestamp() only then;
	 *   - the old ETA, which matters only for a level already out and
	 *     still at 0 (is the new ETA later?): for those rows the upsert
	 *     keeps the old ETA, returns it, and store_states writes the new
	 *     one.
	 * Times come in as timestamptz (no per-row conversions), the batch is
	 * sorted bytewise (only which codes are equal matters), and there is no
	 * ORDER BY and no SKU name here: the caller orders by pos and has the
	 * names. */
	PGresult *r = query_arrays(tx,
			"WITH u AS (SELECT DISTINCT ON (u.sku COLLATE \"C\", u.wh COLLATE \"C\") u.* "
			"  FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::bigint[], $6::timestamptz[], "
			"              $7::timestamptz[], $8::bigint[], $9::timestamptz[], $10::bigint[]) "
			"  WITH ORDINALITY AS u(sku, wh, oh, res, av, eta, sb, ver, rep, thr, pos) "
			"  ORDER BY u.sku COLLATE \"C\", u.wh COLLATE \"C\", u.ver DESC, u.pos DESC), "
			"up AS (INSERT INTO stock.levels AS l (sku, warehouse, on_hand, reserved, available, restock_eta, "
			"  ship_by, version, reported_at, low_stock_threshold, changed_at) "
			"  SELECT sku, wh, oh, res, av, eta, sb, ver, rep, thr, statement_timestamp() FROM u "
			"  ON CONFLICT (sku, warehouse) DO UPDATE SET on_hand = excluded.on_hand, "
			"  reserved = excluded.reserved, available = excluded.available, "
			"  restock_eta = CASE WHEN l.shortage_open AND excluded.available = 0 THEN l.restock_eta "
			"    ELSE excluded.restock_eta END, "
			"  ship_by = excluded.ship_by, low_stock_threshold = excluded.low_stock_threshold, "
			"  version = excluded.version, reported_at = excluded.reported_at, "
			"  changed_at = CASE WHEN (l.on_hand, l.reserved, l.available, l.restock_eta, l.ship_by) IS DISTINCT FROM "
			"    (excluded.on_hand, excluded.reserved, excluded.available, excluded.restock_eta, excluded.ship_by) "
			"    THEN statement_timestamp() ELSE l.changed_at END, "
			"  updated_at = now() WHERE l.version < excluded.version "
			"  RETURNING l.sku, l.warehouse, l.xmax = 0 AS inserted, " MS("l.restock_eta") " AS eta, "
			"  l.shortage_open, l.episodes, l.low_warned, l.changed_at = statement_timestamp() AS moved) "
			"SELECT u.pos, up.inserted, coalesce(up.eta, 0), up.shortage_open, up.episodes, up.low_warned, "
			"coalesce(up.moved, false) FROM up JOIN u ON u.sku = up.sku AND u.wh = up.warehouse",
			cols, (int)PD_ARRAY_LEN(cols), err, eb);
	pd_arrs_free(cols, PD_ARRAY_LEN(cols));
	return r;
}

/* Units of each SKU sold in the last hour, for levels without their own
 * threshold: from the cache, else one query for the batch's missing SKUs. */
static int fill_sell_through(pd_txn *tx, st_context *ctx, struct changed *ch, size_t n, pd_errbuf *eb)
{
	int64_t now = pd_now_ms();
	pd_arr skus = {0};
	pd_arr_begin(&skus, PD_OID_TEXT);
	for (size_t i = 0; i < n; i++) {
		if (!st_level_wants_sell_through(&ch[i].prev, &ch[i].report))
			continue;
		const char *sku = ch[i].it->env->stock_level->sku;
		if (!st_sales_cache_get(ctx->sales, sku, now, &ch[i].report.sell_through))
			pd_arr_text(&skus, sku);
	}
	int err = PD_OK;
	if (skus.n) {
		pd_arr *cols[] = {&skus};
		PGresult *r = query_arrays(tx,
				"SELECT u.sku, coalesce((SELECT sum(i.quantity) FROM logistics.order_items i "
				"  JOIN logistics.orders o USING (order_id) WHERE i.sku = u.sku AND o.status <> 'cancelled' "
				"  AND o.ordered_at > now() - interval '1 hour'), 0) "
				"FROM (SELECT DISTINCT unnest($1::text[]) AS sku) u",
				cols, 1, &err, eb);
		if (r) {
			for (int row = 0; row < PQntuples(r); row++)
				st_sales_cache_put(ctx->sales, PQgetvalue(r, row, 0), strtoll(PQgetvalue(r, row, 1), NULL, 10),
						   now);
			/* peek, not get: with PEAKDESK_STOCK_SALES_CACHE_MS=0 the
			 * value just fetched has already expired */
			for (size_t i = 0; i < n; i++)
				if (st_level_wants_sell_through(&ch[i].prev, &ch[i].report))
					st_sales_cache_peek(ctx->sales, ch[i].it->env->stock_level->sku,
							    &ch[i].report.sell_through);
			PQclear(r);
		}
	}
	pd_arr_free(&skus);
	return err;
}

/* The upsert left the old ETA in place for a level already out and still
 * at 0 (see upsert_levels): the report's ETA is stored here. */
static int eta_held(const struct changed *c)
{
	return c->prev.shortage_open && c->report.available == 0 && c->report.restock_eta_ms != c->prev.restock_eta_ms;
}

/* Stores the episode state of the levels whose state moved, and the ETAs
 * the upsert held back. */
static int store_states(pd_txn *tx, struct changed *ch, size_t n, pd_errbuf *eb)
{
	pd_arr sku = {0}, wh = {0}, open = {0}, ep = {0}, warned = {0}, set_eta = {0}, eta = {0};
	pd_arr *cols[] = {&sku, &wh, &open, &ep, &warned, &set_eta, &eta};
	pd_arrs_begin(cols, (const uint32_t[]){PD_OID_TEXT, PD_OID_TEXT, PD_OID_BOOL, PD_OID_INT4, PD_OID_BOOL, PD_OID_BOOL, PD_OID_TIMESTAMPTZ}, PD_ARRAY_LEN(cols));
	for (size_t i = 0; i < n; i++) {
		const st_level_state *a = &ch[i].prev, *b = &ch[i].d.next;
		int held = eta_held(&ch[i]);
		if (!held && a->shortage_open == b->shortage_open && a->episodes == b->episodes &&
		    a->low_warned == b->low_warned)
			continue;
		pd_arr_text(&sku, ch[i].it->env->stock_level->sku);
		pd_arr_text(&wh, ch[i].it->env->stock_level->warehouse);
		pd_arr_bool(&open, b->shortage_open);
		pd_arr_i32(&ep, b->episodes);
		pd_arr_bool(&warned, b->low_warned);
		pd_arr_bool(&set_eta, held);
		pd_arr_ts_ms(&eta, ch[i].report.restock_eta_ms);
	}
	int rc = PD_OK;
	if (sku.n) {
		PGresult *r = query_arrays(tx,
				"UPDATE stock.levels l SET shortage_open = u.open, episodes = u.ep, low_warned = u.warned, "
				"restock_eta = CASE WHEN u.set_eta THEN u.eta ELSE l.restock_eta END "
				"FROM unnest($1::text[], $2::text[], $3::boolean[], $4::int[], $5::boolean[], $6::boolean[], "
				"$7::timestamptz[]) AS u(sku, wh, open, ep, warned, set_eta, eta) "
				"WHERE l.sku = u.sku AND l.warehouse = u.wh",
				cols, (int)PD_ARRAY_LEN(cols), &rc, eb);
		PQclear(r);
	}
	pd_arrs_free(cols, PD_ARRAY_LEN(cols));
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

/* Emits the episode's affected orders (rows [from, to) of orders, columns
 * idx, order_id, quantity, customer_id, phone, channel, account,
 * external_user_id) as one stock.shortage event, or several parts when the
 * list is long. */
static int emit_shortage(pd_txn *tx, const struct changed *c, PGresult *orders, int from_row, int to_row, int eta_update,
			 pd_errbuf *eb)
{
	const Peakdesk__V1__StockLevel *l = c->it->env->stock_level;
	size_t n = (size_t)(to_row - from_row);
	Peakdesk__V1__AffectedOrder *ao = pd_xcalloc(n ? n : 1, sizeof(*ao));
	Peakdesk__V1__AffectedOrder **ptr = pd_xcalloc(n ? n : 1, sizeof(*ptr));
	Peakdesk__V1__CustomerRef *cust = pd_xcalloc(n ? n : 1, sizeof(*cust));
	size_t *part_end = pd_xcalloc(n + 1, sizeof(*part_end));
	size_t parts = 0, bytes = 0;
	for (size_t i = 0; i < n; i++) {
		peakdesk__v1__affected_order__init(&ao[i]);
		peakdesk__v1__customer_ref__init(&cust[i]);
		int row = from_row + (int)i;
		ao[i].order_id = PQgetvalue(orders, row, 1);
		ao[i].quantity = atoi(PQgetvalue(orders, row, 2));
		cust[i].customer_id = PQgetvalue(orders, row, 3);
		cust[i].phone = PQgetvalue(orders, row, 4);
		cust[i].channel = atoi(PQgetvalue(orders, row, 5));
		cust[i].account = PQgetvalue(orders, row, 6);
		cust[i].external_user_id = PQgetvalue(orders, row, 7);
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

/* The episodes a batch opens, moves or ends, written with one statement
 * each whatever their number (a promo peak sells out hundreds of SKUs at
 * once); the events go out afterwards in report order. */
struct transitions {
	PGresult *opened;  /* idx, ORDER_COLUMNS: orders of each new episode */
	PGresult *eta;     /* idx, ORDER_COLUMNS: orders of each episode whose ETA moved later */
	int *opened_from;  /* per ch index: first row in opened (-1: none), rows up to opened_to */
	int *opened_to, *eta_from, *eta_to;
};

/* Rows of r (sorted by its first column, an index into ch) per index. */
static void ranges(PGresult *r, size_t m, int *from, int *to)
{
	for (size_t i = 0; i < m; i++)
		from[i] = to[i] = -1;
	for (int row = 0; r && row < PQntuples(r); row++) {
		long i = strtol(PQgetvalue(r, row, 0), NULL, 10);
		if (i < 0 || (size_t)i >= m)
			continue;
		if (from[i] < 0)
			from[i] = row;
		to[i] = row + 1;
	}
}

/* The columns of the episodes that open (opening: 1) or whose ETA moves
 * (0): index into ch, SKU, warehouse, episode, restock ETA, and for an
 * opening the report's time. cols lists the ones the statement takes, in
 * that order. */
struct episode_cols {
	pd_arr idx, sku, wh, ep, eta, at;
};

static void episode_cols(struct episode_cols *e, pd_arr **cols, size_t n_cols, const struct changed *ch, size_t m,
			 int opening)
{
	*e = (struct episode_cols){{0}};
	pd_arrs_begin(cols, (const uint32_t[]){PD_OID_INT4, PD_OID_TEXT, PD_OID_TEXT, PD_OID_INT4, PD_OID_INT8, PD_OID_INT8},
		      n_cols);
	for (size_t i = 0; i < m; i++) {
		if (!(opening ? ch[i].d.shortage : ch[i].d.eta_update))
			continue;
		const Peakdesk__V1__StockLevel *l = ch[i].it->env->stock_level;
		pd_arr_i32(&e->idx, (int32_t)i);
		pd_arr_text(&e->sku, l->sku);
		pd_arr_text(&e->wh, l->warehouse);
		pd_arr_i32(&e->ep, ch[i].d.next.episodes);
		pd_arr_i64(&e->eta, l->restock_eta_ms);
		if (opening)
			pd_arr_i64(&e->at, ch[i].it->env->occurred_at_ms);
	}
}

/* New episodes: each records the unshipped orders containing its SKU (from
 * its warehouse, or not yet given one) in stock.shortage_orders, so an ETA
 * update goes to exactly the same orders, and returns them. */
static int open_shortages(pd_txn *tx, struct changed *ch, size_t m, struct transitions *t, pd_errbuf *eb)
{
	struct episode_cols e;
	pd_arr *cols[] = {&e.idx, &e.sku, &e.wh, &e.ep, &e.eta, &e.at};
	episode_cols(&e, cols, PD_ARRAY_LEN(cols), ch, m, 1);
	int err = PD_OK;
	if (e.idx.n)
		t->opened = query_arrays(tx,
				"WITH u AS (SELECT * FROM unnest($1::int[], $2::text[], $3::text[], $4::int[], $5::bigint[], "
				"  $6::bigint[]) AS u(idx, sku, wh, ep, eta, at)), "
				"so AS (INSERT INTO stock.shortage_orders (sku, warehouse, episode, order_id, quantity) "
				"  SELECT u.sku, u.wh, u.ep, i.order_id, sum(i.quantity) FROM u "
				"  JOIN logistics.order_items i ON i.sku = u.sku JOIN logistics.orders o ON o.order_id = i.order_id "
				"  WHERE o.status IN ('awaiting', 'allocated') AND o.warehouse IN (u.wh, '') "
				"  GROUP BY u.sku, u.wh, u.ep, i.order_id RETURNING sku, warehouse, episode, order_id, quantity), "
				"n AS (SELECT sku, warehouse, episode, count(*) AS orders FROM so GROUP BY 1, 2, 3), "
				"h AS (INSERT INTO stock.shortages (sku, warehouse, episode, started_at, restock_eta, orders) "
				"  SELECT u.sku, u.wh, u.ep, coalesce(to_timestamp(nullif(u.at, 0) / 1000.0), now()), "
				"  to_timestamp(nullif(u.eta, 0) / 1000.0), coalesce(n.orders, 0) FROM u "
				"  LEFT JOIN n ON n.sku = u.sku AND n.warehouse = u.wh AND n.episode = u.ep) "
				"SELECT u.idx, " ORDER_COLUMNS " FROM so JOIN u ON u.sku = so.sku AND u.wh = so.warehouse "
				"AND u.ep = so.episode JOIN logistics.orders o ON o.order_id = so.order_id "
				"ORDER BY u.idx, o.ordered_at NULLS LAST, o.order_id",
				cols, (int)PD_ARRAY_LEN(cols), &err, eb);
	pd_arrs_free(cols, PD_ARRAY_LEN(cols));
	return err;
}

/* Still out, the ETA moved later: the episodes record it, and the same
 * orders as at the stock-out hear again. */
static int move_etas(pd_txn *tx, struct changed *ch, size_t m, struct transitions *t, pd_errbuf *eb)
{
	struct episode_cols e;
	pd_arr *cols[] = {&e.idx, &e.sku, &e.wh, &e.ep, &e.eta};
	episode_cols(&e, cols, PD_ARRAY_LEN(cols), ch, m, 0);
	int err = PD_OK;
	if (e.idx.n)
		t->eta = query_arrays(tx,
				"WITH u AS (SELECT * FROM unnest($1::int[], $2::text[], $3::text[], $4::int[], $5::bigint[]) "
				"  AS u(idx, sku, wh, ep, eta)), "
				"h AS (UPDATE stock.shortages s SET restock_eta = to_timestamp(u.eta / 1000.0), "
				"  eta_updates = s.eta_updates + 1 FROM u "
				"  WHERE s.sku = u.sku AND s.warehouse = u.wh AND s.episode = u.ep) "
				"SELECT u.idx, " ORDER_COLUMNS " FROM u JOIN stock.shortage_orders so ON so.sku = u.sku "
				"AND so.warehouse = u.wh AND so.episode = u.ep JOIN logistics.orders o ON o.order_id = so.order_id "
				"ORDER BY u.idx, o.ordered_at NULLS LAST, o.order_id",
				cols, (int)PD_ARRAY_LEN(cols), &err, eb);
	pd_arrs_free(cols, PD_ARRAY_LEN(cols));
	return err;
}

/* Stock came back: the episodes end. */
static int close_shortages(pd_txn *tx, struct changed *ch, size_t m, pd_errbuf *eb)
{
	pd_arr sku = {0}, wh = {0}, ep = {0}, at = {0};
	pd_arr *cols[] = {&sku, &wh, &ep, &at};
	pd_arrs_begin(cols, (const uint32_t[]){PD_OID_TEXT, PD_OID_TEXT, PD_OID_INT4, PD_OID_INT8}, PD_ARRAY_LEN(cols));
	for (size_t i = 0; i < m; i++) {
		if (!ch[i].d.restocked)
			continue;
		const Peakdesk__V1__StockLevel *l = ch[i].it->env->stock_level;
		pd_arr_text(&sku, l->sku);
		pd_arr_text(&wh, l->warehouse);
		pd_arr_i32(&ep, ch[i].prev.episodes);
		pd_arr_i64(&at, ch[i].it->env->occurred_at_ms);
	}
	int err = PD_OK;
	if (sku.n) {
		PGresult *r = query_arrays(tx,
				"UPDATE stock.shortages s SET restocked_at = coalesce(to_timestamp(nullif(u.at, 0) / 1000.0), "
				"now()) FROM unnest($1::text[], $2::text[], $3::int[], $4::bigint[]) AS u(sku, wh, ep, at) "
				"WHERE s.sku = u.sku AND s.warehouse = u.wh AND s.episode = u.ep",
				cols, (int)PD_ARRAY_LEN(cols), &err, eb);
		PQclear(r);
	}
	pd_arrs_free(cols, PD_ARRAY_LEN(cols));
	return err;
}

/* Writes the batch's episode changes and emits every event in report
 * order: per level its stock.level_changed (when a number moved), then its
 * stock.shortage, ETA update, stock.restocked or stock.low. */
static int emit_levels(pd_txn *tx, struct changed *ch, size_t m, pd_errbuf *eb)
{
	struct transitions t = {0};
	t.opened_from = pd_xmalloc((m ? m : 1) * 4 * sizeof(int));
	t.opened_to = t.opened_from + (m ? m : 1);
	t.eta_from = t.opened_to + (m ? m : 1);
	t.eta_to = t.eta_from + (m ? m : 1);
	int rc = open_shortages(tx, ch, m, &t, eb);
	if (rc == PD_OK)
		rc = move_etas(tx, ch, m, &t, eb);
	if (rc == PD_OK)
		rc = close_shortages(tx, ch, m, eb);
	ranges(t.opened, m, t.opened_from, t.opened_to);
	ranges(t.eta, m, t.eta_from, t.eta_to);
	for (size_t i = 0; i < m && rc == PD_OK; i++) {
		struct changed *c = &ch[i];
		/* A department resending the same numbers under a newer version
		 * (a periodic full sync) changes nothing anyone would act on. */
		if (c->moved) {
			Peakdesk__V1__StockLevel out = *c->it->env->stock_level;
			out.sku_name = (char *)c->sku_name;
			rc = emit(tx, c->it, "stock.level_changed", PEAKDESK__V1__ENVELOPE__BODY_STOCK_LEVEL, &out, eb);
		}
		if (rc == PD_OK && c->d.shortage) {
			int from = t.opened_from[i] < 0 ? 0 : t.opened_from[i], to = t.opened_from[i] < 0 ? 0 : t.opened_to[i];
			pd_log_info("stock-out", "sku=%s warehouse=%s episode=%d orders=%d", c->it->env->stock_level->sku,
				    c->it->env->stock_level->warehouse, c->d.next.episodes, to - from);
			rc = emit_shortage(tx, c, t.opened, from, to, 0, eb);
		}
		if (rc == PD_OK && c->d.eta_update) {
			int from = t.eta_from[i] < 0 ? 0 : t.eta_from[i], to = t.eta_from[i] < 0 ? 0 : t.eta_to[i];
			rc = emit_shortage(tx, c, t.eta, from, to, 1, eb);
		}
		if (rc == PD_OK && c->d.restocked)
			rc = emit_restocked(tx, c, 0, eb);
		if (rc == PD_OK && c->d.low_warning)
			rc = emit_restocked(tx, c, 1, eb);
	}
	PQclear(t.opened);
	PQclear(t.eta);
	free(t.opened_from);
	return rc;
}

/* ---- a batch ------------------------------------------------------------------------ */

static int apply_levels(pd_txn *tx, st_context *ctx, pd_ingest_item **its, size_t n, pd_errbuf *eb)
{
	struct sku_table skus;
	struct sku_slot **slot = pd_xmalloc((n ? n : 1) * sizeof(*slot));
	int rc = resolve_skus(tx, its, n, &skus, slot, eb);
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (its[i]->status != ACK(REJECTED)) {
			slot[k] = slot[i];
			its[k++] = its[i];
		}
	n = k;
	if (rc == PD_OK && n > 0)
		rc = upsert_skus(tx, &skus, eb);
	PGresult *r = NULL;
	if (rc == PD_OK && n > 0)
		r = upsert_levels(tx, its, n, &rc, eb);
	size_t m = r ? (size_t)PQntuples(r) : 0;
	struct changed *ch = pd_xcalloc(m ? m : 1, sizeof(*ch));
	if (r) {
		/* Report order (pos is unique: one row per report at most). */
		int *row_of = pd_xmalloc(n * sizeof(*row_of));
		for (size_t i = 0; i < n; i++)
			row_of[i] = -1;
		for (int row = 0; row < (int)m; row++) {
			long pos = strtol(PQgetvalue(r, row, 0), NULL, 10);
			if (pos >= 1 && (size_t)pos <= n)
				row_of[pos - 1] = row;
		}
		size_t j = 0;
		for (size_t i = 0; i < n; i++) {
			int row = row_of[i];
			if (row < 0)
				continue;
			struct changed *c = &ch[j++];
			c->it = its[i];
			c->sku_name = slot[i]->name;
			c->prev.exists = !bool_value(r, row, 1);
			c->prev.restock_eta_ms = pd_db_int64(r, row, 2);
			c->prev.shortage_open = bool_value(r, row, 3);
			c->prev.episodes = atoi(PQgetvalue(r, row, 4));
			c->prev.low_warned = bool_value(r, row, 5);
			c->moved = bool_value(r, row, 6);
			c->report.threshold = c->it->env->stock_level->low_stock_threshold;
			c->report.available = c->it->env->stock_level->available;
			c->report.restock_eta_ms = c->it->env->stock_level->restock_eta_ms;
		}
		m = j;
		free(row_of);
		rc = fill_sell_through(tx, ctx, ch, m, eb);
	}
	for (size_t i = 0; i < m; i++)
		st_level_decide(&ch[i].prev, &ch[i].report, &ch[i].d);
	if (rc == PD_OK)
		rc = store_states(tx, ch, m, eb);
	if (rc == PD_OK)
		rc = emit_levels(tx, ch, m, eb);
	free(ch);
	PQclear(r);
	free(slot);
	sku_table_free(&skus);
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
