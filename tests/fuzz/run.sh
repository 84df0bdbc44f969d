#!/bin/sh
# Runs every libFuzzer harness in build/fuzz/bin for SECONDS each, starting
# from its seed corpus in tests/fuzz/corpus/<name> (copied, so new inputs do
# not land in the source tree). Fails when a harness finds a crash; the
# reproducer is kept in build/fuzz/artifacts/.
set -u
secs=${1:-60}
cd "$(dirname "$0")/../.."
mkdir -p build/fuzz/artifacts
status=0
n=0
for bin in build/fuzz/bin/*_fuzz; do
  [ -x "$bin" ] || continue
  name=$(basename "$bin" _fuzz)
  work=$(mktemp -d)
  [ -d "tests/fuzz/corpus/$name" ] && cp -r "tests/fuzz/corpus/$name/." "$work/"
  printf '%-18s ' "$name"
  if "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
       -artifact_prefix="build/fuzz/artifacts/$name-" "$work" >"$work.log" 2>&1; then
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work.log")
    echo "ok, ${execs:-?} inputs in ${secs}s, no crash"
  else
    echo "FAILED"; tail -n 40 "$work.log"; status=1
  fi
  n=$((n + 1))
  rm -rf "$work" "$work.log"
done
[ $n -gt 0 ] || { echo "no fuzz harness built"; exit 1; }
exit $status
