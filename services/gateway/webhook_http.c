/* POST /v1/channels/{account}/messages: the generic channel webhook (web
 * chat, app, call-centre transcripts, social accounts). Authenticated per
 * account (webhook_sig.c), the body is a WebhookMessage in the proto3 JSON
 * mapping, and the answer comes after the message is committed. */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "codec.h"
#include "gateway.h"
#include "http_job.h"
#include "ids.h"
#include "log.h"
#include "webhook_sig.h"

#define PREFIX "/v1/channels/"

struct webhook_job {
	pd_http_job hj;
	Peakdesk__V1__WebhookMessage *in;
	Peakdesk__V1__CustomerMessage msg;
	Peakdesk__V1__Attachment **atts;
	char account[65];
};

/* All webhook requests of a group commit are stored with one statement:
 * the writer's time per message, not the commit, is what limits the rate. */
static int store_batch(pd_txn *tx, pd_http_job **hjs, size_t n)
{
	Peakdesk__V1__CustomerMessage **msgs = pd_xmalloc(n * sizeof(*msgs));
	int *dup = pd_xcalloc(n, sizeof(*dup));
	char (*ids)[37] = pd_xcalloc(n, sizeof(*ids));
	for (size_t i = 0; i < n; i++)
		msgs[i] = &((struct webhook_job *)hjs[i])->msg;
	pd_errbuf eb = {{0}};
	int rc = gw_store_inbound_batch(tx, msgs, n, dup, ids, &eb);
	for (size_t i = 0; rc == PD_OK && i < n; i++) {
		json_object *o = json_object_new_object();
		json_object_object_add(o, "status", json_object_new_string(dup[i] ? "duplicate" : "accepted"));
		json_object_object_add(o, "messageId", json_object_new_string(ids[i]));
		pd_http_job_reply_json(hjs[i], 200, o);
	}
	free(msgs);
	free(dup);
	free(ids);
	return rc;
}

static void release(pd_http_job *hj)
{
	struct webhook_job *j = (struct webhook_job *)hj;
	pd_pb_free(&j->in->base);
	free(j);
}

/* Checks the decoded body; PD_OK or PD_EINVAL with the field to fix. */
static int validate(Peakdesk__V1__WebhookMessage *m, pd_errbuf *eb)
{
	if (!*m->external_user_id || strlen(m->external_user_id) > 256)
		return pd_fail(eb, PD_EINVAL, "externalUserId is required (at most 256 bytes)");
	if (!*m->message_id || strlen(m->message_id) > 256)
		return pd_fail(eb, PD_EINVAL, "messageId is required (at most 256 bytes): it makes re-sends safe");
	if (strlen(m->text) > GW_MAX_TEXT)
		return pd_fail(eb, PD_EINVAL, "text is longer than %d bytes", GW_MAX_TEXT);
	if (!*m->text && m->n_attachments == 0)
		return pd_fail(eb, PD_EINVAL, "a message needs text or at least one attachment");
	if (m->n_attachments > GW_MAX_ATTACHMENTS)
		return pd_fail(eb, PD_EINVAL, "at most %d attachments", GW_MAX_ATTACHMENTS);
	for (size_t i = 0; i < m->n_attachments; i++) {
		if (!*m->attachments[i]->url)
			return pd_fail(eb, PD_EINVAL, "attachments[%zu].url is required", i);
		if (m->attachments[i]->size_bytes < 0)
			return pd_fail(eb, PD_EINVAL, "attachments[%zu].sizeBytes must be >= 0", i);
	}
	if (m->sent_at_ms < 0)
		return pd_fail(eb, PD_EINVAL, "sentAtMs must be unix milliseconds");
	return PD_OK;
}

static void handle(pd_http_req *req, void *arg)
{
	pd_bus *bus = arg;
	const char *path = pd_http_path(req);
	char account[65];
	const char *rest = path + strlen(PREFIX);
	const char *slash = strchr(rest, '/');
	if (!slash || strcmp(slash, "/messages") != 0 || slash == rest || (size_t)(slash - rest) >= sizeof(account)) {
		pd_http_error(req, 404, "not_found", "use POST /v1/channels/{account}/messages");
		return;
	}
	snprintf(account, sizeof(account), "%.*s", (int)(slash - rest), rest);
	gw_account acc;
	if (gw_accounts_get(account, &acc) != PD_OK || strcmp(acc.channel, "webhook") != 0) {
		pd_http_error(req, 404, "unknown_account", "no webhook channel account by that name");
		return;
	}
	if (acc.disabled) {
		pd_http_error(req, 403, "account_disabled", "this channel account is disabled");
		return;
	}
	size_t len;
	const char *body = pd_http_body(req, &len);
	pd_errbuf eb = {{0}};
	if (gw_webhook_verify(acc.secret, pd_http_header(req, "X-Peakdesk-Timestamp"),
			      pd_http_header(req, "X-Peakdesk-Signature"), body, len, (int64_t)time(NULL), &eb) != PD_OK) {
		pd_log_warn("webhook refused", "account=%s peer=%s detail=\"%s\"", account, pd_http_peer(req), eb.msg);
		pd_http_error(req, 401, "bad_signature", eb.msg);
		return;
	}
	const char *ct = pd_http_header(req, "Content-Type");
	if (ct && strncmp(ct, "application/json", 16) != 0) {
		pd_http_error(req, 415, "unsupported_media_type", "send application/json");
		return;
	}
	ProtobufCMessage *m;
	int rc = pd_json_decode(&peakdesk__v1__webhook_message__descriptor, body, len, &m, &eb);
	if (rc != PD_OK) {
		int st = rc == PD_ETOOBIG ? 413 : rc == PD_EDECODE ? 400 : 422;
		pd_http_error(req, st, st == 400 ? "malformed" : st == 413 ? "too_large" : "invalid_field", eb.msg);
		return;
	}
	Peakdesk__V1__WebhookMessage *in = (Peakdesk__V1__WebhookMessage *)m;
	if (validate(in, &eb) != PD_OK) {
		pd_pb_free(m);
		pd_http_error(req, 422, "invalid_field", eb.msg);
		return;
	}
	struct webhook_job *j = pd_xcalloc(1, sizeof(*j));
	j->in = in;
	snprintf(j->account, sizeof(j->account), "%s", account);
	peakdesk__v1__customer_message__init(&j->msg);
	j->msg.channel = PEAKDESK__V1__CHANNEL_KIND__CHANNEL_KIND_WEBHOOK;
	j->msg.account = j->account;
	j->msg.external_user_id = in->external_user_id;
	j->msg.external_user_name = in->display_name;
	j->msg.external_message_id = in->message_id;
	j->msg.text = in->text;
	j->msg.attachments = in->attachments;
	j->msg.n_attachments = in->n_attachments;
	j->msg.sent_at_ms = in->sent_at_ms ? in->sent_at_ms : pd_now_ms();
	j->msg.message_type = *in->message_type ? in->message_type : "text";
	j->msg.in_reply_to = in->in_reply_to;
	j->hj.req = req;
	j->hj.apply_batch = store_batch;
	j->hj.release = release;
	pd_http_job_submit(bus, &j->hj);
}

int gw_webhook_route(pd_http *http, pd_bus *bus)
{
	return pd_http_route(http, "POST", PREFIX, handle, bus);
}
