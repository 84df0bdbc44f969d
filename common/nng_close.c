/* See nng_close.h. */
#include "nng_close.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "log.h"
#include "pd.h"

struct closer {
	nng_socket s;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int done, abandoned;
};

static void closer_free(struct closer *c)
{
	pthread_mutex_destroy(&c->mu);
	pthread_cond_destroy(&c->cv);
	free(c);
}

static void *close_main(void *arg)
{
	struct closer *c = arg;
	nng_close(c->s);
	pthread_mutex_lock(&c->mu);
	c->done = 1;
	int abandoned = c->abandoned;
	pthread_cond_signal(&c->cv);
	pthread_mutex_unlock(&c->mu);
	if (abandoned) /* the waiter gave up: the last one out frees */
		closer_free(c);
	return NULL;
}

int pd_nng_close_bounded(nng_socket s, int wait_ms, const char *what)
{
	struct closer *c = pd_xcalloc(1, sizeof(*c));
	c->s = s;
	pthread_mutex_init(&c->mu, NULL);
	pthread_cond_init(&c->cv, NULL);
	pthread_t t;
	if (pthread_create(&t, NULL, close_main, c) != 0) {
		closer_free(c);
		nng_close(s);
		return 0;
	}
	pthread_detach(t);
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += wait_ms / 1000;
	until.tv_nsec += (long)(wait_ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&c->mu);
	int rc = 0;
	while (!c->done && rc != ETIMEDOUT)
		rc = pthread_cond_timedwait(&c->cv, &c->mu, &until);
	int done = c->done;
	if (!done)
		c->abandoned = 1;
	pthread_mutex_unlock(&c->mu);
	if (done) {
		closer_free(c);
		return 0;
	}
	pd_log_warn("NNG socket close did not finish; going on without it", "socket=%s wait_ms=%d", what, wait_ms);
	return -1;
}
