#!/bin/sh
# Runs every Check unit test program in DIR, prints each one's summary and a
# total, and fails when any failed or when no test ran at all.
set -u
dir=${1:-build/tests}
total=0; failed=0; progs=0
for t in "$dir"/*_test; do
  [ -x "$t" ] || continue
  progs=$((progs + 1))
  out=$("$t" 2>&1); rc=$?
  line=$(printf '%s\n' "$out" | grep -E '^[0-9]+%: Checks: ' | tail -n 1)
  n=$(printf '%s\n' "$line" | sed -n 's/.*Checks: \([0-9]*\).*/\1/p')
  printf '%-40s %s\n' "$(basename "$t")" "${line:-no summary}"
  if [ $rc -ne 0 ]; then
    failed=$((failed + 1))
    printf '%s\n' "$out" | grep -vE '^Running suite' | tail -n 30
  fi
  total=$((total + ${n:-0}))
done
echo "unit: $progs programs, $total checks, $failed programs failed"
[ "$progs" -gt 0 ] && [ "$total" -gt 0 ] && [ "$failed" -eq 0 ]
