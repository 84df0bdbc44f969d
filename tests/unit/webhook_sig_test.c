/* Generic webhook authentication (services/gateway/webhook_sig.c) and the
 * delivery backoff (services/gateway/deliver.c). The expected HMAC was
 * computed independently with Python's hmac module:
 *   hmac.new(b"webchat-secret-0123456789", b'1764028800.{"a":1}', hashlib.sha256).hexdigest() */
#include <string.h>

#include "../../services/gateway/deliver.h"
#include "pd_check.h"
#include "../../services/gateway/webhook_sig.h"

#define SECRET "webchat-secret-0123456789"
#define BODY "{\"a\":1}"
#define TS "1764028800"
#define WANT "3003959469ace68fce15443189850f2ea12639db03ed7eea1d2ca79367523f66"

START_TEST(sign_matches_an_independent_hmac)
{
	char sig[65];
	gw_webhook_sign(SECRET, TS, BODY, strlen(BODY), sig);
	ck_assert_str_eq(sig, WANT);
}
END_TEST

START_TEST(verify_accepts_good_and_upper_case_hex)
{
	pd_errbuf eb = {{0}};
	ck_assert_int_eq(gw_webhook_verify(SECRET, TS, "sha256=" WANT, BODY, strlen(BODY), 1764028800, &eb), PD_OK);
	char upper[80] = "sha256=";
	for (const char *p = WANT; *p; p++)
		upper[strlen(upper)] = (char)(*p >= 'a' && *p <= 'f' ? *p - 32 : *p);
	ck_assert_int_eq(gw_webhook_verify(SECRET, TS, upper, BODY, strlen(BODY), 1764028800, &eb), PD_OK);
}
END_TEST

START_TEST(verify_refuses_tampering_and_replays)
{
	pd_errbuf eb = {{0}};
	const char *good = "sha256=" WANT;
	ck_assert_int_eq(gw_webhook_verify(SECRET, TS, good, "{\"a\":2}", 7, 1764028800, &eb), PD_ESIG);
	ck_assert_str_eq(eb.msg, "signature does not match the body");
	ck_assert_int_eq(gw_webhook_verify("other-secret-000000", TS, good, BODY, strlen(BODY), 1764028800, &eb), PD_ESIG);
	/* Exactly at the window edge is fine; one second beyond is a replay. */
	ck_assert_int_eq(gw_webhook_verify(SECRET, TS, good, BODY, strlen(BODY), 1764028800 + GW_SIG_WINDOW_S, &eb), PD_OK);
	ck_assert_int_eq(gw_webhook_verify(SECRET, TS, good, BODY, strlen(BODY), 1764028800 + GW_SIG_WINDOW_S + 1, &eb),
			 PD_ESIG);
	ck_assert_int_eq(gw_webhook_verify(SECRET, TS, good, BODY, strlen(BODY), 1764028800 - GW_SIG_WINDOW_S - 1, &eb),
			 PD_ESIG);
	ck_assert_int_eq(gw_webhook_verify(SECRET, NULL, good, BODY, strlen(BODY), 1764028800, &eb), PD_ESIG);
	ck_assert_int_eq(gw_webhook_verify(SECRET, "17640288x0", good, BODY, strlen(BODY), 1764028800, &eb), PD_ESIG);
	ck_assert_int_eq(gw_webhook_verify(SECRET, TS, WANT, BODY, strlen(BODY), 1764028800, &eb), PD_ESIG);
	ck_assert_int_eq(gw_webhook_verify(SECRET, TS, "sha256=abc", BODY, strlen(BODY), 1764028800, &eb), PD_ESIG);
	ck_assert_int_eq(gw_webhook_verify("", TS, good, BODY, strlen(BODY), 1764028800, &eb), PD_ESIG);
}
END_TEST

START_TEST(backoff_doubles_with_bounded_jitter)
{
	for (uint32_t rnd = 0; rnd < 5000; rnd += 37) {
		int64_t d1 = gw_backoff_ms(1, 1000, rnd);
		int64_t d3 = gw_backoff_ms(3, 1000, rnd);
		ck_assert(d1 >= 750 && d1 < 1250);
		ck_assert(d3 >= 3000 && d3 < 5000);
		int64_t d30 = gw_backoff_ms(30, 1000, rnd);
		ck_assert(d30 >= 2700000 && d30 < 4500000); /* capped at one hour +-25% */
	}
	ck_assert_int_ne(gw_backoff_ms(2, 1000, 1), gw_backoff_ms(2, 1000, 999));
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("webhook_sig");
	TCase *tc = tcase_create("webhook_sig");
	tcase_add_test(tc, sign_matches_an_independent_hmac);
	tcase_add_test(tc, verify_accepts_good_and_upper_case_hex);
	tcase_add_test(tc, verify_refuses_tampering_and_replays);
	tcase_add_test(tc, backoff_doubles_with_bounded_jitter);
	suite_add_tcase(s, tc);
	return s;
}

PD_CHECK_MAIN(suite)
