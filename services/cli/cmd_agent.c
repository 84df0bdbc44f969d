/* peakdesk agent: add agents (printing their API token once; only its
 * SHA-256 is stored) and list them. */
#include <libpq-fe.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static void usage(void)
{
	printf("Usage:\n"
	       "  peakdesk agent add --name N --groups G1,G2 --tier frontline|lead|supervisor --capacity K\n"
	       "  peakdesk agent list\n\n"
	       "add creates the agent (or replaces their settings and token) and prints the API token\n"
	       "once: give it to the agent; it is not stored, only its SHA-256 is. The agent API takes\n"
	       "it as Authorization: Bearer <token>.\n");
}

static void hex(const unsigned char *b, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
}

static int add(int argc, char **argv)
{
	const char *name = NULL, *groups = "", *tier = "frontline", *capacity = "5";
	for (int i = 2; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--name") == 0) name = argv[i + 1];
		else if (strcmp(argv[i], "--groups") == 0) groups = argv[i + 1];
		else if (strcmp(argv[i], "--tier") == 0) tier = argv[i + 1];
		else if (strcmp(argv[i], "--capacity") == 0) capacity = argv[i + 1];
		else {
			fprintf(stderr, "peakdesk agent add: unknown option %s (see --help)\n", argv[i]);
			return 2;
		}
	}
	if (!name || (argc % 2) != 0) {
		fprintf(stderr, "peakdesk agent add: --name is required and every option takes a value\n");
		return 2;
	}
	unsigned char raw[32], md[32];
	unsigned int mdlen;
	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return 1;
	char token[8 + 65], hash[65];
	memcpy(token, "pdagent_", 8);
	hex(raw, sizeof(raw), token + 8);
	EVP_Digest(token, strlen(token), md, &mdlen, EVP_sha256(), NULL);
	hex(md, 32, hash);
	/* groups "a,b" -> array literal {a,b}; the database checks the names */
	char arr[600];
	snprintf(arr, sizeof(arr), "{%s}", groups);
	PGconn *c = cli_db("agent");
	if (!c)
		return 1;
	const char *vals[5] = {name, tier, arr, capacity, hash};
	PGresult *r = PQexecParams(c,
				   "INSERT INTO router.agents(agent_id, display_name, tier, groups, capacity, token_sha256) "
				   "SELECT $1, $1, $2, $3::text[], $4::int, $5 "
				   "WHERE (SELECT bool_and(g = ANY (SELECT name FROM router.groups)) FROM unnest($3::text[]) g) "
				   "IS NOT FALSE "
				   "ON CONFLICT (agent_id) DO UPDATE SET tier = excluded.tier, groups = excluded.groups, "
				   "capacity = excluded.capacity, token_sha256 = excluded.token_sha256 RETURNING agent_id",
				   5, NULL, vals, NULL, NULL, 0);
	int rc = 0;
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		fprintf(stderr, "peakdesk agent add: %s", PQresultErrorMessage(r));
		rc = 1;
	} else if (PQntuples(r) == 0) {
		fprintf(stderr, "peakdesk agent add: unknown group in %s (see peakdesk group list)\n", groups);
		rc = 1;
	} else {
		printf("agent %s (%s, capacity %s, groups %s)\ntoken: %s\n", name, tier, capacity, groups, token);
	}
	PQclear(r);
	PQfinish(c);
	return rc;
}

static int list(void)
{
	PGconn *c = cli_db("agent");
	if (!c)
		return 1;
	PGresult *r = PQexec(c, "SELECT agent_id, tier, array_to_string(groups, ','), capacity, presence, open_tickets "
				"FROM router.agents ORDER BY 1");
	int rc = 0;
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		fprintf(stderr, "peakdesk agent list: %s", PQresultErrorMessage(r));
		rc = 1;
	} else {
		printf("%-20s %-10s %-28s %8s %-8s %s\n", "AGENT", "TIER", "GROUPS", "CAPACITY", "PRESENCE", "OPEN");
		for (int i = 0; i < PQntuples(r); i++)
			printf("%-20s %-10s %-28s %8s %-8s %s\n", PQgetvalue(r, i, 0), PQgetvalue(r, i, 1),
			       PQgetvalue(r, i, 2), PQgetvalue(r, i, 3), PQgetvalue(r, i, 4), PQgetvalue(r, i, 5));
	}
	PQclear(r);
	PQfinish(c);
	return rc;
}

int cmd_agent(int argc, char **argv)
{
	if (argc < 2 || cli_wants_help(argc, argv)) {
		usage();
		return argc < 2 ? 2 : 0;
	}
	if (strcmp(argv[1], "add") == 0)
		return add(argc, argv);
	if (strcmp(argv[1], "list") == 0)
		return list();
	fprintf(stderr, "peakdesk agent: unknown action %s (add, list)\n", argv[1]);
	return 2;
}
