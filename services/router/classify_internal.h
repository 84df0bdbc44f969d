/* What the classifier exposes to its tests only (tests/unit/classify_test.c):
 * the choice between the automaton's two forms, so both can be checked
 * against each other on the same rules. The router itself uses classify.h
 * alone. */
#ifndef RT_CLASSIFY_INTERNAL_H
#define RT_CLASSIFY_INTERNAL_H

#include <stddef.h>

#include "classify.h"

/* rt_rules_compile, with the dense form's budget in bytes (states x
 * character classes x 2) instead of the built-in 32 MiB: 0 forces the sparse
 * form (edges searched along the fail chain), which rt_rules_compile uses
 * only for sets over the budget or over 65,536 states or 32,768 classes. */
int rt_rules_compile_dense_max(const rt_rule_def *defs, size_t n, rt_rules **out, pd_errbuf *eb,
			       size_t dense_max);

/* Character classes of the dense form (SENT and "in no keyword"
 * included); 0 when the set uses the sparse form. */
size_t rt_rules_classes(const rt_rules *r);

#endif
