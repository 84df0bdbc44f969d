/* Reading a survey answer out of a bare channel reply (survey_answer.h).
 * The parser is deliberately strict: the router treats an accepted reply as
 * an answer and does NOT open a ticket for it, so "5 stars but the parcel is
 * late" must stay a message (0) or the complaint in it would be lost. */
#include "survey_answer.h"

#include <string.h>

/* Longer than this is a message, not an answer (header contract). */
#define REPLY_MAX_BYTES 64
/* No answer has more numbers than DSR's three. */
#define MAX_NUMBERS 3
/* "10" is the longest single number; "545" the longest digit run. */
#define MAX_RUN_DIGITS 3

const char *pd_survey_kind_name(int kind)
{
	switch (kind) {
	case PD_SURVEY_CSAT: return "csat";
	case PD_SURVEY_DSR: return "dsr";
	case PD_SURVEY_NPS: return "nps";
	default: return "";
	}
}

int pd_survey_kind_parse(const char *name)
{
	if (!name)
		return 0;
	for (int k = PD_SURVEY_CSAT; k <= PD_SURVEY_NPS; k++)
		if (strcmp(name, pd_survey_kind_name(k)) == 0)
			return k;
	return 0;
}

/* ---- a tiny scanner over the reply ------------------------------------- */

typedef struct scan {
	const unsigned char *p;
	size_t n, i;
} scan;

/* A digit run as written: its value and how many digits it had, so "05"
 * (two digits) can be told from "5", and "545" split for DSR. */
typedef struct run {
	int value, ndigits;
	int digits[MAX_RUN_DIGITS];
} run;

/* Whether the input at the cursor starts with s (exact bytes); advances
 * past it when it does. */
static int eat(scan *s, const char *lit)
{
	size_t k = strlen(lit);
	if (s->n - s->i < k || memcmp(s->p + s->i, lit, k) != 0)
		return 0;
	s->i += k;
	return 1;
}

/* ASCII case-insensitive eat, for "Stars" / "POINTS". */
static int eat_word(scan *s, const char *lit)
{
	size_t k = strlen(lit);
	if (s->n - s->i < k)
		return 0;
	for (size_t j = 0; j < k; j++) {
		unsigned char c = s->p[s->i + j];
		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c - 'A' + 'a');
		if (c != (unsigned char)lit[j])
			return 0;
	}
	/* "5 starsxyz" is not a unit followed by nothing. */
	size_t e = s->i + k;
	if (e < s->n && ((s->p[e] | 0x20) >= 'a' && (s->p[e] | 0x20) <= 'z'))
		return 0;
	s->i = e;
	return 1;
}

/* One digit, ASCII or full-width (U+FF10..U+FF19 = EF BC 90..99): its
 * value, or -1 (cursor unchanged). */
static int eat_digit(scan *s)
{
	const unsigned char *c = s->p + s->i;
	size_t left = s->n - s->i;
	if (left >= 1 && c[0] >= '0' && c[0] <= '9') {
		s->i += 1;
		return c[0] - '0';
	}
	if (left >= 3 && c[0] == 0xEF && c[1] == 0xBC && c[2] >= 0x90 && c[2] <= 0x99) {
		s->i += 3;
		return c[2] - 0x90;
	}
	return -1;
}

static int at_digit(const scan *s)
{
	scan peek = *s;
	return eat_digit(&peek) >= 0;
}

static int eat_space(scan *s)
{
	unsigned char c = s->i < s->n ? s->p[s->i] : 0;
	if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
		s->i++;
		return 1;
	}
	return eat(s, "\xE3\x80\x80"); /* U+3000 ideographic space */
}

static void skip_spaces(scan *s)
{
	while (eat_space(s))
		;
}

/* Between numbers: spaces, commas, slashes (ASCII and full-width) and the
 * enumeration comma 、 (U+3001). */
static int eat_separator(scan *s)
{
	if (eat_space(s) || eat(s, ",") || eat(s, "/"))
		return 1;
	return eat(s, "\xEF\xBC\x8C") /* ， */ || eat(s, "\xEF\xBC\x8F") /* ／ */ ||
	       eat(s, "\xE3\x80\x81") /* 、 */;
}

/* A unit after a number: 分, (颗)星, point(s), pt(s), star(s). Longer
 * spellings first so "points" is not read as "point" + "s". */
static int eat_unit(scan *s)
{
	static const char *const words[] = { "points", "point", "pts", "pt", "stars", "star" };
	if (eat(s, "\xE5\x88\x86") /* 分 */ || eat(s, "\xE6\x98\x9F") /* 星 */ ||
	    eat(s, "\xE9\xA2\x97\xE6\x98\x9F") /* 颗星 */)
		return 1;
	for (size_t k = 0; k < sizeof(words) / sizeof(words[0]); k++)
		if (eat_word(s, words[k]))
			return 1;
	return 0;
}

/* Closing punctuation: . ! ~ and their full-width forms 。！～. A question
 * mark is not here on purpose: "5?" asks something. */
static int eat_closing(scan *s)
{
	if (eat(s, ".") || eat(s, "!") || eat(s, "~"))
		return 1;
	return eat(s, "\xE3\x80\x82") || eat(s, "\xEF\xBC\x81") || eat(s, "\xEF\xBD\x9E");
}

/* A maximal run of digits; 0 when there is none or it is too long to be
 * any answer. */
static int eat_run(scan *s, run *r)
{
	int d;
	r->value = 0;
	r->ndigits = 0;
	while ((d = eat_digit(s)) >= 0) {
		if (r->ndigits == MAX_RUN_DIGITS)
			return 0;
		r->digits[r->ndigits++] = d;
		r->value = r->value * 10 + d;
	}
	return r->ndigits > 0;
}

/* The reply's shape, independent of the kind: number [unit] (sep+ number
 * [unit])* closing* with spaces around. A unit may also stand between two
 * numbers without a separator ("5分4分5分"). Returns the count of runs,
 * or 0 when the text is anything else. */
static int scan_runs(scan *s, run runs[MAX_NUMBERS])
{
	int count = 0;

	skip_spaces(s);
	for (;;) {
		if (count == MAX_NUMBERS || !eat_run(s, &runs[count]))
			return 0;
		count++;
		/* "5 stars": spaces before a unit belong to it; without a unit
		 * they are the separator and are read again below. */
		size_t before = s->i;
		skip_spaces(s);
		if (!eat_unit(s))
			s->i = before;
		/* Separators only between numbers: "5," or "5/" may be the start
		 * of something longer, so a trailing one is not an answer. */
		size_t after = s->i;
		while (eat_separator(s))
			;
		if (!at_digit(s)) {
			s->i = after;
			break;
		}
	}
	while (eat_closing(s) || eat_space(s))
		;
	return s->i == s->n ? count : 0;
}

static int in_1_5(int v)
{
	return v >= 1 && v <= 5;
}

/* One single-digit number 1..5 (a leading zero, as in "05", is no score). */
static int take_csat(const run *r, int n, pd_survey_scores *out)
{
	if (n != 1 || r[0].ndigits != 1 || !in_1_5(r[0].value))
		return 0;
	out->csat = r[0].value;
	return 1;
}

/* One number 0..10 written without a leading zero ("10" yes, "07" no). */
static int take_nps(const run *r, int n, pd_survey_scores *out)
{
	if (n != 1 || r[0].value > 10 || r[0].ndigits != (r[0].value == 10 ? 2 : 1))
		return 0;
	out->nps = r[0].value;
	return 1;
}

/* Three single digits 1..5 apart ("5 4 5") or together ("545"). */
static int take_dsr(const run *r, int n, pd_survey_scores *out)
{
	int d[3];
	if (n == 1 && r[0].ndigits == 3) {
		memcpy(d, r[0].digits, sizeof(d));
	} else if (n == 3 && r[0].ndigits == 1 && r[1].ndigits == 1 && r[2].ndigits == 1) {
		for (int k = 0; k < 3; k++)
			d[k] = r[k].value;
	} else {
		return 0;
	}
	if (!in_1_5(d[0]) || !in_1_5(d[1]) || !in_1_5(d[2]))
		return 0;
	out->description = d[0];
	out->attitude = d[1];
	out->logistics = d[2];
	return 1;
}

int pd_survey_parse_reply(int kind, const char *text, size_t len, pd_survey_scores *out)
{
	pd_survey_scores got = { 0, 0, 0, 0, -1 };
	run runs[MAX_NUMBERS];
	int ok = 0;

	if (out)
		*out = got;
	if (!text || len == 0 || len > REPLY_MAX_BYTES)
		return 0;
	scan s = { (const unsigned char *)text, len, 0 };
	int n = scan_runs(&s, runs);
	if (n == 0)
		return 0;
	switch (kind) {
	case PD_SURVEY_CSAT: ok = take_csat(runs, n, &got); break;
	case PD_SURVEY_DSR: ok = take_dsr(runs, n, &got); break;
	case PD_SURVEY_NPS: ok = take_nps(runs, n, &got); break;
	default: return 0;
	}
	if (ok && out)
		*out = got;
	return ok;
}
