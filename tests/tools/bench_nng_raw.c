/* bench_nng_raw: the raw NNG baseline for the bus benchmark. A PUB and a SUB
 * socket over ipc in one process (sender and receiver threads), carrying
 * frames of exactly the size the bus sends for the benchmark event
 * ("logistics.shipment_updated\0" + Envelope). Nothing is stored: this is
 * what the transport alone costs on this machine.
 *
 *   1. fixed rate: R messages/s for T seconds, sent in 1 ms ticks like
 *      bench_bus_pub; p50/p99/max of send -> receive and the drops.
 *   2. steps: 2R, 4R, ... up to --steps-max msg/s for --step-seconds each;
 *      the share lost at each rate.
 *   3. flood: N messages as fast as PUB takes them; send and receive rates
 *      and the share lost. NNG drops silently, at the PUB when a pipe's send
 *      queue is full and at the SUB when its receive queue is: that is why
 *      the bus has an outbox.
 * The sockets are set up as the bus's: PUB with NNG's defaults (or
 * NNG_OPT_SENDBUF from --pub-sendbuf, to try a deeper send queue), SUB with
 * receive buffer 8192, read through NNG_OPT_RECVFD + poll and drained
 * non-blocking (never timed receives).
 *
 *   bench_nng_raw [--addr ipc://...] [--rate R] [--seconds T] [--steps-max R2]
 *                 [--step-seconds S] [--max N] [--pub-sendbuf N]
 * Progress on stderr; summary lines on stdout, the last one
 * "RESULT nng_raw key=value ...". */
#include <nng/nng.h>
#include <nng/protocol/pubsub0/pub.h>
#include <nng/protocol/pubsub0/sub.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"
#include "bus.h"
#include "codec.h"
#include "config.h"

static nng_socket pub, sub;
static uint8_t *frame;
static size_t frame_len, hdr; /* hdr: bytes before the payload (topic + NUL) */
static atomic_int sending_done;
static uint64_t send_err;
static pthread_t th;

struct rx {
	uint64_t received, max_seq, out_of_order;
	int64_t first_ns, last_ns;
	bench_samples lat_us;
	int record;
};

static void die(const char *what, int rv)
{
	fprintf(stderr, "bench_nng_raw: %s: %s\n", what, nng_strerror(rv));
	exit(1);
}

static void *receiver(void *arg)
{
	struct rx *rx = arg;
	int fd, rv;
	if ((rv = nng_socket_get_int(sub, NNG_OPT_RECVFD, &fd)) != 0)
		die("recvfd", rv);
	int64_t quiet_since = 0;
	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		poll(&p, 1, 20);
		int got = 0;
		nng_msg *m;
		while (nng_recvmsg(sub, &m, NNG_FLAG_NONBLOCK) == 0) {
			int64_t now = bench_mono_ns();
			uint64_t seq;
			int64_t sent;
			if (nng_msg_len(m) >= hdr + 16) {
				memcpy(&seq, (uint8_t *)nng_msg_body(m) + hdr, 8);
				memcpy(&sent, (uint8_t *)nng_msg_body(m) + hdr + 8, 8);
				if (!rx->received)
					rx->first_ns = now;
				rx->last_ns = now;
				rx->received++;
				if (seq > rx->max_seq)
					rx->max_seq = seq;
				else
					rx->out_of_order++;
				if (rx->record)
					bench_samples_add(&rx->lat_us, (now - sent) / 1000);
			}
			nng_msg_free(m);
			got = 1;
		}
		int64_t now = bench_mono_ns();
		if (got || !atomic_load(&sending_done))
			quiet_since = now;
		else if (now - quiet_since > 300000000) /* 300 ms without traffic after the last send */
			break;
	}
	return NULL;
}

static int send_one(uint64_t seq)
{
	nng_msg *m;
	if (nng_msg_alloc(&m, 0) != 0)
		return -1;
	int64_t now = bench_mono_ns();
	/* Same bytes as the bus frame, with seq and send time over the first
	 * 16 payload bytes (the baseline does not decode). Append only. */
	if (nng_msg_append(m, frame, hdr) != 0 || nng_msg_append(m, &seq, 8) != 0 ||
	    nng_msg_append(m, &now, 8) != 0 || nng_msg_append(m, frame + hdr + 16, frame_len - hdr - 16) != 0) {
		nng_msg_free(m);
		return -1;
	}
	if (nng_sendmsg(pub, m, 0) != 0) {
		nng_msg_free(m);
		return -1;
	}
	return 0;
}

static void start_rx(pthread_t *t, struct rx *rx, int record)
{
	memset(rx, 0, sizeof(*rx));
	rx->record = record;
	atomic_store(&sending_done, 0);
	if (pthread_create(t, NULL, receiver, rx) != 0) {
		fprintf(stderr, "bench_nng_raw: cannot start thread\n");
		exit(1);
	}
}

/* Sends at a fixed rate in 1 ms ticks for seconds; returns how many were sent. */
static uint64_t run_rate(struct rx *rx, double rate, double seconds, int record)
{
	pthread_t th;
	start_rx(&th, rx, record);
	uint64_t total = (uint64_t)(rate * seconds), sent = 0;
	int64_t t0 = bench_mono_ns(), next_report = t0 + 1000000000;
	for (int64_t tick = t0; sent < total; tick += 1000000) {
		bench_sleep_until_ns(tick);
		int64_t now = bench_mono_ns();
		uint64_t due = bench_due(now - t0, rate);
		if (due > total)
			due = total;
		while (sent < due)
			send_err += send_one(++sent) != 0;
		if (record && now >= next_report) {
			bench_progress("  raw NNG fixed rate: %llu sent", (unsigned long long)sent);
			next_report += 1000000000;
		}
	}
	atomic_store(&sending_done, 1);
	pthread_join(th, NULL);
	return sent;
}

int main(int argc, char **argv)
{
	double rate = atof(bench_opt(argc, argv, "--rate", "5000"));
	double seconds = atof(bench_opt(argc, argv, "--seconds", "5"));
	uint64_t max_n = (uint64_t)atoll(bench_opt(argc, argv, "--max", "300000"));
	double steps_max = atof(bench_opt(argc, argv, "--steps-max", "40000"));
	double step_seconds = atof(bench_opt(argc, argv, "--step-seconds", "1.5"));
	char run_dir[PD_CFG_STR], defaddr[PD_CFG_STR + 32];
	pd_config_run_dir(run_dir, sizeof(run_dir));
	snprintf(defaddr, sizeof(defaddr), "ipc://%s/bench-raw.pub", run_dir);
	const char *addr = bench_opt(argc, argv, "--addr", defaddr);
	if (rate <= 0 || seconds <= 0 || max_n < 1 || step_seconds <= 0) {
		fprintf(stderr, "usage: bench_nng_raw [--addr ipc://...] [--rate R] [--seconds T] [--steps-max R2] "
				"[--step-seconds S] [--max N] [--pub-sendbuf N]\n");
		return 2;
	}

	/* The frame bench_bus_pub's events have on the wire. */
	bench_shipment ev;
	bench_shipment_fill(&ev, 12345, bench_real_us());
	ev.env.publisher = "logistics-bench";
	ev.env.seq = 123456;
	uint8_t id[16] = {1, 2, 3, 4, 5, 6, 0x47, 8, 0x89, 10, 11, 12, 13, 14, 15, 16};
	ev.env.event_id.data = id;
	ev.env.event_id.len = 16;
	size_t plen;
	uint8_t *payload = pd_pb_pack(&ev.env.base, &plen);
	if (pd_bus_frame(ev.env.topic, payload, plen, &frame, &frame_len) != PD_OK)
		return 1;
	free(payload);
	hdr = strlen(ev.env.topic) + 1;

	int rv;
	if ((rv = nng_pub0_open(&pub)) != 0)
		die("pub", rv);
	int sendbuf = atoi(bench_opt(argc, argv, "--pub-sendbuf", "0"));
	if (sendbuf > 0)
		nng_socket_set_int(pub, NNG_OPT_SENDBUF, sendbuf);
	if ((rv = nng_listen(pub, addr, NULL, 0)) != 0)
		die(addr, rv);
	if ((rv = nng_sub0_open(&sub)) != 0)
		die("sub", rv);
	nng_socket_set_size(sub, NNG_OPT_RECVMAXSZ, PD_MAX_MSG_BYTES + 256);
	nng_socket_set_int(sub, NNG_OPT_RECVBUF, 8192);
	nng_socket_set(sub, NNG_OPT_SUB_SUBSCRIBE, "logistics.", 10);
	if ((rv = nng_dial(sub, addr, NULL, 0)) != 0)
		die("dial", rv);
	bench_sleep_ms(200); /* let PUB see the pipe */

	/* 1. fixed rate, with latencies */
	bench_progress("raw NNG: %zu-byte frames over %s (PUB send buffer %s, SUB receive buffer 8192); "
		       "%.0f msg/s for %.0f s, steps up to %.0f msg/s, then %llu as fast as possible",
		       frame_len, addr, sendbuf > 0 ? bench_opt(argc, argv, "--pub-sendbuf", "") : "NNG default", rate,
		       seconds, steps_max, (unsigned long long)max_n);
	struct rx rx;
	uint64_t sent = run_rate(&rx, rate, seconds, 1);
	bench_samples_sort(&rx.lat_us);
	uint64_t lost = sent - rx.received;
	double p50 = (double)bench_pct(&rx.lat_us, 50) / 1000, p99 = (double)bench_pct(&rx.lat_us, 99) / 1000;
	double pmax = (double)bench_pct(&rx.lat_us, 100) / 1000;
	char a[32], b[32], c[32], d[32];
	printf("raw NNG: %s msg/s offered, %s received, p50 %.3f ms p99 %.3f ms max %.3f ms; lost %llu\n",
	       bench_commas(rate, a, sizeof(a)), bench_commas((double)rx.received, b, sizeof(b)), p50, p99, pmax,
	       (unsigned long long)lost);

	/* 2. doubling steps: how much does the transport alone lose as the rate
	 *    grows? (PUB drops when a pipe's send queue is full, SUB when its
	 *    receive queue is; neither says so.) */
	double lossless = lost == 0 ? rate : 0;
	char steps[512] = "";
	size_t sl = 0;
	for (double r = 2 * rate; r <= steps_max; r *= 2) {
		struct rx srx;
		uint64_t ssent = run_rate(&srx, r, step_seconds, 0);
		double lp = 100.0 * (double)(ssent - srx.received) / (double)ssent;
		if (ssent == srx.received && lossless == r / 2)
			lossless = r;
		int w = snprintf(steps + sl, sizeof(steps) - sl, "%s%s msg/s lost %.1f%%", sl ? ", " : "",
				 bench_commas(r, a, sizeof(a)), lp);
		if (w > 0 && (size_t)w < sizeof(steps) - sl)
			sl += (size_t)w;
		bench_progress("  raw NNG step %s msg/s: %llu sent, %llu received", a, (unsigned long long)ssent,
			       (unsigned long long)srx.received);
	}
	if (steps[0])
		printf("raw NNG steps: %s\n", steps);

	/* 3. flood */
	struct rx rx2;
	start_rx(&th, &rx2, 0);
	int64_t t0 = bench_mono_ns();
	uint64_t sent2 = 0;
	while (sent2 < max_n)
		send_err += send_one(++sent2) != 0;
	double send_secs = (double)(bench_mono_ns() - t0) / 1e9;
	atomic_store(&sending_done, 1);
	pthread_join(th, NULL);
	double recv_secs = rx2.received ? (double)(rx2.last_ns - t0) / 1e9 : 1;
	double lost_pct = 100.0 * (double)(sent2 - rx2.received) / (double)sent2;
	printf("raw NNG flood: %s msg sent at %s msg/s; received %s (%s msg/s), lost %.1f%%\n",
	       bench_commas((double)sent2, a, sizeof(a)), bench_commas((double)sent2 / send_secs, b, sizeof(b)),
	       bench_commas((double)rx2.received, c, sizeof(c)), bench_commas((double)rx2.received / recv_secs, d, sizeof(d)),
	       lost_pct);
	printf("RESULT nng_raw frame_bytes=%zu rate=%.0f sent=%llu received=%llu lost=%llu p50_us=%lld p99_us=%lld "
	       "max_us=%lld lossless_up_to=%.0f flood_sent=%llu flood_send_rate=%.0f flood_received=%llu "
	       "flood_recv_rate=%.0f flood_lost_pct=%.1f send_errors=%llu\n",
	       frame_len, rate, (unsigned long long)sent, (unsigned long long)rx.received, (unsigned long long)lost,
	       (long long)bench_pct(&rx.lat_us, 50), (long long)bench_pct(&rx.lat_us, 99),
	       (long long)bench_pct(&rx.lat_us, 100), lossless, (unsigned long long)sent2,
	       (double)sent2 / send_secs, (unsigned long long)rx2.received, (double)rx2.received / recv_secs, lost_pct,
	       (unsigned long long)send_err);
	bench_samples_free(&rx.lat_us);
	nng_close(sub);
	nng_close(pub);
	free(frame);
	return 0;
}
