/* bench_ingest: events/s committed through the logistics ingest socket,
 * beside raw COPY of the same rows into the same tables, measured in the
 * same run against the same PostgreSQL.
 *
 * It builds N realistic order events (OrderAwaitingFulfilment, two line
 * items each, unique event ids) and, in every round:
 *   1. raw COPY   - one connection as peakdesk_logistics, per batch of B
 *                   events BEGIN; COPY logistics.orders, .order_items,
 *                   .ingest_log; COMMIT. The floor cost of storing the rows.
 *   2. socket     - K threads, each with its own NNG REQ socket, send
 *                   IngestRequests of B events to the running
 *                   peakdesk-logistics and count ACCEPTED acks (sent only
 *                   after COMMIT). Client-side encoding is included, as the
 *                   COPY text formatting is in (1).
 *   3. staged     - reference for the bulk path DESIGN.md recommends: per
 *                   batch COPY into temp tables, then INSERT ... SELECT ...
 *                   ON CONFLICT for ingest_log, orders and order_items.
 * Tables are truncated and a CHECKPOINT taken before each phase; row counts
 * are verified after each. Rounds alternate so drift hits all phases alike;
 * the summary uses the median of each.
 *
 *   bench_ingest [--events N] [--batch B] [--conns K] [--rounds R] [--staged yes|no]
 * Environment: PEAKDESK_DB (superuser conninfo), PEAKDESK_RUN_DIR or
 * PEAKDESK_LOGISTICS_INGEST (the socket). Progress on stderr; summary lines
 * on stdout (the last one "RESULT ingest key=value ..."). Exit 1 on any
 * error, lost or rejected event. */
#include <nng/nng.h>
#include <nng/protocol/reqrep0/req.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"
#include "codec.h"
#include "config.h"
#include "db.h"
#include "ids.h"

#define ACK(x) PEAKDESK__V1__ACK_STATUS__ACK_STATUS_##x

struct item {
	const char *sku, *name;
	int qty;
	int64_t price;
};

struct order {
	uint8_t event_id[16];
	char order_id[32], customer_id[16], phone[20], openid[32], campaign[24];
	const char *warehouse;
	int64_t ordered_at, ship_by, delivery;
	struct item items[2];
};

static struct order *orders;
static size_t n_orders, batch_size;

/* ---- data ------------------------------------------------------------------ */

static const char *const product_names[] = {
	"保温杯 500ml 星空蓝", "无线蓝牙耳机 降噪版", "纯棉四件套 1.8m 床", "儿童益智积木 300 粒",
	"有机纯牛奶 250ml×24", "男士速干运动T恤 XL", "智能手环 7 NFC 版", "不粘锅炒锅 32cm",
	"羽绒服 女款 中长款 M", "坚果礼盒 1.5kg", "电动牙刷 声波 白色", "洗衣凝珠 52 颗",
};
static const char *const warehouses[] = {"WH-HZ-01", "WH-SH-02", "WH-GZ-01", "WH-CD-03"};
static char skus[2000][16];

static uint64_t rng = 0x9e3779b97f4a7c15ULL;
static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void make_orders(size_t n)
{
	for (size_t i = 0; i < PD_ARRAY_LEN(skus); i++)
		snprintf(skus[i], sizeof(skus[i]), "SKU-%06zu", 100000 + i * 37);
	orders = pd_xcalloc(n, sizeof(*orders));
	n_orders = n;
	int64_t base = pd_now_ms() - 3600 * 1000;
	for (size_t i = 0; i < n; i++) {
		struct order *o = &orders[i];
		pd_uuid_new(o->event_id);
		snprintf(o->order_id, sizeof(o->order_id), "DD20261111%010zu", 3000000000u + i);
		snprintf(o->customer_id, sizeof(o->customer_id), "C%09llu", (unsigned long long)(rnd() % 900000000 + 100000000));
		snprintf(o->phone, sizeof(o->phone), "+8613%09llu", (unsigned long long)(rnd() % 1000000000));
		snprintf(o->openid, sizeof(o->openid), "o6_bmj%022llu", (unsigned long long)(rnd() % 10000000000000000000ULL));
		snprintf(o->campaign, sizeof(o->campaign), "%s", i % 3 ? "double11-2026" : "");
		o->warehouse = warehouses[i % PD_ARRAY_LEN(warehouses)];
		o->ordered_at = base + (int64_t)(i * 37 % 3600000);
		o->ship_by = o->ordered_at + 48 * 3600 * 1000LL;
		o->delivery = o->ordered_at + 5 * 86400 * 1000LL;
		for (int k = 0; k < 2; k++) {
			size_t p = rnd() % PD_ARRAY_LEN(skus);
			o->items[k].sku = skus[p];
			o->items[k].name = product_names[p % PD_ARRAY_LEN(product_names)];
			o->items[k].qty = (int)(rnd() % 3) + 1;
			o->items[k].price = (int64_t)(rnd() % 50000) + 990;
		}
	}
}

/* ---- database helpers ---------------------------------------------------------- */

static PGconn *admin;

static void die(const char *what, const char *detail)
{
	fprintf(stderr, "bench_ingest: %s: %s\n", what, detail);
	exit(1);
}

static void admin_exec(const char *sql)
{
	PGresult *r = PQexec(admin, sql);
	if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK)
		die(sql, PQerrorMessage(admin));
	PQclear(r);
}

static long long admin_count(const char *sql)
{
	PGresult *r = PQexec(admin, sql);
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		die(sql, PQerrorMessage(admin));
	long long n = atoll(PQgetvalue(r, 0, 0));
	PQclear(r);
	return n;
}

static void reset_tables(void)
{
	admin_exec("TRUNCATE logistics.order_items, logistics.orders, logistics.ingest_log");
	admin_exec("CHECKPOINT");
}

/* Fails unless the tables hold exactly the N events' rows. */
static void verify(const char *phase)
{
	long long o = admin_count("SELECT count(*) FROM logistics.orders");
	long long it = admin_count("SELECT count(*) FROM logistics.order_items");
	long long l = admin_count("SELECT count(*) FROM logistics.ingest_log");
	if (o != (long long)n_orders || it != 2 * (long long)n_orders || l != (long long)n_orders) {
		char d[200];
		snprintf(d, sizeof(d), "expected %zu orders, %zu items, %zu log rows; found %lld, %lld, %lld", n_orders,
			 2 * n_orders, n_orders, o, it, l);
		die(phase, d);
	}
}

static pd_db *service_conn(const char *conninfo)
{
	pd_db *db = pd_db_new(conninfo, "peakdesk_logistics", "bench_ingest");
	if (pd_db_connect(db, 10000, NULL) != PD_OK)
		die("connect", conninfo);
	return db;
}

static void db_exec(pd_db *db, const char *sql)
{
	pd_errbuf eb = {{0}};
	if (pd_db_exec(db, sql, &eb) != PD_OK)
		die(sql, eb.msg);
}

static const char *status_name = "awaiting";

static void copy_orders(pd_copy *c, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++) {
		const struct order *o = &orders[i];
		pd_copy_text(c, o->order_id);
		pd_copy_text(c, o->customer_id);
		pd_copy_text(c, o->phone);
		pd_copy_int(c, PEAKDESK__V1__CHANNEL_KIND__CHANNEL_KIND_WECHAT);
		pd_copy_text(c, "gh_3f9a1c2b7d5e");
		pd_copy_text(c, o->openid);
		pd_copy_text(c, status_name);
		pd_copy_ts_ms(c, o->ordered_at);
		pd_copy_ts_ms(c, o->ship_by);
		pd_copy_ts_ms(c, o->delivery);
		pd_copy_text(c, o->warehouse);
		pd_copy_text(c, o->campaign);
		pd_copy_int(c, 1);
		pd_copy_end_row(c);
	}
}

static void copy_items(pd_copy *c, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++) {
		for (int k = 0; k < 2; k++) {
			pd_copy_text(c, orders[i].order_id);
			pd_copy_int(c, k + 1);
			pd_copy_text(c, orders[i].items[k].sku);
			pd_copy_text(c, orders[i].items[k].name);
			pd_copy_int(c, orders[i].items[k].qty);
			pd_copy_int(c, orders[i].items[k].price);
			pd_copy_end_row(c);
		}
	}
}

static void copy_run(pd_db *db, const char *sql, void (*rows)(pd_copy *, size_t, size_t), size_t from, size_t to)
{
	pd_copy c;
	pd_errbuf eb = {{0}};
	if (pd_copy_begin(&c, db, sql, &eb) != PD_OK)
		die(sql, eb.msg);
	rows(&c, from, to);
	if (pd_copy_finish(&c, &eb) != PD_OK)
		die(sql, eb.msg);
}

static void copy_log(pd_copy *c, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++) {
		pd_copy_uuid(c, orders[i].event_id);
		pd_copy_end_row(c);
	}
}

#define ORDER_COLS "order_id, customer_id, phone, channel, account, external_user_id, status, ordered_at, " \
		   "promised_ship_by, promised_delivery, warehouse, campaign_id, version"
#define ITEM_COLS "order_id, line_no, sku, name, quantity, unit_price_cents"

/* ---- phase 1: raw COPY --------------------------------------------------------------- */

static double phase_copy(const char *conninfo)
{
	pd_db *db = service_conn(conninfo);
	int64_t t0 = bench_mono_ns();
	for (size_t from = 0; from < n_orders; from += batch_size) {
		size_t to = from + batch_size < n_orders ? from + batch_size : n_orders;
		db_exec(db, "BEGIN");
		copy_run(db, "COPY logistics.orders(" ORDER_COLS ") FROM STDIN", copy_orders, from, to);
		copy_run(db, "COPY logistics.order_items(" ITEM_COLS ") FROM STDIN", copy_items, from, to);
		copy_run(db, "COPY logistics.ingest_log(event_id) FROM STDIN", copy_log, from, to);
		db_exec(db, "COMMIT");
	}
	double secs = (double)(bench_mono_ns() - t0) / 1e9;
	pd_db_free(db);
	verify("raw COPY");
	return (double)n_orders / secs;
}

/* ---- phase 3: staged bulk upsert (reference) ------------------------------------------ */

static double phase_staged(const char *conninfo)
{
	pd_db *db = service_conn(conninfo);
	db_exec(db, "CREATE TEMP TABLE stage_orders (event_id uuid, LIKE logistics.orders INCLUDING DEFAULTS) "
		    "ON COMMIT DELETE ROWS");
	db_exec(db, "CREATE TEMP TABLE stage_items (LIKE logistics.order_items) ON COMMIT DELETE ROWS");
	int64_t t0 = bench_mono_ns();
	for (size_t from = 0; from < n_orders; from += batch_size) {
		size_t to = from + batch_size < n_orders ? from + batch_size : n_orders;
		db_exec(db, "BEGIN");
		pd_copy c;
		pd_errbuf eb = {{0}};
		if (pd_copy_begin(&c, db, "COPY stage_orders(event_id, " ORDER_COLS ") FROM STDIN", &eb) != PD_OK)
			die("COPY stage_orders", eb.msg);
		for (size_t i = from; i < to; i++) {
			pd_copy_uuid(&c, orders[i].event_id);
			copy_orders(&c, i, i + 1);
		}
		if (pd_copy_finish(&c, &eb) != PD_OK)
			die("COPY stage_orders", eb.msg);
		copy_run(db, "COPY stage_items(" ITEM_COLS ") FROM STDIN", copy_items, from, to);
		/* Dedupe by event id (the ids come back, as the ingest needs them
		 * for the acks), then upsert orders by version, replace items. */
		int err;
		PGresult *r = pd_db_query(db, NULL,
					  "INSERT INTO logistics.ingest_log(event_id) SELECT event_id FROM stage_orders "
					  "ON CONFLICT DO NOTHING RETURNING event_id",
					  0, NULL, &err, &eb);
		if (!r || PQntuples(r) != (int)(to - from))
			die("staged ingest_log", eb.msg);
		PQclear(r);
		r = pd_db_query(db, NULL,
				"INSERT INTO logistics.orders AS o (" ORDER_COLS ") SELECT " ORDER_COLS " FROM stage_orders "
				"ON CONFLICT (order_id) DO UPDATE SET customer_id = excluded.customer_id, "
				"phone = excluded.phone, channel = excluded.channel, account = excluded.account, "
				"external_user_id = excluded.external_user_id, status = excluded.status, "
				"ordered_at = excluded.ordered_at, promised_ship_by = excluded.promised_ship_by, "
				"promised_delivery = excluded.promised_delivery, warehouse = excluded.warehouse, "
				"campaign_id = excluded.campaign_id, version = excluded.version, updated_at = now() "
				"WHERE o.version < excluded.version RETURNING order_id",
				0, NULL, &err, &eb);
		if (!r || PQntuples(r) != (int)(to - from))
			die("staged orders", eb.msg);
		PQclear(r);
		db_exec(db, "DELETE FROM logistics.order_items WHERE order_id IN (SELECT order_id FROM stage_orders)");
		db_exec(db, "INSERT INTO logistics.order_items(" ITEM_COLS ") SELECT " ITEM_COLS " FROM stage_items");
		db_exec(db, "COMMIT");
	}
	double secs = (double)(bench_mono_ns() - t0) / 1e9;
	pd_db_free(db);
	verify("staged upsert");
	return (double)n_orders / secs;
}

/* ---- phase 2: the ingest socket ---------------------------------------------------------- */

static char ingest_addr[PD_CFG_STR];
static atomic_size_t next_batch;
static atomic_size_t n_accepted, n_duplicate, n_rejected, n_failed_batches;
static char first_error[2 * PD_ERRMSG_MAX];
static pthread_mutex_t err_mu = PTHREAD_MUTEX_INITIALIZER;

static void note_error(const char *fmt, const char *detail)
{
	pthread_mutex_lock(&err_mu);
	if (!first_error[0])
		snprintf(first_error, sizeof(first_error), fmt, detail);
	pthread_mutex_unlock(&err_mu);
	atomic_fetch_add(&n_failed_batches, 1);
}

/* Packs the IngestRequest for orders [from, to). */
static uint8_t *pack_batch(size_t from, size_t to, size_t *len)
{
	size_t n = to - from;
	Peakdesk__V1__Envelope *env = pd_xcalloc(n, sizeof(*env));
	Peakdesk__V1__Envelope **envp = pd_xcalloc(n, sizeof(*envp));
	Peakdesk__V1__OrderAwaitingFulfilment *ord = pd_xcalloc(n, sizeof(*ord));
	Peakdesk__V1__CustomerRef *cust = pd_xcalloc(n, sizeof(*cust));
	Peakdesk__V1__LineItem *li = pd_xcalloc(2 * n, sizeof(*li));
	Peakdesk__V1__LineItem **lip = pd_xcalloc(2 * n, sizeof(*lip));
	int64_t now = pd_now_ms();
	for (size_t k = 0; k < n; k++) {
		struct order *o = &orders[from + k];
		peakdesk__v1__customer_ref__init(&cust[k]);
		cust[k].customer_id = o->customer_id;
		cust[k].phone = o->phone;
		cust[k].channel = PEAKDESK__V1__CHANNEL_KIND__CHANNEL_KIND_WECHAT;
		cust[k].account = "gh_3f9a1c2b7d5e";
		cust[k].external_user_id = o->openid;
		for (int x = 0; x < 2; x++) {
			Peakdesk__V1__LineItem *l = &li[2 * k + (size_t)x];
			peakdesk__v1__line_item__init(l);
			l->sku = (char *)o->items[x].sku;
			l->name = (char *)o->items[x].name;
			l->quantity = o->items[x].qty;
			l->unit_price_cents = o->items[x].price;
			lip[2 * k + (size_t)x] = l;
		}
		peakdesk__v1__order_awaiting_fulfilment__init(&ord[k]);
		ord[k].order_id = o->order_id;
		ord[k].customer = &cust[k];
		ord[k].items = &lip[2 * k];
		ord[k].n_items = 2;
		ord[k].status = PEAKDESK__V1__ORDER_STATUS__ORDER_STATUS_AWAITING;
		ord[k].ordered_at_ms = o->ordered_at;
		ord[k].promised_ship_by_ms = o->ship_by;
		ord[k].promised_delivery_ms = o->delivery;
		ord[k].warehouse = (char *)o->warehouse;
		ord[k].campaign_id = o->campaign;
		ord[k].version = 1;
		peakdesk__v1__envelope__init(&env[k]);
		env[k].event_id.data = o->event_id;
		env[k].event_id.len = 16;
		env[k].topic = "logistics.order";
		env[k].occurred_at_ms = o->ordered_at;
		env[k].produced_at_ms = now;
		env[k].body_case = PEAKDESK__V1__ENVELOPE__BODY_ORDER;
		env[k].order = &ord[k];
		envp[k] = &env[k];
	}
	Peakdesk__V1__IngestRequest req = PEAKDESK__V1__INGEST_REQUEST__INIT;
	req.events = envp;
	req.n_events = n;
	uint8_t *buf = pd_pb_pack(&req.base, len);
	free(env), free(envp), free(ord), free(cust), free(li), free(lip);
	return buf;
}

static void *sender(void *arg)
{
	(void)arg;
	nng_socket s;
	int rv = nng_req0_open(&s);
	if (rv != 0) {
		note_error("req socket: %s", nng_strerror(rv));
		return NULL;
	}
	nng_socket_set_size(s, NNG_OPT_RECVMAXSZ, PD_MAX_MSG_BYTES);
	/* No resend during a run: a resend would turn into DUPLICATE acks. */
	nng_socket_set_ms(s, NNG_OPT_REQ_RESENDTIME, 600000);
	nng_socket_set_ms(s, NNG_OPT_RECVTIMEO, 120000);
	nng_socket_set_ms(s, NNG_OPT_SENDTIMEO, 30000);
	if ((rv = nng_dial(s, ingest_addr, NULL, 0)) != 0) {
		note_error("cannot dial the ingest socket: %s", nng_strerror(rv));
		nng_close(s);
		return NULL;
	}
	for (;;) {
		size_t b = atomic_fetch_add(&next_batch, 1);
		size_t from = b * batch_size;
		if (from >= n_orders)
			break;
		size_t to = from + batch_size < n_orders ? from + batch_size : n_orders;
		size_t len;
		uint8_t *buf = pack_batch(from, to, &len);
		nng_msg *m;
		if ((rv = nng_msg_alloc(&m, 0)) != 0 || (rv = nng_msg_append(m, buf, len)) != 0) {
			free(buf);
			note_error("message: %s", nng_strerror(rv));
			break;
		}
		free(buf);
		if ((rv = nng_sendmsg(s, m, 0)) != 0) {
			nng_msg_free(m);
			note_error("send: %s", nng_strerror(rv));
			break;
		}
		if ((rv = nng_recvmsg(s, &m, 0)) != 0) {
			note_error("no reply: %s", nng_strerror(rv));
			break;
		}
		pd_errbuf eb = {{0}};
		Peakdesk__V1__IngestReply *rep = (Peakdesk__V1__IngestReply *)pd_pb_unpack(
			&peakdesk__v1__ingest_reply__descriptor, nng_msg_body(m), nng_msg_len(m), &eb);
		nng_msg_free(m);
		if (!rep) {
			note_error("undecodable reply: %s", eb.msg);
			break;
		}
		if (rep->error && *rep->error)
			note_error("batch refused: %s", rep->error);
		for (size_t i = 0; i < rep->n_acks; i++) {
			int st = rep->acks[i]->status;
			if (st == ACK(ACCEPTED))
				atomic_fetch_add(&n_accepted, 1);
			else if (st == ACK(DUPLICATE))
				atomic_fetch_add(&n_duplicate, 1);
			else {
				atomic_fetch_add(&n_rejected, 1);
				note_error("rejected: %s", rep->acks[i]->reason);
			}
		}
		pd_pb_free(&rep->base);
	}
	nng_close(s);
	return NULL;
}

static double phase_socket(int conns)
{
	atomic_store(&next_batch, 0);
	atomic_store(&n_accepted, 0);
	atomic_store(&n_duplicate, 0);
	atomic_store(&n_rejected, 0);
	pthread_t th[64];
	int64_t t0 = bench_mono_ns();
	for (int i = 0; i < conns; i++)
		if (pthread_create(&th[i], NULL, sender, NULL) != 0)
			die("thread", "cannot start");
	for (int i = 0; i < conns; i++)
		pthread_join(th[i], NULL);
	double secs = (double)(bench_mono_ns() - t0) / 1e9;
	if (atomic_load(&n_failed_batches) || atomic_load(&n_accepted) != n_orders) {
		char d[3 * PD_ERRMSG_MAX];
		snprintf(d, sizeof(d), "%zu accepted, %zu duplicate, %zu rejected of %zu; first error: %s",
			 atomic_load(&n_accepted), atomic_load(&n_duplicate), atomic_load(&n_rejected), n_orders,
			 first_error[0] ? first_error : "-");
		die("ingest socket", d);
	}
	verify("ingest socket");
	return (double)n_orders / secs;
}

/* ---- main ----------------------------------------------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int main(int argc, char **argv)
{
	size_t n = (size_t)atol(bench_opt(argc, argv, "--events", "50000"));
	batch_size = (size_t)atol(bench_opt(argc, argv, "--batch", "1000"));
	int conns = atoi(bench_opt(argc, argv, "--conns", "4"));
	int rounds = atoi(bench_opt(argc, argv, "--rounds", "5"));
	int staged = strcmp(bench_opt(argc, argv, "--staged", "yes"), "no") != 0;
	if (n < 1 || batch_size < 1 || batch_size > 10000 || conns < 1 || conns > 64 || rounds < 1 || rounds > 20) {
		fprintf(stderr, "usage: bench_ingest [--events N] [--batch 1..10000] [--conns 1..64] [--rounds 1..20] "
				"[--staged yes|no]\n");
		return 2;
	}
	const char *conninfo = getenv("PEAKDESK_DB");
	if (!conninfo || !*conninfo)
		die("PEAKDESK_DB", "not set");
	char run_dir[PD_CFG_STR];
	pd_config_run_dir(run_dir, sizeof(run_dir));
	pd_config_service_addr("logistics", "INGEST", run_dir, ingest_addr, sizeof(ingest_addr));
	admin = PQconnectdb(conninfo);
	if (PQstatus(admin) != CONNECTION_OK)
		die("connect", PQerrorMessage(admin));

	make_orders(n);
	size_t probe_len;
	uint8_t *probe = pack_batch(0, n < batch_size ? n : batch_size, &probe_len);
	free(probe);
	bench_progress("ingest: %zu order events (2 line items each), batches of %zu, %d concurrent REQ sockets, "
		       "%d rounds; request size %zu bytes", n, batch_size, conns, rounds, probe_len);

	double copy_eps[20], sock_eps[20], staged_eps[20];
	char a[32], b[32], c[32];
	for (int r = 0; r < rounds; r++) {
		reset_tables();
		copy_eps[r] = phase_copy(conninfo);
		reset_tables();
		sock_eps[r] = phase_socket(conns);
		if (staged) {
			reset_tables();
			staged_eps[r] = phase_staged(conninfo);
		}
		bench_progress("  round %d/%d: raw COPY %s events/s, ingest socket %s events/s (%.2f x)%s%s%s", r + 1,
			       rounds, bench_commas(copy_eps[r], a, sizeof(a)), bench_commas(sock_eps[r], b, sizeof(b)),
			       sock_eps[r] / copy_eps[r], staged ? ", staged upsert " : "",
			       staged ? bench_commas(staged_eps[r], c, sizeof(c)) : "", staged ? " events/s" : "");
	}
	reset_tables();
	double mc = median(copy_eps, rounds), ms = median(sock_eps, rounds);
	double mst = staged ? median(staged_eps, rounds) : 0;
	char d[32];
	printf("ingest: %s events/s committed = %.2f x raw COPY (%s events/s = %s rows/s; 4 rows per event)\n",
	       bench_commas(ms, a, sizeof(a)), ms / mc, bench_commas(mc, b, sizeof(b)),
	       bench_commas(4 * mc, c, sizeof(c)));
	if (staged)
		printf("ingest (reference): staged COPY + INSERT ... ON CONFLICT of the same batches: %s events/s = %.2f x raw "
		       "COPY\n", bench_commas(mst, d, sizeof(d)), mst / mc);
	printf("RESULT ingest events=%zu batch=%zu conns=%d rounds=%d socket_eps=%.0f copy_eps=%.0f staged_eps=%.0f "
	       "ratio=%.3f target=0.5 pass=%s\n",
	       n, batch_size, conns, rounds, ms, mc, mst, ms / mc, ms / mc >= 0.5 ? "yes" : "no");
	PQfinish(admin);
	free(orders);
	return 0;
}
