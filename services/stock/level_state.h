/* What a new stock level means (pure logic): the shortage episode, restock,
 * ETA moves and low-stock warnings of one SKU in one warehouse.
 *
 * Each (sku, warehouse) carries a small state beside its level:
 *
 *   shortage_open  available reached 0 and has not come back yet; the
 *                  episode number counts shortages over the level's life
 *   low_warned     a low-stock warning went out and available has not
 *                  risen above the threshold since (hysteresis: one warning
 *                  per dip, not one per update)
 *
 * A level that last-writer-wins accepted (newer version) is turned into a
 * decision by st_level_decide:
 *
 *   not open, available == 0        -> shortage (new episode)
 *   open, available > 0             -> restocked (episode ends)
 *   open, still 0, ETA later/known  -> shortage again with eta_update
 *   not open, 0 < avail <= thresh   -> low-stock warning once per dip
 *
 * The threshold is the SKU's own when set, else the units sold in the last
 * hour ("less than an hour of stock left"); st_level_wants_sell_through says
 * when the caller must look the sell-through up, so the database is asked
 * only for levels that could warn. */
#ifndef ST_LEVEL_STATE_H
#define ST_LEVEL_STATE_H

#include <stdint.h>

typedef struct st_level_state {
	int exists;             /* 0: first report of this SKU in this warehouse */
	int64_t available;
	int64_t restock_eta_ms; /* 0 = unknown */
	int shortage_open;
	int32_t episodes;       /* shortage episodes so far */
	int low_warned;
} st_level_state;

typedef struct st_level_report {
	int64_t available;      /* >= 0 (validated) */
	int64_t restock_eta_ms; /* 0 = unknown */
	int64_t threshold;      /* SKU's own low-stock threshold; 0 = use sell-through */
	int64_t sell_through;   /* units sold in the last hour; read only when threshold == 0 */
} st_level_report;

typedef struct st_level_decision {
	st_level_state next;    /* the state to store */
	int shortage;           /* emit stock.shortage for episode next.episodes */
	int eta_update;         /* emit stock.shortage (eta_update) for the open episode */
	int restocked;          /* emit stock.restocked ending episode `prev.episodes` */
	int low_warning;        /* emit stock.low */
} st_level_decision;

/* 1 when the decision depends on the last hour's sell-through (no own
 * threshold and stock left). */
int st_level_wants_sell_through(const st_level_state *prev, const st_level_report *r);

void st_level_decide(const st_level_state *prev, const st_level_report *r, st_level_decision *d);

#endif
