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

static int emit_response(pd_txn *tx, const char *topic, Peakdesk__V1__SurveyResponse *sr, pd_errbuf *eb)
{
	Peakdesk__V1__Envelope env = PEAKDESK__V1__ENVELOPE__INIT;
	env.topic = (char *)topic;
	env.body_case = PEAKDESK__V1__ENVELOPE__BODY_SURVEY_RESPONSE;
	env.survey_response = sr;
	return pd_txn_emit(tx, &env, eb);
}

/* What an answer meets: the invitation's state and kind, and whether this
 * batch already took an answer for it (two posts of one link in one
 * transaction: the second must be refused like a later one). */
static void judge(sv_record_item *it, PGresult *r, int row, int taken_before)
{
	it->kind = pd_survey_kind_parse(PQgetvalue(r, row, 1));
	const char *state = PQgetvalue(r, row, 0);
	int expired = PQgetvalue(r, row, 3)[0] == 't';
	if (strcmp(state, "answered") == 0 || taken_before)
		it->outcome = SV_ANSWERED;
	else if (strcmp(state, "expired") == 0 || (strcmp(state, "sent") == 0 && expired))
		it->outcome = SV_EXPIRED;
	else if (strcmp(state, "sent") != 0)
		it->outcome = SV_UNKNOWN; /* queued or skipped: no link was ever sent */
	else if (sv_answer_check(it->kind, &it->answer->scores, it->answer->comment, &it->why) != PD_OK)
		it->outcome = SV_INVALID;
	else
		it->outcome = SV_RECORDED;
}

static void score_elem(pd_strbuf *b, int v, int absent)
{
	char num[8] = "";
	if (v != absent)
		snprintf(num, sizeof(num), "%d", v);
	pd_sb_array_elem(b, num);
}

/* The response events of one recorded answer. */
static int emit_answer(pd_txn *tx, const sv_record_item *it, const char *public_id, int negative, unsigned reasons,
		       pd_errbuf *eb)
{
	const sv_answer *a = it->answer;
	char *reason_names[5];
	size_t n_reasons = 0;
	for (int i = 0; i < 5; i++)
		if (reasons & (1u << i))
			reason_names[n_reasons++] = (char *)sv_low_reason_name(i);
	Peakdesk__V1__SurveyResponse sr = PEAKDESK__V1__SURVEY_RESPONSE__INIT;
	sr.invitation_id = (char *)it->invitation_id;
	sr.ticket_public_id = (char *)public_id;
	sr.kind = it->kind;
	sr.csat = a->scores.csat;
	sr.description_score = a->scores.description;
	sr.attitude_score = a->scores.attitude;
	sr.logistics_score = a->scores.logistics;
	sr.nps = a->scores.nps;
	sr.comment = (char *)a->comment;
	sr.via = (char *)a->via;
	sr.answered_at_ms = a->answered_at_ms;
	sr.negative_comment = negative;
	sr.low_reasons = reason_names;
	sr.n_low_reasons = n_reasons;
	int rc = emit_response(tx, "survey.response_recorded", &sr, eb);
	if (rc == PD_OK && it->low)
		rc = emit_response(tx, "survey.low_score", &sr, eb);
	return rc;
}

int sv_record_batch(pd_txn *tx, sv_record_item *items, size_t n, pd_errbuf *eb)
{
	pd_strbuf ids = {0};
	pd_sb_add(&ids, "{", 1);
	for (size_t i = 0; i < n; i++) {
		items[i].outcome = SV_UNKNOWN;
		items[i].low = items[i].kind = 0;
		items[i].why = (pd_errbuf){{0}};
		pd_sb_array_elem(&ids, items[i].invitation_id);
	}
	pd_sb_add(&ids, "}", 1);
	int err;
	/* Locked while the answers are judged: a racing answer in another
	 * transaction waits and then sees 'answered'. */
	PGresult *r = pd_txn_query(tx,
			"SELECT state, kind, ticket_public_id, expires_at <= now(), invitation_id::text "
			"FROM survey.invitations WHERE invitation_id = ANY ($1::uuid[]) ORDER BY invitation_id FOR UPDATE",
			1, (const char *[]){ids.s}, &err, eb);
	pd_sb_free(&ids);
	if (!r)
		return err;
	/* one column per survey.responses field, as array literals for unnest */
	pd_strbuf c_id = {0}, c_csat = {0}, c_desc = {0}, c_att = {0}, c_logi = {0}, c_nps = {0}, c_comment = {0},
		  c_neg = {0}, c_via = {0}, c_low = {0}, c_reasons = {0}, c_at = {0};
	pd_strbuf *cols[] = {&c_id, &c_csat, &c_desc, &c_att, &c_logi, &c_nps, &c_comment, &c_neg, &c_via, &c_low, &c_reasons, &c_at};
	pd_sb_arrays_open(cols, PD_ARRAY_LEN(cols));
	size_t recorded = 0;
	unsigned *reasons = pd_xcalloc(n ? n : 1, sizeof(*reasons));
	int *negative = pd_xcalloc(n ? n : 1, sizeof(*negative));
	int *row_of = pd_xcalloc(n ? n : 1, sizeof(*row_of));
	for (size_t i = 0; i < n; i++) {
		sv_record_item *it = &items[i];
		row_of[i] = -1;
		for (int k = 0; k < PQntuples(r); k++)
			if (strcmp(PQgetvalue(r, k, 4), it->invitation_id) == 0)
				row_of[i] = k;
		if (row_of[i] < 0)
			continue; /* SV_UNKNOWN */
		int taken_before = 0;
		for (size_t j = 0; j < i; j++)
			if (items[j].outcome == SV_RECORDED && row_of[j] == row_of[i])
				taken_before = 1;
		judge(it, r, row_of[i], taken_before);
		if (it->outcome != SV_RECORDED)
			continue;
		const sv_answer *a = it->answer;
		negative[i] = *a->comment && sv_comment_negative(a->comment);
		reasons[i] = sv_low_score(&a->scores, negative[i]);
		it->low = reasons[i] != 0;
		pd_strbuf names = {0};
		pd_sb_add(&names, "{", 1);
		for (int b = 0; b < 5; b++)
			if (reasons[i] & (1u << b))
				pd_sb_array_elem(&names, sv_low_reason_name(b));
		pd_sb_add(&names, "}", 1);
		char at[24];
		snprintf(at, sizeof(at), "%lld", (long long)a->answered_at_ms);
		pd_sb_array_elem(&c_id, it->invitation_id);
		score_elem(&c_csat, a->scores.csat, 0);
		score_elem(&c_desc, a->scores.description, 0);
		score_elem(&c_att, a->scores.attitude, 0);
		score_elem(&c_logi, a->scores.logistics, 0);
		score_elem(&c_nps, a->scores.nps, -1);
		pd_sb_array_elem(&c_comment, a->comment);
		pd_sb_array_elem(&c_neg, negative[i] ? "t" : "f");
		pd_sb_array_elem(&c_via, a->via);
		pd_sb_array_elem(&c_low, it->low ? "t" : "f");
		pd_sb_array_elem(&c_reasons, names.s);
		pd_sb_array_elem(&c_at, at);
		pd_sb_free(&names);
		recorded++;
	}
	pd_sb_arrays_close(cols, PD_ARRAY_LEN(cols));
	int rc = PD_OK;
	if (recorded > 0) {
		/* "" is NULL for the scores the survey did not ask. */
		rc = pd_txn_exec(tx,
			"INSERT INTO survey.responses (invitation_id, csat, description_score, attitude_score, logistics_score, "
			"  nps, comment, negative_comment, via, low_score, low_reasons, answered_at) "
			"SELECT id, nullif(csat, '')::smallint, nullif(d, '')::smallint, nullif(a, '')::smallint, "
			"  nullif(l, '')::smallint, nullif(nps, '')::smallint, comment, neg, via, low, reasons::text[], "
			"  to_timestamp(at::bigint / 1000.0) "
			"FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], "
			"  $8::boolean[], $9::text[], $10::boolean[], $11::text[], $12::text[]) "
			"  AS u(id, csat, d, a, l, nps, comment, neg, via, low, reasons, at)",
			12,
			(const char *[]){c_id.s, c_csat.s, c_desc.s, c_att.s, c_logi.s, c_nps.s, c_comment.s, c_neg.s, c_via.s,
					 c_low.s, c_reasons.s, c_at.s},
			eb);
		if (rc == PD_OK)
			rc = pd_txn_exec(tx, "UPDATE survey.invitations SET state = 'answered' WHERE invitation_id = ANY ($1::uuid[])",
					 1, (const char *[]){c_id.s}, eb);
	}
	for (size_t i = 0; i < n && rc == PD_OK; i++) {
		if (items[i].outcome != SV_RECORDED)
			continue;
		const char *public_id = PQgetvalue(r, row_of[i], 2);
		rc = emit_answer(tx, &items[i], public_id, negative[i], reasons[i], eb);
		if (rc == PD_OK)
			pd_log_info("survey answered", "invitation_id=%s ticket=%s via=%s low=%d", items[i].invitation_id,
				    public_id, items[i].answer->via, items[i].low);
	}
	pd_sb_arrays_free(cols, PD_ARRAY_LEN(cols));
	free(reasons);
	free(negative);
	free(row_of);
	PQclear(r);
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
	return pd_emit_outbound(tx, &o, eb);
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
	sv_record_item it = {.invitation_id = te->invitation_id, .answer = &a};
	int rc = sv_record_batch(tx, &it, 1, eb);
	const char *answer = channel_answer(it.outcome, it.low);
	if (rc == PD_OK && answer)
		rc = say(tx, inv, answer, eb);
	else if (rc == PD_OK)
		pd_log_warn("survey reply not recorded", "invitation_id=%s outcome=%d", te->invitation_id, it.outcome);
	PQclear(inv);
	return rc;
}
