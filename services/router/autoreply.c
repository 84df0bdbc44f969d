/* Auto-reply templates (see autoreply.h). Texts are Chinese with English,
 * as the rest of the customer-facing labels; times are China time. */
#include "autoreply.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static const char *carrier_name(const char *code)
{
	static const struct { const char *code, *name; } names[] = {
		{"shunfeng", "顺丰"}, {"sf", "顺丰"}, {"yuantong", "圆通"}, {"zhongtong", "中通"}, {"zto", "中通"},
		{"yunda", "韵达"}, {"shentong", "申通"}, {"jd", "京东"}, {"ems", "EMS"},
	};
	for (size_t i = 0; code && i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(code, names[i].code) == 0)
			return names[i].name;
	return code && *code ? code : "快递";
}

static const char *state_text(const char *s)
{
	static const struct { const char *state, *text; } texts[] = {
		{"created", "已打包，等待快递揽收 / packed, waiting for pick-up"},
		{"collected", "快递已揽收 / picked up by the carrier"},
		{"in_transit", "运输中 / in transit"},
		{"out_for_delivery", "派送中 / out for delivery"},
		{"delivered", "已签收 / delivered"},
		{"exception", "运输异常，我们正在处理 / a problem in transit, we are on it"},
		{"returning", "退回中 / on its way back"},
		{"returned", "已退回 / returned"},
	};
	for (size_t i = 0; s && i < sizeof(texts) / sizeof(texts[0]); i++)
		if (strcmp(s, texts[i].state) == 0)
			return texts[i].text;
	return NULL;
}

/* snprintf cuts bytes, not characters: drop a partial UTF-8 sequence at the end. */
static void trim_partial_utf8(char *s)
{
	size_t n = strlen(s), i = n;
	while (i > 0 && ((unsigned char)s[i - 1] & 0xC0) == 0x80)
		i--;
	if (i == 0)
		return;
	unsigned char lead = (unsigned char)s[i - 1];
	size_t want = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
	if (n - (i - 1) < want)
		s[i - 1] = 0;
}

int rt_autoreply_needs(const char *name)
{
	if (!name)
		return 0;
	if (strcmp(name, "tracking_status") == 0)
		return RT_FACTS_SHIPMENT;
	if (strcmp(name, "restock_eta") == 0 || strcmp(name, "ship_by") == 0)
		return RT_FACTS_STOCK;
	if (strcmp(name, "promo_rule") == 0)
		return RT_FACTS_PROMO;
	return 0;
}

int rt_autoreply_answers(const char *name)
{
	return rt_autoreply_needs(name) != 0;
}

/* "11-12" in China time (no DST), "" for 0. */
static void china_date(int64_t ms, const char *fmt, char *out, size_t len)
{
	out[0] = 0;
	if (ms <= 0)
		return;
	time_t t = (time_t)(ms / 1000) + 8 * 3600;
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, len, fmt, &tm);
}

/* "When will it ship / is it in stock": from the stock service's level of
 * the SKU on the customer's order. Only facts are stated: an unknown ETA
 * is said to be unknown, never guessed. */
static int render_stock(const rt_facts *f, char *out, size_t outlen)
{
	if (!f || !f->has_stock || !f->sku_name || !*f->sku_name)
		return 0;
	char when[32];
	const char *order = f->order_id && *f->order_id ? f->order_id : NULL;
	int n;
	if (f->out_of_stock) {
		china_date(f->restock_eta_ms, "%m月%d日", when, sizeof(when));
		if (*when)
			n = snprintf(out, outlen, "您好，%s%s%s「%s」目前暂时缺货，预计%s补货，到货后会第一时间为您发出。"
				     "/ This item is out of stock; restock expected on %s (China time), and we ship right after.",
				     order ? "您订单" : "", order ? order : "", order ? "中的" : "", f->sku_name, when,
				     when);
		else
			n = snprintf(out, outlen, "您好，%s%s%s「%s」目前暂时缺货，补货时间确定后我们会主动通知您。"
				     "/ This item is out of stock; we will tell you as soon as the restock date is known.",
				     order ? "您订单" : "", order ? order : "", order ? "中的" : "", f->sku_name);
	} else if (f->presale && f->ship_by_ms > 0) {
		china_date(f->ship_by_ms, "%m月%d日", when, sizeof(when));
		n = snprintf(out, outlen, "您好，「%s」为预售商品，将在%s前发货。/ This is a pre-sale item; it ships by %s "
				     "(China time).",
			     f->sku_name, when, when);
	} else if (f->available > 0) {
		n = snprintf(out, outlen, "您好，「%s」目前有货，%s将按付款顺序尽快发出。/ This item is in stock%s; "
				     "orders ship in payment order.",
			     f->sku_name, order ? "您的订单" : "订单", order ? " and your order is in the queue" : "");
	} else {
		return 0;
	}
	if (n > 0 && (size_t)n < outlen)
		snprintf(out + n, outlen - (size_t)n, "如需人工服务请回复“人工”。");
	trim_partial_utf8(out);
	return 1;
}

static int render_promo(const rt_facts *f, char *out, size_t outlen)
{
	if (!f || !f->has_promo || !f->promo_text || !*f->promo_text)
		return 0;
	int n = snprintf(out, outlen, "您好，%s活动规则【%s】：%s", f->campaign_name ? f->campaign_name : "",
			 f->promo_title && *f->promo_title ? f->promo_title : "活动说明", f->promo_text);
	if (n > 0 && (size_t)n < outlen)
		snprintf(out + n, outlen - (size_t)n, " 如有疑问请回复“人工”。");
	trim_partial_utf8(out);
	return 1;
}

int rt_notice_stockout(const rt_facts *f, char *out, size_t outlen)
{
	if (!f || !f->sku_name || !*f->sku_name || !out || outlen == 0)
		return 0;
	char when[32];
	china_date(f->restock_eta_ms, "%m月%d日", when, sizeof(when));
	const char *order = f->order_id ? f->order_id : "";
	int n = snprintf(out, outlen, "您好，很抱歉，您订单%s中的「%s」暂时缺货。", order, f->sku_name);
	if (n > 0 && (size_t)n < outlen)
		n += *when ? snprintf(out + n, outlen - (size_t)n, "预计%s补货，到货后第一时间为您发出。", when)
			   : snprintf(out + n, outlen - (size_t)n, "补货时间确定后我们会再通知您。");
	if (n > 0 && (size_t)n < outlen)
		snprintf(out + n, outlen - (size_t)n, "如想更换商品或取消订单，请直接回复我们。/ Sorry: an item in "
						      "your order %s is out of stock%s%s. Reply to change or cancel.",
			 order, *when ? "; restock expected " : "", when);
	trim_partial_utf8(out);
	return 1;
}

int rt_notice_restocked(const rt_facts *f, char *out, size_t outlen)
{
	if (!f || !f->sku_name || !*f->sku_name || !out || outlen == 0)
		return 0;
	const char *order = f->order_id ? f->order_id : "";
	snprintf(out, outlen, "您好，您订单%s中的「%s」已到货，我们会尽快为您发出，感谢您的耐心等待。"
			      "/ Good news: the item in your order %s is back in stock and ships soon.",
		 order, f->sku_name, order);
	trim_partial_utf8(out);
	return 1;
}

int rt_autoreply_render(const char *name, const rt_facts *f, char *out, size_t outlen)
{
	if (!name || !out || outlen == 0)
		return 0;
	if (strcmp(name, "tracking_status") == 0) {
		if (!f || !f->has_shipment || !f->tracking_no || !*f->tracking_no)
			return 0;
		const char *st = state_text(f->state);
		if (!st)
			return 0;
		char when[32] = "";
		if (f->last_scan_at_ms > 0) {
			time_t t = (time_t)(f->last_scan_at_ms / 1000) + 8 * 3600; /* China time, no DST */
			struct tm tm;
			gmtime_r(&t, &tm);
			strftime(when, sizeof(when), "%m-%d %H:%M", &tm);
		}
		int n = snprintf(out, outlen, "您好，您的包裹（%s %s）当前状态：%s。", carrier_name(f->carrier), f->tracking_no, st);
		if (f->last_scan_text && *f->last_scan_text && n > 0 && (size_t)n < outlen)
			n += snprintf(out + n, outlen - (size_t)n, "最新物流（%s）：%s。", when, f->last_scan_text);
		if (f->delayed && n > 0 && (size_t)n < outlen)
			n += snprintf(out + n, outlen - (size_t)n, "包裹比预期慢，我们已催促快递并会跟进。");
		if (n > 0 && (size_t)n < outlen)
			snprintf(out + n, outlen - (size_t)n, "如需人工服务请回复“人工”。");
		trim_partial_utf8(out);
		return 1;
	}
	if (strcmp(name, "complaint_ack") == 0) {
		snprintf(out, outlen, "非常抱歉给您带来不好的体验，您的问题已转给专门的主管处理，"
				      "我们会尽快联系您。/ We are sorry. A supervisor has your case and will contact you shortly.");
		trim_partial_utf8(out);
		return 1;
	}
	if (strcmp(name, "restock_eta") == 0 || strcmp(name, "ship_by") == 0)
		return render_stock(f, out, outlen);
	if (strcmp(name, "promo_rule") == 0)
		return render_promo(f, out, outlen);
	return 0; /* other templates (refund_status, ...) have no facts source yet */
}
