/* peakdesk-gateway: every customer channel in (generic webhook, WeChat,
 * e-mail piped from an MTA) as message.inbound events, committed before the
 * channel gets its answer. */
#include <libxml/parser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "consumer.h"
#include "day_partitions.h"
#include "gateway.h"
#include "log.h"
#include "outbound.h"
#include "service.h"

static char max_attempts[16], retry_base[16], timeout_ms[16], sendmail[256], mail_from[256], tick_ms[16],
	welcome[1024], days_ahead[16], keep_days[16], partition_ms[16];

static const pd_config_extra extras[] = {
	{"PEAKDESK_GATEWAY_MAX_ATTEMPTS", "8", "delivery attempts before an outbound message is dead", max_attempts,
	 sizeof(max_attempts), 0},
	{"PEAKDESK_GATEWAY_RETRY_BASE_MS", "2000", "first retry delay; doubles per attempt (+-25% jitter, max 1 h)",
	 retry_base, sizeof(retry_base), 0},
	{"PEAKDESK_GATEWAY_DELIVERY_TIMEOUT_MS", "10000", "timeout of one HTTP delivery attempt", timeout_ms,
	 sizeof(timeout_ms), 0},
	{"PEAKDESK_GATEWAY_DELIVERY_TICK_MS", "250", "how often due deliveries are claimed", tick_ms, sizeof(tick_ms), 0},
	{"PEAKDESK_SENDMAIL", "/usr/sbin/sendmail -t -i", "command that sends an e-mail read on stdin", sendmail,
	 sizeof(sendmail), 0},
	{"PEAKDESK_MAIL_FROM", "support@localhost", "From: address of e-mail replies", mail_from, sizeof(mail_from), 0},
	{"PEAKDESK_WECHAT_WELCOME", "", "passive reply to a new WeChat follower (empty: none)", welcome, sizeof(welcome), 0},
	{"PEAKDESK_GATEWAY_INBOUND_DAYS_AHEAD", "7", "day partitions of the customer messages created this many days ahead",
	 days_ahead, sizeof(days_ahead), 0},
	{"PEAKDESK_GATEWAY_INBOUND_KEEP_DAYS", "90",
	 "customer messages (and their dedup keys) kept this many days, then dropped by day (0: kept)", keep_days,
	 sizeof(keep_days), 0},
	{"PEAKDESK_GATEWAY_PARTITION_CHECK_MS", "60000",
	 "how often the messages' day partitions are maintained (and up to 20,000 expired keys deleted)",
	 partition_ms, sizeof(partition_ms), 0},
	{NULL, NULL, NULL, NULL, 0, 0},
};

struct app {
	pd_service svc;
	pd_consumer *consumer;
};

static void on_deliver_tick(void *arg)
{
	gw_outbound_tick();
}

static void on_accounts_tick(void *arg)
{
	struct app *a = arg;
	gw_accounts_reload(a->svc.bus);
}

static void stop_ingress(pd_service *s, void *arg)
{
	struct app *a = arg;
	pd_consumer_stop(a->consumer);
	a->consumer = NULL;
	gw_outbound_stop();
}

int gw_mail_main(int argc, char **argv);

int main(int argc, char **argv)
{
	static struct app a;
	if (argc > 1 && strcmp(argv[1], "mail") == 0)
		return gw_mail_main(argc - 1, argv + 1);
	int rc = pd_service_init(&a.svc, "gateway",
				 "peakdesk-gateway: channel gateway (customer messages in, replies out)\n\n"
				 "Usage: peakdesk-gateway [--help]\n"
				 "       peakdesk-gateway mail --account NAME < message.eml   (see mail --help)\n\n"
				 "Generic webhook: POST /v1/channels/{account}/messages (JSON, HMAC-signed)\n"
				 "WeChat:          GET|POST /wechat/{account} (signature; safe mode encrypt_type=aes)\n"
				 "Customers:       GET /v1/track/{public_id} (JSON, or HTML with Accept: text/html)\n"
				 "Agents:          GET /v1/agent/queue, PUT /v1/agent/presence, GET /v1/tickets/{id},\n"
				 "                 POST /v1/tickets/{id}/reply|note|transfer|resolve (Bearer token)\n"
				 "Outbound: consumes message.outbound, delivers by webhook, WeChat API or sendmail\n"
				 "Also: GET /healthz, GET /metrics",
				 extras, argc, argv);
	if (rc != 0)
		return rc == 1 ? 0 : 1;
	static pd_day_partitions messages = {.what = "customer messages",
					     .function = "gateway.inbound_partitions_maintain"};
	pd_errbuf peb = {{0}};
	if (pd_day_partitions_parse(&messages, days_ahead, keep_days, &peb) != PD_OK) {
		pd_log_error("bad PEAKDESK_GATEWAY_INBOUND_DAYS_AHEAD or _KEEP_DAYS", "detail=\"%s\"", peb.msg);
		pd_service_close(&a.svc);
		return 2;
	}
	xmlInitParser(); /* once, before any thread parses XML */
	gw_webhook_route(a.svc.http, a.svc.bus);
	gw_wechat_route(a.svc.http, a.svc.bus, welcome);
	gw_track_route(a.svc.http, a.svc.bus);
	gw_agent_route(a.svc.http, a.svc.bus);
	a.svc.on_stop = stop_ingress;
	a.svc.on_stop_arg = &a;
	gw_accounts_reload(a.svc.bus);
	pd_service_every(&a.svc, 2000, 2000, on_accounts_tick, &a);
	pd_day_partitions_start(&a.svc, &messages, atoi(partition_ms) > 0 ? atoi(partition_ms) : 60000);

	gw_outbound_config oc = {.max_attempts = atoi(max_attempts) > 0 ? atoi(max_attempts) : 8,
				 .retry_base_ms = atoll(retry_base) > 0 ? atoll(retry_base) : 2000};
	oc.deliver.timeout_ms = atoi(timeout_ms) > 0 ? atoi(timeout_ms) : 10000;
	snprintf(oc.deliver.sendmail, sizeof(oc.deliver.sendmail), "%s", sendmail);
	snprintf(oc.deliver.mail_from, sizeof(oc.deliver.mail_from), "%s", mail_from);
	gw_outbound_start(a.svc.bus, &oc);
	static char addrbuf[PD_SERVICES_MAX][PD_CFG_STR];
	const char *addrs[PD_SERVICES_MAX + 1];
	pd_config_pub_addrs(a.svc.cfg.run_dir, addrbuf, addrs);
	static const char *prefixes[] = {"message.outbound", NULL};
	pd_consumer_options co = {.name = a.svc.cfg.instance, .pub_addrs = addrs, .prefixes = prefixes};
	static const pd_consumer_ops ops = {.apply = gw_outbound_store};
	pd_errbuf eb = {{0}};
	a.consumer = pd_consumer_start(a.svc.bus, a.svc.base, &co, &ops, NULL, &eb);
	if (!a.consumer) {
		pd_log_error("cannot consume message.outbound", "detail=\"%s\"", eb.msg);
		pd_service_close(&a.svc);
		return 1;
	}
	pd_service_every(&a.svc, atoi(tick_ms), 250, on_deliver_tick, &a);

	rc = pd_service_run(&a.svc);
	pd_service_close(&a.svc);
	gw_outbound_cleanup();
	return rc;
}
