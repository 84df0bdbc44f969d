#!/bin/bash
# Part "suite" of make bench, (l): the whole suite under a promo-peak mix.
#
# All six services on their own PostgreSQL (normal durability: fsync and
# synchronous_commit on, plus track_commit_timestamp for the latencies), a
# channel receiver for the deliveries (tests/tools/http_receiver.py), agents
# online with room for every ticket, and this mix, per customer message:
#
#   1    customer message on the signed webhook (bench_webhook_load --texts,
#        open loop: half open a ticket for a new customer, half follow up on
#        an open one ~2 s later; the router benchmark's promo-day texts)
#   0.5  logistics order (OrderAwaitingFulfilment) of one of those customers
#   0.3  logistics shipment update (a parcel CREATED, then COLLECTED)
#   0.1  stock report (500 SKUs, newest version wins, 1 in 50 a stock-out that
#        hits the unshipped orders of the SKU, the next report a restock)
#   plus one promo campaign update a minute, agents replying to and resolving
#   each ticket 3-12 s after they see it (through the agent API: capacity
#   frees), and customers answering half of the survey links that reach the
#   channel (tests/tools/suite_load.py). Department events go as one
#   POST /v1/ingest batch a second per kind.
#
# 1. A step search: BENCH_SUITE_STEP_SECONDS (30) at each rate of
#    BENCH_SUITE_STEPS (50 100 200 400 800) customer messages/s until one
#    fails, then once half way between the last pass and the first failure.
#    A rate passes when nothing is lost (every accepted message in the
#    gateway and in a ticket within BENCH_SUITE_DRAIN_S (20) after the load,
#    every department event ACCEPTED), the gateway's delivery queue holds
#    no more than 5 s of messages, and the p99 of message -> ticket assigned
#    is under 100 ms. The suite slows down as its tables grow (see
#    docs/benchmarks.md), so a rate that passes 30 s may fail 10 minutes:
#    the main run says whether it held ("suite verdict").
# 2. The main run at the highest passing rate (or BENCH_SUITE_RATE, which
#    skips the search) for BENCH_SUITE_SECONDS (600), a progress line every
#    30 s, then the checks: every accepted webhook message id stored once and
#    in router.ticket_messages once, every ACCEPTED department event in its
#    ingest_log once with its effect row, every recorded survey answer a
#    response row, bus.dead_letters empty.
# 3. CPU seconds and peak RSS per service and for PostgreSQL during the main
#    run (/proc/<pid>/stat and status, sampled every 2 s).
# 4. The baseline: every row the main run wrote (in all tables of the service
#    schemas and bus: rows whose commit timestamp falls in the main run, from
#    its start to the end of its drain) copied out with COPY and timed while
#    COPY loads them into empty copies of the same tables (same columns and
#    indexes) in the same database, one transaction, services stopped.
#
# Latency: message -> assigned = commit time of the router's "assigned"
# timeline row (pg_xact_commit_timestamp) - the message's scheduled send time
# (sentAtMs, stored as gateway.inbound_messages.sent_at), for every message
# that opened a ticket; a ticket not assigned by the end counts as infinitely
# late; tickets the router answered automatically from live facts (parcel
# status, promo rule) and never needed an agent are counted apart.
#
# Called by tests/bench/run.sh (BENCH_ONLY=suite): suite.sh WORKDIR, with
# BENCH_BIN, BENCH_TOOLS, BENCH_T_START. Human lines then RESULT lines on
# stdout, progress on stderr. Exit 1 when something was lost or broke.
# Knobs: BENCH_SUITE_SECONDS (600), BENCH_SUITE_RATE (skip the search),
# BENCH_SUITE_STEPS, BENCH_SUITE_STEP_SECONDS (30), BENCH_SUITE_DRAIN_S (20),
# BENCH_SUITE_AGENTS (60), BENCH_SUITE_CAPACITY (40), BENCH_SUITE_CONNS (32),
# BENCH_SUITE_P99_MS (100).
set -eu

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BENCH_BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
BIN=${BENCH_BIN:-$BUILD/bin}
TOOLS=${BENCH_TOOLS:-$BUILD/tests}
WORK=${1:?usage: suite.sh WORKDIR}
MAIN_S=${BENCH_SUITE_SECONDS:-600}
FIXED_RATE=${BENCH_SUITE_RATE:-}
STEPS=${BENCH_SUITE_STEPS:-50 100 200 400 800}
STEP_S=${BENCH_SUITE_STEP_SECONDS:-30}
DRAIN_S=${BENCH_SUITE_DRAIN_S:-20}
AGENTS=${BENCH_SUITE_AGENTS:-60}
CAPACITY=${BENCH_SUITE_CAPACITY:-40}
CONNS=${BENCH_SUITE_CONNS:-32}
P99_MAX=${BENCH_SUITE_P99_MS:-100}
SERVICES="gateway router logistics stock promo survey"

for s in $SERVICES; do
  [ -x "$BIN/peakdesk-$s" ] || { echo "suite bench: $BIN/peakdesk-$s is missing; run 'make all' first" >&2; exit 1; }
done
for f in "$BIN/peakdesk" "$TOOLS/bench_webhook_load" "$TOOLS/bench_router_logic"; do
  [ -x "$f" ] || { echo "suite bench: $f is missing; run 'make all' first" >&2; exit 1; }
done

BENCH_PART=suite
. "$(dirname "$0")/bench_lib.sh"
T_START=${BENCH_T_START:-$(date +%s)}
elapsed() { echo "$(( $(date +%s) - T_START ))s"; }
q() { psql "$PEAKDESK_DB" -XAtq -v ON_ERROR_STOP=1 -c "$1"; }
kv() { sed -n "s/^\(.* \)*$2=\([^ ]*\).*/\2/p" "$1" | tail -n 1; } # kv FILE KEY
w() { echo " $2 " | sed -n "s/.* $1=\([^ ]*\) .*/\1/p"; }        # w KEY "k=v k=v"
fail() { say "suite bench: $*"; FAILED=1; }
FAILED=0
n() { awk -v x="$1" 'BEGIN { s = sprintf("%.0f", x); o = ""; l = length(s);
      for (i = 1; i <= l; i++) { o = o substr(s, i, 1); if ((l - i) % 3 == 0 && i < l) o = o "," } print o }'; }
load_avg() { cut -d' ' -f1-3 /proc/loadavg; }
ms() { awk -v u="$1" 'BEGIN { if (u == "Infinity") print "inf"; else if (u == "") print "-"; else if (u < 10) printf "%.1f", u; else printf "%.0f", u }'; }

mkdir -p "$WORK"
chmod 755 "$WORK" # PostgreSQL runs as "postgres" under root and must reach its directory
PGDIR=$WORK/pg
PIDS_SVC=
RECV_PID=
LOAD_PID=
SAMPLER_PID=
# shellcheck disable=SC2317 # runs from the EXIT trap
cleanup() {
  rc=$?
  touch "$WORK/stop" "$WORK/sampler.stop" 2>/dev/null || true
  for p in $LOAD_PID $SAMPLER_PID $PIDS_SVC $RECV_PID; do
    kill -TERM "$p" 2>/dev/null || true
  done
  for p in $LOAD_PID $SAMPLER_PID $PIDS_SVC $RECV_PID; do
    i=0
    while kill -0 "$p" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
    kill -KILL "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
  "$ROOT/deploy/local/pg.sh" stop "$PGDIR" >/dev/null 2>&1 || true
  if [ "$rc" -ne 0 ]; then
    for f in "$WORK"/*.log; do [ -f "$f" ] && { say "--- $f (last 10 lines)"; tail -n 10 "$f" >&2; }; done
  fi
  [ -n "${BENCH_KEEP:-}" ] || rm -rf "$PGDIR" "$WORK/copy"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

HZ=$(getconf CLK_TCK 2>/dev/null || echo 100)
PM_PID=
# PostgreSQL's CPU: the postmaster's own and its reaped children's (cutime,
# cstime: backends that have exited), plus every live child's.
pg_ticks() {
  t=$(awk '{ print $14 + $15 + $16 + $17 }' "/proc/$PM_PID/stat" 2>/dev/null || echo 0)
  for p in $(pgrep -P "$PM_PID" 2>/dev/null); do t=$((t + $(proc_ticks "$p"))); done
  echo "$t"
}

# ---- PostgreSQL, services, agents --------------------------------------------------------
say "[$(elapsed)] (l) suite: starting PostgreSQL (normal durability, track_commit_timestamp) in $PGDIR"
"$ROOT/deploy/local/pg.sh" start "$PGDIR" >/dev/null
export PEAKDESK_DB="host=$PGDIR dbname=peakdesk user=peakdesk"
export PEAKDESK_SCHEMA_DIR="$ROOT/schema"
export PEAKDESK_RUN_DIR="$WORK/run"
export PEAKDESK_LOG_LEVEL=warn
mkdir -p "$PEAKDESK_RUN_DIR"
q "ALTER SYSTEM SET track_commit_timestamp = on" >/dev/null
"$ROOT/deploy/local/pg.sh" stop "$PGDIR" >/dev/null
"$ROOT/deploy/local/pg.sh" start "$PGDIR" >/dev/null
[ "$(q "SHOW track_commit_timestamp")" = on ] || { say "suite bench: track_commit_timestamp did not turn on"; exit 1; }
[ "$(q "SHOW fsync")|$(q "SHOW synchronous_commit")" = "on|on" ] || { say "suite bench: PostgreSQL is not durable"; exit 1; }
PM_PID=$(head -n 1 "$PGDIR/data/postmaster.pid")
"$BIN/peakdesk" migrate >"$WORK/migrate.log" 2>&1 || { say "suite bench: migrate failed"; cat "$WORK/migrate.log" >&2; exit 1; }

for s in $SERVICES; do
  u=$(echo "$s" | tr a-z A-Z)
  export "PEAKDESK_${u}_HTTP=127.0.0.1:$(free_port)"
done
addr() { u=$(echo "$1" | tr a-z A-Z); eval echo "\$PEAKDESK_${u}_HTTP"; }
export PEAKDESK_SURVEY_SECRET=suite-bench-survey-link-key-0123456789abcdef
SURVEY_URL="http://$(addr survey)/"
export PEAKDESK_SURVEY_PUBLIC_URL="$SURVEY_URL"
export PEAKDESK_SURVEY_QUIET_HOURS=none

HOOK_PORT=$(free_port)
python3 "$ROOT/tests/tools/http_receiver.py" "$HOOK_PORT" "$WORK/hook.jsonl" >"$WORK/receiver.log" 2>&1 &
RECV_PID=$!
ACCOUNT=promo
SECRET=suite-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
"$BIN/peakdesk" account add --channel webhook --name "$ACCOUNT" --secret "$SECRET" \
  --url "http://127.0.0.1:$HOOK_PORT/hook" >"$WORK/account.log" 2>&1 \
  || { say "suite bench: account add failed"; cat "$WORK/account.log" >&2; exit 1; }

for s in $SERVICES; do
  "$BIN/peakdesk-$s" >"$WORK/$s.log" 2>&1 &
  eval "PID_$s=$!"
  PIDS_SVC="$PIDS_SVC $!"
done
for s in $SERVICES; do eval "wait_http http://$(addr "$s")/healthz \$PID_$s $s"; done
GW=$(addr gateway)

# Agents in every group the shipped rules route to (frontline, some leads
# and supervisors for escalations and complaints), each with room for
# CAPACITY chats: the floor has room for every open ticket at the rates here.
say "[$(elapsed)] (l) $AGENTS agents, capacity $CAPACITY each"
: >"$WORK/agents.txt"
i=0
while [ $i -lt "$AGENTS" ]; do
  t=frontline
  [ $((i % 10)) = 5 ] && t=lead
  [ $((i % 20)) = 0 ] && t=supervisor
  echo "sb-agent-$i presale,order,after-sale,complaints,vip $CAPACITY $t"
  i=$((i + 1))
done >"$WORK/agents.in"
# shellcheck disable=SC2016 # expanded by the inner sh
xargs -P 4 -n 4 sh -c '"$0" agent add --name "$1" --groups "$2" --capacity "$3" --tier "$4" | sed -n "s/^token: /$1 /p"' \
  "$BIN/peakdesk" <"$WORK/agents.in" >"$WORK/agents.txt"
[ "$(wc -l <"$WORK/agents.txt")" = "$AGENTS" ] || { say "suite bench: only $(wc -l <"$WORK/agents.txt") agents added"; exit 1; }
while read -r _name tok; do
  curl -s -o /dev/null -X PUT -H "Authorization: Bearer $tok" --data '{"presence":"online"}' "http://$GW/v1/agent/presence"
done <"$WORK/agents.txt"
i=0
until [ "$(q "SELECT count(*) FROM router.agents WHERE presence = 'online'")" = "$AGENTS" ]; do
  i=$((i + 1)); [ $i -lt 100 ] || { say "suite bench: agents did not come online"; exit 1; }; sleep 0.2
done
"$TOOLS/bench_router_logic" --dump-texts "$WORK/texts.txt" --messages 20000 >/dev/null \
  || { say "suite bench: cannot write the message texts"; exit 1; }
q "CREATE SCHEMA suite_bench; CREATE TABLE suite_bench.dept (run text, kind text, event_id uuid, ref text, status text);
   CREATE TABLE suite_bench.answer (run text, token text, invitation uuid, status text, csat int)" >/dev/null

# ---- measuring one run --------------------------------------------------------------------
# lat RUN: latency figures of the tickets the run's new customers opened.
lat() {
  q "WITH m AS (
       SELECT im.message_id, im.sent_at, pg_xact_commit_timestamp(im.xmin) AS gw_at
       FROM gateway.inbound_messages im
       WHERE im.account = '$ACCOUNT' AND im.external_message_id LIKE '$1-n-%'),
     r AS (
       SELECT m.*, tm.ticket_id, t.auto_answered_at, t.status,
         (SELECT min(pg_xact_commit_timestamp(e.xmin)) FROM router.ticket_events e
          WHERE e.ticket_id = tm.ticket_id AND e.kind = 'assigned') AS as_at
       FROM m LEFT JOIN router.ticket_messages tm ON tm.message_id = m.message_id
       LEFT JOIN router.tickets t ON t.ticket_id = tm.ticket_id),
     l AS (
       SELECT *, coalesce((extract(epoch FROM as_at - sent_at) * 1000)::float8, 'Infinity') AS asg,
         (extract(epoch FROM as_at - gw_at) * 1000)::float8 AS hop,
         (extract(epoch FROM gw_at - sent_at) * 1000)::float8 AS gw
       FROM r WHERE ${2:-TRUE}),
     p AS (SELECT * FROM l WHERE NOT (as_at IS NULL AND ticket_id IS NOT NULL AND auto_answered_at IS NOT NULL))
     SELECT 'new=' || (SELECT count(*) FROM l), 'auto=' || (SELECT count(*) FROM l) - count(*),
       'assigned=' || count(*) FILTER (WHERE as_at IS NOT NULL),
       'unassigned=' || count(*) FILTER (WHERE as_at IS NULL),
       'p50=' || coalesce(percentile_disc(0.5) WITHIN GROUP (ORDER BY asg), 0),
       'p99=' || coalesce(percentile_disc(0.99) WITHIN GROUP (ORDER BY asg), 0),
       'max=' || coalesce(max(asg) FILTER (WHERE as_at IS NOT NULL), 0),
       'hop_p50=' || coalesce(percentile_disc(0.5) WITHIN GROUP (ORDER BY hop), 0),
       'hop_p99=' || coalesce(percentile_disc(0.99) WITHIN GROUP (ORDER BY hop), 0),
       'gw_p99=' || coalesce(percentile_disc(0.99) WITHIN GROUP (ORDER BY gw), 0)
     FROM p" | tr '\n|' '  '
}
stored() { q "SELECT count(*) FROM gateway.inbound_messages WHERE account = '$ACCOUNT' AND external_message_id LIKE '$1-%'"; }
processed() {
  q "SELECT count(*) FROM router.ticket_messages tm JOIN gateway.inbound_messages im USING (message_id)
     WHERE im.account = '$ACCOUNT' AND im.external_message_id LIKE '$1-%' AND tm.direction = 'in'"
}
# not yet assigned: new tickets of the run without an agent that were not auto-answered
pending_assign() {
  q "SELECT count(*) FROM gateway.inbound_messages im JOIN router.ticket_messages tm USING (message_id)
     JOIN router.tickets t USING (ticket_id)
     WHERE im.account = '$ACCOUNT' AND im.external_message_id LIKE '$1-n-%' AND t.auto_answered_at IS NULL
       AND NOT EXISTS (SELECT 1 FROM router.ticket_events e WHERE e.ticket_id = t.ticket_id AND e.kind = 'assigned')"
}
# deliveries to the channel: "delivered pending" (the gateway's outbound queue)
deliveries() { q "SELECT count(*) FILTER (WHERE status = 'delivered') || ' ' || count(*) FILTER (WHERE status IN ('pending', 'sending')) FROM gateway.outbound_messages"; }
outbox_lag() { # events consumers still have to apply (all consumers, all publishers)
  q "SELECT coalesce(sum(p.max_seq - coalesce(o.seq, 0)), 0) FROM
       (SELECT publisher, max(seq) AS max_seq FROM bus.outbox GROUP BY publisher) p
       CROSS JOIN (SELECT DISTINCT consumer FROM bus.offsets) c
       LEFT JOIN bus.offsets o ON o.consumer = c.consumer AND o.publisher = p.publisher
       WHERE p.publisher NOT LIKE c.consumer || '%' AND p.publisher <> 'cli'" 2>/dev/null || echo "?"
}

# run_load RUN RATE SECONDS LABEL [PROGRESS]: the mix at RATE for SECONDS,
# then up to DRAIN_S for the router to take every message. Sets ACC, STORED,
# PROC, DRAINED_S, LOAD_RC.
# each run its own phone numbers (the router merges customers by phone)
PREFIXES="130 131 132 133 134 135 136 137 138 139"
NRUN=0
run_load() {
  NRUN=$((NRUN + 1))
  rid=$1 rate=$2 secs=$3 label=$4 progress=${5:-}
  rm -f "$WORK/stop"
  mkdir -p "$WORK/$label"
  python3 "$ROOT/tests/tools/suite_load.py" --out "$WORK/$label" --seconds "$secs" --rate "$rate" --run "$rid" \
    --gw "$GW" --logistics "$(addr logistics)" --stock "$(addr stock)" --promo "$(addr promo)" \
    --account "$ACCOUNT" --agents "$WORK/agents.txt" --hook "$WORK/hook.jsonl" --hook-from-end \
    --stop-file "$WORK/stop" >"$WORK/$label/load.out" 2>"$WORK/$label/load.log" &
  LOAD_PID=$!
  LOAD_RC=0
  /usr/bin/time -f '%U %S' -o "$WORK/$label/webhook.time" "$TOOLS/bench_webhook_load" --addr "$GW" --account "$ACCOUNT" --secret "$SECRET" --texts "$WORK/texts.txt" \
    --rate "$rate" --seconds "$secs" --conns "$CONNS" --run "$rid" --label "suite_$label" --phone-prefix "$(echo $PREFIXES | cut -d" " -f$((NRUN % 10 + 1)))" \
    >"$WORK/$label/webhook.out" 2>"$WORK/$label/webhook.log" &
  wl=$!
  if [ -n "$progress" ]; then
    t0=$(date +%s)
    next=$((t0 + 30))
    while kill -0 "$wl" 2>/dev/null; do
      sleep 1
      el=$(( $(date +%s) - t0 ))
      if [ "$(date +%s)" -ge "$next" ] && kill -0 "$wl" 2>/dev/null; then
        next=$((next + 30))
        pr=$(processed "$rid"); st=$(stored "$rid") # in this order: a message stored between the two is not "applied but not stored"
        sofar=$(lat "$rid" "sent_at < now() - interval '3 seconds'")
        say "  [$el s] offered $(n $((rate * el))) messages, gateway stored $(n "$st") ($(awk -v s="$st" -v e="$el" 'BEGIN { printf "%.0f", s / e }') msg/s)," \
          "router applied $(n "$pr") (lag $(n $((st - pr))) messages, $(outbox_lag) bus events); p50 $(ms "$(w p50 "$sofar")") ms p99 $(ms "$(w p99 "$sofar")") ms so far" \
          "($(w assigned "$sofar") assigned, $(w unassigned "$sofar") waiting, $(w auto "$sofar") auto-answered); deliveries done/queued $(deliveries | tr ' ' /); load $(load_avg)"
      fi
    done
  fi
  wait "$wl" || LOAD_RC=1
  ACC=$(kv "$WORK/$label/webhook.out" accepted)
  t0=$(date +%s)
  while :; do
    STORED=$(stored "$rid"); PROC=$(processed "$rid")
    [ "$PROC" -ge "$STORED" ] && [ "$(pending_assign "$rid")" = 0 ] && break
    [ $(( $(date +%s) - t0 )) -ge "$DRAIN_S" ] && break
    sleep 0.5
  done
  DRAINED_S=$(( $(date +%s) - t0 ))
}
# stop_load LABEL RUN: agents and survey answers stop; department records loaded.
stop_load() {
  touch "$WORK/stop"
  wait "$LOAD_PID" 2>/dev/null || true
  LOAD_PID=
  psql "$PEAKDESK_DB" -XAtq -v ON_ERROR_STOP=1 >/dev/null <<SQL
CREATE TEMP TABLE d (kind text, event_id uuid, ref text, status text);
\copy d FROM '$WORK/$1/dept.csv' CSV
INSERT INTO suite_bench.dept SELECT '$2', * FROM d;
CREATE TEMP TABLE a (token text, invitation uuid, status text, csat int);
\copy a FROM '$WORK/$1/answer.csv' CSV
INSERT INTO suite_bench.answer SELECT '$2', * FROM a;
SQL
}
dept_bad() { q "SELECT count(*) FROM suite_bench.dept WHERE run = '$1' AND status <> 'ACCEPTED'"; }

# ---- 1. step search -----------------------------------------------------------------------
RUN=$(printf '%x' $(( $(date +%s) & 0xffffff )))
: >"$WORK/steps.txt"
step() { # step RATE: one step of the search; appends "rate pass|FAIL p99 why" to steps.txt
  r=$1 rid=$RUN-s$1
  say "[$(elapsed)] (l) step: $r customer messages/s for $STEP_S s (load $(load_avg))"
  run_load "$rid" "$r" "$STEP_S" "step$r"
  stop_load "step$r" "$rid"
  s=$(lat "$rid")
  why=
  [ "$LOAD_RC" = 0 ] || why="$why requests failed or unanswered;"
  [ "${ACC:-x}" = "$STORED" ] || why="$why $ACC accepted but $STORED stored;"
  [ "$PROC" = "$STORED" ] || why="$why router took $PROC of $STORED within ${DRAIN_S} s;"
  [ "$(dept_bad "$rid")" = 0 ] || why="$why $(dept_bad "$rid") department events not ACCEPTED;"
  p99=$(w p99 "$s")
  dq=$(deliveries | cut -d' ' -f2)
  [ "$dq" -le $((r * 5)) ] || why="$why $dq deliveries still queued;"
  awk -v p="$p99" -v m="$P99_MAX" 'BEGIN { exit !(p != "Infinity" && p + 0 < m) }' || why="$why p99 $p99 ms;"
  gws=$(awk -v a="$ACC" -v s="$STEP_S" 'BEGIN { printf "%.0f", a / s }')
  if [ -z "$why" ]; then verdict=pass; else verdict=FAIL; fi
  say "  step $r msg/s: $verdict; accepted $ACC, router applied $PROC of $STORED ($DRAINED_S s to drain); message -> assigned p50 $(ms "$(w p50 "$s")") ms p99 $(ms "$p99") ms" \
    "($(w assigned "$s") assigned, $(w unassigned "$s") not, $(w auto "$s") auto-answered); deliveries done/queued $(deliveries | tr ' ' /); load $(load_avg)${why:+; $why}"
  echo "$r $verdict $p99 $(w p50 "$s") $gws" >>"$WORK/steps.txt"
  [ "$verdict" = pass ]
}
if [ -n "$FIXED_RATE" ]; then
  RATE=$FIXED_RATE
  say "[$(elapsed)] (l) BENCH_SUITE_RATE=$RATE: no step search"
else
  best=0 bad=0
  for r in $STEPS; do
    if step "$r"; then best=$r; else bad=$r; break; fi
  done
  if [ "$bad" != 0 ] && [ "$best" != 0 ] && [ $((bad - best)) -gt 20 ]; then
    mid=$(( (best + bad) / 2 ))
    if step "$mid"; then best=$mid; fi
  fi
  if [ "$best" = 0 ]; then
    RATE=$(( $(echo "$STEPS" | awk '{ print $1 }') / 2 ))
    say "  no step passed: the main run goes at $RATE msg/s"
  else
    RATE=$best
  fi
fi

# ---- 2. the main run ----------------------------------------------------------------------
# quiet: the steps' tails applied, and their replies out to the channel,
# before the main run starts (a failed step leaves a queue the main run would
# otherwise inherit)
i=0
while { [ "$(pending_assign "$RUN-s%")" != 0 ] || [ "$(deliveries | cut -d' ' -f2)" != 0 ]; } && [ $i -lt 300 ]; do
  sleep 1; i=$((i + 1))
done
say "  quiet after the steps in $i s (deliveries done/queued $(deliveries | tr ' ' /))"
MRID=$RUN-m
sampler() { # every 2 s: RSS of each service, of PostgreSQL (anonymous + max shared)
  while [ ! -f "$WORK/sampler.stop" ]; do
    line=""
    for s in $SERVICES; do
      eval "p=\$PID_$s"
      line="$line $s=$(awk '/^VmRSS:/ { print $2 }' "/proc/$p/status" 2>/dev/null || echo 0)"
    done
    pga=0 pgs=0
    for p in $PM_PID $(pgrep -P "$PM_PID" 2>/dev/null); do
      # shellcheck disable=SC2046 # two numbers
      set -- $(awk '/^RssAnon:/ { a = $2 } /^RssShmem:/ { s = $2 } END { print a + 0, s + 0 }' "/proc/$p/status" 2>/dev/null || echo "0 0")
      pga=$((pga + $1)); [ "$2" -gt "$pgs" ] && pgs=$2
    done
    echo "$line pg=$((pga + pgs)) load=$(cut -d' ' -f1 /proc/loadavg)" >>"$WORK/rss.txt"
    sleep 2
  done
}
: >"$WORK/rss.txt"
rm -f "$WORK/sampler.stop"
sampler &
SAMPLER_PID=$!
ticks_all() {
  for s in $SERVICES; do eval "p=\$PID_$s"; echo "$s=$(proc_ticks "$p")"; done
  echo "pg=$(pg_ticks)"; echo "recv=$(proc_ticks "$RECV_PID")"
}
cpu_busy_idle() { awk '/^cpu / { print "busy=" $2 + $3 + $4 + $7 + $8 + $9; print "idle=" $5 + $6 }' /proc/stat; }
ticks_all >"$WORK/ticks0.txt"; cpu_busy_idle >>"$WORK/ticks0.txt"
LOAD0=$(load_avg)
M0=$(q "SELECT clock_timestamp()")
M0_MS=$(date +%s%3N)
say "[$(elapsed)] (l) main run: $RATE customer messages/s (plus the mix) for $MAIN_S s (load $LOAD0)"
run_load "$MRID" "$RATE" "$MAIN_S" main progress
M1=$(q "SELECT clock_timestamp()")
M1_MS=$(date +%s%3N)
ticks_all >"$WORK/ticks1.txt"; cpu_busy_idle >>"$WORK/ticks1.txt"
LOAD1=$(load_avg)
touch "$WORK/sampler.stop"
wait "$SAMPLER_PID" 2>/dev/null || true
SAMPLER_PID=
PY_TICKS=$(proc_ticks "$LOAD_PID")
stop_load main "$MRID"
MAIN_STATS=$(lat "$MRID")
WALL_S=$(awk -v a="$M0_MS" -v b="$M1_MS" 'BEGIN { printf "%.1f", (b - a) / 1000 }')

# ---- checks -------------------------------------------------------------------------------
[ "$LOAD_RC" = 0 ] || fail "main run: webhook requests failed or were not answered (see $WORK/main/webhook.out)"
[ "${ACC:-x}" = "$STORED" ] || fail "main run: $ACC messages answered accepted, $STORED stored by the gateway"
ONCE=$(q "SELECT count(*) FILTER (WHERE c = 1) || ' ' || count(*) FILTER (WHERE c > 1) || ' ' || count(*) FILTER (WHERE c = 0) FROM (
  SELECT (SELECT count(*) FROM router.ticket_messages tm WHERE tm.message_id = im.message_id AND tm.direction = 'in') AS c
  FROM gateway.inbound_messages im WHERE im.account = '$ACCOUNT' AND im.external_message_id LIKE '$MRID-%') s")
read -r MSG_ONCE MSG_TWICE MSG_MISSING <<EOF
$ONCE
EOF
[ "$MSG_ONCE" = "$STORED" ] || fail "main run: $MSG_ONCE of $STORED accepted messages in router.ticket_messages exactly once ($MSG_TWICE more than once, $MSG_MISSING missing $DRAINED_S s after the load)"
DEPT=$(q "SELECT string_agg(k || '=' || c, ' ' ORDER BY k) FROM (
  SELECT CASE WHEN kind = 'logistics' AND ref LIKE '%-O%' THEN 'orders' WHEN kind = 'logistics' THEN 'shipments'
              WHEN kind = 'stock' THEN 'stock' ELSE 'campaigns' END || '_' || lower(status) AS k, count(*) AS c
  FROM suite_bench.dept WHERE run = '$MRID' GROUP BY 1) s")
DEPT_BAD=$(dept_bad "$MRID")
[ "$DEPT_BAD" = 0 ] || fail "main run: $DEPT_BAD department events not ACCEPTED ($DEPT)"
for kind in logistics stock promo; do
  acc=$(q "SELECT count(*) FROM suite_bench.dept WHERE run = '$MRID' AND kind = '$kind' AND status = 'ACCEPTED'")
  once=$(q "SELECT count(*) FROM suite_bench.dept d WHERE run = '$MRID' AND kind = '$kind' AND status = 'ACCEPTED'
    AND (SELECT count(*) FROM $kind.ingest_log l WHERE l.event_id = d.event_id) = 1")
  [ "$acc" = "$once" ] || fail "main run: $once of $acc ACCEPTED $kind events in $kind.ingest_log exactly once"
  eval "ACC_$kind=$acc"
done
ACC_logistics=${ACC_logistics:-0} ACC_stock=${ACC_stock:-0} ACC_promo=${ACC_promo:-0}
EFFECT=$(q "SELECT
  (SELECT count(*) FROM suite_bench.dept d WHERE run = '$MRID' AND ref LIKE '%-O%' AND status = 'ACCEPTED')
  - (SELECT count(*) FROM logistics.orders o WHERE o.order_id LIKE '$MRID-O%') || ' ' ||
  (SELECT count(DISTINCT ref) FROM suite_bench.dept d WHERE run = '$MRID' AND ref LIKE '%-T%' AND status = 'ACCEPTED')
  - (SELECT count(*) FROM logistics.shipments s WHERE s.tracking_no LIKE '$MRID-T%') || ' ' ||
  (SELECT count(DISTINCT ref) FROM suite_bench.dept d WHERE run = '$MRID' AND kind = 'stock' AND status = 'ACCEPTED')
  - (SELECT count(*) FROM stock.levels l WHERE l.sku LIKE '$MRID-K%')")
read -r EFF_O EFF_T EFF_S <<EOF
$EFFECT
EOF
[ "$EFF_O|$EFF_T|$EFF_S" = "0|0|0" ] || fail "main run: effect rows differ from the ACCEPTED events (orders $EFF_O, shipments $EFF_T, stock levels $EFF_S)"
ANS_REC=$(q "SELECT count(*) FROM suite_bench.answer WHERE run = '$MRID' AND status = 'recorded'")
ANS_OK=$(q "SELECT count(*) FROM suite_bench.answer a WHERE run = '$MRID' AND status = 'recorded'
  AND (SELECT count(*) FROM survey.responses r WHERE r.invitation_id = a.invitation) = 1")
[ "$ANS_REC" = "$ANS_OK" ] || fail "main run: $ANS_OK of $ANS_REC recorded survey answers are one survey.responses row"
ANS_BAD=$(q "SELECT count(*) FROM suite_bench.answer WHERE run = '$MRID' AND status NOT IN ('recorded', 'already')")
[ "$ANS_BAD" = 0 ] || fail "main run: $ANS_BAD survey answers were refused"
DEAD=$(q "SELECT count(*) FROM bus.dead_letters")
[ "$DEAD" = 0 ] || fail "bus.dead_letters holds $DEAD events"
RESOLVES=$(awk -F, '$4 == 202' "$WORK/main/resolve.csv" | wc -l)
RESOLVE_BAD=$(awk -F, '$4 != 202' "$WORK/main/resolve.csv" | wc -l)
INVITES=$(q "SELECT count(*) FROM survey.invitations WHERE pg_xact_commit_timestamp(xmin) BETWEEN '$M0' AND '$M1'" 2>/dev/null || echo "?")
DELIVERED=$(grep -c . "$WORK/hook.jsonl" 2>/dev/null || echo 0)
read -r DLV_DONE DLV_QUEUED <<EOF
$(deliveries)
EOF
DLV_MAIN=$(q "SELECT count(*) FROM gateway.outbound_messages WHERE pg_xact_commit_timestamp(xmin) BETWEEN '$M0' AND '$M1'")
P99_MAIN=$(w p99 "$MAIN_STATS")
if [ "$ACC" = "$MSG_ONCE" ] && [ "$FAILED" = 0 ] && awk -v p="$P99_MAIN" -v m="$P99_MAX" 'BEGIN { exit !(p != "Infinity" && p + 0 < m) }'; then
  SUSTAINED=yes
else
  SUSTAINED=no
fi
for s in $SERVICES; do eval "kill -0 \$PID_$s" 2>/dev/null || fail "peakdesk-$s died (see $WORK/$s.log)"; done

# ---- 3. CPU and memory --------------------------------------------------------------------
tk() { sed -n "s/^$2=//p" "$WORK/ticks$1.txt"; }
cpu_s() { awk -v a="$(tk 0 "$1")" -v b="$(tk 1 "$1")" -v hz="$HZ" 'BEGIN { printf "%.1f", (b - a) / hz }'; }
rss_mb() { tr ' ' '\n' <"$WORK/rss.txt" | sed -n "s/^$1=//p" | sort -n | tail -n 1 | awk '{ printf "%.0f", $1 / 1024 }'; }
CPU_LINE="" RES_CPU="" SVC_TICKS=0
for s in $SERVICES pg; do
  c=$(cpu_s "$s"); m=$(rss_mb "$s")
  nm=$s; [ "$s" = pg ] && nm=PostgreSQL
  CPU_LINE="$CPU_LINE $nm $c s ($(awk -v c="$c" -v w="$WALL_S" 'BEGIN { printf "%.2f", c / w }') core, peak RSS ${m:-?} MB);"
  RES_CPU="$RES_CPU cpu_${s}_s=$c rss_${s}_mb=${m:-}"
  SVC_TICKS=$((SVC_TICKS + $(tk 1 "$s") - $(tk 0 "$s")))
done
SUITE_CPU=$(awk -v t="$SVC_TICKS" -v hz="$HZ" 'BEGIN { printf "%.1f", t / hz }')
MACHINE=$(awk -v b0="$(tk 0 busy)" -v b1="$(tk 1 busy)" -v i0="$(tk 0 idle)" -v i1="$(tk 1 idle)" -v hz="$HZ" -v w="$WALL_S" \
  'BEGIN { printf "busy %.2f, idle %.2f of %d cores", (b1 - b0) / hz / w, (i1 - i0) / hz / w, 2 }')
# the load tools: suite_load.py (agents, departments, surveys), bench_webhook_load, the channel receiver
LOAD_CPU=$(awk -v py="$PY_TICKS" -v r0="$(tk 0 recv)" -v r1="$(tk 1 recv)" -v hz="$HZ" -v t="$(tail -n 1 "$WORK/main/webhook.time" 2>/dev/null)" \
  'BEGIN { split(t, x, " "); printf "%.1f", (py + r1 - r0) / hz + x[1] + x[2] }')

# ---- 4. the raw COPY baseline -------------------------------------------------------------
for s in $SERVICES; do eval "kill -TERM \$PID_$s" 2>/dev/null || true; done
for s in $SERVICES; do
  eval "p=\$PID_$s"; i=0
  while kill -0 "$p" 2>/dev/null && [ $i -lt 150 ]; do sleep 0.1; i=$((i + 1)); done
  kill -KILL "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true
done
PIDS_SVC=
say "[$(elapsed)] (l) baseline: the rows the main run wrote, out with COPY and back into empty copies of their tables"
mkdir -p "$WORK/copy"
q "SELECT n.nspname || '.' || c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE n.nspname IN ('gateway', 'router', 'logistics', 'stock', 'promo', 'survey', 'bus')
     AND c.relkind IN ('r', 'p') AND NOT c.relispartition ORDER BY 1" >"$WORK/tables.txt"
: >"$WORK/copy_in.sql"
: >"$WORK/rows.txt"
echo "BEGIN;" >>"$WORK/copy_in.sql"
while read -r t; do
  f=$WORK/copy/$t.copy
  psql "$PEAKDESK_DB" -XAtq -v ON_ERROR_STOP=1 -c "\\copy (SELECT * FROM $t WHERE pg_xact_commit_timestamp(xmin) BETWEEN '$M0' AND '$M1') TO '$f'" >/dev/null
  c=$(wc -l <"$f")
  [ "$c" -gt 0 ] || continue
  echo "$t $c" >>"$WORK/rows.txt"
  sch=rawcopy_${t%%.*}
  q "CREATE SCHEMA IF NOT EXISTS $sch; CREATE TABLE $sch.${t#*.} (LIKE $t INCLUDING DEFAULTS INCLUDING IDENTITY INCLUDING CONSTRAINTS INCLUDING INDEXES)" >/dev/null 2>&1 \
    || fail "cannot create a copy of $t"
  echo "\\copy $sch.${t#*.} FROM '$f'" >>"$WORK/copy_in.sql"
done <"$WORK/tables.txt"
echo "COMMIT;" >>"$WORK/copy_in.sql"
ROWS=$(awk '{ s += $2 } END { print s + 0 }' "$WORK/rows.txt")
ROWS_TOP=$(sort -k2 -n -r "$WORK/rows.txt" | head -n 8 | awk '{ printf "%s%s %s", (NR > 1 ? ", " : ""), $1, $2 }')
q "CHECKPOINT" >/dev/null
P0=$(pg_ticks); C0_MS=$(date +%s%3N)
/usr/bin/time -f '%U %S' -o "$WORK/copy.time" psql "$PEAKDESK_DB" -XAtq -v ON_ERROR_STOP=1 -f "$WORK/copy_in.sql" >"$WORK/copy.out" 2>&1 \
  || { fail "the raw COPY failed"; cat "$WORK/copy.out" >&2; }
C1_MS=$(date +%s%3N); sleep 1; P1=$(pg_ticks)
COPY_S=$(awk -v a="$C0_MS" -v b="$C1_MS" 'BEGIN { printf "%.3f", (b - a) / 1000 }')
COPY_CPU=$(awk -v a="$P0" -v b="$P1" -v hz="$HZ" -v t="$(cat "$WORK/copy.time" 2>/dev/null | tail -n 1)" \
  'BEGIN { split(t, x, " "); printf "%.2f", (b - a) / hz + x[1] + x[2] }')
COPY_ROWS_S=$(awk -v r="$ROWS" -v s="$COPY_S" 'BEGIN { printf "%.0f", r / s }')
SUITE_ROWS_S=$(awk -v r="$ROWS" -v s="$WALL_S" 'BEGIN { printf "%.0f", r / s }')
RATIO=$(awk -v a="$SUITE_ROWS_S" -v b="$COPY_ROWS_S" 'BEGIN { printf "%.3f", a / b }')
SUITE_US_ROW=$(awk -v c="$SUITE_CPU" -v r="$ROWS" 'BEGIN { printf "%.1f", c * 1e6 / r }')
COPY_US_ROW=$(awk -v c="$COPY_CPU" -v r="$ROWS" 'BEGIN { printf "%.1f", c * 1e6 / r }')
MSG_S=$(awk -v a="$ACC" -v s="$MAIN_S" 'BEGIN { printf "%.1f", a / s }')

# ---- figures ------------------------------------------------------------------------------
if [ -z "$FIXED_RATE" ]; then
  echo "suite step search ($STEP_S s each, pass = nothing lost and message -> assigned p99 < $P99_MAX ms):" \
    "$(awk '{ printf "%s%s msg/s %s (p50 %.0f ms, p99 %s ms)", (NR > 1 ? "; " : ""), $1, $2, $4, ($3 == "Infinity" ? "inf" : sprintf("%.0f", $3)) }' "$WORK/steps.txt")"
fi
echo "suite main run: $RATE customer messages/s offered for $MAIN_S s with the promo-peak mix (per message 0.5 orders, 0.3 shipment updates," \
  "0.1 stock reports; a campaign update a minute; $AGENTS agents resolving; half the survey links answered); load average $LOAD0 before, $LOAD1 after"
echo "suite accepted: $(n "$ACC") customer messages ($MSG_S msg/s), department events $DEPT; $(n "$RESOLVES") tickets replied to and resolved" \
  "($RESOLVE_BAD resolve calls not 202), $INVITES survey invitations, $ANS_REC answers recorded; $(n "$DELIVERED") deliveries to the channel receiver in all"
echo "suite message -> ticket assigned: p50 $(ms "$(w p50 "$MAIN_STATS")") ms p99 $(ms "$(w p99 "$MAIN_STATS")") ms max $(ms "$(w max "$MAIN_STATS")") ms" \
  "($(w assigned "$MAIN_STATS") of $(w new "$MAIN_STATS") new tickets assigned, $(w unassigned "$MAIN_STATS") not, $(w auto "$MAIN_STATS") answered automatically from live facts);" \
  "gateway hop (sent -> stored) p99 $(ms "$(w gw_p99 "$MAIN_STATS")") ms; stored -> assigned p50 $(ms "$(w hop_p50 "$MAIN_STATS")") ms p99 $(ms "$(w hop_p99 "$MAIN_STATS")") ms"
echo "suite deliveries to the channel: $(n "$DLV_MAIN") outbound messages queued in the main run (agent replies, survey invitations, acknowledgements);" \
  "at its end $(n "$DLV_DONE") delivered in all and $(n "$DLV_QUEUED") still queued (not lost: pending in gateway.outbound_messages)"
if [ "$SUSTAINED" = yes ]; then
  echo "suite verdict: $RATE msg/s SUSTAINED for $MAIN_S s (nothing lost, p99 $(ms "$P99_MAIN") ms < $P99_MAX ms)"
else
  echo "suite verdict: $RATE msg/s NOT sustained for $MAIN_S s (p99 $(ms "$P99_MAIN") ms, target < $P99_MAX ms; checks $([ "$FAILED" = 0 ] && echo held || echo FAILED)): the ${STEP_S} s steps found a rate the suite holds only for a while"
fi
echo "suite nothing lost: accepted $ACC = stored $STORED; in router.ticket_messages once $MSG_ONCE (twice $MSG_TWICE, missing $MSG_MISSING; drained $DRAINED_S s after the load);" \
  "ACCEPTED events once in their ingest_log: logistics $ACC_logistics, stock $ACC_stock, promo $ACC_promo; effect rows (orders, shipments, SKU levels) differ by $EFF_O $EFF_T $EFF_S; dead letters $DEAD"
echo "suite CPU and memory over the ${WALL_S} s of the main run (load and drain):$CPU_LINE load tools $LOAD_CPU s; machine $MACHINE"
echo "suite rows written in the main run: $(n "$ROWS") in $(wc -l <"$WORK/rows.txt") tables (largest: $ROWS_TOP)"
echo "suite $([ "$SUSTAINED" = yes ] && echo sustained || echo "ran (target NOT met)") $MSG_S msg/s ($(n "$SUITE_ROWS_S") rows/s written in all) = $RATIO x raw COPY of the same rows ($(n "$COPY_ROWS_S") rows/s: $(n "$ROWS") rows in $COPY_S s);" \
  "CPU per row: suite $SUITE_US_ROW us (services + PostgreSQL, $SUITE_CPU s), raw COPY $COPY_US_ROW us (PostgreSQL + psql, $COPY_CPU s)"
echo "RESULT suite rate=$RATE seconds=$MAIN_S msgs_per_s=$MSG_S accepted=$ACC stored=$STORED once=$MSG_ONCE twice=$MSG_TWICE missing=$MSG_MISSING" \
  "p50_ms=$(w p50 "$MAIN_STATS") p99_ms=$(w p99 "$MAIN_STATS") max_ms=$(w max "$MAIN_STATS") new=$(w new "$MAIN_STATS") assigned=$(w assigned "$MAIN_STATS")" \
  "unassigned=$(w unassigned "$MAIN_STATS") auto=$(w auto "$MAIN_STATS") hop_p99_ms=$(w hop_p99 "$MAIN_STATS") logistics=$ACC_logistics stock=$ACC_stock promo=$ACC_promo" \
  "dept_not_accepted=$DEPT_BAD resolved=$RESOLVES answers=$ANS_REC dead_letters=$DEAD wall_s=$WALL_S rows=$ROWS rows_per_s=$SUITE_ROWS_S" \
  "copy_rows_per_s=$COPY_ROWS_S copy_s=$COPY_S ratio_copy=$RATIO cpu_us_per_row=$SUITE_US_ROW copy_cpu_us_per_row=$COPY_US_ROW$RES_CPU" \
  "sustained=$SUSTAINED delivered=$DLV_DONE deliveries_queued=$DLV_QUEUED load_tools_cpu_s=$LOAD_CPU load_before=$(echo "$LOAD0" | tr ' ' ',') load_after=$(echo "$LOAD1" | tr ' ' ',') target_p99_ms=$P99_MAX"
[ -n "$FIXED_RATE" ] || awk '{ printf "RESULT suite_step rate=%s verdict=%s p99_ms=%s p50_ms=%s msgs_per_s=%s\n", $1, $2, $3, $4, $5 }' "$WORK/steps.txt"
[ "$FAILED" = 0 ]
