/* WeChat safe mode: EncodingAESKey decoding and AES-256-CBC with WeChat's
 * 32-byte PKCS#7 padding around the random | length | XML | AppID
 * plaintext. The scheme is described in wechat_crypto.h. */
#include "wechat_crypto.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

#include "wechat_xml.h"

static int b64_char(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '+' || c == '/';
}

/* Decodes standard base64 (length a multiple of 4, '=' only as the last one
 * or two characters) into a new buffer of *out_len bytes. Checked here
 * first because EVP_DecodeBlock skips blanks, counts padding as zero bytes
 * and does not say where a bad character was. */
static int b64_decode(const char *s, size_t n, uint8_t **out, size_t *out_len)
{
	*out = NULL;
	if (n == 0 || n % 4 != 0 || n > (size_t)INT32_MAX)
		return -1;
	size_t pad = 0;
	while (pad < 2 && s[n - 1 - pad] == '=')
		pad++;
	for (size_t i = 0; i < n - pad; i++)
		if (!b64_char((unsigned char)s[i]))
			return -1;
	uint8_t *buf = pd_xmalloc(n / 4 * 3 + 1);
	int got = EVP_DecodeBlock(buf, (const unsigned char *)s, (int)n);
	if (got < 0 || (size_t)got != n / 4 * 3) {
		free(buf);
		return -1;
	}
	*out = buf;
	*out_len = (size_t)got - pad;
	return 0;
}

char *wx_base64_encode(const uint8_t *buf, size_t len)
{
	char *out = pd_xmalloc((len + 2) / 3 * 4 + 1);
	/* EVP_EncodeBlock takes an int: callers stay far below (XML is capped). */
	int n = EVP_EncodeBlock((unsigned char *)out, buf, (int)len);
	out[n < 0 ? 0 : n] = '\0';
	return out;
}

int wx_aes_key_decode(const char *encoding_aes_key, uint8_t key[WX_AES_KEY_LEN], pd_errbuf *eb)
{
	if (!encoding_aes_key || !key)
		return pd_fail(eb, PD_EINVAL, "no EncodingAESKey");
	size_t n = strlen(encoding_aes_key);
	if (n != WX_ENCODING_AES_KEY_LEN)
		return pd_fail(eb, PD_EINVAL, "EncodingAESKey must be %d characters, not %zu",
			       WX_ENCODING_AES_KEY_LEN, n);
	for (size_t i = 0; i < n; i++)
		if (!b64_char((unsigned char)encoding_aes_key[i]))
			return pd_fail(eb, PD_EINVAL,
				       "EncodingAESKey character %zu is not in the base64 alphabet",
				       i + 1);
	char padded[WX_ENCODING_AES_KEY_LEN + 2];
	memcpy(padded, encoding_aes_key, n);
	padded[n] = '=';
	padded[n + 1] = '\0';
	uint8_t *buf;
	size_t len;
	int rc = b64_decode(padded, n + 1, &buf, &len);
	OPENSSL_cleanse(padded, sizeof(padded));
	if (rc != 0 || len != WX_AES_KEY_LEN) {
		if (rc == 0) {
			OPENSSL_cleanse(buf, len);
			free(buf);
		}
		return pd_fail(eb, PD_EINVAL, "EncodingAESKey does not decode to 32 bytes");
	}
	memcpy(key, buf, WX_AES_KEY_LEN);
	OPENSSL_cleanse(buf, len);
	free(buf);
	return PD_OK;
}

static int appid_ok(const char *appid, size_t *len)
{
	if (!appid)
		return 0;
	size_t n = strlen(appid);
	if (n == 0 || n > WX_APPID_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)appid[i] <= ' ' || (unsigned char)appid[i] >= 0x7f)
			return 0;
	*len = n;
	return 1;
}

/* AES-256-CBC over whole blocks, IV = key[0..16), OpenSSL padding off
 * (WeChat pads to 32 bytes itself). out has room for len bytes. */
static int aes_cbc(const uint8_t key[WX_AES_KEY_LEN], int enc, const uint8_t *in, size_t len,
		   uint8_t *out)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int n1 = 0, n2 = 0;
	int ok = ctx && len % 16 == 0 && len <= (size_t)INT32_MAX &&
		 EVP_CipherInit_ex(ctx, EVP_aes_256_cbc(), NULL, key, key, enc) == 1 &&
		 EVP_CIPHER_CTX_set_padding(ctx, 0) == 1 &&
		 EVP_CipherUpdate(ctx, out, &n1, in, (int)len) == 1 &&
		 EVP_CipherFinal_ex(ctx, out + n1, &n2) == 1 && (size_t)(n1 + n2) == len;
	EVP_CIPHER_CTX_free(ctx);
	return ok ? 0 : -1;
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

int wx_decrypt(const uint8_t key[WX_AES_KEY_LEN], const char *appid, const char *encrypt_b64,
	       size_t b64_len, char **xml_out, size_t *xml_len, pd_errbuf *eb)
{
	size_t appid_len = 0;
	if (xml_out)
		*xml_out = NULL;
	if (!key || !encrypt_b64 || !xml_out || !xml_len)
		return pd_fail(eb, PD_EINVAL, "missing argument to wx_decrypt");
	if (!appid_ok(appid, &appid_len))
		return pd_fail(eb, PD_EINVAL, "AppID must be 1-%d printable ASCII characters",
			       WX_APPID_MAX);
	if (b64_len > WX_ENCRYPT_MAX)
		return pd_fail(eb, PD_EDECODE, "Encrypt is over %d characters", WX_ENCRYPT_MAX);

	uint8_t *ct;
	size_t ct_len;
	if (b64_decode(encrypt_b64, b64_len, &ct, &ct_len) != 0)
		return pd_fail(eb, PD_EDECODE, "Encrypt is not base64");
	/* AES needs whole 16-byte blocks; WeChat's 32-byte padding gives
	 * whole 32-byte ones, but only the pad bytes themselves are checked
	 * so that a 16-byte-padding encoder elsewhere is not refused. */
	if (ct_len == 0 || ct_len % 16 != 0) {
		free(ct);
		return pd_fail(eb, PD_EDECODE, "Encrypt is %zu bytes, not whole AES blocks", ct_len);
	}
	uint8_t *pt = pd_xmalloc(ct_len);
	int rc = aes_cbc(key, 0, ct, ct_len, pt);
	free(ct);
	if (rc != 0) {
		rc = pd_fail(eb, PD_EDECODE, "AES decryption failed");
		goto out;
	}

	/* PKCS#7 with a 32-byte block: the last byte says how many bytes
	 * (1..32) were added, and every one of them holds that value. */
	unsigned pad = pt[ct_len - 1];
	unsigned bad = pad == 0 || pad > WX_PAD_BLOCK || pad > ct_len;
	for (size_t i = 0; !bad && i < pad; i++)
		bad |= pt[ct_len - 1 - i] != pad;
	if (bad) {
		rc = pd_fail(eb, PD_EDECODE, "bad padding (wrong EncodingAESKey?)");
		goto out;
	}
	size_t plain_len = ct_len - pad;
	if (plain_len < WX_RANDOM_LEN + 4) {
		rc = pd_fail(eb, PD_EDECODE, "decrypted message is too short");
		goto out;
	}
	uint32_t n = be32(pt + WX_RANDOM_LEN);
	size_t room = plain_len - WX_RANDOM_LEN - 4;
	if (n > WX_XML_MAX_BYTES || n > room) {
		rc = pd_fail(eb, PD_EDECODE, "length prefix %lu does not fit the %zu decrypted bytes",
			     (unsigned long)n, room);
		goto out;
	}
	/* Whatever follows the XML is the AppID, exactly. */
	const uint8_t *tail = pt + WX_RANDOM_LEN + 4 + n;
	if (room - n != appid_len || memcmp(tail, appid, appid_len) != 0) {
		rc = pd_fail(eb, PD_ESIG, "message is not for this AppID");
		goto out;
	}
	char *xml = pd_xmalloc((size_t)n + 1);
	memcpy(xml, pt + WX_RANDOM_LEN + 4, n);
	xml[n] = '\0';
	*xml_out = xml;
	*xml_len = n;
	rc = PD_OK;
out:
	OPENSSL_cleanse(pt, ct_len);
	free(pt);
	return rc;
}

static int rand_openssl(uint8_t *buf, size_t n, void *ctx)
{
	return n <= (size_t)INT32_MAX && RAND_bytes(buf, (int)n) == 1 ? 0 : -1;
}

int wx_encrypt(const uint8_t key[WX_AES_KEY_LEN], const char *appid, const char *xml,
	       size_t xml_len, wx_random_fn rnd, void *rnd_ctx, char **b64_out, pd_errbuf *eb)
{
	size_t appid_len = 0;
	if (b64_out)
		*b64_out = NULL;
	if (!key || !xml || !b64_out)
		return pd_fail(eb, PD_EINVAL, "missing argument to wx_encrypt");
	if (!appid_ok(appid, &appid_len))
		return pd_fail(eb, PD_EINVAL, "AppID must be 1-%d printable ASCII characters",
			       WX_APPID_MAX);
	if (xml_len > WX_XML_MAX_BYTES)
		return pd_fail(eb, PD_EINVAL, "reply of %zu bytes is over the %d-byte limit",
			       xml_len, WX_XML_MAX_BYTES);

	size_t plain_len = WX_RANDOM_LEN + 4 + xml_len + appid_len;
	size_t pad = WX_PAD_BLOCK - plain_len % WX_PAD_BLOCK; /* 1..32, never 0 */
	size_t total = plain_len + pad;
	uint8_t *pt = pd_xmalloc(total), *ct = pd_xmalloc(total);
	int rc = PD_OK;
	if ((rnd ? rnd : rand_openssl)(pt, WX_RANDOM_LEN, rnd_ctx) != 0) {
		rc = pd_fail(eb, PD_EIO, "no random bytes for the message prefix");
		goto out;
	}
	pt[WX_RANDOM_LEN] = (uint8_t)(xml_len >> 24);
	pt[WX_RANDOM_LEN + 1] = (uint8_t)(xml_len >> 16);
	pt[WX_RANDOM_LEN + 2] = (uint8_t)(xml_len >> 8);
	pt[WX_RANDOM_LEN + 3] = (uint8_t)xml_len;
	memcpy(pt + WX_RANDOM_LEN + 4, xml, xml_len);
	memcpy(pt + WX_RANDOM_LEN + 4 + xml_len, appid, appid_len);
	memset(pt + plain_len, (int)pad, pad);
	if (aes_cbc(key, 1, pt, total, ct) != 0) {
		rc = pd_fail(eb, PD_EIO, "AES encryption failed");
		goto out;
	}
	*b64_out = wx_base64_encode(ct, total);
out:
	OPENSSL_cleanse(pt, total);
	free(pt);
	free(ct);
	return rc;
}
