#!/bin/sh
# Network faults between two hosts under a steady load. Two network
# namespaces joined by a veth pair stand for two hosts (as in
# tests/integration/netns_tls.sh):
#   host A (10.78.0.1): logistics, stock, promo (the department side), their
#     PUB and ingest sockets on tcp:// on the veth address;
#   host B (10.78.0.2): gateway, router, survey, the channel receiver and the
#     load (tests/tools/chaos_load.py): customers' messages on B's webhook,
#     department events published from B to A's ingest (`peakdesk publish`,
#     a failed batch re-sent with the same event ids), A's events consumed by
#     B's router over the link.
# PostgreSQL stays on its unix socket (a file, reachable from both).
#
# Faults, one after the other, under the load:
#   (a) link down (`ip link set ... down`) for NET_DOWN_S (20 s), then up;
#   (b) 30 % loss and 100 ms +- 50 ms delay (`tc qdisc add dev ... root netem
#       loss 30% delay 100ms 50ms`, both ends) for NET_LOSS_S (30 s), then
#       removed. A kernel without netem (sch_netem, often missing in
#       containers) gets the loss without the delay from nftables instead
#       (`numgen random mod 100 < 30 drop` on each host's input); with
#       neither, (b) is skipped with a visible SKIP line. Checked first.
# Afterwards: every acknowledged event has exactly one effect, the
# consumers are caught up, the publisher's re-sends made no double effect,
# nothing dead-lettered, no service died. Figures (events acknowledged during
# each fault, time until publishing resumed and until the consumers had
# caught up after the link came back) are printed and written to
# build/chaos/network.txt.
#
# Knobs: NET_WARM_S (15), NET_DOWN_S (20), NET_LOSS_S (30), NET_RECOVER_S
# (25: load after each fault), CHAOS_RATE (6 customer messages/s), CHAOS_DRAIN_S
# (120: cap on every catch-up wait). Needs root and iproute2.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/chaos_lib.sh"
TEST_NAME=network_chaos
WARM=${NET_WARM_S:-15}
DOWN=${NET_DOWN_S:-20}
LOSS=${NET_LOSS_S:-30}
RECOVER=${NET_RECOVER_S:-25}
RATE=${CHAOS_RATE:-6}
DRAIN_S=${CHAOS_DRAIN_S:-120}
FIG=$ROOT/build/chaos/network.txt
mkdir -p "$ROOT/build/chaos"

if [ "$(id -u)" -ne 0 ] || ! command -v ip >/dev/null 2>&1 || ! command -v tc >/dev/null 2>&1; then
  echo "network_chaos: needs root, ip and tc (iproute2)"
  echo "network_chaos: 0 passed, 1 failed"
  exit 1
fi
LOAD_AVG0=$(loadavg)
pd_setup
mkdir -p "$WORK/bin"
cp "$BIN"/peakdesk "$BIN"/peakdesk-* "$WORK/bin/"
BIN_SRC=$BIN
BIN=$WORK/bin
NSA=pdncA$$
NSB=pdncB$$
VA=pdnca$$
VB=pdncb$$
net_cleanup() {
  [ -n "${LOAD_PID:-}" ] && kill -TERM "$LOAD_PID" 2>/dev/null
  [ "$FAILED" -gt 0 ] && [ -d "${WORK:-}" ] && chaos_keep_failure network
  pd_cleanup
  ip netns del "$NSA" 2>/dev/null
  ip netns del "$NSB" 2>/dev/null
  ip link del "$VA" 2>/dev/null
  return 0
}
trap net_cleanup EXIT
trap 'exit 1' INT TERM

A=10.78.0.1
B=10.78.0.2
ip netns add "$NSA" && ip netns add "$NSB" &&
  ip link add "$VA" type veth peer name "$VB" &&
  ip link set "$VA" netns "$NSA" && ip link set "$VB" netns "$NSB" &&
  ip -n "$NSA" addr add "$A/24" dev "$VA" && ip -n "$NSB" addr add "$B/24" dev "$VB" &&
  ip -n "$NSA" link set "$VA" up && ip -n "$NSB" link set "$VB" up &&
  ip -n "$NSA" link set lo up && ip -n "$NSB" link set lo up ||
  { fail "cannot create the network namespaces"; pd_done; exit 1; }
ok "hosts A=$NSA ($A) and B=$NSB ($B) joined by a veth pair"

# Can we shape the link? (sch_netem may be missing in a container's kernel.)
if NETEM_ERR=$(ip netns exec "$NSA" tc qdisc add dev "$VA" root netem loss 30% delay 100ms 50ms 2>&1); then
  ip netns exec "$NSA" tc qdisc del dev "$VA" root
  NETEM=yes
  ok "tc netem works here"
else
  # The same loss (no delay) with nftables: each host drops 30 % of what
  # it receives on the link.
  nft_loss_on() { ip netns exec "$1" nft -f - <<NFT
table inet chaos {
  chain in {
    type filter hook input priority 0;
    iifname "$2" numgen random mod 100 < 30 drop
  }
}
NFT
  }
  nft_loss_off() { ip netns exec "$1" nft delete table inet chaos; }
  if command -v nft >/dev/null 2>&1 && NFT_ERR=$(nft_loss_on "$NSA" "$VA" 2>&1) && nft_loss_off "$NSA"; then
    NETEM=nft
    ok "tc netem is missing in this kernel ('$NETEM_ERR'): packet loss from nftables instead (no delay)"
  else
    NETEM=no
    echo "  NOTE neither tc netem ('$NETEM_ERR') nor nftables (${NFT_ERR:-nft not installed}) can drop packets"
    echo "       here; fault (b), packet loss, will be SKIPPED"
    LOSS=0
  fi
fi

# Every process in both namespaces sees the same addresses.
for s in logistics:2 stock:3 promo:4; do
  u=$(echo "${s%%:*}" | tr a-z A-Z)
  export "PEAKDESK_${u}_PUB=tcp://$A:730${s#*:}" "PEAKDESK_${u}_INGEST=tcp://$A:740${s#*:}" "PEAKDESK_${u}_HTTP=$A:808${s#*:}"
done
for s in gateway:0 router:1 survey:5; do
  u=$(echo "${s%%:*}" | tr a-z A-Z)
  export "PEAKDESK_${u}_PUB=tcp://$B:730${s#*:}" "PEAKDESK_${u}_HTTP=127.0.0.1:808${s#*:}"
done
ns_of() { case $1 in logistics | stock | promo) echo "$NSA" ;; *) echo "$NSB" ;; esac; }
in_b() { ip netns exec "$NSB" "$@"; }
healthy() { ip netns exec "$(ns_of "$1")" curl -fsS -o /dev/null --max-time 2 "http://$(http_addr "$1")/healthz"; }
SERVICES="logistics stock promo gateway router survey"
all_healthy() { for _h in $SERVICES; do healthy "$_h" || return 1; done; }

SECRET=$CHAOS_SECRET
chaos_setup_people "ip netns exec $NSB" || { fail "account and agents"; exit 1; }
export PEAKDESK_SURVEY_SECRET=chaos-survey-link-key-0123456789abcdef
export PEAKDESK_SURVEY_PUBLIC_URL="http://$(http_addr survey)/"
export PEAKDESK_SURVEY_QUIET_HOURS=none PEAKDESK_SURVEY_TICK_MS=300
export PEAKDESK_GATEWAY_DELIVERY_TICK_MS=200

for s in $SERVICES; do
  ip netns exec "$(ns_of "$s")" "$BIN/peakdesk-$s" >>"$WORK/$s.log" 2>&1 &
  eval "PID_$s=$!"
  PIDS="$PIDS $!"
done
if ! wait_until 60 all_healthy; then
  for s in $SERVICES; do healthy "$s" || { echo "peakdesk-$s not healthy:"; tail -n 20 "$WORK/$s.log"; }; done
  fail "the six services start in their namespaces"
  exit 1
fi
ok "logistics, stock, promo healthy on A; gateway, router, survey on B"
GW="http://$(http_addr gateway)"
for t in $(cut -d' ' -f2 "$WORK/agents.txt"); do
  in_b curl -s -o /dev/null -X PUT -H "Authorization: Bearer $t" --data '{"presence":"online"}' "$GW/v1/agent/presence"
done
check "seven agents online" wait_until 20 sh -c \
  "[ \"\$(psql '$PEAKDESK_DB' -XAtqc \"SELECT count(*) FROM router.agents WHERE presence = 'online'\")\" = 7 ]"
# The router on B must be connected to A's PUB sockets over the link.
check "B's router, gateway and survey connected to A's PUB sockets over the link" wait_until 20 sh -c \
  "[ \$(ip netns exec $NSA ss -Htn state established '( sport = :7302 or sport = :7303 or sport = :7304 )' | wc -l) -ge 3 ]"

# ---- load -------------------------------------------------------------------------------
[ "$NETEM" != no ] && NFAULTS=2 || NFAULTS=1
DURATION=$((WARM + DOWN + RECOVER))
[ "$NETEM" != no ] && DURATION=$((DURATION + LOSS + RECOVER))
T_START=$(now)
in_b python3 "$ROOT/tests/tools/chaos_load.py" --out "$WORK/load" --seconds "$DURATION" --rate "$RATE" \
  --gw "$(http_addr gateway)" --secret "$SECRET" --account webchat --peakdesk "$BIN/peakdesk" \
  --agents "$WORK/agents.txt" --hook "$WORK/hook.jsonl" >"$WORK/load.out" 2>"$WORK/load.log" &
LOAD_PID=$!
pd_log "load: ${DURATION} s, $RATE customer messages/s on B, 10 logistics + 6 stock + 2 promo events/s from B to A ($NFAULTS fault(s)); load average $LOAD_AVG0"
sleep "$WARM"

# t_acks T0 T1: department events acknowledged in [T0, T1] (from the load's records so far)
acks_between() {
  python3 - "$WORK/load/dept.jsonl" "$1" "$2" <<'PY'
import json, sys
n = 0
for l in open(sys.argv[1]):
    r = json.loads(l)
    if float(sys.argv[2]) <= r["t"] <= float(sys.argv[3]) and r["status"] in ("ACCEPTED", "DUPLICATE"):
        n += 1
print(n)
PY
}
webhook_between() {
  python3 - "$WORK/load/webhook.jsonl" "$1" "$2" <<'PY'
import json, sys
print(sum(1 for l in open(sys.argv[1]) if float(sys.argv[2]) <= json.loads(l)["t"] <= float(sys.argv[3])
          and json.loads(l)["status"] in ("accepted", "duplicate")))
PY
}
# held_acked T: every kind has an acknowledged batch first sent at or after T
# (so the batches held up by the fault have all been answered)
held_acked() {
  python3 - "$WORK/load/dept.jsonl" "$1" <<'PY'
import json, sys
kinds = {json.loads(l)["kind"] for l in open(sys.argv[1]) if json.loads(l)["t0"] >= float(sys.argv[2])}
sys.exit(0 if kinds >= {"logistics", "stock", "promo"} else 1)
PY
}
# first department ack after T (s after T)
first_ack_after() {
  python3 - "$WORK/load/dept.jsonl" "$1" <<'PY'
import json, sys
ts = [json.loads(l)["t"] for l in open(sys.argv[1])]
ts = [t for t in ts if t > float(sys.argv[2])]
print("%.1f" % (min(ts) - float(sys.argv[2])) if ts else "never")
PY
}
# held T_ON T_OFF: events whose batch was in flight during the fault: count,
# how many were re-sent, the longest wait for their ack (s)
held() {
  python3 - "$WORK/load/dept.jsonl" "$1" "$2" <<'PY'
import json, sys
on, off = float(sys.argv[2]), float(sys.argv[3])
rs = [json.loads(l) for l in open(sys.argv[1])]
h = [r for r in rs if r["t0"] < off and r["t"] > on]
print("%d events in %d batches held (%d re-sent by the load), longest wait for an ack %.1f s" % (
    len(h), len({(r["kind"], r["t0"]) for r in h}), sum(1 for r in h if r["tries"] > 1),
    max([r["t"] - r["t0"] for r in h] or [0])))
PY
}
# behind_a: events of A's publishers the router has not applied yet
behind_a() {
  psql_q "SELECT coalesce(sum(m.s - coalesce(f.seq, 0)), 0) FROM (SELECT publisher, max(seq) AS s FROM bus.outbox
    WHERE publisher IN ('logistics-1', 'stock-1', 'promo-1') GROUP BY publisher) m
    LEFT JOIN bus.offsets f ON f.consumer = 'router-1' AND f.publisher = m.publisher"
}

# fault NAME SECONDS ON-CMD OFF-CMD: the fault for SECONDS, then the figures
# (the commands are eval'ed here, so they may use this script's functions)
: >"$WORK/faults.txt"
: >"$WORK/windows.txt"
fault() {
  _name=$1 _secs=$2 _on=$3 _off=$4
  _lag0=$(behind_a)
  _t0=$(now)
  if ! eval "$_on"; then fail "$_name: injecting the fault ($_on)"; return 1; fi
  pd_log "$_name: on at +$(elapsed "$T_START" "$_t0") s ($_on)"
  _maxlag=0
  _end=$(( $(date +%s) + _secs ))
  while [ "$(date +%s)" -lt "$_end" ]; do
    _l=$(behind_a)
    [ "$_l" -gt "$_maxlag" ] && _maxlag=$_l
    sleep 1
  done
  eval "$_off" || fail "$_name: removing the fault ($_off)"
  _t1=$(now)
  echo "$_name $_t0 $_t1" >>"$WORK/windows.txt"
  chaos_snapshot "$WORK/snap-$_name.txt"
  _pend=$(chaos_pending "$WORK/snap-$_name.txt")
  pd_log "$_name: off at +$(elapsed "$T_START" "$_t1") s; consumers then $_pend events behind what was committed"
  # the batches the fault held up are answered ...
  if wait_until "$DRAIN_S" held_acked "$_t1"; then _pubok=$(elapsed "$_t1" "$(now)"); else _pubok=never; fi
  _resume=$(first_ack_after "$_t1")
  check "$_name: department publishing resumed (first ack $_resume s after the fault, held batches answered $_pubok s after)" \
    [ "$_pubok" != never ]
  # ... and what they committed reaches the consumers
  chaos_snapshot "$WORK/snap2-$_name.txt"
  if wait_until "$DRAIN_S" chaos_caught_up "$WORK/snap2-$_name.txt"; then
    _catch=$(elapsed "$_t1" "$(now)")
    ok "$_name: consumers caught up with everything committed during and after the fault, $_catch s after it ended"
  else
    _catch=never
    fail "$_name: consumers caught up within ${DRAIN_S} s ($(chaos_pending "$WORK/snap2-$_name.txt") behind)"
  fi
  _acc=$(acks_between "$_t0" "$_t1")
  _wh=$(webhook_between "$_t0" "$_t1")
  echo "$_name ${_secs}s: department events acknowledged during the fault $_acc, customer messages (B-local) $_wh;" \
    "router behind A's publishers at most $_maxlag events (before: $_lag0), $_pend pending when it ended;" \
    "first department ack ${_resume} s after it ended, every held batch answered ${_pubok} s after," \
    "consumers caught up with all of it ${_catch} s after" >>"$WORK/faults.txt"
  tail -n 1 "$WORK/faults.txt" | sed 's/^/  /'
}

fault "link-down" "$DOWN" "ip -n $NSA link set $VA down" "ip -n $NSA link set $VA up"
sleep_until() { while [ "$(awk -v a="$(now)" -v b="$1" 'BEGIN { print (a < b) }')" = 1 ]; do sleep 0.5; done; }
sleep_until "$(awk -v t="$T_START" -v o=$((WARM + DOWN + RECOVER)) 'BEGIN { printf "%.1f", t + o }')"
if [ "$NETEM" = yes ]; then
  fault "loss30-delay100" "$LOSS" \
    "ip netns exec $NSA tc qdisc add dev $VA root netem loss 30% delay 100ms 50ms && ip netns exec $NSB tc qdisc add dev $VB root netem loss 30% delay 100ms 50ms" \
    "ip netns exec $NSA tc qdisc del dev $VA root; ip netns exec $NSB tc qdisc del dev $VB root"
elif [ "$NETEM" = nft ]; then
  fault "loss30-nftables" "$LOSS" \
    "nft_loss_on $NSA $VA && nft_loss_on $NSB $VB" "nft_loss_off $NSA; nft_loss_off $NSB"
else
  echo "  SKIP (b) packet loss 30%: neither tc netem nor nftables available here ($NETEM_ERR)"
  echo "loss30: SKIPPED, neither tc netem nor nftables available ($NETEM_ERR)" >>"$WORK/faults.txt"
fi

# ---- the load ends; everything drains --------------------------------------------------------
_i=0
while kill -0 "$LOAD_PID" 2>/dev/null && [ $_i -lt $(( (DURATION + 200) * 5 )) ]; do sleep 0.2; _i=$((_i + 1)); done
if kill -0 "$LOAD_PID" 2>/dev/null; then fail "the load tool finished"; kill -TERM "$LOAD_PID"; fi
wait "$LOAD_PID"
LOAD_PID=""
T_LOAD_END=$(now)
pd_log "load: $(tail -n 1 "$WORK/load.log" | cut -c1-400)"
if wait_until "$DRAIN_S" chaos_quiet; then
  ok "everything consumed $(elapsed "$T_LOAD_END" "$(now)") s after the load ended"
else
  fail "everything consumed within ${DRAIN_S} s after the load ($(chaos_pending) events behind)"
fi
for s in $SERVICES; do
  eval "p=\$PID_$s"
  kill -0 "$p" 2>/dev/null || fail "peakdesk-$s (pid $p) died during the run: $(tail -n 3 "$WORK/$s.log" | tr '\n' ' ')"
done
ok "no service died (the same six processes ran throughout)"
grep -h 'level=error' "$WORK"/*.log | sed 's/^[^ ]* //' | cut -c1-160 | sort | uniq -c | sort -rn | head -n 8 >"$WORK/errors.txt"
[ -s "$WORK/errors.txt" ] && { pd_log "error lines in the service logs (count, first 160 chars):"; sed 's/^/    /' "$WORK/errors.txt"; }

chaos_load_records "$WORK/load" || fail "load records loaded"
chaos_check_effects
RESENT=$(psql_q "SELECT count(*) FROM chaos.dept WHERE tries > 1")
while read -r _n _on _off; do
  echo "$_n: $(held "$_on" "$_off")" >>"$WORK/held.txt"
done <"$WORK/windows.txt"

stop_pids $PIDS
PIDS=""
{
  echo "network_chaos: $(date -u +%Y-%m-%dT%H:%M:%SZ), binaries $BIN_SRC, load average at start $LOAD_AVG0, at end $(loadavg)"
  echo "hosts: A ($A: logistics stock promo, tcp:// PUB + ingest) <-veth-> B ($B: gateway router survey, load); PostgreSQL on a unix socket"
  echo "load ${DURATION} s: customer messages $W_ACC acknowledged of $W_SENT ($W_RETRIED re-sent); department events $D_ACC acknowledged"
  echo "  (logistics ${D_ACC_logistics}, stock ${D_ACC_stock}, promo ${D_ACC_promo}); $D_RETRIED_BATCHES batches re-sent by the load ($RESENT events),"
  echo "  $D_DUP events answered DUPLICATE to a re-send of a batch whose first try had committed; each still had exactly one effect"
  sed 's/^/fault /' "$WORK/faults.txt"
  sed 's/^/held by fault /' "$WORK/held.txt" 2>/dev/null
  echo "checks: $PASSED passed, $FAILED failed; offsets: $OFFSETS"
} | tee "$FIG" | sed 's/^/  /'
pd_done
