/* peakdesk group: agent groups and departments (router.groups). */
#include <libpq-fe.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

int cmd_group(int argc, char **argv)
{
	if (argc < 2 || cli_wants_help(argc, argv)) {
		printf("Usage:\n  peakdesk group add --name NAME [--description TEXT] [--department]\n"
		       "  peakdesk group list\n\nA department group (warehouse, finance, ...) receives tickets\n"
		       "transferred to that department.\n");
		return argc < 2 ? 2 : 0;
	}
	PGconn *c;
	PGresult *r;
	int rc = 0;
	if (strcmp(argv[1], "add") == 0) {
		const char *name = NULL, *desc = "", *dept = "false";
		for (int i = 2; i < argc; i++) {
			if (strcmp(argv[i], "--name") == 0 && i + 1 < argc) name = argv[++i];
			else if (strcmp(argv[i], "--description") == 0 && i + 1 < argc) desc = argv[++i];
			else if (strcmp(argv[i], "--department") == 0) dept = "true";
			else {
				fprintf(stderr, "peakdesk group add: unknown option %s\n", argv[i]);
				return 2;
			}
		}
		if (!name) {
			fprintf(stderr, "peakdesk group add: --name is required\n");
			return 2;
		}
		if (!(c = cli_db("group")))
			return 1;
		const char *vals[3] = {name, desc, dept};
		r = PQexecParams(c, "INSERT INTO router.groups(name, description, department) VALUES ($1, $2, $3) "
				    "ON CONFLICT (name) DO UPDATE SET description = excluded.description, "
				    "department = excluded.department",
				 3, NULL, vals, NULL, NULL, 0);
		if (PQresultStatus(r) != PGRES_COMMAND_OK) {
			fprintf(stderr, "peakdesk group add: %s", PQresultErrorMessage(r));
			rc = 1;
		} else {
			printf("group %s\n", name);
		}
	} else if (strcmp(argv[1], "list") == 0) {
		if (!(c = cli_db("group")))
			return 1;
		r = PQexec(c, "SELECT name, CASE WHEN department THEN 'department' ELSE 'team' END, description "
			      "FROM router.groups ORDER BY 1");
		if (PQresultStatus(r) != PGRES_TUPLES_OK) {
			fprintf(stderr, "peakdesk group list: %s", PQresultErrorMessage(r));
			rc = 1;
		} else {
			for (int i = 0; i < PQntuples(r); i++)
				printf("%-16s %-10s %s\n", PQgetvalue(r, i, 0), PQgetvalue(r, i, 1), PQgetvalue(r, i, 2));
		}
	} else {
		fprintf(stderr, "peakdesk group: unknown action %s (add, list)\n", argv[1]);
		return 2;
	}
	PQclear(r);
	PQfinish(c);
	return rc;
}
