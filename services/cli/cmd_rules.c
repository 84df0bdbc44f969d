/* peakdesk rules: the router's classification rules in router.rules —
 * list, show, set (from JSON), enable/disable, delete, and test a message
 * against them. Every change is checked by compiling the whole enabled set
 * in the same transaction, exactly as the router will when NOTIFY reaches
 * it; a set that does not compile is rolled back with the reason. */
#include <json-c/json.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../router/classify.h"
#include "../router/router.h"
#include "cli.h"
#include "topics.h"

static void usage(FILE *f)
{
	fprintf(f, "Usage:\n"
		   "  peakdesk rules list\n"
		   "  peakdesk rules show ID\n"
		   "  peakdesk rules set [FILE|-]          upsert one rule from a JSON object\n"
		   "  peakdesk rules enable ID | disable ID | delete ID\n"
		   "  peakdesk rules test TEXT [--channel webhook|wechat|email] [--tier vip] [--category C]\n\n"
		   "A rule (JSON, names as in router.rules, camelCase):\n"
		   "  {\"ruleId\":\"promo-presale\",\"position\":605,\"keywordsAny\":[\"预售\",\"定金\"],\n"
		   "   \"keywordsNone\":[],\"keywordsAll\":[],\"channels\":[\"wechat\"],\"tier\":\"\",\n"
		   "   \"ifCategory\":\"\",\"regex\":\"\",\"category\":\"promo\",\"priority\":2,\"group\":\"presale\",\n"
		   "   \"tags\":[\"deposit\"],\"autoReply\":\"promo_rule\",\"fallThrough\":false,\"enabled\":true}\n"
		   "Running routers reload the rules on every change (NOTIFY peakdesk_rules).\n"
		   "docs/router-rules.md describes matching and the shipped set.\n");
}

static PGresult *exec(PGconn *c, const char *sql, int n, const char *const *v)
{
	return PQexecParams(c, sql, n, NULL, v, NULL, NULL, 0);
}

static int ok_cmd(PGresult *r, const char *what)
{
	int ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
	if (!ok)
		fprintf(stderr, "peakdesk rules %s: %s", what, PQresultErrorMessage(r));
	return ok;
}

/* After a change inside BEGIN: compile the enabled set; COMMIT when it
 * compiles, ROLLBACK with the reason otherwise. */
static int check_and_commit(PGconn *c, const char *what)
{
	PGresult *r = PQexec(c, RT_RULES_SELECT);
	if (!ok_cmd(r, what)) {
		PQclear(r);
		PQclear(PQexec(c, "ROLLBACK"));
		return 1;
	}
	rt_rules *compiled = NULL;
	pd_errbuf eb = {{0}};
	int rc = rt_rules_compile_rows(r, &compiled, &eb);
	size_t n = rc == PD_OK ? rt_rules_count(compiled) : 0;
	rt_rules_free(compiled);
	PQclear(r);
	if (rc != PD_OK) {
		PQclear(PQexec(c, "ROLLBACK"));
		fprintf(stderr, "peakdesk rules %s: refused, the rule set would not compile: %s\n", what, eb.msg);
		return 1;
	}
	r = PQexec(c, "COMMIT");
	int good = ok_cmd(r, what);
	PQclear(r);
	if (good)
		printf("rules: %zu enabled rules compile; routers reload them now\n", n);
	return good ? 0 : 1;
}

/* JSON list of strings -> PostgreSQL array literal ("{}" when absent). */
static int text_array(json_object *o, const char *key, char **out)
{
	json_object *v;
	pd_strbuf b = {0};
	pd_sb_add(&b, "{", 1);
	if (json_object_object_get_ex(o, key, &v) && !json_object_is_type(v, json_type_null)) {
		if (!json_object_is_type(v, json_type_array)) {
			fprintf(stderr, "peakdesk rules set: %s must be a list of strings\n", key);
			pd_sb_free(&b);
			return 1;
		}
		for (size_t i = 0; i < json_object_array_length(v); i++) {
			json_object *e = json_object_array_get_idx(v, i);
			if (!json_object_is_type(e, json_type_string)) {
				fprintf(stderr, "peakdesk rules set: %s[%zu] must be a string\n", key, i);
				pd_sb_free(&b);
				return 1;
			}
			pd_sb_array_elem(&b, json_object_get_string(e));
		}
	}
	pd_sb_add(&b, "}", 1);
	*out = b.s;
	return 0;
}

static const char *text_of(json_object *o, const char *key, const char *dflt)
{
	json_object *v;
	if (json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string))
		return json_object_get_string(v);
	return dflt;
}

static int cmd_set(PGconn *c, const char *file)
{
	FILE *f = (!file || !strcmp(file, "-")) ? stdin : fopen(file, "r");
	if (!f) {
		fprintf(stderr, "peakdesk rules set: cannot open %s\n", file);
		return 2;
	}
	pd_strbuf in = {0};
	char buf[4096];
	size_t got;
	while ((got = fread(buf, 1, sizeof(buf), f)) > 0 && in.len < (1u << 20))
		pd_sb_add(&in, buf, got);
	if (f != stdin)
		fclose(f);
	json_object *o = in.s ? json_tokener_parse(in.s) : NULL;
	pd_sb_free(&in);
	if (!o || !json_object_is_type(o, json_type_object)) {
		fprintf(stderr, "peakdesk rules set: the input is not a JSON object\n");
		json_object_put(o);
		return 2;
	}
	const char *id = text_of(o, "ruleId", "");
	json_object *v;
	if (!*id || !json_object_object_get_ex(o, "position", &v) || !json_object_is_type(v, json_type_int)) {
		fprintf(stderr, "peakdesk rules set: ruleId (string) and position (integer) are required\n");
		json_object_put(o);
		return 2;
	}
	char pos[24], prio[24];
	snprintf(pos, sizeof(pos), "%d", json_object_get_int(v));
	snprintf(prio, sizeof(prio), "%d",
		 json_object_object_get_ex(o, "priority", &v) ? json_object_get_int(v) : 0);
	const char *enabled = json_object_object_get_ex(o, "enabled", &v) && !json_object_get_boolean(v) ? "f" : "t";
	const char *fall = json_object_object_get_ex(o, "fallThrough", &v) && json_object_get_boolean(v) ? "t" : "f";
	char *ch = NULL, *any = NULL, *all = NULL, *none = NULL, *tags = NULL;
	int bad = text_array(o, "channels", &ch) || text_array(o, "keywordsAny", &any) ||
		  text_array(o, "keywordsAll", &all) || text_array(o, "keywordsNone", &none) ||
		  text_array(o, "tags", &tags);
	int rc = 2;
	if (!bad) {
		PQclear(PQexec(c, "BEGIN"));
		PGresult *r = exec(c,
				   "INSERT INTO router.rules (rule_id, position, enabled, channels, tier, if_category, "
				   "keywords_any, keywords_all, keywords_none, regex, category, priority, group_name, tags, "
				   "auto_reply, fall_through, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, "
				   "$12, $13, $14, $15, $16, now()) ON CONFLICT (rule_id) DO UPDATE SET position = "
				   "excluded.position, enabled = excluded.enabled, channels = excluded.channels, tier = "
				   "excluded.tier, if_category = excluded.if_category, keywords_any = excluded.keywords_any, "
				   "keywords_all = excluded.keywords_all, keywords_none = excluded.keywords_none, regex = "
				   "excluded.regex, category = excluded.category, priority = excluded.priority, group_name = "
				   "excluded.group_name, tags = excluded.tags, auto_reply = excluded.auto_reply, fall_through "
				   "= excluded.fall_through, updated_at = now()",
				   16,
				   (const char *[]){id, pos, enabled, ch, text_of(o, "tier", ""), text_of(o, "ifCategory", ""),
						    any, all, none, text_of(o, "regex", ""), text_of(o, "category", ""), prio,
						    text_of(o, "group", ""), tags, text_of(o, "autoReply", ""), fall});
		if (ok_cmd(r, "set")) {
			PQclear(r);
			rc = check_and_commit(c, "set");
			if (rc == 0)
				printf("rule %s at position %s\n", id, pos);
		} else {
			PQclear(r);
			PQclear(PQexec(c, "ROLLBACK"));
			rc = 1;
		}
	}
	free(ch), free(any), free(all), free(none), free(tags);
	json_object_put(o);
	return rc;
}

static int cmd_list(PGconn *c)
{
	PGresult *r = PQexec(c, "SELECT position, rule_id, CASE WHEN enabled THEN '' ELSE 'off' END, category, "
				"group_name, priority, cardinality(keywords_any) + cardinality(keywords_all), auto_reply "
				"FROM router.rules ORDER BY position");
	if (!ok_cmd(r, "list")) {
		PQclear(r);
		return 1;
	}
	printf("%5s  %-26s %-3s %-11s %-11s %4s %8s  %s\n", "pos", "rule", "", "category", "group", "prio", "keywords",
	       "auto-reply");
	for (int i = 0; i < PQntuples(r); i++)
		printf("%5s  %-26s %-3s %-11s %-11s %4s %8s  %s\n", PQgetvalue(r, i, 0), PQgetvalue(r, i, 1),
		       PQgetvalue(r, i, 2), PQgetvalue(r, i, 3), PQgetvalue(r, i, 4), PQgetvalue(r, i, 5),
		       PQgetvalue(r, i, 6), PQgetvalue(r, i, 7));
	PQclear(r);
	return 0;
}

static int cmd_show(PGconn *c, const char *id)
{
	PGresult *r = exec(c,
			   "SELECT json_build_object('ruleId', rule_id, 'position', position, 'enabled', enabled, "
			   "'channels', channels, 'tier', tier, 'ifCategory', if_category, 'keywordsAny', keywords_any, "
			   "'keywordsAll', keywords_all, 'keywordsNone', keywords_none, 'regex', regex, 'category', category, "
			   "'priority', priority, 'group', group_name, 'tags', tags, 'autoReply', auto_reply, "
			   "'fallThrough', fall_through) FROM router.rules WHERE rule_id = $1",
			   1, (const char *[]){id});
	int rc = 1;
	if (ok_cmd(r, "show")) {
		if (PQntuples(r) == 1) {
			json_object *o = json_tokener_parse(PQgetvalue(r, 0, 0));
			printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
			json_object_put(o);
			rc = 0;
		} else {
			fprintf(stderr, "peakdesk rules show: no rule %s\n", id);
		}
	}
	PQclear(r);
	return rc;
}

static int cmd_change(PGconn *c, const char *what, const char *id)
{
	PQclear(PQexec(c, "BEGIN"));
	PGresult *r;
	if (!strcmp(what, "delete"))
		r = exec(c, "DELETE FROM router.rules WHERE rule_id = $1", 1, (const char *[]){id});
	else
		r = exec(c, "UPDATE router.rules SET enabled = $2, updated_at = now() WHERE rule_id = $1", 2,
			 (const char *[]){id, strcmp(what, "enable") ? "f" : "t"});
	if (!ok_cmd(r, what) || strcmp(PQcmdTuples(r), "1")) {
		if (PQresultStatus(r) == PGRES_COMMAND_OK)
			fprintf(stderr, "peakdesk rules %s: no rule %s\n", what, id);
		PQclear(r);
		PQclear(PQexec(c, "ROLLBACK"));
		return 1;
	}
	PQclear(r);
	int rc = check_and_commit(c, what);
	if (rc == 0)
		printf("rule %s: %sd\n", id, what);
	return rc;
}

static int cmd_test(PGconn *c, int argc, char **argv)
{
	const char *text = NULL, *tier = "", *category = "";
	int channel = PEAKDESK__V1__CHANNEL_KIND__CHANNEL_KIND_WEBHOOK;
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--channel") && i + 1 < argc) channel = pd_channel_parse(argv[++i]);
		else if (!strcmp(argv[i], "--tier") && i + 1 < argc) tier = argv[++i];
		else if (!strcmp(argv[i], "--category") && i + 1 < argc) category = argv[++i];
		else if (!text) text = argv[i];
		else {
			fprintf(stderr, "peakdesk rules test: unexpected %s\n", argv[i]);
			return 2;
		}
	}
	if (!text || channel <= 0) {
		fprintf(stderr, "peakdesk rules test: give the message text (and a known --channel)\n");
		return 2;
	}
	PGresult *r = PQexec(c, RT_RULES_SELECT);
	if (!ok_cmd(r, "test")) {
		PQclear(r);
		return 1;
	}
	rt_rules *rules = NULL;
	pd_errbuf eb = {{0}};
	int rc = rt_rules_compile_rows(r, &rules, &eb);
	PQclear(r);
	if (rc != PD_OK) {
		fprintf(stderr, "peakdesk rules test: the stored rules do not compile: %s\n", eb.msg);
		return 1;
	}
	rt_input in = {text, strlen(text), channel, tier, category};
	rt_result res;
	rt_classify(rules, &in, &res);
	printf("rule:       %s\n", res.rule_id ? res.rule_id : "(none matched)");
	printf("category:   %s\npriority:   %d\ngroup:      %s\nauto-reply: %s\ntags:      ", res.category_name,
	       res.priority, res.group ? res.group : "", res.auto_reply ? res.auto_reply : "");
	for (size_t i = 0; i < res.n_tags; i++)
		printf(" %s", res.tags[i]);
	printf("\napplied:   ");
	for (size_t i = 0; i < res.n_applied && i < RT_RESULT_MAX_RULES; i++)
		printf(" %s", res.rules[i]);
	printf("\nwhy:       ");
	for (size_t i = 0; i < res.n_hits; i++)
		printf(" %s:\"%s\"", res.hits[i].rule_id, res.hits[i].keyword);
	printf("\n");
	rt_rules_free(rules);
	return 0;
}

int cmd_rules(int argc, char **argv)
{
	if (argc < 2 || cli_wants_help(argc, argv)) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	const char *what = argv[1];
	int needs_id = !strcmp(what, "show") || !strcmp(what, "enable") || !strcmp(what, "disable") ||
		       !strcmp(what, "delete");
	if (needs_id && argc != 3) {
		fprintf(stderr, "peakdesk rules %s: give one rule id\n", what);
		return 2;
	}
	if (!needs_id && strcmp(what, "list") && strcmp(what, "set") && strcmp(what, "test")) {
		fprintf(stderr, "peakdesk rules: unknown action %s\n", what);
		usage(stderr);
		return 2;
	}
	PGconn *c = cli_db("rules");
	if (!c)
		return 1;
	int rc;
	if (!strcmp(what, "list")) rc = cmd_list(c);
	else if (!strcmp(what, "show")) rc = cmd_show(c, argv[2]);
	else if (!strcmp(what, "set")) rc = cmd_set(c, argc > 2 ? argv[2] : NULL);
	else if (!strcmp(what, "test")) rc = cmd_test(c, argc, argv);
	else rc = cmd_change(c, what, argv[2]);
	PQfinish(c);
	return rc;
}
