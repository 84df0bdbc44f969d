#!/bin/sh
# One bad event among good ones. The router sends its writes without
# waiting for each answer, so a write PostgreSQL refuses (here a send time
# beyond the timestamp range) is noticed later in the batch. The batch is
# then applied again event by event: the good messages still become
# tickets, the bad one is set aside in bus.dead_letters with PostgreSQL's
# reason, and the router goes on with the next message.
. "$(dirname "$0")/../lib.sh"
pd_setup
q() { psql_q "$1"; }
NOW=$(date +%s000)

# Published while the router is down, so it meets all three in one catch-up
# transaction when it starts.
"$BUILD_TESTS/emit_events" --service gateway --instance gateway-9 >/dev/null <<JSON
{"topic":"message.inbound","customerMessage":{"messageId":"00000000-0000-4000-8000-000000000001","channel":"CHANNEL_KIND_WEBHOOK","account":"app","externalUserId":"u-good-1","text":"我的快递到哪了","sentAtMs":"$NOW"}}
{"topic":"message.inbound","customerMessage":{"messageId":"00000000-0000-4000-8000-000000000002","channel":"CHANNEL_KIND_WEBHOOK","account":"app","externalUserId":"u-bad","text":"什么时候发货","sentAtMs":"9000000000000000000"}}
{"topic":"message.inbound","customerMessage":{"messageId":"00000000-0000-4000-8000-000000000003","channel":"CHANNEL_KIND_WEBHOOK","account":"app","externalUserId":"u-good-2","text":"我要退货","sentAtMs":"$NOW"}}
JSON
pd_start router || exit 1
check "the router applied the batch" wait_for "offset" 30 sh -c \
  "[ \"\$(psql '$PEAKDESK_DB' -XAtqc \"SELECT seq FROM bus.offsets WHERE consumer = 'router-1' AND publisher = 'gateway-9'\")\" = 3 ]"
eq "both good messages became tickets" "u-good-1 u-good-2" \
  "$(q "SELECT string_agg(external_user_id, ' ' ORDER BY external_user_id) FROM router.tickets")"
eq "their messages are on them" 2 "$(q "SELECT count(*) FROM router.ticket_messages")"
eq "the bad one is in bus.dead_letters, once" "1 gateway-9 2 message.inbound" \
  "$(q "SELECT count(*) || ' ' || min(publisher) || ' ' || min(seq) || ' ' || min(topic) FROM bus.dead_letters WHERE consumer = 'router-1'")"
check "with PostgreSQL's reason" sh -c "psql '$PEAKDESK_DB' -XAtqc 'SELECT error FROM bus.dead_letters' | grep -q 'out of range'"
eq "nothing of it was kept (no customer, no ticket)" 0 \
  "$(q "SELECT count(*) FROM router.identities WHERE external_user_id = 'u-bad'")"
check "the first pass failed as a whole, at a later statement" \
  grep -q 'consumer batch failed.*deferred statement: ERROR:  timestamp out of range' "$WORK/router.log"
eq "then, event by event, the router logged it as not applied" 1 \
  "$(grep -c 'event could not be applied; recorded in bus.dead_letters' "$WORK/router.log")"

"$BUILD_TESTS/emit_events" --service gateway --instance gateway-9 >/dev/null <<JSON
{"topic":"message.inbound","customerMessage":{"messageId":"00000000-0000-4000-8000-000000000004","channel":"CHANNEL_KIND_WEBHOOK","account":"app","externalUserId":"u-good-3","text":"优惠券怎么用","sentAtMs":"$NOW"}}
JSON
check "and goes on with the next message" wait_for "next" 30 sh -c \
  "[ \"\$(psql '$PEAKDESK_DB' -XAtqc \"SELECT count(*) FROM router.tickets WHERE external_user_id = 'u-good-3'\")\" = 1 ]"

# The bad one last in the batch: nothing after it in the batch would notice.
pd_stop router
"$BUILD_TESTS/emit_events" --service gateway --instance gateway-9 >/dev/null <<JSON
{"topic":"message.inbound","customerMessage":{"messageId":"00000000-0000-4000-8000-000000000005","channel":"CHANNEL_KIND_WEBHOOK","account":"app","externalUserId":"u-good-4","text":"发票怎么开","sentAtMs":"$NOW"}}
{"topic":"message.inbound","customerMessage":{"messageId":"00000000-0000-4000-8000-000000000006","channel":"CHANNEL_KIND_WEBHOOK","account":"app","externalUserId":"u-bad-2","text":"发票","sentAtMs":"9000000000000000000"}}
JSON
pd_start router || exit 1
check "a bad event last in the batch: the batch is applied all the same" wait_for "offset 6" 30 sh -c \
  "[ \"\$(psql '$PEAKDESK_DB' -XAtqc \"SELECT seq FROM bus.offsets WHERE consumer = 'router-1' AND publisher = 'gateway-9'\")\" = 6 ]"
eq "the good message before it became a ticket, the bad one a dead letter" "1 2" \
  "$(q "SELECT (SELECT count(*) FROM router.tickets WHERE external_user_id = 'u-good-4') || ' ' || (SELECT count(*) FROM bus.dead_letters)")"
check "still healthy" curl -fsS -o /dev/null "http://$(http_addr router)/healthz"
pd_done
