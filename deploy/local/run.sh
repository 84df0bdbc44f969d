#!/bin/sh
# `make run`: the suite on this machine, with a sample Double 11 promo day.
#
# At this stage: a private PostgreSQL in var/pg, migrations, the department
# services (logistics, stock, promo), the channel gateway and the ticket
# router, a durable `peakdesk tail` writing var/events.jsonl, then a replay of
# tests/data/sample in the order it happened: operations' campaign
# double11-2024 with its windows, rule texts, main-day SLA override and 72
# hourly sales targets (promo.jsonl; the promo service computes the Erlang C
# staffing forecast), the midnight rush's orders, the stock levels of that
# night (stock.jsonl up to 11-11 08:00: the earbuds SKU-EAR-PRO2 sell out in
# WH-CHENGDU at 01:05 with three unshipped orders, and a transfer ends that
# stock-out at 07:40, before the first parcel is packed), shipment updates
# with one impossible transition, Kuaidi100 carrier pushes, a return, the
# rest of the stock reports (the earbuds out again at 17:20 on 11-13, restock
# days later, now with one unshipped order; a stale report sent late that must
# not end it) and one stalled parcel that the delay timer turns into
# logistics.delayed. The router tells the customers of the affected orders
# (once per customer per stock-out, and again when the stock is back) on the
# accounts the orders name, "app" and the Official Account's original id,
# which the demo registers too: app customers' notices reach the receiver;
# WeChat allows no message to a follower who has not written in 48 h, so the
# gateway gives those up (the summary shows which notice went where).
# Then the customers' side (tests/data/sample/channels): customers write on
# web chat (signed webhook), WeChat (signed XML callback) and e-mail (piped
# like an MTA does), the router opens their tickets (first response due
# within the campaign's main-day target on chat), an agent reads her queue
# and answers one web-chat and one e-mail ticket through the agent API, and
# the gateway delivers the replies and the proactive notices to a local
# web-chat receiver (tests/tools/http_receiver.py, var/webchat-received.jsonl;
# it stands in for the app and WeChat's send API too) and to a stand-in
# sendmail (var/mail/NNN.eml). Then she resolves both tickets and a team
# lead comes online: the survey collector (peakdesk-survey) sends each
# customer one invitation with a signed link, through the gateway (the
# receiver, a mail file); the web-chat customer replies a bare "5" on the
# channel (the router hands it to the collector instead of reopening the
# ticket), the e-mail customer opens the link from his mail and posts the
# form as a phone does, with a 2 and a comment: a low score, so the router
# opens a service-recovery ticket for the lead, linked to his ticket. Last,
# `peakdesk report` writes the campaign's promo-day report,
# var/report.html (one self-contained page: inline SVG, no script, no
# external asset), and a login role analyst_demo (member of
# peakdesk_analyst) is there to query the analytics views with psql.
# Prints what happened (the campaign, its forecast, stock, stock-outs,
# notices and surveys too), the customers' progress pages and how to look,
# then runs until Ctrl-C (SIGINT/SIGTERM) and stops everything in order:
# tail, gateway, survey, router, logistics, stock, promo, receiver,
# PostgreSQL.
#
# Time. The sample is written with fixed dates (Double 11 2024, China time)
# and replayed relative to now: every time in it (the *Ms fields of the
# events and web-chat messages, "time"/"ftime" of the Kuaidi100 scans, China
# time, WeChat CreateTime, e-mail Date:) is moved by one shift, so that
# sample time 2024-11-13 18:05 CST, five minutes after the stalled parcel's
# promised delivery, is the moment of the replay. That promise has just been
# missed; every other promise (the orders', 11-16) is still ahead; the
# Double 11 labels and scans are one to three days old; the customers wrote
# in the last half hour; the campaign's main day (11-11 00:00 to 11-14 00:00)
# holds now, so it is live and sets the new tickets' SLA. The sales targets'
# hours are moved by the same shift and then down to the top of their hour
# (the service takes targets for whole hours only). The demo's no-scan window
# is 72 h, so those parcels are not late yet (with the production 24 h, the
# ~25 parcels the sample has no carrier scans for would all be late at once;
# try PEAKDESK_LOGISTICS_NO_SCAN_HOURS=24). The shifted copies go to var/replay/
# (the sample files keep their 2024 dates); the Kuaidi100 pushes, web-chat
# posts and WeChat callbacks are signed when sent. Delays expected on a fresh
# var: yunda YD431200241102 (promise missed) and, when ../shared/data has it,
# Kuaidi100's documentation example V030344422 (last scan 2012: no scan).
#
# Re-running on the same var: the shift of the first run is read back from
# the database (the stored order time of PD2411110001) and used again, so the
# events (orders, stock levels, campaign and targets alike) come back
# DUPLICATE (their ids are fixed) and no forecast, stock-out or notice
# happens twice, the re-sent pushes store no scan twice, the customers'
# messages are duplicates (fixed message ids, MsgIds and Message-IDs), the
# agent's replies and resolutions (Idempotency-Key per ticket) are not sent
# twice, no ticket is surveyed twice, and the customers' answers come back
# "duplicate" (the web-chat "5" has a fixed message id) and 409 (the form: a
# survey is answered once; 410 once the link's 72 h are over). On a
# later day the stored times are still the first day's: that story has aged,
# more parcels turn late and, six hours after the first run, the campaign's
# main day is over (not live); remove the var directory for a fresh day.
#
#   PEAKDESK_VAR_DIR      the directory for all of it (cluster, logs, sockets,
#                         events.jsonl, replay/, mail/); default ./var. A
#                         relative path is taken from the caller's directory.
#   PEAKDESK_RUN_ONCE=1   stop right after the summary; exit 1 when the demo
#                         did not produce what it should (tests, CI)
#   PEAKDESK_LOGISTICS_HTTP, PEAKDESK_STOCK_HTTP, PEAKDESK_PROMO_HTTP,
#   PEAKDESK_GATEWAY_HTTP, PEAKDESK_ROUTER_HTTP, PEAKDESK_SURVEY_HTTP
#                         the services' addresses; default 127.0.0.1:8082,
#                         :8083, :8084, :8080, :8081 and :8085, or the first
#                         free port from 18082, 18083, 18084, 18080, 18081 and
#                         18085 when the default is taken (the web-chat
#                         receiver takes the first free one from 18090); the
#                         survey links point at the survey's own address
#                         (PEAKDESK_SURVEY_PUBLIC_URL, set by the demo)
#   PEAKDESK_KUAIDI100_SALT, PEAKDESK_LOGISTICS_NO_SCAN_HOURS,
#   PEAKDESK_LOGISTICS_DELAY_CHECK_MS
#                         override the demo defaults below
#   PEAKDESK_PROMO_CONSULTATION_RATE, _AHT_SECONDS, _CHAT_CONCURRENCY, ...
#                         the forecast's inputs (peakdesk-promo --help) reach
#                         the promo service as they are; a caller's
#                         PEAKDESK_ROUTER_FIRST_RESPONSE_MINUTES (and the next-
#                         response and resolution ones) do not: the demo shows
#                         the SLA table and the campaign's override
#   PEAKDESK_SURVEY_SECRET the survey links' HMAC key; default a demo secret
#                         (printed in "how to look")
#   PEAKDESK_SURVEY_QUIET_HOURS
#                         default none in the demo (see "demo settings" for
#                         why); a caller's value passes, e.g. 00:00-23:59 to
#                         see the invitations queued; a caller's
#                         PEAKDESK_SURVEY_KINDS, _MIN_DAYS and _EXPIRY_HOURS do
#                         not: the demo's customers answer a CSAT question
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

for b in peakdesk peakdesk-logistics peakdesk-stock peakdesk-promo peakdesk-gateway peakdesk-router peakdesk-survey; do
  [ -x "$BIN/$b" ] || die "$BIN/$b is missing: build first (make)"
done
for t in psql curl md5sum sha1sum openssl python3; do
  command -v "$t" >/dev/null 2>&1 || die "$t not found (deploy/install-deps.sh installs it)"
done

# Only the settings of this run: a conninfo or address left in the caller's
# environment must not point a binary elsewhere.
unset PEAKDESK_INSTANCE
for s in GATEWAY ROUTER LOGISTICS STOCK PROMO SURVEY; do
  unset "PEAKDESK_${s}_DB" "PEAKDESK_${s}_PUB" "PEAKDESK_${s}_INGEST"
done
# The demo's SLA targets are the SLA table's and the campaign's.
unset PEAKDESK_ROUTER_FIRST_RESPONSE_MINUTES PEAKDESK_ROUTER_NEXT_RESPONSE_MINUTES PEAKDESK_ROUTER_RESOLUTION_MINUTES
# The demo's customers answer a CSAT question (a bare "5", a form with a 2),
# asked once, on links that work for the default 72 h; the links point at
# the collector itself.
unset PEAKDESK_SURVEY_KINDS PEAKDESK_SURVEY_MIN_DAYS PEAKDESK_SURVEY_EXPIRY_HOURS PEAKDESK_SURVEY_PUBLIC_URL

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
# Operations' campaign (promo.jsonl): its main day runs 11-11 00:00 to 11-14
# 00:00, so the replay moment is in it; chat tickets opened in it get a
# 3-minute first response. The stock reports (stock.jsonl) before the first
# parcel is packed (11-11 08:00) are replayed right after the orders, the
# rest after the return: each stock-out finds the orders unshipped at its time.
CAMPAIGN=double11-2024
SAMPLE_MAIN_START_S=1731254400
SAMPLE_MAIN_END_S=1731513600
SAMPLE_PACKING_S=1731283200
STOCK_SKU=SKU-EAR-PRO2
STOCK_WH=WH-CHENGDU
STOCK_KEY=$STOCK_SKU@$STOCK_WH
# The stock-outs of the earbuds in Chengdu: the night's (01:05, ended by a
# transfer at 07:40) hit the three orders not yet packed; today's (17:20,
# restock in three days) the one still unshipped. The report measured at
# 16:50 (version 52) comes after the 17:20 one (version 53): ignored.
EP1_ORDERS="PD2411110001 PD2411110017 PD2411110033"
EP2_ORDERS="PD2411110033"
STOCKOUT_VERSION=53
STALE_VERSION=52
NO_SCAN_TEXT=$(awk -v h="$NO_SCAN_HOURS" 'BEGIN { m = h * 60; if (m < 120) printf "%g min", m; else printf "%g h", h }')
# The customers' side: three channel accounts and one agent. The secrets are
# the demo's own (printed in "how to look" so you can sign messages of your own).
WEBCHAT_SECRET=peakdesk-demo-webchat-secret
WECHAT_TOKEN=peakdeskDemoToken2024
MAIL_FROM=service@peakdesk-shop.example
APP_SECRET=peakdesk-demo-app-secret
AGENT=xiaomei
# The two customers the agent answers (tests/data/sample/channels), and the
# Message-ID of the e-mail she answers (the reply's In-Reply-To). The other
# e-mail, a GB2312 complaint threatening 差评 and 12315, goes to the
# complaints group, not to her frontline queue.
WC_USER=app-u-100226
MAIL_USER=xu.tao.2014@example.com
MAIL_MSGID=CAPd11.20241113.0034.xu.tao@example.com
COMPLAINT_USER=chen.jing.1984@example.com
COMPLAINT_MSGID=20241113175231.63a1@mail.example.com
CHANNEL_TIMEOUT=30
# Surveys. Once the agent has resolved her two tickets, the survey collector
# asks both customers (CSAT, 1-5). The links are signed with this secret
# (printed in "how to look", so you can check a token yourself).
SURVEY_SECRET=${PEAKDESK_SURVEY_SECRET:-peakdesk-demo-survey-secret}
# Quiet hours: none in the demo unless the caller sets them. In production
# (default 22:00-08:00 China time) an invitation due at night waits, state
# queued, until the window ends; the demo runs at any hour and must show the
# customers' answers, so it asks at once. To see quiet hours at work:
#   PEAKDESK_SURVEY_QUIET_HOURS=00:00-23:59 make run
# (a window that holds now: the summary shows the invitations queued with
# their send time, and the customers have nothing to answer yet), or psql
# "SELECT ticket_public_id, state, send_at FROM survey.invitations".
SURVEY_QUIET=${PEAKDESK_SURVEY_QUIET_HOURS:-none}
SURVEY_QUIET_DEFAULT=""
[ -z "${PEAKDESK_SURVEY_QUIET_HOURS:-}" ] && SURVEY_QUIET_DEFAULT=1
# The team lead a low score's service-recovery ticket goes to: xiaomei's
# groups, tier lead (recovery tickets are for leads and above).
LEAD=zhoulin
# The customers' answers: the web-chat customer replies a bare "5" (a fixed
# message id, so a re-run is a duplicate); the e-mail customer posts the
# form from his mail with a 2 and a comment, a low score.
WC_SURVEY_MSGID=wc-demo-survey-answer-1
MAIL_CSAT=2
MAIL_COMMENT="等了三天还没发货，每次问都说加急，太失望了"
# The promo-day report (peakdesk report): every chart is an inline <svg>
# (drawn as "no data" when empty): nine today, at least eight asked for.
REPORT_MIN_SVG=8
ANALYST=analyst_demo

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

# stop_proc NAME PID [TERM_OK]: SIGTERM, wait up to 20 s, then SIGKILL. With
# TERM_OK, dying of that SIGTERM is a clean stop (python's http.server has no
# handler of its own: exit status 143).
stop_proc() {
  name=$1 pid=$2 term_ok=${3:-}
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
  if [ "$st" = 0 ] || [ "$st" = 127 ] || { [ -n "$term_ok" ] && [ "$st" = 143 ]; }; then
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
LOGISTICS_PID=""
STOCK_PID=""
PROMO_PID=""
GATEWAY_PID=""
ROUTER_PID=""
SURVEY_PID=""
RECEIVER_PID=""
UNCLEAN=""
PG_STARTED=""
PGDIR=""
RUNDIR=""
CLEANED=""
rmpid() { [ -n "$RUNDIR" ] && rm -f "$RUNDIR/$1.pid"; }
# stop_svc NAME: stops peakdesk-NAME (PID in ${NAME}_PID) and removes its pid file.
stop_svc() {
  eval "pid=\${$(echo "$1" | tr a-z A-Z)_PID}"
  stop_proc "peakdesk-$1" "$pid"
  eval "$(echo "$1" | tr a-z A-Z)_PID="
  rmpid "$1"
}
cleanup() {
  [ -n "$CLEANED" ] && return 0
  CLEANED=1
  step "stopping"
  stop_proc "peakdesk tail (demo)" "$TAIL_PID"
  TAIL_PID=""
  rmpid tail-demo
  # Ingress first: the gateway (no new messages or agent calls) and the
  # survey collector (no new answers on its links); the collector before the
  # router, so the router still takes its last survey.low_score (what the
  # router emits after, the collector reads from bus.outbox when it starts
  # again). Then the department services; the receiver once nothing
  # delivers to it.
  stop_svc gateway
  stop_svc survey
  stop_svc router
  stop_svc logistics
  stop_svc stock
  stop_svc promo
  stop_proc "web-chat receiver (http_receiver.py)" "$RECEIVER_PID" term_ok
  RECEIVER_PID=""
  rmpid receiver
  for a in "${HTTP:-}" "${ST_HTTP:-}" "${PM_HTTP:-}" "${GW_HTTP:-}" "${RT_HTTP:-}" "${SV_HTTP:-}"; do
    if [ -n "$a" ] && curl -fsS -m 2 "http://$a/healthz" >/dev/null 2>&1; then
      info "warning: something still answers on http://$a after the services stopped"
    fi
  done
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

say "peakdesk make run: a private PostgreSQL, peakdesk-logistics, -stock, -promo, -gateway, -router and"
say "-survey, and a sample Double 11 promo day replayed relative to now: the campaign and its staffing"
say "forecast, departments' events (orders, stock-outs, parcels), customers on web chat, WeChat and e-mail,"
say "their tickets, proactive notices, an agent's replies, satisfaction surveys and a low score's"
say "recovery ticket, and the promo-day report."
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
RUN_STARTED=$(q 'SELECT now()')
info "up: $PEAKDESK_DB"

step "migrate"
PEAKDESK_SCHEMA_DIR=$ROOT/schema "$BIN/peakdesk" migrate 2>&1 | sed 's/^/    /'
q "SELECT 1 FROM pg_namespace WHERE nspname = 'logistics'" | grep -q 1 || die "migration failed"

# ---- services ----------------------------------------------------------------------
PEAKDESK_RUN_DIR=$RUNDIR
export PEAKDESK_RUN_DIR
for f in logistics:peakdesk-logistics stock:peakdesk-stock promo:peakdesk-promo gateway:peakdesk-gateway \
  router:peakdesk-router survey:peakdesk-survey receiver:http_receiver.py "tail-demo:tail --name demo"; do
  name=${f%%:*} pat=${f#*:}
  if p=$(live_pid "$RUNDIR/$name.pid" "$pat"); then
    case $name in
    tail-demo) name="peakdesk tail (demo)" ;;
    receiver) name="web-chat receiver (http_receiver.py)" ;;
    *) name=peakdesk-$name ;;
    esac
    info "$name (pid $p) from an earlier run is still running: stopping it"
    stop_proc "$name" "$p" term_ok
  fi
done

# pick_port VAR DEFAULT FALLBACK WHAT: sets VAR to 127.0.0.1:DEFAULT when that
# port is free, else to the first free one from FALLBACK (outside 8080-8085,
# the services' defaults, which `peakdesk status` probes); never a port this
# run already gave to another program.
CHOSEN_PORTS=" "
chosen() { case "$CHOSEN_PORTS" in *" $1 "*) return 0 ;; esac; return 1; }
pick_port() {
  var=$1 port=$2 base=$3 what=$4
  if [ -z "$port" ] || port_in_use "$port" || chosen "$port"; then
    port=$base
    while { port_in_use "$port" || chosen "$port"; } && [ "$port" -lt $((base + 100)) ]; do port=$((port + 1)); done
    { port_in_use "$port" || chosen "$port"; } && die "ports ${2:+$2 and }$base-$((base + 100)) are all taken: set $var"
    [ -n "$2" ] && info "note: port $2 is taken (another copy of peakdesk?); $what uses $port"
  fi
  CHOSEN_PORTS="$CHOSEN_PORTS$port "
  eval "$var=127.0.0.1:\$port"
}
# Addresses given by the caller are used as they are (and kept from the others).
for v in PEAKDESK_LOGISTICS_HTTP PEAKDESK_STOCK_HTTP PEAKDESK_PROMO_HTTP PEAKDESK_GATEWAY_HTTP PEAKDESK_ROUTER_HTTP \
  PEAKDESK_SURVEY_HTTP; do
  eval "a=\${$v:-}"
  [ -n "$a" ] && CHOSEN_PORTS="$CHOSEN_PORTS${a##*:} "
done

# start_service NAME: build/bin/peakdesk-NAME in its own session, log in
# var/log/NAME.log, pid in ${NAME}_PID and run/NAME.pid; waits for /healthz
# (its answer in HEALTH).
start_service() {
  name=$1
  eval "addr=\$PEAKDESK_$(echo "$name" | tr a-z A-Z)_HTTP"
  log=$VAR/log/$name.log
  log_start=$(lines "$log")
  $SETSID "$BIN/peakdesk-$name" >>"$log" 2>&1 </dev/null &
  pid=$!
  eval "$(echo "$name" | tr a-z A-Z)_PID=$pid"
  echo "$pid" >"$RUNDIR/$name.pid"
  i=0
  HEALTH=""
  while [ $i -lt 150 ]; do
    if HEALTH=$(curl -fsS "http://$addr/healthz" 2>/dev/null); then break; fi
    if ! kill -0 "$pid" 2>/dev/null; then
      wait "$pid" 2>/dev/null
      eval "$(echo "$name" | tr a-z A-Z)_PID="
      say "peakdesk-$name exited at start; its log ($log):"
      tail -n +"$((log_start + 1))" "$log" | tail -n 20
      exit 1
    fi
    sleep 0.2
    i=$((i + 1))
  done
  [ -n "$HEALTH" ] || { say "peakdesk-$name did not become healthy in 30 s; log:"; tail -n 20 "$log"; exit 1; }
  info "pid $pid, http://$addr (healthz: $HEALTH)"
}

step "peakdesk-logistics"
[ -n "${PEAKDESK_LOGISTICS_HTTP:-}" ] || pick_port PEAKDESK_LOGISTICS_HTTP 8082 18082 peakdesk-logistics
export PEAKDESK_LOGISTICS_HTTP
HTTP=$PEAKDESK_LOGISTICS_HTTP
PEAKDESK_KUAIDI100_SALT=$SALT
PEAKDESK_LOGISTICS_NO_SCAN_HOURS=$NO_SCAN_HOURS
PEAKDESK_LOGISTICS_DELAY_CHECK_MS=$CHECK_MS
PEAKDESK_LOGISTICS_PROMISE_GRACE_MINUTES=0
export PEAKDESK_KUAIDI100_SALT PEAKDESK_LOGISTICS_NO_SCAN_HOURS PEAKDESK_LOGISTICS_DELAY_CHECK_MS
export PEAKDESK_LOGISTICS_PROMISE_GRACE_MINUTES
LOG=$VAR/log/logistics.log
start_service logistics
info "ingest ipc://$PEAKDESK_RUN_DIR/logistics.ingest, events on ipc://$PEAKDESK_RUN_DIR/logistics.pub"
info "log: $(rel "$LOG")"
info "delay policy for the demo: late after ${NO_SCAN_TEXT} without a scan (production: 24 h)"
info "or once a promised delivery time has passed (no grace); the timer runs every ${CHECK_MS} ms"

step "peakdesk-stock (SKU levels per warehouse, stock-outs with the orders they hit)"
[ -n "${PEAKDESK_STOCK_HTTP:-}" ] || pick_port PEAKDESK_STOCK_HTTP 8083 18083 peakdesk-stock
export PEAKDESK_STOCK_HTTP
ST_HTTP=$PEAKDESK_STOCK_HTTP
start_service stock
info "ingest ipc://$PEAKDESK_RUN_DIR/stock.ingest (topic stock.level), events on ipc://$PEAKDESK_RUN_DIR/stock.pub"
info "log: $(rel "$VAR/log/stock.log")"

step "peakdesk-promo (campaigns, rule texts, sales targets, staffing forecasts)"
[ -n "${PEAKDESK_PROMO_HTTP:-}" ] || pick_port PEAKDESK_PROMO_HTTP 8084 18084 peakdesk-promo
export PEAKDESK_PROMO_HTTP
PM_HTTP=$PEAKDESK_PROMO_HTTP
start_service promo
info "ingest ipc://$PEAKDESK_RUN_DIR/promo.ingest (promo.campaign, promo.sales_target), events on ipc://$PEAKDESK_RUN_DIR/promo.pub"
info "agents' rule search: GET http://$PM_HTTP/v1/rules?q=KEYWORD; log: $(rel "$VAR/log/promo.log")"

# The channels' far ends, on this machine: a web-chat platform that records
# what the gateway delivers to it (it answers like WeChat's send API too, so
# no reply ever leaves the machine), and a sendmail that files each mail.
RECEIVED=$VAR/webchat-received.jsonl
RECEIVED_SHOWN=$(rel "$RECEIVED")
MAILDIR=$VAR/mail
MAILDIR_SHOWN=$(rel "$MAILDIR")
mkdir -p "$MAILDIR" || die "cannot create $MAILDIR"
pick_port RECEIVER_HTTP "" 18090 "the web-chat receiver"
step "the web-chat platform's receiver (tests/tools/http_receiver.py) on http://$RECEIVER_HTTP"
$SETSID python3 "$ROOT/tests/tools/http_receiver.py" "${RECEIVER_HTTP##*:}" "$RECEIVED" \
  --body '{"ok":true,"errcode":0,"errmsg":"ok"}' >>"$VAR/log/receiver.log" 2>&1 </dev/null &
RECEIVER_PID=$!
echo "$RECEIVER_PID" >"$RUNDIR/receiver.pid"
i=0
while ! port_in_use "${RECEIVER_HTTP##*:}" && [ $i -lt 100 ]; do
  kill -0 "$RECEIVER_PID" 2>/dev/null || break
  sleep 0.1
  i=$((i + 1))
done
if ! port_in_use "${RECEIVER_HTTP##*:}"; then
  say "the web-chat receiver did not start; $(rel "$VAR/log/receiver.log"):"
  tail -n 20 "$VAR/log/receiver.log"
  exit 1
fi
info "pid $RECEIVER_PID; every POST it gets is a line in $RECEIVED_SHOWN ($(lines "$RECEIVED") from earlier runs)"

# Accounts and agent before the gateway starts, so it knows them at once (it
# reloads accounts every 2 s; agents' tokens are looked up per call).
step "channel accounts, an agent and her team lead (peakdesk account add, peakdesk agent add)"
acct() {
  out=$("$BIN/peakdesk" account add "$@" 2>&1) || { say "$out"; die "peakdesk account add failed"; }
  info "$out"
}
acct --channel webhook --name webchat --secret "$WEBCHAT_SECRET" --url "http://$RECEIVER_HTTP/webchat"
info "  web chat: the platform posts signed messages; replies go to http://$RECEIVER_HTTP/webchat"
acct --channel wechat --name gh_shop --token "$WECHAT_TOKEN" --url "http://$RECEIVER_HTTP/wechat-api"
info "  WeChat Official Account gh_5d1f0a2b7c11 calls back /wechat/gh_shop; its send API is the"
info "  receiver here (http://$RECEIVER_HTTP/wechat-api), never api.weixin.qq.com"
acct --channel email --name support
info "  e-mail: the MTA pipes mail to \`peakdesk-gateway mail --account support\`"
# The orders (logistics) name their customers' accounts as the shop knows
# them: "app" for the shop's app and the Official Account's original id. The
# router sends proactive notices (delays, stock-outs) there, so those accounts
# are the receiver too.
acct --channel webhook --name app --secret "$APP_SECRET" --url "http://$RECEIVER_HTTP/app"
info "  the shop's app, as the orders name it: proactive notices to app customers go to"
info "  http://$RECEIVER_HTTP/app"
acct --channel wechat --name gh_5d1f0a2b7c11 --token "$WECHAT_TOKEN" --url "http://$RECEIVER_HTTP/wechat-api"
info "  the same Official Account by its original id, as the orders name it: notices to WeChat"
info "  customers go through it (its send API: the receiver again)"
out=$("$BIN/peakdesk" agent add --name "$AGENT" --groups order,after-sale --tier frontline --capacity 8 2>&1) ||
  { say "$out"; die "peakdesk agent add failed"; }
AGENT_TOKEN=$(echo "$out" | sed -n 's/^token: //p')
[ -n "$AGENT_TOKEN" ] || die "peakdesk agent add printed no token"
info "$(echo "$out" | grep -v '^token: ')"
info "  token: $(printf '%s' "$AGENT_TOKEN" | cut -c1-12)… (printed once by agent add, kept by this script for the"
info "  demo only; each run makes a new one; only its SHA-256 is stored)"
# Her team lead: takes the service-recovery tickets that low survey scores
# open (tier lead and above only); online once the surveys go out.
out=$("$BIN/peakdesk" agent add --name "$LEAD" --groups order,after-sale --tier lead --capacity 4 2>&1) ||
  { say "$out"; die "peakdesk agent add failed"; }
LEAD_TOKEN=$(echo "$out" | sed -n 's/^token: //p')
[ -n "$LEAD_TOKEN" ] || die "peakdesk agent add printed no token"
info "$(echo "$out" | grep -v '^token: ')"
info "  her team lead: low survey scores become service-recovery tickets for a lead"

step "peakdesk-gateway (channels in, replies out, agent API, progress pages)"
[ -n "${PEAKDESK_GATEWAY_HTTP:-}" ] || pick_port PEAKDESK_GATEWAY_HTTP 8080 18080 peakdesk-gateway
export PEAKDESK_GATEWAY_HTTP
GW_HTTP=$PEAKDESK_GATEWAY_HTTP
# The gateway runs this command line with sh -c (popen): the quotes are for that shell.
# shellcheck disable=SC2089,SC2090
PEAKDESK_SENDMAIL="'$ROOT/tests/tools/fake_sendmail.sh' '$MAILDIR'"
PEAKDESK_MAIL_FROM=$MAIL_FROM
export PEAKDESK_SENDMAIL PEAKDESK_MAIL_FROM
start_service gateway
info "e-mail replies: PEAKDESK_SENDMAIL=tests/tools/fake_sendmail.sh $MAILDIR_SHOWN (each mail a file NNN.eml)"
info "log: $(rel "$VAR/log/gateway.log")"

step "peakdesk-router (customers, tickets)"
[ -n "${PEAKDESK_ROUTER_HTTP:-}" ] || pick_port PEAKDESK_ROUTER_HTTP 8081 18081 peakdesk-router
export PEAKDESK_ROUTER_HTTP
RT_HTTP=$PEAKDESK_ROUTER_HTTP
start_service router
info "log: $(rel "$VAR/log/router.log")"

step "peakdesk-survey (satisfaction surveys: invitations, the signed link, low scores)"
[ -n "${PEAKDESK_SURVEY_HTTP:-}" ] || pick_port PEAKDESK_SURVEY_HTTP 8085 18085 peakdesk-survey
export PEAKDESK_SURVEY_HTTP
SV_HTTP=$PEAKDESK_SURVEY_HTTP
# The links customers get point here: in production, the public name of the
# nginx in front of it (docs/survey.md).
PEAKDESK_SURVEY_PUBLIC_URL=http://$SV_HTTP
PEAKDESK_SURVEY_SECRET=$SURVEY_SECRET
PEAKDESK_SURVEY_QUIET_HOURS=$SURVEY_QUIET
export PEAKDESK_SURVEY_PUBLIC_URL PEAKDESK_SURVEY_SECRET PEAKDESK_SURVEY_QUIET_HOURS
start_service survey
info "links: $PEAKDESK_SURVEY_PUBLIC_URL/s/TOKEN (a form in a browser; JSON at /v1/surveys/TOKEN), signed with"
info "PEAKDESK_SURVEY_SECRET; CSAT 1-5, one invitation per customer per 7 days, links valid 72 h"
if [ -n "$SURVEY_QUIET_DEFAULT" ]; then
  info "quiet hours: none (the demo's; production 22:00-08:00 China time holds invitations back at night)"
else
  info "quiet hours: $SURVEY_QUIET (yours, PEAKDESK_SURVEY_QUIET_HOURS): an invitation due in them waits"
fi
info "log: $(rel "$VAR/log/survey.log")"

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
# fields ending in "Ms" (unix ms, proto3 JSON; a sales target's hourStartMs
# then down to the top of its hour), the Kuaidi100 scans' "time"/"ftime"
# (text in China time), WeChat's CreateTime (unix seconds) and the e-mails'
# Date: header. Nothing else changes, event and message ids included;
# channels/ids.tsv lists the customer messages as the gateway keys them
# (account, external message id), for the checks. stock.jsonl is also split
# at the first packing (stock-1.jsonl before it, stock-2.jsonl after).
python3 - "$SAMPLE" "$REPLAY" "$SHIFT_S" "$SAMPLE_PACKING_S" <<'PY' || die "could not write the shifted sample to $REPLAY"
import datetime, email, email.policy, email.utils, glob, json, os, re, sys

src, dst, shift, packing_s = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
CST = datetime.timezone(datetime.timedelta(hours=8))
KD_TIME = "%Y-%m-%d %H:%M:%S"
HOUR_MS = 3600000


def moved(key, v):
    if key == "hourStartMs" and str(v).isdigit():  # a whole hour, also after the shift
        return type(v)((int(v) + shift * 1000) // HOUR_MS * HOUR_MS)
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
    if os.path.basename(path) == "stock.jsonl":
        cut_ms = (packing_s + shift) * 1000
        for name, keep in (("stock-1.jsonl", lambda t: t < cut_ms), ("stock-2.jsonl", lambda t: t >= cut_ms)):
            with open(os.path.join(dst, name), "w", encoding="utf-8") as out:
                out.write("".join(line + "\n" for line in lines if keep(int(json.loads(line)["occurredAtMs"]))))
for path in sorted(glob.glob(os.path.join(src, "kuaidi100", "*.param.json"))):
    with open(path, encoding="utf-8") as f:
        param = walk(json.load(f))
    with open(os.path.join(dst, "kuaidi100", os.path.basename(path)), "w", encoding="utf-8") as out:
        out.write(dump(param))  # no newline: the pushes are signed over exactly this text

# The customers' side (tests/data/sample/channels).
ch, chd = os.path.join(src, "channels"), os.path.join(dst, "channels")
for d in ("wechat", "email"):
    os.makedirs(os.path.join(chd, d))
ids = []
with open(os.path.join(ch, "webchat.jsonl"), encoding="utf-8") as f:
    msgs = [walk(json.loads(line)) for line in f if line.strip()]
with open(os.path.join(chd, "webchat.jsonl"), "w", encoding="utf-8") as out:
    out.write("".join(dump(m) + "\n" for m in msgs))  # each line is a request body, signed as it is
ids += [("webchat", m["messageId"]) for m in msgs]


def create_time(m):
    return b"<CreateTime>%d</CreateTime>" % (int(m.group(1)) + shift)


for path in sorted(glob.glob(os.path.join(ch, "wechat", "*.xml"))):
    with open(path, "rb") as f:
        doc = re.sub(rb"<CreateTime>(\d+)</CreateTime>", create_time, f.read())
    with open(os.path.join(chd, "wechat", os.path.basename(path)), "wb") as out:
        out.write(doc)
    msgid = re.search(rb"<MsgId>(\d+)</MsgId>", doc)
    sender = re.search(rb"<FromUserName><!\[CDATA\[(.*?)\]\]>", doc).group(1).decode()
    created = re.search(rb"<CreateTime>(\d+)</CreateTime>", doc).group(1).decode()
    # The gateway's key: the MsgId for messages, sender and time for events.
    ids.append(("gh_shop", "msgid:" + msgid.group(1).decode() if msgid else "event:%s:%s" % (sender, created)))


def date_line(m):
    t = email.utils.parsedate_to_datetime(m.group(2).decode("ascii"))
    return m.group(1) + email.utils.format_datetime(t + datetime.timedelta(seconds=shift)).encode("ascii") + m.group(3)


for path in sorted(glob.glob(os.path.join(ch, "email", "*.eml"))):
    with open(path, "rb") as f:
        raw = f.read()
    blank = re.search(rb"\r?\n\r?\n", raw)  # the Date: header, not a "Date:" line in the body
    head_end = blank.start() if blank else len(raw)
    head = re.sub(rb"(?mi)^(Date:[ \t]*)([^\r\n]*)(\r?)$", date_line, raw[:head_end], count=1)
    with open(os.path.join(chd, "email", os.path.basename(path)), "wb") as out:
        out.write(head + raw[head_end:])
    mid = email.message_from_bytes(raw, policy=email.policy.compat32)["Message-ID"].strip().strip("<>")
    ids.append(("support", mid))
with open(os.path.join(chd, "ids.tsv"), "w", encoding="utf-8") as out:
    out.write("".join("%s\t%s\n" % i for i in ids))
PY

# ---- replay --------------------------------------------------------------------------
CST_TZ="AT TIME ZONE INTERVAL '+08:00'"
FAILURES=""
problem() { FAILURES="$FAILURES
    - $*"; }
DUPS=0

# publish SERVICE FILE EXPECTED_REJECTIONS WHAT [BATCH]: peakdesk publish --to
# SERVICE, in batches of BATCH events (default: the CLI's 500).
publish() {
  svc=$1 file=$2 want_rej=$3 what=$4 batch=${5:-}
  out=$VAR/log/publish-$(basename "$file" .jsonl)
  "$BIN/peakdesk" publish --to "$svc" ${batch:+--batch "$batch"} --quiet "$file" >"$out.acks" 2>"$out.err"
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

step "replay: a Double 11 sample (tests/data/sample), moved to today -> peakdesk publish"
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
# A database that holds the sample from before stock and promo joined it:
# their reports come after the parcels shipped and the tickets opened.
PARTIAL=""
if [ -z "$FRESH" ] && [ "$(q "SELECT count(*) FROM stock.shortages WHERE sku = '$STOCK_SKU' AND warehouse = '$STOCK_WH'")" = 0 ]; then
  PARTIAL=1
  info "note: this database holds the sample from before its stock and promo parts: the night's stock-out"
  info "now finds only the order still unshipped, and the tickets opened before the campaign existed;"
  info "remove $VAR_SHOWN for the whole story"
fi
info "in the order it happened (the times below are the sample's), each file to its department's service:"
publish promo "$REPLAY/promo.jsonl" 0 "campaign $CAMPAIGN: 3 windows, 4 rule texts, main-day SLA; 72 hourly sales targets"
publish logistics "$REPLAY/orders.jsonl" 0 "orders awaiting fulfilment (双11 midnight rush, line items, WeChat/app/e-mail customers)"
# One report per request, as the warehouse system sends them: in one batch
# the stock service keeps only the newest report of a SKU in a warehouse, and
# the night's stock-out and restock would cancel out.
publish stock "$REPLAY/stock-1.jsonl" 0 "stock.jsonl to 11-11 08:00: 16 SKUs, 4 warehouses; $STOCK_SKU out in $STOCK_WH 01:05-07:40" 1
publish logistics "$REPLAY/shipments.jsonl" 1 "labels printed, parcels collected; the last one is a stale 'created' for a collected parcel"
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

step "replay: a return ($REPLAY_SHOWN/returns.jsonl) and the stock of 11-12 and 11-13 ($REPLAY_SHOWN/stock-2.jsonl)"
publish logistics "$REPLAY/returns.jsonl" 0 "RT2411130001 for PD2411110001: requested -> approved -> parcel_sent"
publish stock "$REPLAY/stock-2.jsonl" 0 "the rest: $STOCK_SKU out again 11-13 17:20 (restock 11-16); a 16:50 report comes late" 1

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

# ---- the forecast and the stock-out notices -------------------------------------------
# The promo service's timer computes the forecast once the targets are in
# (one per batch of targets); the router tells the affected orders'
# customers, once per customer per stock-out and again when the stock is
# back, and the gateway delivers to the receiver (the app and WeChat's API).
STOCK_KINDS="('stockout:$STOCK_KEY', 'restocked:$STOCK_KEY')"
forecast_hours_sql="SELECT count(*) FROM promo.forecast_hours WHERE campaign_id = '$CAMPAIGN' AND group_name = ''"
notices_sql="SELECT coalesce(string_agg(split_part(kind, ':', 1) || ' ' || episode || ' ' || n, ', ' ORDER BY episode, kind DESC), 'none')
  FROM (SELECT kind, episode, count(*) AS n FROM router.proactive_notices WHERE kind IN $STOCK_KINDS GROUP BY 1, 2) s"
NOTICES_EXPECTED="stockout 1 $(echo "$EP1_ORDERS" | wc -w | tr -d ' '), restocked 1 $(echo "$EP1_ORDERS" | wc -w | tr -d ' '), stockout 2 $(echo "$EP2_ORDERS" | wc -w | tr -d ' ')"
# Delivered, or given up for good (dead): the gateway is done with them.
unsettled_sql="SELECT count(*) FROM router.proactive_notices n LEFT JOIN gateway.outbound_messages o USING (outbound_id)
  WHERE n.kind IN $STOCK_KINDS AND coalesce(o.status, '') NOT IN ('delivered', 'dead')"
care_done() {
  [ "$(q "$forecast_hours_sql")" = 72 ] && { [ -n "$PARTIAL" ] || [ "$(q "$notices_sql")" = "$NOTICES_EXPECTED" ]; } &&
    [ "$(q "$unsettled_sql")" = 0 ]
}
step "waiting for the staffing forecast and the stock-out notices"
start=$(date +%s)
while ! care_done && [ $(($(date +%s) - start)) -lt "$CHANNEL_TIMEOUT" ]; do sleep 0.25; done
waited=$(($(date +%s) - start))
info "promo.forecast_updated: $(q "$forecast_hours_sql") hours of $CAMPAIGN forecast$(q "SELECT ', peak ' || agents_needed || ' agents at '
  || to_char(hour_start $CST_TZ, 'MM-DD HH24:00') || ' CST' FROM promo.forecast_hours WHERE campaign_id = '$CAMPAIGN' AND group_name = ''
  ORDER BY agents_needed DESC, hour_start LIMIT 1")"
info "router.proactive_notices for $STOCK_KEY: $(q "SELECT string_agg(n || CASE split_part(kind, ':', 1) WHEN 'stockout'
  THEN ' out of stock' ELSE ' back in stock' END || ' (stock-out ' || episode || ')', ', ' ORDER BY episode, kind DESC)
  FROM (SELECT kind, episode, count(*) AS n FROM router.proactive_notices WHERE kind IN $STOCK_KINDS GROUP BY 1, 2) s")"
info "  the gateway: $(q "SELECT coalesce(string_agg(n || ' ' || st, ', ' ORDER BY st), 'nothing yet') FROM (SELECT coalesce(o.status, 'not queued') AS st,
  count(*) AS n FROM router.proactive_notices p LEFT JOIN gateway.outbound_messages o USING (outbound_id)
  WHERE p.kind IN $STOCK_KINDS GROUP BY 1) s") (which and why: in the summary)"
if care_done; then
  info "(after ${waited} s)"
else
  info "not all there after ${CHANNEL_TIMEOUT} s (expected 72 hours; $NOTICES_EXPECTED; each delivered or dead)"
fi
# ---- the customers' side -------------------------------------------------------------
# Customers write on the three channels, through the gateway's real surfaces:
# web chat as the platform posts it (signed JSON), WeChat as its servers call
# back (signed XML), e-mail as an MTA pipes it. Their ids are fixed, so a
# re-run is answered "duplicate" and stores nothing twice.
CH=$REPLAY/channels
CH_SHOWN=$(rel "$CH")
# The sample's messages as the gateway keys them, as SQL.
SAMPLE_MSGS="(account, external_message_id) IN ($(awk -F '\t' -v q="'" \
  '{ printf "%s(%s%s%s, %s%s%s)", (NR > 1 ? ", " : ""), q, $1, q, q, $2, q }' "$CH/ids.tsv"))"
SAMPLE_N=$(lines "$CH/ids.tsv" | tr -d ' ')
xml_field() { sed -n "s/.*<$2><!\[CDATA\[\(.*\)\]\]><\/$2>.*/\1/p" "$1" | head -n 1; }
# wc_post BODY: prints "HTTP-status body"; signed the way the web-chat platform signs.
wc_post() {
  ts=$(date +%s)
  sig=$(printf '%s.%s' "$ts" "$1" | openssl dgst -sha256 -hmac "$WEBCHAT_SECRET" -r | cut -d' ' -f1)
  resp=$(curl -sS -m 10 -w ' %{http_code}' -H 'Content-Type: application/json' -H "X-Peakdesk-Timestamp: $ts" \
    -H "X-Peakdesk-Signature: sha256=$sig" --data-binary "$1" "http://$GW_HTTP/v1/channels/webchat/messages" 2>&1)
  printf '%s %s' "${resp##* }" "${resp% *}"
}
# wx_post FILE N: as WeChat's servers call back (signature = SHA-1 of the sorted token, timestamp, nonce).
wx_post() {
  ts=$(date +%s)
  nonce=$((ts % 100000 * 100 + $2))
  sig=$(printf '%s\n' "$WECHAT_TOKEN" "$ts" "$nonce" | LC_ALL=C sort | tr -d '\n' | sha1sum | cut -c1-40)
  resp=$(curl -sS -m 10 -w ' %{http_code}' -H 'Content-Type: text/xml' --data-binary "@$1" \
    "http://$GW_HTTP/wechat/gh_shop?signature=$sig&timestamp=$ts&nonce=$nonce&openid=$(xml_field "$1" FromUserName)" 2>&1)
  printf '%s %s' "${resp##* }" "${resp% *}"
}
stored_before() { q "SELECT count(*) FROM gateway.inbound_messages WHERE account = '$1' AND external_message_id = '$2'"; }

step "customers write in ($CH_SHOWN: tests/data/sample/channels, times shifted too)"
info "web chat -> POST http://$GW_HTTP/v1/channels/webchat/messages"
info "  (X-Peakdesk-Signature: sha256=HMAC-SHA256(secret, timestamp.body), with openssl)"
while IFS= read -r body; do
  [ -n "$body" ] || continue
  r=$(wc_post "$body")
  info "$(printf '  %-16s %-13s %s' "$(field "$body" messageId)" "$(field "$body" externalUserId)" "$(field "$body" text)")"
  info "$(printf '  %-30s -> %s %s' "" "${r%% *}" "$(field "$r" status)")"
  case "$r" in
  200*'"status":"accepted"'* | 200*'"status":"duplicate"'*) ;;
  *) problem "web-chat message $(field "$body" messageId) answered: $r" ;;
  esac
done <"$CH/webchat.jsonl"
info "WeChat -> POST http://$GW_HTTP/wechat/gh_shop?signature=&timestamp=&nonce=&openid="
info "  (signature = SHA-1 of token, timestamp and nonce sorted and joined, with sha1sum)"
n=0
for f in "$CH"/wechat/*.xml; do
  n=$((n + 1))
  what=$(xml_field "$f" Content)
  [ "$(xml_field "$f" MsgType)" = event ] && what="(event $(xml_field "$f" Event), $(xml_field "$f" EventKey))"
  # WeChat is answered "success" either way: whether it was new shows in the table.
  key=$(sed -n 's/.*<MsgId>\([0-9]*\)<\/MsgId>.*/msgid:\1/p' "$f")
  [ -n "$key" ] || key="event:$(xml_field "$f" FromUserName):$(sed -n 's/.*<CreateTime>\([0-9]*\)<\/CreateTime>.*/\1/p' "$f")"
  was=$(stored_before gh_shop "$key")
  r=$(wx_post "$f" "$n")
  info "$(printf '  %-16s %-13s %s' "$(basename "$f" .xml)" "$(xml_field "$f" FromUserName | cut -c1-12)…" "$what")"
  [ "$was" = 1 ] && res="duplicate: WeChat's retry of $key, stored once" || res="stored as $key"
  info "$(printf '  %-30s -> %s (%s)' "" "$r" "$res")"
  [ "$r" = "200 success" ] || problem "WeChat callback $(basename "$f") answered: $r"
done
info "e-mail -> peakdesk-gateway mail --account support < FILE (as an MTA pipes it; sysexits)"
for f in "$CH"/email/*.eml; do
  # From, Subject and charset as a mail reader shows them (Python's email package).
  hdr=$(python3 -c 'import email, email.policy, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=email.policy.default)
print(m["Message-ID"].strip().strip("<>")); print(m["From"]); print(m["Subject"])
print("%s, %s" % (m.get_content_charset(), m["Content-Transfer-Encoding"]))' "$f" 2>/dev/null)
  mid=$(echo "$hdr" | sed -n 1p)
  was=$(stored_before support "$mid")
  "$BIN/peakdesk-gateway" mail --account support <"$f" 2>"$VAR/log/mail-in.err"
  rc=$?
  info "$(printf '  %-22s %s' "$(basename "$f" .eml)" "$(echo "$hdr" | sed -n 2p)")"
  info "$(printf '  %-22s %s  [%s]' "" "$(echo "$hdr" | sed -n 3p)" "$(echo "$hdr" | sed -n 4p)")"
  if [ "$rc" = 0 ]; then
    [ "$was" = 1 ] && res="duplicate (this Message-ID is stored already)" || res="stored"
    info "$(printf '  %-22s -> exit 0, %s' "" "$res")"
  else
    info "$(printf '  %-22s -> exit %s: %s' "" "$rc" "$(cat "$VAR/log/mail-in.err")")"
    problem "e-mail $(basename "$f") was not taken: exit $rc"
  fi
done

step "the router opens tickets (message.inbound -> peakdesk-router)"
# Channel events (the WeChat follow) open no ticket by design: only messages count.
unrouted_sql="SELECT count(*) FROM gateway.inbound_messages g WHERE $SAMPLE_MSGS AND g.message_type NOT LIKE 'event:%'
  AND NOT EXISTS (SELECT 1 FROM router.ticket_messages m WHERE m.message_id = g.message_id)"
sample_tickets="SELECT DISTINCT m.ticket_id FROM router.ticket_messages m JOIN gateway.inbound_messages g USING (message_id) WHERE $SAMPLE_MSGS"
start=$(date +%s)
while [ "$(q "$unrouted_sql")" != 0 ] && [ $(($(date +%s) - start)) -lt "$CHANNEL_TIMEOUT" ]; do sleep 0.25; done
waited=$(($(date +%s) - start))
if [ "$(q "$unrouted_sql")" = 0 ]; then
  info "every customer message is in a ticket (after ${waited} s; piped mail has no PUB socket:"
  info "the router reads it from bus.outbox on its next poll, within 5 s)"
else
  problem "$(q "$unrouted_sql") customer messages not in a ticket after ${CHANNEL_TIMEOUT} s"
fi
table "SELECT t.public_id, t.channel, left(t.external_user_id, 16) AS customer,
  (SELECT count(*) FROM router.ticket_messages m WHERE m.ticket_id = t.ticket_id AND m.direction = 'in') AS msgs,
  t.category, t.group_name AS group, t.priority AS prio, t.risk_score AS risk, left(replace(t.subject, E'\n', ' '), 16) AS subject
  FROM router.tickets t WHERE t.ticket_id IN ($sample_tickets) ORDER BY t.created_at, t.public_id"

# ---- the agent --------------------------------------------------------------------------
# (Their own tickets: not a service-recovery ticket a low survey score opened for them.)
WC_PID=$(q "SELECT public_id FROM router.tickets WHERE account = 'webchat' AND external_user_id = '$WC_USER'
  AND NOT 'service_recovery' = ANY (tags) ORDER BY created_at DESC LIMIT 1")
MAIL_PID=$(q "SELECT public_id FROM router.tickets WHERE account = 'support' AND external_user_id = '$MAIL_USER'
  AND NOT 'service_recovery' = ANY (tags) ORDER BY created_at DESC LIMIT 1")
WC_OUT=demo-reply-$WC_PID
MAIL_OUT=demo-reply-$MAIL_PID
APIOUT=$VAR/log/agent-api.last
# api METHOD PATH [BODY [IDEMPOTENCY-KEY]]: prints "HTTP-status body". The
# token (API_TOKEN, else the agent's) goes to curl on stdin (-K -), not on
# its command line.
api() {
  set -- "$1" "$2" "${3:-}" "${4:-}"
  st=$({
    printf 'header = "Authorization: Bearer %s"\n' "${API_TOKEN:-$AGENT_TOKEN}"
    [ -n "$4" ] && printf 'header = "Idempotency-Key: %s"\n' "$4"
    [ -n "$3" ] && printf 'data-binary = "%s"\n' "$(printf '%s' "$3" | sed 's/["\\]/\\&/g')"
  } | curl -sS -m 10 -K - -o "$APIOUT" -w '%{http_code}' -X "$1" -H 'Content-Type: application/json' \
    "http://$GW_HTTP$2" 2>&1)
  printf '%s %s' "$st" "$(cat "$APIOUT" 2>/dev/null)"
}
step "the agent $AGENT answers through the agent API (http://$GW_HTTP, Authorization: Bearer <her token>)"
r=$(api PUT /v1/agent/presence '{"presence":"online"}')
info "PUT  /v1/agent/presence {\"presence\":\"online\"} -> ${r%% *} $(field "$r" status)"
r=$(api GET /v1/agent/queue)
info "GET  /v1/agent/queue -> ${r%% *}"
case "$r" in 200*) ;; *) problem "the agent's queue answered: $r" ;; esac
printf '%s' "${r#* }" | python3 -c 'import json, sys
try:
    q = json.load(sys.stdin)
except ValueError:
    sys.exit(0)
t = q.get("tickets") or []
print("      %d open tickets for %s (hers, and unassigned ones of her groups or of none):" % (len(t), q.get("agentId")))
for x in t[:10]:
    s = (x.get("subject") or "").replace("\n", " ")
    print("      %s  %-16s %-8s prio %s  %-10s %s" % (x["publicId"], x["status"], x["agentId"] or "-", x["priority"], x["group"] or "-",
                                                  s[:22] + ("…" if len(s) > 22 else "")))
if len(t) > 10:
    print("      ... %d more" % (len(t) - 10))'
# reply PID TEXT WHAT: POST /v1/tickets/PID/reply with Idempotency-Key demo-reply-PID.
reply() {
  if [ -z "$1" ]; then
    problem "no ticket for the $3 customer: the agent cannot answer it"
    return
  fi
  printf '%s' "${QUEUE:-}" | grep -q "\"publicId\":\"$1\"" && where="from her queue" || where="by its id"
  r=$(api POST "/v1/tickets/$1/reply" "{\"text\":\"$2\"}" "demo-reply-$1")
  info "POST /v1/tickets/$1/reply ($3, $where; Idempotency-Key: demo-reply-$1)"
  info "     \"$2\""
  info "  -> ${r%% *} $(field "$r" status)"
  case "$r" in
  202*'"status":"accepted"'* | 200*'"status":"duplicate"'*) ;;
  *) problem "the reply to the $3 ticket answered: $r" ;;
  esac
}
QUEUE=${r#* }
reply "$WC_PID" "您好，查到您的订单PD2411110002（韵达YD431200241102）在转运中心滞留，已超过承诺送达时间。已催促韵达优先派送，并为您登记了延误补偿，有进展第一时间通知您。" "web-chat $WC_USER"
reply "$MAIL_PID" "徐先生您好，双11订单量大，让您久等了，非常抱歉。您的订单PD2411110034已在义乌仓加急打包，预计明天发出，发货后会短信通知您快递单号。" "e-mail $MAIL_USER"
[ "${r%% *}" = 200 ] && info "(duplicate: an earlier run already sent these replies; nothing is sent twice)"

step "the replies reach the customers (agent.command -> router -> message.outbound -> gateway)"
outbound_status() { q "SELECT status || ' after ' || attempts || ' attempt(s)' FROM gateway.outbound_messages WHERE outbound_id = '$1'"; }
is_delivered() { q "SELECT status FROM gateway.outbound_messages WHERE outbound_id = '$1'" | grep -qx delivered; }
mail_file() { grep -il "^Message-Id: <$1@peakdesk>" "$MAILDIR"/*.eml 2>/dev/null | head -n 1; }
replies_done() {
  is_delivered "$WC_OUT" && grep -qF "\"$WC_OUT\"" "$RECEIVED" 2>/dev/null &&
    is_delivered "$MAIL_OUT" && [ -n "$(mail_file "$MAIL_OUT")" ]
}
start=$(date +%s)
while ! replies_done && [ $(($(date +%s) - start)) -lt "$CHANNEL_TIMEOUT" ]; do sleep 0.25; done
waited=$(($(date +%s) - start))
info "web chat: $(outbound_status "$WC_OUT") -> POST http://$RECEIVER_HTTP/webchat, recorded in $RECEIVED_SHOWN"
info "e-mail:   $(outbound_status "$MAIL_OUT") -> PEAKDESK_SENDMAIL, filed in $MAILDIR_SHOWN/$(basename "$(mail_file "$MAIL_OUT")")"
replies_done && info "(after ${waited} s)" || info "not both delivered after ${CHANNEL_TIMEOUT} s (see $(rel "$VAR/log/gateway.log"))"

# ---- surveys -------------------------------------------------------------------------
# Resolving a ticket is what the survey collector waits for (ticket.resolved).
step "the agent resolves both tickets; her team lead $LEAD comes online"
# resolve_ticket PID WHAT NOTE: POST /v1/tickets/PID/resolve with Idempotency-Key demo-resolve-PID.
RESOLVE_DUP=""
resolve_ticket() {
  [ -n "$1" ] || return 0 # no ticket: the reply step said so
  r=$(api POST "/v1/tickets/$1/resolve" "{\"resolution\":\"$3\",\"resolutionCode\":\"answered\"}" "demo-resolve-$1")
  info "POST /v1/tickets/$1/resolve ($2; Idempotency-Key: demo-resolve-$1)"
  info "     {\"resolution\":\"$3\",\"resolutionCode\":\"answered\"} -> ${r%% *} $(field "$r" status)"
  case "$r" in
  202*'"status":"accepted"'*) ;;
  200*'"status":"duplicate"'*) RESOLVE_DUP=1 ;;
  *) problem "resolving the $2 ticket answered: $r" ;;
  esac
}
resolve_ticket "$WC_PID" "web-chat $WC_USER" "已催促韵达派送，登记延误补偿"
resolve_ticket "$MAIL_PID" "e-mail $MAIL_USER" "已加急打包，明天发出"
[ -n "$RESOLVE_DUP" ] && info "(duplicate: an earlier run already resolved them; the collector asks about a ticket once)"
API_TOKEN=$LEAD_TOKEN
r=$(api PUT /v1/agent/presence '{"presence":"online"}')
API_TOKEN=""
info "PUT  /v1/agent/presence {\"presence\":\"online\"} as $LEAD (tier lead, groups order, after-sale) -> ${r%% *} $(field "$r" status)"
case "$r" in 202* | 200*) ;; *) problem "the lead's presence answered: $r" ;; esac

step "the survey collector asks both customers (ticket.resolved -> peakdesk-survey -> message.outbound -> gateway)"
inv_state() { q "SELECT state FROM survey.invitations WHERE ticket_public_id = '$1'"; }
inv_out() { q "SELECT outbound_id FROM survey.invitations WHERE ticket_public_id = '$1'"; }
# An invitation is settled when it is delivered (the receiver's line, the
# mail file), or waits in quiet hours, or was skipped.
inv_settled() {
  case "$(inv_state "$1")" in
  queued | skipped) return 0 ;;
  sent | answered | expired)
    o=$(inv_out "$1")
    is_delivered "$o" || return 1
    if [ "$2" = webchat ]; then grep -qF "\"$o\"" "$RECEIVED" 2>/dev/null; else [ -n "$(mail_file "$o")" ]; fi ;;
  *) return 1 ;;
  esac
}
invitations_done() { inv_settled "$WC_PID" webchat && inv_settled "$MAIL_PID" email; }
start=$(date +%s)
while ! invitations_done && [ $(($(date +%s) - start)) -lt "$CHANNEL_TIMEOUT" ]; do sleep 0.25; done
waited=$(($(date +%s) - start))
# survey_link FILE: the first survey link in a receiver line's text or a mail's body.
WC_INV_OUT=$(inv_out "$WC_PID")
MAIL_INV_OUT=$(inv_out "$MAIL_PID")
WC_LINK=$(grep -F "\"$WC_INV_OUT\"" "$RECEIVED" 2>/dev/null | tail -n 1 | python3 -c 'import json, re, sys
for line in sys.stdin:
    m = re.search(r"https?://\S+/s/[A-Za-z0-9_-]+", json.loads(json.loads(line)["body"]).get("text", ""))
    print(m.group(0) if m else "")')
MAIL_INV_FILE=$(mail_file "$MAIL_INV_OUT")
MAIL_LINK=""
[ -n "$MAIL_INV_FILE" ] && MAIL_LINK=$(python3 -c 'import email, email.policy, re, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=email.policy.default)
u = re.search(r"https?://\S+/s/[A-Za-z0-9_-]+", m.get_body(("plain", "html")).get_content())
print(u.group(0) if u else "")' "$MAIL_INV_FILE" 2>/dev/null)
# invitation WHO PID OUT WHERE: one line per invitation: its state and where it went.
invitation() {
  st=$(q "SELECT state || coalesce(' (' || nullif(skip_reason, '') || ')', '') || CASE WHEN state = 'queued'
    THEN ', until ' || to_char(send_at $CST_TZ, 'MM-DD HH24:MI') || ' CST' ELSE '' END FROM survey.invitations WHERE ticket_public_id = '$2'")
  info "$1 ($2): ${st:-no invitation}"
  [ -n "$3" ] && info "  $(outbound_status "$3") -> $4"
}
invitation "web chat, $WC_USER" "$WC_PID" "$WC_INV_OUT" "POST http://$RECEIVER_HTTP/webchat, recorded in $RECEIVED_SHOWN"
grep -F "\"$WC_INV_OUT\"" "$RECEIVED" 2>/dev/null | tail -n 1 | python3 -c 'import json, sys
for line in sys.stdin:
    for t in json.loads(json.loads(line)["body"])["text"].split("\n"):
        print("      \"%s\"" % t)'
invitation "e-mail, $MAIL_USER" "$MAIL_PID" "$MAIL_INV_OUT" "PEAKDESK_SENDMAIL, filed in $(rel "${MAIL_INV_FILE:-$MAILDIR/?}")"
[ -n "$MAIL_INV_FILE" ] && python3 -c 'import email, email.policy, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=email.policy.default)
print("      (decoded) Subject: %s" % m["Subject"])
for t in m.get_body(("plain", "html")).get_content().strip().split("\n"):
    print("      (decoded) %s" % t)' "$MAIL_INV_FILE" 2>/dev/null
if invitations_done && [ -n "$WC_INV_OUT$MAIL_INV_OUT" ]; then
  info "(after ${waited} s; the link is {PEAKDESK_SURVEY_PUBLIC_URL}/s/{token}: the invitation id, the expiry and"
  info " an HMAC-SHA256 over both, so nothing is stored for it and a changed character is refused)"
elif invitations_done; then
  info "(after ${waited} s)"
else
  info "not both delivered after ${CHANNEL_TIMEOUT} s (see $(rel "$VAR/log/survey.log") and $(rel "$VAR/log/gateway.log"))"
fi
# Did both go out? (With the caller's quiet hours they may wait: then there is nothing to answer yet.)
SURVEYS_OUT=""
case "$(inv_state "$WC_PID") $(inv_state "$MAIL_PID")" in
sent\ sent | sent\ answered | answered\ sent | answered\ answered) SURVEYS_OUT=1 ;;
*queued*)
  info "quiet hours: an invitation due in them waits until they end (its send time is fixed when the ticket is"
  info "resolved: PEAKDESK_SURVEY_QUIET_HOURS of this run, $SURVEY_QUIET, or of the run that resolved it); the customers"
  info "answer nothing yet" ;;
esac

# The customers answer: a bare "5" on web chat, the form from the mail.
REC_PID=""
if [ -n "$SURVEYS_OUT" ]; then
  step "the customers answer: \"5\" on web chat, the link from the e-mail"
  info "web chat: $WC_USER replies a bare \"5\" on the channel (signed like the platform; message id $WC_SURVEY_MSGID):"
  info "  the router finds the invitation to that customer and hands the answer to the collector (ticket.survey_reply)"
  info "  instead of reopening the ticket"
  body="{\"externalUserId\":\"$WC_USER\",\"displayName\":\"跑步的阿杰\",\"messageId\":\"$WC_SURVEY_MSGID\",\"text\":\"5\",\"sentAtMs\":\"$(date +%s)000\"}"
  r=$(wc_post "$body")
  info "  POST http://$GW_HTTP/v1/channels/webchat/messages {\"messageId\":\"$WC_SURVEY_MSGID\",\"text\":\"5\",...} -> ${r%% *} $(field "$r" status)"
  case "$r" in
  200*'"status":"accepted"'*) ;;
  200*'"status":"duplicate"'*) info "  (duplicate: an earlier run sent this answer; it is recorded once)" ;;
  *) problem "the web-chat customer's \"5\" answered: $r" ;;
  esac
  PHONE_UA='Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148'
  FORM=$VAR/log/survey-form.html
  if [ -z "$MAIL_LINK" ]; then
    problem "no survey link in the e-mail invitation to $MAIL_USER"
  else
    info "e-mail: $MAIL_USER opens the link in his mail on his phone:"
    st=$(curl -sS -m 10 -o "$FORM" -w '%{http_code}' -A "$PHONE_UA" -H 'Accept: text/html' "$MAIL_LINK" 2>&1)
    info "  GET $MAIL_LINK (Accept: text/html)"
    info "  -> $st $(python3 -c 'import re, sys
h = open(sys.argv[1], encoding="utf-8").read()
n = len(re.findall(r"<input type=\"radio\" name=\"csat\"", h))
if n:
    print("the form: %d choices for csat, a comment box%s; no script" % (n, " and a submit button" if "<button" in h else ""))
else:
    m = re.search(r"<h1>(.*?)</h1>", h)
    print(m.group(1) if m else "(no page)")' "$FORM" 2>/dev/null)"
    info "  and posts it (application/x-www-form-urlencoded, as the browser sends the form): csat=$MAIL_CSAT, comment=\"$MAIL_COMMENT\""
    r=$(curl -sS -m 10 -o "$VAR/log/survey-answer.html" -w '%{http_code}' -A "$PHONE_UA" -H 'Accept: text/html' \
      -H 'Content-Type: application/x-www-form-urlencoded' --data-urlencode "csat=$MAIL_CSAT" \
      --data-urlencode "comment=$MAIL_COMMENT" "$MAIL_LINK" 2>&1)
    page=$(python3 -c 'import html, re, sys
h = open(sys.argv[1], encoding="utf-8").read()
t = [html.unescape(re.search(p, h, re.S).group(1)) if re.search(p, h, re.S) else "" for p in (r"<h1>(.*?)</h1>", r"<p>(.*?)</p>")]
print(" / ".join(x for x in t if x) or "(no page)")' "$VAR/log/survey-answer.html" 2>/dev/null)
    info "  -> $r, a page: $page"
    case "$r" in
    201) ;;
    409 | 410)
      if [ "$(q "SELECT count(*) FROM survey.responses r JOIN survey.invitations i USING (invitation_id) WHERE i.ticket_public_id = '$MAIL_PID'")" = 1 ]; then
        info "  (an earlier run answered it: a survey is answered once$([ "$r" = 410 ] && echo ", and its link is past its 72 h now"))"
      else
        problem "the e-mail customer's survey form answered $r, with no answer recorded"
      fi ;;
    *) problem "the e-mail customer's survey form answered: $r $page" ;;
    esac
  fi
  # Both answers recorded, and the low one turned into a recovery ticket for the lead.
  answers_sql="SELECT count(*) FROM survey.responses r JOIN survey.invitations i USING (invitation_id)
    WHERE i.ticket_public_id IN ('$WC_PID', '$MAIL_PID')"
  rec_sql="SELECT t.public_id FROM router.tickets t JOIN router.ticket_refs f USING (ticket_id)
    WHERE f.kind = 'recovers' AND f.value = '$MAIL_PID' AND t.agent_id = '$LEAD'"
  # The collector thanks a customer who answered on the channel, on the channel.
  thanks_sql="SELECT outbound_id FROM gateway.outbound_messages WHERE reason = 4 AND account = 'webchat'
    AND external_user_id = '$WC_USER' AND outbound_id <> '$WC_INV_OUT' ORDER BY created_at LIMIT 1"
  answers_done() {
    [ "$(q "$answers_sql")" = 2 ] && [ -n "$(q "$rec_sql")" ] && is_delivered "$(q "$thanks_sql")" &&
      grep -qF "\"$(q "$thanks_sql")\"" "$RECEIVED" 2>/dev/null
  }
  start=$(date +%s)
  while ! answers_done && [ $(($(date +%s) - start)) -lt "$CHANNEL_TIMEOUT" ]; do sleep 0.25; done
  waited=$(($(date +%s) - start))
  info "recorded (survey.responses), each once:"
  table "SELECT i.ticket_public_id AS ticket, CASE i.channel WHEN 'webhook' THEN 'web chat' ELSE i.channel END AS channel,
    r.via, r.csat, r.low_score AS low, coalesce(array_to_string(r.low_reasons, ','), '') AS low_reasons, coalesce(r.comment, '') AS comment
    FROM survey.responses r JOIN survey.invitations i USING (invitation_id)
    WHERE i.ticket_public_id IN ('$WC_PID', '$MAIL_PID') ORDER BY r.via DESC"
  WC_THANKS=$(q "$thanks_sql")
  info "the collector answers the \"5\" on web chat: $(q "SELECT '\"' || replace(text, E'\n', ' ') || '\" (' || status || ')'
    FROM gateway.outbound_messages WHERE outbound_id = '$WC_THANKS'")"
  REC_PID=$(q "SELECT t.public_id FROM router.tickets t JOIN router.ticket_refs f USING (ticket_id)
    WHERE f.kind = 'recovers' AND f.value = '$MAIL_PID' ORDER BY t.created_at LIMIT 1")
  if [ -n "$REC_PID" ]; then
    info "the low score (survey.low_score -> router): a service-recovery ticket for a lead, linked to the original:"
    table "SELECT t.public_id, t.group_name AS group, t.escalation_tier AS tier, t.priority AS prio,
      coalesce(nullif(t.agent_id, ''), '-') AS agent, t.status, left(t.subject, 60) AS subject
      FROM router.tickets t WHERE t.public_id = '$REC_PID'"
  fi
  answers_done && info "(after ${waited} s)" || info "not all there after ${CHANNEL_TIMEOUT} s (see $(rel "$VAR/log/survey.log") and $(rel "$VAR/log/router.log"))"
fi

# ---- for analysts: the promo-day report, a read-only login -------------------------------------
REPORT=$VAR/report.html
REPORT_SHOWN=$(rel "$REPORT")
step "the promo-day report: peakdesk report --campaign $CAMPAIGN --tz Asia/Shanghai --out $REPORT_SHOWN"
REPORT_OK=""
if "$BIN/peakdesk" report --campaign "$CAMPAIGN" --tz Asia/Shanghai --out "$REPORT" >"$VAR/log/report.out" 2>"$VAR/log/report.log"; then
  REPORT_OK=1
  info "$(sed -n 's/^peakdesk report: //p' "$VAR/log/report.log" | tail -n 1) (each query and its time: $(rel "$VAR/log/report.log"))"
  REPORT_SVG=$(grep -o '<svg' "$REPORT" | wc -l | tr -d ' ')
  info "one page, $REPORT_SVG inline SVG charts, no script, no external asset: open it in a browser, also offline"
else
  info "peakdesk report failed:"
  sed 's/^/      /' "$VAR/log/report.log" | tail -n 10
  problem "peakdesk report failed (see $(rel "$VAR/log/report.log"))"
fi
# Analysts log in as their own role, a member of peakdesk_analyst: the
# analytics views (personal data masked) and nothing else. Created once.
ANALYST_DB="host=$PGDIR user=$ANALYST dbname=peakdesk"
q "DO \$\$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '$ANALYST') THEN
    CREATE ROLE $ANALYST LOGIN IN ROLE peakdesk_analyst;
  END IF; END \$\$" >/dev/null
info "analyst login: $(q "SELECT r.rolname || ' (member of ' || string_agg(g.rolname, ', ') || ')' FROM pg_roles r
  JOIN pg_auth_members m ON m.member = r.oid JOIN pg_roles g ON g.oid = m.roleid WHERE r.rolname = '$ANALYST' GROUP BY r.rolname")"
info "  (the private cluster trusts its socket: no password; a real one gets CREATE ROLE ... PASSWORD)"

# Let the tail catch up with everything committed so far, by every publisher.
PUBLISHER=$(q "SELECT publisher FROM bus.publishers WHERE publisher LIKE 'logistics-%' ORDER BY started_at DESC LIMIT 1")
lag_sql="SELECT coalesce(sum(o.seq - coalesce(f.seq, 0)), 0) FROM (SELECT publisher, max(seq) AS seq FROM bus.outbox GROUP BY publisher) o
  LEFT JOIN bus.offsets f ON f.consumer = 'tail:demo' AND f.publisher = o.publisher"
i=0
while [ "$(q "$lag_sql")" != 0 ] && [ $i -lt 60 ]; do sleep 0.25; i=$((i + 1)); done
lag=$(q "$lag_sql")
[ "$lag" = 0 ] || problem "peakdesk tail is $lag events behind the publishers"

# ---- summary -------------------------------------------------------------------------------
CST=$CST_TZ
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
# The campaign (promo.jsonl), as the promo service stored and announced it.
say ""
shifted_back() { echo "to_char(($1 - make_interval(secs => $SHIFT_S)) $CST, 'MM-DD HH24:MI')"; }
info "campaign:    $(q "SELECT campaign_id || ' \"' || name || '\" (version ' || version || '): '
  || CASE WHEN live THEN 'live' ELSE 'not live' END || coalesce(', in its ' || (SELECT w.kind FROM promo.windows w
  WHERE w.campaign_id = c.campaign_id AND now() >= w.starts_at AND now() < w.ends_at LIMIT 1) || ' window', ', no window holds now')
  FROM promo.campaigns c WHERE campaign_id = '$CAMPAIGN'")"
table "SELECT w.kind AS window, $(ts w.starts_at) AS starts, $(ts w.ends_at) AS ends,
  $(shifted_back w.starts_at) || ' - ' || $(shifted_back w.ends_at) AS \"in the sample\",
  CASE WHEN now() >= w.starts_at AND now() < w.ends_at THEN '<- now' ELSE '' END AS \" \"
  FROM promo.windows w WHERE w.campaign_id = '$CAMPAIGN' ORDER BY w.starts_at"
info "  rule texts (agents search them: GET /v1/rules?q=KEYWORD; the router quotes them to customers who ask):"
table "SELECT rule_id, title, array_to_string(keywords, ' ') AS keywords,
  CASE WHEN threshold_cents > 0 THEN '满' || threshold_cents / 100 || '减' || discount_cents / 100 ELSE '' END AS amount
  FROM promo.rules WHERE campaign_id = '$CAMPAIGN' ORDER BY rule_id"
info "  SLA override: $(q "SELECT string_agg(x, '; ') FROM (SELECT 'first response within ' || first_response_minutes || ' min on '
  || string_agg(CASE channel WHEN 1 THEN 'web chat/app' WHEN 2 THEN 'WeChat' WHEN 3 THEN 'e-mail' ELSE 'every channel' END, ' and '
  ORDER BY position) || ' in the ' || coalesce(window_kind, 'every') || ' window' AS x FROM promo.sla_overrides
  WHERE campaign_id = '$CAMPAIGN' AND first_response_minutes > 0 GROUP BY first_response_minutes, window_kind) s")"
info "  (the normal chat targets are 5-60 min by priority; tickets opened now: see the customers below)"

# Its staffing forecast, as `peakdesk forecast` prints it: the header, the
# first hours, the peak hour and the current one (with the tickets opened in it).
say ""
FORECAST_OUT=$VAR/log/forecast.txt
info "staffing forecast (promo.forecast_updated), as \`peakdesk forecast --campaign $CAMPAIGN --tz Asia/Shanghai\` prints it"
info "(the first 8 of its hours, the peak and the current hour; run it for all of them):"
if "$BIN/peakdesk" forecast --campaign "$CAMPAIGN" --tz Asia/Shanghai >"$FORECAST_OUT" 2>&1; then
  awk -v now="$(date -u -d "@$(($(date +%s) + 28800))" '+%Y-%m-%d %H:00')" -v first=8 '
    /^20[0-9][0-9]-[0-9][0-9]-[0-9][0-9] [0-9][0-9]:00 / { n++; row[n] = $0; agents[n] = $5 + 0; if ($1 " " $2 == now) at = n; next }
    /^$/ { next }
    { if (n == 0) head[++h] = $0; else tail[++t] = $0 }
    END {
      peak = 1
      for (i = 2; i <= n; i++) if (agents[i] > agents[peak]) peak = i
      for (i = 1; i <= h; i++) print "      " head[i]
      last = 0
      for (i = 1; i <= n; i++) {
        if (i > first && i != peak && i != at) continue
        if (i > last + 1) printf "      %-16s (%d more hours)\n", "...", i - last - 1
        print "      " row[i] (i == peak ? "  <- peak" : "") (i == at ? "  <- now" : "")
        last = i
      }
      if (last < n) printf "      %-16s (%d more hours)\n", "...", n - last
      for (i = 1; i <= t; i++) print "      " tail[i]
    }' "$FORECAST_OUT"
  info "  hours in China time after the shift: the first is the sample's 11-11 00:00; \"actual\" counts the tickets opened"
else
  sed 's/^/      /' "$FORECAST_OUT"
fi

# Stock (stock.jsonl): units available per SKU and warehouse.
say ""
info "stock (analytics.stock_levels): units available per warehouse; out = stock-out, low = at or below its threshold"
wh_col() { echo "coalesce(max(cell) FILTER (WHERE warehouse = '$1'), '-') AS \"$1\""; }
table "SELECT sku, sku_name AS name, $(wh_col WH-CHENGDU), $(wh_col WH-KUNSHAN), $(wh_col WH-SHANGHAI), $(wh_col WH-YIWU),
  CASE WHEN bool_or(presale) THEN 'presale, ships by ' || to_char(max(ship_by) $CST, 'MM-DD HH24:MI')
    WHEN bool_or(shortage_open) THEN 'restock expected ' || to_char(min(restock_eta) FILTER (WHERE shortage_open) $CST, 'MM-DD HH24:MI')
    ELSE '' END AS note
  FROM (SELECT a.*, a.available || CASE WHEN a.shortage_open THEN ' out' WHEN a.available <= l.low_stock_threshold THEN ' low' ELSE '' END AS cell
    FROM analytics.stock_levels a JOIN stock.levels l USING (sku, warehouse)) s
  GROUP BY sku, sku_name ORDER BY bool_or(shortage_open) DESC, bool_or(cell LIKE '% low') DESC, bool_or(presale) DESC, sku"

# The stock events as consumers got them (peakdesk tail), and the stock-outs.
say ""
info "stock events (as peakdesk tail wrote them; stock.level_changed left out):"
python3 - "$EVENTS" "$SHIFT_S" <<'PY'
import datetime, json, sys
cst = datetime.timezone(datetime.timedelta(hours=8))
shift = int(sys.argv[2])
def t(ms, back=0):
    return datetime.datetime.fromtimestamp(int(ms) / 1000 - back, cst).strftime("%m-%d %H:%M") if ms and int(ms) else "-"
for line in open(sys.argv[1], encoding="utf-8"):
    e = json.loads(line)
    top = e.get("topic", "")
    if top not in ("stock.shortage", "stock.restocked", "stock.low"):
        continue
    b = e.get("stockShortage") or e.get("stockRestocked") or {}
    what = "%s@%s" % (b.get("sku"), b.get("warehouse"))
    if top == "stock.shortage":
        orders = " ".join(o["orderId"] for o in b.get("orders", []))
        n = len(b.get("orders", []))
        detail = "episode %s, restock ETA %s: %d order%s %s" % (b.get("episode"), t(b.get("restockEtaMs")), n, "" if n == 1 else "s", orders)
    elif top == "stock.restocked":
        detail = "episode %s over, %s available" % (b.get("episode"), b.get("available", "0"))
    else:
        detail = "%s left" % b.get("available", "0")
    print("      seq %-4s %-15s %-24s %s (sample %s)" % (e.get("seq"), top, what, detail, t(e.get("occurredAtMs"), shift)))
PY
info "stock-outs of $STOCK_KEY (analytics.stock_shortages; the orders from stock.shortage_orders):"
table "SELECT h.episode AS ep, $(ts h.started_at) AS started, $(shifted_back h.started_at) AS \"(sample)\",
  $(ts h.restock_eta) AS restock_eta, coalesce($(ts h.restocked_at), 'still out') AS restocked, h.orders,
  (SELECT string_agg(o.order_id, ' ' ORDER BY o.order_id) FROM stock.shortage_orders o
    WHERE (o.sku, o.warehouse, o.episode) = (h.sku, h.warehouse, h.episode)) AS affected_orders
  FROM analytics.stock_shortages h WHERE h.sku = '$STOCK_SKU' AND h.warehouse = '$STOCK_WH' ORDER BY h.episode"
if [ -z "$PARTIAL" ]; then
  info "  1: that night, before packing began, three orders waited for the earbuds; 2: today, PD2411110001 and"
  info "  PD2411110017 have long shipped (11-11), PD2411110033 has not"
fi
info "  the report measured at 16:50 (version $STALE_VERSION, 3 left) came after the 17:20 stock-out (version $STOCKOUT_VERSION):"
info "  $(q "SELECT 'ignored: $STOCK_WH keeps version ' || version || ', ' || available || ' available, '
  || CASE WHEN shortage_open THEN 'still out' ELSE 'NOT out any more' END FROM stock.levels WHERE sku = '$STOCK_SKU' AND warehouse = '$STOCK_WH'")$(q "SELECT
  CASE WHEN count(*) = 0 THEN ' (no second stock.restocked)' ELSE '' END FROM stock.shortages WHERE sku = '$STOCK_SKU' AND warehouse = '$STOCK_WH'
  AND episode > 1 AND restocked_at IS NOT NULL")"

# What the customers were told, and whether it reached them.
say ""
info "proactive notices (router.proactive_notices: once per customer per stock-out or delay; the gateway delivers):"
table "SELECT n.order_id, CASE lo.channel WHEN 1 THEN 'app/webhook' WHEN 2 THEN 'WeChat' WHEN 3 THEN 'e-mail' ELSE '?' END AS channel,
  n.account || '/' || left(n.external_user_id, 12) AS customer,
  CASE split_part(n.kind, ':', 1) WHEN 'stockout' THEN 'stock-out ' || n.episode WHEN 'restocked' THEN 'back in stock ' || n.episode
    ELSE n.kind END AS notice,
  CASE o.status WHEN 'delivered' THEN 'delivered' WHEN 'dead' THEN 'not sent: ' || CASE WHEN o.last_error LIKE 'outside WeChat%'
    THEN 'WeChat''s 48 h window' ELSE o.last_error END ELSE coalesce(o.status, 'not queued') END AS delivery
  FROM router.proactive_notices n LEFT JOIN gateway.outbound_messages o USING (outbound_id)
  LEFT JOIN logistics.orders lo ON lo.order_id = n.order_id
  ORDER BY n.sent_at, n.kind DESC, n.order_id"
if [ "$(q "SELECT count(*) FROM router.proactive_notices n JOIN gateway.outbound_messages o USING (outbound_id)
  WHERE o.last_error LIKE 'outside WeChat%'")" != 0 ]; then
  info "  WeChat lets an account message a follower only within 48 h of the follower's last message (the"
  info "  customer-service API); these customers have not written to it, so the gateway does not try"
fi
if [ "$(q "SELECT count(*) FROM router.proactive_notices n JOIN gateway.outbound_messages o USING (outbound_id)
  WHERE o.last_error LIKE 'account % is a % account, not %'")" != 0 ]; then
  info "  \"is a wechat account, not webhook\": these back-in-stock notices left the router without the"
  info "  customer's channel (it looks it up among the customers it knows, and these have never written),"
  info "  so they went out as webhook messages to a WeChat account and the gateway refused them"
fi
say ""
info "events emitted (bus.outbox; publishers $PUBLISHER, stock-1, promo-1, gateway-1, gateway-mail for piped mail, router-1):"
table "SELECT publisher, topic, count(*) AS events, max(seq) AS last_seq FROM bus.outbox GROUP BY publisher, topic ORDER BY publisher, topic"
say ""
events_now=$(lines "$EVENTS")
info "$EVENTS_SHOWN (peakdesk tail): $events_now lines, $((events_now - events_before)) from this run; the last logistics ones:"
grep '"topic":"logistics\.' "$EVENTS" 2>/dev/null | tail -n 6 | awk '{
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
say ""
info "customers (web chat, WeChat, e-mail -> gateway -> router -> agent API -> gateway -> channel):"
info "messages:    $(q "SELECT string_agg(CASE channel WHEN 'webhook' THEN 'web chat' WHEN 'wechat' THEN 'WeChat' ELSE 'e-mail' END
  || ' ' || n || ' (' || types || ')', ', ' ORDER BY array_position(ARRAY['webhook', 'wechat', 'email'], channel))
  FROM (SELECT channel, sum(k) AS n, string_agg(k || ' ' || message_type, ', ' ORDER BY message_type DESC) AS types
  FROM (SELECT channel, message_type, count(*) AS k FROM gateway.inbound_messages
  WHERE account IN ('webchat', 'gh_shop', 'support') GROUP BY 1, 2) a GROUP BY channel) b")"
info "tickets:     $(q "SELECT sum(n) || ' opened for the sample''s customers (' || string_agg(CASE channel WHEN 'webhook' THEN 'web chat'
  WHEN 'wechat' THEN 'WeChat' ELSE 'e-mail' END || ' ' || n, ', ' ORDER BY array_position(ARRAY['webhook', 'wechat', 'email'], channel)) || ')'
  FROM (SELECT channel, count(*) AS n FROM router.tickets WHERE ticket_id IN ($sample_tickets) GROUP BY channel) s")"
info "             $(q "SELECT count(*) || ' tickets in all, ' || count(*) FILTER (WHERE status NOT IN ('resolved', 'closed')) || ' not resolved; '
  || (SELECT count(*) FROM router.ticket_messages) || ' messages in them' FROM router.tickets")"
say ""
table "SELECT t.public_id, t.channel, left(t.external_user_id, 16) AS customer, t.group_name AS group,
  coalesce(nullif(t.agent_id, ''), '-') AS agent, t.status,
  (SELECT count(*) FROM router.ticket_messages m WHERE m.ticket_id = t.ticket_id AND m.direction = 'in') || '/' ||
  (SELECT count(*) FROM router.ticket_messages m WHERE m.ticket_id = t.ticket_id AND m.direction = 'out') AS \"in/out\",
  coalesce(to_char(t.first_response_at $CST, 'HH24:MI:SS'), '') AS answered
  FROM router.tickets t WHERE t.ticket_id IN ($sample_tickets) ORDER BY t.created_at, t.public_id"
info "  the GB2312 complaint ($COMPLAINT_USER, 差评 and 12315): $(q "SELECT 'category ' || category || ', group ' || group_name
  || ', priority ' || priority || ', risk ' || risk_score FROM router.tickets WHERE account = 'support' AND external_user_id = '$COMPLAINT_USER'
  ORDER BY created_at DESC LIMIT 1"):"
info "  not a frontline ticket, so not in $AGENT's queue (order, after-sale)"
say ""
info "first-response targets (router.tickets: set when the ticket opened, by the SLA table or a live campaign's override):"
table "SELECT t.public_id, t.channel, t.priority AS prio, to_char(t.created_at $CST, 'HH24:MI:SS') AS opened,
  coalesce(to_char(t.first_response_due $CST, 'HH24:MI:SS'), '-') AS due,
  CASE WHEN t.first_response_due IS NULL AND t.auto_answered_at IS NOT NULL THEN 'none'
       ELSE round(extract(epoch FROM t.first_response_due - t.created_at) / 60) || ' min' END AS target,
  CASE WHEN t.first_response_due IS NULL AND t.auto_answered_at IS NOT NULL THEN '(answered automatically)'
       ELSE coalesce(t.sla_campaign_id, '(SLA table)') END AS sla_campaign_id
  FROM router.tickets t WHERE t.ticket_id IN ($sample_tickets) ORDER BY t.created_at, t.public_id"
info "  $CAMPAIGN's main day holds: web chat and WeChat tickets get its 3 minutes, e-mail keeps the table's;"
info "  a question an auto-reply answered from the facts waits on the customer with no clock (closes itself"
info "  after 30 quiet minutes, or goes to an agent with the customer's next message)"
say ""
info "the agent's replies, delivered:"
info "  web chat ($WC_USER): the receiver's line in $RECEIVED_SHOWN (headers shortened):"
grep -F "\"$WC_OUT\"" "$RECEIVED" 2>/dev/null | tail -n 1 | python3 -c 'import json, sys
for line in sys.stdin:
    r = json.loads(line)
    h = {k: v for k, v in r["headers"].items() if k.lower().startswith("x-peakdesk")}
    sig = h.get("X-Peakdesk-Signature", "")
    if sig:
        h["X-Peakdesk-Signature"] = sig[:20] + "…"
    print("      " + json.dumps({"path": r["path"], "headers": h, "body": json.loads(r["body"]), "answered": r["answered"]},
                                ensure_ascii=False))'
MAIL_FILE=$(mail_file "$MAIL_OUT")
info "  e-mail ($MAIL_USER): ${MAIL_FILE:+$(rel "$MAIL_FILE"), as sendmail got it:}"
if [ -n "$MAIL_FILE" ]; then
  # The headers as written (folded, RFC 2047-encoded), then decoded.
  awk '/^$/ { exit } /^[^ \t]/ { h = tolower($0); show = h ~ /^(from|to|subject|message-id|in-reply-to|references):/ } show { print "      " $0 }' "$MAIL_FILE"
  python3 -c 'import email, email.policy, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=email.policy.default)
print("      (decoded) Subject: %s" % m["Subject"])
print("      (decoded) body: %s" % m.get_content().strip().replace("\n", " "))' "$MAIL_FILE" 2>/dev/null
  info "    In-Reply-To is the customer's Message-ID <$MAIL_MSGID>: her mail program threads the reply"
else
  info "    (no file in $MAILDIR_SHOWN)"
fi
say ""
info "progress pages (the customers' view: JSON, or a phone-sized HTML page with Accept: text/html):"
# track WHO PID: the page's status and steps, and how to open it.
track() {
  [ -n "$2" ] || return 0
  url=http://$GW_HTTP/v1/track/$2
  info "  $1:"
  info "    $url"
  curl -sS -m 10 "$url" 2>/dev/null | python3 -c 'import json, sys
try:
    d = json.load(sys.stdin)
    print("        status: %s; steps: %s" % (d["statusLabel"], ", ".join(s["kind"] for s in d["timeline"])))
except Exception as e:
    print("        (no JSON: %s)" % e)'
  info "    curl -H 'Accept: text/html' $url"
}
track "web chat, $WC_USER (PD2411110002, the stalled parcel)" "$WC_PID"
track "e-mail, $MAIL_USER (PD2411110034, not shipped yet)" "$MAIL_PID"
say ""
info "surveys (peakdesk-survey: one invitation per resolved ticket; survey.invitations, survey.responses):"
info "invitations: $(q "SELECT count(*) FILTER (WHERE state IN ('sent', 'answered', 'expired')) || ' sent, '
  || count(*) FILTER (WHERE state = 'queued') || ' queued (quiet hours), ' || count(*) FILTER (WHERE state = 'skipped') || ' skipped'
  || coalesce(' (' || string_agg(DISTINCT nullif(skip_reason, ''), ', ') || ')', '') FROM survey.invitations")"
info "answers:     $(q "SELECT count(*) || ' (' || count(*) FILTER (WHERE via = 'channel') || ' on the channel, '
  || count(*) FILTER (WHERE via = 'link') || ' on the link), ' || count(*) FILTER (WHERE low_score) || ' low' FROM survey.responses")"
info "scores:      $(q "SELECT CASE WHEN csat_answers > 0 THEN 'CSAT ' || csat_pct || ' % satisfied (4-5 of ' || csat_answers
  || ' answers, average ' || round(avg_csat, 2) || ')' ELSE 'no CSAT answers yet' END || ', '
  || CASE WHEN nps_answers > 0 THEN 'NPS ' || nps || ' (' || nps_answers || ' answers)' ELSE 'no NPS (the demo asks CSAT)' END
  || coalesce(', response rate ' || response_rate_pct || ' %', '') FROM analytics.survey_scores WHERE breakdown = ''")"
if [ -n "$REC_PID" ]; then
  info "recovery:    $(q "SELECT t.public_id || ' (urgent, ' || t.escalation_tier || ' tier, group ' || t.group_name || ') '
    || CASE WHEN t.agent_id = '' THEN 'waiting for a lead' ELSE 'assigned to ' || t.agent_id || ' (' || a.tier || ')' END
    FROM router.tickets t LEFT JOIN router.agents a ON a.agent_id = t.agent_id WHERE t.public_id = '$REC_PID'")"
  info "             recovering $(q "SELECT f.value || ' (' || o.channel || ' ' || o.external_user_id || ', answered by '
    || coalesce(nullif(o.agent_id, ''), '-') || ')' || coalesce(', low score: CSAT ' || r.csat || ' via the ' || r.via, '')
    FROM router.tickets t JOIN router.ticket_refs f ON f.ticket_id = t.ticket_id AND f.kind = 'recovers'
    JOIN router.tickets o ON o.public_id = f.value LEFT JOIN survey.invitations i ON i.ticket_public_id = o.public_id
    LEFT JOIN survey.responses r USING (invitation_id) WHERE t.public_id = '$REC_PID'")"
  info "             the lead calls the customer back; the original ticket's timeline notes the low score:"
  info "             $(q "SELECT label FROM router.ticket_events e JOIN router.tickets t USING (ticket_id)
    WHERE t.public_id = '$MAIL_PID' AND e.kind = 'survey_low_score' ORDER BY e.at DESC LIMIT 1")"
fi
say ""
if [ -n "$REPORT_OK" ]; then
  info "************************************************************************************************"
  info "  the promo-day report: open $REPORT_SHOWN in a browser"
  info "  ($REPORT; $(wc -c <"$REPORT" | tr -d ' ') bytes, $REPORT_SVG charts, self-contained)"
  info "************************************************************************************************"
fi

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
for topic in logistics.shipment_updated logistics.exception logistics.return_updated logistics.delayed \
  stock.level_changed stock.low stock.shortage stock.restocked promo.campaign_updated promo.forecast_updated \
  message.inbound ticket.created agent.command message.outbound; do
  grep -q "\"$topic\"" "$EVENTS" 2>/dev/null || problem "no $topic in $EVENTS_SHOWN"
done
# The campaign and its forecast.
chk "campaign $CAMPAIGN: windows, rule texts, SLA overrides, sales targets" "SELECT (SELECT count(*) FROM promo.windows WHERE campaign_id = '$CAMPAIGN')
  || ' ' || (SELECT count(*) FROM promo.rules WHERE campaign_id = '$CAMPAIGN') || ' ' || (SELECT count(*) FROM promo.sla_overrides
  WHERE campaign_id = '$CAMPAIGN') || ' ' || (SELECT count(*) FROM promo.sales_targets WHERE campaign_id = '$CAMPAIGN')" "3 4 2 72"
check_s=$(date +%s)
if [ "$check_s" -ge $((SAMPLE_MAIN_START_S + SHIFT_S)) ] && [ "$check_s" -lt $((SAMPLE_MAIN_END_S + SHIFT_S)) ]; then
  chk "campaign $CAMPAIGN is live (its main day holds now)" "SELECT live FROM promo.campaigns WHERE campaign_id = '$CAMPAIGN'" t
fi
chk "forecast: 72 pooled hours" "$forecast_hours_sql" 72
chk "forecast: 72 hours for each group" "SELECT string_agg(group_name || ' ' || n, ', ' ORDER BY group_name) FROM (SELECT group_name, count(*) AS n
  FROM promo.forecast_hours WHERE campaign_id = '$CAMPAIGN' AND group_name <> '' GROUP BY 1) s" "after-sale 72, order 72, presale 72"
grep -q '^peak [0-9][0-9]* agents' "$FORECAST_OUT" 2>/dev/null || problem "peakdesk forecast printed no peak line ($(rel "$FORECAST_OUT"))"
# Stock: levels, the two stock-outs with exactly the orders unshipped at their time, the stale report.
chk "stock levels (SKU/warehouse) stored" "SELECT count(*) || ' ' || count(DISTINCT sku) FROM stock.levels" "45 16"
chk "stock-out 2 of $STOCK_KEY: exactly the order still unshipped" "SELECT string_agg(order_id, ' ' ORDER BY order_id)
  FROM stock.shortage_orders WHERE sku = '$STOCK_SKU' AND warehouse = '$STOCK_WH' AND episode = 2" "$EP2_ORDERS"
chk "stock-out 1 ended by the transfer, 2 still open" "SELECT string_agg(episode || ' ' || (restocked_at IS NOT NULL), ', ' ORDER BY episode)
  FROM stock.shortages WHERE sku = '$STOCK_SKU' AND warehouse = '$STOCK_WH'" "1 true, 2 false"
chk "the stale report (version $STALE_VERSION) ignored: version, available, still out" "SELECT version || ' ' || available || ' ' || shortage_open
  FROM stock.levels WHERE sku = '$STOCK_SKU' AND warehouse = '$STOCK_WH'" "$STOCKOUT_VERSION 0 true"
if [ -n "$FRESH" ]; then
  chk "one stock.restocked (the transfer; none for the stale report)" "SELECT count(*) FROM bus.outbox WHERE topic = 'stock.restocked'" 1
fi
# The story of the whole sample (not on a database that holds it from before
# its stock and promo parts: see PARTIAL).
if [ -z "$PARTIAL" ]; then
  chk "stock-out 1 of $STOCK_KEY: exactly the orders unshipped that night" "SELECT string_agg(order_id, ' ' ORDER BY order_id)
    FROM stock.shortage_orders WHERE sku = '$STOCK_SKU' AND warehouse = '$STOCK_WH' AND episode = 1" "$EP1_ORDERS"
  # The stock.shortage events as consumers got them (episode: orders), none twice.
  got=$(python3 -c 'import json, sys
out = []
for line in open(sys.argv[1], encoding="utf-8"):
    e = json.loads(line)
    if e.get("topic") == "stock.shortage":
        s = e["stockShortage"]
        out.append("%s:%s" % (s.get("episode"), " ".join(sorted(o["orderId"] for o in s.get("orders", [])))))
print("|".join(out))' "$EVENTS" 2>/dev/null)
  [ "$got" = "1:$EP1_ORDERS|2:$EP2_ORDERS" ] || problem "stock.shortage events in $EVENTS_SHOWN: expected 1:$EP1_ORDERS|2:$EP2_ORDERS, got ${got:-none}"
  # The router's notices: once per customer per stock-out (and back in stock), each one message.
  chk "stock notices (kind, episode, customers)" "$notices_sql" "$NOTICES_EXPECTED"
  chk "stock notices: one customer each, one outbound message each" "SELECT count(DISTINCT (n.account, n.external_user_id, n.kind, n.episode))
    || ' ' || count(o.outbound_id) FROM router.proactive_notices n LEFT JOIN gateway.outbound_messages o USING (outbound_id)
    WHERE n.kind IN $STOCK_KINDS" "7 7"
  chk "stock-out 1 notices: the customers of the three orders" "SELECT string_agg(order_id, ' ' ORDER BY order_id) FROM router.proactive_notices
    WHERE kind = 'stockout:$STOCK_KEY' AND episode = 1" "$EP1_ORDERS"
  n=$(grep -F '"path": "/app"' "$RECEIVED" 2>/dev/null | grep -c 'app-u-100421')
  [ "${n:-0}" = 2 ] || problem "the app customer of PD2411110017 got ${n:-0} notices at the receiver (expected 2: out of stock, back in stock)"
  # Tickets opened in the main day: the campaign's 3 minutes on chat, the table on e-mail.
  # (a chat question an auto-reply answered waits on the customer with no clock; the
  # customer's next message starts it, so its due is not 3 min after the opening)
  chk "first-response SLA: 4 chat tickets by $CAMPAIGN (3 min) or answered automatically, 2 e-mail tickets by the table" "SELECT count(*) FILTER (WHERE channel IN ('webhook', 'wechat')
    AND ((sla_campaign_id = '$CAMPAIGN' AND (first_response_due - created_at = interval '3 minutes'
           OR auto_answered_at IS NOT NULL))
         OR (first_response_due IS NULL AND auto_answered_at IS NOT NULL))) || ' '
    || count(*) FILTER (WHERE channel = 'email' AND sla_campaign_id IS NULL) FROM router.tickets t WHERE ticket_id IN ($sample_tickets)" "4 2"
fi
# The customers' side.
chk "the sample's customer messages stored once by the gateway" "SELECT count(*) FROM gateway.inbound_messages WHERE $SAMPLE_MSGS" "$SAMPLE_N"
chk "customer messages per account" "SELECT string_agg(account || ' ' || n, ', ' ORDER BY account)
  FROM (SELECT account, count(*) AS n FROM gateway.inbound_messages WHERE $SAMPLE_MSGS GROUP BY account) s" "gh_shop 3, support 2, webchat 3"
chk "every customer message (not the channel events) in a ticket" "$unrouted_sql" 0
chk "tickets opened for the sample's customers (one per customer)" "SELECT count(*) FROM ($sample_tickets) s" 6
chk "the web-chat customer's two messages in one ticket" "SELECT count(*) FROM router.ticket_messages m JOIN router.tickets t USING (ticket_id)
  WHERE t.public_id = '$WC_PID' AND m.direction = 'in' AND m.message_id IN (SELECT message_id FROM gateway.inbound_messages WHERE $SAMPLE_MSGS)" 2
chk "the WeChat follower: the subscribe event opens no ticket, the question after it does" "SELECT count(DISTINCT m.ticket_id) || ' ' || count(*) FROM router.ticket_messages m
  JOIN gateway.inbound_messages g USING (message_id) WHERE g.account = 'gh_shop' AND g.external_user_id = 'oQIAB-Tyra2Wbx-euRae47ZQ1C7k'" "1 1"
chk "the GB2312 e-mail decoded" "SELECT count(*) FROM gateway.inbound_messages WHERE account = 'support'
  AND external_message_id = '$COMPLAINT_MSGID' AND subject LIKE '投诉%' AND text LIKE '%12315%'" 1
chk "the agent's web-chat reply delivered" "SELECT status FROM gateway.outbound_messages WHERE outbound_id = '$WC_OUT'" delivered
chk "the agent's e-mail reply delivered" "SELECT status FROM gateway.outbound_messages WHERE outbound_id = '$MAIL_OUT'" delivered
chk "both answered tickets resolved, first response recorded" "SELECT string_agg(status || ' ' || (first_response_at IS NOT NULL), ', ')
  FROM router.tickets WHERE public_id IN ('$WC_PID', '$MAIL_PID')" "resolved true, resolved true"
n=$(grep -cF "\"$WC_OUT\"" "$RECEIVED" 2>/dev/null)
[ "${n:-0}" = 1 ] || problem "the web-chat reply $WC_OUT reached the receiver ${n:-0} times (expected once; $RECEIVED_SHOWN)"
if [ -z "$MAIL_FILE" ]; then
  problem "the e-mail reply $MAIL_OUT is not in $MAILDIR_SHOWN"
else
  grep -qi "^In-Reply-To: <$MAIL_MSGID>" "$MAIL_FILE" || problem "the e-mail reply does not answer <$MAIL_MSGID> (In-Reply-To)"
  python3 -c 'import email, email.policy, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=email.policy.default)
sys.exit(0 if m["Subject"].startswith("Re: ") and m["Subject"].endswith("[#PD-%s]" % sys.argv[2]) else 1)' "$MAIL_FILE" "$MAIL_PID" ||
    problem "the e-mail reply's Subject is not \"Re: ... [#PD-$MAIL_PID]\""
fi
for p in "$WC_PID" "$MAIL_PID"; do
  [ -n "$p" ] || continue
  curl -sS -m 10 "http://$GW_HTTP/v1/track/$p" 2>/dev/null | grep -q '"kind":"agent_reply"' ||
    problem "the progress page of $p does not show the agent's reply"
  curl -sS -m 10 -H 'Accept: text/html' "http://$GW_HTTP/v1/track/$p" 2>/dev/null | grep -q '<ol id="timeline">' ||
    problem "the progress page of $p has no HTML form"
done
# Surveys: one invitation per resolved ticket, delivered once on the customer's channel.
# Both sent; or both queued in quiet hours, the caller's or those of an earlier run on this var.
quiet_ok=false
[ -z "$SURVEY_QUIET_DEFAULT" ] && quiet_ok=true
chk "survey invitations for the two resolved tickets (state, channel)" "SELECT string_agg(CASE WHEN state IN ('sent', 'answered', 'expired') THEN 'out'
  WHEN state = 'queued' AND ($quiet_ok OR created_at < '$RUN_STARTED') THEN 'out' ELSE state END || ' ' || channel, ', ' ORDER BY channel DESC)
  FROM survey.invitations WHERE ticket_public_id IN ('$WC_PID', '$MAIL_PID')" "out webhook, out email"
if [ -n "$SURVEYS_OUT" ]; then
  chk "both invitations delivered by the gateway as survey invitations" "SELECT count(*) FROM gateway.outbound_messages o JOIN survey.invitations i USING (outbound_id)
    WHERE i.ticket_public_id IN ('$WC_PID', '$MAIL_PID') AND o.status = 'delivered' AND o.reason = 4" 2
  n=$(grep -cF "\"$WC_INV_OUT\"" "$RECEIVED" 2>/dev/null)
  [ "${n:-0}" = 1 ] || problem "the web-chat invitation $WC_INV_OUT reached the receiver ${n:-0} times (expected once)"
  [ -n "$WC_LINK" ] || problem "no survey link in the web-chat invitation"
  n=$(grep -il "^Message-Id: <$MAIL_INV_OUT@peakdesk>" "$MAILDIR"/*.eml 2>/dev/null | wc -l)
  [ "$n" = 1 ] || problem "the e-mail invitation $MAIL_INV_OUT is in $MAILDIR_SHOWN $n times (expected once)"
  [ -n "$MAIL_LINK" ] || problem "no survey link in the e-mail invitation"
  chk "two answers: 5 on web chat, $MAIL_CSAT with a comment on the link (low)" "SELECT string_agg(i.channel || ' ' || r.via || ' ' || r.csat || ' ' || r.low_score
    || ' ' || (r.comment <> ''), ', ' ORDER BY i.channel DESC) FROM survey.responses r JOIN survey.invitations i USING (invitation_id)
    WHERE i.ticket_public_id IN ('$WC_PID', '$MAIL_PID')" "webhook channel 5 false false, email link $MAIL_CSAT true true"
  chk "both invitations answered" "SELECT string_agg(state, ' ') FROM survey.invitations WHERE ticket_public_id IN ('$WC_PID', '$MAIL_PID')" "answered answered"
  chk "the \"5\" kept on the web-chat ticket, which stays resolved" "SELECT t.status || ' ' || count(m.*) FROM router.tickets t
    LEFT JOIN router.ticket_messages m ON m.ticket_id = t.ticket_id AND m.message_id IN (SELECT message_id FROM gateway.inbound_messages
    WHERE account = 'webchat' AND external_message_id = '$WC_SURVEY_MSGID') WHERE t.public_id = '$WC_PID' GROUP BY t.status" "resolved 1"
  chk "one service-recovery ticket, for the lead $LEAD, linked to the e-mail ticket" "SELECT count(*) || ' ' || string_agg(t.agent_id || ' '
    || t.escalation_tier || ' ' || t.priority || ' ' || f.value, ', ') FROM router.tickets t JOIN router.ticket_refs f ON f.ticket_id = t.ticket_id
    AND f.kind = 'recovers' WHERE 'service_recovery' = ANY (t.tags)" "1 $LEAD lead 4 $MAIL_PID"
  chk "survey.low_score once" "SELECT count(*) FROM bus.outbox WHERE topic = 'survey.low_score'" 1
  chk "no survey about the recovery ticket" "SELECT count(*) FROM survey.invitations i JOIN router.tickets t USING (ticket_id)
    WHERE 'service_recovery' = ANY (t.tags) AND i.state <> 'skipped'" 0
  chk "the scores: CSAT 50 % of 2 answers" "SELECT csat_answers || ' ' || csat_pct FROM analytics.survey_scores WHERE breakdown = ''" "2 50.00"
  for topic in ticket.resolved survey.invitation_sent ticket.survey_reply survey.response_recorded survey.low_score; do
    grep -q "\"$topic\"" "$EVENTS" 2>/dev/null || problem "no $topic in $EVENTS_SHOWN"
  done
fi
# The report: written, one page with its charts, nothing fetched from elsewhere.
if [ -n "$REPORT_OK" ]; then
  [ -s "$REPORT" ] || problem "peakdesk report wrote no $REPORT_SHOWN"
  [ "${REPORT_SVG:-0}" -ge "$REPORT_MIN_SVG" ] || problem "$REPORT_SHOWN has ${REPORT_SVG:-0} <svg> charts (expected at least $REPORT_MIN_SVG)"
  grep -qi '<script' "$REPORT" && problem "$REPORT_SHOWN has a <script>"
  grep -Eqi '(src|href)="https?:' "$REPORT" && problem "$REPORT_SHOWN refers to an external asset"
  grep -qF "$CAMPAIGN" "$REPORT" || problem "$REPORT_SHOWN does not name $CAMPAIGN"
fi
# The analyst: the views, not the raw tables.
ANALYST_SCORES=$(psql "$ANALYST_DB" -XAtq -c "SELECT count(*) FROM analytics.survey_scores WHERE breakdown = ''" 2>&1)
[ "$ANALYST_SCORES" = 1 ] || problem "$ANALYST cannot read analytics.survey_scores: $ANALYST_SCORES"
if psql "$ANALYST_DB" -XAtq -c 'SELECT count(*) FROM survey.responses' >/dev/null 2>&1; then
  problem "$ANALYST can read survey.responses (raw, unmasked)"
fi

# ---- how to look ---------------------------------------------------------------------------
step "how to look (in another terminal)"
cat <<EOF
    export PEAKDESK_DB="$PEAKDESK_DB"
    export PEAKDESK_RUN_DIR="$PEAKDESK_RUN_DIR" PEAKDESK_LOGISTICS_HTTP=$HTTP
    export PEAKDESK_STOCK_HTTP=$ST_HTTP PEAKDESK_PROMO_HTTP=$PM_HTTP
    export PEAKDESK_GATEWAY_HTTP=$GW_HTTP PEAKDESK_ROUTER_HTTP=$RT_HTTP PEAKDESK_SURVEY_HTTP=$SV_HTTP
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

    # the campaign, its forecast, stock
    peakdesk forecast --campaign $CAMPAIGN --tz Asia/Shanghai   # all 72 hours, forecast beside the tickets that came
    curl -G --data-urlencode q=满减 http://$PM_HTTP/v1/rules     # rule texts of live campaigns by keyword (as agents search)
    psql "\$PEAKDESK_DB" -c "SELECT hour_start AT TIME ZONE 'Asia/Shanghai' AS hour, expected_consultations, agents_needed, actual_consultations FROM analytics.forecast_vs_actual WHERE campaign_id = '$CAMPAIGN' AND group_name = '' ORDER BY hour_start"
    psql "\$PEAKDESK_DB" -c 'SELECT * FROM analytics.stock_shortages'   # every stock-out: when, how long, how many orders
    psql "\$PEAKDESK_DB" -c 'SELECT sku, warehouse, available, presale, shortage_open, restock_eta FROM analytics.stock_levels ORDER BY sku, warehouse'
    peakdesk tail --name you3 --topic stock.
    # the earbuds back in Chengdu (a report newer than version $STOCKOUT_VERSION): the router tells PD2411110033's customer
    echo '{"stockLevel":{"sku":"$STOCK_SKU","warehouse":"$STOCK_WH","onHand":"60","reserved":"9","available":"51","version":"$((STOCKOUT_VERSION + 1))"}}' | peakdesk publish --to stock

    # the customers' side
    peakdesk account list; peakdesk agent list
    psql "\$PEAKDESK_DB" -c 'SELECT public_id, channel, external_user_id, status, subject FROM router.tickets ORDER BY updated_at DESC LIMIT 10'
    psql "\$PEAKDESK_DB" -c 'SELECT outbound_id, channel, status, attempts, last_error FROM gateway.outbound_messages'
    tail -f $RECEIVED_SHOWN                   # what the web-chat platform (and the WeChat API) received
    ls $MAILDIR_SHOWN                                    # the e-mail replies, one file each
    curl -H 'Accept: text/html' http://$GW_HTTP/v1/track/${WC_PID:-PUBLIC_ID}
    # write as a web-chat customer (secret "$WEBCHAT_SECRET"); then watch the ticket (a promo question:
    # the router answers with the live campaign's rule text):
    b='{"externalUserId":"visitor-1","messageId":"you-1","text":"优惠券怎么用？"}'; t=\$(date +%s)
    s=\$(printf %s.%s "\$t" "\$b" | openssl dgst -sha256 -hmac '$WEBCHAT_SECRET' -r | cut -d' ' -f1)
    curl -H 'Content-Type: application/json' -H "X-Peakdesk-Timestamp: \$t" -H "X-Peakdesk-Signature: sha256=\$s" \\
      --data-binary "\$b" http://$GW_HTTP/v1/channels/webchat/messages
    # answer as an agent: \`peakdesk agent add --name you --groups order --tier frontline --capacity 5\` prints your token
    curl -H "Authorization: Bearer \$TOKEN" http://$GW_HTTP/v1/agent/queue
    curl -H "Authorization: Bearer \$TOKEN" --data '{"text":"您好！"}' http://$GW_HTTP/v1/tickets/PUBLIC_ID/reply
    curl -H "Authorization: Bearer \$TOKEN" --data '{"resolution":"done","resolutionCode":"answered"}' http://$GW_HTTP/v1/tickets/PUBLIC_ID/resolve

    # surveys (links signed with PEAKDESK_SURVEY_SECRET "$SURVEY_SECRET"; quiet hours: $SURVEY_QUIET)
    # the e-mail customer's link, as his phone opens it (answered now: 409, "already answered"):
    curl -H 'Accept: text/html' ${MAIL_LINK:-http://$SV_HTTP/s/TOKEN}
    curl ${WC_LINK:-http://$SV_HTTP/s/TOKEN}      # the web-chat customer's (JSON: 409 too, he replied "5")
    psql "\$PEAKDESK_DB" -c 'SELECT ticket_public_id, channel, state, skip_reason, send_at, sent_at, expires_at FROM survey.invitations'
    psql "\$PEAKDESK_DB" -c "SELECT public_id, agent_id, status, subject FROM router.tickets WHERE 'service_recovery' = ANY (tags)"
    peakdesk tail --name you4 --topic survey.
    curl -s http://$SV_HTTP/metrics | grep '^peakdesk_survey'
    # as an analyst: login role $ANALYST, a member of peakdesk_analyst (the analytics views, nothing raw)
    psql "$ANALYST_DB" -c 'SELECT * FROM analytics.survey_scores'
    psql "$ANALYST_DB" -c 'SELECT ticket_id, channel, state, csat, low_score, comment, recovery_ticket_id FROM analytics.survey_responses'
    # the promo-day report: open $REPORT_SHOWN in a browser; write it again (a day in China time):
    peakdesk report --campaign $CAMPAIGN --tz Asia/Shanghai --out $REPORT_SHOWN
EOF

if [ -n "$FAILURES" ]; then
  step "the demo did NOT produce what it should:$FAILURES"
  info "logs: $VAR_SHOWN/log/ (logistics.log, stock.log, promo.log, gateway.log, router.log, survey.log, receiver.log, tail.log,"
  info "      report.log, publish-*)"
  if [ -n "$RUN_ONCE" ]; then exit 1; fi
else
  step "demo OK: every expected row and event is there"
fi

if [ -n "$RUN_ONCE" ]; then
  info "PEAKDESK_RUN_ONCE is set: stopping now"
  exit 0
fi

# ---- run until Ctrl-C ------------------------------------------------------------------------
step "running; Ctrl-C stops the tail, the services, the receiver and PostgreSQL"
info "the promo-day report: open $REPORT_SHOWN in a browser"
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
info "new logistics.delayed show up here (the next one is due ${next_due:-never} CST),"
info "and so do new tickets, delivered replies, proactive notices (publish a restock: see above), survey answers and the"
info "campaign's end ($(cst $((SAMPLE_MAIN_END_S + SHIFT_S))) CST: promo.campaign_updated, live false)"
seen=$(q "SELECT count(*) FROM bus.outbox WHERE topic = 'logistics.delayed'")
seen_tickets=$(q "SELECT count(*) FROM router.tickets")
seen_out=$(q "SELECT count(*) FROM gateway.outbound_messages WHERE status IN ('delivered', 'dead')")
seen_notices=$(q "SELECT count(*) FROM router.proactive_notices")
seen_campaign=$(q "SELECT count(*) FROM bus.outbox WHERE topic = 'promo.campaign_updated'")
seen_answers=$(q "SELECT count(*) FROM survey.responses")
while :; do
  sleep 2
  for svc in logistics stock promo gateway router survey; do
    eval "pid=\$$(echo "$svc" | tr a-z A-Z)_PID"
    if ! kill -0 "$pid" 2>/dev/null; then
      wait "$pid" 2>/dev/null
      st=$?
      eval "$(echo "$svc" | tr a-z A-Z)_PID="
      say "peakdesk-$svc exited on its own (status $st); its last lines:"
      tail -n 15 "$VAR/log/$svc.log"
      exit 1
    fi
  done
  if [ -n "$RECEIVER_PID" ] && ! kill -0 "$RECEIVER_PID" 2>/dev/null; then
    wait "$RECEIVER_PID" 2>/dev/null
    RECEIVER_PID=""
    say "the web-chat receiver exited on its own; see $VAR_SHOWN/log/receiver.log"
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
  now=$(q "SELECT count(*) FROM router.tickets")
  if [ -n "$now" ] && [ -n "$seen_tickets" ] && [ "$now" -gt "$seen_tickets" ]; then
    q "SELECT public_id || ' ' || channel || ' ' || external_user_id || ': ' || left(replace(subject, E'\n', ' '), 40)
      FROM router.tickets ORDER BY created_at DESC LIMIT least($((now - seen_tickets)), 5)" | while IFS= read -r t; do
      info "$(date +%H:%M:%S) new ticket $t"
    done
    seen_tickets=$now
  fi
  now=$(q "SELECT count(*) FROM router.proactive_notices")
  if [ -n "$now" ] && [ -n "$seen_notices" ] && [ "$now" -gt "$seen_notices" ]; then
    q "SELECT kind || ' episode ' || episode || ' for ' || order_id || ' to ' || account || '/' || external_user_id
      FROM router.proactive_notices ORDER BY sent_at DESC LIMIT least($((now - seen_notices)), 5)" |
      while IFS= read -r o; do info "$(date +%H:%M:%S) proactive notice $o"; done
    seen_notices=$now
  fi
  now=$(q "SELECT count(*) FROM gateway.outbound_messages WHERE status IN ('delivered', 'dead')")
  if [ -n "$now" ] && [ -n "$seen_out" ] && [ "$now" -gt "$seen_out" ]; then
    q "SELECT status || ' ' || channel || ' to ' || external_user_id || ' (' || outbound_id || ')' FROM gateway.outbound_messages
      WHERE status IN ('delivered', 'dead') ORDER BY coalesce(delivered_at, next_attempt_at) DESC LIMIT least($((now - seen_out)), 5)" |
      while IFS= read -r o; do info "$(date +%H:%M:%S) outbound $o"; done
    seen_out=$now
  fi
  now=$(q "SELECT count(*) FROM bus.outbox WHERE topic = 'promo.campaign_updated'")
  if [ -n "$now" ] && [ -n "$seen_campaign" ] && [ "$now" -gt "$seen_campaign" ]; then
    info "$(date +%H:%M:%S) promo.campaign_updated: $(q "SELECT string_agg(campaign_id || CASE WHEN live THEN ' live' ELSE ' not live' END, ', ')
      FROM promo.campaigns")"
    seen_campaign=$now
  fi
  now=$(q "SELECT count(*) FROM survey.responses")
  if [ -n "$now" ] && [ -n "$seen_answers" ] && [ "$now" -gt "$seen_answers" ]; then
    q "SELECT i.ticket_public_id || ' (' || i.channel || ', via the ' || r.via || '): '
      || coalesce('CSAT ' || r.csat, 'NPS ' || r.nps, 'shop scores ' || r.description_score || ' ' || r.attitude_score || ' ' || r.logistics_score)
      || CASE WHEN r.low_score THEN ', low: a recovery ticket for a lead' ELSE '' END
      FROM survey.responses r JOIN survey.invitations i USING (invitation_id) ORDER BY r.recorded_at DESC LIMIT least($((now - seen_answers)), 5)" |
      while IFS= read -r o; do info "$(date +%H:%M:%S) survey answer $o"; done
    seen_answers=$now
  fi
done
