/* The promo service's I/O shell: what main.c wires together. The pure
 * parts are campaign.c (validation, diff), forecast.c and erlang_c.c. */
#ifndef PM_PROMO_H
#define PM_PROMO_H

#include "bus.h"
#include "forecast.h"
#include "ingest.h"
#include "promo.pb-c.h"

typedef struct pm_context {
	/* Forecast inputs used when the database has too little history. */
	pm_forecast_params configured;
	char group_names[PM_FORECAST_MAX_GROUPS][PM_FORECAST_GROUP_NAME_MAX + 1];
	long min_history_orders; /* learn rate and shares from at least this many orders / tickets */
} pm_context;

/* Parses "presale:0.3,order:0.3,after-sale:0.4" into ctx->configured's
 * groups. PD_OK or PD_EINVAL with a reason. */
int pm_parse_shares(pm_context *ctx, const char *spec, pd_errbuf *eb);

/* Ingest ops for operations' events (promo.campaign, promo.sales_target);
 * arg: pm_context. */
extern const pd_ingest_ops pm_ingest_ops;

/* Emits promo.campaign_updated for c with the changed fields and the live
 * flag (writer thread, inside tx). */
int pm_emit_campaign(pd_txn *tx, const Peakdesk__V1__Campaign *c, char **changed, size_t n_changed, int live,
		     const char *trace_id, pd_errbuf *eb);

/* Timer job: announces campaigns going live or ending
 * (promo.campaign_updated, changed_fields ["live"]) and recomputes the
 * forecast of campaigns whose targets changed (promo.forecast_updated). */
void pm_tick_submit(pd_bus *bus, const pm_context *ctx);

/* Registers GET /v1/rules?q=KEYWORD[&campaign=ID]: rule texts of live (or
 * the named) campaigns matching a keyword, for agents. */
struct pd_http;
int pm_rules_http_route(struct pd_http *http, pd_bus *bus);

#endif
