# Shared pieces of the chaos scenarios (sourced after tests/lib.sh). The
# exactly-once checks here are the customer message and department event
# part of suite_chaos.sh's larger set, on the same load records
# (tests/tools/chaos_load.py).
#
#   now / elapsed T0 T1            wall clock (s, 0.1 s) and a difference
#   chaos_setup_people [PREFIX]    webhook account "webchat" (receiver on a free
#                                  port) and seven agents ($WORK/agents.txt);
#                                  PREFIX runs the receiver (e.g. "ip netns exec B")
#   chaos_pending [SNAPSHOT]       events the three consumers still have to apply
#   chaos_snapshot FILE            every publisher's max(seq) now, for chaos_pending
#   chaos_quiet                    consumers at the head and nothing new for 3 s
#   chaos_load_records DIR         the load's records into schema chaos
#   chaos_check_effects            exactly-once checks on them (ok/fail)
#   chaos_keep_failure NAME        logs and a dump to build/chaos/last-failure-NAME
#   wait_until SECONDS CMD...      like wait_for without the description
now() { date +%s.%N | cut -c1-14; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
wait_until() { _wu=$1; shift; wait_for "-" "$_wu" "$@"; }
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }

CHAOS_SECRET=chaos-webhook-secret-0123456789
chaos_setup_people() {
  _pfx=${1:-}
  HOOK_PORT=$(free_port)
  # shellcheck disable=SC2086
  $_pfx python3 "$ROOT/tests/tools/http_receiver.py" "$HOOK_PORT" "$WORK/hook.jsonl" &
  PIDS="$PIDS $!"
  "$BIN/peakdesk" account add --channel webhook --name webchat --secret "$CHAOS_SECRET" \
    --url "http://127.0.0.1:$HOOK_PORT/hook" >/dev/null || return 1
  : >"$WORK/agents.txt"
  for _a in fa:frontline fb:frontline fc:frontline fd:frontline la:lead lb:lead sa:supervisor; do
    _tok=$("$BIN/peakdesk" agent add --name "${_a%%:*}" --groups presale,order,after-sale,complaints,vip \
      --tier "${_a#*:}" --capacity 40 | sed -n 's/^token: //p')
    echo "${_a%%:*} $_tok" >>"$WORK/agents.txt"
  done
}

chaos_pending() {
  _lim="TRUE"
  [ -n "${1:-}" ] && _lim="o.seq <= coalesce((SELECT s FROM (VALUES $(sed "s/^\([^ ]*\) \(.*\)\$/('\1', \2)/" "$1" | paste -sd,)) v(p, s) WHERE v.p = o.publisher), 0)"
  psql_q "WITH c(consumer, pat) AS (VALUES
      ('gateway-1', '^message\.outbound'),
      ('router-1', '^(message\.inbound|agent\.command|logistics\.(delayed|return_updated|shipment_updated)|stock\.(shortage|restocked)|survey\.low_score)'),
      ('survey-1', '^ticket\.(resolved|survey_reply)'))
    SELECT count(*) FROM bus.outbox o JOIN c ON o.topic ~ c.pat
    WHERE ($_lim) AND o.seq > coalesce((SELECT seq FROM bus.offsets f WHERE f.consumer = c.consumer AND f.publisher = o.publisher), 0)"
}
chaos_snapshot() { psql_q "SELECT publisher || ' ' || max(seq) FROM bus.outbox GROUP BY publisher" >"$1"; }
chaos_caught_up() { [ "$(chaos_pending "${1:-}")" = 0 ]; }
chaos_quiet() {
  _a=$(psql_q "SELECT count(*) FROM bus.outbox WHERE topic <> 'bus.heartbeat'")
  chaos_caught_up || return 1
  sleep 3
  chaos_caught_up && [ "$_a" = "$(psql_q "SELECT count(*) FROM bus.outbox WHERE topic <> 'bus.heartbeat'")" ]
}

# chaos_load_records DIR: webhook.jsonl / dept.jsonl / resolve.jsonl into
# chaos.webhook (id, usr, status, tries, t0, t, errs) and chaos.dept
# (kind, event_id, ref, status, tries, t0, t, errs, rejected), chaos.resolve.
chaos_load_records() {
  python3 - "$1" <<'PY' || return 1
import csv, json, os, sys
d = sys.argv[1]
spec = {"webhook": ["id", "user", "status", "tries", "t0", "t", "errs"],
        "dept": ["kind", "eventId", "ref", "status", "tries", "t0", "t", "errs", "rejected"],
        "resolve": ["ticket", "agent", "round", "status"]}
for name, cols in spec.items():
    path = os.path.join(d, name + ".jsonl")
    rows = [json.loads(l) for l in open(path)] if os.path.exists(path) else []
    with open(os.path.join(d, name + ".csv"), "w", newline="") as f:
        w = csv.writer(f)
        for r in rows:
            w.writerow([json.dumps(r[c]) if isinstance(r.get(c), (dict, list)) else r.get(c, 0 if c == "rejected" else "") for c in cols])
PY
  psql "$PEAKDESK_DB" -XAtq -v ON_ERROR_STOP=1 >/dev/null <<SQL
SET client_min_messages = warning;
DROP SCHEMA IF EXISTS chaos CASCADE;
CREATE SCHEMA chaos;
CREATE TABLE chaos.webhook (id text, usr text, status text, tries int, t0 float8, t float8, errs jsonb);
CREATE TABLE chaos.dept (kind text, event_id uuid, ref text, status text, tries int, t0 float8, t float8, errs jsonb, rejected int);
CREATE TABLE chaos.resolve (ticket text, agent text, round int, status text);
\copy chaos.webhook FROM '$1/webhook.csv' CSV
\copy chaos.dept FROM '$1/dept.csv' CSV
\copy chaos.resolve FROM '$1/resolve.csv' CSV
SQL
}

# chaos_check_effects: every acknowledged customer message and department
# event has exactly one effect; nothing unacknowledged was stored; no dead
# letters; seqs gap-free. Sets W_SENT W_ACC W_DUP W_RETRIED D_ACC D_DUP
# D_RETRIED_BATCHES D_ACC_<kind>.
chaos_check_effects() {
  n() { psql_q "$1"; }
  W_SENT=$(n "SELECT count(*) FROM chaos.webhook")
  W_ACC=$(n "SELECT count(*) FROM chaos.webhook WHERE status IN ('accepted', 'duplicate')")
  W_DUP=$(n "SELECT count(*) FROM chaos.webhook WHERE status = 'duplicate'")
  W_RETRIED=$(n "SELECT count(*) FROM chaos.webhook WHERE tries > 1")
  check "customer messages were sent ($W_SENT)" test "$W_SENT" -gt 0
  eq "every customer message was answered accepted/duplicate in the end" 0 \
    "$(n "SELECT count(*) FROM chaos.webhook WHERE status NOT IN ('accepted', 'duplicate')")"
  eq "every accepted message id is in gateway.inbound_messages exactly once" "$W_ACC" \
    "$(n "SELECT count(*) FROM chaos.webhook w WHERE w.status IN ('accepted', 'duplicate')
      AND (SELECT count(*) FROM gateway.inbound_messages m WHERE m.account = 'webchat' AND m.external_message_id = w.id) = 1")"
  eq "every accepted message id is in router.ticket_messages exactly once" "$W_ACC" \
    "$(n "SELECT count(*) FROM chaos.webhook w WHERE w.status IN ('accepted', 'duplicate')
      AND (SELECT count(*) FROM gateway.inbound_messages m JOIN router.ticket_messages t USING (message_id)
           WHERE m.account = 'webchat' AND m.external_message_id = w.id AND t.direction = 'in') = 1")"
  eq "the gateway holds no webchat message that was never acknowledged" "$W_ACC" \
    "$(n "SELECT count(*) FROM gateway.inbound_messages WHERE account = 'webchat'")"
  eq "every stored inbound message reached a ticket" 0 \
    "$(n "SELECT count(*) FROM gateway.inbound_messages m WHERE NOT EXISTS (SELECT 1 FROM router.ticket_messages t WHERE t.message_id = m.message_id)")"
  eq "one message.inbound per stored message" "$(n "SELECT count(*) FROM gateway.inbound_messages")" \
    "$(n "SELECT count(*) FROM bus.outbox WHERE topic = 'message.inbound'")"

  D_ACC=0
  for _k in logistics stock promo; do
    _acc=$(n "SELECT count(*) FROM chaos.dept WHERE kind = '$_k' AND status IN ('ACCEPTED', 'DUPLICATE')")
    eval "D_ACC_$_k=$_acc"
    D_ACC=$((D_ACC + _acc))
    check "$_k events were accepted ($_acc)" test "$_acc" -gt 0
    eq "every $_k event was acknowledged ACCEPTED/DUPLICATE in the end" 0 \
      "$(n "SELECT count(*) FROM chaos.dept WHERE kind = '$_k' AND status NOT IN ('ACCEPTED', 'DUPLICATE')")"
    eq "every accepted $_k event id is in $_k.ingest_log exactly once" "$_acc" \
      "$(n "SELECT count(*) FROM chaos.dept d JOIN $_k.ingest_log l USING (event_id) WHERE d.kind = '$_k' AND d.status IN ('ACCEPTED', 'DUPLICATE')")"
    eq "$_k.ingest_log holds nothing else" "$_acc" "$(n "SELECT count(*) FROM $_k.ingest_log")"
  done
  D_DUP=$(n "SELECT count(*) FROM chaos.dept WHERE status = 'DUPLICATE'")
  D_RETRIED_BATCHES=$(n "SELECT count(DISTINCT (kind, t0)) FROM chaos.dept WHERE tries > 1")
  _ord=$(n "SELECT count(*) FROM chaos.dept WHERE kind = 'logistics' AND ref LIKE '%-O%' AND status IN ('ACCEPTED', 'DUPLICATE')")
  _shp=$(n "SELECT count(*) FROM chaos.dept WHERE kind = 'logistics' AND ref LIKE '%-T%' AND status IN ('ACCEPTED', 'DUPLICATE')")
  eq "one logistics.orders row per order event" "$_ord|$_ord" \
    "$(n "SELECT count(*) || '|' || count(DISTINCT o.order_id) FROM chaos.dept d JOIN logistics.orders o ON o.order_id = d.ref WHERE d.kind = 'logistics'")"
  eq "one logistics.shipments row per shipment event" "$_shp" \
    "$(n "SELECT count(*) FROM chaos.dept d JOIN logistics.shipments s ON s.tracking_no = d.ref AND s.carrier = 'zto' WHERE d.kind = 'logistics'")"
  eq "one logistics.shipment_updated per shipment event (no double effect from a re-sent batch)" "$_shp" \
    "$(n "SELECT count(*) FROM bus.outbox WHERE topic = 'logistics.shipment_updated'")"
  eq "one stock.levels row per stock event, at the event's version" "$D_ACC_stock" \
    "$(n "SELECT count(*) FROM chaos.dept d JOIN stock.levels l ON l.sku = d.ref AND l.warehouse = 'HZ1'
         WHERE d.kind = 'stock' AND l.version = substr(d.ref, strpos(d.ref, '-S') + 2)::bigint + 1")"
  eq "no other stock levels" "$D_ACC_stock" "$(n "SELECT count(*) FROM stock.levels")"
  eq "one stock.shortage per stock-out report" "$(n "SELECT count(*) FROM stock.levels WHERE shortage_open")" \
    "$(n "SELECT count(*) FROM bus.outbox WHERE topic = 'stock.shortage'")"
  eq "one promo.campaigns row per campaign event, one promo.campaign_updated each" "$D_ACC_promo|$D_ACC_promo" \
    "$(n "SELECT (SELECT count(*) FROM chaos.dept d JOIN promo.campaigns c ON c.campaign_id = d.ref WHERE d.kind = 'promo') || '|' ||
             (SELECT count(*) FROM bus.outbox WHERE topic = 'promo.campaign_updated')")"

  _res_cmd=$(n "SELECT count(*) FROM chaos.resolve WHERE status IN ('accepted', 'duplicate')")
  eq "every resolve command the gateway accepted resolved its ticket once" "$_res_cmd" \
    "$(n "SELECT count(*) FROM router.ticket_events WHERE kind = 'resolved'")"
  eq "no ticket assigned twice without a transfer between" 0 \
    "$(n "SELECT count(*) FROM (SELECT kind, lag(kind) OVER (PARTITION BY ticket_id ORDER BY event_no) AS prev
      FROM router.ticket_events WHERE kind IN ('assigned', 'transferred')) s WHERE kind = 'assigned' AND prev = 'assigned'")"
  _dl=$(n "SELECT count(*) FROM bus.dead_letters")
  eq "bus.dead_letters is empty" 0 "$_dl"
  [ "$_dl" = 0 ] || psql "$PEAKDESK_DB" -Xq -c "SELECT consumer, publisher, seq, topic, left(error, 300) AS error FROM bus.dead_letters LIMIT 10"
  eq "every publisher's seqs are gap-free" "" \
    "$(n "SELECT string_agg(publisher, ' ') FROM (SELECT publisher FROM bus.outbox GROUP BY publisher HAVING max(seq) <> count(*)) s")"
  eq "every consumer has applied everything it takes (pending events)" 0 "$(chaos_pending)"
  # offsets beside max(seq): a consumer's offset may stay below max(seq) only
  # by events it does not take (the check above counts those it takes)
  OFFSETS=$(n "SELECT string_agg(f.consumer || '/' || f.publisher || '=' || f.seq || (CASE WHEN f.seq = m.s THEN '' ELSE '(max ' || m.s || ')' END), ' ' ORDER BY 1)
    FROM bus.offsets f JOIN (SELECT publisher, max(seq) AS s FROM bus.outbox GROUP BY publisher) m USING (publisher)
    WHERE f.consumer IN ('gateway-1', 'router-1', 'survey-1')")
  pd_log "offsets: $OFFSETS"
}

# chaos_keep_failure NAME [PGDIR]: the evidence of a failed run.
chaos_keep_failure() {
  _d=$ROOT/build/chaos/last-failure-$1
  rm -rf "$_d"
  mkdir -p "$_d"
  cp -r "$WORK"/*.log "$WORK"/*.txt "$WORK/load" "$_d/" 2>/dev/null
  [ -n "${2:-}" ] && cp "$2/postgres.log" "$_d/" 2>/dev/null
  pg_dump -h "${2:-$PGDIR}" -U peakdesk -d peakdesk -Fc -f "$_d/db.dump" 2>/dev/null
  echo "logs, load records and a database dump: build/chaos/last-failure-$1/"
}
