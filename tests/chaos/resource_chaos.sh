#!/bin/sh
# Resource faults (parts chosen by RESOURCE_PARTS, default "disk backlog"):
#
# (a) disk: PostgreSQL's data directory (WAL included) on a small tmpfs
#     (DISK_MB, 320 MiB) under the steady mixed load of suite_chaos.sh
#     (tests/tools/chaos_load.py). After DISK_WARM_S the disk is filled to
#     the last byte with a filler file and kept full for DISK_FULL_S; half way
#     a WAL segment switch is forced (DISK_WAL_SWITCH=1), so that PostgreSQL
#     needs a new WAL segment on the full disk too, not only new table pages.
#     Then the filler is removed. If PostgreSQL stopped (a PANIC when WAL
#     cannot be written), it is started again as an operator would
#     (`pg.sh start`, same directory); the services are never touched.
#     Shown: while the disk is full the services answer 503 / no ack (the
#     load re-sends), they ack nothing they could not commit (every
#     acknowledged id is in the database exactly once afterwards, and nothing
#     unacknowledged is), none of them dies, and once there is space again
#     everything resumes by itself: exactly-once effects, consumers at the head.
#
# (b) backlog: a consumer far behind. The router is stopped; a backlog of
#     BACKLOG_MSGS customer messages (bench_webhook_load --texts, the router
#     benchmark's realistic texts) and BACKLOG_SHIPMENTS logistics shipment
#     events (`peakdesk publish --batch 1000`) is built in bus.outbox; it
#     stands for BACKLOG/NORMAL_EVENTS_PER_S hours of a normal day (stated in
#     the figures). The router is started and, while it catches up, live
#     customer messages arrive at LIVE_RATE/s on another account. Measured:
#     catch-up rate (events/s), time to drain, and the live messages'
#     latency (scheduled send -> router commit of the ticket message, from
#     PostgreSQL commit timestamps) before, during and after the catch-up.
#     Live messages are queued behind the backlog (one gateway publisher,
#     applied in seq order): the figures say by how much.
#
# Figures are printed and written to build/chaos/resource.txt. Caps on every
# wait; cleanup (processes, PostgreSQL, the tmpfs mount) even on failure.
# Knobs: RESOURCE_PARTS, DISK_MB, DISK_WARM_S (15), DISK_FULL_S (40),
# DISK_RECOVER_S (30), DISK_WAL_SWITCH (1), CHAOS_RATE (6), CHAOS_DRAIN_S (180),
# BACKLOG_MSGS (100000), BACKLOG_RATE (2500 msg/s), BACKLOG_SHIPMENTS (100000),
# LIVE_RATE (5), NORMAL_EVENTS_PER_S (20), CATCHUP_CAP_S (1200). Needs root
# (mount).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/chaos_lib.sh"
TEST_NAME=resource_chaos
PARTS=${RESOURCE_PARTS:-disk backlog}
DISK_MB=${DISK_MB:-320}
DISK_WARM_S=${DISK_WARM_S:-15}
DISK_FULL_S=${DISK_FULL_S:-40}
DISK_RECOVER_S=${DISK_RECOVER_S:-30}
DISK_WAL_SWITCH=${DISK_WAL_SWITCH:-1}
RATE=${CHAOS_RATE:-6}
DRAIN_S=${CHAOS_DRAIN_S:-180}
BACKLOG_MSGS=${BACKLOG_MSGS:-100000}
BACKLOG_RATE=${BACKLOG_RATE:-2500}
BACKLOG_SHIPMENTS=${BACKLOG_SHIPMENTS:-100000}
LIVE_RATE=${LIVE_RATE:-5}
NORMAL=${NORMAL_EVENTS_PER_S:-20}
CATCHUP_CAP_S=${CATCHUP_CAP_S:-1200}
# build/chaos/resource.txt for both parts, resource-<part>.txt for one
FIG=$ROOT/build/chaos/resource$([ "$(echo $PARTS | wc -w)" = 1 ] && echo "-$PARTS").txt
mkdir -p "$ROOT/build/chaos"
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)

if [ "$(id -u)" -ne 0 ]; then
  echo "resource_chaos: needs root (mount)"
  echo "resource_chaos: 0 passed, 1 failed"
  exit 1
fi
LOAD_AVG0=$(loadavg)
pd_setup
mkdir -p "$WORK/bin"
cp "$BIN"/peakdesk "$BIN"/peakdesk-* "$WORK/bin/"
BIN_SRC=$BIN
BIN=$WORK/bin
TOOLS=$BUILD_TESTS
PG_MAIN=$PGDIR
FS=$WORK/fs
: >"$WORK/figures.txt"
res_cleanup() {
  [ -n "${LOAD_PID:-}" ] && kill -TERM "$LOAD_PID" 2>/dev/null
  [ -n "${LIVE_PID:-}" ] && kill -TERM "$LIVE_PID" 2>/dev/null
  [ -n "${SAMPLER:-}" ] && kill -TERM "$SAMPLER" 2>/dev/null
  touch "$WORK/stop" 2>/dev/null
  [ "$FAILED" -gt 0 ] && [ -d "${WORK:-}" ] && chaos_keep_failure resource "$PGDIR"
  stop_pids $PIDS
  PIDS=""
  # the tmpfs cluster, then the mount, then lib.sh's cleanup of the rest
  if mountpoint -q "$FS" 2>/dev/null; then
    "$ROOT/deploy/local/pg.sh" stop "$FS/pg" >/dev/null 2>&1
    umount "$FS" 2>/dev/null || umount -l "$FS"
  fi
  PGDIR=$PG_MAIN
  pd_cleanup
}
trap res_cleanup EXIT
trap 'exit 1' INT TERM
fig() { echo "$*" >>"$WORK/figures.txt"; pd_log "$*"; }
pg_up() { psql "$PEAKDESK_DB" -XAtqc 'SELECT 1' >/dev/null 2>&1; }
SERVICES="gateway router logistics stock promo survey"
healthy() { curl -fsS -o /dev/null --max-time 2 "http://$(http_addr "$1")/healthz"; }
all_healthy() { for _h in $SERVICES; do healthy "$_h" || return 1; done; }
hcode() { curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://$(http_addr "$1")/healthz"; }

# use_pg DIR: point everything at the cluster in DIR (started, migrated)
use_pg() {
  PGDIR=$1
  "$ROOT/deploy/local/pg.sh" start "$PGDIR" fast >/dev/null || return 1
  export PEAKDESK_DB="host=$PGDIR dbname=peakdesk user=peakdesk"
  "$BIN/peakdesk" migrate >/dev/null
}

# ============================================================================ (a) disk full
part_disk() {
  pd_log "---- (a) disk full on the database ($DISK_MB MiB tmpfs; load average $(loadavg))"
  "$ROOT/deploy/local/pg.sh" stop "$PG_MAIN" >/dev/null 2>&1
  mkdir -p "$FS"
  mount -t tmpfs -o "size=${DISK_MB}m,mode=0755" tmpfs "$FS" || { fail "mount a ${DISK_MB} MiB tmpfs"; return 1; }
  # PostgreSQL's own log outside the small filesystem: it must survive the
  # disk being full (and the unmount at the end)
  PGLOG=$WORK/postgres-disk.log
  mkdir -p "$FS/pg" && touch "$PGLOG" && chown postgres:postgres "$PGLOG" && ln -s "$PGLOG" "$FS/pg/postgres.log"
  use_pg "$FS/pg" || { fail "PostgreSQL on the tmpfs"; return 1; }
  check "data directory and WAL on the small filesystem" sh -c "[ \"\$(df --output=target '$FS/pg/data/pg_wal/' | tail -n 1)\" = '$FS' ]"
  export PEAKDESK_RUN_DIR=$WORK/run-disk
  mkdir -p "$PEAKDESK_RUN_DIR"
  SECRET=$CHAOS_SECRET
  chaos_setup_people || { fail "account and agents"; return 1; }
  export PEAKDESK_SURVEY_SECRET=chaos-survey-link-key-0123456789abcdef
  export PEAKDESK_SURVEY_PUBLIC_URL="http://$(http_addr survey)/"
  export PEAKDESK_SURVEY_QUIET_HOURS=none PEAKDESK_SURVEY_TICK_MS=300
  export PEAKDESK_GATEWAY_DELIVERY_TICK_MS=200
  for s in $SERVICES; do pd_start "$s" || { fail "peakdesk-$s starts"; return 1; }; done
  SVC_PIDS=$(for s in $SERVICES; do eval "echo \$PID_$s"; done | tr '\n' ' ')
  GW="http://$(http_addr gateway)"
  for t in $(cut -d' ' -f2 "$WORK/agents.txt"); do
    curl -s -o /dev/null -X PUT -H "Authorization: Bearer $t" --data '{"presence":"online"}' "$GW/v1/agent/presence"
  done
  check "seven agents online" wait_until 20 sh -c \
    "[ \"\$(psql '$PEAKDESK_DB' -XAtqc \"SELECT count(*) FROM router.agents WHERE presence = 'online'\")\" = 7 ]"

  dur=$((DISK_WARM_S + DISK_FULL_S + DISK_RECOVER_S))
  T_START=$(now)
  python3 "$ROOT/tests/tools/chaos_load.py" --out "$WORK/load" --seconds "$dur" --rate "$RATE" \
    --gw "$(http_addr gateway)" --secret "$SECRET" --account webchat --peakdesk "$BIN/peakdesk" \
    --agents "$WORK/agents.txt" --hook "$WORK/hook.jsonl" --retry-s "$((DRAIN_S + 60))" \
    --retry-status 0,500,503 --resend-rejected 'No space left|could not extend|could not write|database' \
    >"$WORK/load.out" 2>"$WORK/load.log" &
  LOAD_PID=$!
  sleep "$DISK_WARM_S"

  # ---- fill the disk
  t_full=$(now)
  dd if=/dev/zero of="$FS/filler" bs=1M >/dev/null 2>"$WORK/dd.err"
  # a last few KiB that 1 MiB blocks did not fill
  dd if=/dev/zero of="$FS/filler2" bs=4k >/dev/null 2>&1
  fig "disk filled at +$(elapsed "$T_START" "$t_full") s: $(du -m "$FS/filler" | cut -f1) MiB filler, $(df -k --output=avail "$FS" | tail -n 1 | tr -d ' ') KiB left"
  : >"$WORK/full-samples.txt"
  switched=no
  end=$(( $(date +%s) + DISK_FULL_S ))
  half=$(( $(date +%s) + DISK_FULL_S / 2 ))
  while [ "$(date +%s)" -lt "$end" ]; do
    if [ "$DISK_WAL_SWITCH" = 1 ] && [ "$switched" = no ] && [ "$(date +%s)" -ge "$half" ]; then
      switched="$(psql "$PEAKDESK_DB" -XAtqc 'SELECT pg_switch_wal()' 2>&1 | head -n 1)"
      fig "WAL switch forced at +$(elapsed "$T_START" "$(now)") s: $switched"
    fi
    pg_up && pgs=up || pgs=down
    echo "$(now) pg=$pgs gateway=$(hcode gateway) logistics=$(hcode logistics) router=$(hcode router)" >>"$WORK/full-samples.txt"
    sleep 1
  done
  rm -f "$FS/filler" "$FS/filler2"
  t_free=$(now)
  fig "space freed at +$(elapsed "$T_START" "$t_free") s ($(df -m --output=avail "$FS" | tail -n 1 | tr -d ' ') MiB free)"
  pd_log "while full (time pg gateway logistics router /healthz): $(awk '{ print $2, $3, $4, $5 }' "$WORK/full-samples.txt" | sort | uniq -c | sed 's/^ *//' | tr '\n' ';')"

  # ---- PostgreSQL: still running, or PANICked?
  PG_RESTARTED=no
  if ! wait_until 5 pg_up; then
    pd_log "PostgreSQL is down after the disk filled; its log:"
    grep -E 'PANIC|FATAL|No space left|terminated by|terminating any|shutting down|startup process|aborting' "$PGLOG" |
      grep -v 'could not extend file' | tail -n 12 | cut -c1-220 | sed 's/^/    /'
    t_r=$(now)
    if "$ROOT/deploy/local/pg.sh" start "$PGDIR" fast >/dev/null; then
      PG_RESTARTED="yes, by the operator ($(elapsed "$t_r" "$(now)") s for pg.sh start incl. crash recovery, $(elapsed "$t_free" "$(now)") s after the space was freed)"
      ok "PostgreSQL restarted by the operator after the space was freed"
    else
      fail "PostgreSQL restarts after the space was freed"
      tail -n 20 "$PGLOG"
      return 1
    fi
  fi
  PG_PANIC=$(grep -c 'PANIC' "$PGLOG")
  PG_ENOSPC=$(grep -c 'No space left on device' "$PGLOG")
  fig "PostgreSQL: $PG_PANIC PANIC lines, $PG_ENOSPC 'No space left on device' lines in its log; restarted: $PG_RESTARTED"
  grep -E 'PANIC|No space left' "$PGLOG" | sed 's/^[0-9-]* [0-9:.]* [A-Z]* \[[0-9]*\] //' | cut -c1-150 | sort | uniq -c | sort -rn | head -n 6 |
    while read -r l; do fig "  pg log: $l"; done
  if wait_until "$DRAIN_S" all_healthy; then
    fig "all six /healthz 200 again $(elapsed "$t_free" "$(now)") s after the space was freed"
    ok "the services recovered by themselves (no restart)"
  else
    fail "all six healthy within ${DRAIN_S} s of the space being freed"
    for s in $SERVICES; do healthy "$s" || { echo "peakdesk-$s:"; tail -n 10 "$WORK/$s.log"; }; done
  fi
  eq "the same six service processes still run (nothing crashed)" "$SVC_PIDS" \
    "$(for p in $SVC_PIDS; do kill -0 "$p" 2>/dev/null && echo "$p" || echo "dead:$p"; done | tr '\n' ' ')"

  # ---- the load ends; everything drains
  _i=0
  while kill -0 "$LOAD_PID" 2>/dev/null && [ $_i -lt $(( (dur + DRAIN_S + 200) * 5 )) ]; do sleep 0.2; _i=$((_i + 1)); done
  if kill -0 "$LOAD_PID" 2>/dev/null; then fail "the load tool finished"; kill -TERM "$LOAD_PID"; fi
  wait "$LOAD_PID"
  LOAD_PID=""
  t_end=$(now)
  pd_log "load: $(tail -n 1 "$WORK/load.log" | cut -c1-400)"
  if wait_until "$DRAIN_S" chaos_quiet; then
    ok "everything consumed $(elapsed "$t_end" "$(now)") s after the load ended"
  else
    fail "everything consumed within ${DRAIN_S} s after the load ($(chaos_pending) events behind)"
  fi
  grep -h 'level=error' "$WORK"/*.log | sed 's/^[^ ]* //; s/detail="[^"]*No space left[^"]*"/detail="...No space left..."/' | cut -c1-170 | sort | uniq -c | sort -rn | head -n 8 >"$WORK/errors.txt"
  [ -s "$WORK/errors.txt" ] && { pd_log "error lines in the service logs (count, first 170 chars):"; sed 's/^/    /' "$WORK/errors.txt"; }

  chaos_load_records "$WORK/load" || { fail "load records loaded"; return 1; }
  chaos_check_effects
  # what the clients saw while the disk was full
  w_full=$(psql_q "SELECT count(*) FROM chaos.webhook WHERE t0 < $t_free AND t > $t_full")
  w_503=$(psql_q "SELECT coalesce(sum((errs->>'503')::int), 0) || ' 503s and ' || coalesce(sum((errs->>'0')::int), 0) || ' transport errors' FROM chaos.webhook")
  w_other=$(psql_q "SELECT count(*) FROM chaos.webhook, jsonb_object_keys(errs) k WHERE k NOT IN ('0', '503')")
  w_acc_full=$(psql_q "SELECT count(*) FROM chaos.webhook WHERE t BETWEEN $t_full AND $t_free AND status IN ('accepted', 'duplicate')")
  d_acc_full=$(psql_q "SELECT count(*) FROM chaos.dept WHERE t BETWEEN $t_full AND $t_free AND status IN ('ACCEPTED', 'DUPLICATE')")
  d_held=$(psql_q "SELECT count(*) || ' events in ' || count(DISTINCT (kind, t0)) || ' batches, ' || count(*) FILTER (WHERE tries > 1) || ' of them re-sent; longest wait ' || coalesce(round(max(t - t0)::numeric, 1), 0) || ' s'
    FROM chaos.dept WHERE t0 < $t_free AND t > $t_full")
  d_errs=$(psql_q "SELECT string_agg(DISTINCT e, ' | ') FROM chaos.dept, jsonb_array_elements_text(errs) e" | cut -c1-400)
  w_res=$(psql_q "SELECT coalesce(round((min(t) - $t_free)::numeric, 1)::text, 'never') FROM chaos.webhook WHERE t > $t_free AND t0 < $t_free")
  w_500=$(psql_q "SELECT coalesce(sum((errs->>'500')::int), 0) || ' answers 500 to ' || count(*) FILTER (WHERE errs ? '500') || ' messages' FROM chaos.webhook")
  d_rej=$(psql_q "SELECT count(*) FILTER (WHERE rejected > 0) || ' events (' || coalesce(sum(rejected), 0) || ' REJECTED acks)' FROM chaos.dept")
  r_500=$(grep -c '"status": "failed' "$WORK/load/resolve.jsonl" 2>/dev/null)
  # docs/operations.md ("PostgreSQL is down"): webhooks answer 503 so that
  # channels retry; a 500 is an answer many channels do not retry.
  eq "while the disk is full the webhook answers 503 (docs/operations.md), never 500" 0 "$w_other"
  eq "agent commands were all accepted in the end" 0 "$r_500"
  fig "while full ($(elapsed "$t_full" "$t_free") s): customer messages in flight $w_full, acknowledged $w_acc_full; department events acknowledged $d_acc_full"
  fig "  webhook answers over the run: $w_503, $w_500 (each re-sent with the same messageId); department batches held: $d_held"
  fig "  department events answered REJECTED for the full disk and re-sent by the load: $d_rej"
  fig "  the CLI's errors on the held batches: ${d_errs:-none}"
  fig "  first held customer message acknowledged $w_res s after the space was freed"
  fig "  exactly once afterwards: $W_ACC/$W_SENT customer messages ($W_DUP answered duplicate to a re-send), $D_ACC department events ($D_DUP DUPLICATE to a re-send), dead letters 0 checked"
  stop_pids $PIDS
  PIDS=""
  "$ROOT/deploy/local/pg.sh" stop "$PGDIR" >/dev/null 2>&1
  cp "$PGLOG" "$ROOT/build/chaos/resource-disk-postgres.log" 2>/dev/null
  umount "$FS" || umount -l "$FS"
  PGDIR=$PG_MAIN
}

# ============================================================================ (b) backlog
# latency LIKE: p50 / p95 / max of scheduled send -> router commit of the
# ticket message, and how many of the account's messages with that prefix
latency() {
  psql_q "WITH l AS (SELECT extract(epoch FROM pg_xact_commit_timestamp(t.xmin) - m.sent_at) AS s
      FROM gateway.inbound_messages m JOIN router.ticket_messages t USING (message_id)
      WHERE m.account = 'live' AND m.external_message_id LIKE '$1%')
    SELECT CASE WHEN count(*) = 0 THEN 'none of them has its ticket yet' ELSE count(*) || ' msgs: p50 ' || coalesce(round(percentile_cont(0.5) WITHIN GROUP (ORDER BY s)::numeric, 3), -1)
      || ' s, p95 ' || coalesce(round(percentile_cont(0.95) WITHIN GROUP (ORDER BY s)::numeric, 3), -1)
      || ' s, max ' || coalesce(round(max(s)::numeric, 3), -1) || ' s' END FROM l"
}
live_stored() { psql_q "SELECT count(*) FROM gateway.inbound_messages WHERE account = 'live' AND external_message_id LIKE '$1%'"; }
live_applied() {
  psql_q "SELECT count(*) FROM gateway.inbound_messages m JOIN router.ticket_messages t USING (message_id)
    WHERE m.account = 'live' AND m.external_message_id LIKE '$1%'"
}
live_done() { [ "$(live_stored "$1")" = "$(live_applied "$1")" ]; }
# live RUNID SECONDS: live customer messages at LIVE_RATE
live() {
  "$TOOLS/bench_webhook_load" --addr "$(http_addr gateway)" --account live --secret "$SECRET" --texts "$WORK/texts.txt" \
    --rate "$LIVE_RATE" --seconds "$2" --conns 4 --run "$1" --label "$1" --phone-prefix 138 --drain-s 30 \
    >"$WORK/live-$1.out" 2>>"$WORK/live.log"
}
# backlog_applied SNAPSHOT: router-1's offsets reached the snapshot's seqs
# (cheap: no scan of the outbox, so polling it does not slow the catch-up)
backlog_applied() {
  [ "$(psql_q "SELECT count(*) FROM (VALUES $(sed "s/^\([^ ]*\) \(.*\)\$/('\1', \2)/" "$1" | paste -sd,)) v(p, s)
    LEFT JOIN bus.offsets f ON f.consumer = 'router-1' AND f.publisher = v.p
    WHERE v.p IN ('gateway-1', 'logistics-1') AND coalesce(f.seq, 0) < v.s")" = 0 ]
}
router_behind() {
  psql_q "SELECT coalesce(sum(m.s - coalesce(f.seq, 0)), 0) FROM (SELECT publisher, max(seq) AS s FROM bus.outbox
    WHERE publisher IN ('gateway-1', 'logistics-1') GROUP BY publisher) m
    LEFT JOIN bus.offsets f ON f.consumer = 'router-1' AND f.publisher = m.publisher"
}

part_backlog() {
  pd_log "---- (b) a consumer far behind (load average $(loadavg))"
  "$ROOT/deploy/local/pg.sh" stop "$PG_MAIN" >/dev/null 2>&1 # running unless part (a) came first
  use_pg "$PG_MAIN" || { fail "PostgreSQL for the backlog part"; return 1; }
  psql_q "ALTER SYSTEM SET track_commit_timestamp = on" >/dev/null
  "$ROOT/deploy/local/pg.sh" stop "$PGDIR" >/dev/null && "$ROOT/deploy/local/pg.sh" start "$PGDIR" fast >/dev/null ||
    { fail "PostgreSQL restarts with track_commit_timestamp"; return 1; }
  export PEAKDESK_RUN_DIR=$WORK/run-backlog
  mkdir -p "$PEAKDESK_RUN_DIR"
  SECRET=chaos-backlog-secret-0123456789
  BARE=$(free_port)
  "$TOOLS/bench_http_bare" --listen "127.0.0.1:$BARE" >/dev/null 2>&1 &
  PIDS="$PIDS $!"
  for a in bulk live; do
    "$BIN/peakdesk" account add --channel webhook --name "$a" --secret "$SECRET" --url "http://127.0.0.1:$BARE/hook" >/dev/null ||
      { fail "account $a"; return 1; }
  done
  "$TOOLS/bench_router_logic" --dump-texts "$WORK/texts.txt" --messages 20000 >/dev/null 2>&1 ||
    { fail "bench_router_logic --dump-texts"; return 1; }
  for s in gateway logistics router; do pd_start "$s" || { fail "peakdesk-$s starts"; return 1; }; done
  RT_FIRST=$PID_router

  # ---- before: live messages with nothing queued
  live before 20
  wait_until 60 live_done before || fail "the router applied the 'before' live messages within 60 s"
  LAT_BEFORE=$(latency before)
  fig "live messages before the backlog ($LIVE_RATE/s, 20 s): $LAT_BEFORE (send -> ticket message committed by the router)"

  # ---- the backlog, with the router stopped
  pd_stop router
  secs=$(( (BACKLOG_MSGS + BACKLOG_RATE - 1) / BACKLOG_RATE ))
  awk -v n="$BACKLOG_SHIPMENTS" 'BEGIN {
    for (i = 1; i <= n; i++)
      printf "{\"eventId\":\"00000000-0000-4000-b000-%012d\",\"shipmentUpdate\":{\"orderId\":\"BL%d\",\"carrier\":\"zto\",\"trackingNo\":\"ZB%09d\",\"state\":\"SHIPMENT_STATE_CREATED\"}}\n", i, i, i
  }' >"$WORK/shipments.jsonl"
  t_b0=$(now)
  "$TOOLS/bench_webhook_load" --addr "$(http_addr gateway)" --account bulk --secret "$SECRET" --texts "$WORK/texts.txt" \
    --rate "$BACKLOG_RATE" --seconds "$secs" --conns 64 --run bl --label backlog --phone-prefix 139 --drain-s 60 \
    >"$WORK/backlog-webhook.out" 2>"$WORK/backlog-webhook.log" &
  BW=$!
  if [ "$BACKLOG_SHIPMENTS" -gt 0 ]; then
    timeout 600 "$BIN/peakdesk" publish --to logistics --batch 1000 --quiet "$WORK/shipments.jsonl" >"$WORK/backlog-pub.out" 2>"$WORK/backlog-pub.err" &
    BP=$!
  else
    sleep 0 &
    BP=$!
  fi
  wait "$BW" || fail "the backlog's webhook load had errors: $(tail -n 1 "$WORK/backlog-webhook.out")"
  wait "$BP" || fail "the backlog's shipments were published: $(tail -n 2 "$WORK/backlog-pub.err" | tr '\n' ' ')"
  t_b1=$(now)
  BL_MSGS=$(psql_q "SELECT count(*) FROM gateway.inbound_messages WHERE account = 'bulk'")
  BL_SHP=$(psql_q "SELECT count(*) FROM bus.outbox WHERE topic = 'logistics.shipment_updated'")
  chaos_snapshot "$WORK/backlog-snap.txt"
  BACKLOG=$(router_behind)
  BL_PENDING=$(chaos_pending "$WORK/backlog-snap.txt")
  HOURS=$(awk -v b="$BACKLOG" -v r="$NORMAL" 'BEGIN { printf "%.1f", b / r / 3600 }')
  fig "backlog built in $(elapsed "$t_b0" "$t_b1") s: $BL_MSGS customer messages (gateway-1) + $BL_SHP shipment events (logistics-1):"
  fig "  the router is $BACKLOG events behind ($BL_PENDING of topics it takes): $HOURS hours of a normal day at $NORMAL events/s"
  check "a backlog of at least 90 % of what was asked" [ "$BACKLOG" -ge $(( (BACKLOG_MSGS + BACKLOG_SHIPMENTS) * 9 / 10 )) ]

  # ---- the router starts; live messages keep coming
  : >"$WORK/progress.txt"
  (
    while [ ! -f "$WORK/stop" ] && [ ! -f "$WORK/drained" ]; do
      # behind by offsets (committed), and events applied so far by the
      # router's counter (also those in its still open transaction)
      echo "$(now) $(router_behind) $(curl -s --max-time 2 "http://$(http_addr router)/metrics" |
        sed -n 's/^peakdesk_consumer_events_caught_up_total{consumer="router-1"} //p')" >>"$WORK/progress.txt"
      sleep 1
    done
  ) &
  SAMPLER=$!
  t_r0=$(now)
  pd_start router || { fail "the router starts with the backlog"; return 1; }
  (
    k=0
    while [ ! -f "$WORK/stop" ] && [ ! -f "$WORK/drained" ] && [ $k -lt $((CATCHUP_CAP_S / 10 + 1)) ]; do
      live "dur$(printf %03d $k)-" 10
      k=$((k + 1))
    done
  ) &
  LIVE_PID=$!
  _end=$(( $(date +%s) + CATCHUP_CAP_S ))
  while ! backlog_applied "$WORK/backlog-snap.txt" && [ "$(date +%s)" -le "$_end" ]; do sleep 1; done
  if backlog_applied "$WORK/backlog-snap.txt"; then
    t_r1=$(now)
    DRAIN=$(elapsed "$t_r0" "$t_r1")
    ok "the router caught up with the backlog in $DRAIN s while live messages kept coming"
    DRAINED=yes
  else
    DRAINED=no
    t_r1=$(now)
    DRAIN="more than $CATCHUP_CAP_S"
    fail "the router caught up with the backlog within ${CATCHUP_CAP_S} s ($(router_behind) events behind)"
  fi
  touch "$WORK/drained"
  _i=0
  while kill -0 "$LIVE_PID" 2>/dev/null && [ $_i -lt 300 ]; do sleep 0.2; _i=$((_i + 1)); done
  kill -TERM "$LIVE_PID" 2>/dev/null
  wait "$LIVE_PID" 2>/dev/null
  LIVE_PID=""
  wait "$SAMPLER" 2>/dev/null
  SAMPLER=""
  [ "$DRAINED" = no ] || wait_until 120 live_done dur ||
    fail "the router applied the live messages sent during the catch-up within 120 s after it"
  RATE_AVG=$(awk -v b="$BACKLOG" -v d="$DRAIN" 'BEGIN { if (d + 0 > 0) printf "%.0f", b / d; else print "(not drained)" }')
  # best and worst 10 s windows of the catch-up
  # rate by the router's applied-events counter, per 10 samples (~10 s)
  RATES=$(awk '$3 != "" { n++; t[n] = $1; c[n] = $3 } END {
      best = 0; worst = -1
      for (i = 1; i + 10 <= n; i++) { r = (c[i + 10] - c[i]) / (t[i + 10] - t[i]); if (r > best) best = r; if (worst < 0 || r < worst) worst = r }
      if (n > 10) printf "fastest 10 s %.0f/s, slowest 10 s %.0f/s", best, worst; else printf "too short for 10 s rates" }' "$WORK/progress.txt")
  fig "catch-up: $BACKLOG events in $DRAIN s = $RATE_AVG events/s on average ($RATES; load average $(loadavg))"
  # the router commits its catch-up in big transactions: when did progress show?
  COMMITS=$(awk -v t0="$t_r0" 'NR > 1 && $2 < prev - 100 { printf "+%.0fs:-%d ", $1 - t0, prev - $2 } { prev = $2 }' "$WORK/progress.txt")
  fig "  progress became visible (router commits, s after start: events) $COMMITS"
  LAT_DUR=$(latency dur)
  LIVE_N=$(live_stored dur)
  LIVE_BEFORE_DRAIN=$(psql_q "SELECT count(*) FROM gateway.inbound_messages m JOIN router.ticket_messages t USING (message_id)
    WHERE m.account = 'live' AND m.external_message_id LIKE 'dur%' AND pg_xact_commit_timestamp(t.xmin) < to_timestamp($t_r1)")
  fig "live messages during the catch-up ($LIVE_RATE/s): $LAT_DUR; $LIVE_BEFORE_DRAIN of $LIVE_N had their ticket before the backlog was drained"
  # per 10 s live run: when sent (s after the router started) -> median latency
  psql_q "SELECT left(m.external_message_id, 6), round(extract(epoch FROM min(m.sent_at)) - $t_r0), round(percentile_cont(0.5) WITHIN GROUP (ORDER BY
      extract(epoch FROM pg_xact_commit_timestamp(t.xmin) - m.sent_at))::numeric, 1)
    FROM gateway.inbound_messages m JOIN router.ticket_messages t USING (message_id)
    WHERE m.account = 'live' AND m.external_message_id LIKE 'dur%' GROUP BY 1 ORDER BY 1" >"$WORK/live-profile.txt"
  fig "  sent at +s after the router started -> median latency s: $(awk -F'|' '{ printf "+%s:%s ", $2, $3 }' "$WORK/live-profile.txt")"

  if [ "$DRAINED" = no ]; then
    fig "  (router still catching up: $(curl -s --max-time 2 "http://$(http_addr router)/metrics" |
      sed -n 's/^peakdesk_consumer_events_caught_up_total{consumer="router-1"} //p') events applied in all, while by its committed offsets it is still $(router_behind) events behind"
    fig "   its open transaction began $(psql_q "SELECT coalesce(round(extract(epoch FROM now() - min(xact_start))), 0) FROM pg_stat_activity WHERE application_name = 'peakdesk-router-1' AND state <> 'idle'") s ago)"
    pd_log "stopping the router in the middle of its catch-up (SIGTERM; lib.sh gives it 20 s):"
    t_s=$(now)
    stop_pids "$PID_router"
    fig "  SIGTERM during the catch-up: the router was gone after $(elapsed "$t_s" "$(now)") s (20 s allowed, then SIGKILL)"
    PID_router=""
    stop_pids $PIDS
    PIDS=""
    return 0
  fi
  # ---- after
  live after 20
  wait_until 60 live_done after || fail "the router applied the 'after' live messages within 60 s"
  LAT_AFTER=$(latency after)
  fig "live messages after the catch-up: $LAT_AFTER"
  eq "every live and backlog message reached a ticket exactly once" "0 0" \
    "$(psql_q "SELECT (SELECT count(*) FROM gateway.inbound_messages m WHERE (SELECT count(*) FROM router.ticket_messages t WHERE t.message_id = m.message_id AND t.direction = 'in') <> 1)
      || ' ' || (SELECT count(*) FROM bus.outbox WHERE topic = 'message.inbound') - (SELECT count(*) FROM gateway.inbound_messages)")"
  eq "bus.dead_letters is empty" 0 "$(psql_q "SELECT count(*) FROM bus.dead_letters")"
  eq "every shipment event applied: router offset for logistics-1 at its max(seq)" "t" \
    "$(psql_q "SELECT f.seq = (SELECT max(seq) FROM bus.outbox WHERE publisher = 'logistics-1') FROM bus.offsets f WHERE f.consumer = 'router-1' AND f.publisher = 'logistics-1'")"
  for s in gateway logistics router; do
    eval "p=\$PID_$s"
    kill -0 "$p" 2>/dev/null || fail "peakdesk-$s died during the catch-up: $(tail -n 3 "$WORK/$s.log" | tr '\n' ' ')"
  done
  ok "gateway, logistics and router alive throughout the catch-up"
  grep -h 'level=error\|level=warn' "$WORK/router.log" | sed 's/^[^ ]* //' | cut -c1-150 | sort | uniq -c | sort -rn | head -n 5 >"$WORK/router-warn.txt"
  [ -s "$WORK/router-warn.txt" ] && { pd_log "router warnings/errors:"; sed 's/^/    /' "$WORK/router-warn.txt"; }
  psql_q "ALTER SYSTEM RESET track_commit_timestamp" >/dev/null
  stop_pids $PIDS
  PIDS=""
}

for p in $PARTS; do
  case $p in
  disk) part_disk ;;
  backlog) part_backlog ;;
  *) fail "unknown part $p (RESOURCE_PARTS: disk backlog)" ;;
  esac
done
{
  echo "resource_chaos: $(date -u +%Y-%m-%dT%H:%M:%SZ), parts: $PARTS, binaries $BIN_SRC, load average at start $LOAD_AVG0, at end $(loadavg)"
  cat "$WORK/figures.txt"
  echo "checks: $PASSED passed, $FAILED failed"
} >"$FIG"
pd_log "figures written to ${FIG#$ROOT/}"
pd_done
