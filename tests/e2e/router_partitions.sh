#!/bin/sh
# Two router instances share the work (PEAKDESK_ROUTER_PARTITION 0/2 and
# 1/2, publisher names router-1 and router-2): every customer is handled by
# one of them, always the same, so a customer's messages thread onto one
# ticket in order; both do work; the gateway follows both publishers (a
# PEAKDESK_ROUTER_PUB list); the SLA timer runs on both but each breach is
# recorded and announced once; an instance killed mid-stream catches up
# from the outbox and nothing is lost or applied twice.
. "$(dirname "$0")/../lib.sh"
pd_setup
SECRET=webchat-secret-0123456789
"$BIN/peakdesk" account add --channel webhook --name webchat --secret "$SECRET" >/dev/null
RUN=$PEAKDESK_RUN_DIR
R1_PUB="ipc://$RUN/router.pub"
R2_PUB="ipc://$RUN/router-2.pub"
# every consumer dials both routers; each router binds the first of its own list
export PEAKDESK_ROUTER_PUB="$R1_PUB,$R2_PUB"
R2_HTTP=127.0.0.1:$(free_port)
pd_start gateway || exit 1
pd_start router PEAKDESK_INSTANCE=router-1 PEAKDESK_ROUTER_PARTITION=0/2 PEAKDESK_ROUTER_FIRST_RESPONSE_MINUTES=0.05 \
  PEAKDESK_ROUTER_SLA_CHECK_MS=200 || exit 1
start_r2() {
  env PEAKDESK_INSTANCE=router-2 PEAKDESK_ROUTER_PARTITION=1/2 PEAKDESK_ROUTER_PUB="$R2_PUB" PEAKDESK_ROUTER_HTTP="$R2_HTTP" \
    PEAKDESK_ROUTER_FIRST_RESPONSE_MINUTES=0.05 PEAKDESK_ROUTER_SLA_CHECK_MS=200 \
    "$BIN/peakdesk-router" >>"$WORK/router-2.log" 2>&1 &
  R2=$!
  PIDS="$PIDS $R2"
  wait_for "router-2 healthy" 20 curl -fsS "http://$R2_HTTP/healthz"
}
start_r2 || { fail "router-2 did not start"; tail -n 20 "$WORK/router-2.log"; pd_done; }
check "router-2 says it is partition 1 of 2" grep -q 'partition=1 count=2' "$WORK/router-2.log"

# 40 customers, three messages each, in order.
i=1
while [ $i -le 40 ]; do
  for n in 1 2 3; do webhook_say "c$i" "c$i-m$n" "第${n}条：订单什么时候发货？" >/dev/null; done
  # router-2 is killed halfway through and comes back
  if [ $i = 20 ]; then kill -KILL "$R2"; wait "$R2" 2>/dev/null; fi
  if [ $i = 25 ]; then start_r2 || fail "router-2 did not restart"; fi
  i=$((i + 1))
done
q() { psql_q "$1"; }
check "every message is on a ticket" wait_for "all threaded" 30 sh -c \
  "[ \$(psql '$PEAKDESK_DB' -XAtqc 'SELECT count(*) FROM router.ticket_messages') -ge 120 ]"
eq "each message exactly once" "120 120" "$(q "SELECT count(*) || ' ' || count(DISTINCT message_id) FROM router.ticket_messages")"
eq "one ticket per customer, all three messages on it" "40|3|3" \
  "$(q "SELECT count(*) || '|' || min(n) || '|' || max(n) FROM (SELECT t.ticket_id, count(m.*) AS n FROM router.tickets t JOIN router.ticket_messages m USING (ticket_id) GROUP BY 1) x")"
eq "each customer's ticket announced by one instance only" 0 "$(q "SELECT count(*) FROM (SELECT t.customer_id FROM router.tickets t JOIN bus.outbox o ON o.topic IN ('ticket.created', 'ticket.reopened') AND o.service = 'router' AND position(t.public_id::bytea IN o.payload) > 0 GROUP BY 1 HAVING count(DISTINCT o.publisher) > 1) x")"
eq "both instances opened tickets" 2 "$(q "SELECT count(DISTINCT publisher) FROM bus.outbox WHERE topic = 'ticket.created'")"
eq "40 tickets created, once each" 40 "$(q "SELECT count(*) FROM bus.outbox WHERE topic = 'ticket.created'")"
# in order: the timeline's messages follow the customer's numbering
eq "each customer's messages applied in order" 0 "$(q "SELECT count(*) FROM (SELECT ticket_id, text, lag(text) OVER (PARTITION BY ticket_id ORDER BY at, message_id) AS prev FROM router.ticket_messages) x WHERE prev IS NOT NULL AND prev > text")"
# No agent is online: every ticket breaches its 3 s first response once.
check "every ticket breaches its first response" wait_for "breaches" 30 sh -c \
  "[ \$(psql '$PEAKDESK_DB' -XAtqc \"SELECT count(DISTINCT ticket_id) FROM router.sla_breaches WHERE kind = 'first_response'\") -ge 40 ]"
sleep 2
eq "each breach recorded once" 0 "$(q "SELECT count(*) FROM (SELECT ticket_id, kind, tier FROM router.sla_breaches GROUP BY 1, 2, 3 HAVING count(*) > 1) x")"
eq "and announced once (ticket.sla_breached events = breaches, one snapshot)" t \
  "$(q "SELECT (SELECT count(*) FROM router.sla_breaches) = (SELECT count(*) FROM bus.outbox WHERE topic = 'ticket.sla_breached')")"
FOLLOWED="SELECT count(*) FROM bus.offsets f JOIN (SELECT publisher, max(seq) AS seq FROM bus.outbox WHERE service = 'router' GROUP BY 1) o USING (publisher) WHERE f.consumer = 'gateway-1' AND f.seq = o.seq"
check "the gateway follows both routers to their last event" wait_for "followed" 20 sh -c \
  "[ \"\$(psql '$PEAKDESK_DB' -XAtqc \"$FOLLOWED\")\" = 2 ]"

# Agents come online while both instances assign: three supervisors (the
# breached tickets now need a lead or above) with 15 places in all, 40
# tickets waiting and 20 new customers writing, half to each instance.
GROUPS=$(q "SELECT string_agg(DISTINCT group_name, ',') FROM router.tickets WHERE group_name <> ''")
CURLS=""
for a in sv1 sv2 sv3; do
  tok=$("$BIN/peakdesk" agent add --name "$a" --groups "${GROUPS:-order}" --tier supervisor --capacity 5 | sed -n 's/^token: //p')
  curl -s -o /dev/null -X PUT -H "Authorization: Bearer $tok" -H 'Content-Type: application/json' \
    --data '{"presence":"online"}' "http://$(http_addr gateway)/v1/agent/presence" &
  CURLS="$CURLS $!"
done
i=41
while [ $i -le 60 ]; do webhook_say "c$i" "c$i-m1" "订单什么时候发货？" >/dev/null; i=$((i + 1)); done
for p in $CURLS; do wait "$p"; done
check "every place is taken" wait_for "15 assigned" 30 sh -c \
  "[ \"\$(psql '$PEAKDESK_DB' -XAtqc \"SELECT count(*) FROM router.tickets WHERE agent_id <> ''\")\" = 15 ]"
sleep 1
eq "no agent over capacity, each agent's count equal to their open tickets" "0 15" \
  "$(q "SELECT count(*) FILTER (WHERE open_tickets > capacity OR open_tickets <> (SELECT count(*) FROM router.tickets t WHERE t.agent_id = a.agent_id AND t.status NOT IN ('resolved', 'closed'))) || ' ' || sum(open_tickets) FROM router.agents a")"
eq "no ticket assigned twice" 0 "$(q "SELECT count(*) FROM (SELECT ticket_id FROM router.ticket_events WHERE kind = 'assigned' GROUP BY 1 HAVING count(*) > 1) x")"
eq "no event was dead-lettered" 0 "$(q "SELECT count(*) FROM bus.dead_letters")"
pd_done
