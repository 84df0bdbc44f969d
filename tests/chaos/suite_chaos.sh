#!/bin/sh
# The whole suite under a steady mixed load (customer messages on the signed
# webhook, logistics / stock / promo events through `peakdesk publish`,
# agents replying to and resolving tickets, customers answering surveys)
# while each of the six services in turn is killed with SIGKILL at a random
# moment and then PostgreSQL is restarted under the running services.
#
# A supervisor loop per service restarts a service that exits, as systemd's
# Restart=on-failure / RestartSec=2s in deploy/systemd does (CHAOS_RESTART_SEC);
# every restart is logged. PostgreSQL's restart must need no restart at all:
# the services reconnect by themselves and /healthz is 200 again within
# CHAOS_PG_HEAL_S.
#
# Afterwards, counted in the database (the load tool's record of every
# acknowledgement is loaded into schema chaos):
#  - every customer message the gateway answered "accepted" (or "duplicate"
#    to a re-send of a message whose first answer was lost) is in
#    gateway.inbound_messages exactly once and in router.ticket_messages
#    exactly once; every stored inbound message reached a ticket;
#  - every department event acknowledged ACCEPTED/DUPLICATE is in its
#    service's ingest_log exactly once and has exactly one effect row
#    (logistics.orders / logistics.shipments + one logistics.shipment_updated,
#    stock.levels at the event's version, promo.campaigns + one
#    promo.campaign_updated); the ingest logs hold nothing else;
#  - every ticket that was resolved (by an agent: the load never sends spam
#    and nothing auto-closes within the run) has exactly one
#    survey.invitations row, and every invitation that went out exactly one
#    invitation message (gateway.outbound_messages reason 4);
#  - every survey answer answered 201 (or 409 to a re-send) has exactly one
#    survey.responses row, and there are no others;
#  - no ticket is double-assigned. Definition: the router assigns only a
#    ticket without an agent; only a transfer takes the agent away. So in a
#    ticket's timeline (router.ticket_events by event_no) an "assigned"
#    entry must not follow another "assigned" entry without a
#    "transferred" entry between them; there is exactly one ticket.assigned
#    event on the bus per "assigned" entry; and no agent ever holds more
#    open tickets than their capacity (sampled every second during the run
#    and checked at the end);
#  - every SLA breach is recorded once: one router.sla_breaches row per
#    (ticket, clock, tier) (primary key), one "sla_breached" timeline entry
#    and one ticket.sla_breached event per row;
#  - bus.dead_letters is empty, every publisher's seqs are gap-free;
#  - no service died except by our SIGKILL (every supervisor restart follows
#    one of our kills; exit statuses logged), no sanitizer report in any log
#    (run with PEAKDESK_BIN=build/san/bin for the ASan+UBSan build), and
#    every service stops within 20 s of SIGTERM at the end.
#
# Knobs: CHAOS_SECONDS (120) of load, CHAOS_RATE (6 customer messages/s),
# CHAOS_RESTART_SEC (2), CHAOS_HEAL_S (60: a killed service must be healthy
# again within it), CHAOS_PG_HEAL_S (30), CHAOS_DRAIN_S (180). Figures are
# printed and written to build/chaos/suite.txt.
. "$(dirname "$0")/../lib.sh"
DURATION=${CHAOS_SECONDS:-120}
RATE=${CHAOS_RATE:-6}
RESTART_SEC=${CHAOS_RESTART_SEC:-2}
HEAL_S=${CHAOS_HEAL_S:-60}
PG_HEAL_S=${CHAOS_PG_HEAL_S:-30}
DRAIN_S=${CHAOS_DRAIN_S:-180}
SERVICES="gateway router logistics stock promo survey"
FIG=$ROOT/build/chaos/suite.txt
mkdir -p "$ROOT/build/chaos"
. "$ROOT/tests/chaos/chaos_lib.sh"

pd_setup
# Our own copy of the binaries: a rebuild in the tree meanwhile (make
# rewrites them in place) must not make a restart fail.
mkdir -p "$WORK/bin"
cp "$BIN"/peakdesk "$BIN"/peakdesk-* "$WORK/bin/"
BIN_SRC=$BIN
BIN=$WORK/bin
SUP_PIDS=""
chaos_cleanup() {
  touch "$WORK/stop" 2>/dev/null
  [ -n "${LOAD_PID:-}" ] && kill -TERM "$LOAD_PID" 2>/dev/null
  [ -n "${SAMPLER:-}" ] && kill -TERM "$SAMPLER" 2>/dev/null
  for s in $SERVICES; do
    p=$(cat "$WORK/$s.pid" 2>/dev/null) && [ -n "$p" ] && kill -TERM "$p" 2>/dev/null
  done
  stop_pids $SUP_PIDS
  SUP_PIDS=""
  # keep the evidence of a failed run
  if [ "$FAILED" -gt 0 ] && [ -d "${WORK:-}" ]; then
    rm -rf "$ROOT/build/chaos/last-failure"
    mkdir -p "$ROOT/build/chaos/last-failure"
    cp -r "$WORK"/*.log "$WORK"/*.txt "$WORK/load" "$ROOT/build/chaos/last-failure/" 2>/dev/null
    pg_dump -h "$PGDIR" -U peakdesk -d peakdesk -Fc -f "$ROOT/build/chaos/last-failure/db.dump" 2>/dev/null
    echo "logs, load records and a database dump: build/chaos/last-failure/"
  fi
  pd_cleanup
}
trap chaos_cleanup EXIT INT TERM

SECRET=chaos-webhook-secret-0123456789
PORT=$(free_port)
python3 "$ROOT/tests/tools/http_receiver.py" "$PORT" "$WORK/hook.jsonl" &
PIDS="$PIDS $!"
"$BIN/peakdesk" account add --channel webhook --name webchat --secret "$SECRET" --url "http://127.0.0.1:$PORT/hook" >/dev/null
GROUPS_ALL=presale,order,after-sale,complaints,vip
: >"$WORK/agents.txt"
for a in fa:frontline fb:frontline fc:frontline fd:frontline la:lead lb:lead sa:supervisor; do
  tok=$("$BIN/peakdesk" agent add --name "${a%%:*}" --groups $GROUPS_ALL --tier "${a#*:}" --capacity 40 | sed -n 's/^token: //p')
  echo "${a%%:*} $tok" >>"$WORK/agents.txt"
done

export PEAKDESK_SURVEY_SECRET=chaos-survey-link-key-0123456789abcdef
export PEAKDESK_SURVEY_PUBLIC_URL="http://$(http_addr survey)/"
export PEAKDESK_SURVEY_QUIET_HOURS=none PEAKDESK_SURVEY_TICK_MS=300
export PEAKDESK_GATEWAY_DELIVERY_TICK_MS=200
export PEAKDESK_ROUTER_FIRST_RESPONSE_MINUTES=0.1 PEAKDESK_ROUTER_SLA_CHECK_MS=500

# supervise SERVICE: runs it, and again RESTART_SEC after it exits, until
# $WORK/stop exists. Each start and exit is logged in $WORK/supervisor.log.
supervise() {
  _s=$1
  _n=0
  while [ ! -f "$WORK/stop" ]; do
    "$BIN/peakdesk-$_s" >>"$WORK/$_s.log" 2>&1 &
    _p=$!
    echo "$_p" >"$WORK/$_s.pid"
    echo "$(now) start $_s pid=$_p run=$_n" >>"$WORK/supervisor.log"
    wait "$_p"
    _rc=$?
    [ -f "$WORK/stop" ] && break
    echo "$(now) exit $_s pid=$_p rc=$_rc restart" >>"$WORK/supervisor.log"
    echo "$(now) $_s rc=$_rc" >>"$WORK/restarts.log"
    _n=$((_n + 1))
    sleep "$RESTART_SEC"
  done
}
healthy() { curl -fsS -o /dev/null --max-time 2 "http://$(http_addr "$1")/healthz"; }
all_healthy() { for _h in $SERVICES; do healthy "$_h" || return 1; done; }
restarts() { [ -f "$WORK/restarts.log" ] && wc -l <"$WORK/restarts.log" | tr -d ' ' || echo 0; }
: >"$WORK/restarts.log"
for s in $SERVICES; do
  supervise "$s" &
  SUP_PIDS="$SUP_PIDS $!"
done
if ! wait_for "all six healthy" 60 all_healthy; then
  for s in $SERVICES; do healthy "$s" || { echo "peakdesk-$s not healthy:"; tail -n 20 "$WORK/$s.log"; }; done
  fail "the six services start"
  exit 1
fi
GW="http://$(http_addr gateway)"
for t in $(cut -d' ' -f2 "$WORK/agents.txt"); do
  curl -s -o /dev/null -X PUT -H "Authorization: Bearer $t" --data '{"presence":"online"}' "$GW/v1/agent/presence"
done
check "seven agents online" wait_for "agents online" 20 sh -c \
  "[ \"\$(psql '$PEAKDESK_DB' -XAtqc \"SELECT count(*) FROM router.agents WHERE presence = 'online'\")\" = 7 ]"
ok "six services healthy under their supervisors"

# ---- load ---------------------------------------------------------------------------
T_START=$(now)
python3 "$ROOT/tests/tools/chaos_load.py" --out "$WORK/load" --seconds "$DURATION" --rate "$RATE" \
  --gw "$(http_addr gateway)" --secret "$SECRET" --account webchat --peakdesk "$BIN/peakdesk" \
  --agents "$WORK/agents.txt" --hook "$WORK/hook.jsonl" >"$WORK/load.out" 2>"$WORK/load.log" &
LOAD_PID=$!

# Capacity sampler: an agent with more open tickets than capacity, ever.
(
  while [ ! -f "$WORK/stop" ] && [ ! -f "$WORK/sampler.stop" ]; do
    psql "$PEAKDESK_DB" -XAtq -c "SELECT a.agent_id || ':' || count(*) || '>' || a.capacity FROM router.agents a
      JOIN router.tickets t ON t.agent_id = a.agent_id AND t.status NOT IN ('resolved', 'closed')
      GROUP BY a.agent_id, a.capacity HAVING count(*) > a.capacity" >>"$WORK/overcap.txt" 2>/dev/null
    sleep 1
  done
) &
SAMPLER=$!

rand() { shuf -i "$1-$2" -n 1; }
# Kills in the first ~70 % of the run, one slot per service in a random
# order; PostgreSQL's restart at ~80 %.
SLOT=$(( (DURATION * 70 / 100 - 8) / 6 ))
[ "$SLOT" -ge 4 ] || SLOT=4
KILL_ORDER=$(echo $SERVICES | tr ' ' '\n' | shuf | tr '\n' ' ')
: >"$WORK/heal.txt"
k=0
for s in $KILL_ORDER; do
  at=$(awk -v t="$T_START" -v o=$((8 + k * SLOT)) -v r="$(rand 0 $((SLOT * 10 / 2)))" 'BEGIN { printf "%.1f", t + o + r / 10 }')
  while [ "$(awk -v a="$(now)" -v b="$at" 'BEGIN { print (a < b) }')" = 1 ]; do sleep 0.2; done
  p=$(cat "$WORK/$s.pid")
  before=$(restarts)
  t0=$(now)
  kill -KILL "$p" 2>/dev/null
  echo "$t0 kill $s pid=$p" >>"$WORK/supervisor.log"
  # healthy again means: a new process (not the killed one) answers 200
  if wait_for "$s back" "$HEAL_S" sh -c "[ \"\$(cat '$WORK/$s.pid')\" != '$p' ] && curl -fsS -o /dev/null --max-time 2 'http://$(http_addr "$s")/healthz'"; then
    t1=$(now)
    echo "$s $(elapsed "$t0" "$t1")" >>"$WORK/heal.txt"
    pd_log "SIGKILL $s at +$(elapsed "$T_START" "$t0") s: healthy again after $(elapsed "$t0" "$t1") s (restarts so far $(restarts))"
  else
    echo "$s never" >>"$WORK/heal.txt"
    fail "$s healthy again within ${HEAL_S} s of SIGKILL"
    tail -n 20 "$WORK/$s.log"
  fi
  k=$((k + 1))
done
eq "six SIGKILLs, six restarts by the supervisor" 6 "$(restarts)"

# ---- PostgreSQL restart -----------------------------------------------------------------
at=$(awk -v t="$T_START" -v d="$DURATION" 'BEGIN { printf "%.1f", t + d * 0.8 }')
while [ "$(awk -v a="$(now)" -v b="$at" 'BEGIN { print (a < b) }')" = 1 ]; do sleep 0.2; done
before=$(restarts)
pids_before=$(for s in $SERVICES; do cat "$WORK/$s.pid"; done | tr '\n' ' ')
t0=$(now)
"$ROOT/deploy/local/pg.sh" stop "$PGDIR" >/dev/null 2>&1
check "PostgreSQL stopped" sh -c "! psql '$PEAKDESK_DB' -XAtqc 'SELECT 1' >/dev/null 2>&1"
sleep 3
"$ROOT/deploy/local/pg.sh" start "$PGDIR" fast >/dev/null || { fail "PostgreSQL restarts"; exit 1; }
t_pg=$(now)
# a snapshot of what was committed before the restart, to time the drain
chaos_snapshot "$WORK/pg_snapshot.txt"
if wait_for "healthy after PG" "$PG_HEAL_S" all_healthy; then
  t1=$(now)
  PG_HEAL=$(elapsed "$t_pg" "$t1")
  ok "all six healthy again $PG_HEAL s after PostgreSQL came back"
else
  PG_HEAL=never
  fail "all six healthy within ${PG_HEAL_S} s of PostgreSQL's restart"
  for s in $SERVICES; do healthy "$s" || { echo "peakdesk-$s:"; tail -n 10 "$WORK/$s.log"; }; done
fi
PG_RESTARTS=$(( $(restarts) - before ))
eq "nobody restarted for PostgreSQL's restart (they reconnected by themselves)" 0 "$PG_RESTARTS"
eq "the same processes run" "$pids_before" "$(for s in $SERVICES; do cat "$WORK/$s.pid"; done | tr '\n' ' ')"
caught_up_snapshot() { chaos_caught_up "$WORK/pg_snapshot.txt"; }
if wait_for "drain after PG" "$DRAIN_S" caught_up_snapshot; then
  PG_DRAIN=$(elapsed "$t_pg" "$(now)")
  ok "consumers caught up with everything committed before the restart, $PG_DRAIN s after PostgreSQL came back"
else
  PG_DRAIN=never
  fail "consumers caught up within ${DRAIN_S} s of PostgreSQL's restart ($(chaos_pending "$WORK/pg_snapshot.txt") events behind)"
fi

# ---- the load ends; everything drains -----------------------------------------------------
_i=0
while kill -0 "$LOAD_PID" 2>/dev/null && [ $_i -lt $(( (DURATION + 300) * 5 )) ]; do sleep 0.2; _i=$((_i + 1)); done
if kill -0 "$LOAD_PID" 2>/dev/null; then fail "the load tool finished"; kill -TERM "$LOAD_PID"; fi
wait "$LOAD_PID"
LOAD_PID=""
T_LOAD_END=$(now)
pd_log "load: $(tail -n 1 "$WORK/load.log")"
if wait_for "final drain" "$DRAIN_S" chaos_quiet; then
  FINAL_DRAIN=$(elapsed "$T_LOAD_END" "$(now)")
  ok "everything consumed $FINAL_DRAIN s after the load ended"
else
  FINAL_DRAIN=never
  fail "everything consumed within ${DRAIN_S} s after the load ($(chaos_pending) events behind)"
fi
touch "$WORK/sampler.stop"
wait "$SAMPLER" 2>/dev/null
SAMPLER=""
eq "no service restarted other than after our kills" 6 "$(restarts)"

# Stop: every service must exit within 20 s of SIGTERM (stop_pids fails otherwise).
touch "$WORK/stop"
SVC_PIDS=$(for s in $SERVICES; do cat "$WORK/$s.pid"; done)
stop_pids $SVC_PIDS
stop_pids $SUP_PIDS
SUP_PIDS=""
grep -lE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$WORK"/*.log >"$WORK/san.txt" 2>/dev/null
eq "no sanitizer report in any service log" "" "$(xargs -r -n1 basename <"$WORK/san.txt" | tr '\n' ' ')"
eq "every exit was one of our SIGKILLs (status 137)" "" "$(grep -v 'rc=137$' "$WORK/restarts.log")"

# ---- what was acknowledged, into the database -----------------------------------------------
python3 - "$WORK/load" <<'PY'
import csv, json, os, sys
d = sys.argv[1]
spec = {"webhook": ["id", "user", "status", "tries"], "dept": ["kind", "eventId", "ref", "status", "tries"],
        "resolve": ["ticket", "agent", "round", "status"], "answer": ["token", "invitation", "status", "csat"]}
for name, cols in spec.items():
    path = os.path.join(d, name + ".jsonl")
    rows = [json.loads(l) for l in open(path)] if os.path.exists(path) else []
    with open(os.path.join(d, name + ".csv"), "w", newline="") as f:
        w = csv.writer(f)
        for r in rows:
            w.writerow([r.get(c, "") for c in cols])
PY
psql "$PEAKDESK_DB" -XAtq -v ON_ERROR_STOP=1 >/dev/null <<SQL || fail "load records loaded"
CREATE SCHEMA chaos;
CREATE TABLE chaos.webhook (id text, usr text, status text, tries int);
CREATE TABLE chaos.dept (kind text, event_id uuid, ref text, status text, tries int);
CREATE TABLE chaos.resolve (ticket text, agent text, round int, status text);
CREATE TABLE chaos.answer (token text, invitation uuid, status text, csat int);
\copy chaos.webhook FROM '$WORK/load/webhook.csv' CSV
\copy chaos.dept FROM '$WORK/load/dept.csv' CSV
\copy chaos.resolve FROM '$WORK/load/resolve.csv' CSV
\copy chaos.answer FROM '$WORK/load/answer.csv' CSV
SQL
n() { psql_q "$1"; }

# customer messages
W_SENT=$(n "SELECT count(*) FROM chaos.webhook")
W_ACC=$(n "SELECT count(*) FROM chaos.webhook WHERE status IN ('accepted', 'duplicate')")
W_DUP=$(n "SELECT count(*) FROM chaos.webhook WHERE status = 'duplicate'")
W_FAILED=$(n "SELECT count(*) FROM chaos.webhook WHERE status NOT IN ('accepted', 'duplicate')")
W_RETRIED=$(n "SELECT count(*) FROM chaos.webhook WHERE tries > 1")
check "customer messages were sent ($W_SENT)" test "$W_SENT" -gt 0
eq "every customer message was answered accepted/duplicate in the end (re-sent while a service was down)" 0 "$W_FAILED"
W_GW=$(n "SELECT count(*) FROM chaos.webhook w WHERE w.status IN ('accepted', 'duplicate')
  AND (SELECT count(*) FROM gateway.inbound_messages m WHERE m.account = 'webchat' AND m.external_message_id = w.id) = 1")
eq "every accepted message id is in gateway.inbound_messages exactly once" "$W_ACC" "$W_GW"
W_RT=$(n "SELECT count(*) FROM chaos.webhook w WHERE w.status IN ('accepted', 'duplicate')
  AND (SELECT count(*) FROM gateway.inbound_messages m JOIN router.ticket_messages t USING (message_id)
       WHERE m.account = 'webchat' AND m.external_message_id = w.id AND t.direction = 'in') = 1")
eq "every accepted message id is in router.ticket_messages exactly once" "$W_ACC" "$W_RT"
eq "the gateway holds no message that was never acknowledged" "$W_SENT" "$(n "SELECT count(*) FROM gateway.inbound_messages")"
eq "every stored inbound message reached a ticket (message.inbound lost nowhere)" 0 \
  "$(n "SELECT count(*) FROM gateway.inbound_messages m WHERE NOT EXISTS (SELECT 1 FROM router.ticket_messages t WHERE t.message_id = m.message_id)")"
eq "one message.inbound per stored message" "$(n "SELECT count(*) FROM gateway.inbound_messages")" \
  "$(n "SELECT count(*) FROM bus.outbox WHERE topic = 'message.inbound'")"

# department events
for kind in logistics stock promo; do
  acc=$(n "SELECT count(*) FROM chaos.dept WHERE kind = '$kind' AND status IN ('ACCEPTED', 'DUPLICATE')")
  eval "D_ACC_$kind=$acc"
  check "$kind events were accepted ($acc)" test "$acc" -gt 0
  eq "every $kind event was acknowledged ACCEPTED/DUPLICATE in the end" 0 \
    "$(n "SELECT count(*) FROM chaos.dept WHERE kind = '$kind' AND status NOT IN ('ACCEPTED', 'DUPLICATE')")"
  eq "every accepted $kind event id is in $kind.ingest_log exactly once" "$acc" \
    "$(n "SELECT count(*) FROM chaos.dept d JOIN $kind.ingest_log l USING (event_id) WHERE d.kind = '$kind' AND d.status IN ('ACCEPTED', 'DUPLICATE')")"
  eq "$kind.ingest_log holds nothing else" "$acc" "$(n "SELECT count(*) FROM $kind.ingest_log")"
done
L_ORD=$(n "SELECT count(*) FROM chaos.dept WHERE kind = 'logistics' AND ref LIKE '%-O%' AND status IN ('ACCEPTED', 'DUPLICATE')")
L_SHP=$(n "SELECT count(*) FROM chaos.dept WHERE kind = 'logistics' AND ref LIKE '%-T%' AND status IN ('ACCEPTED', 'DUPLICATE')")
eq "one logistics.orders row per order event" "$L_ORD|$L_ORD" \
  "$(n "SELECT count(*) || '|' || count(DISTINCT o.order_id) FROM chaos.dept d JOIN logistics.orders o ON o.order_id = d.ref WHERE d.kind = 'logistics'")"
eq "one logistics.shipments row per shipment event" "$L_SHP|$L_SHP" \
  "$(n "SELECT count(*) || '|' || count(*) FROM chaos.dept d JOIN logistics.shipments s ON s.tracking_no = d.ref AND s.carrier = 'zto' WHERE d.kind = 'logistics'")"
eq "no other orders or shipments" "$L_ORD|$L_SHP" "$(n "SELECT (SELECT count(*) FROM logistics.orders) || '|' || (SELECT count(*) FROM logistics.shipments)")"
eq "one logistics.shipment_updated per shipment event" "$L_SHP" "$(n "SELECT count(*) FROM bus.outbox WHERE topic = 'logistics.shipment_updated'")"
S_ACC=$D_ACC_stock
eq "one stock.levels row per stock event, at the event's version" "$S_ACC" \
  "$(n "SELECT count(*) FROM chaos.dept d JOIN stock.levels l ON l.sku = d.ref AND l.warehouse = 'HZ1'
       WHERE d.kind = 'stock' AND l.version = substr(d.ref, strpos(d.ref, '-S') + 2)::bigint + 1")"
eq "no other stock levels" "$S_ACC" "$(n "SELECT count(*) FROM stock.levels")"
S_SHORT=$(n "SELECT count(*) FROM stock.levels WHERE shortage_open")
eq "one stock.shortage per stock-out report" "$S_SHORT" "$(n "SELECT count(*) FROM bus.outbox WHERE topic = 'stock.shortage'")"
P_ACC=$D_ACC_promo
eq "one promo.campaigns row per campaign event" "$P_ACC" \
  "$(n "SELECT count(*) FROM chaos.dept d JOIN promo.campaigns c ON c.campaign_id = d.ref WHERE d.kind = 'promo'")"
eq "no other campaigns" "$P_ACC" "$(n "SELECT count(*) FROM promo.campaigns")"
eq "one promo.campaign_updated per campaign event" "$P_ACC" "$(n "SELECT count(*) FROM bus.outbox WHERE topic = 'promo.campaign_updated'")"

# tickets, assignment, resolutions, surveys
TICKETS=$(n "SELECT count(*) FROM router.tickets")
RES_CMD=$(n "SELECT count(*) FROM chaos.resolve WHERE status IN ('accepted', 'duplicate')")
RESOLVED=$(n "SELECT count(DISTINCT ticket_id) FROM router.ticket_events WHERE kind = 'resolved'")
RESOLVED_EV=$(n "SELECT count(*) FROM router.ticket_events WHERE kind = 'resolved'")
check "tickets were resolved by agents ($RESOLVED tickets, $RES_CMD resolve commands)" test "$RESOLVED" -gt 0
eq "every resolve command the gateway accepted resolved its ticket once (one 'resolved' entry each)" "$RES_CMD" "$RESOLVED_EV"
eq "one ticket.resolved per 'resolved' entry" "$RESOLVED_EV" "$(n "SELECT count(*) FROM bus.outbox WHERE topic = 'ticket.resolved'")"
eq "no ticket auto-closed or resolved as spam in this run" 0 "$(n "SELECT count(*) FROM router.tickets WHERE auto_closed")"
INV=$(n "SELECT count(*) FROM router.tickets t WHERE EXISTS (SELECT 1 FROM router.ticket_events e WHERE e.ticket_id = t.ticket_id AND e.kind = 'resolved')
  AND (SELECT count(*) FROM survey.invitations i WHERE i.ticket_id = t.ticket_id) = 1")
eq "every resolved ticket has exactly one survey invitation" "$RESOLVED" "$INV"
eq "and no invitation for a ticket never resolved" "$RESOLVED" "$(n "SELECT count(*) FROM survey.invitations")"
INV_SENT=$(n "SELECT count(*) FROM survey.invitations WHERE state IN ('sent', 'answered', 'expired')")
eq "every invitation that went out is one invitation message" "$INV_SENT|$INV_SENT" \
  "$(n "SELECT count(*) || '|' || count(DISTINCT ticket_public_id) FROM gateway.outbound_messages WHERE reason = 4")"
eq "one survey.invitation_sent per invitation that went out" "$INV_SENT" "$(n "SELECT count(*) FROM bus.outbox WHERE topic = 'survey.invitation_sent'")"
ANS=$(n "SELECT count(*) FROM chaos.answer WHERE status IN ('recorded', 'already')")
ANS_201=$(n "SELECT count(*) FROM chaos.answer WHERE status = 'recorded'")
eq "every survey answer was answered 201 (409 only to a re-send)" 0 "$(n "SELECT count(*) FROM chaos.answer WHERE status NOT IN ('recorded', 'already')")"
eq "every recorded survey answer is exactly one survey.responses row" "$ANS" \
  "$(n "SELECT count(*) FROM chaos.answer a JOIN survey.responses r ON r.invitation_id = a.invitation AND r.csat = a.csat")"
eq "and there are no other responses" "$ANS" "$(n "SELECT count(*) FROM survey.responses")"
eq "one survey.response_recorded per response" "$ANS" "$(n "SELECT count(*) FROM bus.outbox WHERE topic = 'survey.response_recorded'")"
LOW=$(n "SELECT count(*) FROM survey.responses WHERE low_score")
eq "one recovery ticket per low score" "$LOW" "$(n "SELECT count(*) FROM router.tickets WHERE 'service_recovery' = ANY(tags)")"

ASSIGNED=$(n "SELECT count(*) FROM router.ticket_events WHERE kind = 'assigned'")
DOUBLE=$(n "SELECT count(*) FROM (SELECT kind, lag(kind) OVER (PARTITION BY ticket_id ORDER BY event_no) AS prev
  FROM router.ticket_events WHERE kind IN ('assigned', 'transferred')) s WHERE kind = 'assigned' AND prev = 'assigned'")
eq "no ticket assigned twice without a transfer between (of $ASSIGNED assignments)" 0 "$DOUBLE"
eq "one ticket.assigned per assignment" "$ASSIGNED" "$(n "SELECT count(*) FROM bus.outbox WHERE topic = 'ticket.assigned'")"
eq "no agent ever over capacity (sampled every second)" "" "$(sort -u "$WORK/overcap.txt" | tr '\n' ' ')"
eq "no agent over capacity at the end" 0 "$(n "SELECT count(*) FROM router.agents a WHERE (SELECT count(*) FROM router.tickets t WHERE t.agent_id = a.agent_id AND t.status NOT IN ('resolved', 'closed')) > a.capacity")"

BREACHES=$(n "SELECT count(*) FROM router.sla_breaches")
check "SLA breaches happened ($BREACHES)" test "$BREACHES" -gt 0
eq "no SLA breach recorded twice (ticket, clock, tier)" "$BREACHES" "$(n "SELECT count(DISTINCT (ticket_id, kind, tier)) FROM router.sla_breaches")"
eq "one 'sla_breached' timeline entry per breach" "$BREACHES" "$(n "SELECT count(*) FROM router.ticket_events WHERE kind = 'sla_breached'")"
eq "one ticket.sla_breached per breach" "$BREACHES" "$(n "SELECT count(*) FROM bus.outbox WHERE topic = 'ticket.sla_breached'")"

DL=$(n "SELECT count(*) FROM bus.dead_letters")
eq "bus.dead_letters is empty" 0 "$DL"
if [ "$DL" != 0 ]; then
  psql "$PEAKDESK_DB" -Xq -c "SELECT consumer, publisher, seq, topic, left(error, 300) AS error, created_at FROM bus.dead_letters ORDER BY created_at LIMIT 10"
  # agent commands: which action on which kind of ticket (the command id is in the payload)
  psql "$PEAKDESK_DB" -Xq -c "SELECT c.action, c.agent_id, 'service_recovery' = ANY (t.tags) AS recovery_ticket,
      (SELECT count(*) FROM router.ticket_messages m WHERE m.ticket_id = t.ticket_id AND m.direction = 'in') AS inbound_msgs, count(*)
    FROM bus.dead_letters d JOIN bus.outbox o ON o.publisher = d.publisher AND o.seq = d.seq
    JOIN gateway.agent_commands c ON position(convert_to(c.command_id, 'UTF8') IN o.payload) > 0
    LEFT JOIN router.tickets t ON t.public_id = c.ticket_public_id
    WHERE d.topic = 'agent.command' GROUP BY 1, 2, 3, 4 ORDER BY 5 DESC"
fi
eq "every publisher's seqs are gap-free" "" "$(n "SELECT string_agg(publisher, ' ') FROM (SELECT publisher FROM bus.outbox GROUP BY publisher HAVING max(seq) <> count(*)) s")"

# ---- figures ------------------------------------------------------------------------------
{
  echo "suite_chaos: $(date -u +%Y-%m-%dT%H:%M:%SZ), ${DURATION} s of load, binaries $BIN_SRC"
  echo "load accepted: customer messages $W_ACC of $W_SENT sent ($W_DUP answered duplicate to a re-send; $W_RETRIED needed a re-send; $W_FAILED never accepted);"
  echo "  logistics events ${D_ACC_logistics} ($L_ORD orders, $L_SHP shipments), stock events ${D_ACC_stock}, promo events ${D_ACC_promo};"
  echo "  resolve commands $RES_CMD on $RESOLVED tickets (of $TICKETS), survey answers $ANS ($ANS_201 answered 201)"
  echo "kills: 6 SIGKILLs (order: $KILL_ORDER); supervisor restarts: $(restarts)"
  echo "healthy after SIGKILL (s, incl. RestartSec=$RESTART_SEC):$(awk '{ printf " %s %s", $1, $2 }' "$WORK/heal.txt")"
  echo "PostgreSQL restart: all healthy again after ${PG_HEAL} s with $PG_RESTARTS restarts; consumers caught up after ${PG_DRAIN} s; final drain after the load ${FINAL_DRAIN} s"
  echo "exactly-once: inbound $W_GW/$W_ACC in gateway, $W_RT/$W_ACC in router; ingest logistics ${D_ACC_logistics}, stock ${D_ACC_stock}, promo ${D_ACC_promo} (each once, one effect row);"
  echo "  invitations $INV for $RESOLVED resolved tickets ($INV_SENT sent), responses $ANS; assignments $ASSIGNED, double $DOUBLE; SLA breaches $BREACHES (each once);"
  echo "  dead letters $(n "SELECT count(*) FROM bus.dead_letters"); checks: $PASSED passed, $FAILED failed"
} | tee "$FIG" | sed 's/^/  /'
pd_done
