/* Responses: one per invitation, from the signed link or a bare reply on
 * the channel. The invitation row is locked while the answer is checked,
 * so two answers racing for one invitation cannot both be accepted; a low
 * score also goes out as survey.low_score for the router's recovery
 * ticket. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "ids.h"
#include "log.h"
#include "survey.h"
#include "topics.h"

#define MS(c) "(extract(epoch FROM " c ") * 1000)::bigint"

static void score_param(char *out, size_t len, int v, int absent)
{
	if (v == absent)
		out[0] = 0;
	else
		snprintf(out, len, "%d", v);
}

static int emit_response(pd_txn *tx, const char *topic, Peakdesk__V1__SurveyResponse *sr, pd_errbuf *eb)
{
	Peakdesk__V1__Envelope env = PEAKDESK__V1__ENVELOPE__INIT;
	env.topic = (char *)topic;
	env.body_case = PEAKDESK__V1__ENVELOPE__BODY_SURVEY_RESPONSE;
	env.survey_response = sr;
	return pd_txn_emit(tx, &env, eb);
}

int sv_record(pd_txn *tx, const char *invitation_id, const sv_answer *a, int *outcome, int *low, int *kind,
	      pd_errbuf *eb)
{
	int err;
	*low = 0;
	*kind = 0;
	PGresult *r = pd_txn_query(tx,
			"SELECT state, kind, ticket_public_id, expires_at <= now() FROM survey.invitations "
			"WHERE invitation_id = $1 FOR UPDATE",
			1, (const char *[]){invitation_id}, &err, eb);
	if (!r)
		return err;
	if (PQntuples(r) != 1) {
		PQclear(r);
		*outcome = SV_UNKNOWN;
		return PD_OK;
	}
	const char *state = PQgetvalue(r, 0, 0);
	*kind = pd_survey_kind_parse(PQgetvalue(r, 0, 1));
	char public_id[64];
	snprintf(public_id, sizeof(public_id), "%s", PQgetvalue(r, 0, 2));
	int expired = PQgetvalue(r, 0, 3)[0] == 't';
	if (strcmp(state, "answered") == 0)
		*outcome = SV_ANSWERED;
	else if (strcmp(state, "expired") == 0 || (strcmp(state, "sent") == 0 && expired))
		*outcome = SV_EXPIRED;
	else if (strcmp(state, "sent") != 0)
		*outcome = SV_UNKNOWN; /* queued or skipped: no link was ever sent */
	else if (sv_answer_check(*kind, &a->scores, a->comment, eb) != PD_OK)
		*outcome = SV_INVALID;
	else
		*outcome = SV_RECORDED;
	PQclear(r);
	if (*outcome != SV_RECORDED)
		return PD_OK;

	const pd_survey_scores *s = &a->scores;
	int negative = *a->comment && sv_comment_negative(a->comment);
	unsigned reasons = sv_low_score(s, negative);
	*low = reasons != 0;
	char *reason_names[5];
	size_t n_reasons = 0;
	pd_strbuf arr = {0};
	pd_sb_add(&arr, "{", 1);
	for (int i = 0; i < 5; i++)
		if (reasons & (1u << i)) {
			if (n_reasons)
				pd_sb_add(&arr, ",", 1);
			reason_names[n_reasons++] = (char *)sv_low_reason_name(i);
			pd_sb_array_elem(&arr, sv_low_reason_name(i));
		}
	pd_sb_add(&arr, "}", 1);
	char csat[8], desc[8], att[8], logi[8], nps[8], at[24];
	score_param(csat, sizeof(csat), s->csat, 0);
	score_param(desc, sizeof(desc), s->description, 0);
	score_param(att, sizeof(att), s->attitude, 0);
	score_param(logi, sizeof(logi), s->logistics, 0);
	score_param(nps, sizeof(nps), s->nps, -1);
	snprintf(at, sizeof(at), "%lld", (long long)a->answered_at_ms);
	/* "" is NULL for the scores the survey did not ask. */
	int rc = pd_txn_exec(tx,
			     "INSERT INTO survey.responses (invitation_id, csat, description_score, attitude_score, "
			     "  logistics_score, nps, comment, negative_comment, via, low_score, low_reasons, answered_at) "
			     "VALUES ($1, nullif($2, '')::smallint, nullif($3, '')::smallint, nullif($4, '')::smallint, "
			     "  nullif($5, '')::smallint, nullif($6, '')::smallint, $7, $8, $9, $10, $11, "
			     "  to_timestamp($12::bigint / 1000.0))",
			     12,
			     (const char *[]){invitation_id, csat, desc, att, logi, nps, a->comment, negative ? "t" : "f", a->via,
					      *low ? "t" : "f", arr.s, at},
			     eb);
	pd_sb_free(&arr);
	if (rc == PD_OK)
		rc = pd_txn_exec(tx, "UPDATE survey.invitations SET state = 'answered' WHERE invitation_id = $1", 1,
				 (const char *[]){invitation_id}, eb);
	if (rc != PD_OK)
		return rc;

	Peakdesk__V1__SurveyResponse sr = PEAKDESK__V1__SURVEY_RESPONSE__INIT;
	sr.invitation_id = (char *)invitation_id;
	sr.ticket_public_id = public_id;
	sr.kind = *kind;
	sr.csat = s->csat;
	sr.description_score = s->description;
	sr.attitude_score = s->attitude;
	sr.logistics_score = s->logistics;
	sr.nps = s->nps;
	sr.comment = (char *)a->comment;
	sr.via = (char *)a->via;
	sr.answered_at_ms = a->answered_at_ms;
	sr.negative_comment = negative;
	sr.low_reasons = reason_names;
	sr.n_low_reasons = n_reasons;
	rc = emit_response(tx, "survey.response_recorded", &sr, eb);
	if (rc == PD_OK && *low)
		rc = emit_response(tx, "survey.low_score", &sr, eb);
	if (rc == PD_OK)
		pd_log_info("survey answered", "invitation_id=%s ticket=%s via=%s low=%d", invitation_id, public_id, a->via,
			    *low);
	return rc;
}

/* ---- answers on the channel --------------------------------------------------------- */

/* A short answer to the customer on the invitation's channel. */
static int say(pd_txn *tx, PGresult *inv, const char *text, pd_errbuf *eb)
{
	char outbound_id[PD_UUID_TEXT];
	pd_uuid_new_text(outbound_id);
	Peakdesk__V1__OutboundMessage o = PEAKDESK__V1__OUTBOUND_MESSAGE__INIT;
	o.outbound_id = outbound_id;
	o.channel = pd_channel_parse(PQgetvalue(inv, 0, 1));
	o.account = PQgetvalue(inv, 0, 2);
	o.external_user_id = PQgetvalue(inv, 0, 3);
	o.ticket_public_id = PQgetvalue(inv, 0, 4);
	o.text = (char *)text;
	o.subject = "请评价我们的服务 / How did we do?";
	o.reason = PEAKDESK__V1__OUTBOUND_REASON__OUTBOUND_REASON_SURVEY_INVITATION;
	Peakdesk__V1__Envelope env = PEAKDESK__V1__ENVELOPE__INIT;
	env.topic = "message.outbound";
	env.body_case = PEAKDESK__V1__ENVELOPE__BODY_OUTBOUND_MESSAGE;
	env.outbound_message = &o;
	return pd_txn_emit(tx, &env, eb);
}

static const char *channel_answer(int outcome, int low)
{
	switch (outcome) {
	case SV_RECORDED:
		return low ? "很抱歉这次没有让您满意，我们的主管会尽快联系您。/ We are sorry we let you down; a team lead "
			     "will contact you shortly."
			   : "感谢您的评价！/ Thank you for your rating!";
	case SV_ANSWERED:
		return "您已经评价过了，每次服务只能评价一次，谢谢！/ You have already rated this request; thank you!";
	case SV_EXPIRED:
		return "抱歉，本次评价已过期。/ Sorry, this survey has expired.";
	default:
		return NULL;
	}
}

int sv_record_channel_reply(pd_txn *tx, const sv_context *ctx, const Peakdesk__V1__TicketEvent *te, int64_t at_ms,
			    pd_errbuf *eb)
{
	(void)ctx;
	int err;
	PGresult *inv = pd_txn_query(tx,
			"SELECT kind, channel, account, external_user_id, ticket_public_id FROM survey.invitations "
			"WHERE invitation_id = $1",
			1, (const char *[]){te->invitation_id}, &err, eb);
	if (!inv)
		return err;
	int kind = PQntuples(inv) == 1 ? pd_survey_kind_parse(PQgetvalue(inv, 0, 0)) : 0;
	sv_answer a = {.comment = "", .via = "channel", .answered_at_ms = at_ms ? at_ms : pd_now_ms()};
	if (!kind || !pd_survey_parse_reply(kind, te->note, strlen(te->note), &a.scores)) {
		pd_log_warn("survey reply not understood", "invitation_id=%s", te->invitation_id);
		PQclear(inv);
		return PD_OK;
	}
	int outcome, low;
	int rc = sv_record(tx, te->invitation_id, &a, &outcome, &low, &kind, eb);
	const char *answer = channel_answer(outcome, low);
	if (rc == PD_OK && answer)
		rc = say(tx, inv, answer, eb);
	else if (rc == PD_OK)
		pd_log_warn("survey reply not recorded", "invitation_id=%s outcome=%d", te->invitation_id, outcome);
	PQclear(inv);
	return rc;
}
