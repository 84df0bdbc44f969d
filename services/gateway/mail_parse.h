/* E-mail parser for the gateway's `mail` command (pure: no I/O, no database).
 * One RFC 5322 message as an MTA pipes it in -> mail_message: threading ids,
 * sender, subject, date, the body as UTF-8 text, attachment metadata and an
 * "automated mail" flag. MIME is GMime 3.2's (libgmime-3.0), HTML bodies go
 * through libxml2's HTML parser; charset handling is in mail_text.h.
 *
 * Ticket public id token. Outbound mail carries the ticket's public id in its
 * subject so that a reply threads to the ticket even when the customer's
 * client dropped In-Reply-To/References:
 *     "[#PD-" + 22 characters of MAIL_PUBLIC_ID_ALPHABET + "]"
 * e.g. "Re: 快递还没到 [#PD-k7m2xq9a4bcdefghijkmnp]". The 22 characters are
 * exactly what pd_public_id_new (common/ids.c) makes: 32 symbols without the
 * look-alikes l, o, 0, 1, so 110 random bits. Matching ignores case (the
 * alphabet has no capitals, so nothing can collide) and gives the id back in
 * lower case. Write the token with MAIL_PUBLIC_ID_TOKEN_FMT.
 *
 * Errors (pd_errbuf gets a reason fit for stderr, which the MTA puts in the
 * bounce it sends back):
 *   PD_ETOOBIG  input over MAIL_MAX_INPUT bytes, or more MIME structure than
 *               the MAIL_MAX_BOUNDARY_LINES / _HEADER_LINES / _HEADER_BYTES
 *               limits allow
 *   PD_EDECODE  empty input, no header block at all, or no usable From
 *               address (the message can never be stored: exit 65)
 *   PD_EINVAL   NULL arguments
 * Anything GMime can make sense of parses: broken MIME, unknown charsets and
 * odd dates give a best-effort result, never an error. */
#ifndef PD_MAIL_PARSE_H
#define PD_MAIL_PARSE_H

#include <stddef.h>
#include <stdint.h>

#include "pd.h"

#define MAIL_MAX_INPUT (10u << 20)      /* bytes of raw message accepted */
#define MAIL_MAX_TEXT (64u << 10)       /* bytes of body text kept (cut at a UTF-8 boundary) */
#define MAIL_MAX_BODY_RAW (2u << 20)    /* decoded bytes of the body part read before conversion */
#define MAIL_MAX_LINE 1000              /* bytes of subject, display name, filename */
#define MAIL_MAX_ID 998                 /* bytes of a Message-ID (RFC 5322 line limit) */
#define MAIL_MAX_REFERENCES 64          /* references kept: the root and the newest 63 */
#define MAIL_MAX_RCPT 100               /* To / Cc addresses kept, each */
#define MAIL_MAX_ATTACHMENTS 100        /* attachments listed; the rest only counted */
#define MAIL_MAX_DEPTH 32               /* MIME nesting followed */
/* Structure limits, checked by a linear scan before GMime sees the bytes:
 * GMime keeps a GObject per part (~1.5 KiB) and per header (~0.4 KiB), so
 * 10 MiB of "--b\n\n" lines made it take 2 GiB and 9 s. Real mail stays
 * far below these (a long Received chain is ~50 header lines). */
#define MAIL_MAX_BOUNDARY_LINES 10000   /* lines starting "--" (possible MIME boundaries) */
#define MAIL_MAX_HEADER_LINES 20000     /* header fields, all header blocks together */
#define MAIL_MAX_HEADER_BYTES (1u << 20) /* bytes of all header blocks together */
#define MAIL_CHARSET_MAX 48             /* body_charset buffer */

#define MAIL_PUBLIC_ID_LEN 22
#define MAIL_PUBLIC_ID_ALPHABET "abcdefghijkmnpqrstuvwxyz23456789"
#define MAIL_PUBLIC_ID_TOKEN_PREFIX "[#PD-"
#define MAIL_PUBLIC_ID_TOKEN_LEN (5 + MAIL_PUBLIC_ID_LEN + 1) /* "[#PD-" id "]" */
#define MAIL_PUBLIC_ID_TOKEN_FMT "[#PD-%s]"

/* One attachment, described but not kept. Strings are heap-owned by the
 * message, NUL-terminated, valid UTF-8, never NULL ("" when absent). */
typedef struct mail_attachment {
	char *filename;     /* decoded (RFC 2231 / 2047), directory part removed */
	char *content_type; /* "type/subtype", lower case */
	char *content_id;   /* Content-ID without <> (inline images) */
	uint64_t size;      /* bytes after transfer decoding (base64, QP, ...) */
	int is_inline;      /* Content-Disposition: inline or none */
} mail_attachment;

/* A parsed message. Every char * is heap-owned by the struct, valid UTF-8
 * without NUL (pd_utf8_valid), never NULL ("" when absent); the arrays are
 * NULL exactly when their count is 0. Release with mail_message_free. */
typedef struct mail_message {
	char *message_id;     /* Message-ID without <> */
	char *in_reply_to;    /* first msg-id of In-Reply-To, without <> */
	char **references;    /* References msg-ids without <>, oldest first */
	size_t n_references;
	char *from_addr;      /* addr-spec of the first From mailbox, ASCII-lowercased; never "" */
	char *from_name;      /* its display name, RFC 2047-decoded */
	char **to;            /* To addr-specs, lowercased, groups flattened */
	size_t n_to;
	char **cc;            /* Cc addr-specs, likewise */
	size_t n_cc;
	char *subject;        /* RFC 2047-decoded, whitespace runs folded to one space */
	char public_id[MAIL_PUBLIC_ID_LEN + 1]; /* ticket id from the subject token, "" if none */
	int64_t date_ms;      /* Date as unix ms; 0 when absent, unparsable or outside 1970-2099 */
	char *text;           /* body as UTF-8 text, lines ending in "\n" */
	size_t text_len;      /* strlen(text) <= MAIL_MAX_TEXT */
	int text_truncated;   /* 1 when the body was cut to MAIL_MAX_TEXT */
	int text_from_html;   /* 1 when text came from a text/html part */
	char body_charset[MAIL_CHARSET_MAX]; /* charset the body was decoded from ("" if no body) */
	mail_attachment *attachments;
	size_t n_attachments;
	size_t n_attachments_omitted; /* attachments past MAIL_MAX_ATTACHMENTS */
	int is_bounce;        /* 1 for automated mail: DSN/MDN (multipart/report),
			       * Auto-Submitted other than "no", Precedence
			       * bulk/junk/auto_reply, X-Autoreply/X-Autorespond,
			       * null Return-Path, From MAILER-DAEMON */
	const char *auto_reason; /* why is_bounce is set (static text), "" when not */
} mail_message;

/* Initialises GMime and libxml2 once per process. Idempotent and safe to call
 * from several threads; mail_parse calls it itself. */
void mail_init(void);

/* Parses len bytes of raw message (need not be NUL-terminated; CRLF or LF
 * line endings; a leading mbox "From " line is skipped). On PD_OK *out owns
 * heap memory: release with mail_message_free. On error *out is zeroed
 * (freeing it is harmless) and eb says why. */
int mail_parse(const char *raw, size_t len, mail_message *out, pd_errbuf *eb);

/* Frees what mail_parse allocated and zeroes *m. NULL is allowed. */
void mail_message_free(mail_message *m);

/* Finds the first "[#PD-<id>]" token (format above) in subject (UTF-8, NUL-
 * terminated). PD_OK with the lower-case id in out, else PD_ENOTFOUND and
 * out = "". */
int mail_find_public_id(const char *subject, char out[MAIL_PUBLIC_ID_LEN + 1]);

#endif
