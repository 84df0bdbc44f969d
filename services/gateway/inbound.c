/* Storing a customer message: the one place every inbound path (webhook,
 * WeChat, e-mail) ends. The row and the message.inbound event commit
 * together; the channel's own message id makes a re-send a duplicate. */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway.h"
#include "ids.h"

static const char *channel_name(int c)
{
	switch (c) {
	case PEAKDESK__V1__CHANNEL_KIND__CHANNEL_KIND_WECHAT: return "wechat";
	case PEAKDESK__V1__CHANNEL_KIND__CHANNEL_KIND_EMAIL: return "email";
	default: return "webhook";
	}
}

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

int gw_store_inbound(pd_txn *tx, Peakdesk__V1__CustomerMessage *msg, int *duplicate,
		     char message_id[37], pd_errbuf *eb)
{
	char id[PD_UUID_TEXT];
	pd_uuid_new_text(id);
	json_object *att = json_object_new_array();
	for (size_t i = 0; i < msg->n_attachments; i++) {
		const Peakdesk__V1__Attachment *a = msg->attachments[i];
		json_object *o = json_object_new_object();
		json_object_object_add(o, "url", json_object_new_string(a->url));
		json_object_object_add(o, "contentType", json_object_new_string(a->content_type));
		json_object_object_add(o, "sizeBytes", json_object_new_int64(a->size_bytes));
		json_object_object_add(o, "name", json_object_new_string(a->name));
		json_object_array_add(att, o);
	}
	char sent[24];
	snprintf(sent, sizeof(sent), "%lld", (long long)msg->sent_at_ms);
	const char *vals[12] = {id,
				msg->account,
				channel_name(msg->channel),
				msg->external_user_id,
				msg->external_user_name,
				msg->external_message_id,
				msg->message_type && *msg->message_type ? msg->message_type : "text",
				msg->text,
				msg->subject,
				json_object_to_json_string_ext(att, JSON_C_TO_STRING_PLAIN),
				msg->in_reply_to,
				sent};
	int err;
	PGresult *r = pd_db_query(pd_txn_db(tx), "gw_inbound_insert",
				  "INSERT INTO gateway.inbound_messages(message_id, account, channel, external_user_id, "
				  "external_user_name, external_message_id, message_type, text, subject, attachments, "
				  "in_reply_to, sent_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb, $11, "
				  "to_timestamp(nullif($12::bigint, 0) / 1000.0)) "
				  "ON CONFLICT (account, external_message_id) DO NOTHING RETURNING message_id",
				  12, vals, &err, eb);
	json_object_put(att);
	if (!r)
		return err;
	*duplicate = PQntuples(r) == 0;
	PQclear(r);
	if (*duplicate) {
		r = pd_db_query(pd_txn_db(tx), "gw_inbound_find",
				"SELECT message_id FROM gateway.inbound_messages WHERE account = $1 AND external_message_id = $2",
				2, (const char *[]){msg->account, msg->external_message_id}, &err, eb);
		if (!r)
			return err;
		snprintf(message_id, 37, "%s", PQntuples(r) ? PQgetvalue(r, 0, 0) : "");
		PQclear(r);
		return PD_OK;
	}
	snprintf(message_id, 37, "%s", id);
	char *old_id = msg->message_id;
	msg->message_id = id;
	Peakdesk__V1__Envelope env = PEAKDESK__V1__ENVELOPE__INIT;
	env.topic = "message.inbound";
	env.occurred_at_ms = msg->sent_at_ms;
	env.body_case = PEAKDESK__V1__ENVELOPE__BODY_CUSTOMER_MESSAGE;
	env.customer_message = msg;
	int rc = pd_txn_emit(tx, &env, eb);
	msg->message_id = old_id;
	return rc;
}
