/* The promo timer: campaigns going live or ending are announced, and due
 * forecasts are recomputed. Both are state in promo.campaigns (live,
 * forecast_due) committed with the events, so a killed service picks up
 * where it stopped. */
#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "ids.h"
#include "log.h"
#include "promo.h"

#define MS(c) "(extract(epoch FROM " c ") * 1000)::bigint"
#define HISTORY "interval '30 days'"


/* ---- live flips ---------------------------------------------------------------- */

static int announce_live_flips(pd_txn *tx, pd_errbuf *eb)
{
	int err;
	PGresult *r = pd_txn_query(tx,
			"UPDATE promo.campaigns c SET live = NOT c.live, updated_at = now() "
			"WHERE c.live <> EXISTS (SELECT 1 FROM promo.windows w WHERE w.campaign_id = c.campaign_id "
			"  AND now() >= w.starts_at AND now() < w.ends_at) "
			"RETURNING c.campaign_id, c.body, c.live",
			0, NULL, &err, eb);
	if (!r)
		return err;
	int rc = PD_OK;
	for (int i = 0; i < PQntuples(r) && rc == PD_OK; i++) {
		size_t len = 0;
		unsigned char *raw = PQunescapeBytea((const unsigned char *)PQgetvalue(r, i, 1), &len);
		Peakdesk__V1__Campaign *c = raw ? peakdesk__v1__campaign__unpack(NULL, len, raw) : NULL;
		PQfreemem(raw);
		if (!c) {
			pd_log_error("stored campaign does not decode", "campaign_id=%s", PQgetvalue(r, i, 0));
			continue;
		}
		int live = PQgetvalue(r, i, 2)[0] == 't';
		char *changed[] = {"live"};
		rc = pm_emit_campaign(tx, c, changed, 1, live, NULL, eb);
		pd_log_info(live ? "campaign live" : "campaign ended", "campaign_id=%s", c->campaign_id);
		peakdesk__v1__campaign__free_unpacked(c, NULL);
	}
	PQclear(r);
	return rc;
}

/* ---- forecast ------------------------------------------------------------------ */

/* Consultations per order over the last 30 days, when there is enough
 * history; else the configured rate. */
static int learn_rate(pd_txn *tx, const pm_context *ctx, pm_forecast_params *p, const char **source, pd_errbuf *eb)
{
	int err;
	PGresult *r = pd_txn_query(tx,
			"SELECT (SELECT count(*) FROM router.tickets WHERE created_at > now() - " HISTORY "), "
			"(SELECT count(*) FROM logistics.orders WHERE ordered_at > now() - " HISTORY ")",
			0, NULL, &err, eb);
	if (!r)
		return err;
	double tickets = atof(PQgetvalue(r, 0, 0)), orders = atof(PQgetvalue(r, 0, 1));
	PQclear(r);
	*source = "configured";
	if (orders >= (double)ctx->min_history_orders && tickets > 0 && tickets / orders <= 50) {
		p->consultation_rate = tickets / orders;
		*source = "history";
	}
	return PD_OK;
}

/* Each group's share of the tickets over the last 30 days, when there are
 * enough of them in the configured groups; else the configured shares. */
static int learn_shares(pd_txn *tx, const pm_context *ctx, pm_forecast_params *p, const char **source, pd_errbuf *eb)
{
	pd_strbuf names = {0};
	pd_sb_add(&names, "{", 1);
	for (size_t g = 0; g < p->n_groups; g++)
		pd_sb_array_elem(&names, p->groups[g].name);
	pd_sb_add(&names, "}", 1);
	int err;
	PGresult *r = pd_txn_query(tx,
			"SELECT group_name, count(*) FROM router.tickets WHERE created_at > now() - " HISTORY " "
			"AND group_name = ANY($1::text[]) GROUP BY group_name",
			1, (const char *[]){names.s}, &err, eb);
	pd_sb_free(&names);
	if (!r)
		return err;
	double count[PM_FORECAST_MAX_GROUPS] = {0}, total = 0;
	for (int i = 0; i < PQntuples(r); i++)
		for (size_t g = 0; g < p->n_groups; g++)
			if (!strcmp(p->groups[g].name, PQgetvalue(r, i, 0))) {
				count[g] = atof(PQgetvalue(r, i, 1));
				total += count[g];
			}
	PQclear(r);
	*source = "configured";
	if (p->n_groups && total >= (double)ctx->min_history_orders / 10) {
		double sum = 0;
		for (size_t g = 0; g + 1 < p->n_groups; g++)
			sum += p->groups[g].share = count[g] / total;
		p->groups[p->n_groups - 1].share = 1.0 - sum; /* the shares sum to 1 exactly */
		*source = "history";
	}
	return PD_OK;
}

static void add_num(pd_strbuf *b, double v)
{
	char t[40];
	snprintf(t, sizeof(t), "%.17g", v);
	pd_sb_array_elem(b, t);
}

static int store_forecast(pd_txn *tx, const char *campaign, const pm_forecast_params *p, const char *rate_src,
			  const char *shares_src, const pm_forecast_row *rows, size_t n, pd_errbuf *eb)
{
	json_object *shares = json_object_new_object();
	for (size_t g = 0; g < p->n_groups; g++)
	{
		char v[32]; /* 0.3, not 0.29999999999999999 */
		snprintf(v, sizeof(v), "%.4g", p->groups[g].share);
		json_object_object_add(shares, p->groups[g].name, json_object_new_double_s(p->groups[g].share, v));
	}
	char rate[40], aht[16], conc[16], tgt[16], goal[40];
	snprintf(rate, sizeof(rate), "%.17g", p->consultation_rate);
	snprintf(aht, sizeof(aht), "%d", (int)p->avg_handle_seconds);
	snprintf(conc, sizeof(conc), "%d", p->chat_concurrency);
	snprintf(tgt, sizeof(tgt), "%d", (int)p->target_answer_seconds);
	snprintf(goal, sizeof(goal), "%.17g", p->service_level_goal);
	int rc = pd_txn_exec(tx,
			     "INSERT INTO promo.forecasts (campaign_id, consultation_rate, rate_source, avg_handle_seconds, "
			     "chat_concurrency, target_answer_seconds, service_level_goal, group_shares, shares_source) "
			     "VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9) ON CONFLICT (campaign_id) DO UPDATE SET "
			     "computed_at = now(), consultation_rate = excluded.consultation_rate, "
			     "rate_source = excluded.rate_source, avg_handle_seconds = excluded.avg_handle_seconds, "
			     "chat_concurrency = excluded.chat_concurrency, "
			     "target_answer_seconds = excluded.target_answer_seconds, "
			     "service_level_goal = excluded.service_level_goal, group_shares = excluded.group_shares, "
			     "shares_source = excluded.shares_source",
			     9, (const char *[]){campaign, rate, rate_src, aht, conc, tgt, goal,
						 json_object_to_json_string_ext(shares, JSON_C_TO_STRING_PLAIN), shares_src},
			     eb);
	json_object_put(shares);
	if (rc == PD_OK)
		rc = pd_txn_exec(tx, "DELETE FROM promo.forecast_hours WHERE campaign_id = $1", 1, &campaign, eb);
	if (rc != PD_OK || n == 0)
		return rc;
	pd_strbuf hr = {0}, grp = {0}, ord = {0}, con = {0}, ag = {0}, sl = {0};
	pd_strbuf *cols[] = {&hr, &grp, &ord, &con, &ag, &sl};
	pd_sb_arrays_open(cols, PD_ARRAY_LEN(cols));
	for (size_t i = 0; i < n; i++) {
		char t[24];
		snprintf(t, sizeof(t), "%lld", (long long)rows[i].hour_start_ms);
		pd_sb_array_elem(&hr, t);
		pd_sb_array_elem(&grp, rows[i].group);
		add_num(&ord, rows[i].expected_orders);
		add_num(&con, rows[i].expected_consultations);
		snprintf(t, sizeof(t), "%d", rows[i].agents_needed);
		pd_sb_array_elem(&ag, t);
		add_num(&sl, rows[i].service_level);
	}
	pd_sb_arrays_close(cols, PD_ARRAY_LEN(cols));
	rc = pd_txn_exec(tx,
			 "INSERT INTO promo.forecast_hours (campaign_id, hour_start, group_name, expected_orders, "
			 "expected_consultations, agents_needed, service_level) "
			 "SELECT $1, to_timestamp(h / 1000.0), g, o, c, a, s FROM unnest($2::bigint[], $3::text[], "
			 "$4::float8[], $5::float8[], $6::int[], $7::float8[]) AS u(h, g, o, c, a, s)",
			 7, (const char *[]){campaign, hr.s, grp.s, ord.s, con.s, ag.s, sl.s}, eb);
	pd_sb_arrays_free(cols, PD_ARRAY_LEN(cols));
	return rc;
}

static int emit_forecast(pd_txn *tx, const char *campaign, const pm_forecast_params *p, const pm_forecast_row *rows,
			 size_t n, pd_errbuf *eb)
{
	Peakdesk__V1__ForecastHour *fh = pd_xcalloc(n ? n : 1, sizeof(*fh));
	Peakdesk__V1__ForecastHour **ptr = pd_xcalloc(n ? n : 1, sizeof(*ptr));
	for (size_t i = 0; i < n; i++) {
		peakdesk__v1__forecast_hour__init(&fh[i]);
		fh[i].hour_start_ms = rows[i].hour_start_ms;
		fh[i].group = (char *)rows[i].group;
		fh[i].expected_orders = rows[i].expected_orders;
		fh[i].expected_consultations = rows[i].expected_consultations;
		fh[i].agents_needed = rows[i].agents_needed;
		fh[i].service_level = rows[i].service_level;
		fh[i].target_answer_seconds = (int32_t)p->target_answer_seconds;
		ptr[i] = &fh[i];
	}
	Peakdesk__V1__StaffingForecast f = PEAKDESK__V1__STAFFING_FORECAST__INIT;
	f.campaign_id = (char *)campaign;
	f.consultation_rate = p->consultation_rate;
	f.avg_handle_seconds = (int32_t)p->avg_handle_seconds;
	f.chat_concurrency = p->chat_concurrency;
	f.hours = ptr;
	f.n_hours = n;
	Peakdesk__V1__Envelope env = PEAKDESK__V1__ENVELOPE__INIT;
	env.topic = "promo.forecast_updated";
	env.occurred_at_ms = pd_now_ms();
	env.body_case = PEAKDESK__V1__ENVELOPE__BODY_STAFFING_FORECAST;
	env.staffing_forecast = &f;
	int rc = pd_txn_emit(tx, &env, eb);
	free(ptr);
	free(fh);
	return rc;
}

static int forecast_one(pd_txn *tx, const pm_context *ctx, const char *campaign, pd_errbuf *eb)
{
	pm_forecast_params p = ctx->configured;
	const char *rate_src = "configured", *shares_src = "configured";
	int rc = learn_rate(tx, ctx, &p, &rate_src, eb);
	if (rc == PD_OK)
		rc = learn_shares(tx, ctx, &p, &shares_src, eb);
	if (rc != PD_OK)
		return rc;
	int err;
	PGresult *r = pd_txn_query(tx,
			"SELECT " MS("hour_start") ", gmv_cents, avg_order_value_cents FROM promo.sales_targets "
			"WHERE campaign_id = $1 ORDER BY hour_start",
			1, &campaign, &err, eb);
	if (!r)
		return err;
	size_t n = (size_t)PQntuples(r);
	pm_target_hour *hours = pd_xcalloc(n ? n : 1, sizeof(*hours));
	for (size_t i = 0; i < n; i++) {
		hours[i].hour_start_ms = strtoll(PQgetvalue(r, (int)i, 0), NULL, 10);
		hours[i].gmv_cents = strtoll(PQgetvalue(r, (int)i, 1), NULL, 10);
		hours[i].avg_order_value_cents = strtoll(PQgetvalue(r, (int)i, 2), NULL, 10);
	}
	PQclear(r);
	if (n == 0) { /* a campaign without targets yet: nothing to forecast */
		free(hours);
		return PD_OK;
	}
	size_t cap = pm_forecast_rows(&p, n), n_rows = 0;
	pm_forecast_row *rows = pd_xcalloc(cap ? cap : 1, sizeof(*rows));
	pd_errbuf why = {{0}};
	if (pm_forecast_compute(&p, hours, n, rows, cap, &n_rows, &why) != PD_OK) {
		/* inputs were validated on the way in; a failure here is the
		 * configuration's: say so, and keep the previous forecast */
		pd_log_error("forecast not computed", "campaign_id=%s detail=\"%s\"", campaign, why.msg);
	} else {
		rc = store_forecast(tx, campaign, &p, rate_src, shares_src, rows, n_rows, eb);
		if (rc == PD_OK)
			rc = emit_forecast(tx, campaign, &p, rows, n_rows, eb);
		int peak = 0;
		for (size_t i = 0; i < n_rows; i++)
			if (!*rows[i].group && rows[i].agents_needed > peak)
				peak = rows[i].agents_needed;
		pd_log_info("forecast updated", "campaign_id=%s hours=%zu rate=%.4f rate_source=%s peak_agents=%d",
			    campaign, n, p.consultation_rate, rate_src, peak);
	}
	free(rows);
	free(hours);
	return rc;
}

static int forecast_due(pd_txn *tx, const pm_context *ctx, pd_errbuf *eb)
{
	int err;
	PGresult *r = pd_txn_query(tx,
			"UPDATE promo.campaigns SET forecast_due = false WHERE campaign_id IN "
			"(SELECT campaign_id FROM promo.campaigns WHERE forecast_due ORDER BY campaign_id LIMIT 8 "
			"FOR UPDATE SKIP LOCKED) RETURNING campaign_id",
			0, NULL, &err, eb);
	if (!r)
		return err;
	int rc = PD_OK;
	for (int i = 0; i < PQntuples(r) && rc == PD_OK; i++)
		rc = forecast_one(tx, ctx, PQgetvalue(r, i, 0), eb);
	PQclear(r);
	return rc;
}

/* ---- the job ------------------------------------------------------------------- */

static int tick_apply(pd_txn *tx, const void *arg, pd_errbuf *eb)
{
	int rc = announce_live_flips(tx, eb);
	if (rc == PD_OK)
		rc = forecast_due(tx, arg, eb);
	return rc;
}

void pm_tick_submit(pd_bus *bus, const pm_context *ctx)
{
	static pd_tick_job tick = {.what = "promo tick", .fn = tick_apply};
	pd_tick_submit(bus, &tick, ctx);
}
