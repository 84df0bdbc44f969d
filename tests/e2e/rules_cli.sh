#!/bin/sh
# An operator edits the router's classification rules with `peakdesk rules`
# while the router runs: a new rule is checked (the whole set compiled)
# before it is committed, the running router picks it up without a restart
# and routes the next message by it; a rule that would not compile is
# refused with the reason and changes nothing; disable and delete work.
. "$(dirname "$0")/../lib.sh"
pd_setup
SECRET=webchat-secret-0123456789
"$BIN/peakdesk" account add --channel webhook --name webchat --secret "$SECRET" >/dev/null
pd_start gateway || exit 1
pd_start router || exit 1
say() { webhook_say "$@" >/dev/null; }
loads() { grep -c 'classification rules loaded' "$WORK/router.log"; }
wait_for "seeded" 10 sh -c "[ \"\$(psql '$PEAKDESK_DB' -XAtqc 'SELECT count(*) FROM router.rules')\" -gt 20 ]"
R="$BIN/peakdesk rules"

check "rules list shows the shipped set" sh -c "$R list | grep -q 'complaint-regulator'"
$R test '再不处理我就打12315投诉你们' >"$WORK/t1.txt"
check "rules test explains a complaint" sh -c "grep -q '^category: *complaint' '$WORK/t1.txt' && grep -q '12315' '$WORK/t1.txt'"

before=$(loads)
cat >"$WORK/gold.json" <<'JSON'
{"ruleId":"gold-member","position":5,"keywordsAny":["黄金会员","金卡"],"category":"presale","priority":3,"group":"VIP","tags":["gold"]}
JSON
check "a new rule is accepted" sh -c "$R set '$WORK/gold.json' | grep -q 'rule gold-member at position 5'"
check "the running router reloads it" wait_for "reload" 10 sh -c "[ \$(grep -c 'classification rules loaded' '$WORK/router.log') -gt $before ]"
check "rules test now picks it" sh -c "$R test '我是黄金会员，想问下新品' | grep -q '^rule: *gold-member'"
say goldie g1 '我是黄金会员，想问下新品什么时候上'
check "the next message is routed by it" wait_for "routed" 20 sh -c "[ \"\$(psql '$PEAKDESK_DB' -XAtqc \"SELECT group_name || '|' || priority FROM router.tickets\")\" = 'VIP|3' ]"

# A rule that would not compile: refused, nothing stored.
printf '%s\n' '{"ruleId":"broken","position":6,"regex":"([","category":"order"}' >"$WORK/bad.json"
$R set "$WORK/bad.json" >"$WORK/bad.out" 2>&1
eq "a broken rule exits 1" 1 $?
check "with the reason" grep -q 'would not compile' "$WORK/bad.out"
eq "and is not stored" 0 "$(psql_q "SELECT count(*) FROM router.rules WHERE rule_id = 'broken'")"
$R set "$WORK/nonexistent.json" >/dev/null 2>&1
eq "a missing file is a usage error" 2 $?

check "disable" sh -c "$R disable gold-member | grep -q disabled"
check "a disabled rule no longer matches" sh -c "! $R test '我是黄金会员' | grep -q gold-member"
check "show prints it as JSON" sh -c "$R show gold-member | grep -q '\"enabled\":false'"
check "delete" sh -c "$R delete gold-member | grep -q deleted"
$R delete gold-member >/dev/null 2>&1
eq "deleting twice says there is no such rule" 1 $?
pd_done
