#!/bin/sh
# Under systemd (Type=notify, WatchdogSec=) a service says READY=1 once it
# runs, pings the watchdog from its event loop, and says STOPPING=1 on
# SIGTERM. Here a python datagram socket stands in for systemd's
# $NOTIFY_SOCKET (a real systemd is not PID 1 on CI machines).
. "$(dirname "$0")/../lib.sh"
pd_setup
SOCK=$WORK/notify.sock
python3 - "$SOCK" "$WORK/notify.log" <<'PY' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(30)
with open(sys.argv[2], "a", buffering=1) as log:
    end = time.time() + 30
    while time.time() < end:
        try:
            msg = s.recv(4096).decode()
        except socket.timeout:
            break
        log.write(msg.replace("\n", " ") + "\n")
        if "STOPPING=1" in msg:
            break
PY
PIDS="$PIDS $!"
wait_for "notify socket" 10 test -S "$SOCK" || fail "the stand-in notify socket did not appear"
pd_start promo NOTIFY_SOCKET="$SOCK" WATCHDOG_USEC=400000 || exit 1
check "READY=1 once the service runs" wait_for "ready" 10 grep -q 'READY=1' "$WORK/notify.log"
check "watchdog pings from the event loop (every WATCHDOG_USEC/2)" wait_for "pings" 10 sh -c "[ \$(grep -c 'WATCHDOG=1' '$WORK/notify.log') -ge 4 ]"
pd_stop promo
check "STOPPING=1 on SIGTERM" wait_for "stopping" 10 grep -q 'STOPPING=1' "$WORK/notify.log"
pd_start promo NOTIFY_SOCKET="$SOCK.absent" WATCHDOG_USEC=400000 WATCHDOG_PID=1 || exit 1
check "a service whose notify socket is gone still runs (pings to nowhere are harmless)" \
  sh -c "curl -fsS 'http://$(http_addr promo)/healthz' >/dev/null"
pd_stop promo
pd_done
