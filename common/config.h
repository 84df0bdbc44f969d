/* Configuration from the environment, one table per binary.
 *
 * Every binary reads the same core keys (PEAKDESK_DB, PEAKDESK_<SERVICE>_DB,
 * PEAKDESK_RUN_DIR, PEAKDESK_INSTANCE, PEAKDESK_<SERVICE>_PUB/_INGEST/_HTTP,
 * PEAKDESK_TLS_CERT/_KEY/_CA/_SERVER_NAME, PEAKDESK_LOG_LEVEL,
 * PEAKDESK_LOG_FORMAT) plus its own extras. The same table
 * drives loading, validation and `--help`, so the shown defaults never drift
 * from the real ones. */
#ifndef PD_CONFIG_H
#define PD_CONFIG_H

#include <stddef.h>

#define PD_CFG_STR 512

/* One service of the suite and its default local addresses. */
typedef struct pd_service_info {
	const char *name;      /* "logistics" */
	int http_port;         /* default HTTP port on 127.0.0.1 */
	int has_ingest;        /* binds an NNG REP ingest socket */
} pd_service_info;

/* The six services in start order; NULL-terminated by name. */
extern const pd_service_info pd_services[];
const pd_service_info *pd_service_find(const char *name);

typedef struct pd_config {
	const char *service;         /* "logistics"; "cli" for the peakdesk tool */
	char instance[64];           /* publisher name, e.g. "logistics-1" */
	char db[PD_CFG_STR];         /* libpq conninfo */
	char role[64];               /* database role to SET ROLE to */
	char run_dir[PD_CFG_STR];
	char pub[PD_CFG_STR];        /* NNG PUB listen address */
	char ingest[PD_CFG_STR];     /* NNG REP listen address ("" when none) */
	char http[PD_CFG_STR];       /* host:port */
	char log_level[16];
	char log_format[16];
} pd_config;

/* A binary's own extra key. dst receives the value (default if unset). */
typedef struct pd_config_extra {
	const char *env;      /* full variable name, e.g. "PEAKDESK_KUAIDI100_SALT" */
	const char *def;      /* default value */
	const char *help;     /* one line */
	char *dst;
	size_t dstlen;
	int secret;           /* never printed */
} pd_config_extra;

/* Loads cfg for service from the environment. extras: NULL or an array
 * ended by {0}. Handles --help/-h (prints usage: synopsis, then every key with
 * its default) and returns 1 then; returns -1 on an invalid value or unknown
 * option (message on stderr), 0 when the caller should run. */
int pd_config_load(pd_config *cfg, const char *service, const char *synopsis,
		   const pd_config_extra *extras, int argc, char **argv);

/* Default PUB / ingest / HTTP address of any service, given the run dir (for
 * the CLI and consumers, which must find every publisher). out gets the
 * environment's override when PEAKDESK_<SERVICE>_<KIND> is set. kind is
 * "PUB", "INGEST" or "HTTP". */
void pd_config_service_addr(const char *service, const char *kind,
			    const char *run_dir, char *out, size_t outlen);

/* The PUB addresses of every service (what a consumer dials), every entry
 * of a PEAKDESK_<SERVICE>_PUB list included (several instances): fills
 * buf[0..n) and addrs[0..n) with addrs[n] = NULL; returns n. buf and addrs
 * need room for PD_SERVICES_MAX (+1 for addrs) addresses. */
#define PD_SERVICES_MAX 32
int pd_config_pub_addrs(const char *run_dir, char (*buf)[PD_CFG_STR], const char **addrs);

/* 1 when some service's PUB or INGEST address (as this process sees them)
 * is tls+tcp://: var gets its variable name, addr its value. */
int pd_config_tls_needed(char *var, size_t varlen, char *addr, size_t addrlen);

/* Resolves PEAKDESK_RUN_DIR (default ./var/run) into out. */
void pd_config_run_dir(char *out, size_t outlen);

/* Prints the core keys for service (used in --help texts). */
void pd_config_print_core_help(const char *service);

#endif
