/* Router instances sharing the work (partition.c; pure). Every instance
 * of a partitioned router consumes every event and applies only its own
 * share: a customer's messages by their channel identity, an agent's
 * command by the ticket it names, everything else (department events,
 * presence, recovery tickets) by partition 0. So one customer's messages
 * are always handled by one instance, in order. */
#ifndef RT_PARTITION_H
#define RT_PARTITION_H

#include "bus.pb-c.h"
#include "pd.h"

typedef struct rt_partition {
	int index; /* 0 .. count-1 */
	int count; /* instances sharing the work; 1 = not partitioned */
} rt_partition;

/* "K/N" (0 <= K < N <= 1024): this instance is partition K of N. "" means
 * 0/1. PD_OK or PD_EINVAL with a reason. */
int rt_partition_parse(const char *spec, rt_partition *out, pd_errbuf *eb);

/* The partition of a key (FNV-1a of a, a separator, b) among count. */
int rt_partition_of(const char *a, const char *b, int count);

/* 1 when this instance applies env. */
int rt_partition_owns(const rt_partition *p, const Peakdesk__V1__Envelope *env);

#endif
