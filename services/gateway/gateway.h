/* The channel gateway's I/O shell: channel accounts, storing inbound
 * messages (every path ends in gw_store_inbound), the HTTP surfaces. Pure
 * parts: webhook_sig.c, wechat_*.c, mail_parse.c. */
#ifndef GW_GATEWAY_H
#define GW_GATEWAY_H

#include <stdint.h>

#include "bus.h"
#include "channel.pb-c.h"
#include "http.h"

#define GW_MAX_TEXT (64 * 1024)      /* bytes of message text kept */
#define GW_MAX_ATTACHMENTS 20

typedef struct gw_account {
	char name[65];
	char channel[16];   /* webhook, wechat, email */
	char secret[256];
	char token[128];
	char aes_key[64];
	char appid[64];
	char url[512];
	char token_api[512];  /* wechat: access token of the send API */
	int disabled;
} gw_account;

/* ---- accounts cache (accounts.c) ---------------------------------------------- */
/* Copies the account named name into *out; 0 when found, PD_ENOTFOUND. */
int gw_accounts_get(const char *name, gw_account *out);
/* Queues a reload from gateway.accounts (the writer runs it). */
void gw_accounts_reload(pd_bus *bus);
/* Number of accounts loaded so far (-1 before the first load). */
int gw_accounts_count(void);

/* ---- storing a customer message (inbound.c) ------------------------------------- */
/* Stores msg (a CustomerMessage with channel, account, external ids, text,
 * attachments and sent_at set) unless (account, external_message_id) is
 * already stored, and emits message.inbound in the same transaction.
 * *duplicate tells which; message_id gets the stored message's id either
 * way. */
int gw_store_inbound(pd_txn *tx, Peakdesk__V1__CustomerMessage *msg, int *duplicate,
		     char message_id[37], pd_errbuf *eb);

/* Same for n messages in one statement (the webhook's group commit):
 * duplicate[i] and message_ids[i] per message. */
int gw_store_inbound_batch(pd_txn *tx, Peakdesk__V1__CustomerMessage **msgs, size_t n, int *duplicate,
			   char (*message_ids)[37], pd_errbuf *eb);

/* Cuts text to at most max bytes at a UTF-8 character boundary (in place). */
void gw_truncate_utf8(char *text, size_t max);

/* ---- HTTP surfaces ------------------------------------------------------------ */
int gw_webhook_route(pd_http *http, pd_bus *bus);
/* welcome: passive reply to new followers ("" = none). */
int gw_wechat_route(pd_http *http, pd_bus *bus, const char *welcome);
int gw_track_route(pd_http *http, pd_bus *bus);
int gw_agent_route(pd_http *http, pd_bus *bus);

#endif
