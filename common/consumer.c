/* Bus consumer (see consumer.h). The loop thread only receives and queues;
 * all ordering decisions and database work happen in one job at a time on
 * the writer thread, so offsets never race. */
#include "consumer.h"

#include <event2/event.h>
#include <nng/nng.h>
#include <nng/protocol/pubsub0/sub.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "log.h"
#include "nng_close.h"
#include "nng_tls.h"
#include "metrics.h"
#include "topics.h"

/* Received events held in memory at most; beyond, they are read back later
 * from the outbox instead. */
#define PD_CONSUMER_MAX_PENDING 50000
#define PD_CONSUMER_BATCH_MAX 512

/* Per-publisher progress. committed: what bus.offsets holds; work: the value
 * inside the running transaction; hint: highest seq known to exist. */
struct pubstate {
	char *name;
	uint64_t committed, work, hint;
	int loaded;
};

struct pending {
	Peakdesk__V1__Envelope *env;
	struct pending *next;
};

struct pd_consumer {
	pd_job job; /* first member: the job is the consumer */
	pd_bus *bus;
	char *name;
	char **prefixes; /* NULL-terminated copy, or NULL */
	int page;
	nng_socket sub;
	struct event *ev_recv, *ev_poll;

	pthread_mutex_t mu;
	pthread_cond_t idle_cv;
	struct pending *pending; /* received, not yet taken (guarded by mu) */
	size_t n_pending;
	int in_flight, want_poll, stopping;

	/* Writer-thread state. */
	struct pubstate *pubs;
	size_t n_pubs;
	struct pending *taken; /* this job's events, sorted */
	int poll_now;
	uint64_t applied;
	const pd_consumer_ops *ops;
	void *arg;
	pd_metric *m_applied, *m_caughtup, *m_dropped_dupes, *m_lag;
};

int pd_topic_matches(const char *topic, const char *const *prefixes)
{
	if (!prefixes)
		return 1;
	for (const char *const *p = prefixes; *p; p++)
		if (strncmp(topic, *p, strlen(*p)) == 0)
			return 1;
	return 0;
}

static struct pubstate *pub_get(pd_consumer *c, const char *name)
{
	for (size_t i = 0; i < c->n_pubs; i++)
		if (strcmp(c->pubs[i].name, name) == 0)
			return &c->pubs[i];
	c->pubs = pd_xrealloc(c->pubs, (c->n_pubs + 1) * sizeof(*c->pubs));
	struct pubstate *p = &c->pubs[c->n_pubs++];
	memset(p, 0, sizeof(*p));
	p->name = pd_xstrdup(name);
	return p;
}

static void free_list(struct pending *p)
{
	while (p) {
		struct pending *n = p->next;
		pd_pb_free(&p->env->base);
		free(p);
		p = n;
	}
}

/* ---- writer thread ----------------------------------------------------------- */

static int load_offset(pd_consumer *c, pd_txn *tx, struct pubstate *p, pd_errbuf *eb)
{
	if (p->loaded)
		return PD_OK;
	int err;
	PGresult *r = pd_db_query(pd_txn_db(tx), NULL,
				  "SELECT seq FROM bus.offsets WHERE consumer = $1 AND publisher = $2",
				  2, (const char *[]){c->name, p->name}, &err, eb);
	if (!r)
		return err;
	p->committed = PQntuples(r) ? strtoull(PQgetvalue(r, 0, 0), NULL, 10) : 0;
	PQclear(r);
	p->loaded = 1;
	return PD_OK;
}

/* Applies one event at p->work + 1 (or skips it when filtered). In careful
 * mode a failing event goes to bus.dead_letters instead of failing the batch. */
static int apply_one(pd_consumer *c, pd_txn *tx, struct pubstate *p,
		     const Peakdesk__V1__Envelope *env, pd_errbuf *eb)
{
	if (!pd_topic_matches(env->topic, (const char *const *)c->prefixes) ||
	    env->body_case == PEAKDESK__V1__ENVELOPE__BODY_HEARTBEAT) {
		p->work = env->seq;
		return PD_OK;
	}
	int careful = pd_txn_careful(tx);
	if (careful && pd_txn_savepoint(tx, eb) != PD_OK)
		return PD_EDBDOWN;
	int rc = c->ops->apply(tx, env, c->arg, eb);
	if (rc == PD_OK) {
		if (careful)
			rc = pd_txn_release(tx, eb);
		if (rc == PD_OK) {
			p->work = env->seq;
			c->applied++;
		}
		return rc;
	}
	if (!careful || rc == PD_EDBDOWN)
		return rc;
	pd_errbuf ignore;
	if (pd_txn_rollback_to(tx, &ignore) != PD_OK)
		return PD_EDBDOWN;
	char seq[24];
	snprintf(seq, sizeof(seq), "%llu", (unsigned long long)env->seq);
	const char *vals[5] = {c->name, p->name, seq, env->topic, eb->msg};
	int err;
	PGresult *r = pd_db_query(pd_txn_db(tx), NULL,
				  "INSERT INTO bus.dead_letters(consumer, publisher, seq, topic, error) "
				  "VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
				  5, vals, &err, &ignore);
	if (!r)
		return err;
	PQclear(r);
	pd_log_error("event could not be applied; recorded in bus.dead_letters",
		     "consumer=%s publisher=%s seq=%s topic=%s detail=\"%s\"", c->name, p->name, seq,
		     env->topic, eb->msg);
	p->work = env->seq;
	eb->msg[0] = 0;
	return PD_OK;
}

/* Reads events (p->work, upto] from the outbox and applies them, at most
 * budget events. Returns PD_OK; *budget is decreased. */
static int catch_up(pd_consumer *c, pd_txn *tx, struct pubstate *p, uint64_t upto,
		    int *budget, pd_errbuf *eb)
{
	while (p->work < upto && *budget > 0) {
		char from[24], to[24], lim[16];
		snprintf(from, sizeof(from), "%llu", (unsigned long long)p->work);
		snprintf(to, sizeof(to), "%llu", (unsigned long long)upto);
		snprintf(lim, sizeof(lim), "%d", *budget < c->page ? *budget : c->page);
		int err;
		const char *vals[4] = {p->name, from, to, lim};
		PGresult *r = pd_db_query(pd_txn_db(tx), "pd_consumer_catch_up",
					  /* the service (the name's prefix, 001's CHECK)
					   * keeps the read to that service's days (034) */
					  "SELECT seq, payload FROM bus.outbox WHERE service = split_part($1, '-', 1) "
					  "AND publisher = $1 AND seq > $2 AND seq <= $3 ORDER BY seq LIMIT $4",
					  4, vals, &err, eb);
		if (!r)
			return err;
		int n = PQntuples(r);
		if (n == 0) {
			/* The publisher said it has these, but they are gone: purged by
			 * retention before we read them (or a heartbeat raced a
			 * rollback). Do not spin on them. */
			PQclear(r);
			if (p->work > 0)
				pd_log_warn("outbox rows missing; skipping", "consumer=%s publisher=%s from=%s to=%s",
					    c->name, p->name, from, to);
			p->hint = p->work;
			return PD_OK;
		}
		for (int i = 0; i < n; i++) {
			uint64_t seq = strtoull(PQgetvalue(r, i, 0), NULL, 10);
			size_t blen;
			unsigned char *bin = PQunescapeBytea((const unsigned char *)PQgetvalue(r, i, 1), &blen);
			pd_errbuf deb = {{0}};
			Peakdesk__V1__Envelope *env = bin ? (Peakdesk__V1__Envelope *)pd_pb_unpack(
				&peakdesk__v1__envelope__descriptor, bin, blen, &deb) : NULL;
			PQfreemem(bin);
			if (seq != p->work + 1 && p->work > 0)
				pd_log_warn("outbox gap (purged rows); skipping", "consumer=%s publisher=%s expected=%llu got=%llu",
					    c->name, p->name, (unsigned long long)(p->work + 1),
					    (unsigned long long)seq);
			if (!env) {
				pd_log_error("undecodable outbox row skipped", "consumer=%s publisher=%s seq=%llu detail=\"%s\"",
					     c->name, p->name, (unsigned long long)seq, deb.msg);
				p->work = seq;
				continue;
			}
			env->seq = seq; /* the row's seq is authoritative */
			int rc = apply_one(c, tx, p, env, eb);
			pd_pb_free(&env->base);
			if (rc != PD_OK) {
				PQclear(r);
				return rc;
			}
			pd_metric_add(c->m_caughtup, 1);
		}
		PQclear(r);
		*budget -= n;
	}
	return PD_OK;
}

static int poll_publishers(pd_consumer *c, pd_txn *tx, pd_errbuf *eb)
{
	int err;
	PGresult *r = pd_db_query(pd_txn_db(tx), NULL,
				  "SELECT p.publisher, coalesce((SELECT max(seq) FROM bus.outbox o "
				  "WHERE o.service = p.service AND o.publisher = p.publisher), 0) FROM bus.publishers p",
				  0, NULL, &err, eb);
	if (!r)
		return err;
	for (int i = 0; i < PQntuples(r); i++) {
		struct pubstate *p = pub_get(c, PQgetvalue(r, i, 0));
		uint64_t max = strtoull(PQgetvalue(r, i, 1), NULL, 10);
		if (max > p->hint)
			p->hint = max;
	}
	PQclear(r);
	return PD_OK;
}

static int save_offset(pd_consumer *c, pd_txn *tx, struct pubstate *p, pd_errbuf *eb)
{
	char seq[24];
	snprintf(seq, sizeof(seq), "%llu", (unsigned long long)p->work);
	int err;
	PGresult *r = pd_db_query(pd_txn_db(tx), "pd_consumer_save_offset",
				  "INSERT INTO bus.offsets(consumer, publisher, seq, updated_at) "
				  "VALUES ($1, $2, $3, now()) ON CONFLICT (consumer, publisher) "
				  "DO UPDATE SET seq = excluded.seq, updated_at = now()", 3,
				  (const char *[]){c->name, p->name, seq}, &err, eb);
	if (!r)
		return err;
	PQclear(r);
	return PD_OK;
}

static int consumer_apply(pd_txn *tx, pd_job *job)
{
	pd_consumer *c = (pd_consumer *)job;
	pd_errbuf ebuf = {{0}}, *eb = &ebuf;
	int rc;
	if (c->poll_now && (rc = poll_publishers(c, tx, eb)) != PD_OK)
		goto out;
	for (size_t i = 0; i < c->n_pubs; i++) {
		if ((rc = load_offset(c, tx, &c->pubs[i], eb)) != PD_OK)
			goto out;
		c->pubs[i].work = c->pubs[i].committed;
	}
	/* Catch-up per transaction is bounded like live work: a backlog of
	 * hours drains in commits of PD_CONSUMER_BATCH_MAX events, so progress
	 * shows at once, other publishers' live events are applied in every
	 * one of those transactions, and a stop waits for one small batch
	 * (`make chaos`, resource_chaos.sh: 20,000 per transaction kept 200,000
	 * events of backlog uncommitted for minutes and outlived SIGTERM). */
	int budget = PD_CONSUMER_BATCH_MAX;
	/* Live events, already sorted by publisher then seq. */
	for (struct pending *e = c->taken; e; e = e->next) {
		struct pubstate *p = pub_get(c, e->env->publisher);
		if (!p->loaded) {
			if ((rc = load_offset(c, tx, p, eb)) != PD_OK)
				goto out;
			p->work = p->committed;
		}
		uint64_t seq = e->env->seq;
		if (e->env->body_case == PEAKDESK__V1__ENVELOPE__BODY_HEARTBEAT) {
			if (seq > p->hint)
				p->hint = seq;
			continue;
		}
		if (seq <= p->work) {
			pd_metric_add(c->m_dropped_dupes, 1);
			continue;
		}
		if (seq > p->work + 1) {
			if ((rc = catch_up(c, tx, p, seq - 1, &budget, eb)) != PD_OK)
				goto out;
			if (p->work != seq - 1) {
				/* Budget spent (or rows missing): remember and move on. */
				if (seq > p->hint)
					p->hint = seq;
				continue;
			}
		}
		if ((rc = apply_one(c, tx, p, e->env, eb)) != PD_OK)
			goto out;
		pd_metric_add(c->m_applied, 1);
	}
	for (size_t i = 0; i < c->n_pubs; i++) {
		struct pubstate *p = &c->pubs[i];
		if (p->hint > p->work && (rc = catch_up(c, tx, p, p->hint, &budget, eb)) != PD_OK)
			goto out;
	}
	for (size_t i = 0; i < c->n_pubs; i++) {
		struct pubstate *p = &c->pubs[i];
		if (p->work != p->committed && (rc = save_offset(c, tx, p, eb)) != PD_OK)
			goto out;
	}
	if (c->ops->before_commit)
		rc = pd_txn_before_commit(tx, (int (*)(pd_txn *, void *))c->ops->before_commit, c->arg);
	else
		rc = PD_OK;
out:
	if (rc != PD_OK)
		pd_log_warn("consumer batch failed", "consumer=%s detail=\"%s\"", c->name, eb->msg);
	return rc;
}

static void schedule_locked(pd_consumer *c);

static void consumer_done(pd_job *job, int err, const pd_errbuf *eb)
{
	pd_consumer *c = (pd_consumer *)job;
	uint64_t lag = 0;
	for (size_t i = 0; i < c->n_pubs; i++) {
		struct pubstate *p = &c->pubs[i];
		if (err == PD_OK) {
			p->committed = p->work;
		} else {
			/* Nothing committed: the events we held are in the outbox,
			 * so remember how far they went and read them back later. */
			for (struct pending *e = c->taken; e; e = e->next)
				if (strcmp(e->env->publisher, p->name) == 0 && e->env->seq > p->hint)
					p->hint = e->env->seq;
			p->loaded = 0;
		}
		if (p->hint > p->committed)
			lag += p->hint - p->committed;
	}
	pd_metric_set(c->m_lag, (int64_t)lag);
	free_list(c->taken);
	c->taken = NULL;
	c->poll_now = 0;
	if (c->ops->after_batch)
		c->ops->after_batch(c->arg, err);
	if (err != PD_OK)
		pd_log_warn("consumer batch not committed; will retry from the outbox", "consumer=%s detail=\"%s\"",
			    c->name, eb ? eb->msg : "");
	pthread_mutex_lock(&c->mu);
	c->in_flight = 0;
	int more_backlog = lag > 0 && err == PD_OK;
	if (err != PD_OK) {
		/* Back off a little: the poll timer will bring us back. */
		pthread_cond_broadcast(&c->idle_cv);
		pthread_mutex_unlock(&c->mu);
		return;
	}
	if (more_backlog)
		c->want_poll = 0; /* hints already say what to read */
	if (c->pending || more_backlog || c->want_poll)
		schedule_locked(c);
	/* Nothing scheduled (idle, or pd_consumer_stop is waiting and
	 * schedule_locked refused): wake the waiter. */
	if (!c->in_flight)
		pthread_cond_broadcast(&c->idle_cv);
	pthread_mutex_unlock(&c->mu);
}

static int cmp_pending(const void *a, const void *b)
{
	const Peakdesk__V1__Envelope *x = (*(struct pending *const *)a)->env;
	const Peakdesk__V1__Envelope *y = (*(struct pending *const *)b)->env;
	int s = strcmp(x->publisher, y->publisher);
	if (s)
		return s;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* With c->mu held: hands the pending events to a new job, sorted. */
static void schedule_locked(pd_consumer *c)
{
	if (c->in_flight || c->stopping)
		return;
	size_t n = c->n_pending;
	struct pending **arr = n ? pd_xmalloc(n * sizeof(*arr)) : NULL;
	size_t i = 0;
	for (struct pending *e = c->pending; e; e = e->next)
		arr[i++] = e;
	if (n)
		qsort(arr, n, sizeof(*arr), cmp_pending);
	/* At most PD_CONSUMER_BATCH_MAX events per transaction, a prefix of
	 * each publisher's seqs (sorted): a slow consumer facing a flood
	 * commits (and answers SIGTERM) every batch instead of holding one
	 * transaction open over the whole backlog. The rest stays pending, in
	 * order, for the next job. */
	size_t take = n < PD_CONSUMER_BATCH_MAX ? n : PD_CONSUMER_BATCH_MAX;
	for (i = 0; i + 1 < n; i++)
		arr[i]->next = i + 1 == take ? NULL : arr[i + 1];
	if (n)
		arr[n - 1]->next = NULL;
	c->taken = take ? arr[0] : NULL;
	c->pending = take < n ? arr[take] : NULL;
	c->n_pending = n - take;
	free(arr);
	c->poll_now = c->want_poll;
	c->want_poll = 0;
	c->in_flight = 1;
	pd_bus_submit(c->bus, &c->job);
}

/* ---- loop thread ------------------------------------------------------------- */

static void on_readable(evutil_socket_t fd, short what, void *arg)
{
	pd_consumer *c = arg;
	struct pending *head = NULL, **tail = &head;
	size_t n = 0;
	for (int i = 0; i < 4096; i++) {
		nng_msg *m;
		if (nng_recvmsg(c->sub, &m, NNG_FLAG_NONBLOCK) != 0)
			break;
		const uint8_t *b = nng_msg_body(m);
		size_t len = nng_msg_len(m);
		const uint8_t *z = memchr(b, 0, len);
		if (!z) {
			nng_msg_free(m);
			continue;
		}
		pd_errbuf eb = {{0}};
		Peakdesk__V1__Envelope *env = (Peakdesk__V1__Envelope *)pd_pb_unpack(
			&peakdesk__v1__envelope__descriptor, z + 1, len - (size_t)(z + 1 - b), &eb);
		nng_msg_free(m);
		if (!env || !env->publisher || !*env->publisher || env->seq == 0) {
			if (env)
				pd_pb_free(&env->base);
			continue;
		}
		/* Heartbeats travel the same queue: hints are writer-thread state,
		 * and a heartbeat's seq is its publisher's last committed seq. */
		struct pending *p = pd_xmalloc(sizeof(*p));
		p->env = env;
		p->next = NULL;
		*tail = p;
		tail = &p->next;
		n++;
	}
	if (!n)
		return;
	pthread_mutex_lock(&c->mu);
	if (c->n_pending + n > PD_CONSUMER_MAX_PENDING) {
		/* The writer is far behind: keep memory bounded. Dropping is safe
		 * because the outbox has everything; a poll re-learns how far
		 * each publisher is and catch-up reads the rest. */
		pthread_mutex_unlock(&c->mu);
		free_list(head);
		pthread_mutex_lock(&c->mu);
		c->want_poll = 1;
	} else {
		*tail = c->pending;
		c->pending = head;
		c->n_pending += n;
	}
	schedule_locked(c);
	pthread_mutex_unlock(&c->mu);
}

static void on_poll(evutil_socket_t fd, short what, void *arg)
{
	pd_consumer *c = arg;
	pthread_mutex_lock(&c->mu);
	c->want_poll = 1;
	schedule_locked(c);
	pthread_mutex_unlock(&c->mu);
}

pd_consumer *pd_consumer_start(pd_bus *bus, struct event_base *base,
			       const pd_consumer_options *o, const pd_consumer_ops *ops,
			       void *arg, pd_errbuf *eb)
{
	pd_consumer *c = pd_xcalloc(1, sizeof(*c));
	c->job.apply = consumer_apply;
	c->job.done = consumer_done;
	c->bus = bus;
	c->name = pd_xstrdup(o->name);
	c->ops = ops;
	c->arg = arg;
	c->page = o->max_events_per_batch > 0 ? o->max_events_per_batch : 2000;
	pthread_mutex_init(&c->mu, NULL);
	pthread_cond_init(&c->idle_cv, NULL);
	if (o->prefixes) {
		size_t n = 0;
		while (o->prefixes[n])
			n++;
		c->prefixes = pd_xcalloc(n + 1, sizeof(char *));
		for (size_t i = 0; i < n; i++)
			c->prefixes[i] = pd_xstrdup(o->prefixes[i]);
	}
	char lbl[160];
	snprintf(lbl, sizeof(lbl), "consumer=\"%s\"", c->name);
	c->m_applied = pd_counter("peakdesk_consumer_events_applied_total", "events applied from NNG", lbl);
	c->m_caughtup = pd_counter("peakdesk_consumer_events_caught_up_total", "events read back from bus.outbox", lbl);
	c->m_dropped_dupes = pd_counter("peakdesk_consumer_duplicates_total", "events skipped as already applied", lbl);
	c->m_lag = pd_gauge("peakdesk_consumer_lag_events", "events known to exist but not yet applied", lbl);

	int rc = nng_sub0_open(&c->sub);
	if (rc != 0) {
		pd_fail(eb, PD_ENNG, "sub socket: %s", nng_strerror(rc));
		goto fail;
	}
	nng_socket_set_size(c->sub, NNG_OPT_RECVMAXSZ, PD_MAX_MSG_BYTES + 256);
	/* A deep queue makes drops rarer; drops are still fine (catch-up). */
	nng_socket_set_int(c->sub, NNG_OPT_RECVBUF, 8192);
	if (c->prefixes) {
		for (char **p = c->prefixes; *p; p++)
			nng_socket_set(c->sub, NNG_OPT_SUB_SUBSCRIBE, *p, strlen(*p));
		nng_socket_set(c->sub, NNG_OPT_SUB_SUBSCRIBE, PD_TOPIC_HEARTBEAT, strlen(PD_TOPIC_HEARTBEAT));
	} else {
		nng_socket_set(c->sub, NNG_OPT_SUB_SUBSCRIBE, "", 0);
	}
	for (const char *const *a = o->pub_addrs; a && *a; a++) {
		if (!**a)
			continue;
		/* Non-blocking dial: the publisher may be down now; NNG retries. */
		char nerr[PD_ERRMSG_MAX];
		rc = pd_nng_dial(c->sub, *a, NNG_FLAG_NONBLOCK, NULL, nerr, sizeof(nerr));
		if (rc != 0) {
			pd_fail(eb, PD_ENNG, "dial %s: %s", *a, nerr);
			goto fail;
		}
	}
	int fd;
	rc = nng_socket_get_int(c->sub, NNG_OPT_RECVFD, &fd);
	if (rc != 0) {
		pd_fail(eb, PD_ENNG, "recvfd: %s", nng_strerror(rc));
		goto fail;
	}
	c->ev_recv = event_new(base, fd, EV_READ | EV_PERSIST, on_readable, c);
	event_add(c->ev_recv, NULL);
	c->ev_poll = event_new(base, -1, EV_PERSIST, on_poll, c);
	int poll_ms = o->poll_ms > 0 ? o->poll_ms : 5000;
	struct timeval tv = {poll_ms / 1000, (poll_ms % 1000) * 1000};
	event_add(c->ev_poll, &tv);

	/* Start-up: read everything committed since our offsets. */
	pthread_mutex_lock(&c->mu);
	c->want_poll = 1;
	schedule_locked(c);
	pthread_mutex_unlock(&c->mu);
	pd_log_info("consumer started", "consumer=%s", c->name);
	return c;
fail:
	pd_consumer_stop(c);
	return NULL;
}

void pd_consumer_stop(pd_consumer *c)
{
	if (!c)
		return;
	if (c->ev_recv)
		event_free(c->ev_recv);
	if (c->ev_poll)
		event_free(c->ev_poll);
	pthread_mutex_lock(&c->mu);
	c->stopping = 1;
	while (c->in_flight)
		pthread_cond_wait(&c->idle_cv, &c->mu);
	pthread_mutex_unlock(&c->mu);
	/* the SUB socket is read through its fd: no callback of ours can
	 * run after this, so a close left hanging by NNG 1.5.2 is safe */
	pd_nng_close_bounded(c->sub, 2000, "consumer SUB");
	free_list(c->pending);
	for (size_t i = 0; i < c->n_pubs; i++)
		free(c->pubs[i].name);
	free(c->pubs);
	if (c->prefixes) {
		for (char **p = c->prefixes; *p; p++)
			free(*p);
		free(c->prefixes);
	}
	free(c->name);
	pthread_mutex_destroy(&c->mu);
	pthread_cond_destroy(&c->idle_cv);
	free(c);
}

uint64_t pd_consumer_applied(const pd_consumer *c)
{
	return c->applied;
}
