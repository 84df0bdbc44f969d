#!/bin/sh
# Part (k) of make bench: survey answers recorded per second through the
# signed response link (POST /v1/surveys/{token} with {"csat":N}: token
# checked, the answer parsed, then on peakdesk-survey's one writer thread,
# group-committed: SELECT ... FOR UPDATE of the invitation, INSERT into
# survey.responses, UPDATE of the invitation to 'answered', the
# survey.response_recorded event (and survey.low_score for a low score) in
# the outbox; 201 after COMMIT) under wrk, beside a bare evhttp handler on
# the same HTTP stack (tests/tools/bench_http_bare: answers 200 without
# checking or storing anything) under the same wrk script, measured in the
# same run on the same machine. No target: the figure is the ratio.
#
# Set-up: its own throwaway PostgreSQL with normal durability (fsync and
# synchronous commit on) in WORKDIR/pg, migrated; BENCH_SURVEY_INVITATIONS
# invitations in state 'sent' (expiring in a day) inserted with COPY from
# the ids tests/tools/survey_tokens made, and their signed tokens in a file
# that tests/bench/survey.lua hands out one per request, so every request
# answers a different invitation. One spare invitation is answered with curl
# first: 201, then 409 for the same link again.
#
# Checks (exit 1 when broken): no 5xx, no other non-201 answer and no socket
# error from the survey service; no token used twice; every 201 is a row in
# survey.responses and no more rows than requests sent (the answers in
# flight when wrk stopped are committed but never counted by wrk: recorded
# = 201s + at most the in-flight requests); each answer's invitation
# 'answered' and one survey.response_recorded event per answer.
#
# Called by tests/bench/run.sh:
#   survey.sh WORKDIR     (BENCH_T_START for progress; BENCH_BIN, BENCH_TOOLS
#                          or BENCH_BUILD for the binaries)
# Human lines, then RESULT key=value lines, on stdout; progress on stderr.
# Knobs: BENCH_SURVEY_SECONDS (10), BENCH_SURVEY_THREADS (2),
# BENCH_SURVEY_CONNS (16), BENCH_SURVEY_INVITATIONS (200000),
# BENCH_SURVEY_BARE_SECONDS (BENCH_SURVEY_SECONDS).
set -eu

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BENCH_BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
BIN=${BENCH_BIN:-$BUILD/bin}       # run.sh passes its copies of the binaries
TOOLS=${BENCH_TOOLS:-$BUILD/tests}
WORK=${1:?usage: survey.sh WORKDIR}
LUA=$ROOT/tests/bench/survey.lua

SV_SECONDS=${BENCH_SURVEY_SECONDS:-10}
SV_THREADS=${BENCH_SURVEY_THREADS:-2}
SV_CONNS=${BENCH_SURVEY_CONNS:-16}
SV_INV=${BENCH_SURVEY_INVITATIONS:-200000}
BARE_SECONDS=${BENCH_SURVEY_BARE_SECONDS:-$SV_SECONDS}

for f in "$BIN/peakdesk" "$BIN/peakdesk-survey" "$TOOLS/survey_tokens" "$TOOLS/bench_http_bare"; do
  [ -x "$f" ] || { echo "survey bench: $f is missing; run 'make all' first" >&2; exit 1; }
done
for c in wrk psql curl; do
  command -v "$c" >/dev/null 2>&1 || { echo "survey bench: $c is not installed (make deps)" >&2; exit 1; }
done

BENCH_PART=survey
. "$(dirname "$0")/bench_lib.sh"
T_START=${BENCH_T_START:-$(date +%s)}
elapsed() { echo "$(( $(date +%s) - T_START ))s"; }
q() { psql "$PEAKDESK_DB" -XAtq -v ON_ERROR_STOP=1 -c "$1"; }
kv() { sed -n "s/^\(.* \)*$2=\([^ ]*\).*/\2/p" "$1" | tail -n 1; } # kv FILE KEY
fail() { say "survey bench: $*"; FAILED=1; }
FAILED=0

mkdir -p "$WORK"
chmod 755 "$WORK" # PostgreSQL runs as "postgres" under root and must reach its directory
PGDIR=$WORK/pg
SV_PID=
BARE_PID=
# shellcheck disable=SC2317 # runs from the EXIT trap
cleanup() {
  rc=$?
  for p in $BARE_PID $SV_PID; do
    kill -TERM "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
  "$ROOT/deploy/local/pg.sh" stop "$PGDIR" >/dev/null 2>&1 || true
  [ -n "${BENCH_KEEP:-}" ] || rm -rf "$PGDIR" "$WORK/tokens.txt" "$WORK/wrk_tokens.txt" "$WORK/ids.txt"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

pg_ticks() { # the postmaster and its children (backends, WAL writer, checkpointer, ...)
  pm=$(head -n 1 "$PGDIR/data/postmaster.pid" 2>/dev/null || true)
  [ -n "$pm" ] || { echo 0; return; }
  t=0
  for p in $pm $(pgrep -P "$pm" 2>/dev/null); do t=$((t + $(proc_ticks "$p"))); done
  echo "$t"
}
HZ=$(getconf CLK_TCK 2>/dev/null || echo 100)
snapshot() { # snapshot NAME PID ADDR: wall clock, CPU, commits, the service's metrics
  {
    echo "time_ms=$(date +%s%3N)"
    echo "svc_ticks=$(proc_ticks "$2")"
    echo "pg_ticks=$(pg_ticks)"
    awk '/^cpu / { print "cpu_busy=" $2 + $3 + $4 + $7 + $8 + $9; print "cpu_idle=" $5 + $6 }' /proc/stat
    echo "commits=$(q "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()")"
  } >"$WORK/$1.snap"
  metrics "$3" >"$WORK/$1.metrics"
}
sv() { sed -n "s/^$2=//p" "$WORK/$1.snap"; } # sv SNAP KEY
d_metric() { awk -v a="$(metric "$WORK/$1.metrics" "$3")" -v b="$(metric "$WORK/$2.metrics" "$3")" 'BEGIN { printf "%.6f", b - a }'; }
cpu_line() { # cpu_line SNAP0 SNAP1 NAME -> "NAME X, PostgreSQL Y, everything else Z, idle W of N cores"
  awk -v hz="$HZ" -v n="$(nproc)" -v name="$3" -v ms=$(( $(sv "$2" time_ms) - $(sv "$1" time_ms) )) \
    -v sv=$(( $(sv "$2" svc_ticks) - $(sv "$1" svc_ticks) )) -v pg=$(( $(sv "$2" pg_ticks) - $(sv "$1" pg_ticks) )) \
    -v busy=$(( $(sv "$2" cpu_busy) - $(sv "$1" cpu_busy) )) -v idle=$(( $(sv "$2" cpu_idle) - $(sv "$1" cpu_idle) )) \
    'BEGIN { s = ms / 1000 * hz; other = busy - sv - pg; if (other < 0) other = 0;
             printf "%s %.2f, PostgreSQL %.2f, everything else (wrk, other jobs) %.2f, idle %.2f of %d cores", name, sv / s, pg / s, other / s, idle / s, n }'
}

run_wrk() { # run_wrk LABEL URL SECONDS PATH_PREFIX -> $WORK/LABEL.wrk (wrk's text), $WORK/LABEL.sum (key=value)
  rm -f "$WORK/$1.sum"
  BENCH_SURVEY_TOKENS=$WORK/wrk_tokens.txt BENCH_SURVEY_THREADS=$SV_THREADS BENCH_SURVEY_PATH=$4 \
    BENCH_SURVEY_SUMMARY=$WORK/$1.sum \
    wrk -s "$LUA" -t"$SV_THREADS" -c"$SV_CONNS" -d"$3"s --latency "$2" >"$WORK/$1.wrk" 2>&1 || true
  if [ ! -s "$WORK/$1.sum" ]; then
    say "survey bench: wrk ($1) failed:"; cat "$WORK/$1.wrk" >&2; exit 1
  fi
}

# ---- set-up: PostgreSQL, invitations, tokens --------------------------------------------
say "[$(elapsed)] (k) survey: starting a PostgreSQL of its own (normal durability) in $PGDIR"
"$ROOT/deploy/local/pg.sh" start "$PGDIR" >/dev/null
export PEAKDESK_DB="host=$PGDIR dbname=peakdesk user=peakdesk"
export PEAKDESK_SCHEMA_DIR="$ROOT/schema"
export PEAKDESK_RUN_DIR="$WORK/run"
export PEAKDESK_LOG_LEVEL=warn
mkdir -p "$PEAKDESK_RUN_DIR"
"$BIN/peakdesk" migrate >"$WORK/migrate.log" 2>&1 || { say "survey bench: migrate failed"; cat "$WORK/migrate.log" >&2; exit 1; }

PEAKDESK_SURVEY_SECRET=bench-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
export PEAKDESK_SURVEY_SECRET
EXP_MS=$(( ($(date +%s) + 86400) * 1000 ))
say "[$(elapsed)] (k) survey: $SV_INV signed tokens (survey_tokens) and as many 'sent' invitations (COPY)"
t0=$(date +%s%3N)
"$TOOLS/survey_tokens" --count $((SV_INV + 1)) --expires-ms "$EXP_MS" >"$WORK/tokens.txt"
cut -d' ' -f2 "$WORK/tokens.txt" >"$WORK/ids.txt"
psql "$PEAKDESK_DB" -XAtq -v ON_ERROR_STOP=1 >"$WORK/insert.log" 2>&1 <<SQL || { say "survey bench: inserting the invitations failed"; cat "$WORK/insert.log" >&2; exit 1; }
BEGIN;
CREATE TEMP TABLE bench_ids (invitation_id uuid NOT NULL) ON COMMIT DROP;
\copy bench_ids FROM '$WORK/ids.txt'
INSERT INTO survey.invitations (invitation_id, ticket_id, ticket_public_id, customer_id, kind, channel, account,
    external_user_id, category, group_name, agent_id, campaign_id, resolved_at, state, sent_at, outbound_id, expires_at)
  SELECT invitation_id, gen_random_uuid(), 'T-BENCH-' || n, gen_random_uuid(), 'csat', 'webhook', 'benchhook',
         'visitor-' || n, 'logistics', 'frontline', 'agent-' || (n % 200), 'D11',
         now() - interval '2 hours', 'sent', now() - interval '1 hour', gen_random_uuid()::text,
         to_timestamp($EXP_MS / 1000.0)
  FROM (SELECT invitation_id, row_number() OVER () AS n FROM bench_ids) s;
COMMIT;
ANALYZE survey.invitations;
CHECKPOINT;
SQL
INSERT_MS=$(( $(date +%s%3N) - t0 ))
N_SENT=$(q "SELECT count(*) FROM survey.invitations WHERE state = 'sent'")
[ "$N_SENT" = $((SV_INV + 1)) ] || { say "survey bench: $N_SENT invitations inserted, expected $((SV_INV + 1))"; exit 1; }
# The last token is the smoke test's; wrk gets the others.
SPARE=$(tail -n 1 "$WORK/tokens.txt" | cut -d' ' -f1)
head -n "$SV_INV" "$WORK/tokens.txt" >"$WORK/wrk_tokens.txt"
say "[$(elapsed)] (k) survey: $N_SENT invitations and tokens ready in $(awk -v m="$INSERT_MS" 'BEGIN { printf "%.1f", m / 1000 }') s"

SV_ADDR=127.0.0.1:$(free_port 18095)
say "[$(elapsed)] (k) survey: starting peakdesk-survey on $SV_ADDR"
PEAKDESK_SURVEY_HTTP=$SV_ADDR "$BIN/peakdesk-survey" >"$WORK/survey.log" 2>&1 &
SV_PID=$!
wait_http "http://$SV_ADDR/healthz" "$SV_PID" peakdesk-survey

# One answer by hand: recorded once, refused the second time.
post() { curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' --data '{"csat":5}' "http://$SV_ADDR/v1/surveys/$1"; }
c1=$(post "$SPARE")
c2=$(post "$SPARE")
if [ "$c1" != 201 ] || [ "$c2" != 409 ]; then
  say "survey bench: the spare invitation answered $c1 then $c2 (expected 201 then 409); service log:"
  tail -n 20 "$WORK/survey.log" >&2
  exit 1
fi

# ---- the survey link under wrk -------------------------------------------------------------
REC0=$(q "SELECT count(*) FROM survey.responses")
q "CHECKPOINT" >/dev/null
say "[$(elapsed)] (k) survey: wrk -t$SV_THREADS -c$SV_CONNS -d${SV_SECONDS}s, POST /v1/surveys/{token}, every request a new invitation"
snapshot s0 "$SV_PID" "$SV_ADDR"
run_wrk sv "http://$SV_ADDR" "$SV_SECONDS" /v1/surveys/
snapshot s1 "$SV_PID" "$SV_ADDR"
# The answers in flight when wrk stopped still commit: let them.
sleep 1
RECORDED=$(( $(q "SELECT count(*) FROM survey.responses") - REC0 ))
ANSWERED=$(( $(q "SELECT count(*) FROM survey.invitations WHERE state = 'answered'") - REC0 ))
EVENTS=$(q "SELECT count(*) FROM bus.outbox WHERE topic = 'survey.response_recorded'")
EVENTS=$((EVENTS - REC0))
LOWS=$(q "SELECT count(*) FROM survey.responses WHERE low_score")
LOW_EVENTS=$(q "SELECT count(*) FROM bus.outbox WHERE topic = 'survey.low_score'")
kill -TERM "$SV_PID"
wait "$SV_PID" || true
SV_PID=

SV_REQ=$(kv "$WORK/sv.sum" requests)
SV_SENT=$(kv "$WORK/sv.sum" sent)
SV_201=$(kv "$WORK/sv.sum" s201)
SV_409=$(kv "$WORK/sv.sum" s409)
SV_4XX=$(kv "$WORK/sv.sum" s4xx)
SV_5XX=$(kv "$WORK/sv.sum" s5xx)
SV_OTHER=$(( $(kv "$WORK/sv.sum" s200) + $(kv "$WORK/sv.sum" sother) ))
SV_NON2XX=$(kv "$WORK/sv.sum" non2xx)
SV_ERR=$(kv "$WORK/sv.sum" errors)
SV_REUSED=$(kv "$WORK/sv.sum" reused)
SV_DUR_US=$(kv "$WORK/sv.sum" duration_us)
INFLIGHT=$((SV_SENT - SV_REQ))
LATE=$((RECORDED - SV_201))
[ "$SV_5XX" = 0 ] || fail "$SV_5XX answers 5xx from peakdesk-survey (see $WORK/survey.log)"
[ "$SV_409" = 0 ] || fail "$SV_409 answers 409 (a token used twice?)"
[ "$SV_4XX" = 0 ] || fail "$SV_4XX other 4xx answers"
[ "$SV_OTHER" = 0 ] || fail "$SV_OTHER answers that were neither 201 nor an error"
[ "$SV_ERR" = 0 ] || fail "wrk had $SV_ERR socket errors or timeouts"
[ "$SV_REUSED" = 0 ] || fail "wrk ran out of tokens ($SV_REUSED reused): raise BENCH_SURVEY_INVITATIONS"
[ "$SV_NON2XX" = $((SV_409 + SV_4XX + SV_5XX)) ] || fail "wrk counted $SV_NON2XX non-2xx, the script $((SV_409 + SV_4XX + SV_5XX))"
[ "$RECORDED" -ge "$SV_201" ] || fail "$SV_201 answers acknowledged (201) but only $RECORDED recorded"
[ "$LATE" -le "$INFLIGHT" ] || fail "$RECORDED answers recorded: more than the $SV_201 acknowledged plus the $INFLIGHT in flight"
[ "$ANSWERED" = "$RECORDED" ] || fail "$RECORDED responses but $ANSWERED more invitations 'answered'"
[ "$EVENTS" = "$RECORDED" ] || fail "$RECORDED responses but $EVENTS survey.response_recorded events"
[ "$LOW_EVENTS" = "$LOWS" ] || fail "$LOWS low scores but $LOW_EVENTS survey.low_score events"

# ---- baseline: bare evhttp --------------------------------------------------------------------
BARE_ADDR=127.0.0.1:$(free_port 18096)
say "[$(elapsed)] (k) baseline: bare evhttp handler (bench_http_bare) on $BARE_ADDR, the same wrk script for ${BARE_SECONDS} s"
"$TOOLS/bench_http_bare" --listen "$BARE_ADDR" >"$WORK/bare.out" 2>"$WORK/bare.log" &
BARE_PID=$!
wait_http "http://$BARE_ADDR/healthz" "$BARE_PID" bench_http_bare
snapshot b0 "$BARE_PID" "$BARE_ADDR"
# bench_http_bare serves POST /v1/channels/ (any path under it): the same
# request with that prefix instead of /v1/surveys/.
run_wrk bare "http://$BARE_ADDR" "$BARE_SECONDS" /v1/channels/
snapshot b1 "$BARE_PID" "$BARE_ADDR"
kill -TERM "$BARE_PID"
wait "$BARE_PID" || true
BARE_PID=
if [ "$(kv "$WORK/bare.sum" non2xx)" != 0 ] || [ "$(kv "$WORK/bare.sum" errors)" != 0 ]; then
  fail "wrk against bench_http_bare: non-2xx $(kv "$WORK/bare.sum" non2xx), errors $(kv "$WORK/bare.sum" errors)"
fi

# ---- figures -------------------------------------------------------------------------------------
SV_APS=$(awk -v a="$SV_201" -v d="$SV_DUR_US" 'BEGIN { printf "%.1f", (d > 0 ? a / (d / 1e6) : 0) }')
BARE_RPS=$(kv "$WORK/bare.sum" rps)
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 > 0) printf "%.3f", a / b; else print "?" }'; }
R_BARE=$(ratio "$SV_APS" "$BARE_RPS")
n() { awk -v x="$1" 'BEGIN { s = sprintf("%.0f", x); o = ""; l = length(s);
      for (i = 1; i <= l; i++) { o = o substr(s, i, 1); if ((l - i) % 3 == 0 && i < l) o = o "," } print o }'; }
ms() { awk -v u="$1" 'BEGIN { v = u / 1000; if (v < 10) printf "%.1f", v; else printf "%.0f", v }'; } # us -> ms
TXNS=$(d_metric s0 s1 peakdesk_bus_batches_total)
TXN_S=$(d_metric s0 s1 peakdesk_bus_batch_seconds_sum)
BUS_EV=$(d_metric s0 s1 peakdesk_bus_events_committed_total)
WALL_MS=$(( $(sv s1 time_ms) - $(sv s0 time_ms) ))
COMMITS=$(( $(sv s1 commits) - $(sv s0 commits) ))

echo "survey answers/s $(n "$SV_APS") = $(awk -v r="$R_BARE" 'BEGIN { printf "%.2f", r }') x a bare evhttp handler ($(n "$BARE_RPS") req/s);" \
  "survey p50 $(ms "$(kv "$WORK/sv.sum" p50_us)") ms p99 $(ms "$(kv "$WORK/sv.sum" p99_us)") ms, bare p50 $(ms "$(kv "$WORK/bare.sum" p50_us)") ms p99 $(ms "$(kv "$WORK/bare.sum" p99_us)") ms"
echo "survey link (wrk -t$SV_THREADS -c$SV_CONNS, ${SV_SECONDS} s, closed loop, {\"csat\":N} with 20 % low scores): $(n "$SV_201") answers 201 of $(n "$SV_REQ") answered requests" \
  "($SV_409 409, $SV_4XX other 4xx, $SV_5XX 5xx, $SV_ERR socket errors); $(n "$RECORDED") recorded in survey.responses" \
  "= the 201s + $LATE answered after wrk stopped counting ($INFLIGHT requests in flight then);" \
  "$(n "$EVENTS") survey.response_recorded events; p50 $(ms "$(kv "$WORK/sv.sum" p50_us)") ms p90 $(ms "$(kv "$WORK/sv.sum" p90_us)") ms" \
  "p99 $(ms "$(kv "$WORK/sv.sum" p99_us)") ms max $(ms "$(kv "$WORK/sv.sum" max_us)") ms; answer count check: $( [ "$FAILED" = 0 ] && echo held || echo FAILED)"
awk -v t="$TXNS" -v a="$RECORDED" -v e="$BUS_EV" -v s="$TXN_S" -v w="$WALL_MS" -v c="$COMMITS" 'BEGIN {
  printf "survey writer (wrk run): %.0f transactions = %.0f/s, %.1f answers (%.1f events) each, %.2f ms each on average (%.0f us per answer), busy %.0f%% of the run; PostgreSQL commits %.0f/s\n",
    t, t / (w / 1000), (t > 0 ? a / t : 0), (t > 0 ? e / t : 0), (t > 0 ? s / t * 1000 : 0), (a > 0 ? s / a * 1e6 : 0), s / (w / 1000) * 100, c / (w / 1000) }'
echo "CPU during the survey run: $(cpu_line s0 s1 peakdesk-survey); during the bare run: $(cpu_line b0 b1 bench_http_bare)"
echo "bare evhttp (baseline, wrk -t$SV_THREADS -c$SV_CONNS, ${BARE_SECONDS} s, same script): $(n "$BARE_RPS") req/s," \
  "p50 $(ms "$(kv "$WORK/bare.sum" p50_us)") ms p99 $(ms "$(kv "$WORK/bare.sum" p99_us)") ms max $(ms "$(kv "$WORK/bare.sum" max_us)") ms"
echo "set-up: $(n "$N_SENT") 'sent' invitations and their tokens in $(awk -v m="$INSERT_MS" 'BEGIN { printf "%.1f", m / 1000 }') s (survey_tokens + COPY)"

echo "RESULT survey_link answers_per_s=$SV_APS acked=$SV_201 recorded=$RECORDED late=$LATE inflight=$INFLIGHT requests=$SV_REQ sent=$SV_SENT" \
  "s409=$SV_409 s4xx=$SV_4XX s5xx=$SV_5XX non2xx=$SV_NON2XX errors=$SV_ERR reused=$SV_REUSED events=$EVENTS" \
  "p50_us=$(kv "$WORK/sv.sum" p50_us) p90_us=$(kv "$WORK/sv.sum" p90_us) p99_us=$(kv "$WORK/sv.sum" p99_us) max_us=$(kv "$WORK/sv.sum" max_us)" \
  "threads=$SV_THREADS conns=$SV_CONNS seconds=$SV_SECONDS invitations=$SV_INV bare_rps=$BARE_RPS ratio_bare=$R_BARE" \
  "writer_txns=$(printf '%.0f' "$TXNS") answers_per_txn=$(ratio "$RECORDED" "$TXNS") txn_ms=$(awk -v t="$TXNS" -v s="$TXN_S" 'BEGIN { printf "%.3f", (t > 0 ? s / t * 1000 : 0) }')" \
  "commits=$COMMITS wall_ms=$WALL_MS ok=$( [ "$FAILED" = 0 ] && echo 1 || echo 0)"
echo "RESULT survey_bare rps=$BARE_RPS requests=$(kv "$WORK/bare.sum" requests) p50_us=$(kv "$WORK/bare.sum" p50_us) p99_us=$(kv "$WORK/bare.sum" p99_us)" \
  "max_us=$(kv "$WORK/bare.sum" max_us) non2xx=$(kv "$WORK/bare.sum" non2xx) errors=$(kv "$WORK/bare.sum" errors) seconds=$BARE_SECONDS"
exit "$FAILED"
