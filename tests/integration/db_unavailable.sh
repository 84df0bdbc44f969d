#!/bin/sh
# When PostgreSQL cannot work right now (a full disk, out of memory: SQLSTATE
# class 53), a request is not "bad": the webhook answers 503 and department
# ingest gives no acks, so channels and departments resend; nothing is
# stored meanwhile, and the resend is accepted once the database can work
# again. An event the database refuses for itself (a constraint) is still
# REJECTED with the reason. The fault is injected the way a full disk shows
# up to a statement: a trigger that raises disk_full (53100) on the table
# the request writes.
. "$(dirname "$0")/../lib.sh"
pd_setup
SECRET=webchat-secret-0123456789
"$BIN/peakdesk" account add --channel webhook --name webchat --secret "$SECRET" >/dev/null
pd_start gateway || exit 1
pd_start logistics || exit 1
fault() { # fault TABLE ERRCODE: every insert into TABLE fails with ERRCODE
  psql_q "CREATE OR REPLACE FUNCTION public.fault() RETURNS trigger LANGUAGE plpgsql AS \$\$
    BEGIN RAISE EXCEPTION 'injected fault' USING ERRCODE = '$2'; END \$\$;
    DROP TRIGGER IF EXISTS fault ON $1; CREATE TRIGGER fault BEFORE INSERT ON $1 FOR EACH ROW EXECUTE FUNCTION public.fault();" >/dev/null
}
heal() { psql_q "DROP TRIGGER IF EXISTS fault ON $1" >/dev/null; }

fault gateway.inbound_messages disk_full
eq "a customer message while the disk is full: 503" 503 "$(webhook_say full-1 m1 '有人吗')"
eq "nothing stored" 0 "$(psql_q "SELECT count(*) FROM gateway.inbound_messages")"
heal gateway.inbound_messages
eq "the channel's resend is accepted once there is space" 200 "$(webhook_say full-1 m1 '有人吗')"
eq "stored once" 1 "$(psql_q "SELECT count(*) FROM gateway.inbound_messages")"

order='{"eventId":"53000000-0000-4000-8000-000000000001","order":{"orderId":"FULL-1","items":[{"sku":"SKU-1","quantity":1}]}}'
fault logistics.orders disk_full
out=$(echo "$order" | "$BIN/peakdesk" publish --to logistics 2>&1)
check "department ingest while the disk is full: no ack at all, not REJECTED" sh -c "! echo '$out' | grep -q 'REJECTED\|ACCEPTED'"
check "the publisher is told the database is unavailable" sh -c "echo '$out' | grep -qi 'database unavailable\|database_unavailable'"
eq "nothing stored" 0 "$(psql_q "SELECT count(*) FROM logistics.orders")"
heal logistics.orders
check "the resend is ACCEPTED" sh -c "echo '$order' | '$BIN/peakdesk' publish --to logistics 2>/dev/null | grep -q ACCEPTED"
fault logistics.orders check_violation
out=$(echo '{"eventId":"53000000-0000-4000-8000-000000000002","order":{"orderId":"BAD-1","items":[{"sku":"SKU-1","quantity":1}]}}' |
  "$BIN/peakdesk" publish --to logistics 2>/dev/null)
check "an event the database refuses for itself is REJECTED with the reason" sh -c "echo '$out' | grep -q 'REJECTED' && echo '$out' | grep -q 'injected fault'"
heal logistics.orders
pd_done
