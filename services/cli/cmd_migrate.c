/* peakdesk migrate: applies schema/NNN_*.sql in order (see common/migrate.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "migrate.h"

int cmd_migrate(int argc, char **argv)
{
	const char *dir = getenv("PEAKDESK_SCHEMA_DIR") ? getenv("PEAKDESK_SCHEMA_DIR") : "schema";
	if (cli_wants_help(argc, argv)) {
		printf("Usage: peakdesk migrate [--dir DIR]\n\n"
		       "Applies the migrations in DIR (default $PEAKDESK_SCHEMA_DIR or ./schema) to the\n"
		       "database in PEAKDESK_DB, each in its own transaction, recorded with its SHA-256\n"
		       "in public.peakdesk_migrations. Refuses to run when an applied migration was\n"
		       "edited or removed. Connect as the database owner (it creates roles and schemas).\n");
		return 0;
	}
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc) {
			dir = argv[++i];
		} else {
			fprintf(stderr, "peakdesk migrate: unknown option %s (see --help)\n", argv[i]);
			return 2;
		}
	}
	pd_config cfg;
	cli_config(&cfg);
	const char *db = getenv("PEAKDESK_DB") ? getenv("PEAKDESK_DB") : "dbname=peakdesk";
	pd_errbuf eb = {{0}};
	int applied;
	int rc = pd_migrate(db, dir, 1, &applied, &eb);
	if (rc != PD_OK) {
		fprintf(stderr, "peakdesk migrate: %s\n", eb.msg);
		return 1;
	}
	printf("migrate: %d applied, schema up to date\n", applied);
	return 0;
}
