#!/bin/sh
# Departments keep publishing while the logistics service is killed with
# SIGKILL again and again (and restarted, as systemd would). Every event
# must end with exactly one effect: one shipment, one outbox event, one
# ingest_log row per event id, and the publisher's seqs gap-free.
. "$(dirname "$0")/../lib.sh"
N=${CHAOS_EVENTS:-200000}
KILLS=${CHAOS_KILLS:-5}
pd_setup
pd_start logistics || exit 1
awk -v n="$N" 'BEGIN {
  for (i = 1; i <= n; i++)
    printf "{\"eventId\":\"00000000-0000-4000-9000-%012d\",\"shipmentUpdate\":{\"orderId\":\"C%d\",\"carrier\":\"zto\",\"trackingNo\":\"ZC%09d\",\"state\":\"SHIPMENT_STATE_CREATED\"}}\n", i, i, i
}' >"$WORK/events.jsonl"
"$BIN/peakdesk" publish --to logistics --batch 1000 --quiet "$WORK/events.jsonl" >"$WORK/pub.out" 2>"$WORK/pub.err" &
PUB=$!
k=0
while [ $k -lt "$KILLS" ] && kill -0 $PUB 2>/dev/null; do
  sleep 3
  kill -KILL "$PID_logistics" 2>/dev/null; wait "$PID_logistics" 2>/dev/null
  k=$((k + 1))
  pd_log "kill $k: logistics SIGKILLed at $(psql_q "SELECT count(*) FROM logistics.shipments") shipments"
  pd_start logistics || exit 1
done
wait $PUB
pd_log "publisher: $(tail -n 1 "$WORK/pub.err")"
eq "every event has exactly one shipment" "$N" "$(psql_q "SELECT count(*) FROM logistics.shipments")"
eq "every event id recorded once" "$N" "$(psql_q "SELECT count(*) FROM logistics.ingest_log")"
eq "one shipment_updated per shipment" "$N" "$(psql_q "SELECT count(*) FROM bus.outbox WHERE topic = 'logistics.shipment_updated'")"
eq "publisher seqs gap-free" "t" "$(psql_q "SELECT max(seq) = count(*) FROM bus.outbox WHERE publisher = 'logistics-1'")"
check "the service came back healthy" curl -fsS -o /dev/null "http://$(http_addr logistics)/healthz"
pd_done
