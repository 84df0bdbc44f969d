/* The survey collector's I/O shell: what main.c wires together. The pure
 * parts are survey_logic.c (answers, low scores, quiet hours, the signed
 * token), common/survey_answer.c (channel replies) and form_html.c. */
#ifndef SV_SURVEY_H
#define SV_SURVEY_H

#include "bus.h"
#include "survey_logic.h"

#define SV_KINDS_MAX 3
#define SV_SECRET_MIN 16

typedef struct sv_context {
	uint8_t secret[256]; /* HMAC key of the response links */
	size_t secret_len;
	char public_url[256];   /* base of the links, e.g. https://survey.shop.example */
	int kinds[SV_KINDS_MAX]; /* survey kinds rotated over tickets (enum pd_survey_kind) */
	int n_kinds;
	int64_t expiry_ms;       /* a link works this long after it is sent */
	int64_t min_gap_ms;      /* one invitation per customer per this long */
	sv_quiet_hours quiet;
} sv_context;

/* Consumer apply: ticket.resolved opens an invitation (sent now, queued
 * past quiet hours, or skipped with a reason); ticket.survey_reply records
 * a customer's bare answer on the channel (invite.c, respond.c). */
int sv_apply_event(pd_txn *tx, const Peakdesk__V1__Envelope *env, void *arg, pd_errbuf *eb);

/* Sends one invitation row now: the link, message.outbound and
 * survey.invitation_sent, state 'sent' (invite.c). */
int sv_send_invitation(pd_txn *tx, const sv_context *ctx, const char *invitation_id, pd_errbuf *eb);

/* Timer job: sends queued invitations whose quiet hours ended and expires
 * unanswered ones (invite.c). */
void sv_tick_submit(pd_bus *bus, const sv_context *ctx);

/* The outcome of recording an answer (respond.c). */
enum sv_outcome {
	SV_RECORDED = 0,
	SV_UNKNOWN,   /* no such invitation (or never sent) */
	SV_ANSWERED,  /* answered before: a response is accepted once */
	SV_EXPIRED,   /* the link expired */
	SV_INVALID,   /* the answer does not fit the survey (eb says why) */
};
typedef struct sv_answer {
	pd_survey_scores scores;
	const char *comment;
	const char *via;       /* "link" or "channel" */
	int64_t answered_at_ms;
} sv_answer;
/* One answer to record and, after sv_record_batch, what became of it. */
typedef struct sv_record_item {
	const char *invitation_id; /* UUID text */
	const sv_answer *answer;
	int outcome;               /* out: enum sv_outcome */
	int low;                   /* out: 1 for a low score */
	int kind;                  /* out: the invitation's kind, when known */
	pd_errbuf why;             /* out: for SV_INVALID, what does not fit */
} sv_record_item;
/* Records answers in tx with one locking read and one multi-row insert
 * (the link's requests arrive in group-committed batches): the response
 * rows, the invitations answered, survey.response_recorded and, for a low
 * score, survey.low_score. Every item gets its outcome; nothing is written
 * for one that is not SV_RECORDED, and a second answer to one invitation in
 * the same batch is SV_ANSWERED like a later one. */
int sv_record_batch(pd_txn *tx, sv_record_item *items, size_t n, pd_errbuf *eb);

/* ticket.survey_reply: the customer's bare answer on the channel (the
 * router recognised it), recorded like a link answer; the customer gets a
 * short thank-you, or a clear "already answered" / "expired" (respond.c). */
int sv_record_channel_reply(pd_txn *tx, const sv_context *ctx, const Peakdesk__V1__TicketEvent *te, int64_t at_ms,
			    pd_errbuf *eb);

/* Registers the response link: GET/POST /s/{token} and
 * /v1/surveys/{token} (link_http.c). */
struct pd_http;
int sv_link_http_route(struct pd_http *http, pd_bus *bus, const sv_context *ctx);

#endif
