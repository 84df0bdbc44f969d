#!/bin/sh
# The security properties end to end, against the six running services:
#  1. unsigned or wrongly signed webhooks are refused (generic webhook,
#     WeChat plain and safe mode, Kuaidi100 push, the survey link) and store
#     nothing;
#  2. the agent API refuses every call without a valid token;
#  3. a service's role cannot write another service's schema (every table,
#     INSERT / UPDATE / DELETE / TRUNCATE, and the other services' outbox
#     partitions, directly or routed through bus.outbox);
#  4. secrets (webhook secret, WeChat token and AES key, survey link key,
#     Kuaidi100 salt, the database password, an agent's token) never appear
#     in any log at debug level, nor in --help or the CLI's listings;
#  5. the analyst role reads the analytics views and nothing else (a real
#     login in peakdesk_analyst).
. "$(dirname "$0")/../lib.sh"
pd_setup
SVCS="gateway router logistics stock promo survey"

# ---- known secrets -----------------------------------------------------------------------
WH_SECRET=whsec-Kp3vQ9zX7mT2
WX_TOKEN=wxtok-Hs8dL4qN1rB6
WX_AES=$(python3 -c 'import base64; print(base64.b64encode(bytes(range(7, 39))).decode().rstrip("="))')
WX_APPID=wx5ecfa11c0ffee000
SURVEY_KEY=svkey-Jr5nW2yT8uC3fG6hM0pK
KD_SALT=kdsalt-Vb7xE1oA4iZ9
DB_PW=dbpw-Qw2eR5tY8uI1
SECRETS="$WH_SECRET $WX_TOKEN $WX_AES $SURVEY_KEY $KD_SALT $DB_PW"
# The password travels in the conninfo of every binary (trust auth on the
# test cluster's socket accepts it unchecked).
export PEAKDESK_DB="$PEAKDESK_DB password=$DB_PW"
export PEAKDESK_LOG_LEVEL=debug
export PEAKDESK_SURVEY_SECRET=$SURVEY_KEY PEAKDESK_KUAIDI100_SALT=$KD_SALT
export PEAKDESK_SURVEY_PUBLIC_URL="http://$(http_addr survey)/" PEAKDESK_SURVEY_QUIET_HOURS=none
export PEAKDESK_GATEWAY_DELIVERY_TICK_MS=100

PORT=$(free_port)
python3 "$ROOT/tests/tools/http_receiver.py" "$PORT" "$WORK/hook.jsonl" &
PIDS="$PIDS $!"
"$BIN/peakdesk" account add --channel webhook --name webchat --secret "$WH_SECRET" --url "http://127.0.0.1:$PORT/hook" >"$WORK/cli.out" 2>&1
"$BIN/peakdesk" account add --channel wechat --name gh_sec --token "$WX_TOKEN" --aes-key "$WX_AES" --appid "$WX_APPID" >>"$WORK/cli.out" 2>&1
"$BIN/peakdesk" account list >>"$WORK/cli.out" 2>&1
AGENT=$("$BIN/peakdesk" agent add --name amy --groups presale,order,after-sale,complaints --tier lead --capacity 10 | sed -n 's/^token: //p')
check "an agent token was issued" test -n "$AGENT"
SECRETS="$SECRETS $AGENT"
"$BIN/peakdesk" agent list >>"$WORK/cli.out" 2>&1
for s in $SVCS; do pd_start "$s" || exit 1; done
GW="http://$(http_addr gateway)"
inbound() { psql_q "SELECT count(*) FROM gateway.inbound_messages"; }

# ---- 1. signatures -------------------------------------------------------------------------
wh() { # wh BODY TS SIGNATURE-HEADER-VALUE -> status
  curl -s -o "$WORK/wh.body" -w '%{http_code}' -H 'Content-Type: application/json' ${2:+-H "X-Peakdesk-Timestamp: $2"} \
    ${3:+-H "X-Peakdesk-Signature: $3"} --data-binary "$1" "$GW/v1/channels/webchat/messages"
}
hmac() { printf '%s.%s' "$2" "$3" | openssl dgst -sha256 -hmac "$1" -r | cut -d' ' -f1; }
B='{"externalUserId":"sec-u1","messageId":"sec-m1","text":"我的订单什么时候发货"}'
TS=$(date +%s)
n0=$(inbound)
eq "webhook: unsigned -> 401" 401 "$(wh "$B" "" "")"
eq "webhook: timestamp without signature -> 401" 401 "$(wh "$B" "$TS" "")"
eq "webhook: signature without timestamp -> 401" 401 "$(wh "$B" "" "sha256=$(hmac "$WH_SECRET" "$TS" "$B")")"
eq "webhook: signed with another secret -> 401" 401 "$(wh "$B" "$TS" "sha256=$(hmac "not-the-secret" "$TS" "$B")")"
eq "webhook: right signature, body altered -> 401" 401 "$(wh "$(echo "$B" | sed 's/发货/退款/')" "$TS" "sha256=$(hmac "$WH_SECRET" "$TS" "$B")")"
eq "webhook: right signature, other timestamp -> 401" 401 "$(wh "$B" "$((TS + 1))" "sha256=$(hmac "$WH_SECRET" "$TS" "$B")")"
OLD=$((TS - 600))
eq "webhook: correctly signed but 10 minutes old (replay) -> 401" 401 "$(wh "$B" "$OLD" "sha256=$(hmac "$WH_SECRET" "$OLD" "$B")")"
eq "webhook: bare hex without sha256= -> 401" 401 "$(wh "$B" "$TS" "$(hmac "$WH_SECRET" "$TS" "$B")")"
eq "webhook: truncated signature -> 401" 401 "$(wh "$B" "$TS" "sha256=$(hmac "$WH_SECRET" "$TS" "$B" | cut -c1-32)")"
check "webhook: refusals are JSON bad_signature" grep -q '"error":"bad_signature"' "$WORK/wh.body"
eq "webhook: nothing stored by refused posts" "$n0" "$(inbound)"
eq "webhook: correctly signed -> 200" 200 "$(wh "$B" "$TS" "sha256=$(hmac "$WH_SECRET" "$TS" "$B")")"
eq "webhook: and stored" "$((n0 + 1))" "$(inbound)"

# WeChat: signature = sha1(sort(token, timestamp, nonce))
wxsig() { printf '%s\n' "$@" | LC_ALL=C sort | tr -d '\n' | sha1sum | cut -c1-40; }
WXB="http://$(http_addr gateway)/wechat/gh_sec"
WXTS=$(date +%s)
printf '<xml><ToUserName><![CDATA[gh_sec]]></ToUserName><FromUserName><![CDATA[oSecUser1]]></FromUserName><CreateTime>%s</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[你好，在吗]]></Content><MsgId>88000000000000001</MsgId></xml>' "$WXTS" >"$WORK/wx.xml"
wx() { curl -s -o "$WORK/wx.body" -w '%{http_code}' -H 'Content-Type: text/xml' --data-binary "@$WORK/wx.xml" "$WXB?$1"; }
n0=$(inbound)
eq "wechat: no signature -> 401" 401 "$(wx "timestamp=$WXTS&nonce=42&openid=oSecUser1")"
eq "wechat: signature with another token -> 401" 401 "$(wx "signature=$(wxsig other "$WXTS" 42)&timestamp=$WXTS&nonce=42&openid=oSecUser1")"
eq "wechat: signature of other parameters -> 401" 401 "$(wx "signature=$(wxsig "$WX_TOKEN" "$WXTS" 43)&timestamp=$WXTS&nonce=42&openid=oSecUser1")"
eq "wechat: URL check with a wrong signature is not echoed -> 401" 401 \
  "$(curl -s -o "$WORK/wx.body" -w '%{http_code}' "$WXB?signature=$(wxsig other 1 2)&timestamp=1&nonce=2&echostr=hello")"
check "wechat: and the echostr is not in the answer" sh -c "! grep -q hello '$WORK/wx.body'"
# safe mode, encrypted as WeChat does (openssl), with a wrong msg_signature
python3 "$ROOT/tests/tools/wx_safe.py" encrypt "$WX_AES" "$WX_APPID" "$WX_TOKEN" "$WXTS" 77 <"$WORK/wx.xml" >"$WORK/wxenv.xml" 2>"$WORK/wxq"
BADQ=$(sed 's/msg_signature=[0-9a-f]*/msg_signature=0123456789abcdef0123456789abcdef01234567/' "$WORK/wxq")
eq "wechat safe mode: wrong msg_signature -> 401" 401 \
  "$(curl -s -o /dev/null -w '%{http_code}' --data-binary "@$WORK/wxenv.xml" "$WXB?$BADQ&signature=$(wxsig "$WX_TOKEN" "$WXTS" 77)")"
eq "wechat: nothing stored by refused posts" "$n0" "$(inbound)"
eq "wechat safe mode: right msg_signature -> 200" 200 \
  "$(curl -s -o /dev/null -w '%{http_code}' --data-binary "@$WORK/wxenv.xml" "$WXB?$(cat "$WORK/wxq")&signature=$(wxsig "$WX_TOKEN" "$WXTS" 77)")"
eq "wechat plain: right signature -> 200 (the same MsgId: stored once)" 200 \
  "$(wx "signature=$(wxsig "$WX_TOKEN" "$WXTS" 42)&timestamp=$WXTS&nonce=42&openid=oSecUser1")"
eq "wechat: the signed message stored once" "$((n0 + 1))" "$(inbound)"

# Kuaidi100: sign = upper hex MD5(param + salt)
KURL="http://$(http_addr logistics)/v1/carriers/kuaidi100"
P=$ROOT/tests/data/kuaidi100/in_transit.param.json
kd() { curl -s -o "$WORK/kd.body" -w '%{http_code}' --data-urlencode "param@$P" ${1:+--data-urlencode "sign=$1"} "$KURL"; }
md5u() { md5sum | cut -c1-32 | tr a-f A-F; }
eq "kuaidi100: no sign -> 403" 403 "$(kd "")"
eq "kuaidi100: sign without the salt -> 403" 403 "$(kd "$(md5u <"$P")")"
eq "kuaidi100: sign with another salt -> 403" 403 "$(kd "$({ cat "$P"; printf other; } | md5u)")"
eq "kuaidi100: nothing stored by refused pushes" 0 "$(psql_q "SELECT count(*) FROM logistics.tracking_events")"
eq "kuaidi100: right sign -> 200" 200 "$(kd "$({ cat "$P"; printf '%s' "$KD_SALT"; } | md5u)")"

# The survey link: a token for a real invitation, signed with the right
# key and with another one.
INV=$(python3 -c 'import uuid; print(uuid.uuid4())')
EXP=$(( ($(date +%s) + 3600) * 1000 ))
psql "$PEAKDESK_DB" -XAtq -v ON_ERROR_STOP=1 >/dev/null 2>"$WORK/inv.err" <<SQL || fail "survey invitation row for the link test ($(head -c 300 "$WORK/inv.err"))"
INSERT INTO survey.invitations (invitation_id, ticket_id, ticket_public_id, customer_id, kind, channel, account, external_user_id,
  resolved_at, state, sent_at, expires_at)
VALUES ('$INV', gen_random_uuid(), 'secticket00000000000001', gen_random_uuid(), 'csat', 'webhook', 'webchat', 'sec-u1',
  now(), 'sent', now(), to_timestamp($EXP / 1000.0));
SQL
TOK=$(echo "$INV" | "$BUILD_TESTS/survey_tokens" --stdin --secret "$SURVEY_KEY" --expires-ms "$EXP" | cut -d' ' -f1)
BADTOK=$(echo "$INV" | "$BUILD_TESTS/survey_tokens" --stdin --secret "another-key-0123456789abcdef" --expires-ms "$EXP" | cut -d' ' -f1)
SV="http://$(http_addr survey)"
ans() { curl -s -o "$WORK/sv.body" -w '%{http_code}' -H 'Content-Type: application/json' --data '{"csat":5}' "$SV/v1/surveys/$1"; }
eq "survey link: signed with another key -> 403" 403 "$(ans "$BADTOK")"
check "survey link: as bad_signature" grep -q '"error":"bad_signature"' "$WORK/sv.body"
eq "survey link: nothing recorded" 0 "$(psql_q "SELECT count(*) FROM survey.responses")"
eq "survey link: signed with the service's key -> 201" 201 "$(ans "$TOK")"

# ---- 2. the agent API without a valid token ------------------------------------------------------
PID=$(psql_q "SELECT public_id FROM router.tickets LIMIT 1")
[ -n "$PID" ] || PID=aaaaaaaaaaaaaaaaaaaaaa
api() { # api METHOD PATH AUTH-HEADER-or-empty [BODY] -> status
  curl -s -o "$WORK/api.body" -w '%{http_code}' -X "$1" ${3:+-H "$3"} -H 'Content-Type: application/json' ${4:+--data "$4"} "$GW$2"
}
ENDPOINTS="GET|/v1/agent/queue|
GET|/v1/tickets/$PID|
POST|/v1/tickets/$PID/reply|{\"text\":\"x\"}
POST|/v1/tickets/$PID/note|{\"text\":\"x\"}
POST|/v1/tickets/$PID/transfer|{\"group\":\"order\"}
POST|/v1/tickets/$PID/resolve|{\"resolution\":\"x\",\"resolutionCode\":\"answered\"}
POST|/v1/tickets/$PID/workflow|{\"workflow\":\"return\",\"step\":\"approved\"}
PUT|/v1/agent/presence|{\"presence\":\"online\"}"
OLDTOK=$AGENT
# re-issuing the agent's token makes the old one worthless
AGENT=$("$BIN/peakdesk" agent add --name amy --groups presale,order,after-sale,complaints --tier lead --capacity 10 | sed -n 's/^token: //p')
SECRETS="$SECRETS $AGENT"
cmds0=$(psql_q "SELECT count(*) FROM gateway.agent_commands")
echo "$ENDPOINTS" | while IFS='|' read -r m p body; do
  for auth in "" "Authorization: Bearer" "Authorization: Bearer pdagent_0000000000000000000000" \
              "Authorization: Bearer $OLDTOK" "Authorization: Basic $(printf 'amy:%s' "$AGENT" | base64 -w0)" \
              "Authorization: $AGENT" "Authorization: Bearer ${AGENT}x" "Authorization: Bearer $(echo "$AGENT" | cut -c1-20)"; do
    st=$(api "$m" "$p" "$auth" "$body")
    what=$(echo "${auth:-no header}" | sed "s/$AGENT/<token>/; s/$OLDTOK/<old token>/")
    [ "$st" = 401 ] && echo "ok" || echo "FAIL $m $p with '$what' -> $st"
  done
done >"$WORK/agent_api.txt"
eq "agent API: every endpoint x 8 kinds of missing/invalid token (incl. a replaced token) -> 401" \
  "$(echo "$ENDPOINTS" | wc -l | awk '{ print $1 * 8 }')" "$(grep -c '^ok$' "$WORK/agent_api.txt")"
grep '^FAIL' "$WORK/agent_api.txt" | head -5 | sed 's/^/  /'
eq "agent API: no command recorded from refused calls" "$cmds0" "$(psql_q "SELECT count(*) FROM gateway.agent_commands")"
eq "agent API: the valid token works (queue 200)" 200 "$(api GET /v1/agent/queue "Authorization: Bearer $AGENT")"

# ---- 3. each service role writes its own schema only ------------------------------------------
# For each role, in one rolled-back transaction: every table and view of
# every other schema (and the other services' outbox partitions) must
# refuse INSERT, UPDATE, DELETE and TRUNCATE with insufficient_privilege;
# any other outcome (success, or another error) is listed.
role_writes_elsewhere() { # role_writes_elsewhere SERVICE -> "checked N" or the list of statements that got through
  psql "$PEAKDESK_DB" -XAtq 2>&1 <<SQL | sed -n 's/.*RESULT: //p'
BEGIN;
SET ROLE peakdesk_$1;
DO \$\$
DECLARE t record; s text; bad text := ''; n int := 0; col text;
BEGIN
  FOR t IN SELECT n.nspname AS sch, c.relname AS rel, c.relkind, c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE c.relkind IN ('r', 'p', 'v') AND NOT c.relispartition
             AND n.nspname IN ('gateway', 'router', 'logistics', 'stock', 'promo', 'survey', 'analytics', 'public')
             AND n.nspname <> '$1'
           UNION ALL
           SELECT 'bus', c.relname, c.relkind, c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = 'bus' AND c.relkind IN ('r', 'p') AND c.relname LIKE 'outbox\\_%' AND c.relname <> 'outbox_$1'
  LOOP
    SELECT quote_ident(attname) INTO col FROM pg_attribute
      WHERE attrelid = t.oid AND attnum > 0 AND NOT attisdropped ORDER BY attnum LIMIT 1;
    FOREACH s IN ARRAY ARRAY[
        format('INSERT INTO %I.%I DEFAULT VALUES', t.sch, t.rel),
        format('UPDATE %I.%I SET %s = %s WHERE false', t.sch, t.rel, col, col),
        format('DELETE FROM %I.%I WHERE false', t.sch, t.rel),
        format('TRUNCATE %I.%I', t.sch, t.rel)] LOOP
      IF t.relkind = 'v' AND s LIKE 'TRUNCATE%' THEN CONTINUE; END IF;
      n := n + 1;
      BEGIN
        EXECUTE s;
        bad := bad || s || '; ';
      EXCEPTION WHEN insufficient_privilege THEN NULL;
        WHEN others THEN bad := bad || s || ' (' || SQLERRM || '); ';
      END;
    END LOOP;
  END LOOP;
  -- publishing under another service's name through the partitioned parent
  FOR t IN SELECT unnest(ARRAY['gateway', 'router', 'logistics', 'stock', 'promo', 'survey']) AS sch LOOP
    CONTINUE WHEN t.sch = '$1';
    n := n + 1;
    BEGIN
      EXECUTE format('INSERT INTO bus.outbox(service, publisher, seq, event_id, topic, payload) VALUES (%L, %L, 999999, gen_random_uuid(), %L, %L)',
                     t.sch, t.sch || '-1', t.sch || '.x', '');
      bad := bad || 'INSERT INTO bus.outbox as ' || t.sch || '; ';
    EXCEPTION WHEN insufficient_privilege OR check_violation THEN NULL;
      WHEN others THEN bad := bad || 'bus.outbox as ' || t.sch || ' (' || SQLERRM || '); ';
    END;
  END LOOP;
  RAISE NOTICE 'RESULT: %', CASE WHEN bad = '' THEN 'checked ' || n ELSE bad END;
END
\$\$;
ROLLBACK;
SQL
}
for s in $SVCS; do
  r=$(role_writes_elsewhere "$s")
  case "$r" in
    "checked "*) ok "role peakdesk_$s cannot write any other schema (${r#checked } statements refused)" ;;
    *) fail "role peakdesk_$s wrote elsewhere: $(echo "$r" | cut -c1-600)" ;;
  esac
  # and it can write its own (positive control): at least one own table takes INSERT
  eq "role peakdesk_$s may write its own schema" t \
    "$(psql_q "SELECT bool_or(has_table_privilege('peakdesk_$s', c.oid, 'INSERT')) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = '$s' AND c.relkind IN ('r', 'p')")"
  eq "role peakdesk_$s may publish in its own outbox partition" t "$(psql_q "SELECT has_table_privilege('peakdesk_$s', 'bus.outbox_$s', 'INSERT')")"
done

# ---- 4. secrets never in logs ----------------------------------------------------------------------
# More traffic through the secrets: a signed message that gets an answer
# delivered signed to the receiver, a resolved ticket and its invitation.
api PUT /v1/agent/presence "Authorization: Bearer $AGENT" '{"presence":"online"}' >/dev/null
B2='{"externalUserId":"sec-u2","messageId":"sec-m2","text":"请问有发票吗"}'
wh "$B2" "$TS" "sha256=$(hmac "$WH_SECRET" "$TS" "$B2")" >/dev/null
wait_for "ticket" 20 sh -c "[ -n \"\$(psql '$PEAKDESK_DB' -XAtqc \"SELECT public_id FROM router.tickets WHERE external_user_id = 'sec-u2' AND agent_id <> ''\")\" ]"
T2=$(psql_q "SELECT public_id FROM router.tickets WHERE external_user_id = 'sec-u2'")
api POST "/v1/tickets/$T2/reply" "Authorization: Bearer $AGENT" '{"text":"可以开发票"}' >/dev/null
api POST "/v1/tickets/$T2/resolve" "Authorization: Bearer $AGENT" '{"resolution":"done","resolutionCode":"answered"}' >/dev/null
check "the agent's reply was delivered, signed, to the channel" wait_for "delivery" 20 grep -q 'X-Peakdesk-Signature' "$WORK/hook.jsonl"
check "the survey invitation (a signed link) was delivered" wait_for "invitation" 20 sh -c \
  "[ \"\$(psql '$PEAKDESK_DB' -XAtqc \"SELECT count(*) FROM gateway.outbound_messages WHERE reason = 4 AND status = 'delivered'\")\" = 1 ]"
# a service that cannot reach its database logs the failure (with the
# password in its conninfo)
PEAKDESK_DB="host=$WORK/nowhere dbname=peakdesk user=peakdesk password=$DB_PW" PEAKDESK_STOCK_HTTP=127.0.0.1:$(free_port) \
  PEAKDESK_INSTANCE=stock-9 PEAKDESK_STOCK_PUB=ipc://$WORK/run/s9.pub PEAKDESK_STOCK_INGEST=ipc://$WORK/run/s9.ingest \
  timeout -s TERM 3 "$BIN/peakdesk-stock" >"$WORK/nodb.log" 2>&1
check "the unreachable-database case was logged" grep -qi 'database\|connect' "$WORK/nodb.log"
for s in $SVCS; do "$BIN/peakdesk-$s" --help >"$WORK/help-$s.log" 2>&1; done
"$BIN/peakdesk" --help >"$WORK/help-cli.log" 2>&1
"$BIN/peakdesk" status >"$WORK/status-cli.log" 2>&1
check "debug logging was on" sh -c "grep -q 'level=debug' '$WORK'/gateway.log"
stop_pids $PIDS
PIDS=""
LOGS=$(ls "$WORK"/*.log "$WORK/cli.out")
check "the logs examined: six services, the CLI, --help of every binary ($(echo "$LOGS" | wc -l | tr -d ' ') files)" \
  test "$(echo "$LOGS" | wc -l)" -ge 15
for v in $SECRETS; do
  name=$(case "$v" in
    "$WH_SECRET") echo "the webhook secret" ;; "$WX_TOKEN") echo "the WeChat token" ;; "$WX_AES") echo "the WeChat AES key" ;;
    "$SURVEY_KEY") echo "the survey link key" ;; "$KD_SALT") echo "the Kuaidi100 salt" ;; "$DB_PW") echo "the database password" ;;
    *) echo "an agent token" ;; esac)
  eq "$name appears in no log, --help or CLI listing" "" "$(grep -lF -- "$v" $LOGS | xargs -r -n1 basename | tr '\n' ' ')"
done

# ---- 5. the analyst reads analytics only ----------------------------------------------------------
psql_q "CREATE ROLE sec_analyst LOGIN IN ROLE peakdesk_analyst" >/dev/null
ADB="host=$PGDIR dbname=peakdesk user=sec_analyst"
VIEWS=$(psql_q "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'analytics' AND c.relkind IN ('v', 'm')")
check "there are analytics views ($VIEWS)" test "$VIEWS" -gt 0
r=$(psql "$ADB" -XAtq 2>&1 <<'SQL' | sed -n 's/.*RESULT: //p'
DO $$
DECLARE t record; bad text := ''; n_ok int := 0; n_refused int := 0;
BEGIN
  FOR t IN SELECT n.nspname AS sch, c.relname AS rel FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE c.relkind IN ('r', 'p', 'v', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
  LOOP
    BEGIN
      EXECUTE format('SELECT 1 FROM %I.%I LIMIT 1', t.sch, t.rel);
      IF t.sch = 'analytics' THEN n_ok := n_ok + 1; ELSE bad := bad || 'read ' || t.sch || '.' || t.rel || '; '; END IF;
    EXCEPTION WHEN insufficient_privilege THEN
      IF t.sch = 'analytics' THEN bad := bad || 'cannot read ' || t.rel || '; '; ELSE n_refused := n_refused + 1; END IF;
    END;
    IF t.sch = 'analytics' THEN
      BEGIN
        EXECUTE format('DELETE FROM %I.%I WHERE false', t.sch, t.rel);
        bad := bad || 'deleted from ' || t.rel || '; ';
      EXCEPTION WHEN insufficient_privilege OR object_not_in_prerequisite_state OR feature_not_supported OR wrong_object_type THEN NULL;
      END;
    END IF;
  END LOOP;
  RAISE NOTICE 'RESULT: %', CASE WHEN bad = '' THEN n_ok || ' ' || n_refused ELSE bad END;
END
$$;
SQL
)
case "$r" in
  *read*|*deleted*|"") fail "analyst: $(echo "${r:-no result}" | cut -c1-600)" ;;
  *) ok "analyst (a login in peakdesk_analyst) reads all ${r%% *} analytics views and none of the ${r#* } other tables"
     eq "analyst reads every analytics view" "$VIEWS" "${r%% *}" ;;
esac
check "analyst cannot read the accounts' secrets" sh -c "psql '$ADB' -XAtq -c 'SELECT secret FROM gateway.accounts' 2>&1 | grep -q 'permission denied'"
check "analyst cannot create tables in analytics or public" sh -c \
  "! psql '$ADB' -XAtq -c 'CREATE TABLE analytics.x(i int)' 2>/dev/null && ! psql '$ADB' -XAtq -c 'CREATE TABLE public.x(i int)' 2>/dev/null"
check "analyst cannot take a service role" sh -c "! psql '$ADB' -XAtq -c 'SET ROLE peakdesk_router' 2>/dev/null"
# no secret is readable through the views either
psql "$ADB" -XAtq -c "SELECT 'SELECT * FROM analytics.' || quote_ident(relname) || ';' FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'analytics' AND c.relkind IN ('v', 'm')" |
  psql "$ADB" -XAtq >"$WORK/analytics.dump" 2>&1
check "the analytics views were read" test -s "$WORK/analytics.dump"
eq "no secret is readable through the analytics views" "" "$(for v in $SECRETS; do grep -qF -- "$v" "$WORK/analytics.dump" && echo "$v"; done | sed 's/^\(....\).*/\1.../' | tr '\n' ' ')"
pd_done
