#!/bin/sh
# The router meets the stock and promo services: a stock-out of a SKU in
# 1,001 unshipped orders of 1,000 customers reaches each customer once
# (also when the router is killed while sending), an open ticket of one of
# them is annotated and raised, "when will it ship?" is answered with the
# restock date, a promo question with the live campaign's rule text, a
# ticket opened during the campaign's main day gets the campaign's SLA,
# and the restock brings a second notice to the same customers.
. "$(dirname "$0")/../lib.sh"
pd_setup
SECRET=webchat-secret-0123456789
PORT=$(free_port)
python3 "$ROOT/tests/tools/http_receiver.py" "$PORT" "$WORK/hook.jsonl" &
PIDS="$PIDS $!"
"$BIN/peakdesk" account add --channel webhook --name webchat --secret "$SECRET" --url "http://127.0.0.1:$PORT/hook" >/dev/null
pd_start logistics || exit 1
pd_start stock || exit 1
pd_start promo PEAKDESK_PROMO_TICK_MS=200 || exit 1
pd_start gateway PEAKDESK_GATEWAY_DELIVERY_TICK_MS=100 || exit 1
pd_start router || exit 1
now_ms=$(($(date +%s) * 1000))
say() { webhook_say "$@" >/dev/null; }
outbound() { psql_q "SELECT count(*) FROM bus.outbox WHERE topic = 'message.outbound' AND service = 'router'"; }

# The campaign is live (main day now) with a rule text and a 2-minute
# first-response target for chat.
"$BIN/peakdesk" publish --to promo --quiet >/dev/null 2>&1 <<JSON
{"eventId":"40000000-0000-4000-8000-000000000001","occurredAtMs":"$now_ms","campaign":{"campaignId":"D11","name":"双11","version":"1","windows":[{"kind":"WINDOW_KIND_MAIN_DAY","startMs":"$((now_ms - 3600000))","endMs":"$((now_ms + 86400000))"}],"rules":[{"ruleId":"R1","title":"跨店满减","text":"每满300元减50元，跨店可累计，上不封顶","keywords":["满减","跨店满减"]}],"slaOverrides":[{"window":"WINDOW_KIND_MAIN_DAY","channel":"CHANNEL_KIND_WEBHOOK","firstResponseMinutes":2}]}}
JSON
check "the campaign is live" wait_for "live" 10 sh -c "[ \"\$(psql '$PEAKDESK_DB' -XAtqc \"SELECT live FROM promo.campaigns\")\" = t ]"

# 1,001 unshipped orders: u1..u999 one each, "buyer" two.
python3 - "$now_ms" >"$WORK/orders.jsonl" <<'PY'
import json, sys
now = int(sys.argv[1])
def order(oid, user):
    return {"order": {"orderId": oid, "orderedAtMs": str(now - 600000), "warehouse": "HZ1",
            "customer": {"channel": "CHANNEL_KIND_WEBHOOK", "account": "webchat", "externalUserId": user},
            "items": [{"sku": "SKU-PHONE", "name": "星光手机 256G", "quantity": 1}]}}
for i in range(1, 1000):
    print(json.dumps(order("PD24111%05d" % i, "u%d" % i)))
print(json.dumps(order("PD2411120001", "buyer")))
print(json.dumps(order("PD2411120002", "buyer")))
PY
check "orders in" "$BIN/peakdesk" publish --to logistics --quiet "$WORK/orders.jsonl"
level() { # event_id available version eta_ms
  printf '{"eventId":"%s","occurredAtMs":"%s","stockLevel":{"sku":"SKU-PHONE","warehouse":"HZ1","skuName":"星光手机 256G","onHand":"%s","available":"%s","version":"%s","restockEtaMs":"%s"}}\n' \
    "$1" "$now_ms" "$2" "$2" "$3" "$4" | "$BIN/peakdesk" publish --to stock --quiet >/dev/null 2>&1
}
level 40000000-0000-4000-8000-000000000010 500 1 0

# The buyer already has an open ticket; the campaign sets its SLA.
say buyer b1 '你好，订单PD2411120001的发票怎么开？'
check "the buyer's ticket opens" wait_for "ticket" 20 sh -c "[ \"\$(psql '$PEAKDESK_DB' -XAtqc \"SELECT count(*) FROM router.tickets\")\" = 1 ]"
eq "first response due 2 minutes after opening, by the campaign" "120|D11" "$(psql_q "SELECT extract(epoch FROM first_response_due - created_at)::int || '|' || sla_campaign_id FROM router.tickets")"
prio_before=$(psql_q "SELECT priority FROM router.tickets")

# Stock-out; the router is killed while it sends, and restarted.
eta_ms=$(( (now_ms / 86400000 + 3) * 86400000 + 2 * 3600000 ))  # three days on, 10:00 China time
level 40000000-0000-4000-8000-000000000011 0 2 "$eta_ms"
kill -9 "$PID_router" 2>/dev/null; wait "$PID_router" 2>/dev/null
pd_log "router killed with $(outbound) outbound messages committed"
pd_start router || exit 1
check "every customer gets one stock-out notice" wait_for "notices" 60 sh -c "[ \"\$(psql '$PEAKDESK_DB' -XAtqc \"SELECT count(*) FROM router.proactive_notices WHERE kind LIKE 'stockout:%'\")\" -ge 1000 ]"
sleep 1
eq "1,000 notices for 1,000 customers (the buyer's two orders: one)" "1000|1000" "$(psql_q "SELECT count(*), count(DISTINCT external_user_id) FROM router.proactive_notices WHERE kind = 'stockout:SKU-PHONE@HZ1'")"
eq "1,000 proactive messages on the bus, none twice" 1000 "$(outbound)"
eq "the buyer's open ticket (normal before) is raised to high" "2|3" "$prio_before|$(psql_q "SELECT priority FROM router.tickets")"
check "and annotated for the agent with a compensation suggestion" sh -c "psql '$PEAKDESK_DB' -XAtqc \"SELECT label FROM router.ticket_events WHERE kind = 'department_note'\" | grep -q '建议'"
check "the notices reach the customers' channel" wait_for "delivered" 60 sh -c "[ \$(grep -c '暂时缺货' '$WORK/hook.jsonl' 2>/dev/null || echo 0) -ge 1000 ]"

# "When will it ship?" answered with the restock date; a promo question
# with the rule text.
eta_day=$(TZ=Asia/Shanghai date -d "@$((eta_ms / 1000))" +%m月%d日)
say buyer b2 '订单PD2411120002什么时候发货？'
check "a restock-date auto-reply reaches the buyer" wait_for "eta" 30 sh -c "psql '$PEAKDESK_DB' -XAtqc \"SELECT label FROM router.ticket_events WHERE kind = 'auto_reply'\" | grep '订单PD2411120002' | grep -q '预计$eta_day补货'"
say shopper s1 '跨店满减怎么算？'
check "a promo question gets the campaign's rule text" wait_for "promo" 30 sh -c "grep -q '每满300元减50元，跨店可累计' '$WORK/hook.jsonl'"

# Restock: the same customers hear it is back, once.
level 40000000-0000-4000-8000-000000000012 200 3 0
check "every notified customer hears about the restock" wait_for "restock" 60 sh -c "[ \"\$(psql '$PEAKDESK_DB' -XAtqc \"SELECT count(*) FROM router.proactive_notices WHERE kind = 'restocked:SKU-PHONE@HZ1'\")\" = 1000 ]"
level 40000000-0000-4000-8000-000000000013 150 4 0
sleep 1
eq "no second restock notice" 1000 "$(psql_q "SELECT count(*) FROM router.proactive_notices WHERE kind = 'restocked:SKU-PHONE@HZ1'")"
# Product feedback for supply: a complaint about the SKU's colour and a
# return reason land in analytics.sku_feedback.
say buyer b3 '订单PD2411120001收到的手机有色差，质量问题，我要退货'
"$BIN/peakdesk" publish --to logistics --quiet >/dev/null 2>&1 <<JSON
{"eventId":"40000000-0000-4000-8000-000000000020","returnUpdate":{"returnId":"RT-B2","orderId":"PD2411120002","state":"RETURN_STATE_REQUESTED","reason":"屏幕有划痕"}}
JSON
check "supply sees why customers complain about the SKU" wait_for "feedback" 20 sh -c "psql '$PEAKDESK_DB' -XAtqc \"SET ROLE peakdesk_analyst; SELECT reason || ':' || source FROM analytics.sku_feedback WHERE sku = 'SKU-PHONE'\" | grep -q 'return:ticket_tag'"
eq "with the colour remark and the return reason, by name" "星光手机 256G|屏幕有划痕:return|色差:risk_signal" "$(psql "$PEAKDESK_DB" -XAtq -c "SET ROLE peakdesk_analyst; SELECT max(sku_name) || '|' || string_agg(reason || ':' || source, '|' ORDER BY source) FILTER (WHERE source <> 'ticket_tag') FROM analytics.sku_feedback WHERE sku = 'SKU-PHONE'")"
pd_done
