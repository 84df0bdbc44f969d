# The floor under target (i), sourced by tests/bench/router.sh at the end of
# part (i) (sh; uses its q, n, say, fail, pg_ticks, WORK, ACCOUNT, RUN ...).
#
# 1. Rows per message: what the 5,000 msg/s phase wrote, per table, from
#    pg_stat_user_tables before the phase and after the router stopped
#    (tup0.txt, tup1.txt), divided by the messages the gateway stored
#    (gateway.inbound_messages and bus.outbox_gateway: the gateway's side of
#    each message) or by the messages the router applied (every other table).
echo "router e2e floor, rows written per message during the $(n "$RATE") msg/s phase (pg_stat_user_tables;" \
  "gateway.inbound_messages and bus.outbox_gateway per message the gateway stored, $(n "$A_N"), the rest per message" \
  "the router applied by the time it stopped, $(n "$APPLIED_STOP"), rolled back or not: the counters count both):"
awk -v st="$A_N" -v ap="$APPLIED_STOP" '
  NR == FNR { i0[$1] = $2; u0[$1] = $3; h0[$1] = $4; d0[$1] = $5; next }
  { di = $2 - i0[$1]; du = $3 - u0[$1]; dh = $4 - h0[$1]; dd = $5 - d0[$1];
    if (di == 0 && du == 0 && dd == 0) next;
    per = ($1 ~ /^gateway\.inbound_/ || $1 == "bus.outbox_gateway") ? st : ap;
    if (per + 0 <= 0) next;
    printf "  %-34s %7.3f inserted %7.3f updated (%5.3f HOT) %7.3f deleted per message  (%d, %d, %d rows)\n",
      $1, di / per, du / per, dh / per, dd / per, di, du, dd }' "$WORK/tup0.txt" "$WORK/tup1.txt"

# 2. The floor: PostgreSQL alone writing the rows of FLOOR_M messages
#    (BENCH_ROUTER_FLOOR_MESSAGES, default 25,000, what (i) offers) into the
#    same tables, with their indexes, constraints and triggers, in the same
#    database after (i). The rows are copies of what (i) committed: whole
#    tickets of the phase (each with its customer, identity, messages,
#    timeline, refs, risk signals, complaint acknowledgements and their
#    delivery attempts), repeated with fresh keys until they hold FLOOR_M
#    customer messages, and each publisher's outbox rows of the phase in the
#    proportion per message the phase wrote. Untimed: the server writes them
#    to files (COPY (SELECT ...) TO). Timed: one session of the superuser,
#    BEGIN, one COPY ... FROM 'file' per table (the outbox and the by-day
#    tables into their parents), the updates the path makes, set-based,
#    COMMIT. The tickets are copied assigned, so the agent-load trigger
#    does its work during the COPY (one agents row per ticket); each ticket
#    is then updated as the router updates it (once for the message that
#    opened it, twice for each follow-up: threading, then the decision),
#    each agent of the copy once (idle_since; the router does that per
#    assignment), and each acknowledgement twice as the gateway does
#    (claimed, delivered), with UPDATE ... FROM a temporary table of the
#    keys, itself loaded by COPY inside the timed part. Afterwards the
#    copies are deleted again (untimed), so later parts see (i)'s data.
FLOOR_M=${BENCH_ROUTER_FLOOR_MESSAGES:-25000}
case $FLOOR_M in '' | *[!0-9]* | 0) say "router bench: BENCH_ROUTER_FLOOR_MESSAGES must be a positive number"; exit 2 ;; esac
FLOOR_DIR=$WORK/floor
FLOOR_TAG=fl$(date +%s | tail -c 6)
FLOOR_OK=1
rm -rf "$FLOOR_DIR"
mkdir -p "$FLOOR_DIR"
chmod 777 "$FLOOR_DIR" # the server (user postgres under root) writes the files
say "[$(elapsed)] (i) floor: copies of the phase's rows for $(n "$FLOOR_M") messages, then COPY them back, timed"
psq() { psql "$PEAKDESK_DB" -X -v ON_ERROR_STOP=1 "$@"; }
# shellcheck disable=SC2016 # SQL, with psql variables
FL_NEW=$(kv "$WORK/router_fixed.out" new); FL_FOLLOWUPS=$(kv "$WORK/router_fixed.out" followups)
case ${FL_NEW:-x}${FL_FOLLOWUPS:-x} in *[!0-9]*) FL_NEW=0 FL_FOLLOWUPS=0 ;; esac
psq -q -At -v dir="$FLOOR_DIR" -v tag="$FLOOR_TAG" -v run="$RUN-b" -v account="$ACCOUNT" -v m="$FLOOR_M" \
  -v n="$FL_NEW" -v f="$FL_FOLLOWUPS" \
  -v marks="('', 0)${OUTBOX_MARKS:+, $OUTBOX_MARKS}" >"$WORK/floor.gen.out" 2>"$WORK/floor.gen.err" <<'SQL' || FLOOR_OK=
SELECT set_config('floor.tag', :'tag', false) \g /dev/null
-- the phase's customer messages the router committed, and their tickets
CREATE TEMP TABLE fl_s AS
  SELECT tm.ticket_id, tm.message_id FROM router.ticket_messages tm JOIN gateway.inbound_messages im USING (message_id)
  WHERE im.account = :'account' AND im.external_message_id LIKE :'run' || '-%' AND tm.direction = 'in';
-- whole tickets, copy 1, 2, ..., until they hold m messages
-- Whole tickets, copy 1, 2, ..., until they hold m messages, in the mix
-- (i) offered (n new customers, f of whom write again): the router applies
-- the messages in order, so what it committed has fewer follow-ups than the
-- load. Two pools, tickets with and without a follow-up; when the load's
-- counts are not known or a pool is empty, the mix the router committed.
CREATE TEMP TABLE fl_u AS
  WITH t AS (SELECT ticket_id, count(*) AS mc FROM fl_s GROUP BY ticket_id),
       pool AS (SELECT mc > 1 AS multi, sum(mc) AS have FROM t GROUP BY 1),
       want AS (SELECT multi, have, CASE
                  WHEN :n + :f = 0 OR (SELECT count(*) FROM pool) < 2 THEN :m * have / (SELECT sum(have) FROM pool)
                  WHEN multi THEN round(:m * 2.0 * :f / (:n + :f)) ELSE :m - round(:m * 2.0 * :f / (:n + :f)) END AS w
                FROM pool),
       u AS (SELECT c, t.ticket_id, t.mc, w.w,
                    sum(t.mc) OVER (PARTITION BY w.multi ORDER BY c, t.ticket_id ROWS UNBOUNDED PRECEDING) AS cum
             FROM t JOIN want w ON w.multi = (t.mc > 1), generate_series(1, ceil(w.w / w.have)::int) c)
  SELECT c, ticket_id, mc FROM u WHERE cum - mc < w;
CREATE TEMP TABLE fl_m AS SELECT u.c, s.message_id FROM fl_u u JOIN fl_s s USING (ticket_id);
CREATE TEMP TABLE fl_cu AS SELECT DISTINCT u.c, t.customer_id FROM fl_u u JOIN router.tickets t USING (ticket_id);
-- the outbox rows of the phase (after each publisher's mark), numbered per service
CREATE TEMP TABLE fl_ob AS
  SELECT row_number() OVER (PARTITION BY o.service ORDER BY o.publisher, o.seq) - 1 AS i, o.*
  FROM bus.outbox o LEFT JOIN (VALUES :marks) mk(publisher, seq0) USING (publisher)
  WHERE o.seq > coalesce(mk.seq0, 0) AND o.service IN ('gateway', 'router');
-- outbox rows of the floor: the gateway's per message it stored, the
-- router's per ticket it committed (ticket.created, ticket.assigned and the
-- acknowledgements are per ticket)
CREATE TEMP TABLE fl_n AS SELECT s.service, count(*) AS src, CASE s.service
    WHEN 'gateway' THEN round((SELECT count(*) FROM fl_m) * count(*)::numeric /
      (SELECT greatest(count(*), 1) FROM gateway.inbound_messages WHERE account = :'account' AND external_message_id LIKE :'run' || '-%'))
    ELSE round((SELECT count(*) FROM fl_u) * count(*)::numeric / (SELECT greatest(count(DISTINCT ticket_id), 1) FROM fl_s)) END::int AS n
  FROM fl_ob s GROUP BY s.service;
CREATE FUNCTION pg_temp.nid(c int, u uuid) RETURNS uuid LANGUAGE sql STABLE AS
  $$ SELECT md5(current_setting('floor.tag') || c || ':' || u)::uuid $$;
CREATE FUNCTION pg_temp.ntx(c int, s text) RETURNS text LANGUAGE sql STABLE AS
  $$ SELECT current_setting('floor.tag') || '.' || c || '-' || s $$;
CREATE TEMP TABLE fl_manifest (ord int, rel text, cols text, file text, n bigint);
-- floor_out(ord, table, FROM clause (alias x = the table's rows), column
-- overrides, columns left to their defaults): COPY (SELECT ...) TO a file
CREATE FUNCTION pg_temp.floor_out(ord int, rel text, src text, ov jsonb, skip text[] DEFAULT '{}') RETURNS void
LANGUAGE plpgsql AS $$
DECLARE sel text; lst text; bad text; n bigint; f text := current_setting('floor.dir') || '/' || ord || '.copy';
BEGIN
  IF to_regclass(rel) IS NULL THEN RETURN; END IF; -- a table this schema does not have
  SELECT string_agg(k, ', ') INTO bad FROM jsonb_object_keys(ov) k
  WHERE NOT EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = rel::regclass AND a.attname = k AND NOT a.attisdropped);
  IF bad IS NOT NULL THEN RAISE EXCEPTION 'floor: % has no column %', rel, bad; END IF;
  SELECT string_agg(coalesce(ov ->> a.attname, 'x.' || quote_ident(a.attname)), ', ' ORDER BY a.attnum),
         string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum) INTO sel, lst
  FROM pg_attribute a WHERE a.attrelid = rel::regclass AND a.attnum > 0 AND NOT a.attisdropped
    AND a.attgenerated = '' AND a.attname <> ALL (skip);
  EXECUTE format('COPY (SELECT %s FROM %s) TO %L', sel, src, f);
  GET DIAGNOSTICS n = ROW_COUNT;
  INSERT INTO fl_manifest VALUES (ord, rel, lst, f, n);
END $$;
SELECT set_config('floor.dir', :'dir', false) \g /dev/null
SELECT pg_temp.floor_out(1, 'gateway.inbound_messages', 'fl_m m JOIN gateway.inbound_messages x USING (message_id)',
  '{"message_id": "pg_temp.nid(m.c, x.message_id)", "external_user_id": "pg_temp.ntx(m.c, x.external_user_id)",
    "external_message_id": "pg_temp.ntx(m.c, x.external_message_id)"}') \g /dev/null
SELECT pg_temp.floor_out(2, 'gateway.inbound_keys', 'fl_m m JOIN gateway.inbound_keys x USING (message_id)',
  '{"message_id": "pg_temp.nid(m.c, x.message_id)", "external_message_id": "pg_temp.ntx(m.c, x.external_message_id)"}') \g /dev/null
SELECT pg_temp.floor_out(3, 'bus.outbox', format('generate_series(1, %s) g JOIN fl_ob x ON x.service = ''gateway'' AND x.i = (g - 1) %% %s',
    n, src), format('{"publisher": "''gateway-%s''", "seq": "g", "event_id": "gen_random_uuid()"}', current_setting('floor.tag'))::jsonb)
  FROM fl_n WHERE service = 'gateway' \g /dev/null
SELECT pg_temp.floor_out(4, 'router.customers', 'fl_cu k JOIN router.customers x USING (customer_id)',
  '{"customer_id": "pg_temp.nid(k.c, x.customer_id)"}') \g /dev/null
SELECT pg_temp.floor_out(5, 'router.identities', 'fl_cu k JOIN router.identities x USING (customer_id)',
  '{"customer_id": "pg_temp.nid(k.c, x.customer_id)", "external_user_id": "pg_temp.ntx(k.c, x.external_user_id)"}') \g /dev/null
SELECT pg_temp.floor_out(6, 'router.tickets', 'fl_u u JOIN router.tickets x USING (ticket_id)',
  '{"ticket_id": "pg_temp.nid(u.c, x.ticket_id)", "public_id": "pg_temp.ntx(u.c, x.public_id)",
    "customer_id": "pg_temp.nid(u.c, x.customer_id)", "external_user_id": "pg_temp.ntx(u.c, x.external_user_id)"}') \g /dev/null
SELECT pg_temp.floor_out(7, 'router.ticket_messages', 'fl_u u JOIN router.ticket_messages x USING (ticket_id)',
  '{"ticket_id": "pg_temp.nid(u.c, x.ticket_id)", "message_id": "pg_temp.nid(u.c, x.message_id)"}') \g /dev/null
SELECT pg_temp.floor_out(8, 'router.ticket_events', 'fl_u u JOIN router.ticket_events x USING (ticket_id)',
  '{"ticket_id": "pg_temp.nid(u.c, x.ticket_id)"}', '{event_no}') \g /dev/null
SELECT pg_temp.floor_out(9, 'router.ticket_refs', 'fl_u u JOIN router.ticket_refs x USING (ticket_id)',
  '{"ticket_id": "pg_temp.nid(u.c, x.ticket_id)"}') \g /dev/null
SELECT pg_temp.floor_out(10, 'router.ticket_risk_signals', 'fl_u u JOIN router.ticket_risk_signals x USING (ticket_id)',
  '{"ticket_id": "pg_temp.nid(u.c, x.ticket_id)"}') \g /dev/null
SELECT pg_temp.floor_out(11, 'bus.outbox', format('generate_series(1, %s) g JOIN fl_ob x ON x.service = ''router'' AND x.i = (g - 1) %% %s',
    n, src), format('{"publisher": "''router-%s''", "seq": "g", "event_id": "gen_random_uuid()"}', current_setting('floor.tag'))::jsonb)
  FROM fl_n WHERE service = 'router' \g /dev/null
-- the complaint acknowledgements, as the router's message.outbound makes
-- the gateway store them (pending), and their delivery attempts
SELECT pg_temp.floor_out(12, 'gateway.outbound_messages',
  'fl_u u JOIN router.tickets t USING (ticket_id) JOIN gateway.outbound_messages x ON x.account = t.account AND x.ticket_public_id = t.public_id',
  '{"outbound_id": "pg_temp.ntx(u.c, x.outbound_id)", "external_user_id": "pg_temp.ntx(u.c, x.external_user_id)",
    "ticket_public_id": "pg_temp.ntx(u.c, x.ticket_public_id)", "status": "''pending''", "attempts": "0",
    "last_error": "''''", "delivered_at": "NULL"}') \g /dev/null
SELECT pg_temp.floor_out(13, 'gateway.delivery_attempts',
  'fl_u u JOIN router.tickets t USING (ticket_id) JOIN gateway.outbound_messages o ON o.account = t.account AND o.ticket_public_id = t.public_id
   JOIN gateway.delivery_attempts x ON x.outbound_id = o.outbound_id',
  '{"outbound_id": "pg_temp.ntx(u.c, x.outbound_id)"}') \g /dev/null
-- the keys of the updates (loaded into temporary tables inside the timed part)
\set kf :dir '/k_tickets.copy'
COPY (SELECT pg_temp.nid(u.c, u.ticket_id), p FROM fl_u u, generate_series(1, 2 * u.mc::int - 1) p) TO :'kf' \g /dev/null
SELECT 'k_tickets', count(*), max(2 * mc - 1) FROM fl_u, generate_series(1, 2 * mc::int - 1);
\set kf :dir '/k_agents.copy'
COPY (SELECT DISTINCT t.agent_id FROM fl_u u JOIN router.tickets t USING (ticket_id) WHERE t.agent_id <> '') TO :'kf' \g /dev/null
SELECT 'k_agents', count(DISTINCT t.agent_id), 1 FROM fl_u u JOIN router.tickets t USING (ticket_id) WHERE t.agent_id <> '';
\set kf :dir '/k_outbound.copy'
COPY (SELECT pg_temp.ntx(u.c, x.outbound_id) FROM fl_u u JOIN router.tickets t USING (ticket_id)
      JOIN gateway.outbound_messages x ON x.account = t.account AND x.ticket_public_id = t.public_id) TO :'kf' \g /dev/null
SELECT 'k_outbound', coalesce(sum(n), 0), 1 FROM fl_manifest WHERE ord = 12;
SELECT 'messages', count(*), count(DISTINCT c) FROM fl_m;
SELECT 'tickets', count(*), (SELECT count(DISTINCT ticket_id) FROM fl_s) FROM fl_u;
SELECT 'source', count(*), 0 FROM fl_s;
SELECT 'assigned', count(*) FILTER (WHERE t.agent_id <> '' AND t.status NOT IN ('resolved', 'closed')), 0
  FROM fl_u u JOIN router.tickets t USING (ticket_id);
SELECT 'file', ord, rel, n, file, cols FROM fl_manifest ORDER BY ord;
SQL
[ -n "$FLOOR_OK" ] || { sed 's/^/  /' "$WORK/floor.gen.err" >&2; fail "floor: writing the copies failed (see above)"; }
fl_get() { awk -F'|' -v k="$1" -v f="$2" '$1 == k { print $f; exit }' "$WORK/floor.gen.out"; } # fl_get KEY FIELD
FL_MSGS=$(fl_get messages 2); FL_COPIES=$(fl_get messages 3)
FL_TICKETS=$(fl_get tickets 2); FL_FOLLOW=$(( ${FL_MSGS:-0} - ${FL_TICKETS:-0} ))
FL_ASSIGNED=$(fl_get assigned 2)
FL_PASSES=$(fl_get k_tickets 3)
[ -z "$FLOOR_OK" ] || [ "${FL_MSGS:-0}" -gt 0 ] || { FLOOR_OK=; fail "floor: (i) committed no message of the phase to copy"; }

# fl_procs FILE: "pid ticks title" of the cluster's processes; the timed
# session's own backend reads its ticks itself (it lives only during the run)
fl_procs() {
  for p in $PM_PID $(pgrep -P "$PM_PID" 2>/dev/null); do
    printf '%s %s %s\n' "$p" "$(proc_ticks "$p")" "$(tr '\0' ' ' 2>/dev/null <"/proc/$p/cmdline" | sed 's/^postgres: *//')"
  done >"$1"
}
if [ -n "$FLOOR_OK" ]; then
  # The timed session: its backend reads its own CPU time (/proc/self/stat,
  # utime + stime) and the clock before BEGIN and after COMMIT.
  mark="SELECT '%s', s[14]::bigint + s[15]::bigint, extract(epoch FROM clock_timestamp()) FROM
        (SELECT string_to_array(pg_read_file('/proc/self/stat'), ' ') AS s) x;"
  : >"$WORK/floor.sql"
  : >"$WORK/floor.labels"
  st() { printf '%s\n' "$1" >>"$WORK/floor.labels"; printf '%s\n' "$2" >>"$WORK/floor.sql"; } # st LABEL SQL
  printf '%s\n' '\timing on' >"$WORK/floor.sql"
  # shellcheck disable=SC2059 # the format is ours
  st mark "$(printf "$mark" mark0)"
  st BEGIN "BEGIN;"
  awk -F'|' -v q="'" '$1 == "file" { printf "%s%s|COPY %s (%s) FROM %s%s%s;\n", $3, ($2 == 3 ? " (gateway events)" : $2 == 11 ? " (router events)" : ""),
    $3, $6, q, $5, q }' "$WORK/floor.gen.out" >"$WORK/floor.copies"
  while IFS='|' read -r label sql; do st "COPY $label" "$sql"; done <"$WORK/floor.copies"
  st "update keys: 3 temporary tables, COPY" "CREATE TEMP TABLE fl_k_tickets (ticket_id uuid, pass int) ON COMMIT DROP;"
  st "update keys: 3 temporary tables, COPY" "COPY fl_k_tickets FROM '$FLOOR_DIR/k_tickets.copy';"
  st "update keys: 3 temporary tables, COPY" "CREATE TEMP TABLE fl_k_agents (agent_id text) ON COMMIT DROP;"
  st "update keys: 3 temporary tables, COPY" "COPY fl_k_agents FROM '$FLOOR_DIR/k_agents.copy';"
  st "update keys: 3 temporary tables, COPY" "CREATE TEMP TABLE fl_k_outbound (outbound_id text) ON COMMIT DROP;"
  st "update keys: 3 temporary tables, COPY" "COPY fl_k_outbound FROM '$FLOOR_DIR/k_outbound.copy';"
  p=1
  while [ "$p" -le "${FL_PASSES:-1}" ]; do
    # like the router's updates: not HOT (updated_at and the SLA dues are indexed)
    st "UPDATE router.tickets (${FL_PASSES:-1} passes)" \
      "UPDATE router.tickets x SET updated_at = now() FROM fl_k_tickets k WHERE k.pass = $p AND x.ticket_id = k.ticket_id;"
    p=$((p + 1))
  done
  st "UPDATE router.agents (idle_since)" \
    "UPDATE router.agents x SET idle_since = now() FROM fl_k_agents k WHERE x.agent_id = k.agent_id;"
  st "UPDATE gateway.outbound_messages (sending, delivered)" \
    "UPDATE gateway.outbound_messages x SET status = 'sending', attempts = x.attempts + 1 FROM fl_k_outbound k WHERE x.outbound_id = k.outbound_id;"
  st "UPDATE gateway.outbound_messages (sending, delivered)" \
    "UPDATE gateway.outbound_messages x SET status = 'delivered', last_error = '', delivered_at = now(), next_attempt_at = now() FROM fl_k_outbound k WHERE x.outbound_id = k.outbound_id AND x.status = 'sending';"
  st COMMIT "COMMIT;"
  # shellcheck disable=SC2059
  st mark "$(printf "$mark" mark1)"
  fl_procs "$WORK/floor.procs0"
  FL_LOAD=$(cut -d' ' -f1 /proc/loadavg)
  psq -At -f "$WORK/floor.sql" >"$WORK/floor.out" 2>"$WORK/floor.err" \
    || { FLOOR_OK=; sed 's/^/  /' "$WORK/floor.err" >&2; fail "floor: the timed COPY failed (see above)"; }
  fl_procs "$WORK/floor.procs1"
fi

if [ -n "$FLOOR_OK" ]; then
  # every COPY stored what was written to its file, every update found its rows
  { awk -F'|' '$1 == "file" { print $4 }' "$WORK/floor.gen.out"
    for k in k_tickets k_agents k_outbound; do fl_get "$k" 2; done; } >"$WORK/floor.expected"
  grep '^COPY ' "$WORK/floor.out" | cut -d' ' -f2 >"$WORK/floor.copied"
  if ! cmp -s "$WORK/floor.expected" "$WORK/floor.copied"; then
    fail "floor: COPY row counts differ from the rows written to the files (expected: $(tr '\n' ' ' <"$WORK/floor.expected"); COPY said: $(tr '\n' ' ' <"$WORK/floor.copied"))"
  fi
  grep '^UPDATE ' "$WORK/floor.out" | cut -d' ' -f2 >"$WORK/floor.updated"
  FL_UPD_T=$(head -n "${FL_PASSES:-1}" "$WORK/floor.updated" | awk '{ s += $1 } END { print s + 0 }')
  FL_UPD_A=$(sed -n "$((FL_PASSES + 1))p" "$WORK/floor.updated")
  FL_UPD_O=$(tail -n 2 "$WORK/floor.updated" | awk '{ s += $1 } END { print s + 0 }')
  [ "$FL_UPD_T" = "$(fl_get k_tickets 2)" ] || fail "floor: $FL_UPD_T ticket updates, $(fl_get k_tickets 2) expected"
  [ "$FL_UPD_O" = "$(( 2 * $(fl_get k_outbound 2) ))" ] || fail "floor: $FL_UPD_O acknowledgement updates, $(( 2 * $(fl_get k_outbound 2) )) expected"
  read -r _ FT0 FW0 <<EOT
$(grep '^mark0|' "$WORK/floor.out" | tr '|' ' ')
EOT
  read -r _ FT1 FW1 <<EOT
$(grep '^mark1|' "$WORK/floor.out" | tr '|' ' ')
EOT
  FL_S=$(awk -v a="$FW0" -v b="$FW1" 'BEGIN { printf "%.3f", b - a }')
  FL_RATE=$(awk -v m="$FL_MSGS" -v s="$FL_S" 'BEGIN { printf "%.0f", (s > 0 ? m / s : 0) }')
  FL_ROWS=$(awk -F'|' '$1 == "file" { s += $4 } END { print s + 0 }' "$WORK/floor.gen.out")
  FL_BE_S=$(awk -v a="$FT0" -v b="$FT1" -v hz="$HZ" 'BEGIN { printf "%.2f", (b - a) / hz }')
  # the other processes' CPU meanwhile: the WAL writer, checkpointer and
  # background writer work for the writes; autovacuum and other sessions are
  # shown apart (a worker that starts during the run is not the COPY's cost)
  awk -v hz="$HZ" 'NR == FNR { t0[$1] = $2; next }
    { d = $2 - ($1 in t0 ? t0[$1] : 0); $1 = $2 = ""; sub(/^ +/, "");
      k = /walwriter|checkpointer|background writer/ ? "w" : /autovacuum/ ? "a" : "o"; c[k] += d }
    END { printf "%.2f %.2f %.2f\n", c["w"] / hz, c["a"] / hz, c["o"] / hz }' \
    "$WORK/floor.procs0" "$WORK/floor.procs1" >"$WORK/floor.others"
  read -r FL_HELP_S FL_AV_S FL_OTHER_S <"$WORK/floor.others"
  FL_PG_S=$(awk -v be="$FL_BE_S" -v h="$FL_HELP_S" 'BEGIN { printf "%.2f", be + h }')
  FL_CORES=$(awk -v c="$FL_PG_S" -v s="$FL_S" 'BEGIN { printf "%.2f", (s > 0 ? c / s : 0) }')
  FL_CPU_US=$(awk -v c="$FL_PG_S" -v m="$FL_MSGS" 'BEGIN { printf "%.0f", c / m * 1e6 }')
  FL_CORES_AT=$(awk -v c="$FL_PG_S" -v m="$FL_MSGS" -v r="$RATE" 'BEGIN { printf "%.2f", c / m * r }')
  RT_APPLIED_RATE=$(awk -v a="$APPLIED" -v c="$A_PROC" -v s="$WALL_S" 'BEGIN { if (a + 0 == 0) a = c; printf "%.0f", (s > 0 ? a / s : 0) }')
  FL_TARGET_X=$(awk -v t="$RATE" -v f="$FL_RATE" 'BEGIN { printf "%.2f", (f > 0 ? t / f : 0) }')
  FL_ROUTER_X=$(awk -v r="$RT_APPLIED_RATE" -v f="$FL_RATE" 'BEGIN { printf "%.3f", (f > 0 ? r / f : 0) }')

  if [ "$FL_NEW" -gt 0 ]; then FL_MIX="the mix (i) offered, $(n "$FL_NEW") new and $(n "$FL_FOLLOWUPS") follow-ups"
  else FL_MIX="the mix the router committed"; fi
  echo "router e2e floor, what was copied: $(n "$FL_MSGS") customer messages ($(n "$FL_TICKETS") new tickets, $(n "${FL_FOLLOW:-0}")" \
    "follow-ups: $FL_MIX; $(n "$FL_ASSIGNED") tickets assigned), from the $(n "$(fl_get source 2)") messages on" \
    "$(n "$(fl_get tickets 3)") tickets the router committed in the phase, up to $FL_COPIES times with fresh keys: $(n "$FL_ROWS") rows; per message:"
  awk -F'|' -v m="$FL_MSGS" '$1 == "file" { r[$3] += $4 } END { for (t in r) printf "  %-34s %7.3f inserted per message (%d rows)\n", t, r[t] / m, r[t] }' \
    "$WORK/floor.gen.out" | sort
  awk -v m="$FL_MSGS" -v t="$FL_UPD_T" -v as="$FL_ASSIGNED" -v a="${FL_UPD_A:-0}" -v o="$FL_UPD_O" 'BEGIN {
    printf "  updates: router.tickets %.3f per message (%d, %s set-based UPDATE ... FROM passes), router.agents %.3f (%d by the load trigger during the COPY, one per assigned ticket, + %d idle_since, one per agent), gateway.outbound_messages %.3f (%d)\n",
      t / m, t, "'"${FL_PASSES:-1}"'", (as + a) / m, as, a, o / m, o }'
  printf '%s\n' "router e2e floor, where the timed ${FL_S} s went (psql's timing of each statement):"
  awk -v lf="$WORK/floor.labels" 'BEGIN { while ((getline l < lf) > 0) lab[++nl] = l }
    /^(COPY|UPDATE) [0-9]+$/ { rows = $2 }
    /^Time: / { i++; k = lab[i]; if (k == "mark") { rows = 0; next }
                if (!(k in ms)) ord[++no] = k; ms[k] += $2; rw[k] += rows; rows = 0 }
    END { for (j = 1; j <= no; j++) { k = ord[j];
            printf "  %-56s %9d rows %8.0f ms%s\n", k, rw[k], ms[k], (rw[k] > 0 ? sprintf(" %6.1f us/row", ms[k] * 1000 / rw[k]) : "") } }' \
    "$WORK/floor.out"
  echo "router e2e floor: the rows of $(n "$FL_MSGS") messages written with COPY in ${FL_S} s = $(n "$FL_RATE") msg/s" \
    "(PostgreSQL alone, no HTTP, no bus, no router logic); target rate $(n "$RATE") msg/s = ${FL_TARGET_X} x the floor" \
    "(load average ${FL_LOAD} when it started)"
  echo "router e2e floor: the router applied $(n "$RT_APPLIED_RATE") msg/s in the same run (over the ${WALL_S} s from the start of the load, counting its open transaction)" \
    "= ${FL_ROUTER_X} x the floor; PostgreSQL used ${FL_PG_S} s of CPU for the timed COPY (its backend ${FL_BE_S} s," \
    "WAL writer, checkpointer and background writer ${FL_HELP_S} s; besides, autovacuum ${FL_AV_S} s and other sessions" \
    "${FL_OTHER_S} s) = ${FL_CORES} of $NCPU cores; that is ${FL_CPU_US} us of PostgreSQL CPU per message," \
    "so at $(n "$RATE") msg/s the writes alone, done as cheaply as this, take ${FL_CORES_AT} cores"
  echo "RESULT router_e2e_floor messages=$FL_MSGS seconds=$FL_S msgs_per_s=$FL_RATE rows=$FL_ROWS tickets=$FL_TICKETS" \
    "ticket_updates=$FL_UPD_T pg_cpu_s=$FL_PG_S pg_backend_cpu_s=$FL_BE_S pg_autovacuum_cpu_s=$FL_AV_S pg_other_cpu_s=$FL_OTHER_S pg_cores=$FL_CORES pg_cpu_us_per_msg=$FL_CPU_US pg_cores_at_target=$FL_CORES_AT target_rate=$RATE" \
    "target_x_floor=$FL_TARGET_X router_msgs_per_s=$RT_APPLIED_RATE router_x_floor=$FL_ROUTER_X load1=$FL_LOAD"
fi

# the copies go again (untimed), whatever happened above
if [ -n "$FLOOR_TAG" ]; then
  FD0=$(date +%s)
  # shellcheck disable=SC2016 # SQL
  psq -q -v tag="$FLOOR_TAG" -v account="$ACCOUNT" >"$WORK/floor.del.out" 2>&1 <<'SQL' || fail "floor: removing the copies failed (see $WORK/floor.del.out)"
BEGIN;
-- nothing but the copies refers to the copies: no foreign-key checks (20 s
-- here, mostly customers.merged_into, which has no index) and no triggers,
-- so the agents' counts are given back by hand
SET LOCAL session_replication_role = replica;
CREATE TEMP TABLE fl_d AS SELECT ticket_id, customer_id, agent_id, status FROM router.tickets WHERE public_id LIKE :'tag' || '.%';
UPDATE router.agents a SET open_tickets = a.open_tickets - d.n
  FROM (SELECT agent_id, count(*) AS n FROM fl_d WHERE agent_id <> '' AND status NOT IN ('resolved', 'closed') GROUP BY agent_id) d
  WHERE a.agent_id = d.agent_id;
DELETE FROM router.ticket_messages WHERE ticket_id IN (SELECT ticket_id FROM fl_d);
DELETE FROM router.ticket_events WHERE ticket_id IN (SELECT ticket_id FROM fl_d);
DELETE FROM router.ticket_refs WHERE ticket_id IN (SELECT ticket_id FROM fl_d);
DELETE FROM router.ticket_risk_signals WHERE ticket_id IN (SELECT ticket_id FROM fl_d);
DELETE FROM router.tickets WHERE ticket_id IN (SELECT ticket_id FROM fl_d);
DELETE FROM router.identities WHERE account = :'account' AND external_user_id LIKE :'tag' || '.%';
DELETE FROM router.customers WHERE customer_id IN (SELECT customer_id FROM fl_d);
DELETE FROM gateway.delivery_attempts WHERE outbound_id LIKE :'tag' || '.%';
DELETE FROM gateway.outbound_messages WHERE outbound_id LIKE :'tag' || '.%';
SELECT to_regclass('gateway.inbound_keys') IS NOT NULL AS has_keys \gset
\if :has_keys
DELETE FROM gateway.inbound_keys WHERE account = :'account' AND external_message_id LIKE :'tag' || '.%';
\endif
DELETE FROM gateway.inbound_messages WHERE account = :'account' AND external_message_id LIKE :'tag' || '.%';
DELETE FROM bus.outbox WHERE publisher IN ('gateway-' || :'tag', 'router-' || :'tag');
COMMIT;
SQL
  say "[$(elapsed)] (i) floor: copies removed again in $(( $(date +%s) - FD0 )) s"
fi
