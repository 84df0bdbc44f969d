/* The SLA timer: tickets whose first response, next response or
 * resolution is overdue are recorded as breached once per (clock, tier) and
 * escalated frontline -> lead -> supervisor, each next tier getting another
 * full target (sla.c decides targets and the chain). The resolution clock
 * is not checked while paused (waiting on the customer or a department).
 * Emits ticket.sla_breached and ticket.escalated. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ids.h"
#include "log.h"
#include "roster.h"
#include "router.h"
#include "sla.h"
#include "topics.h"


static int emit(pd_txn *tx, const char *topic, int kind, int sla_kind, PGresult *r, int i, const char *tier,
		pd_errbuf *eb)
{
	Peakdesk__V1__TicketEvent te = PEAKDESK__V1__TICKET_EVENT__INIT;
	te.kind = kind;
	te.ticket_id = PQgetvalue(r, i, 0);
	te.public_id = PQgetvalue(r, i, 1);
	te.priority = atoi(PQgetvalue(r, i, 2));
	te.group = PQgetvalue(r, i, 5);
	te.agent_id = PQgetvalue(r, i, 6);
	te.tier = (char *)tier;
	te.sla_kind = sla_kind;
	te.sla_deadline_ms = strtoll(PQgetvalue(r, i, 7), NULL, 10);
	return rt_emit_ticket_event(tx, topic, &te, eb);
}

/* One SLA clock: the overdue tickets (columns: ticket_id, public_id,
 * priority, channel, escalation_tier, group, agent, deadline ms) and the
 * statement that gives the next tier its own deadline ($3 < 0: stop). The
 * statements are literals: their addresses name the prepared statements. */
struct clock {
	const char *name; /* router.sla_breaches.kind */
	int sla_kind;
	const char *overdue;
	const char *rearm;
};

#define OVERDUE(cond, due)                                                                                         \
	"SELECT ticket_id, public_id, priority::text, channel, escalation_tier, group_name, agent_id, "             \
	"(extract(epoch FROM " due ") * 1000)::bigint FROM router.tickets WHERE " cond " AND " due " <= now() "    \
	"ORDER BY " due " LIMIT 200 FOR UPDATE SKIP LOCKED"
#define REARM(due)                                                                                                 \
	"UPDATE router.tickets SET escalation_tier = $2, " due " = CASE WHEN $3::bigint < 0 THEN NULL "            \
	"ELSE now() + make_interval(secs => $3::bigint / 1000.0) END WHERE ticket_id = $1"

static const struct clock clocks[] = {
	{"first_response", PEAKDESK__V1__SLA_KIND__SLA_KIND_FIRST_RESPONSE,
	 OVERDUE("first_response_at IS NULL AND status = 'open'", "first_response_due"), REARM("first_response_due")},
	{"next_response", PEAKDESK__V1__SLA_KIND__SLA_KIND_NEXT_RESPONSE,
	 OVERDUE("status = 'open'", "next_response_due"), REARM("next_response_due")},
	{"resolution", PEAKDESK__V1__SLA_KIND__SLA_KIND_RESOLUTION,
	 OVERDUE("sla_paused_since IS NULL AND status NOT IN ('resolved', 'closed')", "resolution_due"),
	 REARM("resolution_due")},
};

/* Records each overdue clock once per tier, escalates the ticket one tier
 * and gives that tier a full target of its own (after the supervisor the
 * clock stops: nobody is left to escalate to). */
static int sweep_clock(pd_txn *tx, const rt_context *ctx, const struct clock *k, rt_loaded_policy *pol, int *loaded,
		       pd_errbuf *eb)
{
	int err;
	PGresult *r = pd_txn_query(tx, k->overdue, 0, NULL, &err, eb);
	if (!r)
		return err;
	/* The next tier's target: the policy now (a campaign's stricter
	 * targets hold through its window). */
	int rc = PD_OK;
	if (PQntuples(r) && !*loaded) {
		rc = rt_sla_policy_load(tx, pd_now_ms(), pol, eb);
		*loaded = 1;
	}
	for (int i = 0; i < PQntuples(r) && rc == PD_OK; i++) {
		const char *tid = PQgetvalue(r, i, 0), *tier = PQgetvalue(r, i, 4);
		PGresult *b = pd_txn_query(tx,
					   "INSERT INTO router.sla_breaches(ticket_id, kind, tier, deadline) VALUES ($1, $2, $3, "
					   "to_timestamp($4::bigint / 1000.0)) ON CONFLICT DO NOTHING RETURNING 1",
					   4, (const char *[]){tid, k->name, tier, PQgetvalue(r, i, 7)}, &err, eb);
		if (!b) {
			rc = err;
			break;
		}
		int fresh = PQntuples(b) == 1;
		PQclear(b);
		int cur = rt_tier_parse(tier);
		int next = rt_sla_escalate(cur);
		const char *next_name = rt_tier_name(next);
		char due[24];
		snprintf(due, sizeof(due), "%lld",
			 next != cur ? (long long)rt_sla_target_ms(ctx, pol, k->sla_kind, atoi(PQgetvalue(r, i, 2)),
								  PQgetvalue(r, i, 3), pd_now_ms(), NULL)
				     : -1LL);
		rc = pd_txn_exec(tx, k->rearm, 3, (const char *[]){tid, next_name, due}, eb);
		if (rc != PD_OK || !fresh)
			continue;
		char label[160];
		snprintf(label, sizeof(label), "%s overdue at tier %s; escalated to %s", k->name, tier, next_name);
		rc = rt_timeline_add(tx, tid, "sla_breached", "router", 0, label, NULL, eb);
		if (rc == PD_OK)
			rc = emit(tx, "ticket.sla_breached", PEAKDESK__V1__TICKET_EVENT_KIND__TICKET_EVENT_KIND_SLA_BREACHED,
				  k->sla_kind, r, i, tier, eb);
		if (rc == PD_OK && next != cur)
			rc = emit(tx, "ticket.escalated", PEAKDESK__V1__TICKET_EVENT_KIND__TICKET_EVENT_KIND_ESCALATED,
				  k->sla_kind, r, i, next_name, eb);
		pd_log_info("sla breached", "ticket=%s kind=%s tier=%s escalated_to=%s", PQgetvalue(r, i, 1), k->name, tier,
			    next_name);
	}
	PQclear(r);
	return rc;
}

/* Commitments about due: remind the agent once (timeline + event). */
static int remind_follow_ups(pd_txn *tx, const rt_context *ctx, pd_errbuf *eb)
{
	char ahead[24];
	snprintf(ahead, sizeof(ahead), "%lld", (long long)ctx->follow_up_alert_ms);
	int err;
	PGresult *r = pd_txn_query(tx,
			"WITH due AS (SELECT command_id FROM router.follow_ups WHERE done_at IS NULL AND alerted_at IS NULL "
			"  AND due_at <= now() + make_interval(secs => $1::bigint / 1000.0) ORDER BY due_at LIMIT 200 "
			"  FOR UPDATE SKIP LOCKED) "
			"UPDATE router.follow_ups f SET alerted_at = now() FROM due, router.tickets t "
			"WHERE f.command_id = due.command_id AND t.ticket_id = f.ticket_id "
			"RETURNING f.ticket_id, t.public_id, f.agent_id, (extract(epoch FROM f.due_at) * 1000)::bigint, f.note, "
			"t.priority, t.group_name",
			1, (const char *[]){ahead}, &err, eb);
	if (!r)
		return err;
	int rc = PD_OK;
	for (int i = 0; i < PQntuples(r) && rc == PD_OK; i++) {
		char label[700];
		snprintf(label, sizeof(label), "提醒 %s：承诺的跟进即将到期（%.500s）", PQgetvalue(r, i, 2),
			 *PQgetvalue(r, i, 4) ? PQgetvalue(r, i, 4) : "回复客户");
		rc = rt_timeline_add(tx, PQgetvalue(r, i, 0), "follow_up_due", "router", 0, label, NULL, eb);
		Peakdesk__V1__TicketEvent te = PEAKDESK__V1__TICKET_EVENT__INIT;
		te.kind = PEAKDESK__V1__TICKET_EVENT_KIND__TICKET_EVENT_KIND_FOLLOW_UP_DUE;
		te.ticket_id = PQgetvalue(r, i, 0);
		te.public_id = PQgetvalue(r, i, 1);
		te.agent_id = PQgetvalue(r, i, 2);
		te.follow_up_at_ms = strtoll(PQgetvalue(r, i, 3), NULL, 10);
		te.note = PQgetvalue(r, i, 4);
		te.priority = atoi(PQgetvalue(r, i, 5));
		te.group = PQgetvalue(r, i, 6);
		if (rc == PD_OK)
			rc = rt_emit_ticket_event(tx, "ticket.follow_up_due", &te, eb);
		pd_log_info("follow-up reminder", "ticket=%s agent=%s", te.public_id, te.agent_id);
	}
	PQclear(r);
	return rc;
}

/* Tickets a machine answered and the customer left quiet: resolved
 * (auto_closed), announced as ticket.resolved with auto_closed set so no
 * survey goes out for them. */
static int auto_close(pd_txn *tx, const rt_context *ctx, pd_errbuf *eb)
{
	char quiet[24];
	snprintf(quiet, sizeof(quiet), "%lld", (long long)ctx->auto_close_ms);
	int err;
	PGresult *r = pd_txn_query(tx,
			"WITH q AS (SELECT ticket_id FROM router.tickets WHERE status = 'pending_customer' "
			"  AND auto_answered_at IS NOT NULL AND first_response_at IS NULL "
			"  AND last_customer_message_at <= now() - make_interval(secs => $1::bigint / 1000.0) "
			"  ORDER BY last_customer_message_at LIMIT 200 FOR UPDATE SKIP LOCKED) "
			"UPDATE router.tickets t SET status = 'resolved', resolved_at = now(), updated_at = now(), "
			"auto_closed = true, sla_paused_since = NULL FROM q WHERE t.ticket_id = q.ticket_id "
			"RETURNING t.ticket_id, t.public_id, t.customer_id, t.channel, t.account, t.category, t.priority",
			1, (const char *[]){quiet}, &err, eb);
	if (!r)
		return err;
	int rc = PD_OK;
	for (int i = 0; i < PQntuples(r) && rc == PD_OK; i++) {
		rc = rt_timeline_add(tx, PQgetvalue(r, i, 0), "resolved", "router", 1,
				     "已自动答复，您没有新的问题，工单已关闭；如需帮助请随时回复 / Answered automatically; "
				     "closed as you had no further questions. Just reply if you need us.",
				     NULL, eb);
		Peakdesk__V1__TicketEvent te = PEAKDESK__V1__TICKET_EVENT__INIT;
		te.kind = PEAKDESK__V1__TICKET_EVENT_KIND__TICKET_EVENT_KIND_RESOLVED;
		te.ticket_id = PQgetvalue(r, i, 0);
		te.public_id = PQgetvalue(r, i, 1);
		te.customer_id = PQgetvalue(r, i, 2);
		te.channel = pd_channel_parse(PQgetvalue(r, i, 3));
		te.account = PQgetvalue(r, i, 4);
		te.category = PQgetvalue(r, i, 5);
		te.priority = atoi(PQgetvalue(r, i, 6));
		te.resolution_code = "auto_answered";
		te.auto_closed = 1;
		if (rc == PD_OK)
			rc = rt_emit_ticket_event(tx, "ticket.resolved", &te, eb);
	}
	if (PQntuples(r))
		pd_log_info("auto-answered tickets closed", "tickets=%d", PQntuples(r));
	PQclear(r);
	return rc;
}

static int sweep_apply(pd_txn *tx, const void *arg, pd_errbuf *eb)
{
	const rt_context *ctx = arg;
	rt_loaded_policy pol = {0};
	int loaded = 0, rc = PD_OK;
	rt_roster_forget(); /* escalations and closings change who may take what */
	for (size_t k = 0; k < PD_ARRAY_LEN(clocks) && rc == PD_OK; k++)
		rc = sweep_clock(tx, ctx, &clocks[k], &pol, &loaded, eb);
	if (rc == PD_OK)
		rc = remind_follow_ups(tx, ctx, eb);
	if (rc == PD_OK)
		rc = auto_close(tx, ctx, eb);
	rt_sla_policy_free(&pol);
	return rc;
}

void rt_sla_sweep_submit(pd_bus *bus, const rt_context *ctx)
{
	static pd_tick_job sweep = {.what = "sla sweep", .fn = sweep_apply};
	pd_tick_submit(bus, &sweep, ctx);
}
