/* The ticket router's I/O shell (pure decisions live in classify.c,
 * extract.c, risk.c, sla.c, assign.c, workflow.c). */
#ifndef RT_ROUTER_H
#define RT_ROUTER_H

#include "bus.h"
#include "partition.h"

struct rt_rules;

typedef struct rt_context {
	int reopen_hours;       /* a message this soon after resolution reopens the ticket */
	struct rt_rules *rules; /* compiled classification rules */
	/* > 0: every target of that SLA kind, minutes (operator overrides;
	 * indexed by Peakdesk__V1__SlaKind 1..3) */
	double sla_override_min[4];
	int64_t follow_up_alert_ms; /* remind an agent this long before a commitment is due */
	int64_t auto_close_ms;      /* a machine-answered ticket closes after this much quiet */
	rt_partition partition;     /* this instance's share of the work */
} rt_context;

/* Classification rules from router.rules (rules_store.c): reload (seeding
 * the shipped set when the table is empty and seed_if_empty), and a LISTEN
 * connection on the loop that reloads on NOTIFY peakdesk_rules. */
struct event_base;
void rt_rules_reload(pd_bus *bus, rt_context *ctx, int seed_if_empty);
void rt_rules_listen(struct event_base *base, const char *conninfo, pd_bus *bus, rt_context *ctx);
void rt_rules_unlisten(void);
/* The enabled rules as rows in evaluation order, and their compilation
 * (the router's reload and `peakdesk rules` share both, so the CLI refuses
 * exactly what the router would). */
#define RT_RULES_SELECT                                                                                       \
	"SELECT rule_id, position, array_to_json(channels), tier, if_category, array_to_json(keywords_any), " \
	"array_to_json(keywords_all), array_to_json(keywords_none), regex, category, priority, group_name, "  \
	"array_to_json(tags), auto_reply, fall_through FROM router.rules WHERE enabled ORDER BY position"
struct pg_result;
int rt_rules_compile_rows(struct pg_result *rows, struct rt_rules **out, pd_errbuf *eb);

/* The SLA policy in force at at_ms: the built-in table under the
 * campaigns' overrides from promo.sla_overrides (sla_policy.c). */
#include "sla.h"
typedef struct rt_loaded_policy {
	rt_sla_policy policy;
	rt_sla_override *overrides;
	rt_sla_table *tables;
	size_t n;
	struct pg_result *rows; /* holds the campaign ids */
} rt_loaded_policy;
int rt_sla_policy_load(pd_txn *tx, int64_t at_ms, rt_loaded_policy *out, pd_errbuf *eb);
void rt_sla_policy_free(rt_loaded_policy *p);
/* The same, read at most once a second per writer transaction (a batch of
 * new tickets reads the overrides once); borrowed until the next call. */
int rt_sla_policy_current(pd_txn *tx, int64_t at_ms, const rt_loaded_policy **out, pd_errbuf *eb);
/* Target (ms) of SLA `kind` for a ticket: the operator's first-response
 * override when set, else the policy (pol NULL: the built-in table) at
 * at_ms. *campaign_id (may be NULL) names the campaign that set it. */
int64_t rt_sla_target_ms(const rt_context *ctx, const rt_loaded_policy *pol, int kind, int priority,
			 const char *channel, int64_t at_ms, const char **campaign_id);
/* Timer job: records overdue first responses and escalates (sla_sweep.c). */
void rt_sla_sweep_submit(pd_bus *bus, const rt_context *ctx);

/* Adds a step to a ticket's timeline (timeline.c); detail_json may be NULL. */
int rt_timeline_add(pd_txn *tx, const char *ticket_id, const char *kind, const char *actor, int customer_visible,
		    const char *label, const char *detail_json, pd_errbuf *eb);

/* A message to the customer as message.outbound, reason a
 * Peakdesk__V1__OutboundReason (timeline.c); ticket_public_id may be NULL. */
int rt_emit_message(pd_txn *tx, const char *outbound_id, int channel, const char *account, const char *user,
		    const char *subject, const char *ticket_public_id, const char *text, int reason, pd_errbuf *eb);
/* A proactive notice as message.outbound (timeline.c). */
int rt_emit_notice(pd_txn *tx, const char *outbound_id, int channel, const char *account, const char *user,
		   const char *subject, const char *text, pd_errbuf *eb);
/* Emits ticket.<something> with te as the body (timeline.c). */
int rt_emit_ticket_event(pd_txn *tx, const char *topic, Peakdesk__V1__TicketEvent *te, pd_errbuf *eb);
/* A ticket m has just opened (threading.c): what rt_decide would
 * otherwise read back, and what it needs to insert it. It is not in the
 * table yet: the writes that refer to it are held back
 * (pd_txn_hold_writes) until rt_decide inserts it, once, decided. */
typedef struct rt_new_ticket {
	const char *ticket_id, *public_id, *customer_id, *subject;
	const char *sent; /* m's send time, unix ms */
	const Peakdesk__V1__CustomerMessage *m;
} rt_new_ticket;

/* What rt_decide needs of an existing ticket, as a SELECT list in the
 * order decide.c reads it. The status and the two clock columns are
 * parameters: threading.c selects them as they will be once m has joined
 * (or reopened) the ticket, in the lookup that finds it, so the decision
 * needs no second read. */
#define RT_TICKET_STATE(status, next_due_unset, resolution_due_unset)                              \
	"group_name, public_id, customer_id, channel, account, category, " status ", priority, "     \
	"escalation_tier, agent_id <> '', first_response_at IS NULL AND first_response_due IS NULL, " \
	next_due_unset ", " resolution_due_unset
#define RT_TICKET_STATE_COLUMNS 13

/* Classification, linked numbers, risk and assignment for a ticket that
 * just received m (decide.c). fresh: the ticket m opened in this
 * transaction (its state is known), NULL for an existing one. state: the
 * existing ticket's row, RT_TICKET_STATE first (rt_decide frees it), NULL
 * to read it. joined_sent: m's sent time (ms) when m joined the existing
 * ticket; the join (status, clocks, last message) is written with the
 * decision, and state is the row as it will be once joined. */
struct pg_result;
int rt_decide(pd_txn *tx, const rt_context *ctx, const char *ticket_id, const rt_new_ticket *fresh,
	      struct pg_result *state, const char *joined_sent, const Peakdesk__V1__CustomerMessage *m,
	      pd_errbuf *eb);

/* An auto-reply to m on its ticket (reply_facts.c): template_name is the
 * classification rule's ("" = none); ref_kinds / ref_values the refs m
 * names, as text array literals; fresh_public_id and fresh_subject are
 * set for a ticket m has just opened (not in the table yet), NULL for an
 * existing one. *answered: the reply answers the question (the ticket
 * then waits on the customer). */
typedef struct rt_reply_ask {
	const char *ticket_id, *template_name;
	const Peakdesk__V1__CustomerMessage *m;
	const char *ref_kinds, *ref_values;
	const char *fresh_public_id, *fresh_subject;
} rt_reply_ask;
int rt_auto_reply(pd_txn *tx, const rt_reply_ask *q, int *answered, pd_errbuf *eb);

/* SLA clocks and assignment for a ticket opened without a customer
 * message (a service-recovery ticket). */
int rt_route_ticket(pd_txn *tx, const rt_context *ctx, const char *ticket_id, pd_errbuf *eb);

/* survey.low_score: a recovery ticket for a team lead, linked to the
 * original (recovery.c). */
int rt_apply_low_score(pd_txn *tx, const rt_context *ctx, const Peakdesk__V1__Envelope *env, pd_errbuf *eb);

/* A customer's bare answer ("5") to a survey invitation still open on
 * their channel: recorded on the surveyed ticket and passed to the survey
 * collector as ticket.survey_reply instead of reopening it. *taken is 1
 * when m was such an answer (recovery.c). */
int rt_take_survey_reply(pd_txn *tx, const Peakdesk__V1__CustomerMessage *m, int64_t sent_ms, int *taken,
			 pd_errbuf *eb);

/* Assigns waiting tickets of group ("" = every group) in queue order while
 * agents have room: called when capacity frees (a ticket resolved or moved,
 * an agent coming online). */
int rt_assign_waiting(pd_txn *tx, const char *group, pd_errbuf *eb);

/* Consumer apply: a customer's message joins their open ticket, reopens a
 * recently resolved one, or opens a new one (ticket.created). */
int rt_apply_event(pd_txn *tx, const Peakdesk__V1__Envelope *env, void *arg, pd_errbuf *eb);

/* logistics.delayed: tell the customer before they ask (proactive.c). */
int rt_apply_proactive(pd_txn *tx, const Peakdesk__V1__Envelope *env, pd_errbuf *eb);

/* Merges the customer with the identities the order and phone numbers in
 * text belong to, recording each merge (and its timeline line in notes);
 * customer_id becomes the surviving customer. rt_merges_note then puts the
 * merges on the ticket the message joined (identity_merge.c). */
typedef struct rt_merge_notes {
	char **label;
	size_t n;
} rt_merge_notes;
int rt_merge_identities(pd_txn *tx, char customer_id[37], const char *text, rt_merge_notes *notes, pd_errbuf *eb);
int rt_merges_note(pd_txn *tx, const char *ticket_id, const rt_merge_notes *notes, pd_errbuf *eb);
void rt_merge_notes_free(rt_merge_notes *notes);
/* stock.shortage / stock.restocked: notices and annotations (stock_care.c). */
int rt_apply_stock(pd_txn *tx, const Peakdesk__V1__Envelope *env, pd_errbuf *eb);
/* Raises every open ticket of the customers (PostgreSQL text arrays of
 * channel accounts and user ids) to high priority with an internal note. */
int rt_annotate_customers(pd_txn *tx, const char *accounts, const char *users, const char *label, pd_errbuf *eb);
/* The workflows of a ticket (workflows.c; kind: enum rt_wf_kind): the
 * state by name ("none" when none; locks the row), a checked step
 * (advance: timeline, department tasks, the ticket waiting on the
 * department), and an agent's command. */
#define RT_WF_NAME_MAX 32
int rt_workflow_state(pd_txn *tx, const char *ticket_id, int kind, char state[RT_WF_NAME_MAX], pd_errbuf *eb);
int rt_workflow_advance(pd_txn *tx, const char *ticket_id, int kind, const char *from, const char *to, int actor,
			const char *who, const char *reference, const char *note, pd_errbuf *eb);
int rt_apply_workflow_step(pd_txn *tx, const char *ticket_id, const char *agent_id,
			   const Peakdesk__V1__AgentWorkflowStep *w, pd_errbuf *eb);
/* logistics.shipment_updated: a reshipped parcel delivered moves its
 * workflow on. */
int rt_apply_parcel_delivered(pd_txn *tx, const Peakdesk__V1__Envelope *env, pd_errbuf *eb);
/* logistics.return_updated: return steps on the customer's page (returns.c). */
int rt_apply_return(pd_txn *tx, const Peakdesk__V1__Envelope *env, pd_errbuf *eb);

/* agent.command: reply / note / transfer / resolve / presence (commands.c). */
int rt_apply_command(pd_txn *tx, const Peakdesk__V1__Envelope *env, pd_errbuf *eb);

#endif
