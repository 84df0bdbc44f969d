/* Internals shared by codec.c, codec_pb.c and codec_json.c; no other module
 * includes this. */
#ifndef PD_CODEC_INTERNAL_H
#define PD_CODEC_INTERNAL_H

#include <protobuf-c/protobuf-c.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pd.h"

/* Where in a message an error is: "events[2].order.items[0].quantity".
 * Short enough that the message after it still fits in a pd_errbuf. */
struct pd_codec_path {
	char buf[160];
	size_t len;
};

/* Each push returns the old length, to hand back to pd_codec_path_pop(). */
size_t pd_codec_path_field(struct pd_codec_path *p, const char *name);
size_t pd_codec_path_index(struct pd_codec_path *p, size_t i);
void pd_codec_path_pop(struct pd_codec_path *p, size_t old);

/* pd_fail() with "path: " in front (nothing at the top level). */
int pd_codec_fail_at(pd_errbuf *eb, const struct pd_codec_path *p, int err,
		     const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Length of the longest valid UTF-8 prefix without NUL (len if all valid). */
size_t pd_codec_utf8_prefix(const unsigned char *s, size_t len);

/* Size of one element of a repeated field of type t in protobuf-c's arrays. */
size_t pd_codec_elem_size(ProtobufCType t);

/* Standard padded base64 of data, malloc'd; *outlen gets its length. */
char *pd_codec_b64_encode(const uint8_t *data, size_t len, size_t *outlen);

/* Standard or URL-safe base64, padding optional, to malloc'd bytes in *out
 * (NULL when empty). Returns the byte count, or -1 when it is not base64. */
long pd_codec_b64_decode(const char *s, size_t n, uint8_t **out);

static inline void *member(const ProtobufCMessage *m,
			   const ProtobufCFieldDescriptor *f)
{
	return (char *)m + f->offset;
}

/* The n_ count of a repeated field, the case of a oneof member, or the has_
 * flag of a proto2 optional scalar. */
static inline void *quantifier(const ProtobufCMessage *m,
			       const ProtobufCFieldDescriptor *f)
{
	return (char *)m + f->quantifier_offset;
}

static inline bool is_oneof(const ProtobufCFieldDescriptor *f)
{
	return f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF;
}

#endif
