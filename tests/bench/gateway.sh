#!/bin/sh
# Parts (c) and (d) of make bench: the gateway's generic webhook
# (POST /v1/channels/{account}/messages, HMAC-signed JSON, answered after the
# message and its message.inbound event are committed) under wrk, beside two
# baselines measured in the same run on the same machine:
#   - pgbench: the gateway's own store statement (the dedup key claimed in
#     gateway.inbound_keys with ON CONFLICT DO NOTHING and the message
#     inserted into gateway.inbound_messages, 035), one transaction per
#     message, 16 clients,
#     against the same PostgreSQL (what "just store each message" costs);
#   - bench_http_bare: the same HTTP stack (common/http.c) answering 200
#     without checking or storing anything (what HTTP alone costs).
# (c) throughput: wrk -t2 -c64 closed loop, messages acknowledged per second
#     and p50/p99; target >= 3 x pgbench.
# (d) latency: bench_webhook_load, open loop at 5,000 msg/s (latency from each
#     request's scheduled send time); target p99 < 20 ms.
# Also the gateway's RSS under that load, and where the time went: writer
# transactions and messages per transaction (/metrics), commits per second
# (pg_stat_database) and CPU per process (/proc).
#
# Called by tests/bench/run.sh with PostgreSQL running and migrated:
#   gateway.sh WORKDIR     (PEAKDESK_DB, PEAKDESK_RUN_DIR set; BENCH_PGDIR for CPU
#                           accounting of PostgreSQL; BENCH_T_START for progress;
#                           BENCH_BIN, BENCH_TOOLS or BENCH_BUILD for the binaries)
# Human lines, then RESULT key=value lines, on stdout; progress on stderr.
# Exit 1 when something broke: a non-200 answer, a socket error, an
# acknowledged message not stored, a stored message without its event.
# Knobs: BENCH_GW_SECONDS (15), BENCH_GW_THREADS (2), BENCH_GW_CONNS (64),
# BENCH_GW_RATE (5000), BENCH_GW_RATE_SECONDS (10), BENCH_PGBENCH_CLIENTS (16),
# BENCH_PGBENCH_SECONDS (15), BENCH_BARE_SECONDS (10), BENCH_BARE_RATE_SECONDS (5).
set -eu

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BENCH_BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
BIN=${BENCH_BIN:-$BUILD/bin}       # run.sh passes its copies of the binaries
TOOLS=${BENCH_TOOLS:-$BUILD/tests}
WORK=${1:?usage: gateway.sh WORKDIR}
: "${PEAKDESK_DB:?PEAKDESK_DB must be set}"
LUA=$ROOT/tests/bench/webhook.lua

GW_SECONDS=${BENCH_GW_SECONDS:-15}
GW_THREADS=${BENCH_GW_THREADS:-2}
GW_CONNS=${BENCH_GW_CONNS:-64}
GW_RATE=${BENCH_GW_RATE:-5000}
GW_RATE_SECONDS=${BENCH_GW_RATE_SECONDS:-10}
PGB_CLIENTS=${BENCH_PGBENCH_CLIENTS:-16}
PGB_SECONDS=${BENCH_PGBENCH_SECONDS:-15}
BARE_SECONDS=${BENCH_BARE_SECONDS:-10}
BARE_RATE_SECONDS=${BENCH_BARE_RATE_SECONDS:-5}

for f in "$BIN/peakdesk" "$BIN/peakdesk-gateway" "$TOOLS/bench_http_bare" "$TOOLS/bench_webhook_load"; do
  [ -x "$f" ] || { echo "gateway bench: $f is missing; run 'make all' first" >&2; exit 1; }
done
for c in wrk pgbench psql curl; do
  command -v "$c" >/dev/null 2>&1 || { echo "gateway bench: $c is not installed (make deps)" >&2; exit 1; }
done

BENCH_PART=gateway
. "$(dirname "$0")/bench_lib.sh"
T_START=${BENCH_T_START:-$(date +%s)}
elapsed() { echo "$(( $(date +%s) - T_START ))s"; }
q() { psql "$PEAKDESK_DB" -XAtq -v ON_ERROR_STOP=1 -c "$1"; }
kv() { sed -n "s/^\(.* \)*$2=\([^ ]*\).*/\2/p" "$1" | tail -n 1; } # kv FILE KEY
fail() { say "gateway bench: $*"; FAILED=1; }
FAILED=0

mkdir -p "$WORK"
GW_PID=
BARE_PID=
RSS_PID=
WATCH_PID=
# shellcheck disable=SC2317 # runs from the EXIT trap
cleanup() {
  rc=$?
  for p in $WATCH_PID $RSS_PID $BARE_PID $GW_PID; do
    kill -TERM "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM


# ---- accounting helpers ------------------------------------------------------------
PM_PID=
[ -n "${BENCH_PGDIR:-}" ] && [ -f "$BENCH_PGDIR/data/postmaster.pid" ] && PM_PID=$(head -n 1 "$BENCH_PGDIR/data/postmaster.pid")
pg_ticks() { # the postmaster and its children (backends, WAL writer, checkpointer, ...)
  [ -n "$PM_PID" ] || { echo 0; return; }
  t=0
  for p in $PM_PID $(pgrep -P "$PM_PID" 2>/dev/null); do t=$((t + $(proc_ticks "$p"))); done
  echo "$t"
}
cpu_busy_idle() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9, $5 + $6 }' /proc/stat; }
xact_commits() { q "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()"; }
HZ=$(getconf CLK_TCK 2>/dev/null || echo 100)
NCPU=$(nproc)

snapshot() { # snapshot NAME: CPU, commits and gateway metrics now
  snap=$WORK/$1
  {
    echo "time_ms=$(date +%s%3N)"
    echo "gw_ticks=$(proc_ticks "$GW_PID")"
    echo "pg_ticks=$(pg_ticks)"
    cpu_busy_idle | awk '{ print "cpu_busy=" $1; print "cpu_idle=" $2 }'
    echo "commits=$(xact_commits)"
    # the gateway's database backends: time on a CPU and time runnable but
    # waiting for one (/proc/PID/schedstat, nanoseconds)
    for p in $GW_BACKENDS; do cat "/proc/$p/schedstat" 2>/dev/null; done |
      awk '{ c += $1; w += $2 } END { printf "be_cpu_ns=%.0f\nbe_wait_ns=%.0f\n", c, w }'
  } >"$snap.snap"
  metrics "$GW_ADDR" >"$snap.metrics"
}
sv() { sed -n "s/^$2=//p" "$WORK/$1.snap"; } # sv SNAP KEY

# Progress while wrk runs (it prints nothing until it ends): a counter from
# /metrics every 5 s.
watch_counter() { # watch_counter ADDR METRIC LABEL
  prev=$(metrics "$1" | awk -v n="$2" '$1 == n { print $2 }')
  while sleep 5; do
    now=$(metrics "$1" | awk -v n="$2" '$1 == n { print $2 }')
    [ -n "$now" ] && [ -n "$prev" ] && say "  $3: $(( ${now%.*} - ${prev%.*} )) in the last 5 s ($(( (${now%.*} - ${prev%.*}) / 5 ))/s)"
    prev=$now
  done
}
start_watch() { watch_counter "$@" & WATCH_PID=$!; }
stop_watch() { kill "$WATCH_PID" 2>/dev/null || true; wait "$WATCH_PID" 2>/dev/null || true; WATCH_PID=; }

run_wrk() { # run_wrk LABEL URL SECONDS RUNID -> $WORK/LABEL.wrk (wrk's text), $WORK/LABEL.sum (key=value)
  rm -f "$WORK/$1.sum"
  BENCH_WEBHOOK_ACCOUNT=$ACCOUNT BENCH_WEBHOOK_SECRET=$SECRET BENCH_WEBHOOK_RUN=$4 BENCH_WEBHOOK_SUMMARY=$WORK/$1.sum \
    wrk -s "$LUA" -t"$GW_THREADS" -c"$GW_CONNS" -d"$3"s --latency "$2" >"$WORK/$1.wrk" 2>&1 || true
  if [ ! -s "$WORK/$1.sum" ]; then
    say "gateway bench: wrk ($1) failed:"; cat "$WORK/$1.wrk" >&2; exit 1
  fi
}

# ---- set-up --------------------------------------------------------------------------
ACCOUNT=benchhook
SECRET=bench-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
RUN=r$(date +%s)
"$BIN/peakdesk" account add --channel webhook --name "$ACCOUNT" --secret "$SECRET" --url http://127.0.0.1:9/ \
  >"$WORK/account.log" 2>&1 || { say "gateway bench: account add failed"; cat "$WORK/account.log" >&2; exit 1; }

GW_ADDR=127.0.0.1:$(free_port 18091)
say "[$(elapsed)] (c) gateway: starting peakdesk-gateway on $GW_ADDR"
PEAKDESK_GATEWAY_HTTP=$GW_ADDR "$BIN/peakdesk-gateway" >"$WORK/gateway.log" 2>&1 &
GW_PID=$!
wait_http "http://$GW_ADDR/healthz" "$GW_PID" peakdesk-gateway
# The gateway reloads accounts every 2 s; wait until ours answers (a 401 for
# an unsigned request means the account is known).
i=0
until [ "$(curl -s -o /dev/null -w '%{http_code}' --data '{}' "http://$GW_ADDR/v1/channels/$ACCOUNT/messages")" = 401 ]; do
  i=$((i + 1)); [ $i -gt 100 ] && { say "gateway bench: the gateway does not know account $ACCOUNT"; exit 1; }
  sleep 0.1
done
GW_BACKENDS=$(q "SELECT pid FROM pg_stat_activity WHERE application_name LIKE 'peakdesk-gateway%' AND backend_type = 'client backend'" | tr '\n' ' ')
RSS_IDLE=$(awk '/^VmRSS:/ { print $2 }' "/proc/$GW_PID/status")
# RSS every 0.2 s while the gateway runs.
( while kill -0 "$GW_PID" 2>/dev/null; do awk '/^VmRSS:/ { print $2 }' "/proc/$GW_PID/status" 2>/dev/null; sleep 0.2; done ) \
  >"$WORK/rss.samples" &
RSS_PID=$!

# ---- (c) gateway, closed loop with wrk -------------------------------------------------
# Every message stored must come with its message.inbound event: counted
# from here on.
STORED0=$(q "SELECT count(*) FROM gateway.inbound_messages")
EVENTS0=$(q "SELECT count(*) FROM bus.outbox WHERE topic = 'message.inbound'")
q "CHECKPOINT" >/dev/null
say "[$(elapsed)] (c) gateway: wrk -t$GW_THREADS -c$GW_CONNS -d${GW_SECONDS}s, every request a new signed message"
snapshot gw0
start_watch "$GW_ADDR" peakdesk_bus_events_committed_total "gateway, messages committed"
run_wrk gw "http://$GW_ADDR" "$GW_SECONDS" "$RUN"
stop_watch
snapshot gw1
# Wait for the answers still in flight when wrk stopped, then count.
sleep 0.5
GW_REQ=$(kv "$WORK/gw.sum" requests)
GW_NON2XX=$(kv "$WORK/gw.sum" non2xx)
GW_ERR=$(kv "$WORK/gw.sum" errors)
GW_ACKED=$((GW_REQ - GW_NON2XX))
GW_DUR_US=$(kv "$WORK/gw.sum" duration_us)
GW_STORED=$(q "SELECT count(*) FROM gateway.inbound_messages WHERE external_message_id LIKE '$RUN-w%'")
GW_DUPS=$(( GW_ACKED > GW_STORED ? GW_ACKED - GW_STORED : 0 ))
[ "$GW_NON2XX" = 0 ] || fail "wrk against the gateway got $GW_NON2XX answers other than 2xx (see $WORK/gateway.log)"
[ "$GW_ERR" = 0 ] || fail "wrk against the gateway had $GW_ERR socket errors or timeouts"
[ "$GW_STORED" -ge "$GW_ACKED" ] || fail "$GW_ACKED messages acknowledged but only $GW_STORED stored"

# ---- (d) gateway, open loop at a fixed rate ----------------------------------------------
say "[$(elapsed)] (d) gateway: $GW_RATE msg/s for $GW_RATE_SECONDS s, open loop ($GW_CONNS connections)"
snapshot fx0
"$TOOLS/bench_webhook_load" --addr "$GW_ADDR" --account "$ACCOUNT" --secret "$SECRET" --rate "$GW_RATE" \
  --seconds "$GW_RATE_SECONDS" --conns "$GW_CONNS" --run "$RUN" --label gateway_fixed >"$WORK/fixed.out" \
  || fail "the fixed-rate run against the gateway had errors (see above)"
snapshot fx1
FX_ACC=$(kv "$WORK/fixed.out" accepted)
FX_STORED=$(q "SELECT count(*) FROM gateway.inbound_messages WHERE external_message_id LIKE '$RUN-L-%'")
[ "${FX_ACC:-0}" = "$FX_STORED" ] || fail "fixed rate: $FX_ACC answered accepted, $FX_STORED stored"
RSS_HWM=$(awk '/^VmHWM:/ { print $2 }' "/proc/$GW_PID/status")
RSS_NOW=$(awk '/^VmRSS:/ { print $2 }' "/proc/$GW_PID/status")
kill -TERM "$RSS_PID" 2>/dev/null || true; wait "$RSS_PID" 2>/dev/null || true; RSS_PID=
RSS_MAX=$(sort -n "$WORK/rss.samples" | tail -n 1)
NEW_STORED=$(( $(q "SELECT count(*) FROM gateway.inbound_messages") - STORED0 ))
NEW_EVENTS=$(( $(q "SELECT count(*) FROM bus.outbox WHERE topic = 'message.inbound'") - EVENTS0 ))
[ "$NEW_STORED" = "$NEW_EVENTS" ] || fail "$NEW_STORED messages stored but $NEW_EVENTS message.inbound events written to bus.outbox"
kill -TERM "$GW_PID"
wait "$GW_PID" || true
GW_PID=

# ---- baseline: pgbench, one transaction per message ------------------------------------
q "TRUNCATE gateway.inbound_messages, gateway.inbound_keys" >/dev/null
q "CHECKPOINT" >/dev/null
cat >"$WORK/pgbench.sql" <<'SQL'
\set k random(0, 99999999)
WITH k AS (INSERT INTO gateway.inbound_keys(account, external_message_id, message_id) VALUES ('benchhook', 'pgb-' || gen_random_uuid(), gen_random_uuid()) ON CONFLICT (account, external_message_id) DO NOTHING RETURNING message_id, external_message_id) INSERT INTO gateway.inbound_messages(message_id, account, channel, external_user_id, external_user_name, external_message_id, message_type, text, subject, attachments, in_reply_to, sent_at) SELECT k.message_id, 'benchhook', 'webhook', 'visitor-' || (:k % 5000), '小王', k.external_message_id, 'text', '我的订单DD20261111' || lpad((:k)::text, 8, '0') || '什么时候发货？双十一付的定金，尾款也付了。', '', '[]'::jsonb, '', to_timestamp(nullif((extract(epoch from now()) * 1000)::bigint, 0) / 1000.0) FROM k RETURNING message_id;
SQL
say "[$(elapsed)] baseline: pgbench, the gateway's key claim + INSERT (one statement) per transaction, -c $PGB_CLIENTS -T $PGB_SECONDS"
pgbench -n -M prepared -c "$PGB_CLIENTS" -j 2 -T "$PGB_SECONDS" -P 5 -f "$WORK/pgbench.sql" "$PEAKDESK_DB" \
  >"$WORK/pgbench.out" 2>"$WORK/pgbench.err" || { cat "$WORK/pgbench.err" "$WORK/pgbench.out" >&2; fail "pgbench failed"; }
sed -n 's/^progress: /  pgbench: /p' "$WORK/pgbench.err" >&2
PGB_TPS=$(sed -n 's/^tps = \([0-9.]*\) (without initial connection time)/\1/p' "$WORK/pgbench.out")
PGB_LAT=$(sed -n 's/^latency average = \([0-9.]*\) ms/\1/p' "$WORK/pgbench.out")
PGB_FAILED=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' "$WORK/pgbench.out")
PGB_ROWS=$(q "SELECT count(*) FROM gateway.inbound_messages WHERE external_message_id LIKE 'pgb-%'")
[ -n "$PGB_TPS" ] || fail "no tps in pgbench's output"
[ "${PGB_FAILED:-0}" = 0 ] || fail "pgbench: $PGB_FAILED failed transactions"
q "TRUNCATE gateway.inbound_messages, gateway.inbound_keys" >/dev/null

# ---- baseline: bare evhttp -----------------------------------------------------------------
BARE_ADDR=127.0.0.1:$(free_port 18092)
say "[$(elapsed)] baseline: bare evhttp handler (bench_http_bare) on $BARE_ADDR, same wrk script for ${BARE_SECONDS} s"
"$TOOLS/bench_http_bare" --listen "$BARE_ADDR" >"$WORK/bare.out" 2>"$WORK/bare.log" &
BARE_PID=$!
wait_http "http://$BARE_ADDR/healthz" "$BARE_PID" bench_http_bare
start_watch "$BARE_ADDR" 'peakdesk_http_requests_total{code="200"}' "bare evhttp, requests answered"
run_wrk bare "http://$BARE_ADDR" "$BARE_SECONDS" "$RUN-bare"
stop_watch
if [ "$(kv "$WORK/bare.sum" non2xx)" != 0 ] || [ "$(kv "$WORK/bare.sum" errors)" != 0 ]; then
  fail "wrk against bench_http_bare: non-2xx $(kv "$WORK/bare.sum" non2xx), errors $(kv "$WORK/bare.sum" errors)"
fi
say "[$(elapsed)] baseline: bare evhttp at $GW_RATE req/s for $BARE_RATE_SECONDS s, open loop"
"$TOOLS/bench_webhook_load" --addr "$BARE_ADDR" --account "$ACCOUNT" --secret "$SECRET" --rate "$GW_RATE" \
  --seconds "$BARE_RATE_SECONDS" --conns "$GW_CONNS" --run "$RUN-bare" --label bare_fixed >"$WORK/bare_fixed.out" \
  || fail "the fixed-rate run against bench_http_bare had errors"
kill -TERM "$BARE_PID"
wait "$BARE_PID" || true
BARE_PID=

# ---- figures ---------------------------------------------------------------------------------
GW_MPS=$(awk -v a="$GW_ACKED" -v d="$GW_DUR_US" 'BEGIN { printf "%.1f", a / (d / 1e6) }')
BARE_RPS=$(kv "$WORK/bare.sum" rps)
# Writer transactions, messages per transaction and time per transaction,
# commits per second and CPU, over the wrk run.
d_metric() { awk -v a="$(metric "$WORK/$1.metrics" "$3")" -v b="$(metric "$WORK/$2.metrics" "$3")" 'BEGIN { printf "%.6f", b - a }'; }
TXNS=$(d_metric gw0 gw1 peakdesk_bus_batches_total)
EVENTS=$(d_metric gw0 gw1 peakdesk_bus_events_committed_total)
TXN_S=$(d_metric gw0 gw1 peakdesk_bus_batch_seconds_sum)
WALL_MS=$(( $(sv gw1 time_ms) - $(sv gw0 time_ms) ))
COMMITS=$(( $(sv gw1 commits) - $(sv gw0 commits) ))
FX_TXNS=$(d_metric fx0 fx1 peakdesk_bus_batches_total)
FX_EVENTS=$(d_metric fx0 fx1 peakdesk_bus_events_committed_total)
FX_TXN_S=$(d_metric fx0 fx1 peakdesk_bus_batch_seconds_sum)
cpu_line() { # cpu_line SNAP0 SNAP1 -> "gateway X, PostgreSQL Y, everything else Z, idle W"
  awk -v hz="$HZ" -v n="$NCPU" -v ms=$(( $(sv "$2" time_ms) - $(sv "$1" time_ms) )) \
    -v gw=$(( $(sv "$2" gw_ticks) - $(sv "$1" gw_ticks) )) -v pg=$(( $(sv "$2" pg_ticks) - $(sv "$1" pg_ticks) )) \
    -v busy=$(( $(sv "$2" cpu_busy) - $(sv "$1" cpu_busy) )) -v idle=$(( $(sv "$2" cpu_idle) - $(sv "$1" cpu_idle) )) \
    'BEGIN { s = ms / 1000 * hz; other = busy - gw - pg; if (other < 0) other = 0;
             printf "gateway %.2f, PostgreSQL %.2f, everything else (load generator, other jobs) %.2f, idle %.2f of %d cores", gw / s, pg / s, other / s, idle / s, n }'
}
CPU_GW=$(cpu_line gw0 gw1)
be_line() { # be_line SNAP0 SNAP1 -> share of the run the backends were on a CPU / waiting for one
  awk -v ms=$(( $(sv "$2" time_ms) - $(sv "$1" time_ms) )) -v c=$(( $(sv "$2" be_cpu_ns) - $(sv "$1" be_cpu_ns) )) \
    -v w=$(( $(sv "$2" be_wait_ns) - $(sv "$1" be_wait_ns) )) -v n="$(echo "$GW_BACKENDS" | wc -w)" \
    'BEGIN { printf "the gateway'"'"'s %d database backend(s) were on a CPU %.0f%% of the run and runnable but waiting for a CPU %.0f%%", n, c / 1e4 / ms, w / 1e4 / ms }'
}
CPU_FX=$(cpu_line fx0 fx1)

FX_P99=$(kv "$WORK/fixed.out" p99_us)
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 > 0) printf "%.2f", a / b; else print "?" }'; }
R_PGB=$(ratio "$GW_MPS" "$PGB_TPS")
R_BARE=$(ratio "$GW_MPS" "$BARE_RPS")
n() { awk -v x="$1" 'BEGIN { s = sprintf("%.0f", x); o = ""; l = length(s);
      for (i = 1; i <= l; i++) { o = o substr(s, i, 1); if ((l - i) % 3 == 0 && i < l) o = o "," } print o }'; }
ms() { # microseconds -> "3.1", "12", "5,021" (milliseconds)
  v=$(awk -v u="$1" 'BEGIN { v = u / 1000; if (v < 10) printf "%.1f", v; else printf "%.0f", v }')
  case $v in *.*) echo "$v" ;; *) n "$v" ;; esac
}
mb() { awk -v k="$1" 'BEGIN { printf "%.0f", k / 1024 }'; }

echo "gateway webhook: $(n "$GW_MPS") msg/s acknowledged (p50 $(ms "$(kv "$WORK/gw.sum" p50_us)") ms p99 $(ms "$(kv "$WORK/gw.sum" p99_us)") ms)" \
  "= $R_PGB x pgbench one-txn-per-message ($(n "$PGB_TPS") tps) = $R_BARE x bare evhttp ($(n "$BARE_RPS") req/s);" \
  "at $(n "$GW_RATE") msg/s p99 $(ms "$FX_P99") ms; gateway RSS $(mb "$RSS_MAX") MB"
echo "gateway webhook (wrk -t$GW_THREADS -c$GW_CONNS, ${GW_SECONDS} s, closed loop): $(n "$GW_ACKED") acknowledged," \
  "$(n "$GW_STORED") stored as new messages, $GW_DUPS duplicates ($(( GW_STORED - GW_ACKED + GW_DUPS )) answered after wrk stopped counting);" \
  "$(n "$NEW_EVENTS") message.inbound events for the $(n "$NEW_STORED") messages both gateway runs stored;" \
  "p50 $(ms "$(kv "$WORK/gw.sum" p50_us)") ms p90 $(ms "$(kv "$WORK/gw.sum" p90_us)") ms p99 $(ms "$(kv "$WORK/gw.sum" p99_us)") ms max $(ms "$(kv "$WORK/gw.sum" max_us)") ms"
awk -v t="$TXNS" -v e="$EVENTS" -v s="$TXN_S" -v w="$WALL_MS" -v c="$COMMITS" 'BEGIN {
  printf "gateway writer (wrk run): %.0f transactions = %.0f/s, %.1f messages each, %.2f ms each on average, busy %.0f%% of the run; PostgreSQL commits %.0f/s (pg_stat_database)\n",
    t, t / (w / 1000), (t > 0 ? e / t : 0), (t > 0 ? s / t * 1000 : 0), s / (w / 1000) * 100, c / (w / 1000) }'
echo "CPU during the wrk run: $CPU_GW; $(be_line gw0 gw1)"
show_fixed() { grep -v '^RESULT ' "$1" || true; }
show_fixed "$WORK/fixed.out"
awk -v t="$FX_TXNS" -v e="$FX_EVENTS" -v s="$FX_TXN_S" 'BEGIN {
  printf "gateway writer (fixed rate): %.0f transactions, %.1f messages each, %.2f ms each on average\n", t, (t > 0 ? e / t : 0), (t > 0 ? s / t * 1000 : 0) }'
echo "CPU during the fixed-rate run: $CPU_FX; $(be_line fx0 fx1)"
echo "gateway RSS: $(mb "$RSS_IDLE") MB idle, at most $(mb "$RSS_MAX") MB under load (sampled every 0.2 s), $(mb "$RSS_NOW") MB after; VmHWM $(mb "$RSS_HWM") MB"
echo "pgbench (baseline): $(n "$PGB_TPS") tps, the key claim + message INSERT of the gateway per transaction" \
  "($PGB_CLIENTS clients, ${PGB_SECONDS} s, prepared; latency avg ${PGB_LAT:-?} ms; $(n "$PGB_ROWS") rows)"
echo "bare evhttp (baseline, wrk -t$GW_THREADS -c$GW_CONNS, ${BARE_SECONDS} s): $(n "$BARE_RPS") req/s," \
  "p50 $(ms "$(kv "$WORK/bare.sum" p50_us)") ms p99 $(ms "$(kv "$WORK/bare.sum" p99_us)") ms max $(ms "$(kv "$WORK/bare.sum" max_us)") ms"
show_fixed "$WORK/bare_fixed.out"

echo "RESULT gateway_webhook msgs_per_s=$GW_MPS acked=$GW_ACKED stored=$GW_STORED duplicates=$GW_DUPS non2xx=$GW_NON2XX errors=$GW_ERR" \
  "p50_us=$(kv "$WORK/gw.sum" p50_us) p90_us=$(kv "$WORK/gw.sum" p90_us) p99_us=$(kv "$WORK/gw.sum" p99_us) max_us=$(kv "$WORK/gw.sum" max_us)" \
  "threads=$GW_THREADS conns=$GW_CONNS seconds=$GW_SECONDS pgbench_tps=$PGB_TPS bare_rps=$BARE_RPS ratio_pgbench=$R_PGB ratio_bare=$R_BARE" \
  "writer_txns=$(printf '%.0f' "$TXNS") msgs_per_txn=$(ratio "$EVENTS" "$TXNS") commits=$COMMITS wall_ms=$WALL_MS" \
  "stored_both_runs=$NEW_STORED events_both_runs=$NEW_EVENTS rss_idle_kb=$RSS_IDLE rss_max_kb=$RSS_MAX vmhwm_kb=$RSS_HWM"
grep '^RESULT ' "$WORK/fixed.out" || true
echo "RESULT pgbench_insert tps=$PGB_TPS clients=$PGB_CLIENTS seconds=$PGB_SECONDS latency_ms=${PGB_LAT:-} failed=${PGB_FAILED:-} rows=$PGB_ROWS"
echo "RESULT http_bare_wrk rps=$BARE_RPS p50_us=$(kv "$WORK/bare.sum" p50_us) p99_us=$(kv "$WORK/bare.sum" p99_us) max_us=$(kv "$WORK/bare.sum" max_us) non2xx=$(kv "$WORK/bare.sum" non2xx) errors=$(kv "$WORK/bare.sum" errors)"
grep '^RESULT ' "$WORK/bare_fixed.out" || true
exit "$FAILED"
