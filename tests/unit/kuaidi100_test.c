/* Tests for the Kuaidi100 push parser: the project's own fixtures
 * (tests/data/kuaidi100, see tests/data/SOURCES), the real documentation
 * example in ../shared/data when it is there, the sign, form decoding edge
 * cases, China-time conversion, the state-code mapping and malformed input. */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../services/logistics/kuaidi100.h"
#include "logistics.pb-c.h"
#include "pd_check.h"

#define SALT "peakdesk-test-salt"
#define SHARED_SAMPLE "../shared/data/logistics/kuaidi100_push_doc_example.param.json"
#define SHARED_REPLY "../shared/data/logistics/kuaidi100_push_success_response.json"

static char *fixture(const char *name, size_t *len)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/kuaidi100/%s", pd_test_data_dir(), name);
	char *s = pd_test_slurp(path, len);
	ck_assert_msg(s != NULL, "cannot read fixture %s", path);
	return s;
}

/* application/x-www-form-urlencoded encoding as a browser or Java's
 * URLEncoder does it: unreserved bytes as they are, space as '+', the rest
 * as %XX (upper case unless lower is set). */
static char *form_encode(const char *s, size_t len, int lower)
{
	const char *hex = lower ? "0123456789abcdef" : "0123456789ABCDEF";
	char *out = malloc(len * 3 + 1), *o = out;
	ck_assert_ptr_nonnull(out);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '_' || c == '.' || c == '*') {
			*o++ = (char)c;
		} else if (c == ' ') {
			*o++ = '+';
		} else {
			*o++ = '%';
			*o++ = hex[c >> 4];
			*o++ = hex[c & 15];
		}
	}
	*o = '\0';
	return out;
}

/* "param=<encoded>&sign=<sign of param with salt>" */
static char *make_body(const char *param, const char *salt)
{
	char *enc = form_encode(param, strlen(param), 0);
	char *sign = lg_kd100_sign(param, salt);
	ck_assert_ptr_nonnull(sign);
	size_t n = strlen(enc) + strlen(sign) + 32;
	char *body = malloc(n);
	ck_assert_ptr_nonnull(body);
	snprintf(body, n, "param=%s&sign=%s", enc, sign);
	free(enc);
	free(sign);
	return body;
}

/* Parses a param through the full body path (encode, sign, decode, check). */
static int parse_signed(const char *param, lg_kd100_push *p, pd_errbuf *eb)
{
	char *body = make_body(param, SALT);
	int rc = lg_kd100_parse_body(body, strlen(body), SALT, p, eb);
	free(body);
	return rc;
}

static int is_zero(const lg_kd100_push *p)
{
	static const lg_kd100_push zero;
	return memcmp(p, &zero, sizeof(zero)) == 0;
}

/* ---- fixtures ------------------------------------------------------------- */

START_TEST(fixture_in_transit_body)
{
	size_t len;
	char *body = fixture("in_transit.body", &len);
	lg_kd100_push p;
	pd_errbuf eb = { "" };
	ck_assert_int_eq(lg_kd100_parse_body(body, len, SALT, &p, &eb), PD_OK);
	ck_assert_str_eq(p.com, "zhongtong");
	ck_assert_str_eq(p.nu, "PD7312000001");
	ck_assert_str_eq(p.push_status, "polling");
	ck_assert_str_eq(p.message, "");
	ck_assert_int_eq(p.state, 0);
	ck_assert_int_eq(p.ischeck, 0);
	ck_assert_int_eq(lg_kd100_state_to_shipment(p.state),
			 PEAKDESK__V1__SHIPMENT_STATE__SHIPMENT_STATE_IN_TRANSIT);
	ck_assert_uint_eq(p.n_scans, 4);
	ck_assert(p.scans[0].scanned_at_ms == 1731364869000LL); /* 2024-11-12 06:41:09 +08 */
	ck_assert(p.scans[3].scanned_at_ms == 1731306600000LL); /* 2024-11-11 14:30:00 +08 */
	for (size_t i = 1; i < p.n_scans; i++)
		ck_assert(p.scans[i].scanned_at_ms < p.scans[i - 1].scanned_at_ms);
	ck_assert_str_eq(p.scans[0].context, "[杭州市] 快件已到达 杭州转运中心");
	ck_assert_str_eq(p.scans[0].area_code, "330100000000");
	ck_assert_str_eq(p.scans[0].area_name, "浙江,杭州市");
	ck_assert_str_eq(p.scans[0].status, "在途");
	ck_assert_str_eq(p.scans[3].status, "揽收");
	ck_assert_int_eq(p.scans[0].status_code, -1);
	ck_assert_uint_eq(p.newest, 0);
	ck_assert(p.last_scan_at_ms == 1731364869000LL);
	lg_kd100_push_free(&p);
	ck_assert(is_zero(&p));

	/* The same body under another salt is someone else's push. */
	ck_assert_int_eq(lg_kd100_parse_body(body, len, "other-salt", &p, &eb), PD_ESIG);
	ck_assert(is_zero(&p));
	free(body);
}
END_TEST

START_TEST(fixture_delivered)
{
	size_t len;
	char *param = fixture("delivered.param.json", &len);
	lg_kd100_push p;
	pd_errbuf eb = { "" };
	ck_assert_int_eq(parse_signed(param, &p, &eb), PD_OK);
	ck_assert_str_eq(p.com, "yuantong");
	ck_assert_str_eq(p.nu, "YT9000000000002");
	ck_assert_str_eq(p.push_status, "shutdown");
	ck_assert_int_eq(p.state, 3);
	ck_assert_int_eq(p.ischeck, 1);
	ck_assert_int_eq(lg_kd100_state_to_shipment(p.state),
			 PEAKDESK__V1__SHIPMENT_STATE__SHIPMENT_STATE_DELIVERED);
	ck_assert_uint_eq(p.n_scans, 4);
	/* areaCode/areaName null in the signing scan, as real pushes send it. */
	ck_assert_str_eq(p.scans[0].area_code, "");
	ck_assert_str_eq(p.scans[0].area_name, "");
	ck_assert_int_eq(p.scans[0].status_code, 301);
	ck_assert_int_eq(p.scans[2].status_code, 1001);
	ck_assert_int_eq(lg_kd100_state_to_shipment(p.scans[2].status_code),
			 PEAKDESK__V1__SHIPMENT_STATE__SHIPMENT_STATE_IN_TRANSIT);
	ck_assert(p.scans[0].scanned_at_ms == 1718762712000LL); /* 2024-06-19 10:05:12 +08 */
	lg_kd100_push_free(&p);

	/* The param parser alone (trusted path) gives the same result; the
	 * file's trailing newline is whitespace after the JSON value. */
	ck_assert_int_eq(lg_kd100_parse_param(param, len, &p, &eb), PD_OK);
	ck_assert_uint_eq(p.n_scans, 4);
	lg_kd100_push_free(&p);
	free(param);
}
END_TEST

START_TEST(fixture_chinese_areas)
{
	char *param = fixture("out_for_delivery_cn_areas.param.json", NULL);
	lg_kd100_push p;
	pd_errbuf eb = { "" };
	ck_assert_int_eq(parse_signed(param, &p, &eb), PD_OK);
	ck_assert_str_eq(p.com, "shunfeng");
	ck_assert_int_eq(p.state, 5);
	ck_assert_int_eq(lg_kd100_state_to_shipment(p.state),
			 PEAKDESK__V1__SHIPMENT_STATE__SHIPMENT_STATE_OUT_FOR_DELIVERY);
	ck_assert_uint_eq(p.n_scans, 5);
	ck_assert_str_eq(p.scans[0].area_name, "广东,深圳市,南山区");
	ck_assert_str_eq(p.scans[3].area_name, "四川,成都市,双流区");
	ck_assert_str_eq(p.scans[0].status, "投柜或驿站");
	ck_assert_int_eq(p.scans[0].status_code, 501);
	ck_assert_int_eq(lg_kd100_state_to_shipment(p.scans[4].status_code),
			 PEAKDESK__V1__SHIPMENT_STATE__SHIPMENT_STATE_COLLECTED);
	ck_assert(p.last_scan_at_ms == 1731482400000LL); /* 2024-11-13 15:20:00 +08 */
	lg_kd100_push_free(&p);
	free(param);
}
END_TEST

/* The example from Kuaidi100's own documentation, read from ../shared/data
 * (never copied into the project). */
START_TEST(shared_doc_example)
{
	size_t len;
	char *param = pd_test_slurp(SHARED_SAMPLE, &len);
	if (!param) {
		printf("skipped: ../shared/data not present (%s)\n", SHARED_SAMPLE);
		return;
	}
	while (len && (param[len - 1] == '\n' || param[len - 1] == '\r'))
		param[--len] = '\0';
	lg_kd100_push p;
	pd_errbuf eb = { "" };
	ck_assert_msg(parse_signed(param, &p, &eb) == PD_OK, "%s", eb.msg);
	ck_assert_str_eq(p.com, "yuantong");
	ck_assert_str_eq(p.nu, "V030344422");
	ck_assert_str_eq(p.push_status, "polling");
	ck_assert_int_eq(p.state, 0);
	ck_assert_int_eq(p.ischeck, 0);
	ck_assert_uint_eq(p.n_scans, 2);
	ck_assert(p.scans[0].scanned_at_ms == 1346142799000LL);
	ck_assert(p.scans[1].scanned_at_ms == 1346080962000LL);
	ck_assert_str_eq(p.scans[0].context, "上海分拨中心/装件入车扫描 ");
	ck_assert_str_eq(p.scans[0].area_code, "310000000000");
	ck_assert_str_eq(p.scans[0].area_name, "上海市");
	ck_assert_str_eq(p.scans[1].status, "在途");
	ck_assert_uint_eq(p.newest, 0);
	lg_kd100_push_free(&p);
	free(param);
}
END_TEST

START_TEST(reply_constants)
{
	json_object *ok = json_tokener_parse(LG_KD100_REPLY_OK);
	json_object *fail = json_tokener_parse(LG_KD100_REPLY_FAIL);
	ck_assert_ptr_nonnull(ok);
	ck_assert_ptr_nonnull(fail);
	char *want = pd_test_slurp(SHARED_REPLY, NULL);
	if (want) {
		/* Same document as the answer Kuaidi100's demo sends. */
		json_object *w = json_tokener_parse(want);
		ck_assert_ptr_nonnull(w);
		ck_assert_int_eq(json_object_equal(ok, w), 1);
		json_object_put(w);
		free(want);
	} else {
		printf("skipped: ../shared/data not present (%s)\n", SHARED_REPLY);
	}
	json_object_put(ok);
	json_object_put(fail);
}
END_TEST

/* ---- sign ---------------------------------------------------------------- */

START_TEST(sign_values)
{
	char *s = lg_kd100_sign("abc", "");
	ck_assert_str_eq(s, "900150983CD24FB0D6963F7D28E17F72"); /* RFC 1321 test vector */
	free(s);
	/* MD5 of param + salt, not of salt + param. */
	s = lg_kd100_sign("ab", "c");
	ck_assert_str_eq(s, "900150983CD24FB0D6963F7D28E17F72");
	free(s);
	ck_assert_ptr_null(lg_kd100_sign(NULL, "x"));
	ck_assert_ptr_null(lg_kd100_sign("x", NULL));

	/* The fixture body's sign was computed independently (Python hashlib). */
	char *param = fixture("in_transit.param.json", NULL);
	param[strcspn(param, "\n")] = '\0';
	s = lg_kd100_sign(param, SALT);
	ck_assert_str_eq(s, "AB2DA6E4A613EF99E07214024AE163B2");
	free(s);
	free(param);
}
END_TEST

START_TEST(sign_verify)
{
	const char *param = "{\"a\":1}";
	char *good = lg_kd100_sign(param, SALT);
	ck_assert_int_eq(lg_kd100_verify_sign(param, strlen(param), good, SALT), PD_OK);
	/* Either case is accepted. */
	char lower[33];
	for (int i = 0; i < 33; i++)
		lower[i] = (char)((good[i] >= 'A' && good[i] <= 'F') ? good[i] + 32 : good[i]);
	ck_assert_int_eq(lg_kd100_verify_sign(param, strlen(param), lower, SALT), PD_OK);
	/* One character off, at either end. */
	char bad[33];
	memcpy(bad, good, 33);
	bad[0] = bad[0] == '0' ? '1' : '0';
	ck_assert_int_eq(lg_kd100_verify_sign(param, strlen(param), bad, SALT), PD_ESIG);
	memcpy(bad, good, 33);
	bad[31] = bad[31] == '0' ? '1' : '0';
	ck_assert_int_eq(lg_kd100_verify_sign(param, strlen(param), bad, SALT), PD_ESIG);
	/* Wrong length, prefix, non-hex that folds to hex, NULLs. */
	ck_assert_int_eq(lg_kd100_verify_sign(param, strlen(param), "", SALT), PD_ESIG);
	memcpy(bad, good, 33);
	bad[31] = '\0';
	ck_assert_int_eq(lg_kd100_verify_sign(param, strlen(param), bad, SALT), PD_ESIG);
	memcpy(bad, good, 33);
	bad[5] = 'G';
	ck_assert_int_eq(lg_kd100_verify_sign(param, strlen(param), bad, SALT), PD_ESIG);
	bad[5] = 'g';
	ck_assert_int_eq(lg_kd100_verify_sign(param, strlen(param), bad, SALT), PD_ESIG);
	bad[5] = (char)(good[5] ^ 0x20); /* '0'..'9' ^ 0x20 are not letters: no folding */
	ck_assert_int_eq(lg_kd100_verify_sign(param, strlen(param), bad, SALT),
			 (good[5] >= 'A' && good[5] <= 'F') ? PD_OK : PD_ESIG);
	ck_assert_int_eq(lg_kd100_verify_sign(param, strlen(param), NULL, SALT), PD_ESIG);
	ck_assert_int_eq(lg_kd100_verify_sign(NULL, 0, good, SALT), PD_ESIG);
	/* The length argument counts: a shorter param is a different param. */
	ck_assert_int_eq(lg_kd100_verify_sign(param, strlen(param) - 1, good, SALT), PD_ESIG);
	free(good);
}
END_TEST

START_TEST(body_sign_errors)
{
	lg_kd100_push p;
	pd_errbuf eb;
	char body[256];
	const char *param = "{\"lastResult\":{\"nu\":\"X1\"}}";
	char *enc = form_encode(param, strlen(param), 0);
	char *sign = lg_kd100_sign(param, SALT);

	snprintf(body, sizeof(body), "param=%s", enc);
	ck_assert_int_eq(lg_kd100_parse_body(body, strlen(body), SALT, &p, &eb), PD_ESIG);
	ck_assert_str_eq(eb.msg, "missing form field sign");
	snprintf(body, sizeof(body), "param=%s&sign=", enc);
	ck_assert_int_eq(lg_kd100_parse_body(body, strlen(body), SALT, &p, &eb), PD_ESIG);
	snprintf(body, sizeof(body), "param=%s&sign=%s", enc, sign);
	ck_assert_int_eq(lg_kd100_parse_body(body, strlen(body), SALT "x", &p, &eb), PD_ESIG);
	/* An empty salt means sign = MD5(param): this sign was made with a salt. */
	ck_assert_int_eq(lg_kd100_parse_body(body, strlen(body), "", &p, &eb), PD_ESIG);
	ck_assert_int_eq(lg_kd100_parse_body(body, strlen(body), NULL, &p, &eb), PD_EINVAL);
	{
		char *nosalt = lg_kd100_sign(param, "");
		char body2[4096];
		snprintf(body2, sizeof(body2), "param=%s&sign=%s", enc, nosalt);
		ck_assert_int_eq(lg_kd100_parse_body(body2, strlen(body2), "", &p, &eb), PD_OK);
		lg_kd100_push_free(&p);
		free(nosalt);
	}
	ck_assert_int_eq(lg_kd100_parse_body(body, strlen(body), SALT, &p, &eb), PD_OK);
	ck_assert_str_eq(p.nu, "X1");
	ck_assert_int_eq(p.state, -1);
	ck_assert_uint_eq(p.n_scans, 0);
	ck_assert_ptr_null(p.scans);
	lg_kd100_push_free(&p);
	/* A body cut one byte short of the sign. */
	ck_assert_int_eq(lg_kd100_parse_body(body, strlen(body) - 1, SALT, &p, &eb), PD_ESIG);

	/* Field order, extra fields, empty pairs and lowercase escapes are fine. */
	char *lenc = form_encode(param, strlen(param), 1);
	snprintf(body, sizeof(body), "&sign=%s&&schema=json&param=%s&", sign, lenc);
	ck_assert_int_eq(lg_kd100_parse_body(body, strlen(body), SALT, &p, &eb), PD_OK);
	lg_kd100_push_free(&p);
	/* The sign covers the decoded param: a changed byte fails. */
	snprintf(body, sizeof(body), "param=%s&sign=%s", lenc, sign);
	body[strlen("param=%7b%22")] = 'L';
	ck_assert_int_eq(lg_kd100_parse_body(body, strlen(body), SALT, &p, &eb), PD_ESIG);
	free(lenc);
	free(enc);
	free(sign);
}
END_TEST

/* ---- form decoding ------------------------------------------------------- */

static int unescape(const char *in, char *out, size_t *n)
{
	return lg_kd100_form_unescape(in, strlen(in), out, n);
}

START_TEST(unescape_ok)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "", "" },
		{ "abc", "abc" },
		{ "a+b", "a b" },
		{ "+++", "   " },
		{ "%41%42", "AB" },
		{ "%2B", "+" },
		{ "%2b%2B", "++" },
		{ "%25", "%" },
		{ "%2541", "%41" }, /* decoded once only */
		{ "a=b", "a=b" },
		{ "%e4%b8%8a%E6%B5%B7", "上海" },
		{ "上海", "上海" }, /* raw UTF-8 passes through */
		{ "%7B%22a%22%3A1%7D", "{\"a\":1}" },
		{ "%ff", "\xff" },
	};
	char out[64];
	for (size_t i = 0; i < PD_ARRAY_LEN(cases); i++) {
		size_t n = 99;
		ck_assert_int_eq(unescape(cases[i].in, out, &n), PD_OK);
		ck_assert_str_eq(out, cases[i].out);
		ck_assert_uint_eq(n, strlen(cases[i].out));
	}
	/* out_len may be NULL. */
	ck_assert_int_eq(lg_kd100_form_unescape("x", 1, out, NULL), PD_OK);
}
END_TEST

START_TEST(unescape_bad)
{
	static const char *const bad[] = { "%", "%4", "a%", "100%", "%zz", "%4g", "%g4",
					   "%%41", "%00", "a%00b", "% 41", "%+1", "%-1" };
	char out[64];
	for (size_t i = 0; i < PD_ARRAY_LEN(bad); i++)
		ck_assert_msg(unescape(bad[i], out, NULL) == PD_EDECODE, "accepted %s", bad[i]);
	/* Raw NUL inside the component. */
	ck_assert_int_eq(lg_kd100_form_unescape("a\0b", 3, out, NULL), PD_EDECODE);
	/* Only len bytes are read: "%4" followed by a digit past len is cut. */
	ck_assert_int_eq(lg_kd100_form_unescape("%41", 2, out, NULL), PD_EDECODE);
}
END_TEST

START_TEST(body_form_errors)
{
	lg_kd100_push p;
	pd_errbuf eb;
	static const struct {
		const char *body;
		int rc;
	} cases[] = {
		{ "", PD_EINVAL },                        /* no param */
		{ "sign=ABC", PD_EINVAL },                /* no param */
		{ "param=", PD_EINVAL },                  /* empty param */
		{ "param", PD_EINVAL },                   /* name without value */
		{ "param=%7&sign=x", PD_EDECODE },        /* bad escape in value */
		{ "param=%7B%7D&sign=%", PD_EDECODE },    /* bad escape in sign */
		{ "par%ZZam=1", PD_EDECODE },             /* bad escape in a name */
		{ "x=%00&param=1&sign=2", PD_EDECODE },   /* NUL in an unused field */
		{ "param=1&param=1&sign=2", PD_EINVAL },  /* duplicate param */
		{ "param=1&sign=2&sign=2", PD_EINVAL },   /* duplicate sign */
		{ "param=1&p%61ram=1&sign=2", PD_EINVAL }, /* duplicate after decoding the name */
		{ "param=1&sign=2", PD_ESIG },            /* sign of the wrong length */
	};
	for (size_t i = 0; i < PD_ARRAY_LEN(cases); i++) {
		int rc = lg_kd100_parse_body(cases[i].body, strlen(cases[i].body), SALT, &p, &eb);
		ck_assert_msg(rc == cases[i].rc, "%s: got %d want %d (%s)", cases[i].body, rc,
			      cases[i].rc, eb.msg);
		ck_assert(is_zero(&p));
	}
	/* A raw NUL in the body. */
	ck_assert_int_eq(lg_kd100_parse_body("param=a\0b&sign=1", 16, SALT, &p, &eb), PD_EDECODE);
	/* NULL body with a length, and output required. */
	ck_assert_int_eq(lg_kd100_parse_body(NULL, 5, SALT, &p, &eb), PD_EINVAL);
	ck_assert_int_eq(lg_kd100_parse_body("", 0, SALT, NULL, &eb), PD_EINVAL);
}
END_TEST

START_TEST(body_size_cap)
{
	size_t n = LG_KD100_MAX_BODY + 1;
	char *big = malloc(n);
	ck_assert_ptr_nonnull(big);
	memset(big, 'a', n);
	memcpy(big, "param=", 6);
	lg_kd100_push p;
	pd_errbuf eb;
	ck_assert_int_eq(lg_kd100_parse_body(big, n, SALT, &p, &eb), PD_ETOOBIG);
	/* At the cap it is read (and fails later, for want of a sign). */
	ck_assert_int_eq(lg_kd100_parse_body(big, n - 1, SALT, &p, &eb), PD_ESIG);
	free(big);
}
END_TEST

/* ---- China time ------------------------------------------------------------ */

START_TEST(china_time_values)
{
	static const struct {
		const char *s;
		int64_t ms;
	} cases[] = {
		{ "2012-08-28 16:33:19", 1346142799000LL },
		{ "2012-08-27 23:22:42", 1346080962000LL },
		{ "2000-01-01 00:00:00", 946656000000LL },
		{ "2000-02-29 12:00:00", 951796800000LL },  /* leap day of a /400 year */
		{ "2024-02-29 23:59:59", 1709222399000LL },
		{ "2016-12-31 23:59:59", 1483199999000LL }, /* leap-second night, no :60 */
		{ "9999-12-31 23:59:59", 253402271999000LL },
	};
	for (size_t i = 0; i < PD_ARRAY_LEN(cases); i++) {
		int64_t ms = 0;
		ck_assert_int_eq(lg_kd100_china_time_ms(cases[i].s, &ms), PD_OK);
		ck_assert_msg(ms == cases[i].ms, "%s -> %lld", cases[i].s, (long long)ms);
	}
}
END_TEST

START_TEST(china_time_ignores_tz)
{
	/* Whatever the process TZ says, China time is UTC+8. */
	static const char *const zones[] = { "America/New_York", "UTC", "Asia/Shanghai",
					     "Pacific/Chatham" };
	for (size_t i = 0; i < PD_ARRAY_LEN(zones); i++) {
		setenv("TZ", zones[i], 1);
		tzset();
		int64_t ms;
		ck_assert_int_eq(lg_kd100_china_time_ms("2012-08-28 16:33:19", &ms), PD_OK);
		ck_assert(ms == 1346142799000LL);
	}
	unsetenv("TZ");
	tzset();
}
END_TEST

START_TEST(china_time_bad)
{
	static const char *const bad[] = {
		"", "2012-08-28", "2012-08-28 16:33", "2012-8-28 16:33:19", "2012-08-28T16:33:19",
		"2012/08/28 16:33:19", "2012-08-28 16:33:19 ", " 2012-08-28 16:33:19",
		"2012-08-28 16:33:19Z", "2012-02-30 00:00:00", "2100-02-29 00:00:00",
		"2023-02-29 00:00:00", "2012-04-31 00:00:00", "2012-00-10 00:00:00",
		"2012-13-10 00:00:00", "2012-08-00 00:00:00", "2012-08-28 24:00:00",
		"2012-08-28 16:60:00", "2012-08-28 16:33:60", "1999-12-31 23:59:59",
		"+012-08-28 16:33:19", "2012-08-28 1 :33:19", "2012-08-28 16:3a:19",
		"0000-00-00 00:00:00", "２012-08-28 16:33:1",
	};
	for (size_t i = 0; i < PD_ARRAY_LEN(bad); i++) {
		int64_t ms = 7;
		ck_assert_msg(lg_kd100_china_time_ms(bad[i], &ms) == PD_EINVAL, "accepted '%s'",
			      bad[i]);
		ck_assert(ms == 7);
	}
	int64_t ms;
	ck_assert_int_eq(lg_kd100_china_time_ms(NULL, &ms), PD_EINVAL);
	ck_assert_int_eq(lg_kd100_china_time_ms("2012-08-28 16:33:19", NULL), PD_EINVAL);
}
END_TEST

/* ---- state codes --------------------------------------------------------- */

START_TEST(state_codes)
{
	enum {
		U = PEAKDESK__V1__SHIPMENT_STATE__SHIPMENT_STATE_UNSPECIFIED,
		CR = PEAKDESK__V1__SHIPMENT_STATE__SHIPMENT_STATE_CREATED,
		CO = PEAKDESK__V1__SHIPMENT_STATE__SHIPMENT_STATE_COLLECTED,
		IT = PEAKDESK__V1__SHIPMENT_STATE__SHIPMENT_STATE_IN_TRANSIT,
		OF = PEAKDESK__V1__SHIPMENT_STATE__SHIPMENT_STATE_OUT_FOR_DELIVERY,
		DL = PEAKDESK__V1__SHIPMENT_STATE__SHIPMENT_STATE_DELIVERED,
		EX = PEAKDESK__V1__SHIPMENT_STATE__SHIPMENT_STATE_EXCEPTION,
		RG = PEAKDESK__V1__SHIPMENT_STATE__SHIPMENT_STATE_RETURNING,
		RD = PEAKDESK__V1__SHIPMENT_STATE__SHIPMENT_STATE_RETURNED,
	};
	static const int map[][2] = {
		/* the basic codes from the push documentation */
		{ 0, IT }, { 1, CO }, { 2, EX }, { 3, DL }, { 4, RD }, { 5, OF }, { 6, RG },
		{ 7, IT }, { 8, IT }, { 14, EX },
		/* the extended (resultv2) sub-states */
		{ 101, CR }, { 102, CR }, { 103, CO }, { 1001, IT }, { 1002, IT }, { 1003, IT },
		{ 501, OF }, { 301, DL }, { 302, DL }, { 303, DL }, { 304, DL }, { 401, RD },
		{ 201, EX }, { 205, EX }, { 210, EX }, { 10, IT }, { 11, IT }, { 12, IT },
		{ 13, EX },
		/* unknown: no state change */
		{ -1, U }, { 9, U }, { 15, U }, { 104, U }, { 211, U }, { 305, U }, { 502, U },
		{ 1004, U }, { 99999, U },
	};
	for (size_t i = 0; i < PD_ARRAY_LEN(map); i++)
		ck_assert_msg(lg_kd100_state_to_shipment(map[i][0]) == map[i][1], "code %d",
			      map[i][0]);
}
END_TEST

/* ---- malformed param ------------------------------------------------------- */

/* A minimal valid push with the given scan list / lastResult extras. */
static char *push_with(const char *lr_extra, const char *data)
{
	size_t n = strlen(lr_extra) + strlen(data) + 128;
	char *s = malloc(n);
	ck_assert_ptr_nonnull(s);
	snprintf(s, n, "{\"status\":\"polling\",\"lastResult\":{\"nu\":\"A1\",\"com\":\"ems\"%s,\"data\":%s}}",
		 lr_extra, data);
	return s;
}

static int parse_str(const char *param, pd_errbuf *eb)
{
	lg_kd100_push p;
	int rc = parse_signed(param, &p, eb);
	if (rc == PD_OK)
		lg_kd100_push_free(&p);
	else
		ck_assert(is_zero(&p));
	return rc;
}

#define SCAN(t) "{\"context\":\"c\",\"ftime\":\"" t "\"}"

START_TEST(param_malformed)
{
	static const struct {
		const char *param;
		int rc;
		const char *msg; /* part of the reason, or NULL */
	} cases[] = {
		{ "{", PD_EDECODE, "truncated" },
		{ "{}x", PD_EDECODE, NULL },
		{ "{} {}", PD_EDECODE, NULL },
		{ "{\"a\":1,}", PD_EDECODE, NULL },
		{ "[]", PD_EINVAL, "object" },
		{ "\"x\"", PD_EINVAL, "object" },
		{ "{}", PD_EINVAL, "missing lastResult" },
		{ "{\"lastResult\":null}", PD_EINVAL, "missing lastResult" },
		{ "{\"lastResult\":[]}", PD_EINVAL, "lastResult" },
		{ "{\"lastResult\":{}}", PD_EINVAL, "missing lastResult.nu" },
		{ "{\"lastResult\":{\"nu\":\"\"}}", PD_EINVAL, "lastResult.nu" },
		{ "{\"lastResult\":{\"nu\":12345}}", PD_EINVAL, "expected a string" },
		{ "{\"lastResult\":{\"nu\":\"A 1\"}}", PD_EINVAL, "printable" },
		{ "{\"lastResult\":{\"nu\":\"A\\u00001\"}}", PD_EDECODE, "NUL" },
		{ "{\"lastResult\":{\"nu\":\"A1\",\"com\":\"e\\nms\"}}", PD_EINVAL, "printable" },
		{ "{\"lastResult\":{\"nu\":\"A1\",\"state\":\"x\"}}", PD_EINVAL, "state" },
		{ "{\"lastResult\":{\"nu\":\"A1\",\"state\":\"123456\"}}", PD_EINVAL, "state" },
		{ "{\"lastResult\":{\"nu\":\"A1\",\"state\":-3}}", PD_EINVAL, "state" },
		{ "{\"lastResult\":{\"nu\":\"A1\",\"state\":true}}", PD_EINVAL, "state" },
		{ "{\"lastResult\":{\"nu\":\"A1\",\"data\":{}}}", PD_EINVAL, "array" },
		{ "{\"lastResult\":{\"nu\":\"A1\",\"data\":[1]}}", PD_EINVAL, "data[0]" },
		{ "{\"lastResult\":{\"nu\":\"A1\",\"data\":[{}]}}", PD_EINVAL, "time" },
		{ "{\"lastResult\":{\"nu\":\"A1\",\"data\":[" SCAN("2012-08-28 16:33:19") "," SCAN("yesterday") "]}}",
		  PD_EINVAL, "data[1].ftime" },
		{ "{\"lastResult\":{\"nu\":\"A1\",\"data\":[{\"ftime\":\"2012-08-28 16:33:19\",\"context\":7}]}}",
		  PD_EINVAL, "context" },
		{ "{\"status\":\"a-very-long-push-status-word-here\",\"lastResult\":{\"nu\":\"A1\"}}",
		  PD_EINVAL, "status" },
		{ "{\"message\":[],\"lastResult\":{\"nu\":\"A1\"}}", PD_EINVAL, "message" },
		/* invalid UTF-8 inside a string */
		{ "{\"lastResult\":{\"nu\":\"A1\",\"message\":\"\xc3\x28\"}}", PD_EDECODE, NULL },
		{ "{\"lastResult\":{\"nu\":\"A1\",\"message\":\"\xed\xa0\x80\"}}", PD_EDECODE, "UTF-8" },
		{ "{\"lastResult\":{\"nu\":\"A1\",\"message\":\"\xc0\x80\"}}", PD_EDECODE, "UTF-8" },
		{ "{\"lastResult\":{\"nu\":\"A1\",\"message\":\"\xf4\x90\x80\x80\"}}", PD_EDECODE, "UTF-8" },
		{ "{\"lastResult\":{\"nu\":\"A1\"},\"x\":\"\xff\"}", PD_EDECODE, "UTF-8" }, /* ignored field too */
	};
	for (size_t i = 0; i < PD_ARRAY_LEN(cases); i++) {
		pd_errbuf eb = { "" };
		int rc = parse_str(cases[i].param, &eb);
		ck_assert_msg(rc == cases[i].rc, "%s: got %d want %d (%s)", cases[i].param, rc,
			      cases[i].rc, eb.msg);
		if (cases[i].msg)
			ck_assert_msg(strstr(eb.msg, cases[i].msg) != NULL, "%s: reason '%s'",
				      cases[i].param, eb.msg);
	}
}
END_TEST

START_TEST(param_lenient_parts)
{
	lg_kd100_push p;
	pd_errbuf eb;
	/* State and ischeck as JSON numbers, "" state, time when ftime is absent. */
	const char *s = "{\"lastResult\":{\"nu\":\"A1\",\"state\":3,\"ischeck\":1,\"data\":["
			"{\"time\":\"2012-08-28 16:33:19\"},"
			"{\"ftime\":\"\",\"time\":\"2012-08-27 23:22:42\",\"statusCode\":\"\"}]}}";
	ck_assert_int_eq(parse_signed(s, &p, &eb), PD_OK);
	ck_assert_int_eq(p.state, 3);
	ck_assert_int_eq(p.ischeck, 1);
	ck_assert_str_eq(p.com, "");
	ck_assert_str_eq(p.push_status, "");
	ck_assert_uint_eq(p.n_scans, 2);
	ck_assert(p.scans[1].scanned_at_ms == 1346080962000LL);
	ck_assert_str_eq(p.scans[1].context, "");
	ck_assert_int_eq(p.scans[1].status_code, -1);
	lg_kd100_push_free(&p);

	/* Newest is the latest time, whatever the order sent. */
	s = "{\"lastResult\":{\"nu\":\"A1\",\"state\":\"\",\"data\":[" SCAN("2012-08-27 23:22:42") ","
	    SCAN("2012-08-28 16:33:19") "," SCAN("2012-08-28 16:33:19") "]}}";
	ck_assert_int_eq(parse_signed(s, &p, &eb), PD_OK);
	ck_assert_int_eq(p.state, -1);
	ck_assert_uint_eq(p.newest, 1);
	ck_assert(p.last_scan_at_ms == 1346142799000LL);
	lg_kd100_push_free(&p);

	/* data: null and [] both mean no scans; escaped UTF-8 is decoded. */
	s = "{\"message\":\"3\\u5929\\u67e5\\u8be2\\u65e0\\u8bb0\\u5f55\",\"status\":\"abort\","
	    "\"lastResult\":{\"nu\":\"A1\",\"data\":null}}";
	ck_assert_int_eq(parse_signed(s, &p, &eb), PD_OK);
	ck_assert_str_eq(p.message, "3天查询无记录");
	ck_assert_str_eq(p.push_status, "abort");
	ck_assert_uint_eq(p.n_scans, 0);
	lg_kd100_push_free(&p);
	char *e = push_with("", "[]");
	ck_assert_int_eq(parse_signed(e, &p, &eb), PD_OK);
	ck_assert_uint_eq(p.n_scans, 0);
	lg_kd100_push_free(&p);
	free(e);

	/* Whitespace around the JSON value is fine. */
	const char *ws = " {\"lastResult\":{\"nu\":\"A1\"}}\r\n";
	ck_assert_int_eq(lg_kd100_parse_param(ws, strlen(ws), &p, &eb), PD_OK);
	lg_kd100_push_free(&p);
	ck_assert_int_eq(lg_kd100_parse_param(NULL, 0, &p, &eb), PD_EINVAL);
	ck_assert_int_eq(lg_kd100_parse_param("{}", 2, NULL, &eb), PD_EINVAL);
	lg_kd100_push_free(NULL);
}
END_TEST

/* A list of n identical scans. */
static char *scans(size_t n)
{
	const char *one = SCAN("2012-08-28 16:33:19");
	size_t l = strlen(one);
	char *s = malloc(n * (l + 1) + 3), *o = s;
	ck_assert_ptr_nonnull(s);
	*o++ = '[';
	for (size_t i = 0; i < n; i++) {
		if (i)
			*o++ = ',';
		memcpy(o, one, l);
		o += l;
	}
	*o++ = ']';
	*o = '\0';
	return s;
}

START_TEST(param_limits)
{
	pd_errbuf eb = { "" };
	lg_kd100_push p;
	/* 1000 scans pass, 1001 do not. */
	char *d = scans(LG_KD100_MAX_SCANS), *s = push_with("", d);
	ck_assert_int_eq(parse_signed(s, &p, &eb), PD_OK);
	ck_assert_uint_eq(p.n_scans, LG_KD100_MAX_SCANS);
	lg_kd100_push_free(&p);
	free(d);
	free(s);
	d = scans(LG_KD100_MAX_SCANS + 1);
	s = push_with("", d);
	ck_assert_int_eq(parse_str(s, &eb), PD_EINVAL);
	ck_assert_ptr_nonnull(strstr(eb.msg, "more than 1000"));
	free(d);
	free(s);

	/* A text of 4096 bytes passes, 4097 does not (counted in bytes: 3 per 汉). */
	char text[LG_KD100_MAX_STR + 2];
	memset(text, 'x', sizeof(text));
	text[LG_KD100_MAX_STR] = '\0';
	size_t n = strlen(text) + 256;
	char *msg = malloc(n + 8);
	snprintf(msg, n, "{\"message\":\"%s\",\"lastResult\":{\"nu\":\"A1\"}}", text);
	ck_assert_int_eq(parse_str(msg, &eb), PD_OK);
	text[LG_KD100_MAX_STR] = 'x';
	text[LG_KD100_MAX_STR + 1] = '\0';
	snprintf(msg, n + 8, "{\"message\":\"%s\",\"lastResult\":{\"nu\":\"A1\"}}", text);
	ck_assert_int_eq(parse_str(msg, &eb), PD_EINVAL);
	ck_assert_ptr_nonnull(strstr(eb.msg, "longer than 4096"));
	free(msg);
	char ctx[3 * 1366 + 1] = "";
	for (int i = 0; i < 1366; i++)
		strcat(ctx, "汉"); /* 4098 bytes */
	char scan1[sizeof(ctx) + 128];
	snprintf(scan1, sizeof(scan1), "[{\"ftime\":\"2012-08-28 16:33:19\",\"context\":\"%s\"}]", ctx);
	s = push_with("", scan1);
	ck_assert_int_eq(parse_str(s, &eb), PD_EINVAL);
	ck_assert_ptr_nonnull(strstr(eb.msg, "data[0].context"));
	free(s);

	/* nu and com: 63 bytes fit, 64 do not. */
	char nu[80];
	memset(nu, 'N', 63);
	nu[63] = '\0';
	char buf[256];
	snprintf(buf, sizeof(buf), "{\"lastResult\":{\"nu\":\"%s\"}}", nu);
	ck_assert_int_eq(parse_str(buf, &eb), PD_OK);
	strcat(nu, "N");
	snprintf(buf, sizeof(buf), "{\"lastResult\":{\"nu\":\"%s\"}}", nu);
	ck_assert_int_eq(parse_str(buf, &eb), PD_EINVAL);
	snprintf(buf, sizeof(buf), "{\"lastResult\":{\"nu\":\"A1\",\"com\":\"%s\"}}", nu);
	ck_assert_int_eq(parse_str(buf, &eb), PD_EINVAL);

	/* Shapes whose json-c tree would dwarf the text are refused up front;
	 * brackets and commas inside strings do not count. */
	size_t big = 4 * LG_KD100_MAX_SCANS * 3 + 128;
	char *many = malloc(big);
	strcpy(many, "{\"lastResult\":{\"nu\":\"A1\"},\"x\":[{}");
	for (int i = 0; i < 2 * LG_KD100_MAX_SCANS + 64; i++)
		strcat(many, ",{}");
	strcat(many, "]}");
	ck_assert_int_eq(parse_str(many, &eb), PD_EINVAL);
	ck_assert_ptr_nonnull(strstr(eb.msg, "objects/arrays"));
	strcpy(many, "{\"lastResult\":{\"nu\":\"A1\"},\"x\":\"");
	for (int i = 0; i < 2 * LG_KD100_MAX_SCANS + 64; i++)
		strcat(many, "[{,\\\"");
	strcat(many, "\"}");
	ck_assert_int_eq(parse_str(many, &eb), PD_OK);
	free(many);

	/* Nesting: the format needs depth 4; 16 is the parser's limit. */
	char deep[128] = "{\"lastResult\":{\"nu\":\"A1\"},\"x\":";
	for (int i = 0; i < 20; i++)
		strcat(deep, "[");
	for (int i = 0; i < 20; i++)
		strcat(deep, "]");
	strcat(deep, "}");
	ck_assert_int_eq(parse_str(deep, &eb), PD_EDECODE);
	strcpy(deep, "{\"lastResult\":{\"nu\":\"A1\"},\"x\":[[[[[[[[]]]]]]]]}");
	ck_assert_int_eq(parse_str(deep, &eb), PD_OK);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("kuaidi100");
	TCase *fx = tcase_create("fixtures");
	tcase_add_test(fx, fixture_in_transit_body);
	tcase_add_test(fx, fixture_delivered);
	tcase_add_test(fx, fixture_chinese_areas);
	tcase_add_test(fx, shared_doc_example);
	tcase_add_test(fx, reply_constants);
	suite_add_tcase(s, fx);
	TCase *sg = tcase_create("sign");
	tcase_add_test(sg, sign_values);
	tcase_add_test(sg, sign_verify);
	tcase_add_test(sg, body_sign_errors);
	suite_add_tcase(s, sg);
	TCase *fm = tcase_create("form");
	tcase_add_test(fm, unescape_ok);
	tcase_add_test(fm, unescape_bad);
	tcase_add_test(fm, body_form_errors);
	tcase_add_test(fm, body_size_cap);
	suite_add_tcase(s, fm);
	TCase *tm = tcase_create("time");
	tcase_add_test(tm, china_time_values);
	tcase_add_test(tm, china_time_ignores_tz);
	tcase_add_test(tm, china_time_bad);
	tcase_add_test(tm, state_codes);
	suite_add_tcase(s, tm);
	TCase *js = tcase_create("json");
	tcase_add_test(js, param_malformed);
	tcase_add_test(js, param_lenient_parts);
	tcase_add_test(js, param_limits);
	suite_add_tcase(s, js);
	return s;
}

PD_CHECK_MAIN(suite)
