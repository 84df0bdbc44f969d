/* Shared pieces of the peakdesk codecs (codec.h): UTF-8 validation, the
 * field paths that error messages name, and descriptor helpers. The protobuf
 * side is in codec_pb.c, the proto3 JSON mapping in codec_json.c. */
#include "codec.h"
#include "codec_internal.h"

#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- UTF-8 ------------------------------------------------------------ */

/* Length of the longest valid prefix (== len when all of it is valid). */
size_t pd_codec_utf8_prefix(const unsigned char *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		unsigned c = s[i];
		unsigned lo = 0x80, hi = 0xBF;
		size_t n;

		if (c < 0x80) {
			if (c == 0)
				return i;
			i++;
			continue;
		}
		/* Table 3-7 of the Unicode standard: the second byte's range
		 * is what rules out overlongs, surrogates and > U+10FFFF. */
		if (c >= 0xC2 && c <= 0xDF) {
			n = 1;
		} else if (c == 0xE0) {
			n = 2;
			lo = 0xA0;
		} else if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) {
			n = 2;
		} else if (c == 0xED) {
			n = 2;
			hi = 0x9F;
		} else if (c == 0xF0) {
			n = 3;
			lo = 0x90;
		} else if (c >= 0xF1 && c <= 0xF3) {
			n = 3;
		} else if (c == 0xF4) {
			n = 3;
			hi = 0x8F;
		} else {
			return i;
		}
		if (len - i <= n || s[i + 1] < lo || s[i + 1] > hi)
			return i;
		for (size_t k = 2; k <= n; k++)
			if ((s[i + k] & 0xC0) != 0x80)
				return i;
		i += n + 1;
	}
	return len;
}

int pd_utf8_valid(const char *buf, size_t len)
{
	if (len == 0)
		return 1;
	return buf && pd_codec_utf8_prefix((const unsigned char *)buf, len) == len;
}

/* ---- field paths for error messages ------------------------------------ */

static void path_append(struct pd_codec_path *p, const char *s)
{
	size_t n = strlen(s), room = sizeof(p->buf) - 1 - p->len;

	if (n > room) {
		/* Cut at a character boundary: the text goes back to clients. */
		n = room;
		while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
			n--;
	}
	memcpy(p->buf + p->len, s, n);
	p->len += n;
	p->buf[p->len] = '\0';
}

size_t pd_codec_path_field(struct pd_codec_path *p, const char *name)
{
	size_t old = p->len;

	if (p->len)
		path_append(p, ".");
	path_append(p, name);
	return old;
}

size_t pd_codec_path_index(struct pd_codec_path *p, size_t i)
{
	size_t old = p->len;
	char b[32];

	snprintf(b, sizeof(b), "[%zu]", i);
	path_append(p, b);
	return old;
}

void pd_codec_path_pop(struct pd_codec_path *p, size_t old)
{
	p->len = old;
	p->buf[old] = '\0';
}

int pd_codec_fail_at(pd_errbuf *eb, const struct pd_codec_path *p, int err,
		     const char *fmt, ...)
{
	char m[PD_ERRMSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(m, sizeof(m), fmt, ap);
	va_end(ap);
	return pd_fail(eb, err, "%s%s%s", p->buf, p->len ? ": " : "", m);
}

/* ---- descriptor helpers ------------------------------------------------ */

size_t pd_codec_elem_size(ProtobufCType t)
{
	switch (t) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
	case PROTOBUF_C_TYPE_ENUM:
		return 4;
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		return 8;
	case PROTOBUF_C_TYPE_FLOAT:
		return sizeof(float);
	case PROTOBUF_C_TYPE_DOUBLE:
		return sizeof(double);
	case PROTOBUF_C_TYPE_BOOL:
		return sizeof(protobuf_c_boolean);
	case PROTOBUF_C_TYPE_STRING:
		return sizeof(char *);
	case PROTOBUF_C_TYPE_BYTES:
		return sizeof(ProtobufCBinaryData);
	case PROTOBUF_C_TYPE_MESSAGE:
		return sizeof(ProtobufCMessage *);
	}
	return 0;
}

/* ---- base64 ------------------------------------------------------------- */

char *pd_codec_b64_encode(const uint8_t *data, size_t len, size_t *outlen)
{
	char *out = pd_xmalloc(4 * ((len + 2) / 3) + 1);

	*outlen = (size_t)EVP_EncodeBlock((unsigned char *)out, data, (int)len);
	return out;
}

/* Standard or URL-safe alphabet, padding optional. OpenSSL decodes only the
 * padded standard form, so normalise to that first. Returns the byte count
 * or -1; *out is malloc'd (NULL for empty input). */
long pd_codec_b64_decode(const char *s, size_t n, uint8_t **out)
{
	size_t pad = 0, full;
	char *norm;
	int got;

	*out = NULL;
	while (n > 0 && s[n - 1] == '=' && pad < 2) {
		n--;
		pad++;
	}
	if (n % 4 == 1 || (pad && (n + pad) % 4 != 0))
		return -1;
	if (n == 0)
		return 0;
	full = (n + 3) / 4 * 4;
	norm = pd_xmalloc(full);
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '-')
			c = '+';
		else if (c == '_')
			c = '/';
		else if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
			   (c >= '0' && c <= '9') || c == '+' || c == '/')) {
			free(norm);
			return -1;
		}
		norm[i] = c;
	}
	memset(norm + n, '=', full - n);
	*out = pd_xmalloc(full / 4 * 3);
	got = EVP_DecodeBlock(*out, (unsigned char *)norm, (int)full);
	free(norm);
	if (got < 0) {
		free(*out);
		*out = NULL;
		return -1;
	}
	/* DecodeBlock counts the padding as zero bytes. */
	return got - (long)(full - n);
}
