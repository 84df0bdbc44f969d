/* GET /v1/track/{public_id}: a customer follows their ticket. JSON by
 * default; Accept: text/html gets a small page that works on a phone. Only
 * customer-visible steps are shown, and the unguessable public id is the
 * only key (no internal ids, no agent names, no other customer data). */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway.h"
#include "http_job.h"

#define PREFIX "/v1/track/"

struct track_job {
	pd_http_job hj;
	char public_id[64];
	int html;
};

static const char *status_label(const char *s)
{
	if (strcmp(s, "open") == 0) return "处理中 / In progress";
	if (strcmp(s, "pending_customer") == 0) return "等待您的回复 / Waiting for your reply";
	if (strcmp(s, "pending_department") == 0) return "相关部门处理中 / With our team";
	if (strcmp(s, "resolved") == 0) return "已解决 / Resolved";
	if (strcmp(s, "closed") == 0) return "已关闭 / Closed";
	return s;
}

static int track_apply(pd_txn *tx, pd_http_job *hj)
{
	struct track_job *j = (struct track_job *)hj;
	pd_errbuf eb = {{0}};
	int err;
	PGresult *t = pd_db_query(pd_txn_db(tx), "gw_track_ticket",
				  "SELECT status, category, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "
				  "ticket_id FROM router.tickets WHERE public_id = $1",
				  1, (const char *[]){j->public_id}, &err, &eb);
	if (!t)
		return err;
	if (PQntuples(t) != 1) {
		PQclear(t);
		json_object *o = json_object_new_object();
		json_object_object_add(o, "error", json_object_new_string("not_found"));
		json_object_object_add(o, "detail", json_object_new_string("no ticket with this id"));
		pd_http_job_reply_json(hj, 404, o);
		return PD_OK;
	}
	PGresult *e = pd_db_query(pd_txn_db(tx), "gw_track_events",
				  "SELECT to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), label, kind "
				  "FROM router.ticket_events WHERE ticket_id = $1 AND customer_visible ORDER BY event_no",
				  1, (const char *[]){PQgetvalue(t, 0, 3)}, &err, &eb);
	if (!e) {
		PQclear(t);
		return err;
	}
	if (j->html) {
		pd_strbuf b = {0};
		pd_sb_addf(&b, "<!doctype html><html lang=\"zh\"><head><meta charset=\"utf-8\">"
			       "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
			       "<title>工单进度 / Your request</title><style>"
			       "body{font-family:system-ui,sans-serif;margin:0;padding:16px;background:#f6f7f9;color:#222}"
			       "h1{font-size:1.2em}.status{display:inline-block;padding:4px 10px;border-radius:12px;"
			       "background:#e8f0fe;color:#1a56db}ol{list-style:none;padding:0}"
			       "li{background:#fff;margin:8px 0;padding:10px 12px;border-radius:8px;border-left:4px solid #1a56db}"
			       "time{display:block;color:#777;font-size:.85em}</style></head><body>");
		pd_sb_addf(&b, "<h1>工单进度 / Your request</h1><p class=\"status\" id=\"status\">");
		pd_sb_add_html(&b, status_label(PQgetvalue(t, 0, 0)));
		pd_sb_addf(&b, "</p><ol id=\"timeline\">");
		for (int i = 0; i < PQntuples(e); i++) {
			pd_sb_addf(&b, "<li><time>");
			pd_sb_add_html(&b, PQgetvalue(e, i, 0));
			pd_sb_addf(&b, "</time>");
			pd_sb_add_html(&b, PQgetvalue(e, i, 1));
			pd_sb_addf(&b, "</li>");
		}
		pd_sb_addf(&b, "</ol></body></html>");
		pd_http_job_reply_text(hj, 200, "text/html; charset=utf-8", b.s);
		pd_sb_free(&b);
	} else {
		json_object *o = json_object_new_object();
		json_object_object_add(o, "publicId", json_object_new_string(j->public_id));
		json_object_object_add(o, "status", json_object_new_string(PQgetvalue(t, 0, 0)));
		json_object_object_add(o, "statusLabel", json_object_new_string(status_label(PQgetvalue(t, 0, 0))));
		json_object_object_add(o, "category", json_object_new_string(PQgetvalue(t, 0, 1)));
		json_object_object_add(o, "createdAt", json_object_new_string(PQgetvalue(t, 0, 2)));
		json_object *tl = json_object_new_array();
		for (int i = 0; i < PQntuples(e); i++) {
			json_object *s = json_object_new_object();
			json_object_object_add(s, "at", json_object_new_string(PQgetvalue(e, i, 0)));
			json_object_object_add(s, "label", json_object_new_string(PQgetvalue(e, i, 1)));
			json_object_object_add(s, "kind", json_object_new_string(PQgetvalue(e, i, 2)));
			json_object_array_add(tl, s);
		}
		json_object_object_add(o, "timeline", tl);
		pd_http_job_reply_json(hj, 200, o);
	}
	PQclear(e);
	PQclear(t);
	return PD_OK;
}

static void release(pd_http_job *hj)
{
	free(hj);
}

static void handle(pd_http_req *req, void *arg)
{
	const char *id = pd_http_path(req) + strlen(PREFIX);
	size_t n = strlen(id);
	/* Public ids are 22 characters of a fixed alphabet: anything else is
	 * not a ticket, and the database need not be asked. */
	if (n != 22 || strspn(id, "abcdefghijkmnpqrstuvwxyz23456789") != n) {
		pd_http_error(req, 404, "not_found", "no ticket with this id");
		return;
	}
	struct track_job *j = pd_xcalloc(1, sizeof(*j));
	snprintf(j->public_id, sizeof(j->public_id), "%s", id);
	const char *accept = pd_http_header(req, "Accept");
	j->html = accept && strstr(accept, "text/html") != NULL;
	j->hj.req = req;
	j->hj.apply = track_apply;
	j->hj.release = release;
	pd_http_job_submit((pd_bus *)arg, &j->hj);
}

int gw_track_route(pd_http *http, pd_bus *bus)
{
	return pd_http_route(http, "GET", PREFIX, handle, bus);
}
