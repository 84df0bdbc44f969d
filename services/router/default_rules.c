/* The rule set peakdesk ships (rt_default_rules): what a Taobao/JD shop's
 * customer service sees during Double 11 / 618, in Chinese as customers
 * write it, with English equivalents. The router seeds router.rules from it
 * on first start; from then on the table is the truth and operators edit it
 * there. docs/router-rules.md has the table in prose and the reasons.
 *
 * Order is the design. Roughly: threats first (a complaint that also asks
 * for a refund is a complaint), then fall-through add-ons (VIP, "let me talk
 * to a human", rush, negative wording), then the specific money and parcel
 * problems before the general topics they contain ("退差价" is price
 * protection, not a refund; "延迟发货" is an unshipped order, not a parcel
 * delay), and a low-priority fallback last. keywords_none carves out the
 * known collisions instead of relying on order alone where the collision is
 * a different topic rather than a more specific one. */
#include "classify.h"

/* NULL-terminated keyword list (a file-scope compound literal has static
 * storage duration in C11, so the table is plain constant data). */
#define L(...) ((const char *const[]){ __VA_ARGS__, NULL })

/* Channel bits, spelled out so this file needs no generated protobuf
 * header; tests check them against peakdesk.v1.ChannelKind. */
#define CH_EMAIL RT_CHANNEL(3)

static const rt_rule_def default_rules[] = {
	/* ---- complaints: threats of regulators, exposure, lawyers, bad reviews */
	{
		.id = "complaint-regulator",
		.position = 100,
		/* not bare 工商: 工商银行 is a bank customers pay with */
		.keywords_any = L("12315", "12345", "315", "消协", "消费者协会", "消保委", "工商局",
				  "工商部门", "找工商", "去工商", "到工商", "向工商", "市场监管",
				  "市场监督", "监管局", "质监局",
				  "consumer association", "consumer council"),
		.category = "complaint",
		.priority = RT_PRIO_URGENT,
		.group = "complaints",
		.tags = L("complaint", "regulator"),
		.auto_reply = "complaint_ack",
	},
	{
		.id = "complaint-exposure",
		.position = 110,
		/* not bare 小红书/抖音: "saw it on Xiaohongshu" is how people shop */
		.keywords_any = L("曝光", "媒体", "记者", "上热搜", "发微博", "发到网上", "发抖音",
				  "发小红书", "黑猫投诉", "黑店", "go public", "social media", "expose"),
		.category = "complaint",
		.priority = RT_PRIO_URGENT,
		.group = "complaints",
		.tags = L("complaint", "exposure"),
		.auto_reply = "complaint_ack",
	},
	{
		.id = "complaint-legal",
		.position = 120,
		.keywords_any = L("律师", "起诉", "法院", "告你们", "诉讼", "欺诈", "诈骗", "骗子",
				  "假一赔三", "退一赔三", "lawyer", "sue", "lawsuit", "legal action",
				  "fraud", "scam*"),
		.category = "complaint",
		.priority = RT_PRIO_URGENT,
		.group = "complaints",
		.tags = L("complaint", "legal"),
		.auto_reply = "complaint_ack",
	},
	{
		.id = "complaint-review",
		.position = 130,
		/* not 一星: it is inside 一星期 ("a week") */
		.keywords_any = L("差评", "中评", "1星", "恶评", "追评", "bad review",
				  "negative review", "1-star", "1 star", "one star", "one-star"),
		.category = "complaint",
		.priority = RT_PRIO_URGENT,
		.group = "complaints",
		.tags = L("complaint", "bad-review-threat"),
		.auto_reply = "complaint_ack",
	},
	{
		.id = "complaint-general",
		.position = 140,
		.keywords_any = L("投诉", "举报", "维权", "太坑", "坑人", "坑爹", "欺骗", "虚假宣传",
				  "虚假发货", "态度恶劣", "态度差", "complain*"),
		.category = "complaint",
		.priority = RT_PRIO_URGENT,
		.group = "complaints",
		.tags = L("complaint"),
		.auto_reply = "complaint_ack",
	},

	/* ---- fall-through add-ons: they set no category, the next
	 * matching rule does; their group/priority/tags stay. */
	{
		.id = "vip",
		.position = 200,
		.tier = "vip",
		.priority = RT_PRIO_HIGH,
		.group = "vip",
		.tags = L("vip"),
		.fall_through = 1,
	},
	{
		.id = "wants-human",
		.position = 210,
		/* not bare 机器人: shops sell 扫地机器人 */
		.keywords_any = L("转人工", "人工客服", "人工服务", "找人工", "真人客服", "是机器人吗",
				  "机器人客服",
				  "real person", "human agent", "talk to a human",
				  "speak to a human"),
		.priority = RT_PRIO_HIGH,
		.tags = L("wants-human"),
		.fall_through = 1,
	},
	{
		.id = "rush",
		.position = 220,
		.keywords_any = L("急", "尽快", "赶紧", "催", "快点", "等了好久", "urgent*", "asap",
				  "as soon as possible", "hurry"),
		.priority = RT_PRIO_HIGH,
		.tags = L("rush"),
		.fall_through = 1,
	},
	{
		.id = "negative-wording",
		.position = 230,
		.keywords_any = L("垃圾", "太差", "失望", "气死", "恶心", "无语", "离谱", "忍无可忍",
				  "骗人", "terrible", "worst", "disappointed", "ridiculous",
				  "unacceptable"),
		.tags = L("negative"),
		.fall_through = 1,
	},

	/* ---- after-sale: money first */
	{
		.id = "refund",
		.position = 300,
		.keywords_any = L("退款", "退钱", "钱退", "仅退款", "没退款", "还没退", "返款",
				  "refund*", "money back", "chargeback"),
		/* price protection and deposits are promo questions even
		 * when they say "refund" */
		.keywords_none = L("差价", "价保", "保价", "定金", "the difference"),
		.category = "after-sale",
		.priority = RT_PRIO_HIGH,
		.group = "after-sale",
		.tags = L("refund"),
		.auto_reply = "refund_status",
	},
	{
		.id = "gift-missing",
		.position = 310,
		.keywords_all = L("赠品"),
		.keywords_any = L("没收到", "没有", "少了", "漏发", "没送", "没给"),
		.category = "after-sale",
		.priority = RT_PRIO_NORMAL,
		.group = "after-sale",
		.tags = L("missing-item"),
	},
	{
		.id = "logistics-damage",
		.position = 320,
		.keywords_any = L("破损", "压坏", "压扁", "摔坏", "碎了", "漏液", "包装破", "外包装烂",
				  "箱子烂", "泡水", "damaged", "crushed", "arrived broken",
				  "broken in transit"),
		.category = "logistics",
		.priority = RT_PRIO_HIGH,
		.group = "after-sale", /* a damaged parcel ends in a reship or refund */
		.tags = L("damage"),
		.auto_reply = "damage_claim",
	},
	{
		.id = "logistics-not-received",
		.position = 330,
		.keywords_any = L("没收到", "未收到", "没有收到", "收不到", "显示签收", "显示已签收",
				  "不是我签收", "被别人签收", "丢件", "快递丢", "包裹丢",
				  "not received", "didn't receive", "did not receive",
				  "never arrived", "never received", "lost package", "lost parcel",
				  "marked as delivered"),
		.category = "logistics",
		.priority = RT_PRIO_HIGH,
		.group = "order",
		.tags = L("not-received"),
		.auto_reply = "tracking_status",
	},
	{
		.id = "exchange",
		.position = 340,
		.keywords_any = L("换货", "换一个", "换一件", "换尺码", "换码", "换颜色", "调换",
				  "exchange*", "swap"),
		.category = "after-sale",
		.priority = RT_PRIO_NORMAL,
		.group = "after-sale",
		.tags = L("exchange"),
		.auto_reply = "return_policy",
	},
	{
		.id = "return",
		.position = 350,
		.keywords_any = L("退货", "退回", "寄回", "退换", "七天无理由", "7天无理由", "无理由退",
				  "运费险", "退货地址", "不想要了", "拒收", "return*", "send it back",
				  "send back"),
		.category = "after-sale",
		.priority = RT_PRIO_NORMAL,
		.group = "after-sale",
		.tags = L("return"),
		.auto_reply = "return_policy",
	},
	{
		.id = "quality",
		.position = 360,
		.keywords_any = L("质量问题", "质量差", "坏了", "坏的", "不能用", "用不了", "故障",
				  "瑕疵", "开线", "掉色", "起球", "色差", "少发", "漏发", "发错",
				  "错发", "少件", "假货", "是假的", "维修", "保修", "售后", "defect*",
				  "faulty", "doesn't work", "does not work", "not working",
				  "wrong item", "missing item", "warranty", "repair*"),
		/* "优惠券用不了" is a promo question, not a broken product */
		.keywords_none = L("券", "红包", "满减", "优惠", "coupon*", "voucher*"),
		.category = "after-sale",
		.priority = RT_PRIO_HIGH,
		.group = "after-sale",
		.tags = L("quality"),
	},

	/* ---- order changes before the parcel questions that mention 快递 */
	{
		.id = "order-change",
		.position = 370,
		.keywords_any = L("改地址", "修改地址", "地址写错", "地址错了", "换地址", "改收货",
				  "修改收货", "改电话", "取消订单", "撤销订单", "订单取消", "拍错",
				  "修改订单", "合并发货", "change address", "change the address",
				  "wrong address", "cancel*", "modify order", "change my order"),
		.category = "order",
		.priority = RT_PRIO_HIGH, /* only cheap before the parcel leaves */
		.group = "order",
		.tags = L("order-change"),
	},

	/* ---- a follow-up about the return parcel stays with after-sale */
	{
		.id = "return-parcel-followup",
		.position = 400,
		.if_category = "after-sale",
		.keywords_any = L("快递", "物流", "单号", "寄出", "寄了", "到哪了", "签收", "tracking",
				  "shipped", "sent it"),
		.category = "after-sale",
		.priority = RT_PRIO_NORMAL,
		.group = "after-sale",
		.tags = L("return-parcel"),
	},
	{
		.id = "order-not-shipped",
		.position = 405,
		.keywords_any = L("还没发货", "还不发货", "没发货", "不发货", "没有发货", "怎么还没发",
				  "催发货", "快点发货", "发货太慢", "超时未发货", "延迟发货",
				  "not shipped", "hasn't shipped", "has not shipped",
				  "haven't shipped", "not dispatched", "not been shipped"),
		.category = "order",
		.priority = RT_PRIO_HIGH,
		.group = "order",
		.tags = L("not-shipped"),
		.auto_reply = "ship_by",
	},
	{
		.id = "logistics-delay",
		.position = 410,
		.keywords_any = L("延迟", "延误", "太慢", "好慢", "这么慢", "怎么还没到", "还没到",
				  "还没送到", "不动了", "一直不动", "物流不动", "没动静", "没更新",
				  "没有更新", "物流停", "卡住",
				  "滞留", "好几天", "超时", "delay*", "late", "stuck", "taking so long",
				  "still not here", "still hasn't arrived"),
		.category = "logistics",
		.priority = RT_PRIO_HIGH,
		.group = "order",
		.tags = L("delay"),
		.auto_reply = "tracking_status",
	},
	{
		.id = "logistics-tracking",
		.position = 420,
		.keywords_any = L("快递", "物流", "到哪了", "到哪里了", "到哪儿了", "在哪了", "单号",
				  "运单", "物流信息", "什么时候到", "多久到", "几天到", "派送", "派件",
				  "配送", "签收", "驿站", "快递柜", "丰巢", "顺丰", "中通", "圆通",
				  "韵达", "申通", "极兔", "京东快递", "邮政", "EMS", "tracking",
				  "where is my", "parcel", "package", "delivery", "courier",
				  "shipment"),
		/* "which courier do you use" is a presale question;
		 * "什么时候到账" is about money, not a parcel */
		.keywords_none = L("什么快递", "哪家快递", "默认快递", "包邮", "到账"),
		.category = "logistics",
		.priority = RT_PRIO_NORMAL,
		.group = "order",
		.tags = L("tracking"),
		.auto_reply = "tracking_status",
	},

	/* ---- stock */
	{
		.id = "stock-ship-time",
		.position = 500,
		.keywords_any = L("什么时候发货", "什么时候发", "啥时候发", "多久发货", "几天发货",
				  "多久能发", "发货时间", "几号发货", "预售", "现货",
				  "when will it ship", "when will you ship", "ship date", "pre-order",
				  "preorder"),
		.keywords_none = L("定金", "尾款"), /* presale deposit rules: promo */
		.category = "stock",
		.priority = RT_PRIO_NORMAL,
		.group = "order",
		.tags = L("ship-time"),
		.auto_reply = "restock_eta",
	},
	{
		.id = "stock-availability",
		.position = 510,
		.keywords_any = L("缺货", "有货吗", "有货没", "有没有货", "没货", "无货", "断货",
				  "售罄", "卖完", "补货", "到货", "什么时候有货", "库存", "还有吗",
				  "in stock", "out of stock", "restock*", "sold out",
				  "back in stock", "availab*"),
		.category = "stock",
		.priority = RT_PRIO_NORMAL,
		.group = "presale",
		.tags = L("availability"),
		.auto_reply = "restock_eta",
	},

	/* ---- promo */
	{
		.id = "promo-price-protect",
		.position = 600,
		.keywords_any = L("价保", "保价", "降价了", "差价", "补差价", "退差价", "买贵了",
				  "便宜了", "price protection", "price drop", "price adjustment",
				  "price match", "the difference"),
		.category = "promo",
		.priority = RT_PRIO_HIGH, /* a price dispute is a complaint in waiting */
		.group = "presale",
		.tags = L("price-protect"),
		.auto_reply = "promo_rule",
	},
	{
		.id = "promo-deposit",
		.position = 610,
		.keywords_any = L("定金", "尾款", "付尾款", "定金膨胀", "deposit", "final payment",
				  "balance payment"),
		.category = "promo",
		.priority = RT_PRIO_NORMAL,
		.group = "presale",
		.tags = L("deposit"),
		.auto_reply = "promo_rule",
	},
	{
		.id = "promo-coupon",
		.position = 620,
		.keywords_any = L("优惠券", "优惠卷", "券", "红包", "满减", "跨店满减", "凑单", "津贴",
				  "购物金", "折扣", "打折", "优惠", "活动", "领券", "叠加", "赠品",
				  "满赠", "秒杀", "返现", "抵扣", "会员价", "双11", "双十一", "618",
				  "coupon*", "voucher*", "discount*", "promo*",
				  "cash back", "cashback"),
		.category = "promo",
		.priority = RT_PRIO_NORMAL,
		.group = "presale",
		.tags = L("coupon"),
		.auto_reply = "promo_rule",
	},

	/* ---- invoices: by e-mail they come from companies after buying
	 * (finance, order group); in chat they are mostly "can you issue a
	 * VAT invoice" before buying (presale). */
	{
		.id = "invoice-email",
		.position = 680,
		.channels = CH_EMAIL,
		.keywords_any = L("发票", "开票", "专票", "普票", "增值税", "抬头", "税号", "invoice*",
				  "fapiao", "VAT"),
		.category = "order",
		.priority = RT_PRIO_NORMAL,
		.group = "order",
		.tags = L("invoice"),
		.auto_reply = "invoice_info",
	},
	{
		.id = "invoice",
		.position = 690,
		.keywords_any = L("发票", "开票", "专票", "普票", "增值税", "抬头", "税号", "invoice*",
				  "fapiao", "VAT"),
		.category = "presale",
		.priority = RT_PRIO_NORMAL,
		.group = "presale",
		.tags = L("invoice"),
		.auto_reply = "invoice_info",
	},

	/* ---- order status */
	{
		.id = "order-status",
		.position = 700,
		.keywords_any = L("订单", "付款", "支付", "下单", "拍下", "已付款", "付不了款", "扣款",
				  "重复扣款", "order", "orders", "payment", "paid", "checkout"),
		.category = "order",
		.priority = RT_PRIO_NORMAL,
		.group = "order",
		.tags = L("order"),
	},

	/* ---- presale */
	{
		.id = "presale-shipping",
		.position = 900,
		.keywords_any = L("什么快递", "哪家快递", "默认快递", "能发顺丰", "可以发顺丰", "包邮",
				  "运费多少", "邮费", "送货上门", "偏远地区", "free shipping",
				  "shipping cost", "ship to"),
		.category = "presale",
		.priority = RT_PRIO_NORMAL,
		.group = "presale",
		.tags = L("shipping-question"),
	},
	{
		.id = "presale-size",
		.position = 910,
		.keywords_any = L("尺码", "码数", "多大码", "什么码", "偏大", "偏小", "正码", "身高",
				  "体重", "穿多大", "尺码表", "几码", "大码", "小码", "size*",
				  "fit", "fits", "size chart"),
		.category = "presale",
		.priority = RT_PRIO_NORMAL,
		.group = "presale",
		.tags = L("size"),
	},
	{
		.id = "presale-product",
		.position = 920,
		.keywords_any = L("颜色", "色号", "材质", "面料", "成分", "材料", "规格", "参数", "型号",
				  "尺寸", "重量", "保质期", "生产日期", "产地", "正品", "区别",
				  "有什么不同", "适合", "怎么用", "使用方法", "说明书", "兼容", "color*",
				  "colour*", "material*", "fabric", "spec*", "dimension*", "genuine",
				  "authentic", "compatib*", "difference"),
		.category = "presale",
		.priority = RT_PRIO_NORMAL,
		.group = "presale",
		.tags = L("product-question"),
	},
	{
		.id = "presale-general",
		.position = 930,
		.keywords_any = L("在吗", "在不在", "请问", "咨询", "推荐", "哪个好", "哪款", "能便宜",
				  "便宜点", "想买", "购买", "presale", "pre-sale", "before i buy",
				  "before buying", "recommend*", "do you have"),
		.category = "presale",
		.priority = RT_PRIO_NORMAL,
		.group = "presale",
		.tags = L("general"),
	},

	/* ---- a message that is little more than an order number: ASCII
	 * token formats are what the regex is for (see extract.h for the
	 * formats; the shop's own ids are PD + 10 digits and D11-nnnnnn). */
	{
		.id = "order-number-only",
		.position = 950,
		.regex = "(^|[^0-9a-z])(pd[0-9]{10}|d11-[0-9]{6}|[0-9]{18,19})([^0-9a-z]|$)",
		.category = "order",
		.priority = RT_PRIO_NORMAL,
		.group = "order",
		.tags = L("order-number"),
	},

	/* ---- fallback: nothing understood; an agent classifies */
	{
		.id = "fallback",
		.position = 1000,
		.category = "other",
		.priority = RT_PRIO_LOW,
		.group = "presale",
		.tags = L("unclassified"),
	},
};

const rt_rule_def *rt_default_rules(size_t *n)
{
	if (n)
		*n = PD_ARRAY_LEN(default_rules);
	return default_rules;
}
