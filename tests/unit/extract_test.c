/* Tests for order / return / tracking / phone extraction
 * (services/router/extract.c): the shop's own ids as they appear in
 * tests/data/sample, carrier waybills next to Chinese text, full-width
 * digits, phone-vs-order precedence, context cues for 12-digit numbers, no
 * match inside longer runs, S10 check digits, custom configs and their
 * validation. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../services/router/extract.h"
#include "pd_check.h"

#define MAXR 8

static size_t run(const char *text, rt_ref *out)
{
	return rt_extract(NULL, text, strlen(text), out, MAXR);
}

/* Exactly one reference, of that kind, format and value, whose span is
 * `span` (a substring of text, first occurrence). */
static void expect_one(const char *text, rt_ref_kind kind, const char *format, const char *value,
		       const char *span)
{
	rt_ref r[MAXR];
	size_t n = run(text, r);
	ck_assert_msg(n == 1, "'%s': %zu refs, want 1", text, n);
	ck_assert_msg(r[0].kind == kind, "'%s': kind %s, want %s", text, rt_ref_kind_name(r[0].kind),
		      rt_ref_kind_name(kind));
	ck_assert_msg(strcmp(r[0].format, format) == 0, "'%s': format %s, want %s", text,
		      r[0].format, format);
	ck_assert_msg(strcmp(r[0].value, value) == 0, "'%s': value %s, want %s", text, r[0].value,
		      value);
	const char *at = strstr(text, span);
	ck_assert_ptr_nonnull(at);
	ck_assert_msg(r[0].start == (size_t)(at - text) && r[0].end == r[0].start + strlen(span),
		      "'%s': span [%zu,%zu), want [%zu,%zu)", text, r[0].start, r[0].end,
		      (size_t)(at - text), (size_t)(at - text) + strlen(span));
}

static void expect_none(const char *text)
{
	rt_ref r[MAXR];
	size_t n = run(text, r);
	ck_assert_msg(n == 0, "'%s': %zu refs (first %s %s), want none", text, n,
		      n ? rt_ref_kind_name(r[0].kind) : "", n ? r[0].value : "");
}

START_TEST(tracking_next_to_chinese)
{
	expect_one("单号SF1234567890123到哪了", RT_REF_TRACKING, "shunfeng", "SF1234567890123",
		   "SF1234567890123");
	expect_one("顺丰sf123456789012，麻烦查一下", RT_REF_TRACKING, "shunfeng", "SF123456789012",
		   "sf123456789012");
	expect_one("圆通YT1234567890123还没到", RT_REF_TRACKING, "yuantong", "YT1234567890123",
		   "YT1234567890123");
	expect_one("京东JD0012345678901怎么还没派送", RT_REF_TRACKING, "jd", "JD0012345678901",
		   "JD0012345678901");
	expect_one("京东快递jdva00012345678", RT_REF_TRACKING, "jd", "JDVA00012345678",
		   "jdva00012345678");
	expect_one("极兔JT5123456789012", RT_REF_TRACKING, "jtexpress", "JT5123456789012",
		   "JT5123456789012");
	expect_one("Tracking: SF1234567890123.", RT_REF_TRACKING, "shunfeng", "SF1234567890123",
		   "SF1234567890123");
}
END_TEST

/* The ids the rest of peakdesk uses (orders, shipments and returns in
 * tests/data/sample). */
START_TEST(shop_ids_from_the_sample_data)
{
	expect_one("我的订单PD2411110001什么时候发货", RT_REF_ORDER, "shop", "PD2411110001",
		   "PD2411110001");
	expect_one("退货单RT2411130001进度", RT_REF_RETURN, "shop", "RT2411130001",
		   "RT2411130001");
	expect_one("SF140000241101", RT_REF_TRACKING, "shunfeng", "SF140000241101",
		   "SF140000241101");
	expect_one("YD431200241102", RT_REF_TRACKING, "yunda", "YD431200241102",
		   "YD431200241102");
	expect_one("YT900000241103", RT_REF_TRACKING, "yuantong", "YT900000241103",
		   "YT900000241103");
	expect_one("寄回的中通ZT731200900002", RT_REF_TRACKING, "zhongtong", "ZT731200900002",
		   "ZT731200900002");
	expect_one("订单号：D11-000001", RT_REF_ORDER, "shop", "D11-000001", "D11-000001");
	expect_one("order d11-0000012345 please", RT_REF_ORDER, "shop", "D11-0000012345",
		   "d11-0000012345");
}
END_TEST

START_TEST(marketplace_order_numbers)
{
	expect_one("淘宝订单2385712345678901234", RT_REF_ORDER, "taobao", "2385712345678901234",
		   "2385712345678901234");
	expect_one("订单号:238571234567890123,谢谢", RT_REF_ORDER, "taobao", "238571234567890123",
		   "238571234567890123");
	expect_one("京东订单23456789012", RT_REF_ORDER, "jd", "23456789012", "23456789012");
	expect_one("订单号 123456789012", RT_REF_ORDER, "jd", "123456789012", "123456789012");
}
END_TEST

START_TEST(fullwidth_digits_and_letters)
{
	expect_one("订单号：ＰＤ２４１１１１０００１", RT_REF_ORDER, "shop", "PD2411110001",
		   "ＰＤ２４１１１１０００１");
	expect_one("手机１３８１２３４５６７８", RT_REF_PHONE, "mobile", "13812345678",
		   "１３８１２３４５６７８");
	expect_one("单号ＳＦ１２３４５６７８９０１２３到哪了", RT_REF_TRACKING, "shunfeng",
		   "SF1234567890123", "ＳＦ１２３４５６７８９０１２３");
	expect_one("电话１３８－１２３４－５６７８", RT_REF_PHONE, "mobile", "13812345678",
		   "１３８－１２３４－５６７８");
	expect_one("电话 138　1234　5678 谢谢", RT_REF_PHONE, "mobile", "13812345678",
		   "138　1234　5678");
	expect_one("订单Ｄ１１－０００００１", RT_REF_ORDER, "shop", "D11-000001",
		   "Ｄ１１－０００００１");
}
END_TEST

START_TEST(phone_formats)
{
	expect_one("我的电话13812345678", RT_REF_PHONE, "mobile", "13812345678", "13812345678");
	expect_one("call 138-1234-5678 pls", RT_REF_PHONE, "mobile", "13812345678",
		   "138-1234-5678");
	expect_one("手机 138 1234 5678", RT_REF_PHONE, "mobile", "13812345678", "138 1234 5678");
	expect_one("tel:+8613812345678", RT_REF_PHONE, "mobile", "13812345678", "+8613812345678");
	expect_one("tel +86 138 1234 5678", RT_REF_PHONE, "mobile", "13812345678",
		   "+86 138 1234 5678");
	expect_one("tel +86-13812345678", RT_REF_PHONE, "mobile", "13812345678", "+86-13812345678");
	expect_one("tel +86 13912345678", RT_REF_PHONE, "mobile", "13912345678", "+86 13912345678");
	expect_one("换个号19912345678联系", RT_REF_PHONE, "mobile", "19912345678", "19912345678");
	/* 12 and 10 are not mobile prefixes: an 11-digit JD order */
	expect_one("12812345678", RT_REF_ORDER, "jd", "12812345678", "12812345678");
	expect_one("10012345678", RT_REF_ORDER, "jd", "10012345678", "10012345678");
	/* mixed separators and bad groupings are not phones */
	expect_none("138-1234 5678");
	expect_none("1381 234 5678");
	expect_none("138 1234 56789");
	/* "86" without '+' is not a country code: 13 digits are a waybill */
	expect_one("8613812345678", RT_REF_TRACKING, "numeric", "8613812345678", "8613812345678");
}
END_TEST

START_TEST(phone_wins_over_order)
{
	rt_ref r[MAXR];
	size_t n = run("订单号13812345678", r);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(r[0].kind, RT_REF_PHONE);
	ck_assert_int_eq(r[0].alt_kind, RT_REF_ORDER); /* the linker may try an order too */
	n = run("手机13812345678", r);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(r[0].kind, RT_REF_PHONE);
	ck_assert_int_eq(r[0].alt_kind, RT_REF_NONE);
	/* the nearest cue counts */
	n = run("订单上的手机号13812345678", r);
	ck_assert_int_eq(r[0].alt_kind, RT_REF_NONE);
	n = run("手机下的订单13812345678", r);
	ck_assert_int_eq(r[0].alt_kind, RT_REF_ORDER);
	n = run("order no. 13812345678", r);
	ck_assert_int_eq(r[0].alt_kind, RT_REF_ORDER);
	n = run("订单填的快递13812345678", r);
	ck_assert_int_eq(r[0].alt_kind, RT_REF_NONE);
	ck_assert_uint_eq(n, 1);
}
END_TEST

START_TEST(twelve_digits_decided_by_context)
{
	struct {
		const char *text;
		rt_ref_kind kind, alt;
		const char *format;
	} t[] = {
		{ "123456789012", RT_REF_ORDER, RT_REF_TRACKING, "jd" },
		{ "订单123456789012", RT_REF_ORDER, RT_REF_TRACKING, "jd" },
		{ "订单号是：123456789012", RT_REF_ORDER, RT_REF_TRACKING, "jd" },
		{ "order no. 123456789012", RT_REF_ORDER, RT_REF_TRACKING, "jd" },
		{ "快递单号123456789012", RT_REF_TRACKING, RT_REF_ORDER, "numeric" },
		{ "中通单号：731234567890", RT_REF_TRACKING, RT_REF_ORDER, "numeric" },
		{ "物流显示 731234567890 不动了", RT_REF_TRACKING, RT_REF_ORDER, "numeric" },
		{ "Tracking 731234567890", RT_REF_TRACKING, RT_REF_ORDER, "numeric" },
		/* the nearer cue wins */
		{ "订单的快递单号731234567890", RT_REF_TRACKING, RT_REF_ORDER, "numeric" },
		{ "快递催了，订单号123456789012", RT_REF_ORDER, RT_REF_TRACKING, "jd" },
		/* a cue far back (more than ~12 characters) does not count */
		{ "快递这件事先不说了我想问问另外一件事情就是123456789012", RT_REF_ORDER,
		  RT_REF_TRACKING, "jd" },
	};
	for (size_t i = 0; i < PD_ARRAY_LEN(t); i++) {
		rt_ref r[MAXR];
		size_t n = run(t[i].text, r);
		ck_assert_msg(n == 1, "'%s': %zu refs", t[i].text, n);
		ck_assert_msg(r[0].kind == t[i].kind && r[0].alt_kind == t[i].alt &&
				      strcmp(r[0].format, t[i].format) == 0,
			      "'%s': %s/%s/%s", t[i].text, rt_ref_kind_name(r[0].kind),
			      rt_ref_kind_name(r[0].alt_kind), r[0].format);
	}
}
END_TEST

START_TEST(numeric_waybills)
{
	expect_one("韵达4312345678901", RT_REF_TRACKING, "numeric", "4312345678901",
		   "4312345678901");
	expect_one("中通 73123456789012 到了吗", RT_REF_TRACKING, "numeric", "73123456789012",
		   "73123456789012");
	expect_one("邮政9812345678901", RT_REF_TRACKING, "numeric", "9812345678901",
		   "9812345678901");
	expect_one("EMS: EA123456789CN", RT_REF_TRACKING, "ems", "EA123456789CN",
		   "EA123456789CN");
	expect_one("ems ea123456785cn", RT_REF_TRACKING, "ems", "EA123456785CN", "ea123456785cn");
}
END_TEST

START_TEST(no_match_inside_longer_runs)
{
	expect_one("1381234567890", RT_REF_TRACKING, "numeric", "1381234567890",
		   "1381234567890"); /* 13 digits: a waybill, not a phone */
	expect_one("913812345678", RT_REF_ORDER, "jd", "913812345678", "913812345678");
	expect_none("SF12345678901234");   /* SF + 14 */
	expect_none("SF12345678901");      /* SF + 11 */
	expect_none("XSF1234567890123");   /* letters before */
	expect_none("SF1234567890123X");   /* letters after */
	expect_none("SF1234567890123-9");  /* joined by '-' */
	expect_none("D11-000001-2");
	expect_none("PD24111100012");      /* PD + 11 */
	expect_none("1234567890123456");   /* 16 digits: bank cards, not orders */
	expect_none("12345678901234567");  /* 17 */
	expect_none("12345678901234567890"); /* 20 */
	expect_none("1234567890123456789012345678901234567890123456789012345678901234567890");
	expect_none("2024-11-11 10:30");
	expect_none("¥1388.00，满300减50");
	expect_none("abc13812345678");
	expect_none("13812345678abc");
	expect_none("EA123456789CNX");
	expect_none("");
	/* a '-' not followed by a letter or digit does not join */
	expect_one("13812345678-", RT_REF_PHONE, "mobile", "13812345678", "13812345678");
	expect_one("-13812345678", RT_REF_PHONE, "mobile", "13812345678", "13812345678");
	ck_assert_uint_eq(rt_extract(NULL, NULL, 5, NULL, 0), 0);
}
END_TEST

START_TEST(invalid_utf8_ends_tokens)
{
	rt_ref r[MAXR];
	const char *t = "\xff" "13812345678\xfe\xe9\x80";
	ck_assert_uint_eq(rt_extract(NULL, t, strlen(t), r, MAXR), 1);
	ck_assert_int_eq(r[0].kind, RT_REF_PHONE);
	ck_assert_uint_eq(r[0].start, 1);
	ck_assert_uint_eq(r[0].end, 12);
	/* an embedded NUL is just a separator; the length decides */
	const char nul[] = "SF1234567890123\0" "13812345678";
	ck_assert_uint_eq(rt_extract(NULL, nul, sizeof(nul) - 1, r, MAXR), 2);
	ck_assert_int_eq(r[1].kind, RT_REF_PHONE);
}
END_TEST

START_TEST(several_in_order_without_repeats)
{
	rt_ref r[MAXR];
	const char *t = "订单PD2411110001的快递SF140000241101，电话138 1234 5678；"
			"再说一次订单PD2411110001，淘宝2385712345678901234";
	size_t n = run(t, r);
	ck_assert_uint_eq(n, 4);
	ck_assert_int_eq(r[0].kind, RT_REF_ORDER);
	ck_assert_str_eq(r[0].value, "PD2411110001");
	ck_assert_int_eq(r[1].kind, RT_REF_TRACKING);
	ck_assert_str_eq(r[1].value, "SF140000241101");
	ck_assert_int_eq(r[2].kind, RT_REF_PHONE);
	ck_assert_str_eq(r[2].value, "13812345678");
	ck_assert_int_eq(r[3].kind, RT_REF_ORDER);
	ck_assert_str_eq(r[3].value, "2385712345678901234");
	for (size_t i = 1; i < n; i++)
		ck_assert_uint_gt(r[i].start, r[i - 1].start);
	/* the same phone written two ways is one reference */
	n = run("13812345678 / 138-1234-5678", r);
	ck_assert_uint_eq(n, 1);
	/* max caps what is written; the count goes on (repeats are recognised
	 * against what was written, so with nothing written the repeated
	 * PD2411110001 counts twice: "more than max" is all it promises) */
	n = rt_extract(NULL, t, strlen(t), r, 2);
	ck_assert_uint_eq(n, 4);
	n = rt_extract(NULL, t, strlen(t), NULL, 0);
	ck_assert_uint_eq(n, 5);
}
END_TEST

START_TEST(s10_check_digit_when_asked)
{
	rt_extract_config cfg = *rt_extract_default_config();
	cfg.s10_check_digit = 1;
	rt_ref r[MAXR];
	/* 12345678: weighted sum 204, 204 % 11 = 6, check 11 - 6 = 5 */
	const char *good = "EA123456785CN", *bad = "EA123456789CN";
	ck_assert_uint_eq(rt_extract(&cfg, good, strlen(good), r, MAXR), 1);
	ck_assert_uint_eq(rt_extract(&cfg, bad, strlen(bad), r, MAXR), 0);
	/* weights 8 6 4 2 3 5 9 7; check = 11 - sum % 11, where 10 -> 0, 11 -> 5 */
	struct {
		const char *s;
		size_t want;
	} t[] = {
		{ "RR000000005CN", 1 }, /* sum 0 -> 11 -> 5 */
		{ "RR000000080CN", 1 }, /* 8 * 7 = 56, 56 % 11 = 1 -> 10 -> 0 */
		{ "RR000000102CN", 1 }, /* 1 * 9 = 9 -> 2 */
		{ "RR000000100CN", 0 },
		{ "RR100000003CN", 1 }, /* 1 * 8 = 8 -> 3 */
		{ "RR100000000CN", 0 },
		{ "RR000001006CN", 1 }, /* 1 * 5 = 5 -> 6 */
		{ "RR000001000CN", 0 },
	};
	for (size_t i = 0; i < PD_ARRAY_LEN(t); i++)
		ck_assert_msg(rt_extract(&cfg, t[i].s, strlen(t[i].s), r, MAXR) == t[i].want, "%s",
			      t[i].s);
	cfg.s10 = 0;
	ck_assert_uint_eq(rt_extract(&cfg, good, strlen(good), r, MAXR), 0);
}
END_TEST

START_TEST(custom_config)
{
	static const rt_prefix_format pf[] = {
		{ "TB", 0, 8, 8, RT_REF_ORDER, "mini-shop" },
		{ "618-", 1, 4, 6, RT_REF_ORDER, "campaign" },
	};
	static const rt_numeric_format nf[] = {
		{ 11, 11, RT_REF_ORDER, "jd", RT_REF_NONE, NULL },
	};
	rt_extract_config cfg = { pf, 2, nf, 1, 0, 0, 0 };
	pd_errbuf eb = { 0 };
	ck_assert_int_eq(rt_extract_config_check(&cfg, &eb), PD_OK);
	rt_ref r[MAXR];
	const char *t = "tb12345678 618-A1234 13812345678 SF1234567890123";
	ck_assert_uint_eq(rt_extract(&cfg, t, strlen(t), r, MAXR), 3);
	ck_assert_str_eq(r[0].format, "mini-shop");
	ck_assert_str_eq(r[0].value, "TB12345678");
	ck_assert_str_eq(r[1].format, "campaign");
	ck_assert_str_eq(r[1].value, "618-A1234");
	/* phones switched off: the 11 digits are an order */
	ck_assert_int_eq(r[2].kind, RT_REF_ORDER);
	ck_assert_str_eq(r[2].value, "13812345678");
	ck_assert_int_eq(rt_extract_config_check(rt_extract_default_config(), &eb), PD_OK);
}
END_TEST

START_TEST(config_check_reasons)
{
	struct {
		rt_prefix_format p;
		const char *needle;
	} bad_p[] = {
		{ { "", 0, 1, 2, RT_REF_ORDER, "x" }, "prefix must be 1..16" },
		{ { NULL, 0, 1, 2, RT_REF_ORDER, "x" }, "prefix must be 1..16" },
		{ { "-A", 0, 1, 2, RT_REF_ORDER, "x" }, "single '-'" },
		{ { "A--", 0, 1, 2, RT_REF_ORDER, "x" }, "single '-'" },
		{ { "单", 0, 1, 2, RT_REF_ORDER, "x" }, "ASCII letters" },
		{ { "A", 5, 1, 2, RT_REF_ORDER, "x" }, "letters must be 0..4" },
		{ { "A", 0, 0, 2, RT_REF_ORDER, "x" }, "1 <= min <= max <= 30" },
		{ { "A", 0, 3, 2, RT_REF_ORDER, "x" }, "1 <= min <= max <= 30" },
		{ { "A", 0, 1, 31, RT_REF_ORDER, "x" }, "1 <= min <= max <= 30" },
		{ { "A", 0, 1, 2, RT_REF_PHONE, "x" }, "kind must be" },
		{ { "A", 0, 1, 2, RT_REF_ORDER, "" }, "format name" },
	};
	for (size_t i = 0; i < PD_ARRAY_LEN(bad_p); i++) {
		rt_extract_config cfg = { &bad_p[i].p, 1, NULL, 0, 1, 1, 0 };
		pd_errbuf eb = { 0 };
		ck_assert_int_eq(rt_extract_config_check(&cfg, &eb), PD_EINVAL);
		ck_assert_msg(strstr(eb.msg, bad_p[i].needle) && strstr(eb.msg, "prefixes[0]"),
			      "case %zu: '%s'", i, eb.msg);
	}
	struct {
		rt_numeric_format f;
		const char *needle;
	} bad_n[] = {
		{ { 0, 5, RT_REF_ORDER, "x", RT_REF_NONE, NULL }, "1 <= min" },
		{ { 5, 5, RT_REF_NONE, "x", RT_REF_NONE, NULL }, "kind must be" },
		{ { 5, 5, RT_REF_ORDER, "x", RT_REF_ORDER, "y" }, "alt_kind must differ" },
		{ { 5, 5, RT_REF_ORDER, "x", RT_REF_TRACKING, NULL }, "alt_format" },
	};
	for (size_t i = 0; i < PD_ARRAY_LEN(bad_n); i++) {
		rt_extract_config cfg = { NULL, 0, &bad_n[i].f, 1, 1, 1, 0 };
		pd_errbuf eb = { 0 };
		ck_assert_int_eq(rt_extract_config_check(&cfg, &eb), PD_EINVAL);
		ck_assert_msg(strstr(eb.msg, bad_n[i].needle) && strstr(eb.msg, "numerics[0]"),
			      "case %zu: '%s'", i, eb.msg);
	}
	ck_assert_int_eq(rt_extract_config_check(NULL, NULL), PD_EINVAL);
	rt_extract_config missing = { NULL, 3, NULL, 0, 0, 0, 0 };
	ck_assert_int_eq(rt_extract_config_check(&missing, NULL), PD_EINVAL);
	/* rt_extract skips what the check would refuse instead of crashing */
	static const rt_prefix_format nullp[] = { { NULL, 0, 1, 2, RT_REF_ORDER, NULL } };
	rt_extract_config cfg = { nullp, 1, NULL, 0, 1, 1, 0 };
	rt_ref r[MAXR];
	ck_assert_uint_eq(rt_extract(&cfg, "A12 13812345678", 15, r, MAXR), 1);
}
END_TEST

START_TEST(kind_names)
{
	ck_assert_str_eq(rt_ref_kind_name(RT_REF_ORDER), "order");
	ck_assert_str_eq(rt_ref_kind_name(RT_REF_TRACKING), "tracking");
	ck_assert_str_eq(rt_ref_kind_name(RT_REF_RETURN), "return");
	ck_assert_str_eq(rt_ref_kind_name(RT_REF_PHONE), "phone");
	ck_assert_str_eq(rt_ref_kind_name(RT_REF_NONE), "");
	ck_assert_str_eq(rt_ref_kind_name((rt_ref_kind)77), "");
}
END_TEST

/* Every reference re-extracted from its own span gives the same value:
 * spans are exact, on random mixtures of the formats and Chinese text. */
START_TEST(spans_round_trip)
{
	static const char *const parts[] = {
		"订单", "PD2411110001", "，", "SF1234567890123", " ", "138 1234 5678", "+86",
		"１３８１２３４５６７８", "-", "2385712345678901234", "快递", "123456789012",
		"EA123456789CN", "a", "9", "D11-000001", "单号", "\xff", "JDVA00012345678",
	};
	unsigned seed = 7;
	for (int round = 0; round < 2000; round++) {
		char text[512];
		size_t len = 0;
		int parts_n = 1 + (int)(seed % 9);
		for (int p = 0; p < parts_n; p++) {
			seed = seed * 1103515245u + 12345u;
			const char *s = parts[(seed >> 16) % PD_ARRAY_LEN(parts)];
			memcpy(text + len, s, strlen(s));
			len += strlen(s);
		}
		rt_ref r[16];
		size_t n = rt_extract(NULL, text, len, r, 16);
		for (size_t i = 0; i < n && i < 16; i++) {
			ck_assert_uint_le(r[i].end, len);
			ck_assert_uint_lt(r[i].start, r[i].end);
			rt_ref again[4];
			size_t m = rt_extract(NULL, text + r[i].start, r[i].end - r[i].start, again, 4);
			ck_assert_msg(m == 1 && strcmp(again[0].value, r[i].value) == 0,
				      "round %d ref %zu (%s): %zu refs from its span", round, i,
				      r[i].value, m);
		}
	}
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("extract");
	TCase *tc = tcase_create("formats");
	tcase_add_test(tc, tracking_next_to_chinese);
	tcase_add_test(tc, shop_ids_from_the_sample_data);
	tcase_add_test(tc, marketplace_order_numbers);
	tcase_add_test(tc, fullwidth_digits_and_letters);
	tcase_add_test(tc, phone_formats);
	tcase_add_test(tc, numeric_waybills);
	tcase_add_test(tc, s10_check_digit_when_asked);
	suite_add_tcase(s, tc);

	tc = tcase_create("precedence");
	tcase_add_test(tc, phone_wins_over_order);
	tcase_add_test(tc, twelve_digits_decided_by_context);
	tcase_add_test(tc, no_match_inside_longer_runs);
	tcase_add_test(tc, invalid_utf8_ends_tokens);
	tcase_add_test(tc, several_in_order_without_repeats);
	tcase_add_test(tc, spans_round_trip);
	suite_add_tcase(s, tc);

	tc = tcase_create("config");
	tcase_add_test(tc, custom_config);
	tcase_add_test(tc, config_check_reasons);
	tcase_add_test(tc, kind_names);
	suite_add_tcase(s, tc);
	return s;
}

PD_CHECK_MAIN(suite)
