/* peakdesk: migrate the schema, publish department events, follow the bus,
 * and check the suite's health. */
#include <libpq-fe.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "log.h"

static const cli_cmd commands[] = {
	{"migrate", "apply the schema migrations in schema/ (checksummed, in order)", cmd_migrate},
	{"publish", "send department events (JSON lines or a binary IngestRequest) to a service", cmd_publish},
	{"tail", "follow events on the bus as a durable consumer, one JSON line each", cmd_tail},
	{"status", "health of each service, publisher seqs and consumer lag", cmd_status},
	{"account", "manage the gateway's channel accounts (add, list, disable)", cmd_account},
	{"agent", "manage agents (add prints the agent's API token once; list)", cmd_agent},
	{"group", "manage agent groups and departments (add, list)", cmd_group},
	{"rules", "the router's classification rules: list, show, set, enable, disable, delete, test", cmd_rules},
	{"forecast", "print a campaign's hourly staffing forecast beside the actual volume", cmd_forecast},
	{"report", "write a campaign's promo-day report: one self-contained HTML page with charts", cmd_report},
	{NULL, NULL, NULL},
};

int cli_wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return 1;
	return 0;
}

void cli_config(pd_config *cfg)
{
	char *argv[] = {"peakdesk", NULL};
	if (pd_config_load(cfg, "cli", "", NULL, 1, argv) != 0)
		cfg->instance[0] = 0;
	pd_log_init("cli", "cli", cfg->log_level, cfg->log_format);
}

PGconn *cli_db(const char *cmd)
{
	pd_config cfg;
	cli_config(&cfg);
	PGconn *c = PQconnectdb(cfg.db);
	if (PQstatus(c) != CONNECTION_OK) {
		fprintf(stderr, "peakdesk %s: cannot connect: %s", cmd, PQerrorMessage(c));
		PQfinish(c);
		return NULL;
	}
	PGresult *r = PQexec(c, "SET ROLE peakdesk_cli");
	int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
	PQclear(r);
	if (!ok) {
		fprintf(stderr, "peakdesk %s: cannot act as peakdesk_cli: %s", cmd, PQerrorMessage(c));
		PQfinish(c);
		return NULL;
	}
	return c;
}

static void usage(FILE *f)
{
	fprintf(f, "peakdesk: command-line tool of the peakdesk customer-service suite\n\n"
		   "Usage: peakdesk COMMAND [OPTIONS]   (peakdesk COMMAND --help for its options)\n\nCommands:\n");
	for (const cli_cmd *c = commands; c->name; c++)
		fprintf(f, "  %-9s %s\n", c->name, c->summary);
	fprintf(f, "\n");
	if (f == stdout)
		pd_config_print_core_help("<service>");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return 0;
	}
	for (const cli_cmd *c = commands; c->name; c++)
		if (strcmp(argv[1], c->name) == 0)
			return c->run(argc - 1, argv + 1);
	fprintf(stderr, "peakdesk: unknown command \"%s\"\n\n", argv[1]);
	usage(stderr);
	return 2;
}
