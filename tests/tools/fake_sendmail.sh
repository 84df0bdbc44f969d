#!/bin/sh
# A stand-in for the MTA's sendmail for delivery tests: appends each message
# (read on stdin, as `sendmail -t -i` would) to DIR/NNN.eml and exits with
# $FAKE_SENDMAIL_EXIT (default 0), like an MTA that accepted or deferred it.
dir=$1
mkdir -p "$dir"
n=$(ls "$dir" | wc -l)
cat >"$dir/$(printf '%03d' $((n + 1))).eml"
exit "${FAKE_SENDMAIL_EXIT:-0}"
