#!/bin/sh
# Several hosts over NNG with mutual TLS. Two network namespaces joined by a
# veth pair stand for two hosts: A (10.77.0.1) runs peakdesk-logistics with
# its PUB and ingest sockets on tls+tcp://, B (10.77.0.2) runs the clients:
# `peakdesk publish` to the ingest, `peakdesk tail` and nngcat (a client we
# did not write) on the PUB socket. Certificates come from a throwaway CA
# made here with openssl, plus a second, foreign CA.
#
# Shown: events published from B over TLS are stored and come back to B's
# tail, exactly once; a client whose certificate is from the foreign CA
# cannot publish (clear error, nothing stored); a subscriber that does not
# trust the service's CA gets no connection and no NNG message (a durable
# tail still gets every event from bus.outbox, as designed, and after a
# restart with the right CA connects without a TLS warning); a consumer
# that started while the service had a bad certificate connects once the
# service restarts with a good one; plain tcp:// between the hosts works.
#
# PostgreSQL stays on its unix socket: a file, reachable from both
# namespaces. Needs root (ip netns), iproute2 and openssl.
. "$(dirname "$0")/../lib.sh"

if [ "$(id -u)" -ne 0 ] || ! command -v ip >/dev/null 2>&1 || ! command -v openssl >/dev/null 2>&1; then
  echo "netns_tls: needs root, ip (iproute2) and openssl"
  echo "netns_tls: 0 passed, 1 failed"
  exit 1
fi

pd_setup
NSA=pdtlsA$$
NSB=pdtlsB$$
VA=pdva$$
VB=pdvb$$
netns_cleanup() {
  ip netns del "$NSA" 2>/dev/null
  ip netns del "$NSB" 2>/dev/null
  ip link del "$VA" 2>/dev/null
  return 0
}
# services first (pd_cleanup stops them), then the namespaces
trap 'pd_cleanup; netns_cleanup' EXIT
trap 'exit 1' INT TERM

# ---- two hosts -------------------------------------------------------------
A=10.77.0.1
B=10.77.0.2
ip netns add "$NSA" && ip netns add "$NSB" &&
  ip link add "$VA" type veth peer name "$VB" &&
  ip link set "$VA" netns "$NSA" && ip link set "$VB" netns "$NSB" &&
  ip -n "$NSA" addr add "$A/24" dev "$VA" && ip -n "$NSB" addr add "$B/24" dev "$VB" &&
  ip -n "$NSA" link set "$VA" up && ip -n "$NSB" link set "$VB" up &&
  ip -n "$NSA" link set lo up && ip -n "$NSB" link set lo up ||
  { fail "cannot create the network namespaces"; pd_done; exit 1; }
ok "namespaces $NSA ($A) and $NSB ($B) joined by a veth pair"

# ---- certificates -----------------------------------------------------------
PKI=$WORK/pki
mkdir -p "$PKI"
mkca() {
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
    -keyout "$PKI/$1.key" -out "$PKI/$1.crt" -subj "/CN=$1 test CA" >/dev/null 2>&1
}
# mkcert NAME CA SAN: mbed TLS 2.28 (NNG 1.5.2) matches the server name only
# against DNS entries, so the address is listed as DNS: as well as IP:.
mkcert() {
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout "$PKI/$1.key" -out "$PKI/$1.csr" -subj "/CN=$1" >/dev/null 2>&1 &&
    printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth,clientAuth\n' "$3" >"$PKI/$1.ext" &&
    openssl x509 -req -in "$PKI/$1.csr" -CA "$PKI/$2.crt" -CAkey "$PKI/$2.key" -CAcreateserial \
      -days 2 -extfile "$PKI/$1.ext" -out "$PKI/$1.crt" >/dev/null 2>&1
}
mkca ca && mkca foreign &&
  mkcert hostA ca "DNS:$A,IP:$A" && mkcert hostB ca "DNS:$B,IP:$B" &&
  mkcert intruder foreign "DNS:$B,IP:$B" && mkcert badA foreign "DNS:$A,IP:$A" &&
  chmod 600 "$PKI"/*.key || { fail "cannot make certificates"; pd_done; exit 1; }
ok "throwaway CA, foreign CA and certificates made with openssl"

# ---- helpers ------------------------------------------------------------------
PUB_TLS=tls+tcp://$A:7101
ING_TLS=tls+tcp://$A:7102
HTTP_A=$A:8182
# tls_env CERT CA: the TLS variables for a certificate and a trusted CA
tls_env() { echo "PEAKDESK_TLS_CERT=$PKI/$1.crt PEAKDESK_TLS_KEY=$PKI/$1.key PEAKDESK_TLS_CA=$PKI/$2.crt"; }

# start_logistics PUB INGEST [ENV...]: in namespace A, waits for /healthz (30 s)
start_logistics() {
  _pub=$1 _ing=$2; shift 2
  ip netns exec "$NSA" env PEAKDESK_LOGISTICS_PUB="$_pub" PEAKDESK_LOGISTICS_INGEST="$_ing" \
    PEAKDESK_LOGISTICS_HTTP="$HTTP_A" "$@" "$BIN/peakdesk-logistics" >>"$WORK/logistics.log" 2>&1 &
  PID_logistics=$!
  PIDS="$PIDS $PID_logistics"
  wait_for "logistics healthy" 30 ip netns exec "$NSA" curl -fsS "http://$HTTP_A/healthz"
}

# in_b PUB INGEST [ENV...] -- COMMAND...: a peakdesk client in namespace B.
# bg_b: the same for `bg_b ... &`, so that $! is the client's own pid.
in_b() {
  _pub=$1 _ing=$2; shift 2
  _env=""
  while [ "$1" != "--" ]; do _env="$_env $1"; shift; done
  shift
  # shellcheck disable=SC2086
  ${_exec:-} ip netns exec "$NSB" env PEAKDESK_LOGISTICS_PUB="$_pub" PEAKDESK_LOGISTICS_INGEST="$_ing" $_env "$@"
}
bg_b() { _exec=exec in_b "$@"; }

# events PREFIX N: N new shipments as publish input, order ids PREFIX-1..N
events() {
  awk -v p="$1" -v n="$2" 'BEGIN { for (i = 1; i <= n; i++)
    printf "{\"eventId\":\"%s\",\"shipmentUpdate\":{\"orderId\":\"%s-%d\",\"carrier\":\"sf\",\"trackingNo\":\"SF%s%06d\",\"state\":\"SHIPMENT_STATE_CREATED\"}}\n",
      sprintf("00000000-0000-4000-8000-%012d", (index("TLS INT LATE PLAIN", p) + 1) * 1000 + i), p, i, p, i }'
}
expected_ids() { i=1; while [ "$i" -le "$2" ]; do echo "$1-$i"; i=$((i + 1)); done | sort; }
order_ids() { grep -o "\"orderId\":\"$1-[0-9]*\"" "$2" 2>/dev/null | sed 's/.*:"\(.*\)"/\1/' | sort; }
quoted_ids() { grep -o "$1-[0-9]*" "$2" 2>/dev/null | sort -u; }
lines() { [ -f "$1" ] && wc -l <"$1" | tr -d ' ' || echo 0; }
# established TCP connections to PORT on host A
conns() { ip netns exec "$NSA" ss -Htn state established "( sport = :$1 )" | wc -l | tr -d ' '; }

# ---- TLS: publish from B, tail and subscribe from B ---------------------------------
if start_logistics "$PUB_TLS" "$ING_TLS" $(tls_env hostA ca); then
  ok "logistics runs in $NSA with PUB $PUB_TLS and ingest $ING_TLS"
else
  fail "logistics did not start with TLS"; tail -n 20 "$WORK/logistics.log"; pd_done; exit 1
fi
check "it logs its TLS PUB address" grep -q "pub=$PUB_TLS" "$WORK/logistics.log"

bg_b "$PUB_TLS" "$ING_TLS" $(tls_env hostB ca) -- "$BIN/peakdesk" tail --name tls-ok --topic logistics. \
  --out "$WORK/tail-ok.jsonl" 2>>"$WORK/tail-ok.log" &
TAIL_OK=$!
PIDS="$PIDS $TAIL_OK"
# A tail on host B that does not trust host A's CA.
bg_b "$PUB_TLS" "$ING_TLS" $(tls_env hostB foreign) -- "$BIN/peakdesk" tail --name tls-wrong --topic logistics. \
  --out "$WORK/tail-wrong.jsonl" 2>>"$WORK/tail-wrong.log" &
TAIL_WRONG=$!
PIDS="$PIDS $TAIL_WRONG"
# nngcat subscribers: one with our CA and certificate, one with the foreign ones.
ip netns exec "$NSB" timeout 60 nngcat --sub0 --dial "$PUB_TLS" --subscribe logistics. --quoted --count 20 \
  --cacert "$PKI/ca.crt" --cert "$PKI/hostB.crt" --key "$PKI/hostB.key" >"$WORK/nngcat-ok.out" 2>"$WORK/nngcat-ok.err" &
CAT_OK=$!
ip netns exec "$NSB" timeout 20 nngcat --sub0 --dial "$PUB_TLS" --subscribe logistics. --quoted \
  --cacert "$PKI/foreign.crt" --cert "$PKI/intruder.crt" --key "$PKI/intruder.key" >"$WORK/nngcat-wrong.out" 2>"$WORK/nngcat-wrong.err" &
CAT_WRONG=$!

if wait_for "two subscribers connected" 20 sh -c "[ \$(ip netns exec $NSA ss -Htn state established '( sport = :7101 )' | wc -l) -ge 2 ]"; then
  ok "the tail and nngcat with our CA are connected over TLS"
else
  fail "subscribers did not connect (connections: $(conns 7101))"
fi
sleep 2 # the wrong-CA clients have retried a few times by now
eq "no connection stays up for the wrong-CA clients" 2 "$(conns 7101)"

events TLS 20 >"$WORK/tls.jsonl"
in_b "$PUB_TLS" "$ING_TLS" $(tls_env hostB ca) -- timeout 60 "$BIN/peakdesk" publish --to logistics --quiet \
  "$WORK/tls.jsonl" >"$WORK/publish-tls.out" 2>"$WORK/publish-tls.err"
eq "publish over TLS from $NSB succeeded" 0 "$?"
check "20 events accepted" grep -q "20 accepted" "$WORK/publish-tls.err"
eq "stored in logistics" 20 "$(psql_q "SELECT count(*) FROM logistics.shipments WHERE order_id LIKE 'TLS-%'")"

wait_for "tail over TLS got 20" 60 sh -c "[ \$(wc -l <'$WORK/tail-ok.jsonl' 2>/dev/null || echo 0) -ge 20 ]"
sleep 1
eq "tail in $NSB printed exactly 20 events" 20 "$(lines "$WORK/tail-ok.jsonl")"
eq "exactly the published orders" "$(expected_ids TLS 20)" "$(order_ids TLS "$WORK/tail-ok.jsonl")"

wait_for "nngcat done" 60 sh -c "! kill -0 $CAT_OK 2>/dev/null"
wait "$CAT_OK" 2>/dev/null
eq "nngcat with our CA received the 20 events live over TLS" "$(expected_ids TLS 20)" "$(quoted_ids TLS "$WORK/nngcat-ok.out")"
wait "$CAT_WRONG" 2>/dev/null
eq "nngcat with the foreign CA received nothing" 0 "$(lines "$WORK/nngcat-wrong.out")"

check "the wrong-CA tail logs the refused handshake with the peer address" \
  grep -q "msg=\"TLS handshake failed\" side=dialer peer=$PUB_TLS" "$WORK/tail-wrong.log"
check "logistics logs refused clients on its listener" \
  grep -q "msg=\"TLS handshake failed\" side=listener local=" "$WORK/logistics.log"
check "the good tail logged no TLS failure" sh -c "! grep -q 'TLS handshake failed' '$WORK/tail-ok.log'"
check "no key material in any log" sh -c "! grep -l 'PRIVATE KEY' '$WORK'/*.log"

# The durable tail without the NNG link still reads bus.outbox (the poll):
# lossless by design, and exactly once. Restarted with the right CA it
# connects (no TLS warning) and prints nothing twice.
wait_for "wrong-CA tail caught up from the outbox" 30 sh -c "[ \$(wc -l <'$WORK/tail-wrong.jsonl' 2>/dev/null || echo 0) -ge 20 ]"
eq "the wrong-CA tail still got every event exactly once, from bus.outbox" "$(expected_ids TLS 20)" \
  "$(order_ids TLS "$WORK/tail-wrong.jsonl")"
stop_pids "$TAIL_WRONG"
: >"$WORK/tail-wrong2.log"
bg_b "$PUB_TLS" "$ING_TLS" $(tls_env hostB ca) -- "$BIN/peakdesk" tail --name tls-wrong --topic logistics. \
  --out "$WORK/tail-wrong.jsonl" 2>>"$WORK/tail-wrong2.log" &
TAIL_WRONG=$!
PIDS="$PIDS $TAIL_WRONG"
if wait_for "restarted tail connected" 20 sh -c "[ \$(ip netns exec $NSA ss -Htn state established '( sport = :7101 )' | wc -l) -ge 2 ]"; then
  ok "restarted with the right CA, the tail connects"
else
  fail "the restarted tail did not connect"
fi
check "and logs no TLS failure" sh -c "! grep -q 'TLS handshake failed' '$WORK/tail-wrong2.log'"

# ---- a client certificate from the foreign CA cannot publish --------------------------
events INT 5 >"$WORK/intruder.jsonl"
outbox_before=$(psql_q "SELECT count(*) FROM bus.outbox")
t0=$(date +%s)
in_b "$PUB_TLS" "$ING_TLS" $(tls_env intruder ca) -- timeout 60 "$BIN/peakdesk" publish --to logistics \
  "$WORK/intruder.jsonl" >"$WORK/publish-intruder.out" 2>"$WORK/publish-intruder.err"
rc=$?
t1=$(date +%s)
check "publish with a foreign certificate fails (rc $rc, not the timeout's 124)" sh -c "[ $rc -ne 0 ] && [ $rc -ne 124 ]"
check "within 15 s ($((t1 - t0)) s)" [ $((t1 - t0)) -le 15 ]
check "with a clear error" grep -q "TLS handshake with $ING_TLS refused" "$WORK/publish-intruder.err"
pd_log "$(head -n 1 "$WORK/publish-intruder.err")"
eq "nothing stored in logistics tables" "0 0" "$(psql_q "SELECT count(*) FROM logistics.shipments WHERE order_id LIKE 'INT-%'") $(psql_q "SELECT count(*) FROM logistics.orders WHERE order_id LIKE 'INT-%'")"
eq "and nothing in bus.outbox" "$outbox_before" "$(psql_q "SELECT count(*) FROM bus.outbox")"

# ---- a consumer started while the service's certificate was bad recovers -------------
pd_stop logistics
start_logistics "$PUB_TLS" "$ING_TLS" $(tls_env badA foreign) || fail "logistics with a bad certificate did not start"
wait_for "tail sees the bad certificate" 20 grep -q "TLS handshake failed" "$WORK/tail-ok.log" &&
  ok "the running tail logs the handshake failures and keeps retrying" ||
  fail "no TLS failure logged by the tail while logistics had a bad certificate"
pd_stop logistics
start_logistics "$PUB_TLS" "$ING_TLS" $(tls_env hostA ca) || fail "logistics did not restart"
events LATE 5 >"$WORK/late.jsonl"
in_b "$PUB_TLS" "$ING_TLS" $(tls_env hostB ca) -- timeout 60 "$BIN/peakdesk" publish --to logistics --quiet \
  "$WORK/late.jsonl" >/dev/null 2>"$WORK/publish-late.err"
eq "publish after the fix succeeded" 0 "$?"
wait_for "tail gets the late events" 60 sh -c "[ \$(wc -l <'$WORK/tail-ok.jsonl') -ge 25 ]"
eq "the tail printed the 5 new events, nothing twice" 25 "$(lines "$WORK/tail-ok.jsonl")"
if wait_for "tail reconnected" 20 grep -q "TLS connection established after failed handshakes" "$WORK/tail-ok.log"; then
  ok "the tail reconnected over TLS once the certificate was fixed"
else
  fail "the tail did not log its reconnection"
fi
stop_pids "$TAIL_OK" "$TAIL_WRONG"

# ---- plain tcp:// between the namespaces -----------------------------------------------
pd_stop logistics
PUB_TCP=tcp://$A:7201
ING_TCP=tcp://$A:7202
if start_logistics "$PUB_TCP" "$ING_TCP"; then ok "logistics runs with plain tcp:// and no TLS settings"; else fail "logistics did not start on tcp://"; fi
ip netns exec "$NSB" timeout 60 nngcat --sub0 --dial "$PUB_TCP" --subscribe logistics. --quoted --count 5 \
  >"$WORK/nngcat-tcp.out" 2>"$WORK/nngcat-tcp.err" &
CAT_TCP=$!
wait_for "nngcat connected" 20 sh -c "[ \$(ip netns exec $NSA ss -Htn state established '( sport = :7201 )' | wc -l) -ge 1 ]"
events PLAIN 5 >"$WORK/plain.jsonl"
in_b "$PUB_TCP" "$ING_TCP" -- timeout 60 "$BIN/peakdesk" publish --to logistics --quiet "$WORK/plain.jsonl" \
  >/dev/null 2>"$WORK/publish-plain.err"
eq "publish over tcp:// from $NSB succeeded" 0 "$?"
wait_for "nngcat tcp done" 30 sh -c "! kill -0 $CAT_TCP 2>/dev/null"
wait "$CAT_TCP" 2>/dev/null
eq "nngcat in $NSB received them over tcp://" "$(expected_ids PLAIN 5)" "$(quoted_ids PLAIN "$WORK/nngcat-tcp.out")"

# ---- start-up errors name what is missing --------------------------------------------------
out=$(env PEAKDESK_LOGISTICS_PUB="$PUB_TLS" timeout 10 "$BIN/peakdesk-logistics" 2>&1 </dev/null)
case $out in *"PEAKDESK_TLS_CERT is not set"*) ok "a TLS address without PEAKDESK_TLS_CERT is a start-up error";;
  *) fail "unclear start-up error: $out";; esac
out=$(env PEAKDESK_LOGISTICS_PUB="$PUB_TLS" $(tls_env hostA ca) PEAKDESK_TLS_KEY=$PKI/missing.key timeout 10 "$BIN/peakdesk-logistics" 2>&1 </dev/null)
case $out in *"PEAKDESK_TLS_KEY=$PKI/missing.key: cannot read the file"*) ok "an unreadable key file is named at start-up";;
  *) fail "unclear start-up error: $out";; esac

pd_done
