/* bench_webhook_load: open-loop load at a fixed rate against the gateway's
 * generic webhook (or the bench_http_bare baseline), for latency at a given
 * message rate. wrk only runs closed-loop (each connection sends its next
 * request when the previous answer arrives), so a slow answer delays the
 * requests behind it and they are never timed: "coordinated omission". Here
 * request i is due at start + i / rate whatever happened before; it goes out
 * on the first idle keep-alive connection of a pool (one request in flight
 * per connection, no pipelining) and its latency is measured from its
 * SCHEDULED time to the end of the answer, so time spent waiting for a free
 * connection counts. The time from the actual send is reported too
 * ("service time").
 *
 * Every request is a new customer message signed as the webhook requires
 * (X-Peakdesk-Timestamp = now, X-Peakdesk-Signature = sha256=HMAC-SHA256(
 * secret, timestamp "." body), computed with OpenSSL's EVP_Q_mac), with
 * messageId "<run>-L-<i>", the same body shape as tests/bench/webhook.lua.
 * Answers are counted by status and by "accepted" / "duplicate".
 *
 * With --texts FILE the messages are the router benchmark's (make bench,
 * part "router"; tests/bench/router.sh), so the router has realistic work:
 *
 *   - texts: lines of --texts FILE (bench_router_logic --dump-texts: ~260
 *     templates of promo-day customer questions with order and waybill
 *     numbers), message i taking line (i * 7919) % lines; a "{P}" in a line
 *     becomes the customer's own mobile number (--phone-prefix + 8 digits of
 *     the customer number), so no two customers share a phone (the router
 *     would merge them);
 *   - customers: every even message i is the first message of a new
 *     customer (messageId "<run>-n-<i>", externalUserId "<run>-c<i>"): it
 *     opens a ticket. Every odd message i is a follow-up (messageId
 *     "<run>-f-<i>") from the customer of message i - 1 - D, D the even
 *     number nearest to rate x --followup-s: it joins that customer's open
 *     ticket about --followup-s later (the first --followup-s of the run
 *     have nobody to follow up on, so those odd messages are new customers
 *     too, "<run>-n-<i>");
 *   - sentAtMs: the message's scheduled send time (unix ms, CLOCK_REALTIME
 *     at the start + i / rate), stored by the gateway as
 *     gateway.inbound_messages.sent_at: router.sh measures from it.
 *
 *   bench_webhook_load --addr 127.0.0.1:PORT --secret S [--account benchhook]
 *       [--rate 5000] [--seconds 10] [--conns 64] [--run ID] [--label NAME]
 *       [--drain-s 20] [--texts FILE [--followup-s 2] [--phone-prefix 139]]
 * One progress line a second on stderr; the summary on stdout, the last line
 * "RESULT <label> key=value ..." (with --texts, new= and followups= count
 * the two kinds offered). Exit 1 when requests failed or answers were
 * missing, 2 on bad usage. Single-threaded (epoll + timerfd): at 5,000
 * requests/s it needs a few percent of one core. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/evp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "bench_util.h"

#define RBUF 8192
#define WBUF 4096

enum { C_DOWN, C_CONNECTING, C_IDLE, C_BUSY };

struct conn {
	int fd;
	int state;
	int id;
	char w[WBUF];
	size_t wlen, woff;
	char r[RBUF];
	size_t rlen;
	uint64_t req;      /* request in flight */
	int64_t sched_ns;  /* its scheduled time (monotonic) */
	int64_t sent_ns;   /* when it was handed to the socket */
};

static struct {
	const char *host, *account, *secret, *run, *label;
	int port;
	double rate;
	int seconds, nconns;
	int epfd, tfd;
	struct conn *conns;
	int64_t start_ns;
	uint64_t total, scheduled, sent, completed;
	uint64_t ok, accepted, duplicate, non200, errors, reconnects;
	uint64_t *queue; /* due requests waiting for a connection (ring) */
	size_t qcap, qhead, qlen, qmax;
	bench_samples lat, svc;
	bench_samples lat_sec; /* latencies of the current second, for progress */
} g;

/* Without --texts: a new customer message of one of these per request. */
static const char *const builtin_texts[] = {
	"我的订单DD20261111%08llu什么时候发货？双十一付的定金，尾款也付了。",
	"快递三天没动了，单号YT78%011llu，麻烦帮我查一下到哪了。",
	"请问满300减50和店铺券能一起用吗？订单DD20261111%08llu",
	"收到的商品有破损，想申请退货退款，订单DD20261111%08llu",
};

static char **texts; /* --texts FILE, one message per line */
static size_t n_texts;
static int64_t wall0_ms; /* CLOCK_REALTIME at start_ns, in ms */
static uint64_t follow_gap; /* D: a follow-up repeats the customer of message i - 1 - D */
static const char *phone_prefix = "139";
static uint64_t n_new, n_follow;

static const char *const names[] = {"小王", "李女士", "张先生", "陈同学", "Amy", "刘姐", "赵", "Kevin", "周周", "孙先生"};

static int load_texts(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	char line[2048];
	size_t cap = 0;
	while (fgets(line, sizeof(line), f)) {
		size_t n = strcspn(line, "\r\n");
		line[n] = 0;
		if (!n)
			continue;
		for (size_t k = 0; k < n; k++)
			if (line[k] == '"' || line[k] == '\\' || (unsigned char)line[k] < 0x20) {
				fclose(f);
				fprintf(stderr, "bench_webhook_load: %s: line %zu is not JSON-safe\n", path, n_texts + 1);
				exit(2);
			}
		if (n_texts == cap) {
			cap = cap ? cap * 2 : 1024;
			texts = realloc(texts, cap * sizeof(*texts));
		}
		texts[n_texts++] = strdup(line);
	}
	fclose(f);
	return n_texts ? 0 : -1;
}

/* texts[k] with "{P}" replaced by the customer's phone number. */
static void text_for(uint64_t i, uint64_t cust, char *out, size_t cap)
{
	const char *t = texts[(i * 7919u) % n_texts];
	char phone[24];
	snprintf(phone, sizeof(phone), "%.3s%08llu", phone_prefix, (unsigned long long)(cust % 100000000ULL));
	size_t k = 0;
	for (const char *p = t; *p && k + 1 < cap; p++) {
		if (p[0] == '{' && p[1] == 'P' && p[2] == '}') {
			size_t n = strlen(phone);
			if (k + n + 1 >= cap)
				break;
			memcpy(out + k, phone, n);
			k += n;
			p += 2;
		} else {
			out[k++] = *p;
		}
	}
	out[k] = 0;
}

static void die(const char *what)
{
	fprintf(stderr, "bench_webhook_load: %s: %s\n", what, strerror(errno));
	exit(1);
}

static int64_t sched_of(uint64_t i)
{
	return g.start_ns + (int64_t)((double)i * 1e9 / g.rate);
}

static void q_push(uint64_t i)
{
	if (g.qlen == g.qcap) {
		size_t ncap = g.qcap ? g.qcap * 2 : 4096;
		uint64_t *nq = malloc(ncap * sizeof(*nq));
		if (!nq)
			die("malloc");
		for (size_t k = 0; k < g.qlen; k++)
			nq[k] = g.queue[(g.qhead + k) % g.qcap];
		free(g.queue);
		g.queue = nq;
		g.qcap = ncap;
		g.qhead = 0;
	}
	g.queue[(g.qhead + g.qlen) % g.qcap] = i;
	g.qlen++;
	if (g.qlen > g.qmax)
		g.qmax = g.qlen;
}

static uint64_t q_pop(void)
{
	uint64_t i = g.queue[g.qhead];
	g.qhead = (g.qhead + 1) % g.qcap;
	g.qlen--;
	return i;
}

static void conn_open(struct conn *c)
{
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		die("socket");
	int one = 1;
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)g.port)};
	if (inet_pton(AF_INET, g.host, &sa.sin_addr) != 1) {
		fprintf(stderr, "bench_webhook_load: --addr must be an IPv4 address:port\n");
		exit(2);
	}
	int rc = connect(c->fd, (struct sockaddr *)&sa, sizeof(sa));
	if (rc != 0 && errno != EINPROGRESS)
		die("connect");
	c->state = rc == 0 ? C_IDLE : C_CONNECTING;
	c->rlen = c->wlen = c->woff = 0;
	struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP, .data.u32 = (uint32_t)c->id};
	if (epoll_ctl(g.epfd, EPOLL_CTL_ADD, c->fd, &ev) != 0)
		die("epoll_ctl");
}

static void conn_close(struct conn *c)
{
	if (c->fd >= 0) {
		epoll_ctl(g.epfd, EPOLL_CTL_DEL, c->fd, NULL);
		close(c->fd);
	}
	c->fd = -1;
	c->state = C_DOWN;
}

/* The connection failed: its request (if any) counts as an error, and a new
 * connection replaces it. */
static void conn_fail(struct conn *c)
{
	if (c->state == C_BUSY) {
		g.errors++;
		g.completed++;
	}
	conn_close(c);
	g.reconnects++;
	conn_open(c);
}

static void set_events(struct conn *c, int want_out)
{
	struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP | (want_out ? EPOLLOUT : 0), .data.u32 = (uint32_t)c->id};
	epoll_ctl(g.epfd, EPOLL_CTL_MOD, c->fd, &ev);
}

static void flush_write(struct conn *c)
{
	while (c->woff < c->wlen) {
		ssize_t n = send(c->fd, c->w + c->woff, c->wlen - c->woff, MSG_NOSIGNAL);
		if (n > 0) {
			c->woff += (size_t)n;
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			set_events(c, 1);
			return;
		}
		if (n < 0 && errno == EINTR)
			continue;
		conn_fail(c);
		return;
	}
	set_events(c, 0);
}

static void send_request(struct conn *c, uint64_t i)
{
	char body[2048], text[1024], ts[24], sig[65];
	int blen;
	if (!n_texts) {
		unsigned long long k = (unsigned long long)i * 7919ULL + 17;
		snprintf(text, sizeof(text), builtin_texts[k % 4], k % 100000000ULL);
		blen = snprintf(body, sizeof(body),
				"{\"externalUserId\":\"visitor-%llu\",\"displayName\":\"小王\",\"messageId\":\"%s-L-%llu\","
				"\"text\":\"%s\"}",
				k % 5000, g.run, (unsigned long long)i, text);
	} else {
		/* new customer, or a follow-up from the customer of message i - 1 - D */
		int follow = (i & 1) && i >= 1 + follow_gap;
		uint64_t cust = follow ? i - 1 - follow_gap : i;
		text_for(i, cust, text, sizeof(text));
		long long sent_ms = (long long)(wall0_ms + (int64_t)((double)i * 1000.0 / g.rate));
		blen = snprintf(body, sizeof(body),
				"{\"externalUserId\":\"%s-c%llu\",\"displayName\":\"%s\",\"messageId\":\"%s-%c-%llu\","
				"\"sentAtMs\":\"%lld\",\"text\":\"%s\"}",
				g.run, (unsigned long long)cust, names[cust % (sizeof(names) / sizeof(names[0]))], g.run,
				follow ? 'f' : 'n', (unsigned long long)i, sent_ms, text);
		if (follow)
			n_follow++;
		else
			n_new++;
	}
	snprintf(ts, sizeof(ts), "%lld", (long long)time(NULL));
	/* HMAC-SHA256 over timestamp "." body */
	char signed_data[2200];
	int slen = snprintf(signed_data, sizeof(signed_data), "%s.%s", ts, body);
	unsigned char md[32];
	size_t mdlen = 0;
	if (!EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, g.secret, strlen(g.secret), (unsigned char *)signed_data,
		       (size_t)slen, md, sizeof(md), &mdlen) ||
	    mdlen != 32) {
		fprintf(stderr, "bench_webhook_load: HMAC failed\n");
		exit(1);
	}
	for (int b = 0; b < 32; b++)
		snprintf(sig + 2 * b, 3, "%02x", md[b]);
	int n = snprintf(c->w, sizeof(c->w),
			 "POST /v1/channels/%s/messages HTTP/1.1\r\nHost: %s:%d\r\nContent-Type: application/json\r\n"
			 "X-Peakdesk-Timestamp: %s\r\nX-Peakdesk-Signature: sha256=%s\r\nContent-Length: %d\r\n\r\n%s",
			 g.account, g.host, g.port, ts, sig, blen, body);
	c->wlen = (size_t)n;
	c->woff = 0;
	c->rlen = 0;
	c->req = i;
	c->sched_ns = sched_of(i);
	c->sent_ns = bench_mono_ns();
	c->state = C_BUSY;
	g.sent++;
	flush_write(c);
}

static void dispatch(void)
{
	for (int k = 0; k < g.nconns && g.qlen; k++) {
		struct conn *c = &g.conns[k];
		if (c->state == C_IDLE)
			send_request(c, q_pop());
	}
}

/* Parses a complete response in c->r; returns 0 when incomplete, 1 when one
 * was consumed, 2 when consumed and the server said Connection: close. */
static int try_response(struct conn *c)
{
	c->r[c->rlen < RBUF ? c->rlen : RBUF - 1] = 0;
	char *hend = strstr(c->r, "\r\n\r\n");
	if (!hend)
		return 0;
	size_t hlen = (size_t)(hend - c->r) + 4;
	long clen = 0;
	int close_after = 0;
	for (char *line = strstr(c->r, "\r\n"); line && line < hend; line = strstr(line + 2, "\r\n")) {
		char *h = line + 2;
		if (strncasecmp(h, "Content-Length:", 15) == 0)
			clen = strtol(h + 15, NULL, 10);
		else if (strncasecmp(h, "Connection:", 11) == 0 && strstr(h, "close") && strstr(h, "close") < hend)
			close_after = 1;
	}
	if (c->rlen < hlen + (size_t)clen)
		return 0;
	int status = 0;
	if (strncmp(c->r, "HTTP/1.", 7) == 0)
		status = atoi(c->r + 9);
	int64_t now = bench_mono_ns();
	int64_t lat = (now - c->sched_ns) / 1000, svc = (now - c->sent_ns) / 1000;
	bench_samples_add(&g.lat, lat);
	bench_samples_add(&g.svc, svc);
	bench_samples_add(&g.lat_sec, lat);
	g.completed++;
	if (status == 200) {
		g.ok++;
		const char *b = c->r + hlen;
		static const char acc[] = "\"status\":\"accepted\"", dup[] = "\"status\":\"duplicate\"";
		if (memmem(b, (size_t)clen, acc, sizeof(acc) - 1))
			g.accepted++;
		else if (memmem(b, (size_t)clen, dup, sizeof(dup) - 1))
			g.duplicate++;
	} else {
		g.non200++;
		if (g.non200 <= 3)
			fprintf(stderr, "bench_webhook_load: status %d: %.200s\n", status, c->r + hlen);
	}
	size_t used = hlen + (size_t)clen;
	memmove(c->r, c->r + used, c->rlen - used);
	c->rlen -= used;
	c->state = C_IDLE;
	return close_after ? 2 : 1;
}

/* Replaces a connection the server closed after a complete answer. */
static void conn_reopen(struct conn *c)
{
	conn_close(c);
	g.reconnects++;
	conn_open(c);
}

static void on_conn(struct conn *c, uint32_t evs)
{
	if (c->state == C_CONNECTING) {
		int err = 0;
		socklen_t el = sizeof(err);
		getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el);
		if (err) {
			errno = err;
			die("connect");
		}
		c->state = C_IDLE;
		set_events(c, 0);
	}
	if ((evs & EPOLLOUT) && c->state == C_BUSY && c->woff < c->wlen)
		flush_write(c);
	if (evs & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
		for (;;) {
			if (c->rlen >= RBUF - 1) {
				fprintf(stderr, "bench_webhook_load: response too large\n");
				conn_fail(c);
				return;
			}
			ssize_t n = recv(c->fd, c->r + c->rlen, RBUF - 1 - c->rlen, 0);
			if (n > 0) {
				c->rlen += (size_t)n;
				continue;
			}
			if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
				break;
			if (n < 0 && errno == EINTR)
				continue;
			/* EOF or error: the server closed (idle timeout, or a
			 * failure). An answer complete before the EOF counts. */
			if (c->state == C_BUSY)
				try_response(c);
			conn_fail(c); /* an error only if still waiting */
			return;
		}
		if (c->state == C_BUSY && try_response(c) == 2)
			conn_reopen(c);
	}
}

static void arm_timer(int64_t abs_ns)
{
	struct itimerspec its = {{0, 0}, {(time_t)(abs_ns / 1000000000), (long)(abs_ns % 1000000000)}};
	if (its.it_value.tv_sec == 0 && its.it_value.tv_nsec == 0)
		its.it_value.tv_nsec = 1;
	timerfd_settime(g.tfd, TFD_TIMER_ABSTIME, &its, NULL);
}

int main(int argc, char **argv)
{
	const char *addr = bench_opt(argc, argv, "--addr", NULL);
	g.secret = bench_opt(argc, argv, "--secret", NULL);
	g.account = bench_opt(argc, argv, "--account", "benchhook");
	g.rate = atof(bench_opt(argc, argv, "--rate", "5000"));
	g.seconds = atoi(bench_opt(argc, argv, "--seconds", "10"));
	g.nconns = atoi(bench_opt(argc, argv, "--conns", "64"));
	g.label = bench_opt(argc, argv, "--label", "webhook_load");
	const char *texts_path = bench_opt(argc, argv, "--texts", NULL);
	double followup_s = atof(bench_opt(argc, argv, "--followup-s", "2"));
	phone_prefix = bench_opt(argc, argv, "--phone-prefix", "139");
	int drain_s = atoi(bench_opt(argc, argv, "--drain-s", "20"));
	char runbuf[32];
	snprintf(runbuf, sizeof(runbuf), "%lld", (long long)time(NULL));
	g.run = bench_opt(argc, argv, "--run", runbuf);
	static char host[64];
	const char *colon = addr ? strrchr(addr, ':') : NULL;
	if (texts_path && load_texts(texts_path) != 0) {
		fprintf(stderr, "bench_webhook_load: --texts FILE needs one message per line\n");
		return 2;
	}
	if (strlen(phone_prefix) != 3 || phone_prefix[0] != '1' || phone_prefix[1] < '3') {
		fprintf(stderr, "bench_webhook_load: --phone-prefix must be 3 digits of a mobile number, e.g. 139\n");
		return 2;
	}
	if (!addr || !colon || !g.secret || g.rate <= 0 || g.seconds <= 0 || g.nconns <= 0 || g.nconns > 4096 ||
	    (size_t)(colon - addr) >= sizeof(host)) {
		fprintf(stderr, "usage: bench_webhook_load --addr IP:PORT --secret S [--account A] [--rate R] [--seconds S]"
				" [--conns N] [--run ID] [--label NAME] [--drain-s S]"
				" [--texts FILE [--followup-s S] [--phone-prefix NNN]]\n");
		return 2;
	}
	memcpy(host, addr, (size_t)(colon - addr));
	g.host = host;
	g.port = atoi(colon + 1);
	signal(SIGPIPE, SIG_IGN);
	g.total = (uint64_t)(g.rate * g.seconds);

	g.epfd = epoll_create1(EPOLL_CLOEXEC);
	g.tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (g.epfd < 0 || g.tfd < 0)
		die("epoll/timerfd");
	struct epoll_event tev = {.events = EPOLLIN, .data.u32 = UINT32_MAX};
	epoll_ctl(g.epfd, EPOLL_CTL_ADD, g.tfd, &tev);
	g.conns = calloc((size_t)g.nconns, sizeof(*g.conns));
	if (!g.conns)
		die("calloc");
	for (int k = 0; k < g.nconns; k++) {
		g.conns[k].id = k;
		g.conns[k].fd = -1;
		conn_open(&g.conns[k]);
	}
	/* Let the connections establish before the clock starts. */
	int64_t until = bench_mono_ns() + 2000000000LL;
	for (;;) {
		int up = 0;
		for (int k = 0; k < g.nconns; k++)
			up += g.conns[k].state == C_IDLE;
		if (up == g.nconns)
			break;
		if (bench_mono_ns() > until) {
			fprintf(stderr, "bench_webhook_load: only %d of %d connections established\n", up, g.nconns);
			return 1;
		}
		struct epoll_event evs[64];
		int n = epoll_wait(g.epfd, evs, 64, 10);
		for (int e = 0; e < n; e++)
			if (evs[e].data.u32 != UINT32_MAX)
				on_conn(&g.conns[evs[e].data.u32], evs[e].events);
	}

	g.start_ns = bench_mono_ns();
	{
		struct timespec rt;
		clock_gettime(CLOCK_REALTIME, &rt);
		wall0_ms = (int64_t)rt.tv_sec * 1000 + rt.tv_nsec / 1000000;
		uint64_t d = (uint64_t)(g.rate * followup_s + 0.5);
		follow_gap = d & ~1ULL;
	}
	int64_t end_sched = sched_of(g.total);
	int64_t deadline = end_sched + (int64_t)drain_s * 1000000000LL;
	int64_t next_progress = g.start_ns + 1000000000LL;
	uint64_t last_completed = 0;
	arm_timer(g.start_ns);
	while (g.completed < g.total) {
		struct epoll_event evs[256];
		int n = epoll_wait(g.epfd, evs, 256, 100);
		if (n < 0 && errno != EINTR)
			die("epoll_wait");
		for (int e = 0; e < n; e++) {
			if (evs[e].data.u32 == UINT32_MAX) {
				uint64_t exp;
				if (read(g.tfd, &exp, sizeof(exp)) < 0 && errno != EAGAIN)
					die("timerfd read");
				continue;
			}
			on_conn(&g.conns[evs[e].data.u32], evs[e].events);
		}
		int64_t now = bench_mono_ns();
		if (g.scheduled < g.total) {
			uint64_t due = bench_due(now - g.start_ns, g.rate) + 1;
			if (due > g.total)
				due = g.total;
			while (g.scheduled < due)
				q_push(g.scheduled++);
			if (g.scheduled < g.total)
				arm_timer(sched_of(g.scheduled));
		}
		dispatch();
		if (now >= next_progress) {
			bench_samples_sort(&g.lat_sec);
			bench_progress("%s: %ds offered %llu answered %llu (%llu/s) p50 %.1f ms p99 %.1f ms waiting %zu",
				       g.label, (int)((now - g.start_ns) / 1000000000), (unsigned long long)g.scheduled,
				       (unsigned long long)g.completed,
				       (unsigned long long)(g.completed - last_completed),
				       (double)bench_pct(&g.lat_sec, 50) / 1000, (double)bench_pct(&g.lat_sec, 99) / 1000,
				       g.qlen);
			last_completed = g.completed;
			g.lat_sec.n = 0;
			next_progress += 1000000000LL;
		}
		if (now > deadline)
			break;
	}
	int64_t end_ns = bench_mono_ns();
	uint64_t missing = g.total - g.completed;
	bench_samples_sort(&g.lat);
	bench_samples_sort(&g.svc);
	double secs = (double)(end_ns - g.start_ns) / 1e9;
	char c1[32], c2[32], c3[32];
	printf("%s: %s msg/s offered for %d s (open loop, %d keep-alive connections): %s answered 200 "
	       "(%s accepted, %llu duplicate), %llu other status, %llu failed, %llu unanswered; "
	       "p50 %.1f ms p90 %.1f ms p99 %.1f ms p99.9 %.1f ms max %.1f ms from the scheduled send "
	       "(service time p50 %.1f ms p99 %.1f ms; at most %zu requests waited for a connection)\n",
	       g.label, bench_commas(g.rate, c1, sizeof(c1)), g.seconds, g.nconns,
	       bench_commas((double)g.ok, c2, sizeof(c2)), bench_commas((double)g.accepted, c3, sizeof(c3)),
	       (unsigned long long)g.duplicate, (unsigned long long)g.non200, (unsigned long long)g.errors,
	       (unsigned long long)missing, (double)bench_pct(&g.lat, 50) / 1000, (double)bench_pct(&g.lat, 90) / 1000,
	       (double)bench_pct(&g.lat, 99) / 1000, (double)bench_pct(&g.lat, 99.9) / 1000,
	       (double)bench_pct(&g.lat, 100) / 1000, (double)bench_pct(&g.svc, 50) / 1000,
	       (double)bench_pct(&g.svc, 99) / 1000, g.qmax);
	printf("RESULT %s rate=%.0f seconds=%d conns=%d offered=%llu answered=%llu ok=%llu accepted=%llu duplicate=%llu "
	       "non200=%llu errors=%llu missing=%llu achieved_rate=%.0f p50_us=%lld p90_us=%lld p99_us=%lld "
	       "p999_us=%lld max_us=%lld svc_p50_us=%lld svc_p99_us=%lld max_waiting=%zu reconnects=%llu new=%llu "
	       "followups=%llu\n",
	       g.label, g.rate, g.seconds, g.nconns, (unsigned long long)g.total, (unsigned long long)g.completed,
	       (unsigned long long)g.ok, (unsigned long long)g.accepted, (unsigned long long)g.duplicate,
	       (unsigned long long)g.non200, (unsigned long long)g.errors, (unsigned long long)missing,
	       (double)g.completed / secs, (long long)bench_pct(&g.lat, 50), (long long)bench_pct(&g.lat, 90),
	       (long long)bench_pct(&g.lat, 99), (long long)bench_pct(&g.lat, 99.9), (long long)bench_pct(&g.lat, 100),
	       (long long)bench_pct(&g.svc, 50), (long long)bench_pct(&g.svc, 99), g.qmax,
	       (unsigned long long)(g.reconnects), (unsigned long long)n_new, (unsigned long long)n_follow);
	for (int k = 0; k < g.nconns; k++)
		conn_close(&g.conns[k]);
	for (size_t k = 0; k < n_texts; k++)
		free(texts[k]);
	free(texts);
	return (g.non200 || g.errors || missing) ? 1 : 0;
}
