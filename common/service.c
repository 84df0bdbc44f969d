/* Service skeleton (see service.h). */
#include "service.h"

#include <event2/event.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest_http.h"
#include "log.h"
#include "loop.h"
#include "sd_notify.h"

static volatile int g_stop_startup;

static void startup_signal(int sig)
{
	(void)sig;
	g_stop_startup = 1;
}

static int health(void *arg, char *detail, size_t len)
{
	pd_service *s = arg;
	if (!s->bus) {
		snprintf(detail, len, "stopping");
		return 0;
	}
	return pd_bus_healthy(s->bus, detail, len);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	pd_service *s = arg;
	pd_log_info("stopping", "signal=%d", (int)sig);
	pd_notify("STOPPING=1");
	event_base_loopbreak(s->base);
}

static void on_watch(evutil_socket_t fd, short what, void *arg)
{
	pd_service *s = arg;
	if (pd_bus_fatal(s->bus)) {
		pd_log_error("bus writer stopped for good; exiting", "%s", "");
		event_base_loopbreak(s->base);
	}
}

int pd_service_init(pd_service *s, const char *name, const char *synopsis,
		    const pd_config_extra *extras, int argc, char **argv)
{
	memset(s, 0, sizeof(*s));
	int rc = pd_config_load(&s->cfg, name, synopsis, extras, argc, argv);
	if (rc != 0)
		return rc;
	pd_log_init(name, s->cfg.instance, s->cfg.log_level, s->cfg.log_format);
	signal(SIGPIPE, SIG_IGN);
	struct sigaction sa = {0};
	sa.sa_handler = startup_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	pd_loop_global_init();
	s->base = event_base_new();
	pd_loop_init(s->base);
	pd_errbuf eb = {{0}};
	pd_bus_options bo = {
		.service = name,
		.instance = s->cfg.instance,
		.conninfo = s->cfg.db,
		.role = s->cfg.role,
		.pub_addr = s->cfg.pub,
		.retention_hours = atoi(getenv("PEAKDESK_OUTBOX_RETENTION_HOURS") ? getenv("PEAKDESK_OUTBOX_RETENTION_HOURS") : "168"),
		/* a crashed predecessor's session may hold the name a little
		 * longer than the process lived: wait for it before giving up */
		.lock_wait_ms = atoi(getenv("PEAKDESK_PUBLISHER_LOCK_WAIT_MS") ? getenv("PEAKDESK_PUBLISHER_LOCK_WAIT_MS") : "15000"),
		.stop = &g_stop_startup,
		/* a job's writes go out without waiting for each answer: one
		 * round trip per read instead of one per statement */
		.defer_writes = 1,
	};
	rc = pd_bus_open(&s->bus, &bo, &eb);
	if (rc != PD_OK) {
		pd_log_error("cannot start", "detail=\"%s\"", eb.msg);
		return -1;
	}
	s->http = pd_http_new(s->base, s->cfg.http, NULL);
	if (!s->http) {
		pd_log_error("cannot start HTTP", "addr=%s", s->cfg.http);
		return -1;
	}
	pd_http_set_health(s->http, health, s);
	s->ev_term = evsignal_new(s->base, SIGTERM, on_signal, s);
	s->ev_int = evsignal_new(s->base, SIGINT, on_signal, s);
	event_add(s->ev_term, NULL);
	event_add(s->ev_int, NULL);
	s->ev_watch = event_new(s->base, -1, EV_PERSIST, on_watch, s);
	struct timeval tv = {1, 0};
	event_add(s->ev_watch, &tv);
	return 0;
}

/* The loop turns: tell systemd's watchdog. A loop wedged in a handler
 * stops these pings and systemd restarts the service; a database outage
 * does not (the loop still turns, /healthz says 503, and a restart would
 * not bring the database back). */
static void on_watchdog(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what, (void)arg;
	pd_notify("WATCHDOG=1");
}

int pd_service_run(pd_service *s)
{
	if (g_stop_startup)
		return 0;
	pd_log_info("service running", "http=%s pub=%s ingest=%s", s->cfg.http, s->cfg.pub,
		    *s->cfg.ingest ? s->cfg.ingest : "-");
	int64_t wd = pd_notify_watchdog_usec();
	if (wd > 0) {
		s->ev_watchdog = event_new(s->base, -1, EV_PERSIST, on_watchdog, s);
		struct timeval tv = {(time_t)(wd / 2 / 1000000), (suseconds_t)(wd / 2 % 1000000)};
		event_add(s->ev_watchdog, &tv);
	}
	pd_notify("READY=1\nSTATUS=running");
	event_base_dispatch(s->base);
	return pd_bus_fatal(s->bus) ? 1 : 0;
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	pd_service_timer *t = arg;
	t->fn(t->arg);
}

int pd_service_every(pd_service *s, int ms, int default_ms, void (*fn)(void *arg), void *arg)
{
	if (ms <= 0)
		ms = default_ms;
	for (int i = 0; i < PD_SERVICE_TIMERS; i++) {
		pd_service_timer *t = &s->timers[i];
		if (t->ev)
			continue;
		t->fn = fn;
		t->arg = arg;
		t->ev = event_new(s->base, -1, EV_PERSIST, on_timer, t);
		struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
		event_add(t->ev, &tv);
		return 0;
	}
	pd_log_error("too many timers", "max=%d", PD_SERVICE_TIMERS);
	return -1;
}

int pd_service_start_ingest(pd_service *s, const char *log_table, const pd_ingest_ops *ops, void *arg)
{
	pd_errbuf eb = {{0}};
	pd_ingest_options io = {.service = s->cfg.service, .log_table = log_table, .addr = s->cfg.ingest};
	s->ingest = pd_ingest_start(s->bus, &io, ops, arg, &eb);
	if (!s->ingest) {
		pd_log_error("cannot start ingest", "detail=\"%s\"", eb.msg);
		return -1;
	}
	pd_ingest_http_route(s->http, s->ingest);
	return 0;
}

void pd_service_close(pd_service *s)
{
	/* Order matters: stop taking work (ingest sockets, new HTTP requests,
	 * timers), then let the writer finish and commit what it has, then
	 * deliver the replies those commits produced, then free. */
	if (s->ingest)
		pd_ingest_stop(s->ingest);
	for (int i = 0; i < PD_SERVICE_TIMERS; i++)
		if (s->timers[i].ev) {
			event_free(s->timers[i].ev);
			s->timers[i].ev = NULL;
		}
	if (s->on_stop)
		s->on_stop(s, s->on_stop_arg);
	pd_http_drain(s->http);
	if (s->ev_term)
		event_free(s->ev_term);
	if (s->ev_int)
		event_free(s->ev_int);
	if (s->ev_watch)
		event_free(s->ev_watch);
	if (s->ev_watchdog)
		event_free(s->ev_watchdog);
	s->ev_term = s->ev_int = s->ev_watch = s->ev_watchdog = NULL;
	if (s->bus)
		pd_bus_close(s->bus);
	s->bus = NULL;
	/* after the writer: batches still in it held the ingest's contexts */
	if (s->ingest)
		pd_ingest_free(s->ingest);
	s->ingest = NULL;
	if (s->base)
		event_base_loop(s->base, EVLOOP_NONBLOCK);
	if (s->http)
		pd_http_free(s->http);
	pd_loop_shutdown();
	if (s->base)
		event_base_free(s->base);
	pd_log_info("stopped", "%s", "");
}
