/* Ticket classification from ordered rules (pure logic, no I/O).
 *
 * The rules live in router.rules; the router loads the rows into an array of
 * rt_rule_def, compiles them once with rt_rules_compile and classifies every
 * inbound message with rt_classify. docs/router-rules.md is the user-facing
 * description; this header is the contract.
 *
 * Keywords. All keywords of all rules go into ONE Aho-Corasick automaton, so
 * a message is read once whatever the number of rules or keywords. The
 * automaton reads the text's UTF-8 characters (one step per character, not
 * per byte), so a keyword matches whole characters of the text, and Chinese
 * needs no segmentation. Before matching, text and keywords are folded the
 * same way:
 *   - full-width ASCII U+FF01..U+FF5E becomes ASCII (ＳＦ -> sf, ？ -> ?),
 *     the ideographic space U+3000 a space;
 *   - ASCII letters are lower-cased (Refund == refund); nothing else is
 *     folded (no simplified/traditional mapping, no whitespace collapsing:
 *     "到 哪 了" does not match 到哪了);
 *   - a keyword edge that is an ASCII letter or digit must sit on a word
 *     boundary in the text: "ship" does not match "relationship", "12315"
 *     does not match "123156"; Chinese characters are boundaries, so
 *     "打12315投诉" and "我要refund" match. A '*' at such an edge drops the
 *     boundary there: "refund*" matches refund, refunds, refunded.
 *   - an invalid UTF-8 byte in the text (decoded strictly: overlongs,
 *     surrogates, truncated sequences are invalid) matches nothing (a
 *     keyword cannot span it) and counts as a non-word character.
 *
 * Regex. A rule may add one POSIX extended regex (regcomp with REG_EXTENDED
 * | REG_ICASE | REG_NOSUB). It is meant for ASCII token formats (order
 * numbers, "D11-[0-9]{6}"), not for Chinese: it must be ASCII, it is run on
 * the text with full-width ASCII folded (so ９ is a digit), and it is matched
 * bytewise because peakdesk never calls setlocale (glibc's regex is
 * multibyte-aware only under a UTF-8 LC_CTYPE; compile and classify under
 * the same locale). Chinese goes into keywords, which are faster and
 * locale-free. '.' matches a newline; ^ and $ are the ends of the whole text.
 * Back-references and counted repetitions above 100 are refused (they make
 * regcomp/regexec blow up).
 *
 * Evaluation. Rules are evaluated in ascending `position` (positions must be
 * unique). A rule matches when ALL of its conditions hold:
 *   channels      0, or the bit RT_CHANNEL(kind) of the message's channel;
 *   tier          empty, or equal (ASCII case-insensitive) to the customer's;
 *   if_category   empty, or equal to the ticket's current category (a
 *                 follow-up message on an open ticket);
 *   keywords_any  empty, or at least one occurs;
 *   keywords_all  every one occurs;
 *   keywords_none none occurs;
 *   regex         absent, or it matches.
 * A rule with no keyword or regex condition matches on its filters alone
 * (the fallback rule has no condition at all).
 * A matching rule "applies": the first applied rule that sets category,
 * group or auto_reply decides that field; priority is the highest of the
 * applied rules; tags accumulate (duplicates dropped). Then evaluation stops
 * unless the rule has fall_through set. So by default the first matching
 * rule wins; fall-through rules placed early (e.g. "VIP customers go to the
 * vip group at high priority") add to what the deciding rule says.
 *
 * Ownership and reload. rt_rules_compile copies everything it needs from
 * the definitions (they may be freed right after). The compiled rt_rules is
 * immutable: rt_classify only reads it, so any number of threads may
 * classify with the same rules at once. To reload without restart, compile
 * the new rows into a new rt_rules and, only if that succeeded, swap the
 * pointer the classifying code uses (atomically, or on the one thread that
 * classifies); free the old set once no classification holds it. A failed
 * compile leaves the running set untouched, and its pd_errbuf names the rule
 * and field to fix. */
#ifndef RT_CLASSIFY_H
#define RT_CLASSIFY_H

#include <stddef.h>

#include "pd.h"

/* Limits. Over a limit rt_rules_compile fails with PD_ETOOBIG. */
#define RT_MAX_RULES 1024          /* rules in one set */
#define RT_MAX_LIST_KEYWORDS 1024  /* keywords in one list of one rule */
#define RT_MAX_KEYWORDS 16384      /* keywords in all lists of all rules */
#define RT_MAX_KEYWORD_BYTES 96    /* UTF-8 bytes of one keyword (32 CJK characters) */
#define RT_MAX_KEYWORD_TOTAL (512 * 1024) /* folded bytes of all distinct keywords
					   * (bounds the automaton's edges to ~12 MB;
					   * its dense tables, when built, to 32 MiB) */
#define RT_MAX_NAME 64             /* bytes of an id, tier, group, tag, template name */
#define RT_MAX_RULE_TAGS 8         /* tags on one rule */
#define RT_MAX_REGEX 256           /* bytes of a regex */

/* Caps of what one rt_result reports; what is over a cap is still applied
 * (priority, first-setter fields) but not listed, and *_truncated says so. */
#define RT_RESULT_MAX_TAGS 16
#define RT_RESULT_MAX_RULES 16
#define RT_RESULT_MAX_HITS 32

/* Ticket categories. The strings (rt_category_name) are what router.rules
 * and ticket events carry. RT_CAT_OTHER is what the shipped fallback rule
 * sets: "no rule understood this message", for an agent to classify. */
typedef enum rt_category {
	RT_CAT_NONE = 0, /* not set (a def field left empty; no rule applied) */
	RT_CAT_PRESALE,    /* "presale": questions before buying */
	RT_CAT_ORDER,      /* "order": order status, changes, not shipped yet */
	RT_CAT_AFTER_SALE, /* "after-sale": return, exchange, refund, quality */
	RT_CAT_LOGISTICS,  /* "logistics": where is my parcel, delay, damage */
	RT_CAT_STOCK,      /* "stock": out of stock, restock, when will it ship */
	RT_CAT_PROMO,      /* "promo": coupons, discount rules, price protection */
	RT_CAT_COMPLAINT,  /* "complaint": 投诉, 12315, 差评, 曝光 */
	RT_CAT_OTHER,      /* "other": fallback */
} rt_category;
#define RT_CAT_COUNT 9

/* Priorities: the values of peakdesk.v1.Priority (proto/ticket.proto). */
enum { RT_PRIO_LOW = 1, RT_PRIO_NORMAL = 2, RT_PRIO_HIGH = 3, RT_PRIO_URGENT = 4 };

/* Channel filter bit for a peakdesk.v1.ChannelKind value (1..31). */
#define RT_CHANNEL(kind) (1u << (kind))

/* One rule as stored in router.rules. Lists are NULL-terminated arrays of
 * UTF-8 strings; a NULL list is empty. NULL or "" means "not set" for every
 * string field. Nothing here is retained by rt_rules_compile. */
typedef struct rt_rule_def {
	const char *id;                  /* unique, 1..RT_MAX_NAME bytes; shown in "why" */
	int position;                    /* evaluation order, ascending; unique */
	unsigned channels;               /* RT_CHANNEL bits; 0 = every channel */
	const char *tier;                /* customer tier filter, e.g. "vip" */
	const char *if_category;         /* ticket's current category filter */
	const char *const *keywords_any; /* at least one must occur */
	const char *const *keywords_all; /* all must occur */
	const char *const *keywords_none;/* none may occur */
	const char *regex;               /* ASCII POSIX ERE, see above */
	/* actions */
	const char *category;            /* rt_category_name; required unless fall_through */
	int priority;                    /* 1..4, 0 = not set */
	const char *group;               /* agent group name (router.groups) */
	const char *const *tags;         /* up to RT_MAX_RULE_TAGS */
	const char *auto_reply;          /* auto-reply template name */
	int fall_through;                /* 1: apply and keep evaluating */
} rt_rule_def;

typedef struct rt_rules rt_rules; /* compiled, immutable */

/* Compiles n definitions into *out. On PD_OK *out is a new rule set the
 * caller releases with rt_rules_free; on error *out is NULL and eb (may be
 * NULL) says which rule and field is wrong, e.g.
 * "rule 'refund': keywords_any[2] is empty". n = 0 is allowed (an empty set
 * applies no rule). Errors: PD_EINVAL (bad definition: missing or duplicate
 * id, duplicate position, empty/blank/invalid-UTF-8 keyword, misplaced '*',
 * unknown category, priority out of range, bad or non-ASCII regex, channel
 * bit 0, a stopping rule without category), PD_ETOOBIG (a limit above). */
int rt_rules_compile(const rt_rule_def *defs, size_t n, rt_rules **out, pd_errbuf *eb);

/* Frees a compiled set; NULL is allowed. No rt_classify may be using it. */
void rt_rules_free(rt_rules *r);

/* Sizes, for the reload log line and metrics. */
size_t rt_rules_count(const rt_rules *r);    /* rules */
size_t rt_rules_keywords(const rt_rules *r); /* distinct folded keywords */
size_t rt_rules_states(const rt_rules *r);   /* automaton states */

/* What to classify. Strings are borrowed for the call. */
typedef struct rt_input {
	const char *text;             /* UTF-8 message text; NULL only with len 0 */
	size_t len;                   /* bytes of text */
	int channel;                  /* peakdesk.v1.ChannelKind value */
	const char *tier;             /* customer's tier; NULL/"" = none */
	const char *current_category; /* open ticket's category; NULL/"" = new ticket */
} rt_input;

/* A keyword occurrence that made an applied rule match: the "why". */
typedef struct rt_hit {
	const char *rule_id; /* borrowed from the rules */
	const char *keyword; /* as written in the rule, borrowed from the rules */
	size_t start, end;   /* first occurrence: bytes [start, end) of the text */
} rt_hit;

/* Outcome. Every pointer is borrowed from the rt_rules and valid as long as
 * that set is (keep the set alive, or copy, before swapping it out). */
typedef struct rt_result {
	size_t n_applied;           /* rules applied; 0 = nothing matched */
	const char *rule_id;        /* the deciding (last applied) rule; NULL if none */
	rt_category category;       /* RT_CAT_NONE when no applied rule set one */
	const char *category_name;  /* rt_category_name(category) */
	int priority;               /* 1..4; RT_PRIO_NORMAL if applied rules set none; 0 if none applied */
	const char *group;          /* NULL when no applied rule set one */
	const char *auto_reply;     /* NULL when no applied rule set one */
	size_t n_tags;
	const char *tags[RT_RESULT_MAX_TAGS];
	int tags_truncated;
	const char *rules[RT_RESULT_MAX_RULES]; /* ids of the applied rules, in order */
	int rules_truncated;
	size_t n_hits;
	rt_hit hits[RT_RESULT_MAX_HITS]; /* keywords_any/_all hits of the applied rules */
	int hits_truncated;
} rt_result;

/* Classifies one message: one pass of the automaton over the text, then the
 * rules in order (see the top of this file). *out is overwritten.
 * Returns PD_OK, or PD_EINVAL when r, in or out is NULL or text is NULL with
 * len > 0. Thread-safe for a shared r. */
int rt_classify(const rt_rules *r, const rt_input *in, rt_result *out);

/* Every distinct keyword of the set that occurs in text (regardless of
 * rules), in order of first occurrence: for the admin "test this message"
 * view and for tests. Writes up to max keywords (as first written in the
 * rules, borrowed from r) to out and returns how many occur in all. */
size_t rt_keywords_found(const rt_rules *r, const char *text, size_t len, const char **out,
			 size_t max);

/* "presale", ..., "other"; "" for RT_CAT_NONE or an out-of-range value. */
const char *rt_category_name(rt_category c);

/* Category for a name (exact, lower case as above); RT_CAT_NONE if unknown
 * or NULL/"". */
rt_category rt_category_parse(const char *name);

/* The shipped default rule set (default_rules.c), ordered, static storage:
 * the router seeds router.rules from it on first start. */
const rt_rule_def *rt_default_rules(size_t *n);

#endif
