/* The survey collector's pure decisions (survey_logic.c, no I/O): what an
 * answer must hold, when it is a low score, when an invitation may go out
 * (quiet hours per channel), and the signed response token. */
#ifndef SV_SURVEY_LOGIC_H
#define SV_SURVEY_LOGIC_H

#include <stddef.h>
#include <stdint.h>

#include "pd.h"
#include "survey_answer.h"

/* ---- answers -------------------------------------------------------------- */

/* Checks an answer for a survey of `kind`: the kind's own scores present
 * and in range (CSAT: csat 1..5; DSR: all three dimensions 1..5; NPS: nps
 * 0..10), the other kinds' scores absent (0, nps -1), the comment at most
 * SV_COMMENT_MAX bytes of valid UTF-8 without NUL. PD_OK or PD_EINVAL with
 * a reason naming the field ("csat must be 1..5"). */
#define SV_COMMENT_MAX 2000
int sv_answer_check(int kind, const pd_survey_scores *s, const char *comment, pd_errbuf *eb);

/* 1 when the comment reads negative: a word from a fixed lexicon of
 * complaint wording (Chinese and English: 差, 慢, 失望, 不满意, 垃圾, 骗,
 * terrible, slow, disappointed, ...), unless negated right before (不差,
 * 不慢, not bad). Case-insensitive for ASCII. */
int sv_comment_negative(const char *comment);

/* Low-score reasons as bits, and their names in the order of the bits. */
enum {
	SV_LOW_CSAT = 1,        /* csat <= 2 */
	SV_LOW_DESCRIPTION = 2, /* a dimension <= 2 */
	SV_LOW_ATTITUDE = 4,
	SV_LOW_LOGISTICS = 8,
	SV_LOW_NPS = 16,        /* nps <= 6 with a negative comment */
};
/* Reasons the answer is a low score (0: not low). */
unsigned sv_low_score(const pd_survey_scores *s, int negative_comment);
/* "csat", "description", "attitude", "logistics", "nps" for bit i (0..4). */
const char *sv_low_reason_name(int bit_index);

/* ---- quiet hours ---------------------------------------------------------- */

/* Minutes of the local day [start, end) when no invitation goes out; a
 * window may wrap midnight (22:00-08:00); start == end means none. */
typedef struct sv_quiet_window {
	int start_min, end_min;
} sv_quiet_window;

#define SV_CHANNELS 4 /* indexed by ChannelKind: 1 webhook, 2 wechat, 3 email; 0 = default */
typedef struct sv_quiet_hours {
	sv_quiet_window w[SV_CHANNELS];
	int utc_offset_min; /* customers' local time = UTC + this */
} sv_quiet_hours;

/* Parses "22:00-08:00" (every channel) or "22:00-08:00,email=none,
 * wechat=23:00-07:30" (a default then per-channel overrides; channel
 * names as pd_channel_name gives them) and an offset "+08:00" / "-05:30" /
 * "Z". PD_OK or PD_EINVAL with a reason. */
int sv_quiet_parse(const char *spec, const char *utc_offset, sv_quiet_hours *out, pd_errbuf *eb);

/* The earliest time >= now_ms (unix ms) outside the channel's quiet
 * window: now_ms itself when not quiet, else the window's end that day
 * (or the next day's, for a window wrapping midnight). */
int64_t sv_quiet_next_send(const sv_quiet_hours *q, int channel, int64_t now_ms);

/* ---- the signed response token -------------------------------------------- */

/* base64url (no padding) of invitation id (16 bytes) || expiry (unix ms,
 * 8 bytes big-endian) || the first 16 bytes of HMAC-SHA256(key, those 24
 * bytes): 54 characters, safe in a URL path. */
#define SV_TOKEN_LEN 54
int sv_token_make(const uint8_t *key, size_t keylen, const uint8_t invitation_id[16], int64_t expires_ms,
		  char out[SV_TOKEN_LEN + 1]);
/* Checks a token: PD_EDECODE when it is not a token at all (length,
 * alphabet), PD_ESIG when the MAC does not match (compared in constant
 * time), PD_OK with the id and expiry filled. Expiry is the caller's to
 * compare (410 Gone is not a bad signature). */
int sv_token_check(const uint8_t *key, size_t keylen, const char *token, uint8_t invitation_id[16],
		   int64_t *expires_ms);

#endif
