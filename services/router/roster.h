/* The agents who can take tickets, as one writer transaction sees them:
 * a group's online agents with room are read the first time the
 * transaction assigns a ticket of that group and kept for the rest of it,
 * and every assignment made meanwhile is added to the copy. So a batch of
 * hundreds of new tickets reads each group once instead of running the
 * candidate query per ticket (it was a third of the router's database
 * time).
 *
 * The copy only chooses; it never grants. The chosen agent's row is still
 * locked and re-checked (online, room) by the UPDATE that takes the
 * place, so another router instance's assignments, or a presence change
 * committed since the read, can cost the pick (the next best is tried,
 * rt_roster_full), never over-fill an agent. Events that change agents in
 * this transaction (commands, recovery) call rt_roster_forget first.
 *
 * One copy per process: the router applies everything on its single
 * writer thread. */
#ifndef RT_ROSTER_H
#define RT_ROSTER_H

#include <stddef.h>

#include "assign.h"
#include "bus.h"
#include "partition.h"

/* This instance's partition: an agent another partition prefers is
 * marked foreign (assign.h). Call once at start. */
void rt_roster_partition(rt_partition p);
/* The online agents with room of group ("" = every agent), for rt_assign_pick:
 * *agents stays valid until the next rt_roster_* call. */
int rt_roster_group(pd_txn *tx, const char *group, rt_agent **agents, size_t *n, pd_errbuf *eb);
/* Agent id took a ticket at now_ms: one more open, idle from now, in every
 * group's copy. */
void rt_roster_took(const char *id, int64_t now_ms);
/* Agent id turned out to be full or gone under the lock: no room in any copy. */
void rt_roster_full(const char *id);
/* Drops the copy: the next assignment reads again. */
void rt_roster_forget(void);

#endif
