#!/bin/sh
# Satisfaction surveys as customers meet them: an agent resolves a ticket,
# the survey collector sends one invitation on the customer's channel (via
# the gateway) with a signed link; the customer answers on the link (JSON
# or the phone form) or by replying a bare "1" on the channel, which the
# router hands over instead of reopening the ticket. A second answer is
# refused; a low score opens a service-recovery ticket for a team lead.
# Quiet hours queue invitations; a customer asked recently is not asked
# again; a collector that was down catches up from the outbox.
. "$(dirname "$0")/../lib.sh"
pd_setup
SECRET=webchat-secret-0123456789
PORT=$(free_port)
python3 "$ROOT/tests/tools/http_receiver.py" "$PORT" "$WORK/hook.jsonl" &
PIDS="$PIDS $!"
"$BIN/peakdesk" account add --channel webhook --name webchat --secret "$SECRET" --url "http://127.0.0.1:$PORT/hook" >/dev/null
GROUPS_ALL=presale,order,after-sale,complaints,vip
FAY=$("$BIN/peakdesk" agent add --name fay --groups $GROUPS_ALL --tier frontline --capacity 20 | sed -n 's/^token: //p')
LIN=$("$BIN/peakdesk" agent add --name lin --groups $GROUPS_ALL --tier lead --capacity 20 | sed -n 's/^token: //p')
export PEAKDESK_SURVEY_SECRET=survey-link-key-0123456789abcdef
export PEAKDESK_SURVEY_PUBLIC_URL="http://$(http_addr survey)/"
pd_start gateway PEAKDESK_GATEWAY_DELIVERY_TICK_MS=100 || exit 1
pd_start router PEAKDESK_ROUTER_SLA_CHECK_MS=200 || exit 1
pd_start survey PEAKDESK_SURVEY_QUIET_HOURS=none PEAKDESK_SURVEY_TICK_MS=200 || exit 1
GW="http://$(http_addr gateway)"
SV="http://$(http_addr survey)"
curl -s -o /dev/null -X PUT -H "Authorization: Bearer $FAY" --data '{"presence":"online"}' "$GW/v1/agent/presence"
say() { webhook_say "$@" >/dev/null; }
q() { psql_q "$1"; }
surveyed_ticket() { q "SELECT t.public_id FROM router.tickets t WHERE t.external_user_id = '$1' AND NOT 'service_recovery' = ANY(t.tags) ORDER BY created_at DESC LIMIT 1"; }
# resolve USER [CODE]: the agent answers and resolves the customer's ticket
resolve() {
  wait_for "ticket of $1" 20 sh -c "[ -n \"\$(psql '$PEAKDESK_DB' -XAtqc \"SELECT agent_id FROM router.tickets WHERE external_user_id = '$1' AND agent_id <> '' AND status = 'open'\")\" ]" || fail "ticket of $1 not assigned"
  _t=$(surveyed_ticket "$1")
  curl -s -o /dev/null -X POST -H "Authorization: Bearer $FAY" -H 'Content-Type: application/json' \
    --data '{"text":"已为您处理好了"}' "$GW/v1/tickets/$_t/reply"
  curl -s -o /dev/null -X POST -H "Authorization: Bearer $FAY" -H 'Content-Type: application/json' \
    --data "{\"resolution\":\"done\",\"resolutionCode\":\"${2:-answered}\"}" "$GW/v1/tickets/$_t/resolve"
}
invitation_state() { q "SELECT state || '|' || skip_reason FROM survey.invitations WHERE ticket_public_id = '$1'"; }
wait_state() { wait_for "invitation $1 $2" 20 sh -c "[ \"\$(psql '$PEAKDESK_DB' -XAtqc \"SELECT state FROM survey.invitations WHERE ticket_public_id = '$1'\")\" = '$2' ]"; }
# link USER: the survey link the customer received
link() { python3 -c "
import json, re
for line in open('$WORK/hook.jsonl'):
    b = json.loads(json.loads(line)['body'])
    m = re.search(r'http://\\S+/s/[A-Za-z0-9_-]+', b.get('text', ''))
    if m and b.get('externalUserId') == '$1':
        print(m.group(0))
" | tail -n 1; }
has_link() { [ -n "$(link "$1")" ]; }
post_json() { curl -s -o "$WORK/body" -w '%{http_code}' -H 'Content-Type: application/json' --data "$2" "$1"; }

# ---- an answer through the link ---------------------------------------------------
say ann a1 '请问什么时候发货？'
resolve ann
A=$(surveyed_ticket ann)
check "one invitation is sent when the ticket is resolved" wait_state "$A" sent
check "it reaches the customer's channel with a signed link" wait_for "ann link" 20 has_link ann
eq "delivered by the gateway as a survey invitation" 1 "$(q "SELECT count(*) FROM gateway.outbound_messages WHERE reason = 4 AND ticket_public_id = '$A'")"
L=$(link ann)
TOKEN=${L##*/}
API="$SV/v1/surveys/$TOKEN"
eq "the link is on the public URL" "$SV/s/$TOKEN" "$L"
eq "a phone browser gets the form" 200 "$(curl -s -o "$WORK/form.html" -w '%{http_code}' -H 'Accept: text/html' "$SV/s/$TOKEN")"
check "the form asks the CSAT question with five choices and a comment box" sh -c \
  "[ \$(grep -o 'name=\"csat\"' '$WORK/form.html' | wc -l) -eq 5 ] && grep -q '<textarea name=\"comment\"' '$WORK/form.html' && grep -q 'viewport' '$WORK/form.html'"
check "the JSON API describes the survey" sh -c "curl -s '$API' | grep -q '\"kind\":\"csat\"'"
eq "an answer outside 1..5 is refused (422)" 422 "$(post_json "$API" '{"csat":9}')"
check "with the field named" grep -q 'csat' "$WORK/body"
eq "a question of another kind is refused (422)" 422 "$(post_json "$API" '{"csat":4,"nps":9}')"
eq "an unknown field is refused (422)" 422 "$(post_json "$API" '{"csat":4,"stars":5}')"
eq "malformed JSON is refused (400)" 400 "$(post_json "$API" '{"csat":')"
eq "JSON that is not an object is refused (400)" 400 "$(post_json "$API" ' 4 ')"
eq "another media type is refused (415)" 415 "$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: text/plain' --data 'csat=5' "$API")"
eq "nothing recorded by refused answers" 0 "$(q "SELECT count(*) FROM survey.responses")"
eq "the customer answers 5 with a comment (201)" 201 "$(post_json "$API" '{"csat":5,"comment":"客服很耐心"}')"
check "not a low score" grep -q '"lowScore":false' "$WORK/body"
eq "recorded once, via the link" "5|link|false|answered" "$(q "SELECT r.csat || '|' || r.via || '|' || r.low_score || '|' || i.state FROM survey.responses r JOIN survey.invitations i USING (invitation_id)")"
eq "a second answer is refused (409)" 409 "$(post_json "$API" '{"csat":1}')"
check "with a clear message" grep -q 'already_answered' "$WORK/body"
eq "and changes nothing" "5" "$(q "SELECT string_agg(csat::text, ',') FROM survey.responses")"
eq "survey.response_recorded on the bus" 1 "$(q "SELECT count(*) FROM bus.outbox WHERE topic = 'survey.response_recorded'")"
BAD=$(printf '%s' "$TOKEN" | sed 's/^\(.\{30\}\)./\1A/;t')
[ "$BAD" = "$TOKEN" ] && BAD=$(printf '%s' "$TOKEN" | sed 's/^\(.\{30\}\)./\1B/')
eq "a tampered link is refused (403)" 403 "$(curl -s -o "$WORK/body" -w '%{http_code}' "$SV/v1/surveys/$BAD")"
check "as JSON with an error" grep -q '"error":"bad_signature"' "$WORK/body"
eq "a made-up link is not found (404)" 404 "$(curl -s -o /dev/null -w '%{http_code}' "$SV/s/not-a-token")"

# ---- a bare "1" on the channel: a low score and a recovery ticket -------------------
curl -s -o /dev/null -X PUT -H "Authorization: Bearer $LIN" --data '{"presence":"online"}' "$GW/v1/agent/presence"
say bob b1 '我的退款怎么还没到'
resolve bob
B=$(surveyed_ticket bob)
check "bob's invitation is sent" wait_state "$B" sent
check "and reaches him" wait_for "bob link" 20 has_link bob
say bob b2 '1'
check "the reply is recorded as bob's answer, via the channel" wait_for "bob answered" 20 sh -c \
  "[ \"\$(psql '$PEAKDESK_DB' -XAtqc \"SELECT r.csat || '|' || r.via || '|' || r.low_score FROM survey.responses r JOIN survey.invitations i USING (invitation_id) WHERE i.ticket_public_id = '$B'\")\" = '1|channel|true' ]"
eq "the answered ticket stays resolved (not reopened by the answer)" resolved "$(q "SELECT status FROM router.tickets WHERE public_id = '$B'")"
eq "the answer is kept on the ticket" 1 "$(q "SELECT count(*) FROM router.ticket_messages m JOIN router.tickets t USING (ticket_id) WHERE t.public_id = '$B' AND m.text = '1'")"
check "a service-recovery ticket is opened for a team lead" wait_for "recovery" 20 sh -c \
  "[ \"\$(psql '$PEAKDESK_DB' -XAtqc \"SELECT escalation_tier || '|' || agent_id || '|' || priority FROM router.tickets WHERE 'service_recovery' = ANY(tags)\")\" = 'lead|lin|4' ]"
eq "linked to the original ticket" "$B" "$(q "SELECT r.value FROM router.ticket_refs r JOIN router.tickets t USING (ticket_id) WHERE r.kind = 'recovers'")"
eq "the original ticket's timeline notes the low score" 1 "$(q "SELECT count(*) FROM router.ticket_events e JOIN router.tickets t USING (ticket_id) WHERE t.public_id = '$B' AND e.kind = 'survey_low_score'")"
eq "survey.low_score on the bus once" 1 "$(q "SELECT count(*) FROM bus.outbox WHERE topic = 'survey.low_score'")"
R=$(q "SELECT public_id FROM router.tickets WHERE 'service_recovery' = ANY(tags)")
eq "the lead calls back: her reply on the recovery ticket is accepted" 202 "$(curl -s -o /dev/null -w '%{http_code}' -X POST \
  -H "Authorization: Bearer $LIN" -H 'Content-Type: application/json' --data '{"text":"您好，我是客服主管林，退款今天到账，给您添麻烦了"}' "$GW/v1/tickets/$R/reply")"
check "and reaches bob (a ticket he never wrote on)" wait_for "lead reply" 20 sh -c "grep -q '客服主管林' '$WORK/hook.jsonl'"
check "bob is told a team lead will contact him" wait_for "sorry" 20 sh -c "grep -q '主管会尽快联系您' '$WORK/hook.jsonl'"
say bob b3 '2'
check "a second channel answer gets a clear 'already rated'" wait_for "already" 20 sh -c "grep -q '您已经评价过了' '$WORK/hook.jsonl'"
eq "and is not recorded" 1 "$(q "SELECT count(*) FROM survey.responses r JOIN survey.invitations i USING (invitation_id) WHERE i.ticket_public_id = '$B'")"
eq "one recovery ticket only" 1 "$(q "SELECT count(*) FROM router.tickets WHERE 'service_recovery' = ANY(tags)")"
eq "no survey about the recovery ticket itself when the lead resolves it" 0 "$(q "SELECT count(*) FROM survey.invitations WHERE state <> 'skipped' AND ticket_id IN (SELECT ticket_id FROM router.tickets WHERE 'service_recovery' = ANY(tags))")"
say bob b4 '你好 5'
sleep 1
eq "a sentence is not an answer: it is a message on a ticket" 0 "$(q "SELECT count(*) FROM survey.responses r JOIN survey.invitations i USING (invitation_id) WHERE r.csat = 5 AND i.ticket_public_id = '$B'")"

# ---- who is not asked ----------------------------------------------------------------
# Four days later ann has a new question (a new ticket, not a reopen).
q "UPDATE router.tickets SET resolved_at = now() - interval '4 days' WHERE public_id = '$A'" >/dev/null
say ann a2 '还有一个问题：能开发票吗'
resolve ann
A2=$(surveyed_ticket ann)
check "ann was asked days ago: this one is skipped" wait_for "skipped" 20 sh -c "[ \"\$(psql '$PEAKDESK_DB' -XAtqc \"SELECT state || '|' || skip_reason FROM survey.invitations WHERE ticket_public_id = '$A2'\")\" = 'skipped|asked_recently' ]"
say cat c1 '广告 加微信'
resolve cat spam
C=$(surveyed_ticket cat)
check "spam is never surveyed" wait_for "spam" 20 sh -c "[ \"\$(psql '$PEAKDESK_DB' -XAtqc \"SELECT state || '|' || skip_reason FROM survey.invitations WHERE ticket_public_id = '$C'\")\" = 'skipped|spam' ]"
eq "invitations delivered so far: ann and bob only" 2 "$(q "SELECT count(DISTINCT ticket_public_id) FROM gateway.outbound_messages WHERE reason = 4")"

# ---- quiet hours, expiry, and a collector that was down ---------------------------------
pd_stop survey
say dan d1 '请问有货吗'
resolve dan
D=$(surveyed_ticket dan)
check "dan's ticket is resolved while the collector is down" wait_for "dan resolved" 20 sh -c "[ \"\$(psql '$PEAKDESK_DB' -XAtqc \"SELECT status FROM router.tickets WHERE public_id = '$D'\")\" = resolved ]"
# A quiet window around the customers' current local time (UTC+8).
QUIET=$(python3 -c "import time; h=time.gmtime(time.time()+8*3600).tm_hour; print('%02d:00-%02d:00' % ((h-1)%24, (h+2)%24))")
pd_start survey PEAKDESK_SURVEY_QUIET_HOURS="$QUIET" PEAKDESK_SURVEY_TICK_MS=200 PEAKDESK_SURVEY_EXPIRY_HOURS=0.001 || exit 1
check "the restarted collector catches up: dan's invitation waits for the quiet hours to end" wait_state "$D" queued
eq "queued until the window ends (in the future)" t "$(q "SELECT send_at > now() + interval '30 minutes' FROM survey.invitations WHERE ticket_public_id = '$D'")"
eq "nothing sent at night" 0 "$(q "SELECT count(*) FROM gateway.outbound_messages WHERE reason = 4 AND ticket_public_id = '$D'")"
# Morning comes (the queue's clock moved on): the timer sends it.
q "UPDATE survey.invitations SET send_at = now() - interval '1 second' WHERE ticket_public_id = '$D'" >/dev/null
check "sent when the quiet hours end" wait_state "$D" sent
check "delivered" wait_for "dan delivered" 20 sh -c "[ \$(psql '$PEAKDESK_DB' -XAtqc \"SELECT count(*) FROM gateway.outbound_messages WHERE reason = 4 AND ticket_public_id = '$D'\") = 1 ]"
check "the link expires (3.6 s here) and the invitation is marked expired" wait_state "$D" expired
DL=$(link dan)
eq "an expired link answers 410" 410 "$(curl -s -o "$WORK/body" -w '%{http_code}' -H 'Accept: text/html' -H 'Content-Type: application/x-www-form-urlencoded' --data 'csat=5' "$DL")"
check "as a page a phone shows" grep -q '已过期' "$WORK/body"
eq "nothing recorded for dan" 0 "$(q "SELECT count(*) FROM survey.responses r JOIN survey.invitations i USING (invitation_id) WHERE i.ticket_public_id = '$D'")"

# ---- the shop-score form on a phone, and NPS on the channel -----------------------------
pd_stop survey
pd_start survey PEAKDESK_SURVEY_QUIET_HOURS=none PEAKDESK_SURVEY_KINDS=dsr || exit 1
say eve e1 '衣服有色差'
resolve eve
E=$(surveyed_ticket eve)
check "eve gets a shop-score survey" wait_for "eve link" 20 has_link eve
EL=$(link eve)
curl -s -o "$WORK/dsr.html" -H 'Accept: text/html' "$EL"
check "its form asks the three dimensions 1-5" sh -c "for f in description attitude logistics; do [ \$(grep -o \"name=\\\"\$f\\\"\" '$WORK/dsr.html' | wc -l) -eq 5 ] || exit 1; done"
eq "the phone posts the form (201, a page)" 201 "$(curl -s -o "$WORK/body" -w '%{http_code}' -H 'Accept: text/html' \
  -H 'Content-Type: application/x-www-form-urlencoded' --data 'description=4&attitude=2&logistics=5&comment=%E5%AE%A2%E6%9C%8D%E5%A4%AA%E6%85%A2' "$EL")"
check "the page says a lead will call" grep -q '主管' "$WORK/body"
eq "recorded with the low dimension and the comment" "4|2|5|客服太慢|{attitude}|true" \
  "$(q "SELECT r.description_score || '|' || r.attitude_score || '|' || r.logistics_score || '|' || r.comment || '|' || r.low_reasons::text || '|' || r.negative_comment FROM survey.responses r JOIN survey.invitations i USING (invitation_id) WHERE i.ticket_public_id = '$E'")"
pd_stop survey
pd_start survey PEAKDESK_SURVEY_QUIET_HOURS=none PEAKDESK_SURVEY_KINDS=nps || exit 1
say fox f1 '什么时候有优惠'
resolve fox
check "fox gets an NPS survey" wait_for "fox link" 20 has_link fox
say fox f2 '９'
check "a full-width 9 on the channel is fox's NPS answer" wait_for "fox nps" 20 sh -c \
  "[ \"\$(psql '$PEAKDESK_DB' -XAtqc \"SELECT r.nps || '|' || r.low_score FROM survey.responses r JOIN survey.invitations i USING (invitation_id) WHERE i.kind = 'nps'\")\" = '9|false' ]"
say gus g1 '发票抬头写错了'
resolve gus
check "gus gets a survey" wait_for "gus link" 20 has_link gus
GL=$(link gus)
RACERS=""
for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16; do
  curl -s -o /dev/null -w '%{http_code}\n' -H 'Content-Type: application/json' --data '{"nps":8}' "$GL" >>"$WORK/race.txt" &
  RACERS="$RACERS $!"
done
for p in $RACERS; do wait "$p"; done
eq "sixteen answers to one link at once: exactly one is accepted" "1 15" "$(grep -c 201 "$WORK/race.txt") $(grep -c 409 "$WORK/race.txt")"
eq "and one response stored" 1 "$(q "SELECT count(*) FROM survey.responses r JOIN survey.invitations i USING (invitation_id) WHERE i.external_user_id = 'gus'")"
eq "recovery tickets: bob's and eve's" 2 "$(q "SELECT count(*) FROM router.tickets WHERE 'service_recovery' = ANY(tags)")"

check "the collector exposes its metrics" sh -c "curl -s '$SV/metrics' | grep -q 'peakdesk_survey_link_refused_total'"
eq "no event was dead-lettered" 0 "$(q "SELECT count(*) FROM bus.dead_letters")"
pd_done
