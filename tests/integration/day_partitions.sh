#!/bin/sh
# Customer messages and the outbox by day (033-035), as an operator meets
# them: a database at 032 with messages and outbox rows is upgraded and
# keeps every row, each in its day's partition; the gateway then keeps its
# message days on its own (days ahead made, days past the retention
# dropped with their dedup keys), a channel re-sending a message it already
# sent is still answered "duplicate" with the first id, and each service's
# publisher drops outbox days only once every consumer has applied them.
. "$(dirname "$0")/../lib.sh"
pd_setup

day() { date -u -d "$1" +%Y%m%d; }
PG2=$WORK/pg2
PD_EXTRA_PGDIRS=$PG2
"$ROOT/deploy/local/pg.sh" start "$PG2" fast >/dev/null || { echo "cannot start the second PostgreSQL"; exit 1; }
DB2="host=$PG2 dbname=peakdesk user=peakdesk"
q2() { psql "$DB2" -XAtq -c "$1"; }

# --- a database at 032 with the gateway's messages and outbox rows ---
mkdir -p "$WORK/schema032"
for f in "$ROOT"/schema/0*.sql; do
  case $(basename "$f") in 03[3-9]_* | 0[4-9]*) ;; *) ln -s "$f" "$WORK/schema032/" ;; esac
done
PEAKDESK_DB=$DB2 PEAKDESK_SCHEMA_DIR=$WORK/schema032 "$BIN/peakdesk" migrate >/dev/null
SECRET=partition-secret-0123456789
PEAKDESK_DB=$DB2 "$BIN/peakdesk" account add --channel webhook --name webchat --secret "$SECRET" \
  --url http://127.0.0.1:9/ >/dev/null
TEN=$(date -u -d '-10 days' '+%Y-%m-%d 12:00:00+00')
OLD=$(date -u -d '-200 days' '+%Y-%m-%d 12:00:00+00')
q2 "INSERT INTO gateway.inbound_messages(message_id, account, channel, external_user_id, external_message_id, text, received_at)
    VALUES ('00000000-0000-4000-8000-000000000001', 'webchat', 'webhook', 'u1', 'wc-ancient', 'a', '$OLD'),
           ('00000000-0000-4000-8000-000000000002', 'webchat', 'webhook', 'u1', 'wc-ten', 'b', '$TEN'),
           ('00000000-0000-4000-8000-000000000003', 'webchat', 'webhook', 'u1', 'wc-today', 'c', now())"
q2 "INSERT INTO bus.outbox_gateway(service, publisher, seq, event_id, topic, payload, created_at)
    SELECT 'gateway', 'gateway-old', s, gen_random_uuid(), 'message.inbound', '\\x00', '$TEN' FROM generate_series(1, 3) s;
    INSERT INTO bus.outbox_gateway(service, publisher, seq, event_id, topic, payload)
    VALUES ('gateway', 'gateway-old', 4, gen_random_uuid(), 'message.inbound', '\\x00');
    INSERT INTO bus.publishers(publisher, service) VALUES ('gateway-old', 'gateway');
    INSERT INTO bus.offsets(consumer, publisher, seq) VALUES ('router-1', 'gateway-old', 2)"
PEAKDESK_DB=$DB2 "$BIN/peakdesk" migrate >/dev/null

where() { q2 "SELECT string_agg(tableoid::regclass::text, ' ' ORDER BY $2) FROM $1" | sed 's/[a-z]*\.//g'; }
eq "after the upgrade the messages and each service's outbox are partitioned" "p p p" \
  "$(q2 "SELECT string_agg(relkind::text, ' ' ORDER BY relname) FROM pg_class WHERE oid IN
        ('gateway.inbound_messages'::regclass, 'bus.outbox_gateway'::regclass, 'bus.outbox_router'::regclass)")"
eq "every message kept in its day (the one past 90 days in the default partition)" \
  "inbound_messages_default inbound_messages_$(day '-10 days') inbound_messages_$(day today)" \
  "$(where gateway.inbound_messages received_at)"
eq "with its dedup key" "wc-ancient wc-ten wc-today" \
  "$(q2 "SELECT string_agg(external_message_id, ' ' ORDER BY received_at) FROM gateway.inbound_keys")"
eq "every outbox row kept in its day" \
  "outbox_gateway_$(day '-10 days') outbox_gateway_$(day '-10 days') outbox_gateway_$(day '-10 days') outbox_gateway_$(day today)" \
  "$(where bus.outbox_gateway seq)"

# --- the gateway keeps its message days ---
# A day far past the retention, made by hand as an operator would have, and
# the outbox's day three ahead gone (the publisher makes it again).
q2 "CREATE TABLE gateway.inbound_messages_20200101 PARTITION OF gateway.inbound_messages
      FOR VALUES FROM ('2020-01-01 00:00+00') TO ('2020-01-02 00:00+00');
    INSERT INTO gateway.inbound_messages(message_id, account, channel, external_user_id, external_message_id, received_at)
      VALUES ('00000000-0000-4000-8000-000000000004', 'webchat', 'webhook', 'u1', 'wc-2020', '2020-01-01 08:00+00');
    INSERT INTO gateway.inbound_keys(account, external_message_id, message_id, received_at)
      VALUES ('webchat', 'wc-2020', '00000000-0000-4000-8000-000000000004', '2020-01-01 08:00+00');
    DROP TABLE bus.outbox_gateway_$(day '+3 days')"
pd_start gateway PEAKDESK_DB="$DB2" PEAKDESK_GATEWAY_INBOUND_DAYS_AHEAD=9 PEAKDESK_GATEWAY_INBOUND_KEEP_DAYS=30 || exit 1
check "the gateway logged what it did to its message days" wait_for "maintenance" 20 \
  grep -q 'day partitions maintained.*customer messages.*created=2 moved=0 dropped=1 purged=1 keys_purged=2' "$WORK/gateway.log"
check "the days up to nine ahead have partitions" test -n "$(q2 "SELECT to_regclass('gateway.inbound_messages_$(day '+9 days')')")"
eq "the day past the retention is dropped, the old message in the default purged, and their keys" "0 wc-ten wc-today" \
  "$(q2 "SELECT count(*) FROM pg_class WHERE relname = 'inbound_messages_20200101'") $(q2 "SELECT string_agg(external_message_id, ' ' ORDER BY received_at) FROM gateway.inbound_keys")"

say() { # say MESSAGE_ID -> "STATUS BODY"
  _body=$(printf '{"externalUserId":"u1","messageId":"%s","text":"again"}' "$1")
  _ts=$(date +%s)
  _sig=$(printf '%s.%s' "$_ts" "$_body" | openssl dgst -sha256 -hmac "$SECRET" -r | cut -d' ' -f1)
  curl -sS -o "$WORK/resp" -w '%{http_code} ' -H 'Content-Type: application/json' -H "X-Peakdesk-Timestamp: $_ts" \
    -H "X-Peakdesk-Signature: sha256=$_sig" --data-binary "$_body" "http://$(http_addr gateway)/v1/channels/webchat/messages"
  cat "$WORK/resp"
}
has() { printf '%s' "$1" | grep -Eq "$2"; }
check "a message the channel sent ten days ago, re-sent, is a duplicate with its first id" \
  has "$(say wc-ten)" '^200 .*"duplicate".*00000000-0000-4000-8000-000000000002'
check "so is today's" has "$(say wc-today)" '^200 .*"duplicate".*00000000-0000-4000-8000-000000000003'
check "a new message is accepted" has "$(say wc-new)" '^200 .*"accepted"'
check "and a second copy of it in the same second is a duplicate" has "$(say wc-new)" '^200 .*"duplicate"'
eq "the new message is stored once, in today's partition, with its key" "inbound_messages_$(day today) 1" \
  "$(where "gateway.inbound_messages WHERE external_message_id = 'wc-new'" received_at) $(q2 "SELECT count(*) FROM gateway.inbound_keys WHERE external_message_id = 'wc-new'")"
eq "one message.inbound for it" 1 \
  "$(q2 "SELECT count(*) FROM bus.outbox WHERE topic = 'message.inbound' AND publisher <> 'gateway-old'")"

# --- the outbox: days dropped only once every consumer applied them ---
check "the publisher made the outbox's day three ahead again" wait_for "outbox upkeep" 20 \
  sh -c "psql '$DB2' -XAtqc \"SELECT to_regclass('bus.outbox_gateway_$(day '+3 days')')\" | grep -q ."
check "and logged it" grep -q 'outbox kept.*created=1' "$WORK/gateway.log"
eq "the day ten days back stays: router-1 has applied only 2 of its 3 rows" "outbox_gateway_$(day '-10 days')" \
  "$(q2 "SELECT relname FROM pg_class WHERE relname = 'outbox_gateway_$(day '-10 days')'")"
as_role() { psql "$DB2" -XAtq -c "SET ROLE $1" -c "$2" 2>&1; }
eq "a retention shorter than the ten days still keeps it" "created=0 moved=0 dropped=0 purged=0" \
  "$(as_role peakdesk_gateway "SELECT bus.outbox_maintain_gateway(3, 24)")"
q2 "UPDATE bus.offsets SET seq = 3 WHERE consumer = 'router-1' AND publisher = 'gateway-old'"
eq "once router-1 applied them, the day goes whole" "created=0 moved=0 dropped=1 purged=0" \
  "$(as_role peakdesk_gateway "SELECT bus.outbox_maintain_gateway(3, 24)")"
eq "and the publisher's newest row stays (a restart resumes from its seq)" "4" \
  "$(q2 "SELECT string_agg(seq::text, ' ') FROM bus.outbox WHERE publisher = 'gateway-old'")"

# --- expired keys go a bounded slice at a time (the writer is never held long) ---
stop_pids "$PID_gateway"
q2 "INSERT INTO gateway.inbound_keys(account, external_message_id, message_id, received_at)
    SELECT 'webchat', 'old-' || i, gen_random_uuid(), now() - interval '40 days' FROM generate_series(1, 25000) i"
eq "25,000 expired keys: 20,000 deleted by one call" "keys_purged=20000" \
  "$(as_role peakdesk_gateway "SELECT gateway.inbound_partitions_maintain(9, 30)" | grep -o 'keys_purged=[0-9]*')"
eq "the rest by the next" "keys_purged=5000" \
  "$(as_role peakdesk_gateway "SELECT gateway.inbound_partitions_maintain(9, 30)" | grep -o 'keys_purged=[0-9]*')"
eq "and the live keys stay" "wc-new wc-ten wc-today" \
  "$(q2 "SELECT string_agg(external_message_id, ' ' ORDER BY external_message_id) FROM gateway.inbound_keys")"

# --- only the owner keeps its days ---
check "another service's role may not keep the gateway's outbox" \
  has "$(as_role peakdesk_router "SELECT bus.outbox_maintain_gateway(3, 24)")" 'permission denied'
check "nor its message days" has "$(as_role peakdesk_router "SELECT gateway.inbound_partitions_maintain(7, 90)")" 'permission denied'
check "no service calls the shared helpers directly" \
  has "$(as_role peakdesk_gateway "SELECT bus.day_partitions_maintain('gateway.inbound_messages', 1, 1)")" 'permission denied'
check "a bad retention is refused with the reason" \
  has "$(as_role peakdesk_gateway "SELECT bus.outbox_maintain_gateway(3, 0)")" 'retention_hours >= 1'
pd_done
