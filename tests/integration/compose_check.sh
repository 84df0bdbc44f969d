#!/bin/sh
# No Docker engine runs on the development machines, so the compose file is
# checked structurally: it parses, every long-running service has a health
# check and a restart policy, every PEAKDESK_* variable it sets is one the
# binaries accept (from their --help), every image is built by a Dockerfile
# that exists, and that Dockerfile builds with the same script CI uses.
. "$(dirname "$0")/../lib.sh"
cd "$ROOT"
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
for v in $(grep -o '^PEAKDESK_[A-Z0-9_]*' deploy/compose.env); do
  check "compose.env $v is documented in the README" grep -q "$(echo "$v" | sed -E 's/PEAKDESK_(GATEWAY|ROUTER|LOGISTICS|STOCK|PROMO|SURVEY)_/PEAKDESK_<SERVICE>_/')" README.md
done
pd_done
