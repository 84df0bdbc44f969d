/* Binary one-dimensional arrays; see bin_array.h. Layout (array_recv):
 * int32 ndim, int32 flags (1 = has NULLs), uint32 element type, per
 * dimension int32 size and int32 lower bound, then per element int32
 * length (-1: NULL, no bytes) and the element in its binary form (integers
 * big-endian, text as its bytes, timestamptz as int64 microseconds since
 * 2000-01-01 UTC). An empty array is ndim 0 with no dimensions. */
#include "bin_array.h"

#include <stdlib.h>
#include <string.h>

#include "pd.h"

#define HEADER 20 /* ndim, flags, type, size, lower bound */

static uint8_t *room(pd_arr *a, size_t n)
{
	if (a->len + n > a->cap) {
		size_t cap = a->cap ? a->cap : 1024;
		while (cap < a->len + n)
			cap *= 2;
		a->b = pd_xrealloc(a->b, cap);
		a->cap = cap;
	}
	uint8_t *p = a->b + a->len;
	a->len += n;
	return p;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

void pd_arr_begin(pd_arr *a, uint32_t elem)
{
	a->len = 0;
	a->n = 0;
	a->nulls = 0;
	a->elem = elem;
	room(a, HEADER);
}

void pd_arr_text(pd_arr *a, const char *s)
{
	size_t n = strlen(s);
	uint8_t *p = room(a, 4 + n);
	put32(p, (uint32_t)n);
	memcpy(p + 4, s, n);
	a->n++;
}

void pd_arr_i64(pd_arr *a, int64_t v)
{
	uint8_t *p = room(a, 12);
	put32(p, 8);
	put32(p + 4, (uint32_t)((uint64_t)v >> 32));
	put32(p + 8, (uint32_t)(uint64_t)v);
	a->n++;
}

void pd_arr_i32(pd_arr *a, int32_t v)
{
	uint8_t *p = room(a, 8);
	put32(p, 4);
	put32(p + 4, (uint32_t)v);
	a->n++;
}

void pd_arr_bool(pd_arr *a, int v)
{
	uint8_t *p = room(a, 5);
	put32(p, 1);
	p[4] = v ? 1 : 0;
	a->n++;
}

void pd_arr_uuid(pd_arr *a, const uint8_t id[16])
{
	uint8_t *p = room(a, 20);
	put32(p, 16);
	memcpy(p + 4, id, 16);
	a->n++;
}

/* timestamptz on the wire: microseconds since 2000-01-01 00:00 UTC. */
#define PG_EPOCH_MS 946684800000LL

void pd_arr_ts_ms(pd_arr *a, int64_t ms)
{
	if (ms == 0) {
		put32(room(a, 4), 0xffffffffu); /* length -1: NULL */
		a->nulls = 1;
		a->n++;
		return;
	}
	int64_t us;
	/* Out of timestamptz's range either way: the server refuses it, as
	 * it refuses to_timestamp of such a value (never +-infinity). */
	if (__builtin_sub_overflow(ms, PG_EPOCH_MS, &us) || __builtin_mul_overflow(us, 1000, &us))
		us = ms > 0 ? INT64_MAX - 1 : INT64_MIN + 1;
	uint8_t *p = room(a, 12);
	put32(p, 8);
	put32(p + 4, (uint32_t)((uint64_t)us >> 32));
	put32(p + 8, (uint32_t)(uint64_t)us);
	a->n++;
}

const char *pd_arr_data(pd_arr *a)
{
	if (a->len < HEADER)
		pd_arr_begin(a, a->elem);
	put32(a->b, a->n ? 1 : 0);
	put32(a->b + 4, a->nulls ? 1 : 0);
	put32(a->b + 8, a->elem);
	put32(a->b + 12, a->n);
	put32(a->b + 16, 1);
	return (const char *)a->b;
}

int pd_arr_len(const pd_arr *a)
{
	/* An empty array stops after the element type. */
	return a->n ? (int)a->len : 12;
}

void pd_arr_free(pd_arr *a)
{
	free(a->b);
	memset(a, 0, sizeof(*a));
}

void pd_arrs_begin(pd_arr *const *cols, const uint32_t *types, size_t n)
{
	for (size_t i = 0; i < n; i++)
		pd_arr_begin(cols[i], types[i]);
}

void pd_arrs_free(pd_arr *const *cols, size_t n)
{
	for (size_t i = 0; i < n; i++)
		pd_arr_free(cols[i]);
}
