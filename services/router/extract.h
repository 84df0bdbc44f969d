/* Order, return, tracking and phone numbers found in a customer's message
 * (pure logic, no I/O), so the router can link the ticket to the order and
 * shipment and merge tickets by order number or phone (DESIGN.md, "What
 * the ticket router decides").
 *
 * How text is read. Characters are folded first (classify_fold.h):
 * full-width digits and letters count as ASCII (１３８… is a phone number),
 * letters are case-insensitive (sf… == SF…). A "token" is a maximal run of
 * ASCII letters and digits, where a single '-' between two of them joins
 * runs ("D11-000001", "138-1234-5678"). A format must cover a WHOLE token:
 * nothing is extracted from inside a longer run of digits or letters, so
 * "1381234567890" (13 digits) holds no phone number and "XSF1234567890123"
 * no SF number. Chinese characters, spaces and punctuation end tokens:
 * "单号SF1234567890123到哪了" yields SF1234567890123.
 *
 * Formats, in order of precedence for one token:
 *   1. mainland mobile 1[3-9] + 9 digits: 13812345678, 138-1234-5678,
 *      138 1234 5678, +8613812345678, +86 138 1234 5678 (value: the 11
 *      digits). A phone wins over an order number of the same length;
 *      alt_kind is ORDER when an order cue (订单, order) is the nearest cue
 *      before it (手机/电话/phone/tel are cues too, for "not an order").
 *   2. prefix formats (config.prefixes, first matching entry wins): letters
 *      or digits, then `letters` more letters, then min..max digits. The
 *      defaults are the shop's own ids (PD + 10 digits, D11- + 6..10 digits,
 *      returns RT + 10 digits) and carrier waybills (SF/YT/YD/ZT + 12..13
 *      digits, JD + 13, JDV? + 11, JT + 13).
 *   3. UPU S10 international mail (EMS): 2 letters + 9 digits + 2 letters,
 *      EA123456789CN; the check digit is verified only when asked.
 *   4. all-digit tokens by length (config.numerics). Defaults: 11 -> JD
 *      order (when not a mobile number); 12 -> JD order or a numeric
 *      waybill (ZTO's 12-digit numbers): the nearest cue within ~12
 *      characters before it decides (订单/订单号/order -> order;
 *      快递/运单/物流/单号/包裹/tracking/waybill -> tracking), otherwise order,
 *      and alt_kind carries the other reading; 13..15 -> numeric waybill
 *      (ZTO, Yunda, STO, domestic EMS: the carrier is not knowable from the
 *      digits, format "numeric"); 18..19 -> Taobao/Tmall order. Other
 *      lengths (16-17: bank cards; 20+) are never extracted.
 *
 * Why hand-written scanners and not regcomp: these are tiny fixed token
 * formats, but they need things POSIX regex does not give: folding of
 * full-width digits, word boundaries next to Chinese text without a UTF-8
 * locale, "a whole token or nothing", precedence between overlapping
 * formats and a look-back for context cues. A scanner does all of it in one
 * pass with no allocation; regexes would need several passes plus the same
 * boundary code around them. */
#ifndef RT_EXTRACT_H
#define RT_EXTRACT_H

#include <stddef.h>

#include "pd.h"

typedef enum rt_ref_kind {
	RT_REF_NONE = 0,
	RT_REF_ORDER,    /* "order": a shop or marketplace order number */
	RT_REF_TRACKING, /* "tracking": a carrier waybill number */
	RT_REF_RETURN,   /* "return": the shop's return (RMA) number */
	RT_REF_PHONE,    /* "phone": mainland mobile number */
} rt_ref_kind;

#define RT_REF_VALUE_MAX 40 /* value buffer, NUL included */
#define RT_REF_MAX_DIGITS 30
#define RT_REF_MAX_PREFIX 16

/* One number found. */
typedef struct rt_ref {
	rt_ref_kind kind;
	rt_ref_kind alt_kind; /* RT_REF_NONE, or what the same token may also be:
			       * the linker can try that too when kind finds nothing */
	const char *format;   /* "shop", "taobao", "jd", "shunfeng", "numeric", "ems",
			       * "mobile", ...: static or the config's string */
	size_t start, end;    /* bytes [start, end) of the text */
	char value[RT_REF_VALUE_MAX]; /* canonical: ASCII, letters upper-case, '-' kept
				       * where the format has it, phones as 11 digits */
} rt_ref;

/* Prefix format: prefix (ASCII letters/digits/'-', case-insensitive), then
 * `letters` more ASCII letters, then min_digits..max_digits digits. */
typedef struct rt_prefix_format {
	const char *prefix;
	int letters;
	int min_digits, max_digits;
	rt_ref_kind kind;
	const char *format;
} rt_prefix_format;

/* All-digit token of min_digits..max_digits. When alt_kind is set, a
 * nearer cue for alt_kind than for kind swaps the two. */
typedef struct rt_numeric_format {
	int min_digits, max_digits;
	rt_ref_kind kind;
	const char *format;
	rt_ref_kind alt_kind;
	const char *alt_format;
} rt_numeric_format;

typedef struct rt_extract_config {
	const rt_prefix_format *prefixes;
	size_t n_prefixes;
	const rt_numeric_format *numerics;
	size_t n_numerics;
	int phones;          /* extract mainland mobile numbers */
	int s10;             /* extract UPU S10 numbers (format "ems") */
	int s10_check_digit; /* and only those whose check digit is right */
} rt_extract_config;

/* The defaults described above; static storage. */
const rt_extract_config *rt_extract_default_config(void);

/* Validates a custom config once, at load: PD_OK or PD_EINVAL with eb (may
 * be NULL) naming the entry. rt_extract itself never fails on a bad entry,
 * it skips it. */
int rt_extract_config_check(const rt_extract_config *cfg, pd_errbuf *eb);

/* Scans len bytes of text (UTF-8; invalid bytes end tokens) with cfg (NULL
 * = defaults). Writes up to max distinct references, in order of first
 * appearance, to out (a repeat of the same kind and value as one written is
 * dropped) and returns how many it found. A result above max means "there
 * were more" (like snprintf); repeats among the ones not written are not
 * recognised, so do not read it as an exact count then. out may be NULL
 * when max is 0. No allocation; thread-safe. */
size_t rt_extract(const rt_extract_config *cfg, const char *text, size_t len, rt_ref *out,
		  size_t max);

/* "order", "tracking", "return", "phone"; "" for RT_REF_NONE. */
const char *rt_ref_kind_name(rt_ref_kind k);

#endif
