/* Environment configuration (see config.h). The table below is the single
 * source of names, defaults and help texts. */
#include "config.h"
#include "nng_tls.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const pd_service_info pd_services[] = {
	{"gateway", 8080, 0},
	{"router", 8081, 0},
	{"logistics", 8082, 1},
	{"stock", 8083, 1},
	{"promo", 8084, 1},
	{"survey", 8085, 0},
	{NULL, 0, 0},
};

const pd_service_info *pd_service_find(const char *name)
{
	for (const pd_service_info *s = pd_services; s->name; s++)
		if (name && strcmp(s->name, name) == 0)
			return s;
	return NULL;
}

static void upper(const char *in, char *out, size_t outlen)
{
	size_t i = 0;
	for (; in[i] && i + 1 < outlen; i++)
		out[i] = (char)toupper((unsigned char)in[i]);
	out[i] = 0;
}

static const char *env_or(const char *name, const char *def)
{
	const char *v = getenv(name);
	return v && *v ? v : def;
}

void pd_config_run_dir(char *out, size_t outlen)
{
	snprintf(out, outlen, "%s", env_or("PEAKDESK_RUN_DIR", "./var/run"));
}

void pd_config_service_addr(const char *service, const char *kind,
			    const char *run_dir, char *out, size_t outlen)
{
	char up[32], var[64];
	upper(service, up, sizeof(up));
	snprintf(var, sizeof(var), "PEAKDESK_%s_%s", up, kind);
	const char *v = getenv(var);
	if (v && *v) {
		snprintf(out, outlen, "%s", v);
		return;
	}
	const pd_service_info *si = pd_service_find(service);
	if (strcmp(kind, "HTTP") == 0)
		snprintf(out, outlen, "127.0.0.1:%d", si ? si->http_port : 0);
	else if (strcmp(kind, "PUB") == 0)
		snprintf(out, outlen, "ipc://%s/%s.pub", run_dir, service);
	else if (strcmp(kind, "INGEST") == 0 && si && si->has_ingest)
		snprintf(out, outlen, "ipc://%s/%s.ingest", run_dir, service);
	else
		out[0] = 0;
}

int pd_config_pub_addrs(const char *run_dir, char (*buf)[PD_CFG_STR], const char **addrs)
{
	int n = 0;
	char list[PD_CFG_STR];
	for (const pd_service_info *s = pd_services; s->name; s++) {
		/* several instances of a service: every address of the list */
		pd_config_service_addr(s->name, "PUB", run_dir, list, sizeof(list));
		char *save = NULL;
		for (char *a = strtok_r(list, ", ", &save); a && n < PD_SERVICES_MAX; a = strtok_r(NULL, ", ", &save)) {
			snprintf(buf[n], PD_CFG_STR, "%s", a);
			addrs[n] = buf[n];
			n++;
		}
	}
	addrs[n] = NULL;
	return n;
}

/* Core keys: name pattern ("%s" = upper-case service), default, help. */
struct core_key {
	const char *pattern;
	const char *def;
	const char *help;
};
static const struct core_key core_keys[] = {
	{"PEAKDESK_DB", "dbname=peakdesk", "libpq conninfo shared by every binary"},
	{"PEAKDESK_%s_DB", "(PEAKDESK_DB)", "conninfo for this service only; it always works as role peakdesk_<service>"},
	{"PEAKDESK_RUN_DIR", "./var/run", "directory of the local ipc sockets"},
	{"PEAKDESK_INSTANCE", "<service>-1", "instance (publisher) name; one running copy per name"},
	{"PEAKDESK_%s_PUB", "ipc://$RUN_DIR/<service>.pub",
	 "NNG PUB address (ipc://, tcp://, tls+tcp://); a comma-separated list names every instance's "
	 "(consumers dial all, an instance binds the first: its own)"},
	{"PEAKDESK_%s_INGEST", "ipc://$RUN_DIR/<service>.ingest",
	 "NNG REP ingest address (department-facing services); a list as for _PUB (clients spread over all)"},
	{"PEAKDESK_%s_HTTP", "127.0.0.1:<port>", "HTTP listen host:port"},
	{"PEAKDESK_TLS_CERT", "(none)", "our certificate, PEM file (required when an address is tls+tcp://)"},
	{"PEAKDESK_TLS_KEY", "(none)", "its private key, PEM file (secret; required with tls+tcp://)"},
	{"PEAKDESK_TLS_CA", "(none)", "CA certificate(s) every peer must be signed by, PEM file (mutual TLS)"},
	{"PEAKDESK_TLS_SERVER_NAME", "(host of the address)", "name a dialer expects in the server's certificate"},
	{"PEAKDESK_OUTBOX_RETENTION_HOURS", "168", "outbox rows older than this and applied by every consumer are purged"},
	{"PEAKDESK_PUBLISHER_LOCK_WAIT_MS", "15000",
	 "how long a starting instance waits for its publisher name (a crashed predecessor's session)"},
	{"PEAKDESK_LOG_LEVEL", "info", "debug, info, warn or error"},
	{"PEAKDESK_LOG_FORMAT", "logfmt", "logfmt or json"},
};

void pd_config_print_core_help(const char *service)
{
	char up[32];
	upper(service, up, sizeof(up));
	printf("Environment:\n");
	for (size_t i = 0; i < sizeof(core_keys) / sizeof(core_keys[0]); i++) {
		char name[96];
		snprintf(name, sizeof(name), core_keys[i].pattern, up);
		printf("  %-30s %s\n  %-30s   default: %s\n", name, core_keys[i].help, "",
		       core_keys[i].def);
	}
}

int pd_config_tls_needed(char *var, size_t varlen, char *addr, size_t addrlen)
{
	char run_dir[PD_CFG_STR];
	pd_config_run_dir(run_dir, sizeof(run_dir));
	static const char *const kinds[] = {"PUB", "INGEST"};
	for (const pd_service_info *s = pd_services; s->name; s++) {
		for (size_t k = 0; k < 2; k++) {
			char a[PD_CFG_STR], up[32];
			pd_config_service_addr(s->name, kinds[k], run_dir, a, sizeof(a));
			/* the value may be a list (several instances) */
			char *save = NULL;
			for (char *e = strtok_r(a, ", ", &save); e; e = strtok_r(NULL, ", ", &save)) {
				if (!pd_nng_addr_is_tls(e))
					continue;
				upper(s->name, up, sizeof(up));
				snprintf(var, varlen, "PEAKDESK_%s_%s", up, kinds[k]);
				snprintf(addr, addrlen, "%s", e);
				return 1;
			}
		}
	}
	return 0;
}

int pd_config_load(pd_config *cfg, const char *service, const char *synopsis,
		   const pd_config_extra *extras, int argc, char **argv)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->service = service;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			printf("%s\n\n", synopsis);
			pd_config_print_core_help(service);
			for (const pd_config_extra *e = extras; e && e->env; e++)
				printf("  %-30s %s\n  %-30s   default: %s\n", e->env, e->help, "",
				       e->secret ? "(empty)" : (*e->def ? e->def : "(empty)"));
			return 1;
		}
	}
	char up[32], var[96];
	upper(service, up, sizeof(up));

	snprintf(var, sizeof(var), "PEAKDESK_%s_DB", up);
	snprintf(cfg->db, sizeof(cfg->db), "%s",
		 env_or(var, env_or("PEAKDESK_DB", "dbname=peakdesk")));
	snprintf(cfg->role, sizeof(cfg->role), "peakdesk_%s", service);
	pd_config_run_dir(cfg->run_dir, sizeof(cfg->run_dir));
	char definst[48];
	snprintf(definst, sizeof(definst), "%.40s-1", service);
	snprintf(cfg->instance, sizeof(cfg->instance), "%s", env_or("PEAKDESK_INSTANCE", definst));
	pd_config_service_addr(service, "PUB", cfg->run_dir, cfg->pub, sizeof(cfg->pub));
	/* A list names every instance's PUB for consumers; an instance binds
	 * the first, its own (docs/scaling.md). */
	cfg->pub[strcspn(cfg->pub, ", ")] = 0;
	pd_config_service_addr(service, "INGEST", cfg->run_dir, cfg->ingest, sizeof(cfg->ingest));
	cfg->ingest[strcspn(cfg->ingest, ", ")] = 0; /* the same for departments' ingest */
	pd_config_service_addr(service, "HTTP", cfg->run_dir, cfg->http, sizeof(cfg->http));
	snprintf(cfg->log_level, sizeof(cfg->log_level), "%s", env_or("PEAKDESK_LOG_LEVEL", "info"));
	snprintf(cfg->log_format, sizeof(cfg->log_format), "%s", env_or("PEAKDESK_LOG_FORMAT", "logfmt"));

	/* Instance names go into advisory-lock keys, outbox rows and log lines:
	 * keep them to a safe alphabet and tied to their service. */
	size_t sl = strlen(service);
	if (strncmp(cfg->instance, service, sl) != 0 || cfg->instance[sl] != '-' ||
	    !cfg->instance[sl + 1]) {
		fprintf(stderr, "PEAKDESK_INSTANCE=%s: must be %s-<name>, e.g. %s-1\n",
			cfg->instance, service, service);
		return -1;
	}
	for (const char *p = cfg->instance; *p; p++) {
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_') {
			fprintf(stderr, "PEAKDESK_INSTANCE=%s: only letters, digits, '-' and '_'\n",
				cfg->instance);
			return -1;
		}
	}
	if (strcmp(cfg->log_level, "debug") && strcmp(cfg->log_level, "info") &&
	    strcmp(cfg->log_level, "warn") && strcmp(cfg->log_level, "error")) {
		fprintf(stderr, "PEAKDESK_LOG_LEVEL=%s: must be debug, info, warn or error\n",
			cfg->log_level);
		return -1;
	}
	if (strcmp(cfg->log_format, "logfmt") && strcmp(cfg->log_format, "json")) {
		fprintf(stderr, "PEAKDESK_LOG_FORMAT=%s: must be logfmt or json\n", cfg->log_format);
		return -1;
	}
	/* Every binary listens on or dials some of the suite's addresses (the
	 * consumers dial every PUB): one tls+tcp:// among them needs the TLS
	 * files, checked now rather than at the first connection. */
	char tvar[64], taddr[PD_CFG_STR];
	if (pd_config_tls_needed(tvar, sizeof(tvar), taddr, sizeof(taddr))) {
		pd_tls_settings ts;
		char err[PD_CFG_STR + 256];
		pd_tls_settings_env(&ts);
		if (pd_tls_settings_check(&ts, 1, err, sizeof(err)) != 0) {
			fprintf(stderr, "%s; needed because %s=%s\n", err, tvar, taddr);
			return -1;
		}
	}
	for (const pd_config_extra *e = extras; e && e->env; e++)
		snprintf(e->dst, e->dstlen, "%s", env_or(e->env, e->def));
	return 0;
}
