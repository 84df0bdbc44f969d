/* Hourly chat staffing forecast for a promotion (pure logic: no I/O).
 *
 * From a campaign's hourly GMV targets: expected orders = gmv / aov,
 * expected consultations = orders x consultation_rate, and for the whole
 * service and for each consultation group (presale, order, after-sale...)
 * the agents needed to answer service_level_goal of the chats within
 * target_answer_seconds, by the Erlang C model (erlang_c.h).
 *
 * Modelling choices, and what they mean for the numbers:
 * - An hour is a steady state: consultations arrive as a Poisson stream at
 *   a constant rate over the hour and nobody abandons. Peaks inside the
 *   hour (the first minutes of a sale) are not seen: plan those hours with
 *   a higher goal or finer targets.
 * - A chat agent works `chat_concurrency` chats at once and each chat
 *   still lasts avg_handle_seconds: an agent is `chat_concurrency`
 *   independent Erlang servers ("chat slots"). Traffic is therefore
 *   A = consultations / 3600 x avg_handle_seconds erlangs of slots, the
 *   slots needed come from pm_erlang_servers_needed, and
 *   agents = ceil(slots / chat_concurrency). The model ignores that an
 *   agent with several chats open types more slowly: put that into
 *   avg_handle_seconds (the handle time measured at that concurrency).
 * - Each group is its own queue with its own agents, served by nobody
 *   else. Small queues need proportionally more spare capacity than a
 *   large one for the same service level (the pooling effect), so the sum
 *   of the groups' agents is usually MORE than the pooled row's ("" group),
 *   which is what one shared queue of cross-skilled agents would need.
 *   The pooled row is a lower bound, the sum of the groups the staffing for
 *   separate skill queues; neither row is an average of the other.
 * - Agents are on-seat heads: no shrinkage (breaks, training, absence) and
 *   no occupancy cap are applied; the caller divides by (1 - shrinkage).
 *
 * Thread-safe; nothing is retained between calls. */
#ifndef PM_FORECAST_H
#define PM_FORECAST_H

#include <stddef.h>
#include <stdint.h>

#include "pd.h"

#define PM_FORECAST_MAX_GROUPS 8
#define PM_FORECAST_MAX_HOURS (24 * 400)   /* 400 days at hourly resolution */
#define PM_FORECAST_GROUP_NAME_MAX 64      /* bytes, without the NUL */
#define PM_FORECAST_SHARE_EPS 1e-6         /* tolerance of the shares' sum */
/* Largest pooled traffic of an hour, erlangs of chat slots. Far above any
 * real service (at 300 s per chat it is 6 million consultations an hour);
 * an hour above it is a typo in gmv or aov. Below it the slots needed
 * always fit under PM_FORECAST_MAX_SLOTS, so pm_forecast_compute cannot
 * fail on input pm_forecast_check accepted. */
#define PM_FORECAST_MAX_ERLANGS 500000.0
#define PM_FORECAST_MAX_SLOTS 1000000

/* One consultation group and its share of the consultations. */
typedef struct pm_forecast_group {
	const char *name; /* borrowed; non-empty, unique, <= PM_FORECAST_GROUP_NAME_MAX bytes */
	double share;     /* 0..1; the shares of all groups sum to 1 (+- PM_FORECAST_SHARE_EPS) */
} pm_forecast_group;

typedef struct pm_forecast_params {
	double consultation_rate;     /* consultations per order, 0 < r <= 50 */
	double avg_handle_seconds;    /* 1..7200: one chat, at chat_concurrency */
	int chat_concurrency;         /* 1..20: chats one agent handles at once */
	double target_answer_seconds; /* 1..3600 */
	double service_level_goal;    /* 0 < g < 1, e.g. 0.80 */
	pm_forecast_group groups[PM_FORECAST_MAX_GROUPS];
	size_t n_groups; /* 0..PM_FORECAST_MAX_GROUPS; 0 = only the pooled rows */
} pm_forecast_params;

/* An hour's target. */
typedef struct pm_target_hour {
	int64_t hour_start_ms;         /* unix ms, a multiple of 3600000 */
	int64_t gmv_cents;             /* >= 0 */
	int64_t avg_order_value_cents; /* > 0 */
} pm_target_hour;

typedef struct pm_forecast_row {
	int64_t hour_start_ms;
	const char *group; /* "" = all groups pooled (static), else the params' name (borrowed) */
	double expected_orders;        /* the hour's orders: the same on every row of the hour */
	double expected_consultations; /* this row's: all of them, or the group's share */
	int agents_needed;             /* 0 when no consultation is expected */
	double service_level;          /* achieved with those agents' slots; 1 when idle */
} pm_forecast_row;

/* Validates params and hours[0..n); the hours may come in any order.
 * PD_EINVAL with eb (may be NULL) naming the field, e.g.
 * "consultation_rate 0: must be > 0 and <= 50",
 * "groups: shares sum to 0.9, not 1",
 * "hours[3].hour_start_ms 1731306660000: not at the top of an hour",
 * "hours[1] and hours[4]: both start at 1731306600000",
 * "hours[2].avg_order_value_cents 0: must be > 0",
 * "hours[5]: pooled traffic 612000.0 erlangs above 500000 (...)".
 * Also PD_EINVAL for more than PM_FORECAST_MAX_HOURS hours, NULL params,
 * or NULL hours with n > 0; PD_ENOMEM when the scratch array for
 * unordered hours cannot be allocated. n == 0 is valid. */
int pm_forecast_check(const pm_forecast_params *p, const pm_target_hour *hours, size_t n,
		      pd_errbuf *eb);

/* Rows pm_forecast_compute writes for n hours: n x (1 + n_groups). */
size_t pm_forecast_rows(const pm_forecast_params *p, size_t n_hours);

/* Checks (pm_forecast_check) then forecasts every hour into out[0..*n_out):
 * ordered by hour, and within an hour the pooled row ("") first, then the
 * groups in params order. For each row, traffic A = consultations / 3600 x
 * avg_handle_seconds, slots = pm_erlang_servers_needed(A, ...),
 * agents_needed = ceil(slots / chat_concurrency), service_level =
 * pm_erlang_service_level(slots, A, ...) (>= the goal by construction).
 * No consultations: 0 agents, service level 1.
 * out_cap too small: PD_ETOOBIG with *n_out set to the rows needed (so the
 * caller can size the array and call again) and out untouched. Errors of
 * pm_forecast_check as there (out untouched, *n_out 0); PD_EINVAL for a
 * NULL n_out or a NULL out with out_cap > 0.
 * Rows' group pointers borrow the params' names. */
int pm_forecast_compute(const pm_forecast_params *p, const pm_target_hour *hours, size_t n,
			pm_forecast_row *out, size_t out_cap, size_t *n_out, pd_errbuf *eb);

#endif
