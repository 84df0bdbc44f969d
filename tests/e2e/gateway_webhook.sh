#!/bin/sh
# A web-chat platform posts customer messages to the generic webhook with
# curl, signed with HMAC-SHA256 as the channel account's secret says. Each
# message is stored once and reaches the bus as message.inbound; unsigned,
# badly signed or stale requests are refused and store nothing.
. "$(dirname "$0")/../lib.sh"
pd_setup
SECRET=webchat-secret-0123456789
"$BIN/peakdesk" account add --channel webhook --name webchat --secret "$SECRET" --url http://127.0.0.1:9/ >/dev/null
check "account list shows the account without its secret" sh -c "'$BIN/peakdesk' account list | grep -q '^webchat .*webhook .*set' && ! '$BIN/peakdesk' account list | grep -q '$SECRET'"
pd_start gateway || exit 1
URL="http://$(http_addr gateway)/v1/channels/webchat/messages"

post() { # post BODYFILE [TIMESTAMP [SIGNATURE]] -> "STATUS BODY"
  ts=${2:-$(date +%s)}
  sig=${3:-sha256=$( { printf '%s.' "$ts"; cat "$1"; } | openssl dgst -sha256 -hmac "$SECRET" -r | cut -d' ' -f1)}
  curl -sS -o "$WORK/resp" -w '%{http_code}' -H 'Content-Type: application/json' \
    -H "X-Peakdesk-Timestamp: $ts" -H "X-Peakdesk-Signature: $sig" --data-binary "@$1" "$URL"
  printf ' '; cat "$WORK/resp"
}
stored() { psql_q "SELECT count(*) FROM gateway.inbound_messages"; }

cat >"$WORK/m1.json" <<'JSON'
{"externalUserId":"visitor-42","displayName":"小王","messageId":"wc-1001","text":"我的订单D11-000001什么时候发货？","attachments":[{"url":"https://cdn.example/img/1.jpg","contentType":"image/jpeg","sizeBytes":"20480"}]}
JSON
r=$(post "$WORK/m1.json")
eq "signed message accepted" 200 "${r%% *}"
check "answer says accepted with our id" sh -c "echo '$r' | grep -q '\"status\":\"accepted\"' && echo '$r' | grep -q messageId"
r=$(post "$WORK/m1.json")
check "the same message again is a duplicate" sh -c "echo '$r' | grep -q '\"status\":\"duplicate\"'"
eq "stored once" 1 "$(stored)"
eq "text kept as UTF-8" "我的订单D11-000001什么时候发货？" "$(psql_q "SELECT text FROM gateway.inbound_messages")"
eq "attachment recorded" "image/jpeg|20480" "$(psql_q "SELECT attachments->0->>'contentType' || '|' || (attachments->0->>'sizeBytes') FROM gateway.inbound_messages")"
eq "one message.inbound event" 1 "$(psql_q "SELECT count(*) FROM bus.outbox WHERE topic = 'message.inbound'")"

"$BIN/peakdesk" tail --name gw --topic message.inbound --out "$WORK/in.jsonl" --count 1 >/dev/null 2>&1
check "a consumer sees the customer message on the bus" grep -q '"externalUserId":"visitor-42"' "$WORK/in.jsonl"
check "with channel and account" grep -q '"channel":"CHANNEL_KIND_WEBHOOK","account":"webchat"' "$WORK/in.jsonl"

# 40 concurrent requests share group commits: 20 distinct messages each sent
# twice at once. Every one is answered 200, each message stored once, and
# exactly one of each pair says accepted.
for i in $(seq 1 20); do
  printf '{"externalUserId":"burst","messageId":"burst-%d","text":"第%d条"}' "$i" "$i" >"$WORK/b$i.json"
done
for i in $(seq 1 20) $(seq 1 20); do echo "$i"; done | xargs -P 40 -I{} sh -c "
  ts=\$(date +%s); sig=sha256=\$( { printf '%s.' \"\$ts\"; cat '$WORK/b{}.json'; } | openssl dgst -sha256 -hmac '$SECRET' -r | cut -d' ' -f1)
  curl -sS -w ' %{http_code}\n' -H 'Content-Type: application/json' -H \"X-Peakdesk-Timestamp: \$ts\" -H \"X-Peakdesk-Signature: \$sig\" --data-binary @'$WORK/b{}.json' '$URL'" >"$WORK/burst.out"
eq "all 40 answered 200" 40 "$(grep -o ' 200' "$WORK/burst.out" | wc -l | tr -d ' ')"
eq "20 accepted, 20 duplicates" "20 20" "$(grep -o '"accepted"' "$WORK/burst.out" | wc -l | tr -d ' ') $(grep -o '"duplicate"' "$WORK/burst.out" | wc -l | tr -d ' ')"
eq "each stored once" 20 "$(psql_q "SELECT count(*) FROM gateway.inbound_messages WHERE external_user_id = 'burst'")"
eq "one message.inbound each" 21 "$(psql_q "SELECT count(*) FROM bus.outbox WHERE topic = 'message.inbound'")"
psql_q "DELETE FROM gateway.inbound_messages WHERE external_user_id = 'burst'"

# Refusals: nothing stored for any of them.
r=$(post "$WORK/m1.json" "$(date +%s)" "sha256=0000000000000000000000000000000000000000000000000000000000000000")
eq "wrong signature -> 401" 401 "${r%% *}"
check "as a JSON error" sh -c "echo '$r' | grep -q '\"error\":\"bad_signature\"'"
r=$(post "$WORK/m1.json" "$(( $(date +%s) - 600 ))")
eq "timestamp 10 minutes old -> 401" 401 "${r%% *}"
check "the detail says why" sh -c "echo '$r' | grep -q 'away from now'"
r=$(curl -sS -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' --data-binary "@$WORK/m1.json" "$URL")
eq "unsigned -> 401" 401 "$r"
r=$(curl -sS -o /dev/null -w '%{http_code}' --data-binary "@$WORK/m1.json" "http://$(http_addr gateway)/v1/channels/nobody/messages")
eq "unknown account -> 404" 404 "$r"
printf '{"externalUserId":"v","messageId":"wc-2","text":"\377\376"}' >"$WORK/bad.json"
r=$(post "$WORK/bad.json")
eq "invalid UTF-8 -> 400" 400 "${r%% *}"
printf '{"externalUserId":"v","text":"no id"}' >"$WORK/noid.json"
r=$(post "$WORK/noid.json")
eq "missing messageId -> 422" 422 "${r%% *}"
check "which the detail names" sh -c "echo '$r' | grep -q messageId"
printf '{"externalUserId":"v","messageId":"wc-3","text":42}' >"$WORK/type.json"
r=$(post "$WORK/type.json")
eq "wrong type -> 422" 422 "${r%% *}"
python3 -c 'print("{\"externalUserId\":\"v\",\"messageId\":\"big\",\"text\":\"" + "x" * (2 << 20) + "\"}")' >"$WORK/big.json"
r=$(post "$WORK/big.json")
eq "body over the limit -> 413" 413 "${r%% *}"
eq "none of that was stored" 1 "$(stored)"

"$BIN/peakdesk" account disable --name webchat >/dev/null
check "a disabled account is refused (within the reload period)" wait_for "disabled" 10 sh -c "[ \"\$(curl -s -o /dev/null -w '%{http_code}' --data x '$URL')\" = 403 ]"
check "gateway still healthy" curl -fsS -o /dev/null "http://$(http_addr gateway)/healthz"
pd_done
