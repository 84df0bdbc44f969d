/* Process-wide metrics in Prometheus text format (exposition 0.0.4).
 * Counters and gauges are atomics, safe from any thread. Register once at
 * start-up; names follow Prometheus conventions (peakdesk_*_total, ...). */
#ifndef PD_METRICS_H
#define PD_METRICS_H

#include <stddef.h>
#include <stdint.h>

typedef struct pd_metric pd_metric;

/* labels: NULL or a label set without braces, e.g. "status=\"accepted\"".
 * Registering the same name+labels twice returns the same metric. An invalid
 * name, or a name already registered with another type, is logged and gives
 * NULL; every function below accepts NULL and does nothing, so a bad
 * registration costs a metric, not the process. */
pd_metric *pd_counter(const char *name, const char *help, const char *labels);
pd_metric *pd_gauge(const char *name, const char *help, const char *labels);
/* Latency histogram in seconds with fixed buckets 1ms..10s. */
pd_metric *pd_histogram(const char *name, const char *help, const char *labels);

void pd_metric_add(pd_metric *m, int64_t v);       /* counter (v < 0 ignored: counters never go down) or gauge */
void pd_metric_set(pd_metric *m, int64_t v);       /* gauge */
void pd_metric_observe(pd_metric *m, double seconds); /* histogram */

/* Renders all metrics; caller frees. len may be NULL. Metrics sharing a
 * name are grouped under one HELP/TYPE pair, in first-registration order. */
char *pd_metrics_render(size_t *len);

/* Current value of a counter or gauge (histograms: the observation count).
 * For tests and for code that exports its own state; 0 for NULL. */
int64_t pd_metric_value(const pd_metric *m);

/* Frees every metric. For tests only: every pd_metric pointer handed out
 * before becomes invalid, so call it when nothing else holds one. */
void pd_metrics_reset(void);

#endif
