/* The survey pages. Radio buttons instead of sliders or scripts: they work
 * on every phone browser, with a screen reader, and post as a plain form
 * (application/x-www-form-urlencoded) to the same link. */
#include <stdio.h>
#include <string.h>

#include "form_html.h"
#include "survey_answer.h"

static void lit(pd_strbuf *b, const char *s)
{
	pd_sb_add(b, s, strlen(s));
}

static void head(pd_strbuf *b, const char *title)
{
	lit(b, "<!doctype html><html lang=\"zh\"><head><meta charset=\"utf-8\">"
	       "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>");
	pd_sb_add_html(b, title);
	static const char css[] =
		"</title><style>body{font-family:sans-serif;max-width:32rem;margin:1rem auto;padding:0 1rem;color:#222}"
		"fieldset{border:1px solid #ccc;border-radius:.5rem;margin:0 0 1rem;padding:.5rem}"
		"legend{font-weight:bold}.scale{display:flex;flex-wrap:wrap;gap:.25rem}"
		".scale label{flex:1 0 2.5rem;text-align:center;border:1px solid #bbb;border-radius:.4rem;padding:.6rem 0}"
		"textarea{width:100%;box-sizing:border-box;min-height:5rem}"
		"button{width:100%;padding:.8rem;font-size:1.1rem;border:0;border-radius:.5rem;background:#e4393c;color:#fff}"
		"</style></head><body>";
	pd_sb_add(b, css, sizeof(css) - 1);
}

static void scale(pd_strbuf *b, const char *name, const char *legend, int from, int to, const char *low,
		  const char *high)
{
	pd_sb_addf(b, "<fieldset><legend>%s</legend><div class=\"scale\">", legend);
	for (int v = from; v <= to; v++)
		pd_sb_addf(b, "<label><input type=\"radio\" name=\"%s\" value=\"%d\" required> %d</label>", name, v, v);
	pd_sb_addf(b, "</div><small>%d = %s, %d = %s</small></fieldset>", from, low, to, high);
}

void sv_html_form(pd_strbuf *b, int kind, const char *public_id, const char *action)
{
	head(b, "请评价我们的服务 / How did we do?");
	lit(b, "<h1>请评价我们的服务</h1><p>工单 / Request ");
	pd_sb_add_html(b, public_id);
	lit(b, "</p><form method=\"post\" action=\"");
	pd_sb_add_html(b, action);
	lit(b, "\">");
	if (kind == PD_SURVEY_DSR) {
		scale(b, "description", "商品与描述相符 / Item as described", 1, 5, "很差 poor", "很好 excellent");
		scale(b, "attitude", "服务态度 / Service attitude", 1, 5, "很差 poor", "很好 excellent");
		scale(b, "logistics", "物流服务 / Delivery", 1, 5, "很差 poor", "很好 excellent");
	} else if (kind == PD_SURVEY_NPS) {
		scale(b, "nps", "您有多大可能向朋友推荐我们？/ How likely are you to recommend us?", 0, 10, "不可能 not at all",
		      "非常可能 extremely likely");
	} else {
		scale(b, "csat", "您对本次服务满意吗？/ How satisfied are you with our service?", 1, 5, "非常不满意 very unhappy",
		      "非常满意 very satisfied");
	}
	lit(b, "<fieldset><legend>想对我们说的话（选填）/ Anything to add? (optional)</legend>"
		      "<textarea name=\"comment\" maxlength=\"2000\"></textarea></fieldset>"
		      "<button type=\"submit\">提交 / Submit</button></form></body></html>");
}

void sv_html_message(pd_strbuf *b, const char *title, const char *text)
{
	head(b, title);
	lit(b, "<h1>");
	pd_sb_add_html(b, title);
	lit(b, "</h1><p>");
	pd_sb_add_html(b, text);
	lit(b, "</p></body></html>");
}
