/* Auto-replies from live facts (pure): the classification rule names a
 * template, the router gathers the facts (a shipment's state and last scan,
 * ...) and this module renders the text, or says no when the facts needed
 * are missing (then nothing is sent: a vague auto-reply annoys more than
 * silence). */
#ifndef RT_AUTOREPLY_H
#define RT_AUTOREPLY_H

#include <stddef.h>
#include <stdint.h>

typedef struct rt_facts {
	/* a shipment linked to the ticket (by order or tracking number) */
	int has_shipment;
	const char *carrier;       /* carrier code, e.g. "yunda" */
	const char *tracking_no;
	const char *state;         /* logistics state name: in_transit, delivered, ... */
	const char *last_scan_text;
	int64_t last_scan_at_ms;   /* 0 = none */
	int delayed;               /* an open delay episode */

	/* stock of a SKU on the ticket's order, the scarcest one first
	 * (restock_eta, ship_by) */
	int has_stock;
	const char *order_id;
	const char *sku_name;
	int64_t available;         /* units that can still be sold */
	int out_of_stock;          /* an open stock-out episode */
	int64_t restock_eta_ms;    /* 0 = unknown */
	int presale;
	int64_t ship_by_ms;        /* promised ship-by of a presale SKU; 0 = none */

	/* a rule of a live campaign matching the customer's words (promo_rule) */
	int has_promo;
	const char *campaign_name;
	const char *promo_title;
	const char *promo_text;
} rt_facts;

/* Renders template `name` with facts into out (UTF-8). Returns 1 when a
 * reply was written, 0 when this template needs facts that are missing or
 * the name is unknown (send nothing). */
int rt_autoreply_render(const char *name, const rt_facts *f, char *out, size_t outlen);

/* Proactive notices about a stock-out (f: has_stock, order_id, sku_name,
 * restock_eta_ms) and about the same SKU coming back. Always 1 with a
 * sku_name; 0 without. */
int rt_notice_stockout(const rt_facts *f, char *out, size_t outlen);
int rt_notice_restocked(const rt_facts *f, char *out, size_t outlen);

/* The facts a template needs, so the router looks up only those. */
enum {
	RT_FACTS_SHIPMENT = 1,
	RT_FACTS_STOCK = 2,
	RT_FACTS_PROMO = 4,
};
int rt_autoreply_needs(const char *name);

/* 1 for templates that answer the customer's question from facts (the
 * ticket may then wait on the customer and close itself); 0 for
 * acknowledgements such as complaint_ack, which still need a person. */
int rt_autoreply_answers(const char *name);

#endif
