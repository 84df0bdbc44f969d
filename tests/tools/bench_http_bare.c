/* bench_http_bare: the raw HTTP baseline for the gateway webhook benchmark.
 * The same HTTP stack as every peakdesk service (common/http.c on libevent
 * evhttp, one loop thread, pthread locking on as in pd_service_init, default
 * limits, deadline timer and client-gone watcher per request), with one route,
 * POST /v1/channels/, whose handler answers at once
 *   200 {"status":"accepted","messageId":"<a fixed uuid>"}
 * (the gateway's reply, same size) without reading the body, checking the
 * signature or storing anything. The gateway's figure divided by this one is
 * what the webhook's work (HMAC, JSON decoding, validation, the writer
 * thread, the INSERT and the outbox row, the durable commit) costs against
 * HTTP alone.
 *
 *   bench_http_bare --listen 127.0.0.1:PORT [--ready-file F]
 * Runs until SIGTERM or SIGINT; then prints
 *   "RESULT http_bare requests=N" (requests answered) on stdout. */
#include <event2/event.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"
#include "http.h"
#include "log.h"
#include "loop.h"

static unsigned long long g_requests;

static void handle(pd_http_req *req, void *arg)
{
	(void)arg;
	static const char body[] = "{\"status\":\"accepted\",\"messageId\":\"0b6c1f4e-3d2a-4c59-8e7f-1a2b3c4d5e6f\"}";
	g_requests++;
	pd_http_reply(req, 200, NULL, body, sizeof(body) - 1);
}

static void on_signal(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	event_base_loopbreak(arg);
}

int main(int argc, char **argv)
{
	const char *listen = bench_opt(argc, argv, "--listen", NULL);
	const char *ready = bench_opt(argc, argv, "--ready-file", NULL);
	if (!listen) {
		fprintf(stderr, "usage: bench_http_bare --listen HOST:PORT [--ready-file FILE]\n");
		return 2;
	}
	pd_log_init("bench", "bench-http-bare", getenv("PEAKDESK_LOG_LEVEL") ? getenv("PEAKDESK_LOG_LEVEL") : "warn",
		    "logfmt");
	signal(SIGPIPE, SIG_IGN);
	pd_loop_global_init(); /* as pd_service_init: libevent with pthread locks */
	struct event_base *base = event_base_new();
	if (!base || pd_loop_init(base) != 0) {
		fprintf(stderr, "bench_http_bare: cannot create the event loop\n");
		return 1;
	}
	pd_http *h = pd_http_new(base, listen, NULL);
	if (!h)
		return 1;
	pd_http_route(h, "POST", "/v1/channels/", handle, NULL);
	struct event *ev_term = evsignal_new(base, SIGTERM, on_signal, base);
	struct event *ev_int = evsignal_new(base, SIGINT, on_signal, base);
	event_add(ev_term, NULL);
	event_add(ev_int, NULL);
	if (ready) {
		FILE *f = fopen(ready, "w");
		if (!f) {
			perror(ready);
			return 1;
		}
		fprintf(f, "%d\n", pd_http_port(h));
		fclose(f);
	}
	event_base_dispatch(base);
	event_free(ev_term);
	event_free(ev_int);
	pd_http_free(h);
	pd_loop_shutdown();
	event_base_free(base);
	printf("RESULT http_bare requests=%llu\n", g_requests);
	return 0;
}
