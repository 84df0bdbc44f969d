/* The promo-day report page: heading, KPI tiles, one figure per chart, the
 * sources of the numbers. Self-contained on purpose (see report_html.h):
 * the only markup is HTML, inline CSS and inline SVG. */
#include "report_html.h"

#include <math.h>
#include <string.h>

static void add(pd_strbuf *b, const char *s) { pd_sb_add(b, s, strlen(s)); }

/* No <script>, no url(), no @import: the page must render the same with
 * no network and no JavaScript. */
static const char css[] =
	"*{box-sizing:border-box}"
	"body{margin:0;padding:16px;font:14px/1.45 system-ui,-apple-system,'Segoe UI','Noto Sans CJK SC','PingFang SC',sans-serif;"
	"color:#222;background:#f6f7f9}"
	"main{max-width:980px;margin:0 auto}"
	"h1{font-size:22px;margin:0 0 4px}"
	"h2{font-size:16px;margin:0 0 6px}"
	".meta{color:#555;margin:0 0 4px}"
	".how{color:#555;font-size:13px;margin:4px 0 0}"
	".tiles{display:grid;grid-template-columns:repeat(auto-fill,minmax(150px,1fr));gap:10px;margin:16px 0}"
	".tile{background:#fff;border:1px solid #dde1e6;border-radius:6px;padding:10px 12px}"
	".tile .v{font-size:22px;font-weight:600}"
	".tile .k{color:#555;font-size:12px}"
	"figure{background:#fff;border:1px solid #dde1e6;border-radius:6px;margin:0 0 16px;padding:12px}"
	"figcaption{margin-top:6px}"
	"svg.chart{display:block;width:100%;height:auto}"
	"svg .tick{font-size:11px;fill:#555}"
	"svg .legend,svg .label,svg .value{font-size:12px;fill:#333}"
	"svg .axis-title{font-size:12px;fill:#555}"
	"svg .nodata{font-size:14px;fill:#888;font-style:italic}"
	"svg rect.bar:hover,svg circle.pt:hover{opacity:.75}"
	"footer{color:#555;font-size:12px;margin:8px 0 24px}"
	"@media (max-width:520px){body{padding:8px}.tile .v{font-size:18px}}";

void rh_duration(pd_strbuf *b, double s)
{
	if (isnan(s) || s < 0) {
		add(b, "\xE2\x80\x93");
		return;
	}
	if (s > 1e9)
		s = 1e9;
	long t = lround(s);
	if (t < 60)
		pd_sb_addf(b, "%ld s", t);
	else if (t < 3600)
		pd_sb_addf(b, "%ldm %02lds", t / 60, t % 60);
	else
		pd_sb_addf(b, "%ldh %02ldm", t / 3600, (t % 3600) / 60);
}

enum tile_fmt { T_COUNT, T_PCT, T_DURATION, T_RATE, T_SIGNED };

static void tile(pd_strbuf *b, const char *id, const char *label, double v, enum tile_fmt f, const char *unknown)
{
	add(b, "<div class=\"tile\" id=\"kpi-");
	add(b, id);
	add(b, "\"><div class=\"v\">");
	if (isnan(v)) {
		add(b, "\xE2\x80\x93");
	} else {
		switch (f) {
		case T_COUNT: rs_human(b, v, 0); break;
		case T_PCT:
			rs_human(b, v * 100, 1);
			add(b, " %");
			break;
		case T_DURATION: rh_duration(b, v); break;
		case T_RATE: rs_human(b, v, 1); break;
		case T_SIGNED:
			if (v > 0 && v <= RS_MAX_VALUE)
				add(b, "+");
			rs_human(b, v, 0);
			break;
		}
	}
	add(b, "</div><div class=\"k\">");
	rs_escape(b, label);
	if (isnan(v) && unknown) {
		add(b, " (");
		rs_escape(b, unknown);
		add(b, ")");
	}
	add(b, "</div></div>\n");
}

static void tiles(pd_strbuf *b, const rh_kpis *k)
{
	add(b, "<section class=\"tiles\" aria-label=\"key figures\">\n");
	tile(b, "tickets", "tickets opened", k->tickets, T_COUNT, NULL);
	tile(b, "messages", "customer messages", k->messages, T_COUNT, NULL);
	tile(b, "frt-p50", "first response, median", k->frt_p50_s, T_DURATION, "no answer yet");
	tile(b, "frt-p90", "first response, p90", k->frt_p90_s, T_DURATION, "no answer yet");
	tile(b, "breach-rate", "tickets with an SLA breach", k->breach_rate, T_PCT, "no tickets");
	tile(b, "complaint-rate", "complaints per 1,000 orders", k->complaints_per_k_orders, T_RATE, "no orders");
	tile(b, "csat", "CSAT: share of answers 4\xE2\x80\x93" "5", k->csat_pct, T_PCT, "no answers");
	tile(b, "nps", "NPS", k->nps, T_SIGNED, "no answers");
	tile(b, "response-rate", "surveys answered", k->response_rate, T_PCT, "none sent");
	tile(b, "notices", "proactive notices sent", k->notices_sent, T_COUNT, NULL);
	tile(b, "notice-complaints", "notices followed by a complaint", k->notice_complaint_share, T_PCT,
	     "no notices");
	add(b, "</section>\n");
}

void rh_render(pd_strbuf *b, const rh_page *p)
{
	add(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	       "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>");
	rs_escape(b, p->title);
	add(b, "</title>\n<style>");
	add(b, css);
	add(b, "</style>\n</head>\n<body>\n<main>\n<header>\n<h1>");
	rs_escape(b, p->title);
	add(b, "</h1>\n<p class=\"meta\">Campaign <b>");
	rs_escape(b, p->campaign_id);
	add(b, "</b>");
	if (p->campaign_name && *p->campaign_name) {
		add(b, " \xE2\x80\x94 ");
		rs_escape(b, p->campaign_name);
	}
	add(b, " \xC2\xB7 ");
	rs_escape(b, p->window);
	add(b, "</p>\n");
	if (p->how_to_read) {
		add(b, "<p class=\"how\">");
		rs_escape(b, p->how_to_read);
		add(b, "</p>\n");
	}
	add(b, "</header>\n");
	tiles(b, &p->kpis);
	for (size_t i = 0; i < p->n_figures; i++) {
		const rh_figure *f = &p->figures[i];
		add(b, "<figure>\n<h2>");
		rs_escape(b, f->chart.title);
		add(b, "</h2>\n");
		switch (f->kind) {
		case RH_BARS: rs_bar_chart(b, &f->chart); break;
		case RH_LINES: rs_line_chart(b, &f->chart); break;
		case RH_HBARS: rs_hbar_chart(b, &f->chart); break;
		}
		add(b, "<figcaption>");
		rs_escape(b, f->caption);
		if (f->how) {
			add(b, "<p class=\"how\">");
			rs_escape(b, f->how);
			add(b, "</p>");
		}
		add(b, "</figcaption>\n</figure>\n");
	}
	add(b, "<footer>");
	if (p->sources) {
		rs_escape(b, p->sources);
		add(b, " ");
	}
	add(b, "Built by peakdesk report");
	if (p->generated) {
		add(b, " at ");
		rs_escape(b, p->generated);
	}
	add(b, ".</footer>\n</main>\n</body>\n</html>\n");
}
