/* Tests for common/codec.c: protobuf limits (size, heap budget, UTF-8, NUL)
 * and the descriptor-driven proto3 JSON mapping, both directions. */
#include <json-c/json.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bus.pb-c.h"
#include "codec.h"
#include "pd_check.h"

#define IREQ (&peakdesk__v1__ingest_request__descriptor)
#define ENV (&peakdesk__v1__envelope__descriptor)

static const uint8_t uuid_bytes[16] = {
	0x0f, 0x8f, 0xad, 0x5b, 0xd9, 0xcb, 0x46, 0x9f,
	0xa1, 0x65, 0x70, 0x86, 0x77, 0x28, 0x95, 0x0e,
};
#define UUID_TEXT "0f8fad5b-d9cb-469f-a165-70867728950e"

/* JSON text to IngestRequest; returns the pd_err code, message in *out. */
static int jdec(const char *json, Peakdesk__V1__IngestRequest **out,
		pd_errbuf *eb)
{
	ProtobufCMessage *m;
	int rc = pd_json_decode(IREQ, json, strlen(json), &m, eb);

	*out = (Peakdesk__V1__IngestRequest *)m;
	return rc;
}

/* Asserts JSON is rejected with code and an error containing want. */
static void reject_json(const char *json, int code, const char *want)
{
	Peakdesk__V1__IngestRequest *r;
	pd_errbuf eb = { "" };
	int rc = jdec(json, &r, &eb);

	ck_assert_msg(r == NULL, "accepted: %s", json);
	ck_assert_int_eq(rc, code);
	ck_assert_msg(strstr(eb.msg, want), "error \"%s\" lacks \"%s\"", eb.msg,
		      want);
}

static void pack_eq(const ProtobufCMessage *a, const ProtobufCMessage *b)
{
	size_t la, lb;
	uint8_t *pa = pd_pb_pack(a, &la), *pb = pd_pb_pack(b, &lb);

	ck_assert_uint_eq(la, lb);
	ck_assert(memcmp(pa, pb, la) == 0);
	free(pa);
	free(pb);
}

/* ---- UTF-8 ---- */

START_TEST(utf8_table)
{
	static const struct {
		const char *s;
		size_t len;
		int ok;
	} t[] = {
		{ "", 0, 1 },
		{ "abc", 3, 1 },
		{ "\xc3\xa9", 2, 1 },                 /* é */
		{ "\xe4\xb8\xad\xe6\x96\x87", 6, 1 }, /* 中文 */
		{ "\xf0\x9f\x98\x80", 4, 1 },         /* U+1F600 */
		{ "\xf4\x8f\xbf\xbf", 4, 1 },         /* U+10FFFF */
		{ "\xef\xbf\xbf", 3, 1 },             /* U+FFFF */
		{ "\xed\x9f\xbf", 3, 1 },             /* U+D7FF */
		{ "\xee\x80\x80", 3, 1 },             /* U+E000 */
		{ "\x7f", 1, 1 },
		{ "\0", 1, 0 },                       /* NUL */
		{ "a\0b", 3, 0 },
		{ "\xc0\x80", 2, 0 },                 /* overlong NUL */
		{ "\xc1\xbf", 2, 0 },                 /* overlong */
		{ "\xe0\x80\x80", 3, 0 },
		{ "\xe0\x9f\xbf", 3, 0 },
		{ "\xf0\x8f\xbf\xbf", 4, 0 },
		{ "\xed\xa0\x80", 3, 0 },             /* surrogate D800 */
		{ "\xed\xbf\xbf", 3, 0 },             /* surrogate DFFF */
		{ "\xf4\x90\x80\x80", 4, 0 },         /* U+110000 */
		{ "\xf5\x80\x80\x80", 4, 0 },
		{ "\xff", 1, 0 },
		{ "\x80", 1, 0 },                     /* lone continuation */
		{ "\xc3", 1, 0 },                     /* truncated */
		{ "\xe4\xb8", 2, 0 },
		{ "\xf0\x9f\x98", 3, 0 },
		{ "\xc3\x28", 2, 0 },
		{ "ok\xe4\xb8\xad\xe4", 6, 0 },
	};

	for (size_t i = 0; i < PD_ARRAY_LEN(t); i++)
		ck_assert_msg(pd_utf8_valid(t[i].s, t[i].len) == t[i].ok,
			      "case %zu", i);
}
END_TEST

/* ---- JSON round trips ---- */

static Peakdesk__V1__Envelope *order_envelope(void)
{
	Peakdesk__V1__Envelope *e = calloc(1, sizeof(*e));
	Peakdesk__V1__OrderAwaitingFulfilment *o = calloc(1, sizeof(*o));
	Peakdesk__V1__CustomerRef *cu = calloc(1, sizeof(*cu));
	Peakdesk__V1__LineItem **items = calloc(2, sizeof(*items));

	peakdesk__v1__envelope__init(e);
	peakdesk__v1__order_awaiting_fulfilment__init(o);
	peakdesk__v1__customer_ref__init(cu);
	e->event_id.len = 16;
	e->event_id.data = malloc(16);
	memcpy(e->event_id.data, uuid_bytes, 16);
	e->topic = strdup("logistics.order");
	e->occurred_at_ms = 1731283200123LL;
	e->produced_at_ms = -5;
	e->seq = 18446744073709551615ULL;
	e->trace_id = strdup("t-\xe5\x8f\x8c\xe5\x8d\x81\xe4\xb8\x80 \"q\"\n");
	cu->phone = strdup("+8613800138000");
	cu->channel = PEAKDESK__V1__CHANNEL_KIND__CHANNEL_KIND_WECHAT;
	o->order_id = strdup("O-1");
	o->customer = cu;
	o->status = PEAKDESK__V1__ORDER_STATUS__ORDER_STATUS_AWAITING;
	o->version = 3;
	for (int i = 0; i < 2; i++) {
		items[i] = calloc(1, sizeof(*items[i]));
		peakdesk__v1__line_item__init(items[i]);
		items[i]->sku = strdup(i ? "SKU-2" : "SKU-1");
		items[i]->quantity = i ? 1 : 2;
		items[i]->unit_price_cents = i ? 5 : 1999;
	}
	o->n_items = 2;
	o->items = items;
	e->body_case = PEAKDESK__V1__ENVELOPE__BODY_ORDER;
	e->order = o;
	return e;
}

START_TEST(envelope_order_round_trip)
{
	Peakdesk__V1__Envelope *e = order_envelope();
	char *json = pd_pb_to_json(&e->base);
	json_object *root = json_tokener_parse(json), *v, *items;
	ProtobufCMessage *back;
	pd_errbuf eb;

	ck_assert_ptr_nonnull(root);
	/* 64-bit integers as strings, enums by name, UUID text, camelCase. */
	ck_assert(json_object_object_get_ex(root, "occurredAtMs", &v));
	ck_assert(json_object_is_type(v, json_type_string));
	ck_assert_str_eq(json_object_get_string(v), "1731283200123");
	ck_assert(json_object_object_get_ex(root, "seq", &v));
	ck_assert_str_eq(json_object_get_string(v), "18446744073709551615");
	ck_assert(json_object_object_get_ex(root, "eventId", &v));
	ck_assert_str_eq(json_object_get_string(v), UUID_TEXT);
	ck_assert(!json_object_object_get_ex(root, "publisher", &v)); /* default */
	ck_assert(json_object_object_get_ex(root, "order", &v));
	ck_assert(json_object_object_get_ex(v, "status", &items));
	ck_assert_str_eq(json_object_get_string(items), "ORDER_STATUS_AWAITING");
	ck_assert(json_object_object_get_ex(v, "items", &items));
	ck_assert_int_eq(json_object_array_length(items), 2);
	v = json_object_array_get_idx(items, 0);
	ck_assert(json_object_object_get_ex(v, "quantity", &v));
	ck_assert(json_object_is_type(v, json_type_int));
	ck_assert_int_eq(json_object_get_int(v), 2);
	json_object_put(root);

	back = pd_json_to_pb(ENV, json, strlen(json), &eb);
	ck_assert_msg(back != NULL, "%s", eb.msg);
	pack_eq(&e->base, back);
	ck_assert_str_eq(((Peakdesk__V1__Envelope *)back)->trace_id, e->trace_id);
	pd_pb_free(back);
	free(json);
	pd_pb_free(&e->base);
}
END_TEST

START_TEST(ingest_request_several_events)
{
	const char *json =
		"{\"events\":["
		"{\"eventId\":\"" UUID_TEXT "\",\"topic\":\"logistics.order\","
		" \"occurred_at_ms\":1731283200000,"
		" \"order\":{\"orderId\":\"A1\",\"status\":\"ORDER_STATUS_SHIPPED\","
		"  \"items\":[{\"sku\":\"S1\",\"quantity\":3,\"unitPriceCents\":\"250\"}]}},"
		"{\"event_id\":\"D4+tW9nLRp+hZXCGdyiVDg==\",\"topic\":\"stock.level\","
		" \"stockLevel\":{\"sku\":\"S1\",\"onHand\":\"-2\",\"presale\":true}},"
		"{\"topic\":\"bus.heartbeat\",\"seq\":\"42\",\"heartbeat\":{\"lastSeq\":42,\"publisher\":null}}"
		"]}";
	Peakdesk__V1__IngestRequest *r;
	ProtobufCMessage *back;
	pd_errbuf eb;
	uint8_t *buf;
	size_t len;

	ck_assert_int_eq(jdec(json, &r, &eb), 0);
	ck_assert_uint_eq(r->n_events, 3);
	ck_assert_int_eq(r->events[0]->body_case, PEAKDESK__V1__ENVELOPE__BODY_ORDER);
	ck_assert_int_eq(r->events[0]->occurred_at_ms, 1731283200000LL);
	ck_assert_str_eq(r->events[0]->order->order_id, "A1");
	ck_assert_int_eq(r->events[0]->order->status,
			 PEAKDESK__V1__ORDER_STATUS__ORDER_STATUS_SHIPPED);
	ck_assert_uint_eq(r->events[0]->order->n_items, 1);
	ck_assert_int_eq(r->events[0]->order->items[0]->quantity, 3);
	ck_assert_int_eq(r->events[0]->order->items[0]->unit_price_cents, 250);
	ck_assert_int_eq(r->events[1]->body_case,
			 PEAKDESK__V1__ENVELOPE__BODY_STOCK_LEVEL);
	ck_assert_int_eq(r->events[1]->stock_level->on_hand, -2);
	ck_assert(r->events[1]->stock_level->presale);
	/* base64 and UUID text decode to the same 16 bytes */
	ck_assert_uint_eq(r->events[1]->event_id.len, 16);
	ck_assert(memcmp(r->events[1]->event_id.data, uuid_bytes, 16) == 0);
	ck_assert(memcmp(r->events[0]->event_id.data, uuid_bytes, 16) == 0);
	ck_assert_int_eq(r->events[2]->body_case,
			 PEAKDESK__V1__ENVELOPE__BODY_HEARTBEAT);
	ck_assert_uint_eq(r->events[2]->seq, 42);
	ck_assert_uint_eq(r->events[2]->heartbeat->last_seq, 42);
	ck_assert_str_eq(r->events[2]->heartbeat->publisher, "");

	/* and through protobuf, unchanged */
	buf = pd_pb_pack(&r->base, &len);
	ck_assert_int_eq(pd_pb_decode(IREQ, buf, len, &back, &eb), 0);
	pack_eq(&r->base, back);
	pd_pb_free(back);
	free(buf);
	pd_pb_free(&r->base);
}
END_TEST

START_TEST(uuid_text_both_ways)
{
	Peakdesk__V1__IngestRequest *r;
	pd_errbuf eb;
	char *json;

	/* upper case in, lower case out */
	ck_assert_int_eq(jdec("{\"events\":[{\"eventId\":\"0F8FAD5B-D9CB-469F-A165-70867728950E\"}]}",
			      &r, &eb), 0);
	ck_assert_uint_eq(r->events[0]->event_id.len, 16);
	ck_assert(memcmp(r->events[0]->event_id.data, uuid_bytes, 16) == 0);
	json = pd_pb_to_json(&r->base);
	ck_assert_str_eq(json, "{\"events\":[{\"eventId\":\"" UUID_TEXT "\"}]}");
	free(json);
	pd_pb_free(&r->base);

	/* url-safe base64 without padding */
	ck_assert_int_eq(jdec("{\"events\":[{\"eventId\":\"D4-tW9nLRp-hZXCGdyiVDg\"}]}",
			      &r, &eb), 0);
	ck_assert(memcmp(r->events[0]->event_id.data, uuid_bytes, 16) == 0);
	pd_pb_free(&r->base);

	/* a non-16-byte id stays base64 */
	ck_assert_int_eq(jdec("{\"events\":[{\"eventId\":\"AAEC\"}]}", &r, &eb), 0);
	ck_assert_uint_eq(r->events[0]->event_id.len, 3);
	json = pd_pb_to_json(&r->base);
	ck_assert_str_eq(json, "{\"events\":[{\"eventId\":\"AAEC\"}]}");
	free(json);
	pd_pb_free(&r->base);

	reject_json("{\"events\":[{\"eventId\":\"0f8fad5b-d9cb-469f-a165-70867728950g\"}]}",
		    PD_EINVAL, "events[0].eventId: expected UUID text or base64");
	reject_json("{\"events\":[{\"eventId\":\"A\"}]}", PD_EINVAL,
		    "events[0].eventId");
}
END_TEST

START_TEST(enum_by_number)
{
	Peakdesk__V1__IngestRequest *r;
	pd_errbuf eb;
	char *json;

	ck_assert_int_eq(jdec("{\"events\":[{\"order\":{\"status\":3}}]}", &r, &eb), 0);
	ck_assert_int_eq(r->events[0]->order->status,
			 PEAKDESK__V1__ORDER_STATUS__ORDER_STATUS_SHIPPED);
	json = pd_pb_to_json(&r->base);
	ck_assert_str_eq(json, "{\"events\":[{\"order\":{\"status\":\"ORDER_STATUS_SHIPPED\"}}]}");
	free(json);
	pd_pb_free(&r->base);

	/* proto3 enums are open: an unknown number survives as a number */
	ck_assert_int_eq(jdec("{\"events\":[{\"order\":{\"status\":99}}]}", &r, &eb), 0);
	json = pd_pb_to_json(&r->base);
	ck_assert_str_eq(json, "{\"events\":[{\"order\":{\"status\":99}}]}");
	free(json);
	pd_pb_free(&r->base);

	reject_json("{\"events\":[{\"order\":{\"status\":1.5}}]}", PD_EINVAL,
		    "events[0].order.status: expected integer");
	reject_json("{\"events\":[{\"order\":{\"status\":true}}]}", PD_EINVAL,
		    "events[0].order.status: expected enum name or number, got boolean");
}
END_TEST

/* ---- JSON rejections ---- */

START_TEST(unknown_field_rejected)
{
	reject_json("{\"events\":[{},{\"order\":{\"items\":[{\"sku\":\"a\",\"colour\":\"red\"}]}}]}",
		    PD_EINVAL, "events[1].order.items[0].colour: unknown field");
	reject_json("{\"event\":[]}", PD_EINVAL, "event: unknown field");
	/* names are case-sensitive: only snake_case and lowerCamelCase */
	reject_json("{\"events\":[{\"EventId\":\"\"}]}", PD_EINVAL,
		    "events[0].EventId: unknown field");
}
END_TEST

START_TEST(wrong_type_rejected)
{
	Peakdesk__V1__IngestRequest *r;
	pd_errbuf eb;

	ck_assert_int_eq(jdec("{\"events\":[{},{},{\"order\":{\"items\":[{\"quantity\":\"two\"}]}}]}",
			      &r, &eb), PD_EINVAL);
	ck_assert_ptr_null(r);
	ck_assert_str_eq(eb.msg, "events[2].order.items[0].quantity: expected integer, got string");

	reject_json("{\"events\":{}}", PD_EINVAL, "events: expected array, got object");
	reject_json("{\"events\":[[]]}", PD_EINVAL, "events[0]: expected object, got array");
	reject_json("{\"events\":[null]}", PD_EINVAL, "events[0]: null is not allowed");
	reject_json("{\"events\":[{\"topic\":5}]}", PD_EINVAL,
		    "events[0].topic: expected string, got number");
	reject_json("{\"events\":[{\"stockLevel\":{\"presale\":\"true\"}}]}", PD_EINVAL,
		    "events[0].stockLevel.presale: expected true or false, got string");
	reject_json("{\"events\":[{\"stockLevel\":{\"presale\":1}}]}", PD_EINVAL,
		    "expected true or false, got number");
	reject_json("{\"events\":[{\"order\":[]}]}", PD_EINVAL,
		    "events[0].order: expected object, got array");
	reject_json("{\"events\":[{\"occurredAtMs\":\"12a\"}]}", PD_EINVAL,
		    "events[0].occurredAtMs: expected integer, got string");
	reject_json("{\"events\":[{\"occurredAtMs\":\" 12\"}]}", PD_EINVAL,
		    "expected integer, got string");
	reject_json("[]", PD_EINVAL, "expected a JSON object, got array");
	reject_json("null", PD_EINVAL, "expected a JSON object, got null");
	/* the same field under both of its names */
	reject_json("{\"events\":[{\"eventId\":\"\",\"event_id\":\"\"}]}", PD_EINVAL,
		    "events[0].event_id: field given twice");
}
END_TEST

START_TEST(unknown_enum_rejected)
{
	reject_json("{\"events\":[{\"order\":{\"status\":\"ORDER_STATUS_LOST\"}}]}",
		    PD_EINVAL, "events[0].order.status: unknown OrderStatus value");
	/* a name from another enum is not accepted either */
	reject_json("{\"events\":[{\"order\":{\"status\":\"CHANNEL_KIND_WECHAT\"}}]}",
		    PD_EINVAL, "unknown OrderStatus value");
}
END_TEST

START_TEST(integer_ranges)
{
	Peakdesk__V1__IngestRequest *r;
	pd_errbuf eb;

	reject_json("{\"events\":[{\"order\":{\"items\":[{\"quantity\":2147483648}]}}]}",
		    PD_EINVAL, "events[0].order.items[0].quantity: value out of range for int32");
	reject_json("{\"events\":[{\"order\":{\"items\":[{\"quantity\":-2147483649}]}}]}",
		    PD_EINVAL, "out of range for int32");
	reject_json("{\"events\":[{\"order\":{\"items\":[{\"quantity\":\"99999999999\"}]}}]}",
		    PD_EINVAL, "out of range for int32");
	reject_json("{\"events\":[{\"order\":{\"items\":[{\"quantity\":1.5}]}}]}",
		    PD_EINVAL, "expected integer, got non-integer number");
	reject_json("{\"events\":[{\"seq\":\"-1\"}]}", PD_EINVAL,
		    "events[0].seq: value out of range for uint64");
	reject_json("{\"events\":[{\"seq\":-1}]}", PD_EINVAL, "out of range for uint64");
	reject_json("{\"events\":[{\"seq\":\"18446744073709551616\"}]}", PD_EINVAL,
		    "out of range for uint64");
	reject_json("{\"events\":[{\"occurredAtMs\":\"9223372036854775808\"}]}",
		    PD_EINVAL, "out of range for int64");
	/* json-c silently saturates this one; it must not become INT64_MIN */
	reject_json("{\"events\":[{\"occurredAtMs\":-99999999999999999999}]}",
		    PD_EINVAL, "out of range");

	ck_assert_int_eq(jdec("{\"events\":[{\"seq\":\"18446744073709551615\","
			      "\"occurredAtMs\":\"-9223372036854775808\","
			      "\"producedAtMs\":9223372036854775807,"
			      "\"order\":{\"items\":[{\"quantity\":2147483647},"
			      "{\"quantity\":\"-2147483648\"},{\"quantity\":1e2}]}}]}",
			      &r, &eb), 0);
	ck_assert_uint_eq(r->events[0]->seq, UINT64_MAX);
	ck_assert_int_eq(r->events[0]->occurred_at_ms, INT64_MIN);
	ck_assert_int_eq(r->events[0]->produced_at_ms, INT64_MAX);
	ck_assert_int_eq(r->events[0]->order->items[0]->quantity, INT32_MAX);
	ck_assert_int_eq(r->events[0]->order->items[1]->quantity, INT32_MIN);
	ck_assert_int_eq(r->events[0]->order->items[2]->quantity, 100);
	pd_pb_free(&r->base);
}
END_TEST

START_TEST(doubles)
{
	Peakdesk__V1__IngestRequest *r;
	Peakdesk__V1__StaffingForecast *sf;
	ProtobufCMessage *back;
	pd_errbuf eb;
	char *json;

	ck_assert_int_eq(jdec("{\"events\":[{\"staffingForecast\":{\"consultationRate\":\"NaN\","
			      "\"hours\":[{\"expectedOrders\":\"Infinity\",\"serviceLevel\":0.1},"
			      "{\"expectedOrders\":\"-Infinity\",\"serviceLevel\":\"2.5e-3\"},"
			      "{\"expectedOrders\":7}]}}]}", &r, &eb), 0);
	sf = r->events[0]->staffing_forecast;
	ck_assert(isnan(sf->consultation_rate));
	ck_assert(isinf(sf->hours[0]->expected_orders) && sf->hours[0]->expected_orders > 0);
	ck_assert(isinf(sf->hours[1]->expected_orders) && sf->hours[1]->expected_orders < 0);
	ck_assert(sf->hours[0]->service_level == 0.1);
	ck_assert(sf->hours[1]->service_level == 2.5e-3);
	ck_assert(sf->hours[2]->expected_orders == 7.0);
	json = pd_pb_to_json(&r->base);
	ck_assert_msg(strstr(json, "\"consultationRate\":\"NaN\"") &&
		      strstr(json, "\"expectedOrders\":\"-Infinity\"") &&
		      strstr(json, "\"serviceLevel\":0.1}") &&
		      strstr(json, "\"expectedOrders\":7.0"), "%s", json);
	back = pd_json_to_pb(IREQ, json, strlen(json), &eb);
	ck_assert_ptr_nonnull(back);
	pack_eq(&r->base, back);
	pd_pb_free(back);
	free(json);
	pd_pb_free(&r->base);

	/* bare NaN/Infinity are not JSON; 1e999 does not fit a double */
	reject_json("{\"events\":[{\"staffingForecast\":{\"consultationRate\":NaN}}]}",
		    PD_EINVAL, "consultationRate: number out of range");
	reject_json("{\"events\":[{\"staffingForecast\":{\"consultationRate\":1e999}}]}",
		    PD_EINVAL, "number out of range");
	reject_json("{\"events\":[{\"staffingForecast\":{\"consultationRate\":\"0x10\"}}]}",
		    PD_EINVAL, "expected number, got string");
	reject_json("{\"events\":[{\"staffingForecast\":{\"consultationRate\":\"inf\"}}]}",
		    PD_EINVAL, "expected number, got string");
}
END_TEST

START_TEST(invalid_utf8_json_rejected)
{
	reject_json("{\"events\":[{\"topic\":\"a\xff\"}]}", PD_EDECODE, "not valid UTF-8");
	reject_json("{\"events\":[{\"topic\":\"\xc0\x80\"}]}", PD_EDECODE, "not valid UTF-8");
	reject_json("{\"events\":[{\"topic\":\"\xed\xa0\x80\"}]}", PD_EDECODE,
		    "not valid UTF-8 (bad sequence at byte 21)");
	reject_json("{\"events\":[{\"topic\":\"\xe4\xb8\"}]}", PD_EDECODE, "not valid UTF-8");
}
END_TEST

START_TEST(nul_rejected)
{
	Peakdesk__V1__IngestRequest *r;
	pd_errbuf eb;
	static const char raw[] = "{\"events\":[{\"topic\":\"a\0b\"}]}";

	reject_json("{\"events\":[{\"topic\":\"a\\u0000b\"}]}", PD_EINVAL,
		    "contains NUL (\\u0000)");
	/* in a key json-c would cut "topic\u0000x" to "topic" */
	reject_json("{\"events\":[{\"topic\\u0000x\":\"a\"}]}", PD_EINVAL, "NUL");
	/* a raw NUL byte in the text */
	ck_assert_ptr_null(pd_json_to_pb(IREQ, raw, sizeof(raw) - 1, &eb));
	ck_assert_msg(strstr(eb.msg, "NUL at byte 22"), "%s", eb.msg);
	/* an escaped backslash followed by "u0000" is just text */
	ck_assert_int_eq(jdec("{\"events\":[{\"topic\":\"a\\\\u0000b\"}]}", &r, &eb), 0);
	ck_assert_str_eq(r->events[0]->topic, "a\\u0000b");
	pd_pb_free(&r->base);
}
END_TEST

START_TEST(two_oneof_members_rejected)
{
	Peakdesk__V1__IngestRequest *r;
	pd_errbuf eb;

	reject_json("{\"events\":[{\"order\":{\"orderId\":\"x\"},\"heartbeat\":{}}]}",
		    PD_EINVAL,
		    "events[0].heartbeat: only one of a oneof may be set, and order already is");
	/* the nested oneof of AgentCommand too */
	reject_json("{\"events\":[{\"agentCommand\":{\"reply\":{},\"resolve\":{}}}]}",
		    PD_EINVAL, "events[0].agentCommand.resolve: only one of a oneof");
	/* null is "not set", so it does not count */
	ck_assert_int_eq(jdec("{\"events\":[{\"order\":{},\"heartbeat\":null}]}", &r, &eb), 0);
	ck_assert_int_eq(r->events[0]->body_case, PEAKDESK__V1__ENVELOPE__BODY_ORDER);
	pd_pb_free(&r->base);
}
END_TEST

START_TEST(deep_nesting_rejected)
{
	size_t depth = 10000, n = 0;
	char *s = malloc(6 * depth + 64);

	n += (size_t)sprintf(s, "{\"events\":");
	for (size_t i = 0; i < depth; i++)
		s[n++] = '[';
	for (size_t i = 0; i < depth; i++)
		s[n++] = ']';
	s[n++] = '}';
	s[n] = '\0';
	reject_json(s, PD_EDECODE, "nested deeper than 32");

	n = 0;
	for (size_t i = 0; i < depth; i++)
		n += (size_t)sprintf(s + n, "{\"a\":");
	s[n] = '\0';
	reject_json(s, PD_EDECODE, "nested deeper than 32");
	free(s);
}
END_TEST

START_TEST(json_syntax)
{
	Peakdesk__V1__IngestRequest *r;
	pd_errbuf eb;

	reject_json("{} x", PD_EDECODE, "invalid JSON");
	reject_json("{}{}", PD_EDECODE, "invalid JSON");
	reject_json("{\"events\":[],}", PD_EDECODE, "invalid JSON");
	reject_json("{\"events\":[", PD_EDECODE, "invalid JSON");
	reject_json("", PD_EDECODE, "empty");
	/* json-c would take these; key "topic\0x" would become "topic" */
	reject_json("{'events':[]}", PD_EDECODE, "single-quoted");
	reject_json("{\"events\":[{'topic\\u0000x':\"a\"}]}", PD_EDECODE, "single-quoted");
	ck_assert_int_eq(jdec("{\"events\":[{\"topic\":\"it's\"}]}", &r, &eb), 0);
	ck_assert_str_eq(r->events[0]->topic, "it's");
	pd_pb_free(&r->base);
	ck_assert_int_eq(jdec(" \n{\"events\":[]}\r\n\t ", &r, &eb), 0);
	ck_assert_uint_eq(r->n_events, 0);
	pd_pb_free(&r->base);
	ck_assert_int_eq(jdec("{\"events\":null}", &r, &eb), 0);
	pd_pb_free(&r->base);
}
END_TEST

START_TEST(json_size_limits)
{
	size_t big = PD_MAX_MSG_BYTES + 1, n = 0;
	char *s = malloc(big + 1);
	ProtobufCMessage *m;
	pd_errbuf eb;

	memset(s, ' ', big);
	s[0] = '{';
	s[big - 1] = '}';
	s[big] = '\0';
	ck_assert_int_eq(pd_json_decode(IREQ, s, big, &m, &eb), PD_ETOOBIG);
	ck_assert_ptr_null(m);

	/* 1 MiB of "{}," would make json-c allocate ~260 MiB */
	n = (size_t)sprintf(s, "{\"events\":[");
	while (n < (1u << 20))
		n += (size_t)sprintf(s + n, "{},");
	n += (size_t)sprintf(s + n, "{}]}");
	ck_assert_int_eq(pd_json_decode(IREQ, s, n, &m, &eb), PD_ENOMEM);
	ck_assert_ptr_null(m);
	ck_assert_msg(strstr(eb.msg, "memory budget"), "%s", eb.msg);
	free(s);
}
END_TEST

/* ---- protobuf ---- */

START_TEST(truncated_protobuf_rejected)
{
	Peakdesk__V1__IngestRequest req = PEAKDESK__V1__INGEST_REQUEST__INIT;
	Peakdesk__V1__Envelope *e = order_envelope();
	Peakdesk__V1__Envelope *evs[1] = { e };
	ProtobufCMessage *m;
	pd_errbuf eb;
	size_t len;
	uint8_t *buf;

	req.n_events = 1;
	req.events = evs;
	buf = pd_pb_pack(&req.base, &len);
	ck_assert_int_eq(pd_pb_decode(IREQ, buf, len, &m, &eb), 0);
	pd_pb_free(m);
	/* the whole request is one length-delimited field: every proper
	 * prefix cuts it short */
	for (size_t cut = 1; cut < len; cut++) {
		int rc = pd_pb_decode(IREQ, buf, cut, &m, &eb);
		ck_assert_msg(rc == PD_EDECODE, "prefix %zu: rc %d", cut, rc);
		ck_assert_ptr_null(m);
	}
	/* a varint running off the end, and a 64-bit length */
	ck_assert_int_eq(pd_pb_decode(IREQ, (const uint8_t *)"\x0a\x02\x28\xff", 4, &m, &eb),
			 PD_EDECODE);
	ck_assert_int_eq(pd_pb_decode(IREQ, (const uint8_t *)
				      "\x0a\xff\xff\xff\xff\xff\xff\xff\xff\x7f", 10, &m, &eb),
			 PD_EDECODE);
	/* groups are not supported by protobuf-c */
	ck_assert_int_eq(pd_pb_decode(IREQ, (const uint8_t *)"\x0b\x0c", 2, &m, &eb),
			 PD_EDECODE);
	free(buf);
	pd_pb_free(&e->base);
}
END_TEST

START_TEST(protobuf_bad_strings_rejected)
{
	ProtobufCMessage *m;
	pd_errbuf eb;
	/* events { topic: "\xff" } */
	static const uint8_t bad_utf8[] = { 0x0a, 0x03, 0x22, 0x01, 0xff };
	/* events { topic: "a\0b" } */
	static const uint8_t nul[] = { 0x0a, 0x05, 0x22, 0x03, 'a', 0x00, 'b' };
	/* events {} events { order { items { sku: "ok" } items { sku: ED A0 80 } } } */
	static const uint8_t deep[] = {
		0x0a, 0x00,
		0x0a, 0x12, 0xf2, 0x01, 0x0f,
		0x1a, 0x04, 0x0a, 0x02, 'o', 'k',
		0x1a, 0x05, 0x0a, 0x03, 0xed, 0xa0, 0x80,
		0x20, 0x01,
	};

	ck_assert_int_eq(pd_pb_decode(IREQ, bad_utf8, sizeof(bad_utf8), &m, &eb), PD_EINVAL);
	ck_assert_ptr_null(m);
	ck_assert_str_eq(eb.msg, "events[0].topic: string is not valid UTF-8");
	ck_assert_int_eq(pd_pb_decode(IREQ, nul, sizeof(nul), &m, &eb), PD_EINVAL);
	ck_assert_str_eq(eb.msg, "events[0].topic: string contains a NUL byte");
	ck_assert_int_eq(pd_pb_decode(IREQ, deep, sizeof(deep), &m, &eb), PD_EINVAL);
	ck_assert_str_eq(eb.msg, "events[1].order.items[1].sku: string is not valid UTF-8");
	/* the same with valid text is accepted */
	{
		uint8_t ok[sizeof(deep)];
		memcpy(ok, deep, sizeof(ok));
		ok[17] = 'a';
		ok[18] = 'b';
		ok[19] = 'c';
		ck_assert_int_eq(pd_pb_decode(IREQ, ok, sizeof(ok), &m, &eb), 0);
		ck_assert_str_eq(((Peakdesk__V1__IngestRequest *)m)->events[1]->order->items[1]->sku,
				 "abc");
		pd_pb_free(m);
	}
}
END_TEST

START_TEST(check_strings_walks_tree)
{
	Peakdesk__V1__Envelope *e = order_envelope();
	pd_errbuf eb;

	ck_assert_int_eq(pd_pb_check_strings(&e->base, &eb), 0);
	free(e->order->items[1]->sku);
	e->order->items[1]->sku = strdup("\xc3\x28");
	ck_assert_int_eq(pd_pb_check_strings(&e->base, &eb), PD_EINVAL);
	ck_assert_str_eq(eb.msg, "order.items[1].sku: string is not valid UTF-8");
	pd_pb_free(&e->base);
}
END_TEST

/* A batch of n envelopes like a department sends (order bodies). */
static uint8_t *realistic_batch(size_t n, size_t *len)
{
	Peakdesk__V1__IngestRequest req = PEAKDESK__V1__INGEST_REQUEST__INIT;
	uint8_t *buf;

	req.n_events = n;
	req.events = calloc(n, sizeof(*req.events));
	for (size_t i = 0; i < n; i++)
		req.events[i] = order_envelope();
	buf = pd_pb_pack(&req.base, len);
	for (size_t i = 0; i < n; i++)
		pd_pb_free(&req.events[i]->base);
	free(req.events);
	return buf;
}

START_TEST(budget_rejects_tiny_submessages)
{
	size_t n = 200000, len = 2 * n;
	uint8_t *buf = malloc(len);
	ProtobufCMessage *m;
	pd_errbuf eb;

	/* 200,000 empty Envelopes: 2 wire bytes each, ~120 heap bytes each */
	for (size_t i = 0; i < n; i++) {
		buf[2 * i] = 0x0a;
		buf[2 * i + 1] = 0x00;
	}
	ck_assert_int_eq(pd_pb_decode(IREQ, buf, len, &m, &eb), PD_ENOMEM);
	ck_assert_ptr_null(m);
	ck_assert_msg(strstr(eb.msg, "memory budget"), "%s", eb.msg);
	ck_assert_ptr_null(pd_pb_unpack(IREQ, buf, len, &eb));
	/* a small batch of them fits the floor */
	ck_assert_int_eq(pd_pb_decode(IREQ, buf, 200, &m, &eb), 0);
	ck_assert_uint_eq(((Peakdesk__V1__IngestRequest *)m)->n_events, 100);
	pd_pb_free(m);
	free(buf);
}
END_TEST

START_TEST(budget_passes_realistic_batch)
{
	size_t len;
	uint8_t *buf = realistic_batch(10000, &len);
	ProtobufCMessage *m, *m2;
	pd_errbuf eb;
	char *json;

	ck_assert_int_eq(pd_pb_decode(IREQ, buf, len, &m, &eb), 0);
	ck_assert_uint_eq(((Peakdesk__V1__IngestRequest *)m)->n_events, 10000);
	pd_pb_free(m);
	free(buf);

	/* JSON is ~3x larger: 3,000 such events fit PD_MAX_MSG_BYTES, and
	 * the JSON budget too */
	buf = realistic_batch(3000, &len);
	ck_assert_int_eq(pd_pb_decode(IREQ, buf, len, &m, &eb), 0);
	json = pd_pb_to_json(m);
	ck_assert_int_eq(pd_json_decode(IREQ, json, strlen(json), &m2, &eb), 0);
	pack_eq(m, m2);
	pd_pb_free(m2);
	free(json);
	pd_pb_free(m);
	free(buf);
}
END_TEST

START_TEST(oversized_protobuf_rejected)
{
	size_t len = PD_MAX_MSG_BYTES + 1;
	uint8_t *buf = calloc(1, len);
	ProtobufCMessage *m;
	pd_errbuf eb;

	ck_assert_int_eq(pd_pb_decode(IREQ, buf, len, &m, &eb), PD_ETOOBIG);
	ck_assert_ptr_null(m);
	ck_assert_ptr_null(pd_pb_unpack(IREQ, buf, len, &eb));
	ck_assert_msg(strstr(eb.msg, "limit"), "%s", eb.msg);
	free(buf);
}
END_TEST

START_TEST(canonicalize_drops_unknown)
{
	/* events { topic: "t" field 99: 5 } */
	static const uint8_t wire[] = { 0x0a, 0x06, 0x22, 0x01, 't', 0x98, 0x06, 0x05 };
	ProtobufCMessage *m;
	pd_errbuf eb;
	uint8_t *out;
	size_t len;

	ck_assert_int_eq(pd_pb_decode(IREQ, wire, sizeof(wire), &m, &eb), 0);
	out = pd_pb_pack(m, &len);
	ck_assert_uint_eq(len, sizeof(wire)); /* kept for forwarding */
	free(out);
	pd_pb_canonicalize(m);
	out = pd_pb_pack(m, &len);
	ck_assert_uint_eq(len, 5);
	free(out);
	pd_pb_free(m);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("codec");
	TCase *t = tcase_create("core");

	tcase_set_timeout(t, 60);
	tcase_add_test(t, utf8_table);
	tcase_add_test(t, envelope_order_round_trip);
	tcase_add_test(t, ingest_request_several_events);
	tcase_add_test(t, uuid_text_both_ways);
	tcase_add_test(t, enum_by_number);
	tcase_add_test(t, unknown_field_rejected);
	tcase_add_test(t, wrong_type_rejected);
	tcase_add_test(t, unknown_enum_rejected);
	tcase_add_test(t, integer_ranges);
	tcase_add_test(t, doubles);
	tcase_add_test(t, invalid_utf8_json_rejected);
	tcase_add_test(t, nul_rejected);
	tcase_add_test(t, two_oneof_members_rejected);
	tcase_add_test(t, deep_nesting_rejected);
	tcase_add_test(t, json_syntax);
	tcase_add_test(t, json_size_limits);
	tcase_add_test(t, truncated_protobuf_rejected);
	tcase_add_test(t, protobuf_bad_strings_rejected);
	tcase_add_test(t, check_strings_walks_tree);
	tcase_add_test(t, budget_rejects_tiny_submessages);
	tcase_add_test(t, budget_passes_realistic_batch);
	tcase_add_test(t, oversized_protobuf_rejected);
	tcase_add_test(t, canonicalize_drops_unknown);
	suite_add_tcase(s, t);
	return s;
}

PD_CHECK_MAIN(suite)
