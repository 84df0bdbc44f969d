/* libFuzzer harness for the survey answer parser (common/survey_answer.c)
 * and the survey collector's pure logic (services/survey/survey_logic.c).
 *
 * The whole input goes, as bytes, to pd_survey_parse_reply for each kind;
 * as a NUL-terminated string (cut at its first NUL) to sv_comment_negative,
 * sv_answer_check's comment and sv_token_check; and split at its first
 * newline into a quiet-hours spec and a UTC offset (the offset is "+08:00"
 * when there is no newline) for sv_quiet_parse. Invariants:
 *   - an accepted reply is at most 64 bytes, fills only its kind's scores
 *     and passes sv_answer_check (parser and check agree);
 *   - a refused reply leaves *out as "not answered";
 *   - sv_answer_check accepts the comment exactly when it is at most
 *     SV_COMMENT_MAX bytes of valid UTF-8;
 *   - sv_token_check returns only PD_OK / PD_ESIG / PD_EDECODE, and a token
 *     it accepts is exactly what sv_token_make writes for its id and expiry
 *     (one spelling per token);
 *   - for quiet hours that parse, sv_quiet_next_send never goes back in
 *     time, waits less than a day, and lands on a moment that is not quiet.
 *
 *   - the link's JSON and form bodies parse or are refused with a reason.
 *
 * A failed invariant prints what failed and executes __builtin_trap(), so
 * libFuzzer keeps the input. Seeds: tests/fuzz/corpus/survey/. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../services/survey/answer_parse.h"
#include "../../services/survey/survey_logic.h"
#include "codec.h"
#include "survey_answer.h"

#define DAY_MS (24LL * 3600 * 1000)

#define CHECK(cond, ...)                                           \
	do {                                                       \
		if (!(cond)) {                                     \
			fprintf(stderr, "survey_fuzz: " __VA_ARGS__); \
			fputc('\n', stderr);                       \
			__builtin_trap();                          \
		}                                                  \
	} while (0)

static const uint8_t key[] = "survey-fuzz-key-0123456789abcdef";
#define KEYLEN (sizeof(key) - 1)

static void reply_part(const uint8_t *data, size_t size)
{
	for (int kind = 0; kind <= 4; kind++) {
		pd_survey_scores s;
		int ok = pd_survey_parse_reply(kind, (const char *)data, size, &s);
		if (!ok) {
			CHECK(s.csat == 0 && s.description == 0 && s.attitude == 0 && s.logistics == 0 && s.nps == -1,
			      "kind %d: refused reply left scores behind", kind);
			continue;
		}
		CHECK(kind >= PD_SURVEY_CSAT && kind <= PD_SURVEY_NPS, "kind %d accepted a reply", kind);
		CHECK(size <= 64, "kind %d accepted %zu bytes", kind, size);
		pd_errbuf eb = { .code = PD_OK };
		CHECK(sv_answer_check(kind, &s, NULL, &eb) == PD_OK, "kind %d: parsed answer fails the check: %s", kind,
		      eb.msg);
	}
}

static void comment_part(const char *text, size_t len)
{
	(void)sv_comment_negative(text);
	pd_survey_scores s = { 3, 0, 0, 0, -1 };
	int want = len <= SV_COMMENT_MAX && pd_utf8_valid(text, len) ? PD_OK : PD_EINVAL;
	int rc = sv_answer_check(PD_SURVEY_CSAT, &s, text, NULL);
	CHECK(rc == want, "comment of %zu bytes: check %d, expected %d", len, rc, want);
	unsigned low = sv_low_score(&s, 1);
	CHECK(low == 0, "csat 3 reported low (%u)", low);
}

static void token_part(const char *text)
{
	uint8_t id[16];
	int64_t exp;
	int rc = sv_token_check(key, KEYLEN, text, id, &exp);
	CHECK(rc == PD_OK || rc == PD_ESIG || rc == PD_EDECODE, "token check returned %d", rc);
	if (rc != PD_OK)
		return;
	char again[SV_TOKEN_LEN + 1];
	CHECK(sv_token_make(key, KEYLEN, id, exp, again) == PD_OK, "token make failed");
	CHECK(strcmp(again, text) == 0, "accepted token \"%s\" is not the canonical \"%s\"", text, again);
}

static void quiet_part(const char *text)
{
	char spec[256], offset[32] = "+08:00";
	const char *nl = strchr(text, '\n');
	size_t spec_n = nl ? (size_t)(nl - text) : strlen(text);
	if (spec_n >= sizeof(spec))
		spec_n = sizeof(spec) - 1;
	memcpy(spec, text, spec_n);
	spec[spec_n] = '\0';
	if (nl)
		snprintf(offset, sizeof(offset), "%s", nl + 1);

	sv_quiet_hours q;
	pd_errbuf eb = { .code = PD_OK };
	if (sv_quiet_parse(spec, offset, &q, &eb) != PD_OK) {
		CHECK(eb.code == PD_EINVAL && eb.msg[0], "quiet hours refused without a reason");
		return;
	}
	/* Probe around the windows' edges on a few days, including before 1970. */
	static const int64_t days[] = { 0, -DAY_MS * 3, 1764028800000LL };
	for (int ch = 0; ch < SV_CHANNELS; ch++) {
		const sv_quiet_window *w = &q.w[ch];
		CHECK(w->start_min >= 0 && w->start_min < 1440 && w->end_min >= 0 && w->end_min < 1440,
		      "channel %d window %d-%d out of range", ch, w->start_min, w->end_min);
		for (size_t d = 0; d < sizeof(days) / sizeof(days[0]); d++)
			for (int m = -1; m <= 1; m++) {
				int64_t probes[] = { days[d] + (w->start_min - q.utc_offset_min) * 60000LL + m,
						     days[d] + (w->end_min - q.utc_offset_min) * 60000LL + m };
				for (int p = 0; p < 2; p++) {
					int64_t now = probes[p], next = sv_quiet_next_send(&q, ch, now);
					CHECK(next >= now && next - now <= DAY_MS, "channel %d: %lld -> %lld", ch,
					      (long long)now, (long long)next);
					CHECK(sv_quiet_next_send(&q, ch, next) == next,
					      "channel %d: %lld is still quiet", ch, (long long)next);
				}
			}
	}
}

/* The link's request bodies (answer_parse.c): any bytes give PD_OK,
 * PD_EDECODE or PD_EINVAL with a reason, and a parsed comment is valid
 * UTF-8 within its buffer. */
static void body_part(const uint8_t *data, size_t size, const char *text)
{
	pd_survey_scores s;
	char comment[SV_COMMENT_MAX + 1];
	for (int form = 0; form <= 1; form++) {
		pd_errbuf eb = { .code = PD_OK };
		int rc = form ? sv_answer_parse_form(text, &s, comment, sizeof(comment), &eb)
			      : sv_answer_parse_json((const char *)data, size, &s, comment, sizeof(comment), &eb);
		CHECK(rc == PD_OK || ((rc == PD_EDECODE || rc == PD_EINVAL) && eb.msg[0]),
		      "body parse (form %d) returned %d without a reason", form, rc);
		if (rc == PD_OK)
			CHECK(pd_utf8_valid(comment, strlen(comment)), "parsed comment is not UTF-8");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	reply_part(data, size);

	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	size_t len = strlen(text);
	comment_part(text, len);
	token_part(text);
	quiet_part(text);
	body_part(data, size, text);
	free(text);
	return 0;
}
