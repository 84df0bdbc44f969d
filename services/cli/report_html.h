/* The promo-day report page (peakdesk report): one self-contained HTML
 * document assembled from a plain struct of figures. Inline CSS and inline
 * SVG only: no <script>, no external asset, no URL at all, so it opens the
 * same from a mail attachment, a file share or an air-gapped laptop. Pure
 * string building; no I/O. */
#ifndef PD_REPORT_HTML_H
#define PD_REPORT_HTML_H

#include <stddef.h>

#include "db.h" /* pd_strbuf */
#include "report_svg.h"

/* The headline numbers; NaN = not known (shown as "–" with the reason in
 * the tile's note, e.g. no survey answered yet). */
typedef struct rh_kpis {
	double tickets;                  /* tickets opened in the window */
	double messages;                 /* customer messages received */
	double frt_p50_s, frt_p90_s;     /* first response, seconds */
	double breach_rate;              /* share (0..1) of the tickets with an SLA breach */
	double complaints_per_k_orders;  /* complaint tickets per 1,000 orders placed */
	double csat_pct;                 /* share (0..1) of CSAT answers 4 or 5 */
	double nps;                      /* -100..100 */
	double response_rate;            /* share (0..1) of sent surveys answered */
	double notices_sent;             /* proactive notices sent */
	double notice_complaint_share;   /* share (0..1) of them followed by a complaint */
} rh_kpis;

enum rh_chart_kind { RH_BARS, RH_LINES, RH_HBARS };

/* One chart of the page with what it shows and how to read it. */
typedef struct rh_figure {
	enum rh_chart_kind kind;
	const char *caption; /* what the chart shows */
	const char *how;     /* a short "how to read" line; NULL = none */
	rs_chart chart;
} rh_figure;

typedef struct rh_page {
	const char *title;         /* <title> and heading */
	const char *campaign_id;
	const char *campaign_name;
	const char *window;        /* the time window, with its zone */
	const char *generated;     /* when the report was built */
	const char *how_to_read;   /* one line under the heading */
	rh_kpis kpis;
	const rh_figure *figures;
	size_t n_figures;
	const char *sources;       /* where the numbers come from (footer) */
} rh_page;

/* Appends the whole document to out. Every text is escaped. */
void rh_render(pd_strbuf *out, const rh_page *p);

/* A duration for people: "42 s", "3m 05s", "2h 10m"; "–" for NaN. */
void rh_duration(pd_strbuf *b, double seconds);

#endif
