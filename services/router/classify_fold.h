/* Character folding shared by the router's keyword automaton (classify.c)
 * and the order/tracking number extractor (extract.c), so that both read
 * "ＳＦ１２３", "sf123" and "SF123" the same way. Pure, thread-safe. */
#ifndef RT_CLASSIFY_FOLD_H
#define RT_CLASSIFY_FOLD_H

#include <stddef.h>
#include <stdint.h>

/* Returned for a byte that does not start a valid UTF-8 sequence. */
#define RT_FOLD_INVALID (-1)

/* Strict UTF-8 decoding of the character at s[i] (i < len), without any
 * folding: returns its code point and sets *next to the index after it, or
 * returns RT_FOLD_INVALID with *next = i + 1 for a byte that does not start
 * a valid sequence (overlong, surrogate, truncated, > U+10FFFF; Table 3-7
 * of the Unicode standard), so that scanning resynchronises on the next
 * byte exactly as UTF-8's self-synchronisation intends. The one decoder of
 * the router: the automaton's scan and rt_fold_next both use it, so an
 * overlong encoding of a keyword byte cannot sneak past one and not the
 * other. Inline because the automaton calls it per character. */
static inline int rt_utf8_next(const char *s, size_t len, size_t i, size_t *next)
{
	const unsigned char *u = (const unsigned char *)s;
	unsigned c = u[i];
	unsigned lo = 0x80, hi = 0xBF;
	uint32_t cp;
	size_t n;

	if (c < 0x80) {
		*next = i + 1;
		return (int)c;
	}
	/* the second byte's range rules out overlongs, surrogates and code
	 * points above U+10FFFF */
	if (c >= 0xC2 && c <= 0xDF) {
		n = 1;
		cp = c & 0x1F;
	} else if (c == 0xE0) {
		n = 2;
		lo = 0xA0;
		cp = c & 0x0F;
	} else if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) {
		n = 2;
		cp = c & 0x0F;
	} else if (c == 0xED) {
		n = 2;
		hi = 0x9F;
		cp = c & 0x0F;
	} else if (c == 0xF0) {
		n = 3;
		lo = 0x90;
		cp = c & 0x07;
	} else if (c >= 0xF1 && c <= 0xF3) {
		n = 3;
		cp = c & 0x07;
	} else if (c == 0xF4) {
		n = 3;
		hi = 0x8F;
		cp = c & 0x07;
	} else {
		*next = i + 1;
		return RT_FOLD_INVALID;
	}
	if (len - i <= n) {
		*next = i + 1;
		return RT_FOLD_INVALID;
	}
	for (size_t k = 1; k <= n; k++) {
		unsigned b = u[i + k];
		unsigned blo = k == 1 ? lo : 0x80, bhi = k == 1 ? hi : 0xBF;
		if (b < blo || b > bhi) {
			*next = i + 1;
			return RT_FOLD_INVALID;
		}
		cp = cp << 6 | (b & 0x3F);
	}
	*next = i + 1 + n;
	return (int)cp;
}

/* The folding of one decoded character c (a code point, or
 * RT_FOLD_INVALID, which stays as it is): full-width ASCII U+FF01..U+FF5E
 * becomes ASCII (Ｆ -> 'F', １ -> '1', ？ -> '?'), the ideographic space
 * U+3000 a space; anything else is unchanged; letter case is kept. */
static inline int rt_fold_cp(int c)
{
	if (c >= 0xFF01 && c <= 0xFF5E)
		return c - 0xFEE0;
	if (c == 0x3000)
		return ' ';
	return c;
}

/* Decodes the character at s[i] (i < len) and sets *next to the index after
 * it. Returns
 *   - the ASCII value for ASCII, for full-width ASCII U+FF01..U+FF5E
 *     (Ｆ -> 'F', １ -> '1', ？ -> '?') and for the ideographic space U+3000
 *     (-> ' '); letter case is kept, callers fold it as they need;
 *   - the code point for any other valid character (>= 0x80);
 *   - RT_FOLD_INVALID for an invalid byte, with *next = i + 1, as
 *     rt_utf8_next. */
int rt_fold_next(const char *s, size_t len, size_t i, size_t *next);

/* ASCII letter or digit (after folding): the characters that make up words
 * in English keywords and order/tracking numbers. */
static inline int rt_fold_alnum(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

#endif
