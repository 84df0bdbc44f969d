/* Character folding for the router (see classify_fold.h): the strict UTF-8
 * decoder of classify_fold.h, folding full-width ASCII to ASCII. Strict
 * because a lenient one would let an overlong encoding of a keyword byte
 * sneak past the automaton in one module and not the other. */
#include "classify_fold.h"

int rt_fold_next(const char *s, size_t len, size_t i, size_t *next)
{
	return rt_fold_cp(rt_utf8_next(s, len, i, next));
}
