# Shared helpers for the integration and end-to-end tests (sourced by sh).
# Each test gets a throwaway PostgreSQL (temp dir, unix socket, no TCP port),
# its own run dir for ipc sockets and free HTTP ports, and cleans up on exit.
#
#   . tests/lib.sh
#   pd_setup            # PG started + migrated; PEAKDESK_* exported
#   pd_start logistics  # starts build/bin/peakdesk-logistics, waits for /healthz
#   ok "what"  / fail "what"   # assertions; pd_done prints the summary

set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${PEAKDESK_BIN:-$ROOT/build/bin}
BUILD_TESTS=$(dirname "$BIN")/tests
# a leak inside NNG at shutdown is not ours (tests/lsan.supp)
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$ROOT/tests/lsan.supp}
PASSED=0
FAILED=0
PIDS=""
TEST_NAME=$(basename "$0" .sh)

pd_log() { printf '  %s\n' "$*"; }
ok() { PASSED=$((PASSED + 1)); printf '  ok   %s\n' "$*"; }
fail() { FAILED=$((FAILED + 1)); printf '  FAIL %s\n' "$*"; }
# check "description" command...  -> ok/fail by exit status
check() { _check_desc=$1; shift; if "$@"; then ok "$_check_desc"; else fail "$_check_desc"; fi; }
# eq "description" expected actual
eq() { if [ "$2" = "$3" ]; then ok "$1"; else fail "$1 (expected '$2', got '$3')"; fi; }

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

pd_setup() {
  WORK=$(mktemp -d /tmp/peakdesk-test.XXXXXX)
  chmod 755 "$WORK"
  trap pd_cleanup EXIT INT TERM
  PGDIR=$WORK/pg
  "$ROOT/deploy/local/pg.sh" start "$PGDIR" fast >/dev/null || { echo "cannot start PostgreSQL"; exit 1; }
  export PEAKDESK_DB="host=$PGDIR dbname=peakdesk user=peakdesk"
  export PEAKDESK_RUN_DIR=$WORK/run
  mkdir -p "$PEAKDESK_RUN_DIR"
  for s in gateway router logistics stock promo survey; do
    u=$(echo "$s" | tr a-z A-Z)
    export "PEAKDESK_${u}_HTTP=127.0.0.1:$(free_port)"
  done
  export PEAKDESK_SCHEMA_DIR=$ROOT/schema
  "$BIN/peakdesk" migrate >/dev/null || { echo "migrate failed"; exit 1; }
}

psql_q() { psql "$PEAKDESK_DB" -XAtq -c "$1"; }

http_addr() { u=$(echo "$1" | tr a-z A-Z); eval echo "\$PEAKDESK_${u}_HTTP"; }

# pd_start SERVICE [ENV=VAL ...]: starts it in the background, waits for /healthz.
pd_start() {
  svc=$1; shift
  env "$@" "$BIN/peakdesk-$svc" >>"$WORK/$svc.log" 2>&1 &
  pid=$!
  PIDS="$PIDS $pid"
  eval "PID_$svc=$pid"
  addr=$(http_addr "$svc")
  i=0
  while [ $i -lt 100 ]; do
    if curl -fsS "http://$addr/healthz" >/dev/null 2>&1; then return 0; fi
    if ! kill -0 "$pid" 2>/dev/null; then echo "peakdesk-$svc exited:"; tail -n 20 "$WORK/$svc.log"; return 1; fi
    sleep 0.1; i=$((i + 1))
  done
  echo "peakdesk-$svc did not become healthy"; tail -n 20 "$WORK/$svc.log"; return 1
}

# stop_pids PID...: SIGTERM, then up to 20 s for each to exit; one that
# does not is a shutdown hang (a bug): it fails the test and gets SIGKILL,
# so a hang can never stall the whole run.
stop_pids() {
  for p in "$@"; do kill -TERM "$p" 2>/dev/null; done
  for p in "$@"; do
    _i=0
    while kill -0 "$p" 2>/dev/null && [ $_i -lt 200 ]; do sleep 0.1; _i=$((_i + 1)); done
    if kill -0 "$p" 2>/dev/null; then
      fail "pid $p ($(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | cut -c1-60)) did not stop within 20 s of SIGTERM"
      # Where it hangs is what a fix needs: every thread's stack, if gdb is here.
      if command -v gdb >/dev/null 2>&1; then
        gdb -p "$p" -batch -ex "thread apply all bt" 2>/dev/null | grep -E '^(Thread|#)' | sed 's/^/    /' | head -n 120
      fi
      kill -KILL "$p" 2>/dev/null
    fi
    wait "$p" 2>/dev/null
  done
}

pd_stop() {
  svc=$1
  eval "pid=\${PID_$svc:-}"
  [ -n "$pid" ] || return 0
  stop_pids "$pid"
  eval "PID_$svc="
}

# webhook_say USER MSGID TEXT: customer USER writes TEXT through the
# gateway's signed webhook as a channel would (account $WEBHOOK_ACCOUNT,
# default webchat, secret $SECRET); prints the HTTP status.
webhook_say() {
  _body=$(printf '{"externalUserId":"%s","messageId":"%s","text":"%s"}' "$1" "$2" "$3")
  _ts=$(date +%s)
  _sig=$(printf '%s.%s' "$_ts" "$_body" | openssl dgst -sha256 -hmac "$SECRET" -r | cut -d' ' -f1)
  curl -sS -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' -H "X-Peakdesk-Timestamp: $_ts" \
    -H "X-Peakdesk-Signature: sha256=$_sig" --data-binary "$_body" \
    "http://$(http_addr gateway)/v1/channels/${WEBHOOK_ACCOUNT:-webchat}/messages"
}

# ticket_of USER COLUMNS: COLUMNS (SQL over router.tickets t) of the ticket
# of channel user USER. ticket_has USER [CONDITION]: USER has a ticket (for
# which the SQL CONDITION holds); `wait_for ... ticket_has ...` waits for it.
ticket_of() { psql_q "SELECT $2 FROM router.tickets t JOIN router.identities i USING (customer_id) WHERE i.external_user_id = '$1'"; }
ticket_has() { [ -n "$(psql_q "SELECT 1 FROM router.tickets t JOIN router.identities i USING (customer_id) WHERE i.external_user_id = '$1' AND (${2:-true})")" ]; }
wait_ticket() { wait_for "ticket of $1" 20 ticket_has "$1"; }

# wait_for "description" seconds command...: polls until the command succeeds.
wait_for() {
  _wait_end=$(( $(date +%s) + $2 )); shift 2
  while [ "$(date +%s)" -le "$_wait_end" ]; do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.2
  done
  return 1
}

pd_cleanup() {
  stop_pids $PIDS
  if [ -n "${WORK:-}" ]; then
    # a test's second server (an upgrade from an older schema) too
    for _pg in "$PGDIR" ${PD_EXTRA_PGDIRS:-}; do "$ROOT/deploy/local/pg.sh" stop "$_pg" >/dev/null 2>&1; done
    if [ "$FAILED" -gt 0 ] || [ -n "${PEAKDESK_KEEP_TEST_DIR:-}" ]; then
      # Sanitizer reports and service logs help more than a bare FAIL.
      for f in "$WORK"/*.log; do [ -f "$f" ] && { echo "--- $f (last 30 lines)"; tail -n 30 "$f"; }; done
    fi
    rm -rf "$WORK"
  fi
}

pd_done() {
  # Stop the services first so a sanitizer build reports leaks at exit, then
  # fail on any sanitizer report in their logs.
  stop_pids $PIDS
  PIDS=""
  if [ -n "${WORK:-}" ] && grep -lE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$WORK"/*.log >/dev/null 2>&1; then
    fail "sanitizer report in $(grep -lE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$WORK"/*.log | xargs -n1 basename | tr '\n' ' ')"
  fi
  echo "$TEST_NAME: $PASSED passed, $FAILED failed"
  [ "$FAILED" -eq 0 ] && [ "$PASSED" -gt 0 ]
}

# nngcat_req ADDR INFILE OUTFILE: one REQ/REP round trip with nngcat.
# nngcat 1.5.2 now and then exits with "Cannot set recv timeout: Invalid
# argument" (an nngcat bug, not the service's): with a reply in hand we take
# it; without one the request is sent again, which the service must treat
# as the re-send it is (NNGCAT_RESENT=1 tells the caller acks may be
# DUPLICATE).
NNGCAT_RESENT=0
nngcat_req() {
  NNGCAT_RESENT=0
  # ~10 % of runs fail on an idle machine (measured 4-6 in 40, with or
  # without an explicit --recv-timeout), more on a loaded one: ten tries
  for attempt in 1 2 3 4 5 6 7 8 9 10; do
    timeout 20 nngcat --req0 --dial "$1" --raw --file "$2" --count 1 >"$3" 2>"$3.err"
    [ -s "$3" ] && return 0
    # no reply: nngcat's bug, or nngcat killed by the timeout on a loaded
    # machine; a re-send is safe (event ids), and the caller is told
    pd_log "nngcat attempt $attempt without a reply: $(head -c 200 "$3.err")"
    NNGCAT_RESENT=1
    sleep 0.3
  done
  return 1
}
