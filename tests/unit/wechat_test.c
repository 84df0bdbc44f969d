/* Tests for the WeChat Official Account channel: signatures (WeChat's
 * documented vector), the guarded XML parser on the real samples in
 * ../shared/data/wechat when present and on the project's own fixtures
 * (tests/data/wechat, see tests/data/SOURCES), hostile XML (billion laughs,
 * XXE, DOCTYPE, bad UTF-8, oversize, depth), dedupe keys and rendered text,
 * safe-mode crypto against two independent vectors (WeChat's own sample and
 * one made with the openssl command line), and passive replies. */
#include <dirent.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../services/gateway/wechat_crypto.h"
#include "../../services/gateway/wechat_reply.h"
#include "../../services/gateway/wechat_sig.h"
#include "../../services/gateway/wechat_xml.h"
#include "codec.h"
#include "pd_check.h"

#define SHARED_DIR "../shared/data/wechat"

/* ---- helpers ---------------------------------------------------------------- */

static char *fixture(const char *name, size_t *len)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/wechat/%s", pd_test_data_dir(), name);
	char *s = pd_test_slurp(path, len);
	ck_assert_msg(s != NULL, "cannot read fixture %s", path);
	return s;
}

/* A shared sample, or NULL (and a "skipped" line) when ../shared/data is absent. */
static char *shared(const char *name, size_t *len)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/test_parser.test_parse_%s.xml", SHARED_DIR, name);
	char *s = pd_test_slurp(path, len);
	if (!s)
		printf("skipped: ../shared/data not present (%s)\n", path);
	return s;
}

/* Value of "key=value" in a vector file (aes_vector.txt, tencent_sample.txt);
 * static buffer, valid until the next call. */
static const char *vec(const char *file, const char *key)
{
	static char val[4096];
	char *text = fixture(file, NULL);
	size_t klen = strlen(key);
	const char *found = NULL;
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n"))
		if (strncmp(line, key, klen) == 0 && line[klen] == '=') {
			found = line + klen + 1;
			break;
		}
	ck_assert_msg(found != NULL, "%s has no %s", file, key);
	snprintf(val, sizeof(val), "%s", found);
	free(text);
	return val;
}

static char *vec_dup(const char *file, const char *key)
{
	char *s = strdup(vec(file, key));
	ck_assert_ptr_nonnull(s);
	return s;
}

static void key_of(const char *file, uint8_t key[WX_AES_KEY_LEN])
{
	pd_errbuf eb = { "" };
	ck_assert_int_eq(wx_aes_key_decode(vec(file, "encoding_aes_key"), key, &eb), PD_OK);
}

static int parse_str(const char *xml, wx_message *m, pd_errbuf *eb)
{
	return wx_parse_message(xml, strlen(xml), m, eb);
}

static int parse_fixture(const char *name, wx_message *m)
{
	size_t len;
	char *xml = fixture(name, &len);
	pd_errbuf eb = { "" };
	int rc = wx_parse_message(xml, len, m, &eb);
	ck_assert_msg(rc == PD_OK, "%s: %s", name, eb.msg);
	free(xml);
	return rc;
}

/* Fixed "random" prefix for reproducible ciphertexts: ctx is a 16-byte string. */
static int fixed_random(uint8_t *buf, size_t n, void *ctx)
{
	ck_assert_uint_eq(n, WX_RANDOM_LEN);
	memcpy(buf, ctx, n);
	return 0;
}

static int failing_random(uint8_t *buf, size_t n, void *ctx)
{
	return -1;
}

/* Raw AES-256-CBC (IV = key[0..16)) of whole blocks with no padding, for
 * hand-made ciphertexts the encoder under test would never produce. */
static char *raw_encrypt_b64(const uint8_t key[WX_AES_KEY_LEN], const uint8_t *pt, size_t len)
{
	ck_assert_uint_eq(len % 16, 0);
	uint8_t *ct = malloc(len + 16);
	ck_assert_ptr_nonnull(ct);
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int n1 = 0, n2 = 0;
	ck_assert(EVP_EncryptInit_ex(c, EVP_aes_256_cbc(), NULL, key, key) == 1);
	EVP_CIPHER_CTX_set_padding(c, 0);
	ck_assert(EVP_EncryptUpdate(c, ct, &n1, pt, (int)len) == 1);
	ck_assert(EVP_EncryptFinal_ex(c, ct + n1, &n2) == 1);
	EVP_CIPHER_CTX_free(c);
	char *b64 = wx_base64_encode(ct, (size_t)(n1 + n2));
	free(ct);
	return b64;
}

/* A plaintext block laid out as WeChat does, with a caller-chosen length
 * prefix, tail and padding byte values. Returns its size (a multiple of 16). */
static size_t make_plain(uint8_t *buf, uint32_t len_field, const char *xml, const char *tail,
			 int pad_len, int pad_value)
{
	size_t n = 0;
	memcpy(buf, "0123456789abcdef", 16);
	n = 16;
	buf[n++] = (uint8_t)(len_field >> 24);
	buf[n++] = (uint8_t)(len_field >> 16);
	buf[n++] = (uint8_t)(len_field >> 8);
	buf[n++] = (uint8_t)len_field;
	memcpy(buf + n, xml, strlen(xml));
	n += strlen(xml);
	memcpy(buf + n, tail, strlen(tail));
	n += strlen(tail);
	memset(buf + n, pad_value, (size_t)pad_len);
	return n + (size_t)pad_len;
}

/* ---- signatures ---------------------------------------------------------------- */

START_TEST(sig_doc_vector)
{
	/* From WeChat's access documentation: Token "AAAAA". */
	char hex[WX_SIG_HEX_LEN + 1];
	ck_assert_int_eq(wx_signature("AAAAA", "1714036504", "1514711492", hex), PD_OK);
	ck_assert_str_eq(hex, "f464b24fc39322e44b38aa78f5edd27bd1441696");
	ck_assert_int_eq(wx_verify_signature("AAAAA", "1714036504", "1514711492",
					     "f464b24fc39322e44b38aa78f5edd27bd1441696"),
			 PD_OK);
	/* Upper-case hex from a sender is the same signature. */
	ck_assert_int_eq(wx_verify_signature("AAAAA", "1714036504", "1514711492",
					     "F464B24FC39322E44B38AA78F5EDD27BD1441696"),
			 PD_OK);
	/* One nonce digit off, a truncated and a missing signature. */
	ck_assert_int_eq(wx_verify_signature("AAAAA", "1714036504", "1514711493",
					     "f464b24fc39322e44b38aa78f5edd27bd1441696"),
			 PD_ESIG);
	ck_assert_int_eq(wx_verify_signature("AAAAA", "1714036504", "1514711492",
					     "f464b24fc39322e44b38aa78f5edd27bd144169"),
			 PD_ESIG);
	ck_assert_int_eq(wx_verify_signature("AAAAA", "1714036504", "1514711492", NULL), PD_ESIG);
}
END_TEST

START_TEST(sig_msg_signature_vectors)
{
	const char *files[] = { "tencent_sample.txt", "aes_vector.txt" };
	for (size_t i = 0; i < 2; i++) {
		char *token = vec_dup(files[i], "token"), *ts = vec_dup(files[i], "timestamp");
		char *nonce = vec_dup(files[i], "nonce"), *enc = vec_dup(files[i], "encrypt");
		char *want = vec_dup(files[i], "msg_signature");
		char hex[WX_SIG_HEX_LEN + 1];
		ck_assert_int_eq(wx_msg_signature(token, ts, nonce, enc, hex), PD_OK);
		ck_assert_str_eq(hex, want);
		ck_assert_int_eq(wx_verify_msg_signature(token, ts, nonce, enc, want), PD_OK);
		/* The plain signature does not cover Encrypt: it differs. */
		ck_assert_int_eq(wx_verify_msg_signature(token, ts, nonce, "AAAA", want), PD_ESIG);
		free(token), free(ts), free(nonce), free(enc), free(want);
	}
}
END_TEST

START_TEST(sig_sorting_and_args)
{
	/* The three strings are sorted byte-wise before hashing, so the same
	 * set in any role gives the same signature. */
	char a[WX_SIG_HEX_LEN + 1], b[WX_SIG_HEX_LEN + 1];
	ck_assert_int_eq(wx_signature("tok", "123", "abc", a), PD_OK);
	ck_assert_int_eq(wx_signature("abc", "tok", "123", b), PD_OK);
	ck_assert_str_eq(a, b);
	/* An empty token would make signatures computable by anyone. */
	ck_assert_int_eq(wx_signature("", "1", "2", a), PD_EINVAL);
	ck_assert_str_eq(a, "");
	ck_assert_int_eq(wx_signature("t", NULL, "2", a), PD_EINVAL);
	ck_assert_int_eq(wx_msg_signature("t", "1", "2", NULL, a), PD_EINVAL);
	ck_assert_int_eq(wx_verify_signature("", "1", "2", a), PD_EINVAL);
	ck_assert_int_eq(wx_sig_equal(NULL, "x"), 0);
	ck_assert_int_eq(wx_sig_equal("abc", "abc"), 0); /* not a signature */
	ck_assert_int_eq(wx_sig_equal(b, b), 1);
}
END_TEST

/* ---- shared samples (wechatpy's test data) ------------------------------------ */

START_TEST(shared_all_parse)
{
	DIR *d = opendir(SHARED_DIR);
	if (!d) {
		printf("skipped: ../shared/data not present (%s)\n", SHARED_DIR);
		return;
	}
	int n = 0;
	for (struct dirent *e; (e = readdir(d)) != NULL;) {
		size_t nl = strlen(e->d_name);
		if (nl < 5 || strcmp(e->d_name + nl - 4, ".xml") != 0)
			continue;
		char path[768];
		snprintf(path, sizeof(path), "%s/%s", SHARED_DIR, e->d_name);
		size_t len;
		char *xml = pd_test_slurp(path, &len);
		ck_assert_ptr_nonnull(xml);
		wx_message m;
		pd_errbuf eb = { "" };
		ck_assert_msg(wx_parse_message(xml, len, &m, &eb) == PD_OK, "%s: %s", e->d_name,
			      eb.msg);
		/* Every sample renders and has a dedupe key. */
		char text[512], key[WX_DEDUPE_KEY_MAX];
		ck_assert_int_eq(wx_message_text(&m, text, sizeof(text)), PD_OK);
		ck_assert(pd_utf8_valid(text, strlen(text)));
		ck_assert_int_eq(wx_dedupe_key(&m, key, sizeof(key)), PD_OK);
		wx_message_free(&m);
		free(xml);
		n++;
	}
	closedir(d);
	ck_assert_int_ge(n, 20);
}
END_TEST

START_TEST(shared_text_and_media)
{
	size_t len;
	char *xml = shared("text_message", &len);
	if (!xml)
		return;
	wx_message m;
	pd_errbuf eb = { "" };
	ck_assert_int_eq(wx_parse_message(xml, len, &m, &eb), PD_OK);
	ck_assert_int_eq(m.type, WX_MSG_TEXT);
	ck_assert_str_eq(m.to_user, "toUser");
	ck_assert_str_eq(m.from_user, "fromUser");
	ck_assert_int_eq(m.create_time, 1348831860);
	ck_assert_str_eq(m.content, "this is a test");
	ck_assert_str_eq(m.msg_id, "1234567890123456");
	ck_assert_int_eq(m.event_type, WX_EVENT_NONE);
	char key[WX_DEDUPE_KEY_MAX];
	ck_assert_int_eq(wx_dedupe_key(&m, key, sizeof(key)), PD_OK);
	ck_assert_str_eq(key, "msgid:1234567890123456");
	wx_message_free(&m);
	free(xml);

	xml = shared("image_message", &len);
	ck_assert_int_eq(wx_parse_message(xml, len, &m, &eb), PD_OK);
	ck_assert_int_eq(m.type, WX_MSG_IMAGE);
	ck_assert_str_eq(m.pic_url, "this is a url");
	ck_assert_str_eq(m.media_id, "media_id");
	char text[256];
	ck_assert_int_eq(wx_message_text(&m, text, sizeof(text)), PD_OK);
	ck_assert_str_eq(text, "[image] this is a url");
	wx_message_free(&m);
	free(xml);

	/* wechatpy's voice sample has no Recognition: rendered as "[voice]". */
	xml = shared("voice_message", &len);
	ck_assert_int_eq(wx_parse_message(xml, len, &m, &eb), PD_OK);
	ck_assert_int_eq(m.type, WX_MSG_VOICE);
	ck_assert_str_eq(m.format, "Format");
	ck_assert_str_eq(m.recognition, "");
	ck_assert_int_eq(wx_message_text(&m, text, sizeof(text)), PD_OK);
	ck_assert_str_eq(text, "[voice]");
	wx_message_free(&m);
	free(xml);

	xml = shared("video_message", &len);
	ck_assert_int_eq(wx_parse_message(xml, len, &m, &eb), PD_OK);
	ck_assert_int_eq(m.type, WX_MSG_VIDEO);
	ck_assert_str_eq(m.thumb_media_id, "thumb_media_id");
	ck_assert_int_eq(m.create_time, 1357290913);
	wx_message_free(&m);
	free(xml);

	xml = shared("location_message", &len);
	ck_assert_int_eq(wx_parse_message(xml, len, &m, &eb), PD_OK);
	ck_assert_int_eq(m.type, WX_MSG_LOCATION);
	ck_assert_int_eq(m.has_location, 1);
	ck_assert_double_eq_tol(m.location_x, 23.134521, 1e-9);
	ck_assert_double_eq_tol(m.location_y, 113.358803, 1e-9);
	ck_assert_int_eq(m.scale, 20);
	ck_assert_str_eq(m.label, "位置信息");
	ck_assert_int_eq(wx_message_text(&m, text, sizeof(text)), PD_OK);
	ck_assert_str_eq(text, "[location] 位置信息 (23.134521,113.358803)");
	wx_message_free(&m);
	free(xml);

	xml = shared("link_message", &len);
	ck_assert_int_eq(wx_parse_message(xml, len, &m, &eb), PD_OK);
	ck_assert_int_eq(m.type, WX_MSG_LINK);
	ck_assert_str_eq(m.title, "公众平台官网链接");
	ck_assert_str_eq(m.description, "公众平台官网链接");
	ck_assert_str_eq(m.url, "url");
	ck_assert_int_eq(wx_message_text(&m, text, sizeof(text)), PD_OK);
	ck_assert_str_eq(text, "[link] 公众平台官网链接 url");
	wx_message_free(&m);
	free(xml);
}
END_TEST

START_TEST(shared_events_and_unknown)
{
	static const struct {
		const char *name;
		enum wx_msg_type type;
		enum wx_event event;
		const char *event_key, *ticket, *text;
	} cases[] = {
		{ "subscribe_event", WX_MSG_EVENT, WX_EVENT_SUBSCRIBE, "", "", "[event subscribe]" },
		{ "subscribe_scan_event", WX_MSG_EVENT, WX_EVENT_SUBSCRIBE, "qrscene_123123",
		  "TICKET", "[event subscribe] qrscene_123123" },
		{ "scan_event", WX_MSG_EVENT, WX_EVENT_SCAN, "123123", "TICKET",
		  "[event SCAN] 123123" },
		{ "click_event", WX_MSG_EVENT, WX_EVENT_CLICK, "EVENTKEY", "",
		  "[event CLICK] EVENTKEY" },
		{ "view_event", WX_MSG_EVENT, WX_EVENT_VIEW, "www.qq.com", "",
		  "[event VIEW] www.qq.com" },
		{ "location_event", WX_MSG_EVENT, WX_EVENT_LOCATION, "", "",
		  "[event LOCATION] (23.137466,113.352425)" },
		{ "submit_invoice_title_event", WX_MSG_EVENT, WX_EVENT_OTHER, "", "",
		  "[event submit_invoice_title]" },
		{ "unknown_message", WX_MSG_UNKNOWN, WX_EVENT_NONE, "", "", "[unsupported notsure]" },
		{ "device_event", WX_MSG_UNKNOWN, WX_EVENT_NONE, "", "",
		  "[unsupported device_event]" },
	};
	for (size_t i = 0; i < PD_ARRAY_LEN(cases); i++) {
		size_t len;
		char name[96];
		snprintf(name, sizeof(name), "%s", cases[i].name);
		if (strcmp(name, "device_event") == 0)
			snprintf(name, sizeof(name), "device_bind_event");
		char *xml = shared(name, &len);
		if (!xml)
			return;
		wx_message m;
		pd_errbuf eb = { "" };
		ck_assert_msg(wx_parse_message(xml, len, &m, &eb) == PD_OK, "%s: %s", name, eb.msg);
		ck_assert_msg(m.type == cases[i].type, "%s: type %d", name, m.type);
		ck_assert_msg(m.event_type == cases[i].event, "%s: event %d", name, m.event_type);
		ck_assert_str_eq(m.event_key, cases[i].event_key);
		ck_assert_str_eq(m.ticket, cases[i].ticket);
		char text[256];
		ck_assert_int_eq(wx_message_text(&m, text, sizeof(text)), PD_OK);
		ck_assert_str_eq(text, cases[i].text);
		wx_message_free(&m);
		free(xml);
	}

	/* Details of two of them. */
	size_t len;
	char *xml = shared("location_event", &len);
	wx_message m;
	pd_errbuf eb = { "" };
	ck_assert_int_eq(wx_parse_message(xml, len, &m, &eb), PD_OK);
	ck_assert_int_eq(m.has_position, 1);
	ck_assert_double_eq_tol(m.latitude, 23.137466, 1e-9);
	ck_assert_double_eq_tol(m.longitude, 113.352425, 1e-9);
	ck_assert_double_eq_tol(m.precision, 119.385040, 1e-9);
	ck_assert_str_eq(m.msg_id, "");
	char key[WX_DEDUPE_KEY_MAX];
	ck_assert_int_eq(wx_dedupe_key(&m, key, sizeof(key)), PD_OK);
	ck_assert_str_eq(key, "event:fromUser:123456789");
	wx_message_free(&m);
	free(xml);

	xml = shared("unknown_message", &len);
	ck_assert_int_eq(wx_parse_message(xml, len, &m, &eb), PD_OK);
	ck_assert_str_eq(m.msg_type, "notsure");
	ck_assert_str_eq(m.msg_id, "1234567890123456");
	ck_assert_int_eq(wx_dedupe_key(&m, key, sizeof(key)), PD_OK);
	ck_assert_str_eq(key, "msgid:1234567890123456");
	wx_message_free(&m);
	free(xml);
}
END_TEST

/* ---- the project's own fixtures ------------------------------------------------- */

static const struct {
	const char *file;
	enum wx_msg_type type;
	enum wx_event event;
	const char *text, *key;
} own[] = {
	{ "text_zh.xml", WX_MSG_TEXT, WX_EVENT_NONE,
	  "你好，我双11买的订单PD2411110001什么时候发货？已经等三天了",
	  "msgid:24623512345678901" },
	{ "image.xml", WX_MSG_IMAGE, WX_EVENT_NONE,
	  "[image] http://mmbiz.example.com/peakdesk/parcel-damage.jpg", "msgid:24623512345678902" },
	{ "voice_recognition.xml", WX_MSG_VOICE, WX_EVENT_NONE, "快递到哪了，怎么还没到",
	  "msgid:24623512345678903" },
	{ "shortvideo.xml", WX_MSG_SHORTVIDEO, WX_EVENT_NONE, "[shortvideo]",
	  "msgid:24623512345678904" },
	{ "location_zh.xml", WX_MSG_LOCATION, WX_EVENT_NONE,
	  "[location] 上海市黄浦区人民广场 (31.230416,121.473701)", "msgid:24623512345678905" },
	{ "link.xml", WX_MSG_LINK, WX_EVENT_NONE,
	  "[link] 双11活动规则 https://shop.example.com/promo/double11?from=wechat&utm_source=menu",
	  "msgid:24623512345678906" },
	{ "event_subscribe_qrscene.xml", WX_MSG_EVENT, WX_EVENT_SUBSCRIBE,
	  "[event subscribe] qrscene_double11", "event:oPdK7s0Xa1bC2dE3fG4hI5jK6lM7:1731254400" },
	{ "event_click.xml", WX_MSG_EVENT, WX_EVENT_CLICK, "[event CLICK] MENU_TRACK_ORDER",
	  "event:oPdK7s0Xa1bC2dE3fG4hI5jK6lM7:1731254820" },
	{ "event_location.xml", WX_MSG_EVENT, WX_EVENT_LOCATION,
	  "[event LOCATION] (30.572815,104.066801)",
	  "event:oPdK7s0Xa1bC2dE3fG4hI5jK6lM7:1731254880" },
	{ "unknown_type.xml", WX_MSG_UNKNOWN, WX_EVENT_NONE, "[unsupported miniprogrampage]",
	  "msgid:24623512345678907" },
	{ "tencent_sample_plain.xml", WX_MSG_TEXT, WX_EVENT_NONE, "abcdteT",
	  "msgid:6054768590064713728" },
};

START_TEST(own_fixture)
{
	wx_message m;
	parse_fixture(own[_i].file, &m);
	ck_assert_msg(m.type == own[_i].type, "%s: type %d", own[_i].file, m.type);
	ck_assert_int_eq(m.event_type, own[_i].event);
	char text[512], key[WX_DEDUPE_KEY_MAX];
	ck_assert_int_eq(wx_message_text(&m, text, sizeof(text)), PD_OK);
	ck_assert_str_eq(text, own[_i].text);
	ck_assert_int_eq(wx_dedupe_key(&m, key, sizeof(key)), PD_OK);
	ck_assert_str_eq(key, own[_i].key);
	wx_message_free(&m);
}
END_TEST

START_TEST(own_fixture_fields)
{
	wx_message m;
	parse_fixture("voice_recognition.xml", &m);
	ck_assert_str_eq(m.format, "amr");
	ck_assert_str_eq(m.recognition, "快递到哪了，怎么还没到");
	ck_assert_str_eq(m.media_id, "pdTestMediaId_voice_0001");
	ck_assert_str_eq(m.to_user, "gh_5e1f2a3b4c6d");
	ck_assert_str_eq(m.from_user, "oPdK7s0Xa1bC2dE3fG4hI5jK6lM7");
	ck_assert_int_eq(m.create_time, 1731254580);
	wx_message_free(&m);

	parse_fixture("event_subscribe_qrscene.xml", &m);
	ck_assert_str_eq(m.ticket, "gQHpdTestTicketAAAAAAAAAASxodHRwOi8vd2VpeGluLnFxLmNvbS9xLw==");
	ck_assert_str_eq(m.event, "subscribe");
	wx_message_free(&m);

	parse_fixture("location_zh.xml", &m);
	ck_assert_int_eq(m.scale, 15);
	ck_assert_double_eq_tol(m.location_x, 31.230416, 1e-9);
	wx_message_free(&m);

	/* Unknown elements of the unknown type are ignored, known ones kept. */
	parse_fixture("unknown_type.xml", &m);
	ck_assert_str_eq(m.msg_type, "miniprogrampage");
	ck_assert_str_eq(m.title, "商品详情");
	wx_message_free(&m);
}
END_TEST

/* ---- hostile and malformed XML ---------------------------------------------------- */

static void expect_refused(const char *file, int code, const char *words)
{
	size_t len;
	char *xml = fixture(file, &len);
	wx_message m;
	pd_errbuf eb = { "" };
	ck_assert_int_eq(wx_parse_message(xml, len, &m, &eb), code);
	ck_assert_msg(strstr(eb.msg, words) != NULL, "%s: reason \"%s\" lacks \"%s\"", file, eb.msg,
		      words);
	/* Nothing of /etc/passwd, ever. */
	ck_assert_ptr_null(strstr(eb.msg, "root:"));
	ck_assert_ptr_null(m.content);
	wx_message_free(&m);
	/* The envelope parser shares the guard. */
	wx_envelope e;
	ck_assert_int_eq(wx_parse_envelope(xml, len, &e, &eb), code);
	wx_envelope_free(&e);
	free(xml);
}

START_TEST(hostile_fixtures)
{
	expect_refused("billion_laughs.xml", PD_EDECODE, "DOCTYPE is not allowed");
	expect_refused("xxe_passwd.xml", PD_EDECODE, "DOCTYPE is not allowed");
	expect_refused("xxe_parameter_entity.xml", PD_EDECODE, "DOCTYPE is not allowed");
	expect_refused("doctype_external.xml", PD_EDECODE, "DOCTYPE is not allowed");
	expect_refused("undeclared_entity.xml", PD_EDECODE, "undeclared entity");
	expect_refused("invalid_utf8.xml", PD_EDECODE, "not valid UTF-8");
}
END_TEST

START_TEST(doctype_variants)
{
	wx_message m;
	pd_errbuf eb = { "" };
	/* A bare DOCTYPE with no subset at all is still refused. */
	ck_assert_int_eq(parse_str("<!DOCTYPE xml><xml/>", &m, &eb), PD_EDECODE);
	ck_assert_ptr_nonnull(strstr(eb.msg, "DOCTYPE"));
	/* A billion-laughs tree that never gets referenced, and one with the
	 * reference inside an attribute. */
	ck_assert_int_eq(parse_str("<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY a \"aaaa\">"
				   "<!ENTITY b \"&a;&a;&a;&a;\">]><xml a=\"&b;\"/>",
				   &m, &eb),
			 PD_EDECODE);
	ck_assert_ptr_nonnull(strstr(eb.msg, "DOCTYPE"));
	/* What a customer types is text, not markup: "<!DOCTYPE" and
	 * "<!ENTITY" inside CDATA are accepted as they are. */
	const char *ok = "<xml><ToUserName>gh_1</ToUserName><FromUserName>o1</FromUserName>"
			 "<CreateTime>1</CreateTime><MsgType>text</MsgType>"
			 "<Content><![CDATA[<!DOCTYPE html><!ENTITY x SYSTEM \"file:///etc/passwd\">&x;]]>"
			 "</Content></xml>";
	ck_assert_int_eq(parse_str(ok, &m, &eb), PD_OK);
	ck_assert_str_eq(m.content, "<!DOCTYPE html><!ENTITY x SYSTEM \"file:///etc/passwd\">&x;");
	wx_message_free(&m);
}
END_TEST

/* A text message whose Content is filled up to make the document total bytes. */
static char *doc_of_size(size_t total)
{
	const char *head = "<xml><ToUserName>gh_1</ToUserName><FromUserName>o1</FromUserName>"
			   "<CreateTime>1</CreateTime><MsgType>text</MsgType><Content>hi</Content>";
	const char *tail = "</xml>";
	size_t fixed = strlen(head) + strlen(tail);
	ck_assert_uint_ge(total, fixed);
	char *s = malloc(total + 1);
	ck_assert_ptr_nonnull(s);
	strcpy(s, head);
	/* Blank text between the fields: layout the parser skips. */
	memset(s + strlen(head), ' ', total - fixed);
	strcpy(s + total - strlen(tail), tail);
	return s;
}

START_TEST(size_limits)
{
	wx_message m;
	pd_errbuf eb = { "" };
	char *s = doc_of_size(WX_XML_MAX_BYTES);
	ck_assert_int_eq(wx_parse_message(s, WX_XML_MAX_BYTES, &m, &eb), PD_OK);
	wx_message_free(&m);
	free(s);
	s = doc_of_size(WX_XML_MAX_BYTES + 1);
	ck_assert_int_eq(wx_parse_message(s, WX_XML_MAX_BYTES + 1, &m, &eb), PD_ETOOBIG);
	ck_assert_ptr_nonnull(strstr(eb.msg, "limit"));
	free(s);

	/* A field over its own cap is refused, never cut. */
	const char *head = "<xml><ToUserName>gh_1</ToUserName><FromUserName>o1</FromUserName>"
			   "<CreateTime>1</CreateTime><MsgType>text</MsgType><Content>";
	size_t hl = strlen(head), n = WX_CONTENT_MAX + 1;
	char *big = malloc(hl + n + 64);
	ck_assert_ptr_nonnull(big);
	memcpy(big, head, hl);
	memset(big + hl, 'x', n);
	strcpy(big + hl + n, "</Content></xml>");
	ck_assert_int_eq(parse_str(big, &m, &eb), PD_EINVAL);
	ck_assert_ptr_nonnull(strstr(eb.msg, "<Content>"));
	ck_assert_ptr_nonnull(strstr(eb.msg, "limit"));
	/* One byte less is exactly at the cap. */
	strcpy(big + hl + n - 1, "</Content></xml>");
	ck_assert_int_eq(parse_str(big, &m, &eb), PD_OK);
	ck_assert_uint_eq(strlen(m.content), WX_CONTENT_MAX);
	wx_message_free(&m);
	free(big);
}
END_TEST

START_TEST(depth_and_element_limits)
{
	wx_message m;
	pd_errbuf eb = { "" };
	const char *base = "<xml><ToUserName>gh_1</ToUserName><FromUserName>o1</FromUserName>"
			   "<CreateTime>1</CreateTime><MsgType>event</MsgType>";
	char doc[8192];
	/* WeChat's deepest: <xml><SendPicsInfo><PicList><item><PicMd5Sum>. */
	snprintf(doc, sizeof(doc), "%s<SendPicsInfo><Count>1</Count><PicList><item><PicMd5Sum>"
				   "abc</PicMd5Sum></item></PicList></SendPicsInfo></xml>",
		 base);
	ck_assert_int_eq(parse_str(doc, &m, &eb), PD_OK);
	wx_message_free(&m);

	/* xml + 8 levels = 9 deep. */
	snprintf(doc, sizeof(doc), "%s<a><b><c><d><e><f><g><h/></g></f></e></d></c></b></a></xml>",
		 base);
	ck_assert_int_eq(parse_str(doc, &m, &eb), PD_EDECODE);
	ck_assert_ptr_nonnull(strstr(eb.msg, "deeper"));

	/* Far deeper than libxml2's own limit would allow. */
	char *deep = malloc(200000), *p;
	ck_assert_ptr_nonnull(deep);
	p = deep + sprintf(deep, "<xml>");
	for (int i = 0; i < 5000; i++)
		p += sprintf(p, "<a>");
	ck_assert_int_eq(parse_str(deep, &m, &eb), PD_EDECODE);
	ck_assert_ptr_nonnull(strstr(eb.msg, "deeper"));

	/* Many flat elements. */
	p = deep + sprintf(deep, "%s", base);
	for (int i = 0; i < WX_XML_MAX_ELEMENTS; i++)
		p += sprintf(p, "<i/>");
	strcpy(p, "</xml>");
	ck_assert_int_eq(parse_str(deep, &m, &eb), PD_EDECODE);
	ck_assert_ptr_nonnull(strstr(eb.msg, "elements"));
	free(deep);
}
END_TEST

START_TEST(malformed_documents)
{
	static const struct {
		const char *xml;
		int code;
		const char *words;
	} cases[] = {
		{ "", PD_EDECODE, "empty" },
		{ "not xml at all", PD_EDECODE, "at line 1" },
		{ "<xml><ToUserName>a</FromUserName></xml>", PD_EDECODE, "end tag" },
		{ "<xml><Content>x</Content>", PD_EDECODE, "line" },
		{ "<xml/><xml/>", PD_EDECODE, "after the root" },
		{ "<message><ToUserName>a</ToUserName></message>", PD_EDECODE, "not <xml>" },
		{ "<w:xml xmlns:w=\"urn:x\"/>", PD_EDECODE, "not <xml>" },
		{ "<xml>&#0;</xml>", PD_EDECODE, "character" },
		{ "<xml>\x01</xml>", PD_EDECODE, "character" },
	};
	for (size_t i = 0; i < PD_ARRAY_LEN(cases); i++) {
		wx_message m;
		pd_errbuf eb = { "" };
		ck_assert_msg(parse_str(cases[i].xml, &m, &eb) == cases[i].code, "case %zu: %s", i,
			      eb.msg);
		ck_assert_msg(strstr(eb.msg, cases[i].words) != NULL, "case %zu: \"%s\" lacks \"%s\"",
			      i, eb.msg, cases[i].words);
	}
	/* A NUL inside the body (the length says it is there). */
	wx_message m;
	pd_errbuf eb = { "" };
	ck_assert_int_eq(wx_parse_message("<xml>\0</xml>", 12, &m, &eb), PD_EDECODE);
	ck_assert_ptr_nonnull(strstr(eb.msg, "NUL"));
	ck_assert_int_eq(wx_parse_message(NULL, 0, &m, &eb), PD_EINVAL);
	ck_assert_int_eq(wx_parse_message("<xml/>", 6, NULL, &eb), PD_EINVAL);
}
END_TEST

START_TEST(invalid_fields)
{
#define HEAD "<xml><ToUserName>gh_1</ToUserName><FromUserName>o1</FromUserName>"
	static const struct {
		const char *xml;
		const char *words;
	} cases[] = {
		{ "<xml><ToUserName>gh_1</ToUserName><CreateTime>1</CreateTime>"
		  "<MsgType>text</MsgType></xml>",
		  "<FromUserName> is missing" },
		{ HEAD "<MsgType>text</MsgType></xml>", "<CreateTime> is missing" },
		{ HEAD "<CreateTime>1</CreateTime></xml>", "<MsgType> is missing" },
		{ HEAD "<CreateTime>1</CreateTime><MsgType><![CDATA[  ]]></MsgType></xml>",
		  "<MsgType> is missing" },
		{ HEAD "<CreateTime>1</CreateTime><MsgType>text</MsgType>"
		       "<Content>a</Content><Content>b</Content></xml>",
		  "<Content> given twice" },
		{ HEAD "<CreateTime>1</CreateTime><MsgType>text</MsgType>"
		       "<Content>a<b>c</b></Content></xml>",
		  "<Content> holds child elements" },
		{ HEAD "<CreateTime>12a</CreateTime><MsgType>text</MsgType></xml>",
		  "<CreateTime> must be unix seconds" },
		{ HEAD "<CreateTime>-5</CreateTime><MsgType>text</MsgType></xml>",
		  "<CreateTime> must be unix seconds" },
		{ HEAD "<CreateTime>1234567890123</CreateTime><MsgType>text</MsgType></xml>",
		  "<CreateTime> must be unix seconds" },
		{ HEAD "<CreateTime>1</CreateTime><MsgType>text</MsgType><MsgId>12x</MsgId></xml>",
		  "<MsgId> must be decimal digits" },
		{ HEAD "<CreateTime>1</CreateTime><MsgType>text</MsgType>"
		       "<MsgId>123456789012345678901</MsgId></xml>",
		  "<MsgId> is 21 bytes" },
		{ HEAD "<CreateTime>1</CreateTime><MsgType>location</MsgType>"
		       "<Location_X>91.0</Location_X></xml>",
		  "<Location_X> is out of range" },
		{ HEAD "<CreateTime>1</CreateTime><MsgType>location</MsgType>"
		       "<Location_Y>1e3</Location_Y></xml>",
		  "<Location_Y> must be a decimal number" },
		{ HEAD "<CreateTime>1</CreateTime><MsgType>event</MsgType>"
		       "<Latitude>.5</Latitude></xml>",
		  "<Latitude> must be a decimal number" },
		{ HEAD "<CreateTime>1</CreateTime><MsgType>event</MsgType>"
		       "<Precision>-1.0</Precision></xml>",
		  "<Precision> is out of range" },
		{ HEAD "<CreateTime>1</CreateTime><MsgType>location</MsgType><Scale>x</Scale></xml>",
		  "<Scale> must be a non-negative integer" },
		{ "<xml><ToUserName>gh 1</ToUserName><FromUserName>o1</FromUserName>"
		  "<CreateTime>1</CreateTime><MsgType>text</MsgType></xml>",
		  "<ToUserName> must be printable ASCII" },
		{ "<xml><ToUserName>gh_1</ToUserName><FromUserName>用户</FromUserName>"
		  "<CreateTime>1</CreateTime><MsgType>text</MsgType></xml>",
		  "<FromUserName> must be printable ASCII" },
	};
#undef HEAD
	for (size_t i = 0; i < PD_ARRAY_LEN(cases); i++) {
		wx_message m;
		pd_errbuf eb = { "" };
		ck_assert_msg(parse_str(cases[i].xml, &m, &eb) == PD_EINVAL, "case %zu: %s", i,
			      eb.msg);
		ck_assert_msg(strstr(eb.msg, cases[i].words) != NULL, "case %zu: \"%s\" lacks \"%s\"",
			      i, eb.msg, cases[i].words);
		/* Nothing half-built is handed back. */
		ck_assert_ptr_null(m.to_user);
		wx_message_free(&m);
	}
}
END_TEST

START_TEST(lenient_parts)
{
	wx_message m;
	pd_errbuf eb = { "" };
	/* Blanks around CDATA (as in WeChat's own encryption sample), an
	 * encoding declaration that is not obeyed (the bytes are UTF-8),
	 * predefined and character entities, comments, attributes, a
	 * namespaced look-alike and unknown elements. */
	const char *xml =
		"<?xml version=\"1.0\" encoding=\"GBK\"?>\n"
		"<xml><!-- c --><ToUserName>\n  <![CDATA[gh_1]]>\n</ToUserName>"
		"<FromUserName a=\"1\"><![CDATA[o1]]></FromUserName>"
		"<CreateTime> 1731254460 </CreateTime><MsgType>  <![CDATA[text]]></MsgType>"
		"<Content>订单 &amp; &lt;退款&gt; &#x4E2D;<![CDATA[ 好]]></Content>"
		"<x:Content xmlns:x=\"urn:x\">ignored</x:Content><Unknown><a>1</a></Unknown>"
		"<MsgId> 42 </MsgId></xml>";
	ck_assert_int_eq(parse_str(xml, &m, &eb), PD_OK);
	ck_assert_str_eq(m.to_user, "gh_1");
	ck_assert_str_eq(m.msg_type, "text");
	ck_assert_int_eq(m.type, WX_MSG_TEXT);
	ck_assert_int_eq(m.create_time, 1731254460);
	ck_assert_str_eq(m.content, "订单 & <退款> 中 好");
	ck_assert_str_eq(m.msg_id, "42");
	wx_message_free(&m);

	/* Event names in another case still map; a message with no MsgId
	 * dedupes on sender and time. */
	const char *ev = "<xml><ToUserName>gh_1</ToUserName><FromUserName>o1</FromUserName>"
			 "<CreateTime>7</CreateTime><MsgType>event</MsgType><Event>scan</Event>"
			 "<MsgId>99</MsgId></xml>";
	ck_assert_int_eq(parse_str(ev, &m, &eb), PD_OK);
	ck_assert_int_eq(m.event_type, WX_EVENT_SCAN);
	char key[WX_DEDUPE_KEY_MAX];
	ck_assert_int_eq(wx_dedupe_key(&m, key, sizeof(key)), PD_OK);
	ck_assert_str_eq(key, "event:o1:7"); /* events never use MsgId */
	wx_message_free(&m);

	const char *nomsgid = "<xml><ToUserName>gh_1</ToUserName><FromUserName>o1</FromUserName>"
			      "<CreateTime>8</CreateTime><MsgType>text</MsgType></xml>";
	ck_assert_int_eq(parse_str(nomsgid, &m, &eb), PD_OK);
	ck_assert_int_eq(wx_dedupe_key(&m, key, sizeof(key)), PD_OK);
	ck_assert_str_eq(key, "event:o1:8");
	ck_assert_str_eq(m.content, ""); /* absent -> "" never NULL */
	ck_assert_str_eq(m.event, "");
	ck_assert_int_eq(m.event_type, WX_EVENT_NONE);
	wx_message_free(&m);
}
END_TEST

START_TEST(dedupe_and_text_limits)
{
	wx_message m;
	parse_fixture("text_zh.xml", &m);
	char key[8];
	ck_assert_int_eq(wx_dedupe_key(&m, key, sizeof(key)), PD_ETOOBIG);
	ck_assert_str_eq(key, ""); /* a cut key would collide */
	ck_assert_int_eq(wx_dedupe_key(NULL, key, sizeof(key)), PD_EINVAL);

	/* "你好，" is 9 bytes: a 9-byte buffer holds "你好" (6) and the NUL,
	 * never half of "，". */
	char text[9];
	ck_assert_int_eq(wx_message_text(&m, text, sizeof(text)), PD_ETOOBIG);
	ck_assert_str_eq(text, "你好");
	ck_assert(pd_utf8_valid(text, strlen(text)));
	for (size_t n = 1; n < 40; n++) {
		char buf[40];
		int rc = wx_message_text(&m, buf, n);
		ck_assert_int_eq(rc, PD_ETOOBIG);
		ck_assert_uint_lt(strlen(buf), n);
		ck_assert(pd_utf8_valid(buf, strlen(buf)));
	}
	ck_assert_int_eq(wx_message_text(&m, text, 0), PD_EINVAL);
	wx_message_free(&m);
	ck_assert_int_eq(wx_message_text(&m, text, sizeof(text)), PD_EINVAL); /* freed */
	wx_message_free(NULL);
	ck_assert_str_eq(wx_msg_type_name(WX_MSG_SHORTVIDEO), "shortvideo");
	ck_assert_str_eq(wx_msg_type_name(WX_MSG_UNKNOWN), "unknown");
	ck_assert_str_eq(wx_event_name(WX_EVENT_VIEW), "VIEW");
	ck_assert_str_eq(wx_event_name(WX_EVENT_OTHER), "other");
}
END_TEST

/* ---- envelope ------------------------------------------------------------------- */

START_TEST(envelope_fixtures)
{
	const char *files[] = { "aes_vector.txt", "tencent_sample.txt" };
	for (size_t i = 0; i < 2; i++) {
		size_t len;
		char *xml = fixture(vec(files[i], "envelope_file"), &len);
		char *enc = vec_dup(files[i], "encrypt");
		wx_envelope e;
		pd_errbuf eb = { "" };
		ck_assert_int_eq(wx_parse_envelope(xml, len, &e, &eb), PD_OK);
		ck_assert_str_eq(e.encrypt, enc);
		ck_assert_str_eq(e.to_user, i == 0 ? "gh_5e1f2a3b4c6d" : "gh_10f6c3c3ac5a");
		wx_envelope_free(&e);
		free(enc);
		free(xml);
	}

	wx_envelope e;
	pd_errbuf eb = { "" };
	const char *no_enc = "<xml><ToUserName>gh_1</ToUserName></xml>";
	ck_assert_int_eq(wx_parse_envelope(no_enc, strlen(no_enc), &e, &eb), PD_EINVAL);
	ck_assert_ptr_nonnull(strstr(eb.msg, "<Encrypt> is missing"));
	const char *bad = "<xml><Encrypt><![CDATA[abc!]]></Encrypt></xml>";
	ck_assert_int_eq(wx_parse_envelope(bad, strlen(bad), &e, &eb), PD_EINVAL);
	ck_assert_ptr_nonnull(strstr(eb.msg, "base64"));
	const char *odd = "<xml><Encrypt>abcde</Encrypt></xml>";
	ck_assert_int_eq(wx_parse_envelope(odd, strlen(odd), &e, &eb), PD_EINVAL);
	const char *bare = "<xml><Encrypt>QUJD</Encrypt></xml>"; /* ToUserName optional */
	ck_assert_int_eq(wx_parse_envelope(bare, strlen(bare), &e, &eb), PD_OK);
	ck_assert_str_eq(e.to_user, "");
	wx_envelope_free(&e);
}
END_TEST

/* ---- crypto --------------------------------------------------------------------- */

static void hex_of(const uint8_t *b, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
}

START_TEST(aes_key_decode)
{
	const char *files[] = { "aes_vector.txt", "tencent_sample.txt" };
	for (size_t i = 0; i < 2; i++) {
		uint8_t key[WX_AES_KEY_LEN];
		char hex[2 * WX_AES_KEY_LEN + 1];
		key_of(files[i], key);
		hex_of(key, WX_AES_KEY_LEN, hex);
		ck_assert_str_eq(hex, vec(files[i], "key_hex"));
	}
	uint8_t key[WX_AES_KEY_LEN];
	pd_errbuf eb = { "" };
	/* 42 and 44 characters, a URL-safe '-' and a padding '=' inside. */
	ck_assert_int_eq(wx_aes_key_decode("abcdefghijklmnopqrstuvwxyz0123456789ABCDEF", key, &eb),
			 PD_EINVAL);
	ck_assert_ptr_nonnull(strstr(eb.msg, "43 characters"));
	ck_assert_int_eq(wx_aes_key_decode("abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGH", key, &eb),
			 PD_EINVAL);
	ck_assert_int_eq(wx_aes_key_decode("abcdefghijklmnopqrstuvwxyz0123456789ABCDEF-", key, &eb),
			 PD_EINVAL);
	ck_assert_ptr_nonnull(strstr(eb.msg, "character 43"));
	ck_assert_int_eq(wx_aes_key_decode("abcdefghijklmnopqrstuvwxyz0123456789ABCDE=G", key, &eb),
			 PD_EINVAL);
	ck_assert_int_eq(wx_aes_key_decode("", key, &eb), PD_EINVAL);
	ck_assert_int_eq(wx_aes_key_decode(NULL, key, &eb), PD_EINVAL);
}
END_TEST

START_TEST(decrypt_vectors)
{
	const char *files[] = { "aes_vector.txt", "tencent_sample.txt" };
	for (size_t i = 0; i < 2; i++) {
		uint8_t key[WX_AES_KEY_LEN];
		key_of(files[i], key);
		char *appid = vec_dup(files[i], "appid"), *enc = vec_dup(files[i], "encrypt");
		size_t want_len;
		char *want = fixture(vec(files[i], "plaintext_file"), &want_len);
		char *xml = NULL;
		size_t xml_len = 0;
		pd_errbuf eb = { "" };
		ck_assert_int_eq(wx_decrypt(key, appid, enc, strlen(enc), &xml, &xml_len, &eb), PD_OK);
		ck_assert_uint_eq(xml_len, want_len);
		ck_assert_mem_eq(xml, want, want_len);
		ck_assert_int_eq(xml[xml_len], '\0');

		/* The decrypted document goes on to the message parser. */
		wx_message m;
		ck_assert_int_eq(wx_parse_message(xml, xml_len, &m, &eb), PD_OK);
		ck_assert_int_eq(m.type, WX_MSG_TEXT);
		wx_message_free(&m);
		free(xml);

		/* Another account's AppID: refused, nothing returned. */
		xml = (char *)1;
		ck_assert_int_eq(wx_decrypt(key, "wx0000000000000000", enc, strlen(enc), &xml,
					    &xml_len, &eb),
				 PD_ESIG);
		ck_assert_ptr_null(xml);
		ck_assert_ptr_nonnull(strstr(eb.msg, "AppID"));
		/* A prefix of the right AppID is not the right AppID. */
		char shorter[64];
		snprintf(shorter, sizeof(shorter), "%.*s", (int)strlen(appid) - 1, appid);
		ck_assert_int_eq(wx_decrypt(key, shorter, enc, strlen(enc), &xml, &xml_len, &eb),
				 PD_ESIG);
		free(appid), free(enc), free(want);
	}
}
END_TEST

START_TEST(encrypt_vectors)
{
	/* With the vector's random prefix, encryption reproduces the
	 * independently made ciphertext byte for byte (32-byte padding). */
	const char *files[] = { "aes_vector.txt", "tencent_sample.txt" };
	for (size_t i = 0; i < 2; i++) {
		uint8_t key[WX_AES_KEY_LEN];
		key_of(files[i], key);
		char *appid = vec_dup(files[i], "appid"), *enc = vec_dup(files[i], "encrypt");
		char *rnd = vec_dup(files[i], "random");
		size_t len;
		char *xml = fixture(vec(files[i], "plaintext_file"), &len);
		char *out = NULL;
		pd_errbuf eb = { "" };
		ck_assert_int_eq(wx_encrypt(key, appid, xml, len, fixed_random, rnd, &out, &eb),
				 PD_OK);
		ck_assert_str_eq(out, enc);
		free(out), free(xml), free(appid), free(enc), free(rnd);
	}
}
END_TEST

START_TEST(crypto_round_trip)
{
	uint8_t key[WX_AES_KEY_LEN];
	key_of("aes_vector.txt", key);
	char xml[200];
	for (size_t i = 0; i < sizeof(xml); i++)
		xml[i] = (char)('a' + i % 26);
	/* Every length from 0 to 199 covers each padding value 1..32,
	 * including a full block of 32 when the plaintext fills blocks. */
	for (size_t n = 0; n < sizeof(xml); n++) {
		char *enc = NULL, *back = NULL;
		size_t back_len = 0;
		pd_errbuf eb = { "" };
		ck_assert_int_eq(wx_encrypt(key, "wxAPPID", xml, n, NULL, NULL, &enc, &eb), PD_OK);
		ck_assert_int_eq(wx_decrypt(key, "wxAPPID", enc, strlen(enc), &back, &back_len, &eb),
				 PD_OK);
		ck_assert_uint_eq(back_len, n);
		ck_assert_mem_eq(back, xml, n);
		/* Whole 32-byte blocks: WeChat's padding, not AES's 16. */
		size_t b64 = strlen(enc), pads = (enc[b64 - 1] == '=') + (enc[b64 - 2] == '=');
		ck_assert_uint_eq((b64 / 4 * 3 - pads) % 32, 0);
		free(enc);
		free(back);
	}
	/* Two encryptions of the same text differ (random prefix). */
	char *a, *b;
	pd_errbuf eb = { "" };
	ck_assert_int_eq(wx_encrypt(key, "wxAPPID", "<xml/>", 6, NULL, NULL, &a, &eb), PD_OK);
	ck_assert_int_eq(wx_encrypt(key, "wxAPPID", "<xml/>", 6, NULL, NULL, &b, &eb), PD_OK);
	ck_assert_str_ne(a, b);
	free(a);
	free(b);
}
END_TEST

START_TEST(decrypt_bad_input)
{
	uint8_t key[WX_AES_KEY_LEN];
	key_of("aes_vector.txt", key);
	const char *appid = "wx5d1e0f3a2b4c6d8e";
	char *xml = NULL;
	size_t len = 0;
	pd_errbuf eb = { "" };
	uint8_t pt[256];

	/* Padding byte values 0, 33 and an inconsistent run. */
	const int pads[][2] = { { 16, 0 }, { 33, 33 }, { 12, 12 } };
	for (size_t i = 0; i < 3; i++) {
		size_t n = make_plain(pt, 6, "<xml/>", appid, pads[i][0], pads[i][1]);
		/* Make the total a whole number of blocks with the pad run. */
		while (n % 16)
			pt[n++] = (uint8_t)pads[i][1];
		if (i == 2)
			pt[n - 5] = 3; /* one byte of the run is wrong */
		char *b64 = raw_encrypt_b64(key, pt, n);
		ck_assert_int_eq(wx_decrypt(key, appid, b64, strlen(b64), &xml, &len, &eb),
				 PD_EDECODE);
		ck_assert_msg(strstr(eb.msg, "padding") != NULL, "pad case %zu: %s", i, eb.msg);
		ck_assert_ptr_null(xml);
		free(b64);
	}

	/* A correctly padded plaintext whose length prefix overruns it. */
	size_t n = make_plain(pt, 4000, "<xml/>", appid, 0, 0);
	size_t pad = 32 - n % 32;
	memset(pt + n, (int)pad, pad);
	char *b64 = raw_encrypt_b64(key, pt, n + pad);
	ck_assert_int_eq(wx_decrypt(key, appid, b64, strlen(b64), &xml, &len, &eb), PD_EDECODE);
	ck_assert_ptr_nonnull(strstr(eb.msg, "length prefix"));
	free(b64);

	/* Too short for the random prefix and length. */
	memset(pt, 16, 16);
	b64 = raw_encrypt_b64(key, pt, 16);
	ck_assert_int_eq(wx_decrypt(key, appid, b64, strlen(b64), &xml, &len, &eb), PD_EDECODE);
	ck_assert_ptr_nonnull(strstr(eb.msg, "too short"));
	free(b64);

	/* Not base64, not whole blocks, empty, and with a blank inside. */
	const char *nots[] = { "!!!!", "QUJD", "", "QUJD QUJD", "QU=D" };
	for (size_t i = 0; i < PD_ARRAY_LEN(nots); i++) {
		ck_assert_int_eq(wx_decrypt(key, appid, nots[i], strlen(nots[i]), &xml, &len, &eb),
				 PD_EDECODE);
		ck_assert_ptr_null(xml);
	}

	/* The wrong key: the padding (or, rarely, the AppID) gives it away. */
	uint8_t other[WX_AES_KEY_LEN];
	key_of("tencent_sample.txt", other);
	char *enc = vec_dup("aes_vector.txt", "encrypt");
	ck_assert_int_ne(wx_decrypt(other, appid, enc, strlen(enc), &xml, &len, &eb), PD_OK);
	ck_assert_ptr_null(xml);
	free(enc);

	/* Bad arguments. */
	ck_assert_int_eq(wx_decrypt(key, "", "QUJD", 4, &xml, &len, &eb), PD_EINVAL);
	ck_assert_int_eq(wx_decrypt(key, "wx 1", "QUJD", 4, &xml, &len, &eb), PD_EINVAL);
	ck_assert_int_eq(wx_decrypt(key, appid, NULL, 0, &xml, &len, &eb), PD_EINVAL);
}
END_TEST

START_TEST(encrypt_bad_input)
{
	uint8_t key[WX_AES_KEY_LEN];
	key_of("aes_vector.txt", key);
	char *out = (char *)1;
	pd_errbuf eb = { "" };
	ck_assert_int_eq(wx_encrypt(key, "", "<xml/>", 6, NULL, NULL, &out, &eb), PD_EINVAL);
	ck_assert_ptr_null(out);
	char *big = calloc(1, WX_XML_MAX_BYTES + 1);
	ck_assert_ptr_nonnull(big);
	ck_assert_int_eq(wx_encrypt(key, "wx1", big, WX_XML_MAX_BYTES + 1, NULL, NULL, &out, &eb),
			 PD_EINVAL);
	free(big);
	ck_assert_int_eq(wx_encrypt(key, "wx1", "<xml/>", 6, failing_random, NULL, &out, &eb),
			 PD_EIO);
	ck_assert_ptr_null(out);
}
END_TEST

/* ---- replies ----------------------------------------------------------------------- */

START_TEST(text_reply_exact)
{
	char *out = NULL;
	pd_errbuf eb = { "" };
	ck_assert_int_eq(wx_build_text_reply("oPdK7s0Xa1bC2dE3fG4hI5jK6lM7", "gh_5e1f2a3b4c6d",
					     1731254461, "您的包裹已发出", &out, &eb),
			 PD_OK);
	ck_assert_str_eq(out, "<xml><ToUserName><![CDATA[oPdK7s0Xa1bC2dE3fG4hI5jK6lM7]]></ToUserName>"
			      "<FromUserName><![CDATA[gh_5e1f2a3b4c6d]]></FromUserName>"
			      "<CreateTime>1731254461</CreateTime>"
			      "<MsgType><![CDATA[text]]></MsgType>"
			      "<Content><![CDATA[您的包裹已发出]]></Content></xml>");
	free(out);
}
END_TEST

START_TEST(text_reply_cdata_escaping)
{
	char *out = NULL;
	pd_errbuf eb = { "" };
	ck_assert_int_eq(wx_build_text_reply("o1", "gh_1", 0, "a]]>b", &out, &eb), PD_OK);
	ck_assert_ptr_nonnull(strstr(out, "<Content><![CDATA[a]]]]><![CDATA[>b]]></Content>"));
	free(out);

	/* Line ends go out as "\n": what any XML parser would make of them. */
	ck_assert_int_eq(wx_build_text_reply("o1", "gh_1", 0, "a\r\nb\rc\n", &out, &eb), PD_OK);
	ck_assert_ptr_nonnull(strstr(out, "<![CDATA[a\nb\nc\n]]>"));
	wx_message m;
	ck_assert_int_eq(wx_parse_message(out, strlen(out), &m, &eb), PD_OK);
	ck_assert_str_eq(m.content, "a\nb\nc\n");
	wx_message_free(&m);
	free(out);

	/* Whatever the content, a parser reads back exactly what was put in. */
	const char *texts[] = { "]]>", "]]]]>>", "x]]>y]]>z", "]]", "]>", "<![CDATA[ & < > ]]>",
				"退款]]>投诉", "", "line1\nline2\ttab" };
	for (size_t i = 0; i < PD_ARRAY_LEN(texts); i++) {
		ck_assert_int_eq(wx_build_text_reply("o1", "gh_1", 5, texts[i], &out, &eb), PD_OK);
		ck_assert_msg(wx_parse_message(out, strlen(out), &m, &eb) == PD_OK, "%s: %s", out,
			      eb.msg);
		ck_assert_str_eq(m.content, texts[i]);
		ck_assert_str_eq(m.to_user, "o1");
		ck_assert_str_eq(m.from_user, "gh_1");
		ck_assert_int_eq(m.create_time, 5);
		ck_assert_int_eq(m.type, WX_MSG_TEXT);
		wx_message_free(&m);
		free(out);
	}
}
END_TEST

START_TEST(text_reply_invalid)
{
	char *out = (char *)1;
	pd_errbuf eb = { "" };
	ck_assert_int_eq(wx_build_text_reply("o1", "gh_1", 0, "\xe4\xbd", &out, &eb), PD_EINVAL);
	ck_assert_ptr_null(out);
	ck_assert_ptr_nonnull(strstr(eb.msg, "UTF-8"));
	ck_assert_int_eq(wx_build_text_reply("o1", "gh_1", 0, "bell\x07", &out, &eb), PD_EINVAL);
	ck_assert_ptr_nonnull(strstr(eb.msg, "control"));
	ck_assert_int_eq(wx_build_text_reply("o 1", "gh_1", 0, "x", &out, &eb), PD_EINVAL);
	ck_assert_int_eq(wx_build_text_reply("o1", "", 0, "x", &out, &eb), PD_EINVAL);
	ck_assert_int_eq(wx_build_text_reply("o1", "gh_1", -1, "x", &out, &eb), PD_EINVAL);
	ck_assert_int_eq(wx_build_text_reply("o1", "gh_1", 0, NULL, &out, &eb), PD_EINVAL);
	char big[WX_REPLY_CONTENT_MAX + 2];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ck_assert_int_eq(wx_build_text_reply("o1", "gh_1", 0, big, &out, &eb), PD_EINVAL);
	ck_assert_ptr_nonnull(strstr(eb.msg, "limit"));
	big[WX_REPLY_CONTENT_MAX] = '\0';
	ck_assert_int_eq(wx_build_text_reply("o1", "gh_1", 0, big, &out, &eb), PD_OK);
	free(out);
}
END_TEST

START_TEST(encrypted_reply)
{
	/* Encrypting the vector's plaintext with its random prefix gives the
	 * vector's Encrypt and msg_signature exactly. */
	uint8_t key[WX_AES_KEY_LEN];
	key_of("aes_vector.txt", key);
	char *token = vec_dup("aes_vector.txt", "token"), *ts = vec_dup("aes_vector.txt", "timestamp");
	char *nonce = vec_dup("aes_vector.txt", "nonce"), *rnd = vec_dup("aes_vector.txt", "random");
	char *appid = vec_dup("aes_vector.txt", "appid"), *enc = vec_dup("aes_vector.txt", "encrypt");
	char *sig = vec_dup("aes_vector.txt", "msg_signature");
	size_t len;
	char *plain = fixture("text_zh.xml", &len);
	char *out = NULL;
	pd_errbuf eb = { "" };
	ck_assert_int_eq(wx_build_encrypted_reply(token, key, appid, plain, len, ts, nonce,
						  fixed_random, rnd, &out, &eb),
			 PD_OK);
	char want[2048];
	snprintf(want, sizeof(want),
		 "<xml><Encrypt><![CDATA[%s]]></Encrypt><MsgSignature><![CDATA[%s]]></MsgSignature>"
		 "<TimeStamp>%s</TimeStamp><Nonce><![CDATA[%s]]></Nonce></xml>",
		 enc, sig, ts, nonce);
	ck_assert_str_eq(out, want);

	/* And what we send back is what a receiver can check and open. */
	wx_envelope e;
	ck_assert_int_eq(wx_parse_envelope(out, strlen(out), &e, &eb), PD_OK);
	ck_assert_int_eq(wx_verify_msg_signature(token, ts, nonce, e.encrypt, sig), PD_OK);
	char *back;
	size_t back_len;
	ck_assert_int_eq(wx_decrypt(key, appid, e.encrypt, strlen(e.encrypt), &back, &back_len, &eb),
			 PD_OK);
	ck_assert_uint_eq(back_len, len);
	ck_assert_mem_eq(back, plain, len);
	free(back);
	wx_envelope_free(&e);
	free(out);

	/* Bad timestamp, nonce, token. */
	ck_assert_int_eq(wx_build_encrypted_reply(token, key, appid, plain, len, "12a", nonce, NULL,
						  NULL, &out, &eb),
			 PD_EINVAL);
	ck_assert_ptr_null(out);
	ck_assert_int_eq(wx_build_encrypted_reply(token, key, appid, plain, len, ts, "", NULL, NULL,
						  &out, &eb),
			 PD_EINVAL);
	ck_assert_int_eq(wx_build_encrypted_reply(token, key, appid, plain, len, ts, "a b", NULL,
						  NULL, &out, &eb),
			 PD_EINVAL);
	ck_assert_int_eq(wx_build_encrypted_reply("", key, appid, plain, len, ts, nonce, NULL, NULL,
						  &out, &eb),
			 PD_EINVAL);
	free(token), free(ts), free(nonce), free(rnd), free(appid), free(enc), free(sig);
	free(plain);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("wechat");
	TCase *sg = tcase_create("signature");
	tcase_add_test(sg, sig_doc_vector);
	tcase_add_test(sg, sig_msg_signature_vectors);
	tcase_add_test(sg, sig_sorting_and_args);
	suite_add_tcase(s, sg);
	TCase *sh = tcase_create("shared_samples");
	tcase_add_test(sh, shared_all_parse);
	tcase_add_test(sh, shared_text_and_media);
	tcase_add_test(sh, shared_events_and_unknown);
	suite_add_tcase(s, sh);
	TCase *fx = tcase_create("fixtures");
	tcase_add_loop_test(fx, own_fixture, 0, (int)PD_ARRAY_LEN(own));
	tcase_add_test(fx, own_fixture_fields);
	tcase_add_test(fx, envelope_fixtures);
	suite_add_tcase(s, fx);
	TCase *hx = tcase_create("hostile_xml");
	tcase_add_test(hx, hostile_fixtures);
	tcase_add_test(hx, doctype_variants);
	tcase_add_test(hx, size_limits);
	tcase_add_test(hx, depth_and_element_limits);
	tcase_add_test(hx, malformed_documents);
	tcase_add_test(hx, invalid_fields);
	tcase_add_test(hx, lenient_parts);
	tcase_add_test(hx, dedupe_and_text_limits);
	suite_add_tcase(s, hx);
	TCase *cr = tcase_create("crypto");
	tcase_add_test(cr, aes_key_decode);
	tcase_add_test(cr, decrypt_vectors);
	tcase_add_test(cr, encrypt_vectors);
	tcase_add_test(cr, crypto_round_trip);
	tcase_add_test(cr, decrypt_bad_input);
	tcase_add_test(cr, encrypt_bad_input);
	suite_add_tcase(s, cr);
	TCase *rp = tcase_create("reply");
	tcase_add_test(rp, text_reply_exact);
	tcase_add_test(rp, text_reply_cdata_escaping);
	tcase_add_test(rp, text_reply_invalid);
	tcase_add_test(rp, encrypted_reply);
	suite_add_tcase(s, rp);
	return s;
}

PD_CHECK_MAIN(suite)
