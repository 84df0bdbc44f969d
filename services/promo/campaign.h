/* Campaigns as operations send them (pure logic): what makes one valid,
 * whether it is live at a moment, and exactly what changed between two
 * versions of it — the changed_fields of promo.campaign_updated. */
#ifndef PM_CAMPAIGN_H
#define PM_CAMPAIGN_H

#include <stddef.h>
#include <stdint.h>

#include "pd.h"
#include "promo.pb-c.h"

#define PM_MAX_ID 128
#define PM_MAX_RULES 500
#define PM_MAX_RULE_TEXT 4000

/* PD_OK or PD_EINVAL with a reason naming the field: ids, windows that end
 * before they start or repeat a kind, channels, rule ids unique, amounts
 * and percentages in range, SLA override minutes in range. */
int pm_campaign_check(const Peakdesk__V1__Campaign *c, pd_errbuf *eb);

/* 1 when now_ms falls inside one of the campaign's windows. */
int pm_campaign_live(const Peakdesk__V1__Campaign *c, int64_t now_ms);

/* The window kind's name as stored and shown: presale, deposit,
 * final_payment, main_day ("" for unspecified). */
const char *pm_window_name(int kind);

/* The fields that differ between old (NULL: a new campaign) and new:
 * "created", "name", "windows.<kind>" for each window added, moved or
 * removed, "channels", "rules.<rule_id>" for each rule added, changed or
 * removed, "sla_overrides". */
typedef struct pm_changes {
	char **fields;
	size_t n, cap;
} pm_changes;

void pm_campaign_diff(const Peakdesk__V1__Campaign *old, const Peakdesk__V1__Campaign *next, pm_changes *out);
void pm_changes_free(pm_changes *c);

#endif
