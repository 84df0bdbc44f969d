#!/bin/sh
# Bad input gets a clear error and changes nothing; the service keeps
# answering. Over HTTP (POST /v1/ingest) and over the NNG ingest socket.
. "$(dirname "$0")/../lib.sh"
pd_setup
pd_start logistics || exit 1
URL="http://$(http_addr logistics)/v1/ingest"
ING="ipc://$PEAKDESK_RUN_DIR/logistics.ingest"

post() { # post FILE -> "STATUS BODY"
  curl -sS -o "$WORK/resp" -w '%{http_code}' -H 'Content-Type: application/json' --data-binary "@$1" "$URL"
  printf ' '; cat "$WORK/resp"
}
stored() { psql_q "SELECT (SELECT count(*) FROM logistics.ingest_log) + (SELECT count(*) FROM logistics.orders) + (SELECT count(*) FROM logistics.shipments) + (SELECT count(*) FROM bus.outbox)"; }
is_json_error() { echo "$1" | python3 -c 'import json,sys; d=json.loads(sys.stdin.read().split(" ",1)[1]); sys.exit(0 if d.get("error") and "detail" in d else 1)'; }

printf '{"events":[{"eventId":"00000000-0000-4000-8000-000000000001","order":{"orderId":"X","items":[{"sku":"S","quantity":"two"}]}}]}' >"$WORK/wrongtype.json"
r=$(post "$WORK/wrongtype.json")
eq "wrong JSON type -> 422" 422 "${r%% *}"
check "wrong type error is JSON with error and detail" is_json_error "$r"
check "detail names the field" sh -c "echo '$r' | grep -q 'quantity'"

printf '{"events":[{"eventId":"00000000-0000-4000-8000-000000000002","shipmentUpdate":{"carrier":"sf","trackingNo":"1","state":"SHIPMENT_STATE_TELEPORTED"}}]}' >"$WORK/enum.json"
r=$(post "$WORK/enum.json")
eq "unknown enum value -> 422" 422 "${r%% *}"
check "enum error names the value" sh -c "echo '$r' | grep -q 'TELEPORTED'"

printf '{"events":[{"eventId":"00000000-0000-4000-8000-000000000003","order":{"orderId":"\377\376bad","items":[{"sku":"S","quantity":1}]}}]}' >"$WORK/utf8.json"
r=$(post "$WORK/utf8.json")
eq "invalid UTF-8 -> 400" 400 "${r%% *}"
check "invalid UTF-8 error is JSON" is_json_error "$r"

printf '{"events":[{"eventId":"00000000-0000-4000-8000-000000000004","order":{"orderId":"Y","items":[{"sku":"S","quantity":1}]}}' >"$WORK/truncated.json"
r=$(post "$WORK/truncated.json")
eq "truncated JSON -> 400" 400 "${r%% *}"

python3 -c 'print("{\"events\":[" + "[" * 10000 + "]" * 10000 + "]}")' >"$WORK/deep.json"
r=$(post "$WORK/deep.json")
eq "10k-deep nesting -> 400" 400 "${r%% *}"

python3 -c 'print("{\"events\":[{\"order\":{\"orderId\":\"" + "x" * (5 << 20) + "\"}}]}")' >"$WORK/big.json"
r=$(post "$WORK/big.json")
eq "body over the limit -> 413" 413 "${r%% *}"

printf '{"events":[{"eventId":"00000000-0000-4000-8000-000000000005","order":{"orderId":"Z","items":[{"sku":"S","quantity":0}]}}]}' >"$WORK/invalid.json"
r=$(post "$WORK/invalid.json")
eq "invalid value is a per-event REJECTED ack (200)" 200 "${r%% *}"
check "the ack says what to fix" sh -c "echo '$r' | grep -q 'ACK_STATUS_REJECTED' && echo '$r' | grep -q 'quantity must be >= 1'"

r=$(curl -sS -o /dev/null -w '%{http_code}' -H 'Content-Type: text/plain' --data 'x' "$URL")
eq "wrong content type -> 415" 415 "$r"
r=$(curl -sS -o /dev/null -w '%{http_code}' "http://$(http_addr logistics)/v1/nothing")
eq "unknown path -> 404" 404 "$r"

# Over NNG: a truncated protobuf (a valid request cut in half) and a deep
# nest of length-delimited fields.
cat >"$WORK/ok.txt" <<'TXT'
events { event_id: "\x6f\x1c\x2a\x10\x00\x01\x40\x00\x80\x00\x00\x00\x00\x00\x00\x09"
  order { order_id: "CUT-1" items { sku: "SKU-1" quantity: 1 } } }
TXT
protoc -I"$ROOT/proto" --encode=peakdesk.v1.IngestRequest bus.proto <"$WORK/ok.txt" >"$WORK/ok.bin"
head -c $(( $(wc -c <"$WORK/ok.bin") / 2 )) "$WORK/ok.bin" >"$WORK/cut.bin"
nngcat_req "$ING" "$WORK/cut.bin" "$WORK/cut.reply"
protoc -I"$ROOT/proto" --decode=peakdesk.v1.IngestReply bus.proto <"$WORK/cut.reply" >"$WORK/cut.txt"
check "truncated protobuf -> error reply" grep -q 'error: "undecodable IngestRequest' "$WORK/cut.txt"
python3 -c '
import sys
# field 1 (events), length-delimited, nested 10,000 times
b = b""
for _ in range(10000):
    n = len(b); v = bytearray()
    while True:
        x = n & 0x7f; n >>= 7
        v.append(x | (0x80 if n else 0))
        if not n: break
    b = b"\x0a" + bytes(v) + b
sys.stdout.buffer.write(b)' >"$WORK/deep.bin"
nngcat_req "$ING" "$WORK/deep.bin" "$WORK/deep.reply"
protoc -I"$ROOT/proto" --decode=peakdesk.v1.IngestReply bus.proto <"$WORK/deep.reply" >"$WORK/deep.txt"
check "10k-deep protobuf -> a reply, no crash" test -s "$WORK/deep.reply"
check "and it is a rejection" sh -c "grep -q 'error:' '$WORK/deep.txt' || grep -q ACK_STATUS_REJECTED '$WORK/deep.txt'"

eq "nothing was stored by any of it" 0 "$(stored)"
check "service still answers /healthz" curl -fsS -o /dev/null "http://$(http_addr logistics)/healthz"
printf '{"events":[{"eventId":"00000000-0000-4000-8000-000000000006","order":{"orderId":"GOOD","items":[{"sku":"S","quantity":1}]}}]}' >"$WORK/good.json"
r=$(post "$WORK/good.json")
check "and still ingests a good event" sh -c "echo '$r' | grep -q ACK_STATUS_ACCEPTED"
eq "which is stored" 1 "$(psql_q "SELECT count(*) FROM logistics.orders WHERE order_id = 'GOOD'")"

# The same event id twice in one request (a sender's retry glued on): the
# first is applied, the second acknowledged as a duplicate, in order.
printf '{"events":[%s,%s,%s]}' \
  '{"eventId":"00000000-0000-4000-8000-0000000000a1","order":{"orderId":"DUP-1","items":[{"sku":"S","quantity":1}]}}' \
  '{"eventId":"00000000-0000-4000-8000-0000000000a2","order":{"orderId":"DUP-2","items":[{"sku":"S","quantity":1}]}}' \
  '{"eventId":"00000000-0000-4000-8000-0000000000a1","order":{"orderId":"DUP-1","items":[{"sku":"S","quantity":2}]}}' >"$WORK/dup.json"
r=$(post "$WORK/dup.json")
eq "acks in order: accepted, accepted, duplicate" "ACK_STATUS_ACCEPTED ACK_STATUS_ACCEPTED ACK_STATUS_DUPLICATE" \
  "$(echo "$r" | grep -o 'ACK_STATUS_[A-Z]*' | tr '\n' ' ' | sed 's/ $//')"
eq "the first copy is what was stored" 1 "$(psql_q "SELECT quantity FROM logistics.order_items WHERE order_id = 'DUP-1'")"
pd_done
