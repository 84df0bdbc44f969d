/* Decoding and encoding of peakdesk messages: protobuf with hard limits, and
 * the proto3 JSON mapping driven by protobuf-c descriptors (json-c underneath),
 * so no message ever needs hand-written JSON code.
 *
 * Why limits: protobuf-c 1.4.1 has none (1 MiB of input can take 60 MiB of
 * heap), so every unpack goes through a byte-budgeted allocator, and every
 * string is checked to be valid UTF-8 without embedded NUL. */
#ifndef PD_CODEC_H
#define PD_CODEC_H

#include <protobuf-c/protobuf-c.h>
#include <stddef.h>
#include <stdint.h>

#include "pd.h"

struct json_object;

/* Largest protobuf or JSON input any decoder accepts. */
#define PD_MAX_MSG_BYTES (4u << 20)
/* Heap a single decode may use, as a multiple of the input size (plus a floor). */
#define PD_DECODE_BUDGET_FACTOR 16u
#define PD_DECODE_BUDGET_FLOOR (64u << 10)
/* Deepest JSON nesting accepted (the schema itself is at most ~6 deep). */
#define PD_JSON_MAX_DEPTH 32

/* Unpacks a protobuf message. Returns NULL and fills eb on: input over
 * PD_MAX_MSG_BYTES, malformed wire data, heap over budget, strings that are not
 * valid UTF-8 or contain NUL. Caller frees with pd_pb_free(). */
ProtobufCMessage *pd_pb_unpack(const ProtobufCMessageDescriptor *desc,
			       const uint8_t *buf, size_t len, pd_errbuf *eb);

/* Same, returning the enum pd_err code so callers can map it to a status
 * (PD_ETOOBIG 413, PD_EDECODE 400, PD_EINVAL 422, PD_ENOMEM); *out gets the
 * message on success and NULL otherwise. */
int pd_pb_decode(const ProtobufCMessageDescriptor *desc, const uint8_t *buf,
		 size_t len, ProtobufCMessage **out, pd_errbuf *eb);

/* Frees a message from pd_pb_unpack or pd_json_to_pb (NULL is fine). */
void pd_pb_free(ProtobufCMessage *msg);

/* Checks every string field of the tree: valid UTF-8, no NUL. 0 or PD_EINVAL.
 * (A NUL inside a string is invisible once protobuf-c has cut the string
 * there, so pd_pb_unpack checks the raw wire bytes instead.) */
int pd_pb_check_strings(const ProtobufCMessage *msg, pd_errbuf *eb);

/* Drops unknown fields (from a newer schema) throughout the tree and makes
 * every NaN the one quiet NaN. Afterwards pd_pb_pack(msg) equals the packing
 * of what msg's JSON form decodes to: for byte-exact comparisons and tests. */
void pd_pb_canonicalize(ProtobufCMessage *msg);

/* Packs into a malloc'd buffer; *len gets its size. Caller frees. */
uint8_t *pd_pb_pack(const ProtobufCMessage *msg, size_t *len);

/* Parses JSON text (proto3 JSON mapping: lowerCamelCase or original field
 * names, enums by name or number, 64-bit ints as strings or numbers, bytes
 * as base64, oneofs as their member field) into a new message.
 * Rejects unknown fields, wrong types, unknown enum names, out-of-range
 * numbers, invalid UTF-8, nesting deeper than PD_JSON_MAX_DEPTH, input over
 * PD_MAX_MSG_BYTES. Returns NULL and fills eb (which names the field path,
 * e.g. "events[2].order.items[0].quantity: expected integer"). Caller frees
 * with pd_pb_free(). */
/* Also rejects JSON whose json-c parse tree would be far larger than the
 * text (~800 bytes per object: a run of "{}," would take 260x its size). */
ProtobufCMessage *pd_json_to_pb(const ProtobufCMessageDescriptor *desc,
				const char *json, size_t len, pd_errbuf *eb);

/* Same, returning the enum pd_err code: PD_ETOOBIG (over the size limit),
 * PD_EDECODE (not JSON, not UTF-8, too deep), PD_EINVAL (valid JSON that does
 * not fit the message: unknown field, wrong type, ...), PD_ENOMEM. */
int pd_json_decode(const ProtobufCMessageDescriptor *desc, const char *json,
		   size_t len, ProtobufCMessage **out, pd_errbuf *eb);

/* Same from an already parsed json-c object (borrowed). */
ProtobufCMessage *pd_json_obj_to_pb(const ProtobufCMessageDescriptor *desc,
				    struct json_object *obj, pd_errbuf *eb);

/* Encodes a message as proto3 JSON (lowerCamelCase names, enums by name,
 * 64-bit integers as strings, bytes as base64 except 16-byte fields named
 * *_id which print as UUID text, default values omitted).
 * Returns a new json-c object; caller json_object_put()s it. */
struct json_object *pd_pb_to_json_obj(const ProtobufCMessage *msg);

/* Same as text; caller frees with free(). */
char *pd_pb_to_json(const ProtobufCMessage *msg);

/* 1 when buf[0..len) is valid UTF-8 with no NUL byte (no overlongs, no
 * surrogates, nothing above U+10FFFF). */
int pd_utf8_valid(const char *buf, size_t len);

#endif
