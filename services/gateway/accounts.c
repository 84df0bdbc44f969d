/* Channel accounts, cached in memory for the HTTP handlers (which must not
 * wait on the database to refuse a bad signature) and reloaded by the
 * writer every few seconds, so `peakdesk account add` takes effect without
 * a restart. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway.h"
#include "log.h"

static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static gw_account *g_accounts;
static int g_n = -1;
static int g_reload_in_flight;

int gw_accounts_get(const char *name, gw_account *out)
{
	int rc = PD_ENOTFOUND;
	pthread_mutex_lock(&g_mu);
	for (int i = 0; i < g_n; i++) {
		if (strcmp(g_accounts[i].name, name) == 0) {
			*out = g_accounts[i];
			rc = PD_OK;
			break;
		}
	}
	pthread_mutex_unlock(&g_mu);
	return rc;
}

int gw_accounts_count(void)
{
	pthread_mutex_lock(&g_mu);
	int n = g_n;
	pthread_mutex_unlock(&g_mu);
	return n;
}

static int reload_apply(pd_txn *tx, pd_job *job)
{
	pd_errbuf eb = {{0}};
	int err;
	PGresult *r = pd_db_query(pd_txn_db(tx), "gw_accounts_load",
				  "SELECT name, channel, secret, token, aes_key, appid, url, disabled, access_token "
				  "FROM gateway.accounts ORDER BY name",
				  0, NULL, &err, &eb);
	if (!r)
		return err;
	int n = PQntuples(r);
	gw_account *a = pd_xcalloc((size_t)n + 1, sizeof(*a));
	for (int i = 0; i < n; i++) {
		snprintf(a[i].name, sizeof(a[i].name), "%s", PQgetvalue(r, i, 0));
		snprintf(a[i].channel, sizeof(a[i].channel), "%s", PQgetvalue(r, i, 1));
		snprintf(a[i].secret, sizeof(a[i].secret), "%s", PQgetvalue(r, i, 2));
		snprintf(a[i].token, sizeof(a[i].token), "%s", PQgetvalue(r, i, 3));
		snprintf(a[i].aes_key, sizeof(a[i].aes_key), "%s", PQgetvalue(r, i, 4));
		snprintf(a[i].appid, sizeof(a[i].appid), "%s", PQgetvalue(r, i, 5));
		snprintf(a[i].url, sizeof(a[i].url), "%s", PQgetvalue(r, i, 6));
		a[i].disabled = PQgetvalue(r, i, 7)[0] == 't';
		snprintf(a[i].token_api, sizeof(a[i].token_api), "%s", PQgetvalue(r, i, 8));
	}
	PQclear(r);
	pthread_mutex_lock(&g_mu);
	int was = g_n;
	free(g_accounts);
	g_accounts = a;
	g_n = n;
	pthread_mutex_unlock(&g_mu);
	if (was != n)
		pd_log_info("channel accounts loaded", "accounts=%d", n);
	return PD_OK;
}

static void reload_done(pd_job *job, int err, const pd_errbuf *eb)
{
	if (err != PD_OK)
		pd_log_warn("channel accounts not reloaded", "detail=\"%s\"", eb ? eb->msg : "");
	free(job);
	pthread_mutex_lock(&g_mu);
	g_reload_in_flight = 0;
	pthread_mutex_unlock(&g_mu);
}

void gw_accounts_reload(pd_bus *bus)
{
	pthread_mutex_lock(&g_mu);
	int busy = g_reload_in_flight;
	g_reload_in_flight = 1;
	pthread_mutex_unlock(&g_mu);
	if (busy)
		return;
	pd_job *j = pd_xcalloc(1, sizeof(*j));
	j->apply = reload_apply;
	j->done = reload_done;
	pd_bus_submit(bus, j);
}
