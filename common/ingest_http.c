/* HTTP face of department ingest (see ingest_http.h). */
#include "ingest_http.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "loop.h"

struct pending_reply {
	pd_http_req *req;
	int status;
	json_object *body;
};

static void send_on_loop(void *arg)
{
	struct pending_reply *p = arg;
	pd_http_reply_json(p->req, p->status, p->body);
	free(p);
}

/* Writer thread: turn the reply into JSON here (it is borrowed) and hand the
 * sending to the loop thread, which owns evhttp. */
static void on_reply(const Peakdesk__V1__IngestReply *rep, int err, const char *detail, void *arg)
{
	struct pending_reply *p = pd_xcalloc(1, sizeof(*p));
	p->req = arg;
	if (err == PD_OK) {
		p->status = 200;
		p->body = pd_pb_to_json_obj(&rep->base);
	} else {
		p->status = err == PD_ETOOBIG ? 413 : err == PD_EDBDOWN ? 503 : 500;
		p->body = json_object_new_object();
		json_object_object_add(p->body, "error",
				       json_object_new_string(err == PD_ETOOBIG ? "too_large"
							      : err == PD_EDBDOWN ? "database_unavailable"
										: "internal"));
		json_object_object_add(p->body, "detail", json_object_new_string(detail ? detail : ""));
	}
	pd_loop_call(send_on_loop, p);
}

static void handle_ingest(pd_http_req *req, void *arg)
{
	pd_ingest *ing = arg;
	const char *ct = pd_http_header(req, "Content-Type");
	if (ct && strncmp(ct, "application/json", 16) != 0) {
		pd_http_error(req, 415, "unsupported_media_type", "send application/json (an IngestRequest)");
		return;
	}
	size_t len;
	const char *body = pd_http_body(req, &len);
	pd_errbuf eb = {{0}};
	ProtobufCMessage *m = pd_json_to_pb(&peakdesk__v1__ingest_request__descriptor, body, len, &eb);
	if (!m) {
		/* Wrong types, unknown fields or enum names are the sender's
		 * mistake in an otherwise readable body: 422; unreadable: 400. */
		int st = eb.code == PD_ETOOBIG ? 413 : eb.code == PD_EDECODE ? 400 : 422;
		pd_http_error(req, st, st == 400 ? "malformed" : st == 413 ? "too_large" : "invalid_field", eb.msg);
		return;
	}
	pd_ingest_submit(ing, (Peakdesk__V1__IngestRequest *)m, on_reply, req);
}

int pd_ingest_http_route(pd_http *http, pd_ingest *ing)
{
	return pd_http_route(http, "POST", "/v1/ingest", handle_ingest, ing);
}
