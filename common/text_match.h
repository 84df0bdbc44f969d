/* Small byte-level helpers for matching wording in customer text (the
 * router's risk lexicons, the survey's negative comments): ASCII case
 * folding only, so the bytes of multi-byte UTF-8 characters are compared
 * exactly and a Chinese entry matches only the same character. */
#ifndef PD_TEXT_MATCH_H
#define PD_TEXT_MATCH_H

#include <stddef.h>
#include <string.h>

static inline int pd_ascii_alnum(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static inline unsigned char pd_ascii_fold(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a') : c;
}

/* a[0..n) equals b[0..n), ASCII case-insensitive. */
static inline int pd_eq_fold(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (pd_ascii_fold((unsigned char)a[i]) != pd_ascii_fold((unsigned char)b[i]))
			return 0;
	return 1;
}

/* text[0..pos) ends with s, ASCII case-insensitive. */
static inline int pd_ends_with_fold(const char *text, size_t pos, const char *s)
{
	size_t n = strlen(s);
	return pos >= n && pd_eq_fold(text + pos - n, s, n);
}

#endif
