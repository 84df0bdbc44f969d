/* `peakdesk-gateway mail --account NAME`: one RFC 5322 message on stdin, the
 * way an MTA pipes mail (a Postfix alias or pipe transport), stored as a
 * customer message and emitted as message.inbound. Exit codes follow
 * sysexits so the MTA does the right thing: 0 stored (or a duplicate, or an
 * automated mail we ignore), 65 EX_DATAERR the message can never be parsed,
 * 67 EX_NOUSER no such e-mail account, 75 EX_TEMPFAIL database unreachable
 * (the MTA queues and retries). The reason goes to stderr, which the MTA
 * puts in its bounce or log. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include <openssl/evp.h>

#include "config.h"
#include "gateway.h"
#include "ids.h"
#include "log.h"
#include "mail_parse.h"

struct mail_job {
	pd_job job;
	const char *account;
	Peakdesk__V1__CustomerMessage *msg;
	int exit_code;
	int duplicate;
	char reason[PD_ERRMSG_MAX];
	int finished;
	pthread_mutex_t mu;
	pthread_cond_t cv;
};

static int mail_apply(pd_txn *tx, pd_job *job)
{
	struct mail_job *j = (struct mail_job *)job;
	pd_errbuf eb = {{0}};
	int err;
	PGresult *r = pd_db_query(pd_txn_db(tx), NULL,
				  "SELECT channel, disabled FROM gateway.accounts WHERE name = $1", 1,
				  (const char *[]){j->account}, &err, &eb);
	if (!r)
		return err;
	int ok = PQntuples(r) == 1 && strcmp(PQgetvalue(r, 0, 0), "email") == 0 && PQgetvalue(r, 0, 1)[0] != 't';
	PQclear(r);
	if (!ok) {
		j->exit_code = EX_NOUSER;
		snprintf(j->reason, sizeof(j->reason), "no enabled e-mail account named %s", j->account);
		return PD_OK;
	}
	char id[37];
	int rc = gw_store_inbound(tx, j->msg, &j->duplicate, id, &eb);
	if (rc == PD_OK) {
		j->exit_code = EX_OK;
		snprintf(j->reason, sizeof(j->reason), "%s message %s", j->duplicate ? "duplicate of" : "stored as", id);
	} else {
		snprintf(j->reason, sizeof(j->reason), "%s", eb.msg);
	}
	return rc;
}

static void mail_done(pd_job *job, int err, const pd_errbuf *eb)
{
	struct mail_job *j = (struct mail_job *)job;
	pthread_mutex_lock(&j->mu);
	if (err != PD_OK) {
		/* Nothing committed: a temporary failure the MTA should retry. */
		j->exit_code = EX_TEMPFAIL;
		snprintf(j->reason, sizeof(j->reason), "not stored: %.200s", eb && eb->msg[0] ? eb->msg : pd_strerror(err));
	}
	j->finished = 1;
	pthread_cond_signal(&j->cv);
	pthread_mutex_unlock(&j->mu);
}

static char *read_all(FILE *in, size_t max, size_t *len)
{
	size_t cap = 1 << 16, n = 0;
	char *buf = pd_xmalloc(cap + 1);
	size_t got;
	while ((got = fread(buf + n, 1, cap - n, in)) > 0) {
		n += got;
		if (n > max)
			break;
		if (n == cap)
			buf = pd_xrealloc(buf, (cap *= 2) + 1);
	}
	buf[n] = 0;
	*len = n;
	return buf;
}

int gw_mail_main(int argc, char **argv)
{
	const char *account = NULL;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--account") == 0 && i + 1 < argc)
			account = argv[++i];
		else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			printf("Usage: peakdesk-gateway mail --account NAME < message.eml\n\n"
			       "Stores one RFC 5322 message read on stdin for the e-mail account NAME, as an MTA\n"
			       "pipes it (Postfix: alias \"support: |/usr/bin/peakdesk-gateway mail --account support\").\n"
			       "Exit: 0 stored (or duplicate, or an automated mail ignored), 65 unparsable,\n"
			       "67 no such account, 75 database unavailable (the MTA retries later).\n");
			return EX_OK;
		} else {
			fprintf(stderr, "peakdesk-gateway mail: unknown option %s\n", argv[i]);
			return EX_USAGE;
		}
	}
	if (!account) {
		fprintf(stderr, "peakdesk-gateway mail: --account NAME is required\n");
		return EX_USAGE;
	}
	pd_config cfg;
	char *cargv[] = {"peakdesk-gateway", NULL};
	if (pd_config_load(&cfg, "gateway", "", NULL, 1, cargv) != 0)
		return EX_CONFIG;
	pd_log_init("gateway", "gateway-mail", "warn", cfg.log_format);

	size_t len;
	char *raw = read_all(stdin, MAIL_MAX_INPUT, &len);
	if (len > MAIL_MAX_INPUT) {
		fprintf(stderr, "peakdesk-gateway mail: message larger than %u bytes\n", MAIL_MAX_INPUT);
		free(raw);
		return EX_DATAERR;
	}
	mail_init();
	mail_message m;
	pd_errbuf eb = {{0}};
	if (mail_parse(raw, len, &m, &eb) != PD_OK) {
		fprintf(stderr, "peakdesk-gateway mail: cannot parse the message: %s\n", eb.msg);
		free(raw);
		return EX_DATAERR;
	}
	if (m.is_bounce) {
		/* Auto-replies and bounces must not open tickets (or mail loops). */
		fprintf(stderr, "peakdesk-gateway mail: ignored automated mail (%s)\n", m.auto_reason);
		mail_message_free(&m);
		free(raw);
		return EX_OK;
	}
	/* A message without Message-ID still needs a stable identity so the
	 * MTA's retry is a duplicate: the hash of its bytes. */
	char derived[80];
	if (!m.message_id || !*m.message_id) {
		unsigned char md[32];
		unsigned int mdlen;
		EVP_Digest(raw, len, md, &mdlen, EVP_sha256(), NULL);
		int o = snprintf(derived, sizeof(derived), "sha256:");
		for (int i = 0; i < 16; i++)
			o += snprintf(derived + o, sizeof(derived) - (size_t)o, "%02x", md[i]);
	}
	free(raw);

	Peakdesk__V1__CustomerMessage msg = PEAKDESK__V1__CUSTOMER_MESSAGE__INIT;
	msg.channel = PEAKDESK__V1__CHANNEL_KIND__CHANNEL_KIND_EMAIL;
	msg.account = (char *)account;
	msg.external_user_id = m.from_addr;
	msg.external_user_name = m.from_name ? m.from_name : "";
	msg.external_message_id = m.message_id && *m.message_id ? m.message_id : derived;
	msg.text = m.text ? m.text : "";
	msg.subject = m.subject ? m.subject : "";
	msg.in_reply_to = m.in_reply_to ? m.in_reply_to : "";
	msg.references = m.references;
	msg.n_references = m.n_references;
	msg.ticket_public_id = m.public_id;
	msg.message_type = "email";
	msg.sent_at_ms = m.date_ms ? m.date_ms : pd_now_ms();
	Peakdesk__V1__Attachment *atts = pd_xcalloc(m.n_attachments + 1, sizeof(*atts));
	Peakdesk__V1__Attachment **attp = pd_xcalloc(m.n_attachments + 1, sizeof(*attp));
	char (*urls)[300] = pd_xcalloc(m.n_attachments + 1, sizeof(*urls));
	for (size_t i = 0; i < m.n_attachments; i++) {
		peakdesk__v1__attachment__init(&atts[i]);
		/* The bytes stay with the MTA's copy of the mail; a Content-ID lets
		 * an agent's tool find the part, else the file name does. */
		if (m.attachments[i].content_id && *m.attachments[i].content_id)
			snprintf(urls[i], sizeof(urls[i]), "cid:%.290s", m.attachments[i].content_id);
		else
			urls[i][0] = 0;
		atts[i].url = urls[i];
		atts[i].content_type = m.attachments[i].content_type ? m.attachments[i].content_type : "";
		atts[i].name = m.attachments[i].filename ? m.attachments[i].filename : "";
		atts[i].size_bytes = (int64_t)m.attachments[i].size;
		attp[i] = &atts[i];
	}
	msg.attachments = attp;
	msg.n_attachments = m.n_attachments;

	pd_bus *bus;
	/* One publisher name shared by every piped mail: concurrent deliveries
	 * take turns on its lock; no PUB socket (consumers poll the outbox). */
	pd_bus_options bo = {.service = "gateway", .instance = "gateway-mail", .conninfo = cfg.db,
			     .role = cfg.role, .connect_wait_ms = 5000, .lock_wait_ms = 30000};
	int rc = pd_bus_open(&bus, &bo, &eb);
	int code;
	if (rc != PD_OK) {
		fprintf(stderr, "peakdesk-gateway mail: not stored, try again later: %s\n", eb.msg);
		code = EX_TEMPFAIL;
	} else {
		struct mail_job j = {.job = {.apply = mail_apply, .done = mail_done}, .account = account, .msg = &msg};
		pthread_mutex_init(&j.mu, NULL);
		pthread_cond_init(&j.cv, NULL);
		pd_bus_submit(bus, &j.job);
		pthread_mutex_lock(&j.mu);
		while (!j.finished)
			pthread_cond_wait(&j.cv, &j.mu);
		pthread_mutex_unlock(&j.mu);
		pd_bus_close(bus);
		code = j.exit_code;
		if (code != EX_OK)
			fprintf(stderr, "peakdesk-gateway mail: %s\n", j.reason);
		pthread_mutex_destroy(&j.mu);
		pthread_cond_destroy(&j.cv);
	}
	free(atts);
	free(attp);
	free(urls);
	mail_message_free(&m);
	return code;
}
