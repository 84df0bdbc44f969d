#!/bin/sh
# `make run`: the suite on this machine, with a sample Double 11 promo day.
#
# At this stage: a private PostgreSQL in var/pg, migrations, the logistics
# service, a durable `peakdesk tail` writing var/events.jsonl, then a replay
# of tests/data/sample (orders, shipment updates with one impossible
# transition, Kuaidi100 carrier pushes, a return) and one stalled parcel that
# the delay timer turns into logistics.delayed. Prints what happened and how
# to look, then runs until Ctrl-C (SIGINT/SIGTERM) and stops everything in
# order: tail, service, PostgreSQL.
#
# Time. The sample is written with fixed dates (Double 11 2024, China time)
# and replayed relative to now: every time in it (the *Ms fields of the
# events, "time"/"ftime" of the Kuaidi100 scans, China time) is moved by one
# shift, so that sample time 2024-11-13 18:05 CST, five minutes after the
# stalled parcel's promised delivery, is the moment of the replay. That
# promise has just been missed; every other promise (the orders', 11-16) is
# still ahead; the Double 11 labels and scans are one to three days old. The
# demo's no-scan window is 72 h, so those parcels are not late yet (with the
# production 24 h, the ~25 parcels the sample has no carrier scans for would
# all be late at once; try PEAKDESK_LOGISTICS_NO_SCAN_HOURS=24). The shifted
# copies go to var/replay/ (the sample files keep their 2024 dates), and the
# Kuaidi100 pushes are signed after the shift. Delays expected on a fresh var:
# yunda YD431200241102 (promise missed) and, when ../shared/data has it,
# Kuaidi100's documentation example V030344422 (last scan 2012: no scan).
#
# Re-running on the same var: the shift of the first run is read back from
# the database (the stored order time of PD2411110001) and used again, so the
# events come back DUPLICATE (their ids are fixed) and the re-sent pushes
# store no scan twice. On a later day the stored times are still the first
# day's: that story has aged and more parcels turn late; remove the var
# directory for a fresh day.
#
#   PEAKDESK_VAR_DIR      the directory for all of it (cluster, logs, sockets,
#                         events.jsonl, replay/); default ./var. A relative
#                         path is taken from the caller's directory.
#   PEAKDESK_RUN_ONCE=1   stop right after the summary; exit 1 when the demo
#                         did not produce what it should (tests, CI)
#   PEAKDESK_LOGISTICS_HTTP  the service's address; default 127.0.0.1:8082,
#                         or the first free port from 18082 when 8082 is taken
#   PEAKDESK_KUAIDI100_SALT, PEAKDESK_LOGISTICS_NO_SCAN_HOURS,
#   PEAKDESK_LOGISTICS_DELAY_CHECK_MS
#                         override the demo defaults below
#
# Later issues add the other services here.
set -u

CALLER_DIR=$(pwd)
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT" || exit 1
BIN=$ROOT/build/bin
case "${PEAKDESK_VAR_DIR:-}" in
'') VAR=$ROOT/var ;;
/*) VAR=$PEAKDESK_VAR_DIR ;;
*) VAR=$CALLER_DIR/$PEAKDESK_VAR_DIR ;;
esac
SAMPLE=$ROOT/tests/data/sample
SHARED_PUSH=$ROOT/../shared/data/logistics/kuaidi100_push_doc_example.param.json
PGSH=$ROOT/deploy/local/pg.sh
RUN_ONCE=${PEAKDESK_RUN_ONCE:-}

say() { printf '%s\n' "$*"; }
step() { printf '\n==> %s\n' "$*"; }
info() { printf '    %s\n' "$*"; }
die() { printf 'run.sh: %s\n' "$*" >&2; exit 1; }

for b in peakdesk peakdesk-logistics; do
  [ -x "$BIN/$b" ] || die "$BIN/$b is missing: build first (make)"
done
for t in psql curl md5sum python3; do
  command -v "$t" >/dev/null 2>&1 || die "$t not found (deploy/install-deps.sh installs it)"
done

# Only the settings of this run: a conninfo or address left in the caller's
# environment must not point a binary elsewhere.
unset PEAKDESK_INSTANCE
for s in GATEWAY ROUTER LOGISTICS STOCK PROMO SURVEY; do
  unset "PEAKDESK_${s}_DB" "PEAKDESK_${s}_PUB" "PEAKDESK_${s}_INGEST"
done

# ---- demo settings -------------------------------------------------------------
SALT=${PEAKDESK_KUAIDI100_SALT:-peakdesk-demo-salt}
# A parcel with no scan for 72 h is late (production default: 24 h; see the
# header for why), a passed delivery promise at once (no grace); the timer
# looks every second.
NO_SCAN_HOURS=${PEAKDESK_LOGISTICS_NO_SCAN_HOURS:-72}
NO_SCAN_DEFAULT=""
[ -z "${PEAKDESK_LOGISTICS_NO_SCAN_HOURS:-}" ] && NO_SCAN_DEFAULT=1
CHECK_MS=${PEAKDESK_LOGISTICS_DELAY_CHECK_MS:-1000}
STALLED_CARRIER=yunda
STALLED_NU=YD431200241102
DOC_NU=V030344422
DELAY_TIMEOUT=30
# The sample's clock (unix seconds). "Now" in the sample is 2024-11-13 18:05
# CST; the stalled parcel was promised for 18:00 and last scanned 11-12 03:05;
# PD2411110001 was ordered at 11-11 00:01:40 (where a re-run reads the shift back).
SAMPLE_NOW_S=1731492300
SAMPLE_PROMISE_S=1731492000
SAMPLE_LAST_SCAN_S=1731351944
SAMPLE_ORDER1_S=1731254500
NO_SCAN_TEXT=$(awk -v h="$NO_SCAN_HOURS" 'BEGIN { m = h * 60; if (m < 120) printf "%g min", m; else printf "%g h", h }')

# ---- helpers ---------------------------------------------------------------------
# 0 when something listens on 127.0.0.1/any:PORT (read from /proc: no ss/netstat needed).
port_in_use() {
  hex=$(printf ':%04X' "$1")
  cat /proc/net/tcp /proc/net/tcp6 2>/dev/null |
    awk -v p="$hex" '$4 == "0A" && substr($2, length($2) - 4) == p { f = 1 } END { exit !f }'
}

lines() { if [ -f "$1" ]; then wc -l <"$1"; else echo 0; fi; }
# A path as shown: relative to the checkout when inside it.
rel() { case $1 in "$ROOT"/*) printf '%s' "${1#"$ROOT"/}" ;; *) printf '%s' "$1" ;; esac; }
# Unix seconds as China Standard Time (UTC+8, no DST).
cst() { date -u -d "@$(($1 + 28800))" '+%Y-%m-%d %H:%M'; }
# Seconds as "+742 d 05:31:07".
span() {
  s=$1 sign=+
  [ "$s" -lt 0 ] && sign=- s=$((-s))
  printf '%s%d d %02d:%02d:%02d' "$sign" $((s / 86400)) $((s % 86400 / 3600)) $((s % 3600 / 60)) $((s % 60))
}
q() { psql "$PEAKDESK_DB" -XAtq -c "$1" 2>/dev/null; }
table() { psql "$PEAKDESK_DB" -Xq -P pager=off -P footer=off -c "$1" 2>&1 | sed -e '/^$/d' -e 's/^/    /'; }

# Background programs run in their own session, so a Ctrl-C on the terminal
# reaches only this script, which then stops everything in order. (Called
# directly, not from a function: `setsid prog &` execs in the forked child,
# so $! is the program's own pid.)
SETSID=""
command -v setsid >/dev/null 2>&1 && SETSID=setsid

# A pid file's process, if it is still one of ours (not a recycled pid).
live_pid() {
  f=$1 pat=$2
  [ -f "$f" ] || return 1
  p=$(cat "$f" 2>/dev/null)
  case "$p" in '' | *[!0-9]*) return 1 ;; esac
  tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -q -- "$pat" || return 1
  echo "$p"
}

# stop_proc NAME PID: SIGTERM, wait up to 20 s, then SIGKILL.
stop_proc() {
  name=$1 pid=$2
  [ -n "$pid" ] || return 0
  if ! kill -0 "$pid" 2>/dev/null; then
    wait "$pid" 2>/dev/null
    info "$name had already exited"
    return 0
  fi
  kill -TERM "$pid" 2>/dev/null
  i=0
  while kill -0 "$pid" 2>/dev/null && [ $i -lt 200 ]; do sleep 0.1; i=$((i + 1)); done
  if kill -0 "$pid" 2>/dev/null; then
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    info "$name did not stop within 20 s of SIGTERM: killed"
    UNCLEAN="$UNCLEAN $name"
    return 1
  fi
  wait "$pid" 2>/dev/null
  st=$?
  # Our own children report their status; 127 means "not our child" (a leftover).
  if [ "$st" = 0 ] || [ "$st" = 127 ]; then
    info "$name stopped (SIGTERM)"
  else
    sig=""
    [ "$st" -gt 128 ] && sig=" (killed by signal $((st - 128))$([ "$st" = 139 ] && echo ", SIGSEGV"))"
    info "$name did NOT stop cleanly on SIGTERM: exit status $st$sig; see its log"
    UNCLEAN="$UNCLEAN $name"
  fi
}

# ---- cleanup ---------------------------------------------------------------------
TAIL_PID=""
SVC_PID=""
UNCLEAN=""
PG_STARTED=""
PGDIR=""
CLEANED=""
cleanup() {
  [ -n "$CLEANED" ] && return 0
  CLEANED=1
  step "stopping"
  stop_proc "peakdesk tail (demo)" "$TAIL_PID"
  TAIL_PID=""
  rm -f "$RUNDIR/tail-demo.pid"
  stop_proc "peakdesk-logistics" "$SVC_PID"
  SVC_PID=""
  if [ -n "${HTTP:-}" ] && curl -fsS -m 2 "http://$HTTP/healthz" >/dev/null 2>&1; then
    info "warning: something still answers on http://$HTTP after the service stopped"
  fi
  rm -f "$RUNDIR/logistics.pid"
  if [ -n "$PG_STARTED" ]; then
    (cd / && "$PGSH" stop "$PGDIR") >/dev/null 2>&1
    if [ -f "$PGDIR/data/postmaster.pid" ]; then
      info "PostgreSQL did not stop: see $PGDIR/postgres.log"
    else
      info "PostgreSQL stopped ($PGDIR; the data stays for the next run)"
    fi
  fi
  if [ -n "$UNCLEAN" ]; then
    say "    all stopped, but not cleanly:$UNCLEAN"
  else
    say "    all stopped."
  fi
}
on_exit() {
  rc=$?
  trap - EXIT INT TERM
  cleanup
  # A crash or hang on shutdown is a bug worth failing for.
  [ "$rc" = 0 ] && [ -n "$UNCLEAN" ] && rc=1
  exit "$rc"
}
trap on_exit EXIT
# A requested stop that goes cleanly is a success (exit 0), for make and for
# supervisors alike.
trap 'say ""; say "(Ctrl-C)"; exit 0' INT
trap 'say ""; say "(SIGTERM)"; exit 0' TERM

mkdir -p "$VAR/log" || die "cannot create $VAR"
VAR=$(cd "$VAR" && pwd) || die "cannot enter $VAR"
VAR_SHOWN=$(rel "$VAR")

# A unix socket path is limited to 107 bytes. When the var directory's is too
# long (or, for PostgreSQL under root, closed to user postgres), the sockets go
# to /tmp/peakdesk-run-TAG instead, one per var directory (the default one
# keeps its earlier name); prints that directory.
short_base() {
  tag_of=$ROOT
  [ -n "${PEAKDESK_VAR_DIR:-}" ] && tag_of=$VAR
  base=/tmp/peakdesk-run-$(printf '%s' "$tag_of" | md5sum | cut -c1-8)
  if [ -L "$base" ] || { [ -e "$base" ] && [ "$(stat -c %u "$base")" != "$(id -u)" ]; }; then
    die "$1, and $base is not ours: remove it or fix the permissions"
  fi
  { mkdir -p "$base" && chmod 755 "$base"; } || die "cannot create $base"
  echo "$base"
}
RUNDIR=$VAR/run
if [ ${#RUNDIR} -gt 80 ]; then
  RUNDIR=$(short_base "$RUNDIR is too long for the services' ipc sockets")/run || exit 1
  NOTE_RUNDIR="note: $VAR/run is too long for the services' ipc sockets; using $RUNDIR instead"
fi
mkdir -p "$RUNDIR" || die "cannot create $RUNDIR"

say "peakdesk make run: the logistics stage (a private PostgreSQL, peakdesk-logistics,"
say "a sample Double 11 promo day, replayed relative to now). Later issues add the other services."
say "var directory: $VAR_SHOWN"
[ -n "${NOTE_RUNDIR:-}" ] && say "$NOTE_RUNDIR"

# ---- PostgreSQL ------------------------------------------------------------------
step "PostgreSQL: private cluster"
PGDIR=$VAR/pg
mkdir -p "$PGDIR"
fallback_reason=""
if [ "$(id -u)" = 0 ]; then
  # The server runs as user postgres (pg.sh): every parent directory must let it through.
  chown postgres:postgres "$PGDIR" 2>/dev/null
  if ! setpriv --reuid=postgres --regid=postgres --init-groups -- test -w "$PGDIR" 2>/dev/null; then
    fallback_reason="user postgres cannot reach $PGDIR (a parent directory is closed to it)"
  fi
fi
if [ -z "$fallback_reason" ] && [ ${#PGDIR} -gt 90 ]; then
  fallback_reason="$PGDIR is too long for a unix socket path"
fi
if [ -n "$fallback_reason" ]; then
  PGDIR=$(short_base "$fallback_reason")/pg || exit 1
  mkdir -p "$PGDIR" || die "cannot create $PGDIR"
  info "note: $fallback_reason;"
  info "      using $PGDIR instead (kept between runs)"
fi
PEAKDESK_DB="host=$PGDIR dbname=peakdesk user=peakdesk"
export PEAKDESK_DB
pg_up() { psql "host=$PGDIR dbname=postgres user=peakdesk" -XAtqc 'SELECT 1' >/dev/null 2>&1; }
if pg_up; then
  # Left running by an earlier run that was killed: use it, stop it at the end.
  info "a server from an earlier run that did not stop is still up: reusing it"
  psql "host=$PGDIR dbname=postgres user=peakdesk" -XAtqc "SELECT 1 FROM pg_database WHERE datname = 'peakdesk'" | grep -q 1 ||
    psql "host=$PGDIR dbname=postgres user=peakdesk" -Xqc 'CREATE DATABASE peakdesk' >/dev/null
else
  if [ -f "$PGDIR/data/PG_VERSION" ]; then
    info "reusing the cluster of an earlier run"
  else
    info "creating a new cluster (initdb)"
  fi
  (cd / && "$PGSH" start "$PGDIR") >/dev/null || die "PostgreSQL did not start (see $PGDIR/postgres.log)"
fi
PG_STARTED=1
q 'SELECT 1' >/dev/null || die "database peakdesk not reachable at $PGDIR"
info "up: $PEAKDESK_DB"

step "migrate"
PEAKDESK_SCHEMA_DIR=$ROOT/schema "$BIN/peakdesk" migrate 2>&1 | sed 's/^/    /'
q "SELECT 1 FROM pg_namespace WHERE nspname = 'logistics'" | grep -q 1 || die "migration failed"

# ---- logistics -------------------------------------------------------------------
step "peakdesk-logistics"
PEAKDESK_RUN_DIR=$RUNDIR
export PEAKDESK_RUN_DIR
for f in logistics:peakdesk-logistics "tail-demo:tail --name demo"; do
  name=${f%%:*} pat=${f#*:}
  if p=$(live_pid "$RUNDIR/$name.pid" "$pat"); then
    [ "$name" = logistics ] && name=peakdesk-logistics || name="peakdesk tail (demo)"
    info "$name (pid $p) from an earlier run is still running: stopping it"
    stop_proc "$name" "$p"
  fi
done
if [ -z "${PEAKDESK_LOGISTICS_HTTP:-}" ]; then
  # The suite's default port; when taken, one outside 8080-8085 (the other
  # services' defaults, which `peakdesk status` probes).
  port=8082
  if port_in_use "$port"; then
    port=18082
    while port_in_use "$port" && [ "$port" -lt 18182 ]; do port=$((port + 1)); done
    port_in_use "$port" && die "ports 8082 and 18082-18182 are all taken: set PEAKDESK_LOGISTICS_HTTP"
    info "note: port 8082 is taken (another copy of peakdesk?); using $port"
  fi
  PEAKDESK_LOGISTICS_HTTP=127.0.0.1:$port
fi
export PEAKDESK_LOGISTICS_HTTP
HTTP=$PEAKDESK_LOGISTICS_HTTP
PEAKDESK_KUAIDI100_SALT=$SALT
PEAKDESK_LOGISTICS_NO_SCAN_HOURS=$NO_SCAN_HOURS
PEAKDESK_LOGISTICS_DELAY_CHECK_MS=$CHECK_MS
PEAKDESK_LOGISTICS_PROMISE_GRACE_MINUTES=0
export PEAKDESK_KUAIDI100_SALT PEAKDESK_LOGISTICS_NO_SCAN_HOURS PEAKDESK_LOGISTICS_DELAY_CHECK_MS
export PEAKDESK_LOGISTICS_PROMISE_GRACE_MINUTES
LOG=$VAR/log/logistics.log
log_start=$(lines "$LOG")
$SETSID "$BIN/peakdesk-logistics" >>"$LOG" 2>&1 </dev/null &
SVC_PID=$!
echo "$SVC_PID" >"$RUNDIR/logistics.pid"
i=0
health=""
while [ $i -lt 150 ]; do
  if health=$(curl -fsS "http://$HTTP/healthz" 2>/dev/null); then break; fi
  if ! kill -0 "$SVC_PID" 2>/dev/null; then
    wait "$SVC_PID" 2>/dev/null
    SVC_PID=""
    say "peakdesk-logistics exited at start; its log ($LOG):"
    tail -n +"$((log_start + 1))" "$LOG" | tail -n 20
    exit 1
  fi
  sleep 0.2
  i=$((i + 1))
done
[ -n "$health" ] || { say "peakdesk-logistics did not become healthy in 30 s; log:"; tail -n 20 "$LOG"; exit 1; }
info "pid $SVC_PID, http://$HTTP (healthz: $health)"
info "ingest ipc://$PEAKDESK_RUN_DIR/logistics.ingest, events on ipc://$PEAKDESK_RUN_DIR/logistics.pub"
info "log: $(rel "$LOG")"
info "delay policy for the demo: late after ${NO_SCAN_TEXT} without a scan (production: 24 h)"
info "or once a promised delivery time has passed (no grace); the timer runs every ${CHECK_MS} ms"

# ---- tail --------------------------------------------------------------------------
EVENTS=$VAR/events.jsonl
EVENTS_SHOWN=$(rel "$EVENTS")
step "peakdesk tail --name demo --out $EVENTS_SHOWN (a durable bus consumer, started before the replay)"
# The tail resumes at the file position it committed. A file removed or cut
# since would be padded with NUL bytes up to that position and never refilled,
# so the demo consumer starts over instead (from the oldest event kept).
pos=$(q "SELECT position FROM bus.consumer_sinks WHERE consumer = 'tail:demo'")
size=$(if [ -f "$EVENTS" ]; then wc -c <"$EVENTS"; else echo 0; fi)
if [ -n "$pos" ] && [ "$size" -lt "$pos" ]; then
  info "$EVENTS_SHOWN is shorter than the tail's committed position ($size < $pos bytes; removed?):"
  info "starting the demo consumer over, from the oldest event in bus.outbox"
  q "DELETE FROM bus.offsets WHERE consumer = 'tail:demo'; DELETE FROM bus.consumer_sinks WHERE consumer = 'tail:demo'" >/dev/null
  rm -f "$EVENTS"
fi
events_before=$(lines "$EVENTS")
$SETSID "$BIN/peakdesk" tail --name demo --out "$EVENTS" >>"$VAR/log/tail.log" 2>&1 </dev/null &
TAIL_PID=$!
echo "$TAIL_PID" >"$RUNDIR/tail-demo.pid"
sleep 0.3
kill -0 "$TAIL_PID" 2>/dev/null || { say "peakdesk tail exited:"; tail -n 20 "$VAR/log/tail.log"; TAIL_PID=""; exit 1; }
info "pid $TAIL_PID; ${events_before} event lines already in the file from earlier runs"

# ---- the sample, moved to today ------------------------------------------------------
# One shift for every time in the sample. A database that already holds the
# sample keeps the shift it was replayed with (read back from PD2411110001's
# stored order time), so a re-run sends exactly the same events and pushes.
stored_s=$(q "SELECT round(extract(epoch FROM ordered_at))::bigint FROM logistics.orders WHERE order_id = 'PD2411110001'")
now_s=$(date +%s)
if [ -n "$stored_s" ]; then
  FRESH=""
  SHIFT_S=$((stored_s - SAMPLE_ORDER1_S))
else
  FRESH=1
  SHIFT_S=$((now_s - SAMPLE_NOW_S))
fi
REPLAY=$VAR/replay
REPLAY_SHOWN=$(rel "$REPLAY")
rm -rf "$REPLAY"
# Copies of tests/data/sample with every time moved by SHIFT_S seconds: the
# fields ending in "Ms" (unix ms, proto3 JSON) and the Kuaidi100 scans'
# "time"/"ftime" (text in China time). Nothing else changes, event ids included.
python3 - "$SAMPLE" "$REPLAY" "$SHIFT_S" <<'PY' || die "could not write the shifted sample to $REPLAY"
import datetime, glob, json, os, sys

src, dst, shift = sys.argv[1], sys.argv[2], int(sys.argv[3])
CST = datetime.timezone(datetime.timedelta(hours=8))
KD_TIME = "%Y-%m-%d %H:%M:%S"


def moved(key, v):
    if key.endswith("Ms") and str(v).isdigit() and int(v) > 0:  # "1731254500000" or a number
        return type(v)(int(v) + shift * 1000)
    if key in ("time", "ftime"):  # "2024-11-12 03:05:44", China time
        t = datetime.datetime.strptime(v, KD_TIME).replace(tzinfo=CST)
        return (t + datetime.timedelta(seconds=shift)).strftime(KD_TIME)
    return v


def walk(x, key=""):
    if isinstance(x, dict):
        return {k: walk(v, k) for k, v in x.items()}
    if isinstance(x, list):
        return [walk(v, key) for v in x]
    return moved(key, x)


def dump(x):
    return json.dumps(x, ensure_ascii=False, separators=(",", ":"))


os.makedirs(os.path.join(dst, "kuaidi100"))
for path in sorted(glob.glob(os.path.join(src, "*.jsonl"))):
    with open(path, encoding="utf-8") as f:
        lines = [dump(walk(json.loads(line))) for line in f if line.strip()]
    with open(os.path.join(dst, os.path.basename(path)), "w", encoding="utf-8") as out:
        out.write("".join(line + "\n" for line in lines))
for path in sorted(glob.glob(os.path.join(src, "kuaidi100", "*.param.json"))):
    with open(path, encoding="utf-8") as f:
        param = walk(json.load(f))
    with open(os.path.join(dst, "kuaidi100", os.path.basename(path)), "w", encoding="utf-8") as out:
        out.write(dump(param))  # no newline: the pushes are signed over exactly this text
PY

# ---- replay --------------------------------------------------------------------------
FAILURES=""
problem() { FAILURES="$FAILURES
    - $*"; }
DUPS=0

# publish FILE EXPECTED_REJECTIONS WHAT
publish() {
  file=$1 want_rej=$2 what=$3
  out=$VAR/log/publish-$(basename "$file" .jsonl)
  "$BIN/peakdesk" publish --to logistics --quiet "$file" >"$out.acks" 2>"$out.err"
  summary=$(grep '^published' "$out.err" | tail -n 1)
  if [ -z "$summary" ]; then
    info "$(basename "$file"): publish failed:"
    sed 's/^/      /' "$out.err"
    problem "publishing $(basename "$file") failed"
    return
  fi
  info "$(printf '%-16s %s' "$(basename "$file")" "$what")"
  info "$(printf '%-16s %s' "" "${summary#published }")"
  rej=$(echo "$summary" | sed -n 's/.* \([0-9][0-9]*\) rejected.*/\1/p')
  dup=$(echo "$summary" | sed -n 's/.* \([0-9][0-9]*\) duplicate.*/\1/p')
  DUPS=$((DUPS + ${dup:-0}))
  sed -n 's/.*"eventId":"\([^"]*\)".*"reason":"\(.*\)"}$/\1  \2/p' "$out.acks" | while read -r id reason; do
    info "$(printf '%-16s REJECTED %s: %s' "" "$id" "$reason")"
  done
  [ "${rej:-x}" = "$want_rej" ] || problem "$(basename "$file"): expected $want_rej rejected, got ${rej:-?}"
}

step "replay: a Double 11 sample (tests/data/sample), moved to today -> peakdesk publish --to logistics"
info "sample time $(cst "$SAMPLE_NOW_S") CST = $(cst $((SAMPLE_NOW_S + SHIFT_S))) CST: every time in the sample $(span "$SHIFT_S") ($SHIFT_S s)"
if [ -n "$FRESH" ]; then
  info "(that is now; the shifted copies are in $REPLAY_SHOWN/, the sample files keep their 2024 dates)"
else
  info "(the shift of the run that first stored the sample in this database, on $(cst $((SAMPLE_NOW_S + SHIFT_S))) CST;"
  info " the same events and pushes again, stored times unchanged; remove $VAR_SHOWN for a fresh day)"
  if [ $((now_s - SAMPLE_NOW_S - SHIFT_S)) -gt 3600 ]; then
    info " note: that was $(span $((now_s - SAMPLE_NOW_S - SHIFT_S))) ago, so the story has aged: parcels with no scan for"
    info " ${NO_SCAN_TEXT} or a passed promise since then are late now too"
  fi
fi
publish "$REPLAY/orders.jsonl" 0 "orders awaiting fulfilment (双11 midnight rush, line items, WeChat/app/e-mail customers)"
publish "$REPLAY/shipments.jsonl" 1 "labels printed, parcels collected; the last one is a stale 'created' for a collected parcel"
if [ "$DUPS" -gt 0 ]; then
  info "(DUPLICATE: an earlier run already applied these event ids; nothing changed twice)"
fi

# ---- Kuaidi100 pushes ------------------------------------------------------------------
URL=http://$HTTP/v1/carriers/kuaidi100
sign_of() { printf '%s%s' "$1" "$SALT" | md5sum | cut -c1-32 | tr 'a-f' 'A-F'; }
field() { printf '%s' "$1" | sed -n "s/.*\"$2\":\"\\([^\"]*\\)\".*/\\1/p" | head -n 1; }
# kd_post FILE [SIGN]: prints "HTTP-status body"
kd_post() {
  param=$(cat "$1")
  sign=${2:-$(sign_of "$param")}
  resp=$(curl -sS -m 10 -w ' %{http_code}' \
    --data-urlencode "param=$param" --data-urlencode "sign=$sign" "$URL" 2>&1)
  printf '%s %s' "${resp##* }" "${resp% *}"
}
kd_push() {
  f=$1
  param=$(cat "$f")
  com=$(field "$param" com) nu=$(field "$param" nu) st=$(field "$param" state)
  n=$(printf '%s' "$param" | grep -o '"context"' | wc -l)
  r=$(kd_post "$f")
  info "$(printf '%-15s %-9s %-15s state %-2s %d scans -> %s' "$(basename "$f" .param.json)" "$com" "$nu" "$st" "$n" "$r")"
  case "$r" in 200*'"result":true'*) ;; *) problem "Kuaidi100 push $(basename "$f") answered: $r" ;; esac
}
tracking_count() { q "SELECT count(*) FROM logistics.tracking_events"; }

step "Kuaidi100 pushes (tests/data/sample/kuaidi100, scan times shifted too) -> POST $URL"
info "form fields param (the JSON) and sign = uppercase hex MD5(param + salt), salt \"$SALT\", signed after the shift"
for f in "$REPLAY"/kuaidi100/*.param.json; do
  kd_push "$f"
done
before=$(tracking_count)
for _ in 1 2; do
  for f in "$REPLAY"/kuaidi100/01_*.param.json "$REPLAY"/kuaidi100/02_*.param.json; do
    r=$(kd_post "$f")
    case "$r" in 200*) ;; *) problem "re-sent push $(basename "$f") answered: $r" ;; esac
  done
done
after=$(tracking_count)
info "re-sent 01_in_transit and 02_delivered twice (Kuaidi100 re-sends the whole history):"
info "  tracking events $before -> $after: each scan is stored once"
[ "$before" = "$after" ] || problem "re-sent pushes changed the tracking events ($before -> $after)"
r=$(kd_post "$REPLAY/kuaidi100/01_in_transit.param.json" 0123456789ABCDEF0123456789ABCDEF)
info "the same push with a wrong sign -> $r"
case "$r" in 403*) ;; *) problem "a push with a wrong sign was not refused with 403: $r" ;; esac
DOC_PUSHED=""
if [ -f "$SHARED_PUSH" ]; then
  r=$(kd_post "$SHARED_PUSH")
  info "Kuaidi100's own documentation example (../shared/data/logistics/$(basename "$SHARED_PUSH"), not shifted)"
  info "  yuantong $DOC_NU, in transit, 2 scans from 2012 and no order -> $r"
  case "$r" in
  200*'"result":true'*) DOC_PUSHED=1 ;;
  *) problem "the documentation example push answered: $r" ;;
  esac
else
  info "(../shared/data/logistics/kuaidi100_push_doc_example.param.json not found: the documentation example is skipped)"
fi

step "replay: a return ($REPLAY_SHOWN/returns.jsonl)"
publish "$REPLAY/returns.jsonl" 0 "RT2411130001 for PD2411110001: requested -> approved -> parcel_sent"

# ---- the delay ---------------------------------------------------------------------------
# What the delay timer should find: the stalled parcel (its promise passed five
# minutes before the replay) and the documentation example (no scan since 2012).
EXPECT_DELAYED="$STALLED_NU"
[ -n "$DOC_PUSHED" ] && EXPECT_DELAYED="$DOC_NU $STALLED_NU" # sorted
step "waiting for the delay timer"
info "$STALLED_CARRIER $STALLED_NU was promised for $(cst $((SAMPLE_PROMISE_S + SHIFT_S))) CST (sample: $(cst "$SAMPLE_PROMISE_S")),"
info "last scanned $(cst $((SAMPLE_LAST_SCAN_S + SHIFT_S))) CST (sample: $(cst "$SAMPLE_LAST_SCAN_S")): promise missed"
[ -n "$DOC_PUSHED" ] && info "yuantong $DOC_NU (the documentation example): last scan 2012, no scan for ${NO_SCAN_TEXT}"
is_delayed() {
  q "SELECT count(*) FROM logistics.shipments WHERE tracking_no = '$1' AND delay_episodes > 0" | grep -qx '[1-9][0-9]*'
}
delayed_in_file() { grep '"logistics.delayed"' "$EVENTS" 2>/dev/null | grep -q "\"trackingNo\":\"$1\""; }
all_delayed() {
  for nu in $EXPECT_DELAYED; do is_delayed "$nu" && delayed_in_file "$nu" || return 1; done
}
start=$(date +%s)
while ! all_delayed && [ $(($(date +%s) - start)) -lt "$DELAY_TIMEOUT" ]; do sleep 0.25; done
waited=$(($(date +%s) - start))
if all_delayed; then
  info "logistics.delayed for $(echo "$EXPECT_DELAYED" | sed 's/ / and /') in the outbox and in $EVENTS_SHOWN (after ${waited} s)"
  # One more timer round, so that a delay nobody expected would show too.
  sleep "$(awk -v ms="$CHECK_MS" 'BEGIN { s = ms * 1.5 / 1000; if (s > 3) s = 3; printf "%.2f", s }')"
else
  for nu in $EXPECT_DELAYED; do
    is_delayed "$nu" || problem "no logistics.delayed for $nu within ${DELAY_TIMEOUT} s"
    delayed_in_file "$nu" || problem "logistics.delayed for $nu did not reach $EVENTS_SHOWN within ${DELAY_TIMEOUT} s"
  done
  info "still not all delayed after ${DELAY_TIMEOUT} s"
fi
# Let the tail catch up with everything the service committed so far.
PUBLISHER=$(q "SELECT publisher FROM bus.publishers WHERE publisher LIKE 'logistics-%' ORDER BY started_at DESC LIMIT 1")
lag_sql="SELECT coalesce((SELECT max(seq) FROM bus.outbox WHERE publisher = '$PUBLISHER'), 0)
  - coalesce((SELECT seq FROM bus.offsets WHERE consumer = 'tail:demo' AND publisher = '$PUBLISHER'), 0)"
i=0
while [ "$(q "$lag_sql")" != 0 ] && [ $i -lt 40 ]; do sleep 0.25; i=$((i + 1)); done
lag=$(q "$lag_sql")
[ "$lag" = 0 ] || problem "peakdesk tail is $lag events behind $PUBLISHER"

# ---- summary -------------------------------------------------------------------------------
CST="AT TIME ZONE INTERVAL '+08:00'"
ts() { echo "to_char($1 $CST, 'YYYY-MM-DD HH24:MI')"; }
step "what happened (all times China Standard Time, the sample's shifted by $(span "$SHIFT_S"))"
info "orders:      $(q "SELECT sum(n) || ' (' || string_agg(status || ' ' || n, ', ' ORDER BY n DESC) || ')'
  FROM (SELECT status, count(*) n FROM logistics.orders GROUP BY status) s")"
info "             $(q "SELECT count(*) || ' line items, ' || sum(quantity) || ' units, ¥' || to_char(sum(quantity * unit_price_cents) / 100.0, 'FM999999990.00')
  FROM logistics.order_items")"
info "customers:   $(q "SELECT string_agg(CASE channel WHEN 1 THEN 'app/webhook' WHEN 2 THEN 'WeChat' WHEN 3 THEN 'e-mail' ELSE 'other' END || ' ' || n, ', ' ORDER BY n DESC)
  FROM (SELECT channel, count(*) n FROM logistics.orders GROUP BY channel) s")"
info "shipments:   $(q "SELECT sum(n) || ' (' || string_agg(state || ' ' || n, ', ' ORDER BY n DESC) || ')'
  FROM (SELECT state, count(*) n FROM logistics.shipments GROUP BY state) s")"
info "tracking:    $(q "SELECT count(*) || ' carrier scans on ' || count(DISTINCT (carrier, tracking_no)) || ' parcels' FROM logistics.tracking_events")"
say ""
table "SELECT s.carrier, s.tracking_no, s.order_id, s.state, count(t.*) AS scans,
  $(ts s.last_scan_at) AS last_scan, left(s.last_scan_text, 24) AS last_scan_text
  FROM logistics.shipments s LEFT JOIN logistics.tracking_events t USING (carrier, tracking_no)
  WHERE s.last_scan_at IS NOT NULL GROUP BY s.shipment_id ORDER BY s.carrier, s.tracking_no"
say ""
info "returns:"
table "SELECT r.return_id, r.order_id, r.state, r.reason,
  (SELECT string_agg(to_state, ' -> ' ORDER BY at, recorded_at) FROM logistics.return_steps st WHERE st.return_id = r.return_id) AS steps
  FROM logistics.returns r ORDER BY r.return_id"
say ""
info "delayed shipments (logistics.delayed, once per delay episode):"
table "SELECT carrier, tracking_no, order_id, state, $(ts last_scan_at) AS last_scan,
  $(ts promised_delivery) AS promised, CASE WHEN promised_delivery < delayed_at THEN 'promise missed' ELSE 'no scan' END AS reason,
  delay_episodes AS episodes, $(ts delayed_at) AS detected
  FROM logistics.shipments WHERE delay_episodes > 0
  ORDER BY (tracking_no = '$STALLED_NU') DESC, delayed_at LIMIT 8"
n_delayed=$(q "SELECT count(*) FROM logistics.shipments WHERE delay_episodes > 0")
[ "${n_delayed:-0}" -gt 8 ] && info "    ... $((n_delayed - 8)) more"
info "  $STALLED_NU: the sample's stalled parcel, its promise passed 5 minutes before the replay"
[ -n "$DOC_PUSHED" ] && info "  $DOC_NU: Kuaidi100's documentation example, scanned in 2012 and never since"
info "  the other parcels' promises are ahead and their labels/scans younger than ${NO_SCAN_TEXT}"
say ""
info "events emitted (bus.outbox, publisher $PUBLISHER):"
table "SELECT topic, count(*) AS events, max(seq) AS last_seq FROM bus.outbox GROUP BY topic ORDER BY topic"
say ""
events_now=$(lines "$EVENTS")
info "$EVENTS_SHOWN (peakdesk tail): $events_now lines, $((events_now - events_before)) from this run; the last ones:"
tail -n 6 "$EVENTS" | awk '{
  out = ""
  n = split("seq topic orderId carrier trackingNo state previousState reason returnId", k, " ")
  for (i = 1; i <= n; i++)
    if (match($0, "\"" k[i] "\":\"?[^\",}]*")) {
      v = substr($0, RSTART + length(k[i]) + 3, RLENGTH - length(k[i]) - 3)
      sub(/^"/, "", v); sub(/^(SHIPMENT_STATE_|RETURN_STATE_|DELAY_REASON_)/, "", v)
      out = out (out == "" ? "" : "  ") k[i] "=" v
    }
  print "      " out
}'
info "the delay event as peakdesk tail wrote it:"
grep '"logistics.delayed"' "$EVENTS" 2>/dev/null | grep "$STALLED_NU" | tail -n 1 | sed 's/^/      /'
info "(all of it: cat $EVENTS_SHOWN)"

# ---- checks --------------------------------------------------------------------------------
chk() { # chk "what" SQL expected
  got=$(q "$2")
  [ "$got" = "$3" ] || problem "$1: expected $3, got ${got:-nothing}"
}
chk "sample orders stored" "SELECT count(*) FROM logistics.orders WHERE order_id LIKE 'PD2411110%'" 36
chk "sample shipments stored" "SELECT count(*) FROM logistics.shipments WHERE order_id LIKE 'PD2411110%'" 30
chk "the stale 'created' report did not move SF140000241105" "SELECT state FROM logistics.shipments WHERE tracking_no = 'SF140000241105'" collected
chk "in-transit push" "SELECT state FROM logistics.shipments WHERE tracking_no = 'ZT731200241104'" in_transit
chk "delivered push" "SELECT state FROM logistics.shipments WHERE tracking_no = 'SF140000241101'" delivered
chk "refused push" "SELECT state FROM logistics.shipments WHERE tracking_no = 'YT900000241103'" exception
chk "scans of the sample pushes, each once" "SELECT count(*) FROM logistics.tracking_events WHERE tracking_no IN ('ZT731200241104', 'SF140000241101', 'YD431200241102', 'YT900000241103')" 16
chk "the stalled parcel's last scan, shifted" "SELECT round(extract(epoch FROM last_scan_at))::bigint FROM logistics.shipments WHERE tracking_no = '$STALLED_NU'" $((SAMPLE_LAST_SCAN_S + SHIFT_S))
chk "the return" "SELECT state FROM logistics.returns WHERE return_id = 'RT2411130001'" parcel_sent
chk "logistics.delayed for $STALLED_NU in the outbox" "SELECT count(*) > 0 FROM bus.outbox WHERE topic = 'logistics.delayed' AND position(convert_to('$STALLED_NU', 'UTF8') IN payload) > 0" t
grep '"logistics.delayed"' "$EVENTS" 2>/dev/null | grep "\"trackingNo\":\"$STALLED_NU\"" | grep -q DELAY_REASON_PROMISE_MISSED ||
  problem "the logistics.delayed for $STALLED_NU does not say DELAY_REASON_PROMISE_MISSED"
if [ -n "$FRESH" ] && [ -n "$NO_SCAN_DEFAULT" ]; then
  # On a fresh database with the demo's window, these and nothing else.
  chk "delayed shipments (exactly)" "SELECT coalesce(string_agg(tracking_no, ' ' ORDER BY tracking_no), '') FROM logistics.shipments WHERE delay_episodes > 0" "$EXPECT_DELAYED"
  chk "logistics.delayed events (exactly)" "SELECT count(*) FROM bus.outbox WHERE topic = 'logistics.delayed'" "$(echo "$EXPECT_DELAYED" | wc -w | tr -d " ")"
fi
for topic in logistics.shipment_updated logistics.exception logistics.return_updated logistics.delayed; do
  grep -q "\"$topic\"" "$EVENTS" 2>/dev/null || problem "no $topic in $EVENTS_SHOWN"
done

# ---- how to look ---------------------------------------------------------------------------
step "how to look (in another terminal)"
cat <<EOF
    export PEAKDESK_DB="$PEAKDESK_DB"
    export PEAKDESK_RUN_DIR="$PEAKDESK_RUN_DIR" PEAKDESK_LOGISTICS_HTTP=$HTTP
    export PATH="$BIN:\$PATH"

    peakdesk tail --name you                      # every event kept, then live; re-run it and it goes on where it stopped
    peakdesk tail --name you2 --topic logistics.delayed
    peakdesk status                               # health, publishers' last seq, consumers' lag
    psql "\$PEAKDESK_DB" -c 'SELECT carrier, tracking_no, order_id, state, last_scan_at, delay_episodes FROM logistics.shipments ORDER BY updated_at DESC LIMIT 10'
    psql "\$PEAKDESK_DB" -c 'SELECT * FROM logistics.tracking_events ORDER BY scanned_at DESC LIMIT 10'
    psql "\$PEAKDESK_DB" -c 'SELECT * FROM analytics.shipments LIMIT 10'   # the analysts' view
    curl -s http://$HTTP/metrics | grep -v '^#'
    tail -f $(rel "$LOG")
    # a Kuaidi100 push of your own (salt "$SALT"; the stalled parcel's push as replayed, times shifted):
    p=\$(cat $REPLAY_SHOWN/kuaidi100/03_stalled.param.json); s=\$(printf %s%s "\$p" '$SALT' | md5sum | cut -c1-32 | tr a-f A-F)
    curl --data-urlencode "param=\$p" --data-urlencode "sign=\$s" http://$HTTP/v1/carriers/kuaidi100
EOF

if [ -n "$FAILURES" ]; then
  step "the demo did NOT produce what it should:$FAILURES"
  info "logs: $VAR_SHOWN/log/ (logistics.log, tail.log, publish-*)"
  if [ -n "$RUN_ONCE" ]; then exit 1; fi
else
  step "demo OK: every expected row and event is there"
fi

if [ -n "$RUN_ONCE" ]; then
  info "PEAKDESK_RUN_ONCE is set: stopping now"
  exit 0
fi

# ---- run until Ctrl-C ------------------------------------------------------------------------
step "running; Ctrl-C stops the tail, the service and PostgreSQL"
# When the next parcel turns late by the service's rules: a window without a
# scan (from the last scan, else the label) or a promise passing.
win_s=$(awk -v h="$NO_SCAN_HOURS" 'BEGIN { printf "%d", h * 3600 }')
next_due=$(q "SELECT $(ts 'min(t)') FROM (
  SELECT greatest(last_scan_at, created_at) + make_interval(secs => $win_s) AS t FROM logistics.shipments
  WHERE $win_s > 0 AND NOT delay_open AND state NOT IN ('delivered', 'returned', 'exception')
  UNION ALL
  SELECT promised_delivery FROM logistics.shipments
  WHERE NOT delay_open AND state NOT IN ('delivered', 'returned', 'exception', 'returning')) s")
info "parcels with no new scan for ${NO_SCAN_TEXT}, or whose promise passes, turn late, once each:"
info "new logistics.delayed show up here (the next one is due ${next_due:-never} CST)"
seen=$(q "SELECT count(*) FROM bus.outbox WHERE topic = 'logistics.delayed'")
while :; do
  sleep 2
  if ! kill -0 "$SVC_PID" 2>/dev/null; then
    wait "$SVC_PID" 2>/dev/null
    st=$?
    SVC_PID=""
    say "peakdesk-logistics exited on its own (status $st); its last lines:"
    tail -n 15 "$LOG"
    exit 1
  fi
  if ! kill -0 "$TAIL_PID" 2>/dev/null; then
    wait "$TAIL_PID" 2>/dev/null
    TAIL_PID=""
    say "peakdesk tail exited on its own; see $VAR_SHOWN/log/tail.log"
  fi
  now=$(q "SELECT count(*) FROM bus.outbox WHERE topic = 'logistics.delayed'")
  if [ -n "$now" ] && [ -n "$seen" ] && [ "$now" -gt "$seen" ]; then
    new=$((now - seen))
    list=$(q "SELECT string_agg(carrier || ' ' || tracking_no, ', ') FROM (SELECT carrier, tracking_no FROM logistics.shipments
      WHERE delay_episodes > 0 ORDER BY delayed_at DESC, tracking_no LIMIT least($new, 5)) s")
    [ "$new" -gt 5 ] && list="$list and $((new - 5)) more"
    info "$(date +%H:%M:%S) logistics.delayed x$new: $list"
    seen=$now
  fi
done
