/* peakdesk-gateway: every customer channel in (generic webhook, WeChat,
 * e-mail piped from an MTA) as message.inbound events, committed before the
 * channel gets its answer. */
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway.h"
#include "log.h"
#include "service.h"

struct app {
	pd_service svc;
	struct event *ev_accounts;
};

static void on_accounts_tick(evutil_socket_t fd, short what, void *arg)
{
	struct app *a = arg;
	gw_accounts_reload(a->svc.bus);
}

static void stop_ingress(pd_service *s, void *arg)
{
	struct app *a = arg;
	if (a->ev_accounts)
		event_free(a->ev_accounts);
	a->ev_accounts = NULL;
}

int main(int argc, char **argv)
{
	static struct app a;
	int rc = pd_service_init(&a.svc, "gateway",
				 "peakdesk-gateway: channel gateway (customer messages in, replies out)\n\n"
				 "Usage: peakdesk-gateway [--help]\n\n"
				 "Generic webhook: POST /v1/channels/{account}/messages (JSON, HMAC-signed)\n"
				 "Also: GET /healthz, GET /metrics",
				 NULL, argc, argv);
	if (rc != 0)
		return rc == 1 ? 0 : 1;
	gw_webhook_route(a.svc.http, a.svc.bus);
	a.svc.on_stop = stop_ingress;
	a.svc.on_stop_arg = &a;
	gw_accounts_reload(a.svc.bus);
	a.ev_accounts = event_new(a.svc.base, -1, EV_PERSIST, on_accounts_tick, &a);
	struct timeval tv = {2, 0};
	event_add(a.ev_accounts, &tv);
	rc = pd_service_run(&a.svc);
	pd_service_close(&a.svc);
	return rc;
}
