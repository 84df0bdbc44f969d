/* Tests for the bad-review risk score: each signal alone with its weight,
 * evidence and message index, the decay steps, combinations, the cap at
 * 100, the flag threshold, the raised priority, English wording, negation,
 * the clock-driven silence signal and next_eval_ms, and bad input. */
#include <stdint.h>
#include <string.h>

#include "../../services/router/risk.h"
#include "pd_check.h"
#include "ticket.pb-c.h"

#define M (60LL * 1000)
#define H (60 * M)
#define T0 1731306600000LL /* 2024-11-11 14:30 China time */

#define C RT_AUTHOR_CUSTOMER
#define A RT_AUTHOR_AGENT
#define SYS RT_AUTHOR_SYSTEM

#define LOW PEAKDESK__V1__PRIORITY__PRIORITY_LOW
#define NORMAL PEAKDESK__V1__PRIORITY__PRIORITY_NORMAL
#define HIGH PEAKDESK__V1__PRIORITY__PRIORITY_HIGH
#define URGENT PEAKDESK__V1__PRIORITY__PRIORITY_URGENT

static rt_risk_result eval_p(const rt_risk_message *m, size_t n, int resolved, int64_t now,
			     const rt_risk_policy *p)
{
	rt_risk_result r;
	pd_errbuf eb = { "" };
	memset(&r, 0x5a, sizeof(r)); /* prove every field is written */
	ck_assert_msg(rt_risk_evaluate(m, n, resolved, now, p, &r, &eb) == PD_OK, "%s", eb.msg);
	ck_assert_int_ge(r.score, 0);
	ck_assert_int_le(r.score, 100);
	ck_assert_int_ge(r.uncapped, r.score);
	ck_assert_uint_le(r.n_signals, RT_RISK_MAX_SIGNALS);
	int sum = 0;
	for (size_t i = 0; i < r.n_signals; i++) {
		ck_assert_int_gt(r.signals[i].weight, 0);
		ck_assert_uint_lt(r.signals[i].message_index, n);
		ck_assert_uint_gt(strlen(r.signals[i].evidence), 0);
		if (i > 0) /* code order, one per code */
			ck_assert_int_lt(r.signals[i - 1].code, r.signals[i].code);
		sum += r.signals[i].weight;
	}
	ck_assert_int_eq(sum, r.uncapped);
	ck_assert_int_eq(r.flagged, r.score >= p->flag_threshold);
	return r;
}

static rt_risk_result eval(const rt_risk_message *m, size_t n, int resolved, int64_t now)
{
	rt_risk_policy p = RT_RISK_POLICY_DEFAULT;
	return eval_p(m, n, resolved, now, &p);
}

static const rt_risk_signal *sig(const rt_risk_result *r, int code)
{
	for (size_t i = 0; i < r->n_signals; i++)
		if (r->signals[i].code == code)
			return &r->signals[i];
	return NULL;
}

/* Exactly one signal, of this code, weight and evidence. */
static void only(rt_risk_result r, int code, int weight, const char *evidence, size_t idx)
{
	ck_assert_uint_eq(r.n_signals, 1);
	ck_assert_int_eq(r.signals[0].code, code);
	ck_assert_int_eq(r.signals[0].weight, weight);
	ck_assert_str_eq(r.signals[0].evidence, evidence);
	ck_assert_uint_eq(r.signals[0].message_index, idx);
	ck_assert_int_eq(r.score, weight);
}

START_TEST(defaults)
{
	rt_risk_policy p = RT_RISK_POLICY_DEFAULT;
	ck_assert_int_eq(p.flag_threshold, 60);
	ck_assert_int_eq(rt_risk_flag_threshold, 60);
	ck_assert_int_eq(p.urgent_threshold, 85);
	ck_assert(p.silence_ms == 12 * H);
	ck_assert(p.chase_window_ms == 10 * M);
	ck_assert_int_eq(p.chase_min_messages, 3);
	ck_assert(p.full_weight_ms == 24 * H);
	ck_assert(p.half_weight_ms == 72 * H);
	ck_assert_int_eq(rt_risk_policy_check(&p, NULL), PD_OK);
	ck_assert_str_eq(rt_risk_code_name(RT_RISK_NEGATIVE), "negative_wording");
	ck_assert_str_eq(rt_risk_code_name(RT_RISK_SILENCE), "silence_after_reply");
	ck_assert_str_eq(rt_risk_code_name(RT_RISK_CHASING), "repeated_chasing");
	ck_assert_str_eq(rt_risk_code_name(0), "none");
	ck_assert_str_eq(rt_risk_code_name(99), "unknown");
}
END_TEST

START_TEST(no_signal_is_zero)
{
	rt_risk_result r = eval(NULL, 0, 0, T0);
	ck_assert_int_eq(r.score, 0);
	ck_assert_uint_eq(r.n_signals, 0);
	ck_assert_int_eq(r.flagged, 0);
	ck_assert(r.next_eval_ms == INT64_MAX);

	rt_risk_message m[] = {
		{ C, T0, "你好，请问什么时候发货？" },
		{ A, T0 + 2 * M, "亲，预计明天发货哦" },
		{ C, T0 + 3 * M, "好的谢谢" },
		{ C, T0 + 4 * M, NULL },
	};
	r = eval(m, PD_ARRAY_LEN(m), 0, T0 + 5 * M);
	ck_assert_int_eq(r.score, 0);
	ck_assert_uint_eq(r.n_signals, 0);
	ck_assert(r.next_eval_ms == INT64_MAX);
}
END_TEST

START_TEST(negative_streak)
{
	/* 20 minutes apart, so repeated chasing stays out of the picture. */
	rt_risk_message m[] = {
		{ C, T0, "这是什么破东西" },
		{ A, T0 + 10 * M, "亲，非常抱歉" },
		{ C, T0 + 20 * M, "太差了，垃圾" },
		{ C, T0 + 40 * M, "真的很失望" },
		{ C, T0 + 60 * M, "骗子" },
	};
	/* One message: 10. */
	only(eval(m, 1, 0, T0 + M), RT_RISK_NEGATIVE, 10, "什么破", 0);
	/* Agent reply inside the run does not break it. */
	only(eval(m, 3, 0, T0 + 30 * M), RT_RISK_NEGATIVE, 20,
	     "垃圾 (2 consecutive messages)", 2);
	only(eval(m, 4, 0, T0 + 50 * M), RT_RISK_NEGATIVE, 30,
	     "失望 (3 consecutive messages)", 3);
	/* Capped at 30. */
	only(eval(m, 5, 0, T0 + 70 * M), RT_RISK_NEGATIVE, 30,
	     "骗子 (4 consecutive messages)", 4);

	/* A calm customer message ends the run: the signal leaves. */
	rt_risk_message calm[] = {
		{ C, T0, "垃圾" }, { C, T0 + 20 * M, "太差" }, { C, T0 + 40 * M, "好吧，那我等等" },
	};
	ck_assert_int_eq(eval(calm, 3, 0, T0 + 41 * M).score, 0);
	/* ... and a new run starts from 1. */
	rt_risk_message again[] = {
		{ C, T0, "垃圾" }, { C, T0 + 20 * M, "好吧" }, { C, T0 + 40 * M, "还是很差" },
	};
	only(eval(again, 3, 0, T0 + 41 * M), RT_RISK_NEGATIVE, 10, "很差", 2);
}
END_TEST

START_TEST(threat_words)
{
	static const struct {
		const char *text, *word;
		int weight;
	} cases[] = {
		{ "不给退就给差评", "差评", 25 },
		{ "我要投诉你们", "投诉", 25 },
		{ "我去打12315", "12315", 35 },
		{ "我要去网上曝光你们", "曝光", 30 },
		{ "假货，退一赔三", "退一赔三", 30 },
		{ "找消协", "消协", 30 },
	};
	for (size_t i = 0; i < PD_ARRAY_LEN(cases); i++) {
		rt_risk_message m[] = { { C, T0, cases[i].text } };
		rt_risk_result r = eval(m, 1, 0, T0);
		only(r, RT_RISK_THREAT, cases[i].weight, cases[i].word, 0);
	}
	/* Strongest word wins, across messages; evidence points at it. */
	rt_risk_message m[] = {
		{ C, T0, "给差评" }, { C, T0 + 20 * M, "打12315投诉" }, { C, T0 + 40 * M, "差评" },
	};
	only(eval(m, 3, 0, T0 + 41 * M), RT_RISK_THREAT, 35, "12315", 1);
	/* Equal weights: the later message is the evidence. */
	rt_risk_message eq[] = { { C, T0, "差评" }, { C, T0 + M, "投诉" } };
	only(eval(eq, 2, 0, T0 + 2 * M), RT_RISK_THREAT, 25, "投诉", 1);
	/* 12315 inside a longer number (an order or phone number) is no threat. */
	rt_risk_message num[] = { { C, T0, "订单号 2024123156789" }, { C, T0 + H, "电话0123155" } };
	ck_assert_int_eq(eval(num, 2, 0, T0 + H).score, 0);
}
END_TEST

START_TEST(cost_and_compensation)
{
	rt_risk_message cost[] = { { C, T0, "退货运费谁出？" } };
	only(eval(cost, 1, 0, T0), RT_RISK_COST_DISPUTE, 15, "运费", 0);
	rt_risk_message post[] = { { C, T0, "邮费凭什么我出" } };
	only(eval(post, 1, 0, T0), RT_RISK_COST_DISPUTE, 15, "邮费", 0);

	rt_risk_message comp[] = { { C, T0, "你们得给个说法" } };
	only(eval(comp, 1, 0, T0), RT_RISK_COMPENSATION, 20, "给个说法", 0);
	rt_risk_message comp2[] = { { C, T0, "有没有补偿" } };
	only(eval(comp2, 1, 0, T0), RT_RISK_COMPENSATION, 15, "补偿", 0);
	rt_risk_message comp3[] = { { C, T0, "要求赔偿" } };
	only(eval(comp3, 1, 0, T0), RT_RISK_COMPENSATION, 15, "赔偿", 0);
	/* A question about compensation is still a hint: no negation here. */
	rt_risk_message neg[] = { { C, T0, "不补偿吗？" } };
	only(eval(neg, 1, 0, T0), RT_RISK_COMPENSATION, 15, "补偿", 0);
}
END_TEST

START_TEST(perfectionist_pattern)
{
	rt_risk_message m[] = {
		{ C, T0, "衣服有色差" },
		{ A, T0 + M, "亲，屏幕显示会有一点差异" },
		{ C, T0 + 2 * M, "领口还有瑕疵，细节太粗糙" },
	};
	only(eval(m, 1, 0, T0), RT_RISK_PERFECTIONIST, 10, "色差", 0);
	/* Two messages make a pattern. */
	rt_risk_result r = eval(m, 3, 0, T0 + 3 * M);
	only(r, RT_RISK_PERFECTIONIST, 20, "瑕疵 (2 messages)", 2);
	/* Negated: 没有瑕疵 / 毫无色差 are praise. */
	static const char *const praise[] = { "做得很好，没有瑕疵", "毫无色差", "不失望", "不太差",
					      "没有细节问题" };
	for (size_t i = 0; i < PD_ARRAY_LEN(praise); i++) {
		rt_risk_message one[] = { { C, T0, praise[i] } };
		ck_assert_msg(eval(one, 1, 0, T0).score == 0, "%s", praise[i]);
	}
	/* A negated occurrence does not hide a real one later in the text. */
	rt_risk_message mixed[] = { { C, T0, "正面没有瑕疵，背面有瑕疵" } };
	only(eval(mixed, 1, 0, T0), RT_RISK_PERFECTIONIST, 10, "瑕疵", 0);
}
END_TEST

START_TEST(silence_after_reply)
{
	rt_risk_message m[] = {
		{ C, T0, "什么时候发货" },
		{ A, T0 + 10 * M, "亲，已经安排了" },
		{ SYS, T0 + 11 * M, "满意度调查" }, /* system messages are ignored */
	};
	int64_t reply = T0 + 10 * M;
	/* Exactly 12 h is not yet "more than 12 h". */
	rt_risk_result r = eval(m, 3, 0, reply + 12 * H);
	ck_assert_int_eq(r.score, 0);
	ck_assert(r.next_eval_ms == reply + 12 * H + 1);
	r = eval(m, 3, 0, reply + 12 * H + 1);
	only(r, RT_RISK_SILENCE, 15, "no customer reply for 12 h after agent reply", 1);
	ck_assert(r.next_eval_ms == INT64_MAX);
	r = eval(m, 3, 0, reply + 30 * H);
	ck_assert_str_eq(r.signals[0].evidence, "no customer reply for 30 h after agent reply");
	/* Resolved tickets are expected to be quiet. */
	r = eval(m, 3, 1, reply + 30 * H);
	ck_assert_int_eq(r.score, 0);
	ck_assert(r.next_eval_ms == INT64_MAX);
	/* The customer answered: no silence. */
	rt_risk_message answered[] = { m[0], m[1], { C, reply + H, "好的" } };
	ck_assert_int_eq(eval(answered, 3, 0, reply + 30 * H).score, 0);
	/* An agent message nobody asked for (no customer message before). */
	rt_risk_message unasked[] = { { A, T0, "您的包裹延误了" } };
	r = eval(unasked, 1, 0, T0 + 30 * H);
	ck_assert_int_eq(r.score, 0);
	ck_assert(r.next_eval_ms == INT64_MAX);
	/* Shorter silence setting, reported in minutes. */
	rt_risk_policy p = RT_RISK_POLICY_DEFAULT;
	p.silence_ms = 30 * M;
	r = eval_p(m, 3, 0, reply + 45 * M, &p);
	only(r, RT_RISK_SILENCE, 15, "no customer reply for 45 min after agent reply", 1);
}
END_TEST

START_TEST(repeated_chasing)
{
	rt_risk_message m[] = {
		{ C, T0, "在吗" },
		{ C, T0 + 3 * M, "在吗？？" },
		{ C, T0 + 10 * M, "人呢" }, /* exactly 10 min after the first: inside */
		{ C, T0 + 11 * M, "有人吗" },
		{ C, T0 + 12 * M, "回复一下" },
		{ C, T0 + 13 * M, "？" },
	};
	ck_assert_int_eq(eval(m, 2, 0, T0 + 10 * M).score, 0);
	only(eval(m, 3, 0, T0 + 10 * M), RT_RISK_CHASING, 10,
	     "3 messages in 10 min", 2);
	/* 0 falls out of the window at 11 min: 3,10,11 -> still 3. */
	only(eval(m, 4, 0, T0 + 11 * M), RT_RISK_CHASING, 10,
	     "3 messages in 10 min", 3);
	only(eval(m, 5, 0, T0 + 12 * M), RT_RISK_CHASING, 15,
	     "4 messages in 10 min", 4);
	only(eval(m, 6, 0, T0 + 13 * M), RT_RISK_CHASING, 20,
	     "5 messages in 10 min", 5);

	/* Spread out: no chasing. */
	rt_risk_message slow[] = { { C, T0, "在吗" }, { C, T0 + 6 * M, "在吗" },
				   { C, T0 + 12 * M + 1, "在吗" } };
	ck_assert_int_eq(eval(slow, 3, 0, T0 + 13 * M).score, 0);
	/* An agent reply resets the count; system messages do not. */
	rt_risk_message reset[] = { { C, T0, "在吗" }, { C, T0 + M, "在吗" },
				    { A, T0 + 2 * M, "在的" }, { C, T0 + 3 * M, "快点" } };
	ck_assert_int_eq(eval(reset, 4, 0, T0 + 4 * M).score, 0);
	rt_risk_message sys[] = { { C, T0, "在吗" }, { SYS, T0 + M, "已收到您的消息" },
				  { C, T0 + 2 * M, "在吗" }, { C, T0 + 3 * M, "快点" } };
	only(eval(sys, 4, 0, T0 + 4 * M), RT_RISK_CHASING, 10,
	     "3 messages in 10 min", 3);
	/* Timestamps going backwards count as equal to their predecessor. */
	rt_risk_message skew[] = { { C, T0 + 5 * M, "在吗" }, { C, T0, "在吗" },
				   { C, T0 + 6 * M, "在吗" } };
	only(eval(skew, 3, 0, T0 + 7 * M), RT_RISK_CHASING, 10,
	     "3 messages in 10 min", 2);
}
END_TEST

START_TEST(agent_and_system_words_ignored)
{
	rt_risk_message m[] = {
		{ C, T0, "你好" },
		{ A, T0 + M, "亲，我们可以给您补偿运费，不会影响差评" },
		{ SYS, T0 + 2 * M, "投诉请拨打12315" },
	};
	ck_assert_int_eq(eval(m, 3, 0, T0 + 3 * M).score, 0);
}
END_TEST

START_TEST(combination_and_cap)
{
	rt_risk_message m[] = {
		{ C, T0, "太差了，有色差还有瑕疵" },
		{ C, T0 + M, "垃圾，运费谁出？给个说法" },
		{ C, T0 + 2 * M, "再也不买了，我要打12315，还要差评" },
	};
	rt_risk_result r = eval(m, 3, 0, T0 + 3 * M);
	/* negative 30 + threat 35 + cost 15 + compensation 20 + perfectionist
	 * 10 + chasing 10 (three messages in two minutes) = 120 */
	ck_assert_int_eq(sig(&r, RT_RISK_NEGATIVE)->weight, 30);
	ck_assert_int_eq(sig(&r, RT_RISK_THREAT)->weight, 35);
	ck_assert_str_eq(sig(&r, RT_RISK_THREAT)->evidence, "12315");
	ck_assert_uint_eq(sig(&r, RT_RISK_THREAT)->message_index, 2);
	ck_assert_int_eq(sig(&r, RT_RISK_COST_DISPUTE)->weight, 15);
	ck_assert_uint_eq(sig(&r, RT_RISK_COST_DISPUTE)->message_index, 1);
	ck_assert_int_eq(sig(&r, RT_RISK_COMPENSATION)->weight, 20);
	ck_assert_int_eq(sig(&r, RT_RISK_PERFECTIONIST)->weight, 10);
	ck_assert_int_eq(sig(&r, RT_RISK_CHASING)->weight, 10);
	ck_assert_ptr_null(sig(&r, RT_RISK_SILENCE));
	ck_assert_uint_eq(r.n_signals, 6);
	ck_assert_int_eq(r.uncapped, 120);
	ck_assert_int_eq(r.score, 100);
	ck_assert_int_eq(r.flagged, 1);
}
END_TEST

START_TEST(flag_threshold)
{
	/* 20 (two negatives) + 25 (差评) = 45: not flagged. */
	rt_risk_message m[] = {
		{ C, T0, "太差了" },
		{ A, T0 + 5 * M, "抱歉亲" },
		{ C, T0 + 30 * M, "失望，给差评" },
		{ A, T0 + 40 * M, "亲，我们马上处理" },
	};
	rt_risk_result r = eval(m, 3, 0, T0 + 31 * M);
	ck_assert_int_eq(r.score, 45);
	ck_assert_int_eq(r.flagged, 0);
	/* ... the agent answers and the customer goes silent: +15 = 60, flagged
	 * exactly at the threshold. */
	r = eval(m, 4, 0, T0 + 40 * M + 12 * H + 1);
	ck_assert_int_eq(r.score, 60);
	ck_assert_int_eq(r.flagged, 1);
	ck_assert_ptr_nonnull(sig(&r, RT_RISK_SILENCE));
	/* Threshold is a policy. */
	rt_risk_policy p = RT_RISK_POLICY_DEFAULT;
	p.flag_threshold = 45;
	ck_assert_int_eq(eval_p(m, 3, 0, T0 + 31 * M, &p).flagged, 1);
	p.flag_threshold = 46;
	ck_assert_int_eq(eval_p(m, 3, 0, T0 + 31 * M, &p).flagged, 0);
	/* No single signal flags on its own at the default. */
	rt_risk_message one[] = { { C, T0, "12315" } };
	ck_assert_int_eq(eval(one, 1, 0, T0).flagged, 0);
}
END_TEST

START_TEST(decay)
{
	rt_risk_message m[] = { { C, T0, "给差评" } };
	ck_assert_int_eq(eval(m, 1, 0, T0 + 24 * H).score, 25);
	rt_risk_result r = eval(m, 1, 0, T0);
	ck_assert(r.next_eval_ms == T0 + 24 * H + 1);
	/* Older than 24 h: half, rounded up. */
	r = eval(m, 1, 0, T0 + 24 * H + 1);
	ck_assert_int_eq(r.score, 13);
	ck_assert(r.next_eval_ms == T0 + 72 * H + 1);
	ck_assert_int_eq(eval(m, 1, 0, T0 + 72 * H).score, 13);
	/* Older than 72 h: gone. */
	r = eval(m, 1, 0, T0 + 72 * H + 1);
	ck_assert_int_eq(r.score, 0);
	ck_assert_uint_eq(r.n_signals, 0);
	ck_assert(r.next_eval_ms == INT64_MAX);
	/* A fresher, weaker word beats a stale, stronger one. */
	rt_risk_message two[] = { { C, T0, "12315" }, { C, T0 + 30 * H, "差评" } };
	r = eval(two, 2, 0, T0 + 30 * H);
	ck_assert_int_eq(r.score, 25);
	ck_assert_str_eq(r.signals[0].evidence, "差评");
	/* Evidence from the future (clock skew) counts fully. */
	rt_risk_message fut[] = { { C, T0 + H, "差评" } };
	ck_assert_int_eq(eval(fut, 1, 0, T0).score, 25);
	/* Expired perfectionist messages do not count towards the pattern. */
	rt_risk_message pf[] = { { C, T0, "色差" }, { C, T0 + 80 * H, "瑕疵" } };
	r = eval(pf, 2, 0, T0 + 80 * H);
	only(r, RT_RISK_PERFECTIONIST, 10, "瑕疵", 1);
}
END_TEST

START_TEST(english)
{
	static const struct {
		const char *text;
		int code, weight;
		const char *word;
	} cases[] = {
		{ "This is TERRIBLE service", RT_RISK_NEGATIVE, 10, "terrible" },
		{ "I will leave a bad review", RT_RISK_THREAT, 25, "bad review" },
		{ "My lawyer will hear about this", RT_RISK_THREAT, 30, "lawyer" },
		{ "I'll sue you", RT_RISK_THREAT, 30, "sue" },
		{ "Who pays the return shipping?", RT_RISK_COST_DISPUTE, 15, "return shipping" },
		{ "I expect compensation.", RT_RISK_COMPENSATION, 15, "compensation" },
		{ "There is a colour difference", RT_RISK_PERFECTIONIST, 10, "colour difference" },
		{ "the stitching is loose", RT_RISK_PERFECTIONIST, 10, "stitching" },
	};
	for (size_t i = 0; i < PD_ARRAY_LEN(cases); i++) {
		rt_risk_message m[] = { { C, T0, cases[i].text } };
		rt_risk_result r = eval(m, 1, 0, T0);
		ck_assert_msg(r.n_signals == 1, "%s: %zu signals", cases[i].text, r.n_signals);
		only(r, cases[i].code, cases[i].weight, cases[i].word, 0);
	}
	/* Whole words only, and English negation. */
	static const char *const none[] = {
		"There is an issue with my order", /* not "sue" */
		"I am not disappointed at all",
		"It isn't terrible",
		"It isn\xE2\x80\x99t terrible",
		"Scammers? no, scampi", /* not "scam" */
		"no flaws",
		"A fine, flawless finish",
		"Order 2024123156 please", /* not 12315 */
	};
	for (size_t i = 0; i < PD_ARRAY_LEN(none); i++) {
		rt_risk_message one[] = { { C, T0, none[i] } };
		rt_risk_result r = eval(one, 1, 0, T0);
		ck_assert_msg(r.score == 0, "%s: got %d from %s: %s", none[i], r.score,
			      r.n_signals ? rt_risk_code_name(r.signals[0].code) : "-",
			      r.n_signals ? r.signals[0].evidence : "-");
	}
	/* English persistence across messages. */
	rt_risk_message en[] = { { C, T0, "Worst shop ever" }, { C, T0 + M, "Total scam." } };
	only(eval(en, 2, 0, T0 + M), RT_RISK_NEGATIVE, 20,
	     "scam (2 consecutive messages)", 1);
}
END_TEST

/* Every lexicon entry, written alone, is found (by itself or a stronger
 * entry it contains), so no table entry is dead. */
START_TEST(lexicon_entries_match)
{
	for (int code = RT_RISK_NEGATIVE; code <= RT_RISK_PERFECTIONIST; code++) {
		size_t n;
		const rt_risk_word *w = rt_risk_lexicon(code, &n);
		ck_assert_ptr_nonnull(w);
		ck_assert_uint_gt(n, 3);
		int has_english = 0, has_chinese = 0;
		for (size_t i = 0; i < n; i++) {
			const rt_risk_word *hit = rt_risk_match(code, w[i].word);
			ck_assert_msg(hit != NULL, "%s: %s not found", rt_risk_code_name(code), w[i].word);
			ck_assert_int_ge(hit->weight, w[i].weight);
			ck_assert_int_gt(w[i].weight, 0);
			if ((unsigned char)w[i].word[0] < 0x80)
				has_english = 1;
			else
				has_chinese = 1;
		}
		ck_assert(has_english && has_chinese);
	}
	size_t n = 7;
	ck_assert_ptr_null(rt_risk_lexicon(RT_RISK_SILENCE, &n));
	ck_assert_uint_eq(n, 0);
	ck_assert_ptr_null(rt_risk_match(RT_RISK_CHASING, "在吗"));
	ck_assert_ptr_null(rt_risk_match(RT_RISK_THREAT, NULL));
	/* The words the issue names are in the tables. */
	static const char *const named[][2] = {
		{ "垃圾", "n" }, { "太差", "n" }, { "失望", "n" }, { "骗子", "n" }, { "无语", "n" },
		{ "再也不买", "n" }, { "差评", "t" }, { "投诉", "t" }, { "12315", "t" }, { "曝光", "t" },
		{ "退一赔三", "t" }, { "运费", "c" }, { "邮费", "c" }, { "补偿", "m" }, { "赔偿", "m" },
		{ "给个说法", "m" }, { "色差", "p" }, { "瑕疵", "p" }, { "细节", "p" },
	};
	for (size_t i = 0; i < PD_ARRAY_LEN(named); i++) {
		int code = named[i][1][0] == 'n'   ? RT_RISK_NEGATIVE
			   : named[i][1][0] == 't' ? RT_RISK_THREAT
			   : named[i][1][0] == 'c' ? RT_RISK_COST_DISPUTE
			   : named[i][1][0] == 'm' ? RT_RISK_COMPENSATION
						   : RT_RISK_PERFECTIONIST;
		const rt_risk_word *hit = rt_risk_match(code, named[i][0]);
		ck_assert_ptr_nonnull(hit);
		ck_assert_str_eq(hit->word, named[i][0]);
	}
}
END_TEST

START_TEST(next_eval)
{
	/* Decay steps of every customer message, and the silence start: the
	 * earliest one in the future. */
	rt_risk_message m[] = {
		{ C, T0, "太差" },
		{ C, T0 + 2 * H, "失望" },
		{ A, T0 + 3 * H, "抱歉" },
	};
	rt_risk_result r = eval(m, 3, 0, T0 + 3 * H);
	ck_assert(r.next_eval_ms == T0 + 3 * H + 12 * H + 1); /* silence starts before any decay */
	r = eval(m, 3, 0, T0 + 20 * H);
	ck_assert_ptr_nonnull(sig(&r, RT_RISK_SILENCE));
	ck_assert(r.next_eval_ms == T0 + 24 * H + 1); /* first message's decay step */
	r = eval(m, 3, 0, T0 + 25 * H);
	ck_assert(r.next_eval_ms == T0 + 2 * H + 24 * H + 1);
	/* Re-evaluating at next_eval_ms changes the result. */
	rt_risk_result before = eval(m, 3, 0, T0 + 2 * H + 24 * H);
	rt_risk_result after = eval(m, 3, 0, before.next_eval_ms);
	ck_assert_int_ne(before.score, after.score);
}
END_TEST

START_TEST(raised_priority)
{
	rt_risk_policy p = RT_RISK_POLICY_DEFAULT;
	ck_assert_int_eq(rt_risk_priority(LOW, 59, &p), LOW);
	ck_assert_int_eq(rt_risk_priority(LOW, 60, &p), HIGH);
	ck_assert_int_eq(rt_risk_priority(NORMAL, 60, &p), HIGH);
	ck_assert_int_eq(rt_risk_priority(HIGH, 60, &p), HIGH);
	ck_assert_int_eq(rt_risk_priority(URGENT, 0, &p), URGENT); /* never lowers */
	ck_assert_int_eq(rt_risk_priority(NORMAL, 84, &p), HIGH);
	ck_assert_int_eq(rt_risk_priority(NORMAL, 85, &p), URGENT);
	ck_assert_int_eq(rt_risk_priority(LOW, 100, NULL), URGENT);
	ck_assert_int_eq(rt_risk_priority(0, 10, &p), NORMAL);
	ck_assert_int_eq(rt_risk_priority(42, 10, &p), NORMAL);
	ck_assert_int_eq(rt_risk_priority(0, 70, &p), HIGH);
	p.urgent_threshold = 101;
	ck_assert_int_eq(rt_risk_priority(NORMAL, 100, &p), HIGH);
}
END_TEST

START_TEST(bad_input)
{
	rt_risk_policy p = RT_RISK_POLICY_DEFAULT;
	rt_risk_result r;
	pd_errbuf eb;
	rt_risk_message m[] = { { C, T0, "x" }, { 9, T0, "x" } };
	ck_assert_int_eq(rt_risk_evaluate(m, 1, 0, T0, &p, NULL, &eb), PD_EINVAL);
	ck_assert_int_eq(rt_risk_evaluate(NULL, 1, 0, T0, &p, &r, &eb), PD_EINVAL);
	ck_assert_int_eq(rt_risk_evaluate(m, 1, 0, T0, NULL, &r, &eb), PD_EINVAL);
	ck_assert_int_eq(rt_risk_evaluate(m, 2, 0, T0, &p, &r, &eb), PD_EINVAL);
	ck_assert_str_eq(eb.msg, "message 1: unknown author 9");
	ck_assert_int_eq(rt_risk_evaluate(m, 2, 0, T0, &p, &r, NULL), PD_EINVAL);
	rt_risk_policy bad[] = { p, p, p, p, p, p, p };
	bad[0].flag_threshold = 0;
	bad[1].urgent_threshold = 59;
	bad[2].silence_ms = 0;
	bad[3].chase_window_ms = -1;
	bad[4].chase_min_messages = 1;
	bad[5].half_weight_ms = H;
	bad[6].full_weight_ms = 0;
	for (size_t i = 0; i < PD_ARRAY_LEN(bad); i++) {
		ck_assert_int_eq(rt_risk_policy_check(&bad[i], &eb), PD_EINVAL);
		ck_assert_int_eq(rt_risk_evaluate(m, 1, 0, T0, &bad[i], &r, NULL), PD_EINVAL);
	}
	/* Extreme times neither crash nor overflow. */
	rt_risk_message ext[] = { { C, INT64_MIN, "差评" }, { C, INT64_MAX, "在吗" },
				  { A, INT64_MAX, "好" }, { C, 0, "在吗" } };
	ck_assert_int_eq(rt_risk_evaluate(ext, 4, 0, INT64_MAX, &p, &r, NULL), PD_OK);
	ck_assert_int_eq(rt_risk_evaluate(ext, 4, 0, INT64_MIN, &p, &r, NULL), PD_OK);
	ck_assert_int_eq(rt_risk_evaluate(ext, 3, 0, 0, &p, &r, NULL), PD_OK);
	/* Invalid UTF-8 and a very long message are just text. */
	char big[4096];
	memset(big, '\xE5', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	rt_risk_message odd[] = { { C, T0, "\xFF\xFE差\xE5" }, { C, T0, big } };
	ck_assert_int_eq(rt_risk_evaluate(odd, 2, 0, T0, &p, &r, NULL), PD_OK);
	ck_assert_int_eq(r.score, 0);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("risk");
	TCase *one = tcase_create("signals");
	tcase_add_test(one, defaults);
	tcase_add_test(one, no_signal_is_zero);
	tcase_add_test(one, negative_streak);
	tcase_add_test(one, threat_words);
	tcase_add_test(one, cost_and_compensation);
	tcase_add_test(one, perfectionist_pattern);
	tcase_add_test(one, silence_after_reply);
	tcase_add_test(one, repeated_chasing);
	tcase_add_test(one, agent_and_system_words_ignored);
	suite_add_tcase(s, one);
	TCase *sc = tcase_create("score");
	tcase_add_test(sc, combination_and_cap);
	tcase_add_test(sc, flag_threshold);
	tcase_add_test(sc, decay);
	tcase_add_test(sc, next_eval);
	tcase_add_test(sc, raised_priority);
	suite_add_tcase(s, sc);
	TCase *lx = tcase_create("lexicon");
	tcase_add_test(lx, english);
	tcase_add_test(lx, lexicon_entries_match);
	tcase_add_test(lx, bad_input);
	suite_add_tcase(s, lx);
	return s;
}

PD_CHECK_MAIN(suite)
