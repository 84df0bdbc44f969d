/* The agent API: agents (Authorization: Bearer <token>, checked against the
 * SHA-256 in router.agents) read their queue and tickets, and reply, note,
 * transfer, resolve and set their presence. Commands become agent.command
 * events for the router; the API answers 202 once the command is committed
 * (an Idempotency-Key header makes a retried call a duplicate). */
#include <json-c/json.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "gateway.h"
#include "http_job.h"
#include "ids.h"

enum action { ACT_QUEUE, ACT_TICKET, ACT_REPLY, ACT_NOTE, ACT_TRANSFER, ACT_RESOLVE, ACT_PRESENCE, ACT_WORKFLOW };
static const char *action_names[] = {"queue", "ticket", "reply", "note", "transfer", "resolve", "presence", "workflow"};

struct agent_job {
	pd_http_job hj;
	enum action act;
	char token_hash[65];
	char public_id[64];
	char command_id[128];
	ProtobufCMessage *body; /* AgentReply / AgentTransfer / AgentResolve */
	int presence;
};

static json_object *err_json(const char *error, const char *detail)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "error", json_object_new_string(error));
	json_object_object_add(o, "detail", json_object_new_string(detail));
	return o;
}

static void sha256_hex(const char *s, char out[65])
{
	unsigned char md[32];
	unsigned int n;
	EVP_Digest(s, strlen(s), md, &n, EVP_sha256(), NULL);
	for (int i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static json_object *rows_to_json(PGresult *r)
{
	json_object *arr = json_object_new_array();
	for (int i = 0; i < PQntuples(r); i++) {
		json_object *o = json_object_new_object();
		for (int c = 0; c < PQnfields(r); c++)
			json_object_object_add(o, PQfname(r, c),
					       PQgetisnull(r, i, c) ? NULL : json_object_new_string(PQgetvalue(r, i, c)));
		json_object_array_add(arr, o);
	}
	return arr;
}

static int emit_command(pd_txn *tx, struct agent_job *j, const char *agent_id, pd_errbuf *eb)
{
	int err;
	const char *v[4] = {j->command_id, agent_id, j->public_id, action_names[j->act]};
	PGresult *r = pd_txn_query(tx, "INSERT INTO gateway.agent_commands(command_id, agent_id, ticket_public_id, action) "
			"VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING 1", 4, v, &err, eb);
	if (!r)
		return err;
	int fresh = PQntuples(r) == 1;
	PQclear(r);
	json_object *o = json_object_new_object();
	json_object_object_add(o, "commandId", json_object_new_string(j->command_id));
	json_object_object_add(o, "status", json_object_new_string(fresh ? "accepted" : "duplicate"));
	pd_http_job_reply_json(&j->hj, fresh ? 202 : 200, o);
	if (!fresh)
		return PD_OK;
	Peakdesk__V1__AgentCommand cmd = PEAKDESK__V1__AGENT_COMMAND__INIT;
	Peakdesk__V1__AgentPresence pres = PEAKDESK__V1__AGENT_PRESENCE__INIT;
	cmd.command_id = j->command_id;
	cmd.agent_id = (char *)agent_id;
	cmd.ticket_public_id = j->public_id;
	switch (j->act) {
	case ACT_REPLY:
	case ACT_NOTE:
		cmd.action_case = PEAKDESK__V1__AGENT_COMMAND__ACTION_REPLY;
		cmd.reply = (Peakdesk__V1__AgentReply *)j->body;
		cmd.reply->internal_note = j->act == ACT_NOTE;
		break;
	case ACT_TRANSFER:
		cmd.action_case = PEAKDESK__V1__AGENT_COMMAND__ACTION_TRANSFER;
		cmd.transfer = (Peakdesk__V1__AgentTransfer *)j->body;
		break;
	case ACT_RESOLVE:
		cmd.action_case = PEAKDESK__V1__AGENT_COMMAND__ACTION_RESOLVE;
		cmd.resolve = (Peakdesk__V1__AgentResolve *)j->body;
		break;
	case ACT_WORKFLOW:
		cmd.action_case = PEAKDESK__V1__AGENT_COMMAND__ACTION_WORKFLOW_STEP;
		cmd.workflow_step = (Peakdesk__V1__AgentWorkflowStep *)j->body;
		break;
	default:
		cmd.action_case = PEAKDESK__V1__AGENT_COMMAND__ACTION_PRESENCE;
		pres.presence = j->presence;
		cmd.presence = &pres;
	}
	Peakdesk__V1__Envelope env = PEAKDESK__V1__ENVELOPE__INIT;
	env.topic = "agent.command";
	env.body_case = PEAKDESK__V1__ENVELOPE__BODY_AGENT_COMMAND;
	env.agent_command = &cmd;
	return pd_txn_emit(tx, &env, eb);
}

static int agent_apply(pd_txn *tx, pd_http_job *hj)
{
	struct agent_job *j = (struct agent_job *)hj;
	pd_errbuf eb = {{0}};
	int err;
	PGresult *a = pd_txn_query(tx, "SELECT agent_id, array_to_string(groups, ','), tier FROM router.agents WHERE token_sha256 = $1",
			1, (const char *[]){j->token_hash}, &err, &eb);
	if (!a)
		return err;
	if (PQntuples(a) != 1) {
		PQclear(a);
		pd_http_job_reply_json(hj, 401, err_json("unauthorized", "unknown or revoked agent token"));
		return PD_OK;
	}
	char agent[80], groups[600], glist[600];
	snprintf(agent, sizeof(agent), "%s", PQgetvalue(a, 0, 0));
	snprintf(groups, sizeof(groups), "{%.590s}", PQgetvalue(a, 0, 1));
	snprintf(glist, sizeof(glist), ",%.590s,", PQgetvalue(a, 0, 1)); /* ",order,after-sale," */
	/* Leads and supervisors act on any ticket; frontline agents on theirs
	 * and on unassigned ones waiting in their groups. */
	int senior = strcmp(PQgetvalue(a, 0, 2), "frontline") != 0;
	PQclear(a);
	int rc = PD_OK;
	if (j->act == ACT_QUEUE) {
		PGresult *r = pd_txn_query(tx, "SELECT public_id AS \"publicId\", status, category, priority::text, group_name AS \"group\", "
				"agent_id AS \"agentId\", subject, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS \"createdAt\" "
				"FROM router.tickets WHERE status NOT IN ('resolved', 'closed') "
				"AND (agent_id = $1 OR (agent_id = '' AND (group_name = ANY ($2::text[]) OR group_name = ''))) "
				"ORDER BY priority DESC, created_at LIMIT 200",
				2, (const char *[]){agent, groups}, &err, &eb);
		if (!r)
			return err;
		json_object *o = json_object_new_object();
		json_object_object_add(o, "agentId", json_object_new_string(agent));
		json_object_object_add(o, "tickets", rows_to_json(r));
		PQclear(r);
		/* the agent's open commitments, soonest first */
		r = pd_txn_query(tx, "SELECT t.public_id AS \"publicId\", f.note, "
				"to_char(f.due_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS \"dueAt\", "
				"(f.alerted_at IS NOT NULL)::text AS \"reminded\" "
				"FROM router.follow_ups f JOIN router.tickets t USING (ticket_id) "
				"WHERE f.agent_id = $1 AND f.done_at IS NULL ORDER BY f.due_at LIMIT 100",
				1, (const char *[]){agent}, &err, &eb);
		if (!r) {
			json_object_put(o);
			return err;
		}
		json_object_object_add(o, "followUps", rows_to_json(r));
		PQclear(r);
		/* department tasks waiting on the agent's groups */
		r = pd_txn_query(tx, "SELECT t.public_id AS \"publicId\", k.kind AS workflow, k.step, k.group_name AS \"group\", "
				"to_char(k.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS \"createdAt\" "
				"FROM router.workflow_tasks k JOIN router.tickets t USING (ticket_id) "
				"WHERE k.done_at IS NULL AND k.group_name = ANY($1::text[]) ORDER BY k.created_at LIMIT 200",
				1, (const char *[]){groups}, &err, &eb);
		if (!r) {
			json_object_put(o);
			return err;
		}
		json_object_object_add(o, "tasks", rows_to_json(r));
		PQclear(r);
		pd_http_job_reply_json(hj, 200, o);
		return PD_OK;
	}
	if (j->act != ACT_PRESENCE) {
		PGresult *t = pd_txn_query(tx, "SELECT ticket_id, public_id AS \"publicId\", status, category, priority::text, group_name AS \"group\", "
				"agent_id AS \"agentId\", channel, subject, risk_score::text AS \"riskScore\" "
				"FROM router.tickets WHERE public_id = $1",
				1, (const char *[]){j->public_id}, &err, &eb);
		if (!t)
			return err;
		if (PQntuples(t) != 1) {
			PQclear(t);
			pd_http_job_reply_json(hj, 404, err_json("not_found", "no ticket with this id"));
			return PD_OK;
		}
		const char *owner = PQgetvalue(t, 0, 6), *tgroup = PQgetvalue(t, 0, 5);
		char needle[80];
		snprintf(needle, sizeof(needle), ",%.70s,", tgroup);
		int mine = strcmp(owner, agent) == 0 || (!*owner && (!*tgroup || strstr(glist, needle)));
		if (!senior && !mine && (j->act == ACT_TICKET || j->act == ACT_NOTE || j->act == ACT_WORKFLOW)) {
			/* a department agent sees and moves the ticket while their
			 * group has an open task on it */
			PGresult *k = pd_txn_query(tx, "SELECT 1 FROM router.workflow_tasks WHERE ticket_id = $1 "
					"AND done_at IS NULL AND group_name = ANY($2::text[])",
					2, (const char *[]){PQgetvalue(t, 0, 0), groups}, &err, &eb);
			if (!k) {
				PQclear(t);
				return err;
			}
			mine = PQntuples(k) > 0;
			PQclear(k);
		}
		if (!senior && !mine) {
			PQclear(t);
			pd_http_job_reply_json(hj, 403, err_json("forbidden",
								 "this ticket belongs to another agent or group; ask a lead"));
			return PD_OK;
		}
		if (j->act == ACT_TICKET) {
			json_object *rows = rows_to_json(t);
			json_object *o = json_object_get(json_object_array_get_idx(rows, 0));
			json_object_put(rows);
			char tid[40];
			snprintf(tid, sizeof(tid), "%s", PQgetvalue(t, 0, 0));
			json_object_object_del(o, "ticket_id");
			PQclear(t);
			PGresult *m = pd_txn_query(tx, "SELECT direction, text, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS at "
					"FROM router.ticket_messages WHERE ticket_id = $1 ORDER BY at",
					1, (const char *[]){tid}, &err, &eb);
			if (!m) {
				json_object_put(o);
				return err;
			}
			json_object_object_add(o, "messages", rows_to_json(m));
			PQclear(m);
			PGresult *e = pd_txn_query(tx, "SELECT kind, actor, label, customer_visible::text AS \"customerVisible\", "
					"to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS at "
					"FROM router.ticket_events WHERE ticket_id = $1 ORDER BY event_no",
					1, (const char *[]){tid}, &err, &eb);
			if (!e) {
				json_object_put(o);
				return err;
			}
			json_object_object_add(o, "timeline", rows_to_json(e));
			PQclear(e);
			/* What reached the customer: agents see failed and dead deliveries. */
			PGresult *d = pd_txn_query(tx,
						   "SELECT outbound_id AS \"outboundId\", status, attempts::text, last_error AS \"lastError\", "
						   "CASE reason WHEN 1 THEN 'agent_reply' WHEN 2 THEN 'auto_reply' WHEN 3 THEN 'proactive_notice' "
						   "WHEN 4 THEN 'survey' ELSE 'other' END AS reason "
						   "FROM gateway.outbound_messages WHERE ticket_public_id = $1 ORDER BY created_at",
						   1, (const char *[]){j->public_id}, &err, &eb);
			if (!d) {
				json_object_put(o);
				return err;
			}
			json_object_object_add(o, "deliveries", rows_to_json(d));
			PQclear(d);
			pd_http_job_reply_json(hj, 200, o);
			return PD_OK;
		}
		PQclear(t);
	}
	rc = emit_command(tx, j, agent, &eb);
	return rc;
}

static void release(pd_http_job *hj)
{
	struct agent_job *j = (struct agent_job *)hj;
	if (j->body)
		pd_pb_free(j->body);
	free(j);
}

/* /v1/tickets/{id}[/action] -> id and action; 0 on success. */
static int parse_ticket_path(const char *path, char id[64], char action[16])
{
	const char *p = path + strlen("/v1/tickets/");
	const char *slash = strchr(p, '/');
	size_t n = slash ? (size_t)(slash - p) : strlen(p);
	if (n != 22 || strspn(p, "abcdefghijkmnpqrstuvwxyz23456789") < 22)
		return -1;
	snprintf(id, 64, "%.*s", (int)n, p);
	snprintf(action, 16, "%s", slash ? slash + 1 : "");
	return 0;
}

static void handle(pd_http_req *req, void *arg)
{
	const char *auth = pd_http_header(req, "Authorization");
	if (!auth || strncmp(auth, "Bearer ", 7) != 0 || strlen(auth + 7) < 16 || strlen(auth + 7) > 200) {
		pd_http_error(req, 401, "unauthorized", "send Authorization: Bearer <agent token>");
		return;
	}
	struct agent_job *j = pd_xcalloc(1, sizeof(*j));
	sha256_hex(auth + 7, j->token_hash);
	const char *path = pd_http_path(req), *method = pd_http_method(req);
	char action[16] = "";
	const ProtobufCMessageDescriptor *desc = NULL;
	if (strcmp(path, "/v1/agent/queue") == 0 && strcmp(method, "GET") == 0) {
		j->act = ACT_QUEUE;
	} else if (strcmp(path, "/v1/agent/presence") == 0 && strcmp(method, "PUT") == 0) {
		j->act = ACT_PRESENCE;
	} else if (strncmp(path, "/v1/tickets/", 12) == 0 && parse_ticket_path(path, j->public_id, action) == 0) {
		if (!*action && strcmp(method, "GET") == 0) j->act = ACT_TICKET;
		else if (strcmp(method, "POST") != 0) j->act = -1;
		else if (strcmp(action, "reply") == 0) j->act = ACT_REPLY, desc = &peakdesk__v1__agent_reply__descriptor;
		else if (strcmp(action, "note") == 0) j->act = ACT_NOTE, desc = &peakdesk__v1__agent_reply__descriptor;
		else if (strcmp(action, "transfer") == 0) j->act = ACT_TRANSFER, desc = &peakdesk__v1__agent_transfer__descriptor;
		else if (strcmp(action, "resolve") == 0) j->act = ACT_RESOLVE, desc = &peakdesk__v1__agent_resolve__descriptor;
		else if (strcmp(action, "workflow") == 0) j->act = ACT_WORKFLOW, desc = &peakdesk__v1__agent_workflow_step__descriptor;
		else j->act = -1;
	} else {
		j->act = -1;
	}
	if ((int)j->act < 0) {
		free(j);
		pd_http_error(req, 404, "not_found", "agent API: GET /v1/agent/queue, PUT /v1/agent/presence, "
						     "GET /v1/tickets/{id}, POST /v1/tickets/{id}/reply|note|transfer|resolve|workflow");
		return;
	}
	size_t len;
	const char *body = pd_http_body(req, &len);
	pd_errbuf eb = {{0}};
	if (desc) {
		int rc = pd_json_decode(desc, len ? body : "{}", len ? len : 2, &j->body, &eb);
		if (rc != PD_OK) {
			free(j);
			int st = rc == PD_ETOOBIG ? 413 : rc == PD_EDECODE ? 400 : 422;
			pd_http_error(req, st, st == 400 ? "malformed" : st == 413 ? "too_large" : "invalid_field", eb.msg);
			return;
		}
		const char *bad = NULL;
		if (j->act == ACT_REPLY || j->act == ACT_NOTE) {
			const Peakdesk__V1__AgentReply *r = (const Peakdesk__V1__AgentReply *)j->body;
			if (!*r->text || strlen(r->text) > GW_MAX_TEXT)
				bad = "text is required (at most 64 KiB)";
			else if (r->follow_up_at_ms &&
				 (r->follow_up_at_ms <= pd_now_ms() || r->follow_up_at_ms > pd_now_ms() + 30LL * 86400000))
				bad = "followUpAtMs must be a time in the next 30 days (unix ms)";
			else if (strlen(r->follow_up_note) > 500)
				bad = "followUpNote is longer than 500 bytes";
		} else if (j->act == ACT_WORKFLOW) {
			const Peakdesk__V1__AgentWorkflowStep *w = (const Peakdesk__V1__AgentWorkflowStep *)j->body;
			if (strcmp(w->workflow, "return") && strcmp(w->workflow, "exchange") && strcmp(w->workflow, "reship"))
				bad = "workflow must be return, exchange or reship";
			else if (!*w->step || strlen(w->step) > 40)
				bad = "step is required (e.g. requested, approved, warehouse_inspected, closed, rejected)";
			else if (strlen(w->note) > 2000 || strlen(w->reference) > 128)
				bad = "note (2000 bytes) or reference (128 bytes) too long";
		} else if (j->act == ACT_TRANSFER) {
			const Peakdesk__V1__AgentTransfer *t = (const Peakdesk__V1__AgentTransfer *)j->body;
			if (!*t->group && !*t->department)
				bad = "group or department is required";
		}
		if (bad) {
			pd_pb_free(j->body);
			free(j);
			pd_http_error(req, 422, "invalid_field", bad);
			return;
		}
	}
	if (j->act == ACT_PRESENCE) {
		json_object *o = json_tokener_parse(body);
		json_object *p;
		const char *v = o && json_object_object_get_ex(o, "presence", &p) ? json_object_get_string(p) : "";
		j->presence = strcmp(v, "online") == 0 ? PEAKDESK__V1__PRESENCE__PRESENCE_ONLINE
			      : strcmp(v, "away") == 0 ? PEAKDESK__V1__PRESENCE__PRESENCE_AWAY
			      : strcmp(v, "offline") == 0 ? PEAKDESK__V1__PRESENCE__PRESENCE_OFFLINE : 0;
		if (o)
			json_object_put(o);
		if (!j->presence) {
			free(j);
			pd_http_error(req, 422, "invalid_field", "presence must be online, away or offline");
			return;
		}
	}
	const char *key = pd_http_header(req, "Idempotency-Key");
	if (key && *key && strlen(key) < 100)
		snprintf(j->command_id, sizeof(j->command_id), "%s", key);
	else
		pd_uuid_new_text(j->command_id);
	j->hj.req = req;
	j->hj.apply = agent_apply;
	j->hj.release = release;
	pd_http_job_submit((pd_bus *)arg, &j->hj);
}

int gw_agent_route(pd_http *http, pd_bus *bus)
{
	int rc = pd_http_route(http, "GET", "/v1/agent/queue", handle, bus);
	rc = rc ? rc : pd_http_route(http, "PUT", "/v1/agent/presence", handle, bus);
	rc = rc ? rc : pd_http_route(http, "GET", "/v1/tickets/", handle, bus);
	rc = rc ? rc : pd_http_route(http, "POST", "/v1/tickets/", handle, bus);
	return rc;
}
