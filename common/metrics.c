/* Process-wide metric registry rendered in the Prometheus text exposition
 * format 0.0.4. Registration takes a mutex (it happens at start-up and is
 * rare); updates are lock-free atomics so hot paths on any thread pay one
 * atomic add. Metrics live until pd_metrics_reset() (tests) or exit. */
#include "metrics.h"

#include "log.h"
#include "pd.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum metric_type { M_COUNTER, M_GAUGE, M_HISTOGRAM };

/* Upper bounds of the histogram buckets; +Inf is the implicit last one. The
 * strings are what Prometheus shows in `le`, kept verbatim so dashboards
 * built on le="0.25" match exactly. */
static const double bucket_bounds[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
				       0.1, 0.25, 0.5, 1, 2.5, 5, 10};
static const char *const bucket_names[] = {"0.001", "0.0025", "0.005", "0.01", "0.025",
					   "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5",
					   "10", "+Inf"};
#define NBUCKETS (PD_ARRAY_LEN(bucket_bounds) + 1)

struct pd_metric {
	enum metric_type type;
	char *name;
	char *help;
	char *labels; /* "" when none */
	_Atomic int64_t value;
	/* Histogram: per-bucket (non-cumulative) counts; render sums them up so
	 * an observation costs one increment instead of one per bucket. */
	_Atomic uint64_t buckets[NBUCKETS];
	_Atomic double sum;
};

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static pd_metric **g_metrics;
static size_t g_n, g_cap;

static const char *type_name(enum metric_type t)
{
	switch (t) {
	case M_COUNTER: return "counter";
	case M_GAUGE: return "gauge";
	case M_HISTOGRAM: return "histogram";
	}
	return "untyped";
}

/* Prometheus metric names: [a-zA-Z_:][a-zA-Z0-9_:]* */
static int valid_name(const char *s)
{
	if (!s || !*s)
		return 0;
	for (const char *p = s; *p; p++) {
		int c = (unsigned char)*p;
		int alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
		if (!alpha && !(p != s && c >= '0' && c <= '9'))
			return 0;
	}
	return 1;
}

static pd_metric *reg(enum metric_type type, const char *name, const char *help,
		      const char *labels)
{
	if (!valid_name(name)) {
		pd_log_error("invalid metric name", "name=\"%s\"", name ? name : "(null)");
		return NULL;
	}
	if (!labels)
		labels = "";
	pd_metric *m = NULL;
	pthread_mutex_lock(&g_lock);
	for (size_t i = 0; i < g_n; i++) {
		pd_metric *e = g_metrics[i];
		if (strcmp(e->name, name) != 0)
			continue;
		if (e->type != type) {
			/* One name, two types would render as an invalid
			 * exposition and break every scrape, not just this metric. */
			pd_log_error("metric registered with two types", "name=%s have=%s want=%s",
				     name, type_name(e->type), type_name(type));
			pthread_mutex_unlock(&g_lock);
			return NULL;
		}
		if (strcmp(e->labels, labels) == 0) {
			pthread_mutex_unlock(&g_lock);
			return e;
		}
	}
	if (g_n == g_cap) {
		g_cap = g_cap ? g_cap * 2 : 32;
		g_metrics = pd_xrealloc(g_metrics, g_cap * sizeof(*g_metrics));
	}
	m = pd_xcalloc(1, sizeof(*m));
	m->type = type;
	m->name = pd_xstrdup(name);
	m->help = pd_xstrdup(help ? help : "");
	m->labels = pd_xstrdup(labels);
	atomic_init(&m->value, 0);
	for (size_t i = 0; i < NBUCKETS; i++)
		atomic_init(&m->buckets[i], 0);
	atomic_init(&m->sum, 0.0);
	g_metrics[g_n++] = m;
	pthread_mutex_unlock(&g_lock);
	return m;
}

pd_metric *pd_counter(const char *name, const char *help, const char *labels)
{
	return reg(M_COUNTER, name, help, labels);
}

pd_metric *pd_gauge(const char *name, const char *help, const char *labels)
{
	return reg(M_GAUGE, name, help, labels);
}

pd_metric *pd_histogram(const char *name, const char *help, const char *labels)
{
	return reg(M_HISTOGRAM, name, help, labels);
}

void pd_metric_add(pd_metric *m, int64_t v)
{
	if (!m || m->type == M_HISTOGRAM || (m->type == M_COUNTER && v < 0))
		return;
	atomic_fetch_add_explicit(&m->value, v, memory_order_relaxed);
}

void pd_metric_set(pd_metric *m, int64_t v)
{
	if (!m || m->type != M_GAUGE)
		return;
	atomic_store_explicit(&m->value, v, memory_order_relaxed);
}

void pd_metric_observe(pd_metric *m, double seconds)
{
	if (!m || m->type != M_HISTOGRAM)
		return;
	if (!(seconds >= 0)) /* negative or NaN: a clock bug, not a latency */
		seconds = 0;
	size_t i = 0;
	while (i < NBUCKETS - 1 && seconds > bucket_bounds[i])
		i++;
	atomic_fetch_add_explicit(&m->buckets[i], 1, memory_order_relaxed);
	/* No atomic add for doubles in C11: compare-and-swap loop. */
	double old = atomic_load_explicit(&m->sum, memory_order_relaxed);
	while (!atomic_compare_exchange_weak_explicit(&m->sum, &old, old + seconds,
						      memory_order_relaxed,
						      memory_order_relaxed))
		;
}

int64_t pd_metric_value(const pd_metric *m)
{
	if (!m)
		return 0;
	if (m->type != M_HISTOGRAM)
		return atomic_load_explicit(&m->value, memory_order_relaxed);
	uint64_t n = 0;
	for (size_t i = 0; i < NBUCKETS; i++)
		n += atomic_load_explicit(&m->buckets[i], memory_order_relaxed);
	return (int64_t)n;
}

/* Growable output buffer; aborts on OOM like the rest of the daemon code. */
struct sbuf {
	char *p;
	size_t len, cap;
};

static void sb_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(struct sbuf *b, const char *fmt, ...)
{
	for (;;) {
		va_list ap;
		va_start(ap, fmt);
		int n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
		if (n < 0)
			return;
		if ((size_t)n < b->cap - b->len) {
			b->len += (size_t)n;
			return;
		}
		b->cap = (b->cap + (size_t)n + 1) * 2;
		b->p = pd_xrealloc(b->p, b->cap);
	}
}

/* HELP text escapes backslash and newline (exposition format 0.0.4). */
static void sb_help(struct sbuf *b, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\')
			sb_printf(b, "\\\\");
		else if (*s == '\n')
			sb_printf(b, "\\n");
		else
			sb_printf(b, "%c", *s);
	}
}

static void render_one(struct sbuf *b, const pd_metric *m)
{
	const char *l = m->labels;
	int has = *l != 0;
	if (m->type != M_HISTOGRAM) {
		sb_printf(b, "%s%s%s%s %" PRId64 "\n", m->name, has ? "{" : "", l, has ? "}" : "",
			  atomic_load_explicit(&m->value, memory_order_relaxed));
		return;
	}
	uint64_t cum = 0;
	for (size_t i = 0; i < NBUCKETS; i++) {
		cum += atomic_load_explicit(&m->buckets[i], memory_order_relaxed);
		sb_printf(b, "%s_bucket{%s%sle=\"%s\"} %" PRIu64 "\n", m->name, l, has ? "," : "",
			  bucket_names[i], cum);
	}
	/* %.15g: shortest form that is exact for sums like 0.2+0.003 (=0.203)
	 * without the 17-digit noise of a full round-trip. */
	sb_printf(b, "%s_sum%s%s%s %.15g\n", m->name, has ? "{" : "", l, has ? "}" : "",
		  atomic_load_explicit(&m->sum, memory_order_relaxed));
	/* _count equals the +Inf bucket; reuse cum so the two always agree even
	 * while other threads observe concurrently. */
	sb_printf(b, "%s_count%s%s%s %" PRIu64 "\n", m->name, has ? "{" : "", l, has ? "}" : "",
		  cum);
}

char *pd_metrics_render(size_t *len)
{
	struct sbuf b = {pd_xmalloc(4096), 0, 4096};
	b.p[0] = 0;
	pthread_mutex_lock(&g_lock);
	/* done[i]: metric i was already printed as part of an earlier name group. */
	unsigned char *done = pd_xcalloc(g_n ? g_n : 1, 1);
	for (size_t i = 0; i < g_n; i++) {
		if (done[i])
			continue;
		const pd_metric *m = g_metrics[i];
		sb_printf(&b, "# HELP %s ", m->name);
		sb_help(&b, m->help);
		sb_printf(&b, "\n# TYPE %s %s\n", m->name, type_name(m->type));
		for (size_t j = i; j < g_n; j++) {
			if (!done[j] && strcmp(g_metrics[j]->name, m->name) == 0) {
				render_one(&b, g_metrics[j]);
				done[j] = 1;
			}
		}
	}
	pthread_mutex_unlock(&g_lock);
	free(done);
	if (len)
		*len = b.len;
	return b.p;
}

void pd_metrics_reset(void)
{
	pthread_mutex_lock(&g_lock);
	for (size_t i = 0; i < g_n; i++) {
		free(g_metrics[i]->name);
		free(g_metrics[i]->help);
		free(g_metrics[i]->labels);
		free(g_metrics[i]);
	}
	free(g_metrics);
	g_metrics = NULL;
	g_n = g_cap = 0;
	pthread_mutex_unlock(&g_lock);
}
