/* peakdesk-router: turns customer messages into tickets (threading,
 * classification, assignment, SLA) and emits ticket.* events. */
#include <stdio.h>
#include <stdlib.h>

#include "classify.h"
#include "consumer.h"
#include "log.h"
#include "roster.h"
#include "router.h"
#include "service.h"

static char partition[16], reopen_hours[16], fr_minutes[16], nr_minutes[16], res_minutes[16], sla_check_ms[16], follow_up_alert[16], auto_close[16];

static const pd_config_extra extras[] = {
	{"PEAKDESK_ROUTER_REOPEN_HOURS", "72", "a message this soon after resolution reopens the ticket", reopen_hours,
	 sizeof(reopen_hours), 0},
	{"PEAKDESK_ROUTER_FIRST_RESPONSE_MINUTES", "", "override every first-response target (minutes; empty: the SLA table)",
	 fr_minutes, sizeof(fr_minutes), 0},
	{"PEAKDESK_ROUTER_NEXT_RESPONSE_MINUTES", "", "override every next-response target (minutes; empty: the SLA table)",
	 nr_minutes, sizeof(nr_minutes), 0},
	{"PEAKDESK_ROUTER_RESOLUTION_MINUTES", "", "override every resolution target (minutes; empty: the SLA table)",
	 res_minutes, sizeof(res_minutes), 0},
	{"PEAKDESK_ROUTER_FOLLOW_UP_ALERT_MINUTES", "10", "remind an agent this long before a commitment to a customer is due",
	 follow_up_alert, sizeof(follow_up_alert), 0},
	{"PEAKDESK_ROUTER_AUTO_CLOSE_MINUTES", "30",
	 "a ticket answered by an auto-reply closes after this long without a word from the customer", auto_close,
	 sizeof(auto_close), 0},
	{"PEAKDESK_ROUTER_PARTITION", "0/1",
	 "K/N: this instance is partition K of N router instances (a customer's messages always go to one); "
	 "give each its own PEAKDESK_INSTANCE",
	 partition, sizeof(partition), 0},
	{"PEAKDESK_ROUTER_SLA_CHECK_MS", "1000", "how often overdue SLAs are checked", sla_check_ms, sizeof(sla_check_ms), 0},
	{NULL, NULL, NULL, NULL, 0, 0},
};

struct app {
	pd_service svc;
	rt_context ctx;
	pd_consumer *consumer;
};

static void on_sla_tick(void *arg)
{
	struct app *a = arg;
	rt_sla_sweep_submit(a->svc.bus, &a->ctx);
}

static void stop_ingress(pd_service *s, void *arg)
{
	struct app *a = arg;
	rt_rules_unlisten();
	pd_consumer_stop(a->consumer);
	a->consumer = NULL;
}

int main(int argc, char **argv)
{
	static struct app a;
	int rc = pd_service_init(&a.svc, "router",
				 "peakdesk-router: ticket router (threading, classification, assignment, SLA)\n\n"
				 "Usage: peakdesk-router [--help]\n\n"
				 "Consumes message.inbound, agent.command, logistics.delayed / return_updated /\n"
				 "shipment_updated (reship deliveries),\n"
				 "stock.shortage / restocked, survey.low_score (a recovery ticket for a lead);\n"
				 "reads promo rules and SLA overrides; emits ticket.*\n"
				 "and message.outbound.\n"
				 "Also: GET /healthz, GET /metrics",
				 extras, argc, argv);
	if (rc != 0)
		return rc == 1 ? 0 : 1;
	a.ctx.reopen_hours = atoi(reopen_hours) > 0 ? atoi(reopen_hours) : 72;
	pd_errbuf peb = {{0}};
	if (rt_partition_parse(partition, &a.ctx.partition, &peb) != PD_OK) {
		pd_log_error("bad PEAKDESK_ROUTER_PARTITION", "detail=\"%s\"", peb.msg);
		pd_service_close(&a.svc);
		return 2;
	}
	if (a.ctx.partition.count > 1)
		pd_log_info("partitioned", "partition=%d count=%d", a.ctx.partition.index, a.ctx.partition.count);
	rt_roster_partition(a.ctx.partition);
	/* The shipped set until router.rules is loaded (and seeded from it when
	 * empty) by the writer just below: no message is classified without
	 * rules. */
	size_t n_rules;
	const rt_rule_def *defs = rt_default_rules(&n_rules);
	pd_errbuf ceb = {{0}};
	if (rt_rules_compile(defs, n_rules, &a.ctx.rules, &ceb) != PD_OK) {
		pd_log_error("classification rules do not compile", "detail=\"%s\"", ceb.msg);
		pd_service_close(&a.svc);
		return 1;
	}
	rt_rules_reload(a.svc.bus, &a.ctx, 1);
	rt_rules_listen(a.svc.base, a.svc.cfg.db, a.svc.bus, &a.ctx);
	static char addrbuf[PD_SERVICES_MAX][PD_CFG_STR];
	const char *addrs[PD_SERVICES_MAX + 1];
	pd_config_pub_addrs(a.svc.cfg.run_dir, addrbuf, addrs);
	static const char *prefixes[] = {"message.inbound", "agent.command", "logistics.delayed", "logistics.return_updated",
					     "logistics.shipment_updated",
					     "stock.shortage", "stock.restocked", "survey.low_score", NULL};
	pd_consumer_options co = {.name = a.svc.cfg.instance, .pub_addrs = addrs, .prefixes = prefixes};
	static const pd_consumer_ops ops = {.apply = rt_apply_event};
	pd_errbuf eb = {{0}};
	a.consumer = pd_consumer_start(a.svc.bus, a.svc.base, &co, &ops, &a.ctx, &eb);
	if (!a.consumer) {
		pd_log_error("cannot start the consumer", "detail=\"%s\"", eb.msg);
		pd_service_close(&a.svc);
		return 1;
	}
	a.svc.on_stop = stop_ingress;
	a.svc.on_stop_arg = &a;
	a.ctx.follow_up_alert_ms = (int64_t)(atof(follow_up_alert) * 60000.0);
	a.ctx.auto_close_ms = (int64_t)(atof(auto_close) * 60000.0);
	a.ctx.sla_override_min[PEAKDESK__V1__SLA_KIND__SLA_KIND_FIRST_RESPONSE] = atof(fr_minutes);
	a.ctx.sla_override_min[PEAKDESK__V1__SLA_KIND__SLA_KIND_NEXT_RESPONSE] = atof(nr_minutes);
	a.ctx.sla_override_min[PEAKDESK__V1__SLA_KIND__SLA_KIND_RESOLUTION] = atof(res_minutes);
	pd_service_every(&a.svc, atoi(sla_check_ms), 1000, on_sla_tick, &a);
	rc = pd_service_run(&a.svc);
	pd_service_close(&a.svc);
	rt_rules_free(a.ctx.rules);
	return rc;
}
