/* Delivery adapters for outbound messages: a signed webhook POST for generic
 * channels, WeChat's customer-service send API, and e-mail through the local
 * MTA's sendmail interface. gw_deliver() blocks (it runs on the delivery
 * threads, never on the loop or the writer). */
#ifndef GW_DELIVER_H
#define GW_DELIVER_H

#include <stdint.h>

#include "gateway.h"

typedef struct gw_deliver_config {
	char sendmail[256];    /* command reading a message on stdin, e.g. "/usr/sbin/sendmail -t -i" */
	char mail_from[256];   /* From: of outbound e-mail */
	int timeout_ms;        /* per HTTP attempt */
} gw_deliver_config;

typedef struct gw_delivery {
	/* what to deliver */
	char outbound_id[128];
	char channel[16];
	char external_user_id[256];
	char ticket_public_id[64];
	char subject[512];
	char reply_to[512];    /* message id (e-mail) the reply threads under */
	char *text;            /* owned */
	gw_account acc;        /* the account's settings at claim time */
	int attempt;           /* 1 for the first attempt */
	/* outcome */
	int ok;
	int permanent;         /* failure that no retry can fix */
	int http_status;
	char error[256];
	int duration_ms;
} gw_delivery;

void gw_deliver(gw_delivery *d, const gw_deliver_config *cfg);

/* Delay before attempt `attempt + 1` after `attempt` failed: base * 2^(attempt-1),
 * capped at one hour, with +-25% jitter from rnd so a failing receiver is not
 * hit by every retry at once. */
int64_t gw_backoff_ms(int attempt, int64_t base_ms, uint32_t rnd);

/* Builds the e-mail for d (RFC 5322 via GMime, UTF-8, RFC 2047 subject,
 * In-Reply-To/References so it threads); caller g_free()s. */
char *gw_build_mail(const gw_delivery *d, const char *from);

#endif
