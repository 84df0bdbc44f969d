/* proto3 JSON mapping for every peakdesk message (codec.h), driven by the
 * protobuf-c descriptors so no message has hand-written JSON code. Input goes
 * through json-c with a depth limit, strict syntax, UTF-8 checks and a cost
 * estimate of json-c's own tree, which takes ~800 bytes per object. */
#include "codec.h"
#include "codec_internal.h"
#include "ids.h"

#include <json-c/json.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* json-c's parse tree costs, measured on 0.16 (x86-64): an object with its
 * hash table ~800 bytes, an array ~160, a scalar ~80. Realistic messages take
 * ~25x their text; a run of "{}," takes 260x. */
#define JSON_COST_OBJECT 800u
#define JSON_COST_ARRAY 160u
#define JSON_COST_VALUE 80u
#define JSON_BUDGET_FACTOR 64u
#define JSON_BUDGET_FLOOR (1u << 20)

/* ---- descriptor helpers ------------------------------------------------ */

/* proto2 optional scalars carry a has_ flag; strings and messages do not. */
static bool has_flag(const ProtobufCFieldDescriptor *f)
{
	return f->label == PROTOBUF_C_LABEL_OPTIONAL && !is_oneof(f) &&
	       f->type != PROTOBUF_C_TYPE_STRING &&
	       f->type != PROTOBUF_C_TYPE_MESSAGE;
}

static const char *type_name(ProtobufCType t)
{
	static const char *const names[] = {
		"int32", "sint32", "sfixed32", "int64", "sint64", "sfixed64",
		"uint32", "fixed32", "uint64", "fixed64", "float", "double",
		"bool", "enum", "string", "bytes", "message",
	};
	return (unsigned)t < PD_ARRAY_LEN(names) ? names[t] : "?";
}

/* Is field f of m set, in the sense protobuf-c's packer uses? (Oneofs and
 * repeated fields are handled by the callers.) */
static bool field_present(const ProtobufCMessage *m,
			  const ProtobufCFieldDescriptor *f)
{
	const void *v = member(m, f);

	if (f->type == PROTOBUF_C_TYPE_MESSAGE)
		return *(void *const *)v != NULL;
	if (f->label == PROTOBUF_C_LABEL_REQUIRED)
		return true;
	if (f->type == PROTOBUF_C_TYPE_STRING) {
		const char *s = *(const char *const *)v;
		if (f->label == PROTOBUF_C_LABEL_OPTIONAL)
			return s && s != f->default_value;
		return s && *s;
	}
	if (has_flag(f))
		return *(const protobuf_c_boolean *)quantifier(m, f);
	switch (f->type) {
	case PROTOBUF_C_TYPE_FLOAT:
		return *(const float *)v != 0;
	case PROTOBUF_C_TYPE_DOUBLE:
		return *(const double *)v != 0;
	case PROTOBUF_C_TYPE_BOOL:
		return *(const protobuf_c_boolean *)v != 0;
	case PROTOBUF_C_TYPE_BYTES:
		return ((const ProtobufCBinaryData *)v)->len != 0;
	default:
		if (pd_codec_elem_size(f->type) == 4)
			return *(const uint32_t *)v != 0;
		return *(const uint64_t *)v != 0;
	}
}

/* proto3 JSON name: snake_case to lowerCamelCase, the way protoc does it
 * (an underscore upper-cases the next character and disappears). */
static void json_name(const char *name, char *out, size_t cap)
{
	size_t n = 0;
	bool up = false;

	for (; *name && n + 1 < cap; name++) {
		if (*name == '_') {
			up = true;
		} else {
			char c = *name;
			if (up && c >= 'a' && c <= 'z')
				c = (char)(c - 'a' + 'A');
			out[n++] = c;
			up = false;
		}
	}
	out[n] = '\0';
}

/* Does key equal name's JSON name? Streams instead of building it. */
static bool json_name_eq(const char *name, const char *key)
{
	bool up = false;

	for (; *name; name++) {
		char c = *name;
		if (c == '_') {
			up = true;
			continue;
		}
		if (up && c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		up = false;
		if (*key++ != c)
			return false;
	}
	return *key == '\0';
}

static const ProtobufCFieldDescriptor *
find_field(const ProtobufCMessageDescriptor *d, const char *key)
{
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		if (strcmp(f->name, key) == 0 || json_name_eq(f->name, key))
			return f;
	}
	return NULL;
}

/* Bytes fields named *_id that hold 16 bytes are UUIDs: departments write
 * them as "8-4-4-4-12" text, so JSON shows them that way too. */
static bool is_uuid_field(const ProtobufCFieldDescriptor *f)
{
	size_t n = strlen(f->name);

	return f->type == PROTOBUF_C_TYPE_BYTES && n >= 3 &&
	       strcmp(f->name + n - 3, "_id") == 0;
}

/* ---- message to JSON ---------------------------------------------------- */

static json_object *double_to_json(double d, bool is_float)
{
	char buf[40];

	if (isnan(d))
		return json_object_new_string("NaN");
	if (isinf(d))
		return json_object_new_string(d > 0 ? "Infinity" : "-Infinity");
	/* Shortest text that reads back to the same value. */
	for (int prec = is_float ? 6 : 15; prec <= (is_float ? 9 : 17); prec++) {
		snprintf(buf, sizeof(buf), "%.*g", prec, d);
		if (is_float ? strtof(buf, NULL) == (float)d :
		    strtod(buf, NULL) == d)
			break;
	}
	/* "-0" would read back as the integer 0 and lose its sign. */
	if (!strpbrk(buf, ".e"))
		strcat(buf, ".0");
	return json_object_new_double_s(d, buf);
}

static json_object *msg_to_json(const ProtobufCMessage *m);

static json_object *value_to_json(const ProtobufCFieldDescriptor *f,
				  const void *v)
{
	char buf[32];

	switch (f->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
		return json_object_new_int(*(const int32_t *)v);
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		return json_object_new_int64(*(const uint32_t *)v);
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		snprintf(buf, sizeof(buf), "%lld", (long long)*(const int64_t *)v);
		return json_object_new_string(buf);
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		snprintf(buf, sizeof(buf), "%llu",
			 (unsigned long long)*(const uint64_t *)v);
		return json_object_new_string(buf);
	case PROTOBUF_C_TYPE_FLOAT:
		return double_to_json(*(const float *)v, true);
	case PROTOBUF_C_TYPE_DOUBLE:
		return double_to_json(*(const double *)v, false);
	case PROTOBUF_C_TYPE_BOOL:
		return json_object_new_boolean(*(const protobuf_c_boolean *)v);
	case PROTOBUF_C_TYPE_ENUM: {
		int32_t x = *(const int32_t *)v;
		const ProtobufCEnumValue *ev =
			protobuf_c_enum_descriptor_get_value(f->descriptor, x);
		/* Values from a newer schema have no name here: keep the number. */
		return ev ? json_object_new_string(ev->name) : json_object_new_int(x);
	}
	case PROTOBUF_C_TYPE_STRING: {
		const char *s = *(const char *const *)v;
		return json_object_new_string(s ? s : "");
	}
	case PROTOBUF_C_TYPE_BYTES: {
		const ProtobufCBinaryData *b = v;
		json_object *o;
		size_t n;
		char *t;

		if (b->len == 16 && is_uuid_field(f)) {
			char u[PD_UUID_TEXT];

			pd_uuid_format(b->data, u);
			return json_object_new_string(u);
		}
		t = pd_codec_b64_encode(b->data, b->len, &n);
		o = json_object_new_string_len(t, (int)n);
		free(t);
		return o;
	}
	case PROTOBUF_C_TYPE_MESSAGE: {
		const ProtobufCMessage *sub = *(ProtobufCMessage *const *)v;
		return sub ? msg_to_json(sub) : json_object_new_object();
	}
	}
	return NULL;
}

static json_object *msg_to_json(const ProtobufCMessage *m)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;
	json_object *o = json_object_new_object();

	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		const void *v = member(m, f);
		json_object *jv;
		char name[128];

		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			size_t n = *(const size_t *)quantifier(m, f);
			size_t es = pd_codec_elem_size(f->type);
			const char *arr = *(const char *const *)v;

			if (n == 0)
				continue;
			jv = json_object_new_array_ext((int)n);
			for (size_t k = 0; k < n; k++)
				json_object_array_add(jv, value_to_json(f, arr + k * es));
		} else if (is_oneof(f)) {
			const void *ptr = *(const void *const *)v;

			if (*(const uint32_t *)quantifier(m, f) != f->id)
				continue;
			/* As protobuf-c's packer: a selected pointer member
			 * that is NULL or the default is not on the wire. */
			if ((f->type == PROTOBUF_C_TYPE_MESSAGE ||
			     f->type == PROTOBUF_C_TYPE_STRING) &&
			    (!ptr || ptr == f->default_value))
				continue;
			jv = value_to_json(f, v);
		} else {
			if (!field_present(m, f))
				continue;
			jv = value_to_json(f, v);
		}
		json_name(f->name, name, sizeof(name));
		json_object_object_add_ex(o, name, jv, JSON_C_OBJECT_ADD_KEY_IS_NEW);
	}
	return o;
}

struct json_object *pd_pb_to_json_obj(const ProtobufCMessage *msg)
{
	return msg ? msg_to_json(msg) : NULL;
}

char *pd_pb_to_json(const ProtobufCMessage *msg)
{
	json_object *o = pd_pb_to_json_obj(msg);
	char *s;

	if (!o)
		return NULL;
	s = pd_xstrdup(json_object_to_json_string_ext(
		o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return s;
}

/* ---- JSON to message ---------------------------------------------------- */

struct jctx {
	struct pd_codec_path path;
	pd_errbuf *eb;
};

static const char *jtype(json_object *v)
{
	switch (json_object_get_type(v)) {
	case json_type_null: return "null";
	case json_type_boolean: return "boolean";
	case json_type_double:
	case json_type_int: return "number";
	case json_type_object: return "object";
	case json_type_array: return "array";
	case json_type_string: return "string";
	}
	return "unknown";
}

/* Decimal digits only, no sign or spaces: 0, -1 (not a number), -2 (overflow). */
static int parse_dec(const char *s, size_t n, uint64_t *out)
{
	uint64_t v = 0;

	if (n == 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		unsigned dg = (unsigned char)s[i] - '0';
		if (dg > 9)
			return -1;
		if (v > (UINT64_MAX - dg) / 10)
			return -2;
		v = v * 10 + dg;
	}
	*out = v;
	return 0;
}

/* A JSON integer (number or decimal string) as sign and magnitude.
 * Returns 0, or fails with the path. */
static int json_integer(json_object *v, const ProtobufCFieldDescriptor *f,
			bool *neg, uint64_t *mag, struct jctx *c)
{
	const char *tn = type_name(f->type);

	*neg = false;
	switch (json_object_get_type(v)) {
	case json_type_int: {
		int64_t i = json_object_get_int64(v);
		uint64_t u = json_object_get_uint64(v);

		/* json-c saturates out-of-range numbers at these two values
		 * without telling, so they cannot be trusted as numbers. */
		if (i == INT64_MIN || u == UINT64_MAX)
			return pd_codec_fail_at(c->eb, &c->path, PD_EINVAL,
						"value out of range for %s (write 64-bit values as strings)",
						tn);
		if (i < 0) {
			*neg = true;
			*mag = -(uint64_t)i;
		} else {
			*mag = i == INT64_MAX ? u : (uint64_t)i;
		}
		return 0;
	}
	case json_type_double: {
		double d = json_object_get_double(v);

		if (!isfinite(d) || d != floor(d))
			return pd_codec_fail_at(c->eb, &c->path, PD_EINVAL,
						"expected integer, got non-integer number");
		if (fabs(d) >= 18446744073709551616.0)
			return pd_codec_fail_at(c->eb, &c->path, PD_EINVAL,
						"value out of range for %s", tn);
		*neg = d < 0;
		*mag = (uint64_t)fabs(d);
		return 0;
	}
	case json_type_string: {
		const char *s = json_object_get_string(v);
		size_t n = (size_t)json_object_get_string_len(v);
		int rc;

		if (n > 0 && s[0] == '-') {
			*neg = true;
			s++;
			n--;
		}
		rc = parse_dec(s, n, mag);
		if (rc == -1)
			return pd_codec_fail_at(c->eb, &c->path, PD_EINVAL,
						"expected integer, got string");
		if (rc == -2)
			return pd_codec_fail_at(c->eb, &c->path, PD_EINVAL,
						"value out of range for %s", tn);
		return 0;
	}
	default:
		return pd_codec_fail_at(c->eb, &c->path, PD_EINVAL,
					"expected integer, got %s", jtype(v));
	}
}

static int json_signed(json_object *v, const ProtobufCFieldDescriptor *f,
		       int64_t min, int64_t max, int64_t *out, struct jctx *c)
{
	bool neg;
	uint64_t mag;

	if (json_integer(v, f, &neg, &mag, c))
		return PD_EINVAL;
	if (neg ? mag > (uint64_t)-(min + 1) + 1 : mag > (uint64_t)max)
		return pd_codec_fail_at(c->eb, &c->path, PD_EINVAL,
					"value out of range for %s", type_name(f->type));
	*out = neg ? (int64_t)(0 - mag) : (int64_t)mag;
	return 0;
}

static int json_unsigned(json_object *v, const ProtobufCFieldDescriptor *f,
			 uint64_t max, uint64_t *out, struct jctx *c)
{
	bool neg;
	uint64_t mag;

	if (json_integer(v, f, &neg, &mag, c))
		return PD_EINVAL;
	if ((neg && mag) || mag > max)
		return pd_codec_fail_at(c->eb, &c->path, PD_EINVAL,
					"value out of range for %s", type_name(f->type));
	*out = mag;
	return 0;
}

static int json_double(json_object *v, const ProtobufCFieldDescriptor *f,
		       double *out, struct jctx *c)
{
	switch (json_object_get_type(v)) {
	case json_type_int:
	case json_type_double:
		*out = json_object_get_double(v);
		/* Bare NaN/Infinity are not JSON, and 1e999 is out of range. */
		if (!isfinite(*out))
			return pd_codec_fail_at(c->eb, &c->path, PD_EINVAL,
						"number out of range (write \"NaN\", \"Infinity\" or \"-Infinity\" as strings)");
		break;
	case json_type_string: {
		const char *s = json_object_get_string(v);
		size_t n = (size_t)json_object_get_string_len(v);
		char *end;

		if (strcmp(s, "NaN") == 0) {
			*out = NAN;
			return 0;
		}
		if (strcmp(s, "Infinity") == 0 || strcmp(s, "-Infinity") == 0) {
			*out = s[0] == '-' ? -INFINITY : INFINITY;
			return 0;
		}
		/* A decimal number in a string; strtod alone would also take
		 * hex, "inf" and leading spaces. */
		if (n == 0 || strspn(s, "0123456789+-.eE") != n)
			return pd_codec_fail_at(c->eb, &c->path, PD_EINVAL,
						"expected number, got string");
		*out = strtod(s, &end);
		if (end != s + n || !isfinite(*out))
			return pd_codec_fail_at(c->eb, &c->path, PD_EINVAL,
						"expected number, got string");
		break;
	}
	default:
		return pd_codec_fail_at(c->eb, &c->path, PD_EINVAL,
					"expected number, got %s", jtype(v));
	}
	if (f->type == PROTOBUF_C_TYPE_FLOAT && fabs(*out) > 3.4028234663852886e38)
		return pd_codec_fail_at(c->eb, &c->path, PD_EINVAL,
					"value out of range for float");
	return 0;
}

static int json_string(json_object *v, const char **s, size_t *n,
		       struct jctx *c)
{
	if (!json_object_is_type(v, json_type_string))
		return pd_codec_fail_at(c->eb, &c->path, PD_EINVAL,
					"expected string, got %s", jtype(v));
	*s = json_object_get_string(v);
	*n = (size_t)json_object_get_string_len(v);
	if (!pd_utf8_valid(*s, *n))
		return pd_codec_fail_at(c->eb, &c->path, PD_EINVAL, "%s",
					memchr(*s, 0, *n) ?
						"string contains NUL (\\u0000)" :
						"string is not valid UTF-8");
	return 0;
}

/* Converts a non-message JSON value into *dst (a field or array slot).
 * Writes dst only on success, so a failure leaves nothing to free. */
static int json_scalar(const ProtobufCFieldDescriptor *f, json_object *v,
		       void *dst, struct jctx *c)
{
	int64_t si;
	uint64_t ui;
	double d = 0;
	const char *s;
	size_t n;

	switch (f->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
		if (json_signed(v, f, INT32_MIN, INT32_MAX, &si, c))
			return PD_EINVAL;
		*(int32_t *)dst = (int32_t)si;
		return 0;
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		if (json_signed(v, f, INT64_MIN, INT64_MAX, &si, c))
			return PD_EINVAL;
		*(int64_t *)dst = si;
		return 0;
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		if (json_unsigned(v, f, UINT32_MAX, &ui, c))
			return PD_EINVAL;
		*(uint32_t *)dst = (uint32_t)ui;
		return 0;
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		if (json_unsigned(v, f, UINT64_MAX, &ui, c))
			return PD_EINVAL;
		*(uint64_t *)dst = ui;
		return 0;
	case PROTOBUF_C_TYPE_FLOAT:
	case PROTOBUF_C_TYPE_DOUBLE:
		if (json_double(v, f, &d, c))
			return PD_EINVAL;
		if (f->type == PROTOBUF_C_TYPE_FLOAT)
			*(float *)dst = (float)d;
		else
			*(double *)dst = d;
		return 0;
	case PROTOBUF_C_TYPE_BOOL:
		if (!json_object_is_type(v, json_type_boolean))
			return pd_codec_fail_at(c->eb, &c->path, PD_EINVAL,
						"expected true or false, got %s", jtype(v));
		*(protobuf_c_boolean *)dst = json_object_get_boolean(v) ? 1 : 0;
		return 0;
	case PROTOBUF_C_TYPE_ENUM:
		if (json_object_is_type(v, json_type_string)) {
			const ProtobufCEnumDescriptor *ed = f->descriptor;
			const ProtobufCEnumValue *ev;

			if (json_string(v, &s, &n, c))
				return PD_EINVAL;
			ev = protobuf_c_enum_descriptor_get_value_by_name(ed, s);
			if (!ev)
				return pd_codec_fail_at(c->eb, &c->path, PD_EINVAL,
							"unknown %s value \"%.64s\"",
							ed->short_name, s);
			*(int32_t *)dst = ev->value;
			return 0;
		}
		/* Numbers are fine, known or not: proto3 enums are open. */
		if (!json_object_is_type(v, json_type_int) &&
		    !json_object_is_type(v, json_type_double))
			return pd_codec_fail_at(c->eb, &c->path, PD_EINVAL,
						"expected enum name or number, got %s",
						jtype(v));
		if (json_signed(v, f, INT32_MIN, INT32_MAX, &si, c))
			return PD_EINVAL;
		*(int32_t *)dst = (int32_t)si;
		return 0;
	case PROTOBUF_C_TYPE_STRING: {
		char *copy;

		if (json_string(v, &s, &n, c))
			return PD_EINVAL;
		copy = pd_xmalloc(n + 1);
		memcpy(copy, s, n);
		copy[n] = '\0';
		*(char **)dst = copy;
		return 0;
	}
	case PROTOBUF_C_TYPE_BYTES: {
		ProtobufCBinaryData *b = dst;
		uint8_t *data;
		long got;

		if (json_string(v, &s, &n, c))
			return PD_EINVAL;
		/* UUID-shaped text is a UUID, never URL-safe base64 (which
		 * it would also be, for 27 bytes). */
		if (is_uuid_field(f) && n == 36 && s[8] == '-' && s[13] == '-' &&
		    s[18] == '-' && s[23] == '-') {
			data = pd_xmalloc(16);
			if (pd_uuid_parse(s, data) != PD_OK) {
				free(data);
				return pd_codec_fail_at(c->eb, &c->path, PD_EINVAL,
							"expected UUID text or base64");
			}
			b->data = data;
			b->len = 16;
			return 0;
		}
		got = pd_codec_b64_decode(s, n, &data);
		if (got < 0)
			return pd_codec_fail_at(c->eb, &c->path, PD_EINVAL, "%s",
						is_uuid_field(f) ?
							"expected UUID text or base64" :
							"expected base64");
		b->data = data;
		b->len = (size_t)got;
		return 0;
	}
	case PROTOBUF_C_TYPE_MESSAGE:
		break;
	}
	return pd_codec_fail_at(c->eb, &c->path, PD_EINVAL, "unsupported field type");
}

static int json_fill(ProtobufCMessage *m, json_object *obj, struct jctx *c);

static ProtobufCMessage *new_message(const ProtobufCMessageDescriptor *d)
{
	ProtobufCMessage *m = pd_xmalloc(d->sizeof_message);

	protobuf_c_message_init(d, m);
	return m;
}

/* A message-typed value: the new submessage is linked into its parent (and
 * the oneof case or the array count updated) before it is filled, so that a
 * failure anywhere below frees it with the parent. */
static int json_submessage(const ProtobufCFieldDescriptor *f, json_object *v,
			   ProtobufCMessage **slot, uint32_t *which,
			   size_t *count, struct jctx *c)
{
	if (!json_object_is_type(v, json_type_object))
		return pd_codec_fail_at(c->eb, &c->path, PD_EINVAL,
					"expected object, got %s", jtype(v));
	*slot = new_message(f->descriptor);
	if (which)
		*which = f->id;
	if (count)
		(*count)++;
	return json_fill(*slot, v, c);
}

static int json_repeated(ProtobufCMessage *m, const ProtobufCFieldDescriptor *f,
			 json_object *v, struct jctx *c)
{
	size_t *count = quantifier(m, f), n, es = pd_codec_elem_size(f->type);
	char *arr;

	if (!json_object_is_type(v, json_type_array))
		return pd_codec_fail_at(c->eb, &c->path, PD_EINVAL,
					"expected array, got %s", jtype(v));
	n = json_object_array_length(v);
	if (n == 0)
		return 0;
	/* count only covers finished elements: that is what the free sees. */
	arr = pd_xcalloc(n, es);
	*(char **)member(m, f) = arr;
	*count = 0;
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(v, i);
		size_t old = pd_codec_path_index(&c->path, i);
		int rc;

		if (json_object_is_type(e, json_type_null)) {
			rc = pd_codec_fail_at(c->eb, &c->path, PD_EINVAL,
					      "null is not allowed in a list");
		} else if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
			ProtobufCMessage **slot = (ProtobufCMessage **)arr + i;
			rc = json_submessage(f, e, slot, NULL, count, c);
		} else {
			rc = json_scalar(f, e, arr + i * es, c);
			if (rc == 0)
				(*count)++;
		}
		pd_codec_path_pop(&c->path, old);
		if (rc)
			return rc;
	}
	return 0;
}

static int json_field(ProtobufCMessage *m, const ProtobufCFieldDescriptor *f,
		      json_object *v, struct jctx *c)
{
	uint32_t *which = is_oneof(f) ? quantifier(m, f) : NULL;
	int rc;

	if (json_object_is_type(v, json_type_null))
		return 0; /* proto3 JSON: null means the default */
	if (f->label == PROTOBUF_C_LABEL_REPEATED)
		return json_repeated(m, f, v, c);
	if (which && *which && *which != f->id) {
		const ProtobufCFieldDescriptor *o =
			protobuf_c_message_descriptor_get_field(m->descriptor,
								*which);
		return pd_codec_fail_at(c->eb, &c->path, PD_EINVAL,
					"only one of a oneof may be set, and %s already is",
					o ? o->name : "another");
	}
	if (f->type == PROTOBUF_C_TYPE_MESSAGE)
		return json_submessage(f, v, member(m, f), which, NULL, c);
	rc = json_scalar(f, v, member(m, f), c);
	if (rc)
		return rc;
	if (which)
		*which = f->id;
	else if (has_flag(f))
		*(protobuf_c_boolean *)quantifier(m, f) = 1;
	return 0;
}

static int json_fill(ProtobufCMessage *m, json_object *obj, struct jctx *c)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;
	uint8_t seen_small[64];
	uint8_t *seen = d->n_fields <= sizeof(seen_small) ?
				seen_small : pd_xmalloc(d->n_fields);
	struct json_object_iterator it = json_object_iter_begin(obj);
	struct json_object_iterator end = json_object_iter_end(obj);
	int rc = 0;

	memset(seen, 0, d->n_fields);
	for (; rc == 0 && !json_object_iter_equal(&it, &end);
	     json_object_iter_next(&it)) {
		const char *key = json_object_iter_peek_name(&it);
		json_object *v = json_object_iter_peek_value(&it);
		const ProtobufCFieldDescriptor *f = find_field(d, key);
		size_t old = pd_codec_path_field(&c->path, key);

		if (!f) {
			rc = pd_codec_fail_at(c->eb, &c->path, PD_EINVAL,
					      "unknown field of %s", d->short_name);
		} else if (seen[f - d->fields]) {
			rc = pd_codec_fail_at(c->eb, &c->path, PD_EINVAL,
					      "field given twice (as %s and its JSON name)",
					      f->name);
		} else {
			seen[f - d->fields] = 1;
			rc = json_field(m, f, v, c);
		}
		pd_codec_path_pop(&c->path, old);
	}
	if (seen != seen_small)
		free(seen);
	return rc;
}

static int json_obj_decode(const ProtobufCMessageDescriptor *desc,
			   json_object *obj, ProtobufCMessage **out,
			   pd_errbuf *eb)
{
	struct jctx c = { .path = { .len = 0 }, .eb = eb };
	int rc;

	*out = NULL;
	if (!desc)
		return pd_fail(eb, PD_EINVAL, "no descriptor");
	if (!json_object_is_type(obj, json_type_object))
		return pd_fail(eb, PD_EINVAL, "expected a JSON object, got %s",
			       jtype(obj));
	*out = new_message(desc);
	rc = json_fill(*out, obj, &c);
	if (rc) {
		protobuf_c_message_free_unpacked(*out, NULL);
		*out = NULL;
	}
	return rc;
}

ProtobufCMessage *pd_json_obj_to_pb(const ProtobufCMessageDescriptor *desc,
				    struct json_object *obj, pd_errbuf *eb)
{
	ProtobufCMessage *m;

	json_obj_decode(desc, obj, &m, eb);
	return m;
}

/* One pass over the raw text, before json-c sees it: finds \u0000 (json-c
 * would cut an object key short at it, silently), nesting too deep (json-c
 * checks that too, but only after the estimate below would have complained)
 * and estimates the heap of json-c's tree. Returns 0 or fails. */
static int json_prescan(const char *s, size_t len, pd_errbuf *eb)
{
	size_t cost = 0, cap = len * JSON_BUDGET_FACTOR, depth = 0;
	bool in_str = false;

	for (size_t i = 0; i < len; i++) {
		char ch = s[i];

		if (in_str) {
			if (ch == '"') {
				in_str = false;
			} else if (ch == '\\' && i + 1 < len) {
				if (s[i + 1] == 'u' && i + 5 < len &&
				    memcmp(s + i + 2, "0000", 4) == 0)
					return pd_fail(eb, PD_EINVAL,
						       "string contains NUL (\\u0000) at byte %zu",
						       i);
				i++; /* skip the escaped character */
			}
			continue;
		}
		switch (ch) {
		case '\'':
			/* json-c takes 'single-quoted' strings even when strict;
			 * JSON has none, and this scan would not see into them. */
			return pd_fail(eb, PD_EDECODE,
				       "invalid JSON near byte %zu: single-quoted string", i);
		case '"':
			in_str = true;
			cost += JSON_COST_VALUE;
			break;
		case '{':
		case '[':
			cost += ch == '{' ? JSON_COST_OBJECT : JSON_COST_ARRAY;
			if (++depth > PD_JSON_MAX_DEPTH)
				return pd_fail(eb, PD_EDECODE,
					       "JSON nested deeper than %d levels",
					       PD_JSON_MAX_DEPTH);
			break;
		case '}':
		case ']':
			if (depth)
				depth--;
			break;
		case ',':
		case ':':
			cost += JSON_COST_VALUE;
			break;
		}
	}
	if (cap < JSON_BUDGET_FLOOR)
		cap = JSON_BUDGET_FLOOR;
	if (cost > cap)
		return pd_fail(eb, PD_ENOMEM,
			       "JSON has too many small values: parsing would need about %zu bytes of heap, over the memory budget of %zu",
			       cost, cap);
	return 0;
}

int pd_json_decode(const ProtobufCMessageDescriptor *desc, const char *json,
		   size_t len, ProtobufCMessage **out, pd_errbuf *eb)
{
	json_tokener *tok;
	json_object *obj;
	enum json_tokener_error jerr;
	size_t bad, end;
	int rc;

	*out = NULL;
	if (!desc || (!json && len))
		return pd_fail(eb, PD_EINVAL, "no descriptor or no text");
	if (len > PD_MAX_MSG_BYTES)
		return pd_fail(eb, PD_ETOOBIG,
			       "JSON of %zu bytes is over the %u-byte limit", len,
			       PD_MAX_MSG_BYTES);
	if (len == 0)
		return pd_fail(eb, PD_EDECODE, "empty JSON text");
	bad = pd_codec_utf8_prefix((const unsigned char *)json, len);
	if (bad != len)
		return pd_fail(eb, PD_EDECODE,
			       "JSON text is not valid UTF-8 (%s at byte %zu)",
			       json[bad] ? "bad sequence" : "NUL", bad);
	rc = json_prescan(json, len, eb);
	if (rc)
		return rc;

	tok = json_tokener_new_ex(PD_JSON_MAX_DEPTH);
	if (!tok)
		return pd_fail(eb, PD_ENOMEM, "out of memory");
	/* Strict: no trailing garbage, commas or comments. The trailing "\0"
	 * chunk tells json-c the text ends (a bare number needs that). */
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	obj = json_tokener_parse_ex(tok, json, (int)len);
	jerr = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	if (!obj && jerr == json_tokener_continue) {
		obj = json_tokener_parse_ex(tok, "", 1);
		jerr = json_tokener_get_error(tok);
		end = len;
	}
	while (jerr == json_tokener_success && end < len &&
	       (json[end] == ' ' || json[end] == '\t' || json[end] == '\r' ||
		json[end] == '\n'))
		end++;
	if (jerr == json_tokener_success && end < len)
		jerr = json_tokener_error_parse_unexpected; /* trailing garbage */
	json_tokener_free(tok);
	if (jerr != json_tokener_success) {
		json_object_put(obj);
		if (jerr == json_tokener_error_depth)
			return pd_fail(eb, PD_EDECODE,
				       "JSON nested deeper than %d levels",
				       PD_JSON_MAX_DEPTH);
		return pd_fail(eb, PD_EDECODE, "invalid JSON near byte %zu: %s",
			       end, json_tokener_error_desc(jerr));
	}
	rc = json_obj_decode(desc, obj, out, eb);
	json_object_put(obj);
	return rc;
}

ProtobufCMessage *pd_json_to_pb(const ProtobufCMessageDescriptor *desc,
				const char *json, size_t len, pd_errbuf *eb)
{
	ProtobufCMessage *m;

	pd_json_decode(desc, json, len, &m, eb);
	return m;
}
