/* An HTTP request answered after a database commit: the handler fills a
 * pd_http_job, the bus writer runs apply() inside its group-committed
 * transaction, and the reply (set by apply, or a JSON error when the
 * transaction failed) is sent on the loop thread once the outcome is known.
 * So an HTTP 2xx always means "committed". */
#ifndef PD_HTTP_JOB_H
#define PD_HTTP_JOB_H

#include "bus.h"
#include "http.h"

struct json_object;

typedef struct pd_http_job pd_http_job;
struct pd_http_job {
	pd_job job;        /* internal */
	pd_http_req *req;  /* the request; freed by the reply */
	/* Writer thread, inside the transaction: do the work and set the reply
	 * with pd_http_job_reply_json(). May be re-run after a rollback. */
	int (*apply)(pd_txn *tx, pd_http_job *hj);
	/* Optional instead of apply: consecutive requests of the same kind in
	 * one call (see pd_job.apply_batch); each job's reply is set by it. */
	int (*apply_batch)(pd_txn *tx, pd_http_job **hjs, size_t n);
	/* Frees the caller's data (and hj itself, which the caller allocated). */
	void (*release)(pd_http_job *hj);
	/* The reply: set by apply (last call wins). */
	int status;
	struct json_object *body;
	char *text;        /* alternative to body: a raw text body */
	char content_type[64];
	char detail[PD_ERRMSG_MAX]; /* failure detail when the job failed */
};

/* Queues hj on the bus writer (call from the loop thread). */
void pd_http_job_submit(pd_bus *bus, pd_http_job *hj);

/* Sets the reply (takes body). */
void pd_http_job_reply_json(pd_http_job *hj, int status, struct json_object *body);
/* Sets a raw reply body (copied). */
void pd_http_job_reply_text(pd_http_job *hj, int status, const char *content_type, const char *text);

#endif
