/* peakdesk publish: sends department events to a service's ingest socket
 * (NNG REQ) in batches and prints one ack per event. Exits 1 when any event
 * was rejected or a batch got no answer, 0 when all were accepted or
 * duplicates. Safe to re-run: event ids make re-sends duplicates. */
#include <json-c/json.h>
#include <nng/nng.h>
#include <nng/protocol/reqrep0/req.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bus.pb-c.h"
#include "cli.h"
#include "codec.h"
#include "ids.h"
#include "nng_tls.h"

struct totals {
	size_t sent, accepted, duplicate, rejected;
};

static void usage(void)
{
	printf("Usage: peakdesk publish --to SERVICE [--batch N] [--quiet] [--raw] [FILE|-]\n\n"
	       "Reads Envelopes as JSON lines (proto3 JSON mapping, one event per line) from FILE\n"
	       "or standard input and sends them in batches (default 500) to SERVICE's ingest\n"
	       "socket (PEAKDESK_<SERVICE>_INGEST; a comma-separated list of instances spreads\n"
	       "the batches over them). With --raw, standard input is one binary\n"
	       "IngestRequest, sent as it is. Prints one JSON ack per event (--quiet: only\n"
	       "rejections) and a summary on stderr.\n\n"
	       "An event without eventId gets one derived from the line's SHA-256, so sending\n"
	       "the same file twice is idempotent. Exit status: 0 all accepted or duplicate,\n"
	       "1 some rejected or a batch failed, 2 usage error.\n\n"
	       "Example line:\n"
	       "  {\"eventId\":\"6f1c...\",\"topic\":\"logistics.order\",\"order\":{\"orderId\":\"A1\",\n"
	       "   \"items\":[{\"sku\":\"SKU-1\",\"quantity\":1}]}}\n");
}

/* Sends one request and prints its acks; 0 ok, 1 some rejected, -1 failure. */
static int send_batch(nng_socket s, const uint8_t *buf, size_t len, int quiet, struct totals *t)
{
	nng_msg *m;
	if (nng_msg_alloc(&m, 0) != 0 || nng_msg_append(m, buf, len) != 0)
		return -1;
	int rv = nng_sendmsg(s, m, 0);
	if (rv != 0) {
		nng_msg_free(m);
		fprintf(stderr, "peakdesk publish: send failed: %s\n", nng_strerror(rv));
		return -1;
	}
	rv = nng_recvmsg(s, &m, 0);
	if (rv != 0) {
		fprintf(stderr, "peakdesk publish: no answer: %s\n", nng_strerror(rv));
		return -1;
	}
	pd_errbuf eb = {{0}};
	Peakdesk__V1__IngestReply *rep = (Peakdesk__V1__IngestReply *)pd_pb_unpack(
		&peakdesk__v1__ingest_reply__descriptor, nng_msg_body(m), nng_msg_len(m), &eb);
	nng_msg_free(m);
	if (!rep) {
		fprintf(stderr, "peakdesk publish: undecodable reply: %s\n", eb.msg);
		return -1;
	}
	int result = 0;
	if (rep->error && *rep->error) {
		fprintf(stderr, "peakdesk publish: batch refused: %s\n", rep->error);
		result = -1;
	}
	for (size_t i = 0; i < rep->n_acks; i++) {
		const Peakdesk__V1__EventAck *a = rep->acks[i];
		int rej = a->status == PEAKDESK__V1__ACK_STATUS__ACK_STATUS_REJECTED;
		if (a->status == PEAKDESK__V1__ACK_STATUS__ACK_STATUS_ACCEPTED)
			t->accepted++;
		else if (a->status == PEAKDESK__V1__ACK_STATUS__ACK_STATUS_DUPLICATE)
			t->duplicate++;
		else
			t->rejected++;
		if (rej)
			result = result < 0 ? result : 1;
		if (!quiet || rej) {
			char *j = pd_pb_to_json(&a->base);
			printf("%s\n", j);
			free(j);
		}
	}
	pd_pb_free(&rep->base);
	return result;
}

/* The dialer retries in the background; a refused TLS handshake would only
 * show as a send timeout. Waits up to 10 s for the first connection: 1 when
 * handshakes keep failing without one (refused), 0 otherwise (connected, or
 * the service is simply not up yet: the send's own timeout applies). */
static int tls_refused(nng_dialer d)
{
	for (int i = 0; i < 100; i++) {
		uint64_t pipes = 0, failures = 0;
		if (pd_nng_dialer_state(d, &pipes, &failures) != 0 || pipes > 0)
			return 0;
		if (failures >= 3)
			return 1;
		usleep(100 * 1000);
	}
	return 0;
}

static nng_socket open_req(const char *addr, int *ok)
{
	nng_socket s = NNG_SOCKET_INITIALIZER;
	*ok = 0;
	int rv = nng_req0_open(&s);
	if (rv != 0) {
		fprintf(stderr, "peakdesk publish: %s\n", nng_strerror(rv));
		return s;
	}
	nng_socket_set_size(s, NNG_OPT_RECVMAXSZ, PD_MAX_MSG_BYTES);
	/* Resend a request that got no reply (the service restarted): the
	 * event ids make the resend harmless. */
	nng_socket_set_ms(s, NNG_OPT_REQ_RESENDTIME, 15000);
	nng_socket_set_ms(s, NNG_OPT_RECVTIMEO, 120000);
	nng_socket_set_ms(s, NNG_OPT_SENDTIMEO, 30000);
	/* Several instances of the service (a comma-separated list): REQ
	 * spreads the batches over every connected one, and a batch whose
	 * instance died is resent to another (event ids make that safe). */
	char list[PD_CFG_STR];
	snprintf(list, sizeof(list), "%s", addr);
	char *save = NULL;
	for (char *a = strtok_r(list, ", ", &save); a; a = strtok_r(NULL, ", ", &save)) {
		char err[256];
		nng_dialer d;
		rv = pd_nng_dial(s, a, NNG_FLAG_NONBLOCK, &d, err, sizeof(err));
		if (rv != 0) {
			fprintf(stderr, "peakdesk publish: cannot dial %s: %s\n", a, err);
			nng_close(s);
			return s;
		}
		if (pd_nng_addr_is_tls(a) && tls_refused(d)) {
			fprintf(stderr,
				"peakdesk publish: TLS handshake with %s refused: the service does not accept our "
				"certificate (PEAKDESK_TLS_CERT=%s) or we do not trust its (PEAKDESK_TLS_CA=%s), or the "
				"server name does not match\n",
				a, getenv("PEAKDESK_TLS_CERT") ? getenv("PEAKDESK_TLS_CERT") : "",
				getenv("PEAKDESK_TLS_CA") ? getenv("PEAKDESK_TLS_CA") : "");
			nng_close(s);
			return s;
		}
	}
	*ok = 1;
	return s;
}

/* Deterministic event id from the line text, for lines without one. */
static void derive_id(const char *line, size_t len, uint8_t out[16])
{
	unsigned char md[32];
	unsigned int n;
	EVP_Digest(line, len, md, &n, EVP_sha256(), NULL);
	memcpy(out, md, 16);
	out[6] = (uint8_t)((out[6] & 0x0f) | 0x80); /* version 8: custom */
	out[8] = (uint8_t)((out[8] & 0x3f) | 0x80); /* RFC 4122 variant */
}

int cmd_publish(int argc, char **argv)
{
	const char *to = NULL, *file = "-";
	int batch = 500, quiet = 0, raw = 0;
	if (cli_wants_help(argc, argv)) {
		usage();
		return 0;
	}
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--to") == 0 && i + 1 < argc)
			to = argv[++i];
		else if (strcmp(argv[i], "--batch") == 0 && i + 1 < argc)
			batch = atoi(argv[++i]);
		else if (strcmp(argv[i], "--quiet") == 0)
			quiet = 1;
		else if (strcmp(argv[i], "--raw") == 0)
			raw = 1;
		else if (argv[i][0] != '-' || strcmp(argv[i], "-") == 0)
			file = argv[i];
		else {
			fprintf(stderr, "peakdesk publish: unknown option %s (see --help)\n", argv[i]);
			return 2;
		}
	}
	const pd_service_info *si = pd_service_find(to);
	if (!si || !si->has_ingest) {
		fprintf(stderr, "peakdesk publish: --to must be a service with an ingest socket (logistics, stock, promo)\n");
		return 2;
	}
	if (batch < 1 || batch > 10000) {
		fprintf(stderr, "peakdesk publish: --batch must be 1..10000\n");
		return 2;
	}
	pd_config cfg;
	cli_config(&cfg);
	char addr[PD_CFG_STR];
	pd_config_service_addr(to, "INGEST", cfg.run_dir, addr, sizeof(addr));
	int ok;
	nng_socket s = open_req(addr, &ok);
	if (!ok)
		return 1;
	struct totals t = {0};
	int result = 0;

	if (raw) {
		size_t cap = 1 << 16, len = 0;
		uint8_t *buf = pd_xmalloc(cap);
		size_t n;
		while ((n = fread(buf + len, 1, cap - len, stdin)) > 0) {
			len += n;
			if (len > PD_MAX_MSG_BYTES) {
				fprintf(stderr, "peakdesk publish: request over %u bytes\n", PD_MAX_MSG_BYTES);
				free(buf);
				nng_close(s);
				return 1;
			}
			if (len == cap)
				buf = pd_xrealloc(buf, cap *= 2);
		}
		int r = send_batch(s, buf, len, quiet, &t);
		free(buf);
		nng_close(s);
		fprintf(stderr, "published: %zu accepted, %zu duplicate, %zu rejected\n", t.accepted, t.duplicate, t.rejected);
		return r == 0 ? 0 : 1;
	}

	FILE *in = strcmp(file, "-") == 0 ? stdin : fopen(file, "r");
	if (!in) {
		fprintf(stderr, "peakdesk publish: cannot open %s\n", file);
		nng_close(s);
		return 1;
	}
	int progress = isatty(STDERR_FILENO);
	Peakdesk__V1__Envelope **events = pd_xcalloc((size_t)batch, sizeof(*events));
	size_t n = 0, lineno = 0;
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int more = 1;
	while (more) {
		len = getline(&line, &cap, in);
		more = len >= 0;
		if (more) {
			lineno++;
			while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
				line[--len] = 0;
			if (len == 0)
				continue;
			pd_errbuf eb = {{0}};
			Peakdesk__V1__Envelope *env = (Peakdesk__V1__Envelope *)pd_json_to_pb(
				&peakdesk__v1__envelope__descriptor, line, (size_t)len, &eb);
			if (!env) {
				fprintf(stderr, "peakdesk publish: line %zu: %s\n", lineno, eb.msg);
				result = 1;
				continue;
			}
			if (env->event_id.len == 0) {
				env->event_id.data = pd_xmalloc(16);
				env->event_id.len = 16;
				derive_id(line, (size_t)len, env->event_id.data);
			}
			events[n++] = env;
		}
		if (n == (size_t)batch || (!more && n > 0)) {
			Peakdesk__V1__IngestRequest req = PEAKDESK__V1__INGEST_REQUEST__INIT;
			req.events = events;
			req.n_events = n;
			size_t plen;
			uint8_t *buf = pd_pb_pack(&req.base, &plen);
			int r = send_batch(s, buf, plen, quiet, &t);
			free(buf);
			if (r != 0)
				result = 1;
			t.sent += n;
			for (size_t i = 0; i < n; i++)
				pd_pb_free(&events[i]->base);
			n = 0;
			if (progress)
				fprintf(stderr, "\rpublished %zu events", t.sent);
			if (r < 0)
				break;
		}
	}
	if (progress)
		fprintf(stderr, "\n");
	for (size_t i = 0; i < n; i++)
		pd_pb_free(&events[i]->base);
	free(events);
	free(line);
	if (in != stdin)
		fclose(in);
	nng_close(s);
	fflush(stdout);
	fprintf(stderr, "published %zu events: %zu accepted, %zu duplicate, %zu rejected\n", t.sent, t.accepted,
		t.duplicate, t.rejected);
	return result;
}
