/* Bad-review risk score of a ticket (pure logic, no I/O).
 *
 * A score 0..100 is recomputed from the ticket's recent messages on every
 * message and whenever rt_risk_result.next_eval_ms comes round (some signals
 * depend on the clock, not on a message: silence after an agent's reply, and
 * the fading of old evidence). Every contributing signal is returned with
 * its weight, its evidence and the message it came from, so an agent sees
 * why a ticket was flagged. The rules and the numbers are in risk.c and in
 * docs/router-decisions.md; in short (weights before decay):
 *
 *   negative_wording     10 / 20 / 30 for 1 / 2 / 3+ consecutive negative
 *                        customer messages ending at the latest one
 *   threat               20..35 by word (12315 highest), strongest one counts
 *   cost_dispute         15 (who pays the 运费/邮费)
 *   compensation         15..20 (给个说法 20)
 *   perfectionist        10 for one message, 20 for two or more
 *   silence_after_reply  15 when the customer has not answered an agent's
 *                        reply for more than 12 h and the ticket is not resolved
 *   repeated_chasing     10 for 3 customer messages within 10 min without an
 *                        agent reply, +5 each further message, at most 20
 *
 * Evidence older than 24 h counts half (rounded up), older than 72 h not at
 * all. The score is the sum capped at 100; the ticket is flagged at or above
 * the flag threshold (60) and its priority raised (rt_risk_priority).
 *
 * Only customer messages are scanned for words: an agent who writes
 * "补偿" is offering compensation, not demanding it. System messages
 * (auto-replies, proactive notices) are ignored entirely.
 *
 * All functions are pure and thread-safe; nothing is allocated. */
#ifndef RT_RISK_H
#define RT_RISK_H

#include <stddef.h>
#include <stdint.h>

#include "pd.h"

/* The documented default of the flag threshold, also as a constant the
 * shell can print in --help; rt_risk_policy.flag_threshold is what counts. */
#define RT_RISK_FLAG_THRESHOLD_DEFAULT 60
extern const int rt_risk_flag_threshold; /* == RT_RISK_FLAG_THRESHOLD_DEFAULT */

#define RT_RISK_URGENT_THRESHOLD_DEFAULT 85
#define RT_RISK_SILENCE_DEFAULT_MS (12LL * 60 * 60 * 1000)
#define RT_RISK_CHASE_WINDOW_DEFAULT_MS (10LL * 60 * 1000)
#define RT_RISK_CHASE_MIN_MESSAGES_DEFAULT 3
#define RT_RISK_FULL_WEIGHT_DEFAULT_MS (24LL * 60 * 60 * 1000)
#define RT_RISK_HALF_WEIGHT_DEFAULT_MS (72LL * 60 * 60 * 1000)

typedef struct rt_risk_policy {
	int flag_threshold;      /* score >= this flags the ticket (1..100) */
	int urgent_threshold;    /* score >= this raises priority to URGENT
				  * (flag_threshold..101; 101 never raises to URGENT) */
	int64_t silence_ms;      /* customer silent for MORE than this after an agent reply (> 0) */
	int64_t chase_window_ms; /* "repeated chasing": messages within this span (> 0) */
	int chase_min_messages;  /* ... at least this many of them (>= 2) */
	int64_t full_weight_ms;  /* evidence up to this old counts fully (> 0) */
	int64_t half_weight_ms;  /* up to this old counts half; older is dropped (>= full) */
} rt_risk_policy;

#define RT_RISK_POLICY_DEFAULT                                                          \
	((rt_risk_policy){ RT_RISK_FLAG_THRESHOLD_DEFAULT, RT_RISK_URGENT_THRESHOLD_DEFAULT, \
			   RT_RISK_SILENCE_DEFAULT_MS, RT_RISK_CHASE_WINDOW_DEFAULT_MS,      \
			   RT_RISK_CHASE_MIN_MESSAGES_DEFAULT, RT_RISK_FULL_WEIGHT_DEFAULT_MS, \
			   RT_RISK_HALF_WEIGHT_DEFAULT_MS })

/* Signal codes; the first five are also the lexicon ids of rt_risk_lexicon. */
enum rt_risk_code {
	RT_RISK_NONE = 0,
	RT_RISK_NEGATIVE = 1,      /* persistent negative wording */
	RT_RISK_THREAT = 2,        /* 差评 / 投诉 / 12315 / 曝光 / 退一赔三 ... */
	RT_RISK_COST_DISPUTE = 3,  /* who pays: 运费 / 邮费 ... */
	RT_RISK_COMPENSATION = 4,  /* 补偿 / 赔偿 / 给个说法 ... */
	RT_RISK_PERFECTIONIST = 5, /* 色差 / 瑕疵 / 细节 ... */
	RT_RISK_SILENCE = 6,       /* silence after an agent's reply (clock-driven) */
	RT_RISK_CHASING = 7,       /* repeated chasing within minutes */
};
#define RT_RISK_CODE_COUNT 8 /* RT_RISK_NONE included */
#define RT_RISK_MAX_SIGNALS (RT_RISK_CODE_COUNT - 1)

/* "negative_wording", "threat", "cost_dispute", "compensation",
 * "perfectionist", "silence_after_reply", "repeated_chasing"; "none" for 0,
 * "unknown" outside. Static storage. */
const char *rt_risk_code_name(int code);

enum rt_author {
	RT_AUTHOR_CUSTOMER = 1,
	RT_AUTHOR_AGENT = 2,  /* a human agent's reply (internal notes are not messages) */
	RT_AUTHOR_SYSTEM = 3, /* auto-reply, acknowledgement, proactive notice: ignored */
};

/* One message of the ticket's timeline. */
typedef struct rt_risk_message {
	int author;       /* enum rt_author */
	int64_t at_ms;    /* unix ms */
	const char *text; /* UTF-8, borrowed for the call; NULL = empty */
} rt_risk_message;

/* One lexicon entry. Entries made of ASCII letters/digits match
 * case-insensitively and only as whole words ("sue" not in "issue", "12315"
 * not inside a longer number); other entries (Chinese) match as substrings. */
typedef struct rt_risk_word {
	const char *word;
	int weight; /* points before decay; unused (1) for the negative lexicon,
		     * whose weight comes from the streak length */
} rt_risk_word;

/* The built-in lexicon of code 1..5 (Chinese then English); *n gets its
 * length. NULL (and *n = 0) for other codes. Static storage. */
const rt_risk_word *rt_risk_lexicon(int code, size_t *n);

/* The strongest entry of lexicon `code` found in text (highest weight, then
 * first in table order), or NULL. For negative wording and perfectionist
 * words a negator right before the word cancels it (不失望, 没有瑕疵,
 * 无色差, "not disappointed"): there the negation flips the meaning. */
const rt_risk_word *rt_risk_match(int code, const char *text);

#define RT_RISK_EVIDENCE_MAX 96

typedef struct rt_risk_signal {
	int code;   /* enum rt_risk_code */
	int weight; /* points this signal adds, after decay; always > 0 */
	/* The matched word, possibly with a count ("太差 (3 consecutive
	 * messages)"), "4 messages in 10 min", or "no customer reply for
	 * 13 h after agent reply". NUL-terminated UTF-8, truncated on a
	 * character boundary. */
	char evidence[RT_RISK_EVIDENCE_MAX];
	size_t message_index; /* index into the input array of the message that
			       * shows it (the latest one for counted signals, the
			       * agent's reply for silence) */
} rt_risk_signal;

typedef struct rt_risk_result {
	int score;    /* 0..100 */
	int uncapped; /* sum of the weights before the cap (>= score) */
	int flagged;  /* score >= policy flag_threshold */
	size_t n_signals;
	rt_risk_signal signals[RT_RISK_MAX_SIGNALS]; /* in code order, one per code at most */
	/* When to evaluate again if no message arrives: no later than the first
	 * instant at which time alone changes the result (silence starts to
	 * count, evidence halves or expires). May be earlier than a real change;
	 * re-evaluating then is harmless. INT64_MAX when time cannot change it. */
	int64_t next_eval_ms;
} rt_risk_result;

/* Scores msgs[0..n) (timeline order, oldest first; a timestamp earlier
 * than its predecessor's is taken as equal to it) at now_ms. resolved: the
 * ticket is resolved or closed, so silence is expected, not a risk.
 * msgs may be NULL when n is 0. *out is fully written on PD_OK and owned by
 * the caller. Returns PD_EINVAL (eb says why; eb may be NULL) when out or p
 * is NULL, msgs is NULL with n > 0, an author is not an enum rt_author, or
 * the policy is invalid. */
int rt_risk_evaluate(const rt_risk_message *msgs, size_t n, int resolved, int64_t now_ms,
		     const rt_risk_policy *p, rt_risk_result *out, pd_errbuf *eb);

/* PD_OK when the policy is usable (see the field comments), else PD_EINVAL
 * with the offending field named in eb (may be NULL). */
int rt_risk_policy_check(const rt_risk_policy *p, pd_errbuf *eb);

/* The priority (Peakdesk__V1__Priority) a ticket should have given the
 * priority its classification gave it and its risk score: unchanged below
 * flag_threshold; at least HIGH when flagged; URGENT at or above
 * urgent_threshold. Never lowers. UNSPECIFIED (or out of range) base counts
 * as NORMAL. p NULL means the default policy. */
int rt_risk_priority(int base_priority, int score, const rt_risk_policy *p);

#endif
