/* bench_commit_raw: the raw database baseline for the bus latency. Times N
 * single-statement durable commits on the benchmark's PostgreSQL (the same
 * one-row upsert into bus.offsets a consumer makes per batch, autocommit).
 * A bus event crosses at least two such commits in series (the publisher's
 * outbox transaction, then the consumer's offsets transaction), so twice
 * this p50 is the floor under the bus latency on this machine's disk.
 *
 *   bench_commit_raw [--commits N]
 * Environment: PEAKDESK_DB. Summary on stdout, the last line
 * "RESULT commit_raw key=value ...". */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"

static void die(PGconn *c, const char *what)
{
	fprintf(stderr, "bench_commit_raw: %s: %s\n", what, PQerrorMessage(c));
	exit(1);
}

static void show(PGconn *c, const char *name, char *out, size_t len)
{
	char sql[64];
	snprintf(sql, sizeof(sql), "SHOW %s", name);
	PGresult *r = PQexec(c, sql);
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		die(c, sql);
	snprintf(out, len, "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
}

int main(int argc, char **argv)
{
	int n = atoi(bench_opt(argc, argv, "--commits", "300"));
	const char *conninfo = getenv("PEAKDESK_DB");
	if (!conninfo || !*conninfo || n < 10) {
		fprintf(stderr, "usage: bench_commit_raw [--commits N>=10]   (PEAKDESK_DB must be set)\n");
		return 2;
	}
	PGconn *c = PQconnectdb(conninfo);
	if (PQstatus(c) != CONNECTION_OK)
		die(c, "connect");
	char fsync_s[16], sync_s[16], method[32];
	show(c, "fsync", fsync_s, sizeof(fsync_s));
	show(c, "synchronous_commit", sync_s, sizeof(sync_s));
	show(c, "wal_sync_method", method, sizeof(method));
	const char *sql = "INSERT INTO bus.offsets(consumer, publisher, seq, updated_at) "
			  "VALUES ('bench-raw-commit', 'logistics-raw', $1, now()) "
			  "ON CONFLICT (consumer, publisher) DO UPDATE SET seq = excluded.seq, updated_at = now()";
	bench_samples lat = {0};
	for (int i = 1; i <= n; i++) {
		char seq[24];
		snprintf(seq, sizeof(seq), "%d", i);
		const char *v[1] = {seq};
		int64_t t0 = bench_mono_ns();
		PGresult *r = PQexecParams(c, sql, 1, NULL, v, NULL, NULL, 0);
		int64_t t1 = bench_mono_ns();
		if (PQresultStatus(r) != PGRES_COMMAND_OK)
			die(c, "upsert");
		PQclear(r);
		bench_samples_add(&lat, (t1 - t0) / 1000);
	}
	PGresult *r = PQexec(c, "DELETE FROM bus.offsets WHERE consumer = 'bench-raw-commit'");
	PQclear(r);
	PQfinish(c);
	bench_samples_sort(&lat);
	printf("raw commit: p50 %.2f ms p99 %.2f ms max %.2f ms per one-row durable commit (%d commits; fsync=%s "
	       "synchronous_commit=%s wal_sync_method=%s)\n",
	       (double)bench_pct(&lat, 50) / 1000, (double)bench_pct(&lat, 99) / 1000,
	       (double)bench_pct(&lat, 100) / 1000, n, fsync_s, sync_s, method);
	printf("RESULT commit_raw commits=%d p50_us=%lld p99_us=%lld max_us=%lld fsync=%s synchronous_commit=%s\n", n,
	       (long long)bench_pct(&lat, 50), (long long)bench_pct(&lat, 99), (long long)bench_pct(&lat, 100), fsync_s,
	       sync_s);
	bench_samples_free(&lat);
	return 0;
}
