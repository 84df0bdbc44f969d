/* peakdesk tail: a real, durable bus consumer. Offsets live in bus.offsets
 * and advance in the same transaction as the output position, so with
 * --out FILE (or standard output redirected to a file) every event is
 * written exactly once across kill -9 and restart: lines are written before
 * COMMIT at the committed position, and a restart cuts the file back to the
 * position the database holds. To a pipe or terminal it is at-least-once. */
#include <event2/event.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "codec.h"
#include "consumer.h"
#include "log.h"
#include "loop.h"

struct tail {
	char *name;
	int fd;
	int exact;         /* fd is a regular file: positioned writes */
	long long pos;     /* committed byte position */
	pd_strbuf buf;     /* lines of the open batch */
	struct event_base *base;
	long long limit, printed;
};

static int tail_apply(pd_txn *tx, const Peakdesk__V1__Envelope *env, void *arg, pd_errbuf *eb)
{
	struct tail *t = arg;
	char *j = pd_pb_to_json(&env->base);
	pd_sb_add(&t->buf, j, strlen(j));
	pd_sb_add(&t->buf, "\n", 1);
	free(j);
	t->printed++;
	return PD_OK;
}

/* Before COMMIT: write the batch at the committed position, and record the
 * new position in the same transaction as the offsets. */
static int tail_before_commit(pd_txn *tx, void *arg)
{
	struct tail *t = arg;
	if (!t->exact || t->buf.len == 0)
		return PD_OK;
	pd_errbuf eb = {{0}};
	char newpos[24];
	snprintf(newpos, sizeof(newpos), "%lld", t->pos + (long long)t->buf.len);
	int err;
	PGresult *r = pd_db_query(pd_txn_db(tx), NULL,
				  "INSERT INTO bus.consumer_sinks(consumer, position) VALUES ($1, $2) "
				  "ON CONFLICT (consumer) DO UPDATE SET position = excluded.position, updated_at = now()",
				  2, (const char *[]){t->name, newpos}, &err, &eb);
	if (!r)
		return err;
	PQclear(r);
	size_t off = 0;
	while (off < t->buf.len) {
		ssize_t w = pwrite(t->fd, t->buf.s + off, t->buf.len - off, (off_t)(t->pos + (long long)off));
		if (w <= 0) {
			pd_log_error("cannot write output", "consumer=%s", t->name);
			return PD_EIO;
		}
		off += (size_t)w;
	}
	return PD_OK;
}

static void tail_after_batch(void *arg, int err)
{
	struct tail *t = arg;
	if (t->exact) {
		if (err == PD_OK)
			t->pos += (long long)t->buf.len;
		else if (ftruncate(t->fd, (off_t)t->pos) != 0) /* drop what did not commit */
			pd_log_error("cannot truncate output", "consumer=%s", t->name);
	} else if (err == PD_OK && t->buf.len) {
		/* Pipe or terminal: after commit. */
		size_t off = 0;
		while (off < t->buf.len) {
			ssize_t w = write(t->fd, t->buf.s + off, t->buf.len - off);
			if (w <= 0)
				break;
			off += (size_t)w;
		}
	}
	t->buf.len = 0;
	if (t->limit > 0 && t->printed >= t->limit && err == PD_OK)
		event_base_loopbreak(t->base);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	event_base_loopbreak(arg);
}

static void usage(void)
{
	printf("Usage: peakdesk tail --name NAME [--topic PREFIX]... [--out FILE] [--count N]\n\n"
	       "Follows every publisher of the suite as the durable consumer NAME (offsets in\n"
	       "bus.offsets) and prints each event as one JSON line. Stopped and started again\n"
	       "(even with kill -9), it goes on after the last event it printed: with --out FILE\n"
	       "or standard output redirected to a file, each event appears exactly once.\n"
	       "A new NAME starts from the oldest event still in bus.outbox.\n\n"
	       "  --topic PREFIX  only events whose topic starts with PREFIX (repeatable)\n"
	       "  --out FILE      append to FILE (created if missing)\n"
	       "  --count N       exit after printing N events\n\n");
	pd_config_print_core_help("<service>");
}

int cmd_tail(int argc, char **argv)
{
	if (cli_wants_help(argc, argv)) {
		usage();
		return 0;
	}
	const char *name = NULL, *out = NULL;
	const char *prefixes[33] = {0};
	int n_prefix = 0;
	long long limit = 0;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--name") == 0 && i + 1 < argc)
			name = argv[++i];
		else if (strcmp(argv[i], "--topic") == 0 && i + 1 < argc && n_prefix < 32)
			prefixes[n_prefix++] = argv[++i];
		else if (strcmp(argv[i], "--out") == 0 && i + 1 < argc)
			out = argv[++i];
		else if (strcmp(argv[i], "--count") == 0 && i + 1 < argc)
			limit = atoll(argv[++i]);
		else {
			fprintf(stderr, "peakdesk tail: unknown option %s (see --help)\n", argv[i]);
			return 2;
		}
	}
	if (!name || !*name) {
		fprintf(stderr, "peakdesk tail: --name is required (it keys the offsets)\n");
		return 2;
	}
	pd_config cfg;
	cli_config(&cfg);
	pd_log_init("cli", name, cfg.log_level, cfg.log_format);
	static struct tail t;
	char cname[160];
	snprintf(cname, sizeof(cname), "tail:%s", name);
	t.name = cname;
	t.limit = limit;
	t.fd = out ? open(out, O_WRONLY | O_CREAT, 0644) : STDOUT_FILENO;
	if (t.fd < 0) {
		fprintf(stderr, "peakdesk tail: cannot open %s\n", out);
		return 1;
	}
	struct stat st;
	t.exact = fstat(t.fd, &st) == 0 && S_ISREG(st.st_mode);

	signal(SIGPIPE, SIG_IGN);
	pd_loop_global_init();
	t.base = event_base_new();
	pd_loop_init(t.base);
	pd_bus *bus;
	pd_errbuf eb = {{0}};
	pd_bus_options bo = {.service = "cli", .conninfo = cfg.db, .role = "peakdesk_cli"};
	if (pd_bus_open(&bus, &bo, &eb) != PD_OK) {
		fprintf(stderr, "peakdesk tail: %s\n", eb.msg);
		return 1;
	}
	if (t.exact) {
		/* Cut back whatever a killed run wrote after its last commit. */
		PGconn *c = PQconnectdb(cfg.db);
		const char *vals[1] = {t.name};
		PGresult *r = PQstatus(c) == CONNECTION_OK
				      ? PQexecParams(c, "SELECT position FROM bus.consumer_sinks WHERE consumer = $1", 1,
						     NULL, vals, NULL, NULL, 0)
				      : NULL;
		if (!r || PQresultStatus(r) != PGRES_TUPLES_OK) {
			fprintf(stderr, "peakdesk tail: cannot read the output position: %s\n", PQerrorMessage(c));
			PQclear(r);
			PQfinish(c);
			return 1;
		}
		t.pos = PQntuples(r) ? atoll(PQgetvalue(r, 0, 0)) : 0;
		PQclear(r);
		PQfinish(c);
		if (t.pos > (long long)st.st_size) {
			/* Extending would pad with NUL bytes and print nothing again. */
			fprintf(stderr,
				"peakdesk tail: %s is shorter (%lld bytes) than what consumer %s already wrote (%lld bytes):\n"
				"the file was cut or replaced. Use a new --name to start over, or restore the file.\n",
				out ? out : "standard output", (long long)st.st_size, name, t.pos);
			return 1;
		}
		if (t.pos == 0 && st.st_size > 0 && out) {
			/* A new consumer appends after what the file already holds. */
			t.pos = st.st_size;
		} else if (ftruncate(t.fd, (off_t)t.pos) != 0) {
			fprintf(stderr, "peakdesk tail: cannot truncate output\n");
			return 1;
		}
	}
	static char addrbuf[PD_SERVICES_MAX][PD_CFG_STR];
	const char *addrs[PD_SERVICES_MAX + 1];
	pd_config_pub_addrs(cfg.run_dir, addrbuf, addrs);
	pd_consumer_options co = {.name = t.name, .pub_addrs = addrs, .prefixes = n_prefix ? prefixes : NULL};
	pd_consumer_ops ops = {.apply = tail_apply, .before_commit = tail_before_commit,
			       .after_batch = tail_after_batch};
	pd_consumer *c = pd_consumer_start(bus, t.base, &co, &ops, &t, &eb);
	if (!c) {
		fprintf(stderr, "peakdesk tail: %s\n", eb.msg);
		return 1;
	}
	struct event *sterm = evsignal_new(t.base, SIGTERM, on_signal, t.base);
	struct event *sint = evsignal_new(t.base, SIGINT, on_signal, t.base);
	event_add(sterm, NULL);
	event_add(sint, NULL);
	event_base_dispatch(t.base);
	pd_consumer_stop(c);
	pd_bus_close(bus);
	event_free(sterm);
	event_free(sint);
	pd_loop_shutdown();
	event_base_free(t.base);
	pd_sb_free(&t.buf);
	if (out)
		close(t.fd);
	return 0;
}
