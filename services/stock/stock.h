/* The stock service's I/O shell: what main.c wires together. The pure
 * decisions (shortage episodes, restocks, low-stock warnings) live in
 * level_state.c. */
#ifndef ST_STOCK_H
#define ST_STOCK_H

#include "ingest.h"
#include "sales_cache.h"

typedef struct st_context {
	st_sales_cache *sales; /* last hour's sales per SKU (writer thread) */
} st_context;

/* Ingest ops for department events (topic stock.level); arg: st_context. */
extern const pd_ingest_ops st_ingest_ops;

/* Most bytes of affected orders one stock.shortage event carries; a longer
 * list is split into parts (StockShortage.part / parts). */
#define ST_SHORTAGE_EVENT_BYTES (2u << 20)

#endif
