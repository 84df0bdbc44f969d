#!/bin/sh
# `peakdesk report` end to end: a small promo day seeded by SQL
# (tests/tools/gen_promo_day.sql, the generator the benchmark uses at
# 1,000,000 messages), the report written, then rendered by headless
# Chromium: every chart is in the DOM with its title and non-empty bars or
# lines, user data (an SKU name with & < > " ') arrives as text and not as
# markup, nothing refers to anything outside the file, and a screenshot is a
# non-blank PNG of the size asked for. Also the errors: unknown campaign,
# unwritable file, bad options; and --help.
. "$(dirname "$0")/../lib.sh"
pd_setup
CHROMIUM=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || echo /usr/bin/chromium)}

psql "$PEAKDESK_DB" -XAtq -v campaign=D11 -v "start=2025-11-11 00:00:00+08" -v tickets=300 -v messages=1200 \
  -f "$ROOT/tests/tools/gen_promo_day.sql" >"$WORK/gen.log" 2>&1
eq "the generator seeds a promo day" "1200|300" \
  "$(psql_q "SELECT (SELECT count(*) FROM router.ticket_messages WHERE direction = 'in'), (SELECT count(*) FROM router.tickets)")"

OUT=$WORK/out/report.html
mkdir -p "$WORK/out"
echo "an older report" >"$OUT"
"$BIN/peakdesk" report --campaign D11 --tz +08:00 --out "$OUT" >"$WORK/report.stdout" 2>"$WORK/report.log"
eq "peakdesk report exits 0" 0 $?
grep -v '<footer>' "$OUT" >"$WORK/report.nofooter"
eq "and prints the file's path" "$OUT" "$(cat "$WORK/report.stdout")"
check "each query on stderr with its duration" grep -Eq '^peakdesk report: customer messages per hour +24 rows +[0-9.]+ ms \(connection [0-9]\)$' "$WORK/report.log"
"$BIN/peakdesk" report --campaign D11 --tz +08:00 --jobs 1 --out "$WORK/serial.html" >/dev/null 2>&1
check "one connection or three (one snapshot): the same page" \
  sh -c "grep -v '<footer>' '$WORK/serial.html' | cmp -s - '$WORK/report.nofooter'"
check "the older file was replaced" grep -q '<!DOCTYPE html>' "$OUT"
eq "no temp file left beside it" "report.html" "$(ls -A "$WORK/out" | tr '\n' ' ' | sed 's/ $//')"
eq "the main-day window, in the zone asked for" 1 \
  "$(grep -c '2025-11-11 00:00 – 2025-11-12 00:00 (main day, time zone UTC+08:00)' "$OUT")"
eq "all the day's customer messages counted" 1 "$(grep -c 'id="kpi-messages"><div class="v">1,200<' "$OUT")"

# Self-contained: no URL, no script, no file or stylesheet reference.
check "no http anywhere in the file" sh -c "! grep -qi 'http' '$OUT'"
check "no src= or href= (nothing loaded from elsewhere)" sh -c "! grep -Eqi '(src|href)=' '$OUT'"
check "no script and no url() or @import in the CSS" sh -c "! grep -Eqi '<script|url\\(|@import' '$OUT'"
check "an SKU name with markup characters is escaped" grep -q 'Mug &amp; &lt;Cup&gt; &quot;Deluxe&quot; &#39;22' "$OUT"
check "charset and viewport" sh -c "grep -q '<meta charset=\"utf-8\">' '$OUT' && grep -q '<meta name=\"viewport\"' '$OUT'"

# ---- headless Chromium ---------------------------------------------------------
if [ ! -x "$CHROMIUM" ]; then
  fail "chromium not found ($CHROMIUM): deploy/install-deps.sh installs the Debian package chromium"
else
  chrome() { timeout 90 "$CHROMIUM" --headless --no-sandbox --disable-gpu --hide-scrollbars \
    --user-data-dir="$WORK/chrome" "$@" 2>>"$WORK/chromium.log"; }
  chrome --dump-dom "file://$OUT" >"$WORK/dom.html"
  check "chromium renders the page (--dump-dom)" grep -q '</html>' "$WORK/dom.html"
  # One line per chart: id|title|bars|polylines|points|nodata, from the DOM
  # Chromium built (not from our file), plus the visible text.
  python3 - "$WORK/dom.html" >"$WORK/charts.txt" 2>"$WORK/parse.err" <<'PY'
import sys
from html.parser import HTMLParser
class P(HTMLParser):
    def __init__(self):
        super().__init__()
        self.charts, self.cur, self.depth, self.in_title, self.text, self.stack = [], None, 0, False, [], []
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "svg":
            self.cur = {"id": a.get("id", ""), "title": None, "bar": 0, "polyline": 0, "pt": 0,
                        "nodata": "nodata" in a.get("class", ""), "external": 0}
            self.charts.append(self.cur)
        elif self.cur is not None:
            if tag == "title" and self.cur["title"] is None:
                self.in_title = True
                self.cur["title"] = ""
            if tag == "rect" and "bar" in a.get("class", ""):
                self.cur["bar"] += 1
            if tag == "polyline" and len(a.get("points", "").split()) >= 2:
                self.cur["polyline"] += 1
            if tag == "circle":
                self.cur["pt"] += 1
            if tag in ("image", "use", "a", "foreignobject"):
                self.cur["external"] += 1
        if tag == "cup":
            print("MARKUP-INJECTED")
    def handle_endtag(self, tag):
        if tag == "title":
            self.in_title = False
        if tag == "svg":
            self.cur = None
    def handle_data(self, d):
        if self.in_title and self.cur is not None:
            self.cur["title"] += d
        self.text.append(d)
p = P()
p.feed(open(sys.argv[1], encoding="utf-8").read())
for c in p.charts:
    print("%s|%s|%d|%d|%d|%d|%d" % (c["id"], c["title"], c["bar"], c["polyline"], c["pt"], c["nodata"], c["external"]))
print("TEXT|" + " ".join("".join(p.text).split()))
PY
  chart() { grep "^$1|" "$WORK/charts.txt" | head -n 1; }
  eq "nine charts in the DOM" 9 "$(grep -c '^chart-' "$WORK/charts.txt")"
  eq "volume: 24 hourly bars and the forecast line" "chart-volume|Tickets per hour vs forecast|24|1|24|0|0" "$(chart chart-volume)"
  eq "messages: 24 hourly bars" "chart-messages|Customer messages per hour|24|0|0|0|0" "$(chart chart-messages)"
  eq "first response: three lines (p50, p90, p99), 72 points" \
    "chart-frt|First response time per hour (p50, p90, p99)|0|3|72|0|0" "$(chart chart-frt)"
  eq "breaches: 24 hourly bars" "chart-breaches|SLA breaches per hour|24|0|0|0|0" "$(chart chart-breaches)"
  eq "CSAT: five bars" "chart-csat|CSAT answers (1–5)|5|0|0|0|0" "$(chart chart-csat)"
  eq "NPS: eleven bars" "chart-nps|NPS answers (0–10)|11|0|0|0|0" "$(chart chart-nps)"
  check "reasons: bars, no 'no data' note" sh -c "grep -Eq '^chart-reasons\\|Complaint and after-sale reasons\\|([1-9]|1[0-2])\\|0\\|0\\|0\\|0$' '$WORK/charts.txt'"
  check "proactive care: a bar per notice kind, with complaint parts" \
    sh -c "grep -Eq '^chart-proactive\\|Proactive care outcomes\\|[3-9]\\|0\\|0\\|0\\|0$' '$WORK/charts.txt'"
  eq "top SKUs: ten bars" "chart-skus|Top SKUs by complaints|10|0|0|0|0" "$(chart chart-skus)"
  check "the SKU name is text in the DOM, not markup" sh -c "grep -q '^TEXT|.*Mug & <Cup> \"Deluxe\" .22' '$WORK/charts.txt' && ! grep -q MARKUP-INJECTED '$WORK/charts.txt'"
  check "the KPI tiles are there" sh -c "grep -Eq '^TEXT\\|.*300 ?tickets opened ?1,200 ?customer messages' '$WORK/charts.txt'"

  # A screenshot of the size asked for that is not blank.
  chrome --window-size=1000,2400 --screenshot="$WORK/shot.png" "file://$OUT" >/dev/null
  png=$(python3 - "$WORK/shot.png" <<'PY'
import struct, sys, zlib
d = open(sys.argv[1], "rb").read()
if d[:8] != b"\x89PNG\r\n\x1a\n":
    print("not a PNG"); sys.exit()
w, h, depth, ctype = struct.unpack(">IIBB", d[16:26])
pos, idat = 8, b""
while pos < len(d):
    n, kind = struct.unpack(">I4s", d[pos:pos + 8])
    if kind == b"IDAT":
        idat += d[pos + 8:pos + 8 + n]
    pos += 12 + n
raw = zlib.decompress(idat)
bpp = {2: 3, 6: 4}.get(ctype, 0)
if depth != 8 or not bpp:
    print("%dx%d unexpected format" % (w, h)); sys.exit()
stride, prev, colors, busy = w * bpp, bytearray(w * bpp), set(), 0
for y in range(h):
    f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
    for i in range(stride):
        a = line[i - bpp] if i >= bpp else 0
        b, c = prev[i], prev[i - bpp] if i >= bpp else 0
        if f == 1: line[i] = (line[i] + a) & 255
        elif f == 2: line[i] = (line[i] + b) & 255
        elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    if y % 4 == 0:
        for x in range(0, w, 4):
            px = bytes(line[x * bpp:x * bpp + 3])
            colors.add(px)
            if px not in (b"\xf6\xf7\xf9", b"\xff\xff\xff"):
                busy += 1
    prev = line
print("%dx%d colors=%d busy=%.1f%%" % (w, h, len(colors), 100.0 * busy / ((h // 4) * (w // 4))))
PY
)
  pd_log "screenshot: $png"
  check "a 1000x2400 PNG screenshot" sh -c "echo '$png' | grep -q '^1000x2400 '"
  check "not blank: many colours, over 3 % of it drawn" sh -c "echo '$png' | awk '{ split(\$2, c, \"=\"); split(\$3, b, \"[=%]\"); exit !(c[2] > 20 && b[2] > 3) }'"
fi

# ---- other windows and the errors --------------------------------------------
"$BIN/peakdesk" report --campaign D11 --day 2025-11-20 --tz Asia/Shanghai --out "$WORK/empty.html" >/dev/null 2>"$WORK/empty.log"
eq "a day without traffic still makes a page" 0 $?
eq "with a 'no data' note in place of each chart" 9 "$(grep -o 'class="chart nodata"' "$WORK/empty.html" | wc -l | tr -d ' ')"
"$BIN/peakdesk" report --campaign NOPE --out "$WORK/nope.html" >/dev/null 2>"$WORK/nope.log"
eq "an unknown campaign exits 1" 1 $?
check "saying so" grep -q 'no campaign "NOPE"' "$WORK/nope.log"
check "and writes nothing" test ! -e "$WORK/nope.html"
"$BIN/peakdesk" report --campaign D11 --out "$WORK/no-such-dir/r.html" >/dev/null 2>"$WORK/unwritable.log"
eq "an unwritable file exits 1" 1 $?
check "naming the file and why" grep -q "cannot write $WORK/no-such-dir/r.html: No such file or directory" "$WORK/unwritable.log"
"$BIN/peakdesk" report --campaign D11 --out "$WORK/x.html" --tz Mars/Olympus >/dev/null 2>"$WORK/tz.log"
eq "an unknown time zone exits 2" 2 $?
check "naming it" grep -q 'unknown time zone "Mars/Olympus"' "$WORK/tz.log"
"$BIN/peakdesk" report --campaign D11 --out "$WORK/x.html" --day 11/11/2025 >/dev/null 2>&1
eq "a malformed --day exits 2" 2 $?
"$BIN/peakdesk" report --out "$WORK/x.html" >/dev/null 2>&1
eq "--campaign missing exits 2" 2 $?
"$BIN/peakdesk" report --help >"$WORK/help.txt" 2>&1
eq "--help exits 0" 0 $?
check "and explains the options" sh -c "grep -q 'Usage: peakdesk report --campaign ID --out FILE' '$WORK/help.txt' && grep -q -- '--tz ZONE' '$WORK/help.txt'"
check "peakdesk --help lists report" sh -c "'$BIN/peakdesk' --help | grep -q '^  report '"
pd_done
