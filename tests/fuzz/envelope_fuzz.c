/* libFuzzer harness for the protobuf decoder: bytes -> IngestRequest (with
 * the size, budget and string checks) -> JSON -> IngestRequest. Anything
 * pd_pb_unpack accepts must survive the JSON trip with identical packed bytes,
 * and what we pack must decode again. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus.pb-c.h"
#include "codec.h"

#define DESC (&peakdesk__v1__ingest_request__descriptor)

static void die(const char *what, const char *detail)
{
	fprintf(stderr, "envelope_fuzz: %s: %s\n", what, detail);
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ProtobufCMessage *m1, *m2, *m3;
	uint8_t *p1, *p2;
	size_t l1, l2;
	pd_errbuf eb;
	char *json;
	int rc;

	if (pd_pb_decode(DESC, data, size, &m1, &eb))
		return 0;
	if (pd_pb_check_strings(m1, &eb))
		die("accepted message has a bad string", eb.msg);

	json = pd_pb_to_json(m1);
	if (!json)
		die("no JSON", "");
	rc = pd_json_decode(DESC, json, strlen(json), &m2, &eb);
	/* JSON is bigger and json-c's tree heavier than protobuf, so those two
	 * limits may refuse what protobuf took; nothing else may fail. */
	if (rc == PD_ETOOBIG || rc == PD_ENOMEM) {
		free(json);
		pd_pb_free(m1);
		return 0;
	}
	if (rc) {
		fprintf(stderr, "%s\n", json);
		die("our own JSON was rejected", eb.msg);
	}

	/* Unknown fields and NaN payloads have no JSON form. */
	pd_pb_canonicalize(m1);
	p1 = pd_pb_pack(m1, &l1);
	p2 = pd_pb_pack(m2, &l2);
	if (l1 != l2 || memcmp(p1, p2, l1) != 0) {
		fprintf(stderr, "%s\n", json);
		die("JSON round trip changed the message", "packed bytes differ");
	}

	/* The budget follows the input size, and unknown fields may have made
	 * the input larger than the re-pack: only that limit may refuse. */
	rc = pd_pb_decode(DESC, p2, l2, &m3, &eb);
	if (rc && rc != PD_ENOMEM)
		die("our own packing was rejected", eb.msg);
	pd_pb_free(m3);

	free(p1);
	free(p2);
	free(json);
	pd_pb_free(m1);
	pd_pb_free(m2);
	return 0;
}
