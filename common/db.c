/* PostgreSQL connection handling (see db.h). */
#include "db.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"

struct prepared {
	char *name, *sql;
};

struct pd_db {
	char *conninfo, *role, *app_name;
	PGconn *conn;
	uint64_t generation;
	struct prepared *stmts;
	size_t n_stmts;
	int deferred; /* statements sent in pipeline mode whose results are unread */
};

pd_db *pd_db_new(const char *conninfo, const char *role, const char *app_name)
{
	pd_db *db = pd_xcalloc(1, sizeof(*db));
	db->conninfo = pd_xstrdup(conninfo);
	db->role = role ? pd_xstrdup(role) : NULL;
	db->app_name = pd_xstrdup(app_name ? app_name : "peakdesk");
	return db;
}

void pd_db_free(pd_db *db)
{
	if (!db)
		return;
	if (db->conn)
		PQfinish(db->conn);
	for (size_t i = 0; i < db->n_stmts; i++) {
		free(db->stmts[i].name);
		free(db->stmts[i].sql);
	}
	free(db->stmts);
	free(db->conninfo);
	free(db->role);
	free(db->app_name);
	free(db);
}

int pd_db_ok(pd_db *db)
{
	return db->conn && PQstatus(db->conn) == CONNECTION_OK;
}

PGconn *pd_db_conn(pd_db *db)
{
	return db->conn;
}

uint64_t pd_db_generation(const pd_db *db)
{
	return db->generation;
}

int pd_db_classify(pd_db *db)
{
	return pd_db_ok(db) ? PD_EDB : PD_EDBDOWN;
}

/* A failed statement's error: the database being unable to work right now
 * (SQLSTATE class 53: disk full, out of memory, too many connections;
 * 57P: shutting down; 58: I/O error) is "unavailable", like a lost
 * connection, so clients hear 503 / retry and resend, not that their
 * request was wrong. So is a transaction PostgreSQL chose to abort because
 * it met another one (40P01 deadlock, 40001 serialization failure, e.g.
 * two router partitions meeting on an agent and a ticket): run again, it
 * succeeds; it must never count as the event's own fault (dead letter).
 * Anything else is the statement's own error. */
static int classify_result(pd_db *db, const PGresult *r)
{
	const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	if (state && (strncmp(state, "53", 2) == 0 || strncmp(state, "57P", 3) == 0 || strncmp(state, "58", 2) == 0 ||
		      strcmp(state, "40P01") == 0 || strcmp(state, "40001") == 0))
		return PD_EDBDOWN;
	return pd_db_classify(db);
}

static void set_err(pd_db *db, pd_errbuf *eb, const char *what)
{
	const char *m = db->conn ? PQerrorMessage(db->conn) : "no connection";
	char clean[PD_ERRMSG_MAX];
	snprintf(clean, sizeof(clean), "%s", m);
	for (char *p = clean; *p; p++)
		if (*p == '\n' || *p == '"')
			*p = ' ';
	pd_fail(eb, PD_EDB, "%s: %s", what, clean);
}

static int setup_session(pd_db *db, pd_errbuf *eb)
{
	PGresult *r;
	if (db->role) {
		char *ident = PQescapeIdentifier(db->conn, db->role, strlen(db->role));
		char sql[256];
		snprintf(sql, sizeof(sql), "SET ROLE %s", ident);
		PQfreemem(ident);
		r = PQexec(db->conn, sql);
		if (PQresultStatus(r) != PGRES_COMMAND_OK) {
			set_err(db, eb, "SET ROLE");
			PQclear(r);
			return PD_EDB;
		}
		PQclear(r);
	}
	r = PQexec(db->conn, "SET TIME ZONE 'UTC'");
	PQclear(r);
	/* A client killed in the middle of a long statement would otherwise
	 * keep its backend (and the publisher lock) busy until the statement
	 * ends; this makes the server look for the dead socket every second
	 * (PostgreSQL >= 14; ignored by older servers). */
	r = PQexec(db->conn, "SET client_connection_check_interval = 1000");
	PQclear(r);
	for (size_t i = 0; i < db->n_stmts; i++) {
		r = PQprepare(db->conn, db->stmts[i].name, db->stmts[i].sql, 0, NULL);
		if (PQresultStatus(r) != PGRES_COMMAND_OK) {
			set_err(db, eb, db->stmts[i].name);
			PQclear(r);
			return PD_EDB;
		}
		PQclear(r);
	}
	return PD_OK;
}

static void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

int pd_db_connect(pd_db *db, int max_wait_ms, volatile int *stop)
{
	if (pd_db_ok(db))
		return PD_OK;
	int backoff = 100, waited = 0, attempt = 0;
	for (;;) {
		if (db->conn)
			PQfinish(db->conn);
		const char *keys[] = {"dbname", "application_name", "connect_timeout", NULL};
		const char *vals[] = {db->conninfo, db->app_name, "5", NULL};
		db->conn = PQconnectdbParams(keys, vals, 1);
		db->deferred = 0;
		attempt++;
		if (PQstatus(db->conn) == CONNECTION_OK) {
			pd_errbuf eb = {{0}};
			if (setup_session(db, &eb) == PD_OK) {
				db->generation++;
				if (attempt > 1)
					pd_log_info("database connected", "attempts=%d", attempt);
				return PD_OK;
			}
			/* A failing SET ROLE or statement is a deployment error, not a
			 * transient one: report it and keep retrying slowly so an
			 * operator's fix (a migration) is picked up. */
			pd_log_error("database session setup failed", "detail=\"%s\"", eb.msg);
		} else if (attempt == 1 || attempt % 10 == 0) {
			char m[200];
			snprintf(m, sizeof(m), "%s", PQerrorMessage(db->conn));
			for (char *p = m; *p; p++)
				if (*p == '\n' || *p == '"')
					*p = ' ';
			pd_log_warn("database unreachable, retrying", "attempt=%d detail=\"%s\"", attempt, m);
		}
		if ((stop && *stop) || (max_wait_ms >= 0 && waited >= max_wait_ms))
			return PD_EDBDOWN;
		sleep_ms(backoff);
		waited += backoff;
		backoff = backoff * 2 > 5000 ? 5000 : backoff * 2;
	}
}

int pd_db_prepare(pd_db *db, const char *name, const char *sql, pd_errbuf *eb)
{
	db->stmts = pd_xrealloc(db->stmts, (db->n_stmts + 1) * sizeof(*db->stmts));
	db->stmts[db->n_stmts].name = pd_xstrdup(name);
	db->stmts[db->n_stmts].sql = pd_xstrdup(sql);
	db->n_stmts++;
	if (!pd_db_ok(db))
		return PD_OK; /* prepared on connect */
	if (db->deferred) {
		int rc = pd_db_settle(db, eb);
		if (rc != PD_OK) {
			db->n_stmts--; /* registered on the next use */
			free(db->stmts[db->n_stmts].name);
			free(db->stmts[db->n_stmts].sql);
			return rc;
		}
	}
	PGresult *r = PQprepare(db->conn, name, sql, 0, NULL);
	int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
	PQclear(r);
	if (!ok) {
		/* Not registered: the next use prepares again (and reports the
		 * statement's own error) instead of "does not exist". */
		db->n_stmts--;
		free(db->stmts[db->n_stmts].name);
		free(db->stmts[db->n_stmts].sql);
		set_err(db, eb, name);
		return pd_db_classify(db);
	}
	return PD_OK;
}

int pd_db_exec(pd_db *db, const char *sql, pd_errbuf *eb)
{
	if (!pd_db_ok(db))
		return pd_fail(eb, PD_EDBDOWN, "database connection lost");
	int rc = db->deferred ? pd_db_settle(db, eb) : PD_OK;
	if (rc != PD_OK)
		return rc; /* not run: a COMMIT now would only roll back */
	PGresult *r = PQexec(db->conn, sql);
	ExecStatusType st = PQresultStatus(r);
	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
		PQclear(r);
		return PD_OK;
	}
	set_err(db, eb, "exec");
	int err = classify_result(db, r);
	PQclear(r);
	return err;
}

/* PD_OK for a result that succeeded; else the error, with the server's
 * message in eb prefixed by what. */
static int result_error(pd_db *db, const PGresult *r, const char *what, pd_errbuf *eb)
{
	ExecStatusType st = PQresultStatus(r);
	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
		return PD_OK;
	const char *m = PQresultErrorMessage(r);
	char clean[PD_ERRMSG_MAX];
	snprintf(clean, sizeof(clean), "%s", m && *m ? m : PQerrorMessage(db->conn));
	for (char *p = clean; *p; p++)
		if (*p == '\n' || *p == '"')
			*p = ' ';
	int err = classify_result(db, r);
	pd_fail(eb, err == PD_EDBDOWN ? PD_EDBDOWN : PD_EDB, "%s: %s", what, clean);
	return err;
}

static int pipeline_send(pd_db *db, const char *name, const char *sql, int nparams, const char *const *values,
			 const int *lengths, const int *formats, pd_errbuf *eb);
static int pipeline_settle(pd_db *db, PGresult **last, pd_errbuf *eb);

static int is_registered(const pd_db *db, const char *name)
{
	for (size_t i = 0; i < db->n_stmts; i++)
		if (strcmp(db->stmts[i].name, name) == 0)
			return 1;
	return 0;
}

PGresult *pd_db_query_bin(pd_db *db, const char *name, const char *sql, int nparams,
			  const char *const *values, const int *lengths,
			  const int *formats, int *err, pd_errbuf *eb)
{
	if (!pd_db_ok(db)) {
		*err = pd_fail(eb, PD_EDBDOWN, "database connection lost");
		return NULL;
	}
	if (name && sql) {
		/* Prepared on first use, and again after every reconnect. */
		if (!is_registered(db, name)) {
			int rc = pd_db_prepare(db, name, sql, eb);
			if (rc != PD_OK) {
				*err = rc;
				return NULL;
			}
		}
		sql = NULL;
	}
	if (db->deferred) {
		/* This statement rides in the round trip that collects the
		 * deferred ones. */
		PGresult *r;
		*err = pipeline_send(db, name, sql, nparams, values, lengths, formats, eb);
		if (*err == PD_OK)
			*err = pipeline_settle(db, &r, eb);
		return *err == PD_OK ? r : NULL;
	}
	PGresult *r = name ? PQexecPrepared(db->conn, name, nparams, values, lengths, formats, 0)
			   : PQexecParams(db->conn, sql, nparams, NULL, values, lengths, formats, 0);
	*err = result_error(db, r, name ? name : "query", eb);
	if (*err == PD_OK)
		return r;
	PQclear(r);
	return NULL;
}

/* ---- deferred statements (libpq pipeline mode) ------------------------------ */

static int pipeline_send(pd_db *db, const char *name, const char *sql, int nparams, const char *const *values,
			 const int *lengths, const int *formats, pd_errbuf *eb)
{
	if (PQpipelineStatus(db->conn) == PQ_PIPELINE_OFF && !PQenterPipelineMode(db->conn)) {
		set_err(db, eb, "pipeline");
		return pd_db_classify(db);
	}
	int sent = name ? PQsendQueryPrepared(db->conn, name, nparams, values, lengths, formats, 0)
			: PQsendQueryParams(db->conn, sql, nparams, NULL, values, lengths, formats, 0);
	/* Flushed at once so the server works on it while we go on. */
	if (!sent || PQflush(db->conn) != 0) {
		set_err(db, eb, name ? name : "query");
		return pd_db_classify(db);
	}
	db->deferred++;
	return PD_OK;
}

/* Ends the pipeline with a Sync and reads every result in order. The first
 * failure is the error (the statements after it come back aborted); when
 * last is not NULL it gets the result of the statement sent last, if all
 * went well. Leaves pipeline mode. */
static int pipeline_settle(pd_db *db, PGresult **last, pd_errbuf *eb)
{
	int rc = PD_OK, n = db->deferred;
	db->deferred = 0;
	if (last)
		*last = NULL;
	if (!PQpipelineSync(db->conn)) {
		set_err(db, eb, "pipeline sync");
		return PD_EDBDOWN;
	}
	for (int i = 0; i < n; i++) {
		PGresult *r = PQgetResult(db->conn);
		if (!r) { /* the connection broke */
			if (rc == PD_OK) {
				set_err(db, eb, "pipeline");
				rc = pd_db_classify(db);
			}
			return rc == PD_EDB ? PD_EDBDOWN : rc;
		}
		if (PQresultStatus(r) != PGRES_PIPELINE_ABORTED && rc == PD_OK)
			rc = result_error(db, r, i == n - 1 && last ? "query" : "deferred statement", eb);
		if (rc == PD_OK && last && i == n - 1)
			*last = r;
		else
			PQclear(r);
		while ((r = PQgetResult(db->conn)) != NULL) /* the NULL that ends each statement's results */
			PQclear(r);
	}
	PGresult *sync = PQgetResult(db->conn);
	int synced = sync && PQresultStatus(sync) == PGRES_PIPELINE_SYNC;
	PQclear(sync);
	if (!synced || !PQexitPipelineMode(db->conn)) {
		if (last) {
			PQclear(*last);
			*last = NULL;
		}
		if (rc == PD_OK)
			set_err(db, eb, "pipeline");
		return PD_EDBDOWN;
	}
	return rc;
}

int pd_db_defer(pd_db *db, const char *name, const char *sql, int nparams, const char *const *values, pd_errbuf *eb)
{
	if (!pd_db_ok(db))
		return pd_fail(eb, PD_EDBDOWN, "database connection lost");
	if (!is_registered(db, name)) {
		int rc = pd_db_prepare(db, name, sql, eb);
		if (rc != PD_OK)
			return rc;
	}
	/* Bounded, so neither side's socket buffer can fill while the other
	 * waits for it to be read. */
	if (db->deferred >= 256) {
		int rc = pd_db_settle(db, eb);
		if (rc != PD_OK)
			return rc;
	}
	return pipeline_send(db, name, NULL, nparams, values, NULL, NULL, eb);
}

int pd_db_settle(pd_db *db, pd_errbuf *eb)
{
	if (!db->deferred)
		return PD_OK;
	if (!pd_db_ok(db)) {
		db->deferred = 0;
		return pd_fail(eb, PD_EDBDOWN, "database connection lost");
	}
	return pipeline_settle(db, NULL, eb);
}

PGresult *pd_db_query(pd_db *db, const char *name, const char *sql, int nparams,
		      const char *const *values, int *err, pd_errbuf *eb)
{
	return pd_db_query_bin(db, name, sql, nparams, values, NULL, NULL, err, eb);
}

/* ---- string buffer ---------------------------------------------------------- */

void pd_sb_add_html(pd_strbuf *b, const char *s)
{
	for (const char *run = s;; s++) {
		const char *esc = NULL;
		switch (*s) {
		case '<': esc = "&lt;"; break;
		case '>': esc = "&gt;"; break;
		case '&': esc = "&amp;"; break;
		case '"': esc = "&quot;"; break;
		case '\'': esc = "&#39;"; break;
		case 0: break;
		default: continue;
		}
		pd_sb_add(b, run, (size_t)(s - run));
		if (!esc)
			return;
		pd_sb_add(b, esc, strlen(esc));
		run = s + 1;
	}
}

void pd_sb_add(pd_strbuf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap < b->len + n + 1)
			cap *= 2;
		b->s = pd_xrealloc(b->s, cap);
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = 0;
}

void pd_sb_addf(pd_strbuf *b, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof(tmp)) {
		pd_sb_add(b, tmp, (size_t)n);
		return;
	}
	char *big = pd_xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	pd_sb_add(b, big, (size_t)n);
	free(big);
}

void pd_sb_free(pd_strbuf *b)
{
	free(b->s);
	b->s = NULL;
	b->len = b->cap = 0;
}

void pd_sb_array_elem(pd_strbuf *b, const char *s)
{
	if (b->len == 0 || b->s[b->len - 1] != '{')
		pd_sb_add(b, ",", 1);
	pd_sb_add(b, "\"", 1);
	for (const char *p = s; *p; p++) {
		if (*p == '"' || *p == '\\')
			pd_sb_add(b, "\\", 1);
		pd_sb_add(b, p, 1);
	}
	pd_sb_add(b, "\"", 1);
}

/* ---- COPY text format ------------------------------------------------------- */

static void copy_raw(pd_copy *c, const char *s, size_t n)
{
	if (c->len + n > c->cap) {
		size_t cap = c->cap ? c->cap : 65536;
		while (cap < c->len + n)
			cap *= 2;
		c->buf = pd_xrealloc(c->buf, cap);
		c->cap = cap;
	}
	memcpy(c->buf + c->len, s, n);
	c->len += n;
}

static void copy_flush(pd_copy *c)
{
	if (c->err || c->len == 0)
		return;
	if (PQputCopyData(pd_db_conn(c->db), c->buf, (int)c->len) != 1)
		c->err = pd_db_classify(c->db);
	c->len = 0;
}

static void field_sep(pd_copy *c)
{
	if (!c->first_field)
		copy_raw(c, "\t", 1);
	c->first_field = 0;
}

int pd_copy_begin(pd_copy *c, pd_db *db, const char *copy_sql, pd_errbuf *eb)
{
	memset(c, 0, sizeof(*c));
	c->db = db;
	c->first_field = 1;
	if (!pd_db_ok(db))
		return pd_fail(eb, PD_EDBDOWN, "database connection lost");
	int rc = pd_db_settle(db, eb);
	if (rc != PD_OK)
		return rc;
	PGresult *r = PQexec(pd_db_conn(db), copy_sql);
	int ok = PQresultStatus(r) == PGRES_COPY_IN;
	if (!ok) {
		set_err(db, eb, "COPY");
		int err = classify_result(db, r);
		PQclear(r);
		return err;
	}
	PQclear(r);
	return PD_OK;
}

void pd_copy_textn(pd_copy *c, const char *s, size_t n)
{
	field_sep(c);
	if (!s) {
		copy_raw(c, "\\N", 2);
		return;
	}
	/* Escape the COPY text-format specials: backslash, tab, newline, CR. */
	size_t start = 0;
	for (size_t i = 0; i < n; i++) {
		const char *esc = NULL;
		switch (s[i]) {
		case '\\': esc = "\\\\"; break;
		case '\t': esc = "\\t"; break;
		case '\n': esc = "\\n"; break;
		case '\r': esc = "\\r"; break;
		}
		if (esc) {
			copy_raw(c, s + start, i - start);
			copy_raw(c, esc, 2);
			start = i + 1;
		}
	}
	copy_raw(c, s + start, n - start);
}

void pd_copy_text(pd_copy *c, const char *s)
{
	pd_copy_textn(c, s, s ? strlen(s) : 0);
}

void pd_copy_int(pd_copy *c, int64_t v)
{
	char tmp[24];
	int n = snprintf(tmp, sizeof(tmp), "%lld", (long long)v);
	field_sep(c);
	copy_raw(c, tmp, (size_t)n);
}

void pd_copy_bytea(pd_copy *c, const uint8_t *b, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	field_sep(c);
	/* Text COPY un-escapes backslashes first, so bytea hex needs "\\x". */
	copy_raw(c, "\\\\x", 3);
	char tmp[256];
	size_t t = 0;
	for (size_t i = 0; i < n; i++) {
		tmp[t++] = hex[b[i] >> 4];
		tmp[t++] = hex[b[i] & 15];
		if (t == sizeof(tmp)) {
			copy_raw(c, tmp, t);
			t = 0;
		}
	}
	copy_raw(c, tmp, t);
}

void pd_copy_uuid(pd_copy *c, const uint8_t id[16])
{
	static const char hex[] = "0123456789abcdef";
	char tmp[32];
	for (int i = 0; i < 16; i++) {
		tmp[2 * i] = hex[id[i] >> 4];
		tmp[2 * i + 1] = hex[id[i] & 15];
	}
	field_sep(c);
	copy_raw(c, tmp, 32);
}

void pd_copy_ts_ms(pd_copy *c, int64_t ms)
{
	if (ms == 0) {
		field_sep(c);
		copy_raw(c, "\\N", 2);
		return;
	}
	char tmp[48];
	/* Seconds with a fraction, read back by to_timestamp-compatible input. */
	time_t s = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&s, &tm);
	size_t n = strftime(tmp, sizeof(tmp), "%Y-%m-%d %H:%M:%S", &tm);
	n += (size_t)snprintf(tmp + n, sizeof(tmp) - n, ".%03d+00", (int)(ms % 1000));
	field_sep(c);
	copy_raw(c, tmp, n);
}

void pd_copy_end_row(pd_copy *c)
{
	copy_raw(c, "\n", 1);
	c->first_field = 1;
	if (c->len >= 1 << 20)
		copy_flush(c);
}

int pd_copy_finish(pd_copy *c, pd_errbuf *eb)
{
	copy_flush(c);
	free(c->buf);
	c->buf = NULL;
	PGconn *conn = pd_db_conn(c->db);
	if (PQputCopyEnd(conn, c->err ? "client error" : NULL) != 1)
		c->err = pd_db_classify(c->db);
	PGresult *r;
	int ok = 1, down = 0;
	while ((r = PQgetResult(conn)) != NULL) {
		if (PQresultStatus(r) != PGRES_COMMAND_OK) {
			ok = 0;
			down |= classify_result(c->db, r) == PD_EDBDOWN;
		}
		PQclear(r);
	}
	if (!ok || c->err) {
		set_err(c->db, eb, "COPY");
		return down ? PD_EDBDOWN : pd_db_classify(c->db);
	}
	return PD_OK;
}

int64_t pd_db_int64(const PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col) ? 0 : strtoll(PQgetvalue(r, row, col), NULL, 10);
}

void pd_sb_arrays_open(pd_strbuf **cols, size_t n)
{
	for (size_t c = 0; c < n; c++)
		pd_sb_add(cols[c], "{", 1);
}

void pd_sb_arrays_close(pd_strbuf **cols, size_t n)
{
	for (size_t c = 0; c < n; c++)
		pd_sb_add(cols[c], "}", 1);
}

void pd_sb_arrays_free(pd_strbuf **cols, size_t n)
{
	for (size_t c = 0; c < n; c++)
		pd_sb_free(cols[c]);
}
