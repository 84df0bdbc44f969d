/* GET /v1/rules?q=KEYWORD[&campaign=ID]: the promo rules an agent (or an
 * auto-reply) looks up by keyword — rules whose keywords contain the word,
 * or whose title or text mention it — from the campaigns live now, or from
 * the named campaign. Read through the writer like every request, so an
 * answer never shows a half-applied campaign. */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "http_job.h"
#include "promo.h"

#define MAX_Q 64

struct rules_job {
	pd_http_job hj;
	char q[MAX_Q + 1];
	char campaign[PD_ERRMSG_MAX];
};

static int rules_apply(pd_txn *tx, pd_http_job *hj)
{
	struct rules_job *j = (struct rules_job *)hj;
	pd_errbuf eb = {{0}};
	int err;
	PGresult *r = pd_txn_query(tx,
			"SELECT r.campaign_id, c.name, r.rule_id, r.title, r.text, r.keywords::text, r.threshold_cents, "
			"r.discount_cents, r.percent_off, r.coupon_code, c.live "
			"FROM promo.rules r JOIN promo.campaigns c USING (campaign_id) "
			"WHERE (CASE WHEN $2 = '' THEN c.live ELSE c.campaign_id = $2 END) "
			"AND ($1 = ANY(r.keywords) OR strpos(lower(r.title), lower($1)) > 0 "
			"     OR strpos(lower(r.text), lower($1)) > 0) "
			"ORDER BY ($1 = ANY(r.keywords)) DESC, c.starts_at, r.rule_id LIMIT 50",
			2, (const char *[]){j->q, j->campaign}, &err, &eb);
	if (!r)
		return err;
	json_object *arr = json_object_new_array();
	for (int i = 0; i < PQntuples(r); i++) {
		json_object *o = json_object_new_object();
		json_object_object_add(o, "campaignId", json_object_new_string(PQgetvalue(r, i, 0)));
		json_object_object_add(o, "campaignName", json_object_new_string(PQgetvalue(r, i, 1)));
		json_object_object_add(o, "ruleId", json_object_new_string(PQgetvalue(r, i, 2)));
		json_object_object_add(o, "title", json_object_new_string(PQgetvalue(r, i, 3)));
		json_object_object_add(o, "text", json_object_new_string(PQgetvalue(r, i, 4)));
		json_object_object_add(o, "thresholdCents", json_object_new_int64(strtoll(PQgetvalue(r, i, 6), NULL, 10)));
		json_object_object_add(o, "discountCents", json_object_new_int64(strtoll(PQgetvalue(r, i, 7), NULL, 10)));
		json_object_object_add(o, "percentOff", json_object_new_int(atoi(PQgetvalue(r, i, 8))));
		json_object_object_add(o, "couponCode", json_object_new_string(PQgetvalue(r, i, 9)));
		json_object_object_add(o, "live", json_object_new_boolean(PQgetvalue(r, i, 10)[0] == 't'));
		json_object_array_add(arr, o);
	}
	PQclear(r);
	json_object *body = json_object_new_object();
	json_object_object_add(body, "q", json_object_new_string(j->q));
	json_object_object_add(body, "rules", arr);
	pd_http_job_reply_json(hj, 200, body);
	return PD_OK;
}

static void release(pd_http_job *hj)
{
	free(hj);
}

static void handle(pd_http_req *req, void *arg)
{
	const char *q = pd_http_query_param(req, "q");
	const char *campaign = pd_http_query_param(req, "campaign");
	if (!q || !*q) {
		pd_http_error(req, 400, "missing_query", "give the keyword to look for as ?q=, e.g. ?q=满减");
		return;
	}
	if (strlen(q) > MAX_Q || !pd_utf8_valid(q, strlen(q))) {
		pd_http_error(req, 400, "bad_query", "q must be UTF-8 text of at most 64 bytes");
		return;
	}
	if (campaign && (strlen(campaign) >= PD_ERRMSG_MAX || !pd_utf8_valid(campaign, strlen(campaign)))) {
		pd_http_error(req, 400, "bad_campaign", "campaign must be a campaign id");
		return;
	}
	struct rules_job *j = pd_xcalloc(1, sizeof(*j));
	snprintf(j->q, sizeof(j->q), "%s", q);
	snprintf(j->campaign, sizeof(j->campaign), "%s", campaign ? campaign : "");
	j->hj.req = req;
	j->hj.apply = rules_apply;
	j->hj.release = release;
	pd_http_job_submit((pd_bus *)arg, &j->hj);
}

int pm_rules_http_route(pd_http *http, pd_bus *bus)
{
	return pd_http_route(http, "GET", "/v1/rules", handle, bus);
}
