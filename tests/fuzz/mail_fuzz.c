/* libFuzzer harness for the e-mail parser (services/gateway/mail_parse.c,
 * mail_text.c): the input is one raw message for mail_parse, exactly as the
 * MTA would pipe it. On success the harness checks the documented
 * invariants (valid UTF-8 everywhere, caps, counts, a usable From), and it
 * also looks for a public id token in the input as a subject line.
 * Seeds: tests/fuzz/corpus/mail/ (the project's own fixtures of
 * tests/data/email plus a few hand-made edge cases). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../services/gateway/mail_parse.h"
#include "codec.h"

static void check_str(const char *s, size_t cap)
{
	/* Anything that fails here is a parser bug: crash so libFuzzer keeps it. */
	if (!s)
		abort();
	size_t n = strlen(s);
	if (n > cap || !pd_utf8_valid(s, n))
		abort();
}

static void check_message(const mail_message *m)
{
	check_str(m->message_id, MAIL_MAX_ID);
	check_str(m->in_reply_to, MAIL_MAX_ID);
	check_str(m->from_addr, MAIL_MAX_LINE);
	check_str(m->from_name, MAIL_MAX_LINE);
	check_str(m->subject, MAIL_MAX_LINE);
	check_str(m->body_charset, MAIL_CHARSET_MAX - 1);
	if (!strchr(m->from_addr, '@'))
		abort();
	if (!m->text || strlen(m->text) != m->text_len || m->text_len > MAIL_MAX_TEXT ||
	    !pd_utf8_valid(m->text, m->text_len))
		abort();
	if ((m->n_references == 0) != (m->references == NULL) || m->n_references > MAIL_MAX_REFERENCES)
		abort();
	for (size_t i = 0; i < m->n_references; i++)
		check_str(m->references[i], MAIL_MAX_ID);
	if ((m->n_to == 0) != (m->to == NULL) || m->n_to > MAIL_MAX_RCPT)
		abort();
	for (size_t i = 0; i < m->n_to; i++)
		check_str(m->to[i], MAIL_MAX_LINE);
	if ((m->n_cc == 0) != (m->cc == NULL) || m->n_cc > MAIL_MAX_RCPT)
		abort();
	for (size_t i = 0; i < m->n_cc; i++)
		check_str(m->cc[i], MAIL_MAX_LINE);
	if ((m->n_attachments == 0) != (m->attachments == NULL) ||
	    m->n_attachments > MAIL_MAX_ATTACHMENTS ||
	    (m->n_attachments_omitted && m->n_attachments != MAIL_MAX_ATTACHMENTS))
		abort();
	for (size_t i = 0; i < m->n_attachments; i++) {
		const mail_attachment *a = &m->attachments[i];
		check_str(a->filename, MAIL_MAX_LINE);
		check_str(a->content_type, 255);
		check_str(a->content_id, MAIL_MAX_ID);
		if (strchr(a->filename, '/') || strchr(a->filename, '\\'))
			abort();
	}
	if (!m->auto_reason || m->is_bounce != (m->auto_reason[0] != '\0'))
		abort();
	size_t pl = strlen(m->public_id);
	if (pl != 0 && pl != MAIL_PUBLIC_ID_LEN)
		abort();
	if (m->date_ms < 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* An exact-size heap copy: ASan then sees any read past the end. */
	char *raw = malloc(size ? size : 1);
	if (!raw)
		return 0;
	if (size)
		memcpy(raw, data, size);

	mail_message m;
	pd_errbuf eb;
	int rc = mail_parse(raw, size, &m, &eb);
	if (rc == PD_OK) {
		check_message(&m);
		mail_message_free(&m);
	} else if ((rc != PD_EDECODE && rc != PD_ETOOBIG) || eb.msg[0] == '\0') {
		abort(); /* every failure says why, with one of the documented codes */
	}
	mail_message_free(&m); /* zeroed by now: must be harmless */

	/* The same bytes as a subject line for the token finder. */
	char *subject = malloc(size + 1);
	if (subject) {
		memcpy(subject, data, size);
		subject[size] = '\0';
		char id[MAIL_PUBLIC_ID_LEN + 1];
		if (mail_find_public_id(subject, id) == PD_OK &&
		    (strlen(id) != MAIL_PUBLIC_ID_LEN || strspn(id, MAIL_PUBLIC_ID_ALPHABET) != MAIL_PUBLIC_ID_LEN))
			abort();
		free(subject);
	}
	free(raw);
	return 0;
}
