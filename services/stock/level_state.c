/* Stock level transitions; see level_state.h for the rules. */
#include "level_state.h"

#include <string.h>

static int64_t threshold_of(const st_level_report *r)
{
	return r->threshold > 0 ? r->threshold : r->sell_through;
}

int st_level_wants_sell_through(const st_level_state *prev, const st_level_report *r)
{
	(void)prev;
	/* also while warned: re-arming needs the threshold too */
	return r->threshold <= 0 && r->available > 0;
}

void st_level_decide(const st_level_state *prev, const st_level_report *r, st_level_decision *d)
{
	memset(d, 0, sizeof(*d));
	d->next = *prev;
	d->next.exists = 1;
	d->next.available = r->available;
	d->next.restock_eta_ms = r->restock_eta_ms;

	if (r->available <= 0) {
		if (!prev->shortage_open) {
			d->shortage = 1;
			d->next.shortage_open = 1;
			d->next.episodes = prev->episodes + 1;
		} else if (r->restock_eta_ms > prev->restock_eta_ms) {
			/* later than promised, or known for the first time: the
			 * customers told "restock on X" must hear the new date.
			 * An earlier ETA is good news the restock itself brings. */
			d->eta_update = 1;
		}
		/* a new dip after this episode may warn again */
		d->next.low_warned = 0;
		return;
	}
	if (prev->shortage_open) {
		d->restocked = 1;
		d->next.shortage_open = 0;
	}
	int64_t t = threshold_of(r);
	if (t > 0 && r->available <= t) {
		if (!prev->low_warned && !prev->shortage_open) {
			d->low_warning = 1;
			d->next.low_warned = 1;
		}
		/* a restock that lands below the threshold counts as warned: the
		 * restock event already tells agents how many are left */
		if (prev->shortage_open)
			d->next.low_warned = 1;
	} else {
		d->next.low_warned = 0;
	}
}
