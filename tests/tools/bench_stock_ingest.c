/* bench_stock_ingest: stock reports/s committed through the stock ingest
 * socket (peakdesk-stock), beside raw COPY of the same rows into the same
 * tables, measured in the same run against the same PostgreSQL.
 *
 * The data is a promo day's stock feed: S SKUs x W warehouses (default
 * 2,000 x 5 = 10,000 SKU/warehouse pairs) and N reports (default 50,000,
 * so every pair is reported about 5 times). Each pair's reports carry
 * increasing versions (the measurement time, ms), so after the first
 * report of a pair (an insert) every report is an update of an existing
 * row. The first report of a pair names its SKU (sku_name), later ones do
 * not (--names all: every report does). Levels fall as the day sells; about
 * 1 pair in 50 sells out on its third report and is restocked on its
 * fourth (a stock.shortage and a stock.restocked event), pairs with their
 * own low-stock threshold (2 in 3) warn once when they fall under it, 1 SKU
 * in 20 is presale. About --stale-pct % of the reports from the third one
 * on (never a pair's last) are late re-sends of an older measurement with a
 * new event id: ACCEPTED but not applied (last writer wins by version).
 *
 * Each of the K connections is the feed of its own share of the pairs and
 * cycles through them in a fixed order, B reports per request, so a pair's
 * reports reach the service in version order (a REQ waits for its ack) and
 * the expected outcome is known exactly. In every round:
 *   1. raw COPY   - one connection as peakdesk_stock, the same requests one
 *                   after the other (interleaved over the K feeds), per
 *                   request BEGIN; COPY stock.skus (the SKUs first named in
 *                   it); COPY stock.levels (one row per report); COPY
 *                   stock.ingest_log (one id per report, like (a)); COMMIT.
 *                   COPY cannot update, so the r-th report of a pair (r > 1)
 *                   is stored under the warehouse code "<wh>/<r>": N level
 *                   rows, as many row versions as the upserts write.
 *   2. socket     - K threads, each with its own NNG REQ socket, send their
 *                   feed's IngestRequests to the running peakdesk-stock and
 *                   count ACCEPTED acks (sent after COMMIT).
 *   3. staged     - reference (not a baseline): per request COPY into a temp
 *                   table, INSERT ... ON CONFLICT into stock.skus and
 *                   stock.levels (last version wins): the bulk upsert alone,
 *                   without ingest log, events or episode state.
 * Tables are truncated and a CHECKPOINT taken before each phase. Checks:
 * raw COPY stored N level rows; after the socket and staged phases every
 * pair holds the version and level of its newest report, every named SKU
 * exists, and (socket) N ACCEPTED acks, N ingest-log rows and exactly one
 * stock.level_changed outbox row per report that was newer than the stored
 * level. The summary takes the median of each phase over the rounds.
 *
 *   bench_stock_ingest [--skus S] [--warehouses W] [--events N] [--batch B]
 *                      [--conns K] [--rounds R] [--stale-pct P]
 *                      [--names first|all] [--staged yes|no]
 * Environment: PEAKDESK_DB (superuser conninfo), PEAKDESK_RUN_DIR or
 * PEAKDESK_STOCK_INGEST (the socket). Progress on stderr; summary lines on
 * stdout (the last one "RESULT stock key=value ..."). Exit 1 on any error,
 * lost, rejected or wrongly applied report. */
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
#define MAX_CONNS 64
#define MAX_ROUNDS 20
#define SELL_PASS 2 /* a sell-out pair reaches 0 on its third report */
#define DAY_MS (86400 * 1000LL)

/* ---- data ------------------------------------------------------------------ */

static const char *const product_names[] = {
	"保温杯 500ml 星空蓝", "无线蓝牙耳机 降噪版", "纯棉四件套 1.8m 床", "儿童益智积木 300 粒",
	"有机纯牛奶 250ml×24", "男士速干运动T恤 XL", "智能手环 7 NFC 版", "不粘锅炒锅 32cm",
	"羽绒服 女款 中长款 M", "坚果礼盒 1.5kg", "电动牙刷 声波 白色", "洗衣凝珠 52 颗",
};
static const char *const wh_names[] = {"WH-HZ-01", "WH-SH-02", "WH-GZ-01", "WH-CD-03",
				       "WH-BJ-05", "WH-WH-02", "WH-XA-01", "WH-SY-01"};

static int n_skus, n_wh;
static size_t n_keys; /* SKU/warehouse pairs: key = sku * n_wh + wh */
static char (*sku_code)[16], (*sku_name)[64], (*wh_code)[24];
static int64_t t0_ms;

struct report {
	uint8_t event_id[16];
	int key;
	int pass;     /* which measurement of the pair it carries */
	int ordinal;  /* 1-based: the pair's r-th report (for the COPY baseline) */
	int64_t version;
	uint8_t named, stale;
};

struct feed { /* one connection's reports, in sending order */
	struct report *r;
	size_t n;
};

static struct feed feeds[MAX_CONNS];
static int n_conns;
static size_t n_reports, batch_size, max_requests;
static int names_all;

/* Expected outcome (from sending order; see simulate()). */
static int64_t *final_version, *final_avail;
static size_t exp_applied, exp_inserts, exp_stale, exp_named_skus, exp_pairs;

static uint64_t rng = 0x9e3779b97f4a7c15ULL;
static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static uint32_t mix(uint32_t x)
{
	x ^= x >> 16;
	x *= 0x7feb352dU;
	x ^= x >> 15;
	x *= 0x846ca68bU;
	x ^= x >> 16;
	return x;
}

static int sku_presale(int s)
{
	return s % 20 == 7;
}

static int key_sells_out(int key)
{
	return mix((uint32_t)key * 2 + 1) % 50 == 0;
}

static int64_t version_of(int key, int pass)
{
	return t0_ms + (int64_t)pass * 60000 + key % 997;
}

struct level {
	int64_t on_hand, reserved, available, eta, ship_by, threshold;
};

/* The pair's pass-th measurement: stock falls through the day. */
static void level_of(int key, int pass, struct level *l)
{
	int s = key / n_wh;
	int64_t a0 = 60 + mix((uint32_t)key) % 940;
	memset(l, 0, sizeof(*l));
	l->threshold = key % 3 == 0 ? 0 : 40;
	if (key_sells_out(key) && pass == SELL_PASS) {
		l->available = 0;
		l->eta = t0_ms + 2 * DAY_MS;
	} else if (key_sells_out(key) && pass == SELL_PASS + 1) {
		l->available = a0;
	} else {
		l->available = a0 - (pass % 8) * (a0 / 8);
		if (l->available < 1)
			l->available = 1;
	}
	l->reserved = (key * 7 + pass * 3) % 20;
	if (sku_presale(s)) {
		l->on_hand = l->available / 2;
		l->ship_by = t0_ms + 7 * DAY_MS;
		if (!l->eta)
			l->eta = t0_ms + 5 * DAY_MS;
	} else {
		l->on_hand = l->available + l->reserved;
	}
}

static void make_data(int conns, double stale_pct)
{
	sku_code = pd_xcalloc((size_t)n_skus, sizeof(*sku_code));
	sku_name = pd_xcalloc((size_t)n_skus, sizeof(*sku_name));
	wh_code = pd_xcalloc((size_t)n_wh, sizeof(*wh_code));
	for (int s = 0; s < n_skus; s++) {
		snprintf(sku_code[s], sizeof(sku_code[s]), "SKU-%06d", 100000 + s);
		snprintf(sku_name[s], sizeof(sku_name[s]), "%s 款%d", product_names[s % PD_ARRAY_LEN(product_names)],
			 s / (int)PD_ARRAY_LEN(product_names) + 1);
	}
	for (int w = 0; w < n_wh; w++) {
		if (w < (int)PD_ARRAY_LEN(wh_names))
			snprintf(wh_code[w], sizeof(wh_code[w]), "%s", wh_names[w]);
		else
			snprintf(wh_code[w], sizeof(wh_code[w]), "WH-XX-%02d", w);
	}
	n_keys = (size_t)n_skus * (size_t)n_wh;
	t0_ms = pd_now_ms() - 3600 * 1000;

	/* Pairs shuffled, then dealt to the feeds: feed c cycles through its
	 * pairs in that order. */
	int *order = pd_xcalloc(n_keys, sizeof(*order));
	for (size_t k = 0; k < n_keys; k++)
		order[k] = (int)k;
	for (size_t k = n_keys - 1; k > 0; k--) {
		size_t j = rnd() % (k + 1);
		int t = order[k];
		order[k] = order[j];
		order[j] = t;
	}
	int *ordinal = pd_xcalloc(n_keys, sizeof(*ordinal));
	n_conns = conns;
	for (int c = 0; c < conns; c++) {
		size_t nk = n_keys / (size_t)conns + ((size_t)c < n_keys % (size_t)conns);
		size_t n = n_reports / (size_t)conns + ((size_t)c < n_reports % (size_t)conns);
		feeds[c].n = n;
		feeds[c].r = pd_xcalloc(n ? n : 1, sizeof(struct report));
		for (size_t j = 0; j < n; j++) {
			size_t pos = j % nk;
			int key = order[pos * (size_t)conns + (size_t)c];
			int pass = (int)(j / nk);
			int last = (int)((n - 1 - pos) / nk);
			struct report *r = &feeds[c].r[j];
			pd_uuid_new(r->event_id);
			r->key = key;
			r->pass = pass;
			r->ordinal = ++ordinal[key];
			r->named = pass == 0 || names_all;
			if (pass >= 2 && pass < last && (double)(rnd() % 100000) < stale_pct * 1000.0) {
				r->stale = 1;
				r->pass = pass - 2;
			}
			r->version = version_of(key, r->pass);
		}
		size_t reqs = (n + batch_size - 1) / batch_size;
		if (reqs > max_requests)
			max_requests = reqs;
	}
	free(order);
	free(ordinal);
}

/* What the service must end with, replaying the feeds request by request:
 * a request's reports of one pair collapse to its newest (the service's
 * DISTINCT ON), which is applied when newer than the stored version. Pairs
 * belong to one feed and a feed has one request in flight, so this order
 * is the order the service sees each pair in. */
static void simulate(void)
{
	final_version = pd_xcalloc(n_keys, sizeof(*final_version));
	final_avail = pd_xcalloc(n_keys, sizeof(*final_avail));
	int64_t *best = pd_xcalloc(n_keys, sizeof(*best));
	int *best_pass = pd_xcalloc(n_keys, sizeof(*best_pass));
	long *seen_req = pd_xcalloc(n_keys, sizeof(*seen_req));
	uint8_t *named = pd_xcalloc((size_t)n_skus, 1);
	int *touched = pd_xcalloc(batch_size, sizeof(*touched));
	long req_id = 0;
	for (int c = 0; c < n_conns; c++) {
		for (size_t from = 0; from < feeds[c].n; from += batch_size) {
			size_t to = from + batch_size < feeds[c].n ? from + batch_size : feeds[c].n;
			size_t nt = 0;
			req_id++;
			for (size_t j = from; j < to; j++) {
				const struct report *r = &feeds[c].r[j];
				if (r->stale)
					exp_stale++;
				if (r->named)
					named[r->key / n_wh] = 1;
				if (seen_req[r->key] != req_id) {
					seen_req[r->key] = req_id;
					best[r->key] = 0;
					touched[nt++] = r->key;
				}
				if (r->version >= best[r->key]) {
					best[r->key] = r->version;
					best_pass[r->key] = r->pass;
				}
			}
			for (size_t t = 0; t < nt; t++) {
				int k = touched[t];
				if (best[k] > final_version[k]) {
					if (final_version[k] == 0)
						exp_inserts++;
					exp_applied++;
					final_version[k] = best[k];
					struct level l;
					level_of(k, best_pass[k], &l);
					final_avail[k] = l.available;
				}
			}
		}
	}
	for (int s = 0; s < n_skus; s++)
		exp_named_skus += named[s];
	for (size_t k = 0; k < n_keys; k++)
		exp_pairs += final_version[k] != 0;
	free(best);
	free(best_pass);
	free(seen_req);
	free(named);
	free(touched);
}

/* ---- database helpers ---------------------------------------------------------- */

static PGconn *admin;

static void die(const char *what, const char *detail)
{
	fprintf(stderr, "bench_stock_ingest: %s: %s\n", what, detail);
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
	long long n = PQntuples(r) ? atoll(PQgetvalue(r, 0, 0)) : 0;
	PQclear(r);
	return n;
}

static void reset_tables(void)
{
	admin_exec("TRUNCATE stock.shortage_orders, stock.shortages, stock.levels, stock.skus, stock.ingest_log");
	admin_exec("CHECKPOINT");
}

/* Events of the stock service in bus.outbox, by topic. */
struct outbox_counts {
	long long level_changed, shortage, restocked, low;
};

static void outbox_counts(struct outbox_counts *o)
{
	o->level_changed = admin_count("SELECT count(*) FROM bus.outbox_stock WHERE topic = 'stock.level_changed'");
	o->shortage = admin_count("SELECT count(*) FROM bus.outbox_stock WHERE topic = 'stock.shortage'");
	o->restocked = admin_count("SELECT count(*) FROM bus.outbox_stock WHERE topic = 'stock.restocked'");
	o->low = admin_count("SELECT count(*) FROM bus.outbox_stock WHERE topic = 'stock.low'");
}

static int key_of(const char *sku, const char *wh)
{
	if (strncmp(sku, "SKU-", 4) != 0)
		return -1;
	int s = atoi(sku + 4) - 100000;
	if (s < 0 || s >= n_skus)
		return -1;
	for (int w = 0; w < n_wh; w++)
		if (strcmp(wh_code[w], wh) == 0)
			return s * n_wh + w;
	return -1;
}

/* Fails unless every pair holds its newest report and every named SKU exists. */
static void verify_levels(const char *phase)
{
	char d[300];
	long long skus = admin_count("SELECT count(*) FROM stock.skus");
	if (skus != (long long)exp_named_skus) {
		snprintf(d, sizeof(d), "expected %zu SKUs, found %lld", exp_named_skus, skus);
		die(phase, d);
	}
	PGresult *r = PQexec(admin, "SELECT sku, warehouse, version, available FROM stock.levels");
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		die("SELECT stock.levels", PQerrorMessage(admin));
	size_t bad = 0, rows = (size_t)PQntuples(r);
	d[0] = 0;
	for (size_t i = 0; i < rows; i++) {
		int k = key_of(PQgetvalue(r, (int)i, 0), PQgetvalue(r, (int)i, 1));
		long long v = atoll(PQgetvalue(r, (int)i, 2)), a = atoll(PQgetvalue(r, (int)i, 3));
		if (k < 0 || v != final_version[k] || a != final_avail[k]) {
			if (!bad++)
				snprintf(d, sizeof(d), "%s/%s holds version %lld available %lld; newest sent: version %lld "
					 "available %lld", PQgetvalue(r, (int)i, 0), PQgetvalue(r, (int)i, 1), v, a,
					 k < 0 ? 0LL : (long long)final_version[k], k < 0 ? 0LL : (long long)final_avail[k]);
		}
	}
	PQclear(r);
	if (bad || rows != exp_pairs) {
		char m[500];
		snprintf(m, sizeof(m), "%zu level rows (expected %zu), %zu not at the newest version sent%s%s", rows,
			 exp_pairs, bad, bad ? "; first: " : "", d);
		die(phase, m);
	}
}

static pd_db *service_conn(const char *conninfo)
{
	pd_db *db = pd_db_new(conninfo, "peakdesk_stock", "bench_stock_ingest");
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

#define LEVEL_COLS "sku, warehouse, on_hand, reserved, available, restock_eta, ship_by, version, reported_at, " \
		   "low_stock_threshold"

/* One level row of report r (warehouse code given). */
static void copy_level(pd_copy *c, const struct report *r, const char *wh)
{
	struct level l;
	level_of(r->key, r->pass, &l);
	pd_copy_text(c, sku_code[r->key / n_wh]);
	pd_copy_text(c, wh);
	pd_copy_int(c, l.on_hand);
	pd_copy_int(c, l.reserved);
	pd_copy_int(c, l.available);
	pd_copy_ts_ms(c, l.eta);
	pd_copy_ts_ms(c, l.ship_by);
	pd_copy_int(c, r->version);
	pd_copy_ts_ms(c, r->version);
	pd_copy_int(c, l.threshold);
}

static void copy_begin(pd_copy *c, pd_db *db, const char *sql)
{
	pd_errbuf eb = {{0}};
	if (pd_copy_begin(c, db, sql, &eb) != PD_OK)
		die(sql, eb.msg);
}

static void copy_finish(pd_copy *c, const char *what)
{
	pd_errbuf eb = {{0}};
	if (pd_copy_finish(c, &eb) != PD_OK)
		die(what, eb.msg);
}

/* Calls fn for every request, one after the other: request i of every feed
 * before request i + 1 of any (each pair's reports stay in order). */
static void for_each_request(void (*fn)(pd_db *, const struct report *, size_t, uint8_t *), pd_db *db,
			     uint8_t *sku_seen)
{
	for (size_t q = 0; q < max_requests; q++)
		for (int c = 0; c < n_conns; c++) {
			size_t from = q * batch_size;
			if (from >= feeds[c].n)
				continue;
			size_t to = from + batch_size < feeds[c].n ? from + batch_size : feeds[c].n;
			fn(db, &feeds[c].r[from], to - from, sku_seen);
		}
}

/* ---- phase 1: raw COPY --------------------------------------------------------------- */

static void copy_request(pd_db *db, const struct report *rs, size_t n, uint8_t *sku_seen)
{
	db_exec(db, "BEGIN");
	pd_copy c;
	int any = 0;
	for (size_t i = 0; i < n; i++) {
		int s = rs[i].key / n_wh;
		if (!rs[i].named || sku_seen[s])
			continue;
		if (!any++)
			copy_begin(&c, db, "COPY stock.skus(sku, name, presale) FROM STDIN");
		sku_seen[s] = 1;
		pd_copy_text(&c, sku_code[s]);
		pd_copy_text(&c, sku_name[s]);
		pd_copy_text(&c, sku_presale(s) ? "t" : "f");
		pd_copy_end_row(&c);
	}
	if (any)
		copy_finish(&c, "COPY stock.skus");
	copy_begin(&c, db, "COPY stock.levels(" LEVEL_COLS ") FROM STDIN");
	for (size_t i = 0; i < n; i++) {
		char wh[32];
		const char *w = wh_code[rs[i].key % n_wh];
		if (rs[i].ordinal > 1) {
			snprintf(wh, sizeof(wh), "%s/%d", w, rs[i].ordinal);
			w = wh;
		}
		copy_level(&c, &rs[i], w);
		pd_copy_end_row(&c);
	}
	copy_finish(&c, "COPY stock.levels");
	/* the idempotency key every accepted report leaves, as in (a) */
	copy_begin(&c, db, "COPY stock.ingest_log(event_id) FROM STDIN");
	for (size_t i = 0; i < n; i++) {
		char id[PD_UUID_TEXT];
		pd_uuid_format(rs[i].event_id, id);
		pd_copy_text(&c, id);
		pd_copy_end_row(&c);
	}
	copy_finish(&c, "COPY stock.ingest_log");
	db_exec(db, "COMMIT");
}

static double phase_copy(const char *conninfo)
{
	pd_db *db = service_conn(conninfo);
	uint8_t *seen = pd_xcalloc((size_t)n_skus, 1);
	int64_t t0 = bench_mono_ns();
	for_each_request(copy_request, db, seen);
	double secs = (double)(bench_mono_ns() - t0) / 1e9;
	pd_db_free(db);
	free(seen);
	long long lv = admin_count("SELECT count(*) FROM stock.levels");
	long long sk = admin_count("SELECT count(*) FROM stock.skus");
	if (lv != (long long)n_reports || sk != (long long)exp_named_skus) {
		char d[200];
		snprintf(d, sizeof(d), "expected %zu level rows and %zu SKUs; found %lld and %lld", n_reports,
			 exp_named_skus, lv, sk);
		die("raw COPY", d);
	}
	return (double)n_reports / secs;
}

/* ---- phase 3: staged bulk upsert (reference) ------------------------------------------ */

static void staged_request(pd_db *db, const struct report *rs, size_t n, uint8_t *unused)
{
	(void)unused;
	db_exec(db, "BEGIN");
	pd_copy c;
	copy_begin(&c, db, "COPY stage_levels(pos, name, presale, " LEVEL_COLS ") FROM STDIN");
	for (size_t i = 0; i < n; i++) {
		int s = rs[i].key / n_wh;
		pd_copy_int(&c, (int64_t)i);
		pd_copy_text(&c, rs[i].named ? sku_name[s] : NULL);
		pd_copy_text(&c, sku_presale(s) ? "t" : "f");
		copy_level(&c, &rs[i], wh_code[rs[i].key % n_wh]);
		pd_copy_end_row(&c);
	}
	copy_finish(&c, "COPY stage_levels");
	db_exec(db, "INSERT INTO stock.skus AS s (sku, name, presale) "
		    "SELECT DISTINCT ON (sku) sku, name, presale FROM stage_levels WHERE name IS NOT NULL "
		    "ORDER BY sku, pos DESC ON CONFLICT (sku) DO UPDATE SET name = excluded.name, "
		    "presale = excluded.presale, updated_at = now() "
		    "WHERE (s.name, s.presale) IS DISTINCT FROM (excluded.name, excluded.presale)");
	db_exec(db, "INSERT INTO stock.levels AS l (" LEVEL_COLS ") "
		    "SELECT DISTINCT ON (sku, warehouse) " LEVEL_COLS " FROM stage_levels "
		    "ORDER BY sku, warehouse, version DESC, pos DESC "
		    "ON CONFLICT (sku, warehouse) DO UPDATE SET on_hand = excluded.on_hand, "
		    "reserved = excluded.reserved, available = excluded.available, restock_eta = excluded.restock_eta, "
		    "ship_by = excluded.ship_by, low_stock_threshold = excluded.low_stock_threshold, "
		    "version = excluded.version, reported_at = excluded.reported_at, updated_at = now() "
		    "WHERE l.version < excluded.version");
	db_exec(db, "COMMIT");
}

static double phase_staged(const char *conninfo)
{
	pd_db *db = service_conn(conninfo);
	db_exec(db, "CREATE TEMP TABLE stage_levels (pos int, name text, presale boolean, "
		    "LIKE stock.levels INCLUDING DEFAULTS) ON COMMIT DELETE ROWS");
	int64_t t0 = bench_mono_ns();
	for_each_request(staged_request, db, NULL);
	double secs = (double)(bench_mono_ns() - t0) / 1e9;
	pd_db_free(db);
	verify_levels("staged upsert");
	return (double)n_reports / secs;
}

/* ---- phase 2: the ingest socket ---------------------------------------------------------- */

static char ingest_addr[PD_CFG_STR];
static atomic_size_t n_accepted, n_duplicate, n_rejected, n_failed;
static char first_error[2 * PD_ERRMSG_MAX];
static pthread_mutex_t err_mu = PTHREAD_MUTEX_INITIALIZER;
static bench_samples req_lat[MAX_CONNS]; /* per request, send -> ack, µs */

static void note_error(const char *fmt, const char *detail)
{
	pthread_mutex_lock(&err_mu);
	if (!first_error[0])
		snprintf(first_error, sizeof(first_error), fmt, detail);
	pthread_mutex_unlock(&err_mu);
	atomic_fetch_add(&n_failed, 1);
}

/* Packs the IngestRequest of reports rs[0..n). */
static uint8_t *pack_request(const struct report *rs, size_t n, size_t *len)
{
	Peakdesk__V1__Envelope *env = pd_xcalloc(n, sizeof(*env));
	Peakdesk__V1__Envelope **envp = pd_xcalloc(n, sizeof(*envp));
	Peakdesk__V1__StockLevel *sl = pd_xcalloc(n, sizeof(*sl));
	int64_t now = pd_now_ms();
	for (size_t k = 0; k < n; k++) {
		const struct report *r = &rs[k];
		int s = r->key / n_wh;
		struct level l;
		level_of(r->key, r->pass, &l);
		peakdesk__v1__stock_level__init(&sl[k]);
		sl[k].sku = sku_code[s];
		sl[k].warehouse = wh_code[r->key % n_wh];
		sl[k].sku_name = r->named ? sku_name[s] : "";
		sl[k].on_hand = l.on_hand;
		sl[k].reserved = l.reserved;
		sl[k].available = l.available;
		sl[k].presale = sku_presale(s);
		sl[k].restock_eta_ms = l.eta;
		sl[k].ship_by_ms = l.ship_by;
		sl[k].version = r->version;
		sl[k].low_stock_threshold = l.threshold;
		peakdesk__v1__envelope__init(&env[k]);
		env[k].event_id.data = (uint8_t *)r->event_id;
		env[k].event_id.len = 16;
		env[k].topic = "stock.level";
		env[k].occurred_at_ms = r->version;
		env[k].produced_at_ms = now;
		env[k].body_case = PEAKDESK__V1__ENVELOPE__BODY_STOCK_LEVEL;
		env[k].stock_level = &sl[k];
		envp[k] = &env[k];
	}
	Peakdesk__V1__IngestRequest req = PEAKDESK__V1__INGEST_REQUEST__INIT;
	req.events = envp;
	req.n_events = n;
	uint8_t *buf = pd_pb_pack(&req.base, len);
	free(env), free(envp), free(sl);
	return buf;
}

static void *sender(void *arg)
{
	int c = (int)(intptr_t)arg;
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
	for (size_t from = 0; from < feeds[c].n; from += batch_size) {
		size_t to = from + batch_size < feeds[c].n ? from + batch_size : feeds[c].n;
		int64_t t0 = bench_mono_ns();
		size_t len;
		uint8_t *buf = pack_request(&feeds[c].r[from], to - from, &len);
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
		bench_samples_add(&req_lat[c], (bench_mono_ns() - t0) / 1000);
		if (!rep) {
			note_error("undecodable reply: %s", eb.msg);
			break;
		}
		if (rep->error && *rep->error)
			note_error("request refused: %s", rep->error);
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

static struct outbox_counts events_last; /* the last socket phase's events */
static double socket_secs_total;         /* all socket phases */

static double phase_socket(void)
{
	atomic_store(&n_accepted, 0);
	atomic_store(&n_duplicate, 0);
	atomic_store(&n_rejected, 0);
	struct outbox_counts before, after;
	outbox_counts(&before);
	pthread_t th[MAX_CONNS];
	int64_t t0 = bench_mono_ns();
	for (int i = 0; i < n_conns; i++)
		if (pthread_create(&th[i], NULL, sender, (void *)(intptr_t)i) != 0)
			die("thread", "cannot start");
	for (int i = 0; i < n_conns; i++)
		pthread_join(th[i], NULL);
	double secs = (double)(bench_mono_ns() - t0) / 1e9;
	socket_secs_total += secs;
	char d[3 * PD_ERRMSG_MAX];
	if (atomic_load(&n_failed) || atomic_load(&n_accepted) != n_reports) {
		snprintf(d, sizeof(d), "%zu accepted, %zu duplicate, %zu rejected of %zu; first error: %s",
			 atomic_load(&n_accepted), atomic_load(&n_duplicate), atomic_load(&n_rejected), n_reports,
			 first_error[0] ? first_error : "-");
		die("ingest socket", d);
	}
	long long logged = admin_count("SELECT count(*) FROM stock.ingest_log");
	if (logged != (long long)n_reports) {
		snprintf(d, sizeof(d), "%lld event ids in stock.ingest_log, expected %zu", logged, n_reports);
		die("ingest socket", d);
	}
	verify_levels("ingest socket");
	outbox_counts(&after);
	events_last = (struct outbox_counts){after.level_changed - before.level_changed, after.shortage - before.shortage,
					     after.restocked - before.restocked, after.low - before.low};
	if (events_last.level_changed != (long long)exp_applied) {
		snprintf(d, sizeof(d), "%lld stock.level_changed events in bus.outbox for %zu reports newer than the "
			 "stored level (%zu reports, %zu stale)", events_last.level_changed, exp_applied, n_reports,
			 exp_stale);
		die("ingest socket", d);
	}
	return (double)n_reports / secs;
}

/* ---- main ----------------------------------------------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	double t[MAX_ROUNDS];
	memcpy(t, v, (size_t)n * sizeof(*v));
	qsort(t, (size_t)n, sizeof(*t), cmp_double);
	return n % 2 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2;
}

int main(int argc, char **argv)
{
	n_skus = atoi(bench_opt(argc, argv, "--skus", "2000"));
	n_wh = atoi(bench_opt(argc, argv, "--warehouses", "5"));
	n_reports = (size_t)atol(bench_opt(argc, argv, "--events", "50000"));
	batch_size = (size_t)atol(bench_opt(argc, argv, "--batch", "1000"));
	int conns = atoi(bench_opt(argc, argv, "--conns", "4"));
	int rounds = atoi(bench_opt(argc, argv, "--rounds", "3"));
	double stale_pct = atof(bench_opt(argc, argv, "--stale-pct", "2"));
	const char *names = bench_opt(argc, argv, "--names", "first");
	int staged = strcmp(bench_opt(argc, argv, "--staged", "yes"), "no") != 0;
	names_all = strcmp(names, "all") == 0;
	if (n_skus < 1 || n_skus > 900000 || n_wh < 1 || n_wh > 64 || n_reports < 1 || batch_size < 1 ||
	    batch_size > 10000 || conns < 1 || conns > MAX_CONNS || rounds < 1 || rounds > MAX_ROUNDS ||
	    stale_pct < 0 || stale_pct > 50 || (!names_all && strcmp(names, "first") != 0)) {
		fprintf(stderr, "usage: bench_stock_ingest [--skus 1..900000] [--warehouses 1..64] [--events N] "
				"[--batch 1..10000] [--conns 1..64] [--rounds 1..20] [--stale-pct 0..50] "
				"[--names first|all] [--staged yes|no]\n");
		return 2;
	}
	const char *conninfo = getenv("PEAKDESK_DB");
	if (!conninfo || !*conninfo)
		die("PEAKDESK_DB", "not set");
	char run_dir[PD_CFG_STR];
	pd_config_run_dir(run_dir, sizeof(run_dir));
	pd_config_service_addr("stock", "INGEST", run_dir, ingest_addr, sizeof(ingest_addr));
	admin = PQconnectdb(conninfo);
	if (PQstatus(admin) != CONNECTION_OK)
		die("connect", PQerrorMessage(admin));

	make_data(conns, stale_pct);
	simulate();
	size_t probe_len;
	uint8_t *probe = pack_request(feeds[0].r, feeds[0].n < batch_size ? feeds[0].n : batch_size, &probe_len);
	free(probe);
	bench_progress("stock: %d SKUs x %d warehouses, %zu reports (%zu first reports, %zu updates, %zu stale), "
		       "requests of %zu, %d concurrent REQ sockets, %d rounds; request size %zu bytes",
		       n_skus, n_wh, n_reports, exp_inserts, exp_applied - exp_inserts, exp_stale, batch_size, conns,
		       rounds, probe_len);

	double copy_eps[MAX_ROUNDS], sock_eps[MAX_ROUNDS], staged_eps[MAX_ROUNDS];
	char a[32], b[32], c[32];
	for (int r = 0; r < rounds; r++) {
		reset_tables();
		copy_eps[r] = phase_copy(conninfo);
		reset_tables();
		sock_eps[r] = phase_socket();
		if (staged) {
			reset_tables();
			staged_eps[r] = phase_staged(conninfo);
		}
		bench_progress("  round %d/%d: raw COPY %s reports/s, ingest socket %s reports/s (%.2f x)%s%s%s", r + 1,
			       rounds, bench_commas(copy_eps[r], a, sizeof(a)), bench_commas(sock_eps[r], b, sizeof(b)),
			       sock_eps[r] / copy_eps[r], staged ? ", staged upsert " : "",
			       staged ? bench_commas(staged_eps[r], c, sizeof(c)) : "", staged ? " reports/s" : "");
	}
	reset_tables();

	double mc = median(copy_eps, rounds), ms = median(sock_eps, rounds);
	double mst = staged ? median(staged_eps, rounds) : 0;
	bench_samples lat = {0};
	for (int i = 0; i < conns; i++)
		for (size_t k = 0; k < req_lat[i].n; k++)
			bench_samples_add(&lat, req_lat[i].v[k]);
	bench_samples_sort(&lat);
	char d[32], e[32], f[32];
	printf("stock: %s reports/s committed = %.2f x raw COPY (%s level rows/s; 1 level row and 1 ingest-log id per report, plus %zu "
	       "SKU rows)\n",
	       bench_commas(ms, a, sizeof(a)), ms / mc, bench_commas(mc, b, sizeof(b)), exp_named_skus);
	printf("stock: %d SKUs x %d warehouses, %s reports in requests of %zu over %d REQ sockets: %s first reports, "
	       "%s updates, %s stale (older version, accepted, not applied); %s stock.level_changed events, "
	       "%lld stock.shortage, %lld stock.restocked, %lld stock.low; request -> ack p50 %.1f ms p99 %.1f ms\n",
	       n_skus, n_wh, bench_commas((double)n_reports, a, sizeof(a)), batch_size, conns,
	       bench_commas((double)exp_inserts, b, sizeof(b)), bench_commas((double)(exp_applied - exp_inserts), c, sizeof(c)),
	       bench_commas((double)exp_stale, d, sizeof(d)), bench_commas((double)events_last.level_changed, e, sizeof(e)),
	       events_last.shortage, events_last.restocked, events_last.low, (double)bench_pct(&lat, 50) / 1000,
	       (double)bench_pct(&lat, 99) / 1000);
	if (staged)
		printf("stock (reference): staged COPY + INSERT ... ON CONFLICT into stock.skus and stock.levels of the same "
		       "requests (no ingest log, no events): %s reports/s = %.2f x raw COPY\n",
		       bench_commas(mst, f, sizeof(f)), mst / mc);
	printf("RESULT stock events=%zu skus=%d warehouses=%d batch=%zu conns=%d rounds=%d socket_eps=%.0f copy_eps=%.0f "
	       "staged_eps=%.0f ratio=%.3f target=0.5 pass=%s applied=%zu inserts=%zu stale=%zu level_changed=%lld "
	       "shortage=%lld restocked=%lld low=%lld req_p50_us=%lld req_p99_us=%lld socket_seconds=%.3f names=%s\n",
	       n_reports, n_skus, n_wh, batch_size, conns, rounds, ms, mc, mst, ms / mc, ms / mc >= 0.5 ? "yes" : "no",
	       exp_applied, exp_inserts, exp_stale, events_last.level_changed, events_last.shortage,
	       events_last.restocked, events_last.low, (long long)bench_pct(&lat, 50), (long long)bench_pct(&lat, 99),
	       socket_secs_total, names_all ? "all" : "first");
	bench_samples_free(&lat);
	for (int i = 0; i < conns; i++) {
		bench_samples_free(&req_lat[i]);
		free(feeds[i].r);
	}
	PQfinish(admin);
	free(final_version), free(final_avail), free(sku_code), free(sku_name), free(wh_code);
	return 0;
}
