/* The cross-department workflows as data: who may take each step, and what
 * the customer reads at each step. The tables below are the only place the
 * steps live; check() reads them (through rt_wf_transition for returns and
 * rt_wfk_transition for every kind) and nothing else decides.
 *
 * Why each return row is what it is:
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
 *   inspection without a parcel, is refused as impossible.
 *
 * Exchange and reship follow the same habits, with one owner per step
 * (neither has a logistics feed that may report it mid-way, so none leads
 * only to requested, opened by an agent):
 * - the agent opens, approves, rejects a request, records a withdrawal
 *   and closes once the customer has been told;
 * - exchange approved -> parcel_back is the system's: the carrier's scan or
 *   the warehouse's receipt relayed by logistics, not anyone's say-so;
 * - exchange parcel_back -> warehouse_inspected, inspected -> rejected and
 *   inspected -> replacement_shipped are the warehouse's: it holds both the
 *   returned item and the stock;
 * - refunded_instead is finance's in both: the money moves there. In an
 *   exchange it comes after inspection (the item is back, no replacement
 *   in stock); in a reship after approval (nothing to send);
 * - reship approved -> reshipped is the warehouse's, reshipped ->
 *   delivered the system's (a logistics fact);
 * - closed is terminal; rejected and refunded_instead only close. */
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

/* Exchange (换货). */
enum { EX_NONE, EX_REQ, EX_APP, EX_BACK, EX_INSP, EX_SHIP, EX_CLO, EX_REJ, EX_REFI, EX_COUNT };

static const unsigned char ex_allowed[EX_COUNT][EX_COUNT] = {
	[EX_NONE] = { [EX_REQ] = A },
	[EX_REQ] = { [EX_APP] = A, [EX_REJ] = A, [EX_CLO] = A },
	[EX_APP] = { [EX_BACK] = S, [EX_CLO] = A },
	[EX_BACK] = { [EX_INSP] = W },
	[EX_INSP] = { [EX_SHIP] = W, [EX_REJ] = W, [EX_REFI] = F },
	[EX_SHIP] = { [EX_CLO] = A },
	[EX_CLO] = { 0 },
	[EX_REJ] = { [EX_CLO] = A },
	[EX_REFI] = { [EX_CLO] = A },
};

static const char *const ex_names[EX_COUNT] = {
	[EX_NONE] = "none",
	[EX_REQ] = "requested",
	[EX_APP] = "approved",
	[EX_BACK] = "parcel_back",
	[EX_INSP] = "warehouse_inspected",
	[EX_SHIP] = "replacement_shipped",
	[EX_CLO] = "closed",
	[EX_REJ] = "rejected",
	[EX_REFI] = "refunded_instead",
};

static const rt_wf_label ex_labels[EX_COUNT] = {
	[EX_REQ] = { "换货申请已提交，等待客服审核", "Exchange requested – waiting for review" },
	[EX_APP] = { "换货申请已通过，请将商品寄回", "Exchange approved – please send the item back" },
	[EX_BACK] = { "换货商品正在寄回仓库", "Your item is on its way back to our warehouse" },
	[EX_INSP] = { "仓库已收到您寄回的商品并完成检验", "Our warehouse has received and checked your item" },
	[EX_SHIP] = { "新商品已发出，请留意查收", "Your replacement has been shipped" },
	[EX_CLO] = { "换货服务已结束", "Exchange closed" },
	[EX_REJ] = { "换货申请未通过，客服会向您说明原因", "Exchange not accepted – an agent will explain why" },
	[EX_REFI] = { "换货商品缺货，已为您退款，款项将原路退回",
		      "Replacement out of stock – refund issued to your original payment method" },
};

static const int ex_steps[EX_COUNT] = {
	[EX_REQ] = 1, [EX_APP] = 2, [EX_BACK] = 3, [EX_INSP] = 4, [EX_SHIP] = 5, [EX_CLO] = 6,
};

/* Reship (补发) of a lost or damaged parcel. */
enum { RP_NONE, RP_REQ, RP_APP, RP_SHIP, RP_DELIV, RP_CLO, RP_REJ, RP_REFI, RP_COUNT };

static const unsigned char rp_allowed[RP_COUNT][RP_COUNT] = {
	[RP_NONE] = { [RP_REQ] = A },
	[RP_REQ] = { [RP_APP] = A, [RP_REJ] = A, [RP_CLO] = A },
	[RP_APP] = { [RP_SHIP] = W, [RP_REFI] = F },
	[RP_SHIP] = { [RP_DELIV] = S },
	[RP_DELIV] = { [RP_CLO] = A },
	[RP_CLO] = { 0 },
	[RP_REJ] = { [RP_CLO] = A },
	[RP_REFI] = { [RP_CLO] = A },
};

static const char *const rp_names[RP_COUNT] = {
	[RP_NONE] = "none",
	[RP_REQ] = "requested",
	[RP_APP] = "approved",
	[RP_SHIP] = "reshipped",
	[RP_DELIV] = "delivered",
	[RP_CLO] = "closed",
	[RP_REJ] = "rejected",
	[RP_REFI] = "refunded_instead",
};

static const rt_wf_label rp_labels[RP_COUNT] = {
	[RP_REQ] = { "补发申请已提交，等待客服审核", "Reshipment requested – waiting for review" },
	[RP_APP] = { "补发申请已通过，仓库正在安排发货", "Reshipment approved – our warehouse is preparing it" },
	[RP_SHIP] = { "补发包裹已发出，请留意查收", "Your new parcel has been shipped" },
	[RP_DELIV] = { "补发包裹已送达", "Your new parcel has been delivered" },
	[RP_CLO] = { "补发服务已结束", "Reshipment closed" },
	[RP_REJ] = { "补发申请未通过，客服会向您说明原因", "Reshipment not accepted – an agent will explain why" },
	[RP_REFI] = { "商品无法补发，已为您退款，款项将原路退回",
		      "We could not reship your item – refund issued to your original payment method" },
};

static const int rp_steps[RP_COUNT] = {
	[RP_REQ] = 1, [RP_APP] = 2, [RP_SHIP] = 3, [RP_DELIV] = 4, [RP_CLO] = 5,
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

static unsigned ex_actors(int from, int to)
{
	return from >= 0 && from < EX_COUNT && to >= 0 && to < EX_COUNT ? ex_allowed[from][to] : 0;
}

static unsigned rp_actors(int from, int to)
{
	return from >= 0 && from < RP_COUNT && to >= 0 && to < RP_COUNT ? rp_allowed[from][to] : 0;
}

/* One workflow kind: its tables, indexed by state number (0 = none). The
 * return kind points at the return tables above, not at copies. */
struct kind {
	const char *name;     /* "exchange", in messages and rt_wf_kind_name */
	const char *a_name;   /* "an exchange": "... may not move an exchange from ..." */
	int count;            /* states, none included */
	int steps;            /* length of the happy path */
	const char *const *states;
	const rt_wf_label *labels;
	const int *step;
	unsigned (*actors)(int from, int to); /* bounds-checked; 0 = impossible */
};

static const struct kind kinds[RT_WF_KIND_COUNT] = {
	[RT_WF_RETURN] = { "return", "a return", RT_WF_STATE_COUNT, RT_WF_STEPS, state_names, labels, steps,
			   rt_wf_actors },
	[RT_WF_EXCHANGE] = { "exchange", "an exchange", EX_COUNT, 6, ex_names, ex_labels, ex_steps, ex_actors },
	[RT_WF_RESHIP] = { "reship", "a reship", RP_COUNT, 5, rp_names, rp_labels, rp_steps, rp_actors },
};

static const struct kind *kind_of(int kind)
{
	return kind >= RT_WF_RETURN && kind < RT_WF_KIND_COUNT ? &kinds[kind] : NULL;
}

/* The state number of `name` in kind k, case-insensitive; -1 if none. */
static int parse_state(const struct kind *k, const char *name)
{
	if (!name)
		return -1;
	for (int s = 0; s < k->count; s++)
		if (strcasecmp(name, k->states[s]) == 0)
			return s;
	return -1;
}

/* The one check of every kind's table. rt_wf_transition's messages (the
 * return kind) are pinned by tests and read by agents on the timeline. */
static int check(const struct kind *k, int from, int to, int actor, pd_errbuf *eb)
{
	if (from < 0 || from >= k->count)
		return pd_fail(eb, PD_ESTATE, "unknown %s step state %d", k->name, from);
	if (to < 0 || to >= k->count)
		return pd_fail(eb, PD_ESTATE, "unknown %s step state %d", k->name, to);
	if (!valid_actor(actor))
		return pd_fail(eb, PD_EINVAL, "unknown actor %d", actor);
	if (to == 0)
		return pd_fail(eb, PD_ESTATE, "impossible %s step %s -> none: a step must name its state", k->name,
			       k->states[from]);
	if (from == to)
		return PD_OK; /* a repeated report: nothing to record */
	unsigned who = k->actors(from, to);
	if (!who)
		return pd_fail(eb, PD_ESTATE, "impossible %s step %s -> %s", k->name, k->states[from],
			       k->states[to]);
	if (!(who & (1u << actor))) {
		char list[64];
		actor_list(who, list, sizeof(list));
		return pd_fail(eb, PD_EINVAL, "%s may not move %s from %s to %s (allowed: %s)", actor_names[actor],
			       k->a_name, k->states[from], k->states[to], list);
	}
	return PD_OK;
}

int rt_wf_transition(int from, int to, int actor, pd_errbuf *eb)
{
	return check(&kinds[RT_WF_RETURN], from, to, actor, eb);
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

const char *rt_wf_kind_name(int kind)
{
	const struct kind *k = kind_of(kind);
	return k ? k->name : "unknown";
}

int rt_wf_kind_parse(const char *name)
{
	if (!name)
		return -1;
	for (int k = RT_WF_RETURN; k < RT_WF_KIND_COUNT; k++)
		if (strcasecmp(name, kinds[k].name) == 0)
			return k;
	return -1;
}

/* An unknown name in a refusal: quoted and cut short (it may come from a
 * request), "(null)" unquoted. */
static int unknown_state(const struct kind *k, const char *name, pd_errbuf *eb)
{
	if (!name)
		return pd_fail(eb, PD_ESTATE, "unknown %s step state (null)", k->name);
	return pd_fail(eb, PD_ESTATE, "unknown %s step state \"%.40s\"", k->name, name);
}

int rt_wfk_transition(int kind, const char *from, const char *to, int actor, pd_errbuf *eb)
{
	const struct kind *k = kind_of(kind);
	if (!k)
		return pd_fail(eb, PD_EINVAL, "unknown workflow kind %d", kind);
	int f = parse_state(k, from), t = parse_state(k, to);
	if (f < 0)
		return unknown_state(k, from, eb);
	if (t < 0)
		return unknown_state(k, to, eb);
	return check(k, f, t, actor, eb);
}

unsigned rt_wfk_actors(int kind, const char *from, const char *to)
{
	const struct kind *k = kind_of(kind);
	return k ? k->actors(parse_state(k, from), parse_state(k, to)) : 0;
}

int rt_wfk_state_valid(int kind, const char *state)
{
	const struct kind *k = kind_of(kind);
	return k && parse_state(k, state) >= 0;
}

const char *rt_wfk_state_at(int kind, int i)
{
	const struct kind *k = kind_of(kind);
	return k && i >= 0 && i < k->count ? k->states[i] : NULL;
}

const rt_wf_label *rt_wfk_label(int kind, const char *state)
{
	const struct kind *k = kind_of(kind);
	int s = k ? parse_state(k, state) : -1;
	return s > 0 ? &k->labels[s] : NULL;
}

int rt_wfk_step(int kind, const char *state)
{
	const struct kind *k = kind_of(kind);
	int s = k ? parse_state(k, state) : -1;
	return s >= 0 ? k->step[s] : 0;
}

int rt_wfk_steps(int kind)
{
	const struct kind *k = kind_of(kind);
	return k ? k->steps : 0;
}

/* Terminal = nothing leaves it, read off the table so it cannot drift
 * from it (for returns this is rt_wf_is_terminal's closed). */
static int terminal(const struct kind *k, int s)
{
	if (s <= 0 || s >= k->count)
		return 0;
	for (int t = 0; t < k->count; t++)
		if (k->actors(s, t))
			return 0;
	return 1;
}

int rt_wfk_is_terminal(int kind, const char *state)
{
	const struct kind *k = kind_of(kind);
	return k && terminal(k, parse_state(k, state));
}

/* Who owns a step several may take: a department's step opens a task for
 * that group, so the department comes first; then the agent (customer
 * service's turn); the system last (a fact the router waits for). */
static int owner(unsigned who)
{
	static const int order[] = { RT_WF_ACTOR_WAREHOUSE, RT_WF_ACTOR_FINANCE, RT_WF_ACTOR_AGENT,
				     RT_WF_ACTOR_SYSTEM };
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		if (who & (1u << order[i]))
			return order[i];
	return 0;
}

const char *rt_wfk_next(int kind, const char *state, int *actor)
{
	if (actor)
		*actor = 0;
	const struct kind *k = kind_of(kind);
	int s = k ? parse_state(k, state) : -1;
	if (s < 0 || terminal(k, s))
		return NULL;
	/* On the path (none counts as step 0): the state one step further.
	 * Off it: the first exit that is back on it. */
	int want = s == 0 || k->step[s] ? k->step[s] + 1 : 0;
	for (int t = 1; t < k->count; t++) {
		unsigned who = k->actors(s, t);
		if (!who || (want ? k->step[t] != want : k->step[t] == 0))
			continue;
		if (actor)
			*actor = owner(who);
		return k->states[t];
	}
	return NULL;
}
