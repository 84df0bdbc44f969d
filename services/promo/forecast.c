/* Hourly staffing forecast: validation of a campaign's targets and the
 * per-hour, per-group Erlang C sizing. The modelling choices are in
 * forecast.h; this file keeps the checks in one place (pm_forecast_compute
 * runs exactly pm_forecast_check's) so that an accepted input always
 * forecasts, and computes each hour's load by one function so the traffic
 * bound checked is the traffic sized. */
#include "forecast.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "erlang_c.h"

#define HOUR_MS 3600000
#define MAX_RATE 50.0
#define MIN_AHT 1.0
#define MAX_AHT 7200.0
#define MAX_CONCURRENCY 20
#define MIN_TARGET 1.0
#define MAX_TARGET 3600.0

/* ---- one hour's load --------------------------------------------------- */

typedef struct hour_load {
	double orders;        /* gmv / aov */
	double consultations; /* orders x rate */
} hour_load;

static hour_load load_of(const pm_forecast_params *p, const pm_target_hour *h)
{
	hour_load l;
	l.orders = (double)h->gmv_cents / (double)h->avg_order_value_cents;
	l.consultations = l.orders * p->consultation_rate;
	return l;
}

/* Erlangs of chat slots that `consultations` an hour offer. */
static double erlangs(const pm_forecast_params *p, double consultations)
{
	return consultations / 3600.0 * p->avg_handle_seconds;
}

/* ---- checks ------------------------------------------------------------ */

static int check_params(const pm_forecast_params *p, pd_errbuf *eb)
{
	if (!p)
		return pd_fail(eb, PD_EINVAL, "forecast params missing");
	/* Written as !(in range) so that NaN fails too. */
	if (!(p->consultation_rate > 0 && p->consultation_rate <= MAX_RATE))
		return pd_fail(eb, PD_EINVAL, "consultation_rate %g: must be > 0 and <= %g",
			       p->consultation_rate, MAX_RATE);
	if (!(p->avg_handle_seconds >= MIN_AHT && p->avg_handle_seconds <= MAX_AHT))
		return pd_fail(eb, PD_EINVAL, "avg_handle_seconds %g: must be %g..%g",
			       p->avg_handle_seconds, MIN_AHT, MAX_AHT);
	if (p->chat_concurrency < 1 || p->chat_concurrency > MAX_CONCURRENCY)
		return pd_fail(eb, PD_EINVAL, "chat_concurrency %d: must be 1..%d",
			       p->chat_concurrency, MAX_CONCURRENCY);
	if (!(p->target_answer_seconds >= MIN_TARGET && p->target_answer_seconds <= MAX_TARGET))
		return pd_fail(eb, PD_EINVAL, "target_answer_seconds %g: must be %g..%g",
			       p->target_answer_seconds, MIN_TARGET, MAX_TARGET);
	if (!(p->service_level_goal > 0 && p->service_level_goal < 1))
		return pd_fail(eb, PD_EINVAL,
			       "service_level_goal %g: must be > 0 and < 1 (0.80 for 80%%)",
			       p->service_level_goal);
	if (p->n_groups > PM_FORECAST_MAX_GROUPS)
		return pd_fail(eb, PD_EINVAL, "n_groups %zu: at most %d groups", p->n_groups,
			       PM_FORECAST_MAX_GROUPS);

	double sum = 0;
	for (size_t g = 0; g < p->n_groups; g++) {
		const pm_forecast_group *gr = &p->groups[g];
		if (!gr->name || !gr->name[0])
			return pd_fail(eb, PD_EINVAL,
				       "groups[%zu].name: missing (\"\" is the pooled row's name)", g);
		if (strnlen(gr->name, PM_FORECAST_GROUP_NAME_MAX + 1) > PM_FORECAST_GROUP_NAME_MAX)
			return pd_fail(eb, PD_EINVAL, "groups[%zu].name: longer than %d bytes", g,
				       PM_FORECAST_GROUP_NAME_MAX);
		for (size_t e = 0; e < g; e++)
			if (strcmp(p->groups[e].name, gr->name) == 0)
				return pd_fail(eb, PD_EINVAL,
					       "groups[%zu].name \"%s\": already groups[%zu]'s", g,
					       gr->name, e);
		if (!(gr->share >= 0 && gr->share <= 1))
			return pd_fail(eb, PD_EINVAL, "groups[%zu].share %g (\"%s\"): must be 0..1", g,
				       gr->share, gr->name);
		sum += gr->share;
	}
	if (p->n_groups > 0 && fabs(sum - 1.0) > PM_FORECAST_SHARE_EPS)
		return pd_fail(eb, PD_EINVAL, "groups: shares sum to %.9g, not 1", sum);
	return PD_OK;
}

static int check_hour(const pm_forecast_params *p, const pm_target_hour *h, size_t i,
		      pd_errbuf *eb)
{
	if (h->hour_start_ms % HOUR_MS != 0)
		return pd_fail(eb, PD_EINVAL, "hours[%zu].hour_start_ms %lld: not at the top of an hour",
			       i, (long long)h->hour_start_ms);
	if (h->gmv_cents < 0)
		return pd_fail(eb, PD_EINVAL, "hours[%zu].gmv_cents %lld: must be >= 0", i,
			       (long long)h->gmv_cents);
	if (h->avg_order_value_cents <= 0)
		return pd_fail(eb, PD_EINVAL, "hours[%zu].avg_order_value_cents %lld: must be > 0", i,
			       (long long)h->avg_order_value_cents);
	double a = erlangs(p, load_of(p, h).consultations);
	if (a > PM_FORECAST_MAX_ERLANGS)
		return pd_fail(eb, PD_EINVAL,
			       "hours[%zu]: pooled traffic %.1f erlangs above %.0f "
			       "(gmv_cents / avg_order_value_cents x consultation_rate x "
			       "avg_handle_seconds / 3600): check gmv and aov",
			       i, a, PM_FORECAST_MAX_ERLANGS);
	return PD_OK;
}

typedef struct hour_ref {
	int64_t hour;
	size_t idx;
} hour_ref;

static int cmp_hour_ref(const void *a, const void *b)
{
	const hour_ref *x = a, *y = b;
	if (x->hour != y->hour)
		return x->hour < y->hour ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* The hours in time order, refusing duplicates. *order gets NULL when the
 * input is already strictly increasing (the usual case: no allocation),
 * else a sorted array of n refs the caller frees. */
static int hour_order(const pm_target_hour *h, size_t n, hour_ref **order, pd_errbuf *eb)
{
	*order = NULL;
	size_t i = 1;
	while (i < n && h[i - 1].hour_start_ms < h[i].hour_start_ms)
		i++;
	if (i >= n)
		return PD_OK;

	hour_ref *r = malloc(n * sizeof(*r));
	if (!r)
		return pd_fail(eb, PD_ENOMEM, "no memory to order %zu hours", n);
	for (size_t k = 0; k < n; k++)
		r[k] = (hour_ref){ .hour = h[k].hour_start_ms, .idx = k };
	qsort(r, n, sizeof(*r), cmp_hour_ref);
	for (size_t k = 1; k < n; k++)
		if (r[k - 1].hour == r[k].hour) {
			int rc = pd_fail(eb, PD_EINVAL, "hours[%zu] and hours[%zu]: both start at %lld",
					 r[k - 1].idx, r[k].idx, (long long)r[k].hour);
			free(r);
			return rc;
		}
	*order = r;
	return PD_OK;
}

/* pm_forecast_check, keeping the time order for pm_forecast_compute. */
static int check_all(const pm_forecast_params *p, const pm_target_hour *h, size_t n,
		     hour_ref **order, pd_errbuf *eb)
{
	*order = NULL;
	int rc = check_params(p, eb);
	if (rc != PD_OK)
		return rc;
	if (n > PM_FORECAST_MAX_HOURS)
		return pd_fail(eb, PD_EINVAL, "%zu hours: at most %d (400 days)", n,
			       PM_FORECAST_MAX_HOURS);
	if (n > 0 && !h)
		return pd_fail(eb, PD_EINVAL, "%zu hours but no array", n);
	for (size_t i = 0; i < n; i++)
		if ((rc = check_hour(p, &h[i], i, eb)) != PD_OK)
			return rc;
	return hour_order(h, n, order, eb);
}

int pm_forecast_check(const pm_forecast_params *p, const pm_target_hour *h, size_t n,
		      pd_errbuf *eb)
{
	hour_ref *order;
	int rc = check_all(p, h, n, &order, eb);
	free(order);
	return rc;
}

/* ---- forecast ---------------------------------------------------------- */

size_t pm_forecast_rows(const pm_forecast_params *p, size_t n_hours)
{
	size_t per_hour = 1 + (p ? p->n_groups : 0);
	return n_hours > SIZE_MAX / per_hour ? SIZE_MAX : n_hours * per_hour;
}

/* Sizes one queue into r (consultations already set). */
static int size_queue(const pm_forecast_params *p, pm_forecast_row *r, pd_errbuf *eb)
{
	double a = erlangs(p, r->expected_consultations);
	int slots = pm_erlang_servers_needed(a, p->avg_handle_seconds, p->target_answer_seconds,
					     p->service_level_goal, PM_FORECAST_MAX_SLOTS);
	if (slots < 0) /* cannot happen below PM_FORECAST_MAX_ERLANGS; kept as a guard */
		return pd_fail(eb, PD_ETOOBIG,
			       "hour %lld group \"%s\": %.1f erlangs need more than %d chat slots",
			       (long long)r->hour_start_ms, r->group, a, PM_FORECAST_MAX_SLOTS);
	r->agents_needed = (slots + p->chat_concurrency - 1) / p->chat_concurrency;
	r->service_level = pm_erlang_service_level(slots, a, p->avg_handle_seconds,
						   p->target_answer_seconds);
	return PD_OK;
}

int pm_forecast_compute(const pm_forecast_params *p, const pm_target_hour *h, size_t n,
			pm_forecast_row *out, size_t out_cap, size_t *n_out, pd_errbuf *eb)
{
	if (!n_out)
		return pd_fail(eb, PD_EINVAL, "n_out missing");
	*n_out = 0;
	if (!out && out_cap > 0)
		return pd_fail(eb, PD_EINVAL, "out_cap %zu but no out array", out_cap);
	hour_ref *order;
	int rc = check_all(p, h, n, &order, eb);
	if (rc != PD_OK)
		return rc;
	if (n == 0)
		return PD_OK; /* no hours, no rows; order is NULL */
	size_t need = pm_forecast_rows(p, n);
	if (!out || out_cap < need) { /* !out: out_cap is 0 (checked above) */
		free(order);
		*n_out = need;
		return pd_fail(eb, PD_ETOOBIG, "%zu hours x %zu queues need %zu rows, out_cap is %zu",
			       n, 1 + p->n_groups, need, out_cap);
	}

	size_t w = 0;
	for (size_t k = 0; k < n && rc == PD_OK; k++) {
		const pm_target_hour *hr = &h[order ? order[k].idx : k];
		hour_load l = load_of(p, hr);
		for (size_t g = 0; g <= p->n_groups && rc == PD_OK; g++) {
			pm_forecast_row *r = &out[w++];
			*r = (pm_forecast_row){
				.hour_start_ms = hr->hour_start_ms,
				.group = g == 0 ? "" : p->groups[g - 1].name,
				.expected_orders = l.orders,
				.expected_consultations =
					g == 0 ? l.consultations : l.consultations * p->groups[g - 1].share,
			};
			rc = size_queue(p, r, eb);
		}
	}
	free(order);
	if (rc == PD_OK)
		*n_out = w;
	return rc;
}
