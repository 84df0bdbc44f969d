/* The return/refund workflow as data: who may take each step, and what the
 * customer reads at each step. The table below is the only place the steps
 * live; rt_wf_transition checks it and nothing else decides.
 *
 * Why each row is what it is:
 * - none -> requested / approved: an agent opens the return for the
 *   customer (or the shop approved it directly); the system also when the
 *   logistics service reports a return first. From none the system may
 *   enter any state: logistics owns returns, validated its own transitions
 *   and may first report one mid-way; refusing the fact would hide the
 *   return from the customer.
 * - requested -> approved / rejected: the agent's decision (or an automatic
 *   rule: seven-day no-reason returns). requested -> closed: withdrawn.
 * - approved -> parcel_back: the customer's tracking number (entered by the
 *   agent) or the carrier's first scan (system). approved -> closed: the
 *   customer withdrew or never sent it.
 * - parcel_back -> warehouse_inspected: the warehouse only; nobody else can
 *   vouch for the state of the goods.
 * - warehouse_inspected -> finance_refunded: finance only; the money moves
 *   there. warehouse_inspected -> rejected: the warehouse (inspection failed:
 *   used, damaged, parts missing).
 * - finance_refunded / rejected -> closed: an agent or the system (closes
 *   after the customer has been told).
 * - closed: terminal. No skips anywhere: every step is a department's
 *   sign-off the customer is shown, so a refund without an inspection, or an
 *   inspection without a parcel, is refused as impossible. */
#include "workflow.h"

#include <stddef.h>
#include <stdio.h>
#include <strings.h>

#include "logistics.pb-c.h"

#define A (1u << RT_WF_ACTOR_AGENT)
#define W (1u << RT_WF_ACTOR_WAREHOUSE)
#define F (1u << RT_WF_ACTOR_FINANCE)
#define S (1u << RT_WF_ACTOR_SYSTEM)

enum { NONE = RT_WF_NONE, REQ = RT_WF_REQUESTED, APP = RT_WF_APPROVED, BACK = RT_WF_PARCEL_BACK,
       INSP = RT_WF_WAREHOUSE_INSPECTED, REF = RT_WF_FINANCE_REFUNDED, CLO = RT_WF_CLOSED,
       REJ = RT_WF_REJECTED };

/* allowed[from][to] = who may take the step; 0 = impossible. */
static const unsigned char allowed[RT_WF_STATE_COUNT][RT_WF_STATE_COUNT] = {
	[NONE] = { [REQ] = A | S, [APP] = A | S, [BACK] = S, [INSP] = S, [REF] = S, [CLO] = S,
		   [REJ] = S },
	[REQ] = { [APP] = A | S, [REJ] = A | S, [CLO] = A | S },
	[APP] = { [BACK] = A | S, [CLO] = A | S },
	[BACK] = { [INSP] = W },
	[INSP] = { [REF] = F, [REJ] = W },
	[REF] = { [CLO] = A | S },
	[CLO] = { 0 },
	[REJ] = { [CLO] = A | S },
};

static const char *const state_names[RT_WF_STATE_COUNT] = {
	[NONE] = "none",
	[REQ] = "requested",
	[APP] = "approved",
	[BACK] = "parcel_back",
	[INSP] = "warehouse_inspected",
	[REF] = "finance_refunded",
	[CLO] = "closed",
	[REJ] = "rejected",
};

static const char *const actor_names[RT_WF_ACTOR_COUNT] = {
	[0] = "unknown",
	[RT_WF_ACTOR_AGENT] = "agent",
	[RT_WF_ACTOR_WAREHOUSE] = "warehouse",
	[RT_WF_ACTOR_FINANCE] = "finance",
	[RT_WF_ACTOR_SYSTEM] = "system",
};

/* What the customer reads on the progress page: what happened and, where
 * it is their turn, what to do next. */
static const rt_wf_label labels[RT_WF_STATE_COUNT] = {
	[REQ] = { "退货申请已提交，等待客服审核", "Return requested – waiting for review" },
	[APP] = { "退货申请已通过，请将商品寄回", "Return approved – please send the item back" },
	[BACK] = { "退货包裹正在寄回仓库", "Your return parcel is on its way back to our warehouse" },
	[INSP] = { "仓库已收到退货并完成检验", "Our warehouse has received and checked your return" },
	[REF] = { "退款已完成，款项将原路退回", "Refund issued to your original payment method" },
	[CLO] = { "退货服务已结束", "Return closed" },
	[REJ] = { "退货申请未通过，客服会向您说明原因", "Return not accepted – an agent will explain why" },
};

static const int steps[RT_WF_STATE_COUNT] = {
	[REQ] = 1, [APP] = 2, [BACK] = 3, [INSP] = 4, [REF] = 5, [CLO] = 6,
};

static int valid_state(int s)
{
	return s >= 0 && s < RT_WF_STATE_COUNT;
}

static int valid_actor(int a)
{
	return a >= RT_WF_ACTOR_AGENT && a < RT_WF_ACTOR_COUNT;
}

unsigned rt_wf_actors(int from, int to)
{
	return valid_state(from) && valid_state(to) ? allowed[from][to] : 0;
}

/* "agent or system" for the refusal text. */
static void actor_list(unsigned set, char *buf, size_t size)
{
	size_t used = 0;
	buf[0] = '\0';
	for (int a = RT_WF_ACTOR_AGENT; a < RT_WF_ACTOR_COUNT; a++) {
		if (!(set & (1u << a)))
			continue;
		int n = snprintf(buf + used, size - used, "%s%s", used ? " or " : "", actor_names[a]);
		if (n < 0 || (size_t)n >= size - used)
			return;
		used += (size_t)n;
	}
}

int rt_wf_transition(int from, int to, int actor, pd_errbuf *eb)
{
	if (!valid_state(from))
		return pd_fail(eb, PD_ESTATE, "unknown return step state %d", from);
	if (!valid_state(to))
		return pd_fail(eb, PD_ESTATE, "unknown return step state %d", to);
	if (!valid_actor(actor))
		return pd_fail(eb, PD_EINVAL, "unknown actor %d", actor);
	if (to == NONE)
		return pd_fail(eb, PD_ESTATE, "impossible return step %s -> none: a step must name its state",
			       state_names[from]);
	if (from == to)
		return PD_OK; /* a repeated report: nothing to record */
	unsigned who = allowed[from][to];
	if (!who)
		return pd_fail(eb, PD_ESTATE, "impossible return step %s -> %s", state_names[from],
			       state_names[to]);
	if (!(who & (1u << actor))) {
		char list[64];
		actor_list(who, list, sizeof(list));
		return pd_fail(eb, PD_EINVAL, "%s may not move a return from %s to %s (allowed: %s)",
			       actor_names[actor], state_names[from], state_names[to], list);
	}
	return PD_OK;
}

const char *rt_wf_state_name(int state)
{
	return valid_state(state) ? state_names[state] : "unknown";
}

int rt_wf_state_parse(const char *name)
{
	if (!name)
		return -1;
	for (int s = 0; s < RT_WF_STATE_COUNT; s++)
		if (strcasecmp(name, state_names[s]) == 0)
			return s;
	return -1;
}

const char *rt_wf_actor_name(int actor)
{
	return valid_actor(actor) ? actor_names[actor] : "unknown";
}

int rt_wf_actor_parse(const char *name)
{
	if (!name)
		return -1;
	for (int a = RT_WF_ACTOR_AGENT; a < RT_WF_ACTOR_COUNT; a++)
		if (strcasecmp(name, actor_names[a]) == 0)
			return a;
	return -1;
}

const rt_wf_label *rt_wf_label_of(int state)
{
	return valid_state(state) && state != NONE ? &labels[state] : NULL;
}

int rt_wf_step(int state)
{
	return valid_state(state) ? steps[state] : 0;
}

int rt_wf_is_terminal(int state)
{
	return state == CLO;
}

int rt_wf_from_return_state(int return_state, int from, int *state, int *actor)
{
	if (!state || !actor)
		return PD_EINVAL;
	int s, who = RT_WF_ACTOR_SYSTEM;
	switch (return_state) {
	case PEAKDESK__V1__RETURN_STATE__RETURN_STATE_REQUESTED: s = REQ; break;
	case PEAKDESK__V1__RETURN_STATE__RETURN_STATE_APPROVED: s = APP; break;
	case PEAKDESK__V1__RETURN_STATE__RETURN_STATE_PARCEL_SENT:
	case PEAKDESK__V1__RETURN_STATE__RETURN_STATE_RECEIVED: s = BACK; break;
	case PEAKDESK__V1__RETURN_STATE__RETURN_STATE_INSPECTED:
		s = INSP;
		who = RT_WF_ACTOR_WAREHOUSE;
		break;
	case PEAKDESK__V1__RETURN_STATE__RETURN_STATE_REFUNDED:
		s = REF;
		who = RT_WF_ACTOR_FINANCE;
		break;
	case PEAKDESK__V1__RETURN_STATE__RETURN_STATE_CLOSED: s = CLO; break;
	case PEAKDESK__V1__RETURN_STATE__RETURN_STATE_REJECTED:
		s = REJ;
		if (from == INSP)
			who = RT_WF_ACTOR_WAREHOUSE;
		break;
	default:
		return PD_EINVAL;
	}
	if (from == NONE)
		who = RT_WF_ACTOR_SYSTEM;
	*state = s;
	*actor = who;
	return PD_OK;
}
