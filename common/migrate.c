/* Migration runner (see migrate.h). */
#include "migrate.h"

#include <dirent.h>
#include <libpq-fe.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct mfile {
	int version;
	char name[256];
	char path[1024];
};

static int cmp_mfile(const void *a, const void *b)
{
	return ((const struct mfile *)a)->version - ((const struct mfile *)b)->version;
}

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *buf = malloc((size_t)n + 1);
	if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	if (buf) {
		buf[n] = 0;
		*len = (size_t)n;
	}
	return buf;
}

static void sha256_hex(const char *data, size_t len, char out[65])
{
	unsigned char md[32];
	unsigned int mdlen = 0;
	EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL);
	for (unsigned i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static int exec_ok(PGconn *c, const char *sql, pd_errbuf *eb)
{
	PGresult *r = PQexec(c, sql);
	ExecStatusType st = PQresultStatus(r);
	int ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
	if (!ok)
		pd_fail(eb, PD_EDB, "%s", PQresultErrorMessage(r));
	PQclear(r);
	return ok;
}

int pd_migrate(const char *conninfo, const char *dir, int verbose, int *applied, pd_errbuf *eb)
{
	*applied = 0;
	DIR *d = opendir(dir);
	if (!d)
		return pd_fail(eb, PD_EIO, "cannot open migrations directory %s", dir);
	struct mfile *files = NULL;
	size_t n = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		int v;
		size_t l = strlen(de->d_name);
		if (l < 5 || strcmp(de->d_name + l - 4, ".sql") != 0 || sscanf(de->d_name, "%d_", &v) != 1)
			continue;
		files = pd_xrealloc(files, (n + 1) * sizeof(*files));
		files[n].version = v;
		snprintf(files[n].name, sizeof(files[n].name), "%s", de->d_name);
		snprintf(files[n].path, sizeof(files[n].path), "%s/%s", dir, de->d_name);
		n++;
	}
	closedir(d);
	qsort(files, n, sizeof(*files), cmp_mfile);
	for (size_t i = 1; i < n; i++) {
		if (files[i].version == files[i - 1].version) {
			int rc = pd_fail(eb, PD_EINVAL, "two migrations numbered %d: %s and %s",
					 files[i].version, files[i - 1].name, files[i].name);
			free(files);
			return rc;
		}
	}

	PGconn *c = PQconnectdb(conninfo);
	int rc = PD_OK;
	if (PQstatus(c) != CONNECTION_OK) {
		rc = pd_fail(eb, PD_EDBDOWN, "cannot connect: %s", PQerrorMessage(c));
		goto out;
	}
	PQclear(PQexec(c, "SET client_min_messages = warning"));
	if (!exec_ok(c, "SELECT pg_advisory_lock(hashtext('peakdesk.migrate'))", eb) ||
	    !exec_ok(c, "CREATE TABLE IF NOT EXISTS public.peakdesk_migrations ("
			"version int PRIMARY KEY, name text NOT NULL, checksum text NOT NULL, "
			"applied_at timestamptz NOT NULL DEFAULT now())", eb)) {
		rc = PD_EDB;
		goto out;
	}
	PGresult *r = PQexec(c, "SELECT version, name, checksum FROM public.peakdesk_migrations ORDER BY version");
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		rc = pd_fail(eb, PD_EDB, "%s", PQresultErrorMessage(r));
		PQclear(r);
		goto out;
	}
	/* Every applied migration must still exist, unchanged. */
	for (int row = 0; row < PQntuples(r); row++) {
		int v = atoi(PQgetvalue(r, row, 0));
		struct mfile *f = NULL;
		for (size_t i = 0; i < n; i++)
			if (files[i].version == v)
				f = &files[i];
		if (!f) {
			rc = pd_fail(eb, PD_ECONFLICT, "applied migration %s is missing from %s",
				     PQgetvalue(r, row, 1), dir);
			PQclear(r);
			goto out;
		}
		size_t len;
		char *sql = read_file(f->path, &len);
		char sum[65] = "";
		if (sql)
			sha256_hex(sql, len, sum);
		free(sql);
		if (strcmp(sum, PQgetvalue(r, row, 2)) != 0) {
			rc = pd_fail(eb, PD_ECONFLICT,
				     "migration %s was edited after it was applied (checksum %.12s, recorded %.12s); "
				     "never edit an applied migration: add a new one",
				     f->name, sum, PQgetvalue(r, row, 2));
			PQclear(r);
			goto out;
		}
		f->version = -f->version - 1; /* mark applied */
	}
	PQclear(r);
	for (size_t i = 0; i < n; i++) {
		if (files[i].version < 0)
			continue;
		size_t len;
		char *sql = read_file(files[i].path, &len);
		if (!sql) {
			rc = pd_fail(eb, PD_EIO, "cannot read %s", files[i].path);
			goto out;
		}
		char sum[65], ver[16];
		sha256_hex(sql, len, sum);
		snprintf(ver, sizeof(ver), "%d", files[i].version);
		if (verbose)
			printf("migrate: applying %s\n", files[i].name);
		int ok = exec_ok(c, "BEGIN", eb) && exec_ok(c, sql, eb);
		free(sql);
		if (ok) {
			const char *vals[3] = {ver, files[i].name, sum};
			r = PQexecParams(c, "INSERT INTO public.peakdesk_migrations(version, name, checksum) VALUES ($1, $2, $3)",
					 3, NULL, vals, NULL, NULL, 0);
			ok = PQresultStatus(r) == PGRES_COMMAND_OK;
			if (!ok)
				pd_fail(eb, PD_EDB, "%s", PQresultErrorMessage(r));
			PQclear(r);
		}
		if (!ok || !exec_ok(c, "COMMIT", eb)) {
			char msg[PD_ERRMSG_MAX];
			snprintf(msg, sizeof(msg), "%s", eb->msg);
			PQclear(PQexec(c, "ROLLBACK"));
			rc = pd_fail(eb, PD_EDB, "%s failed: %s", files[i].name, msg);
			goto out;
		}
		(*applied)++;
	}
out:
	PQfinish(c);
	free(files);
	return rc;
}
