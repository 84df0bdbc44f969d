/* WeChat Official Account safe mode (encrypt_type=aes): the AES key from
 * the EncodingAESKey, and decryption / encryption of message bodies (pure
 * logic, no I/O; OpenSSL libcrypto underneath).
 *
 * The scheme, as WeChat's message encryption documentation gives it:
 *   key        = base64decode(EncodingAESKey + "="): 43 characters -> 32 bytes
 *   IV         = the first 16 bytes of the key
 *   cipher     = AES-256-CBC
 *   padding    = PKCS#7 to a multiple of 32 bytes (not AES's 16: pad values
 *                run 1..32), done here with OpenSSL's own padding disabled
 *   plaintext  = 16 random bytes | 4-byte big-endian length of the XML |
 *                the XML | the AppID
 *   Encrypt    = base64(ciphertext)
 *
 * Check order for an inbound safe-mode POST, so that forged ciphertexts
 * never reach the AES code (no padding oracle): wx_parse_envelope ->
 * wx_verify_msg_signature over the Encrypt text -> wx_decrypt ->
 * wx_parse_message.
 *
 * Errors (pd_errbuf gets a reason fit for the JSON error body):
 *   PD_EINVAL   bad arguments: EncodingAESKey not 43 base64 characters,
 *               empty or non-ASCII AppID, XML over WX_XML_MAX_BYTES
 *   PD_EDECODE  Encrypt not base64, not whole AES blocks, bad padding, a
 *               length prefix that does not fit the plaintext
 *   PD_ESIG     decrypted fine but for another AppID (wrong key or a
 *               message meant for another account) */
#ifndef WX_CRYPTO_H
#define WX_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#include "pd.h"

#define WX_AES_KEY_LEN 32          /* bytes of the AES-256 key */
#define WX_ENCODING_AES_KEY_LEN 43 /* characters of an EncodingAESKey */
#define WX_PAD_BLOCK 32            /* WeChat's PKCS#7 block size */
#define WX_APPID_MAX 64            /* bytes of an AppID (wx + 16 hex is 18) */
#define WX_RANDOM_LEN 16           /* random prefix of every plaintext */

/* Source of the 16 random prefix bytes: fills buf with n bytes and returns
 * 0, or non-zero on failure. NULL means OpenSSL's RAND_bytes; tests pass a
 * fixed one to get reproducible ciphertexts. */
typedef int (*wx_random_fn)(uint8_t *buf, size_t n, void *ctx);

/* Decodes an EncodingAESKey (exactly 43 characters of the standard base64
 * alphabet) into key. The 2 unused low bits of the last character are
 * ignored, as WeChat's own sample key "...ABCDEFG" needs. PD_OK or PD_EINVAL. */
int wx_aes_key_decode(const char *encoding_aes_key, uint8_t key[WX_AES_KEY_LEN], pd_errbuf *eb);

/* Decrypts the Encrypt text (b64_len base64 characters, padding '='
 * allowed, no whitespace) and checks the AppID that ends the plaintext
 * against appid. On PD_OK *xml_out is the inner XML, NUL-terminated, of
 * *xml_len bytes (at most WX_XML_MAX_BYTES): caller frees. On error
 * *xml_out is NULL. The decrypted buffer is wiped before it is freed. */
int wx_decrypt(const uint8_t key[WX_AES_KEY_LEN], const char *appid, const char *encrypt_b64,
	       size_t b64_len, char **xml_out, size_t *xml_len, pd_errbuf *eb);

/* Encrypts xml[0..xml_len) for appid, the inverse of wx_decrypt. rnd may
 * be NULL (RAND_bytes). On PD_OK *b64_out is the NUL-terminated base64
 * text: caller frees. PD_OK, PD_EINVAL, or PD_EIO (no random bytes or a
 * cipher failure). */
int wx_encrypt(const uint8_t key[WX_AES_KEY_LEN], const char *appid, const char *xml,
	       size_t xml_len, wx_random_fn rnd, void *rnd_ctx, char **b64_out, pd_errbuf *eb);

/* Standard base64 of len bytes (no line breaks), malloc'd and
 * NUL-terminated: caller frees. Exposed for tests and the fuzz harness. */
char *wx_base64_encode(const uint8_t *buf, size_t len);

#endif
