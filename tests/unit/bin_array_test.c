/* Tests for the binary array parameters (common/bin_array.c): the bytes
 * PostgreSQL's array_recv reads for text[], bigint[], int[], boolean[],
 * timestamptz[] (with NULLs) and uuid[], and the empty array. The server
 * side is exercised by tests/e2e/stock_sync.sh and every ingest test. */
#include <string.h>

#include "bin_array.h"
#include "pd_check.h"

static uint32_t be32(const char *p)
{
	const unsigned char *u = (const unsigned char *)p;
	return (uint32_t)u[0] << 24 | (uint32_t)u[1] << 16 | (uint32_t)u[2] << 8 | u[3];
}

static int64_t be64(const char *p)
{
	return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

START_TEST(text_array_layout)
{
	pd_arr a = {0};
	pd_arr_begin(&a, PD_OID_TEXT);
	pd_arr_text(&a, "SKU-1");
	pd_arr_text(&a, "");
	pd_arr_text(&a, "星光");
	const char *d = pd_arr_data(&a);
	int len = pd_arr_len(&a);
	ck_assert_int_eq(len, 20 + (4 + 5) + 4 + (4 + 6));
	ck_assert_uint_eq(be32(d), 1);             /* ndim */
	ck_assert_uint_eq(be32(d + 4), 0);         /* no NULLs */
	ck_assert_uint_eq(be32(d + 8), 25);        /* text */
	ck_assert_uint_eq(be32(d + 12), 3);        /* elements */
	ck_assert_uint_eq(be32(d + 16), 1);        /* lower bound */
	ck_assert_uint_eq(be32(d + 20), 5);
	ck_assert(memcmp(d + 24, "SKU-1", 5) == 0);
	ck_assert_uint_eq(be32(d + 29), 0);
	ck_assert_uint_eq(be32(d + 33), 6);
	ck_assert(memcmp(d + 37, "星光", 6) == 0);
	pd_arr_free(&a);
}
END_TEST

START_TEST(integers_and_booleans_big_endian)
{
	pd_arr a = {0};
	pd_arr_begin(&a, PD_OID_INT8);
	pd_arr_i64(&a, -2);
	pd_arr_i64(&a, 1764000000123LL);
	const char *d = pd_arr_data(&a);
	ck_assert_int_eq(pd_arr_len(&a), 20 + 2 * 12);
	ck_assert_uint_eq(be32(d + 8), 20);
	ck_assert_uint_eq(be32(d + 20), 8);
	ck_assert_int_eq(be64(d + 24), -2);
	ck_assert_int_eq(be64(d + 36), 1764000000123LL);

	/* the buffer is reused by the next array */
	pd_arr_begin(&a, PD_OID_INT4);
	pd_arr_i32(&a, -7);
	d = pd_arr_data(&a);
	ck_assert_int_eq(pd_arr_len(&a), 20 + 8);
	ck_assert_uint_eq(be32(d + 8), 23);
	ck_assert_uint_eq(be32(d + 12), 1);
	ck_assert_uint_eq(be32(d + 20), 4);
	ck_assert_int_eq((int32_t)be32(d + 24), -7);

	pd_arr_begin(&a, PD_OID_BOOL);
	pd_arr_bool(&a, 1);
	pd_arr_bool(&a, 0);
	d = pd_arr_data(&a);
	ck_assert_int_eq(pd_arr_len(&a), 20 + 2 * 5);
	ck_assert_uint_eq(be32(d + 8), 16);
	ck_assert_int_eq(d[24], 1);
	ck_assert_int_eq(d[29], 0);
	pd_arr_free(&a);
}
END_TEST

START_TEST(timestamps_are_microseconds_since_2000_and_zero_is_null)
{
	pd_arr a = {0};
	pd_arr_begin(&a, PD_OID_TIMESTAMPTZ);
	pd_arr_ts_ms(&a, 946684800000LL + 1500); /* 2000-01-01 00:00:01.5 UTC */
	pd_arr_ts_ms(&a, 0);                     /* unknown */
	pd_arr_ts_ms(&a, 1000);                  /* 1970-01-01 00:00:01 UTC */
	const char *d = pd_arr_data(&a);
	ck_assert_int_eq(pd_arr_len(&a), 20 + 12 + 4 + 12);
	ck_assert_uint_eq(be32(d + 4), 1); /* has NULLs */
	ck_assert_uint_eq(be32(d + 8), 1184);
	ck_assert_uint_eq(be32(d + 12), 3);
	ck_assert_int_eq(be64(d + 24), 1500000);
	ck_assert_uint_eq(be32(d + 32), 0xffffffffu);
	ck_assert_int_eq(be64(d + 40), -946684799000000LL);
	/* far outside timestamptz's range: no overflow, a value the server refuses */
	pd_arr_begin(&a, PD_OID_TIMESTAMPTZ);
	pd_arr_ts_ms(&a, INT64_MAX);
	d = pd_arr_data(&a);
	ck_assert_uint_eq(be32(d + 4), 0);
	ck_assert_int_eq(be64(d + 24), INT64_MAX - 1);
	pd_arr_free(&a);
}
END_TEST

START_TEST(empty_array_has_no_dimension)
{
	pd_arr a = {0};
	pd_arr_begin(&a, PD_OID_TEXT);
	const char *d = pd_arr_data(&a);
	ck_assert_int_eq(pd_arr_len(&a), 12);
	ck_assert_uint_eq(be32(d), 0);
	ck_assert_uint_eq(be32(d + 8), 25);
	pd_arr_free(&a);
	/* never begun: still a valid empty array */
	pd_arr z = {0};
	z.elem = PD_OID_INT8;
	d = pd_arr_data(&z);
	ck_assert_int_eq(pd_arr_len(&z), 12);
	ck_assert_uint_eq(be32(d + 8), 20);
	pd_arr_free(&z);
}
END_TEST

START_TEST(grows_past_its_first_buffer)
{
	pd_arr a = {0};
	pd_arr_begin(&a, PD_OID_TEXT);
	char s[300];
	memset(s, 'x', sizeof(s) - 1);
	s[sizeof(s) - 1] = 0;
	for (int i = 0; i < 1000; i++)
		pd_arr_text(&a, s);
	const char *d = pd_arr_data(&a);
	ck_assert_int_eq(pd_arr_len(&a), 20 + 1000 * (4 + 299));
	ck_assert_uint_eq(be32(d + 12), 1000);
	ck_assert_uint_eq(be32(d + 20 + 999 * 303), 299);
	pd_arr_free(&a);
}
END_TEST

START_TEST(uuids_are_sixteen_raw_bytes)
{
	pd_arr a = {0};
	pd_arr_begin(&a, PD_OID_UUID);
	uint8_t id[16];
	for (int i = 0; i < 16; i++)
		id[i] = (uint8_t)(0xf0 + i);
	pd_arr_uuid(&a, id);
	const char *d = pd_arr_data(&a);
	ck_assert_int_eq(pd_arr_len(&a), 20 + 4 + 16);
	ck_assert_uint_eq(be32(d + 8), 2950);
	ck_assert_uint_eq(be32(d + 20), 16);
	ck_assert_int_eq(memcmp(d + 24, id, 16), 0);
	pd_arr_free(&a);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("bin_array");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, text_array_layout);
	tcase_add_test(tc, integers_and_booleans_big_endian);
	tcase_add_test(tc, timestamps_are_microseconds_since_2000_and_zero_is_null);
	tcase_add_test(tc, empty_array_has_no_dimension);
	tcase_add_test(tc, grows_past_its_first_buffer);
	tcase_add_test(tc, uuids_are_sixteen_raw_bytes);
	suite_add_tcase(s, tc);
	return s;
}

PD_CHECK_MAIN(suite)
