/* Bad-review risk: lexicon matching on UTF-8 text and the scoring rules.
 * The weights are chosen so that no single kind of evidence flags a ticket
 * (the strongest, a 12315 threat, is 35 < 60): a flag needs two or more
 * independent reasons, which keeps one angry word from jumping the queue
 * while "angry for three messages and now threatening a bad review" does.
 * docs/router-decisions.md walks through the numbers with examples. */
#include "risk.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "text_match.h"

#include "ticket.pb-c.h"

const int rt_risk_flag_threshold = RT_RISK_FLAG_THRESHOLD_DEFAULT;

/* ---- lexicons ----------------------------------------------------------
 * Chinese first (the customers' language during 618 / Double 11), then the
 * English equivalents for customers writing in English. Substrings are
 * picked to be specific: "太差" rather than "差" (which is inside "差不多"
 * and "差评"), no "一星" (inside "一星期", one week). */

/* Negative wording. The weight comes from the streak, not the word. */
static const rt_risk_word negative_words[] = {
	{ "垃圾", 1 }, { "太差", 1 }, { "很差", 1 }, { "真差", 1 }, { "差劲", 1 },
	{ "失望", 1 }, { "骗子", 1 }, { "骗人", 1 }, { "无语", 1 }, { "再也不买", 1 },
	{ "坑人", 1 }, { "坑爹", 1 }, { "恶心", 1 }, { "气死", 1 }, { "离谱", 1 },
	{ "忽悠", 1 }, { "敷衍", 1 }, { "不靠谱", 1 }, { "黑店", 1 }, { "后悔", 1 },
	{ "什么破", 1 }, { "态度差", 1 }, { "太慢", 1 },
	{ "terrible", 1 }, { "awful", 1 }, { "worst", 1 }, { "disappointed", 1 },
	{ "disappointing", 1 }, { "scam", 1 }, { "rubbish", 1 }, { "garbage", 1 },
	{ "useless", 1 }, { "ridiculous", 1 }, { "unacceptable", 1 }, { "horrible", 1 },
	{ "never buy", 1 }, { "never again", 1 }, { "fed up", 1 }, { "liar", 1 },
	{ "liars", 1 }, { "waste of money", 1 },
};

/* Threats. 12315 (the state consumer-complaint hotline) and the legal or
 * public routes weigh most: they cost the shop money or its rating beyond
 * one review. 退一赔三 is the statutory "refund plus three times" claim. */
static const rt_risk_word threat_words[] = {
	{ "12315", 35 }, { "退一赔三", 30 }, { "曝光", 30 }, { "消协", 30 },
	{ "消费者协会", 30 }, { "黑猫", 30 }, { "律师", 30 }, { "起诉", 30 },
	{ "差评", 25 }, { "投诉", 25 }, { "举报", 25 }, { "工商", 25 }, { "媒体", 25 },
	{ "lawyer", 30 }, { "sue", 30 }, { "expose", 30 }, { "consumer association", 30 },
	{ "bad review", 25 }, { "negative review", 25 }, { "1-star", 25 }, { "1 star", 25 },
	{ "one star", 25 }, { "one-star", 25 }, { "chargeback", 25 }, { "report you", 25 },
	{ "complain", 20 }, { "complaint", 20 },
};

/* Disputes over who pays for shipping. */
static const rt_risk_word cost_words[] = {
	{ "运费", 15 }, { "邮费", 15 }, { "快递费", 15 }, { "退货费", 15 }, { "谁承担", 15 },
	{ "shipping fee", 15 }, { "shipping cost", 15 }, { "return shipping", 15 },
	{ "postage", 15 }, { "who pays", 15 }, { "delivery fee", 15 },
};

/* Compensation hints. 给个说法 ("give me an explanation") is the usual
 * last step before a complaint, so it weighs a little more. */
static const rt_risk_word compensation_words[] = {
	{ "给个说法", 20 }, { "精神损失", 20 }, { "补偿", 15 }, { "赔偿", 15 },
	{ "赔钱", 15 }, { "索赔", 15 },
	{ "compensation", 15 }, { "compensate", 15 }, { "make it right", 15 },
};

/* Perfectionist pattern: complaints about small deviations, the customers
 * most likely to leave a picture review of the flaw. The weight comes from
 * how many messages show it (10 / 20). */
static const rt_risk_word perfectionist_words[] = {
	{ "色差", 10 }, { "瑕疵", 10 }, { "细节", 10 }, { "线头", 10 }, { "做工", 10 },
	{ "划痕", 10 }, { "污渍", 10 }, { "走线", 10 },
	{ "color difference", 10 }, { "colour difference", 10 }, { "flaw", 10 },
	{ "flaws", 10 }, { "flawed", 10 }, { "scratch", 10 }, { "scratches", 10 },
	{ "stitching", 10 }, { "loose thread", 10 }, { "detail", 10 }, { "details", 10 },
	{ "blemish", 10 },
};

static const struct {
	const rt_risk_word *words;
	size_t n;
	int negatable; /* a negator right before the word cancels it */
} lexicons[RT_RISK_CODE_COUNT] = {
	[RT_RISK_NEGATIVE] = { negative_words, PD_ARRAY_LEN(negative_words), 1 },
	[RT_RISK_THREAT] = { threat_words, PD_ARRAY_LEN(threat_words), 0 },
	[RT_RISK_COST_DISPUTE] = { cost_words, PD_ARRAY_LEN(cost_words), 0 },
	[RT_RISK_COMPENSATION] = { compensation_words, PD_ARRAY_LEN(compensation_words), 0 },
	[RT_RISK_PERFECTIONIST] = { perfectionist_words, PD_ARRAY_LEN(perfectionist_words), 1 },
};

static const char *const code_names[RT_RISK_CODE_COUNT] = {
	[RT_RISK_NONE] = "none",
	[RT_RISK_NEGATIVE] = "negative_wording",
	[RT_RISK_THREAT] = "threat",
	[RT_RISK_COST_DISPUTE] = "cost_dispute",
	[RT_RISK_COMPENSATION] = "compensation",
	[RT_RISK_PERFECTIONIST] = "perfectionist",
	[RT_RISK_SILENCE] = "silence_after_reply",
	[RT_RISK_CHASING] = "repeated_chasing",
};

/* Points per rule (see risk.h for the table). */
#define NEGATIVE_PER_MESSAGE 10
#define NEGATIVE_MAX 30
#define PERFECTIONIST_ONE 10
#define PERFECTIONIST_MANY 20
#define SILENCE_WEIGHT 15
#define CHASE_BASE 10
#define CHASE_STEP 5
#define CHASE_MAX 20

const char *rt_risk_code_name(int code)
{
	return code >= 0 && code < RT_RISK_CODE_COUNT ? code_names[code] : "unknown";
}

const rt_risk_word *rt_risk_lexicon(int code, size_t *n)
{
	if (code < RT_RISK_NEGATIVE || code > RT_RISK_PERFECTIONIST) {
		if (n)
			*n = 0;
		return NULL;
	}
	if (n)
		*n = lexicons[code].n;
	return lexicons[code].words;
}

/* ---- matching ---------------------------------------------------------- */

/* A negator right before text[pos]: Chinese 不/没/没有/无 directly
 * adjacent (不失望, 没有瑕疵, 毫无色差); English not/never/no or a word
 * ending in n't (isn't, wasn't, also with the typographic apostrophe)
 * followed by one or more spaces. 别 is deliberately not a negator:
 * 别敷衍我 / 别骗人 ("don't fob me off") is itself angry. */
static int negated(const char *text, size_t pos)
{
	static const char *const zh[] = { "不", "没", "没有", "无" };
	for (size_t i = 0; i < PD_ARRAY_LEN(zh); i++)
		if (pd_ends_with_fold(text, pos, zh[i]))
			return 1;
	size_t e = pos;
	while (e > 0 && text[e - 1] == ' ')
		e--;
	if (e == pos)
		return 0;
	static const char *const en[] = { "not", "never", "no" };
	for (size_t i = 0; i < PD_ARRAY_LEN(en); i++) {
		size_t n = strlen(en[i]);
		if (pd_ends_with_fold(text, e, en[i]) && (e == n || !pd_ascii_alnum((unsigned char)text[e - n - 1])))
			return 1;
	}
	return pd_ends_with_fold(text, e, "n't") || pd_ends_with_fold(text, e, "n\xE2\x80\x99t");
}

/* Whether word occurs in text as a match: whole-word for ASCII edges, and
 * not negated when the lexicon is negatable. Every occurrence is tried, so
 * "不失望……真的失望" still matches the second one. */
static int occurs(const char *text, size_t tlen, const char *word, int negatable)
{
	size_t wlen = strlen(word);
	if (wlen == 0 || wlen > tlen)
		return 0;
	int edge_start = pd_ascii_alnum((unsigned char)word[0]);
	int edge_end = pd_ascii_alnum((unsigned char)word[wlen - 1]);
	for (size_t i = 0; i + wlen <= tlen; i++) {
		if (!pd_eq_fold(text + i, word, wlen))
			continue;
		if (edge_start && i > 0 && pd_ascii_alnum((unsigned char)text[i - 1]))
			continue;
		if (edge_end && i + wlen < tlen && pd_ascii_alnum((unsigned char)text[i + wlen]))
			continue;
		if (negatable && negated(text, i))
			continue;
		return 1;
	}
	return 0;
}

const rt_risk_word *rt_risk_match(int code, const char *text)
{
	size_t n;
	const rt_risk_word *words = rt_risk_lexicon(code, &n);
	if (!words || !text)
		return NULL;
	size_t tlen = strlen(text);
	const rt_risk_word *best = NULL;
	for (size_t i = 0; i < n; i++)
		if ((!best || words[i].weight > best->weight) &&
		    occurs(text, tlen, words[i].word, lexicons[code].negatable))
			best = &words[i];
	return best;
}

/* ---- scoring ----------------------------------------------------------- */

int rt_risk_policy_check(const rt_risk_policy *p, pd_errbuf *eb)
{
	if (!p)
		return pd_fail(eb, PD_EINVAL, "risk policy missing");
	if (p->flag_threshold < 1 || p->flag_threshold > 100)
		return pd_fail(eb, PD_EINVAL, "flag_threshold %d outside 1..100", p->flag_threshold);
	if (p->urgent_threshold < p->flag_threshold || p->urgent_threshold > 101)
		return pd_fail(eb, PD_EINVAL, "urgent_threshold %d outside %d..101", p->urgent_threshold,
			       p->flag_threshold);
	if (p->silence_ms <= 0)
		return pd_fail(eb, PD_EINVAL, "silence_ms must be > 0");
	if (p->chase_window_ms <= 0)
		return pd_fail(eb, PD_EINVAL, "chase_window_ms must be > 0");
	if (p->chase_min_messages < 2)
		return pd_fail(eb, PD_EINVAL, "chase_min_messages must be >= 2");
	if (p->full_weight_ms <= 0 || p->half_weight_ms < p->full_weight_ms)
		return pd_fail(eb, PD_EINVAL, "need 0 < full_weight_ms <= half_weight_ms");
	return PD_OK;
}

static int64_t sat_add(int64_t a, int64_t b)
{
	int64_t r;
	return __builtin_add_overflow(a, b, &r) ? INT64_MAX : r;
}

/* Times before 1970 are nonsense from a confused sender; clamping them to 0
 * keeps every difference below non-negative and overflow-free. */
static int64_t clamp_time(int64_t t)
{
	return t > 0 ? t : 0;
}

/* Weight after decay for evidence of age `age` (negative = from the future,
 * counts fully): old anger matters less once it has had time to cool or be
 * answered, and a ticket reopened weeks later should not inherit it. */
static int decayed(int w, int64_t age, const rt_risk_policy *p)
{
	if (age <= p->full_weight_ms)
		return w;
	if (age <= p->half_weight_ms)
		return (w + 1) / 2;
	return 0;
}

/* snprintf that cuts a too-long result on a UTF-8 character boundary. */
static void evidence(char out[RT_RISK_EVIDENCE_MAX], const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void evidence(char out[RT_RISK_EVIDENCE_MAX], const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(out, RT_RISK_EVIDENCE_MAX, fmt, ap);
	va_end(ap);
	if (n >= RT_RISK_EVIDENCE_MAX) {
		/* vsnprintf kept RT_RISK_EVIDENCE_MAX - 1 bytes. Find where the
		 * last kept character starts; drop it when its bytes did not
		 * all fit. */
		size_t end = RT_RISK_EVIDENCE_MAX - 1, k = end;
		while (k > 0 && ((unsigned char)out[k - 1] & 0xC0) == 0x80)
			k--;
		if (k > 0) {
			unsigned char lead = (unsigned char)out[k - 1];
			size_t len = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
			if (k - 1 + len > end)
				out[k - 1] = '\0';
		}
	}
}

static void add_signal(rt_risk_result *out, int code, int weight, size_t idx)
{
	rt_risk_signal *s = &out->signals[out->n_signals++];
	s->code = code;
	s->weight = weight;
	s->message_index = idx;
	s->evidence[0] = '\0';
}

/* The best-scoring single message for a per-word lexicon (threat, cost,
 * compensation): the strongest word wins, and the later message on a tie
 * (fresher evidence for the agent). */
static void per_word_signal(const rt_risk_message *m, size_t n, int64_t now, int code,
			    const rt_risk_policy *p, rt_risk_result *out)
{
	int best = 0;
	size_t best_i = 0;
	const rt_risk_word *best_w = NULL;
	for (size_t i = 0; i < n; i++) {
		if (m[i].author != RT_AUTHOR_CUSTOMER)
			continue;
		const rt_risk_word *w = rt_risk_match(code, m[i].text);
		if (!w)
			continue;
		int d = decayed(w->weight, now - clamp_time(m[i].at_ms), p);
		if (d > 0 && d >= best) {
			best = d;
			best_i = i;
			best_w = w;
		}
	}
	if (best_w) {
		add_signal(out, code, best, best_i);
		evidence(out->signals[out->n_signals - 1].evidence, "%s", best_w->word);
	}
}

/* Persistent negative wording: the run of consecutive negative customer
 * messages that ends at the latest customer message. Agent replies inside
 * the run do not break it (still angry after being answered is worse, not
 * better); a calm customer message ends it, so the signal leaves once the
 * customer calms down. */
static void negative_signal(const rt_risk_message *m, size_t n, int64_t now,
			    const rt_risk_policy *p, rt_risk_result *out)
{
	size_t streak = 0;
	size_t last = 0;
	const rt_risk_word *word = NULL;
	for (size_t i = 0; i < n; i++) {
		if (m[i].author != RT_AUTHOR_CUSTOMER)
			continue;
		const rt_risk_word *w = rt_risk_match(RT_RISK_NEGATIVE, m[i].text);
		if (w) {
			streak++;
			last = i;
			word = w;
		} else {
			streak = 0;
			word = NULL;
		}
	}
	if (!word)
		return;
	int raw = streak >= NEGATIVE_MAX / NEGATIVE_PER_MESSAGE ? NEGATIVE_MAX
							       : (int)streak * NEGATIVE_PER_MESSAGE;
	int d = decayed(raw, now - clamp_time(m[last].at_ms), p);
	if (d <= 0)
		return;
	add_signal(out, RT_RISK_NEGATIVE, d, last);
	if (streak == 1)
		evidence(out->signals[out->n_signals - 1].evidence, "%s", word->word);
	else
		evidence(out->signals[out->n_signals - 1].evidence, "%s (%zu consecutive messages)",
			 word->word, streak);
}

/* Perfectionist pattern: how many live (not expired) customer messages
 * complain about small flaws; one is a remark, two or more a pattern. */
static void perfectionist_signal(const rt_risk_message *m, size_t n, int64_t now,
				 const rt_risk_policy *p, rt_risk_result *out)
{
	size_t count = 0;
	size_t last = 0;
	const rt_risk_word *word = NULL;
	for (size_t i = 0; i < n; i++) {
		if (m[i].author != RT_AUTHOR_CUSTOMER)
			continue;
		if (decayed(1, now - clamp_time(m[i].at_ms), p) == 0)
			continue;
		const rt_risk_word *w = rt_risk_match(RT_RISK_PERFECTIONIST, m[i].text);
		if (w) {
			count++;
			last = i;
			word = w;
		}
	}
	if (!word)
		return;
	int raw = count >= 2 ? PERFECTIONIST_MANY : PERFECTIONIST_ONE;
	int d = decayed(raw, now - clamp_time(m[last].at_ms), p);
	add_signal(out, RT_RISK_PERFECTIONIST, d, last);
	if (count == 1)
		evidence(out->signals[out->n_signals - 1].evidence, "%s", word->word);
	else
		evidence(out->signals[out->n_signals - 1].evidence, "%s (%zu messages)", word->word,
			 count);
}

/* Repeated chasing: the most customer messages inside any chase window with
 * no agent reply between them ("在吗？" "在吗？？" "人呢"). An agent reply
 * resets the count: chasing after being answered is a new burst.
 * Two pointers over the timeline, O(n); times are made non-decreasing by
 * a running maximum, kept separately for each pointer. */
static void chasing_signal(const rt_risk_message *m, size_t n, int64_t now,
			   const rt_risk_policy *p, rt_risk_result *out)
{
	int64_t rmax = 0, lmax = 0;
	size_t l = 0, cnt = 0, best_cnt = 0, best_i = 0;
	int best = 0;
	for (size_t r = 0; r < n; r++) {
		int64_t t = clamp_time(m[r].at_ms);
		if (t > rmax)
			rmax = t;
		if (m[r].author == RT_AUTHOR_AGENT) {
			for (; l <= r; l++)
				if (clamp_time(m[l].at_ms) > lmax)
					lmax = clamp_time(m[l].at_ms);
			cnt = 0;
			continue;
		}
		if (m[r].author != RT_AUTHOR_CUSTOMER)
			continue;
		cnt++;
		for (;;) {
			while (l < r && m[l].author != RT_AUTHOR_CUSTOMER) {
				if (clamp_time(m[l].at_ms) > lmax)
					lmax = clamp_time(m[l].at_ms);
				l++;
			}
			int64_t tl = clamp_time(m[l].at_ms) > lmax ? clamp_time(m[l].at_ms) : lmax;
			if (rmax - tl <= p->chase_window_ms)
				break;
			lmax = tl;
			l++;
			cnt--;
		}
		if (cnt < (size_t)p->chase_min_messages)
			continue;
		size_t extra = cnt - (size_t)p->chase_min_messages;
		int raw = extra >= (CHASE_MAX - CHASE_BASE) / CHASE_STEP
				  ? CHASE_MAX
				  : CHASE_BASE + CHASE_STEP * (int)extra;
		int d = decayed(raw, now - rmax, p);
		if (d > 0 && d >= best) {
			best = d;
			best_cnt = cnt;
			best_i = r;
		}
	}
	if (best == 0)
		return;
	add_signal(out, RT_RISK_CHASING, best, best_i);
	int64_t win = p->chase_window_ms;
	if (win % 60000 == 0)
		evidence(out->signals[out->n_signals - 1].evidence, "%zu messages in %lld min",
			 best_cnt, (long long)(win / 60000));
	else
		evidence(out->signals[out->n_signals - 1].evidence, "%zu messages in %lld s",
			 best_cnt, (long long)((win + 999) / 1000));
}

/* Silence after an agent's reply: the latest human message is the agent's,
 * the customer had written before it, and the ticket is not resolved. A
 * customer who stops answering an open ticket often answers with a review
 * instead. Returns the instant the signal would start when it has not yet
 * (for next_eval_ms), else INT64_MAX. */
static int64_t silence_signal(const rt_risk_message *m, size_t n, int resolved, int64_t now,
			      const rt_risk_policy *p, rt_risk_result *out)
{
	if (resolved)
		return INT64_MAX;
	size_t a = n;
	for (size_t i = n; i-- > 0;)
		if (m[i].author != RT_AUTHOR_SYSTEM) {
			a = i;
			break;
		}
	if (a == n || m[a].author != RT_AUTHOR_AGENT)
		return INT64_MAX;
	int customer_before = 0;
	int64_t t = 0;
	for (size_t i = 0; i <= a; i++) {
		if (clamp_time(m[i].at_ms) > t)
			t = clamp_time(m[i].at_ms);
		if (m[i].author == RT_AUTHOR_CUSTOMER)
			customer_before = 1;
	}
	if (!customer_before)
		return INT64_MAX; /* a notice nobody asked for: silence is normal */
	int64_t silent = now - t;
	if (silent <= p->silence_ms)
		return sat_add(sat_add(t, p->silence_ms), 1);
	add_signal(out, RT_RISK_SILENCE, SILENCE_WEIGHT, a);
	if (silent >= 3600000)
		evidence(out->signals[out->n_signals - 1].evidence,
			 "no customer reply for %lld h after agent reply", (long long)(silent / 3600000));
	else
		evidence(out->signals[out->n_signals - 1].evidence,
			 "no customer reply for %lld min after agent reply", (long long)(silent / 60000));
	return INT64_MAX;
}

int rt_risk_evaluate(const rt_risk_message *msgs, size_t n, int resolved, int64_t now_ms,
		     const rt_risk_policy *p, rt_risk_result *out, pd_errbuf *eb)
{
	if (!out)
		return pd_fail(eb, PD_EINVAL, "risk result missing");
	if (!msgs && n > 0)
		return pd_fail(eb, PD_EINVAL, "%zu messages but no array", n);
	int rc = rt_risk_policy_check(p, eb);
	if (rc != PD_OK)
		return rc;
	for (size_t i = 0; i < n; i++)
		if (msgs[i].author < RT_AUTHOR_CUSTOMER || msgs[i].author > RT_AUTHOR_SYSTEM)
			return pd_fail(eb, PD_EINVAL, "message %zu: unknown author %d", i, msgs[i].author);

	memset(out, 0, sizeof(*out));
	int64_t now = clamp_time(now_ms);

	/* In code order, so the list reads the same on every ticket. */
	negative_signal(msgs, n, now, p, out);
	per_word_signal(msgs, n, now, RT_RISK_THREAT, p, out);
	per_word_signal(msgs, n, now, RT_RISK_COST_DISPUTE, p, out);
	per_word_signal(msgs, n, now, RT_RISK_COMPENSATION, p, out);
	perfectionist_signal(msgs, n, now, p, out);
	int64_t silence_due = silence_signal(msgs, n, resolved, now, p, out);
	chasing_signal(msgs, n, now, p, out);

	for (size_t i = 0; i < out->n_signals; i++)
		out->uncapped += out->signals[i].weight;
	out->score = out->uncapped > 100 ? 100 : out->uncapped;
	out->flagged = out->score >= p->flag_threshold;

	/* Time alone changes the result when silence starts to count, or when
	 * message evidence crosses a decay step. Decay only lowers weights, so
	 * with no message-derived signal there is nothing to lower. */
	out->next_eval_ms = silence_due;
	int has_message_signal = 0;
	for (size_t i = 0; i < out->n_signals; i++)
		if (out->signals[i].code != RT_RISK_SILENCE)
			has_message_signal = 1;
	if (has_message_signal) {
		for (size_t i = 0; i < n; i++) {
			if (msgs[i].author != RT_AUTHOR_CUSTOMER)
				continue;
			int64_t t = clamp_time(msgs[i].at_ms);
			int64_t steps[2] = { sat_add(sat_add(t, p->full_weight_ms), 1),
					     sat_add(sat_add(t, p->half_weight_ms), 1) };
			for (int k = 0; k < 2; k++)
				if (steps[k] > now && steps[k] < out->next_eval_ms)
					out->next_eval_ms = steps[k];
		}
	}
	return PD_OK;
}

int rt_risk_priority(int base_priority, int score, const rt_risk_policy *p)
{
	rt_risk_policy def = RT_RISK_POLICY_DEFAULT;
	if (!p)
		p = &def;
	int base = base_priority;
	if (base < PEAKDESK__V1__PRIORITY__PRIORITY_LOW || base > PEAKDESK__V1__PRIORITY__PRIORITY_URGENT)
		base = PEAKDESK__V1__PRIORITY__PRIORITY_NORMAL;
	if (score >= p->urgent_threshold)
		return PEAKDESK__V1__PRIORITY__PRIORITY_URGENT;
	if (score >= p->flag_threshold && base < PEAKDESK__V1__PRIORITY__PRIORITY_HIGH)
		return PEAKDESK__V1__PRIORITY__PRIORITY_HIGH;
	return base;
}
