#!/bin/sh
# The next-response and resolution clocks, with pauses: a customer's
# follow-up nobody answers breaches the next-response target; the
# resolution clock stops while the ticket waits on the customer or on a
# department, its deadline moves on by the time paused, and it breaches
# once per tier when it finally runs out. (Targets shortened with the
# operator overrides: first 1 min, next 3 s, resolution 6 s.) And an
# agent's commitment ("I will call you back"): reminded before it is due,
# done when the agent writes again.
. "$(dirname "$0")/../lib.sh"
pd_setup
SECRET=webchat-secret-0123456789
"$BIN/peakdesk" account add --channel webhook --name webchat --secret "$SECRET" >/dev/null
"$BIN/peakdesk" group add --name warehouse --department >/dev/null
TOKEN=$("$BIN/peakdesk" agent add --name fay --groups presale,order,after-sale,complaints --tier frontline --capacity 5 | sed -n 's/^token: //p')
WH_TOKEN=$("$BIN/peakdesk" agent add --name lao.wang --groups warehouse --tier frontline --capacity 5 | sed -n 's/^token: //p')
pd_start gateway || exit 1
pd_start router PEAKDESK_ROUTER_FIRST_RESPONSE_MINUTES=1 PEAKDESK_ROUTER_NEXT_RESPONSE_MINUTES=0.05 \
  PEAKDESK_ROUTER_RESOLUTION_MINUTES=0.1 PEAKDESK_ROUTER_SLA_CHECK_MS=200 PEAKDESK_ROUTER_FOLLOW_UP_ALERT_MINUTES=0.05 || exit 1
say() { webhook_say "$@" >/dev/null; }
agent() { # public-id action json [token]
  curl -s -o /dev/null -w '%{http_code}' -X POST -H "Authorization: Bearer ${4:-$TOKEN}" -H 'Content-Type: application/json' \
    --data "$3" "http://$(http_addr gateway)/v1/tickets/$1/$2"
}
breaches() { psql_q "SELECT coalesce(string_agg(kind || ':' || tier, ',' ORDER BY breached_at), '') FROM router.sla_breaches b JOIN router.tickets t USING (ticket_id) WHERE t.public_id = '$1'"; }

# Next response: answered at once, then a follow-up nobody answers.
say ann a1 '我的订单怎么还没发货'
wait_ticket ann
A=$(ticket_of ann public_id)
eq "agent replies" 202 "$(agent "$A" reply '{"text":"您好，正在为您查询"}')"
wait_for "answered" 10 sh -c "[ \"\$(psql '$PEAKDESK_DB' -XAtqc \"SELECT status FROM router.tickets WHERE public_id = '$A'\")\" = pending_customer ]"
say ann a2 '查到了吗？'
check "the follow-up's next response breaches at frontline" wait_for "next" 20 sh -c "psql '$PEAKDESK_DB' -XAtqc \"SELECT kind FROM router.sla_breaches\" | grep -q next_response"
eq "no first-response breach: that one was met" 0 "$(psql_q "SELECT count(*) FROM router.sla_breaches WHERE kind = 'first_response'")"
eq "escalated to a lead for it" lead "$(psql_q "SELECT escalation_tier FROM router.tickets WHERE public_id = '$A'")"
eq "agent answers the follow-up" 202 "$(agent "$A" reply '{"text":"明天发出"}')"
sleep 1
eq "answered: the next-response clock stops" "t" "$(psql_q "SELECT next_response_due IS NULL FROM router.tickets WHERE public_id = '$A'")"

# Resolution pauses while waiting on the customer.
say bob b1 '衣服尺码不合适想换'
wait_ticket bob
B=$(ticket_of bob public_id)
eq "agent asks the customer something" 202 "$(agent "$B" reply '{"text":"请问需要换什么尺码？"}')"
wait_for "paused" 10 sh -c "[ \"\$(psql '$PEAKDESK_DB' -XAtqc \"SELECT sla_paused_since IS NOT NULL FROM router.tickets WHERE public_id = '$B'\")\" = t ]"
sleep 8   # longer than the 6 s resolution target
eq "no resolution breach while waiting on the customer" "" "$(breaches "$B" | tr ',' '\n' | grep resolution)"
say bob b2 '换XL'
wait_for "resumed" 10 sh -c "[ \"\$(psql '$PEAKDESK_DB' -XAtqc \"SELECT sla_paused_since IS NULL FROM router.tickets WHERE public_id = '$B'\")\" = t ]"
moved=$(psql_q "SELECT extract(epoch FROM resolution_due - created_at)::int FROM router.tickets WHERE public_id = '$B'")
check "the deadline moved on by the pause (6 s + ~8 s paused, got ${moved} s)" test "$moved" -ge 13 -a "$moved" -le 20

# Waiting on a department pauses it too; back with the team it runs.
eq "passed to the warehouse" 202 "$(agent "$B" transfer '{"department":"warehouse","note":"换货"}')"
wait_for "dept" 10 sh -c "[ \"\$(psql '$PEAKDESK_DB' -XAtqc \"SELECT status FROM router.tickets WHERE public_id = '$B'\")\" = pending_department ]"
due_before=$(psql_q "SELECT extract(epoch FROM resolution_due)::int FROM router.tickets WHERE public_id = '$B'")
sleep 4
eq "paused with the department" "t" "$(psql_q "SELECT sla_paused_since IS NOT NULL FROM router.tickets WHERE public_id = '$B'")"
eq "the warehouse hands it back to the after-sale team" 202 "$(agent "$B" transfer '{"group":"after-sale"}' "$WH_TOKEN")"
wait_for "resumed" 10 sh -c "[ \"\$(psql '$PEAKDESK_DB' -XAtqc \"SELECT status FROM router.tickets WHERE public_id = '$B'\")\" = open ]"
due_after=$(psql_q "SELECT extract(epoch FROM resolution_due)::int FROM router.tickets WHERE public_id = '$B'")
check "moved on by the department's time too ($((due_after - due_before)) s)" test $((due_after - due_before)) -ge 3
check "then it runs out and breaches" wait_for "resolution" 40 sh -c "psql '$PEAKDESK_DB' -XAtqc \"SELECT kind FROM router.sla_breaches b JOIN router.tickets t USING (ticket_id) WHERE t.public_id = '$B'\" | grep -q resolution"
sleep 1
eq "each resolution breach recorded once per tier" 1 "$(psql_q "SELECT max(n) FROM (SELECT count(*) n FROM router.sla_breaches WHERE kind = 'resolution' GROUP BY ticket_id, tier) x")"
check "announced on the bus as a resolution breach" sh -c "[ \$(psql '$PEAKDESK_DB' -XAtqc \"SELECT count(*) FROM bus.outbox WHERE topic = 'ticket.sla_breached'\") -ge 2 ]"

# A commitment: "I will call you back" in 6 s; reminded 3 s before.
say cat c1 '退款什么时候到账？'
wait_ticket cat
C=$(ticket_of cat public_id)
due=$(( $(date +%s) * 1000 + 6000 ))
eq "a reply in the past as a commitment is refused" 422 "$(agent "$C" reply '{"text":"稍后回电","followUpAtMs":"1000"}')"
eq "agent promises a call back" 202 "$(agent "$C" reply "{\"text\":\"我去财务查一下，稍后给您回电\",\"followUpAtMs\":\"$due\",\"followUpNote\":\"回电告知退款进度\"}")"
check "the commitment is on the agent's queue" wait_for "queued" 10 sh -c "curl -s -H 'Authorization: Bearer $TOKEN' 'http://$(http_addr gateway)/v1/agent/queue' | grep -q '回电告知退款进度'"
check "the agent is reminded before it is due" wait_for "reminded" 10 sh -c "[ \"\$(psql '$PEAKDESK_DB' -XAtqc \"SELECT count(*) FROM bus.outbox WHERE topic = 'ticket.follow_up_due'\")\" = 1 ]"
check "before, not after" test "$(psql_q "SELECT alerted_at < due_at FROM router.follow_ups")" = t
check "shown as reminded on the queue" sh -c "curl -s -H 'Authorization: Bearer $TOKEN' 'http://$(http_addr gateway)/v1/agent/queue' | grep -q '\"reminded\": *\"true\"'"
eq "the agent calls back (writes again)" 202 "$(agent "$C" reply '{"text":"退款已到账，请查收"}')"
wait_for "done" 10 sh -c "[ \"\$(psql '$PEAKDESK_DB' -XAtqc \"SELECT done_at IS NOT NULL FROM router.follow_ups\")\" = t ]"
sleep 1
eq "kept: done, reminded once" "t|1" "$(psql_q "SELECT done_at IS NOT NULL FROM router.follow_ups")|$(psql_q "SELECT count(*) FROM bus.outbox WHERE topic = 'ticket.follow_up_due'")"

# Resolving stops everything.
eq "resolved" 202 "$(agent "$B" resolve '{"resolutionCode":"exchanged"}')"
wait_for "resolved" 10 sh -c "[ \"\$(psql '$PEAKDESK_DB' -XAtqc \"SELECT status FROM router.tickets WHERE public_id = '$B'\")\" = resolved ]"
n=$(psql_q "SELECT count(*) FROM router.sla_breaches")
sleep 2
eq "a resolved ticket breaches nothing more" "$n" "$(psql_q "SELECT count(*) FROM router.sla_breaches")"
pd_done
