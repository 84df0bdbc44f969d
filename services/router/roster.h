/* The agents who can take tickets, as one writer transaction sees them:
 * a group's online agents with room are read the first time the
 * transaction assigns a ticket of that group and kept for the rest of it,
 * and every assignment made meanwhile is added to the copy. So a batch of
 * hundreds of new tickets reads each group once instead of running the
 * candidate query per ticket (it was a third of the router's database
 * time).
 *
 * The copy only chooses; it never grants. The chosen agent's row is still
 * locked and re-checked (online, room), so another router instance's
 * assignments, or a presence change committed since the read, can cost
 * the pick (the next best is tried), never over-fill an agent. Events
 * that change agents in this transaction (commands, recovery) call
 * rt_roster_forget first.
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
/* Takes a place for ticket t with the best agent of group ("" = any
 * agent) by rt_assign_pick on the copy, and puts their id in agent ("" when
 * nobody has room: the ticket waits in the queue). The agent's row is
 * locked and re-checked under the lock. A row another transaction holds
 * (another partition assigning to that agent right now) is passed over
 * for the next best instead of waited for: waiting would last until that
 * transaction commits, and two partitions waiting on each other's agents
 * deadlock. Only when everyone with room is held (or 8 were passed over)
 * is the best of them waited for. */
int rt_roster_take(pd_txn *tx, const char *group, const rt_queued *t, char *agent, size_t len, pd_errbuf *eb);
/* Drops the copy: the next assignment reads again. */
void rt_roster_forget(void);

#endif
