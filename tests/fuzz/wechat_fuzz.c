/* libFuzzer harness for the WeChat Official Account code
 * (services/gateway/wechat_xml.c, wechat_crypto.c, wechat_reply.c).
 *
 * The key and AppID are those of tests/data/wechat/aes_vector.txt, so the
 * seed envelope really decrypts and the fuzzer starts past the AES step.
 * Random ciphertext almost never has valid padding, so two modes build
 * their ciphertext in the harness to reach the code behind it. The first
 * input byte picks what the rest is:
 *   0  a message document for wx_parse_message;
 *   1  an envelope document: wx_parse_envelope, then wx_decrypt of its
 *      Encrypt, then wx_parse_message of what that gives;
 *   2  Encrypt text handed straight to wx_decrypt;
 *   3  a message document that is encrypted with wx_encrypt, decrypted
 *      again (must give back the same bytes) and parsed;
 *   4  raw plaintext blocks (random | length | XML | AppID | padding as the
 *      fuzzer likes) encrypted by the harness with plain AES, so that the
 *      padding, length and AppID checks of wx_decrypt see every shape;
 *   5  reply content: wx_build_text_reply, then the reply parsed back must
 *      hold the same content (CDATA escaping).
 * On success the harness checks the documented invariants of the result
 * and aborts on a violation, so libFuzzer keeps the input.
 * Seeds: tests/fuzz/corpus/wechat/. */
#include <openssl/evp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../services/gateway/wechat_crypto.h"
#include "../../services/gateway/wechat_reply.h"
#include "../../services/gateway/wechat_xml.h"
#include "codec.h"

#define APPID "wx5d1e0f3a2b4c6d8e"
static const uint8_t KEY[WX_AES_KEY_LEN] = {
	0x7e, 0xca, 0x59, 0x46, 0xb9, 0x9a, 0xdf, 0x3f, 0xe7, 0xd2, 0x8e, 0xff, 0xce, 0x3a, 0xcc, 0x08,
	0x6d, 0x96, 0xa8, 0x7a, 0x97, 0xe2, 0x0a, 0x6f, 0x15, 0x45, 0xeb, 0x62, 0x4c, 0x00, 0xae, 0xbe,
};

static void check_str(const char *s, size_t max)
{
	if (!s || strlen(s) > max || !pd_utf8_valid(s, strlen(s)))
		abort();
}

static void check_message(const wx_message *m)
{
	check_str(m->to_user, WX_ID_MAX);
	check_str(m->from_user, WX_ID_MAX);
	check_str(m->msg_type, WX_SHORT_MAX);
	check_str(m->msg_id, WX_MSGID_MAX);
	check_str(m->content, WX_CONTENT_MAX);
	check_str(m->pic_url, WX_URL_MAX);
	check_str(m->media_id, WX_MEDIA_ID_MAX);
	check_str(m->format, WX_SHORT_MAX);
	check_str(m->recognition, WX_DESC_MAX);
	check_str(m->thumb_media_id, WX_MEDIA_ID_MAX);
	check_str(m->label, WX_LABEL_MAX);
	check_str(m->title, WX_LABEL_MAX);
	check_str(m->description, WX_DESC_MAX);
	check_str(m->url, WX_URL_MAX);
	check_str(m->event, WX_SHORT_MAX);
	check_str(m->event_key, WX_URL_MAX);
	check_str(m->ticket, WX_TICKET_MAX);
	if (!m->to_user[0] || !m->from_user[0] || !m->msg_type[0] || m->create_time < 0)
		abort();
	if ((m->type == WX_MSG_EVENT) != (m->event_type != WX_EVENT_NONE))
		abort();
	if (m->has_location && (m->location_x < -90 || m->location_x > 90 ||
				m->location_y < -180 || m->location_y > 180))
		abort();
	if (m->has_position && (m->latitude < -90 || m->latitude > 90 || m->longitude < -180 ||
				m->longitude > 180))
		abort();

	char key[WX_DEDUPE_KEY_MAX];
	if (wx_dedupe_key(m, key, sizeof(key)) != PD_OK || strlen(key) < 7)
		abort();
	char text[512];
	int rc = wx_message_text(m, text, sizeof(text));
	if ((rc != PD_OK && rc != PD_ETOOBIG) || strlen(text) >= sizeof(text) ||
	    !pd_utf8_valid(text, strlen(text)))
		abort();
}

static void parse_and_check(const char *xml, size_t len)
{
	wx_message m;
	pd_errbuf eb;
	if (wx_parse_message(xml, len, &m, &eb) == PD_OK)
		check_message(&m);
	else if (m.to_user || m.content)
		abort(); /* an error leaves the message empty */
	wx_message_free(&m);
}

/* Decrypts Encrypt text and parses what comes out. */
static void decrypt_and_parse(const char *b64, size_t len)
{
	char *xml = NULL;
	size_t xml_len = 0;
	pd_errbuf eb;
	if (wx_decrypt(KEY, APPID, b64, len, &xml, &xml_len, &eb) == PD_OK) {
		if (!xml || xml_len > WX_XML_MAX_BYTES || xml[xml_len] != '\0')
			abort();
		parse_and_check(xml, xml_len);
		free(xml);
	} else if (xml) {
		abort();
	}
}

static int fixed_random(uint8_t *buf, size_t n, void *ctx)
{
	memset(buf, 0x5a, n);
	return 0;
}

/* Mode 4: plain AES-256-CBC of the input (zero-extended to whole blocks). */
static void raw_blocks(const uint8_t *in, size_t len)
{
	if (len == 0 || len > WX_XML_MAX_BYTES)
		return;
	size_t n = (len + 15) / 16 * 16;
	uint8_t *pt = calloc(1, n), *ct = malloc(n);
	if (!pt || !ct)
		abort();
	memcpy(pt, in, len);
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int n1 = 0, n2 = 0;
	if (!c || EVP_EncryptInit_ex(c, EVP_aes_256_cbc(), NULL, KEY, KEY) != 1 ||
	    EVP_CIPHER_CTX_set_padding(c, 0) != 1 ||
	    EVP_EncryptUpdate(c, ct, &n1, pt, (int)n) != 1 ||
	    EVP_EncryptFinal_ex(c, ct + n1, &n2) != 1)
		abort();
	EVP_CIPHER_CTX_free(c);
	char *b64 = wx_base64_encode(ct, n);
	decrypt_and_parse(b64, strlen(b64));
	free(b64);
	free(pt);
	free(ct);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	int mode = data[0] % 6;
	/* An exact-size heap copy, NUL-terminated for the modes that need a
	 * C string: ASan sees any read past the end. */
	size_t len = size - 1;
	char *in = malloc(len + 1);
	if (!in)
		return 0;
	memcpy(in, data + 1, len);
	in[len] = '\0';
	pd_errbuf eb;

	switch (mode) {
	case 0:
		parse_and_check(in, len);
		break;
	case 1: {
		wx_envelope e;
		if (wx_parse_envelope(in, len, &e, &eb) == PD_OK) {
			check_str(e.to_user, WX_ID_MAX);
			check_str(e.encrypt, WX_ENCRYPT_MAX);
			if (!e.encrypt[0])
				abort();
			decrypt_and_parse(e.encrypt, strlen(e.encrypt));
		} else if (e.encrypt) {
			abort();
		}
		wx_envelope_free(&e);
		break;
	}
	case 2:
		decrypt_and_parse(in, len);
		break;
	case 3: {
		char *enc = NULL, *back = NULL;
		size_t back_len = 0;
		if (wx_encrypt(KEY, APPID, in, len, fixed_random, NULL, &enc, &eb) == PD_OK) {
			/* Whatever we encrypt, we decrypt to the same bytes. */
			if (wx_decrypt(KEY, APPID, enc, strlen(enc), &back, &back_len, &eb) != PD_OK ||
			    back_len != len || memcmp(back, in, len) != 0)
				abort();
			parse_and_check(back, back_len);
			free(back);
			free(enc);
		} else if (len <= WX_XML_MAX_BYTES) {
			abort();
		}
		break;
	}
	case 4:
		raw_blocks(data + 1, len);
		break;
	default: {
		char *reply = NULL;
		if (wx_build_text_reply("oFuzzOpenId", "gh_fuzz", 1731254461, in, &reply, &eb) ==
		    PD_OK) {
			/* The reply must parse back to exactly the content, line
			 * ends written as "\n" as the builder documents. */
			char *want = strdup(in), *w = want;
			if (!want)
				abort();
			for (const char *p = in; *p; p++) {
				if (*p != '\r')
					*w++ = *p;
				else if (p[1] != '\n')
					*w++ = '\n';
			}
			*w = '\0';
			wx_message m;
			if (wx_parse_message(reply, strlen(reply), &m, &eb) != PD_OK ||
			    strcmp(m.content, want) != 0 || m.type != WX_MSG_TEXT)
				abort();
			free(want);
			wx_message_free(&m);
			free(reply);
		} else if (reply) {
			abort();
		}
		break;
	}
	}
	free(in);
	return 0;
}
