/* WeChat Official Account request signatures (pure logic, no I/O).
 *
 * WeChat signs every callback with a token both sides configured:
 *   signature     = hex SHA-1 of sort(token, timestamp, nonce) concatenated,
 *                   sent as the `signature` query parameter on the URL check
 *                   (GET with echostr) and on every POST;
 *   msg_signature = hex SHA-1 of sort(token, timestamp, nonce, Encrypt)
 *                   concatenated, sent in safe mode (encrypt_type=aes) and
 *                   put by us into encrypted replies.
 * "sort" is a plain byte-wise (strcmp) sort; the digest is 40 lower-case hex
 * characters. Neither signature covers a plain-mode body: in plain mode the
 * body is unauthenticated, which is one more reason to run in safe mode.
 *
 * The HTTP handler must check msg_signature before decrypting anything, so
 * that forged ciphertexts never reach the AES code (see wechat_crypto.h). */
#ifndef WX_SIG_H
#define WX_SIG_H

#include "pd.h"

#define WX_SIG_HEX_LEN 40 /* hex characters of a SHA-1 signature */

/* Computes the URL / plain-POST signature into out_hex (41 bytes: 40 hex
 * digits + NUL). All arguments must be non-NULL and token non-empty (an
 * empty token would make the signature computable by anyone).
 * PD_OK, or PD_EINVAL (out_hex is then ""). */
int wx_signature(const char *token, const char *timestamp, const char *nonce,
		 char out_hex[WX_SIG_HEX_LEN + 1]);

/* Same over four strings, encrypt being the Encrypt element's base64 text:
 * the safe-mode msg_signature. PD_OK or PD_EINVAL. */
int wx_msg_signature(const char *token, const char *timestamp, const char *nonce,
		     const char *encrypt, char out_hex[WX_SIG_HEX_LEN + 1]);

/* 1 when `given` (from the request) is the 40-hex-digit signature `expected`
 * (from wx_signature), in time independent of where they differ; hex letters
 * may be of either case. 0 otherwise, including NULL or a wrong length (the
 * length is public). */
int wx_sig_equal(const char *expected, const char *given);

/* Recomputes and compares: PD_OK, PD_ESIG (missing or wrong signature) or
 * PD_EINVAL (bad arguments, e.g. empty token). */
int wx_verify_signature(const char *token, const char *timestamp, const char *nonce,
			const char *signature);
int wx_verify_msg_signature(const char *token, const char *timestamp, const char *nonce,
			    const char *encrypt, const char *msg_signature);

#endif
