#!/bin/sh
# First-response SLA: a ticket nobody answers breaches at frontline, is
# escalated to a lead, then to a supervisor, each breach recorded once and
# announced on the bus; a ticket answered in time never breaches.
# (Targets shortened to 3 s with PEAKDESK_ROUTER_FIRST_RESPONSE_MINUTES.)
. "$(dirname "$0")/../lib.sh"
pd_setup
SECRET=webchat-secret-0123456789
"$BIN/peakdesk" account add --channel webhook --name webchat --secret "$SECRET" >/dev/null
TOKEN=$("$BIN/peakdesk" agent add --name fay --groups presale,order,after-sale,complaints --tier lead --capacity 5 | sed -n 's/^token: //p')
pd_start gateway || exit 1
pd_start router PEAKDESK_ROUTER_FIRST_RESPONSE_MINUTES=0.05 PEAKDESK_ROUTER_SLA_CHECK_MS=200 || exit 1
say() { webhook_say "$@" >/dev/null; }
breaches() { psql_q "SELECT count(*) FROM router.sla_breaches"; }

say waiting m1 '请问什么时候发货'
check "the unanswered ticket breaches three times (frontline, lead, supervisor)" wait_for "3 breaches" 30 sh -c \
  "[ \"\$(psql '$PEAKDESK_DB' -XAtqc 'SELECT count(*) FROM router.sla_breaches')\" = 3 ]"
eq "one breach per tier" "frontline,lead,supervisor" "$(psql_q "SELECT string_agg(tier, ',' ORDER BY breached_at) FROM router.sla_breaches")"
eq "now with the supervisor, the clock stopped" "supervisor|true" "$(psql_q "SELECT escalation_tier || '|' || (first_response_due IS NULL) FROM router.tickets")"
sleep 1.5
eq "no breach recorded twice" 3 "$(breaches)"
eq "ticket.sla_breached x3, ticket.escalated x2 on the bus" "ticket.escalated:2 ticket.sla_breached:3" \
  "$(psql_q "SELECT string_agg(topic || ':' || n, ' ' ORDER BY topic) FROM (SELECT topic, count(*) n FROM bus.outbox WHERE topic IN ('ticket.sla_breached', 'ticket.escalated') GROUP BY topic) s")"
check "breaches are in the agents' timeline, not the customer's page" sh -c \
  "! curl -s 'http://$(http_addr gateway)/v1/track/$(psql_q "SELECT public_id FROM router.tickets")' | grep -q sla_breached"

say quick m2 '优惠券怎么用'
wait_for "ticket" 20 sh -c "[ \"\$(psql '$PEAKDESK_DB' -XAtqc 'SELECT count(*) FROM router.tickets')\" = 2 ]"
PID=$(ticket_of quick public_id)
curl -s -o /dev/null -X POST -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
  --data '{"text":"领券中心在首页右上角"}' "http://$(http_addr gateway)/v1/tickets/$PID/reply"
wait_for "answered" 10 sh -c "[ \"\$(psql '$PEAKDESK_DB' -XAtqc \"SELECT first_response_at IS NOT NULL FROM router.tickets WHERE public_id = '$PID'\")\" = t ]"
sleep 3.5
eq "the ticket answered in time never breaches" 0 "$(psql_q "SELECT count(*) FROM router.sla_breaches b JOIN router.tickets t USING (ticket_id) WHERE t.public_id = '$PID'")"
pd_done
