/* Cross-department workflows on a ticket (pure logic, no I/O): the
 * return/refund, the exchange (换货) and the reship (补发) of a lost or
 * damaged parcel, each an explicit state machine.
 *
 * Return/refund, the original and still the integer API below (rt_wf_*):
 *   requested -> approved -> parcel_back -> warehouse_inspected
 *             -> finance_refunded -> closed
 * with the side exits requested -> rejected / closed (withdrawn),
 * approved -> closed (withdrawn, never sent), warehouse_inspected ->
 * rejected (inspection failed) and rejected -> closed.
 *
 * Every step says who may take it (an agent, the warehouse, finance, or the
 * system: the router's own automation and facts relayed by the logistics
 * service, which owns returns) and carries a customer-visible label in
 * Chinese and English for the progress page. The tables are in workflow.c;
 * one function there checks them all (rt_wf_transition for returns,
 * rt_wfk_transition for every kind).
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

/* ---- Every kind by name: return, exchange, reship ----------------------
 *
 * Exchange (换货):
 *   requested -> approved -> parcel_back -> warehouse_inspected
 *             -> replacement_shipped -> closed
 *   side exits: requested -> rejected / closed (withdrawn), approved ->
 *   closed (withdrawn), warehouse_inspected -> rejected (inspection failed),
 *   warehouse_inspected -> refunded_instead (no replacement in stock),
 *   rejected / refunded_instead -> closed.
 *   Who: the agent opens, approves, rejects a request, withdraws and
 *   closes; the system (logistics facts) moves to parcel_back; the
 *   warehouse inspects, ships the replacement or rejects after inspection;
 *   finance refunds instead.
 *
 * Reship (补发, lost or damaged parcel):
 *   requested -> approved -> reshipped -> delivered -> closed
 *   side exits: requested -> rejected / closed (withdrawn), approved ->
 *   refunded_instead (cannot be reshipped), rejected / refunded_instead ->
 *   closed.
 *   Who: the agent opens, approves, rejects, withdraws and closes; the
 *   warehouse reships; the system (logistics fact) marks delivered;
 *   finance refunds instead.
 *
 * The return kind here is the table above, not a copy: rt_wfk_* with
 * RT_WF_RETURN answers exactly what rt_wf_* answers for the same states.
 * States are named by lowercase ASCII names ("none" = no workflow yet);
 * names are matched case-insensitively, and the names returned are the
 * canonical lowercase ones. */
enum rt_wf_kind {
	RT_WF_RETURN = 1,   /* 退货退款 */
	RT_WF_EXCHANGE = 2, /* 换货 */
	RT_WF_RESHIP = 3,   /* 补发 */
};
#define RT_WF_KIND_COUNT 4 /* 0 is not a kind */

/* "return", "exchange", "reship"; "unknown" otherwise. */
const char *rt_wf_kind_name(int kind);
/* Inverse, case-insensitive; -1 for NULL or unknown. */
int rt_wf_kind_parse(const char *name);

/* Whether `actor` may move a workflow of `kind` from state `from` to `to`,
 * with the same codes and message style as rt_wf_transition (for the
 * return kind the very same messages):
 *   PD_OK       allowed; also from == to for a real state (no-op).
 *   PD_ESTATE   no such step: "impossible exchange step closed -> approved",
 *               "unknown reship step state \"refunded\"" (also for NULL), or a
 *               target of none.
 *   PD_EINVAL   someone else's step: "finance may not move an exchange from
 *               parcel_back to warehouse_inspected (allowed: warehouse)";
 *               an unknown actor ("unknown actor 0") or kind ("unknown
 *               workflow kind 9").
 * eb may be NULL. */
int rt_wfk_transition(int kind, const char *from, const char *to, int actor, pd_errbuf *eb);

/* Bit set (1u << actor) of who may move from -> to; 0 when impossible,
 * from == to, or any argument unknown. */
unsigned rt_wfk_actors(int kind, const char *from, const char *to);

/* 1 when `state` names a state of `kind` ("none" included), else 0. */
int rt_wfk_state_valid(int kind, const char *state);

/* The i-th state of `kind` in table order, "none" first; NULL past the
 * last one or for an unknown kind. For listing a kind's states. */
const char *rt_wfk_state_at(int kind, int i);

/* The customer-visible label of a real state; NULL for none, unknown
 * states and unknown kinds. Every real state of every kind has one. */
const rt_wf_label *rt_wfk_label(int kind, const char *state);

/* Progress-bar position on the kind's happy path, 1 ... rt_wfk_steps(kind)
 * (closed is the last); 0 for none, states off the path (rejected,
 * refunded_instead) and anything unknown. */
int rt_wfk_step(int kind, const char *state);
/* Length of the kind's happy path: return 6, exchange 6, reship 5; 0 for
 * an unknown kind. */
int rt_wfk_steps(int kind);

/* 1 for a state nothing leaves (closed, in every kind), else 0. */
int rt_wfk_is_terminal(int kind, const char *state);

/* Where the workflow goes next from `state`, so the router can open a task
 * for whoever owns that step: from none or a happy-path state the next
 * happy-path state (none -> requested), from a state off the path
 * (rejected, refunded_instead) the step back onto it (closed). *actor
 * (if not NULL) gets the owner: the department when one may take the step,
 * else the agent, else the system. NULL, and *actor = 0, for a terminal
 * state, an unknown state or an unknown kind. */
const char *rt_wfk_next(int kind, const char *state, int *actor);

#endif
