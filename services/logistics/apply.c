/* Applies department events to the logistics schema inside the writer's
 * transaction, emitting what changed. Decisions (allowed transitions, delay
 * recovery) come from the pure modules; this file only reads and writes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "db.h"
#include "delay.h"
#include "ids.h"
#include "log.h"
#include "logistics.h"
#include "shipment_state.h"

#define ACK(x) PEAKDESK__V1__ACK_STATUS__ACK_STATUS_##x
#define MAX_ID 128
#define MAX_TEXT 4096

/* ---- small SQL helpers -------------------------------------------------------- */

/* Unix ms as a text parameter; NULL (SQL NULL) for 0. */
static const char *ms_param(char buf[24], int64_t ms)
{
	if (ms == 0)
		return NULL;
	snprintf(buf, 24, "%lld", (long long)ms);
	return buf;
}

#define TS(p) "to_timestamp(" p "::bigint / 1000.0)"
#define MS(c) "(extract(epoch FROM " c ") * 1000)::bigint"

/* Customer of an order, for emitted events. Strings point into *hold, which
 * the caller PQclear()s after emitting. */
static int load_customer(pd_txn *tx, const char *order_id, Peakdesk__V1__CustomerRef *c,
			 PGresult **hold, pd_errbuf *eb)
{
	*hold = NULL;
	if (!order_id || !*order_id)
		return PD_OK;
	int err;
	PGresult *r = pd_txn_query(tx, "SELECT customer_id, phone, channel, account, external_user_id "
			    "FROM logistics.orders WHERE order_id = $1",
			1, (const char *[]){order_id}, &err, eb);
	if (!r)
		return err;
	if (PQntuples(r) == 1) {
		c->customer_id = PQgetvalue(r, 0, 0);
		c->phone = PQgetvalue(r, 0, 1);
		c->channel = atoi(PQgetvalue(r, 0, 2));
		c->account = PQgetvalue(r, 0, 3);
		c->external_user_id = PQgetvalue(r, 0, 4);
	}
	*hold = r;
	return PD_OK;
}

static int emit(pd_txn *tx, const char *topic, const char *trace_id, Peakdesk__V1__Envelope *env,
		pd_errbuf *eb)
{
	env->topic = (char *)topic;
	if (trace_id)
		env->trace_id = (char *)trace_id;
	return pd_txn_emit(tx, env, eb);
}

/* ---- validation (pure) ----------------------------------------------------------- */

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
	int rc;
	switch (env->body_case) {
	case PEAKDESK__V1__ENVELOPE__BODY_ORDER: {
		const Peakdesk__V1__OrderAwaitingFulfilment *o = env->order;
		if ((rc = check_id("order.order_id", o->order_id, eb)))
			return rc;
		if (o->n_items == 0)
			return pd_fail(eb, PD_EINVAL, "order.items: an order needs at least one line item");
		if (o->n_items > 1000)
			return pd_fail(eb, PD_EINVAL, "order.items: at most 1000 line items");
		for (size_t i = 0; i < o->n_items; i++) {
			if (!o->items[i]->sku || !*o->items[i]->sku)
				return pd_fail(eb, PD_EINVAL, "order.items[%zu].sku is required", i);
			if (o->items[i]->quantity < 1)
				return pd_fail(eb, PD_EINVAL, "order.items[%zu].quantity must be >= 1, got %d", i,
					       o->items[i]->quantity);
			if (o->items[i]->unit_price_cents < 0)
				return pd_fail(eb, PD_EINVAL, "order.items[%zu].unit_price_cents must be >= 0", i);
		}
		if (o->version < 0)
			return pd_fail(eb, PD_EINVAL, "order.version must be >= 0");
		return PD_OK;
	}
	case PEAKDESK__V1__ENVELOPE__BODY_SHIPMENT_UPDATE: {
		const Peakdesk__V1__ShipmentUpdate *s = env->shipment_update;
		if ((rc = check_id("shipment_update.carrier", s->carrier, eb)) ||
		    (rc = check_id("shipment_update.tracking_no", s->tracking_no, eb)))
			return rc;
		if (s->state <= 0 || s->state >= LG_SHIPMENT_STATE_COUNT)
			return pd_fail(eb, PD_EINVAL, "shipment_update.state must be set (created .. returned)");
		return PD_OK;
	}
	case PEAKDESK__V1__ENVELOPE__BODY_TRACKING_SCAN: {
		const Peakdesk__V1__TrackingScan *s = env->tracking_scan;
		if ((rc = check_id("tracking_scan.carrier", s->carrier, eb)) ||
		    (rc = check_id("tracking_scan.tracking_no", s->tracking_no, eb)))
			return rc;
		if (s->scanned_at_ms <= 0)
			return pd_fail(eb, PD_EINVAL, "tracking_scan.scanned_at_ms is required (unix ms)");
		if (strlen(s->description) > MAX_TEXT)
			return pd_fail(eb, PD_EINVAL, "tracking_scan.description is longer than %d bytes", MAX_TEXT);
		if (s->state < 0 || s->state >= LG_SHIPMENT_STATE_COUNT)
			return pd_fail(eb, PD_EINVAL, "tracking_scan.state out of range");
		return PD_OK;
	}
	case PEAKDESK__V1__ENVELOPE__BODY_RETURN_UPDATE: {
		const Peakdesk__V1__ReturnUpdate *r = env->return_update;
		if ((rc = check_id("return_update.return_id", r->return_id, eb)) ||
		    (rc = check_id("return_update.order_id", r->order_id, eb)))
			return rc;
		if (r->state <= 0 || r->state >= LG_RETURN_STATE_COUNT)
			return pd_fail(eb, PD_EINVAL, "return_update.state must be set (requested .. rejected)");
		if (r->refund_cents < 0)
			return pd_fail(eb, PD_EINVAL, "return_update.refund_cents must be >= 0");
		return PD_OK;
	}
	default:
		return pd_fail(eb, PD_EINVAL, "the logistics service does not take this event");
	}
}

/* ---- orders ----------------------------------------------------------------------- */

static const char *order_status_name(int s)
{
	switch (s) {
	case PEAKDESK__V1__ORDER_STATUS__ORDER_STATUS_ALLOCATED: return "allocated";
	case PEAKDESK__V1__ORDER_STATUS__ORDER_STATUS_SHIPPED: return "shipped";
	case PEAKDESK__V1__ORDER_STATUS__ORDER_STATUS_CANCELLED: return "cancelled";
	default: return "awaiting";
	}
}

struct changed_order {
	const char *order_id;
	int64_t version;
};

static int cmp_changed(const void *a, const void *b)
{
	const struct changed_order *x = a, *y = b;
	int c = strcmp(x->order_id, y->order_id);
	return c ? c : (x->version > y->version) - (x->version < y->version);
}

/* Applies n order events in three statements whatever n is: one upsert of
 * all orders (last writer wins by the department's version), then the line
 * items of the orders that changed are replaced. Bulk because orders arrive
 * by the ten thousand in a promo peak and per-row round trips would cap the
 * ingest rate. An order_id repeated in the batch keeps its newest version. */
static int apply_orders(pd_txn *tx, pd_ingest_item **its, size_t n, pd_errbuf *eb)
{
	pd_strbuf id = {0}, cid = {0}, ph = {0}, ch = {0}, acc = {0}, ext = {0}, st = {0}, t1 = {0}, t2 = {0},
		  t3 = {0}, wh = {0}, camp = {0}, ver = {0};
	pd_strbuf *cols[] = {&id, &cid, &ph, &ch, &acc, &ext, &st, &t1, &t2, &t3, &wh, &camp, &ver};
	pd_strbuf lo = {0}, lno = {0}, sku = {0}, name = {0}, qty = {0}, price = {0}, lver = {0};
	pd_strbuf *icols[] = {&lo, &lno, &sku, &name, &qty, &price, &lver};
	pd_sb_arrays_open(cols, PD_ARRAY_LEN(cols));
	pd_sb_arrays_open(icols, PD_ARRAY_LEN(icols));
	for (size_t k = 0; k < n; k++) {
		const Peakdesk__V1__OrderAwaitingFulfilment *o = its[k]->env->order;
		const Peakdesk__V1__CustomerRef *c = o->customer;
		char b[24], v[24];
		snprintf(v, sizeof(v), "%lld", (long long)o->version);
		pd_sb_array_elem(&id, o->order_id);
		pd_sb_array_elem(&cid, c ? c->customer_id : "");
		pd_sb_array_elem(&ph, c ? c->phone : "");
		snprintf(b, sizeof(b), "%d", c ? c->channel : 0);
		pd_sb_array_elem(&ch, b);
		pd_sb_array_elem(&acc, c ? c->account : "");
		pd_sb_array_elem(&ext, c ? c->external_user_id : "");
		pd_sb_array_elem(&st, order_status_name(o->status));
		snprintf(b, sizeof(b), "%lld", (long long)o->ordered_at_ms);
		pd_sb_array_elem(&t1, b);
		snprintf(b, sizeof(b), "%lld", (long long)o->promised_ship_by_ms);
		pd_sb_array_elem(&t2, b);
		snprintf(b, sizeof(b), "%lld", (long long)o->promised_delivery_ms);
		pd_sb_array_elem(&t3, b);
		pd_sb_array_elem(&wh, o->warehouse);
		pd_sb_array_elem(&camp, o->campaign_id);
		pd_sb_array_elem(&ver, v);
		for (size_t i = 0; i < o->n_items; i++) {
			pd_sb_array_elem(&lo, o->order_id);
			snprintf(b, sizeof(b), "%zu", i + 1);
			pd_sb_array_elem(&lno, b);
			pd_sb_array_elem(&sku, o->items[i]->sku);
			pd_sb_array_elem(&name, o->items[i]->name);
			snprintf(b, sizeof(b), "%d", o->items[i]->quantity);
			pd_sb_array_elem(&qty, b);
			snprintf(b, sizeof(b), "%lld", (long long)o->items[i]->unit_price_cents);
			pd_sb_array_elem(&price, b);
			pd_sb_array_elem(&lver, v);
		}
	}
	pd_sb_arrays_close(cols, PD_ARRAY_LEN(cols));
	pd_sb_arrays_close(icols, PD_ARRAY_LEN(icols));
	int err, rc = PD_OK;
	/* DISTINCT ON keeps the newest version of an order_id repeated in the
	 * batch (ON CONFLICT DO UPDATE may not touch a row twice). */
	PGresult *r = pd_txn_query(tx,
			"INSERT INTO logistics.orders AS o (order_id, customer_id, phone, channel, account, "
			"external_user_id, status, ordered_at, promised_ship_by, promised_delivery, warehouse, "
			"campaign_id, version) "
			"SELECT DISTINCT ON (u.id) u.id, u.cid, u.ph, u.ch, u.acc, u.ext, u.st, "
			"to_timestamp(nullif(u.t1, 0) / 1000.0), to_timestamp(nullif(u.t2, 0) / 1000.0), "
			"to_timestamp(nullif(u.t3, 0) / 1000.0), u.wh, u.camp, u.ver "
			"FROM unnest($1::text[], $2::text[], $3::text[], $4::smallint[], $5::text[], $6::text[], "
			"$7::text[], $8::bigint[], $9::bigint[], $10::bigint[], $11::text[], $12::text[], $13::bigint[]) "
			"WITH ORDINALITY AS u(id, cid, ph, ch, acc, ext, st, t1, t2, t3, wh, camp, ver, pos) "
			"ORDER BY u.id, u.ver DESC, u.pos DESC "
			"ON CONFLICT (order_id) DO UPDATE SET customer_id = excluded.customer_id, "
			"phone = excluded.phone, channel = excluded.channel, account = excluded.account, "
			"external_user_id = excluded.external_user_id, status = excluded.status, "
			"ordered_at = excluded.ordered_at, promised_ship_by = excluded.promised_ship_by, "
			"promised_delivery = excluded.promised_delivery, warehouse = excluded.warehouse, "
			"campaign_id = excluded.campaign_id, version = excluded.version, updated_at = now() "
			"WHERE o.version < excluded.version RETURNING order_id, version",
			13, (const char *[]){id.s, cid.s, ph.s, ch.s, acc.s, ext.s, st.s, t1.s, t2.s, t3.s, wh.s, camp.s, ver.s},
			&err, eb);
	if (!r) {
		rc = err;
		goto out;
	}
	int n_changed = PQntuples(r);
	if (n_changed > 0) {
		pd_strbuf chg = {0}, chv = {0};
		pd_sb_add(&chg, "{", 1);
		pd_sb_add(&chv, "{", 1);
		for (int row = 0; row < n_changed; row++) {
			pd_sb_array_elem(&chg, PQgetvalue(r, row, 0));
			pd_sb_array_elem(&chv, PQgetvalue(r, row, 1));
		}
		pd_sb_add(&chg, "}", 1);
		pd_sb_add(&chv, "}", 1);
		rc = pd_txn_exec(tx, "DELETE FROM logistics.order_items WHERE order_id = ANY($1::text[])", 1,
			    (const char *[]){chg.s}, eb);
		/* Only the line items of the version that was stored. */
		if (rc == PD_OK)
			rc = pd_txn_exec(tx,
				    "INSERT INTO logistics.order_items(order_id, line_no, sku, name, quantity, unit_price_cents) "
				    "SELECT DISTINCT ON (i.o, i.n) i.o, i.n, i.s, i.nm, i.q, i.p "
				    "FROM unnest($1::text[], $2::int[], $3::text[], $4::text[], $5::int[], $6::bigint[], $7::bigint[]) "
				    "AS i(o, n, s, nm, q, p, v) "
				    "JOIN unnest($8::text[], $9::bigint[]) AS c(o, v) ON c.o = i.o AND c.v = i.v "
				    "ORDER BY i.o, i.n",
				    9, (const char *[]){lo.s, lno.s, sku.s, name.s, qty.s, price.s, lver.s, chg.s, chv.s}, eb);
		pd_sb_free(&chg);
		pd_sb_free(&chv);
	}
	/* Events whose (order, version) was not stored were stale: say so. */
	struct changed_order *set = pd_xcalloc((size_t)n_changed + 1, sizeof(*set));
	for (int row = 0; row < n_changed; row++) {
		set[row].order_id = PQgetvalue(r, row, 0);
		set[row].version = strtoll(PQgetvalue(r, row, 1), NULL, 10);
	}
	qsort(set, (size_t)n_changed, sizeof(*set), cmp_changed);
	for (size_t k = 0; k < n && rc == PD_OK; k++) {
		const Peakdesk__V1__OrderAwaitingFulfilment *o = its[k]->env->order;
		struct changed_order key = {o->order_id, o->version};
		if (!bsearch(&key, set, (size_t)n_changed, sizeof(*set), cmp_changed))
			snprintf(its[k]->reason, sizeof(its[k]->reason),
				 "stale: a newer version of order %.64s is stored", o->order_id);
	}
	free(set);
	PQclear(r);
out:
	pd_sb_arrays_free(cols, PD_ARRAY_LEN(cols));
	pd_sb_arrays_free(icols, PD_ARRAY_LEN(icols));
	return rc;
}

/* ---- shipments -------------------------------------------------------------------- */

struct shipment_row {
	int exists;
	char shipment_id[PD_UUID_TEXT];
	int state;
	int64_t last_scan_at_ms, created_at_ms, promised_delivery_ms;
	int delay_open, episodes;
	char order_id[MAX_ID + 1];
	char last_scan_text[512];
};

static int lock_shipment(pd_txn *tx, const char *carrier, const char *nu, struct shipment_row *s,
			 pd_errbuf *eb)
{
	int err;
	memset(s, 0, sizeof(*s));
	PGresult *r = pd_txn_query(tx,
			"SELECT shipment_id, state, " MS("last_scan_at") ", " MS("created_at") ", "
			MS("promised_delivery") ", delay_open, delay_episodes, order_id, last_scan_text "
			"FROM logistics.shipments WHERE carrier = $1 AND tracking_no = $2 FOR UPDATE",
			2, (const char *[]){carrier, nu}, &err, eb);
	if (!r)
		return err;
	if (PQntuples(r) == 1) {
		s->exists = 1;
		snprintf(s->shipment_id, sizeof(s->shipment_id), "%s", PQgetvalue(r, 0, 0));
		s->state = lg_shipment_state_parse(PQgetvalue(r, 0, 1));
		s->last_scan_at_ms = pd_db_int64(r, 0, 2);
		s->created_at_ms = pd_db_int64(r, 0, 3);
		s->promised_delivery_ms = pd_db_int64(r, 0, 4);
		s->delay_open = PQgetvalue(r, 0, 5)[0] == 't';
		s->episodes = atoi(PQgetvalue(r, 0, 6));
		snprintf(s->order_id, sizeof(s->order_id), "%s", PQgetvalue(r, 0, 7));
		snprintf(s->last_scan_text, sizeof(s->last_scan_text), "%s", PQgetvalue(r, 0, 8));
	}
	PQclear(r);
	return PD_OK;
}

static int create_shipment(pd_txn *tx, const char *carrier, const char *nu, const char *order_id,
			   int state, int64_t at_ms, int64_t promised_ms, struct shipment_row *s,
			   pd_errbuf *eb)
{
	char t1[24], t2[24];
	pd_uuid_new_text(s->shipment_id);
	int err;
	PGresult *r = pd_txn_query(tx,
			/* created_at is when the department says it happened (the delay
			 * clock starts there); a shipment without its own promise takes
			 * the order's. */
			"INSERT INTO logistics.shipments(shipment_id, carrier, tracking_no, order_id, state, "
			"state_changed_at, promised_delivery, created_at) VALUES ($1, $2, $3, $4, $5, "
			"coalesce(" TS("$6") ", now()), coalesce(" TS("$7") ", (SELECT promised_delivery "
			"FROM logistics.orders WHERE order_id = $4)), least(coalesce(" TS("$6") ", now()), now())) "
			"RETURNING " MS("created_at") ", " MS("promised_delivery"),
			7,
			(const char *[]){s->shipment_id, carrier, nu, order_id ? order_id : "",
					 lg_shipment_state_name(state), ms_param(t1, at_ms), ms_param(t2, promised_ms)},
			&err, eb);
	if (!r)
		return err;
	s->created_at_ms = pd_db_int64(r, 0, 0);
	s->promised_delivery_ms = pd_db_int64(r, 0, 1);
	PQclear(r);
	s->exists = 1;
	s->state = 0;
	snprintf(s->order_id, sizeof(s->order_id), "%s", order_id ? order_id : "");
	return PD_OK;
}

/* Emits logistics.shipment_updated for s (now in state s->state, coming
 * from `from`), with the order's customer when known. */
static int emit_shipment_updated(pd_txn *tx, const char *carrier, const char *nu, const struct shipment_row *s,
				 int from, int64_t at_ms, const Peakdesk__V1__CustomerRef *cust, pd_errbuf *eb)
{
	Peakdesk__V1__ShipmentUpdated up = PEAKDESK__V1__SHIPMENT_UPDATED__INIT;
	up.shipment_id = (char *)s->shipment_id;
	up.order_id = (char *)s->order_id;
	up.carrier = (char *)carrier;
	up.tracking_no = (char *)nu;
	up.state = s->state;
	up.previous_state = from;
	up.last_scan_at_ms = s->last_scan_at_ms;
	up.last_scan_text = (char *)s->last_scan_text;
	up.promised_delivery_ms = s->promised_delivery_ms;
	up.customer = (Peakdesk__V1__CustomerRef *)cust;
	Peakdesk__V1__Envelope env = PEAKDESK__V1__ENVELOPE__INIT;
	env.occurred_at_ms = at_ms;
	env.body_case = PEAKDESK__V1__ENVELOPE__BODY_SHIPMENT_UPDATED;
	env.shipment_updated = &up;
	return emit(tx, "logistics.shipment_updated", NULL, &env, eb);
}

/* Moves s to `to` (already checked), records the transition, marks the order
 * shipped once a carrier has it, and emits the events. */
static int change_state(pd_txn *tx, const char *carrier, const char *nu, struct shipment_row *s, int to,
			int64_t at_ms, const char *source, const char *note, pd_errbuf *eb)
{
	char t[24];
	int from = s->state;
	const char *from_name = from ? lg_shipment_state_name(from) : NULL;
	int rc = pd_txn_exec(tx,
			"UPDATE logistics.shipments SET state = $2, state_changed_at = coalesce(" TS("$3")
			", now()), updated_at = now(), delay_open = delay_open AND $2 NOT IN ('delivered', 'returned') "
			"WHERE shipment_id = $1",
			3, (const char *[]){s->shipment_id, lg_shipment_state_name(to), ms_param(t, at_ms)}, eb);
	if (rc == PD_OK)
		rc = pd_txn_exec(tx,
			    "INSERT INTO logistics.shipment_transitions(shipment_id, from_state, to_state, at, source) "
			    "VALUES ($1, $2, $3, coalesce(" TS("$4") ", now()), $5)",
			    5, (const char *[]){s->shipment_id, from_name, lg_shipment_state_name(to), ms_param(t, at_ms), source},
			    eb);
	if (rc == PD_OK && *s->order_id && to >= PEAKDESK__V1__SHIPMENT_STATE__SHIPMENT_STATE_COLLECTED)
		rc = pd_txn_exec(tx,
			    "UPDATE logistics.orders SET status = 'shipped', updated_at = now() "
			    "WHERE order_id = $1 AND status IN ('awaiting', 'allocated')",
			    1, (const char *[]){s->order_id}, eb);
	if (rc != PD_OK)
		return rc;
	s->state = to;
	if (to == PEAKDESK__V1__SHIPMENT_STATE__SHIPMENT_STATE_DELIVERED ||
	    to == PEAKDESK__V1__SHIPMENT_STATE__SHIPMENT_STATE_RETURNED)
		s->delay_open = 0;

	PGresult *hold;
	Peakdesk__V1__CustomerRef cust = PEAKDESK__V1__CUSTOMER_REF__INIT;
	if ((rc = load_customer(tx, s->order_id, &cust, &hold, eb)) != PD_OK)
		return rc;
	rc = emit_shipment_updated(tx, carrier, nu, s, from, at_ms, hold ? &cust : NULL, eb);
	if (rc == PD_OK && to == PEAKDESK__V1__SHIPMENT_STATE__SHIPMENT_STATE_EXCEPTION &&
	    from != PEAKDESK__V1__SHIPMENT_STATE__SHIPMENT_STATE_EXCEPTION) {
		Peakdesk__V1__ShipmentException ex = PEAKDESK__V1__SHIPMENT_EXCEPTION__INIT;
		ex.shipment_id = s->shipment_id;
		ex.order_id = s->order_id;
		ex.carrier = (char *)carrier;
		ex.tracking_no = (char *)nu;
		ex.description = (char *)(note && *note ? note : s->last_scan_text);
		ex.occurred_at_ms = at_ms;
		ex.customer = hold ? &cust : NULL;
		Peakdesk__V1__Envelope e2 = PEAKDESK__V1__ENVELOPE__INIT;
		e2.occurred_at_ms = at_ms;
		e2.body_case = PEAKDESK__V1__ENVELOPE__BODY_SHIPMENT_EXCEPTION;
		e2.shipment_exception = &ex;
		rc = emit(tx, "logistics.exception", NULL, &e2, eb);
	}
	PQclear(hold);
	return rc;
}

static int apply_shipment(pd_txn *tx, const Peakdesk__V1__ShipmentUpdate *u, pd_ingest_item *it,
			  pd_errbuf *eb)
{
	struct shipment_row s;
	int rc = lock_shipment(tx, u->carrier, u->tracking_no, &s, eb);
	if (rc != PD_OK)
		return rc;
	pd_errbuf why = {{0}};
	if (lg_shipment_transition(s.exists ? s.state : 0, u->state, &why) != PD_OK) {
		it->status = ACK(REJECTED);
		snprintf(it->reason, sizeof(it->reason), "shipment %.32s/%.48s: %.160s", u->carrier, u->tracking_no, why.msg);
		return PD_OK;
	}
	if (!s.exists) {
		rc = create_shipment(tx, u->carrier, u->tracking_no, u->order_id, u->state, u->occurred_at_ms,
				     u->promised_delivery_ms, &s, eb);
		if (rc != PD_OK)
			return rc;
	} else {
		char t[24];
		rc = pd_txn_exec(tx,
			    "UPDATE logistics.shipments SET promised_delivery = coalesce(" TS("$2")
			    ", promised_delivery), order_id = CASE WHEN order_id = '' THEN $3 ELSE order_id END, "
			    "updated_at = now() WHERE shipment_id = $1",
			    3, (const char *[]){s.shipment_id, ms_param(t, u->promised_delivery_ms), u->order_id}, eb);
		if (rc != PD_OK)
			return rc;
		if (u->promised_delivery_ms)
			s.promised_delivery_ms = u->promised_delivery_ms;
		if (!*s.order_id)
			snprintf(s.order_id, sizeof(s.order_id), "%s", u->order_id);
		if (s.state == (int)u->state)
			return PD_OK; /* repeated report: nothing changes */
	}
	return change_state(tx, u->carrier, u->tracking_no, &s, u->state, u->occurred_at_ms, "department",
			    u->note, eb);
}

int lg_apply_scans(pd_txn *tx, const lg_context *ctx, const char *carrier, const char *nu,
		   const lg_scan *scans, size_t n, int new_state, const char *source, pd_errbuf *eb)
{
	if (n == 0)
		return PD_OK;
	/* Insert all scans in one statement; the primary key drops the ones
	 * we already have, so a re-sent history stores nothing twice. */
	pd_strbuf at = {0}, desc = {0}, code = {0}, area = {0}, st = {0};
	pd_sb_add(&at, "{", 1), pd_sb_add(&desc, "{", 1), pd_sb_add(&code, "{", 1);
	pd_sb_add(&area, "{", 1), pd_sb_add(&st, "{", 1);
	size_t newest = 0;
	for (size_t i = 0; i < n; i++) {
		char b[24];
		snprintf(b, sizeof(b), "%lld", (long long)scans[i].scanned_at_ms);
		pd_sb_array_elem(&at, b);
		pd_sb_array_elem(&desc, scans[i].description ? scans[i].description : "");
		pd_sb_array_elem(&code, scans[i].area_code ? scans[i].area_code : "");
		pd_sb_array_elem(&area, scans[i].area_name ? scans[i].area_name : "");
		pd_sb_array_elem(&st, scans[i].status_text ? scans[i].status_text : "");
		if (scans[i].scanned_at_ms > scans[newest].scanned_at_ms)
			newest = i;
	}
	pd_sb_add(&at, "}", 1), pd_sb_add(&desc, "}", 1), pd_sb_add(&code, "}", 1);
	pd_sb_add(&area, "}", 1), pd_sb_add(&st, "}", 1);
	int err;
	PGresult *r = pd_txn_query(tx,
			"INSERT INTO logistics.tracking_events(carrier, tracking_no, scanned_at, description, "
			"area_code, area_name, status_text) SELECT $1, $2, to_timestamp(a / 1000.0), d, c, n, s "
			"FROM unnest($3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[]) AS u(a, d, c, n, s) "
			"ON CONFLICT DO NOTHING",
			7, (const char *[]){carrier, nu, at.s, desc.s, code.s, area.s, st.s}, &err, eb);
	pd_sb_free(&at), pd_sb_free(&desc), pd_sb_free(&code), pd_sb_free(&area), pd_sb_free(&st);
	if (!r)
		return err;
	long inserted = strtol(PQcmdTuples(r), NULL, 10);
	PQclear(r);

	struct shipment_row s;
	int rc = lock_shipment(tx, carrier, nu, &s, eb);
	if (rc != PD_OK)
		return rc;
	const lg_scan *top = &scans[newest];
	if (!s.exists) {
		int initial = new_state ? new_state : PEAKDESK__V1__SHIPMENT_STATE__SHIPMENT_STATE_IN_TRANSIT;
		rc = create_shipment(tx, carrier, nu, "", initial, top->scanned_at_ms, 0, &s, eb);
		if (rc != PD_OK)
			return rc;
		new_state = initial;
	}
	if (inserted == 0 && (new_state == 0 || new_state == s.state))
		return PD_OK; /* a re-sent history with nothing new */

	int is_newest = top->scanned_at_ms >= s.last_scan_at_ms;
	if (is_newest) {
		char t[24];
		s.last_scan_at_ms = top->scanned_at_ms;
		snprintf(s.last_scan_text, sizeof(s.last_scan_text), "%s", top->description ? top->description : "");
		/* A fresh scan may end an open delay episode; the pure rule decides. */
		int close_delay = 0;
		if (s.delay_open) {
			lg_delay_input in = {.state = new_state ? new_state : s.state,
					     .last_scan_at_ms = s.last_scan_at_ms,
					     .created_at_ms = s.created_at_ms,
					     .promised_delivery_ms = s.promised_delivery_ms,
					     .delayed_episode_open = 1,
					     .episodes = s.episodes};
			lg_delay_verdict v;
			lg_delay_check(&in, pd_now_ms(), &ctx->delay, &v);
			close_delay = v.recovered;
		}
		rc = pd_txn_exec(tx,
			    "UPDATE logistics.shipments SET last_scan_at = " TS("$2") ", last_scan_text = $3, "
			    "updated_at = now(), delay_open = delay_open AND NOT $4::boolean WHERE shipment_id = $1",
			    4, (const char *[]){s.shipment_id, ms_param(t, top->scanned_at_ms), s.last_scan_text,
						close_delay ? "true" : "false"},
			    eb);
		if (rc != PD_OK)
			return rc;
		if (close_delay)
			s.delay_open = 0;
	}
	pd_errbuf why = {{0}};
	if (is_newest && new_state && new_state != s.state &&
	    lg_shipment_transition(s.state, new_state, &why) == PD_OK)
		return change_state(tx, carrier, nu, &s, new_state, top->scanned_at_ms, source, NULL, eb);
	if (is_newest && new_state && new_state != s.state)
		/* Carrier data is history, not a request: keep the scans, leave the
		 * state, and say why in the log. */
		pd_log_info("scan state ignored", "carrier=%s tracking_no=%s detail=\"%s\"", carrier, nu, why.msg);
	if (!is_newest || inserted == 0)
		return PD_OK;
	/* New newest scan without a state change: still news for the customer's
	 * progress page. */
	PGresult *hold;
	Peakdesk__V1__CustomerRef cust = PEAKDESK__V1__CUSTOMER_REF__INIT;
	if ((rc = load_customer(tx, s.order_id, &cust, &hold, eb)) != PD_OK)
		return rc;
	rc = emit_shipment_updated(tx, carrier, nu, &s, s.state, top->scanned_at_ms, hold ? &cust : NULL, eb);
	PQclear(hold);
	return rc;
}

/* ---- returns ------------------------------------------------------------------------ */

static int apply_return(pd_txn *tx, const Peakdesk__V1__ReturnUpdate *u, pd_ingest_item *it, pd_errbuf *eb)
{
	int err;
	PGresult *r = pd_txn_query(tx, "SELECT state FROM logistics.returns WHERE return_id = $1 FOR UPDATE", 1,
			(const char *[]){u->return_id}, &err, eb);
	if (!r)
		return err;
	int from = PQntuples(r) ? lg_return_state_parse(PQgetvalue(r, 0, 0)) : 0;
	PQclear(r);
	pd_errbuf why = {{0}};
	if (lg_return_transition(from, u->state, &why) != PD_OK) {
		it->status = ACK(REJECTED);
		snprintf(it->reason, sizeof(it->reason), "return %.64s: %.160s", u->return_id, why.msg);
		return PD_OK;
	}
	if (from == (int)u->state)
		return PD_OK;
	char t[24], refund[24];
	snprintf(refund, sizeof(refund), "%lld", (long long)u->refund_cents);
	const char *to_name = lg_return_state_name(u->state);
	int rc = pd_txn_exec(tx,
			"INSERT INTO logistics.returns(return_id, order_id, state, carrier, tracking_no, reason, refund_cents) "
			"VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (return_id) DO UPDATE SET state = excluded.state, "
			"carrier = CASE WHEN excluded.carrier = '' THEN returns.carrier ELSE excluded.carrier END, "
			"tracking_no = CASE WHEN excluded.tracking_no = '' THEN returns.tracking_no ELSE excluded.tracking_no END, "
			"reason = CASE WHEN excluded.reason = '' THEN returns.reason ELSE excluded.reason END, "
			"refund_cents = greatest(returns.refund_cents, excluded.refund_cents), updated_at = now()",
			7, (const char *[]){u->return_id, u->order_id, to_name, u->carrier, u->tracking_no, u->reason, refund},
			eb);
	if (rc == PD_OK)
		rc = pd_txn_exec(tx,
			    "INSERT INTO logistics.return_steps(return_id, from_state, to_state, at) "
			    "VALUES ($1, $2, $3, coalesce(" TS("$4") ", now()))",
			    4, (const char *[]){u->return_id, from ? lg_return_state_name(from) : NULL, to_name,
						ms_param(t, u->occurred_at_ms)},
			    eb);
	if (rc != PD_OK)
		return rc;
	PGresult *hold;
	Peakdesk__V1__CustomerRef cust = PEAKDESK__V1__CUSTOMER_REF__INIT;
	if ((rc = load_customer(tx, u->order_id, &cust, &hold, eb)) != PD_OK)
		return rc;
	Peakdesk__V1__ReturnUpdate out = *u;
	out.previous_state = from;
	out.customer = hold ? &cust : NULL;
	Peakdesk__V1__Envelope env = PEAKDESK__V1__ENVELOPE__INIT;
	env.occurred_at_ms = u->occurred_at_ms;
	env.body_case = PEAKDESK__V1__ENVELOPE__BODY_RETURN_UPDATE;
	env.return_update = &out;
	rc = emit(tx, "logistics.return_updated", NULL, &env, eb);
	PQclear(hold);
	return rc;
}

/* ---- dispatch ----------------------------------------------------------------------- */

static int apply_one(pd_txn *tx, pd_ingest_item *it, void *arg, pd_errbuf *eb)
{
	const lg_context *ctx = arg;
	const Peakdesk__V1__Envelope *env = it->env;
	switch (env->body_case) {
	case PEAKDESK__V1__ENVELOPE__BODY_ORDER:
		/* in a batch, orders went in bulk before (ingest_apply) */
		return pd_txn_careful(tx) ? apply_orders(tx, &it, 1, eb) : PD_OK;
	case PEAKDESK__V1__ENVELOPE__BODY_SHIPMENT_UPDATE:
		return apply_shipment(tx, env->shipment_update, it, eb);
	case PEAKDESK__V1__ENVELOPE__BODY_TRACKING_SCAN: {
		const Peakdesk__V1__TrackingScan *s = env->tracking_scan;
		lg_scan scan = {s->scanned_at_ms, s->description, s->area_code, s->area_name, s->status_text};
		return lg_apply_scans(tx, ctx, s->carrier, s->tracking_no, &scan, 1, s->state, "tracking", eb);
	}
	case PEAKDESK__V1__ENVELOPE__BODY_RETURN_UPDATE:
		return apply_return(tx, env->return_update, it, eb);
	default:
		it->status = ACK(REJECTED);
		snprintf(it->reason, sizeof(it->reason), "the logistics service does not take this event");
		return PD_OK;
	}
}

static int ingest_apply(pd_txn *tx, pd_ingest_item *items, size_t n, void *arg)
{
	if (!pd_txn_careful(tx)) {
		/* Orders in bulk first (shipments in the same request may refer to
		 * them); everything else one by one. */
		pd_ingest_item **orders = pd_xmalloc((n ? n : 1) * sizeof(*orders));
		size_t n_orders = 0;
		for (size_t i = 0; i < n; i++)
			if (items[i].env->body_case == PEAKDESK__V1__ENVELOPE__BODY_ORDER)
				orders[n_orders++] = &items[i];
		pd_errbuf eb = {{0}};
		int rc = n_orders ? apply_orders(tx, orders, n_orders, &eb) : PD_OK;
		free(orders);
		if (rc != PD_OK)
			return rc;
	}
	return pd_ingest_apply_each(tx, items, n, apply_one, arg);
}

const pd_ingest_ops lg_ingest_ops = {
	.validate = validate,
	.apply = ingest_apply,
};
