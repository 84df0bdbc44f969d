/* Authentication of the generic channel webhook (pure): headers
 * X-Peakdesk-Timestamp (unix seconds) and
 * X-Peakdesk-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>,
 * refused outside a window around now (replays of an old signed request). */
#ifndef GW_WEBHOOK_SIG_H
#define GW_WEBHOOK_SIG_H

#include <stddef.h>
#include <stdint.h>

#include "pd.h"

#define GW_SIG_WINDOW_S 300

/* Lower-case hex HMAC-SHA256(secret, timestamp "." body) into out[65]. */
void gw_webhook_sign(const char *secret, const char *timestamp, const char *body, size_t len, char out[65]);

/* PD_OK, or PD_ESIG with a reason in eb: header missing or malformed,
 * timestamp outside now_s +- GW_SIG_WINDOW_S, signature mismatch
 * (compared in constant time). */
int gw_webhook_verify(const char *secret, const char *ts_header, const char *sig_header,
		      const char *body, size_t len, int64_t now_s, pd_errbuf *eb);

#endif
