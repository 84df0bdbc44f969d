/* peakdesk-logistics: orders awaiting fulfilment, shipments, tracking and
 * returns from departments (NNG ingest, HTTP) and carriers (Kuaidi100 push);
 * emits logistics.* events and detects delays on a timer. */
#include <stdio.h>
#include <stdlib.h>

#include "day_partitions.h"
#include "log.h"
#include "logistics.h"
#include "service.h"

static char salt[256], no_scan_hours[16], grace_minutes[16], sweep_ms[16], days_ahead[16], keep_days[16],
	partition_ms[16];

static const pd_config_extra extras[] = {
	{"PEAKDESK_KUAIDI100_SALT", "", "salt of the Kuaidi100 push sign (MD5 of param + salt)", salt, sizeof(salt), 1},
	{"PEAKDESK_LOGISTICS_NO_SCAN_HOURS", "24", "a shipment with no scan for this long is delayed (0: off)",
	 no_scan_hours, sizeof(no_scan_hours), 0},
	{"PEAKDESK_LOGISTICS_PROMISE_GRACE_MINUTES", "0", "grace after the promised delivery time", grace_minutes,
	 sizeof(grace_minutes), 0},
	{"PEAKDESK_LOGISTICS_DELAY_CHECK_MS", "60000", "how often the delay timer runs", sweep_ms, sizeof(sweep_ms), 0},
	{"PEAKDESK_LOGISTICS_TRACKING_DAYS_AHEAD", "7", "day partitions of the carrier scans created this many days ahead",
	 days_ahead, sizeof(days_ahead), 0},
	{"PEAKDESK_LOGISTICS_TRACKING_KEEP_DAYS", "90", "carrier scans kept this many days, then dropped by day (0: kept)",
	 keep_days, sizeof(keep_days), 0},
	{"PEAKDESK_LOGISTICS_PARTITION_CHECK_MS", "3600000", "how often the scans' day partitions are maintained",
	 partition_ms, sizeof(partition_ms), 0},
	{NULL, NULL, NULL, NULL, 0, 0},
};

struct app {
	pd_service svc;
	lg_context ctx;
};

static void on_sweep(void *arg)
{
	struct app *a = arg;
	lg_delay_sweep_submit(a->svc.bus, &a->ctx);
}

int main(int argc, char **argv)
{
	static struct app a;
	int rc = pd_service_init(&a.svc, "logistics",
				 "peakdesk-logistics: logistics sync service (orders, shipments, tracking, returns)\n\n"
				 "Usage: peakdesk-logistics [--help]\n\n"
				 "Department ingest: NNG REP at PEAKDESK_LOGISTICS_INGEST, POST /v1/ingest (JSON)\n"
				 "Carrier push:      POST /v1/carriers/kuaidi100 (form: param, sign)\n"
				 "Also: GET /healthz, GET /metrics",
				 extras, argc, argv);
	if (rc != 0)
		return rc == 1 ? 0 : 1;
	a.ctx.delay.no_scan_window_ms = (int64_t)(atof(no_scan_hours) * 3600.0 * 1000.0);
	a.ctx.delay.promise_grace_ms = (int64_t)(atof(grace_minutes) * 60.0 * 1000.0);
	if (a.ctx.delay.promise_grace_ms < 0) {
		pd_log_error("PEAKDESK_LOGISTICS_PROMISE_GRACE_MINUTES must be >= 0", "value=%s", grace_minutes);
		return 2;
	}
	static pd_day_partitions scans = {.what = "carrier scans", .function = "logistics.tracking_partitions_maintain"};
	pd_errbuf peb = {{0}};
	if (pd_day_partitions_parse(&scans, days_ahead, keep_days, &peb) != PD_OK) {
		pd_log_error("bad PEAKDESK_LOGISTICS_TRACKING_DAYS_AHEAD or _KEEP_DAYS", "detail=\"%s\"", peb.msg);
		return 2;
	}
	if (!*salt)
		pd_log_warn("PEAKDESK_KUAIDI100_SALT is empty: carrier pushes are checked with MD5(param) only, "
			    "which anyone can compute; set the salt you gave Kuaidi100", "%s", "");
	if (pd_service_start_ingest(&a.svc, "logistics.ingest_log", &lg_ingest_ops, &a.ctx) != 0) {
		pd_service_close(&a.svc);
		return 1;
	}
	lg_carrier_http_route(a.svc.http, a.svc.bus, &a.ctx, salt);
	pd_service_every(&a.svc, atoi(sweep_ms), 60000, on_sweep, &a);
	pd_day_partitions_start(&a.svc, &scans, atoi(partition_ms));

	rc = pd_service_run(&a.svc);
	pd_service_close(&a.svc);
	return rc;
}
