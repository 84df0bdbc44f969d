/* The single ordered writer of an instance: group commit, outbox, PUB after
 * commit, heartbeats, outbox retention (see bus.h for the contract). */
#include "bus.h"

#include <nng/nng.h>
#include <nng/protocol/pubsub0/pub.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "codec.h"
#include "day_partitions.h"
#include "ids.h"
#include "log.h"
#include "nng_close.h"
#include "nng_tls.h"
#include "metrics.h"
#include "topics.h"

/* One outbox row staged in the open transaction. */
struct staged {
	uint64_t seq;
	uint8_t event_id[16];
	char *topic;
	uint8_t *payload;
	size_t len;
};

struct hook {
	int (*fn)(pd_txn *tx, void *arg);
	void *arg;
};

struct held {
	const char *sql;
	int n;
	char **vals; /* copies; NULL stays NULL */
};

struct pd_txn {
	pd_bus *bus;
	int careful;
	uint64_t next_seq;
	struct staged *rows;
	size_t n_rows, cap_rows;
	struct hook hooks[4];
	int n_hooks;
	int savepoint_depth;
	uint64_t serial; /* counts transactions: state cached per transaction compares it */
	struct held *held; /* pd_txn_hold_writes: writes kept back, in order */
	size_t n_held, cap_held;
	int holding;
	pd_job **batch; /* scratch for apply_batch runs */
	size_t cap_batch;
};

struct pd_bus {
	pd_bus_options o;
	char *service, *instance, *pub_addr;
	pd_db *db;
	nng_socket pub;
	int has_pub;
	uint64_t lock_generation; /* db generation the advisory lock belongs to */
	uint64_t committed_seq;

	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pd_job *head, *tail;
	size_t queued;
	int stopping;
	volatile int fatal;
	volatile int db_up;

	pd_metric *m_events, *m_batches, *m_failed, *m_batch_seconds, *m_seq, *m_queue;
};

/* ---- small helpers ---------------------------------------------------------- */

static void held_clear(pd_txn *tx)
{
	for (size_t i = 0; i < tx->n_held; i++) {
		for (int k = 0; k < tx->held[i].n; k++)
			free(tx->held[i].vals[k]);
		free(tx->held[i].vals);
	}
	tx->n_held = 0;
	tx->holding = 0;
}

static void staged_clear(pd_txn *tx)
{
	for (size_t i = 0; i < tx->n_rows; i++) {
		free(tx->rows[i].topic);
		free(tx->rows[i].payload);
	}
	tx->n_rows = 0;
	tx->n_hooks = 0;
	tx->savepoint_depth = 0;
	held_clear(tx);
}

pd_db *pd_txn_db(pd_txn *tx)
{
	return tx->bus->db;
}

int pd_txn_careful(const pd_txn *tx)
{
	return tx->careful;
}

int pd_txn_before_commit(pd_txn *tx, int (*fn)(pd_txn *tx, void *arg), void *arg)
{
	if (tx->n_hooks >= 4)
		return PD_EINVAL;
	tx->hooks[tx->n_hooks].fn = fn;
	tx->hooks[tx->n_hooks].arg = arg;
	tx->n_hooks++;
	return PD_OK;
}

/* A statement's prepared name: the address of its string literal. */
static void stmt_name(const char *sql, char name[32])
{
	snprintf(name, 32, "q_%p", (const void *)sql);
}

PGresult *pd_txn_query(pd_txn *tx, const char *sql, int n, const char *const *vals, int *err, pd_errbuf *eb)
{
	char name[32];
	stmt_name(sql, name);
	return pd_db_query(tx->bus->db, name, sql, n, vals, err, eb);
}

uint64_t pd_txn_serial(const pd_txn *tx)
{
	return tx->serial;
}

void pd_txn_hold_writes(pd_txn *tx)
{
	tx->holding = 1;
}

int pd_txn_exec_then_held(pd_txn *tx, const char *sql, int n, const char *const *vals, pd_errbuf *eb)
{
	tx->holding = 0;
	int rc = pd_txn_exec(tx, sql, n, vals, eb);
	for (size_t i = 0; i < tx->n_held && rc == PD_OK; i++)
		rc = pd_txn_exec(tx, tx->held[i].sql, tx->held[i].n, (const char *const *)tx->held[i].vals, eb);
	held_clear(tx);
	return rc;
}

int pd_txn_exec(pd_txn *tx, const char *sql, int n, const char *const *vals, pd_errbuf *eb)
{
	if (tx->holding) {
		if (tx->n_held == tx->cap_held) {
			tx->cap_held = tx->cap_held ? 2 * tx->cap_held : 16;
			tx->held = pd_xrealloc(tx->held, tx->cap_held * sizeof(*tx->held));
		}
		struct held *h = &tx->held[tx->n_held++];
		h->sql = sql;
		h->n = n;
		h->vals = pd_xcalloc(n ? (size_t)n : 1, sizeof(*h->vals));
		for (int k = 0; k < n; k++)
			h->vals[k] = vals[k] ? pd_xstrdup(vals[k]) : NULL;
		return PD_OK;
	}
	/* In a batch that fails as a whole (not careful, no savepoint to
	 * fall back to) a write need not wait for its answer. */
	if (tx->bus->o.defer_writes && !tx->careful && tx->savepoint_depth == 0) {
		char name[32];
		stmt_name(sql, name);
		return pd_db_defer(tx->bus->db, name, sql, n, vals, eb);
	}
	int err;
	PGresult *r = pd_txn_query(tx, sql, n, vals, &err, eb);
	if (!r)
		return err;
	PQclear(r);
	return PD_OK;
}

int pd_txn_savepoint(pd_txn *tx, pd_errbuf *eb)
{
	int rc = pd_db_exec(tx->bus->db, "SAVEPOINT pd_unit", eb);
	if (rc == PD_OK)
		tx->savepoint_depth++;
	return rc;
}

int pd_txn_release(pd_txn *tx, pd_errbuf *eb)
{
	tx->savepoint_depth--;
	return pd_db_exec(tx->bus->db, "RELEASE SAVEPOINT pd_unit", eb);
}

int pd_txn_rollback_to(pd_txn *tx, pd_errbuf *eb)
{
	held_clear(tx); /* the failed unit's */
	tx->savepoint_depth--;
	int rc = pd_db_exec(tx->bus->db, "ROLLBACK TO SAVEPOINT pd_unit", eb);
	if (rc == PD_OK)
		rc = pd_db_exec(tx->bus->db, "RELEASE SAVEPOINT pd_unit", eb);
	return rc;
}

int pd_bus_frame(const char *topic, const uint8_t *payload, size_t len,
		 uint8_t **out, size_t *outlen)
{
	size_t tl = strlen(topic);
	uint8_t *b = malloc(tl + 1 + len);
	if (!b)
		return PD_ENOMEM;
	memcpy(b, topic, tl);
	b[tl] = 0;
	memcpy(b + tl + 1, payload, len);
	*out = b;
	*outlen = tl + 1 + len;
	return PD_OK;
}

int pd_txn_emit(pd_txn *tx, Peakdesk__V1__Envelope *env, pd_errbuf *eb)
{
	pd_bus *bus = tx->bus;
	if (!bus->instance)
		return pd_fail(eb, PD_EINVAL, "this process has no publisher name and cannot emit");
	if (!env->topic || !*env->topic || env->body_case == PEAKDESK__V1__ENVELOPE__BODY__NOT_SET)
		return pd_fail(eb, PD_EINVAL, "emit needs a topic and a body");
	/* We fill publisher/seq (and a missing event_id) only for packing and
	 * put the caller's values back afterwards: the envelope stays theirs. */
	char *old_publisher = env->publisher;
	ProtobufCBinaryData old_id = env->event_id;
	uint8_t idbuf[16];
	if (env->event_id.len != 16) {
		pd_uuid_new(idbuf);
		env->event_id.data = idbuf;
		env->event_id.len = 16;
	}
	env->publisher = bus->instance;
	env->seq = tx->next_seq;
	if (env->produced_at_ms == 0)
		env->produced_at_ms = pd_now_ms();
	if (env->occurred_at_ms == 0)
		env->occurred_at_ms = env->produced_at_ms;
	size_t len = protobuf_c_message_get_packed_size(&env->base);
	uint8_t *buf = pd_xmalloc(len);
	protobuf_c_message_pack(&env->base, buf);

	if (tx->n_rows == tx->cap_rows) {
		tx->cap_rows = tx->cap_rows ? tx->cap_rows * 2 : 64;
		tx->rows = pd_xrealloc(tx->rows, tx->cap_rows * sizeof(*tx->rows));
	}
	struct staged *s = &tx->rows[tx->n_rows++];
	s->seq = tx->next_seq++;
	memcpy(s->event_id, env->event_id.data, 16);
	s->topic = pd_xstrdup(env->topic);
	s->payload = buf;
	s->len = len;
	env->event_id = old_id;
	env->publisher = old_publisher;
	return PD_OK;
}

/* ---- publisher lock and seq -------------------------------------------------- */

/* Takes the advisory lock on the publisher name for this connection's session
 * and loads the last committed seq. Runs after every (re)connect. */
static int claim_publisher(pd_bus *bus, pd_errbuf *eb)
{
	int err;
	const char *p[1] = {bus->instance};
	PGresult *r;
	int got;
	if (bus->o.lock_wait_ms > 0) {
		/* Wait our turn, bounded by lock_timeout (the error means "held"). */
		char sql[64];
		snprintf(sql, sizeof(sql), "SET lock_timeout = %d", bus->o.lock_wait_ms);
		pd_db_exec(bus->db, sql, eb);
		r = pd_db_query(bus->db, NULL, "SELECT pg_advisory_lock(hashtext('peakdesk.publisher'), hashtext($1))",
				1, p, &err, eb);
		pd_errbuf ignore;
		pd_db_exec(bus->db, "SET lock_timeout = 0", &ignore);
		if (!r && err == PD_EDBDOWN)
			return err;
		got = r != NULL;
	} else {
		r = pd_db_query(bus->db, NULL, "SELECT pg_try_advisory_lock(hashtext('peakdesk.publisher'), hashtext($1))",
				1, p, &err, eb);
		if (!r)
			return err;
		got = PQgetvalue(r, 0, 0)[0] == 't';
	}
	PQclear(r);
	if (!got)
		return pd_fail(eb, PD_ELOCKED, "publisher name %s is held by another running instance",
			       bus->instance);
	r = pd_db_query(bus->db, NULL,
			"INSERT INTO bus.publishers(publisher, service, started_at) VALUES ($1, $2, now()) "
			"ON CONFLICT (publisher) DO UPDATE SET started_at = now()",
			2, (const char *[]){bus->instance, bus->service}, &err, eb);
	if (!r)
		return err;
	PQclear(r);
	r = pd_db_query(bus->db, NULL,
			"SELECT coalesce(max(seq), 0) FROM bus.outbox WHERE service = $2 AND publisher = $1", 2,
			(const char *[]){bus->instance, bus->service}, &err, eb);
	if (!r)
		return err;
	bus->committed_seq = strtoull(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	bus->lock_generation = pd_db_generation(bus->db);
	pd_metric_set(bus->m_seq, (int64_t)bus->committed_seq);
	return PD_OK;
}

/* Makes sure the connection is up and, when we publish, that this session
 * holds the lock (a reconnect loses session state). */
static int ensure_ready(pd_bus *bus, int wait_ms, pd_errbuf *eb)
{
	if (!pd_db_ok(bus->db)) {
		bus->db_up = 0;
		if (pd_db_connect(bus->db, wait_ms, bus->o.stop) != PD_OK)
			return pd_fail(eb, PD_EDBDOWN, "database unavailable");
	}
	if (bus->instance && bus->lock_generation != pd_db_generation(bus->db)) {
		int rc = claim_publisher(bus, eb);
		if (rc == PD_ELOCKED) {
			pd_log_error("publisher lock lost to another instance; stopping", "publisher=%s",
				     bus->instance);
			bus->fatal = 1;
			return rc;
		}
		if (rc != PD_OK)
			return rc;
	}
	bus->db_up = 1;
	return PD_OK;
}

/* ---- PUB -------------------------------------------------------------------- */

static void pub_send(pd_bus *bus, const char *topic, const uint8_t *payload, size_t len)
{
	if (!bus->has_pub)
		return;
	nng_msg *m;
	size_t tl = strlen(topic);
	if (nng_msg_alloc(&m, 0) != 0)
		return;
	/* Append only: nng_msg_insert can corrupt the heap in NNG 1.5.2. */
	if (nng_msg_append(m, topic, tl) != 0 || nng_msg_append(m, "", 1) != 0 ||
	    nng_msg_append(m, payload, len) != 0 || nng_sendmsg(bus->pub, m, NNG_FLAG_NONBLOCK) != 0)
		nng_msg_free(m);
}

static void send_heartbeat(pd_bus *bus)
{
	if (!bus->has_pub || !bus->instance)
		return;
	Peakdesk__V1__Heartbeat hb = PEAKDESK__V1__HEARTBEAT__INIT;
	hb.publisher = bus->instance;
	hb.last_seq = bus->committed_seq;
	hb.sent_at_ms = pd_now_ms();
	Peakdesk__V1__Envelope env = PEAKDESK__V1__ENVELOPE__INIT;
	uint8_t id[16];
	pd_uuid_new(id);
	env.event_id.data = id;
	env.event_id.len = 16;
	env.publisher = bus->instance;
	env.seq = bus->committed_seq;
	env.topic = PD_TOPIC_HEARTBEAT_NAME;
	env.produced_at_ms = hb.sent_at_ms;
	env.occurred_at_ms = hb.sent_at_ms;
	env.body_case = PEAKDESK__V1__ENVELOPE__BODY_HEARTBEAT;
	env.heartbeat = &hb;
	size_t len = protobuf_c_message_get_packed_size(&env.base);
	uint8_t *buf = pd_xmalloc(len);
	protobuf_c_message_pack(&env.base, buf);
	pub_send(bus, PD_TOPIC_HEARTBEAT_NAME, buf, len);
	free(buf);
}

/* ---- retention -------------------------------------------------------------- */

/* Keeps this service's outbox (schema 034): day partitions for the next
 * days, old days that every consumer passed dropped whole, old passed rows
 * of the default partition deleted. The newest row of each publisher always
 * stays: it carries the seq a restart resumes from. */
static void purge_outbox(pd_bus *bus)
{
	if (!bus->instance)
		return;
	char hours[16], sql[128];
	snprintf(hours, sizeof(hours), "%d", bus->o.retention_hours);
	snprintf(sql, sizeof(sql), "SELECT bus.outbox_maintain_%s(3, $1::int)", bus->service);
	int err;
	pd_errbuf eb = {{0}};
	PGresult *r = pd_db_query(bus->db, NULL, sql, 1, (const char *[]){hours}, &err, &eb);
	if (!r) {
		pd_log_warn("outbox upkeep failed", "publisher=%s detail=\"%s\"", bus->instance, eb.msg);
		return;
	}
	if (pd_day_summary_changed(PQgetvalue(r, 0, 0)))
		pd_log_info("outbox kept", "publisher=%s retention_hours=%s %s", bus->instance, hours, PQgetvalue(r, 0, 0));
	PQclear(r);
}

/* ---- the batch ---------------------------------------------------------------- */

static int flush_outbox(pd_txn *tx, pd_errbuf *eb)
{
	if (tx->n_rows == 0)
		return PD_OK;
	pd_copy c;
	char sql[160];
	/* Straight into this service's partition: the only one its role may write. */
	snprintf(sql, sizeof(sql), "COPY bus.outbox_%s(service, publisher, seq, event_id, topic, payload) FROM STDIN",
		 tx->bus->service);
	int rc = pd_copy_begin(&c, tx->bus->db, sql, eb);
	if (rc != PD_OK)
		return rc;
	for (size_t i = 0; i < tx->n_rows; i++) {
		pd_copy_text(&c, tx->bus->service);
		pd_copy_text(&c, tx->bus->instance);
		pd_copy_int(&c, (int64_t)tx->rows[i].seq);
		pd_copy_uuid(&c, tx->rows[i].event_id);
		pd_copy_text(&c, tx->rows[i].topic);
		pd_copy_bytea(&c, tx->rows[i].payload, tx->rows[i].len);
		pd_copy_end_row(&c);
	}
	return pd_copy_finish(&c, eb);
}

static void finish_jobs(pd_job *jobs, int err, const pd_errbuf *eb)
{
	while (jobs) {
		pd_job *next = jobs->next;
		jobs->next = NULL;
		jobs->done(jobs, err, eb);
		jobs = next;
	}
}

/* Runs jobs in one transaction. Returns PD_OK (committed), PD_EDBDOWN, or the
 * first failing job's error with *failed pointing at it. */
static int run_txn(pd_bus *bus, pd_txn *tx, pd_job *jobs, pd_job **failed, pd_errbuf *eb)
{
	*failed = NULL;
	staged_clear(tx);
	tx->next_seq = bus->committed_seq + 1;
	tx->serial++;
	int rc = pd_db_exec(bus->db, "BEGIN", eb);
	if (rc != PD_OK)
		return rc;
	pd_job *last = NULL;
	for (pd_job *j = jobs; j;) {
		pd_job *next = j->next;
		last = j;
		if (j->apply_batch) {
			/* A run of jobs of the same kind goes in one call. */
			size_t n = 1;
			for (pd_job *k = next; k && k->apply_batch == j->apply_batch; k = k->next)
				n++;
			if (n > tx->cap_batch) {
				tx->cap_batch = n;
				tx->batch = pd_xrealloc(tx->batch, n * sizeof(*tx->batch));
			}
			pd_job *k = j;
			for (size_t i = 0; i < n; i++, k = k->next)
				tx->batch[i] = k;
			next = k;
			rc = j->apply_batch(tx, tx->batch, n);
		} else {
			rc = j->apply(tx, j);
		}
		if (rc != PD_OK) {
			if (rc != PD_EDBDOWN)
				*failed = j;
			if (!eb->msg[0])
				pd_fail(eb, rc, "%s", pd_strerror(rc));
			goto abort;
		}
		j = next;
	}
	if (tx->n_held) { /* a bug: they would be lost, so nothing commits */
		*failed = last;
		rc = pd_fail(eb, PD_EINVAL, "%zu writes held back were never sent", tx->n_held);
		goto abort;
	}
	/* The jobs' last deferred writes: a failure is theirs (the careful
	 * re-run finds whose), not the database being unavailable. */
	if ((rc = pd_db_settle(bus->db, eb)) != PD_OK) {
		if (rc != PD_EDBDOWN)
			*failed = last;
		goto abort;
	}
	rc = flush_outbox(tx, eb);
	for (int i = 0; rc == PD_OK && i < tx->n_hooks; i++)
		rc = tx->hooks[i].fn(tx, tx->hooks[i].arg);
	if (rc != PD_OK)
		goto abort;
	rc = pd_db_exec(bus->db, "COMMIT", eb);
	if (rc != PD_OK) {
		/* A lost connection during COMMIT leaves the outcome unknown: the
		 * seq is re-read from the outbox on reconnect, and callers were
		 * told nothing was acknowledged, so they resend (idempotent). */
		return rc;
	}
	bus->committed_seq = tx->next_seq - 1;
	for (size_t i = 0; i < tx->n_rows; i++)
		pub_send(bus, tx->rows[i].topic, tx->rows[i].payload, tx->rows[i].len);
	pd_metric_add(bus->m_events, (int64_t)tx->n_rows);
	pd_metric_set(bus->m_seq, (int64_t)bus->committed_seq);
	staged_clear(tx);
	return PD_OK;
abort:;
	pd_errbuf ignore;
	pd_db_settle(bus->db, &ignore); /* deferred writes answered, so ROLLBACK runs */
	if (pd_db_ok(bus->db))
		pd_db_exec(bus->db, "ROLLBACK", &ignore);
	if (!pd_db_ok(bus->db))
		rc = PD_EDBDOWN;
	staged_clear(tx);
	return rc;
}

static void run_batch(pd_bus *bus, pd_txn *tx, pd_job *jobs)
{
	pd_errbuf eb = {{0}};
	int64_t t0 = pd_mono_ms();
	int rc = ensure_ready(bus, 0, &eb);
	if (rc != PD_OK) {
		finish_jobs(jobs, rc, &eb);
		return;
	}
	pd_job *failed;
	tx->careful = 0;
	rc = run_txn(bus, tx, jobs, &failed, &eb);
	if (rc == PD_OK) {
		finish_jobs(jobs, PD_OK, NULL);
		pd_metric_add(bus->m_batches, 1);
		pd_metric_observe(bus->m_batch_seconds, (double)(pd_mono_ms() - t0) / 1000.0);
		return;
	}
	if (rc == PD_EDBDOWN || !failed) {
		pd_log_warn("batch failed: database unavailable", "detail=\"%s\"", eb.msg);
		bus->db_up = pd_db_ok(bus->db);
		pd_metric_add(bus->m_failed, 1);
		finish_jobs(jobs, PD_EDBDOWN, &eb);
		return;
	}
	/* One job broke the batch: run each alone, carefully, so the others
	 * still commit and only the culprit reports its error. */
	pd_log_warn("batch rolled back; retrying jobs one by one", "detail=\"%s\"", eb.msg);
	tx->careful = 1;
	while (jobs) {
		pd_job *j = jobs;
		jobs = j->next;
		j->next = NULL;
		pd_errbuf jeb = {{0}};
		pd_job *f;
		int jrc = run_txn(bus, tx, j, &f, &jeb);
		if (jrc != PD_OK)
			pd_metric_add(bus->m_failed, 1);
		j->done(j, jrc, jrc == PD_OK ? NULL : &jeb);
	}
	tx->careful = 0;
}

static void *writer_main(void *arg)
{
	pd_bus *bus = arg;
	pd_txn tx = {.bus = bus};
	int64_t next_hb = pd_mono_ms() + bus->o.heartbeat_ms;
	int64_t next_purge = pd_mono_ms() + 2000; /* soon: partitions for today on */
	pthread_mutex_lock(&bus->mu);
	for (;;) {
		while (!bus->head && !bus->stopping) {
			int64_t now = pd_mono_ms();
			if (now >= next_hb)
				break;
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			int64_t wait = next_hb - now;
			ts.tv_sec += wait / 1000;
			ts.tv_nsec += (wait % 1000) * 1000000L;
			if (ts.tv_nsec >= 1000000000L) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000L;
			}
			pthread_cond_timedwait(&bus->cv, &bus->mu, &ts);
		}
		pd_job *batch = NULL, **tailp = &batch;
		int n = 0;
		while (bus->head && n < bus->o.max_batch_jobs) {
			pd_job *j = bus->head;
			bus->head = j->next;
			j->next = NULL;
			*tailp = j;
			tailp = &j->next;
			n++;
		}
		if (!bus->head)
			bus->tail = NULL;
		bus->queued -= (size_t)n;
		int stop_now = bus->stopping && !batch;
		pthread_mutex_unlock(&bus->mu);
		pd_metric_set(bus->m_queue, (int64_t)bus->queued);

		if (stop_now)
			break;
		if (batch) {
			if (bus->fatal) {
				pd_errbuf eb;
				pd_fail(&eb, PD_ELOCKED, "publisher lock lost; instance stopping");
				finish_jobs(batch, PD_ELOCKED, &eb);
			} else {
				run_batch(bus, &tx, batch);
			}
		}
		int64_t now = pd_mono_ms();
		if (now >= next_hb) {
			next_hb = now + bus->o.heartbeat_ms;
			if (!bus->fatal) {
				pd_errbuf eb = {{0}};
				/* A cheap probe and reconnect attempts ride on the
				 * heartbeat tick, so a quiet instance notices a lost
				 * or restarted database and /healthz tells the truth. */
				if (pd_db_ok(bus->db) && pd_db_exec(bus->db, "SELECT 1", &eb) != PD_OK)
					bus->db_up = 0;
				if (ensure_ready(bus, 0, &eb) == PD_OK)
					send_heartbeat(bus);
			}
		}
		if (now >= next_purge && bus->db_up && !bus->fatal) {
			next_purge = now + 60000;
			purge_outbox(bus);
		}
		pthread_mutex_lock(&bus->mu);
	}
	held_clear(&tx);
	free(tx.held);
	free(tx.rows);
	free(tx.batch);
	return NULL;
}

/* ---- public ----------------------------------------------------------------- */

/* Releases what pd_bus_open made; the writer thread is not running. */
static void bus_free(pd_bus *bus)
{
	if (bus->has_pub)
		pd_nng_close_bounded(bus->pub, 2000, "bus PUB");
	pd_db_free(bus->db);
	free(bus->service);
	free(bus->instance);
	free(bus->pub_addr);
	pthread_mutex_destroy(&bus->mu);
	pthread_cond_destroy(&bus->cv);
	free(bus);
}

int pd_bus_open(pd_bus **out, const pd_bus_options *opts, pd_errbuf *eb)
{
	pd_bus *bus = pd_xcalloc(1, sizeof(*bus));
	bus->o = *opts;
	if (bus->o.max_batch_jobs <= 0)
		bus->o.max_batch_jobs = 512;
	if (bus->o.heartbeat_ms <= 0)
		bus->o.heartbeat_ms = 1000;
	if (bus->o.retention_hours <= 0)
		bus->o.retention_hours = 168;
	bus->service = pd_xstrdup(opts->service);
	bus->instance = opts->instance ? pd_xstrdup(opts->instance) : NULL;
	bus->pub_addr = opts->pub_addr && *opts->pub_addr ? pd_xstrdup(opts->pub_addr) : NULL;
	pthread_mutex_init(&bus->mu, NULL);
	pthread_cond_init(&bus->cv, NULL);
	char app[128];
	snprintf(app, sizeof(app), "peakdesk-%s", bus->instance ? bus->instance : opts->service);
	bus->db = pd_db_new(opts->conninfo, opts->role, app);

	bus->m_events = pd_counter("peakdesk_bus_events_committed_total", "events written to bus.outbox and committed", NULL);
	bus->m_batches = pd_counter("peakdesk_bus_batches_total", "transactions committed by the writer", NULL);
	bus->m_failed = pd_counter("peakdesk_bus_batches_failed_total", "writer transactions that failed", NULL);
	bus->m_batch_seconds = pd_histogram("peakdesk_bus_batch_seconds", "writer transaction duration", NULL);
	bus->m_seq = pd_gauge("peakdesk_bus_last_seq", "last committed seq of this publisher", NULL);
	bus->m_queue = pd_gauge("peakdesk_bus_queue_jobs", "jobs waiting for the writer", NULL);

	int rc = ensure_ready(bus, opts->connect_wait_ms > 0 ? opts->connect_wait_ms : -1, eb);
	if (rc != PD_OK)
		goto fail;
	if (bus->pub_addr) {
		char nerr[PD_ERRMSG_MAX];
		int nrc = nng_pub0_open(&bus->pub);
		if (nrc == 0) {
			nng_socket_set_size(bus->pub, NNG_OPT_RECVMAXSZ, 4u << 20);
			/* A commit's events leave in one burst; NNG's default send
			 * queue drops part of a large one (measured: 32-55% at
			 * 40,000 msg/s, none with 8192). Drops are safe (catch-up)
			 * but each one costs the consumer an outbox read. */
			nng_socket_set_int(bus->pub, NNG_OPT_SENDBUF, 8192);
			nrc = pd_nng_listen(bus->pub, bus->pub_addr, nerr, sizeof(nerr));
		} else {
			snprintf(nerr, sizeof(nerr), "%s", nng_strerror(nrc));
		}
		if (nrc != 0) {
			rc = pd_fail(eb, PD_ENNG, "cannot listen on %s: %s", bus->pub_addr, nerr);
			goto fail;
		}
		bus->has_pub = 1;
	}
	if (pthread_create(&bus->thread, NULL, writer_main, bus) != 0) {
		rc = pd_fail(eb, PD_EIO, "cannot start writer thread");
		goto fail;
	}
	pd_log_info("bus ready", "publisher=%s seq=%llu pub=%s", bus->instance ? bus->instance : "-",
		    (unsigned long long)bus->committed_seq, bus->pub_addr ? bus->pub_addr : "-");
	*out = bus;
	return PD_OK;
fail:
	bus_free(bus);
	return rc;
}

void pd_bus_submit(pd_bus *bus, pd_job *job)
{
	job->next = NULL;
	pthread_mutex_lock(&bus->mu);
	if (bus->tail)
		bus->tail->next = job;
	else
		bus->head = job;
	bus->tail = job;
	bus->queued++;
	pthread_cond_signal(&bus->cv);
	pthread_mutex_unlock(&bus->mu);
}

void pd_bus_close(pd_bus *bus)
{
	if (!bus)
		return;
	pthread_mutex_lock(&bus->mu);
	bus->stopping = 1;
	pthread_cond_signal(&bus->cv);
	pthread_mutex_unlock(&bus->mu);
	pthread_join(bus->thread, NULL);
	if (bus->has_pub) {
		send_heartbeat(bus);
		/* Give the last messages a moment on the wire; consumers that miss
		 * them catch up from the outbox anyway. */
		struct timespec ts = {0, 50 * 1000000L};
		nanosleep(&ts, NULL);
	}
	bus_free(bus);
}

int pd_bus_healthy(pd_bus *bus, char *detail, size_t len)
{
	if (bus->fatal) {
		snprintf(detail, len, "publisher lock lost");
		return 0;
	}
	if (!bus->db_up) {
		snprintf(detail, len, "database unavailable");
		return 0;
	}
	snprintf(detail, len, "ok");
	return 1;
}

uint64_t pd_bus_last_seq(pd_bus *bus)
{
	return bus->committed_seq;
}

const char *pd_bus_instance(const pd_bus *bus)
{
	return bus->instance;
}

int pd_bus_fatal(const pd_bus *bus)
{
	return bus->fatal;
}

/* ---- single-flight timer jobs ----------------------------------------------- */

static int tick_apply(pd_txn *tx, pd_job *job)
{
	pd_tick_job *t = (pd_tick_job *)job;
	pd_errbuf eb = {{0}};
	/* Several instances of a service (router-1, router-2) run the same
	 * timers: the one holding this transaction's lock on the job's name
	 * runs it this tick and the others skip, so a sweep's effects (an SLA
	 * breach, a delay, an invitation sent) happen once. The lock goes with
	 * the commit, so the next holder sees them. */
	int err;
	PGresult *r = pd_txn_query(tx, "SELECT pg_try_advisory_xact_lock(hashtext('peakdesk.tick'), hashtext($1 || $2))",
				   2, (const char *[]){tx->bus->service, t->what}, &err, &eb);
	if (!r)
		return err;
	int mine = PQgetvalue(r, 0, 0)[0] == 't';
	PQclear(r);
	if (!mine)
		return PD_OK;
	int rc = t->fn(tx, t->arg, &eb);
	if (rc != PD_OK)
		pd_log_warn("timer job failed; the next tick retries", "job=\"%s\" detail=\"%s\"", t->what, eb.msg);
	return rc;
}

static void tick_done(pd_job *job, int err, const pd_errbuf *eb)
{
	pd_tick_job *t = (pd_tick_job *)job;
	if (err != PD_OK && eb && eb->msg[0])
		pd_log_warn("timer job not committed; the next tick retries", "job=\"%s\" detail=\"%s\"", t->what,
			    eb->msg);
	__atomic_store_n(&t->busy, 0, __ATOMIC_RELEASE);
}

void pd_tick_submit(pd_bus *bus, pd_tick_job *t, const void *arg)
{
	if (__atomic_exchange_n(&t->busy, 1, __ATOMIC_ACQ_REL))
		return; /* the previous run is still queued or running */
	t->job.apply = tick_apply;
	t->job.done = tick_done;
	t->job.apply_batch = NULL;
	t->arg = arg;
	pd_bus_submit(bus, &t->job);
}
