/* Protobuf side of the codecs (codec.h). protobuf-c 1.4.1 has no limits, so
 * input reaches it only through two guards. First a small wire walker checks
 * the framing and every string field's raw bytes (protobuf-c keeps only a
 * char *, so an embedded NUL would vanish silently); then protobuf-c unpacks
 * through an allocator with a byte budget (1 MiB of tiny submessages would
 * otherwise take ~60 MiB of heap). */
#include "codec.h"
#include "codec_internal.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Deepest protobuf nesting the wire walker follows. The schema has no
 * recursive types, so this only matters for a future schema mistake. */
#define PB_MAX_DEPTH 32

/* ---- protobuf: wire walker --------------------------------------------- */

static int wire_varint(const uint8_t *buf, size_t len, size_t *pos,
		       uint64_t *out)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < 10 && *pos < len; i++) {
		uint8_t b = buf[(*pos)++];
		v |= (uint64_t)(b & 0x7F) << (7 * i);
		if (!(b & 0x80)) {
			*out = v;
			return 0;
		}
	}
	return -1;
}

/* Walks the wire bytes of one message of type d. Checks the raw bytes of
 * every string field (UTF-8, no NUL) and that the framing is sound; leaves
 * everything else (wire type vs declared type, ...) to protobuf-c. */
static int wire_check(const ProtobufCMessageDescriptor *d, const uint8_t *buf,
		      size_t len, unsigned depth, struct pd_codec_path *p,
		      pd_errbuf *eb)
{
	uint32_t counts[64] = { 0 }; /* occurrences, for repeated indices */
	size_t pos = 0;

	if (depth > PB_MAX_DEPTH)
		return pd_codec_fail_at(eb, p, PD_EDECODE,
					"protobuf nested deeper than %d", PB_MAX_DEPTH);
	while (pos < len) {
		uint64_t key, l;
		const ProtobufCFieldDescriptor *f;

		if (wire_varint(buf, len, &pos, &key) < 0)
			return pd_codec_fail_at(eb, p, PD_EDECODE,
						"truncated protobuf (field tag)");
		if ((key >> 3) == 0 || (key >> 3) > 0x1FFFFFFF)
			return pd_codec_fail_at(eb, p, PD_EDECODE,
						"invalid protobuf field number");
		switch (key & 7) {
		case 0:
			if (wire_varint(buf, len, &pos, &l) < 0)
				return pd_codec_fail_at(eb, p, PD_EDECODE,
							"truncated protobuf (varint)");
			continue;
		case 1:
		case 5:
			l = (key & 7) == 1 ? 8 : 4;
			if (l > len - pos)
				return pd_codec_fail_at(eb, p, PD_EDECODE,
							"truncated protobuf (fixed)");
			pos += l;
			continue;
		case 2:
			break;
		default:
			return pd_codec_fail_at(eb, p, PD_EDECODE,
						"unsupported protobuf wire type %u",
						(unsigned)(key & 7));
		}
		if (wire_varint(buf, len, &pos, &l) < 0 || l > len - pos)
			return pd_codec_fail_at(eb, p, PD_EDECODE,
						"truncated protobuf (length-delimited)");
		f = protobuf_c_message_descriptor_get_field(d, (unsigned)(key >> 3));
		if (f && (f->type == PROTOBUF_C_TYPE_STRING ||
			  f->type == PROTOBUF_C_TYPE_MESSAGE)) {
			size_t old = pd_codec_path_field(p, f->name), idx = f - d->fields;
			int rc = 0;

			if (f->label == PROTOBUF_C_LABEL_REPEATED &&
			    idx < PD_ARRAY_LEN(counts))
				pd_codec_path_index(p, counts[idx]++);
			if (f->type == PROTOBUF_C_TYPE_MESSAGE)
				rc = wire_check(f->descriptor, buf + pos, l,
						depth + 1, p, eb);
			else if (!pd_utf8_valid((const char *)buf + pos, l))
				rc = pd_codec_fail_at(eb, p, PD_EINVAL, "%s",
						      memchr(buf + pos, 0, l) ?
							"string contains a NUL byte" :
							"string is not valid UTF-8");
			pd_codec_path_pop(p, old);
			if (rc)
				return rc;
		}
		pos += l;
	}
	return 0;
}

/* ---- protobuf: budgeted unpack ----------------------------------------- */

struct budget {
	size_t left;
	bool exceeded;
};

/* Counts requested bytes and credits nothing back on free: the total bounds
 * what one decode holds at once (its scratch space included). */
static void *budget_alloc(void *data, size_t size)
{
	struct budget *b = data;

	if (size > b->left) {
		b->exceeded = true;
		return NULL;
	}
	b->left -= size;
	return malloc(size ? size : 1);
}

static void budget_free(void *data, void *ptr)
{
	(void)data;
	free(ptr);
}

int pd_pb_decode(const ProtobufCMessageDescriptor *desc, const uint8_t *buf,
		 size_t len, ProtobufCMessage **out, pd_errbuf *eb)
{
	static const uint8_t empty[1];
	struct pd_codec_path p = { .len = 0 };
	size_t budget = len * PD_DECODE_BUDGET_FACTOR;
	struct budget b;
	ProtobufCAllocator a = {
		.alloc = budget_alloc,
		.free = budget_free,
		.allocator_data = &b,
	};
	int rc;

	*out = NULL;
	if (!desc || (!buf && len))
		return pd_fail(eb, PD_EINVAL, "no descriptor or no buffer");
	if (len > PD_MAX_MSG_BYTES)
		return pd_fail(eb, PD_ETOOBIG,
			       "protobuf message of %zu bytes is over the %u-byte limit",
			       len, PD_MAX_MSG_BYTES);
	/* len is at most 4 MiB here, so the product cannot overflow. */
	if (budget < PD_DECODE_BUDGET_FLOOR)
		budget = PD_DECODE_BUDGET_FLOOR;
	b.left = budget;
	b.exceeded = false;
	if (!buf)
		buf = empty;
	rc = wire_check(desc, buf, len, 0, &p, eb);
	if (rc)
		return rc;
	*out = protobuf_c_message_unpack(desc, &a, len, buf);
	if (*out)
		return 0;
	if (b.exceeded)
		return pd_fail(eb, PD_ENOMEM,
			       "decoding %zu bytes of %s needs more than the memory budget of %zu bytes",
			       len, desc->short_name, budget);
	return pd_fail(eb, PD_EDECODE, "malformed protobuf %s", desc->short_name);
}

ProtobufCMessage *pd_pb_unpack(const ProtobufCMessageDescriptor *desc,
			       const uint8_t *buf, size_t len, pd_errbuf *eb)
{
	ProtobufCMessage *m;

	pd_pb_decode(desc, buf, len, &m, eb);
	return m;
}

void pd_pb_free(ProtobufCMessage *msg)
{
	if (msg)
		protobuf_c_message_free_unpacked(msg, NULL);
}

uint8_t *pd_pb_pack(const ProtobufCMessage *msg, size_t *len)
{
	size_t n = protobuf_c_message_get_packed_size(msg);
	uint8_t *buf = pd_xmalloc(n);

	*len = protobuf_c_message_pack(msg, buf);
	return buf;
}

/* ---- tree walks over unpacked messages --------------------------------- */

static int check_strings(const ProtobufCMessage *m, struct pd_codec_path *p,
			 pd_errbuf *eb)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;

	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		void *v = member(m, f);
		size_t n = 1;
		int rc = 0;

		if (f->type != PROTOBUF_C_TYPE_STRING &&
		    f->type != PROTOBUF_C_TYPE_MESSAGE)
			continue;
		if (is_oneof(f) && *(const uint32_t *)quantifier(m, f) != f->id)
			continue;
		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			n = *(const size_t *)quantifier(m, f);
			v = *(void **)v;
		}
		for (size_t k = 0; k < n && rc == 0; k++) {
			void *e = ((void **)v)[k];
			size_t old = pd_codec_path_field(p, f->name);

			if (f->label == PROTOBUF_C_LABEL_REPEATED)
				pd_codec_path_index(p, k);
			if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
				if (e)
					rc = check_strings(e, p, eb);
			} else if (e && !pd_utf8_valid(e, strlen(e))) {
				rc = pd_codec_fail_at(eb, p, PD_EINVAL,
						      "string is not valid UTF-8");
			}
			pd_codec_path_pop(p, old);
		}
		if (rc)
			return rc;
	}
	return 0;
}

int pd_pb_check_strings(const ProtobufCMessage *msg, pd_errbuf *eb)
{
	struct pd_codec_path p = { .len = 0 };

	return msg ? check_strings(msg, &p, eb) : 0;
}

void pd_pb_canonicalize(ProtobufCMessage *m)
{
	const ProtobufCMessageDescriptor *d;

	if (!m)
		return;
	d = m->descriptor;
	for (unsigned i = 0; i < m->n_unknown_fields; i++)
		free(m->unknown_fields[i].data);
	free(m->unknown_fields);
	m->unknown_fields = NULL;
	m->n_unknown_fields = 0;
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		char *v = member(m, f);
		size_t n = 1;

		if (f->type != PROTOBUF_C_TYPE_MESSAGE &&
		    f->type != PROTOBUF_C_TYPE_FLOAT &&
		    f->type != PROTOBUF_C_TYPE_DOUBLE)
			continue;
		if (is_oneof(f) && *(const uint32_t *)quantifier(m, f) != f->id)
			continue;
		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			n = *(const size_t *)quantifier(m, f);
			v = *(char **)v;
		}
		for (size_t k = 0; k < n; k++) {
			if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
				pd_pb_canonicalize(((ProtobufCMessage **)v)[k]);
			} else if (f->type == PROTOBUF_C_TYPE_FLOAT) {
				float *x = (float *)v + k;
				if (isnan(*x))
					*x = NAN;
			} else {
				double *x = (double *)v + k;
				if (isnan(*x))
					*x = NAN;
			}
		}
	}
}
