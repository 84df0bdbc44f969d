/* Outbound delivery. message.outbound events are stored by the gateway's
 * bus consumer (exactly once, with the offset); a timer claims due messages
 * in the writer (pending -> sending, attempts + 1), delivery threads run the
 * channel adapters (deliver.c), and each outcome is recorded with its
 * attempt row and a message.delivery event: delivered, retrying after an
 * exponential backoff with jitter, or dead after the last attempt. A crash
 * while sending leaves rows in 'sending'; start-up puts them back to
 * pending, so delivery is at-least-once and receivers dedupe by outbound id. */
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "consumer.h"
#include "deliver.h"
#include "gateway.h"
#include "topics.h"
#include "ids.h"
#include "log.h"
#include "mail_parse.h"
#include "metrics.h"
#include "outbound.h"

#define WORKERS 4
#define CLAIM_BATCH 32
#define CLAIM_BATCH_SQL "32" /* the same, in the claim's LIMIT */
/* Claimed and not yet recorded: a full claim is followed by the next one at
 * once (not a tick later) while fewer than this many are in hand, so the
 * delivery rate is not capped at CLAIM_BATCH per tick. */
#define MAX_IN_HAND (8 * CLAIM_BATCH)

struct queued {
	gw_delivery d;
	struct queued *next;
};

static struct {
	pd_bus *bus;
	gw_outbound_config cfg;
	pthread_t threads[WORKERS];
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct queued *head, *tail;
	int stopping, claim_in_flight, started;
	int in_hand; /* claimed, not yet recorded */
	pd_metric *m_delivered, *m_retry, *m_dead;
} g = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

/* ---- consumer: store message.outbound ------------------------------------------- */

int gw_outbound_store(pd_txn *tx, const Peakdesk__V1__Envelope *env, void *arg, pd_errbuf *eb)
{
	if (env->body_case != PEAKDESK__V1__ENVELOPE__BODY_OUTBOUND_MESSAGE)
		return PD_OK;
	const Peakdesk__V1__OutboundMessage *m = env->outbound_message;
	char reason[12];
	snprintf(reason, sizeof(reason), "%d", m->reason);
	/* An outbound message without its own id gets the event's: stable
	 * across redelivery of the same event. */
	char id[PD_UUID_TEXT];
	if (env->event_id.len == 16)
		pd_uuid_format(env->event_id.data, id);
	else
		pd_uuid_new_text(id);
	const char *vals[9] = {*m->outbound_id ? m->outbound_id : id, m->account, pd_channel_name(m->channel),
			       m->external_user_id, m->ticket_public_id, m->subject, m->text,
			       m->reply_to_external_message_id, reason};
	int err;
	PGresult *r = pd_db_query(pd_txn_db(tx), "gw_outbound_insert",
				  "INSERT INTO gateway.outbound_messages(outbound_id, account, channel, external_user_id, "
				  "ticket_public_id, subject, text, reply_to, reason) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) "
				  "ON CONFLICT (outbound_id) DO NOTHING",
				  9, vals, &err, eb);
	if (!r)
		return err;
	PQclear(r);
	return PD_OK;
}

/* ---- recording an outcome ------------------------------------------------------- */

struct record_job {
	pd_job job;
	gw_delivery d;
};

static int record_apply(pd_txn *tx, pd_job *job)
{
	gw_delivery *d = &((struct record_job *)job)->d;
	pd_errbuf eb = {{0}};
	int err;
	int dead = !d->ok && (d->permanent || d->attempt >= g.cfg.max_attempts);
	uint32_t rnd = 0;
	if (getrandom(&rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		rnd = (uint32_t)pd_mono_ms();
	int64_t delay = gw_backoff_ms(d->attempt, g.cfg.retry_base_ms, rnd);
	char attempt[12], status[12], dur[12], delay_s[24];
	snprintf(attempt, sizeof(attempt), "%d", d->attempt);
	snprintf(status, sizeof(status), "%d", d->http_status);
	snprintf(dur, sizeof(dur), "%d", d->duration_ms);
	snprintf(delay_s, sizeof(delay_s), "%lld", (long long)delay);
	const char *v1[6] = {d->outbound_id, attempt, d->ok ? "true" : "false", d->http_status ? status : NULL,
			     d->error, dur};
	PGresult *r = pd_db_query(pd_txn_db(tx), "gw_attempt_insert",
				  "INSERT INTO gateway.delivery_attempts(outbound_id, attempt, ok, http_status, error, duration_ms) "
				  "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
				  6, v1, &err, &eb);
	if (!r)
		return err;
	PQclear(r);
	const char *new_status = d->ok ? "delivered" : dead ? "dead" : "pending";
	const char *v2[4] = {d->outbound_id, new_status, d->error, delay_s};
	r = pd_db_query(pd_txn_db(tx), "gw_outbound_outcome",
			"UPDATE gateway.outbound_messages SET status = $2, last_error = $3, "
			"delivered_at = CASE WHEN $2 = 'delivered' THEN now() END, "
			"next_attempt_at = now() + make_interval(secs => $4::bigint / 1000.0) "
			"WHERE outbound_id = $1 AND status = 'sending' RETURNING " "(extract(epoch FROM next_attempt_at) * 1000)::bigint",
			4, v2, &err, &eb);
	if (!r)
		return err;
	int64_t next_ms = PQntuples(r) ? strtoll(PQgetvalue(r, 0, 0), NULL, 10) : 0;
	int updated = PQntuples(r) == 1;
	PQclear(r);
	if (!updated)
		return PD_OK; /* someone else resolved it meanwhile */
	Peakdesk__V1__DeliveryStatus st = PEAKDESK__V1__DELIVERY_STATUS__INIT;
	st.outbound_id = d->outbound_id;
	st.ticket_public_id = d->ticket_public_id;
	st.state = d->ok ? PEAKDESK__V1__DELIVERY_STATE__DELIVERY_STATE_DELIVERED
		   : dead ? PEAKDESK__V1__DELIVERY_STATE__DELIVERY_STATE_DEAD
			  : PEAKDESK__V1__DELIVERY_STATE__DELIVERY_STATE_RETRYING;
	st.attempts = d->attempt;
	st.error = d->error;
	st.next_attempt_at_ms = d->ok || dead ? 0 : next_ms;
	st.account = d->acc.name;
	Peakdesk__V1__Envelope env = PEAKDESK__V1__ENVELOPE__INIT;
	env.topic = "message.delivery";
	env.body_case = PEAKDESK__V1__ENVELOPE__BODY_DELIVERY_STATUS;
	env.delivery_status = &st;
	return pd_txn_emit(tx, &env, &eb);
}

static void record_done(pd_job *job, int err, const pd_errbuf *eb)
{
	struct record_job *j = (struct record_job *)job;
	gw_delivery *d = &j->d;
	pthread_mutex_lock(&g.mu);
	g.in_hand--;
	pthread_mutex_unlock(&g.mu);
	if (err != PD_OK)
		/* The row stays 'sending'; the next start-up retries it. */
		pd_log_warn("delivery outcome not recorded", "outbound_id=%s detail=\"%s\"", d->outbound_id,
			    eb ? eb->msg : "");
	else if (d->ok)
		pd_metric_add(g.m_delivered, 1);
	else if (d->permanent || d->attempt >= g.cfg.max_attempts)
		pd_metric_add(g.m_dead, 1);
	else
		pd_metric_add(g.m_retry, 1);
	if (err == PD_OK && !d->ok)
		pd_log_warn("delivery failed", "outbound_id=%s channel=%s account=%s attempt=%d detail=\"%s\"",
			    d->outbound_id, d->channel, d->acc.name, d->attempt, d->error);
	free(d->text);
	free(j);
}

/* ---- delivery threads ----------------------------------------------------------- */

static void *worker(void *arg)
{
	for (;;) {
		pthread_mutex_lock(&g.mu);
		while (!g.head && !g.stopping)
			pthread_cond_wait(&g.cv, &g.mu);
		struct queued *q = g.head;
		if (q) {
			g.head = q->next;
			if (!g.head)
				g.tail = NULL;
		}
		pthread_mutex_unlock(&g.mu);
		if (!q)
			return NULL; /* stopping and drained */
		struct record_job *j = pd_xcalloc(1, sizeof(*j));
		j->d = q->d;
		free(q);
		if (!j->d.permanent) /* a claim may already know it cannot go */
			gw_deliver(&j->d, &g.cfg.deliver);
		j->job.apply = record_apply;
		j->job.done = record_done;
		pd_bus_submit(g.bus, &j->job);
	}
}

/* ---- claiming due messages ------------------------------------------------------- */

struct claim_job {
	pd_job job;
	struct queued *claimed;
};

static int claim_apply(pd_txn *tx, pd_job *job)
{
	struct claim_job *c = (struct claim_job *)job;
	/* A re-run must not keep claims from a rolled-back attempt. */
	while (c->claimed) {
		struct queued *n = c->claimed->next;
		free(c->claimed->d.text);
		free(c->claimed);
		c->claimed = n;
	}
	pd_errbuf eb = {{0}};
	int err;
	PGresult *r = pd_db_query(
		pd_txn_db(tx), "gw_outbound_claim",
		"WITH due AS (SELECT outbound_id FROM gateway.outbound_messages WHERE status = 'pending' "
		"  AND next_attempt_at <= now() ORDER BY next_attempt_at LIMIT " CLAIM_BATCH_SQL " FOR UPDATE SKIP LOCKED) "
		"UPDATE gateway.outbound_messages o SET status = 'sending', attempts = o.attempts + 1 FROM due "
		"WHERE o.outbound_id = due.outbound_id RETURNING o.outbound_id, o.account, o.channel, "
		"o.external_user_id, o.ticket_public_id, o.subject, o.text, o.reply_to, o.attempts, "
		/* WeChat lets an account answer a user only within 48 h of the user's
		 * last message, and at most 5 times in that window; other channels
		 * have no window, so it is not computed for them (both look-ups
		 * are index scans: 003's inbound_messages_user, 026's
		 * outbound_messages_delivered_to; the 48 h bound also keeps the
		 * first to the last days' partitions, 035). */
		"CASE WHEN o.channel NOT IN ('wechat', '') THEN true ELSE "
		"EXISTS (SELECT 1 FROM gateway.inbound_messages i WHERE i.account = o.account "
		"  AND i.external_user_id = o.external_user_id AND i.received_at > now() - interval '48 hours') AND "
		"(SELECT count(*) FROM gateway.outbound_messages x WHERE x.account = o.account "
		"  AND x.external_user_id = o.external_user_id AND x.status = 'delivered' AND x.delivered_at > "
		"  (SELECT max(received_at) FROM gateway.inbound_messages i WHERE i.account = o.account "
		"   AND i.external_user_id = o.external_user_id AND i.received_at > now() - interval '48 hours')) < 5 END",
		0, NULL, &err, &eb);
	if (!r)
		return err;
	for (int i = 0; i < PQntuples(r); i++) {
		struct queued *q = pd_xcalloc(1, sizeof(*q));
		gw_delivery *d = &q->d;
		snprintf(d->outbound_id, sizeof(d->outbound_id), "%s", PQgetvalue(r, i, 0));
		snprintf(d->channel, sizeof(d->channel), "%s", PQgetvalue(r, i, 2));
		snprintf(d->external_user_id, sizeof(d->external_user_id), "%s", PQgetvalue(r, i, 3));
		snprintf(d->ticket_public_id, sizeof(d->ticket_public_id), "%s", PQgetvalue(r, i, 4));
		snprintf(d->subject, sizeof(d->subject), "%s", PQgetvalue(r, i, 5));
		d->text = pd_xstrdup(PQgetvalue(r, i, 6));
		snprintf(d->reply_to, sizeof(d->reply_to), "%s", PQgetvalue(r, i, 7));
		d->attempt = atoi(PQgetvalue(r, i, 8));
		if (gw_accounts_get(PQgetvalue(r, i, 1), &d->acc) != PD_OK || d->acc.disabled) {
			snprintf(d->acc.name, sizeof(d->acc.name), "%s", PQgetvalue(r, i, 1));
			d->permanent = 1;
			snprintf(d->error, sizeof(d->error), "no enabled channel account %s", PQgetvalue(r, i, 1));
		} else if (strcmp(d->acc.channel, d->channel) != 0 && *d->channel) {
			d->permanent = 1;
			snprintf(d->error, sizeof(d->error), "account %s is a %s account, not %s", d->acc.name,
				 d->acc.channel, d->channel);
		} else if (strcmp(d->acc.channel, "wechat") == 0 && PQgetvalue(r, i, 9)[0] != 't') {
			d->permanent = 1;
			snprintf(d->error, sizeof(d->error),
				 "outside WeChat's window: more than 48 h since the customer's last message, or 5 replies sent");
		}
		if (!*d->channel)
			snprintf(d->channel, sizeof(d->channel), "%s", d->acc.channel);
		q->next = c->claimed;
		c->claimed = q;
	}
	PQclear(r);
	return PD_OK;
}

static void claim_done(pd_job *job, int err, const pd_errbuf *eb)
{
	struct claim_job *c = (struct claim_job *)job;
	int n = 0;
	pthread_mutex_lock(&g.mu);
	if (err == PD_OK) {
		/* Committed: hand the claims to the delivery threads. */
		while (c->claimed) {
			struct queued *q = c->claimed;
			c->claimed = q->next;
			q->next = NULL;
			if (g.tail)
				g.tail->next = q;
			else
				g.head = q;
			g.tail = q;
			n++;
		}
		g.in_hand += n;
		pthread_cond_broadcast(&g.cv);
	}
	int again = n == CLAIM_BATCH && g.in_hand < MAX_IN_HAND && !g.stopping;
	if (!again)
		g.claim_in_flight = 0;
	pthread_mutex_unlock(&g.mu);
	if (again) { /* more are due: claim them now (done runs outside the writer's lock) */
		struct claim_job *next = pd_xcalloc(1, sizeof(*next));
		next->job.apply = claim_apply;
		next->job.done = claim_done;
		pd_bus_submit(g.bus, &next->job);
	}
	while (c->claimed) {
		struct queued *n = c->claimed->next;
		free(c->claimed->d.text);
		free(c->claimed);
		c->claimed = n;
	}
	free(c);
}

void gw_outbound_tick(void)
{
	pthread_mutex_lock(&g.mu);
	int busy = g.claim_in_flight || g.stopping || !g.started;
	if (!busy)
		g.claim_in_flight = 1;
	pthread_mutex_unlock(&g.mu);
	if (busy)
		return;
	struct claim_job *c = pd_xcalloc(1, sizeof(*c));
	c->job.apply = claim_apply;
	c->job.done = claim_done;
	pd_bus_submit(g.bus, &c->job);
}

/* ---- start / stop ---------------------------------------------------------------- */

static int recover_apply(pd_txn *tx, pd_job *job)
{
	pd_errbuf eb = {{0}};
	return pd_db_exec(pd_txn_db(tx),
			  "UPDATE gateway.outbound_messages SET status = 'pending', next_attempt_at = now() "
			  "WHERE status = 'sending'",
			  &eb);
}

static void recover_done(pd_job *job, int err, const pd_errbuf *eb)
{
	if (err != PD_OK)
		pd_log_warn("could not requeue interrupted deliveries", "detail=\"%s\"", eb ? eb->msg : "");
	free(job);
	pthread_mutex_lock(&g.mu);
	g.started = 1;
	pthread_mutex_unlock(&g.mu);
}

int gw_outbound_start(pd_bus *bus, const gw_outbound_config *cfg)
{
	g.bus = bus;
	g.cfg = *cfg;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	mail_init(); /* e-mail replies are built with GMime; thread-safe init */
	g.m_delivered = pd_counter("peakdesk_gateway_deliveries_total", "outbound delivery outcomes", "outcome=\"delivered\"");
	g.m_retry = pd_counter("peakdesk_gateway_deliveries_total", "outbound delivery outcomes", "outcome=\"retry\"");
	g.m_dead = pd_counter("peakdesk_gateway_deliveries_total", "outbound delivery outcomes", "outcome=\"dead\"");
	pd_job *j = pd_xcalloc(1, sizeof(*j));
	j->apply = recover_apply;
	j->done = recover_done;
	pd_bus_submit(bus, j);
	for (int i = 0; i < WORKERS; i++)
		if (pthread_create(&g.threads[i], NULL, worker, NULL) != 0)
			return PD_EIO;
	return PD_OK;
}

void gw_outbound_stop(void)
{
	pthread_mutex_lock(&g.mu);
	g.stopping = 1;
	pthread_cond_broadcast(&g.cv);
	pthread_mutex_unlock(&g.mu);
	/* Deliveries in progress finish and queue their records; the bus
	 * drains them after this. */
	for (int i = 0; i < WORKERS; i++)
		pthread_join(g.threads[i], NULL);
}

void gw_outbound_cleanup(void)
{
	/* Claims nobody delivered stay 'sending' in the database and are
	 * requeued at the next start; only the memory goes here. */
	while (g.head) {
		struct queued *n = g.head->next;
		free(g.head->d.text);
		free(g.head);
		g.head = n;
	}
	g.tail = NULL;
	curl_global_cleanup();
}
