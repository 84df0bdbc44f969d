/* NNG addresses and TLS settings (common/nng_tls.c, common/config.c): which
 * addresses use TLS, the server name a dialer checks, the start-up check of
 * PEAKDESK_TLS_*, and an in-process mutual-TLS round trip with certificates
 * made by the openssl command (skipped with a message when it is missing). */
#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>
#include <nng/protocol/reqrep0/req.h>
#include <nng/supplemental/tls/tls.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "nng_tls.h"
#include "pd_check.h"

static void clear_env(void)
{
	const char *vars[] = {"PEAKDESK_TLS_CERT", "PEAKDESK_TLS_KEY", "PEAKDESK_TLS_CA", "PEAKDESK_TLS_SERVER_NAME",
			      "PEAKDESK_LOGISTICS_PUB", "PEAKDESK_LOGISTICS_INGEST", "PEAKDESK_ROUTER_PUB",
			      "PEAKDESK_INSTANCE", NULL};
	for (int i = 0; vars[i]; i++)
		unsetenv(vars[i]);
}

START_TEST(tls_addresses_are_recognised)
{
	ck_assert_int_eq(pd_nng_addr_is_tls("tls+tcp://10.0.0.1:7000"), 1);
	ck_assert_int_eq(pd_nng_addr_is_tls("tls+tcp4://10.0.0.1:7000"), 1);
	ck_assert_int_eq(pd_nng_addr_is_tls("tls+tcp6://[::1]:7000"), 1);
	ck_assert_int_eq(pd_nng_addr_is_tls("tcp://10.0.0.1:7000"), 0);
	ck_assert_int_eq(pd_nng_addr_is_tls("ipc:///run/pd/logistics.pub"), 0);
	ck_assert_int_eq(pd_nng_addr_is_tls("tls+"), 0);
	ck_assert_int_eq(pd_nng_addr_is_tls(""), 0);
	ck_assert_int_eq(pd_nng_addr_is_tls(NULL), 0);
}
END_TEST

START_TEST(host_of_an_address)
{
	char h[64];
	ck_assert_int_eq(pd_nng_addr_host("tls+tcp://10.77.0.1:7001", h, sizeof(h)), 0);
	ck_assert_str_eq(h, "10.77.0.1");
	ck_assert_int_eq(pd_nng_addr_host("tls+tcp://bus.example.com:7001", h, sizeof(h)), 0);
	ck_assert_str_eq(h, "bus.example.com");
	ck_assert_int_eq(pd_nng_addr_host("tls+tcp6://[fd00::5]:7001", h, sizeof(h)), 0);
	ck_assert_str_eq(h, "fd00::5");
	ck_assert_int_eq(pd_nng_addr_host("tls+tcp://*:7001", h, sizeof(h)), -1);
	ck_assert_int_eq(pd_nng_addr_host("tls+tcp://:7001", h, sizeof(h)), -1);
	ck_assert_int_eq(pd_nng_addr_host("no-scheme", h, sizeof(h)), -1);
	ck_assert_int_eq(pd_nng_addr_host("tls+tcp6://[fd00::5:7001", h, sizeof(h)), -1);
	char tiny[4];
	ck_assert_int_eq(pd_nng_addr_host("tls+tcp://10.77.0.1:7001", tiny, sizeof(tiny)), -1);
}
END_TEST

START_TEST(server_name_override_wins)
{
	pd_tls_settings s = {.server_name = ""};
	char n[64];
	ck_assert_int_eq(pd_tls_server_name(&s, "tls+tcp://10.77.0.1:7001", n, sizeof(n)), 0);
	ck_assert_str_eq(n, "10.77.0.1");
	snprintf(s.server_name, sizeof(s.server_name), "logistics.bus.internal");
	ck_assert_int_eq(pd_tls_server_name(&s, "tls+tcp://10.77.0.1:7001", n, sizeof(n)), 0);
	ck_assert_str_eq(n, "logistics.bus.internal");
	ck_assert_int_eq(pd_tls_server_name(&s, "tls+tcp://*:7001", n, sizeof(n)), 0);
}
END_TEST

START_TEST(settings_check_names_the_missing_variable)
{
	clear_env();
	pd_tls_settings s;
	char err[512];
	pd_tls_settings_env(&s);
	ck_assert_int_eq(pd_tls_settings_check(&s, 0, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "PEAKDESK_TLS_CERT is not set"));
	setenv("PEAKDESK_TLS_CERT", "/etc/hosts", 1);
	setenv("PEAKDESK_TLS_CA", "/etc/hosts", 1);
	pd_tls_settings_env(&s);
	ck_assert_int_eq(pd_tls_settings_check(&s, 0, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "PEAKDESK_TLS_KEY is not set"));
	setenv("PEAKDESK_TLS_KEY", "/nonexistent/pd.key", 1);
	pd_tls_settings_env(&s);
	ck_assert_int_eq(pd_tls_settings_check(&s, 0, err, sizeof(err)), 0);
	ck_assert_int_eq(pd_tls_settings_check(&s, 1, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "PEAKDESK_TLS_KEY=/nonexistent/pd.key: cannot read"));
	clear_env();
}
END_TEST

static char *argv0[] = {"peakdesk-logistics", NULL};

START_TEST(config_requires_tls_files_only_for_tls_addresses)
{
	clear_env();
	pd_config c;
	setenv("PEAKDESK_LOGISTICS_PUB", "tcp://10.77.0.1:7001", 1);
	ck_assert_int_eq(pd_config_load(&c, "logistics", "", NULL, 1, argv0), 0);
	/* another service's TLS address counts too: consumers dial every PUB */
	setenv("PEAKDESK_ROUTER_PUB", "ipc:///tmp/a.pub, tls+tcp://10.77.0.2:7001", 1);
	ck_assert_int_eq(pd_config_load(&c, "logistics", "", NULL, 1, argv0), -1);
	char var[64], addr[PD_CFG_STR];
	ck_assert_int_eq(pd_config_tls_needed(var, sizeof(var), addr, sizeof(addr)), 1);
	ck_assert_str_eq(var, "PEAKDESK_ROUTER_PUB");
	ck_assert_str_eq(addr, "tls+tcp://10.77.0.2:7001");
	setenv("PEAKDESK_TLS_CERT", "/etc/hosts", 1);
	setenv("PEAKDESK_TLS_KEY", "/etc/hosts", 1);
	setenv("PEAKDESK_TLS_CA", "/etc/hosts", 1);
	ck_assert_int_eq(pd_config_load(&c, "logistics", "", NULL, 1, argv0), 0);
	setenv("PEAKDESK_TLS_CA", "/nonexistent/ca.pem", 1);
	ck_assert_int_eq(pd_config_load(&c, "logistics", "", NULL, 1, argv0), -1);
	clear_env();
	ck_assert_int_eq(pd_config_tls_needed(var, sizeof(var), addr, sizeof(addr)), 0);
}
END_TEST

START_TEST(plain_addresses_need_no_tls_settings)
{
	clear_env();
	char err[256];
	nng_socket s;
	ck_assert_int_eq(nng_rep0_open(&s), 0);
	ck_assert_int_eq(pd_nng_listen(s, "tcp://127.0.0.1:0", err, sizeof(err)), 0);
	nng_close(s);
	ck_assert_int_eq(nng_rep0_open(&s), 0);
	/* a TLS address without settings fails with the variable's name */
	ck_assert_int_ne(pd_nng_listen(s, "tls+tcp://127.0.0.1:0", err, sizeof(err)), 0);
	ck_assert_ptr_nonnull(strstr(err, "PEAKDESK_TLS_CERT is not set"));
	nng_close(s);
}
END_TEST

/* ---- in-process mutual TLS with throwaway certificates ------------------ */

static char dir[64];

static int sh(const char *fmt, const char *a, const char *b, const char *c)
{
	char cmd[2048];
	snprintf(cmd, sizeof(cmd), fmt, a, b, c);
	return system(cmd);
}

/* CA NAME, then certificate NAME signed by CA with DNS SAN. */
static int make_pki(void)
{
	snprintf(dir, sizeof(dir), "/tmp/pd-tls-unit.XXXXXX");
	if (!mkdtemp(dir) || system("command -v openssl >/dev/null 2>&1") != 0)
		return -1;
	const char *ca = "cd %s && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
			 "-keyout %s.key -out %s.crt -days 2 -subj /CN=test-ca >/dev/null 2>&1";
	const char *leaf = "cd %1$s && openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
			   "-keyout %2$s.key -out %2$s.csr -subj /CN=%2$s >/dev/null 2>&1 && "
			   "printf 'subjectAltName=DNS:localhost,DNS:127.0.0.1\\n' > %2$s.ext && "
			   "openssl x509 -req -in %2$s.csr -CA %3$s.crt -CAkey %3$s.key -CAcreateserial "
			   "-out %2$s.crt -days 2 -extfile %2$s.ext >/dev/null 2>&1";
	if (sh(ca, dir, "ca", "ca") || sh(ca, dir, "foreign", "foreign") || sh(leaf, dir, "server", "ca") ||
	    sh(leaf, dir, "client", "ca") || sh(leaf, dir, "stranger", "foreign"))
		return -1;
	return 0;
}

static void use(const char *cert, const char *ca)
{
	char p[128];
	snprintf(p, sizeof(p), "%s/%s.crt", dir, cert);
	setenv("PEAKDESK_TLS_CERT", p, 1);
	snprintf(p, sizeof(p), "%s/%s.key", dir, cert);
	setenv("PEAKDESK_TLS_KEY", p, 1);
	snprintf(p, sizeof(p), "%s/%s.crt", dir, ca);
	setenv("PEAKDESK_TLS_CA", p, 1);
}

START_TEST(mutual_tls_accepts_our_ca_and_refuses_others)
{
	clear_env();
	if (make_pki() != 0) {
		fprintf(stderr, "nng_tls_test: openssl unavailable, TLS round trip skipped\n");
		return;
	}
	char err[512], url[64];
	nng_socket rep, req;
	ck_assert_int_eq(nng_rep0_open(&rep), 0);
	nng_socket_set_size(rep, NNG_OPT_RECVMAXSZ, 1 << 20);
	use("server", "ca");
	int port = 0;
	for (int tries = 0; tries < 20 && !port; tries++) {
		int p = 20000 + (int)(getpid() * 7 + tries * 131) % 30000;
		snprintf(url, sizeof(url), "tls+tcp://127.0.0.1:%d", p);
		if (pd_nng_listen(rep, url, err, sizeof(err)) == 0)
			port = p;
	}
	ck_assert_msg(port, "listen: %s", err);

	/* a client from our CA gets through */
	use("client", "ca");
	ck_assert_int_eq(nng_req0_open(&req), 0);
	nng_socket_set_ms(req, NNG_OPT_SENDTIMEO, 3000);
	nng_socket_set_ms(req, NNG_OPT_RECVTIMEO, 3000);
	nng_socket_set_ms(rep, NNG_OPT_RECVTIMEO, 3000);
	ck_assert_msg(pd_nng_dial(req, url, 0, NULL, err, sizeof(err)) == 0, "dial: %s", err);
	ck_assert_int_eq(nng_send(req, "ping", 5, 0), 0);
	char buf[16];
	size_t n = sizeof(buf);
	ck_assert_int_eq(nng_recv(rep, buf, &n, 0), 0);
	ck_assert_str_eq(buf, "ping");
	nng_close(req);

	/* a client whose certificate comes from another CA is refused */
	use("stranger", "foreign");
	ck_assert_int_eq(nng_req0_open(&req), 0);
	int rv = pd_nng_dial(req, url, 0, NULL, err, sizeof(err));
	ck_assert_int_ne(rv, 0);
	ck_assert_ptr_nonnull(strstr(err, "TLS handshake refused"));
	nng_close(req);

	/* a client trusting our CA but with a foreign certificate: the server refuses it */
	use("stranger", "ca");
	ck_assert_int_eq(nng_req0_open(&req), 0);
	ck_assert_int_ne(pd_nng_dial(req, url, 0, NULL, err, sizeof(err)), 0);
	nng_close(req);

	/* a client with no certificate at all (raw NNG): refused too (mutual TLS) */
	ck_assert_int_eq(nng_req0_open(&req), 0);
	nng_dialer d;
	nng_tls_config *tc;
	char ca[128];
	snprintf(ca, sizeof(ca), "%s/ca.crt", dir);
	ck_assert_int_eq(nng_dialer_create(&d, req, url), 0);
	ck_assert_int_eq(nng_tls_config_alloc(&tc, NNG_TLS_MODE_CLIENT), 0);
	ck_assert_int_eq(nng_tls_config_ca_file(tc, ca), 0);
	ck_assert_int_eq(nng_tls_config_server_name(tc, "127.0.0.1"), 0);
	ck_assert_int_eq(nng_dialer_set_ptr(d, NNG_OPT_TLS_CONFIG, tc), 0);
	nng_tls_config_free(tc);
	ck_assert_int_ne(nng_dialer_start(d, 0), 0);
	nng_close(req);

	/* the wrong server name is refused by the client */
	use("client", "ca");
	setenv("PEAKDESK_TLS_SERVER_NAME", "other.example", 1);
	ck_assert_int_eq(nng_req0_open(&req), 0);
	ck_assert_int_ne(pd_nng_dial(req, url, 0, NULL, err, sizeof(err)), 0);
	nng_close(req);

	/* a non-blocking dial that keeps failing shows in the dialer's counters */
	use("stranger", "foreign");
	unsetenv("PEAKDESK_TLS_SERVER_NAME");
	ck_assert_int_eq(nng_req0_open(&req), 0);
	ck_assert_int_eq(pd_nng_dial(req, url, NNG_FLAG_NONBLOCK, &d, err, sizeof(err)), 0);
	uint64_t pipes = 0, failures = 0;
	for (int i = 0; i < 50 && failures == 0; i++) {
		usleep(100 * 1000);
		ck_assert_int_eq(pd_nng_dialer_state(d, &pipes, &failures), 0);
	}
	ck_assert_uint_gt(failures, 0);
	ck_assert_uint_eq(pipes, 0);
	nng_close(req);

	/* a key that does not match the certificate fails at set-up, naming both */
	char p[128];
	snprintf(p, sizeof(p), "%s/client.key", dir);
	use("server", "ca");
	setenv("PEAKDESK_TLS_KEY", p, 1);
	ck_assert_int_eq(nng_req0_open(&req), 0);
	ck_assert_int_ne(pd_nng_dial(req, url, NNG_FLAG_NONBLOCK, NULL, err, sizeof(err)), 0);
	ck_assert_ptr_nonnull(strstr(err, "PEAKDESK_TLS_KEY="));
	nng_close(req);

	nng_close(rep);
	clear_env();
	sh("rm -rf %s%s%s", dir, "", "");
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("nng_tls");
	TCase *tc = tcase_create("nng_tls");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, tls_addresses_are_recognised);
	tcase_add_test(tc, host_of_an_address);
	tcase_add_test(tc, server_name_override_wins);
	tcase_add_test(tc, settings_check_names_the_missing_variable);
	tcase_add_test(tc, config_requires_tls_files_only_for_tls_addresses);
	tcase_add_test(tc, plain_addresses_need_no_tls_settings);
	tcase_add_test(tc, mutual_tls_accepts_our_ca_and_refuses_others);
	suite_add_tcase(s, tc);
	return s;
}

PD_CHECK_MAIN(suite)
