#!/bin/sh
# One customer, two channels: a WeChat follower who ordered PD2411119001
# writes from the app about that order, and later a third identity gives
# the phone number on the order. The router merges them into one customer,
# records each merge with its evidence, notes it on the ticket, and the
# customer's next message from WeChat joins the same open ticket.
. "$(dirname "$0")/../lib.sh"
pd_setup
SECRET=webchat-secret-0123456789
"$BIN/peakdesk" account add --channel webhook --name webchat --secret "$SECRET" >/dev/null
"$BIN/peakdesk" account add --channel webhook --name callcentre --secret "$SECRET" >/dev/null
pd_start logistics || exit 1
pd_start gateway || exit 1
pd_start router || exit 1
say() { WEBHOOK_ACCOUNT=$1; shift; webhook_say "$@" >/dev/null; } # say ACCOUNT USER MSGID TEXT
tickets() { psql_q "SELECT count(*) FROM router.tickets"; }
"$BIN/peakdesk" publish --to logistics --quiet >/dev/null 2>&1 <<'JSON'
{"eventId":"50000000-0000-4000-8000-000000000001","order":{"orderId":"PD2411119001","customer":{"phone":"13912345678","channel":"CHANNEL_KIND_WEBHOOK","account":"webchat","externalUserId":"wx-follower"},"items":[{"sku":"SKU-1","quantity":1}]}}
JSON

# The follower wrote once from web chat before (their own customer record).
say webchat wx-follower m1 '你好，在吗'
check "first customer" wait_for "t1" 20 sh -c "[ \"\$(psql '$PEAKDESK_DB' -XAtqc 'SELECT count(*) FROM router.tickets')\" = 1 ]"
# From the app (another account) about the same order: a second customer, merged.
say callcentre app-42 m2 '订单PD2411119001怎么还没发货'
check "the app message is applied" wait_for "t2" 20 sh -c "[ \"\$(psql '$PEAKDESK_DB' -XAtqc 'SELECT count(*) FROM router.ticket_messages')\" = 2 ]"
eq "one customer behind both identities" 1 "$(psql_q "SELECT count(DISTINCT customer_id) FROM router.identities")"
eq "the younger record points at the older" 1 "$(psql_q "SELECT count(*) FROM router.customers WHERE merged_into IS NOT NULL")"
eq "the merge is recorded with its evidence" "order|PD2411119001|webchat|wx-follower" "$(psql_q "SELECT reason || '|' || evidence || '|' || identity_account || '|' || identity_user FROM router.customer_merges")"
eq "and noted on the ticket for agents (not the customer)" "f" "$(psql_q "SELECT customer_visible FROM router.ticket_events WHERE kind = 'customer_merged'")"
eq "every ticket belongs to the surviving customer" 1 "$(psql_q "SELECT count(DISTINCT customer_id) FROM router.tickets")"

# A third identity gives the order's phone number: merged by phone.
say callcentre caller-7 m3 '我手机号是139 1234 5678，想改地址'
check "applied" wait_for "t3" 20 sh -c "[ \"\$(psql '$PEAKDESK_DB' -XAtqc 'SELECT count(*) FROM router.ticket_messages')\" = 3 ]"
eq "three identities, one customer" "3|1" "$(psql_q "SELECT count(*) || '|' || count(DISTINCT customer_id) FROM router.identities")"
eq "merged by phone, recorded" "phone|13912345678" "$(psql_q "SELECT reason || '|' || evidence FROM router.customer_merges WHERE reason = 'phone'")"
eq "the customer's messages share one open ticket" "1|3" "$(psql_q "SELECT count(DISTINCT ticket_id) || '|' || count(*) FROM router.ticket_messages")"

# A stranger's message about a different order merges nothing.
say callcentre stranger m4 '订单PD2411119999到哪了'
check "applied" wait_for "t4" 20 sh -c "[ \"\$(psql '$PEAKDESK_DB' -XAtqc 'SELECT count(*) FROM router.ticket_messages')\" = 4 ]"
eq "no merge without evidence" 2 "$(psql_q "SELECT count(*) FROM router.customer_merges")"
eq "the stranger stays their own customer" 2 "$(psql_q "SELECT count(DISTINCT customer_id) FROM router.tickets")"
pd_done
