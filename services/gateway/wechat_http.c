/* WeChat Official Account callback: GET /wechat/{account} (URL
 * verification: echo echostr when the signature holds) and
 * POST /wechat/{account} (messages and events, plain or safe mode
 * encrypt_type=aes). Every POST is checked, stored once by its dedupe key
 * (WeChat retries three times when it gets no answer within 5 s) and
 * answered "success" after the commit. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway.h"
#include "http_job.h"
#include "log.h"
#include "ids.h"
#include "wechat_crypto.h"
#include "wechat_reply.h"
#include "wechat_sig.h"
#include "wechat_xml.h"

#define PREFIX "/wechat/"

struct wx_route {
	pd_bus *bus;
	char welcome[1024]; /* passive reply to a new follower; "" = none */
};

struct wx_job {
	pd_http_job hj;
	wx_message wm;
	Peakdesk__V1__CustomerMessage msg;
	Peakdesk__V1__Attachment att, *attp[1];
	char account[65];
	char key[WX_DEDUPE_KEY_MAX];
	char text[8192];
	char type[80];
	/* for a passive reply */
	const struct wx_route *route;
	int safe;
	uint8_t aes[32];
	char token[128], appid[64], timestamp[32], nonce[64];
};

/* The account named in the path, which must be an enabled WeChat account. */
static int find_account(pd_http_req *req, gw_account *acc)
{
	const char *name = pd_http_path(req) + strlen(PREFIX);
	if (!*name || strchr(name, '/') || strlen(name) >= sizeof(acc->name) || gw_accounts_get(name, acc) != PD_OK ||
	    strcmp(acc->channel, "wechat") != 0) {
		pd_http_error(req, 404, "unknown_account", "no WeChat account by that name");
		return PD_ENOTFOUND;
	}
	if (acc->disabled) {
		pd_http_error(req, 403, "account_disabled", "this channel account is disabled");
		return PD_EINVAL;
	}
	return PD_OK;
}

static const char *q(pd_http_req *req, const char *name)
{
	const char *v = pd_http_query_param(req, name);
	return v ? v : "";
}

static void handle_verify(pd_http_req *req, void *arg)
{
	gw_account acc;
	if (find_account(req, &acc) != PD_OK)
		return;
	if (wx_verify_signature(acc.token, q(req, "timestamp"), q(req, "nonce"), q(req, "signature")) != PD_OK) {
		pd_http_error(req, 401, "bad_signature", "signature does not match token, timestamp and nonce");
		return;
	}
	const char *echo = q(req, "echostr");
	pd_http_reply(req, 200, "text/plain", echo, strlen(echo));
}

static int store(pd_txn *tx, pd_http_job *hj)
{
	struct wx_job *j = (struct wx_job *)hj;
	pd_errbuf eb = {{0}};
	int dup;
	char id[37];
	int rc = gw_store_inbound(tx, &j->msg, &dup, id, &eb);
	if (rc != PD_OK)
		return rc;
	/* A new follower gets the welcome as a passive reply inside WeChat's
	 * 5 s window (encrypted in safe mode); everything else "success", the
	 * documented answer in both modes. Replies from agents and auto-replies
	 * go out later through the send API (outbound.c). */
	char *xml = NULL, *enc = NULL;
	if (!dup && j->wm.type == WX_MSG_EVENT && strcmp(j->wm.event, "subscribe") == 0 && *j->route->welcome &&
	    wx_build_text_reply(j->wm.from_user, j->wm.to_user, pd_now_ms() / 1000, j->route->welcome, &xml, &eb) == PD_OK) {
		if (j->safe &&
		    wx_build_encrypted_reply(j->token, j->aes, j->appid, xml, strlen(xml), j->timestamp, j->nonce, NULL, NULL,
					     &enc, &eb) == PD_OK)
			pd_http_job_reply_text(hj, 200, "application/xml", enc);
		else if (!j->safe)
			pd_http_job_reply_text(hj, 200, "application/xml", xml);
		else
			pd_http_job_reply_text(hj, 200, "text/plain", "success");
	} else {
		pd_http_job_reply_text(hj, 200, "text/plain", "success");
	}
	free(xml);
	free(enc);
	return PD_OK;
}

static void release(pd_http_job *hj)
{
	struct wx_job *j = (struct wx_job *)hj;
	wx_message_free(&j->wm);
	free(j);
}

static int status_for(int rc)
{
	return rc == PD_ETOOBIG ? 413 : rc == PD_EDECODE ? 400 : rc == PD_ESIG ? 401 : 422;
}

static const char *error_for(int rc)
{
	return rc == PD_ETOOBIG ? "too_large" : rc == PD_EDECODE ? "malformed" : rc == PD_ESIG ? "bad_signature"
												: "invalid_field";
}

static void handle_post(pd_http_req *req, void *arg)
{
	const struct wx_route *route = arg;
	pd_bus *bus = route->bus;
	gw_account acc;
	if (find_account(req, &acc) != PD_OK)
		return;
	size_t len;
	const char *body = pd_http_body(req, &len);
	const char *ts = q(req, "timestamp"), *nonce = q(req, "nonce");
	pd_errbuf eb = {{0}};
	int rc;
	char *plain = NULL;
	size_t plain_len = 0;
	uint8_t aes_key[32] = {0};
	int safe = strcmp(q(req, "encrypt_type"), "aes") == 0;
	if (safe) {
		/* Safe mode: signature over the ciphertext first, so forged input
		 * never reaches the decryption. */
		wx_envelope envl;
		uint8_t key[32];
		rc = wx_parse_envelope(body, len, &envl, &eb);
		if (rc == PD_OK) {
			rc = wx_verify_msg_signature(acc.token, ts, nonce, envl.encrypt, q(req, "msg_signature"));
			if (rc != PD_OK)
				pd_fail(&eb, PD_ESIG, "msg_signature does not match token, timestamp, nonce and Encrypt");
			else if ((rc = wx_aes_key_decode(acc.aes_key, key, &eb)) != PD_OK)
				pd_fail(&eb, rc = PD_EINVAL, "the account's EncodingAESKey is not usable: %.100s", eb.msg);
			else
				rc = wx_decrypt(key, acc.appid, envl.encrypt, strlen(envl.encrypt), &plain, &plain_len, &eb);
			memcpy(aes_key, key, sizeof(aes_key));
			wx_envelope_free(&envl);
		}
	} else {
		rc = wx_verify_signature(acc.token, ts, nonce, q(req, "signature"));
		if (rc != PD_OK)
			pd_fail(&eb, PD_ESIG, "signature does not match token, timestamp and nonce");
	}
	if (rc != PD_OK) {
		pd_log_warn("wechat post refused", "account=%s peer=%s detail=\"%s\"", acc.name, pd_http_peer(req), eb.msg);
		pd_http_error(req, status_for(rc), error_for(rc), eb.msg);
		free(plain);
		return;
	}
	struct wx_job *j = pd_xcalloc(1, sizeof(*j));
	rc = plain ? wx_parse_message(plain, plain_len, &j->wm, &eb) : wx_parse_message(body, len, &j->wm, &eb);
	free(plain);
	if (rc != PD_OK) {
		free(j);
		pd_http_error(req, status_for(rc), error_for(rc), eb.msg);
		return;
	}
	snprintf(j->account, sizeof(j->account), "%s", acc.name);
	j->route = route;
	j->safe = safe;
	memcpy(j->aes, aes_key, sizeof(j->aes));
	snprintf(j->token, sizeof(j->token), "%s", acc.token);
	snprintf(j->appid, sizeof(j->appid), "%s", acc.appid);
	snprintf(j->timestamp, sizeof(j->timestamp), "%.30s", ts);
	snprintf(j->nonce, sizeof(j->nonce), "%.60s", nonce);
	wx_dedupe_key(&j->wm, j->key, sizeof(j->key));
	wx_message_text(&j->wm, j->text, sizeof(j->text)); /* cut at a character boundary when long */
	if (j->wm.type == WX_MSG_EVENT)
		snprintf(j->type, sizeof(j->type), "event:%.60s", j->wm.event);
	else
		snprintf(j->type, sizeof(j->type), "%.60s", j->wm.msg_type);
	peakdesk__v1__customer_message__init(&j->msg);
	j->msg.channel = PEAKDESK__V1__CHANNEL_KIND__CHANNEL_KIND_WECHAT;
	j->msg.account = j->account;
	j->msg.external_user_id = j->wm.from_user;
	j->msg.external_message_id = j->key;
	j->msg.text = j->text;
	j->msg.message_type = j->type;
	j->msg.sent_at_ms = j->wm.create_time * 1000;
	if (*j->wm.pic_url) {
		peakdesk__v1__attachment__init(&j->att);
		j->att.url = j->wm.pic_url;
		j->att.content_type = "image/jpeg";
		j->attp[0] = &j->att;
		j->msg.attachments = j->attp;
		j->msg.n_attachments = 1;
	}
	j->hj.req = req;
	j->hj.apply = store;
	j->hj.release = release;
	pd_http_job_submit(bus, &j->hj);
}

int gw_wechat_route(pd_http *http, pd_bus *bus, const char *welcome)
{
	static struct wx_route route; /* lives as long as the process */
	route.bus = bus;
	snprintf(route.welcome, sizeof(route.welcome), "%s", welcome ? welcome : "");
	int rc = pd_http_route(http, "GET", PREFIX, handle_verify, bus);
	return rc ? rc : pd_http_route(http, "POST", PREFIX, handle_post, &route);
}
