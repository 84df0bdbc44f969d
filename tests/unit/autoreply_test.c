/* Auto-reply rendering from facts (services/router/autoreply.c). */
#include <string.h>

#include "../../services/router/autoreply.h"
#include "pd_check.h"

START_TEST(tracking_status_uses_the_shipment_facts)
{
	rt_facts f = {.has_shipment = 1, .carrier = "yunda", .tracking_no = "YD431200241102", .state = "in_transit",
		      .last_scan_text = "快件已到达【义乌转运中心】", .last_scan_at_ms = 1731351944000, .delayed = 1};
	char out[1024];
	ck_assert_int_eq(rt_autoreply_render("tracking_status", &f, out, sizeof(out)), 1);
	ck_assert_msg(strstr(out, "韵达 YD431200241102"), "%s", out);
	ck_assert_msg(strstr(out, "运输中"), "%s", out);
	ck_assert_msg(strstr(out, "义乌转运中心"), "%s", out);
	ck_assert_msg(strstr(out, "11-12 03:05"), "China time of the last scan: %s", out);
	ck_assert_msg(strstr(out, "催促"), "a delay is acknowledged: %s", out);
}
END_TEST

START_TEST(no_facts_no_reply)
{
	char out[256];
	rt_facts none = {0};
	ck_assert_int_eq(rt_autoreply_render("tracking_status", &none, out, sizeof(out)), 0);
	ck_assert_int_eq(rt_autoreply_render("tracking_status", NULL, out, sizeof(out)), 0);
	rt_facts odd = {.has_shipment = 1, .tracking_no = "X1", .state = "teleported"};
	ck_assert_int_eq(rt_autoreply_render("tracking_status", &odd, out, sizeof(out)), 0);
	ck_assert_int_eq(rt_autoreply_render("restock_eta", &odd, out, sizeof(out)), 0);
	ck_assert_int_eq(rt_autoreply_render("nonsense", &odd, out, sizeof(out)), 0);
	ck_assert_int_eq(rt_autoreply_needs("tracking_status"), RT_FACTS_SHIPMENT);
	ck_assert_int_eq(rt_autoreply_needs("restock_eta"), RT_FACTS_STOCK);
	ck_assert_int_eq(rt_autoreply_needs("promo_rule"), RT_FACTS_PROMO);
	ck_assert_int_eq(rt_autoreply_needs("complaint_ack"), 0);
}
END_TEST

START_TEST(complaint_ack_needs_no_facts_and_small_buffers_stay_terminated)
{
	char out[64];
	ck_assert_int_eq(rt_autoreply_render("complaint_ack", NULL, out, sizeof(out)), 1);
	ck_assert_uint_lt(strlen(out), sizeof(out));
	rt_facts f = {.has_shipment = 1, .carrier = "sf", .tracking_no = "SF1234567890123", .state = "delivered",
		      .last_scan_text = "已签收"};
	char tiny[16];
	ck_assert_int_eq(rt_autoreply_render("tracking_status", &f, tiny, sizeof(tiny)), 1);
	ck_assert_uint_lt(strlen(tiny), sizeof(tiny));
	/* cut on a character boundary: the last byte is not a lone lead or a
	 * dangling continuation */
	size_t n = strlen(tiny);
	ck_assert((unsigned char)tiny[n - 1] < 0x80 || ((unsigned char)tiny[n - 1] & 0xC0) == 0x80);
}
END_TEST

START_TEST(restock_eta_states_the_known_date_or_says_it_is_unknown)
{
	/* 2026-11-13 02:00 UTC = 11-13 10:00 China time */
	rt_facts f = {.has_stock = 1, .order_id = "SO123", .sku_name = "星光手机 256G", .out_of_stock = 1,
		      .restock_eta_ms = 1794535200000LL};
	char out[1024];
	ck_assert_int_eq(rt_autoreply_render("restock_eta", &f, out, sizeof(out)), 1);
	ck_assert_msg(strstr(out, "SO123") && strstr(out, "星光手机 256G") && strstr(out, "缺货"), "%s", out);
	ck_assert_msg(strstr(out, "11月13日"), "the ETA in China time: %s", out);
	f.restock_eta_ms = 0;
	ck_assert_int_eq(rt_autoreply_render("restock_eta", &f, out, sizeof(out)), 1);
	ck_assert_msg(strstr(out, "主动通知") && !strstr(out, "预计"), "no guessed date: %s", out);
	/* in stock, presale, nothing known */
	rt_facts in = {.has_stock = 1, .sku_name = "手机壳", .available = 30};
	ck_assert_int_eq(rt_autoreply_render("restock_eta", &in, out, sizeof(out)), 1);
	ck_assert_msg(strstr(out, "有货"), "%s", out);
	rt_facts pre = {.has_stock = 1, .sku_name = "新款耳机", .presale = 1, .ship_by_ms = 1794535200000LL};
	ck_assert_int_eq(rt_autoreply_render("ship_by", &pre, out, sizeof(out)), 1);
	ck_assert_msg(strstr(out, "预售") && strstr(out, "11月13日"), "%s", out);
	rt_facts none = {.has_stock = 1, .sku_name = "x", .available = 0};
	ck_assert_int_eq(rt_autoreply_render("restock_eta", &none, out, sizeof(out)), 0);
	rt_facts no_stock = {0};
	ck_assert_int_eq(rt_autoreply_render("restock_eta", &no_stock, out, sizeof(out)), 0);
}
END_TEST

START_TEST(promo_rule_quotes_the_rule_text)
{
	rt_facts f = {.has_promo = 1, .campaign_name = "双11", .promo_title = "满300减50",
		      .promo_text = "每满300元减50元，上不封顶"};
	char out[1024];
	ck_assert_int_eq(rt_autoreply_render("promo_rule", &f, out, sizeof(out)), 1);
	ck_assert_msg(strstr(out, "【满300减50】") && strstr(out, "每满300元减50元，上不封顶"), "%s", out);
	rt_facts none = {0};
	ck_assert_int_eq(rt_autoreply_render("promo_rule", &none, out, sizeof(out)), 0);
	char tiny[40];
	ck_assert_int_eq(rt_autoreply_render("promo_rule", &f, tiny, sizeof(tiny)), 1);
	size_t n = strlen(tiny);
	ck_assert((unsigned char)tiny[n - 1] < 0x80 || ((unsigned char)tiny[n - 1] & 0xC0) == 0x80);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("autoreply");
	TCase *tc = tcase_create("autoreply");
	tcase_add_test(tc, tracking_status_uses_the_shipment_facts);
	tcase_add_test(tc, no_facts_no_reply);
	tcase_add_test(tc, complaint_ack_needs_no_facts_and_small_buffers_stay_terminated);
	tcase_add_test(tc, restock_eta_states_the_known_date_or_says_it_is_unknown);
	tcase_add_test(tc, promo_rule_quotes_the_rule_text);
	suite_add_tcase(s, tc);
	return s;
}

PD_CHECK_MAIN(suite)
