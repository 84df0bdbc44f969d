/* Tests for the e-mail parser (services/gateway/mail_parse.c, mail_text.c):
 * every real message in ../shared/data/email parses (when that directory is
 * there), with exact checks on several of them; the project's own fixtures
 * (tests/data/email, see tests/data/SOURCES) in GB2312, GBK, Big5, GB18030,
 * ISO-2022-JP, HTML, multipart/alternative, a threaded reply, a PDF
 * attachment, a bounce and an auto-reply; the public id token; the charset
 * fallbacks; and malformed or hostile input, which must give a clear error
 * or a sane result, never a crash. */
#include <dirent.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../../services/gateway/mail_parse.h"
#include "../../services/gateway/mail_text.h"
#include "codec.h"
#include "ids.h"
#include "pd_check.h"

#define SHARED_EMAIL "../shared/data/email"

/* ---- helpers ---------------------------------------------------------------- */

static int shared_present(void)
{
	struct stat st;
	if (stat(SHARED_EMAIL, &st) == 0 && S_ISDIR(st.st_mode))
		return 1;
	printf("skipped: ../shared/data not present\n");
	return 0;
}

static int utf8ok(const char *s)
{
	return s && pd_utf8_valid(s, strlen(s));
}

/* The documented invariants of a successful parse. */
static void check_invariants(const mail_message *m, const char *what)
{
	ck_assert_msg(utf8ok(m->message_id) && utf8ok(m->in_reply_to) && utf8ok(m->from_name) &&
			      utf8ok(m->subject) && utf8ok(m->body_charset),
		      "%s: header field not valid UTF-8", what);
	ck_assert_msg(utf8ok(m->from_addr) && strchr(m->from_addr, '@'), "%s: from_addr", what);
	ck_assert_msg(m->text && strlen(m->text) == m->text_len && m->text_len <= MAIL_MAX_TEXT &&
			      pd_utf8_valid(m->text, m->text_len),
		      "%s: text", what);
	ck_assert_msg(strlen(m->subject) <= MAIL_MAX_LINE, "%s: subject too long", what);
	ck_assert_msg((m->n_references == 0) == (m->references == NULL), "%s: references", what);
	ck_assert_msg((m->n_to == 0) == (m->to == NULL) && (m->n_cc == 0) == (m->cc == NULL),
		      "%s: recipients", what);
	ck_assert_msg(m->n_references <= MAIL_MAX_REFERENCES && m->n_to <= MAIL_MAX_RCPT &&
			      m->n_cc <= MAIL_MAX_RCPT && m->n_attachments <= MAIL_MAX_ATTACHMENTS,
		      "%s: caps", what);
	for (size_t i = 0; i < m->n_references; i++)
		ck_assert_msg(utf8ok(m->references[i]) && m->references[i][0], "%s: reference", what);
	for (size_t i = 0; i < m->n_to; i++)
		ck_assert_msg(utf8ok(m->to[i]) && strchr(m->to[i], '@'), "%s: to", what);
	for (size_t i = 0; i < m->n_cc; i++)
		ck_assert_msg(utf8ok(m->cc[i]) && strchr(m->cc[i], '@'), "%s: cc", what);
	ck_assert_msg((m->n_attachments == 0) == (m->attachments == NULL), "%s: attachments", what);
	for (size_t i = 0; i < m->n_attachments; i++) {
		const mail_attachment *a = &m->attachments[i];
		ck_assert_msg(utf8ok(a->filename) && utf8ok(a->content_id) && utf8ok(a->content_type) &&
				      strchr(a->content_type, '/') && !strchr(a->filename, '/'),
			      "%s: attachment %zu", what, i);
	}
	ck_assert_msg(m->auto_reason && m->is_bounce == (m->auto_reason[0] != '\0'), "%s: bounce", what);
	size_t pl = strlen(m->public_id);
	ck_assert_msg(pl == 0 || pl == MAIL_PUBLIC_ID_LEN, "%s: public id", what);
}

/* Parses a buffer that must parse, checking the invariants. */
static void parse_ok(const char *raw, size_t len, mail_message *m, const char *what)
{
	pd_errbuf eb = { { 0 }, 0 };
	int rc = mail_parse(raw, len, m, &eb);
	ck_assert_msg(rc == PD_OK, "%s: rc %d (%s)", what, rc, eb.msg);
	check_invariants(m, what);
}

static void parse_file(const char *path, mail_message *m)
{
	size_t len;
	char *raw = pd_test_slurp(path, &len);
	ck_assert_msg(raw != NULL, "cannot read %s", path);
	parse_ok(raw, len, m, path);
	free(raw);
}

static void parse_fixture(const char *name, mail_message *m)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/email/%s", pd_test_data_dir(), name);
	parse_file(path, m);
}

/* 0 when the shared sample is absent (the caller then skips). */
static int parse_shared(const char *rel, mail_message *m)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", SHARED_EMAIL, rel);
	struct stat st;
	if (stat(path, &st) != 0)
		return 0;
	parse_file(path, m);
	return 1;
}

static int parse_rc(const char *raw, size_t len, pd_errbuf *eb)
{
	mail_message m;
	int rc = mail_parse(raw, len, &m, eb);
	if (rc == PD_OK) {
		check_invariants(&m, "inline message");
		mail_message_free(&m);
	}
	return rc;
}

#define has(hay, needle) ck_assert_msg(strstr((hay), (needle)) != NULL, "missing \"%s\" in \"%s\"", (needle), (hay))
#define hasnt(hay, needle) ck_assert_msg(strstr((hay), (needle)) == NULL, "unexpected \"%s\" in \"%s\"", (needle), (hay))

/* ---- every shared sample ---------------------------------------------------- */

static size_t parse_tree(const char *dir, int depth)
{
	size_t n = 0;
	DIR *d = opendir(dir);
	ck_assert_msg(d != NULL, "cannot open %s", dir);
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char path[1024];
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		struct stat st;
		ck_assert(stat(path, &st) == 0);
		if (S_ISDIR(st.st_mode) && depth < 3) {
			n += parse_tree(path, depth + 1);
		} else if (S_ISREG(st.st_mode) && strstr(e->d_name, ".eml")) {
			mail_message m;
			parse_file(path, &m);
			mail_message_free(&m);
			n++;
		}
	}
	closedir(d);
	return n;
}

START_TEST(every_shared_sample_parses)
{
	if (!shared_present())
		return;
	size_t n = parse_tree(SHARED_EMAIL, 0);
	printf("mail: %zu shared samples parsed\n", n);
	ck_assert_uint_ge(n, 50);
}
END_TEST

START_TEST(every_own_fixture_parses_with_crlf_and_lf)
{
	char dir[512];
	snprintf(dir, sizeof(dir), "%s/email", pd_test_data_dir());
	ck_assert_uint_ge(parse_tree(dir, 0), 12);

	/* MTAs pipe with LF line ends; the result must not depend on it. */
	static const char *names[] = { "gb2312_complaint.eml", "html_only.eml", "pdf_attachment.eml",
				       "reply_threaded.eml", "bounce_dsn.eml" };
	for (size_t i = 0; i < PD_ARRAY_LEN(names); i++) {
		char path[512];
		snprintf(path, sizeof(path), "%s/email/%s", pd_test_data_dir(), names[i]);
		size_t len;
		char *crlf = pd_test_slurp(path, &len);
		ck_assert_ptr_nonnull(crlf);
		char *lf = malloc(len + 1);
		size_t o = 0;
		for (size_t k = 0; k < len; k++)
			if (!(crlf[k] == '\r' && k + 1 < len && crlf[k + 1] == '\n'))
				lf[o++] = crlf[k];
		mail_message a, b;
		parse_ok(crlf, len, &a, names[i]);
		parse_ok(lf, o, &b, names[i]);
		ck_assert_str_eq(a.subject, b.subject);
		ck_assert_str_eq(a.text, b.text);
		ck_assert_str_eq(a.from_addr, b.from_addr);
		ck_assert_uint_eq(a.n_attachments, b.n_attachments);
		for (size_t k = 0; k < a.n_attachments; k++)
			if (strcmp(a.attachments[k].content_type, "application/pdf") == 0)
				ck_assert_uint_eq(a.attachments[k].size, b.attachments[k].size);
		ck_assert_int_eq(a.is_bounce, b.is_bounce);
		mail_message_free(&a);
		mail_message_free(&b);
		free(crlf);
		free(lf);
	}
}
END_TEST

/* ---- specific shared samples ------------------------------------------------ */

START_TEST(shared_iso_2022_jp_shift_jis_ks_c_5601_decode)
{
	if (!shared_present())
		return;
	mail_message m;
	ck_assert(parse_shared("multi_charset/japanese_iso_2022.eml", &m));
	ck_assert_str_eq(m.text, "すみません。");
	ck_assert_str_eq(m.subject, "まみむめも");
	ck_assert_str_eq(m.from_name, "Mikel Lindsaar");
	ck_assert_str_eq(m.from_addr, "raasdnil@gmail.com");
	ck_assert_int_eq(m.date_ms, 0); /* no Date header */
	mail_message_free(&m);

	ck_assert(parse_shared("multi_charset/japanese_shift_jis.eml", &m));
	has(m.text, "あいうえお");
	has(m.text, "このメールはテスト用のメールです。");
	has(m.text, "今後ともよろしくお願い申し上げます！");
	ck_assert_str_eq(m.message_id, "xxxxx@docomo.ne.jp");
	mail_message_free(&m);

	ck_assert(parse_shared("multi_charset/ks_c_5601-1987.eml", &m));
	ck_assert_str_eq(m.text, "스티해");
	mail_message_free(&m);

	/* EUC-KR in a Q-encoded subject; the body is ks_c_5601-1987 too. */
	ck_assert(parse_shared("plain_emails/raw_email.eml", &m));
	ck_assert_str_eq(m.subject, "NOTE: 한국말로 하는 것");
	has(m.text, "제 이름은 Jamis입니다.");
	mail_message_free(&m);

	ck_assert(parse_shared("plain_emails/raw_email_with_partially_quoted_subject.eml", &m));
	ck_assert_str_eq(m.subject, "Re: Test: \"漢字\" mid \"漢字\" tail");
	mail_message_free(&m);

	ck_assert(parse_shared("attachment_emails/attachment_with_quoted_filename.eml", &m));
	ck_assert_str_eq(m.subject, "Eelanalüüsi päring");
	ck_assert_uint_eq(m.n_attachments, 1);
	ck_assert_str_eq(m.attachments[0].filename, "Eelanalüüsi päring.jpg");
	mail_message_free(&m);

	/* charset=X-UNKNOWN over UTF-8 bytes: guessed, not left raw. */
	ck_assert(parse_shared("plain_emails/raw_email10.eml", &m));
	has(m.text, "Envoyé par le service de messagerie texte de Bell Mobilité.");
	ck_assert_str_eq(m.body_charset, "UTF-8");
	mail_message_free(&m);
}
END_TEST

START_TEST(shared_attachments_have_name_type_and_size)
{
	if (!shared_present())
		return;
	mail_message m;
	/* Sizes below were computed with Python's email package. */
	ck_assert(parse_shared("attachment_emails/attachment_pdf.eml", &m));
	ck_assert_uint_eq(m.n_attachments, 1);
	ck_assert_str_eq(m.attachments[0].filename, "broken.pdf");
	ck_assert_str_eq(m.attachments[0].content_type, "application/pdf");
	ck_assert_uint_eq(m.attachments[0].size, 1026);
	ck_assert_int_eq(m.attachments[0].is_inline, 0);
	ck_assert_str_eq(m.subject, "Another PDF with 🎉 Unicode chars in it 🍿");
	has(m.text, "Just attaching another PDF");
	mail_message_free(&m);

	ck_assert(parse_shared("multi_charset/japanese_attachment.eml", &m));
	ck_assert_uint_eq(m.n_attachments, 1);
	ck_assert_str_eq(m.attachments[0].filename, "てすと.txt");
	ck_assert_uint_eq(m.attachments[0].size, 33);
	has(m.text, "testing");
	mail_message_free(&m);

	/* RFC 2231 continuations (filename*0*=, filename*1*=). */
	ck_assert(parse_shared("multi_charset/japanese_attachment_long_name.eml", &m));
	ck_assert_uint_eq(m.n_attachments, 1);
	ck_assert_str_eq(m.attachments[0].filename,
			 "かきくけこかきくけこかきくけこかきくけこかきくけこ.txt");
	mail_message_free(&m);

	ck_assert(parse_shared("attachment_emails/attachment_content_disposition.eml", &m));
	ck_assert_str_eq(m.text, "This is the first part.");
	ck_assert_uint_eq(m.n_attachments, 1);
	ck_assert_str_eq(m.attachments[0].filename, "api.rb");
	ck_assert_str_eq(m.attachments[0].content_type, "text/x-ruby-script");
	ck_assert_uint_eq(m.attachments[0].size, 28);
	mail_message_free(&m);

	/* The whole message is one attachment: no body, one file. */
	ck_assert(parse_shared("attachment_emails/attachment_only_email.eml", &m));
	ck_assert_str_eq(m.text, "");
	ck_assert_uint_eq(m.n_attachments, 1);
	ck_assert_str_eq(m.attachments[0].filename, "blah.gz");
	ck_assert_str_eq(m.attachments[0].content_type, "application/x-gzip");
	mail_message_free(&m);
}
END_TEST

START_TEST(shared_threading_headers_and_senders)
{
	if (!shared_present())
		return;
	mail_message m;
	ck_assert(parse_shared("plain_emails/raw_email_reply.eml", &m));
	ck_assert_str_eq(m.message_id, "473FFE27.20003@xxx.org");
	ck_assert_str_eq(m.in_reply_to, "348F04F142D69C21-291E56D292BC@xxxx.net");
	ck_assert_uint_eq(m.n_references, 2);
	ck_assert_str_eq(m.references[0], "473FF3B8.9020707@xxx.org");
	ck_assert_str_eq(m.references[1], "348F04F142D69C21-291E56D292BC@xxxx.net");
	ck_assert_str_eq(m.subject, "Re: Test reply email");
	ck_assert_int_eq(m.date_ms, 1195376167000LL); /* Sun, 18 Nov 2007 19:56:07 +1100 */
	mail_message_free(&m);

	ck_assert(parse_shared("plain_emails/basic_email.eml", &m));
	ck_assert_str_eq(m.message_id, "6B7EC235-5B17-4CA8-B2B8-39290DEB43A3@test.lindsaar.net");
	ck_assert_str_eq(m.from_name, "Mikel Lindsaar");
	ck_assert_str_eq(m.from_addr, "test@lindsaar.net");
	ck_assert_int_eq(m.date_ms, 1227326699000LL); /* Sat, 22 Nov 2008 15:04:59 +1100 */
	ck_assert_int_eq(m.is_bounce, 0);
	mail_message_free(&m);

	/* "From: Big Bug bb@bug.com": GMime finds no mailbox, the fallback does. */
	ck_assert(parse_shared("plain_emails/mix_caps_content_type.eml", &m));
	ck_assert_str_eq(m.from_addr, "bb@bug.com");
	ck_assert_str_eq(m.from_name, "Big Bug");
	ck_assert_str_eq(m.text, "foo bar");
	mail_message_free(&m);

	/* Two mailboxes in From: the first is the sender. */
	ck_assert(parse_shared("plain_emails/raw_email_multiple_from.eml", &m));
	ck_assert_str_eq(m.from_addr, "tim@powerupdev.com");
	mail_message_free(&m);

	/* Year 3609 and "Pn, 29 paX 2007": no date rather than a wrong one. */
	ck_assert(parse_shared("plain_emails/raw_email_bad_time.eml", &m));
	ck_assert_int_eq(m.date_ms, 0);
	ck_assert_str_eq(m.from_name, "Атиковa"); /* windows-1251, B-encoded */
	mail_message_free(&m);
	ck_assert(parse_shared("plain_emails/raw_email_with_bad_date.eml", &m));
	ck_assert_int_eq(m.date_ms, 0);
	mail_message_free(&m);
}
END_TEST

START_TEST(shared_delivery_reports_are_bounces)
{
	if (!shared_present())
		return;
	static const char *reports[] = {
		"multipart_report_emails/multi_address_bounce1.eml",
		"multipart_report_emails/multi_address_bounce2.eml",
		"multipart_report_emails/multipart_report_multiple_status.eml",
		"multipart_report_emails/report_422.eml",
		"multipart_report_emails/report_530.eml",
		"mime_emails/raw_email_with_mimepart_without_content_type.eml",
	};
	for (size_t i = 0; i < PD_ARRAY_LEN(reports); i++) {
		mail_message m;
		ck_assert(parse_shared(reports[i], &m));
		ck_assert_msg(m.is_bounce == 1, "%s not a bounce", reports[i]);
		ck_assert_str_eq(m.auto_reason, "multipart/report");
		mail_message_free(&m);
	}
	mail_message m;
	ck_assert(parse_shared("multipart_report_emails/report_530.eml", &m));
	has(m.text, "The following addresses had permanent fatal errors");
	mail_message_free(&m);
}
END_TEST

/* ---- own fixtures -------------------------------------------------------------- */

START_TEST(gb2312_complaint_decodes_subject_name_and_base64_body)
{
	mail_message m;
	parse_fixture("gb2312_complaint.eml", &m);
	ck_assert_str_eq(m.subject, "投诉：订单PD2411110001的快递五天没有更新");
	ck_assert_str_eq(m.from_name, "张伟");
	ck_assert_str_eq(m.from_addr, "zhang.wei@example.com");
	ck_assert_str_eq(m.message_id, "20241113210500.GB2312.1@mail.example.com");
	ck_assert_int_eq(m.date_ms, 1731503100000LL); /* 2024-11-13 21:05 +0800 */
	has(m.text, "客服你好：\n\n我在双十一下的订单PD2411110001");
	has(m.text, "如果明天还收不到，我就给差评并且打12315投诉。\n\n张伟");
	ck_assert_str_eq(m.body_charset, "GB18030");
	ck_assert_int_eq(m.is_bounce, 0);
	ck_assert_int_eq(m.text_from_html, 0);
	ck_assert_uint_eq(m.n_attachments, 0);
	ck_assert_uint_eq(m.n_to, 1);
	ck_assert_str_eq(m.to[0], "service@shop.example.com");
	ck_assert_str_eq(m.public_id, "");
	mail_message_free(&m);
}
END_TEST

START_TEST(gbk_characters_under_a_gb2312_label_decode)
{
	mail_message m;
	parse_fixture("gbk_labelled_gb2312.eml", &m);
	ck_assert_str_eq(m.from_name, "王喆");
	ck_assert_str_eq(m.subject, "催发货：王喆的订单");
	ck_assert_str_eq(m.text, "我是王喆，朱镕基路的那家店的订单还没发货，请尽快处理。");
	mail_message_free(&m);
}
END_TEST

START_TEST(big5_and_gb18030_decode)
{
	mail_message m;
	parse_fixture("big5_return_question.eml", &m);
	ck_assert_str_eq(m.subject, "詢問：退貨運費由誰負擔？");
	ck_assert_str_eq(m.from_name, "陳小姐"); /* Q-encoded Big5 */
	has(m.text, "請問退貨的運費是由買家還是賣家負擔？\n訂單編號：PD2411110007");
	ck_assert_str_eq(m.body_charset, "BIG5-HKSCS");
	mail_message_free(&m);

	parse_fixture("gb18030_refund.eml", &m);
	ck_assert_str_eq(m.subject, "退款申请：𠮷野家优惠券");
	ck_assert_str_eq(m.from_name, "");
	ck_assert_str_eq(m.from_addr, "customer.gb18030@example.com");
	has(m.text, "生僻字“㐀”，用𠮷野家的优惠券");
	has(m.text, "¥59.90");
	mail_message_free(&m);

	parse_fixture("iso2022jp.eml", &m);
	ck_assert_str_eq(m.subject, "配送状況の確認");
	ck_assert_str_eq(m.from_name, "田中");
	ck_assert_str_eq(m.text, "注文した商品はいつ届きますか。");
	mail_message_free(&m);
}
END_TEST

START_TEST(undeclared_charset_is_guessed)
{
	mail_message m;
	parse_fixture("undeclared_gbk.eml", &m);
	ck_assert_str_eq(m.subject, "缺货通知"); /* raw 8-bit GBK header */
	ck_assert_str_eq(m.text, "您订购的羽绒服（黑色，L码）暂时缺货，预计12月1日补货。");
	ck_assert_str_eq(m.body_charset, "GB18030");
	mail_message_free(&m);
}
END_TEST

START_TEST(html_only_becomes_text_without_script_or_style)
{
	mail_message m;
	parse_fixture("html_only.eml", &m);
	ck_assert_int_eq(m.text_from_html, 1);
	has(m.text, "您好 客服，");
	has(m.text, "我的订单 <PD2411110003> & 发票都有问题。\n第一行\n第二行\n价格¥199。你好");
	has(m.text, "- 颜色不对\n- 少了一件");
	has(m.text, "Thanks — Li Na");
	hasnt(m.text, "script text");
	hasnt(m.text, "also hidden");
	hasnt(m.text, "不要显示的标题");
	hasnt(m.text, "color");
	hasnt(m.text, "<p>");
	hasnt(m.text, "\n\n\n");
	mail_message_free(&m);
}
END_TEST

START_TEST(alternative_prefers_text_plain)
{
	mail_message m;
	parse_fixture("alternative.eml", &m);
	ck_assert_str_eq(m.text, "PLAIN: 这件衬衫有XL码吗？");
	ck_assert_int_eq(m.text_from_html, 0);
	ck_assert_str_eq(m.subject, "尺码咨询");
	ck_assert_uint_eq(m.n_cc, 1);
	ck_assert_str_eq(m.cc[0], "zhao.lei@example.com"); /* lower-cased */
	ck_assert_uint_eq(m.n_attachments, 0); /* the HTML form is no attachment */
	mail_message_free(&m);
}
END_TEST

START_TEST(reply_threads_by_headers_and_public_id)
{
	mail_message m;
	parse_fixture("reply_threaded.eml", &m);
	ck_assert_str_eq(m.message_id, "reply-7@mail.example.com");
	ck_assert_str_eq(m.in_reply_to, "out-2@shop.example.com");
	ck_assert_uint_eq(m.n_references, 3);
	ck_assert_str_eq(m.references[0], "first-1@mail.example.com");
	ck_assert_str_eq(m.references[1], "out-1@shop.example.com");
	ck_assert_str_eq(m.references[2], "out-2@shop.example.com");
	ck_assert_str_eq(m.subject, "Re: 物流查询 [#PD-k7m2xq9a4bcdefghijkmnp]");
	ck_assert_str_eq(m.public_id, "k7m2xq9a4bcdefghijkmnp");
	ck_assert_str_eq(m.from_addr, "liu.yang@example.com");
	ck_assert_str_eq(m.from_name, "刘洋");
	ck_assert_int_eq(m.date_ms, 1731982500000LL);
	has(m.text, "好的，谢谢，我再等一天。");
	has(m.text, "> 您的包裹已到达上海转运中心。"); /* quoted text may stay */
	mail_message_free(&m);
}
END_TEST

START_TEST(pdf_attachment_is_listed_with_decoded_name_and_size)
{
	mail_message m;
	parse_fixture("pdf_attachment.eml", &m);
	ck_assert_str_eq(m.text, "发票抬头应为“某某科技有限公司”，见附件。");
	ck_assert_uint_eq(m.n_attachments, 1);
	ck_assert_str_eq(m.attachments[0].filename, "发票.pdf"); /* RFC 2231 */
	ck_assert_str_eq(m.attachments[0].content_type, "application/pdf");
	ck_assert_uint_eq(m.attachments[0].size, 329); /* the PDF make_fixtures.py wrote */
	ck_assert_int_eq(m.attachments[0].is_inline, 0);
	ck_assert_uint_eq(m.n_attachments_omitted, 0);
	mail_message_free(&m);
}
END_TEST

START_TEST(bounce_and_auto_reply_are_flagged)
{
	mail_message m;
	parse_fixture("bounce_dsn.eml", &m);
	ck_assert_int_eq(m.is_bounce, 1);
	ck_assert_str_eq(m.auto_reason, "multipart/report");
	ck_assert_str_eq(m.from_addr, "mailer-daemon@mx.example.net");
	ck_assert_str_eq(m.from_name, "Mail Delivery System");
	has(m.text, "550 5.1.1 User unknown");
	int saw_dsn = 0;
	for (size_t i = 0; i < m.n_attachments; i++)
		saw_dsn |= strcmp(m.attachments[i].content_type, "message/delivery-status") == 0;
	ck_assert(saw_dsn);
	mail_message_free(&m);

	parse_fixture("auto_reply.eml", &m);
	ck_assert_int_eq(m.is_bounce, 1);
	ck_assert_str_eq(m.auto_reason, "Auto-Submitted");
	ck_assert_str_eq(m.in_reply_to, "out-10@shop.example.com");
	ck_assert_str_eq(m.text, "我正在休假，11月25日回来。");
	mail_message_free(&m);
}
END_TEST

/* Minimal message around extra headers and a body, LF line ends. */
static char *make_msg(const char *headers, const char *body)
{
	size_t n = strlen(headers) + strlen(body) + 64;
	char *s = malloc(n);
	ck_assert_ptr_nonnull(s);
	snprintf(s, n, "From: a@example.com\n%s\n%s", headers, body);
	return s;
}

static void check_bounce(const char *headers, int want, const char *reason)
{
	char *s = make_msg(headers, "hi\n");
	mail_message m;
	parse_ok(s, strlen(s), &m, headers);
	ck_assert_msg(m.is_bounce == want, "%s: is_bounce %d", headers, m.is_bounce);
	if (reason)
		ck_assert_str_eq(m.auto_reason, reason);
	mail_message_free(&m);
	free(s);
}

START_TEST(automated_mail_headers)
{
	check_bounce("Subject: x\n", 0, "");
	check_bounce("Auto-Submitted: no\n", 0, "");
	check_bounce("Auto-Submitted: auto-generated\n", 1, "Auto-Submitted");
	check_bounce("Auto-Submitted: Auto-Replied (vacation)\n", 1, "Auto-Submitted");
	check_bounce("Precedence: bulk\n", 1, "Precedence");
	check_bounce("Precedence: auto_reply\n", 1, "Precedence");
	check_bounce("Precedence: junk\n", 1, "Precedence");
	check_bounce("Precedence: list\n", 0, "");
	check_bounce("X-Autoreply: yes\n", 1, "X-Autoreply");
	check_bounce("Return-Path: <>\n", 1, "null Return-Path");
	check_bounce("Return-Path: < >\n", 1, "null Return-Path");
	check_bounce("Return-Path: <a@example.com>\n", 0, "");
	check_bounce("Content-Type: multipart/report; report-type=disposition-notification; boundary=b\n",
		     1, "multipart/report");
}
END_TEST

/* ---- public id token ------------------------------------------------------------ */

START_TEST(public_id_token_is_found_in_subjects)
{
	char id[MAIL_PUBLIC_ID_LEN + 1];
	ck_assert_int_eq(mail_find_public_id("Re: 退款 [#PD-k7m2xq9a4bcdefghijkmnp]", id), PD_OK);
	ck_assert_str_eq(id, "k7m2xq9a4bcdefghijkmnp");
	/* Case does not matter (the alphabet has no capitals). */
	ck_assert_int_eq(mail_find_public_id("RE: [#pd-K7M2XQ9A4BCDEFGHIJKMNP] hi", id), PD_OK);
	ck_assert_str_eq(id, "k7m2xq9a4bcdefghijkmnp");
	/* The first well-formed token wins; malformed ones are skipped. */
	ck_assert_int_eq(mail_find_public_id("[#PD-short] [#PD-abcdefghijkmnpqrstuvwx] "
					     "[#PD-zyxwvutsrqpnmkjihgfedc]", id), PD_OK);
	ck_assert_str_eq(id, "abcdefghijkmnpqrstuvwx");

	static const char *bad[] = {
		"no token",
		"[#PD-k7m2xq9a4bcdefghijkmn]",   /* 21 characters */
		"[#PD-k7m2xq9a4bcdefghijkmnpq]", /* 23 */
		"[#PD-k7m2xq9a4bcdefghijkmnp",   /* no ] */
		"[#PD-l7m2xq9a4bcdefghijkmnp]",  /* l is not in the alphabet */
		"[#PD-07m2xq9a4bcdefghijkmnp]",  /* nor 0 */
		"[#PD-17m2xq9a4bcdefghijkmnp]",  /* nor 1 */
		"[#PD-o7m2xq9a4bcdefghijkmnp]",  /* nor o */
		"[PD-k7m2xq9a4bcdefghijkmnp]",   /* no # */
		"#PD-k7m2xq9a4bcdefghijkmnp",    /* no brackets */
		"",
	};
	for (size_t i = 0; i < PD_ARRAY_LEN(bad); i++) {
		ck_assert_msg(mail_find_public_id(bad[i], id) == PD_ENOTFOUND, "found in \"%s\"", bad[i]);
		ck_assert_str_eq(id, "");
	}
	ck_assert_int_eq(mail_find_public_id(NULL, id), PD_ENOTFOUND);

	/* Whatever pd_public_id_new makes, the token format carries. */
	for (int i = 0; i < 1000; i++) {
		char pub[24], subject[128];
		pd_public_id_new(pub);
		snprintf(subject, sizeof(subject), "Re: 问题 " MAIL_PUBLIC_ID_TOKEN_FMT, pub);
		ck_assert_uint_eq(strlen(subject) - strlen("Re: 问题 "), MAIL_PUBLIC_ID_TOKEN_LEN);
		ck_assert_int_eq(mail_find_public_id(subject, id), PD_OK);
		ck_assert_str_eq(id, pub);
	}
}
END_TEST

/* ---- charset conversion and cleaning -------------------------------------- */

static void check_conv(const char *in, size_t len, const char *cs, const char *want,
		       const char *want_used)
{
	size_t n;
	const char *used = NULL;
	char *out = mail_to_utf8(in, len, cs, &n, &used);
	ck_assert_msg(strcmp(out, want) == 0, "charset %s: got \"%s\" want \"%s\"", cs ? cs : "(none)",
		      out, want);
	ck_assert_uint_eq(n, strlen(want));
	ck_assert_msg(strcmp(used, want_used) == 0, "charset %s: used %s, want %s", cs ? cs : "(none)",
		      used, want_used);
	ck_assert(pd_utf8_valid(out, n));
	free(out);
}

#define CONV(lit, cs, want, used) check_conv((lit), sizeof(lit) - 1, (cs), (want), (used))

START_TEST(charset_fallbacks)
{
	/* No charset: UTF-8, then GB18030, then CP1252, then ISO-8859-1. */
	CONV("caf\xc3\xa9", NULL, "café", "UTF-8");
	CONV("\xc4\xe3\xba\xc3", NULL, "你好", "GB18030");
	CONV("caf\xe9 \x80", NULL, "café €", "CP1252");
	CONV("\x81 \xff", NULL, "\xc2\x81 ÿ", "ISO-8859-1");
	CONV("plain", "", "plain", "UTF-8");
	/* us-ascii and X-UNKNOWN say nothing: guessed too. */
	CONV("caf\xc3\xa9", "us-ascii", "café", "UTF-8");
	CONV("\xc4\xe3\xba\xc3", "X-UNKNOWN", "你好", "GB18030");
	/* A label iconv does not know, or one that would pick iconv options. */
	CONV("\xc4\xe3", "x-klingon", "你", "GB18030");
	CONV("\xc4\xe3", "utf-8//IGNORE", "你", "GB18030");
	/* Supersets for the usual CJK labels. */
	CONV("\x86\xb4", "GB2312", "喆", "GB18030");
	CONV("\x87\x40", "Shift_JIS", "①", "CP932"); /* NEC row 13 */
	CONV("\xc6\xd2", "ks_c_5601-1987", "팬", "CP949");
	CONV("\x80", "iso-8859-1", "€", "CP1252");
	/* Mislabelled UTF-8 is taken as UTF-8 when the label does not fit.
	 * (A label that decodes strictly wins: UTF-8 bytes of Chinese are
	 * also valid Big5 or GBK, and the sender said which one it meant.) */
	CONV("\xe4\xbd\xa0\xe5\xa5\xbd", "iso-2022-jp", "你好", "UTF-8");
	CONV("\xe4\xbd\xa0\xe5\xa5\xbd", "big5", "雿惩末", "BIG5-HKSCS");
	/* Bad bytes in a known charset: U+FFFD each, the rest kept. */
	CONV("\xc4\xe3\xff\xba\xc3", "gbk", "你\xef\xbf\xbd好", "GB18030");
	/* A multibyte character cut off by the end is dropped. */
	CONV("\xc4\xe3\xba", "gb2312", "你", "GB18030");
	CONV("ab\xe4\xbd", "utf-8", "ab", "UTF-8");
	/* Declared UTF-8 that is not: repaired, not re-guessed. */
	CONV("a\xffz", "utf-8", "a\xef\xbf\xbdz", "UTF-8");
	/* A bad byte right where iconv filled the output buffer (found by
	 * the fuzzer): each of these ends exactly at some buffer size. */
	for (size_t n = 0; n < 400; n++) {
		char in[402], want[1300];
		memset(in, 0x80, n); /* 1 byte of CP1252 -> 3 bytes of UTF-8 */
		in[n] = (char)0x81;  /* undefined in CP1252 */
		for (size_t k = 0; k < n; k++)
			memcpy(want + 3 * k, "€", 3);
		memcpy(want + 3 * n, "\xef\xbf\xbd", 4);
		check_conv(in, n + 1, "windows-1252", want, "CP1252");
	}
	/* Stateful ISO-2022-JP ends in ASCII mode. */
	CONV("\x1b$B$9$_$^$;$s!#\x1b(B", "iso-2022-jp", "すみません。", "iso-2022-jp");
}
END_TEST

START_TEST(clean_text_caps_at_utf8_boundary_and_drops_controls)
{
	size_t n;
	int cut;
	char *s = mail_clean_text("一二三四", 12, MAIL_CLEAN_BODY, 10, &n, &cut);
	ck_assert_str_eq(s, "一二三");
	ck_assert_uint_eq(n, 9);
	ck_assert_int_eq(cut, 1);
	free(s);

	static const char ctl[] = "\r\n\r\nline1\r\nline2\rline3\x00\x01\x7f\tend  \r\n\n";
	s = mail_clean_text(ctl, sizeof(ctl) - 1, MAIL_CLEAN_BODY, 100, &n, &cut);
	ck_assert_str_eq(s, "line1\nline2\nline3\tend");
	ck_assert_int_eq(cut, 0);
	free(s);

	static const char bad[] = "\xef\xbb\xbf  a\xff\xc0\xafz\xed\xa0\x80";
	s = mail_clean_text(bad, sizeof(bad) - 1, MAIL_CLEAN_LINE, 100, &n, NULL);
	ck_assert_str_eq(s, "a\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdz\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	ck_assert(pd_utf8_valid(s, n));
	free(s);

	static const char sp[] = "  Re:\t\r\n  hello \xc2\xa0 world \xc2\x85 ";
	s = mail_clean_text(sp, sizeof(sp) - 1, MAIL_CLEAN_LINE, 100, &n, NULL);
	ck_assert_str_eq(s, "Re: hello world");
	free(s);
}
END_TEST

START_TEST(html_to_text_edge_cases)
{
	size_t n;
	int cut;
	/* Deep nesting is walked without recursion. */
	size_t depth = 20000, len = depth * 11 + 16;
	char *html = malloc(len), *p = html;
	for (size_t i = 0; i < depth; i++)
		p += sprintf(p, "<div>");
	p += sprintf(p, "deep");
	for (size_t i = 0; i < depth; i++)
		p += sprintf(p, "</div>");
	char *t = mail_html_to_text(html, (size_t)(p - html), 1000, &n, &cut);
	ck_assert(pd_utf8_valid(t, n));
	free(t);
	free(html);

	const char pre[] = "<p>a   b</p><pre>x   y\n  z</pre><table><tr><td>1</td><td>2</td></tr></table>";
	t = mail_html_to_text(pre, sizeof(pre) - 1, 1000, &n, &cut);
	ck_assert_str_eq(t, "a b\n\nx   y\n  z\n\n1 2\n\n");
	free(t);

	/* The cap cuts on a character boundary. */
	const char zh[] = "<p>一二三四五</p>";
	t = mail_html_to_text(zh, sizeof(zh) - 1, 7, &n, &cut);
	ck_assert_str_eq(t, "一二");
	ck_assert_int_eq(cut, 1);
	free(t);

	t = mail_html_to_text("", 0, 100, &n, &cut);
	ck_assert_str_eq(t, "");
	free(t);

	char cs[MAIL_CHARSET_MAX];
	const char meta[] = "<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=gb2312\">";
	ck_assert_int_eq(mail_html_sniff_charset(meta, sizeof(meta) - 1, cs, sizeof(cs)), 1);
	ck_assert_str_eq(cs, "gb2312");
	ck_assert_int_eq(mail_html_sniff_charset("<meta charset='Big5'>", 21, cs, sizeof(cs)), 1);
	ck_assert_str_eq(cs, "Big5");
	ck_assert_int_eq(mail_html_sniff_charset("<p>no charset</p>", 17, cs, sizeof(cs)), 0);
}
END_TEST

START_TEST(html_part_without_charset_uses_its_meta)
{
	/* GBK bytes in an HTML part labelled only by its <meta>. */
	const char head[] = "From: a@example.com\r\nContent-Type: text/html\r\n\r\n"
			    "<html><head><meta charset=\"gbk\"></head><body><p>";
	const char tail[] = "</p></body></html>\r\n";
	char raw[512];
	int n = snprintf(raw, sizeof(raw), "%s%s%s", head, "\xc4\xe3\xba\xc3\x86\xb4", tail);
	mail_message m;
	parse_ok(raw, (size_t)n, &m, "html meta");
	ck_assert_str_eq(m.text, "你好喆");
	ck_assert_str_eq(m.body_charset, "GB18030");
	mail_message_free(&m);
}
END_TEST

/* ---- malformed and hostile input ---------------------------------------- */

START_TEST(no_from_or_no_headers_is_a_decode_error)
{
	pd_errbuf eb;
	const char *nofrom = "To: b@example.com\r\nSubject: hi\r\n\r\nbody\r\n";
	ck_assert_int_eq(parse_rc(nofrom, strlen(nofrom), &eb), PD_EDECODE);
	has(eb.msg, "From");

	const char *badfrom = "From: undisclosed-recipients:;\r\nSubject: hi\r\n\r\nbody\r\n";
	ck_assert_int_eq(parse_rc(badfrom, strlen(badfrom), &eb), PD_EDECODE);
	has(eb.msg, "From");

	const char *nodomain = "From: Someone <someone>\r\n\r\nbody\r\n";
	ck_assert_int_eq(parse_rc(nodomain, strlen(nodomain), &eb), PD_EDECODE);

	ck_assert_int_eq(parse_rc("", 0, &eb), PD_EDECODE);
	ck_assert_int_eq(parse_rc("\r\n\r\n", 4, &eb), PD_EDECODE);
	const char *prose = "hello, this is not an e-mail at all\n";
	ck_assert_int_eq(parse_rc(prose, strlen(prose), &eb), PD_EDECODE);

	/* Random bytes: an error with a reason, never a crash. */
	unsigned seed = 12345;
	char junk[4096];
	for (int round = 0; round < 20; round++) {
		for (size_t i = 0; i < sizeof(junk); i++) {
			seed = seed * 1103515245u + 12345u;
			junk[i] = (char)(seed >> 16);
		}
		memset(&eb, 0, sizeof(eb));
		int rc = parse_rc(junk, sizeof(junk), &eb);
		ck_assert(rc == PD_EDECODE || rc == PD_OK);
		if (rc)
			ck_assert(eb.msg[0] != '\0');
	}

	mail_message m;
	ck_assert_int_eq(mail_parse(NULL, 5, &m, &eb), PD_EINVAL);
	ck_assert_int_eq(mail_parse("x", 1, NULL, &eb), PD_EINVAL);
	mail_message_free(&m); /* zeroed on error: harmless */
	mail_message_free(NULL);
}
END_TEST

START_TEST(headers_only_and_mbox_from_line)
{
	mail_message m;
	const char *hdr = "From: a@example.com\r\nSubject: only headers";
	parse_ok(hdr, strlen(hdr), &m, "headers only");
	ck_assert_str_eq(m.subject, "only headers");
	ck_assert_str_eq(m.text, "");
	mail_message_free(&m);

	const char *mbox = "From a@example.com Mon Nov 11 00:00:00 2024\nFrom: A <a@example.com>\n"
			   "Subject: mbox\n\nbody\n";
	parse_ok(mbox, strlen(mbox), &m, "mbox");
	ck_assert_str_eq(m.from_addr, "a@example.com");
	ck_assert_str_eq(m.subject, "mbox");
	ck_assert_str_eq(m.text, "body");
	mail_message_free(&m);
}
END_TEST

START_TEST(size_limits)
{
	pd_errbuf eb;
	size_t big = MAIL_MAX_INPUT + 1;
	char *raw = malloc(big);
	ck_assert_ptr_nonnull(raw);
	memset(raw, 'a', big);
	ck_assert_int_eq(parse_rc(raw, big, &eb), PD_ETOOBIG);
	has(eb.msg, "limit");

	/* A 200 KiB subject: parsed, cut to MAIL_MAX_LINE on a character
	 * boundary; 2 MiB of header is refused with a reason. */
	size_t n = 0;
	for (int round = 0; round < 2; round++) {
		size_t hlen = round == 0 ? 200u << 10 : 2u << 20;
		n = (size_t)sprintf(raw, "From: a@example.com\r\nSubject: ");
		for (size_t i = 0; i < hlen; i++)
			raw[n++] = "长标题 "[i % 10]; /* 3 + 3 + 3 + 1 bytes */
		n += (size_t)sprintf(raw + n, "\r\n\r\nbody\r\n");
		if (round == 1) {
			ck_assert_int_eq(parse_rc(raw, n, &eb), PD_ETOOBIG);
			has(eb.msg, "header");
			break;
		}
		mail_message m;
		parse_ok(raw, n, &m, "huge subject");
		ck_assert_uint_le(strlen(m.subject), MAIL_MAX_LINE);
		ck_assert_uint_gt(strlen(m.subject), MAIL_MAX_LINE - 4);
		ck_assert_str_eq(m.text, "body");
		mail_message_free(&m);
	}

	/* A 300 KiB Chinese body: cut to MAIL_MAX_TEXT on a character boundary. */
	n = (size_t)sprintf(raw, "From: a@example.com\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n");
	for (size_t i = 0; i < 100000; i++) {
		memcpy(raw + n, "字", 3);
		n += 3;
	}
	mail_message m;
	parse_ok(raw, n, &m, "long body");
	ck_assert_int_eq(m.text_truncated, 1);
	ck_assert_uint_le(m.text_len, MAIL_MAX_TEXT);
	ck_assert_uint_eq(m.text_len % 3, 0);
	ck_assert_uint_gt(m.text_len, MAIL_MAX_TEXT - 3);
	mail_message_free(&m);
	free(raw);
}
END_TEST

/* Appends printf output to a growing buffer. */
struct sb {
	char *p;
	size_t n, cap;
};

static void sb_printf(struct sb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(struct sb *b, const char *fmt, ...)
{
	va_list ap;
	for (;;) {
		va_start(ap, fmt);
		int k = vsnprintf(b->p + b->n, b->cap - b->n, fmt, ap);
		va_end(ap);
		ck_assert(k >= 0);
		if ((size_t)k < b->cap - b->n) {
			b->n += (size_t)k;
			return;
		}
		b->cap = (b->cap + (size_t)k + 1) * 2;
		b->p = realloc(b->p, b->cap);
		ck_assert_ptr_nonnull(b->p);
	}
}

START_TEST(deep_nesting_and_many_parts)
{
	struct sb b = { malloc(64), 0, 64 };
	sb_printf(&b, "From: a@example.com\r\n");
	int depth = 2000;
	for (int i = 0; i < depth; i++)
		sb_printf(&b, "Content-Type: multipart/mixed; boundary=\"b%d\"\r\n\r\n--b%d\r\n", i, i);
	sb_printf(&b, "Content-Type: text/plain\r\n\r\ndeep text\r\n");
	for (int i = depth - 1; i >= 0; i--)
		sb_printf(&b, "--b%d--\r\n", i);
	mail_message m;
	parse_ok(b.p, b.n, &m, "deep nesting");
	mail_message_free(&m);

	b.n = 0;
	sb_printf(&b, "From: a@example.com\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n"
		      "--x\r\nContent-Type: text/plain\r\n\r\nsee attachments\r\n");
	for (int i = 0; i < 150; i++)
		sb_printf(&b, "--x\r\nContent-Type: application/octet-stream\r\n"
			      "Content-Disposition: attachment; filename=\"../../etc/f%d.bin\"\r\n"
			      "Content-Transfer-Encoding: base64\r\n\r\nAAECAw==\r\n", i);
	sb_printf(&b, "--x--\r\n");
	parse_ok(b.p, b.n, &m, "many parts");
	ck_assert_str_eq(m.text, "see attachments");
	ck_assert_uint_eq(m.n_attachments, MAIL_MAX_ATTACHMENTS);
	ck_assert_uint_eq(m.n_attachments_omitted, 50);
	ck_assert_str_eq(m.attachments[7].filename, "f7.bin"); /* path removed */
	ck_assert_uint_eq(m.attachments[7].size, 4);
	mail_message_free(&m);

	/* 100 References: the root and the newest 63 are kept, in order. */
	b.n = 0;
	sb_printf(&b, "From: a@example.com\r\nReferences:");
	for (int i = 0; i < 100; i++)
		sb_printf(&b, " <r%d@example.com>", i);
	sb_printf(&b, "\r\nDate: Mon, 30 Jun 3609 15:33:50 +0600\r\n\r\nbody\r\n");
	parse_ok(b.p, b.n, &m, "many references");
	ck_assert_uint_eq(m.n_references, MAIL_MAX_REFERENCES);
	ck_assert_str_eq(m.references[0], "r0@example.com");
	ck_assert_str_eq(m.references[1], "r37@example.com");
	ck_assert_str_eq(m.references[MAIL_MAX_REFERENCES - 1], "r99@example.com");
	ck_assert_int_eq(m.date_ms, 0);
	mail_message_free(&m);
	free(b.p);
}
END_TEST

START_TEST(structure_limits_bound_gmime_memory)
{
	pd_errbuf eb;
	struct sb b = { malloc(64), 0, 64 };
	/* 10 MiB of empty parts took GMime 2 GiB: refused before parsing. */
	sb_printf(&b, "From: a@example.com\nContent-Type: multipart/mixed; boundary=x\n\n");
	for (int i = 0; i <= MAIL_MAX_BOUNDARY_LINES; i++)
		sb_printf(&b, "--x\n\nA\n");
	ck_assert_int_eq(parse_rc(b.p, b.n, &eb), PD_ETOOBIG);
	has(eb.msg, "boundary");

	b.n = 0;
	for (int i = 0; i <= MAIL_MAX_HEADER_LINES; i++)
		sb_printf(&b, "X-H%d: v\n", i);
	sb_printf(&b, "From: a@example.com\n\nhi\n");
	ck_assert_int_eq(parse_rc(b.p, b.n, &eb), PD_ETOOBIG);
	has(eb.msg, "header fields");

	/* The header block of an enclosed message counts too. */
	b.n = 0;
	sb_printf(&b, "From: a@example.com\nContent-Type: message/rfc822\n\n");
	for (int i = 0; i <= MAIL_MAX_HEADER_LINES; i++)
		sb_printf(&b, "X-H%d: v\n", i);
	ck_assert_int_eq(parse_rc(b.p, b.n, &eb), PD_ETOOBIG);

	/* Just under the limits parses. */
	b.n = 0;
	sb_printf(&b, "From: a@example.com\nContent-Type: multipart/mixed; boundary=x\n\n");
	for (int i = 0; i < MAIL_MAX_BOUNDARY_LINES - 1; i++)
		sb_printf(&b, "--x\n\nA\n");
	sb_printf(&b, "--x--\n");
	mail_message m;
	parse_ok(b.p, b.n, &m, "many parts under the limit");
	mail_message_free(&m);
	free(b.p);
}
END_TEST

START_TEST(nul_bytes_and_unknown_encoded_word_charsets)
{
	const char raw[] = "From: =?x-unknown?B?5byg5LiJ?= <a@example.com>\r\n"
			   "Subject: a\0b =?utf-8?B?5aW9?=\r\n\r\nbo\0dy\r\n";
	mail_message m;
	parse_ok(raw, sizeof(raw) - 1, &m, "nul bytes");
	ck_assert_str_eq(m.from_name, "张三"); /* UTF-8 bytes under an unknown label */
	ck_assert(strchr(m.text, '\0') == m.text + m.text_len);
	mail_message_free(&m);
}
END_TEST

/* mail_init and parsing from several threads at once. */
static void *parse_loop(void *arg)
{
	(void)arg;
	mail_init();
	char path[512];
	snprintf(path, sizeof(path), "%s/email/gb2312_complaint.eml", pd_test_data_dir());
	size_t len;
	char *raw = pd_test_slurp(path, &len);
	for (int i = 0; i < 50 && raw; i++) {
		mail_message m;
		pd_errbuf eb;
		if (mail_parse(raw, len, &m, &eb) != PD_OK || strcmp(m.from_name, "张伟") != 0) {
			free(raw);
			return (void *)1;
		}
		mail_message_free(&m);
	}
	free(raw);
	return NULL;
}

START_TEST(parses_concurrently)
{
	pthread_t t[4];
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, parse_loop, NULL), 0);
	for (int i = 0; i < 4; i++) {
		void *r;
		ck_assert_int_eq(pthread_join(t[i], &r), 0);
		ck_assert_ptr_null(r);
	}
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("mail");
	TCase *shared = tcase_create("shared samples");
	tcase_set_timeout(shared, 60);
	tcase_add_test(shared, every_shared_sample_parses);
	tcase_add_test(shared, shared_iso_2022_jp_shift_jis_ks_c_5601_decode);
	tcase_add_test(shared, shared_attachments_have_name_type_and_size);
	tcase_add_test(shared, shared_threading_headers_and_senders);
	tcase_add_test(shared, shared_delivery_reports_are_bounces);
	suite_add_tcase(s, shared);

	TCase *own = tcase_create("own fixtures");
	tcase_set_timeout(own, 60);
	tcase_add_test(own, every_own_fixture_parses_with_crlf_and_lf);
	tcase_add_test(own, gb2312_complaint_decodes_subject_name_and_base64_body);
	tcase_add_test(own, gbk_characters_under_a_gb2312_label_decode);
	tcase_add_test(own, big5_and_gb18030_decode);
	tcase_add_test(own, undeclared_charset_is_guessed);
	tcase_add_test(own, html_only_becomes_text_without_script_or_style);
	tcase_add_test(own, alternative_prefers_text_plain);
	tcase_add_test(own, reply_threads_by_headers_and_public_id);
	tcase_add_test(own, pdf_attachment_is_listed_with_decoded_name_and_size);
	tcase_add_test(own, bounce_and_auto_reply_are_flagged);
	tcase_add_test(own, automated_mail_headers);
	suite_add_tcase(s, own);

	TCase *units = tcase_create("units");
	tcase_set_timeout(units, 60);
	tcase_add_test(units, public_id_token_is_found_in_subjects);
	tcase_add_test(units, charset_fallbacks);
	tcase_add_test(units, clean_text_caps_at_utf8_boundary_and_drops_controls);
	tcase_add_test(units, html_to_text_edge_cases);
	tcase_add_test(units, html_part_without_charset_uses_its_meta);
	suite_add_tcase(s, units);

	TCase *bad = tcase_create("malformed input");
	tcase_set_timeout(bad, 120);
	tcase_add_test(bad, no_from_or_no_headers_is_a_decode_error);
	tcase_add_test(bad, headers_only_and_mbox_from_line);
	tcase_add_test(bad, size_limits);
	tcase_add_test(bad, deep_nesting_and_many_parts);
	tcase_add_test(bad, structure_limits_bound_gmime_memory);
	tcase_add_test(bad, nul_bytes_and_unknown_encoded_word_charsets);
	tcase_add_test(bad, parses_concurrently);
	suite_add_tcase(s, bad);
	return s;
}

PD_CHECK_MAIN(suite)
