/* Character folding for the router (see classify_fold.h): a strict UTF-8
 * decoder that folds full-width ASCII to ASCII. Strict because a lenient one
 * would let an overlong encoding of a keyword byte sneak past the automaton
 * in one module and not the other. */
#include "classify_fold.h"

int rt_fold_next(const char *s, size_t len, size_t i, size_t *next)
{
	const unsigned char *u = (const unsigned char *)s;
	unsigned c = u[i];
	unsigned lo = 0x80, hi = 0xBF, cp;
	size_t n;

	if (c < 0x80) {
		*next = i + 1;
		return (int)c;
	}
	/* Table 3-7 of the Unicode standard: the second byte's range rules out
	 * overlongs, surrogates and code points above U+10FFFF. */
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
	if (cp >= 0xFF01 && cp <= 0xFF5E)
		return (int)(cp - 0xFEE0);
	if (cp == 0x3000)
		return ' ';
	return (int)cp;
}
