#!/bin/sh
# A return across departments: the after-sale agent opens and approves it,
# the logistics service reports the parcel on its way back, which opens a
# task for the warehouse (the ticket waits on the department), the
# warehouse agent inspects, finance refunds, the agent closes. Steps out of
# order or by the wrong department are refused with the reason; every step
# is on the customer's progress page.
. "$(dirname "$0")/../lib.sh"
pd_setup
SECRET=webchat-secret-0123456789
"$BIN/peakdesk" account add --channel webhook --name webchat --secret "$SECRET" >/dev/null
token() { "$BIN/peakdesk" agent add --name "$1" --groups "$2" --tier frontline --capacity 5 | sed -n 's/^token: //p'; }
FAY=$(token fay after-sale,order)
WANG=$(token lao.wang warehouse)
QIAN=$(token qian finance)
pd_start logistics || exit 1
pd_start gateway || exit 1
pd_start router || exit 1
GW="http://$(http_addr gateway)"
say() { webhook_say "$@" >/dev/null; }
step() { # token step [reference] -> http status
  curl -s -o /dev/null -w '%{http_code}' -X POST -H "Authorization: Bearer $1" -H 'Content-Type: application/json' \
    --data "{\"workflow\":\"return\",\"step\":\"$2\",\"reference\":\"${3:-}\"}" "$GW/v1/tickets/$T/workflow"
}
state() { psql_q "SELECT state FROM router.workflows"; }
wait_state() { wait_for "state $1" 15 sh -c "[ \"\$(psql '$PEAKDESK_DB' -XAtqc 'SELECT state FROM router.workflows')\" = '$1' ]"; }
refusals() { psql_q "SELECT count(*) FROM router.ticket_events WHERE kind = 'workflow_refused'"; }

curl -s -o /dev/null -X PUT -H "Authorization: Bearer $FAY" --data '{"presence":"online"}' "$GW/v1/agent/presence"
"$BIN/peakdesk" publish --to logistics --quiet >/dev/null 2>&1 <<'JSON'
{"eventId":"60000000-0000-4000-8000-000000000001","order":{"orderId":"PD2411130001","customer":{"channel":"CHANNEL_KIND_WEBHOOK","account":"webchat","externalUserId":"ming"},"items":[{"sku":"SKU-SHOE-42","name":"跑步鞋 42码","quantity":1}]}}
JSON
say ming m1 '订单PD2411130001的鞋子尺码不合适，我要退货'
wait_for "assigned" 20 sh -c "[ \"\$(psql '$PEAKDESK_DB' -XAtqc 'SELECT agent_id FROM router.tickets')\" = fay ]"
T=$(psql_q "SELECT public_id FROM router.tickets")

eq "the agent records the request" 202 "$(step "$FAY" requested RT2411130001)"
check "requested" wait_state requested
eq "and approves it" 202 "$(step "$FAY" approved)"
check "approved" wait_state approved
eq "finance may not touch a ticket without a task for finance" 403 "$(step "$QIAN" finance_refunded)"
eq "a refund before the parcel is back (accepted, then refused)" 202 "$(step "$FAY" finance_refunded)"
check "refused with the reason on the agents' timeline" wait_for "refused" 15 sh -c "[ \$(psql '$PEAKDESK_DB' -XAtqc \"SELECT count(*) FROM router.ticket_events WHERE kind = 'workflow_refused'\") = 1 ]"
eq "still approved" approved "$(state)"

# The logistics service reports the parcel sent back: warehouse task.
"$BIN/peakdesk" publish --to logistics --quiet >/dev/null 2>&1 <<'JSON'
{"eventId":"60000000-0000-4000-8000-000000000011","returnUpdate":{"returnId":"RT2411130001","orderId":"PD2411130001","state":"RETURN_STATE_REQUESTED","reason":"尺码不合适"}}
{"eventId":"60000000-0000-4000-8000-000000000012","returnUpdate":{"returnId":"RT2411130001","orderId":"PD2411130001","state":"RETURN_STATE_APPROVED"}}
{"eventId":"60000000-0000-4000-8000-000000000013","returnUpdate":{"returnId":"RT2411130001","orderId":"PD2411130001","state":"RETURN_STATE_PARCEL_SENT","carrier":"sf","trackingNo":"SF9876543210123"}}
JSON
check "the parcel on its way back (from logistics)" wait_state parcel_back
eq "a task for the warehouse; the ticket waits on the department (clock paused)" "warehouse|pending_department|true" \
  "$(psql_q "SELECT (SELECT string_agg(group_name, ',') FROM router.workflow_tasks WHERE done_at IS NULL) || '|' || status || '|' || (sla_paused_since IS NOT NULL) FROM router.tickets")"
check "the task is on the warehouse agent's queue" sh -c "curl -s -H 'Authorization: Bearer $WANG' '$GW/v1/agent/queue' | grep -q 'warehouse_inspected'"
eq "the after-sale agent cannot inspect for the warehouse" 202 "$(step "$FAY" warehouse_inspected)"
check "refused" wait_for "refused 2" 15 sh -c "[ \$(psql '$PEAKDESK_DB' -XAtqc \"SELECT count(*) FROM router.ticket_events WHERE kind = 'workflow_refused'\") = 2 ]"
eq "the warehouse inspects" 202 "$(step "$WANG" warehouse_inspected)"
check "inspected" wait_state warehouse_inspected
eq "now a task for finance" "finance" "$(psql_q "SELECT string_agg(group_name, ',') FROM router.workflow_tasks WHERE done_at IS NULL")"
eq "finance refunds" 202 "$(step "$QIAN" finance_refunded)"
check "refunded" wait_state finance_refunded
eq "tasks done by the departments; the ticket runs again" "lao.wang,qian|open|true" \
  "$(psql_q "SELECT (SELECT string_agg(split_part(done_by, ':', 2), ',' ORDER BY task_id) FROM router.workflow_tasks) || '|' || status || '|' || (sla_paused_since IS NULL) FROM router.tickets")"
eq "the agent closes it" 202 "$(step "$FAY" closed)"
check "closed" wait_state closed
eq "nothing leaves closed" 202 "$(step "$FAY" approved)"
check "refused" wait_for "refused 3" 15 sh -c "[ \$(psql '$PEAKDESK_DB' -XAtqc \"SELECT count(*) FROM router.ticket_events WHERE kind = 'workflow_refused'\") = 3 ]"
eq "still closed" closed "$(state)"
steps=$(curl -s "$GW/v1/track/$T" | python3 -c 'import json,sys; print(" ".join(e["label"].split(" / ")[1] for e in json.load(sys.stdin)["timeline"] if e["kind"] == "workflow_step"))')
check "the customer's page shows the six steps, in order ($steps)" test "$(echo "$steps" | wc -w)" -ge 6
eq "no refusal or task on the customer's page" 0 "$(curl -s "$GW/v1/track/$T" | grep -c 'refused\|department_task')"
# An exchange on the same ticket: the warehouse inspects and ships the
# replacement (its own task), the agent closes.
xstep() { curl -s -o /dev/null -w '%{http_code}' -X POST -H "Authorization: Bearer $1" -H 'Content-Type: application/json' \
  --data "{\"workflow\":\"exchange\",\"step\":\"$2\"}" "$GW/v1/tickets/$T/workflow"; }
xstate() { psql_q "SELECT state FROM router.workflows WHERE kind = 'exchange'"; }
xwait() { wait_for "exchange $1" 15 sh -c "[ \"\$(psql '$PEAKDESK_DB' -XAtqc \"SELECT state FROM router.workflows WHERE kind = 'exchange'\")\" = '$1' ]"; }
eq "exchange requested" 202 "$(xstep "$FAY" requested)"
check "requested" xwait requested
eq "approved" 202 "$(xstep "$FAY" approved)"
check "approved" xwait approved
eq "the agent cannot claim the parcel is back (a logistics fact)" 202 "$(xstep "$FAY" parcel_back)"
check "refused" wait_for "refused 4" 15 sh -c "[ \$(psql '$PEAKDESK_DB' -XAtqc \"SELECT count(*) FROM router.ticket_events WHERE kind = 'workflow_refused'\") = 4 ]"
eq "no department task before the parcel is back" 0 "$(psql_q "SELECT count(*) FROM router.workflow_tasks WHERE kind = 'exchange' AND done_at IS NULL")"
pd_log "exchange state: $(xstate)"
# A reship for a parcel lost on the way: the warehouse ships a new one
# (its task), the logistics service reports it delivered, the agent closes.
rstep() { curl -s -o /dev/null -w '%{http_code}' -X POST -H "Authorization: Bearer $1" -H 'Content-Type: application/json' \
  --data "{\"workflow\":\"reship\",\"step\":\"$2\",\"reference\":\"${3:-}\"}" "$GW/v1/tickets/$T/workflow"; }
rwait() { wait_for "reship $1" 15 sh -c "[ \"\$(psql '$PEAKDESK_DB' -XAtqc \"SELECT state FROM router.workflows WHERE kind = 'reship'\")\" = '$1' ]"; }
eq "reship requested" 202 "$(rstep "$FAY" requested PD2411130001)"
check "requested" rwait requested
eq "and approved" 202 "$(rstep "$FAY" approved)"
check "approved" rwait approved
eq "a task for the warehouse to ship it" "warehouse|reshipped" "$(psql_q "SELECT group_name || '|' || step FROM router.workflow_tasks WHERE kind = 'reship' AND done_at IS NULL")"
eq "the warehouse ships the new parcel" 202 "$(rstep "$WANG" reshipped SF5555555555555)"
check "reshipped" rwait reshipped
eq "the workflow waits for that parcel" SF5555555555555 "$(psql_q "SELECT parcel FROM router.workflows WHERE kind = 'reship'")"
"$BIN/peakdesk" publish --to logistics --quiet >/dev/null 2>&1 <<'JSON'
{"eventId":"60000000-0000-4000-8000-000000000021","shipmentUpdate":{"orderId":"PD2411130001","carrier":"sf","trackingNo":"SF5555555555555","state":"SHIPMENT_STATE_DELIVERED"}}
JSON
check "delivered, as the logistics service reports it" rwait delivered
eq "the agent closes the reship" 202 "$(rstep "$FAY" closed)"
check "closed" rwait closed
eq "a workflow nobody knows is a 422" 422 "$(curl -s -o /dev/null -w '%{http_code}' -X POST -H "Authorization: Bearer $FAY" -H 'Content-Type: application/json' --data '{"workflow":"upgrade","step":"x"}' "$GW/v1/tickets/$T/workflow")"
pd_done
