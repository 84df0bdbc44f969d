/* The agents a writer transaction may assign to, read once per group (see
 * roster.h for why, and why a stale copy can never over-fill an agent). */
#include "roster.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "channel.pb-c.h"
#include "ids.h"

struct group_copy {
	char *name;       /* the group; "" = every agent */
	PGresult *rows;   /* holds the ids */
	rt_agent *agents; /* skills point at name */
	size_t n;
};

/* The copy of the transaction numbered serial (pd_txn_serial). */
static struct {
	rt_partition partition;
	uint64_t serial;
	struct group_copy **groups;
	size_t n, cap;
} g;

void rt_roster_partition(rt_partition p)
{
	g.partition = p;
}

void rt_roster_forget(void)
{
	for (size_t i = 0; i < g.n; i++) {
		PQclear(g.groups[i]->rows);
		free(g.groups[i]->agents);
		free(g.groups[i]->name);
		free(g.groups[i]);
	}
	g.n = 0;
}

/* Reads the group's online agents with room. Tier and the choice among
 * them are rt_assign_pick's. */
static int load(pd_txn *tx, const char *group, struct group_copy **out, pd_errbuf *eb)
{
	int err;
#define ROSTER(group_filter)                                                                              \
	"SELECT agent_id, tier, capacity, (date_part('epoch', idle_since) * 1000)::bigint, open_tickets "      \
	"FROM router.agents WHERE presence = 'online' AND open_tickets < capacity " group_filter
	/* A group's agents through the GIN index on groups (032); a ticket
	 * routed to no group may go to anyone. */
	PGresult *r = *group ? pd_txn_query(tx, ROSTER("AND groups @> ARRAY[$1::text]"), 1, (const char *[]){group},
					    &err, eb)
			     : pd_txn_query(tx, ROSTER(""), 0, NULL, &err, eb);
#undef ROSTER
	if (!r)
		return err;
	struct group_copy *c = pd_xcalloc(1, sizeof(*c));
	c->name = pd_xstrdup(group);
	c->rows = r;
	c->n = (size_t)PQntuples(r);
	c->agents = pd_xcalloc(c->n + 1, sizeof(*c->agents));
	for (size_t i = 0; i < c->n; i++) {
		rt_agent *a = &c->agents[i];
		a->id = PQgetvalue(r, (int)i, 0);
		a->tier = rt_tier_parse(PQgetvalue(r, (int)i, 1));
		a->capacity = atoi(PQgetvalue(r, (int)i, 2));
		a->idle_since_ms = strtoll(PQgetvalue(r, (int)i, 3), NULL, 10);
		a->open = atoi(PQgetvalue(r, (int)i, 4));
		a->skills = (const char *const *)&c->name; /* filtered by the group above */
		a->n_skills = *group ? 1 : 0;
		a->presence = PEAKDESK__V1__PRESENCE__PRESENCE_ONLINE;
		a->foreign = g.partition.count > 1 &&
			     rt_partition_of(a->id, "", g.partition.count) != g.partition.index;
	}
	*out = c;
	return PD_OK;
}

/* The transaction's copy of group's agents, read on first use. */
static int copy_of(pd_txn *tx, const char *group, struct group_copy **out, pd_errbuf *eb)
{
	if (g.serial != pd_txn_serial(tx)) {
		rt_roster_forget();
		g.serial = pd_txn_serial(tx);
	}
	for (size_t i = 0; i < g.n; i++)
		if (strcmp(g.groups[i]->name, group) == 0) {
			*out = g.groups[i];
			return PD_OK;
		}
	int rc = load(tx, group, out, eb);
	if (rc != PD_OK)
		return rc;
	if (g.n == g.cap) {
		g.cap = g.cap ? 2 * g.cap : 8;
		g.groups = pd_xrealloc(g.groups, g.cap * sizeof(*g.groups));
	}
	g.groups[g.n++] = *out;
	return PD_OK;
}

/* Applies fn to the agent in every group's copy (an agent may work in
 * several groups). */
static void each_copy(const char *id, void (*fn)(rt_agent *a, int64_t now_ms), int64_t now_ms)
{
	for (size_t i = 0; i < g.n; i++)
		for (size_t k = 0; k < g.groups[i]->n; k++)
			if (strcmp(g.groups[i]->agents[k].id, id) == 0)
				fn(&g.groups[i]->agents[k], now_ms);
}

static void took(rt_agent *a, int64_t now_ms)
{
	a->open++;
	a->idle_since_ms = now_ms;
}

static void full(rt_agent *a, int64_t now_ms)
{
	(void)now_ms;
	a->open = a->capacity;
}

enum { TAKEN, NO_ROOM, HELD };

/* Locks the agent's row and checks under the lock that they are online
 * with room; with skip_held a row another transaction holds is not waited
 * for (HELD). On TAKEN the place is ours (their idle time restarts now;
 * the open count moves by trigger when the ticket is written). */
static int lock_agent(pd_txn *tx, const char *id, int skip_held, int *outcome, pd_errbuf *eb)
{
	int err;
#define LOCK(mode) "SELECT presence = 'online' AND open_tickets < capacity FROM router.agents WHERE agent_id = $1 " mode
	PGresult *r = pd_txn_query(tx, skip_held ? LOCK("FOR UPDATE SKIP LOCKED") : LOCK("FOR UPDATE"), 1,
				   (const char *[]){id}, &err, eb);
#undef LOCK
	if (!r)
		return err;
	*outcome = PQntuples(r) == 0 ? (skip_held ? HELD : NO_ROOM) : PQgetvalue(r, 0, 0)[0] == 't' ? TAKEN : NO_ROOM;
	PQclear(r);
	if (*outcome != TAKEN)
		return PD_OK;
	return pd_txn_exec(tx, "UPDATE router.agents SET idle_since = now() WHERE agent_id = $1", 1,
			   (const char *[]){id}, eb);
}

int rt_roster_take(pd_txn *tx, const char *group, const rt_queued *t, char *agent, size_t len, pd_errbuf *eb)
{
	agent[0] = 0;
	struct group_copy *c = NULL;
	int rc = copy_of(tx, group, &c, eb);
	/* Agents passed over because another transaction held them: set
	 * away in the copy while this ticket is placed, then restored. */
	size_t held[8], n_held = 0, pick;
	int skip_held = 1;
	while (rc == PD_OK && !agent[0]) {
		if (rt_assign_pick(c->agents, c->n, t, &pick) != 1) {
			if (!skip_held || n_held == 0)
				break; /* nobody has room: the ticket waits in the queue */
			/* everyone with room is being assigned elsewhere: wait for
			 * the best of them after all */
			for (size_t i = 0; i < n_held; i++)
				c->agents[held[i]].presence = PEAKDESK__V1__PRESENCE__PRESENCE_ONLINE;
			n_held = 0;
			skip_held = 0;
			continue;
		}
		int outcome;
		rc = lock_agent(tx, c->agents[pick].id, skip_held, &outcome, eb);
		if (rc != PD_OK)
			break;
		if (outcome == TAKEN) {
			snprintf(agent, len, "%s", c->agents[pick].id);
			each_copy(agent, took, pd_now_ms());
		} else if (outcome == NO_ROOM) {
			each_copy(c->agents[pick].id, full, 0); /* full or gone since the read */
		} else {
			c->agents[pick].presence = PEAKDESK__V1__PRESENCE__PRESENCE_AWAY;
			held[n_held++] = pick;
			if (n_held == PD_ARRAY_LEN(held))
				skip_held = 0; /* passed over enough: wait for the next best */
		}
	}
	for (size_t i = 0; i < n_held; i++)
		c->agents[held[i]].presence = PEAKDESK__V1__PRESENCE__PRESENCE_ONLINE;
	return rc;
}
