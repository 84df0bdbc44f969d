#!/bin/sh
# Operations send a campaign and its hourly sales targets; the promo service
# announces the campaign (what changed, and when it goes live), computes the
# Erlang C staffing forecast once for the whole batch of targets, `peakdesk
# forecast` prints it, agents find rule texts by keyword over HTTP, and bad
# definitions are refused whole.
. "$(dirname "$0")/../lib.sh"
pd_setup
pd_start promo PEAKDESK_PROMO_TICK_MS=200 || exit 1
pub() { "$BIN/peakdesk" publish --to promo --quiet >"$WORK/pub.out" 2>&1; }
topic_count() { psql_q "SELECT count(*) FROM bus.outbox WHERE topic = '$1'"; }
now_s=$(date +%s)
hour0=$(( (now_s / 3600 + 1) * 3600 * 1000 ))   # next top of the hour, ms
live_at=$(( (now_s + 3) * 1000 ))                # the main day starts in 3 s

campaign() { # event_id version main_day_start rules_json [extra]
  printf '{"eventId":"%s","occurredAtMs":"%s","campaign":{"campaignId":"D11","name":"双11 2026","version":"%s","channels":["CHANNEL_KIND_WECHAT","CHANNEL_KIND_WEBHOOK"],"windows":[{"kind":"WINDOW_KIND_PRESALE","startMs":"%s","endMs":"%s"},{"kind":"WINDOW_KIND_MAIN_DAY","startMs":"%s","endMs":"%s"}],"rules":%s%s}}\n' \
    "$1" "$((now_s * 1000))" "$2" "$((hour0 - 30 * 86400000))" "$((hour0 - 20 * 86400000))" "$3" "$(($3 + 86400000))" "$4" "${5:-}"
}
RULES1='[{"ruleId":"R1","title":"满300减50","text":"每满300元减50元，上不封顶，可与店铺券叠加","keywords":["满减","跨店满减"],"thresholdCents":"30000","discountCents":"5000"},{"ruleId":"R2","title":"定金膨胀","text":"付定金20元抵50元，尾款11月11日0点开始支付","keywords":["定金","尾款"]}]'
RULES2='[{"ruleId":"R1","title":"满300减60","text":"每满300元减60元，上不封顶，可与店铺券叠加","keywords":["满减","跨店满减"],"thresholdCents":"30000","discountCents":"6000"},{"ruleId":"R2","title":"定金膨胀","text":"付定金20元抵50元，尾款11月11日0点开始支付","keywords":["定金","尾款"]}]'

campaign 30000000-0000-4000-8000-000000000001 1 "$live_at" "$RULES1" ',"slaOverrides":[{"window":"WINDOW_KIND_MAIN_DAY","firstResponseMinutes":2}]' | pub
eq "campaign stored with two windows and two rules" "2|2|1" "$(psql_q "SELECT (SELECT count(*) FROM promo.windows), (SELECT count(*) FROM promo.rules), (SELECT count(*) FROM promo.sla_overrides)")"
eq "announced once as created" 1 "$(topic_count promo.campaign_updated)"

# A newer version changing one rule: changed_fields says exactly that.
campaign 30000000-0000-4000-8000-000000000002 2 "$live_at" "$RULES2" ',"slaOverrides":[{"window":"WINDOW_KIND_MAIN_DAY","firstResponseMinutes":2}]' | pub
# An older version arriving late changes nothing.
campaign 30000000-0000-4000-8000-000000000003 1 "$live_at" "$RULES1" | pub
eq "the stale version is ignored" "满300减60" "$(psql_q "SELECT title FROM promo.rules WHERE rule_id = 'R1'")"
"$BIN/peakdesk" tail --name promo-check --topic promo.campaign_updated --out "$WORK/camp.jsonl" --count 3 >/dev/null 2>&1 &
TP=$!
# the main day starts: the campaign goes live on its own
check "the campaign goes live when its main day starts" wait_for "live" 20 sh -c "[ \$(wc -l <'$WORK/camp.jsonl' 2>/dev/null || echo 0) -ge 3 ]"
kill $TP 2>/dev/null; wait $TP 2>/dev/null
eq "changed_fields: created, then only rules.R1, then live" "created|rules.R1|live:True" "$(python3 -c '
import json,sys
ev=[json.loads(l)["campaign"] for l in open(sys.argv[1])]
print("|".join([",".join(ev[0]["changedFields"]), ",".join(ev[1]["changedFields"]), ",".join(ev[2]["changedFields"]) + ":" + str(ev[2].get("live", False))]))' "$WORK/camp.jsonl")"
eq "stored as live" t "$(psql_q "SELECT live FROM promo.campaigns WHERE campaign_id = 'D11'")"

# 24 hourly targets in one request: one forecast for the lot.
python3 - "$hour0" >"$WORK/targets.jsonl" <<'PY'
import json, sys
h0 = int(sys.argv[1])
for i in range(24):
    gmv = 200000000 if i == 0 else 20000000   # 2,000,000 yuan in the first hour, then 200,000
    print(json.dumps({"occurredAtMs": str(h0 - 86400000), "salesTarget": {"campaignId": "D11", "hourStartMs": str(h0 + i * 3600000), "gmvCents": str(gmv), "avgOrderValueCents": "20000"}}))
PY
check "24 targets accepted" "$BIN/peakdesk" publish --to promo --quiet "$WORK/targets.jsonl"
check "a forecast follows" wait_for "forecast" 20 sh -c "[ \"\$(psql '$PEAKDESK_DB' -XAtqc \"SELECT count(*) FROM promo.forecast_hours WHERE group_name = ''\")\" = 24 ]"
sleep 0.5
eq "exactly one forecast event for the batch" 1 "$(topic_count promo.forecast_updated)"
# First hour: 2,000,000 yuan / 200 yuan = 10,000 orders x 0.15 = 1,500 consultations;
# 1500/3600 x 240 s = 100 erlangs of chat slots; Erlang C at 80 % in 30 s
# needs a little over 100 slots: 3 chats each -> 35..40 agents.
eq "first hour: 10,000 orders, 1,500 consultations" "10000|1500" "$(psql_q "SELECT round(expected_orders), round(expected_consultations) FROM promo.forecast_hours WHERE group_name = '' ORDER BY hour_start LIMIT 1")"
agents=$(psql_q "SELECT agents_needed FROM promo.forecast_hours WHERE group_name = '' ORDER BY hour_start LIMIT 1")
check "first hour needs 35-40 agents (got $agents)" test "$agents" -ge 35 -a "$agents" -le 40
eq "service level met in every hour" 0 "$(psql_q "SELECT count(*) FROM promo.forecast_hours WHERE service_level < 0.8")"
eq "groups: presale, order, after-sale rows per hour" "24|24|24" "$(psql_q "SELECT string_agg(n::text, '|' ORDER BY g) FROM (SELECT group_name g, count(*) n FROM promo.forecast_hours WHERE group_name <> '' GROUP BY 1) x")"
check "split queues need at least the pooled agents" test "$(psql_q "SELECT count(*) FROM (SELECT hour_start FROM promo.forecast_hours GROUP BY 1 HAVING sum(agents_needed) FILTER (WHERE group_name <> '') < max(agents_needed) FILTER (WHERE group_name = '')) x")" = 0
"$BIN/peakdesk" forecast --campaign D11 >"$WORK/forecast.txt" 2>&1
check "peakdesk forecast prints the hourly table" grep -q "after-sale" "$WORK/forecast.txt"
eq "one line per hour" 24 "$(grep -c '^20[0-9][0-9]-' "$WORK/forecast.txt")"
check "with the inputs used" grep -q "0.1500 consultations per order (configured)" "$WORK/forecast.txt"
"$BIN/peakdesk" forecast --campaign NOPE >/dev/null 2>&1
eq "an unknown campaign exits 1" 1 $?

# Agents look up rule texts by keyword (live campaigns).
body=$(curl -s "http://$(http_addr promo)/v1/rules?q=%E6%BB%A1%E5%87%8F")
check "rules found by keyword 满减" sh -c "echo '$body' | grep -q '每满300元减60元'"
check "and by a word of the text (尾款)" sh -c "curl -s 'http://$(http_addr promo)/v1/rules?q=%E5%B0%BE%E6%AC%BE' | grep -q R2"
eq "no keyword: 400 with a JSON error" 400 "$(curl -s -o "$WORK/e.json" -w '%{http_code}' "http://$(http_addr promo)/v1/rules")"
check "naming what to send" grep -q '"error":"missing_query"' "$WORK/e.json"

# Bad input: rejected with a reason, nothing stored.
before=$(psql_q "SELECT count(*) FROM bus.outbox")
printf '%s\n' \
 "{\"eventId\":\"30000000-0000-4000-8000-000000000100\",\"occurredAtMs\":\"$((now_s * 1000))\",\"campaign\":{\"campaignId\":\"BAD1\",\"name\":\"x\",\"version\":\"1\",\"windows\":[{\"kind\":\"WINDOW_KIND_MAIN_DAY\",\"startMs\":\"$hour0\",\"endMs\":\"$((hour0 - 1))\"}]}}" \
 "{\"eventId\":\"30000000-0000-4000-8000-000000000101\",\"occurredAtMs\":\"$((now_s * 1000))\",\"salesTarget\":{\"campaignId\":\"NOPE\",\"hourStartMs\":\"$hour0\",\"gmvCents\":\"1\",\"avgOrderValueCents\":\"100\"}}" \
 "{\"eventId\":\"30000000-0000-4000-8000-000000000102\",\"occurredAtMs\":\"$((now_s * 1000))\",\"salesTarget\":{\"campaignId\":\"D11\",\"hourStartMs\":\"$((hour0 + 60000))\",\"gmvCents\":\"1\",\"avgOrderValueCents\":\"100\"}}" \
 "{\"eventId\":\"30000000-0000-4000-8000-000000000103\",\"occurredAtMs\":\"$((now_s * 1000))\",\"salesTarget\":{\"campaignId\":\"D11\",\"hourStartMs\":\"$hour0\",\"gmvCents\":\"-5\",\"avgOrderValueCents\":\"100\"}}" \
 "{\"eventId\":\"30000000-0000-4000-8000-000000000104\",\"occurredAtMs\":\"$((now_s * 1000))\",\"campaign\":{\"campaignId\":\"BAD2\",\"name\":\"x\",\"version\":\"1\",\"windows\":[{\"kind\":\"WINDOW_KIND_MAIN_DAY\",\"startMs\":\"$hour0\",\"endMs\":\"$((hour0 + 1))\"}],\"rules\":[{\"ruleId\":\"A\",\"text\":\"t\",\"percentOff\":150}]}}" \
 >"$WORK/bad.jsonl"
"$BIN/peakdesk" publish --to promo "$WORK/bad.jsonl" >"$WORK/bad.out" 2>&1
eq "five rejections" 5 "$(grep -c ACK_STATUS_REJECTED "$WORK/bad.out")"
check "window ending before it starts named" grep -q 'ends before it starts' "$WORK/bad.out"
check "unknown campaign named" grep -q 'unknown campaign NOPE' "$WORK/bad.out"
check "hour not at the top named" grep -q 'top of an hour' "$WORK/bad.out"
check "percent out of range named" grep -q 'percent_off must be 0..100' "$WORK/bad.out"
eq "nothing stored" "$before|1|24" "$(psql_q "SELECT count(*) FROM bus.outbox")|$(psql_q "SELECT count(*) FROM promo.campaigns")|$(psql_q "SELECT count(*) FROM promo.sales_targets")"
eq "analysts compare forecast and actual" 24 "$(psql "$PEAKDESK_DB" -XAtq -c "SET ROLE peakdesk_analyst; SELECT count(*) FROM analytics.forecast_vs_actual WHERE group_name = ''")"
pd_done
