/* The survey collector's pure decisions (survey_logic.h): answer checks,
 * negative comments and low scores, quiet hours, and the signed response
 * token. No I/O and no allocation, so Check tests and the fuzz harness
 * drive every branch directly. */
#include "survey_logic.h"

#include <limits.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <string.h>

#include "text_match.h"

#include "codec.h"
#include "topics.h"

/* ---- answers -------------------------------------------------------------- */

/* One score: `required` means the survey's kind asks for it and it must be
 * in [lo, hi]; otherwise it must hold the "not answered" value, so a CSAT
 * response never carries a stray NPS that analysts would average in. */
static int check_score(const char *field, int v, int required, int lo, int hi, int absent, const char *kind,
		       pd_errbuf *eb)
{
	if (required && (v < lo || v > hi))
		return pd_fail(eb, PD_EINVAL, "%s must be %d..%d", field, lo, hi);
	if (!required && v != absent)
		return pd_fail(eb, PD_EINVAL, "%s must be absent (%d) in a %s survey", field, absent, kind);
	return PD_OK;
}

int sv_answer_check(int kind, const pd_survey_scores *s, const char *comment, pd_errbuf *eb)
{
	if (kind != PD_SURVEY_CSAT && kind != PD_SURVEY_DSR && kind != PD_SURVEY_NPS)
		return pd_fail(eb, PD_EINVAL, "kind must be csat, dsr or nps");
	if (!s)
		return pd_fail(eb, PD_EINVAL, "scores missing");
	const char *name = pd_survey_kind_name(kind);
	int dsr = kind == PD_SURVEY_DSR;
	int rc;
	if ((rc = check_score("csat", s->csat, kind == PD_SURVEY_CSAT, 1, 5, 0, name, eb)) ||
	    (rc = check_score("description", s->description, dsr, 1, 5, 0, name, eb)) ||
	    (rc = check_score("attitude", s->attitude, dsr, 1, 5, 0, name, eb)) ||
	    (rc = check_score("logistics", s->logistics, dsr, 1, 5, 0, name, eb)) ||
	    (rc = check_score("nps", s->nps, kind == PD_SURVEY_NPS, 0, 10, -1, name, eb)))
		return rc;
	if (!comment)
		return PD_OK;
	/* strnlen: a runaway comment is refused without reading all of it. */
	size_t len = strnlen(comment, SV_COMMENT_MAX + 1);
	if (len > SV_COMMENT_MAX)
		return pd_fail(eb, PD_EINVAL, "comment longer than %d bytes", SV_COMMENT_MAX);
	if (!pd_utf8_valid(comment, len))
		return pd_fail(eb, PD_EINVAL, "comment is not valid UTF-8");
	return PD_OK;
}

/* ---- negative comments ---------------------------------------------------- */

/* A lexicon word, and the compounds that contain it without being a
 * complaint: a bare 差 catches 很差 / 差评 / 质量差, but 差不多 ("about
 * right") and 差价 (price difference) are not complaints. */
typedef struct neg_word {
	const char *word;
	const char *const *not_in; /* NULL-terminated, or NULL */
} neg_word;

static const char *const cha_ok[] = { "差不多", "差点", "差一点", "差价", "相差", "差距", "偏差", "误差",
				      "时差", "差异", "差别", "出差", "参差", NULL };
static const char *const man_ok[] = { "慢用", "慢走", "慢慢来", NULL };
static const char *const lan_ok[] = { "灿烂", "烂漫", "绚烂", NULL };
static const char *const buhao_ok[] = { "不好意思", "好不好", "不好说", NULL };

static const neg_word neg_words[] = {
	{ "差", cha_ok }, { "慢", man_ok }, { "烂", lan_ok }, { "不好", buhao_ok },
	{ "失望", NULL }, { "不满", NULL }, { "垃圾", NULL }, { "骗", NULL }, { "坏", NULL },
	{ "糟糕", NULL }, { "恶心", NULL }, { "恶劣", NULL }, { "无语", NULL }, { "后悔", NULL },
	{ "敷衍", NULL }, { "坑人", NULL }, { "坑爹", NULL }, { "离谱", NULL }, { "不靠谱", NULL },
	{ "破损", NULL }, { "假货", NULL }, { "忽悠", NULL }, { "气死", NULL }, { "黑店", NULL },
	{ "难用", NULL }, { "难吃", NULL }, { "投诉", NULL },
	{ "bad", NULL }, { "terrible", NULL }, { "awful", NULL }, { "horrible", NULL },
	{ "worst", NULL }, { "poor", NULL }, { "slow", NULL }, { "slowly", NULL }, { "late", NULL },
	{ "disappointed", NULL }, { "disappointing", NULL }, { "disappointment", NULL },
	{ "rude", NULL }, { "useless", NULL }, { "rubbish", NULL }, { "garbage", NULL },
	{ "scam", NULL }, { "fake", NULL }, { "broken", NULL }, { "damaged", NULL },
	{ "unacceptable", NULL }, { "unhappy", NULL }, { "dissatisfied", NULL }, { "angry", NULL },
	{ "never again", NULL }, { "waste", NULL },
};

/* Negators directly before a word (不差, 没有很慢, not bad, isn't slow),
 * and the degree words that may stand between (不太慢, 不是很差, not too
 * slow). 别 is not a negator: 别骗人 ("don't cheat people") is angry. */
static const char *const zh_negators[] = { "不", "没", "没有", "无" };
static const char *const zh_degree[] = { "太", "很", "算", "是", "那么", "怎么", "特别", "非常", "觉得", "会" };
static const char *const en_negators[] = { "not", "never", "no", "n't", "n\xE2\x80\x99t" };
static const char *const en_degree[] = { "too", "that", "so", "very", "really", "particularly", "overly" };
#define MAX_DEGREE_WORDS 2

/* Position before the English word from list that ends text[0..pos) after
 * at least one space, as a whole word ("no" in "piano slow" does not
 * count); 0 with *found = 0 when there is none. Words that begin with an
 * apostrophe form ("n't") only need to end there. */
static size_t before_en_word(const char *text, size_t pos, const char *const *list, size_t n, int *found)
{
	size_t e = pos;
	*found = 0;
	while (e > 0 && text[e - 1] == ' ')
		e--;
	if (e == pos)
		return 0;
	for (size_t k = 0; k < n; k++) {
		size_t len = strlen(list[k]);
		if (!pd_ends_with_fold(text, e, list[k]))
			continue;
		int suffix = list[k][0] == 'n' && !pd_ascii_alnum((unsigned char)list[k][1]);
		if (!suffix && e > len && pd_ascii_alnum((unsigned char)text[e - len - 1]))
			continue;
		*found = 1;
		return e - len;
	}
	return 0;
}

/* Position before the Chinese word from list that ends text[0..pos). */
static size_t before_zh_word(const char *text, size_t pos, const char *const *list, size_t n, int *found)
{
	*found = 0;
	for (size_t k = 0; k < n; k++)
		if (pd_ends_with_fold(text, pos, list[k])) {
			*found = 1;
			return pos - strlen(list[k]);
		}
	return 0;
}

static int negator_before(const char *text, size_t pos)
{
	int found;
	before_zh_word(text, pos, zh_negators, PD_ARRAY_LEN(zh_negators), &found);
	if (!found)
		before_en_word(text, pos, en_negators, PD_ARRAY_LEN(en_negators), &found);
	return found;
}

/* A negator before text[pos], possibly with up to MAX_DEGREE_WORDS degree
 * words between ("不是很差": 很, 是, then 不). */
static int negated(const char *text, size_t pos)
{
	for (int hop = 0; hop <= MAX_DEGREE_WORDS; hop++) {
		if (negator_before(text, pos))
			return 1;
		int found;
		size_t p = before_zh_word(text, pos, zh_degree, PD_ARRAY_LEN(zh_degree), &found);
		if (!found)
			p = before_en_word(text, pos, en_degree, PD_ARRAY_LEN(en_degree), &found);
		if (!found)
			return 0;
		pos = p;
	}
	return 0;
}

/* Whether the match of w at text[i] sits inside one of its harmless
 * compounds. */
static int excused(const char *text, size_t tlen, size_t i, const neg_word *w)
{
	for (const char *const *c = w->not_in; c && *c; c++) {
		size_t k = (size_t)(strstr(*c, w->word) - *c), clen = strlen(*c);
		if (i >= k && i - k + clen <= tlen && memcmp(text + i - k, *c, clen) == 0)
			return 1;
	}
	return 0;
}

/* Whether w occurs in text as a complaint: whole words for ASCII, not in a
 * harmless compound, not negated. Every occurrence is tried, so
 * "不慢……但是态度差" still counts the second word. */
static int occurs(const char *text, size_t tlen, const neg_word *w)
{
	size_t wlen = strlen(w->word);
	int edge_start = pd_ascii_alnum((unsigned char)w->word[0]);
	int edge_end = pd_ascii_alnum((unsigned char)w->word[wlen - 1]);
	for (size_t i = 0; i + wlen <= tlen; i++) {
		if (!pd_eq_fold(text + i, w->word, wlen))
			continue;
		if (edge_start && i > 0 && pd_ascii_alnum((unsigned char)text[i - 1]))
			continue;
		if (edge_end && i + wlen < tlen && pd_ascii_alnum((unsigned char)text[i + wlen]))
			continue;
		if (excused(text, tlen, i, w) || negated(text, i))
			continue;
		return 1;
	}
	return 0;
}

int sv_comment_negative(const char *comment)
{
	if (!comment)
		return 0;
	size_t tlen = strlen(comment);
	for (size_t k = 0; k < PD_ARRAY_LEN(neg_words); k++)
		if (occurs(comment, tlen, &neg_words[k]))
			return 1;
	return 0;
}

/* ---- low scores ----------------------------------------------------------- */

/* A score of 0 (nps -1) is "not answered" and never low: a DSR answer has
 * no csat, and must not be reported as csat 0. */
static int low_1_5(int v)
{
	return v >= 1 && v <= 2;
}

unsigned sv_low_score(const pd_survey_scores *s, int negative_comment)
{
	unsigned bits = 0;
	if (!s)
		return 0;
	if (low_1_5(s->csat))
		bits |= SV_LOW_CSAT;
	if (low_1_5(s->description))
		bits |= SV_LOW_DESCRIPTION;
	if (low_1_5(s->attitude))
		bits |= SV_LOW_ATTITUDE;
	if (low_1_5(s->logistics))
		bits |= SV_LOW_LOGISTICS;
	/* NPS 0..6 are "detractors", but many customers answer 5 or 6 with no
	 * grievance; only the ones who also wrote a complaint go to the router
	 * as a low score, or leads would chase every lukewarm customer. */
	if (s->nps >= 0 && s->nps <= 6 && negative_comment)
		bits |= SV_LOW_NPS;
	return bits;
}

/* NULL outside 0..4: a caller passing the bit value (16) instead of its
 * index should fail loudly, not store "unknown" in low_reasons. */
const char *sv_low_reason_name(int bit_index)
{
	static const char *const names[] = { "csat", "description", "attitude", "logistics", "nps" };
	return bit_index >= 0 && bit_index < (int)PD_ARRAY_LEN(names) ? names[bit_index] : NULL;
}

/* ---- quiet hours ---------------------------------------------------------- */

#define MINUTE_MS 60000LL
#define DAY_MIN (24 * 60)
#define DAY_MS (DAY_MIN * MINUTE_MS)
/* Real time zones span -12:00..+14:00; anything beyond is a typo. */
#define MAX_OFFSET_MIN (14 * 60)

/* Two ASCII digits at s, or -1. */
static int two_digits(const char *s)
{
	if (s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9')
		return -1;
	return (s[0] - '0') * 10 + (s[1] - '0');
}

/* "HH:MM" exactly (00:00..23:59) to minutes of the day, or -1. */
static int parse_hhmm(const char *s)
{
	int h = two_digits(s), m = h < 0 || s[2] != ':' ? -1 : two_digits(s + 3);
	return h >= 0 && h <= 23 && m >= 0 && m <= 59 ? h * 60 + m : -1;
}

/* "none" or "HH:MM-HH:MM" (exactly 11 bytes). */
static int parse_window(const char *s, size_t n, sv_quiet_window *w, pd_errbuf *eb)
{
	if (n == 4 && memcmp(s, "none", 4) == 0) {
		*w = (sv_quiet_window){ 0, 0 };
		return PD_OK;
	}
	int a = n == 11 && s[5] == '-' ? parse_hhmm(s) : -1, b = a < 0 ? -1 : parse_hhmm(s + 6);
	if (a < 0 || b < 0)
		return pd_fail(eb, PD_EINVAL, "quiet hours: \"%.*s\" is not HH:MM-HH:MM (00:00..23:59) or none",
			       n > 40 ? 40 : (int)n, s);
	/* "08:00-08:00" could mean nothing or the whole day; a whole quiet day
	 * would hold invitations for ever, so ask for "none" instead. */
	if (a == b)
		return pd_fail(eb, PD_EINVAL, "quiet hours: \"%.*s\" starts where it ends; write none for no quiet hours",
			       (int)n, s);
	*w = (sv_quiet_window){ a, b };
	return PD_OK;
}

/* Channel index of name (1..3) as pd_channel_name spells it, or 0:
 * pd_channel_parse maps unknown names to webhook, which would let a typo
 * ("wechatt=none") silently change the webhook channel. */
static int channel_index(const char *s, size_t n)
{
	for (int k = 1; k < SV_CHANNELS; k++) {
		const char *name = pd_channel_name(k);
		if (strlen(name) == n && memcmp(name, s, n) == 0)
			return k;
	}
	return 0;
}

static void trim(const char **s, size_t *n)
{
	while (*n > 0 && (**s == ' ' || **s == '\t')) {
		(*s)++;
		(*n)--;
	}
	while (*n > 0 && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t'))
		(*n)--;
}

/* One comma-separated item: a default window (first item only) or
 * channel=window, each channel once. */
static int parse_item(const char *s, size_t n, int first, int seen[SV_CHANNELS], sv_quiet_hours *q,
		      pd_errbuf *eb)
{
	trim(&s, &n);
	if (n == 0)
		return pd_fail(eb, PD_EINVAL, "quiet hours: empty item");
	const char *eq = memchr(s, '=', n);
	if (!eq) {
		if (!first)
			return pd_fail(eb, PD_EINVAL, "quiet hours: the default window \"%.*s\" must come first",
				       n > 40 ? 40 : (int)n, s);
		int rc = parse_window(s, n, &q->w[0], eb);
		for (int k = 1; k < SV_CHANNELS && rc == PD_OK; k++)
			q->w[k] = q->w[0];
		return rc;
	}
	const char *name = s, *win = eq + 1;
	size_t name_n = (size_t)(eq - s), win_n = n - name_n - 1;
	trim(&name, &name_n);
	trim(&win, &win_n);
	int ch = channel_index(name, name_n);
	if (!ch)
		return pd_fail(eb, PD_EINVAL, "quiet hours: unknown channel \"%.*s\" (webhook, wechat or email)",
			       name_n > 40 ? 40 : (int)name_n, name);
	if (seen[ch])
		return pd_fail(eb, PD_EINVAL, "quiet hours: channel %s given twice", pd_channel_name(ch));
	seen[ch] = 1;
	return parse_window(win, win_n, &q->w[ch], eb);
}

/* "Z", or "+HH:MM" / "-HH:MM" within +-14:00. */
static int parse_offset(const char *s, int *out, pd_errbuf *eb)
{
	if (!s || !*s)
		return pd_fail(eb, PD_EINVAL, "utc offset missing (Z, +08:00, -05:30)");
	if (strcmp(s, "Z") == 0) {
		*out = 0;
		return PD_OK;
	}
	int h = -1, m = -1;
	if ((s[0] == '+' || s[0] == '-') && strlen(s) == 6 && s[3] == ':') {
		h = two_digits(s + 1);
		m = two_digits(s + 4);
	}
	if (h < 0 || m < 0 || m > 59 || h * 60 + m > MAX_OFFSET_MIN)
		return pd_fail(eb, PD_EINVAL, "utc offset \"%.12s\" must be Z or +HH:MM / -HH:MM within 14:00", s);
	*out = (s[0] == '-' ? -1 : 1) * (h * 60 + m);
	return PD_OK;
}

int sv_quiet_parse(const char *spec, const char *utc_offset, sv_quiet_hours *out, pd_errbuf *eb)
{
	sv_quiet_hours q;
	int seen[SV_CHANNELS] = { 0 };
	int rc;

	if (!spec || !out)
		return pd_fail(eb, PD_EINVAL, "quiet hours missing");
	memset(&q, 0, sizeof(q));
	if ((rc = parse_offset(utc_offset, &q.utc_offset_min, eb)) != PD_OK)
		return rc;
	/* "" (or only blanks) is no quiet hours at all. */
	const char *p = spec;
	size_t all = strlen(spec);
	trim(&p, &all);
	for (int first = 1; all > 0; first = 0) {
		const char *comma = memchr(p, ',', all);
		size_t n = comma ? (size_t)(comma - p) : all;
		if ((rc = parse_item(p, n, first, seen, &q, eb)) != PD_OK)
			return rc;
		if (!comma)
			break;
		p = comma + 1;
		all -= n + 1;
		if (all == 0)
			return pd_fail(eb, PD_EINVAL, "quiet hours: empty item after the last comma");
	}
	*out = q; /* only on success: a bad reload keeps the old hours */
	return PD_OK;
}

static int64_t sat_add(int64_t a, int64_t b)
{
	int64_t r;
	return __builtin_add_overflow(a, b, &r) ? (b > 0 ? INT64_MAX : INT64_MIN) : r;
}

/* Milliseconds to wait from ms-of-day `at` until window w is over (0 when
 * not inside it). Windows are [start, end); a wrapping one is
 * [start, 24:00) + [00:00, end). */
static int64_t wait_in_window(sv_quiet_window w, int64_t at)
{
	int64_t start = w.start_min * MINUTE_MS, end = w.end_min * MINUTE_MS;
	if (start < end)
		return at >= start && at < end ? end - at : 0;
	if (at >= start)
		return DAY_MS - at + end;
	return at < end ? end - at : 0;
}

int64_t sv_quiet_next_send(const sv_quiet_hours *q, int channel, int64_t now_ms)
{
	if (!q)
		return now_ms;
	sv_quiet_window w = q->w[channel > 0 && channel < SV_CHANNELS ? channel : 0];
	/* A hand-filled struct with values sv_quiet_parse would refuse has no
	 * meaningful window: send rather than guess. */
	if (w.start_min == w.end_min || w.start_min < 0 || w.start_min >= DAY_MIN || w.end_min < 0 ||
	    w.end_min >= DAY_MIN || q->utc_offset_min < -MAX_OFFSET_MIN || q->utc_offset_min > MAX_OFFSET_MIN)
		return now_ms;
	int64_t local;
	if (__builtin_add_overflow(now_ms, q->utc_offset_min * MINUTE_MS, &local))
		return now_ms;
	int64_t at = local % DAY_MS;
	if (at < 0)
		at += DAY_MS; /* before 1970: % truncates toward zero */
	return sat_add(now_ms, wait_in_window(w, at));
}

/* ---- the signed response token -------------------------------------------- */

#define TOKEN_ID 16
#define TOKEN_EXP 8
#define TOKEN_DATA (TOKEN_ID + TOKEN_EXP)
#define TOKEN_MAC 16
#define TOKEN_RAW (TOKEN_DATA + TOKEN_MAC) /* 40 bytes -> 54 characters */
#define TOKEN_B64_PADDED 56                /* what EVP_EncodeBlock writes for 40 bytes */

/* The first TOKEN_MAC bytes of HMAC-SHA256(key, data). */
static int token_mac(const uint8_t *key, size_t keylen, const uint8_t data[TOKEN_DATA], uint8_t mac[TOKEN_MAC])
{
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;
	if (!HMAC(EVP_sha256(), key, (int)keylen, data, TOKEN_DATA, md, &md_len) || md_len < TOKEN_MAC)
		return PD_EINVAL;
	memcpy(mac, md, TOKEN_MAC);
	OPENSSL_cleanse(md, sizeof(md));
	return PD_OK;
}

/* An empty key would let anyone mint tokens; HMAC() takes an int length. */
static int key_ok(const uint8_t *key, size_t keylen)
{
	return key && keylen > 0 && keylen <= INT_MAX;
}

static void token_data(const uint8_t id[TOKEN_ID], int64_t expires_ms, uint8_t data[TOKEN_DATA])
{
	uint64_t e = (uint64_t)expires_ms;
	memcpy(data, id, TOKEN_ID);
	for (int k = 0; k < TOKEN_EXP; k++)
		data[TOKEN_ID + k] = (uint8_t)(e >> (56 - 8 * k));
}

/* Value of a base64url character, or -1. Only the URL alphabet: accepting
 * '+' and '/' too would give every token a second spelling. */
static int b64url_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	return c == '-' ? 62 : c == '_' ? 63 : -1;
}

int sv_token_make(const uint8_t *key, size_t keylen, const uint8_t invitation_id[16], int64_t expires_ms,
		  char out[SV_TOKEN_LEN + 1])
{
	uint8_t raw[TOKEN_RAW];
	unsigned char b64[TOKEN_B64_PADDED + 1];

	if (!key_ok(key, keylen) || !invitation_id || !out)
		return PD_EINVAL;
	token_data(invitation_id, expires_ms, raw);
	if (token_mac(key, keylen, raw, raw + TOKEN_DATA) != PD_OK)
		return PD_EINVAL;
	/* OpenSSL writes standard padded base64; the URL form swaps two
	 * characters and drops the "==". */
	EVP_EncodeBlock(b64, raw, TOKEN_RAW);
	for (int k = 0; k < SV_TOKEN_LEN; k++)
		out[k] = b64[k] == '+' ? '-' : b64[k] == '/' ? '_' : (char)b64[k];
	out[SV_TOKEN_LEN] = '\0';
	return PD_OK;
}

/* 54 base64url characters to the 40 raw bytes; -1 when it is not one.
 * The last character carries 2 bits of data and 4 unused ones, which must
 * be zero: otherwise 16 spellings would decode to the same token and a
 * changed character could still pass the MAC. */
static int token_decode(const char *token, uint8_t raw[TOKEN_RAW])
{
	unsigned char b64[TOKEN_B64_PADDED];
	uint8_t buf[TOKEN_B64_PADDED / 4 * 3];

	if (strnlen(token, SV_TOKEN_LEN + 1) != SV_TOKEN_LEN)
		return -1;
	for (int k = 0; k < SV_TOKEN_LEN; k++) {
		int v = b64url_value((unsigned char)token[k]);
		if (v < 0)
			return -1;
		b64[k] = (unsigned char)(v == 62 ? '+' : v == 63 ? '/' : token[k]);
	}
	if (b64url_value((unsigned char)token[SV_TOKEN_LEN - 1]) & 0x0F)
		return -1;
	b64[SV_TOKEN_LEN] = b64[SV_TOKEN_LEN + 1] = '=';
	/* DecodeBlock counts the two padding characters as zero bytes. */
	if (EVP_DecodeBlock(buf, b64, TOKEN_B64_PADDED) != (int)sizeof(buf))
		return -1;
	memcpy(raw, buf, TOKEN_RAW);
	return 0;
}

int sv_token_check(const uint8_t *key, size_t keylen, const char *token, uint8_t invitation_id[16],
		   int64_t *expires_ms)
{
	uint8_t raw[TOKEN_RAW], mac[TOKEN_MAC];

	if (!token || token_decode(token, raw) != 0)
		return PD_EDECODE;
	if (!key_ok(key, keylen))
		return PD_EINVAL;
	if (token_mac(key, keylen, raw, mac) != PD_OK)
		return PD_EINVAL;
	if (CRYPTO_memcmp(mac, raw + TOKEN_DATA, TOKEN_MAC) != 0)
		return PD_ESIG;
	uint64_t e = 0;
	for (int k = 0; k < TOKEN_EXP; k++)
		e = e << 8 | raw[TOKEN_ID + k];
	if (invitation_id)
		memcpy(invitation_id, raw, TOKEN_ID);
	if (expires_ms)
		*expires_ms = (int64_t)e;
	return PD_OK;
}
