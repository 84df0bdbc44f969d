/* Tests for the router's rule classifier (services/router/classify.c) and
 * the shipped default rules: realistic Chinese and English messages against
 * the expected category/priority/group; keywords_any/all/none, first-match
 * order, fall-through, channel/tier/current-category filters, the "why"
 * (keywords and spans), folding (case, full-width, word boundaries, '*'),
 * regex, compile errors with reasons, a 1,000-keyword automaton over 64 KiB
 * checked against a naive search, sharing one rule set across threads, and
 * the automaton's alphabet: the class table's folding, characters of every
 * UTF-8 length, invalid bytes next to keywords, its dense and sparse forms
 * against each other, and sets over the dense form's limits. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../services/router/classify.h"
#include "../../services/router/classify_internal.h"
#include "common.pb-c.h"
#include "pd_check.h"

#define WH PEAKDESK__V1__CHANNEL_KIND__CHANNEL_KIND_WEBHOOK
#define WX PEAKDESK__V1__CHANNEL_KIND__CHANNEL_KIND_WECHAT
#define EM PEAKDESK__V1__CHANNEL_KIND__CHANNEL_KIND_EMAIL

#define L(...) ((const char *const[]){ __VA_ARGS__, NULL })

static rt_rules *compile_ok(const rt_rule_def *defs, size_t n)
{
	rt_rules *r = NULL;
	pd_errbuf eb = { 0 };
	int rc = rt_rules_compile(defs, n, &r, &eb);
	ck_assert_msg(rc == PD_OK, "compile failed: %s", eb.msg);
	ck_assert_ptr_nonnull(r);
	return r;
}

static rt_rules *defaults(void)
{
	size_t n;
	const rt_rule_def *d = rt_default_rules(&n);
	return compile_ok(d, n);
}

static void classify(const rt_rules *r, const char *text, int channel, const char *tier,
		     const char *cur, rt_result *res)
{
	rt_input in = { text, strlen(text), channel, tier, cur };
	ck_assert_int_eq(rt_classify(r, &in, res), PD_OK);
}

static int has_tag(const rt_result *res, const char *tag)
{
	for (size_t i = 0; i < res->n_tags; i++)
		if (strcmp(res->tags[i], tag) == 0)
			return 1;
	return 0;
}

/* ---- the default rule set on realistic messages -------------------------- */

struct msg_case {
	const char *text;
	int channel;
	const char *tier, *cur;
	const char *category;
	int priority;
	const char *group;
	const char *rule; /* the deciding rule */
};

static const struct msg_case cases[] = {
	/* logistics */
	{ "你好，我的快递到哪了？", WX, "", "", "logistics", 2, "order", "logistics-tracking" },
	{ "单号SF1234567890123到哪了", WX, "", "", "logistics", 2, "order", "logistics-tracking" },
	{ "物流三天没更新了", WX, "", "", "logistics", 3, "order", "logistics-delay" },
	{ "快递一直不动，怎么回事", WH, "", "", "logistics", 3, "order", "logistics-delay" },
	{ "显示已签收但是我没收到", WX, "", "", "logistics", 3, "order", "logistics-not-received" },
	{ "收到的时候外包装破损，杯子碎了", WX, "", "", "logistics", 3, "after-sale",
	  "logistics-damage" },
	{ "Where is my parcel? It has been a week", WH, "", "", "logistics", 2, "order",
	  "logistics-tracking" },
	{ "My package arrived damaged", EM, "", "", "logistics", 3, "after-sale",
	  "logistics-damage" },
	{ "Tracking shows delivered but I never received it", EM, "", "", "logistics", 3, "order",
	  "logistics-not-received" },
	{ "顺丰什么时候到", WX, "", "", "logistics", 2, "order", "logistics-tracking" },
	{ "The delivery is delayed again", WH, "", "", "logistics", 3, "order", "logistics-delay" },
	/* order */
	{ "下单三天了还没发货", WX, "", "", "order", 3, "order", "order-not-shipped" },
	{ "你们延迟发货要赔付吗", WX, "", "", "order", 3, "order", "order-not-shipped" },
	{ "能改地址吗，快递还没发吧", WX, "", "", "order", 3, "order", "order-change" },
	{ "拍错了，帮我取消订单", WX, "", "", "order", 3, "order", "order-change" },
	{ "Please cancel my order", EM, "", "", "order", 3, "order", "order-change" },
	{ "付款的时候显示支付失败", WH, "", "", "order", 2, "order", "order-status" },
	{ "My order has not shipped yet", WH, "", "", "order", 3, "order", "order-not-shipped" },
	/* after-sale */
	{ "我要退款", WX, "", "", "after-sale", 3, "after-sale", "refund" },
	{ "I want a refund please", WH, "", "", "after-sale", 3, "after-sale", "refund" },
	{ "这个可以七天无理由退货吗", WX, "", "", "after-sale", 2, "after-sale", "return" },
	{ "衣服小了，换货怎么操作", WX, "", "", "after-sale", 2, "after-sale", "exchange" },
	{ "耳机用了两天左耳没声音，坏了", WX, "", "", "after-sale", 3, "after-sale", "quality" },
	{ "赠品没收到", WX, "", "", "after-sale", 2, "after-sale", "gift-missing" },
	{ "Can I return this? It does not work", EM, "", "", "after-sale", 2, "after-sale",
	  "return" },
	{ "The item is faulty", EM, "", "", "after-sale", 3, "after-sale", "quality" },
	{ "退货有运费险吗", WX, "", "", "after-sale", 2, "after-sale", "return" },
	/* stock */
	{ "预售的什么时候发货", WX, "", "", "stock", 2, "order", "stock-ship-time" },
	{ "这款有货吗", WX, "", "", "stock", 2, "presale", "stock-availability" },
	{ "黑色的什么时候补货", WX, "", "", "stock", 2, "presale", "stock-availability" },
	{ "Is this item in stock?", WH, "", "", "stock", 2, "presale", "stock-availability" },
	{ "When will it ship?", WH, "", "", "stock", 2, "order", "stock-ship-time" },
	/* promo */
	{ "优惠券怎么用不了", WX, "", "", "promo", 2, "presale", "promo-coupon" },
	{ "定金付了，尾款什么时候付", WX, "", "", "promo", 2, "presale", "promo-deposit" },
	{ "预售定金可以退吗", WX, "", "", "promo", 2, "presale", "promo-deposit" },
	{ "买了两天就降价了，能保价吗", WX, "", "", "promo", 3, "presale",
	  "promo-price-protect" },
	{ "降价了能退差价吗", WX, "", "", "promo", 3, "presale", "promo-price-protect" },
	{ "价保退款什么时候到账", WX, "", "", "promo", 3, "presale", "promo-price-protect" },
	{ "满300减50可以和店铺券叠加吗", WX, "", "", "promo", 2, "presale", "promo-coupon" },
	{ "赠品有哪些", WX, "", "", "promo", 2, "presale", "promo-coupon" },
	{ "Any coupons for Double 11?", WH, "", "", "promo", 2, "presale", "promo-coupon" },
	{ "Can you refund the difference? The price dropped", EM, "", "", "promo", 3, "presale",
	  "promo-price-protect" },
	/* complaint */
	{ "再不处理我就打12315投诉你们", WX, "", "", "complaint", 4, "complaints",
	  "complaint-regulator" },
	{ "我要给差评", WX, "", "", "complaint", 4, "complaints", "complaint-review" },
	{ "你们这是虚假宣传，我要曝光", WX, "", "", "complaint", 4, "complaints",
	  "complaint-exposure" },
	{ "去消协告你们", WX, "", "", "complaint", 4, "complaints", "complaint-regulator" },
	{ "退款还不到账我去工商局", WX, "", "", "complaint", 4, "complaints",
	  "complaint-regulator" },
	{ "再这样我找律师起诉", WX, "", "", "complaint", 4, "complaints", "complaint-legal" },
	{ "我要投诉你们客服", WX, "", "", "complaint", 4, "complaints", "complaint-general" },
	{ "I will report you to the consumer association", EM, "", "", "complaint", 4,
	  "complaints", "complaint-regulator" },
	{ "This shop is a scam, I'll leave a 1-star review", WH, "", "", "complaint", 4,
	  "complaints", "complaint-legal" },
	{ "I want to complain about your service", EM, "", "", "complaint", 4, "complaints",
	  "complaint-general" },
	/* presale */
	{ "这个颜色和图片一样吗", WX, "", "", "presale", 2, "presale", "presale-product" },
	{ "身高170体重65穿多大", WX, "", "", "presale", 2, "presale", "presale-size" },
	{ "Do you have this in size M?", WH, "", "", "presale", 2, "presale", "presale-size" },
	{ "在吗", WX, "", "", "presale", 2, "presale", "presale-general" },
	{ "包邮吗？发什么快递", WX, "", "", "presale", 2, "presale", "presale-shipping" },
	{ "可以开专票吗", WX, "", "", "presale", 2, "presale", "invoice" },
	{ "Is it genuine?", WH, "", "", "presale", 2, "presale", "presale-product" },
	/* channel filter: the same question by e-mail goes to the order group */
	{ "可以开专票吗", EM, "", "", "order", 2, "order", "invoice-email" },
	{ "Invoice request for order PD2411110001", EM, "", "", "order", 2, "order",
	  "invoice-email" },
	/* regex rule and fallback */
	{ "2385712345678901234", WX, "", "", "order", 2, "order", "order-number-only" },
	{ "PD2411110001", WX, "", "", "order", 2, "order", "order-number-only" },
	{ "ＰＤ２４１１１１０００１", WX, "", "", "order", 2, "order", "order-number-only" },
	{ "哈哈哈", WX, "", "", "other", 1, "presale", "fallback" },
	{ "", WX, "", "", "other", 1, "presale", "fallback" },
	{ "The chocolate is great", WH, "", "", "other", 1, "presale", "fallback" },
	{ "编号123156", WX, "", "", "other", 1, "presale", "fallback" },
	/* words that look like a keyword but are not one (false-positive guards) */
	{ "我等了一星期了", WX, "", "", "other", 1, "presale", "fallback" },
	{ "用工商银行付款失败了", WX, "", "", "order", 2, "order", "order-status" },
	{ "在小红书上看到你们家的推荐", WX, "", "", "presale", 2, "presale", "presale-general" },
	{ "扫地机器人有货吗", WX, "", "", "stock", 2, "presale", "stock-availability" },
	{ "这个箱子太重了我搬不动", WX, "", "", "other", 1, "presale", "fallback" },
	{ "Is there an issue with my account?", WH, "", "", "other", 1, "presale", "fallback" },
	/* folding */
	{ "ＲＥＦＵＮＤ please", WH, "", "", "after-sale", 3, "after-sale", "refund" },
	{ "REFUNDED yet?", WH, "", "", "after-sale", 3, "after-sale", "refund" },
	/* tier filter and fall-through: VIP keeps its group and priority */
	{ "我的快递到哪了", WX, "vip", "", "logistics", 3, "vip", "logistics-tracking" },
	{ "我的快递到哪了", WX, "VIP", "", "logistics", 3, "vip", "logistics-tracking" },
	{ "在吗", WX, "vip", "", "presale", 3, "vip", "presale-general" },
	{ "我要给差评", WX, "vip", "", "complaint", 4, "complaints", "complaint-review" },
	{ "转人工！快递到哪了", WX, "", "", "logistics", 3, "order", "logistics-tracking" },
	{ "急！什么时候发货", WX, "", "", "stock", 3, "order", "stock-ship-time" },
	/* current category: a follow-up on a return ticket stays after-sale */
	{ "我已经寄出了，快递单号YT1234567890123", WX, "", "after-sale", "after-sale", 2,
	  "after-sale", "return-parcel-followup" },
	{ "我已经寄出了，快递单号YT1234567890123", WX, "", "", "logistics", 2, "order",
	  "logistics-tracking" },
	{ "我已经寄出了，快递单号YT1234567890123", WX, "", "order", "logistics", 2, "order",
	  "logistics-tracking" },
};

START_TEST(default_rules_realistic_messages)
{
	const struct msg_case *c = &cases[_i];
	rt_rules *r = defaults();
	rt_result res;
	classify(r, c->text, c->channel, c->tier, c->cur, &res);
	ck_assert_msg(strcmp(res.category_name, c->category) == 0, "'%s': category %s, want %s",
		      c->text, res.category_name, c->category);
	ck_assert_msg(res.priority == c->priority, "'%s': priority %d, want %d", c->text,
		      res.priority, c->priority);
	ck_assert_msg(res.group && strcmp(res.group, c->group) == 0, "'%s': group %s, want %s",
		      c->text, res.group ? res.group : "(null)", c->group);
	ck_assert_msg(res.rule_id && strcmp(res.rule_id, c->rule) == 0, "'%s': rule %s, want %s",
		      c->text, res.rule_id ? res.rule_id : "(null)", c->rule);
	ck_assert_int_eq(res.category, rt_category_parse(c->category));
	rt_rules_free(r);
}
END_TEST

/* Every shipped rule is exercised by at least one message above, so a rule
 * shadowed by an earlier one shows up here. */
START_TEST(default_rules_every_rule_reached)
{
	rt_rules *r = defaults();
	size_t n;
	const rt_rule_def *d = rt_default_rules(&n);
	ck_assert_int_ge(n, 30);
	for (size_t k = 0; k < n; k++) {
		int reached = 0;
		for (size_t i = 0; i < PD_ARRAY_LEN(cases) && !reached; i++) {
			rt_result res;
			classify(r, cases[i].text, cases[i].channel, cases[i].tier, cases[i].cur, &res);
			for (size_t a = 0; a < res.n_applied && a < RT_RESULT_MAX_RULES; a++)
				if (strcmp(res.rules[a], d[k].id) == 0)
					reached = 1;
		}
		if (!reached) {
			/* the add-ons need a message of their own */
			const char *extra[] = { "太差了，垃圾", "Please hurry, it's urgent" };
			for (size_t e = 0; e < PD_ARRAY_LEN(extra) && !reached; e++) {
				rt_result res;
				classify(r, extra[e], WX, "", "", &res);
				for (size_t a = 0; a < res.n_applied; a++)
					if (strcmp(res.rules[a], d[k].id) == 0)
						reached = 1;
			}
		}
		ck_assert_msg(reached, "default rule '%s' is never applied", d[k].id);
	}
	rt_rules_free(r);
}
END_TEST

START_TEST(default_rules_shape)
{
	size_t n;
	const rt_rule_def *d = rt_default_rules(&n);
	const char *groups[] = { "presale", "order", "after-sale", "complaints", "vip" };
	int seen_cat[RT_CAT_COUNT] = { 0 };
	for (size_t k = 0; k < n; k++) {
		if (d[k].group) {
			int ok = 0;
			for (size_t g = 0; g < PD_ARRAY_LEN(groups); g++)
				ok |= strcmp(d[k].group, groups[g]) == 0;
			ck_assert_msg(ok, "rule '%s': unexpected group %s", d[k].id, d[k].group);
		}
		if (d[k].category)
			seen_cat[rt_category_parse(d[k].category)] = 1;
		if (d[k].channels)
			ck_assert_uint_eq(d[k].channels, RT_CHANNEL(EM));
	}
	for (int c = RT_CAT_PRESALE; c < RT_CAT_COUNT; c++)
		ck_assert_msg(seen_cat[c], "no default rule sets %s", rt_category_name(c));
	/* the last rule is an unconditional low-priority fallback */
	const rt_rule_def *last = &d[n - 1];
	ck_assert_ptr_null(last->keywords_any);
	ck_assert_ptr_null(last->regex);
	ck_assert_int_eq(last->priority, RT_PRIO_LOW);
	ck_assert_int_eq(last->fall_through, 0);
}
END_TEST

START_TEST(default_rules_the_why)
{
	rt_rules *r = defaults();
	rt_result res;
	const char *text = "你好，退款什么时候到账？我要给差评";
	classify(r, text, WX, "", "", &res);
	ck_assert_str_eq(res.rule_id, "complaint-review");
	ck_assert_uint_eq(res.n_hits, 1);
	ck_assert_str_eq(res.hits[0].keyword, "差评");
	ck_assert_str_eq(res.hits[0].rule_id, "complaint-review");
	ck_assert_uint_eq(res.hits[0].end - res.hits[0].start, strlen("差评"));
	ck_assert_int_eq(memcmp(text + res.hits[0].start, "差评", strlen("差评")), 0);
	ck_assert(has_tag(&res, "bad-review-threat"));
	ck_assert_str_eq(res.auto_reply, "complaint_ack");
	rt_rules_free(r);
}
END_TEST

/* ---- semantics on small hand-made rule sets ------------------------------ */

START_TEST(keywords_all_needs_every_keyword)
{
	rt_rule_def d[] = {
		{ .id = "both", .position = 1, .keywords_all = L("发票", "抬头"), .category = "order" },
		{ .id = "fb", .position = 2, .category = "other" },
	};
	rt_rules *r = compile_ok(d, 2);
	rt_result res;
	classify(r, "发票抬头写错了", WX, NULL, NULL, &res);
	ck_assert_str_eq(res.rule_id, "both");
	ck_assert_uint_eq(res.n_hits, 2);
	classify(r, "发票开了吗", WX, NULL, NULL, &res);
	ck_assert_str_eq(res.rule_id, "fb");
	classify(r, "抬头", WX, NULL, NULL, &res);
	ck_assert_str_eq(res.rule_id, "fb");
	rt_rules_free(r);
}
END_TEST

START_TEST(keywords_any_and_all_combine)
{
	rt_rule_def d[] = {
		{ .id = "gift", .position = 1, .keywords_all = L("赠品"),
		  .keywords_any = L("没收到", "漏发"), .category = "after-sale" },
	};
	rt_rules *r = compile_ok(d, 1);
	rt_result res;
	classify(r, "赠品漏发了", WX, NULL, NULL, &res);
	ck_assert_uint_eq(res.n_applied, 1);
	classify(r, "赠品是什么", WX, NULL, NULL, &res);
	ck_assert_uint_eq(res.n_applied, 0);
	ck_assert_ptr_null(res.rule_id);
	ck_assert_int_eq(res.category, RT_CAT_NONE);
	ck_assert_str_eq(res.category_name, "");
	ck_assert_int_eq(res.priority, 0);
	classify(r, "没收到", WX, NULL, NULL, &res);
	ck_assert_uint_eq(res.n_applied, 0);
	rt_rules_free(r);
}
END_TEST

START_TEST(keywords_none_excludes)
{
	rt_rule_def d[] = {
		{ .id = "refund", .position = 1, .keywords_any = L("退款"),
		  .keywords_none = L("差价", "定金"), .category = "after-sale" },
		{ .id = "promo", .position = 2, .keywords_any = L("差价", "定金"), .category = "promo" },
		{ .id = "not-spam", .position = 3, .keywords_none = L("广告"), .category = "other" },
	};
	rt_rules *r = compile_ok(d, 3);
	rt_result res;
	classify(r, "退款", WX, NULL, NULL, &res);
	ck_assert_str_eq(res.rule_id, "refund");
	classify(r, "退款退差价", WX, NULL, NULL, &res);
	ck_assert_str_eq(res.rule_id, "promo");
	classify(r, "定金能退款吗", WX, NULL, NULL, &res);
	ck_assert_str_eq(res.rule_id, "promo");
	/* a rule with only keywords_none matches when none occurs */
	classify(r, "你好", WX, NULL, NULL, &res);
	ck_assert_str_eq(res.rule_id, "not-spam");
	classify(r, "加微信看广告", WX, NULL, NULL, &res);
	ck_assert_uint_eq(res.n_applied, 0);
	rt_rules_free(r);
}
END_TEST

START_TEST(first_match_in_position_order)
{
	/* given out of order: position decides, not the array */
	rt_rule_def d[] = {
		{ .id = "late", .position = 30, .keywords_any = L("快递"), .category = "logistics",
		  .priority = 2 },
		{ .id = "first", .position = 10, .keywords_any = L("破损"), .category = "logistics",
		  .priority = 3, .group = "after-sale" },
		{ .id = "second", .position = 20, .keywords_any = L("快递", "破损"),
		  .category = "after-sale", .priority = 4, .group = "x" },
	};
	rt_rules *r = compile_ok(d, 3);
	rt_result res;
	classify(r, "快递破损", WX, NULL, NULL, &res);
	ck_assert_str_eq(res.rule_id, "first");
	ck_assert_uint_eq(res.n_applied, 1);
	ck_assert_int_eq(res.priority, 3); /* the later, higher rule did not apply */
	ck_assert_str_eq(res.group, "after-sale");
	classify(r, "快递呢", WX, NULL, NULL, &res);
	ck_assert_str_eq(res.rule_id, "second");
	ck_assert_int_eq(res.priority, 4);
	ck_assert_uint_eq(rt_rules_count(r), 3);
	rt_rules_free(r);
}
END_TEST

START_TEST(fall_through_accumulates)
{
	rt_rule_def d[] = {
		{ .id = "vip", .position = 1, .tier = "vip", .group = "vip", .priority = 3,
		  .tags = L("vip", "shared"), .fall_through = 1 },
		{ .id = "cat", .position = 2, .keywords_any = L("cat"), .category = "presale",
		  .auto_reply = "first", .tags = L("cat"), .fall_through = 1 },
		{ .id = "ship", .position = 3, .keywords_any = L("ship*"), .category = "logistics",
		  .priority = 2, .group = "order", .tags = L("shared", "ship"),
		  .auto_reply = "second" },
		{ .id = "never", .position = 4, .category = "other", .tags = L("never") },
	};
	rt_rules *r = compile_ok(d, 4);
	rt_result res;
	classify(r, "cat shipping", WH, "vip", NULL, &res);
	ck_assert_uint_eq(res.n_applied, 3);
	ck_assert_str_eq(res.rules[0], "vip");
	ck_assert_str_eq(res.rules[1], "cat");
	ck_assert_str_eq(res.rules[2], "ship");
	ck_assert_str_eq(res.rule_id, "ship");
	ck_assert_str_eq(res.category_name, "presale"); /* first setter wins */
	ck_assert_str_eq(res.group, "vip");
	ck_assert_str_eq(res.auto_reply, "first");
	ck_assert_int_eq(res.priority, 3); /* the highest */
	ck_assert_uint_eq(res.n_tags, 4);  /* vip shared cat ship: "shared" once */
	ck_assert_str_eq(res.tags[0], "vip");
	ck_assert_str_eq(res.tags[1], "shared");
	ck_assert_str_eq(res.tags[2], "cat");
	ck_assert_str_eq(res.tags[3], "ship");
	ck_assert(!has_tag(&res, "never"));
	/* without the tier the vip rule is skipped */
	classify(r, "shipping", WH, "", NULL, &res);
	ck_assert_str_eq(res.category_name, "logistics");
	ck_assert_str_eq(res.group, "order");
	ck_assert_int_eq(res.priority, 2);
	/* fall-through only: category stays NONE, priority defaults to normal */
	classify(r, "hello", WH, "vip", NULL, &res);
	ck_assert_str_eq(res.rule_id, "never");
	classify(r, "cat", WH, "", NULL, &res);
	ck_assert_str_eq(res.rule_id, "never");
	ck_assert_str_eq(res.category_name, "presale");
	rt_rule_def only[] = {
		{ .id = "tag", .position = 1, .keywords_any = L("hi"), .tags = L("t"),
		  .fall_through = 1 },
	};
	rt_rules *r2 = compile_ok(only, 1);
	classify(r2, "hi", WH, "", NULL, &res);
	ck_assert_uint_eq(res.n_applied, 1);
	ck_assert_int_eq(res.category, RT_CAT_NONE);
	ck_assert_int_eq(res.priority, RT_PRIO_NORMAL);
	ck_assert_ptr_null(res.group);
	rt_rules_free(r2);
	rt_rules_free(r);
}
END_TEST

START_TEST(channel_and_category_filters)
{
	rt_rule_def d[] = {
		{ .id = "mail", .position = 1, .channels = RT_CHANNEL(EM), .category = "order" },
		{ .id = "chat", .position = 2, .channels = RT_CHANNEL(WX) | RT_CHANNEL(WH),
		  .if_category = "after-sale", .category = "after-sale" },
		{ .id = "rest", .position = 3, .category = "other" },
	};
	rt_rules *r = compile_ok(d, 3);
	rt_result res;
	classify(r, "x", EM, NULL, "after-sale", &res);
	ck_assert_str_eq(res.rule_id, "mail");
	classify(r, "x", WX, NULL, "after-sale", &res);
	ck_assert_str_eq(res.rule_id, "chat");
	classify(r, "x", WH, NULL, "after-sale", &res);
	ck_assert_str_eq(res.rule_id, "chat");
	classify(r, "x", WX, NULL, "logistics", &res);
	ck_assert_str_eq(res.rule_id, "rest");
	classify(r, "x", WX, NULL, "", &res);
	ck_assert_str_eq(res.rule_id, "rest");
	classify(r, "x", WX, NULL, "no-such-category", &res);
	ck_assert_str_eq(res.rule_id, "rest");
	/* unspecified or out-of-range channels match only unfiltered rules */
	classify(r, "x", 0, NULL, "after-sale", &res);
	ck_assert_str_eq(res.rule_id, "rest");
	classify(r, "x", 99, NULL, "after-sale", &res);
	ck_assert_str_eq(res.rule_id, "rest");
	classify(r, "x", -1, NULL, "after-sale", &res);
	ck_assert_str_eq(res.rule_id, "rest");
	rt_rules_free(r);
}
END_TEST

START_TEST(tier_filter)
{
	rt_rule_def d[] = {
		{ .id = "vip", .position = 1, .tier = "vip", .category = "order", .group = "vip" },
		{ .id = "rest", .position = 2, .category = "other" },
	};
	rt_rules *r = compile_ok(d, 2);
	rt_result res;
	classify(r, "x", WX, "vip", NULL, &res);
	ck_assert_str_eq(res.rule_id, "vip");
	classify(r, "x", WX, "Vip", NULL, &res);
	ck_assert_str_eq(res.rule_id, "vip");
	classify(r, "x", WX, "vip2", NULL, &res);
	ck_assert_str_eq(res.rule_id, "rest");
	classify(r, "x", WX, NULL, NULL, &res);
	ck_assert_str_eq(res.rule_id, "rest");
	rt_rules_free(r);
}
END_TEST

START_TEST(matched_keywords_reported_with_spans)
{
	rt_rule_def d[] = {
		{ .id = "r", .position = 1, .keywords_any = L("物流", "Refund*", "不存在"),
		  .keywords_all = L("快递"), .category = "logistics" },
	};
	rt_rules *r = compile_ok(d, 1);
	rt_result res;
	const char *text = "ＲＥＦＵＮＤＳ? 快递的物流，快递";
	classify(r, text, WX, NULL, NULL, &res);
	ck_assert_uint_eq(res.n_applied, 1);
	ck_assert_uint_eq(res.n_hits, 3);
	/* any-list hits first, in list order, then the all-list */
	ck_assert_str_eq(res.hits[0].keyword, "物流");
	ck_assert_str_eq(res.hits[1].keyword, "Refund*");
	ck_assert_str_eq(res.hits[2].keyword, "快递");
	/* spans are bytes of the original text, full-width included */
	ck_assert_uint_eq(res.hits[1].start, 0);
	ck_assert_uint_eq(res.hits[1].end, strlen("ＲＥＦＵＮＤ"));
	const char *wl = strstr(text, "物流");
	ck_assert_uint_eq(res.hits[0].start, (size_t)(wl - text));
	ck_assert_uint_eq(res.hits[0].end, (size_t)(wl - text) + strlen("物流"));
	const char *kd = strstr(text, "快递"); /* the first occurrence */
	ck_assert_uint_eq(res.hits[2].start, (size_t)(kd - text));
	for (size_t i = 0; i < res.n_hits; i++)
		ck_assert_str_eq(res.hits[i].rule_id, "r");
	rt_rules_free(r);
}
END_TEST

START_TEST(case_fullwidth_and_word_boundaries)
{
	rt_rule_def d[] = {
		{ .id = "ship", .position = 1, .keywords_any = L("ship"), .category = "logistics" },
		{ .id = "n12315", .position = 2, .keywords_any = L("12315"), .category = "complaint" },
		{ .id = "pre", .position = 3, .keywords_any = L("deliver*"), .category = "logistics" },
		{ .id = "suf", .position = 4, .keywords_any = L("*phone"), .category = "presale" },
		{ .id = "mixed", .position = 0, .keywords_any = L("iPhone 15"), .category = "stock" },
		{ .id = "cn", .position = 6, .keywords_any = L("退款"), .category = "after-sale" },
	};
	rt_rules *r = compile_ok(d, 6);
	struct {
		const char *text, *rule;
	} t[] = {
		{ "ship it", "ship" },
		{ "SHIP?", "ship" },
		{ "发货ship了吗", "ship" },
		{ "ｓｈｉｐ", "ship" },
		{ "relationship", NULL },
		{ "shipping", NULL },
		{ "打12315投诉", "n12315" },
		{ "打１２３１５", "n12315" },
		{ "123156", NULL },
		{ "a12315", NULL },
		{ "delivered", "pre" },
		{ "undelivered", NULL },
		{ "smartphone", "suf" },
		{ "phones", NULL },
		{ "IPHONE 15 有货吗", "mixed" },
		/* not "iPhone 15", but still a word ending in "phone" */
		{ "iphone 150", "suf" },
		{ "iphone  15", "suf" }, /* whitespace is not collapsed */
		{ "申请退款", "cn" },
		{ "退 款", NULL },
	};
	for (size_t i = 0; i < PD_ARRAY_LEN(t); i++) {
		rt_result res;
		classify(r, t[i].text, WH, NULL, NULL, &res);
		if (t[i].rule)
			ck_assert_msg(res.rule_id && strcmp(res.rule_id, t[i].rule) == 0,
				      "'%s': got %s, want %s", t[i].text,
				      res.rule_id ? res.rule_id : "nothing", t[i].rule);
		else
			ck_assert_msg(res.n_applied == 0, "'%s': got %s, want nothing", t[i].text,
				      res.rule_id);
	}
	rt_rules_free(r);
}
END_TEST

START_TEST(invalid_utf8_in_text)
{
	rt_rule_def d[] = {
		{ .id = "r", .position = 1, .keywords_any = L("退款"), .category = "after-sale" },
	};
	rt_rules *r = compile_ok(d, 1);
	rt_result res;
	/* 退 = E9 80 80, 款 = E6 AC BE; a stray byte between them breaks it */
	classify(r, "\xe9\x80\x80\xff\xe6\xac\xbe", WX, NULL, NULL, &res);
	ck_assert_uint_eq(res.n_applied, 0);
	classify(r, "\xff\xfe\xe9\x80\x80\xe6\xac\xbe\xc0", WX, NULL, NULL, &res);
	ck_assert_uint_eq(res.n_applied, 1);
	ck_assert_uint_eq(res.hits[0].start, 2);
	ck_assert_uint_eq(res.hits[0].end, 8);
	/* truncated sequence at the end */
	classify(r, "\xe9\x80\x80\xe6\xac", WX, NULL, NULL, &res);
	ck_assert_uint_eq(res.n_applied, 0);
	/* embedded NUL: the length is what counts */
	rt_input in = { "a\0退款", 1 + 1 + 6, WX, NULL, NULL };
	ck_assert_int_eq(rt_classify(r, &in, &res), PD_OK);
	ck_assert_uint_eq(res.n_applied, 1);
	rt_rules_free(r);
}
END_TEST

START_TEST(regex_is_bytewise_on_folded_text)
{
	rt_rule_def d[] = {
		{ .id = "ord", .position = 1, .regex = "(^|[^0-9a-z])d11-[0-9]{6}([^0-9]|$)",
		  .category = "order" },
		{ .id = "both", .position = 2, .keywords_any = L("快递"), .regex = "sf[0-9]{12,13}",
		  .category = "logistics" },
	};
	rt_rules *r = compile_ok(d, 2);
	rt_result res;
	classify(r, "订单D11-000001怎么样", WX, NULL, NULL, &res);
	ck_assert_str_eq(res.rule_id, "ord");
	classify(r, "订单ｄ１１－０００００１", WX, NULL, NULL, &res);
	ck_assert_str_eq(res.rule_id, "ord");
	classify(r, "订单D11-0000012", WX, NULL, NULL, &res);
	ck_assert_uint_eq(res.n_applied, 0);
	/* keywords and regex must both hold */
	classify(r, "快递SF1234567890123", WX, NULL, NULL, &res);
	ck_assert_str_eq(res.rule_id, "both");
	classify(r, "快递到了吗", WX, NULL, NULL, &res);
	ck_assert_uint_eq(res.n_applied, 0);
	classify(r, "SF1234567890123", WX, NULL, NULL, &res);
	ck_assert_uint_eq(res.n_applied, 0);
	rt_rules_free(r);
}
END_TEST

START_TEST(empty_rule_set_and_bad_arguments)
{
	rt_rules *r = compile_ok(NULL, 0);
	rt_result res;
	classify(r, "退款", WX, NULL, NULL, &res);
	ck_assert_uint_eq(res.n_applied, 0);
	ck_assert_uint_eq(rt_rules_keywords(r), 0);
	ck_assert_uint_eq(rt_rules_states(r), 1);
	rt_input in = { NULL, 3, WX, NULL, NULL };
	ck_assert_int_eq(rt_classify(r, &in, &res), PD_EINVAL);
	in.len = 0;
	ck_assert_int_eq(rt_classify(r, &in, &res), PD_OK);
	ck_assert_int_eq(rt_classify(NULL, &in, &res), PD_EINVAL);
	ck_assert_int_eq(rt_classify(r, NULL, &res), PD_EINVAL);
	ck_assert_int_eq(rt_classify(r, &in, NULL), PD_EINVAL);
	ck_assert_uint_eq(rt_keywords_found(NULL, "x", 1, NULL, 0), 0);
	rt_rules_free(r);
	rt_rules_free(NULL);
	ck_assert_int_eq(rt_rules_compile(NULL, 0, NULL, NULL), PD_EINVAL);
	rt_rules *out = (rt_rules *)1;
	ck_assert_int_eq(rt_rules_compile(NULL, 2, &out, NULL), PD_EINVAL);
	ck_assert_ptr_null(out);
}
END_TEST

START_TEST(category_names)
{
	for (int c = RT_CAT_PRESALE; c < RT_CAT_COUNT; c++)
		ck_assert_int_eq(rt_category_parse(rt_category_name(c)), c);
	ck_assert_str_eq(rt_category_name(RT_CAT_AFTER_SALE), "after-sale");
	ck_assert_str_eq(rt_category_name(RT_CAT_NONE), "");
	ck_assert_str_eq(rt_category_name((rt_category)42), "");
	ck_assert_int_eq(rt_category_parse("After-Sale"), RT_CAT_NONE);
	ck_assert_int_eq(rt_category_parse(NULL), RT_CAT_NONE);
	ck_assert_int_eq(rt_category_parse(""), RT_CAT_NONE);
}
END_TEST

/* ---- compile errors ------------------------------------------------------- */

static void expect_error(const rt_rule_def *d, size_t n, int code, const char *needle)
{
	rt_rules *r = (rt_rules *)1;
	pd_errbuf eb = { 0 };
	int rc = rt_rules_compile(d, n, &r, &eb);
	ck_assert_msg(rc == code, "rc %d (%s), want %d", rc, eb.msg, code);
	ck_assert_ptr_null(r);
	ck_assert_int_eq(eb.code, code);
	ck_assert_msg(strstr(eb.msg, needle) != NULL, "message '%s' lacks '%s'", eb.msg, needle);
}

START_TEST(compile_errors_have_reasons)
{
	rt_rule_def d;
#define ERR(code, needle, ...)                                                    \
	do {                                                                      \
		d = (rt_rule_def){ .id = "r1", .position = 1, .category = "order",   \
				   __VA_ARGS__ };                                   \
		expect_error(&d, 1, code, needle);                               \
	} while (0)
	ERR(PD_EINVAL, "rule 'r1': keywords_any[1] is empty", .keywords_any = L("a", ""));
	ERR(PD_EINVAL, "keywords_all[0] is blank", .keywords_all = L("  "));
	ERR(PD_EINVAL, "keywords_none[0] is blank", .keywords_none = L("\xe3\x80\x80"));
	ERR(PD_EINVAL, "nothing but '*'", .keywords_any = L("*"));
	ERR(PD_EINVAL, "trailing '*'", .keywords_any = L("退款*"));
	ERR(PD_EINVAL, "leading '*'", .keywords_any = L("*退款"));
	ERR(PD_EINVAL, "not valid UTF-8", .keywords_any = L("\xe9\x80"));
	ERR(PD_ETOOBIG, "longer than 96 bytes",
	    .keywords_any = L("0123456789012345678901234567890123456789012345678901234567890123456789"
			      "012345678901234567890123456789"));
	ERR(PD_EINVAL, "bad regex", .regex = "(unclosed");
	ERR(PD_EINVAL, "regex must be ASCII", .regex = "退款");
	ERR(PD_EINVAL, "back-references", .regex = "(a)\\1");
	ERR(PD_EINVAL, "above 100", .regex = "(a{1,255}){1,255}");
	ERR(PD_EINVAL, "priority 5", .priority = 5);
	ERR(PD_EINVAL, "priority -1", .priority = -1);
	ERR(PD_EINVAL, "bit 0", .channels = 1u);
	ERR(PD_EINVAL, "unknown if_category", .if_category = "shipping");
	ERR(PD_ETOOBIG, "group is longer",
	    .group = "0123456789012345678901234567890123456789012345678901234567890123456789");
	ERR(PD_EINVAL, "tags[1] is empty", .tags = L("a", ""));
	ERR(PD_ETOOBIG, "more than 8 tags", .tags = L("1", "2", "3", "4", "5", "6", "7", "8", "9"));
	ERR(PD_EINVAL, "tier is not valid UTF-8", .tier = "\xff");
#undef ERR
	d = (rt_rule_def){ .id = "r1", .position = 1, .category = "shipping" };
	expect_error(&d, 1, PD_EINVAL, "rule 'r1': unknown category");
	d = (rt_rule_def){ .id = "r1", .position = 1 };
	expect_error(&d, 1, PD_EINVAL, "must set a category");
	d = (rt_rule_def){ .position = 1, .category = "order" };
	expect_error(&d, 1, PD_EINVAL, "rule #0: id is missing");
	/* "{" that is not a repetition is regcomp's business */
	d = (rt_rule_def){ .id = "r1", .position = 1, .category = "order", .regex = "[{]1000" };
	rt_rules *r = compile_ok(&d, 1);
	rt_rules_free(r);

	rt_rule_def two[] = {
		{ .id = "a", .position = 5, .category = "order" },
		{ .id = "b", .position = 5, .category = "order" },
	};
	expect_error(two, 2, PD_EINVAL, "rules 'a' and 'b' share position 5");
	two[1].position = 6;
	two[1].id = "a";
	expect_error(two, 2, PD_EINVAL, "rule id 'a' is used twice");
	/* the error names the rule by its index in the array */
	two[1].id = "b";
	two[1].category = "nope";
	expect_error(two, 2, PD_EINVAL, "rule 'b': unknown category");
}
END_TEST

START_TEST(compile_limits)
{
	size_t n = RT_MAX_RULES + 1;
	rt_rule_def *d = calloc(n, sizeof(*d));
	char(*ids)[16] = calloc(n, sizeof(*ids));
	for (size_t i = 0; i < n; i++) {
		snprintf(ids[i], sizeof(ids[i]), "r%zu", i);
		d[i] = (rt_rule_def){ .id = ids[i], .position = (int)i, .category = "other" };
	}
	expect_error(d, n, PD_ETOOBIG, "at most 1024");
	rt_rules *r = compile_ok(d, n - 1);
	ck_assert_uint_eq(rt_rules_count(r), RT_MAX_RULES);
	rt_rules_free(r);

	/* one list may hold RT_MAX_LIST_KEYWORDS keywords, not more */
	const char **kw = calloc(RT_MAX_LIST_KEYWORDS + 2, sizeof(*kw));
	char(*words)[16] = calloc(RT_MAX_LIST_KEYWORDS + 1, sizeof(*words));
	for (size_t i = 0; i <= RT_MAX_LIST_KEYWORDS; i++) {
		snprintf(words[i], sizeof(words[i]), "w%zu", i);
		kw[i] = words[i];
	}
	rt_rule_def big = { .id = "big", .position = 1, .category = "other",
			    .keywords_any = (const char *const *)kw };
	expect_error(&big, 1, PD_ETOOBIG, "more than 1024 keywords_any");
	kw[RT_MAX_LIST_KEYWORDS] = NULL;
	r = compile_ok(&big, 1);
	ck_assert_uint_eq(rt_rules_keywords(r), RT_MAX_LIST_KEYWORDS);
	rt_rules_free(r);
	free(words);
	free(kw);
	free(ids);
	free(d);
}
END_TEST

START_TEST(duplicate_keywords_share_one_pattern)
{
	rt_rule_def d[] = {
		{ .id = "a", .position = 1, .keywords_any = L("Refund", "退款"), .category = "order" },
		{ .id = "b", .position = 2, .keywords_any = L("refund", "ＲＥＦＵＮＤ", "退款"),
		  .keywords_none = L("退款"), .category = "order" },
	};
	rt_rules *r = compile_ok(d, 2);
	ck_assert_uint_eq(rt_rules_keywords(r), 2);
	const char *found[4];
	ck_assert_uint_eq(rt_keywords_found(r, "我要refund和退款", strlen("我要refund和退款"), found, 4),
			  2);
	ck_assert_str_eq(found[0], "Refund"); /* shown as first written */
	ck_assert_str_eq(found[1], "退款");
	rt_rules_free(r);
}
END_TEST

/* ---- scale: 1,000 keywords over 64 KiB ------------------------------------ */

/* Eight CJK characters: small enough that keywords overlap and share
 * prefixes and suffixes everywhere (the fail and dictionary links carry the
 * work), large enough that long keywords are rare in random text. */
static const char *const alphabet[8] = { "退", "款", "快", "递", "发", "货", "单", "号" };

static unsigned rnd(unsigned *s)
{
	*s = *s * 1103515245u + 12345u;
	return (*s >> 16) & 0x7fff;
}

static char *random_cjk(unsigned *seed, size_t chars)
{
	char *s = malloc(chars * 3 + 1), *o = s;
	for (size_t i = 0; i < chars; i++) {
		memcpy(o, alphabet[rnd(seed) % 8], 3);
		o += 3;
	}
	*o = '\0';
	return s;
}

START_TEST(thousand_keywords_over_64k_match_naive_search)
{
	enum { NKW = 1000 };
	unsigned seed = 12345;
	char **kw = calloc(NKW, sizeof(*kw));
	rt_rule_def *d = calloc(NKW + 1, sizeof(*d));
	char(*ids)[16] = calloc(NKW, sizeof(*ids));
	const char *(*lists)[2] = calloc(NKW, sizeof(*lists));
	for (size_t i = 0; i < NKW; i++) {
		/* distinct keywords of 1..7 characters */
		for (;;) {
			kw[i] = random_cjk(&seed, 1 + rnd(&seed) % 7);
			size_t j;
			for (j = 0; j < i && strcmp(kw[j], kw[i]) != 0; j++)
				;
			if (j == i)
				break;
			free(kw[i]);
		}
		snprintf(ids[i], sizeof(ids[i]), "k%zu", i);
		lists[i][0] = kw[i];
		lists[i][1] = NULL;
		d[i] = (rt_rule_def){ .id = ids[i], .position = (int)i, .keywords_any = lists[i],
				      .category = "order" };
	}
	rt_rules *r = compile_ok(d, NKW);
	ck_assert_uint_eq(rt_rules_keywords(r), NKW);

	size_t chars = 64 * 1024 / 3;
	char *text = random_cjk(&seed, chars);
	size_t len = strlen(text);
	const char **found = calloc(NKW, sizeof(*found));
	size_t n = rt_keywords_found(r, text, len, found, NKW);

	/* naive: strstr per keyword */
	size_t expect = 0;
	for (size_t i = 0; i < NKW; i++) {
		char *p = strstr(text, kw[i]);
		int in_found = 0;
		for (size_t k = 0; k < n && k < NKW; k++)
			in_found |= found[k] == kw[i] || strcmp(found[k], kw[i]) == 0;
		ck_assert_msg((p != NULL) == in_found, "keyword %zu (%s): naive %d automaton %d", i,
			      kw[i], p != NULL, in_found);
		expect += p != NULL;
	}
	ck_assert_uint_eq(n, expect);
	/* first occurrences come out in order of where they end */
	size_t prev_end = 0;
	for (size_t k = 0; k < n; k++) {
		size_t end = (size_t)(strstr(text, found[k]) - text) + strlen(found[k]);
		ck_assert_uint_ge(end, prev_end);
		prev_end = end;
	}
	ck_assert_uint_gt(n, 100);
	ck_assert_uint_lt(n, NKW); /* some long keywords do not occur */

	/* first match wins: the lowest-position keyword that occurs */
	rt_result res;
	rt_input in = { text, len, WX, NULL, NULL };
	ck_assert_int_eq(rt_classify(r, &in, &res), PD_OK);
	size_t first = NKW;
	for (size_t i = 0; i < NKW && first == NKW; i++)
		if (strstr(text, kw[i]))
			first = i;
	ck_assert_str_eq(res.rule_id, ids[first]);
	ck_assert_uint_eq(res.n_hits, 1);
	ck_assert_int_eq(memcmp(text + res.hits[0].start, kw[first], strlen(kw[first])), 0);
	ck_assert_uint_eq(res.hits[0].end - res.hits[0].start, strlen(kw[first]));
	ck_assert(strstr(text, kw[first]) == text + res.hits[0].start);

	/* a keyword that occurs once, at the very end of 64 KiB of filler */
	char *filler = malloc(len + 64);
	memset(filler, 'x', len); /* ASCII filler never matches a CJK keyword */
	filler[len - 1] = ' ';
	size_t target = NKW - 1;
	strcpy(filler + len, kw[target]);
	in = (rt_input){ filler, strlen(filler), WX, NULL, NULL };
	ck_assert_int_eq(rt_classify(r, &in, &res), PD_OK);
	size_t want = NKW;
	for (size_t i = 0; i < NKW && want == NKW; i++)
		if (strstr(kw[target], kw[i]))
			want = i; /* its substrings that are keywords match too */
	ck_assert_str_eq(res.rule_id, ids[want]);
	ck_assert_uint_ge(res.hits[0].start, len);

	free(filler);
	free(found);
	free(text);
	rt_rules_free(r);
	for (size_t i = 0; i < NKW; i++)
		free(kw[i]);
	free(kw);
	free(lists);
	free(ids);
	free(d);
}
END_TEST

/* Classic Aho-Corasick traps: keywords that are suffixes and prefixes of
 * each other, and a match found only through a fail link. */
START_TEST(overlapping_keywords)
{
	rt_rule_def d[] = {
		{ .id = "r", .position = 1, .keywords_any = L("he", "she", "his", "hers", "发货",
							      "没发货", "还没发货了", "货了"),
		  .category = "order", .fall_through = 1 },
	};
	rt_rules *r = compile_ok(d, 1);
	const char *found[8];
	const char *t1 = "ushers";
	/* "he" needs word boundaries: only "ushers" as a whole could match */
	ck_assert_uint_eq(rt_keywords_found(r, t1, strlen(t1), found, 8), 0);
	const char *t2 = "she hers his he";
	ck_assert_uint_eq(rt_keywords_found(r, t2, strlen(t2), found, 8), 4);
	ck_assert_str_eq(found[0], "she");
	ck_assert_str_eq(found[1], "hers");
	ck_assert_str_eq(found[2], "his");
	ck_assert_str_eq(found[3], "he");
	const char *t3 = "还没发货呢，货了";
	ck_assert_uint_eq(rt_keywords_found(r, t3, strlen(t3), found, 8), 3);
	ck_assert_str_eq(found[0], "没发货"); /* longest first at the same end */
	ck_assert_str_eq(found[1], "发货");
	ck_assert_str_eq(found[2], "货了");
	/* max caps what is written, not the count */
	ck_assert_uint_eq(rt_keywords_found(r, t3, strlen(t3), found, 1), 3);
	rt_rules_free(r);
}
END_TEST

/* ---- the automaton's alphabet and its two forms --------------------------- */

/* Compiles in the dense form (as rt_rules_compile does for small sets) or,
 * with sparse set, in the sparse form the router uses for sets too big for
 * dense tables. */
static rt_rules *compile_form(const rt_rule_def *defs, size_t n, int sparse)
{
	rt_rules *r = NULL;
	pd_errbuf eb = { 0 };
	int rc = rt_rules_compile_dense_max(defs, n, &r, &eb, sparse ? 0 : (size_t)32 << 20);
	ck_assert_msg(rc == PD_OK, "compile failed: %s", eb.msg);
	ck_assert_ptr_nonnull(r);
	ck_assert_msg((rt_rules_classes(r) == 0) == (sparse != 0), "form: %zu classes",
		      rt_rules_classes(r));
	return r;
}

/* The keywords found in text, shown spellings joined by '|'. */
static void found_str(const rt_rules *r, const char *text, size_t len, char *buf, size_t size)
{
	const char *found[64];
	size_t n = rt_keywords_found(r, text, len, found, 64);
	buf[0] = '\0';
	for (size_t i = 0; i < n && i < 64; i++) {
		if (i)
			strncat(buf, "|", size - strlen(buf) - 1);
		strncat(buf, found[i], size - strlen(buf) - 1);
	}
}

/* A text and the keywords the automaton must find in it ("" for none). */
struct found_case {
	const char *text, *want;
};

/* Every case of t against r, compiled dense or sparse. */
static void check_found(const rt_rules *r, const struct found_case *t, size_t n, int sparse)
{
	for (size_t i = 0; i < n; i++) {
		char buf[256];
		found_str(r, t[i].text, strlen(t[i].text), buf, sizeof(buf));
		ck_assert_msg(strcmp(buf, t[i].want) == 0, "%s '%s': found '%s', want '%s'", sparse ? "sparse" : "dense",
			      t[i].text, buf, t[i].want);
	}
}

/* text holds one hit, spanning the bytes from prefix's length to its end. */
static void check_one_span(const rt_rules *r, const char *text, const char *prefix)
{
	rt_result res;
	classify(r, text, WX, NULL, NULL, &res);
	ck_assert_uint_eq(res.n_hits, 1);
	ck_assert_uint_eq(res.hits[0].start, strlen(prefix));
	ck_assert_uint_eq(res.hits[0].end, strlen(text));
}

/* A, a, Ａ and ａ are one class; so are ' ' and U+3000 (the folding is in
 * the class table); characters in no keyword share class 0, SENT has its
 * own. */
START_TEST(classes_merge_the_folding)
{
	rt_rule_def d[] = {
		{ .id = "r", .position = 1, .keywords_any = L("ab", "退款", "A B"),
		  .category = "order" },
	};
	rt_rules *r = compile_form(d, 1, 0);
	/* a, b, ' ', 退, 款 + class 0 + SENT */
	ck_assert_uint_eq(rt_rules_classes(r), 7);
	rt_rules_free(r);

	rt_rule_def e[] = {
		{ .id = "sf", .position = 1, .keywords_any = L("sf 12", "café", "x-ray"),
		  .category = "logistics" },
	};
	const struct found_case t[] = {
		{ "SF 12", "sf 12" },
		{ "ＳＦ　１２", "sf 12" },           /* full-width letters, U+3000, digits */
		{ "sＦ\xe3\x80\x80" "1２到了", "sf 12" }, /* mixed forms */
		{ "sf12", "" },                       /* the space is part of the keyword */
		{ "sf 123", "" },                     /* word boundary after 12 */
		{ "Café", "café" },                   /* C folds, é is é */
		{ "CAFÉ", "" },                       /* É is not folded to é */
		{ "ＣＡＦé", "café" },
		{ "X-RAY", "x-ray" },
		{ "Ｘ－ｒａｙ", "x-ray" },            /* full-width hyphen-minus U+FF0D */
		{ "x‐ray", "" },                      /* U+2010 hyphen is another character */
	};
	for (int sparse = 0; sparse < 2; sparse++) {
		r = compile_form(e, 1, sparse);
		check_found(r, t, PD_ARRAY_LEN(t), sparse);
		/* spans are bytes of the text, whatever the forms */
		check_one_span(r, "运单ＳＦ　１２", "运单");
		rt_rules_free(r);
	}
}
END_TEST

/* Characters of every UTF-8 length, in keywords and around them: 2-byte
 * (é), 3-byte (CJK, full-width), 4-byte (emoji, an astral CJK character). */
START_TEST(keywords_of_every_utf8_length)
{
	rt_rule_def d[] = {
		{ .id = "r", .position = 1,
		  .keywords_any = L("😡差评", "𠮷", "né", "好评👍"), .category = "complaint" },
	};
	for (int sparse = 0; sparse < 2; sparse++) {
		rt_rules *r = compile_form(d, 1, sparse);
		const struct found_case t[] = {
			{ "给你😡差评", "😡差评" },
			{ "😡😡差评!", "😡差评" },
			{ "😀差评", "" },      /* another emoji, same length */
			{ "𠮷野家", "𠮷" },   /* U+20BB7 */
			{ "𠮶", "" },          /* its neighbour U+20BB6 */
			{ "Né", "né" },
			/* é is no ASCII letter, so "né" needs a word boundary
			 * before the n only */
			{ "néé", "né" },
			{ "anéé", "" },
			{ "好评👍👍", "好评👍" },
			{ "好评👎", "" },
		};
		check_found(r, t, PD_ARRAY_LEN(t), sparse);
		check_one_span(r, "a 😡😡差评", "a 😡");
		rt_rules_free(r);
	}
}
END_TEST

/* Matches start and end on character boundaries, and an invalid byte next
 * to a keyword (a stray continuation byte, a truncated lead, an overlong,
 * a surrogate, a code point above U+10FFFF) neither joins it nor shifts
 * its span; an invalid byte is no letter, so it is a word boundary. */
START_TEST(keywords_at_utf8_boundaries_and_invalid_bytes)
{
	rt_rule_def d[] = {
		{ .id = "r", .position = 1, .keywords_any = L("退款", "-退", "ship", "/"),
		  .category = "after-sale" },
	};
	struct {
		const char *text;
		size_t len;
		const char *want;
		size_t start, end; /* of the first hit */
	} t[] = {
		{ "退款", 6, "退款", 0, 6 },
		{ "\xe9\xe9\x80\x80\xe6\xac\xbe", 7, "退款", 1, 7 },     /* lead then 退款 */
		{ "\xe9\x80\xe9\x80\x80\xe6\xac\xbe", 8, "退款", 2, 8 }, /* truncated 退 */
		{ "\x80\x80\xe9\x80\x80\xe6\xac\xbe", 8, "退款", 2, 8 }, /* stray continuations */
		{ "\x80-\xe9\x80\x80", 5, "-退", 1, 5 },
		{ "\xe9\x80\x80\xe6\xac", 5, "", 0, 0 },                 /* 款 truncated at the end */
		{ "\xe9\x80\x80\x80\xe6\xac\xbe", 7, "", 0, 0 },         /* continuation between */
		{ "\xe9\x80\x80\xc0\xaf\xe6\xac\xbe", 8, "", 0, 0 },     /* overlong '/' between */
		{ "\xc0\xaf", 2, "", 0, 0 },                             /* an overlong '/' is no '/' */
		{ "\xe0\x80\xaf", 3, "", 0, 0 },                         /* nor a 3-byte one */
		{ "\xed\xa0\x80ship", 7, "ship", 3, 7 },                 /* surrogate: a boundary */
		{ "\xf4\x90\x80\x80ship\xff", 9, "ship", 4, 8 },         /* above U+10FFFF */
		{ "ship\xe9", 5, "ship", 0, 4 },
		{ "\xffship\xfe/", 7, "ship|/", 1, 5 },
		{ "s\xffhip", 5, "", 0, 0 },
	};
	for (int sparse = 0; sparse < 2; sparse++) {
		rt_rules *r = compile_form(d, 1, sparse);
		for (size_t i = 0; i < PD_ARRAY_LEN(t); i++) {
			char buf[256];
			found_str(r, t[i].text, t[i].len, buf, sizeof(buf));
			ck_assert_msg(strcmp(buf, t[i].want) == 0, "%s #%zu: found '%s', want '%s'",
				      sparse ? "sparse" : "dense", i, buf, t[i].want);
			rt_input in = { t[i].text, t[i].len, WX, NULL, NULL };
			rt_result res;
			ck_assert_int_eq(rt_classify(r, &in, &res), PD_OK);
			ck_assert_uint_eq(res.n_hits > 0, *t[i].want != '\0');
			if (res.n_hits) {
				ck_assert_msg(res.hits[0].start == t[i].start && res.hits[0].end == t[i].end,
					      "%s #%zu: span %zu..%zu, want %zu..%zu",
					      sparse ? "sparse" : "dense", i, res.hits[0].start,
					      res.hits[0].end, t[i].start, t[i].end);
			}
		}
		rt_rules_free(r);
	}
}
END_TEST

/* Random rule sets over an alphabet mixing every case the automaton
 * distinguishes (ASCII letters in both cases, digits, their full-width
 * forms, spaces, CJK, 2- and 4-byte characters, '*' edges) and random texts
 * with invalid bytes: the dense and the sparse form must agree on every
 * keyword, its order and span, and every classification. */
static const char *const mix[] = { "a", "b", "A", "B", "1", "2", "ａ", "Ｂ", "１", " ", "　",
				   "-", "退", "款", "快", "递", "😀", "é", "?", "？", "z", "9" };
static const char *const junk[] = { "\xff", "\xe9\x80", "\xc0\xaf", "\xed\xa0\x80",
				    "\xf0\x9f\x98", "\xe0\x80\x80", "\x80" };

static void random_mix(unsigned *seed, char *buf, size_t max_chars, int with_junk)
{
	size_t n = 1 + rnd(seed) % max_chars;
	buf[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		if (with_junk && rnd(seed) % 12 == 0)
			strcat(buf, junk[rnd(seed) % PD_ARRAY_LEN(junk)]);
		else
			strcat(buf, mix[rnd(seed) % PD_ARRAY_LEN(mix)]);
	}
}

START_TEST(dense_and_sparse_forms_agree)
{
	enum { NR = 6, NK = 12, SETS = 150, TEXTS = 40 };
	static const char *const cats[NR] = { "presale", "order", "after-sale",
					      "logistics", "stock", "promo" };
	static char words[NR][3][NK][128];
	unsigned seed = 4242;
	size_t hits = 0;
	for (int set = 0; set < SETS; set++) {
		const char *lists[NR][3][NK + 1];
		rt_rule_def d[NR];
		for (int ru = 0; ru < NR; ru++) {
			for (int l = 0; l < 3; l++) {
				int n = l == 0 ? 1 + (int)(rnd(&seed) % NK) : (int)(rnd(&seed) % 3);
				for (int k = 0; k < n; k++) {
					char *w = words[ru][l][k];
					for (;;) { /* a keyword that compiles on its own */
						char body[64];
						w[0] = '\0';
						if (rnd(&seed) % 5 == 0)
							strcat(w, "*");
						random_mix(&seed, body, 4, 0);
						strcat(w, body);
						if (rnd(&seed) % 5 == 0)
							strcat(w, "*");
						const char *one[2] = { w, NULL };
						rt_rule_def t1 = { .id = "t", .position = 1,
								   .keywords_any = one, .category = "order" };
						rt_rules *tr = NULL;
						if (rt_rules_compile_dense_max(&t1, 1, &tr, NULL, 0) ==
						    PD_OK) {
							rt_rules_free(tr);
							break;
						}
					}
					lists[ru][l][k] = w;
				}
				lists[ru][l][n] = NULL;
			}
			d[ru] = (rt_rule_def){ .id = cats[ru], .position = ru, .category = cats[ru],
					       .keywords_any = lists[ru][0],
					       .keywords_all = lists[ru][1],
					       .keywords_none = lists[ru][2],
					       .fall_through = (int)(rnd(&seed) % 2) };
		}
		rt_rules *dense = compile_form(d, NR, 0), *sparse = compile_form(d, NR, 1);
		ck_assert_uint_eq(rt_rules_states(dense), rt_rules_states(sparse));
		for (int t = 0; t < TEXTS; t++) {
			char text[1024], a[1024], b[1024];
			random_mix(&seed, text, 60, 1);
			size_t len = strlen(text);
			found_str(dense, text, len, a, sizeof(a));
			found_str(sparse, text, len, b, sizeof(b));
			ck_assert_msg(strcmp(a, b) == 0, "'%s': dense '%s' sparse '%s'", text, a, b);
			rt_input in = { text, len, WX, NULL, NULL };
			rt_result x, y;
			ck_assert_int_eq(rt_classify(dense, &in, &x), PD_OK);
			ck_assert_int_eq(rt_classify(sparse, &in, &y), PD_OK);
			ck_assert_uint_eq(x.n_applied, y.n_applied);
			ck_assert_int_eq(x.category, y.category);
			ck_assert_uint_eq(x.n_hits, y.n_hits);
			for (size_t h = 0; h < x.n_hits; h++) {
				ck_assert_str_eq(x.hits[h].keyword, y.hits[h].keyword);
				ck_assert_uint_eq(x.hits[h].start, y.hits[h].start);
				ck_assert_uint_eq(x.hits[h].end, y.hits[h].end);
				/* the span holds the keyword when scanned alone */
				const char *one[1];
				ck_assert_uint_gt(rt_keywords_found(dense, text + x.hits[h].start,
								    x.hits[h].end - x.hits[h].start,
								    one, 1),
						  0);
			}
			hits += x.n_hits;
		}
		rt_rules_free(dense);
		rt_rules_free(sparse);
	}
	ck_assert_uint_gt(hits, 1000); /* the sets do match */
}
END_TEST

/* UTF-8 of code point cp (no surrogates) into o; returns its length. */
static size_t put_utf8(char *o, unsigned cp)
{
	if (cp < 0x800) {
		o[0] = (char)(0xC0 | cp >> 6);
		o[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xE0 | cp >> 12);
		o[1] = (char)(0x80 | (cp >> 6 & 0x3F));
		o[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	o[0] = (char)(0xF0 | cp >> 18);
	o[1] = (char)(0x80 | (cp >> 12 & 0x3F));
	o[2] = (char)(0x80 | (cp >> 6 & 0x3F));
	o[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

/* n_rules rules of per_rule keywords each, keyword k made by make_kw. */
struct big_set {
	size_t n_kw;
	char **kw;
	const char ***lists;
	char (*ids)[16];
	rt_rule_def *d;
	size_t n_rules;
};

static void big_set_init(struct big_set *b, size_t n_rules, size_t per_rule,
			 void (*make_kw)(size_t k, char *out, void *ctx), void *ctx)
{
	b->n_rules = n_rules;
	b->n_kw = n_rules * per_rule;
	b->kw = calloc(b->n_kw, sizeof(*b->kw));
	b->lists = calloc(n_rules, sizeof(*b->lists));
	b->ids = calloc(n_rules, sizeof(*b->ids));
	b->d = calloc(n_rules, sizeof(*b->d));
	for (size_t ru = 0; ru < n_rules; ru++) {
		b->lists[ru] = calloc(per_rule + 1, sizeof(*b->lists[ru]));
		for (size_t k = 0; k < per_rule; k++) {
			size_t i = ru * per_rule + k;
			b->kw[i] = calloc(1, RT_MAX_KEYWORD_BYTES + 1);
			make_kw(i, b->kw[i], ctx);
			b->lists[ru][k] = b->kw[i];
		}
		snprintf(b->ids[ru], sizeof(b->ids[ru]), "r%zu", ru);
		b->d[ru] = (rt_rule_def){ .id = b->ids[ru], .position = (int)ru,
					  .keywords_any = b->lists[ru], .category = "order" };
	}
}

static void big_set_free(struct big_set *b)
{
	for (size_t i = 0; i < b->n_kw; i++)
		free(b->kw[i]);
	for (size_t ru = 0; ru < b->n_rules; ru++)
		free(b->lists[ru]);
	free(b->kw);
	free(b->lists);
	free(b->ids);
	free(b->d);
}

/* Text made of the keywords planted (every step-th one) with filler
 * between; checks that exactly the keywords strstr finds are found. */
static void check_against_strstr(const rt_rules *r, const struct big_set *b, size_t step,
				 const char *filler)
{
	size_t cap = 1, n_planted = 0;
	for (size_t i = 0; i < b->n_kw; i += step)
		cap += strlen(b->kw[i]) + strlen(filler);
	char *text = malloc(cap);
	text[0] = '\0';
	for (size_t i = 0; i < b->n_kw; i += step, n_planted++) {
		strcat(text, b->kw[i]);
		strcat(text, filler);
	}
	size_t len = strlen(text);
	const char **found = calloc(b->n_kw, sizeof(*found));
	size_t n = rt_keywords_found(r, text, len, found, b->n_kw);
	size_t expect = 0;
	for (size_t i = 0; i < b->n_kw; i++)
		expect += strstr(text, b->kw[i]) != NULL;
	ck_assert_uint_ge(expect, n_planted);
	ck_assert_uint_eq(n, expect);
	for (size_t k = 0; k < n && k < b->n_kw; k++)
		ck_assert_ptr_nonnull(strstr(text, found[k]));
	free(found);
	free(text);
}

/* 6 CJK characters drawn from 64: 16,384 keywords, over 65,536 states. */
static void kw_six_of_64(size_t k, char *out, void *ctx)
{
	unsigned *seed = ctx;
	(void)k;
	size_t o = 0;
	for (int c = 0; c < 6; c++)
		o += put_utf8(out + o, 0x4E00 + rnd(seed) % 64);
	out[o] = '\0';
}

/* 3 characters of their own: 11,000 keywords, 33,000 distinct characters,
 * over the 32,768 classes of the dense form. */
static void kw_own_chars(size_t k, char *out, void *ctx)
{
	(void)ctx;
	size_t o = 0;
	for (unsigned c = 0; c < 3; c++)
		o += put_utf8(out + o, 0x4E00 + (unsigned)k * 3 + c);
	out[o] = '\0';
}

START_TEST(sets_over_the_dense_limits_use_the_sparse_form)
{
	struct big_set b;
	unsigned seed = 99;
	big_set_init(&b, RT_MAX_KEYWORDS / RT_MAX_LIST_KEYWORDS, RT_MAX_LIST_KEYWORDS, kw_six_of_64,
		     &seed);
	rt_rules *r = compile_ok(b.d, b.n_rules);
	ck_assert_uint_gt(rt_rules_states(r), 65536);
	ck_assert_uint_eq(rt_rules_classes(r), 0); /* sparse */
	check_against_strstr(r, &b, 97, "，");
	rt_rules_free(r);
	big_set_free(&b);

	big_set_init(&b, 11, 1000, kw_own_chars, NULL);
	r = compile_ok(b.d, b.n_rules);
	ck_assert_uint_eq(rt_rules_states(r), 3 * 11000 + 1);
	ck_assert_uint_eq(rt_rules_classes(r), 0); /* 33,002 classes: sparse */
	check_against_strstr(r, &b, 13, "a");
	rt_rules_free(r);
	/* one rule of the same kind fits: dense (3,001 states x 3,002
	 * classes, 18 MB) */
	r = compile_ok(b.d, 1);
	ck_assert_uint_eq(rt_rules_classes(r), 3 * 1000 + 2);
	char text[64];
	snprintf(text, sizeof(text), "%s,%s", b.kw[999], b.kw[0]);
	const char *found[4];
	ck_assert_uint_eq(rt_keywords_found(r, text, strlen(text), found, 4), 2);
	ck_assert_str_eq(found[0], b.kw[999]);
	ck_assert_str_eq(found[1], b.kw[0]);
	rt_rules_free(r);
	big_set_free(&b);
}
END_TEST

/* ---- reload and sharing ---------------------------------------------------- */

struct worker {
	const rt_rules *r;
	int ok;
};

static void *work(void *arg)
{
	struct worker *w = arg;
	w->ok = 1;
	for (int i = 0; i < 200; i++) {
		const struct msg_case *c = &cases[(size_t)i % PD_ARRAY_LEN(cases)];
		rt_input in = { c->text, strlen(c->text), c->channel, c->tier, c->cur };
		rt_result res;
		if (rt_classify(w->r, &in, &res) != PD_OK || strcmp(res.rule_id, c->rule) != 0)
			w->ok = 0;
	}
	return NULL;
}

START_TEST(shared_across_threads_and_swapped)
{
	rt_rules *r = defaults();
	pthread_t th[4];
	struct worker w[4];
	for (int i = 0; i < 4; i++) {
		w[i] = (struct worker){ r, 0 };
		ck_assert_int_eq(pthread_create(&th[i], NULL, work, &w[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		ck_assert(w[i].ok);
	}
	/* reload: a failed compile leaves the running set as it was */
	rt_rule_def bad = { .id = "x", .position = 1, .category = "nope" };
	rt_rules *next = NULL;
	ck_assert_int_ne(rt_rules_compile(&bad, 1, &next, NULL), PD_OK);
	ck_assert_ptr_null(next);
	rt_rule_def good = { .id = "all", .position = 1, .category = "other" };
	next = compile_ok(&good, 1);
	rt_rules *old = r;
	r = next;
	rt_rules_free(old);
	rt_result res;
	classify(r, "我要退款", WX, NULL, NULL, &res);
	ck_assert_str_eq(res.rule_id, "all");
	rt_rules_free(r);
}
END_TEST

/* The definitions may be freed right after compiling. */
START_TEST(compiled_rules_own_their_strings)
{
	char *id = strdup("mine"), *kw = strdup("退款"), *cat = strdup("after-sale");
	char *grp = strdup("g"), *tag = strdup("t"), *re = strdup("[0-9]+");
	const char *any[] = { kw, NULL }, *tags[] = { tag, NULL };
	rt_rule_def d = { .id = id, .position = 1, .keywords_any = any, .category = cat,
			  .group = grp, .tags = tags, .regex = re };
	rt_rules *r = compile_ok(&d, 1);
	free(id);
	free(kw);
	free(cat);
	free(grp);
	free(tag);
	free(re);
	rt_result res;
	classify(r, "退款123", WX, NULL, NULL, &res);
	ck_assert_str_eq(res.rule_id, "mine");
	ck_assert_str_eq(res.group, "g");
	ck_assert_str_eq(res.tags[0], "t");
	ck_assert_str_eq(res.hits[0].keyword, "退款");
	rt_rules_free(r);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("classify");
	TCase *tc = tcase_create("defaults");
	tcase_add_loop_test(tc, default_rules_realistic_messages, 0, (int)PD_ARRAY_LEN(cases));
	tcase_add_test(tc, default_rules_every_rule_reached);
	tcase_add_test(tc, default_rules_shape);
	tcase_add_test(tc, default_rules_the_why);
	suite_add_tcase(s, tc);

	tc = tcase_create("semantics");
	tcase_add_test(tc, keywords_all_needs_every_keyword);
	tcase_add_test(tc, keywords_any_and_all_combine);
	tcase_add_test(tc, keywords_none_excludes);
	tcase_add_test(tc, first_match_in_position_order);
	tcase_add_test(tc, fall_through_accumulates);
	tcase_add_test(tc, channel_and_category_filters);
	tcase_add_test(tc, tier_filter);
	tcase_add_test(tc, matched_keywords_reported_with_spans);
	tcase_add_test(tc, case_fullwidth_and_word_boundaries);
	tcase_add_test(tc, invalid_utf8_in_text);
	tcase_add_test(tc, regex_is_bytewise_on_folded_text);
	tcase_add_test(tc, empty_rule_set_and_bad_arguments);
	tcase_add_test(tc, category_names);
	suite_add_tcase(s, tc);

	tc = tcase_create("compile");
	tcase_add_test(tc, compile_errors_have_reasons);
	tcase_add_test(tc, compile_limits);
	tcase_add_test(tc, duplicate_keywords_share_one_pattern);
	tcase_add_test(tc, compiled_rules_own_their_strings);
	suite_add_tcase(s, tc);

	tc = tcase_create("automaton");
	tcase_set_timeout(tc, 120); /* valgrind */
	tcase_add_test(tc, thousand_keywords_over_64k_match_naive_search);
	tcase_add_test(tc, overlapping_keywords);
	tcase_add_test(tc, shared_across_threads_and_swapped);
	suite_add_tcase(s, tc);

	tc = tcase_create("alphabet");
	tcase_set_timeout(tc, 120); /* sanitizers, 16,384 keywords */
	tcase_add_test(tc, classes_merge_the_folding);
	tcase_add_test(tc, keywords_of_every_utf8_length);
	tcase_add_test(tc, keywords_at_utf8_boundaries_and_invalid_bytes);
	tcase_add_test(tc, dense_and_sparse_forms_agree);
	tcase_add_test(tc, sets_over_the_dense_limits_use_the_sparse_form);
	suite_add_tcase(s, tc);
	return s;
}

PD_CHECK_MAIN(suite)
