#!/bin/sh
# Analysts off the primary (docs/scaling.md): a streaming replica made with
# pg_basebackup -R follows the primary; an analyst's login role (created on
# the primary, replicated like everything else) reads the analytics views
# on the replica, sees a ticket the router wrote moments before, cannot
# write there, and cannot read a raw table there either.
. "$(dirname "$0")/../lib.sh"
pd_setup
BINDIR=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
REP=$WORK/replica
mkdir -p "$REP" && chown postgres:postgres "$REP" 2>/dev/null
as_pg() { if [ "$(id -u)" = 0 ]; then setpriv --reuid=postgres --regid=postgres --init-groups -- "$@"; else "$@"; fi; }
psql_q "CREATE ROLE alice LOGIN IN ROLE peakdesk_analyst" >/dev/null
check "a base backup of the primary, set up to follow it (-R)" \
  as_pg "$BINDIR/pg_basebackup" -h "$PGDIR" -U peakdesk -D "$REP/data" -R -X stream -c fast
check "the replica starts in standby" \
  as_pg "$BINDIR/pg_ctl" -D "$REP/data" -l "$REP/postgres.log" -w -t 60 \
  -o "-c listen_addresses='' -c unix_socket_directories='$REP' -c hot_standby=on -c max_connections=200" start
RDB="host=$REP dbname=peakdesk user=alice"
cleanup_replica() { as_pg "$BINDIR/pg_ctl" -D "$REP/data" -m fast -w stop >/dev/null 2>&1; }
eq "it is a standby" t "$(psql "$RDB" -XAtqc 'SELECT pg_is_in_recovery()')"

# A customer writes in on the primary; the router opens the ticket there.
SECRET=webchat-secret-0123456789
"$BIN/peakdesk" account add --channel webhook --name webchat --secret "$SECRET" >/dev/null
pd_start gateway || { cleanup_replica; exit 1; }
pd_start router || { cleanup_replica; exit 1; }
webhook_say replica-buyer r1 '我的订单什么时候发货？' >/dev/null
check "the ticket reaches the replica" wait_for "replicated" 30 sh -c \
  "[ \"\$(psql '$RDB' -XAtqc 'SELECT count(*) FROM analytics.tickets')\" = 1 ]"
eq "the analyst reads it there" "webhook" "$(psql "$RDB" -XAtqc "SELECT channel FROM analytics.tickets")"
check "without the customer's channel id in clear" sh -c "! psql '$RDB' -XAtqc 'SELECT * FROM analytics.tickets' | grep -q replica-buyer"
# (a standby needs max_connections >= the primary's: pg.sh starts it with 200)
views=$(psql "$RDB" -XAtqc "SELECT table_name FROM information_schema.views WHERE table_schema = 'analytics'")
answered=0
for v in $views; do psql "$RDB" -XAtqc "SELECT count(*) FROM analytics.$v" >/dev/null 2>&1 && answered=$((answered + 1)); done
check "every analytics view answers on the replica ($answered of $(echo $views | wc -w))" \
  sh -c "[ $answered -gt 20 ] && [ $answered -eq $(echo $views | wc -w) ]"
r=$(psql "$RDB" -XAtqc "CREATE TABLE analytics.mine (x int)" 2>&1)
case "$r" in *"read-only"* | *"permission denied"*) ok "writing on the replica is refused ($r)" ;; *) fail "writing on the replica is refused (got '$r')" ;; esac
r=$(psql "$RDB" -XAtqc "SELECT count(*) FROM router.tickets" 2>&1)
case "$r" in *"permission denied"*) ok "a raw table is refused there too" ;; *) fail "a raw table is refused there too (got '$r')" ;; esac
eq "the primary sees its replica streaming" streaming "$(psql_q "SELECT state FROM pg_stat_replication")"
cleanup_replica
pd_done
