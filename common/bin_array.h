/* One-dimensional PostgreSQL arrays in the binary wire format (what
 * array_send writes and array_recv reads), for bulk statements that take
 * whole columns as parameters: unnest($1::text[], $2::bigint[], ...).
 *
 * Sent as binary parameters they cost the server no text parsing and the
 * writer no quoting or number formatting: columns go in as lengths and
 * big-endian integers (the stock writer's reports, the ingest claim's
 * event ids). Pure (no I/O): build, then pass
 * pd_arr_data / pd_arr_len with format 1. Only pd_arr_ts_ms writes NULLs. */
#ifndef PD_BIN_ARRAY_H
#define PD_BIN_ARRAY_H

#include <stddef.h>
#include <stdint.h>

/* Element type OIDs (pg_type.oid, fixed since PostgreSQL 7). */
#define PD_OID_BOOL 16u
#define PD_OID_INT8 20u
#define PD_OID_INT4 23u
#define PD_OID_TEXT 25u
#define PD_OID_TIMESTAMPTZ 1184u
#define PD_OID_UUID 2950u

typedef struct pd_arr {
	uint8_t *b;
	size_t len, cap;
	uint32_t n;    /* elements so far */
	uint32_t elem; /* element type OID */
	int nulls;     /* some element is NULL */
} pd_arr;

/* Starts an empty array of element type elem (reuses a's buffer). */
void pd_arr_begin(pd_arr *a, uint32_t elem);
void pd_arr_text(pd_arr *a, const char *s); /* PD_OID_TEXT */
void pd_arr_i64(pd_arr *a, int64_t v);      /* PD_OID_INT8 */
void pd_arr_i32(pd_arr *a, int32_t v);      /* PD_OID_INT4 */
void pd_arr_bool(pd_arr *a, int v);         /* PD_OID_BOOL */
void pd_arr_uuid(pd_arr *a, const uint8_t id[16]); /* PD_OID_UUID */
/* A unix-ms time as timestamptz (PD_OID_TIMESTAMPTZ), 0 as NULL: the
 * value to_timestamp(ms / 1000.0) gives, without the server's float
 * arithmetic. */
void pd_arr_ts_ms(pd_arr *a, int64_t ms);
/* The finished array (header with the element count). Valid until the
 * next call on a. */
const char *pd_arr_data(pd_arr *a);
int pd_arr_len(const pd_arr *a);
void pd_arr_free(pd_arr *a);
/* The columns of one bulk statement: begins cols[i] with types[i]; frees
 * them all. */
void pd_arrs_begin(pd_arr *const *cols, const uint32_t *types, size_t n);
void pd_arrs_free(pd_arr *const *cols, size_t n);

#endif
