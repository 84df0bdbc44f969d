/* Storing a customer message: the one place every inbound path (webhook,
 * WeChat, e-mail) ends. The row and the message.inbound event commit
 * together; the channel's own message id makes a re-send a duplicate. */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway.h"
#include "topics.h"
#include "ids.h"

void gw_truncate_utf8(char *text, size_t max)
{
	size_t n = strlen(text);
	if (n <= max)
		return;
	/* Step back over continuation bytes (10xxxxxx) to a character start. */
	while (max > 0 && ((unsigned char)text[max] & 0xC0) == 0x80)
		max--;
	text[max] = 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int gw_store_inbound_batch(pd_txn *tx, Peakdesk__V1__CustomerMessage **msgs, size_t n, int *duplicate,
			   char (*message_ids)[37], pd_errbuf *eb)
{
	/* Columns as PostgreSQL array literals: one statement stores them all. */
	pd_strbuf col[12] = {{0}};
	for (int c = 0; c < 12; c++)
		pd_sb_add(&col[c], "{", 1);
	for (size_t i = 0; i < n; i++) {
		const Peakdesk__V1__CustomerMessage *m = msgs[i];
		pd_uuid_new_text(message_ids[i]);
		json_object *att = json_object_new_array();
		for (size_t k = 0; k < m->n_attachments; k++) {
			const Peakdesk__V1__Attachment *a = m->attachments[k];
			json_object *o = json_object_new_object();
			json_object_object_add(o, "url", json_object_new_string(a->url));
			json_object_object_add(o, "contentType", json_object_new_string(a->content_type));
			json_object_object_add(o, "sizeBytes", json_object_new_int64(a->size_bytes));
			json_object_object_add(o, "name", json_object_new_string(a->name));
			json_object_array_add(att, o);
		}
		char sent[24];
		snprintf(sent, sizeof(sent), "%lld", (long long)m->sent_at_ms);
		const char *v[12] = {message_ids[i], m->account, pd_channel_name(m->channel), m->external_user_id,
				     m->external_user_name, m->external_message_id,
				     m->message_type && *m->message_type ? m->message_type : "text", m->text, m->subject,
				     json_object_to_json_string_ext(att, JSON_C_TO_STRING_PLAIN), m->in_reply_to, sent};
		for (int c = 0; c < 12; c++)
			pd_sb_array_elem(&col[c], v[c]);
		json_object_put(att);
	}
	for (int c = 0; c < 12; c++)
		pd_sb_add(&col[c], "}", 1);
	const char *vals[12];
	for (int c = 0; c < 12; c++)
		vals[c] = col[c].s;
	int err;
	PGresult *r = pd_txn_query(tx,
				   /* The key claims the channel's message id (035: the
				    * messages are partitioned by day, the key is not);
				    * only the messages whose key was new are stored. */
				   "WITH u AS (SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], "
				   "$5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], "
				   "$12::bigint[]) AS u(id, acc, ch, eu, eun, em, mt, tx, sj, att, irt, st)), "
				   "k AS (INSERT INTO gateway.inbound_keys(account, external_message_id, message_id) "
				   "SELECT acc, em, id FROM u ON CONFLICT (account, external_message_id) DO NOTHING "
				   "RETURNING message_id) "
				   "INSERT INTO gateway.inbound_messages(message_id, account, channel, external_user_id, "
				   "external_user_name, external_message_id, message_type, text, subject, attachments, "
				   "in_reply_to, sent_at) SELECT u.id, u.acc, u.ch, u.eu, u.eun, u.em, u.mt, u.tx, u.sj, "
				   "u.att::jsonb, u.irt, to_timestamp(nullif(u.st, 0) / 1000.0) FROM u JOIN k ON k.message_id = u.id "
				   "RETURNING message_id::text",
				   12, vals, &err, eb);
	int rc = r ? PD_OK : err;
	int n_new = r ? PQntuples(r) : 0;
	char **fresh = pd_xcalloc((size_t)n_new + 1, sizeof(*fresh));
	for (int i = 0; i < n_new; i++)
		fresh[i] = PQgetvalue(r, i, 0);
	qsort(fresh, (size_t)n_new, sizeof(*fresh), cmp_str);
	for (size_t i = 0; rc == PD_OK && i < n; i++) {
		const char *key = message_ids[i];
		duplicate[i] = !bsearch(&key, fresh, (size_t)n_new, sizeof(*fresh), cmp_str);
		if (duplicate[i]) {
			/* Stored before (or earlier in this very batch): answer with
			 * the id it has. */
			PGresult *d = pd_txn_query(tx,
						   "SELECT message_id FROM gateway.inbound_keys WHERE account = $1 "
						   "AND external_message_id = $2",
						   2, (const char *[]){msgs[i]->account, msgs[i]->external_message_id}, &err, eb);
			if (!d) {
				rc = err;
				break;
			}
			snprintf(message_ids[i], 37, "%s", PQntuples(d) ? PQgetvalue(d, 0, 0) : "");
			PQclear(d);
			continue;
		}
		char *old_id = msgs[i]->message_id;
		msgs[i]->message_id = message_ids[i];
		Peakdesk__V1__Envelope env = PEAKDESK__V1__ENVELOPE__INIT;
		env.topic = "message.inbound";
		env.occurred_at_ms = msgs[i]->sent_at_ms;
		env.body_case = PEAKDESK__V1__ENVELOPE__BODY_CUSTOMER_MESSAGE;
		env.customer_message = msgs[i];
		rc = pd_txn_emit(tx, &env, eb);
		msgs[i]->message_id = old_id;
	}
	free(fresh);
	if (r)
		PQclear(r);
	for (int c = 0; c < 12; c++)
		pd_sb_free(&col[c]);
	return rc;
}

int gw_store_inbound(pd_txn *tx, Peakdesk__V1__CustomerMessage *msg, int *duplicate,
		     char message_id[37], pd_errbuf *eb)
{
	char ids[1][37];
	int rc = gw_store_inbound_batch(tx, &msg, 1, duplicate, ids, eb);
	snprintf(message_id, 37, "%s", ids[0]);
	return rc;
}
