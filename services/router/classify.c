/* Rule compilation and classification for the ticket router: one
 * Aho-Corasick automaton over the folded UTF-8 bytes of every keyword of
 * every rule, then the rules evaluated in order against the set of keywords
 * found. Semantics and ownership are in classify.h. No I/O, no globals. */
#include "classify.h"

#include <regex.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify_fold.h"
#include "codec.h"

/* ---- folding: the byte stream the automaton reads -----------------------
 *
 * Text and keywords go through the same folding (classify.h): full-width
 * ASCII -> ASCII, ASCII letters lower-cased, other valid characters as
 * their UTF-8 bytes. Word boundaries are made explicit: a SENT byte is
 * emitted wherever the text switches between "ASCII letter or digit" and
 * anything else, the text being thought of as padded with non-word
 * characters at both ends. A keyword folded the same way carries SENT at its
 * alphanumeric edges, so plain substring matching then enforces the word
 * boundaries, and the automaton stays a textbook one (its "first occurrence
 * implies all suffixes seen" shortcut below stays valid, which a boundary
 * check done beside the automaton would break).
 * SENT (0xFF) and BAD (0xFE, for an invalid text byte) never occur in valid
 * UTF-8, and keywords are valid UTF-8, so neither can be forged by text and
 * no keyword can match across an invalid byte. */
#define SENT 0xFFu
#define BAD 0xFEu

/* Ring of the text offsets where each of the last RING folded bytes
 * starts, so a match can be mapped back to bytes of the text. RING exceeds
 * the longest folded keyword: RT_MAX_KEYWORD_BYTES plus at most one SENT
 * per byte (and one more at the end). */
#define RING 256
#define RING_MASK (RING - 1)
_Static_assert(2 * RT_MAX_KEYWORD_BYTES + 1 < RING, "ring must hold the longest folded keyword");

/* Walks the text's folded bytes, calling emit(ctx, byte, start, end) for
 * each with the text span it stands for. The one definition of the folding
 * for keywords (compiled) and texts (scanned); always inlined, so the scan's
 * emit is a direct, inlined step of the automaton rather than a call per
 * byte. */
typedef void (*fold_emit)(void *ctx, unsigned char b, size_t start, size_t end);

static inline __attribute__((always_inline)) void fold_each(const char *s, size_t len, fold_emit emit, void *ctx)
{
	int prev_alnum = 0;
	size_t i = 0;
	while (i < len) {
		size_t next;
		unsigned char a = (unsigned char)s[i];
		int c = a < 0x80 ? (next = i + 1, (int)a) : rt_fold_next(s, len, i, &next);
		int alnum = rt_fold_alnum(c);
		if (alnum != prev_alnum)
			emit(ctx, SENT, i, i);
		if (c == RT_FOLD_INVALID) {
			emit(ctx, BAD, i, next);
		} else if (c < 0x80) {
			unsigned char f = (unsigned char)c;
			if (f >= 'A' && f <= 'Z')
				f = (unsigned char)(f - 'A' + 'a');
			emit(ctx, f, i, next);
		} else {
			for (size_t k = i; k < next; k++)
				emit(ctx, (unsigned char)s[k], i, next);
		}
		prev_alnum = alnum;
		i = next;
	}
	if (prev_alnum)
		emit(ctx, SENT, len, len);
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
	int has_re;
	regex_t re;
	rt_category category;
	int priority;
	char *group, *auto_reply; /* NULL = not set */
	char **tags;
	size_t n_tags;
	int fall_through;
};

struct rt_rules {
	struct rule *rules; /* sorted by position */
	size_t n_rules;
	int any_regex;
	/* Automaton, flattened: state 0 is the root. Edges of state s are
	 * lab/tgt[edge_off[s] .. edge_off[s+1]), sorted by label. The root
	 * also has a dense table (it is visited after every mismatch). */
	size_t n_states;
	uint32_t *edge_off;
	unsigned char *lab;
	uint32_t *tgt;
	uint32_t *fail;
	int32_t *out;   /* pattern ending in this state, -1 if none */
	uint32_t *dict; /* nearest state on the fail chain with out >= 0; 0 = none */
	uint32_t root_next[256];
	/* The whole goto-with-failure function as one row of 256 next states
	 * per state (1.7 MB for the shipped rules' 3,300 states): one load per
	 * text byte instead of a search along the fail chain. NULL above 65,535
	 * states, where the sparse edges above are used. */
	uint16_t *delta;
	size_t n_pats;
	uint16_t *pat_len;       /* folded length of each pattern */
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
	free(r->edge_off);
	free(r->lab);
	free(r->tgt);
	free(r->delta);
	free(r->fail);
	free(r->out);
	free(r->dict);
	free(r->pat_len);
	free(r->pat_shown);
	free(r);
}

/* ---- automaton construction -------------------------------------------- */

/* Trie state while building: edges in a small sorted array. */
struct bstate {
	unsigned char *lab;
	uint32_t *tgt;
	uint16_t n, cap;
	int32_t out;
};

struct builder {
	struct bstate *st;
	size_t n, cap;
	size_t n_pats, cap_pats;
	uint16_t *pat_len;
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

/* Index of the first edge with label >= c. */
static size_t edge_lower(const struct bstate *s, unsigned char c)
{
	size_t lo = 0, hi = s->n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (s->lab[mid] < c)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static uint32_t builder_child(struct builder *b, uint32_t s, unsigned char c)
{
	struct bstate *p = &b->st[s];
	size_t k = edge_lower(p, c);
	if (k < p->n && p->lab[k] == c)
		return p->tgt[k];
	uint32_t t = builder_new_state(b);
	p = &b->st[s]; /* builder_new_state may have moved the array */
	if (p->n == p->cap) {
		p->cap = p->cap ? (uint16_t)(p->cap * 2) : 2;
		p->lab = pd_xrealloc(p->lab, p->cap);
		p->tgt = pd_xrealloc(p->tgt, p->cap * sizeof(*p->tgt));
	}
	memmove(p->lab + k + 1, p->lab + k, p->n - k);
	memmove(p->tgt + k + 1, p->tgt + k, (p->n - k) * sizeof(*p->tgt));
	p->lab[k] = c;
	p->tgt[k] = t;
	p->n++;
	return t;
}

/* Adds one folded pattern; returns its id (an existing one for a repeat). */
static uint32_t builder_add(struct builder *b, const unsigned char *f, size_t n, const char *shown)
{
	uint32_t s = 0;
	for (size_t i = 0; i < n; i++)
		s = builder_child(b, s, f[i]);
	if (b->st[s].out >= 0)
		return (uint32_t)b->st[s].out;
	if (b->n_pats == b->cap_pats) {
		b->cap_pats = b->cap_pats ? b->cap_pats * 2 : 64;
		b->pat_len = pd_xrealloc(b->pat_len, b->cap_pats * sizeof(*b->pat_len));
		b->pat_shown = pd_xrealloc(b->pat_shown, b->cap_pats * sizeof(*b->pat_shown));
	}
	b->pat_len[b->n_pats] = (uint16_t)n;
	b->pat_shown[b->n_pats] = shown;
	b->st[s].out = (int32_t)b->n_pats;
	b->total_bytes += n;
	return (uint32_t)b->n_pats++;
}

static void builder_free(struct builder *b)
{
	for (size_t i = 0; i < b->n; i++) {
		free(b->st[i].lab);
		free(b->st[i].tgt);
	}
	free(b->st);
	free(b->pat_len);
	free(b->pat_shown);
}

/* Flattens the trie into r and computes fail and dictionary links
 * breadth-first (a state's fail target is shallower, so it is final by the
 * time the state is reached). Takes over pat_len/pat_shown. */
static void builder_finish(struct builder *b, rt_rules *r)
{
	size_t n = b->n, n_edges = 0;
	for (size_t i = 0; i < n; i++)
		n_edges += b->st[i].n;
	r->n_states = n;
	r->edge_off = pd_xmalloc((n + 1) * sizeof(*r->edge_off));
	r->lab = pd_xmalloc(n_edges ? n_edges : 1);
	r->tgt = pd_xmalloc((n_edges ? n_edges : 1) * sizeof(*r->tgt));
	r->fail = pd_xcalloc(n, sizeof(*r->fail));
	r->out = pd_xmalloc(n * sizeof(*r->out));
	r->dict = pd_xcalloc(n, sizeof(*r->dict));
	size_t e = 0;
	for (size_t i = 0; i < n; i++) {
		r->edge_off[i] = (uint32_t)e;
		if (b->st[i].n) { /* a leaf has no arrays, and memcpy from NULL is UB */
			memcpy(r->lab + e, b->st[i].lab, b->st[i].n);
			memcpy(r->tgt + e, b->st[i].tgt, b->st[i].n * sizeof(*r->tgt));
		}
		e += b->st[i].n;
		r->out[i] = b->st[i].out;
	}
	r->edge_off[n] = (uint32_t)e;
	memset(r->root_next, 0, sizeof(r->root_next));
	for (uint32_t k = r->edge_off[0]; k < r->edge_off[1]; k++)
		r->root_next[r->lab[k]] = r->tgt[k];

	uint32_t *queue = pd_xmalloc(n * sizeof(*queue));
	size_t qh = 0, qt = 0;
	for (uint32_t k = r->edge_off[0]; k < r->edge_off[1]; k++)
		queue[qt++] = r->tgt[k]; /* depth 1: fail = root, dict = none */
	while (qh < qt) {
		uint32_t s = queue[qh++];
		for (uint32_t k = r->edge_off[s]; k < r->edge_off[s + 1]; k++) {
			unsigned char c = r->lab[k];
			uint32_t t = r->tgt[k], f = r->fail[s], g = 0;
			for (;;) {
				if (f == 0) {
					g = r->root_next[c];
					break;
				}
				/* linear is fine here: build time only */
				uint32_t m;
				for (m = r->edge_off[f]; m < r->edge_off[f + 1] && r->lab[m] != c; m++)
					;
				if (m < r->edge_off[f + 1]) {
					g = r->tgt[m];
					break;
				}
				f = r->fail[f];
			}
			r->fail[t] = g;
			r->dict[t] = r->out[g] >= 0 ? g : r->dict[g];
			queue[qt++] = t;
		}
	}
	/* Dense rows in the same breadth-first order: a state's row is its
	 * fail state's (already complete, being shallower) with its own edges
	 * laid over it. */
	if (n <= UINT16_MAX) {
		r->delta = pd_xmalloc(n * 256 * sizeof(*r->delta));
		for (int c = 0; c < 256; c++)
			r->delta[c] = (uint16_t)r->root_next[c];
		for (size_t q = 0; q < qt; q++) {
			uint32_t s = queue[q];
			memcpy(r->delta + (size_t)s * 256, r->delta + (size_t)r->fail[s] * 256, 256 * sizeof(*r->delta));
			for (uint32_t k = r->edge_off[s]; k < r->edge_off[s + 1]; k++)
				r->delta[(size_t)s * 256 + r->lab[k]] = (uint16_t)r->tgt[k];
		}
	}
	free(queue);
	r->n_pats = b->n_pats;
	r->pat_len = b->pat_len;
	r->pat_shown = b->pat_shown;
	b->pat_len = NULL;
	b->pat_shown = NULL;
}

/* Goto with failure: the next state after reading c in state s. */
static uint32_t ac_step(const rt_rules *r, uint32_t s, unsigned char c)
{
	if (r->delta)
		return r->delta[(size_t)s * 256 + c];
	for (;;) {
		if (s == 0)
			return r->root_next[c];
		uint32_t lo = r->edge_off[s], hi = r->edge_off[s + 1];
		while (lo < hi) {
			uint32_t mid = lo + (hi - lo) / 2;
			if (r->lab[mid] < c)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo < r->edge_off[s + 1] && r->lab[lo] == c)
			return r->tgt[lo];
		s = r->fail[s];
	}
}

/* ---- scanning ------------------------------------------------------------ */

struct found {
	uint32_t pat;
	size_t start, end;
};

/* Keywords found in one text: a bitmap for the rules and the first
 * occurrences in order for the "why". */
struct scan {
	uint8_t *seen; /* bit per pattern */
	struct found *list;
	size_t n, cap;
};

static int scan_seen(const struct scan *sc, uint32_t p)
{
	return sc->seen[p >> 3] >> (p & 7) & 1;
}

static void scan_free(struct scan *sc)
{
	free(sc->seen);
	free(sc->list);
}

/* The automaton's walk over one text (the fold's emit). */
struct walk {
	const rt_rules *r;
	struct scan *sc;
	uint32_t s;
	size_t pos;
	size_t rs[RING]; /* text start of each of the last RING folded bytes */
};

static inline void walk_byte(void *ctx, unsigned char c, size_t bs, size_t be)
{
	struct walk *w = ctx;
	const rt_rules *r = w->r;
	struct scan *sc = w->sc;
	w->s = ac_step(r, w->s, c);
	w->rs[w->pos & RING_MASK] = bs;
	uint32_t t = r->out[w->s] >= 0 ? w->s : r->dict[w->s];
	while (t) {
		uint32_t p = (uint32_t)r->out[t];
		if (scan_seen(sc, p))
			break;
		sc->seen[p >> 3] |= (uint8_t)(1u << (p & 7));
		if (sc->n == sc->cap) {
			sc->cap = sc->cap ? sc->cap * 2 : 16;
			sc->list = pd_xrealloc(sc->list, sc->cap * sizeof(*sc->list));
		}
		size_t first = w->pos + 1 - r->pat_len[p];
		sc->list[sc->n++] = (struct found){ p, w->rs[first & RING_MASK], be };
		t = r->dict[t];
	}
	w->pos++;
}

/* One pass over the text. For each state reached, the patterns ending there
 * are that state's own (if any) and those along its dictionary chain. The
 * walk down the chain stops at the first pattern already seen: that pattern
 * was seen ending at some earlier position, where every pattern further down
 * its chain (all suffixes of it) ended too and was marked then. So each
 * pattern costs one visit in all, and the pass is linear in the text plus
 * the number of distinct keywords. */
static void scan_text(const rt_rules *r, const char *text, size_t len, struct scan *sc)
{
	memset(sc, 0, sizeof(*sc));
	if (r->n_pats == 0 || len == 0)
		return;
	sc->seen = pd_xcalloc((r->n_pats + 7) / 8, 1);
	struct walk w = {.r = r, .sc = sc};
	fold_each(text, len, walk_byte, &w);
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

static int is_blank(const unsigned char *f, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (f[i] != ' ' && f[i] != '\t' && f[i] != '\n' && f[i] != '\r' && f[i] != SENT)
			return 0;
	return 1;
}

/* Folds, checks and adds one keyword; fills *k. */
/* A keyword's folded bytes (at most 2 per byte plus the edges, checked
 * by the caller's length limit). */
struct folded {
	unsigned char b[2 * RT_MAX_KEYWORD_BYTES + 2];
	size_t n;
};

static void keyword_byte(void *ctx, unsigned char b, size_t start, size_t end)
{
	(void)start, (void)end;
	struct folded *f = ctx;
	if (f->n < sizeof(f->b))
		f->b[f->n++] = b;
}

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
	struct folded fk = {0};
	fold_each(body, blen, keyword_byte, &fk);
	unsigned char *f = fk.b;
	size_t fn = fk.n;
	unsigned char *start = f;
	if (open_left) {
		if (f[0] != SENT)
			return pd_fail(cc->eb, PD_EINVAL,
				       "%s: %s[%zu]: a leading '*' must be next to a letter or digit",
				       cc->who, list, idx);
		start++;
		fn--;
	}
	if (open_right) {
		if (fn == 0 || start[fn - 1] != SENT)
			return pd_fail(cc->eb, PD_EINVAL,
				       "%s: %s[%zu]: a trailing '*' must be next to a letter or digit",
				       cc->who, list, idx);
		fn--;
	}
	if (fn == 0 || is_blank(start, fn))
		return pd_fail(cc->eb, PD_EINVAL, "%s: %s[%zu] is blank", cc->who, list, idx);
	if (++cc->n_keywords > RT_MAX_KEYWORDS)
		return pd_fail(cc->eb, PD_ETOOBIG, "more than %d keywords in all rules",
			       RT_MAX_KEYWORDS);
	k->text = pd_xstrdup(kw);
	k->pat = builder_add(&cc->b, start, fn, k->text);
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
	builder_finish(&cc.b, cc.r);
	builder_free(&cc.b);
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

static int any_seen(const struct scan *sc, const struct kw *k, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (sc->seen && scan_seen(sc, k[i].pat))
			return 1;
	return 0;
}

static int rule_matches(const struct rule *ru, const rt_input *in, rt_category cur,
			const struct scan *sc, char **re_text)
{
	if (ru->channels &&
	    !(in->channel > 0 && in->channel < 32 && (ru->channels & RT_CHANNEL(in->channel))))
		return 0;
	if (ru->tier && ascii_casecmp(ru->tier, in->tier ? in->tier : "") != 0)
		return 0;
	if (ru->if_cat != RT_CAT_NONE && ru->if_cat != cur)
		return 0;
	if (ru->n_any && !any_seen(sc, ru->any, ru->n_any))
		return 0;
	for (size_t i = 0; i < ru->n_all; i++)
		if (!sc->seen || !scan_seen(sc, ru->all[i].pat))
			return 0;
	if (any_seen(sc, ru->none, ru->n_none))
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
	rt_category cur = rt_category_parse(in->current_category);
	char *re_text = NULL;
	for (size_t i = 0; i < r->n_rules; i++) {
		const struct rule *ru = &r->rules[i];
		if (!rule_matches(ru, in, cur, &sc, &re_text))
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
