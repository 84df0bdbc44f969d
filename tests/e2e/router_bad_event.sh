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
BAD=9000000000000000000 # a send time beyond PostgreSQL's timestamps
# inbound N USER TEXT SENT_MS: message.inbound number N, as the gateway would publish it
inbound() {
  printf '{"topic":"message.inbound","customerMessage":{"messageId":"00000000-0000-4000-8000-%012d","channel":"CHANNEL_KIND_WEBHOOK","account":"app","externalUserId":"%s","text":"%s","sentAtMs":"%s"}}\n' "$1" "$2" "$3" "$4"
}
publish() { "$BUILD_TESTS/emit_events" --service gateway --instance gateway-9 >/dev/null; }
# applied_up_to SEQ: the router's offset for gateway-9 reaches SEQ
applied_up_to() {
  wait_for "offset $1" 30 sh -c \
    "[ \"\$(psql '$PEAKDESK_DB' -XAtqc \"SELECT seq FROM bus.offsets WHERE consumer = 'router-1' AND publisher = 'gateway-9'\")\" = $1 ]"
}

# Published while the router is down, so it meets all three in one catch-up
# transaction when it starts.
{ inbound 1 u-good-1 我的快递到哪了 "$NOW"; inbound 2 u-bad 什么时候发货 "$BAD"; inbound 3 u-good-2 我要退货 "$NOW"; } | publish
pd_start router || exit 1
check "the router applied the batch" applied_up_to 3
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

inbound 4 u-good-3 优惠券怎么用 "$NOW" | publish
check "and goes on with the next message" wait_for "next" 30 sh -c \
  "[ \"\$(psql '$PEAKDESK_DB' -XAtqc \"SELECT count(*) FROM router.tickets WHERE external_user_id = 'u-good-3'\")\" = 1 ]"

# The bad one last in the batch: nothing after it in the batch would notice.
pd_stop router
{ inbound 5 u-good-4 发票怎么开 "$NOW"; inbound 6 u-bad-2 发票 "$BAD"; } | publish
pd_start router || exit 1
check "a bad event last in the batch: the batch is applied all the same" applied_up_to 6
eq "the good message before it became a ticket, the bad one a dead letter" "1 2" \
  "$(q "SELECT (SELECT count(*) FROM router.tickets WHERE external_user_id = 'u-good-4') || ' ' || (SELECT count(*) FROM bus.dead_letters)")"
check "still healthy" curl -fsS -o /dev/null "http://$(http_addr router)/healthz"
pd_done
