/* libFuzzer harness for the router's classifier and number extractor
 * (services/router/classify.c, extract.c).
 *
 * The input is split at its first NUL byte:
 *   before  rule keywords, one per line (up to 64): keyword j goes to rule
 *           j % 8, into keywords_any / _all / _none by (j / 8) % 3, so the
 *           fuzzer builds automata with shared prefixes, suffixes, '*'
 *           edges, invalid UTF-8 (refused at compile: also exercised);
 *   after   the message text.
 * Without a NUL the whole input is the text. The text is classified with
 * the fuzzed rules (when they compile) and with the shipped default rules
 * (which include a regex rule), and run through rt_extract.
 * Checked on every run, beyond "no crash": results within bounds, every
 * reported keyword span holds a keyword when scanned alone, and every
 * extracted reference re-extracts from its own span to the same value.
 * Seeds: tests/fuzz/corpus/classify/. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../services/router/classify.h"
#include "../../services/router/extract.h"

#define MAX_KW 64
#define N_RULES 8

static void check_result(const rt_rules *r, const rt_result *res, const char *text, size_t len)
{
	if (res->priority < 0 || res->priority > RT_PRIO_URGENT)
		abort();
	if ((unsigned)res->category >= RT_CAT_COUNT || !res->category_name)
		abort();
	if (res->n_applied == 0 && (res->rule_id || res->category != RT_CAT_NONE || res->priority))
		abort();
	if (res->n_applied && (!res->rule_id || res->priority < 1))
		abort();
	if (res->n_tags > RT_RESULT_MAX_TAGS || res->n_hits > RT_RESULT_MAX_HITS)
		abort();
	for (size_t i = 0; i < res->n_hits; i++) {
		const rt_hit *h = &res->hits[i];
		if (!h->keyword || !h->rule_id || h->start > h->end || h->end > len)
			abort();
		/* the span alone still contains a keyword of the set */
		const char *one[1];
		if (rt_keywords_found(r, text + h->start, h->end - h->start, one, 1) == 0)
			abort();
	}
}

static void classify_text(const rt_rules *r, const char *text, size_t len, int channel)
{
	static const char *const tiers[] = { NULL, "vip", "VIP", "normal" };
	static const char *const cats[] = { NULL, "after-sale", "logistics", "bogus" };
	rt_input in = { text, len, channel, tiers[len % 4], cats[(len / 4) % 4] };
	rt_result res;
	if (rt_classify(r, &in, &res) != PD_OK)
		abort();
	check_result(r, &res, text, len);
	const char *found[8];
	size_t n = rt_keywords_found(r, text, len, found, 8);
	for (size_t i = 0; i < n && i < 8; i++)
		if (!found[i])
			abort();
}

static void extract_text(const char *text, size_t len)
{
	rt_ref refs[16];
	size_t n = rt_extract(NULL, text, len, refs, 16);
	size_t prev = 0;
	for (size_t i = 0; i < n && i < 16; i++) {
		const rt_ref *r = &refs[i];
		size_t vl = strlen(r->value);
		if (r->start >= r->end || r->end > len || r->start < prev || vl == 0 ||
		    vl >= RT_REF_VALUE_MAX || !r->format || r->kind == RT_REF_NONE)
			abort();
		for (size_t k = 0; k < vl; k++) {
			char c = r->value[k];
			if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || c == '-'))
				abort();
		}
		prev = r->end;
		rt_ref again[2];
		if (rt_extract(NULL, text + r->start, r->end - r->start, again, 2) != 1 ||
		    strcmp(again[0].value, r->value) != 0)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static rt_rules *defaults;
	if (!defaults) {
		size_t n;
		const rt_rule_def *d = rt_default_rules(&n);
		if (rt_rules_compile(d, n, &defaults, NULL) != PD_OK)
			abort();
	}
	const char *in = (const char *)data;
	const char *nul = memchr(in, '\0', size);
	const char *text = nul ? nul + 1 : in;
	size_t len = nul ? size - (size_t)(nul + 1 - in) : size;

	if (nul) {
		char *spec = malloc((size_t)(nul - in) + 1);
		memcpy(spec, in, (size_t)(nul - in));
		spec[nul - in] = '\0';
		const char *lists[N_RULES][3][MAX_KW + 1];
		size_t counts[N_RULES][3] = { { 0 } };
		size_t n_kw = 0;
		for (char *line = spec, *next; line && n_kw < MAX_KW; line = next) {
			next = strchr(line, '\n');
			if (next)
				*next++ = '\0';
			if (!*line)
				continue; /* empty keywords are refused; the unit tests cover that */
			size_t rule = n_kw % N_RULES, list = (n_kw / N_RULES) % 3;
			lists[rule][list][counts[rule][list]++] = line;
			n_kw++;
		}
		static const char *const cats[] = { "presale", "order", "after-sale", "logistics",
						    "stock", "promo", "complaint", "other" };
		static const char *const tags[] = { "t", NULL };
		rt_rule_def defs[N_RULES];
		for (size_t i = 0; i < N_RULES; i++) {
			for (size_t l = 0; l < 3; l++)
				lists[i][l][counts[i][l]] = NULL;
			defs[i] = (rt_rule_def){
				.id = cats[i],
				.position = (int)(N_RULES - i), /* reversed: the sort matters */
				.channels = i == 3 ? RT_CHANNEL(2) : 0,
				.tier = i == 1 ? "vip" : NULL,
				.if_category = i == 2 ? "after-sale" : NULL,
				.keywords_any = lists[i][0],
				.keywords_all = lists[i][1],
				.keywords_none = lists[i][2],
				.regex = i == 5 ? "(^|[^0-9])[0-9]{11}([^0-9]|$)" : NULL,
				.category = i == 0 ? NULL : cats[i],
				.priority = (int)(i % 5),
				.group = "g",
				.tags = tags,
				.fall_through = i == 0 || i == 4,
			};
		}
		rt_rules *r = NULL;
		if (rt_rules_compile(defs, N_RULES, &r, NULL) == PD_OK) {
			classify_text(r, text, len, (int)(len % 4));
			rt_rules_free(r);
		} else if (r) {
			abort(); /* a failed compile must leave no set behind */
		}
		free(spec);
	}
	classify_text(defaults, text, len, 1 + (int)(size % 3));
	extract_text(text, len);
	return 0;
}
