/* Inline SVG charts for the promo-day report (peakdesk report): pure string
 * building, no I/O, so Check tests drive it directly. Every label is escaped
 * for XML, every number written is finite, and sizes come from a viewBox so
 * a chart scales down to a phone. */
#ifndef PD_REPORT_SVG_H
#define PD_REPORT_SVG_H

#include <stddef.h>

#include "db.h" /* pd_strbuf */

/* Values above this are drawn as this (a count or a duration never gets
 * near it; it keeps axis maths away from overflow and infinities). */
#define RS_MAX_VALUE 1e15

/* One series of values, one per category of its chart. NaN = no value (no
 * bar, a gap in a line). Negative values are drawn as 0: every chart of the
 * report counts or times something. */
typedef struct rs_series {
	const char *name;     /* legend and hover text, e.g. "p90"; NULL = none */
	const double *values; /* n values (borrowed) */
	const char *color;    /* CSS colour; NULL = the palette's next one */
} rs_series;

/* A chart: n categories (hours, reasons, SKUs) with their labels, an
 * optional bar series and line series. Everything is borrowed. */
typedef struct rs_chart {
	const char *id;             /* id of the <svg> element, e.g. "chart-volume" */
	const char *title;          /* its <title> (what screen readers and hovers show) */
	const char *unit;           /* appended to values in hover texts ("messages"); NULL = none */
	const char *y_label;        /* axis title of the value axis; NULL = none */
	size_t n;                   /* categories */
	const char *const *labels;  /* n category labels (user data: escaped) */
	const rs_series *bars;      /* the bars (bar and horizontal bar charts), or NULL */
	const double *parts;        /* horizontal bars: a part of each bar drawn over it, or NULL */
	const char *part_name;      /* what the part is, for hover texts and the legend */
	const rs_series *lines;     /* bar and line charts: line series over the bars */
	size_t n_lines;
	int decimals;               /* digits after the point in hover and value texts */
} rs_chart;

/* Appends s escaped for XML/HTML text and attribute values: & < > " ' as
 * entities, control characters (which XML forbids) as spaces, invalid UTF-8
 * bytes as U+FFFD. NULL appends nothing. */
void rs_escape(pd_strbuf *b, const char *s);
/* The same, cut to at most max_chars characters (UTF-8 aware) with "…"
 * when cut. */
void rs_escape_cut(pd_strbuf *b, const char *s, size_t max_chars);
/* Appends a coordinate with one decimal; NaN and infinities become 0 and
 * magnitudes are capped, so the output is always a valid SVG number. */
void rs_coord(pd_strbuf *b, double v);
/* Appends v for people: thousands separators, `decimals` digits; "–" for
 * NaN. */
void rs_human(pd_strbuf *b, double v, int decimals);

/* 1 when the chart has at least one category with a finite value in a bar
 * or line series; the renderers below draw a "no data" note otherwise. */
int rs_has_data(const rs_chart *c);

/* Vertical bars (c->bars) over the categories, with c->lines drawn over
 * them (volume vs forecast). One <rect> per finite bar value, one
 * <polyline> per run of two or more finite line values, one <circle> per
 * finite line value; each with a <title> for hover. */
void rs_bar_chart(pd_strbuf *b, const rs_chart *c);
/* Lines only (c->lines; c->bars is ignored): response-time percentiles. */
void rs_line_chart(pd_strbuf *b, const rs_chart *c);
/* Horizontal bars (c->bars), largest first as given, labels on the left,
 * values on the right; c->parts (optional) drawn over each bar. One <rect>
 * per finite value, one more per part > 0. */
void rs_hbar_chart(pd_strbuf *b, const rs_chart *c);

#endif
