/* Text helpers for the e-mail parser (pure): charset conversion to UTF-8
 * with the fallbacks real mail needs, cleaning text into valid UTF-8 under a
 * byte cap, and HTML to plain text through libxml2.
 *
 * Why not g_mime_text_part_get_text: with no charset parameter it returns the
 * raw bytes (often not UTF-8), with an unknown one (X-UNKNOWN) it silently
 * returns them unconverted too, bytes invalid in the declared charset are
 * dropped or mangled without telling, and an embedded NUL cuts the string.
 * Here every path ends in valid UTF-8 and we know which charset was used.
 *
 * Label handling, following what mailers actually send (the WHATWG Encoding
 * Standard makes the same choices for the web):
 *   gb2312, gbk, cp936, euc-cn, x-gbk, gb18030 -> GB18030 (GB2312-labelled
 *       mail routinely contains GBK characters; GB18030 is the superset)
 *   big5, big5-hkscs, cn-big5, x-x-big5      -> BIG5-HKSCS
 *   shift_jis, sjis, x-sjis, windows-31j     -> CP932 (Windows' superset)
 *   euc-kr, ks_c_5601-1987, ks_c_5601, cp949 -> CP949 (UHC, superset)
 *   iso-8859-1, latin1                       -> CP1252 (ditto)
 *   us-ascii, no charset, unknown charset    -> guessed: UTF-8 if the bytes
 *       are valid UTF-8, else GB18030 if they decode strictly as GB18030,
 *       else CP1252 if strictly valid, else ISO-8859-1 (total)
 *   anything else                            -> iconv by its own name
 * A declared charset that fails strictly is tried as UTF-8 (mislabelled
 * mail), then decoded leniently with U+FFFD for each bad byte. */
#ifndef PD_MAIL_TEXT_H
#define PD_MAIL_TEXT_H

#include <stddef.h>

/* Converts len bytes in charset (a MIME label; NULL or "" when none) to
 * UTF-8 as described above. Returns a malloc'd NUL-terminated string of
 * valid UTF-8 (a NUL in the input stays a NUL inside: clean it afterwards);
 * *out_len gets its length and *used (when not NULL) the charset actually
 * used: a static string, or charset itself when iconv took it by its own
 * name (so valid as long as charset is). An incomplete multibyte
 * sequence at the very end (a part cut at MAIL_MAX_BODY_RAW) is dropped.
 * Caller frees. */
char *mail_to_utf8(const char *in, size_t len, const char *charset, size_t *out_len,
		   const char **used);

enum mail_clean_mode {
	MAIL_CLEAN_BODY, /* CRLF and CR -> LF; tab and LF kept; other controls
			  * dropped; trailing white space at the end removed */
	MAIL_CLEAN_LINE, /* every run of white space or controls -> one space;
			  * trimmed at both ends (headers, names) */
};

/* Copies len bytes into valid UTF-8 without NUL: invalid sequences become
 * U+FFFD, C0/C1 controls and DEL are handled per mode, a leading BOM is
 * dropped. At most cap bytes are written, cut at a character boundary;
 * *truncated (when not NULL) is set to 1 if something was cut, else 0.
 * Returns a malloc'd string; *out_len (when not NULL) gets its length.
 * Caller frees. */
char *mail_clean_text(const char *in, size_t len, enum mail_clean_mode mode, size_t cap,
		      size_t *out_len, int *truncated);

/* HTML (UTF-8, len bytes) to plain text: libxml2's forgiving HTML parser
 * (no network, no error output, <meta charset> ignored since the input is
 * already UTF-8), then a walk over the text nodes. Entities are decoded;
 * script, style, head and template are skipped; <br> gives a line break,
 * <p>, headings, lists, tables, blockquote, pre and <div>-like blocks give
 * line breaks around them, list items start with "- "; white space is
 * collapsed as a browser does, except inside <pre>. The result is at most
 * about cap bytes of (uncleaned) UTF-8; *truncated set as above.
 * Returns a malloc'd string; caller frees. */
char *mail_html_to_text(const char *html, size_t len, size_t cap, size_t *out_len,
			int *truncated);

/* Looks for a <meta ... charset=NAME> in the first bytes of an HTML part
 * that came without a charset parameter. Copies NAME (letters, digits and
 * "-_.:") into out (size outsz) and returns 1, else 0. */
int mail_html_sniff_charset(const char *html, size_t len, char *out, size_t outsz);

#endif
