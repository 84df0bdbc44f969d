/* Order / return / tracking / phone number extraction for the router: a
 * one-pass token scanner over folded UTF-8 text. The formats, their
 * precedence and the reason for not using regcomp are in extract.h. */
#include "extract.h"

#include <string.h>

#include "classify_fold.h"

/* Longest token looked at: well above every format (S10 is 13, a Taobao
 * order 19, a prefix format at most 16 + 4 + 30); longer runs are skipped
 * whole, which is what keeps numbers from being found inside them. */
#define TOK_MAX 56

/* Bytes looked back for a context cue: 12 CJK characters, or the English
 * "order number: " with room to spare. */
#define CUE_WINDOW 36

static const rt_prefix_format default_prefixes[] = {
	/* the shop's own ids (tests/data/sample: PD2411110001, RT2411130001) */
	{ "PD", 0, 10, 10, RT_REF_ORDER, "shop" },
	{ "D11-", 0, 6, 10, RT_REF_ORDER, "shop" },
	{ "RT", 0, 10, 10, RT_REF_RETURN, "shop" },
	/* carrier waybills; formats named by Kuaidi100 company code */
	{ "SF", 0, 12, 13, RT_REF_TRACKING, "shunfeng" },
	{ "YT", 0, 12, 13, RT_REF_TRACKING, "yuantong" },
	{ "YD", 0, 12, 13, RT_REF_TRACKING, "yunda" },
	{ "ZT", 0, 12, 13, RT_REF_TRACKING, "zhongtong" },
	{ "JD", 0, 13, 13, RT_REF_TRACKING, "jd" },
	{ "JDV", 1, 11, 11, RT_REF_TRACKING, "jd" }, /* JDVA00012345678 */
	{ "JT", 0, 13, 13, RT_REF_TRACKING, "jtexpress" },
};

static const rt_numeric_format default_numerics[] = {
	{ 11, 11, RT_REF_ORDER, "jd", RT_REF_NONE, NULL },
	{ 12, 12, RT_REF_ORDER, "jd", RT_REF_TRACKING, "numeric" },
	{ 13, 15, RT_REF_TRACKING, "numeric", RT_REF_NONE, NULL },
	{ 18, 19, RT_REF_ORDER, "taobao", RT_REF_NONE, NULL },
};

static const rt_extract_config default_config = {
	.prefixes = default_prefixes,
	.n_prefixes = PD_ARRAY_LEN(default_prefixes),
	.numerics = default_numerics,
	.n_numerics = PD_ARRAY_LEN(default_numerics),
	.phones = 1,
	.s10 = 1,
	/* Off: customers paste real numbers, and a made-up one in a test or a
	 * demo is more surprising to lose than an S10-shaped SKU is to find. */
	.s10_check_digit = 0,
};

const rt_extract_config *rt_extract_default_config(void)
{
	return &default_config;
}

const char *rt_ref_kind_name(rt_ref_kind k)
{
	switch (k) {
	case RT_REF_ORDER:
		return "order";
	case RT_REF_TRACKING:
		return "tracking";
	case RT_REF_RETURN:
		return "return";
	case RT_REF_PHONE:
		return "phone";
	default:
		return "";
	}
}

static int valid_kind(rt_ref_kind k)
{
	return k == RT_REF_ORDER || k == RT_REF_TRACKING || k == RT_REF_RETURN;
}

int rt_extract_config_check(const rt_extract_config *cfg, pd_errbuf *eb)
{
	if (!cfg)
		return pd_fail(eb, PD_EINVAL, "no config");
	if (cfg->n_prefixes && !cfg->prefixes)
		return pd_fail(eb, PD_EINVAL, "prefixes missing");
	if (cfg->n_numerics && !cfg->numerics)
		return pd_fail(eb, PD_EINVAL, "numerics missing");
	for (size_t i = 0; i < cfg->n_prefixes; i++) {
		const rt_prefix_format *p = &cfg->prefixes[i];
		size_t n = p->prefix ? strlen(p->prefix) : 0;
		if (n == 0 || n > RT_REF_MAX_PREFIX)
			return pd_fail(eb, PD_EINVAL, "prefixes[%zu]: prefix must be 1..%d bytes", i,
				       RT_REF_MAX_PREFIX);
		for (size_t k = 0; k < n; k++) {
			int c = (unsigned char)p->prefix[k];
			int dash_ok = c == '-' && k > 0 && p->prefix[k - 1] != '-';
			if (!rt_fold_alnum(c) && !dash_ok)
				return pd_fail(eb, PD_EINVAL,
					       "prefixes[%zu]: prefix may hold ASCII letters, digits "
					       "and single '-' after the first character",
					       i);
		}
		if (p->letters < 0 || p->letters > 4)
			return pd_fail(eb, PD_EINVAL, "prefixes[%zu]: letters must be 0..4", i);
		if (p->min_digits < 1 || p->max_digits < p->min_digits ||
		    p->max_digits > RT_REF_MAX_DIGITS)
			return pd_fail(eb, PD_EINVAL, "prefixes[%zu]: digits must be 1 <= min <= max <= %d",
				       i, RT_REF_MAX_DIGITS);
		if (!valid_kind(p->kind) || !p->format || !*p->format)
			return pd_fail(eb, PD_EINVAL,
				       "prefixes[%zu]: kind must be order, tracking or return, "
				       "with a format name",
				       i);
	}
	for (size_t i = 0; i < cfg->n_numerics; i++) {
		const rt_numeric_format *f = &cfg->numerics[i];
		if (f->min_digits < 1 || f->max_digits < f->min_digits ||
		    f->max_digits > RT_REF_MAX_DIGITS)
			return pd_fail(eb, PD_EINVAL, "numerics[%zu]: digits must be 1 <= min <= max <= %d",
				       i, RT_REF_MAX_DIGITS);
		if (!valid_kind(f->kind) || !f->format || !*f->format)
			return pd_fail(eb, PD_EINVAL,
				       "numerics[%zu]: kind must be order, tracking or return, "
				       "with a format name",
				       i);
		if (f->alt_kind != RT_REF_NONE &&
		    (!valid_kind(f->alt_kind) || f->alt_kind == f->kind || !f->alt_format ||
		     !*f->alt_format))
			return pd_fail(eb, PD_EINVAL,
				       "numerics[%zu]: alt_kind must differ from kind and have an "
				       "alt_format",
				       i);
	}
	return PD_OK;
}

/* ---- tokens -------------------------------------------------------------- */

struct tok {
	size_t start, end;    /* bytes of the text */
	size_t n;             /* folded characters kept in c (n <= TOK_MAX) */
	int overflow;         /* the token is longer than TOK_MAX */
	int digits_only;      /* c is all digits (no letter, no '-') */
	char c[TOK_MAX + 1];  /* folded, letters upper-case */
	size_t off[TOK_MAX + 1]; /* byte offset of each character */
};

/* Folded character at i, or -2 at the end of the text. */
static int peek(const char *s, size_t len, size_t i, size_t *next)
{
	if (i >= len) {
		*next = len;
		return -2;
	}
	return rt_fold_next(s, len, i, next);
}

/* Reads the token starting at i: letters and digits, with a single '-'
 * joining two of them. */
static void read_token(const char *s, size_t len, size_t i, struct tok *t)
{
	t->start = i;
	t->n = 0;
	t->overflow = 0;
	t->digits_only = 1;
	size_t p = i, nx;
	for (;;) {
		int c = peek(s, len, p, &nx);
		if (c == '-' && t->n + t->overflow > 0) {
			size_t nx2;
			if (!rt_fold_alnum(peek(s, len, nx, &nx2)))
				break;
		} else if (!rt_fold_alnum(c)) {
			break;
		}
		if (c != '-' && (c < '0' || c > '9'))
			t->digits_only = 0;
		if (c == '-')
			t->digits_only = 0;
		if (t->n < TOK_MAX) {
			t->off[t->n] = p;
			t->c[t->n++] = (char)(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
		} else {
			t->overflow = 1;
		}
		p = nx;
	}
	t->end = p;
	t->c[t->n] = '\0';
	t->off[t->n] = p;
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int is_letter(char c)
{
	return c >= 'A' && c <= 'Z';
}

static int all_digits(const char *c, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!is_digit(c[i]))
			return 0;
	return 1;
}

/* Mainland mobile: 1[3-9] + 9 digits. */
static int is_mobile(const char *d)
{
	return d[0] == '1' && d[1] >= '3' && d[1] <= '9' && all_digits(d, 11);
}

/* A mobile number starting at byte i: one 11-digit token, "ddd-dddd-dddd"
 * or "ddd dddd dddd" (one space, ASCII or ideographic, between groups).
 * Sets *end and the 11 digits in d. */
static int phone_at(const char *s, size_t len, size_t i, size_t *end, char d[12])
{
	size_t nx;
	if (!rt_fold_alnum(peek(s, len, i, &nx)))
		return 0;
	struct tok t;
	read_token(s, len, i, &t);
	if (t.overflow)
		return 0;
	if (t.n == 11 && t.digits_only) {
		memcpy(d, t.c, 11);
	} else if (t.n == 13 && t.c[3] == '-' && t.c[8] == '-' && all_digits(t.c, 3) &&
		   all_digits(t.c + 4, 4) && all_digits(t.c + 9, 4)) {
		memcpy(d, t.c, 3);
		memcpy(d + 3, t.c + 4, 4);
		memcpy(d + 7, t.c + 9, 4);
	} else if (t.n == 3 && t.digits_only) {
		memcpy(d, t.c, 3);
		size_t p = t.end;
		for (int g = 0; g < 2; g++) {
			if (peek(s, len, p, &nx) != ' ')
				return 0;
			p = nx;
			struct tok u;
			if (!rt_fold_alnum(peek(s, len, p, &nx)))
				return 0;
			read_token(s, len, p, &u);
			if (u.n != 4 || !u.digits_only)
				return 0;
			memcpy(d + 3 + 4 * g, u.c, 4);
			p = u.end;
		}
		t.end = p;
	} else {
		return 0;
	}
	d[11] = '\0';
	if (!is_mobile(d))
		return 0;
	*end = t.end;
	return 1;
}

/* ---- context cues ---------------------------------------------------------- */

static const struct {
	const char *text;
	rt_ref_kind kind;
} cues[] = {
	{ "订单", RT_REF_ORDER },
	{ "订单号", RT_REF_ORDER }, /* ends where 单号 does, and is longer */
	{ "order", RT_REF_ORDER },
	{ "快递", RT_REF_TRACKING },
	{ "运单", RT_REF_TRACKING },
	{ "物流", RT_REF_TRACKING },
	{ "单号", RT_REF_TRACKING }, /* alone it means the waybill in Chinese CS talk */
	{ "包裹", RT_REF_TRACKING },
	{ "tracking", RT_REF_TRACKING },
	{ "waybill", RT_REF_TRACKING },
	/* a phone cue only says "not an order": it clears alt_kind */
	{ "手机", RT_REF_PHONE },
	{ "电话", RT_REF_PHONE },
	{ "phone", RT_REF_PHONE },
	{ "tel", RT_REF_PHONE },
};

static int ascii_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* Kind of the cue that ends nearest before byte `at` (within CUE_WINDOW);
 * on a tie the longer cue. RT_REF_NONE when there is none. */
static rt_ref_kind cue_before(const char *s, size_t at)
{
	size_t from = at > CUE_WINDOW ? at - CUE_WINDOW : 0;
	size_t best_end = 0, best_len = 0;
	rt_ref_kind best = RT_REF_NONE;
	for (size_t k = 0; k < PD_ARRAY_LEN(cues); k++) {
		size_t n = strlen(cues[k].text);
		if (at - from < n)
			continue;
		for (size_t p = at - n + 1; p-- > from;) {
			size_t j;
			for (j = 0; j < n && ascii_lower((unsigned char)s[p + j]) ==
						     (unsigned char)cues[k].text[j];
			     j++)
				;
			if (j < n)
				continue;
			if (p + n > best_end || (p + n == best_end && n > best_len)) {
				best_end = p + n;
				best_len = n;
				best = cues[k].kind;
			}
			break; /* the last occurrence of this cue is the nearest */
		}
	}
	return best;
}

/* ---- formats ---------------------------------------------------------------- */

static void set_ref(rt_ref *r, rt_ref_kind kind, rt_ref_kind alt, const char *format, size_t start,
		    size_t end, const char *value, size_t n)
{
	r->kind = kind;
	r->alt_kind = alt;
	r->format = format ? format : "";
	r->start = start;
	r->end = end;
	if (n > RT_REF_VALUE_MAX - 1)
		n = RT_REF_VALUE_MAX - 1;
	memcpy(r->value, value, n);
	r->value[n] = '\0';
}

static int prefix_match(const rt_prefix_format *f, const struct tok *t)
{
	if (!f->prefix)
		return 0;
	size_t pn = strlen(f->prefix), k;
	if (pn == 0 || pn > t->n)
		return 0;
	for (k = 0; k < pn; k++) {
		int c = (unsigned char)f->prefix[k];
		if (t->c[k] != (char)(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c))
			return 0;
	}
	for (int l = 0; l < f->letters; l++, k++)
		if (k >= t->n || !is_letter(t->c[k]))
			return 0;
	size_t digits = t->n - k;
	if (k > t->n || !all_digits(t->c + k, digits))
		return 0;
	return (int)digits >= f->min_digits && (int)digits <= f->max_digits;
}

/* UPU S10: 2 letters, 8 digits + check digit, 2 letters. */
static int s10_match(const struct tok *t, int check)
{
	if (t->n != 13 || !is_letter(t->c[0]) || !is_letter(t->c[1]) || !all_digits(t->c + 2, 9) ||
	    !is_letter(t->c[11]) || !is_letter(t->c[12]))
		return 0;
	if (!check)
		return 1;
	static const int w[8] = { 8, 6, 4, 2, 3, 5, 9, 7 };
	int sum = 0;
	for (int i = 0; i < 8; i++)
		sum += w[i] * (t->c[2 + i] - '0');
	int cd = 11 - sum % 11;
	if (cd == 10)
		cd = 0;
	else if (cd == 11)
		cd = 5;
	return t->c[10] - '0' == cd;
}

/* Tries every format on the token starting at byte i. plus_start is the
 * byte offset of a '+' right before it, or (size_t)-1. */
static int match_at(const rt_extract_config *cfg, const char *s, size_t len, size_t i,
		    size_t plus_start, rt_ref *r)
{
	struct tok t;
	char d[12];
	size_t end, nx;
	read_token(s, len, i, &t);

	if (cfg->phones) {
		/* +86 138..., +86-138..., +8613812345678 */
		if (plus_start != (size_t)-1 && t.n >= 2 && t.c[0] == '8' && t.c[1] == '6') {
			size_t p = t.off[2];
			if (t.n == 2 && peek(s, len, t.end, &nx) == ' ')
				p = nx;
			else if (t.n > 2 && t.c[2] == '-')
				p = t.off[3];
			if (p < len && phone_at(s, len, p, &end, d)) {
				set_ref(r, RT_REF_PHONE, RT_REF_NONE, "mobile", plus_start, end, d, 11);
				return 1;
			}
		}
		if (phone_at(s, len, i, &end, d)) {
			rt_ref_kind alt = t.n == 11 && cue_before(s, i) == RT_REF_ORDER ? RT_REF_ORDER
											: RT_REF_NONE;
			set_ref(r, RT_REF_PHONE, alt, "mobile", i, end, d, 11);
			return 1;
		}
	}
	if (t.overflow)
		return 0;
	for (size_t k = 0; k < cfg->n_prefixes; k++)
		if (prefix_match(&cfg->prefixes[k], &t)) {
			set_ref(r, cfg->prefixes[k].kind, RT_REF_NONE, cfg->prefixes[k].format, i,
				t.end, t.c, t.n);
			return 1;
		}
	if (cfg->s10 && s10_match(&t, cfg->s10_check_digit)) {
		set_ref(r, RT_REF_TRACKING, RT_REF_NONE, "ems", i, t.end, t.c, t.n);
		return 1;
	}
	if (!t.digits_only)
		return 0;
	for (size_t k = 0; k < cfg->n_numerics; k++) {
		const rt_numeric_format *f = &cfg->numerics[k];
		if ((int)t.n < f->min_digits || (int)t.n > f->max_digits)
			continue;
		rt_ref_kind kind = f->kind, alt = f->alt_kind;
		const char *format = f->format;
		if (alt != RT_REF_NONE && cue_before(s, i) == alt) {
			kind = f->alt_kind;
			alt = f->kind;
			format = f->alt_format;
		}
		set_ref(r, kind, alt, format, i, t.end, t.c, t.n);
		return 1;
	}
	return 0;
}

size_t rt_extract(const rt_extract_config *cfg, const char *text, size_t len, rt_ref *out,
		  size_t max)
{
	if (!cfg)
		cfg = &default_config;
	if (!text)
		return 0;
	size_t found = 0, stored = 0;
	size_t plus_start = (size_t)-1; /* '+' just before i */
	size_t i = 0;
	while (i < len) {
		size_t nx;
		int c = rt_fold_next(text, len, i, &nx);
		if (!rt_fold_alnum(c)) {
			plus_start = c == '+' ? i : (size_t)-1;
			i = nx;
			continue;
		}
		rt_ref r;
		if (match_at(cfg, text, len, i, plus_start, &r)) {
			size_t k;
			for (k = 0; k < stored; k++)
				if (out[k].kind == r.kind && strcmp(out[k].value, r.value) == 0)
					break;
			if (k == stored) {
				if (stored < max)
					out[stored++] = r;
				found++;
			}
			i = r.end;
		} else {
			struct tok t;
			read_token(text, len, i, &t);
			i = t.end;
		}
		plus_start = (size_t)-1;
	}
	return found;
}
