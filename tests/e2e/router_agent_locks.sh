#!/bin/sh
# Another router partition is in the middle of assigning a ticket to the
# least-loaded agent: it holds that agent's row until its transaction
# commits. The router does not wait for it (two partitions waiting on each
# other's agents deadlock): it gives the ticket to the next best agent at
# once. When every agent with room is held, it waits for the best of them
# rather than leave the ticket unassigned. Here a psql session holds the
# rows the way another partition's open transaction would.
. "$(dirname "$0")/../lib.sh"
pd_setup
SECRET=webchat-secret-0123456789
"$BIN/peakdesk" account add --channel webhook --name webchat --secret "$SECRET" >/dev/null
"$BIN/peakdesk" agent add --name amy --groups complaints --tier frontline --capacity 5 >/dev/null
"$BIN/peakdesk" agent add --name bob --groups complaints --tier frontline --capacity 5 >/dev/null
psql_q "UPDATE router.agents SET presence = 'online'"
# amy has been idle longest: she is the one to get the next ticket
psql_q "UPDATE router.agents SET idle_since = now() - interval '1 hour' WHERE agent_id = 'amy'"
pd_start gateway || exit 1
pd_start router || exit 1
assigned() { wait_for "$1 assigned" "$2" ticket_has "$1" "agent_id <> ''"; }
# hold ROWS SECONDS: a transaction holds those agents' rows, then commits
hold() {
  psql "$PEAKDESK_DB" -Xq -c "BEGIN" -c "SELECT 1 FROM router.agents WHERE agent_id IN ($1) FOR UPDATE" \
    -c "SELECT pg_sleep($2)" -c "COMMIT" >/dev/null 2>&1 &
  HOLDER=$!
  PIDS="$PIDS $HOLDER"
  sleep 0.5
}

hold "'amy'" 5
T0=$(date +%s)
webhook_say first m1 '我要投诉，快递员态度太差' >/dev/null
check "while amy's row is held, the ticket goes to bob at once" assigned first 5
eq "to bob" bob "$(ticket_of first agent_id)"
check "without waiting for the holder (well before its 5 s)" test $(($(date +%s) - T0)) -lt 4
wait_for "the holder committed" 15 sh -c "! kill -0 $HOLDER 2>/dev/null" || fail "the holding psql did not end"

hold "'amy', 'bob'" 4
T0=$(date +%s)
webhook_say second m2 '投诉！包装破损' >/dev/null
check "everyone with room held: the ticket still gets an agent" assigned second 20
check "by waiting for the holder (about its 4 s)" test $(($(date +%s) - T0)) -ge 3
eq "amy, the best of them (less loaded than bob now)" amy "$(ticket_of second agent_id)"
eq "no deadlock or retry in the router's log" 0 "$(grep -c 'deadlock\|batch failed' "$WORK/router.log")"
eq "each agent's count equal to their open tickets" "amy 1 bob 1" \
  "$(psql_q "SELECT string_agg(agent_id || ' ' || open_tickets, ' ' ORDER BY agent_id) FROM router.agents")"
pd_done
