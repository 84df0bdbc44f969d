#!/bin/sh
# Nothing is lost and nothing is doubled: 100,000 events go through the
# logistics service while the consumer (`peakdesk tail`) is killed with
# SIGKILL twice and restarted. Afterwards every event was printed exactly
# once and PostgreSQL holds all of them.
. "$(dirname "$0")/../lib.sh"
N=${LOSSLESS_EVENTS:-100000}
pd_setup
pd_start logistics || exit 1

OUT=$WORK/tail.jsonl
start_tail() {
  "$BIN/peakdesk" tail --name lossless --topic logistics.shipment_updated --out "$OUT" 2>>"$WORK/tail.log" &
  TAIL_PID=$!
}
lines() { [ -f "$OUT" ] && wc -l <"$OUT" | tr -d ' ' || echo 0; }

# N new shipments, one event each; each produces one logistics.shipment_updated.
awk -v n="$N" 'BEGIN {
  for (i = 1; i <= n; i++)
    printf "{\"eventId\":\"00000000-0000-4000-8000-%012d\",\"shipmentUpdate\":{\"orderId\":\"L%d\",\"carrier\":\"sf\",\"trackingNo\":\"SF%09d\",\"state\":\"SHIPMENT_STATE_CREATED\"}}\n", i, i, i
}' >"$WORK/events.jsonl"

start_tail
"$BIN/peakdesk" publish --to logistics --batch 1000 --quiet "$WORK/events.jsonl" >"$WORK/publish.out" 2>"$WORK/publish.err" &
PUB_PID=$!

# Kill the consumer twice while events are flowing, each time once it has
# printed something more, then start it again.
for round in 1 2; do
  before=$(lines)
  wait_for "tail makes progress" 120 sh -c "[ \$(wc -l <'$OUT' 2>/dev/null || echo 0) -gt $before ]"
  kill -KILL "$TAIL_PID" 2>/dev/null; wait "$TAIL_PID" 2>/dev/null
  pd_log "round $round: tail killed with SIGKILL after $(lines) lines"
  start_tail
done

wait "$PUB_PID"; pub_rc=$?
eq "publish accepted everything" 0 "$pub_rc"
check "publish summary counts $N accepted" grep -q "$N accepted" "$WORK/publish.err"

wait_for "tail catches up" 300 sh -c "[ \$(wc -l <'$OUT') -ge $N ]"
sleep 1 # anything extra (a duplicate) would show up now
kill -TERM "$TAIL_PID"; wait "$TAIL_PID" 2>/dev/null

eq "tail printed every event" "$N" "$(lines)"
eq "no event printed twice" "$N" "$(grep -o '"seq":"[0-9]*"' "$OUT" | sort -u | wc -l | tr -d ' ')"
eq "every line is a shipment_updated" "$N" "$(grep -c '"topic":"logistics.shipment_updated"' "$OUT")"
eq "PostgreSQL holds every shipment" "$N" "$(psql_q "SELECT count(*) FROM logistics.shipments")"
eq "and every outbox event" "$N" "$(psql_q "SELECT count(*) FROM bus.outbox WHERE topic = 'logistics.shipment_updated'")"
eq "the consumer's offset is at the end" "$N" "$(psql_q "SELECT seq FROM bus.offsets WHERE consumer = 'tail:lossless'")"
pd_done
