/* WeChat callback signatures: SHA-1 over the byte-wise sorted token,
 * timestamp, nonce (and Encrypt in safe mode), compared in constant time.
 * The format is described in wechat_sig.h. */
#include "wechat_sig.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Hex SHA-1 of the n strings sorted and concatenated. The strings are fed
 * to the digest one by one, so nothing is copied and no length limit is
 * needed beyond what the caller already enforced on the request. */
static int sha1_sorted(const char **parts, size_t n, char out[WX_SIG_HEX_LEN + 1])
{
	static const char digits[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;

	out[0] = '\0';
	qsort(parts, n, sizeof(parts[0]), cmp_str);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha1(), NULL) == 1;
	for (size_t i = 0; ok && i < n; i++)
		ok = EVP_DigestUpdate(ctx, parts[i], strlen(parts[i])) == 1;
	ok = ok && EVP_DigestFinal_ex(ctx, md, &md_len) == 1 && md_len * 2 == WX_SIG_HEX_LEN;
	EVP_MD_CTX_free(ctx);
	if (!ok)
		return PD_EINVAL;
	for (unsigned i = 0; i < md_len; i++) {
		out[2 * i] = digits[md[i] >> 4];
		out[2 * i + 1] = digits[md[i] & 15];
	}
	out[WX_SIG_HEX_LEN] = '\0';
	return PD_OK;
}

int wx_signature(const char *token, const char *timestamp, const char *nonce,
		 char out_hex[WX_SIG_HEX_LEN + 1])
{
	if (!out_hex)
		return PD_EINVAL;
	out_hex[0] = '\0';
	if (!token || !*token || !timestamp || !nonce)
		return PD_EINVAL;
	const char *parts[] = { token, timestamp, nonce };
	return sha1_sorted(parts, 3, out_hex);
}

int wx_msg_signature(const char *token, const char *timestamp, const char *nonce,
		     const char *encrypt, char out_hex[WX_SIG_HEX_LEN + 1])
{
	if (!out_hex)
		return PD_EINVAL;
	out_hex[0] = '\0';
	if (!token || !*token || !timestamp || !nonce || !encrypt)
		return PD_EINVAL;
	const char *parts[] = { token, timestamp, nonce, encrypt };
	return sha1_sorted(parts, 4, out_hex);
}

/* Lower-cases A-F without a branch that depends on the (secret) value. */
static unsigned char fold_hex(unsigned char c)
{
	unsigned upper = (unsigned)(c >= 'A') & (unsigned)(c <= 'F');
	return (unsigned char)(c | (upper << 5));
}

int wx_sig_equal(const char *expected, const char *given)
{
	if (!expected || !given || strlen(expected) != WX_SIG_HEX_LEN ||
	    strlen(given) != WX_SIG_HEX_LEN)
		return 0;
	unsigned char a[WX_SIG_HEX_LEN], b[WX_SIG_HEX_LEN];
	for (size_t i = 0; i < WX_SIG_HEX_LEN; i++) {
		a[i] = fold_hex((unsigned char)expected[i]);
		b[i] = fold_hex((unsigned char)given[i]);
	}
	return CRYPTO_memcmp(a, b, WX_SIG_HEX_LEN) == 0;
}

int wx_verify_signature(const char *token, const char *timestamp, const char *nonce,
			const char *signature)
{
	char want[WX_SIG_HEX_LEN + 1];
	int rc = wx_signature(token, timestamp, nonce, want);
	if (rc != PD_OK)
		return rc;
	return wx_sig_equal(want, signature) ? PD_OK : PD_ESIG;
}

int wx_verify_msg_signature(const char *token, const char *timestamp, const char *nonce,
			    const char *encrypt, const char *msg_signature)
{
	char want[WX_SIG_HEX_LEN + 1];
	int rc = wx_msg_signature(token, timestamp, nonce, encrypt, want);
	if (rc != PD_OK)
		return rc;
	return wx_sig_equal(want, msg_signature) ? PD_OK : PD_ESIG;
}
