#!/bin/sh
# E-mail piped in the way an MTA does it (`| peakdesk-gateway mail --account
# support`): stored once as message.inbound, any charset decoded to UTF-8;
# sysexits tell the MTA what to do: 65 for a message that can never be
# parsed, 67 for an unknown account, 75 while PostgreSQL is down (the MTA
# retries, and the retry is stored).
. "$(dirname "$0")/../lib.sh"
pd_setup
"$BIN/peakdesk" account add --channel email --name support >/dev/null
mail() { "$BIN/peakdesk-gateway" mail --account "${2:-support}" <"$1" 2>"$WORK/mail.err"; }

cat >"$WORK/m1.eml" <<'EML'
From: =?UTF-8?B?5p2O6Zu3?= <Li.Lei@Example.com>
To: support@shop.example
Subject: =?UTF-8?B?6YCA5qy+6L+Y5rKh5Yiw6LSm?= [#PD-abcdefghijkmnpqrstuvwx]
Message-ID: <m1.12345@example.com>
In-Reply-To: <o-1@peakdesk>
Date: Wed, 11 Nov 2026 10:00:00 +0800
MIME-Version: 1.0
Content-Type: text/plain; charset=UTF-8
Content-Transfer-Encoding: 8bit

退款三天了还没到账，订单号D11-000001。
EML
mail "$WORK/m1.eml"; rc=$?
eq "a plain reply is stored (exit 0)" 0 "$rc"
mail "$WORK/m1.eml"; rc=$?
eq "the MTA delivering it twice is fine (exit 0)" 0 "$rc"
eq "stored once" 1 "$(psql_q "SELECT count(*) FROM gateway.inbound_messages WHERE channel = 'email'")"
eq "sender, subject and text decoded" "li.lei@example.com|退款还没到账 [#PD-abcdefghijkmnpqrstuvwx]|退款三天了还没到账，订单号D11-000001。" \
  "$(psql_q "SELECT external_user_id || '|' || subject || '|' || trim(E'\n' FROM text) FROM gateway.inbound_messages WHERE external_message_id = 'm1.12345@example.com'")"
"$BIN/peakdesk" tail --name mailcheck --topic message.inbound --out "$WORK/in.jsonl" --count 1 >/dev/null 2>&1
check "message.inbound carries the ticket's public id from the subject" grep -q '"ticketPublicId":"abcdefghijkmnpqrstuvwx"' "$WORK/in.jsonl"
check "and the thread (In-Reply-To)" grep -q '"inReplyTo":"o-1@peakdesk"' "$WORK/in.jsonl"

for f in "$ROOT"/tests/data/email/*.eml; do
  [ -f "$f" ] || continue
  mail "$f"; rc=$?
  eq "fixture $(basename "$f") accepted" 0 "$rc"
done

# Real e-mails from the outside world, in several charsets.
if [ -d "$ROOT/../shared/data/email" ]; then
  n=0; bad=0
  for f in "$ROOT"/../shared/data/email/*/*.eml; do
    n=$((n + 1))
    mail "$f"; rc=$?
    if [ $rc -ne 0 ] && [ $rc -ne 65 ]; then bad=$((bad + 1)); pd_log "$(basename "$f"): exit $rc $(cat "$WORK/mail.err")"; fi
  done
  eq "every shared sample handled without a temporary failure ($n messages)" 0 "$bad"
  eq "Japanese mail (ISO-2022-JP, Shift_JIS) decoded to UTF-8" t \
    "$(psql_q "SELECT count(*) >= 2 FROM gateway.inbound_messages WHERE text ~ '[ぁ-んァ-ン]'")"
else
  pd_log "skipped: ../shared/data not present (real e-mail samples)"
fi

printf 'this is not\nan e-mail at all\377\n' >"$WORK/junk.eml"
mail "$WORK/junk.eml"; rc=$?
eq "a message that can never be parsed -> 65 (EX_DATAERR)" 65 "$rc"
check "with the reason on stderr" test -s "$WORK/mail.err"
mail "$WORK/m1.eml" nosuch; rc=$?
eq "unknown account -> 67 (EX_NOUSER)" 67 "$rc"

sed 's/m1.12345/m2.777/' "$WORK/m1.eml" >"$WORK/m2.eml"
"$ROOT/deploy/local/pg.sh" stop "$PGDIR" >/dev/null
mail "$WORK/m2.eml"; rc=$?
eq "PostgreSQL down -> 75 (EX_TEMPFAIL), the MTA keeps it queued" 75 "$rc"
"$ROOT/deploy/local/pg.sh" start "$PGDIR" fast >/dev/null
mail "$WORK/m2.eml"; rc=$?
eq "the MTA's retry after the restart is stored" 0 "$rc"
eq "exactly once" 1 "$(psql_q "SELECT count(*) FROM gateway.inbound_messages WHERE external_message_id = 'm2.777@example.com'")"
pd_done
