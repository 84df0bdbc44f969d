/* Rule compilation and classification for the ticket router: one
 * Aho-Corasick automaton over the folded characters of every keyword of
 * every rule, then the rules evaluated in order against the set of keywords
 * found. Semantics and ownership are in classify.h. No I/O, no globals. */
#include "classify.h"

#include <regex.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify_fold.h"
#include "classify_internal.h"
#include "codec.h"

/* ---- folding: the symbols the automaton reads -----------------------------
 *
 * The automaton steps once per CHARACTER of the text, not per byte (73 % of
 * the messages are Chinese, 3 bytes a character). Text and keywords go
 * through the same folding (classify.h): full-width ASCII -> ASCII, ASCII
 * letters lower-cased, other valid characters as they are; a keyword is the
 * sequence of its folded code points (its "labels"). Word boundaries are
 * made explicit: a SENT symbol is read wherever the text switches between
 * "ASCII letter or digit" and anything else, the text being thought of as
 * padded with non-word characters at both ends. A keyword folded the same
 * way carries SENT at its alphanumeric edges, so plain substring matching
 * then enforces the word boundaries, and the automaton stays a textbook one
 * (its "first occurrence implies all suffixes seen" shortcut below stays
 * valid, which a boundary check done beside the automaton would break).
 * SENT is no code point, so text cannot forge it; an invalid text byte is
 * read as a character that is in no keyword, so no keyword can match across
 * it. */
#define SENT 0x110000u

/* Lower-cased folded character (rt_fold_next's value). */
static inline uint32_t fold_label(int c)
{
	return c >= 'A' && c <= 'Z' ? (uint32_t)(c - 'A' + 'a') : (uint32_t)c;
}

/* A keyword's labels, SENTs included (at most one SENT per character plus
 * one), and what the limits count: its folded UTF-8 bytes, a SENT counting
 * one, as when the automaton read bytes. */
struct folded {
	uint32_t lab[2 * RT_MAX_KEYWORD_BYTES + 2];
	size_t n;
	size_t bytes;
};

/* Folds a valid UTF-8 keyword body. */
static void fold_keyword(const char *s, size_t len, struct folded *f)
{
	int prev_alnum = 0;
	f->n = f->bytes = 0;
	for (size_t i = 0; i < len;) {
		size_t next;
		int c = rt_fold_next(s, len, i, &next);
		int alnum = rt_fold_alnum(c);
		if (alnum != prev_alnum) {
			f->lab[f->n++] = SENT;
			f->bytes++;
		}
		f->lab[f->n++] = fold_label(c);
		f->bytes += c < 0x80 ? 1 : next - i;
		prev_alnum = alnum;
		i = next;
	}
	if (prev_alnum) {
		f->lab[f->n++] = SENT;
		f->bytes++;
	}
}

/* ---- the compiled set ---------------------------------------------------- */

struct kw {
	uint32_t pat; /* pattern (distinct folded keyword) id */
	char *text;   /* as written in the rule */
};

struct rule {
	char *id;
	int position;
	unsigned channels;
	char *tier;        /* NULL = any */
	rt_category if_cat; /* RT_CAT_NONE = any */
	struct kw *any, *all, *none;
	size_t n_any, n_all, n_none;
	size_t n_all_pats; /* distinct patterns in all (a keyword may repeat) */
	int has_re;
	regex_t re;
	rt_category category;
	int priority;
	char *group, *auto_reply; /* NULL = not set */
	char **tags;
	size_t n_tags;
	int fall_through;
};

/* The dense automaton's alphabet: equivalence classes of characters. Class
 * 0 is every character in no keyword (and an invalid byte), class 1 is
 * SENT, classes 2.. are the distinct labels of the keywords. A text
 * character goes to its class through one table with the folding merged in
 * (Ａ, A and a have the class of a), whose entries also carry whether the
 * character is an ASCII letter or digit (CLS_ALNUM), which decides where
 * SENTs are read. */
#define CLS_NONE 0u
#define CLS_SENT 1u
#define CLS_ALNUM 0x8000u
#define CLS_MASK 0x7FFFu
#define CLS_MAX (CLS_MASK + 1) /* classes of one dense automaton */

/* Dense tables above this many bytes (states x classes x 2) are not built:
 * the sparse edges are used. The shipped rules take 1.7 MB (2,142 states x
 * 400 classes), plus the 128 KB class table. */
#define DENSE_MAX_BYTES ((size_t)32 << 20)

struct rt_rules {
	struct rule *rules; /* sorted by position */
	size_t n_rules;
	int any_regex;
	/* Where each pattern is used: use[use_off[p] .. use_off[p+1]) are
	 * rule index << 2 | list (USE_ANY, USE_ALL, USE_NONE), each pair
	 * once. rt_classify goes from the few keywords found to the rules,
	 * instead of testing every keyword of every rule. */
	uint32_t *use_off;
	uint32_t *use;
	/* Automaton, flattened: state 0 is the root. States are numbered so
	 * that those where some pattern ends (their own or along the
	 * dictionary chain) come last, from first_out on: the scan tests "a
	 * keyword ends here" with one comparison of the state it already
	 * has. */
	size_t n_states;
	uint32_t first_out;
	int32_t *out;   /* pattern ending in this state, -1 if none */
	uint32_t *dict; /* nearest state on the fail chain with out >= 0; 0 = none */
	/* Dense form (NULL when it would not fit, see DENSE_MAX_BYTES): the
	 * whole goto-with-failure function as a table of n_cls x n_states
	 * next states, column-major (delta[class * n_states + state]): the
	 * text gives the column before the state is known, so the step on
	 * the critical path is one load with no multiply, and the entries of
	 * the shallow (hot) states of one class sit together. cls_bmp is the
	 * class of every BMP character (65,536 entries, 128 KB); the astral
	 * characters of the keywords are looked up in astral_lab (sorted),
	 * any other astral one is class 0. */
	uint16_t *delta;
	size_t n_cls;
	uint16_t *cls_bmp;
	uint32_t *astral_lab;
	uint16_t *astral_cls;
	size_t n_astral;
	/* Sparse form, always built (the dense one is derived from it): edges
	 * of state s are lab/tgt[edge_off[s] .. edge_off[s+1]), sorted by
	 * label (a folded code point or SENT), and the fail links. */
	uint32_t *edge_off;
	uint32_t *lab;
	uint32_t *tgt;
	uint32_t *fail;
	size_t n_pats;
	uint16_t *pat_cps;       /* characters (SENTs not counted) of each pattern */
	const char **pat_shown;  /* first spelling of each pattern (borrowed from a rule) */
};

const char *rt_category_name(rt_category c)
{
	static const char *const names[RT_CAT_COUNT] = {
		"", "presale", "order", "after-sale", "logistics", "stock", "promo", "complaint", "other",
	};
	return (unsigned)c < RT_CAT_COUNT ? names[c] : "";
}

rt_category rt_category_parse(const char *name)
{
	if (!name || !*name)
		return RT_CAT_NONE;
	for (int c = 1; c < RT_CAT_COUNT; c++)
		if (strcmp(name, rt_category_name((rt_category)c)) == 0)
			return (rt_category)c;
	return RT_CAT_NONE;
}

size_t rt_rules_count(const rt_rules *r)
{
	return r ? r->n_rules : 0;
}

size_t rt_rules_keywords(const rt_rules *r)
{
	return r ? r->n_pats : 0;
}

size_t rt_rules_states(const rt_rules *r)
{
	return r ? r->n_states : 0;
}

size_t rt_rules_classes(const rt_rules *r)
{
	return r && r->delta ? r->n_cls : 0;
}

static void rule_free(struct rule *ru)
{
	struct kw *lists[3] = { ru->any, ru->all, ru->none };
	size_t counts[3] = { ru->n_any, ru->n_all, ru->n_none };
	for (int l = 0; l < 3; l++) {
		for (size_t k = 0; k < counts[l]; k++)
			free(lists[l][k].text);
		free(lists[l]);
	}
	for (size_t k = 0; k < ru->n_tags; k++)
		free(ru->tags[k]);
	free(ru->tags);
	if (ru->has_re)
		regfree(&ru->re);
	free(ru->id);
	free(ru->tier);
	free(ru->group);
	free(ru->auto_reply);
}

void rt_rules_free(rt_rules *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n_rules; i++)
		rule_free(&r->rules[i]);
	free(r->rules);
	free(r->use_off);
	free(r->use);
	free(r->out);
	free(r->dict);
	free(r->delta);
	free(r->cls_bmp);
	free(r->astral_lab);
	free(r->astral_cls);
	free(r->edge_off);
	free(r->lab);
	free(r->tgt);
	free(r->fail);
	free(r->pat_cps);
	free(r->pat_shown);
	free(r);
}

/* ---- automaton construction -------------------------------------------- */

/* Trie state while building: edges in a small sorted array. */
struct bstate {
	uint32_t *lab;
	uint32_t *tgt;
	uint32_t n, cap;
	int32_t out;
};

struct builder {
	struct bstate *st;
	size_t n, cap;
	size_t n_pats, cap_pats;
	uint16_t *pat_cps;
	const char **pat_shown;
	size_t total_bytes; /* folded bytes of distinct patterns */
};

static uint32_t builder_new_state(struct builder *b)
{
	if (b->n == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 256;
		b->st = pd_xrealloc(b->st, b->cap * sizeof(*b->st));
	}
	b->st[b->n] = (struct bstate){ .out = -1 };
	return (uint32_t)b->n++;
}

/* Index of the first of n sorted labels that is >= c. */
static size_t label_lower(const uint32_t *lab, size_t n, uint32_t c)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (lab[mid] < c)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static uint32_t builder_child(struct builder *b, uint32_t s, uint32_t c)
{
	struct bstate *p = &b->st[s];
	size_t k = label_lower(p->lab, p->n, c);
	if (k < p->n && p->lab[k] == c)
		return p->tgt[k];
	uint32_t t = builder_new_state(b);
	p = &b->st[s]; /* builder_new_state may have moved the array */
	if (p->n == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 2;
		p->lab = pd_xrealloc(p->lab, p->cap * sizeof(*p->lab));
		p->tgt = pd_xrealloc(p->tgt, p->cap * sizeof(*p->tgt));
	}
	memmove(p->lab + k + 1, p->lab + k, (p->n - k) * sizeof(*p->lab));
	memmove(p->tgt + k + 1, p->tgt + k, (p->n - k) * sizeof(*p->tgt));
	p->lab[k] = c;
	p->tgt[k] = t;
	p->n++;
	return t;
}

/* Adds one folded pattern: n labels, cps of them characters (not SENT),
 * bytes its size for RT_MAX_KEYWORD_TOTAL. Returns its id (an existing one
 * for a repeat). */
static uint32_t builder_add(struct builder *b, const uint32_t *f, size_t n, size_t cps,
			    size_t bytes, const char *shown)
{
	uint32_t s = 0;
	for (size_t i = 0; i < n; i++)
		s = builder_child(b, s, f[i]);
	if (b->st[s].out >= 0)
		return (uint32_t)b->st[s].out;
	if (b->n_pats == b->cap_pats) {
		b->cap_pats = b->cap_pats ? b->cap_pats * 2 : 64;
		b->pat_cps = pd_xrealloc(b->pat_cps, b->cap_pats * sizeof(*b->pat_cps));
		b->pat_shown = pd_xrealloc(b->pat_shown, b->cap_pats * sizeof(*b->pat_shown));
	}
	b->pat_cps[b->n_pats] = (uint16_t)cps;
	b->pat_shown[b->n_pats] = shown;
	b->st[s].out = (int32_t)b->n_pats;
	b->total_bytes += bytes;
	return (uint32_t)b->n_pats++;
}

static void builder_free(struct builder *b)
{
	for (size_t i = 0; i < b->n; i++) {
		free(b->st[i].lab);
		free(b->st[i].tgt);
	}
	free(b->st);
	free(b->pat_cps);
	free(b->pat_shown);
}

/* Target of state s's own edge labelled c, or UINT32_MAX. */
static uint32_t edge_find(const rt_rules *r, uint32_t s, uint32_t c)
{
	uint32_t lo = r->edge_off[s], hi = r->edge_off[s + 1];
	size_t k = lo + label_lower(r->lab + lo, hi - lo, c);
	return k < hi && r->lab[k] == c ? r->tgt[k] : UINT32_MAX;
}

/* Class of a label of the keywords: its rank among the distinct labels
 * (sorted, without SENT) plus 2. */
static uint16_t label_class(const uint32_t *labs, size_t n, uint32_t c)
{
	return c == SENT ? (uint16_t)CLS_SENT : (uint16_t)(2 + label_lower(labs, n, c));
}

static void cls_set(uint16_t *cls, uint32_t cp, uint16_t k)
{
	cls[cp] = (uint16_t)(k | (rt_fold_alnum((int)cp) || (cp >= 0xFF01 && cp <= 0xFF5E &&
							      rt_fold_alnum((int)(cp - 0xFEE0)))
					  ? CLS_ALNUM
					  : 0));
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

/* The dense form: the classes, the class table and the next-state table,
 * in which a state's entries are its fail state's with its own edges laid
 * over them (queue: every state but the root, breadth-first, so a fail
 * state, being shallower, comes first). Returns 0, and builds nothing, when
 * it would not fit in dense_max bytes. */
static int build_dense(rt_rules *r, const uint32_t *queue, size_t dense_max)
{
	size_t n = r->n_states, n_edges = r->edge_off[n];
	uint32_t *labs = pd_xmalloc((n_edges ? n_edges : 1) * sizeof(*labs));
	size_t nl = 0;
	for (size_t e = 0; e < n_edges; e++)
		if (r->lab[e] != SENT)
			labs[nl++] = r->lab[e];
	qsort(labs, nl, sizeof(*labs), cmp_u32);
	size_t nu = 0;
	for (size_t i = 0; i < nl; i++)
		if (nu == 0 || labs[nu - 1] != labs[i])
			labs[nu++] = labs[i];
	size_t n_cls = 2 + nu;
	if (n > (size_t)UINT16_MAX + 1 || n_cls > CLS_MAX ||
	    n * n_cls > dense_max / sizeof(uint16_t)) {
		free(labs);
		return 0;
	}
	r->n_cls = n_cls;
	r->cls_bmp = pd_xcalloc(0x10000, sizeof(*r->cls_bmp));
	for (uint32_t cp = 0; cp < 0x80; cp++)
		cls_set(r->cls_bmp, cp, CLS_NONE);
	for (uint32_t cp = 0xFF01; cp <= 0xFF5E; cp++)
		cls_set(r->cls_bmp, cp, CLS_NONE);
	size_t n_astral = 0;
	for (size_t i = 0; i < nu; i++)
		n_astral += labs[i] >= 0x10000;
	if (n_astral) {
		r->astral_lab = pd_xmalloc(n_astral * sizeof(*r->astral_lab));
		r->astral_cls = pd_xmalloc(n_astral * sizeof(*r->astral_cls));
	}
	for (size_t i = 0; i < nu; i++) {
		uint32_t c = labs[i];
		uint16_t k = (uint16_t)(2 + i);
		if (c >= 0x10000) {
			r->astral_lab[r->n_astral] = c;
			r->astral_cls[r->n_astral++] = k;
			continue;
		}
		/* every character that folds to c: c itself, its upper case,
		 * its full-width forms, U+3000 for ' ' (labels are folded,
		 * so none of those is a label of its own) */
		cls_set(r->cls_bmp, c, k);
		if (c >= 'a' && c <= 'z') {
			cls_set(r->cls_bmp, c - 'a' + 'A', k);
			cls_set(r->cls_bmp, c - 'a' + 'A' + 0xFEE0, k);
		}
		if (c >= 0x21 && c <= 0x7E)
			cls_set(r->cls_bmp, c + 0xFEE0, k);
		if (c == ' ')
			cls_set(r->cls_bmp, 0x3000, k);
	}
	/* Column-major (delta[class * n + state]), filled one column at a
	 * time so that the writes stay within a column: the edges bucketed by
	 * class first, then per column, in breadth-first order, a state's own
	 * edge if it has one of that class, else its fail state's entry. */
	uint32_t *bucket = pd_xcalloc(n_cls + 1, sizeof(*bucket));
	uint32_t *e_src = pd_xmalloc((n_edges ? n_edges : 1) * sizeof(*e_src));
	uint32_t *e_tgt = pd_xmalloc((n_edges ? n_edges : 1) * sizeof(*e_tgt));
	uint32_t *own = pd_xcalloc(n, sizeof(*own)); /* target + 1 in the column at hand */
	for (size_t e = 0; e < n_edges; e++)
		bucket[label_class(labs, nu, r->lab[e]) + 1]++;
	for (size_t k = 0; k < n_cls; k++)
		bucket[k + 1] += bucket[k];
	for (uint32_t st = 0; st < n; st++)
		for (uint32_t e = r->edge_off[st]; e < r->edge_off[st + 1]; e++) {
			uint32_t at = bucket[label_class(labs, nu, r->lab[e])]++;
			e_src[at] = st;
			e_tgt[at] = r->tgt[e];
		}
	/* bucket[k] is now the end of class k's edges, bucket[k - 1] its start */
	r->delta = pd_xmalloc(n * n_cls * sizeof(*r->delta));
	for (size_t k = 0; k < n_cls; k++) {
		uint16_t *col = r->delta + k * n;
		uint32_t from = k ? bucket[k - 1] : 0, to = bucket[k];
		for (uint32_t e = from; e < to; e++)
			own[e_src[e]] = e_tgt[e] + 1;
		col[0] = (uint16_t)(own[0] ? own[0] - 1 : 0);
		for (size_t q = 0; q + 1 < n; q++) {
			uint32_t st = queue[q];
			col[st] = (uint16_t)(own[st] ? own[st] - 1 : col[r->fail[st]]);
		}
		for (uint32_t e = from; e < to; e++)
			own[e_src[e]] = 0;
	}
	free(own);
	free(e_tgt);
	free(e_src);
	free(bucket);
	free(labs);
	return 1;
}

/* Flattens the trie into r, computes fail and dictionary links
 * breadth-first (a state's fail target is shallower, so it is final by the
 * time the state is reached), renumbers the states so that those with an
 * output come last (breadth-first order otherwise) and builds the dense
 * form when it fits in dense_max bytes. Takes over pat_cps/pat_shown. */
static void builder_finish(struct builder *b, rt_rules *r, size_t dense_max)
{
	size_t n = b->n, n_edges = 0;
	for (size_t i = 0; i < n; i++)
		n_edges += b->st[i].n;
	/* 1. flat, in the builder's numbering */
	uint32_t *off = pd_xmalloc((n + 1) * sizeof(*off));
	uint32_t *lab = pd_xmalloc((n_edges ? n_edges : 1) * sizeof(*lab));
	uint32_t *tgt = pd_xmalloc((n_edges ? n_edges : 1) * sizeof(*tgt));
	uint32_t *fail = pd_xcalloc(n, sizeof(*fail));
	int32_t *out = pd_xmalloc(n * sizeof(*out));
	uint32_t *dict = pd_xcalloc(n, sizeof(*dict));
	size_t e = 0;
	for (size_t i = 0; i < n; i++) {
		off[i] = (uint32_t)e;
		if (b->st[i].n) { /* a leaf has no arrays, and memcpy from NULL is UB */
			memcpy(lab + e, b->st[i].lab, b->st[i].n * sizeof(*lab));
			memcpy(tgt + e, b->st[i].tgt, b->st[i].n * sizeof(*tgt));
		}
		e += b->st[i].n;
		out[i] = b->st[i].out;
	}
	off[n] = (uint32_t)e;
	r->n_states = n;
	r->edge_off = off;
	r->lab = lab;
	r->tgt = tgt;

	/* 2. fail and dictionary links, breadth-first */
	uint32_t *queue = pd_xmalloc(n * sizeof(*queue));
	size_t qh = 0, qt = 0;
	for (uint32_t k = off[0]; k < off[1]; k++)
		queue[qt++] = tgt[k]; /* depth 1: fail = root, dict = none */
	while (qh < qt) {
		uint32_t s = queue[qh++];
		for (uint32_t k = off[s]; k < off[s + 1]; k++) {
			uint32_t c = lab[k], t = tgt[k], f = fail[s], g;
			for (;;) {
				g = edge_find(r, f, c);
				if (g != UINT32_MAX)
					break;
				if (f == 0) {
					g = 0;
					break;
				}
				f = fail[f];
			}
			fail[t] = g;
			dict[t] = out[g] >= 0 ? g : dict[g];
			queue[qt++] = t;
		}
	}

	/* 3. renumber: the root, the states without output, those with */
	uint32_t *perm = pd_xmalloc(n * sizeof(*perm)), *inv = pd_xmalloc(n * sizeof(*inv));
	uint32_t id = 1;
	perm[0] = 0;
	for (int pass = 0; pass < 2; pass++) {
		if (pass == 1)
			r->first_out = id;
		for (size_t q = 0; q < qt; q++) {
			uint32_t s = queue[q];
			if ((out[s] >= 0 || dict[s]) == pass)
				perm[s] = id++;
		}
	}
	for (size_t s = 0; s < n; s++)
		inv[perm[s]] = (uint32_t)s;
	r->edge_off = pd_xmalloc((n + 1) * sizeof(*r->edge_off));
	r->lab = pd_xmalloc((n_edges ? n_edges : 1) * sizeof(*r->lab));
	r->tgt = pd_xmalloc((n_edges ? n_edges : 1) * sizeof(*r->tgt));
	r->fail = pd_xmalloc(n * sizeof(*r->fail));
	r->out = pd_xmalloc(n * sizeof(*r->out));
	r->dict = pd_xmalloc(n * sizeof(*r->dict));
	e = 0;
	for (size_t ns = 0; ns < n; ns++) {
		uint32_t s = inv[ns];
		r->edge_off[ns] = (uint32_t)e;
		for (uint32_t k = off[s]; k < off[s + 1]; k++, e++) {
			r->lab[e] = lab[k];
			r->tgt[e] = perm[tgt[k]];
		}
		r->fail[ns] = perm[fail[s]];
		r->out[ns] = out[s];
		r->dict[ns] = perm[dict[s]]; /* perm[0] = 0: still "none" */
	}
	r->edge_off[n] = (uint32_t)e;
	for (size_t q = 0; q < qt; q++)
		queue[q] = perm[queue[q]]; /* still breadth-first */
	free(off);
	free(lab);
	free(tgt);
	free(fail);
	free(out);
	free(dict);
	free(perm);
	free(inv);

	/* 4. the dense form, if it fits */
	build_dense(r, queue, dense_max);
	free(queue);
	r->n_pats = b->n_pats;
	r->pat_cps = b->pat_cps;
	r->pat_shown = b->pat_shown;
	b->pat_cps = NULL;
	b->pat_shown = NULL;
}

/* ---- scanning ------------------------------------------------------------ */

struct found {
	uint32_t pat;
	size_t start, end;
};

/* Keywords found in one text: a bitmap for the rules and the first
 * occurrences in order for the "why". Both start in the struct itself (a
 * chat message finds a few keywords of a few hundred), so a scan of a short
 * text allocates nothing. */
#define SCAN_SEEN_BYTES 256 /* patterns 0..2047 */
#define SCAN_LIST 32
struct scan {
	uint8_t *seen; /* bit per pattern */
	struct found *list;
	size_t n, cap;
	uint8_t seen_buf[SCAN_SEEN_BYTES];
	struct found list_buf[SCAN_LIST];
};

static int scan_seen(const struct scan *sc, uint32_t p)
{
	return sc->seen[p >> 3] >> (p & 7) & 1;
}

static void scan_free(struct scan *sc)
{
	if (sc->seen != sc->seen_buf)
		free(sc->seen);
	if (sc->list != sc->list_buf)
		free(sc->list);
}

/* State s has output: records every pattern ending there not seen before,
 * end being the text offset just after the last character of the patterns
 * (all patterns ending in one state end with the same symbol: the
 * character just read, or a SENT read before the character at end). The
 * walk down the dictionary chain stops at the first pattern already seen:
 * that pattern was seen ending at some earlier position, where every
 * pattern further down its chain (all suffixes of it) ended too and was
 * marked then. So each pattern costs one visit in all. A pattern's start is
 * found by stepping back over its characters: they are valid UTF-8 (an
 * invalid byte is in no keyword), so the lead bytes are exact. */
static void scan_report(const rt_rules *r, struct scan *sc, uint32_t s, const unsigned char *u,
			size_t end)
{
	for (uint32_t t = r->out[s] >= 0 ? s : r->dict[s]; t; t = r->dict[t]) {
		uint32_t p = (uint32_t)r->out[t];
		if (scan_seen(sc, p))
			break;
		sc->seen[p >> 3] |= (uint8_t)(1u << (p & 7));
		if (sc->n == sc->cap) {
			size_t cap = sc->cap * 2;
			if (sc->list == sc->list_buf) {
				sc->list = pd_xmalloc(cap * sizeof(*sc->list));
				memcpy(sc->list, sc->list_buf, sizeof(sc->list_buf));
			} else {
				sc->list = pd_xrealloc(sc->list, cap * sizeof(*sc->list));
			}
			sc->cap = cap;
		}
		size_t start = end;
		for (unsigned k = r->pat_cps[p]; k; k--)
			while ((u[--start] & 0xC0) == 0x80)
				;
		sc->list[sc->n++] = (struct found){ p, start, end };
	}
}

/* The dense automaton's pass: per character, its class (decoding and
 * folding merged into one table lookup), a SENT step where the text goes
 * in or out of a word, one load of the next state. The common 3-byte
 * characters (CJK) are decoded here; anything else goes through the strict
 * decoder. */
static void scan_dense(const rt_rules *r, const unsigned char *u, size_t len, struct scan *sc)
{
	const uint16_t *delta = r->delta, *cls = r->cls_bmp;
	const size_t ns = r->n_states;
	const uint16_t *sent = delta + CLS_SENT * ns;
	const uint32_t first_out = r->first_out;
	uint32_t s = 0;
	unsigned prev = 0;
	size_t i = 0;
	while (i < len) {
		unsigned c = u[i], v;
		size_t n;
		if (c < 0x80) {
			v = cls[c];
			n = 1;
		} else if (c >= 0xE1 && c <= 0xEF && c != 0xED && len - i > 2 &&
			   (u[i + 1] & 0xC0) == 0x80 && (u[i + 2] & 0xC0) == 0x80) {
			v = cls[(c & 0x0F) << 12 | (u[i + 1] & 0x3Fu) << 6 | (u[i + 2] & 0x3Fu)];
			n = 3;
		} else {
			size_t next;
			int cp = rt_utf8_next((const char *)u, len, i, &next);
			n = next - i;
			if (cp < 0) {
				v = CLS_NONE;
			} else if (cp < 0x10000) {
				v = cls[cp];
			} else {
				uint32_t acp = (uint32_t)cp;
				size_t k = label_lower(r->astral_lab, r->n_astral, acp);
				v = k < r->n_astral && r->astral_lab[k] == acp ? r->astral_cls[k] : CLS_NONE;
			}
		}
		/* the column is known from the text alone, ahead of the state */
		const uint16_t *col = delta + (v & CLS_MASK) * ns;
		unsigned a = v >> 15;
		if (a != prev) {
			prev = a;
			s = sent[s];
			if (s >= first_out)
				scan_report(r, sc, s, u, i);
		}
		s = col[s];
		i += n;
		if (s >= first_out)
			scan_report(r, sc, s, u, i);
	}
	if (prev) {
		s = sent[s];
		if (s >= first_out)
			scan_report(r, sc, s, u, len);
	}
}

/* Goto with failure over the sparse edges: the next state after reading
 * label c in state s. */
static uint32_t sparse_step(const rt_rules *r, uint32_t s, uint32_t c)
{
	for (;;) {
		uint32_t t = edge_find(r, s, c);
		if (t != UINT32_MAX)
			return t;
		if (s == 0)
			return 0;
		s = r->fail[s];
	}
}

/* The sparse automaton's pass (sets too big for dense rows): the same
 * symbols, each looked up by binary search along the fail chain. */
static void scan_sparse(const rt_rules *r, const unsigned char *u, size_t len, struct scan *sc)
{
	uint32_t s = 0;
	int prev = 0;
	for (size_t i = 0; i < len;) {
		size_t next;
		int c = rt_fold_next((const char *)u, len, i, &next);
		int a = rt_fold_alnum(c);
		if (a != prev) {
			prev = a;
			s = sparse_step(r, s, SENT);
			if (s >= r->first_out)
				scan_report(r, sc, s, u, i);
		}
		/* an invalid byte is in no keyword: back to the root */
		s = c < 0 ? 0 : sparse_step(r, s, fold_label(c));
		i = next;
		if (s >= r->first_out)
			scan_report(r, sc, s, u, i);
	}
	if (prev) {
		s = sparse_step(r, s, SENT);
		if (s >= r->first_out)
			scan_report(r, sc, s, u, len);
	}
}

/* One pass over the text: linear in the text plus the number of distinct
 * keywords found. */
static void scan_text(const rt_rules *r, const char *text, size_t len, struct scan *sc)
{
	sc->seen = NULL;
	sc->list = sc->list_buf;
	sc->n = 0;
	sc->cap = SCAN_LIST;
	if (r->n_pats == 0 || len == 0)
		return;
	size_t seen_bytes = (r->n_pats + 7) / 8;
	if (seen_bytes <= SCAN_SEEN_BYTES) {
		sc->seen = sc->seen_buf;
		memset(sc->seen, 0, seen_bytes);
	} else {
		sc->seen = pd_xcalloc(seen_bytes, 1);
	}
	if (r->delta)
		scan_dense(r, (const unsigned char *)text, len, sc);
	else
		scan_sparse(r, (const unsigned char *)text, len, sc);
}

size_t rt_keywords_found(const rt_rules *r, const char *text, size_t len, const char **out,
			 size_t max)
{
	if (!r || (!text && len))
		return 0;
	struct scan sc;
	scan_text(r, text, len, &sc);
	for (size_t i = 0; i < sc.n && i < max; i++)
		out[i] = r->pat_shown[sc.list[i].pat];
	size_t n = sc.n;
	scan_free(&sc);
	return n;
}

/* ---- compilation ---------------------------------------------------------- */

struct compile {
	rt_rules *r;
	struct builder b;
	pd_errbuf *eb;
	size_t n_keywords;
	char who[RT_MAX_NAME + 16]; /* "rule 'x'" or "rule #3" for messages */
};

static int ascii_casecmp(const char *a, const char *b)
{
	for (;; a++, b++) {
		int x = (unsigned char)*a, y = (unsigned char)*b;
		if (x >= 'A' && x <= 'Z')
			x += 'a' - 'A';
		if (y >= 'A' && y <= 'Z')
			y += 'a' - 'A';
		if (x != y || !x)
			return x - y;
	}
}

/* Copies an optional name field (NULL/"" -> NULL) after checking it. */
static int copy_name(struct compile *cc, const char *field, const char *v, char **out)
{
	*out = NULL;
	if (!v || !*v)
		return PD_OK;
	size_t n = strlen(v);
	if (n > RT_MAX_NAME)
		return pd_fail(cc->eb, PD_ETOOBIG, "%s: %s is longer than %d bytes", cc->who, field,
			       RT_MAX_NAME);
	if (!pd_utf8_valid(v, n))
		return pd_fail(cc->eb, PD_EINVAL, "%s: %s is not valid UTF-8", cc->who, field);
	*out = pd_xstrdup(v);
	return PD_OK;
}

static int is_blank(const uint32_t *f, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (f[i] != ' ' && f[i] != '\t' && f[i] != '\n' && f[i] != '\r' && f[i] != SENT)
			return 0;
	return 1;
}

/* Folds, checks and adds one keyword; fills *k. */
static int add_keyword(struct compile *cc, const char *list, size_t idx, const char *kw,
		       struct kw *k)
{
	size_t n = strlen(kw);
	if (n == 0)
		return pd_fail(cc->eb, PD_EINVAL, "%s: %s[%zu] is empty", cc->who, list, idx);
	if (n > RT_MAX_KEYWORD_BYTES)
		return pd_fail(cc->eb, PD_ETOOBIG, "%s: %s[%zu] is longer than %d bytes", cc->who,
			       list, idx, RT_MAX_KEYWORD_BYTES);
	if (!pd_utf8_valid(kw, n))
		return pd_fail(cc->eb, PD_EINVAL, "%s: %s[%zu] is not valid UTF-8", cc->who, list,
			       idx);
	const char *body = kw;
	size_t blen = n;
	int open_left = 0, open_right = 0;
	if (blen && body[0] == '*') {
		open_left = 1;
		body++;
		blen--;
	}
	if (blen && body[blen - 1] == '*') {
		open_right = 1;
		blen--;
	}
	if (blen == 0)
		return pd_fail(cc->eb, PD_EINVAL, "%s: %s[%zu] has nothing but '*'", cc->who, list,
			       idx);
	struct folded fk;
	fold_keyword(body, blen, &fk);
	const uint32_t *start = fk.lab;
	size_t fn = fk.n, bytes = fk.bytes; /* a '*' drops a SENT: one byte less */
	if (open_left) {
		if (start[0] != SENT)
			return pd_fail(cc->eb, PD_EINVAL,
				       "%s: %s[%zu]: a leading '*' must be next to a letter or digit",
				       cc->who, list, idx);
		start++;
		fn--;
		bytes--;
	}
	if (open_right) {
		if (fn == 0 || start[fn - 1] != SENT)
			return pd_fail(cc->eb, PD_EINVAL,
				       "%s: %s[%zu]: a trailing '*' must be next to a letter or digit",
				       cc->who, list, idx);
		fn--;
		bytes--;
	}
	if (fn == 0 || is_blank(start, fn))
		return pd_fail(cc->eb, PD_EINVAL, "%s: %s[%zu] is blank", cc->who, list, idx);
	if (++cc->n_keywords > RT_MAX_KEYWORDS)
		return pd_fail(cc->eb, PD_ETOOBIG, "more than %d keywords in all rules",
			       RT_MAX_KEYWORDS);
	k->text = pd_xstrdup(kw);
	size_t cps = 0;
	for (size_t i = 0; i < fn; i++)
		cps += start[i] != SENT;
	k->pat = builder_add(&cc->b, start, fn, cps, bytes, k->text);
	if (cc->b.total_bytes > RT_MAX_KEYWORD_TOTAL)
		return pd_fail(cc->eb, PD_ETOOBIG, "keywords of all rules exceed %d bytes",
			       RT_MAX_KEYWORD_TOTAL);
	return PD_OK;
}

static int add_list(struct compile *cc, const char *list, const char *const *src, struct kw **out,
		    size_t *n_out)
{
	size_t n = 0;
	*out = NULL;
	*n_out = 0;
	if (!src)
		return PD_OK;
	while (src[n]) {
		if (++n > RT_MAX_LIST_KEYWORDS)
			return pd_fail(cc->eb, PD_ETOOBIG, "%s: more than %d %s", cc->who,
				       RT_MAX_LIST_KEYWORDS, list);
	}
	if (n == 0)
		return PD_OK;
	*out = pd_xcalloc(n, sizeof(**out));
	for (size_t i = 0; i < n; i++) {
		int rc = add_keyword(cc, list, i, src[i], &(*out)[i]);
		if (rc != PD_OK)
			return rc; /* the rule's free releases the copies made so far */
		*n_out = i + 1;
	}
	return PD_OK;
}

/* What regcomp would accept but we do not: non-ASCII (the locale question in
 * classify.h), back-references (exponential matching) and counted
 * repetitions over 100 (glibc expands them into NFA states: "(x{1,255}){1,255}"
 * costs gigabytes). */
static int check_regex(struct compile *cc, const char *re)
{
	size_t n = strlen(re);
	if (n > RT_MAX_REGEX)
		return pd_fail(cc->eb, PD_ETOOBIG, "%s: regex is longer than %d bytes", cc->who,
			       RT_MAX_REGEX);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)re[i];
		if (c >= 0x80)
			return pd_fail(cc->eb, PD_EINVAL,
				       "%s: regex must be ASCII (match Chinese with keywords)", cc->who);
		if (c == '\\' && i + 1 < n && re[i + 1] >= '1' && re[i + 1] <= '9')
			return pd_fail(cc->eb, PD_EINVAL, "%s: regex back-references are not allowed",
				       cc->who);
		if (c == '\\')
			i++; /* an escaped character is literal */
		else if (c == '{') {
			/* Only "{n}", "{n,}", "{n,m}" is a repetition; anything
			 * else ("[{]") is left to regcomp. */
			size_t k = i + 1;
			while (k < n && ((re[k] >= '0' && re[k] <= '9') || re[k] == ','))
				k++;
			if (k == n || re[k] != '}')
				continue;
			long v = 0;
			for (size_t m = i + 1; m < k; m++) {
				if (re[m] == ',') {
					v = 0;
					continue;
				}
				v = v * 10 + (re[m] - '0');
				if (v > 100)
					return pd_fail(cc->eb, PD_EINVAL,
						       "%s: regex repetition counts above 100 are not allowed",
						       cc->who);
			}
		}
	}
	return PD_OK;
}

static int compile_rule(struct compile *cc, const rt_rule_def *d, struct rule *ru)
{
	int rc;
	ru->position = d->position;
	if (!d->id || !*d->id)
		return pd_fail(cc->eb, PD_EINVAL, "%s: id is missing", cc->who);
	if ((rc = copy_name(cc, "id", d->id, &ru->id)) != PD_OK)
		return rc;
	/* From here on messages name the rule by its id. */
	snprintf(cc->who, sizeof(cc->who), "rule '%s'", ru->id);

	if (d->channels & 1u)
		return pd_fail(cc->eb, PD_EINVAL,
			       "%s: channels has bit 0 (CHANNEL_KIND_UNSPECIFIED is no channel)",
			       cc->who);
	ru->channels = d->channels;
	if ((rc = copy_name(cc, "tier", d->tier, &ru->tier)) != PD_OK)
		return rc;
	if (d->if_category && *d->if_category) {
		ru->if_cat = rt_category_parse(d->if_category);
		if (ru->if_cat == RT_CAT_NONE)
			return pd_fail(cc->eb, PD_EINVAL,
				       "%s: unknown if_category (known: presale, order, after-sale, "
				       "logistics, stock, promo, complaint, other)",
				       cc->who);
	}
	if ((rc = add_list(cc, "keywords_any", d->keywords_any, &ru->any, &ru->n_any)) != PD_OK ||
	    (rc = add_list(cc, "keywords_all", d->keywords_all, &ru->all, &ru->n_all)) != PD_OK ||
	    (rc = add_list(cc, "keywords_none", d->keywords_none, &ru->none, &ru->n_none)) != PD_OK)
		return rc;
	if (d->regex && *d->regex) {
		if ((rc = check_regex(cc, d->regex)) != PD_OK)
			return rc;
		int e = regcomp(&ru->re, d->regex, REG_EXTENDED | REG_ICASE | REG_NOSUB);
		if (e != 0) {
			char msg[128];
			regerror(e, &ru->re, msg, sizeof(msg));
			return pd_fail(cc->eb, PD_EINVAL, "%s: bad regex: %s", cc->who, msg);
		}
		ru->has_re = 1;
		cc->r->any_regex = 1;
	}
	if (d->category && *d->category) {
		ru->category = rt_category_parse(d->category);
		if (ru->category == RT_CAT_NONE)
			return pd_fail(cc->eb, PD_EINVAL,
				       "%s: unknown category (known: presale, order, after-sale, "
				       "logistics, stock, promo, complaint, other)",
				       cc->who);
	}
	ru->fall_through = d->fall_through != 0;
	if (!ru->fall_through && ru->category == RT_CAT_NONE)
		return pd_fail(cc->eb, PD_EINVAL,
			       "%s: a rule that stops evaluation must set a category "
			       "(or set fall_through)",
			       cc->who);
	if (d->priority < 0 || d->priority > RT_PRIO_URGENT)
		return pd_fail(cc->eb, PD_EINVAL, "%s: priority %d is not 1..4 (or 0 = not set)",
			       cc->who, d->priority);
	ru->priority = d->priority;
	if ((rc = copy_name(cc, "group", d->group, &ru->group)) != PD_OK ||
	    (rc = copy_name(cc, "auto_reply", d->auto_reply, &ru->auto_reply)) != PD_OK)
		return rc;
	if (d->tags) {
		size_t n = 0;
		while (d->tags[n])
			if (++n > RT_MAX_RULE_TAGS)
				return pd_fail(cc->eb, PD_ETOOBIG, "%s: more than %d tags", cc->who,
					       RT_MAX_RULE_TAGS);
		ru->tags = pd_xcalloc(n ? n : 1, sizeof(*ru->tags));
		for (size_t k = 0; k < n; k++) {
			char field[32];
			snprintf(field, sizeof(field), "tags[%zu]", k);
			if (!*d->tags[k])
				return pd_fail(cc->eb, PD_EINVAL, "%s: %s is empty", cc->who, field);
			if ((rc = copy_name(cc, field, d->tags[k], &ru->tags[k])) != PD_OK)
				return rc;
			ru->n_tags = k + 1;
		}
	}
	return PD_OK;
}

#define USE_ANY 0u
#define USE_ALL 1u
#define USE_NONE 2u

/* Fills use_off/use (see struct rt_rules) and each rule's n_all_pats. Two
 * passes over the lists, counting then placing; a pair (pattern, rule
 * list) met again (a keyword written twice, or as Refund and refund) is
 * skipped, by remembering the last pair each pattern was given. */
static void build_uses(rt_rules *r)
{
	size_t np = r->n_pats;
	uint32_t *last = pd_xmalloc((np ? np : 1) * sizeof(*last));
	r->use_off = pd_xcalloc(np + 1, sizeof(*r->use_off));
	for (int pass = 0; pass < 2; pass++) {
		memset(last, 0xff, (np ? np : 1) * sizeof(*last));
		if (pass == 1) {
			for (size_t p = 0; p < np; p++)
				r->use_off[p + 1] += r->use_off[p];
			r->use = pd_xmalloc((r->use_off[np] ? r->use_off[np] : 1) * sizeof(*r->use));
		}
		for (size_t i = 0; i < r->n_rules; i++) {
			struct rule *ru = &r->rules[i];
			const struct kw *lists[3] = { ru->any, ru->all, ru->none };
			size_t counts[3] = { ru->n_any, ru->n_all, ru->n_none };
			if (pass == 0)
				ru->n_all_pats = 0;
			for (uint32_t l = 0; l < 3; l++)
				for (size_t k = 0; k < counts[l]; k++) {
					uint32_t p = lists[l][k].pat, u = (uint32_t)i << 2 | l;
					if (last[p] == u)
						continue;
					last[p] = u;
					if (pass == 0) {
						r->use_off[p + 1]++;
						ru->n_all_pats += l == USE_ALL;
					} else {
						/* use_off[p] advances as p's uses are placed
						 * and is restored below */
						r->use[r->use_off[p]++] = u;
					}
				}
		}
	}
	for (size_t p = np; p > 0; p--)
		r->use_off[p] = r->use_off[p - 1];
	if (np)
		r->use_off[0] = 0;
	free(last);
}

struct order {
	int position;
	size_t idx;
};

static int cmp_order(const void *a, const void *b)
{
	const struct order *x = a, *y = b;
	if (x->position != y->position)
		return (x->position > y->position) - (x->position < y->position);
	return (x->idx > y->idx) - (x->idx < y->idx);
}

static const char *def_name(const rt_rule_def *d, char *buf, size_t size, size_t idx)
{
	if (d->id && *d->id && strlen(d->id) <= RT_MAX_NAME && pd_utf8_valid(d->id, strlen(d->id)))
		snprintf(buf, size, "'%s'", d->id);
	else
		snprintf(buf, size, "#%zu", idx);
	return buf;
}

int rt_rules_compile(const rt_rule_def *defs, size_t n, rt_rules **out, pd_errbuf *eb)
{
	return rt_rules_compile_dense_max(defs, n, out, eb, DENSE_MAX_BYTES);
}

int rt_rules_compile_dense_max(const rt_rule_def *defs, size_t n, rt_rules **out, pd_errbuf *eb,
			       size_t dense_max)
{
	if (!out)
		return pd_fail(eb, PD_EINVAL, "no output given");
	*out = NULL;
	if (n && !defs)
		return pd_fail(eb, PD_EINVAL, "no rule definitions given");
	if (n > RT_MAX_RULES)
		return pd_fail(eb, PD_ETOOBIG, "%zu rules, at most %d allowed", n, RT_MAX_RULES);

	/* Order first, by sorting indices: compiled rules are then built in
	 * place (a regex_t is not guaranteed to survive being moved). */
	struct order *ord = pd_xcalloc(n ? n : 1, sizeof(*ord));
	for (size_t i = 0; i < n; i++)
		ord[i] = (struct order){ defs[i].position, i };
	qsort(ord, n, sizeof(*ord), cmp_order);
	for (size_t i = 1; i < n; i++)
		if (ord[i].position == ord[i - 1].position) {
			char a[RT_MAX_NAME + 8], b[RT_MAX_NAME + 8];
			int rc = pd_fail(eb, PD_EINVAL,
					 "rules %s and %s share position %d (the order must be explicit)",
					 def_name(&defs[ord[i - 1].idx], a, sizeof(a), ord[i - 1].idx),
					 def_name(&defs[ord[i].idx], b, sizeof(b), ord[i].idx),
					 ord[i].position);
			free(ord);
			return rc;
		}

	struct compile cc = { .eb = eb };
	cc.r = pd_xcalloc(1, sizeof(*cc.r));
	cc.r->rules = pd_xcalloc(n ? n : 1, sizeof(*cc.r->rules));
	builder_new_state(&cc.b); /* the root */
	int rc = PD_OK;
	for (size_t k = 0; k < n && rc == PD_OK; k++) {
		snprintf(cc.who, sizeof(cc.who), "rule #%zu", ord[k].idx);
		rc = compile_rule(&cc, &defs[ord[k].idx], &cc.r->rules[k]);
		cc.r->n_rules = k + 1; /* so a half-built rule is freed on error */
	}
	free(ord);
	for (size_t i = 0; i < n && rc == PD_OK; i++)
		for (size_t j = i + 1; j < n; j++)
			if (strcmp(cc.r->rules[i].id, cc.r->rules[j].id) == 0) {
				rc = pd_fail(eb, PD_EINVAL, "rule id '%s' is used twice",
					     cc.r->rules[i].id);
				break;
			}
	if (rc != PD_OK) {
		builder_free(&cc.b);
		rt_rules_free(cc.r);
		return rc;
	}
	builder_finish(&cc.b, cc.r, dense_max);
	builder_free(&cc.b);
	build_uses(cc.r);
	*out = cc.r;
	return PD_OK;
}

/* ---- classification ------------------------------------------------------ */

/* The text as regexes see it: full-width ASCII folded (so ９ is a digit),
 * everything else as is, NUL-terminated for regexec (which stops at a NUL;
 * bus text never has one). Caller frees. */
static char *regex_text(const char *text, size_t len)
{
	char *t = pd_xmalloc(len + 1);
	size_t o = 0;
	for (size_t i = 0; i < len;) {
		size_t next;
		int c = rt_fold_next(text, len, i, &next);
		if (c >= 0 && c < 0x80) {
			t[o++] = (char)c;
		} else {
			memcpy(t + o, text + i, next - i);
			o += next - i;
		}
		i = next;
	}
	t[o] = '\0';
	return t;
}

/* What the keywords found mean for one rule: RS_ANY (one of its
 * keywords_any occurs), RS_NONE (one of its keywords_none occurs) and, in
 * the bits from RS_ALL_SHIFT up, how many distinct patterns of its
 * keywords_all occur. */
#define RS_ANY 1u
#define RS_NONE 2u
#define RS_ALL_SHIFT 2

/* Fills st[0 .. n_rules) from the keywords found (each distinct pattern is
 * in sc->list once). */
static void rule_states(const rt_rules *r, const struct scan *sc, uint32_t *st)
{
	memset(st, 0, r->n_rules * sizeof(*st));
	for (size_t f = 0; f < sc->n; f++) {
		uint32_t p = sc->list[f].pat;
		for (uint32_t k = r->use_off[p]; k < r->use_off[p + 1]; k++) {
			uint32_t u = r->use[k];
			uint32_t *w = &st[u >> 2];
			switch (u & 3u) {
			case USE_ANY:
				*w |= RS_ANY;
				break;
			case USE_ALL:
				*w += 1u << RS_ALL_SHIFT;
				break;
			default:
				*w |= RS_NONE;
				break;
			}
		}
	}
}

static int rule_matches(const struct rule *ru, uint32_t st, const rt_input *in, rt_category cur,
			char **re_text)
{
	if (ru->channels &&
	    !(in->channel > 0 && in->channel < 32 && (ru->channels & RT_CHANNEL(in->channel))))
		return 0;
	if (ru->tier && ascii_casecmp(ru->tier, in->tier ? in->tier : "") != 0)
		return 0;
	if (ru->if_cat != RT_CAT_NONE && ru->if_cat != cur)
		return 0;
	if (ru->n_any && !(st & RS_ANY))
		return 0;
	if (st >> RS_ALL_SHIFT != ru->n_all_pats)
		return 0;
	if (st & RS_NONE)
		return 0;
	if (ru->has_re) {
		if (!*re_text)
			*re_text = regex_text(in->text ? in->text : "", in->len);
		if (regexec(&ru->re, *re_text, 0, NULL, 0) != 0)
			return 0;
	}
	return 1;
}

static void add_hits(rt_result *res, const struct rule *ru, const struct kw *k, size_t n,
		     const struct scan *sc)
{
	for (size_t i = 0; i < n; i++) {
		if (!sc->seen || !scan_seen(sc, k[i].pat))
			continue;
		if (res->n_hits == RT_RESULT_MAX_HITS) {
			res->hits_truncated = 1;
			return;
		}
		for (size_t f = 0; f < sc->n; f++)
			if (sc->list[f].pat == k[i].pat) {
				res->hits[res->n_hits++] = (rt_hit){ ru->id, k[i].text,
								     sc->list[f].start, sc->list[f].end };
				break;
			}
	}
}

static void apply(rt_result *res, const struct rule *ru, const struct scan *sc)
{
	if (res->n_applied < RT_RESULT_MAX_RULES)
		res->rules[res->n_applied] = ru->id;
	else
		res->rules_truncated = 1;
	res->n_applied++;
	res->rule_id = ru->id;
	if (res->category == RT_CAT_NONE && ru->category != RT_CAT_NONE)
		res->category = ru->category;
	if (!res->group && ru->group)
		res->group = ru->group;
	if (!res->auto_reply && ru->auto_reply)
		res->auto_reply = ru->auto_reply;
	if (ru->priority > res->priority)
		res->priority = ru->priority;
	for (size_t t = 0; t < ru->n_tags; t++) {
		size_t k;
		for (k = 0; k < res->n_tags && strcmp(res->tags[k], ru->tags[t]) != 0; k++)
			;
		if (k < res->n_tags)
			continue;
		if (res->n_tags == RT_RESULT_MAX_TAGS)
			res->tags_truncated = 1;
		else
			res->tags[res->n_tags++] = ru->tags[t];
	}
	add_hits(res, ru, ru->any, ru->n_any, sc);
	add_hits(res, ru, ru->all, ru->n_all, sc);
}

int rt_classify(const rt_rules *r, const rt_input *in, rt_result *out)
{
	if (out)
		memset(out, 0, sizeof(*out));
	if (!r || !in || !out || (!in->text && in->len))
		return PD_EINVAL;
	out->category_name = "";
	struct scan sc;
	scan_text(r, in->text, in->len, &sc);
	uint32_t st[RT_MAX_RULES];
	rule_states(r, &sc, st);
	rt_category cur = rt_category_parse(in->current_category);
	char *re_text = NULL;
	for (size_t i = 0; i < r->n_rules; i++) {
		const struct rule *ru = &r->rules[i];
		if (!rule_matches(ru, st[i], in, cur, &re_text))
			continue;
		apply(out, ru, &sc);
		if (!ru->fall_through)
			break;
	}
	free(re_text);
	scan_free(&sc);
	if (out->n_applied && out->priority == 0)
		out->priority = RT_PRIO_NORMAL;
	out->category_name = rt_category_name(out->category);
	return PD_OK;
}
