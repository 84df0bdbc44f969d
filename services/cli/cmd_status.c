/* peakdesk status: is each service up (GET /healthz), how far each publisher
 * is (bus.outbox), and how far behind each consumer is (bus.offsets). */
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "cli.h"

/* GET /healthz on host:port; returns the status code (0 when unreachable). */
static int healthz(const char *hostport, char *detail, size_t dlen)
{
	char host[256], port[16];
	const char *colon = strrchr(hostport, ':');
	if (!colon)
		return 0;
	snprintf(host, sizeof(host), "%.*s", (int)(colon - hostport), hostport);
	snprintf(port, sizeof(port), "%s", colon + 1);
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *ai;
	if (getaddrinfo(host, port, &hints, &ai) != 0)
		return 0;
	int fd = socket(ai->ai_family, SOCK_STREAM, 0);
	struct timeval tv = {2, 0};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	int code = 0;
	if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
		char req[300];
		int n = snprintf(req, sizeof(req), "GET /healthz HTTP/1.0\r\nHost: %s\r\n\r\n", hostport);
		if (write(fd, req, (size_t)n) == n) {
			char buf[2048];
			size_t got = 0;
			ssize_t r;
			while (got < sizeof(buf) - 1 && (r = read(fd, buf + got, sizeof(buf) - 1 - got)) > 0)
				got += (size_t)r;
			buf[got] = 0;
			sscanf(buf, "HTTP/%*s %d", &code);
			const char *body = strstr(buf, "\r\n\r\n");
			snprintf(detail, dlen, "%s", body ? body + 4 : "");
		}
	}
	if (fd >= 0)
		close(fd);
	freeaddrinfo(ai);
	return code;
}

int cmd_status(int argc, char **argv)
{
	if (cli_wants_help(argc, argv)) {
		printf("Usage: peakdesk status\n\n"
		       "Prints each service's /healthz answer, each publisher's last seq, and each\n"
		       "consumer's lag (events committed by a publisher but not yet applied).\n"
		       "Exit status 1 when a service is down or unhealthy.\n");
		return 0;
	}
	pd_config cfg;
	cli_config(&cfg);
	int bad = 0;
	printf("%-10s %-22s %s\n", "SERVICE", "HTTP", "HEALTH");
	for (const pd_service_info *s = pd_services; s->name; s++) {
		char addr[PD_CFG_STR], detail[512] = "";
		pd_config_service_addr(s->name, "HTTP", cfg.run_dir, addr, sizeof(addr));
		int code = healthz(addr, detail, sizeof(detail));
		for (char *p = detail; *p; p++)
			if (*p == '\n' || *p == '\r')
				*p = ' ';
		printf("%-10s %-22s %s %s\n", s->name, addr, code == 200 ? "up" : code ? "unhealthy" : "down", detail);
		/* Services not built yet are reported but do not fail the check. */
		if (code != 0 && code != 200)
			bad = 1;
	}
	PGconn *c = PQconnectdb(cfg.db);
	if (PQstatus(c) != CONNECTION_OK) {
		printf("\ndatabase: unreachable: %s", PQerrorMessage(c));
		PQfinish(c);
		return 1;
	}
	PGresult *r = PQexec(c, "SELECT p.publisher, coalesce((SELECT max(seq) FROM bus.outbox o "
				"WHERE o.service = p.service AND o.publisher = p.publisher), 0), p.started_at FROM bus.publishers p ORDER BY 1");
	if (PQresultStatus(r) == PGRES_TUPLES_OK) {
		printf("\n%-20s %12s  %s\n", "PUBLISHER", "LAST SEQ", "STARTED");
		for (int i = 0; i < PQntuples(r); i++)
			printf("%-20s %12s  %s\n", PQgetvalue(r, i, 0), PQgetvalue(r, i, 1), PQgetvalue(r, i, 2));
	}
	PQclear(r);
	r = PQexec(c, "SELECT f.consumer, f.publisher, f.seq, coalesce((SELECT max(seq) FROM bus.outbox o "
		      "WHERE o.service = split_part(f.publisher, '-', 1) AND o.publisher = f.publisher), f.seq) - f.seq, "
		      "f.updated_at FROM bus.offsets f ORDER BY 1, 2");
	if (PQresultStatus(r) == PGRES_TUPLES_OK) {
		printf("\n%-24s %-20s %12s %8s  %s\n", "CONSUMER", "PUBLISHER", "OFFSET", "LAG", "UPDATED");
		for (int i = 0; i < PQntuples(r); i++)
			printf("%-24s %-20s %12s %8s  %s\n", PQgetvalue(r, i, 0), PQgetvalue(r, i, 1),
			       PQgetvalue(r, i, 2), PQgetvalue(r, i, 3), PQgetvalue(r, i, 4));
	}
	PQclear(r);
	PQfinish(c);
	return bad;
}
