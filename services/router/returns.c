/* The return workflow on the customer's progress page: each step of a
 * return (logistics.return_updated) appears on the ticket about that order
 * as a customer-visible step with the workflow's label (workflow.c), so the
 * customer sees approved -> parcel back -> inspected -> refunded -> closed
 * without asking. */
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "router.h"
#include "workflow.h"

int rt_apply_return(pd_txn *tx, const Peakdesk__V1__Envelope *env, pd_errbuf *eb)
{
	if (env->body_case != PEAKDESK__V1__ENVELOPE__BODY_RETURN_UPDATE)
		return PD_OK;
	const Peakdesk__V1__ReturnUpdate *u = env->return_update;
	int state = 0, actor = 0;
	if (rt_wf_from_return_state(u->state, 0, &state, &actor) != PD_OK)
		return PD_OK; /* a logistics state without a customer-facing step */
	const rt_wf_label *l = rt_wf_label_of(state);
	if (!l)
		return PD_OK;
	int err;
	/* The newest ticket that mentions the order. */
	PGresult *r = pd_txn_query(tx,
				   "SELECT t.ticket_id FROM router.ticket_refs r JOIN router.tickets t USING (ticket_id) "
				   "WHERE r.kind = 'order' AND r.value = $1 ORDER BY t.updated_at DESC LIMIT 1",
				   1, (const char *[]){u->order_id}, &err, eb);
	if (!r)
		return err;
	int rc = PD_OK;
	if (PQntuples(r) == 1) {
		char label[300], detail[200];
		snprintf(label, sizeof(label), "%s / %s", l->zh, l->en);
		snprintf(detail, sizeof(detail), "{\"returnId\":\"%.60s\",\"step\":\"%s\"}", u->return_id, rt_wf_state_name(state));
		rc = rt_timeline_add(tx, PQgetvalue(r, 0, 0), "return_step", rt_wf_actor_name(actor), 1, label, detail, eb);
		if (rc == PD_OK)
			rc = pd_txn_exec(tx, "UPDATE router.tickets SET updated_at = now() WHERE ticket_id = $1", 1,
					 (const char *[]){PQgetvalue(r, 0, 0)}, eb);
	}
	PQclear(r);
	return rc;
}
