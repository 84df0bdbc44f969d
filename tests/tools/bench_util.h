/* Shared helpers of the benchmark tools (tests/tools/bench_*.c): clocks,
 * percentiles, number formatting, option parsing, and the realistic event the
 * bus benchmarks send, so the bus path and the raw NNG baseline carry
 * messages of the same size. Header-only (static inline) because each
 * C file in tests/tools is built as its own program. */
#ifndef PD_BENCH_UTIL_H
#define PD_BENCH_UTIL_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bus.pb-c.h"

/* Wall clock in microseconds: comparable across processes on one machine. */
static inline int64_t bench_real_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Monotonic clock in nanoseconds, for durations inside one process. */
static inline int64_t bench_mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Sleeps until the monotonic clock reaches abs_ns. */
static inline void bench_sleep_until_ns(int64_t abs_ns)
{
	struct timespec ts = {(time_t)(abs_ns / 1000000000), (long)(abs_ns % 1000000000)};
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) != 0)
		;
}

static inline void bench_sleep_ms(int ms)
{
	bench_sleep_until_ns(bench_mono_ns() + (int64_t)ms * 1000000);
}

/* A growable array of samples (latencies in microseconds). */
typedef struct bench_samples {
	int64_t *v;
	size_t n, cap;
} bench_samples;

static inline void bench_samples_add(bench_samples *s, int64_t x)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 4096;
		int64_t *v = realloc(s->v, cap * sizeof(*v));
		if (!v) {
			fprintf(stderr, "out of memory\n");
			exit(1);
		}
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = x;
}

static inline int bench_cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

/* Sorts the samples; afterwards bench_pct() answers percentiles. */
static inline void bench_samples_sort(bench_samples *s)
{
	if (s->n)
		qsort(s->v, s->n, sizeof(*s->v), bench_cmp_i64);
}

/* Nearest-rank percentile (p in 0..100) of sorted samples; 0 when empty. */
static inline int64_t bench_pct(const bench_samples *s, double p)
{
	if (!s->n)
		return 0;
	double r = p / 100.0 * (double)s->n;
	size_t rank = (size_t)r;
	if ((double)rank < r)
		rank++;
	if (rank < 1)
		rank = 1;
	if (rank > s->n)
		rank = s->n;
	return s->v[rank - 1];
}

static inline void bench_samples_free(bench_samples *s)
{
	free(s->v);
	memset(s, 0, sizeof(*s));
}

/* 1234567.8 -> "1,234,568" (rounded to an integer) into out. */
static inline const char *bench_commas(double x, char *out, size_t len)
{
	char tmp[40];
	long long v = (long long)(x < 0 ? x - 0.5 : x + 0.5);
	snprintf(tmp, sizeof(tmp), "%lld", v < 0 ? -v : v);
	size_t n = strlen(tmp), o = 0;
	if (v < 0 && o + 1 < len)
		out[o++] = '-';
	for (size_t i = 0; i < n && o + 1 < len; i++) {
		out[o++] = tmp[i];
		if ((n - i - 1) % 3 == 0 && i + 1 < n && o + 1 < len)
			out[o++] = ',';
	}
	out[o] = 0;
	return out;
}

/* How many events are due elapsed_ns after the start at rate per second. */
static inline uint64_t bench_due(int64_t elapsed_ns, double rate)
{
	return (uint64_t)((double)elapsed_ns * rate / 1e9);
}

/* "--name value" options: the value, or def when absent. */
static inline const char *bench_opt(int argc, char **argv, const char *name, const char *def)
{
	for (int i = 1; i + 1 < argc; i++)
		if (strcmp(argv[i], name) == 0)
			return argv[i + 1];
	return def;
}

/* Progress line on stderr, flushed at once (the run script streams it). */
static inline void bench_progress(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline void bench_progress(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(stderr);
}

/* ---- the bus benchmarks' event ---------------------------------------------- */

/* A realistic logistics.shipment_updated event: what a consumer such as the
 * router receives when a parcel moves. Strings live in this struct, so
 * nothing is allocated per event. */
typedef struct bench_shipment {
	char shipment_id[40], order_id[32], tracking_no[24], phone[24], customer_id[24];
	char trace[40];
	Peakdesk__V1__CustomerRef cust;
	Peakdesk__V1__ShipmentUpdated up;
	Peakdesk__V1__Envelope env;
} bench_shipment;

/* Fills event number n. trace_id carries "bench:" and the submit time in
 * unix microseconds (fixed width, so every message has the same size):
 * finer than produced_at_ms, which the bus keeps in milliseconds. */
static inline void bench_shipment_fill(bench_shipment *b, uint64_t n, int64_t now_us)
{
	int64_t now_ms = now_us / 1000;
	snprintf(b->shipment_id, sizeof(b->shipment_id), "5f0c8a3e-1b2d-4c6e-9a7b-%012llu",
		 (unsigned long long)(n % 1000000000000ULL));
	snprintf(b->order_id, sizeof(b->order_id), "DD2026111100%08llu", (unsigned long long)(n % 100000000ULL));
	snprintf(b->tracking_no, sizeof(b->tracking_no), "YT78%011llu", (unsigned long long)(n % 100000000000ULL));
	snprintf(b->phone, sizeof(b->phone), "+86138%08llu", (unsigned long long)((n * 7919) % 100000000ULL));
	snprintf(b->customer_id, sizeof(b->customer_id), "C%09llu", (unsigned long long)(n % 1000000000ULL));
	snprintf(b->trace, sizeof(b->trace), "bench:%016lld", (long long)now_us);
	peakdesk__v1__customer_ref__init(&b->cust);
	b->cust.customer_id = b->customer_id;
	b->cust.phone = b->phone;
	b->cust.channel = PEAKDESK__V1__CHANNEL_KIND__CHANNEL_KIND_WECHAT;
	b->cust.account = "gh_3f9a1c2b7d5e";
	b->cust.external_user_id = "o6_bmjrPTlm6_2sgVt7hMZOPfL2M";
	peakdesk__v1__shipment_updated__init(&b->up);
	b->up.shipment_id = b->shipment_id;
	b->up.order_id = b->order_id;
	b->up.carrier = "yuantong";
	b->up.tracking_no = b->tracking_no;
	b->up.state = PEAKDESK__V1__SHIPMENT_STATE__SHIPMENT_STATE_IN_TRANSIT;
	b->up.previous_state = PEAKDESK__V1__SHIPMENT_STATE__SHIPMENT_STATE_COLLECTED;
	b->up.last_scan_at_ms = now_ms - 60000;
	b->up.last_scan_text = "【杭州市】快件已到达 杭州转运中心，准备发往 上海市";
	b->up.promised_delivery_ms = now_ms + 3 * 86400000LL;
	b->up.customer = &b->cust;
	peakdesk__v1__envelope__init(&b->env);
	b->env.topic = "logistics.shipment_updated";
	b->env.body_case = PEAKDESK__V1__ENVELOPE__BODY_SHIPMENT_UPDATED;
	b->env.shipment_updated = &b->up;
	b->env.occurred_at_ms = now_ms;
	b->env.produced_at_ms = now_ms;
	b->env.trace_id = b->trace;
}

/* The submit time carried in trace_id (unix microseconds); 0 when absent. */
static inline int64_t bench_trace_us(const char *trace)
{
	if (!trace || strncmp(trace, "bench:", 6) != 0)
		return 0;
	return strtoll(trace + 6, NULL, 10);
}

#endif
