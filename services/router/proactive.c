/* Proactive care: a customer whose parcel is late hears it from us before
 * they ask. logistics.delayed carries the order's customer (channel,
 * account, user); the notice goes out as message.outbound (reason
 * PROACTIVE_NOTICE) once per order and delay episode. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "ids.h"
#include "log.h"
#include "router.h"
#include "topics.h"

static int on_delayed(pd_txn *tx, const Peakdesk__V1__ShipmentDelayed *d, pd_errbuf *eb)
{
	const Peakdesk__V1__CustomerRef *c = d->customer;
	/* Without a reachable customer (no channel identity on the order) there
	 * is nobody to tell; agents still see the delay on the order. */
	if (!c || !*c->account || !*c->external_user_id || !*d->order_id)
		return PD_OK;
	char id[PD_UUID_TEXT], ep[12], ch[8];
	pd_uuid_new_text(id);
	snprintf(ch, sizeof(ch), "%d", c->channel);
	snprintf(ep, sizeof(ep), "%d", d->episode > 0 ? d->episode : 1);
	int err;
	PGresult *r = pd_txn_query(tx,
				   "INSERT INTO router.proactive_notices(order_id, kind, episode, customer_id, account, external_user_id, outbound_id, channel) "
				   "SELECT $1, 'delay', $2::int, (SELECT customer_id FROM router.identities WHERE account = $3 AND external_user_id = $4), "
				   "$3, $4, $5, $6::smallint ON CONFLICT DO NOTHING RETURNING 1",
				   6, (const char *[]){d->order_id, ep, c->account, c->external_user_id, id, ch}, &err, eb);
	if (!r)
		return err;
	int fresh = PQntuples(r) == 1;
	PQclear(r);
	if (!fresh)
		return PD_OK;
	char text[600];
	snprintf(text, sizeof(text),
		 "您好，您的订单%.64s（%.32s %.40s）比预期慢了，我们已联系快递加急处理，有进展会第一时间通知您，"
		 "给您添麻烦了。/ Your parcel for order %.64s is running late; we have chased the carrier and will keep you posted.",
		 d->order_id, d->carrier, d->tracking_no, d->order_id);
	pd_log_info("proactive delay notice", "order_id=%s channel=%s account=%s", d->order_id, pd_channel_name(c->channel),
		    c->account);
	int rc = rt_emit_notice(tx, id, c->channel, c->account, c->external_user_id,
				"您的包裹比预期慢 / Your parcel is running late", text, eb);
	if (rc != PD_OK)
		return rc;
	/* an open ticket of the customer gets the facts and a higher priority */
	pd_strbuf acc = {0}, usr = {0};
	pd_sb_add(&acc, "{", 1), pd_sb_add(&usr, "{", 1);
	pd_sb_array_elem(&acc, c->account), pd_sb_array_elem(&usr, c->external_user_id);
	pd_sb_add(&acc, "}", 1), pd_sb_add(&usr, "}", 1);
	char label[300];
	snprintf(label, sizeof(label), "物流延误：订单%.64s（%.32s %.40s）比预期慢，已主动通知客户。建议：如客户着急可申请补偿（需组长批准）",
		 d->order_id, d->carrier, d->tracking_no);
	rc = rt_annotate_customers(tx, acc.s, usr.s, label, eb);
	pd_sb_free(&acc), pd_sb_free(&usr);
	return rc;
}

int rt_apply_proactive(pd_txn *tx, const Peakdesk__V1__Envelope *env, pd_errbuf *eb)
{
	if (env->body_case == PEAKDESK__V1__ENVELOPE__BODY_SHIPMENT_DELAYED)
		return on_delayed(tx, env->shipment_delayed, eb);
	return PD_OK;
}
