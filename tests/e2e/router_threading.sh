#!/bin/sh
# Customer messages become tickets: the router (a real consumer of
# message.inbound from the gateway) opens one ticket per customer, threads
# later messages into it, reopens a recently resolved one, and the customer
# follows it on the gateway's progress page (JSON and HTML).
. "$(dirname "$0")/../lib.sh"
pd_setup
SECRET=webchat-secret-0123456789
"$BIN/peakdesk" account add --channel webhook --name webchat --secret "$SECRET" >/dev/null
pd_start gateway || exit 1
pd_start router || exit 1
URL="http://$(http_addr gateway)/v1/channels/webchat/messages"
say() { # say USER MSGID TEXT
  body=$(printf '{"externalUserId":"%s","displayName":"客户","messageId":"%s","text":"%s"}' "$1" "$2" "$3")
  ts=$(date +%s)
  sig=$(printf '%s.%s' "$ts" "$body" | openssl dgst -sha256 -hmac "$SECRET" -r | cut -d' ' -f1)
  curl -sS -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' -H "X-Peakdesk-Timestamp: $ts" \
    -H "X-Peakdesk-Signature: sha256=$sig" --data-binary "$body" "$URL"
}
tickets() { psql_q "SELECT count(*) FROM router.tickets"; }
msgs() { psql_q "SELECT count(*) FROM router.ticket_messages"; }

eq "first message accepted by the gateway" 200 "$(say visitor-42 m1 '我的订单D11-000001什么时候发货？')"
check "the router opens a ticket" wait_for "ticket" 20 sh -c "[ \"\$(psql '$PEAKDESK_DB' -XAtqc 'SELECT count(*) FROM router.tickets')\" = 1 ]"
eq "ticket.created on the bus" 1 "$(psql_q "SELECT count(*) FROM bus.outbox WHERE topic = 'ticket.created'")"
say visitor-42 m2 '在吗？' >/dev/null
check "a second message joins the same ticket" wait_for "threaded" 20 sh -c "[ \"\$(psql '$PEAKDESK_DB' -XAtqc 'SELECT count(*) FROM router.ticket_messages')\" = 2 ]"
eq "still one ticket" 1 "$(tickets)"
say visitor-7 m3 '优惠券怎么用' >/dev/null
check "another customer gets their own ticket" wait_for "second" 20 sh -c "[ \"\$(psql '$PEAKDESK_DB' -XAtqc 'SELECT count(*) FROM router.tickets')\" = 2 ]"
eq "one customer per identity" 2 "$(psql_q "SELECT count(*) FROM router.customers")"

PID=$(ticket_of visitor-42 public_id)
check "the public id is 22 unguessable characters" sh -c "echo '$PID' | grep -Eq '^[a-km-np-z2-9]{22}$'"
T="http://$(http_addr gateway)/v1/track/$PID"
curl -sS "$T" >"$WORK/track.json"
check "progress page (JSON) shows the status and the customer-visible steps" python3 -c "
import json,sys
d = json.load(open('$WORK/track.json'))
kinds = [s['kind'] for s in d['timeline']]
sys.exit(0 if d['publicId'] == '$PID' and d['status'] == 'open' and kinds == ['created', 'message'] and all(s['label'] for s in d['timeline']) else 1)"
check "no internal ids leak to the customer" sh -c "! grep -Eq 'ticketId|customerId|agent' '$WORK/track.json'"
curl -sS -H 'Accept: text/html' "$T" >"$WORK/track.html"
check "the same URL gives an HTML page for a phone" sh -c "grep -q '<meta name=\"viewport\"' '$WORK/track.html' && grep -q '<ol id=\"timeline\">' '$WORK/track.html'"
# What the customer's phone shows: headless Chromium renders the page.
CHROME="chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking --disable-component-update --disable-sync --user-data-dir=$WORK/chrome"
timeout 60 $CHROME --window-size=390,844 --screenshot="$WORK/track.png" "$T" >/dev/null 2>&1
[ -n "${PEAKDESK_KEEP_SCREENSHOT:-}" ] && cp "$WORK/track.png" "$PEAKDESK_KEEP_SCREENSHOT"
check "Chromium rendered the progress page to a phone-sized screenshot" python3 -c "
import struct,sys
b = open('$WORK/track.png','rb').read()
w, h = struct.unpack('>II', b[16:24])
sys.exit(0 if b[:8] == b'\x89PNG\r\n\x1a\n' and (w, h) == (390, 844) and len(b) > 5000 else 1)"
timeout 60 $CHROME --dump-dom "$T" >"$WORK/dom.html" 2>/dev/null
eq "and its DOM holds both timeline steps" 2 "$(grep -o '<li>' "$WORK/dom.html" | wc -l | tr -d ' ')"
eq "an unknown id -> 404" 404 "$(curl -s -o /dev/null -w '%{http_code}' "http://$(http_addr gateway)/v1/track/abcdefghijkmnpqrstuvwx")"
eq "a malformed id -> 404" 404 "$(curl -s -o /dev/null -w '%{http_code}' "http://$(http_addr gateway)/v1/track/'%20OR%201=1")"

# Resolved yesterday, the customer writes again: the ticket reopens.
psql_q "UPDATE router.tickets SET status = 'resolved', resolved_at = now() - interval '1 day' WHERE public_id = '$PID'"
say visitor-42 m4 '还是没收到' >/dev/null
check "a message after resolution reopens the ticket" wait_for "reopen" 20 sh -c "[ \"\$(psql '$PEAKDESK_DB' -XAtqc \"SELECT status FROM router.tickets WHERE public_id = '$PID'\")\" = open ]"
eq "ticket.reopened on the bus" 1 "$(psql_q "SELECT count(*) FROM bus.outbox WHERE topic = 'ticket.reopened'")"
# Resolved long ago: a new ticket.
psql_q "UPDATE router.tickets SET status = 'resolved', resolved_at = now() - interval '10 days' WHERE public_id = '$PID'"
say visitor-42 m5 '又有新问题' >/dev/null
check "long after resolution a new ticket opens" wait_for "new" 20 sh -c "[ \"\$(psql '$PEAKDESK_DB' -XAtqc 'SELECT count(*) FROM router.tickets')\" = 3 ]"
eq "every message applied exactly once" 5 "$(msgs)"

# The router killed and restarted catches up from the outbox: nothing lost, nothing twice.
kill -KILL "$PID_router"; wait "$PID_router" 2>/dev/null
say visitor-9 m6 '退货' >/dev/null; say visitor-9 m7 '退款' >/dev/null
pd_start router || exit 1
check "after a SIGKILL the router catches up" wait_for "caught up" 20 sh -c "[ \"\$(psql '$PEAKDESK_DB' -XAtqc 'SELECT count(*) FROM router.ticket_messages')\" = 7 ]"
eq "and opened one ticket for the new customer" 4 "$(tickets)"
pd_done
