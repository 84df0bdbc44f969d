/* The lossless bus (DESIGN.md "The bus"): PostgreSQL is the source of truth,
 * NNG pub/sub the fast path.
 *
 * A pd_bus owns one instance's single ordered writer: a thread with the one
 * database connection that runs submitted jobs in group-committed batches.
 * Jobs write their state changes and emit events into bus.outbox inside the
 * same transaction; after COMMIT the events go out on the PUB socket, and a
 * heartbeat carrying the last committed seq follows every second. The
 * instance's publisher name is held with a PostgreSQL advisory lock, so a
 * second copy with the same name refuses to start, and its seq continues from
 * max(seq) in the outbox: gap-free and in commit order by construction. */
#ifndef PD_BUS_H
#define PD_BUS_H

#include <stddef.h>
#include <stdint.h>

#include "bus.pb-c.h"
#include "db.h"
#include "pd.h"

typedef struct pd_bus pd_bus;
typedef struct pd_txn pd_txn;
typedef struct pd_job pd_job;

/* A unit of work for the writer. Embed it in your own struct. */
struct pd_job {
	/* Runs on the writer thread inside an open transaction. May be run again
	 * (after a rollback) so it must reset its own outputs first. Returns
	 * PD_OK, PD_EDBDOWN (connection lost: the whole batch fails), or another
	 * error (the batch is rolled back and each job re-run alone with
	 * pd_txn_careful() = 1; a job failing alone gets done(err)). */
	int (*apply)(pd_txn *tx, pd_job *job);
	/* Runs on the writer thread after COMMIT (err = PD_OK) or when the job
	 * finally failed. eb explains the failure. Must not block. */
	void (*done)(pd_job *job, int err, const pd_errbuf *eb);
	/* Optional: applies a run of consecutive queued jobs that share this
	 * function in one call (one multi-row statement instead of one round
	 * trip per job). When set it is used instead of apply; a job re-run
	 * alone after a failed batch comes with n = 1. Same rules as apply. */
	int (*apply_batch)(pd_txn *tx, pd_job **jobs, size_t n);
	pd_job *next; /* owned by the bus while queued */
};

typedef struct pd_bus_options {
	const char *service;   /* "logistics" */
	const char *instance;  /* publisher name; NULL: this process never emits */
	const char *conninfo;
	const char *role;      /* SET ROLE target; NULL for none */
	const char *pub_addr;  /* NNG PUB listen address; NULL/"" for none */
	int max_batch_jobs;    /* jobs per transaction; default 512 */
	int heartbeat_ms;      /* default 1000 */
	int retention_hours;   /* outbox rows kept at least this long; default 168 */
	volatile int *stop;    /* start-up waits for the database until *stop */
	int connect_wait_ms;   /* give up start-up after this long without a database; 0 = wait forever */
	int lock_wait_ms;      /* wait this long for a publisher name held by another process
				* (short-lived publishers taking turns); 0 = refuse at once */
	int defer_writes;      /* pd_txn_exec sends without waiting for the answer (pd_db_defer);
				* a failure surfaces at the job's next query or at COMMIT and
				* fails the batch, whose careful re-run waits for each answer */
} pd_bus_options;

/* Connects (waiting for the database), takes the publisher lock, resumes the
 * seq, binds PUB and starts the writer. PD_ELOCKED when another instance
 * holds the name; PD_EDBDOWN when stopped while waiting. */
int pd_bus_open(pd_bus **out, const pd_bus_options *opts, pd_errbuf *eb);

/* Queues a job (any thread). Its done() is always called exactly once. */
void pd_bus_submit(pd_bus *bus, pd_job *job);

/* A timer's job that runs at most once at a time: a tick while the
 * previous run is still queued or running adds nothing, so a slow sweep is
 * never stacked up behind itself. Give it static storage; fn runs in the
 * writer's transaction with the arg of the tick that queued it, and a
 * failure is logged as "<what> failed; the next tick retries". */
typedef struct pd_tick_job {
	pd_job job;       /* internal */
	int busy;         /* internal (atomic) */
	const char *what; /* e.g. "delay sweep" */
	int (*fn)(pd_txn *tx, const void *arg, pd_errbuf *eb);
	const void *arg;  /* internal: set by pd_tick_submit */
} pd_tick_job;
void pd_tick_submit(pd_bus *bus, pd_tick_job *t, const void *arg);

/* Runs every queued job, stops the writer, closes sockets and frees. */
void pd_bus_close(pd_bus *bus);

/* 1 when the writer's database connection is up. */
int pd_bus_healthy(pd_bus *bus, char *detail, size_t len);
uint64_t pd_bus_last_seq(pd_bus *bus);
const char *pd_bus_instance(const pd_bus *bus);
/* 1 when the writer gave up for good (publisher lock lost to another copy). */
int pd_bus_fatal(const pd_bus *bus);

/* ---- inside a job ---------------------------------------------------------- */
pd_db *pd_txn_db(pd_txn *tx);
/* 1 when this job runs alone after a failed batch: wrap each independent
 * unit in a SAVEPOINT so one bad unit does not sink the others. */
int pd_txn_careful(const pd_txn *tx);
/* Adds env to bus.outbox in this transaction. Fills publisher, seq and
 * produced_at_ms (and event_id when empty); topic and body must be set.
 * The envelope is packed at once and not kept. */
int pd_txn_emit(pd_txn *tx, Peakdesk__V1__Envelope *env, pd_errbuf *eb);
/* Runs fn just before COMMIT (after the outbox rows are written); an error
 * rolls the batch back. At most 4 hooks per transaction. */
int pd_txn_before_commit(pd_txn *tx, int (*fn)(pd_txn *tx, void *arg), void *arg);
/* Runs sql (always a string literal: its address names the prepared
 * statement, so each distinct query is parsed and planned once per
 * connection) with text parameters in the open transaction. Returns the
 * result (caller PQclear()s) or NULL with *err and eb set. */
PGresult *pd_txn_query(pd_txn *tx, const char *sql, int n, const char *const *vals, int *err, pd_errbuf *eb);
/* Same, for statements whose result is not needed. PD_OK or the error;
 * with pd_bus_options.defer_writes, outside careful mode and savepoints,
 * PD_OK means "sent": a failure fails a later call of the batch. */
int pd_txn_exec(pd_txn *tx, const char *sql, int n, const char *const *vals, pd_errbuf *eb);
/* Keeps this job's next pd_txn_exec writes back (copied, in order) until
 * pd_txn_exec_then_held runs its own write and then them: a row the held
 * writes refer to can so be inserted once, in its final state, after
 * decisions that took reads. Reads still go out at once, so read nothing a
 * held write would change. A failed unit or batch drops what was held. */
void pd_txn_hold_writes(pd_txn *tx);
int pd_txn_exec_then_held(pd_txn *tx, const char *sql, int n, const char *const *vals, pd_errbuf *eb);
/* Counts the writer's transactions: what a job caches for the length of
 * one transaction compares it. */
uint64_t pd_txn_serial(const pd_txn *tx);
/* Savepoint helpers for careful mode. */
int pd_txn_savepoint(pd_txn *tx, pd_errbuf *eb);
int pd_txn_release(pd_txn *tx, pd_errbuf *eb);
int pd_txn_rollback_to(pd_txn *tx, pd_errbuf *eb);

/* Frames an event for PUB: topic bytes, 0x00, the packed Envelope. */
int pd_bus_frame(const char *topic, const uint8_t *payload, size_t len,
		 uint8_t **out, size_t *outlen);

#endif
