/* Classification rules kept in router.rules: seeded with the shipped set
 * when empty, compiled by the writer (the only thread that classifies, so
 * swapping the compiled set needs no lock), and reloaded whenever the table
 * changes: a LISTEN connection on the loop hears NOTIFY peakdesk_rules. A
 * rule set that does not compile is refused and the old one stays. */
#include <event2/event.h>
#include <json-c/json.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "log.h"
#include "router.h"
#include "topics.h"

static void add_list(pd_strbuf *b, const char *const *l)
{
	pd_sb_add(b, "{", 1);
	for (; l && *l; l++)
		pd_sb_array_elem(b, *l);
	pd_sb_add(b, "}", 1);
}

static int seed(pd_txn *tx, pd_errbuf *eb)
{
	int err;
	PGresult *r = pd_txn_query(tx, "SELECT count(*) FROM router.rules", 0, NULL, &err, eb);
	if (!r)
		return err;
	int empty = strcmp(PQgetvalue(r, 0, 0), "0") == 0;
	PQclear(r);
	if (!empty)
		return PD_OK;
	size_t n;
	const rt_rule_def *d = rt_default_rules(&n);
	for (size_t i = 0; i < n; i++) {
		pd_strbuf ch = {0}, any = {0}, all = {0}, none = {0}, tags = {0};
		pd_sb_add(&ch, "{", 1);
		for (int k = 1; k < 32; k++)
			if (d[i].channels & RT_CHANNEL(k))
				pd_sb_array_elem(&ch, pd_channel_name(k));
		pd_sb_add(&ch, "}", 1);
		add_list(&any, d[i].keywords_any);
		add_list(&all, d[i].keywords_all);
		add_list(&none, d[i].keywords_none);
		add_list(&tags, d[i].tags);
		char pos[16], prio[8];
		snprintf(pos, sizeof(pos), "%d", d[i].position);
		snprintf(prio, sizeof(prio), "%d", d[i].priority);
		const char *v[15] = {d[i].id, pos, ch.s, d[i].tier ? d[i].tier : "", d[i].if_category ? d[i].if_category : "",
				     any.s, all.s, none.s, d[i].regex ? d[i].regex : "", d[i].category ? d[i].category : "",
				     prio, d[i].group ? d[i].group : "", tags.s, d[i].auto_reply ? d[i].auto_reply : "",
				     d[i].fall_through ? "true" : "false"};
		int rc = pd_txn_exec(tx,
				     "INSERT INTO router.rules(rule_id, position, channels, tier, if_category, keywords_any, "
				     "keywords_all, keywords_none, regex, category, priority, group_name, tags, auto_reply, fall_through) "
				     "VALUES ($1, $2::int, $3::text[], $4, $5, $6::text[], $7::text[], $8::text[], $9, $10, $11::int, "
				     "$12, $13::text[], $14, $15::boolean)",
				     15, v, eb);
		pd_sb_free(&ch), pd_sb_free(&any), pd_sb_free(&all), pd_sb_free(&none), pd_sb_free(&tags);
		if (rc != PD_OK)
			return rc;
	}
	pd_log_info("shipped classification rules seeded", "rules=%zu", n);
	return PD_OK;
}

/* A JSON array of strings (array_to_json) as a NULL-terminated list whose
 * strings live in the json object `hold` (caller puts it). NULL if empty. */
static const char **list(const char *json, json_object **hold)
{
	*hold = json_tokener_parse(json);
	size_t n = *hold && json_object_is_type(*hold, json_type_array) ? json_object_array_length(*hold) : 0;
	if (!n)
		return NULL;
	const char **l = pd_xcalloc(n + 1, sizeof(*l));
	for (size_t i = 0; i < n; i++)
		l[i] = json_object_get_string(json_object_array_get_idx(*hold, i));
	return l;
}

struct reload_job {
	pd_job job;
	rt_context *ctx;
	int seed;
};

static atomic_int g_reload_in_flight;

int rt_rules_compile_rows(struct pg_result *r, rt_rules **out, pd_errbuf *eb)
{
	size_t n = (size_t)PQntuples(r);
	rt_rule_def *defs = pd_xcalloc(n + 1, sizeof(*defs));
	json_object **holds = pd_xcalloc(5 * (n + 1), sizeof(*holds));
	const char ***lists = pd_xcalloc(5 * (n + 1), sizeof(*lists));
	for (size_t i = 0; i < n; i++) {
		int row = (int)i;
		rt_rule_def *d = &defs[i];
		d->id = PQgetvalue(r, row, 0);
		d->position = atoi(PQgetvalue(r, row, 1));
		const char **ch = lists[5 * i] = list(PQgetvalue(r, row, 2), &holds[5 * i]);
		for (size_t k = 0; ch && ch[k]; k++)
			d->channels |= RT_CHANNEL(pd_channel_parse(ch[k]));
		d->tier = *PQgetvalue(r, row, 3) ? PQgetvalue(r, row, 3) : NULL;
		d->if_category = *PQgetvalue(r, row, 4) ? PQgetvalue(r, row, 4) : NULL;
		d->keywords_any = lists[5 * i + 1] = list(PQgetvalue(r, row, 5), &holds[5 * i + 1]);
		d->keywords_all = lists[5 * i + 2] = list(PQgetvalue(r, row, 6), &holds[5 * i + 2]);
		d->keywords_none = lists[5 * i + 3] = list(PQgetvalue(r, row, 7), &holds[5 * i + 3]);
		d->regex = *PQgetvalue(r, row, 8) ? PQgetvalue(r, row, 8) : NULL;
		d->category = *PQgetvalue(r, row, 9) ? PQgetvalue(r, row, 9) : NULL;
		d->priority = atoi(PQgetvalue(r, row, 10));
		d->group = *PQgetvalue(r, row, 11) ? PQgetvalue(r, row, 11) : NULL;
		d->tags = lists[5 * i + 4] = list(PQgetvalue(r, row, 12), &holds[5 * i + 4]);
		d->auto_reply = *PQgetvalue(r, row, 13) ? PQgetvalue(r, row, 13) : NULL;
		d->fall_through = PQgetvalue(r, row, 14)[0] == 't';
	}
	/* the compiled set copies what it keeps: the rows may go */
	int rc = rt_rules_compile(defs, n, out, eb);
	for (size_t i = 0; i < 5 * (n + 1); i++) {
		free(lists[i]);
		if (holds[i])
			json_object_put(holds[i]);
	}
	free(lists);
	free(holds);
	free(defs);
	return rc;
}

static int reload_apply(pd_txn *tx, pd_job *job)
{
	struct reload_job *j = (struct reload_job *)job;
	pd_errbuf eb = {{0}};
	int rc = j->seed ? seed(tx, &eb) : PD_OK;
	if (rc != PD_OK)
		return rc;
	int err;
	PGresult *r = pd_txn_query(tx, RT_RULES_SELECT, 0, NULL, &err, &eb);
	if (!r)
		return err;
	rt_rules *compiled = NULL;
	pd_errbuf ceb = {{0}};
	if (rt_rules_compile_rows(r, &compiled, &ceb) == PD_OK) {
		/* Only the writer classifies, and this runs on the writer: swap. */
		rt_rules_free(j->ctx->rules);
		j->ctx->rules = compiled;
		pd_log_info("classification rules loaded", "rules=%zu keywords=%zu states=%zu", rt_rules_count(compiled),
			    rt_rules_keywords(compiled), rt_rules_states(compiled));
	} else {
		pd_log_error("classification rules refused; the previous set stays", "detail=\"%s\"", ceb.msg);
	}
	PQclear(r);
	return PD_OK;
}

static void reload_done(pd_job *job, int err, const pd_errbuf *eb)
{
	if (err != PD_OK)
		pd_log_warn("rules not reloaded", "detail=\"%s\"", eb ? eb->msg : "");
	free(job);
	atomic_store(&g_reload_in_flight, 0);
}

void rt_rules_reload(pd_bus *bus, rt_context *ctx, int seed_if_empty)
{
	/* One reload at a time; the start-up one (which seeds) always runs. */
	if (atomic_exchange(&g_reload_in_flight, 1) && !seed_if_empty)
		return;
	struct reload_job *j = pd_xcalloc(1, sizeof(*j));
	j->job.apply = reload_apply;
	j->job.done = reload_done;
	j->ctx = ctx;
	j->seed = seed_if_empty;
	pd_bus_submit(bus, &j->job);
}

/* ---- LISTEN peakdesk_rules ---------------------------------------------------- */

struct listener {
	PGconn *conn;
	struct event *ev, *retry;
	struct event_base *base;
	pd_bus *bus;
	rt_context *ctx;
	char conninfo[1024];
};

static struct listener g_l;

static void listen_connect(void);

static void on_notify(evutil_socket_t fd, short what, void *arg)
{
	if (!PQconsumeInput(g_l.conn)) {
		/* Lost: reconnect later, and reload then (we may have missed one). */
		event_free(g_l.ev);
		g_l.ev = NULL;
		PQfinish(g_l.conn);
		g_l.conn = NULL;
		struct timeval tv = {2, 0};
		event_add(g_l.retry, &tv);
		return;
	}
	PGnotify *n;
	int any = 0;
	while ((n = PQnotifies(g_l.conn)) != NULL) {
		PQfreemem(n);
		any = 1;
	}
	if (any)
		rt_rules_reload(g_l.bus, g_l.ctx, 0);
}

static void on_retry(evutil_socket_t fd, short what, void *arg)
{
	listen_connect();
}

static void listen_connect(void)
{
	g_l.conn = PQconnectdb(g_l.conninfo);
	PGresult *r = PQstatus(g_l.conn) == CONNECTION_OK ? PQexec(g_l.conn, "LISTEN peakdesk_rules") : NULL;
	if (!r || PQresultStatus(r) != PGRES_COMMAND_OK) {
		PQclear(r);
		PQfinish(g_l.conn);
		g_l.conn = NULL;
		struct timeval tv = {2, 0};
		event_add(g_l.retry, &tv);
		return;
	}
	PQclear(r);
	PQsetnonblocking(g_l.conn, 1);
	g_l.ev = event_new(g_l.base, PQsocket(g_l.conn), EV_READ | EV_PERSIST, on_notify, NULL);
	event_add(g_l.ev, NULL);
	rt_rules_reload(g_l.bus, g_l.ctx, 0); /* catch changes made while not listening */
}

void rt_rules_listen(struct event_base *base, const char *conninfo, pd_bus *bus, rt_context *ctx)
{
	g_l.base = base;
	g_l.bus = bus;
	g_l.ctx = ctx;
	snprintf(g_l.conninfo, sizeof(g_l.conninfo), "%s", conninfo);
	g_l.retry = event_new(base, -1, 0, on_retry, NULL);
	listen_connect();
}

void rt_rules_unlisten(void)
{
	if (g_l.ev)
		event_free(g_l.ev);
	if (g_l.retry)
		event_free(g_l.retry);
	if (g_l.conn)
		PQfinish(g_l.conn);
	memset(&g_l, 0, sizeof(g_l));
}
