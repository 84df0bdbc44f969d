#!/bin/sh
# A department that never saw our code: Google's protoc builds an
# IngestRequest from text format, nngcat sends it to the logistics ingest
# socket, protoc decodes the ack, psql finds the rows.
. "$(dirname "$0")/../lib.sh"
pd_setup
pd_start logistics || exit 1

cat >"$WORK/req.txt" <<'TXT'
events {
  event_id: "\x6f\x1c\x2a\x10\x00\x01\x40\x00\x80\x00\x00\x00\x00\x00\x00\x01"
  topic: "logistics.order"
  occurred_at_ms: 1794412800000
  order {
    order_id: "D11-000001"
    customer { phone: "13800138000" channel: CHANNEL_KIND_WECHAT account: "shop-main" external_user_id: "oX-abc" }
    items { sku: "SKU-MUG-01" name: "陶瓷马克杯" quantity: 2 unit_price_cents: 3900 }
    status: ORDER_STATUS_AWAITING
    version: 1
  }
}
events {
  event_id: "\x6f\x1c\x2a\x10\x00\x01\x40\x00\x80\x00\x00\x00\x00\x00\x00\x02"
  shipment_update { order_id: "D11-000001" carrier: "yuantong" tracking_no: "YT900001" state: SHIPMENT_STATE_COLLECTED }
}
events {
  event_id: "\x6f\x1c\x2a\x10\x00\x01\x40\x00\x80\x00\x00\x00\x00\x00\x00\x03"
  shipment_update { order_id: "D11-000001" carrier: "yuantong" tracking_no: "YT900001" state: SHIPMENT_STATE_CREATED }
}
TXT
protoc -I"$ROOT/proto" --encode=peakdesk.v1.IngestRequest bus.proto <"$WORK/req.txt" >"$WORK/req.bin"
check "protoc --encode built the request" test -s "$WORK/req.bin"

nngcat_req "ipc://$PEAKDESK_RUN_DIR/logistics.ingest" "$WORK/req.bin" "$WORK/reply.bin"
check "nngcat got a reply" test -s "$WORK/reply.bin"
protoc -I"$ROOT/proto" --decode=peakdesk.v1.IngestReply bus.proto <"$WORK/reply.bin" >"$WORK/reply.txt"
check "protoc --decode read the reply" test -s "$WORK/reply.txt"
eq "three acks" 3 "$(grep -c 'status:' "$WORK/reply.txt")"
if [ "$NNGCAT_RESENT" = 1 ]; then
  eq "order and shipment acknowledged (accepted on a re-send by nngcat)" 2 "$(grep -cE 'ACK_STATUS_(ACCEPTED|DUPLICATE)' "$WORK/reply.txt")"
else
  eq "order and shipment accepted" 2 "$(grep -c 'ACK_STATUS_ACCEPTED' "$WORK/reply.txt")"
fi
eq "backwards transition rejected" 1 "$(grep -c 'ACK_STATUS_REJECTED' "$WORK/reply.txt")"
check "reject reason names the transition" grep -q 'collected -> created' "$WORK/reply.txt"

eq "psql finds the order" "D11-000001|2|shipped" \
  "$(psql_q "SELECT o.order_id, i.quantity, o.status FROM logistics.orders o JOIN logistics.order_items i USING (order_id)")"
eq "psql finds the shipment collected" "collected" "$(psql_q "SELECT state FROM logistics.shipments WHERE tracking_no = 'YT900001'")"
eq "the product name kept its UTF-8" "陶瓷马克杯" "$(psql_q "SELECT name FROM logistics.order_items")"

# The same bytes again: duplicates, nothing stored twice.
nngcat_req "ipc://$PEAKDESK_RUN_DIR/logistics.ingest" "$WORK/req.bin" "$WORK/reply2.bin"
protoc -I"$ROOT/proto" --decode=peakdesk.v1.IngestReply bus.proto <"$WORK/reply2.bin" >"$WORK/reply2.txt"
eq "re-sent events are duplicates" 2 "$(grep -c 'ACK_STATUS_DUPLICATE' "$WORK/reply2.txt")"
eq "one order row" 1 "$(psql_q "SELECT count(*) FROM logistics.orders")"
eq "one shipment_updated in the outbox" 1 "$(psql_q "SELECT count(*) FROM bus.outbox WHERE topic = 'logistics.shipment_updated'")"

# Garbage bytes: a clear whole-request error, and the socket still serves.
printf 'this is not protobuf\377\377\377' >"$WORK/junk.bin"
nngcat_req "ipc://$PEAKDESK_RUN_DIR/logistics.ingest" "$WORK/junk.bin" "$WORK/reply3.bin"
protoc -I"$ROOT/proto" --decode=peakdesk.v1.IngestReply bus.proto <"$WORK/reply3.bin" >"$WORK/reply3.txt"
check "undecodable request answered with an error" grep -q 'error: "undecodable IngestRequest' "$WORK/reply3.txt"
pd_done
