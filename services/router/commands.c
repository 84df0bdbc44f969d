/* Agents' commands (agent.command from the gateway's agent API) applied to
 * tickets: a reply goes to the customer as message.outbound and stops the
 * first-response clock; a note stays internal; a transfer moves the ticket
 * to a group or department queue; resolve closes it (ticket.resolved);
 * presence updates the agent. Each command applies once (its id). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ids.h"
#include "log.h"
#include "router.h"
#include "topics.h"

static int emit_ticket_event(pd_txn *tx, const char *topic, int kind, PGresult *t, const char *agent,
			     const char *code, pd_errbuf *eb)
{
	Peakdesk__V1__TicketEvent te = PEAKDESK__V1__TICKET_EVENT__INIT;
	te.kind = kind;
	te.ticket_id = PQgetvalue(t, 0, 0);
	te.public_id = PQgetvalue(t, 0, 1);
	te.customer_id = PQgetvalue(t, 0, 2);
	te.channel = pd_channel_parse(PQgetvalue(t, 0, 3));
	te.account = PQgetvalue(t, 0, 4);
	te.category = PQgetvalue(t, 0, 7);
	te.priority = atoi(PQgetvalue(t, 0, 8));
	te.agent_id = (char *)agent;
	te.resolution_code = (char *)code;
	return rt_emit_ticket_event(tx, topic, &te, eb);
}

/* An agent's commitment ("I will call you back by 15:00"): a timed
 * follow-up the SLA timer reminds its owner of before it is due. */
static int add_follow_up(pd_txn *tx, const Peakdesk__V1__AgentCommand *c, const char *tid, const char *actor,
			 pd_errbuf *eb)
{
	const Peakdesk__V1__AgentReply *rep = c->reply;
	char due[24];
	snprintf(due, sizeof(due), "%lld", (long long)rep->follow_up_at_ms);
	int rc = pd_txn_exec(tx,
			     "INSERT INTO router.follow_ups (command_id, ticket_id, agent_id, due_at, note) "
			     "VALUES ($1, $2, $3, to_timestamp($4::bigint / 1000.0), $5) ON CONFLICT DO NOTHING",
			     5, (const char *[]){c->command_id, tid, c->agent_id, due, rep->follow_up_note}, eb);
	if (rc != PD_OK)
		return rc;
	char when[32], label[700];
	time_t t = (time_t)(rep->follow_up_at_ms / 1000) + 8 * 3600; /* China time */
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%m-%d %H:%M", &tm);
	snprintf(label, sizeof(label), "承诺：%s 前跟进（%.500s）", when,
		 *rep->follow_up_note ? rep->follow_up_note : "回复客户");
	return rt_timeline_add(tx, tid, "follow_up", actor, 0, label, NULL, eb);
}

static int on_command(pd_txn *tx, const Peakdesk__V1__AgentCommand *c, pd_errbuf *eb)
{
	int err;
	PGresult *r = pd_txn_query(tx, "INSERT INTO router.applied_commands(command_id) VALUES ($1) ON CONFLICT DO NOTHING RETURNING 1",
			1, (const char *[]){c->command_id}, &err, eb);
	if (!r)
		return err;
	int fresh = PQntuples(r) == 1;
	PQclear(r);
	if (!fresh)
		return PD_OK;
	char actor[100];
	snprintf(actor, sizeof(actor), "agent:%.80s", c->agent_id);
	if (c->action_case == PEAKDESK__V1__AGENT_COMMAND__ACTION_PRESENCE) {
		const char *p = c->presence->presence == PEAKDESK__V1__PRESENCE__PRESENCE_ONLINE ? "online"
				: c->presence->presence == PEAKDESK__V1__PRESENCE__PRESENCE_AWAY ? "away" : "offline";
		int rc = pd_txn_exec(tx, "UPDATE router.agents SET presence = $2, idle_since = CASE WHEN $2 = 'online' THEN now() "
				    "ELSE idle_since END WHERE agent_id = $1",
				2, (const char *[]){c->agent_id, p}, eb);
		/* An agent coming online takes waiting tickets at once. */
		if (rc == PD_OK && strcmp(p, "online") == 0)
			rc = rt_assign_waiting(tx, "", eb);
		return rc;
	}
	PGresult *t = pd_txn_query(tx,
			"SELECT ticket_id, public_id, customer_id, channel, account, external_user_id, subject, category, "
			"priority::text, (SELECT m.message_id::text FROM router.ticket_messages m WHERE m.ticket_id = t.ticket_id "
			" AND m.direction = 'in' ORDER BY at DESC LIMIT 1) FROM router.tickets t WHERE public_id = $1 FOR UPDATE",
			1, (const char *[]){c->ticket_public_id}, &err, eb);
	if (!t)
		return err;
	if (PQntuples(t) != 1) {
		PQclear(t);
		pd_log_warn("agent command for an unknown ticket ignored", "command_id=%s ticket=%s", c->command_id,
			    c->ticket_public_id);
		return PD_OK;
	}
	const char *tid = PQgetvalue(t, 0, 0);
	int rc = PD_OK;
	switch (c->action_case) {
	case PEAKDESK__V1__AGENT_COMMAND__ACTION_REPLY: {
		const Peakdesk__V1__AgentReply *rep = c->reply;
		if (rep->internal_note) {
			rc = rt_timeline_add(tx, tid, "note", actor, 0, rep->text, NULL, eb);
			break;
		}
		char mid[PD_UUID_TEXT];
		pd_uuid_new_text(mid);
		rc = pd_txn_exec(tx,
			    "INSERT INTO router.ticket_messages(message_id, ticket_id, direction, text, at) VALUES ($1, $2, 'out', $3, now())",
			    3, (const char *[]){mid, tid, rep->text}, eb);
		if (rc == PD_OK)
			rc = pd_txn_exec(tx,
				    "UPDATE router.tickets SET first_response_at = coalesce(first_response_at, now()), "
				    "status = 'pending_customer', agent_id = CASE WHEN agent_id = '' THEN $2 ELSE agent_id END, "
				    /* answered: the next-response clock stops, resolution waits on the customer */
				    "next_response_due = NULL, sla_paused_since = coalesce(sla_paused_since, now()), "
				    "updated_at = now() WHERE ticket_id = $1",
				    2, (const char *[]){tid, c->agent_id}, eb);
		if (rc == PD_OK)
			rc = rt_timeline_add(tx, tid, "agent_reply", actor, 1, "客服已回复 / An agent replied", NULL, eb);
		/* Writing to the customer again keeps the earlier promise; this
		 * reply may make a new one. */
		if (rc == PD_OK)
			rc = pd_txn_exec(tx, "UPDATE router.follow_ups SET done_at = now() WHERE ticket_id = $1 "
					     "AND done_at IS NULL",
					 1, (const char *[]){tid}, eb);
		if (rc == PD_OK && rep->follow_up_at_ms > 0)
			rc = add_follow_up(tx, c, tid, actor, eb);
		if (rc != PD_OK)
			break;
		/* The gateway's message id of the customer's last message threads an
		 * e-mail reply; the gateway maps it to the Message-ID. A ticket the
		 * customer never wrote on (a service recovery) has none. */
		PGresult *ext = pd_txn_query(tx, "SELECT external_message_id FROM gateway.inbound_messages "
				  "WHERE message_id = nullif($1, '')::uuid",
				  1, (const char *[]){PQgetvalue(t, 0, 9)}, &err, eb);
		if (!ext) {
			rc = err;
			break;
		}
		Peakdesk__V1__OutboundMessage out = PEAKDESK__V1__OUTBOUND_MESSAGE__INIT;
		out.outbound_id = c->command_id;
		out.channel = pd_channel_parse(PQgetvalue(t, 0, 3));
		out.account = PQgetvalue(t, 0, 4);
		out.external_user_id = PQgetvalue(t, 0, 5);
		out.text = rep->text;
		out.ticket_public_id = PQgetvalue(t, 0, 1);
		out.subject = PQgetvalue(t, 0, 6);
		out.reply_to_external_message_id = PQntuples(ext) ? PQgetvalue(ext, 0, 0) : "";
		out.reason = PEAKDESK__V1__OUTBOUND_REASON__OUTBOUND_REASON_AGENT_REPLY;
		rc = pd_emit_outbound(tx, &out, eb);
		PQclear(ext);
		break;
	}
	case PEAKDESK__V1__AGENT_COMMAND__ACTION_TRANSFER: {
		const Peakdesk__V1__AgentTransfer *tr = c->transfer;
		const char *to = *tr->department ? tr->department : tr->group;
		rc = pd_txn_exec(tx,
			    "UPDATE router.tickets SET group_name = $2, agent_id = '', updated_at = now(), "
			    /* with a department the resolution clock pauses; back to a team it runs */
			    "resolution_due = CASE WHEN NOT $3 AND sla_paused_since IS NOT NULL "
			    "  THEN resolution_due + (now() - sla_paused_since) ELSE resolution_due END, "
			    "sla_paused_since = CASE WHEN $3 THEN coalesce(sla_paused_since, now()) ELSE NULL END, "
			    "status = CASE WHEN $3 THEN 'pending_department' ELSE 'open' END WHERE ticket_id = $1",
			    3, (const char *[]){tid, to, *tr->department ? "true" : "false"}, eb);
		char label[200];
		snprintf(label, sizeof(label), "已转交%s处理 / Passed to our %.60s team", *tr->department ? "相关部门" : "专员",
			 to);
		if (rc == PD_OK)
			rc = rt_timeline_add(tx, tid, "transferred", actor, 1, label, NULL, eb);
		if (rc == PD_OK)
			rc = rt_assign_waiting(tx, to, eb);
		break;
	}
	case PEAKDESK__V1__AGENT_COMMAND__ACTION_RESOLVE:
		rc = pd_txn_exec(tx, "UPDATE router.follow_ups SET done_at = now() WHERE ticket_id = $1 AND done_at IS NULL",
				 1, (const char *[]){tid}, eb);
		if (rc == PD_OK)
			rc = pd_txn_exec(tx, "UPDATE router.tickets SET status = 'resolved', resolved_at = now(), updated_at = now(), "
			    "next_response_due = NULL, sla_paused_since = NULL WHERE ticket_id = $1",
			    1, (const char *[]){tid}, eb);
		if (rc == PD_OK)
			rc = rt_timeline_add(tx, tid, "resolved", actor, 1, "问题已解决 / Resolved", NULL, eb);
		if (rc == PD_OK)
			rc = emit_ticket_event(tx, "ticket.resolved", PEAKDESK__V1__TICKET_EVENT_KIND__TICKET_EVENT_KIND_RESOLVED, t,
					       c->agent_id, c->resolve->resolution_code, eb);
		/* The agent has room again: the next waiting ticket moves up. */
		if (rc == PD_OK)
			rc = rt_assign_waiting(tx, "", eb);
		break;
	case PEAKDESK__V1__AGENT_COMMAND__ACTION_WORKFLOW_STEP:
		rc = rt_apply_workflow_step(tx, tid, c->agent_id, c->workflow_step, eb);
		break;
	default:
		break;
	}
	PQclear(t);
	return rc;
}

int rt_apply_command(pd_txn *tx, const Peakdesk__V1__Envelope *env, pd_errbuf *eb)
{
	if (env->body_case != PEAKDESK__V1__ENVELOPE__BODY_AGENT_COMMAND)
		return PD_OK;
	return on_command(tx, env->agent_command, eb);
}
