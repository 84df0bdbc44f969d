#!/bin/sh
# `make chaos`: long fault-injection runs, kept out of `make test`.
# Each scenario prints its own "N passed, M failed" line.
set -u
cd "$(dirname "$0")/../.."
status=0
for t in tests/chaos/*_chaos.sh; do
  printf -- '-- %s\n' "$t"
  sh "$t" || status=1
done
exit $status
