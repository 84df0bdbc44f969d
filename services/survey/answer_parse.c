/* Answers as they arrive on the link: a JSON body from an app, or the
 * survey page's form post. Both give the same fields (csat, description,
 * attitude, logistics, nps, comment); whether they fit the survey's kind
 * is sv_answer_check's business, not the parser's. */
#include <errno.h>
#include <sys/queue.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "answer_parse.h"
#include "codec.h"

static int *score_slot(pd_survey_scores *s, const char *name)
{
	if (strcmp(name, "csat") == 0) return &s->csat;
	if (strcmp(name, "description") == 0) return &s->description;
	if (strcmp(name, "attitude") == 0) return &s->attitude;
	if (strcmp(name, "logistics") == 0) return &s->logistics;
	if (strcmp(name, "nps") == 0) return &s->nps;
	return NULL;
}

static int set_comment(const char *v, size_t len, char *comment, size_t comment_len, pd_errbuf *eb)
{
	if (len >= comment_len)
		return pd_fail(eb, PD_EINVAL, "comment is longer than %zu bytes", comment_len - 1);
	if (memchr(v, 0, len) || !pd_utf8_valid(v, len))
		return pd_fail(eb, PD_EINVAL, "comment must be UTF-8 text");
	memcpy(comment, v, len);
	comment[len] = 0;
	return PD_OK;
}

static void init(pd_survey_scores *s, char *comment)
{
	*s = (pd_survey_scores){.nps = -1};
	comment[0] = 0;
}

int sv_answer_parse_json(const char *body, size_t len, pd_survey_scores *s, char *comment, size_t comment_len,
			 pd_errbuf *eb)
{
	init(s, comment);
	json_tokener *tok = json_tokener_new_ex(8);
	json_object *o = json_tokener_parse_ex(tok, body, (int)len);
	int complete = json_tokener_get_error(tok) == json_tokener_success && json_tokener_get_parse_end(tok) == len;
	json_tokener_free(tok);
	if (!o || !complete) {
		json_object_put(o);
		return pd_fail(eb, PD_EDECODE, "the body is not one JSON object");
	}
	if (!json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return pd_fail(eb, PD_EDECODE, "the body must be a JSON object");
	}
	int rc = PD_OK;
	json_object_object_foreach(o, key, val)
	{
		if (rc != PD_OK)
			break;
		int *slot = score_slot(s, key);
		if (slot) {
			if (!json_object_is_type(val, json_type_int)) {
				rc = pd_fail(eb, PD_EINVAL, "%s must be a whole number", key);
				break;
			}
			int64_t v = json_object_get_int64(val);
			*slot = v < -1000 || v > 1000 ? 1000 : (int)v; /* out of range either way */
		} else if (strcmp(key, "comment") == 0) {
			if (!json_object_is_type(val, json_type_string))
				rc = pd_fail(eb, PD_EINVAL, "comment must be a string");
			else
				rc = set_comment(json_object_get_string(val), (size_t)json_object_get_string_len(val), comment,
						 comment_len, eb);
		} else {
			rc = pd_fail(eb, PD_EINVAL, "unknown field \"%.40s\" (csat, description, attitude, logistics, nps, comment)",
				     key);
		}
	}
	json_object_put(o);
	return rc;
}

int sv_answer_parse_form(const char *body, pd_survey_scores *s, char *comment, size_t comment_len, pd_errbuf *eb)
{
	init(s, comment);
	struct evkeyvalq kv;
	TAILQ_INIT(&kv);
	if (evhttp_parse_query_str(body, &kv) != 0) {
		evhttp_clear_headers(&kv);
		return pd_fail(eb, PD_EDECODE, "the form is not application/x-www-form-urlencoded");
	}
	int rc = PD_OK;
	struct evkeyval *e;
	TAILQ_FOREACH(e, &kv, next)
	{
		int *slot = score_slot(s, e->key);
		if (slot) {
			char *end;
			errno = 0;
			long v = strtol(e->value, &end, 10);
			if (!*e->value || *end || errno) {
				rc = pd_fail(eb, PD_EINVAL, "%s must be a whole number", e->key);
				break;
			}
			*slot = v < -1000 || v > 1000 ? 1000 : (int)v;
		} else if (strcmp(e->key, "comment") == 0) {
			if ((rc = set_comment(e->value, strlen(e->value), comment, comment_len, eb)) != PD_OK)
				break;
		} else {
			rc = pd_fail(eb, PD_EINVAL, "unknown field \"%.40s\"", e->key);
			break;
		}
	}
	evhttp_clear_headers(&kv);
	return rc;
}
