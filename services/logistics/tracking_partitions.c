/* The day partitions of logistics.tracking_events (031): created ahead and
 * dropped after the retention by logistics.tracking_partitions_maintain(),
 * which holds the DDL (it runs as the schema's owner); this timer only
 * calls it and logs what it did. */
#include <stdio.h>
#include <string.h>

#include "db.h"
#include "log.h"
#include "logistics.h"

static int maintain(pd_txn *tx, const void *arg, pd_errbuf *eb)
{
	const lg_context *ctx = arg;
	char ahead[16], keep[16];
	snprintf(ahead, sizeof(ahead), "%d", ctx->tracking_days_ahead);
	snprintf(keep, sizeof(keep), "%d", ctx->tracking_keep_days);
	int err;
	PGresult *r = pd_txn_query(tx, "SELECT logistics.tracking_partitions_maintain($1::int, $2::int)", 2,
				   (const char *[]){ahead, keep}, &err, eb);
	if (!r)
		return err;
	const char *did = PQgetvalue(r, 0, 0);
	if (strcmp(did, "created=0 moved=0 dropped=0 purged=0") != 0)
		pd_log_info("tracking partitions maintained", "days_ahead=%s keep_days=%s %s", ahead, keep, did);
	PQclear(r);
	return PD_OK;
}

void lg_tracking_partitions_submit(pd_bus *bus, const lg_context *ctx)
{
	static pd_tick_job job = {.what = "tracking partitions", .fn = maintain};
	pd_tick_submit(bus, &job, ctx);
}
