/* Cross-department workflows on tickets (I/O around workflow.c): the
 * return/refund, exchange and reship state machines stored with the
 * ticket, every transition on the customer's timeline, and department
 * tasks. A step owned by the warehouse or finance opens a task for that
 * group and the ticket waits on the department (resolution clock paused);
 * taking the step — a department agent through the agent API, or the
 * logistics service's facts — closes the task and the ticket runs again.
 * Steps the table forbids, or that belong to someone else, are refused
 * with the reason on the agents' timeline and change nothing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "router.h"
#include "workflow.h"

static const char *group_of(int actor)
{
	return actor == RT_WF_ACTOR_WAREHOUSE ? "warehouse" : actor == RT_WF_ACTOR_FINANCE ? "finance" : NULL;
}

int rt_workflow_state(pd_txn *tx, const char *ticket_id, int kind, char state[RT_WF_NAME_MAX], pd_errbuf *eb)
{
	int err;
	PGresult *r = pd_txn_query(tx, "SELECT state FROM router.workflows WHERE ticket_id = $1 AND kind = $2 FOR UPDATE",
				   2, (const char *[]){ticket_id, rt_wf_kind_name(kind)}, &err, eb);
	if (!r)
		return err;
	snprintf(state, RT_WF_NAME_MAX, "%s", PQntuples(r) ? PQgetvalue(r, 0, 0) : "none");
	PQclear(r);
	return PD_OK;
}

int rt_workflow_advance(pd_txn *tx, const char *ticket_id, int kind, const char *from, const char *to, int actor,
			const char *who, const char *reference, const char *note, pd_errbuf *eb)
{
	if (!strcmp(from, to))
		return PD_OK; /* a repeated report: nothing new to record */
	const char *kname = rt_wf_kind_name(kind);
	/* a step that ships a parcel names its tracking number: the parcel
	 * whose delivery the logistics service will report */
	int ships = !strcmp(to, "reshipped") || !strcmp(to, "replacement_shipped");
	int rc = pd_txn_exec(tx,
			     "INSERT INTO router.workflows (ticket_id, kind, reference, state, parcel) "
			     "VALUES ($1, $2, CASE WHEN $5 THEN '' ELSE $3 END, $4, CASE WHEN $5 THEN $3 ELSE '' END) "
			     "ON CONFLICT (ticket_id, kind) DO UPDATE SET state = excluded.state, updated_at = now(), "
			     "reference = CASE WHEN workflows.reference = '' THEN excluded.reference ELSE workflows.reference END, "
			     "parcel = CASE WHEN excluded.parcel <> '' THEN excluded.parcel ELSE workflows.parcel END",
			     5, (const char *[]){ticket_id, kname, reference ? reference : "", to, ships ? "true" : "false"}, eb);
	/* whatever task waited for this workflow is done now */
	int err, had_task = 0;
	if (rc == PD_OK) {
		PGresult *done = pd_txn_query(tx,
				"UPDATE router.workflow_tasks SET done_at = now(), done_by = $3 WHERE ticket_id = $1 "
				"AND kind = $2 AND done_at IS NULL RETURNING group_name",
				3, (const char *[]){ticket_id, kname, who}, &err, eb);
		if (!done)
			rc = err;
		had_task = done && PQntuples(done) > 0;
		PQclear(done);
	}
	const rt_wf_label *l = rt_wfk_label(kind, to);
	char label[300], detail[300];
	snprintf(label, sizeof(label), "%s / %s", l ? l->zh : to, l ? l->en : to);
	snprintf(detail, sizeof(detail), "{\"workflow\":\"%s\",\"from\":\"%s\",\"step\":\"%s\",\"by\":\"%s\"}", kname, from,
		 to, rt_wf_actor_name(actor));
	if (rc == PD_OK)
		rc = rt_timeline_add(tx, ticket_id, "workflow_step", who, 1, label, detail, eb);
	if (rc == PD_OK && note && *note)
		rc = rt_timeline_add(tx, ticket_id, "note", who, 0, note, NULL, eb);
	int next_actor = 0;
	const char *next = rt_wfk_next(kind, to, &next_actor);
	const char *group = next ? group_of(next_actor) : NULL;
	if (rc == PD_OK && group) {
		rc = pd_txn_exec(tx,
				 "INSERT INTO router.workflow_tasks (ticket_id, kind, step, group_name) "
				 "VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
				 4, (const char *[]){ticket_id, kname, next, group}, eb);
		char task[200];
		snprintf(task, sizeof(task), "任务：%s 待处理（%s %s）", group, kname, next);
		if (rc == PD_OK)
			rc = rt_timeline_add(tx, ticket_id, "department_task", "router", 0, task, NULL, eb);
		/* the ticket waits on the department: resolution paused */
		if (rc == PD_OK)
			rc = pd_txn_exec(tx,
					 "UPDATE router.tickets SET status = 'pending_department', "
					 "sla_paused_since = coalesce(sla_paused_since, now()), updated_at = now() "
					 "WHERE ticket_id = $1 AND status IN ('open', 'pending_customer')",
					 1, (const char *[]){ticket_id}, eb);
	} else if (rc == PD_OK && had_task) {
		/* back from the department: the clock runs again */
		rc = pd_txn_exec(tx,
				 "UPDATE router.tickets SET status = 'open', resolution_due = CASE WHEN sla_paused_since IS NOT NULL "
				 "THEN resolution_due + (now() - sla_paused_since) ELSE resolution_due END, "
				 "sla_paused_since = NULL, updated_at = now() WHERE ticket_id = $1 AND status = 'pending_department'",
				 1, (const char *[]){ticket_id}, eb);
	}
	pd_log_info("workflow step", "ticket=%s workflow=%s from=%s to=%s by=%s", ticket_id, kname, from, to, who);
	return rc;
}

int rt_apply_workflow_step(pd_txn *tx, const char *ticket_id, const char *agent_id,
			   const Peakdesk__V1__AgentWorkflowStep *w, pd_errbuf *eb)
{
	int kind = rt_wf_kind_parse(w->workflow);
	char from[RT_WF_NAME_MAX] = "none";
	int rc = kind > 0 ? rt_workflow_state(tx, ticket_id, kind, from, eb) : PD_OK;
	if (rc != PD_OK)
		return rc;
	/* The agent acts for the department whose groups they belong to when
	 * that department owns the step; otherwise as customer service. */
	int err;
	PGresult *g = pd_txn_query(tx, "SELECT 'warehouse' = ANY(groups), 'finance' = ANY(groups) FROM router.agents "
				       "WHERE agent_id = $1",
				   1, (const char *[]){agent_id}, &err, eb);
	if (!g)
		return err;
	int in_wh = PQntuples(g) && PQgetvalue(g, 0, 0)[0] == 't';
	int in_fin = PQntuples(g) && PQgetvalue(g, 0, 1)[0] == 't';
	PQclear(g);
	unsigned mask = kind > 0 ? rt_wfk_actors(kind, from, w->step) : 0;
	int actor = in_wh && (mask & (1u << RT_WF_ACTOR_WAREHOUSE))	  ? RT_WF_ACTOR_WAREHOUSE
		    : in_fin && (mask & (1u << RT_WF_ACTOR_FINANCE)) ? RT_WF_ACTOR_FINANCE
								      : RT_WF_ACTOR_AGENT;
	char who[80];
	snprintf(who, sizeof(who), "agent:%.64s", agent_id);
	pd_errbuf why = {{0}};
	if (kind <= 0 || rt_wfk_transition(kind, from, w->step, actor, &why) != PD_OK) {
		char label[400];
		snprintf(label, sizeof(label), "步骤被拒绝 / step refused: %.300s",
			 kind <= 0 ? "unknown workflow" : why.msg);
		pd_log_warn("workflow step refused", "ticket=%s agent=%s workflow=%s from=%s step=%s detail=\"%s\"", ticket_id,
			    agent_id, w->workflow, from, w->step, why.msg);
		return rt_timeline_add(tx, ticket_id, "workflow_refused", who, 0, label, NULL, eb);
	}
	/* stored and shown by its canonical (lowercase) name */
	const char *to = NULL;
	for (int i = 0; (to = rt_wfk_state_at(kind, i)) && strcasecmp(to, w->step); i++)
		;
	return rt_workflow_advance(tx, ticket_id, kind, from, to ? to : w->step, actor, who, w->reference, w->note,
				   eb);
}

int rt_apply_parcel_delivered(pd_txn *tx, const Peakdesk__V1__Envelope *env, pd_errbuf *eb)
{
	if (env->body_case != PEAKDESK__V1__ENVELOPE__BODY_SHIPMENT_UPDATED ||
	    env->shipment_updated->state != PEAKDESK__V1__SHIPMENT_STATE__SHIPMENT_STATE_DELIVERED ||
	    !*env->shipment_updated->tracking_no)
		return PD_OK;
	int err;
	/* most deliveries are nobody's workflow: one indexed lookup */
	PGresult *r = pd_txn_query(tx,
			"SELECT ticket_id, kind, state FROM router.workflows WHERE parcel = $1 AND kind = 'reship' "
			"AND state = 'reshipped' FOR UPDATE",
			1, (const char *[]){env->shipment_updated->tracking_no}, &err, eb);
	if (!r)
		return err;
	int rc = PD_OK;
	for (int i = 0; i < PQntuples(r) && rc == PD_OK; i++)
		rc = rt_workflow_advance(tx, PQgetvalue(r, i, 0), RT_WF_RESHIP, PQgetvalue(r, i, 2), "delivered",
					 RT_WF_ACTOR_SYSTEM, "department:logistics", NULL, NULL, eb);
	PQclear(r);
	return rc;
}
