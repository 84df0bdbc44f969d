/* Tests for the promo-day report's renderer (services/cli/report_svg.c,
 * report_html.c): every label escaped, one element per bar/line for known
 * data, an explicit note for empty charts, only valid numbers in the SVG
 * whatever the values (NaN, zero, huge), and a page with no script and no
 * external reference at all. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../../services/cli/report_html.h"
#include "../../services/cli/report_svg.h"
#include "pd_check.h"

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;
	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

/* Every attribute value of a coordinate attribute parses fully as a finite
 * number: no nan, inf, or e-notation. */
static void assert_numbers_valid(const char *svg)
{
	static const char *const attrs[] = { " x=\"", " y=\"", " width=\"", " height=\"", " cx=\"", " cy=\"",
					     " x1=\"", " y1=\"", " x2=\"", " y2=\"" };
	for (size_t a = 0; a < PD_ARRAY_LEN(attrs); a++)
		for (const char *p = strstr(svg, attrs[a]); p; p = strstr(p + 1, attrs[a])) {
			const char *v = p + strlen(attrs[a]);
			char *end;
			double d = strtod(v, &end);
			ck_assert_msg(end != v && *end == '"' && isfinite(d), "bad number in %s%.20s", attrs[a], v);
		}
	for (const char *p = strstr(svg, "points=\""); p; p = strstr(p + 1, "points=\"")) {
		const char *v = p + 8;
		const char *q = strchr(v, '"');
		for (const char *c = v; c < q; c++)
			ck_assert_msg(strchr("0123456789.,- ", *c), "bad character in points: %.40s", v);
	}
	ck_assert_ptr_null(strstr(svg, "nan"));
	ck_assert_ptr_null(strstr(svg, "inf"));
}

static const char *const hours[] = { "00:00", "01:00", "02:00", "03:00" };

/* ---- escaping -------------------------------------------------------------- */

START_TEST(escape_replaces_every_markup_character)
{
	pd_strbuf b = { 0 };
	rs_escape(&b, "a&b<c>d\"e'f");
	ck_assert_str_eq(b.s, "a&amp;b&lt;c&gt;d&quot;e&#39;f");
	pd_sb_free(&b);
}
END_TEST

START_TEST(escape_drops_control_characters_and_repairs_bad_utf8)
{
	pd_strbuf b = { 0 };
	rs_escape(&b, "x\x01y\tz\xff\xc3(\xe6\x9d\xaf");
	ck_assert_str_eq(b.s, "x y z\xEF\xBF\xBD\xEF\xBF\xBD(\xe6\x9d\xaf");
	pd_sb_free(&b);
	rs_escape(&b, NULL);
	ck_assert_ptr_null(b.s);
}
END_TEST

START_TEST(escape_cut_counts_characters_not_bytes)
{
	pd_strbuf b = { 0 };
	rs_escape_cut(&b, "马克杯马克杯", 3);
	ck_assert_str_eq(b.s, "马克杯\xE2\x80\xA6");
	pd_sb_free(&b);
	rs_escape_cut(&b, "a<b", 3);
	ck_assert_str_eq(b.s, "a&lt;b");
	pd_sb_free(&b);
}
END_TEST

START_TEST(labels_in_charts_are_escaped)
{
	const char *labels[] = { "SKU-1 <b>\"mug\" & 'cup'</b>", "<script>alert(1)</script>" };
	double v[] = { 5, 3 };
	rs_series s = { .name = "tickets & <more>", .values = v };
	rs_chart c = { .id = "c\"x", .title = "Top <SKUs>", .n = 2, .labels = labels, .bars = &s, .unit = "a&b" };
	pd_strbuf b = { 0 };
	rs_hbar_chart(&b, &c);
	rs_bar_chart(&b, &c);
	ck_assert_ptr_null(strstr(b.s, "<b>"));
	ck_assert_ptr_null(strstr(b.s, "<script"));
	ck_assert_ptr_null(strstr(b.s, "<more>"));
	ck_assert_ptr_null(strstr(b.s, "& "));
	ck_assert_ptr_null(strstr(b.s, "\"mug"));
	ck_assert_ptr_null(strstr(b.s, "c\"x"));
	ck_assert_ptr_nonnull(strstr(b.s, "&lt;b&gt;&quot;mug&quot; &amp; &#39;cup&#39;&lt;/b&gt;"));
	ck_assert_ptr_nonnull(strstr(b.s, "<title id=\"c&quot;x-t\">Top &lt;SKUs&gt;</title>"));
	pd_sb_free(&b);
}
END_TEST

/* ---- element counts for known data ------------------------------------------ */

START_TEST(bar_chart_has_one_rect_per_value_and_a_title_each)
{
	double v[] = { 10, 0, 25, 7 };
	rs_series s = { .name = "messages", .values = v };
	rs_chart c = { .id = "m", .title = "Messages", .n = 4, .labels = hours, .bars = &s, .unit = "messages" };
	pd_strbuf b = { 0 };
	rs_bar_chart(&b, &c);
	ck_assert_uint_eq(count(b.s, "<rect"), 4);
	ck_assert_uint_eq(count(b.s, "<polyline"), 0);
	ck_assert_uint_eq(count(b.s, "<title"), 5); /* the chart's + one per bar */
	ck_assert_ptr_nonnull(strstr(b.s, "<title>02:00 \xE2\x80\x94 messages: 25 messages</title>"));
	ck_assert_ptr_nonnull(strstr(b.s, "viewBox=\"0 0 720.0 300.0\""));
	ck_assert_ptr_null(strstr(b.s, " width=\"720")); /* sized by the viewBox only */
	assert_numbers_valid(b.s);
	pd_sb_free(&b);
}
END_TEST

START_TEST(bars_with_a_forecast_line)
{
	double v[] = { 10, 20, 30, 40 }, f[] = { 12, 18, 35, 30 };
	rs_series s = { .name = "tickets", .values = v }, l = { .name = "forecast", .values = f };
	rs_chart c = { .id = "v", .title = "Volume", .n = 4, .labels = hours, .bars = &s, .lines = &l, .n_lines = 1 };
	pd_strbuf b = { 0 };
	rs_bar_chart(&b, &c);
	ck_assert_uint_eq(count(b.s, "<rect"), 4);
	ck_assert_uint_eq(count(b.s, "<polyline"), 1);
	ck_assert_uint_eq(count(b.s, "<circle"), 4);
	/* four points in the polyline */
	const char *pts = strstr(b.s, "points=\"") + 8;
	size_t commas = 0;
	for (const char *p = pts; *p != '"'; p++)
		commas += *p == ',';
	ck_assert_uint_eq(commas, 4);
	pd_sb_free(&b);
}
END_TEST

START_TEST(line_chart_one_polyline_per_series_and_gaps_split_lines)
{
	double p50[] = { 10, 12, 11, 9 }, p90[] = { 30, 40, 35, 20 }, p99[] = { 60, NAN, 90, 80 };
	rs_series l[] = { { .name = "p50", .values = p50 }, { .name = "p90", .values = p90 }, { .name = "p99", .values = p99 } };
	rs_chart c = { .id = "r", .title = "First response", .n = 4, .labels = hours, .lines = l, .n_lines = 3 };
	pd_strbuf b = { 0 };
	rs_line_chart(&b, &c);
	/* p50, p90 whole; p99: 60 alone (a point, no line), then 90-80 */
	ck_assert_uint_eq(count(b.s, "<polyline"), 3);
	ck_assert_uint_eq(count(b.s, "<circle"), 11);
	ck_assert_uint_eq(count(b.s, "<rect"), 0);
	assert_numbers_valid(b.s);
	pd_sb_free(&b);
}
END_TEST

START_TEST(hbar_chart_draws_parts_over_bars)
{
	const char *labels[] = { "delay", "stockout", "restocked" };
	double sent[] = { 100, 50, 10 }, complained[] = { 5, 0, 20 /* more than sent: drawn as sent */ };
	rs_series s = { .name = "sent", .values = sent };
	rs_chart c = { .id = "p", .title = "Proactive", .n = 3, .labels = labels, .bars = &s, .parts = complained,
		       .part_name = "followed by a complaint" };
	pd_strbuf b = { 0 };
	rs_hbar_chart(&b, &c);
	ck_assert_uint_eq(count(b.s, "<rect"), 5);
	ck_assert_uint_eq(count(b.s, "class=\"bar part\""), 2);
	ck_assert_ptr_nonnull(strstr(b.s, "restocked \xE2\x80\x94 followed by a complaint: 10</title>"));
	/* axis ticks every 20 up to 100 */
	ck_assert_ptr_nonnull(strstr(b.s, ">20</text>"));
	ck_assert_ptr_nonnull(strstr(b.s, ">100</text>"));
	pd_sb_free(&b);
	/* a step of 2.5 keeps its decimal: 0, 2.5, 5, 7.5, 10, 12.5 */
	double small[] = { 12, 3, 1 };
	s.values = small;
	c.parts = NULL;
	rs_hbar_chart(&b, &c);
	ck_assert_ptr_nonnull(strstr(b.s, ">2.5</text>"));
	ck_assert_ptr_nonnull(strstr(b.s, ">7.5</text>"));
	ck_assert_ptr_null(strstr(b.s, ">8</text>"));
	assert_numbers_valid(b.s);
	pd_sb_free(&b);
}
END_TEST

START_TEST(many_categories_get_at_most_twelve_axis_labels)
{
	enum { N = 96 };
	double v[N];
	const char *labels[N];
	for (int i = 0; i < N; i++) {
		v[i] = i;
		labels[i] = "LBL";
	}
	rs_series s = { .name = "x", .values = v };
	rs_chart c = { .id = "m", .title = "t", .n = N, .labels = labels, .bars = &s };
	pd_strbuf b = { 0 };
	rs_bar_chart(&b, &c);
	ck_assert_uint_eq(count(b.s, "<rect"), N);
	ck_assert_uint_le(count(b.s, ">LBL</text>"), 12);
	pd_sb_free(&b);
}
END_TEST

/* ---- empty and odd data ------------------------------------------------------- */

START_TEST(empty_data_renders_a_no_data_note)
{
	double nan4[] = { NAN, NAN, NAN, NAN };
	rs_series s = { .name = "x", .values = nan4 };
	rs_chart none = { .id = "a", .title = "Nothing", .n = 0, .labels = NULL, .bars = &s };
	rs_chart all_nan = { .id = "b", .title = "All NaN", .n = 4, .labels = hours, .bars = &s, .lines = &s, .n_lines = 1 };
	void (*render[])(pd_strbuf *, const rs_chart *) = { rs_bar_chart, rs_line_chart, rs_hbar_chart };
	for (size_t r = 0; r < PD_ARRAY_LEN(render); r++) {
		pd_strbuf b = { 0 };
		render[r](&b, &none);
		render[r](&b, &all_nan);
		ck_assert_uint_eq(count(b.s, "No data for this chart"), 2);
		ck_assert_uint_eq(count(b.s, "class=\"chart nodata\""), 2);
		ck_assert_uint_eq(count(b.s, "<rect"), 0);
		ck_assert_uint_eq(count(b.s, "<polyline"), 0);
		ck_assert_uint_eq(count(b.s, "<svg"), count(b.s, "</svg>"));
		ck_assert_ptr_nonnull(strstr(b.s, ">Nothing</title>"));
		pd_sb_free(&b);
	}
}
END_TEST

START_TEST(zeros_nan_and_huge_values_give_valid_numbers)
{
	double zeros[] = { 0, 0, 0, 0 };
	double odd[] = { NAN, INFINITY, -5, 1e300 };
	double tiny[] = { 1e-300, 0.001, 0.003, 0 };
	const double *sets[] = { zeros, odd, tiny };
	for (size_t i = 0; i < PD_ARRAY_LEN(sets); i++) {
		rs_series s = { .name = "x", .values = sets[i] };
		rs_chart c = { .id = "z", .title = "t", .n = 4, .labels = hours, .bars = &s, .lines = &s, .n_lines = 1,
			       .parts = sets[i], .part_name = "p", .decimals = 2 };
		pd_strbuf b = { 0 };
		rs_bar_chart(&b, &c);
		rs_line_chart(&b, &c);
		rs_hbar_chart(&b, &c);
		assert_numbers_valid(b.s);
		ck_assert_ptr_null(strstr(b.s, "No data")); /* zeros are data */
		pd_sb_free(&b);
	}
	/* the NaN value draws no bar, the others do */
	rs_series s = { .name = "x", .values = odd };
	rs_chart c = { .id = "z", .title = "t", .n = 4, .labels = hours, .bars = &s };
	pd_strbuf b = { 0 };
	rs_bar_chart(&b, &c);
	ck_assert_uint_eq(count(b.s, "<rect"), 3);
	pd_sb_free(&b);
}
END_TEST

START_TEST(human_numbers)
{
	pd_strbuf b = { 0 };
	rs_human(&b, 1234567, 0);
	ck_assert_str_eq(b.s, "1,234,567");
	pd_sb_free(&b);
	rs_human(&b, -0.0001, 1);
	ck_assert_str_eq(b.s, "0.0");
	pd_sb_free(&b);
	rs_human(&b, NAN, 1);
	ck_assert_str_eq(b.s, "\xE2\x80\x93");
	pd_sb_free(&b);
	rs_human(&b, -1234.5, 1);
	ck_assert_str_eq(b.s, "-1,234.5");
	pd_sb_free(&b);
	rh_duration(&b, 42.4);
	rh_duration(&b, 185);
	rh_duration(&b, 7860);
	ck_assert_str_eq(b.s, "42 s3m 05s2h 11m");
	pd_sb_free(&b);
}
END_TEST

/* ---- the page ---------------------------------------------------------------- */

static rh_page sample_page(rh_figure *figs, size_t n)
{
	return (rh_page){
		.title = "Promo day <report>",
		.campaign_id = "D11&1",
		.campaign_name = "双11 \"big\" sale",
		.window = "2025-11-11 00:00 \xE2\x80\x93 2025-11-12 00:00 (+08:00)",
		.generated = "2025-11-12 09:00",
		.how_to_read = "Bars are what happened; lines are what was planned.",
		.kpis = { .tickets = 250000, .messages = 1000000, .frt_p50_s = 42, .frt_p90_s = 185,
			  .breach_rate = 0.034, .complaints_per_k_orders = 12.34, .csat_pct = NAN, .nps = -12,
			  .response_rate = 0.2, .notices_sent = 1200, .notice_complaint_share = 0.041 },
		.figures = figs,
		.n_figures = n,
		.sources = "From router.tickets & co.",
	};
}

START_TEST(page_is_self_contained)
{
	double v[] = { 1, 2, 3, 4 };
	rs_series s = { .name = "tickets", .values = v };
	rh_figure figs[] = {
		{ RH_BARS, "Hourly <volume>", "Read bars", { .id = "chart-volume", .title = "Volume", .n = 4, .labels = hours, .bars = &s } },
		{ RH_LINES, "Response", NULL, { .id = "chart-frt", .title = "Response", .n = 4, .labels = hours, .lines = &s, .n_lines = 1 } },
		{ RH_HBARS, "SKUs", NULL, { .id = "chart-skus", .title = "SKUs", .n = 0, .labels = NULL, .bars = &s } },
	};
	rh_page p = sample_page(figs, 3);
	pd_strbuf b = { 0 };
	rh_render(&b, &p);
	ck_assert_ptr_nonnull(strstr(b.s, "<!DOCTYPE html>"));
	ck_assert_ptr_nonnull(strstr(b.s, "<meta charset=\"utf-8\">"));
	ck_assert_ptr_nonnull(strstr(b.s, "<meta name=\"viewport\""));
	ck_assert_ptr_null(strstr(b.s, "http"));
	ck_assert_ptr_null(strstr(b.s, "<script"));
	ck_assert_ptr_null(strstr(b.s, "src="));
	ck_assert_ptr_null(strstr(b.s, "href="));
	ck_assert_ptr_null(strstr(b.s, "url("));
	ck_assert_ptr_null(strstr(b.s, "@import"));
	ck_assert_ptr_null(strstr(b.s, "<link"));
	ck_assert_uint_eq(count(b.s, "<svg "), 3);
	ck_assert_uint_eq(count(b.s, "</svg>"), 3);
	ck_assert_uint_eq(count(b.s, "<figure>"), 3);
	ck_assert_ptr_nonnull(strstr(b.s, "No data for this chart")); /* the SKU chart */
	ck_assert_ptr_nonnull(strstr(b.s, "<title>Promo day &lt;report&gt;</title>"));
	ck_assert_ptr_nonnull(strstr(b.s, "D11&amp;1"));
	ck_assert_ptr_nonnull(strstr(b.s, "双11 &quot;big&quot; sale"));
	ck_assert_ptr_nonnull(strstr(b.s, "Hourly &lt;volume&gt;"));
	ck_assert_ptr_nonnull(strstr(b.s, "From router.tickets &amp; co."));
	pd_sb_free(&b);
}
END_TEST

START_TEST(page_tiles_format_each_kpi)
{
	rh_page p = sample_page(NULL, 0);
	pd_strbuf b = { 0 };
	rh_render(&b, &p);
	ck_assert_ptr_nonnull(strstr(b.s, "id=\"kpi-tickets\"><div class=\"v\">250,000<"));
	ck_assert_ptr_nonnull(strstr(b.s, "id=\"kpi-messages\"><div class=\"v\">1,000,000<"));
	ck_assert_ptr_nonnull(strstr(b.s, "id=\"kpi-frt-p50\"><div class=\"v\">42 s<"));
	ck_assert_ptr_nonnull(strstr(b.s, "id=\"kpi-frt-p90\"><div class=\"v\">3m 05s<"));
	ck_assert_ptr_nonnull(strstr(b.s, "id=\"kpi-breach-rate\"><div class=\"v\">3.4 %<"));
	ck_assert_ptr_nonnull(strstr(b.s, "id=\"kpi-complaint-rate\"><div class=\"v\">12.3<"));
	ck_assert_ptr_nonnull(strstr(b.s, "id=\"kpi-csat\"><div class=\"v\">\xE2\x80\x93<"));
	ck_assert_ptr_nonnull(strstr(b.s, "(no answers)"));
	ck_assert_ptr_nonnull(strstr(b.s, "id=\"kpi-nps\"><div class=\"v\">-12<"));
	ck_assert_ptr_nonnull(strstr(b.s, "id=\"kpi-response-rate\"><div class=\"v\">20.0 %<"));
	ck_assert_ptr_nonnull(strstr(b.s, "id=\"kpi-notices\"><div class=\"v\">1,200<"));
	ck_assert_ptr_nonnull(strstr(b.s, "id=\"kpi-notice-complaints\"><div class=\"v\">4.1 %<"));
	p.kpis.nps = 34;
	pd_sb_free(&b);
	rh_render(&b, &p);
	ck_assert_ptr_nonnull(strstr(b.s, "id=\"kpi-nps\"><div class=\"v\">+34<"));
	pd_sb_free(&b);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("report");
	TCase *t = tcase_create("escaping");
	tcase_add_test(t, escape_replaces_every_markup_character);
	tcase_add_test(t, escape_drops_control_characters_and_repairs_bad_utf8);
	tcase_add_test(t, escape_cut_counts_characters_not_bytes);
	tcase_add_test(t, labels_in_charts_are_escaped);
	suite_add_tcase(s, t);
	t = tcase_create("charts");
	tcase_add_test(t, bar_chart_has_one_rect_per_value_and_a_title_each);
	tcase_add_test(t, bars_with_a_forecast_line);
	tcase_add_test(t, line_chart_one_polyline_per_series_and_gaps_split_lines);
	tcase_add_test(t, hbar_chart_draws_parts_over_bars);
	tcase_add_test(t, many_categories_get_at_most_twelve_axis_labels);
	tcase_add_test(t, empty_data_renders_a_no_data_note);
	tcase_add_test(t, zeros_nan_and_huge_values_give_valid_numbers);
	tcase_add_test(t, human_numbers);
	suite_add_tcase(s, t);
	t = tcase_create("page");
	tcase_add_test(t, page_is_self_contained);
	tcase_add_test(t, page_tiles_format_each_kpi);
	suite_add_tcase(s, t);
	return s;
}

PD_CHECK_MAIN(suite)
