/* HTTP requests answered after commit (see http_job.h). */
#include "http_job.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loop.h"

static void clear_reply(pd_http_job *hj)
{
	if (hj->body)
		json_object_put(hj->body);
	free(hj->text);
	hj->body = NULL;
	hj->text = NULL;
}

void pd_http_job_reply_json(pd_http_job *hj, int status, json_object *body)
{
	clear_reply(hj);
	hj->status = status;
	hj->body = body;
}

void pd_http_job_reply_text(pd_http_job *hj, int status, const char *content_type, const char *text)
{
	clear_reply(hj);
	hj->status = status;
	hj->text = pd_xstrdup(text);
	snprintf(hj->content_type, sizeof(hj->content_type), "%s", content_type);
}

static int run(pd_txn *tx, pd_job *job)
{
	pd_http_job *hj = (pd_http_job *)job;
	clear_reply(hj); /* a re-run starts over */
	return hj->apply(tx, hj);
}

/* Every batching HTTP job shares this trampoline, so the bus hands over
 * runs that may mix request kinds: split them by the caller's function. */
static int run_batch(pd_txn *tx, pd_job **jobs, size_t n)
{
	pd_http_job **hjs = (pd_http_job **)jobs; /* pd_job is the first member */
	for (size_t i = 0; i < n; i++)
		clear_reply(hjs[i]);
	size_t start = 0;
	while (start < n) {
		size_t end = start + 1;
		while (end < n && hjs[end]->apply_batch == hjs[start]->apply_batch)
			end++;
		int rc = hjs[start]->apply_batch(tx, hjs + start, end - start);
		if (rc != PD_OK)
			return rc;
		start = end;
	}
	return PD_OK;
}

static void send_on_loop(void *arg)
{
	pd_http_job *hj = arg;
	if (hj->text)
		pd_http_reply(hj->req, hj->status, hj->content_type, hj->text, strlen(hj->text));
	else if (hj->body) {
		pd_http_reply_json(hj->req, hj->status, hj->body);
		hj->body = NULL;
	} else if (hj->status >= 400)
		pd_http_error(hj->req, hj->status, hj->status == 503 ? "database_unavailable" : "internal",
			      hj->detail);
	else
		pd_http_reply(hj->req, hj->status ? hj->status : 204, NULL, "", 0);
	clear_reply(hj);
	hj->release(hj);
}

static void done(pd_job *job, int err, const pd_errbuf *eb)
{
	pd_http_job *hj = (pd_http_job *)job;
	if (err != PD_OK) {
		/* Nothing was committed: whatever apply prepared must not go out. */
		clear_reply(hj);
		hj->status = err == PD_EDBDOWN ? 503 : 500;
		snprintf(hj->detail, sizeof(hj->detail), "%s", eb && eb->msg[0] ? eb->msg : pd_strerror(err));
	}
	pd_loop_call(send_on_loop, hj);
}

void pd_http_job_submit(pd_bus *bus, pd_http_job *hj)
{
	hj->job.apply = run;
	hj->job.done = done;
	/* Batching groups consecutive jobs with the same apply_batch; keying it
	 * on the caller's function keeps different request kinds apart. */
	hj->job.apply_batch = NULL;
	if (hj->apply_batch)
		hj->job.apply_batch = run_batch;
	pd_bus_submit(bus, &hj->job);
}
