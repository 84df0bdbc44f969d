/* The agents a writer transaction may assign to, read once per group (see
 * roster.h for why, and why a stale copy can never over-fill an agent). */
#include "roster.h"

#include <stdlib.h>
#include <string.h>

#include "channel.pb-c.h"

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

int rt_roster_group(pd_txn *tx, const char *group, rt_agent **agents, size_t *n, pd_errbuf *eb)
{
	if (g.serial != pd_txn_serial(tx)) {
		rt_roster_forget();
		g.serial = pd_txn_serial(tx);
	}
	struct group_copy *c = NULL;
	for (size_t i = 0; i < g.n && !c; i++)
		if (strcmp(g.groups[i]->name, group) == 0)
			c = g.groups[i];
	if (!c) {
		int rc = load(tx, group, &c, eb);
		if (rc != PD_OK)
			return rc;
		if (g.n == g.cap) {
			g.cap = g.cap ? 2 * g.cap : 8;
			g.groups = pd_xrealloc(g.groups, g.cap * sizeof(*g.groups));
		}
		g.groups[g.n++] = c;
	}
	*agents = c->agents;
	*n = c->n;
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

void rt_roster_took(const char *id, int64_t now_ms)
{
	each_copy(id, took, now_ms);
}

void rt_roster_full(const char *id)
{
	each_copy(id, full, 0);
}
