/* Units of each SKU sold in the last hour, remembered for a minute.
 *
 * The low-stock threshold of a SKU without its own is its last hour's
 * sell-through. During a peak every report of a hot SKU would otherwise
 * re-sum thousands of order lines; an hour's sales move little in a
 * minute, so the writer asks the database once a minute per SKU. Used
 * from the writer thread only (not thread-safe). */
#ifndef ST_SALES_CACHE_H
#define ST_SALES_CACHE_H

#include <stddef.h>
#include <stdint.h>

typedef struct st_sales_cache st_sales_cache;

st_sales_cache *st_sales_cache_new(int64_t ttl_ms);
void st_sales_cache_free(st_sales_cache *c);
/* 1 and *units when sku was stored less than ttl_ms before now_ms. */
int st_sales_cache_get(const st_sales_cache *c, const char *sku, int64_t now_ms, int64_t *units);
void st_sales_cache_put(st_sales_cache *c, const char *sku, int64_t units, int64_t now_ms);
/* 1 and *units when sku was ever stored, however long ago (the value just
 * fetched, even with a TTL of 0). */
int st_sales_cache_peek(const st_sales_cache *c, const char *sku, int64_t *units);
size_t st_sales_cache_size(const st_sales_cache *c);

#endif
