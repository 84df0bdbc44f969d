/* The ticket router's I/O shell (pure decisions live in classify.c,
 * extract.c, risk.c, sla.c, assign.c, workflow.c). */
#ifndef RT_ROUTER_H
#define RT_ROUTER_H

#include "bus.h"

struct rt_rules;

typedef struct rt_context {
	int reopen_hours;       /* a message this soon after resolution reopens the ticket */
	struct rt_rules *rules; /* compiled classification rules */
	double first_response_override_min; /* > 0: every first-response target, minutes */
} rt_context;

/* Classification rules from router.rules (rules_store.c): reload (seeding
 * the shipped set when the table is empty and seed_if_empty), and a LISTEN
 * connection on the loop that reloads on NOTIFY peakdesk_rules. */
struct event_base;
void rt_rules_reload(pd_bus *bus, rt_context *ctx, int seed_if_empty);
void rt_rules_listen(struct event_base *base, const char *conninfo, pd_bus *bus, rt_context *ctx);
void rt_rules_unlisten(void);

/* First-response target (ms) for a ticket (sla_sweep.c). */
int64_t rt_first_response_ms(const rt_context *ctx, int priority, const char *channel);
/* Timer job: records overdue first responses and escalates (sla_sweep.c). */
void rt_sla_sweep_submit(pd_bus *bus, const rt_context *ctx);

/* Adds a step to a ticket's timeline (timeline.c); detail_json may be NULL. */
int rt_timeline_add(pd_txn *tx, const char *ticket_id, const char *kind, const char *actor, int customer_visible,
		    const char *label, const char *detail_json, pd_errbuf *eb);

/* Classification, linked numbers, risk and assignment for a ticket that
 * just received m (decide.c). category: the ticket's current category. */
int rt_decide(pd_txn *tx, const rt_context *ctx, const char *ticket_id, const char *category,
	      const Peakdesk__V1__CustomerMessage *m, pd_errbuf *eb);

/* Assigns waiting tickets of group ("" = every group) in queue order while
 * agents have room: called when capacity frees (a ticket resolved or moved,
 * an agent coming online). */
int rt_assign_waiting(pd_txn *tx, const char *group, pd_errbuf *eb);

/* Consumer apply: a customer's message joins their open ticket, reopens a
 * recently resolved one, or opens a new one (ticket.created). */
int rt_apply_event(pd_txn *tx, const Peakdesk__V1__Envelope *env, void *arg);

/* logistics.delayed: tell the customer before they ask (proactive.c). */
int rt_apply_proactive(pd_txn *tx, const Peakdesk__V1__Envelope *env, pd_errbuf *eb);

/* logistics.return_updated: return steps on the customer's page (returns.c). */
int rt_apply_return(pd_txn *tx, const Peakdesk__V1__Envelope *env, pd_errbuf *eb);

/* agent.command: reply / note / transfer / resolve / presence (commands.c). */
int rt_apply_command(pd_txn *tx, const Peakdesk__V1__Envelope *env, pd_errbuf *eb);

#endif
