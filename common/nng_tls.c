/* NNG listeners and dialers with optional mutual TLS (see nng_tls.h). */
#include "nng_tls.h"

#include <errno.h>
#include <nng/supplemental/tls/tls.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

/* ---- pure ------------------------------------------------------------------ */

int pd_nng_addr_is_tls(const char *addr)
{
	if (!addr)
		return 0;
	return strncmp(addr, "tls+tcp://", 10) == 0 || strncmp(addr, "tls+tcp4://", 11) == 0 ||
	       strncmp(addr, "tls+tcp6://", 11) == 0;
}

int pd_nng_addr_host(const char *addr, char *out, size_t outlen)
{
	if (outlen)
		out[0] = 0;
	const char *p = addr ? strstr(addr, "://") : NULL;
	if (!p)
		return -1;
	p += 3;
	const char *end;
	if (*p == '[') {
		p++;
		end = strchr(p, ']');
		if (!end)
			return -1;
	} else {
		end = strrchr(p, ':');
		if (!end)
			end = p + strlen(p);
	}
	size_t n = (size_t)(end - p);
	if (n == 0 || n >= outlen || (n == 1 && *p == '*'))
		return -1;
	memcpy(out, p, n);
	out[n] = 0;
	return 0;
}

static void env_copy(const char *name, char *dst, size_t len)
{
	const char *v = getenv(name);
	snprintf(dst, len, "%s", v ? v : "");
}

void pd_tls_settings_env(pd_tls_settings *s)
{
	env_copy("PEAKDESK_TLS_CERT", s->cert, sizeof(s->cert));
	env_copy("PEAKDESK_TLS_KEY", s->key, sizeof(s->key));
	env_copy("PEAKDESK_TLS_CA", s->ca, sizeof(s->ca));
	env_copy("PEAKDESK_TLS_SERVER_NAME", s->server_name, sizeof(s->server_name));
}

int pd_tls_settings_check(const pd_tls_settings *s, int check_files, char *err, size_t errlen)
{
	const struct {
		const char *var, *path;
	} f[] = {{"PEAKDESK_TLS_CERT", s->cert}, {"PEAKDESK_TLS_KEY", s->key}, {"PEAKDESK_TLS_CA", s->ca}};
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		if (!f[i].path[0]) {
			snprintf(err, errlen, "%s is not set (a tls+tcp:// address needs PEAKDESK_TLS_CERT, "
					      "PEAKDESK_TLS_KEY and PEAKDESK_TLS_CA)", f[i].var);
			return -1;
		}
		if (check_files && access(f[i].path, R_OK) != 0) {
			snprintf(err, errlen, "%s=%s: cannot read the file: %s", f[i].var, f[i].path, strerror(errno));
			return -1;
		}
	}
	return 0;
}

int pd_tls_server_name(const pd_tls_settings *s, const char *addr, char *out, size_t outlen)
{
	if (s->server_name[0]) {
		snprintf(out, outlen, "%s", s->server_name);
		return 0;
	}
	return pd_nng_addr_host(addr, out, outlen);
}

/* ---- TLS configuration ------------------------------------------------------- */

#define PEM_MAX (1u << 20)

/* Whole PEM file, NUL-terminated (mbed TLS wants the NUL); NULL with err. */
static char *read_pem(const char *var, const char *path, size_t *lenp, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		snprintf(err, errlen, "%s=%s: cannot read the file: %s", var, path, strerror(errno));
		return NULL;
	}
	char *buf = malloc(PEM_MAX + 1);
	size_t n = buf ? fread(buf, 1, PEM_MAX + 1, f) : 0;
	int bad = !buf || ferror(f) || n == 0 || n > PEM_MAX;
	fclose(f);
	if (bad) {
		snprintf(err, errlen, "%s=%s: %s", var, path,
			 !buf ? "out of memory" : n == 0 ? "empty or unreadable file" : "file over 1 MiB");
		free(buf);
		return NULL;
	}
	buf[n] = 0;
	*lenp = n;
	return buf;
}

static void free_secret(char *p, size_t len)
{
	if (p) {
		explicit_bzero(p, len);
		free(p);
	}
}

/* mbed TLS accepts a key that does not belong to the certificate and only
 * fails the handshakes later: check the pair now (OpenSSL's libcrypto, which
 * the suite links anyway). 0 when they match. */
static int key_matches_cert(const char *cert, size_t lc, const char *key, size_t lk)
{
	BIO *bc = BIO_new_mem_buf(cert, (int)lc), *bk = BIO_new_mem_buf(key, (int)lk);
	X509 *x = bc ? PEM_read_bio_X509(bc, NULL, NULL, NULL) : NULL;
	EVP_PKEY *k = bk ? PEM_read_bio_PrivateKey(bk, NULL, NULL, NULL) : NULL;
	int ok = x && k && X509_check_private_key(x, k) == 1;
	X509_free(x);
	EVP_PKEY_free(k);
	BIO_free(bc);
	BIO_free(bk);
	ERR_clear_error();
	return ok ? 0 : -1;
}

/* A configuration for one endpoint; the caller attaches it and frees its
 * reference (the endpoint holds its own). */
static int tls_config(nng_tls_mode mode, const char *addr, nng_tls_config **out, char *err, size_t errlen)
{
	pd_tls_settings s;
	pd_tls_settings_env(&s);
	if (pd_tls_settings_check(&s, 0, err, errlen) != 0)
		return NNG_EINVAL;
	char name[256] = "";
	if (mode == NNG_TLS_MODE_CLIENT && pd_tls_server_name(&s, addr, name, sizeof(name)) != 0) {
		snprintf(err, errlen, "%s: no host to check the server certificate against (set PEAKDESK_TLS_SERVER_NAME)",
			 addr);
		return NNG_EINVAL;
	}
	size_t lc = 0, lk = 0, la = 0;
	char *cert = NULL, *key = NULL, *ca = NULL;
	nng_tls_config *cfg = NULL;
	int rv = NNG_EINVAL;
	if (!(cert = read_pem("PEAKDESK_TLS_CERT", s.cert, &lc, err, errlen)) ||
	    !(key = read_pem("PEAKDESK_TLS_KEY", s.key, &lk, err, errlen)) ||
	    !(ca = read_pem("PEAKDESK_TLS_CA", s.ca, &la, err, errlen)))
		goto done;
	if (key_matches_cert(cert, lc, key, lk) != 0) {
		snprintf(err, errlen, "PEAKDESK_TLS_KEY=%s is not the key of PEAKDESK_TLS_CERT=%s (or one of them is "
				      "not PEM)", s.key, s.cert);
		goto done;
	}
	if ((rv = nng_tls_config_alloc(&cfg, mode)) != 0) {
		snprintf(err, errlen, "TLS configuration: %s", nng_strerror(rv));
		goto done;
	}
	if ((rv = nng_tls_config_ca_chain(cfg, ca, NULL)) != 0) {
		snprintf(err, errlen, "PEAKDESK_TLS_CA=%s: no usable CA certificate (%s)", s.ca, nng_strerror(rv));
		goto done;
	}
	if ((rv = nng_tls_config_own_cert(cfg, cert, key, NULL)) != 0) {
		snprintf(err, errlen,
			 "PEAKDESK_TLS_CERT=%s / PEAKDESK_TLS_KEY=%s: certificate or key unusable, or they do not match (%s)",
			 s.cert, s.key, nng_strerror(rv));
		goto done;
	}
	/* Mutual TLS: a listener refuses clients without a certificate from
	 * our CA, as a dialer refuses such servers. */
	if ((rv = nng_tls_config_auth_mode(cfg, NNG_TLS_AUTH_MODE_REQUIRED)) != 0) {
		snprintf(err, errlen, "TLS auth mode: %s", nng_strerror(rv));
		goto done;
	}
	if (mode == NNG_TLS_MODE_CLIENT && (rv = nng_tls_config_server_name(cfg, name)) != 0) {
		snprintf(err, errlen, "TLS server name %s: %s", name, nng_strerror(rv));
		goto done;
	}
	*out = cfg;
	cfg = NULL;
	rv = 0;
done:
	if (cfg)
		nng_tls_config_free(cfg);
	free(cert);
	free_secret(key, lk);
	free(ca);
	return rv;
}

/* ---- failure watcher ---------------------------------------------------------- */

/* NNG 1.5.2 has no callback for a failed handshake, but counts them per
 * endpoint ("auth", "proto"): poll the counters and log the increases. */
#define WATCH_MAX 64
#define WATCH_PERIOD_MS 2000

struct watch {
	int used, dialer;
	int id;
	char addr[256];
	uint64_t failures; /* last seen */
	int failing;       /* failures seen since the last connection */
};

static pthread_mutex_t watch_mu = PTHREAD_MUTEX_INITIALIZER;
static struct watch watches[WATCH_MAX];
static int watch_thread_started;

static uint64_t stat_value(nng_stat *scope, const char *name)
{
	for (nng_stat *c = scope ? nng_stat_child(scope) : NULL; c; c = nng_stat_next(c))
		if (strcmp(nng_stat_name(c), name) == 0)
			return nng_stat_value(c);
	return 0;
}

/* The statistics scope of one dialer or listener. Not nng_stat_find_dialer
 * / _listener: in NNG 1.5.2 they return the first endpoint's scope whatever
 * the id (checked with three dialers on one socket). */
static nng_stat *endpoint_stats(nng_stat *st, int dialer, int id)
{
	const char *kind = dialer ? "dialer" : "listener";
	for (; st; st = nng_stat_next(st)) {
		if (nng_stat_type(st) != NNG_STAT_SCOPE)
			continue;
		if (strcmp(nng_stat_name(st), kind) == 0) {
			for (nng_stat *c = nng_stat_child(st); c; c = nng_stat_next(c))
				if (strcmp(nng_stat_name(c), "id") == 0 && nng_stat_value(c) == (uint64_t)id)
					return st;
			continue;
		}
		nng_stat *found = endpoint_stats(nng_stat_child(st), dialer, id);
		if (found)
			return found;
	}
	return NULL;
}

static void watch_poll(void)
{
	nng_stat *root;
	if (nng_stats_get(&root) != 0)
		return;
	pthread_mutex_lock(&watch_mu);
	for (int i = 0; i < WATCH_MAX; i++) {
		struct watch *w = &watches[i];
		if (!w->used)
			continue;
		nng_stat *st = endpoint_stats(root, w->dialer, w->id);
		if (!st) { /* the endpoint closed */
			w->used = 0;
			continue;
		}
		uint64_t failures = stat_value(st, "auth") + stat_value(st, "proto");
		uint64_t pipes = stat_value(st, "pipes");
		if (failures > w->failures) {
			if (w->dialer)
				pd_log_warn("TLS handshake failed", "side=dialer peer=%s failures=%llu total=%llu "
					    "hint=\"the peer's certificate is not signed by PEAKDESK_TLS_CA, ours is "
					    "not signed by the peer's CA, or the server name does not match; retrying\"",
					    w->addr, (unsigned long long)(failures - w->failures),
					    (unsigned long long)failures);
			else
				pd_log_warn("TLS handshake failed", "side=listener local=%s failures=%llu total=%llu "
					    "hint=\"a client without a certificate signed by PEAKDESK_TLS_CA, or one that "
					    "does not trust ours; NNG 1.5.2 does not report the client's address\"",
					    w->addr, (unsigned long long)(failures - w->failures),
					    (unsigned long long)failures);
			w->failures = failures;
			w->failing = 1;
		} else if (w->failing && pipes > 0) {
			pd_log_info("TLS connection established after failed handshakes", "side=%s %s=%s",
				    w->dialer ? "dialer" : "listener", w->dialer ? "peer" : "local", w->addr);
			w->failing = 0;
		}
	}
	pthread_mutex_unlock(&watch_mu);
	nng_stats_free(root);
}

static void *watch_main(void *arg)
{
	(void)arg;
	for (;;) {
		struct timespec ts = {WATCH_PERIOD_MS / 1000, (WATCH_PERIOD_MS % 1000) * 1000000L};
		nanosleep(&ts, NULL);
		watch_poll();
	}
	return NULL;
}

static void watch_add(int dialer, int id, const char *addr)
{
	pthread_mutex_lock(&watch_mu);
	for (int i = 0; i < WATCH_MAX; i++) {
		if (!watches[i].used) {
			watches[i] = (struct watch){.used = 1, .dialer = dialer, .id = id};
			snprintf(watches[i].addr, sizeof(watches[i].addr), "%s", addr);
			break;
		}
	}
	if (!watch_thread_started) {
		pthread_t t;
		if (pthread_create(&t, NULL, watch_main, NULL) == 0) {
			pthread_detach(t);
			watch_thread_started = 1;
		}
	}
	pthread_mutex_unlock(&watch_mu);
}

int pd_nng_dialer_state(nng_dialer d, uint64_t *pipes, uint64_t *tls_failures)
{
	nng_stat *root;
	if (nng_stats_get(&root) != 0)
		return -1;
	nng_stat *st = endpoint_stats(root, 1, nng_dialer_id(d));
	if (st) {
		*pipes = stat_value(st, "pipes");
		*tls_failures = stat_value(st, "auth") + stat_value(st, "proto");
	}
	nng_stats_free(root);
	return st ? 0 : -1;
}

/* ---- listen / dial ------------------------------------------------------------- */

int pd_nng_listen(nng_socket s, const char *addr, char *err, size_t errlen)
{
	int rv;
	if (!pd_nng_addr_is_tls(addr)) {
		if ((rv = nng_listen(s, addr, NULL, 0)) != 0)
			snprintf(err, errlen, "%s", nng_strerror(rv));
		return rv;
	}
	nng_listener l;
	if ((rv = nng_listener_create(&l, s, addr)) != 0) {
		snprintf(err, errlen, "%s", nng_strerror(rv));
		return rv;
	}
	nng_tls_config *cfg;
	if ((rv = tls_config(NNG_TLS_MODE_SERVER, addr, &cfg, err, errlen)) != 0) {
		nng_listener_close(l);
		return rv;
	}
	rv = nng_listener_set_ptr(l, NNG_OPT_TLS_CONFIG, cfg);
	nng_tls_config_free(cfg); /* the listener holds its own reference */
	if (rv != 0)
		snprintf(err, errlen, "TLS configuration: %s", nng_strerror(rv));
	else if ((rv = nng_listener_start(l, 0)) != 0)
		snprintf(err, errlen, "%s", nng_strerror(rv));
	if (rv != 0) {
		nng_listener_close(l);
		return rv;
	}
	watch_add(0, nng_listener_id(l), addr);
	return 0;
}

int pd_nng_dial(nng_socket s, const char *addr, int flags, nng_dialer *dp, char *err, size_t errlen)
{
	int rv;
	if (!pd_nng_addr_is_tls(addr)) {
		if ((rv = nng_dial(s, addr, dp, flags)) != 0)
			snprintf(err, errlen, "%s", nng_strerror(rv));
		return rv;
	}
	nng_dialer d;
	if ((rv = nng_dialer_create(&d, s, addr)) != 0) {
		snprintf(err, errlen, "%s", nng_strerror(rv));
		return rv;
	}
	nng_tls_config *cfg;
	if ((rv = tls_config(NNG_TLS_MODE_CLIENT, addr, &cfg, err, errlen)) != 0) {
		nng_dialer_close(d);
		return rv;
	}
	rv = nng_dialer_set_ptr(d, NNG_OPT_TLS_CONFIG, cfg);
	nng_tls_config_free(cfg); /* the dialer holds its own reference */
	if (rv != 0) {
		snprintf(err, errlen, "TLS configuration: %s", nng_strerror(rv));
		nng_dialer_close(d);
		return rv;
	}
	if ((rv = nng_dialer_start(d, flags)) != 0) {
		/* A blocking dial reports the handshake error here (NNG_ECRYPTO,
		 * NNG_EPEERAUTH); with NNG_FLAG_NONBLOCK the watcher does. */
		snprintf(err, errlen, "%s%s", nng_strerror(rv),
			 rv == NNG_ECRYPTO || rv == NNG_EPEERAUTH ? " (TLS handshake refused: check the certificates, "
								   "PEAKDESK_TLS_CA and the server name)" : "");
		nng_dialer_close(d);
		return rv;
	}
	watch_add(1, nng_dialer_id(d), addr);
	if (dp)
		*dp = d;
	return 0;
}
