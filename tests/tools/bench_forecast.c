/* bench_forecast: times the promo service's staffing forecast
 * (pm_forecast_compute) on a 30-day campaign at hourly resolution: 720
 * hours, the pooled queue and 3 groups (presale / order / after-sale), so
 * 2,880 Erlang C sizings per pass. The campaign ramps up over 20 days,
 * peaks in the first hour of the main day at 200,000 orders an hour (the
 * midnight rush of a Double 11) and tails off over 9 days of after-sale.
 *
 * Baseline in the same run: one pass that only computes each row's
 * expected orders and consultations (the arithmetic around the Erlang
 * model, no sizing), so the ratio shows what the queueing model costs.
 *
 *   bench_forecast [--runs N]    (default 51 timed passes after 3 warm-ups)
 * Summary on stdout, the last line
 * "RESULT forecast_30d_ms=<median> hours=720 rows=<n> target_ms=10 ...". */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "../../services/promo/forecast.h"
#include "bench_util.h"

#define HOURS (30 * 24)
#define MAIN_DAY 20 /* day index of the main sale day */
#define HOUR_MS 3600000LL
/* 2025-10-21 16:00 UTC = 2025-10-22 00:00 Beijing: the campaign's first
 * hour, so that day 20 starts at 2025-11-11 00:00 Beijing. */
#define T_START (1762790400000LL - MAIN_DAY * 24 * HOUR_MS)
#define TARGET_MS 10.0

/* Share of a normal day's orders in each Beijing hour: quiet 2:00-7:00,
 * a late-morning peak, the biggest in the evening (percent, sums to 100). */
static const double day_shape[24] = {
	3.0, 1.8, 1.0, 0.6, 0.4, 0.4, 0.6, 1.2, 2.5, 4.0, 5.2, 5.6,
	5.0, 4.6, 4.8, 5.0, 5.0, 4.8, 4.6, 5.4, 6.6, 7.4, 7.0, 4.6,
};

/* Orders in hour h (0..719) of the campaign. */
static double campaign_orders(int h)
{
	int day = h / 24, hod = h % 24;
	double shape = day_shape[hod] / 100.0;
	if (day < 10) /* warm-up: 150k orders a day, growing 5% a day */
		return 150000.0 * pow(1.05, day) * shape;
	if (day < MAIN_DAY) /* pre-sale: deposits, 300k a day rising to ~1.1M */
		return 300000.0 * pow(1.15, day - 10) * shape;
	if (day == MAIN_DAY) {
		/* The midnight rush: 200k in the first hour, then decaying
		 * to the evening, where a last-call bump follows the day shape. */
		static const double first_hours[4] = { 200000, 120000, 60000, 30000 };
		if (hod < 4)
			return first_hours[hod];
		return 2400000.0 * shape;
	}
	/* After-sale tail: back to ~200k a day, halving every 3 days. */
	return 200000.0 * (0.5 + pow(0.5, (day - MAIN_DAY) / 3.0)) * shape;
}

/* The campaign's hourly targets, as the promo service would load them. */
static void build_campaign(pm_target_hour *h)
{
	for (int i = 0; i < HOURS; i++) {
		int day = i / 24;
		int64_t aov = day == MAIN_DAY ? 32000 : day < MAIN_DAY ? 26000 : 21000; /* cents */
		double orders = campaign_orders(i);
		h[i] = (pm_target_hour){
			.hour_start_ms = T_START + (int64_t)i * HOUR_MS,
			.gmv_cents = (int64_t)llround(orders * (double)aov),
			.avg_order_value_cents = aov,
		};
	}
}

/* The baseline: the same rows with orders and consultations only. */
static void raw_pass(const pm_forecast_params *p, const pm_target_hour *h, size_t n,
		     pm_forecast_row *out)
{
	size_t w = 0;
	for (size_t i = 0; i < n; i++) {
		double orders = (double)h[i].gmv_cents / (double)h[i].avg_order_value_cents;
		double cons = orders * p->consultation_rate;
		for (size_t g = 0; g <= p->n_groups; g++)
			out[w++] = (pm_forecast_row){
				.hour_start_ms = h[i].hour_start_ms,
				.group = g == 0 ? "" : p->groups[g - 1].name,
				.expected_orders = orders,
				.expected_consultations = g == 0 ? cons : cons * p->groups[g - 1].share,
			};
	}
}

static double median_ms(bench_samples *s)
{
	bench_samples_sort(s);
	return (double)bench_pct(s, 50) / 1e6;
}

int main(int argc, char **argv)
{
	int runs = atoi(bench_opt(argc, argv, "--runs", "51"));
	if (runs < 1) {
		fprintf(stderr, "usage: bench_forecast [--runs N>=1]\n");
		return 2;
	}
	pm_forecast_params p = {
		.consultation_rate = 0.35,
		.avg_handle_seconds = 240,
		.chat_concurrency = 3,
		.target_answer_seconds = 30,
		.service_level_goal = 0.80,
		.groups = { { "presale", 0.3 }, { "order", 0.3 }, { "after-sale", 0.4 } },
		.n_groups = 3,
	};
	static pm_target_hour hours[HOURS];
	build_campaign(hours);
	size_t cap = pm_forecast_rows(&p, HOURS);
	pm_forecast_row *rows = calloc(cap, sizeof(*rows));
	if (!rows) {
		fprintf(stderr, "bench_forecast: out of memory\n");
		return 1;
	}

	pd_errbuf eb = { "" };
	size_t n_rows = 0;
	bench_samples full = { 0 }, raw = { 0 };
	for (int r = -3; r < runs; r++) {
		int64_t t0 = bench_mono_ns();
		int rc = pm_forecast_compute(&p, hours, HOURS, rows, cap, &n_rows, &eb);
		int64_t t1 = bench_mono_ns();
		if (rc != PD_OK) {
			fprintf(stderr, "bench_forecast: %s: %s\n", pd_strerror(rc), eb.msg);
			return 1;
		}
		if (r >= 0)
			bench_samples_add(&full, t1 - t0);
	}

	/* Summary of the forecast itself (from the last pass). */
	double total_orders = 0, peak_orders = 0;
	int peak_pooled = 0, peak_groups = 0;
	double min_sl = 1;
	for (size_t i = 0; i < n_rows; i += 1 + p.n_groups) {
		total_orders += rows[i].expected_orders;
		int groups = 0;
		for (size_t g = 1; g <= p.n_groups; g++)
			groups += rows[i + g].agents_needed;
		if (rows[i].expected_orders > peak_orders) {
			peak_orders = rows[i].expected_orders;
			peak_pooled = rows[i].agents_needed;
			peak_groups = groups;
		}
		for (size_t g = 0; g <= p.n_groups; g++)
			if (rows[i + g].service_level < min_sl)
				min_sl = rows[i + g].service_level;
	}

	/* The baseline: many more passes, it is three orders of magnitude
	 * faster, so that one pass is still timed above the clock's grain. */
	int raw_runs = runs * 20;
	volatile double sink = 0;
	for (int r = -3; r < raw_runs; r++) {
		int64_t t0 = bench_mono_ns();
		raw_pass(&p, hours, HOURS, rows);
		int64_t t1 = bench_mono_ns();
		sink += rows[cap - 1].expected_consultations;
		if (r >= 0)
			bench_samples_add(&raw, t1 - t0);
	}
	(void)sink;

	double full_ms = median_ms(&full), raw_ms = median_ms(&raw);
	double full_p90 = (double)bench_pct(&full, 90) / 1e6;
	double ratio = raw_ms > 0 ? full_ms / raw_ms : 0;
	char orders_s[32], peak_s[32];
	printf("bench_forecast: %d hours x %zu queues = %zu rows, %s orders, peak hour %s orders "
	       "-> %d agents pooled, %d in 3 group queues, "
	       "lowest service level %.4f (goal %.2f)\n",
	       HOURS, 1 + p.n_groups, n_rows, bench_commas(total_orders, orders_s, sizeof(orders_s)),
	       bench_commas(peak_orders, peak_s, sizeof(peak_s)), peak_pooled, peak_groups,
	       min_sl, p.service_level_goal);
	printf("bench_forecast: forecast median %.3f ms (p90 %.3f ms, %d runs; target %.0f ms: %s), "
	       "raw orders/consultations pass %.4f ms (%d runs): the Erlang sizing is %.0fx the raw pass\n",
	       full_ms, full_p90, runs, TARGET_MS, full_ms <= TARGET_MS ? "met" : "MISSED", raw_ms,
	       raw_runs, ratio);
	printf("RESULT forecast_30d_ms=%.3f hours=%d rows=%zu target_ms=%.0f forecast_raw_ms=%.4f "
	       "ratio=%.1f\n",
	       full_ms, HOURS, n_rows, TARGET_MS, raw_ms, ratio);
	bench_samples_free(&full);
	bench_samples_free(&raw);
	free(rows);
	return 0;
}
