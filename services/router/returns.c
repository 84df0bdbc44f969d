/* The return workflow from the logistics service's facts: each step of a
 * return (logistics.return_updated) advances the workflow of the ticket
 * about that order (workflows.c) and appears on the customer's page with
 * the workflow's label, so the customer sees approved -> parcel back ->
 * inspected -> refunded -> closed without asking. */
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
		const char *tid = PQgetvalue(r, 0, 0);
		/* the parcel coming back belongs to the ticket's exchange when it
		 * has one and no return */
		char ret[RT_WF_NAME_MAX], exch[RT_WF_NAME_MAX];
		rc = rt_workflow_state(tx, tid, RT_WF_RETURN, ret, eb);
		if (rc == PD_OK)
			rc = rt_workflow_state(tx, tid, RT_WF_EXCHANGE, exch, eb);
		int kind = !strcmp(ret, "none") && strcmp(exch, "none") ? RT_WF_EXCHANGE : RT_WF_RETURN;
		const char *from = kind == RT_WF_EXCHANGE ? exch : ret;
		int state = 0, actor = 0;
		if (rc == PD_OK &&
		    rt_wf_from_return_state(u->state, rt_wf_state_parse(from) > 0 ? rt_wf_state_parse(from) : 0, &state,
					    &actor) == PD_OK) {
			const char *to = rt_wf_state_name(state);
			/* The logistics service owns returns: its facts are what
			 * happened, so a step the table would not expect is still
			 * recorded and the stored state follows it. Facts the
			 * exchange has no step for (refunded) are left to it. */
			pd_errbuf why = {{0}};
			if (strcmp(from, to) && rt_wfk_transition(kind, from, to, actor, &why) != PD_OK)
				pd_log_warn("return step out of the usual order", "ticket=%s return=%s detail=\"%s\"", tid,
					    u->return_id, why.msg);
			char who[80];
			snprintf(who, sizeof(who), "department:%s", rt_wf_actor_name(actor));
			if (rt_wfk_state_valid(kind, to))
				rc = rt_workflow_advance(tx, tid, kind, from, to, actor, who, u->return_id, NULL, eb);
		}
	}
	PQclear(r);
	return rc;
}
