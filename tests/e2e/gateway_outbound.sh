#!/bin/sh
# Replies reach customers: message.outbound events (published here by a
# stand-in for the router through the real bus) are delivered by the gateway
# to a local receiver (generic webhook, signed), to a local WeChat API
# stand-in (48-hour window honoured) and to sendmail; failures are retried
# with backoff, every attempt is recorded, and a message that can never be
# delivered ends dead, reported on the bus.
. "$(dirname "$0")/../lib.sh"
pd_setup
SECRET=app-secret-0123456789abcdef
PORT=$(free_port)
python3 "$ROOT/tests/tools/http_receiver.py" "$PORT" "$WORK/hook.jsonl" --fail-first 2 --fail-status 503 &
PIDS="$PIDS $!"
WXPORT=$(free_port)
python3 "$ROOT/tests/tools/http_receiver.py" "$WXPORT" "$WORK/wx.jsonl" --body '{"errcode":0,"errmsg":"ok"}' &
PIDS="$PIDS $!"
GONEPORT=$(free_port)
python3 "$ROOT/tests/tools/http_receiver.py" "$GONEPORT" "$WORK/gone.jsonl" --always 410 &
PIDS="$PIDS $!"
"$BIN/peakdesk" account add --channel webhook --name app --secret "$SECRET" --url "http://127.0.0.1:$PORT/hook" >/dev/null
"$BIN/peakdesk" account add --channel webhook --name gone --secret "$SECRET" --url "http://127.0.0.1:$GONEPORT/" >/dev/null
"$BIN/peakdesk" account add --channel wechat --name wx --token tok123 --access-token AT-1 --url "http://127.0.0.1:$WXPORT" >/dev/null
"$BIN/peakdesk" account add --channel email --name mail >/dev/null
# A WeChat user who wrote an hour ago (inside the window) and one who wrote 3 days ago.
psql_q "INSERT INTO gateway.inbound_messages(message_id, account, channel, external_user_id, external_message_id, received_at) VALUES
  (gen_random_uuid(), 'wx', 'wechat', 'oRecent', 'm1', now() - interval '1 hour'),
  (gen_random_uuid(), 'wx', 'wechat', 'oOld', 'm2', now() - interval '3 days')"
pd_start gateway PEAKDESK_GATEWAY_RETRY_BASE_MS=200 PEAKDESK_GATEWAY_DELIVERY_TICK_MS=100 \
  "PEAKDESK_SENDMAIL=$ROOT/tests/tools/fake_sendmail.sh $WORK/mail" PEAKDESK_MAIL_FROM=service@shop.example || exit 1

"$BUILD_TESTS/emit_events" --service router --instance router-1 >/dev/null <<'JSON'
{"topic":"message.outbound","outboundMessage":{"outboundId":"o-hook-1","channel":"CHANNEL_KIND_WEBHOOK","account":"app","externalUserId":"visitor-42","text":"您好，您的订单已发货。","ticketPublicId":"t7k2","reason":"OUTBOUND_REASON_AGENT_REPLY"}}
{"topic":"message.outbound","outboundMessage":{"outboundId":"o-gone-1","channel":"CHANNEL_KIND_WEBHOOK","account":"gone","externalUserId":"v","text":"hi"}}
{"topic":"message.outbound","outboundMessage":{"outboundId":"o-wx-1","channel":"CHANNEL_KIND_WECHAT","account":"wx","externalUserId":"oRecent","text":"亲，包裹明天到"}}
{"topic":"message.outbound","outboundMessage":{"outboundId":"o-wx-2","channel":"CHANNEL_KIND_WECHAT","account":"wx","externalUserId":"oOld","text":"too late"}}
{"topic":"message.outbound","outboundMessage":{"outboundId":"o-mail-1","channel":"CHANNEL_KIND_EMAIL","account":"mail","externalUserId":"li.lei@example.com","subject":"订单问题","text":"李先生您好，退款已处理。","ticketPublicId":"abcdefghijkmnpqrstuvwx","replyToExternalMessageId":"CAF1234@mail.example.com"}}
JSON
status_of() { psql_q "SELECT status FROM gateway.outbound_messages WHERE outbound_id = '$1'"; }
check "webhook delivery succeeds after two 503s" wait_for "delivered" 30 sh -c "[ \"\$(psql '$PEAKDESK_DB' -XAtqc \"SELECT status FROM gateway.outbound_messages WHERE outbound_id = 'o-hook-1'\")\" = delivered ]"
eq "three attempts recorded (two failed)" "3|2" "$(psql_q "SELECT count(*), count(*) FILTER (WHERE NOT ok) FROM gateway.delivery_attempts WHERE outbound_id = 'o-hook-1'")"
check "retries were spaced by the backoff" test "$(psql_q "SELECT (extract(epoch FROM max(at) - min(at)) * 1000)::int FROM gateway.delivery_attempts WHERE outbound_id = 'o-hook-1'")" -ge 300
eq "receiver got three posts" 3 "$(wc -l <"$WORK/hook.jsonl" | tr -d ' ')"
check "the delivered post is signed with the account secret" python3 - "$WORK/hook.jsonl" "$SECRET" <<'PY'
import hashlib, hmac, json, sys
last = [json.loads(l) for l in open(sys.argv[1])][-1]
h = {k.lower(): v for k, v in last["headers"].items()}
want = hmac.new(sys.argv[2].encode(), (h["x-peakdesk-timestamp"] + "." + last["body"]).encode(), hashlib.sha256).hexdigest()
body = json.loads(last["body"])
sys.exit(0 if h["x-peakdesk-signature"] == "sha256=" + want and body["text"] == "您好，您的订单已发货。" and h["x-peakdesk-outbound-id"] == "o-hook-1" else 1)
PY
check "a 410 receiver makes the message dead at once" wait_for "dead" 20 sh -c "[ \"\$(psql '$PEAKDESK_DB' -XAtqc \"SELECT status || attempts FROM gateway.outbound_messages WHERE outbound_id = 'o-gone-1'\")\" = dead1 ]"
check "WeChat reply inside the window delivered" wait_for "wx" 20 sh -c "[ \"\$(psql '$PEAKDESK_DB' -XAtqc \"SELECT status FROM gateway.outbound_messages WHERE outbound_id = 'o-wx-1'\")\" = delivered ]"
check "through the customer-service send API with the access token" grep -q '"path": "/cgi-bin/message/custom/send?access_token=AT-1"' "$WORK/wx.jsonl"
check "as a text message to the user" python3 -c "import json,sys; b=json.loads(json.loads(open('$WORK/wx.jsonl').readline())['body']); sys.exit(0 if b=={'touser':'oRecent','msgtype':'text','text':{'content':'亲，包裹明天到'}} else 1)"
check "a user silent for 3 days is outside WeChat's 48 h window: dead, not sent" wait_for "wx2" 20 sh -c "[ \"\$(psql '$PEAKDESK_DB' -XAtqc \"SELECT status FROM gateway.outbound_messages WHERE outbound_id = 'o-wx-2'\")\" = dead ]"
eq "only one request reached the WeChat API" 1 "$(wc -l <"$WORK/wx.jsonl" | tr -d ' ')"
check "e-mail handed to sendmail" wait_for "mail" 20 test -f "$WORK/mail/001.eml"
M=$WORK/mail/001.eml
check "it threads under the customer's message" grep -q '^In-Reply-To: <CAF1234@mail.example.com>' "$M"
check "its subject carries the ticket id (RFC 2047 encoded)" python3 -c "
import email, email.header, sys
m = email.message_from_binary_file(open('$M','rb'))
s = str(email.header.make_header(email.header.decode_header(m['Subject'])))
sys.exit(0 if s == 'Re: 订单问题 [#PD-abcdefghijkmnpqrstuvwx]' and m.get_content_charset() == 'utf-8' and '退款已处理' in m.get_payload(decode=True).decode() else 1)"
eq "delivery outcomes on the bus" "DELIVERY_STATE_DEAD:2 DELIVERY_STATE_DELIVERED:3 DELIVERY_STATE_RETRYING:2" "$("$BIN/peakdesk" tail --name check --topic message.delivery --out "$WORK/d.jsonl" --count 7 >/dev/null 2>&1; grep -o '"state":"[A-Z_]*"' "$WORK/d.jsonl" | cut -d'"' -f4 | sort | uniq -c | awk '{printf "%s:%s ", $2, $1}' | sed 's/ $//')"
# A backlog (a promo peak's acknowledgements) goes out claim after claim, not
# 32 per tick: with the tick at 5 s, all 100 pending replies are delivered
# before the second tick comes.
stop_pids "$PID_gateway"
BULKPORT=$(free_port)
python3 "$ROOT/tests/tools/http_receiver.py" "$BULKPORT" "$WORK/bulk.jsonl" &
PIDS="$PIDS $!"
"$BIN/peakdesk" account add --channel webhook --name bulk --secret "$SECRET" --url "http://127.0.0.1:$BULKPORT/" >/dev/null
psql_q "INSERT INTO gateway.outbound_messages(outbound_id, account, channel, external_user_id, text)
  SELECT 'o-bulk-' || i, 'bulk', 'webhook', 'v' || i, '已收到 ' || i FROM generate_series(1, 100) i"
pd_start gateway PEAKDESK_GATEWAY_DELIVERY_TICK_MS=5000 || exit 1
bulk_done() { [ "$(psql_q "SELECT count(*) FROM gateway.outbound_messages WHERE account = 'bulk' AND status = 'delivered'")" = "$1" ]; }
check "the first tick starts the backlog" wait_for "first bulk delivery" 15 sh -c "[ -s '$WORK/bulk.jsonl' ]"
check "and all 100 are delivered before the next tick" wait_for "bulk" 4 bulk_done 100
eq "each posted once" 100 "$(wc -l <"$WORK/bulk.jsonl" | tr -d ' ')"
pd_done
