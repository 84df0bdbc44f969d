/* bench_bus_sub: the consuming half of the bus benchmark. Runs a real
 * pd_consumer (own libevent loop, SUB through NNG_OPT_RECVFD, offsets in
 * bus.offsets advanced in the consumer's transaction) as "bench-bus" on the
 * publisher bench_bus_pub starts, and measures, per event,
 *     latency = time after the consumer's COMMIT (after_batch)
 *               - submit time at the publisher (trace_id "bench:<unix us>",
 *                 else produced_at_ms).
 * The apply itself does no SQL: the figure is the bus machinery (publisher
 * queue + outbox commit + PUB/SUB + consumer batch + offsets commit), not a
 * service's own work. It also checks nothing was lost: exactly --expect
 * events of the publisher, seqs contiguous, none twice.
 *
 *   bench_bus_sub --expect N [--sub ipc://...] [--publisher logistics-bench]
 *                 [--rate R] [--idle-seconds 15] [--label bus]
 *                 [--ready-file PATH]
 *                 [--raw-p50-us X --raw-p99-us Y]                 (fixed rate)
 *                 [--raw-flood-rate F --raw-flood-lost-pct P]      (flat out)
 * The --raw-* figures come from bench_nng_raw in the same run and are only
 * printed beside ours. Creates --ready-file once the consumer runs; exits
 * when N events are committed or nothing new arrived for --idle-seconds.
 * Summary on stdout, last line "RESULT <label> key=value ..." (spaces in the
 * label become '_'). Exit 1 when events were lost, duplicated or reordered. */
#include <event2/event.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"
#include "config.h"
#include "consumer.h"
#include "log.h"
#include "loop.h"
#include "metrics.h"

struct sub {
	const char *publisher;
	uint64_t expect;
	struct event_base *base;
	/* Writer thread only. */
	uint64_t *st_seq;
	int64_t *st_us;
	size_t st_n, st_cap;
	uint64_t last_seq, gaps, dups;
	int64_t first_sent_us, last_commit_us;
	bench_samples lat;
	/* Read by the loop thread. */
	atomic_ullong count;
	atomic_ullong failed_batches;
};

static int sub_apply(pd_txn *tx, const Peakdesk__V1__Envelope *env, void *arg, pd_errbuf *eb)
{
	struct sub *s = arg;
	if (!env->publisher || strcmp(env->publisher, s->publisher) != 0)
		return PD_OK;
	/* A batch re-run after a rollback applies its events again from the
	 * start: forget what the failed attempt staged. */
	while (s->st_n > 0 && s->st_seq[s->st_n - 1] >= env->seq)
		s->st_n--;
	if (s->st_n == s->st_cap) {
		s->st_cap = s->st_cap ? s->st_cap * 2 : 8192;
		s->st_seq = pd_xrealloc(s->st_seq, s->st_cap * sizeof(*s->st_seq));
		s->st_us = pd_xrealloc(s->st_us, s->st_cap * sizeof(*s->st_us));
	}
	int64_t us = bench_trace_us(env->trace_id);
	s->st_seq[s->st_n] = env->seq;
	s->st_us[s->st_n++] = us ? us : env->produced_at_ms * 1000;
	return PD_OK;
}

static void sub_after_batch(void *arg, int err)
{
	struct sub *s = arg;
	if (err != PD_OK) {
		/* Nothing committed; the consumer reads these again from the outbox. */
		s->st_n = 0;
		atomic_fetch_add(&s->failed_batches, 1);
		return;
	}
	int64_t now = bench_real_us();
	for (size_t i = 0; i < s->st_n; i++) {
		uint64_t seq = s->st_seq[i];
		if (s->last_seq && seq <= s->last_seq)
			s->dups++;
		else if (s->last_seq && seq != s->last_seq + 1)
			s->gaps += seq - s->last_seq - 1;
		if (seq > s->last_seq)
			s->last_seq = seq;
		bench_samples_add(&s->lat, now - s->st_us[i]);
		if (!s->first_sent_us || s->st_us[i] < s->first_sent_us)
			s->first_sent_us = s->st_us[i];
		s->last_commit_us = now;
	}
	if (s->st_n)
		atomic_fetch_add(&s->count, s->st_n);
	s->st_n = 0;
}

struct watch {
	struct sub *s;
	int64_t started_ns, last_change_ns, next_report_ns;
	uint64_t last_count;
	double idle_s;
	int timed_out;
};

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct watch *w = arg;
	int64_t now = bench_mono_ns();
	uint64_t n = atomic_load(&w->s->count);
	if (n != w->last_count) {
		w->last_count = n;
		w->last_change_ns = now;
	}
	if (now >= w->next_report_ns) {
		bench_progress("  %s consumer: %llu of %llu committed", w->s->publisher, (unsigned long long)n,
			       (unsigned long long)w->s->expect);
		w->next_report_ns += 1000000000;
	}
	if (n >= w->s->expect) {
		event_base_loopbreak(w->s->base);
	} else if (n > 0 && (double)(now - w->last_change_ns) / 1e9 > w->idle_s) {
		w->timed_out = 1;
		event_base_loopbreak(w->s->base);
	} else if (n == 0 && (double)(now - w->started_ns) / 1e9 > 4 * w->idle_s) {
		w->timed_out = 1;
		event_base_loopbreak(w->s->base);
	}
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	event_base_loopbreak(arg);
}

int main(int argc, char **argv)
{
	static struct sub s;
	s.expect = (uint64_t)atoll(bench_opt(argc, argv, "--expect", "0"));
	s.publisher = bench_opt(argc, argv, "--publisher", "logistics-bench");
	double rate = atof(bench_opt(argc, argv, "--rate", "0"));
	double idle_s = atof(bench_opt(argc, argv, "--idle-seconds", "15"));
	const char *label = bench_opt(argc, argv, "--label", "bus");
	double raw_p50 = atof(bench_opt(argc, argv, "--raw-p50-us", "-1"));
	double raw_p99 = atof(bench_opt(argc, argv, "--raw-p99-us", "-1"));
	double raw_flood = atof(bench_opt(argc, argv, "--raw-flood-rate", "-1"));
	double raw_flood_lost = atof(bench_opt(argc, argv, "--raw-flood-lost-pct", "-1"));
	const char *ready_file = bench_opt(argc, argv, "--ready-file", NULL);
	char run_dir[PD_CFG_STR], defaddr[PD_CFG_STR + 32];
	pd_config_run_dir(run_dir, sizeof(run_dir));
	snprintf(defaddr, sizeof(defaddr), "ipc://%s/bench-bus.pub", run_dir);
	const char *addr = bench_opt(argc, argv, "--sub", defaddr);
	const char *conninfo = getenv("PEAKDESK_DB");
	if (!conninfo || !*conninfo || s.expect == 0 || idle_s <= 0) {
		fprintf(stderr, "usage: bench_bus_sub --expect N [--sub ADDR] [--publisher NAME] [--rate R] "
				"[--idle-seconds S] [--label L]   (PEAKDESK_DB must be set)\n");
		return 2;
	}
	pd_log_init("cli", "bench-bus", "warn", "logfmt");
	signal(SIGPIPE, SIG_IGN);
	pd_loop_global_init();
	s.base = event_base_new();
	pd_loop_init(s.base);
	pd_bus *bus;
	pd_errbuf eb = {{0}};
	pd_bus_options bo = {.service = "cli", .conninfo = conninfo, .role = "peakdesk_cli"};
	if (pd_bus_open(&bus, &bo, &eb) != PD_OK) {
		fprintf(stderr, "bench_bus_sub: %s\n", eb.msg);
		return 1;
	}
	const char *addrs[2] = {addr, NULL};
	const char *prefixes[2] = {"logistics.", NULL};
	pd_consumer_options co = {.name = "bench-bus", .pub_addrs = addrs, .prefixes = prefixes};
	pd_consumer_ops ops = {.apply = sub_apply, .after_batch = sub_after_batch};
	pd_consumer *c = pd_consumer_start(bus, s.base, &co, &ops, &s, &eb);
	if (!c) {
		fprintf(stderr, "bench_bus_sub: %s\n", eb.msg);
		return 1;
	}
	struct watch w = {.s = &s, .idle_s = idle_s};
	w.started_ns = w.last_change_ns = bench_mono_ns();
	w.next_report_ns = w.started_ns + 1000000000;
	struct event *tick = event_new(s.base, -1, EV_PERSIST, on_tick, &w);
	struct timeval tv = {0, 100000};
	event_add(tick, &tv);
	struct event *sterm = evsignal_new(s.base, SIGTERM, on_signal, s.base);
	struct event *sint = evsignal_new(s.base, SIGINT, on_signal, s.base);
	event_add(sterm, NULL);
	event_add(sint, NULL);
	if (ready_file) {
		FILE *f = fopen(ready_file, "w");
		if (f)
			fclose(f);
	}
	event_base_dispatch(s.base);
	pd_consumer_stop(c);
	pd_bus_close(bus);
	/* The consumer's own counters (same name and labels: the same metric). */
	const char *lbl = "consumer=\"bench-bus\"";
	uint64_t via_nng = (uint64_t)pd_metric_value(pd_counter("peakdesk_consumer_events_applied_total", "", lbl));
	uint64_t via_outbox = (uint64_t)pd_metric_value(pd_counter("peakdesk_consumer_events_caught_up_total", "", lbl));
	uint64_t batches = (uint64_t)pd_metric_value(pd_counter("peakdesk_bus_batches_total", "", NULL));
	event_free(tick);
	event_free(sterm);
	event_free(sint);
	pd_loop_shutdown();
	event_base_free(s.base);

	uint64_t n = atomic_load(&s.count);
	uint64_t lost = n < s.expect ? s.expect - n : 0;
	bench_samples_sort(&s.lat);
	double secs = s.last_commit_us > s.first_sent_us ? (double)(s.last_commit_us - s.first_sent_us) / 1e6 : 0;
	double eps = secs > 0 ? (double)n / secs : 0;
	double p50 = (double)bench_pct(&s.lat, 50) / 1000, p99 = (double)bench_pct(&s.lat, 99) / 1000;
	double pmax = (double)bench_pct(&s.lat, 100) / 1000;
	char a[32], b[32], d[32];
	char raw[200] = "";
	char rlabel[64];
	snprintf(rlabel, sizeof(rlabel), "%s", label);
	for (char *p = rlabel; *p; p++)
		if (*p == ' ')
			*p = '_';
	if (rate > 0) {
		if (raw_p50 >= 0)
			snprintf(raw, sizeof(raw), " (raw NNG p50 %.2f ms p99 %.2f ms)", raw_p50 / 1000, raw_p99 / 1000);
		printf("%s: %s ev/s offered, %s committed, p50 %.1f ms p99 %.1f ms max %.1f ms%s; lost %llu\n", label,
		       bench_commas(rate, a, sizeof(a)), bench_commas(eps, b, sizeof(b)), p50, p99, pmax, raw,
		       (unsigned long long)lost);
	} else {
		if (raw_flood > 0)
			snprintf(raw, sizeof(raw), " (raw NNG flood: %s msg/s reach a SUB, %.1f%% lost)",
				 bench_commas(raw_flood, d, sizeof(d)), raw_flood_lost);
		printf("%s: %s events committed end-to-end at %s ev/s, lost %llu%s; p50 %.0f ms p99 %.0f ms (queue-bound)\n",
		       label, bench_commas((double)n, a, sizeof(a)), bench_commas(eps, b, sizeof(b)),
		       (unsigned long long)lost, raw, p50, p99);
	}
	printf("%s: %s events arrived over NNG, %s were read back from bus.outbox (NNG dropped them), in %s consumer "
	       "transactions\n",
	       label, bench_commas((double)via_nng, a, sizeof(a)), bench_commas((double)via_outbox, b, sizeof(b)),
	       bench_commas((double)batches, d, sizeof(d)));
	if (s.gaps || s.dups || lost || w.timed_out)
		printf("%s: CHECK FAILED: %llu of %llu events committed, %llu missing inside the seq range, %llu twice%s\n",
		       label, (unsigned long long)n, (unsigned long long)s.expect, (unsigned long long)s.gaps,
		       (unsigned long long)s.dups, w.timed_out ? ", gave up waiting" : "");
	printf("RESULT %s rate=%.0f expect=%llu committed=%llu lost=%llu gaps=%llu dups=%llu last_seq=%llu "
	       "failed_batches=%llu eps=%.0f p50_us=%lld p99_us=%lld max_us=%lld via_nng=%llu via_outbox=%llu "
	       "consumer_txns=%llu\n",
	       rlabel, rate, (unsigned long long)s.expect, (unsigned long long)n, (unsigned long long)lost,
	       (unsigned long long)s.gaps, (unsigned long long)s.dups, (unsigned long long)s.last_seq,
	       (unsigned long long)atomic_load(&s.failed_batches), eps, (long long)bench_pct(&s.lat, 50),
	       (long long)bench_pct(&s.lat, 99), (long long)bench_pct(&s.lat, 100),
	       (unsigned long long)via_nng, (unsigned long long)via_outbox, (unsigned long long)batches);
	bench_samples_free(&s.lat);
	free(s.st_seq);
	free(s.st_us);
	return s.gaps || s.dups || lost ? 1 : 0;
}
