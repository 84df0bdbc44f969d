#!/bin/sh
# `make run` as a test: deploy/local/run.sh with PEAKDESK_RUN_ONCE=1 on a
# throwaway var directory (PEAKDESK_VAR_DIR), so a developer's ./var and
# port 8082 are left alone. The demo starts and stops its own PostgreSQL,
# service and tail. The first run replays the sample moved to today and must
# find exactly the planned delays (the stalled parcel's missed promise, and
# Kuaidi100's documentation example from 2012 when ../shared has it), not
# the sample's dozens of 2024 promises; nothing of it may be left running.
# The second run on the same directory gets DUPLICATE acks and the same
# delays. Uses the binaries of the build (make test builds them first).
. "$(dirname "$0")/../lib.sh"

for b in peakdesk peakdesk-logistics; do
  [ -x "$BIN/$b" ] || { echo "$BIN/$b is missing: build first (make)"; exit 1; }
done
T=$(mktemp -d /tmp/peakdesk-make-run.XXXXXX)
chmod 755 "$T" # under root the demo's PostgreSQL runs as user postgres
SHARED_PUSH=$ROOT/../shared/data/logistics/kuaidi100_push_doc_example.param.json

# Processes that still use the demo's directory: in their command line, their
# environment (PEAKDESK_DB, PEAKDESK_RUN_DIR) or their working directory (the
# PostgreSQL backends run in the data directory). Prints "pid:command ...".
leftovers() {
  for d in /proc/[0-9]*; do
    p=${d#/proc/}
    [ "$p" = "$$" ] && continue
    if { tr '\0' '\n' <"$d/cmdline"; tr '\0' '\n' <"$d/environ"; readlink "$d/cwd"; } 2>/dev/null | grep -qF "$T"; then
      printf '%s:%s\n' "$p" "$(tr '\0' ' ' <"$d/cmdline" 2>/dev/null | cut -c1-70)"
    fi
  done
}

cleanup() {
  # Only after a failure can something of the demo still be running.
  [ -f "$T/pg/data/postmaster.pid" ] && "$ROOT/deploy/local/pg.sh" stop "$T/pg" >/dev/null 2>&1
  for p in $(leftovers | cut -d: -f1); do kill -TERM "$p" 2>/dev/null; done
  if [ "$FAILED" -gt 0 ]; then
    for f in "$T"/run*.out "$T"/log/logistics.log; do
      [ -f "$f" ] && { echo "--- $f (last 40 lines)"; tail -n 40 "$f"; }
    done
  fi
  rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# run_demo N: the demo as `make run` runs it, once; output in $T/runN.out, exit status in RC.
run_demo() {
  start_s=$(date +%s)
  env -u PEAKDESK_LOGISTICS_HTTP -u PEAKDESK_LOGISTICS_NO_SCAN_HOURS -u PEAKDESK_LOGISTICS_DELAY_CHECK_MS \
    -u PEAKDESK_KUAIDI100_SALT PEAKDESK_RUN_ONCE=1 PEAKDESK_VAR_DIR="$T" \
    timeout -k 10 50 "$ROOT/deploy/local/run.sh" >"$T/run$1.out" 2>&1 </dev/null
  RC=$?
  pd_log "run $1: exit $RC after $(($(date +%s) - start_s)) s"
}
# "trackingNo reason" of every logistics.delayed the demo's tail wrote, sorted.
delays() {
  grep '"topic":"logistics.delayed"' "$T/events.jsonl" 2>/dev/null |
    sed -n 's/.*"trackingNo":"\([^"]*\)".*"reason":"DELAY_REASON_\([A-Z_]*\)".*/\1 \2/p' | sort | tr '\n' ' ' | sed 's/ $//'
}
expected="YD431200241102 PROMISE_MISSED"
[ -f "$SHARED_PUSH" ] && expected="V030344422 NO_SCAN $expected"

run_demo 1
OUT=$T/run1.out
eq "first run exits 0" 0 "$RC"
check "it says the demo is OK" grep -q '^==> demo OK' "$OUT"
check "it ran on the given var directory" grep -qxF "var directory: $T" "$OUT"
check "it moved the sample to now" grep -q 'sample time 2024-11-13 18:05 CST = .*: every time in the sample +' "$OUT"
check "it stopped everything cleanly" grep -qx '    all stopped.' "$OUT"
eq "exactly the planned delays, no 2024 promise" "$expected" "$(delays)"
# The stalled parcel was promised five minutes before the replay (sample time).
promised_s=$(grep '"topic":"logistics.delayed"' "$T/events.jsonl" 2>/dev/null | grep '"trackingNo":"YD431200241102"' |
  sed -n 's/.*"promisedDeliveryMs":"\([0-9]*\)[0-9]\{3\}".*/\1/p' | head -n 1)
ago=$((start_s - ${promised_s:-0}))
check "its promise passed minutes before the run, not in 2024 ($ago s ago)" test "$ago" -ge 240 -a "$ago" -le 420
eq "the other promises lie ahead: no logistics.delayed besides those" "$(echo "$expected" | wc -w | awk '{ print $1 / 2 }')" \
  "$(grep -c '"topic":"logistics.delayed"' "$T/events.jsonl")"
eq "nothing left running on the directory" "" "$(leftovers)"
check "PostgreSQL is down (no postmaster.pid)" [ ! -f "$T/pg/data/postmaster.pid" ]
check "the sample files keep their 2024 dates" grep -q '"time":"2024-11-12 03:05:44"' "$ROOT/tests/data/sample/kuaidi100/03_stalled.param.json"

run_demo 2
OUT=$T/run2.out
eq "second run exits 0" 0 "$RC"
check "second run: the orders come back DUPLICATE" grep -q '36 events: 0 accepted, 36 duplicate, 0 rejected' "$OUT"
check "second run: it says so" grep -q '(DUPLICATE: an earlier run already applied these event ids; nothing changed twice)' "$OUT"
check "second run: it replays with the first run's shift" grep -q "the shift of the run that first stored the sample" "$OUT"
check "second run: the demo is OK" grep -q '^==> demo OK' "$OUT"
eq "second run: the same delays, none twice" "$expected" "$(delays)"
eq "second run: nothing left running" "" "$(leftovers)"
pd_done
