#!/bin/sh
# What a platform team relies on: --help lists the configuration, a second
# copy with the same publisher name refuses to start, the service survives a
# PostgreSQL restart on its own, SIGTERM stops it cleanly, and it resumes
# its seq where it stopped.
. "$(dirname "$0")/../lib.sh"
pd_setup

help=$("$BIN/peakdesk-logistics" --help)
for v in PEAKDESK_DB PEAKDESK_LOGISTICS_DB PEAKDESK_RUN_DIR PEAKDESK_INSTANCE PEAKDESK_LOGISTICS_PUB \
         PEAKDESK_LOGISTICS_INGEST PEAKDESK_LOGISTICS_HTTP PEAKDESK_KUAIDI100_SALT; do
  check "--help lists $v" sh -c "echo \"\$1\" | grep -q '$v'" _ "$help"
done
for c in migrate publish tail status; do
  check "peakdesk $c --help" sh -c "'$BIN/peakdesk' $c --help | grep -q Usage"
done

pd_start logistics || exit 1
publish_one() { # publish_one N
  printf '{"eventId":"00000000-0000-4000-8000-%012d","shipmentUpdate":{"carrier":"zto","trackingNo":"ZT%d","state":"SHIPMENT_STATE_CREATED"}}\n' "$1" "$1" |
    "$BIN/peakdesk" publish --to logistics --quiet >/dev/null 2>&1
}
check "an event goes in" publish_one 1

# Same publisher name, other ports: must refuse.
PEAKDESK_PUBLISHER_LOCK_WAIT_MS=500 PEAKDESK_LOGISTICS_HTTP=127.0.0.1:$(free_port) PEAKDESK_LOGISTICS_PUB=ipc://$WORK/run/other.pub \
  PEAKDESK_LOGISTICS_INGEST=ipc://$WORK/run/other.ingest timeout 20 "$BIN/peakdesk-logistics" >"$WORK/second.log" 2>&1
rc=$?
check "second copy with the same name exits non-zero" test $rc -ne 0 -a $rc -ne 124
check "and says the name is held" grep -q 'held by another running instance' "$WORK/second.log"

# PostgreSQL restart: the service reconnects by itself.
"$ROOT/deploy/local/pg.sh" stop "$PGDIR" >/dev/null
unhealthy() { [ "$(curl -s -o /dev/null -w '%{http_code}' "http://$(http_addr logistics)/healthz")" = 503 ]; }
check "healthz says 503 while the database is down" wait_for "503" 10 unhealthy
"$ROOT/deploy/local/pg.sh" start "$PGDIR" fast >/dev/null
check "healthy again after the restart" wait_for "healthz" 30 curl -fsS "http://$(http_addr logistics)/healthz"
check "and ingests again" wait_for "publish" 30 publish_one 2
eq "seq continued without a gap" "1 2" "$(psql_q "SELECT string_agg(seq::text, ' ' ORDER BY seq) FROM bus.outbox WHERE publisher = 'logistics-1'")"

pd_stop logistics
check "SIGTERM logged a clean stop" grep -q 'msg="stopped"' "$WORK/logistics.log"
pd_start logistics || exit 1
check "restarted instance publishes" publish_one 3
eq "and resumes at seq 3" 3 "$(psql_q "SELECT max(seq) FROM bus.outbox WHERE publisher = 'logistics-1'")"
st=$("$BIN/peakdesk" status 2>&1)
check "peakdesk status shows logistics up" sh -c "echo \"\$1\" | grep -q '^logistics .* up'" _ "$st"
check "and the publisher's last seq" sh -c "echo \"\$1\" | grep -q 'logistics-1 *3'" _ "$st"
pd_done
