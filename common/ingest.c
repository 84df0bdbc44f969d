/* Department ingest over NNG REP and HTTP (see ingest.h).
 *
 * Each REP context is a small state machine: RECV -> (decode, submit a job)
 * -> WAIT (writer commits) -> SEND -> RECV. Replies go out only from the
 * job's done callback, i.e. after COMMIT. */
#include "ingest.h"

#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bin_array.h"
#include "codec.h"
#include "ids.h"
#include "log.h"
#include "metrics.h"
#include "nng_close.h"
#include "nng_tls.h"
#include "topics.h"

#define ACK(x) PEAKDESK__V1__ACK_STATUS__ACK_STATUS_##x

struct ingest_job {
	pd_job job;
	pd_ingest *ing;
	Peakdesk__V1__IngestRequest *req;
	pd_ingest_item *items;
	size_t n;
	pd_ingest_reply_fn reply;
	void *reply_arg;
};

enum ctx_state { CTX_RECV, CTX_WAIT, CTX_SEND };

struct rep_ctx {
	pd_ingest *ing;
	nng_ctx ctx;
	nng_aio *aio;
	enum ctx_state state;
};

struct pd_ingest {
	pd_bus *bus;
	pd_ingest_options o;
	char *service, *log_table;
	const pd_ingest_ops *ops;
	void *arg;
	nng_socket rep;
	int has_rep;
	volatile int closing;
	int close_abandoned; /* nng_close() hung (NNG 1.5.2): callbacks may still run */
	struct rep_ctx *ctxs;
	int n_ctx;
	pd_metric *m_acc, *m_dup, *m_rej, *m_req;
};

/* ---- the job ------------------------------------------------------------------ */

/* Builds a PostgreSQL uuid[] literal of the event ids whose status is
 * `status` (only those refused inside the transaction when in_txn_only). */
static void uuid_array(pd_strbuf *sb, pd_ingest_item *items, size_t n, int status, int in_txn_only)
{
	pd_sb_add(sb, "{", 1);
	int first = 1;
	for (size_t i = 0; i < n; i++) {
		if (items[i].status != status || (in_txn_only && items[i].invalid))
			continue;
		char t[PD_UUID_TEXT];
		pd_uuid_format(items[i].env->event_id.data, t);
		if (!first)
			pd_sb_add(sb, ",", 1);
		pd_sb_add(sb, t, 36);
		first = 0;
	}
	pd_sb_add(sb, "}", 1);
}

/* qsort has no context argument; the writer thread is the only caller. */
static _Thread_local const pd_ingest_item *g_sort_items;

static int cmp_item_ids(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	const pd_ingest_item *it = g_sort_items;
	/* invalid items have no 16-byte id: they sort first and never match */
	size_t lx = it[x].env->event_id.len, ly = it[y].env->event_id.len;
	int c = (lx == 16) - (ly == 16);
	if (c == 0 && lx == 16)
		c = memcmp(it[x].env->event_id.data, it[y].env->event_id.data, 16);
	return c ? c : (x > y) - (x < y);
}

/* An item's id against a claimed one; an item without a 16-byte id (it
 * failed validation) sorts before every id. */
static int cmp_to_id(const pd_ingest_item *it, const uint8_t id[16])
{
	return it->env->event_id.len == 16 ? memcmp(it->env->event_id.data, id, 16) : -1;
}

static int ingest_apply(pd_txn *tx, pd_job *job)
{
	struct ingest_job *j = (struct ingest_job *)job;
	pd_ingest *ing = j->ing;
	pd_errbuf eb = {{0}};
	/* Reset outputs: this may be a re-run after a rollback. Validation
	 * results (REJECTED before the job) are kept: they are pure. */
	for (size_t i = 0; i < j->n; i++) {
		if (!j->items[i].invalid) {
			j->items[i].status = ACK(ACCEPTED);
			j->items[i].reason[0] = 0;
		}
	}
	/* 1. Claim the event ids: the ones already logged are duplicates, and
	 *    so is every repeat of an id within the request (the first one
	 *    counts). The ids go in as a binary uuid[]; the statement returns
	 *    only the ids it did not insert, i.e. those already logged:
	 *    usually none, so nothing to format, send or parse. (ON CONFLICT
	 *    DO NOTHING, not a lookup then a plain INSERT: the arbiter always
	 *    uses the primary key, whereas a lookup's cached generic plan,
	 *    made while the log was small, can scan the whole log per id.) */
	pd_arr ids = {0};
	pd_arr_begin(&ids, PD_OID_UUID);
	for (size_t i = 0; i < j->n; i++)
		if (j->items[i].status == ACK(ACCEPTED) && j->items[i].env->event_id.len == 16)
			pd_arr_uuid(&ids, j->items[i].env->event_id.data);
	int err;
	char sql[512];
	snprintf(sql, sizeof(sql),
		 "WITH ins AS (INSERT INTO %s(event_id) SELECT unnest($1::uuid[]) ON CONFLICT DO NOTHING "
		 "RETURNING event_id) SELECT unnest($1::uuid[]) EXCEPT SELECT event_id FROM ins",
		 ing->log_table);
	/* One ingest log per process, so a fixed statement name is unique. */
	PGresult *r = pd_db_query_bin(pd_txn_db(tx), "pd_ingest_claim", sql, 1, (const char *[]){pd_arr_data(&ids)},
				      (const int[]){pd_arr_len(&ids)}, (const int[]){1}, &err, &eb);
	pd_arr_free(&ids);
	if (!r)
		return err;
	/* Items sorted by (event id, position): the first of each id stays
	 * ACCEPTED, its repeats are DUPLICATE, and a returned id finds its
	 * first occurrence by binary search (a linear scan per row was
	 * quadratic in the batch and showed up as the writer's top cost). */
	size_t *order = pd_xmalloc((j->n ? j->n : 1) * sizeof(*order));
	for (size_t i = 0; i < j->n; i++)
		order[i] = i;
	g_sort_items = j->items;
	qsort(order, j->n, sizeof(*order), cmp_item_ids);
	const pd_ingest_item *prev = NULL;
	for (size_t k = 0; k < j->n; k++) {
		pd_ingest_item *it = &j->items[order[k]];
		if (it->status != ACK(ACCEPTED))
			continue;
		if (it->env->event_id.len != 16) { /* validation refuses these; never apply one unclaimed */
			it->status = ACK(REJECTED);
			it->invalid = 1;
			snprintf(it->reason, sizeof(it->reason), "event_id must be a 16-byte UUID");
			continue;
		}
		if (prev && memcmp(prev->env->event_id.data, it->env->event_id.data, 16) == 0)
			it->status = ACK(DUPLICATE);
		else
			prev = it;
	}
	for (int row = 0; row < PQntuples(r); row++) {
		uint8_t id[16];
		if (pd_uuid_parse(PQgetvalue(r, row, 0), id) != PD_OK)
			continue;
		size_t lo = 0, hi = j->n; /* first position whose id >= id */
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (cmp_to_id(&j->items[order[mid]], id) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (; lo < j->n && cmp_to_id(&j->items[order[lo]], id) == 0; lo++)
			if (j->items[order[lo]].status == ACK(ACCEPTED))
				j->items[order[lo]].status = ACK(DUPLICATE);
	}
	free(order);
	PQclear(r);

	/* 2. The service applies the new events (compacted to a dense array). */
	size_t n_new = 0;
	pd_ingest_item *fresh = pd_xmalloc((j->n ? j->n : 1) * sizeof(*fresh));
	size_t *back = pd_xmalloc((j->n ? j->n : 1) * sizeof(*back));
	for (size_t i = 0; i < j->n; i++) {
		if (j->items[i].status == ACK(ACCEPTED)) {
			fresh[n_new] = j->items[i];
			back[n_new++] = i;
		}
	}
	int rc = n_new ? ing->ops->apply(tx, fresh, n_new, ing->arg) : PD_OK;
	if (rc == PD_OK) {
		for (size_t k = 0; k < n_new; k++) {
			j->items[back[k]].status = fresh[k].status;
			memcpy(j->items[back[k]].reason, fresh[k].reason, sizeof(fresh[k].reason));
		}
	}
	free(fresh);
	free(back);
	if (rc != PD_OK)
		return rc;

	/* 3. Events the service refused must leave no trace, not even their id. */
	int any_rej = 0;
	for (size_t i = 0; i < j->n; i++)
		any_rej |= j->items[i].status == ACK(REJECTED) && !j->items[i].invalid;
	if (any_rej) {
		pd_strbuf rej = {0};
		uuid_array(&rej, j->items, j->n, ACK(REJECTED), 1);
		snprintf(sql, sizeof(sql), "DELETE FROM %s WHERE event_id = ANY($1::uuid[])", ing->log_table);
		r = pd_db_query(pd_txn_db(tx), "pd_ingest_unclaim", sql, 1, (const char *[]){rej.s}, &err, &eb);
		pd_sb_free(&rej);
		if (!r)
			return err;
		PQclear(r);
	}
	return PD_OK;
}

static void build_reply(struct ingest_job *j, int err, const pd_errbuf *eb,
			Peakdesk__V1__IngestReply *rep, Peakdesk__V1__EventAck *acks,
			Peakdesk__V1__EventAck **ackp)
{
	peakdesk__v1__ingest_reply__init(rep);
	if (err != PD_OK) {
		rep->error = (char *)(eb && eb->msg[0] ? eb->msg : pd_strerror(err));
		return;
	}
	for (size_t i = 0; i < j->n; i++) {
		peakdesk__v1__event_ack__init(&acks[i]);
		acks[i].event_id = j->items[i].env->event_id;
		acks[i].status = j->items[i].status;
		acks[i].reason = j->items[i].reason;
		ackp[i] = &acks[i];
		if (acks[i].status == ACK(ACCEPTED))
			pd_metric_add(j->ing->m_acc, 1);
		else if (acks[i].status == ACK(DUPLICATE))
			pd_metric_add(j->ing->m_dup, 1);
		else
			pd_metric_add(j->ing->m_rej, 1);
	}
	rep->acks = ackp;
	rep->n_acks = j->n;
}

static void ingest_done(pd_job *job, int err, const pd_errbuf *eb)
{
	struct ingest_job *j = (struct ingest_job *)job;
	Peakdesk__V1__IngestReply rep;
	Peakdesk__V1__EventAck *acks = pd_xcalloc(j->n ? j->n : 1, sizeof(*acks));
	Peakdesk__V1__EventAck **ackp = pd_xcalloc(j->n ? j->n : 1, sizeof(*ackp));
	build_reply(j, err, eb, &rep, acks, ackp);
	j->reply(&rep, err, rep.error, j->reply_arg);
	free(acks);
	free(ackp);
	free(j->items);
	pd_pb_free(&j->req->base);
	free(j);
}

void pd_ingest_submit(pd_ingest *ing, Peakdesk__V1__IngestRequest *req,
		      pd_ingest_reply_fn reply, void *arg)
{
	pd_metric_add(ing->m_req, 1);
	if (req->n_events > ing->o.max_events) {
		char d[128];
		snprintf(d, sizeof(d), "%zu events in one request; at most %zu", req->n_events,
			 ing->o.max_events);
		Peakdesk__V1__IngestReply rep = PEAKDESK__V1__INGEST_REPLY__INIT;
		rep.error = d;
		reply(&rep, PD_ETOOBIG, d, arg);
		pd_pb_free(&req->base);
		return;
	}
	struct ingest_job *j = pd_xcalloc(1, sizeof(*j));
	j->job.apply = ingest_apply;
	j->job.done = ingest_done;
	j->ing = ing;
	j->req = req;
	j->n = req->n_events;
	j->reply = reply;
	j->reply_arg = arg;
	j->items = pd_xcalloc(j->n ? j->n : 1, sizeof(*j->items));
	for (size_t i = 0; i < j->n; i++) {
		pd_ingest_item *it = &j->items[i];
		it->env = req->events[i];
		it->status = ACK(ACCEPTED);
		pd_errbuf eb = {{0}};
		int rc = pd_topic_check_ingest(it->env, ing->service, &eb);
		if (rc == PD_OK && ing->ops->validate)
			rc = ing->ops->validate(it->env, &eb, ing->arg);
		if (rc != PD_OK) {
			it->status = ACK(REJECTED);
			it->invalid = 1;
			snprintf(it->reason, sizeof(it->reason), "%s", eb.msg[0] ? eb.msg : pd_strerror(rc));
			/* A malformed id cannot be echoed usefully but must not break
			 * the reply: keep whatever bytes were sent. */
		}
	}
	pd_bus_submit(ing->bus, &j->job);
}

/* ---- NNG REP ---------------------------------------------------------------- */

static void rep_reply(const Peakdesk__V1__IngestReply *rep, int err, const char *detail, void *arg)
{
	struct rep_ctx *c = arg;
	if (c->ing->closing)
		return;
	size_t len = protobuf_c_message_get_packed_size(&rep->base);
	nng_msg *m;
	if (nng_msg_alloc(&m, 0) == 0) {
		uint8_t *buf = pd_xmalloc(len ? len : 1);
		protobuf_c_message_pack(&rep->base, buf);
		nng_msg_append(m, buf, len);
		free(buf);
		c->state = CTX_SEND;
		nng_aio_set_msg(c->aio, m);
		nng_ctx_send(c->ctx, c->aio);
		return;
	}
	/* No memory for a reply: drop it; the REQ side resends. */
	c->state = CTX_RECV;
	nng_ctx_recv(c->ctx, c->aio);
}

static void rep_cb(void *arg)
{
	struct rep_ctx *c = arg;
	int rv = nng_aio_result(c->aio);
	switch (c->state) {
	case CTX_RECV: {
		if (rv != 0) {
			if (rv == NNG_ECLOSED || rv == NNG_ECANCELED)
				return;
			nng_ctx_recv(c->ctx, c->aio);
			return;
		}
		nng_msg *m = nng_aio_get_msg(c->aio);
		if (c->ing->closing) { /* the bus may be gone: the REQ side resends elsewhere */
			nng_msg_free(m);
			return;
		}
		pd_errbuf eb = {{0}};
		Peakdesk__V1__IngestRequest *req = (Peakdesk__V1__IngestRequest *)pd_pb_unpack(
			&peakdesk__v1__ingest_request__descriptor, nng_msg_body(m), nng_msg_len(m), &eb);
		nng_msg_free(m);
		c->state = CTX_WAIT;
		if (!req) {
			Peakdesk__V1__IngestReply rep = PEAKDESK__V1__INGEST_REPLY__INIT;
			char d[PD_ERRMSG_MAX + 32];
			snprintf(d, sizeof(d), "undecodable IngestRequest: %s", eb.msg);
			rep.error = d;
			pd_metric_add(c->ing->m_rej, 1);
			rep_reply(&rep, PD_EDECODE, d, c);
			return;
		}
		pd_ingest_submit(c->ing, req, rep_reply, c);
		return;
	}
	case CTX_SEND:
		if (rv != 0) {
			nng_msg_free(nng_aio_get_msg(c->aio));
			if (rv == NNG_ECLOSED)
				return;
		}
		c->state = CTX_RECV;
		nng_ctx_recv(c->ctx, c->aio);
		return;
	case CTX_WAIT:
		return;
	}
}

pd_ingest *pd_ingest_start(pd_bus *bus, const pd_ingest_options *o,
			   const pd_ingest_ops *ops, void *arg, pd_errbuf *eb)
{
	pd_ingest *ing = pd_xcalloc(1, sizeof(*ing));
	ing->bus = bus;
	ing->o = *o;
	if (ing->o.contexts <= 0)
		ing->o.contexts = 64;
	if (ing->o.max_events == 0)
		ing->o.max_events = 10000;
	ing->service = pd_xstrdup(o->service);
	ing->log_table = pd_xstrdup(o->log_table);
	ing->ops = ops;
	ing->arg = arg;
	ing->m_acc = pd_counter("peakdesk_ingest_events_total", "ingested events by outcome", "status=\"accepted\"");
	ing->m_dup = pd_counter("peakdesk_ingest_events_total", "ingested events by outcome", "status=\"duplicate\"");
	ing->m_rej = pd_counter("peakdesk_ingest_events_total", "ingested events by outcome", "status=\"rejected\"");
	ing->m_req = pd_counter("peakdesk_ingest_requests_total", "ingest requests received", NULL);
	if (!o->addr || !*o->addr)
		return ing;
	int rv = nng_rep0_open(&ing->rep);
	if (rv != 0) {
		pd_fail(eb, PD_ENNG, "rep socket: %s", nng_strerror(rv));
		goto fail;
	}
	ing->has_rep = 1;
	nng_socket_set_size(ing->rep, NNG_OPT_RECVMAXSZ, PD_MAX_MSG_BYTES);
	ing->n_ctx = ing->o.contexts;
	ing->ctxs = pd_xcalloc((size_t)ing->n_ctx, sizeof(*ing->ctxs));
	for (int i = 0; i < ing->n_ctx; i++) {
		struct rep_ctx *c = &ing->ctxs[i];
		c->ing = ing;
		if ((rv = nng_aio_alloc(&c->aio, rep_cb, c)) != 0 || (rv = nng_ctx_open(&c->ctx, ing->rep)) != 0) {
			pd_fail(eb, PD_ENNG, "rep context: %s", nng_strerror(rv));
			goto fail;
		}
	}
	char nerr[PD_ERRMSG_MAX];
	if ((rv = pd_nng_listen(ing->rep, o->addr, nerr, sizeof(nerr))) != 0) {
		pd_fail(eb, PD_ENNG, "cannot listen on %s: %s", o->addr, nerr);
		goto fail;
	}
	for (int i = 0; i < ing->n_ctx; i++) {
		ing->ctxs[i].state = CTX_RECV;
		nng_ctx_recv(ing->ctxs[i].ctx, ing->ctxs[i].aio);
	}
	pd_log_info("ingest listening", "addr=%s contexts=%d", o->addr, ing->n_ctx);
	return ing;
fail:
	pd_ingest_free(ing);
	return NULL;
}

void pd_ingest_stop(pd_ingest *ing)
{
	if (!ing || !ing->has_rep)
		return;
	ing->closing = 1;
	/* Cancels the receives; callbacks see NNG_ECLOSED. Bounded like the
	 * bus PUB and consumer SUB closes: NNG 1.5.2 can hang here, and a
	 * stopping service must not. */
	if (pd_nng_close_bounded(ing->rep, 2000, "ingest REP") != 0)
		ing->close_abandoned = 1;
}

/* An ingest whose socket close never finished: its callbacks may still run,
 * so its memory is kept (and reachable, for the leak checker) until exit. */
static pd_ingest *g_abandoned_ingest;

void pd_ingest_free(pd_ingest *ing)
{
	if (!ing)
		return;
	if (ing->has_rep) {
		if (!ing->closing)
			pd_ingest_stop(ing);
		if (ing->close_abandoned) {
			g_abandoned_ingest = ing;
			return;
		}
		for (int i = 0; i < ing->n_ctx; i++) {
			if (ing->ctxs[i].aio) {
				nng_aio_stop(ing->ctxs[i].aio);
				nng_aio_free(ing->ctxs[i].aio);
			}
		}
		free(ing->ctxs);
	}
	free(ing->service);
	free(ing->log_table);
	free(ing);
}

int pd_ingest_apply_each(pd_txn *tx, pd_ingest_item *items, size_t n, pd_ingest_apply_fn fn, void *arg)
{
	int careful = pd_txn_careful(tx);
	for (size_t i = 0; i < n; i++) {
		pd_errbuf eb = {{0}};
		if (careful && pd_txn_savepoint(tx, &eb) != PD_OK)
			return PD_EDBDOWN;
		int rc = fn(tx, &items[i], arg, &eb);
		if (rc == PD_OK && careful)
			rc = items[i].status == PEAKDESK__V1__ACK_STATUS__ACK_STATUS_REJECTED ? pd_txn_rollback_to(tx, &eb)
											: pd_txn_release(tx, &eb);
		if (rc == PD_OK)
			continue;
		if (!careful || rc == PD_EDBDOWN)
			return rc;
		/* alone and still failing: this event is the culprit */
		pd_errbuf ignore;
		if (pd_txn_rollback_to(tx, &ignore) != PD_OK)
			return PD_EDBDOWN;
		items[i].status = PEAKDESK__V1__ACK_STATUS__ACK_STATUS_REJECTED;
		snprintf(items[i].reason, sizeof(items[i].reason), "database refused the event: %.200s", eb.msg);
	}
	return PD_OK;
}
