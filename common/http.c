/* HTTP server on libevent 2.1.12 evhttp (see http.h for the contract).
 *
 * evhttp 2.1.12 gives body/header size limits and idle timeouts but no
 * connection cap, no whole-request deadline, and no notice when a client
 * leaves while a handler holds its request (evhttp stops reading the socket
 * while the request is with the user). This file adds those:
 *
 *  - Connection cap. 2.1.12 has no "new connection" hook (evhttp_set_newreqcb
 *    is 2.2) and no way to hand an accepted fd to evhttp from our own
 *    listener. The one per-connection hook is evhttp_set_bevcb, called just
 *    before evhttp builds its evhttp_connection around our bufferevent. So
 *    make_bev() keeps a reference on the new bufferevent and activates a
 *    zero-delay event; when that runs (same loop iteration, before any byte
 *    is read) the bufferevent's callback argument is the evhttp_connection
 *    (evhttp sets it with bufferevent_setcb). Over the cap we free that
 *    connection, which closes the socket; otherwise we count it and set a
 *    close callback that uncounts it. The reference keeps the bufferevent's
 *    memory valid even if evhttp dropped the connection in between; evhttp
 *    clears the callbacks when it frees one, which is how we notice.
 *  - Deadline: a timer per request from the moment it reaches the handler.
 *  - Client gone: a read watcher on the socket while a handler holds the
 *    request (evhttp itself has reads disabled then). EOF, an error or a
 *    close frees the connection; its close callback marks the request dead.
 *
 * Ownership: a pd_http_req is owned by the handler until pd_http_reply*.
 * "Dead" means we already answered (deadline) or libevent freed the
 * evhttp_request (client gone, server freed): ev is NULL, and the handler's
 * eventual reply only frees the wrapper. */
#include "http.h"

#include "log.h"
#include "metrics.h"
#include "pd.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <json-c/json.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#define DEFAULT_MAX_BODY (1024 * 1024)
#define DEFAULT_MAX_HEADER (16 * 1024)
#define DEFAULT_DEADLINE_MS 10000
#define DEFAULT_IDLE_S 30
#define DEFAULT_MAX_CONN 1024

struct route {
	char method[16];
	char *path;
	size_t plen;
	int prefix; /* path ends in '/': matches everything under it */
	pd_http_handler fn;
	void *arg;
};

/* One accepted connection we counted. Found from its evhttp_connection via a
 * small hash table because 2.1.12 has no getter for a connection's close-
 * callback argument. */
struct conn {
	struct evhttp_connection *evcon;
	pd_http *h;
	pd_http_req *active; /* request held by a handler, if any */
	struct conn *hnext;
};

struct pd_http {
	struct event_base *base;
	struct evhttp *http;
	struct evhttp_bound_socket *bound;
	pd_http_limits lim;

	struct route *routes;
	size_t nroutes, caproutes;

	pd_http_health_fn health;
	void *health_arg;

	struct conn **buckets;
	size_t nbuckets; /* power of two */
	atomic_int nconn;

	/* bufferevents handed to evhttp whose connection is not yet counted */
	struct bufferevent **pending;
	size_t npending, cappending;
	struct event *admit_ev;
	time_t last_reject_log;

	int draining; /* shutting down: new requests get 503 */

	pd_metric *m_conns, *m_seconds, *m_rejected, *m_timeouts, *m_aborts;
	pd_metric *m_code[600]; /* peakdesk_http_requests_total by status, lazily */
};

struct pd_http_req {
	pd_http *h;                /* NULL once dead */
	struct evhttp_request *ev; /* NULL once dead */
	struct conn *conn;         /* NULL once dead */
	struct event *deadline;
	struct event *watch; /* client-gone watcher */
	int dead;
	char method[16];
	char *path;
	char *query;
	struct evkeyvalq params;
	int params_state; /* 0 not parsed, 1 parsed, -1 malformed */
	char *body;
	size_t body_len;
	char peer[80];
	struct timespec start;
};

/* ---- connection table ---------------------------------------------------- */

static size_t conn_slot(const pd_http *h, const void *evcon)
{
	uintptr_t k = (uintptr_t)evcon;
	k ^= k >> 17;
	k *= (uintptr_t)0x9E3779B97F4A7C15ull;
	return (size_t)(k >> 7) & (h->nbuckets - 1);
}

static struct conn *conn_find(pd_http *h, const struct evhttp_connection *evcon)
{
	for (struct conn *c = h->buckets[conn_slot(h, evcon)]; c; c = c->hnext)
		if (c->evcon == evcon)
			return c;
	return NULL;
}

static void conn_unlink(pd_http *h, struct conn *c)
{
	struct conn **pp = &h->buckets[conn_slot(h, c->evcon)];
	while (*pp && *pp != c)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = c->hnext;
}

/* ---- request lifetime ---------------------------------------------------- */

/* Stops the request's timers and unhooks it from libevent and its
 * connection: afterwards the wrapper is dead and only its copies remain. */
static void req_detach(pd_http_req *w)
{
	if (w->deadline) {
		event_free(w->deadline);
		w->deadline = NULL;
	}
	if (w->watch) {
		event_free(w->watch);
		w->watch = NULL;
	}
	if (w->conn && w->conn->active == w)
		w->conn->active = NULL;
	w->conn = NULL;
	w->ev = NULL;
	w->h = NULL;
	w->dead = 1;
}

static void req_free(pd_http_req *w)
{
	if (w->params_state != 0)
		evhttp_clear_headers(&w->params);
	free(w->path);
	free(w->query);
	free(w->body);
	free(w);
}

/* evhttp calls this from evhttp_connection_free, before it frees the
 * connection's requests, for every way a connection ends (reply with close,
 * error, idle timeout, our own free, evhttp_free). */
static void on_conn_close(struct evhttp_connection *evcon, void *arg)
{
	struct conn *c = arg;
	pd_http *h = c->h;
	/* A second call for the same connection would find c freed. */
	evhttp_connection_set_closecb(evcon, NULL, NULL);
	pd_http_req *w = c->active;
	if (w) {
		/* On EOF/timeout evhttp may detach a request the user still holds
		 * (req->evcon = NULL) instead of freeing it, expecting the user to
		 * send a reply later. We will never send one, so free it here. */
		if (evhttp_request_get_connection(w->ev) == NULL)
			evhttp_request_free(w->ev);
		req_detach(w);
	}
	conn_unlink(h, c);
	atomic_fetch_sub(&h->nconn, 1);
	pd_metric_add(h->m_conns, -1);
	free(c);
}

static struct conn *conn_add(pd_http *h, struct evhttp_connection *evcon)
{
	struct conn *c = pd_xcalloc(1, sizeof(*c));
	c->evcon = evcon;
	c->h = h;
	size_t s = conn_slot(h, evcon);
	c->hnext = h->buckets[s];
	h->buckets[s] = c;
	atomic_fetch_add(&h->nconn, 1);
	pd_metric_add(h->m_conns, 1);
	evhttp_connection_set_closecb(evcon, on_conn_close, c);
	return c;
}

/* ---- connection cap ------------------------------------------------------ */

static struct bufferevent *make_bev(struct event_base *base, void *arg)
{
	pd_http *h = arg;
	/* The same kind evhttp makes by default; fd is set by evhttp. */
	struct bufferevent *bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	if (!bev)
		return NULL; /* evhttp then makes its own; on_request counts it */
	bufferevent_incref(bev);
	if (h->npending == h->cappending) {
		h->cappending = h->cappending ? h->cappending * 2 : 16;
		h->pending = pd_xrealloc(h->pending, h->cappending * sizeof(*h->pending));
	}
	h->pending[h->npending++] = bev;
	event_active(h->admit_ev, 0, 0);
	return bev;
}

/* current: the connection whose request evhttp is handing us right now (or
 * NULL); it is counted even over the cap because freeing it inside evhttp's
 * own callback would leave evhttp using freed memory. */
static void admit_pending(pd_http *h, struct evhttp_connection *current)
{
	for (size_t i = 0; i < h->npending; i++) {
		struct bufferevent *bev = h->pending[i];
		bufferevent_data_cb rcb = NULL;
		void *cbarg = NULL;
		bufferevent_getcb(bev, &rcb, NULL, NULL, &cbarg);
		/* No callback: evhttp already freed this connection (it clears
		 * the callbacks on free; our reference kept the memory). */
		if (rcb && cbarg) {
			struct evhttp_connection *evcon = cbarg;
			if (atomic_load(&h->nconn) >= h->lim.max_connections && evcon != current) {
				pd_metric_add(h->m_rejected, 1);
				time_t now = time(NULL);
				if (now != h->last_reject_log) { /* at most one line a second */
					h->last_reject_log = now;
					pd_log_warn("http connection refused: at max_connections",
						    "max_connections=%d", h->lim.max_connections);
				}
				/* Closes the socket now; the client sees EOF/reset. */
				evhttp_connection_free(evcon);
			} else if (!conn_find(h, evcon)) {
				conn_add(h, evcon);
			}
		}
		bufferevent_decref(bev);
	}
	h->npending = 0;
}

static void on_admit(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	admit_pending(arg, NULL);
}

/* ---- replies ------------------------------------------------------------- */

static const char *reason_phrase(int status)
{
	/* Our own table: 2.1.12's lacks some codes we use (e.g. 422, 429). */
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 202: return "Accepted";
	case 204: return "No Content";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 413: return "Payload Too Large";
	case 415: return "Unsupported Media Type";
	case 422: return "Unprocessable Entity";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	}
	return NULL; /* evhttp's own phrase */
}

static double elapsed_s(const struct timespec *start)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - start->tv_sec) + (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

static void count_status(pd_http *h, int status)
{
	if (status < 100 || status > 599)
		return;
	if (!h->m_code[status]) {
		char labels[32];
		snprintf(labels, sizeof(labels), "code=\"%d\"", status);
		h->m_code[status] = pd_counter("peakdesk_http_requests_total",
					       "HTTP requests answered, by status code", labels);
	}
	pd_metric_add(h->m_code[status], 1);
}

/* Sends the reply on a live request and detaches the wrapper (not freed). */
static void send_reply(pd_http_req *w, int status, const char *ctype, const char *body,
		       size_t len, const char *allow)
{
	struct evhttp_request *ev = w->ev;
	pd_http *h = w->h;
	if (status < 100 || status > 599) {
		pd_log_error("handler replied with an invalid status; sending 500", "status=%d path=%s",
			     status, w->path);
		status = 500;
		ctype = NULL;
		body = "{\"error\":\"internal\",\"detail\":\"invalid status from handler\"}";
		len = strlen(body);
	}
	req_detach(w);
	struct evkeyvalq *oh = evhttp_request_get_output_headers(ev);
	evhttp_remove_header(oh, "Content-Type");
	evhttp_add_header(oh, "Content-Type", ctype ? ctype : "application/json");
	if (allow)
		evhttp_add_header(oh, "Allow", allow);
	/* evhttp 2.1.12 would send a body on HEAD; RFC 9110 forbids it. */
	if (body && len && strcmp(w->method, "HEAD") != 0)
		evbuffer_add(evhttp_request_get_output_buffer(ev), body, len);
	evhttp_send_reply(ev, status, reason_phrase(status), NULL);

	double secs = elapsed_s(&w->start);
	count_status(h, status);
	pd_metric_observe(h->m_seconds, secs);
	pd_log_debug("http request", "method=%s path=\"%s\" status=%d ms=%.1f peer=%s", w->method,
		     w->path, status, secs * 1000.0, w->peer);
}

static char *error_json(const char *error, const char *detail, size_t *len)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "error", json_object_new_string(error ? error : "error"));
	json_object_object_add(o, "detail", json_object_new_string(detail ? detail : ""));
	size_t n = 0;
	const char *s = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN, &n);
	char *out = pd_xmalloc(n + 1);
	memcpy(out, s, n + 1);
	json_object_put(o);
	*len = n;
	return out;
}

static void send_error(pd_http_req *w, int status, const char *error, const char *detail,
		       const char *allow)
{
	size_t n;
	char *s = error_json(error, detail, &n);
	send_reply(w, status, NULL, s, n, allow);
	free(s);
}

void pd_http_reply(pd_http_req *req, int status, const char *content_type, const char *body,
		   size_t len)
{
	if (!req)
		return;
	if (!req->dead)
		send_reply(req, status, content_type, body, len, NULL);
	req_free(req);
}

void pd_http_reply_json(pd_http_req *req, int status, struct json_object *obj)
{
	if (!req) {
		json_object_put(obj);
		return;
	}
	if (!req->dead) {
		size_t n = 0;
		const char *s = obj ? json_object_to_json_string_length(obj, JSON_C_TO_STRING_PLAIN, &n)
				    : "null";
		if (!obj)
			n = 4;
		send_reply(req, status, NULL, s, n, NULL);
	}
	json_object_put(obj);
	req_free(req);
}

void pd_http_error(pd_http_req *req, int status, const char *error, const char *detail)
{
	if (!req)
		return;
	if (!req->dead)
		send_error(req, status, error, detail, NULL);
	req_free(req);
}

int pd_http_req_dead(const pd_http_req *req)
{
	return req ? req->dead : 1;
}

/* ---- deadline and client-gone watch -------------------------------------- */

static void on_deadline(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	pd_http_req *w = arg;
	pd_http *h = w->h;
	pd_metric_add(h->m_timeouts, 1);
	pd_log_warn("http request deadline exceeded", "method=%s path=\"%s\" deadline_ms=%d peer=%s",
		    w->method, w->path, h->lim.request_deadline_ms, w->peer);
	char detail[96];
	snprintf(detail, sizeof(detail), "no reply within the %d ms request deadline",
		 h->lim.request_deadline_ms);
	/* The handler still owns w; its later reply finds it dead. */
	send_error(w, 503, "timeout", detail, NULL);
}

static void on_watch(evutil_socket_t fd, short what, void *arg)
{
	pd_http_req *w = arg;
	int gone = (what & EV_CLOSED) != 0;
	if (!gone) {
		char c;
		ssize_t n = recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
		if (n > 0) {
			/* A pipelined request, not a close: stop watching (the
			 * level-triggered read would spin); the deadline still
			 * bounds this request. */
			event_free(w->watch);
			w->watch = NULL;
			return;
		}
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
			return;
		gone = 1;
	}
	pd_http *h = w->h;
	pd_metric_add(h->m_aborts, 1);
	pd_log_info("http client went away before the reply", "method=%s path=\"%s\" peer=%s",
		    w->method, w->path, w->peer);
	/* Frees the connection and, with it, evhttp's request; on_conn_close
	 * marks w dead first. We are outside any evhttp callback here, so
	 * freeing the connection cannot pull it out from under evhttp. */
	evhttp_connection_free(w->conn->evcon);
}

/* ---- routing ------------------------------------------------------------- */

static const char *method_name(enum evhttp_cmd_type t)
{
	switch (t) {
	case EVHTTP_REQ_GET: return "GET";
	case EVHTTP_REQ_POST: return "POST";
	case EVHTTP_REQ_HEAD: return "HEAD";
	case EVHTTP_REQ_PUT: return "PUT";
	case EVHTTP_REQ_DELETE: return "DELETE";
	case EVHTTP_REQ_OPTIONS: return "OPTIONS";
	case EVHTTP_REQ_TRACE: return "TRACE";
	case EVHTTP_REQ_CONNECT: return "CONNECT";
	case EVHTTP_REQ_PATCH: return "PATCH";
	}
	return "UNKNOWN";
}

static int path_matches(const struct route *r, const char *path)
{
	return r->prefix ? strncmp(path, r->path, r->plen) == 0 : strcmp(path, r->path) == 0;
}

/* An exact route beats any prefix; a longer prefix beats a shorter one.
 * HEAD is served by GET routes (evhttp drops the body). Sets *path_known
 * when some route has this path under another method (405, not 404). */
static const struct route *find_route(const pd_http *h, const char *method, const char *path,
				      char *allow, size_t allow_len, int *path_known)
{
	const struct route *best = NULL;
	size_t best_score = 0;
	int best_exact_method = 0;
	*path_known = 0;
	allow[0] = 0;
	for (size_t i = 0; i < h->nroutes; i++) {
		const struct route *r = &h->routes[i];
		if (!path_matches(r, path))
			continue;
		*path_known = 1;
		size_t al = strlen(allow);
		if (!strstr(allow, r->method))
			snprintf(allow + al, allow_len - al, "%s%s", al ? ", " : "", r->method);
		int exact_method = strcmp(r->method, method) == 0;
		if (!exact_method && !(strcmp(method, "HEAD") == 0 && strcmp(r->method, "GET") == 0))
			continue;
		size_t score = r->prefix ? r->plen : SIZE_MAX;
		if (!best || score > best_score ||
		    (score == best_score && exact_method && !best_exact_method)) {
			best = r;
			best_score = score;
			best_exact_method = exact_method;
		}
	}
	return best;
}

static void on_request(struct evhttp_request *ev, void *arg)
{
	pd_http *h = arg;
	struct evhttp_connection *evcon = evhttp_request_get_connection(ev);

	/* Normally admitted already (the admit event runs before any read);
	 * this covers a bufferevent evhttp made itself because ours failed. We
	 * must not free the connection from inside evhttp's callback, so a
	 * late one is counted rather than refused. */
	if (h->npending)
		admit_pending(h, evcon);
	struct conn *c = conn_find(h, evcon);
	if (!c)
		c = conn_add(h, evcon);

	pd_http_req *w = pd_xcalloc(1, sizeof(*w));
	clock_gettime(CLOCK_MONOTONIC, &w->start);
	w->h = h;
	w->ev = ev;
	w->conn = c;
	c->active = w;
	snprintf(w->method, sizeof(w->method), "%s", method_name(evhttp_request_get_command(ev)));

	char *addr = NULL;
	ev_uint16_t port = 0;
	evhttp_connection_get_peer(evcon, &addr, &port);
	if (addr && strchr(addr, ':'))
		snprintf(w->peer, sizeof(w->peer), "[%s]:%u", addr, (unsigned)port);
	else
		snprintf(w->peer, sizeof(w->peer), "%s:%u", addr ? addr : "?", (unsigned)port);

	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(ev);
	const char *raw_path = uri ? evhttp_uri_get_path(uri) : NULL;
	const char *raw_query = uri ? evhttp_uri_get_query(uri) : NULL;
	if (!raw_path || !*raw_path)
		raw_path = "/";
	if (raw_query)
		w->query = pd_xstrdup(raw_query);
	size_t dlen = 0;
	char *decoded = evhttp_uridecode(raw_path, 0, &dlen);
	int bad_path = !decoded || strlen(decoded) != dlen; /* %00 inside */
	w->path = bad_path ? pd_xstrdup(raw_path) : decoded;
	if (bad_path)
		free(decoded);

	struct evbuffer *in = evhttp_request_get_input_buffer(ev);
	w->body_len = evbuffer_get_length(in);
	w->body = pd_xmalloc(w->body_len + 1);
	evbuffer_copyout(in, w->body, w->body_len);
	w->body[w->body_len] = 0;

	struct timeval tv = {h->lim.request_deadline_ms / 1000,
			     (h->lim.request_deadline_ms % 1000) * 1000};
	w->deadline = event_new(h->base, -1, 0, on_deadline, w);
	if (w->deadline)
		event_add(w->deadline, &tv);
	evutil_socket_t fd = bufferevent_getfd(evhttp_connection_get_bufferevent(evcon));
	if (fd >= 0) {
		short evs = EV_READ;
		if (event_base_get_features(h->base) & EV_FEATURE_EARLY_CLOSE)
			evs |= EV_CLOSED;
		w->watch = event_new(h->base, fd, evs, on_watch, w);
		if (w->watch)
			event_add(w->watch, NULL);
	}

	if (bad_path) {
		pd_http_error(w, 400, "bad_request", "path contains an encoded NUL byte");
		return;
	}
	if (h->draining) {
		pd_http_error(w, 503, "shutting_down", "the service is stopping; retry on another instance or later");
		return;
	}
	if (w->body_len > h->lim.max_body_bytes) {
		/* evhttp enforces the limit before we get here; belt and braces. */
		char d[64];
		snprintf(d, sizeof(d), "body exceeds %zu bytes", h->lim.max_body_bytes);
		pd_http_error(w, 413, "too_large", d);
		return;
	}
	char allow[128];
	int path_known = 0;
	const struct route *r = find_route(h, w->method, w->path, allow, sizeof(allow), &path_known);
	if (!r) {
		char d[256];
		if (path_known) {
			snprintf(d, sizeof(d), "%s is not allowed here; allowed: %s", w->method, allow);
			send_error(w, 405, "method_not_allowed", d, allow);
		} else {
			snprintf(d, sizeof(d), "no resource at %.64s", w->path);
			send_error(w, 404, "not_found", d, NULL);
		}
		req_free(w);
		return;
	}
	r->fn(w, r->arg); /* may reply (and free w) before returning */
}

/* ---- built-in routes ----------------------------------------------------- */

static void route_healthz(pd_http_req *req, void *arg)
{
	pd_http *h = arg;
	char detail[256] = "";
	int ok = 1;
	if (h->health) {
		ok = h->health(h->health_arg, detail, sizeof(detail));
		detail[sizeof(detail) - 1] = 0;
	}
	json_object *o = json_object_new_object();
	json_object_object_add(o, "status", json_object_new_string(ok ? "ok" : "unhealthy"));
	if (!ok) /* also an error body like every other one */
		json_object_object_add(o, "error", json_object_new_string("unhealthy"));
	if (!ok || detail[0])
		json_object_object_add(o, "detail", json_object_new_string(detail));
	pd_http_reply_json(req, ok ? 200 : 503, o);
}

static void route_metrics(pd_http_req *req, void *arg)
{
	(void)arg;
	size_t n = 0;
	char *s = pd_metrics_render(&n);
	pd_http_reply(req, 200, "text/plain; version=0.0.4; charset=utf-8", s, n);
	free(s);
}

/* ---- public API ---------------------------------------------------------- */

/* "host:port", "[v6]:port" or ":port" (all interfaces). */
static int parse_listen(const char *s, char *host, size_t hlen, int *port)
{
	if (!s)
		return -1;
	const char *colon = strrchr(s, ':');
	if (!colon || !colon[1])
		return -1;
	char *end;
	long p = strtol(colon + 1, &end, 10);
	if (*end || p < 0 || p > 65535)
		return -1;
	const char *hs = s;
	size_t hl = (size_t)(colon - s);
	if (hl >= 2 && hs[0] == '[' && hs[hl - 1] == ']') {
		hs++;
		hl -= 2;
	}
	if (hl == 0) {
		hs = "0.0.0.0";
		hl = strlen(hs);
	}
	if (hl >= hlen)
		return -1;
	memcpy(host, hs, hl);
	host[hl] = 0;
	*port = (int)p;
	return 0;
}

pd_http *pd_http_new(struct event_base *base, const char *listen_addr,
		     const pd_http_limits *limits)
{
	char host[256];
	int port;
	if (!base || parse_listen(listen_addr, host, sizeof(host), &port) != 0) {
		pd_log_error("http: bad listen address", "listen=\"%s\"",
			     listen_addr ? listen_addr : "(null)");
		return NULL;
	}
	pd_http *h = pd_xcalloc(1, sizeof(*h));
	h->base = base;
	h->lim = (pd_http_limits){DEFAULT_MAX_BODY, DEFAULT_MAX_HEADER, DEFAULT_DEADLINE_MS,
				  DEFAULT_IDLE_S, DEFAULT_MAX_CONN};
	if (limits) {
		if (limits->max_body_bytes)
			h->lim.max_body_bytes = limits->max_body_bytes;
		if (limits->max_header_bytes)
			h->lim.max_header_bytes = limits->max_header_bytes;
		if (limits->request_deadline_ms > 0)
			h->lim.request_deadline_ms = limits->request_deadline_ms;
		if (limits->idle_timeout_s > 0)
			h->lim.idle_timeout_s = limits->idle_timeout_s;
		if (limits->max_connections > 0)
			h->lim.max_connections = limits->max_connections;
	}
	atomic_init(&h->nconn, 0);
	h->nbuckets = 16;
	while (h->nbuckets < (size_t)h->lim.max_connections * 2 && h->nbuckets < 65536)
		h->nbuckets *= 2;
	h->buckets = pd_xcalloc(h->nbuckets, sizeof(*h->buckets));

	h->m_conns = pd_gauge("peakdesk_http_connections", "Open HTTP connections", NULL);
	h->m_seconds = pd_histogram("peakdesk_http_request_seconds",
				    "Time from a request reaching its handler to the reply", NULL);
	h->m_rejected = pd_counter("peakdesk_http_connections_rejected_total",
				   "Connections closed at accept because max_connections were open",
				   NULL);
	h->m_timeouts = pd_counter("peakdesk_http_deadline_exceeded_total",
				   "Requests answered 503 because the handler missed the deadline",
				   NULL);
	h->m_aborts = pd_counter("peakdesk_http_client_aborts_total",
				 "Requests whose client went away before the reply", NULL);

	h->admit_ev = event_new(base, -1, 0, on_admit, h);
	h->http = evhttp_new(base);
	if (!h->admit_ev || !h->http) {
		pd_log_error("http: out of memory creating the server", "listen=%s", listen_addr);
		pd_http_free(h);
		return NULL;
	}
	/* Limits evhttp leaves unlimited by default (see DESIGN.md). */
	evhttp_set_max_body_size(h->http, (ev_ssize_t)h->lim.max_body_bytes);
	evhttp_set_max_headers_size(h->http, (ev_ssize_t)h->lim.max_header_bytes);
	evhttp_set_timeout(h->http, h->lim.idle_timeout_s);
	/* Let every method reach us so a wrong one gets our JSON 405, not
	 * evhttp's HTML 405/501. TRACE and CONNECT stay refused by evhttp. */
	evhttp_set_allowed_methods(h->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
						    EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
						    EVHTTP_REQ_OPTIONS | EVHTTP_REQ_PATCH);
	evhttp_set_bevcb(h->http, make_bev, h);
	evhttp_set_gencb(h->http, on_request, h);

	h->bound = evhttp_bind_socket_with_handle(h->http, host, (ev_uint16_t)port);
	if (!h->bound) {
		int e = errno;
		pd_log_error("http: cannot listen", "listen=%s errno=%d err=\"%s\"", listen_addr, e,
			     strerror(e));
		pd_http_free(h);
		return NULL;
	}
	pd_http_route(h, "GET", "/healthz", route_healthz, h);
	pd_http_route(h, "GET", "/metrics", route_metrics, h);
	pd_log_info("http listening", "host=%s port=%d max_body=%zu max_connections=%d deadline_ms=%d",
		    host, pd_http_port(h), h->lim.max_body_bytes, h->lim.max_connections,
		    h->lim.request_deadline_ms);
	return h;
}

void pd_http_free(pd_http *h)
{
	if (!h)
		return;
	/* Frees every connection; on_conn_close kills held requests, so a
	 * handler that replies later only frees its wrapper. */
	if (h->http)
		evhttp_free(h->http);
	for (size_t i = 0; i < h->npending; i++)
		bufferevent_decref(h->pending[i]);
	free(h->pending);
	if (h->admit_ev)
		event_free(h->admit_ev);
	/* Anything left was never closed through evhttp (should not happen);
	 * its memory went with evhttp_free, so only drop our side. */
	for (size_t i = 0; h->buckets && i < h->nbuckets; i++) {
		struct conn *c = h->buckets[i];
		while (c) {
			struct conn *next = c->hnext;
			if (c->active)
				req_detach(c->active);
			pd_metric_add(h->m_conns, -1);
			free(c);
			c = next;
		}
	}
	free(h->buckets);
	for (size_t i = 0; i < h->nroutes; i++)
		free(h->routes[i].path);
	free(h->routes);
	free(h);
}

int pd_http_port(const pd_http *h)
{
	if (!h || !h->bound)
		return -1;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	if (getsockname(evhttp_bound_socket_get_fd(h->bound), (struct sockaddr *)&ss, &sl) != 0)
		return -1;
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return -1;
}

void pd_http_set_health(pd_http *h, pd_http_health_fn fn, void *arg)
{
	if (!h)
		return;
	h->health = fn;
	h->health_arg = arg;
}

int pd_http_connection_count(const pd_http *h)
{
	return h ? atomic_load(&((pd_http *)h)->nconn) : 0;
}

int pd_http_route(pd_http *h, const char *method, const char *path, pd_http_handler fn,
		  void *arg)
{
	if (!h || !method || !path || path[0] != '/' || !fn || strlen(method) >= 16)
		return PD_EINVAL;
	size_t plen = strlen(path);
	for (size_t i = 0; i < h->nroutes; i++) {
		struct route *r = &h->routes[i];
		if (strcmp(r->method, method) == 0 && strcmp(r->path, path) == 0) {
			r->fn = fn; /* re-registering replaces (e.g. a custom /healthz) */
			r->arg = arg;
			return PD_OK;
		}
	}
	if (h->nroutes == h->caproutes) {
		h->caproutes = h->caproutes ? h->caproutes * 2 : 8;
		h->routes = pd_xrealloc(h->routes, h->caproutes * sizeof(*h->routes));
	}
	struct route *r = &h->routes[h->nroutes++];
	memset(r, 0, sizeof(*r));
	snprintf(r->method, sizeof(r->method), "%s", method);
	r->path = pd_xstrdup(path);
	r->plen = plen;
	r->prefix = path[plen - 1] == '/' && plen > 1;
	r->fn = fn;
	r->arg = arg;
	return PD_OK;
}

/* ---- accessors ----------------------------------------------------------- */

const char *pd_http_path(const pd_http_req *req)
{
	return req->path;
}

const char *pd_http_method(const pd_http_req *req)
{
	return req->method;
}

const char *pd_http_peer(const pd_http_req *req)
{
	return req->peer;
}

const char *pd_http_body(const pd_http_req *req, size_t *len)
{
	if (len)
		*len = req->body_len;
	return req->body;
}

const char *pd_http_header(const pd_http_req *req, const char *name)
{
	if (!req->ev || !name)
		return NULL;
	return evhttp_find_header(evhttp_request_get_input_headers(req->ev), name);
}

const char *pd_http_query_param(pd_http_req *req, const char *name)
{
	if (!req->query || !name)
		return NULL;
	if (req->params_state == 0) {
		/* Decodes %xx and '+'; a malformed query yields no parameters. */
		if (evhttp_parse_query_str(req->query, &req->params) == 0) {
			req->params_state = 1;
		} else {
			evhttp_clear_headers(&req->params);
			req->params_state = -1;
		}
	}
	if (req->params_state < 0)
		return NULL;
	return evhttp_find_header(&req->params, name);
}

void pd_http_drain(pd_http *h)
{
	if (h)
		h->draining = 1;
}
