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
# and sends no notice twice. Surveys too: the agent resolves her two
# tickets, each customer gets one survey invitation (the web-chat receiver's
# line, signed; the mail file, read with Python's email package), the
# web-chat customer's "5" and the e-mail customer's form (a 2 and a comment)
# are recorded, the low score opens one service-recovery ticket for the team
# lead, and the second run's answers are duplicates (409 on the form) with
# nothing recorded, sent or opened twice. The promo-day report
# (var/report.html) is written, with its charts as inline <svg>, no
# <script> and no asset fetched from elsewhere; and after the runs, on the
# demo's own cluster, the analyst login it created (analyst_demo, a member
# of peakdesk_analyst) reads analytics.survey_scores but not
# survey.responses. Both runs together stay under a minute.
# Uses the binaries of the build (make test builds them first).
. "$(dirname "$0")/../lib.sh"

for b in peakdesk peakdesk-logistics peakdesk-stock peakdesk-promo peakdesk-gateway peakdesk-router peakdesk-survey; do
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
      "$T"/log/router.log "$T"/log/survey.log "$T"/log/receiver.log "$T"/log/report.log; do
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
    -u PEAKDESK_ROUTER_NEXT_RESPONSE_MINUTES -u PEAKDESK_ROUTER_RESOLUTION_MINUTES -u PEAKDESK_SURVEY_HTTP \
    -u PEAKDESK_SURVEY_SECRET -u PEAKDESK_SURVEY_QUIET_HOURS -u PEAKDESK_SURVEY_UTC_OFFSET -u PEAKDESK_SURVEY_TICK_MS \
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

# The survey invitations and the collector's answers the customers got,
# read here with Python (hmac, email), not from the demo's words: prints
# "<web-chat invitations> <bad signatures> <to> | <e-mail invitations> <to> |
# <thanks on web chat> | <distinct links> <links on one host:port, /s/ and 54 characters>".
survey_story() {
  python3 - "$T/webchat-received.jsonl" "$T/mail" peakdesk-demo-webchat-secret <<'PY'
import email, email.policy, glob, hashlib, hmac, json, os, re, sys
path, maildir, secret = sys.argv[1], sys.argv[2], sys.argv[3].encode()
LINK = re.compile(r"(https?://[^/\s]+)/s/([A-Za-z0-9_-]+)")
wc = bad = thanks = 0
wc_to, links = set(), set()
for line in open(path, encoding="utf-8") if os.path.exists(path) else []:
    r = json.loads(line)
    b = json.loads(r["body"])
    if r["path"] != "/webchat":
        continue
    h = {k.lower(): v for k, v in r["headers"].items()}
    if LINK.search(b.get("text", "")):
        wc += 1
        wc_to.add(b.get("externalUserId"))
        links.update(LINK.findall(b["text"]))
        mac = hmac.new(secret, (h["x-peakdesk-timestamp"] + "." + r["body"]).encode(), hashlib.sha256).hexdigest()
        bad += h.get("x-peakdesk-signature") != "sha256=" + mac
    elif b.get("text", "").startswith("感谢您的评价"):
        thanks += 1
mail, mail_to = 0, set()
for f in sorted(glob.glob(maildir + "/*.eml")):
    m = email.message_from_binary_file(open(f, "rb"), policy=email.policy.default)
    found = LINK.findall(m.get_body(("plain", "html")).get_content())
    if found:
        mail += 1
        mail_to.add(str(m["To"]))
        links.update(found)
hosts = {h for h, _ in links}
good = all(len(t) == 54 for _, t in links) and len(hosts) == 1
print("%d %d %s | %d %s | %d | %d %s" % (wc, bad, ",".join(sorted(wc_to)) or "-", mail, ",".join(sorted(mail_to)) or "-",
                                        thanks, len(links), "ok" if good else "bad"))
PY
}
SURVEY_STORY="1 0 app-u-100226 | 1 xu.tao.2014@example.com | 1 | 2 ok"
# The report page on its own: "<svg charts> <scripts> <external references>"
# (src/href/srcset/xlink:href/action, CSS url() and @import pointing off the page).
report_check() {
  python3 - "$T/report.html" <<'PY'
import html.parser, os, re, sys
p = sys.argv[1]
if not os.path.exists(p):
    print("missing"); sys.exit()
doc = open(p, encoding="utf-8").read()
class P(html.parser.HTMLParser):
    svg = scripts = ext = 0
    def handle_starttag(self, tag, attrs):
        if tag == "svg": P.svg += 1
        if tag == "script": P.scripts += 1
        for k, v in attrs:
            if k in ("src", "href", "srcset", "xlink:href", "action", "data", "poster") and v and re.match(r"\s*(https?:)?//", v, re.I):
                P.ext += 1
P().feed(doc)
ext = P.ext + len(re.findall(r"url\(\s*['\"]?\s*(https?:)?//|@import", doc, re.I))
print(P.svg, P.scripts, ext)
PY
}

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
check "customers wrote on every channel (web chat: the sample's 3 and the survey answer)" grep -qF 'messages:    web chat 4 (4 text), WeChat 3 (2 text, 1 event:subscribe), e-mail 2 (2 email)' "$OUT"
check "the router opened a ticket for each of the six customers" grep -qF 'tickets:     6 opened for the sample'"'"'s customers (web chat 2, WeChat 2, e-mail 2)' "$OUT"
check "the agent answered from her queue" sh -c "[ \$(grep -c 'reply (.*from her queue; Idempotency-Key: demo-reply-' '$OUT') = 2 ]"
eq "one agent reply delivered to the web-chat receiver, correctly signed" "1 0 app-u-100226 您好，查到您的订单PD2411110002" "$(webchat_replies)"
r=$(mail_replies)
eq "one agent reply in the mail directory" 1 "${r%%|*}"
check "to the customer, threaded under her mail, with the ticket in the subject ($r)" sh -c "echo '$r' |
  grep -Eq '^1\|xu.tao.2014@example.com\|Re: 订单PD2411110034还没发货 \[#PD-[a-km-np-z2-9]{22}\]\|<CAPd11.20241113.0034.xu.tao@example.com>\$'"
eq "two progress page URLs, each with its HTML hint" "2 2" "$(grep -cE '^        http://127\.0\.0\.1:[0-9]+/v1/track/[a-km-np-z2-9]{22}$' "$OUT") $(grep -cE "^        curl -H 'Accept: text/html' http://127\.0\.0\.1:[0-9]+/v1/track/[a-km-np-z2-9]{22}$" "$OUT")"
check "the progress page shows the agent's reply and the resolution" grep -q 'status: 已解决 / Resolved; steps: created, .*agent_reply, resolved' "$OUT"
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
# Surveys.
check "the agent resolved both tickets" sh -c "[ \$(grep -cE '\"resolutionCode\":\"answered\"} -> 202 accepted\$' '$OUT') = 2 ]"
check "her team lead came online" grep -qE 'PUT  /v1/agent/presence .* as zhoulin \(tier lead, .* -> 202 accepted$' "$OUT"
check "both invitations went out (the summary)" grep -qF 'invitations: 2 sent, 0 queued (quiet hours), 0 skipped' "$OUT"
eq "one invitation each at the receiver (signed) and in the mail directory, the collector's thanks for the \"5\"" "$SURVEY_STORY" "$(survey_story)"
check "the web-chat \"5\" was accepted by the gateway" grep -qE '\{"messageId":"wc-demo-survey-answer-1","text":"5",\.\.\.\} -> 200 accepted$' "$OUT"
check "the phone got the form" grep -qE -- '-> 200 the form: 5 choices for csat, a comment box and a submit button; no script$' "$OUT"
check "and its answer was recorded (201, the lead will call)" grep -qE -- '-> 201, a page: 感谢您的评价 / Thank you / .*主管会尽快联系您' "$OUT"
check "two answers, one low (the summary)" grep -qF 'answers:     2 (1 on the channel, 1 on the link), 1 low' "$OUT"
check "CSAT 50 % of 2 answers (the summary)" grep -qF 'scores:      CSAT 50.00 % satisfied (4-5 of 2 answers, average 3.50), no NPS (the demo asks CSAT), response rate 100.00 %' "$OUT"
check "one recovery ticket, urgent, assigned to the lead zhoulin (the summary)" \
  grep -qE '^    recovery:    [a-km-np-z2-9]{22} \(urgent, lead tier, group order\) assigned to zhoulin \(lead\)$' "$OUT"
mail_pid=$(sed -n 's/.*POST \/v1\/tickets\/\([a-z0-9]*\)\/resolve (e-mail .*/\1/p' "$OUT" | head -n 1)
check "recovering the e-mail customer's ticket $mail_pid, answered by xiaomei, CSAT 2 via the link" \
  grep -qF "recovering $mail_pid (email xu.tao.2014@example.com, answered by xiaomei), low score: CSAT 2 via the link" "$OUT"
# The report.
eq "the promo-day report: at least 8 inline <svg> charts, no <script>, nothing fetched from elsewhere" "ok 0 0" \
  "$(report_check | awk '{ print ($1 >= 8 ? "ok" : $1), $2, $3 }')"
check "the report names the campaign" grep -qF 'double11-2024' "$T/report.html"
check "the summary says where the report is" grep -qxF "      the promo-day report: open $T/report.html in a browser" "$OUT"
check "how to look: psql as the analyst" grep -qF "psql \"host=$T/pg user=analyst_demo dbname=peakdesk\" -c 'SELECT * FROM analytics.survey_scores'" "$OUT"
check "how to look: a customer's survey link" grep -qE "^    curl -H 'Accept: text/html' http://127\.0\.0\.1:[0-9]+/s/[A-Za-z0-9_-]{54}$" "$OUT"
for svc in peakdesk-gateway peakdesk-survey peakdesk-router peakdesk-logistics peakdesk-stock peakdesk-promo "web-chat receiver (http_receiver.py)"; do
  check "$svc stopped cleanly" grep -qxF "    $svc stopped (SIGTERM)" "$OUT"
done
eq "stopped in order: ingress (gateway, survey) first, then the router" "peakdesk-gateway peakdesk-survey peakdesk-router" \
  "$(sed -n 's/^    \(peakdesk-[a-z]*\) stopped (SIGTERM)$/\1/p' "$OUT" | head -n 3 | tr '\n' ' ' | sed 's/ $//')"
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
check "second run: the resolutions are duplicates" sh -c "[ \$(grep -cE '\"resolutionCode\":\"answered\"} -> 200 duplicate\$' '$OUT') = 2 ]"
check "second run: the web-chat \"5\" is a duplicate" grep -qE '\{"messageId":"wc-demo-survey-answer-1","text":"5",\.\.\.\} -> 200 duplicate$' "$OUT"
check "second run: the form is answered already (409)" grep -qE -- '-> 409, a page: 您已经评价过了 / Already answered' "$OUT"
check "second run: still two answers, one low" grep -qF 'answers:     2 (1 on the channel, 1 on the link), 1 low' "$OUT"
eq "second run: no invitation or thanks sent twice" "$SURVEY_STORY" "$(survey_story)"
eq "second run: the report written again" "ok 0 0" "$(report_check | awk '{ print ($1 >= 8 ? "ok" : $1), $2, $3 }')"
eq "second run: nothing left running" "" "$(leftovers)"
eq "second run: the web-chat receiver is gone too" "" "$(receiver_left)"
took=$(($(date +%s) - suite_start))
check "both runs took under a minute ($took s)" [ "$took" -lt 60 ]

# The demo's cluster once more (it keeps its data): the rows behind the
# summary after both runs, and what the analyst login may read.
if "$ROOT/deploy/local/pg.sh" start "$T/pg" >/dev/null 2>&1; then
  DB="host=$T/pg dbname=peakdesk user=peakdesk"
  ADB="host=$T/pg dbname=peakdesk user=analyst_demo"
  sq() { psql "$1" -XAtq -c "$2" 2>&1; }
  eq "after both runs: one invitation per resolved ticket, both answered" "answered email, answered webhook" \
    "$(sq "$DB" "SELECT string_agg(state || ' ' || channel, ', ' ORDER BY channel) FROM survey.invitations")"
  eq "one answer each: 5 on the channel, 2 on the link (low)" "channel 5 false, link 2 true" \
    "$(sq "$DB" "SELECT string_agg(via || ' ' || csat || ' ' || low_score, ', ' ORDER BY via) FROM survey.responses")"
  eq "one recovery ticket, for the lead, linked to the e-mail ticket" "1 zhoulin lead $mail_pid" \
    "$(sq "$DB" "SELECT count(*) || ' ' || string_agg(t.agent_id || ' ' || t.escalation_tier || ' ' || f.value, ',') FROM router.tickets t
      JOIN router.ticket_refs f ON f.ticket_id = t.ticket_id AND f.kind = 'recovers' WHERE 'service_recovery' = ANY (t.tags)")"
  eq "the analyst login is a member of peakdesk_analyst, nothing more" "peakdesk_analyst false" \
    "$(sq "$DB" "SELECT string_agg(g.rolname, ',') || ' ' || bool_or(r.rolsuper) FROM pg_roles r JOIN pg_auth_members m ON m.member = r.oid
      JOIN pg_roles g ON g.oid = m.roleid WHERE r.rolname = 'analyst_demo'")"
  eq "the analyst reads analytics.survey_scores (CSAT 50 % of 2)" "2|50.00" \
    "$(sq "$ADB" "SELECT csat_answers || '|' || csat_pct FROM analytics.survey_scores WHERE breakdown = ''")"
  # Every analytics view answers the analyst on the sample day; the ones
  # the sample's story feeds have rows.
  views=$(sq "$DB" "SELECT string_agg(table_name, ' ' ORDER BY table_name) FROM information_schema.views WHERE table_schema = 'analytics'")
  failed_views="" empty_views=""
  for v in $views; do
    n=$(sq "$ADB" "SELECT count(*) FROM analytics.$v")
    case "$n" in ''|*[!0-9]*) failed_views="$failed_views $v" ;; 0) empty_views="$empty_views $v" ;; esac
  done
  eq "the analyst reads every analytics view ($(echo $views | wc -w) views)" "" "$failed_views"
  for v in tickets ticket_volume response_times complaint_rate proactive_notices forecast_vs_actual stock_shortages \
    survey_scores survey_responses agent_scorecards campaigns shipments; do
    case " $empty_views " in *" $v "*) fail "analytics.$v has rows on the sample day" ;; *) ok "analytics.$v has rows on the sample day" ;; esac
  done
  r=$(sq "$ADB" "SELECT count(*) FROM survey.responses" | head -n 1)
  case "$r" in
  *"permission denied"*) ok "the analyst cannot read survey.responses ($r)" ;;
  *) fail "the analyst cannot read survey.responses (expected permission denied, got '$r')" ;;
  esac
  "$ROOT/deploy/local/pg.sh" stop "$T/pg" >/dev/null 2>&1
  check "PostgreSQL stopped again" [ ! -f "$T/pg/data/postmaster.pid" ]
else
  fail "the demo's PostgreSQL ($T/pg) did not start again for the last checks"
fi
pd_done
