#!/bin/sh
# Carrier scans partitioned by day (031): an existing database upgraded with
# its scans kept; the logistics service creating day partitions ahead and
# dropping those past the retention on its own; a scan pushed through the
# real Kuaidi100 surface landing in its day's partition, stored once when
# re-sent; rows of a day that had no partition moving into it when it is
# created; only the logistics role may run the maintenance.
. "$(dirname "$0")/../lib.sh"
pd_setup

# --- an upgrade: a database at 030 with scans in the unpartitioned table ---
PG2=$WORK/pg2
"$ROOT/deploy/local/pg.sh" start "$PG2" fast >/dev/null || { echo "cannot start the second PostgreSQL"; exit 1; }
DB2="host=$PG2 dbname=peakdesk user=peakdesk"
mkdir -p "$WORK/schema030"
for f in "$ROOT"/schema/0*.sql; do
  case $(basename "$f") in 031_* | 03[2-9]_* | 0[4-9]*) ;; *) ln -s "$f" "$WORK/schema030/" ;; esac
done
PEAKDESK_DB=$DB2 PEAKDESK_SCHEMA_DIR=$WORK/schema030 "$BIN/peakdesk" migrate >/dev/null
psql "$DB2" -XAtq -c "INSERT INTO logistics.tracking_events(carrier, tracking_no, scanned_at, description)
  VALUES ('sf', 'SF1', '2026-01-02 03:04:05+00', 'a'), ('sf', 'SF1', '2026-01-03 03:04:05+00', 'b'),
         ('zto', 'Z9', now(), 'c')"
PEAKDESK_DB=$DB2 "$BIN/peakdesk" migrate >/dev/null
eq "after the upgrade tracking_events is partitioned" p \
  "$(psql "$DB2" -XAtqc "SELECT relkind FROM pg_class WHERE oid = 'logistics.tracking_events'::regclass")"
eq "and holds the three scans it had" "3" "$(psql "$DB2" -XAtqc "SELECT count(*) FROM logistics.tracking_events")"
eq "with their dedup key" "3" "$(psql "$DB2" -XAtqc "SELECT count(DISTINCT entry_key) FROM logistics.tracking_events")"
eq "today's scan in today's partition, the old ones in the default" "tracking_events_$(date -u +%Y%m%d) tracking_events_default tracking_events_default" \
  "$(psql "$DB2" -XAtqc "SELECT string_agg(tableoid::regclass::text, ' ' ORDER BY scanned_at DESC) FROM logistics.tracking_events" | sed 's/logistics\.//g')"
"$ROOT/deploy/local/pg.sh" stop "$PG2" >/dev/null 2>&1

# --- the service keeps the partitions ---
day() { date -u -d "$1" +%Y%m%d; }
part_of() { psql_q "SELECT string_agg(tableoid::regclass::text, ' ' ORDER BY scanned_at) FROM logistics.tracking_events WHERE tracking_no = '$1'" | sed 's/logistics\.//g'; }
exists() { [ -n "$(psql_q "SELECT to_regclass('logistics.tracking_events_$1')")" ]; }
check "the migration made today's partition and the week ahead" exists "$(day '+7 days')"
# A day far past the retention, made by hand as an operator would have.
psql_q "CREATE TABLE logistics.tracking_events_20200101 PARTITION OF logistics.tracking_events
        FOR VALUES FROM ('2020-01-01 00:00+00') TO ('2020-01-02 00:00+00')"
# A scan twelve days ahead (a carrier's clock), before its day has a partition.
AHEAD=$(date -u -d '+12 days' '+%Y-%m-%d 12:00:00+00')
AHEADDAY=$(date -u -d "$AHEAD" +%Y%m%d)
psql_q "INSERT INTO logistics.tracking_events(carrier, tracking_no, scanned_at, description) VALUES ('sf', 'SF2', '$AHEAD', 'early')"
eq "it waits in the default partition" tracking_events_default "$(part_of SF2)"

SALT=partition-test-salt
pd_start logistics PEAKDESK_KUAIDI100_SALT=$SALT PEAKDESK_LOGISTICS_TRACKING_DAYS_AHEAD=9 \
  PEAKDESK_LOGISTICS_TRACKING_KEEP_DAYS=30 || exit 1
check "the service logged what it did" wait_for "maintenance" 20 grep -q 'day partitions maintained.*carrier scans.*created=2.*dropped=1' "$WORK/logistics.log"
check "the days up to nine ahead have partitions" exists "$(day '+9 days')"
check "the day past the retention is dropped" sh -c "! psql '$PEAKDESK_DB' -XAtqc \"SELECT to_regclass('logistics.tracking_events_20200101')\" | grep -q ."

# Scans pushed by Kuaidi100 (ftime in China time): one now, one two days ago.
python3 - "$ROOT/tests/data/kuaidi100/in_transit.param.json" "$WORK/now.param.json" <<'EOF'
import datetime, json, sys
p = json.load(open(sys.argv[1]))
cst = datetime.timezone(datetime.timedelta(hours=8))
now = datetime.datetime.now(datetime.timezone.utc)
items = p["lastResult"]["data"][:2]
for item, ago in zip(items, (datetime.timedelta(minutes=5), datetime.timedelta(days=2))):
    t = (now - ago).astimezone(cst).strftime("%Y-%m-%d %H:%M:%S")
    item["time"] = item["ftime"] = t
p["lastResult"]["data"] = items
p["lastResult"]["nu"] = "PD7312PART01"
json.dump(p, open(sys.argv[2], "w"), ensure_ascii=False)
EOF
sign() { { cat "$1"; printf '%s' "$SALT"; } | md5sum | cut -c1-32 | tr a-f A-F; }
URL="http://$(http_addr logistics)/v1/carriers/kuaidi100"
push() { curl -sS -o /dev/null -w '%{http_code}' --data-urlencode "param@$1" --data-urlencode "sign=$(sign "$1")" "$URL"; }
eq "the push is accepted" 200 "$(push "$WORK/now.param.json")"
eq "the push is accepted again (Kuaidi100 re-sends the history)" 200 "$(push "$WORK/now.param.json")"
# The newest scan is 5 minutes old: today's partition (the default if that
# was yesterday, which has none: the migration made today's onwards).
NOWDAY=$(date -u -d '-5 min' +%Y%m%d)
if exists "$NOWDAY"; then expect_now=tracking_events_$NOWDAY; else expect_now=tracking_events_default; fi
eq "each scan stored once, the recent one in its day's partition, the old one in the default" \
  "tracking_events_default $expect_now" "$(part_of PD7312PART01)"

# More days ahead: the early scan's day gets its partition and the scan moves there.
stop_pids "$PID_logistics"
pd_start logistics PEAKDESK_KUAIDI100_SALT=$SALT PEAKDESK_LOGISTICS_TRACKING_DAYS_AHEAD=13 \
  PEAKDESK_LOGISTICS_TRACKING_KEEP_DAYS=30 || exit 1
check "the day of the early scan now has a partition" wait_for "ahead" 20 exists "$AHEADDAY"
eq "the early scan moved into it, once" "tracking_events_$AHEADDAY" "$(part_of SF2)"
eq "re-pushing still stores nothing twice" 200 "$(push "$WORK/now.param.json")"
eq "two scans of the parcel in all" 2 "$(psql_q "SELECT count(*) FROM logistics.tracking_events WHERE tracking_no = 'PD7312PART01'")"

# Only the logistics role runs the maintenance; bad arguments are refused.
as_role() { psql "$PEAKDESK_DB" -XAtq -c "SET ROLE $1" -c "$2" 2>&1; }
has() { printf '%s' "$1" | grep -Eq "$2"; }
check "another service's role may not run it" has "$(as_role peakdesk_router "SELECT logistics.tracking_partitions_maintain(1, 1)")" 'permission denied'
check "nor create partitions directly, not even the logistics role" \
  has "$(as_role peakdesk_logistics "CREATE TABLE logistics.tracking_events_20300101 PARTITION OF logistics.tracking_events FOR VALUES FROM ('2030-01-01') TO ('2030-01-02')")" 'permission denied|must be owner'
check "a negative days_ahead is refused with the reason" \
  has "$(as_role peakdesk_logistics "SELECT logistics.tracking_partitions_maintain(-1, 0)")" 'days_ahead must be'
# An operator's psql with other time settings makes the same UTC days.
r=$(psql "$PEAKDESK_DB" -XAtq -c "SET TimeZone = 'Asia/Shanghai'" -c "SET DateStyle = 'SQL, MDY'" \
  -c "SELECT logistics.tracking_partitions_maintain(14, 30)" 2>&1)
eq "run from a session in another time zone it adds the next day, on UTC bounds" \
  "created=1 moved=0 dropped=0 purged=0|FOR VALUES FROM ('$(date -u -d '+14 days' +%Y-%m-%d) 00:00:00+00') TO ('$(date -u -d '+15 days' +%Y-%m-%d) 00:00:00+00')" \
  "$r|$(psql_q "SET TimeZone = 'UTC'; SELECT pg_get_expr(relpartbound, oid) FROM pg_class WHERE relname = 'tracking_events_$(day '+14 days')'")"
pd_done
