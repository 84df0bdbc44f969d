#!/bin/sh
# What the router decides for each customer message, seen from psql and the
# bus: the category, priority and group from the shipped promo rules, the
# order and tracking numbers found, the bad-review risk with the signals
# behind it, and assignment to an online agent of the group.
. "$(dirname "$0")/../lib.sh"
pd_setup
SECRET=webchat-secret-0123456789
"$BIN/peakdesk" account add --channel webhook --name webchat --secret "$SECRET" >/dev/null
"$BIN/peakdesk" agent add --name bob --groups complaints --tier lead --capacity 3 >/dev/null
"$BIN/peakdesk" agent add --name carol --groups complaints --tier frontline --capacity 3 >/dev/null
psql_q "UPDATE router.agents SET presence = 'online'"
psql_q "UPDATE router.agents SET idle_since = now() - interval '1 hour' WHERE agent_id = 'carol'"
pd_start gateway || exit 1
pd_start router || exit 1
say() { webhook_say "$@"; } # say USER MSGID TEXT: prints the HTTP status

say angry m1 '太差了！再不处理我就打12315投诉你们，必须给个说法，赔偿我的损失' >/dev/null
check "the angry customer's ticket opens" wait_ticket angry
eq "classified as a complaint for the complaints group" "complaint|complaints" "$(ticket_of angry "category || '|' || group_name")"
check "at high priority or above" test "$(ticket_of angry priority)" -ge 3
check "with a bad-review risk score" test "$(ticket_of angry risk_score)" -ge 40
eq "and the signals that explain it (threat, compensation, negative wording)" "compensation,negative_wording,threat" \
  "$(psql_q "SELECT string_agg(code, ',' ORDER BY code) FROM router.ticket_risk_signals s JOIN router.tickets t USING (ticket_id) JOIN router.identities i USING (customer_id) WHERE i.external_user_id = 'angry' AND code IN ('threat', 'compensation', 'negative_wording')")"
eq "assigned to the online agent idle longest (equal load)" carol "$(ticket_of angry agent_id)"
eq "ticket.assigned on the bus" 1 "$(psql_q "SELECT count(*) FROM bus.outbox WHERE topic = 'ticket.assigned'")"

say parcel m2 '我的快递SF1234567890123到哪了？订单PD2411110002三天没动了' >/dev/null
check "the parcel question opens a ticket" wait_ticket parcel
eq "classified as logistics" logistics "$(ticket_of parcel category)"
eq "its order and tracking numbers are linked" "order:PD2411110002 tracking:SF1234567890123" \
  "$(psql_q "SELECT string_agg(kind || ':' || value, ' ' ORDER BY kind) FROM router.ticket_refs r JOIN router.tickets t USING (ticket_id) JOIN router.identities i USING (customer_id) WHERE i.external_user_id = 'parcel'")"
eq "no agent of its group is online: it waits in the queue" "" "$(ticket_of parcel agent_id)"

# An agent of the parcel's group comes online through the agent API: the
# waiting ticket is assigned at once.
TOKEN=$("$BIN/peakdesk" agent add --name dave --groups order,after-sale --tier frontline --capacity 2 | sed -n 's/^token: //p')
G=$(ticket_of parcel group_name)
psql_q "UPDATE router.agents SET groups = ARRAY['$G'] WHERE agent_id = 'dave'"
curl -s -o /dev/null -X PUT -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
  --data '{"presence":"online"}' "http://$(http_addr gateway)/v1/agent/presence"
check "an agent of its group coming online takes the waiting ticket" wait_for "dave" 20 ticket_has parcel "agent_id = 'dave'"

# Rules live in router.rules: the shipped set was seeded, and a rule added
# with psql takes effect in the running router (NOTIFY), no restart.
check "the shipped rules were seeded into router.rules" test "$(psql_q "SELECT count(*) FROM router.rules")" -ge 30
psql_q "INSERT INTO router.rules(rule_id, position, keywords_any, category, priority, group_name, tags)
        VALUES ('gold-invoice', -1, '{金卡发票}', 'order', 4, 'vip', '{invoice}')"
sleep 1
say gold m4 '我要开金卡发票' >/dev/null
check "the new rule classifies the next message" wait_for "gold" 20 \
  ticket_has gold "group_name = 'vip' AND priority = 4 AND rule_id = 'gold-invoice'"
psql_q "UPDATE router.rules SET category = 'no-such-category' WHERE rule_id = 'gold-invoice'"
sleep 1
check "a rule set that does not compile is refused; the router keeps working" grep -q 'classification rules refused' "$WORK/router.log"

say calm m3 '请问这件衣服有XL码吗？' >/dev/null
check "a presale question" wait_ticket calm
eq "scores no risk" 0 "$(ticket_of calm risk_score)"
check "and is not a complaint" test "$(ticket_of calm category)" != complaint
# Each agent's open-ticket count (what assignment reads) moves with the
# tickets, whoever changes them: assignment, resolving, a hand-made fix.
load_of() { psql_q "SELECT open_tickets FROM router.agents WHERE agent_id = '$1'"; }
drift() { psql_q "SELECT count(*) FROM router.agents a WHERE open_tickets <> (SELECT count(*) FROM router.tickets t WHERE t.agent_id = a.agent_id AND t.status NOT IN ('resolved', 'closed'))"; }
eq "carol carries the angry customer's ticket" 1 "$(load_of carol)"
eq "dave carries the parcel's ticket" 1 "$(load_of dave)"
eq "no agent's count differs from their open tickets" 0 "$(drift)"
psql_q "UPDATE router.tickets SET status = 'resolved' WHERE agent_id = 'carol'"
eq "a resolved ticket no longer counts" 0 "$(load_of carol)"
psql_q "UPDATE router.tickets SET agent_id = 'bob', status = 'open' WHERE agent_id = 'carol'"
eq "reopened and moved to bob: it counts for bob" "0 1" "$(load_of carol) $(load_of bob)"
eq "still no drift" 0 "$(drift)"
pd_done
