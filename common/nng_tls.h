/* NNG listeners and dialers over ipc://, tcp:// or tls+tcp://.
 *
 * pd_nng_listen / pd_nng_dial behave like nng_listen / nng_dial; for a
 * tls+tcp:// address they first attach a TLS configuration built from the
 * process's settings (environment, read at each call):
 *
 *   PEAKDESK_TLS_CERT         our certificate (PEM; may carry the chain)
 *   PEAKDESK_TLS_KEY          its private key (PEM, unencrypted; secret)
 *   PEAKDESK_TLS_CA           CA certificate(s) that sign every peer (PEM)
 *   PEAKDESK_TLS_SERVER_NAME  optional: name a dialer checks in the server's
 *                             certificate instead of the address's host
 *
 * Mutual TLS: both sides present a certificate and both require the peer's
 * to be signed by PEAKDESK_TLS_CA; a listener refuses clients without one.
 * NNG 1.5.2 (Debian 12) uses mbed TLS 2.28, which matches the server name
 * only against DNS entries of the subjectAltName (IP entries are ignored):
 * a certificate for an address must list it as DNS:10.0.0.5 as well.
 *
 * Failed handshakes are counted by NNG per dialer/listener; a background
 * watcher reads those counters and logs a warning with the address (NNG
 * 1.5.2 does not report the peer address of a refused incoming connection,
 * so a listener's warning names its own address). Dialers keep retrying. */
#ifndef PD_NNG_TLS_H
#define PD_NNG_TLS_H

#include <nng/nng.h>
#include <stddef.h>
#include <stdint.h>

/* ---- pure: addresses and settings ---------------------------------------- */

/* 1 for tls+tcp://, tls+tcp4://, tls+tcp6:// addresses. */
int pd_nng_addr_is_tls(const char *addr);

/* Host part of a scheme://host:port address ("[::1]" -> "::1"); 0, or -1
 * when there is none (empty, "*" or malformed). */
int pd_nng_addr_host(const char *addr, char *out, size_t outlen);

#define PD_TLS_PATH 512
typedef struct pd_tls_settings {
	char cert[PD_TLS_PATH];
	char key[PD_TLS_PATH];
	char ca[PD_TLS_PATH];
	char server_name[256];
} pd_tls_settings;

/* Fills s from PEAKDESK_TLS_*. */
void pd_tls_settings_env(pd_tls_settings *s);

/* What a tls+tcp:// address needs: cert, key and CA set and, with
 * check_files, each file readable. 0, or -1 with err naming the variable
 * (and the path: never the content). */
int pd_tls_settings_check(const pd_tls_settings *s, int check_files, char *err, size_t errlen);

/* The server name a dialer to addr checks: the override, else the host. */
int pd_tls_server_name(const pd_tls_settings *s, const char *addr, char *out, size_t outlen);

/* ---- NNG --------------------------------------------------------------- */

/* nng_listen(s, addr, NULL, 0) with TLS for tls+tcp:// (server mode). 0 or
 * an NNG error; err gets a message either way on failure. */
int pd_nng_listen(nng_socket s, const char *addr, char *err, size_t errlen);

/* nng_dial(s, addr, dp, flags) with TLS for tls+tcp:// (client mode). With
 * NNG_FLAG_NONBLOCK the dialer retries in the background; TLS handshake
 * failures are then logged by the watcher. dp may be NULL. */
int pd_nng_dial(nng_socket s, const char *addr, int flags, nng_dialer *dp, char *err, size_t errlen);

/* A dialer's connected pipes and failed TLS handshakes so far (NNG
 * statistics); 0 or -1 when the dialer is unknown. */
int pd_nng_dialer_state(nng_dialer d, uint64_t *pipes, uint64_t *tls_failures);

#endif
