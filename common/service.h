/* The skeleton every peakdesk service shares: configuration, logging, the
 * libevent loop, the bus writer, the HTTP server with /healthz and /metrics,
 * and a graceful stop on SIGTERM/SIGINT that drains in-flight batches. */
#ifndef PD_SERVICE_H
#define PD_SERVICE_H

#include "bus.h"
#include "config.h"
#include "http.h"
#include "ingest.h"

struct event_base;

#define PD_SERVICE_TIMERS 4
typedef struct pd_service_timer {
	struct event *ev;
	void (*fn)(void *arg);
	void *arg;
} pd_service_timer;

typedef struct pd_service {
	pd_config cfg;
	struct event_base *base;
	pd_bus *bus;
	pd_http *http;
	struct event *ev_term, *ev_int, *ev_watch, *ev_watchdog;
	void (*on_stop)(struct pd_service *s, void *arg); /* stop ingress before the bus drains */
	void *on_stop_arg;
	pd_ingest *ingest; /* department ingest, when pd_service_start_ingest ran */
	pd_service_timer timers[PD_SERVICE_TIMERS];
} pd_service;

/* Loads config (1: --help printed, -1: bad config), starts logging, waits for
 * the database, claims the publisher name, binds PUB and HTTP. Returns 0, 1,
 * or -1 (logged). */
int pd_service_init(pd_service *s, const char *name, const char *synopsis,
		    const pd_config_extra *extras, int argc, char **argv);

/* Department ingest for a service that takes events (logistics, stock,
 * promo): the NNG REP socket at cfg.ingest and POST /v1/ingest, acks after
 * commit, de-duplicated by event id in log_table; stopped and freed by
 * pd_service_close at the right moments. 0, or -1 (logged). */
int pd_service_start_ingest(pd_service *s, const char *log_table, const pd_ingest_ops *ops, void *arg);

/* Calls fn(arg) on the loop every ms (<= 0: default_ms) until the service
 * stops; timers stop with the ingress, before the bus drains. 0, or -1
 * when all PD_SERVICE_TIMERS are taken (logged). */
int pd_service_every(pd_service *s, int ms, int default_ms, void (*fn)(void *arg), void *arg);

/* Runs the loop until SIGTERM/SIGINT or a fatal bus error. Returns the
 * process exit code. */
int pd_service_run(pd_service *s);

/* Drains the writer and frees everything. */
void pd_service_close(pd_service *s);

#endif
