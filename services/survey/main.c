/* peakdesk-survey: the survey collector. Consumes ticket.resolved (one
 * invitation per ticket, respecting quiet hours and a per-customer limit)
 * and ticket.survey_reply (bare answers on the channel); serves the signed
 * response link; emits message.outbound (invitations), survey.*. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "consumer.h"
#include "log.h"
#include "service.h"
#include "survey.h"

static char secret[256], public_url[256], kinds[64], expiry_h[16], min_days[16], quiet[256], utc_offset[16],
	tick_ms[16];

static const pd_config_extra extras[] = {
	{"PEAKDESK_SURVEY_SECRET", "", "HMAC key of the response links (at least 16 bytes; required)", secret,
	 sizeof(secret), 1},
	{"PEAKDESK_SURVEY_PUBLIC_URL", "http://127.0.0.1:8085",
	 "base URL customers reach the survey link at (the public name in front of this service)", public_url,
	 sizeof(public_url), 0},
	{"PEAKDESK_SURVEY_KINDS", "csat", "survey kinds taking turns over tickets: csat, dsr, nps (comma-separated)", kinds,
	 sizeof(kinds), 0},
	{"PEAKDESK_SURVEY_EXPIRY_HOURS", "72", "a survey link works this long after the invitation went out", expiry_h,
	 sizeof(expiry_h), 0},
	{"PEAKDESK_SURVEY_MIN_DAYS", "7", "at most one invitation per customer per this many days", min_days,
	 sizeof(min_days), 0},
	{"PEAKDESK_SURVEY_QUIET_HOURS", "22:00-08:00",
	 "local hours without invitations (queued until they end); per channel: 22:00-08:00,email=none", quiet,
	 sizeof(quiet), 0},
	{"PEAKDESK_SURVEY_UTC_OFFSET", "+08:00", "customers' local time for the quiet hours, as an offset from UTC",
	 utc_offset, sizeof(utc_offset), 0},
	{"PEAKDESK_SURVEY_TICK_MS", "1000", "how often queued invitations and expiries are checked", tick_ms,
	 sizeof(tick_ms), 0},
	{NULL, NULL, NULL, NULL, 0, 0},
};

struct app {
	pd_service svc;
	sv_context ctx;
	pd_consumer *consumer;
};

static void on_tick(void *arg)
{
	struct app *a = arg;
	sv_tick_submit(a->svc.bus, &a->ctx);
}

static void stop_ingress(pd_service *s, void *arg)
{
	(void)s;
	struct app *a = arg;
	pd_consumer_stop(a->consumer);
	a->consumer = NULL;
}

/* The settings, checked so that a bad one stops the start-up with a reason. */
static int configure(sv_context *ctx, pd_errbuf *eb)
{
	size_t n = strlen(secret);
	if (n < SV_SECRET_MIN)
		return pd_fail(eb, PD_EINVAL, "PEAKDESK_SURVEY_SECRET must be at least %d bytes (e.g. openssl rand -hex 32)",
			       SV_SECRET_MIN);
	memcpy(ctx->secret, secret, n);
	ctx->secret_len = n;
	n = strlen(public_url);
	while (n > 0 && public_url[n - 1] == '/')
		public_url[--n] = 0;
	if (strncmp(public_url, "http://", 7) != 0 && strncmp(public_url, "https://", 8) != 0)
		return pd_fail(eb, PD_EINVAL, "PEAKDESK_SURVEY_PUBLIC_URL must start with http:// or https://");
	snprintf(ctx->public_url, sizeof(ctx->public_url), "%s", public_url);
	char *save = NULL;
	for (char *k = strtok_r(kinds, ", ", &save); k; k = strtok_r(NULL, ", ", &save)) {
		int kind = pd_survey_kind_parse(k);
		if (!kind)
			return pd_fail(eb, PD_EINVAL, "PEAKDESK_SURVEY_KINDS: unknown kind \"%s\" (csat, dsr, nps)", k);
		if (ctx->n_kinds == SV_KINDS_MAX)
			return pd_fail(eb, PD_EINVAL, "PEAKDESK_SURVEY_KINDS: at most %d kinds", SV_KINDS_MAX);
		ctx->kinds[ctx->n_kinds++] = kind;
	}
	if (ctx->n_kinds == 0)
		return pd_fail(eb, PD_EINVAL, "PEAKDESK_SURVEY_KINDS is empty");
	double hours = atof(expiry_h), days = atof(min_days);
	if (hours <= 0)
		return pd_fail(eb, PD_EINVAL, "PEAKDESK_SURVEY_EXPIRY_HOURS must be > 0");
	if (days < 0)
		return pd_fail(eb, PD_EINVAL, "PEAKDESK_SURVEY_MIN_DAYS must be >= 0");
	ctx->expiry_ms = (int64_t)(hours * 3600e3);
	ctx->min_gap_ms = (int64_t)(days * 86400e3);
	return sv_quiet_parse(quiet, utc_offset, &ctx->quiet, eb);
}

int main(int argc, char **argv)
{
	static struct app a;
	int rc = pd_service_init(&a.svc, "survey",
				 "peakdesk-survey: survey collector (CSAT, shop-score dimensions, NPS)\n\n"
				 "Usage: peakdesk-survey [--help]\n\n"
				 "Consumes ticket.resolved and ticket.survey_reply (a bare \"5\" on the channel);\n"
				 "emits message.outbound (invitations), survey.invitation_sent,\n"
				 "survey.response_recorded, survey.low_score.\n"
				 "Customers: GET/POST /s/{token} (the signed link: a form in a browser),\n"
				 "           GET/POST /v1/surveys/{token} (JSON)\n"
				 "Also: GET /healthz, GET /metrics",
				 extras, argc, argv);
	if (rc != 0)
		return rc == 1 ? 0 : 1;
	pd_errbuf eb = {{0}};
	if (configure(&a.ctx, &eb) != PD_OK) {
		pd_log_error("bad survey settings", "detail=\"%s\"", eb.msg);
		pd_service_close(&a.svc);
		return 2;
	}
	static char addrbuf[PD_SERVICES_MAX][PD_CFG_STR];
	const char *addrs[PD_SERVICES_MAX + 1];
	pd_config_pub_addrs(a.svc.cfg.run_dir, addrbuf, addrs);
	static const char *prefixes[] = {"ticket.resolved", "ticket.survey_reply", NULL};
	pd_consumer_options co = {.name = a.svc.cfg.instance, .pub_addrs = addrs, .prefixes = prefixes};
	static const pd_consumer_ops ops = {.apply = sv_apply_event};
	a.consumer = pd_consumer_start(a.svc.bus, a.svc.base, &co, &ops, &a.ctx, &eb);
	if (!a.consumer) {
		pd_log_error("cannot start the consumer", "detail=\"%s\"", eb.msg);
		pd_service_close(&a.svc);
		return 1;
	}
	sv_link_http_route(a.svc.http, a.svc.bus, &a.ctx);
	a.svc.on_stop = stop_ingress;
	a.svc.on_stop_arg = &a;
	pd_service_every(&a.svc, atoi(tick_ms), 1000, on_tick, &a);
	rc = pd_service_run(&a.svc);
	pd_service_close(&a.svc);
	return rc;
}
