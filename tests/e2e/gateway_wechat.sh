#!/bin/sh
# A WeChat Official Account pointed at the gateway, played with curl: the
# URL check echoes echostr, signed XML messages and events are stored once
# even though WeChat retries, safe mode (encrypt_type=aes) decrypts, and
# forged or hostile posts are refused and store nothing.
. "$(dirname "$0")/../lib.sh"
pd_setup
D=$ROOT/tests/data/wechat
v() { sed -n "s/^$1=//p" "$D/aes_vector.txt"; }
TOKEN=$(v token)
"$BIN/peakdesk" account add --channel wechat --name gh_shop --token "$TOKEN" --aes-key "$(v encoding_aes_key)" --appid "$(v appid)" >/dev/null
"$BIN/peakdesk" account add --channel wechat --name doc --token AAAAA >/dev/null
pd_start gateway "PEAKDESK_WECHAT_WELCOME=欢迎关注！有问题直接发消息给我们。" || exit 1
BASE="http://$(http_addr gateway)/wechat"
sig() { printf '%s\n' "$@" | LC_ALL=C sort | tr -d '\n' | sha1sum | cut -c1-40; }
post() { # post FILE [signature] -> "STATUS BODY"
  ts=1731254461; nonce=123456
  s=${2:-$(sig "$TOKEN" "$ts" "$nonce")}
  curl -sS -o "$WORK/r" -w '%{http_code}' -H 'Content-Type: text/xml' --data-binary "@$1" \
    "$BASE/gh_shop?signature=$s&timestamp=$ts&nonce=$nonce&openid=x"
  printf ' '; cat "$WORK/r"
}
stored() { psql_q "SELECT count(*) FROM gateway.inbound_messages WHERE channel = 'wechat'"; }

# URL verification with the vector from WeChat's documentation.
r=$(curl -sS "$BASE/doc?signature=f464b24fc39322e44b38aa78f5edd27bd1441696&timestamp=1714036504&nonce=1514711492&echostr=8347658316947216001")
eq "URL verification echoes echostr (documented vector)" 8347658316947216001 "$r"
r=$(curl -sS -o /dev/null -w '%{http_code}' "$BASE/doc?signature=0000&timestamp=1714036504&nonce=1514711492&echostr=x")
eq "a wrong signature is not echoed" 401 "$r"

r=$(post "$D/text_zh.xml")
eq "a text message is answered success" "200 success" "$r"
r=$(post "$D/text_zh.xml"); r=$(post "$D/text_zh.xml")
eq "WeChat's retries are answered too" "200 success" "$r"
eq "but stored once (by MsgId)" 1 "$(stored)"
for f in voice_recognition.xml event_click.xml location_zh.xml image.xml link.xml; do
  r=$(post "$D/$f")
  eq "$f accepted" "200 success" "$r"
done
eq "voice is stored as its recognised text" 1 "$(psql_q "SELECT count(*) FROM gateway.inbound_messages WHERE message_type = 'voice' AND text <> ''")"
r=$(post "$D/event_subscribe_qrscene.xml")
check "a new follower gets the welcome as a passive XML reply" python3 -c "
import sys, xml.etree.ElementTree as ET
st, body = sys.argv[1].split(' ', 1)
x = ET.fromstring(body)
sys.exit(0 if st == '200' and x.findtext('MsgType') == 'text' and x.findtext('Content') == '欢迎关注！有问题直接发消息给我们。' and x.findtext('FromUserName') and x.findtext('ToUserName') else 1)" "$r"
eq "events keep their kind" 1 "$(psql_q "SELECT count(*) FROM gateway.inbound_messages WHERE message_type = 'event:subscribe'")"
eq "the image's URL is an attachment" 1 "$(psql_q "SELECT count(*) FROM gateway.inbound_messages WHERE message_type = 'image' AND attachments->0->>'url' LIKE 'http%'")"
n=$(stored)

# Safe mode: the envelope from the project's vector.
E=$D/safe_envelope.xml
r=$(curl -sS -o "$WORK/r" -w '%{http_code}' --data-binary "@$E" \
  "$BASE/gh_shop?timestamp=$(v timestamp)&nonce=$(v nonce)&encrypt_type=aes&msg_signature=$(v msg_signature)&signature=ignored")
eq "safe-mode message decrypted and stored" "200 success" "$r $(cat "$WORK/r")"
# The vector's plaintext is text_zh.xml, posted in plain mode above: the
# decrypted message carries the same MsgId, so it is that message again.
eq "the decrypted message is recognised by its MsgId (no second row)" "$n" "$(stored)"
# Safe mode, encrypted the way WeChat does it (openssl, not our code): a
# follow gets the welcome as an encrypted passive reply.
printf '<xml><ToUserName><![CDATA[gh_shop]]></ToUserName><FromUserName><![CDATA[oSafeFollower]]></FromUserName><CreateTime>1731254500</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[subscribe]]></Event></xml>' |
  python3 "$ROOT/tests/tools/wx_safe.py" encrypt "$(v encoding_aes_key)" "$(v appid)" "$TOKEN" 1731254500 77 >"$WORK/senv.xml" 2>"$WORK/sq"
curl -sS --data-binary "@$WORK/senv.xml" "$BASE/gh_shop?$(cat "$WORK/sq")" >"$WORK/sreply.xml"
python3 "$ROOT/tests/tools/wx_safe.py" decrypt "$(v encoding_aes_key)" "$(v appid)" "$TOKEN" <"$WORK/sreply.xml" >"$WORK/splain.xml"
check "the encrypted reply verifies and decrypts to the welcome" grep -q '欢迎关注' "$WORK/splain.xml"
check "addressed to the follower" grep -q 'oSafeFollower' "$WORK/splain.xml"
r=$(curl -sS -o /dev/null -w '%{http_code}' --data-binary "@$E" \
  "$BASE/gh_shop?timestamp=$(v timestamp)&nonce=$(v nonce)&encrypt_type=aes&msg_signature=0123456789012345678901234567890123456789")
eq "wrong msg_signature -> 401" 401 "$r"

if [ -d "$ROOT/../shared/data/wechat" ]; then
  bad=0; m=0
  for f in "$ROOT"/../shared/data/wechat/*.xml; do
    m=$((m + 1))
    r=$(post "$f")
    case "$r" in "200 success" | "200 <xml>"*) ;; *) bad=$((bad + 1)); pd_log "$(basename "$f"): $r" ;; esac
  done
  eq "every real WeChat sample accepted ($m files)" 0 "$bad"
else
  pd_log "skipped: ../shared/data not present (real WeChat samples)"
fi

before=$(stored)
r=$(post "$D/text_zh.xml" 0000000000000000000000000000000000000000)
eq "forged signature -> 401" 401 "${r%% *}"
check "as a JSON error" sh -c "echo '${r#* }' | grep -q '\"error\":\"bad_signature\"'"
for f in billion_laughs.xml xxe_passwd.xml xxe_parameter_entity.xml doctype_external.xml undeclared_entity.xml invalid_utf8.xml; do
  r=$(post "$D/$f")
  eq "$f refused with 400" 400 "${r%% *}"
done
check "no /etc/passwd content anywhere" sh -c "! psql '$PEAKDESK_DB' -XAtqc 'SELECT text FROM gateway.inbound_messages' | grep -q 'root:'"
python3 -c 'print("<xml><ToUserName>a</ToUserName><Content><![CDATA[" + "x" * 70000 + "]]></Content></xml>")' >"$WORK/big.xml"
r=$(post "$WORK/big.xml")
eq "oversize XML -> 413" 413 "${r%% *}"
eq "nothing stored by any of them" "$before" "$(stored)"
r=$(curl -sS -o /dev/null -w '%{http_code}' --data x "$BASE/nosuch?signature=x")
eq "unknown account -> 404" 404 "$r"
check "gateway still healthy" curl -fsS -o /dev/null "http://$(http_addr gateway)/healthz"
pd_done
