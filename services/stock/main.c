/* peakdesk-stock: SKUs and stock per warehouse from the supply department
 * (NNG ingest, HTTP); emits stock.level_changed, stock.shortage with the
 * unshipped orders it hits, stock.restocked and stock.low. */
#include <stdlib.h>

#include "log.h"
#include "service.h"
#include "stock.h"

static char sales_ttl_ms[16];

static const pd_config_extra extras[] = {
	{"PEAKDESK_STOCK_SALES_CACHE_MS", "60000",
	 "how long a SKU's last-hour sales (the default low-stock threshold) are reused before asking again",
	 sales_ttl_ms, sizeof(sales_ttl_ms), 0},
	{NULL, NULL, NULL, NULL, 0, 0},
};

struct app {
	pd_service svc;
	st_context ctx;
};

int main(int argc, char **argv)
{
	static struct app a;
	int rc = pd_service_init(&a.svc, "stock",
				 "peakdesk-stock: supply/stock sync service (SKUs, stock per warehouse, stock-outs)\n\n"
				 "Usage: peakdesk-stock [--help]\n\n"
				 "Department ingest: NNG REP at PEAKDESK_STOCK_INGEST, POST /v1/ingest (JSON),\n"
				 "                   topic stock.level\n"
				 "Emits: stock.level_changed, stock.shortage, stock.restocked, stock.low\n"
				 "Also: GET /healthz, GET /metrics",
				 extras, argc, argv);
	if (rc != 0)
		return rc == 1 ? 0 : 1;
	long ttl = atol(sales_ttl_ms);
	if (ttl < 0) {
		pd_log_error("PEAKDESK_STOCK_SALES_CACHE_MS must be >= 0", "value=%s", sales_ttl_ms);
		pd_service_close(&a.svc);
		return 2;
	}
	a.ctx.sales = st_sales_cache_new(ttl);
	if (pd_service_start_ingest(&a.svc, "stock.ingest_log", &st_ingest_ops, &a.ctx) != 0) {
		pd_service_close(&a.svc);
		st_sales_cache_free(a.ctx.sales);
		return 1;
	}

	rc = pd_service_run(&a.svc);
	pd_service_close(&a.svc);
	st_sales_cache_free(a.ctx.sales);
	return rc;
}
