/* libFuzzer harness for the JSON decoder: text -> IngestRequest -> protobuf
 * and -> JSON again. Whatever pd_json_to_pb accepts must pack, unpack and
 * re-encode to the same message. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus.pb-c.h"
#include "codec.h"

#define DESC (&peakdesk__v1__ingest_request__descriptor)

static void die(const char *what, const char *detail)
{
	fprintf(stderr, "json_codec_fuzz: %s: %s\n", what, detail);
	abort();
}

static void same(const ProtobufCMessage *m, const uint8_t *p, size_t l,
		 const char *what)
{
	size_t n;
	uint8_t *q = pd_pb_pack(m, &n);

	if (n != l || memcmp(p, q, l) != 0)
		die(what, "packed bytes differ");
	free(q);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ProtobufCMessage *m1, *m2, *m3;
	uint8_t *p1;
	size_t l1;
	pd_errbuf eb;
	char *json;
	int rc;

	if (pd_json_decode(DESC, (const char *)data, size, &m1, &eb))
		return 0;
	if (pd_pb_check_strings(m1, &eb))
		die("accepted message has a bad string", eb.msg);
	p1 = pd_pb_pack(m1, &l1);

	/* Many empty objects cost more heap than the protobuf budget allows
	 * for their few wire bytes: only that limit may refuse. */
	rc = pd_pb_decode(DESC, p1, l1, &m2, &eb);
	if (rc && rc != PD_ENOMEM)
		die("packed message was rejected", eb.msg);
	if (m2)
		same(m2, p1, l1, "protobuf round trip changed the message");

	json = pd_pb_to_json(m1);
	rc = pd_json_decode(DESC, json, strlen(json), &m3, &eb);
	if (rc && rc != PD_ENOMEM && rc != PD_ETOOBIG) {
		fprintf(stderr, "%s\n", json);
		die("our own JSON was rejected", eb.msg);
	}
	if (m3)
		same(m3, p1, l1, "JSON round trip changed the message");

	free(json);
	free(p1);
	pd_pb_free(m1);
	pd_pb_free(m2);
	pd_pb_free(m3);
	return 0;
}
