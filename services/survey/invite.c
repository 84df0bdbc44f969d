/* Invitations: ticket.resolved becomes at most one invitation per ticket.
 * It goes out at once (message.outbound on the customer's channel with the
 * signed link, and survey.invitation_sent), waits in 'queued' until the
 * channel's quiet hours end, or is kept as 'skipped' with the reason no
 * survey went out. The queue and the expiry live in survey.invitations,
 * committed with the events, so a killed collector resumes where it was. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ids.h"
#include "log.h"
#include "survey.h"
#include "topics.h"

#define MS(c) "(extract(epoch FROM " c ") * 1000)::bigint"

/* Resolutions no customer should be asked about: nobody served them
 * (spam, a merged duplicate), or a lead is already calling them back. */
static const char *skip_reason(const Peakdesk__V1__TicketEvent *te, int auto_closed, int recovery)
{
	if (te->auto_closed || auto_closed)
		return "auto_closed";
	static const char *const codes[] = {"spam", "merged", "duplicate"};
	for (size_t i = 0; i < PD_ARRAY_LEN(codes); i++)
		if (strcmp(te->resolution_code, codes[i]) == 0)
			return codes[i];
	if (recovery)
		return "service_recovery";
	return NULL;
}

/* The kind this ticket gets: the configured kinds take turns by ticket id,
 * so each kind sees a fair sample of tickets. */
static int kind_for(const sv_context *ctx, const char *ticket_id)
{
	unsigned h = 2166136261u; /* FNV-1a */
	for (const char *p = ticket_id; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	return ctx->kinds[h % (unsigned)ctx->n_kinds];
}

static int on_resolved(pd_txn *tx, const sv_context *ctx, const Peakdesk__V1__TicketEvent *te, pd_errbuf *eb)
{
	int err;
	/* The ticket as the router holds it: who handled it, for the scores. */
	PGresult *t = pd_txn_query(tx,
			"SELECT t.public_id, coalesce(c.merged_into, t.customer_id), t.channel, t.account, t.external_user_id, "
			"  t.category, t.group_name, t.agent_id, "
			/* the campaign of the SLA override, else of an order it names
			 * (as analytics.tickets attributes it) */
			"  coalesce(nullif(t.sla_campaign_id, ''), (SELECT min(o.campaign_id) FROM router.ticket_refs r "
			"    JOIN logistics.orders o ON o.order_id = r.value "
			"    WHERE r.ticket_id = t.ticket_id AND r.kind = 'order' AND o.campaign_id <> ''), ''), t.risk_score, "
			"  coalesce(t.resolved_at, now()), t.auto_closed, 'service_recovery' = ANY(t.tags) "
			"FROM router.tickets t JOIN router.customers c USING (customer_id) WHERE t.ticket_id = $1",
			1, (const char *[]){te->ticket_id}, &err, eb);
	if (!t)
		return err;
	if (PQntuples(t) != 1) {
		PQclear(t);
		pd_log_warn("resolved ticket not found", "ticket_id=%s", te->ticket_id);
		return PD_OK;
	}
	const char *skip = skip_reason(te, PQgetvalue(t, 0, 11)[0] == 't', PQgetvalue(t, 0, 12)[0] == 't');
	char gap[24];
	snprintf(gap, sizeof(gap), "%lld", (long long)ctx->min_gap_ms);
	/* One invitation per customer per gap: the latest one not skipped. */
	if (!skip) {
		PGresult *r = pd_txn_query(tx,
				"SELECT 1 FROM survey.invitations WHERE customer_id = $1 AND state <> 'skipped' "
				"AND created_at > now() - make_interval(secs => $2::bigint / 1000.0) LIMIT 1",
				2, (const char *[]){PQgetvalue(t, 0, 1), gap}, &err, eb);
		if (!r) {
			PQclear(t);
			return err;
		}
		if (PQntuples(r) > 0)
			skip = "asked_recently";
		PQclear(r);
	}
	int channel = pd_channel_parse(PQgetvalue(t, 0, 2));
	int64_t now = pd_now_ms();
	int64_t send_at = skip ? 0 : sv_quiet_next_send(&ctx->quiet, channel, now);
	char id[PD_UUID_TEXT], send_ms[24];
	pd_uuid_new_text(id);
	snprintf(send_ms, sizeof(send_ms), "%lld", (long long)send_at);
	PGresult *ins = pd_txn_query(tx,
			"INSERT INTO survey.invitations (invitation_id, ticket_id, ticket_public_id, customer_id, kind, channel, "
			"  account, external_user_id, category, group_name, agent_id, campaign_id, risk_score, resolved_at, "
			"  state, skip_reason, send_at) "
			"VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, "
			"  CASE WHEN $15 = '' THEN 'queued' ELSE 'skipped' END, $15, "
			"  CASE WHEN $15 = '' THEN to_timestamp($16::bigint / 1000.0) END) "
			"ON CONFLICT (ticket_id) DO NOTHING RETURNING 1",
			16,
			(const char *[]){id, te->ticket_id, PQgetvalue(t, 0, 0), PQgetvalue(t, 0, 1),
					 pd_survey_kind_name(kind_for(ctx, te->ticket_id)), PQgetvalue(t, 0, 2), PQgetvalue(t, 0, 3),
					 PQgetvalue(t, 0, 4), PQgetvalue(t, 0, 5), PQgetvalue(t, 0, 6), PQgetvalue(t, 0, 7),
					 PQgetvalue(t, 0, 8), PQgetvalue(t, 0, 9), PQgetvalue(t, 0, 10), skip ? skip : "", send_ms},
			&err, eb);
	PQclear(t);
	if (!ins)
		return err;
	int inserted = PQntuples(ins) == 1; /* 0: resolved before, already considered */
	PQclear(ins);
	if (!inserted || skip || send_at > now)
		return PD_OK;
	return sv_send_invitation(tx, ctx, id, eb);
}

static void invitation_text(int kind, const char *public_id, const char *url, char *out, size_t len)
{
	if (kind == PD_SURVEY_DSR)
		snprintf(out, len,
			 "您好，您的工单 %s 已处理完毕。请为商品描述、服务态度、物流服务各打 1-5 分：直接回复三个数字"
			 "（如 5 5 4），或打开链接评价：%s\n"
			 "Your request %s is resolved. Rate the description, our attitude and the delivery 1-5 each: reply "
			 "with three numbers (e.g. 5 5 4) or open %s",
			 public_id, url, public_id, url);
	else if (kind == PD_SURVEY_NPS)
		snprintf(out, len,
			 "您好，您的工单 %s 已处理完毕。您有多大可能把我们推荐给朋友？直接回复 0-10，或打开链接：%s\n"
			 "Your request %s is resolved. How likely are you to recommend us to a friend? Reply 0-10 or open %s",
			 public_id, url, public_id, url);
	else
		snprintf(out, len,
			 "您好，您的工单 %s 已处理完毕。请为本次服务打分：直接回复 1-5（5 = 非常满意），或打开链接评价：%s\n"
			 "Your request %s is resolved. How did we do? Reply 1-5 (5 = very satisfied) or open %s",
			 public_id, url, public_id, url);
}

int sv_send_invitation(pd_txn *tx, const sv_context *ctx, const char *invitation_id, pd_errbuf *eb)
{
	int err;
	char expiry[24];
	snprintf(expiry, sizeof(expiry), "%lld", (long long)ctx->expiry_ms);
	char outbound_id[PD_UUID_TEXT];
	pd_uuid_new_text(outbound_id);
	PGresult *r = pd_txn_query(tx,
			"UPDATE survey.invitations SET state = 'sent', sent_at = now(), outbound_id = $3, "
			"  expires_at = now() + make_interval(secs => $2::bigint / 1000.0) "
			"WHERE invitation_id = $1 AND state = 'queued' "
			"RETURNING kind, ticket_public_id, channel, account, external_user_id, " MS("expires_at"),
			3, (const char *[]){invitation_id, expiry, outbound_id}, &err, eb);
	if (!r)
		return err;
	if (PQntuples(r) != 1) { /* sent or answered meanwhile */
		PQclear(r);
		return PD_OK;
	}
	int kind = pd_survey_kind_parse(PQgetvalue(r, 0, 0));
	int64_t expires_ms = pd_db_int64(r, 0, 5);
	uint8_t raw_id[16];
	char token[SV_TOKEN_LEN + 1], url[sizeof(ctx->public_url) + SV_TOKEN_LEN + 8], text[2048];
	int rc = pd_uuid_parse(invitation_id, raw_id);
	if (rc == PD_OK)
		rc = sv_token_make(ctx->secret, ctx->secret_len, raw_id, expires_ms, token);
	if (rc != PD_OK) {
		PQclear(r);
		return pd_fail(eb, rc, "cannot sign the link of invitation %s", invitation_id);
	}
	snprintf(url, sizeof(url), "%s/s/%s", ctx->public_url, token);
	invitation_text(kind, PQgetvalue(r, 0, 1), url, text, sizeof(text));
	int channel = pd_channel_parse(PQgetvalue(r, 0, 2));

	Peakdesk__V1__OutboundMessage o = PEAKDESK__V1__OUTBOUND_MESSAGE__INIT;
	o.outbound_id = outbound_id;
	o.channel = channel;
	o.account = PQgetvalue(r, 0, 3);
	o.external_user_id = PQgetvalue(r, 0, 4);
	o.ticket_public_id = PQgetvalue(r, 0, 1);
	o.text = text;
	o.subject = "请评价我们的服务 / How did we do?";
	o.reason = PEAKDESK__V1__OUTBOUND_REASON__OUTBOUND_REASON_SURVEY_INVITATION;
	rc = pd_emit_outbound(tx, &o, eb);

	Peakdesk__V1__SurveyInvitation inv = PEAKDESK__V1__SURVEY_INVITATION__INIT;
	inv.invitation_id = (char *)invitation_id;
	inv.ticket_public_id = o.ticket_public_id;
	inv.kind = kind;
	inv.channel = channel;
	inv.account = o.account;
	inv.external_user_id = o.external_user_id;
	inv.expires_at_ms = expires_ms;
	inv.url = url;
	Peakdesk__V1__Envelope ev2 = PEAKDESK__V1__ENVELOPE__INIT;
	ev2.topic = "survey.invitation_sent";
	ev2.body_case = PEAKDESK__V1__ENVELOPE__BODY_SURVEY_INVITATION;
	ev2.survey_invitation = &inv;
	if (rc == PD_OK)
		rc = pd_txn_emit(tx, &ev2, eb);
	PQclear(r);
	return rc;
}

int sv_apply_event(pd_txn *tx, const Peakdesk__V1__Envelope *env, void *arg, pd_errbuf *eb)
{
	const sv_context *ctx = arg;
	if (env->body_case != PEAKDESK__V1__ENVELOPE__BODY_TICKET_EVENT)
		return PD_OK;
	const Peakdesk__V1__TicketEvent *te = env->ticket_event;
	int rc = PD_OK;
	if (te->kind == PEAKDESK__V1__TICKET_EVENT_KIND__TICKET_EVENT_KIND_RESOLVED)
		rc = on_resolved(tx, ctx, te, eb);
	else if (te->kind == PEAKDESK__V1__TICKET_EVENT_KIND__TICKET_EVENT_KIND_SURVEY_REPLY)
		rc = sv_record_channel_reply(tx, ctx, te, env->occurred_at_ms, eb);
	if (rc != PD_OK)
		pd_log_warn("event not applied", "publisher=%s seq=%llu topic=%s detail=\"%s\"", env->publisher,
			    (unsigned long long)env->seq, env->topic, eb->msg);
	return rc;
}

/* ---- the timer ------------------------------------------------------------------- */

static int tick_apply(pd_txn *tx, const void *arg, pd_errbuf *eb)
{
	const sv_context *ctx = arg;
	int err;
	/* Quiet hours over: a bounded page per tick, oldest first, so a
	 * morning's queue drains over a few ticks without one huge batch. */
	PGresult *r = pd_txn_query(tx,
			"SELECT invitation_id FROM survey.invitations WHERE state = 'queued' AND send_at <= now() "
			"ORDER BY send_at LIMIT 500",
			0, NULL, &err, eb);
	if (!r)
		return err;
	int rc = PD_OK;
	for (int i = 0; i < PQntuples(r) && rc == PD_OK; i++)
		rc = sv_send_invitation(tx, ctx, PQgetvalue(r, i, 0), eb);
	int sent = PQntuples(r);
	PQclear(r);
	if (rc != PD_OK)
		return rc;
	if (sent > 0)
		pd_log_info("queued invitations sent", "count=%d", sent);
	return pd_txn_exec(tx, "UPDATE survey.invitations SET state = 'expired' WHERE state = 'sent' AND expires_at <= now()",
			   0, NULL, eb);
}

void sv_tick_submit(pd_bus *bus, const sv_context *ctx)
{
	static pd_tick_job tick = {.what = "survey tick", .fn = tick_apply};
	pd_tick_submit(bus, &tick, ctx);
}
