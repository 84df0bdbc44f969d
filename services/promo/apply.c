/* Applies operations' events (promo.campaign, promo.sales_target) inside
 * the writer's transaction. A campaign replaces its stored windows, rules
 * and SLA overrides when its version is newer, and promo.campaign_updated
 * says exactly which fields changed (campaign.c's diff against the stored
 * message). A sales target marks the campaign's forecast due; the timer
 * (tick.c) recomputes it, so a thousand targets cost one forecast. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "campaign.h"
#include "db.h"
#include "ids.h"
#include "log.h"
#include "promo.h"

#define ACK(x) PEAKDESK__V1__ACK_STATUS__ACK_STATUS_##x
#define HOUR_MS 3600000LL
#define MAX_CENTS 1000000000000000LL /* 10^13 yuan: a typo, not a target */

static void reject(pd_ingest_item *it, const char *fmt, const char *arg)
{
	it->status = ACK(REJECTED);
	snprintf(it->reason, sizeof(it->reason), fmt, arg);
}

static int64_t campaign_version(const Peakdesk__V1__Envelope *env)
{
	return env->campaign->version > 0 ? env->campaign->version : env->occurred_at_ms;
}

/* ---- validation (pure) ------------------------------------------------------ */

static int validate(const Peakdesk__V1__Envelope *env, pd_errbuf *eb, void *arg)
{
	(void)arg;
	switch (env->body_case) {
	case PEAKDESK__V1__ENVELOPE__BODY_CAMPAIGN: {
		int rc = pm_campaign_check(env->campaign, eb);
		if (rc != PD_OK)
			return rc;
		if (campaign_version(env) <= 0)
			return pd_fail(eb, PD_EINVAL,
				       "campaign.version or the envelope's occurred_at_ms is required: the newest "
				       "definition wins by it");
		return PD_OK;
	}
	case PEAKDESK__V1__ENVELOPE__BODY_SALES_TARGET: {
		const Peakdesk__V1__SalesTarget *t = env->sales_target;
		if (!*t->campaign_id || strlen(t->campaign_id) > PM_MAX_ID)
			return pd_fail(eb, PD_EINVAL, "sales_target.campaign_id is required (<= %d bytes)", PM_MAX_ID);
		if (t->hour_start_ms <= 0 || t->hour_start_ms % HOUR_MS != 0)
			return pd_fail(eb, PD_EINVAL, "sales_target.hour_start_ms must be the top of an hour (unix ms, "
				       "a multiple of 3600000)");
		if (t->gmv_cents < 0 || t->gmv_cents > MAX_CENTS)
			return pd_fail(eb, PD_EINVAL, "sales_target.gmv_cents out of range (0..10^15)");
		if (t->avg_order_value_cents <= 0 || t->avg_order_value_cents > MAX_CENTS)
			return pd_fail(eb, PD_EINVAL, "sales_target.avg_order_value_cents must be > 0");
		return PD_OK;
	}
	default:
		return pd_fail(eb, PD_EINVAL, "the promo service takes promo.campaign and promo.sales_target events");
	}
}

/* ---- campaigns ----------------------------------------------------------------- */

static void add_i64(pd_strbuf *b, int64_t v)
{
	char t[24];
	snprintf(t, sizeof(t), "%lld", (long long)v);
	pd_sb_array_elem(b, t);
}

/* The campaign's windows, rules and overrides replace the stored ones. */
static int store_children(pd_txn *tx, const Peakdesk__V1__Campaign *c, pd_errbuf *eb)
{
	const char *id = c->campaign_id;
	int rc = pd_txn_exec(tx, "DELETE FROM promo.windows WHERE campaign_id = $1", 1, &id, eb);
	if (rc == PD_OK)
		rc = pd_txn_exec(tx, "DELETE FROM promo.rules WHERE campaign_id = $1", 1, &id, eb);
	if (rc == PD_OK)
		rc = pd_txn_exec(tx, "DELETE FROM promo.sla_overrides WHERE campaign_id = $1", 1, &id, eb);
	if (rc != PD_OK)
		return rc;

	pd_strbuf kind = {0}, ws = {0}, we = {0};
	pd_sb_add(&kind, "{", 1), pd_sb_add(&ws, "{", 1), pd_sb_add(&we, "{", 1);
	for (size_t i = 0; i < c->n_windows; i++) {
		pd_sb_array_elem(&kind, pm_window_name(c->windows[i]->kind));
		add_i64(&ws, c->windows[i]->start_ms);
		add_i64(&we, c->windows[i]->end_ms);
	}
	pd_sb_add(&kind, "}", 1), pd_sb_add(&ws, "}", 1), pd_sb_add(&we, "}", 1);
	rc = pd_txn_exec(tx,
			 "INSERT INTO promo.windows (campaign_id, kind, starts_at, ends_at) "
			 "SELECT $1, k, to_timestamp(s / 1000.0), to_timestamp(e / 1000.0) "
			 "FROM unnest($2::text[], $3::bigint[], $4::bigint[]) AS u(k, s, e)",
			 4, (const char *[]){id, kind.s, ws.s, we.s}, eb);
	pd_sb_free(&kind), pd_sb_free(&ws), pd_sb_free(&we);

	for (size_t i = 0; i < c->n_rules && rc == PD_OK; i++) {
		const Peakdesk__V1__RuleText *r = c->rules[i];
		pd_strbuf kw = {0};
		pd_sb_add(&kw, "{", 1);
		for (size_t k = 0; k < r->n_keywords; k++)
			pd_sb_array_elem(&kw, r->keywords[k]);
		pd_sb_add(&kw, "}", 1);
		char th[24], di[24], pc[16];
		snprintf(th, sizeof(th), "%lld", (long long)r->threshold_cents);
		snprintf(di, sizeof(di), "%lld", (long long)r->discount_cents);
		snprintf(pc, sizeof(pc), "%d", r->percent_off);
		rc = pd_txn_exec(tx,
				 "INSERT INTO promo.rules (campaign_id, rule_id, title, text, keywords, threshold_cents, "
				 "discount_cents, percent_off, coupon_code) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
				 9, (const char *[]){id, r->rule_id, r->title, r->text, kw.s, th, di, pc, r->coupon_code}, eb);
		pd_sb_free(&kw);
	}
	for (size_t i = 0; i < c->n_sla_overrides && rc == PD_OK; i++) {
		const Peakdesk__V1__SlaOverride *o = c->sla_overrides[i];
		char pos[24], pr[16], ch[16], fr[16], nr[16], rs[16];
		snprintf(pos, sizeof(pos), "%zu", i + 1);
		snprintf(pr, sizeof(pr), "%d", o->priority);
		snprintf(ch, sizeof(ch), "%d", o->channel);
		snprintf(fr, sizeof(fr), "%d", o->first_response_minutes);
		snprintf(nr, sizeof(nr), "%d", o->next_response_minutes);
		snprintf(rs, sizeof(rs), "%d", o->resolution_minutes);
		rc = pd_txn_exec(tx,
				 "INSERT INTO promo.sla_overrides (campaign_id, position, window_kind, priority, channel, "
				 "first_response_minutes, next_response_minutes, resolution_minutes) "
				 "VALUES ($1, $2, nullif($3, ''), nullif($4::smallint, 0), nullif($5::smallint, 0), $6, $7, $8)",
				 8, (const char *[]){id, pos, pm_window_name(o->window), pr, ch, fr, nr, rs}, eb);
	}
	return rc;
}

static void window_span(const Peakdesk__V1__Campaign *c, int64_t *start, int64_t *end)
{
	*start = INT64_MAX, *end = 0;
	for (size_t i = 0; i < c->n_windows; i++) {
		if (c->windows[i]->start_ms < *start)
			*start = c->windows[i]->start_ms;
		if (c->windows[i]->end_ms > *end)
			*end = c->windows[i]->end_ms;
	}
}

/* Emits promo.campaign_updated: the campaign, what changed, and whether it
 * is live now. Also used by the timer for "live" flips. */
int pm_emit_campaign(pd_txn *tx, const Peakdesk__V1__Campaign *c, char **changed, size_t n_changed, int live,
		     const char *trace_id, pd_errbuf *eb)
{
	Peakdesk__V1__Campaign out = *c;
	out.changed_fields = changed;
	out.n_changed_fields = n_changed;
	out.live = live;
	Peakdesk__V1__Envelope env = PEAKDESK__V1__ENVELOPE__INIT;
	env.topic = "promo.campaign_updated";
	env.occurred_at_ms = pd_now_ms();
	env.trace_id = (char *)(trace_id ? trace_id : "");
	env.body_case = PEAKDESK__V1__ENVELOPE__BODY_CAMPAIGN;
	env.campaign = &out;
	return pd_txn_emit(tx, &env, eb);
}

static int apply_campaign(pd_txn *tx, pd_ingest_item *it, pd_errbuf *eb)
{
	const Peakdesk__V1__Campaign *c = it->env->campaign;
	int64_t version = campaign_version(it->env);
	int err;
	PGresult *r = pd_txn_query(tx, "SELECT version, body FROM promo.campaigns WHERE campaign_id = $1 FOR UPDATE",
				   1, (const char *[]){c->campaign_id}, &err, eb);
	if (!r)
		return err;
	Peakdesk__V1__Campaign *old = NULL;
	if (PQntuples(r) == 1) {
		if (strtoll(PQgetvalue(r, 0, 0), NULL, 10) >= version) {
			PQclear(r); /* an older or repeated definition: the stored one stays */
			return PD_OK;
		}
		size_t len = 0;
		unsigned char *raw = PQunescapeBytea((const unsigned char *)PQgetvalue(r, 0, 1), &len);
		old = raw ? peakdesk__v1__campaign__unpack(NULL, len, raw) : NULL;
		PQfreemem(raw);
	}
	PQclear(r);

	/* What is stored is the definition alone, without the emitted extras. */
	Peakdesk__V1__Campaign def = *c;
	def.changed_fields = NULL, def.n_changed_fields = 0, def.live = 0;
	def.version = version;
	size_t len = peakdesk__v1__campaign__get_packed_size(&def);
	uint8_t *packed = pd_xmalloc(len ? len : 1);
	peakdesk__v1__campaign__pack(&def, packed);
	size_t hex_len = 0;
	unsigned char *hex = PQescapeByteaConn(pd_db_conn(pd_txn_db(tx)), packed, len, &hex_len);
	free(packed);

	pm_changes ch;
	pm_campaign_diff(old, &def, &ch);
	int64_t start, end;
	window_span(&def, &start, &end);
	int live = pm_campaign_live(&def, pd_now_ms());
	char ver[24], s[24], e[24];
	snprintf(ver, sizeof(ver), "%lld", (long long)version);
	snprintf(s, sizeof(s), "%lld", (long long)start);
	snprintf(e, sizeof(e), "%lld", (long long)end);
	pd_strbuf chans = {0};
	pd_sb_add(&chans, "{", 1);
	for (size_t i = 0; i < def.n_channels; i++)
		pd_sb_addf(&chans, "%s%d", i ? "," : "", def.channels[i]);
	pd_sb_add(&chans, "}", 1);
	int rc = hex ? PD_OK : pd_fail(eb, PD_ENOMEM, "cannot escape the campaign");
	if (rc == PD_OK)
		rc = pd_txn_exec(tx,
				 "INSERT INTO promo.campaigns (campaign_id, name, channels, version, body, starts_at, ends_at, live) "
				 "VALUES ($1, $2, $3, $4, $5::bytea, to_timestamp($6::bigint / 1000.0), "
				 "to_timestamp($7::bigint / 1000.0), $8) "
				 "ON CONFLICT (campaign_id) DO UPDATE SET name = excluded.name, channels = excluded.channels, "
				 "version = excluded.version, body = excluded.body, starts_at = excluded.starts_at, "
				 "ends_at = excluded.ends_at, live = excluded.live, forecast_due = true, updated_at = now()",
				 8, (const char *[]){def.campaign_id, def.name, chans.s, ver, (const char *)hex, s, e,
						     live ? "t" : "f"}, eb);
	PQfreemem(hex);
	pd_sb_free(&chans);
	if (rc == PD_OK && ch.n > 0)
		rc = store_children(tx, &def, eb);
	if (rc == PD_OK && ch.n > 0) {
		rc = pm_emit_campaign(tx, &def, ch.fields, ch.n, live, it->env->trace_id, eb);
		pd_log_info("campaign updated", "campaign_id=%s version=%lld changed=%zu live=%d", def.campaign_id,
			    (long long)version, ch.n, live);
	}
	pm_changes_free(&ch);
	if (old)
		peakdesk__v1__campaign__free_unpacked(old, NULL);
	return rc;
}

/* ---- sales targets ----------------------------------------------------------------- */

static int apply_target(pd_txn *tx, pd_ingest_item *it, pd_errbuf *eb)
{
	const Peakdesk__V1__SalesTarget *t = it->env->sales_target;
	char hour[24], gmv[24], aov[24], ver[24];
	snprintf(hour, sizeof(hour), "%lld", (long long)t->hour_start_ms);
	snprintf(gmv, sizeof(gmv), "%lld", (long long)t->gmv_cents);
	snprintf(aov, sizeof(aov), "%lld", (long long)t->avg_order_value_cents);
	snprintf(ver, sizeof(ver), "%lld", (long long)it->env->occurred_at_ms);
	int err;
	/* the campaign must exist: the target is meaningless without its windows */
	PGresult *r = pd_txn_query(tx,
			"WITH c AS (UPDATE promo.campaigns SET forecast_due = true WHERE campaign_id = $1 RETURNING 1) "
			"INSERT INTO promo.sales_targets AS t (campaign_id, hour_start, gmv_cents, avg_order_value_cents, version) "
			"SELECT $1, to_timestamp($2::bigint / 1000.0), $3, $4, $5 FROM c "
			"ON CONFLICT (campaign_id, hour_start) DO UPDATE SET gmv_cents = excluded.gmv_cents, "
			"avg_order_value_cents = excluded.avg_order_value_cents, version = excluded.version "
			"WHERE t.version <= excluded.version RETURNING (SELECT count(*) FROM c)",
			5, (const char *[]){t->campaign_id, hour, gmv, aov, ver}, &err, eb);
	if (!r)
		return err;
	int stored = PQntuples(r);
	PQclear(r);
	if (!stored) {
		PGresult *k = pd_txn_query(tx, "SELECT 1 FROM promo.campaigns WHERE campaign_id = $1", 1,
					   (const char *[]){t->campaign_id}, &err, eb);
		if (!k)
			return err;
		if (PQntuples(k) == 0)
			reject(it, "unknown campaign %.128s: send its promo.campaign first", t->campaign_id);
		PQclear(k);
	}
	return PD_OK;
}

/* ---- dispatch ------------------------------------------------------------------------ */

/* Events one by one: campaigns and targets are few (hundreds a day). */
static int apply_one(pd_txn *tx, pd_ingest_item *it, void *arg, pd_errbuf *eb)
{
	(void)arg;
	if (it->env->body_case == PEAKDESK__V1__ENVELOPE__BODY_CAMPAIGN)
		return apply_campaign(tx, it, eb);
	return apply_target(tx, it, eb);
}

static int ingest_apply(pd_txn *tx, pd_ingest_item *items, size_t n, void *arg)
{
	return pd_ingest_apply_each(tx, items, n, apply_one, arg);
}

const pd_ingest_ops pm_ingest_ops = {
	.validate = validate,
	.apply = ingest_apply,
};
