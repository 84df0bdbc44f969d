#!/bin/sh
# Two logistics instances (logistics-1, logistics-2), each with its own
# ingest socket and PUB: `peakdesk publish` given both ingest addresses
# spreads its batches over them; every event is stored once whichever
# instance took it (the second copy of a re-sent batch is DUPLICATE even at
# the other instance); one instance killed mid-stream leaves the rest to
# the other; consumers follow both publishers.
. "$(dirname "$0")/../lib.sh"
pd_setup
RUN=$PEAKDESK_RUN_DIR
L1_IN="ipc://$RUN/logistics-1.ingest" L2_IN="ipc://$RUN/logistics-2.ingest"
L1_PUB="ipc://$RUN/logistics-1.pub" L2_PUB="ipc://$RUN/logistics-2.pub"
L2_HTTP=127.0.0.1:$(free_port)
pd_start logistics PEAKDESK_INSTANCE=logistics-1 PEAKDESK_LOGISTICS_INGEST="$L1_IN" PEAKDESK_LOGISTICS_PUB="$L1_PUB" || exit 1
env PEAKDESK_INSTANCE=logistics-2 PEAKDESK_LOGISTICS_INGEST="$L2_IN" PEAKDESK_LOGISTICS_PUB="$L2_PUB" \
  PEAKDESK_LOGISTICS_HTTP="$L2_HTTP" "$BIN/peakdesk-logistics" >>"$WORK/logistics-2.log" 2>&1 &
L2=$!
PIDS="$PIDS $L2"
check "logistics-2 runs beside logistics-1" wait_for "l2" 20 curl -fsS "http://$L2_HTTP/healthz"
export PEAKDESK_LOGISTICS_INGEST="$L1_IN,$L2_IN" PEAKDESK_LOGISTICS_PUB="$L1_PUB,$L2_PUB"
"$BIN/peakdesk" tail --name watcher --topic logistics. --out "$WORK/events.jsonl" >/dev/null 2>&1 &
PIDS="$PIDS $!"
gen() { # gen FROM TO: shipment updates with fixed ids
  python3 -c "
import sys
for i in range($1, $2):
    print('{\"eventId\":\"70000000-0000-4000-8000-%012d\",\"shipmentUpdate\":{\"orderId\":\"SPREAD-%d\",\"carrier\":\"sf\",\"trackingNo\":\"SF%010d\",\"state\":\"SHIPMENT_STATE_COLLECTED\"}}' % (i, i, i))"
}
gen 0 2000 | "$BIN/peakdesk" publish --to logistics --batch 50 --quiet >/dev/null 2>"$WORK/pub1.err"
eq "2000 shipment updates published over both instances" 0 "$?"
q() { psql_q "$1"; }
eq "every shipment stored once" "2000 2000" "$(q "SELECT count(*) || ' ' || count(DISTINCT order_id) FROM logistics.shipments WHERE order_id LIKE 'SPREAD-%'")"
eq "both instances took batches (their shipment_updated events)" 2 "$(q "SELECT count(DISTINCT publisher) FROM bus.outbox WHERE service = 'logistics' AND topic = 'logistics.shipment_updated'")"
gen 0 2000 | "$BIN/peakdesk" publish --to logistics --batch 50 >"$WORK/acks2.jsonl" 2>/dev/null
eq "the same 2000 again: all DUPLICATE, whichever instance answers" 2000 "$(grep -c DUPLICATE "$WORK/acks2.jsonl")"
# One instance dies while a stream is being published: the other takes it all.
( gen 2000 4000 | "$BIN/peakdesk" publish --to logistics --batch 20 --quiet >/dev/null 2>"$WORK/pub3.err"; echo $? >"$WORK/pub3.rc" ) &
sleep 0.3
kill -KILL "$L2"; wait "$L2" 2>/dev/null
check "the publish finishes" wait_for "pub3" 120 test -s "$WORK/pub3.rc"
eq "and succeeds (batches of the dead instance resent to the living one)" 0 "$(cat "$WORK/pub3.rc")"
eq "all 4000 shipments stored once" "4000 4000" "$(q "SELECT count(*) || ' ' || count(DISTINCT order_id) FROM logistics.shipments WHERE order_id LIKE 'SPREAD-%'")"
check "a consumer follows both publishers: 4000 shipment events" wait_for "tail" 30 sh -c \
  "[ \$(grep -c 'SPREAD-' '$WORK/events.jsonl' 2>/dev/null || echo 0) -ge 4000 ]"
eq "no event twice in the consumer's output" 4000 "$(grep -o 'SPREAD-[0-9]*' "$WORK/events.jsonl" | sort -u | wc -l | tr -d ' ')"
pd_done
