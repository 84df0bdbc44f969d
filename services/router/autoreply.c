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

int rt_autoreply_needs_shipment(const char *name)
{
	return name && strcmp(name, "tracking_status") == 0;
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
	return 0; /* other templates wait for their facts (stock, promo) */
}
