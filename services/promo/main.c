/* peakdesk-promo: campaigns, their rule texts and SLA overrides, and sales
 * targets from operations (NNG ingest, HTTP); emits
 * promo.campaign_updated and promo.forecast_updated (Erlang C staffing
 * forecast); serves GET /v1/rules?q= to agents. */
#include <stdio.h>
#include <stdlib.h>

#include "log.h"
#include "promo.h"
#include "service.h"

static char rate[32], aht[16], concurrency[16], answer_s[16], sl_goal[16], shares[512], min_history[16], tick_ms[16];

static const pd_config_extra extras[] = {
	{"PEAKDESK_PROMO_CONSULTATION_RATE", "0.15",
	 "consultations per order when the database has too little history to learn it", rate, sizeof(rate), 0},
	{"PEAKDESK_PROMO_AHT_SECONDS", "240", "average handle time of one chat, seconds", aht, sizeof(aht), 0},
	{"PEAKDESK_PROMO_CHAT_CONCURRENCY", "3", "chats one agent handles at once", concurrency, sizeof(concurrency), 0},
	{"PEAKDESK_PROMO_TARGET_ANSWER_SECONDS", "30", "service level: answered within this many seconds", answer_s,
	 sizeof(answer_s), 0},
	{"PEAKDESK_PROMO_SERVICE_LEVEL", "0.8", "service level: this share answered within the target (0..1)", sl_goal,
	 sizeof(sl_goal), 0},
	{"PEAKDESK_PROMO_GROUP_SHARES", "presale:0.3,order:0.3,after-sale:0.4",
	 "how consultations split over the router's groups when history is too short", shares, sizeof(shares), 0},
	{"PEAKDESK_PROMO_MIN_HISTORY_ORDERS", "1000",
	 "orders in the last 30 days needed before the rate is learned from tickets / orders", min_history,
	 sizeof(min_history), 0},
	{"PEAKDESK_PROMO_TICK_MS", "1000", "how often campaigns going live and due forecasts are checked", tick_ms,
	 sizeof(tick_ms), 0},
	{NULL, NULL, NULL, NULL, 0, 0},
};

struct app {
	pd_service svc;
	pm_context ctx;
};

static void on_tick(void *arg)
{
	struct app *a = arg;
	pm_tick_submit(a->svc.bus, &a->ctx);
}

/* The configured forecast inputs, checked with the forecast's own rules
 * on an empty target list so a bad setting stops the start-up. */
static int configure(pm_context *ctx, pd_errbuf *eb)
{
	pm_forecast_params *p = &ctx->configured;
	p->consultation_rate = atof(rate);
	p->avg_handle_seconds = atof(aht);
	p->chat_concurrency = atoi(concurrency);
	p->target_answer_seconds = atof(answer_s);
	p->service_level_goal = atof(sl_goal);
	ctx->min_history_orders = atol(min_history);
	if (ctx->min_history_orders < 1)
		return pd_fail(eb, PD_EINVAL, "PEAKDESK_PROMO_MIN_HISTORY_ORDERS must be >= 1");
	int rc = pm_parse_shares(ctx, shares, eb);
	if (rc == PD_OK)
		rc = pm_forecast_check(p, NULL, 0, eb);
	return rc;
}

int main(int argc, char **argv)
{
	static struct app a;
	int rc = pd_service_init(&a.svc, "promo",
				 "peakdesk-promo: promo-info sync service (campaigns, rule texts, sales targets,\n"
				 "staffing forecasts)\n\n"
				 "Usage: peakdesk-promo [--help]\n\n"
				 "Operations ingest: NNG REP at PEAKDESK_PROMO_INGEST, POST /v1/ingest (JSON),\n"
				 "                   topics promo.campaign, promo.sales_target\n"
				 "Agents:            GET /v1/rules?q=KEYWORD[&campaign=ID]\n"
				 "Emits: promo.campaign_updated, promo.forecast_updated\n"
				 "Also: GET /healthz, GET /metrics",
				 extras, argc, argv);
	if (rc != 0)
		return rc == 1 ? 0 : 1;
	pd_errbuf eb = {{0}};
	if (configure(&a.ctx, &eb) != PD_OK) {
		pd_log_error("bad forecast settings", "detail=\"%s\"", eb.msg);
		pd_service_close(&a.svc);
		return 2;
	}
	if (pd_service_start_ingest(&a.svc, "promo.ingest_log", &pm_ingest_ops, &a.ctx) != 0) {
		pd_service_close(&a.svc);
		return 1;
	}
	pm_rules_http_route(a.svc.http, a.svc.bus);
	pd_service_every(&a.svc, atoi(tick_ms), 1000, on_tick, &a);

	rc = pd_service_run(&a.svc);
	pd_service_close(&a.svc);
	return rc;
}
