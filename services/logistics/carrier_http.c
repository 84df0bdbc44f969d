/* POST /v1/carriers/kuaidi100: the Kuaidi100 subscription push. The sign is
 * checked before anything is parsed; the scans are stored (each once) and
 * the shipment moved in one writer job; the documented success body is sent
 * only after COMMIT, so Kuaidi100 re-pushes whatever we did not keep. */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "http_job.h"
#include "kuaidi100.h"
#include "log.h"
#include "logistics.h"
#include "shipment_state.h"

struct carrier_route {
	pd_bus *bus;
	const lg_context *ctx;
	char *salt;
};

struct push_job {
	pd_http_job hj;
	const lg_context *ctx;
	lg_kd100_push push;
};

static int push_apply(pd_txn *tx, pd_http_job *hj)
{
	struct push_job *j = (struct push_job *)hj;
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
	if (rc == PD_OK)
		pd_http_job_reply_text(hj, 200, "application/json;charset=utf-8", LG_KD100_REPLY_OK);
	else
		snprintf(hj->detail, sizeof(hj->detail), "%s", eb.msg);
	/* On failure nothing is stored and the JSON error (5xx) makes
	 * Kuaidi100 push again later. */
	return rc;
}

static void push_release(pd_http_job *hj)
{
	struct push_job *j = (struct push_job *)hj;
	lg_kd100_push_free(&j->push);
	free(j);
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
	j->hj.req = req;
	j->hj.apply = push_apply;
	j->hj.release = push_release;
	j->ctx = cr->ctx;
	pd_http_job_submit(cr->bus, &j->hj);
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
