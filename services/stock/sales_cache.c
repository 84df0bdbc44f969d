/* Open-addressing hash (linear probing, FNV-1a) from SKU to its last
 * hour's sales; entries are overwritten, never deleted, so probing stays
 * simple. Grows at 70 % load. */
#include "sales_cache.h"

#include <stdlib.h>
#include <string.h>

#include "pd.h"

struct entry {
	char *sku; /* NULL: free slot */
	int64_t units, at_ms;
};

struct st_sales_cache {
	struct entry *slots;
	size_t cap, used; /* cap is a power of two */
	int64_t ttl_ms;
};

static uint64_t hash(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

static struct entry *find(struct entry *slots, size_t cap, const char *sku)
{
	size_t i = (size_t)hash(sku) & (cap - 1);
	while (slots[i].sku && strcmp(slots[i].sku, sku))
		i = (i + 1) & (cap - 1);
	return &slots[i];
}

st_sales_cache *st_sales_cache_new(int64_t ttl_ms)
{
	st_sales_cache *c = pd_xcalloc(1, sizeof(*c));
	c->cap = 256;
	c->slots = pd_xcalloc(c->cap, sizeof(*c->slots));
	c->ttl_ms = ttl_ms;
	return c;
}

void st_sales_cache_free(st_sales_cache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->cap; i++)
		free(c->slots[i].sku);
	free(c->slots);
	free(c);
}

int st_sales_cache_get(const st_sales_cache *c, const char *sku, int64_t now_ms, int64_t *units)
{
	const struct entry *e = find(c->slots, c->cap, sku);
	if (!e->sku || now_ms - e->at_ms >= c->ttl_ms || now_ms < e->at_ms)
		return 0;
	*units = e->units;
	return 1;
}

int st_sales_cache_peek(const st_sales_cache *c, const char *sku, int64_t *units)
{
	const struct entry *e = find(c->slots, c->cap, sku);
	if (!e->sku)
		return 0;
	*units = e->units;
	return 1;
}

static void grow(st_sales_cache *c)
{
	size_t cap = c->cap * 2;
	struct entry *slots = pd_xcalloc(cap, sizeof(*slots));
	for (size_t i = 0; i < c->cap; i++)
		if (c->slots[i].sku)
			*find(slots, cap, c->slots[i].sku) = c->slots[i];
	free(c->slots);
	c->slots = slots;
	c->cap = cap;
}

void st_sales_cache_put(st_sales_cache *c, const char *sku, int64_t units, int64_t now_ms)
{
	if ((c->used + 1) * 10 > c->cap * 7)
		grow(c);
	struct entry *e = find(c->slots, c->cap, sku);
	if (!e->sku) {
		e->sku = pd_xstrdup(sku);
		c->used++;
	}
	e->units = units;
	e->at_ms = now_ms;
}

size_t st_sales_cache_size(const st_sales_cache *c)
{
	return c->used;
}
