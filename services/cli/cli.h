/* The peakdesk command-line tool: one file per subcommand. */
#ifndef PD_CLI_H
#define PD_CLI_H

#include "config.h"

typedef struct cli_cmd {
	const char *name;
	const char *summary;
	int (*run)(int argc, char **argv); /* argv[0] is the subcommand */
} cli_cmd;

int cmd_migrate(int argc, char **argv);
int cmd_publish(int argc, char **argv);
int cmd_tail(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_account(int argc, char **argv);
int cmd_agent(int argc, char **argv);
int cmd_group(int argc, char **argv);
int cmd_forecast(int argc, char **argv);
int cmd_rules(int argc, char **argv);
int cmd_report(int argc, char **argv);

/* 1 when argv holds --help or -h. */
int cli_wants_help(int argc, char **argv);
/* Loads the environment configuration the CLI shares with the services. */
void cli_config(pd_config *cfg);
/* Connects to PEAKDESK_DB working as role peakdesk_cli; NULL (message on
 * stderr naming cmd) when that fails. Caller PQfinish()es. */
struct pg_conn *cli_db(const char *cmd);

#endif
