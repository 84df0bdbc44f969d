/* Configuration from the environment (common/config.c): defaults, per-service
 * overrides, validation, and --help. */
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "pd_check.h"
#include "topics.h"

static void clear_env(void)
{
	const char *vars[] = {"PEAKDESK_DB", "PEAKDESK_LOGISTICS_DB", "PEAKDESK_RUN_DIR", "PEAKDESK_INSTANCE",
			      "PEAKDESK_LOGISTICS_PUB", "PEAKDESK_LOGISTICS_INGEST", "PEAKDESK_LOGISTICS_HTTP",
			      "PEAKDESK_LOG_LEVEL", "PEAKDESK_LOG_FORMAT", "PEAKDESK_TEST_EXTRA", NULL};
	for (int i = 0; vars[i]; i++)
		unsetenv(vars[i]);
}

static char *argv0[] = {"peakdesk-logistics", NULL};

START_TEST(defaults_work_locally)
{
	clear_env();
	pd_config c;
	ck_assert_int_eq(pd_config_load(&c, "logistics", "", NULL, 1, argv0), 0);
	ck_assert_str_eq(c.instance, "logistics-1");
	ck_assert_str_eq(c.db, "dbname=peakdesk");
	ck_assert_str_eq(c.role, "peakdesk_logistics");
	ck_assert_str_eq(c.run_dir, "./var/run");
	ck_assert_str_eq(c.pub, "ipc://./var/run/logistics.pub");
	ck_assert_str_eq(c.ingest, "ipc://./var/run/logistics.ingest");
	ck_assert_str_eq(c.http, "127.0.0.1:8082");
	ck_assert_str_eq(c.log_level, "info");
}
END_TEST

START_TEST(service_db_overrides_shared_db)
{
	clear_env();
	setenv("PEAKDESK_DB", "dbname=shared", 1);
	pd_config c;
	ck_assert_int_eq(pd_config_load(&c, "logistics", "", NULL, 1, argv0), 0);
	ck_assert_str_eq(c.db, "dbname=shared");
	setenv("PEAKDESK_LOGISTICS_DB", "dbname=own user=lg", 1);
	ck_assert_int_eq(pd_config_load(&c, "logistics", "", NULL, 1, argv0), 0);
	ck_assert_str_eq(c.db, "dbname=own user=lg");
	/* The role stays the service's own whatever the conninfo says. */
	ck_assert_str_eq(c.role, "peakdesk_logistics");
}
END_TEST

START_TEST(run_dir_moves_every_socket)
{
	clear_env();
	setenv("PEAKDESK_RUN_DIR", "/srv/pd", 1);
	setenv("PEAKDESK_LOGISTICS_HTTP", "0.0.0.0:9000", 1);
	pd_config c;
	ck_assert_int_eq(pd_config_load(&c, "logistics", "", NULL, 1, argv0), 0);
	ck_assert_str_eq(c.pub, "ipc:///srv/pd/logistics.pub");
	ck_assert_str_eq(c.ingest, "ipc:///srv/pd/logistics.ingest");
	ck_assert_str_eq(c.http, "0.0.0.0:9000");
	char addr[256];
	pd_config_service_addr("router", "INGEST", "/srv/pd", addr, sizeof(addr));
	ck_assert_str_eq(addr, ""); /* the router takes no department ingest */
	pd_config_service_addr("stock", "PUB", "/srv/pd", addr, sizeof(addr));
	ck_assert_str_eq(addr, "ipc:///srv/pd/stock.pub");
}
END_TEST

START_TEST(instance_must_belong_to_the_service)
{
	clear_env();
	pd_config c;
	setenv("PEAKDESK_INSTANCE", "stock-1", 1);
	ck_assert_int_eq(pd_config_load(&c, "logistics", "", NULL, 1, argv0), -1);
	setenv("PEAKDESK_INSTANCE", "logistics-a b", 1);
	ck_assert_int_eq(pd_config_load(&c, "logistics", "", NULL, 1, argv0), -1);
	setenv("PEAKDESK_INSTANCE", "logistics-", 1);
	ck_assert_int_eq(pd_config_load(&c, "logistics", "", NULL, 1, argv0), -1);
	setenv("PEAKDESK_INSTANCE", "logistics-2", 1);
	ck_assert_int_eq(pd_config_load(&c, "logistics", "", NULL, 1, argv0), 0);
	ck_assert_str_eq(c.instance, "logistics-2");
}
END_TEST

START_TEST(bad_log_settings_are_refused)
{
	clear_env();
	pd_config c;
	setenv("PEAKDESK_LOG_LEVEL", "verbose", 1);
	ck_assert_int_eq(pd_config_load(&c, "logistics", "", NULL, 1, argv0), -1);
	setenv("PEAKDESK_LOG_LEVEL", "debug", 1);
	setenv("PEAKDESK_LOG_FORMAT", "xml", 1);
	ck_assert_int_eq(pd_config_load(&c, "logistics", "", NULL, 1, argv0), -1);
}
END_TEST

START_TEST(extras_get_values_and_defaults)
{
	clear_env();
	char a[32], b[32];
	pd_config_extra ex[] = {
		{"PEAKDESK_TEST_EXTRA", "dflt", "x", a, sizeof(a), 0},
		{"PEAKDESK_TEST_UNSET", "other", "y", b, sizeof(b), 1},
		{NULL, NULL, NULL, NULL, 0, 0},
	};
	setenv("PEAKDESK_TEST_EXTRA", "given", 1);
	pd_config c;
	ck_assert_int_eq(pd_config_load(&c, "logistics", "", ex, 1, argv0), 0);
	ck_assert_str_eq(a, "given");
	ck_assert_str_eq(b, "other");
}
END_TEST

START_TEST(help_is_answered_not_run)
{
	clear_env();
	char *argv[] = {"peakdesk-logistics", "--help", NULL};
	pd_config c;
	FILE *saved = stdout;
	stdout = fopen("/dev/null", "w");
	int rc = pd_config_load(&c, "logistics", "synopsis", NULL, 2, argv);
	fclose(stdout);
	stdout = saved;
	ck_assert_int_eq(rc, 1);
}
END_TEST

START_TEST(topic_catalogue_matches_bodies)
{
	/* Every ingest body maps to exactly one ingest topic of one service. */
	const pd_topic *t = pd_topic_for_ingest_body(PEAKDESK__V1__ENVELOPE__BODY_ORDER);
	ck_assert_ptr_nonnull(t);
	ck_assert_str_eq(t->name, "logistics.order");
	ck_assert_str_eq(t->ingest_service, "logistics");
	ck_assert_ptr_null(pd_topic_for_ingest_body(PEAKDESK__V1__ENVELOPE__BODY_TICKET_EVENT));
	for (const pd_topic *a = pd_topics; a->name; a++)
		for (const pd_topic *b = a + 1; b->name; b++)
			ck_assert_str_ne(a->name, b->name);
}
END_TEST

START_TEST(ingest_check_fills_topic_and_refuses_strangers)
{
	Peakdesk__V1__Envelope env = PEAKDESK__V1__ENVELOPE__INIT;
	Peakdesk__V1__StockLevel lvl = PEAKDESK__V1__STOCK_LEVEL__INIT;
	uint8_t id[16] = {1, 2, 3};
	env.event_id.data = id;
	env.event_id.len = 16;
	env.body_case = PEAKDESK__V1__ENVELOPE__BODY_STOCK_LEVEL;
	env.stock_level = &lvl;
	pd_errbuf eb = {{0}};
	ck_assert_int_eq(pd_topic_check_ingest(&env, "logistics", &eb), PD_EINVAL);
	ck_assert_msg(strstr(eb.msg, "send it to stock"), "%s", eb.msg);
	ck_assert_int_eq(pd_topic_check_ingest(&env, "stock", &eb), PD_OK);
	ck_assert_str_eq(env.topic, "stock.level");
	free(env.topic);
	env.topic = "stock.level";
	env.occurred_at_ms = 1700000000; /* seconds, not ms */
	ck_assert_int_eq(pd_topic_check_ingest(&env, "stock", &eb), PD_EINVAL);
	env.occurred_at_ms = 0;
	env.event_id.len = 4;
	ck_assert_int_eq(pd_topic_check_ingest(&env, "stock", &eb), PD_EINVAL);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("config");
	tcase_add_test(tc, defaults_work_locally);
	tcase_add_test(tc, service_db_overrides_shared_db);
	tcase_add_test(tc, run_dir_moves_every_socket);
	tcase_add_test(tc, instance_must_belong_to_the_service);
	tcase_add_test(tc, bad_log_settings_are_refused);
	tcase_add_test(tc, extras_get_values_and_defaults);
	tcase_add_test(tc, help_is_answered_not_run);
	tcase_add_test(tc, topic_catalogue_matches_bodies);
	tcase_add_test(tc, ingest_check_fills_topic_and_refuses_strangers);
	suite_add_tcase(s, tc);
	return s;
}

PD_CHECK_MAIN(suite)
