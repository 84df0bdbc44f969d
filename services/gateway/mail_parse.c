/* E-mail parsing: GMime builds the MIME tree from memory, this file picks
 * the threading headers, sender, body and attachments out of it and turns
 * every string into capped, valid UTF-8 (formats and limits in
 * mail_parse.h; charset and HTML handling in mail_text.c).
 *
 * GMime memory rules followed here: objects from g_mime_*_new and
 * g_mime_parser_construct_message are GObjects we g_object_unref; getters
 * (g_mime_message_get_subject, get_from, get_date, get_header, part lists)
 * return borrowed pointers that die with the message; strings from
 * g_mime_content_type_get_mime_type are ours to g_free; GMimeReferences
 * from g_mime_references_parse are freed with g_mime_references_free. Our
 * own results are malloc'd copies so the caller never touches glib. */
#include "mail_parse.h"

#include <gmime/gmime.h>
#include <libxml/parser.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "codec.h"
#include "mail_text.h"

/* 2100-01-01T00:00:00Z: dates from then on (or before 1970) are typos or
 * spam ("Mon, 30 Jun 3609") and would sort a ticket's timeline wrongly. */
#define MAIL_DATE_MAX_S 4102444800LL

static pthread_once_t init_once = PTHREAD_ONCE_INIT;

static void init_libs(void)
{
	/* g_mime_init is not safe to race with itself, and libxml2 wants
	 * xmlInitParser before parsers run in several threads. */
	g_mime_init();
	xmlInitParser();
}

void mail_init(void)
{
	pthread_once(&init_once, init_libs);
}

/* ---- strings --------------------------------------------------------------- */

/* Cleaned one-line copy of a GMime string (NULL -> ""), at most cap bytes. */
static char *line_dup(const char *s, size_t cap)
{
	if (!s)
		return pd_xstrdup("");
	return mail_clean_text(s, strlen(s), MAIL_CLEAN_LINE, cap, NULL, NULL);
}

static void ascii_lower(char *s)
{
	for (; *s; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
}

/* A msg-id as stored: without <>, no white space inside; "" when longer than
 * MAIL_MAX_ID (a cut id would thread to nothing) or when it has spaces. */
static char *id_dup(const char *s)
{
	char *c = line_dup(s, MAIL_MAX_ID + 3);
	size_t n = strlen(c);
	char *start = c;
	if (n >= 2 && c[0] == '<' && c[n - 1] == '>') {
		c[n - 1] = '\0';
		start++;
		n -= 2;
	}
	if (n > MAIL_MAX_ID || strchr(start, ' ') || strchr(start, '<') || strchr(start, '>')) {
		free(c);
		return pd_xstrdup("");
	}
	memmove(c, start, n + 1);
	return c;
}

/* addr-spec usable as a reply address: local@domain, both parts non-empty,
 * no white space or address punctuation. Lower-cased copy, or NULL. */
static char *usable_addr(const char *addr)
{
	if (!addr)
		return NULL;
	char *c = line_dup(addr, MAIL_MAX_LINE);
	const char *at = strrchr(c, '@');
	if (!at || at == c || at[1] == '\0' || strpbrk(c, " <>,;\"()[]\\")) {
		free(c);
		return NULL;
	}
	ascii_lower(c);
	return c;
}

static void push_str(char ***arr, size_t *n, char *s)
{
	/* Grow in powers of two: n is a power of two exactly when full. */
	if ((*n & (*n - 1)) == 0)
		*arr = pd_xrealloc(*arr, (*n ? *n * 2 : 1) * sizeof(char *));
	(*arr)[(*n)++] = s;
}

/* ---- addresses ------------------------------------------------------------- */

/* First mailbox with a usable address, looking inside groups. */
static InternetAddressMailbox *first_mailbox(InternetAddressList *list, int depth, char **addr)
{
	int n = list ? internet_address_list_length(list) : 0;
	for (int i = 0; i < n && depth < 4; i++) {
		InternetAddress *ia = internet_address_list_get_address(list, i);
		if (INTERNET_ADDRESS_IS_MAILBOX(ia)) {
			InternetAddressMailbox *mb = (InternetAddressMailbox *)ia;
			if ((*addr = usable_addr(internet_address_mailbox_get_addr(mb))))
				return mb;
		} else if (INTERNET_ADDRESS_IS_GROUP(ia)) {
			InternetAddressList *members =
				internet_address_group_get_members((InternetAddressGroup *)ia);
			InternetAddressMailbox *mb = first_mailbox(members, depth + 1, addr);
			if (mb)
				return mb;
		}
	}
	return NULL;
}

static void collect_addrs(InternetAddressList *list, int depth, char ***arr, size_t *n)
{
	int len = list ? internet_address_list_length(list) : 0;
	for (int i = 0; i < len && depth < 4 && *n < MAIL_MAX_RCPT; i++) {
		InternetAddress *ia = internet_address_list_get_address(list, i);
		if (INTERNET_ADDRESS_IS_MAILBOX(ia)) {
			InternetAddressMailbox *mb = (InternetAddressMailbox *)ia;
			char *a = usable_addr(internet_address_mailbox_get_addr(mb));
			if (a)
				push_str(arr, n, a);
		} else if (INTERNET_ADDRESS_IS_GROUP(ia)) {
			InternetAddressGroup *g = (InternetAddressGroup *)ia;
			collect_addrs(internet_address_group_get_members(g), depth + 1, arr, n);
		}
	}
}

/* When GMime finds no mailbox in From ("From: Big Bug bb@bug.com", seen in
 * the wild), the first word that is a usable address is the sender and the
 * text before it the name. */
static int from_fallback(GMimeObject *msg, mail_message *out)
{
	char *v = line_dup(g_mime_object_get_header(msg, "From"), 4 * MAIL_MAX_LINE);
	static const char seps[] = " <>,;\"()";
	for (char *p = v; *p;) {
		size_t skip = strspn(p, seps);
		p += skip;
		size_t n = strcspn(p, seps);
		if (n == 0)
			break;
		char save = p[n];
		p[n] = '\0';
		char *addr = usable_addr(p);
		p[n] = save;
		if (addr) {
			*p = '\0';
			out->from_addr = addr;
			/* The name is what came before, without quotes or brackets. */
			for (char *q = v; *q; q++)
				if (*q == '"' || *q == '<' || *q == '(' || *q == ')')
					*q = ' ';
			out->from_name = line_dup(v, MAIL_MAX_LINE);
			free(v);
			return 1;
		}
		p += n;
	}
	free(v);
	return 0;
}

/* ---- threading headers --------------------------------------------------- */

static void fill_threading(GMimeMessage *m, GMimeParserOptions *opts, mail_message *out)
{
	GMimeObject *mo = (GMimeObject *)m;
	out->message_id = id_dup(g_mime_message_get_message_id(m));

	const char *irt = g_mime_object_get_header(mo, "In-Reply-To");
	GMimeReferences *r = irt ? g_mime_references_parse(opts, irt) : NULL;
	if (r && g_mime_references_length(r) > 0)
		out->in_reply_to = id_dup(g_mime_references_get_message_id(r, 0));
	else
		out->in_reply_to = pd_xstrdup("");
	if (r)
		g_mime_references_free(r);

	const char *refs = g_mime_object_get_header(mo, "References");
	r = refs ? g_mime_references_parse(opts, refs) : NULL;
	int n = r ? g_mime_references_length(r) : 0;
	for (int i = 0; i < n; i++) {
		/* Over the cap keep the thread's root and the newest ones, as
		 * RFC 5322 3.6.4 suggests for trimming long References. */
		if (n > MAIL_MAX_REFERENCES && i > 0 && i < n - (MAIL_MAX_REFERENCES - 1))
			continue;
		char *id = id_dup(g_mime_references_get_message_id(r, i));
		if (id[0])
			push_str(&out->references, &out->n_references, id);
		else
			free(id);
	}
	if (r)
		g_mime_references_free(r);
}

/* ---- automated mail ------------------------------------------------------ */

/* 1 when the header's first word (up to ; ( or space) is word, ignoring case. */
static int first_word_is(const char *v, const char *word)
{
	while (*v == ' ' || *v == '\t')
		v++;
	size_t n = strcspn(v, " \t;(\r\n");
	return n == strlen(word) && strncasecmp(v, word, n) == 0;
}

static const char *auto_reason(GMimeMessage *m, GMimeObject *top, const char *from_addr)
{
	GMimeObject *mo = (GMimeObject *)m;
	const char *v;
	if (top) {
		GMimeContentType *ct = g_mime_object_get_content_type(top);
		if (g_mime_content_type_is_type(ct, "multipart", "report"))
			return "multipart/report";
		if (g_mime_content_type_is_type(ct, "message", "delivery-status"))
			return "message/delivery-status";
	}
	/* RFC 3834: anything but "no" is machine-sent. */
	if ((v = g_mime_object_get_header(mo, "Auto-Submitted")) && !first_word_is(v, "no"))
		return "Auto-Submitted";
	if ((v = g_mime_object_get_header(mo, "Precedence")) &&
	    (first_word_is(v, "bulk") || first_word_is(v, "junk") ||
	     first_word_is(v, "auto_reply")))
		return "Precedence";
	if (g_mime_object_get_header(mo, "X-Autoreply") ||
	    g_mime_object_get_header(mo, "X-Autorespond"))
		return "X-Autoreply";
	/* Bounces travel with the null reverse path (RFC 5321 4.5.5), which
	 * the delivering MTA records as Return-Path: <>. */
	if ((v = g_mime_object_get_header(mo, "Return-Path"))) {
		v += strspn(v, " \t");
		if (*v == '<') {
			v++;
			v += strspn(v, " \t");
			if (*v == '>')
				return "null Return-Path";
		}
	}
	if (from_addr && strncmp(from_addr, "mailer-daemon@", 14) == 0)
		return "From MAILER-DAEMON";
	return "";
}

/* ---- body and attachments -------------------------------------------------- */

static int is_attachment_disposition(GMimeObject *o)
{
	GMimeContentDisposition *d = g_mime_object_get_content_disposition(o);
	return d && g_mime_content_disposition_is_attachment(d);
}

/* A leaf that is a file: disposition attachment, or a filename given. */
static int is_file(GMimeObject *o)
{
	if (is_attachment_disposition(o))
		return 1;
	return GMIME_IS_PART(o) && g_mime_part_get_filename((GMimePart *)o) != NULL;
}

/* Finds the body: *plain / *html get the text/plain and text/html forms of
 * the first displayable part (in document order), either may stay NULL.
 * In multipart/alternative all children are forms of one body. */
static void find_body(GMimeObject *o, int depth, GMimeObject **plain, GMimeObject **html)
{
	if (depth > MAIL_MAX_DEPTH)
		return;
	GMimeContentType *ct = g_mime_object_get_content_type(o);
	if (GMIME_IS_MULTIPART(o)) {
		if (GMIME_IS_MULTIPART_ENCRYPTED(o))
			return;
		GMimeMultipart *mp = (GMimeMultipart *)o;
		int n = g_mime_multipart_get_count(mp);
		int alternative = g_mime_content_type_is_type(ct, "multipart", "alternative");
		for (int i = 0; i < n; i++) {
			GMimeObject *p = NULL, *h = NULL;
			find_body(g_mime_multipart_get_part(mp, i), depth + 1, &p, &h);
			if (!*plain)
				*plain = p;
			if (!*html)
				*html = h;
			if (!alternative && (*plain || *html))
				return;
		}
		return;
	}
	if (!GMIME_IS_PART(o) || is_file(o))
		return; /* message/rfc822 and files are attachments */
	if (g_mime_content_type_is_type(ct, "text", "plain"))
		*plain = o;
	else if (g_mime_content_type_is_type(ct, "text", "html"))
		*html = o;
}

/* Transfer-decoded content of a leaf, at most cap bytes (*cut set when
 * there was more). Caller frees. */
static char *part_bytes(GMimePart *part, size_t cap, size_t *len, int *cut)
{
	GMimeDataWrapper *w = g_mime_part_get_content(part);
	*cut = 0;
	*len = 0;
	if (!w)
		return pd_xstrdup("");
	GMimeStream *mem = g_mime_stream_mem_new();
	g_mime_data_wrapper_write_to_stream(w, mem);
	GByteArray *ba = g_mime_stream_mem_get_byte_array((GMimeStreamMem *)mem);
	size_t n = ba ? ba->len : 0;
	if (n > cap) {
		n = cap;
		*cut = 1;
	}
	char *out = pd_xmalloc(n + 1);
	if (n)
		memcpy(out, ba->data, n);
	out[n] = '\0';
	*len = n;
	g_object_unref(mem);
	return out;
}

/* Decodes one text part into out->text (replacing what was there). */
static void decode_body(GMimeObject *part, int is_html, mail_message *out)
{
	size_t rawlen, ulen;
	int cut, cut2 = 0;
	char *raw = part_bytes((GMimePart *)part, MAIL_MAX_BODY_RAW, &rawlen, &cut);
	const char *cs = g_mime_object_get_content_type_parameter(part, "charset");
	char sniffed[MAIL_CHARSET_MAX];
	if ((!cs || !cs[0]) && is_html &&
	    mail_html_sniff_charset(raw, rawlen, sniffed, sizeof(sniffed)))
		cs = sniffed;
	const char *used = "";
	char *utf = mail_to_utf8(raw, rawlen, cs, &ulen, &used);
	free(raw);

	char *cs_clean = line_dup(used, sizeof(out->body_charset) - 1);
	strcpy(out->body_charset, cs_clean);
	free(cs_clean);

	if (is_html) {
		/* Controls and NULs out before libxml2 sees the text. */
		size_t clen;
		char *clean = mail_clean_text(utf, ulen, MAIL_CLEAN_BODY, SIZE_MAX, &clen, NULL);
		free(utf);
		utf = mail_html_to_text(clean, clen, 2 * MAIL_MAX_TEXT, &ulen, &cut2);
		free(clean);
	}
	int cut3;
	free(out->text);
	out->text = mail_clean_text(utf, ulen, MAIL_CLEAN_BODY, MAIL_MAX_TEXT, &out->text_len,
				    &cut3);
	free(utf);
	out->text_truncated = cut || cut2 || cut3;
	out->text_from_html = is_html;
}

/* Bytes a data wrapper or message decodes to, counted, not kept. */
static uint64_t decoded_size(GMimeObject *o)
{
	GMimeStream *null = g_mime_stream_null_new();
	if (GMIME_IS_MESSAGE_PART(o)) {
		GMimeMessage *inner = g_mime_message_part_get_message((GMimeMessagePart *)o);
		if (inner)
			g_mime_object_write_to_stream((GMimeObject *)inner, NULL, null);
	} else if (GMIME_IS_PART(o)) {
		GMimeDataWrapper *w = g_mime_part_get_content((GMimePart *)o);
		if (w)
			g_mime_data_wrapper_write_to_stream(w, null);
	}
	uint64_t n = ((GMimeStreamNull *)null)->written;
	g_object_unref(null);
	return n;
}

static void add_attachment(GMimeObject *o, mail_message *out)
{
	if (out->n_attachments >= MAIL_MAX_ATTACHMENTS) {
		out->n_attachments_omitted++;
		return;
	}
	size_t n = out->n_attachments;
	if ((n & (n - 1)) == 0) /* full at powers of two, as in push_str */
		out->attachments = pd_xrealloc(out->attachments, (n ? n * 2 : 1) * sizeof(mail_attachment));
	mail_attachment *a = &out->attachments[out->n_attachments++];

	const char *fn = GMIME_IS_PART(o) ? g_mime_part_get_filename((GMimePart *)o) : NULL;
	if (fn) {
		/* Only the name: a path from the sender's disk means nothing here
		 * and "../" must never reach whoever saves the file later. */
		const char *slash = strrchr(fn, '/'), *bslash = strrchr(fn, '\\');
		if (slash || bslash)
			fn = (slash > bslash ? slash : bslash) + 1;
	}
	a->filename = line_dup(fn, MAIL_MAX_LINE);
	char *mt = g_mime_content_type_get_mime_type(g_mime_object_get_content_type(o));
	a->content_type = line_dup(mt, 255);
	g_free(mt);
	ascii_lower(a->content_type);
	a->content_id = id_dup(g_mime_object_get_content_id(o));
	a->size = decoded_size(o);
	a->is_inline = !is_attachment_disposition(o);
}

/* Every file below o except the body: leaves that are files or are not
 * text at all (images in multipart/related, signatures, DSN reports), and
 * attached messages (not entered: their own parts belong to them). */
static void collect_attachments(GMimeObject *o, int depth, GMimeObject *body, mail_message *out)
{
	if (depth > MAIL_MAX_DEPTH || o == body)
		return;
	if (GMIME_IS_MULTIPART(o)) {
		GMimeMultipart *mp = (GMimeMultipart *)o;
		int n = g_mime_multipart_get_count(mp);
		for (int i = 0; i < n; i++)
			collect_attachments(g_mime_multipart_get_part(mp, i), depth + 1, body, out);
	} else if (GMIME_IS_MESSAGE_PART(o)) {
		add_attachment(o, out);
	} else if (GMIME_IS_PART(o)) {
		GMimeContentType *ct = g_mime_object_get_content_type(o);
		const char *type = ct ? g_mime_content_type_get_media_type(ct) : NULL;
		if (is_file(o) || !type || strcasecmp(type, "text") != 0)
			add_attachment(o, out);
	}
}

/* ---- structure limits ------------------------------------------------------ */

/* Case-insensitive "message/" anywhere in n bytes (a Content-Type saying the
 * body is itself a message, whose header block GMime parses too). */
static int mentions_message(const char *s, size_t n)
{
	for (size_t i = 0; i + 8 <= n; i++)
		if ((s[i] == 'm' || s[i] == 'M') && strncasecmp(s + i, "message/", 8) == 0)
			return 1;
	return 0;
}

/* One pass over the raw bytes, counting what GMime would turn into objects:
 * lines starting "--" (part boundaries) and the fields of every header
 * block (the message's, each part's after a "--" line, and an enclosed
 * message's after a Content-Type: message/...). It over-counts ("-- "
 * signatures, dashed rules) but never under-counts, so the limits in
 * mail_parse.h bound GMime's memory. */
static int check_structure(const char *raw, size_t len, pd_errbuf *eb)
{
	size_t boundaries = 0, fields = 0, header_bytes = 0;
	int in_header = 1, message_next = 0;
	for (size_t i = 0; i < len;) {
		const char *line = raw + i;
		const char *nl = memchr(line, '\n', len - i);
		size_t ll = nl ? (size_t)(nl - line) : len - i;
		size_t eff = ll > 0 && line[ll - 1] == '\r' ? ll - 1 : ll;
		i += ll + 1;
		if (eff >= 2 && line[0] == '-' && line[1] == '-') {
			if (++boundaries > MAIL_MAX_BOUNDARY_LINES)
				return pd_fail(eb, PD_ETOOBIG, "more than %d MIME boundary lines",
					       MAIL_MAX_BOUNDARY_LINES);
			in_header = 1; /* a part's header block may follow */
			continue;
		}
		if (!in_header)
			continue;
		if (eff == 0) {
			/* End of a header block; a message/... body is another one. */
			in_header = message_next;
			message_next = 0;
			continue;
		}
		if (line[0] != ' ' && line[0] != '\t' && ++fields > MAIL_MAX_HEADER_LINES)
			return pd_fail(eb, PD_ETOOBIG, "more than %d header fields",
				       MAIL_MAX_HEADER_LINES);
		header_bytes += ll + 1;
		if (header_bytes > MAIL_MAX_HEADER_BYTES)
			return pd_fail(eb, PD_ETOOBIG, "header blocks over %u bytes",
				       MAIL_MAX_HEADER_BYTES);
		if (mentions_message(line, eff))
			message_next = 1;
	}
	return PD_OK;
}

/* ---- the message ----------------------------------------------------------- */

static GMimeParserOptions *parser_options(void)
{
	/* 8-bit header bytes (no RFC 2047) are tried as UTF-8, then GB18030
	 * (Chinese clients), then ISO-8859-1, which always succeeds. */
	static const char *fallback[] = { "UTF-8", "GB18030", "ISO-8859-1", NULL };
	GMimeParserOptions *o = g_mime_parser_options_new();
	g_mime_parser_options_set_address_compliance_mode(o, GMIME_RFC_COMPLIANCE_LOOSE);
	g_mime_parser_options_set_parameter_compliance_mode(o, GMIME_RFC_COMPLIANCE_LOOSE);
	g_mime_parser_options_set_rfc2047_compliance_mode(o, GMIME_RFC_COMPLIANCE_LOOSE);
	g_mime_parser_options_set_fallback_charsets(o, fallback);
	return o;
}

static int fill(GMimeMessage *m, GMimeParserOptions *opts, mail_message *out, pd_errbuf *eb)
{
	GMimeObject *mo = (GMimeObject *)m;
	GMimeHeaderList *hl = g_mime_object_get_header_list(mo);
	if (!hl || g_mime_header_list_get_count(hl) == 0)
		return pd_fail(eb, PD_EDECODE, "no header fields: not an RFC 5322 message");

	char *addr = NULL;
	InternetAddressMailbox *mb = first_mailbox(g_mime_message_get_from(m), 0, &addr);
	if (mb) {
		out->from_addr = addr;
		const char *name = internet_address_get_name((InternetAddress *)mb);
		out->from_name = line_dup(name, MAIL_MAX_LINE);
	} else if (!from_fallback(mo, out)) {
		return pd_fail(eb, PD_EDECODE, "%s",
			       g_mime_object_get_header(mo, "From")
				       ? "From header has no usable address (want local@domain)"
				       : "no From header");
	}

	InternetAddressList *to = g_mime_message_get_addresses(m, GMIME_ADDRESS_TYPE_TO);
	InternetAddressList *cc = g_mime_message_get_addresses(m, GMIME_ADDRESS_TYPE_CC);
	collect_addrs(to, 0, &out->to, &out->n_to);
	collect_addrs(cc, 0, &out->cc, &out->n_cc);
	out->subject = line_dup(g_mime_message_get_subject(m), MAIL_MAX_LINE);
	mail_find_public_id(out->subject, out->public_id);
	fill_threading(m, opts, out);

	GDateTime *dt = g_mime_message_get_date(m); /* borrowed */
	if (dt) {
		gint64 s = g_date_time_to_unix(dt);
		if (s > 0 && s < MAIL_DATE_MAX_S)
			out->date_ms = (int64_t)s * 1000;
	}

	GMimeObject *top = g_mime_message_get_mime_part(m);
	GMimeObject *plain = NULL, *html = NULL, *body = NULL;
	if (top)
		find_body(top, 0, &plain, &html);
	if (plain) {
		decode_body(plain, 0, out);
		body = plain;
	}
	/* An empty text/plain beside real HTML is a placeholder. */
	if (html && (!plain || out->text_len == 0)) {
		decode_body(html, 1, out);
		body = html;
	}
	if (!out->text)
		out->text = pd_xstrdup("");
	if (top)
		collect_attachments(top, 0, body, out);

	out->auto_reason = auto_reason(m, top, out->from_addr);
	out->is_bounce = out->auto_reason[0] != '\0';
	return PD_OK;
}

/* Every string of a parsed message is valid UTF-8 without NUL. */
static int all_utf8(const mail_message *m)
{
	const char *one[] = { m->message_id, m->in_reply_to, m->from_addr, m->from_name,
			      m->subject, m->body_charset };
	for (size_t i = 0; i < PD_ARRAY_LEN(one); i++)
		if (!one[i] || !pd_utf8_valid(one[i], strlen(one[i])))
			return 0;
	if (!pd_utf8_valid(m->text, m->text_len) || strlen(m->text) != m->text_len)
		return 0;
	for (size_t i = 0; i < m->n_references; i++)
		if (!pd_utf8_valid(m->references[i], strlen(m->references[i])))
			return 0;
	for (size_t i = 0; i < m->n_to; i++)
		if (!pd_utf8_valid(m->to[i], strlen(m->to[i])))
			return 0;
	for (size_t i = 0; i < m->n_cc; i++)
		if (!pd_utf8_valid(m->cc[i], strlen(m->cc[i])))
			return 0;
	for (size_t i = 0; i < m->n_attachments; i++) {
		const mail_attachment *a = &m->attachments[i];
		if (!pd_utf8_valid(a->filename, strlen(a->filename)) ||
		    !pd_utf8_valid(a->content_type, strlen(a->content_type)) ||
		    !pd_utf8_valid(a->content_id, strlen(a->content_id)))
			return 0;
	}
	return 1;
}

int mail_parse(const char *raw, size_t len, mail_message *out, pd_errbuf *eb)
{
	if (!out)
		return pd_fail(eb, PD_EINVAL, "no output message");
	memset(out, 0, sizeof(*out));
	out->auto_reason = "";
	if (!raw && len)
		return pd_fail(eb, PD_EINVAL, "no input");
	if (len > MAIL_MAX_INPUT)
		return pd_fail(eb, PD_ETOOBIG, "message is %zu bytes, over the limit of %u", len,
			       MAIL_MAX_INPUT);
	/* An MTA that delivers in mbox style puts "From sender date" first;
	 * it is an envelope line, not a header. */
	if (len >= 5 && memcmp(raw, "From ", 5) == 0) {
		const char *nl = memchr(raw, '\n', len);
		size_t skip = nl ? (size_t)(nl - raw) + 1 : len;
		raw += skip;
		len -= skip;
	}
	if (len == 0)
		return pd_fail(eb, PD_EDECODE, "empty message");
	int rc = check_structure(raw, len, eb);
	if (rc != PD_OK)
		return rc;
	mail_init();

	GMimeParserOptions *opts = parser_options();
	GMimeStream *stream = g_mime_stream_mem_new_with_buffer(raw, len); /* copies */
	GMimeParser *parser = g_mime_parser_new_with_stream(stream);
	g_object_unref(stream); /* the parser (and then the parts) hold it */
	GMimeMessage *m = g_mime_parser_construct_message(parser, opts);
	g_object_unref(parser);

	if (!m) {
		rc = pd_fail(eb, PD_EDECODE, "not an RFC 5322 message: GMime found none in it");
	} else {
		rc = fill(m, opts, out, eb);
		if (rc == PD_OK && !all_utf8(out))
			rc = pd_fail(eb, PD_EDECODE, "internal error: a field is not valid UTF-8");
		g_object_unref(m);
	}
	g_mime_parser_options_free(opts);
	if (rc != PD_OK)
		mail_message_free(out);
	return rc;
}

void mail_message_free(mail_message *m)
{
	if (!m)
		return;
	free(m->message_id);
	free(m->in_reply_to);
	for (size_t i = 0; i < m->n_references; i++)
		free(m->references[i]);
	free(m->references);
	free(m->from_addr);
	free(m->from_name);
	for (size_t i = 0; i < m->n_to; i++)
		free(m->to[i]);
	free(m->to);
	for (size_t i = 0; i < m->n_cc; i++)
		free(m->cc[i]);
	free(m->cc);
	free(m->subject);
	free(m->text);
	for (size_t i = 0; i < m->n_attachments; i++) {
		free(m->attachments[i].filename);
		free(m->attachments[i].content_type);
		free(m->attachments[i].content_id);
	}
	free(m->attachments);
	memset(m, 0, sizeof(*m));
	m->auto_reason = "";
}

/* ---- public id token ------------------------------------------------------- */

int mail_find_public_id(const char *subject, char out[MAIL_PUBLIC_ID_LEN + 1])
{
	static const char alphabet[] = MAIL_PUBLIC_ID_ALPHABET;
	const size_t plen = sizeof(MAIL_PUBLIC_ID_TOKEN_PREFIX) - 1;
	out[0] = '\0';
	if (!subject)
		return PD_ENOTFOUND;
	for (const char *p = strchr(subject, '['); p; p = strchr(p + 1, '[')) {
		if (strncasecmp(p, MAIL_PUBLIC_ID_TOKEN_PREFIX, plen) != 0)
			continue;
		const char *id = p + plen;
		char buf[MAIL_PUBLIC_ID_LEN + 1];
		size_t i;
		for (i = 0; i < MAIL_PUBLIC_ID_LEN; i++) {
			char c = id[i];
			if (c >= 'A' && c <= 'Z')
				c = (char)(c - 'A' + 'a');
			if (c == '\0' || !strchr(alphabet, c))
				break;
			buf[i] = c;
		}
		if (i == MAIL_PUBLIC_ID_LEN && id[i] == ']') {
			buf[i] = '\0';
			memcpy(out, buf, sizeof(buf));
			return PD_OK;
		}
	}
	return PD_ENOTFOUND;
}
