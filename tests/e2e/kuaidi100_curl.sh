#!/bin/sh
# A carrier push as Kuaidi100 sends it, posted with curl: form fields param
# and sign = uppercase hex MD5(param + salt). data[] re-sends the whole
# history on every push; each tracking entry is stored once. A wrong sign is
# refused and stores nothing.
. "$(dirname "$0")/../lib.sh"
pd_setup
SALT=peakdesk-test-salt
pd_start logistics PEAKDESK_KUAIDI100_SALT=$SALT || exit 1
URL="http://$(http_addr logistics)/v1/carriers/kuaidi100"

sign() { { cat "$1"; printf '%s' "$SALT"; } | md5sum | cut -c1-32 | tr a-f A-F; }
push() { # push PARAMFILE SIGN -> prints "HTTP_STATUS BODY"
  curl -sS -o "$WORK/body" -w '%{http_code}' --data-urlencode "param@$1" --data-urlencode "sign=$2" "$URL"
  printf ' '; cat "$WORK/body"
}

P=$ROOT/tests/data/kuaidi100/in_transit.param.json
NU=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["lastResult"]["nu"])' "$P")
SCANS=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["lastResult"]["data"]))' "$P")

r=$(push "$P" "$(sign "$P")")
eq "first push answered with the documented success body" \
  '200 {"result":true,"returnCode":"200","message":"成功"}' "$r"
r=$(push "$P" "$(sign "$P")")
eq "second identical push also succeeds" '200' "${r%% *}"
eq "each tracking entry stored once" "$SCANS" "$(psql_q "SELECT count(*) FROM logistics.tracking_events WHERE tracking_no = '$NU'")"
eq "one shipment, in transit" "in_transit" "$(psql_q "SELECT state FROM logistics.shipments WHERE tracking_no = '$NU'")"
eq "its last scan is the newest entry" "1" "$(psql_q "SELECT count(*) FROM logistics.shipments s WHERE tracking_no = '$NU' AND last_scan_at = (SELECT max(scanned_at) FROM logistics.tracking_events t WHERE t.tracking_no = s.tracking_no)")"
eq "the re-sent history emitted no second update" 1 "$(psql_q "SELECT count(*) FROM bus.outbox WHERE topic = 'logistics.shipment_updated'")"

D=$ROOT/tests/data/kuaidi100/delivered.param.json
r=$(push "$D" "$(sign "$D")")
eq "delivered push accepted" '200' "${r%% *}"
DNU=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["lastResult"]["nu"])' "$D")
eq "delivered push moves the shipment" "delivered" "$(psql_q "SELECT state FROM logistics.shipments WHERE tracking_no = '$DNU'")"

# Wrong sign: refused, nothing stored.
before=$(psql_q "SELECT count(*) FROM logistics.tracking_events")
O=$ROOT/tests/data/kuaidi100/out_for_delivery_cn_areas.param.json
r=$(push "$O" "0123456789ABCDEF0123456789ABCDEF")
eq "wrong sign refused with 403" '403' "${r%% *}"
check "refusal is a JSON error" sh -c "echo '${r#* }' | grep -q '\"error\":\"bad_signature\"'"
eq "nothing stored for the refused push" "$before" "$(psql_q "SELECT count(*) FROM logistics.tracking_events")"
r=$(curl -sS -o /dev/null -w '%{http_code}' --data 'param=%ZZ&sign=x' "$URL")
eq "malformed form refused" "400" "$r"
r=$(push "$O" "$(sign "$O")")
eq "the same push correctly signed is accepted" '200' "${r%% *}"

# The real sample from Kuaidi100's documentation, when the shared data is here.
S=$ROOT/../shared/data/logistics/kuaidi100_push_doc_example.param.json
if [ -f "$S" ]; then
  r=$(push "$S" "$(sign "$S")")
  eq "Kuaidi100's documented example push is accepted" '200' "${r%% *}"
  SNU=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["lastResult"]["nu"])' "$S")
  check "its scans are stored" test "$(psql_q "SELECT count(*) FROM logistics.tracking_events WHERE tracking_no = '$SNU'")" -ge 1
else
  pd_log "skipped: ../shared/data not present (Kuaidi100 documentation example)"
fi
check "service still healthy" curl -fsS -o /dev/null "http://$(http_addr logistics)/healthz"
pd_done
