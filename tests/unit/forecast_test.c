/* Tests for the hourly staffing forecast (services/promo/forecast.c): an
 * example worked by hand, the group split and the pooling effect, idle
 * hours, row order for hours given out of order, every validation error
 * (naming its field), and the output-capacity contract. */
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../services/promo/erlang_c.h"
#include "../../services/promo/forecast.h"
#include "pd.h"
#include "pd_check.h"

#define HOUR 3600000LL
#define T0 1762790400000LL /* 2025-11-10 16:00 UTC = 2025-11-11 00:00 Beijing */

/* rate 0.4 consultations/order, 180 s a chat, 2 chats per agent, 80% within
 * 20 s; presale 30% / order 30% / after-sale 40%. */
static pm_forecast_params params3(void)
{
	return (pm_forecast_params){
		.consultation_rate = 0.4,
		.avg_handle_seconds = 180,
		.chat_concurrency = 2,
		.target_answer_seconds = 20,
		.service_level_goal = 0.80,
		.groups = { { "presale", 0.3 }, { "order", 0.3 }, { "after-sale", 0.4 } },
		.n_groups = 3,
	};
}

static size_t compute_ok(const pm_forecast_params *p, const pm_target_hour *h, size_t n,
			 pm_forecast_row *out, size_t cap)
{
	pd_errbuf eb = { "" };
	size_t n_out = 12345;
	ck_assert_msg(pm_forecast_check(p, h, n, &eb) == PD_OK, "%s", eb.msg);
	ck_assert_msg(pm_forecast_compute(p, h, n, out, cap, &n_out, &eb) == PD_OK, "%s", eb.msg);
	ck_assert_uint_eq(n_out, pm_forecast_rows(p, n));
	return n_out;
}

/* ---- worked example ---------------------------------------------------- */

/* One hour, by hand:
 *   orders        = gmv / aov = 10,000,000 / 20,000 cents = 500
 *   consultations = 500 x 0.4 = 200 an hour
 *   pooled traffic A = 200 / 3600 x 180 s = 10 erlangs of chat slots: the
 *   Call Centre Helper example (erlang_c_test.c), which needs 14 slots for
 *   80/20 (SL 0.8884; 13 give 0.7956) -> ceil(14 / 2) = 7 agents.
 *   presale    200 x 0.3 = 60 -> A = 60 / 3600 x 180 = 3 erlangs
 *     N = 4: C = (3^4/4! x 4/1) / (1 + 3 + 4.5 + 4.5 + 13.5) = 13.5 / 26.5
 *            = 0.50943; SL = 1 - 0.50943 x e^(-1 x 20/180) = 0.5441 < 0.8
 *     N = 5: C = (3^5/5! x 5/2) / (1 + 3 + 4.5 + 4.5 + 3.375 + 5.0625)
 *            = 5.0625 / 21.4375 = 0.23615; SL = 1 - 0.23615 x e^(-2 x 20/180)
 *            = 0.8109 >= 0.8 -> 5 slots -> ceil(5 / 2) = 3 agents
 *   order      the same: 60 consultations, 3 erlangs, 5 slots, 3 agents
 *   after-sale 200 x 0.4 = 80 -> A = 4 erlangs
 *     N = 6: SL 0.7720 < 0.8
 *     N = 7: C = (4^7/7! x 7/3) / (sum_{k<7} 4^k/k! + that)
 *            = 7.58519 / (48.55556 + 7.58519) = 0.13511;
 *            SL = 1 - 0.13511 x e^(-3 x 20/180) = 0.9032 -> 7 slots -> 4 agents
 * Separate queues: 3 + 3 + 4 = 10 agents against 7 pooled. */
START_TEST(hand_computed_hour)
{
	pm_forecast_params p = params3();
	pm_target_hour h[] = { { T0, 10000000, 20000 } };
	pm_forecast_row out[4];
	ck_assert_uint_eq(compute_ok(&p, h, 1, out, 4), 4);

	static const char *const names[] = { "", "presale", "order", "after-sale" };
	static const double cons[] = { 200, 60, 60, 80 };
	static const int agents[] = { 7, 3, 3, 4 };
	static const double sl[] = { 0.8884, 0.8109, 0.8109, 0.9032 };
	for (int i = 0; i < 4; i++) {
		ck_assert_int_eq(out[i].hour_start_ms, T0);
		ck_assert_str_eq(out[i].group, names[i]);
		ck_assert_double_eq_tol(out[i].expected_orders, 500, 1e-9);
		ck_assert_double_eq_tol(out[i].expected_consultations, cons[i], 1e-9);
		ck_assert_int_eq(out[i].agents_needed, agents[i]);
		ck_assert_double_eq_tol(out[i].service_level, sl[i], 0.00005 + 1e-9);
		ck_assert(out[i].service_level >= p.service_level_goal);
	}
	/* The group rows point at the params' names (borrowed). */
	ck_assert_ptr_eq(out[1].group, p.groups[0].name);
	ck_assert_ptr_eq(out[3].group, p.groups[2].name);
	/* Pooling effect: separate queues need more agents than one. */
	ck_assert_int_gt(out[1].agents_needed + out[2].agents_needed + out[3].agents_needed,
			 out[0].agents_needed);

	/* Concurrency 1: agents = slots. */
	p.chat_concurrency = 1;
	compute_ok(&p, h, 1, out, 4);
	ck_assert_int_eq(out[0].agents_needed, 14);
	ck_assert_int_eq(out[1].agents_needed, 5);
	ck_assert_int_eq(out[3].agents_needed, 7);
	/* Concurrency 3: ceil(14/3) = 5, ceil(5/3) = 2, ceil(7/3) = 3. */
	p.chat_concurrency = 3;
	compute_ok(&p, h, 1, out, 4);
	ck_assert_int_eq(out[0].agents_needed, 5);
	ck_assert_int_eq(out[1].agents_needed, 2);
	ck_assert_int_eq(out[3].agents_needed, 3);
}
END_TEST

START_TEST(idle_and_tiny_hours)
{
	pm_forecast_params p = params3();
	pm_target_hour h[] = {
		{ T0, 0, 20000 },           /* nothing sold: nobody needed */
		{ T0 + HOUR, 1, 1000000 },  /* 1e-6 orders: one agent still answers */
	};
	pm_forecast_row out[8];
	compute_ok(&p, h, 2, out, 8);
	for (int i = 0; i < 4; i++) {
		ck_assert_int_eq(out[i].hour_start_ms, T0);
		ck_assert_double_eq(out[i].expected_orders, 0);
		ck_assert_double_eq(out[i].expected_consultations, 0);
		ck_assert_int_eq(out[i].agents_needed, 0);
		ck_assert_double_eq(out[i].service_level, 1.0);
	}
	for (int i = 4; i < 8; i++) {
		ck_assert_int_eq(out[i].hour_start_ms, T0 + HOUR);
		ck_assert_int_eq(out[i].agents_needed, 1);
		ck_assert(out[i].service_level > 0.999999 && out[i].service_level <= 1.0);
	}
}
END_TEST

START_TEST(rows_ordered_by_hour_then_group)
{
	pm_forecast_params p = params3();
	/* Out of order on purpose (a spreadsheet sorted by GMV, say). */
	pm_target_hour h[] = {
		{ T0 + 2 * HOUR, 30000000, 20000 },
		{ T0, 10000000, 20000 },
		{ T0 - 5 * HOUR, 0, 15000 },
		{ T0 + HOUR, 50000000, 25000 },
	};
	pm_forecast_row out[16];
	ck_assert_uint_eq(compute_ok(&p, h, 4, out, 16), 16);
	static const int64_t want_hours[] = { T0 - 5 * HOUR, T0, T0 + HOUR, T0 + 2 * HOUR };
	static const double want_orders[] = { 0, 500, 2000, 1500 };
	for (int k = 0; k < 4; k++)
		for (int g = 0; g < 4; g++) {
			const pm_forecast_row *r = &out[k * 4 + g];
			ck_assert_int_eq(r->hour_start_ms, want_hours[k]);
			ck_assert_str_eq(r->group, g == 0 ? "" : p.groups[g - 1].name);
			ck_assert_double_eq_tol(r->expected_orders, want_orders[k], 1e-9);
		}
	/* Same rows as when the hours come in order. */
	pm_target_hour sorted[] = { h[2], h[1], h[3], h[0] };
	pm_forecast_row again[16];
	compute_ok(&p, sorted, 4, again, 16);
	for (int i = 0; i < 16; i++) {
		ck_assert_int_eq(again[i].hour_start_ms, out[i].hour_start_ms);
		ck_assert_str_eq(again[i].group, out[i].group);
		ck_assert_int_eq(again[i].agents_needed, out[i].agents_needed);
		ck_assert_double_eq(again[i].service_level, out[i].service_level);
	}
}
END_TEST

/* Over a range of loads: every row is what the Erlang C functions say for
 * its own traffic, meets the goal, the group consultations add up to the
 * pooled ones, and the groups never need fewer agents than the pool. */
START_TEST(group_split_and_pooling)
{
	pm_forecast_params p = params3();
	p.avg_handle_seconds = 240;
	p.chat_concurrency = 3;
	p.target_answer_seconds = 30;
	enum { N = 58 }; /* 100 orders (A = 2.7 erlangs) up to 3.3 million (A = 88,000) */
	pm_target_hour h[N];
	for (int i = 0; i < N; i++)
		h[i] = (pm_target_hour){ T0 + i * HOUR, (int64_t)(2500000.0 * pow(1.2, i)), 25000 };
	pm_forecast_row out[N * 4];
	compute_ok(&p, h, N, out, N * 4);
	for (int i = 0; i < N; i++) {
		const pm_forecast_row *r = &out[i * 4];
		double sum_cons = 0;
		int sum_agents = 0;
		for (int g = 0; g < 4; g++) {
			double a = r[g].expected_consultations / 3600 * p.avg_handle_seconds;
			int slots = pm_erlang_servers_needed(a, 240, 30, 0.8, 1000000);
			ck_assert_int_eq(r[g].agents_needed, (slots + 2) / 3);
			ck_assert_double_eq(r[g].service_level,
					    pm_erlang_service_level(slots, a, 240, 30));
			ck_assert(r[g].service_level >= 0.8);
			ck_assert_double_eq(r[g].expected_orders, r[0].expected_orders);
			if (g > 0) {
				sum_cons += r[g].expected_consultations;
				sum_agents += r[g].agents_needed;
			}
		}
		ck_assert_double_eq_tol(sum_cons, r[0].expected_consultations,
					1e-9 * r[0].expected_consultations);
		ck_assert_msg(sum_agents >= r[0].agents_needed, "hour %d: groups %d < pooled %d", i,
			      sum_agents, r[0].agents_needed);
	}
	/* At the top of the range the pooling saving is real but small relative. */
	const pm_forecast_row *top = &out[(N - 1) * 4];
	ck_assert_int_gt(top[0].agents_needed, 10000);
}
END_TEST

START_TEST(no_groups_gives_pooled_rows_only)
{
	pm_forecast_params p = params3();
	p.n_groups = 0;
	pm_target_hour h[] = { { T0, 10000000, 20000 }, { T0 + HOUR, 0, 20000 } };
	pm_forecast_row out[2];
	ck_assert_uint_eq(compute_ok(&p, h, 2, out, 2), 2);
	ck_assert_str_eq(out[0].group, "");
	ck_assert_int_eq(out[0].agents_needed, 7);
	ck_assert_int_eq(out[1].agents_needed, 0);
	/* No hours: no rows, and out may be NULL. */
	size_t n_out = 99;
	ck_assert_int_eq(pm_forecast_compute(&p, NULL, 0, NULL, 0, &n_out, NULL), PD_OK);
	ck_assert_uint_eq(n_out, 0);
}
END_TEST

/* ---- validation -------------------------------------------------------- */

/* Expects PD_EINVAL from both entry points with `field` in the message,
 * and compute to leave out and *n_out alone except *n_out = 0. */
static void expect_invalid(const pm_forecast_params *p, const pm_target_hour *h, size_t n,
			   const char *field)
{
	pd_errbuf eb = { "" };
	ck_assert_int_eq(pm_forecast_check(p, h, n, &eb), PD_EINVAL);
	ck_assert_int_eq(eb.code, PD_EINVAL);
	ck_assert_msg(strstr(eb.msg, field) != NULL, "\"%s\" does not name %s", eb.msg, field);

	static pm_forecast_row out[64], untouched[64];
	memset(out, 0xab, sizeof(out));
	memset(untouched, 0xab, sizeof(untouched));
	size_t n_out = 7;
	pd_errbuf eb2 = { "" };
	ck_assert_int_eq(pm_forecast_compute(p, h, n, out, 64, &n_out, &eb2), PD_EINVAL);
	ck_assert_str_eq(eb2.msg, eb.msg);
	ck_assert_uint_eq(n_out, 0);
	ck_assert(memcmp(out, untouched, sizeof(out)) == 0);
	/* A NULL error buffer is allowed. */
	ck_assert_int_eq(pm_forecast_check(p, h, n, NULL), PD_EINVAL);
}

START_TEST(params_errors)
{
	pm_target_hour h[] = { { T0, 10000000, 20000 } };
	pm_forecast_params p;
	pd_errbuf eb;
	ck_assert_int_eq(pm_forecast_check(NULL, h, 1, &eb), PD_EINVAL);
	ck_assert_str_eq(eb.msg, "forecast params missing");

	static const double bad_rate[] = { 0, -1, 50.0001, NAN, INFINITY };
	for (size_t i = 0; i < PD_ARRAY_LEN(bad_rate); i++) {
		p = params3();
		p.consultation_rate = bad_rate[i];
		expect_invalid(&p, h, 1, "consultation_rate");
	}
	static const double bad_aht[] = { 0, 0.99, 7200.5, -180, NAN };
	for (size_t i = 0; i < PD_ARRAY_LEN(bad_aht); i++) {
		p = params3();
		p.avg_handle_seconds = bad_aht[i];
		expect_invalid(&p, h, 1, "avg_handle_seconds");
	}
	static const int bad_conc[] = { 0, -1, 21, INT_MAX };
	for (size_t i = 0; i < PD_ARRAY_LEN(bad_conc); i++) {
		p = params3();
		p.chat_concurrency = bad_conc[i];
		expect_invalid(&p, h, 1, "chat_concurrency");
	}
	static const double bad_target[] = { 0, 0.5, 3600.5, NAN };
	for (size_t i = 0; i < PD_ARRAY_LEN(bad_target); i++) {
		p = params3();
		p.target_answer_seconds = bad_target[i];
		expect_invalid(&p, h, 1, "target_answer_seconds");
	}
	static const double bad_goal[] = { 0, 1, -0.5, 80, NAN };
	for (size_t i = 0; i < PD_ARRAY_LEN(bad_goal); i++) {
		p = params3();
		p.service_level_goal = bad_goal[i];
		expect_invalid(&p, h, 1, "service_level_goal");
	}
	/* The range ends are accepted. */
	p = params3();
	p.consultation_rate = 50;
	p.avg_handle_seconds = 7200;
	p.chat_concurrency = 20;
	p.target_answer_seconds = 3600;
	ck_assert_int_eq(pm_forecast_check(&p, h, 1, NULL), PD_OK);
	p.consultation_rate = 1e-9;
	p.avg_handle_seconds = 1;
	p.chat_concurrency = 1;
	p.target_answer_seconds = 1;
	p.service_level_goal = 0.999;
	ck_assert_int_eq(pm_forecast_check(&p, h, 1, NULL), PD_OK);
}
END_TEST

START_TEST(group_errors)
{
	pm_target_hour h[] = { { T0, 10000000, 20000 } };
	pm_forecast_params p = params3();
	p.n_groups = PM_FORECAST_MAX_GROUPS + 1;
	expect_invalid(&p, h, 1, "n_groups");

	p = params3();
	p.groups[1].name = NULL;
	expect_invalid(&p, h, 1, "groups[1].name");
	p = params3();
	p.groups[2].name = "";
	expect_invalid(&p, h, 1, "groups[2].name");
	p = params3();
	char longname[PM_FORECAST_GROUP_NAME_MAX + 2];
	memset(longname, 'g', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = 0;
	p.groups[0].name = longname;
	expect_invalid(&p, h, 1, "groups[0].name");
	longname[PM_FORECAST_GROUP_NAME_MAX] = 0; /* exactly the limit: fine */
	ck_assert_int_eq(pm_forecast_check(&p, h, 1, NULL), PD_OK);
	p = params3();
	p.groups[2].name = "presale";
	expect_invalid(&p, h, 1, "groups[2].name \"presale\": already groups[0]'s");

	static const double bad_share[] = { -0.1, 1.5, NAN };
	for (size_t i = 0; i < PD_ARRAY_LEN(bad_share); i++) {
		p = params3();
		p.groups[1].share = bad_share[i];
		expect_invalid(&p, h, 1, "groups[1].share");
	}
	/* Shares must add up to 1 within 1e-6. */
	p = params3();
	p.groups[2].share = 0.3;
	expect_invalid(&p, h, 1, "shares sum to 0.9");
	p.groups[2].share = 0.4 + 2e-6;
	expect_invalid(&p, h, 1, "shares sum");
	p.groups[2].share = 0.4 + 5e-7;
	ck_assert_int_eq(pm_forecast_check(&p, h, 1, NULL), PD_OK);
	/* A zero share is allowed (a group closed for the campaign). */
	p = params3();
	p.groups[0].share = 0;
	p.groups[1].share = 0.6;
	pm_forecast_row out[4];
	compute_ok(&p, h, 1, out, 4);
	ck_assert_int_eq(out[1].agents_needed, 0);
	ck_assert_double_eq(out[1].service_level, 1.0);
	/* A single group holding everything matches the pooled row. */
	p = params3();
	p.n_groups = 1;
	p.groups[0] = (pm_forecast_group){ "all-in-one", 1.0 };
	compute_ok(&p, h, 1, out, 2);
	ck_assert_int_eq(out[1].agents_needed, out[0].agents_needed);
}
END_TEST

START_TEST(hour_errors)
{
	pm_forecast_params p = params3();
	pm_target_hour h[3] = { { T0, 10000000, 20000 }, { T0 + HOUR, 10000000, 20000 },
				{ T0 + 2 * HOUR, 10000000, 20000 } };

	h[1].hour_start_ms = T0 + HOUR + 60000;
	expect_invalid(&p, h, 3, "hours[1].hour_start_ms");
	h[1].hour_start_ms = T0 + HOUR - 1;
	expect_invalid(&p, h, 3, "not at the top of an hour");
	h[1].hour_start_ms = -HOUR / 2; /* before 1970, still checked */
	expect_invalid(&p, h, 3, "hours[1].hour_start_ms");
	h[1].hour_start_ms = -HOUR;
	ck_assert_int_eq(pm_forecast_check(&p, h, 3, NULL), PD_OK);
	h[1].hour_start_ms = T0 + HOUR;

	/* Duplicates, adjacent or not, in order or not. */
	h[2].hour_start_ms = T0;
	expect_invalid(&p, h, 3, "hours[0] and hours[2]: both start at 1762790400000");
	h[2].hour_start_ms = T0 + 2 * HOUR;
	h[1].hour_start_ms = T0;
	expect_invalid(&p, h, 3, "hours[0] and hours[1]: both start at");
	h[1].hour_start_ms = T0 + HOUR;

	h[2].gmv_cents = -1;
	expect_invalid(&p, h, 3, "hours[2].gmv_cents");
	h[2].gmv_cents = 10000000;
	h[0].avg_order_value_cents = 0;
	expect_invalid(&p, h, 3, "hours[0].avg_order_value_cents");
	h[0].avg_order_value_cents = -20000;
	expect_invalid(&p, h, 3, "hours[0].avg_order_value_cents");
	h[0].avg_order_value_cents = 20000;

	/* A typo'd target: 9.2e18 cents at 1 cent an order. */
	h[1].gmv_cents = INT64_MAX;
	h[1].avg_order_value_cents = 1;
	expect_invalid(&p, h, 3, "hours[1]: pooled traffic");
	/* Just under the cap is accepted and computes. */
	p.n_groups = 0;
	h[1].avg_order_value_cents = 100;
	h[1].gmv_cents = (int64_t)(PM_FORECAST_MAX_ERLANGS * 3600 / 180 / 0.4 * 100) - 100;
	pm_forecast_row out[3];
	compute_ok(&p, h, 3, out, 3);
	ck_assert_int_gt(out[1].agents_needed, PM_FORECAST_MAX_ERLANGS / 2);
	ck_assert(out[1].service_level >= 0.8);
	h[1].gmv_cents += 1000;
	expect_invalid(&p, h, 3, "erlangs above 500000");

	ck_assert_int_eq(pm_forecast_check(&p, NULL, 3, NULL), PD_EINVAL);
	expect_invalid(&p, NULL, 3, "no array");
}
END_TEST

START_TEST(too_many_hours)
{
	pm_forecast_params p = params3();
	size_t n = PM_FORECAST_MAX_HOURS + 1;
	pm_target_hour *h = calloc(n, sizeof(*h));
	ck_assert_ptr_nonnull(h);
	for (size_t i = 0; i < n; i++)
		h[i] = (pm_target_hour){ T0 + (int64_t)i * HOUR, 1000000, 20000 };
	expect_invalid(&p, h, n, "9601 hours: at most 9600");
	/* 400 days exactly is fine, and reversed it still comes out in order. */
	for (size_t i = 0; i < n - 1; i++)
		h[i].hour_start_ms = T0 + (int64_t)(n - 2 - i) * HOUR;
	size_t rows = pm_forecast_rows(&p, n - 1);
	pm_forecast_row *out = calloc(rows, sizeof(*out));
	ck_assert_ptr_nonnull(out);
	ck_assert_uint_eq(compute_ok(&p, h, n - 1, out, rows), rows);
	size_t misplaced = 0;
	for (size_t r = 0; r < rows; r++)
		misplaced += out[r].hour_start_ms != T0 + (int64_t)(r / 4) * HOUR;
	ck_assert_uint_eq(misplaced, 0);
	free(out);
	free(h);
}
END_TEST

START_TEST(output_capacity)
{
	pm_forecast_params p = params3();
	pm_target_hour h[] = { { T0, 10000000, 20000 }, { T0 + HOUR, 20000000, 20000 } };
	ck_assert_uint_eq(pm_forecast_rows(&p, 2), 8);
	ck_assert_uint_eq(pm_forecast_rows(&p, 0), 0);
	ck_assert_uint_eq(pm_forecast_rows(&p, SIZE_MAX / 2), SIZE_MAX);

	pm_forecast_row out[8], untouched[8];
	memset(out, 0xab, sizeof(out));
	memset(untouched, 0xab, sizeof(untouched));
	size_t n_out = 0;
	pd_errbuf eb = { "" };
	ck_assert_int_eq(pm_forecast_compute(&p, h, 2, out, 7, &n_out, &eb), PD_ETOOBIG);
	ck_assert_uint_eq(n_out, 8); /* the size to retry with */
	ck_assert_ptr_nonnull(strstr(eb.msg, "need 8 rows, out_cap is 7"));
	ck_assert(memcmp(out, untouched, sizeof(out)) == 0);
	ck_assert_int_eq(pm_forecast_compute(&p, h, 2, NULL, 0, &n_out, NULL), PD_ETOOBIG);
	ck_assert_uint_eq(n_out, 8);
	/* Retry with the size given. */
	ck_assert_int_eq(pm_forecast_compute(&p, h, 2, out, n_out, &n_out, &eb), PD_OK);
	ck_assert_uint_eq(n_out, 8);
	/* A larger array is fine; rows past *n_out are untouched. */
	pm_forecast_row big[10];
	memset(big, 0xab, sizeof(big));
	ck_assert_int_eq(pm_forecast_compute(&p, h, 2, big, 10, &n_out, NULL), PD_OK);
	ck_assert_uint_eq(n_out, 8);
	ck_assert_uint_eq(((unsigned char *)&big[8])[0], 0xab);

	/* Missing out pointers. */
	ck_assert_int_eq(pm_forecast_compute(&p, h, 2, out, 8, NULL, &eb), PD_EINVAL);
	ck_assert_str_eq(eb.msg, "n_out missing");
	ck_assert_int_eq(pm_forecast_compute(&p, h, 2, NULL, 8, &n_out, &eb), PD_EINVAL);
	ck_assert_ptr_nonnull(strstr(eb.msg, "no out array"));
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("forecast");
	TCase *c = tcase_create("compute");
	tcase_add_test(c, hand_computed_hour);
	tcase_add_test(c, idle_and_tiny_hours);
	tcase_add_test(c, rows_ordered_by_hour_then_group);
	tcase_add_test(c, group_split_and_pooling);
	tcase_add_test(c, no_groups_gives_pooled_rows_only);
	tcase_add_test(c, output_capacity);
	suite_add_tcase(s, c);
	TCase *v = tcase_create("validation");
	tcase_add_test(v, params_errors);
	tcase_add_test(v, group_errors);
	tcase_add_test(v, hour_errors);
	tcase_add_test(v, too_many_hours);
	suite_add_tcase(s, v);
	return s;
}

PD_CHECK_MAIN(suite)
