#!/bin/sh
# `make run` as a test: deploy/local/run.sh with PEAKDESK_RUN_ONCE=1 on a
# throwaway var directory (PEAKDESK_VAR_DIR), so a developer's ./var and
# port 8082 are left alone. The demo starts and stops its own PostgreSQL,
# service and tail. The first run replays the sample moved to today and must
# find exactly the planned delays (the stalled parcel's missed promise, and
# Kuaidi100's documentation example from 2012 when ../shared has it), not
# the sample's dozens of 2024 promises; nothing of it may be left running.
# The second run on the same directory gets DUPLICATE acks and the same
# delays. The customers' side too: messages on web chat, WeChat and e-mail
# become six tickets, the agent's two replies reach the web-chat receiver and
# the mail directory once each (checked here with Python's hmac and email
# packages, not with peakdesk code), the progress pages are printed, and the
# second run sends nothing twice. Stock and promo too: the campaign is live
# with its 72-hour staffing forecast (`peakdesk forecast` excerpt and the
# full table in var/log/forecast.txt), the stock table shows the earbuds out
# in Chengdu, the night's stock-out lists exactly the three orders unshipped
# then and today's the one still unshipped (read from the tail's
# events.jsonl here, not from the demo's words), the stale report is
# ignored, the router tells each affected customer once per stock-out (the
# app customer's two notices reach the receiver once each), chat tickets
# opened in the main day carry the campaign's 3-minute first response, and
# the second run gets DUPLICATE for the campaign, targets and stock reports
# and sends no notice twice. Both runs together stay under a minute.
# Uses the binaries of the build (make test builds them first).
. "$(dirname "$0")/../lib.sh"

for b in peakdesk peakdesk-logistics peakdesk-stock peakdesk-promo peakdesk-gateway peakdesk-router; do
  [ -x "$BIN/$b" ] || { echo "$BIN/$b is missing: build first (make)"; exit 1; }
done
T=$(mktemp -d /tmp/peakdesk-make-run.XXXXXX)
chmod 755 "$T" # under root the demo's PostgreSQL runs as user postgres
SHARED_PUSH=$ROOT/../shared/data/logistics/kuaidi100_push_doc_example.param.json

# Processes that still use the demo's directory: in their command line, their
# environment (PEAKDESK_DB, PEAKDESK_RUN_DIR) or their working directory (the
# PostgreSQL backends run in the data directory). Prints "pid:command ...".
leftovers() {
  for d in /proc/[0-9]*; do
    p=${d#/proc/}
    [ "$p" = "$$" ] && continue
    if { tr '\0' '\n' <"$d/cmdline"; tr '\0' '\n' <"$d/environ"; readlink "$d/cwd"; } 2>/dev/null | grep -qF "$T"; then
      printf '%s:%s\n' "$p" "$(tr '\0' ' ' <"$d/cmdline" 2>/dev/null | cut -c1-70)"
    fi
  done
}

cleanup() {
  # Only after a failure can something of the demo still be running.
  [ -f "$T/pg/data/postmaster.pid" ] && "$ROOT/deploy/local/pg.sh" stop "$T/pg" >/dev/null 2>&1
  for p in $(leftovers | cut -d: -f1); do kill -TERM "$p" 2>/dev/null; done
  if [ "$FAILED" -gt 0 ]; then
    for f in "$T"/run*.out "$T"/log/logistics.log "$T"/log/stock.log "$T"/log/promo.log "$T"/log/gateway.log \
      "$T"/log/router.log "$T"/log/receiver.log; do
      [ -f "$f" ] && { echo "--- $f (last 40 lines)"; tail -n 40 "$f"; }
    done
  fi
  rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# run_demo N: the demo as `make run` runs it, once; output in $T/runN.out, exit status in RC.
run_demo() {
  start_s=$(date +%s)
  env -u PEAKDESK_LOGISTICS_HTTP -u PEAKDESK_LOGISTICS_NO_SCAN_HOURS -u PEAKDESK_LOGISTICS_DELAY_CHECK_MS \
    -u PEAKDESK_KUAIDI100_SALT -u PEAKDESK_GATEWAY_HTTP -u PEAKDESK_ROUTER_HTTP -u PEAKDESK_SENDMAIL \
    -u PEAKDESK_MAIL_FROM -u PEAKDESK_STOCK_HTTP -u PEAKDESK_PROMO_HTTP -u PEAKDESK_STOCK_SALES_CACHE_MS \
    -u PEAKDESK_PROMO_CONSULTATION_RATE -u PEAKDESK_PROMO_AHT_SECONDS -u PEAKDESK_PROMO_CHAT_CONCURRENCY \
    -u PEAKDESK_PROMO_TARGET_ANSWER_SECONDS -u PEAKDESK_PROMO_SERVICE_LEVEL -u PEAKDESK_PROMO_GROUP_SHARES \
    -u PEAKDESK_PROMO_MIN_HISTORY_ORDERS -u PEAKDESK_PROMO_TICK_MS -u PEAKDESK_ROUTER_FIRST_RESPONSE_MINUTES \
    -u PEAKDESK_ROUTER_NEXT_RESPONSE_MINUTES -u PEAKDESK_ROUTER_RESOLUTION_MINUTES \
    PEAKDESK_RUN_ONCE=1 PEAKDESK_VAR_DIR="$T" \
    timeout -k 10 50 "$ROOT/deploy/local/run.sh" >"$T/run$1.out" 2>&1 </dev/null
  RC=$?
  pd_log "run $1: exit $RC after $(($(date +%s) - start_s)) s"
}
# "trackingNo reason" of every logistics.delayed the demo's tail wrote, sorted.
delays() {
  grep '"topic":"logistics.delayed"' "$T/events.jsonl" 2>/dev/null |
    sed -n 's/.*"trackingNo":"\([^"]*\)".*"reason":"DELAY_REASON_\([A-Z_]*\)".*/\1 \2/p' | sort | tr '\n' ' ' | sed 's/ $//'
}
expected="YD431200241102 PROMISE_MISSED"
[ -f "$SHARED_PUSH" ] && expected="V030344422 NO_SCAN $expected"

# The web-chat receiver's lines that carry an agent's reply (run.sh sends
# them with Idempotency-Key demo-reply-<ticket>), each checked against the
# webhook signature (HMAC-SHA256 of "timestamp.body" with the demo's secret):
# prints "<count> <bad signatures> <externalUserId> <text>" of the last one.
webchat_replies() {
  python3 - "$T/webchat-received.jsonl" peakdesk-demo-webchat-secret <<'PY'
import hashlib, hmac, json, os, sys
path, secret = sys.argv[1], sys.argv[2].encode()
n = bad = 0
last = {}
for line in open(path, encoding="utf-8") if os.path.exists(path) else []:
    r = json.loads(line)
    h = {k.lower(): v for k, v in r["headers"].items()}
    if not h.get("x-peakdesk-outbound-id", "").startswith("demo-reply-"):
        continue
    n += 1
    mac = hmac.new(secret, (h["x-peakdesk-timestamp"] + "." + r["body"]).encode(), hashlib.sha256).hexdigest()
    bad += h.get("x-peakdesk-signature") != "sha256=" + mac
    last = json.loads(r["body"])
print(n, bad, last.get("externalUserId", "-"), last.get("text", "-")[:21])
PY
}
# The agent's e-mail replies in the mail directory (Message-Id <demo-reply-...@peakdesk>),
# read with Python's email package: prints "<count>|To|decoded Subject|In-Reply-To" of the last one.
mail_replies() {
  python3 - "$T/mail" <<'PY'
import email, email.policy, glob, sys
n, last = 0, "-|-|-"
for f in sorted(glob.glob(sys.argv[1] + "/*.eml")):
    m = email.message_from_binary_file(open(f, "rb"), policy=email.policy.default)
    if (m["Message-Id"] or "").startswith("<demo-reply-"):
        n += 1
        last = "%s|%s|%s" % (m["To"], m["Subject"], m["In-Reply-To"])
print("%d|%s" % (n, last))
PY
}
# What the tail wrote about stock, read here with Python's json (not from the
# demo's summary): "<episode>:<orders>" of every stock.shortage, the number of
# stock.restocked, and per notice subject "<notices>/<distinct customers>".
stock_story() {
  python3 - "$T/events.jsonl" <<'PY'
import json, os, sys
short, restocked, notices = [], 0, {}
for line in open(sys.argv[1], encoding="utf-8") if os.path.exists(sys.argv[1]) else []:
    e = json.loads(line)
    t = e.get("topic")
    if t == "stock.shortage":
        s = e["stockShortage"]
        short.append("%s:%s" % (s.get("episode"), " ".join(sorted(o["orderId"] for o in s.get("orders", [])))))
    elif t == "stock.restocked":
        restocked += 1
    elif t == "message.outbound" and e["outboundMessage"].get("reason") == "OUTBOUND_REASON_PROACTIVE_NOTICE":
        o = e["outboundMessage"]
        n = notices.setdefault(o.get("subject", "").split(" / ")[-1], [0, set()])
        n[0] += 1
        n[1].add((o.get("account"), o.get("externalUserId")))
print("|".join(short), restocked, ", ".join("%s %d/%d" % (k, v[0], len(v[1])) for k, v in sorted(notices.items())))
PY
}
# Notices the app customer of PD2411110017 got at the receiver (path /app): "<count> <kinds, sorted>".
app_notices() {
  python3 - "$T/webchat-received.jsonl" <<'PY'
import json, os, sys
got = []
for line in open(sys.argv[1], encoding="utf-8") if os.path.exists(sys.argv[1]) else []:
    r = json.loads(line)
    b = json.loads(r["body"])
    if r["path"] == "/app" and b.get("externalUserId") == "app-u-100421":
        got.append("缺货" if "暂时缺货" in b["text"] else "到货" if "已到货" in b["text"] else "?")
print(len(got), " ".join(sorted(got)))  # the gateway does not promise their order
PY
}
STOCK_STORY="1:PD2411110001 PD2411110017 PD2411110033|2:PD2411110033 1 An item is out of stock 4/3, Back in stock 3/3, Your parcel is running late 1/1"

# The demo's web-chat receiver, if it is still running.
receiver_left() {
  for d in /proc/[0-9]*; do
    c=$(tr '\0' ' ' <"$d/cmdline" 2>/dev/null)
    case "$c" in *http_receiver.py*"$T"*) printf '%s:%s\n' "${d#/proc/}" "$c" ;; esac
  done
}

suite_start=$(date +%s)
run_demo 1
OUT=$T/run1.out
eq "first run exits 0" 0 "$RC"
check "it says the demo is OK" grep -q '^==> demo OK' "$OUT"
check "it ran on the given var directory" grep -qxF "var directory: $T" "$OUT"
check "it moved the sample to now" grep -q 'sample time 2024-11-13 18:05 CST = .*: every time in the sample +' "$OUT"
check "it stopped everything cleanly" grep -qx '    all stopped.' "$OUT"
eq "exactly the planned delays, no 2024 promise" "$expected" "$(delays)"
# The stalled parcel was promised five minutes before the replay (sample time).
promised_s=$(grep '"topic":"logistics.delayed"' "$T/events.jsonl" 2>/dev/null | grep '"trackingNo":"YD431200241102"' |
  sed -n 's/.*"promisedDeliveryMs":"\([0-9]*\)[0-9]\{3\}".*/\1/p' | head -n 1)
ago=$((start_s - ${promised_s:-0}))
check "its promise passed minutes before the run, not in 2024 ($ago s ago)" test "$ago" -ge 240 -a "$ago" -le 420
eq "the other promises lie ahead: no logistics.delayed besides those" "$(echo "$expected" | wc -w | awk '{ print $1 / 2 }')" \
  "$(grep -c '"topic":"logistics.delayed"' "$T/events.jsonl")"
# The customers' side.
check "customers wrote on every channel" grep -qF 'messages:    web chat 3 (3 text), WeChat 3 (2 text, 1 event:subscribe), e-mail 2 (2 email)' "$OUT"
check "the router opened a ticket for each of the six customers" grep -qF 'tickets:     6 opened for the sample'"'"'s customers (web chat 2, WeChat 2, e-mail 2)' "$OUT"
check "the agent answered from her queue" sh -c "[ \$(grep -c 'reply (.*from her queue; Idempotency-Key: demo-reply-' '$OUT') = 2 ]"
eq "one agent reply delivered to the web-chat receiver, correctly signed" "1 0 app-u-100226 您好，查到您的订单PD2411110002" "$(webchat_replies)"
r=$(mail_replies)
eq "one agent reply in the mail directory" 1 "${r%%|*}"
check "to the customer, threaded under her mail, with the ticket in the subject ($r)" sh -c "echo '$r' |
  grep -Eq '^1\|xu.tao.2014@example.com\|Re: 订单PD2411110034还没发货 \[#PD-[a-km-np-z2-9]{22}\]\|<CAPd11.20241113.0034.xu.tao@example.com>\$'"
eq "two progress page URLs, each with its HTML hint" "2 2" "$(grep -cE '^        http://127\.0\.0\.1:[0-9]+/v1/track/[a-km-np-z2-9]{22}$' "$OUT") $(grep -cE "^        curl -H 'Accept: text/html' http://127\.0\.0\.1:[0-9]+/v1/track/[a-km-np-z2-9]{22}$" "$OUT")"
check "the progress page shows the agent's reply" grep -q 'status: 等待您的回复 / Waiting for your reply; steps: created, .*agent_reply' "$OUT"
# Stock and promo.
check "the campaign is live in its main day" grep -qF 'campaign:    double11-2024 "2024 天猫双11" (version 1): live, in its main_day window' "$OUT"
check "its SLA override is shown" grep -qF 'SLA override: first response within 3 min on web chat/app and WeChat in the main_day window' "$OUT"
check "the forecast excerpt starts with peakdesk forecast's header" grep -q '^      Campaign double11-2024 (2024 天猫双11): forecast of ' "$OUT"
check "the first hour, the midnight rush, is the peak" sh -c "grep -E '^      20[0-9-]+ [0-9]{2}:00 ' '$OUT' | head -n 1 | grep -q '<- peak\$'"
eq "8 hours and the current one shown, not all 72" "9 1" \
  "$(grep -cE '^      20[0-9-]+ [0-9]{2}:00 ' "$OUT") $(grep -cE '^      20[0-9-]+ [0-9]{2}:00 .*<- now$' "$OUT")"
check "with the peak line" grep -qE '^      peak [0-9]+ agents; [0-9]+ agent-hours in all \(pooled queue\)$' "$OUT"
eq "the full forecast (var/log/forecast.txt) has 72 hours" 72 "$(grep -cE '^20[0-9-]+ [0-9]{2}:00 ' "$T/log/forecast.txt" 2>/dev/null)"
check "the stock table shows the earbuds out in Chengdu, with the restock date" \
  grep -qE '^     SKU-EAR-PRO2 +\| 蓝牙降噪耳机 Pro 2 +\| 0 out +\| 265 +\| 232 +\| 165 +\| restock expected ' "$OUT"
check "and the tablets low in Yiwu" grep -qE '^     SKU-PAD-11 +\| .*\| 6 low +\|' "$OUT"
check "the night's stock-out with its three orders" grep -qE 'stock.shortage  SKU-EAR-PRO2@WH-CHENGDU  episode 1, .*: 3 orders PD2411110001 PD2411110017 PD2411110033 \(sample 11-11 01:05\)' "$OUT"
check "today's with the one still unshipped" grep -qE 'stock.shortage  SKU-EAR-PRO2@WH-CHENGDU  episode 2, .*: 1 order PD2411110033 \(sample 11-13 17:20\)' "$OUT"
check "the stale report is ignored" grep -qF 'ignored: WH-CHENGDU keeps version 53, 0 available, still out (no second stock.restocked)' "$OUT"
eq "the tail: the stock-outs' orders, one restock, notices once per customer" "$STOCK_STORY" "$(stock_story)"
eq "the notices table: 3 + 3 + 1 stock notices" "3 3 1" "$(grep -cE '\| stock-out 1 +\|' "$OUT") $(grep -cE '\| back in stock 1 +\|' "$OUT") $(grep -cE '\| stock-out 2 +\|' "$OUT")"
check "the app customer's notice delivered, with the customer's channel" \
  grep -qE '^     PD2411110017 \| app/webhook \| app/app-u-100421 +\| stock-out 1 +\| delivered$' "$OUT"
eq "the app customer got the stock-out and the restock once each at the receiver" "2 到货 缺货" "$(app_notices)"
eq "chat tickets opened in the main day: the campaign's 3 minutes or answered automatically; e-mail: the table" "4 2" \
  "$(grep -E '\| (webhook|wechat) +\|' "$OUT" | grep -cE '(\| 3 min +\| double11-2024|\| none +\| \(answered automatically\))$') $(grep -E '\| email +\|' "$OUT" | grep -cE '(\| [0-9]+ min +\| \(SLA table\)|\| none +\| \(answered automatically\))$')"
check "how to look: the rule search on the promo service" grep -qE 'curl -G --data-urlencode q=满减 http://127\.0\.0\.1:[0-9]+/v1/rules' "$OUT"
check "how to look: forecast vs actual and the stock-outs" sh -c "grep -q 'analytics.forecast_vs_actual' '$OUT' && grep -q 'analytics.stock_shortages' '$OUT'"
for svc in peakdesk-gateway peakdesk-router peakdesk-logistics peakdesk-stock peakdesk-promo "web-chat receiver (http_receiver.py)"; do
  check "$svc stopped cleanly" grep -qxF "    $svc stopped (SIGTERM)" "$OUT"
done
eq "nothing left running on the directory" "" "$(leftovers)"
eq "the web-chat receiver is gone too" "" "$(receiver_left)"
check "PostgreSQL is down (no postmaster.pid)" [ ! -f "$T/pg/data/postmaster.pid" ]
check "the sample files keep their 2024 dates" grep -q '"time":"2024-11-12 03:05:44"' "$ROOT/tests/data/sample/kuaidi100/03_stalled.param.json"

run_demo 2
OUT=$T/run2.out
eq "second run exits 0" 0 "$RC"
check "second run: the orders come back DUPLICATE" grep -q '36 events: 0 accepted, 36 duplicate, 0 rejected' "$OUT"
check "second run: the campaign and its targets too" grep -q '73 events: 0 accepted, 73 duplicate, 0 rejected' "$OUT"
check "second run: and the stock reports" sh -c "grep -q '50 events: 0 accepted, 50 duplicate, 0 rejected' '$OUT' &&
  grep -q '4 events: 0 accepted, 4 duplicate, 0 rejected' '$OUT'"
eq "second run: no stock-out, restock or notice twice" "$STOCK_STORY" "$(stock_story)"
eq "second run: still one stock-out and one restock notice at the app customer" "2 到货 缺货" "$(app_notices)"
check "second run: the stale report is still ignored" grep -qF 'ignored: WH-CHENGDU keeps version 53, 0 available, still out (no second stock.restocked)' "$OUT"
check "second run: it says so" grep -q '(DUPLICATE: an earlier run already applied these event ids; nothing changed twice)' "$OUT"
check "second run: it replays with the first run's shift" grep -q "the shift of the run that first stored the sample" "$OUT"
check "second run: the demo is OK" grep -q '^==> demo OK' "$OUT"
eq "second run: the same delays, none twice" "$expected" "$(delays)"
check "second run: the customers' messages are duplicates" sh -c "[ \$(grep -cE -- '^ {20,}-> 200 duplicate\$' '$OUT') = 3 ] &&
  [ \$(grep -c 'duplicate: WeChat.s retry of' '$OUT') = 3 ] && [ \$(grep -c -- '-> exit 0, duplicate' '$OUT') = 2 ]"
check "second run: the same six tickets" grep -qF 'tickets:     6 opened for the sample'"'"'s customers (web chat 2, WeChat 2, e-mail 2)' "$OUT"
check "second run: the agent's replies are duplicates" grep -qF '(duplicate: an earlier run already sent these replies; nothing is sent twice)' "$OUT"
eq "second run: still one reply at the receiver" "1 0 app-u-100226 您好，查到您的订单PD2411110002" "$(webchat_replies)"
r=$(mail_replies)
eq "second run: still one reply in the mail directory" 1 "${r%%|*}"
eq "second run: nothing left running" "" "$(leftovers)"
eq "second run: the web-chat receiver is gone too" "" "$(receiver_left)"
took=$(($(date +%s) - suite_start))
check "both runs took under a minute ($took s)" [ "$took" -lt 60 ]
pd_done
