/* Hand work from any thread to the libevent loop thread.
 *
 * Services run one libevent loop; HTTP requests, NNG receive fds and timers
 * all live on it and none of them is thread-safe. Work that finishes on
 * another thread (a database writer committing a batch, say) calls
 * pd_loop_call(fn, arg) and fn(arg) then runs on the loop thread, where it
 * may reply to a held pd_http_req.
 *
 * Start-up order matters:
 *     pd_loop_global_init();            // before ANY event_base_new()
 *     struct event_base *base = event_base_new();
 *     pd_loop_init(base);
 *     ... event_base_dispatch(base) ...
 *     pd_loop_shutdown();               // after the workers stopped
 *     event_base_free(base);
 * pd_loop_global_init turns on libevent's pthread locking; a base created
 * before it has no lock and no wake-up fd, and waking it from another thread
 * would be a data race that can leave the loop asleep. */
#ifndef PD_LOOP_H
#define PD_LOOP_H

struct event_base;

/* Enables libevent threading (evthread_use_pthreads). Idempotent; returns 0,
 * or PD_EIO if libevent refused. */
int pd_loop_global_init(void);

/* Attaches the call queue to base (the one loop of the process). Calls
 * pd_loop_global_init itself, which is harmless but too late for a base that
 * already exists: call that first. Re-initialising after pd_loop_shutdown is
 * allowed (tests create a base per test). Returns 0 or a pd_err. */
int pd_loop_init(struct event_base *base);

/* Thread-safe: queues fn(arg) to run on the loop thread, in call order, and
 * wakes the loop. Never blocks on the loop. Before pd_loop_init or after
 * pd_loop_shutdown the call is logged and dropped (fn does not run). */
void pd_loop_call(void (*fn)(void *), void *arg);

/* Detaches from the base and frees calls still queued without running them
 * (logged with their count). Call it on the loop thread or after the loop
 * stopped, once no other thread calls pd_loop_call any more. */
void pd_loop_shutdown(void);

#endif
