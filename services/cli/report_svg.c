/* Inline SVG charts for the promo-day report: bars, bars with lines over
 * them, lines, horizontal bars. Pure string building (see report_svg.h);
 * the numbers written are always finite and every label is escaped. */
#include "report_svg.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* Vertical charts: a 720 x 300 canvas, scaled by the viewBox. */
#define VW 720.0
#define VH 300.0
#define VML 64.0 /* room for the value axis' tick labels and title */
#define VMR 16.0
#define VMT 34.0 /* the legend row */
#define VMB 40.0 /* category labels */
#define MAX_X_LABELS 12
/* Horizontal bars: label column, one row per category. */
#define HW 720.0
#define HLW 230.0
#define HMR 90.0 /* the value written after the bar */
#define HROW 26.0
#define HLABEL_CHARS 30

static const char *const palette[] = { "#4e79a7", "#f28e2b", "#e15759", "#59a14f", "#b07aa1", "#76b7b2" };

static void add(pd_strbuf *b, const char *s) { pd_sb_add(b, s, strlen(s)); }

/* ---- escaping and numbers ------------------------------------------------ */

/* Length of the valid UTF-8 sequence at s (1..4), 0 when invalid. */
static size_t utf8_len(const unsigned char *s)
{
	unsigned char c = s[0];
	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		return (s[1] & 0xC0) == 0x80 ? 2 : 0;
	if (c >= 0xE0 && c <= 0xEF) {
		unsigned char lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
		return s[1] >= lo && s[1] <= hi && (s[2] & 0xC0) == 0x80 ? 3 : 0;
	}
	if (c >= 0xF0 && c <= 0xF4) {
		unsigned char lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
		return s[1] >= lo && s[1] <= hi && (s[2] & 0xC0) == 0x80 && (s[3] & 0xC0) == 0x80 ? 4 : 0;
	}
	return 0;
}

void rs_escape_cut(pd_strbuf *b, const char *s, size_t max_chars)
{
	if (!s)
		return;
	const unsigned char *p = (const unsigned char *)s;
	for (size_t chars = 0; *p; chars++) {
		if (chars == max_chars) {
			add(b, "\xE2\x80\xA6"); /* … */
			return;
		}
		size_t n = utf8_len(p);
		if (n == 0) {
			add(b, "\xEF\xBF\xBD"); /* U+FFFD for a byte that is not UTF-8 */
			p++;
			continue;
		}
		switch (*p) {
		case '&': add(b, "&amp;"); break;
		case '<': add(b, "&lt;"); break;
		case '>': add(b, "&gt;"); break;
		case '"': add(b, "&quot;"); break;
		case '\'': add(b, "&#39;"); break;
		default:
			if (*p < 0x20 || *p == 0x7F)
				add(b, " "); /* XML 1.0 has no control characters */
			else
				pd_sb_add(b, (const char *)p, n);
		}
		p += n;
	}
}

void rs_escape(pd_strbuf *b, const char *s) { rs_escape_cut(b, s, (size_t)-1); }

void rs_coord(pd_strbuf *b, double v)
{
	if (!isfinite(v) || fabs(v) < 0.05)
		v = 0;
	if (v > 1e7)
		v = 1e7;
	if (v < -1e7)
		v = -1e7;
	pd_sb_addf(b, "%.1f", v);
}

void rs_human(pd_strbuf *b, double v, int decimals)
{
	if (isnan(v)) {
		add(b, "\xE2\x80\x93"); /* – */
		return;
	}
	if (v > RS_MAX_VALUE)
		v = RS_MAX_VALUE;
	if (v < -RS_MAX_VALUE)
		v = -RS_MAX_VALUE;
	if (decimals < 0)
		decimals = 0;
	if (decimals > 3)
		decimals = 3;
	char num[64];
	snprintf(num, sizeof(num), "%.*f", decimals, v);
	if (strspn(num, "-0.") == strlen(num) && num[0] == '-')
		memmove(num, num + 1, strlen(num)); /* no "-0" */
	const char *digits = num[0] == '-' ? num + 1 : num;
	size_t int_len = strcspn(digits, ".");
	if (digits != num)
		add(b, "-");
	for (size_t i = 0; i < int_len; i++) {
		if (i > 0 && (int_len - i) % 3 == 0)
			add(b, ",");
		pd_sb_add(b, digits + i, 1);
	}
	add(b, digits + int_len);
}

/* A value as drawn: NaN stays NaN (nothing drawn); negative is 0; huge and
 * infinite are capped. */
static double drawn(double v)
{
	if (isnan(v))
		return NAN;
	if (v < 0)
		return 0;
	return v > RS_MAX_VALUE ? RS_MAX_VALUE : v;
}

/* The value axis: a step of 1, 2, 2.5 or 5 x 10^k giving at most 5 ticks
 * above 0, and the axis top (a multiple of the step >= max). */
static double axis_step(double max, double *top)
{
	if (!(max > 0)) {
		*top = 1;
		return 0.25;
	}
	double mag = pow(10, floor(log10(max)));
	static const double mult[] = { 0.1, 0.2, 0.25, 0.5, 1, 2, 2.5, 5, 10 };
	double step = 10 * mag;
	for (size_t i = 0; i < PD_ARRAY_LEN(mult); i++)
		if (mult[i] * mag * 5 >= max) {
			step = mult[i] * mag;
			break;
		}
	*top = step * ceil(max / step - 1e-9);
	if (*top <= 0)
		*top = step;
	return step;
}

/* Tick label: 1.2k, 3M, 0.25; trailing zeros trimmed. */
static void tick_label(pd_strbuf *b, double v, double step)
{
	const char *suffix = "";
	double scale = 1;
	if (v >= 1e9 || step >= 1e9) {
		scale = 1e9;
		suffix = "G";
	} else if (v >= 1e6 || step >= 1e6) {
		scale = 1e6;
		suffix = "M";
	} else if (v >= 1e4 || step >= 1e4) {
		scale = 1e3;
		suffix = "k";
	}
	/* as many decimals as the step needs: 2.5 needs one, 0.25 two */
	double s = step / scale;
	int dec = 0;
	while (dec < 3 && fabs(s * pow(10, dec) - round(s * pow(10, dec))) > 1e-6 * pow(10, dec))
		dec++;
	char num[64];
	snprintf(num, sizeof(num), "%.*f", dec, v / scale);
	if (strchr(num, '.')) {
		size_t n = strlen(num);
		while (num[n - 1] == '0')
			num[--n] = 0;
		if (num[n - 1] == '.')
			num[--n] = 0;
	}
	add(b, num);
	add(b, suffix);
}

static const char *color_of(const rs_series *s, size_t i)
{
	return s && s->color ? s->color : palette[i % PD_ARRAY_LEN(palette)];
}

int rs_has_data(const rs_chart *c)
{
	if (!c || c->n == 0 || !c->labels)
		return 0;
	for (size_t i = 0; i < c->n; i++) {
		if (c->bars && c->bars->values && !isnan(c->bars->values[i]))
			return 1;
		for (size_t l = 0; c->lines && l < c->n_lines; l++)
			if (c->lines[l].values && !isnan(c->lines[l].values[i]))
				return 1;
	}
	return 0;
}

/* <svg ...><title>: the chart's opening, with the viewBox that sizes it. */
static void open_svg(pd_strbuf *b, const rs_chart *c, const char *cls, double w, double h)
{
	add(b, "<svg id=\"");
	rs_escape(b, c->id ? c->id : "chart");
	pd_sb_addf(b, "\" class=\"%s\" viewBox=\"0 0 ", cls);
	rs_coord(b, w);
	add(b, " ");
	rs_coord(b, h);
	add(b, "\" preserveAspectRatio=\"xMidYMid meet\" role=\"img\" aria-labelledby=\"");
	rs_escape(b, c->id ? c->id : "chart");
	add(b, "-t\"><title id=\"");
	rs_escape(b, c->id ? c->id : "chart");
	add(b, "-t\">");
	rs_escape(b, c->title);
	add(b, "</title>");
}

/* The explicit note in place of a chart without data. */
static void no_data(pd_strbuf *b, const rs_chart *c)
{
	open_svg(b, c, "chart nodata", VW, 90);
	add(b, "<text x=\"360\" y=\"50\" text-anchor=\"middle\" class=\"nodata\">"
	       "No data for this chart in the report&#39;s time window</text></svg>\n");
}

/* "label — name: 1,234 unit" hover text. */
static void hover(pd_strbuf *b, const char *label, const char *name, double v, const rs_chart *c)
{
	add(b, "<title>");
	rs_escape(b, label);
	if (name) {
		add(b, " \xE2\x80\x94 ");
		rs_escape(b, name);
	}
	add(b, ": ");
	rs_human(b, v, c->decimals);
	if (c->unit) {
		add(b, " ");
		rs_escape(b, c->unit);
	}
	add(b, "</title>");
}

/* Legend entries along the top: a square for bars, a stroke for lines. */
static void legend_item(pd_strbuf *b, double *x, const char *name, const char *color, int line)
{
	if (!name)
		return;
	if (line)
		add(b, "<path d=\"M");
	else
		add(b, "<path d=\"M");
	rs_coord(b, *x);
	add(b, line ? " 15h16\" stroke=\"" : " 9h11v11h-11z\" fill=\"");
	rs_escape(b, color);
	add(b, line ? "\" stroke-width=\"2.5\" fill=\"none\"/>" : "\"/>");
	add(b, "<text x=\"");
	rs_coord(b, *x + 21);
	add(b, "\" y=\"19\" class=\"legend\">");
	rs_escape_cut(b, name, 40);
	add(b, "</text>");
	/* advance by the name's width, roughly 7 units a character */
	size_t chars = 0;
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		if ((*p & 0xC0) != 0x80)
			chars += *p >= 0xE0 ? 2 : 1; /* CJK is wide */
	*x += 36 + 7.0 * (double)(chars > 40 ? 40 : chars);
}

/* Bars and/or lines over categories on a shared value axis. */
static void vchart(pd_strbuf *b, const rs_chart *c, int with_bars)
{
	const rs_series *bars = with_bars ? c->bars : NULL;
	double max = 0;
	for (size_t i = 0; i < c->n; i++) {
		if (bars && bars->values && drawn(bars->values[i]) > max)
			max = drawn(bars->values[i]);
		for (size_t l = 0; l < c->n_lines; l++)
			if (c->lines[l].values && drawn(c->lines[l].values[i]) > max)
				max = drawn(c->lines[l].values[i]);
	}
	double top, step = axis_step(max, &top);
	double pw = VW - VML - VMR, ph = VH - VMT - VMB, base = VH - VMB;
	double band = pw / (double)c->n;
#define Y(v) (base - (v) / top * ph)

	open_svg(b, c, "chart", VW, VH);
	/* grid and value ticks */
	add(b, "<g class=\"grid\">");
	for (int t = 0; t <= 5 && t * step <= top * (1 + 1e-9); t++) {
		double y = Y(t * step);
		add(b, "<line x1=\"");
		rs_coord(b, VML);
		add(b, "\" y1=\"");
		rs_coord(b, y);
		add(b, "\" x2=\"");
		rs_coord(b, VW - VMR);
		add(b, "\" y2=\"");
		rs_coord(b, y);
		add(b, t == 0 ? "\" stroke=\"#888\"/>" : "\" stroke=\"#e4e4e4\"/>");
		add(b, "<text x=\"");
		rs_coord(b, VML - 6);
		add(b, "\" y=\"");
		rs_coord(b, y + 4);
		add(b, "\" text-anchor=\"end\" class=\"tick\">");
		tick_label(b, t * step, step);
		add(b, "</text>");
	}
	if (c->y_label) {
		add(b, "<text transform=\"translate(14 ");
		rs_coord(b, VMT + ph / 2);
		add(b, ") rotate(-90)\" text-anchor=\"middle\" class=\"axis-title\">");
		rs_escape_cut(b, c->y_label, 40);
		add(b, "</text>");
	}
	/* category labels: at most MAX_X_LABELS of them, evenly spaced */
	size_t every = (c->n + MAX_X_LABELS - 1) / MAX_X_LABELS;
	for (size_t i = 0; i < c->n; i += every) {
		add(b, "<text x=\"");
		rs_coord(b, VML + band * ((double)i + 0.5));
		add(b, "\" y=\"");
		rs_coord(b, base + 17);
		add(b, "\" text-anchor=\"middle\" class=\"tick\">");
		rs_escape_cut(b, c->labels[i], 12);
		add(b, "</text>");
	}
	add(b, "</g>");

	double lx = VML;
	if (bars && bars->values) {
		const char *color = color_of(bars, 0);
		add(b, "<g class=\"bars\" fill=\"");
		rs_escape(b, color);
		add(b, "\">");
		double bw = band * 0.78;
		for (size_t i = 0; i < c->n; i++) {
			double v = drawn(bars->values[i]);
			if (isnan(v))
				continue;
			add(b, "<rect class=\"bar\" x=\"");
			rs_coord(b, VML + band * (double)i + (band - bw) / 2);
			add(b, "\" y=\"");
			rs_coord(b, Y(v));
			add(b, "\" width=\"");
			rs_coord(b, bw);
			add(b, "\" height=\"");
			rs_coord(b, base - Y(v));
			add(b, "\">");
			hover(b, c->labels[i], bars->name, v, c);
			add(b, "</rect>");
		}
		add(b, "</g>");
		legend_item(b, &lx, bars->name, color, 0);
	}
	for (size_t l = 0; l < c->n_lines; l++) {
		const rs_series *s = &c->lines[l];
		if (!s->values)
			continue;
		const char *color = color_of(s, l + (bars ? 1 : 0));
		add(b, "<g class=\"series\">");
		/* one polyline per run of two or more finite values: a gap stays a gap */
		for (size_t i = 0; i < c->n;) {
			size_t j = i;
			while (j < c->n && !isnan(s->values[j]))
				j++;
			if (j - i >= 2) {
				add(b, "<polyline class=\"line\" fill=\"none\" stroke-width=\"2\" stroke=\"");
				rs_escape(b, color);
				add(b, "\" points=\"");
				for (size_t k = i; k < j; k++) {
					if (k > i)
						add(b, " ");
					rs_coord(b, VML + band * ((double)k + 0.5));
					add(b, ",");
					rs_coord(b, Y(drawn(s->values[k])));
				}
				add(b, "\"/>");
			}
			i = j == i ? i + 1 : j;
		}
		for (size_t i = 0; i < c->n; i++) {
			double v = drawn(s->values[i]);
			if (isnan(v))
				continue;
			add(b, "<circle class=\"pt\" r=\"2.5\" cx=\"");
			rs_coord(b, VML + band * ((double)i + 0.5));
			add(b, "\" cy=\"");
			rs_coord(b, Y(v));
			add(b, "\" fill=\"");
			rs_escape(b, color);
			add(b, "\">");
			hover(b, c->labels[i], s->name, v, c);
			add(b, "</circle>");
		}
		add(b, "</g>");
		legend_item(b, &lx, s->name, color, 1);
	}
	add(b, "</svg>\n");
#undef Y
}

void rs_bar_chart(pd_strbuf *b, const rs_chart *c)
{
	if (!rs_has_data(c)) {
		no_data(b, c);
		return;
	}
	vchart(b, c, 1);
}

void rs_line_chart(pd_strbuf *b, const rs_chart *c)
{
	rs_chart lines = *c;
	lines.bars = NULL;
	if (!rs_has_data(&lines)) {
		no_data(b, c);
		return;
	}
	vchart(b, &lines, 0);
}

void rs_hbar_chart(pd_strbuf *b, const rs_chart *c)
{
	rs_chart only = *c;
	only.lines = NULL;
	only.n_lines = 0;
	if (!c->bars || !c->bars->values || !rs_has_data(&only)) {
		no_data(b, c);
		return;
	}
	const double *vals = c->bars->values;
	double max = 0;
	for (size_t i = 0; i < c->n; i++)
		if (drawn(vals[i]) > max)
			max = drawn(vals[i]);
	double top, step = axis_step(max, &top);
	double mt = c->parts && c->part_name ? 32 : 10;
	double pw = HW - HLW - HMR, h = mt + HROW * (double)c->n + 26;
	double axis_y = mt + HROW * (double)c->n;
#define X(v) (HLW + (v) / top * pw)

	open_svg(b, c, "chart hbars", HW, h);
	add(b, "<g class=\"grid\">");
	for (int t = 0; t <= 5 && t * step <= top * (1 + 1e-9); t++) {
		double x = X(t * step);
		add(b, "<line x1=\"");
		rs_coord(b, x);
		add(b, "\" y1=\"");
		rs_coord(b, mt);
		add(b, "\" x2=\"");
		rs_coord(b, x);
		add(b, "\" y2=\"");
		rs_coord(b, axis_y);
		add(b, t == 0 ? "\" stroke=\"#888\"/>" : "\" stroke=\"#e4e4e4\"/>");
		add(b, "<text x=\"");
		rs_coord(b, x);
		add(b, "\" y=\"");
		rs_coord(b, axis_y + 16);
		add(b, "\" text-anchor=\"middle\" class=\"tick\">");
		tick_label(b, t * step, step);
		add(b, "</text>");
	}
	add(b, "</g>");
	const char *color = color_of(c->bars, 0);
	const char *part_color = "#e15759";
	add(b, "<g class=\"bars\">");
	for (size_t i = 0; i < c->n; i++) {
		double v = drawn(vals[i]);
		double y = mt + HROW * (double)i;
		/* the label, cut to fit, with the whole text on hover */
		add(b, "<text x=\"");
		rs_coord(b, HLW - 8);
		add(b, "\" y=\"");
		rs_coord(b, y + HROW / 2 + 4);
		add(b, "\" text-anchor=\"end\" class=\"label\"><title>");
		rs_escape(b, c->labels[i]);
		add(b, "</title>");
		rs_escape_cut(b, c->labels[i], HLABEL_CHARS);
		add(b, "</text>");
		if (isnan(v))
			continue;
		add(b, "<rect class=\"bar\" x=\"");
		rs_coord(b, HLW);
		add(b, "\" y=\"");
		rs_coord(b, y + 4);
		add(b, "\" width=\"");
		rs_coord(b, X(v) - HLW);
		add(b, "\" height=\"");
		rs_coord(b, HROW - 8);
		add(b, "\" fill=\"");
		rs_escape(b, color);
		add(b, "\">");
		hover(b, c->labels[i], c->bars->name, v, c);
		add(b, "</rect>");
		double part = c->parts ? drawn(c->parts[i]) : NAN;
		if (part > 0) {
			if (part > v)
				part = v;
			add(b, "<rect class=\"bar part\" x=\"");
			rs_coord(b, HLW);
			add(b, "\" y=\"");
			rs_coord(b, y + 4);
			add(b, "\" width=\"");
			rs_coord(b, X(part) - HLW);
			add(b, "\" height=\"");
			rs_coord(b, HROW - 8);
			add(b, "\" fill=\"");
			add(b, part_color);
			add(b, "\">");
			hover(b, c->labels[i], c->part_name, part, c);
			add(b, "</rect>");
		}
		add(b, "<text x=\"");
		rs_coord(b, X(v) + 6);
		add(b, "\" y=\"");
		rs_coord(b, y + HROW / 2 + 4);
		add(b, "\" class=\"value\">");
		rs_human(b, v, c->decimals);
		if (part > 0) {
			add(b, " (");
			rs_human(b, part, c->decimals);
			add(b, ")");
		}
		add(b, "</text>");
	}
	add(b, "</g>");
	if (c->parts && c->part_name) {
		double lx = HLW;
		legend_item(b, &lx, c->bars->name, color, 0);
		legend_item(b, &lx, c->part_name, part_color, 0);
	}
	add(b, "</svg>\n");
#undef X
}
