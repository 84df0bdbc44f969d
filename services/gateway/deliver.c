/* Delivery adapters (see deliver.h). HTTP through libcurl, e-mail built with
 * GMime and handed to sendmail: well-kept libraries, no hand-made protocols. */
#include "deliver.h"

#include <curl/curl.h>
#include <gmime/gmime.h>
#include <json-c/json.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "ids.h"
#include "webhook_sig.h"

int64_t gw_backoff_ms(int attempt, int64_t base_ms, uint32_t rnd)
{
	if (attempt < 1)
		attempt = 1;
	int64_t d = base_ms;
	for (int i = 1; i < attempt && d < 3600000; i++)
		d *= 2;
	if (d > 3600000)
		d = 3600000;
	/* rnd spreads the delay over [0.75 d, 1.25 d). */
	int64_t span = d / 2;
	return d - d / 4 + (span > 0 ? (int64_t)(rnd % (uint32_t)span) : 0);
}

struct resp {
	char buf[4096];
	size_t len;
};

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
	struct resp *r = arg;
	size_t len = size * n;
	size_t room = sizeof(r->buf) - 1 - r->len;
	memcpy(r->buf + r->len, p, len < room ? len : room);
	r->len += len < room ? len : room;
	r->buf[r->len] = 0;
	return len;
}

static void http_post(gw_delivery *d, const char *url, struct curl_slist *hdrs, const char *body,
		      const gw_deliver_config *cfg, struct resp *resp)
{
	CURL *c = curl_easy_init();
	if (!c) {
		snprintf(d->error, sizeof(d->error), "cannot start an HTTP client");
		return;
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)cfg->timeout_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)cfg->timeout_ms);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, resp);
	CURLcode rc = curl_easy_perform(c);
	if (rc != CURLE_OK) {
		snprintf(d->error, sizeof(d->error), "%s", curl_easy_strerror(rc));
	} else {
		long st = 0;
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &st);
		d->http_status = (int)st;
	}
	curl_easy_cleanup(c);
}

/* Generic channels: the account's URL gets the message as JSON, signed like
 * the inbound webhook so the receiver can check it came from us. */
static void deliver_webhook(gw_delivery *d, const gw_deliver_config *cfg)
{
	if (!*d->acc.url) {
		d->permanent = 1;
		snprintf(d->error, sizeof(d->error), "account %s has no delivery URL", d->acc.name);
		return;
	}
	json_object *o = json_object_new_object();
	json_object_object_add(o, "outboundId", json_object_new_string(d->outbound_id));
	json_object_object_add(o, "externalUserId", json_object_new_string(d->external_user_id));
	json_object_object_add(o, "text", json_object_new_string(d->text));
	json_object_object_add(o, "ticketPublicId", json_object_new_string(d->ticket_public_id));
	json_object_object_add(o, "replyTo", json_object_new_string(d->reply_to));
	const char *body = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	char ts[24], sig[65], h_ts[64], h_sig[96], h_id[200];
	snprintf(ts, sizeof(ts), "%lld", (long long)time(NULL));
	gw_webhook_sign(d->acc.secret, ts, body, strlen(body), sig);
	snprintf(h_ts, sizeof(h_ts), "X-Peakdesk-Timestamp: %s", ts);
	snprintf(h_sig, sizeof(h_sig), "X-Peakdesk-Signature: sha256=%s", sig);
	snprintf(h_id, sizeof(h_id), "X-Peakdesk-Outbound-Id: %s", d->outbound_id);
	struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
	h = curl_slist_append(h, h_ts);
	h = curl_slist_append(h, h_sig);
	h = curl_slist_append(h, h_id);
	struct resp resp = {.len = 0};
	http_post(d, d->acc.url, h, body, cfg, &resp);
	curl_slist_free_all(h);
	json_object_put(o);
	if (d->http_status >= 200 && d->http_status < 300) {
		d->ok = 1;
	} else if (d->http_status) {
		snprintf(d->error, sizeof(d->error), "receiver answered HTTP %d", d->http_status);
		/* 4xx means the receiver refuses this message for good, except
		 * "timeout" and "too many requests". */
		d->permanent = d->http_status >= 400 && d->http_status < 500 && d->http_status != 408 &&
			       d->http_status != 429;
	}
}

/* WeChat: the customer-service message API with the account's access token. */
static void deliver_wechat(gw_delivery *d, const gw_deliver_config *cfg)
{
	char url[1200];
	snprintf(url, sizeof(url), "%.500s/cgi-bin/message/custom/send?access_token=%s",
		 *d->acc.url ? d->acc.url : "https://api.weixin.qq.com", d->acc.token_api);
	json_object *o = json_object_new_object();
	json_object *t = json_object_new_object();
	json_object_object_add(o, "touser", json_object_new_string(d->external_user_id));
	json_object_object_add(o, "msgtype", json_object_new_string("text"));
	json_object_object_add(t, "content", json_object_new_string(d->text));
	json_object_object_add(o, "text", t);
	struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json; charset=utf-8");
	struct resp resp = {.len = 0};
	http_post(d, url, h, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN), cfg, &resp);
	curl_slist_free_all(h);
	json_object_put(o);
	if (d->http_status != 200)
		return;
	json_object *r = json_tokener_parse(resp.buf);
	json_object *code;
	long err = -1;
	if (r && json_object_object_get_ex(r, "errcode", &code))
		err = json_object_get_int64(code);
	if (err == 0) {
		d->ok = 1;
	} else {
		snprintf(d->error, sizeof(d->error), "WeChat errcode %ld", err);
		/* 45015: outside the 48-hour window; 45047: more than the allowed
		 * replies; 40003: not a follower of this account. */
		d->permanent = err == 45015 || err == 45047 || err == 40003;
	}
	if (r)
		json_object_put(r);
}

static void add_subject(GMimeMessage *m, const gw_delivery *d)
{
	char subject[700];
	const char *base = *d->subject ? d->subject : "Your request";
	/* "Re: " only on a reply: a survey or a notice starts its own thread */
	int is_re = strncasecmp(base, "Re:", 3) == 0 || !*d->reply_to;
	if (*d->ticket_public_id && !strstr(base, d->ticket_public_id))
		snprintf(subject, sizeof(subject), "%s%s [#PD-%s]", is_re ? "" : "Re: ", base, d->ticket_public_id);
	else
		snprintf(subject, sizeof(subject), "%s%s", is_re ? "" : "Re: ", base);
	g_mime_message_set_subject(m, subject, "utf-8"); /* RFC 2047-encodes when needed */
}

char *gw_build_mail(const gw_delivery *d, const char *from)
{
	GMimeMessage *m = g_mime_message_new(TRUE);
	g_mime_message_add_mailbox(m, GMIME_ADDRESS_TYPE_FROM, NULL, from);
	g_mime_message_add_mailbox(m, GMIME_ADDRESS_TYPE_TO, NULL, d->external_user_id);
	add_subject(m, d);
	char mid[200];
	snprintf(mid, sizeof(mid), "%s@peakdesk", d->outbound_id);
	g_mime_message_set_message_id(m, mid);
	if (*d->reply_to) {
		char ref[600];
		snprintf(ref, sizeof(ref), "<%s>", d->reply_to);
		g_mime_object_set_header((GMimeObject *)m, "In-Reply-To", ref, NULL);
		g_mime_object_set_header((GMimeObject *)m, "References", ref, NULL);
	}
	g_mime_object_set_header((GMimeObject *)m, "Auto-Submitted", "auto-generated", NULL);
	GMimeTextPart *part = g_mime_text_part_new_with_subtype("plain");
	g_mime_text_part_set_text(part, d->text); /* picks charset and transfer encoding */
	g_mime_message_set_mime_part(m, (GMimeObject *)part);
	g_object_unref(part);
	GMimeFormatOptions *fo = g_mime_format_options_new();
	g_mime_format_options_set_newline_format(fo, GMIME_NEWLINE_FORMAT_UNIX);
	char *s = g_mime_object_to_string((GMimeObject *)m, fo);
	g_mime_format_options_free(fo);
	g_object_unref(m);
	return s;
}

static void deliver_email(gw_delivery *d, const gw_deliver_config *cfg)
{
	if (!strchr(d->external_user_id, '@')) {
		d->permanent = 1;
		snprintf(d->error, sizeof(d->error), "recipient is not an e-mail address");
		return;
	}
	char *mail = gw_build_mail(d, cfg->mail_from);
	FILE *p = popen(cfg->sendmail, "w");
	if (!p) {
		g_free(mail);
		snprintf(d->error, sizeof(d->error), "cannot run %.200s", cfg->sendmail);
		return;
	}
	fputs(mail, p);
	g_free(mail);
	int st = pclose(p);
	int code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	if (code == 0) {
		d->ok = 1;
	} else {
		snprintf(d->error, sizeof(d->error), "sendmail exited with %d", code);
		/* sysexits: 75 (EX_TEMPFAIL) is worth a retry; 64-78 otherwise not. */
		d->permanent = code >= 64 && code <= 78 && code != 75;
	}
}

void gw_deliver(gw_delivery *d, const gw_deliver_config *cfg)
{
	int64_t t0 = pd_mono_ms();
	d->ok = d->permanent = d->http_status = 0;
	d->error[0] = 0;
	if (strcmp(d->channel, "webhook") == 0)
		deliver_webhook(d, cfg);
	else if (strcmp(d->channel, "wechat") == 0)
		deliver_wechat(d, cfg);
	else if (strcmp(d->channel, "email") == 0)
		deliver_email(d, cfg);
	else {
		d->permanent = 1;
		snprintf(d->error, sizeof(d->error), "unknown channel %s", d->channel);
	}
	d->duration_ms = (int)(pd_mono_ms() - t0);
}
