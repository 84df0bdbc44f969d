/* Charset conversion, text cleaning and HTML-to-text for the e-mail parser.
 * The choices (label supersets, the guessing order, what is dropped) are
 * explained in mail_text.h. glibc's iconv does the conversions; libxml2's
 * HTML parser does the HTML. */
#include "mail_text.h"

#include <errno.h>
#include <iconv.h>
#include <libxml/HTMLparser.h>
#include <libxml/tree.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mail_parse.h"
#include "pd.h"

/* ---- UTF-8 ---------------------------------------------------------------- */

/* Length of the well-formed UTF-8 sequence at s (n bytes available) and its
 * code point in *cp; 0 when malformed. Same rules as pd_utf8_valid: no
 * overlongs, no surrogates, nothing above U+10FFFF (NUL is accepted here). */
static size_t utf8_seq(const unsigned char *s, size_t n, uint32_t *cp)
{
	unsigned char c = s[0];
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	size_t k;
	uint32_t v, min;
	if (c >= 0xc2 && c <= 0xdf) {
		k = 2, v = c & 0x1f, min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		k = 3, v = c & 0x0f, min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		k = 4, v = c & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (n < k)
		return 0;
	for (size_t i = 1; i < k; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		v = v << 6 | (s[i] & 0x3f);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return k;
}

/* 1 when the n (< 4) bytes at s are the start of a multibyte sequence that
 * was cut off by the end of the input (not an error: we cap part sizes). */
static int utf8_incomplete_tail(const unsigned char *s, size_t n)
{
	size_t need;
	if (n == 0 || n > 3)
		return 0;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		need = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		need = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		need = 4;
	else
		return 0;
	if (n >= need)
		return 0;
	for (size_t i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return 1;
}

/* Number of bytes at the start of in that are well-formed UTF-8; a cut-off
 * sequence at the very end counts as well-formed (see above). */
static size_t utf8_valid_len(const char *in, size_t len)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t i = 0;
	uint32_t cp;
	while (i < len) {
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		size_t k = utf8_seq(s + i, len - i, &cp);
		if (k == 0)
			return utf8_incomplete_tail(s + i, len - i) ? len : i;
		i += k;
	}
	return len;
}

/* Copies in as UTF-8, each malformed byte replaced by U+FFFD and a cut-off
 * sequence at the end dropped. */
static char *utf8_repair(const char *in, size_t len, size_t *out_len)
{
	const unsigned char *s = (const unsigned char *)in;
	char *out = pd_xmalloc(len * 3 + 1);
	size_t o = 0, i = 0;
	uint32_t cp;
	while (i < len) {
		size_t k = utf8_seq(s + i, len - i, &cp);
		if (k) {
			memcpy(out + o, s + i, k);
			o += k;
			i += k;
		} else if (utf8_incomplete_tail(s + i, len - i)) {
			break;
		} else {
			memcpy(out + o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
		}
	}
	out[o] = '\0';
	*out_len = o;
	return out;
}

/* ---- charset conversion ---------------------------------------------------- */

/* MIME labels mapped to the iconv name decoded instead; NULL means "says
 * nothing reliable": guess (see mail_text.h for why each superset). */
static const struct {
	const char *label;
	const char *iconv;
} charset_aliases[] = {
	{ "gb2312", "GB18030" },         { "gbk", "GB18030" },
	{ "gb18030", "GB18030" },        { "cp936", "GB18030" },
	{ "ms936", "GB18030" },          { "windows-936", "GB18030" },
	{ "euc-cn", "GB18030" },         { "x-euc-cn", "GB18030" },
	{ "x-gbk", "GB18030" },          { "csgb2312", "GB18030" },
	{ "gb_2312-80", "GB18030" },     { "gb_2312", "GB18030" },
	{ "chinese", "GB18030" },        { "iso-ir-58", "GB18030" },
	{ "big5", "BIG5-HKSCS" },        { "big5-hkscs", "BIG5-HKSCS" },
	{ "big5hkscs", "BIG5-HKSCS" },   { "cn-big5", "BIG5-HKSCS" },
	{ "x-x-big5", "BIG5-HKSCS" },    { "csbig5", "BIG5-HKSCS" },
	{ "x-big5", "BIG5-HKSCS" },      { "cp950", "BIG5-HKSCS" },
	{ "shift_jis", "CP932" },        { "shift-jis", "CP932" },
	{ "sjis", "CP932" },             { "x-sjis", "CP932" },
	{ "ms_kanji", "CP932" },         { "csshiftjis", "CP932" },
	{ "windows-31j", "CP932" },      { "cp932", "CP932" },
	{ "ms932", "CP932" },            { "euc-kr", "CP949" },
	{ "ks_c_5601-1987", "CP949" },   { "ks_c_5601-1989", "CP949" },
	{ "ks_c_5601", "CP949" },        { "ksc5601", "CP949" },
	{ "ksc_5601", "CP949" },         { "korean", "CP949" },
	{ "cp949", "CP949" },            { "windows-949", "CP949" },
	{ "x-windows-949", "CP949" },    { "uhc", "CP949" },
	{ "csksc56011987", "CP949" },    { "iso-ir-149", "CP949" },
	{ "cseuckr", "CP949" },          { "iso-8859-1", "CP1252" },
	{ "iso8859-1", "CP1252" },       { "iso_8859-1", "CP1252" },
	{ "latin1", "CP1252" },          { "l1", "CP1252" },
	{ "cp819", "CP1252" },           { "windows-1252", "CP1252" },
	{ "cp1252", "CP1252" },          { "utf-8", "UTF-8" },
	{ "utf8", "UTF-8" },             { "unicode-1-1-utf-8", "UTF-8" },
	{ "us-ascii", NULL },            { "ascii", NULL },
	{ "ansi_x3.4-1968", NULL },      { "us", NULL },
	{ "iso646-us", NULL },           { "x-unknown", NULL },
	{ "unknown-8bit", NULL },        { "unknown", NULL },
	{ "x-user-defined", NULL },      { "default", NULL },
};

#define ICONV_FAILED ((iconv_t)-1)

/* Converts with iconv into a malloc'd UTF-8 string. strict: NULL on the
 * first invalid sequence; otherwise each bad byte becomes U+FFFD. A
 * sequence cut off by the end of input is dropped either way. NULL too when
 * iconv does not know the charset (*unknown is then set to 1). */
static char *iconv_utf8(const char *in, size_t len, const char *from, int strict,
			size_t *out_len, int *unknown)
{
	iconv_t cd = iconv_open("UTF-8", from);
	if (cd == ICONV_FAILED) {
		if (unknown)
			*unknown = 1;
		return NULL;
	}
	size_t cap = len + len / 2 + 64, o = 0;
	char *out = pd_xmalloc(cap);
	char *ip = (char *)in;
	size_t il = len;
	int flushing = 0;
	for (;;) {
		/* One byte stays free for the NUL. */
		if (cap - o < 8) {
			cap *= 2;
			out = pd_xrealloc(out, cap);
		}
		char *op = out + o;
		size_t ol = cap - o - 1;
		size_t r = flushing ? iconv(cd, NULL, NULL, &op, &ol)
				    : iconv(cd, &ip, &il, &op, &ol);
		o = (size_t)(op - out);
		if (r != (size_t)-1) {
			if (flushing)
				break;
			flushing = 1; /* stateful charsets (ISO-2022-*) may owe bytes */
			continue;
		}
		if (errno == E2BIG) {
			cap *= 2;
			out = pd_xrealloc(out, cap);
		} else if (errno == EILSEQ && !flushing) {
			if (strict)
				goto fail;
			/* iconv may have filled the buffer right up to the
			 * bad byte: make room (3 bytes + the NUL) first. */
			if (cap - o < 4) {
				cap *= 2;
				out = pd_xrealloc(out, cap);
			}
			memcpy(out + o, "\xef\xbf\xbd", 3);
			o += 3;
			ip++;
			il--;
		} else if (errno == EINVAL) {
			flushing = 1; /* cut off at the end: drop it */
			il = 0;
		} else {
			goto fail;
		}
	}
	iconv_close(cd);
	out[o] = '\0';
	*out_len = o;
	return out;
fail:
	iconv_close(cd);
	free(out);
	return NULL;
}

/* No (usable) charset: UTF-8, GB18030, CP1252, ISO-8859-1 in that order,
 * each strict except the last, which cannot fail. */
static char *guess_utf8(const char *in, size_t len, size_t *out_len, const char **used)
{
	char *out;
	if (utf8_valid_len(in, len) == len) {
		*used = "UTF-8";
		return utf8_repair(in, len, out_len); /* drops a cut-off tail */
	}
	if ((out = iconv_utf8(in, len, "GB18030", 1, out_len, NULL))) {
		*used = "GB18030";
		return out;
	}
	if ((out = iconv_utf8(in, len, "CP1252", 1, out_len, NULL))) {
		*used = "CP1252";
		return out;
	}
	/* ISO-8859-1 is every byte as its own code point. */
	out = pd_xmalloc(len * 2 + 1);
	size_t o = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];
		if (c < 0x80) {
			out[o++] = (char)c;
		} else {
			out[o++] = (char)(0xc0 | c >> 6);
			out[o++] = (char)(0x80 | (c & 0x3f));
		}
	}
	out[o] = '\0';
	*out_len = o;
	*used = "ISO-8859-1";
	return out;
}

/* Lower-cases a charset label into buf; 0 when it is empty, too long or has
 * characters no charset name has (a "/" would select iconv's //TRANSLIT or
 * //IGNORE behaviour, so it is refused too). */
static int normalize_label(const char *label, char *buf, size_t bufsz)
{
	size_t n = 0;
	if (!label)
		return 0;
	while (*label == ' ' || *label == '"' || *label == '\'')
		label++;
	for (; *label && *label != '"' && *label != '\'' && *label != ' '; label++) {
		char c = *label;
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
		      c == '.' || c == ':' || c == '+' || c == '(' || c == ')'))
			return 0;
		if (n + 1 >= bufsz)
			return 0;
		buf[n++] = c;
	}
	buf[n] = '\0';
	return n > 0;
}

char *mail_to_utf8(const char *in, size_t len, const char *charset, size_t *out_len,
		   const char **used)
{
	const char *dummy;
	char label[64];
	if (!used)
		used = &dummy;
	if (!in)
		len = 0;
	if (!normalize_label(charset, label, sizeof(label)))
		return guess_utf8(in, len, out_len, used);

	const char *name = charset; /* passed to iconv as the sender wrote it */
	for (size_t i = 0; i < PD_ARRAY_LEN(charset_aliases); i++) {
		if (strcmp(label, charset_aliases[i].label) == 0) {
			name = charset_aliases[i].iconv;
			if (!name)
				return guess_utf8(in, len, out_len, used);
			break;
		}
	}
	if (name == charset)
		name = NULL; /* not in the table: use the normalised label */

	char *out;
	int unknown = 0;
	if (name && strcmp(name, "UTF-8") == 0) {
		*used = "UTF-8";
		return utf8_repair(in, len, out_len);
	}
	const char *iname = name ? name : label;
	if ((out = iconv_utf8(in, len, iname, 1, out_len, &unknown))) {
		*used = name ? name : charset;
		return out;
	}
	if (unknown)
		return guess_utf8(in, len, out_len, used);
	/* Declared charset does not fit the bytes: mislabelled UTF-8 is the
	 * common case, else keep what decodes and mark the rest. */
	if (utf8_valid_len(in, len) == len) {
		*used = "UTF-8";
		return utf8_repair(in, len, out_len);
	}
	out = iconv_utf8(in, len, iname, 0, out_len, NULL);
	if (!out) /* iconv failed on something other than the input */
		return guess_utf8(in, len, out_len, used);
	*used = name ? name : charset;
	return out;
}

/* ---- cleaning ------------------------------------------------------------ */

static int is_line_space(uint32_t cp)
{
	return cp <= 0x20 || cp == 0x7f || cp == 0xa0 || cp == 0x2028 || cp == 0x2029;
}

char *mail_clean_text(const char *in, size_t len, enum mail_clean_mode mode, size_t cap,
		      size_t *out_len, int *truncated)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t room = len > SIZE_MAX / 3 ? SIZE_MAX / 3 : len * 3;
	if (room > cap)
		room = cap;
	char *out = pd_xmalloc(room + 1);
	size_t o = 0, i = 0;
	int cut = 0, pending_space = 0;
	while (i < len) {
		uint32_t cp;
		size_t k = utf8_seq(s + i, len - i, &cp);
		const char *bytes = (const char *)s + i;
		size_t nb = k;
		if (k == 0) {
			cp = 0xfffd;
			bytes = "\xef\xbf\xbd";
			nb = 3;
			k = 1;
		}
		i += k;
		if (cp == 0xfeff && o == 0)
			continue; /* byte order mark */
		if (mode == MAIL_CLEAN_LINE) {
			if (is_line_space(cp) || (cp >= 0x80 && cp <= 0x9f)) {
				pending_space = o > 0;
				continue;
			}
			if (pending_space) {
				if (o + 1 > cap) {
					cut = 1;
					break;
				}
				out[o++] = ' ';
				pending_space = 0;
			}
		} else {
			if (cp == '\r') {
				if (i < len && s[i] == '\n')
					i++;
				cp = '\n', bytes = "\n", nb = 1;
			} else if (cp == 0x2028 || cp == 0x2029) {
				cp = '\n', bytes = "\n", nb = 1;
			}
			if ((cp < 0x20 && cp != '\n' && cp != '\t') || cp == 0x7f ||
			    (cp >= 0x80 && cp <= 0x9f))
				continue;
			if (cp == '\n' && o == 0)
				continue; /* leading blank lines */
		}
		if (o + nb > cap) {
			cut = 1;
			break;
		}
		memcpy(out + o, bytes, nb);
		o += nb;
	}
	if (mode == MAIL_CLEAN_BODY) {
		while (o > 0 && (out[o - 1] == ' ' || out[o - 1] == '\t' || out[o - 1] == '\n'))
			o--;
	}
	out[o] = '\0';
	if (out_len)
		*out_len = o;
	if (truncated)
		*truncated = cut;
	return out;
}

/* ---- HTML to text --------------------------------------------------------- */

struct tbuf {
	char *p;
	size_t n, cap, limit;
	int truncated;
};

static void tb_put(struct tbuf *b, const char *s, size_t n)
{
	if (b->truncated || n == 0)
		return;
	if (b->n + n > b->limit) {
		/* Keep what fits, ending on a character boundary. */
		n = b->limit - b->n;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
		b->truncated = 1;
	}
	if (b->n + n + 1 > b->cap) {
		while (b->n + n + 1 > b->cap)
			b->cap = b->cap ? b->cap * 2 : 256;
		b->p = pd_xrealloc(b->p, b->cap);
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
}

static void tb_trim_spaces(struct tbuf *b)
{
	while (b->n > 0 && (b->p[b->n - 1] == ' ' || b->p[b->n - 1] == '\t'))
		b->n--;
}

/* Ends the buffer with at least k line breaks (nothing at the very start). */
static void tb_breaks(struct tbuf *b, int k)
{
	tb_trim_spaces(b);
	if (b->n == 0)
		return;
	int have = 0;
	for (size_t i = b->n; i > 0 && b->p[i - 1] == '\n' && have < k; i--)
		have++;
	for (; have < k; have++)
		tb_put(b, "\n", 1);
}

/* Text outside <pre>: white space runs become one space, as a browser shows it. */
static void tb_text(struct tbuf *b, const char *s)
{
	size_t start = 0, i = 0;
	for (;; i++) {
		char c = s[i];
		int ws = c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
		if (c == '\0' || ws) {
			tb_put(b, s + start, i - start);
			if (c == '\0')
				break;
			if (b->n > 0 && b->p[b->n - 1] != ' ' && b->p[b->n - 1] != '\n')
				tb_put(b, " ", 1);
			start = i + 1;
		} else if ((unsigned char)c == 0xc2 && (unsigned char)s[i + 1] == 0xa0) {
			/* &nbsp; reads as a plain space in text */
			tb_put(b, s + start, i - start);
			if (b->n > 0 && b->p[b->n - 1] != ' ' && b->p[b->n - 1] != '\n')
				tb_put(b, " ", 1);
			i++;
			start = i + 1;
		}
	}
}

enum html_kind { H_INLINE, H_SKIP, H_BR, H_LINE, H_BLANK, H_CELL, H_ITEM, H_PRE };

static enum html_kind html_kind(const char *name)
{
	static const struct {
		const char *name;
		enum html_kind kind;
	} kinds[] = {
		{ "script", H_SKIP },   { "style", H_SKIP },     { "head", H_SKIP },
		{ "template", H_SKIP }, { "title", H_SKIP },     { "br", H_BR },
		{ "p", H_BLANK },       { "h1", H_BLANK },       { "h2", H_BLANK },
		{ "h3", H_BLANK },      { "h4", H_BLANK },       { "h5", H_BLANK },
		{ "h6", H_BLANK },      { "ul", H_BLANK },       { "ol", H_BLANK },
		{ "dl", H_BLANK },      { "table", H_BLANK },    { "blockquote", H_BLANK },
		{ "pre", H_PRE },       { "div", H_LINE },       { "tr", H_LINE },
		{ "dt", H_LINE },       { "dd", H_LINE },        { "hr", H_LINE },
		{ "section", H_LINE },  { "article", H_LINE },   { "header", H_LINE },
		{ "footer", H_LINE },   { "nav", H_LINE },       { "aside", H_LINE },
		{ "address", H_LINE },  { "form", H_LINE },      { "fieldset", H_LINE },
		{ "figure", H_LINE },   { "figcaption", H_LINE }, { "center", H_LINE },
		{ "caption", H_LINE },  { "main", H_LINE },      { "li", H_ITEM },
		{ "td", H_CELL },       { "th", H_CELL },
	};
	for (size_t i = 0; i < PD_ARRAY_LEN(kinds); i++)
		if (strcasecmp(name, kinds[i].name) == 0)
			return kinds[i].kind;
	return H_INLINE;
}

static void html_enter(struct tbuf *b, enum html_kind k)
{
	switch (k) {
	case H_BR:
		tb_trim_spaces(b);
		if (b->n > 0)
			tb_put(b, "\n", 1);
		break;
	case H_BLANK:
	case H_PRE:
		tb_breaks(b, 2);
		break;
	case H_LINE:
		tb_breaks(b, 1);
		break;
	case H_ITEM:
		tb_breaks(b, 1);
		tb_put(b, "- ", 2);
		break;
	case H_CELL:
		if (b->n > 0 && b->p[b->n - 1] != '\n' && b->p[b->n - 1] != ' ')
			tb_put(b, " ", 1);
		break;
	default:
		break;
	}
}

static void html_leave(struct tbuf *b, enum html_kind k)
{
	if (k == H_BLANK || k == H_PRE)
		tb_breaks(b, 2);
	else if (k == H_LINE || k == H_ITEM)
		tb_breaks(b, 1);
}

char *mail_html_to_text(const char *html, size_t len, size_t cap, size_t *out_len,
			int *truncated)
{
	struct tbuf b = { .limit = cap, .cap = 256 };
	b.p = pd_xmalloc(b.cap);
	b.p[0] = '\0';
	mail_init(); /* xmlInitParser before the first parse, once */
	if (len > INT_MAX)
		len = INT_MAX;
	htmlDocPtr doc = NULL;
	if (html && len)
		doc = htmlReadMemory(html, (int)len, NULL, "UTF-8",
				     HTML_PARSE_NONET | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
					     HTML_PARSE_IGNORE_ENC);
	/* Iterative walk (parent/next links): deep nesting cannot exhaust the
	 * stack however the HTML is built. */
	int pre = 0;
	xmlNodePtr node = doc ? doc->children : NULL;
	while (node && !b.truncated) {
		int descend = 0;
		if (node->type == XML_ELEMENT_NODE && node->name) {
			enum html_kind k = html_kind((const char *)node->name);
			if (k != H_SKIP) {
				html_enter(&b, k);
				if (k == H_PRE)
					pre++;
				descend = node->children != NULL;
				if (!descend) {
					if (k == H_PRE)
						pre--;
					html_leave(&b, k);
				}
			}
		} else if ((node->type == XML_TEXT_NODE || node->type == XML_CDATA_SECTION_NODE) &&
			   node->content) {
			const char *text = (const char *)node->content;
			if (pre)
				tb_put(&b, text, strlen(text));
			else
				tb_text(&b, text);
		}
		if (descend) {
			node = node->children;
			continue;
		}
		/* Next sibling, or climb, closing the elements we leave. */
		while (node && !node->next) {
			node = node->parent;
			if (!node || node->type == XML_DOCUMENT_NODE ||
			    node->type == XML_HTML_DOCUMENT_NODE) {
				node = NULL;
				break;
			}
			if (node->type == XML_ELEMENT_NODE && node->name) {
				enum html_kind k = html_kind((const char *)node->name);
				if (k == H_PRE)
					pre--;
				html_leave(&b, k);
			}
		}
		if (node)
			node = node->next;
	}
	if (doc)
		xmlFreeDoc(doc);

	/* More than one blank line in a row is layout noise (nested blocks). */
	size_t o = 0, nl = 0;
	for (size_t i = 0; i < b.n; i++) {
		if (b.p[i] == '\n') {
			if (++nl > 2)
				continue;
		} else {
			nl = 0;
		}
		b.p[o++] = b.p[i];
	}
	b.n = o;
	b.p[b.n] = '\0';
	if (out_len)
		*out_len = b.n;
	if (truncated)
		*truncated = b.truncated;
	return b.p;
}

int mail_html_sniff_charset(const char *html, size_t len, char *out, size_t outsz)
{
	static const char key[] = "charset";
	size_t klen = sizeof(key) - 1;
	if (len > 4096)
		len = 4096; /* the meta belongs in <head>, near the top */
	for (size_t i = 0; i + klen < len; i++) {
		if (strncasecmp(html + i, key, klen) != 0)
			continue;
		size_t j = i + klen;
		while (j < len && (html[j] == ' ' || html[j] == '\t'))
			j++;
		if (j >= len || html[j] != '=')
			continue;
		j++;
		while (j < len && (html[j] == ' ' || html[j] == '"' || html[j] == '\''))
			j++;
		size_t n = 0;
		while (j < len && n + 1 < outsz) {
			char c = html[j];
			if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			      c == '-' || c == '_' || c == '.' || c == ':'))
				break;
			out[n++] = c;
			j++;
		}
		if (n > 0) {
			out[n] = '\0';
			return 1;
		}
	}
	if (outsz)
		out[0] = '\0';
	return 0;
}
