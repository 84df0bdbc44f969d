/* POST /v1/carriers/kuaidi100: the Kuaidi100 subscription push. The sign is
 * checked before anything is parsed; the scans are stored (each once) and
 * the shipment moved in one writer job; the documented success body is sent
 * only after COMMIT, so Kuaidi100 re-pushes whatever we did not keep. */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "kuaidi100.h"
#include "log.h"
#include "logistics.h"
#include "loop.h"
#include "shipment_state.h"

struct carrier_route {
	pd_bus *bus;
	const lg_context *ctx;
	char *salt;
};

struct push_job {
	pd_job job;
	const lg_context *ctx;
	lg_kd100_push push;
	pd_http_req *req;
	int err;
	char detail[PD_ERRMSG_MAX];
};

static int push_apply(pd_txn *tx, pd_job *job)
{
	struct push_job *j = (struct push_job *)job;
	const lg_kd100_push *p = &j->push;
	lg_scan *scans = pd_xcalloc(p->n_scans ? p->n_scans : 1, sizeof(*scans));
	for (size_t i = 0; i < p->n_scans; i++) {
		scans[i].scanned_at_ms = p->scans[i].scanned_at_ms;
		scans[i].description = p->scans[i].context;
		scans[i].area_code = p->scans[i].area_code;
		scans[i].area_name = p->scans[i].area_name;
		scans[i].status_text = p->scans[i].status;
	}
	int state = p->state >= 0 ? lg_kd100_state_to_shipment(p->state) : 0;
	pd_errbuf eb = {{0}};
	int rc = lg_apply_scans(tx, j->ctx, p->com[0] ? p->com : "unknown", p->nu, scans, p->n_scans, state,
				"kuaidi100", &eb);
	free(scans);
	if (rc != PD_OK)
		snprintf(j->detail, sizeof(j->detail), "%s", eb.msg);
	return rc;
}

static void reply_on_loop(void *arg)
{
	struct push_job *j = arg;
	if (j->err == PD_OK) {
		pd_http_reply(j->req, 200, "application/json;charset=utf-8", LG_KD100_REPLY_OK,
			      strlen(LG_KD100_REPLY_OK));
	} else {
		/* Not stored: answer failure so Kuaidi100 pushes again later. */
		pd_http_error(j->req, j->err == PD_EDBDOWN ? 503 : 500,
			      j->err == PD_EDBDOWN ? "database_unavailable" : "internal", j->detail);
	}
	lg_kd100_push_free(&j->push);
	free(j);
}

static void push_done(pd_job *job, int err, const pd_errbuf *eb)
{
	struct push_job *j = (struct push_job *)job;
	j->err = err;
	if (err != PD_OK && eb)
		snprintf(j->detail, sizeof(j->detail), "%s", eb->msg);
	pd_loop_call(reply_on_loop, j);
}

static void handle_push(pd_http_req *req, void *arg)
{
	struct carrier_route *cr = arg;
	size_t len;
	const char *body = pd_http_body(req, &len);
	struct push_job *j = pd_xcalloc(1, sizeof(*j));
	pd_errbuf eb = {{0}};
	int rc = lg_kd100_parse_body(body, len, cr->salt, &j->push, &eb);
	if (rc != PD_OK) {
		free(j);
		int status = rc == PD_ESIG ? 403 : rc == PD_ETOOBIG ? 413 : rc == PD_EDECODE ? 400 : 422;
		const char *err = rc == PD_ESIG ? "bad_signature" : rc == PD_ETOOBIG ? "too_large"
						: rc == PD_EDECODE ? "malformed" : "invalid_field";
		pd_log_warn("kuaidi100 push refused", "peer=%s status=%d detail=\"%s\"", pd_http_peer(req), status,
			    eb.msg);
		pd_http_error(req, status, err, eb.msg);
		return;
	}
	j->job.apply = push_apply;
	j->job.done = push_done;
	j->ctx = cr->ctx;
	j->req = req;
	pd_bus_submit(cr->bus, &j->job);
}

int lg_carrier_http_route(pd_http *http, pd_bus *bus, const lg_context *ctx, const char *salt)
{
	/* Lives as long as the process; freed by exit. */
	static struct carrier_route cr;
	cr.bus = bus;
	cr.ctx = ctx;
	free(cr.salt);
	cr.salt = pd_xstrdup(salt);
	return pd_http_route(http, "POST", "/v1/carriers/kuaidi100", handle_push, &cr);
}
