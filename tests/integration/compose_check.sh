#!/bin/sh
# No Docker engine runs on the development machines, so the compose file is
# checked structurally: it parses, every long-running service has a health
# check and a restart policy, every PEAKDESK_* variable it sets is one the
# binaries accept (from their --help), every image is built by a Dockerfile
# that exists, and that Dockerfile builds with the same script CI uses.
# nginx in front (deploy/nginx/): Debian 12's nginx parses the configuration
# (under the image's main conf and under Debian's stock one), every upstream
# port is the service's PEAKDESK_<SVC>_HTTP port in docker-compose.yml, the
# deadlines and limits are set, and a real nginx with stub upstreams proxies
# the public paths only, redirects HTTP, caps bodies and answers JSON errors.
. "$(dirname "$0")/../lib.sh"
cd "$ROOT"
T=$(mktemp -d /tmp/peakdesk-compose.XXXXXX)
chmod 755 "$T"
trap 'stop_pids $PIDS; rm -rf "$T"' EXIT INT TERM
accepted=$( (for b in "$BIN"/peakdesk-*; do "$b" --help; done; "$BIN/peakdesk" --help; "$BIN/peakdesk" migrate --help) |
  grep -o 'PEAKDESK_[A-Z0-9_<>]*' | sort -u)
out=$(ACCEPTED="$accepted" python3 - <<'PY'
import os, re, sys, yaml
doc = yaml.safe_load(open("docker-compose.yml"))
accepted = set(os.environ["ACCEPTED"].split())
problems = []
def accepted_var(v):
    if v in accepted: return True
    # per-service patterns in --help are spelled PEAKDESK_<SERVICE>_X
    return any(re.fullmatch(a.replace("<SERVICE>", "[A-Z]+").replace("<service>", "[A-Z]+"), v) for a in accepted if "<" in a)
envfile_vars = {}
for svc, spec in doc["services"].items():
    files = spec.get("env_file", [])
    files = [files] if isinstance(files, str) else files
    for f in files:
        if not os.path.exists(f): problems.append(f"{svc}: env_file {f} missing"); continue
        for line in open(f):
            line = line.strip()
            if line and not line.startswith("#"):
                envfile_vars.setdefault(svc, set()).add(line.split("=", 1)[0])
    env = spec.get("environment", {})
    names = set(env.keys() if isinstance(env, dict) else [e.split("=", 1)[0] for e in env]) | envfile_vars.get(svc, set())
    for v in names:
        if v.startswith("PEAKDESK_") and not accepted_var(v):
            problems.append(f"{svc}: {v} is not a variable the binaries accept")
    one_shot = spec.get("restart") == "no"
    if not one_shot and "healthcheck" not in spec: problems.append(f"{svc}: no healthcheck")
    if "restart" not in spec: problems.append(f"{svc}: no restart policy")
    b = spec.get("build")
    if b:
        df = os.path.join(b.get("context", "."), b.get("dockerfile", "Dockerfile"))
        if not os.path.exists(df): problems.append(f"{svc}: {df} missing")
images_built = {s.get("image") for s in doc["services"].values() if s.get("build")}
for svc, spec in doc["services"].items():
    img = spec.get("image", "")
    if img.startswith("peakdesk") and img not in images_built: problems.append(f"{svc}: image {img} is built by no service")
print("\n".join(problems) if problems else "OK")
PY
)
eq "docker-compose.yml is consistent" "OK" "$out"
check "the Dockerfile builds with the CI dependency script" grep -q 'deploy/install-deps.sh && make all' deploy/Dockerfile

# ---- published ports: the public HTTP surfaces only through nginx ----------
out=$(python3 - <<'PY'
import yaml
doc = yaml.safe_load(open("docker-compose.yml"))
svcs = doc["services"]
problems = []
for s in ("gateway", "router", "survey"):
    if svcs[s].get("ports"): problems.append(f"{s} publishes {svcs[s]['ports']} (only nginx should)")
for s in ("logistics", "stock", "promo"):
    for p in svcs[s].get("ports", []):
        if str(p).count(":") < 2: problems.append(f"{s}: {p} is published on every host address")
n = svcs.get("nginx")
if not n: problems.append("no nginx service")
else:
    if sorted(str(p).rsplit(":", 1)[1] for p in n.get("ports", [])) != ["443", "80"]: problems.append(f"nginx ports {n.get('ports')}")
    if not any(str(v).endswith(":/etc/nginx/tls:ro") for v in n.get("volumes", [])): problems.append("nginx: no read-only /etc/nginx/tls volume")
print("\n".join(problems) if problems else "OK")
PY
)
eq "only nginx publishes public HTTP; department ports bind an address" "OK" "$out"

# ---- the Dockerfiles ---------------------------------------------------------
check "deploy/Dockerfile is multi-stage on Debian 12" \
  sh -c '[ "$(grep -c "^FROM debian:12" deploy/Dockerfile)" -ge 2 ] && grep -q "^FROM debian:12.* AS build" deploy/Dockerfile'
# the runtime stage: from the last FROM to the end
runtime=$(awk '/^FROM /{buf=""} {buf=buf $0 "\n"} END{printf "%s", buf}' deploy/Dockerfile)
runtime_pkgs=$(printf '%s\n' "$runtime" | sed -n '/apt-get install/,/&&/p' | tr ' \\' '\n\n' | grep -E '^[a-z0-9][a-z0-9.+-]+$' | grep -vE '^(apt-get|install|rm)$')
check "the runtime stage installs no -dev package" sh -c "! printf '%s\n' '$runtime_pkgs' | grep -q -- '-dev\$'"
check "the runtime stage has curl for the health checks" sh -c "printf '%s\n' '$runtime_pkgs' | grep -qx curl"
check "the runtime stage runs as a non-root user" sh -c "printf '%s\n' '$runtime' | grep -E '^USER ' | tail -n 1 | grep -vqE 'USER (root|0)\$'"
# every library the binaries link (by Debian package here) is installed in
# the runtime stage, or a dependency of a package it installs
missing_rt=""
needed=$(for b in "$ROOT"/build/bin/peakdesk*; do ldd "$b"; done 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// {print $3}' | sort -u)
linked=$(for b in "$ROOT"/build/bin/peakdesk*; do readelf -d "$b"; done 2>/dev/null | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p' | sort -u)
deps_of_runtime=$(apt-cache depends $runtime_pkgs 2>/dev/null | sed -n 's/^ *\(Pre\)\{0,1\}Depends: //p' | sort -u)
for l in $linked; do
  path=$(printf '%s\n' "$needed" | grep "/$l\$" | head -n 1)
  [ -n "$path" ] || continue
  pkg=$(dpkg -S "$path" 2>/dev/null || dpkg -S "/usr$path" 2>/dev/null || dpkg -S "$(readlink -f "$path")" 2>/dev/null)
  pkg=$(printf '%s' "$pkg" | head -n 1 | cut -d: -f1)
  case $pkg in ''|libc6) continue ;; esac
  printf '%s\n%s\n' "$runtime_pkgs" "$deps_of_runtime" | grep -qx "$pkg" || missing_rt="$missing_rt $l($pkg)"
done
eq "the runtime stage provides every library the binaries link" "" "$missing_rt"
check "nginx's image is Debian 12's nginx with curl for its health check" \
  sh -c 'grep -q "^FROM debian:12" deploy/nginx/Dockerfile && grep -q "nginx curl" deploy/nginx/Dockerfile'
check "deploy/install-deps.sh installs nginx (tested here)" grep -qw nginx deploy/install-deps.sh

# ---- nginx configuration -------------------------------------------------------
CONF=deploy/nginx/peakdesk.conf
out=$(python3 - "$CONF" <<'PY'
import re, sys, yaml
conf = re.sub(r"#[^\n]*", "", open(sys.argv[1]).read())
doc = yaml.safe_load(open("docker-compose.yml"))
problems = []
ups = {}
for name, body in re.findall(r"upstream\s+(\S+)\s*\{([^}]*)\}", conf):
    ups[name] = re.findall(r"server\s+([A-Za-z0-9_.-]+):(\d+)", body)
used = set(re.findall(r"proxy_pass\s+http://([A-Za-z0-9_]+)\s*;", conf))
if not used: problems.append("no proxy_pass")
for u in used:
    if u not in ups: problems.append(f"proxy_pass to undefined upstream {u}"); continue
    for host, port in ups[u]:
        svc = doc["services"].get(host)
        if not svc: problems.append(f"{u}: {host} is no compose service"); continue
        env = svc.get("environment", {})
        http = env.get(f"PEAKDESK_{host.upper()}_HTTP", "")
        if http.rsplit(":", 1)[-1] != port:
            problems.append(f"{u}: {host}:{port} but compose has PEAKDESK_{host.upper()}_HTTP={http}")
for host in ("gateway", "logistics", "survey"):
    if not any(h == host for u in used for h, _ in ups.get(u, [])): problems.append(f"{host} is not behind nginx")
if any(h in ("stock", "promo", "router") for u in used for h, _ in ups.get(u, [])):
    problems.append("an internal service (stock, promo, router) is proxied")
# every proxied location states its body limit and the server its deadlines
for loc, body in re.findall(r"location\s+([^{]+)\{([^}]*)\}", conf):
    if "proxy_pass" in body:
        if "client_max_body_size" not in body: problems.append(f"location {loc.strip()}: no client_max_body_size")
        if "/v1/ingest" in loc or "healthz" in loc or "metrics" in loc: problems.append(f"location {loc.strip()} is internal")
for d in ("client_header_timeout", "client_body_timeout", "send_timeout", "keepalive_timeout",
          "proxy_read_timeout", "proxy_connect_timeout", "limit_conn ", "limit_conn_zone",
          "ssl_certificate ", "ssl_certificate_key", "X-Forwarded-For", "return 301 https://"):
    if d not in conf: problems.append(f"{d.strip()} not set")
print("\n".join(problems) if problems else "OK")
PY
)
eq "nginx upstreams are the services' HTTP ports in docker-compose.yml; limits and deadlines set" "OK" "$out"

if command -v nginx >/dev/null 2>&1 && command -v openssl >/dev/null 2>&1; then
  mkdir -p "$T/tls" "$T/tmp" "$T/logs"
  chmod 777 "$T/tmp"
  openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost \
    -keyout "$T/tls/privkey.pem" -out "$T/tls/fullchain.pem" >/dev/null 2>&1
  # Outside compose the upstream names do not resolve: the same file with
  # the service names replaced by 127.0.0.1 (what a systemd host runs).
  localize() { sed -E -e 's/server (gateway|logistics|survey):/server 127.0.0.1:/' \
    -e "s#/etc/nginx/tls/#$T/tls/#" -e "s#/var/log/nginx/#$T/logs/#" "$@"; }
  localize "$CONF" >"$T/peakdesk.conf"
  # 1. the image's main conf; 2. Debian's stock one (a systemd host)
  sed -e "s#/etc/nginx/conf.d/\*.conf#$T/peakdesk.conf#" -e "s#/var/log/nginx/#$T/logs/#" \
    -e "s#/run/nginx.pid#$T/nginx.pid#" -e '/^user /d' deploy/nginx/nginx.conf >"$T/main.conf"
  check "nginx -t accepts peakdesk.conf under deploy/nginx/nginx.conf" nginx -q -t -p "$T/" -c "$T/main.conf"
  if [ -f /etc/nginx/nginx.conf ]; then
    sed -e "s#/etc/nginx/conf.d/\*.conf#$T/peakdesk.conf#" -e '/sites-enabled/d' -e "s#/var/log/nginx/#$T/logs/#" \
      -e "s#/run/nginx.pid#$T/nginx-debian.pid#" -e '/^user /d' /etc/nginx/nginx.conf >"$T/debian.conf"
    check "nginx -t accepts peakdesk.conf under Debian's /etc/nginx/nginx.conf" nginx -q -t -p "$T/" -c "$T/debian.conf"
  fi

  # A real nginx on free ports, the services replaced by stubs that echo
  # what reached them.
  P80=$(free_port); P443=$(free_port); PG=$(free_port); PL=$(free_port); PS=$(free_port)
  localize -e "s/server 127.0.0.1:8080;/server 127.0.0.1:$PG;/" -e "s/server 127.0.0.1:8082;/server 127.0.0.1:$PL;/" \
    -e "s/server 127.0.0.1:8085;/server 127.0.0.1:$PS;/" -e '/listen \[::\]/d' \
    -e "s/listen 80;/listen 127.0.0.1:$P80;/" -e "s/listen 443 ssl http2;/listen 127.0.0.1:$P443 ssl http2;/" "$CONF" >"$T/run.conf"
  sed -e "s#$T/peakdesk.conf#$T/run.conf#" -e "s#^http {#http {\n client_body_temp_path $T/tmp/body; proxy_temp_path $T/tmp/proxy; fastcgi_temp_path $T/tmp/fcgi; uwsgi_temp_path $T/tmp/uwsgi; scgi_temp_path $T/tmp/scgi;#" \
    -e "s#$T/nginx.pid#$T/run.pid#" "$T/main.conf" >"$T/run-main.conf"
  cat >"$T/stub.py" <<'PY'
import json, sys, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def answer(self):
        n = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(n)
        b = json.dumps({"svc": self.server.name, "path": self.path, "method": self.command, "len": n,
                        "xff": self.headers.get("X-Forwarded-For"), "rid": self.headers.get("X-Request-ID")}).encode()
        self.send_response(200); self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(b))); self.end_headers(); self.wfile.write(b)
    do_GET = do_POST = do_PUT = answer
    def log_message(self, *a): pass
for name, port in zip(("gateway", "logistics", "survey"), sys.argv[1:4]):
    s = ThreadingHTTPServer(("127.0.0.1", int(port)), H); s.name = name
    threading.Thread(target=s.serve_forever, daemon=True).start()
threading.Event().wait()
PY
  python3 "$T/stub.py" "$PG" "$PL" "$PS" >"$T/stub.log" 2>&1 &
  STUB=$!; PIDS="$PIDS $STUB"
  nginx -p "$T/" -c "$T/run-main.conf" -g 'daemon off;' >"$T/nginx.out" 2>&1 &
  PIDS="$PIDS $!"
  H="https://127.0.0.1:$P443"
  wait_for "stubs up" 10 curl -fsS "http://127.0.0.1:$PS/" || fail "the stub upstreams did not start"
  if wait_for "nginx up" 10 curl -fsSk "$H/nginx-healthz"; then
    ok "nginx starts with the configuration and answers its health check"
    c() { curl -sk -o "$T/body" -w '%{http_code}' "$@"; }
    eq "plain HTTP redirects to HTTPS" "301 https://127.0.0.1/v1/track/abc" \
      "$(curl -s -o /dev/null -w '%{http_code} %{redirect_url}' "http://127.0.0.1:$P80/v1/track/abc")"
    eq "webhooks reach the gateway" "200" "$(c -X POST -d '{}' "$H/v1/channels/webchat/messages")"
    check "  ... path intact, client address in X-Forwarded-For, a request id" \
      grep -q '"svc": "gateway", "path": "/v1/channels/webchat/messages", "method": "POST", "len": 2, "xff": "127.0.0.1", "rid": "[0-9a-f]\{32\}"' "$T/body"
    eq "a client's own X-Forwarded-For is not passed on" "200" "$(c -H 'X-Forwarded-For: 6.6.6.6' "$H/v1/track/abc")"
    check "  ... the upstream sees nginx's view of the client" grep -q '"xff": "127.0.0.1"' "$T/body"
    for p in /wechat/acct /v1/agent/queue /v1/tickets/T1; do
      c "$H$p" >/dev/null; check "$p reaches the gateway" grep -q '"svc": "gateway"' "$T/body"
    done
    eq "the Kuaidi100 push reaches logistics" "200" "$(c -X POST -d 'param=x&sign=y' "$H/v1/carriers/kuaidi100")"
    check "  ... at logistics" grep -q '"svc": "logistics"' "$T/body"
    for p in /s/tok /v1/surveys/tok; do
      c "$H$p" >/dev/null; check "$p reaches survey" grep -q '"svc": "survey"' "$T/body"
    done
    for p in /healthz /metrics /v1/ingest /v1/rules /v1/carriers/kuaidi100x /; do
      eq "$p is not public (404)" "404" "$(c "$H$p")"
    done
    check "  ... with a JSON error body" grep -q '^{"error":"not_found"' "$T/body"
    head -c 300000 /dev/zero >"$T/300k"
    eq "a body over the Kuaidi100 limit (256 KiB) is refused" "413" \
      "$(c -X POST -H 'Content-Type: application/x-www-form-urlencoded' --data-binary @"$T/300k" "$H/v1/carriers/kuaidi100")"
    check "  ... with a JSON error body" grep -q '^{"error":"too_large"' "$T/body"
    eq "a body on the GET-only progress page is refused" "413" "$(c -X POST --data-binary @"$T/300k" "$H/v1/track/abc")"
    head -c 900000 /dev/zero >"$T/900k"
    eq "a 900 KB webhook (under the services' 1 MiB) passes" "200" "$(c -X POST --data-binary @"$T/900k" "$H/v1/channels/webchat/messages")"
    stop_pids "$STUB"
    eq "a service that is down answers 503" "503" "$(c "$H/s/tok")"
    check "  ... with a JSON error body" grep -q '^{"error":"unavailable"' "$T/body"
  else
    fail "nginx did not start: $(tail -n 5 "$T/nginx.out" "$T/logs/error.log" 2>/dev/null | tr '\n' ' ')"
  fi
else
  fail "nginx or openssl missing (deploy/install-deps.sh installs them)"
fi

for v in $(grep -o '^PEAKDESK_[A-Z0-9_]*' deploy/compose.env); do
  check "compose.env $v is documented in the README" grep -q "$(echo "$v" | sed -E 's/PEAKDESK_(GATEWAY|ROUTER|LOGISTICS|STOCK|PROMO|SURVEY)_/PEAKDESK_<SERVICE>_/')" README.md
done
pd_done
