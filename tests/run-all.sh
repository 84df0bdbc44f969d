#!/bin/sh
# `make test`: unit tests (Check, under ASan+UBSan), a short fuzz run of each
# harness, then the integration and end-to-end tests against throwaway
# PostgreSQL servers and real NNG sockets with clients the project did not
# write (curl, nngcat, protoc, psql). Prints one summary line per part and a
# final "N passed, M failed". Fails when anything failed or nothing ran.
set -u
cd "$(dirname "$0")/.."
start=$(date +%s)
total_pass=0
total_fail=0

section() { printf '\n== %s\n' "$*"; }
tally() { # tally PASSED FAILED
  total_pass=$((total_pass + $1)); total_fail=$((total_fail + $2))
}

section "unit tests (ASan+UBSan build)"
unit_out=$(ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  tests/run-unit.sh build/san/tests 2>&1); unit_rc=$?
printf '%s\n' "$unit_out"
checks=$(printf '%s\n' "$unit_out" | sed -n 's/^unit: .* \([0-9]*\) checks.*/\1/p')
if [ $unit_rc -eq 0 ]; then tally "${checks:-0}" 0; else tally "${checks:-0}" 1; fi

if [ "${PEAKDESK_SKIP_FUZZ:-}" != 1 ]; then
  section "fuzz harnesses (${FUZZ_SECONDS:-10} s each)"
  if make --no-print-directory fuzz-build >/tmp/peakdesk-fuzz-build.log 2>&1; then
    if tests/fuzz/run.sh "${FUZZ_SECONDS:-10}"; then tally 1 0; else tally 0 1; fi
  else
    tail -n 30 /tmp/peakdesk-fuzz-build.log; tally 0 1
  fi
fi

section "integration and end-to-end tests (services from the ASan+UBSan build)"
# The services and the CLI under test are the sanitizer build; a report in
# any service log fails the test (tests/lib.sh pd_done). `make run`'s own
# test uses the normal build, as `make run` does.
export PEAKDESK_BIN="$PWD/build/san/bin"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$PWD/tests/lsan.supp}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
for t in tests/integration/*.sh tests/e2e/*.sh; do
  [ -f "$t" ] || continue
  printf -- '-- %s\n' "$t"
  out=$(sh "$t" 2>&1); rc=$?
  printf '%s\n' "$out"
  line=$(printf '%s\n' "$out" | grep -E ': [0-9]+ passed, [0-9]+ failed$' | tail -n 1)
  p=$(printf '%s' "$line" | sed -n 's/.*: \([0-9]*\) passed.*/\1/p')
  f=$(printf '%s' "$line" | sed -n 's/.*passed, \([0-9]*\) failed.*/\1/p')
  [ -n "$p" ] || { p=0; f=1; }
  [ $rc -ne 0 ] && [ "${f:-0}" -eq 0 ] && f=1
  tally "$p" "${f:-0}"
done

section "summary ($(( $(date +%s) - start )) s)"
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ] && [ "$total_pass" -gt 0 ]
