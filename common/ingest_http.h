/* POST /v1/ingest: the department HTTP ingest, a JSON IngestRequest (proto3
 * JSON mapping) onto the same path as the NNG socket; answers the JSON
 * IngestReply after commit (200), or a JSON error. */
#ifndef PD_INGEST_HTTP_H
#define PD_INGEST_HTTP_H

#include "http.h"
#include "ingest.h"

int pd_ingest_http_route(pd_http *http, pd_ingest *ing);

#endif
