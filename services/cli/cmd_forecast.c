/* peakdesk forecast --campaign ID: the campaign's hourly staffing forecast
 * as the promo service last computed it, one line per hour with the agents
 * needed in all and per group, beside the tickets actually opened. */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define MAX_GROUPS 8

static void usage(FILE *f)
{
	fprintf(f, "Usage: peakdesk forecast --campaign ID [--tz ZONE]\n\n"
		   "Prints the campaign's hourly staffing forecast (Erlang C): expected orders and\n"
		   "consultations, agents needed in all and per group, the service level those agents\n"
		   "reach, and the consultations that actually came (tickets opened in the hour).\n"
		   "Times are shown in ZONE (default UTC), e.g. --tz Asia/Shanghai.\n");
}

int cmd_forecast(int argc, char **argv)
{
	const char *campaign = NULL, *tz = "UTC";
	if (cli_wants_help(argc, argv)) {
		usage(stdout);
		return 0;
	}
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--campaign") == 0 && i + 1 < argc) campaign = argv[++i];
		else if (strcmp(argv[i], "--tz") == 0 && i + 1 < argc) tz = argv[++i];
		else {
			fprintf(stderr, "peakdesk forecast: unknown option %s\n", argv[i]);
			usage(stderr);
			return 2;
		}
	}
	if (!campaign) {
		fprintf(stderr, "peakdesk forecast: --campaign is required\n");
		usage(stderr);
		return 2;
	}
	PGconn *c = cli_db("forecast");
	if (!c)
		return 1;
	int rc = 0;
	PGresult *h = PQexecParams(c,
			"SELECT c.name, f.consultation_rate, f.rate_source, f.avg_handle_seconds, f.chat_concurrency, "
			"f.target_answer_seconds, f.service_level_goal, f.group_shares::text, f.shares_source, "
			"to_char(f.computed_at AT TIME ZONE $2, 'YYYY-MM-DD HH24:MI:SS') "
			"FROM promo.campaigns c LEFT JOIN promo.forecasts f USING (campaign_id) WHERE c.campaign_id = $1",
			2, NULL, (const char *[]){campaign, tz}, NULL, NULL, 0);
	if (PQresultStatus(h) != PGRES_TUPLES_OK) {
		fprintf(stderr, "peakdesk forecast: %s", PQresultErrorMessage(h));
		PQclear(h);
		PQfinish(c);
		return 1;
	}
	if (PQntuples(h) == 0 || PQgetisnull(h, 0, 1)) {
		fprintf(stderr, "peakdesk forecast: %s\n",
			PQntuples(h) == 0 ? "no such campaign" : "no forecast yet: send the campaign's sales targets");
		PQclear(h);
		PQfinish(c);
		return 1;
	}
	printf("Campaign %s (%s): forecast of %s %s\n", campaign, PQgetvalue(h, 0, 0), PQgetvalue(h, 0, 9), tz);
	printf("  %.4f consultations per order (%s); %s s per chat, %s chats per agent;\n"
	       "  goal %.0f%% answered within %s s; group shares %s (%s)\n\n",
	       atof(PQgetvalue(h, 0, 1)), PQgetvalue(h, 0, 2), PQgetvalue(h, 0, 3), PQgetvalue(h, 0, 4),
	       100 * atof(PQgetvalue(h, 0, 6)), PQgetvalue(h, 0, 5), PQgetvalue(h, 0, 7), PQgetvalue(h, 0, 8));
	PQclear(h);

	PGresult *r = PQexecParams(c,
			"SELECT to_char(hour_start AT TIME ZONE $2, 'YYYY-MM-DD HH24:00'), group_name, expected_orders, "
			"expected_consultations, agents_needed, forecast_service_level, actual_consultations "
			"FROM analytics.forecast_vs_actual WHERE campaign_id = $1 ORDER BY hour_start, group_name <> '', group_name",
			2, NULL, (const char *[]){campaign, tz}, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		fprintf(stderr, "peakdesk forecast: %s", PQresultErrorMessage(r));
		rc = 1;
		goto out;
	}
	/* groups of the first hour make the columns */
	const char *groups[MAX_GROUPS];
	int n_groups = 0;
	for (int i = 1; i < PQntuples(r) && n_groups < MAX_GROUPS && !strcmp(PQgetvalue(r, i, 0), PQgetvalue(r, 0, 0)); i++)
		groups[n_groups++] = PQgetvalue(r, i, 1);
	printf("%-16s %10s %13s %7s", "hour", "orders", "consultations", "agents");
	for (int g = 0; g < n_groups; g++)
		printf(" %11.11s", groups[g]);
	printf(" %7s %8s\n", "SL", "actual");
	long peak = 0, total_agent_hours = 0;
	for (int i = 0; i < PQntuples(r);) {
		long agents = atol(PQgetvalue(r, i, 4));
		printf("%-16s %10.0f %13.0f %7ld", PQgetvalue(r, i, 0), atof(PQgetvalue(r, i, 2)),
		       atof(PQgetvalue(r, i, 3)), agents);
		const char *hour = PQgetvalue(r, i, 0);
		double sl = atof(PQgetvalue(r, i, 5));
		const char *actual = PQgetvalue(r, i, 6);
		int j = i + 1;
		for (int g = 0; g < n_groups; g++, j++)
			printf(" %11s", j < PQntuples(r) && !strcmp(PQgetvalue(r, j, 0), hour) ? PQgetvalue(r, j, 4) : "-");
		printf(" %6.1f%% %8s\n", 100 * sl, actual);
		if (agents > peak)
			peak = agents;
		total_agent_hours += agents;
		while (j < PQntuples(r) && !strcmp(PQgetvalue(r, j, 0), hour))
			j++;
		i = j;
	}
	printf("\npeak %ld agents; %ld agent-hours in all (pooled queue)\n", peak, total_agent_hours);
out:
	PQclear(r);
	PQfinish(c);
	return rc;
}
