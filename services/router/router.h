/* The ticket router's I/O shell (pure decisions live in classify.c,
 * extract.c, risk.c, sla.c, assign.c, workflow.c). */
#ifndef RT_ROUTER_H
#define RT_ROUTER_H

#include "bus.h"

typedef struct rt_context {
	int reopen_hours; /* a message this soon after resolution reopens the ticket */
} rt_context;

/* Consumer apply: a customer's message joins their open ticket, reopens a
 * recently resolved one, or opens a new one (ticket.created). */
int rt_apply_event(pd_txn *tx, const Peakdesk__V1__Envelope *env, void *arg);

/* agent.command: reply / note / transfer / resolve / presence (commands.c). */
int rt_apply_command(pd_txn *tx, const Peakdesk__V1__Envelope *env, pd_errbuf *eb);

#endif
