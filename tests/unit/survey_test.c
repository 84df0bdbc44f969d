/* Tests for the survey answer parser (common/survey_answer.c) and the
 * survey collector's pure logic (services/survey/survey_logic.c): reply
 * parsing, answer checks, low scores, negative comments, quiet hours and
 * the signed response token. The token vectors were computed independently
 * with Python's hmac and base64 modules:
 *   key  = b"survey-link-key-0123456789abcdef"
 *   data = bytes(range(16)) + struct.pack(">q", 1764028800000)
 *   base64.urlsafe_b64encode(data + hmac.new(key, data, hashlib.sha256).digest()[:16]).rstrip(b"=") */
#include <stdint.h>
#include <string.h>

#include "../../services/survey/survey_logic.h"
#include "pd_check.h"
#include "survey_answer.h"

#define FW5 "\xEF\xBC\x95" /* full-width 5 */
#define FW4 "\xEF\xBC\x94"
#define FW1 "\xEF\xBC\x91"
#define FW0 "\xEF\xBC\x90"

/* 2025-11-25 00:00:00 UTC = 08:00 in UTC+8. */
#define DAY0 1764028800000LL
#define HOUR (3600LL * 1000)
#define MIN (60LL * 1000)
#define DAY (24 * HOUR)

static int parse(int kind, const char *text, pd_survey_scores *s)
{
	return pd_survey_parse_reply(kind, text, strlen(text), s);
}

/* ---- kinds ------------------------------------------------------------------ */

START_TEST(kind_names_round_trip)
{
	for (int k = PD_SURVEY_CSAT; k <= PD_SURVEY_NPS; k++)
		ck_assert_int_eq(pd_survey_kind_parse(pd_survey_kind_name(k)), k);
	ck_assert_str_eq(pd_survey_kind_name(PD_SURVEY_DSR), "dsr");
	ck_assert_str_eq(pd_survey_kind_name(0), "");
	ck_assert_str_eq(pd_survey_kind_name(4), "");
	ck_assert_int_eq(pd_survey_kind_parse("CSAT"), 0);
	ck_assert_int_eq(pd_survey_kind_parse(""), 0);
	ck_assert_int_eq(pd_survey_kind_parse(NULL), 0);
}
END_TEST

/* ---- reply parsing ---------------------------------------------------------- */

START_TEST(csat_accepts_ascii_full_width_and_units)
{
	static const struct {
		const char *text;
		int csat;
	} ok[] = {
		{ "5", 5 },	       { FW5, 5 },	       { "5分", 5 },	       { FW4 "分", 4 },
		{ " 4 ", 4 },	       { "3星", 3 },	       { "4颗星", 4 },	       { "1 star", 1 },
		{ "5 Stars", 5 },      { "5 points!", 5 },     { "2 pts", 2 },	       { "5。", 5 },
		{ "5！", 5 },	       { "5~", 5 },	       { "3\r\n", 3 },	       { "\xE3\x80\x80" "5", 5 },
		{ "5分。", 5 },	       { "5 分", 5 },	       { "1", 1 },
	};
	for (size_t i = 0; i < PD_ARRAY_LEN(ok); i++) {
		pd_survey_scores s;
		ck_assert_msg(parse(PD_SURVEY_CSAT, ok[i].text, &s) == 1, "\"%s\" refused", ok[i].text);
		ck_assert_int_eq(s.csat, ok[i].csat);
		ck_assert_int_eq(s.description, 0);
		ck_assert_int_eq(s.attitude, 0);
		ck_assert_int_eq(s.logistics, 0);
		ck_assert_int_eq(s.nps, -1);
	}
}
END_TEST

START_TEST(csat_refuses_sentences_and_out_of_range)
{
	static const char *const bad[] = {
		"", "6", "0", "05", "55", "5 4", "我要退款", "5 stars but the parcel is late", "5?", "-5",
		"5.0", "五", "5x", "x5", "5 starsx", "5分的话还行", "10", "5 5", "。5", FW5 FW5,
		/* a trailing separator may be the start of more text */
		"5,", "5/", "5，", "5、", "5 /",
	};
	for (size_t i = 0; i < PD_ARRAY_LEN(bad); i++) {
		pd_survey_scores s = { 9, 9, 9, 9, 9 };
		ck_assert_msg(parse(PD_SURVEY_CSAT, bad[i], &s) == 0, "\"%s\" accepted", bad[i]);
		/* A refused reply leaves nothing that looks like an answer. */
		ck_assert_int_eq(s.csat, 0);
		ck_assert_int_eq(s.nps, -1);
	}
}
END_TEST

START_TEST(dsr_reads_three_scores_in_order)
{
	static const char *const ok[] = {
		"5 4 3", "543", "5,4,3", "5，4，3", "5、4、3", "5/4/3", "5 / 4 / 3", FW5 FW4 "3",
		"5分4分3分", "5星 4星 3星", " 5  4  3 ", "5 4 3 stars", "5, 4, 3!",
	};
	for (size_t i = 0; i < PD_ARRAY_LEN(ok); i++) {
		pd_survey_scores s;
		ck_assert_msg(parse(PD_SURVEY_DSR, ok[i], &s) == 1, "\"%s\" refused", ok[i]);
		ck_assert_int_eq(s.description, 5);
		ck_assert_int_eq(s.attitude, 4);
		ck_assert_int_eq(s.logistics, 3);
		ck_assert_int_eq(s.csat, 0);
		ck_assert_int_eq(s.nps, -1);
	}
	pd_survey_scores s;
	ck_assert_int_eq(parse(PD_SURVEY_DSR, "5 4 5", &s), 1);
	ck_assert_int_eq(s.logistics, 5);
	ck_assert_int_eq(parse(PD_SURVEY_DSR, "111", &s), 1);
}
END_TEST

START_TEST(dsr_refuses_wrong_counts_and_ranges)
{
	static const char *const bad[] = {
		"5 4", "5", "5 4 5 5", "5456", "54 5", "5 45", "5 4 6", "505", "0 4 5", "55",
		"5 4 5 but slow", "5 4 5?", "5-4-5", "描述5 服务4 物流5", "5 4 5,", "5,4,",
	};
	for (size_t i = 0; i < PD_ARRAY_LEN(bad); i++) {
		pd_survey_scores s;
		ck_assert_msg(parse(PD_SURVEY_DSR, bad[i], &s) == 0, "\"%s\" accepted", bad[i]);
		ck_assert_int_eq(s.description, 0);
	}
}
END_TEST

START_TEST(nps_reads_0_to_10)
{
	static const struct {
		const char *text;
		int nps;
	} ok[] = {
		{ "10", 10 }, { FW1 FW0, 10 }, { "0", 0 }, { FW0, 0 }, { "9", 9 }, { "10分", 10 }, { "7 points", 7 },
	};
	for (size_t i = 0; i < PD_ARRAY_LEN(ok); i++) {
		pd_survey_scores s;
		ck_assert_msg(parse(PD_SURVEY_NPS, ok[i].text, &s) == 1, "\"%s\" refused", ok[i].text);
		ck_assert_int_eq(s.nps, ok[i].nps);
		ck_assert_int_eq(s.csat, 0);
	}
	static const char *const bad[] = { "11", "010", "07", "100", "-1", "10 10", "1 0", "10分太少" };
	for (size_t i = 0; i < PD_ARRAY_LEN(bad); i++) {
		pd_survey_scores s;
		ck_assert_msg(parse(PD_SURVEY_NPS, bad[i], &s) == 0, "\"%s\" accepted", bad[i]);
		ck_assert_int_eq(s.nps, -1);
	}
}
END_TEST

START_TEST(reply_length_kind_and_bytes)
{
	pd_survey_scores s;
	char buf[80];

	/* 64 bytes is still an answer, 65 is a message. */
	memset(buf, ' ', sizeof(buf));
	buf[0] = '5';
	ck_assert_int_eq(pd_survey_parse_reply(PD_SURVEY_CSAT, buf, 64, &s), 1);
	ck_assert_int_eq(pd_survey_parse_reply(PD_SURVEY_CSAT, buf, 65, &s), 0);
	/* Only len bytes are read: "5x" cut after the 5 is "5". */
	ck_assert_int_eq(pd_survey_parse_reply(PD_SURVEY_CSAT, "5x", 1, &s), 1);
	ck_assert_int_eq(pd_survey_parse_reply(PD_SURVEY_CSAT, "5\0", 2, &s), 0);
	/* Half a full-width digit is not a digit. */
	ck_assert_int_eq(pd_survey_parse_reply(PD_SURVEY_CSAT, FW5, 2, &s), 0);
	ck_assert_int_eq(pd_survey_parse_reply(0, "5", 1, &s), 0);
	ck_assert_int_eq(pd_survey_parse_reply(4, "5", 1, &s), 0);
	ck_assert_int_eq(pd_survey_parse_reply(PD_SURVEY_CSAT, NULL, 0, &s), 0);
	ck_assert_int_eq(pd_survey_parse_reply(PD_SURVEY_CSAT, "5", 1, NULL), 1);
}
END_TEST

/* ---- answer checks ---------------------------------------------------------- */

static void expect_invalid(int kind, pd_survey_scores s, const char *comment, const char *reason)
{
	pd_errbuf eb = { { 0 } };
	ck_assert_int_eq(sv_answer_check(kind, &s, comment, &eb), PD_EINVAL);
	ck_assert_int_eq(eb.code, PD_EINVAL);
	ck_assert_msg(strstr(eb.msg, reason), "reason \"%s\" lacks \"%s\"", eb.msg, reason);
}

START_TEST(answer_check_accepts_each_kind)
{
	pd_errbuf eb = { { 0 } };
	ck_assert_int_eq(sv_answer_check(PD_SURVEY_CSAT, &(pd_survey_scores){ 4, 0, 0, 0, -1 }, NULL, &eb), PD_OK);
	ck_assert_int_eq(sv_answer_check(PD_SURVEY_DSR, &(pd_survey_scores){ 0, 5, 1, 3, -1 }, "很好", &eb), PD_OK);
	ck_assert_int_eq(sv_answer_check(PD_SURVEY_NPS, &(pd_survey_scores){ 0, 0, 0, 0, 0 }, "", &eb), PD_OK);
	ck_assert_int_eq(sv_answer_check(PD_SURVEY_NPS, &(pd_survey_scores){ 0, 0, 0, 0, 10 }, NULL, &eb), PD_OK);
}
END_TEST

START_TEST(answer_check_names_the_field)
{
	expect_invalid(PD_SURVEY_CSAT, (pd_survey_scores){ 6, 0, 0, 0, -1 }, NULL, "csat must be 1..5");
	expect_invalid(PD_SURVEY_CSAT, (pd_survey_scores){ 0, 0, 0, 0, -1 }, NULL, "csat must be 1..5");
	expect_invalid(PD_SURVEY_CSAT, (pd_survey_scores){ 5, 3, 0, 0, -1 }, NULL, "description must be absent");
	expect_invalid(PD_SURVEY_CSAT, (pd_survey_scores){ 5, 0, 0, 0, 9 }, NULL, "nps must be absent");
	expect_invalid(PD_SURVEY_DSR, (pd_survey_scores){ 0, 0, 5, 5, -1 }, NULL, "description must be 1..5");
	expect_invalid(PD_SURVEY_DSR, (pd_survey_scores){ 0, 5, 0, 5, -1 }, NULL, "attitude must be 1..5");
	expect_invalid(PD_SURVEY_DSR, (pd_survey_scores){ 0, 5, 5, 9, -1 }, NULL, "logistics must be 1..5");
	expect_invalid(PD_SURVEY_DSR, (pd_survey_scores){ 4, 5, 5, 5, -1 }, NULL, "csat must be absent");
	expect_invalid(PD_SURVEY_NPS, (pd_survey_scores){ 0, 0, 0, 0, 11 }, NULL, "nps must be 0..10");
	expect_invalid(PD_SURVEY_NPS, (pd_survey_scores){ 0, 0, 0, 0, -1 }, NULL, "nps must be 0..10");
	expect_invalid(PD_SURVEY_NPS, (pd_survey_scores){ 0, 0, 2, 0, 7 }, NULL, "attitude must be absent");
	expect_invalid(0, (pd_survey_scores){ 5, 0, 0, 0, -1 }, NULL, "kind");
	pd_errbuf eb;
	ck_assert_int_eq(sv_answer_check(PD_SURVEY_CSAT, NULL, NULL, &eb), PD_EINVAL);
	/* No error buffer is fine too. */
	ck_assert_int_eq(sv_answer_check(PD_SURVEY_CSAT, &(pd_survey_scores){ 9, 0, 0, 0, -1 }, NULL, NULL),
			 PD_EINVAL);
}
END_TEST

START_TEST(answer_check_bounds_the_comment)
{
	static char comment[SV_COMMENT_MAX + 2];
	pd_survey_scores s = { 5, 0, 0, 0, -1 };
	pd_errbuf eb;

	memset(comment, 'a', SV_COMMENT_MAX);
	comment[SV_COMMENT_MAX] = '\0';
	ck_assert_int_eq(sv_answer_check(PD_SURVEY_CSAT, &s, comment, &eb), PD_OK);
	comment[SV_COMMENT_MAX] = 'a';
	comment[SV_COMMENT_MAX + 1] = '\0';
	expect_invalid(PD_SURVEY_CSAT, s, comment, "comment longer than 2000 bytes");
	expect_invalid(PD_SURVEY_CSAT, s, "ok \xFF", "comment is not valid UTF-8");
	expect_invalid(PD_SURVEY_CSAT, s, "\xC0\xAF", "UTF-8");       /* overlong "/" */
	expect_invalid(PD_SURVEY_CSAT, s, "\xED\xA0\x80", "UTF-8");   /* a surrogate */
	expect_invalid(PD_SURVEY_CSAT, s, "\xE5\xA5", "UTF-8");       /* cut character */
}
END_TEST

/* The parser and the check agree: every accepted reply is a valid answer. */
START_TEST(parsed_replies_pass_the_check)
{
	static const char *const texts[] = { "5", "1", "10", "0", "5 4 5", "111", "555", "3分" };
	for (size_t i = 0; i < PD_ARRAY_LEN(texts); i++)
		for (int k = PD_SURVEY_CSAT; k <= PD_SURVEY_NPS; k++) {
			pd_survey_scores s;
			if (parse(k, texts[i], &s))
				ck_assert_int_eq(sv_answer_check(k, &s, NULL, NULL), PD_OK);
		}
}
END_TEST

/* ---- low scores --------------------------------------------------------------- */

START_TEST(low_score_rules)
{
	ck_assert_uint_eq(sv_low_score(&(pd_survey_scores){ 2, 0, 0, 0, -1 }, 0), SV_LOW_CSAT);
	ck_assert_uint_eq(sv_low_score(&(pd_survey_scores){ 1, 0, 0, 0, -1 }, 1), SV_LOW_CSAT);
	ck_assert_uint_eq(sv_low_score(&(pd_survey_scores){ 3, 0, 0, 0, -1 }, 1), 0);
	/* Unanswered (0 / -1) is never low. */
	ck_assert_uint_eq(sv_low_score(&(pd_survey_scores){ 0, 0, 0, 0, -1 }, 1), 0);
	ck_assert_uint_eq(sv_low_score(&(pd_survey_scores){ 0, 5, 2, 5, -1 }, 0), SV_LOW_ATTITUDE);
	ck_assert_uint_eq(sv_low_score(&(pd_survey_scores){ 0, 2, 5, 5, -1 }, 0), SV_LOW_DESCRIPTION);
	ck_assert_uint_eq(sv_low_score(&(pd_survey_scores){ 0, 5, 5, 1, -1 }, 0), SV_LOW_LOGISTICS);
	ck_assert_uint_eq(sv_low_score(&(pd_survey_scores){ 0, 1, 2, 2, -1 }, 0),
			  SV_LOW_DESCRIPTION | SV_LOW_ATTITUDE | SV_LOW_LOGISTICS);
	ck_assert_uint_eq(sv_low_score(&(pd_survey_scores){ 0, 3, 3, 3, -1 }, 1), 0);
	/* NPS: a detractor only with a complaint. */
	ck_assert_uint_eq(sv_low_score(&(pd_survey_scores){ 0, 0, 0, 0, 6 }, 1), SV_LOW_NPS);
	ck_assert_uint_eq(sv_low_score(&(pd_survey_scores){ 0, 0, 0, 0, 0 }, 1), SV_LOW_NPS);
	ck_assert_uint_eq(sv_low_score(&(pd_survey_scores){ 0, 0, 0, 0, 6 }, 0), 0);
	ck_assert_uint_eq(sv_low_score(&(pd_survey_scores){ 0, 0, 0, 0, 3 }, 0), 0);
	ck_assert_uint_eq(sv_low_score(&(pd_survey_scores){ 0, 0, 0, 0, 7 }, 1), 0);
	ck_assert_uint_eq(sv_low_score(&(pd_survey_scores){ 0, 0, 0, 0, -1 }, 1), 0);
	ck_assert_uint_eq(sv_low_score(NULL, 1), 0);
}
END_TEST

START_TEST(low_score_with_comments_from_the_lexicon)
{
	pd_survey_scores six = { 0, 0, 0, 0, 6 }, three = { 0, 0, 0, 0, 3 };
	ck_assert_uint_eq(sv_low_score(&six, sv_comment_negative("还行吧")), 0);
	ck_assert_uint_eq(sv_low_score(&six, sv_comment_negative("物流太慢了")), SV_LOW_NPS);
	ck_assert_uint_eq(sv_low_score(&three, sv_comment_negative("")), 0);
	ck_assert_uint_eq(sv_low_score(&three, sv_comment_negative(NULL)), 0);
}
END_TEST

START_TEST(low_reason_names_follow_the_bits)
{
	static const char *const want[] = { "csat", "description", "attitude", "logistics", "nps" };
	static const unsigned bits[] = { SV_LOW_CSAT, SV_LOW_DESCRIPTION, SV_LOW_ATTITUDE, SV_LOW_LOGISTICS,
					 SV_LOW_NPS };
	for (int i = 0; i < 5; i++) {
		ck_assert_str_eq(sv_low_reason_name(i), want[i]);
		ck_assert_uint_eq(bits[i], 1u << i);
	}
	ck_assert_ptr_null(sv_low_reason_name(-1));
	ck_assert_ptr_null(sv_low_reason_name(5));
	ck_assert_ptr_null(sv_low_reason_name(SV_LOW_NPS));
}
END_TEST

/* ---- negative comments ------------------------------------------------------ */

START_TEST(negative_wording_is_found)
{
	static const char *const neg[] = {
		"太差了", "质量差", "给差评", "物流太慢", "很失望", "不满意", "非常不满意", "垃圾", "骗子",
		"坏了", "terrible", "Terrible service", "TERRIBLE", "so slow", "disappointed", "never again",
		"不慢，但是态度差", "not bad but the courier was rude", "piano bad", "好不好吃？不好吃",
		"delivery was late.", "不是很快，很慢",
	};
	for (size_t i = 0; i < PD_ARRAY_LEN(neg); i++)
		ck_assert_msg(sv_comment_negative(neg[i]) == 1, "\"%s\" not negative", neg[i]);
}
END_TEST

START_TEST(negation_and_harmless_compounds_are_not_negative)
{
	static const char *const fine[] = {
		"不差", "不慢", "一点也不差", "不是很差", "不太慢", "不会太慢", "没有失望", "没有很慢",
		"not bad", "Not bad at all", "NOT BAD", "wasn't slow", "isn\xE2\x80\x99t bad", "not too slow",
		"never late", "差不多", "差一点就到了", "慢用", "很好，谢谢", "", "badge", "chocolate", "好不好",
		"不好意思，问一下", "阳光灿烂", "满意", "great, thanks",
	};
	for (size_t i = 0; i < PD_ARRAY_LEN(fine); i++)
		ck_assert_msg(sv_comment_negative(fine[i]) == 0, "\"%s\" negative", fine[i]);
	ck_assert_int_eq(sv_comment_negative(NULL), 0);
}
END_TEST

/* ---- quiet hours -------------------------------------------------------------- */

static sv_quiet_hours quiet(const char *spec, const char *offset)
{
	sv_quiet_hours q;
	pd_errbuf eb = { { 0 } };
	ck_assert_msg(sv_quiet_parse(spec, offset, &q, &eb) == PD_OK, "\"%s\" %s: %s", spec, offset, eb.msg);
	return q;
}

START_TEST(quiet_parse_default_and_overrides)
{
	sv_quiet_hours q = quiet("22:00-08:00,email=none, wechat = 23:00-07:30", "+08:00");
	ck_assert_int_eq(q.utc_offset_min, 480);
	ck_assert_int_eq(q.w[0].start_min, 22 * 60);
	ck_assert_int_eq(q.w[0].end_min, 8 * 60);
	ck_assert_int_eq(q.w[1].start_min, 22 * 60); /* webhook: the default */
	ck_assert_int_eq(q.w[2].start_min, 23 * 60); /* wechat */
	ck_assert_int_eq(q.w[2].end_min, 7 * 60 + 30);
	ck_assert_int_eq(q.w[3].start_min, q.w[3].end_min); /* email: none */

	q = quiet("email=21:00-09:00", "-05:30");
	ck_assert_int_eq(q.utc_offset_min, -330);
	ck_assert_int_eq(q.w[0].start_min, q.w[0].end_min);
	ck_assert_int_eq(q.w[3].start_min, 21 * 60);

	q = quiet("", "Z");
	for (int k = 0; k < SV_CHANNELS; k++)
		ck_assert_int_eq(q.w[k].start_min, q.w[k].end_min);
	ck_assert_int_eq(q.utc_offset_min, 0);
	q = quiet("none,webhook=00:00-06:00", "+14:00");
	ck_assert_int_eq(q.w[1].end_min, 360);
	ck_assert_int_eq(q.w[2].end_min, 0);
}
END_TEST

START_TEST(quiet_parse_refuses_with_reasons)
{
	static const struct {
		const char *spec, *offset, *reason;
	} bad[] = {
		{ "25:00-08:00", "+08:00", "not HH:MM-HH:MM" },
		{ "22:00-08:60", "+08:00", "not HH:MM-HH:MM" },
		{ "2:00-08:00", "+08:00", "not HH:MM-HH:MM" },
		{ "22:00", "+08:00", "not HH:MM-HH:MM" },
		{ "22:00-08:00,email=never", "+08:00", "not HH:MM-HH:MM" },
		{ "08:00-08:00", "+08:00", "write none" },
		{ "22:00-08:00,sms=none", "+08:00", "unknown channel \"sms\"" },
		{ "22:00-08:00,=none", "+08:00", "unknown channel" },
		{ "email=none,22:00-08:00", "+08:00", "must come first" },
		{ "22:00-08:00,23:00-07:00", "+08:00", "must come first" },
		{ "email=none,email=22:00-08:00", "+08:00", "email given twice" },
		{ "22:00-08:00,", "+08:00", "empty item" },
		{ "22:00-08:00,,email=none", "+08:00", "empty item" },
		{ "22:00-08:00", "+8", "utc offset" },
		{ "22:00-08:00", "+15:00", "utc offset" },
		{ "22:00-08:00", "UTC", "utc offset" },
		{ "22:00-08:00", "+08:60", "utc offset" },
		{ "22:00-08:00", "", "utc offset missing" },
		{ "22:00-08:00", NULL, "utc offset missing" },
		{ NULL, "+08:00", "quiet hours missing" },
	};
	for (size_t i = 0; i < PD_ARRAY_LEN(bad); i++) {
		sv_quiet_hours q = { .utc_offset_min = 123 };
		pd_errbuf eb = { { 0 } };
		ck_assert_msg(sv_quiet_parse(bad[i].spec, bad[i].offset, &q, &eb) == PD_EINVAL, "\"%s\" %s accepted",
			      bad[i].spec, bad[i].offset);
		ck_assert_msg(strstr(eb.msg, bad[i].reason), "\"%s\": reason \"%s\" lacks \"%s\"", bad[i].spec, eb.msg,
			      bad[i].reason);
		/* A refused spec leaves the old hours in place. */
		ck_assert_int_eq(q.utc_offset_min, 123);
	}
}
END_TEST

START_TEST(quiet_window_wrapping_midnight_at_plus_8)
{
	sv_quiet_hours q = quiet("22:00-08:00", "+08:00");
	const int webhook = 1;
	/* DAY0 is 08:00 local: the window's end, which is not in the window. */
	ck_assert_int_eq(sv_quiet_next_send(&q, webhook, DAY0), DAY0);
	ck_assert_int_eq(sv_quiet_next_send(&q, webhook, DAY0 - 1), DAY0);
	/* Midday: sent at once. */
	ck_assert_int_eq(sv_quiet_next_send(&q, webhook, DAY0 + 4 * HOUR), DAY0 + 4 * HOUR);
	/* 21:59:59.999 is outside, 22:00 exactly is inside. */
	ck_assert_int_eq(sv_quiet_next_send(&q, webhook, DAY0 + 14 * HOUR - 1), DAY0 + 14 * HOUR - 1);
	ck_assert_int_eq(sv_quiet_next_send(&q, webhook, DAY0 + 14 * HOUR), DAY0 + DAY);
	/* 23:00 and 02:30 local wait for 08:00 of the next morning. */
	ck_assert_int_eq(sv_quiet_next_send(&q, webhook, DAY0 + 15 * HOUR), DAY0 + DAY);
	ck_assert_int_eq(sv_quiet_next_send(&q, webhook, DAY0 + 18 * HOUR + 30 * MIN), DAY0 + DAY);
	/* Channel 0 and unknown channels use the default. */
	ck_assert_int_eq(sv_quiet_next_send(&q, 0, DAY0 + 15 * HOUR), DAY0 + DAY);
	ck_assert_int_eq(sv_quiet_next_send(&q, 7, DAY0 + 15 * HOUR), DAY0 + DAY);
	ck_assert_int_eq(sv_quiet_next_send(&q, -1, DAY0 + 15 * HOUR), DAY0 + DAY);
}
END_TEST

START_TEST(quiet_per_channel_overrides)
{
	sv_quiet_hours q = quiet("22:00-08:00,email=none,wechat=23:00-07:30", "+08:00");
	int64_t at_2230 = DAY0 + 14 * HOUR + 30 * MIN, at_0730 = DAY0 - 30 * MIN;
	ck_assert_int_eq(sv_quiet_next_send(&q, 3, at_2230), at_2230); /* email: never quiet */
	ck_assert_int_eq(sv_quiet_next_send(&q, 3, DAY0 + 18 * HOUR), DAY0 + 18 * HOUR);
	ck_assert_int_eq(sv_quiet_next_send(&q, 2, at_2230), at_2230); /* wechat: quiet from 23:00 */
	ck_assert_int_eq(sv_quiet_next_send(&q, 2, DAY0 + 15 * HOUR), DAY0 + DAY - 30 * MIN);
	ck_assert_int_eq(sv_quiet_next_send(&q, 2, at_0730), at_0730); /* 07:30 is its end */
	ck_assert_int_eq(sv_quiet_next_send(&q, 1, at_2230), DAY0 + DAY);
	ck_assert_int_eq(sv_quiet_next_send(&q, 1, at_0730), DAY0);
}
END_TEST

START_TEST(quiet_negative_offset_and_plain_window)
{
	/* UTC-5:30: DAY0 is 18:30 local the day before. */
	sv_quiet_hours q = quiet("22:00-08:00", "-05:30");
	ck_assert_int_eq(sv_quiet_next_send(&q, 1, DAY0 + 3 * HOUR), DAY0 + 3 * HOUR); /* 21:30 */
	ck_assert_int_eq(sv_quiet_next_send(&q, 1, DAY0 + 4 * HOUR), DAY0 + 13 * HOUR + 30 * MIN);

	/* A window inside one day: lunch 12:00-13:30 UTC. */
	q = quiet("12:00-13:30", "Z");
	ck_assert_int_eq(sv_quiet_next_send(&q, 1, DAY0 + 12 * HOUR + 15 * MIN), DAY0 + 13 * HOUR + 30 * MIN);
	ck_assert_int_eq(sv_quiet_next_send(&q, 1, DAY0 + 13 * HOUR + 30 * MIN), DAY0 + 13 * HOUR + 30 * MIN);
	ck_assert_int_eq(sv_quiet_next_send(&q, 1, DAY0 + 11 * HOUR), DAY0 + 11 * HOUR);

	/* Before 1970 the day still starts at midnight. */
	q = quiet("22:00-08:00", "Z");
	ck_assert_int_eq(sv_quiet_next_send(&q, 1, -1), 8 * HOUR);
	ck_assert_int_eq(sv_quiet_next_send(&q, 1, -DAY + 12 * HOUR), -DAY + 12 * HOUR);
	/* The extremes neither overflow nor move backwards. */
	ck_assert(sv_quiet_next_send(&q, 1, INT64_MAX) == INT64_MAX);
	ck_assert(sv_quiet_next_send(&q, 1, INT64_MIN) >= INT64_MIN);
	ck_assert_int_eq(sv_quiet_next_send(NULL, 1, 42), 42);
}
END_TEST

/* ---- tokens ------------------------------------------------------------------- */

static const uint8_t key[] = "survey-link-key-0123456789abcdef";
#define KEYLEN (sizeof(key) - 1)
#define VECTOR1 "AAECAwQFBgcICQoLDA0ODwAAAZq4T1wAXisEozGZjlV-1826LxsSqg"
#define VECTOR2 "________________________________gsFH8xBMvIDZaImpksPFxQ"

static void ids(uint8_t id[16], uint8_t first)
{
	for (int i = 0; i < 16; i++)
		id[i] = (uint8_t)(first + i);
}

START_TEST(token_matches_independent_vectors)
{
	uint8_t id[16], ff[16];
	char tok[SV_TOKEN_LEN + 1];

	ids(id, 0);
	memset(ff, 0xFF, sizeof(ff));
	ck_assert_int_eq(sv_token_make(key, KEYLEN, id, 1764028800000LL, tok), PD_OK);
	ck_assert_str_eq(tok, VECTOR1);
	ck_assert_int_eq(sv_token_make(key, KEYLEN, ff, -1, tok), PD_OK);
	ck_assert_str_eq(tok, VECTOR2);
	ck_assert_uint_eq(strlen(tok), SV_TOKEN_LEN);
}
END_TEST

START_TEST(token_round_trips_id_and_expiry)
{
	static const int64_t expiries[] = { 1764028800000LL, 0, -1, INT64_MIN, INT64_MAX, 1 };
	char tok[SV_TOKEN_LEN + 1];
	for (size_t i = 0; i < PD_ARRAY_LEN(expiries); i++) {
		uint8_t id[16], got[16];
		int64_t exp = 12345;
		ids(id, (uint8_t)(i * 40 + 7));
		ck_assert_int_eq(sv_token_make(key, KEYLEN, id, expiries[i], tok), PD_OK);
		ck_assert_int_eq(sv_token_check(key, KEYLEN, tok, got, &exp), PD_OK);
		ck_assert_mem_eq(got, id, 16);
		ck_assert(exp == expiries[i]);
	}
	/* The outputs are optional. */
	ck_assert_int_eq(sv_token_check(key, KEYLEN, VECTOR1, NULL, NULL), PD_OK);
}
END_TEST

/* Every character replaced by every other one that might appear: never
 * PD_OK. The last character carries 4 unused bits, so this also pins down
 * that they must be zero. */
START_TEST(token_any_changed_character_is_refused)
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_+/=. %";
	char tok[SV_TOKEN_LEN + 1];
	int sig = 0, decode = 0;

	for (int pos = 0; pos < SV_TOKEN_LEN; pos++)
		for (const char *c = alphabet; *c; c++) {
			if (*c == VECTOR1[pos])
				continue;
			memcpy(tok, VECTOR1, sizeof(tok));
			tok[pos] = *c;
			uint8_t id[16] = { 0 };
			int64_t exp = 77;
			int rc = sv_token_check(key, KEYLEN, tok, id, &exp);
			ck_assert_msg(rc == PD_ESIG || rc == PD_EDECODE, "pos %d '%c': rc %d", pos, *c, rc);
			ck_assert_int_eq(exp, 77); /* nothing filled on failure */
			sig += rc == PD_ESIG;
			decode += rc == PD_EDECODE;
		}
	ck_assert_int_gt(sig, 0);
	ck_assert_int_gt(decode, 0);
	/* Same bytes in the last 2 bits, different unused bits: not a token. */
	memcpy(tok, VECTOR1, sizeof(tok));
	tok[SV_TOKEN_LEN - 1] = 'h';
	ck_assert_int_eq(sv_token_check(key, KEYLEN, tok, NULL, NULL), PD_EDECODE);
}
END_TEST

START_TEST(token_wrong_key_and_wrong_length)
{
	static const uint8_t other[] = "survey-link-key-0123456789abcdeF";
	char tok[80];

	ck_assert_int_eq(sv_token_check(other, KEYLEN, VECTOR1, NULL, NULL), PD_ESIG);
	ck_assert_int_eq(sv_token_check(key, KEYLEN - 1, VECTOR1, NULL, NULL), PD_ESIG);
	ck_assert_int_eq(sv_token_check(key, KEYLEN, VECTOR1 "A", NULL, NULL), PD_EDECODE);
	ck_assert_int_eq(sv_token_check(key, KEYLEN, VECTOR1 "==", NULL, NULL), PD_EDECODE);
	memcpy(tok, VECTOR1, SV_TOKEN_LEN - 1);
	tok[SV_TOKEN_LEN - 1] = '\0';
	ck_assert_int_eq(sv_token_check(key, KEYLEN, tok, NULL, NULL), PD_EDECODE);
	ck_assert_int_eq(sv_token_check(key, KEYLEN, "", NULL, NULL), PD_EDECODE);
	ck_assert_int_eq(sv_token_check(key, KEYLEN, NULL, NULL, NULL), PD_EDECODE);
	/* The standard alphabet's spelling of the same bytes is not accepted. */
	snprintf(tok, sizeof(tok), "%s", VECTOR2);
	for (char *p = tok; *p; p++)
		*p = *p == '_' ? '/' : *p == '-' ? '+' : *p;
	ck_assert_int_eq(sv_token_check(key, KEYLEN, tok, NULL, NULL), PD_EDECODE);
}
END_TEST

START_TEST(token_refuses_missing_keys)
{
	uint8_t id[16] = { 1 };
	char tok[SV_TOKEN_LEN + 1];
	ck_assert_int_eq(sv_token_make(NULL, 0, id, 1, tok), PD_EINVAL);
	ck_assert_int_eq(sv_token_make(key, 0, id, 1, tok), PD_EINVAL);
	ck_assert_int_eq(sv_token_make(key, KEYLEN, NULL, 1, tok), PD_EINVAL);
	ck_assert_int_eq(sv_token_check(key, 0, VECTOR1, NULL, NULL), PD_EINVAL);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("survey");
	TCase *tc = tcase_create("answer");
	tcase_add_test(tc, kind_names_round_trip);
	tcase_add_test(tc, csat_accepts_ascii_full_width_and_units);
	tcase_add_test(tc, csat_refuses_sentences_and_out_of_range);
	tcase_add_test(tc, dsr_reads_three_scores_in_order);
	tcase_add_test(tc, dsr_refuses_wrong_counts_and_ranges);
	tcase_add_test(tc, nps_reads_0_to_10);
	tcase_add_test(tc, reply_length_kind_and_bytes);
	tcase_add_test(tc, answer_check_accepts_each_kind);
	tcase_add_test(tc, answer_check_names_the_field);
	tcase_add_test(tc, answer_check_bounds_the_comment);
	tcase_add_test(tc, parsed_replies_pass_the_check);
	suite_add_tcase(s, tc);

	tc = tcase_create("low_score");
	tcase_add_test(tc, low_score_rules);
	tcase_add_test(tc, low_score_with_comments_from_the_lexicon);
	tcase_add_test(tc, low_reason_names_follow_the_bits);
	tcase_add_test(tc, negative_wording_is_found);
	tcase_add_test(tc, negation_and_harmless_compounds_are_not_negative);
	suite_add_tcase(s, tc);

	tc = tcase_create("quiet_hours");
	tcase_add_test(tc, quiet_parse_default_and_overrides);
	tcase_add_test(tc, quiet_parse_refuses_with_reasons);
	tcase_add_test(tc, quiet_window_wrapping_midnight_at_plus_8);
	tcase_add_test(tc, quiet_per_channel_overrides);
	tcase_add_test(tc, quiet_negative_offset_and_plain_window);
	suite_add_tcase(s, tc);

	tc = tcase_create("token");
	tcase_add_test(tc, token_matches_independent_vectors);
	tcase_add_test(tc, token_round_trips_id_and_expiry);
	tcase_add_test(tc, token_any_changed_character_is_refused);
	tcase_add_test(tc, token_wrong_key_and_wrong_length);
	tcase_add_test(tc, token_refuses_missing_keys);
	suite_add_tcase(s, tc);
	return s;
}

PD_CHECK_MAIN(suite)
