#!/bin/sh
# The supply department reports stock levels; a stock-out lists every
# unshipped order containing the SKU exactly once (also when the stock
# service is killed while applying it), a late ETA re-notifies the same
# orders, a restock ends the episode, out-of-order reports end at the newest
# level, low stock warns once per dip, and bad reports are refused whole.
. "$(dirname "$0")/../lib.sh"
pd_setup
pd_start logistics || exit 1
pd_start stock || exit 1
pub() { "$BIN/peakdesk" publish --to "$1" --quiet >"$WORK/pub.out" 2>&1; }
topic_count() { psql_q "SELECT count(*) FROM bus.outbox WHERE topic = '$1'"; }
now_ms=$(($(date +%s) * 1000))

# 10,000 unshipped orders with the SKU (plus a shipped and a cancelled one,
# and one for another SKU), published by logistics like any department.
python3 - "$WORK/orders.jsonl" <<'PY'
import json, sys, time
with open(sys.argv[1], "w") as f:
    for i in range(10000):
        f.write(json.dumps({"order": {"orderId": "SO%05d" % i, "orderedAtMs": str(int(time.time() * 1000) - 60000), "status": "ORDER_STATUS_AWAITING" if i % 2 else "ORDER_STATUS_ALLOCATED",
            "warehouse": "HZ1" if i % 3 else "",
            "customer": {"customerId": "c%d" % i, "channel": "CHANNEL_KIND_WEBHOOK", "account": "app", "externalUserId": "u%d" % i},
            "items": [{"sku": "SKU-PHONE", "name": "星光手机 256G", "quantity": 1 + i % 2}]}}) + "\n")
    for oid, st in (("SHIPPED1", "ORDER_STATUS_SHIPPED"), ("CANCEL1", "ORDER_STATUS_CANCELLED")):
        f.write(json.dumps({"order": {"orderId": oid, "status": st, "items": [{"sku": "SKU-PHONE", "quantity": 1}]}}) + "\n")
    f.write(json.dumps({"order": {"orderId": "OTHER1", "items": [{"sku": "SKU-CASE", "quantity": 1}]}}) + "\n")
PY
check "10,003 orders accepted by logistics" "$BIN/peakdesk" publish --to logistics --quiet --batch 2000 "$WORK/orders.jsonl"
eq "orders stored" 10003 "$(psql_q "SELECT count(*) FROM logistics.orders")"

level() { # event_id sku warehouse available version [extra json]
  printf '{"eventId":"%s","occurredAtMs":"%s","stockLevel":{"sku":"%s","warehouse":"%s","skuName":"星光手机 256G","onHand":"%s","reserved":"0","available":"%s","version":"%s"%s}}\n' \
    "$1" "$now_ms" "$2" "$3" "$4" "$4" "$5" "${6:-}"
}

# Levels first; then the stock-out, while the service is killed mid-way.
level 20000000-0000-4000-8000-000000000001 SKU-PHONE HZ1 500 1 ',"lowStockThreshold":"100"' | pub stock
eq "level stored" "500|1" "$(psql_q "SELECT available, version FROM stock.levels WHERE sku = 'SKU-PHONE'")"
level 20000000-0000-4000-8000-000000000002 SKU-PHONE HZ1 0 2 ',"restockEtaMs":"'$((now_ms + 86400000))'"' >"$WORK/out.jsonl"
"$BIN/peakdesk" publish --to stock --quiet "$WORK/out.jsonl" >/dev/null 2>&1 &
sleep 0.05
kill -9 "$PID_stock" 2>/dev/null
wait "$PID_stock" 2>/dev/null
pd_start stock || exit 1
check "resending the stock-out is accepted (or a duplicate)" "$BIN/peakdesk" publish --to stock --quiet "$WORK/out.jsonl"
eq "exactly one shortage event" 1 "$(topic_count stock.shortage)"
eq "the episode lists all 10,000 unshipped orders once" "1|10000" "$(psql_q "SELECT episode, orders FROM stock.shortages WHERE sku = 'SKU-PHONE'")"
eq "shipped and cancelled orders are not listed" 0 "$(psql_q "SELECT count(*) FROM stock.shortage_orders WHERE order_id IN ('SHIPPED1','CANCEL1','OTHER1')")"
"$BIN/peakdesk" tail --name stock-check --topic stock.shortage --out "$WORK/short.jsonl" --count 1 >/dev/null 2>&1 &
TP=$!
wait_for "tail" 20 sh -c "[ \$(wc -l <'$WORK/short.jsonl' 2>/dev/null || echo 0) -ge 1 ]"
kill $TP 2>/dev/null; wait $TP 2>/dev/null
eq "the event on the bus carries 10,000 orders with their customers" "10000 10000 1/1" "$(python3 -c '
import json,sys
e=json.loads(open(sys.argv[1]).readline()); s=e["stockShortage"]
print(len(s["orders"]), len({o["customer"]["externalUserId"] for o in s["orders"]}), "%d/%d" % (s["part"], s["parts"]))' "$WORK/short.jsonl")"

# Still out, ETA moves later: the same orders hear again; earlier: nothing.
level 20000000-0000-4000-8000-000000000003 SKU-PHONE HZ1 0 3 ',"restockEtaMs":"'$((now_ms + 3 * 86400000))'"' | pub stock
eq "a later ETA re-sends the shortage" 2 "$(topic_count stock.shortage)"
eq "recorded as an ETA update of episode 1" "1|1" "$(psql_q "SELECT count(*), max(eta_updates) FROM stock.shortages")"
level 20000000-0000-4000-8000-000000000004 SKU-PHONE HZ1 0 4 ',"restockEtaMs":"'$((now_ms + 2 * 86400000))'"' | pub stock
eq "an earlier ETA does not" 2 "$(topic_count stock.shortage)"
eta_ms() { psql_q "SELECT (extract(epoch FROM restock_eta) * 1000)::bigint FROM stock.levels WHERE sku = '$1' AND warehouse = '$2'"; }
eq "but the level holds the earlier ETA" "$((now_ms + 2 * 86400000))" "$(eta_ms SKU-PHONE HZ1)"
# Later than the stored ETA, though earlier than the one announced last:
# customers hear again (the rule compares with the level's ETA).
level 20000000-0000-4000-8000-000000000005 SKU-PHONE HZ1 0 5 ',"restockEtaMs":"'$((now_ms + 2 * 86400000 + 43200000))'"' | pub stock
eq "an ETA later than the stored one re-sends the shortage" 3 "$(topic_count stock.shortage)"
eq "recorded as the second ETA update, the level holds it" "2|$((now_ms + 2 * 86400000 + 43200000))" \
  "$(psql_q "SELECT eta_updates FROM stock.shortages WHERE sku = 'SKU-PHONE' AND episode = 1")|$(eta_ms SKU-PHONE HZ1)"

# Out of order: version 7 arrives before version 6; 7 stays.
level 20000000-0000-4000-8000-000000000007 SKU-PHONE HZ1 300 7 ',"lowStockThreshold":"100"' | pub stock
level 20000000-0000-4000-8000-000000000006 SKU-PHONE HZ1 0 6 ',"lowStockThreshold":"100"' | pub stock
eq "the newest version wins" "300|7|f" "$(psql_q "SELECT available, version, shortage_open FROM stock.levels WHERE sku = 'SKU-PHONE'")"
eq "the restock ended the episode once" "1" "$(topic_count stock.restocked)"
check "restocked_at recorded" test "$(psql_q "SELECT restocked_at IS NOT NULL FROM stock.shortages WHERE episode = 1")" = t
eq "the stale zero did not open an episode" 3 "$(topic_count stock.shortage)"

# A periodic full sync resends the same numbers under a newer version: the
# version moves, nobody is told anything changed.
changed_before=$(topic_count stock.level_changed)
level 20000000-0000-4000-8000-000000000015 SKU-PHONE HZ1 300 8 ',"lowStockThreshold":"100"' | pub stock
eq "same numbers, newer version: stored, no level_changed" "8|$changed_before" "$(psql_q "SELECT version FROM stock.levels WHERE sku = 'SKU-PHONE' AND warehouse = 'HZ1'")|$(topic_count stock.level_changed)"

# Several reports of one SKU and warehouse in one request, in any order:
# the newest wins, one stock.level_changed carries it (with the name given
# earlier in the same request), and the stock-out it shows is one episode,
# announced once; the stale and the intermediate reports are accepted.
lamp() { # event_id version available [extra json]
  printf '{"eventId":"%s","occurredAtMs":"%s","stockLevel":{"sku":"SKU-LAMP","warehouse":"HZ1","onHand":"%s","available":"%s","version":"%s"%s}}\n' \
    "$1" "$now_ms" "$3" "$3" "$2" "${4:-}"
}
changed0=$(topic_count stock.level_changed) short0=$(topic_count stock.shortage)
{ lamp 20000000-0000-4000-8000-000000000301 3 0 ',"restockEtaMs":"'$((now_ms + 86400000))'"'
  lamp 20000000-0000-4000-8000-000000000302 1 40 ',"skuName":"护眼台灯"'
  lamp 20000000-0000-4000-8000-000000000303 4 0 ',"restockEtaMs":"'$((now_ms + 2 * 86400000))'"'
  lamp 20000000-0000-4000-8000-000000000304 2 10
  lamp 20000000-0000-4000-8000-000000000302 1 40 ',"skuName":"护眼台灯"'
} >"$WORK/lamp.jsonl"
"$BIN/peakdesk" publish --to stock "$WORK/lamp.jsonl" >"$WORK/lamp.out" 2>&1
eq "one request, five acks: four accepted, the repeated event id a duplicate" "4|1" \
  "$(grep -c ACK_STATUS_ACCEPTED "$WORK/lamp.out")|$(grep -c ACK_STATUS_DUPLICATE "$WORK/lamp.out")"
eq "the newest report is stored" "4|0|true|1|$((now_ms + 2 * 86400000))" \
  "$(psql_q "SELECT version || '|' || available || '|' || shortage_open || '|' || episodes FROM stock.levels WHERE sku = 'SKU-LAMP'")|$(eta_ms SKU-LAMP HZ1)"
eq "one stock.level_changed and one stock.shortage for the request" "$((changed0 + 1))|$((short0 + 1))" \
  "$(topic_count stock.level_changed)|$(topic_count stock.shortage)"
"$BIN/peakdesk" tail --name lamp-check --topic stock.level_changed --out "$WORK/changed.jsonl" --count "$((changed0 + 1))" >/dev/null 2>&1 &
TP=$!
wait_for "tail" 20 sh -c "[ \$(wc -l <'$WORK/changed.jsonl' 2>/dev/null || echo 0) -ge $((changed0 + 1)) ]"
kill $TP 2>/dev/null; wait $TP 2>/dev/null
eq "it carries the newest level and the SKU's name" "SKU-LAMP 4 0 护眼台灯" "$(python3 -c '
import json,sys
for line in open(sys.argv[1]):
    l=json.loads(line)["stockLevel"]
    if l["sku"] == "SKU-LAMP": print(l["sku"], l["version"], l.get("available", "0"), l["skuName"])' "$WORK/changed.jsonl")"
{ lamp 20000000-0000-4000-8000-000000000305 5 0 ',"restockEtaMs":"'$((now_ms + 2 * 86400000))'"'
  lamp 20000000-0000-4000-8000-000000000301 3 0
  lamp 20000000-0000-4000-8000-000000000306 6 0 ',"restockEtaMs":"'$((now_ms + 86400000))'"'
} | pub stock
eq "then still out with an earlier ETA (and a resent report): no new shortage" "$((short0 + 1))|1" \
  "$(topic_count stock.shortage)|$(psql_q "SELECT episodes FROM stock.levels WHERE sku = 'SKU-LAMP'")"

# Low stock: one warning per dip below the threshold.
level 20000000-0000-4000-8000-000000000008 SKU-PHONE HZ1 90 9 ',"lowStockThreshold":"100"' | pub stock
level 20000000-0000-4000-8000-000000000009 SKU-PHONE HZ1 80 10 ',"lowStockThreshold":"100"' | pub stock
eq "one low-stock warning for the dip" 1 "$(topic_count stock.low)"
level 20000000-0000-4000-8000-000000000010 SKU-PHONE HZ1 150 11 ',"lowStockThreshold":"100"' | pub stock
level 20000000-0000-4000-8000-000000000011 SKU-PHONE HZ1 60 12 ',"lowStockThreshold":"100"' | pub stock
eq "a new dip warns again" 2 "$(topic_count stock.low)"
# No own threshold: the last hour's sales (10,000 orders x 1.5 units) are it.
level 20000000-0000-4000-8000-000000000012 SKU-PHONE SH2 20000 1 | pub stock
level 20000000-0000-4000-8000-000000000013 SKU-PHONE SH2 14000 2 | pub stock
eq "below an hour of sales warns" 3 "$(topic_count stock.low)"
# With the sales cache off every batch asks for the last hour's sales, and
# uses what it got.
kill "$PID_stock" 2>/dev/null
wait "$PID_stock" 2>/dev/null
pd_start stock PEAKDESK_STOCK_SALES_CACHE_MS=0 || exit 1
level 20000000-0000-4000-8000-000000000014 SKU-PHONE GZ3 20000 1 | pub stock
level 20000000-0000-4000-8000-000000000016 SKU-PHONE GZ3 14000 2 | pub stock
eq "also with PEAKDESK_STOCK_SALES_CACHE_MS=0" 4 "$(topic_count stock.low)"

# Bad reports are rejected with a reason and change nothing.
before=$(psql_q "SELECT count(*) FROM bus.outbox")
printf '%s\n' \
 '{"eventId":"20000000-0000-4000-8000-000000000100","occurredAtMs":"'$now_ms'","stockLevel":{"sku":"SKU-NEW","warehouse":"HZ1","onHand":"5","available":"5","version":"1"}}' \
 '{"eventId":"20000000-0000-4000-8000-000000000101","occurredAtMs":"'$now_ms'","stockLevel":{"sku":"SKU-PHONE","warehouse":"HZ1","onHand":"-5","version":"99"}}' \
 '{"eventId":"20000000-0000-4000-8000-000000000102","stockLevel":{"sku":"SKU-PHONE","warehouse":"HZ1","onHand":"5"}}' \
 '{"eventId":"20000000-0000-4000-8000-000000000103","occurredAtMs":"'$now_ms'","stockLevel":{"sku":"SKU-PHONE","warehouse":"HZ1","onHand":"5","available":"9","version":"99"}}' \
 >"$WORK/bad.jsonl"
"$BIN/peakdesk" publish --to stock "$WORK/bad.jsonl" >"$WORK/bad.out" 2>&1
eq "four rejections" 4 "$(grep -c ACK_STATUS_REJECTED "$WORK/bad.out")"
check "unknown SKU named" grep -q 'unknown SKU SKU-NEW' "$WORK/bad.out"
check "negative stock named" grep -q 'negative stock' "$WORK/bad.out"
check "missing version named" grep -q 'version or the envelope' "$WORK/bad.out"
eq "nothing stored or emitted" "$before|60" "$(psql_q "SELECT count(*) FROM bus.outbox")|$(psql_q "SELECT available FROM stock.levels WHERE sku = 'SKU-PHONE' AND warehouse = 'HZ1'")"

# The same over HTTP with curl: JSON in, acks out.
code=$(curl -s -o "$WORK/http.json" -w '%{http_code}' -H 'Content-Type: application/json' \
  --data '{"events":[{"eventId":"20000000-0000-4000-8000-000000000200","topic":"stock.level","occurredAtMs":"'$now_ms'","stockLevel":{"sku":"SKU-CASE","warehouse":"HZ1","skuName":"手机壳","onHand":"3","available":"3","version":"1"}}]}' \
  "http://$(http_addr stock)/v1/ingest")
eq "HTTP ingest answers 200" 200 "$code"
check "with an ACCEPTED ack" grep -q ACK_STATUS_ACCEPTED "$WORK/http.json"
eq "analysts see the SKU by name" "手机壳|3" "$(psql "$PEAKDESK_DB" -XAtq -c "SET ROLE peakdesk_analyst; SELECT sku_name, available FROM analytics.stock_levels WHERE sku = 'SKU-CASE'")"
pd_done
