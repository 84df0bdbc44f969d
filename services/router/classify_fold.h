/* Character folding shared by the router's keyword automaton (classify.c)
 * and the order/tracking number extractor (extract.c), so that both read
 * "ＳＦ１２３", "sf123" and "SF123" the same way. Pure, thread-safe. */
#ifndef RT_CLASSIFY_FOLD_H
#define RT_CLASSIFY_FOLD_H

#include <stddef.h>

/* Returned for a byte that does not start a valid UTF-8 sequence. */
#define RT_FOLD_INVALID (-1)

/* Decodes the character at s[i] (i < len) and sets *next to the index after
 * it. Returns
 *   - the ASCII value for ASCII, for full-width ASCII U+FF01..U+FF5E
 *     (Ｆ -> 'F', １ -> '1', ？ -> '?') and for the ideographic space U+3000
 *     (-> ' '); letter case is kept, callers fold it as they need;
 *   - the code point for any other valid character (>= 0x80);
 *   - RT_FOLD_INVALID for an invalid byte (overlong, surrogate, truncated,
 *     > U+10FFFF), with *next = i + 1, so that scanning resynchronises on the
 *     next byte exactly as UTF-8's self-synchronisation intends. */
int rt_fold_next(const char *s, size_t len, size_t i, size_t *next);

/* ASCII letter or digit (after folding): the characters that make up words
 * in English keywords and order/tracking numbers. */
static inline int rt_fold_alnum(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

#endif
