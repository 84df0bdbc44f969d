#!/bin/sh
# The whole loop through real processes: a customer writes on web chat, the
# router opens a ticket, an agent (with the token `peakdesk agent add`
# printed) reads the queue and replies through the agent API, the router
# turns the reply into message.outbound, and the gateway delivers it to the
# channel's receiver; the customer's progress page shows each step.
. "$(dirname "$0")/../lib.sh"
pd_setup
SECRET=webchat-secret-0123456789
PORT=$(free_port)
python3 "$ROOT/tests/tools/http_receiver.py" "$PORT" "$WORK/hook.jsonl" &
PIDS="$PIDS $!"
"$BIN/peakdesk" account add --channel webhook --name webchat --secret "$SECRET" --url "http://127.0.0.1:$PORT/hook" >/dev/null
out=$("$BIN/peakdesk" agent add --name alice --groups order,after-sale --tier frontline --capacity 5)
TOKEN=$(echo "$out" | sed -n 's/^token: //p')
check "agent add prints a token once" test -n "$TOKEN"
eq "only its hash is stored" 0 "$(psql_q "SELECT count(*) FROM router.agents WHERE token_sha256 = '$TOKEN'")"
pd_start gateway PEAKDESK_GATEWAY_DELIVERY_TICK_MS=100 || exit 1
pd_start router || exit 1
GW="http://$(http_addr gateway)"
api() { # api METHOD PATH [BODY [EXTRA-HEADER]] -> "STATUS BODY"
  curl -sS -o "$WORK/api" -w '%{http_code}' -X "$1" -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
    ${4:+-H "$4"} ${3:+--data-binary "$3"} "$GW$2"
  printf ' '; cat "$WORK/api"
}
body='{"externalUserId":"visitor-42","messageId":"wc-1","text":"我的快递三天没动了"}'
ts=$(date +%s); sig=$(printf '%s.%s' "$ts" "$body" | openssl dgst -sha256 -hmac "$SECRET" -r | cut -d' ' -f1)
eq "the customer writes" 200 "$(curl -sS -o /dev/null -w "%{http_code}" -H "Content-Type: application/json" -H "X-Peakdesk-Timestamp: $ts" -H "X-Peakdesk-Signature: sha256=$sig" --data-binary "$body" "$GW/v1/channels/webchat/messages")"
wait_for "ticket" 20 sh -c "[ \"\$(psql '$PEAKDESK_DB' -XAtqc 'SELECT count(*) FROM router.tickets')\" = 1 ]"
PID=$(psql_q "SELECT public_id FROM router.tickets")

r=$(api GET /v1/agent/queue)
eq "the queue answers" 200 "${r%% *}"
check "and lists the customer's ticket" sh -c "echo '${r#* }' | grep -q '\"publicId\":\"$PID\"'"
r=$(api GET "/v1/tickets/$PID")
check "the ticket with its messages and timeline" sh -c "echo '${r#* }' | grep -q '我的快递三天没动了' && echo '${r#* }' | grep -q '\"timeline\"'"

r=$(api POST "/v1/tickets/$PID/reply" '{"text":"您好，已为您催促快递，明天送达。"}' 'Idempotency-Key: reply-1')
eq "reply accepted once committed" 202 "${r%% *}"
r=$(api POST "/v1/tickets/$PID/reply" '{"text":"您好，已为您催促快递，明天送达。"}' 'Idempotency-Key: reply-1')
check "the same call retried is a duplicate" sh -c "echo '${r#* }' | grep -q '\"status\":\"duplicate\"'"
check "the reply reaches the customer's channel" wait_for "delivered" 30 sh -c "grep -q '明天送达' '$WORK/hook.jsonl' 2>/dev/null"
sleep 1
eq "exactly once" 1 "$(grep -c '明天送达' "$WORK/hook.jsonl")"
eq "first response recorded, waiting on the customer" "t|pending_customer" "$(psql_q "SELECT first_response_at IS NOT NULL, status FROM router.tickets")"
check "the agent's ticket view shows the reply as delivered" sh -c "curl -s -H 'Authorization: Bearer $TOKEN' '$GW/v1/tickets/$PID' | grep -q '\"outboundId\":\"reply-1\",\"status\":\"delivered\"'"
check "the progress page shows the reply step" sh -c "curl -s '$GW/v1/track/$PID' | grep -q agent_reply"

api POST "/v1/tickets/$PID/note" '{"text":"客户是老客户，注意语气"}' >/dev/null
wait_for "note" 20 sh -c "[ \"\$(psql '$PEAKDESK_DB' -XAtqc \"SELECT count(*) FROM router.ticket_events WHERE kind = 'note'\")\" = 1 ]"
check "an internal note is not on the customer's page" sh -c "! curl -s '$GW/v1/track/$PID' | grep -q '注意语气'"
check "but agents see it" sh -c "curl -s -H 'Authorization: Bearer $TOKEN' '$GW/v1/tickets/$PID' | grep -q '注意语气'"
eq "and it was not sent to the customer" 1 "$(wc -l <"$WORK/hook.jsonl" | tr -d ' ')"

api POST "/v1/tickets/$PID/transfer" '{"department":"warehouse","note":"查件"}' >/dev/null
check "transfer to the warehouse" wait_for "transfer" 20 sh -c "[ \"\$(psql '$PEAKDESK_DB' -XAtqc 'SELECT status || group_name FROM router.tickets')\" = pending_departmentwarehouse ]"
# Now with the warehouse, the ticket is no longer alice's to close; a lead may.
r=$(api POST "/v1/tickets/$PID/resolve" '{"resolution":"x","resolutionCode":"x"}')
eq "the frontline agent cannot close the warehouse's ticket -> 403" 403 "${r%% *}"
LEAD=$("$BIN/peakdesk" agent add --name lily --groups order --tier lead --capacity 5 | sed -n 's/^token: //p')
curl -s -o /dev/null -X POST -H "Authorization: Bearer $LEAD" -H 'Content-Type: application/json' \
  --data '{"resolution":"包裹已送达","resolutionCode":"delivered"}' "$GW/v1/tickets/$PID/resolve"
check "a lead resolves it" wait_for "resolved" 20 sh -c "[ \"\$(psql '$PEAKDESK_DB' -XAtqc 'SELECT status FROM router.tickets')\" = resolved ]"
eq "ticket.resolved on the bus" 1 "$(psql_q "SELECT count(*) FROM bus.outbox WHERE topic = 'ticket.resolved'")"
api PUT /v1/agent/presence '{"presence":"online"}' >/dev/null
check "presence" wait_for "presence" 20 sh -c "[ \"\$(psql '$PEAKDESK_DB' -XAtqc \"SELECT presence FROM router.agents WHERE agent_id = 'alice'\")\" = online ]"

OTHER=$("$BIN/peakdesk" agent add --name eve --groups presale --tier frontline --capacity 5 | sed -n 's/^token: //p')
r=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H "Authorization: Bearer $OTHER" -H 'Content-Type: application/json' \
  --data '{"text":"not mine"}' "$GW/v1/tickets/$PID/reply")
eq "a frontline agent of another group may not reply to alice's ticket -> 403" 403 "$r"
eq "no token -> 401" 401 "$(curl -s -o /dev/null -w '%{http_code}' "$GW/v1/agent/queue")"
eq "a wrong token -> 401" 401 "$(curl -s -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer pdagent_0000000000000000000000' "$GW/v1/agent/queue")"
r=$(api POST "/v1/tickets/$PID/reply" '{"text":""}')
eq "an empty reply -> 422" 422 "${r%% *}"
r=$(api POST "/v1/tickets/$PID/reply" '{"txt":"typo"}')
eq "an unknown field -> 422" 422 "${r%% *}"
r=$(api POST "/v1/tickets/abcdefghijkmnpqrstuvwx/reply" '{"text":"x"}')
eq "an unknown ticket -> 404" 404 "${r%% *}"
r=$(api PUT /v1/agent/presence '{"presence":"sleeping"}')
eq "an unknown presence -> 422" 422 "${r%% *}"
pd_done
