/* Skills- and capacity-based assignment of tickets to agents, and the
 * order of a group's queue (pure logic, no I/O).
 *
 * An agent can take a ticket when they are online, have the ticket's skill
 * (the group it is routed to, matching router.agents.groups), are at or
 * above the tier the ticket needs (after an escalation), and have free
 * capacity (open < capacity). Among those the least loaded by RATIO
 * open/capacity wins, then the one idle longest (oldest idle_since), then
 * the smallest id. Why the ratio and not the absolute count: capacities
 * differ (a senior takes 8 chats, a trainee 3); by count, a trainee with 2
 * of 3 would be chosen over a senior with 3 of 8 and be filled to the brim
 * while the senior has room. The ratio spreads work by headroom.
 *
 * Several router partitions share the agents: each marks the others'
 * share `foreign` (roster.c, by a hash of the agent id) and takes, among
 * agents in the same tenth of load (open * 10 / capacity), its own share
 * first. The agent a partition picks stays locked until its transaction
 * commits, so two partitions picking the same least-loaded agent wait on
 * each other, and deadlock when their picks cross (measured: 2 partitions
 * of 1,000 agents spent 3.8 ms per pick waiting). Within a tenth of load
 * the choice is still by ratio, so no agent is filled past the others by
 * more than that; with one instance nothing is foreign and the order is
 * exactly the ratio's.
 *
 * When nobody can take a ticket it waits in its group's queue, ordered by
 * priority (highest first), then SLA deadline (earliest first, none last),
 * then creation time, then id. rt_assign_queue assigns queued tickets in
 * that order as far as capacity allows; the shell calls it whenever
 * capacity frees (a ticket resolved or transferred away, an agent coming
 * online or raising their capacity), which is "assigned the moment
 * capacity frees".
 *
 * Pure and thread-safe; nothing is allocated. */
#ifndef RT_ASSIGN_H
#define RT_ASSIGN_H

#include <stddef.h>
#include <stdint.h>

#include "pd.h"
#include "sla.h" /* enum rt_tier */

typedef struct rt_agent {
	const char *id;            /* borrowed; unique; the last tie-break (bytewise) */
	int tier;                  /* enum rt_tier (0 counts as frontline) */
	const char *const *skills; /* borrowed: group names the agent works in */
	size_t n_skills;
	int presence;              /* Peakdesk__V1__Presence: only ONLINE takes new tickets */
	int32_t capacity;          /* max concurrent tickets (router.agents.capacity) */
	int32_t open;              /* tickets assigned now */
	int64_t idle_since_ms;     /* last assignment (or coming online); smaller = idle longer */
	int foreign;               /* 1: another router partition's to prefer (see agent order) */
} rt_agent;

typedef struct rt_queued {
	const char *id;            /* borrowed; ticket id, the last tie-break */
	const char *skill;         /* group it is routed to; NULL or "" = any agent */
	int min_tier;              /* enum rt_tier it needs; 0 = any */
	int priority;              /* Peakdesk__V1__Priority; UNSPECIFIED ranks as NORMAL */
	int64_t deadline_ms;       /* earliest running SLA deadline; <= 0 or INT64_MAX = none */
	int64_t created_at_ms;
} rt_queued;

/* 1 when `a` may take `t` now (online, skill, tier, free capacity), else 0. */
int rt_assign_eligible(const rt_agent *a, const rt_queued *t);

/* Picks the agent for t among agents[0..n) by the rule above. Returns 1 and
 * the index in *agent_index, or 0 when nobody can take it (the ticket
 * queues). NULL arguments count as nobody. */
int rt_assign_pick(const rt_agent *agents, size_t n, const rt_queued *t, size_t *agent_index);

/* qsort comparator over rt_queued: priority desc, deadline asc (none
 * last), created asc, id asc (NULL as ""). A total order for distinct ids. */
int rt_queue_cmp(const void *a, const void *b);

typedef struct rt_assignment {
	size_t ticket; /* index into the (sorted) queue */
	size_t agent;  /* index into agents */
} rt_assignment;

/* Sorts queue[0..nq) in place with rt_queue_cmp, then walks it in order
 * and assigns each ticket someone can take (rt_assign_pick), updating that
 * agent's open (+1) and idle_since_ms (= now_ms) in place so the next pick
 * sees the new load; the shell writes both back. A ticket nobody can take
 * is skipped and stays queued; that cannot let a later ticket take a place
 * it needed, because load only grows during the walk. Stops when out
 * (room for max_out) is full. Returns the number of assignments written. */
size_t rt_assign_queue(rt_queued *queue, size_t nq, rt_agent *agents, size_t na, int64_t now_ms,
		       rt_assignment *out, size_t max_out);

/* "online", "away", "offline" (router.agents.presence) to
 * Peakdesk__V1__Presence, case-insensitive; -1 for NULL or anything else. */
int rt_presence_parse(const char *name);
/* Inverse; "unspecified" for 0, "unknown" outside. */
const char *rt_presence_name(int presence);

#endif
