/* Cross-thread call queue for the libevent loop (see loop.h): a mutex-guarded
 * FIFO plus one user event that other threads activate to wake the loop. */
#include "loop.h"

#include "log.h"
#include "pd.h"

#include <event2/event.h>
#include <event2/thread.h>
#include <pthread.h>
#include <stdlib.h>

struct call {
	void (*fn)(void *);
	void *arg;
	struct call *next;
};

static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static int g_thread_rc;

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static struct event *g_wake; /* NULL when not initialised */
static struct call *g_head, *g_tail;

static void use_pthreads(void)
{
	g_thread_rc = evthread_use_pthreads();
}

int pd_loop_global_init(void)
{
	pthread_once(&g_once, use_pthreads);
	if (g_thread_rc != 0) {
		pd_log_error("evthread_use_pthreads failed", "rc=%d", g_thread_rc);
		return PD_EIO;
	}
	return PD_OK;
}

/* Runs on the loop thread. Takes the whole queue at once so the lock is not
 * held while callbacks run: a callback may itself call pd_loop_call (that
 * re-activates the event, which libevent removed from its active list before
 * calling us, so nothing is lost). */
static void drain(evutil_socket_t fd, short what, void *unused)
{
	(void)fd;
	(void)what;
	(void)unused;
	pthread_mutex_lock(&g_lock);
	struct call *c = g_head;
	g_head = g_tail = NULL;
	pthread_mutex_unlock(&g_lock);
	while (c) {
		struct call *next = c->next;
		c->fn(c->arg);
		free(c);
		c = next;
	}
}

int pd_loop_init(struct event_base *base)
{
	int rc = pd_loop_global_init();
	if (rc != PD_OK)
		return rc;
	if (!base)
		return PD_EINVAL;
	/* fd -1 and no flags: an event that only fires via event_active. */
	struct event *ev = event_new(base, -1, 0, drain, NULL);
	if (!ev) {
		pd_log_error("event_new failed", "what=%s", "loop wake event");
		return PD_ENOMEM;
	}
	pthread_mutex_lock(&g_lock);
	struct event *old = g_wake;
	g_wake = ev;
	int pending = g_head != NULL;
	pthread_mutex_unlock(&g_lock);
	if (old) {
		pd_log_warn("pd_loop_init called twice", "%s", "");
		event_free(old);
	}
	if (pending)
		event_active(ev, 0, 0);
	return PD_OK;
}

void pd_loop_call(void (*fn)(void *), void *arg)
{
	if (!fn)
		return;
	struct call *c = pd_xmalloc(sizeof(*c));
	c->fn = fn;
	c->arg = arg;
	c->next = NULL;
	pthread_mutex_lock(&g_lock);
	if (!g_wake) {
		pthread_mutex_unlock(&g_lock);
		free(c);
		pd_log_error("pd_loop_call without a loop; call dropped", "%s", "");
		return;
	}
	if (g_tail)
		g_tail->next = c;
	else
		g_head = c;
	g_tail = c;
	/* Activated under our lock so pd_loop_shutdown cannot free the event
	 * between the check above and this call. event_active is thread-safe
	 * once pthread locking is on and wakes the base out of epoll_wait. */
	event_active(g_wake, 0, 0);
	pthread_mutex_unlock(&g_lock);
}

void pd_loop_shutdown(void)
{
	pthread_mutex_lock(&g_lock);
	struct event *ev = g_wake;
	struct call *c = g_head;
	g_wake = NULL;
	g_head = g_tail = NULL;
	pthread_mutex_unlock(&g_lock);
	if (ev)
		event_free(ev);
	int dropped = 0;
	while (c) {
		struct call *next = c->next;
		free(c);
		c = next;
		dropped++;
	}
	if (dropped)
		pd_log_warn("loop shut down with queued calls; dropped", "calls=%d", dropped);
}
