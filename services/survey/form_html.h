/* The pages a customer sees behind the survey link (pure: strings in, HTML
 * out). Small, no scripts and no external assets, readable on a phone. */
#ifndef SV_FORM_HTML_H
#define SV_FORM_HTML_H

#include "db.h" /* pd_strbuf */

/* The form for a survey of `kind` about ticket public_id, posting to
 * action (the link's own path). */
void sv_html_form(pd_strbuf *b, int kind, const char *public_id, const char *action);

/* A one-message page: "thank you", "already answered", "expired", errors. */
void sv_html_message(pd_strbuf *b, const char *title, const char *text);

#endif
