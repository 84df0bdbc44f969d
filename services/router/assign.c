/* Assignment: who may take a ticket, who of them should, and in what order
 * a group's queue is served. The reasons for each rule are in assign.h and
 * docs/router-decisions.md; the code keeps every comparison exact (load
 * ratios by cross-multiplication, no floating point) so ties are real ties
 * and the tie-breaks decide deterministically. */
#include "assign.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "channel.pb-c.h"
#include "ticket.pb-c.h"

static const char *nz(const char *s)
{
	return s ? s : "";
}

static int has_skill(const rt_agent *a, const char *skill)
{
	if (!skill || !*skill)
		return 1;
	for (size_t i = 0; a->skills && i < a->n_skills; i++)
		if (a->skills[i] && strcmp(a->skills[i], skill) == 0)
			return 1;
	return 0;
}

static int tier_of(int tier)
{
	return tier >= RT_TIER_FRONTLINE && tier <= RT_TIER_SUPERVISOR ? tier : RT_TIER_FRONTLINE;
}

int rt_assign_eligible(const rt_agent *a, const rt_queued *t)
{
	if (!a || !t)
		return 0;
	/* Away agents keep their tickets but take no new ones; offline ones
	 * take nothing (their tickets are requeued by the shell). */
	if (a->presence != PEAKDESK__V1__PRESENCE__PRESENCE_ONLINE)
		return 0;
	/* Capacity may have been lowered below the open count: no room. */
	if (a->capacity <= 0 || a->open < 0 || a->open >= a->capacity)
		return 0;
	if (t->min_tier > 0 && tier_of(a->tier) < t->min_tier)
		return 0;
	return has_skill(a, t->skill);
}

/* <0 when a should get the ticket before b. */
static int agent_cmp(const rt_agent *a, const rt_agent *b)
{
	/* a.open/a.cap vs b.open/b.cap, exact: capacities are > 0 here. */
	int64_t la = (int64_t)a->open * b->capacity;
	int64_t lb = (int64_t)b->open * a->capacity;
	/* Several router partitions (assign.h): in the same tenth of load,
	 * one's own agents first. With none foreign this is the ratio order. */
	if (!a->foreign != !b->foreign) {
		int64_t ta = (int64_t)a->open * 10 / a->capacity, tb = (int64_t)b->open * 10 / b->capacity;
		if (ta != tb)
			return ta < tb ? -1 : 1;
		return a->foreign ? 1 : -1;
	}
	if (la != lb)
		return la < lb ? -1 : 1;
	/* Longest idle first: spreads new chats over people, not just over
	 * capacity, and rewards nobody for clicking "online" first. */
	if (a->idle_since_ms != b->idle_since_ms)
		return a->idle_since_ms < b->idle_since_ms ? -1 : 1;
	return strcmp(nz(a->id), nz(b->id));
}

int rt_assign_pick(const rt_agent *agents, size_t n, const rt_queued *t, size_t *agent_index)
{
	if (!agents || !t)
		return 0;
	size_t best = n;
	for (size_t i = 0; i < n; i++) {
		if (!rt_assign_eligible(&agents[i], t))
			continue;
		if (best == n || agent_cmp(&agents[i], &agents[best]) < 0)
			best = i;
	}
	if (best == n)
		return 0;
	if (agent_index)
		*agent_index = best;
	return 1;
}

static int rank_priority(int p)
{
	return p >= PEAKDESK__V1__PRIORITY__PRIORITY_LOW && p <= PEAKDESK__V1__PRIORITY__PRIORITY_URGENT
		       ? p
		       : PEAKDESK__V1__PRIORITY__PRIORITY_NORMAL;
}

static int64_t rank_deadline(int64_t d)
{
	return d > 0 ? d : INT64_MAX;
}

int rt_queue_cmp(const void *pa, const void *pb)
{
	const rt_queued *a = pa, *b = pb;
	int ra = rank_priority(a->priority), rb = rank_priority(b->priority);
	if (ra != rb)
		return ra > rb ? -1 : 1;
	/* Same priority: whoever breaches first is served first. */
	int64_t da = rank_deadline(a->deadline_ms), db = rank_deadline(b->deadline_ms);
	if (da != db)
		return da < db ? -1 : 1;
	if (a->created_at_ms != b->created_at_ms)
		return a->created_at_ms < b->created_at_ms ? -1 : 1;
	return strcmp(nz(a->id), nz(b->id));
}

size_t rt_assign_queue(rt_queued *queue, size_t nq, rt_agent *agents, size_t na, int64_t now_ms,
		       rt_assignment *out, size_t max_out)
{
	if (!queue || nq == 0 || !agents || na == 0 || !out || max_out == 0)
		return 0;
	qsort(queue, nq, sizeof(*queue), rt_queue_cmp);
	size_t n = 0;
	for (size_t i = 0; i < nq && n < max_out; i++) {
		size_t a;
		if (!rt_assign_pick(agents, na, &queue[i], &a))
			continue;
		agents[a].open++;
		agents[a].idle_since_ms = now_ms;
		out[n++] = (rt_assignment){ .ticket = i, .agent = a };
	}
	return n;
}

static const char *const presence_names[] = {
	[PEAKDESK__V1__PRESENCE__PRESENCE_UNSPECIFIED] = "unspecified",
	[PEAKDESK__V1__PRESENCE__PRESENCE_ONLINE] = "online",
	[PEAKDESK__V1__PRESENCE__PRESENCE_AWAY] = "away",
	[PEAKDESK__V1__PRESENCE__PRESENCE_OFFLINE] = "offline",
};

int rt_presence_parse(const char *name)
{
	if (!name)
		return -1;
	for (int p = PEAKDESK__V1__PRESENCE__PRESENCE_ONLINE; p < (int)PD_ARRAY_LEN(presence_names); p++)
		if (strcasecmp(name, presence_names[p]) == 0)
			return p;
	return -1;
}

const char *rt_presence_name(int presence)
{
	return presence >= 0 && presence < (int)PD_ARRAY_LEN(presence_names) ? presence_names[presence]
									       : "unknown";
}
