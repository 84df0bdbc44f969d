/* peakdesk account: manage the gateway's channel accounts (gateway.accounts).
 * Secrets are written but never printed or logged. */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static void usage(void)
{
	printf("Usage:\n"
	       "  peakdesk account add --channel webhook|wechat|email --name NAME\n"
	       "                       [--secret S] [--token T --aes-key K --appid A --access-token X] [--url U]\n"
	       "  peakdesk account list\n"
	       "  peakdesk account disable --name NAME\n\n"
	       "webhook: --secret is the HMAC-SHA256 key the channel signs with; --url receives replies.\n"
	       "wechat:  --token (signature), --aes-key (43-character EncodingAESKey, safe mode), --appid,\n"
	       "         --url (API base for the customer-service send API), --access-token (its token).\n"
	       "email:   no secret; mail for it is piped to `peakdesk-gateway mail --account NAME`.\n"
	       "Adding an existing name updates it. The gateway picks changes up within seconds.\n"
	       "Secrets are stored for the gateway role only and never printed.\n");
}

static int add(int argc, char **argv)
{
	const char *channel = NULL, *name = NULL, *secret = "", *token = "", *aes = "", *appid = "", *url = "",
		   *access = "";
	/* options come in pairs: --name value */
	for (int i = 2; i < argc; i += 2) {
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!v) {
			fprintf(stderr, "peakdesk account add: %s needs a value\n", argv[i]);
			return 2;
		}
		if (strcmp(argv[i], "--channel") == 0) channel = v;
		else if (strcmp(argv[i], "--name") == 0) name = v;
		else if (strcmp(argv[i], "--secret") == 0) secret = v;
		else if (strcmp(argv[i], "--token") == 0) token = v;
		else if (strcmp(argv[i], "--aes-key") == 0) aes = v;
		else if (strcmp(argv[i], "--appid") == 0) appid = v;
		else if (strcmp(argv[i], "--url") == 0) url = v;
		else if (strcmp(argv[i], "--access-token") == 0) access = v;
		else {
			fprintf(stderr, "peakdesk account add: unknown option %s (see --help)\n", argv[i]);
			return 2;
		}
	}
	if (!channel || !name || (strcmp(channel, "webhook") && strcmp(channel, "wechat") && strcmp(channel, "email"))) {
		fprintf(stderr, "peakdesk account add: --channel webhook|wechat|email and --name are required\n");
		return 2;
	}
	if (strcmp(channel, "webhook") == 0 && strlen(secret) < 16) {
		fprintf(stderr, "peakdesk account add: a webhook account needs --secret of at least 16 characters\n");
		return 2;
	}
	if (strcmp(channel, "wechat") == 0 && (!*token || (*aes && strlen(aes) != 43))) {
		fprintf(stderr, "peakdesk account add: a wechat account needs --token; --aes-key must be 43 characters\n");
		return 2;
	}
	PGconn *c = cli_db("account");
	if (!c)
		return 1;
	const char *vals[8] = {name, channel, secret, token, aes, appid, url, access};
	PGresult *r = PQexecParams(c,
				   "INSERT INTO gateway.accounts(name, channel, secret, token, aes_key, appid, url, access_token) "
				   "VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (name) DO UPDATE SET "
				   "channel = excluded.channel, secret = excluded.secret, token = excluded.token, "
				   "aes_key = excluded.aes_key, appid = excluded.appid, url = excluded.url, "
				   "access_token = excluded.access_token, disabled = false, updated_at = now() RETURNING (xmax = 0)",
				   8, NULL, vals, NULL, NULL, 0);
	int rc = 0;
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		fprintf(stderr, "peakdesk account add: %s", PQresultErrorMessage(r));
		rc = 1;
	} else {
		printf("%s %s account %s\n", PQgetvalue(r, 0, 0)[0] == 't' ? "added" : "updated", channel, name);
	}
	PQclear(r);
	PQfinish(c);
	return rc;
}

static int list(void)
{
	PGconn *c = cli_db("account");
	if (!c)
		return 1;
	PGresult *r = PQexec(c, "SELECT name, channel, CASE WHEN secret <> '' OR token <> '' THEN 'set' ELSE '-' END, "
				"CASE WHEN aes_key <> '' THEN 'aes' ELSE '-' END, url, disabled, updated_at "
				"FROM gateway.accounts ORDER BY name");
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		fprintf(stderr, "peakdesk account list: %s", PQresultErrorMessage(r));
		PQclear(r);
		PQfinish(c);
		return 1;
	}
	printf("%-20s %-8s %-7s %-5s %-8s %s\n", "NAME", "CHANNEL", "SECRET", "SAFE", "STATE", "URL");
	for (int i = 0; i < PQntuples(r); i++)
		printf("%-20s %-8s %-7s %-5s %-8s %s\n", PQgetvalue(r, i, 0), PQgetvalue(r, i, 1), PQgetvalue(r, i, 2),
		       PQgetvalue(r, i, 3), PQgetvalue(r, i, 5)[0] == 't' ? "disabled" : "enabled", PQgetvalue(r, i, 4));
	PQclear(r);
	PQfinish(c);
	return 0;
}

static int disable(int argc, char **argv)
{
	if (argc != 4 || strcmp(argv[2], "--name") != 0) {
		fprintf(stderr, "peakdesk account disable: --name NAME is required\n");
		return 2;
	}
	PGconn *c = cli_db("account");
	if (!c)
		return 1;
	const char *vals[1] = {argv[3]};
	PGresult *r = PQexecParams(c, "UPDATE gateway.accounts SET disabled = true, updated_at = now() WHERE name = $1",
				   1, NULL, vals, NULL, NULL, 0);
	int rc = 0;
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		fprintf(stderr, "peakdesk account disable: %s", PQresultErrorMessage(r));
		rc = 1;
	} else if (strcmp(PQcmdTuples(r), "1") != 0) {
		fprintf(stderr, "peakdesk account disable: no account named %s\n", argv[3]);
		rc = 1;
	} else {
		printf("disabled account %s\n", argv[3]);
	}
	PQclear(r);
	PQfinish(c);
	return rc;
}

int cmd_account(int argc, char **argv)
{
	if (argc < 2 || cli_wants_help(argc, argv)) {
		usage();
		return argc < 2 ? 2 : 0;
	}
	if (strcmp(argv[1], "add") == 0)
		return add(argc, argv);
	if (strcmp(argv[1], "list") == 0)
		return list();
	if (strcmp(argv[1], "disable") == 0)
		return disable(argc, argv);
	fprintf(stderr, "peakdesk account: unknown action %s (add, list, disable)\n", argv[1]);
	return 2;
}
