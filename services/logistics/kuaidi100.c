/* Kuaidi100 subscription push: form decoding, MD5 sign check, JSON parsing
 * into lg_kd100_push, China-time conversion and the state-code mapping.
 * The format and the decisions are described in kuaidi100.h. Everything here
 * is pure so the whole path can be fuzzed without libevent or a database. */
#include "kuaidi100.h"

#include <json-c/json.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "logistics.pb-c.h"

/* ---- form decoding ------------------------------------------------------ */

static int hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int lg_kd100_form_unescape(const char *in, size_t len, char *out, size_t *out_len)
{
	size_t o = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];
		if (c == '\0')
			return PD_EDECODE;
		if (c == '+') {
			out[o++] = ' ';
		} else if (c == '%') {
			/* Both digits must be there: "%4" at the end or "%zz" is
			 * malformed, not literal text (a lenient decoder would
			 * give a different param than the one that was signed). */
			if (len - i < 3)
				return PD_EDECODE;
			int hi = hexval((unsigned char)in[i + 1]), lo = hexval((unsigned char)in[i + 2]);
			if (hi < 0 || lo < 0 || (hi | lo) == 0)
				return PD_EDECODE;
			out[o++] = (char)(hi << 4 | lo);
			i += 2;
		} else {
			out[o++] = (char)c;
		}
	}
	out[o] = '\0';
	if (out_len)
		*out_len = o;
	return PD_OK;
}

/* The form fields we use, decoded; other fields are decoded (to reject a
 * malformed body as a whole) and dropped. */
struct form {
	char *param;
	size_t param_len;
	char *sign;
	size_t sign_len;
};

static void form_free(struct form *f)
{
	free(f->param);
	free(f->sign);
	*f = (struct form){ 0 };
}

/* Decodes one component into a fresh heap string. */
static int dup_unescape(const char *in, size_t len, char **out, size_t *out_len)
{
	char *buf = pd_xmalloc(len + 1);
	int rc = lg_kd100_form_unescape(in, len, buf, out_len);
	if (rc != PD_OK) {
		free(buf);
		return rc;
	}
	*out = buf;
	return PD_OK;
}

static int form_parse(const char *body, size_t len, struct form *f, pd_errbuf *eb)
{
	size_t pos = 0;
	while (pos < len) {
		const char *seg = body + pos;
		const char *amp = memchr(seg, '&', len - pos);
		size_t seg_len = amp ? (size_t)(amp - seg) : len - pos;
		pos += seg_len + 1;
		if (seg_len == 0)
			continue; /* "a=1&&b=2": an empty pair carries nothing */

		const char *eq = memchr(seg, '=', seg_len);
		size_t key_len = eq ? (size_t)(eq - seg) : seg_len;
		const char *val = eq ? eq + 1 : seg + seg_len;
		size_t val_len = eq ? seg_len - key_len - 1 : 0;

		char *key = NULL, *value = NULL;
		size_t klen, vlen;
		if (dup_unescape(seg, key_len, &key, &klen) != PD_OK)
			return pd_fail(eb, PD_EDECODE, "malformed form field name at byte %zu",
				       (size_t)(seg - body));
		if (dup_unescape(val, val_len, &value, &vlen) != PD_OK) {
			/* The name is not echoed: it is unauthenticated bytes. */
			int rc = pd_fail(eb, PD_EDECODE,
					 "malformed %% escape or NUL in form field at byte %zu",
					 (size_t)(seg - body));
			free(key);
			return rc;
		}

		char **slot = NULL;
		size_t *slot_len = NULL;
		if (strcmp(key, "param") == 0) {
			slot = &f->param;
			slot_len = &f->param_len;
		} else if (strcmp(key, "sign") == 0) {
			slot = &f->sign;
			slot_len = &f->sign_len;
		}
		if (slot && *slot) {
			/* Two params: which one was signed, which one would a
			 * proxy in front of us have looked at? Refuse to guess. */
			int rc = pd_fail(eb, PD_EINVAL, "duplicate form field %s",
					 slot == &f->param ? "param" : "sign");
			free(key);
			free(value);
			return rc;
		}
		free(key);
		if (slot) {
			*slot = value;
			*slot_len = vlen;
		} else {
			free(value);
		}
	}
	return PD_OK;
}

/* ---- sign ----------------------------------------------------------------- */

static int md5_hex(const char *param, size_t len, const char *salt, char hex[LG_KD100_SIGN_LEN + 1])
{
	static const char digits[] = "0123456789ABCDEF";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok = ctx && EVP_DigestInit_ex(ctx, EVP_md5(), NULL) == 1 &&
		 EVP_DigestUpdate(ctx, param, len) == 1 &&
		 EVP_DigestUpdate(ctx, salt, strlen(salt)) == 1 &&
		 EVP_DigestFinal_ex(ctx, md, &md_len) == 1 && md_len * 2 == LG_KD100_SIGN_LEN;
	EVP_MD_CTX_free(ctx);
	if (!ok)
		return PD_EINVAL;
	for (unsigned i = 0; i < md_len; i++) {
		hex[2 * i] = digits[md[i] >> 4];
		hex[2 * i + 1] = digits[md[i] & 15];
	}
	hex[LG_KD100_SIGN_LEN] = '\0';
	return PD_OK;
}

char *lg_kd100_sign(const char *param, const char *salt)
{
	if (!param || !salt)
		return NULL;
	char *hex = pd_xmalloc(LG_KD100_SIGN_LEN + 1);
	if (md5_hex(param, strlen(param), salt, hex) != PD_OK) {
		free(hex);
		return NULL;
	}
	return hex;
}

int lg_kd100_verify_sign(const char *param, size_t len, const char *sign, const char *salt)
{
	char want[LG_KD100_SIGN_LEN + 1], got[LG_KD100_SIGN_LEN];
	if (!param || !sign || !salt || strlen(sign) != LG_KD100_SIGN_LEN)
		return PD_ESIG; /* the length is public (always 32): no timing concern */
	if (md5_hex(param, len, salt, want) != PD_OK)
		return PD_ESIG;
	/* The doc says uppercase, some senders use lowercase: fold a-z to
	 * upper without branching on the secret-dependent comparison. */
	for (size_t i = 0; i < LG_KD100_SIGN_LEN; i++) {
		unsigned char c = (unsigned char)sign[i];
		unsigned lower = (unsigned)(c >= 'a') & (unsigned)(c <= 'z');
		got[i] = (char)(c ^ (lower << 5));
	}
	return CRYPTO_memcmp(want, got, LG_KD100_SIGN_LEN) == 0 ? PD_OK : PD_ESIG;
}

/* ---- China time ------------------------------------------------------------ */

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar
 * (Howard Hinnant's days_from_civil), valid for the years accepted here. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int days_in_month(int y, int m)
{
	static const int dim[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return m == 2 ? 28 + leap : dim[m - 1];
}

/* n decimal digits at s, or -1. */
static int digits_at(const char *s, int n)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

int lg_kd100_china_time_ms(const char *s, int64_t *out_ms)
{
	/* "2012-08-28 16:33:19": fixed positions, so check the length first
	 * and every field is read inside the string. */
	if (!s || !out_ms || strlen(s) != 19 || s[4] != '-' || s[7] != '-' || s[10] != ' ' ||
	    s[13] != ':' || s[16] != ':')
		return PD_EINVAL;
	int y = digits_at(s, 4), mo = digits_at(s + 5, 2), d = digits_at(s + 8, 2);
	int h = digits_at(s + 11, 2), mi = digits_at(s + 14, 2), sec = digits_at(s + 17, 2);
	if (y < 2000 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h < 0 ||
	    h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 59)
		return PD_EINVAL;
	int64_t local = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec;
	*out_ms = (local - 8 * 3600) * 1000; /* UTC+8 all year */
	return PD_OK;
}

/* ---- state codes ------------------------------------------------------------ */

int lg_kd100_state_to_shipment(int kd)
{
	switch (kd) {
	case 0: case 1001: case 1002: case 1003: case 7: case 8: case 10: case 11: case 12:
		return PEAKDESK__V1__SHIPMENT_STATE__SHIPMENT_STATE_IN_TRANSIT;
	case 101: case 102:
		return PEAKDESK__V1__SHIPMENT_STATE__SHIPMENT_STATE_CREATED;
	case 1: case 103:
		return PEAKDESK__V1__SHIPMENT_STATE__SHIPMENT_STATE_COLLECTED;
	case 5: case 501:
		return PEAKDESK__V1__SHIPMENT_STATE__SHIPMENT_STATE_OUT_FOR_DELIVERY;
	case 3: case 301: case 302: case 303: case 304:
		return PEAKDESK__V1__SHIPMENT_STATE__SHIPMENT_STATE_DELIVERED;
	case 2: case 201: case 202: case 203: case 204: case 205: case 206: case 207: case 208:
	case 209: case 210: case 13: case 14:
		return PEAKDESK__V1__SHIPMENT_STATE__SHIPMENT_STATE_EXCEPTION;
	case 6:
		return PEAKDESK__V1__SHIPMENT_STATE__SHIPMENT_STATE_RETURNING;
	case 4: case 401:
		return PEAKDESK__V1__SHIPMENT_STATE__SHIPMENT_STATE_RETURNED;
	default:
		return PEAKDESK__V1__SHIPMENT_STATE__SHIPMENT_STATE_UNSPECIFIED;
	}
}

/* ---- JSON ------------------------------------------------------------------- */

/* Text field `key` of obj: absent or null -> "" (or not found when
 * required); anything but a string is invalid. *len_out gets its length.
 * The returned pointer belongs to obj. */
static int json_text(json_object *obj, const char *key, const char *where, int required,
		     const char **out, size_t *len_out, pd_errbuf *eb)
{
	json_object *v = NULL;
	*out = "";
	*len_out = 0;
	if (!json_object_object_get_ex(obj, key, &v) || v == NULL) {
		if (required)
			return pd_fail(eb, PD_EINVAL, "missing %s%s", where, key);
		return PD_OK;
	}
	if (!json_object_is_type(v, json_type_string))
		return pd_fail(eb, PD_EINVAL, "%s%s: expected a string", where, key);
	const char *s = json_object_get_string(v);
	size_t n = (size_t)json_object_get_string_len(v);
	if (strlen(s) != n)
		return pd_fail(eb, PD_EDECODE, "%s%s: contains a NUL character", where, key);
	/* The raw param was checked already; this catches what escapes could
	 * produce, should json-c ever stop replacing lone surrogates. */
	if (!pd_utf8_valid(s, n))
		return pd_fail(eb, PD_EDECODE, "%s%s: not valid UTF-8", where, key);
	if (n > LG_KD100_MAX_STR)
		return pd_fail(eb, PD_EINVAL, "%s%s: longer than %d bytes", where, key,
			       LG_KD100_MAX_STR);
	*out = s;
	*len_out = n;
	return PD_OK;
}

/* Text field into a heap string the push owns. */
static int json_text_dup(json_object *obj, const char *key, const char *where, char **out,
			 pd_errbuf *eb)
{
	const char *s;
	size_t n;
	int rc = json_text(obj, key, where, 0, &s, &n, eb);
	if (rc != PD_OK)
		return rc;
	*out = pd_xstrdup(s);
	return PD_OK;
}

/* Text field into a fixed buffer of cap bytes (NUL included). */
static int json_text_fixed(json_object *obj, const char *key, const char *where, int required,
			   char *buf, size_t cap, pd_errbuf *eb)
{
	const char *s;
	size_t n;
	int rc = json_text(obj, key, where, required, &s, &n, eb);
	if (rc != PD_OK)
		return rc;
	if (n >= cap)
		return pd_fail(eb, PD_EINVAL, "%s%s: longer than %zu bytes", where, key, cap - 1);
	memcpy(buf, s, n + 1);
	return PD_OK;
}

/* Carrier codes and tracking numbers are matched against stored rows and
 * printed in logs: printable ASCII without spaces only. */
static int check_code(const char *s, const char *what, int required, pd_errbuf *eb)
{
	if (required && *s == '\0')
		return pd_fail(eb, PD_EINVAL, "%s is empty", what);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x21 || *p > 0x7e)
			return pd_fail(eb, PD_EINVAL, "%s: only printable ASCII allowed", what);
	return PD_OK;
}

/* A state code sent as "3" (the documented form) or 3: 0..99999, else -1
 * when absent, null or "". */
static int json_code(json_object *obj, const char *key, const char *where, int *out,
		     pd_errbuf *eb)
{
	json_object *v = NULL;
	*out = -1;
	if (!json_object_object_get_ex(obj, key, &v) || v == NULL)
		return PD_OK;
	if (json_object_is_type(v, json_type_int)) {
		int64_t n = json_object_get_int64(v);
		if (n < 0 || n > 99999)
			return pd_fail(eb, PD_EINVAL, "%s%s: code out of range", where, key);
		*out = (int)n;
		return PD_OK;
	}
	if (!json_object_is_type(v, json_type_string))
		return pd_fail(eb, PD_EINVAL, "%s%s: expected a numeric string", where, key);
	const char *s = json_object_get_string(v);
	size_t n = (size_t)json_object_get_string_len(v);
	if (n == 0)
		return PD_OK;
	int val = n <= 5 ? digits_at(s, (int)n) : -1;
	if (val < 0)
		return pd_fail(eb, PD_EINVAL, "%s%s: expected a numeric string", where, key);
	*out = val;
	return PD_OK;
}

static void scan_free(lg_kd100_scan *s)
{
	free(s->context);
	free(s->area_code);
	free(s->area_name);
	free(s->status);
}

void lg_kd100_push_free(lg_kd100_push *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n_scans; i++)
		scan_free(&p->scans[i]);
	free(p->scans);
	free(p->message);
	*p = (lg_kd100_push){ 0 };
}

static int parse_scan(json_object *item, size_t i, lg_kd100_scan *s, pd_errbuf *eb)
{
	char where[48];
	snprintf(where, sizeof(where), "lastResult.data[%zu].", i);
	if (!json_object_is_type(item, json_type_object))
		return pd_fail(eb, PD_EINVAL, "lastResult.data[%zu]: expected an object", i);

	/* ftime is Kuaidi100's normalised time; time is the carrier's raw one,
	 * used only when ftime is missing. */
	const char *t;
	size_t tn;
	int rc = json_text(item, "ftime", where, 0, &t, &tn, eb);
	if (rc == PD_OK && tn == 0)
		rc = json_text(item, "time", where, 0, &t, &tn, eb);
	if (rc != PD_OK)
		return rc;
	if (tn == 0)
		return pd_fail(eb, PD_EINVAL, "lastResult.data[%zu]: missing ftime/time", i);
	if (lg_kd100_china_time_ms(t, &s->scanned_at_ms) != PD_OK)
		return pd_fail(eb, PD_EINVAL, "%sftime: not \"YYYY-MM-DD HH:MM:SS\" China time", where);

	if ((rc = json_code(item, "statusCode", where, &s->status_code, eb)) != PD_OK ||
	    (rc = json_text_dup(item, "context", where, &s->context, eb)) != PD_OK ||
	    (rc = json_text_dup(item, "areaCode", where, &s->area_code, eb)) != PD_OK ||
	    (rc = json_text_dup(item, "areaName", where, &s->area_name, eb)) != PD_OK ||
	    (rc = json_text_dup(item, "status", where, &s->status, eb)) != PD_OK)
		return rc;
	return PD_OK;
}

static int parse_tree(json_object *root, lg_kd100_push *p, pd_errbuf *eb)
{
	int rc;
	if (!json_object_is_type(root, json_type_object))
		return pd_fail(eb, PD_EINVAL, "param: expected a JSON object");
	if ((rc = json_text_fixed(root, "status", "", 0, p->push_status, sizeof(p->push_status),
				  eb)) != PD_OK ||
	    (rc = json_text_dup(root, "message", "", &p->message, eb)) != PD_OK)
		return rc;

	json_object *lr = NULL;
	if (!json_object_object_get_ex(root, "lastResult", &lr) || lr == NULL)
		return pd_fail(eb, PD_EINVAL, "missing lastResult");
	if (!json_object_is_type(lr, json_type_object))
		return pd_fail(eb, PD_EINVAL, "lastResult: expected an object");

	const char *w = "lastResult.";
	if ((rc = json_text_fixed(lr, "nu", w, 1, p->nu, sizeof(p->nu), eb)) != PD_OK ||
	    (rc = check_code(p->nu, "lastResult.nu", 1, eb)) != PD_OK ||
	    (rc = json_text_fixed(lr, "com", w, 0, p->com, sizeof(p->com), eb)) != PD_OK ||
	    (rc = check_code(p->com, "lastResult.com", 0, eb)) != PD_OK ||
	    (rc = json_code(lr, "state", w, &p->state, eb)) != PD_OK)
		return rc;
	int ischeck;
	if ((rc = json_code(lr, "ischeck", w, &ischeck, eb)) != PD_OK)
		return rc;
	p->ischeck = ischeck == 1;

	json_object *data = NULL;
	if (!json_object_object_get_ex(lr, "data", &data) || data == NULL)
		return PD_OK; /* no scans yet (e.g. an abort push) */
	if (!json_object_is_type(data, json_type_array))
		return pd_fail(eb, PD_EINVAL, "lastResult.data: expected an array");
	size_t n = json_object_array_length(data);
	if (n > LG_KD100_MAX_SCANS)
		return pd_fail(eb, PD_EINVAL, "lastResult.data: %zu scans, more than %d", n,
			       LG_KD100_MAX_SCANS);
	if (n == 0)
		return PD_OK;
	p->scans = pd_xcalloc(n, sizeof(*p->scans));
	for (size_t i = 0; i < n; i++) {
		/* Count before filling, so a failure half-way frees what exists. */
		p->n_scans = i + 1;
		p->scans[i].status_code = -1;
		if ((rc = parse_scan(json_object_array_get_idx(data, i), i, &p->scans[i], eb)) !=
		    PD_OK)
			return rc;
		/* Kuaidi100 sends newest first, but the order is not trusted:
		 * newest is the maximum (the first one on ties). */
		if (p->scans[i].scanned_at_ms > p->last_scan_at_ms) {
			p->last_scan_at_ms = p->scans[i].scanned_at_ms;
			p->newest = i;
		}
	}
	return PD_OK;
}

/* json-c builds a tree far larger than its text (an empty object costs
 * ~700 bytes: 256 KiB of "{}," would take 60 MiB), so before parsing, count
 * the containers and commas outside strings and refuse shapes no real push
 * has: a push is a handful of objects plus one per scan, ~12 fields each. */
#define MAX_CONTAINERS (2 * LG_KD100_MAX_SCANS + 64)
#define MAX_COMMAS (32 * LG_KD100_MAX_SCANS + 256)

static int json_shape_ok(const char *s, size_t len, pd_errbuf *eb)
{
	size_t containers = 0, commas = 0;
	int in_str = 0;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (in_str) {
			if (c == '\\')
				i++; /* the escaped byte cannot end the string */
			else if (c == '"')
				in_str = 0;
		} else if (c == '"') {
			in_str = 1;
		} else if (c == '{' || c == '[') {
			containers++;
		} else if (c == ',') {
			commas++;
		}
	}
	if (containers > MAX_CONTAINERS || commas > MAX_COMMAS)
		return pd_fail(eb, PD_EINVAL, "param: %zu objects/arrays, %zu commas: more than any push",
			       containers, commas);
	return PD_OK;
}

int lg_kd100_parse_param(const char *param, size_t len, lg_kd100_push *out, pd_errbuf *eb)
{
	if (!out)
		return pd_fail(eb, PD_EINVAL, "no output");
	*out = (lg_kd100_push){ 0 };
	if (!param || len == 0)
		return pd_fail(eb, PD_EINVAL, "empty param");
	if (len > LG_KD100_MAX_BODY)
		return pd_fail(eb, PD_ETOOBIG, "param larger than %d bytes", LG_KD100_MAX_BODY);

	/* json-c's own UTF-8 check lets overlongs and surrogates through. */
	if (!pd_utf8_valid(param, len))
		return pd_fail(eb, PD_EDECODE, "param: not valid UTF-8 or contains NUL");
	int rc = json_shape_ok(param, len, eb);
	if (rc != PD_OK)
		return rc;

	json_tokener *tok = json_tokener_new_ex(LG_KD100_JSON_DEPTH);
	if (!tok)
		return pd_fail(eb, PD_ENOMEM, "cannot allocate JSON parser");
	/* json-c's strict mode refuses trailing commas, comments and glued
	 * values (it still takes single quotes and NaN, harmless in a signed
	 * push whose fields are read as strings). */
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	json_object *root = json_tokener_parse_ex(tok, param, (int)len);
	enum json_tokener_error jerr = json_tokener_get_error(tok);
	size_t end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);

	if (!root) {
		if (jerr == json_tokener_continue)
			return pd_fail(eb, PD_EDECODE, "param: truncated JSON");
		return pd_fail(eb, PD_EDECODE, "param: bad JSON at byte %zu: %s", end,
			       json_tokener_error_desc(jerr));
	}
	/* The tokener stops after the first value: whatever follows must be
	 * whitespace, or two documents were glued together. */
	for (size_t i = end; i < len; i++) {
		char c = param[i];
		if (c != ' ' && c != '\t' && c != '\r' && c != '\n') {
			json_object_put(root);
			return pd_fail(eb, PD_EDECODE, "param: trailing bytes after JSON at byte %zu",
				       i);
		}
	}
	rc = parse_tree(root, out, eb);
	json_object_put(root);
	if (rc != PD_OK) {
		lg_kd100_push_free(out);
		return rc;
	}
	if (!out->message)
		out->message = pd_xstrdup("");
	return PD_OK;
}

int lg_kd100_parse_body(const char *body, size_t len, const char *salt, lg_kd100_push *out,
			pd_errbuf *eb)
{
	if (!out)
		return pd_fail(eb, PD_EINVAL, "no output");
	*out = (lg_kd100_push){ 0 };
	/* An empty salt is allowed (the documented default): the sign is then
	 * MD5(param) alone, an integrity check but no authentication; the
	 * service warns about it at start. */
	if (!salt)
		return pd_fail(eb, PD_EINVAL, "no Kuaidi100 salt configured");
	if (!body && len)
		return pd_fail(eb, PD_EINVAL, "no body");
	if (len > LG_KD100_MAX_BODY)
		return pd_fail(eb, PD_ETOOBIG, "body larger than %d bytes", LG_KD100_MAX_BODY);

	struct form f = { 0 };
	int rc = form_parse(body, len, &f, eb);
	if (rc != PD_OK)
		goto done;
	if (!f.param || f.param_len == 0) {
		rc = pd_fail(eb, PD_EINVAL, "missing form field param");
		goto done;
	}
	if (!f.sign) {
		rc = pd_fail(eb, PD_ESIG, "missing form field sign");
		goto done;
	}
	if (lg_kd100_verify_sign(f.param, f.param_len, f.sign, salt) != PD_OK) {
		rc = pd_fail(eb, PD_ESIG, "sign does not match param");
		goto done;
	}
	rc = lg_kd100_parse_param(f.param, f.param_len, out, eb);
done:
	form_free(&f);
	return rc;
}
