/* Generic webhook HMAC check (see webhook_sig.h). */
#include "webhook_sig.h"

#include <ctype.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void gw_webhook_sign(const char *secret, const char *timestamp, const char *body, size_t len, char out[65])
{
	/* HMAC over timestamp "." body without copying the body. */
	unsigned char md[32];
	unsigned int mdlen = 0;
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
	OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string("digest", "SHA256", 0), OSSL_PARAM_construct_end()};
	size_t outl = 0;
	if (ctx && EVP_MAC_init(ctx, (const unsigned char *)secret, strlen(secret), params) == 1 &&
	    EVP_MAC_update(ctx, (const unsigned char *)timestamp, strlen(timestamp)) == 1 &&
	    EVP_MAC_update(ctx, (const unsigned char *)".", 1) == 1 &&
	    EVP_MAC_update(ctx, (const unsigned char *)body, len) == 1 && EVP_MAC_final(ctx, md, &outl, sizeof(md)) == 1)
		mdlen = (unsigned int)outl;
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	for (unsigned i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", i < mdlen ? md[i] : 0);
}

int gw_webhook_verify(const char *secret, const char *ts_header, const char *sig_header,
		      const char *body, size_t len, int64_t now_s, pd_errbuf *eb)
{
	if (!secret || !*secret)
		return pd_fail(eb, PD_ESIG, "this account has no secret configured");
	if (!ts_header || !*ts_header)
		return pd_fail(eb, PD_ESIG, "missing X-Peakdesk-Timestamp header (unix seconds)");
	if (!sig_header || !*sig_header)
		return pd_fail(eb, PD_ESIG, "missing X-Peakdesk-Signature header (sha256=<hex>)");
	size_t tl = strlen(ts_header);
	if (tl > 12)
		return pd_fail(eb, PD_ESIG, "X-Peakdesk-Timestamp is not unix seconds");
	for (size_t i = 0; i < tl; i++)
		if (!isdigit((unsigned char)ts_header[i]))
			return pd_fail(eb, PD_ESIG, "X-Peakdesk-Timestamp is not unix seconds");
	long long ts = atoll(ts_header);
	if (ts < now_s - GW_SIG_WINDOW_S || ts > now_s + GW_SIG_WINDOW_S)
		return pd_fail(eb, PD_ESIG, "X-Peakdesk-Timestamp is more than %d s away from now (clock skew or a replay)",
			       GW_SIG_WINDOW_S);
	if (strncmp(sig_header, "sha256=", 7) != 0 || strlen(sig_header) != 7 + 64)
		return pd_fail(eb, PD_ESIG, "X-Peakdesk-Signature must be sha256=<64 hex digits>");
	char want[65], got[65];
	gw_webhook_sign(secret, ts_header, body, len, want);
	for (int i = 0; i < 64; i++)
		got[i] = (char)tolower((unsigned char)sig_header[7 + i]);
	got[64] = 0;
	if (CRYPTO_memcmp(want, got, 64) != 0)
		return pd_fail(eb, PD_ESIG, "signature does not match the body");
	return PD_OK;
}
