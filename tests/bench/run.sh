#!/bin/sh
# make bench: throughput and latency of peakdesk's hot paths, each printed
# beside a raw baseline measured in the same run on the same machine (the
# machine is noisy: read the ratios, not the absolute numbers).
#
#   (a) ingest: order events committed through the logistics ingest socket
#       (NNG REQ -> peakdesk-logistics -> one writer, group commit) vs raw
#       COPY of the same rows into the same tables. Target >= 0.5 x.
#   (b) bus: PUB -> SUB -> consumer commit at a fixed rate (latency, nothing
#       lost) and flat out, vs raw NNG PUB/SUB with frames of the same size
#       and vs one raw durable commit. Target p99 < 20 ms at 5,000 events/s.
#   (c) gateway webhook (tests/bench/gateway.sh): signed customer messages
#       acknowledged per second under wrk vs pgbench inserting the same row one
#       transaction per message, and vs a bare evhttp handler on the same HTTP
#       stack. Target >= 3 x pgbench.
#   (d) the same webhook open loop at 5,000 msg/s: target p99 < 20 ms; and
#       the gateway's RSS under that load.
#   (e) stock (tests/bench/stock.sh): department stock reports committed
#       through the stock ingest socket (peakdesk-stock; 2,000 SKUs x 5
#       warehouses, mostly updates of existing levels) vs raw COPY of the
#       same rows into stock.skus + stock.levels. Target >= 0.5 x.
#   (f) forecast: the promo service's staffing forecast of a 30-day campaign
#       at hourly resolution (bench_forecast) vs its raw orders/consultations
#       pass. Target < 10 ms.
#   (g), (h), (i) router (tests/bench/router.sh): (g) routing decisions/s of
#       the router's pure decision chain in one process (bench_router_logic:
#       classify, extract, risk, assign over 1,000 agents with 10,000 tickets
#       queued), p50/p99 per decision; (h) the rule automaton vs one strstr per
#       keyword on the same texts, target >= 20 x; (i) end to end, signed
#       webhook message -> gateway -> router -> ticket assigned at 5,000 msg/s
#       (bench_webhook_load --texts, 1,000 agents online), target p99 < 50 ms, beside
#       the gateway hop, a low-rate run and a raw durable commit. It restarts
#       PostgreSQL (same directory) with track_commit_timestamp and
#       pg_stat_statements and restores both afterwards.
#   (j) report (tests/bench/report.sh): `peakdesk report` on a promo day with
#       1,000,000 customer messages and 250,000 tickets (its own PostgreSQL,
#       data from tests/tools/gen_promo_day.sql) vs one raw COPY scan of
#       router.ticket_messages to /dev/null. Target < 5 s.
#   (k) survey (tests/bench/survey.sh): survey answers recorded per second
#       through the signed response link (POST /v1/surveys/{token}, one new
#       invitation per request; its own PostgreSQL, 200,000 'sent'
#       invitations) under wrk, vs a bare evhttp handler (bench_http_bare)
#       under the same wrk script. No target: the ratio is the figure.
#   (l) suite (tests/bench/suite.sh): all six services on their own
#       PostgreSQL under a promo-peak mix (customer messages, orders, shipment
#       updates, stock reports, campaign updates, agents resolving, survey
#       answers): a step search for the highest rate with nothing lost and
#       message -> assigned p99 < 100 ms, then BENCH_SUITE_SECONDS (600) at
#       that rate; CPU and peak RSS per service; vs raw COPY of the rows the
#       run wrote.
#
# One throwaway PostgreSQL with normal durability (fsync and synchronous
# commit on; not the tests' "fast" mode) serves baseline and measured path.
# Results go to stdout and to build/bench/results.txt (build/san/bench/ for
# the sanitizer build): human lines, then the tools' RESULT key=value lines.
# Exit status: 0 when every benchmark ran and
# its correctness checks held (a missed target is reported, not a failure);
# 1 when something broke or events were lost.
#
# Knobs (environment): BENCH_BUILD (build dir, default build; build/san for
# the sanitizer build), BENCH_INGEST_EVENTS (50000), BENCH_INGEST_BATCH (1000),
# BENCH_INGEST_CONNS (4), BENCH_ROUNDS (5), BENCH_BUS_RATE (5000),
# BENCH_BUS_SECONDS (10), BENCH_BUS_MAX_EVENTS (100000), BENCH_RAW_SECONDS (5),
# BENCH_INGEST_ARGS (extra bench_ingest options, e.g. "--staged no" skips the
# staged-upsert reference), BENCH_KEEP=1 keeps the work directory; the gateway
# part's knobs are listed in tests/bench/gateway.sh (BENCH_GW_*, BENCH_PGBENCH_*,
# BENCH_BARE_*), the stock part's in tests/bench/stock.sh (BENCH_STOCK_EVENTS
# (50000), BENCH_STOCK_SKUS (2000), BENCH_STOCK_WAREHOUSES (5),
# BENCH_STOCK_BATCH, BENCH_STOCK_CONNS (default: the ingest's), BENCH_STOCK_ROUNDS
# (3), BENCH_STOCK_STALE_PCT (2), BENCH_STOCK_ARGS); BENCH_FORECAST_RUNS (51,
# timed forecast passes). BENCH_ONLY runs only some parts: a comma-separated
# list of ingest (a), bus (b), gateway (c, d), stock (e), forecast (f), router (g, h, i),
# report (j), survey (k), suite (l), e.g. BENCH_ONLY=stock,forecast; default all. The router part's knobs
# (BENCH_ROUTER_*) are listed in tests/bench/router.sh, the report part's
# (BENCH_REPORT_*) in tests/bench/report.sh, the survey part's
# (BENCH_SURVEY_*) in tests/bench/survey.sh, the suite part's (BENCH_SUITE_*) in
# tests/bench/suite.sh.
set -eu

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BENCH_BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
BIN=$BUILD/bin
TOOLS=$BUILD/tests
OUT_DIR=$BUILD/bench
RESULTS=$OUT_DIR/results.txt

EVENTS=${BENCH_INGEST_EVENTS:-50000}
BATCH=${BENCH_INGEST_BATCH:-1000}
CONNS=${BENCH_INGEST_CONNS:-4}
ROUNDS=${BENCH_ROUNDS:-5}
RATE=${BENCH_BUS_RATE:-5000}
SECONDS_BUS=${BENCH_BUS_SECONDS:-10}
MAX_EVENTS=${BENCH_BUS_MAX_EVENTS:-100000}
RAW_SECONDS=${BENCH_RAW_SECONDS:-5}
FORECAST_RUNS=${BENCH_FORECAST_RUNS:-51}
ALL_PARTS=ingest,bus,gateway,stock,forecast,router,report,survey,suite
ONLY=$(printf '%s' "${BENCH_ONLY:-$ALL_PARTS}" | tr -d ' ')
for p in $(echo "$ONLY" | tr ',' ' '); do
  case ",$ALL_PARTS," in *",$p,"*) ;; *) echo "bench: BENCH_ONLY: unknown part '$p' (parts: $ALL_PARTS)" >&2; exit 2 ;; esac
done
want() { case ",$ONLY," in *",$1,"*) return 0 ;; esac; return 1; }

need="$BIN/peakdesk"
want ingest && need="$need $BIN/peakdesk-logistics $TOOLS/bench_ingest"
want bus && need="$need $TOOLS/bench_commit_raw $TOOLS/bench_nng_raw $TOOLS/bench_bus_pub $TOOLS/bench_bus_sub"
want gateway && need="$need $BIN/peakdesk-gateway $TOOLS/bench_http_bare $TOOLS/bench_webhook_load"
want stock && need="$need $BIN/peakdesk-stock $TOOLS/bench_stock_ingest"
want forecast && need="$need $TOOLS/bench_forecast"
want survey && need="$need $BIN/peakdesk-survey $TOOLS/survey_tokens $TOOLS/bench_http_bare"
want suite && need="$need $BIN/peakdesk-gateway $BIN/peakdesk-router $BIN/peakdesk-logistics $BIN/peakdesk-stock $BIN/peakdesk-promo $BIN/peakdesk-survey $TOOLS/bench_webhook_load $TOOLS/bench_router_logic"
want router && need="$need $BIN/peakdesk-gateway $BIN/peakdesk-router $TOOLS/bench_router_logic $TOOLS/bench_webhook_load $TOOLS/bench_commit_raw $TOOLS/bench_http_bare"
for f in $need; do
  [ -x "$f" ] || { echo "bench: $f is missing; run 'make all' first" >&2; exit 1; }
done

say() { printf '%s\n' "$*" >&2; }
T_START=$(date +%s)
elapsed() { echo "$(( $(date +%s) - T_START ))s"; }

WORK=$(mktemp -d /tmp/peakdesk-bench.XXXXXX)
chmod 755 "$WORK" # PostgreSQL runs as "postgres" under root and must reach its directory
PGDIR=$WORK/pg
LOGISTICS_PID=
SUB_PID=
TAIL_PID=
# shellcheck disable=SC2317 # cleanup runs from the EXIT trap
cleanup() {
  rc=$?
  for p in $SUB_PID $LOGISTICS_PID $TAIL_PID; do
    kill -TERM "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
  "$ROOT/deploy/local/pg.sh" stop "$PGDIR" >/dev/null 2>&1 || true
  if [ "$rc" -ne 0 ] || [ -n "${BENCH_KEEP:-}" ]; then
    for f in "$WORK"/*.log "$WORK"/gateway/*.log "$WORK"/stock/*.log "$WORK"/router/*.log "$WORK"/survey/*.log; do [ -f "$f" ] && { say "--- $f (last 20 lines)"; tail -n 20 "$f" >&2; }; done
  fi
  if [ -n "${BENCH_KEEP:-}" ]; then say "bench: work directory kept: $WORK"; else rm -rf "$WORK"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
# Run copies of the binaries: a rebuild of build/ during the run (other work
# on a shared machine) must not swap or remove them half-way.
mkdir -p "$WORK/bin" "$WORK/tools"
cp "$BIN"/peakdesk "$BIN"/peakdesk-* "$WORK/bin/"
cp "$TOOLS"/bench_* "$WORK/tools/"
if want survey; then cp "$TOOLS/survey_tokens" "$WORK/tools/"; fi
BIN=$WORK/bin
TOOLS=$WORK/tools

# RESULT lines -> values: val FILE LABEL KEY
val() { sed -n "s/^RESULT $2 \(.* \)*$3=\([^ ]*\).*/\2/p" "$1" 2>/dev/null | tail -n 1; }
# Any key of a file's RESULT lines (also label-less ones): kv FILE KEY
kv() { sed -n "s/^RESULT \(.* \)*$2=\([^ ]*\).*/\2/p" "$1" 2>/dev/null | tail -n 1; }
# Human lines of a tool's output (everything but RESULT lines), shown at once;
# nothing for a part that did not run.
show() { [ -f "$1" ] || return 0; grep -v '^RESULT ' "$1" || true; }

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()' 2>/dev/null \
    || echo 18082
}

mkdir -p "$OUT_DIR"
REV=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
DIRTY=$(git -C "$ROOT" status --porcelain 2>/dev/null | grep -c . || true)
[ "${DIRTY:-0}" = 0 ] && DIRTY=
PGVER=$(psql --version 2>/dev/null | sed 's/[^0-9]*\([0-9][0-9.]*\).*/\1/')
HEADER="peakdesk benchmarks: $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), PostgreSQL $PGVER, git $REV${DIRTY:+ (+$DIRTY changed files)}"
[ "$ONLY" = "$ALL_PARTS" ] || HEADER="$HEADER; only $ONLY"
say "== $HEADER"

say "[$(elapsed)] starting PostgreSQL (normal durability) in $PGDIR"
"$ROOT/deploy/local/pg.sh" start "$PGDIR" >/dev/null
export PEAKDESK_DB="host=$PGDIR dbname=peakdesk user=peakdesk"
export PEAKDESK_SCHEMA_DIR="$ROOT/schema"
export PEAKDESK_RUN_DIR="$WORK/run"
export PEAKDESK_LOG_LEVEL=warn
mkdir -p "$PEAKDESK_RUN_DIR"
"$BIN/peakdesk" migrate >"$WORK/migrate.log" 2>&1 || { say "bench: migrate failed"; cat "$WORK/migrate.log" >&2; exit 1; }

# ---- (a) ingest ------------------------------------------------------------------
if want ingest; then
PORT=$(free_port)
export PEAKDESK_LOGISTICS_HTTP="127.0.0.1:$PORT"
say "[$(elapsed)] starting peakdesk-logistics"
"$BIN/peakdesk-logistics" >"$WORK/logistics.log" 2>&1 &
LOGISTICS_PID=$!
i=0
until curl -fsS "http://$PEAKDESK_LOGISTICS_HTTP/healthz" >/dev/null 2>&1; do
  i=$((i + 1))
  if [ $i -gt 300 ] || ! kill -0 "$LOGISTICS_PID" 2>/dev/null; then
    say "bench: peakdesk-logistics did not become healthy"; exit 1
  fi
  sleep 0.1
done

say "[$(elapsed)] (a) ingest: $EVENTS events x $ROUNDS rounds"
# shellcheck disable=SC2086 # BENCH_INGEST_ARGS is a list of options
"$TOOLS/bench_ingest" --events "$EVENTS" --batch "$BATCH" --conns "$CONNS" --rounds "$ROUNDS" ${BENCH_INGEST_ARGS:-} \
  >"$WORK/ingest.out"
show "$WORK/ingest.out" >&2
kill -TERM "$LOGISTICS_PID"
wait "$LOGISTICS_PID" || true
LOGISTICS_PID=
fi

# ---- (b) bus -------------------------------------------------------------------------
BUS_RC=0
if want bus; then
say "[$(elapsed)] (b) bus: raw baselines"
"$TOOLS/bench_commit_raw" >"$WORK/commit.out"
show "$WORK/commit.out" >&2
"$TOOLS/bench_nng_raw" --rate "$RATE" --seconds "$RAW_SECONDS" >"$WORK/raw.out"
show "$WORK/raw.out" >&2

# run_bus LABEL PUB_ARGS SUB_ARGS: a consumer in the background, then the publisher.
run_bus() {
  label=$1 pub_args=$2 sub_args=$3 out=$WORK/$(echo "$1" | tr ' ' _)
  rm -f "$WORK/sub.ready"
  # shellcheck disable=SC2086 # word splitting of the argument lists is intended
  "$TOOLS/bench_bus_sub" --label "$label" --ready-file "$WORK/sub.ready" $sub_args >"$out.sub.out" 2>>"$WORK/bus.log" &
  SUB_PID=$!
  i=0
  until [ -f "$WORK/sub.ready" ]; do
    i=$((i + 1))
    if [ $i -gt 300 ] || ! kill -0 "$SUB_PID" 2>/dev/null; then say "bench: the bus consumer did not start"; exit 1; fi
    sleep 0.1
  done
  # shellcheck disable=SC2086
  "$TOOLS/bench_bus_pub" $pub_args >"$out.pub.out" 2>>"$WORK/bus.log" || { say "bench: publisher failed"; show "$out.pub.out" >&2; }
  sub_rc=0
  wait "$SUB_PID" || sub_rc=$?
  SUB_PID=
  show "$out.pub.out" >&2
  show "$out.sub.out" >&2
  return $sub_rc
}

# Progress of the consumer (one line a second) is in bus.log; stream it.
: >"$WORK/bus.log"
tail -f "$WORK/bus.log" >&2 &
TAIL_PID=$!

say "[$(elapsed)] (b) bus: $RATE events/s for $SECONDS_BUS s"
run_bus "bus" "--rate $RATE --seconds $SECONDS_BUS" \
  "--expect $((RATE * SECONDS_BUS)) --rate $RATE --raw-p50-us $(val "$WORK/raw.out" nng_raw p50_us) --raw-p99-us $(val "$WORK/raw.out" nng_raw p99_us)" \
  || BUS_RC=1
say "[$(elapsed)] (b) bus: $MAX_EVENTS events flat out"
run_bus "bus max" "--rate 0 --events $MAX_EVENTS" \
  "--expect $MAX_EVENTS --raw-flood-rate $(val "$WORK/raw.out" nng_raw flood_recv_rate) --raw-flood-lost-pct $(val "$WORK/raw.out" nng_raw flood_lost_pct)" \
  || BUS_RC=1
sleep 0.2
kill "$TAIL_PID" 2>/dev/null || true
wait "$TAIL_PID" 2>/dev/null || true
TAIL_PID=
fi

# ---- (c), (d) gateway webhook -----------------------------------------------------------
GW_RC=0
if want gateway; then
BENCH_PGDIR=$PGDIR BENCH_T_START=$T_START BENCH_BIN=$BIN BENCH_TOOLS=$TOOLS "$ROOT/tests/bench/gateway.sh" "$WORK/gateway" \
  >"$WORK/gateway.out" || GW_RC=1
show "$WORK/gateway.out" >&2
fi

# ---- (e) stock ingest -----------------------------------------------------------------------
ST_RC=0
if want stock; then
BENCH_T_START=$T_START BENCH_BIN=$BIN BENCH_TOOLS=$TOOLS "$ROOT/tests/bench/stock.sh" "$WORK/stock" \
  >"$WORK/stock.out" || ST_RC=1
show "$WORK/stock.out" >&2
fi

# ---- (f) forecast ---------------------------------------------------------------------------
FC_RC=0
if want forecast; then
say "[$(elapsed)] (f) forecast: 30-day campaign at hourly resolution, $FORECAST_RUNS timed passes"
"$TOOLS/bench_forecast" --runs "$FORECAST_RUNS" >"$WORK/forecast.out" || FC_RC=1
show "$WORK/forecast.out" >&2
[ -n "$(kv "$WORK/forecast.out" forecast_30d_ms)" ] || FC_RC=1
fi

# ---- (g), (h), (i) router ------------------------------------------------------------------
RT_RC=0
if want router; then
BENCH_PGDIR=$PGDIR BENCH_T_START=$T_START BENCH_BIN=$BIN BENCH_TOOLS=$TOOLS "$ROOT/tests/bench/router.sh" "$WORK/router" \
  >"$WORK/router.out" || RT_RC=1
show "$WORK/router.out" >&2
fi

# ---- (j) report ----------------------------------------------------------------------------
RP_RC=0
if want report; then
BENCH_T_START=$T_START BENCH_BIN=$BIN "$ROOT/tests/bench/report.sh" "$WORK/report" >"$WORK/report.out" || RP_RC=1
show "$WORK/report.out" >&2
fi

# ---- (k) survey link -------------------------------------------------------------------------
SV_RC=0
if want survey; then
BENCH_T_START=$T_START BENCH_BIN=$BIN BENCH_TOOLS=$TOOLS "$ROOT/tests/bench/survey.sh" "$WORK/survey" \
  >"$WORK/survey.out" || SV_RC=1
show "$WORK/survey.out" >&2
fi

# ---- (l) the whole suite under a promo-peak mix -----------------------------------------------
SU_RC=0
if want suite; then
BENCH_T_START=$T_START BENCH_BIN=$BIN BENCH_TOOLS=$TOOLS "$ROOT/tests/bench/suite.sh" "$WORK/suite" \
  >"$WORK/suite.out" || SU_RC=1
show "$WORK/suite.out" >&2
fi

# ---- summary ----------------------------------------------------------------------------
ratio=$(val "$WORK/ingest.out" ingest ratio)
p99=$(val "$WORK/bus.sub.out" bus p99_us)
lost=$(val "$WORK/bus.sub.out" bus lost)
verdict_a=$(awk -v r="$ratio" 'BEGIN { print (r + 0 >= 0.5) ? "met" : "NOT met" }')
verdict_b=$(awk -v p="$p99" -v l="$lost" 'BEGIN { print (p != "" && p + 0 < 20000 && l == "0") ? "met" : "NOT met" }')
gw_ratio=$(val "$WORK/gateway.out" gateway_webhook ratio_pgbench)
gw_mps=$(val "$WORK/gateway.out" gateway_webhook msgs_per_s)
gw_p99=$(val "$WORK/gateway.out" gateway_fixed p99_us)
gw_rate=$(val "$WORK/gateway.out" gateway_fixed rate)
# every request of the fixed-rate run answered 200 ("" when the run did not happen)
gw_bad=$(awk -v a="$(val "$WORK/gateway.out" gateway_fixed non200)" -v b="$(val "$WORK/gateway.out" gateway_fixed errors)" \
  -v c="$(val "$WORK/gateway.out" gateway_fixed missing)" 'BEGIN { print (a == "" || b == "" || c == "") ? 1 : a + b + c }')
verdict_c=$(awk -v r="$gw_ratio" 'BEGIN { print (r != "" && r != "?" && r + 0 >= 3) ? "met" : "NOT met" }')
verdict_d=$(awk -v p="$gw_p99" -v b="$gw_bad" 'BEGIN { print (p != "" && p + 0 < 20000 && b == "0") ? "met" : "NOT met" }')
st_ratio=$(val "$WORK/stock.out" stock ratio)
st_eps=$(val "$WORK/stock.out" stock socket_eps)
st_copy=$(val "$WORK/stock.out" stock copy_eps)
verdict_e=$(awk -v r="$st_ratio" 'BEGIN { print (r != "" && r + 0 >= 0.5) ? "met" : "NOT met" }')
fc_ms=$(kv "$WORK/forecast.out" forecast_30d_ms)
fc_raw=$(kv "$WORK/forecast.out" forecast_raw_ms)
fc_target=$(kv "$WORK/forecast.out" target_ms)
fc_target=${fc_target:-10}
verdict_f=$(awk -v m="$fc_ms" -v t="$fc_target" 'BEGIN { print (m != "" && m + 0 < t + 0) ? "met" : "NOT met" }')
rt_dps=$(val "$WORK/router.out" router_logic decisions_per_s)
rt_dp50=$(val "$WORK/router.out" router_logic p50_us)
rt_dp99=$(val "$WORK/router.out" router_logic p99_us)
rt_ratio=$(val "$WORK/router.out" router_automaton ratio)
rt_p99=$(val "$WORK/router.out" router_e2e p99_ms)
rt_rate=$(val "$WORK/router.out" router_e2e rate)
rt_new=$(val "$WORK/router.out" router_e2e new)
rt_asg=$(val "$WORK/router.out" router_e2e assigned)
verdict_h=$(awk -v r="$rt_ratio" 'BEGIN { print (r != "" && r + 0 >= 20) ? "met" : "NOT met" }')
verdict_i=$(awk -v p="$rt_p99" -v n="$rt_new" -v a="$rt_asg" \
  'BEGIN { print (p != "" && p != "Infinity" && p + 0 < 50 && n != "" && n == a) ? "met" : "NOT met" }')
rp_s=$(val "$WORK/report.out" report seconds)
rp_raw=$(val "$WORK/report.out" report raw_scan_seconds)
rp_ratio=$(val "$WORK/report.out" report ratio)
verdict_j=$(awk -v s="$rp_s" 'BEGIN { print (s != "" && s + 0 < 5) ? "met" : "NOT met" }')
sv_aps=$(val "$WORK/survey.out" survey_link answers_per_s)
sv_ratio=$(val "$WORK/survey.out" survey_link ratio_bare)
sv_bare=$(val "$WORK/survey.out" survey_link bare_rps)
sv_p50=$(val "$WORK/survey.out" survey_link p50_us)
sv_p99=$(val "$WORK/survey.out" survey_link p99_us)
rt_p99_txt=$(awk -v p="$rt_p99" -v d="$(val "$WORK/router.out" router_e2e drain_s)" \
  'BEGIN { if (p == "Infinity") printf "p99 not reached: over 1%% of the new tickets were not assigned %s s after the load", d; else printf "p99 %.1f ms", p }')
{
  echo "$HEADER"
  echo
  show "$WORK/ingest.out"
  show "$WORK/commit.out"
  show "$WORK/raw.out"
  show "$WORK/bus.pub.out"
  show "$WORK/bus.sub.out"
  show "$WORK/bus_max.pub.out"
  show "$WORK/bus_max.sub.out"
  show "$WORK/gateway.out"
  show "$WORK/stock.out"
  show "$WORK/forecast.out"
  show "$WORK/router.out"
  show "$WORK/report.out"
  show "$WORK/survey.out"
  show "$WORK/suite.out"
  echo
  want ingest && echo "target (a) ingest >= 0.5 x raw COPY: $verdict_a (${ratio:-?} x)"
  want bus && echo "target (b) p99 < 20 ms at $RATE events/s, nothing lost: $verdict_b (p99 $(awk -v p="$p99" 'BEGIN { printf "%.1f", p / 1000 }') ms, lost ${lost:-?})"
  if ! want gateway; then
    :
  elif [ -n "$gw_mps" ]; then
    echo "target (c) gateway webhook >= 3 x pgbench one-txn-per-message: $verdict_c (${gw_ratio:-?} x, $(awk -v m="$gw_mps" 'BEGIN { printf "%.0f", m }') msg/s)"
    echo "target (d) gateway webhook p99 < 20 ms at ${gw_rate:-?} msg/s, every request answered 200: $verdict_d (p99 $(awk -v p="$gw_p99" 'BEGIN { printf "%.1f", p / 1000 }') ms)"
  else
    echo "target (c), (d) gateway webhook: NOT measured (the gateway benchmark failed)"
  fi
  if ! want stock; then
    :
  elif [ -n "$st_ratio" ]; then
    echo "target (e) stock ingest >= 0.5 x raw COPY: $verdict_e ($st_ratio x, $(awk -v m="$st_eps" 'BEGIN { printf "%.0f", m }') reports/s vs $(awk -v m="$st_copy" 'BEGIN { printf "%.0f", m }') rows/s)"
  else
    echo "target (e) stock ingest: NOT measured (the stock benchmark failed)"
  fi
  if ! want forecast; then
    :
  elif [ -n "$fc_ms" ]; then
    echo "target (f) forecast, 30 days at hourly resolution < $fc_target ms: $verdict_f ($fc_ms ms; raw pass ${fc_raw:-?} ms)"
  else
    echo "target (f) forecast: NOT measured (bench_forecast failed)"
  fi
  if ! want router; then
    :
  else
    if [ -n "$rt_dps" ]; then
      echo "figure (g) router decisions in one process: $(awk -v d="$rt_dps" 'BEGIN { printf "%.0f", d }') decisions/s, p50 $rt_dp50 us p99 $rt_dp99 us per decision (no target)"
    else
      echo "figure (g) router decisions: NOT measured (bench_router_logic failed)"
    fi
    if [ -n "$rt_ratio" ]; then
      echo "target (h) router automaton >= 20 x strstr per keyword: $verdict_h ($rt_ratio x)"
    else
      echo "target (h) router automaton: NOT measured (bench_router_logic failed)"
    fi
    if [ -n "$rt_new" ]; then
      echo "target (i) router message -> ticket assigned p99 < 50 ms at $rt_rate msg/s, every ticket assigned: $verdict_i ($rt_p99_txt; $rt_asg of $rt_new new tickets assigned)"
    else
      echo "target (i) router end to end: NOT measured (the router benchmark failed)"
    fi
  fi
  if ! want report; then
    :
  elif [ -n "$rp_s" ]; then
    echo "target (j) report of a 1,000,000-message promo day < 5 s: $verdict_j ($rp_s s = $rp_ratio x a raw scan of the messages, $rp_raw s)"
  else
    echo "target (j) report: NOT measured (the report benchmark failed)"
  fi
  if ! want survey; then
    :
  elif [ -n "$sv_aps" ]; then
    awk -v a="$sv_aps" -v r="$sv_ratio" -v b="$sv_bare" -v p="$sv_p50" -v q="$sv_p99" -v ok="$SV_RC" 'BEGIN {
      printf "figure (k) survey answers through the signed link: %.0f answers/s = %.2f x a bare evhttp handler (%.0f req/s), p50 %.1f ms p99 %.1f ms (no target)%s\n",
        a, r, b, p / 1000, q / 1000, (ok == 0 ? "" : "; its checks FAILED") }'
  else
    echo "figure (k) survey link: NOT measured (the survey benchmark failed)"
  fi
  if ! want suite; then
    :
  elif [ -n "$(val "$WORK/suite.out" suite msgs_per_s)" ]; then
    awk -v m="$(val "$WORK/suite.out" suite msgs_per_s)" -v p="$(val "$WORK/suite.out" suite p99_ms)" -v s="$(val "$WORK/suite.out" suite seconds)" \
      -v r="$(val "$WORK/suite.out" suite ratio_copy)" -v rs="$(val "$WORK/suite.out" suite rows_per_s)" -v c="$(val "$WORK/suite.out" suite copy_rows_per_s)" -v ok="$SU_RC" \
      -v su="$(val "$WORK/suite.out" suite sustained)" 'BEGIN {
      printf "figure (l) whole suite, promo-peak mix: %.0f customer msg/s for %d s %s, message -> assigned p99 %.1f ms (target < 100); %.0f rows/s written = %.3f x raw COPY of the same rows (%.0f rows/s)%s\n",
        m, s, (su == "yes" ? "sustained" : "NOT sustained"), p, rs, r, c, (ok == 0 ? ", nothing lost" : "; its checks FAILED") }'
  else
    echo "figure (l) whole suite: NOT measured (the suite benchmark failed)"
  fi
} >"$RESULTS.tmp"
{
  cat "$RESULTS.tmp"
  echo
  for f in ingest commit raw bus.pub bus.sub bus_max.pub bus_max.sub gateway stock forecast router report survey suite; do
    if [ -f "$WORK/$f.out" ]; then grep '^RESULT ' "$WORK/$f.out" || true; fi
  done
} >"$RESULTS"
rm -f "$RESULTS.tmp"
say "[$(elapsed)] done"
echo
echo "================================================================================"
sed -n '/^RESULT /!p' "$RESULTS" | sed '${/^$/d}'
echo "================================================================================"
echo "(also in ${RESULTS#"$ROOT"/})"
[ "$GW_RC" = 0 ] || say "bench: the gateway webhook benchmark failed (see above)"
[ "$ST_RC" = 0 ] || say "bench: the stock ingest benchmark failed (see above)"
[ "$FC_RC" = 0 ] || say "bench: the forecast benchmark failed (see above)"
[ "$RT_RC" = 0 ] || say "bench: the router benchmark failed (see above)"
[ "$RP_RC" = 0 ] || say "bench: the report benchmark failed (see above)"
[ "$SV_RC" = 0 ] || say "bench: the survey link benchmark failed (see above)"
[ "$SU_RC" = 0 ] || say "bench: the whole-suite benchmark failed (see above)"
[ "$BUS_RC" = 0 ] && [ "$GW_RC" = 0 ] && [ "$ST_RC" = 0 ] && [ "$FC_RC" = 0 ] && [ "$RT_RC" = 0 ] && [ "$RP_RC" = 0 ] && [ "$SV_RC" = 0 ] && [ "$SU_RC" = 0 ]
