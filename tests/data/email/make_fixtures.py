#!/usr/bin/env python3
"""Writes the e-mail fixtures of tests/data/email (see tests/data/SOURCES).

Every message is built from RFC 5322 / MIME (RFC 2045-2049, RFC 2047 encoded
words, RFC 2231 parameters, RFC 3464 delivery reports) with Python's own
codecs and email package, written with CRLF line endings, and then read back
with Python's email parser to check that the decoded subject, sender and
body are what was meant -- independently of the C code under test.
All people, addresses, orders and ids are invented.

Run from the project root:  python3 tests/data/email/make_fixtures.py
The output is deterministic (fixed boundaries, dates and ids)."""
import base64
import email
import email.policy
import os
import quopri
import sys

OUT = os.path.dirname(os.path.abspath(__file__))
PUBLIC_ID = "k7m2xq9a4bcdefghijkmnp"  # 22 symbols of pd_public_id_new's alphabet


def ew(text, label, codec=None, enc="B"):
    """RFC 2047 encoded words for text, labelled with the MIME charset name
    label and encoded with Python codec (default: label). Words stay within
    75 characters and end on character boundaries, folded onto new lines.
    (email.header.Header is not used: it writes Python codec names such as
    "big5_tw" that are no MIME charset names.)"""
    codec = codec or label

    def word(t):
        raw = t.encode(codec)
        if enc == "B":
            return "=?%s?B?%s?=" % (label, base64.b64encode(raw).decode("ascii"))
        q = "".join(chr(b) if (b < 128 and chr(b).isalnum()) else
                    ("_" if b == 0x20 else "=%02X" % b) for b in raw)
        return "=?%s?Q?%s?=" % (label, q)

    words, cur = [], ""
    for ch in text:
        if cur and len(word(cur + ch)) > 75:
            words.append(word(cur))
            cur = ch
        else:
            cur += ch
    words.append(word(cur))
    return "\n ".join(words)


def b64(data):
    return base64.encodebytes(data).decode("ascii")  # 76-character lines


def crlf(text):
    """Headers and bodies are written with \n here and sent with CRLF."""
    return text.replace("\r\n", "\n").replace("\n", "\r\n").encode("ascii")


def write(name, data):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)


def check(name, subject=None, from_addr=None, body_part=None, body=None):
    """Reads the file back with Python's parser and compares."""
    with open(os.path.join(OUT, name), "rb") as f:
        raw = f.read()
    assert b"\n" not in raw.replace(b"\r\n", b""), name + ": bare LF"
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    if subject is not None:
        assert str(msg["subject"]) == subject, (name, str(msg["subject"]))
    if from_addr is not None:
        assert msg["from"].addresses[0].addr_spec == from_addr, name
    if body is not None:
        part = msg.get_body(preferencelist=(body_part or "plain",))
        got = part.get_content()
        assert body in got, (name, got)
    return msg


# ---- 1. GB2312 customer complaint: base64 body, B-encoded subject and name --
COMPLAINT_SUBJECT = "投诉：订单PD2411110001的快递五天没有更新"
COMPLAINT_NAME = "张伟"
COMPLAINT_BODY = (
    "客服你好：\n\n"
    "我在双十一下的订单PD2411110001，快递单号YD431200241102，"
    "已经五天没有任何物流更新了。\n"
    "说好的两天送达，现在连包裹在哪里都不知道。\n"
    "如果明天还收不到，我就给差评并且打12315投诉。\n\n"
    "张伟\n"
)
write("gb2312_complaint.eml", crlf(
    "Return-Path: <zhang.wei@example.com>\n"
    "Date: Wed, 13 Nov 2024 21:05:00 +0800\n"
    "From: %s <zhang.wei@example.com>\n"
    "To: service@shop.example.com\n"
    "Subject: %s\n"
    "Message-ID: <20241113210500.GB2312.1@mail.example.com>\n"
    "MIME-Version: 1.0\n"
    "Content-Type: text/plain; charset=\"gb2312\"\n"
    "Content-Transfer-Encoding: base64\n"
    "\n" % (ew(COMPLAINT_NAME, "GB2312"), ew(COMPLAINT_SUBJECT, "GB2312"))
    + b64(COMPLAINT_BODY.replace("\n", "\r\n").encode("gb2312"))))
check("gb2312_complaint.eml", COMPLAINT_SUBJECT, "zhang.wei@example.com",
      body="我就给差评并且打12315投诉")

# ---- 2. GBK characters in a message labelled GB2312 (very common) ----------
# 喆 (U+5586) and 镕 (U+9555) are in GBK but not in GB2312: a strict GB2312
# decoder fails on them; peakdesk decodes GB2312 labels as GB18030.
GBK_BODY = "我是王喆，朱镕基路的那家店的订单还没发货，请尽快处理。\n"
write("gbk_labelled_gb2312.eml", crlf(
    "Date: Thu, 14 Nov 2024 09:30:00 +0800\n"
    "From: %s <wang.zhe@example.com>\n"
    "To: service@shop.example.com\n"
    "Subject: %s\n"
    "Message-ID: <20241114093000.GBK.2@mail.example.com>\n"
    "MIME-Version: 1.0\n"
    "Content-Type: text/plain; charset=gb2312\n"
    "Content-Transfer-Encoding: base64\n"
    "\n" % (ew("王喆", "gb2312", "gbk"), ew("催发货：王喆的订单", "gb2312", "gbk"))
    + b64(GBK_BODY.replace("\n", "\r\n").encode("gbk"))))
try:
    GBK_BODY.encode("gb2312")
    sys.exit("fixture 2 must contain characters outside GB2312")
except UnicodeEncodeError:
    pass

# ---- 3. Big5 (Traditional Chinese), quoted-printable ------------------------
BIG5_SUBJECT = "詢問：退貨運費由誰負擔？"
BIG5_BODY = (
    "您好，\n\n"
    "我收到的外套尺寸不合，想要退貨。請問退貨的運費是由買家還是賣家負擔？\n"
    "訂單編號：PD2411110007\n\n"
    "謝謝！\n陳小姐\n"
)
write("big5_return_question.eml", crlf(
    "Date: Fri, 15 Nov 2024 14:20:00 +0800\n"
    "From: %s <chen.lady@example.com.tw>\n"
    "To: service@shop.example.com\n"
    "Subject: %s\n"
    "Message-ID: <20241115142000.BIG5.3@mail.example.com.tw>\n"
    "MIME-Version: 1.0\n"
    "Content-Type: text/plain; charset=big5\n"
    "Content-Transfer-Encoding: quoted-printable\n"
    "\n" % (ew("陳小姐", "Big5", "big5", "Q"), ew(BIG5_SUBJECT, "Big5"))
    + quopri.encodestring(BIG5_BODY.replace("\n", "\r\n").encode("big5")).decode("ascii")))
check("big5_return_question.eml", BIG5_SUBJECT, "chen.lady@example.com.tw", body="退貨的運費")

# ---- 4. GB18030 with four-byte sequences, 8bit -----------------------------
# 𠮷 (U+20BB7) and 㐀 (U+3400) exist only as four-byte GB18030 sequences.
GB18030_SUBJECT = "退款申请：𠮷野家优惠券"
GB18030_BODY = "你好，我的名字里有生僻字“㐀”，用𠮷野家的优惠券下单后申请退款，金额¥59.90，请处理。\n"
write("gb18030_refund.eml", crlf(
    "Date: Sat, 16 Nov 2024 08:00:00 +0800\n"
    "From: customer.gb18030@example.com\n"
    "To: service@shop.example.com\n"
    "Subject: %s\n"
    "Message-ID: <20241116080000.GB18030.4@mail.example.com>\n"
    "MIME-Version: 1.0\n"
    "Content-Type: text/plain; charset=GB18030\n"
    "Content-Transfer-Encoding: 8bit\n"
    "\n" % ew(GB18030_SUBJECT, "GB18030"))
    + GB18030_BODY.replace("\n", "\r\n").encode("gb18030"))
assert len("𠮷".encode("gb18030")) == 4 and len("㐀".encode("gb18030")) == 4
check("gb18030_refund.eml", GB18030_SUBJECT, "customer.gb18030@example.com", body="生僻字“㐀”")

# ---- 5. HTML only: entities, <script>, <style>, line-breaking tags ----------
HTML = (
    "<!DOCTYPE html>\n<html><head><title>不要显示的标题</title>\n"
    "<style>p { color: red; }</style>\n"
    "<script type=\"text/javascript\">var secret = \"script text\";</script>\n"
    "</head><body>\n"
    "<p>您好&nbsp;客服，</p>\n"
    "<div>我的订单 &lt;PD2411110003&gt; &amp; 发票都有问题。</div>"
    "<div>第一行<br>第二行<br/>价格&yen;199&#x3002;&#20320;好</div>\n"
    "<ul><li>颜色不对</li><li>少了一件</li></ul>\n"
    "<p>Thanks &mdash; <b>Li</b>   Na</p>\n"
    "<script>document.write('also hidden')</script>\n"
    "</body></html>\n"
)
write("html_only.eml", crlf(
    "Date: Sun, 17 Nov 2024 11:11:00 +0800\n"
    "From: \"Li Na\" <li.na@example.com>\n"
    "To: service@shop.example.com\n"
    "Subject: =?UTF-8?B?%s?=\n"
    "Message-ID: <20241117111100.HTML.5@mail.example.com>\n"
    "MIME-Version: 1.0\n"
    "Content-Type: text/html; charset=UTF-8\n"
    "Content-Transfer-Encoding: quoted-printable\n"
    "\n" % base64.b64encode("订单和发票问题".encode()).decode()
    + quopri.encodestring(HTML.replace("\n", "\r\n").encode()).decode("ascii")))
check("html_only.eml", "订单和发票问题", "li.na@example.com", "html", "&lt;PD2411110003&gt;")

# ---- 6. multipart/alternative: the plain part wins ---------------------------
write("alternative.eml", crlf(
    "Date: Mon, 18 Nov 2024 16:45:00 +0800\n"
    "From: Zhao Lei <zhao.lei@example.com>\n"
    "To: service@shop.example.com\n"
    "Cc: Zhao Lei <ZHAO.LEI@Example.com>\n"
    "Subject: =?UTF-8?Q?=E5=B0=BA=E7=A0=81=E5=92=A8=E8=AF=A2?=\n"
    "Message-ID: <20241118164500.ALT.6@mail.example.com>\n"
    "MIME-Version: 1.0\n"
    "Content-Type: multipart/alternative; boundary=\"=_alt_6\"\n"
    "\n"
    "This is a multi-part message in MIME format.\n"
    "--=_alt_6\n"
    "Content-Type: text/plain; charset=UTF-8\n"
    "Content-Transfer-Encoding: base64\n"
    "\n" + b64("PLAIN: 这件衬衫有XL码吗？\r\n".encode()) +
    "--=_alt_6\n"
    "Content-Type: text/html; charset=UTF-8\n"
    "Content-Transfer-Encoding: base64\n"
    "\n" + b64("<html><body><p>HTML: 这件衬衫有XL码吗？</p></body></html>\r\n".encode()) +
    "--=_alt_6--\n"))
check("alternative.eml", "尺码咨询", "zhao.lei@example.com", "plain", "PLAIN: 这件衬衫有XL码吗？")

# ---- 7. reply: In-Reply-To, References, public id in the subject ------------
REPLY_SUBJECT = "Re: 物流查询 [#PD-%s]" % PUBLIC_ID
write("reply_threaded.eml", crlf(
    "Date: Tue, 19 Nov 2024 10:15:00 +0800\n"
    "From: =?UTF-8?B?%s?= <Liu.Yang@Example.COM>\n"
    "To: \"Peak Shop Service\" <service@shop.example.com>\n"
    "Subject: %s\n"
    "Message-ID: <reply-7@mail.example.com>\n"
    "In-Reply-To: <out-2@shop.example.com>\n"
    "References: <first-1@mail.example.com>\n"
    " <out-1@shop.example.com> <out-2@shop.example.com>\n"
    "MIME-Version: 1.0\n"
    "Content-Type: text/plain; charset=UTF-8\n"
    "Content-Transfer-Encoding: 8bit\n"
    "\n" % (base64.b64encode("刘洋".encode()).decode(), ew(REPLY_SUBJECT, "UTF-8")))
    + ("好的，谢谢，我再等一天。\n\n"
       "在 2024年11月18日 18:00，Peak Shop Service 写道：\n"
       "> 您的包裹已到达上海转运中心。\n").replace("\n", "\r\n").encode())
check("reply_threaded.eml", REPLY_SUBJECT, "Liu.Yang@Example.COM", body="我再等一天")

# ---- 8. PDF attachment with an RFC 2231 (UTF-8) filename --------------------
def tiny_pdf():
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 100] >>",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for i, o in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + o + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    return out


PDF = tiny_pdf()
write("pdf_attachment.eml", crlf(
    "Date: Wed, 20 Nov 2024 13:00:00 +0800\n"
    "From: Sun Li <sun.li@example.com>\n"
    "To: service@shop.example.com\n"
    "Subject: =?UTF-8?B?%s?=\n"
    "Message-ID: <20241120130000.PDF.8@mail.example.com>\n"
    "MIME-Version: 1.0\n"
    "Content-Type: multipart/mixed; boundary=\"mixed-8\"\n"
    "\n"
    "--mixed-8\n"
    "Content-Type: text/plain; charset=UTF-8\n"
    "Content-Transfer-Encoding: 8bit\n"
    "\n" % base64.b64encode("发票抬头错了".encode()).decode())
    + "发票抬头应为“某某科技有限公司”，见附件。\r\n".encode()
    + crlf(
    "\n--mixed-8\n"
    "Content-Type: application/pdf; name=\"=?UTF-8?B?%s?=\"\n"
    "Content-Disposition: attachment; filename*=UTF-8''%s\n"
    "Content-Transfer-Encoding: base64\n"
    "\n" % (base64.b64encode("发票.pdf".encode()).decode(),
            "".join("%%%02X" % b for b in "发票.pdf".encode()))
    + b64(PDF) +
    "--mixed-8--\n"))
m = check("pdf_attachment.eml", "发票抬头错了", "sun.li@example.com", body="见附件")
att = [p for p in m.iter_attachments()][0]
assert att.get_filename() == "发票.pdf" and att.get_content() == PDF
print("pdf_attachment.eml: PDF of %d bytes" % len(PDF))

# ---- 9. bounce: RFC 3464 delivery status notification ------------------------
write("bounce_dsn.eml", crlf(
    "Return-Path: <>\n"
    "Date: Thu, 21 Nov 2024 02:00:05 +0800 (CST)\n"
    "From: MAILER-DAEMON@mx.example.net (Mail Delivery System)\n"
    "To: service@shop.example.com\n"
    "Subject: Undelivered Mail Returned to Sender\n"
    "Message-ID: <20241120180005.DSN.9@mx.example.net>\n"
    "Auto-Submitted: auto-replied\n"
    "MIME-Version: 1.0\n"
    "Content-Type: multipart/report; report-type=delivery-status;\n"
    "\tboundary=\"dsn-9\"\n"
    "\n"
    "--dsn-9\n"
    "Content-Description: Notification\n"
    "Content-Type: text/plain; charset=us-ascii\n"
    "\n"
    "This is the mail system at host mx.example.net.\n"
    "\n"
    "I'm sorry to have to inform you that your message could not\n"
    "be delivered to one or more recipients.\n"
    "\n"
    "<nobody@example.org>: host mx.example.org said: 550 5.1.1 User unknown\n"
    "\n"
    "--dsn-9\n"
    "Content-Description: Delivery report\n"
    "Content-Type: message/delivery-status\n"
    "\n"
    "Reporting-MTA: dns; mx.example.net\n"
    "Arrival-Date: Thu, 21 Nov 2024 02:00:03 +0800 (CST)\n"
    "\n"
    "Final-Recipient: rfc822; nobody@example.org\n"
    "Action: failed\n"
    "Status: 5.1.1\n"
    "Diagnostic-Code: smtp; 550 5.1.1 User unknown\n"
    "\n"
    "--dsn-9\n"
    "Content-Description: Undelivered Message Headers\n"
    "Content-Type: text/rfc822-headers\n"
    "\n"
    "From: service@shop.example.com\n"
    "To: nobody@example.org\n"
    "Subject: =?UTF-8?B?5oKo55qE6K6i5Y2V5bey5Y+R6LSn?=\n"
    "Message-ID: <out-9@shop.example.com>\n"
    "\n"
    "--dsn-9--\n"))
check("bounce_dsn.eml", "Undelivered Mail Returned to Sender", "MAILER-DAEMON@mx.example.net",
      body="User unknown")

# ---- 10. out-of-office auto-reply (RFC 3834) ---------------------------------
write("auto_reply.eml", crlf(
    "Date: Fri, 22 Nov 2024 09:00:00 +0800\n"
    "From: Wu Min <wu.min@example.com>\n"
    "To: service@shop.example.com\n"
    "Subject: =?UTF-8?B?%s?=\n"
    "Message-ID: <20241122090000.OOO.10@mail.example.com>\n"
    "In-Reply-To: <out-10@shop.example.com>\n"
    "Auto-Submitted: auto-replied\n"
    "Precedence: bulk\n"
    "MIME-Version: 1.0\n"
    "Content-Type: text/plain; charset=UTF-8\n"
    "Content-Transfer-Encoding: base64\n"
    "\n" % base64.b64encode("自动回复：休假中".encode()).decode()
    + b64("我正在休假，11月25日回来。\r\n".encode())))
check("auto_reply.eml", "自动回复：休假中", "wu.min@example.com", body="休假")

# ---- 11. no charset anywhere: 8-bit GBK in the body and in the subject -------
# Sloppy clients and scripts send this; the parser must guess (GB18030 here).
write("undeclared_gbk.eml",
      crlf("Date: Sat, 23 Nov 2024 20:00:00 +0800\n"
           "From: order-bot@example.com\n"
           "To: service@shop.example.com\n")
      + b"Subject: " + "缺货通知".encode("gbk") + b"\r\n"
      + crlf("Message-ID: <20241123200000.RAW.11@example.com>\n"
             "MIME-Version: 1.0\n"
             "Content-Type: text/plain\n"
             "Content-Transfer-Encoding: 8bit\n"
             "\n")
      + "您订购的羽绒服（黑色，L码）暂时缺货，预计12月1日补货。\r\n".encode("gbk"))

# ---- 12. ISO-2022-JP body and subject (Japanese mail's usual encoding) -------
write("iso2022jp.eml", crlf(
    "Date: Sun, 24 Nov 2024 12:00:00 +0900\n"
    "From: =?ISO-2022-JP?B?%s?= <tanaka@example.jp>\n"
    "To: service@shop.example.com\n"
    "Subject: =?ISO-2022-JP?B?%s?=\n"
    "Message-ID: <20241124120000.JIS.12@example.jp>\n"
    "MIME-Version: 1.0\n"
    "Content-Type: text/plain; charset=ISO-2022-JP\n"
    "Content-Transfer-Encoding: 7bit\n"
    "\n" % (base64.b64encode("田中".encode("iso-2022-jp")).decode(),
            base64.b64encode("配送状況の確認".encode("iso-2022-jp")).decode()))
    + "注文した商品はいつ届きますか。\r\n".encode("iso-2022-jp"))
check("iso2022jp.eml", "配送状況の確認", "tanaka@example.jp", body="いつ届きますか")

print("fixtures written to", OUT)
