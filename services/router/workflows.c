/* Cross-department workflows on tickets (I/O around workflow.c): the
 * return/refund state stored with the ticket, every transition on the
 * customer's timeline, and department tasks. A step owned by the warehouse
 * or finance opens a task for that group and the ticket waits on the
 * department (resolution clock paused); taking the step — a department
 * agent through the agent API, or the logistics service's facts — closes
 * the task and the ticket runs again. Steps the table forbids, or that
 * belong to someone else, are refused with the reason on the agents'
 * timeline and change nothing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "router.h"
#include "workflow.h"

#define KIND "return"

static const char *group_of(int actor)
{
	return actor == RT_WF_ACTOR_WAREHOUSE ? "warehouse" : actor == RT_WF_ACTOR_FINANCE ? "finance" : NULL;
}

/* The happy path's next step from `state` and the department that owns
 * it, if a department does. */
static int department_step(int state, const char **group)
{
	*group = NULL;
	for (int s = 1; s < RT_WF_STATE_COUNT; s++) {
		if (rt_wf_step(s) != rt_wf_step(state) + 1 || rt_wf_step(state) == 0)
			continue;
		unsigned mask = rt_wf_actors(state, s);
		for (int a = RT_WF_ACTOR_WAREHOUSE; a <= RT_WF_ACTOR_FINANCE; a++)
			if (mask & (1u << a)) {
				*group = group_of(a);
				return s;
			}
	}
	return 0;
}

int rt_workflow_state(pd_txn *tx, const char *ticket_id, int *state, pd_errbuf *eb)
{
	int err;
	PGresult *r = pd_txn_query(tx, "SELECT state FROM router.workflows WHERE ticket_id = $1 AND kind = '" KIND "' "
				       "FOR UPDATE",
				   1, (const char *[]){ticket_id}, &err, eb);
	if (!r)
		return err;
	*state = PQntuples(r) ? rt_wf_state_parse(PQgetvalue(r, 0, 0)) : RT_WF_NONE;
	PQclear(r);
	return PD_OK;
}

int rt_workflow_advance(pd_txn *tx, const char *ticket_id, int from, int to, int actor, const char *who,
			const char *reference, const char *note, pd_errbuf *eb)
{
	if (from == to)
		return PD_OK; /* a repeated report: nothing new to record */
	const char *to_name = rt_wf_state_name(to);
	int rc = pd_txn_exec(tx,
			     "INSERT INTO router.workflows (ticket_id, kind, reference, state) VALUES ($1, '" KIND "', $2, $3) "
			     "ON CONFLICT (ticket_id, kind) DO UPDATE SET state = excluded.state, updated_at = now(), "
			     "reference = CASE WHEN workflows.reference = '' THEN excluded.reference ELSE workflows.reference END",
			     3, (const char *[]){ticket_id, reference ? reference : "", to_name}, eb);
	/* whatever task waited for this workflow is done now */
	int err;
	PGresult *done = rc == PD_OK ? pd_txn_query(tx,
			"UPDATE router.workflow_tasks SET done_at = now(), done_by = $2 WHERE ticket_id = $1 "
			"AND kind = '" KIND "' AND done_at IS NULL RETURNING group_name",
			2, (const char *[]){ticket_id, who}, &err, eb) : NULL;
	if (rc == PD_OK && !done)
		rc = err;
	int had_task = done && PQntuples(done) > 0;
	PQclear(done);
	const rt_wf_label *l = rt_wf_label_of(to);
	char label[300], detail[300];
	snprintf(label, sizeof(label), "%s / %s", l ? l->zh : to_name, l ? l->en : to_name);
	snprintf(detail, sizeof(detail), "{\"workflow\":\"" KIND "\",\"from\":\"%s\",\"step\":\"%s\",\"by\":\"%s\"}",
		 rt_wf_state_name(from), to_name, rt_wf_actor_name(actor));
	if (rc == PD_OK)
		rc = rt_timeline_add(tx, ticket_id, "return_step", who, 1, label, detail, eb);
	if (rc == PD_OK && note && *note)
		rc = rt_timeline_add(tx, ticket_id, "note", who, 0, note, NULL, eb);
	const char *group;
	int next = department_step(to, &group);
	if (rc == PD_OK && next) {
		rc = pd_txn_exec(tx,
				 "INSERT INTO router.workflow_tasks (ticket_id, kind, step, group_name) "
				 "VALUES ($1, '" KIND "', $2, $3) ON CONFLICT DO NOTHING",
				 3, (const char *[]){ticket_id, rt_wf_state_name(next), group}, eb);
		char task[200];
		snprintf(task, sizeof(task), "任务：%s 待处理（%s）", group, rt_wf_state_name(next));
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
	pd_log_info("workflow step", "ticket=%s workflow=" KIND " from=%s to=%s by=%s", ticket_id, rt_wf_state_name(from),
		    to_name, who);
	return rc;
}

int rt_apply_workflow_step(pd_txn *tx, const char *ticket_id, const char *agent_id,
			   const Peakdesk__V1__AgentWorkflowStep *w, pd_errbuf *eb)
{
	int to = rt_wf_state_parse(w->step);
	int from;
	int rc = rt_workflow_state(tx, ticket_id, &from, eb);
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
	unsigned mask = to > 0 ? rt_wf_actors(from, to) : 0;
	int actor = in_wh && (mask & (1u << RT_WF_ACTOR_WAREHOUSE))	  ? RT_WF_ACTOR_WAREHOUSE
		    : in_fin && (mask & (1u << RT_WF_ACTOR_FINANCE)) ? RT_WF_ACTOR_FINANCE
								      : RT_WF_ACTOR_AGENT;
	char who[80];
	snprintf(who, sizeof(who), "agent:%.64s", agent_id);
	pd_errbuf why = {{0}};
	if (to <= 0 || rt_wf_transition(from, to, actor, &why) != PD_OK) {
		char label[400];
		snprintf(label, sizeof(label), "步骤被拒绝 / step refused: %.300s", to <= 0 ? "unknown step" : why.msg);
		pd_log_warn("workflow step refused", "ticket=%s agent=%s from=%s step=%s detail=\"%s\"", ticket_id, agent_id,
			    rt_wf_state_name(from), w->step, why.msg);
		return rt_timeline_add(tx, ticket_id, "workflow_refused", who, 0, label, NULL, eb);
	}
	return rt_workflow_advance(tx, ticket_id, from, to, actor, who, w->reference, w->note, eb);
}
