#!/bin/sh
# Part (e) of make bench: stock reports committed per second through the
# stock ingest socket (NNG REQ -> peakdesk-stock -> one writer, group
# commit; acks after COMMIT) vs raw COPY of the same rows into the same
# tables (stock.skus + stock.levels), measured in the same run on the same
# PostgreSQL by tests/tools/bench_stock_ingest (see its top comment for the
# data: 2,000 SKUs x 5 warehouses, ~5 reports per pair with increasing
# versions, so most reports update an existing row; a few sell-outs,
# restocks, low-stock dips and stale re-sends). Target >= 0.5 x raw COPY,
# reported, not enforced.
#
# Checks (exit 1 when broken, from bench_stock_ingest): every report
# ACCEPTED and its event id logged; every SKU/warehouse ends at the version
# and level of the newest report sent; one stock.level_changed outbox row
# per report that was newer than the stored level; raw COPY stored every row.
# Also printed: the stock service's writer transactions over the socket
# phases (/metrics), to show where the time goes.
#
# Called by tests/bench/run.sh with PostgreSQL running and migrated:
#   stock.sh WORKDIR     (PEAKDESK_DB, PEAKDESK_RUN_DIR set; BENCH_T_START for
#                         progress; BENCH_BIN, BENCH_TOOLS or BENCH_BUILD for
#                         the binaries)
# Human lines, then RESULT key=value lines, on stdout; progress on stderr.
# Knobs: BENCH_STOCK_EVENTS (50000 reports), BENCH_STOCK_SKUS (2000),
# BENCH_STOCK_WAREHOUSES (5), BENCH_STOCK_BATCH (BENCH_INGEST_BATCH, 1000),
# BENCH_STOCK_CONNS (BENCH_INGEST_CONNS, 4), BENCH_STOCK_ROUNDS (3),
# BENCH_STOCK_STALE_PCT (2), BENCH_STOCK_ARGS (extra bench_stock_ingest
# options, e.g. "--staged no" or "--names all").
set -eu

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BENCH_BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
BIN=${BENCH_BIN:-$BUILD/bin}       # run.sh passes its copies of the binaries
TOOLS=${BENCH_TOOLS:-$BUILD/tests}
WORK=${1:?usage: stock.sh WORKDIR}
: "${PEAKDESK_DB:?PEAKDESK_DB must be set}"

ST_EVENTS=${BENCH_STOCK_EVENTS:-50000}
ST_SKUS=${BENCH_STOCK_SKUS:-2000}
ST_WH=${BENCH_STOCK_WAREHOUSES:-5}
ST_BATCH=${BENCH_STOCK_BATCH:-${BENCH_INGEST_BATCH:-1000}}
ST_CONNS=${BENCH_STOCK_CONNS:-${BENCH_INGEST_CONNS:-4}}
ST_ROUNDS=${BENCH_STOCK_ROUNDS:-3}
ST_STALE=${BENCH_STOCK_STALE_PCT:-2}

for f in "$BIN/peakdesk-stock" "$TOOLS/bench_stock_ingest"; do
  [ -x "$f" ] || { echo "stock bench: $f is missing; run 'make all' first" >&2; exit 1; }
done

BENCH_PART=stock
. "$(dirname "$0")/bench_lib.sh"
T_START=${BENCH_T_START:-$(date +%s)}
elapsed() { echo "$(( $(date +%s) - T_START ))s"; }
kv() { sed -n "s/^\(.* \)*$2=\([^ ]*\).*/\2/p" "$1" | tail -n 1; } # kv FILE KEY

mkdir -p "$WORK"
ST_PID=
# shellcheck disable=SC2317 # runs from the EXIT trap
cleanup() {
  rc=$?
  if [ -n "$ST_PID" ]; then
    kill -TERM "$ST_PID" 2>/dev/null || true
    wait "$ST_PID" 2>/dev/null || true
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM


ST_ADDR=127.0.0.1:$(free_port 18093)
export PEAKDESK_STOCK_HTTP="$ST_ADDR"
say "[$(elapsed)] (e) stock: starting peakdesk-stock on $ST_ADDR"
"$BIN/peakdesk-stock" >"$WORK/stock.log" 2>&1 &
ST_PID=$!
i=0
until curl -fsS "http://$ST_ADDR/healthz" >/dev/null 2>&1; do
  i=$((i + 1))
  if [ $i -gt 300 ] || ! kill -0 "$ST_PID" 2>/dev/null; then say "stock bench: peakdesk-stock did not start"; exit 1; fi
  sleep 0.1
done

say "[$(elapsed)] (e) stock: $ST_EVENTS reports ($ST_SKUS SKUs x $ST_WH warehouses) x $ST_ROUNDS rounds"
metrics "$ST_ADDR" >"$WORK/m0.metrics"
RC=0
# BENCH_STOCK_ARGS comes first: the tool takes the first of a repeated option.
# shellcheck disable=SC2086 # BENCH_STOCK_ARGS is a list of options
"$TOOLS/bench_stock_ingest" ${BENCH_STOCK_ARGS:-} --events "$ST_EVENTS" --skus "$ST_SKUS" --warehouses "$ST_WH" \
  --batch "$ST_BATCH" --conns "$ST_CONNS" --rounds "$ST_ROUNDS" --stale-pct "$ST_STALE" >"$WORK/stock.out" || RC=1
metrics "$ST_ADDR" >"$WORK/m1.metrics"
kill -TERM "$ST_PID"
wait "$ST_PID" || true
ST_PID=
if [ "$RC" != 0 ]; then
  say "stock bench: bench_stock_ingest failed (see above; service log: $WORK/stock.log)"
  tail -n 20 "$WORK/stock.log" >&2
  exit 1
fi

# The writer over the socket phases (the service is idle during the others).
d_metric() { awk -v a="$(metric "$WORK/m0.metrics" "$1")" -v b="$(metric "$WORK/m1.metrics" "$1")" 'BEGIN { printf "%.6f", b - a }'; }
TXNS=$(d_metric peakdesk_bus_batches_total)
EVENTS=$(d_metric peakdesk_bus_events_committed_total)
TXN_S=$(d_metric peakdesk_bus_batch_seconds_sum)
REQS=$(d_metric peakdesk_ingest_requests_total)
SOCK_S=$(kv "$WORK/stock.out" socket_seconds)
grep -v '^RESULT ' "$WORK/stock.out" || true
awk -v t="$TXNS" -v e="$EVENTS" -v s="$TXN_S" -v q="$REQS" -v w="${SOCK_S:-0}" -v n="$(kv "$WORK/stock.out" events)" \
  -v r="$(kv "$WORK/stock.out" rounds)" 'BEGIN {
  printf "stock writer (socket phases): %.0f transactions, %.1f requests and %.0f events each, %.1f ms each on average (%.0f us per report), inside a transaction %.0f%% of the %.1f s\n",
    t, (t > 0 ? q / t : 0), (t > 0 ? e / t : 0), (t > 0 ? s / t * 1000 : 0), (n * r > 0 ? s / (n * r) * 1e6 : 0), (w > 0 ? s / w * 100 : 0), w }'
grep '^RESULT ' "$WORK/stock.out"
awk -v t="$TXNS" -v e="$EVENTS" -v s="$TXN_S" -v q="$REQS" -v w="${SOCK_S:-0}" 'BEGIN {
  printf "RESULT stock_writer txns=%.0f requests=%.0f events=%.0f txn_seconds=%.3f txn_ms=%.2f busy_pct=%.1f\n",
    t, q, e, s, (t > 0 ? s / t * 1000 : 0), (w > 0 ? s / w * 100 : 0) }'
