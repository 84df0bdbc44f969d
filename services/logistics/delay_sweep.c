/* The delay timer: periodically finds shipments that became late and emits
 * logistics.delayed once per delay episode (the rule is delay.c's). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "ids.h"
#include "log.h"
#include "logistics.h"
#include "shipment_state.h"

#define MS(c) "(extract(epoch FROM " c ") * 1000)::bigint"


static int sweep_apply(pd_txn *tx, const void *arg, pd_errbuf *eb)
{
	const lg_context *ctx = arg;
	char win[24], grace[24];
	snprintf(win, sizeof(win), "%lld", (long long)ctx->delay.no_scan_window_ms);
	snprintf(grace, sizeof(grace), "%lld", (long long)ctx->delay.promise_grace_ms);
	int err;
	/* Candidates only; the verdict is lg_delay_check's. Bounded so a big
	 * backlog is worked through over several ticks. */
	PGresult *r = pd_db_query(
		pd_txn_db(tx), NULL,
		"SELECT s.shipment_id, s.carrier, s.tracking_no, s.order_id, s.state, " MS("s.last_scan_at") ", "
		MS("s.created_at") ", " MS("s.promised_delivery") ", s.delay_episodes, "
		"o.customer_id, o.phone, o.channel, o.account, o.external_user_id "
		"FROM logistics.shipments s LEFT JOIN logistics.orders o USING (order_id) "
		/* Mirrors lg_delay_check's scope (exception shipments were already
		 * reported; a returning parcel has no delivery promise), so the
		 * LIMIT is never filled with rows the rule would skip. */
		"WHERE NOT s.delay_open AND s.state NOT IN ('delivered', 'returned', 'exception') AND ("
		" ($1::bigint > 0 AND coalesce(s.last_scan_at, s.created_at) <= now() - make_interval(secs => $1::bigint / 1000.0))"
		" OR (s.state <> 'returning' AND s.promised_delivery < now() - make_interval(secs => $2::bigint / 1000.0))) "
		"ORDER BY s.shipment_id LIMIT 1000 FOR UPDATE OF s SKIP LOCKED",
		2, (const char *[]){win, grace}, &err, eb);
	if (!r)
		return err;
	int64_t now = pd_now_ms();
	int rc = PD_OK, emitted = 0;
	for (int i = 0; i < PQntuples(r) && rc == PD_OK; i++) {
		lg_delay_input in = {
			.state = lg_shipment_state_parse(PQgetvalue(r, i, 4)),
			.last_scan_at_ms = pd_db_int64(r, i, 5),
			.created_at_ms = pd_db_int64(r, i, 6),
			.promised_delivery_ms = pd_db_int64(r, i, 7),
			.delayed_episode_open = 0,
			.episodes = atoi(PQgetvalue(r, i, 8)),
		};
		lg_delay_verdict v;
		lg_delay_check(&in, now, &ctx->delay, &v);
		if (!v.emit)
			continue;
		char ep[16];
		snprintf(ep, sizeof(ep), "%d", v.episode);
		PGresult *u = pd_db_query(pd_txn_db(tx), NULL,
					  "UPDATE logistics.shipments SET delay_open = true, delay_episodes = $2, "
					  "delayed_at = now() WHERE shipment_id = $1",
					  2, (const char *[]){PQgetvalue(r, i, 0), ep}, &err, eb);
		if (!u) {
			rc = err;
			break;
		}
		PQclear(u);
		Peakdesk__V1__CustomerRef cust = PEAKDESK__V1__CUSTOMER_REF__INIT;
		int has_order = !PQgetisnull(r, i, 9);
		if (has_order) {
			cust.customer_id = PQgetvalue(r, i, 9);
			cust.phone = PQgetvalue(r, i, 10);
			cust.channel = atoi(PQgetvalue(r, i, 11));
			cust.account = PQgetvalue(r, i, 12);
			cust.external_user_id = PQgetvalue(r, i, 13);
		}
		Peakdesk__V1__ShipmentDelayed d = PEAKDESK__V1__SHIPMENT_DELAYED__INIT;
		d.shipment_id = PQgetvalue(r, i, 0);
		d.carrier = PQgetvalue(r, i, 1);
		d.tracking_no = PQgetvalue(r, i, 2);
		d.order_id = PQgetvalue(r, i, 3);
		d.reason = v.reason;
		d.last_scan_at_ms = in.last_scan_at_ms;
		d.promised_delivery_ms = in.promised_delivery_ms;
		d.detected_at_ms = now;
		d.episode = v.episode;
		d.customer = has_order ? &cust : NULL;
		Peakdesk__V1__Envelope env = PEAKDESK__V1__ENVELOPE__INIT;
		env.topic = "logistics.delayed";
		env.occurred_at_ms = now;
		env.body_case = PEAKDESK__V1__ENVELOPE__BODY_SHIPMENT_DELAYED;
		env.shipment_delayed = &d;
		rc = pd_txn_emit(tx, &env, eb);
		emitted++;
		pd_log_info("shipment delayed", "carrier=%s tracking_no=%s order_id=%s reason=%d episode=%d",
			    d.carrier, d.tracking_no, d.order_id, d.reason, d.episode);
	}
	PQclear(r);
	return rc;
}

void lg_delay_sweep_submit(pd_bus *bus, const lg_context *ctx)
{
	static pd_tick_job sweep = {.what = "delay sweep", .fn = sweep_apply};
	pd_tick_submit(bus, &sweep, ctx);
}
