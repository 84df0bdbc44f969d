/* One-dimensional PostgreSQL arrays in the binary wire format (what
 * array_send writes and array_recv reads), for bulk statements that take
 * whole columns as parameters: unnest($1::text[], $2::bigint[], ...).
 *
 * Sent as binary parameters they cost the server no text parsing and the
 * writer no quoting or number formatting: a report's columns go in as
 * lengths and big-endian integers. Pure (no I/O): build, then pass
 * st_arr_data / st_arr_len with format 1. Only st_arr_ts_ms writes NULLs. */
#ifndef ST_BIN_ARRAY_H
#define ST_BIN_ARRAY_H

#include <stddef.h>
#include <stdint.h>

/* Element type OIDs (pg_type.oid, fixed since PostgreSQL 7). */
#define ST_OID_BOOL 16u
#define ST_OID_INT8 20u
#define ST_OID_INT4 23u
#define ST_OID_TEXT 25u
#define ST_OID_TIMESTAMPTZ 1184u

typedef struct st_arr {
	uint8_t *b;
	size_t len, cap;
	uint32_t n;    /* elements so far */
	uint32_t elem; /* element type OID */
	int nulls;     /* some element is NULL */
} st_arr;

/* Starts an empty array of element type elem (reuses a's buffer). */
void st_arr_begin(st_arr *a, uint32_t elem);
void st_arr_text(st_arr *a, const char *s); /* ST_OID_TEXT */
void st_arr_i64(st_arr *a, int64_t v);      /* ST_OID_INT8 */
void st_arr_i32(st_arr *a, int32_t v);      /* ST_OID_INT4 */
void st_arr_bool(st_arr *a, int v);         /* ST_OID_BOOL */
/* A unix-ms time as timestamptz (ST_OID_TIMESTAMPTZ), 0 as NULL: the
 * value to_timestamp(ms / 1000.0) gives, without the server's float
 * arithmetic. */
void st_arr_ts_ms(st_arr *a, int64_t ms);
/* The finished array (header with the element count). Valid until the
 * next call on a. */
const char *st_arr_data(st_arr *a);
int st_arr_len(const st_arr *a);
void st_arr_free(st_arr *a);

#endif
