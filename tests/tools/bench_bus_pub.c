/* bench_bus_pub: the publishing half of the bus benchmark. Opens a pd_bus as
 * service "logistics", instance "logistics-bench" (the outbox partition check
 * needs the "<service>-" prefix), with its own PUB address, and emits
 * logistics.shipment_updated events through the real writer: each job's
 * events go into bus.outbox in a group-committed transaction and out on PUB
 * after COMMIT.
 *
 *   fixed rate (--rate R --seconds T): every 1 ms tick the events due so far
 *     are submitted as one job (5 per tick at 5,000/s). produced_at_ms, and
 *     trace_id "bench:<unix us>", are set just before the submit, so the
 *     consumer's latency covers the publisher's queue and commit too.
 *   max (--rate 0 --events N): jobs of 100 events as fast as the writer
 *     takes them, at most --inflight events queued.
 * It also reports submit -> COMMIT of the publisher's own transaction.
 *
 *   bench_bus_pub [--rate R] [--seconds T] [--events N] [--inflight N]
 *                 [--pub ipc://...] [--instance logistics-bench] [--warmup-ms 1000]
 * Environment: PEAKDESK_DB, PEAKDESK_RUN_DIR. Progress on stderr; summary
 * on stdout, the last line "RESULT bus_pub key=value ...". */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"
#include "bus.h"
#include "config.h"
#include "ids.h"
#include "log.h"
#include "metrics.h"

struct pubjob {
	pd_job job;
	size_t n;
	int64_t submit_us;
	bench_shipment ev[];
};

static atomic_ullong n_committed, n_failed, n_done;
static bench_samples commit_lat; /* written on the writer thread only */
static char fail_msg[PD_ERRMSG_MAX];

static int job_apply(pd_txn *tx, pd_job *job)
{
	struct pubjob *j = (struct pubjob *)job;
	for (size_t i = 0; i < j->n; i++) {
		pd_errbuf eb = {{0}};
		j->ev[i].env.event_id.len = 0; /* a fresh id on every (re-)run */
		int rc = pd_txn_emit(tx, &j->ev[i].env, &eb);
		if (rc != PD_OK)
			return rc;
	}
	return PD_OK;
}

static void job_done(pd_job *job, int err, const pd_errbuf *eb)
{
	struct pubjob *j = (struct pubjob *)job;
	if (err == PD_OK) {
		atomic_fetch_add(&n_committed, j->n);
		bench_samples_add(&commit_lat, bench_real_us() - j->submit_us);
	} else {
		atomic_fetch_add(&n_failed, j->n);
		if (!fail_msg[0])
			snprintf(fail_msg, sizeof(fail_msg), "%s", eb && eb->msg[0] ? eb->msg : pd_strerror(err));
	}
	atomic_fetch_add(&n_done, j->n);
	free(j);
}

static uint64_t next_n;

static void submit(pd_bus *bus, size_t n)
{
	struct pubjob *j = pd_xcalloc(1, sizeof(*j) + n * sizeof(j->ev[0]));
	j->job.apply = job_apply;
	j->job.done = job_done;
	j->n = n;
	int64_t now = bench_real_us();
	for (size_t i = 0; i < n; i++)
		bench_shipment_fill(&j->ev[i], next_n++, now);
	j->submit_us = now;
	pd_bus_submit(bus, &j->job);
}

int main(int argc, char **argv)
{
	double rate = atof(bench_opt(argc, argv, "--rate", "5000"));
	double seconds = atof(bench_opt(argc, argv, "--seconds", "10"));
	uint64_t events = (uint64_t)atoll(bench_opt(argc, argv, "--events", "0"));
	uint64_t inflight = (uint64_t)atoll(bench_opt(argc, argv, "--inflight", "20000"));
	int warmup_ms = atoi(bench_opt(argc, argv, "--warmup-ms", "1000"));
	const char *instance = bench_opt(argc, argv, "--instance", "logistics-bench");
	char run_dir[PD_CFG_STR], defaddr[PD_CFG_STR + 32];
	pd_config_run_dir(run_dir, sizeof(run_dir));
	snprintf(defaddr, sizeof(defaddr), "ipc://%s/bench-bus.pub", run_dir);
	const char *addr = bench_opt(argc, argv, "--pub", defaddr);
	const char *conninfo = getenv("PEAKDESK_DB");
	uint64_t total = rate > 0 ? (uint64_t)(rate * seconds) : events;
	if (!conninfo || !*conninfo || rate < 0 || total == 0 || inflight < 100) {
		fprintf(stderr, "usage: bench_bus_pub [--rate R --seconds T | --rate 0 --events N] [--inflight N] "
				"[--pub ADDR] [--instance logistics-NAME]   (PEAKDESK_DB must be set)\n");
		return 2;
	}
	pd_log_init("logistics", instance, "warn", "logfmt");
	pd_bus *bus;
	pd_errbuf eb = {{0}};
	pd_bus_options bo = {
		.service = "logistics",
		.instance = instance,
		.conninfo = conninfo,
		.role = "peakdesk_logistics",
		.pub_addr = addr,
	};
	if (pd_bus_open(&bus, &bo, &eb) != PD_OK) {
		fprintf(stderr, "bench_bus_pub: %s\n", eb.msg);
		return 1;
	}
	uint64_t seq0 = pd_bus_last_seq(bus);
	bench_sleep_ms(warmup_ms); /* let the subscriber's dial land */

	if (rate > 0)
		bench_progress("  bus publisher %s: %.0f events/s for %.0f s from seq %llu", instance, rate, seconds,
			       (unsigned long long)seq0 + 1);
	else
		bench_progress("  bus publisher %s: %llu events as fast as the writer takes them (at most %llu queued) "
			       "from seq %llu", instance, (unsigned long long)total, (unsigned long long)inflight,
			       (unsigned long long)seq0 + 1);
	int64_t t0 = bench_mono_ns();
	uint64_t sent = 0;
	if (rate > 0) {
		for (int64_t tick = t0; sent < total; tick += 1000000) {
			bench_sleep_until_ns(tick);
			int64_t now = bench_mono_ns();
			uint64_t due = bench_due(now - t0, rate);
			if (due > total)
				due = total;
			while (sent < due) {
				size_t n = due - sent > 500 ? 500 : (size_t)(due - sent);
				submit(bus, n);
				sent += n;
			}
		}
	} else {
		while (sent < total) {
			if (sent - atomic_load(&n_done) + 100 > inflight) {
				bench_sleep_ms(1);
			} else {
				size_t n = total - sent > 100 ? 100 : (size_t)(total - sent);
				submit(bus, n);
				sent += n;
			}
		}
	}
	double submit_secs = (double)(bench_mono_ns() - t0) / 1e9;
	while (atomic_load(&n_done) < sent)
		bench_sleep_ms(1);
	double secs = (double)(bench_mono_ns() - t0) / 1e9;
	uint64_t seq1 = pd_bus_last_seq(bus);
	/* Keep PUB open a moment: the last frames and a heartbeat go out. */
	bench_sleep_ms(200);
	pd_bus_close(bus);

	uint64_t txns = (uint64_t)pd_metric_value(pd_counter("peakdesk_bus_batches_total", "", NULL));
	bench_samples_sort(&commit_lat);
	char a[32], b[32], c[32];
	printf("bus publisher: %s events committed to bus.outbox at %s ev/s; submit -> COMMIT per job p50 %.1f ms p99 "
	       "%.1f ms; %s transactions (%.1f events each)%s%s\n",
	       bench_commas((double)atomic_load(&n_committed), a, sizeof(a)),
	       bench_commas((double)atomic_load(&n_committed) / secs, b, sizeof(b)),
	       (double)bench_pct(&commit_lat, 50) / 1000, (double)bench_pct(&commit_lat, 99) / 1000,
	       bench_commas((double)txns, c, sizeof(c)), txns ? (double)atomic_load(&n_committed) / (double)txns : 0,
	       fail_msg[0] ? "; FAILED: " : "", fail_msg);
	printf("RESULT bus_pub rate=%.0f offered=%llu committed=%llu failed=%llu first_seq=%llu last_seq=%llu "
	       "submit_secs=%.3f secs=%.3f commit_p50_us=%lld commit_p99_us=%lld commit_max_us=%lld txns=%llu\n",
	       rate, (unsigned long long)total, (unsigned long long)atomic_load(&n_committed),
	       (unsigned long long)atomic_load(&n_failed), (unsigned long long)seq0 + 1, (unsigned long long)seq1,
	       submit_secs, secs, (long long)bench_pct(&commit_lat, 50), (long long)bench_pct(&commit_lat, 99),
	       (long long)bench_pct(&commit_lat, 100), (unsigned long long)txns);
	bench_samples_free(&commit_lat);
	return atomic_load(&n_failed) ? 1 : 0;
}
