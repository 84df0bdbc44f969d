/* Kuaidi100 subscription push parser (pure logic, no I/O, no libevent).
 *
 * Kuaidi100 POSTs `application/x-www-form-urlencoded` to the subscriber's
 * callback URL with the fields
 *   param  JSON: {"status","billstatus","message","lastResult":{"message",
 *          "state","status","condition","ischeck","com","nu","data":[{"context",
 *          "time","ftime","status","areaCode","areaName"[,"statusCode"]},...]}}
 *          where data[] is the whole scan history, newest first, re-sent in
 *          full on every push;
 *   sign   uppercase hex MD5(param + salt), the salt being the secret given
 *          when subscribing.
 * The receiver answers LG_KD100_REPLY_OK, or Kuaidi100 pushes again later.
 *
 * Order of checks in lg_kd100_parse_body, so that unauthenticated bytes never
 * reach the JSON parser: size cap -> form decoding -> sign -> JSON.
 *
 * Errors (pd_errbuf gets a reason fit for the JSON error body):
 *   PD_ETOOBIG  body over LG_KD100_MAX_BODY
 *   PD_ESIG     sign missing, malformed or wrong
 *   PD_EDECODE  undecodable bytes: bad % escape, NUL, bad JSON, bad UTF-8
 *   PD_EINVAL   decodable but invalid: missing param or lastResult.nu, wrong
 *               JSON types, bad time, > LG_KD100_MAX_SCANS scans, a text
 *               field over LG_KD100_MAX_STR bytes, far more objects or
 *               commas than a push of that many scans has (json-c's tree
 *               costs up to ~200x the text), no salt configured
 *
 * Kuaidi100 state codes (lastResult.state, data[].statusCode) and the
 * ShipmentState each maps to, in lg_kd100_state_to_shipment:
 *   0 in transit, 1001 arrived in destination city, 1002 trunk line,
 *   1003 forwarded to a new address, 7 transferred to another carrier,
 *   8 customs, 10 awaiting customs, 11 in customs, 12 cleared  -> IN_TRANSIT
 *   101 order placed, 102 awaiting collection                   -> CREATED
 *   1 collected, 103 collected                                  -> COLLECTED
 *   5 out for delivery, 501 put in a locker / station           -> OUT_FOR_DELIVERY
 *   3 signed, 301 by recipient, 302 after a problem, 303 by a
 *   proxy, 304 taken from a locker / station                    -> DELIVERED
 *   2 problem, 201-210 (not signed in time, no update, refusal
 *   pending, delivery problem, uncollected at locker, cannot
 *   reach recipient, out of area, held, damaged, cancelled by
 *   sender), 13 customs problem, 14 refused                     -> EXCEPTION
 *   6 returning                                                 -> RETURNING
 *   4 returned and signed by sender, 401 waybill cancelled      -> RETURNED
 *   anything else (a code Kuaidi100 adds later)                 -> UNSPECIFIED,
 *   meaning "no state change": the scans are still recorded, the state is
 *   left alone rather than guessed. */
#ifndef LG_KUAIDI100_H
#define LG_KUAIDI100_H

#include <stddef.h>
#include <stdint.h>

#include "pd.h"

#define LG_KD100_MAX_BODY (256 * 1024) /* bytes of form body accepted */
#define LG_KD100_MAX_SCANS 1000        /* entries in lastResult.data */
#define LG_KD100_MAX_STR 4096          /* bytes of any one text field */
#define LG_KD100_JSON_DEPTH 16         /* json-c nesting limit (the format needs 4) */
#define LG_KD100_CODE_MAX 64           /* com / nu buffers: up to 63 bytes + NUL */
#define LG_KD100_WORD_MAX 32           /* push status word buffer */
#define LG_KD100_SIGN_LEN 32           /* hex characters of an MD5 sign */

/* Answers Kuaidi100 understands ("成功" / "失败" spelled as UTF-8 escapes so
 * the bytes do not depend on the compiler's source charset). A push answered
 * with anything but OK is re-sent later. */
#define LG_KD100_REPLY_OK \
	"{\"result\":true,\"returnCode\":\"200\",\"message\":\"\xe6\x88\x90\xe5\x8a\x9f\"}"
#define LG_KD100_REPLY_FAIL \
	"{\"result\":false,\"returnCode\":\"500\",\"message\":\"\xe5\xa4\xb1\xe8\xb4\xa5\"}"

/* One carrier scan from lastResult.data. Strings are heap-owned by the push,
 * NUL-terminated, valid UTF-8, never NULL ("" when absent or JSON null). */
typedef struct lg_kd100_scan {
	int64_t scanned_at_ms; /* ftime (else time), China time, as unix ms */
	char *context;         /* carrier's text */
	char *area_code;       /* areaCode */
	char *area_name;       /* areaName */
	char *status;          /* carrier's status word, e.g. "在途" */
	int status_code;       /* statusCode (resultv2 pushes), -1 when absent */
} lg_kd100_scan;

typedef struct lg_kd100_push {
	char push_status[LG_KD100_WORD_MAX]; /* "polling", "shutdown", "abort", "updateall"; "" absent */
	char com[LG_KD100_CODE_MAX];         /* carrier code; "" when absent */
	char nu[LG_KD100_CODE_MAX];          /* tracking number; never empty after success */
	char *message;                       /* top-level message (why an abort); never NULL */
	int state;                           /* lastResult.state Kuaidi100 code; -1 when absent */
	int ischeck;                         /* 1 when lastResult.ischeck says signed */
	size_t n_scans;
	lg_kd100_scan *scans;                /* as sent (newest first by the doc); NULL when none */
	size_t newest;                       /* index of the latest scanned_at_ms (valid if n_scans) */
	int64_t last_scan_at_ms;             /* that scan's time; 0 when no scans */
} lg_kd100_push;

/* Parses and authenticates a raw push body of len bytes (need not be
 * NUL-terminated). salt must be non-empty: unsigned pushes are not accepted.
 * On PD_OK *out owns heap memory: release it with lg_kd100_push_free. On
 * error *out is left empty (zeroed; freeing it is harmless). */
int lg_kd100_parse_body(const char *body, size_t len, const char *salt, lg_kd100_push *out,
			pd_errbuf *eb);

/* Parses the already-decoded param JSON (len bytes) without any signature
 * check: for trusted input only (tests, the sample replayer, a department
 * that relays pushes over the authenticated ingest). Ownership as above. */
int lg_kd100_parse_param(const char *param, size_t len, lg_kd100_push *out, pd_errbuf *eb);

/* Frees what a successful parse allocated and zeroes *p. NULL is allowed. */
void lg_kd100_push_free(lg_kd100_push *p);

/* Uppercase hex MD5(param + salt) as a malloc'd 33-byte string the caller
 * frees; NULL when an argument is NULL or the digest fails. */
char *lg_kd100_sign(const char *param, const char *salt);

/* Checks `sign` (hex, either case accepted) against MD5(param[0..len) +
 * salt) in constant time. PD_OK or PD_ESIG. */
int lg_kd100_verify_sign(const char *param, size_t len, const char *sign, const char *salt);

/* Decodes one form component (len bytes): "%XX" -> byte, '+' -> space.
 * Rejects a '%' not followed by two hex digits, a raw NUL and a decoded NUL
 * (the values are used as C strings). out must hold len + 1 bytes; it is
 * NUL-terminated and *out_len gets the decoded length.
 * PD_OK or PD_EDECODE. */
int lg_kd100_form_unescape(const char *in, size_t len, char *out, size_t *out_len);

/* "YYYY-MM-DD HH:MM:SS" in China Standard Time (UTC+8, no DST since 1991)
 * -> unix ms, by arithmetic (the process TZ is not consulted). Exactly that
 * format, a real calendar date, years 2000-9999. PD_OK or PD_EINVAL. */
int lg_kd100_china_time_ms(const char *s, int64_t *out_ms);

/* Kuaidi100 state code -> Peakdesk__V1__ShipmentState (table above);
 * 0 (UNSPECIFIED, "no state change") for an unknown code or -1. */
int lg_kd100_state_to_shipment(int kd_state);

#endif
