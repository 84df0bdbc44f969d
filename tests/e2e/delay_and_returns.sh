#!/bin/sh
# Delay detection on the timer (once per episode, a new episode after a
# recovery) and the reverse-logistics workflow of a return, seen from psql
# and from a consumer of the bus.
. "$(dirname "$0")/../lib.sh"
pd_setup
# 0.001 h = 3.6 s without a scan makes a parcel late; check every 300 ms.
pd_start logistics PEAKDESK_LOGISTICS_NO_SCAN_HOURS=0.001 PEAKDESK_LOGISTICS_DELAY_CHECK_MS=300 || exit 1
pub() { "$BIN/peakdesk" publish --to logistics --quiet >"$WORK/pub.out" 2>&1; }
delayed() { psql_q "SELECT count(*) FROM bus.outbox WHERE topic = 'logistics.delayed'"; }


pub <<EOF2
{"eventId":"10000000-0000-4000-8000-000000000001","order":{"orderId":"D1","customer":{"phone":"13900000001","channel":"CHANNEL_KIND_WEBHOOK","account":"app","externalUserId":"u1"},"items":[{"sku":"SKU-TEA","name":"龙井茶","quantity":1}]}}
{"eventId":"10000000-0000-4000-8000-000000000002","shipmentUpdate":{"orderId":"D1","carrier":"jd","trackingNo":"JD1","state":"SHIPMENT_STATE_COLLECTED"}}
{"eventId":"10000000-0000-4000-8000-000000000003","shipmentUpdate":{"orderId":"D1","carrier":"jd","trackingNo":"JD2","state":"SHIPMENT_STATE_DELIVERED"}}
EOF2
eq "no delay right away" 0 "$(delayed)"
check "stalled parcel becomes late" wait_for "delayed" 20 sh -c "[ \"\$(psql '$PEAKDESK_DB' -XAtqc \"SELECT count(*) FROM bus.outbox WHERE topic = 'logistics.delayed'\")\" -ge 1 ]"
sleep 1.5
eq "exactly one delay event for the episode" 1 "$(delayed)"
eq "the delivered parcel never delays" 0 "$(psql_q "SELECT count(*) FROM logistics.shipments WHERE tracking_no = 'JD2' AND delay_episodes > 0")"
eq "shipment row records the open episode" "t|1" "$(psql_q "SELECT delay_open, delay_episodes FROM logistics.shipments WHERE tracking_no = 'JD1'")"

# A fresh scan ends the episode; stalling again opens episode 2.
pub <<EOF2
{"eventId":"10000000-0000-4000-8000-000000000004","trackingScan":{"carrier":"jd","trackingNo":"JD1","scannedAtMs":"$(($(date +%s) * 1000))","description":"快件已到达【上海转运中心】","areaName":"上海"}}
EOF2
eq "scan closes the episode" "f" "$(psql_q "SELECT delay_open FROM logistics.shipments WHERE tracking_no = 'JD1'")"
check "a second stall opens episode 2" wait_for "episode 2" 20 sh -c "[ \"\$(psql '$PEAKDESK_DB' -XAtqc \"SELECT delay_episodes FROM logistics.shipments WHERE tracking_no = 'JD1'\")\" = 2 ]"
eq "two delay events in all" 2 "$(delayed)"

# A return through its workflow; an impossible step is rejected.
pub <<EOF2
{"eventId":"10000000-0000-4000-8000-000000000010","returnUpdate":{"returnId":"R1","orderId":"D1","state":"RETURN_STATE_REQUESTED","reason":"颜色与描述不符"}}
{"eventId":"10000000-0000-4000-8000-000000000011","returnUpdate":{"returnId":"R1","orderId":"D1","state":"RETURN_STATE_APPROVED"}}
{"eventId":"10000000-0000-4000-8000-000000000012","returnUpdate":{"returnId":"R1","orderId":"D1","state":"RETURN_STATE_PARCEL_SENT","carrier":"sf","trackingNo":"SFR1"}}
{"eventId":"10000000-0000-4000-8000-000000000013","returnUpdate":{"returnId":"R1","orderId":"D1","state":"RETURN_STATE_REFUNDED","refundCents":"8800"}}
EOF2
check "the skipped steps are rejected" grep -q 'ACK_STATUS_REJECTED' "$WORK/pub.out"
eq "return stands at parcel_sent" "parcel_sent" "$(psql_q "SELECT state FROM logistics.returns WHERE return_id = 'R1'")"
eq "three steps recorded" 3 "$(psql_q "SELECT count(*) FROM logistics.return_steps WHERE return_id = 'R1'")"
"$BIN/peakdesk" tail --name returns-check --topic logistics.return_updated --out "$WORK/ret.jsonl" --count 3 >/dev/null 2>&1 &
TP=$!
wait_for "tail" 20 sh -c "[ \$(wc -l <'$WORK/ret.jsonl' 2>/dev/null || echo 0) -ge 3 ]"
kill $TP 2>/dev/null; wait $TP 2>/dev/null
eq "three return_updated events on the bus" 3 "$(wc -l <"$WORK/ret.jsonl" | tr -d ' ')"
check "they carry the customer from the order" grep -q '"externalUserId":"u1"' "$WORK/ret.jsonl"
pd_done
