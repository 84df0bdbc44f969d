/* PEAKDESK_PROMO_GROUP_SHARES: "presale:0.3,order:0.3,after-sale:0.4". */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "promo.h"

int pm_parse_shares(pm_context *ctx, const char *spec, pd_errbuf *eb)
{
	pm_forecast_params *p = &ctx->configured;
	p->n_groups = 0;
	const char *s = spec;
	while (*s) {
		const char *colon = strchr(s, ':');
		const char *end = strchr(s, ',');
		if (!end)
			end = s + strlen(s);
		if (!colon || colon > end || colon == s)
			return pd_fail(eb, PD_EINVAL, "group shares: expected NAME:SHARE[,NAME:SHARE...], got \"%.64s\"", s);
		if (p->n_groups == PM_FORECAST_MAX_GROUPS)
			return pd_fail(eb, PD_EINVAL, "group shares: at most %d groups", PM_FORECAST_MAX_GROUPS);
		size_t len = (size_t)(colon - s);
		if (len > PM_FORECAST_GROUP_NAME_MAX)
			return pd_fail(eb, PD_EINVAL, "group shares: a group name is longer than %d bytes",
				       PM_FORECAST_GROUP_NAME_MAX);
		char *name = ctx->group_names[p->n_groups];
		memcpy(name, s, len);
		name[len] = 0;
		char *num_end;
		errno = 0;
		double share = strtod(colon + 1, &num_end);
		if (errno || num_end != end || !isfinite(share) || share < 0 || share > 1)
			return pd_fail(eb, PD_EINVAL, "group shares: the share of %s must be a number 0..1", name);
		p->groups[p->n_groups].name = name;
		p->groups[p->n_groups].share = share;
		p->n_groups++;
		s = *end ? end + 1 : end;
	}
	double sum = 0;
	for (size_t g = 0; g < p->n_groups; g++)
		sum += p->groups[g].share;
	if (p->n_groups && fabs(sum - 1.0) > PM_FORECAST_SHARE_EPS)
		return pd_fail(eb, PD_EINVAL, "group shares must sum to 1, they sum to %g", sum);
	return PD_OK;
}
