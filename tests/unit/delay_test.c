/* Tests for delay detection: the no-scan window boundary, missed promises,
 * once-per-episode emission, recovery and a second episode, the states that
 * never delay, and the next-check time used for timers. */
#include <stdint.h>

#include "../../services/logistics/delay.h"
#include "logistics.pb-c.h"
#include "pd_check.h"

#define H (60LL * 60 * 1000)
#define T0 1731306600000LL /* 2024-11-11 14:30 China time */

#define CREATED PEAKDESK__V1__SHIPMENT_STATE__SHIPMENT_STATE_CREATED
#define COLLECTED PEAKDESK__V1__SHIPMENT_STATE__SHIPMENT_STATE_COLLECTED
#define IN_TRANSIT PEAKDESK__V1__SHIPMENT_STATE__SHIPMENT_STATE_IN_TRANSIT
#define OFD PEAKDESK__V1__SHIPMENT_STATE__SHIPMENT_STATE_OUT_FOR_DELIVERY
#define DELIVERED PEAKDESK__V1__SHIPMENT_STATE__SHIPMENT_STATE_DELIVERED
#define EXCEPTION PEAKDESK__V1__SHIPMENT_STATE__SHIPMENT_STATE_EXCEPTION
#define RETURNING PEAKDESK__V1__SHIPMENT_STATE__SHIPMENT_STATE_RETURNING
#define RETURNED PEAKDESK__V1__SHIPMENT_STATE__SHIPMENT_STATE_RETURNED
#define NO_SCAN PEAKDESK__V1__DELAY_REASON__DELAY_REASON_NO_SCAN
#define PROMISE PEAKDESK__V1__DELAY_REASON__DELAY_REASON_PROMISE_MISSED

static lg_delay_verdict check(const lg_delay_input *in, int64_t now)
{
	lg_delay_policy p = LG_DELAY_POLICY_DEFAULT;
	lg_delay_verdict v;
	ck_assert_int_eq(lg_delay_check(in, now, &p, &v), PD_OK);
	ck_assert(!(v.emit && v.recovered));
	return v;
}

/* Applies a verdict the way the service stores it. */
static void apply(lg_delay_input *in, const lg_delay_verdict *v)
{
	if (v->emit) {
		in->delayed_episode_open = 1;
		in->episodes = v->episode;
	} else if (v->recovered) {
		in->delayed_episode_open = 0;
	}
}

START_TEST(default_policy)
{
	lg_delay_policy p = LG_DELAY_POLICY_DEFAULT;
	ck_assert(p.no_scan_window_ms == 24 * H);
	ck_assert(p.promise_grace_ms == 0);
}
END_TEST

START_TEST(no_scan_boundary)
{
	lg_delay_input in = { .state = IN_TRANSIT, .created_at_ms = T0 - 2 * H,
			      .last_scan_at_ms = T0 };
	lg_delay_verdict v = check(&in, T0 + 24 * H - 1);
	ck_assert_int_eq(v.is_delayed, 0);
	ck_assert_int_eq(v.emit, 0);
	ck_assert_int_eq(v.reason, 0);
	/* Exactly one full window without a scan is late. */
	v = check(&in, T0 + 24 * H);
	ck_assert_int_eq(v.is_delayed, 1);
	ck_assert_int_eq(v.reason, NO_SCAN);
	ck_assert_int_eq(v.emit, 1);
	ck_assert_int_eq(v.episode, 1);
	ck_assert_int_eq(v.recovered, 0);
}
END_TEST

START_TEST(no_scan_reference_time)
{
	lg_delay_policy p = LG_DELAY_POLICY_DEFAULT;
	/* Never scanned: counted from creation (label printed, never collected). */
	lg_delay_input in = { .state = CREATED, .created_at_ms = T0 };
	ck_assert_int_eq(check(&in, T0 + 24 * H - 1).is_delayed, 0);
	ck_assert_int_eq(check(&in, T0 + 24 * H).reason, NO_SCAN);
	/* Collection newer than creation moves the reference. */
	in.state = COLLECTED;
	in.collected_at_ms = T0 + 5 * H;
	ck_assert_int_eq(check(&in, T0 + 24 * H).is_delayed, 0);
	ck_assert_int_eq(check(&in, T0 + 29 * H).is_delayed, 1);
	/* Nothing known at all: cannot judge, never late by NO_SCAN. */
	lg_delay_input none = { .state = IN_TRANSIT };
	ck_assert_int_eq(check(&none, T0 + 1000 * H).is_delayed, 0);
	ck_assert(lg_next_delay_check_ms(&none, T0, &p) == INT64_MAX);
	/* A scan from the future (carrier clock skew) is not a delay. */
	lg_delay_input skew = { .state = IN_TRANSIT, .last_scan_at_ms = T0 + 5 * H };
	ck_assert_int_eq(check(&skew, T0).is_delayed, 0);
	/* Negative times from a confused sender count as unknown. */
	lg_delay_input neg = { .state = IN_TRANSIT, .last_scan_at_ms = -5,
			       .promised_delivery_ms = -1 };
	ck_assert_int_eq(check(&neg, T0).is_delayed, 0);
}
END_TEST

START_TEST(window_disabled)
{
	lg_delay_policy p = { .no_scan_window_ms = 0, .promise_grace_ms = 0 };
	lg_delay_input in = { .state = IN_TRANSIT, .last_scan_at_ms = T0 };
	lg_delay_verdict v;
	ck_assert_int_eq(lg_delay_check(&in, T0 + 1000 * H, &p, &v), PD_OK);
	ck_assert_int_eq(v.is_delayed, 0);
	ck_assert(lg_next_delay_check_ms(&in, T0, &p) == INT64_MAX);
}
END_TEST

START_TEST(promise_missed)
{
	lg_delay_input in = { .state = OFD, .last_scan_at_ms = T0, .promised_delivery_ms = T0 + H };
	/* Delivering at exactly the promised time keeps the promise. */
	ck_assert_int_eq(check(&in, T0 + H).is_delayed, 0);
	lg_delay_verdict v = check(&in, T0 + H + 1);
	ck_assert_int_eq(v.is_delayed, 1);
	ck_assert_int_eq(v.reason, PROMISE);
	ck_assert_int_eq(v.emit, 1);
	ck_assert_int_eq(v.episode, 1);
	/* Both rules hold: the broken promise is the reason given. */
	v = check(&in, T0 + 48 * H);
	ck_assert_int_eq(v.reason, PROMISE);
}
END_TEST

START_TEST(promise_grace)
{
	lg_delay_policy p = { .no_scan_window_ms = 24 * H, .promise_grace_ms = 2 * H };
	lg_delay_input in = { .state = IN_TRANSIT, .last_scan_at_ms = T0, .promised_delivery_ms = T0 + H };
	lg_delay_verdict v;
	ck_assert_int_eq(lg_delay_check(&in, T0 + 3 * H, &p, &v), PD_OK);
	ck_assert_int_eq(v.is_delayed, 0);
	ck_assert_int_eq(lg_delay_check(&in, T0 + 3 * H + 1, &p, &v), PD_OK);
	ck_assert_int_eq(v.reason, PROMISE);
	ck_assert(lg_next_delay_check_ms(&in, T0, &p) == T0 + 3 * H + 1);
	/* A negative grace is refused rather than calling a keepable promise missed. */
	p.promise_grace_ms = -1;
	ck_assert_int_eq(lg_delay_check(&in, T0, &p, &v), PD_EINVAL);
	ck_assert(lg_next_delay_check_ms(&in, T0, &p) == INT64_MAX);
}
END_TEST

START_TEST(once_per_episode)
{
	lg_delay_input in = { .state = IN_TRANSIT, .last_scan_at_ms = T0 };
	lg_delay_verdict v = check(&in, T0 + 25 * H);
	ck_assert_int_eq(v.emit, 1);
	apply(&in, &v);
	/* Still stalled on later checks: late, same episode, nothing emitted. */
	for (int64_t t = T0 + 26 * H; t < T0 + 100 * H; t += 7 * H) {
		v = check(&in, t);
		ck_assert_int_eq(v.is_delayed, 1);
		ck_assert_int_eq(v.emit, 0);
		ck_assert_int_eq(v.recovered, 0);
		ck_assert_int_eq(v.episode, 1);
		apply(&in, &v);
	}
	/* The reason may change inside the episode without a new emission. */
	in.promised_delivery_ms = T0 + 30 * H;
	v = check(&in, T0 + 40 * H);
	ck_assert_int_eq(v.reason, PROMISE);
	ck_assert_int_eq(v.emit, 0);
}
END_TEST

START_TEST(recovery_then_second_episode)
{
	lg_delay_input in = { .state = IN_TRANSIT, .last_scan_at_ms = T0 };
	lg_delay_verdict v = check(&in, T0 + 24 * H);
	ck_assert_int_eq(v.emit, 1);
	apply(&in, &v);
	/* A new scan after detection ends the episode. */
	in.last_scan_at_ms = T0 + 30 * H;
	v = check(&in, T0 + 30 * H);
	ck_assert_int_eq(v.is_delayed, 0);
	ck_assert_int_eq(v.recovered, 1);
	ck_assert_int_eq(v.episode, 1);
	ck_assert_int_eq(v.emit, 0);
	apply(&in, &v);
	ck_assert_int_eq(in.delayed_episode_open, 0);
	/* Quiet until the next full window ... */
	v = check(&in, T0 + 54 * H - 1);
	ck_assert_int_eq(v.is_delayed + v.emit + v.recovered, 0);
	/* ... then a second episode. */
	v = check(&in, T0 + 54 * H);
	ck_assert_int_eq(v.emit, 1);
	ck_assert_int_eq(v.episode, 2);
	apply(&in, &v);
	ck_assert_int_eq(in.episodes, 2);
}
END_TEST

START_TEST(promise_episode_survives_scans)
{
	/* A missed promise stays missed when the parcel moves: one episode,
	 * not one per scan. */
	lg_delay_input in = { .state = IN_TRANSIT, .last_scan_at_ms = T0, .promised_delivery_ms = T0 + H };
	lg_delay_verdict v = check(&in, T0 + 2 * H);
	ck_assert_int_eq(v.emit, 1);
	apply(&in, &v);
	in.last_scan_at_ms = T0 + 3 * H;
	v = check(&in, T0 + 3 * H);
	ck_assert_int_eq(v.is_delayed, 1);
	ck_assert_int_eq(v.emit + v.recovered, 0);
	/* The department moves the promise: recovered. */
	in.promised_delivery_ms = T0 + 20 * H;
	v = check(&in, T0 + 4 * H);
	ck_assert_int_eq(v.recovered, 1);
}
END_TEST

START_TEST(delivered_never_delays)
{
	static const int terminal[] = { DELIVERED, RETURNED };
	for (size_t i = 0; i < PD_ARRAY_LEN(terminal); i++) {
		lg_delay_input in = { .state = terminal[i], .last_scan_at_ms = T0,
				      .promised_delivery_ms = T0 + H };
		lg_delay_verdict v = check(&in, T0 + 1000 * H);
		ck_assert_int_eq(v.is_delayed, 0);
		ck_assert_int_eq(v.emit, 0);
		ck_assert_int_eq(v.recovered, 0);
		lg_delay_policy p = LG_DELAY_POLICY_DEFAULT;
		ck_assert(lg_next_delay_check_ms(&in, T0, &p) == INT64_MAX);
		/* An open episode closes on delivery. */
		in.delayed_episode_open = 1;
		in.episodes = 3;
		v = check(&in, T0 + 1000 * H);
		ck_assert_int_eq(v.recovered, 1);
		ck_assert_int_eq(v.episode, 3);
	}
}
END_TEST

START_TEST(exception_and_returning)
{
	/* Exception: never judged, and an open episode is not "recovered". */
	lg_delay_input in = { .state = EXCEPTION, .last_scan_at_ms = T0, .promised_delivery_ms = T0 + H };
	lg_delay_verdict v = check(&in, T0 + 100 * H);
	ck_assert_int_eq(v.is_delayed + v.emit + v.recovered, 0);
	in.delayed_episode_open = 1;
	in.episodes = 1;
	v = check(&in, T0 + 100 * H);
	ck_assert_int_eq(v.is_delayed + v.emit + v.recovered, 0);
	ck_assert_int_eq(v.episode, 1);
	/* Back in transit and still stale: same episode, no emission. */
	in.state = IN_TRANSIT;
	v = check(&in, T0 + 100 * H);
	ck_assert_int_eq(v.is_delayed, 1);
	ck_assert_int_eq(v.emit + v.recovered, 0);

	/* Returning: the delivery promise no longer applies, the window does. */
	lg_delay_input r = { .state = RETURNING, .last_scan_at_ms = T0, .promised_delivery_ms = T0 + H };
	v = check(&r, T0 + 10 * H);
	ck_assert_int_eq(v.is_delayed, 0);
	v = check(&r, T0 + 24 * H);
	ck_assert_int_eq(v.reason, NO_SCAN);
	ck_assert_int_eq(v.emit, 1);

	/* Unspecified or unknown state: nothing to judge. */
	lg_delay_input u = { .state = 0, .last_scan_at_ms = T0 };
	ck_assert_int_eq(check(&u, T0 + 100 * H).is_delayed, 0);
	u.state = 99;
	ck_assert_int_eq(check(&u, T0 + 100 * H).is_delayed, 0);
}
END_TEST

START_TEST(next_check_time)
{
	lg_delay_policy p = LG_DELAY_POLICY_DEFAULT;
	lg_delay_input in = { .state = IN_TRANSIT, .last_scan_at_ms = T0 };
	ck_assert(lg_next_delay_check_ms(&in, T0 + H, &p) == T0 + 24 * H);
	/* The earlier rule wins. */
	in.promised_delivery_ms = T0 + 5 * H;
	ck_assert(lg_next_delay_check_ms(&in, T0 + H, &p) == T0 + 5 * H + 1);
	/* Late and not yet announced: due now. */
	ck_assert(lg_next_delay_check_ms(&in, T0 + 6 * H, &p) == T0 + 6 * H);
	/* Already announced: time alone brings nothing new. */
	in.delayed_episode_open = 1;
	ck_assert(lg_next_delay_check_ms(&in, T0 + 6 * H, &p) == INT64_MAX);
	/* The value agrees with lg_delay_check: late at the returned time, not 1 ms before. */
	lg_delay_input f = { .state = COLLECTED, .collected_at_ms = T0 };
	int64_t due = lg_next_delay_check_ms(&f, T0, &p);
	ck_assert_int_eq(check(&f, due - 1).is_delayed, 0);
	ck_assert_int_eq(check(&f, due).emit, 1);
	/* Exception state: no timer. */
	f.state = EXCEPTION;
	ck_assert(lg_next_delay_check_ms(&f, T0, &p) == INT64_MAX);
}
END_TEST

START_TEST(overflow_and_bad_args)
{
	lg_delay_policy p = { .no_scan_window_ms = INT64_MAX, .promise_grace_ms = INT64_MAX };
	lg_delay_input in = { .state = IN_TRANSIT, .last_scan_at_ms = INT64_MAX - 1,
			      .promised_delivery_ms = INT64_MAX - 1 };
	lg_delay_verdict v;
	ck_assert_int_eq(lg_delay_check(&in, INT64_MAX, &p, &v), PD_OK);
	ck_assert_int_eq(v.is_delayed, 0);
	ck_assert(lg_next_delay_check_ms(&in, 0, &p) == INT64_MAX);
	ck_assert_int_eq(lg_delay_check(NULL, 0, &p, &v), PD_EINVAL);
	ck_assert_int_eq(lg_delay_check(&in, 0, NULL, &v), PD_EINVAL);
	ck_assert_int_eq(lg_delay_check(&in, 0, &p, NULL), PD_EINVAL);
	ck_assert(lg_next_delay_check_ms(NULL, 0, &p) == INT64_MAX);
	/* Episode counter at its limit does not wrap. */
	lg_delay_policy d = LG_DELAY_POLICY_DEFAULT;
	lg_delay_input e = { .state = IN_TRANSIT, .last_scan_at_ms = T0, .episodes = INT32_MAX };
	ck_assert_int_eq(lg_delay_check(&e, T0 + 48 * H, &d, &v), PD_OK);
	ck_assert_int_eq(v.episode, INT32_MAX);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("delay");
	TCase *tc = tcase_create("rules");
	tcase_add_test(tc, default_policy);
	tcase_add_test(tc, no_scan_boundary);
	tcase_add_test(tc, no_scan_reference_time);
	tcase_add_test(tc, window_disabled);
	tcase_add_test(tc, promise_missed);
	tcase_add_test(tc, promise_grace);
	tcase_add_test(tc, delivered_never_delays);
	tcase_add_test(tc, exception_and_returning);
	suite_add_tcase(s, tc);
	TCase *ep = tcase_create("episodes");
	tcase_add_test(ep, once_per_episode);
	tcase_add_test(ep, recovery_then_second_episode);
	tcase_add_test(ep, promise_episode_survives_scans);
	suite_add_tcase(s, ep);
	TCase *nx = tcase_create("timers");
	tcase_add_test(nx, next_check_time);
	tcase_add_test(nx, overflow_and_bad_args);
	suite_add_tcase(s, nx);
	return s;
}

PD_CHECK_MAIN(suite)
