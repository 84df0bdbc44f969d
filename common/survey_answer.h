/* A customer's answer to a survey written as a bare channel reply ("5",
 * "５分", "5 4 5", "9"): shared by the router (which decides that a message
 * is a survey answer and not a new question) and the survey collector
 * (which records it), so both read the same text the same way. Pure. */
#ifndef PD_SURVEY_ANSWER_H
#define PD_SURVEY_ANSWER_H

#include <stddef.h>

/* Survey kinds as stored in survey.invitations.kind. */
enum pd_survey_kind { PD_SURVEY_CSAT = 1, PD_SURVEY_DSR = 2, PD_SURVEY_NPS = 3 };

/* Scores of one answer; 0 = not answered for the 1..5 scores, -1 for nps. */
typedef struct pd_survey_scores {
	int csat;        /* 1..5 */
	int description; /* 1..5, shop-score "description matches" */
	int attitude;    /* 1..5, "service attitude" */
	int logistics;   /* 1..5, "logistics service" */
	int nps;         /* 0..10 */
} pd_survey_scores;

/* "csat"/"dsr"/"nps" <-> enum pd_survey_kind; parse gives 0 for unknown. */
const char *pd_survey_kind_name(int kind);
int pd_survey_kind_parse(const char *name);

/* 1 when text (len bytes, not NUL-terminated necessarily) is nothing but an
 * answer of the given kind, filling *out; 0 otherwise (a sentence, a
 * number out of range, the wrong count of numbers). Accepted: ASCII and
 * full-width digits, "10" for NPS, separators (spaces, commas, "/", "、"),
 * a trailing 分 / 星 / "points" / "stars" / punctuation. CSAT: one number
 * 1..5; NPS: one number 0..10; DSR: three numbers 1..5 (description,
 * attitude, logistics), or three digits written together ("545"). At most
 * 64 bytes: anything longer is a message, not an answer. */
int pd_survey_parse_reply(int kind, const char *text, size_t len, pd_survey_scores *out);

#endif
