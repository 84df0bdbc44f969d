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
} rt_facts;

/* Renders template `name` with facts into out (UTF-8). Returns 1 when a
 * reply was written, 0 when this template needs facts that are missing or
 * the name is unknown (send nothing). */
int rt_autoreply_render(const char *name, const rt_facts *f, char *out, size_t outlen);

/* Templates that need a shipment (the router looks one up only for these). */
int rt_autoreply_needs_shipment(const char *name);

#endif
