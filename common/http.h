/* HTTP server on libevent evhttp with the limits evhttp lacks by default:
 * body and header size caps, a whole-request deadline (evhttp's own timeouts
 * are idle timeouts only), a connection cap, JSON error bodies, and the
 * /healthz and /metrics routes every service exposes.
 *
 * All calls run on the event loop's thread. A handler may answer later (after
 * a database commit on another thread) by keeping the pd_http_req and calling
 * pd_http_reply* from the loop thread (see pd_loop_call in loop.h); if the
 * client went away or the deadline fired meanwhile the reply is dropped.
 *
 * What libevent 2.1.12 does not let us change (documented for operators):
 *  - A body whose Content-Length (or chunked total) exceeds max_body_bytes is
 *    refused by evhttp before any handler runs, with its own 413 page (HTML,
 *    not JSON; 2.1 has no error-page hook) and the connection is closed.
 *    The status is right; only the body format differs. The rest of an
 *    oversized body is not drained (a client declaring gigabytes cannot
 *    hold the connection), so a client still uploading may see a reset.
 *  - Oversized headers get evhttp's own HTML 400 the same way, and TRACE or
 *    CONNECT its HTML 501; every other method reaches the router (JSON 405).
 *  - evhttp's timeouts are idle timeouts (reset by every byte), so a client
 *    that trickles its headers stays connected. idle_timeout_s bounds a
 *    silent client only; public ingress belongs behind a reverse proxy
 *    (nginx: client_header_timeout, client_body_timeout,
 *    client_max_body_size) and these limits are the second line.
 *  - A client that closes (or half-closes) its side while a handler holds
 *    its request is treated as gone, like nginx does: the connection is
 *    dropped at once and pd_http_req_dead() turns 1.
 *
 * Metrics (shared by every pd_http in the process):
 *   peakdesk_http_requests_total{code="200"}        counter, per status
 *   peakdesk_http_request_seconds                   histogram, handler to reply
 *   peakdesk_http_connections                       gauge, open connections
 *   peakdesk_http_connections_rejected_total        counter, over max_connections
 *   peakdesk_http_deadline_exceeded_total           counter, 503 timeouts
 *   peakdesk_http_client_aborts_total               counter, client left first
 * Requests evhttp refuses itself (413, 400, 501 above) are not counted. */
#ifndef PD_HTTP_H
#define PD_HTTP_H

#include <stddef.h>

struct event_base;
struct evhttp_request;
struct json_object;

typedef struct pd_http pd_http;
typedef struct pd_http_req pd_http_req;

typedef struct pd_http_limits {
	size_t max_body_bytes;     /* default 1 MiB; 413 above */
	size_t max_header_bytes;   /* default 16 KiB; 400 (evhttp's) above */
	int request_deadline_ms;   /* default 10000; 503 {"error":"timeout"} after it */
	int idle_timeout_s;        /* default 30 */
	int max_connections;       /* default 1024; extra connections are accepted
				      and closed at once (client sees EOF/reset) */
} pd_http_limits;
/* A zero field in limits means "the default" for that field. */

/* Handler for one route. Must eventually call pd_http_reply,
 * pd_http_reply_json or pd_http_error exactly once (now or later, on the
 * loop thread). */
typedef void (*pd_http_handler)(pd_http_req *req, void *arg);

/* Returns 1 while the service is healthy, 0 otherwise; detail gets a short
 * JSON-safe reason. Used by GET /healthz (200 {"status":"ok",...} or 503). */
typedef int (*pd_http_health_fn)(void *arg, char *detail, size_t detail_len);

/* Listens on "host:port" (port 0 picks one: see pd_http_port). limits may be
 * NULL for the defaults. Registers GET /healthz and GET /metrics. NULL on failure
 * (logged). */
pd_http *pd_http_new(struct event_base *base, const char *listen_addr,
		     const pd_http_limits *limits);
void pd_http_free(pd_http *h);
int pd_http_port(const pd_http *h);
void pd_http_set_health(pd_http *h, pd_http_health_fn fn, void *arg);

/* Routes: method "GET"/"POST"/...; path is exact, or a prefix when it ends in
 * '/' (e.g. "/v1/track/"). Unknown paths get 404, wrong methods 405, both JSON. */
int pd_http_route(pd_http *h, const char *method, const char *path,
		  pd_http_handler fn, void *arg);

/* Request accessors (borrowed until the reply). Path, method, peer, body and
 * query parameters stay readable after the request died (copies); headers
 * come from libevent's request and are NULL once pd_http_req_dead(). */
const char *pd_http_path(const pd_http_req *req);          /* decoded path, no query */
const char *pd_http_query_param(pd_http_req *req, const char *name); /* NULL if absent */
const char *pd_http_header(const pd_http_req *req, const char *name);
const char *pd_http_body(const pd_http_req *req, size_t *len); /* NUL-terminated copy */
const char *pd_http_method(const pd_http_req *req);
const char *pd_http_peer(const pd_http_req *req);           /* "ip:port" */

/* Replies; each frees req. content_type NULL means application/json. */
void pd_http_reply(pd_http_req *req, int status, const char *content_type,
		   const char *body, size_t len);
void pd_http_reply_json(pd_http_req *req, int status, struct json_object *obj); /* takes obj */
/* {"error": error, "detail": detail} with status. */
void pd_http_error(pd_http_req *req, int status, const char *error, const char *detail);

/* From now on every new request is answered 503 {"error":"shutting_down"}
 * while requests already in handlers still get their replies. */
void pd_http_drain(pd_http *h);

/* 1 when the client is gone or the deadline passed: a late reply is dropped. */
int pd_http_req_dead(const pd_http_req *req);

/* Open connections counted against max_connections. Safe to read from any
 * thread (tests poll it). */
int pd_http_connection_count(const pd_http *h);

#endif
