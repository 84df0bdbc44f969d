/* emit_events: a publisher standing in for a service that does not exist
 * yet (or for a test's own scenario). Reads Envelopes as JSON lines on stdin
 * and commits each through the real bus (outbox + PUB) as
 * --instance NAME of --service SERVICE. Prints the seq of each. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bus.h"
#include "codec.h"
#include "config.h"
#include "log.h"

struct emit_job {
	pd_job job;
	Peakdesk__V1__Envelope *env;
	int done, err;
	pthread_mutex_t mu;
	pthread_cond_t cv;
};

static int apply(pd_txn *tx, pd_job *job)
{
	struct emit_job *j = (struct emit_job *)job;
	pd_errbuf eb = {{0}};
	int rc = pd_txn_emit(tx, j->env, &eb);
	if (rc != PD_OK)
		fprintf(stderr, "emit_events: %s\n", eb.msg);
	return rc;
}

static void done(pd_job *job, int err, const pd_errbuf *eb)
{
	struct emit_job *j = (struct emit_job *)job;
	pthread_mutex_lock(&j->mu);
	j->done = 1;
	j->err = err;
	pthread_cond_signal(&j->cv);
	pthread_mutex_unlock(&j->mu);
}

int main(int argc, char **argv)
{
	const char *service = NULL, *instance = NULL;
	for (int i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--service") == 0)
			service = argv[i + 1];
		else if (strcmp(argv[i], "--instance") == 0)
			instance = argv[i + 1];
	}
	if (!service || !instance) {
		fprintf(stderr, "usage: emit_events --service SERVICE --instance SERVICE-N < envelopes.jsonl\n");
		return 2;
	}
	pd_log_init("emit_events", instance, "warn", "logfmt");
	char role[64], pub[PD_CFG_STR], run_dir[PD_CFG_STR];
	snprintf(role, sizeof(role), "peakdesk_%s", service);
	pd_config_run_dir(run_dir, sizeof(run_dir));
	/* The service's own PUB address, where its consumers already dial. */
	pd_config_service_addr(service, "PUB", run_dir, pub, sizeof(pub));
	pd_bus *bus;
	pd_errbuf eb = {{0}};
	pd_bus_options o = {.service = service, .instance = instance,
			    .conninfo = getenv("PEAKDESK_DB") ? getenv("PEAKDESK_DB") : "dbname=peakdesk",
			    .role = role, .pub_addr = pub};
	if (pd_bus_open(&bus, &o, &eb) != PD_OK) {
		fprintf(stderr, "emit_events: %s\n", eb.msg);
		return 1;
	}
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int rc = 0;
	while ((len = getline(&line, &cap, stdin)) > 0) {
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = 0;
		if (!len)
			continue;
		ProtobufCMessage *m;
		if (pd_json_decode(&peakdesk__v1__envelope__descriptor, line, (size_t)len, &m, &eb) != PD_OK) {
			fprintf(stderr, "emit_events: %s\n", eb.msg);
			rc = 1;
			continue;
		}
		struct emit_job j = {.job = {.apply = apply, .done = done}, .env = (Peakdesk__V1__Envelope *)m};
		pthread_mutex_init(&j.mu, NULL);
		pthread_cond_init(&j.cv, NULL);
		pd_bus_submit(bus, &j.job);
		pthread_mutex_lock(&j.mu);
		while (!j.done)
			pthread_cond_wait(&j.cv, &j.mu);
		pthread_mutex_unlock(&j.mu);
		if (j.err)
			rc = 1;
		else
			printf("%llu\n", (unsigned long long)j.env->seq);
		pd_pb_free(m);
	}
	free(line);
	pd_bus_close(bus);
	return rc;
}
