#!/bin/sh
# Part "router" of make bench: the ticket router, (g) to (i).
#   (g) routing decisions/s inside one process (pure logic,
#       bench_router_logic): rt_classify over the shipped rules, rt_extract,
#       rt_risk_evaluate over the ticket's last messages and rt_assign_pick
#       over 1,000 agents in 8 groups with 10,000 tickets queued; p50/p99 per
#       decision. Reported, no target.
#   (h) the rule automaton vs one strstr per keyword on the same texts
#       (bench_router_logic). Target >= 20 x.
#   (i) end to end: signed webhook message -> peakdesk-gateway -> bus ->
#       peakdesk-router -> ticket assigned, at a steady 5,000 msg/s
#       (bench_webhook_load --texts, open loop), 1,000 agents online. Latency of each
#       NEW ticket = commit time of the router transaction that wrote its
#       "assigned" timeline row - the message's scheduled send time (the
#       client's sentAtMs, stored as gateway.inbound_messages.sent_at).
#       Target p99 < 50 ms, every ticket assigned. Beside it, in the same
#       run: the gateway hop alone (sent -> message committed), the same
#       path at a low rate (what one message costs when nothing queues),
#       and a raw durable one-row commit (bench_commit_raw; two commits in
#       series, the gateway's and the router's, are the floor).
#
# Commit times come from PostgreSQL itself: track_commit_timestamp = on and
# pg_xact_commit_timestamp(xmin) of the rows each transaction wrote (rows
# that are never updated afterwards: the inbound message, the router's
# ticket_messages row, the "assigned" ticket_events row). now() would be the
# START of the router's transaction, and the router applies many messages
# per transaction, so a start time would hide most of the wait. Enabling it
# needs a restart, so this part restarts the benchmark's PostgreSQL (same
# data directory, same normal durability) with track_commit_timestamp and
# pg_stat_statements (for "where the time goes"), and restores both at the
# end. The clocks: the load generator's CLOCK_REALTIME and PostgreSQL's
# commit timestamps, same host.
#
# Called by tests/bench/run.sh with PostgreSQL running and migrated:
#   router.sh WORKDIR   (PEAKDESK_DB, PEAKDESK_RUN_DIR, PEAKDESK_SCHEMA_DIR
#                        set; BENCH_PGDIR = the data directory's parent that
#                        deploy/local/pg.sh manages (required: restart);
#                        BENCH_T_START; BENCH_BIN, BENCH_TOOLS or BENCH_BUILD)
# On stdout: (g) and (h) as soon as they are measured (human lines, then
# their RESULT lines), then (i) the same way; progress on stderr.
# Exit 1 when something broke: a request not answered 200, an accepted
# message not stored, the router dying or dead-lettering an event, a ticket
# the router committed without an agent while its group had free capacity,
# or a check of bench_router_logic (automaton vs strstr disagree). A router
# that is too slow to finish within the drain window is a missed target,
# not a failure.
# Knobs: BENCH_ROUTER_DECISIONS (100000), BENCH_ROUTER_AGENTS (1000),
# BENCH_ROUTER_CAPACITY (50, per agent), BENCH_ROUTER_RATE (5000),
# BENCH_ROUTER_SECONDS (5), BENCH_ROUTER_DRAIN_S (30), BENCH_ROUTER_LOW_RATE
# (20), BENCH_ROUTER_LOW_SECONDS (5), BENCH_ROUTER_CONNS (64),
# BENCH_ROUTER_LOGIC_ARGS (extra bench_router_logic options),
# BENCH_ROUTER_PARTITIONS (1: router instances sharing the customers,
# PEAKDESK_ROUTER_PARTITION K/N, docs/scaling.md).
# After (i), in the same database, the floor under it
# (tests/bench/router_floor.sh): the rows (i) wrote per message, per table,
# and PostgreSQL alone writing those rows for BENCH_ROUTER_FLOOR_MESSAGES
# (25000) messages with COPY, timed; its RESULT line is router_e2e_floor.
set -eu

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BENCH_BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
BIN=${BENCH_BIN:-$BUILD/bin}
TOOLS=${BENCH_TOOLS:-$BUILD/tests}
WORK=${1:?usage: router.sh WORKDIR}
: "${PEAKDESK_DB:?PEAKDESK_DB must be set}"
: "${BENCH_PGDIR:?BENCH_PGDIR must be set (router.sh restarts PostgreSQL with track_commit_timestamp)}"

DECISIONS=${BENCH_ROUTER_DECISIONS:-100000}
AGENTS=${BENCH_ROUTER_AGENTS:-1000}
CAPACITY=${BENCH_ROUTER_CAPACITY:-50}
RATE=${BENCH_ROUTER_RATE:-5000}
SECS=${BENCH_ROUTER_SECONDS:-5}
DRAIN=${BENCH_ROUTER_DRAIN_S:-30}
LOW_RATE=${BENCH_ROUTER_LOW_RATE:-20}
LOW_SECS=${BENCH_ROUTER_LOW_SECONDS:-5}
CONNS=${BENCH_ROUTER_CONNS:-64}
PARTS=${BENCH_ROUTER_PARTITIONS:-1}
case $PARTS in [1-8]) ;; *) say "router bench: BENCH_ROUTER_PARTITIONS must be 1 to 8"; exit 2 ;; esac

for f in "$BIN/peakdesk" "$BIN/peakdesk-gateway" "$BIN/peakdesk-router" "$TOOLS/bench_router_logic" \
  "$TOOLS/bench_webhook_load" "$TOOLS/bench_commit_raw" "$TOOLS/bench_http_bare"; do
  [ -x "$f" ] || { echo "router bench: $f is missing; run 'make all' first" >&2; exit 1; }
done
for c in psql curl; do
  command -v "$c" >/dev/null 2>&1 || { echo "router bench: $c is not installed (make deps)" >&2; exit 1; }
done

BENCH_PART=router
. "$(dirname "$0")/bench_lib.sh"
T_START=${BENCH_T_START:-$(date +%s)}
elapsed() { echo "$(( $(date +%s) - T_START ))s"; }
q() { psql "$PEAKDESK_DB" -XAtq -v ON_ERROR_STOP=1 -c "$1"; }
kv() { sed -n "s/^\(.* \)*$2=\([^ ]*\).*/\2/p" "$1" | tail -n 1; } # kv FILE KEY
fail() { say "router bench: $*"; FAILED=1; }
FAILED=0
n() { awk -v x="$1" 'BEGIN { s = sprintf("%.0f", x); o = ""; l = length(s);
      for (i = 1; i <= l; i++) { o = o substr(s, i, 1); if ((l - i) % 3 == 0 && i < l) o = o "," } print o }'; }
msf() { # milliseconds (float, or Infinity) -> "3.1", "12", "5,021"; "-" when empty
  case $1 in '') echo "-"; return ;; Infinity) echo "inf"; return ;; esac
  v=$(awk -v u="$1" 'BEGIN { if (u < 10) printf "%.1f", u; else printf "%.0f", u }')
  case $v in *.*) echo "$v" ;; *) n "$v" ;; esac
}

mkdir -p "$WORK"
GW_PID=
RT_PID=
BARE_PID=
PG_TUNED=
pg_restart() {
  "$ROOT/deploy/local/pg.sh" stop "$BENCH_PGDIR" >/dev/null 2>&1 || true
  "$ROOT/deploy/local/pg.sh" start "$BENCH_PGDIR" >/dev/null
}
# shellcheck disable=SC2317 # runs from the EXIT trap
cleanup() {
  rc=$?
  for p in $BARE_PID $GW_PID; do
    kill -TERM "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
  for p in $RT_PID; do kill -KILL "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  if [ -n "$PG_TUNED" ]; then
    q "DROP EXTENSION IF EXISTS pg_stat_statements" >/dev/null 2>&1 || true
    q "ALTER SYSTEM RESET track_commit_timestamp" >/dev/null 2>&1 || true
    q "ALTER SYSTEM RESET shared_preload_libraries" >/dev/null 2>&1 || true
    pg_restart || true
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

metric() { curl -fsS "http://$1/metrics" 2>/dev/null | awk -v n="$2" '$1 == n { print $2 }' | tail -n 1; }
PM_PID=
pg_ticks() {
  [ -n "$PM_PID" ] || { echo 0; return; }
  t=0
  for p in $PM_PID $(pgrep -P "$PM_PID" 2>/dev/null); do t=$((t + $(proc_ticks "$p"))); done
  echo "$t"
}
cpu_busy_idle() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9, $5 + $6 }' /proc/stat; }
HZ=$(getconf CLK_TCK 2>/dev/null || echo 100)
NCPU=$(nproc)

# ---- (g), (h): pure logic -------------------------------------------------------------
say "[$(elapsed)] (g, h) router logic: $DECISIONS routing decisions, automaton vs strstr"
# shellcheck disable=SC2086 # BENCH_ROUTER_LOGIC_ARGS is a list of options
"$TOOLS/bench_router_logic" --decisions "$DECISIONS" ${BENCH_ROUTER_LOGIC_ARGS:-} >"$WORK/logic.out" \
  || fail "bench_router_logic failed or its automaton check found a difference (see above)"
cat "$WORK/logic.out" # (g), (h) figures and RESULT lines, even if (i) fails later
"$TOOLS/bench_router_logic" --dump-texts "$WORK/texts.txt" --messages 20000 \
  || { say "router bench: cannot write the message texts"; exit 1; }

# ---- (i): set-up ----------------------------------------------------------------------------
say "[$(elapsed)] (i) restarting PostgreSQL with track_commit_timestamp and pg_stat_statements"
PG_TUNED=1
q "ALTER SYSTEM SET track_commit_timestamp = on" >/dev/null
# pg_stat_statements only when the server has it (preloading a missing
# library would stop PostgreSQL from starting); without it the statement
# table is simply not printed.
PGSS=
# shellcheck disable=SC2012 # as deploy/local/pg.sh finds the server
PGLIB=$(ls -d /usr/lib/postgresql/*/lib 2>/dev/null | sort -V | tail -n 1)
if [ -n "$PGLIB" ] && [ -f "$PGLIB/pg_stat_statements.so" ]; then
  PGSS=1
  q "ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'" >/dev/null
fi
pg_restart
[ -z "$PGSS" ] || q "CREATE EXTENSION IF NOT EXISTS pg_stat_statements" >/dev/null || PGSS=
[ "$(q "SHOW track_commit_timestamp")" = on ] || { say "router bench: track_commit_timestamp did not turn on"; exit 1; }
PM_PID=$(head -n 1 "$BENCH_PGDIR/data/postmaster.pid")

# raw baseline: one durable one-row commit
"$TOOLS/bench_commit_raw" >"$WORK/commit.out" || fail "bench_commit_raw failed"
RAW_P50=$(kv "$WORK/commit.out" p50_us)

# The account's outbound URL is a bare HTTP server that answers 200: the
# router's complaint acknowledgements are delivered, not retried.
BARE_ADDR=127.0.0.1:$(free_port 18311)
"$TOOLS/bench_http_bare" --listen "$BARE_ADDR" >"$WORK/bare.out" 2>"$WORK/bare.log" &
BARE_PID=$!
wait_http "http://$BARE_ADDR/healthz" "$BARE_PID" bench_http_bare
ACCOUNT=routerbench
SECRET=bench-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
"$BIN/peakdesk" account add --channel webhook --name "$ACCOUNT" --secret "$SECRET" \
  --url "http://$BARE_ADDR/v1/channels/outbound" >"$WORK/account.log" 2>&1 \
  || { say "router bench: account add failed"; cat "$WORK/account.log" >&2; exit 1; }

# Agents: the groups the shipped rules route to, in proportion to what the
# rules make of the corpus (bench_router_logic's "groups" figures: presale
# ~32%, order ~36%, after-sale ~22%, complaints ~10%) plus VIP, and three
# more teams (livestream, wholesale, overseas) some agents also work in:
# 8 groups. Everyone takes CAPACITY chats at once (varied by +-10), so the
# floor has room for every new ticket of the run and the figure is the
# router's speed, not a wait for a free agent.
for g in livestream wholesale overseas; do
  "$BIN/peakdesk" group add --name "$g" --description "router benchmark team" >/dev/null 2>&1 || true
done
awk -v n="$AGENTS" -v cap="$CAPACITY" 'BEGIN {
  split("livestream wholesale overseas presale order", extra, " ");
  for (i = 0; i < n; i++) {
    r = i % 100;
    g = r < 30 ? "presale" : r < 64 ? "order" : r < 86 ? "after-sale" : r < 96 ? "complaints" : "vip";
    if (i % 10 == 3) g = g "," extra[1 + int(i / 10) % 5];
    if (g == "presale,presale" || g == "order,order") g = substr(g, 1, index(g, ",") - 1);
    t = i % 20 == 0 ? "supervisor" : i % 5 == 0 ? "lead" : "frontline";
    c = cap + (i % 3 - 1) * 10; if (c < 1) c = 1;
    printf "rb-agent-%04d %s %d %s\n", i, g, c, t
  } }' >"$WORK/agents.txt"
say "[$(elapsed)] (i) $AGENTS agents with peakdesk agent add (8 in parallel)"
: >"$WORK/tokens.txt"
# shellcheck disable=SC2016 # expanded by the inner sh
xargs -P 8 -n 4 sh -c '"$0" agent add --name "$1" --groups "$2" --capacity "$3" --tier "$4" | sed -n "s/^token: /$1 /p"' \
  "$BIN/peakdesk" <"$WORK/agents.txt" >>"$WORK/tokens.txt" || fail "peakdesk agent add failed"
[ "$(wc -l <"$WORK/tokens.txt")" = "$AGENTS" ] || { say "router bench: only $(wc -l <"$WORK/tokens.txt") of $AGENTS agents were added"; exit 1; }

# The router consumes every publisher's outbox from its own offsets. Earlier
# parts of the run left their events there (the gateway part's 200,000+
# messages): the router starts from the current end of every publisher, so
# it works on this part's load only.
# One instance is router-bench; partitions are router-bench-1 .. -N, each
# binding its own PUB address first in the list the others dial.
rt_name() { if [ "$PARTS" = 1 ]; then echo router-bench; else echo "router-bench-$1"; fi; }
RT_NAMES=''
RT_PUBS=''
k=1
while [ $k -le "$PARTS" ]; do
  RT_NAMES="$RT_NAMES $(rt_name $k)"
  RT_PUBS="$RT_PUBS${RT_PUBS:+,}ipc://$WORK/router-$k.pub"
  k=$((k + 1))
done
for name in $RT_NAMES; do
  q "INSERT INTO bus.offsets(consumer, publisher, seq)
     SELECT '$name', p.publisher, coalesce((SELECT max(seq) FROM bus.outbox o WHERE o.publisher = p.publisher), 0)
     FROM bus.publishers p
     ON CONFLICT (consumer, publisher) DO UPDATE SET seq = excluded.seq" >/dev/null
done
GW_ADDR=127.0.0.1:$(free_port 18312)
RT_ADDRS=''
RT_PID=''
say "[$(elapsed)] (i) starting peakdesk-gateway ($GW_ADDR) and $PARTS peakdesk-router instance(s)"
PEAKDESK_ROUTER_PUB=$RT_PUBS PEAKDESK_GATEWAY_HTTP=$GW_ADDR "$BIN/peakdesk-gateway" >"$WORK/gateway.log" 2>&1 &
GW_PID=$!
k=1
for name in $RT_NAMES; do
  addr=127.0.0.1:$(free_port $((18312 + k)))
  own=ipc://$WORK/router-$k.pub
  others=$(echo "$RT_PUBS" | tr ',' '\n' | grep -vx "$own" | paste -sd, -)
  PEAKDESK_INSTANCE=$name PEAKDESK_ROUTER_PARTITION=$((k - 1))/$PARTS PEAKDESK_ROUTER_HTTP=$addr \
    PEAKDESK_ROUTER_PUB=$own${others:+,$others} "$BIN/peakdesk-router" >"$WORK/$name.log" 2>&1 &
  RT_PID="$RT_PID $!"
  RT_ADDRS="$RT_ADDRS $addr"
  wait_http "http://$addr/healthz" "$!" peakdesk-router
  k=$((k + 1))
done
RT_LOGS=$(for name in $RT_NAMES; do printf '%s ' "$WORK/$name.log"; done)
wait_http "http://$GW_ADDR/healthz" "$GW_PID" peakdesk-gateway
rt_alive() { for p in $RT_PID; do kill -0 "$p" 2>/dev/null || return 1; done; }
# rt_metric NAME: the sum over the router instances
rt_metric() { for a in $RT_ADDRS; do metric "$a" "$1"; done | awk '{ s += $1 } END { printf "%.6f", s }'; }
rt_ticks() { t=0; for p in $RT_PID; do t=$((t + $(proc_ticks "$p"))); done; echo "$t"; }
i=0
until [ "$(curl -s -o /dev/null -w '%{http_code}' --data '{}' "http://$GW_ADDR/v1/channels/$ACCOUNT/messages")" = 401 ]; do
  i=$((i + 1)); [ $i -gt 100 ] && { say "router bench: the gateway does not know account $ACCOUNT"; exit 1; }
  sleep 0.1
done

# Agents come online the way agents do: PUT /v1/agent/presence with their
# token (gateway -> agent.command -> router).
# ("next" only between entries: a trailing one is an empty transfer that
# aborts the others)
awk -v a="$GW_ADDR" '{ if (NR > 1) print "next"; printf "url = \"http://%s/v1/agent/presence\"\nrequest = \"PUT\"\nheader = \"Authorization: Bearer %s\"\nheader = \"Content-Type: application/json\"\ndata = \"{\\\"presence\\\":\\\"online\\\"}\"\noutput = \"/dev/null\"\nwrite-out = \"%%{http_code}\\n\"\n", a, $2 }' \
  "$WORK/tokens.txt" >"$WORK/presence.curl"
say "[$(elapsed)] (i) $AGENTS agents go online through the agent API"
curl -s --parallel --parallel-max 16 -K "$WORK/presence.curl" >"$WORK/presence.codes" 2>"$WORK/presence.err" || true
PRES_OK=$(grep -c '^20[02]$' "$WORK/presence.codes" || true)
[ "$PRES_OK" = "$AGENTS" ] || { say "router bench: only $PRES_OK of $AGENTS presence requests were accepted"; sort "$WORK/presence.codes" | uniq -c >&2; exit 1; }
i=0
until [ "$(q "SELECT count(*) FROM router.agents WHERE presence = 'online' AND agent_id LIKE 'rb-agent-%'")" = "$AGENTS" ]; do
  i=$((i + 1)); [ $i -gt 300 ] && { say "router bench: the router did not bring all agents online within 30 s"; exit 1; }
  sleep 0.1
done

# ---- (i): measuring ---------------------------------------------------------------------------
RUN=r$(date +%s)
# lat_sql RUN KIND: latency figures of one run, as key=value words.
# KIND n = the messages that opened a ticket; % = every message.
lat_sql() {
  q "WITH m AS (
       SELECT im.message_id, im.sent_at, pg_xact_commit_timestamp(im.xmin) AS gw_at
       FROM gateway.inbound_messages im
       WHERE im.account = '$ACCOUNT' AND im.external_message_id LIKE '$1-$2-%'),
     r AS (
       SELECT m.*, pg_xact_commit_timestamp(tm.xmin) AS rt_at,
         (SELECT min(pg_xact_commit_timestamp(e.xmin)) FROM router.ticket_events e
          WHERE e.ticket_id = tm.ticket_id AND e.kind = 'assigned') AS as_at
       FROM m LEFT JOIN router.ticket_messages tm ON tm.message_id = m.message_id),
     l AS (
       SELECT (extract(epoch FROM gw_at - sent_at) * 1000)::float8 AS gw,
         coalesce((extract(epoch FROM rt_at - sent_at) * 1000)::float8, 'Infinity') AS rt,
         coalesce((extract(epoch FROM as_at - sent_at) * 1000)::float8, 'Infinity') AS asg,
         (extract(epoch FROM as_at - gw_at) * 1000)::float8 AS hop,
         (extract(epoch FROM clock_timestamp() - sent_at) * 1000)::float8 AS now_ms
       FROM r)
     SELECT 'n=' || count(*), 'processed=' || count(*) FILTER (WHERE rt < 'Infinity'),
       'assigned=' || count(*) FILTER (WHERE asg < 'Infinity'),
       'p50=' || percentile_disc(0.5) WITHIN GROUP (ORDER BY asg),
       'p99=' || percentile_disc(0.99) WITHIN GROUP (ORDER BY asg),
       'max=' || coalesce(max(asg) FILTER (WHERE asg < 'Infinity'), 0),
       'rt_p50=' || percentile_disc(0.5) WITHIN GROUP (ORDER BY rt),
       'rt_p99=' || percentile_disc(0.99) WITHIN GROUP (ORDER BY rt),
       'gw_p50=' || coalesce(percentile_disc(0.5) WITHIN GROUP (ORDER BY gw), 0),
       'gw_p99=' || coalesce(percentile_disc(0.99) WITHIN GROUP (ORDER BY gw), 0),
       'hop_p50=' || coalesce(percentile_disc(0.5) WITHIN GROUP (ORDER BY hop), 0),
       'hop_p99=' || coalesce(percentile_disc(0.99) WITHIN GROUP (ORDER BY hop), 0),
       'waited=' || coalesce(min(now_ms) FILTER (WHERE asg = 'Infinity'), 0)
     FROM l" | tr '\n|' '  '
}
processed() { # processed RUN: messages of the run the router has committed
  q "SELECT count(*) FROM router.ticket_messages tm JOIN gateway.inbound_messages im USING (message_id)
     WHERE im.account = '$ACCOUNT' AND im.external_message_id LIKE '$1-%'"
}
router_xact_age() {
  q "SELECT coalesce(round(extract(epoch FROM max(now() - xact_start)))::int, 0) FROM pg_stat_activity
     WHERE application_name LIKE 'peakdesk-router%' AND state <> 'idle' AND xact_start IS NOT NULL"
}
# run_load LABEL RUNID RATE SECONDS PHONE_PREFIX DRAIN_S: the load, then wait
# until the router has committed every accepted message or DRAIN_S passed.
run_load() {
  label=$1 rid=$2 rate=$3 secs=$4 pp=$5 drain=$6
  "$TOOLS/bench_webhook_load" --addr "$GW_ADDR" --account "$ACCOUNT" --secret "$SECRET" --texts "$WORK/texts.txt" \
    --rate "$rate" --seconds "$secs" --conns "$CONNS" --run "$rid" --label "$label" --phone-prefix "$pp" \
    >"$WORK/$label.out" || fail "$label: the load had errors (non-200 answers, failures or unanswered requests)"
  acc=$(kv "$WORK/$label.out" accepted)
  stored=$(q "SELECT count(*) FROM gateway.inbound_messages WHERE account = '$ACCOUNT' AND external_message_id LIKE '$rid-%'")
  [ "${acc:-0}" = "$stored" ] || fail "$label: $acc messages answered accepted, $stored stored by the gateway"
  t0=$(date +%s)
  next=$((t0 + 5))
  while :; do
    done_n=$(processed "$rid")
    [ "$done_n" -ge "$stored" ] && break
    rt_alive || { fail "$label: a peakdesk-router died (see $RT_LOGS)"; break; }
    now=$(date +%s)
    [ $((now - t0)) -ge "$drain" ] && break
    if [ "$now" -ge "$next" ]; then
      say "  $label: router committed $(n "$done_n") of $(n "$stored") messages $((now - t0)) s after the load (its open transaction: $(router_xact_age) s)"
      next=$((now + 5))
    fi
    sleep 0.5
  done
  DRAIN_USED=$(( $(date +%s) - t0 ))
}

say "[$(elapsed)] (i) low rate: $LOW_RATE msg/s for $LOW_SECS s (what one message costs when nothing queues)"
run_load router_low "$RUN-l" "$LOW_RATE" "$LOW_SECS" 137 20
LOW_DRAIN=$DRAIN_USED
LOW_STATS=$(lat_sql "$RUN-l" n)

# The floor under (i) (tests/bench/router_floor.sh): the rows the path writes
# per message, from pg_stat_user_tables of the gateway, router and bus schemas
# (the outbox's partitions) before the phase below and after the router has
# stopped, and where every publisher's outbox stood before it, so the floor
# copies this phase's events only.
tup_snap() {
  sleep 1.5 # a backend reports its table counters at most once a second
  # a partition counts for its table (the outbox: for its service's partition)
  q "SELECT coalesce((SELECT a.relid::regclass::text FROM pg_partition_ancestors(s.relid) a
                      JOIN pg_partition_tree(pg_partition_root(s.relid)) t USING (relid)
                      WHERE t.level = CASE WHEN pg_partition_root(s.relid) = 'bus.outbox'::regclass THEN 1 ELSE 0 END),
                     s.schemaname || '.' || s.relname) AS tbl,
            sum(n_tup_ins), sum(n_tup_upd), sum(n_tup_hot_upd), sum(n_tup_del)
     FROM pg_stat_user_tables s WHERE schemaname IN ('gateway', 'router', 'bus') GROUP BY 1 ORDER BY 1" | tr '|' ' ' >"$1"
}
tup_snap "$WORK/tup0.txt"
OUTBOX_MARKS=$(q "SELECT coalesce(string_agg(format('(%L, %s)', publisher, m), ', '), '') FROM
  (SELECT publisher, max(seq) AS m FROM bus.outbox GROUP BY publisher) x")
[ -z "$PGSS" ] || q "SELECT pg_stat_statements_reset()" >/dev/null
B0=$(rt_metric peakdesk_bus_batches_total)
BS0=$(rt_metric peakdesk_bus_batch_seconds_sum)
C0_RT=$(rt_ticks); C0_GW=$(proc_ticks "$GW_PID"); C0_PG=$(pg_ticks)
read -r C0_BUSY C0_IDLE <<EOF
$(cpu_busy_idle)
EOF
T0_MS=$(date +%s%3N)
say "[$(elapsed)] (i) $RATE msg/s for $SECS s, open loop, then up to $DRAIN s for the router to catch up"
run_load router_fixed "$RUN-b" "$RATE" "$SECS" 139 "$DRAIN"
FIX_DRAIN=$DRAIN_USED
B1=$(rt_metric peakdesk_bus_batches_total)
BS1=$(rt_metric peakdesk_bus_batch_seconds_sum)
C1_RT=$(rt_ticks); C1_GW=$(proc_ticks "$GW_PID"); C1_PG=$(pg_ticks)
read -r C1_BUSY C1_IDLE <<EOF
$(cpu_busy_idle)
EOF
T1_MS=$(date +%s%3N)
XACT_AGE=$(router_xact_age)
FIX_STATS=$(lat_sql "$RUN-b" n)
ALL_STATS=$(lat_sql "$RUN-b" "%")
# what the router's role spent its database time on (statements finished
# so far, including those of a transaction still running)
: >"$WORK/statements.txt"
APPLIED=0 STMT_TOTAL=0 STMT_CALLS=0
[ -z "$PGSS" ] || q "SELECT round(total_exec_time)::bigint || '|' || calls || '|' || round((total_exec_time / greatest(calls, 1))::numeric, 3)
     || '|' || regexp_replace(left(query, 110), '\s+', ' ', 'g')
   FROM pg_stat_statements s JOIN pg_roles r ON r.oid = s.userid
   WHERE r.rolname = 'peakdesk_router'
   ORDER BY total_exec_time DESC LIMIT 6" >"$WORK/statements.txt" || true
# messages the router applied, committed or in its open transaction
[ -z "$PGSS" ] || APPLIED=$(q "SELECT coalesce(sum(calls), 0) FROM pg_stat_statements s JOIN pg_roles r ON r.oid = s.userid
  WHERE r.rolname = 'peakdesk_router' AND query LIKE 'INSERT INTO router.ticket_messages%'" || echo 0)
[ -z "$PGSS" ] || STMT_TOTAL=$(q "SELECT coalesce(round(sum(total_exec_time))::bigint, 0) FROM pg_stat_statements s JOIN pg_roles r ON r.oid = s.userid
  WHERE r.rolname = 'peakdesk_router'" || echo 0)
# all the router's statements, and all but the costliest one
[ -z "$PGSS" ] || STMT_CALLS=$(q "SELECT coalesce(sum(calls), 0) FROM pg_stat_statements s JOIN pg_roles r ON r.oid = s.userid
  WHERE r.rolname = 'peakdesk_router'" || echo 0)
STMT_TOP=$(head -n 1 "$WORK/statements.txt" | cut -d'|' -f1)

# ---- (i): checks ------------------------------------------------------------------------------
DEAD=$(q "SELECT count(*) FROM bus.dead_letters WHERE consumer LIKE 'router%'")
[ "$DEAD" = 0 ] || fail "the router dead-lettered $DEAD events (see bus.dead_letters and $RT_LOGS)"
rt_alive || fail "a peakdesk-router is not running any more (see $RT_LOGS)"
# Tickets of the runs the router committed without an agent: either no
# agent of the group had a free place (none expected here) or a bug.
q "WITH load AS (SELECT agent_id, count(*) AS n FROM router.tickets WHERE agent_id <> ''
                   AND status NOT IN ('resolved', 'closed') GROUP BY agent_id),
        free AS (SELECT DISTINCT unnest(a.groups) AS g FROM router.agents a LEFT JOIN load USING (agent_id)
                 WHERE a.presence = 'online' AND a.capacity > coalesce(load.n, 0))
   SELECT count(*) FILTER (WHERE t.group_name = '' OR t.group_name IN (SELECT g FROM free)),
          count(*) FILTER (WHERE NOT (t.group_name = '' OR t.group_name IN (SELECT g FROM free)))
   FROM router.tickets t
   WHERE t.account = '$ACCOUNT' AND t.agent_id = '' AND t.status = 'open'" | tr '|' ' ' >"$WORK/unassigned.txt"
read -r STUCK WAITING <"$WORK/unassigned.txt"
[ "$STUCK" = 0 ] || fail "$STUCK tickets were committed open without an agent although their group had an online agent with a free place"
AUTO=$(q "SELECT count(*) FROM router.tickets WHERE account = '$ACCOUNT' AND status = 'pending_customer'")
# shellcheck disable=SC2086 # one word per log
WARNS=$(cat $RT_LOGS | grep -c '"level":"warn"\|level=warn\| WARN ' || true)

# Stop the router: it finishes its transaction in flight before it exits,
# which at a backlog takes longer than we wait.
RT_STOP="stopped"
rt_any() { for p in $RT_PID; do kill -0 "$p" 2>/dev/null && return 0; done; return 1; }
for p in $RT_PID; do kill -TERM "$p" 2>/dev/null || true; done
i=0
while rt_any && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
if rt_any; then
  RT_STOP="did not stop within 5 s of SIGTERM (it finishes the transaction in flight first): killed"
  for p in $RT_PID; do kill -KILL "$p" 2>/dev/null || true; done
fi
for p in $RT_PID; do wait "$p" 2>/dev/null || true; done
RT_PID=
# (the floor) table counters now that the router's last transaction has
# ended, and the messages it had applied by then (committed or rolled back:
# the counters count both)
tup_snap "$WORK/tup1.txt"
APPLIED_STOP=$APPLIED
[ -z "$PGSS" ] || APPLIED_STOP=$(q "SELECT coalesce(sum(calls), 0) FROM pg_stat_statements s JOIN pg_roles r ON r.oid = s.userid
  WHERE r.rolname = 'peakdesk_router' AND query LIKE 'INSERT INTO router.ticket_messages%'" || echo "$APPLIED")
[ "${APPLIED_STOP:-0}" -gt 0 ] || APPLIED_STOP=$(processed "$RUN-b") # without pg_stat_statements: committed

# ---- figures ---------------------------------------------------------------------------------------
w() { echo " $2 " | sed -n "s/.* $1=\([^ ]*\) .*/\1/p"; } # w KEY "k=v k=v ..."
F_N=$(w n "$FIX_STATS"); F_ASG=$(w assigned "$FIX_STATS"); F_PROC=$(w processed "$FIX_STATS")
F_P50=$(w p50 "$FIX_STATS"); F_P99=$(w p99 "$FIX_STATS"); F_MAX=$(w max "$FIX_STATS")
A_N=$(w n "$ALL_STATS"); A_PROC=$(w processed "$ALL_STATS")
L_N=$(w n "$LOW_STATS"); L_ASG=$(w assigned "$LOW_STATS")
RAW_MS=$(awk -v u="${RAW_P50:-0}" 'BEGIN { printf "%.3f", u / 1000 }')
FLOOR_MS=$(awk -v u="${RAW_P50:-0}" 'BEGIN { printf "%.3f", 2 * u / 1000 }')
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "Infinity" || a == "") print "n/a (not reached)"; else if (b + 0 > 0) printf "%.1f", a / b; else print "?" }'; }
pct_words() { # pct_words VALUE STATS: "12 ms", or "> 31 s" for a ticket never assigned
  if [ "$1" = Infinity ]; then
    echo "> $(awk -v m="$(w waited "$2")" 'BEGIN { printf "%.0f", m / 1000 }') s"
  else
    echo "$(msf "$1") ms"
  fi
}
lat_words() { # lat_words STATS: "p50 X ms p99 Y ms max Z ms"
  printf 'p50 %s p99 %s' "$(pct_words "$(w p50 "$1")" "$1")" "$(pct_words "$(w p99 "$1")" "$1")"
  if [ "$(w assigned "$1")" = "$(w n "$1")" ]; then
    printf ' max %s ms' "$(msf "$(w max "$1")")"
  else
    printf ' (%s of %s new tickets were not assigned by the end of the run: they count as later than the' \
      "$(n $(( $(w n "$1") - $(w assigned "$1") )))" "$(n "$(w n "$1")")"
    printf ' %s s the earliest of them had waited; the assigned ones took at most %s ms)' \
      "$(awk -v m="$(w waited "$1")" 'BEGIN { printf "%.0f", m / 1000 }')" "$(msf "$(w max "$1")")"
  fi
}
WALL_S=$(awk -v a="$T0_MS" -v b="$T1_MS" 'BEGIN { printf "%.1f", (b - a) / 1000 }')
RT_RATE=$(awk -v p="$A_PROC" -v s="$WALL_S" 'BEGIN { printf "%.0f", (s > 0 ? p / s : 0) }')
TXNS=$(awk -v a="${B0:-0}" -v b="${B1:-0}" 'BEGIN { printf "%.0f", b - a }')
TXN_S=$(awk -v a="${BS0:-0}" -v b="${BS1:-0}" 'BEGIN { printf "%.1f", b - a }')
CPU=$(awk -v hz="$HZ" -v nc="$NCPU" -v ms=$((T1_MS - T0_MS)) -v rt=$((C1_RT - C0_RT)) -v gw=$((C1_GW - C0_GW)) \
  -v pg=$((C1_PG - C0_PG)) -v busy=$((C1_BUSY - C0_BUSY)) -v idle=$((C1_IDLE - C0_IDLE)) \
  'BEGIN { s = ms / 1000 * hz; o = busy - rt - gw - pg; if (o < 0) o = 0;
           printf "router %.2f, gateway %.2f, PostgreSQL %.2f, everything else %.2f, idle %.2f of %d cores", rt / s, gw / s, pg / s, o / s, idle / s, nc }')

PARTS_WORDS=
[ "$PARTS" = 1 ] || PARTS_WORDS=" ($PARTS router partitions)"
echo "router e2e$PARTS_WORDS: $(n "$RATE") msg/s offered for $SECS s (open loop, $(n "$(kv "$WORK/router_fixed.out" new)") opening a ticket," \
  "$(n "$(kv "$WORK/router_fixed.out" followups)") follow-ups ~2 s later), $AGENTS agents online (capacity ~$CAPACITY each):" \
  "message sent -> ticket assigned $(lat_words "$FIX_STATS"); $(n "$F_ASG") of $(n "$F_N") new tickets" \
  "assigned by ${FIX_DRAIN} s after the load; the router committed $(n "$A_PROC") of $(n "$A_N") messages" \
  "(${RT_RATE} msg/s over the ${WALL_S} s from the start of the load); counting its transaction still open, it had" \
  "applied $(n "$APPLIED") ($(awk -v a="$APPLIED" -v s="$WALL_S" 'BEGIN { printf "%.0f", (s > 0 ? a / s : 0) }') msg/s)"
echo "router e2e, where the time goes: gateway hop (sent -> message committed) p50 $(msf "$(w gw_p50 "$FIX_STATS")") ms" \
  "p99 $(msf "$(w gw_p99 "$FIX_STATS")") ms; message committed -> assigned (bus + router) p50 $(msf "$(w hop_p50 "$FIX_STATS")") ms" \
  "p99 $(msf "$(w hop_p99 "$FIX_STATS")") ms (assigned tickets only); every message sent -> committed by the router" \
  "p50 $(pct_words "$(w rt_p50 "$ALL_STATS")" "$ALL_STATS") p99 $(pct_words "$(w rt_p99 "$ALL_STATS")" "$ALL_STATS")"
echo "router e2e, baselines: raw durable one-row commit p50 ${RAW_MS} ms (bench_commit_raw), so two commits in series" \
  "(gateway, router) = ${FLOOR_MS} ms; at $(n "$RATE") msg/s p50 = $(ratio "$F_P50" "$FLOOR_MS") x that floor and" \
  "p99 = $(ratio "$F_P99" "$(w gw_p99 "$FIX_STATS")") x the gateway hop's p99 in the same run; at $LOW_RATE msg/s" \
  "p50 = $(ratio "$(w p50 "$LOW_STATS")" "$FLOOR_MS") x the floor"
echo "router e2e, low rate: $LOW_RATE msg/s for $LOW_SECS s: message sent -> ticket assigned $(lat_words "$LOW_STATS");" \
  "$(n "$L_ASG") of $(n "$L_N") new tickets assigned (all caught up ${LOW_DRAIN} s after the load); gateway hop p50" \
  "$(msf "$(w gw_p50 "$LOW_STATS")") ms, bus + router p50 $(msf "$(w hop_p50 "$LOW_STATS")") ms p99 $(msf "$(w hop_p99 "$LOW_STATS")") ms"
echo "router e2e, router writer$PARTS_WORDS: $TXNS transactions committed in ${WALL_S} s (${TXN_S} s inside them);" \
  "its transaction still open at the end had run ${XACT_AGE} s; CPU: $CPU; $WARNS warnings in its log(s);" \
  "$AUTO tickets auto-answered (waiting on the customer), $WAITING waiting for a free agent; router $RT_STOP"
[ -z "$PGSS" ] || echo "router e2e, PostgreSQL time by statement during the $(n "$RATE") msg/s run (pg_stat_statements, $(n "${STMT_TOTAL:-0}") ms in all):"
awk -F'|' '{ printf "  %8s ms %8s calls %9s ms each  %s\n", $1, $2, $3, $4 }' "$WORK/statements.txt"
awk -v t="${STMT_TOTAL:-0}" -v top="${STMT_TOP:-0}" -v c="${STMT_CALLS:-0}" -v a="${APPLIED:-0}" 'BEGIN { if (a > 0)
  printf "router e2e, per message applied: %.0f statements, %.2f ms of PostgreSQL execution time in all, %.2f ms without the costliest statement above\n", c / a, t / a, (t - top) / a }'
grep -v '^RESULT ' "$WORK/router_fixed.out" | sed 's/^/  (load) /' || true

echo "RESULT router_e2e partitions=$PARTS rate=$RATE seconds=$SECS agents=$AGENTS capacity=$CAPACITY new=$F_N assigned=$F_ASG" \
  "processed=$F_PROC messages=$A_N messages_processed=$A_PROC p50_ms=$F_P50 p99_ms=$F_P99 max_ms=$F_MAX" \
  "gw_p50_ms=$(w gw_p50 "$FIX_STATS") gw_p99_ms=$(w gw_p99 "$FIX_STATS") hop_p50_ms=$(w hop_p50 "$FIX_STATS")" \
  "hop_p99_ms=$(w hop_p99 "$FIX_STATS") router_msgs_per_s=$RT_RATE applied=$APPLIED drain_s=$FIX_DRAIN open_xact_s=$XACT_AGE" \
  "raw_commit_p50_us=${RAW_P50:-} floor_ms=$FLOOR_MS stuck=$STUCK waiting=$WAITING dead_letters=$DEAD target_p99_ms=50"
echo "RESULT router_e2e_low rate=$LOW_RATE seconds=$LOW_SECS new=$L_N assigned=$L_ASG p50_ms=$(w p50 "$LOW_STATS")" \
  "p99_ms=$(w p99 "$LOW_STATS") max_ms=$(w max "$LOW_STATS") gw_p50_ms=$(w gw_p50 "$LOW_STATS") hop_p50_ms=$(w hop_p50 "$LOW_STATS")" \
  "hop_p99_ms=$(w hop_p99 "$LOW_STATS")"
# (the raw commit under its own label: the bus part prints a commit_raw line too)
sed -n 's/^RESULT commit_raw /RESULT router_commit_raw /p' "$WORK/commit.out"
grep -h '^RESULT ' "$WORK/router_fixed.out" "$WORK/router_low.out" || true
# ---- the floor under (i) -------------------------------------------------------------------------
. "$(dirname "$0")/router_floor.sh"
[ "$FAILED" = 0 ]
