/* Which router instance applies an event (see partition.h). The hash is
 * fixed (FNV-1a, 32 bit) so every instance, and every release, computes
 * the same owner for a key. */
#include "partition.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int rt_partition_parse(const char *spec, rt_partition *out, pd_errbuf *eb)
{
	*out = (rt_partition){0, 1};
	if (!spec || !*spec)
		return PD_OK;
	char *end;
	long k = strtol(spec, &end, 10);
	if (end == spec || *end != '/')
		return pd_fail(eb, PD_EINVAL, "partition \"%s\" is not K/N (e.g. 0/2)", spec);
	const char *n_text = end + 1;
	long n = strtol(n_text, &end, 10);
	if (end == n_text || *end)
		return pd_fail(eb, PD_EINVAL, "partition \"%s\" is not K/N (e.g. 0/2)", spec);
	if (n < 1 || n > 1024 || k < 0 || k >= n)
		return pd_fail(eb, PD_EINVAL, "partition \"%s\": need 0 <= K < N <= 1024", spec);
	*out = (rt_partition){(int)k, (int)n};
	return PD_OK;
}

static uint32_t fnv1a(uint32_t h, const char *s)
{
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

int rt_partition_of(const char *a, const char *b, int count)
{
	if (count <= 1)
		return 0;
	uint32_t h = fnv1a(2166136261u, a ? a : "");
	h = (h ^ 0x1f) * 16777619u; /* ("ab", "c") and ("a", "bc") differ */
	h = fnv1a(h, b ? b : "");
	return (int)(h % (uint32_t)count);
}

int rt_partition_owns(const rt_partition *p, const Peakdesk__V1__Envelope *env)
{
	if (p->count <= 1)
		return 1;
	int owner = 0;
	if (env->body_case == PEAKDESK__V1__ENVELOPE__BODY_CUSTOMER_MESSAGE)
		owner = rt_partition_of(env->customer_message->account, env->customer_message->external_user_id, p->count);
	else if (env->body_case == PEAKDESK__V1__ENVELOPE__BODY_AGENT_COMMAND && *env->agent_command->ticket_public_id)
		owner = rt_partition_of(env->agent_command->ticket_public_id, "", p->count);
	return owner == p->index;
}
