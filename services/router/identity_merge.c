/* One customer behind several channels. When a customer's message names an
 * order (or a phone number) that belongs to another identity — the WeChat
 * follower who placed the order now writing from the app — the two are one
 * customer: the younger customer record is merged into the older one
 * (identities, tickets and later merges follow), and the merge is recorded
 * in router.customer_merges with its evidence and noted on the ticket. An
 * order's channel identity the router has not met yet is linked to the
 * customer, so their first message from it threads correctly. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "extract.h"
#include "ids.h"
#include "log.h"
#include "router.h"
#include "topics.h"

/* Moves everything of customer `from` onto `into`. */
static int merge_customers(pd_txn *tx, const char *from, const char *into, pd_errbuf *eb)
{
	const char *p[2] = {from, into};
	int rc = pd_txn_exec(tx, "UPDATE router.customers SET merged_into = $2 WHERE customer_id = $1 OR merged_into = $1",
			     2, p, eb);
	if (rc == PD_OK)
		rc = pd_txn_exec(tx, "UPDATE router.identities SET customer_id = $2 WHERE customer_id = $1", 2, p, eb);
	if (rc == PD_OK)
		rc = pd_txn_exec(tx, "UPDATE router.tickets SET customer_id = $2 WHERE customer_id = $1", 2, p, eb);
	if (rc == PD_OK) /* what the younger record knew and the older did not */
		rc = pd_txn_exec(tx,
				 "UPDATE router.customers s SET phone = CASE WHEN s.phone = '' THEN l.phone ELSE s.phone END, "
				 "tier = CASE WHEN l.tier = 'vip' THEN 'vip' ELSE s.tier END, "
				 "display_name = CASE WHEN s.display_name = '' THEN l.display_name ELSE s.display_name END "
				 "FROM router.customers l WHERE s.customer_id = $2 AND l.customer_id = $1",
				 2, p, eb);
	return rc;
}

/* Records one merge (ticket unknown yet: rt_merges_note adds it) and the
 * line the ticket's timeline will show for it. */
static int record(pd_txn *tx, const char *merged, const char *into, const char *reason, const char *evidence,
		  const char *account, const char *user, rt_merge_notes *notes, pd_errbuf *eb)
{
	pd_log_info(merged ? "customers merged" : "identity linked", "reason=%s into=%s merged=%s account=%s", reason, into,
		    merged ? merged : "-", account);
	char label[400];
	snprintf(label, sizeof(label), "%s：%s %.64s 也属于渠道身份 %.64s/%.64s%s", merged ? "客户合并" : "身份关联",
		 strcmp(reason, "order") ? "手机号" : "订单", evidence, account, user, merged ? "，已合并为同一客户" : "");
	notes->label = pd_xrealloc(notes->label, (notes->n + 1) * sizeof(*notes->label));
	notes->label[notes->n++] = pd_xstrdup(label);
	return pd_txn_exec(tx,
			   "INSERT INTO router.customer_merges (merged_customer, into_customer, reason, evidence, "
			   "identity_account, identity_user) VALUES ($1::uuid, $2, $3, $4, $5, $6)",
			   6, (const char *[]){merged, into, reason, evidence, account, user}, eb);
}

int rt_merge_identities(pd_txn *tx, char customer_id[PD_UUID_TEXT], const char *text, rt_merge_notes *notes,
			pd_errbuf *eb)
{
	rt_ref refs[16];
	size_t n = rt_extract(NULL, text, strlen(text), refs, 16);
	if (n > 16)
		n = 16;
	pd_strbuf orders = {0}, phones = {0};
	pd_sb_add(&orders, "{", 1), pd_sb_add(&phones, "{", 1);
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (refs[i].kind == RT_REF_ORDER || refs[i].alt_kind == RT_REF_ORDER)
			pd_sb_array_elem(&orders, refs[i].value), k++;
		if (refs[i].kind == RT_REF_PHONE)
			pd_sb_array_elem(&phones, refs[i].value), k++;
	}
	pd_sb_add(&orders, "}", 1), pd_sb_add(&phones, "}", 1);
	if (k == 0) {
		pd_sb_free(&orders), pd_sb_free(&phones);
		return PD_OK;
	}
	int err;
	/* The identities the message's order and phone numbers point at,
	 * with the customer each belongs to now (NULL: not met yet). */
	PGresult *r = pd_txn_query(tx,
			"WITH cand AS ("
			"  SELECT 'order' AS reason, o.order_id AS evidence, o.channel, o.account, o.external_user_id AS usr "
			"  FROM logistics.orders o WHERE o.order_id = ANY($2::text[]) "
			"  UNION SELECT 'phone', o.phone, o.channel, o.account, o.external_user_id "
			"  FROM logistics.orders o WHERE o.phone = ANY($3::text[]) AND o.phone <> '' "
			"  UNION SELECT 'phone', c.phone, 0, i.account, i.external_user_id "
			"  FROM router.customers c JOIN router.identities i ON i.customer_id = c.customer_id "
			"  WHERE c.phone = ANY($3::text[]) AND c.phone <> '') "
			"SELECT cand.reason, cand.evidence, cand.channel, cand.account, cand.usr, i.customer_id, "
			"  (SELECT created_at FROM router.customers WHERE customer_id = i.customer_id) < "
			"  (SELECT created_at FROM router.customers WHERE customer_id = $1) "
			"FROM cand LEFT JOIN router.identities i ON i.account = cand.account AND i.external_user_id = cand.usr "
			"WHERE cand.account <> '' AND cand.usr <> '' AND (i.customer_id IS NULL OR i.customer_id <> $1) "
			"ORDER BY 1, 2, 4, 5",
			3, (const char *[]){customer_id, orders.s, phones.s}, &err, eb);
	int rc = PD_OK;
	if (!r)
		rc = err;
	for (int i = 0; r && i < PQntuples(r) && rc == PD_OK; i++) {
		const char *reason = PQgetvalue(r, i, 0), *evidence = PQgetvalue(r, i, 1);
		const char *account = PQgetvalue(r, i, 3), *user = PQgetvalue(r, i, 4);
		if (PQgetisnull(r, i, 5)) {
			/* an identity from the order we have not met: it is this customer */
			int ch = atoi(PQgetvalue(r, i, 2));
			if (ch <= 0)
				continue;
			rc = pd_txn_exec(tx,
					 "INSERT INTO router.identities (account, external_user_id, channel, customer_id) "
					 "VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
					 4, (const char *[]){account, user, pd_channel_name(ch), customer_id}, eb);
			if (rc == PD_OK)
				rc = record(tx, NULL, customer_id, reason, evidence, account, user, notes, eb);
			continue;
		}
		const char *other = PQgetvalue(r, i, 5);
		if (!strcmp(other, customer_id))
			continue; /* merged by an earlier row of this message */
		int other_older = PQgetvalue(r, i, 6)[0] == 't';
		char from[PD_UUID_TEXT], into[PD_UUID_TEXT];
		snprintf(from, sizeof(from), "%s", other_older ? customer_id : other);
		snprintf(into, sizeof(into), "%s", other_older ? other : customer_id);
		rc = merge_customers(tx, from, into, eb);
		if (rc == PD_OK)
			rc = record(tx, from, into, reason, evidence, account, user, notes, eb);
		snprintf(customer_id, PD_UUID_TEXT, "%s", into);
	}
	PQclear(r);
	/* a phone the customer gave is theirs: later matches find it */
	if (rc == PD_OK && strcmp(phones.s, "{}"))
		rc = pd_txn_exec(tx,
				 "UPDATE router.customers SET phone = ($2::text[])[1] WHERE customer_id = $1 AND phone = ''",
				 2, (const char *[]){customer_id, phones.s}, eb);
	pd_sb_free(&orders), pd_sb_free(&phones);
	return rc;
}

int rt_merges_note(pd_txn *tx, const char *ticket_id, const rt_merge_notes *notes, pd_errbuf *eb)
{
	if (!notes->n)
		return PD_OK;
	int rc = pd_txn_exec(tx, "UPDATE router.customer_merges SET ticket_id = $1 WHERE ticket_id IS NULL", 1,
			     (const char *[]){ticket_id}, eb);
	for (size_t i = 0; i < notes->n && rc == PD_OK; i++)
		rc = rt_timeline_add(tx, ticket_id, "customer_merged", "router", 0, notes->label[i], NULL, eb);
	return rc;
}

void rt_merge_notes_free(rt_merge_notes *notes)
{
	for (size_t i = 0; i < notes->n; i++)
		free(notes->label[i]);
	free(notes->label);
	memset(notes, 0, sizeof(*notes));
}
