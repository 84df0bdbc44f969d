/* Tests for the stock level transitions (shortage episodes, ETA moves,
 * restock, low-stock warnings with hysteresis) and the last-hour sales
 * cache behind the default low-stock threshold. */
#include <stdio.h>

#include "../../services/stock/level_state.h"
#include "../../services/stock/sales_cache.h"
#include "pd_check.h"

/* Applies a report to a state the way the service stores it. */
static st_level_decision step(st_level_state *s, int64_t available, int64_t eta, int64_t threshold, int64_t sales)
{
	st_level_report r = {available, eta, threshold, sales};
	st_level_decision d;
	st_level_decide(s, &r, &d);
	*s = d.next;
	return d;
}

START_TEST(first_report_at_zero_opens_an_episode)
{
	st_level_state s = {0};
	st_level_decision d = step(&s, 0, 0, 0, 0);
	ck_assert(d.shortage && !d.restocked && !d.eta_update && !d.low_warning);
	ck_assert(s.exists && s.shortage_open);
	ck_assert_int_eq(s.episodes, 1);
}
END_TEST

START_TEST(one_shortage_per_episode)
{
	st_level_state s = {0};
	step(&s, 10, 0, 0, 0);
	ck_assert(step(&s, 0, 0, 0, 0).shortage);
	st_level_decision d = step(&s, 0, 0, 0, 0);
	ck_assert(!d.shortage && !d.eta_update);
	d = step(&s, 5, 0, 0, 0);
	ck_assert(d.restocked && !d.shortage);
	ck_assert(!s.shortage_open);
	ck_assert_int_eq(s.episodes, 1);
	d = step(&s, 0, 0, 0, 0);
	ck_assert(d.shortage);
	ck_assert_int_eq(s.episodes, 2);
}
END_TEST

START_TEST(eta_later_or_first_known_updates_earlier_does_not)
{
	st_level_state s = {0};
	step(&s, 0, 0, 0, 0);
	ck_assert(step(&s, 0, 1000, 0, 0).eta_update); /* first known */
	ck_assert(step(&s, 0, 2000, 0, 0).eta_update); /* later */
	ck_assert(!step(&s, 0, 1500, 0, 0).eta_update); /* earlier */
	ck_assert(!step(&s, 0, 1500, 0, 0).eta_update); /* same */
	ck_assert(step(&s, 0, 1600, 0, 0).eta_update);  /* later than the stored one */
	ck_assert_int_eq(s.episodes, 1);
}
END_TEST

START_TEST(low_stock_once_per_dip)
{
	st_level_state s = {0};
	ck_assert(!step(&s, 500, 0, 100, 0).low_warning);
	ck_assert(step(&s, 100, 0, 100, 0).low_warning); /* at the threshold */
	ck_assert(!step(&s, 50, 0, 100, 0).low_warning);
	ck_assert(!step(&s, 99, 0, 100, 0).low_warning);
	ck_assert(!step(&s, 101, 0, 100, 0).low_warning); /* re-armed */
	ck_assert(!s.low_warned);
	ck_assert(step(&s, 80, 0, 100, 0).low_warning);
}
END_TEST

START_TEST(sell_through_is_the_default_threshold)
{
	st_level_state s = {0};
	st_level_report r = {40, 0, 0, 0};
	ck_assert(st_level_wants_sell_through(&s, &r));
	r.threshold = 10;
	ck_assert(!st_level_wants_sell_through(&s, &r));
	r.threshold = 0;
	r.available = 0;
	ck_assert(!st_level_wants_sell_through(&s, &r));
	ck_assert(!step(&s, 40, 0, 0, 0).low_warning);  /* no sales: no warning */
	ck_assert(step(&s, 40, 0, 0, 60).low_warning);  /* 40 left, 60 sold last hour */
	ck_assert(!step(&s, 30, 0, 0, 60).low_warning); /* still the same dip */
}
END_TEST

START_TEST(restock_below_threshold_does_not_warn_twice)
{
	st_level_state s = {0};
	step(&s, 0, 0, 100, 0);
	st_level_decision d = step(&s, 20, 0, 100, 0);
	ck_assert(d.restocked && !d.low_warning);
	ck_assert(s.low_warned);
	ck_assert(!step(&s, 10, 0, 100, 0).low_warning);
	/* zero again: a new episode, and the next dip may warn */
	ck_assert(step(&s, 0, 0, 100, 0).shortage);
	ck_assert(!s.low_warned);
}
END_TEST

/* PEAKDESK_STOCK_SALES_CACHE_MS=0: nothing is reused, yet the value just
 * fetched is the one to use (peek). */
START_TEST(cache_ttl_zero_never_reuses_but_peeks)
{
	st_sales_cache *c = st_sales_cache_new(0);
	int64_t v = -1;
	st_sales_cache_put(c, "A", 15000, 1000);
	ck_assert(!st_sales_cache_get(c, "A", 1000, &v));
	ck_assert(st_sales_cache_peek(c, "A", &v));
	ck_assert_int_eq(v, 15000);
	st_sales_cache_free(c);
}
END_TEST

START_TEST(cache_expires_and_grows)
{
	st_sales_cache *c = st_sales_cache_new(60000);
	int64_t v = -1;
	ck_assert(!st_sales_cache_get(c, "A", 0, &v));
	st_sales_cache_put(c, "A", 7, 1000);
	ck_assert(st_sales_cache_get(c, "A", 60999, &v));
	ck_assert_int_eq(v, 7);
	ck_assert(!st_sales_cache_get(c, "A", 61000, &v)); /* expired */
	ck_assert(!st_sales_cache_get(c, "A", 999, &v));   /* clock went back */
	v = -1;
	ck_assert(st_sales_cache_peek(c, "A", &v)); /* the stored value, whatever its age */
	ck_assert_int_eq(v, 7);
	ck_assert(!st_sales_cache_peek(c, "B", &v));
	st_sales_cache_put(c, "A", 9, 2000);
	ck_assert(st_sales_cache_get(c, "A", 2000, &v));
	ck_assert_int_eq(v, 9);
	char sku[32];
	for (int i = 0; i < 5000; i++) {
		snprintf(sku, sizeof(sku), "SKU-%d", i);
		st_sales_cache_put(c, sku, i, 5000);
	}
	ck_assert_uint_eq(st_sales_cache_size(c), 5001);
	for (int i = 0; i < 5000; i += 97) {
		snprintf(sku, sizeof(sku), "SKU-%d", i);
		ck_assert(st_sales_cache_get(c, sku, 5001, &v));
		ck_assert_int_eq(v, i);
	}
	ck_assert(st_sales_cache_get(c, "A", 2001, &v));
	ck_assert_int_eq(v, 9);
	st_sales_cache_free(c);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("stock_level");
	TCase *tc = tcase_create("episodes");
	tcase_add_test(tc, first_report_at_zero_opens_an_episode);
	tcase_add_test(tc, one_shortage_per_episode);
	tcase_add_test(tc, eta_later_or_first_known_updates_earlier_does_not);
	suite_add_tcase(s, tc);
	TCase *lo = tcase_create("low_stock");
	tcase_add_test(lo, low_stock_once_per_dip);
	tcase_add_test(lo, sell_through_is_the_default_threshold);
	tcase_add_test(lo, restock_below_threshold_does_not_warn_twice);
	suite_add_tcase(s, lo);
	TCase *ca = tcase_create("sales_cache");
	tcase_add_test(ca, cache_expires_and_grows);
	tcase_add_test(ca, cache_ttl_zero_never_reuses_but_peeks);
	suite_add_tcase(s, ca);
	return s;
}

PD_CHECK_MAIN(suite)
