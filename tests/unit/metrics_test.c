/* Check tests for common/metrics.c: exact Prometheus text output for a small
 * registry, grouping of label sets under one HELP/TYPE, histogram buckets,
 * registration rules and lock-free updates from several threads. */
#include "metrics.h"
#include "pd_check.h"

#include <pthread.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

static void reset(void)
{
	pd_metrics_reset();
}

START_TEST(test_render_exact)
{
	pd_metric *a = pd_counter("t_events_total", "Events seen", "kind=\"a\"");
	pd_metric *g = pd_gauge("t_queue", "Queue depth\nwith \\ backslash", NULL);
	/* Registered after another name: must still render next to kind="a". */
	pd_metric *b = pd_counter("t_events_total", "Events seen", "kind=\"b\"");
	pd_metric *h = pd_histogram("t_latency_seconds", "Latency", "op=\"x\"");
	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	ck_assert_ptr_nonnull(g);
	ck_assert_ptr_nonnull(h);
	pd_metric_add(a, 3);
	pd_metric_add(a, -2); /* counters never go down */
	pd_metric_add(b, 5);
	pd_metric_set(g, 7);
	pd_metric_add(g, -2);
	pd_metric_observe(h, 0.001); /* on a bound: le is inclusive */
	pd_metric_observe(h, 0.2);
	pd_metric_observe(h, 20);    /* beyond 10 s: only +Inf */

	const char *want =
		"# HELP t_events_total Events seen\n"
		"# TYPE t_events_total counter\n"
		"t_events_total{kind=\"a\"} 3\n"
		"t_events_total{kind=\"b\"} 5\n"
		"# HELP t_queue Queue depth\\nwith \\\\ backslash\n"
		"# TYPE t_queue gauge\n"
		"t_queue 5\n"
		"# HELP t_latency_seconds Latency\n"
		"# TYPE t_latency_seconds histogram\n"
		"t_latency_seconds_bucket{op=\"x\",le=\"0.001\"} 1\n"
		"t_latency_seconds_bucket{op=\"x\",le=\"0.0025\"} 1\n"
		"t_latency_seconds_bucket{op=\"x\",le=\"0.005\"} 1\n"
		"t_latency_seconds_bucket{op=\"x\",le=\"0.01\"} 1\n"
		"t_latency_seconds_bucket{op=\"x\",le=\"0.025\"} 1\n"
		"t_latency_seconds_bucket{op=\"x\",le=\"0.05\"} 1\n"
		"t_latency_seconds_bucket{op=\"x\",le=\"0.1\"} 1\n"
		"t_latency_seconds_bucket{op=\"x\",le=\"0.25\"} 2\n"
		"t_latency_seconds_bucket{op=\"x\",le=\"0.5\"} 2\n"
		"t_latency_seconds_bucket{op=\"x\",le=\"1\"} 2\n"
		"t_latency_seconds_bucket{op=\"x\",le=\"2.5\"} 2\n"
		"t_latency_seconds_bucket{op=\"x\",le=\"5\"} 2\n"
		"t_latency_seconds_bucket{op=\"x\",le=\"10\"} 2\n"
		"t_latency_seconds_bucket{op=\"x\",le=\"+Inf\"} 3\n"
		"t_latency_seconds_sum{op=\"x\"} 20.201\n"
		"t_latency_seconds_count{op=\"x\"} 3\n";
	size_t len = 0;
	char *got = pd_metrics_render(&len);
	ck_assert_str_eq(got, want);
	ck_assert_uint_eq(len, strlen(want));
	free(got);
}
END_TEST

START_TEST(test_histogram_without_labels)
{
	pd_metric *h = pd_histogram("t_plain_seconds", "Plain", NULL);
	pd_metric_observe(h, 0.03);
	char *got = pd_metrics_render(NULL);
	ck_assert_ptr_nonnull(strstr(got, "\nt_plain_seconds_bucket{le=\"0.025\"} 0\n"));
	ck_assert_ptr_nonnull(strstr(got, "\nt_plain_seconds_bucket{le=\"0.05\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(got, "\nt_plain_seconds_bucket{le=\"+Inf\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(got, "\nt_plain_seconds_sum 0.03\n"));
	ck_assert_ptr_nonnull(strstr(got, "\nt_plain_seconds_count 1\n"));
	free(got);
	ck_assert_int_eq(pd_metric_value(h), 1);
}
END_TEST

START_TEST(test_registration_rules)
{
	pd_metric *a = pd_counter("t_x_total", "x", "k=\"1\"");
	ck_assert_ptr_eq(pd_counter("t_x_total", "x", "k=\"1\""), a);
	ck_assert_ptr_ne(pd_counter("t_x_total", "x", "k=\"2\""), a);
	ck_assert_ptr_eq(pd_counter("t_y_total", "y", NULL), pd_counter("t_y_total", "y", ""));
	/* Same name, other type: refused, not rendered twice. */
	ck_assert_ptr_null(pd_gauge("t_x_total", "x", "k=\"3\""));
	ck_assert_ptr_null(pd_counter("9bad", "starts with a digit", NULL));
	ck_assert_ptr_null(pd_counter("bad-name", "dash", NULL));
	ck_assert_ptr_null(pd_counter("", "empty", NULL));
	ck_assert_ptr_null(pd_counter(NULL, "null", NULL));
	/* NULL metrics are no-ops so a failed registration cannot crash. */
	pd_metric_add(NULL, 1);
	pd_metric_set(NULL, 1);
	pd_metric_observe(NULL, 1);
	ck_assert_int_eq(pd_metric_value(NULL), 0);
	/* Wrong-kind updates are ignored. */
	pd_metric_set(a, 100);
	pd_metric_observe(a, 1);
	ck_assert_int_eq(pd_metric_value(a), 0);
	char *got = pd_metrics_render(NULL);
	const char *p = strstr(got, "# TYPE t_x_total counter\n");
	ck_assert_ptr_nonnull(p);
	ck_assert_ptr_null(strstr(p + 1, "# TYPE t_x_total"));
	ck_assert_ptr_null(strstr(got, "gauge"));
	free(got);
}
END_TEST

START_TEST(test_format_parses)
{
	pd_counter("t_a_total", "A", "x=\"1\",y=\"two\"");
	pd_gauge("t_b", "B", NULL);
	pd_metric_add(pd_gauge("t_b", "B", NULL), -42);
	pd_histogram("t_c_seconds", "C", "route=\"/v1\"");
	pd_metric_observe(pd_histogram("t_c_seconds", "C", "route=\"/v1\""), 0.0123);
	pd_counter("t_a_total", "A", "x=\"2\",y=\"three\"");
	char *got = pd_metrics_render(NULL);
	/* One regex per Prometheus text line kind (exposition format 0.0.4). */
	regex_t help, type, sample;
	ck_assert_int_eq(regcomp(&help, "^# HELP [a-zA-Z_:][a-zA-Z0-9_:]* .*$", REG_EXTENDED), 0);
	ck_assert_int_eq(regcomp(&type, "^# TYPE [a-zA-Z_:][a-zA-Z0-9_:]* (counter|gauge|histogram)$",
				 REG_EXTENDED), 0);
	ck_assert_int_eq(regcomp(&sample,
				 "^[a-zA-Z_:][a-zA-Z0-9_:]*"
				 "(\\{[a-zA-Z_][a-zA-Z0-9_]*=\"[^\"]*\"(,[a-zA-Z_][a-zA-Z0-9_]*=\"[^\"]*\")*\\})?"
				 " -?[0-9]+(\\.[0-9]+)?(e[-+]?[0-9]+)?$",
				 REG_EXTENDED), 0);
	int lines = 0, types = 0;
	char *save = NULL;
	for (char *l = strtok_r(got, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		lines++;
		int ok = regexec(&help, l, 0, NULL, 0) == 0 || regexec(&sample, l, 0, NULL, 0) == 0;
		if (regexec(&type, l, 0, NULL, 0) == 0) {
			ok = 1;
			types++;
		}
		ck_assert_msg(ok, "not a Prometheus text line: '%s'", l);
	}
	ck_assert_int_eq(types, 3);
	ck_assert_int_eq(lines, 3 * 2 + 2 + 1 + 14 + 2);
	regfree(&help);
	regfree(&type);
	regfree(&sample);
	free(got);
}
END_TEST

#define THREADS 4
#define PER_THREAD 100000
static pd_metric *g_c, *g_g, *g_h;

static void *hammer(void *arg)
{
	(void)arg;
	for (int i = 0; i < PER_THREAD; i++) {
		pd_metric_add(g_c, 1);
		pd_metric_add(g_g, (i & 1) ? -1 : 1);
		pd_metric_observe(g_h, 0.5);
	}
	return NULL;
}

START_TEST(test_concurrent_updates)
{
	g_c = pd_counter("t_conc_total", "c", NULL);
	g_g = pd_gauge("t_conc_gauge", "g", NULL);
	g_h = pd_histogram("t_conc_seconds", "h", NULL);
	pthread_t t[THREADS];
	for (int i = 0; i < THREADS; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, hammer, NULL), 0);
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	ck_assert_int_eq(pd_metric_value(g_c), THREADS * PER_THREAD);
	ck_assert_int_eq(pd_metric_value(g_g), 0);
	ck_assert_int_eq(pd_metric_value(g_h), THREADS * PER_THREAD);
	char *got = pd_metrics_render(NULL);
	/* 0.5 is exact in binary, so the CAS-updated sum must be exact too. */
	ck_assert_ptr_nonnull(strstr(got, "\nt_conc_seconds_sum 200000\n"));
	ck_assert_ptr_nonnull(strstr(got, "\nt_conc_seconds_bucket{le=\"0.25\"} 0\n"));
	ck_assert_ptr_nonnull(strstr(got, "\nt_conc_seconds_bucket{le=\"0.5\"} 400000\n"));
	free(got);
}
END_TEST

START_TEST(test_empty_registry)
{
	size_t len = 99;
	char *got = pd_metrics_render(&len);
	ck_assert_uint_eq(len, 0);
	ck_assert_str_eq(got, "");
	free(got);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("metrics");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, reset, reset);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_render_exact);
	tcase_add_test(tc, test_histogram_without_labels);
	tcase_add_test(tc, test_registration_rules);
	tcase_add_test(tc, test_format_parses);
	tcase_add_test(tc, test_concurrent_updates);
	tcase_add_test(tc, test_empty_registry);
	suite_add_tcase(s, tc);
	return s;
}

PD_CHECK_MAIN(suite)
