/* The SLA policy in force: the built-in table with the campaigns' overrides
 * (promo.sla_overrides, written by the promo service) whose window holds
 * the instant a clock starts. Rows are folded into one override table per
 * campaign window; rt_sla_target (sla.c) then picks the cell. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ids.h"
#include "router.h"
#include "sla.h"
#include "topics.h"

#define MS(c) "(extract(epoch FROM " c ") * 1000)::bigint"

/* Sets the cells a row names (priority / channel 0 = every one). */
static void fold_row(rt_sla_table *t, int priority, int channel, int first, int next, int resolution)
{
	for (int p = 1; p < RT_SLA_PRIORITIES; p++) {
		if (priority && p != priority)
			continue;
		for (int c = 1; c < RT_SLA_CHANNELS; c++) {
			if (channel && c != channel)
				continue;
			rt_sla_targets *cell = &t->t[p][c];
			if (first > 0)
				cell->first_response_min = first;
			if (next > 0)
				cell->next_response_min = next;
			if (resolution > 0)
				cell->resolution_min = resolution;
		}
	}
}

int rt_sla_policy_load(pd_txn *tx, int64_t at_ms, rt_loaded_policy *out, pd_errbuf *eb)
{
	memset(out, 0, sizeof(*out));
	char at[24];
	snprintf(at, sizeof(at), "%lld", (long long)at_ms);
	int err;
	PGresult *r = pd_txn_query(tx,
			"SELECT o.campaign_id, " MS("w.starts_at") ", " MS("w.ends_at") ", coalesce(o.priority, 0), "
			"coalesce(o.channel, 0), o.first_response_minutes, o.next_response_minutes, o.resolution_minutes "
			"FROM promo.sla_overrides o JOIN promo.windows w ON w.campaign_id = o.campaign_id "
			"  AND (o.window_kind IS NULL OR o.window_kind = w.kind) "
			"WHERE to_timestamp($1::bigint / 1000.0) >= w.starts_at AND to_timestamp($1::bigint / 1000.0) < w.ends_at "
			"ORDER BY o.campaign_id, w.starts_at, o.position",
			1, (const char *[]){at}, &err, eb);
	if (!r)
		return err;
	int n = PQntuples(r);
	out->rows = r;
	out->overrides = pd_xcalloc(n ? (size_t)n : 1, sizeof(*out->overrides));
	out->tables = pd_xcalloc(n ? (size_t)n : 1, sizeof(*out->tables));
	for (int i = 0; i < n; i++) {
		const char *campaign = PQgetvalue(r, i, 0);
		int64_t start = strtoll(PQgetvalue(r, i, 1), NULL, 10), end = strtoll(PQgetvalue(r, i, 2), NULL, 10);
		rt_sla_override *o = out->n ? &out->overrides[out->n - 1] : NULL;
		if (!o || strcmp(o->campaign_id, campaign) || o->starts_at_ms != start) {
			o = &out->overrides[out->n];
			o->campaign_id = campaign;
			o->starts_at_ms = start;
			o->ends_at_ms = end;
			o->table = &out->tables[out->n];
			out->n++;
		}
		fold_row(&out->tables[out->n - 1], atoi(PQgetvalue(r, i, 3)), atoi(PQgetvalue(r, i, 4)),
			 atoi(PQgetvalue(r, i, 5)), atoi(PQgetvalue(r, i, 6)), atoi(PQgetvalue(r, i, 7)));
	}
	out->policy.overrides = out->overrides;
	out->policy.n_overrides = out->n;
	return PD_OK;
}

void rt_sla_policy_free(rt_loaded_policy *p)
{
	free(p->overrides);
	free(p->tables);
	PQclear(p->rows);
	memset(p, 0, sizeof(*p));
}

int rt_sla_policy_current(pd_txn *tx, int64_t at_ms, const rt_loaded_policy **out, pd_errbuf *eb)
{
	static rt_loaded_policy kept;
	static uint64_t kept_serial;
	static int64_t kept_at_ms;
	if (!kept.rows || kept_serial != pd_txn_serial(tx) || at_ms < kept_at_ms || at_ms - kept_at_ms >= 1000) {
		rt_sla_policy_free(&kept);
		int rc = rt_sla_policy_load(tx, at_ms, &kept, eb);
		if (rc != PD_OK)
			return rc;
		kept_serial = pd_txn_serial(tx);
		kept_at_ms = at_ms;
	}
	*out = &kept;
	return PD_OK;
}

int64_t rt_sla_target_ms(const rt_context *ctx, const rt_loaded_policy *pol, int kind, int priority,
			 const char *channel, int64_t at_ms, const char **campaign_id)
{
	if (campaign_id)
		*campaign_id = NULL;
	if (kind >= 1 && kind <= 3 && ctx->sla_override_min[kind] > 0)
		return (int64_t)(ctx->sla_override_min[kind] * 60000.0);
	rt_sla_policy none = {0};
	int32_t min = 0;
	if (rt_sla_target(pol ? &pol->policy : &none, priority, pd_channel_parse(channel), kind, at_ms, &min,
			  campaign_id) != PD_OK || min <= 0)
		min = 30;
	return (int64_t)min * 60000;
}
