/* WeChat passive replies: the XML a callback answers with (pure logic).
 *
 * A passive reply is the body of the HTTP answer to WeChat's POST, sent
 * within 5 s:
 *   <xml><ToUserName><![CDATA[OpenID]]></ToUserName>
 *   <FromUserName><![CDATA[account]]></FromUserName>
 *   <CreateTime>unix s</CreateTime><MsgType><![CDATA[text]]></MsgType>
 *   <Content><![CDATA[text]]></Content></xml>
 * (ToUserName is the customer: the inbound FromUserName; FromUserName is
 * the account: the inbound ToUserName.) In safe mode that document is
 * encrypted and wrapped:
 *   <xml><Encrypt><![CDATA[base64]]></Encrypt>
 *   <MsgSignature><![CDATA[sha1]]></MsgSignature>
 *   <TimeStamp>unix s</TimeStamp><Nonce><![CDATA[nonce]]></Nonce></xml>
 *
 * A CDATA section cannot contain "]]>", so every value is written as CDATA
 * with each "]]>" split across two sections ("]]]]><![CDATA[>"), which any
 * XML parser joins back into the original text. Line ends are written as
 * "\n" ("\r\n" and a lone "\r" are what an XML parser would turn into "\n"
 * anyway), so a parser reads back exactly the text written.
 *
 * Errors: PD_EINVAL with a reason (bad id, content not UTF-8 or over
 * WX_REPLY_CONTENT_MAX, bad timestamp or nonce); PD_EIO from encryption. */
#ifndef WX_REPLY_H
#define WX_REPLY_H

#include <stddef.h>
#include <stdint.h>

#include "pd.h"
#include "wechat_crypto.h"

/* Our cap on a passive text reply, in bytes (~680 Chinese characters):
 * longer texts belong in several messages, not one passive reply. */
#define WX_REPLY_CONTENT_MAX 2048
#define WX_NONCE_MAX 64

/* Builds a passive text reply. to_user and from_user must be 1..WX_ID_MAX
 * printable ASCII characters, create_time >= 0, content valid UTF-8 without
 * NUL of at most WX_REPLY_CONTENT_MAX bytes. On PD_OK *out is the
 * NUL-terminated document: caller frees. On error *out is NULL. */
int wx_build_text_reply(const char *to_user, const char *from_user, int64_t create_time,
			const char *content, char **out, pd_errbuf *eb);

/* Encrypts reply_xml (reply_len bytes, e.g. from wx_build_text_reply) for
 * appid and wraps it with its msg_signature over token, timestamp (decimal
 * digits) and nonce (1..WX_NONCE_MAX printable ASCII, typically the
 * request's own). rnd as for wx_encrypt (NULL: RAND_bytes). On PD_OK *out is
 * the NUL-terminated document: caller frees. On error *out is NULL. */
int wx_build_encrypted_reply(const char *token, const uint8_t key[WX_AES_KEY_LEN],
			     const char *appid, const char *reply_xml, size_t reply_len,
			     const char *timestamp, const char *nonce, wx_random_fn rnd,
			     void *rnd_ctx, char **out, pd_errbuf *eb);

#endif
