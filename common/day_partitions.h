/* A service keeping the day partitions of a table it owns (schema 033):
 * a SECURITY DEFINER function of the owning schema does the DDL
 * (days ahead created, days past the retention dropped); the service only
 * calls it from a timer, at start-up and then every check interval, and
 * logs what it did. */
#ifndef PD_DAY_PARTITIONS_H
#define PD_DAY_PARTITIONS_H

#include "bus.h"
#include "pd.h"
#include "service.h"

typedef struct pd_day_partitions {
	const char *what;     /* for the log, e.g. "tracking partitions" */
	const char *function; /* fn(days_ahead int, keep_days int) RETURNS text,
				 e.g. "logistics.tracking_partitions_maintain" */
	int days_ahead;       /* 0..366 */
	int keep_days;        /* >= 0; 0: kept for ever */
	pd_tick_job job;      /* internal */
	pd_bus *bus;          /* internal */
} pd_day_partitions;

/* Parses the service's settings into p (days ahead, days kept): PD_OK, or
 * PD_EINVAL with the reason in eb. */
int pd_day_partitions_parse(pd_day_partitions *p, const char *days_ahead, const char *keep_days, pd_errbuf *eb);

/* Maintains now (so today's partition exists before the first row of the
 * day) and then every check_ms (<= 0: hourly) on the bus writer. 0, or -1
 * when no timer is left (logged). */
int pd_day_partitions_start(pd_service *s, pd_day_partitions *p, int check_ms);

/* 1 when a maintenance summary ("created=0 moved=2 ...") reports any count
 * other than 0: worth a log line. */
int pd_day_summary_changed(const char *summary);

#endif
