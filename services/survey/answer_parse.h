/* Answers from the link's request bodies (answer_parse.c; pure). */
#ifndef SV_ANSWER_PARSE_H
#define SV_ANSWER_PARSE_H

#include <stddef.h>

#include "pd.h"
#include "survey_answer.h"

/* {"csat":5,"comment":"..."} (any of csat, description, attitude,
 * logistics, nps as whole numbers, comment as a string). Scores not given
 * stay 0 (nps -1). PD_EDECODE when the body is not a JSON object, PD_EINVAL
 * for a wrong field (eb names it), else PD_OK. */
int sv_answer_parse_json(const char *body, size_t len, pd_survey_scores *s, char *comment, size_t comment_len,
			 pd_errbuf *eb);
/* The same fields from the survey page's form post (NUL-terminated body). */
int sv_answer_parse_form(const char *body, pd_survey_scores *s, char *comment, size_t comment_len, pd_errbuf *eb);

#endif
