/* WeChat passive replies: the plain text reply and the safe-mode wrapper,
 * with CDATA escaping. The formats are described in wechat_reply.h. */
#include "wechat_reply.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "wechat_sig.h"
#include "wechat_xml.h"

/* Growing output string; aborts on OOM like the other pd_x wrappers. */
struct sb {
	char *buf;
	size_t len, cap;
};

static void sb_put(struct sb *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->buf = pd_xrealloc(b->buf, b->cap);
	}
	memcpy(b->buf + b->len, s, n);
	b->len += n;
	b->buf[b->len] = '\0';
}

static void sb_str(struct sb *b, const char *s)
{
	sb_put(b, s, strlen(s));
}

/* <![CDATA[s]]>, every "]]>" in s split so the section never ends early. */
static void sb_cdata(struct sb *b, const char *s)
{
	sb_str(b, "<![CDATA[");
	for (const char *p; (p = strstr(s, "]]>")) != NULL; s = p + 2) {
		/* Emit up to and including "]]", close, reopen, and let the
		 * ">" start the next section. */
		sb_put(b, s, (size_t)(p - s) + 2);
		sb_str(b, "]]><![CDATA[");
	}
	sb_str(b, s);
	sb_str(b, "]]>");
}

/* <name>CDATA(value)</name> */
static void sb_elem(struct sb *b, const char *name, const char *value)
{
	sb_str(b, "<");
	sb_str(b, name);
	sb_str(b, ">");
	sb_cdata(b, value);
	sb_str(b, "</");
	sb_str(b, name);
	sb_str(b, ">");
}

static int ascii_id(const char *s, size_t max)
{
	if (!s)
		return 0;
	size_t n = strlen(s);
	if (n == 0 || n > max)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] <= ' ' || (unsigned char)s[i] >= 0x7f)
			return 0;
	return 1;
}

int wx_build_text_reply(const char *to_user, const char *from_user, int64_t create_time,
			const char *content, char **out, pd_errbuf *eb)
{
	if (!out)
		return pd_fail(eb, PD_EINVAL, "no output for the reply");
	*out = NULL;
	if (!ascii_id(to_user, WX_ID_MAX) || !ascii_id(from_user, WX_ID_MAX))
		return pd_fail(eb, PD_EINVAL,
			       "reply ToUserName and FromUserName must be 1-%d printable ASCII "
			       "characters",
			       WX_ID_MAX);
	if (create_time < 0)
		return pd_fail(eb, PD_EINVAL, "reply CreateTime is negative");
	if (!content)
		return pd_fail(eb, PD_EINVAL, "no reply content");
	size_t n = strlen(content);
	if (n > WX_REPLY_CONTENT_MAX)
		return pd_fail(eb, PD_EINVAL, "reply content of %zu bytes is over the %d-byte limit",
			       n, WX_REPLY_CONTENT_MAX);
	if (!pd_utf8_valid(content, n))
		return pd_fail(eb, PD_EINVAL, "reply content is not valid UTF-8");
	/* XML 1.0 has no way to carry C0 controls other than tab, LF and CR,
	 * not even as character references: WeChat's parser would reject the
	 * whole reply. */
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)content[i];
		if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
			return pd_fail(eb, PD_EINVAL,
				       "reply content has control character 0x%02x at byte %zu", c,
				       i);
	}

	/* Every XML parser turns "\r\n" and a lone "\r" into "\n", even in
	 * CDATA: do it here so the reply says exactly what the customer sees. */
	char *text = pd_xmalloc(n + 1), *t = text;
	for (size_t i = 0; i < n; i++) {
		if (content[i] != '\r')
			*t++ = content[i];
		else if (content[i + 1] != '\n')
			*t++ = '\n';
	}
	*t = '\0';

	struct sb b = { 0 };
	char num[32];
	snprintf(num, sizeof(num), "%" PRId64, create_time);
	sb_str(&b, "<xml>");
	sb_elem(&b, "ToUserName", to_user);
	sb_elem(&b, "FromUserName", from_user);
	sb_str(&b, "<CreateTime>");
	sb_str(&b, num);
	sb_str(&b, "</CreateTime>");
	sb_elem(&b, "MsgType", "text");
	sb_elem(&b, "Content", text);
	sb_str(&b, "</xml>");
	free(text);
	*out = b.buf;
	return PD_OK;
}

int wx_build_encrypted_reply(const char *token, const uint8_t key[WX_AES_KEY_LEN],
			     const char *appid, const char *reply_xml, size_t reply_len,
			     const char *timestamp, const char *nonce, wx_random_fn rnd,
			     void *rnd_ctx, char **out, pd_errbuf *eb)
{
	if (!out)
		return pd_fail(eb, PD_EINVAL, "no output for the reply");
	*out = NULL;
	if (!token || !*token)
		return pd_fail(eb, PD_EINVAL, "no token");
	size_t tn = timestamp ? strlen(timestamp) : 0;
	if (tn == 0 || tn > 20 || strspn(timestamp, "0123456789") != tn)
		return pd_fail(eb, PD_EINVAL, "reply timestamp must be decimal digits");
	if (!ascii_id(nonce, WX_NONCE_MAX))
		return pd_fail(eb, PD_EINVAL, "reply nonce must be 1-%d printable ASCII characters",
			       WX_NONCE_MAX);

	char *enc;
	int rc = wx_encrypt(key, appid, reply_xml, reply_len, rnd, rnd_ctx, &enc, eb);
	if (rc != PD_OK)
		return rc;
	char sig[WX_SIG_HEX_LEN + 1];
	if (wx_msg_signature(token, timestamp, nonce, enc, sig) != PD_OK) {
		free(enc);
		return pd_fail(eb, PD_EIO, "cannot sign the reply");
	}
	struct sb b = { 0 };
	sb_str(&b, "<xml>");
	sb_elem(&b, "Encrypt", enc);
	sb_elem(&b, "MsgSignature", sig);
	sb_str(&b, "<TimeStamp>");
	sb_str(&b, timestamp);
	sb_str(&b, "</TimeStamp>");
	sb_elem(&b, "Nonce", nonce);
	sb_str(&b, "</xml>");
	free(enc);
	*out = b.buf;
	return PD_OK;
}
