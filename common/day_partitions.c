/* Calling an owning schema's day-partition maintenance from a timer (see
 * day_partitions.h); the DDL itself is in schema 033. */
#include "day_partitions.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "log.h"

static int parse_int(const char *s, long lo, long hi, int *out)
{
	char *end;
	long v = strtol(s, &end, 10);
	if (!*s || *end || v < lo || v > hi)
		return -1;
	*out = (int)v;
	return 0;
}

int pd_day_partitions_parse(pd_day_partitions *p, const char *days_ahead, const char *keep_days, pd_errbuf *eb)
{
	if (parse_int(days_ahead, 0, 366, &p->days_ahead) != 0 || parse_int(keep_days, 0, 1000000, &p->keep_days) != 0)
		return pd_fail(eb, PD_EINVAL, "%s: days ahead must be 0..366 and days kept >= 0 (got '%s', '%s')", p->what,
			       days_ahead, keep_days);
	return PD_OK;
}

int pd_day_summary_changed(const char *summary)
{
	for (const char *s = strchr(summary, '='); s; s = strchr(s + 1, '=')) {
		size_t digits = strspn(s + 1, "0123456789");
		if (digits > 0 && !(digits == 1 && s[1] == '0'))
			return 1;
	}
	return 0;
}

static int maintain(pd_txn *tx, const void *arg, pd_errbuf *eb)
{
	const pd_day_partitions *p = arg;
	char ahead[16], keep[16], sql[160];
	snprintf(ahead, sizeof(ahead), "%d", p->days_ahead);
	snprintf(keep, sizeof(keep), "%d", p->keep_days);
	snprintf(sql, sizeof(sql), "SELECT %s($1::int, $2::int)", p->function);
	int err;
	PGresult *r = pd_txn_query(tx, sql, 2, (const char *[]){ahead, keep}, &err, eb);
	if (!r)
		return err;
	const char *did = PQgetvalue(r, 0, 0);
	if (pd_day_summary_changed(did))
		pd_log_info("day partitions maintained", "what=\"%s\" days_ahead=%s keep_days=%s %s", p->what, ahead,
			    keep, did);
	PQclear(r);
	return PD_OK;
}

static void on_tick(void *arg)
{
	pd_day_partitions *p = arg;
	pd_tick_submit(p->bus, &p->job, p);
}

int pd_day_partitions_start(pd_service *s, pd_day_partitions *p, int check_ms)
{
	p->bus = s->bus;
	p->job.what = p->what;
	p->job.fn = maintain;
	on_tick(p);
	return pd_service_every(s, check_ms, 3600000, on_tick, p);
}
