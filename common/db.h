/* PostgreSQL connections: connect with retry and backoff, work under the
 * service's own role (SET ROLE) so a bug in one service cannot write another's
 * schema, prepared statements that survive a reconnect, and a text-format
 * COPY writer for bulk rows. One pd_db is used by one thread at a time. */
#ifndef PD_DB_H
#define PD_DB_H

#include <libpq-fe.h>
#include <stddef.h>
#include <stdint.h>

#include "pd.h"

typedef struct pd_db pd_db;

/* Creates a handle; does not connect yet. role may be NULL (no SET ROLE). */
pd_db *pd_db_new(const char *conninfo, const char *role, const char *app_name);
void pd_db_free(pd_db *db);

/* Connects (or reconnects when the connection is bad), retrying with
 * exponential backoff (100 ms doubling to 5 s) until connected, *stop becomes
 * non-zero, or max_wait_ms passed (<0: forever). Re-prepares statements.
 * PD_OK, or PD_EDBDOWN. */
int pd_db_connect(pd_db *db, int max_wait_ms, volatile int *stop);

/* 1 when the connection is up. */
int pd_db_ok(pd_db *db);
PGconn *pd_db_conn(pd_db *db);
/* Incremented on every successful (re)connect: callers holding session state
 * (advisory locks, temp tables) compare it to know they must redo it. */
uint64_t pd_db_generation(const pd_db *db);

/* Registers a statement to prepare now and after every reconnect. */
int pd_db_prepare(pd_db *db, const char *name, const char *sql, pd_errbuf *eb);

/* Runs SQL without parameters. PD_OK, PD_EDB (eb gets the server message), or
 * PD_EDBDOWN when the connection is lost. */
int pd_db_exec(pd_db *db, const char *sql, pd_errbuf *eb);

/* Runs a statement with text parameters: literal when name is NULL, the
 * prepared statement name when sql is NULL, and when both are given, sql
 * prepared as name on first use (and after every reconnect). Returns the
 * result (caller PQclear()s) or NULL with eb set and the return code in
 * *err (PD_EDB / PD_EDBDOWN). */
PGresult *pd_db_query(pd_db *db, const char *name, const char *sql, int nparams,
		      const char *const *values, int *err, pd_errbuf *eb);

/* Same with lengths and formats for binary parameters (bytea). */
PGresult *pd_db_query_bin(pd_db *db, const char *name, const char *sql, int nparams,
			  const char *const *values, const int *lengths,
			  const int *formats, int *err, pd_errbuf *eb);

/* Sends a statement whose result is not needed without waiting for it
 * (libpq pipeline mode; sql is prepared as name on first use). Its outcome
 * is read with every other deferred one in the round trip of the next
 * statement on this connection (pd_db_query/exec, COPY), or by
 * pd_db_settle; a failure surfaces there as that call's error, and the
 * statements after it are not run. So use it only inside a transaction
 * that fails as a whole, never to test whether a statement succeeds. */
int pd_db_defer(pd_db *db, const char *name, const char *sql, int nparams, const char *const *values,
		pd_errbuf *eb);
/* Reads the deferred statements' results: PD_OK or the first failure. */
int pd_db_settle(pd_db *db, pd_errbuf *eb);

/* Maps the connection's state after a failed call: PD_EDBDOWN if it is gone. */
int pd_db_classify(pd_db *db);

/* ---- COPY FROM STDIN, text format ---------------------------------------- */
typedef struct pd_copy {
	pd_db *db;
	char *buf;
	size_t len, cap;
	int err;
	int first_field;
} pd_copy;

int pd_copy_begin(pd_copy *c, pd_db *db, const char *copy_sql, pd_errbuf *eb);
void pd_copy_text(pd_copy *c, const char *s);          /* NULL -> \N */
void pd_copy_textn(pd_copy *c, const char *s, size_t n);
void pd_copy_int(pd_copy *c, int64_t v);
void pd_copy_bytea(pd_copy *c, const uint8_t *b, size_t n);
void pd_copy_uuid(pd_copy *c, const uint8_t id[16]);
void pd_copy_ts_ms(pd_copy *c, int64_t ms);             /* 0 -> \N */
void pd_copy_end_row(pd_copy *c);
/* Sends the rows and finishes. PD_OK or PD_EDB/PD_EDBDOWN. */
int pd_copy_finish(pd_copy *c, pd_errbuf *eb);

/* Writes "{" a "," b "}" style array literals for = ANY($1) parameters. */
typedef struct pd_strbuf {
	char *s;
	size_t len, cap;
} pd_strbuf;
void pd_sb_add(pd_strbuf *b, const char *s, size_t n);
void pd_sb_addf(pd_strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void pd_sb_free(pd_strbuf *b);
/* Appends s escaped for HTML/XML text and attribute values (& < > " '). */
void pd_sb_add_html(pd_strbuf *b, const char *s);
/* An integer column (e.g. unix ms from extract(epoch ...)::bigint); 0 for
 * NULL. */
int64_t pd_db_int64(const PGresult *r, int row, int col);

/* Appends s as one element of a PostgreSQL array literal (quoted, escaped). */
void pd_sb_array_elem(pd_strbuf *b, const char *s);
/* Columns of a bulk statement as array literals (unnest($1::text[], ...)):
 * open writes each "{", close each "}", free releases them. */
void pd_sb_arrays_open(pd_strbuf **cols, size_t n);
void pd_sb_arrays_close(pd_strbuf **cols, size_t n);
void pd_sb_arrays_free(pd_strbuf **cols, size_t n);

#endif
