/* Check tests for common/http.c and common/loop.c over real loopback HTTP:
 * the server runs a libevent loop on its own thread, the test thread is the
 * client with plain sockets. Covers routing and JSON errors, the body limit,
 * the request deadline, the connection cap, a client leaving while a handler
 * holds its request (run under ASan/valgrind to prove no use-after-free),
 * /healthz, /metrics and pd_loop_call from other threads. */
#include "http.h"
#include "loop.h"
#include "metrics.h"
#include "pd.h"
#include "pd_check.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/event.h>
#include <json-c/json.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* ---- server on a thread -------------------------------------------------- */

struct srv {
	struct event_base *base;
	pd_http *h;
	pthread_t thr;
	int port;
};

static struct srv S;
static pthread_t g_loop_thread;

/* State the handlers share with the test thread. */
static _Atomic(pd_http_req *) g_held;
static atomic_int g_handler_entered;
static atomic_int g_late_done;
static atomic_int g_dead_at_reply;
static atomic_int g_healthy;
/* Handlers run on the loop thread, where a failing ck_assert would unwind
 * the wrong thread: they count problems here and srv_stop asserts zero. */
static atomic_int g_bad;

static void *loop_main(void *arg)
{
	struct srv *s = arg;
	g_loop_thread = pthread_self();
	event_base_loop(s->base, EVLOOP_NO_EXIT_ON_EMPTY);
	return NULL;
}

static void h_hello(pd_http_req *req, void *arg);
static void h_echo(pd_http_req *req, void *arg);
static void h_track(pd_http_req *req, void *arg);
static void h_hang(pd_http_req *req, void *arg);
static void h_defer(pd_http_req *req, void *arg);
static void h_thread(pd_http_req *req, void *arg);

static void srv_start(const pd_http_limits *lim)
{
	atomic_store(&g_held, NULL);
	atomic_store(&g_handler_entered, 0);
	atomic_store(&g_late_done, 0);
	atomic_store(&g_dead_at_reply, -1);
	atomic_store(&g_healthy, 1);
	atomic_store(&g_bad, 0);
	ck_assert_int_eq(pd_loop_global_init(), 0);
	S.base = event_base_new();
	ck_assert_ptr_nonnull(S.base);
	ck_assert_int_eq(pd_loop_init(S.base), 0);
	S.h = pd_http_new(S.base, "127.0.0.1:0", lim);
	ck_assert_ptr_nonnull(S.h);
	S.port = pd_http_port(S.h);
	ck_assert_int_gt(S.port, 0);
	ck_assert_int_eq(pd_http_route(S.h, "GET", "/hello", h_hello, NULL), 0);
	ck_assert_int_eq(pd_http_route(S.h, "POST", "/echo", h_echo, NULL), 0);
	ck_assert_int_eq(pd_http_route(S.h, "GET", "/v1/track/", h_track, NULL), 0);
	ck_assert_int_eq(pd_http_route(S.h, "GET", "/hang", h_hang, NULL), 0);
	ck_assert_int_eq(pd_http_route(S.h, "GET", "/defer", h_defer, &S), 0);
	ck_assert_int_eq(pd_http_route(S.h, "GET", "/thread", h_thread, NULL), 0);
	ck_assert_int_ne(pd_http_route(S.h, "GET", "no-slash", h_hello, NULL), 0);
	ck_assert_int_eq(pthread_create(&S.thr, NULL, loop_main, &S), 0);
}

static void srv_stop(void)
{
	event_base_loopbreak(S.base); /* thread-safe: pthread locking is on */
	pthread_join(S.thr, NULL);
	pd_http_free(S.h);
	pd_loop_shutdown();
	event_base_free(S.base);
	memset(&S, 0, sizeof(S));
	ck_assert_int_eq(atomic_load(&g_bad), 0);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

/* Polls an int until it equals want or timeout_ms passes; returns 1 if it did. */
static int wait_int(atomic_int *v, int want, int timeout_ms)
{
	for (int i = 0; i < timeout_ms / 5; i++) {
		if (atomic_load(v) == want)
			return 1;
		sleep_ms(5);
	}
	return atomic_load(v) == want;
}

static int wait_conns(int want, int timeout_ms)
{
	for (int i = 0; i < timeout_ms / 5; i++) {
		if (pd_http_connection_count(S.h) == want)
			return 1;
		sleep_ms(5);
	}
	return pd_http_connection_count(S.h) == want;
}

/* ---- handlers (loop thread) ---------------------------------------------- */

static void h_hello(pd_http_req *req, void *arg)
{
	(void)arg;
	if (!pthread_equal(pthread_self(), g_loop_thread))
		atomic_fetch_add(&g_bad, 1);
	json_object *o = json_object_new_object();
	json_object_object_add(o, "hello", json_object_new_string("world"));
	const char *x = pd_http_query_param(req, "x");
	json_object_object_add(o, "x", json_object_new_string(x ? x : "(none)"));
	const char *hv = pd_http_header(req, "X-Test");
	json_object_object_add(o, "hdr", json_object_new_string(hv ? hv : "(none)"));
	json_object_object_add(o, "peer", json_object_new_string(pd_http_peer(req)));
	json_object_object_add(o, "method", json_object_new_string(pd_http_method(req)));
	pd_http_reply_json(req, 200, o);
}

static void h_echo(pd_http_req *req, void *arg)
{
	(void)arg;
	size_t n = 0;
	const char *b = pd_http_body(req, &n);
	if (strlen(b) != n) /* must be a NUL-terminated copy */
		atomic_fetch_add(&g_bad, 1);
	pd_http_reply(req, 200, "text/plain", b, n);
}

static void h_track(pd_http_req *req, void *arg)
{
	(void)arg;
	const char *p = pd_http_path(req) + strlen("/v1/track/");
	pd_http_reply(req, 200, "text/plain", p, strlen(p));
}

/* Never replies: the deadline must answer. The test frees it later. */
static void h_hang(pd_http_req *req, void *arg)
{
	(void)arg;
	atomic_store(&g_held, req);
	atomic_fetch_add(&g_handler_entered, 1);
}

/* Runs on the loop thread (via pd_loop_call or a timer): the late reply. */
static void late_reply(void *arg)
{
	(void)arg;
	pd_http_req *req = atomic_exchange(&g_held, NULL);
	if (req) {
		atomic_store(&g_dead_at_reply, pd_http_req_dead(req));
		/* Dead requests keep their copies readable, headers are gone. */
		if (pd_http_req_dead(req) &&
		    (!pd_http_path(req) || pd_http_header(req, "Host") != NULL))
			atomic_fetch_add(&g_bad, 1);
		pd_http_reply(req, 200, "text/plain", "late", 4);
	}
	atomic_store(&g_late_done, 1);
}

static void defer_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct event **evp = arg;
	event_free(*evp);
	free(evp);
	late_reply(NULL);
}

/* Holds the request and replies from a timer 2 s later. */
static void h_defer(pd_http_req *req, void *arg)
{
	struct srv *s = arg;
	atomic_store(&g_held, req);
	struct event **evp = malloc(sizeof(*evp));
	*evp = evtimer_new(s->base, defer_timer, evp);
	struct timeval tv = {2, 0};
	evtimer_add(*evp, &tv);
	atomic_fetch_add(&g_handler_entered, 1);
}

static void thread_reply(void *arg)
{
	if (!pthread_equal(pthread_self(), g_loop_thread))
		atomic_fetch_add(&g_bad, 1);
	pd_http_reply(arg, 200, "text/plain", "from thread", 11);
}

static void *worker(void *arg)
{
	sleep_ms(30); /* "a database commit" */
	pd_loop_call(thread_reply, arg);
	return NULL;
}

/* Replies from another thread through pd_loop_call. */
static void h_thread(pd_http_req *req, void *arg)
{
	(void)arg;
	pthread_t t;
	if (pthread_create(&t, NULL, worker, req) != 0) {
		pd_http_error(req, 500, "internal", "pthread_create failed");
		return;
	}
	pthread_detach(t);
}

static int health_fn(void *arg, char *detail, size_t len)
{
	(void)arg;
	if (atomic_load(&g_healthy))
		return 1;
	snprintf(detail, len, "database unreachable");
	return 0;
}

/* ---- raw-socket client --------------------------------------------------- */

struct resp {
	int status;
	char *raw;   /* whole response, NUL-terminated */
	char *body;  /* into raw */
	size_t body_len;
};

static int cli_connect(int timeout_ms)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(fd, 0);
	struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)S.port)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	return fd;
}

static void send_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		ck_assert_int_gt(w, 0);
		p += w;
		n -= (size_t)w;
	}
}

static void parse_resp(struct resp *r, char *raw, size_t n)
{
	r->raw = raw;
	r->status = 0;
	r->body = NULL;
	r->body_len = 0;
	if (sscanf(raw, "HTTP/1.%*d %d", &r->status) != 1)
		r->status = 0;
	char *sep = strstr(raw, "\r\n\r\n");
	if (sep) {
		r->body = sep + 4;
		r->body_len = n - (size_t)(r->body - raw);
	}
}

/* Reads until EOF (requests say Connection: close). */
static void read_all(int fd, struct resp *r)
{
	size_t cap = 1 << 16, n = 0;
	char *buf = malloc(cap + 1);
	for (;;) {
		if (n == cap) {
			cap *= 2;
			buf = realloc(buf, cap + 1);
		}
		ssize_t got = recv(fd, buf + n, cap - n, 0);
		if (got <= 0)
			break;
		n += (size_t)got;
	}
	buf[n] = 0;
	parse_resp(r, buf, n);
}

/* Reads exactly one response framed by Content-Length (keep-alive). */
static void read_one(int fd, struct resp *r)
{
	size_t cap = 1 << 16, n = 0;
	char *buf = malloc(cap + 1);
	for (;;) {
		buf[n] = 0;
		char *sep = strstr(buf, "\r\n\r\n");
		if (sep) {
			const char *cl = strcasestr(buf, "\r\nContent-Length:");
			size_t want = (size_t)(sep + 4 - buf) + (cl ? strtoul(cl + 17, NULL, 10) : 0);
			if (n >= want)
				break;
		}
		ssize_t got = recv(fd, buf + n, cap - n, 0);
		if (got <= 0)
			break;
		n += (size_t)got;
	}
	buf[n] = 0;
	parse_resp(r, buf, n);
}

static struct resp request(const char *raw)
{
	int fd = cli_connect(10000);
	send_all(fd, raw, strlen(raw));
	struct resp r;
	read_all(fd, &r);
	close(fd);
	return r;
}

static struct resp get(const char *path)
{
	char buf[512];
	snprintf(buf, sizeof(buf), "GET %s HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", path);
	return request(buf);
}

static const char *header(const struct resp *r, const char *name, char *out, size_t len)
{
	char key[128];
	snprintf(key, sizeof(key), "\r\n%s:", name);
	const char *p = strcasestr(r->raw, key);
	if (!p || (r->body && p > r->body))
		return NULL;
	p += strlen(key);
	while (*p == ' ')
		p++;
	size_t i = 0;
	while (p[i] && p[i] != '\r' && i + 1 < len) {
		out[i] = p[i];
		i++;
	}
	out[i] = 0;
	return out;
}

/* Returns the string member key of the JSON body (static copy) or NULL. */
static const char *json_field(const struct resp *r, const char *key)
{
	static char out[512];
	json_object *o = r->body ? json_tokener_parse(r->body) : NULL;
	json_object *v = NULL;
	const char *res = NULL;
	if (o && json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string)) {
		snprintf(out, sizeof(out), "%s", json_object_get_string(v));
		res = out;
	}
	json_object_put(o);
	return res;
}

static void resp_free(struct resp *r)
{
	free(r->raw);
	r->raw = NULL;
}

static int64_t counter(const char *name)
{
	return pd_metric_value(pd_counter(name, "", NULL));
}

/* ---- tests --------------------------------------------------------------- */

START_TEST(test_routes_200)
{
	srv_start(NULL);
	struct resp r = request("GET /hello?x=a%20b&y=2 HTTP/1.1\r\nHost: t\r\nX-Test: hi\r\n"
				"Connection: close\r\n\r\n");
	ck_assert_int_eq(r.status, 200);
	char ct[128];
	ck_assert_ptr_nonnull(header(&r, "Content-Type", ct, sizeof(ct)));
	ck_assert_str_eq(ct, "application/json");
	ck_assert_str_eq(json_field(&r, "hello"), "world");
	ck_assert_str_eq(json_field(&r, "x"), "a b");
	ck_assert_str_eq(json_field(&r, "hdr"), "hi");
	ck_assert_str_eq(json_field(&r, "method"), "GET");
	ck_assert_ptr_nonnull(strstr(json_field(&r, "peer"), "127.0.0.1:"));
	resp_free(&r);

	r = request("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\n"
		    "Connection: close\r\n\r\nping");
	ck_assert_int_eq(r.status, 200);
	ck_assert_uint_eq(r.body_len, 4);
	ck_assert_str_eq(r.body, "ping");
	resp_free(&r);

	/* Prefix route, with the path percent-decoded. */
	r = get("/v1/track/PD%2D42");
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(r.body, "PD-42");
	resp_free(&r);

	/* HEAD is served by the GET route, without a body. */
	r = request("HEAD /hello HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
	ck_assert_int_eq(r.status, 200);
	ck_assert_uint_eq(r.body_len, 0);
	resp_free(&r);

	/* A reply from another thread through pd_loop_call. */
	r = get("/thread");
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(r.body, "from thread");
	resp_free(&r);
	srv_stop();
}
END_TEST

START_TEST(test_404_405_json)
{
	srv_start(NULL);
	struct resp r = get("/nope");
	ck_assert_int_eq(r.status, 404);
	char ct[128];
	ck_assert_str_eq(header(&r, "Content-Type", ct, sizeof(ct)), "application/json");
	ck_assert_str_eq(json_field(&r, "error"), "not_found");
	ck_assert_ptr_nonnull(json_field(&r, "detail"));
	resp_free(&r);

	/* "/v1/track/" is a prefix route; "/v1/track" is not under it. */
	r = get("/v1/track");
	ck_assert_int_eq(r.status, 404);
	resp_free(&r);

	r = request("POST /hello HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n"
		    "Connection: close\r\n\r\n");
	ck_assert_int_eq(r.status, 405);
	ck_assert_str_eq(json_field(&r, "error"), "method_not_allowed");
	ck_assert_ptr_nonnull(json_field(&r, "detail"));
	char allow[64];
	ck_assert_ptr_nonnull(header(&r, "Allow", allow, sizeof(allow)));
	ck_assert_str_eq(allow, "GET");
	resp_free(&r);

	r = request("DELETE /echo HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
	ck_assert_int_eq(r.status, 405);
	ck_assert_str_eq(json_field(&r, "error"), "method_not_allowed");
	resp_free(&r);

	/* An encoded NUL in the path is refused, not truncated. */
	r = get("/hello%00x");
	ck_assert_int_eq(r.status, 400);
	ck_assert_str_eq(json_field(&r, "error"), "bad_request");
	resp_free(&r);
	srv_stop();
}
END_TEST

START_TEST(test_body_limit_413)
{
	pd_http_limits lim = {.max_body_bytes = 1024, .max_header_bytes = 2048};
	srv_start(&lim);
	/* Declared too large: refused before any body byte is read. */
	struct resp r = request("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5000\r\n"
				"Connection: close\r\n\r\n");
	ck_assert_int_eq(r.status, 413);
	resp_free(&r);

	/* Sent in full, just over the limit. */
	char *big = malloc(4096);
	int hl = snprintf(big, 4096, "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 1025\r\n"
			  "Connection: close\r\n\r\n");
	memset(big + hl, 'a', 1025);
	big[hl + 1025] = 0;
	r = request(big);
	ck_assert_int_eq(r.status, 413);
	resp_free(&r);

	/* Exactly at the limit: accepted and echoed whole. */
	hl = snprintf(big, 4096, "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 1024\r\n"
		      "Connection: close\r\n\r\n");
	memset(big + hl, 'b', 1024);
	big[hl + 1024] = 0;
	r = request(big);
	ck_assert_int_eq(r.status, 200);
	ck_assert_uint_eq(r.body_len, 1024);
	resp_free(&r);

	/* Headers over max_header_bytes: refused (evhttp answers 4xx or closes). */
	hl = snprintf(big, 4096, "GET /hello HTTP/1.1\r\nHost: t\r\nX-Big: ");
	memset(big + hl, 'h', 3000);
	snprintf(big + hl + 3000, 4096 - (size_t)hl - 3000, "\r\nConnection: close\r\n\r\n");
	r = request(big);
	ck_assert_msg(r.status == 0 || (r.status >= 400 && r.status < 500),
		      "oversized headers got status %d", r.status);
	resp_free(&r);
	free(big);

	/* The server is still fine. */
	r = get("/hello");
	ck_assert_int_eq(r.status, 200);
	resp_free(&r);
	srv_stop();
}
END_TEST

START_TEST(test_deadline_503)
{
	pd_http_limits lim = {.request_deadline_ms = 200};
	srv_start(&lim);
	int64_t before = counter("peakdesk_http_deadline_exceeded_total");
	double t0 = now_s();
	struct resp r = get("/hang");
	double took = now_s() - t0;
	ck_assert_int_eq(r.status, 503);
	ck_assert_str_eq(json_field(&r, "error"), "timeout");
	ck_assert_ptr_nonnull(json_field(&r, "detail"));
	ck_assert_msg(took >= 0.18 && took < 5.0, "deadline answered after %.3f s", took);
	resp_free(&r);
	ck_assert_int_eq(counter("peakdesk_http_deadline_exceeded_total"), before + 1);

	/* The handler's late reply is dropped; the wrapper is only freed. */
	ck_assert_ptr_nonnull(atomic_load(&g_held));
	pd_loop_call(late_reply, NULL);
	ck_assert(wait_int(&g_late_done, 1, 5000));
	ck_assert_int_eq(atomic_load(&g_dead_at_reply), 1);

	r = get("/hello");
	ck_assert_int_eq(r.status, 200);
	resp_free(&r);
	srv_stop();
}
END_TEST

START_TEST(test_connection_cap)
{
	pd_http_limits lim = {.max_connections = 2};
	srv_start(&lim);
	int64_t rejected = counter("peakdesk_http_connections_rejected_total");
	int c1 = cli_connect(3000);
	int c2 = cli_connect(3000);
	ck_assert(wait_conns(2, 3000));

	/* The third is accepted by the kernel, then closed by us at once. */
	int c3 = cli_connect(3000);
	char b;
	double t0 = now_s();
	ssize_t n = recv(c3, &b, 1, 0);
	int e = errno;
	ck_assert_msg(n == 0 || (n < 0 && e == ECONNRESET),
		      "third connection not closed: n=%zd errno=%d after %.2f s", n, e, now_s() - t0);
	close(c3);
	ck_assert_int_eq(pd_http_connection_count(S.h), 2);
	ck_assert_int_eq(counter("peakdesk_http_connections_rejected_total"), rejected + 1);

	/* The two admitted ones still work. */
	const char *req = "GET /hello HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
	send_all(c1, req, strlen(req));
	struct resp r;
	read_all(c1, &r);
	ck_assert_int_eq(r.status, 200);
	resp_free(&r);
	close(c1);

	/* Closing one frees its slot. */
	ck_assert(wait_conns(1, 3000));
	r = get("/hello");
	ck_assert_int_eq(r.status, 200);
	resp_free(&r);
	close(c2);
	ck_assert(wait_conns(0, 3000));
	srv_stop();
}
END_TEST

/* Client leaves while the handler holds the request; the handler replies a
 * second later. Under ASan/valgrind this proves the freed evhttp_request is
 * never touched. */
static void disconnect_case(int reset)
{
	srv_start(NULL);
	int64_t aborts = counter("peakdesk_http_client_aborts_total");
	int fd = cli_connect(3000);
	const char *req = "GET /defer HTTP/1.1\r\nHost: t\r\n\r\n";
	send_all(fd, req, strlen(req));
	ck_assert(wait_int(&g_handler_entered, 1, 3000));
	if (reset) {
		struct linger lg = {1, 0}; /* close with RST instead of FIN */
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	}
	close(fd);
	/* Noticed well before the deferred reply (2 s): slot freed, counted. */
	ck_assert(wait_conns(0, 1500));
	ck_assert_int_eq(atomic_load(&g_late_done), 0);
	ck_assert_int_eq(counter("peakdesk_http_client_aborts_total"), aborts + 1);
	ck_assert(wait_int(&g_late_done, 1, 5000));
	ck_assert_int_eq(atomic_load(&g_dead_at_reply), 1);

	struct resp r = get("/hello");
	ck_assert_int_eq(r.status, 200);
	resp_free(&r);
	srv_stop();
}

START_TEST(test_disconnect_then_late_reply)
{
	disconnect_case(0);
}
END_TEST

START_TEST(test_reset_then_late_reply)
{
	disconnect_case(1);
}
END_TEST

/* A request still held when the server is freed: the later reply must only
 * free the wrapper (its pd_http is gone). */
START_TEST(test_free_with_held_request)
{
	srv_start(NULL);
	int fd = cli_connect(3000);
	const char *req = "GET /hang HTTP/1.1\r\nHost: t\r\n\r\n";
	send_all(fd, req, strlen(req));
	ck_assert(wait_int(&g_handler_entered, 1, 3000));
	event_base_loopbreak(S.base);
	pthread_join(S.thr, NULL);
	pd_http_free(S.h);
	S.h = NULL;
	/* The loop is stopped, so this thread may act as the loop thread. */
	pd_http_req *held = atomic_exchange(&g_held, NULL);
	ck_assert_ptr_nonnull(held);
	ck_assert_int_eq(pd_http_req_dead(held), 1);
	pd_http_error(held, 500, "late", "after free");
	char b;
	ck_assert_int_le(recv(fd, &b, 1, 0), 0); /* connection was closed */
	close(fd);
	pd_loop_shutdown();
	event_base_free(S.base);
	memset(&S, 0, sizeof(S));
}
END_TEST

START_TEST(test_keepalive)
{
	srv_start(NULL);
	int fd = cli_connect(5000);
	const char *req = "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n";
	for (int i = 0; i < 3; i++) {
		send_all(fd, req, strlen(req));
		struct resp r;
		read_one(fd, &r);
		ck_assert_int_eq(r.status, 200);
		ck_assert_str_eq(json_field(&r, "hello"), "world");
		resp_free(&r);
		ck_assert_int_eq(pd_http_connection_count(S.h), 1);
	}
	close(fd);
	ck_assert(wait_conns(0, 3000));
	srv_stop();
}
END_TEST

START_TEST(test_healthz)
{
	srv_start(NULL);
	struct resp r = get("/healthz");
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(json_field(&r, "status"), "ok");
	resp_free(&r);
	srv_stop();

	srv_start(NULL);
	/* Set before the loop runs anything; later flips go through g_healthy. */
	pd_http_set_health(S.h, health_fn, NULL);
	r = get("/healthz");
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(json_field(&r, "status"), "ok");
	resp_free(&r);
	atomic_store(&g_healthy, 0);
	r = get("/healthz");
	ck_assert_int_eq(r.status, 503);
	ck_assert_str_eq(json_field(&r, "status"), "unhealthy");
	ck_assert_str_eq(json_field(&r, "error"), "unhealthy");
	ck_assert_str_eq(json_field(&r, "detail"), "database unreachable");
	resp_free(&r);
	r = request("POST /healthz HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n"
		    "Connection: close\r\n\r\n");
	ck_assert_int_eq(r.status, 405);
	resp_free(&r);
	srv_stop();
}
END_TEST

START_TEST(test_metrics_route)
{
	srv_start(NULL);
	struct resp r = get("/hello");
	ck_assert_int_eq(r.status, 200);
	resp_free(&r);
	r = get("/nope");
	ck_assert_int_eq(r.status, 404);
	resp_free(&r);
	r = get("/metrics");
	ck_assert_int_eq(r.status, 200);
	char ct[128];
	ck_assert_str_eq(header(&r, "Content-Type", ct, sizeof(ct)),
			 "text/plain; version=0.0.4; charset=utf-8");
	const char *b = r.body;
	ck_assert_ptr_nonnull(strstr(b, "# TYPE peakdesk_http_requests_total counter\n"));
	ck_assert_ptr_nonnull(strstr(b, "\npeakdesk_http_requests_total{code=\"200\"} "));
	ck_assert_ptr_nonnull(strstr(b, "\npeakdesk_http_requests_total{code=\"404\"} "));
	/* HELP/TYPE once per name, even with two label sets. */
	const char *t = strstr(b, "# TYPE peakdesk_http_requests_total");
	ck_assert_ptr_null(strstr(t + 1, "# TYPE peakdesk_http_requests_total"));
	ck_assert_ptr_nonnull(strstr(b, "# TYPE peakdesk_http_connections gauge\n"));
	/* This very request's connection is open while /metrics renders. */
	ck_assert_ptr_nonnull(strstr(b, "\npeakdesk_http_connections 1\n"));
	ck_assert_ptr_nonnull(strstr(b, "# TYPE peakdesk_http_request_seconds histogram\n"));
	ck_assert_ptr_nonnull(strstr(b, "\npeakdesk_http_request_seconds_bucket{le=\"+Inf\"} "));
	ck_assert_ptr_nonnull(strstr(b, "\npeakdesk_http_request_seconds_count "));
	resp_free(&r);
	srv_stop();
}
END_TEST

/* pd_loop_call from several threads: every call runs, on the loop thread. */
#define CALLERS 4
#define CALLS 2000
static int g_calls;            /* touched only on the loop thread */
static atomic_int g_calls_seen;
static atomic_int g_wrong_thread;

static void count_call(void *arg)
{
	(void)arg;
	if (!pthread_equal(pthread_self(), g_loop_thread))
		atomic_fetch_add(&g_wrong_thread, 1);
	g_calls++;
	atomic_store(&g_calls_seen, g_calls);
}

static void *caller(void *arg)
{
	(void)arg;
	for (int i = 0; i < CALLS; i++)
		pd_loop_call(count_call, NULL);
	return NULL;
}

START_TEST(test_loop_call_threads)
{
	srv_start(NULL);
	g_calls = 0;
	atomic_store(&g_calls_seen, 0);
	atomic_store(&g_wrong_thread, 0);
	pthread_t t[CALLERS];
	for (int i = 0; i < CALLERS; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, caller, NULL), 0);
	for (int i = 0; i < CALLERS; i++)
		pthread_join(t[i], NULL);
	ck_assert(wait_int(&g_calls_seen, CALLERS * CALLS, 10000));
	ck_assert_int_eq(atomic_load(&g_wrong_thread), 0);
	srv_stop();
	/* After shutdown a call is dropped, not run or crashed. */
	pd_loop_call(count_call, NULL);
	ck_assert_int_eq(atomic_load(&g_calls_seen), CALLERS * CALLS);
}
END_TEST

START_TEST(test_bad_listen)
{
	ck_assert_int_eq(pd_loop_global_init(), 0);
	struct event_base *base = event_base_new();
	ck_assert_ptr_null(pd_http_new(base, "nonsense", NULL));
	ck_assert_ptr_null(pd_http_new(base, "127.0.0.1:99999", NULL));
	ck_assert_ptr_null(pd_http_new(base, "127.0.0.1:", NULL));
	ck_assert_ptr_null(pd_http_new(base, NULL, NULL));
	pd_http *a = pd_http_new(base, "127.0.0.1:0", NULL);
	ck_assert_ptr_nonnull(a);
	char addr[64];
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", pd_http_port(a));
	ck_assert_ptr_null(pd_http_new(base, addr, NULL)); /* port in use */
	pd_http_free(a);
	event_base_free(base);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("http");
	TCase *tc = tcase_create("core");
	/* Generous: valgrind runs these several times slower. */
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_routes_200);
	tcase_add_test(tc, test_404_405_json);
	tcase_add_test(tc, test_body_limit_413);
	tcase_add_test(tc, test_deadline_503);
	tcase_add_test(tc, test_connection_cap);
	tcase_add_test(tc, test_disconnect_then_late_reply);
	tcase_add_test(tc, test_reset_then_late_reply);
	tcase_add_test(tc, test_free_with_held_request);
	tcase_add_test(tc, test_keepalive);
	tcase_add_test(tc, test_healthz);
	tcase_add_test(tc, test_metrics_route);
	tcase_add_test(tc, test_loop_call_threads);
	tcase_add_test(tc, test_bad_listen);
	suite_add_tcase(s, tc);
	return s;
}

PD_CHECK_MAIN(suite)
