# Helpers the benchmark parts share (sourced; sh). A part sets BENCH_PART
# (e.g. "gateway") for its messages, and WORK when its services log there.

say() { printf '%s\n' "$*" >&2; }

# free_port [FALLBACK]: a free TCP port on 127.0.0.1.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()' 2>/dev/null \
    || echo "${1:-0}"
}

# wait_http URL PID NAME: until URL answers 2xx; exits the part when the
# process died or 30 s passed (showing NAME's log when there is one).
wait_http() {
  _i=0
  until curl -fsS "$1" >/dev/null 2>&1; do
    _i=$((_i + 1))
    if [ $_i -gt 300 ] || ! kill -0 "$2" 2>/dev/null; then
      say "${BENCH_PART:-bench} bench: $3 did not start"
      [ -n "${WORK:-}" ] && [ -f "$WORK/$3.log" ] && tail -n 20 "$WORK/$3.log" >&2
      exit 1
    fi
    sleep 0.1
  done
}

# metrics HOST:PORT: the service's /metrics text ("" when it does not answer).
metrics() { curl -fsS "http://$1/metrics" 2>/dev/null || true; }
# metric FILE NAME: the last value of NAME in a saved /metrics text.
metric() { awk -v n="$2" '$1 == n { print $2 }' "$1" | tail -n 1; }
# proc_ticks PID: user + system CPU ticks of a process so far (0 when gone).
proc_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
