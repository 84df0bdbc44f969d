/* The return/refund workflow across departments (pure logic, no I/O).
 *
 *   requested -> approved -> parcel_back -> warehouse_inspected
 *             -> finance_refunded -> closed
 * with the side exits requested -> rejected / closed (withdrawn),
 * approved -> closed (withdrawn, never sent), warehouse_inspected ->
 * rejected (inspection failed) and rejected -> closed.
 *
 * Every step says who may take it (an agent, the warehouse, finance, or the
 * system: the router's own automation and facts relayed by the logistics
 * service, which owns returns) and carries a customer-visible label in
 * Chinese and English for the progress page. The table is in workflow.c;
 * rt_wf_transition is the one function that checks it.
 *
 * Pure and thread-safe; all returned strings are static. */
#ifndef RT_WORKFLOW_H
#define RT_WORKFLOW_H

#include "pd.h"

enum rt_wf_state {
	RT_WF_NONE = 0, /* no return on this ticket yet */
	RT_WF_REQUESTED = 1,
	RT_WF_APPROVED = 2,
	RT_WF_PARCEL_BACK = 3,         /* the parcel is on its way back / arrived, not yet inspected */
	RT_WF_WAREHOUSE_INSPECTED = 4,
	RT_WF_FINANCE_REFUNDED = 5,
	RT_WF_CLOSED = 6,
	RT_WF_REJECTED = 7,
};
#define RT_WF_STATE_COUNT 8

enum rt_wf_actor {
	RT_WF_ACTOR_AGENT = 1,     /* a customer-service agent */
	RT_WF_ACTOR_WAREHOUSE = 2, /* warehouse department staff */
	RT_WF_ACTOR_FINANCE = 3,   /* finance department staff */
	RT_WF_ACTOR_SYSTEM = 4,    /* router automation, logistics.return_updated facts */
};
#define RT_WF_ACTOR_COUNT 5 /* 0 is not an actor */

/* Whether `actor` may move a return from `from` to `to`.
 *   PD_OK       allowed; also from == to for a real state (a repeated
 *               report, e.g. two logistics states mapping to parcel_back):
 *               a no-op the caller records nothing for.
 *   PD_ESTATE   the step does not exist: "impossible return step closed ->
 *               approved", "unknown return step state 42", or a target of none.
 *   PD_EINVAL   the step exists but belongs to someone else: "finance may
 *               not move a return from parcel_back to warehouse_inspected
 *               (allowed: warehouse)", or an unknown actor. The agent API
 *               answers this with 403.
 * eb may be NULL. */
int rt_wf_transition(int from, int to, int actor, pd_errbuf *eb);

/* Bit set (1u << actor) of who may move from -> to; 0 when impossible or
 * out of range. For UIs: whose turn it is. */
unsigned rt_wf_actors(int from, int to);

/* "none", "requested", "approved", "parcel_back", "warehouse_inspected",
 * "finance_refunded", "closed", "rejected"; "unknown" outside. */
const char *rt_wf_state_name(int state);
/* Inverse, case-insensitive; -1 for NULL or unknown. */
int rt_wf_state_parse(const char *name);
/* "agent", "warehouse", "finance", "system"; "unknown" otherwise. */
const char *rt_wf_actor_name(int actor);
/* Inverse, case-insensitive; -1 for NULL or unknown. */
int rt_wf_actor_parse(const char *name);

typedef struct rt_wf_label {
	const char *zh; /* UTF-8 Chinese text shown to the customer */
	const char *en; /* English text shown to the customer */
} rt_wf_label;

/* The customer-visible label of a real state; NULL for none or out of
 * range. Every real state has one: every step is visible to the customer. */
const rt_wf_label *rt_wf_label_of(int state);

/* Progress-bar position on the happy path: requested 1 ... closed 6 of
 * RT_WF_STEPS; 0 for none, rejected (off the path) and out of range. */
#define RT_WF_STEPS 6
int rt_wf_step(int state);

/* 1 for closed (nothing leaves it), else 0. Rejected is not terminal: it
 * still closes. */
int rt_wf_is_terminal(int state);

/* Maps a logistics return state (Peakdesk__V1__ReturnState, from
 * logistics.return_updated) onto the workflow step and the actor the fact
 * stands for, given the workflow's current state `from`: inspected is the
 * warehouse's word, refunded is finance's, rejected after inspection the
 * warehouse's; everything else, and anything reported for a return the
 * router has not seen yet (from none: logistics may first report a return
 * mid-way), is system. PARCEL_SENT and RECEIVED both map to parcel_back
 * (the customer sees one "on its way back" step until inspection).
 * Returns PD_OK, or PD_EINVAL for UNSPECIFIED/unknown return states or
 * NULL outputs. */
int rt_wf_from_return_state(int return_state, int from, int *state, int *actor);

#endif
