#!/bin/sh
# `peakdesk migrate` is ordered, checksummed and idempotent, refuses an
# edited migration, and the roles it creates keep each service to its own
# schema and analysts to the analytics views.
. "$(dirname "$0")/../lib.sh"
pd_setup   # already migrated once

out=$("$BIN/peakdesk" migrate 2>&1)
check "a second migrate applies nothing" sh -c "echo '$out' | grep -q '0 applied'"
eq "every migration recorded with a checksum" "$(ls "$ROOT"/schema/*.sql | wc -l | tr -d ' ')" \
  "$(psql_q "SELECT count(*) FROM public.peakdesk_migrations WHERE length(checksum) = 64")"

# An edited copy of the schema directory must be refused.
cp -r "$ROOT/schema" "$WORK/schema"
echo "-- edited" >>"$WORK/schema/001_roles_and_bus.sql"
out=$(PEAKDESK_SCHEMA_DIR=$WORK/schema "$BIN/peakdesk" migrate 2>&1); rc=$?
check "edited migration refused (non-zero exit)" test $rc -ne 0
check "the message names the edited file" sh -c "echo \"\$1\" | grep -q '001_roles_and_bus.sql was edited'" _ "$out"

as_role() { psql "$PEAKDESK_DB" -XAtq -v ON_ERROR_STOP=1 -c "SET ROLE $1; $2" >/dev/null 2>&1; }
check "logistics role writes its own schema" as_role peakdesk_logistics \
  "INSERT INTO logistics.orders(order_id, status) VALUES ('R1', 'awaiting')"
if as_role peakdesk_stock "INSERT INTO logistics.orders(order_id, status) VALUES ('R2', 'awaiting')"; then
  fail "stock role wrote logistics.orders"; else ok "stock role refused on logistics.orders"; fi
if as_role peakdesk_stock "INSERT INTO bus.outbox_logistics(service, publisher, seq, event_id, topic, payload) VALUES ('logistics', 'logistics-1', 1, gen_random_uuid(), 't', '')"; then
  fail "stock role published as logistics"; else ok "stock role cannot publish in logistics' outbox"; fi
check "stock role may read logistics orders" as_role peakdesk_stock "SELECT count(*) FROM logistics.orders"
if as_role peakdesk_analyst "SELECT count(*) FROM logistics.orders"; then
  fail "analyst read a raw table"; else ok "analyst cannot read raw tables"; fi
check "analyst reads analytics views" as_role peakdesk_analyst "SELECT count(*) FROM analytics.shipments"
if as_role peakdesk_analyst "CREATE TABLE analytics.x(i int)"; then
  fail "analyst created a table"; else ok "analyst cannot write"; fi
eq "every analytics column has a comment" 0 "$(psql_q "SELECT count(*) FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'analytics' AND a.attnum > 0 AND NOT a.attisdropped AND col_description(c.oid, a.attnum) IS NULL")"
pd_done
