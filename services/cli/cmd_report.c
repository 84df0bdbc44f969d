/* peakdesk report --campaign ID --out FILE: the promo-day report, one
 * self-contained HTML page (report_html.c, report_svg.c) built from the raw
 * tables with one aggregate query per chart, read in one snapshot. Written
 * atomically: a reader never sees half a report. */
#include <errno.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "report_html.h"

#define MAX_BUCKETS 400 /* hours of up to 4 days, or days of up to 400 */
#define HOURLY_UP_TO_HOURS 96
#define MAX_JOBS 8

static void usage(FILE *f)
{
	fprintf(f, "Usage: peakdesk report --campaign ID --out FILE [--day YYYY-MM-DD] [--tz ZONE]\n\n"
		   "Writes the promo-day report of a campaign: one self-contained HTML page (inline SVG\n"
		   "charts, no scripts, no external assets) with tickets and customer messages per hour\n"
		   "against the staffing forecast, first-response percentiles, SLA breaches, complaint\n"
		   "reasons, CSAT and NPS, proactive notices and what followed them, and the SKUs with\n"
		   "the most complaint and after-sale tickets.\n\n"
		   "  --campaign ID   the campaign (promo.campaigns)\n"
		   "  --out FILE      where to write the page (replaced atomically)\n"
		   "  --day DATE      report on this calendar day in ZONE instead of the campaign's\n"
		   "                  main-day window (or, without one, its whole span)\n"
		   "  --tz ZONE       time zone of the hours shown and of --day: an offset such as\n"
		   "                  +08:00, or a name such as Asia/Shanghai (default UTC)\n"
		   "  --jobs N        database connections running the chart queries side by side,\n"
		   "                  all in one snapshot (default 3; 1 runs them one after another)\n\n"
		   "Progress (each query and its duration) goes to stderr; the file's path is printed\n"
		   "on stdout at the end. Exit status 1 for an unknown campaign, a database error or a\n"
		   "file that cannot be written; 2 for bad options.\n");
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Runs one parameterised query, printing what it was and how long it took
 * on stderr. NULL (message printed) on error; caller PQclear()s. */
static PGresult *query(PGconn *c, const char *what, const char *sql, int n, const char *const *params)
{
	double t0 = now_ms();
	PGresult *r = PQexecParams(c, sql, n, NULL, params, NULL, NULL, 0);
	ExecStatusType st = PQresultStatus(r);
	if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
		fprintf(stderr, "peakdesk report: %s: %s", what, PQresultErrorMessage(r));
		PQclear(r);
		return NULL;
	}
	if (st == PGRES_TUPLES_OK)
		fprintf(stderr, "peakdesk report: %-34s %6d rows %8.1f ms\n", what, PQntuples(r), now_ms() - t0);
	return r;
}

static int exec_ok(PGconn *c, const char *sql)
{
	PGresult *r = PQexec(c, sql);
	int ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
	if (!ok)
		fprintf(stderr, "peakdesk report: %s", PQresultErrorMessage(r));
	PQclear(r);
	return ok;
}

static int set_zone(PGconn *c, const char *tz);

/* One chart query waiting for, or running on, a connection. */
typedef struct report_query {
	const char *name, *sql;
	int n_params;
	const char *params[4];
	PGresult **result;
	double started;
} report_query;

/* Runs the queries on the connections, each connection taking the next
 * query as soon as it is free (queries listed biggest first). Every
 * connection must be in a transaction on the same snapshot. 0, or -1 with
 * the message printed. */
static int run_queries(PGconn **conns, int n_conns, report_query *qs, size_t n)
{
	report_query *busy[MAX_JOBS] = { 0 };
	size_t next = 0, done = 0;
	int rc = 0;
	while (done < n) {
		for (int i = 0; i < n_conns && next < n && rc == 0; i++) {
			if (busy[i])
				continue;
			report_query *q = &qs[next++];
			q->started = now_ms();
			if (!PQsendQueryParams(conns[i], q->sql, q->n_params, NULL, q->params, NULL, NULL, 0)) {
				fprintf(stderr, "peakdesk report: %s: %s", q->name, PQerrorMessage(conns[i]));
				return -1;
			}
			busy[i] = q;
		}
		fd_set rd;
		FD_ZERO(&rd);
		int maxfd = -1, waiting = 0;
		for (int i = 0; i < n_conns; i++)
			if (busy[i]) {
				int fd = PQsocket(conns[i]);
				FD_SET(fd, &rd);
				maxfd = fd > maxfd ? fd : maxfd;
				waiting++;
			}
		if (!waiting)
			break;
		if (select(maxfd + 1, &rd, NULL, NULL, NULL) < 0) {
			if (errno == EINTR)
				continue;
			perror("peakdesk report: select");
			return -1;
		}
		for (int i = 0; i < n_conns; i++) {
			if (!busy[i] || !FD_ISSET(PQsocket(conns[i]), &rd))
				continue;
			if (!PQconsumeInput(conns[i])) {
				fprintf(stderr, "peakdesk report: %s: %s", busy[i]->name, PQerrorMessage(conns[i]));
				return -1;
			}
			if (PQisBusy(conns[i]))
				continue;
			report_query *q = busy[i];
			PGresult *r;
			while ((r = PQgetResult(conns[i]))) {
				if (!*q->result)
					*q->result = r;
				else
					PQclear(r);
			}
			busy[i] = NULL;
			done++;
			if (PQresultStatus(*q->result) != PGRES_TUPLES_OK) {
				fprintf(stderr, "peakdesk report: %s: %s", q->name, PQresultErrorMessage(*q->result));
				rc = -1; /* let the others finish, start nothing new */
				continue;
			}
			fprintf(stderr, "peakdesk report: %-34s %6d rows %8.1f ms (connection %d)\n", q->name,
				PQntuples(*q->result), now_ms() - q->started, i + 1);
		}
		if (rc != 0 && next < n)
			done += n - next, next = n;
	}
	return rc;
}

/* A further connection in the same zone and snapshot as the first. NULL
 * (message printed) when that fails; the report then uses fewer. */
static PGconn *helper(const char *tz, const char *snapshot)
{
	if (strspn(snapshot, "0123456789ABCDEFabcdef-") != strlen(snapshot) || strlen(snapshot) > 64)
		return NULL;
	PGconn *c = cli_db("report");
	if (!c)
		return NULL;
	char sql[128];
	snprintf(sql, sizeof(sql), "SET TRANSACTION SNAPSHOT '%s'", snapshot);
	if (!set_zone(c, tz) || !exec_ok(c, "SET datestyle = ISO") ||
	    !exec_ok(c, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY") || !exec_ok(c, sql)) {
		PQfinish(c);
		return NULL;
	}
	return c;
}

static double num(const PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col) ? NAN : strtod(PQgetvalue(r, row, col), NULL);
}

/* "+08:00", "-05", "+0530": an offset east of UTC; 1 and the SQL interval
 * literal in out when s is one. */
static int parse_offset(const char *s, char *out, size_t len)
{
	int hh = 0, mm = 0;
	size_t n = strlen(s);
	if ((s[0] != '+' && s[0] != '-') || n < 3 || n > 6)
		return 0;
	for (size_t i = 1; i < n; i++)
		if (!(s[i] >= '0' && s[i] <= '9') && !(i == 3 && s[i] == ':'))
			return 0;
	hh = (s[1] - '0') * 10 + (s[2] - '0');
	const char *m = s[3] == ':' ? s + 4 : s + 3;
	if (strlen(m) == 2)
		mm = (m[0] - '0') * 10 + (m[1] - '0');
	else if (*m)
		return 0;
	if (hh > 14 || mm > 59)
		return 0;
	snprintf(out, len, "%c%02d:%02d", s[0], hh, mm);
	return 1;
}

/* Sets the session's time zone: the hours of the report are its hours.
 * SQL-standard INTERVAL for offsets (a bare '+08:00' would be read the
 * POSIX way, 8 hours *west*), set_config for zone names. */
static int set_zone(PGconn *c, const char *tz)
{
	char off[16], sql[96];
	if (parse_offset(tz, off, sizeof(off))) {
		snprintf(sql, sizeof(sql), "SET TIME ZONE INTERVAL '%s' HOUR TO MINUTE", off);
		return exec_ok(c, sql);
	}
	PGresult *r = PQexecParams(c, "SELECT set_config('TimeZone', $1, false)", 1, NULL, (const char *[]){ tz }, NULL,
				   NULL, 0);
	int ok = PQresultStatus(r) == PGRES_TUPLES_OK;
	PQclear(r);
	if (!ok)
		fprintf(stderr, "peakdesk report: --tz: unknown time zone \"%s\" (use an offset such as +08:00 or a "
				"name such as Asia/Shanghai)\n", tz);
	return ok;
}

/* Index of the bucket starting at epoch e, or -1. */
static int bucket_of(const long long *starts, int n, long long e)
{
	int lo = 0, hi = n - 1;
	while (lo <= hi) {
		int mid = (lo + hi) / 2;
		if (starts[mid] == e)
			return mid;
		if (starts[mid] < e)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return -1;
}

/* Fills vals (n buckets) from rows (bucket epoch, value...) of r: column
 * col into vals; a bucket without a row gets `empty` (0 for counts), or NaN
 * when r has no row at all, so the chart says "no data" rather than drawing
 * a flat zero for a window nothing happened in. */
static void fill(const PGresult *r, int col, const long long *starts, int n, double *vals, double empty)
{
	for (int i = 0; i < n; i++)
		vals[i] = PQntuples(r) > 0 ? empty : NAN;
	for (int i = 0; i < PQntuples(r); i++) {
		int b = bucket_of(starts, n, strtoll(PQgetvalue(r, i, 0), NULL, 10));
		if (b >= 0)
			vals[b] = num(r, i, col);
	}
}

/* Writes all of data to a temp file beside path, then renames it over
 * path. The temp file is created before any query (fd_out), so an
 * unwritable destination fails fast. */
static int open_temp(const char *path, char *tmp, size_t len)
{
	const char *slash = strrchr(path, '/');
	if (slash)
		snprintf(tmp, len, "%.*s/.%s.XXXXXX", (int)(slash - path), path, slash + 1);
	else
		snprintf(tmp, len, ".%s.XXXXXX", path);
	int fd = mkstemp(tmp);
	if (fd < 0) {
		fprintf(stderr, "peakdesk report: cannot write %s: %s\n", path, strerror(errno));
		return -1;
	}
	return fd;
}

static int write_all(int fd, const char *tmp, const char *path, const char *data, size_t n)
{
	for (size_t off = 0; off < n;) {
		ssize_t w = write(fd, data + off, n - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			goto fail;
		off += (size_t)w;
	}
	if (fchmod(fd, 0644) != 0 || fsync(fd) != 0)
		goto fail;
	if (close(fd) != 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) != 0)
		goto fail;
	return 0;
fail:
	fprintf(stderr, "peakdesk report: cannot write %s: %s\n", path, strerror(errno));
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return -1;
}

/* ---- the queries: one per chart, all on the window [$1, $2) ------------------ */

/* Customer messages per bucket ($3 = 'hour' or 'day', in the session's zone). */
static const char SQL_MESSAGES[] =
	"SELECT extract(epoch FROM date_trunc($3, at))::bigint, count(*) FROM router.ticket_messages "
	"WHERE direction = 'in' AND at >= $1 AND at < $2 GROUP BY 1";
/* Tickets opened per bucket: the consultations the forecast predicts. */
static const char SQL_TICKETS[] =
	"SELECT extract(epoch FROM date_trunc($3, created_at))::bigint, count(*) FROM router.tickets "
	"WHERE created_at >= $1 AND created_at < $2 GROUP BY 1";
static const char SQL_FORECAST[] =
	"SELECT extract(epoch FROM date_trunc($3, hour_start))::bigint, sum(expected_consultations) "
	"FROM promo.forecast_hours WHERE campaign_id = $4 AND group_name = '' AND hour_start >= $1 AND hour_start < $2 "
	"GROUP BY 1";
/* First response percentiles of the tickets opened in each bucket (one sort
 * per bucket for the three). */
static const char SQL_FRT[] =
	"SELECT extract(epoch FROM date_trunc($3, created_at))::bigint, "
	"percentile_cont(ARRAY[0.5, 0.9, 0.99]) WITHIN GROUP (ORDER BY extract(epoch FROM first_response_at - created_at)) "
	"FROM router.tickets WHERE created_at >= $1 AND created_at < $2 AND first_response_at IS NOT NULL GROUP BY 1";
static const char SQL_BREACHES[] =
	"SELECT extract(epoch FROM date_trunc($3, breached_at))::bigint, count(*) FROM router.sla_breaches "
	"WHERE breached_at >= $1 AND breached_at < $2 GROUP BY 1";
/* The tiles: tickets, complaints, first response p50/p90, tickets with a
 * breach, orders placed. */
static const char SQL_KPIS[] =
	"SELECT count(*), count(*) FILTER (WHERE category = 'complaint' OR 'complaint' = ANY (tags)), "
	"percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY extract(epoch FROM first_response_at - created_at)), "
	"count(*) FILTER (WHERE ticket_id IN (SELECT ticket_id FROM router.sla_breaches)), "
	"(SELECT count(*) FROM logistics.orders WHERE ordered_at >= $1 AND ordered_at < $2), "
	"count(*) FILTER (WHERE sla_campaign_id = $3) "
	"FROM router.tickets WHERE created_at >= $1 AND created_at < $2";
/* Why customers complained: the classification tags of complaint and
 * after-sale tickets, without the tags that say nothing about the reason
 * (as analytics.sku_feedback). */
static const char SQL_REASONS[] =
	"SELECT tag, count(*) FROM router.tickets t, unnest(t.tags) AS tag "
	"WHERE t.created_at >= $1 AND t.created_at < $2 "
	"AND (t.category IN ('complaint', 'after-sale') OR 'complaint' = ANY (t.tags)) "
	"AND tag NOT IN ('complaint', 'order-number', 'general', 'unclassified', 'negative', 'wants-human', 'rush', 'vip') "
	"GROUP BY tag ORDER BY 2 DESC, 1 LIMIT 12";
/* Surveys of the window's tickets: sent, answered, CSAT 4-5, NPS promoters
 * and detractors, then the count of each CSAT score 1..5 and NPS 0..10. */
#define SCORE(col, v) "count(*) FILTER (WHERE r." col " = " #v "), "
static const char SQL_SURVEY[] =
	"SELECT count(*) FILTER (WHERE i.sent_at IS NOT NULL OR r.invitation_id IS NOT NULL), count(r.invitation_id), "
	"count(r.csat), count(*) FILTER (WHERE r.csat >= 4), count(r.nps), count(*) FILTER (WHERE r.nps >= 9), "
	"count(*) FILTER (WHERE r.nps <= 6), "
	SCORE("csat", 1) SCORE("csat", 2) SCORE("csat", 3) SCORE("csat", 4) SCORE("csat", 5)
	SCORE("nps", 0) SCORE("nps", 1) SCORE("nps", 2) SCORE("nps", 3) SCORE("nps", 4) SCORE("nps", 5)
	SCORE("nps", 6) SCORE("nps", 7) SCORE("nps", 8) SCORE("nps", 9) "count(*) FILTER (WHERE r.nps = 10) "
	"FROM survey.invitations i JOIN router.tickets t ON t.ticket_id = i.ticket_id "
	"LEFT JOIN survey.responses r ON r.invitation_id = i.invitation_id "
	"WHERE t.created_at >= $1 AND t.created_at < $2";
#define SURVEY_DIST 7 /* first column of the score counts */
/* Proactive notices sent in the window by kind (delay, stockout,
 * restocked), and how many of those customers then opened a complaint
 * ticket, or any ticket, within the window and the 7 days after it. */
static const char SQL_NOTICES[] =
	"WITH later AS (SELECT account, external_user_id, max(created_at) AS last_any, "
	"  max(created_at) FILTER (WHERE category = 'complaint' OR 'complaint' = ANY (tags)) AS last_complaint "
	"  FROM router.tickets WHERE created_at >= $1 AND created_at < $2::timestamptz + interval '7 days' "
	"  GROUP BY 1, 2) "
	"SELECT split_part(n.kind, ':', 1), count(*), count(*) FILTER (WHERE l.last_complaint > n.sent_at), "
	"count(*) FILTER (WHERE l.last_any > n.sent_at) "
	"FROM router.proactive_notices n LEFT JOIN later l USING (account, external_user_id) "
	"WHERE n.sent_at >= $1 AND n.sent_at < $2 GROUP BY 1 ORDER BY 2 DESC, 1";
/* SKUs of the orders named in complaint and after-sale tickets (as
 * analytics.sku_feedback): distinct tickets per SKU. */
static const char SQL_SKUS[] =
	"SELECT i.sku, coalesce(max(nullif(s.name, '')), max(i.name), ''), count(DISTINCT t.ticket_id) "
	"FROM router.tickets t JOIN router.ticket_refs r ON r.ticket_id = t.ticket_id AND r.kind = 'order' "
	"JOIN logistics.order_items i ON i.order_id = r.value LEFT JOIN stock.skus s ON s.sku = i.sku "
	"WHERE t.created_at >= $1 AND t.created_at < $2 AND (t.category IN ('complaint', 'after-sale') OR 'complaint' = ANY (t.tags)) "
	"GROUP BY i.sku ORDER BY 3 DESC, 1 LIMIT 10";

enum { R_CAMPAIGN, R_WINDOW, R_BUCKETS, R_MESSAGES, R_TICKETS, R_FORECAST, R_FRT, R_BREACHES, R_KPIS, R_REASONS,
       R_SURVEY, R_NOTICES, R_SKUS, R_COUNT };

int cmd_report(int argc, char **argv)
{
	const char *campaign = NULL, *out = NULL, *day = NULL, *tz = "UTC";
	int jobs = 3;
	if (cli_wants_help(argc, argv)) {
		usage(stdout);
		return 0;
	}
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--campaign") == 0 && i + 1 < argc) campaign = argv[++i];
		else if (strcmp(argv[i], "--out") == 0 && i + 1 < argc) out = argv[++i];
		else if (strcmp(argv[i], "--day") == 0 && i + 1 < argc) day = argv[++i];
		else if (strcmp(argv[i], "--tz") == 0 && i + 1 < argc) tz = argv[++i];
		else if (strcmp(argv[i], "--jobs") == 0 && i + 1 < argc) jobs = atoi(argv[++i]);
		else {
			fprintf(stderr, "peakdesk report: unknown option %s\n", argv[i]);
			usage(stderr);
			return 2;
		}
	}
	if (!campaign || !out || !*out) {
		fprintf(stderr, "peakdesk report: --campaign and --out are required\n");
		usage(stderr);
		return 2;
	}
	if (jobs < 1 || jobs > MAX_JOBS) {
		fprintf(stderr, "peakdesk report: --jobs must be 1 to %d\n", MAX_JOBS);
		return 2;
	}
	int y, m, d;
	char tail;
	if (day && (strlen(day) != 10 || sscanf(day, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3 || m < 1 || m > 12 ||
		    d < 1 || d > 31)) {
		fprintf(stderr, "peakdesk report: --day must be a date as YYYY-MM-DD, not \"%s\"\n", day);
		return 2;
	}
	double t_start = now_ms();
	char tmp[4096];
	if (strlen(out) > sizeof(tmp) - 16) {
		fprintf(stderr, "peakdesk report: --out: path too long\n");
		return 2;
	}
	int fd = open_temp(out, tmp, sizeof(tmp));
	if (fd < 0)
		return 1;

	PGresult *res[R_COUNT] = { 0 };
	PGconn *conns[MAX_JOBS] = { 0 };
	int n_conns = 1;
	pd_strbuf page = { 0 };
	int rc = 1;
	PGconn *c = cli_db("report");
	if (!c)
		goto done;
	if (!set_zone(c, tz)) {
		rc = 2;
		goto done;
	}
	/* one snapshot: the charts agree with each other and with the tiles */
	if (!exec_ok(c, "SET datestyle = ISO") || !exec_ok(c, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"))
		goto done;

	res[R_CAMPAIGN] = query(c, "campaign", "SELECT c.name, w.starts_at IS NOT NULL, "
					       "coalesce(w.starts_at, c.starts_at)::text, coalesce(w.ends_at, c.ends_at)::text "
					       "FROM promo.campaigns c LEFT JOIN promo.windows w "
					       "ON w.campaign_id = c.campaign_id AND w.kind = 'main_day' WHERE c.campaign_id = $1",
				1, (const char *[]){ campaign });
	if (!res[R_CAMPAIGN])
		goto done;
	if (PQntuples(res[R_CAMPAIGN]) == 0) {
		fprintf(stderr, "peakdesk report: no campaign \"%s\" (promo.campaigns has no such id; "
				"operations send campaigns to the promo service)\n", campaign);
		goto done;
	}
	const char *what_window = day ? "the day given" : *PQgetvalue(res[R_CAMPAIGN], 0, 1) == 't' ? "main day" : "campaign span";
	if (day)
		res[R_WINDOW] = query(c, "window",
				      "SELECT s::text, e::text, extract(epoch FROM e - s) / 3600, to_char(s, 'YYYY-MM-DD HH24:MI'), "
				      "to_char(e, 'YYYY-MM-DD HH24:MI'), to_char(now(), 'YYYY-MM-DD HH24:MI'), "
				      "current_setting('TimeZone') FROM (SELECT $1::date::timestamptz s, ($1::date + 1)::timestamptz e) x",
				      1, (const char *[]){ day });
	else
		res[R_WINDOW] = query(c, "window",
				      "SELECT s::text, e::text, extract(epoch FROM e - s) / 3600, to_char(s, 'YYYY-MM-DD HH24:MI'), "
				      "to_char(e, 'YYYY-MM-DD HH24:MI'), to_char(now(), 'YYYY-MM-DD HH24:MI'), "
				      "current_setting('TimeZone') FROM (SELECT $1::timestamptz s, $2::timestamptz e) x",
				      2, (const char *[]){ PQgetvalue(res[R_CAMPAIGN], 0, 2), PQgetvalue(res[R_CAMPAIGN], 0, 3) });
	if (!res[R_WINDOW])
		goto done;
	const PGresult *w = res[R_WINDOW];
	double hours = num(w, 0, 2);
	int hourly = hours <= HOURLY_UP_TO_HOURS;
	const char *unit = hourly ? "hour" : "day";
	if (!(hours > 0) || (!hourly && hours / 24 > MAX_BUCKETS)) {
		fprintf(stderr, "peakdesk report: the window %s .. %s is %s; give a day with --day\n", PQgetvalue(w, 0, 3),
			PQgetvalue(w, 0, 4), hours > 0 ? "too long for one page" : "empty");
		goto done;
	}
	const char *p[4] = { PQgetvalue(w, 0, 0), PQgetvalue(w, 0, 1), unit, campaign };
	/* the buckets of the charts, labelled in the session's zone */
	res[R_BUCKETS] = query(c, "buckets",
			       "SELECT extract(epoch FROM g)::bigint, to_char(g, $4) FROM generate_series(date_trunc($3, "
			       "$1::timestamptz), $2::timestamptz - interval '1 microsecond', ('1 ' || $3)::interval) g",
			       4, (const char *[]){ p[0], p[1], unit, !hourly ? "MM-DD" : hours > 24 ? "DD HH24h" : "HH24:00" });
	if (!res[R_BUCKETS])
		goto done;
	int nb = PQntuples(res[R_BUCKETS]);
	if (nb > MAX_BUCKETS)
		nb = MAX_BUCKETS;
	/* Biggest first: each connection takes the next as soon as it is free. */
	report_query qs[] = {
		{ hourly ? "customer messages per hour" : "customer messages per day", SQL_MESSAGES, 3, { 0 }, &res[R_MESSAGES], 0 },
		{ "key figures", SQL_KPIS, 3, { 0 }, &res[R_KPIS], 0 },
		{ "top SKUs by complaints", SQL_SKUS, 2, { 0 }, &res[R_SKUS], 0 },
		{ "first response percentiles", SQL_FRT, 3, { 0 }, &res[R_FRT], 0 },
		{ "proactive notices", SQL_NOTICES, 2, { 0 }, &res[R_NOTICES], 0 },
		{ "surveys", SQL_SURVEY, 2, { 0 }, &res[R_SURVEY], 0 },
		{ hourly ? "tickets per hour" : "tickets per day", SQL_TICKETS, 3, { 0 }, &res[R_TICKETS], 0 },
		{ "complaint reasons", SQL_REASONS, 2, { 0 }, &res[R_REASONS], 0 },
		{ "SLA breaches", SQL_BREACHES, 3, { 0 }, &res[R_BREACHES], 0 },
		{ "forecast", SQL_FORECAST, 4, { 0 }, &res[R_FORECAST], 0 },
	};
	for (size_t i = 0; i < PD_ARRAY_LEN(qs); i++) {
		memcpy(qs[i].params, p, sizeof(p));
		if (qs[i].result == &res[R_KPIS])
			qs[i].params[2] = campaign; /* $3 there is the campaign */
	}
	conns[0] = c;
	if (jobs > 1) {
		/* the other connections read the same snapshot as this one */
		PGresult *snap = query(c, "snapshot", "SELECT pg_export_snapshot()", 0, NULL);
		for (int i = 1; snap && i < jobs; i++)
			if ((conns[n_conns] = helper(tz, PQgetvalue(snap, 0, 0))))
				n_conns++;
		PQclear(snap);
	}
	if (run_queries(conns, n_conns, qs, PD_ARRAY_LEN(qs)) != 0)
		goto done;
	exec_ok(c, "COMMIT");

	/* ---- figures --------------------------------------------------------- */
	long long *starts = calloc((size_t)nb + 1, sizeof(*starts));
	const char **labels = calloc((size_t)nb + 1, sizeof(*labels));
	double *vals = calloc((size_t)nb * 8 + 1, sizeof(double));
	if (!starts || !labels || !vals) {
		fprintf(stderr, "peakdesk report: out of memory\n");
		free(starts), free(labels), free(vals);
		goto done;
	}
	for (int i = 0; i < nb; i++) {
		starts[i] = strtoll(PQgetvalue(res[R_BUCKETS], i, 0), NULL, 10);
		labels[i] = PQgetvalue(res[R_BUCKETS], i, 1);
	}
	double *v_msgs = vals, *v_tickets = vals + nb, *v_fc = vals + 2 * nb, *v_p50 = vals + 3 * nb,
	       *v_p90 = vals + 4 * nb, *v_p99 = vals + 5 * nb, *v_breach = vals + 6 * nb;
	fill(res[R_MESSAGES], 1, starts, nb, v_msgs, 0);
	fill(res[R_TICKETS], 1, starts, nb, v_tickets, 0);
	fill(res[R_FORECAST], 1, starts, nb, v_fc, NAN);
	fill(res[R_BREACHES], 1, starts, nb, v_breach, 0);
	for (int i = 0; i < nb; i++)
		v_p50[i] = v_p90[i] = v_p99[i] = NAN;
	double frt_max = 0;
	for (int i = 0; i < PQntuples(res[R_FRT]); i++) {
		int b = bucket_of(starts, nb, strtoll(PQgetvalue(res[R_FRT], i, 0), NULL, 10));
		double a, bb, cc;
		if (b >= 0 && sscanf(PQgetvalue(res[R_FRT], i, 1), "{%lf,%lf,%lf}", &a, &bb, &cc) == 3) {
			v_p50[b] = a, v_p90[b] = bb, v_p99[b] = cc;
			if (cc > frt_max)
				frt_max = cc;
		}
	}
	int in_minutes = frt_max > 300;
	if (in_minutes)
		for (int i = 0; i < nb; i++)
			v_p50[i] /= 60, v_p90[i] /= 60, v_p99[i] /= 60;

	const PGresult *k = res[R_KPIS], *s = res[R_SURVEY], *n = res[R_NOTICES];
	rh_kpis kp = { .tickets = num(k, 0, 0), .frt_p50_s = NAN, .frt_p90_s = NAN };
	kp.messages = 0;
	for (int i = 0; i < PQntuples(res[R_MESSAGES]); i++)
		kp.messages += num(res[R_MESSAGES], i, 1);
	double p50, p90;
	if (!PQgetisnull(k, 0, 2) && sscanf(PQgetvalue(k, 0, 2), "{%lf,%lf}", &p50, &p90) == 2)
		kp.frt_p50_s = p50, kp.frt_p90_s = p90;
	kp.breach_rate = kp.tickets > 0 ? num(k, 0, 3) / kp.tickets : NAN;
	double orders = num(k, 0, 4);
	kp.complaints_per_k_orders = orders > 0 ? num(k, 0, 1) * 1000 / orders : NAN;
	double sent = num(s, 0, 0), answered = num(s, 0, 1), n_csat = num(s, 0, 2), n_nps = num(s, 0, 4);
	kp.response_rate = sent > 0 ? answered / sent : NAN;
	kp.csat_pct = n_csat > 0 ? num(s, 0, 3) / n_csat : NAN;
	kp.nps = n_nps > 0 ? 100 * (num(s, 0, 5) - num(s, 0, 6)) / n_nps : NAN;
	double csat_dist[5], nps_dist[11];
	static const char *const csat_labels[] = { "1", "2", "3", "4", "5" };
	static const char *const nps_labels[] = { "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10" };
	for (int i = 0; i < 5; i++)
		csat_dist[i] = n_csat > 0 ? num(s, 0, SURVEY_DIST + i) : NAN;
	for (int i = 0; i < 11; i++)
		nps_dist[i] = n_nps > 0 ? num(s, 0, SURVEY_DIST + 5 + i) : NAN;

	int nn = PQntuples(n);
	const char **notice_kinds = calloc((size_t)nn + 1, sizeof(char *));
	double *notice_vals = calloc((size_t)nn * 2 + 1, sizeof(double));
	double notices = 0, notice_complaints = 0, notice_wrote = 0;
	for (int i = 0; notice_kinds && notice_vals && i < nn; i++) {
		notice_kinds[i] = PQgetvalue(n, i, 0);
		notice_vals[i] = num(n, i, 1);
		notice_vals[nn + i] = num(n, i, 2);
		notices += num(n, i, 1);
		notice_complaints += num(n, i, 2);
		notice_wrote += num(n, i, 3);
	}
	kp.notices_sent = notices;
	kp.notice_complaint_share = notices > 0 ? notice_complaints / notices : NAN;

	const PGresult *rr = res[R_REASONS], *sk = res[R_SKUS];
	int nr = PQntuples(rr), ns = PQntuples(sk);
	const char **reason_labels = calloc((size_t)nr + 1, sizeof(char *));
	double *reason_vals = calloc((size_t)nr + 1, sizeof(double));
	const char **sku_labels = calloc((size_t)ns + 1, sizeof(char *));
	char **sku_owned = calloc((size_t)ns + 1, sizeof(char *));
	double *sku_vals = calloc((size_t)ns + 1, sizeof(double));
	for (int i = 0; reason_labels && reason_vals && i < nr; i++) {
		reason_labels[i] = PQgetvalue(rr, i, 0);
		reason_vals[i] = num(rr, i, 1);
	}
	for (int i = 0; sku_labels && sku_owned && sku_vals && i < ns; i++) {
		const char *code = PQgetvalue(sk, i, 0), *name = PQgetvalue(sk, i, 1);
		size_t len = strlen(code) + strlen(name) + 8;
		sku_owned[i] = malloc(len);
		if (sku_owned[i])
			snprintf(sku_owned[i], len, *name ? "%s %s" : "%s", code, name);
		sku_labels[i] = sku_owned[i] ? sku_owned[i] : code;
		sku_vals[i] = num(sk, i, 2);
	}

	char window_text[256], volume_caption[512], frt_caption[256], survey_caption[256], notice_caption[512];
	char off[16];
	snprintf(window_text, sizeof(window_text), "%s \xE2\x80\x93 %s (%s, time zone %s%s)", PQgetvalue(w, 0, 3),
		 PQgetvalue(w, 0, 4), what_window, parse_offset(tz, off, sizeof(off)) ? "UTC" : "",
		 parse_offset(tz, off, sizeof(off)) ? off : tz);
	double fc_total = 0;
	int fc_hours = 0;
	for (int i = 0; i < nb; i++)
		if (!isnan(v_fc[i]))
			fc_total += v_fc[i], fc_hours++;
	if (fc_hours > 0)
		snprintf(volume_caption, sizeof(volume_caption),
			 "Tickets opened per %s (bars) against the consultations the staffing forecast expected "
			 "(line; %.0f in all, %.0f tickets came).", unit, fc_total, kp.tickets);
	else
		snprintf(volume_caption, sizeof(volume_caption),
			 "Tickets opened per %s (bars). The campaign has no staffing forecast for this window, so there is "
			 "no line to compare with.", unit);
	snprintf(frt_caption, sizeof(frt_caption),
		 "Time from a ticket's creation to its first agent reply, by the %s the ticket was opened, in %s: "
		 "the median (p50), p90 and p99.", unit, in_minutes ? "minutes" : "seconds");
	snprintf(survey_caption, sizeof(survey_caption),
		 "Satisfaction surveys of the window's tickets: %.0f sent, %.0f answered.", isnan(sent) ? 0 : sent,
		 isnan(answered) ? 0 : answered);
	snprintf(notice_caption, sizeof(notice_caption),
		 "Customers told about a delay or a stock-out before they asked: notices sent by kind, and how many "
		 "of those customers opened a complaint ticket afterwards (red; within the window and 7 days after). "
		 "%.0f of %.0f wrote in again about anything.", notice_wrote, notices);

	rs_series s_tickets = { "tickets opened", v_tickets, "#4e79a7" }, s_fc = { "forecast", v_fc, "#f28e2b" };
	rs_series s_msgs = { "customer messages", v_msgs, "#76b7b2" }, s_breach = { "breaches", v_breach, "#e15759" };
	rs_series s_frt[] = { { "p50", v_p50, "#59a14f" }, { "p90", v_p90, "#f28e2b" }, { "p99", v_p99, "#e15759" } };
	rs_series s_reasons = { "tickets", reason_vals, "#b07aa1" }, s_notices = { "sent", notice_vals, "#4e79a7" };
	rs_series s_skus = { "tickets", sku_vals, "#e15759" };
	rs_series s_csat = { "answers", csat_dist, "#59a14f" }, s_nps = { "answers", nps_dist, "#4e79a7" };
	const char *per = hourly ? "per hour" : "per day";
	char t_volume[96], t_msgs[96], t_frt[96], t_breach[96];
	snprintf(t_volume, sizeof(t_volume), "Tickets %s vs forecast", per);
	snprintf(t_msgs, sizeof(t_msgs), "Customer messages %s", per);
	snprintf(t_frt, sizeof(t_frt), "First response time %s (p50, p90, p99)", per);
	snprintf(t_breach, sizeof(t_breach), "SLA breaches %s", per);
	rh_figure figs[] = {
		{ RH_BARS, volume_caption,
		  "Bars above the line: more customers came than the agents were planned for; the response times below "
		  "show whether it hurt.",
		  { .id = "chart-volume", .title = t_volume, .unit = "tickets", .y_label = "tickets", .n = (size_t)nb,
		    .labels = labels, .bars = &s_tickets, .lines = &s_fc, .n_lines = 1 } },
		{ RH_BARS, "Messages customers sent (direction in), by when they arrived.",
		  "Several messages make one ticket; a high ratio means customers chased or explained at length.",
		  { .id = "chart-messages", .title = t_msgs, .unit = "messages", .y_label = "messages", .n = (size_t)nb,
		    .labels = labels, .bars = &s_msgs } },
		{ RH_LINES, frt_caption,
		  "The p90 line is the wait one customer in ten had at least; gaps are hours without an answered ticket.",
		  { .id = "chart-frt", .title = t_frt, .unit = in_minutes ? "min" : "s",
		    .y_label = in_minutes ? "minutes" : "seconds", .n = (size_t)nb, .labels = labels, .lines = s_frt,
		    .n_lines = 3, .decimals = 1 } },
		{ RH_BARS, "SLA deadlines missed (first response, next response, resolution), by when they were missed.",
		  "Each bar counts one missed deadline at one tier; a ticket escalated twice counts twice.",
		  { .id = "chart-breaches", .title = t_breach, .unit = "breaches", .y_label = "breaches", .n = (size_t)nb,
		    .labels = labels, .bars = &s_breach } },
		{ RH_HBARS, "The router's classification tags of complaint and after-sale tickets (a ticket can have several).",
		  "Longest bar first: the reason to fix first.",
		  { .id = "chart-reasons", .title = "Complaint and after-sale reasons", .unit = "tickets", .n = (size_t)nr,
		    .labels = reason_labels, .bars = &s_reasons } },
		{ RH_BARS, survey_caption, "CSAT counts 4 and 5 as satisfied.",
		  { .id = "chart-csat", .title = "CSAT answers (1\xE2\x80\x93" "5)", .unit = "answers", .y_label = "answers",
		    .n = 5, .labels = csat_labels, .bars = &s_csat } },
		{ RH_BARS, "Likelihood to recommend (0\xE2\x80\x93" "10) of the same surveys.",
		  "NPS = share of 9\xE2\x80\x93" "10 (promoters) minus share of 0\xE2\x80\x93" "6 (detractors), in points.",
		  { .id = "chart-nps", .title = "NPS answers (0\xE2\x80\x93" "10)", .unit = "answers", .y_label = "answers",
		    .n = 11, .labels = nps_labels, .bars = &s_nps } },
		{ RH_HBARS, notice_caption, "A short red part means the notice headed the complaint off.",
		  { .id = "chart-proactive", .title = "Proactive care outcomes", .unit = "customers", .n = (size_t)nn,
		    .labels = notice_kinds, .bars = &s_notices, .parts = notice_vals + nn,
		    .part_name = "followed by a complaint" } },
		{ RH_HBARS, "SKUs in the orders named by complaint and after-sale tickets: distinct tickets per SKU.",
		  "The supply department's list: see analytics.sku_feedback for the reasons per SKU.",
		  { .id = "chart-skus", .title = "Top SKUs by complaints", .unit = "tickets", .n = (size_t)ns,
		    .labels = sku_labels, .bars = &s_skus } },
	};
	char title[512];
	snprintf(title, sizeof(title), "Promo-day report: %s", PQgetvalue(res[R_CAMPAIGN], 0, 0));
	rh_page pg = {
		.title = title,
		.campaign_id = campaign,
		.campaign_name = PQgetvalue(res[R_CAMPAIGN], 0, 0),
		.window = window_text,
		.generated = PQgetvalue(w, 0, 5),
		.how_to_read = "Tiles sum up the window; each chart says what it counts. Hover a bar or a point for its "
			       "exact value. Times are in the zone shown above.",
		.kpis = kp,
		.figures = figs,
		.n_figures = PD_ARRAY_LEN(figs),
		.sources = "Numbers come straight from the service tables (router.tickets, router.ticket_messages, "
			   "router.sla_breaches, router.proactive_notices, promo.forecast_hours, survey.invitations and "
			   "survey.responses, logistics.orders and order_items), read in one snapshot.",
	};
	rh_render(&page, &pg);

	for (int i = 0; sku_owned && i < ns; i++)
		free(sku_owned[i]);
	free(sku_owned), free(sku_labels), free(sku_vals), free(reason_labels), free(reason_vals);
	free(notice_kinds), free(notice_vals), free(starts), free(labels), free(vals);

	int wfd = fd;
	fd = -1; /* write_all closes it */
	if (write_all(wfd, tmp, out, page.s, page.len) != 0)
		goto done;
	fprintf(stderr, "peakdesk report: wrote %zu bytes, %zu charts, in %.0f ms\n", page.len, PD_ARRAY_LEN(figs),
		now_ms() - t_start);
	printf("%s\n", out);
	rc = 0;
done:
	if (fd >= 0) {
		close(fd);
		unlink(tmp);
	}
	for (int i = 0; i < R_COUNT; i++)
		PQclear(res[i]);
	pd_sb_free(&page);
	for (int i = 1; i < n_conns; i++)
		PQfinish(conns[i]);
	if (c)
		PQfinish(c);
	return rc;
}
