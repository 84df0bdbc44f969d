/* The signed response link. /s/{token} is what the invitation carries: a
 * browser (Accept: text/html) gets the form and the result pages; any
 * other client, and every /v1/surveys/{token} call, gets JSON:
 *
 *   GET  /v1/surveys/{token}   the survey: kind, ticket, expiry, answered?
 *   POST /v1/surveys/{token}   an answer, JSON or the form's urlencoded body
 *
 * The token is checked before the database is asked (404 not a token, 403
 * wrong signature, 410 expired); the answer is recorded by the writer and
 * the reply sent after commit: 201 recorded, 409 answered before, 422 an
 * answer that does not fit the survey. */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "answer_parse.h"
#include "form_html.h"
#include "http_job.h"
#include "ids.h"
#include "log.h"
#include "metrics.h"
#include "survey.h"

#define LINK_PREFIX "/s/"
#define API_PREFIX "/v1/surveys/"

struct link_job {
	pd_http_job hj;
	const sv_context *ctx;
	char invitation_id[PD_UUID_TEXT];
	char action[sizeof(LINK_PREFIX) + SV_TOKEN_LEN];
	int html;
	int parse_err;           /* PD_OK, or why the body was refused */
	sv_answer answer;
	char comment[SV_COMMENT_MAX + 1];
};

static pd_metric *m_answers[2], *m_refused;

/* An error or a result, as the client asked for it. */
static void reply(struct link_job *j, int status, const char *error, const char *title, const char *detail)
{
	if (j->html) {
		pd_strbuf b = {0};
		sv_html_message(&b, title, detail);
		pd_http_job_reply_text(&j->hj, status, "text/html; charset=utf-8", b.s);
		pd_sb_free(&b);
		return;
	}
	json_object *o = json_object_new_object();
	json_object_object_add(o, error ? "error" : "status", json_object_new_string(error ? error : title));
	json_object_object_add(o, "detail", json_object_new_string(detail));
	pd_http_job_reply_json(&j->hj, status, o);
}

static int show(pd_txn *tx, struct link_job *j, pd_errbuf *eb)
{
	int err;
	PGresult *r = pd_txn_query(tx,
			"SELECT state, kind, ticket_public_id, expires_at <= now(), "
			"  to_char(expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') "
			"FROM survey.invitations WHERE invitation_id = $1",
			1, (const char *[]){j->invitation_id}, &err, eb);
	if (!r)
		return err;
	const char *state = PQntuples(r) == 1 ? PQgetvalue(r, 0, 0) : "";
	if (strcmp(state, "answered") == 0)
		reply(j, 409, "already_answered", "您已经评价过了 / Already answered",
		      "这次服务已经评价过了，谢谢！/ This survey was answered already; thank you!");
	else if (strcmp(state, "expired") == 0 || (strcmp(state, "sent") == 0 && PQgetvalue(r, 0, 3)[0] == 't'))
		reply(j, 410, "expired", "评价已过期 / Survey expired", "抱歉，本次评价已过期。/ Sorry, this survey has expired.");
	else if (strcmp(state, "sent") != 0)
		reply(j, 404, "not_found", "找不到评价 / Not found", "no survey with this link");
	else if (j->html) {
		pd_strbuf b = {0};
		sv_html_form(&b, pd_survey_kind_parse(PQgetvalue(r, 0, 1)), PQgetvalue(r, 0, 2), j->action);
		pd_http_job_reply_text(&j->hj, 200, "text/html; charset=utf-8", b.s);
		pd_sb_free(&b);
	} else {
		json_object *o = json_object_new_object();
		json_object_object_add(o, "kind", json_object_new_string(PQgetvalue(r, 0, 1)));
		json_object_object_add(o, "ticketPublicId", json_object_new_string(PQgetvalue(r, 0, 2)));
		json_object_object_add(o, "expiresAt", json_object_new_string(PQgetvalue(r, 0, 4)));
		json_object_object_add(o, "answered", json_object_new_boolean(0));
		pd_http_job_reply_json(&j->hj, 200, o);
	}
	PQclear(r);
	return PD_OK;
}

static void answer_reply(struct link_job *j, const sv_record_item *it)
{
	switch (it->outcome) {
	case SV_RECORDED:
		if (j->html)
			reply(j, 201, NULL, "感谢您的评价 / Thank you",
			      it->low ? "很抱歉这次没有让您满意，我们的主管会尽快联系您。/ We are sorry we let you down; a team "
					"lead will contact you shortly."
				      : "您的评价已收到。/ Your answer was recorded.");
		else {
			json_object *o = json_object_new_object();
			json_object_object_add(o, "status", json_object_new_string("recorded"));
			json_object_object_add(o, "invitationId", json_object_new_string(j->invitation_id));
			json_object_object_add(o, "lowScore", json_object_new_boolean(it->low));
			pd_http_job_reply_json(&j->hj, 201, o);
		}
		break;
	case SV_ANSWERED:
		reply(j, 409, "already_answered", "您已经评价过了 / Already answered",
		      "a response is accepted once; this survey was answered already");
		break;
	case SV_EXPIRED:
		reply(j, 410, "expired", "评价已过期 / Survey expired", "this survey link has expired");
		break;
	case SV_INVALID:
		reply(j, 422, "invalid_field", "请检查您的评价 / Please check your answer", it->why.msg);
		break;
	default:
		reply(j, 404, "not_found", "找不到评价 / Not found", "no survey with this link");
	}
}

/* Answers queued together are recorded together (one locking read, one
 * multi-row insert), each getting its own reply. */
static int answers_apply_batch(pd_txn *tx, pd_http_job **hjs, size_t n)
{
	sv_record_item *items = pd_xcalloc(n, sizeof(*items));
	for (size_t i = 0; i < n; i++) {
		struct link_job *j = (struct link_job *)hjs[i];
		items[i].invitation_id = j->invitation_id;
		items[i].answer = &j->answer;
	}
	pd_errbuf eb = {{0}};
	int rc = sv_record_batch(tx, items, n, &eb);
	for (size_t i = 0; i < n; i++) {
		if (rc == PD_OK)
			answer_reply((struct link_job *)hjs[i], &items[i]);
		else
			snprintf(hjs[i]->detail, sizeof(hjs[i]->detail), "%s", eb.msg);
	}
	free(items);
	return rc;
}

static int show_apply(pd_txn *tx, pd_http_job *hj)
{
	struct link_job *j = (struct link_job *)hj;
	pd_errbuf eb = {{0}};
	int rc = show(tx, j, &eb);
	if (rc != PD_OK)
		snprintf(hj->detail, sizeof(hj->detail), "%s", eb.msg);
	return rc;
}

static void release(pd_http_job *hj)
{
	free(hj);
}

/* Refuses before the database is involved: the client gets the same shape
 * (HTML or JSON) as any other answer. */
static void refuse(pd_http_req *req, int html, int status, const char *error, const char *title, const char *detail)
{
	pd_metric_add(m_refused, 1);
	if (!html) {
		pd_http_error(req, status, error, detail);
		return;
	}
	pd_strbuf b = {0};
	sv_html_message(&b, title, detail);
	pd_http_reply(req, status, "text/html; charset=utf-8", b.s, b.len);
	pd_sb_free(&b);
}

static void handle(pd_http_req *req, void *arg)
{
	const sv_context *ctx = ((void **)arg)[1];
	const char *path = pd_http_path(req);
	int is_link = strncmp(path, LINK_PREFIX, strlen(LINK_PREFIX)) == 0;
	const char *token = path + strlen(is_link ? LINK_PREFIX : API_PREFIX);
	const char *accept = pd_http_header(req, "Accept");
	int html = is_link && accept && strstr(accept, "text/html");
	int post = strcmp(pd_http_method(req), "POST") == 0;

	uint8_t id[16];
	int64_t expires_ms = 0;
	int rc = sv_token_check(ctx->secret, ctx->secret_len, token, id, &expires_ms);
	if (rc == PD_ESIG) {
		pd_log_warn("survey link with a bad signature", "peer=%s", pd_http_peer(req));
		refuse(req, html, 403, "bad_signature", "链接无效 / Invalid link", "the link's signature does not match");
		return;
	}
	if (rc != PD_OK) {
		refuse(req, html, 404, "not_found", "找不到评价 / Not found", "no survey with this link");
		return;
	}
	if (expires_ms <= pd_now_ms()) {
		refuse(req, html, 410, "expired", "评价已过期 / Survey expired",
		       "抱歉，本次评价已过期。/ Sorry, this survey has expired.");
		return;
	}
	struct link_job *j = pd_xcalloc(1, sizeof(*j));
	j->ctx = ctx;
	j->html = html;
	pd_uuid_format(id, j->invitation_id);
	snprintf(j->action, sizeof(j->action), "%s%s", LINK_PREFIX, token);
	if (post) {
		size_t len = 0;
		const char *body = pd_http_body(req, &len);
		const char *ct = pd_http_header(req, "Content-Type");
		pd_errbuf eb = {{0}};
		if (ct && strncmp(ct, "application/json", 16) == 0)
			rc = sv_answer_parse_json(body, len, &j->answer.scores, j->comment, sizeof(j->comment), &eb);
		else if (ct && strncmp(ct, "application/x-www-form-urlencoded", 33) == 0)
			rc = sv_answer_parse_form(body, &j->answer.scores, j->comment, sizeof(j->comment), &eb);
		else {
			free(j);
			refuse(req, html, 415, "unsupported_media_type", "无法识别 / Unsupported",
			       "send application/json or application/x-www-form-urlencoded");
			return;
		}
		if (rc != PD_OK) {
			free(j);
			refuse(req, html, rc == PD_EDECODE ? 400 : 422, rc == PD_EDECODE ? "malformed" : "invalid_field",
			       "请检查您的评价 / Please check your answer", eb.msg);
			return;
		}
		j->answer.comment = j->comment;
		j->answer.via = "link";
		j->answer.answered_at_ms = pd_now_ms();
		pd_metric_add(m_answers[html ? 1 : 0], 1);
	}
	j->hj.req = req;
	if (post)
		j->hj.apply_batch = answers_apply_batch;
	else
		j->hj.apply = show_apply;
	j->hj.release = release;
	pd_http_job_submit((pd_bus *)((void **)arg)[0], &j->hj);
}

int sv_link_http_route(pd_http *http, pd_bus *bus, const sv_context *ctx)
{
	static void *arg[2];
	arg[0] = bus;
	arg[1] = (void *)ctx;
	static const char help[] = "answers posted to the survey link";
	m_answers[0] = pd_counter("peakdesk_survey_link_answers_total", help, "via=\"api\"");
	m_answers[1] = pd_counter("peakdesk_survey_link_answers_total", help, "via=\"form\"");
	m_refused = pd_counter("peakdesk_survey_link_refused_total",
			       "link requests refused before the database (bad token, expired, bad body)", NULL);
	int rc = 0;
	rc |= pd_http_route(http, "GET", LINK_PREFIX, handle, arg);
	rc |= pd_http_route(http, "POST", LINK_PREFIX, handle, arg);
	rc |= pd_http_route(http, "GET", API_PREFIX, handle, arg);
	rc |= pd_http_route(http, "POST", API_PREFIX, handle, arg);
	return rc;
}
