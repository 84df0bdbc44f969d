#!/bin/sh
# "Where is my parcel?" answered from live facts: the logistics service
# knows the shipment, the customer's message names the order, the router's
# rule picks the tracking-status template, and the gateway delivers the
# answer to the channel before any agent touches the ticket. A ticket a
# machine answered waits on the customer and closes itself after a quiet
# period (15 s here); the customer's next message sends it to an agent.
. "$(dirname "$0")/../lib.sh"
pd_setup
SECRET=webchat-secret-0123456789
PORT=$(free_port)
python3 "$ROOT/tests/tools/http_receiver.py" "$PORT" "$WORK/hook.jsonl" &
PIDS="$PIDS $!"
"$BIN/peakdesk" account add --channel webhook --name webchat --secret "$SECRET" --url "http://127.0.0.1:$PORT/hook" >/dev/null
pd_start logistics PEAKDESK_LOGISTICS_NO_SCAN_HOURS=0.001 PEAKDESK_LOGISTICS_DELAY_CHECK_MS=300 || exit 1
pd_start gateway PEAKDESK_GATEWAY_DELIVERY_TICK_MS=100 || exit 1
pd_start router PEAKDESK_ROUTER_AUTO_CLOSE_MINUTES=0.25 PEAKDESK_ROUTER_SLA_CHECK_MS=200 || exit 1
scan_ms=$(( ($(date +%s) - 3600) * 1000 ))
"$BIN/peakdesk" publish --to logistics --quiet >/dev/null 2>&1 <<JSON
{"eventId":"20000000-0000-4000-8000-000000000001","order":{"orderId":"PD2411110002","customer":{"channel":"CHANNEL_KIND_WEBHOOK","account":"webchat","externalUserId":"buyer"},"items":[{"sku":"SKU-1","quantity":1}]}}
{"eventId":"20000000-0000-4000-8000-000000000002","shipmentUpdate":{"orderId":"PD2411110002","carrier":"yunda","trackingNo":"YD431200241102","state":"SHIPMENT_STATE_COLLECTED"}}
{"eventId":"20000000-0000-4000-8000-000000000003","trackingScan":{"carrier":"yunda","trackingNo":"YD431200241102","scannedAtMs":"$scan_ms","description":"快件已到达【义乌转运中心】","state":"SHIPMENT_STATE_IN_TRANSIT"}}
JSON
say() { webhook_say "$@" >/dev/null; }
say buyer m1 '我的订单PD2411110002到哪了？'
check "an automatic answer reaches the customer" wait_for "auto" 30 sh -c "grep -q 'YD431200241102' '$WORK/hook.jsonl' 2>/dev/null"
check "with the parcel's real state and last scan" sh -c "grep -q '运输中' '$WORK/hook.jsonl' && grep -q '义乌转运中心' '$WORK/hook.jsonl'"
eq "sent as an auto-reply" 1 "$(psql_q "SELECT count(*) FROM gateway.outbound_messages WHERE reason = 2")"
eq "the progress page shows it" 1 "$(curl -s "http://$(http_addr gateway)/v1/track/$(psql_q "SELECT public_id FROM router.tickets")" | grep -o '"kind":"auto_reply"' | wc -l | tr -d ' ')"
eq "the first-response clock still waits for a person" t "$(psql_q "SELECT first_response_at IS NULL FROM router.tickets")"
eq "answered by a machine: the ticket waits on the customer, no agent, no SLA clock" "pending_customer||true" \
  "$(psql_q "SELECT status || '|' || agent_id || '|' || (first_response_due IS NULL) FROM router.tickets")"
say buyer m2 '到底到哪了？'
sleep 2
eq "asking again within minutes is not answered twice by a machine" 1 "$(psql_q "SELECT count(*) FROM gateway.outbound_messages WHERE reason = 2")"
eq "the next message sends it to a person: open, first-response clock running" "open|true" \
  "$(psql_q "SELECT status || '|' || (first_response_due IS NOT NULL) FROM router.tickets")"
say other m3 '我的快递到哪了'
sleep 2
eq "no shipment known: no vague auto-reply" 1 "$(psql_q "SELECT count(*) FROM gateway.outbound_messages WHERE reason = 2")"
# The parcel stalls (no scan for 3.6 s in this test): the customer is told
# before they ask, once.
check "a proactive delay notice reaches the customer" wait_for "notice" 30 sh -c "grep -q '比预期慢' '$WORK/hook.jsonl' 2>/dev/null"
sleep 1
eq "sent once, as a proactive notice" 1 "$(psql_q "SELECT count(*) FROM gateway.outbound_messages WHERE reason = 3")"
eq "recorded for the order's delay episode" "PD2411110002|delay|1" "$(psql_q "SELECT order_id || '|' || kind || '|' || episode FROM router.proactive_notices")"

# The customer returns the item: every step of the return shows on the page
# of the ticket that mentions the order.
"$BIN/peakdesk" publish --to logistics --quiet >/dev/null 2>&1 <<JSON
{"eventId":"20000000-0000-4000-8000-000000000011","returnUpdate":{"returnId":"RT1","orderId":"PD2411110002","state":"RETURN_STATE_REQUESTED","reason":"不想要了"}}
{"eventId":"20000000-0000-4000-8000-000000000012","returnUpdate":{"returnId":"RT1","orderId":"PD2411110002","state":"RETURN_STATE_APPROVED"}}
{"eventId":"20000000-0000-4000-8000-000000000013","returnUpdate":{"returnId":"RT1","orderId":"PD2411110002","state":"RETURN_STATE_PARCEL_SENT"}}
JSON
TRACK="http://$(http_addr gateway)/v1/track/$(ticket_of buyer public_id)"
check "the return's three steps appear on the customer's page" wait_for "steps" 20 sh -c "[ \$(curl -s '$TRACK' | grep -o '\"kind\":\"workflow_step\"' | wc -l) -eq 3 ]"
# A customer satisfied by the automatic answer stays quiet: closed by itself.
"$BIN/peakdesk" publish --to logistics --quiet >/dev/null 2>&1 <<JSON
{"eventId":"20000000-0000-4000-8000-000000000021","order":{"orderId":"PD2411110003","customer":{"channel":"CHANNEL_KIND_WEBHOOK","account":"webchat","externalUserId":"quiet"},"items":[{"sku":"SKU-1","quantity":1}]}}
{"eventId":"20000000-0000-4000-8000-000000000022","shipmentUpdate":{"orderId":"PD2411110003","carrier":"sf","trackingNo":"SF1234567890123","state":"SHIPMENT_STATE_IN_TRANSIT"}}
JSON
say quiet q1 '订单PD2411110003到哪了'
check "answered automatically" wait_for "quiet answered" 30 sh -c "grep -q 'SF1234567890123' '$WORK/hook.jsonl' 2>/dev/null"
check "closed by itself after the quiet period" wait_for "auto-closed" 40 ticket_has quiet "status = 'resolved' AND auto_closed"
check "announced as resolved without an agent" sh -c "[ \$(psql '$PEAKDESK_DB' -XAtqc \"SELECT count(*) FROM bus.outbox WHERE topic = 'ticket.resolved'\") = 1 ]"
"$BIN/peakdesk" tail --name autoclose-check --topic ticket.resolved --out "$WORK/resolved.jsonl" --count 1 >/dev/null 2>&1 &
TP=$!
wait_for "tail" 20 sh -c "[ \$(wc -l <'$WORK/resolved.jsonl' 2>/dev/null || echo 0) -ge 1 ]"
kill $TP 2>/dev/null; wait $TP 2>/dev/null
check "marked autoClosed (no survey for it)" grep -q '"autoClosed":true' "$WORK/resolved.jsonl"
pd_done
