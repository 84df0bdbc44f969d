/* libFuzzer harness for the Kuaidi100 push parser (services/logistics/kuaidi100.c).
 *
 * A random body almost never carries a valid MD5 sign, so the JSON path would
 * stay unexplored behind the sign check. The first input byte therefore
 * picks what the rest is:
 *   0  the raw form body, parsed with the fixed salt (form decoding, sign);
 *   1  the param: the harness form-encodes it, signs it with the salt and
 *      parses the body (every stage, JSON included);
 *   2  the param handed straight to lg_kd100_parse_param (JSON only, cheaper);
 *   3  a China-time string and a form component to unescape.
 * On success the harness checks the documented invariants of the result.
 * Seeds: tests/fuzz/corpus/kuaidi100/. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../services/logistics/kuaidi100.h"
#include "codec.h"

#define SALT "fuzz-salt"

static void check_push(const lg_kd100_push *p)
{
	/* Anything that fails here is a parser bug: crash so libFuzzer keeps it. */
	if (p->nu[0] == '\0' || p->n_scans > LG_KD100_MAX_SCANS || !p->message)
		abort();
	if ((p->n_scans == 0) != (p->scans == NULL))
		abort();
	if (p->n_scans && (p->newest >= p->n_scans ||
			   p->scans[p->newest].scanned_at_ms != p->last_scan_at_ms))
		abort();
	if (!pd_utf8_valid(p->message, strlen(p->message)))
		abort();
	for (size_t i = 0; i < p->n_scans; i++) {
		const lg_kd100_scan *s = &p->scans[i];
		const char *texts[] = { s->context, s->area_code, s->area_name, s->status };
		for (size_t k = 0; k < sizeof(texts) / sizeof(texts[0]); k++)
			if (!texts[k] || strlen(texts[k]) > LG_KD100_MAX_STR ||
			    !pd_utf8_valid(texts[k], strlen(texts[k])))
				abort();
		if (s->scanned_at_ms > p->last_scan_at_ms || s->scanned_at_ms <= 0)
			abort();
	}
	(void)lg_kd100_state_to_shipment(p->state);
}

/* "param=<form-encoded param>&sign=<valid sign>", malloc'd. */
static char *signed_body(const char *param, size_t len, size_t *out_len)
{
	static const char hex[] = "0123456789ABCDEF";
	/* The sign is over the decoded param, computed like the sender does. */
	char *sign = lg_kd100_sign(param, SALT);
	if (!sign)
		abort();
	char *body = malloc(6 + len * 3 + 6 + LG_KD100_SIGN_LEN + 1), *o = body;
	if (!body)
		abort();
	memcpy(o, "param=", 6);
	o += 6;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)param[i];
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
			*o++ = (char)c;
		} else if (c == ' ') {
			*o++ = '+';
		} else {
			*o++ = '%';
			*o++ = hex[c >> 4];
			*o++ = hex[c & 15];
		}
	}
	memcpy(o, "&sign=", 6);
	o += 6;
	memcpy(o, sign, LG_KD100_SIGN_LEN);
	o += LG_KD100_SIGN_LEN;
	*o = '\0';
	*out_len = (size_t)(o - body);
	free(sign);
	return body;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	int mode = data[0] & 3;
	/* A NUL-terminated copy: the sign helper and the time parser take C
	 * strings, and an exact-size heap copy lets ASan see overreads. */
	size_t len = size - 1;
	char *in = malloc(len + 1);
	if (!in)
		return 0;
	memcpy(in, data + 1, len);
	in[len] = '\0';

	lg_kd100_push p;
	pd_errbuf eb;
	int rc;
	switch (mode) {
	case 0:
		rc = lg_kd100_parse_body(in, len, SALT, &p, &eb);
		if (rc == PD_OK) {
			check_push(&p);
			lg_kd100_push_free(&p);
		}
		break;
	case 1:
		/* Params with a NUL cannot be signed as C strings; Kuaidi100's
		 * cannot contain one either. */
		if (memchr(in, '\0', len) == NULL) {
			size_t blen;
			char *body = signed_body(in, len, &blen);
			rc = lg_kd100_parse_body(body, blen, SALT, &p, &eb);
			/* A correctly signed body never fails on the sign. */
			if (rc == PD_ESIG)
				abort();
			if (rc == PD_OK) {
				check_push(&p);
				lg_kd100_push_free(&p);
			}
			free(body);
		}
		break;
	case 2:
		rc = lg_kd100_parse_param(in, len, &p, &eb);
		if (rc == PD_OK) {
			check_push(&p);
			lg_kd100_push_free(&p);
		}
		break;
	default: {
		int64_t ms;
		if (lg_kd100_china_time_ms(in, &ms) == PD_OK && ms <= 0)
			abort();
		char *out = malloc(len + 1);
		size_t n;
		if (out && lg_kd100_form_unescape(in, len, out, &n) == PD_OK && (n > len || out[n]))
			abort();
		free(out);
		break;
	}
	}
	free(in);
	return 0;
}
