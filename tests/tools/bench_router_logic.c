/* bench_router_logic: the ticket router's pure decision chain and its
 * keyword automaton, in one process, no I/O (make bench, part "router").
 *
 * (1) Routing decisions per second. Per message, what the router decides
 *     (services/router: decide.c, minus the SQL): rt_classify over the
 *     shipped rules (rt_default_rules compiled once), rt_extract of order /
 *     tracking / phone numbers, rt_risk_evaluate over the ticket's last
 *     messages (up to 30, as decide.c reads them) with rt_risk_priority,
 *     and, for a ticket without an agent, rt_assign_pick over the whole pool.
 *     The state is a promo-day floor: 1,000 agents in 8 groups (tiers,
 *     capacities 3-12, 85% online, loads spread from empty to full),
 *     10,000 tickets queued, 20,000 open tickets with a few earlier customer
 *     and agent messages each. Half the messages open a new ticket, half
 *     are follow-ups on an open one (classified as a follow-up, with the
 *     ticket's category). An assignment raises an agent's load and another
 *     busy agent's ticket is resolved, so the load stays steady; a ticket
 *     nobody can take joins the queue. Two passes from the same start: one
 *     without per-decision clocks for decisions/s, one with them for the
 *     per-decision p50/p99 and the share of each step.
 *     Beside it: "capacity freed": rt_assign_queue(10,000 queued, 1,000
 *     agents, one free place), which sorts the queue and walks it until one
 *     ticket is placed: what serving the queue costs when an agent frees up.
 *
 * (2) The automaton against one strstr per keyword. Every keyword of the
 *     shipped rules (keywords_any, _all and _none of every rule; '*' edge
 *     marks removed; each distinct folded spelling searched once), each
 *     looked for with glibc strstr in every message. The baseline gets
 *     the text already folded (full-width ASCII -> ASCII, letters lower-
 *     cased: the automaton's folding, done outside the timed loop) and does
 *     no word-boundary check; both favour the baseline. The automaton side
 *     is rt_keywords_found: one pass that folds as it reads and returns
 *     every distinct keyword found, the same question the baseline answers.
 *     rt_classify (automaton + rule evaluation + the one regex rule) is
 *     timed too, for reference. An untimed check compares, per message,
 *     the automaton's keywords with strstr's hits filtered by the word-
 *     boundary rule of classify.h: they must be the same sets.
 *
 * The messages: ~200 templates of what customers write during Double 11 /
 * 618 (parcel status, delays, refunds, returns, exchanges, quality,
 * 差评/12315 threats, coupons and 满减, presale 定金/尾款, stock, price
 * protection, invoices, sizes, order changes; Chinese, English, some
 * full-width), filled with order numbers (PD2411110001, D11-000123, 18-19
 * digit marketplace orders), waybills (SF / YT / ZT / YD / JD + digits,
 * 12-15 digit numeric ones), phone numbers, products and amounts.
 *
 *   bench_router_logic [--decisions N] [--messages N] [--agents N]
 *                      [--queued N] [--seconds S] [--seed N]
 *   bench_router_logic --dump-texts FILE [--messages N] [--seed N]
 * The second form writes N filled messages, one per line (JSON-safe: no
 * quotes, backslashes or control characters), with the literal "{P}"
 * where a template has a phone number, for bench_webhook_load --texts to fill in
 * per customer (a phone shared by two customers would merge them).
 * Human lines, then RESULT lines, on stdout. Exit 1 when a check fails
 * (the automaton and the baseline disagree, a call fails). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../services/router/assign.h"
#include "../../services/router/classify.h"
#include "../../services/router/classify_fold.h"
#include "../../services/router/extract.h"
#include "../../services/router/risk.h"
#include "bench_util.h"
#include "channel.pb-c.h"
#include "common.pb-c.h"

/* ---- the corpus ------------------------------------------------------------------
 * Placeholders: {O} shop order PD+10 digits, {D} D11-nnnnnn, {X} 18-19 digit
 * marketplace order, {S} SF+13, {Y} YT+13, {Z} ZT+12, {J} JD+13, {W} numeric
 * waybill of 12-15 digits, {R} return RT+10, {P} mobile phone, {G} product
 * (Chinese), {E} product (English), {M} a threshold amount, {m} a discount,
 * {N} a small count (days), {H} an hour. */
static const char *const templates[] = {
	/* where is my parcel */
	"我的快递到哪了？单号{S}",
	"请问订单{O}的物流到哪里了，三天没更新了",
	"快递单号{Y}一直显示运输中，什么时候能到",
	"{G}什么时候到啊，订单号{O}",
	"亲，帮我查下物流，{W}",
	"物流信息{N}天没动了，运单号是{W}，麻烦看一下",
	"我买的{G}到哪了？",
	"怎么还没到，{S}，显示在中转站好几天了",
	"包裹到哪儿了，订单{O}，急用",
	"查一下{J}这个快递在哪",
	"中通单号{Z}，帮我看看派送了没有",
	"你好，我的顺丰{S}显示已到驿站但我没收到通知",
	"快递柜取件码没收到，单号{Y}",
	"丰巢里没有我的包裹，订单{O}",
	"请问几天到？下单的时候说{N}天内送达",
	"物流显示派件中，但是一天了还没送到，{S}",
	"Where is my parcel? Order {O}",
	"Hi, my tracking number {S} hasn't updated for {N} days.",
	"Can you check the delivery status of order {O}? Thanks",
	"where is my package?? tracking {Y}",
	"My order {O} says shipped but tracking shows nothing",
	"When will my {E} arrive? Order number {O}",
	"Tracking {W} stuck at the sorting center since Monday",
	"请问快递几天到北京？订单{O}",
	"单号{W}到哪了",
	"ＳＦ{W}到哪了？",
	"订单号：{O}，物流一直不更新",
	"我的件怎么显示退回了？单号{Y}",
	/* delays */
	"等了好久了，{N}天了还没到，什么情况",
	"物流停在{N}天前，是不是卡住了，订单{O}",
	"说好的48小时发货，现在都{N}天了，太慢了",
	"快递一直不动，滞留在转运中心，{S}，请尽快处理",
	"Package delayed again, order {O}. This is ridiculous",
	"My parcel is stuck in transit for a week, tracking {S}",
	"The delivery is late, it was supposed to arrive {N} days ago",
	"物流延误也不通知一下？订单{O}",
	"双十一买的到现在还没到，{W}",
	"催一下物流，{S}，赶紧的",
	/* not shipped */
	"怎么还没发货？订单{O}，付款{N}天了",
	"什么时候发货啊，拍下{N}天了",
	"还不发货吗，订单号{O}",
	"请尽快发货，急用，订单{D}",
	"我的订单{O}超时未发货，怎么回事",
	"为什么别人的都发了我的还没发货",
	"My order {O} has not shipped yet, it's been {N} days",
	"When will you ship order {O}?",
	"Hi, when will it ship? I ordered the {E} on Monday",
	"催发货！{O}",
	"Order {D} not dispatched yet, please hurry",
	"现货吗？什么时候发？",
	"付了尾款什么时候发货，订单{O}",
	/* not received / lost */
	"显示签收了但是我没收到，订单{O}",
	"快递显示已签收，不是我签收的，{S}",
	"包裹丢了吗？一直没收到，{Y}",
	"It says delivered but I never received it. Order {O}",
	"Marked as delivered but nothing here, tracking {S}",
	"Lost parcel? Tracking {W} shows no update and I did not receive anything",
	"被别人签收了，你们快递怎么搞的，{S}",
	/* damage */
	"收到的{G}外包装烂了，里面也压坏了",
	"快递到了箱子烂了，{G}碎了，订单{O}",
	"收到的时候漏液了，怎么处理",
	"The {E} arrived broken, box was crushed. Order {O}",
	"Item damaged in transit, please advise. {O}",
	"包裹泡水了，{G}都湿了",
	/* refunds */
	"申请退款{N}天了还没退，订单{O}",
	"我要退款，订单{O}，不想要了",
	"退款什么时候到账？",
	"仅退款可以吗？{G}没用过",
	"钱什么时候退给我，退货单号{R}",
	"还没退款？你们拖了一个星期了",
	"I want a refund for order {O}",
	"When will I get my money back? Return {R}",
	"Refund still not received after {N} days, order {O}",
	"退款被拒绝了为什么？订单{O}",
	"说好的退款呢？再不退我就投诉了",
	"请尽快退钱，{O}，急",
	/* returns / exchanges */
	"{G}不合适，想退货，订单{O}",
	"七天无理由退货怎么操作？",
	"退货地址是哪里？我要寄回去",
	"我已经寄回了，快递单号{Y}，请查收",
	"退货的运费谁出？有运费险吗",
	"How do I return the {E}? Order {O}",
	"I'd like to return this, it doesn't fit",
	"I sent it back yesterday, tracking {S}, please confirm the return",
	"Can I exchange for a bigger size? Order {O}",
	"想换一个颜色，订单{O}，可以换货吗",
	"尺码小了能换码吗？{G}",
	"换货的话要多久？",
	"寄回去的包裹签收了吗，单号{W}",
	"退回的快递到了没，{S}",
	"拒收了，退款什么时候处理",
	/* quality */
	"{G}收到就是坏的，不能用",
	"质量太差了，穿了一次就开线了",
	"洗了一次就掉色，起球严重，什么质量",
	"有色差，和图片不一样，{G}",
	"少发了一件，订单{O}，只收到{N}件",
	"发错货了，我买的是黑色，收到的是白色",
	"这是假货吧？和专柜的不一样",
	"{G}用了{N}天就坏了，保修怎么弄",
	"The {E} is defective, doesn't work at all",
	"Wrong item received, order {O}",
	"My {E} stopped working after {N} days, is it under warranty?",
	"Missing item in my package, order {O}",
	"有瑕疵，袖口有线头，能补偿吗",
	"{G}有质量问题，要求售后处理",
	/* threats: regulators, exposure, lawyers, bad reviews */
	"再不处理我就打12315投诉你们",
	"已经打了12345，你们等着吧",
	"太坑了，我要去消费者协会投诉",
	"不给退款我就找工商，订单{O}",
	"你们这是欺诈，假一赔三懂不懂",
	"我要给差评，客服态度恶劣",
	"不解决我就给差评，还要追评，让大家都看看",
	"不处理就发微博曝光你们这个黑店",
	"我已经联系记者了，等着上热搜吧",
	"退一赔三！卖假货还不认",
	"I will leave a bad review if this is not fixed today",
	"This is a scam. I'm going to report you to the consumer association",
	"I will contact my lawyer, this is fraud",
	"1 star, worst service ever, order {O}",
	"Going to post this on social media, unacceptable",
	"打１２３１５投诉你们，订单{O}",
	"我要举报你们虚假宣传",
	"再拖下去我就去市场监管局投诉",
	"给个说法！不然差评",
	"你们这样做生意迟早被投诉，太差了",
	"气死了，物流这么慢还不理人，差评",
	"垃圾客服，问了{N}遍没人回",
	"失望透顶，双十一买的东西这样",
	"我要投诉快递员，{S}，态度差",
	/* compensation / cost disputes */
	"运费谁承担？明明是你们发错了",
	"来回邮费你们出吗？",
	"耽误了我的事情，必须赔偿",
	"这么久才到要给补偿吧",
	"Who pays the return shipping? It was your mistake",
	"I expect compensation for this delay",
	/* wants a human, rush */
	"转人工",
	"人工客服在吗？机器人回答不了",
	"我要找真人客服，不要自动回复",
	"Can I talk to a human please",
	"real person please, the bot is useless",
	"急！急！急！订单{O}今天能发吗",
	"urgent, need it by Friday, order {O}",
	"ASAP please, it's a gift",
	/* coupons, 满减, promotions */
	"满{M}减{m}的券怎么用不了？",
	"跨店满减怎么算的？我凑了{M}还是没减",
	"优惠券领了但是结算的时候没有抵扣",
	"双11的红包可以和店铺券叠加吗",
	"购物金和优惠券能一起用吗",
	"为什么我的会员价没显示",
	"满{M}减{m}和满{M}减{m}能同时用吗",
	"领券中心的{m}元券适用这个{G}吗",
	"凑单凑到{M}了为什么还是原价",
	"秒杀的价格怎么没了",
	"满赠的赠品怎么没收到？",
	"赠品少了，订单{O}",
	"How do I use the coupon? It says not applicable",
	"Is there any discount for the {E} during Double 11?",
	"My voucher didn't apply at checkout",
	"Can I stack the store coupon with the platform promo?",
	"cashback not received for order {O}",
	"618活动什么时候开始？",
	"津贴怎么用？",
	"返现什么时候到？订单{O}",
	/* presale deposits */
	"定金付了，尾款什么时候付？",
	"定金膨胀是怎么算的？付{m}抵{M}吗",
	"付尾款的时候优惠券能用吗",
	"定金可以退吗？不想要了",
	"尾款忘了付，还能补吗，订单{O}",
	"预售的{G}什么时候发货？",
	"How does the deposit work for the presale {E}?",
	"When is the final payment due for the pre-order?",
	"deposit paid, balance payment failed, order {O}",
	/* price protection */
	"我刚买的{G}今天降价了，能退差价吗",
	"价保怎么申请？买贵了{m}块",
	"昨天买的今天便宜了{m}，保价吗",
	"Price dropped a day after I bought the {E}, can you refund the difference?",
	"Do you offer price protection for Double 11?",
	/* stock */
	"{G}什么时候有货？",
	"这个颜色还有吗？显示缺货",
	"M码有货吗？",
	"什么时候补货啊，等了好久",
	"库存还有多少？我想买{N}件",
	"断货了吗？上周还有",
	"到货了能通知我吗",
	"Is the {E} in stock?",
	"When will the {E} be back in stock?",
	"Sold out again? When do you restock?",
	"Is the black one available in size L?",
	"现货还是预售？",
	/* presale questions */
	"在吗？",
	"请问{G}是正品吗",
	"这个和上一款有什么区别",
	"{G}的材质是什么？纯棉吗",
	"身高170体重65穿多大码",
	"偏大还是偏小？平时穿M",
	"尺码表在哪里看",
	"这款适合敏感肌吗",
	"保质期多久？生产日期是什么时候",
	"能发顺丰吗？多少钱",
	"包邮吗？偏远地区呢",
	"默认发什么快递？",
	"推荐一款{G}，预算{M}以内",
	"哪款性价比高？",
	"Do you have this in blue?",
	"What size should I get? I'm 165cm",
	"Is this compatible with iPhone 15?",
	"Do you ship to Hong Kong? What is the shipping cost?",
	"What's the material of the {E}?",
	"Hi, is this authentic?",
	"请问可以开发票吗？",
	"开增值税专票需要提供什么",
	"发票抬头写错了能重开吗，订单{O}",
	"Can you issue a VAT invoice for order {O}?",
	/* order changes, payment */
	"地址写错了，能改地址吗？订单{O}",
	"我要修改收货地址，订单{O}，电话{P}",
	"拍错了，帮我取消订单{O}",
	"能合并发货吗？订单{O}和{D}",
	"收货电话改成{P}，订单{O}",
	"Please change the address for order {O}",
	"I want to cancel my order {O}",
	"付款了但是订单显示未付款",
	"重复扣款了，扣了两次{M}元",
	"付不了款怎么回事",
	"订单{O}",
	"{X}",
	"{O} 这个单",
	"订单号{X}查一下",
	"Payment failed but money was taken, order {O}",
	"I was charged twice for order {O}",
	"我的手机号是{P}，之前的订单查不到了",
	"联系电话{P}，订单{O}，麻烦回电",
	/* mixed, long, chasing */
	"你好，我{N}号下的单，订单号{O}，买的{G}，到现在物流都没有更新，客服也不回，你们到底管不管？再不处理我就申请退款并且给差评",
	"亲，我想问一下，满{M}减{m}的活动和定金膨胀可以一起用吗？我想买两件{G}，一件现货一件预售，能一起发货吗",
	"刚才问的问题还没回复",
	"有人吗？？？",
	"？？？",
	"好的，谢谢",
	"收到了，谢谢客服",
	"还在等回复，订单{O}",
	"Hello? Anyone there?",
	"Thanks, got it",
	"Still waiting for an answer about order {O}",
	"我上午{H}点就问了，现在还没人理，我要投诉",
	"已经第{N}次问了，到底什么时候发货？",
	"再问一次，{S}到哪了",
	"东西收到了，但是{G}和描述的不一样，要求退货退款，运费你们出",
	"我买的{G}，订单{O}，快递{S}，签收的时候发现外箱压扁了，里面的东西也坏了，要换新的",
	"Hi there, I ordered the {E} (order {O}) during the 618 sale, the tracking {S} says delivered but I didn't receive it. Please help asap",
	"Your courier left my package outside and it got wet. Order {O}. I want a replacement or a refund",
	"买的时候说{N}天发货，现在超时了，按规定是不是要赔付？",
	"怎么联系你们经理？这个问题拖了{N}天了",
	"快递员说没有这个地址，我的地址是对的，{Y}",
	"驿站说没有我的包裹，但是物流显示已签收，{S}",
	"帮我备注一下，周末不在家，{O}",
	"能不能发京东快递？",
	"{G}怎么用？说明书看不懂",
	"适合几岁的孩子用？",
	"退款到账了，谢谢",
	"没收到赠品，订单{O}，说好的满赠呢",
};
#define N_TEMPLATES (sizeof(templates) / sizeof(templates[0]))

static const char *const products_zh[] = {
	"羽绒服", "蓝牙耳机", "马克杯", "扫地机器人", "保温杯", "面霜", "口红", "运动鞋", "电饭煲",
	"空气炸锅", "猫粮", "婴儿纸尿裤", "羊毛衫", "行李箱", "机械键盘", "洗面奶", "床上四件套",
	"电动牙刷", "大衣", "儿童玩具",
};
static const char *const products_en[] = {
	"down jacket", "earbuds", "mug", "robot vacuum", "thermos", "face cream", "lipstick",
	"running shoes", "rice cooker", "air fryer", "keyboard", "suitcase",
};

static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;
static uint64_t rnd(void)
{
	uint64_t x = rng_state;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return rng_state = x;
}
static unsigned rndu(unsigned n)
{
	return (unsigned)(rnd() % n);
}
static void digits(char *o, size_t *k, int n, size_t cap)
{
	for (int i = 0; i < n && *k + 1 < cap; i++)
		o[(*k)++] = (char)('0' + (i == 0 ? 1 + rndu(9) : rndu(10)));
}

/* Fills template t into out. keep_phone: leave "{P}" as it is. */
static size_t fill(const char *t, char *out, size_t cap, int keep_phone)
{
	size_t k = 0;
	char tmp[64];
	for (const char *p = t; *p && k + 1 < cap; p++) {
		if (p[0] != '{' || !p[1] || p[2] != '}') {
			out[k++] = *p;
			continue;
		}
		char c = p[1];
		p += 2;
		tmp[0] = 0;
		switch (c) {
		case 'O': snprintf(tmp, sizeof(tmp), "PD24111%u%04u", 1 + rndu(2), rndu(10000)); break;
		case 'D': snprintf(tmp, sizeof(tmp), "D11-%06u", rndu(1000000)); break;
		case 'R': snprintf(tmp, sizeof(tmp), "RT24111%u%04u", 1 + rndu(2), rndu(10000)); break;
		case 'M': snprintf(tmp, sizeof(tmp), "%u", (1 + rndu(10)) * 100); break;
		case 'm': snprintf(tmp, sizeof(tmp), "%u", (1 + rndu(10)) * 10); break;
		case 'N': snprintf(tmp, sizeof(tmp), "%u", 2 + rndu(8)); break;
		case 'H': snprintf(tmp, sizeof(tmp), "%u", 8 + rndu(4)); break;
		case 'G': snprintf(tmp, sizeof(tmp), "%s", products_zh[rndu(PD_ARRAY_LEN(products_zh))]); break;
		case 'E': snprintf(tmp, sizeof(tmp), "%s", products_en[rndu(PD_ARRAY_LEN(products_en))]); break;
		case 'P':
			if (keep_phone) {
				snprintf(tmp, sizeof(tmp), "{P}");
			} else {
				size_t j = 0;
				tmp[j++] = '1';
				tmp[j++] = (char)('3' + rndu(7));
				for (int i = 0; i < 9; i++)
					tmp[j++] = (char)('0' + rndu(10));
				tmp[j] = 0;
			}
			break;
		default: {
			const char *pre = c == 'S' ? "SF" : c == 'Y' ? "YT" : c == 'Z' ? "ZT" : c == 'J' ? "JD" : "";
			int n = c == 'S' || c == 'Y' || c == 'J' ? 13 : c == 'Z' ? 12 : c == 'X' ? 18 + (int)rndu(2)
											: 12 + (int)rndu(4);
			if (c == 'W' && rndu(4) == 0) /* some numeric waybills are YD-prefixed */
				pre = "YD", n = 13;
			size_t j = strlen(pre);
			memcpy(tmp, pre, j);
			digits(tmp, &j, n, sizeof(tmp));
			tmp[j] = 0;
			break;
		}
		}
		size_t n = strlen(tmp);
		if (k + n + 1 > cap)
			break;
		memcpy(out + k, tmp, n);
		k += n;
	}
	out[k] = 0;
	return k;
}

typedef struct msg {
	char *text;
	size_t len;
	int channel;
	int tmpl;
} msg;

static void free_corpus(msg *m, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(m[i].text);
	free(m);
}

static msg *make_corpus(size_t n, int keep_phone)
{
	msg *m = calloc(n, sizeof(*m));
	char buf[1024];
	for (size_t i = 0; i < n; i++) {
		/* every template equally often, in a scrambled order */
		m[i].tmpl = (int)((i * 7919u + rndu(3)) % N_TEMPLATES);
		m[i].len = fill(templates[m[i].tmpl], buf, sizeof(buf), keep_phone);
		m[i].text = strdup(buf);
		/* webhook (app / web chat) and WeChat; e-mail is rare in chat promos */
		unsigned r = rndu(20);
		m[i].channel = r < 12 ? PEAKDESK__V1__CHANNEL_KIND__CHANNEL_KIND_WEBHOOK
			       : r < 19 ? PEAKDESK__V1__CHANNEL_KIND__CHANNEL_KIND_WECHAT
					: PEAKDESK__V1__CHANNEL_KIND__CHANNEL_KIND_EMAIL;
	}
	return m;
}

/* ---- (1) the decision chain ------------------------------------------------------- */

#define N_GROUPS 8
static const char *const group_names[N_GROUPS] = {
	"presale", "order", "after-sale", "complaints", "vip", "livestream", "wholesale", "overseas",
};
/* share of agents whose first skill is the group, in percent */
static const int group_share[N_GROUPS] = {30, 25, 20, 8, 5, 5, 4, 3};

#define HIST_MAX 30 /* decide.c reads the last 30 messages */

typedef struct ticket {
	rt_risk_message hist[HIST_MAX]; /* oldest first */
	size_t n;
	int agent;            /* -1 = none */
	rt_category category; /* RT_CAT_NONE = unclassified */
	const char *group;
	int priority;
} ticket;

typedef struct world {
	rt_agent *agents;
	const char **skills; /* 2 per agent */
	size_t n_agents;
	rt_queued *queue;
	size_t n_queued, queue_cap;
	char (*queue_ids)[24];
	ticket *tickets;
	size_t n_tickets;
	uint64_t assigned, queued_new, released;
} world;

static char (*agent_ids)[32]; /* agent ids, the same in every world */

static void world_init(world *w, size_t n_agents, size_t n_queued, size_t n_tickets, const msg *corpus,
		       size_t n_msgs, int64_t now, uint64_t seed)
{
	rng_state = seed;
	memset(w, 0, sizeof(*w));
	w->n_agents = n_agents;
	w->agents = calloc(n_agents, sizeof(*w->agents));
	w->skills = calloc(2 * n_agents, sizeof(*w->skills));
	if (!agent_ids)
		agent_ids = calloc(n_agents, sizeof(*agent_ids));
	char (*ids)[32] = agent_ids;
	for (size_t i = 0; i < n_agents; i++) {
		rt_agent *a = &w->agents[i];
		snprintf(ids[i], sizeof(ids[i]), "agent-%04zu", i);
		a->id = ids[i];
		unsigned r = rndu(100), g = 0, acc = 0;
		for (g = 0; g < N_GROUPS - 1; g++) {
			acc += (unsigned)group_share[g];
			if (r < acc)
				break;
		}
		w->skills[2 * i] = group_names[g];
		a->skills = &w->skills[2 * i];
		a->n_skills = 1;
		if (rndu(10) < 3) { /* 30% work in a second group */
			w->skills[2 * i + 1] = group_names[(g + 1 + rndu(N_GROUPS - 1)) % N_GROUPS];
			a->n_skills = 2;
		}
		unsigned t = rndu(100);
		a->tier = t < 80 ? RT_TIER_FRONTLINE : t < 95 ? RT_TIER_LEAD : RT_TIER_SUPERVISOR;
		a->capacity = t < 10 ? 3 : (int32_t)(5 + rndu(8)); /* trainees 3, others 5..12 */
		unsigned p = rndu(100);
		a->presence = p < 85 ? PEAKDESK__V1__PRESENCE__PRESENCE_ONLINE
			      : p < 95 ? PEAKDESK__V1__PRESENCE__PRESENCE_AWAY
				       : PEAKDESK__V1__PRESENCE__PRESENCE_OFFLINE;
		a->open = (int32_t)rndu((unsigned)a->capacity + 1); /* empty .. full */
		a->idle_since_ms = now - (int64_t)rndu(3600 * 1000);
	}
	w->queue_cap = n_queued * 2 + 1024;
	w->queue = calloc(w->queue_cap, sizeof(*w->queue));
	w->queue_ids = calloc(w->queue_cap, sizeof(*w->queue_ids));
	for (size_t i = 0; i < n_queued; i++) {
		rt_queued *q = &w->queue[i];
		snprintf(w->queue_ids[i], sizeof(w->queue_ids[i]), "q%06zu", i);
		q->id = w->queue_ids[i];
		q->skill = group_names[rndu(5)]; /* the groups the rules route to */
		q->min_tier = rndu(20) == 0 ? RT_TIER_LEAD : 0;
		q->priority = 1 + (int)rndu(4);
		q->created_at_ms = now - (int64_t)rndu(2 * 3600 * 1000);
		q->deadline_ms = rndu(5) ? q->created_at_ms + 15 * 60 * 1000 : 0;
	}
	w->n_queued = n_queued;
	w->n_tickets = n_tickets;
	w->tickets = calloc(n_tickets, sizeof(*w->tickets));
	for (size_t i = 0; i < n_tickets; i++) {
		ticket *t = &w->tickets[i];
		t->agent = rndu(4) ? (int)rndu((unsigned)n_agents) : -1;
		t->category = (rt_category)(1 + rndu(RT_CAT_COUNT - 1));
		t->group = group_names[rndu(5)];
		t->priority = 2;
		t->n = 1 + rndu(5);
		int64_t at = now - (int64_t)rndu(6 * 3600 * 1000);
		for (size_t k = 0; k < t->n; k++) {
			t->hist[k].author = (k % 2 == 0) ? RT_AUTHOR_CUSTOMER : RT_AUTHOR_AGENT;
			t->hist[k].at_ms = at;
			t->hist[k].text = corpus[rndu((unsigned)n_msgs)].text;
			at += (int64_t)rndu(20 * 60 * 1000);
		}
	}
}

static void world_free(world *w)
{
	free(w->agents);
	free(w->skills);
	free(w->queue);
	free(w->queue_ids);
	free(w->tickets);
}

typedef struct stage_ns {
	int64_t classify, extract, risk, assign;
} stage_ns;

static uint64_t sink; /* keeps the compiler from dropping results */

/* One routing decision for message m; stages timed when st is not NULL. */
static int decide(world *w, const rt_rules *rules, const msg *m, uint64_t i, int64_t now, stage_ns *st)
{
	int64_t t0 = st ? bench_mono_ns() : 0;
	/* Half the messages open a ticket, half follow up on an open one. */
	int fresh = (i & 1) == 0;
	ticket *t = &w->tickets[(i * 2654435761u) % w->n_tickets];
	if (fresh) {
		t->n = 0;
		t->agent = -1;
		t->category = RT_CAT_NONE;
		t->group = NULL;
	}
	rt_input in = {.text = m->text, .len = m->len, .channel = m->channel,
		       .tier = (i % 31) == 0 ? "vip" : "normal",
		       .current_category = t->category ? rt_category_name(t->category) : NULL};
	rt_result res;
	if (rt_classify(rules, &in, &res) != PD_OK)
		return -1;
	if (t->category == RT_CAT_NONE || t->category == RT_CAT_OTHER) {
		t->category = res.category;
		t->group = res.group;
		t->priority = res.priority ? res.priority : RT_PRIO_NORMAL;
	}
	int64_t t1 = st ? bench_mono_ns() : 0;
	rt_ref refs[16];
	size_t nref = rt_extract(NULL, m->text, m->len, refs, 16);
	int64_t t2 = st ? bench_mono_ns() : 0;
	if (t->n == HIST_MAX) {
		memmove(t->hist, t->hist + 1, (HIST_MAX - 1) * sizeof(t->hist[0]));
		t->n--;
	}
	t->hist[t->n++] = (rt_risk_message){RT_AUTHOR_CUSTOMER, now, m->text};
	rt_risk_policy pol = RT_RISK_POLICY_DEFAULT;
	rt_risk_result rr;
	if (rt_risk_evaluate(t->hist, t->n, 0, now, &pol, &rr, NULL) != PD_OK)
		return -1;
	t->priority = rt_risk_priority(t->priority, rr.score, &pol);
	int64_t t3 = st ? bench_mono_ns() : 0;
	if (t->agent < 0) {
		rt_queued q = {.id = "new", .skill = t->group, .priority = t->priority, .created_at_ms = now,
			       .deadline_ms = now + 15 * 60 * 1000};
		size_t a;
		if (rt_assign_pick(w->agents, w->n_agents, &q, &a)) {
			w->agents[a].open++;
			w->agents[a].idle_since_ms = now;
			t->agent = (int)a;
			w->assigned++;
			/* Steady state: somewhere on the floor a ticket is resolved. */
			for (int tries = 0; tries < 8; tries++) {
				size_t b = (size_t)(rnd() % w->n_agents);
				if (w->agents[b].open > 0) {
					w->agents[b].open--;
					w->released++;
					break;
				}
			}
		} else {
			if (w->n_queued < w->queue_cap)
				w->queue[w->n_queued++] = q;
			w->queued_new++;
		}
	}
	if (st) {
		int64_t t4 = bench_mono_ns();
		st->classify += t1 - t0;
		st->extract += t2 - t1;
		st->risk += t3 - t2;
		st->assign += t4 - t3;
	}
	sink += nref + (uint64_t)rr.score + res.n_applied;
	return 0;
}

/* ---- (2) keywords for the strstr baseline --------------------------------------- */

typedef struct kwd {
	char *folded;   /* what strstr looks for */
	int left, right; /* the edge must be a word boundary (alnum edge without '*') */
	char *shown;    /* as written */
} kwd;

/* Folds like the automaton: full-width ASCII -> ASCII, ASCII letters lower
 * case, everything else as its bytes. */
static size_t fold_text(const char *s, size_t len, char *out)
{
	size_t k = 0;
	for (size_t i = 0; i < len;) {
		size_t next;
		int c = rt_fold_next(s, len, i, &next);
		if (c >= 0 && c < 0x80) {
			out[k++] = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
		} else {
			memcpy(out + k, s + i, next - i);
			k += next - i;
		}
		i = next;
	}
	out[k] = 0;
	return k;
}

static int is_alnum(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static size_t collect_keywords(const rt_rule_def *defs, size_t n, kwd **out, size_t *n_distinct_strings)
{
	size_t cap = 1024, k = 0;
	kwd *v = calloc(cap, sizeof(*v));
	for (size_t r = 0; r < n; r++) {
		const char *const *lists[3] = {defs[r].keywords_any, defs[r].keywords_all, defs[r].keywords_none};
		for (int l = 0; l < 3; l++)
			for (size_t j = 0; lists[l] && lists[l][j]; j++) {
				const char *kw = lists[l][j];
				size_t len = strlen(kw);
				int open_l = kw[0] == '*', open_r = len > 1 && kw[len - 1] == '*';
				char body[256], f[256];
				size_t blen = len - (size_t)open_l - (size_t)open_r;
				memcpy(body, kw + open_l, blen);
				body[blen] = 0;
				size_t fl = fold_text(body, blen, f);
				int left = !open_l && is_alnum((unsigned char)f[0]);
				int right = !open_r && fl && is_alnum((unsigned char)f[fl - 1]);
				size_t d;
				for (d = 0; d < k; d++)
					if (strcmp(v[d].folded, f) == 0 && v[d].left == left && v[d].right == right)
						break;
				if (d < k)
					continue;
				if (k == cap)
					v = realloc(v, (cap *= 2) * sizeof(*v));
				v[k++] = (kwd){strdup(f), left, right, strdup(kw)};
			}
	}
	/* distinct search strings (refund and refund* are one strstr) */
	size_t ds = 0;
	for (size_t i = 0; i < k; i++) {
		size_t j;
		for (j = 0; j < i && strcmp(v[j].folded, v[i].folded) != 0; j++)
			;
		ds += j == i;
	}
	*n_distinct_strings = ds;
	*out = v;
	return k;
}

/* Does keyword k occur in folded text f with its boundary rule? */
static int occurs_bounded(const char *f, const kwd *k)
{
	size_t kl = strlen(k->folded);
	for (const char *p = strstr(f, k->folded); p; p = strstr(p + 1, k->folded)) {
		if (k->left && p > f && is_alnum((unsigned char)p[-1]))
			continue;
		if (k->right && is_alnum((unsigned char)p[kl]))
			continue;
		return 1;
	}
	return 0;
}

static double secs_since(int64_t t0)
{
	return (double)(bench_mono_ns() - t0) / 1e9;
}

typedef struct speeds {
	double aut, strstr, cls; /* messages per second */
} speeds;

/* Times strstr (every distinct keyword string in every pre-folded text),
 * the automaton (rt_keywords_found) and rt_classify over the same texts,
 * each for at least min_s seconds. */
static speeds time_matching(const rt_rules *rules, const msg *texts, char **folded, size_t n, const char **strs,
			    size_t n_strings, double min_s)
{
	speeds sp;
	const char *found[256];
	size_t reps = 0, hits = 0;
	int64_t s0 = bench_mono_ns();
	do {
		for (size_t i = 0; i < n; i++)
			for (size_t k = 0; k < n_strings; k++)
				hits += strstr(folded[i], strs[k]) != NULL;
		reps++;
	} while (secs_since(s0) < min_s);
	sp.strstr = (double)(reps * n) / secs_since(s0);
	reps = 0;
	s0 = bench_mono_ns();
	do {
		for (size_t i = 0; i < n; i++)
			hits += rt_keywords_found(rules, texts[i].text, texts[i].len, found, 256);
		reps++;
	} while (secs_since(s0) < min_s);
	sp.aut = (double)(reps * n) / secs_since(s0);
	reps = 0;
	s0 = bench_mono_ns();
	do {
		for (size_t i = 0; i < n; i++) {
			rt_input in = {.text = texts[i].text, .len = texts[i].len, .channel = texts[i].channel};
			rt_result res;
			rt_classify(rules, &in, &res);
			hits += res.n_applied;
		}
		reps++;
	} while (secs_since(s0) < min_s);
	sp.cls = (double)(reps * n) / secs_since(s0);
	sink += hits;
	return sp;
}

/* A reference, not the router's code: a textbook Aho-Corasick with a dense
 * 256-way transition table per state over the same distinct folded keyword
 * strings (no word boundaries, like the strstr baseline), scanning the
 * pre-folded texts. It shows what a table-driven automaton costs per byte
 * on this machine, beside the router's (one step per character over
 * classes of characters, the folding merged into its class table, word
 * boundaries checked). */
typedef struct dense_ac {
	int32_t *delta; /* state * 256 + byte */
	int32_t *out;   /* pattern ending here, -1 if none */
	int32_t *dict;  /* next state on the fail chain with an output, 0 = none */
	size_t n_states, n_pats;
	uint32_t *seen; /* generation per pattern */
	uint32_t gen;
} dense_ac;

static void dense_build(dense_ac *d, const char **pats, size_t n)
{
	size_t cap = 1;
	for (size_t i = 0; i < n; i++)
		cap += strlen(pats[i]);
	d->delta = malloc(cap * 256 * sizeof(int32_t));
	d->out = malloc(cap * sizeof(int32_t));
	d->dict = calloc(cap, sizeof(int32_t));
	int32_t *fail = calloc(cap, sizeof(int32_t));
	memset(d->delta, 0xff, cap * 256 * sizeof(int32_t));
	memset(d->out, 0xff, cap * sizeof(int32_t));
	d->n_states = 1;
	for (size_t i = 0; i < n; i++) {
		int32_t s = 0;
		for (const unsigned char *p = (const unsigned char *)pats[i]; *p; p++) {
			if (d->delta[s * 256 + *p] < 0)
				d->delta[s * 256 + *p] = (int32_t)d->n_states++;
			s = d->delta[s * 256 + *p];
		}
		d->out[s] = (int32_t)i;
	}
	int32_t *queue = malloc(d->n_states * sizeof(int32_t));
	size_t qh = 0, qt = 0;
	for (int c = 0; c < 256; c++) {
		int32_t t = d->delta[c];
		if (t < 0)
			d->delta[c] = 0;
		else
			fail[t] = 0, queue[qt++] = t;
	}
	while (qh < qt) {
		int32_t s = queue[qh++];
		d->dict[s] = d->out[fail[s]] >= 0 ? fail[s] : d->dict[fail[s]];
		for (int c = 0; c < 256; c++) {
			int32_t t = d->delta[s * 256 + c];
			if (t < 0) {
				d->delta[s * 256 + c] = d->delta[fail[s] * 256 + c];
			} else {
				fail[t] = d->delta[fail[s] * 256 + c];
				queue[qt++] = t;
			}
		}
	}
	free(queue);
	free(fail);
	d->n_pats = n;
	d->seen = calloc(n, sizeof(uint32_t));
	d->gen = 0;
}

/* Distinct patterns found in text. */
static size_t dense_scan(dense_ac *d, const char *text)
{
	uint32_t g = ++d->gen;
	size_t found = 0;
	int32_t s = 0;
	for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
		s = d->delta[s * 256 + *p];
		for (int32_t t = d->out[s] >= 0 ? s : d->dict[s]; t; t = d->dict[t]) {
			int32_t pat = d->out[t];
			if (d->seen[pat] == g)
				break;
			d->seen[pat] = g;
			found++;
		}
	}
	return found;
}

static double time_dense(dense_ac *d, char **folded, size_t n, double min_s)
{
	size_t reps = 0, hits = 0;
	int64_t s0 = bench_mono_ns();
	do {
		for (size_t i = 0; i < n; i++)
			hits += dense_scan(d, folded[i]);
		reps++;
	} while (secs_since(s0) < min_s);
	sink += hits;
	return (double)(reps * n) / secs_since(s0);
}

static int dump_texts(const char *path, size_t n)
{
	FILE *f = fopen(path, "w");
	if (!f) {
		perror(path);
		return 1;
	}
	msg *c = make_corpus(n, 1);
	for (size_t i = 0; i < n; i++) {
		for (const unsigned char *p = (const unsigned char *)c[i].text; *p; p++)
			if (*p == '"' || *p == '\\' || *p < 0x20) {
				fprintf(stderr, "bench_router_logic: template %d is not JSON-safe\n", c[i].tmpl);
				free_corpus(c, n);
				fclose(f);
				return 1;
			}
		fprintf(f, "%s\n", c[i].text);
	}
	free_corpus(c, n);
	fclose(f);
	return 0;
}

int main(int argc, char **argv)
{
	size_t n_dec = (size_t)atol(bench_opt(argc, argv, "--decisions", "100000"));
	size_t n_msgs = (size_t)atol(bench_opt(argc, argv, "--messages", "20000"));
	size_t n_agents = (size_t)atol(bench_opt(argc, argv, "--agents", "1000"));
	size_t n_queued = (size_t)atol(bench_opt(argc, argv, "--queued", "10000"));
	double min_s = atof(bench_opt(argc, argv, "--seconds", "0.5"));
	uint64_t seed = (uint64_t)atoll(bench_opt(argc, argv, "--seed", "20261111"));
	const char *dump = bench_opt(argc, argv, "--dump-texts", NULL);
	if (!n_dec || !n_msgs || !n_agents) {
		fprintf(stderr, "usage: bench_router_logic [--decisions N] [--messages N] [--agents N] [--queued N] "
				"[--seconds S] [--seed N] | --dump-texts FILE [--messages N]\n");
		return 2;
	}
	rng_state = seed | 1;
	if (dump)
		return dump_texts(dump, n_msgs);

	size_t n_defs;
	const rt_rule_def *defs = rt_default_rules(&n_defs);
	rt_rules *rules;
	pd_errbuf eb = {{0}};
	if (rt_rules_compile(defs, n_defs, &rules, &eb) != PD_OK) {
		fprintf(stderr, "bench_router_logic: the shipped rules do not compile: %s\n", eb.msg);
		return 1;
	}
	msg *corpus = make_corpus(n_msgs, 0);
	size_t bytes = 0, ascii_msgs = 0;
	for (size_t i = 0; i < n_msgs; i++) {
		bytes += corpus[i].len;
		int ascii = 1;
		for (size_t k = 0; k < corpus[i].len; k++)
			ascii &= (unsigned char)corpus[i].text[k] < 0x80;
		ascii_msgs += (size_t)ascii;
	}
	double avg_bytes = (double)bytes / (double)n_msgs;
	int fail = 0;
	char c1[32], c2[32], c3[32], c4[32];

	/* What the rules make of the corpus (one pass, untimed). */
	size_t cat_count[RT_CAT_COUNT] = {0}, grp_count[N_GROUPS + 1] = {0}, refs_found = 0;
	for (size_t i = 0; i < n_msgs; i++) {
		rt_input in = {.text = corpus[i].text, .len = corpus[i].len, .channel = corpus[i].channel};
		rt_result res;
		rt_classify(rules, &in, &res);
		cat_count[res.category]++;
		size_t g;
		for (g = 0; g < N_GROUPS && !(res.group && strcmp(res.group, group_names[g]) == 0); g++)
			;
		grp_count[g]++;
		rt_ref refs[16];
		refs_found += rt_extract(NULL, corpus[i].text, corpus[i].len, refs, 16) > 0;
	}
	printf("router corpus: %zu messages from %zu templates (%zu%% English/ASCII), %.0f bytes on average; "
	       "shipped rules: %zu rules, %zu distinct keywords, %zu automaton states; categories:",
	       n_msgs, (size_t)N_TEMPLATES, ascii_msgs * 100 / n_msgs, avg_bytes, rt_rules_count(rules),
	       rt_rules_keywords(rules), rt_rules_states(rules));
	for (int c = 1; c < RT_CAT_COUNT; c++)
		printf(" %s %.0f%%", rt_category_name((rt_category)c), 100.0 * (double)cat_count[c] / (double)n_msgs);
	printf("; groups:");
	for (int g = 0; g < N_GROUPS; g++)
		if (grp_count[g])
			printf(" %s %.0f%%", group_names[g], 100.0 * (double)grp_count[g] / (double)n_msgs);
	printf("; %.0f%% name an order, waybill or phone number\n", 100.0 * (double)refs_found / (double)n_msgs);

	/* ---- (1) decisions ---- */
	const int64_t now0 = 1794902400000LL; /* 2026-11-11 00:00 +08:00 */
	size_t n_tickets = 20000;
	world w;
	/* warm-up, then the throughput pass without per-decision clocks */
	world_init(&w, n_agents, n_queued, n_tickets, corpus, n_msgs, now0, seed);
	for (size_t i = 0; i < 5000; i++)
		decide(&w, rules, &corpus[i % n_msgs], i, now0 + (int64_t)i, NULL);
	world_free(&w);
	world_init(&w, n_agents, n_queued, n_tickets, corpus, n_msgs, now0, seed);
	size_t online = 0, cap_total = 0, open_total = 0, with_room = 0;
	for (size_t a = 0; a < n_agents; a++) {
		online += w.agents[a].presence == PEAKDESK__V1__PRESENCE__PRESENCE_ONLINE;
		cap_total += (size_t)w.agents[a].capacity;
		open_total += (size_t)w.agents[a].open;
		with_room += rt_assign_eligible(&w.agents[a], &(rt_queued){.id = "x"});
	}
	int64_t t0 = bench_mono_ns();
	size_t done = 0;
	while (done < n_dec || secs_since(t0) < min_s) {
		if (decide(&w, rules, &corpus[done % n_msgs], done, now0 + (int64_t)done, NULL) != 0) {
			fprintf(stderr, "bench_router_logic: a decision failed\n");
			return 1;
		}
		done++;
	}
	double thr_s = secs_since(t0);
	double dps = (double)done / thr_s;
	uint64_t assigned = w.assigned, queued_new = w.queued_new;
	size_t queue_end = w.n_queued;
	world_free(&w);

	/* the latency pass: the same decisions, each one timed */
	world_init(&w, n_agents, n_queued, n_tickets, corpus, n_msgs, now0, seed);
	bench_samples lat = {0};
	stage_ns st = {0};
	for (size_t i = 0; i < done; i++) {
		int64_t a = bench_mono_ns();
		decide(&w, rules, &corpus[i % n_msgs], i, now0 + (int64_t)i, &st);
		bench_samples_add(&lat, bench_mono_ns() - a); /* ns */
	}
	bench_samples_sort(&lat);
	double tot = (double)(st.classify + st.extract + st.risk + st.assign);
	world_free(&w);
	printf("router logic: %s routing decisions/s on one core (%s decisions in %.2f s; classify + extract + risk + "
	       "assign per message); per decision p50 %.1f us p90 %.1f us p99 %.1f us p99.9 %.1f us max %.0f us; "
	       "time in classify %.0f%%, extract %.0f%%, risk %.0f%%, assign %.0f%%\n",
	       bench_commas(dps, c1, sizeof(c1)), bench_commas((double)done, c2, sizeof(c2)), thr_s,
	       (double)bench_pct(&lat, 50) / 1e3, (double)bench_pct(&lat, 90) / 1e3, (double)bench_pct(&lat, 99) / 1e3,
	       (double)bench_pct(&lat, 99.9) / 1e3, (double)bench_pct(&lat, 100) / 1e3, 100.0 * (double)st.classify / tot,
	       100.0 * (double)st.extract / tot, 100.0 * (double)st.risk / tot, 100.0 * (double)st.assign / tot);
	char c5[32], c6[32], c7[32], c8[32];
	printf("router logic: pool %s agents in %d groups (%zu online, %zu with a free place at the start, capacity %s, "
	       "%s open), %s tickets queued at the start and %s at the end, %s open tickets with up to %d messages; "
	       "%s new tickets assigned, %s queued\n",
	       bench_commas((double)n_agents, c1, sizeof(c1)), N_GROUPS, online, with_room,
	       bench_commas((double)cap_total, c2, sizeof(c2)), bench_commas((double)open_total, c3, sizeof(c3)),
	       bench_commas((double)n_queued, c4, sizeof(c4)), bench_commas((double)queue_end, c5, sizeof(c5)),
	       bench_commas((double)n_tickets, c6, sizeof(c6)), HIST_MAX, bench_commas((double)assigned, c7, sizeof(c7)),
	       bench_commas((double)queued_new, c8, sizeof(c8)));

	/* capacity freed: serve the queue (sort 10,000 + walk) for one free place */
	world_init(&w, n_agents, n_queued, n_tickets, corpus, n_msgs, now0, seed);
	for (size_t a = 0; a < n_agents; a++) /* a full floor ... */
		w.agents[a].open = w.agents[a].capacity;
	rt_queued *qcopy = malloc(n_queued * sizeof(*qcopy));
	bench_samples qlat = {0};
	size_t qplaced = 0, qruns = 0;
	int64_t q0 = bench_mono_ns();
	while (qruns < 200 || (secs_since(q0) < 0.3 && qruns < 5000)) {
		size_t a = (size_t)(rnd() % n_agents); /* ... where one agent frees a place */
		while (w.agents[a].presence != PEAKDESK__V1__PRESENCE__PRESENCE_ONLINE)
			a = (a + 1) % n_agents;
		w.agents[a].open--;
		memcpy(qcopy, w.queue, n_queued * sizeof(*qcopy)); /* unsorted, as loaded */
		rt_assignment out[1];
		int64_t s = bench_mono_ns();
		size_t got = rt_assign_queue(qcopy, n_queued, w.agents, n_agents, now0, out, 1);
		bench_samples_add(&qlat, bench_mono_ns() - s);
		qplaced += got;
		if (got)
			w.agents[out[0].agent].open = w.agents[out[0].agent].capacity;
		else
			w.agents[a].open++;
		qruns++;
	}
	bench_samples_sort(&qlat);
	/* the same walk over a queue that is already in order (kept sorted) */
	memcpy(qcopy, w.queue, n_queued * sizeof(*qcopy));
	qsort(qcopy, n_queued, sizeof(*qcopy), rt_queue_cmp);
	bench_samples qsorted = {0};
	for (size_t r = 0; r < 200; r++) {
		size_t a = (size_t)(rnd() % n_agents);
		while (w.agents[a].presence != PEAKDESK__V1__PRESENCE__PRESENCE_ONLINE)
			a = (a + 1) % n_agents;
		w.agents[a].open--;
		rt_assignment out[1];
		int64_t s = bench_mono_ns();
		size_t got = rt_assign_queue(qcopy, n_queued, w.agents, n_agents, now0, out, 1);
		bench_samples_add(&qsorted, bench_mono_ns() - s);
		if (got)
			w.agents[out[0].agent].open = w.agents[out[0].agent].capacity;
		else
			w.agents[a].open++;
	}
	bench_samples_sort(&qsorted);
	world_free(&w);
	free(qcopy);
	printf("router queue: capacity freed -> rt_assign_queue over %s queued tickets and %s agents (full floor, one "
	       "place free): p50 %.0f us p99 %.0f us (%zu runs, %zu placed); on a queue already in order p50 %.0f us "
	       "p99 %.0f us\n",
	       bench_commas((double)n_queued, c1, sizeof(c1)), bench_commas((double)n_agents, c2, sizeof(c2)),
	       (double)bench_pct(&qlat, 50) / 1e3, (double)bench_pct(&qlat, 99) / 1e3, qruns, qplaced,
	       (double)bench_pct(&qsorted, 50) / 1e3, (double)bench_pct(&qsorted, 99) / 1e3);

	/* ---- (2) automaton vs strstr ---- */
	kwd *kws;
	size_t n_strings;
	size_t n_kw = collect_keywords(defs, n_defs, &kws, &n_strings);
	char **folded = malloc(n_msgs * sizeof(*folded));
	for (size_t i = 0; i < n_msgs; i++) {
		folded[i] = malloc(corpus[i].len + 1);
		fold_text(corpus[i].text, corpus[i].len, folded[i]);
	}
	/* search strings: one per distinct folded spelling */
	const char **strs = malloc(n_strings * sizeof(*strs));
	for (size_t i = 0, k = 0; i < n_kw; i++) {
		size_t j;
		for (j = 0; j < k && strcmp(strs[j], kws[i].folded) != 0; j++)
			;
		if (j == k)
			strs[k++] = kws[i].folded;
	}
	/* correctness: the automaton's keywords == strstr hits with boundaries */
	size_t mismatched = 0, hits_total = 0;
	const char *found[256];
	char *in_set = malloc(n_kw);
	for (size_t i = 0; i < n_msgs; i++) {
		size_t nf = rt_keywords_found(rules, corpus[i].text, corpus[i].len, found, 256);
		memset(in_set, 0, n_kw);
		int bad = nf > 256;
		for (size_t f = 0; f < nf && f < 256; f++) {
			char fb[256];
			const char *s = found[f];
			size_t sl = strlen(s);
			int ol = s[0] == '*', orr = sl > 1 && s[sl - 1] == '*';
			char body[256];
			memcpy(body, s + ol, sl - (size_t)ol - (size_t)orr);
			body[sl - (size_t)ol - (size_t)orr] = 0;
			size_t fl = fold_text(body, strlen(body), fb);
			int left = !ol && is_alnum((unsigned char)fb[0]), right = !orr && fl && is_alnum((unsigned char)fb[fl - 1]);
			size_t k;
			for (k = 0; k < n_kw; k++)
				if (!strcmp(kws[k].folded, fb) && kws[k].left == left && kws[k].right == right)
					break;
			if (k == n_kw)
				bad = 1;
			else
				in_set[k] = 1;
		}
		for (size_t k = 0; k < n_kw; k++) {
			int hit = occurs_bounded(folded[i], &kws[k]);
			hits_total += (size_t)hit;
			if (hit != in_set[k]) {
				if (mismatched < 3)
					fprintf(stderr, "bench_router_logic: keyword '%s' %s by the automaton in: %s\n",
						kws[k].shown, hit ? "missed" : "wrongly found", corpus[i].text);
				bad = 1;
			}
		}
		mismatched += (size_t)bad;
	}
	free(in_set);
	if (mismatched)
		fail = 1;

	speeds sp = time_matching(rules, corpus, folded, n_msgs, strs, n_strings, min_s);
	double aut_mps = sp.aut, strstr_mps = sp.strstr, cls_mps = sp.cls;
	/* The same on long texts: 20 messages joined (an e-mail thread, a chat
	 * transcript pasted in). */
	size_t n_long = n_msgs / 20;
	msg *longs = calloc(n_long, sizeof(*longs));
	char **lfolded = malloc(n_long * sizeof(*lfolded));
	size_t long_bytes = 0;
	for (size_t i = 0; i < n_long; i++) {
		size_t len = 0;
		for (size_t k = 0; k < 20; k++)
			len += corpus[i * 20 + k].len + 1;
		longs[i].text = malloc(len + 1);
		longs[i].len = 0;
		for (size_t k = 0; k < 20; k++) {
			memcpy(longs[i].text + longs[i].len, corpus[i * 20 + k].text, corpus[i * 20 + k].len);
			longs[i].len += corpus[i * 20 + k].len;
			longs[i].text[longs[i].len++] = '\n';
		}
		longs[i].text[longs[i].len] = 0;
		longs[i].channel = PEAKDESK__V1__CHANNEL_KIND__CHANNEL_KIND_EMAIL;
		lfolded[i] = malloc(longs[i].len + 1);
		fold_text(longs[i].text, longs[i].len, lfolded[i]);
		long_bytes += longs[i].len;
	}
	speeds lsp = time_matching(rules, longs, lfolded, n_long, strs, n_strings, min_s);
	double long_avg = (double)long_bytes / (double)n_long, long_ratio = lsp.aut / lsp.strstr;
	dense_ac dac;
	dense_build(&dac, strs, n_strings);
	double dense_mps = time_dense(&dac, folded, n_msgs, min_s / 2), dense_long = time_dense(&dac, lfolded, n_long, min_s / 2);
	/* the dense automaton must find what strstr finds */
	size_t dense_bad = 0;
	for (size_t i = 0; i < n_msgs; i++) {
		size_t a = dense_scan(&dac, folded[i]), b = 0;
		for (size_t k = 0; k < n_strings; k++)
			b += strstr(folded[i], strs[k]) != NULL;
		dense_bad += a != b;
	}
	double ratio = aut_mps / strstr_mps, ratio_cls = cls_mps / strstr_mps;
	printf("router automaton: %s messages/s (%.1f MB/s, %.2f us each) with one Aho-Corasick pass over %zu keywords "
	       "(rt_keywords_found) vs %s messages/s (%.2f us each) with %zu strstr calls per message (the same "
	       "keywords, text pre-folded, no boundary check) = %.1f x; rt_classify (automaton + %zu rules + regex) "
	       "%s messages/s = %.1f x strstr\n",
	       bench_commas(aut_mps, c1, sizeof(c1)), aut_mps * avg_bytes / 1e6, 1e6 / aut_mps, n_kw,
	       bench_commas(strstr_mps, c2, sizeof(c2)), 1e6 / strstr_mps, n_strings, ratio, rt_rules_count(rules),
	       bench_commas(cls_mps, c3, sizeof(c3)), ratio_cls);
	printf("router automaton, long texts (20 messages joined, %.0f bytes): %s texts/s with the automaton vs %s "
	       "with strstr = %.1f x; rt_classify %s texts/s = %.1f x strstr\n",
	       long_avg, bench_commas(lsp.aut, c1, sizeof(c1)), bench_commas(lsp.strstr, c2, sizeof(c2)), long_ratio,
	       bench_commas(lsp.cls, c3, sizeof(c3)), lsp.cls / lsp.strstr);
	printf("router automaton, reference (not the router's code): a dense-table Aho-Corasick over the same %zu "
	       "keyword strings (%zu states, no word boundaries, pre-folded text) does %s messages/s = %.1f x strstr, "
	       "long texts %s/s = %.1f x; per byte %.1f ns vs the router's automaton %.1f ns (long texts)%s\n",
	       n_strings, dac.n_states, bench_commas(dense_mps, c1, sizeof(c1)), dense_mps / strstr_mps,
	       bench_commas(dense_long, c2, sizeof(c2)), dense_long / lsp.strstr, 1e9 / (dense_long * long_avg),
	       1e9 / (lsp.aut * long_avg), dense_bad ? " -- REFERENCE DISAGREES WITH STRSTR" : "");
	printf("router automaton check: %zu of %zu messages where the automaton's keywords differ from strstr's "
	       "hits filtered by the word-boundary rule (%zu keyword hits in all)%s\n",
	       mismatched, n_msgs, hits_total, mismatched ? " -- MISMATCH" : "");

	printf("RESULT router_logic decisions=%zu decisions_per_s=%.0f p50_us=%.2f p90_us=%.2f p99_us=%.2f "
	       "p999_us=%.2f max_us=%.1f classify_pct=%.0f extract_pct=%.0f risk_pct=%.0f assign_pct=%.0f agents=%zu "
	       "groups=%d queued=%zu messages=%zu templates=%zu avg_bytes=%.0f assigned=%llu queued_new=%llu\n",
	       done, dps, (double)bench_pct(&lat, 50) / 1e3, (double)bench_pct(&lat, 90) / 1e3,
	       (double)bench_pct(&lat, 99) / 1e3, (double)bench_pct(&lat, 99.9) / 1e3, (double)bench_pct(&lat, 100) / 1e3,
	       100.0 * (double)st.classify / tot, 100.0 * (double)st.extract / tot, 100.0 * (double)st.risk / tot,
	       100.0 * (double)st.assign / tot, n_agents, N_GROUPS, n_queued, n_msgs, (size_t)N_TEMPLATES, avg_bytes,
	       (unsigned long long)assigned, (unsigned long long)queued_new);
	printf("RESULT router_queue queued=%zu agents=%zu p50_us=%.1f p99_us=%.1f sorted_p50_us=%.1f sorted_p99_us=%.1f\n",
	       n_queued, n_agents, (double)bench_pct(&qlat, 50) / 1e3, (double)bench_pct(&qlat, 99) / 1e3,
	       (double)bench_pct(&qsorted, 50) / 1e3, (double)bench_pct(&qsorted, 99) / 1e3);
	printf("RESULT router_automaton keywords=%zu strstr_per_msg=%zu automaton_msgs_per_s=%.0f strstr_msgs_per_s=%.0f "
	       "ratio=%.2f classify_msgs_per_s=%.0f classify_ratio=%.2f long_bytes=%.0f long_ratio=%.2f "
	       "long_classify_ratio=%.2f dense_ratio=%.2f dense_long_ratio=%.2f mismatched=%zu target=20\n",
	       n_kw, n_strings, aut_mps, strstr_mps, ratio, cls_mps, ratio_cls, long_avg, long_ratio, lsp.cls / lsp.strstr,
	       dense_mps / strstr_mps, dense_long / lsp.strstr, mismatched);
	if (sink == 42)
		fprintf(stderr, " ");
	/* everything back, so a sanitizer build reports nothing */
	bench_samples_free(&lat);
	bench_samples_free(&qlat);
	bench_samples_free(&qsorted);
	free(dac.delta);
	free(dac.out);
	free(dac.dict);
	free(dac.seen);
	for (size_t i = 0; i < n_long; i++) {
		free(longs[i].text);
		free(lfolded[i]);
	}
	free(longs);
	free(lfolded);
	for (size_t i = 0; i < n_msgs; i++)
		free(folded[i]);
	free(folded);
	free(strs);
	for (size_t i = 0; i < n_kw; i++) {
		free(kws[i].folded);
		free(kws[i].shown);
	}
	free(kws);
	free_corpus(corpus, n_msgs);
	free(agent_ids);
	rt_rules_free(rules);
	return fail;
}
